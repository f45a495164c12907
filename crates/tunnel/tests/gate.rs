//! Admission: only the launcher's own clients get through (real loopback sockets).

mod common;

use std::net::SocketAddr;

use bai_tunnel::{Tunnel, TunnelConfig, TunnelError, TunnelHandle};
use common::http::{Conn, app_server, authorize, get_once};
use common::*;

async fn tunnel() -> (bai_testkit::TestKit, TunnelHandle) {
    let kit = kit().await;
    kit.control().set_app_target("jupyter", app_server().await);
    let client = client(&kit);
    let id = running_session(&client).await;
    let t = Tunnel::start(client, &id, "jupyter", TunnelConfig::default())
        .await
        .expect("tunnel");
    (kit, t)
}

fn is_forbidden_page(r: &common::http::Resp) -> bool {
    r.status == 403
        && r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
        && r.text().contains("private tunnel")
}

#[tokio::test]
async fn a_request_without_the_launch_secret_gets_403() {
    let (_kit, t) = tunnel().await;
    let r = get_once(t.local_addr(), None, "/small")
        .await
        .expect("answer");
    assert!(is_forbidden_page(&r), "{r:?}");
    let wrong = format!("{}=not-the-secret", t.cookie_name());
    let r = get_once(t.local_addr(), Some(&wrong), "/small")
        .await
        .expect("answer");
    assert!(is_forbidden_page(&r), "{r:?}");
    let r = get_once(t.local_addr(), None, "/__launcher/auth?token=guess")
        .await
        .expect("answer");
    assert!(is_forbidden_page(&r), "{r:?}");
    assert_eq!(t.stats().rejected, 3);
    assert_eq!(t.stats().bytes_up, 0, "nothing reached the app");
}

#[tokio::test]
async fn the_auth_url_sets_a_strict_cookie_that_lets_requests_through() {
    let (_kit, t) = tunnel().await;
    let url = t.auth_url();
    let (host, path) = url.expose()["http://".len()..]
        .split_once('/')
        .expect("path");
    let r = get_once(host.parse().expect("addr"), None, &format!("/{path}"))
        .await
        .expect("answer");
    // A page that sets the cookie and moves on same-origin (a 302 would lose a Strict cookie
    // when the browser came from another site).
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .contains("http-equiv=\"refresh\" content=\"0;url=/\""),
        "{}",
        r.text()
    );
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    let set = r.header("set-cookie").expect("cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(set.starts_with(&format!("{}=", t.cookie_name())));
    let token = url.expose().split("token=").nth(1).expect("token");
    assert!(
        !set.contains(token),
        "the cookie value differs from the URL token"
    );
    assert!(!format!("{t:?}").contains(token), "Debug hides the secret");

    let cookie = authorize(t.auth_url().expose()).await;
    let mut conn = Conn::open(t.local_addr(), Some(&cookie))
        .await
        .expect("conn");
    let r = conn.get("/small", false).await.expect("answer");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    // Every request is checked: a later one without the cookie on the admitted connection is
    // refused, and the connection is closed.
    conn.cookie = None;
    let r = conn.get("/small", false).await.expect("second answer");
    assert!(is_forbidden_page(&r), "{r:?}");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(
        conn.get("/small", false).await.is_err(),
        "closed after the refusal"
    );
    // The tunnel has an address of its own: `localhost` (127.0.0.1) is another host.
    let localhost = SocketAddr::from(([127, 0, 0, 1], t.local_addr().port()));
    if let Ok(mut c2) = Conn::open(localhost, Some(&cookie)).await {
        c2.host = format!("localhost:{}", t.local_addr().port());
        let r = c2.get("/small", false).await;
        assert!(r.is_err() || r.is_ok_and(|r| r.status == 403));
    }
}

#[tokio::test]
async fn an_auth_url_works_once_and_each_call_mints_another() {
    let (_kit, t) = tunnel().await;
    let url = t.auth_url();
    let _cookie = authorize(url.expose()).await;
    let path = &url.expose()[url.expose().find("/__launcher").expect("path")..];
    let r = get_once(t.local_addr(), None, path).await.expect("answer");
    assert!(is_forbidden_page(&r), "a used link is dead: {r:?}");
    assert!(r.text().contains("works once"), "{}", r.text());
    let again = t.auth_url();
    assert_ne!(again.expose(), url.expose());
    authorize(again.expose()).await;
}

#[tokio::test]
async fn an_auth_url_dies_after_its_lifetime() {
    let kit = kit().await;
    kit.control().set_app_target("jupyter", app_server().await);
    let client = client(&kit);
    let id = running_session(&client).await;
    let t = Tunnel::start(
        client,
        &id,
        "jupyter",
        TunnelConfig {
            token_lifetime: std::time::Duration::from_millis(200),
            ..TunnelConfig::default()
        },
    )
    .await
    .expect("tunnel");
    let url = t.auth_url();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let path = &url.expose()[url.expose().find("/__launcher").expect("path")..];
    let r = get_once(t.local_addr(), None, path).await.expect("answer");
    assert!(is_forbidden_page(&r), "an expired link is dead: {r:?}");
}

#[tokio::test]
async fn a_foreign_host_gets_403_even_with_the_cookie() {
    let (_kit, t) = tunnel().await;
    let cookie = authorize(t.auth_url().expose()).await;
    for host in [
        format!("evil.example:{}", t.local_addr().port()),
        "127.0.0.1".to_owned(),
        format!("127.0.0.1:{}", t.local_addr().port() ^ 1),
    ] {
        let mut c = Conn::open(t.local_addr(), Some(&cookie))
            .await
            .expect("conn");
        c.host = host.clone();
        let r = c.get("/small", false).await.expect("answer");
        assert!(is_forbidden_page(&r), "{host}: {r:?}");
    }
    // The auth URL itself is refused under a foreign Host (DNS rebinding cannot log in).
    let url = t.auth_url();
    let path = &url.expose()[url.expose().find("/__launcher").expect("path")..];
    let mut c = Conn::open(t.local_addr(), None).await.expect("conn");
    c.host = format!("rebind.example:{}", t.local_addr().port());
    let r = c.get(path, false).await.expect("answer");
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn an_oversized_request_head_gets_431() {
    let (_kit, t) = tunnel().await;
    let cookie = authorize(t.auth_url().expose()).await;
    let mut c = Conn::open(t.local_addr(), None).await.expect("conn");
    let big = "a".repeat(70 * 1024);
    let raw = format!(
        "GET /small HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nX-Big: {big}\r\n\r\n",
        t.local_addr()
    );
    // The tunnel may answer and close before the whole head is written.
    let _ = c.send_raw(raw.as_bytes()).await;
    let r = c.read_response(false).await.expect("answer");
    assert_eq!(r.status, 431);
}

#[tokio::test]
async fn it_listens_only_on_loopback_unless_asked() {
    let kit = kit().await;
    let client = client(&kit);
    let config = TunnelConfig {
        bind: "0.0.0.0:0".parse().expect("addr"),
        ..TunnelConfig::default()
    };
    let err = Tunnel::start(client.clone(), "s", "jupyter", config.clone())
        .await
        .expect_err("refused");
    assert!(matches!(err, TunnelError::NotLoopback(_)), "{err}");
    let t = Tunnel::start(
        client.clone(),
        "s",
        "jupyter",
        TunnelConfig {
            allow_non_loopback: true,
            ..config
        },
    )
    .await
    .expect("explicitly allowed");
    assert!(t.local_addr().ip().is_unspecified());
    let t = Tunnel::start(client, "s", "jupyter", TunnelConfig::default())
        .await
        .expect("default");
    assert!(t.local_addr().ip().is_loopback());
    assert_ne!(t.local_addr().port(), 0);
    let t2 = Tunnel::start(
        common::client(&kit),
        "s",
        "jupyter",
        TunnelConfig::default(),
    )
    .await
    .expect("another");
    if cfg!(target_os = "linux") {
        // Each tunnel is an origin and a site of its own: no shared cookie jar.
        assert_ne!(t.local_addr().ip(), t2.local_addr().ip());
        assert_ne!(t.local_addr().ip(), std::net::Ipv4Addr::LOCALHOST);
        assert!(
            t.auth_url()
                .expose()
                .starts_with(&format!("http://{}/", t.local_addr()))
        );
    }
}
