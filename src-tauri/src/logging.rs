//! The app log: `tracing` events to a daily file in the app's log directory.
//!
//! The folder is 0700 and the files 0600, never opened through a symlink
//! ([`bai_core::logging::DailyFile`]). Secrets never reach the log: they are
//! `bai_secrets::Secret` values, whose Debug/Display print a placeholder, and the HTTP and
//! WebSocket crates, whose debug and trace output shows request headers (the signed
//! `Authorization` of the tunnel's WebSocket upgrade among them), are capped at `info` whatever
//! `BAI_LOG` asks ([`bai_core::logging::filter`]).

use std::path::Path;

use bai_core::logging::DailyFile;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// Environment variable with a `tracing` filter for the log file (e.g. `debug`).
pub const LOG_FILTER_ENV: &str = bai_core::logging::LOG_FILTER_ENV;
/// Log files are `launcher.YYYY-MM-DD.log`.
pub const LOG_FILE_PREFIX: &str = "launcher";
const KEEP_FILES: usize = 7;

/// Start logging to `dir`. Keep the guard alive for as long as the app runs: dropping it
/// flushes and stops the writer thread.
pub fn init(dir: &Path) -> Result<WorkerGuard, String> {
    let file = DailyFile::open(dir, LOG_FILE_PREFIX, KEEP_FILES)
        .map_err(|e| format!("cannot open the log: {e}"))?;
    // The default queue (128,000 lines) is allocated up front: 4 MiB the app would hold all
    // day in the tray. The app logs a few lines a minute; past 1,024 queued, lines are dropped.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .finish(file);
    let layer = fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(bai_core::logging::filter_from_env("info"));
    tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .map_err(|e| format!("logging was already set up: {e}"))?;
    Ok(guard)
}
