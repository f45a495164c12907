//! Whether a session that was running has ended, for a tunnel that must not outlive it.
//! Asked by polling the session as following a launch does ([`Client::session_status_now`]):
//! ended means the core's [`StatusPhase::Ended`] (TERMINATED, CANCELLED, ERROR, or unknown to
//! the server); never a transitional or unknown status, never a failed lookup.

use std::time::Duration;

use bai_core::client::{Client, StatusPhase};

use super::list::status_text;

/// Between two checks (each limited to as long): an end is noticed within about 3 s, so
/// `bai launch`/`bai open` end within 5 s of their session, one cheap `GET` per 1.5 s.
const POLL: Duration = Duration::from_millis(1500);
/// A check that takes longer concludes nothing (the network may be down; that is no end).
const LOOKUP_LIMIT: Duration = Duration::from_secs(2);

/// Wait until the session has ended; returns how it ended, for people.
pub async fn until_ended(client: &Client, session: &str) -> String {
    let (status, info) = client.session_end(session, POLL).await;
    status_text(&status, info.as_deref())
}

/// How the session ended, if it has, by name or id (`bai open NAME` knows only the name).
pub async fn ended_now(client: &Client, session: &str) -> Option<String> {
    let lookup = tokio::time::timeout(LOOKUP_LIMIT, client.session_status_now(session)).await;
    match lookup {
        Ok(Ok((status, info))) if status.phase() == StatusPhase::Ended => {
            Some(status_text(&status, info.as_deref()))
        }
        Ok(Ok(_)) => None,
        // A failed or slow lookup (network, server error) says nothing about the session.
        Ok(Err(e)) => {
            tracing::debug!(code = e.code(), "cannot check the session: {e}");
            None
        }
        Err(_) => None,
    }
}
