//! `bai-testkit`: a Backend.AI-compatible server on 127.0.0.1 for tests and the demo.
//!
//! Two listeners: the manager API (HMAC-signed, plus `/__testkit` controls behind a random
//! token) and the web UI server (`/server/login`, `/func/*`). JupyterLab, when on, listens on a
//! private Unix socket that only the tcpproxy reaches. See the crate README for the API and
//! defaults.

mod auth;
pub mod config;
pub mod control;
mod control_auth;
pub mod delay;
mod encoded;
mod events;
mod gql;
pub mod idle;
mod jupyter;
mod problem;
mod resources;
mod server;
pub mod sessions;
mod sshd;
mod state;
mod stream;
mod tls;
mod webserver;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use auth::{LATEST_VERSION, MANAGER_VERSION, VALID_VERSIONS};
pub use config::{
    ADMIN_ACCESS_KEY, ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_SECRET_KEY, Capacity, Config, Folder,
    Image, JupyterMode, Keypair, Schedule, ServicePort, USER_ACCESS_KEY, USER_EMAIL, USER_PASSWORD,
    USER_SECRET_KEY, User,
};
pub use control::{Control, FaultKind, FaultRule, RecordedRequest, SessionSummary};
pub use jupyter::{
    JUPYTER_ENV, JupyterProcess, find_executable as find_jupyter, venv_dir as jupyter_venv_dir,
};
pub use sessions::Status;
pub use sshd::{SSHD_ENV, find_sshd};
pub use tls::TlsMaterial;

use state::{AppState, Shared};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on 127.0.0.1:{port} ({what}): {source}; pick another port or 0")]
    Bind {
        what: &'static str,
        port: u16,
        source: std::io::Error,
    },
    #[error("JupyterLab did not start: {0}")]
    Jupyter(String),
    #[error("cannot serve HTTPS: {0}")]
    Tls(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// A running testkit. Dropping it stops the listeners and kills JupyterLab.
#[derive(Debug)]
pub struct TestKit {
    state: AppState,
    manager_addr: SocketAddr,
    webserver_addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// Set when both listeners serve HTTPS (see [`TestKit::start_https`]).
    tls: Option<TlsMaterial>,
    /// The delaying relay in front of the manager listener (`Config::manager_rtt`).
    delayed: Option<delay::DelayRelay>,
}

async fn bind(what: &'static str, port: u16) -> Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|source| Error::Bind { what, port, source })
}

fn serve(
    listener: TcpListener,
    app: axum::Router,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        // Like the real manager (aiohttp): no Nagle delay on small frames and answers.
        use axum::serve::ListenerExt;
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("listener stopped: {e}");
        }
    })
}

/// [`serve`] behind a TLS handshake.
fn serve_tls(
    listener: TcpListener,
    tls: &TlsMaterial,
    app: axum::Router,
    mut stop: watch::Receiver<bool>,
) -> Result<JoinHandle<()>> {
    let listener = tls::TlsListener::new(listener, tls).map_err(|e| Error::Tls(e.to_string()))?;
    Ok(tokio::spawn(async move {
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("listener stopped: {e}");
        }
    }))
}

impl TestKit {
    /// Binds both listeners (port 0 = any free port) and starts serving.
    pub async fn start(config: Config) -> Result<TestKit> {
        TestKit::start_with(config, None).await
    }

    /// Like [`start`](TestKit::start), but both listeners serve HTTPS with a certificate from a
    /// private CA made for this run; [`ca_pem`](TestKit::ca_pem) is what a client must trust.
    pub async fn start_https(config: Config) -> Result<TestKit> {
        let tls = TlsMaterial::generate().map_err(Error::Tls)?;
        TestKit::start_with(config, Some(tls)).await
    }

    async fn start_with(mut config: Config, tls: Option<TlsMaterial>) -> Result<TestKit> {
        let m = bind("manager", config.manager_port).await?;
        let w = bind("webserver", config.webserver_port).await?;
        let manager_addr = m.local_addr().map_err(|source| Error::Bind {
            what: "manager",
            port: config.manager_port,
            source,
        })?;
        let webserver_addr = w.local_addr().map_err(|source| Error::Bind {
            what: "webserver",
            port: config.webserver_port,
            source,
        })?;
        config.manager_port = manager_addr.port();
        config.webserver_port = webserver_addr.port();
        let eager = config.jupyter_eager && config.jupyter == JupyterMode::Auto;
        let state: AppState = Arc::new(Shared::new(config));
        if eager {
            state
                .jupyter
                .ensure_started()
                .await
                .map_err(Error::Jupyter)?;
        }
        let api = server::api_router(state.clone());
        let manager = server::manager_router(state.clone(), api.clone());
        let web = webserver::router(webserver::WebState {
            shared: state.clone(),
            api,
        })
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            server::date_header,
        ));
        let delayed = if state.config.manager_rtt.is_zero() {
            None
        } else {
            let relay = delay::DelayRelay::start(0, manager_addr, state.config.manager_rtt / 2)
                .await
                .map_err(|source| Error::Bind {
                    what: "manager (delaying relay)",
                    port: 0,
                    source,
                })?;
            Some(relay)
        };
        let (stop, rx) = watch::channel(false);
        let tasks = match &tls {
            None => vec![serve(m, manager, rx.clone()), serve(w, web, rx)],
            Some(t) => vec![
                serve_tls(m, t, manager, rx.clone())?,
                serve_tls(w, t, web, rx)?,
            ],
        };
        Ok(TestKit {
            state,
            manager_addr,
            webserver_addr,
            stop,
            tasks,
            tls,
            delayed,
        })
    }

    fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
    /// The manager's URL for clients: the delaying relay's when `Config::manager_rtt` is set.
    pub fn manager_url(&self) -> String {
        let addr = self
            .delayed
            .as_ref()
            .map_or(self.manager_addr, |d| d.addr());
        format!("{}://{}", self.scheme(), addr)
    }
    /// The manager listener itself, without the delaying relay.
    pub fn manager_direct_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.manager_addr)
    }
    pub fn webserver_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.webserver_addr)
    }
    /// The private CA's certificate (PEM) when serving HTTPS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.ca_pem.as_str())
    }
    pub fn config(&self) -> &Config {
        &self.state.config
    }
    pub fn control(&self) -> Control {
        Control {
            state: self.state.clone(),
        }
    }
    /// The bearer token that `/__testkit` requests must carry (`Authorization: Bearer ...`).
    /// Fresh for each start; keep it out of logs and command lines.
    pub fn control_token(&self) -> &str {
        self.state.control_token.expose()
    }
    /// The jupyter executable Auto mode uses, if any.
    pub fn jupyter_executable(&self) -> Option<std::path::PathBuf> {
        self.state.jupyter.executable()
    }
    /// JupyterLab's pid and Unix socket while it runs (it starts with the first
    /// jupyter/jupyterlab tunnel, or at start with `jupyter_eager`).
    pub async fn jupyter_process(&self) -> Option<JupyterProcess> {
        self.state.jupyter.process().await
    }

    /// The home directory of a session (its `/home/work`, where `.ssh/authorized_keys` is),
    /// made on first use.
    pub fn session_home(&self, name_or_id: &str) -> Option<std::path::PathBuf> {
        let (id, ak) = {
            let w = self.state.world();
            let s = w
                .sessions
                .iter()
                .rev()
                .find(|s| s.id.to_string() == name_or_id || s.name == name_or_id)?;
            (s.id, s.access_key.clone())
        };
        let registered = sshd::registered_key(&self.state, &ak);
        self.state.sshd.home(id, registered.as_deref()).ok()
    }

    /// The 127.0.0.1 address of each session's running sshd, by session id.
    pub async fn sshd_addresses(&self) -> std::collections::HashMap<uuid::Uuid, SocketAddr> {
        self.state.sshd.addresses().await
    }

    /// Stops accepting, gives open streams a moment, then stops JupyterLab.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            // SSE and tunnel connections never finish on their own.
            let abort = t.abort_handle();
            if tokio::time::timeout(Duration::from_secs(1), t)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.state.jupyter.stop().await;
        self.state.sshd.kill_now();
    }
}

impl Drop for TestKit {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
        self.state.jupyter.kill_now();
        self.state.sshd.kill_now();
    }
}
