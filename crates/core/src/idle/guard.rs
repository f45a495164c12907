//! When to warn about idle sessions: before a checker reclaims one, and when a session that
//! holds accelerators has sat idle too long (it keeps its allocation, and its cost, until
//! someone ends it). A plain state machine fed each fresh list; time is a parameter, so the
//! thresholds are tested without waiting.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::report::{Checker, ResetBy};
use crate::live::views::SessionView;

/// The default warnings: 10 minutes before the first checker expires, then at 2 minutes.
pub const DEFAULT_WARN_BEFORE_MINUTES: u32 = 10;
/// The last warning, whatever the first is set to.
pub const FINAL_WARNING: Duration = Duration::from_secs(120);

/// What the user chose (the app's Settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdleSettings {
    /// Warn this many minutes before a checker reclaims a session (0: no warnings).
    pub warn_before_minutes: u32,
    /// Warn when a session with accelerators has been idle this many minutes (None: never).
    pub spend_after_minutes: Option<u32>,
}

impl Default for IdleSettings {
    fn default() -> Self {
        IdleSettings {
            warn_before_minutes: DEFAULT_WARN_BEFORE_MINUTES,
            spend_after_minutes: None,
        }
    }
}

impl IdleSettings {
    /// The warning thresholds, longest first: the user's and the final one.
    pub fn thresholds(&self) -> Vec<Duration> {
        if self.warn_before_minutes == 0 {
            return Vec::new();
        }
        let first = Duration::from_secs(u64::from(self.warn_before_minutes) * 60);
        if first > FINAL_WARNING {
            vec![first, FINAL_WARNING]
        } else {
            vec![first]
        }
    }
}

/// A warning to give.
#[derive(Debug, Clone, PartialEq)]
pub enum IdleAlert {
    /// `checker` reclaims the session in `remaining`.
    Reclaim {
        session_id: String,
        session_name: String,
        checker: Checker,
        remaining: Duration,
        reset_by: ResetBy,
    },
    /// A session with accelerators has been idle for `idle_for`.
    Spend {
        session_id: String,
        session_name: String,
        idle_for: Duration,
    },
}

/// What has been said already, per session.
#[derive(Debug, Default)]
pub struct IdleGuard {
    /// (session, checker) → how many thresholds have been warned about.
    warned: HashMap<(String, Checker), usize>,
    /// Since when each accelerated session has looked idle.
    idle_since: HashMap<String, Instant>,
    spend_warned: HashSet<String>,
}

impl IdleGuard {
    /// Take in one fresh list; returns the warnings due now. Sessions no longer listed are
    /// forgotten.
    pub fn observe(
        &mut self,
        sessions: &[SessionView],
        settings: &IdleSettings,
        now: Instant,
    ) -> Vec<IdleAlert> {
        let listed: HashSet<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
        self.warned
            .retain(|(id, _), _| listed.contains(id.as_str()));
        self.idle_since.retain(|id, _| listed.contains(id.as_str()));
        self.spend_warned.retain(|id| listed.contains(id.as_str()));
        let thresholds = settings.thresholds();
        let mut alerts = Vec::new();
        for s in sessions.iter().filter(|s| s.is_running()) {
            for c in &s.idle {
                let Some(secs) = c.deadline_secs() else {
                    continue;
                };
                let remaining = Duration::from_secs(secs);
                let level = thresholds.iter().filter(|t| remaining <= **t).count();
                let key = (s.id.clone(), c.checker.clone());
                let said = self.warned.entry(key).or_insert(0);
                if level > *said {
                    alerts.push(IdleAlert::Reclaim {
                        session_id: s.id.clone(),
                        session_name: s.name.clone(),
                        checker: c.checker.clone(),
                        remaining,
                        reset_by: c.reset_by,
                    });
                }
                // Fewer thresholds crossed than said: the deadline moved back (kept alive),
                // so the warnings are due again when it nears.
                *said = level;
            }
            self.spend(s, settings, now, &mut alerts);
        }
        alerts
    }

    /// "Keep": the session's idle time starts again from now.
    pub fn keep(&mut self, session_id: &str, now: Instant) {
        if self.idle_since.contains_key(session_id) {
            self.idle_since.insert(session_id.to_owned(), now);
        }
        self.spend_warned.remove(session_id);
    }

    fn spend(
        &mut self,
        s: &SessionView,
        settings: &IdleSettings,
        now: Instant,
        alerts: &mut Vec<IdleAlert>,
    ) {
        let Some(minutes) = settings.spend_after_minutes else {
            return;
        };
        let idle = s.accelerated
            && s.idle
                .iter()
                .any(|c| c.checker == Checker::Utilization && c.under_thresholds == Some(true));
        if !idle {
            self.idle_since.remove(&s.id);
            self.spend_warned.remove(&s.id);
            return;
        }
        let since = *self.idle_since.entry(s.id.clone()).or_insert(now);
        let idle_for = now.saturating_duration_since(since);
        if idle_for >= Duration::from_secs(u64::from(minutes) * 60)
            && self.spend_warned.insert(s.id.clone())
        {
            alerts.push(IdleAlert::Spend {
                session_id: s.id.clone(),
                session_name: s.name.clone(),
                idle_for,
            });
        }
    }
}

/// "9 min", "1 min 30 s", "45 s": remaining time as a notice says it.
pub fn duration_words(d: Duration) -> String {
    let secs = d.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) if m < 5 => format!("{m} min {s} s"),
        (m, _) => format!("{m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::SessionSummary;
    use serde_json::json;

    fn view(id: &str, remaining: f64, accelerated: bool, util: Option<f64>) -> SessionView {
        let mut checks = json!({
            "network_timeout": {"remaining": remaining, "remaining_time_type": "expire_after"},
        });
        if let Some(u) = util {
            checks["utilization"] = json!({"remaining": -1, "remaining_time_type": "grace_period",
                "extra": {"resources": {"cuda_util": [u, 5.0]}}});
        }
        let mut slots = json!({"cpu": "1", "mem": "1073741824"});
        if accelerated {
            slots["cuda.shares"] = json!("0.5");
        }
        let s: SessionSummary = serde_json::from_value(json!({
            "id": id, "name": format!("nb-{id}"), "status": "RUNNING",
            "idle_checks": checks.to_string(), "occupying_slots": slots.to_string(),
        }))
        .expect("summary");
        SessionView::new(&s, false)
    }

    fn reclaims(alerts: &[IdleAlert]) -> Vec<u64> {
        alerts
            .iter()
            .filter_map(|a| match a {
                IdleAlert::Reclaim { remaining, .. } => Some(remaining.as_secs()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn warns_at_the_threshold_then_at_two_minutes_then_again_after_a_keep_alive() {
        let mut g = IdleGuard::default();
        let set = IdleSettings::default();
        let t = Instant::now();
        assert!(
            g.observe(&[view("a", 900.0, false, None)], &set, t)
                .is_empty()
        );
        assert_eq!(
            reclaims(&g.observe(&[view("a", 595.0, false, None)], &set, t)),
            [595]
        );
        assert!(
            g.observe(&[view("a", 400.0, false, None)], &set, t)
                .is_empty(),
            "said once"
        );
        assert_eq!(
            reclaims(&g.observe(&[view("a", 115.0, false, None)], &set, t)),
            [115]
        );
        assert!(
            g.observe(&[view("a", 60.0, false, None)], &set, t)
                .is_empty()
        );
        // Kept alive: the deadline is back at an hour, and the warnings are due again.
        assert!(
            g.observe(&[view("a", 3600.0, false, None)], &set, t)
                .is_empty()
        );
        assert_eq!(
            reclaims(&g.observe(&[view("a", 590.0, false, None)], &set, t)),
            [590]
        );
    }

    #[test]
    fn a_session_first_seen_close_to_its_end_gets_one_warning() {
        let mut g = IdleGuard::default();
        let set = IdleSettings::default();
        let t = Instant::now();
        assert_eq!(
            reclaims(&g.observe(&[view("a", 30.0, false, None)], &set, t)),
            [30]
        );
        assert!(
            g.observe(&[view("a", 20.0, false, None)], &set, t)
                .is_empty()
        );
        let off = IdleSettings {
            warn_before_minutes: 0,
            ..set
        };
        assert!(
            IdleGuard::default()
                .observe(&[view("b", 30.0, false, None)], &off, t)
                .is_empty()
        );
    }

    #[test]
    fn spend_guard_warns_once_per_idle_stretch_of_an_accelerated_session() {
        let mut g = IdleGuard::default();
        let set = IdleSettings {
            warn_before_minutes: 0,
            spend_after_minutes: Some(30),
        };
        let t = Instant::now();
        let idle = |id| view(id, 3600.0, true, Some(0.5));
        assert!(g.observe(&[idle("a")], &set, t).is_empty());
        assert!(
            g.observe(&[idle("a")], &set, t + Duration::from_secs(29 * 60))
                .is_empty()
        );
        let due = g.observe(&[idle("a")], &set, t + Duration::from_secs(30 * 60));
        assert!(matches!(&due[..], [IdleAlert::Spend { session_id, .. }] if session_id == "a"));
        assert!(
            g.observe(&[idle("a")], &set, t + Duration::from_secs(31 * 60))
                .is_empty()
        );
        // "Keep": another 30 minutes before the next warning.
        g.keep("a", t + Duration::from_secs(31 * 60));
        assert!(
            g.observe(&[idle("a")], &set, t + Duration::from_secs(60 * 60))
                .is_empty()
        );
        assert_eq!(
            g.observe(&[idle("a")], &set, t + Duration::from_secs(61 * 60))
                .len(),
            1
        );
        // Busy, or without accelerators, or without a utilization report: never.
        let mut g = IdleGuard::default();
        for v in [
            view("b", 3600.0, true, Some(50.0)),
            view("c", 3600.0, false, Some(0.0)),
            view("d", 3600.0, true, None),
        ] {
            assert!(g.observe(std::slice::from_ref(&v), &set, t).is_empty());
            assert!(
                g.observe(&[v], &set, t + Duration::from_secs(3600))
                    .is_empty()
            );
        }
    }

    #[test]
    fn words_for_time_left() {
        assert_eq!(duration_words(Duration::from_secs(45)), "45 s");
        assert_eq!(duration_words(Duration::from_secs(90)), "1 min 30 s");
        assert_eq!(duration_words(Duration::from_secs(600)), "10 min");
        assert_eq!(duration_words(Duration::from_secs(599)), "9 min");
    }
}
