//! Webserver mode: login (with and without OTP), login-check, logout, calls through /func.

mod common;

use bai_core::EndpointKind;
use bai_core::client::{Client, CreateSession, Credentials, ListSessions, login};
use bai_testkit::{Config, User};
use common::*;
use secrecy::{ExposeSecret, SecretString};

fn pw(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

#[tokio::test]
async fn login_then_calls_through_func_then_logout() {
    let kit = kit().await;
    let cfg = config(&kit.webserver_url(), EndpointKind::Webserver);
    let out = login(&cfg, ADMIN_EMAIL, &pw(ADMIN_PASSWORD), None)
        .await
        .expect("login");
    assert!(!out.session_id.expose_secret().is_empty());
    assert_eq!(out.access_key.as_deref(), Some(ADMIN_AK));
    let client = Client::new(cfg, Credentials::login_session(out.session_id)).expect("client");

    let check = client.login_check().await.expect("login-check");
    assert!(check.authenticated);
    assert_eq!(check.access_key.as_deref(), Some(ADMIN_AK));

    let info = client.server_info().await.expect("GET /func/");
    assert_eq!(info.version.to_string(), "v9.20250722");
    kit.control().clear_requests();
    let created = client
        .create_session(&CreateSession::new(name("web"), IMAGE))
        .await
        .expect("create via /func");
    let page = client
        .list_sessions(&ListSessions::default())
        .await
        .expect("list via /func");
    assert!(page.items.iter().any(|s| s.id == created.session_id));
    assert_eq!(
        client.current_user().await.expect("user").email,
        ADMIN_EMAIL
    );
    let reqs = kit.control().requests();
    let create = reqs
        .iter()
        .find(|r| r.path == "/session" && r.method == "POST")
        .expect("recorded");
    assert_eq!(create.via, "webserver");

    client.logout().await.expect("logout");
    let e = client
        .list_sessions(&ListSessions::default())
        .await
        .expect_err("logged out");
    assert_eq!(e.code(), "login-required", "{e:?}");
    let check = client
        .login_check()
        .await
        .expect("login-check after logout");
    assert!(!check.authenticated);
}

#[tokio::test]
async fn wrong_password_is_auth_failed() {
    let kit = kit().await;
    let cfg = config(&kit.webserver_url(), EndpointKind::Webserver);
    let e = login(&cfg, ADMIN_EMAIL, &pw("wrong-password"), None)
        .await
        .expect_err("wrong");
    assert_eq!(e.code(), "auth-failed", "{e:?}");
}

#[tokio::test]
async fn otp_required_then_accepted() {
    let user = User::new("otp@lablup.com", "otp-pass-1", "user")
        .with_keypair(
            "AKIAOTPUSEREXAMPLE00",
            "otpsecretotpsecretotpsecretotpsecret0000",
        )
        .with_otp("123456");
    let mut config = Config::default();
    config.users.push(user);
    let kit = kit_with(config).await;
    let cfg = config_for(&kit);
    let e = login(&cfg, "otp@lablup.com", &pw("otp-pass-1"), None)
        .await
        .expect_err("needs otp");
    assert_eq!(e.code(), "otp-required", "{e:?}");
    let e = login(&cfg, "otp@lablup.com", &pw("otp-pass-1"), Some("000000"))
        .await
        .expect_err("bad otp");
    assert!(matches!(e.code(), "auth-failed" | "otp-required"), "{e:?}");
    let ok = login(&cfg, "otp@lablup.com", &pw("otp-pass-1"), Some("123456"))
        .await
        .expect("otp ok");
    assert_eq!(ok.access_key.as_deref(), Some("AKIAOTPUSEREXAMPLE00"));
}

fn config_for(kit: &bai_testkit::TestKit) -> bai_core::client::ClientConfig {
    config(&kit.webserver_url(), EndpointKind::Webserver)
}

#[tokio::test]
async fn a_bogus_session_id_is_login_required() {
    let kit = kit().await;
    let client = Client::new(
        config_for(&kit),
        Credentials::login_session(pw("not-a-session")),
    )
    .expect("client");
    let e = client
        .list_sessions(&ListSessions::default())
        .await
        .expect_err("not logged in");
    assert_eq!(e.code(), "login-required", "{e:?}");
}
