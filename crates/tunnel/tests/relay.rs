//! Relaying: faults of the app side, concurrency, half-close and resource cleanup.

mod common;

use std::time::Duration;

use bai_tunnel::TunnelConfig;
use common::http::Conn;
use common::*;

#[tokio::test]
async fn bytes_flow_both_ways_on_kept_alive_connections_and_are_counted() {
    let s = setup(TunnelConfig::default()).await;
    let mut c = s.conn().await;
    for _ in 0..5 {
        let r = c.get("/small", false).await.expect("answer");
        assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    }
    let r = c.get("/blob/3000000", false).await.expect("blob");
    assert_eq!(r.body.len(), 3_000_000);
    assert!(r.body.iter().all(|b| *b == b'x'));
    let st = s.tunnel.stats();
    assert_eq!(st.connections_open, 1);
    assert!(st.bytes_down > 3_000_000, "{st:?}");
    assert!(st.bytes_up > 6 * 20, "{st:?}");
    assert_eq!(st.errors, 0);
}

#[tokio::test]
async fn a_1013_close_before_any_byte_answers_503_that_reloads_and_the_next_connection_works() {
    let s = setup(TunnelConfig::default()).await;
    s.kit.control().tcpproxy_reject_first(1);
    let r = s.conn().await.get("/small", false).await.expect("answer");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("starting"), "{}", r.text());
    assert!(r.text().contains("http-equiv=\"refresh\""), "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(s.tunnel.stats().errors, 1);
    let r = s.conn().await.get("/small", false).await.expect("answer");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
}

#[tokio::test]
async fn once_the_app_has_answered_a_lost_connection_gets_a_reconnecting_page_that_reloads() {
    let s = setup(TunnelConfig {
        spare_connections: 0,
        ..TunnelConfig::default()
    })
    .await;
    let r = s.conn().await.get("/small", false).await.expect("answer");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));

    // The app side refuses once (1013): not "starting" any more, but reconnecting.
    s.kit.control().tcpproxy_reject_first(1);
    let r = s.conn().await.get("/small", false).await.expect("answer");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("Reconnecting to jupyter"), "{}", r.text());
    assert!(r.text().contains("http-equiv=\"refresh\""), "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("2"));

    // The server is gone altogether (the WebSocket cannot open): the same page.
    let Setup {
        kit,
        tunnel,
        cookie,
    } = s;
    kit.shutdown().await;
    let mut c = Conn::open(tunnel.local_addr(), Some(&cookie))
        .await
        .expect("connect");
    let r = c.get("/small", false).await.expect("answer");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("Reconnecting to jupyter"), "{}", r.text());
}

#[tokio::test]
async fn a_websocket_dropped_mid_download_fails_that_connection_and_the_next_one_works() {
    // No spares: the testkit fixes a tunnel's fault when it opens, so a spare opened during
    // the fault would carry it; this test is about fresh connections.
    let s = setup(TunnelConfig {
        spare_connections: 0,
        ..TunnelConfig::default()
    })
    .await;
    s.kit.control().tcpproxy_drop_after_bytes(Some(1_000_000));
    let mut c = s.conn().await;
    let r = tokio::time::timeout(Duration::from_secs(20), c.get("/blob/8000000", true))
        .await
        .expect("the failure shows promptly, no hang");
    assert!(r.is_err(), "a cut download must not look complete: {r:?}");
    s.kit.control().tcpproxy_drop_after_bytes(None);
    let r = s
        .conn()
        .await
        .get("/blob/2000000", false)
        .await
        .expect("next");
    assert_eq!(r.body.len(), 2_000_000);
    assert!(s.tunnel.stats().errors >= 1);
}

#[tokio::test]
async fn a_hundred_concurrent_connections_all_complete() {
    let s = setup(TunnelConfig::default()).await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let addr = s.tunnel.local_addr();
        let cookie = s.cookie.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr, Some(&cookie)).await.expect("connect");
            let path = if i % 10 == 0 {
                "/blob/500000"
            } else {
                "/small"
            };
            let a = c.get(path, false).await.expect("first");
            let b = c.get("/small", false).await.expect("second");
            (a.status, a.body.len(), b.status)
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let (a, len, b) = t.await.expect("task");
        assert_eq!((a, b), (200, 200), "connection {i}");
        assert_eq!(len, if i % 10 == 0 { 500_000 } else { 2 });
    }
    let st = s.tunnel.stats();
    assert!(st.connections_total >= 101, "{st:?}");
    assert_eq!(st.errors, 0, "{st:?}");
}

#[tokio::test]
async fn a_half_closed_client_still_gets_its_answer() {
    let s = setup(TunnelConfig::default()).await;
    let mut sock = tokio::net::TcpStream::connect(s.tunnel.local_addr())
        .await
        .expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let req = format!(
        "GET /blob/300000 HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nConnection: close\r\n\r\n",
        s.tunnel.local_addr(),
        s.cookie
    );
    sock.write_all(req.as_bytes()).await.expect("send");
    sock.shutdown().await.expect("half-close");
    let mut all = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), sock.read_to_end(&mut all))
        .await
        .expect("ends")
        .expect("read");
    let text = String::from_utf8_lossy(&all);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        &text[..text.len().min(200)]
    );
    let body = &all[all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head end")
        + 4..];
    assert_eq!(body.len(), 300_000);
}

#[tokio::test]
async fn close_stops_the_listener_and_open_connections() {
    let s = setup(TunnelConfig::default()).await;
    let mut c = s.conn().await;
    assert_eq!(c.get("/small", false).await.expect("answer").status, 200);
    s.tunnel.close();
    let r = tokio::time::timeout(Duration::from_secs(5), c.get("/small", false))
        .await
        .expect("no hang");
    assert!(r.is_err(), "the open connection ended: {r:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        tokio::net::TcpStream::connect(s.tunnel.local_addr())
            .await
            .is_err(),
        "the listener is gone"
    );
}

/// How many tcpproxy upgrades the testkit has seen (the tunnel's WebSocket handshakes).
fn upgrades(s: &Setup) -> usize {
    s.kit
        .control()
        .requests()
        .iter()
        .filter(|r| r.path.contains("/tcpproxy?app=jupyter"))
        .count()
}

/// Wait until the tunnel holds `n` spares.
async fn wait_spares(s: &Setup, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while s.tunnel.spare_connections() != n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} spares, not {n}",
            s.tunnel.spare_connections()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wait until the testkit has seen `n` upgrades.
async fn wait_upgrades(s: &Setup, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while upgrades(s) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} upgrades, not {n}",
            upgrades(s)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn once_in_use_new_connections_get_pre_opened_websockets() {
    let s = setup(TunnelConfig::default()).await;
    assert_eq!(
        upgrades(&s),
        0,
        "nothing is opened before the first connection"
    );
    s.conn().await.get("/small", false).await.expect("first");
    wait_spares(&s, 6).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(upgrades(&s), 7, "the first connection plus six spares");
    assert_eq!(s.tunnel.spare_connections(), 6);
    for _ in 0..5 {
        let r = s.conn().await.get("/small", false).await.expect("answer");
        assert_eq!(r.status, 200);
    }
    wait_upgrades(&s, 12).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        upgrades(&s),
        12,
        "each connection used a spare, and each was replaced"
    );
    assert_eq!(s.tunnel.stats().errors, 0);
}

#[tokio::test]
async fn a_browsers_six_parallel_connections_after_the_page_use_spares_and_an_idle_tunnel_drops_them()
 {
    let s = setup(TunnelConfig {
        spare_idle: Duration::from_millis(1500),
        ..TunnelConfig::default()
    })
    .await;
    // The page, on the browser's first connection: its own WebSocket, and the pool fills.
    let mut page = s.conn().await;
    assert_eq!(page.get("/small", false).await.expect("page").status, 200);
    wait_spares(&s, 6).await;
    assert_eq!(upgrades(&s), 7, "the page's own WebSocket and six spares");
    // From now on every new upgrade is refused (1013): a connection that did not get a spare
    // would answer 503.
    s.kit.control().tcpproxy_reject_first(1000);
    let burst = futures_util::future::join_all((0..6).map(|_| async {
        let mut c = s.conn().await;
        let r = c.get("/small", false).await.expect("answer");
        (r.status, c)
    }))
    .await;
    let statuses: Vec<u16> = burst.iter().map(|(st, _)| *st).collect();
    assert_eq!(
        statuses, [200; 6],
        "each of the six got a pre-opened WebSocket"
    );
    assert_eq!(s.tunnel.stats().errors, 0);
    s.kit.control().tcpproxy_reject_first(0);
    assert_eq!(
        page.get("/small", false).await.expect("again").status,
        200,
        "kept-alive connections stay"
    );

    // Idle (no new connection for `spare_idle`): the spares are closed, the browser's
    // kept-alive connections stay.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while s.tunnel.spare_connections() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} spares still held after the tunnel went idle",
            s.tunnel.spare_connections()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = upgrades(&s);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(upgrades(&s), before, "an idle tunnel opens nothing");
    assert_eq!(s.tunnel.stats().connections_open, 7);
    assert_eq!(
        page.get("/small", false).await.expect("after idle").status,
        200
    );

    // The next new connection fills the pool again.
    assert_eq!(
        s.conn()
            .await
            .get("/small", false)
            .await
            .expect("new")
            .status,
        200
    );
    wait_upgrades(&s, before + 7).await;
}
