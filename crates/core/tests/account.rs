//! `account::connect` against the testkit: keypair profiles, webserver session reuse,
//! re-login with a remembered password, and `login-required` without one.

mod common;

use bai_core::EndpointKind;
use bai_core::account;
use bai_core::profile::{Profile, ProfileDraft};
use bai_secrets::{MemoryStore, Secret, SecretKind, SecretRef, SecretStore};
use common::*;

fn profile(url: &str, kind: EndpointKind, remember: bool) -> Profile {
    ProfileDraft {
        name: "test".into(),
        endpoint: url.into(),
        kind: Some(kind),
        access_key: (kind == EndpointKind::Api).then(|| ADMIN_AK.into()),
        email: (kind == EndpointKind::Webserver).then(|| ADMIN_EMAIL.into()),
        remember_password: remember,
        ..ProfileDraft::default()
    }
    .into_profile()
    .expect("valid profile")
}

fn session_of(store: &MemoryStore, p: &Profile) -> Option<String> {
    store
        .get(&SecretRef::new(&p.id, SecretKind::LoginSession))
        .expect("get")
        .map(|s| s.expose().to_owned())
}

#[tokio::test]
async fn keypair_profile_signs_with_the_stored_secret() {
    let kit = kit().await;
    let p = profile(&kit.manager_url(), EndpointKind::Api, false);
    let store = MemoryStore::new();
    let e = account::connect(&p, &store)
        .await
        .expect_err("no secret yet");
    assert_eq!(e.code(), "secret-missing");
    assert!(e.to_string().contains("--secret-key-stdin"), "{e}");

    store
        .set(
            &SecretRef::new(&p.id, SecretKind::SecretKey),
            &Secret::new(ADMIN_SK),
        )
        .expect("set");
    let client = account::connect(&p, &store).await.expect("connect");
    assert_eq!(
        client.current_user().await.expect("user").email,
        ADMIN_EMAIL
    );

    store
        .set(
            &SecretRef::new(&p.id, SecretKind::SecretKey),
            &Secret::new("wrong-secret-key-000"),
        )
        .expect("set");
    let client = account::connect(&p, &store)
        .await
        .expect("connect is offline for keypairs");
    let e = client.current_user().await.expect_err("wrong secret");
    assert_eq!(e.code(), "auth-failed");
}

#[tokio::test]
async fn webserver_session_is_reused_without_a_second_login() {
    let kit = kit().await;
    let p = profile(&kit.webserver_url(), EndpointKind::Webserver, true);
    let store = MemoryStore::new();
    store
        .set(
            &SecretRef::new(&p.id, SecretKind::Password),
            &Secret::new(ADMIN_PASSWORD),
        )
        .expect("set");

    let first = account::connect(&p, &store)
        .await
        .expect("first connect logs in");
    let id1 = session_of(&store, &p).expect("session stored");
    assert_eq!(first.current_user().await.expect("user").email, ADMIN_EMAIL);

    kit.control().clear_requests();
    let second = account::connect(&p, &store).await.expect("second connect");
    assert_eq!(
        session_of(&store, &p),
        Some(id1.clone()),
        "no new login session"
    );
    assert_eq!(
        second.current_user().await.expect("user").email,
        ADMIN_EMAIL
    );
    let reqs = kit.control().requests();
    assert!(
        reqs.iter().all(|r| r.via == "webserver"),
        "calls went through the webserver's /func with the reused session: {reqs:?}"
    );
    assert!(
        reqs.iter().any(|r| r.path.starts_with("/admin/gql")),
        "{reqs:?}"
    );
    // The first client's session is the same one: it keeps working.
    assert_eq!(first.current_user().await.expect("user").email, ADMIN_EMAIL);
}

#[tokio::test]
async fn an_expired_session_logs_in_again_with_the_remembered_password() {
    let kit = kit().await;
    let p = profile(&kit.webserver_url(), EndpointKind::Webserver, true);
    let store = MemoryStore::new();
    store
        .set(
            &SecretRef::new(&p.id, SecretKind::Password),
            &Secret::new(ADMIN_PASSWORD),
        )
        .expect("set");

    // A stored id the server does not know.
    store
        .set(
            &SecretRef::new(&p.id, SecretKind::LoginSession),
            &Secret::new("bogus-session-id"),
        )
        .expect("set");
    let client = account::connect(&p, &store).await.expect("re-login");
    let id1 = session_of(&store, &p).expect("stored");
    assert_ne!(id1, "bogus-session-id", "the new id replaced the stale one");
    assert_eq!(
        client.current_user().await.expect("user").email,
        ADMIN_EMAIL
    );

    // A session ended on the server.
    client.logout().await.expect("logout");
    let client = account::connect(&p, &store)
        .await
        .expect("re-login after logout");
    let id2 = session_of(&store, &p).expect("stored");
    assert_ne!(id2, id1);
    assert_eq!(
        client.current_user().await.expect("user").email,
        ADMIN_EMAIL
    );
}

#[tokio::test]
async fn without_a_remembered_password_it_says_log_in_again() {
    let kit = kit().await;
    let p = profile(&kit.webserver_url(), EndpointKind::Webserver, false);
    let store = MemoryStore::new();
    let e = account::connect(&p, &store)
        .await
        .expect_err("never logged in");
    assert_eq!(e.code(), "login-required");

    store
        .set(
            &SecretRef::new(&p.id, SecretKind::LoginSession),
            &Secret::new("bogus-session-id"),
        )
        .expect("set");
    let e = account::connect(&p, &store).await.expect_err("expired");
    assert_eq!(e.code(), "login-required");

    // A password stored while remember_password is off is not used.
    store
        .set(
            &SecretRef::new(&p.id, SecretKind::Password),
            &Secret::new(ADMIN_PASSWORD),
        )
        .expect("set");
    let e = account::connect(&p, &store)
        .await
        .expect_err("not remembered");
    assert_eq!(e.code(), "login-required");

    // Logging in explicitly stores a session that later connects reuse.
    let cfg = account::client_config(&p).expect("config");
    account::log_in(
        &p,
        cfg,
        &store,
        ADMIN_EMAIL,
        &Secret::new(ADMIN_PASSWORD),
        None,
    )
    .await
    .expect("log in");
    let id = session_of(&store, &p).expect("stored");
    let client = account::connect(&p, &store).await.expect("reuses");
    assert_eq!(session_of(&store, &p), Some(id));
    assert_eq!(
        client.current_user().await.expect("user").email,
        ADMIN_EMAIL
    );
}
