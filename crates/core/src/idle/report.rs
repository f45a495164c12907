//! What a cluster says about a session's idle checkers: the GraphQL `idle_checks` JSON of
//! `compute_session_list` (`manager/idle.py: get_batch_idle_check_report`), per checker
//! `{remaining, remaining_time_type, extra}`.
//!
//! `remaining` is seconds as of the manager's last check (every 15 s), `-1` once the checker
//! has expired, and `null` when there is nothing to report (e.g. `network_timeout` before the
//! session's first app connection, or while a connection is active). A cluster that sends no
//! `idle_checks`, an empty object, or something this client cannot read reports nothing: that
//! is never an error, the session simply shows no idle deadline.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The checkers Backend.AI ships; others are kept by name and shown as reported.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Checker {
    /// No app traffic for a while (`network_timeout`): app connections reset it.
    NetworkTimeout,
    /// The session has run for its resource policy's `max_session_lifetime`: nothing resets it.
    SessionLifetime,
    /// Average utilization under the thresholds over a time window: only real use resets it.
    Utilization,
    /// A checker this client does not know, by its name.
    #[serde(untagged)]
    Other(String),
}

impl Checker {
    pub fn parse(name: &str) -> Checker {
        match name {
            "network_timeout" => Checker::NetworkTimeout,
            "session_lifetime" => Checker::SessionLifetime,
            "utilization" => Checker::Utilization,
            other => Checker::Other(other.to_owned()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Checker::NetworkTimeout => "network_timeout",
            Checker::SessionLifetime => "session_lifetime",
            Checker::Utilization => "utilization",
            Checker::Other(n) => n,
        }
    }

    /// How a person would call it.
    pub fn label(&self) -> String {
        match self {
            Checker::NetworkTimeout => "no network activity".into(),
            Checker::SessionLifetime => "session lifetime".into(),
            Checker::Utilization => "low utilization".into(),
            Checker::Other(n) => n.replace('_', " "),
        }
    }

    /// What, if anything, puts the checker's deadline back.
    pub fn reset_by(&self) -> ResetBy {
        match self {
            Checker::NetworkTimeout => ResetBy::Traffic,
            Checker::Utilization => ResetBy::RealUse,
            Checker::SessionLifetime | Checker::Other(_) => ResetBy::Nothing,
        }
    }
}

/// What resets a checker: whether a "Keep alive" can honestly be offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResetBy {
    /// Traffic through the session's app proxy (the tunnel's): "Keep alive" works.
    Traffic,
    /// Only the session's own work (CPU/GPU use) counts; a button could not help.
    RealUse,
    /// Nothing: the session ends at its deadline whatever happens.
    Nothing,
}

/// How the manager counts a checker's `remaining`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemainingKind {
    /// Seconds until the session is reclaimed.
    ExpireAfter,
    /// Seconds of grace before the checker starts judging (utilization's initial window).
    GracePeriod,
}

/// One checker's state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdleCheck {
    pub checker: Checker,
    /// Seconds left as of the manager's last check; `Some(0.0)` once expired (`-1` on the
    /// wire); `None` when the manager reports nothing.
    pub remaining_secs: Option<f64>,
    pub kind: RemainingKind,
    /// Utilization averages against their thresholds, metric → (average, threshold).
    pub utilization: BTreeMap<String, (f64, f64)>,
}

impl IdleCheck {
    /// The checker counts down to a reclaim (not a grace period) and reported a time.
    pub fn deadline_secs(&self) -> Option<f64> {
        match self.kind {
            RemainingKind::ExpireAfter => self.remaining_secs,
            RemainingKind::GracePeriod => None,
        }
    }

    /// Every reported utilization is under its threshold (the session looks idle to the
    /// checker); `None` when nothing is reported.
    pub fn under_thresholds(&self) -> Option<bool> {
        if self.utilization.is_empty() {
            return None;
        }
        Some(self.utilization.values().all(|(avg, thr)| avg < thr))
    }
}

/// A session's idle checkers, as reported. Empty when the cluster reports none.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct IdleReport {
    pub checks: Vec<IdleCheck>,
}

impl IdleReport {
    /// Read `idle_checks` as the manager sends it: a JSON string (GraphQL `JSONString`) or an
    /// object. Anything unreadable gives an empty report, and a checker that cannot be read is
    /// left out, so one odd entry never hides the others.
    pub fn from_json(value: &Value) -> IdleReport {
        let parsed;
        let obj = match value {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(v) => {
                    parsed = v;
                    parsed.as_object()
                }
                Err(_) => None,
            },
            Value::Object(_) => value.as_object(),
            _ => None,
        };
        let Some(obj) = obj else {
            return IdleReport::default();
        };
        let mut checks: Vec<IdleCheck> = obj
            .iter()
            .filter_map(|(name, v)| read_check(name, v))
            .collect();
        checks.sort_by(|a, b| a.checker.cmp(&b.checker));
        IdleReport { checks }
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    pub fn get(&self, checker: &Checker) -> Option<&IdleCheck> {
        self.checks.iter().find(|c| &c.checker == checker)
    }

    /// The checker that reclaims the session first, and its seconds left.
    pub fn first_deadline(&self) -> Option<(&IdleCheck, f64)> {
        self.checks
            .iter()
            .filter_map(|c| c.deadline_secs().map(|s| (c, s)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

fn read_check(name: &str, v: &Value) -> Option<IdleCheck> {
    let o = v.as_object()?;
    let kind = match o.get("remaining_time_type").and_then(Value::as_str) {
        Some("grace_period") => RemainingKind::GracePeriod,
        Some("expire_after") | None => RemainingKind::ExpireAfter,
        Some(_) => return None,
    };
    let remaining_secs = match o.get("remaining") {
        Some(Value::Number(n)) => n.as_f64().filter(|f| f.is_finite()).map(|f| f.max(0.0)),
        _ => None,
    };
    let utilization = o
        .get("extra")
        .and_then(|e| e.get("resources"))
        .and_then(Value::as_object)
        .map(|r| {
            r.iter()
                .filter_map(|(metric, pair)| {
                    let p = pair.as_array()?;
                    let avg = p.first()?.as_f64()?;
                    let thr = p.get(1)?.as_f64()?;
                    Some((metric.clone(), (avg, thr)))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(IdleCheck {
        checker: Checker::parse(name),
        remaining_secs,
        kind,
        utilization,
    })
}

/// Serde: `idle_checks` in a session summary, tolerant of anything.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IdleReport, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.map(|v| IdleReport::from_json(&v)).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_managers_report_as_a_json_string() {
        // As 26.9.6's `get_batch_idle_check_report` answers, msgpack'd NamedTuples as arrays.
        let wire = json!({
            "network_timeout": {"remaining": 542.25, "remaining_time_type": "expire_after", "extra": null},
            "session_lifetime": {"remaining": -1, "remaining_time_type": "expire_after", "extra": null},
            "utilization": {"remaining": 30.0, "remaining_time_type": "grace_period",
                "extra": {"thresholds_check_operator": "and",
                          "resources": {"cpu_util": [3.5, 10.0], "cuda_util": [0.0, 5.0]}}},
        })
        .to_string();
        let r = IdleReport::from_json(&Value::String(wire));
        assert_eq!(r.checks.len(), 3);
        let net = r.get(&Checker::NetworkTimeout).expect("network");
        assert_eq!(net.remaining_secs, Some(542.25));
        assert_eq!(net.checker.reset_by(), ResetBy::Traffic);
        let life = r.get(&Checker::SessionLifetime).expect("lifetime");
        assert_eq!(life.remaining_secs, Some(0.0), "-1 means expired");
        let util = r.get(&Checker::Utilization).expect("utilization");
        assert_eq!(util.kind, RemainingKind::GracePeriod);
        assert_eq!(util.deadline_secs(), None, "a grace period is no deadline");
        assert_eq!(util.utilization["cuda_util"], (0.0, 5.0));
        assert_eq!(util.under_thresholds(), Some(true));
        let (first, secs) = r.first_deadline().expect("deadline");
        assert_eq!(
            (first.checker.clone(), secs),
            (Checker::SessionLifetime, 0.0)
        );
    }

    #[test]
    fn a_cluster_that_reports_nothing_readable_reports_nothing() {
        for v in [
            Value::Null,
            json!("{}"),
            json!({}),
            json!("not json"),
            json!([1, 2]),
            json!(42),
            json!({"network_timeout": "soon"}),
            json!({"network_timeout": {"remaining": 5, "remaining_time_type": "someday"}}),
        ] {
            assert!(IdleReport::from_json(&v).is_empty(), "{v}");
        }
        let r = IdleReport::from_json(&json!({
            "network_timeout": {"remaining": null, "remaining_time_type": "expire_after"},
            "gpu_fairness": {"remaining": 60, "remaining_time_type": "expire_after"},
            "broken": 7,
        }));
        assert_eq!(r.checks.len(), 2, "one odd entry hides nothing else");
        assert_eq!(
            r.get(&Checker::NetworkTimeout)
                .and_then(|c| c.remaining_secs),
            None
        );
        let other = r.get(&Checker::Other("gpu_fairness".into())).expect("kept");
        assert_eq!(other.checker.reset_by(), ResetBy::Nothing);
        assert_eq!(other.checker.label(), "gpu fairness");
    }
}
