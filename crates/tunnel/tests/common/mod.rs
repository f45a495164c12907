//! Shared helpers: a testkit, a client for it, a running session.
#![allow(dead_code)]

pub mod http;

use std::time::Duration;

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
use bai_core::{Endpoint, EndpointKind};
use bai_testkit::{ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Config, Schedule, TestKit};
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
