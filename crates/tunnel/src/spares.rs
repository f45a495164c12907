//! Pre-opened WebSockets, so a new local connection skips the signed upgrade (and the
//! manager's connect to the app): a browser opens its connections in bursts (six at once per
//! host), and each fresh upgrade costs a round trip through the manager for TCP, one for TLS
//! and one for the upgrade itself; 100 ms away over `wss://` that is 300 ms before the first
//! byte instead of 100.
//!
//! The pool is warm while the tunnel is in use: from a new local connection's need of a
//! WebSocket until `idle` passes without one. While warm it holds `want` spares (a browser's
//! six), opened in parallel (a burst drains the pool at once, and one at a time the refill
//! would take six handshakes), and replaces each before it grows old (the app, or a proxy on
//! the way, may close an idle connection). Once idle it closes them all, so an idle tunnel
//! holds only the browser's kept-alive connections. Nothing is opened before the first use:
//! no idle connections to an app that nobody opened, and no churn while the app is still
//! starting. The browser's first request (`/`, redirected to `/lab`) opens its own WebSocket
//! while the pool fills beside it, so the burst for the page's assets finds it full.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::relay::Ws;

#[derive(Debug)]
pub struct Spares {
    state: Mutex<State>,
    want: usize,
    max_age: Duration,
    idle: Duration,
    wake: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Oldest first.
    pool: VecDeque<(Instant, Ws)>,
    /// The last time a new connection asked for a spare; `None`: never.
    used: Option<Instant>,
}

impl State {
    fn warm(&self, now: Instant, idle: Duration) -> bool {
        self.used.is_some_and(|u| now.duration_since(u) < idle)
    }
}

impl Spares {
    pub fn new(want: usize, max_age: Duration, idle: Duration) -> Self {
        Spares {
            state: Mutex::new(State::default()),
            want,
            max_age,
            idle,
            wake: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn enabled(&self) -> bool {
        self.want > 0
    }

    /// A live spare, if there is one; keeps the pool warm and asks for a refill either way.
    pub fn take(&self) -> Option<Ws> {
        if !self.enabled() {
            return None;
        }
        let mut state = self.state();
        state.used = Some(Instant::now());
        self.wake.notify_one();
        // The youngest first: the oldest may be about to be replaced.
        while let Some((at, mut ws)) = state.pool.pop_back() {
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

    /// How many spares to start opening now, given `opening` already under way. Drops the
    /// old ones, and all of them once the tunnel has been idle for `idle`.
    pub fn tend(&self, opening: usize) -> usize {
        let now = Instant::now();
        let mut state = self.state();
        if !state.warm(now, self.idle) {
            if !state.pool.is_empty() {
                tracing::debug!(closed = state.pool.len(), "tunnel idle: spares closed");
                state.pool.clear();
            }
            return 0;
        }
        state
            .pool
            .retain(|(at, _)| now.duration_since(*at) <= self.max_age);
        // Those past three quarters of their life are replaced ahead of time (and dropped
        // when their replacement arrives), so a burst never finds only old ones.
        let renew = self.max_age * 3 / 4;
        let young = state
            .pool
            .iter()
            .filter(|(at, _)| now.duration_since(*at) < renew)
            .count();
        self.want.saturating_sub(young + opening)
    }

    /// When [`tend`](Spares::tend) has something to do next without being woken: a spare
    /// coming due for renewal, or the pool going idle. `None`: only a wake-up.
    pub fn next_check(&self) -> Option<Instant> {
        let now = Instant::now();
        let state = self.state();
        if !state.warm(now, self.idle) {
            return None;
        }
        let idle_at = state.used.map(|u| u + self.idle);
        let renew = self.max_age * 3 / 4;
        let renew_at = state
            .pool
            .iter()
            .map(|(at, _)| *at + renew)
            .filter(|t| *t > now)
            .min();
        match (idle_at, renew_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A newly opened spare: kept while the tunnel is warm (the oldest goes when there are
    /// more than wanted), else closed.
    pub fn put(&self, ws: Ws) {
        let now = Instant::now();
        let mut state = self.state();
        if !state.warm(now, self.idle) {
            return;
        }
        state.pool.push_back((now, ws));
        while state.pool.len() > self.want {
            state.pool.pop_front();
        }
    }

    /// Spares held now.
    pub fn len(&self) -> usize {
        self.state().pool.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub async fn wanted(&self) {
        self.wake.notified().await;
    }

    pub fn clear(&self) {
        self.state().pool.clear();
    }
}
