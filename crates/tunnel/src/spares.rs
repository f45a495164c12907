//! Pre-opened WebSockets, so a new local connection skips the signed upgrade (and the
//! manager's connect to the app): JupyterLab opens connections in bursts, and each fresh
//! upgrade costs a round trip through the manager.
//!
//! Filling starts only after the first local connection (no idle connections to an app that
//! nobody opened, and no churn while the app is still starting). A spare is used only while
//! young and still open; anything else is dropped and replaced.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::relay::Ws;

#[derive(Debug)]
pub struct Spares {
    pool: Mutex<VecDeque<(Instant, Ws)>>,
    want: usize,
    max_age: Duration,
    wake: Notify,
}

impl Spares {
    pub fn new(want: usize, max_age: Duration) -> Self {
        Spares {
            pool: Mutex::new(VecDeque::new()),
            want,
            max_age,
            wake: Notify::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.want > 0
    }

    /// A live spare, if there is one; asks for a refill either way.
    pub fn take(&self) -> Option<Ws> {
        if !self.enabled() {
            return None;
        }
        self.wake.notify_one();
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some((at, mut ws)) = pool.pop_front() {
            if at.elapsed() > self.max_age {
                continue;
            }
            // Anything already waiting on an unused spare (a close, 1013, an error) makes it
            // unusable; nothing waiting means it is open.
            if ws.next().now_or_never().is_none() {
                return Some(ws);
            }
        }
        None
    }

    /// How many more are wanted now.
    pub fn missing(&self) -> usize {
        let pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        self.want.saturating_sub(pool.len())
    }

    pub fn put(&self, ws: Ws) {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        pool.push_back((Instant::now(), ws));
    }

    pub async fn wanted(&self) {
        self.wake.notified().await;
    }

    pub fn clear(&self) {
        self.pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
