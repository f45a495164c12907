//! The idle guard in the service: after each list, warn before a checker reclaims a session
//! and when an accelerated session sits idle ([`crate::idle::guard`] decides when); "Keep
//! alive" for the one checker traffic resets; "Keep" for the spend guard.

use std::time::Instant;

use super::SessionService;
use super::events::{LiveEvent, Notice, NoticeKind, NoticeSession};
use super::views::{Problem, SessionView, SessionsSnapshot};
use crate::idle::{Checker, IdleAlert, IdleSettings, ResetBy, duration_words};
use crate::launch::ProbeOutcome;

impl SessionService {
    /// What the user chose for idle warnings (the app's settings); applies from the next list.
    pub fn set_idle_settings(&self, settings: IdleSettings) {
        *self.inner.maps.idle_settings() = settings;
    }

    pub fn idle_settings(&self) -> IdleSettings {
        *self.inner.maps.idle_settings()
    }

    /// Give the idle warnings a fresh list calls for.
    pub(super) fn guard_idle(&self, snapshot: &SessionsSnapshot) {
        if snapshot.error.is_some() {
            return;
        }
        let settings = self.idle_settings();
        let alerts = {
            let mut guards = self.inner.maps.idle_guards();
            let guard = guards.entry(snapshot.profile_id.clone()).or_default();
            guard.observe(&snapshot.sessions, &settings, Instant::now())
        };
        for alert in alerts {
            let notice = idle_notice(snapshot, &alert);
            tracing::info!(profile = %snapshot.profile_name, title = %notice.title, "idle warning");
            self.publish(LiveEvent::Notice(notice));
        }
    }

    /// Forget the idle warnings of profiles no longer watched.
    pub(super) fn forget_idle(&self, watched: &std::collections::HashSet<String>) {
        self.inner
            .maps
            .idle_guards()
            .retain(|id, _| watched.contains(id));
    }

    /// "Keep" on a spend warning: the session's idle time counts from now again.
    pub fn keep_idle_session(&self, profile_id: &str, session_id: &str) {
        if let Some(g) = self.inner.maps.idle_guards().get_mut(profile_id) {
            g.keep(session_id, Instant::now());
        }
    }

    /// "Keep alive": app traffic through the session's proxy, which resets the cluster's
    /// network-timeout checker. Through the session's open tunnel when there is one, else
    /// through a tunnel opened for the purpose and closed again. Refused for a session whose
    /// checkers traffic cannot reset (utilization, lifetime): a button would be a lie.
    pub async fn keep_alive(&self, profile_id: &str, session_id: &str) -> Result<(), Problem> {
        let view = self
            .inner
            .maps
            .snapshots()
            .get(profile_id)
            .and_then(|s| s.sessions.iter().find(|v| v.id == session_id).cloned())
            .ok_or_else(|| {
                Problem::new(
                    "not-found",
                    "That session is not in the list any more; refresh and try again.",
                )
            })?;
        if !view.idle.iter().any(|c| c.reset_by == ResetBy::Traffic) {
            return Err(Problem::new(
                "keep-alive-not-offered",
                format!(
                    "\"{}\" has no idle checker that traffic resets; only real use of the session counts.",
                    view.name
                ),
            ));
        }
        let open = self
            .inner
            .maps
            .tunnels()
            .values()
            .find(|t| t.session_id == session_id)
            .map(|t| t.tunnel.clone());
        let outcome = match open {
            Some(tunnel) => tunnel.probe().await,
            None => {
                let app = keep_alive_app(&view).ok_or_else(|| {
                    Problem::new(
                        "no-app",
                        format!("\"{}\" offers no web app to send traffic to.", view.name),
                    )
                })?;
                let profile = self.profile(profile_id).await.map_err(|e| self.word(&e))?;
                let client = self.connect(&profile).await.map_err(|e| self.word(&e))?;
                let tunnel = self
                    .inner
                    .opener
                    .open(&client, session_id, &app)
                    .await
                    .map_err(|e| Problem::new("tunnel-failed", e))?;
                let outcome = tunnel.probe().await;
                tunnel.close();
                outcome
            }
        };
        self.wake(profile_id);
        match outcome {
            ProbeOutcome::Ready => {
                tracing::info!(session = %view.name, "kept alive with app traffic");
                Ok(())
            }
            ProbeOutcome::NotYet(why) | ProbeOutcome::Failed(why) => Err(Problem::new(
                "keep-alive-failed",
                format!("The session's app did not answer: {why}"),
            )),
            ProbeOutcome::Tls { detail, .. } => Err(Problem::new("tls-error", detail)),
        }
    }
}

/// The app whose proxy carries the keep-alive: a notebook if the session has one.
fn keep_alive_app(view: &SessionView) -> Option<String> {
    ["jupyterlab", "jupyter"]
        .iter()
        .find(|a| view.apps.iter().any(|x| x == *a))
        .map(|a| (*a).to_owned())
        .or_else(|| view.apps.first().cloned())
}

fn idle_notice(snapshot: &SessionsSnapshot, alert: &IdleAlert) -> Notice {
    let profile = &snapshot.profile_name;
    match alert {
        IdleAlert::Reclaim {
            session_id,
            session_name,
            checker,
            remaining,
            reset_by,
        } => {
            let left = duration_words(*remaining);
            let what = match reset_by {
                ResetBy::Traffic => {
                    "Use the notebook, or choose Keep alive in the launcher or the tray.".to_owned()
                }
                ResetBy::RealUse => {
                    "Only real work in the session resets this; save your work.".to_owned()
                }
                ResetBy::Nothing if *checker == Checker::SessionLifetime => {
                    "Nothing extends a session's lifetime; save your work.".to_owned()
                }
                ResetBy::Nothing => "Save your work.".to_owned(),
            };
            Notice {
                kind: NoticeKind::IdleWarning,
                title: format!("{session_name}: ends in {left}"),
                body: format!(
                    "The cluster ends \"{session_name}\" on {profile} in {left} ({}). {what}",
                    checker.label()
                ),
                session: Some(target(snapshot, session_id, session_name)),
            }
        }
        IdleAlert::Spend {
            session_id,
            session_name,
            idle_for,
        } => Notice {
            kind: NoticeKind::IdleSpend,
            title: format!("{session_name} is idle and holds accelerators"),
            body: format!(
                "\"{session_name}\" on {profile} has been idle for {} and still holds its accelerators. Open the launcher to Terminate or Keep it.",
                duration_words(*idle_for)
            ),
            session: Some(target(snapshot, session_id, session_name)),
        },
    }
}

fn target(snapshot: &SessionsSnapshot, session_id: &str, session_name: &str) -> NoticeSession {
    NoticeSession {
        profile_id: snapshot.profile_id.clone(),
        session_id: session_id.to_owned(),
        session_name: session_name.to_owned(),
    }
}
