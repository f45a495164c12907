//! The real `bai` binary imports what the real official client (`backend.ai` 26.9.6) wrote,
//! and reads back what it exported. No keyring here: session-mode profiles carry no secret,
//! and an API profile must fail clearly without leaving half a profile. The same with a
//! real keyring and secret keys: `keyring.rs`.

mod common;
#[path = "common/official.rs"]
mod official;

use bai_testkit::{Config, TestKit};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_in_session_profile_imports_and_round_trips_without_a_keyring() {
    let Some(cli) = official::cli() else { return };
    let kit = TestKit::start(Config::default()).await.expect("testkit");
    let web = kit.webserver_url();
    let manager = kit.manager_url();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("mkdir");
        let off = |env: &[(&str, &str)], args: &[&str]| official::run(&cli, &home, env, args);
        off(
            &[],
            &[
                "v2",
                "profile",
                "create",
                "web",
                "--endpoint",
                &web,
                "--endpoint-type",
                "session",
            ],
        );
        off(&[], &["v2", "profile", "use", "web"]);
        off(
            &[("BACKEND_USER", EMAIL), ("BACKEND_PASSWORD", PASSWORD)],
            &["v2", "login"],
        );
        let official_dir = home.join(".backend.ai");
        assert!(
            official_dir
                .join("profiles/web/session/cookie.dat")
                .is_file()
        );

        let bai = Bai::offline(&dir.path().join("cfg")).env("HOME", &home.display().to_string());
        let run = bai
            .run(&["profile", "import", "--official", "--email", EMAIL], "")
            .ok();
        assert!(
            run.out
                .contains(&format!("Imported \"web\" (webserver, {web})")),
            "{}",
            run.out
        );
        assert!(
            run.out.contains("\"web\" is now the default profile"),
            "{}",
            run.out
        );
        assert!(run.out.contains("bai profile login \"web\""), "{}", run.out);
        let list = bai.run(&["--json", "profile", "list"], "").ok();
        let rows: serde_json::Value = serde_json::from_str(&list.out).expect("json");
        let rows = &rows["items"];
        assert_eq!(rows[0]["name"], "web");
        assert_eq!(rows[0]["kind"], "webserver");
        assert_eq!(rows[0]["email"], EMAIL);
        assert_eq!(rows[0]["default"], true);

        // Export → import into another config folder → the same document.
        let file = dir.path().join("profiles.toml");
        let path = file.display().to_string();
        bai.run(&["profile", "export", "-o", &path], "").ok();
        let other = Bai::offline(&dir.path().join("cfg2"));
        other.run(&["profile", "import", "--file", &path], "").ok();
        let first = bai.run(&["profile", "export"], "").ok().out;
        assert_eq!(other.run(&["profile", "export"], "").ok().out, first);

        // An API profile's secret key needs the keyring: a clear failure, nothing half-made.
        off(
            &[],
            &["v2", "profile", "create", "api", "--endpoint", &manager],
        );
        off(
            &[],
            &["v2", "--profile", "api", "config", "set", "access-key", AK],
        );
        off(
            &[],
            &["v2", "--profile", "api", "config", "set", "secret-key", SK],
        );
        let fail = bai.run(&["profile", "import", "--official"], "");
        assert_ne!(fail.code, Some(0), "{}", fail.all());
        assert!(
            fail.err.contains("error[keyring-unavailable]"),
            "{}",
            fail.err
        );
        assert!(!fail.all().contains(SK), "{}", fail.all());
        let list = bai.run(&["profile", "list"], "").ok();
        assert!(!list.out.contains("api"), "{}", list.out);
    })
    .await
    .expect("join");
}

/// `--from-env` reads what the official client reads: the environment with the nearest `.env`
/// laid over it.
#[test]
fn from_env_lays_the_nearest_dotenv_over_the_environment_as_the_official_client_does() {
    let Some(cli) = official::cli() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let work = home.join("project/src");
    std::fs::create_dir_all(&work).expect("mkdir");
    // python-dotenv's own writer, the official client's dependency.
    let dotenv = cli.with_file_name("dotenv");
    for (k, v) in [
        ("BACKEND_ENDPOINT", "http://10.0.0.7:8090"),
        ("BACKEND_ENDPOINT_TYPE", "session"),
    ] {
        let ok = std::process::Command::new(&dotenv)
            .arg("-f")
            .arg(home.join("project/.env"))
            .args(["set", k, v])
            .output()
            .expect("dotenv runs");
        assert!(ok.status.success(), "{ok:?}");
    }
    let env = [("BACKEND_ENDPOINT", "http://shadowed.example.com")];
    let seen = official::run(&cli, &work, &env, &["v2", "config", "get", "endpoint"]);
    assert_eq!(seen.trim(), "http://10.0.0.7:8090");

    let bai = Bai::offline(&dir.path().join("cfg"));
    let mut c = bai.command(&[
        "profile",
        "import",
        "--from-env",
        "--email",
        EMAIL,
        "--name",
        "lab",
    ]);
    c.current_dir(&work).envs(env);
    let run = run_command(c, "", &bai.transcript).ok();
    assert!(
        run.out
            .contains("Imported \"lab\" (webserver, http://10.0.0.7:8090)"),
        "{}",
        run.all()
    );
    assert!(
        run.err.contains("project/.env over the environment"),
        "{}",
        run.err
    );
}
