//! What every connection of one tunnel shares.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use bai_core::client::Client;
use tokio_util::sync::CancellationToken;

use crate::auth::Access;
use crate::config::TunnelConfig;
use crate::limits::Pending;
use crate::spares::Spares;
use crate::stats::Counters;

#[derive(Debug)]
pub struct Shared {
    pub client: Client,
    pub session: String,
    pub app: String,
    pub config: TunnelConfig,
    pub access: Access,
    pub counters: Arc<Counters>,
    pub spares: Spares,
    pub pending: Arc<Pending>,
    /// The app has answered through this tunnel: a later failure is a lost connection, not
    /// an app still starting.
    pub was_up: AtomicBool,
    /// Cancelled by `close()`: every connection ends with it, upgraded ones (a notebook's
    /// kernel WebSockets) included.
    pub stop: CancellationToken,
}
