//! The [`TunnelOpener`] the launcher gets injected.

use std::sync::Arc;

use bai_core::client::Client;
use bai_core::launch::{AppTunnel, TunnelOpener};
use futures_util::future::BoxFuture;

use crate::config::TunnelConfig;
use crate::tunnel::Tunnel;

/// Opens [`Tunnel`]s with one configuration.
#[derive(Debug, Clone, Default)]
pub struct WsTunnelOpener {
    pub config: TunnelConfig,
}

impl WsTunnelOpener {
    pub fn new(config: TunnelConfig) -> Self {
        WsTunnelOpener { config }
    }
}

impl TunnelOpener for WsTunnelOpener {
    fn open<'a>(
        &'a self,
        client: &'a Client,
        session_id: &'a str,
        app: &'a str,
    ) -> BoxFuture<'a, Result<Arc<dyn AppTunnel>, String>> {
        Box::pin(async move {
            let handle = Tunnel::start(client.clone(), session_id, app, self.config.clone())
                .await
                .map_err(|e| e.to_string())?;
            Ok(Arc::new(handle) as Arc<dyn AppTunnel>)
        })
    }
}
