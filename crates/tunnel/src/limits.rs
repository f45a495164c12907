//! Limits that keep a flood from another local process from starving the launcher's own
//! connections: connections that have not yet shown the launch's cookie are capped, and the
//! file-descriptor limit is raised once so that the cap, not the OS, is what bites.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Once, PoisonError};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The connections that have not shown the cookie yet.
#[derive(Debug, Default)]
pub struct Pending {
    inner: Mutex<PendingInner>,
}

#[derive(Debug, Default)]
struct PendingInner {
    next: u64,
    queue: VecDeque<(u64, Instant, CancellationToken)>,
}

/// A connection's place among the pending; leaving it (drop) frees the place.
#[derive(Debug)]
pub struct PendingGuard {
    pending: Arc<Pending>,
    id: u64,
    /// Cancelled when the connection is dropped to make room.
    pub evicted: CancellationToken,
}

impl Pending {
    /// Take a place, dropping the oldest waiting connection if all `cap` are taken. Refusing
    /// the newcomer instead would let a standing flood lock the launcher's own new connections
    /// out; they send their request at once, so the oldest is the one least likely to be ours.
    pub fn enter(self: &Arc<Self>, cap: usize) -> PendingGuard {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        while inner.queue.len() >= cap.max(1) {
            if let Some((_, _, token)) = inner.queue.pop_front() {
                token.cancel();
            }
        }
        inner.next += 1;
        let id = inner.next;
        let evicted = CancellationToken::new();
        inner.queue.push_back((id, Instant::now(), evicted.clone()));
        PendingGuard {
            pending: self.clone(),
            id,
            evicted,
        }
    }

    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .queue
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        let mut inner = self
            .pending
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = inner.queue.iter().position(|(id, _, _)| *id == self.id) {
            inner.queue.remove(i);
        }
    }
}

/// Raise the soft open-files limit to the hard limit, once per process.
pub fn raise_fd_limit() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(n) => tracing::debug!(limit = n, "open files limit"),
            Err(e) => tracing::debug!(error = %e, "cannot raise the open files limit"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_drops_the_oldest_waiting_connection() {
        let p = Arc::new(Pending::default());
        let a = p.enter(2);
        let b = p.enter(2);
        let c = p.enter(2);
        assert!(a.evicted.is_cancelled(), "the oldest made room");
        assert!(!b.evicted.is_cancelled() && !c.evicted.is_cancelled());
        assert_eq!(p.len(), 2);
        drop(c);
        assert_eq!(p.len(), 1);
        drop(a);
        assert_eq!(p.len(), 1, "an evicted guard does not free another's place");
    }
}
