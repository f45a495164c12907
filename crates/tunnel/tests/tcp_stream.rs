//! `tcp_stream`: one byte stream to a session's app with no local listener (what
//! `bai ssh-proxy` pipes stdin/stdout through), in keypair mode, through the webserver
//! (`/func/stream/...` with the login session), over HTTPS with the profile's CA, and with the
//! HTTP tunnel's error classes.

use std::net::SocketAddr;
use std::time::Duration;

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials, TlsOptions, login};
use bai_core::{Endpoint, EndpointKind};
use bai_testkit::{ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Config, Schedule, Status, TestKit};
use bai_tunnel::TunnelConfig;
use bai_tunnel::relay::ConnectError;
use bai_tunnel::tcp_stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A TCP server that echoes, upper-cased.
async fn echo() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    buf[..n].make_ascii_uppercase();
                    if s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

async fn running(kit: &TestKit, client: &Client, name: &str) {
    client
        .create_session(&CreateSession::new(name, "python"))
        .await
        .expect("create");
    for _ in 0..500 {
        if kit.control().session_status(name) == Some(Status::Running) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{name} never ran");
}

fn config(url: &str, kind: EndpointKind, ca: Option<&str>) -> ClientConfig {
    ClientConfig::new(Endpoint::parse(url).expect("endpoint"), kind).with_tls(&TlsOptions {
        ca_cert_pem: ca.map(|c| c.as_bytes().to_vec()),
        accept_invalid_certs: false,
    })
}

/// Pipe `input` through the stream (as stdin would) and collect what comes back.
async fn round_trip(client: &Client, session: &str, input: &[u8]) -> Vec<u8> {
    let stream = tcp_stream::open(client, session, "sshd", &TunnelConfig::default())
        .await
        .expect("stream opens");
    let (mut ours, theirs) = tokio::io::duplex(1 << 20);
    let (theirs_r, theirs_w) = tokio::io::split(theirs);
    let pump = tokio::spawn(tcp_stream::pipe(stream, theirs_r, theirs_w));
    ours.write_all(input).await.expect("write");
    let mut got = vec![0u8; input.len()];
    ours.read_exact(&mut got).await.expect("read back");
    drop(ours);
    let (up, down) = tokio::time::timeout(Duration::from_secs(10), pump)
        .await
        .expect("pipe ends when stdin ends")
        .expect("join")
        .expect("pipe");
    assert_eq!((up, down), (input.len() as u64, input.len() as u64));
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keypair_webserver_and_https_profiles_stream_bytes_both_ways() {
    for https in [false, true] {
        let cfg = Config {
            schedule: Schedule::uniform(Duration::from_millis(10)),
            ..Config::default()
        };
        let kit = if https {
            TestKit::start_https(cfg).await
        } else {
            TestKit::start(cfg).await
        }
        .expect("kit");
        kit.control().set_app_target("sshd", echo().await);
        let ca = kit.ca_pem().map(str::to_owned);
        let api = Client::new(
            config(&kit.manager_url(), EndpointKind::Api, ca.as_deref()),
            Credentials::keypair(ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY),
        )
        .expect("client");
        running(&kit, &api, "stream-1").await;
        let data: Vec<u8> = (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let got = round_trip(&api, "stream-1", &data).await;
        assert_eq!(got, data.to_ascii_uppercase());

        // Through the webserver with a login session.
        let wcfg = config(&kit.webserver_url(), EndpointKind::Webserver, ca.as_deref());
        let outcome = login(
            &wcfg,
            bai_testkit::ADMIN_EMAIL,
            &bai_testkit::ADMIN_PASSWORD.to_owned().into(),
            None,
        )
        .await
        .expect("login");
        let web = Client::new(wcfg, Credentials::login_session(outcome.session_id)).expect("web");
        kit.control().clear_requests();
        let got = round_trip(&web, "stream-1", b"via the webserver").await;
        assert_eq!(got, b"VIA THE WEBSERVER");
        assert!(
            kit.control()
                .requests()
                .iter()
                .any(|r| r.via == "webserver" && r.path.contains("/tcpproxy?app=sshd")),
            "{:?}",
            kit.control().requests()
        );
    }
}

#[tokio::test]
async fn failures_keep_the_tunnels_error_classes() {
    let kit = TestKit::start(Config::default()).await.expect("kit");
    let api = Client::new(
        config(&kit.manager_url(), EndpointKind::Api, None),
        Credentials::keypair(ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY),
    )
    .expect("client");
    let e = tcp_stream::open(&api, "nope", "sshd", &TunnelConfig::default())
        .await
        .expect_err("no session");
    assert!(matches!(e, ConnectError::Status { status: 404 }), "{e:?}");
    // An HTTPS kit with no CA given: a TLS error, never retried.
    let tls_kit = TestKit::start_https(Config::default()).await.expect("kit");
    let c = Client::new(
        config(&tls_kit.manager_url(), EndpointKind::Api, None),
        Credentials::keypair(ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY),
    )
    .expect("client");
    let e = tcp_stream::open(&c, "nope", "sshd", &TunnelConfig::default())
        .await
        .expect_err("untrusted");
    assert!(
        e.as_tls().is_some() || matches!(e, ConnectError::Request(_)),
        "{e:?}"
    );
    assert!(!e.is_transient(), "{e:?}");
}
