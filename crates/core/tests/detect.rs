//! detect(): API vs webserver, a pasted web UI address, and something that is neither.

mod common;

use bai_core::client::{TlsOptions, detect};
use bai_core::{Endpoint, EndpointKind};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn ep(s: &str) -> Endpoint {
    Endpoint::parse(s).expect("endpoint")
}

#[tokio::test]
async fn manager_and_webserver_are_told_apart() {
    let kit = kit().await;
    let api = detect(&ep(&kit.manager_url()), &TlsOptions::default())
        .await
        .expect("api");
    assert_eq!(api.kind, EndpointKind::Api);
    assert_eq!(
        api.version.map(|v| v.to_string()).as_deref(),
        Some("v9.20250722")
    );
    assert!(api.manager_version.is_some());

    let web = detect(&ep(&kit.webserver_url()), &TlsOptions::default())
        .await
        .expect("web");
    assert_eq!(web.kind, EndpointKind::Webserver);
    assert_eq!(web.endpoint, ep(&kit.webserver_url()));
}

#[tokio::test]
async fn a_pasted_web_ui_page_address_falls_back_to_its_origin() {
    let kit = kit().await;
    let pasted = format!("{}/summary?tab=1#/session", kit.webserver_url());
    let web = detect(&ep(&pasted), &TlsOptions::default())
        .await
        .expect("web");
    assert_eq!(web.kind, EndpointKind::Webserver);
    assert_eq!(web.endpoint, ep(&kit.webserver_url()));
    // The dropped path is said, never lost silently (`bai detect` and `bai profile add` print
    // this note).
    assert_eq!(web.dropped_path.as_deref(), Some("/summary"));
    let note = web.path_note().expect("a note");
    assert!(note.contains("/summary"), "{note}");
    assert!(note.contains(&kit.webserver_url()), "{note}");
    let plain = detect(&ep(&kit.manager_url()), &TlsOptions::default())
        .await
        .expect("api");
    assert_eq!(plain.dropped_path, None);
    assert_eq!(plain.path_note(), None);
}

#[tokio::test]
async fn an_html_site_is_not_backend_ai() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let resp: &[u8] = if head.starts_with("GET / ") {
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html>hello</html>"
                } else {
                    b"HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nnot found"
                };
                let _ = sock.write_all(resp).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    let e = detect(&ep(&format!("http://{addr}")), &TlsOptions::default())
        .await
        .expect_err("not backend.ai");
    assert_eq!(e.code(), "not-backendai");
    let msg = e.to_string();
    assert!(msg.contains("GET / returned an HTML page"), "{msg}");
    assert!(msg.contains("GET /func/ returned 404"), "{msg}");
}
