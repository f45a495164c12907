//! Waits that last, said on stderr: an elapsed-time line with the limit after a second of
//! silence (so nothing looks frozen), then fewer and fewer (so a pipe or a log is not flooded
//! during a long queue). The one place for how `bai` talks through a wait: the launch's steps
//! and `terminate`'s wait for the end use it alike.

use std::time::Duration;

use tokio::time::Instant;

/// One wait with a limit, and when something was last said about it.
#[derive(Debug)]
pub struct Waiting {
    since: Instant,
    last_line: Instant,
    limit: Duration,
}

impl Waiting {
    pub fn new(limit: Duration) -> Self {
        let now = Instant::now();
        Waiting {
            since: now,
            last_line: now,
            limit,
        }
    }

    /// Something was said (a new status): the silence starts again, the wait goes on.
    pub fn said(&mut self) {
        self.last_line = Instant::now();
    }

    /// `still waiting for WHAT: 12s of at most 30m`, when the wait has been silent long
    /// enough; call it about once a second.
    pub fn due(&mut self, what: &str) -> Option<String> {
        let waited = self.since.elapsed();
        if self.last_line.elapsed() < quiet_gap(waited) {
            return None;
        }
        self.said();
        Some(format!(
            "still waiting for {what}: {} of at most {}",
            human(waited),
            human(self.limit)
        ))
    }
}

/// How long a wait may stay silent: a second at first, then 5 s, then 30 s once it has lasted
/// minutes.
fn quiet_gap(waited: Duration) -> Duration {
    match waited.as_secs() {
        0..2 => Duration::from_secs(1),
        2..120 => Duration::from_secs(5),
        _ => Duration::from_secs(30),
    }
}

/// `45s`, `2m`, `2m 5s`, `1h 5m` (whole seconds: these are waits, not measurements).
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_for_people() {
        let s = Duration::from_secs;
        assert_eq!(human(s(45)), "45s");
        assert_eq!(human(s(120)), "2m");
        assert_eq!(human(s(125)), "2m 5s");
        assert_eq!(human(s(30 * 60)), "30m");
        assert_eq!(human(s(3900)), "1h 5m");
    }

    #[test]
    fn a_line_after_a_second_then_every_5_s_then_every_30_s() {
        // The decision `due` makes each second, over a 200 s wait.
        let (mut last, mut said) = (0, Vec::new());
        for second in 1..=200u64 {
            let gap = quiet_gap(Duration::from_secs(second));
            if Duration::from_secs(second - last) >= gap {
                said.push(second);
                last = second;
            }
        }
        assert_eq!(&said[..4], [1, 6, 11, 16]);
        let late: Vec<_> = said.iter().filter(|s| **s > 120).collect();
        assert_eq!(late, [&146, &176]);
    }
}
