//! `bai profile secrets`: which secrets each profile has in the keyring.
//!
//! `bai profile secrets --orphans [--clean [--yes]]`: keyring entries that no profile in any
//! known config directory uses (left by a crash, or by a profiles file edited by hand). The
//! rule is [`bai_core::profile::orphans`]; this only chooses the words and asks before deleting.

use std::path::Path;

use bai_core::profile::{KnownDirs, OrphanReport, SecretUser, clean_orphans, find_orphans};
use serde_json::json;

use super::show::{secret_kinds, state_text};
use super::{Context, SecretState};
use crate::commands::table::print_table;
use crate::report::CliError;

pub fn run(ctx: &mut Context<'_>, orphans: bool, clean: bool, yes: bool) -> Result<(), CliError> {
    if !orphans {
        return list(ctx);
    }
    // Loading the current profiles reports (and sets aside) a damaged file before the scan.
    ctx.load()?;
    let known = KnownDirs::from_env(ctx.env);
    let current = ctx.store.dir().to_path_buf();
    let mut report = find_orphans(ctx.secrets, &known, &current)?;
    let mut deleted = false;
    if clean && !report.orphans.is_empty() {
        if !yes && !confirm(ctx, &report)? {
            writeln!(ctx.out, "Nothing deleted.")?;
            return Ok(());
        }
        // Decided again at the moment of deleting, so a profile added meanwhile is safe.
        report = clean_orphans(ctx.secrets, &known, &current)?;
        deleted = true;
    }
    if ctx.json {
        let orphans: Vec<_> = report
            .orphans
            .iter()
            .map(|r| json!({"profile_id": r.profile_id, "kind": r.kind.as_str()}))
            .collect();
        let in_use: Vec<_> = report
            .in_use
            .iter()
            .map(|(r, u)| {
                json!({
                    "profile_id": r.profile_id,
                    "kind": r.kind.as_str(),
                    "profile": u.name,
                    "config_dir": u.config_dir.display().to_string(),
                    "file": u.file.display().to_string(),
                    "set_aside": u.set_aside,
                })
            })
            .collect();
        let dirs: Vec<_> = report
            .dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        return ctx.print_json(&json!({
            "orphans": orphans,
            "deleted": deleted,
            "in_use": in_use,
            "config_dirs": dirs,
            "blocked": report.blocked,
        }));
    }
    print_text(ctx, &report, &current, deleted)
}

/// `bai profile secrets`: which secret each profile has in the keyring (masked as in
/// `profile show`), and where to go next.
fn list(ctx: &mut Context<'_>) -> Result<(), CliError> {
    let profiles = ctx.load()?;
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for p in profiles.list() {
        for (label, kind) in secret_kinds(p.kind) {
            let state = ctx.secret_state(p, *kind);
            items.push(json!({
                "profile": p.name,
                "profile_id": p.id,
                "kind": kind.as_str(),
                "state": match state {
                    SecretState::Stored(_) => "stored",
                    SecretState::Missing => "missing",
                    SecretState::Unknown => "unknown",
                },
            }));
            rows.push([
                p.name.clone(),
                (*label).to_owned(),
                state_text(*kind, &state),
            ]);
        }
    }
    if ctx.json {
        return ctx.print_json(&json!({ "items": items }));
    }
    if rows.is_empty() {
        writeln!(ctx.out, "No profiles, so no profile secrets.")?;
    } else {
        print_table(ctx, ["PROFILE", "SECRET", "IN THE OS KEYRING"], &rows)?;
    }
    writeln!(
        ctx.out,
        "Replace one with `bai profile edit NAME --secret-key-stdin` or `--password-stdin`; `bai profile secrets --orphans` lists keyring entries no profile uses."
    )?;
    Ok(())
}

fn print_text(
    ctx: &mut Context<'_>,
    report: &OrphanReport,
    current: &Path,
    deleted: bool,
) -> Result<(), CliError> {
    for why in &report.blocked {
        writeln!(ctx.err, "warning: {why}")?;
    }
    if !report.blocked.is_empty() {
        writeln!(
            ctx.out,
            "No secret is called an orphan while a profiles file cannot be read (see the warnings above)."
        )?;
    }
    // Secrets kept only because of a profile elsewhere: say whose they are.
    let elsewhere: Vec<&(bai_secrets::SecretRef, SecretUser)> = report
        .in_use
        .iter()
        .filter(|(_, u)| u.set_aside || !same(&u.config_dir, current))
        .collect();
    if !elsewhere.is_empty() {
        writeln!(
            ctx.out,
            "Kept: used by profiles outside this config directory:"
        )?;
        for (r, u) in elsewhere {
            writeln!(ctx.out, "  {}  {}", r.kind, describe(u))?;
        }
    }
    if report.orphans.is_empty() {
        if report.blocked.is_empty() {
            writeln!(
                ctx.out,
                "No orphaned secrets (checked {} config director{}).",
                report.dirs.len(),
                if report.dirs.len() == 1 { "y" } else { "ies" }
            )?;
        }
        return Ok(());
    }
    writeln!(
        ctx.out,
        "{} secret(s) used by no profile in any of these config directories:",
        report.orphans.len()
    )?;
    for d in &report.dirs {
        writeln!(ctx.out, "  {}", d.display())?;
    }
    for r in &report.orphans {
        writeln!(
            ctx.out,
            "  {} of a removed profile (id {})",
            r.kind, r.profile_id
        )?;
    }
    if deleted {
        writeln!(
            ctx.out,
            "Deleted {} orphaned secret(s).",
            report.orphans.len()
        )?;
    } else {
        writeln!(
            ctx.out,
            "If a profile in another config directory uses them, open it once with `bai --config-dir DIR profile list` so it is known; otherwise delete them with `bai profile secrets --orphans --clean`"
        )?;
    }
    Ok(())
}

/// Ask on a terminal; refuse without one (a script must say --yes).
fn confirm(ctx: &mut Context<'_>, report: &OrphanReport) -> Result<bool, CliError> {
    let question = format!(
        "Delete {} secret(s) that no profile in {} known config director{} uses? [y/N] ",
        report.orphans.len(),
        report.dirs.len(),
        if report.dirs.len() == 1 { "y" } else { "ies" }
    );
    let refusal = format!(
        "refusing to delete {} secret(s) without confirmation: stdin is not a terminal. Review them with `bai profile secrets --orphans`, then pass --yes to delete",
        report.orphans.len()
    );
    ctx.confirm(&question, refusal)
}

fn describe(u: &SecretUser) -> String {
    let name = u
        .name
        .as_deref()
        .map_or_else(|| format!("id {}", u.profile_id), |n| format!("{n:?}"));
    if u.set_aside {
        format!("profile {name} in the set-aside file {}", u.file.display())
    } else {
        format!("profile {name} in {}", u.config_dir.display())
    }
}

fn same(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canon(a) == canon(b)
}
