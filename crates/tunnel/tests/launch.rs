//! The launcher with the real tunnel injected: launch → ready → requests through the tunnel,
//! in keypair and webserver modes, and JupyterLab end to end (kernel over the tunnel).

mod common;

use std::sync::Arc;
use std::time::Duration;

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials, login};
use bai_core::launch::{LaunchRequest, Launcher, ReusePolicy};
use bai_core::{Endpoint, EndpointKind};
use bai_secrets::Secret;
use bai_testkit::{ADMIN_EMAIL, ADMIN_PASSWORD};
use bai_tunnel::WsTunnelOpener;
use common::http::{Conn, app_server, authorize};
use common::jupyter::{Lab, execute_request, execute_result, lab};
use common::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn request(app: Option<&str>) -> LaunchRequest {
    let mut r = LaunchRequest::create(
        CreateSession::new(name("lnc"), IMAGE),
        ReusePolicy::CreateNew,
    );
    r.app = app.map(str::to_owned);
    r
}

async fn launch_and_get(client: Client, kit: &bai_testkit::TestKit) {
    kit.control().tcpproxy_reject_first(1);
    let launcher = Launcher::new(client, Arc::new(WsTunnelOpener::default()));
    let ready = launcher
        .launch(request(Some("jupyter")))
        .result()
        .await
        .expect("ready");
    assert!(ready.tunnel.local_addr().ip().is_loopback());
    let cookie = authorize(ready.auth_url().expose()).await;
    let mut c = Conn::open(ready.tunnel.local_addr(), Some(&cookie))
        .await
        .expect("connect");
    let r = c.get("/small", false).await.expect("through the tunnel");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    let st = ready.tunnel.stats();
    assert!(st.bytes_down > 0 && st.connections_total >= 2, "{st:?}");
}

#[tokio::test]
async fn a_keypair_launch_ends_with_a_working_private_tunnel() {
    let kit = kit().await;
    kit.control().set_app_target("jupyter", app_server().await);
    launch_and_get(client(&kit), &kit).await;
}

#[tokio::test]
async fn a_webserver_launch_tunnels_through_func() {
    let kit = kit().await;
    kit.control().set_app_target("jupyter", app_server().await);
    let mut cfg = ClientConfig::new(
        Endpoint::parse(&kit.webserver_url()).expect("endpoint"),
        EndpointKind::Webserver,
    );
    cfg.timeout = Duration::from_secs(20);
    let out = login(&cfg, ADMIN_EMAIL, &Secret::new(ADMIN_PASSWORD).into(), None)
        .await
        .expect("login");
    let client = Client::new(cfg, Credentials::login_session(out.session_id)).expect("client");
    launch_and_get(client, &kit).await;
    assert!(
        kit.control()
            .requests()
            .iter()
            .any(|r| r.via == "webserver" && r.path.contains("/tcpproxy?app=jupyter")),
        "the tunnel went through the webserver"
    );
}

#[tokio::test]
async fn jupyterlab_end_to_end_page_and_kernel_through_the_tunnel() {
    let Some(lab) = lab().await else { return };
    let kernel = lab.start_kernel().await;
    let addr = lab.addr;
    let mut req = format!("ws://{addr}{}", Lab::channels_path(&kernel))
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("Cookie", lab.cookies.parse().expect("cookie header"));
    req.headers_mut()
        .insert("Origin", format!("http://{addr}").parse().expect("origin"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("kernel WebSocket through the tunnel");
    let msg_id = "launcher-exec-1";
    ws.send(Message::Text(execute_request(msg_id, "1+1").into()))
        .await
        .expect("execute_request");
    let result = execute_result(&mut ws, msg_id, Duration::from_secs(60)).await;
    assert_eq!(result, "2");
    assert!(lab.ready.tunnel.stats().connections_total >= 3);
    lab.shutdown().await;
}
