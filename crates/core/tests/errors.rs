//! Each error the client maps, produced by a real server (the testkit or a raw socket).

mod common;

use std::time::Duration;

use bai_core::client::{Client, CreateSession, Credentials, ListSessions};
use bai_core::{ApiVersion, EndpointKind, Error};
use bai_testkit::{Config, FaultKind, FaultRule};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn clock_skew_reports_how_far_off() {
    let kit = kit().await;
    kit.control().set_clock_offset(-20 * 60);
    let e = keypair_client(&kit)
        .resource_presets()
        .await
        .expect_err("skew");
    match &e {
        Error::ClockSkew { skew_secs: Some(s) } => {
            assert!((1190..=1210).contains(s), "skew {s}")
        }
        other => panic!("expected ClockSkew, got {other:?}"),
    }
    assert!(e.to_string().contains("20 minutes ahead of"), "{e}");
}

#[tokio::test]
async fn wrong_secret_is_auth_failed() {
    let kit = kit().await;
    let client = Client::new(
        config(&kit.manager_url(), EndpointKind::Api),
        Credentials::keypair(ADMIN_AK, "not-the-secret"),
    )
    .expect("client");
    let e = client.resource_presets().await.expect_err("401");
    assert_eq!(e.code(), "auth-failed", "{e:?}");
    assert!(e.to_string().contains("access key and secret key"), "{e}");
}

#[tokio::test]
async fn a_version_the_server_does_not_know_is_refused() {
    let kit = kit().await;
    let client = Client::with_api_version(
        config(&kit.manager_url(), EndpointKind::Api),
        Credentials::keypair(ADMIN_AK, ADMIN_SK),
        ApiVersion::new(3, 20170615),
    )
    .expect("client");
    let e = client.resource_presets().await.expect_err("400");
    assert_eq!(e.code(), "unsupported-api-version", "{e:?}");
    assert!(e.to_string().contains("v3.20170615"), "{e}");
}

/// A one-shot HTTP server answering every connection with `response`.
async fn raw_server(response: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(response).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_older_server_is_refused_at_negotiation() {
    let url = raw_server(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"version\": \"v3.20170615\", \"manager\": \"1.0.0\"}  ").await;
    let client = Client::new(
        config(&url, EndpointKind::Api),
        Credentials::keypair(ADMIN_AK, ADMIN_SK),
    )
    .expect("client");
    let e = client.server_info().await.expect_err("too old");
    assert_eq!(e.code(), "unsupported-api-version");
    assert!(
        e.to_string().contains("v3.20170615") && e.to_string().contains("v4.20190615"),
        "{e}"
    );
    let e = client.resource_presets().await.expect_err("too old");
    assert_eq!(e.code(), "unsupported-api-version");
}

#[tokio::test]
async fn unknown_image_and_name_taken() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    let e = client
        .create_session(&CreateSession::new(
            name("img"),
            "cr.backend.ai/stable/nope:1.0",
        ))
        .await
        .expect_err("unknown image");
    assert!(
        matches!(&e, Error::UnknownImage { image } if image == "cr.backend.ai/stable/nope:1.0"),
        "{e:?}"
    );

    let n = name("dup");
    let first = client
        .create_session(&CreateSession::new(&n, IMAGE))
        .await
        .expect("create");
    let e = client
        .create_session(&CreateSession::new(&n, IMAGE))
        .await
        .expect_err("taken");
    match e {
        Error::SessionNameTaken { name, existing_id } => {
            assert_eq!(name, n);
            assert_eq!(existing_id.as_deref(), Some(first.session_id.as_str()));
        }
        other => panic!("expected SessionNameTaken, got {other:?}"),
    }
}

async fn quota_status(legacy_2409: bool) -> Error {
    let kit = kit_with(Config {
        concurrency_limit: 1,
        legacy_2409,
        ..Config::default()
    })
    .await;
    let client = keypair_client(&kit);
    client
        .create_session(&CreateSession::new(name("q"), IMAGE))
        .await
        .expect("first fits");
    client
        .create_session(&CreateSession::new(name("q"), IMAGE))
        .await
        .expect_err("over the limit")
}

#[tokio::test]
async fn quota_exceeded_400_and_412() {
    for legacy in [false, true] {
        let e = quota_status(legacy).await;
        assert_eq!(e.code(), "quota-exceeded", "legacy {legacy}: {e:?}");
    }
}

#[tokio::test]
async fn rate_limit_and_server_errors() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    kit.control()
        .fail_next(FaultRule::new("/resource/presets", FaultKind::RateLimit));
    let e = client.resource_presets().await.expect_err("429");
    assert!(
        matches!(
            e,
            Error::RateLimited {
                window_secs: Some(900),
                limit: Some(_)
            }
        ),
        "{e:?}"
    );
    assert!(e.is_transient());

    kit.control().fail_next(FaultRule::new(
        "/session",
        FaultKind::Status {
            status: 503,
            type_slug: "service-unavailable".into(),
            title: "Service unavailable".into(),
            error_code: None,
        },
    ));
    let e = client.session_info("anything").await.expect_err("503");
    assert_eq!(e.code(), "server-unavailable", "{e:?}");
    let e = client
        .session_info("no-such-session")
        .await
        .expect_err("404");
    assert_eq!(e.code(), "not-found", "{e:?}");
}

#[tokio::test]
async fn connection_refused_on_a_closed_port() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let client = Client::new(
        config(&format!("http://127.0.0.1:{port}"), EndpointKind::Api),
        Credentials::keypair(ADMIN_AK, ADMIN_SK),
    )
    .expect("client");
    let e = client.server_info().await.expect_err("refused");
    assert_eq!(e.code(), "connection-refused", "{e:?}");
}

#[tokio::test]
async fn dns_failure() {
    let client = Client::new(
        config("http://nonexistent.invalid:8081", EndpointKind::Api),
        Credentials::keypair(ADMIN_AK, ADMIN_SK),
    )
    .expect("client");
    let e = client.server_info().await.expect_err("dns");
    assert!(
        matches!(&e, Error::Dns { host } if host == "nonexistent.invalid"),
        "{e:?}"
    );
}

#[tokio::test]
async fn tls_to_a_plain_http_port() {
    let kit = kit().await;
    let url = kit.manager_url().replace("http://", "https://");
    let client = Client::new(
        config(&url, EndpointKind::Api),
        Credentials::keypair(ADMIN_AK, ADMIN_SK),
    )
    .expect("client");
    let e = client.server_info().await.expect_err("tls");
    assert_eq!(e.code(), "tls-failure", "{e:?}");
}

#[tokio::test]
async fn timeout_on_a_slow_answer() {
    let kit = kit().await;
    let mut cfg = config(&kit.manager_url(), EndpointKind::Api);
    cfg.timeout = Duration::from_millis(300);
    let client = Client::new(cfg, Credentials::keypair(ADMIN_AK, ADMIN_SK)).expect("client");
    client.server_info().await.expect("version");
    kit.control().fail_next(FaultRule::new(
        "/resource/presets",
        FaultKind::Delay { ms: 3000 },
    ));
    let started = std::time::Instant::now();
    let e = client.resource_presets().await.expect_err("timeout");
    assert!(
        matches!(e, Error::Timeout { after, .. } if after == Duration::from_millis(300)),
        "{e:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn html_garbage_and_truncated_bodies() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    client.server_info().await.expect("version");

    kit.control()
        .fail_next(FaultRule::new("/resource/presets", FaultKind::Html));
    let e = client.resource_presets().await.expect_err("html");
    assert_eq!(e.code(), "invalid-response", "{e:?}");
    assert!(
        e.to_string().contains("HTML page") && e.to_string().len() < 400,
        "{e}"
    );

    kit.control().fail_next(FaultRule::new(
        "/resource/presets",
        FaultKind::Garbage {
            len: 10 * 1024 * 1024,
        },
    ));
    let e = client.resource_presets().await.expect_err("too large");
    assert!(
        matches!(e, Error::ResponseTooLarge { limit } if limit == 8 * 1024 * 1024),
        "{e:?}"
    );

    kit.control().fail_next(FaultRule::new(
        "/resource/presets",
        FaultKind::Garbage { len: 64 },
    ));
    let e = client.resource_presets().await.expect_err("garbage");
    assert_eq!(e.code(), "invalid-response", "{e:?}");

    kit.control()
        .fail_next(FaultRule::new("/admin/gql", FaultKind::Truncated));
    let e = client
        .list_sessions(&ListSessions::default())
        .await
        .expect_err("truncated");
    assert_eq!(e.code(), "invalid-response", "{e:?}");

    // The faults were one-shot: the next call works.
    client
        .resource_presets()
        .await
        .expect("presets after faults");
}
