//! `bai terminate SESSION [--force]`: destroy, then wait until the manager says it has ended.

use std::time::Duration;

use bai_core::client::{SessionSummary, StatusFilter};

use super::Account;
use super::list::status_text;
use super::waiting::Waiting;
use crate::commands::profile::Context;
use crate::report::CliError;

/// Graceful termination takes the agent a few seconds; past this we stop waiting (the
/// manager still finishes it).
const WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(300);

pub async fn run(
    ctx: &mut Context<'_>,
    acct: &Account,
    session: &str,
    force: bool,
) -> Result<(), CliError> {
    let found = find_active(acct, session).await;
    if let Err(e) = acct.client.destroy_session(session, force).await {
        if e.code() != "not-found" {
            return Err(e.into());
        }
        // The manager answers an ended session like one that never existed ("No such
        // session"), while `bai sessions --all` still lists it: tell the two apart.
        return match find_ended(acct, session).await {
            Some(ended) => {
                let when = ended
                    .terminated_at
                    .as_deref()
                    .or(ended.status_changed.as_deref())
                    .map(|t| {
                        format!(
                            " at {}",
                            t.chars().take(19).collect::<String>().replace('T', " ")
                        )
                    })
                    .unwrap_or_default();
                if ctx.json {
                    return result(
                        ctx,
                        "already_ended",
                        Some(&ended.name),
                        Some(&ended.id),
                        Some(&ended.status.to_string()),
                        force,
                    );
                }
                // Already ended is what terminate asks for, so it succeeds (exit 0) and ends
                // with the same `session NAME: STATUS` line as a termination this command saw.
                writeln!(
                    ctx.out,
                    "session {} had already ended{when}; nothing to terminate",
                    ended.name
                )?;
                writeln!(
                    ctx.out,
                    "session {}: {}",
                    ended.name,
                    status_text(&ended.status, ended.status_info.as_deref())
                )?;
                Ok(())
            }
            None => Err(CliError {
                code: "not-found",
                message: format!(
                    "no session {session:?} to terminate: `bai sessions` lists your active sessions, `bai sessions --all` every session you may see"
                ),
            }),
        };
    }
    let Some(found) = found else {
        if ctx.json {
            return result(ctx, "requested", None, None, None, force);
        }
        writeln!(ctx.out, "session {session}: termination requested")?;
        return Ok(());
    };
    if !ctx.json {
        writeln!(
            ctx.out,
            "session {} ({}): terminating{}",
            found.name,
            found.status,
            if force { " (forced)" } else { "" }
        )?;
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    // A graceful termination takes seconds: say so while it lasts, on stderr.
    let mut waiting = Waiting::new(WAIT);
    loop {
        match acct.client.session_status_record(&found.id).await {
            Ok(r) if r.status.is_terminal() => {
                if ctx.json {
                    return result(
                        ctx,
                        "terminated",
                        Some(&found.name),
                        Some(&found.id),
                        Some(&r.status.to_string()),
                        force,
                    );
                }
                writeln!(ctx.out, "session {}: {}", found.name, r.status)?;
                return Ok(());
            }
            Ok(_) => {}
            Err(e) => tracing::debug!("status check failed: {e}"),
        }
        if tokio::time::Instant::now() >= deadline {
            if ctx.json {
                return result(
                    ctx,
                    "still_ending",
                    Some(&found.name),
                    Some(&found.id),
                    None,
                    force,
                );
            }
            writeln!(
                ctx.out,
                "session {}: still ending after {}s; check with `bai sessions --all`",
                found.name,
                WAIT.as_secs()
            )?;
            return Ok(());
        }
        if let Some(line) = waiting.due(&format!("session {} to end", found.name)) {
            writeln!(ctx.err, "{line}")?;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The `--json` result: `outcome` is `terminated`, `already_ended`, `still_ending` (the wait
/// ran out) or `requested` (the session was not in the caller's list, so it was not watched).
fn result(
    ctx: &mut Context<'_>,
    outcome: &str,
    name: Option<&str>,
    id: Option<&str>,
    status: Option<&str>,
    force: bool,
) -> Result<(), CliError> {
    ctx.print_json(&serde_json::json!({
        "outcome": outcome,
        "session_name": name,
        "session_id": id,
        "status": status,
        "forced": force,
    }))
}

/// The active session with this name or id, if the list shows it.
async fn find_active(acct: &Account, session: &str) -> Option<SessionSummary> {
    let page = acct
        .client
        .my_sessions(StatusFilter::Active)
        .await
        .map_err(|e| tracing::debug!("cannot list sessions: {e}"))
        .ok()?;
    page.items
        .into_iter()
        .filter(|s| s.status.phase().is_alive())
        .find(|s| s.name == session || s.id == session)
}

/// The most recent ended session with this name or id, if the caller's list shows it (only
/// asked after the manager said "no such session", so a long history costs nothing otherwise).
async fn find_ended(acct: &Account, session: &str) -> Option<SessionSummary> {
    let page = acct
        .client
        .my_sessions(StatusFilter::All)
        .await
        .map_err(|e| tracing::debug!("cannot list sessions: {e}"))
        .ok()?;
    page.items
        .into_iter()
        .filter(|s| s.status.is_terminal() && (s.name == session || s.id == session))
        .max_by(|a, b| {
            let at = |s: &SessionSummary| s.terminated_at.clone().or(s.created_at.clone());
            at(a).cmp(&at(b))
        })
}
