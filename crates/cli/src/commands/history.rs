//! `bai history list|clear`: the launch history (kept by the core beside the profiles) of the
//! account a command would use, offline. `bai launch --again SESSION` launches one again.

use bai_core::launch::LaunchHistory;
use bai_core::launch::history::{self, LaunchRecord};
use serde_json::json;

use super::profile::Context;
use super::table::print_table;
use crate::cli::HistoryCmd;
use crate::report::CliError;

pub fn run(ctx: &mut Context<'_>, cmd: HistoryCmd) -> Result<(), CliError> {
    let store = LaunchHistory::new(ctx.store.dir());
    match cmd {
        HistoryCmd::List => {
            let (label, owner) = whose(ctx)?;
            let loaded = store.list(&owner)?;
            if let Some(w) = &loaded.warning {
                writeln!(ctx.err, "warning: {w}")?;
            }
            list(ctx, &label, &loaded.launches)
        }
        HistoryCmd::Clear { all_profiles } => {
            let (label, owner) = if all_profiles {
                ("every profile".to_owned(), None)
            } else {
                let (label, owner) = whose(ctx)?;
                (label, Some(owner))
            };
            let cleared = store.clear(owner.as_deref())?;
            if ctx.json {
                let v = json!({"account": label, "cleared": cleared});
                writeln!(ctx.out, "{v}")?;
            } else {
                writeln!(
                    ctx.out,
                    "forgot {cleared} recorded launch{} of {label}",
                    if cleared == 1 { "" } else { "es" }
                )?;
            }
            Ok(())
        }
    }
}

/// The account's label and history owner, as `bai launch` would pick the account, without
/// reaching the server or the keyring.
fn whose(ctx: &mut Context<'_>) -> Result<(String, String), CliError> {
    if let Some(acct) = ctx.env_account()? {
        return Ok((
            "environment (BACKEND_*)".into(),
            history::env_owner(&acct.endpoint),
        ));
    }
    let p = ctx.pick(None)?;
    Ok((p.name.clone(), history::profile_owner(&p.id)))
}

fn list(ctx: &mut Context<'_>, label: &str, launches: &[LaunchRecord]) -> Result<(), CliError> {
    if ctx.json {
        let launches: Vec<_> = launches
            .iter()
            .map(|r| {
                json!({
                    "session_name": r.session_name,
                    "session_id": r.session_id,
                    "launched_at": r.launched_at,
                    "app": r.app,
                    "image": r.request.image,
                    "project": r.request.group,
                    "resource_group": r.request.scaling_group,
                    "resources": r.request.resources,
                    "mounts": r.request.mounts,
                    "environ": r.request.environ.keys().collect::<Vec<_>>(),
                })
            })
            .collect();
        let v = json!({"account": label, "items": launches});
        writeln!(ctx.out, "{v}")?;
        return Ok(());
    }
    if launches.is_empty() {
        writeln!(
            ctx.out,
            "no launches recorded for {label} yet: each `bai launch` (and each launch in the app) is kept here"
        )?;
        return Ok(());
    }
    let rows: Vec<[String; 5]> = launches
        .iter()
        .map(|r| {
            let resources = r
                .request
                .resources
                .iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other}"),
                })
                .collect::<Vec<_>>()
                .join(" ");
            [
                r.session_name.clone(),
                r.launched_at
                    .chars()
                    .take(19)
                    .collect::<String>()
                    .replace('T', " "),
                r.request.image.clone(),
                resources,
                r.app.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    print_table(
        ctx,
        ["NAME", "LAUNCHED", "IMAGE", "RESOURCES", "APP"],
        &rows,
    )?;
    writeln!(
        ctx.err,
        "`bai launch --again NAME` launches an ended one again, as it was"
    )?;
    Ok(())
}
