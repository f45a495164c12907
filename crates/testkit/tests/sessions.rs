//! Session lifecycle over REST with SSE events, errors, and GraphQL listing.

mod common;

use std::time::Duration;

use bai_testkit::{Config, Schedule, Status, TestKit};
use common::{Sig, json, post, send};
use futures_util::StreamExt;
use serde_json::json;

fn fast() -> Config {
    Config {
        schedule: Schedule::uniform(Duration::from_millis(50)),
        ..Config::default()
    }
}

/// Reads SSE events (name, data) from a signed `/events/session` stream until `stop`.
async fn events_until(r: reqwest::Response, stop: &[&str]) -> Vec<(String, serde_json::Value)> {
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/event-stream")
    );
    let mut body = r.bytes_stream();
    let mut buf = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(chunk)) = tokio::time::timeout_at(deadline, body.next()).await {
        buf.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let name = block
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .map(str::to_owned);
            let data = block.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(n), Some(d)) = (name, data) {
                let done = stop.contains(&n.as_str());
                out.push((n, serde_json::from_str(d).expect("data is JSON")));
                if done {
                    return out;
                }
            }
        }
    }
    out
}

fn names(evs: &[(String, serde_json::Value)]) -> Vec<&str> {
    evs.iter().map(|(n, _)| n.as_str()).collect()
}

#[tokio::test]
async fn lifecycle_emits_the_real_event_names_in_order() {
    let kit = TestKit::start(fast()).await.expect("start");
    let ctl = kit.control();
    ctl.hold_new_sessions_at(Some(Status::Pending));
    let id = common::create(&kit, "life-1").await;
    assert_eq!(ctl.session_status("life-1"), Some(Status::Pending));
    let sse = send(
        &kit.manager_url(),
        "GET",
        "/events/session?sessionName=life-1&scope=*",
        None,
        &Sig::default(),
    )
    .await;
    ctl.release("life-1");
    let evs = events_until(sse, &["session_started"]).await;
    assert_eq!(
        names(&evs),
        [
            "session_scheduled",
            "session_preparing",
            "kernel_pulling",
            "session_prepared",
            "session_creating",
            "session_started"
        ]
    );
    let (_, d) = &evs[5];
    assert_eq!(d["sessionName"], "life-1");
    assert_eq!(d["sessionId"], id.as_str());
    assert_eq!(d["ownerAccessKey"], bai_testkit::ADMIN_ACCESS_KEY);

    let (st, info) = json(common::get(&kit, "/session/life-1").await).await;
    assert_eq!(st, 200);
    assert_eq!(info["status"], "RUNNING");
    // A Python repr, as the real manager 26.9.6 sends it (not JSON).
    assert_eq!(
        info["occupiedSlots"],
        "{'cpu': Decimal('1.000000'), 'mem': Decimal('1073741824.000000')}"
    );
    assert_eq!(info["statusInfo"], "None");
    let (_, apps) = json(common::get(&kit, &format!("/stream/session/{id}/apps")).await).await;
    let app_names: Vec<&str> = apps
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["name"].as_str().expect("name"))
        .collect();
    assert_eq!(app_names, ["jupyter", "jupyterlab", "sshd", "ttyd"]);
    assert_eq!(apps[1]["ports"], json!([8090]));

    let sse = send(
        &kit.manager_url(),
        "GET",
        &format!("/events/session?sessionId={id}"),
        None,
        &Sig::default(),
    )
    .await;
    let (st, v) = json(
        send(
            &kit.manager_url(),
            "DELETE",
            "/session/life-1",
            None,
            &Sig::default(),
        )
        .await,
    )
    .await;
    assert_eq!((st, v), (200, json!({"stats": {}})));
    let evs = events_until(sse, &["session_terminated"]).await;
    assert_eq!(names(&evs), ["session_terminating", "session_terminated"]);
    assert_eq!(evs[1].1["reason"], "user-requested");

    let (st, v) = json(common::get(&kit, "/session/life-1").await).await;
    assert_eq!(st, 404, "terminated sessions are not found by name");
    assert_eq!(v["error_code"], "session_read_not-found");
    assert_eq!(v["title"], "No such session.");
    assert_eq!(ctl.session_status(&id), Some(Status::Terminated));
}

#[tokio::test]
async fn destroying_a_pending_session_cancels_it() {
    let kit = TestKit::start(fast()).await.expect("start");
    // More CPUs than the agent has: the scheduler never picks it up.
    let body = json!({"name": "too-big", "image": "cr.backend.ai/stable/python:3.9-ubuntu20.04",
        "enqueueOnly": true, "config": {"resources": {"cpu": 50, "mem": "4g"}}});
    let (st, v) = json(post(&kit, "/session", &body).await).await;
    assert_eq!(st, 201);
    assert_eq!(v["status"], "PENDING");
    assert_eq!(v["servicePorts"], json!([]));
    assert_eq!(v["created"], true);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        kit.control().session_status("too-big"),
        Some(Status::Pending)
    );
    let sse = send(
        &kit.manager_url(),
        "GET",
        "/events/session?sessionName=too-big",
        None,
        &Sig::default(),
    )
    .await;
    send(
        &kit.manager_url(),
        "DELETE",
        "/session/too-big",
        None,
        &Sig::default(),
    )
    .await;
    let evs = events_until(sse, &["session_cancelled"]).await;
    assert_eq!(names(&evs), ["session_cancelled"]);
    assert_eq!(evs[0].1["reason"], "user-requested");
    let s = kit.control().sessions();
    assert_eq!(s[0].status, Status::Cancelled);
    assert_eq!(s[0].status_info.as_deref(), Some("user-requested"));
}

#[tokio::test]
async fn create_errors_match_the_manager() {
    let kit = TestKit::start(fast()).await.expect("start");
    let (st, v) =
        json(post(&kit, "/session", &json!({"name": "x", "image": "python"})).await).await;
    assert_eq!(
        (st, v["type"].as_str()),
        (400, Some("https://api.backend.ai/probs/invalid-api-params"))
    );
    let (st, v) = json(
        post(
            &kit,
            "/session",
            &json!({"name": "abcd", "image": "nope:1"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, 404);
    assert_eq!(v["type"], "https://api.backend.ai/probs/object-not-found");
    assert_eq!(v["error_code"], "image_read_not-found");

    let id = common::create(&kit, "dup-1").await;
    // Same image + reuse → the existing session, created:false.
    let (st, v) = json(
        post(
            &kit,
            "/session",
            &json!({"clientSessionToken": "dup-1", "lang": "python", "enqueueOnly": true}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (st, v["created"].as_bool(), v["sessionId"].as_str()),
        (201, Some(false), Some(id.as_str()))
    );
    let (st, v) = json(
        post(
            &kit,
            "/session",
            &json!({"name": "dup-1", "image": "python", "reuseIfExists": false}),
        )
        .await,
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(
        v["type"],
        "https://api.backend.ai/probs/session-already-exists"
    );
    assert_eq!(v["data"]["existingSessionId"], id.as_str());

    let (st, v) = json(common::get(&kit, "/session/no-such-thing").await).await;
    assert_eq!(
        (st, v["error_code"].as_str()),
        (404, Some("session_read_not-found"))
    );
    let (st, _) = json(common::get(&kit, "/events/session?sessionName=no-such-thing").await).await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn concurrency_limit_gives_quota_exceeded() {
    let kit = TestKit::start(Config {
        concurrency_limit: 1,
        ..fast()
    })
    .await
    .expect("start");
    common::create(&kit, "one-1").await;
    let (st, v) = json(
        post(
            &kit,
            "/session",
            &json!({"name": "two-2", "image": "python"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (st, v["type"].as_str()),
        (400, Some("https://api.backend.ai/probs/quota-exceeded"))
    );
    let old = TestKit::start(Config {
        concurrency_limit: 0,
        legacy_2409: true,
        ..fast()
    })
    .await
    .expect("start");
    let (st, _) = json(
        post(
            &old,
            "/session",
            &json!({"name": "two-2", "image": "python"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, 412);
}

#[tokio::test]
async fn create_without_enqueue_only_waits_for_running() {
    let kit = TestKit::start(fast()).await.expect("start");
    let (st, v) = json(
        post(
            &kit,
            "/session",
            &json!({"name": "wait-1", "image": "python-ml"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, 201);
    assert_eq!(v["status"], "RUNNING");
    assert_eq!(v["servicePorts"].as_array().expect("list").len(), 6);
    // A held session times out with the pseudo-status TIMEOUT.
    kit.control().hold_new_sessions_at(Some(Status::Preparing));
    let (_, v) = json(
        post(
            &kit,
            "/session",
            &json!({"name": "wait-2", "image": "python", "maxWaitSeconds": 1}),
        )
        .await,
    )
    .await;
    assert_eq!(v["status"], "TIMEOUT");
}

#[tokio::test]
async fn failures_remote_termination_and_sse_break() {
    let kit = TestKit::start(fast()).await.expect("start");
    let ctl = kit.control();
    common::create(&kit, "fail-1").await;
    common::wait_status(&kit, "fail-1", Status::Running).await;
    let sse = send(
        &kit.manager_url(),
        "GET",
        "/events/session?sessionName=fail-1",
        None,
        &Sig::default(),
    )
    .await;
    assert!(ctl.fail_session("fail-1", "kernel-died"));
    let evs = events_until(sse, &["session_terminated"]).await;
    assert_eq!(evs[0].0, "session_terminated");
    assert_eq!(evs[0].1["reason"], "kernel-died");
    assert_eq!(ctl.session_status("fail-1"), Some(Status::Error));

    common::create(&kit, "kill-1").await;
    common::wait_status(&kit, "kill-1", Status::Running).await;
    ctl.terminate_remotely("kill-1");
    common::wait_status(&kit, "kill-1", Status::Terminated).await;

    // SSE closes after n events.
    ctl.hold_new_sessions_at(Some(Status::Pending));
    common::create(&kit, "brk-1").await;
    ctl.sse_break_after(Some(2));
    let sse = send(
        &kit.manager_url(),
        "GET",
        "/events/session?sessionName=brk-1",
        None,
        &Sig::default(),
    )
    .await;
    ctl.release("brk-1");
    let evs = events_until(sse, &["session_started"]).await;
    assert_eq!(
        names(&evs),
        ["session_scheduled", "session_preparing"],
        "stream ended after 2"
    );
}

#[tokio::test]
async fn graphql_lists_sessions_with_only_the_requested_fields() {
    let kit = TestKit::start(fast()).await.expect("start");
    common::create(&kit, "gql-1").await;
    common::wait_status(&kit, "gql-1", Status::Running).await;
    common::create(&kit, "gql-2").await;
    let q = "query($limit:Int!, $offset:Int!, $status:String) {
      compute_session_list(limit:$limit, offset:$offset, status:$status) {
        items { id name status service_ports occupying_slots } total_count } }";
    let body = json!({"query": q, "variables": {"limit": 10, "offset": 0, "status": "RUNNING,PENDING,SCHEDULED,PREPARING,PULLING,PREPARED,CREATING"}});
    let (st, v) = json(post(&kit, "/admin/gql", &body).await).await;
    assert_eq!(st, 200, "{v}");
    let list = &v["data"]["compute_session_list"];
    assert_eq!(list["total_count"], 2);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items[0]["name"], "gql-2", "newest first");
    let running = &items[1];
    assert_eq!(running["status"], "RUNNING");
    assert_eq!(
        running.as_object().expect("obj").len(),
        5,
        "only the asked fields: {running}"
    );
    let ports: serde_json::Value =
        serde_json::from_str(running["service_ports"].as_str().expect("JSON string"))
            .expect("json");
    assert_eq!(ports[0]["container_ports"], json!([8091]));

    let body = json!({"query": "{ compute_session_list(limit: 10, offset: 0, status: \"RUNNING\") { total_count } me: user { email groups { name } } images(is_installed: true) { name tag } }"});
    let (_, v) = json(post(&kit, "/admin/gql", &body).await).await;
    assert_eq!(v["data"]["compute_session_list"]["total_count"], 1);
    assert_eq!(v["data"]["me"]["email"], "admin@lablup.com");
    assert_eq!(v["data"]["me"]["groups"][0]["name"], "default");
    assert_eq!(
        v["data"]["images"][0],
        json!({"name": "stable/python", "tag": "3.9-ubuntu20.04"})
    );

    let (st, v) =
        json(post(&kit, "/admin/gql", &json!({"query": "{ nosuch { id } }"})).await).await;
    assert_eq!(st, 200);
    assert_eq!(
        v["errors"][0]["message"],
        "Cannot query field \"nosuch\" on type \"Queries\"."
    );

    // A normal user sees only their own sessions.
    let user = Sig {
        ak: bai_testkit::USER_ACCESS_KEY.into(),
        sk: bai_testkit::USER_SECRET_KEY.into(),
        ..Sig::default()
    };
    let body = json!({"query": "{ compute_session_list(limit: 10, offset: 0) { total_count } keypair { access_key is_admin } }"});
    let (_, v) =
        json(send(&kit.manager_url(), "POST", "/admin/gql", Some(&body), &user).await).await;
    assert_eq!(v["data"]["compute_session_list"]["total_count"], 0);
    assert_eq!(
        v["data"]["keypair"],
        json!({"access_key": bai_testkit::USER_ACCESS_KEY, "is_admin": false})
    );
}

#[tokio::test]
async fn resources_presets_groups_and_folders() {
    let kit = TestKit::start(fast()).await.expect("start");
    let (_, v) = json(common::get(&kit, "/resource/presets").await).await;
    assert_eq!(v["presets"][0]["name"], "cpu01-small");
    let (st, v) = json(
        post(
            &kit,
            "/resource/check-presets",
            &json!({"group": "default"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let presets = v["presets"].as_array().expect("presets");
    assert_eq!(presets[0]["allocatable"], true);
    assert_eq!(
        presets[3]["allocatable"], false,
        "16 CPUs exceed the 8-CPU agent"
    );
    assert_eq!(v["scaling_group_remaining"]["cpu"], "8");
    let (_, v) = json(common::get(&kit, "/scaling-groups?group=default").await).await;
    assert_eq!(v, json!({"scaling_groups": [{"name": "default"}]}));
    let (_, v) = json(common::get(&kit, "/folders").await).await;
    assert_eq!(v.as_array().expect("list").len(), 2);
    let (_, v) = json(common::get(&kit, "/config/resource-slots").await).await;
    assert_eq!(v["mem"], "bytes");
}

#[tokio::test]
async fn graphql_answers_the_sdk_default_session_fields() {
    let kit = TestKit::start(fast()).await.expect("start");
    // Unknown fields are found by the schema even when the list is empty, with the real type.
    let bad = json!({"query": "{ compute_session_list(limit: 10, offset: 0) { items { id nosuch } total_count } }"});
    let (st, v) = json(post(&kit, "/admin/gql", &bad).await).await;
    assert_eq!(st, 200);
    assert_eq!(v["data"], serde_json::Value::Null, "{v}");
    assert_eq!(
        v["errors"],
        json!([{"message": "Cannot query field \"nosuch\" on type \"ComputeSession\"."}])
    );

    let id = common::create(&kit, "sdkf-1").await;
    common::wait_status(&kit, "sdkf-1", Status::Running).await;
    // ComputeSession.paginated_list()'s defaults, plus the rest of the SDK's session_fields.
    let q = "query($limit:Int!, $offset:Int!) {
      compute_session_list(limit:$limit, offset:$offset) {
        items { id image type status status_info status_changed result abusing_reports
                registry cluster_template created_user_email created_user_id __typename
                dependencies { name id }
                containers { id cluster_role cluster_idx cluster_hostname session_id image registry
                             status status_info status_data status_changed agent container_id
                             resource_opts occupied_slots preopen_ports live_stat last_stat } }
        total_count } }";
    let body = json!({"query": q, "variables": {"limit": 20, "offset": 0}});
    let (st, v) = json(post(&kit, "/admin/gql", &body).await).await;
    assert_eq!(st, 200, "{v}");
    // Present and null on success, as graphene on the real manager answers.
    assert_eq!(v["errors"], serde_json::Value::Null, "{v}");
    let item = &v["data"]["compute_session_list"]["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["type"], "INTERACTIVE");
    assert_eq!(item["status"], "RUNNING");
    assert_eq!(item["result"], "UNDEFINED");
    assert_eq!(item["abusing_reports"], json!([]));
    assert_eq!(item["registry"], "cr.backend.ai");
    assert_eq!(item["cluster_template"], serde_json::Value::Null);
    assert_eq!(item["created_user_email"], "admin@lablup.com");
    assert!(
        item["created_user_id"]
            .as_str()
            .is_some_and(|s| s.len() == 36),
        "{item}"
    );
    assert_eq!(item["__typename"], "ComputeSession");
    assert_eq!(item["dependencies"], json!([]));
    assert_eq!(
        item.as_object().expect("obj").len(),
        15,
        "only the asked fields: {item}"
    );
    let kernel = &item["containers"][0];
    assert_eq!(item["containers"].as_array().map(Vec::len), Some(1));
    assert_eq!(kernel["session_id"], id.as_str());
    assert_eq!(kernel["cluster_role"], "main");
    assert_eq!(kernel["cluster_hostname"], "main1");
    assert_eq!(kernel["status"], "RUNNING");
    assert_eq!(kernel["agent"], "i-testkit");
    let slots: serde_json::Value =
        serde_json::from_str(kernel["occupied_slots"].as_str().expect("JSON string"))
            .expect("json");
    assert_eq!(slots["cpu"], "1", "{slots}");
}

#[tokio::test]
async fn session_info_finds_error_sessions_but_not_terminated_ones() {
    let kit = TestKit::start(fast()).await.expect("start");
    let ctl = kit.control();
    let id = common::create(&kit, "err-info").await;
    common::wait_status(&kit, "err-info", Status::Running).await;
    assert!(ctl.fail_session("err-info", "kernel-died"));
    for path in [format!("/session/{id}"), "/session/err-info".to_owned()] {
        let (st, v) = json(common::get(&kit, &path).await).await;
        assert_eq!(st, 200, "{path}: {v}");
        assert_eq!(v["status"], "ERROR");
        assert_eq!(v["statusInfo"], "kernel-died");
    }
    let (st, v) = json(common::get(&kit, &format!("/session/{id}/status-history")).await).await;
    assert_eq!(st, 200, "{v}");
    assert!(v["result"]["ERROR"].is_string(), "{v}");

    common::create(&kit, "done-info").await;
    common::wait_status(&kit, "done-info", Status::Running).await;
    ctl.terminate_remotely("done-info");
    common::wait_status(&kit, "done-info", Status::Terminated).await;
    let (st, v) = json(common::get(&kit, "/session/done-info").await).await;
    assert_eq!(st, 404, "{v}");
    assert_eq!(v["error_code"], "session_read_not-found");
}
