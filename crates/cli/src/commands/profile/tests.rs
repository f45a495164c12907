//! In-process tests of every profile command: a real profiles directory, an in-memory secret
//! store, captured output, and the testkit on loopback for the online commands.

use std::collections::HashMap;

use bai_core::profile::ProfileStore;
use bai_secrets::{MemoryStore, Secret, SecretKind, SecretRef, SecretStore};
use clap::Parser;

use super::{Context, run};
use crate::cli::{Cli, Command};
use crate::report::CliError;

mod transfer;

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMAIL: &str = "admin@lablup.com";
const PASSWORD: &str = "wJalrXUt";

struct Harness {
    dir: tempfile::TempDir,
    secrets: Box<dyn SecretStore>,
    env: HashMap<String, String>,
}

#[derive(Debug)]
struct Outcome {
    out: String,
    err: String,
    result: Result<(), CliError>,
}

impl Outcome {
    fn ok(self) -> Self {
        if let Err(e) = &self.result {
            panic!(
                "command failed: error[{}]: {}\nstdout: {}\nstderr: {}",
                e.code, e.message, self.out, self.err
            );
        }
        self
    }
    fn code(&self) -> &'static str {
        match &self.result {
            Ok(()) => panic!("expected a failure; stdout: {}", self.out),
            Err(e) => e.code,
        }
    }
    fn message(&self) -> String {
        self.result
            .as_ref()
            .err()
            .map(|e| e.message.clone())
            .unwrap_or_default()
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.out).unwrap_or_else(|e| panic!("{e}: {}", self.out))
    }
}

impl Harness {
    fn new() -> Self {
        Self::with_store(Box::new(MemoryStore::new()))
    }

    fn with_store(secrets: Box<dyn SecretStore>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        // The default config dir (and its registry of known dirs) inside the test's folder,
        // never the user's own.
        let env = HashMap::from([(
            bai_core::profile::orphans::DEFAULT_CONFIG_DIR_ENV.to_owned(),
            dir.path().join("default").display().to_string(),
        )]);
        Harness { dir, secrets, env }
    }

    fn store(&self) -> ProfileStore {
        ProfileStore::new(self.dir.path().join("cfg"))
    }

    async fn run(&self, args: &[&str], stdin: &str) -> Outcome {
        run_in(&self.store(), &*self.secrets, &self.env, args, stdin).await
    }

    /// As if typed at a terminal: `stdin` holds the answers to questions.
    async fn run_tty(&self, args: &[&str], stdin: &str) -> Outcome {
        run_as(&self.store(), &*self.secrets, &self.env, args, stdin, true).await
    }

    fn secret(&self, id: &str, kind: SecretKind) -> Option<String> {
        self.secrets
            .get(&SecretRef::new(id, kind))
            .expect("get")
            .map(|s| s.expose().to_owned())
    }

    fn id_of(&self, name: &str) -> String {
        self.store()
            .load()
            .expect("load")
            .get(name)
            .expect("profile")
            .id
            .clone()
    }
}

async fn run_in(
    store: &ProfileStore,
    secrets: &dyn SecretStore,
    env: &HashMap<String, String>,
    args: &[&str],
    stdin: &str,
) -> Outcome {
    run_as(store, secrets, env, args, stdin, false).await
}

/// [`run_in`], with stdin a terminal or not.
async fn run_as(
    store: &ProfileStore,
    secrets: &dyn SecretStore,
    env: &HashMap<String, String>,
    args: &[&str],
    stdin: &str,
    is_tty: bool,
) -> Outcome {
    let cli = Cli::try_parse_from(std::iter::once("bai").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?} does not parse: {e}"));
    let Command::Profile(cmd) = cli.command else {
        panic!("not a profile command")
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut input = stdin.as_bytes();
    let env_fn = |k: &str| env.get(k).cloned();
    let cmd = *cmd;
    let mut ctx = Context {
        store: store.clone(),
        secrets,
        json: cli.json,
        out: &mut out,
        err: &mut err,
        stdin: &mut input,
        is_tty,
        env: &env_fn,
        selected: cli.profile,
    };
    let result = run(&mut ctx, cmd).await;
    Outcome {
        out: String::from_utf8_lossy(&out).into_owned(),
        err: String::from_utf8_lossy(&err).into_owned(),
        result,
    }
}

/// `profile add` of a keypair profile. Made-up hosts (`h:1`, `api.example.com`) are added
/// with `--offline`, as they would not answer; the testkit's loopback endpoints are checked
/// as a user's would be.
async fn add_api(h: &Harness, name: &str, endpoint: &str, secret: &str) -> Outcome {
    let mut args = vec![
        "profile",
        "add",
        name,
        "--endpoint",
        endpoint,
        "--access-key",
        AK,
        "--secret-key-stdin",
    ];
    if !endpoint.starts_with("http://127.0.0.1") {
        args.push("--offline");
    }
    h.run(&args, &format!("{secret}\n")).await
}

#[tokio::test]
async fn add_list_show_mask_the_secret() {
    let h = Harness::new();
    let out = add_api(&h, "work", "https://API.example.com/", SK)
        .await
        .ok();
    assert!(out.out.contains("Added profile \"work\""), "{}", out.out);
    let id = h.id_of("work");
    assert_eq!(h.secret(&id, SecretKind::SecretKey).as_deref(), Some(SK));

    let list = h.run(&["profile", "list"], "").await.ok();
    assert!(list.out.contains("* work"), "{}", list.out);
    assert!(list.out.contains("https://api.example.com"), "{}", list.out);
    let rows = h.run(&["--json", "profile", "list"], "").await.ok().json()["items"].clone();
    assert_eq!(rows[0]["name"], "work");
    assert_eq!(rows[0]["kind"], "api");
    assert_eq!(rows[0]["access_key"], AK);
    assert_eq!(rows[0]["default"], true);

    let show = h.run(&["profile", "show", "work"], "").await.ok();
    assert!(show.out.contains(bai_secrets::MASK), "{}", show.out);
    assert!(!show.out.contains(SK), "{}", show.out);
    // Not even the head or tail of the secret.
    let line = show
        .out
        .lines()
        .find(|l| l.contains("secret key"))
        .expect("a secret key line");
    assert_eq!(
        line.split_once(':').map(|(_, v)| v.trim()),
        Some(bai_secrets::MASK)
    );
    let show = h.run(&["--json", "profile", "show"], "").await.ok();
    assert_eq!(
        show.json()["secrets"]["secret_key"]["masked"],
        bai_secrets::MASK
    );
    assert!(!show.out.contains(SK));
}

#[tokio::test]
async fn add_refuses_bad_input_with_clear_errors() {
    let h = Harness::new();
    let neither = h
        .run(&["profile", "add", "x", "--endpoint", "http://h:1"], "")
        .await;
    assert_eq!(neither.code(), "invalid-input");
    assert!(
        neither.message().contains("--access-key"),
        "{}",
        neither.message()
    );
    let both = h
        .run(
            &[
                "profile",
                "add",
                "x",
                "--endpoint",
                "http://h:1",
                "--offline",
                "--access-key",
                AK,
                "--email",
                EMAIL,
            ],
            "",
        )
        .await;
    assert_eq!(both.code(), "invalid-input");
    assert!(both.message().contains("both"), "{}", both.message());
    assert_eq!(
        add_api(&h, "x", "ftp://nope", SK).await.code(),
        "invalid-endpoint"
    );
    let no_secret = h
        .run(
            &[
                "profile",
                "add",
                "x",
                "--endpoint",
                "http://h:1",
                "--offline",
                "--access-key",
                AK,
            ],
            "",
        )
        .await;
    assert_eq!(no_secret.code(), "invalid-input");
    assert!(no_secret.message().contains("--secret-key-stdin"));
    let empty = add_api(&h, "x", "http://h:1", "").await;
    assert_eq!(empty.code(), "invalid-input");
    assert!(
        h.store().load().expect("load").list().is_empty(),
        "nothing was added"
    );

    add_api(&h, "x", "http://h:1", SK).await.ok();
    let dup = add_api(&h, " x ", "http://h:1", "other-secret").await;
    assert_eq!(dup.code(), "profile-exists");
    assert_eq!(
        h.secret(&h.id_of("x"), SecretKind::SecretKey).as_deref(),
        Some(SK),
        "the duplicate did not overwrite the first profile's secret"
    );
    for cmd in [
        vec!["profile", "show", "nope"],
        vec!["profile", "remove", "nope"],
        vec!["profile", "rename", "nope", "y"],
        vec!["profile", "default", "nope"],
        vec!["profile", "edit", "nope", "--project", "p"],
        vec!["profile", "test", "nope"],
    ] {
        assert_eq!(h.run(&cmd, "").await.code(), "profile-not-found", "{cmd:?}");
    }
}

#[tokio::test]
async fn rename_keeps_secrets_remove_deletes_them() {
    let h = Harness::new();
    add_api(&h, "a", "http://h:1", SK).await.ok();
    add_api(&h, "b", "http://h:2", "another-secret-key-value")
        .await
        .ok();
    let id = h.id_of("a");
    h.run(&["profile", "rename", "a", "alpha"], "").await.ok();
    assert_eq!(h.id_of("alpha"), id);
    assert_eq!(h.secret(&id, SecretKind::SecretKey).as_deref(), Some(SK));
    let show = h.run(&["profile", "show", "alpha"], "").await.ok();
    assert!(show.out.contains(bai_secrets::MASK), "{}", show.out);

    h.run(&["profile", "default", "b"], "").await.ok();
    let rows = h.run(&["--json", "profile", "list"], "").await.ok().json()["items"].clone();
    assert_eq!(rows[1]["default"], true);
    assert_eq!(rows[0]["default"], false);

    h.run(&["profile", "remove", "alpha"], "").await.ok();
    assert_eq!(h.secret(&id, SecretKind::SecretKey), None);
    let left = h.secrets.list().expect("list");
    assert_eq!(left.len(), 1, "only b's secret is left: {left:?}");
    assert_eq!(left[0].profile_id, h.id_of("b"));
}

#[tokio::test]
async fn removing_the_default_asks_first_and_names_the_next_default() {
    let h = Harness::new();
    add_api(&h, "a", "http://h:1", SK).await.ok();
    add_api(&h, "b", "http://h:2", SK).await.ok();
    add_api(&h, "c", "http://h:3", SK).await.ok();
    let id = h.id_of("a");

    // Not the default: removed at once, as before.
    h.run(&["profile", "remove", "c"], "").await.ok();

    // The default without a terminal: refused, nothing touched.
    let refused = h.run(&["profile", "remove", "a"], "").await;
    assert_eq!(refused.code(), "invalid-input");
    assert!(
        refused.message().contains("default profile"),
        "{}",
        refused.message()
    );
    assert!(refused.message().contains("--yes"), "{}", refused.message());
    assert_eq!(h.secret(&id, SecretKind::SecretKey).as_deref(), Some(SK));

    // On a terminal: asked; anything but yes keeps it.
    let kept = h.run_tty(&["profile", "remove", "a"], "n\n").await.ok();
    assert!(
        kept.err.contains("\"a\" is the default profile"),
        "{}",
        kept.err
    );
    assert!(kept.out.contains("Nothing removed"), "{}", kept.out);
    assert_eq!(h.id_of("a"), id);

    let gone = h.run_tty(&["profile", "remove", "a"], "y\n").await.ok();
    assert!(gone.out.contains("Removed profile \"a\""), "{}", gone.out);
    assert!(
        gone.err.contains("`bai profile default \"b\"`"),
        "names the profile to make the default: {}",
        gone.err
    );
    assert_eq!(h.secret(&id, SecretKind::SecretKey), None);

    // A script says --yes; with no profile left, it says how to get one.
    h.run(&["profile", "default", "b"], "").await.ok();
    let last = h
        .run(&["--json", "profile", "remove", "b", "--yes"], "")
        .await
        .ok();
    assert_eq!(last.json()["was_default"], true);
    let h2 = Harness::new();
    add_api(&h2, "only", "http://h:1", SK).await.ok();
    let last = h2.run(&["profile", "remove", "only", "-y"], "").await.ok();
    assert!(last.err.contains("bai profile add"), "{}", last.err);
    assert!(last.err.contains("bai demo"), "{}", last.err);
}

#[tokio::test]
async fn edit_without_a_change_says_nothing_changed() {
    let h = Harness::new();
    add_api(&h, "a", "http://h:1", SK).await.ok();
    let path = h.store().path();
    let before = std::fs::read_to_string(&path).expect("read");

    let none = h.run(&["profile", "edit", "a"], "").await.ok();
    assert!(none.out.contains("Nothing to change"), "{}", none.out);
    assert!(!none.out.contains("Updated"), "{}", none.out);
    let same = h
        .run(&["profile", "edit", "a", "--endpoint", "http://h:1"], "")
        .await
        .ok();
    assert!(same.out.contains("No change"), "{}", same.out);
    assert!(!same.out.contains("Updated"), "{}", same.out);
    let json = h
        .run(&["--json", "profile", "edit", "a", "--access-key", AK], "")
        .await
        .ok()
        .json();
    assert_eq!(json["changed"], false);
    assert_eq!(std::fs::read_to_string(&path).expect("read"), before);

    // A real change still says "Updated"; a new secret alone is a change too.
    let changed = h
        .run(&["profile", "edit", "a", "--project", "p1"], "")
        .await
        .ok();
    assert!(
        changed.out.contains("Updated profile \"a\""),
        "{}",
        changed.out
    );
    let sk = h
        .run(
            &["profile", "edit", "a", "--secret-key-stdin"],
            "new-secret-key-value\n",
        )
        .await
        .ok();
    assert!(sk.out.contains("secret key replaced"), "{}", sk.out);
}

#[tokio::test]
async fn list_keeps_columns_in_line_with_wide_names() {
    let h = Harness::new();
    add_api(&h, "연구실", "http://h:1", SK).await.ok();
    add_api(&h, "work", "http://h:2", SK).await.ok();
    add_api(&h, "東京ラボ", "http://h:3", SK).await.ok();
    let list = h.run(&["profile", "list"], "").await.ok();
    // The KIND column starts at the same terminal column on every line (a CJK character
    // takes two).
    let starts: Vec<usize> = list
        .out
        .lines()
        .map(|l| {
            let at = l
                .find("KIND")
                .or_else(|| l.find("api"))
                .expect("kind column");
            unicode_width::UnicodeWidthStr::width(&l[..at])
        })
        .collect();
    assert_eq!(starts.len(), 4, "{}", list.out);
    assert!(starts.iter().all(|&s| s == starts[0]), "{}", list.out);
    assert!(list.out.contains("* 연구실  "), "{}", list.out);
}

#[tokio::test]
async fn secrets_without_flags_lists_what_each_profile_keeps() {
    let h = Harness::new();
    let none = h.run(&["profile", "secrets"], "").await.ok();
    assert!(none.out.contains("No profiles"), "{}", none.out);
    assert!(none.out.contains("--orphans"), "{}", none.out);

    add_api(&h, "a", "http://h:1", SK).await.ok();
    h.run(
        &[
            "profile",
            "add",
            "w",
            "--endpoint",
            "http://h:2",
            "--offline",
            "--email",
            EMAIL,
        ],
        "",
    )
    .await
    .ok();
    let listed = h.run(&["profile", "secrets"], "").await.ok();
    let line = |who: &str, what: &str| {
        listed
            .out
            .lines()
            .find(|l| l.starts_with(who) && l.contains(what))
            .unwrap_or_else(|| panic!("no {who} {what} line: {}", listed.out))
            .to_owned()
    };
    assert!(line("a ", "secret key").contains(bai_secrets::MASK));
    assert!(line("w ", "password").contains("not stored"));
    assert!(line("w ", "login session").contains("not stored"));
    assert!(!listed.out.contains(SK), "{}", listed.out);
    assert!(listed.out.contains("--orphans"), "{}", listed.out);
    let json = h
        .run(&["--json", "profile", "secrets"], "")
        .await
        .ok()
        .json();
    let items = json["items"].as_array().expect("items");
    assert_eq!(items.len(), 3, "{json}");
    assert_eq!(items[0]["profile"], "a");
    assert_eq!(items[0]["kind"], "secret-key");
    assert_eq!(items[0]["state"], "stored");
    assert_eq!(items[1]["state"], "missing");
}

#[tokio::test]
async fn edit_resources_are_checked_and_merged() {
    let h = Harness::new();
    add_api(&h, "a", "http://h:1", SK).await.ok();
    h.run(
        &[
            "profile",
            "edit",
            "a",
            "--resource",
            "cpu=2",
            "--resource",
            "mem=4g",
        ],
        "",
    )
    .await
    .ok();
    h.run(&["profile", "edit", "a", "--resource", "mem=8GiB"], "")
        .await
        .ok();
    let res = |h: &Harness| {
        h.store()
            .load()
            .expect("load")
            .get("a")
            .expect("a")
            .quick_start
            .resources
            .clone()
    };
    let r = res(&h);
    assert_eq!(r.get("cpu").map(String::as_str), Some("2"), "kept: {r:?}");
    assert_eq!(r.get("mem").map(String::as_str), Some("8g"), "{r:?}");
    let bad = h
        .run(&["profile", "edit", "a", "--resource", "mem=banana"], "")
        .await;
    assert_eq!(bad.code(), "invalid-input");
    assert!(bad.message().contains("resource mem"), "{}", bad.message());
    assert!(bad.message().contains("\"banana\""), "{}", bad.message());
    assert!(
        bad.message().contains("4g"),
        "accepted forms: {}",
        bad.message()
    );
    let neg = h
        .run(
            &[
                "profile",
                "add",
                "b",
                "--endpoint",
                "http://h:1",
                "--offline",
                "--access-key",
                AK,
                "--secret-key-stdin",
                "--resource",
                "cpu=-1",
            ],
            &format!("{SK}\n"),
        )
        .await;
    assert_eq!(neg.code(), "invalid-input");
    assert!(h.store().load().expect("load").find("b").is_none());
    assert_eq!(res(&h), r, "nothing stored");
}

#[tokio::test]
async fn edit_keeps_tls_and_clears_the_login_session_on_a_new_endpoint() {
    let h = Harness::new();
    let ca = h.dir.path().join("ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").expect("ca");
    h.run(
        &[
            "profile",
            "add",
            "w",
            "--endpoint",
            "https://web.example.com",
            "--offline",
            "--email",
            EMAIL,
            "--ca-cert",
            ca.to_str().expect("utf8"),
        ],
        "",
    )
    .await
    .ok();
    let id = h.id_of("w");
    let session = SecretRef::new(&id, SecretKind::LoginSession);
    h.secrets
        .set(&session, &Secret::new("old-session"))
        .expect("set");
    h.run(&["profile", "edit", "w", "--project", "p1"], "")
        .await
        .ok();
    assert!(h.secrets.get(&session).expect("get").is_some(), "kept");
    let p = h.store().load().expect("load").get("w").expect("w").clone();
    assert!(p.tls.ca_cert.is_some(), "TLS kept");
    let out = h
        .run(
            &[
                "profile",
                "edit",
                "w",
                "--endpoint",
                "https://other.example.com",
            ],
            "",
        )
        .await
        .ok();
    assert_eq!(h.secrets.get(&session).expect("get"), None, "cleared");
    assert!(out.out.contains("login session cleared"), "{}", out.out);
    assert!(
        h.store()
            .load()
            .expect("load")
            .get("w")
            .expect("w")
            .tls
            .ca_cert
            .is_some()
    );
}

#[tokio::test]
async fn edit_changes_fields_and_replaces_secrets() {
    let h = Harness::new();
    add_api(&h, "a", "http://h:1", SK).await.ok();
    let id = h.id_of("a");
    h.run(
        &[
            "profile",
            "edit",
            "a",
            "--project",
            "research",
            "--resource-group",
            "gpu",
            "--image",
            "python",
            "--resource",
            "cpu=2",
            "--resource",
            "mem=4g",
            "--secret-key-stdin",
        ],
        "new-secret-key-0123456789\n",
    )
    .await
    .ok();
    let p = h.store().load().expect("load").get("a").expect("a").clone();
    assert_eq!(p.id, id);
    assert_eq!(p.project.as_deref(), Some("research"));
    assert_eq!(p.resource_group.as_deref(), Some("gpu"));
    assert_eq!(p.quick_start.image.as_deref(), Some("python"));
    assert_eq!(
        p.quick_start.resources.get("mem").map(String::as_str),
        Some("4g")
    );
    assert_eq!(
        h.secret(&id, SecretKind::SecretKey).as_deref(),
        Some("new-secret-key-0123456789")
    );
    let bad = h
        .run(&["profile", "edit", "a", "--resource", "cpu"], "")
        .await;
    assert_eq!(bad.code(), "invalid-input");
    let warn = h
        .run(&["profile", "edit", "a", "--insecure-skip-verify"], "")
        .await
        .ok();
    assert!(warn.err.contains("does not verify TLS"), "{}", warn.err);
    assert!(
        h.store()
            .load()
            .expect("load")
            .get("a")
            .expect("a")
            .tls
            .skip_verify
    );
}

#[tokio::test]
async fn tls_settings_are_checked_and_stored() {
    let h = Harness::new();
    let missing = h
        .run(
            &[
                "profile",
                "add",
                "t",
                "--endpoint",
                "https://h:1",
                "--offline",
                "--email",
                EMAIL,
                "--ca-cert",
                "/nonexistent/ca.pem",
            ],
            "",
        )
        .await;
    assert_eq!(missing.code(), "invalid-input");
    assert!(
        missing.message().contains("/nonexistent/ca.pem"),
        "{}",
        missing.message()
    );
    let ca = h.dir.path().join("ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").expect("write");
    let ca_arg = ca.display().to_string();
    let add = h
        .run(
            &[
                "profile",
                "add",
                "t",
                "--kind",
                "webserver",
                "--endpoint",
                "https://h:1",
                "--offline",
                "--email",
                EMAIL,
                "--ca-cert",
                &ca_arg,
                "--insecure-skip-verify",
            ],
            "",
        )
        .await
        .ok();
    assert!(add.err.contains("does not verify TLS"), "{}", add.err);
    let p = h.store().load().expect("load").get("t").expect("t").clone();
    assert_eq!(
        p.tls.ca_cert.as_deref(),
        Some(ca.canonicalize().expect("abs").as_path())
    );
    assert!(p.tls.skip_verify);
    h.run(
        &["profile", "edit", "t", "--no-ca-cert", "--verify-tls"],
        "",
    )
    .await
    .ok();
    let p = h.store().load().expect("load").get("t").expect("t").clone();
    assert_eq!(p.tls, Default::default());
}

#[tokio::test]
async fn export_has_no_secrets() {
    let h = Harness::new();
    add_api(&h, "a", "http://h:1", SK).await.ok();
    h.secrets
        .set(
            &SecretRef::new(h.id_of("a"), SecretKind::Password),
            &Secret::new(PASSWORD),
        )
        .expect("set");
    for args in [
        &["profile", "export"][..],
        &["--json", "profile", "export", "a"][..],
    ] {
        let out = h.run(args, "").await.ok();
        assert!(out.out.contains("http://h:1"), "{}", out.out);
        assert!(out.out.contains(AK), "{}", out.out);
        for secret in [SK, PASSWORD, bai_secrets::MASK, &h.id_of("a")] {
            assert!(!out.out.contains(secret), "{secret} in {}", out.out);
        }
    }
}

#[tokio::test]
async fn orphans_are_listed_and_cleaned() {
    let h = Harness::new();
    add_api(&h, "a", "http://h:1", SK).await.ok();
    let orphan = SecretRef::new("00000000-dead-beef-0000-000000000000", SecretKind::Password);
    h.secrets
        .set(&orphan, &Secret::new("left behind"))
        .expect("set");
    let listed = h.run(&["profile", "secrets", "--orphans"], "").await.ok();
    assert!(listed.out.contains("00000000-dead-beef"), "{}", listed.out);
    assert!(
        listed.out.contains("1 secret(s) used by no profile"),
        "{}",
        listed.out
    );
    assert!(!listed.out.contains(&h.id_of("a")));

    // Without a terminal and without --yes: refused, nothing deleted.
    let refused = h
        .run(&["profile", "secrets", "--orphans", "--clean"], "y\n")
        .await;
    assert_eq!(refused.code(), "invalid-input");
    assert!(refused.message().contains("--yes"), "{}", refused.message());
    assert!(h.secrets.get(&orphan).expect("get").is_some());

    h.run(&["profile", "secrets", "--orphans", "--clean", "--yes"], "")
        .await
        .ok();
    assert_eq!(h.secrets.get(&orphan).expect("get"), None);
    assert!(
        h.secret(&h.id_of("a"), SecretKind::SecretKey).is_some(),
        "live secrets stay"
    );
    let json = h
        .run(&["--json", "profile", "secrets", "--orphans"], "")
        .await
        .ok()
        .json();
    assert_eq!(json["orphans"].as_array().map(Vec::len), Some(0));
}

/// The data-loss case of issue 11: cleaning from another config dir must not touch the
/// secrets of the profiles in the default dir, nor of a dir used before.
#[tokio::test]
async fn clean_from_another_config_dir_keeps_every_used_secret() {
    let h = Harness::new();
    let default_dir = h.dir.path().join("default");
    let default_store = ProfileStore::new(&default_dir);
    let other = ProfileStore::new(h.dir.path().join("other"));
    let earlier = ProfileStore::new(h.dir.path().join("earlier"));
    let add_in = |store: &ProfileStore, name: &str| {
        let store = store.clone();
        let name = name.to_owned();
        let h = &h;
        async move {
            run_in(
                &store,
                &*h.secrets,
                &h.env,
                &[
                    "profile",
                    "add",
                    &name,
                    "--endpoint",
                    "http://h:1",
                    "--offline",
                    "--access-key",
                    AK,
                    "--secret-key-stdin",
                ],
                &format!("{SK}\n"),
            )
            .await
            .ok();
            store
                .load()
                .expect("load")
                .get(&name)
                .expect("added")
                .id
                .clone()
        }
    };
    let work = add_in(&default_store, "work").await;
    let old = add_in(&earlier, "old").await;
    bai_core::profile::KnownDirs::at(&default_dir)
        .record(earlier.dir())
        .expect("record");
    let mine = add_in(&other, "mine").await;
    let orphan = SecretRef::new(
        "00000000-dead-beef-0000-000000000000",
        SecretKind::SecretKey,
    );
    h.secrets.set(&orphan, &Secret::new("gone")).expect("set");

    let listed = run_in(
        &other,
        &*h.secrets,
        &h.env,
        &["profile", "secrets", "--orphans"],
        "",
    )
    .await
    .ok();
    assert!(
        listed.out.contains("\"work\""),
        "names the profile: {}",
        listed.out
    );
    assert!(
        listed.out.contains(&default_dir.display().to_string()),
        "{}",
        listed.out
    );
    run_in(
        &other,
        &*h.secrets,
        &h.env,
        &["profile", "secrets", "--orphans", "--clean", "--yes"],
        "",
    )
    .await
    .ok();
    for id in [&work, &old, &mine] {
        assert!(h.secret(id, SecretKind::SecretKey).is_some(), "{id} kept");
    }
    assert_eq!(
        h.secrets.get(&orphan).expect("get"),
        None,
        "only the true orphan went"
    );
}

#[tokio::test]
async fn a_set_aside_file_keeps_its_secrets() {
    let h = Harness::new();
    add_api(&h, "a", "http://h:1", SK).await.ok();
    let id = h.id_of("a");
    // A hand edit breaks the file: loading sets it aside and starts with no profiles.
    let path = h.store().path();
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("{text}\n[[profiles]\nbroken")).expect("write");
    let out = h
        .run(&["profile", "secrets", "--orphans", "--clean", "--yes"], "")
        .await
        .ok();
    assert!(h.secret(&id, SecretKind::SecretKey).is_some(), "kept");
    assert!(out.err.contains("corrupt-"), "says which file: {}", out.err);
    assert!(
        !out.out.contains("--clean"),
        "never suggests --clean: {}",
        out.out
    );
}

#[tokio::test]
async fn a_corrupt_entry_is_set_aside_and_reported() {
    let h = Harness::new();
    add_api(&h, "good", "http://h:1", SK).await.ok();
    add_api(&h, "bad", "http://h:2", SK).await.ok();
    let path = h.store().path();
    let text = std::fs::read_to_string(&path).expect("read");
    let at = text.find("name = \"bad\"").expect("bad entry");
    let broken = format!(
        "{}{}",
        &text[..at],
        text[at..].replacen("kind = \"api\"", "kind = \"x\"", 1)
    );
    std::fs::write(&path, &broken).expect("write");
    let list = h.run(&["profile", "list"], "").await.ok();
    assert!(list.out.contains("good"), "{}", list.out);
    assert!(!list.out.contains("bad"), "{}", list.out);
    assert!(list.err.contains("\"bad\" was set aside"), "{}", list.err);
    assert!(list.err.contains("profiles.toml.corrupt-"), "{}", list.err);
    let aside: Vec<_> = std::fs::read_dir(h.store().dir())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("profiles.toml.corrupt-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read_to_string(aside[0].path()).expect("aside"),
        broken
    );
}

#[test]
fn concurrent_adds_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ProfileStore::new(dir.path().join("cfg"));
    let secrets = std::sync::Arc::new(MemoryStore::new());
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let store = store.clone();
            let secrets = secrets.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                let env = HashMap::new();
                for i in 0..15 {
                    let name = format!("p{t}-{i}");
                    let args = [
                        "profile",
                        "add",
                        &name,
                        "--endpoint",
                        "http://h:1",
                        "--offline",
                        "--access-key",
                        AK,
                        "--secret-key-stdin",
                    ];
                    rt.block_on(run_in(&store, &*secrets, &env, &args, "secret-value-xyz\n"))
                        .ok();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let loaded = store.load().expect("load");
    assert_eq!(loaded.list().len(), 30);
    assert_eq!(secrets.list().expect("list").len(), 30);
}

/// A store whose every call fails as a missing keyring does.
#[derive(Debug)]
struct NoKeyring;

impl SecretStore for NoKeyring {
    fn set(&self, _: &SecretRef, _: &Secret) -> Result<(), bai_secrets::Error> {
        Err(unavailable())
    }
    fn get(&self, _: &SecretRef) -> Result<Option<Secret>, bai_secrets::Error> {
        Err(unavailable())
    }
    fn delete(&self, _: &SecretRef) -> Result<(), bai_secrets::Error> {
        Err(unavailable())
    }
    fn list(&self) -> Result<Vec<SecretRef>, bai_secrets::Error> {
        Err(unavailable())
    }
}

fn unavailable() -> bai_secrets::Error {
    bai_secrets::Error::KeyringUnavailable {
        hint: "no D-Bus session bus is reachable".into(),
    }
}

#[tokio::test]
async fn without_a_keyring_offline_commands_still_work() {
    let h = Harness::with_store(Box::new(NoKeyring));
    let add = add_api(&h, "a", "http://h:1", SK).await;
    assert_eq!(add.code(), "keyring-unavailable");
    assert!(add.message().contains("D-Bus"), "{}", add.message());
    assert!(
        h.store().load().expect("load").list().is_empty(),
        "a failed add leaves no profile behind"
    );
    h.run(
        &[
            "profile",
            "add",
            "web",
            "--endpoint",
            "http://h:1",
            "--offline",
            "--email",
            EMAIL,
        ],
        "",
    )
    .await
    .ok();
    h.run(&["profile", "list"], "").await.ok();
    let show = h.run(&["profile", "show", "web"], "").await.ok();
    assert!(
        show.out.contains("unknown (keyring unavailable)"),
        "{}",
        show.out
    );
    h.run(&["profile", "export"], "").await.ok();
    h.run(&["profile", "rename", "web", "web2"], "").await.ok();
    let rm = h.run(&["profile", "remove", "web2", "--yes"], "").await;
    assert_eq!(rm.code(), "keyring-unavailable");
    assert!(
        h.store().load().expect("load").find("web2").is_some(),
        "the profile stays when its secrets cannot be removed"
    );
}

mod online {
    use super::*;
    use bai_testkit::{Config, TestKit};

    async fn kit() -> TestKit {
        TestKit::start(Config::default()).await.expect("testkit")
    }

    #[tokio::test]
    async fn test_reports_server_version_email_and_role() {
        let kit = kit().await;
        let h = Harness::new();
        add_api(&h, "kit", &kit.manager_url(), SK).await.ok();
        let out = h.run(&["profile", "test", "kit"], "").await.ok();
        assert!(out.out.contains("v9.20250722"), "{}", out.out);
        assert!(out.out.contains("26.9.6"), "{}", out.out);
        assert!(out.out.contains(EMAIL), "{}", out.out);
        assert!(out.out.contains("superadmin"), "{}", out.out);
        let json = h.run(&["--json", "profile", "test"], "").await.ok().json();
        assert_eq!(json["email"], EMAIL);
        assert_eq!(json["api_version"], "v9.20250722");
        assert_eq!(json["manager_version"], "26.9.6");
    }

    #[tokio::test]
    async fn test_names_a_wrong_secret_and_clock_skew() {
        let kit = kit().await;
        let h = Harness::new();
        add_api(&h, "wrong", &kit.manager_url(), "not-the-right-secret-key")
            .await
            .ok();
        let wrong = h.run(&["profile", "test", "wrong"], "").await;
        assert_eq!(wrong.code(), "auth-failed");
        assert!(
            wrong.message().contains("secret key"),
            "{}",
            wrong.message()
        );

        add_api(&h, "right", &kit.manager_url(), SK).await.ok();
        for (offset, dir) in [(20 * 60, "behind"), (-20 * 60, "ahead of")] {
            kit.control().set_clock_offset(offset);
            let skew = h.run(&["profile", "test", "right"], "").await;
            assert_eq!(skew.code(), "clock-skew");
            assert!(skew.message().contains(dir), "{}", skew.message());
            assert!(skew.message().contains("minutes"), "{}", skew.message());
        }
        kit.control().set_clock_offset(0);
        h.run(&["profile", "test", "right"], "").await.ok();
    }

    #[tokio::test]
    async fn environment_mode_uses_backend_variables() {
        let kit = kit().await;
        let mut h = Harness::new();
        h.env.insert("BACKEND_ENDPOINT".into(), kit.manager_url());
        h.env.insert("BACKEND_ACCESS_KEY".into(), AK.into());
        h.env.insert("BACKEND_SECRET_KEY".into(), SK.into());
        let out = h.run(&["profile", "test"], "").await.ok();
        assert!(out.out.contains("environment (BACKEND_*)"), "{}", out.out);
        assert!(out.out.contains(EMAIL), "{}", out.out);
        assert!(h.secrets.list().expect("list").is_empty(), "nothing stored");
        // --profile wins over the environment.
        let named = h
            .run(&["--profile", "missing", "profile", "test"], "")
            .await;
        assert_eq!(named.code(), "profile-not-found");
    }

    #[tokio::test]
    async fn webserver_add_login_and_remembered_password() {
        let kit = kit().await;
        let h = Harness::new();
        let url = kit.webserver_url();
        let add = h
            .run(
                &[
                    "profile",
                    "add",
                    "web",
                    "--endpoint",
                    &url,
                    "--email",
                    EMAIL,
                    "--password-stdin",
                    "--remember-password",
                ],
                &format!("{PASSWORD}\n"),
            )
            .await
            .ok();
        assert!(add.out.contains("logged in"), "{}", add.out);
        let id = h.id_of("web");
        assert_eq!(
            h.secret(&id, SecretKind::Password).as_deref(),
            Some(PASSWORD)
        );
        assert!(h.secret(&id, SecretKind::LoginSession).is_some());
        let out = h.run(&["profile", "test", "web"], "").await.ok();
        assert!(out.out.contains(EMAIL), "{}", out.out);
        let show = h.run(&["profile", "show", "web"], "").await.ok();
        assert!(!show.out.contains(PASSWORD), "{}", show.out);
        assert!(show.out.contains("password:"), "{}", show.out);

        // Without a remembered password an expired session means "log in again".
        h.run(&["profile", "edit", "web", "--forget-password"], "")
            .await
            .ok();
        h.secrets
            .set(
                &SecretRef::new(&id, SecretKind::LoginSession),
                &Secret::new("bogus-session"),
            )
            .expect("set");
        let expired = h.run(&["profile", "test", "web"], "").await;
        assert_eq!(expired.code(), "login-required");
        let wrong = h
            .run(&["profile", "login", "web", "--password-stdin"], "nope\n")
            .await;
        assert_eq!(wrong.code(), "auth-failed");
        h.run(
            &["profile", "login", "web", "--password-stdin"],
            &format!("{PASSWORD}\n"),
        )
        .await
        .ok();
        assert_eq!(h.secret(&id, SecretKind::Password), None, "not remembered");
        h.run(&["profile", "test", "web"], "").await.ok();

        let api = h.run(&["profile", "login", "web-none"], "").await;
        assert_eq!(api.code(), "profile-not-found");
    }

    #[tokio::test]
    async fn add_warns_when_the_endpoint_looks_like_the_other_kind() {
        let kit = kit().await;
        let h = Harness::new();
        let url = kit.manager_url();
        let add = h
            .run(
                &[
                    "profile",
                    "add",
                    "mixed",
                    "--endpoint",
                    &url,
                    "--email",
                    EMAIL,
                ],
                "",
            )
            .await
            .ok();
        assert!(add.err.contains("looks like a manager API"), "{}", add.err);
        assert!(add.err.contains("--kind api"), "{}", add.err);
        let fine = add_api(&h, "fine", &url, SK).await.ok();
        assert!(!fine.err.contains("looks like"), "{}", fine.err);
    }

    #[tokio::test]
    async fn login_passes_the_one_time_code() {
        let user = bai_testkit::User::new("otp@lablup.com", "otp-pass-1", "user")
            .with_keypair(
                "AKIAOTPUSEREXAMPLE00",
                "otp-user-secret-key-0000000000000000000",
            )
            .with_otp("123456");
        let mut config = Config::default();
        config.users.push(user);
        let kit = TestKit::start(config).await.expect("testkit");
        let h = Harness::new();
        let url = kit.webserver_url();
        h.run(
            &[
                "profile",
                "add",
                "otp",
                "--kind",
                "webserver",
                "--endpoint",
                &url,
                "--email",
                "otp@lablup.com",
            ],
            "",
        )
        .await
        .ok();
        let no_code = h
            .run(
                &["profile", "login", "otp", "--password-stdin"],
                "otp-pass-1\n",
            )
            .await;
        assert_eq!(no_code.code(), "otp-required");
        h.run(
            &[
                "profile",
                "login",
                "otp",
                "--password-stdin",
                "--otp",
                "123456",
            ],
            "otp-pass-1\n",
        )
        .await
        .ok();
        let out = h.run(&["profile", "test", "otp"], "").await.ok();
        assert!(out.out.contains("otp@lablup.com"), "{}", out.out);
        assert!(out.out.contains("role:         user"), "{}", out.out);
    }

    /// `profile add NAME --kind webserver --endpoint URL --email EMAIL --password-stdin` plus
    /// `extra` flags, with `password` on stdin.
    async fn add_web(
        h: &Harness,
        name: &str,
        url: &str,
        email: &str,
        password: &str,
        extra: &[&str],
    ) -> Outcome {
        let mut args = vec![
            "profile",
            "add",
            name,
            "--kind",
            "webserver",
            "--endpoint",
            url,
            "--email",
            email,
            "--password-stdin",
        ];
        args.extend_from_slice(extra);
        h.run(&args, &format!("{password}\n")).await
    }

    /// Nothing of a refused `add` is left: no profile, no secret.
    fn assert_nothing_added(h: &Harness) {
        assert!(
            h.store().load().expect("load").list().is_empty(),
            "no profile may be left"
        );
        assert!(
            h.secrets.list().expect("list").is_empty(),
            "no secret may be left"
        );
    }

    #[tokio::test]
    async fn add_refuses_a_wrong_password_and_adds_nothing() {
        let kit = kit().await;
        let h = Harness::new();
        let url = kit.webserver_url();
        let wrong = add_web(
            &h,
            "web",
            &url,
            EMAIL,
            "not-the-password",
            &["--remember-password"],
        )
        .await;
        assert_eq!(wrong.code(), "auth-failed");
        let msg = wrong.message();
        assert!(msg.contains("email and password"), "{msg}");
        assert!(
            !msg.contains("secret key") && !msg.contains("access key"),
            "{msg}"
        );
        assert!(msg.contains("not added"), "{msg}");
        assert_nothing_added(&h);
        add_web(&h, "web", &url, EMAIL, PASSWORD, &[]).await.ok();
    }

    #[tokio::test]
    async fn add_asks_for_the_one_time_code_and_adds_nothing_without_it() {
        let user = bai_testkit::User::new("otp@lablup.com", "otp-pass-1", "user")
            .with_keypair(
                "AKIAOTPUSEREXAMPLE00",
                "otp-user-secret-key-0000000000000000000",
            )
            .with_otp("123456");
        let mut config = Config::default();
        config.users.push(user);
        let kit = TestKit::start(config).await.expect("testkit");
        let h = Harness::new();
        let url = kit.webserver_url();
        let no_code = add_web(&h, "otp", &url, "otp@lablup.com", "otp-pass-1", &[]).await;
        assert_eq!(no_code.code(), "otp-required");
        assert!(
            no_code.message().contains("--otp CODE"),
            "{}",
            no_code.message()
        );
        assert_nothing_added(&h);
        let bad = add_web(
            &h,
            "otp",
            &url,
            "otp@lablup.com",
            "otp-pass-1",
            &["--otp", "000000"],
        )
        .await;
        assert_eq!(bad.code(), "auth-failed");
        assert!(bad.message().contains("one-time code"), "{}", bad.message());
        assert_nothing_added(&h);
        let add = add_web(
            &h,
            "otp",
            &url,
            "otp@lablup.com",
            "otp-pass-1",
            &["--otp", "123456"],
        )
        .await
        .ok();
        assert!(add.out.contains("logged in"), "{}", add.out);
        h.run(&["profile", "test", "otp"], "").await.ok();
        // --otp is for logging in, so it needs the password.
        let alone = h
            .run(
                &[
                    "profile",
                    "add",
                    "otp2",
                    "--kind",
                    "webserver",
                    "--endpoint",
                    &url,
                    "--email",
                    "otp@lablup.com",
                    "--otp",
                    "123456",
                ],
                "",
            )
            .await;
        assert_eq!(alone.code(), "invalid-input");
        assert!(
            alone.message().contains("--otp needs the password"),
            "{}",
            alone.message()
        );
    }

    #[tokio::test]
    async fn a_second_login_over_the_limit_needs_force() {
        let mut config = Config::default();
        config.users.push(
            bai_testkit::User::new("single@lablup.com", "single-pass-1", "user")
                .with_keypair(
                    "AKIASINGLEUSEREXAMP1",
                    "single-user-secret-key-0000000000000000",
                )
                .with_max_concurrent_logins(1),
        );
        let kit = TestKit::start(config).await.expect("testkit");
        let h = Harness::new();
        let url = kit.webserver_url();
        add_web(
            &h,
            "first",
            &url,
            "single@lablup.com",
            "single-pass-1",
            &["--remember-password"],
        )
        .await
        .ok();
        let second = add_web(
            &h,
            "second",
            &url,
            "single@lablup.com",
            "single-pass-1",
            &[],
        )
        .await;
        assert_eq!(second.code(), "active-login-session-exists");
        let msg = second.message();
        assert!(msg.contains("already signed in elsewhere"), "{msg}");
        assert!(msg.contains("--force"), "{msg}");
        assert!(msg.contains("not added"), "{msg}");
        assert!(h.store().load().expect("load").find("second").is_none());
        add_web(
            &h,
            "second",
            &url,
            "single@lablup.com",
            "single-pass-1",
            &["--force"],
        )
        .await
        .ok();
        // "first" lost its session; its remembered password must not silently force it back
        // (that would log out "second").
        let first = h.run(&["profile", "test", "first"], "").await;
        assert_eq!(first.code(), "active-login-session-exists");
        assert!(
            first
                .message()
                .contains("bai profile login \"first\" --force"),
            "{}",
            first.message()
        );
        h.run(&["profile", "test", "second"], "").await.ok();
        let again = h
            .run(
                &["profile", "login", "first", "--password-stdin"],
                "single-pass-1\n",
            )
            .await;
        assert_eq!(again.code(), "active-login-session-exists");
        h.run(
            &["profile", "login", "first", "--password-stdin", "--force"],
            "single-pass-1\n",
        )
        .await
        .ok();
        h.run(&["profile", "test", "first"], "").await.ok();
        let evicted = h.run(&["profile", "test", "second"], "").await;
        assert_eq!(evicted.code(), "login-required");
    }

    #[tokio::test]
    async fn add_refuses_an_unreachable_endpoint_unless_offline() {
        let h = Harness::new();
        let args = |offline: bool| {
            let mut a = vec![
                "profile",
                "add",
                "down",
                "--endpoint",
                "http://127.0.0.1:9",
                "--email",
                EMAIL,
                "--password-stdin",
                "--remember-password",
            ];
            if offline {
                a.push("--offline");
            }
            a
        };
        let refused = h.run(&args(false), "pw-123\n").await;
        assert_eq!(refused.code(), "connection-refused");
        assert!(
            refused.message().contains("The profile was not added"),
            "{}",
            refused.message()
        );
        assert!(
            refused.message().contains("--offline"),
            "{}",
            refused.message()
        );
        assert_nothing_added(&h);

        // --offline keeps it, says nothing was checked, and keeps the password for later.
        let out = h.run(&args(true), "pw-123\n").await.ok();
        assert!(out.err.contains("warning: --offline"), "{}", out.err);
        assert!(out.err.contains("bai profile test"), "{}", out.err);
        assert!(!out.out.contains("logged in"), "{}", out.out);
        assert_eq!(
            h.secret(&h.id_of("down"), SecretKind::Password).as_deref(),
            Some("pw-123")
        );
        // A password only a login would use has nothing to do offline.
        let pointless = h
            .run(
                &[
                    "profile",
                    "add",
                    "down2",
                    "--endpoint",
                    "http://127.0.0.1:9",
                    "--email",
                    EMAIL,
                    "--password-stdin",
                    "--offline",
                ],
                "pw-123\n",
            )
            .await;
        assert_eq!(pointless.code(), "invalid-input");
    }

    #[tokio::test]
    async fn add_refuses_what_is_not_backend_ai_and_drops_a_page_path() {
        let kit = kit().await;
        let h = Harness::new();
        let not_a_url = add_api(&h, "x", "not-a-url", SK).await;
        assert_eq!(not_a_url.code(), "invalid-endpoint");
        assert!(
            not_a_url.message().contains("not a URL"),
            "{}",
            not_a_url.message()
        );
        // A pasted web UI page address: nothing answers as Backend.AI under its path, so the
        // origin is stored and the dropped path is said, as `bai detect` says it.
        let pasted = format!("{}/summary", kit.webserver_url());
        let add = h
            .run(
                &[
                    "profile",
                    "add",
                    "web",
                    "--endpoint",
                    &pasted,
                    "--email",
                    EMAIL,
                ],
                "",
            )
            .await
            .ok();
        assert!(add.err.contains("note: the path /summary"), "{}", add.err);
        let stored = h
            .store()
            .load()
            .expect("load")
            .get("web")
            .expect("web")
            .clone();
        assert_eq!(stored.endpoint, kit.webserver_url().trim_end_matches('/'));
    }
}
