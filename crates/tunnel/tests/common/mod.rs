//! Shared helpers: a testkit, a client for it, a running session.
#![allow(dead_code)]

pub mod http;
pub mod jupyter;
pub mod ws;

use std::time::Duration;

use self::http::{Conn, app_server, authorize};
use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
use bai_core::{Endpoint, EndpointKind};
use bai_testkit::{ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Config, Schedule, TestKit};
use bai_tunnel::{Tunnel, TunnelConfig, TunnelHandle};
use futures_util::StreamExt;

pub const IMAGE: &str = "cr.backend.ai/stable/python:3.9-ubuntu20.04";

pub async fn kit() -> TestKit {
    kit_with(Config {
        schedule: Schedule::uniform(Duration::from_millis(20)),
        ..Config::default()
    })
    .await
}

pub async fn kit_with(config: Config) -> TestKit {
    TestKit::start(config).await.expect("testkit starts")
}

pub fn client(kit: &TestKit) -> Client {
    let mut c = ClientConfig::new(
        Endpoint::parse(&kit.manager_url()).expect("endpoint"),
        EndpointKind::Api,
    );
    c.timeout = Duration::from_secs(20);
    Client::new(c, Credentials::keypair(ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY)).expect("client")
}

pub fn name(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Create a session and wait until it runs; returns its id.
pub async fn running_session(client: &Client) -> String {
    let created = client
        .create_session(&CreateSession::new(name("tun"), IMAGE))
        .await
        .expect("create");
    let mut updates = client.follow_session(&created.session_name, &created.session_id);
    while let Some(u) = updates.next().await {
        if u.expect("update").status.is_running() {
            return created.session_id;
        }
    }
    panic!("session never ran");
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// A tunnel to a test app behind a running session, and its cookie.
pub struct Setup {
    pub kit: bai_testkit::TestKit,
    pub tunnel: TunnelHandle,
    pub cookie: String,
}

pub async fn setup(config: TunnelConfig) -> Setup {
    setup_with(config, app_server().await).await
}

/// [`setup`], with the app at `app`.
pub async fn setup_with(config: TunnelConfig, app: std::net::SocketAddr) -> Setup {
    let kit = kit().await;
    kit.control().set_app_target("jupyter", app);
    let client = client(&kit);
    let id = running_session(&client).await;
    let tunnel = Tunnel::start(client, &id, "jupyter", config)
        .await
        .expect("tunnel");
    let cookie = authorize(tunnel.auth_url().expose()).await;
    Setup {
        kit,
        tunnel,
        cookie,
    }
}

impl Setup {
    pub async fn conn(&self) -> Conn {
        Conn::open(self.tunnel.local_addr(), Some(&self.cookie))
            .await
            .expect("connect")
    }
}

/// Wait until the tunnel counts `n` open connections.
pub async fn wait_open(t: &TunnelHandle, n: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while t.stats().connections_open != n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "connections still open: {:?}",
            t.stats()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
