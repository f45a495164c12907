//! Shared helpers: a testkit on loopback and clients for it.
#![allow(dead_code)]

pub mod echo;
pub mod service;

use std::time::Duration;

use bai_core::client::{Client, ClientConfig, Credentials, login};
use bai_core::{Endpoint, EndpointKind};
use bai_testkit::{Config, TestKit};
use secrecy::SecretString;

pub const ADMIN_AK: &str = "AKIAIOSFODNN7EXAMPLE";
pub const ADMIN_SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const ADMIN_EMAIL: &str = "admin@lablup.com";
pub const ADMIN_PASSWORD: &str = "wJalrXUt";
pub const IMAGE: &str = "cr.backend.ai/stable/python:3.9-ubuntu20.04";

pub async fn kit() -> TestKit {
    kit_with(Config::default()).await
}

pub async fn kit_with(config: Config) -> TestKit {
    TestKit::start(config).await.expect("testkit starts")
}

pub fn config(url: &str, kind: EndpointKind) -> ClientConfig {
    let mut c = ClientConfig::new(Endpoint::parse(url).expect("endpoint"), kind);
    c.timeout = Duration::from_secs(10);
    c
}

pub fn keypair_client(kit: &TestKit) -> Client {
    Client::new(
        config(&kit.manager_url(), EndpointKind::Api),
        Credentials::keypair(ADMIN_AK, ADMIN_SK),
    )
    .expect("client")
}

pub async fn webserver_client(kit: &TestKit) -> Client {
    let cfg = config(&kit.webserver_url(), EndpointKind::Webserver);
    let out = login(
        &cfg,
        ADMIN_EMAIL,
        &SecretString::from(ADMIN_PASSWORD.to_owned()),
        None,
    )
    .await
    .expect("login");
    Client::new(cfg, Credentials::login_session(out.session_id)).expect("client")
}

/// A unique valid session name per test.
pub fn name(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}
