//! Which events reach the log.
//!
//! Below `info`, the HTTP and WebSocket crates log whole requests: tungstenite traces the
//! WebSocket upgrade with its signed `Authorization` header (replayable for 15 minutes), and
//! hyper, h2, reqwest and rustls print headers, cookies and URLs. So those crates are capped at
//! `info` in every front end, whatever `BAI_LOG` asks for. The launcher's own events never
//! carry such values at any level (headers are marked sensitive, URLs are logged without
//! their query), so `BAI_LOG=trace` stays useful for them.

use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::Filter;

/// Environment variable with a `tracing` filter (e.g. `debug`, `bai_core=trace`).
pub const LOG_FILTER_ENV: &str = "BAI_LOG";

/// Crates (target prefixes) whose debug and trace output shows requests, headers or URLs.
pub const QUIET_TARGETS: &[&str] = &[
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "reqwest",
    "rustls",
    "h2",
];

/// The most these crates may log.
const QUIET_CAP: LevelFilter = LevelFilter::INFO;

/// The filter for a log: `requested` (a `BAI_LOG` value; unset, empty or invalid means
/// `default`), with [`QUIET_TARGETS`] capped at `info` even when `requested` names them.
pub fn filter<S>(requested: Option<&str>, default: &str) -> impl Filter<S> + Send + Sync + use<S>
where
    S: tracing::Subscriber,
{
    let wanted = requested
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .and_then(|r| EnvFilter::try_new(r).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    // A separate filter, not more EnvFilter directives: a more specific directive in BAI_LOG
    // (`tungstenite::handshake::client=trace`) would win over any we add.
    let cap = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(QUIET_TARGETS.iter().map(|t| (*t, QUIET_CAP)));
    wanted.and(cap)
}

/// [`filter`] with `requested` read from `$BAI_LOG`.
pub fn filter_from_env<S>(default: &str) -> impl Filter<S> + Send + Sync + use<S>
where
    S: tracing::Subscriber,
{
    filter(std::env::var(LOG_FILTER_ENV).ok().as_deref(), default)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::{Layer, fmt, registry};

    use super::*;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("buf").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What a log with `requested` keeps of a few events.
    fn logged(requested: Option<&str>, default: &str) -> String {
        let buf = Buf::default();
        let out = buf.clone();
        let layer = fmt::layer()
            .with_writer(move || out.clone())
            .with_ansi(false)
            .with_filter(filter(requested, default));
        tracing::subscriber::with_default(registry().with(layer), || {
            tracing::trace!(target: "tungstenite::handshake::client", "Request: authorization: SIGNED");
            tracing::debug!(target: "hyper_util::client", "headers: cookie=SECRET");
            tracing::trace!(target: "h2::codec", "frame: SECRET");
            tracing::info!(target: "reqwest::connect", "reqwest-info");
            tracing::trace!(target: "bai_core::client", "own-trace");
            tracing::debug!(target: "bai_cli", "cli-debug");
        });
        String::from_utf8(buf.0.lock().expect("buf").clone()).expect("utf8")
    }

    #[test]
    fn trace_is_capped_for_the_http_crates_however_it_is_asked() {
        for requested in [
            "trace",
            "tungstenite=trace,hyper_util=trace,h2=trace,trace",
            "tungstenite::handshake::client=trace,hyper_util::client=trace,h2::codec=trace,trace",
        ] {
            let log = logged(Some(requested), "warn");
            assert!(!log.contains("SIGNED"), "{requested}: {log}");
            assert!(!log.contains("SECRET"), "{requested}: {log}");
            assert!(log.contains("reqwest-info"), "{requested}: {log}");
            assert!(log.contains("own-trace"), "{requested}: {log}");
            assert!(log.contains("cli-debug"), "{requested}: {log}");
        }
    }

    #[test]
    fn unset_empty_or_invalid_means_the_default() {
        for requested in [None, Some(""), Some("  "), Some("bai_core=notalevel")] {
            let log = logged(requested, "info,bai_cli=debug");
            assert!(log.contains("cli-debug"), "{requested:?}: {log}");
            assert!(!log.contains("own-trace"), "{requested:?}: {log}");
            assert!(log.contains("reqwest-info"), "{requested:?}: {log}");
        }
        assert_eq!(logged(Some("error"), "trace"), "");
    }
}
