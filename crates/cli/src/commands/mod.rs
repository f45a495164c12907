//! One module per subcommand.

mod demo;
mod detect;
mod history;
pub mod profile;
pub mod session;
mod ssh;
pub mod table;

use std::io::{BufRead, IsTerminal};

use bai_core::profile::{KnownDirs, ProfileStore, config_dir};
use bai_secrets::KeyringStore;

use crate::cli::{Cli, Command};
use crate::report::CliError;
use crate::terminal::TerminalSafe;
use session::Interrupt;

pub async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Detect {
        url,
        ca_cert,
        insecure,
    } = &cli.command
    {
        return detect::run(url, ca_cert.as_deref(), *insecure, cli.json).await;
    }
    if let Command::Completion { shell } = cli.command {
        return completion(shell, cli.json);
    }
    let store = ProfileStore::new(config_dir(cli.config_dir)?);
    let env = |k: &str| std::env::var(k).ok();
    // Remember this config directory, so that no other one calls its profiles' secrets orphans.
    if let Err(e) = KnownDirs::from_env(&env).record(store.dir()) {
        tracing::debug!("could not record the config directory: {e}");
    }
    // Creating the store touches nothing: commands that never read a secret work without a
    // keyring.
    let secrets = KeyringStore::new();
    let stdin = std::io::stdin();
    let is_tty = stdin.is_terminal();
    let mut stdin: Box<dyn BufRead> = Box::new(stdin.lock());
    // Not locked for the whole command: log lines from runtime threads also go to stderr, and
    // a held lock would stall them. Both escape control characters: much of what is printed
    // comes from the server.
    let mut out = TerminalSafe(std::io::stdout());
    let mut err = TerminalSafe(std::io::stderr());
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
    // Only commands that clean up take over Ctrl-C, SIGTERM and SIGHUP; the others die at
    // once, which leaves nothing behind.
    let interrupt = match &cli.command {
        Command::Launch(_) | Command::Open { .. } | Command::Demo(_) => Interrupt::from_signals(),
        _ => Interrupt::manual().1,
    };
    match cli.command {
        Command::Profile(cmd) => profile::run(&mut ctx, *cmd).await,
        Command::History(cmd) => history::run(&mut ctx, cmd),
        Command::Demo(args) => demo::run(&mut ctx, interrupt, args).await,
        cmd @ (Command::SshProxy { .. }
        | Command::Ssh(_)
        | Command::SshConfig(_)
        | Command::SshKeys(_)
        | Command::Code(_)) => ssh::run(&mut ctx, cmd).await,
        other => session::run(&mut ctx, interrupt, other).await,
    }
}

/// `bai completion SHELL`: the script clap_complete writes from the grammar itself, so it
/// never falls behind a new flag or alias.
fn completion(shell: clap_complete::Shell, json: bool) -> Result<(), CliError> {
    use clap::CommandFactory;
    use std::io::Write;
    // Into memory first: clap_complete panics on a write error, and a closed pipe
    // (`bai completion bash | head`) is the caller's business, reported like any other.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "bai", &mut script);
    let mut out = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({
            "shell": shell.to_string(),
            "script": String::from_utf8_lossy(&script),
        });
        writeln!(out, "{v}")?;
        out.flush()?;
        return Ok(());
    }
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}
