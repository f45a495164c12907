//! The real `bai` binary against the testkit, with no keyring: environment mode for the
//! online checks, and offline commands that must work without a Secret Service.

mod common;

use bai_testkit::{Config, TestKit};
use common::*;

async fn kit() -> TestKit {
    TestKit::start(Config::default()).await.expect("testkit")
}

fn env_bai(dir: &std::path::Path, kit: &TestKit, secret: &str) -> Bai {
    Bai::offline(dir)
        .env("BACKEND_ENDPOINT", &kit.manager_url())
        .env("BACKEND_ACCESS_KEY", AK)
        .env("BACKEND_SECRET_KEY", secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_test_prints_server_version_and_email() {
    let kit = kit().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = env_bai(dir.path(), &kit, SK);
    let run = tokio::task::spawn_blocking(move || bai.run(&["profile", "test"], ""))
        .await
        .expect("join")
        .ok();
    assert!(run.out.contains("v9.20250722"), "{}", run.out);
    assert!(run.out.contains("Backend.AI 26.9.6"), "{}", run.out);
    assert!(run.out.contains(EMAIL), "{}", run.out);
    assert!(run.out.contains("superadmin"), "{}", run.out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_test_explains_a_wrong_secret_and_clock_skew() {
    let kit = kit().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = env_bai(dir.path(), &kit, "this-is-not-the-secret-key");
    let run = tokio::task::spawn_blocking(move || bai.run(&["profile", "test"], ""))
        .await
        .expect("join");
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.err
            .contains("error[auth-failed]: authentication failed"),
        "{}",
        run.err
    );
    assert!(run.err.contains("HMAC signature mismatch"), "{}", run.err);
    assert!(
        run.err.contains("Check the access key and secret key"),
        "{}",
        run.err
    );

    for (offset, side) in [(20 * 60, "behind"), (-20 * 60, "ahead of")] {
        kit.control().set_clock_offset(offset);
        let bai = env_bai(dir.path(), &kit, SK);
        let run = tokio::task::spawn_blocking(move || bai.run(&["profile", "test"], ""))
            .await
            .expect("join");
        assert_eq!(run.code, Some(1), "{}", run.all());
        assert!(run.err.contains("error[clock-skew]"), "{}", run.err);
        // The server's Date header has whole seconds, so 20 minutes may read as 19.
        let said = |m: u32| {
            run.err
                .contains(&format!("clock is {m} minutes {side} the server's"))
        };
        assert!(said(19) || said(20), "{}", run.err);
        assert!(run.err.contains("automatic time sync"), "{}", run.err);
    }
}

#[test]
fn without_a_keyring_add_fails_clearly_and_offline_commands_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = Bai::offline(dir.path());
    let add = bai.run(
        &[
            "profile",
            "add",
            "work",
            "--endpoint",
            "http://127.0.0.1:9",
            "--access-key",
            AK,
            "--secret-key-stdin",
        ],
        &format!("{SK}\n"),
    );
    assert_eq!(add.code, Some(1), "{}", add.all());
    assert!(
        add.err.contains("error[keyring-unavailable]"),
        "{}",
        add.err
    );
    assert!(add.err.contains("D-Bus"), "{}", add.err);
    bai.run(
        &[
            "profile",
            "add",
            "web",
            "--endpoint",
            "http://127.0.0.1:9",
            "--email",
            EMAIL,
        ],
        "",
    )
    .ok();
    let list = bai.run(&["profile", "list"], "").ok();
    assert!(list.out.contains("web"), "{}", list.out);
    assert!(
        !list.out.contains("work"),
        "the failed add left nothing: {}",
        list.out
    );
    let show = bai.run(&["profile", "show", "web"], "").ok();
    assert!(
        show.out.contains("unknown (keyring unavailable)"),
        "{}",
        show.out
    );
    bai.run(&["profile", "export"], "").ok();
    bai.run(&["profile", "rename", "web", "lab"], "").ok();
    let json = bai.run(&["--json", "profile", "list"], "").ok();
    let rows: serde_json::Value = serde_json::from_str(&json.out).expect("json");
    assert_eq!(rows[0]["name"], "lab");

    let usage = bai.run(&["profile", "add", "x", "--endpoint", "http://h:1"], "");
    assert_eq!(usage.code, Some(2), "{}", usage.all());
    let bad_url = bai.run(
        &[
            "profile",
            "add",
            "x",
            "--endpoint",
            "ftp://h",
            "--email",
            EMAIL,
        ],
        "",
    );
    assert_eq!(bad_url.code, Some(2), "{}", bad_url.all());
    assert!(
        bad_url.err.contains("error[invalid-endpoint]"),
        "{}",
        bad_url.err
    );
}

#[test]
fn bai_profile_selects_with_the_environment_variable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = Bai::offline(dir.path());
    for name in ["one", "two"] {
        bai.run(
            &[
                "profile",
                "add",
                name,
                "--endpoint",
                "http://127.0.0.1:9",
                "--email",
                EMAIL,
            ],
            "",
        )
        .ok();
    }
    let chosen = Bai::offline(dir.path()).env("BAI_PROFILE", "two");
    let show = chosen.run(&["--json", "profile", "show"], "").ok();
    let v: serde_json::Value = serde_json::from_str(&show.out).expect("json");
    assert_eq!(v["name"], "two");
    let default = bai.run(&["--json", "profile", "show"], "").ok();
    let v: serde_json::Value = serde_json::from_str(&default.out).expect("json");
    assert_eq!(v["name"], "one", "the first profile is the default");
    let missing = Bai::offline(dir.path())
        .env("BAI_PROFILE", "three")
        .run(&["profile", "show"], "");
    assert!(
        missing.err.contains("error[profile-not-found]"),
        "{}",
        missing.err
    );
}
