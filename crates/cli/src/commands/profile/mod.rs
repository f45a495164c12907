//! `bai profile ...`: credential management. Every command runs against a [`Context`], so unit
//! tests drive them in-process with an in-memory secret store and captured output.

mod add;
mod edit;
mod export;
mod fields;
mod import;
mod list;
mod login;
mod manage;
mod secrets;
mod show;
mod test;

#[cfg(test)]
mod tests;

use std::io::{BufRead, Write};

use bai_core::client::LoginOptions;
use bai_core::profile::store::Profiles;
use bai_core::profile::{Profile, ProfileStore};
use bai_secrets::{Secret, SecretKind, SecretRef, SecretStore};

use crate::cli::ProfileCmd;
use crate::report::CliError;

/// Everything a profile command reads and writes.
pub struct Context<'a> {
    pub store: ProfileStore,
    pub secrets: &'a dyn SecretStore,
    pub json: bool,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub stdin: &'a mut dyn BufRead,
    /// Whether stdin is a terminal (then secrets are prompted for without echo).
    pub is_tty: bool,
    /// The environment (`BACKEND_*`, `HOME`), injectable for tests.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The global `--profile` / `BAI_PROFILE`.
    pub selected: Option<String>,
}

pub async fn run(ctx: &mut Context<'_>, cmd: ProfileCmd) -> Result<(), CliError> {
    match cmd {
        ProfileCmd::Add(args) => add::run(ctx, args).await,
        ProfileCmd::List => list::run(ctx),
        ProfileCmd::Show { name } => show::run(ctx, name),
        ProfileCmd::Edit(args) => edit::run(ctx, args),
        ProfileCmd::Rename { old, new } => manage::rename(ctx, &old, &new),
        ProfileCmd::Remove { name, yes } => manage::remove(ctx, &name, yes),
        ProfileCmd::Default { name } => manage::set_default(ctx, &name),
        ProfileCmd::Test { name } => test::run(ctx, name).await,
        ProfileCmd::Login {
            name,
            password_stdin,
            otp,
            remember_password,
            force,
        } => {
            login::run(
                ctx,
                name,
                password_stdin,
                LoginOptions {
                    otp,
                    force,
                    ..LoginOptions::default()
                },
                remember_password,
            )
            .await
        }
        ProfileCmd::Import(args) => import::run(ctx, args),
        ProfileCmd::Export(args) => export::run(ctx, args),
        ProfileCmd::Secrets {
            orphans,
            clean,
            yes,
        } => secrets::run(ctx, orphans, clean, yes),
    }
}

impl Context<'_> {
    /// Load the profiles, telling the user on stderr about anything set aside.
    pub fn load(&mut self) -> Result<Profiles, CliError> {
        let profiles = self.store.load()?;
        for w in &profiles.report.warnings {
            writeln!(self.err, "warning: {w}")?;
        }
        if let Some(aside) = &profiles.report.moved_aside {
            writeln!(
                self.err,
                "warning: the original file was kept as {}",
                aside.display()
            )?;
        }
        Ok(profiles)
    }

    /// The `BACKEND_*` account when it is the one to use: no `--profile`/`BAI_PROFILE` was
    /// given and `BACKEND_ENDPOINT` is set. When that passes over a default profile, one line
    /// on stderr says so: otherwise a user with a forgotten `export BACKEND_ENDPOINT=...`
    /// would wonder why the default profile is ignored.
    pub fn env_account(&mut self) -> Result<Option<bai_core::account::EnvAccount>, CliError> {
        if self.selected.is_some() {
            return Ok(None);
        }
        let Some(acct) = bai_core::account::EnvAccount::from_vars(self.env)? else {
            return Ok(None);
        };
        tracing::debug!(endpoint = %acct.endpoint, "using BACKEND_* environment variables");
        // Read quietly: a damaged profiles file is reported by the commands that use it.
        let default = self
            .store
            .load()
            .ok()
            .and_then(|p| p.default_profile().map(|d| d.name.clone()));
        if let Some(name) = default {
            writeln!(
                self.err,
                "note: using BACKEND_ENDPOINT={} (the BACKEND_* variables) instead of the default profile {name:?}; pass -p {name:?} to use the profile",
                acct.endpoint
            )?;
        }
        Ok(Some(acct))
    }

    /// The profile a command is about: `name`, else `--profile`, else the default profile.
    pub fn pick(&mut self, name: Option<String>) -> Result<Profile, CliError> {
        let profiles = self.load()?;
        let wanted = name.or_else(|| self.selected.clone());
        match wanted {
            Some(n) => Ok(profiles.get(&n)?.clone()),
            None => profiles.default_profile().cloned().ok_or_else(|| {
                // With no profile at all, `profile default NAME` has nothing to name: point
                // to the ways of getting one instead.
                if profiles.list().is_empty() {
                    CliError::input(
                        "no profiles yet: add one with `bai profile add NAME --endpoint URL ...` (or `bai profile import`), set BACKEND_ENDPOINT, BACKEND_ACCESS_KEY and BACKEND_SECRET_KEY, or try `bai demo` for a local demo server",
                    )
                } else {
                    CliError::input(
                        "no profile given and no default profile is set: name one, pass --profile NAME, or run `bai profile default NAME`",
                    )
                }
            }),
        }
    }

    /// Read a secret: one line from stdin when `from_stdin`, else a no-echo prompt on a
    /// terminal, else nothing.
    pub fn read_secret(
        &mut self,
        what: &str,
        from_stdin: bool,
    ) -> Result<Option<Secret>, CliError> {
        let value = if from_stdin {
            let mut line = String::new();
            self.stdin
                .read_line(&mut line)
                .map_err(|e| CliError::input(format!("cannot read the {what} from stdin: {e}")))?;
            // Only the line ending is dropped: spaces may be part of a password.
            let trimmed = line.strip_suffix('\n').unwrap_or(&line);
            let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
            Secret::new(trimmed)
        } else if self.is_tty {
            let typed = rpassword::prompt_password(format!("{what}: "))
                .map_err(|e| CliError::input(format!("cannot read the {what}: {e}")))?;
            Secret::new(typed)
        } else {
            return Ok(None);
        };
        if value.is_empty() {
            return Err(CliError::input(format!("the {what} is empty")));
        }
        Ok(Some(value))
    }

    /// Whether a secret is stored, without failing when the keyring is unavailable.
    pub fn secret_state(&self, profile: &Profile, kind: SecretKind) -> SecretState {
        match self.secrets.get(&SecretRef::new(&profile.id, kind)) {
            Ok(Some(s)) => SecretState::Stored(s),
            Ok(None) => SecretState::Missing,
            Err(e) => {
                tracing::debug!("keyring read failed: {e}");
                SecretState::Unknown
            }
        }
    }

    pub fn warn_insecure(&mut self, profile: &Profile) -> Result<(), CliError> {
        if profile.tls.skip_verify {
            writeln!(
                self.err,
                "warning: profile {:?} does not verify TLS certificates: anyone on the network path can read its traffic. Prefer --ca-cert FILE",
                profile.name
            )?;
        }
        Ok(())
    }

    /// Ask a yes/no question before a deletion: on a terminal the answer is read from stdin
    /// (anything but y/yes is no); without one it fails with `refusal`, so a script has to say
    /// --yes instead of hanging on, or being fed, an answer.
    pub fn confirm(&mut self, question: &str, refusal: String) -> Result<bool, CliError> {
        if !self.is_tty {
            return Err(CliError::input(refusal));
        }
        write!(self.err, "{question}")?;
        self.err.flush()?;
        let mut answer = String::new();
        self.stdin
            .read_line(&mut answer)
            .map_err(|e| CliError::input(format!("cannot read the answer: {e}")))?;
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }

    /// Where text meant for a person goes: stdout, or stderr under `--json` (stdout then
    /// carries only the JSON result).
    pub fn text(&mut self) -> &mut dyn Write {
        if self.json {
            &mut *self.err
        } else {
            &mut *self.out
        }
    }

    pub fn print_json(&mut self, value: &serde_json::Value) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::input(format!("cannot encode JSON: {e}")))?;
        writeln!(self.out, "{text}")?;
        Ok(())
    }
}

/// What the keyring holds for one secret of a profile.
#[derive(Debug)]
pub enum SecretState {
    Stored(Secret),
    Missing,
    /// The keyring could not be asked.
    Unknown,
}

/// Store a secret for a freshly added profile; on failure remove the profile again so no
/// half-made profile is left behind.
pub fn store_or_undo(
    ctx: &Context<'_>,
    profile: &Profile,
    kind: SecretKind,
    value: &Secret,
) -> Result<(), CliError> {
    if let Err(e) = ctx.secrets.set(&SecretRef::new(&profile.id, kind), value) {
        let _ = ctx.secrets.delete_profile(&profile.id);
        if let Err(undo) = ctx.store.remove(&profile.id) {
            tracing::warn!("could not remove the half-added profile: {undo}");
        }
        return Err(e.into());
    }
    Ok(())
}
