//! One module per subcommand.

mod detect;

use crate::cli::{Cli, Command};
use crate::report::CliError;

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Detect {
            url,
            ca_cert,
            insecure,
        } => detect::run(&url, ca_cert.as_deref(), insecure, cli.json).await,
    }
}
