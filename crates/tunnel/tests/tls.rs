//! The tunnel's `wss://` WebSocket over the profile's TLS settings, against the testkit serving
//! HTTPS with a private CA made for the test: with the CA a launch reaches the app; without it
//! the launch fails within 5 s with `tls-failure` (not 120 s of "not ready yet").

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials, TlsOptions};
use bai_core::launch::{
    AppTunnel, LaunchRequest, Launcher, ProbeOutcome, ReusePolicy, TunnelOpener,
};
use bai_core::{Endpoint, EndpointKind};
use bai_testkit::{ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Config, JupyterMode, Schedule, TestKit};
use bai_tunnel::{Tunnel, TunnelConfig, WsTunnelOpener, relay};
use common::http::{Conn, app_server, authorize};
use common::{IMAGE, name, running_session};
use futures_util::future::BoxFuture;

async fn https_kit(config: Config) -> TestKit {
    TestKit::start_https(config).await.expect("HTTPS testkit")
}

fn fast() -> Config {
    Config {
        schedule: Schedule::uniform(Duration::from_millis(20)),
        ..Config::default()
    }
}

fn client_with(kit: &TestKit, tls: TlsOptions) -> Client {
    let mut c = ClientConfig::new(
        Endpoint::parse(&kit.manager_url()).expect("endpoint"),
        EndpointKind::Api,
    )
    .with_tls(&tls);
    c.timeout = Duration::from_secs(20);
    Client::new(c, Credentials::keypair(ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY)).expect("client")
}

fn with_ca(kit: &TestKit) -> TlsOptions {
    TlsOptions {
        ca_cert_pem: Some(kit.ca_pem().expect("CA").as_bytes().to_vec()),
        accept_invalid_certs: false,
    }
}

fn request(app: Option<&str>) -> LaunchRequest {
    let mut r = LaunchRequest::create(
        CreateSession::new(name("tls"), IMAGE),
        ReusePolicy::CreateNew,
    );
    r.app = app.map(str::to_owned);
    r
}

#[track_caller]
fn assert_tls_failure(e: &bai_core::Error, started: Instant) {
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "reported at once, not retried as not ready: {:?}",
        started.elapsed()
    );
    assert_eq!(e.code(), "tls-failure", "{e}");
    let msg = e.to_string();
    assert!(msg.contains("unknown issuer"), "names the problem: {msg}");
    assert!(msg.contains("--ca-cert FILE"), "says what to set: {msg}");
}

async fn get_small(kit: &TestKit, client: Client) {
    kit.control().set_app_target("jupyter", app_server().await);
    let launcher = Launcher::new(client, Arc::new(WsTunnelOpener::default()));
    let ready = launcher
        .launch(request(Some("jupyter")))
        .result()
        .await
        .expect("ready over wss://");
    let cookie = authorize(ready.auth_url().expose()).await;
    let mut c = Conn::open(ready.tunnel.local_addr(), Some(&cookie))
        .await
        .expect("connect");
    let r = c.get("/small", false).await.expect("through the tunnel");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    assert!(
        kit.control()
            .requests()
            .iter()
            .any(|r| r.path.contains("/tcpproxy?app=jupyter")),
        "the tunnel went to the HTTPS testkit"
    );
}

#[tokio::test]
async fn with_the_profiles_ca_a_launch_reaches_the_app_over_wss() {
    let kit = https_kit(fast()).await;
    get_small(&kit, client_with(&kit, with_ca(&kit))).await;
}

#[tokio::test]
async fn skip_verify_launches_without_the_ca_file() {
    let kit = https_kit(fast()).await;
    let skip = TlsOptions {
        ca_cert_pem: None,
        accept_invalid_certs: true,
    };
    get_small(&kit, client_with(&kit, skip)).await;
}

#[tokio::test]
async fn without_the_ca_a_launch_fails_within_5s_with_the_tls_error() {
    let kit = https_kit(fast()).await;
    kit.control().set_app_target("jupyter", app_server().await);
    let launcher = Launcher::new(
        client_with(&kit, TlsOptions::default()),
        Arc::new(WsTunnelOpener::default()),
    );
    let started = Instant::now();
    let e = launcher
        .launch(request(Some("jupyter")))
        .result()
        .await
        .expect_err("untrusted CA");
    assert_tls_failure(&e, started);
}

/// Opens the tunnel with a client of its own: the API calls trust the CA but the tunnel does
/// not, which is how main behaved (system roots only on `wss://`).
#[derive(Debug)]
struct UntrustingOpener(Client);

impl TunnelOpener for UntrustingOpener {
    fn open<'a>(
        &'a self,
        _client: &'a Client,
        session_id: &'a str,
        app: &'a str,
    ) -> BoxFuture<'a, Result<Arc<dyn AppTunnel>, String>> {
        Box::pin(async move {
            let t = Tunnel::start(self.0.clone(), session_id, app, TunnelConfig::default())
                .await
                .map_err(|e| e.to_string())?;
            Ok(Arc::new(t) as Arc<dyn AppTunnel>)
        })
    }
}

#[tokio::test]
async fn a_tls_failure_on_the_tunnel_alone_is_not_retried_as_not_ready() {
    let kit = https_kit(fast()).await;
    kit.control().set_app_target("jupyter", app_server().await);
    let opener = UntrustingOpener(client_with(&kit, TlsOptions::default()));
    let launcher = Launcher::new(client_with(&kit, with_ca(&kit)), Arc::new(opener));
    let started = Instant::now();
    let e = launcher
        .launch(request(Some("jupyter")))
        .result()
        .await
        .expect_err("the tunnel does not trust the CA");
    assert_tls_failure(&e, started);
    assert!(
        !kit.control()
            .requests()
            .iter()
            .any(|r| r.path.contains("/tcpproxy")),
        "no upgrade reached the server over an unverified connection"
    );
}

#[tokio::test]
async fn connect_and_probe_classify_an_unknown_ca_as_tls_not_transient() {
    let kit = https_kit(fast()).await;
    kit.control().set_app_target("jupyter", app_server().await);
    let trusted = client_with(&kit, with_ca(&kit));
    let session = running_session(&trusted).await;
    let untrusting = client_with(&kit, TlsOptions::default());
    let config = TunnelConfig::default();

    let e = relay::connect(&untrusting, &session, "jupyter", &config)
        .await
        .expect_err("unknown CA");
    assert!(!e.is_transient(), "{e}");
    let (_, detail) = e.as_tls().expect("a TLS error");
    assert!(detail.contains("unknown issuer"), "{detail}");

    match relay::probe(&untrusting, &session, "jupyter", &config).await {
        ProbeOutcome::Tls { detail, .. } => assert!(detail.contains("unknown issuer")),
        other => panic!("expected a TLS outcome, got {other:?}"),
    }
    assert_eq!(
        relay::probe(&trusted, &session, "jupyter", &config).await,
        ProbeOutcome::Ready
    );
}

#[tokio::test]
async fn jupyterlab_over_wss_with_the_profiles_ca() {
    let Some(exe) = bai_testkit::find_jupyter() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "no jupyter executable in CI (set {} or run `bash scripts/python-env.sh jupyter`)",
            bai_testkit::JUPYTER_ENV
        );
        eprintln!("SKIPPED: no jupyter executable");
        return;
    };
    eprintln!("using {}", exe.display());
    let kit = https_kit(Config {
        jupyter: JupyterMode::Auto,
        ..fast()
    })
    .await;
    let launcher = Launcher::new(
        client_with(&kit, with_ca(&kit)),
        Arc::new(WsTunnelOpener::default()),
    );
    let ready = launcher
        .launch(request(None))
        .result()
        .await
        .expect("JupyterLab ready over wss://");
    assert_eq!(ready.app, "jupyterlab");
    let cookie = authorize(ready.auth_url().expose()).await;
    let mut c = Conn::open(ready.tunnel.local_addr(), Some(&cookie))
        .await
        .expect("connect");
    let lab = c.get("/lab", false).await.expect("GET /lab");
    assert_eq!(lab.status, 200);
    assert!(lab.text().contains("JupyterLab"), "not JupyterLab's page");
}
