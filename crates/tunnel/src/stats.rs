//! Live counters, shared by the accept loop and the connection tasks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use bai_core::launch::TunnelStats;

#[derive(Debug, Default)]
pub struct Counters {
    open: AtomicU64,
    total: AtomicU64,
    up: AtomicU64,
    down: AtomicU64,
    errors: AtomicU64,
    rejected: AtomicU64,
}

impl Counters {
    pub fn snapshot(&self) -> TunnelStats {
        TunnelStats {
            connections_open: self.open.load(Relaxed),
            connections_total: self.total.load(Relaxed),
            bytes_up: self.up.load(Relaxed),
            bytes_down: self.down.load(Relaxed),
            errors: self.errors.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
        }
    }

    /// Count a new connection; the guard counts it closed when dropped.
    pub fn opened(self: &Arc<Self>) -> OpenGuard {
        self.open.fetch_add(1, Relaxed);
        self.total.fetch_add(1, Relaxed);
        OpenGuard(self.clone())
    }

    pub fn add_up(&self, n: usize) {
        self.up.fetch_add(n as u64, Relaxed);
    }

    pub fn add_down(&self, n: usize) {
        self.down.fetch_add(n as u64, Relaxed);
    }

    pub fn error(&self) {
        self.errors.fetch_add(1, Relaxed);
    }

    pub fn rejected(&self) {
        self.rejected.fetch_add(1, Relaxed);
    }
}

#[derive(Debug)]
pub struct OpenGuard(Arc<Counters>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Relaxed);
    }
}
