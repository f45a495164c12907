//! Fault injection by path prefix: status, rate limit, HTML, garbage, truncation, delay.

mod common;

use std::time::{Duration, Instant};

use bai_testkit::{Config, FaultKind, FaultRule, TestKit};

#[tokio::test]
async fn faults_hit_the_next_matching_requests_only() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let ctl = kit.control();
    ctl.fail_next(
        FaultRule::new("/resource", FaultKind::RateLimit)
            .method("GET")
            .times(2),
    );
    for _ in 0..2 {
        let r = common::get(&kit, "/resource/presets").await;
        assert_eq!(r.status().as_u16(), 429);
        assert_eq!(r.headers()["x-ratelimit-window"], "900");
        assert!(r.headers().contains_key("x-ratelimit-remaining"));
    }
    assert_eq!(
        common::get(&kit, "/resource/presets")
            .await
            .status()
            .as_u16(),
        200
    );

    ctl.fail_next(FaultRule::new(
        "/folders",
        FaultKind::Status {
            status: 503,
            type_slug: "service-unavailable".into(),
            title: "Down.".into(),
            error_code: Some("x_y_z".into()),
        },
    ));
    let (st, v) = common::json(common::get(&kit, "/folders").await).await;
    assert_eq!(
        (st, v["type"].as_str(), v["error_code"].as_str()),
        (
            503,
            Some("https://api.backend.ai/probs/service-unavailable"),
            Some("x_y_z")
        )
    );

    ctl.fail_next(FaultRule::new("/folders", FaultKind::Html));
    let r = common::get(&kit, "/folders").await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );

    ctl.fail_next(FaultRule::new("/folders", FaultKind::Garbage { len: 64 }));
    let r = common::get(&kit, "/folders").await;
    assert_eq!(r.headers()["content-type"], "application/json");
    let body = r.bytes().await.expect("body");
    assert_eq!(body.len(), 64);
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());

    let full = common::get(&kit, "/folders")
        .await
        .bytes()
        .await
        .expect("body");
    ctl.fail_next(FaultRule::new("/folders", FaultKind::Truncated));
    let cut = common::get(&kit, "/folders")
        .await
        .bytes()
        .await
        .expect("body");
    assert_eq!(cut.len(), full.len() / 2);
    assert!(serde_json::from_slice::<serde_json::Value>(&cut).is_err());

    ctl.fail_next(FaultRule::new("/folders", FaultKind::Delay { ms: 300 }));
    let t = Instant::now();
    assert_eq!(common::get(&kit, "/folders").await.status().as_u16(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn controls_work_over_http() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let c = common::client();
    let base = kit.manager_url();
    let token = kit.control_token();
    let r = c.post(format!("{base}/__testkit/faults")).bearer_auth(token)
        .json(&serde_json::json!({"path_prefix": "/auth/role", "kind": {"kind": "status", "status": 500, "type_slug": "internal-server-error", "title": "boom"}}))
        .send().await.expect("send");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(common::get(&kit, "/auth/role").await.status().as_u16(), 500);
    assert_eq!(common::get(&kit, "/auth/role").await.status().as_u16(), 200);
    common::create(&kit, "http-1").await;
    let (st, v) = common::json(
        c.get(format!("{base}/__testkit/session/http-1"))
            .bearer_auth(token)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(st, 200);
    assert!(v["status"].is_string());
    let r = c
        .post(format!("{base}/__testkit/fail-session"))
        .bearer_auth(token)
        .json(&serde_json::json!({"session": "http-1", "status_info": "boom"}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        kit.control().session_status("http-1"),
        Some(bai_testkit::Status::Error)
    );
    let r = c
        .post(format!("{base}/__testkit/hold"))
        .bearer_auth(token)
        .json(&serde_json::json!({"session": "nope", "status": "PENDING"}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 404);
    let (_, v) = common::json(
        c.get(format!("{base}/__testkit/requests"))
            .bearer_auth(token)
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert!(
        v.as_array()
            .expect("list")
            .iter()
            .any(|r| r["path"] == "/auth/role")
    );
}

#[tokio::test]
async fn a_session_reports_any_status_the_control_api_sets() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let c = common::client();
    let base = kit.manager_url();
    let token = kit.control_token();
    common::create(&kit, "shown-1").await;
    let set = |status: serde_json::Value, session: &'static str| {
        c.post(format!("{base}/__testkit/report-status"))
            .bearer_auth(token)
            .json(&serde_json::json!({"session": session, "status": status}))
            .send()
    };
    let q = "query($ak:String) { compute_session_list(limit:10, offset:0, status:null, access_key:$ak) { items { name status } total_count } }";
    for status in ["PREEMPTED", "RUNNING_DEGRADED", "FROBNICATING"] {
        assert_eq!(
            set(serde_json::json!(status), "shown-1")
                .await
                .expect("send")
                .status()
                .as_u16(),
            200
        );
        let (st, v) = common::json(
            common::post(
                &kit,
                "/admin/gql",
                &serde_json::json!({"query": q, "variables": {}}),
            )
            .await,
        )
        .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            v["data"]["compute_session_list"]["items"][0]["status"], status,
            "{v}"
        );
        // A status filter of known names does not match a status it does not name.
        let (_, v) = common::json(
            common::post(
                &kit,
                "/admin/gql",
                &serde_json::json!({"query": "query { compute_session_list(limit:10, offset:0, status:\"RUNNING,PENDING\") { total_count } }"}),
            )
            .await,
        )
        .await;
        assert_eq!(v["data"]["compute_session_list"]["total_count"], 0, "{v}");
    }
    // null reports the real status again; an unknown session is a 404.
    assert_eq!(
        set(serde_json::Value::Null, "shown-1")
            .await
            .expect("send")
            .status()
            .as_u16(),
        200
    );
    assert_ne!(kit.control().sessions()[0].status.as_str(), "FROBNICATING");
    assert_eq!(
        set(serde_json::json!("X"), "nope")
            .await
            .expect("send")
            .status()
            .as_u16(),
        404
    );
}
