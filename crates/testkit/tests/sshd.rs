//! The `sshd` app (a real OpenSSH server per session, reached only through tcpproxy), the
//! session file API on the session's home, and `/auth/ssh-keypair`.

mod common;

use std::time::Duration;

use bai_testkit::{Config, Schedule, Status, TestKit};
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

fn fast() -> Config {
    Config {
        schedule: Schedule::uniform(Duration::from_millis(10)),
        ..Config::default()
    }
}

fn require_sshd() -> bool {
    if bai_testkit::find_sshd().is_some() {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(
        !ci,
        "no sshd: apt-get install openssh-server (CI is set, so this test may not be skipped)"
    );
    eprintln!("SKIPPED: no sshd");
    false
}

#[tokio::test]
async fn ssh_keypair_get_patch_post() {
    let kit = TestKit::start(fast()).await.expect("kit");
    let (st, v) = json(get(&kit, "/auth/ssh-keypair").await).await;
    assert_eq!((st, v["ssh_public_key"].as_str()), (200, Some("")), "{v}");
    let (st, made) = json(
        send(
            &kit.manager_url(),
            "PATCH",
            "/auth/ssh-keypair",
            None,
            &Sig::default(),
        )
        .await,
    )
    .await;
    assert_eq!(st, 200, "{made}");
    let public = made["ssh_public_key"].as_str().expect("public").to_owned();
    let private = made["ssh_private_key"]
        .as_str()
        .expect("private")
        .to_owned();
    assert!(public.starts_with("ssh-ed25519 ") && private.contains("PRIVATE KEY"));
    let (_, v) = json(get(&kit, "/auth/ssh-keypair").await).await;
    assert_eq!(v["ssh_public_key"], public);
    // POST needs both halves, and they must match.
    let (st, v) = json(
        post(
            &kit,
            "/auth/ssh-keypair",
            &serde_json::json!({"pubkey": public}),
        )
        .await,
    )
    .await;
    assert_eq!(st, 400, "{v}");
    let other =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGmZ4Y9cVn8xR2VbR8b0t0b8fHkF3v7R3yTq0Qf3n1aV x";
    let (st, v) = json(
        post(
            &kit,
            "/auth/ssh-keypair",
            &serde_json::json!({"pubkey": other, "privkey": private}),
        )
        .await,
    )
    .await;
    assert_eq!(st, 400, "{v}");
    let (st, v) = json(
        post(
            &kit,
            "/auth/ssh-keypair",
            &serde_json::json!({"pubkey": public, "privkey": private}),
        )
        .await,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    // A new session's authorized_keys holds the registered key (as the agent writes it).
    create(&kit, "ssh-reg").await;
    wait_status(&kit, "ssh-reg", Status::Running).await;
    let keys = kit
        .session_home("ssh-reg")
        .expect("home")
        .join(".ssh/authorized_keys");
    assert_eq!(
        std::fs::read_to_string(keys).expect("keys").trim(),
        public.trim()
    );
}

#[tokio::test]
async fn file_api_reads_and_writes_the_session_home_only() {
    let kit = TestKit::start(fast()).await.expect("kit");
    create(&kit, "ssh-files").await;
    wait_status(&kit, "ssh-files", Status::Running).await;
    let base = kit.manager_url();
    let rel = "/session/ssh-files/upload";
    let body = "--B\r\nContent-Disposition: form-data; name=\"src\"; filename=\"a/b.txt\"\r\n\r\nhello\r\n--B--\r\n";
    let mut rb = client()
        .post(format!("{base}{rel}"))
        .header("Content-Type", "multipart/form-data; boundary=B");
    for (k, v) in signed_headers(&base, "POST", rel, "multipart/form-data", &Sig::default()) {
        rb = rb.header(k, v);
    }
    let r = rb.body(body).send().await.expect("upload");
    assert_eq!(r.status().as_u16(), 204);
    let home = kit.session_home("ssh-files").expect("home");
    assert_eq!(
        std::fs::read_to_string(home.join("a/b.txt")).expect("file"),
        "hello"
    );
    let r = send(
        &base,
        "POST",
        "/session/ssh-files/download_single?file=a/b.txt",
        None,
        &Sig::default(),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.expect("body"), "hello");
    let r = send(
        &base,
        "POST",
        "/session/ssh-files/download_single?file=../../etc/passwd",
        None,
        &Sig::default(),
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    let r = send(
        &base,
        "POST",
        "/session/ssh-files/download_single?file=missing",
        None,
        &Sig::default(),
    )
    .await;
    assert_eq!(r.status().as_u16(), 500);
}

#[tokio::test]
async fn sshd_app_is_a_real_openssh_behind_tcpproxy_and_stops_with_its_session() {
    if !require_sshd() {
        return;
    }
    let kit = TestKit::start(fast()).await.expect("kit");
    create(&kit, "ssh-app").await;
    wait_status(&kit, "ssh-app", Status::Running).await;
    let mut ws = open_ws(
        &kit.manager_url(),
        "/stream/session/ssh-app/tcpproxy?app=sshd",
        &[],
    )
    .await
    .expect("ws");
    let banner = match ws.next().await {
        Some(Ok(Message::Binary(b))) => b,
        other => panic!("no banner: {other:?}"),
    };
    assert!(banner.starts_with(b"SSH-2.0-OpenSSH"), "{banner:?}");
    ws.send(Message::Binary("SSH-2.0-test\r\n".into()))
        .await
        .expect("send");
    // The server's KEXINIT follows the client's banner.
    let kex = match ws.next().await {
        Some(Ok(Message::Binary(b))) => b,
        other => panic!("no kexinit: {other:?}"),
    };
    assert!(kex.len() > 100);
    let addrs = kit.sshd_addresses().await;
    assert_eq!(addrs.len(), 1);
    assert!(addrs.values().all(|a| a.ip().is_loopback()));
    // Terminating the session stops its sshd.
    let r = send(
        &kit.manager_url(),
        "DELETE",
        "/session/ssh-app",
        None,
        &Sig::default(),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    for _ in 0..200 {
        if kit.sshd_addresses().await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("sshd still runs after its session ended");
}
