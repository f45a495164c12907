//! `bai`: the Backend.AI launcher's command line.

mod browser;
mod cli;
mod commands;
mod report;
#[cfg(test)]
mod schema_coverage;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // A command line clap refuses, under --json, is reported like any other error (clap's
        // exit status 2 is also ours for what the user can fix); help and version print as text.
        Err(e) if e.use_stderr() && std::env::args_os().any(|a| a == "--json") => {
            report::set_json_mode(true);
            let text = e.render().to_string();
            let message = text.trim().trim_start_matches("error: ").to_string();
            return report::error(&report::CliError {
                code: "invalid-input",
                message,
            });
        }
        Err(e) => e.exit(),
    };
    report::set_json_mode(cli.json);
    report::init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return report::error(&report::CliError {
                code: "runtime",
                message: format!("cannot start the async runtime: {e}"),
            });
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => report::success(),
        Err(e) => report::error(&e),
    }
}
