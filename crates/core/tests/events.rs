//! SSE session events and follow_session (including its fallback to polling).

mod common;

use std::time::Duration;

use bai_core::client::{
    CreateSession, FollowOptions, SessionEventKind, SessionStatus, SessionUpdate, UpdateSource,
};
use common::*;
use futures_util::StreamExt;

#[tokio::test]
async fn sse_follows_a_session_to_running() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    let name = name("sse");
    let created = client
        .create_session(&CreateSession::new(&name, IMAGE))
        .await
        .expect("create");
    let mut events = client.session_events(&name).await.expect("subscribe");
    let mut kinds = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, events.next()).await {
        let ev = ev.expect("event");
        assert_eq!(ev.session_name.as_deref(), Some(name.as_str()));
        assert_eq!(ev.session_id.as_deref(), Some(created.session_id.as_str()));
        let started = ev.kind == SessionEventKind::Started;
        kinds.push(ev.kind);
        if started {
            break;
        }
    }
    assert_eq!(kinds.last(), Some(&SessionEventKind::Started), "{kinds:?}");
    assert!(kinds.contains(&SessionEventKind::Creating), "{kinds:?}");
    // The stream was asked for by name, as the real manager requires.
    assert!(kit.control().requests().iter().any(|r| {
        r.path
            .starts_with(&format!("/events/session?sessionName={name}&scope=*"))
    }));
}

async fn collect(mut s: bai_core::client::SessionUpdateStream) -> Vec<SessionUpdate> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while let Ok(Some(u)) = tokio::time::timeout_at(deadline, s.next()).await {
        out.push(u.expect("update"));
    }
    out
}

#[tokio::test]
async fn follow_session_ends_at_running() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    let created = client
        .create_session(&CreateSession::new(name("fol"), IMAGE))
        .await
        .expect("create");
    let updates = collect(client.follow_session(&created.session_name, &created.session_id)).await;
    let last = updates.last().expect("updates");
    assert_eq!(last.status, SessionStatus::Running, "{updates:?}");
    assert!(
        updates.iter().any(|u| u.source == UpdateSource::Events),
        "{updates:?}"
    );
    // Elapsed grows and statuses do not repeat.
    assert!(
        updates
            .windows(2)
            .all(|w| w[0].elapsed <= w[1].elapsed && w[0].status != w[1].status)
    );
}

#[tokio::test]
async fn follow_session_ends_at_error_with_the_reason() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    let ctl = kit.control();
    let created = client
        .create_session(&CreateSession::new(name("err"), IMAGE))
        .await
        .expect("create");
    ctl.hold(&created.session_id, bai_testkit::Status::Preparing);
    let stream = client.follow_session(&created.session_name, &created.session_id);
    let failer = tokio::spawn({
        let ctl = ctl.clone();
        let id = created.session_id.clone();
        async move {
            for _ in 0..100 {
                if ctl.session_status(&id) == Some(bai_testkit::Status::Preparing) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(ctl.fail_session(&id, "kernel-creation-failed"));
        }
    });
    let updates = collect(stream).await;
    failer.await.expect("failer");
    let last = updates.last().expect("updates");
    assert_eq!(last.status, SessionStatus::Error, "{updates:?}");
    assert_eq!(last.status_info.as_deref(), Some("kernel-creation-failed"));
}

#[tokio::test]
async fn follow_session_falls_back_to_polling_when_sse_breaks() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    kit.control().sse_break_after(Some(1));
    kit.control()
        .set_schedule(bai_testkit::Schedule::uniform(Duration::from_millis(300)));
    let created = client
        .create_session(&CreateSession::new(name("brk"), IMAGE))
        .await
        .expect("create");
    kit.control().clear_requests();
    let options = FollowOptions {
        poll_interval: Duration::from_millis(200),
        sse_idle_timeout: Duration::from_secs(10),
    };
    let updates =
        collect(client.follow_session_with(&created.session_name, &created.session_id, options))
            .await;
    assert_eq!(
        updates.last().map(|u| &u.status),
        Some(&SessionStatus::Running),
        "{updates:?}"
    );
    assert_eq!(
        updates.last().map(|u| u.source),
        Some(UpdateSource::Polling),
        "{updates:?}"
    );
    let polls = kit
        .control()
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == format!("/session/{}", created.session_id))
        .count();
    assert!(
        polls >= 2,
        "expected polling after the stream broke, saw {polls} GETs"
    );
}

#[tokio::test]
async fn follow_session_polls_when_events_are_silent() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    let ctl = kit.control();
    let created = client
        .create_session(&CreateSession::new(name("sil"), IMAGE))
        .await
        .expect("create");
    ctl.hold(&created.session_id, bai_testkit::Status::Pending);
    let options = FollowOptions {
        poll_interval: Duration::from_millis(100),
        sse_idle_timeout: Duration::from_millis(500),
    };
    let stream = client.follow_session_with(&created.session_name, &created.session_id, options);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    ctl.clear_requests();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let polls = ctl
        .requests()
        .iter()
        .filter(|r| r.path == format!("/session/{}", created.session_id))
        .count();
    assert!(
        polls >= 2,
        "a silent stream should give way to polling; saw {polls} GETs"
    );
    ctl.release(&created.session_id);
    let updates = collect(stream).await;
    assert_eq!(
        updates.last().map(|u| &u.status),
        Some(&SessionStatus::Running),
        "{updates:?}"
    );
}

/// A compromised or broken server: a valid version probe, then an event stream whose one line
/// never ends. The client must stop with a clear error after about a megabyte, not buffer on.
#[tokio::test]
async fn an_endless_event_from_a_malicious_server_is_a_clear_error() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::body::Body;
    use axum::response::IntoResponse;
    use axum::routing::get;

    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let app = axum::Router::new()
        .route(
            "/",
            get(|| async {
                axum::Json(serde_json::json!({"version": "v9.20250722", "manager": "26.9.6"}))
            }),
        )
        .route(
            "/events/session",
            get(move || {
                let counter = counter.clone();
                async move {
                    let chunk = bytes::Bytes::from(vec![b'x'; 64 * 1024]);
                    let head = futures_util::stream::once(async {
                        Ok::<_, std::io::Error>(bytes::Bytes::from_static(
                            b"event: session_started\ndata: ",
                        ))
                    });
                    let endless = futures_util::stream::repeat_with(move || {
                        counter.fetch_add(chunk.len(), Ordering::Relaxed);
                        Ok(chunk.clone())
                    });
                    (
                        [("content-type", "text/event-stream")],
                        Body::from_stream(head.chain(endless)),
                    )
                        .into_response()
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = bai_core::client::Client::new(
        config(&format!("http://{addr}"), bai_core::EndpointKind::Api),
        bai_core::client::Credentials::keypair(ADMIN_AK, ADMIN_SK),
    )
    .expect("client");
    let mut events = client.session_events("nb").await.expect("subscribe");
    let first = tokio::time::timeout(Duration::from_secs(20), events.next())
        .await
        .expect("an answer, not an endless read")
        .expect("an item");
    let e = first.expect_err("too large");
    assert_eq!(e.code(), "event-too-large", "{e}");
    assert!(e.to_string().contains("larger than 1048576 bytes"), "{e}");
    assert!(
        tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .expect("ends")
            .is_none(),
        "the stream ends after the error"
    );
    drop(events);
    // What the server managed to push: the cap plus what sat in socket buffers, not more.
    let pushed = sent.load(Ordering::Relaxed);
    assert!(pushed < 16 << 20, "read {pushed} bytes");
}
