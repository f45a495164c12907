//! Import and export: the official client's files as the real `backend.ai` 26.9.6 writes
//! them, `.env` files and variables, and export → import round trips.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

impl Outcome {
    fn all(&self) -> String {
        format!("{}{}", self.out, self.err)
    }
}

/// The official client from `scripts/python-env.sh`'s venv (or `BAI_OFFICIAL_CLI`). Missing,
/// it fails the test in CI (or when `BAI_OFFICIAL_CLI` names it) and skips it elsewhere.
pub(crate) fn official_cli() -> Option<PathBuf> {
    let named = std::env::var_os("BAI_OFFICIAL_CLI").map(PathBuf::from);
    let path = named.clone().unwrap_or_else(|| {
        let cache = std::env::var_os("BAI_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                    .join(".cache/bai-launcher")
            });
        cache.join("sdk/bin/backend.ai")
    });
    if path.is_file() {
        return Some(path);
    }
    let why = format!(
        "the official client (backend.ai-client 26.9.6) is not at {}: run scripts/python-env.sh sdk, or set BAI_OFFICIAL_CLI",
        path.display()
    );
    if named.is_some() || std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
    None
}

/// Run the official client with `home` as HOME, in `home`, with no BACKEND_* of the caller.
pub(crate) fn official(cli: &Path, home: &Path, args: &[&str]) -> String {
    let mut c = Command::new(cli);
    c.args(args).current_dir(home).env("HOME", home);
    for (k, _) in std::env::vars() {
        if k.starts_with("BACKEND_") || k.starts_with("SORNA_") {
            c.env_remove(k);
        }
    }
    let out = c.output().expect("backend.ai runs");
    assert!(
        out.status.success(),
        "backend.ai {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The files a user of the official client has after setting up three profiles.
pub(crate) fn official_tree(cli: &Path, home: &Path) {
    let run = |args: &[&str]| official(cli, home, args);
    run(&["v2", "config", "set", "endpoint", "https://api.example.com"]);
    run(&["v2", "config", "set", "access-key", AK]);
    run(&["v2", "config", "set", "secret-key", SK]);
    run(&[
        "v2",
        "profile",
        "create",
        "staging",
        "--endpoint",
        "https://staging.example.com:8443",
        "--endpoint-type",
        "api",
    ]);
    run(&[
        "v2",
        "--profile",
        "staging",
        "config",
        "set",
        "access-key",
        "AKSTAGING",
    ]);
    run(&[
        "v2",
        "--profile",
        "staging",
        "config",
        "set",
        "secret-key",
        "staging-secret-key-123",
    ]);
    run(&[
        "v2",
        "--profile",
        "staging",
        "config",
        "set",
        "skip-ssl-verification",
        "true",
    ]);
    run(&[
        "v2",
        "profile",
        "create",
        "web",
        "--endpoint",
        "http://10.0.0.5:8090",
        "--endpoint-type",
        "session",
    ]);
    run(&["v2", "profile", "use", "staging"]);
}

#[tokio::test]
async fn imports_what_the_real_official_client_wrote() {
    let Some(cli) = official_cli() else { return };
    let mut h = Harness::new();
    let home = h.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("mkdir");
    official_tree(&cli, &home);
    h.env.insert("HOME".into(), home.display().to_string());

    // The session-mode profile needs an email the official client never keeps.
    let out = h.run(&["profile", "import", "--official"], "").await.ok();
    assert!(
        out.out.contains("Imported \"api.example.com\""),
        "{}",
        out.out
    );
    assert!(out.out.contains("Imported \"staging\""), "{}", out.out);
    assert!(out.err.contains("--email EMAIL"), "{}", out.err);
    assert!(
        out.out.contains("\"staging\" is now the default profile"),
        "{}",
        out.out
    );
    assert!(
        out.out
            .contains("credentials.toml still holds it in plain text, readable by other users"),
        "{}",
        out.out
    );
    for secret in [SK, "staging-secret-key-123"] {
        assert!(!out.all().contains(secret), "{}", out.all());
    }
    let loaded = h.store().load().expect("load");
    let main = loaded.get("api.example.com").expect("main");
    assert_eq!(main.endpoint, "https://api.example.com");
    assert_eq!(main.kind, bai_core::EndpointKind::Api);
    assert_eq!(main.access_key.as_deref(), Some(AK));
    assert_eq!(main.domain, "default");
    assert_eq!(
        h.secret(&main.id, SecretKind::SecretKey).as_deref(),
        Some(SK)
    );
    let staging = loaded.get("staging").expect("staging");
    assert_eq!(staging.endpoint, "https://staging.example.com:8443");
    assert!(staging.tls.skip_verify);
    assert_eq!(
        h.secret(&staging.id, SecretKind::SecretKey).as_deref(),
        Some("staging-secret-key-123")
    );
    assert_eq!(
        loaded.default_profile().map(|p| p.name.as_str()),
        Some("staging")
    );

    // Again with the email: only "web" is new; it has no password and no secret.
    let again = h
        .run(
            &[
                "--json",
                "profile",
                "import",
                "--official",
                "--email",
                EMAIL,
            ],
            "",
        )
        .await
        .ok()
        .json();
    assert_eq!(
        again["imported"].as_array().map(Vec::len),
        Some(1),
        "{again}"
    );
    assert_eq!(again["imported"][0]["name"], "web");
    assert_eq!(again["imported"][0]["kind"], "webserver");
    assert!(
        again["skipped"].to_string().contains("already exists"),
        "{again}"
    );
    let web = h
        .store()
        .load()
        .expect("load")
        .get("web")
        .expect("web")
        .clone();
    assert_eq!(web.email.as_deref(), Some(EMAIL));
    assert!(!web.remember_password);
    for kind in SecretKind::ALL {
        assert_eq!(h.secret(&web.id, kind), None);
    }

    // --replace brings the official values back over an edited profile.
    h.run(
        &["profile", "edit", "staging", "--access-key", "AKEDITED"],
        "",
    )
    .await
    .ok();
    h.run(
        &[
            "profile",
            "import",
            "--official",
            "--email",
            EMAIL,
            "--replace",
        ],
        "",
    )
    .await
    .ok();
    let staging2 = h
        .store()
        .load()
        .expect("load")
        .get("staging")
        .expect("s")
        .clone();
    assert_eq!(staging2.id, staging.id);
    assert_eq!(staging2.access_key.as_deref(), Some("AKSTAGING"));
}

#[tokio::test]
async fn imports_a_dotenv_written_by_python_dotenv_as_the_official_client_reads_it() {
    let Some(cli) = official_cli() else { return };
    let h = Harness::new();
    let home = h.dir.path().join("home");
    std::fs::create_dir_all(&home).expect("mkdir");
    // python-dotenv's own `dotenv set` (the official client's dependency) writes the file.
    let dotenv = cli.with_file_name("dotenv");
    let env_file = home.join(".env");
    for (k, v) in [
        ("BACKEND_ENDPOINT", "http://10.0.0.5:8081"),
        ("BACKEND_ACCESS_KEY", "AKENVFILE"),
        ("BACKEND_SECRET_KEY", "env-file secret's #9876"),
        ("BACKEND_DOMAIN", "lab"),
        ("BACKEND_GROUP", "research"),
    ] {
        let ok = Command::new(&dotenv)
            .arg("-f")
            .arg(&env_file)
            .args(["set", k, v])
            .output()
            .expect("dotenv runs");
        assert!(ok.status.success(), "{ok:?}");
    }
    // What the official client reads from it, run in that folder.
    let seen = official(&cli, &home, &["v2", "config", "get", "secret-key"]);
    assert_eq!(seen.trim(), "env-file secret's #9876");

    let file = env_file.display().to_string();
    let out = h
        .run(
            &[
                "profile",
                "import",
                "--env-file",
                &file,
                "--name",
                "from-file",
            ],
            "",
        )
        .await
        .ok();
    assert!(
        out.out
            .contains(&format!("{file} still holds it in plain text")),
        "{}",
        out.out
    );
    let p = h
        .store()
        .load()
        .expect("load")
        .get("from-file")
        .expect("p")
        .clone();
    assert_eq!(p.endpoint, "http://10.0.0.5:8081");
    assert_eq!(p.access_key.as_deref(), Some("AKENVFILE"));
    assert_eq!(
        (p.domain.as_str(), p.project.as_deref()),
        ("lab", Some("research"))
    );
    assert_eq!(
        h.secret(&p.id, SecretKind::SecretKey).as_deref(),
        Some("env-file secret's #9876")
    );
}

#[tokio::test]
async fn imports_the_environment() {
    let mut h = Harness::new();
    h.env
        .insert("BACKEND_ENDPOINT".into(), "http://127.0.0.1:8090".into());
    h.env
        .insert("BACKEND_ENDPOINT_TYPE".into(), "session".into());
    // An empty .env named here, so that no .env above the test's folder is searched for.
    let empty = h.dir.path().join("empty.env");
    std::fs::write(&empty, "").expect("write");
    let empty = empty.display().to_string();
    let no_email = h
        .run(
            &["profile", "import", "--from-env", "--env-file", &empty],
            "",
        )
        .await;
    assert_eq!(no_email.code(), "invalid-input");
    assert!(no_email.err.contains("--email"), "{}", no_email.err);
    let web = h
        .run(
            &[
                "--json",
                "profile",
                "import",
                "--from-env",
                "--env-file",
                &empty,
                "--email",
                EMAIL,
                "--default",
            ],
            "",
        )
        .await
        .ok()
        .json();
    assert_eq!(web["imported"][0]["kind"], "webserver");
    assert_eq!(web["imported"][0]["name"], "127.0.0.1");
    assert_eq!(web["default"], "127.0.0.1");

    h.env.insert("BACKEND_ENDPOINT_TYPE".into(), "api".into());
    h.env.insert("SORNA_ACCESS_KEY".into(), AK.into());
    h.env.insert("BACKEND_SECRET_KEY".into(), SK.into());
    let out = h
        .run(
            &[
                "profile",
                "import",
                "--from-env",
                "--env-file",
                &empty,
                "--name",
                "env",
            ],
            "",
        )
        .await
        .ok();
    assert!(
        out.out
            .contains("the BACKEND_SECRET_KEY variable still holds it"),
        "{}",
        out.out
    );
    let id = h.id_of("env");
    assert_eq!(h.secret(&id, SecretKind::SecretKey).as_deref(), Some(SK));
    let loaded = h.store().load().expect("load");
    assert_eq!(
        loaded.default_profile().map(|p| p.name.as_str()),
        Some("127.0.0.1")
    );
}

async fn three_profiles(h: &Harness) {
    add_api(h, "work", "https://api.example.com", SK).await.ok();
    h.run(
        &[
            "profile",
            "add",
            "연구실 web",
            "--endpoint",
            "http://10.0.0.5:8090",
            "--offline",
            "--kind",
            "webserver",
            "--email",
            EMAIL,
            "--password-stdin",
            "--remember-password",
            "--resource",
            "cpu=2",
            "--resource",
            "mem=4g",
        ],
        &format!("{PASSWORD}\n"),
    )
    .await
    .ok();
    h.run(
        &[
            "profile",
            "add",
            "plain",
            "--endpoint",
            "http://h:1",
            "--offline",
            "--access-key",
            "AKPLAIN",
            "--project",
            "p1",
            "--insecure-skip-verify",
            "--secret-key-stdin",
        ],
        "plain-secret\n",
    )
    .await
    .ok();
    h.run(&["profile", "default", "plain"], "").await.ok();
}

#[tokio::test]
async fn export_then_import_round_trips_without_secrets() {
    let a = Harness::new();
    three_profiles(&a).await;
    for json in [false, true] {
        let export: &[&str] = if json {
            &["--json", "profile", "export"]
        } else {
            &["profile", "export"]
        };
        let doc = a.run(export, "").await.ok();
        for secret in [SK, PASSWORD] {
            assert!(!doc.all().contains(secret), "{}", doc.all());
        }
        let b = Harness::new();
        let out = b
            .run(&["profile", "import", "--file", "-"], &doc.out)
            .await
            .ok();
        assert!(!out.err.contains("warning"), "{}", out.err);
        // The same document comes out again, default included; no secret came along.
        assert_eq!(b.run(export, "").await.ok().out, doc.out);
        assert_eq!(b.secret(&b.id_of("work"), SecretKind::SecretKey), None);
        let loaded = b.store().load().expect("load");
        assert_eq!(
            loaded.default_profile().map(|p| p.name.as_str()),
            Some("plain")
        );
    }
}

#[tokio::test]
async fn export_then_import_round_trips_with_secrets_and_warns() {
    let a = Harness::new();
    three_profiles(&a).await;
    let refused = a.run(&["profile", "export", "--with-secrets"], "").await;
    assert_eq!(refused.code(), "invalid-input");
    assert!(
        refused.message().contains("--output FILE"),
        "{}",
        refused.message()
    );
    assert!(refused.out.is_empty());

    let file = a.dir.path().join("profiles.toml");
    let path = file.display().to_string();
    let out = a
        .run(&["profile", "export", "--with-secrets", "-o", &path], "")
        .await
        .ok();
    assert!(
        out.err
            .contains("holds the secrets of 3 profile(s) in plain text"),
        "{}",
        out.err
    );
    assert!(!out.all().contains(SK), "{}", out.all());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains(SK) && text.contains(PASSWORD), "{text}");
    let again = a.run(&["profile", "export", "-o", &path], "").await;
    assert!(
        again.message().contains("already exists"),
        "{}",
        again.message()
    );

    let b = Harness::new();
    let out = b
        .run(&["profile", "import", "--file", &path], "")
        .await
        .ok();
    assert!(
        out.err.contains("holds secrets in plain text"),
        "{}",
        out.err
    );
    assert_eq!(
        b.secret(&b.id_of("work"), SecretKind::SecretKey).as_deref(),
        Some(SK)
    );
    assert_eq!(
        b.secret(&b.id_of("연구실 web"), SecretKind::Password)
            .as_deref(),
        Some(PASSWORD)
    );
    let stdout = b
        .run(
            &["--json", "profile", "export", "--with-secrets", "-o", "-"],
            "",
        )
        .await
        .ok();
    assert!(stdout.err.contains("plain text"), "{}", stdout.err);
    assert_eq!(stdout.json()["profiles"][0]["secrets"]["secret_key"], SK);
    let first = a.run(&["profile", "export"], "").await.ok().out;
    assert_eq!(b.run(&["profile", "export"], "").await.ok().out, first);
}

#[tokio::test]
async fn name_clashes_are_skipped_renamed_or_replaced() {
    let a = Harness::new();
    add_api(&a, "work", "https://api.example.com", SK)
        .await
        .ok();
    let doc = a.run(&["profile", "export"], "").await.ok().out;

    let b = Harness::new();
    add_api(&b, "work", "https://other.example.com", "other-secret")
        .await
        .ok();
    let skip = b.run(&["profile", "import", "--file", "-"], &doc).await;
    assert_eq!(skip.code(), "invalid-input");
    assert!(
        skip.err.contains("--rename") && skip.err.contains("--replace"),
        "{}",
        skip.err
    );

    let renamed = b
        .run(&["profile", "import", "--file", "-", "--rename"], &doc)
        .await
        .ok();
    assert!(
        renamed.out.contains("Imported \"work (2)\""),
        "{}",
        renamed.out
    );

    let id = b.id_of("work");
    b.run(&["profile", "import", "--file", "-", "--replace"], &doc)
        .await
        .ok();
    let work = b
        .store()
        .load()
        .expect("load")
        .get("work")
        .expect("w")
        .clone();
    assert_eq!(work.id, id);
    assert_eq!(work.endpoint, "https://api.example.com");
    // Another endpoint's secret key does not stay with the replaced profile.
    assert_eq!(b.secret(&id, SecretKind::SecretKey), None);

    let bad = b
        .run(&["profile", "import", "--file", "-"], "[backend-ai]\n")
        .await;
    assert!(bad.message().contains("--official"), "{}", bad.message());
}
