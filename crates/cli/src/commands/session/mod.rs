//! The session commands: `sessions`, `launch`, `open`, `apps`, `terminate`, `images`,
//! `presets`. They run against the same [`Context`] as the profile commands (so tests drive
//! them in-process) plus an [`Interrupt`] for Ctrl-C.

mod catalog;
pub mod interrupt;
pub mod launch;
mod list;
mod spec;
mod terminate;
mod waiting;
mod watch;

#[cfg(test)]
mod tests;

use bai_core::account;
use bai_core::client::Client;
use bai_core::launch::history;
use bai_core::profile::Profile;

pub use interrupt::Interrupt;
pub use launch::hold_tunnel;

use super::profile::Context;
use crate::cli::Command;
use crate::report::CliError;

/// A connected account and where its defaults come from.
pub struct Account {
    /// For people: the profile's name or "environment (BACKEND_*)".
    pub label: String,
    pub client: Client,
    /// The profile, unless the account came from `BACKEND_*` variables.
    pub profile: Option<Profile>,
    /// `BACKEND_GROUP` in environment mode.
    pub env_group: Option<String>,
    /// Whose launch history its launches go to (the profile's, or the endpoint's).
    pub history_owner: String,
}

impl Account {
    /// The project to use: the given one, else the profile's, else `BACKEND_GROUP`, else
    /// `default`.
    pub fn project(&self, given: Option<&str>) -> String {
        given
            .map(str::to_owned)
            .or_else(|| self.profile.as_ref().and_then(|p| p.project.clone()))
            .or_else(|| self.env_group.clone())
            .unwrap_or_else(|| "default".into())
    }

    pub fn resource_group(&self, given: Option<&str>) -> Option<String> {
        given
            .map(str::to_owned)
            .or_else(|| self.profile.as_ref().and_then(|p| p.resource_group.clone()))
    }
}

/// Connect as `--profile` / `BAI_PROFILE`, else `BACKEND_*` variables, else the default
/// profile (the same order as `bai profile test`).
pub async fn connect(ctx: &mut Context<'_>) -> Result<Account, CliError> {
    if let Some(acct) = ctx.env_account()? {
        return Ok(Account {
            label: "environment (BACKEND_*)".into(),
            client: acct.connect()?,
            profile: None,
            env_group: acct.group.clone(),
            history_owner: history::env_owner(&acct.endpoint),
        });
    }
    let p = ctx.pick(None)?;
    ctx.warn_insecure(&p)?;
    let client = account::connect(&p, ctx.secrets).await?;
    Ok(Account {
        label: p.name.clone(),
        client,
        history_owner: history::profile_owner(&p.id),
        profile: Some(p),
        env_group: None,
    })
}

pub async fn run(
    ctx: &mut Context<'_>,
    interrupt: Interrupt,
    cmd: Command,
) -> Result<(), CliError> {
    let acct = connect(ctx).await?;
    tracing::debug!(account = %acct.label, "connected");
    match cmd {
        Command::Sessions { all } => list::sessions(ctx, &acct, all).await,
        Command::Apps { session } => list::apps(ctx, &acct, &session).await,
        Command::Images { all } => catalog::images(ctx, &acct, all).await,
        Command::Presets {
            project,
            resource_group,
        } => catalog::presets(ctx, &acct, project.as_deref(), resource_group.as_deref()).await,
        Command::Terminate { session, force } => terminate::run(ctx, &acct, &session, force).await,
        Command::Launch(args) => launch::launch(ctx, interrupt, &acct, *args).await,
        Command::Open { session, tunnel } => {
            launch::open(ctx, interrupt, &acct, &session, tunnel).await
        }
        Command::Detect { .. }
        | Command::Profile(_)
        | Command::History(_)
        | Command::Demo(_)
        | Command::Completion { .. }
        | Command::SshProxy { .. }
        | Command::Ssh(_)
        | Command::SshConfig(_)
        | Command::SshKeys(_)
        | Command::Code(_) => Err(CliError::input("internal: not a session command")),
    }
}
