//! How `bai` reports errors and logs: `error[<code>]: <message>` on stderr, where the code is
//! the stable machine code of the error, and an exit status that tells error classes apart.

use std::io::IsTerminal;
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
        CliError {
            code: "io",
            message: format!("cannot write the output: {e}"),
        }
    }
}

impl CliError {
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            code: "invalid-input",
            message: message.into(),
        }
    }
}

pub fn error(e: &CliError) -> ExitCode {
    // The message often quotes the server, so it is escaped like all other output.
    eprintln!("error[{}]: {}", e.code, for_terminal_lines(&e.message));
    // 2 for what the user can fix in the command line, 130 (the shell's SIGINT convention)
    // for a launch stopped with Ctrl-C, 1 for everything else.
    ExitCode::from(match e.code {
        "invalid-input" | "invalid-endpoint" => 2,
        "launch-cancelled" => 130,
        _ => 1,
    })
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
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_filter(bai_core::logging::filter_from_env(default));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
