//! One module per subcommand.

mod detect;
pub mod profile;

use std::io::{BufRead, IsTerminal};

use bai_core::profile::{ProfileStore, config_dir};
use bai_secrets::KeyringStore;

use crate::cli::{Cli, Command};
use crate::report::CliError;

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Detect {
            url,
            ca_cert,
            insecure,
        } => detect::run(&url, ca_cert.as_deref(), insecure, cli.json).await,
        Command::Profile(cmd) => {
            let store = ProfileStore::new(config_dir(cli.config_dir)?);
            // Creating the store touches nothing: commands that never read a secret work
            // without a keyring.
            let secrets = KeyringStore::new();
            let stdin = std::io::stdin();
            let is_tty = stdin.is_terminal();
            let mut stdin: Box<dyn BufRead> = Box::new(stdin.lock());
            // Not locked for the whole command: log lines from runtime threads also go to
            // stderr, and a held lock would stall them.
            let mut out = std::io::stdout();
            let mut err = std::io::stderr();
            let env = |k: &str| std::env::var(k).ok();
            let mut ctx = profile::Context {
                store,
                secrets: &secrets,
                json: cli.json,
                out: &mut out,
                err: &mut err,
                stdin: &mut *stdin,
                is_tty,
                env: &env,
                selected: cli.profile,
            };
            profile::run(&mut ctx, *cmd).await
        }
    }
}
