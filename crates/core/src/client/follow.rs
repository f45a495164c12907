//! Following a session to RUNNING (or its end): events first, polling when the event stream
//! fails, ends or stays silent. A reusable building block for the launch state machine.

use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::api::Client;
use super::config::FollowOptions;
use super::events::SessionEventStream;
use super::status::{SessionStatus, StatusPhase};
use crate::error::{Error, Result};

/// Where an update came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateSource {
    Events,
    Polling,
}

/// A status change of the followed session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionUpdate {
    pub status: SessionStatus,
    pub status_info: Option<String>,
    /// Time since following began.
    pub elapsed: Duration,
    pub source: UpdateSource,
}

/// Updates until RUNNING or a terminal status (then the stream ends). An error item is last.
pub type SessionUpdateStream = Pin<Box<dyn Stream<Item = Result<SessionUpdate>> + Send>>;

/// Transient polling failures tolerated in a row before giving up.
const MAX_POLL_FAILURES: u32 = 5;

impl Client {
    /// The session's current status and why (`status_info`), by id or name: what following a
    /// session polls, and what a tunnel asks to notice that its session has ended.
    /// `GET /session/{…}` stops finding sessions once they end; the GraphQL record (by id)
    /// then tells how (ERROR vs TERMINATED, and why). A session found by neither has ended.
    pub async fn session_status_now(
        &self,
        session: &str,
    ) -> Result<(SessionStatus, Option<String>)> {
        match self.session_info(session).await {
            Ok(info) => Ok((info.status, info.status_info.filter(|s| !s.is_empty()))),
            Err(Error::NotFound { .. }) => match self.session_status_record(session).await {
                Ok(rec) if rec.status.is_terminal() => {
                    Ok((rec.status, rec.status_info.filter(|s| !s.is_empty())))
                }
                _ => Ok((
                    SessionStatus::Terminated,
                    Some("the session no longer exists".into()),
                )),
            },
            Err(e) => Err(e),
        }
    }

    /// Wait until the session has ended ([`StatusPhase::Ended`]), checking every `every`; then
    /// its last status and why. A failed or slow check concludes nothing (the network may be
    /// down; that is no end). For what must not outlive a session: a launch's readiness
    /// probes, a tunnel held open.
    pub async fn session_end(
        &self,
        session: &str,
        every: Duration,
    ) -> (SessionStatus, Option<String>) {
        loop {
            tokio::time::sleep(every).await;
            match tokio::time::timeout(every, self.session_status_now(session)).await {
                Ok(Ok((status, info))) if status.phase() == StatusPhase::Ended => {
                    return (status, info);
                }
                Ok(Err(e)) => tracing::debug!(code = e.code(), "session check failed: {e}"),
                _ => {}
            }
        }
    }

    /// Follow a session with the default options (see [`FollowOptions`]).
    pub fn follow_session(&self, session_name: &str, session_id: &str) -> SessionUpdateStream {
        self.follow_session_with(session_name, session_id, FollowOptions::default())
    }

    /// Follow a session: SSE by name (what the manager accepts), polling by id.
    pub fn follow_session_with(
        &self,
        session_name: &str,
        session_id: &str,
        options: FollowOptions,
    ) -> SessionUpdateStream {
        let (tx, rx) = mpsc::channel(16);
        let follower = Follower {
            client: self.clone(),
            name: session_name.to_owned(),
            id: session_id.to_owned(),
            options,
            started: Instant::now(),
            last: None,
            tx,
        };
        tokio::spawn(follower.run());
        Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }))
    }
}

struct Follower {
    client: Client,
    name: String,
    id: String,
    options: FollowOptions,
    started: Instant,
    last: Option<(SessionStatus, Option<String>)>,
    tx: mpsc::Sender<Result<SessionUpdate>>,
}

/// Whether following goes on after an update.
#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

impl Follower {
    async fn run(mut self) {
        // Subscribe first, then read the current status, so no transition falls in between.
        let events = match self.client.session_events(&self.name).await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::debug!(code = e.code(), "session events unavailable; polling");
                None
            }
        };
        match self.poll_once().await {
            Ok((status, info)) => {
                if self.emit(status, info, UpdateSource::Polling).await == Flow::Stop {
                    return;
                }
            }
            Err(e) if e.is_transient() => {}
            Err(e) => {
                let _ = self.tx.send(Err(e)).await;
                return;
            }
        }
        if let Some(events) = events
            && self.follow_events(events).await == Flow::Stop
        {
            return;
        }
        self.poll_until_done().await;
    }

    /// Read events until the session is done (Stop) or the stream is given up (Continue).
    async fn follow_events(&mut self, mut events: SessionEventStream) -> Flow {
        loop {
            let next = tokio::select! {
                _ = self.tx.closed() => return Flow::Stop,
                n = tokio::time::timeout(self.options.sse_idle_timeout, events.next()) => n,
            };
            let event = match next {
                Err(_silent) => {
                    tracing::debug!("session events silent; polling instead");
                    return Flow::Continue;
                }
                Ok(None) => {
                    tracing::debug!("session event stream ended early; polling instead");
                    return Flow::Continue;
                }
                Ok(Some(Err(e))) => {
                    tracing::debug!(
                        code = e.code(),
                        "session event stream failed; polling instead"
                    );
                    return Flow::Continue;
                }
                Ok(Some(Ok(ev))) => ev,
            };
            let Some(status) = event.kind.status() else {
                continue;
            };
            if status.is_terminal() {
                // The event names the end but not always how it ended (ERROR vs CANCELLED):
                // the session record says, when it is still there.
                let (status, info) = match self.poll_once().await {
                    Ok((s, i)) if s.is_terminal() => (s, i),
                    _ => (status, event.reason),
                };
                self.emit(status, info, UpdateSource::Events).await;
                return Flow::Stop;
            }
            if self.emit(status, event.reason, UpdateSource::Events).await == Flow::Stop {
                return Flow::Stop;
            }
        }
    }

    async fn poll_until_done(&mut self) {
        let mut failures = 0;
        loop {
            tokio::select! {
                _ = self.tx.closed() => return,
                _ = tokio::time::sleep(self.options.poll_interval) => {}
            }
            match self.poll_once().await {
                Ok((status, info)) => {
                    failures = 0;
                    if self.emit(status, info, UpdateSource::Polling).await == Flow::Stop {
                        return;
                    }
                }
                Err(e) if e.is_transient() && failures < MAX_POLL_FAILURES => {
                    failures += 1;
                    tracing::debug!(code = e.code(), failures, "polling failed; retrying");
                }
                Err(e) => {
                    let _ = self.tx.send(Err(e)).await;
                    return;
                }
            }
        }
    }

    async fn poll_once(&self) -> Result<(SessionStatus, Option<String>)> {
        self.client.session_status_now(&self.id).await
    }

    /// Send an update if something changed; Stop once RUNNING, terminal, or nobody listens.
    async fn emit(
        &mut self,
        status: SessionStatus,
        status_info: Option<String>,
        source: UpdateSource,
    ) -> Flow {
        let done = status.is_running() || status.is_terminal();
        let key = (status.clone(), status_info.clone());
        if self.last.as_ref() != Some(&key) {
            self.last = Some(key);
            let update = SessionUpdate {
                status,
                status_info,
                elapsed: self.started.elapsed(),
                source,
            };
            if self.tx.send(Ok(update)).await.is_err() {
                return Flow::Stop;
            }
        }
        if done { Flow::Stop } else { Flow::Continue }
    }
}
