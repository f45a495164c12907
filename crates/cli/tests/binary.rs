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
            "--offline",
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
            "--offline",
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
    assert_eq!(rows["items"][0]["name"], "lab");

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
                "--offline",
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

#[test]
fn a_damaged_profiles_file_is_reported_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = Bai::offline(dir.path());
    bai.run(
        &[
            "profile",
            "add",
            "web",
            "--endpoint",
            "http://127.0.0.1:9",
            "--offline",
            "--email",
            EMAIL,
        ],
        "",
    )
    .ok();
    std::fs::write(bai.config_dir.join("profiles.toml"), "garbage [[[\n").expect("write");
    let list = bai.run(&["profile", "list"], "").ok();
    // The core's log line said it a second time; now only the report's own lines do.
    assert_eq!(
        list.err.matches("could not be read").count(),
        1,
        "{}",
        list.err
    );
    assert_eq!(list.err.matches("kept as").count(), 1, "{}", list.err);
    assert!(!list.err.contains("WARN"), "{}", list.err);
}

#[test]
fn with_no_profiles_a_session_command_says_how_to_get_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = Bai::offline(dir.path()).run(&["sessions"], "");
    assert_eq!(run.code, Some(2), "{}", run.all());
    assert!(run.err.contains("no profiles yet"), "{}", run.err);
    assert!(run.err.contains("`bai profile add"), "{}", run.err);
    assert!(run.err.contains("`bai demo`"), "{}", run.err);
    assert!(!run.err.contains("profile default NAME"), "{}", run.err);
}

/// The subcommands `bai <path> --help` lists under "Commands:" (clap's tree as the binary
/// prints it), without clap's own `help`.
fn subcommands(bai: &Bai, path: &[&str]) -> Vec<String> {
    let mut args = path.to_vec();
    args.push("--help");
    let help = bai.run(&args, "").ok().out;
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_help_shows_an_example_and_global_options_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = Bai::offline(dir.path());
    let mut pending = vec![Vec::<String>::new()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        for flag in ["--help", "-h"] {
            let mut args = p.clone();
            args.push(flag);
            let help = bai.run(&args, "").ok().out;
            assert!(
                help.contains("\nExamples:\n  bai ") || help.contains("\nExamples:\n  source "),
                "`bai {} {flag}` has no example:\n{help}",
                p.join(" ")
            );
            assert!(
                help.contains("\nGlobal options:\n"),
                "`bai {} {flag}` mixes the global options in:\n{help}",
                p.join(" ")
            );
        }
        seen += 1;
        for sub in subcommands(&bai, &p) {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
    }
    // bai, 11 top-level commands, 12 profile subcommands: the walk really went down the tree.
    assert!(seen >= 24, "walked only {seen} commands");
    let top = bai.run(&["--help"], "").ok().out;
    assert!(top.contains("Which account a command uses"), "{top}");
    assert!(top.contains("4 to 64 characters"), "{top}");
}

#[test]
fn completion_scripts_load_in_their_shells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = Bai::offline(dir.path());
    let bash = bai.run(&["completion", "bash"], "").ok().out;
    assert!(bash.contains("complete "), "{bash}");
    // Sourced as a user would, then asked for what it registered: a script with a syntax
    // error fails the `source`, and `complete -p bai` fails when nothing was registered.
    let bin = env!("CARGO_BIN_EXE_bai");
    let sourced = std::process::Command::new("bash")
        .args([
            "--norc",
            "-c",
            r#"set -e; source <("$0" completion bash); complete -p bai"#,
            bin,
        ])
        .output()
        .expect("bash runs");
    let (out, err) = (
        String::from_utf8_lossy(&sourced.stdout),
        String::from_utf8_lossy(&sourced.stderr),
    );
    assert!(sourced.status.success(), "{out}{err}");
    assert!(out.contains("-F _bai bai"), "{out}");
    assert!(err.is_empty(), "sourcing printed: {err}");
    // zsh and fish only where installed (not installed for the tests' sake).
    for (shell, check) in [
        (
            "zsh",
            r#"autoload -U compinit && compinit -u && source <("$0" completion zsh)"#,
        ),
        ("fish", r#"$argv[1] completion fish | source"#),
    ] {
        let Ok(probe) = std::process::Command::new(shell).arg("--version").output() else {
            continue;
        };
        if !probe.status.success() {
            continue;
        }
        let run = std::process::Command::new(shell)
            .args(["-c", check, bin])
            .output()
            .expect("shell runs");
        assert!(
            run.status.success() && run.stderr.is_empty(),
            "{shell}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let unknown = bai.run(&["completion", "tcsh"], "");
    assert_eq!(unknown.code, Some(2), "{}", unknown.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_checks_the_endpoint_unless_offline() {
    let kit = kit().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = Bai::offline(dir.path());
    let web = kit.webserver_url();
    tokio::task::spawn_blocking(move || {
        let add = |name: &str, endpoint: &str, extra: &[&str]| {
            let mut args = vec![
                "profile",
                "add",
                name,
                "--endpoint",
                endpoint,
                "--email",
                EMAIL,
            ];
            args.extend_from_slice(extra);
            bai.run(&args, "")
        };
        let bad = add("w", "not-a-url", &[]);
        assert_eq!(bad.code, Some(2), "{}", bad.all());
        assert!(bad.err.contains("error[invalid-endpoint]"), "{}", bad.err);
        assert!(bad.err.contains("not a URL"), "{}", bad.err);
        assert!(bad.err.contains("https://api.example.com"), "{}", bad.err);

        let down = add("w", "http://127.0.0.1:9", &[]);
        assert_eq!(down.code, Some(1), "{}", down.all());
        assert!(
            down.err.contains("error[connection-refused]"),
            "{}",
            down.err
        );
        assert!(down.err.contains("--offline"), "{}", down.err);
        let list = bai.run(&["--json", "profile", "list"], "").ok();
        let rows: serde_json::Value = serde_json::from_str(&list.out).expect("json");
        assert_eq!(
            rows["items"],
            serde_json::json!([]),
            "nothing was added: {}",
            list.out
        );

        let kept = add("w", "http://127.0.0.1:9", &["--offline"]).ok();
        assert!(kept.out.contains("Added profile \"w\""), "{}", kept.out);
        assert!(kept.err.contains("warning: --offline"), "{}", kept.err);

        // A reachable web UI: added, and a pasted page path is dropped with a note, the same
        // note `bai detect` prints.
        let pasted = format!("{web}/summary");
        let added = add("w2", &pasted, &[]).ok();
        assert!(
            added.err.contains("note: the path /summary"),
            "{}",
            added.err
        );
        let show = bai.run(&["--json", "profile", "show", "w2"], "").ok();
        let v: serde_json::Value = serde_json::from_str(&show.out).expect("json");
        assert_eq!(v["endpoint"], web.trim_end_matches('/'));
        let detect = bai.run(&["detect", &pasted], "").ok();
        assert!(
            detect.err.contains("note: the path /summary"),
            "{}",
            detect.err
        );
        assert!(
            detect.out.starts_with(web.trim_end_matches('/')),
            "{}",
            detect.out
        );
    })
    .await
    .expect("join");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_aliases_and_the_environment_note() {
    let kit = kit().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = Bai::offline(dir.path());
    let env = env_bai(dir.path(), &kit, SK);
    tokio::task::spawn_blocking(move || {
        let sessions = env.run(&["--json", "sessions", "--all"], "").ok();
        for alias in ["ps", "ls"] {
            let same = env.run(&["--json", alias, "-a"], "").ok();
            assert_eq!(same.out, sessions.out, "bai {alias}");
        }
        // `rm` is terminate: it looks the session up (and names what it did not find).
        let rm = env.run(&["rm", "no-such-session"], "");
        let terminate = env.run(&["terminate", "no-such-session"], "");
        assert_eq!(rm.code, terminate.code, "{}", rm.all());
        assert_eq!(rm.err, terminate.err);
        assert!(!rm.err.contains("unrecognized subcommand"), "{}", rm.err);
        let usage = plain.run(&["rm", "--help"], "").ok();
        assert!(usage.out.contains("Usage: bai terminate"), "{}", usage.out);

        // No profile: the environment is used quietly.
        let quiet = env.run(&["profile", "test"], "").ok();
        assert!(!quiet.err.contains("note:"), "{}", quiet.err);
        // With a default profile, the environment overrides it, and one line says so.
        plain
            .run(
                &[
                    "profile",
                    "add",
                    "mine",
                    "--endpoint",
                    "http://127.0.0.1:9",
                    "--email",
                    EMAIL,
                    "--offline",
                ],
                "",
            )
            .ok();
        let noted = env.run(&["profile", "test"], "").ok();
        assert!(
            noted.out.contains("environment (BACKEND_*)"),
            "{}",
            noted.out
        );
        let notes: Vec<&str> = noted
            .err
            .lines()
            .filter(|l| l.starts_with("note:"))
            .collect();
        assert_eq!(notes.len(), 1, "{}", noted.err);
        assert!(notes[0].contains("BACKEND_ENDPOINT="), "{}", notes[0]);
        assert!(
            notes[0].contains("default profile \"mine\""),
            "{}",
            notes[0]
        );
        // -p picks the profile: no environment, no note (the profile's host is down).
        let picked = env.run(&["-p", "mine", "profile", "test"], "");
        assert!(!picked.err.contains("note:"), "{}", picked.err);
        assert!(picked.err.contains("error["), "{}", picked.err);
    })
    .await
    .expect("join");
}
