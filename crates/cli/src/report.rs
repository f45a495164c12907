//! How `bai` reports errors and logs: `error[<code>]: <message>` on stderr, where the code is
//! the stable machine code of the error, and an exit status that tells error classes apart.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use bai_core::text::for_terminal_lines;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// An error from any layer, with its stable code.
#[derive(Debug)]
pub struct CliError {
    pub code: &'static str,
    pub message: String,
}

impl From<bai_core::Error> for CliError {
    fn from(e: bai_core::Error) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<bai_secrets::Error> for CliError {
    fn from(e: bai_secrets::Error) -> Self {
        CliError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        // A reader that stopped early (`bai profile list | head -1`) is not a failure.
        let code = if e.kind() == std::io::ErrorKind::BrokenPipe {
            CLOSED_PIPE
        } else {
            "io"
        };
        CliError {
            code,
            message: format!("cannot write the output: {e}"),
        }
    }
}

/// The code of a write to a pipe whose reader has gone.
const CLOSED_PIPE: &str = "closed-pipe";

impl CliError {
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            code: "invalid-input",
            message: message.into(),
        }
    }
}

/// The exit status of a command that ended well, or that a signal stopped after cleaning up.
pub fn success() -> ExitCode {
    signal_exit().map_or(ExitCode::SUCCESS, ExitCode::from)
}

pub fn error(e: &CliError) -> ExitCode {
    // As quiet as the tools around it in a pipeline: whoever closed the pipe wanted no more.
    if e.code == CLOSED_PIPE {
        return ExitCode::SUCCESS;
    }
    // The message often quotes the server, so it is escaped like all other output. Not
    // `eprintln!`, which panics when stderr is gone (a closed terminal after SIGHUP): the exit
    // status still has to tell what happened.
    if json_mode() {
        // `{"error": {"code", "message"}}` on one line: JSON escapes every control character,
        // so the message needs no terminal escaping.
        let v = serde_json::json!({"error": {"code": e.code, "message": e.message}});
        let _ = writeln!(std::io::stderr(), "{v}");
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "error[{}]: {}",
            e.code,
            for_terminal_lines(&e.message)
        );
    }
    // 2 for what the user can fix in the command line, 128 + the signal (the shell's
    // convention: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP) for a launch a signal cancelled, 1 for
    // everything else.
    ExitCode::from(match e.code {
        "invalid-input" | "invalid-endpoint" => 2,
        "launch-cancelled" => signal_exit().unwrap_or(130),
        _ => 1,
    })
}

static JSON_MODE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--json` was given: errors are reported as `{"error": {"code", "message"}}` on stderr.
pub fn set_json_mode(on: bool) {
    JSON_MODE.store(on, std::sync::atomic::Ordering::Relaxed);
}

pub fn json_mode() -> bool {
    JSON_MODE.load(std::sync::atomic::Ordering::Relaxed)
}

fn signal_exit() -> Option<u8> {
    crate::commands::session::interrupt::exit_status()
}

/// Colour only for a person: stderr is a terminal and `NO_COLOR` (no-color.org) is unset or
/// empty.
pub fn colour_on_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Log to stderr: `-v`/`-vv` or `$BAI_LOG` choose how much, within the shared rule that keeps
/// the HTTP crates (which print request headers) at `info`.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,bai_core=debug,bai_cli=debug",
        _ => "debug,bai_core=trace,bai_cli=trace",
    };
    let layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour_on_stderr())
        .with_target(false)
        .with_filter(bai_core::logging::filter_from_env(default));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
