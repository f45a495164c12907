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
pub fn remove(ctx: &mut Context<'_>, name: &str) -> Result<(), CliError> {
    let p = ctx.load()?.get(name)?.clone();
    ctx.secrets.delete_profile(&p.id)?;
    let p = ctx.store.remove(&p.id)?;
    if ctx.json {
        return ctx.print_json(&json!({"name": p.name, "id": p.id, "removed": true}));
    }
    writeln!(
        ctx.out,
        "Removed profile {:?} and its secrets in the OS keyring",
        p.name
    )?;
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
