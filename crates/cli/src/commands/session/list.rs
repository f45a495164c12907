//! `bai sessions` and `bai apps SESSION`.

use bai_core::client::{SessionStatus, SessionSummary, StatusFilter};
use serde_json::json;

use super::Account;
use crate::commands::profile::Context;
use crate::commands::table::print_table;
use crate::report::CliError;

/// `bai sessions`: the caller's own active sessions (every page); `--all`: every session the
/// caller may see, ended ones and (for an admin) other users' included. IDLE shows the idle
/// checker that ends a session first ("9 min left (no network activity)"), where the cluster
/// reports one. Statuses are shown as
/// the server sends them, ones this client does not know included.
pub async fn sessions(ctx: &mut Context<'_>, acct: &Account, all: bool) -> Result<(), CliError> {
    let page = if all {
        acct.client.all_users_sessions(StatusFilter::All).await?
    } else {
        acct.client.my_sessions(StatusFilter::Active).await?
    };
    if ctx.json {
        return ctx.print_json(&json!({
            "total_count": page.total_count,
            "complete": page.complete,
            "items": page.items,
        }));
    }
    if page.items.is_empty() {
        let what = if all {
            "no sessions"
        } else {
            "no active sessions"
        };
        writeln!(ctx.out, "{what} (start one with `bai launch`)")?;
        return Ok(());
    }
    let rows: Vec<[String; 6]> = page.items.iter().map(row).collect();
    print_table(
        ctx,
        ["NAME", "STATUS", "IMAGE", "CREATED", "ID", "IDLE"],
        &rows,
    )?;
    if page.total_count > page.items.len() as u64 {
        writeln!(
            ctx.out,
            "({} of {} shown)",
            page.items.len(),
            page.total_count
        )?;
    }
    Ok(())
}

/// A status as the server sent it, with its info, and a warning word when it is usable but
/// degraded. The meaning comes from core's classification, the words from here.
pub fn status_text(status: &SessionStatus, info: Option<&str>) -> String {
    let mut text = status.to_string();
    if let Some(info) = info.filter(|i| !i.is_empty()) {
        text.push_str(&format!(" ({info})"));
    }
    if status.is_degraded() {
        text.push_str(" [warning: degraded]");
    }
    text
}

fn row(s: &SessionSummary) -> [String; 6] {
    let status = status_text(&s.status, s.status_info.as_deref());
    [
        s.name.clone(),
        status,
        s.image.clone().unwrap_or_default(),
        s.created_at
            .as_deref()
            .map(|t| t.chars().take(19).collect::<String>().replace('T', " "))
            .unwrap_or_default(),
        s.id.clone(),
        // The idle checker due first, as the app's list and tray show it.
        bai_core::idle::first_deadline_words(&bai_core::idle::views(&s.idle_checks))
            .unwrap_or_default(),
    ]
}

pub async fn apps(ctx: &mut Context<'_>, acct: &Account, session: &str) -> Result<(), CliError> {
    let apps = acct.client.session_apps(session).await?;
    if ctx.json {
        return ctx.print_json(&json!({ "items": apps }));
    }
    if apps.is_empty() {
        writeln!(ctx.out, "session {session:?} offers no apps")?;
        return Ok(());
    }
    let rows: Vec<[String; 3]> = apps
        .iter()
        .map(|a| {
            [
                a.name.clone(),
                a.protocol.clone(),
                a.ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ]
        })
        .collect();
    print_table(ctx, ["APP", "PROTOCOL", "PORTS"], &rows)?;
    writeln!(
        ctx.out,
        "open one with `bai open {session} --app APP` (http apps only)"
    )?;
    Ok(())
}
