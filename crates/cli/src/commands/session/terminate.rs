//! `bai terminate SESSION [--force]`: destroy, then wait until the manager says it has ended.

use std::time::Duration;

use bai_core::client::{SessionSummary, StatusFilter};

use super::Account;
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
    acct.client.destroy_session(session, force).await?;
    let Some(found) = found else {
        writeln!(ctx.out, "session {session}: termination requested")?;
        return Ok(());
    };
    writeln!(
        ctx.out,
        "session {} ({}): terminating{}",
        found.name,
        found.status,
        if force { " (forced)" } else { "" }
    )?;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match acct.client.session_status_record(&found.id).await {
            Ok(r) if r.status.is_terminal() => {
                writeln!(ctx.out, "session {}: {}", found.name, r.status)?;
                return Ok(());
            }
            Ok(_) => {}
            Err(e) => tracing::debug!("status check failed: {e}"),
        }
        if tokio::time::Instant::now() >= deadline {
            writeln!(
                ctx.out,
                "session {}: still ending after {}s; check with `bai sessions --all`",
                found.name,
                WAIT.as_secs()
            )?;
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
    }
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
