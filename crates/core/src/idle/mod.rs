//! Idle sessions: what the cluster's idle checkers say about each session ([`report`]), how
//! it is shown ([`IdleCheckView`]), and when to warn ([`guard`]). The session service uses
//! them for the app's list, tray and notifications; `bai sessions --json` prints the report.
//!
//! Only the legacy `idle_checks` field can be read: Backend.AI 26.9.6's database-backed
//! checkers (BEP-1054) have exclude/include APIs but no per-session deadline to read yet.

pub mod guard;
pub mod report;

use serde::Serialize;

pub use guard::{IdleAlert, IdleGuard, IdleSettings, duration_words};
pub use report::{Checker, IdleCheck, IdleReport, RemainingKind, ResetBy};

/// Seconds shown are rounded to this, so a list does not change at every refresh.
const SHOWN_STEP_SECS: u64 = 5;

/// One checker of a session as a front end shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdleCheckView {
    pub checker: Checker,
    /// "no network activity", "session lifetime", "low utilization".
    pub label: String,
    /// Seconds left as of the last list (rounded down to 5 s); None: nothing reported.
    pub remaining_secs: Option<u64>,
    pub kind: RemainingKind,
    /// What resets it: "Keep alive" is offered only for `traffic`.
    pub reset_by: ResetBy,
    /// Utilization under every threshold (the checker would call it idle), where reported.
    pub under_thresholds: Option<bool>,
}

impl IdleCheckView {
    pub fn new(c: &IdleCheck) -> Self {
        IdleCheckView {
            checker: c.checker.clone(),
            label: c.checker.label(),
            remaining_secs: c
                .remaining_secs
                .map(|s| (s as u64) / SHOWN_STEP_SECS * SHOWN_STEP_SECS),
            kind: c.kind,
            reset_by: c.checker.reset_by(),
            under_thresholds: c.under_thresholds(),
        }
    }

    /// Seconds until this checker reclaims the session (not a grace period).
    pub fn deadline_secs(&self) -> Option<u64> {
        match self.kind {
            RemainingKind::ExpireAfter => self.remaining_secs,
            RemainingKind::GracePeriod => None,
        }
    }
}

/// Views of a report, soonest deadline first.
pub fn views(report: &IdleReport) -> Vec<IdleCheckView> {
    let mut v: Vec<IdleCheckView> = report.checks.iter().map(IdleCheckView::new).collect();
    v.sort_by_key(|c| c.deadline_secs().unwrap_or(u64::MAX));
    v
}

/// The session's first reclaim deadline, as "idle: 9 min (no network activity)".
pub fn first_deadline_words(checks: &[IdleCheckView]) -> Option<String> {
    let c = checks
        .iter()
        .filter(|c| c.deadline_secs().is_some())
        .min_by_key(|c| c.deadline_secs())?;
    let secs = c.deadline_secs()?;
    Some(format!(
        "{} left ({})",
        duration_words(std::time::Duration::from_secs(secs)),
        c.label
    ))
}
