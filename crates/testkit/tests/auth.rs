//! HMAC authentication over real loopback HTTP, checked in the manager's order.

mod common;

use bai_testkit::{Config, TestKit, USER_ACCESS_KEY, USER_SECRET_KEY};
use common::{Sig, json, send};

#[tokio::test]
async fn version_probe_is_anonymous_and_has_server_and_date_headers() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let r = common::client()
        .get(format!("{}/", kit.manager_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(r.headers()["server"], "BackendAI");
    let date = r.headers()["date"].to_str().expect("ascii").to_owned();
    assert!(bai_core::signing::parse_date(&date).is_some(), "{date}");
    let (st, v) = json(r).await;
    assert_eq!(st, 200);
    assert_eq!(v["version"], "v9.20250722");
    assert_eq!(v["manager"], "26.9.6");
}

#[tokio::test]
async fn signed_requests_are_accepted_for_both_keypairs_and_date_headers() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let base = kit.manager_url();
    let (st, v) = json(send(&base, "GET", "/auth/role", None, &Sig::default()).await).await;
    assert_eq!((st, v["global_role"].as_str()), (200, Some("superadmin")));
    let user = Sig {
        ak: USER_ACCESS_KEY.into(),
        sk: USER_SECRET_KEY.into(),
        date_header: "X-BackendAI-Date",
        ..Sig::default()
    };
    let (st, v) = json(send(&base, "GET", "/auth/role?group=default", None, &user).await).await;
    assert_eq!((st, v["global_role"].as_str()), (200, Some("user")));
    let old = Sig {
        version: Some("v8.20240915".into()),
        ..Sig::default()
    };
    let (st, _) = json(send(&base, "GET", "/folders", None, &old).await).await;
    assert_eq!(st, 200);
}

async fn problem(r: reqwest::Response) -> (u16, serde_json::Value) {
    assert_eq!(
        r.headers()["content-type"],
        "application/problem+json",
        "errors are problem+json"
    );
    assert!(r.headers().contains_key("date"), "errors carry Date too");
    json(r).await
}

#[tokio::test]
async fn bad_signatures_are_rejected_with_the_managers_errors() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let base = kit.manager_url();

    let wrong_secret = Sig {
        sk: "not-the-secret".into(),
        ..Sig::default()
    };
    let (st, v) = problem(send(&base, "GET", "/auth/role", None, &wrong_secret).await).await;
    assert_eq!(st, 401);
    assert_eq!(v["type"], "https://api.backend.ai/probs/auth-failed");
    assert_eq!(v["error_code"], "user_auth_unauthorized");
    assert_eq!(v["msg"], "HMAC signature mismatch");

    let unknown = Sig {
        ak: "AKIANOSUCHKEY0000000".into(),
        ..Sig::default()
    };
    let (st, v) = problem(send(&base, "GET", "/auth/role", None, &unknown).await).await;
    assert_eq!(
        (st, v["msg"].as_str()),
        (401, Some("Access key not found in HMAC"))
    );

    let skewed = Sig {
        skew_secs: -20 * 60,
        ..Sig::default()
    };
    let (st, v) = problem(send(&base, "GET", "/auth/role", None, &skewed).await).await;
    assert_eq!(st, 400);
    assert_eq!(
        v["type"],
        "https://api.backend.ai/probs/invalid-auth-params"
    );
    assert_eq!(v["msg"], "Date/time sync error");

    let no_version = Sig {
        version: None,
        ..Sig::default()
    };
    let (st, v) = problem(send(&base, "GET", "/auth/role", None, &no_version).await).await;
    assert_eq!(st, 400);
    assert_eq!(
        v["type"],
        "https://api.backend.ai/probs/invalid-auth-params"
    );

    let bad_version = Sig {
        version: Some("v9.20990101".into()),
        ..Sig::default()
    };
    let (st, v) = problem(send(&base, "GET", "/auth/role", None, &bad_version).await).await;
    assert_eq!(st, 400);
    assert_eq!(
        v["type"],
        "https://api.backend.ai/probs/generic-bad-request"
    );
    assert_eq!(v["msg"], "Unsupported API version.");

    // The query string is signed: a signature for another target does not verify.
    let mut headers =
        common::signed_headers(&base, "GET", "/folders", "text/plain", &Sig::default());
    let mut rb = common::client()
        .get(format!("{base}/folders?all=true"))
        .header("Content-Type", "text/plain");
    for (k, v) in headers.drain(..) {
        rb = rb.header(k, v);
    }
    let (st, v) = problem(rb.send().await.expect("send")).await;
    assert_eq!(
        (st, v["msg"].as_str()),
        (401, Some("HMAC signature mismatch"))
    );

    let r = common::client()
        .get(format!("{base}/auth/role"))
        .header("Authorization", "BackendAI garbage")
        .header("Date", bai_core::signing::format_date(chrono::Utc::now()).0)
        .header("X-BackendAI-Version", common::VERSION)
        .send()
        .await
        .expect("send");
    let (st, v) = problem(r).await;
    assert_eq!(st, 400);
    assert_eq!(
        v["type"],
        "https://api.backend.ai/probs/invalid-auth-params"
    );
}

#[tokio::test]
async fn the_server_clock_offset_drives_the_date_check_and_date_header() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let base = kit.manager_url();
    kit.control().set_clock_offset(3600);
    let r = send(&base, "GET", "/auth/role", None, &Sig::default()).await;
    let date = r.headers()["date"].to_str().expect("ascii").to_owned();
    let server = bai_core::signing::parse_date(&date).expect("rfc 7231 date");
    let skew = (server.to_utc() - chrono::Utc::now()).num_seconds();
    assert!((3590..=3610).contains(&skew), "Date header skew {skew}");
    assert_eq!(
        r.status().as_u16(),
        400,
        "a client an hour behind is refused"
    );
    // A client that corrects for the skew gets in.
    let fixed = Sig {
        skew_secs: skew,
        ..Sig::default()
    };
    assert_eq!(
        send(&base, "GET", "/auth/role", None, &fixed)
            .await
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn unknown_routes_are_404_before_auth_and_requests_are_recorded() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let r = common::client()
        .get(format!("{}/no/such/route", kit.manager_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 404);
    common::get(&kit, "/resource/presets").await;
    let recs = kit.control().requests();
    let rec = recs
        .iter()
        .find(|r| r.path == "/resource/presets")
        .expect("recorded");
    assert_eq!(rec.method, "GET");
    assert_eq!(rec.via, "manager");
    assert_eq!(rec.headers["x-backendai-version"], common::VERSION);
    assert!(rec.headers["authorization"].starts_with("BackendAI signMethod=HMAC-SHA256"));
}
