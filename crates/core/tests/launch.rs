//! The launch state machine against the testkit: SSE breaks, failures, cancel, reuse, probing.
//! The injected tunnel here probes over a real signed WebSocket to an echo server (the real
//! tunnel crate is tested with it in crates/tunnel/tests/launch.rs).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bai_core::client::{CreateSession, FollowOptions, SessionStatus};
use bai_core::launch::{LaunchHandle, LaunchPhase, LaunchRequest, Launcher, ReusePolicy};
use bai_testkit::{Config, Schedule, Status, TestKit};
use common::echo::{EchoOpener, echo_server};
use common::*;

async fn fast_kit() -> TestKit {
    let kit = kit_with(Config {
        schedule: Schedule::uniform(Duration::from_millis(50)),
        ..Config::default()
    })
    .await;
    let echo = echo_server().await;
    kit.control().set_app_target("jupyter", echo);
    kit.control().set_app_target("jupyterlab", echo);
    kit
}

fn launcher(kit: &TestKit) -> (Launcher, Arc<AtomicU32>) {
    let opener = EchoOpener::default();
    let probes = opener.probes.clone();
    (Launcher::new(keypair_client(kit), Arc::new(opener)), probes)
}

fn request(name: &str) -> LaunchRequest {
    let mut r = LaunchRequest::create(CreateSession::new(name, IMAGE), ReusePolicy::CreateNew);
    r.follow = FollowOptions {
        poll_interval: Duration::from_millis(100),
        sse_idle_timeout: Duration::from_secs(5),
    };
    r.start_timeout = Duration::from_secs(30);
    r.ready_timeout = Duration::from_secs(20);
    r
}

/// Wait until the progress shows this session status.
async fn wait_status(handle: &LaunchHandle, status: SessionStatus) {
    let mut rx = handle.progress();
    tokio::time::timeout(
        Duration::from_secs(10),
        rx.wait_for(|p| p.status.as_ref() == Some(&status)),
    )
    .await
    .expect("status reached in time")
    .expect("progress open");
}

async fn wait_kit_status(kit: &TestKit, name: &str, want: &[Status]) -> Status {
    for _ in 0..200 {
        if let Some(s) = kit.control().session_status(name)
            && want.contains(&s)
        {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "{name} never reached {want:?}: {:?}",
        kit.control().session_status(name)
    );
}

#[tokio::test]
async fn a_launch_creates_follows_picks_jupyterlab_and_ends_ready() {
    let kit = fast_kit().await;
    let (launcher, _) = launcher(&kit);
    let mut req = request("");
    req.target = match req.target {
        bai_core::launch::SessionTarget::Create { mut spec, reuse } => {
            spec.name = String::new();
            bai_core::launch::SessionTarget::Create { spec, reuse }
        }
        other => other,
    };
    let handle = launcher.launch(req);
    let progress = handle.progress();
    let ready = handle.result().await.expect("ready");
    assert!(ready.created);
    assert_eq!(ready.app, "jupyterlab");
    assert!(
        ready.session_name.starts_with("bai-"),
        "{}",
        ready.session_name
    );
    let p = progress.borrow().clone();
    assert_eq!(p.phase, LaunchPhase::Ready);
    assert_eq!(p.status, Some(SessionStatus::Running));
    assert!(p.elapsed > Duration::ZERO);
    let created = kit.control().sessions();
    assert!(
        created.iter().any(|s| s.name == ready.session_name),
        "the generated name reached the server"
    );
}

#[tokio::test]
async fn a_broken_event_stream_mid_launch_is_finished_by_polling() {
    let kit = fast_kit().await;
    kit.control().sse_break_after(Some(1));
    let (launcher, _) = launcher(&kit);
    let name = name("sse");
    let ready = launcher
        .launch(request(&name))
        .result()
        .await
        .expect("ready despite the broken stream");
    let polls = kit
        .control()
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == format!("/session/{}", ready.session_id))
        .count();
    assert!(polls >= 2, "polling took over ({polls} polls)");
    assert_eq!(kit.control().session_status(&name), Some(Status::Running));
}

#[tokio::test]
async fn a_session_that_goes_to_error_fails_the_launch_with_its_status_info() {
    let kit = fast_kit().await;
    kit.control().hold_new_sessions_at(Some(Status::Preparing));
    let (launcher, _) = launcher(&kit);
    let name = name("err");
    let handle = launcher.launch(request(&name));
    wait_status(&handle, SessionStatus::Preparing).await;
    kit.control()
        .fail_session(&name, "kernel-creation-failed: image has no Python");
    let err = handle.result().await.expect_err("fails");
    assert!(
        matches!(
            &err,
            bai_core::Error::SessionEnded {
                status: SessionStatus::Error,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("failed") && msg.contains("image has no Python"),
        "{msg}"
    );
    assert_eq!(err.code(), "launch-session-ended");
}

#[tokio::test]
async fn a_session_terminated_remotely_fails_the_launch_saying_so() {
    let kit = fast_kit().await;
    kit.control().hold_new_sessions_at(Some(Status::Creating));
    let (launcher, _) = launcher(&kit);
    let name = name("rem");
    let handle = launcher.launch(request(&name));
    wait_status(&handle, SessionStatus::Creating).await;
    kit.control().terminate_remotely(&name);
    let err = handle.result().await.expect_err("fails");
    let msg = err.to_string();
    assert!(
        msg.contains("terminated") && msg.contains("force-terminated"),
        "{msg}"
    );
}

#[tokio::test]
async fn cancel_during_pulling_destroys_the_session_this_launch_created() {
    let kit = fast_kit().await;
    kit.control().hold_new_sessions_at(Some(Status::Pulling));
    let (launcher, _) = launcher(&kit);
    let name = name("cpl");
    let handle = launcher.launch(request(&name));
    wait_status(&handle, SessionStatus::Pulling).await;
    let progress = handle.progress();
    handle.cancel();
    let err = handle.result().await.expect_err("cancelled");
    assert!(
        matches!(
            err,
            bai_core::Error::LaunchCancelled {
                destroyed: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(progress.borrow().phase, LaunchPhase::Cancelled);
    wait_kit_status(&kit, &name, &[Status::Terminated, Status::Cancelled]).await;
    assert!(
        kit.control()
            .requests()
            .iter()
            .any(|r| r.method == "DELETE" && r.path.starts_with("/session/")),
        "a destroy call was made"
    );
}

#[tokio::test]
async fn cancel_on_a_reused_session_leaves_it_alone() {
    let kit = fast_kit().await;
    let client = keypair_client(&kit);
    let name = name("reu");
    kit.control().hold_new_sessions_at(Some(Status::Preparing));
    client
        .create_session(&CreateSession::new(&name, IMAGE))
        .await
        .expect("existing session");
    wait_kit_status(&kit, &name, &[Status::Preparing]).await;
    let (launcher, _) = launcher(&kit);

    let mut req = request(&name);
    req.target = bai_core::launch::SessionTarget::Create {
        spec: Box::new(CreateSession::new(&name, IMAGE)),
        reuse: ReusePolicy::ReuseIfExists,
    };
    let handle = launcher.launch(req);
    wait_status(&handle, SessionStatus::Preparing).await;
    handle.cancel();
    let err = handle.result().await.expect_err("cancelled");
    assert!(
        matches!(
            err,
            bai_core::Error::LaunchCancelled {
                destroyed: false,
                ..
            }
        ),
        "{err:?}"
    );

    let handle = launcher.open_existing(&name, None);
    wait_status(&handle, SessionStatus::Preparing).await;
    handle.cancel();
    let err = handle.result().await.expect_err("cancelled");
    assert!(
        matches!(
            err,
            bai_core::Error::LaunchCancelled {
                destroyed: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("left running"), "{err}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(kit.control().session_status(&name), Some(Status::Preparing));
    assert!(
        !kit.control()
            .requests()
            .iter()
            .any(|r| r.method == "DELETE"),
        "no destroy call"
    );
}

#[tokio::test]
async fn a_name_taken_without_reuse_is_refused_before_anything_starts() {
    let kit = fast_kit().await;
    let client = keypair_client(&kit);
    let name = name("dup");
    client
        .create_session(&CreateSession::new(&name, IMAGE))
        .await
        .expect("existing");
    let (launcher, _) = launcher(&kit);
    let err = launcher
        .launch(request(&name))
        .result()
        .await
        .expect_err("name taken");
    assert!(
        matches!(err, bai_core::Error::SessionNameTaken { .. }),
        "{err:?}"
    );
    assert_ne!(
        kit.control().session_status(&name),
        Some(Status::Terminated)
    );
}

#[tokio::test]
async fn first_tunnel_connections_closed_with_1013_are_retried_until_ready() {
    let kit = fast_kit().await;
    kit.control().tcpproxy_reject_first(2);
    let (launcher, probes) = launcher(&kit);
    let handle = launcher.launch(request(&name("rty")));
    let progress = handle.progress();
    let ready = handle.result().await.expect("ready after retries");
    assert_eq!(probes.load(Ordering::SeqCst), 3);
    assert_eq!(progress.borrow().probe_attempts, 3);
    assert_eq!(ready.app, "jupyterlab");
}

#[tokio::test]
async fn an_app_that_never_answers_ends_within_the_bound_and_the_session_is_destroyed() {
    let kit = fast_kit().await;
    kit.control().tcpproxy_reject_first(1000);
    let (launcher, _) = launcher(&kit);
    let name = name("nrd");
    let mut req = request(&name);
    req.ready_timeout = Duration::from_secs(2);
    let started = tokio::time::Instant::now();
    let err = launcher.launch(req).result().await.expect_err("not ready");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        matches!(err, bai_core::Error::AppNotReady { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("1013"), "{err}");
    wait_kit_status(&kit, &name, &[Status::Terminated, Status::Cancelled]).await;
}

/// A session terminated elsewhere while its app is still starting ends the launch within a few
/// seconds, saying so, instead of being probed until `ready_timeout`.
#[tokio::test]
async fn a_session_that_ends_while_its_app_is_probed_ends_the_launch() {
    let kit = fast_kit().await;
    kit.control().tcpproxy_reject_first(1000);
    let (launcher, _) = launcher(&kit);
    let name = name("gon");
    let handle = launcher.launch(request(&name));
    let mut progress = handle.progress();
    tokio::time::timeout(
        Duration::from_secs(10),
        progress.wait_for(|p| p.phase == LaunchPhase::Probing),
    )
    .await
    .expect("probing in time")
    .expect("progress open");
    kit.control().terminate_remotely(&name);
    let ended = tokio::time::Instant::now();
    let err = handle.result().await.expect_err("ends");
    assert!(ended.elapsed() < Duration::from_secs(5), "{err}");
    assert_eq!(err.code(), "launch-session-ended", "{err}");
}

#[tokio::test]
async fn a_start_timeout_ends_the_launch_with_the_last_status() {
    let kit = fast_kit().await;
    kit.control().hold_new_sessions_at(Some(Status::Pending));
    let (launcher, _) = launcher(&kit);
    let name = name("tmo");
    let mut req = request(&name);
    req.start_timeout = Duration::from_secs(1);
    let err = launcher.launch(req).result().await.expect_err("timeout");
    assert!(
        matches!(
            err,
            bai_core::Error::StartTimeout {
                status: SessionStatus::Pending,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("PENDING"), "{err}");
    wait_kit_status(&kit, &name, &[Status::Cancelled, Status::Terminated]).await;
}

#[tokio::test]
async fn an_app_the_session_does_not_offer_names_the_ones_it_does() {
    let kit = fast_kit().await;
    let (launcher, _) = launcher(&kit);
    let err = launcher
        .launch(request(&name("app")).app("vscode"))
        .result()
        .await
        .expect_err("no vscode on this image");
    let msg = err.to_string();
    assert!(
        msg.contains("vscode") && msg.contains("jupyterlab"),
        "{msg}"
    );
}

#[tokio::test]
async fn statuses_of_26x_and_unknown_ones_do_not_end_a_launch() {
    let kit = fast_kit().await;
    kit.control().hold_new_sessions_at(Some(Status::Preparing));
    // Events stop after the first: the reported statuses are seen by polling.
    kit.control().sse_break_after(Some(1));
    let (launcher, _) = launcher(&kit);
    let name = name("st26");
    let handle = launcher.launch(request(&name));
    wait_status(&handle, SessionStatus::Preparing).await;
    for status in [
        "PREEMPTED",
        "RESCHEDULING",
        "DEPRIORITIZING",
        "FROBNICATING",
    ] {
        assert!(kit.control().report_status(&name, Some(status)));
        wait_status(&handle, SessionStatus::parse(status)).await;
        assert!(
            !handle.progress().borrow().phase.is_final(),
            "{status} ended the launch"
        );
    }
    kit.control().report_status(&name, None);
    kit.control().release(&name);
    let ready = handle.result().await.expect("ready after all");
    assert_eq!(ready.session_name, name);
}
