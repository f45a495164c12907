//! TLS everywhere a profile reaches the cluster, against the testkit serving HTTPS with a
//! private CA made for the test: API calls, detect and the webserver login trust the profile's
//! CA; without it each fails at once with `tls-failure` naming the unknown issuer and saying
//! what to set; skip-verify is the only way to accept the CA without its file.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bai_core::account;
use bai_core::client::{Client, Credentials, TlsOptions, detect};
use bai_core::profile::{Profile, ProfileDraft, TlsSettings};
use bai_core::{Endpoint, EndpointKind};
use bai_secrets::{MemoryStore, Secret, SecretKind, SecretRef, SecretStore};
use bai_testkit::{Config, Schedule, TestKit, TlsMaterial};
use common::*;

async fn https_kit() -> TestKit {
    TestKit::start_https(Config {
        schedule: Schedule::uniform(Duration::from_millis(20)),
        ..Config::default()
    })
    .await
    .expect("HTTPS testkit starts")
}

/// The kit's CA written to a file, as a user would point a profile at it.
fn ca_file(dir: &tempfile::TempDir, pem: &str) -> PathBuf {
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, pem).expect("write CA");
    path
}

fn profile(url: &str, kind: EndpointKind, tls: TlsSettings) -> Profile {
    ProfileDraft {
        name: "tls".into(),
        endpoint: url.into(),
        kind: Some(kind),
        access_key: (kind == EndpointKind::Api).then(|| ADMIN_AK.into()),
        email: (kind == EndpointKind::Webserver).then(|| ADMIN_EMAIL.into()),
        tls,
        ..ProfileDraft::default()
    }
    .into_profile()
    .expect("valid profile")
}

fn store_for(p: &Profile) -> MemoryStore {
    let store = MemoryStore::new();
    store
        .set(
            &SecretRef::new(&p.id, SecretKind::SecretKey),
            &Secret::new(ADMIN_SK),
        )
        .expect("set");
    store
}

async fn log_in(p: &Profile) -> bai_core::Result<Client> {
    let store = MemoryStore::new();
    account::log_in(
        p,
        account::client_config(p)?,
        &store,
        ADMIN_EMAIL,
        &Secret::new(ADMIN_PASSWORD),
        None,
    )
    .await
}

/// A TLS failure: the right code, not retryable, and a message that names the problem and
/// says what to set.
#[track_caller]
fn assert_unknown_issuer(e: &bai_core::Error) {
    assert_eq!(e.code(), "tls-failure", "{e}");
    assert!(!e.is_transient(), "a TLS failure is not worth retrying");
    let msg = e.to_string();
    assert!(msg.contains("unknown issuer"), "names the problem: {msg}");
    assert!(msg.contains("--ca-cert FILE"), "says what to set: {msg}");
    assert!(msg.contains("skip"), "names the last resort: {msg}");
}

#[tokio::test]
async fn with_the_profiles_ca_api_detect_and_login_work_over_https() {
    let kit = https_kit().await;
    assert!(kit.manager_url().starts_with("https://"));
    let dir = tempfile::tempdir().expect("tempdir");
    let tls = TlsSettings {
        ca_cert: Some(ca_file(&dir, kit.ca_pem().expect("CA"))),
        skip_verify: false,
    };

    // API call (keypair, signed) through the profile path.
    let p = profile(&kit.manager_url(), EndpointKind::Api, tls.clone());
    let client = account::connect(&p, &store_for(&p)).await.expect("connect");
    let user = client.current_user().await.expect("API call over HTTPS");
    assert_eq!(user.email, ADMIN_EMAIL);

    // Detect, for both kinds of endpoint, with the same settings loaded the same way.
    let opts = account::load_tls(&tls, None).expect("load");
    let api = Endpoint::parse(&kit.manager_url()).expect("endpoint");
    assert_eq!(
        detect(&api, &opts).await.expect("detect").kind,
        EndpointKind::Api
    );
    let web = Endpoint::parse(&kit.webserver_url()).expect("endpoint");
    assert_eq!(
        detect(&web, &opts).await.expect("detect").kind,
        EndpointKind::Webserver
    );

    // The webserver login, then a call through it.
    let wp = profile(&kit.webserver_url(), EndpointKind::Webserver, tls);
    let client = log_in(&wp).await.expect("login over HTTPS");
    assert_eq!(
        client.current_user().await.expect("user").email,
        ADMIN_EMAIL
    );
}

#[tokio::test]
async fn without_the_ca_api_detect_and_login_fail_at_once_naming_the_unknown_issuer() {
    let kit = https_kit().await;
    let none = TlsSettings::default();

    let started = Instant::now();
    let p = profile(&kit.manager_url(), EndpointKind::Api, none.clone());
    let client = account::connect(&p, &store_for(&p)).await.expect("offline");
    let e = client.current_user().await.expect_err("untrusted CA");
    assert_unknown_issuer(&e);

    let e = detect(
        &Endpoint::parse(&kit.manager_url()).expect("endpoint"),
        &TlsOptions::default(),
    )
    .await
    .expect_err("untrusted CA");
    assert_unknown_issuer(&e);

    let wp = profile(&kit.webserver_url(), EndpointKind::Webserver, none);
    let e = log_in(&wp).await.expect_err("untrusted CA");
    assert_unknown_issuer(&e);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "reported at once, not retried: {:?}",
        started.elapsed()
    );
    assert!(
        kit.control().requests().is_empty(),
        "nothing reached the server over an unverified connection"
    );
}

#[tokio::test]
async fn another_ca_is_not_trusted_and_skip_verify_is_the_only_way_without_the_file() {
    let kit = https_kit().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let other = TlsMaterial::generate().expect("another CA");
    let wrong = TlsSettings {
        ca_cert: Some(ca_file(&dir, &other.ca_pem)),
        skip_verify: false,
    };
    let p = profile(&kit.manager_url(), EndpointKind::Api, wrong);
    let client = account::connect(&p, &store_for(&p)).await.expect("offline");
    let e = client.current_user().await.expect_err("a different CA");
    assert_unknown_issuer(&e);

    let skip = TlsSettings {
        ca_cert: None,
        skip_verify: true,
    };
    let p = profile(&kit.manager_url(), EndpointKind::Api, skip.clone());
    let client = account::connect(&p, &store_for(&p)).await.expect("connect");
    assert_eq!(
        client.current_user().await.expect("skip-verify").email,
        ADMIN_EMAIL
    );
    let opts = account::load_tls(&skip, None).expect("load");
    let web = Endpoint::parse(&kit.webserver_url()).expect("endpoint");
    assert_eq!(
        detect(&web, &opts).await.expect("detect").kind,
        EndpointKind::Webserver
    );
    let wp = profile(&kit.webserver_url(), EndpointKind::Webserver, skip);
    log_in(&wp).await.expect("login with skip-verify");
}

#[tokio::test]
async fn the_client_shares_one_tls_config_that_trusts_the_profiles_ca() {
    let kit = https_kit().await;
    let with_ca = Client::new(
        config(&kit.manager_url(), EndpointKind::Api).with_tls(&TlsOptions {
            ca_cert_pem: Some(kit.ca_pem().expect("CA").as_bytes().to_vec()),
            accept_invalid_certs: false,
        }),
        Credentials::Anonymous,
    )
    .expect("client");
    // The same Arc each time: one config for HTTP and WebSocket alike, without ALPN (which a
    // WebSocket upgrade must not negotiate to h2).
    let a = with_ca.tls_config();
    assert!(std::sync::Arc::ptr_eq(&a, &with_ca.tls_config()));
    assert!(a.alpn_protocols.is_empty());
    with_ca
        .server_info()
        .await
        .expect("anonymous call with the CA");
}
