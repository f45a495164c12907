//! The app log: `tracing` events to a daily-rolling file in the app's log directory.
//!
//! Secrets never reach it: they are `bai_secrets::Secret` values, whose Debug/Display print a
//! placeholder, and the HTTP stack's own debug output (which shows URLs and headers) is kept
//! below the default level.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;

/// Environment variable with a `tracing` filter for the log file (e.g. `debug`).
pub const LOG_FILTER_ENV: &str = "BAI_LOG";
/// Log files are `launcher.YYYY-MM-DD.log`.
pub const LOG_FILE_PREFIX: &str = "launcher";
const KEEP_FILES: usize = 7;

/// Start logging to `dir`. Keep the guard alive for as long as the app runs: dropping it
/// flushes and stops the writer thread.
pub fn init(dir: &Path) -> Result<WorkerGuard, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the log folder {}: {e}", dir.display()))?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(|e| format!("cannot open a log file in {}: {e}", dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    // The HTTP crates log full URLs and headers at debug level; keep them quiet even when the
    // user asks for debug output from the launcher itself.
    let filter = EnvFilter::try_from_env(LOG_FILTER_ENV)
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive(quiet("hyper=warn"))
        .add_directive(quiet("hyper_util=warn"))
        .add_directive(quiet("reqwest=warn"))
        .add_directive(quiet("tungstenite=warn"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| format!("logging was already set up: {e}"))?;
    Ok(guard)
}

fn quiet(directive: &str) -> tracing_subscriber::filter::Directive {
    // These literals are valid directives; a parse failure would only mean more output.
    directive.parse().unwrap_or_default()
}
