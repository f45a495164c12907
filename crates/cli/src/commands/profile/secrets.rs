//! `bai profile secrets --orphans [--clean]`: keyring entries whose profile is gone (left by
//! a crash, or by a profiles file edited by hand).

use serde_json::json;

use super::Context;
use crate::report::CliError;

pub fn run(ctx: &mut Context<'_>, orphans: bool, clean: bool) -> Result<(), CliError> {
    if !orphans {
        return Err(CliError::input(
            "say what to do: `bai profile secrets --orphans` lists secrets whose profile is gone, `--orphans --clean` deletes them",
        ));
    }
    let profiles = ctx.load()?;
    let found: Vec<_> = ctx
        .secrets
        .list()?
        .into_iter()
        .filter(|r| !profiles.list().iter().any(|p| p.id == r.profile_id))
        .collect();
    if clean {
        for r in &found {
            ctx.secrets.delete(r)?;
        }
    }
    if ctx.json {
        let rows: Vec<_> = found
            .iter()
            .map(|r| json!({"profile_id": r.profile_id, "kind": r.kind.as_str()}))
            .collect();
        return ctx.print_json(&json!({ "orphans": rows, "deleted": clean }));
    }
    if found.is_empty() {
        writeln!(ctx.out, "No orphaned secrets.")?;
        return Ok(());
    }
    for r in &found {
        writeln!(ctx.out, "{}  {}", r.profile_id, r.kind)?;
    }
    if clean {
        writeln!(ctx.out, "Deleted {} orphaned secret(s).", found.len())?;
    } else {
        writeln!(
            ctx.out,
            "{} orphaned secret(s); delete them with `bai profile secrets --orphans --clean`",
            found.len()
        )?;
    }
    Ok(())
}
