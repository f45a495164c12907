//! `X-BackendAI-Encoded` bodies on the webserver: built here with the SDK's algorithm
//! (`client/auth.py` `encrypt_payload`) and a fixed IV, then sent over loopback.

mod common;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use bai_testkit::{Config, TestKit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::json;
use serde_json::{Value, json};

const IV: &[u8; 16] = b"Q7xLm2Zp9KdR4tWv";

/// `iv + ":" + base64(AES-256-CBC(pkcs7(body)))`, key `(base64(endpoint) + iv + iv)[:32]`.
fn encrypt_payload(endpoint: &str, iv: &[u8; 16], body: &[u8]) -> String {
    let mut key = B64.encode(endpoint).into_bytes();
    key.extend_from_slice(iv);
    key.extend_from_slice(iv);
    key.truncate(32);
    let ct = cbc::Encryptor::<aes::Aes256>::new_from_slices(&key, iv)
        .expect("32-byte key, 16-byte IV")
        .encrypt_padded_vec_mut::<Pkcs7>(body);
    format!(
        "{}:{}",
        std::str::from_utf8(iv).expect("ascii IV"),
        B64.encode(ct)
    )
}

async fn post_encoded(url: &str, payload: String, session: Option<&str>) -> reqwest::Response {
    let mut r = common::client()
        .post(url)
        .header("X-BackendAI-Encoded", "true")
        .header("Content-Type", "application/octet-stream")
        .body(payload);
    if let Some(sid) = session {
        r = r.header("X-BackendAI-SessionID", sid);
    }
    r.send().await.expect("send")
}

fn login_body(password: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"username": "user@lablup.com", "password": password})).expect("json")
}

#[test]
fn the_test_encoder_matches_the_python_sdk() {
    // From the SDK: encrypt_payload("http://127.0.0.1:8090", b'{"a": 1}') with the IV
    // "0123456789abcdef" (secrets.choice patched).
    assert_eq!(
        encrypt_payload("http://127.0.0.1:8090", b"0123456789abcdef", b"{\"a\": 1}"),
        "0123456789abcdef:/2dT7G97+SxjbFyCB+blLw=="
    );
}

#[tokio::test]
async fn encoded_login_is_decrypted_with_the_endpoint_from_the_host_header() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let web = kit.webserver_url();
    let login_url = format!("{web}/server/login");

    let r = post_encoded(
        &login_url,
        encrypt_payload(&web, IV, &login_body("C8qnIo29")),
        None,
    )
    .await;
    let sid = r.headers()["x-backendai-sessionid"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let (st, v) = json(r).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v,
        json!({"authenticated": true, "data": {"access_key": bai_testkit::USER_ACCESS_KEY, "role": "user", "status": "active"}})
    );

    let rec: Vec<_> = kit
        .control()
        .requests()
        .into_iter()
        .filter(|r| r.path == "/server/login")
        .collect();
    assert_eq!(rec.len(), 1, "{rec:?}");
    assert_eq!(rec[0].via, "webserver");
    assert_eq!(rec[0].method, "POST");
    assert_eq!(rec[0].headers["x-backendai-encoded"], "true");
    assert_eq!(rec[0].headers["content-type"], "application/octet-stream");

    // Other webserver routes decode too: an encoded /func body reaches the manager route.
    let create =
        serde_json::to_vec(&json!({"name": "enc-1", "image": "python", "enqueueOnly": true}))
            .expect("json");
    let (st, v) = json(
        post_encoded(
            &format!("{web}/func/session"),
            encrypt_payload(&web, IV, &create),
            Some(&sid),
        )
        .await,
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["sessionName"], "enc-1");
}

#[tokio::test]
async fn encoded_login_with_a_wrong_password_or_key_is_refused() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let web = kit.webserver_url();
    let login_url = format!("{web}/server/login");

    let r = post_encoded(
        &login_url,
        encrypt_payload(&web, IV, &login_body("not-the-password")),
        None,
    )
    .await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/json")
    );
    let (st, v) = json(r).await;
    assert_eq!((st, &v["authenticated"]), (401, &Value::Bool(false)), "{v}");
    assert_eq!(
        v["data"]["type"],
        "https://api.backend.ai/probs/auth-failed"
    );

    // Encrypted for another endpoint than the one the request reached: the key differs.
    let port = web.rsplit(':').next().expect("port");
    let other = format!("http://localhost:{port}");
    let (st, v) = json(
        post_encoded(
            &login_url,
            encrypt_payload(&other, IV, &login_body("C8qnIo29")),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["type"], "https://api.backend.ai/probs/invalid-api-params");
    assert!(
        v["msg"].as_str().expect("msg").contains(&web),
        "the message names the endpoint the key was derived from: {v}"
    );

    // The same body with the Host the client would send for that endpoint decrypts.
    let (st, v) = json(
        common::client()
            .post(&login_url)
            .header("Host", format!("localhost:{port}"))
            .header("X-BackendAI-Encoded", "true")
            .header("Content-Type", "application/octet-stream")
            .body(encrypt_payload(&other, IV, &login_body("C8qnIo29")))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!((st, &v["authenticated"]), (200, &Value::Bool(true)), "{v}");

    // Not the IV:ciphertext form at all.
    let (st, v) = json(post_encoded(&login_url, "garbage".into(), None).await).await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(
        kit.control().requests().len(),
        4,
        "every login attempt is recorded"
    );
}

#[tokio::test]
async fn plain_json_login_still_works() {
    let kit = TestKit::start(Config::default()).await.expect("start");
    let (st, v) = json(
        common::client()
            .post(format!("{}/server/login", kit.webserver_url()))
            .json(&json!({"username": "user@lablup.com", "password": "C8qnIo29"}))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!((st, &v["authenticated"]), (200, &Value::Bool(true)), "{v}");
}
