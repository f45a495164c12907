use chrono::TimeZone;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;

use super::*;

fn ctx(auth: AuthMode) -> ErrorContext {
    let mut c = ErrorContext::new(auth, "POST", "/session?x=1");
    c.now = Utc
        .with_ymd_and_hms(2024, 5, 6, 7, 30, 0)
        .single()
        .expect("valid");
    c
}

fn problem(slug: &str, title: &str, extra: serde_json::Value) -> Vec<u8> {
    let mut v = json!({"type": format!("https://api.backend.ai/probs/{slug}"), "title": title});
    if let (Some(obj), Some(more)) = (v.as_object_mut(), extra.as_object()) {
        obj.extend(more.clone());
    }
    serde_json::to_vec(&v).expect("json")
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/problem+json"),
    );
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).expect("header"));
    }
    h
}

#[test]
fn clock_skew_measures_against_the_servers_date() {
    let body = problem(
        "invalid-auth-params",
        "Invalid or missing authorization parameters",
        json!({"msg": "Date/time sync error"}),
    );
    // Server 17 minutes behind our clock.
    let e = map_error_response(
        400,
        &headers(&[("date", "Mon, 06 May 2024 07:13:00 GMT")]),
        &body,
        &ctx(AuthMode::Keypair),
    );
    match &e {
        Error::ClockSkew { skew_secs } => assert_eq!(*skew_secs, Some(17 * 60)),
        other => panic!("expected ClockSkew, got {other:?}"),
    }
    assert!(e.to_string().contains("17 minutes ahead of"), "{e}");
    let e = map_error_response(400, &headers(&[]), &body, &ctx(AuthMode::Keypair));
    assert!(matches!(e, Error::ClockSkew { skew_secs: None }), "{e:?}");
}

#[test]
fn auth_failures_depend_on_the_mode() {
    let body = problem(
        "auth-failed",
        "Authentication failed",
        json!({"msg": "HMAC signature mismatch", "error_code": "user_auth_unauthorized"}),
    );
    let e = map_error_response(401, &headers(&[]), &body, &ctx(AuthMode::Keypair));
    assert_eq!(e.code(), "auth-failed");
    assert!(e.to_string().contains("HMAC signature mismatch"), "{e}");
    assert!(e.to_string().contains("access key and secret key"), "{e}");
    let body = problem("auth-failed", "Unauthorized access", json!({}));
    let e = map_error_response(401, &headers(&[]), &body, &ctx(AuthMode::LoginSession));
    assert_eq!(e.code(), "login-required");
    let body = problem("password-expired", "Password expired", json!({}));
    let e = map_error_response(401, &headers(&[]), &body, &ctx(AuthMode::LoginSession));
    assert_eq!(e.code(), "password-expired");
}

#[test]
fn unsupported_version_names_what_was_sent() {
    let body = problem("generic-bad-request", "Unsupported API version.", json!({}));
    let mut c = ctx(AuthMode::Keypair);
    c.api_version = Some(ApiVersion::new(9, 20250722));
    let e = map_error_response(400, &headers(&[]), &body, &c);
    assert_eq!(e.code(), "unsupported-api-version");
    assert!(e.to_string().contains("v9.20250722"), "{e}");
}

#[test]
fn unknown_image_only_when_an_image_was_asked_for() {
    let body = problem(
        "object-not-found",
        "No such environment image",
        json!({"error_code": "image_read_not-found"}),
    );
    let mut c = ctx(AuthMode::Keypair);
    c.image = Some("nope:1".into());
    let e = map_error_response(404, &headers(&[]), &body, &c);
    assert!(
        matches!(&e, Error::UnknownImage { image } if image == "nope:1"),
        "{e:?}"
    );
    let body = problem(
        "object-not-found",
        "No such session.",
        json!({"error_code": "session_read_not-found"}),
    );
    let e = map_error_response(404, &headers(&[]), &body, &ctx(AuthMode::Keypair));
    assert_eq!(e.code(), "not-found");
    assert!(
        e.to_string().contains("No such session") && e.to_string().contains("/session"),
        "{e}"
    );
}

#[test]
fn name_taken_carries_the_existing_id() {
    let body = problem(
        "session-already-exists",
        "The session already exists",
        json!({"data": {"existingSessionId": "a1b2"}}),
    );
    let mut c = ctx(AuthMode::Keypair);
    c.session_name = Some("mynb".into());
    let e = map_error_response(400, &headers(&[]), &body, &c);
    match e {
        Error::SessionNameTaken { name, existing_id } => {
            assert_eq!(name, "mynb");
            assert_eq!(existing_id.as_deref(), Some("a1b2"));
        }
        other => panic!("expected SessionNameTaken, got {other:?}"),
    }
}

#[test]
fn quota_exceeded_on_400_and_412() {
    for status in [400, 412] {
        let body = problem(
            "quota-exceeded",
            "You have reached your resource limit.",
            json!({"msg": "cpu"}),
        );
        let e = map_error_response(status, &headers(&[]), &body, &ctx(AuthMode::Keypair));
        assert_eq!(e.code(), "quota-exceeded", "status {status}");
        assert!(e.to_string().contains("resource limit"), "{e}");
    }
}

#[test]
fn rate_limit_reads_the_headers() {
    let body = problem("rate-limit-exceeded", "Rate limit exceeded", json!({}));
    let h = headers(&[
        ("x-ratelimit-window", "900"),
        ("x-ratelimit-limit", "1000"),
        ("x-ratelimit-remaining", "0"),
    ]);
    let e = map_error_response(429, &h, &body, &ctx(AuthMode::Keypair));
    assert!(
        matches!(
            e,
            Error::RateLimited {
                window_secs: Some(900),
                limit: Some(1000)
            }
        ),
        "{e:?}"
    );
}

#[test]
fn status_classes() {
    let body = problem("generic-forbidden", "Forbidden", json!({}));
    assert_eq!(
        map_error_response(403, &headers(&[]), &body, &ctx(AuthMode::Keypair)).code(),
        "forbidden"
    );
    let body = problem("internal-server-error", "Internal server error", json!({}));
    let e = map_error_response(500, &headers(&[]), &body, &ctx(AuthMode::Keypair));
    assert!(matches!(e, Error::Server { status: 500, .. }), "{e:?}");
    for status in [502, 503, 504] {
        let e = map_error_response(status, &HeaderMap::new(), b"", &ctx(AuthMode::Keypair));
        assert_eq!(e.code(), "server-unavailable");
    }
    let body = problem(
        "invalid-api-params",
        "Missing or invalid API parameters.",
        json!({"msg": "image: required"}),
    );
    let e = map_error_response(400, &headers(&[]), &body, &ctx(AuthMode::Keypair));
    assert_eq!(e.code(), "bad-request");
    assert!(e.to_string().contains("image: required"), "{e}");
}

#[test]
fn html_error_pages_are_named_without_dumping_them() {
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("text/html"));
    let page = format!("<html><body>{}</body></html>", "Not Found ".repeat(500));
    let e = map_error_response(404, &h, page.as_bytes(), &ctx(AuthMode::Keypair));
    assert_eq!(e.code(), "not-found");
    let msg = e.to_string();
    assert!(msg.contains("HTML page") && msg.len() < 200, "{msg}");
}
