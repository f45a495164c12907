//! `bai profile rename | remove | default`.

use serde_json::json;

use super::Context;
use crate::report::CliError;

/// Rename: secrets are keyed by id, so the keyring is not touched.
pub fn rename(ctx: &mut Context<'_>, old: &str, new: &str) -> Result<(), CliError> {
    ctx.load()?;
    let p = ctx.store.rename(old, new)?;
    if ctx.json {
        return ctx.print_json(&json!({"name": p.name, "id": p.id, "renamed_from": old.trim()}));
    }
    writeln!(ctx.out, "Renamed {:?} to {:?}", old.trim(), p.name)?;
    Ok(())
}

/// Remove the secrets, then the profile. Secrets go first so a keyring that is unavailable
/// fails the command with the profile intact, instead of leaving secrets behind.
///
/// The default profile is what every command uses when none is named, so removing it asks
/// first (as `profile secrets --orphans --clean` does: on a terminal, else --yes), and the
/// user is told which profile could take its place.
pub fn remove(ctx: &mut Context<'_>, name: &str, yes: bool) -> Result<(), CliError> {
    let profiles = ctx.load()?;
    let p = profiles.get(name)?.clone();
    let was_default = profiles.default_profile().is_some_and(|d| d.id == p.id);
    let next = profiles
        .list()
        .iter()
        .find(|o| o.id != p.id)
        .map(|o| o.name.clone());
    if was_default && !yes {
        let question = format!(
            "{:?} is the default profile. Remove it and its secrets? [y/N] ",
            p.name
        );
        let refusal = format!(
            "refusing to remove the default profile {:?} without confirmation: stdin is not a terminal. Pass --yes to remove it",
            p.name
        );
        if !ctx.confirm(&question, refusal)? {
            writeln!(ctx.out, "Nothing removed.")?;
            return Ok(());
        }
    }
    ctx.secrets.delete_profile(&p.id)?;
    let p = ctx.store.remove(&p.id)?;
    if ctx.json {
        return ctx.print_json(&json!({
            "name": p.name,
            "id": p.id,
            "removed": true,
            "was_default": was_default,
        }));
    }
    writeln!(
        ctx.out,
        "Removed profile {:?} and its secrets in the OS keyring",
        p.name
    )?;
    if was_default {
        match next {
            Some(n) => writeln!(
                ctx.err,
                "There is no default profile now; make {n:?} the default with `bai profile default {n:?}` (`bai profile list` shows the others)"
            )?,
            None => writeln!(
                ctx.err,
                "No profiles left; add one with `bai profile add NAME --endpoint URL ...`, or try `bai demo`"
            )?,
        }
    }
    Ok(())
}

pub fn set_default(ctx: &mut Context<'_>, name: &str) -> Result<(), CliError> {
    ctx.load()?;
    let p = ctx.store.set_default(name)?;
    if ctx.json {
        return ctx.print_json(&json!({"name": p.name, "id": p.id, "default": true}));
    }
    writeln!(ctx.out, "{:?} is now the default profile", p.name)?;
    Ok(())
}
