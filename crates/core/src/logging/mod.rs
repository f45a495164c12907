//! Logging rules shared by the CLI and the app.
//!
//! - [`filter`](mod@filter): which events are written; the HTTP and WebSocket crates stay at
//!   `info` whatever `BAI_LOG` asks, since below that they print requests with their headers
//! - [`daily_file`]: the app's log file, one per day, in a private folder

pub mod daily_file;
pub mod filter;

pub use daily_file::DailyFile;
pub use filter::{LOG_FILTER_ENV, QUIET_TARGETS, filter, filter_from_env};
