//! The idle guard against the testkit's idle checkers, with time driven by its clock: the
//! warnings come at the threshold and again at two minutes, the list shows the time left,
//! "Keep alive" (app traffic through the session's proxy) resets the network-timeout
//! checker, and is refused where traffic cannot help; an accelerated session idle too long
//! gets the spend warning; a checker that expires ends the session on the server.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use bai_core::idle::{Checker, IdleSettings};
use bai_core::launch::ReusePolicy;
use bai_core::live::{LaunchInput, LiveEvent, Notice, NoticeKind, SessionView, Target};
use bai_testkit::idle::{IdlePolicy, UtilizationPolicy};
use common::service::*;
use common::*;
use tokio::sync::broadcast;

/// Launch `name` to ready with a window open (its tunnel's probe is the first app traffic).
async fn launched(
    f: &Fixture,
    rx: &mut broadcast::Receiver<LiveEvent>,
    input: LaunchInput,
) -> String {
    let launch = f
        .svc
        .start_launch(
            &f.profile,
            Target::Create {
                input: Box::new(input),
                reuse: ReusePolicy::CreateNew,
            },
            false,
        )
        .await
        .expect("launch starts");
    let end = ended(rx, &launch).await;
    assert!(end.error.is_none(), "{end:?}");
    end.session_id.expect("session id")
}

fn input(name: &str) -> LaunchInput {
    LaunchInput {
        image: IMAGE.into(),
        name: Some(name.into()),
        ..LaunchInput::default()
    }
}

async fn notice(rx: &mut broadcast::Receiver<LiveEvent>, kind: NoticeKind) -> Notice {
    next(rx, &format!("a {kind:?} notice"), |e| match e {
        LiveEvent::Notice(n) if n.kind == kind => Some(n.clone()),
        _ => None,
    })
    .await
}

fn view(f: &Fixture, id: &str) -> Option<SessionView> {
    f.svc
        .snapshots()
        .into_iter()
        .flat_map(|s| s.sessions)
        .find(|s| s.id == id)
}

fn network_left(f: &Fixture, id: &str) -> Option<u64> {
    view(f, id)?
        .idle
        .iter()
        .find(|c| c.checker == Checker::NetworkTimeout)?
        .remaining_secs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warns_at_ten_then_two_minutes_and_keep_alive_resets_the_network_timeout() {
    let f = fixture().await;
    let _windows = front_end(&f.svc, false);
    f.kit.control().set_idle_policy(IdlePolicy {
        network_timeout_secs: Some(3600),
        ..IdlePolicy::default()
    });
    let mut rx = f.svc.subscribe();
    f.svc.watch(Some(f.profile.clone())).await;
    let id = launched(&f, &mut rx, input("idle-net")).await;
    until("the list shows an hour left", || {
        network_left(&f, &id).is_some_and(|s| s > 3500)
    })
    .await;

    // 9 min 50 s before the checker fires: the first warning, naming session and checker.
    f.kit.control().set_idle_clock(3600 - 590);
    let first = notice(&mut rx, NoticeKind::IdleWarning).await;
    assert!(
        first.title.contains("idle-net") && first.title.contains("9 min"),
        "{first:?}"
    );
    assert!(
        first.body.contains("no network activity") && first.body.contains("Keep alive"),
        "{first:?}"
    );
    assert_eq!(
        first.session.as_ref().map(|s| s.session_id.as_str()),
        Some(id.as_str())
    );
    let left = network_left(&f, &id).expect("time left");
    assert!((570..=590).contains(&left), "the list shows {left} s");

    // Nothing more until two minutes before.
    f.kit.control().set_idle_clock(3600 - 300);
    until("the list shows 5 min", || {
        network_left(&f, &id).is_some_and(|s| s <= 300)
    })
    .await;
    f.kit.control().set_idle_clock(3600 - 110);
    let second = notice(&mut rx, NoticeKind::IdleWarning).await;
    assert!(second.title.contains("1 min"), "{second:?}");
    let said: Vec<Notice> = f
        .svc
        .notices()
        .into_iter()
        .filter(|n| n.kind == NoticeKind::IdleWarning)
        .collect();
    assert_eq!(said.len(), 2, "one warning per threshold: {said:?}");

    // Keep alive: traffic through the session's tunnel puts the deadline back to an hour.
    f.svc.keep_alive(&f.profile, &id).await.expect("kept alive");
    until("the list shows an hour left again", || {
        network_left(&f, &id).is_some_and(|s| s > 3500)
    })
    .await;

    // Left alone past the hour, the checker ends it: the cluster did, so the user is told.
    f.kit.control().set_idle_clock(2 * 3600);
    let gone = notice(&mut rx, NoticeKind::SessionEnded).await;
    assert!(gone.body.contains("idle-net"), "{gone:?}");
    let status = f
        .kit
        .control()
        .sessions()
        .into_iter()
        .find(|s| s.id.to_string() == id)
        .expect("session");
    assert_eq!(status.status_info.as_deref(), Some("idle-timeout"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_is_refused_where_traffic_cannot_help_and_silent_clusters_show_nothing() {
    let f = fixture().await;
    let _windows = front_end(&f.svc, false);
    let mut rx = f.svc.subscribe();
    f.svc.watch(Some(f.profile.clone())).await;
    // No checker configured: the cluster reports `{}` and the list shows no idle time.
    let quiet = launched(&f, &mut rx, input("idle-quiet")).await;
    until("listed", || view(&f, &quiet).is_some()).await;
    assert!(view(&f, &quiet).expect("listed").idle.is_empty());
    let refused = f
        .svc
        .keep_alive(&f.profile, &quiet)
        .await
        .expect_err("nothing to keep alive");
    assert_eq!(refused.code, "keep-alive-not-offered");

    // A lifetime: shown, warned about, and not something a button can extend.
    f.kit.control().set_idle_policy(IdlePolicy {
        session_lifetime_secs: Some(1800),
        ..IdlePolicy::default()
    });
    f.kit.control().set_idle_clock(1800 - 500);
    let warned = notice(&mut rx, NoticeKind::IdleWarning).await;
    assert!(
        warned.body.contains("session lifetime") && warned.body.contains("Nothing extends"),
        "{warned:?}"
    );
    assert!(!warned.body.contains("Keep alive"), "{warned:?}");
    let refused = f
        .svc
        .keep_alive(&f.profile, &quiet)
        .await
        .expect_err("lifetime");
    assert_eq!(refused.code, "keep-alive-not-offered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_accelerated_session_gets_the_spend_warning_and_keep_quiets_it() {
    let f = fixture().await;
    let _windows = front_end(&f.svc, false);
    f.svc.set_idle_settings(IdleSettings {
        warn_before_minutes: 0,
        spend_after_minutes: Some(0),
    });
    f.kit.control().set_idle_policy(IdlePolicy {
        utilization: Some(UtilizationPolicy {
            grace_secs: 3600,
            thresholds: BTreeMap::from([("cuda_util".to_owned(), 5.0)]),
            operator: "and".into(),
        }),
        ..IdlePolicy::default()
    });
    let mut rx = f.svc.subscribe();
    f.svc.watch(Some(f.profile.clone())).await;
    let mut gpu = input("idle-gpu");
    gpu.resources = BTreeMap::from([
        ("cpu".into(), "1".into()),
        ("cuda.shares".into(), "0.5".into()),
    ]);
    let gpu = launched(&f, &mut rx, gpu).await;
    let cpu = launched(&f, &mut rx, input("idle-cpu")).await;
    for id in [&gpu, &cpu] {
        assert!(
            f.kit
                .control()
                .set_utilization(id, BTreeMap::from([("cuda_util".to_owned(), 0.5)]))
        );
    }
    let spend = notice(&mut rx, NoticeKind::IdleSpend).await;
    assert_eq!(
        spend.session.as_ref().map(|s| s.session_id.as_str()),
        Some(gpu.as_str()),
        "only the accelerated one: {spend:?}"
    );
    assert!(spend.body.contains("Terminate or Keep"), "{spend:?}");
    assert!(view(&f, &gpu).expect("listed").accelerated);
    assert!(!view(&f, &cpu).expect("listed").accelerated);

    // Keep: with no wait set, the next list warns again — unless it is busy by then.
    f.svc.keep_idle_session(&f.profile, &gpu);
    assert!(
        f.kit
            .control()
            .set_utilization(&gpu, BTreeMap::from([("cuda_util".to_owned(), 80.0)]))
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let spends = f
        .svc
        .notices()
        .into_iter()
        .filter(|n| n.kind == NoticeKind::IdleSpend)
        .count();
    assert_eq!(spends, 1, "a busy session is not warned about");
}
