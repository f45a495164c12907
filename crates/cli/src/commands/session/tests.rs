//! In-process tests of the session commands against the testkit on loopback: env mode (no
//! keyring), output captured in a shared buffer so a test can act on the printed URL while the
//! command still holds its tunnel, and Ctrl-C simulated through a manual [`Interrupt`].

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bai_core::profile::ProfileStore;
use bai_secrets::MemoryStore;
use bai_testkit::{ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Config, Schedule, Status, TestKit};
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Interrupt, run};
use crate::cli::Cli;
use crate::commands::profile::Context;
use crate::report::CliError;

/// A writer tests can read while the command still runs.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes to both: each stream on its own, and both in the order written (for `drive`, which
/// waits for progress lines on stderr and the URL on stdout alike).
struct Tee(Shared, Shared);

impl Write for Tee {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(b)?;
        self.1.write_all(b)?;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8_lossy(
            &self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }
}

struct Env {
    kit: TestKit,
    dir: tempfile::TempDir,
}

struct Outcome {
    out: String,
    err: String,
    result: Result<(), CliError>,
}

impl Outcome {
    fn ok(self) -> Self {
        if let Err(e) = &self.result {
            panic!(
                "failed: error[{}]: {}\nstdout: {}\nstderr: {}",
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
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.out).unwrap_or_else(|e| panic!("{e}: {}", self.out))
    }
}

async fn env() -> Env {
    env_with(Config {
        schedule: Schedule::uniform(Duration::from_millis(30)),
        ..Config::default()
    })
    .await
}

async fn env_with(config: Config) -> Env {
    Env {
        kit: TestKit::start(config).await.expect("testkit"),
        dir: tempfile::tempdir().expect("tempdir"),
    }
}

impl Env {
    /// Run `bai ARGS` in environment mode; `drive` runs alongside with the live output (both
    /// streams) and the interrupt sender.
    async fn run_with<F, Fut>(&self, args: &[&str], drive: F) -> Outcome
    where
        F: FnOnce(Shared, tokio::sync::watch::Sender<u32>) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let cli = Cli::try_parse_from(std::iter::once("bai").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?} does not parse: {e}"));
        let out = Shared::default();
        let err = Shared::default();
        let (tx, interrupt) = Interrupt::manual();
        let url = self.kit.manager_url();
        let env_fn = move |k: &str| match k {
            "BACKEND_ENDPOINT" => Some(url.clone()),
            "BACKEND_ACCESS_KEY" => Some(ADMIN_ACCESS_KEY.to_owned()),
            "BACKEND_SECRET_KEY" => Some(ADMIN_SECRET_KEY.to_owned()),
            _ => None,
        };
        let secrets = MemoryStore::new();
        let both = Shared::default();
        let mut out_w = Tee(out.clone(), both.clone());
        let mut err_w = Tee(err.clone(), both.clone());
        let mut stdin: &[u8] = b"";
        let mut ctx = Context {
            store: ProfileStore::new(self.dir.path().join("cfg")),
            secrets: &secrets,
            json: cli.json,
            out: &mut out_w,
            err: &mut err_w,
            stdin: &mut stdin,
            is_tty: false,
            env: &env_fn,
            selected: cli.profile,
        };
        let (result, ()) = tokio::join!(
            async {
                let r = tokio::time::timeout(
                    Duration::from_secs(90),
                    run(&mut ctx, interrupt, cli.command),
                )
                .await;
                r.unwrap_or_else(|_| panic!("{args:?} did not finish in 90 s"))
            },
            drive(both, tx)
        );
        Outcome {
            out: out.text(),
            err: err.text(),
            result,
        }
    }

    async fn run(&self, args: &[&str]) -> Outcome {
        self.run_with(args, |_, _| async {}).await
    }
}

/// Wait until the output has a line starting with `prefix`; return that line.
async fn line_starting(out: &Shared, prefix: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(l) = out.text().lines().find(|l| l.starts_with(prefix)) {
            return l.to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no line starting with {prefix:?} in:\n{}",
            out.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A tiny HTTP app: answers every request with `hello from the app`.
async fn app() -> std::net::SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = s.read(&mut buf).await;
                let body = "hello from the app";
                let _ = s
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    addr
}

/// Use the auth URL with a cookie-keeping client, follow its page on to `/` as a browser
/// does, and return the app's answer.
pub(crate) async fn get_through(url: &str) -> (u16, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let landing = c.get(url).send().await.expect("the auth URL");
    assert_eq!(landing.status().as_u16(), 200, "the auth page");
    let origin = url.split("/__launcher").next().expect("origin");
    let r = c
        .get(format!("{origin}/"))
        .send()
        .await
        .expect("GET through the tunnel");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

fn session_name(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("ready: ").map(str::to_owned))
        .and_then(|l| l.split(" of session ").nth(1).map(str::to_owned))
        .and_then(|l| l.split(' ').next().map(str::to_owned))
        .unwrap_or_else(|| panic!("no ready line in {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_prints_progress_and_a_url_that_reaches_the_app_and_keeps_the_session() {
    let e = env().await;
    e.kit.control().set_app_target("jupyterlab", app().await);
    let o = e
        .run_with(
            &[
                "launch",
                "--image",
                "python",
                "--cpu",
                "1",
                "--mem",
                "1g",
                "--no-open",
            ],
            |out, tx| async move {
                let url = line_starting(&out, "http://127.").await;
                assert!(url.contains("/__launcher/auth?token="), "{url}");
                let (status, body) = get_through(&url).await;
                assert_eq!((status, body.as_str()), (200, "hello from the app"));
                line_starting(&out, "tunnel on 127.").await;
                tx.send_modify(|n| *n += 1);
            },
        )
        .await
        .ok();
    // Progress and what is said about it on stderr...
    for status in ["PENDING", "PREPARING", "RUNNING"] {
        assert!(
            o.err
                .lines()
                .any(|l| l.starts_with('[') && l.contains(&format!("s] {status}"))),
            "no {status} progress line:\n{}",
            o.err
        );
    }
    // The app here answers at once, so the probing step may pass between two looks at the
    // progress (which keeps only the latest state); when it is shown, it states its limit.
    // (`a_long_wait_shows_its_elapsed_time_and_limit_and_why_it_waits` in tests/sessions.rs covers a wait that lasts.)
    if let Some(l) = o
        .err
        .lines()
        .find(|l| l.contains("waiting for jupyterlab to answer"))
    {
        assert!(l.contains("(at most 2m)"), "{l}");
    }
    let name = session_name(&o.err);
    assert!(
        o.err.contains(&format!("session {name} keeps running")),
        "{}",
        o.err
    );
    assert_eq!(e.kit.control().session_status(&name), Some(Status::Running));
    // ...the URL alone on stdout (the command's result), never in the log or on stderr.
    assert!(
        o.out.starts_with("http://127.") && o.out.lines().count() == 1,
        "{}",
        o.out
    );
    assert!(!o.err.contains("token="), "{}", o.err);

    // The session is listed, in text and JSON.
    let text = e.run(&["sessions"]).await.ok();
    let row = text
        .out
        .lines()
        .find(|l| l.starts_with(&name))
        .expect("listed");
    assert!(
        row.contains("RUNNING") && row.contains("python:3.9"),
        "{row}"
    );
    let json = e.run(&["--json", "sessions"]).await.ok().json();
    let item = &json["items"].as_array().expect("items")[0];
    assert_eq!(
        (item["name"].as_str(), item["status"].as_str()),
        (Some(name.as_str()), Some("RUNNING"))
    );

    // Its apps, then open it again, then terminate it.
    let apps = e.run(&["--json", "apps", &name]).await.ok().json();
    let names: Vec<&str> = apps["items"]
        .as_array()
        .expect("apps")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(
        names.contains(&"jupyter") && names.contains(&"jupyterlab"),
        "{names:?}"
    );
    let apps_text = e.run(&["apps", &name]).await.ok();
    assert!(
        apps_text
            .out
            .lines()
            .any(|l| l.starts_with("jupyterlab") && l.contains("http")),
        "{}",
        apps_text.out
    );

    let opened = e
        .run_with(&["open", &name, "--no-open"], |out, tx| async move {
            let url = line_starting(&out, "http://127.").await;
            assert_eq!(get_through(&url).await.0, 200);
            line_starting(&out, "tunnel on").await;
            tx.send_modify(|n| *n += 1);
        })
        .await
        .ok();
    assert!(opened.err.contains("(already existed)"), "{}", opened.err);
    assert_eq!(e.kit.control().session_status(&name), Some(Status::Running));

    let t = e.run(&["terminate", &name]).await.ok();
    assert!(
        t.out.contains(&format!("session {name}: TERMINATED")),
        "{}",
        t.out
    );
    assert_eq!(
        e.kit.control().session_status(&name),
        Some(Status::Terminated)
    );
    let gone = e.run(&["sessions"]).await.ok();
    assert!(!gone.out.contains(&name), "{}", gone.out);
    let all = e.run(&["sessions", "--all"]).await.ok();
    assert!(
        all.out
            .lines()
            .any(|l| l.starts_with(&name) && l.contains("TERMINATED")),
        "{}",
        all.out
    );

    // Terminating it again: it has already ended, which is what was asked (exit 0), said
    // with its status as `sessions --all` shows it, not the manager's "No such session".
    let again = e.run(&["terminate", &name]).await.ok();
    assert!(
        again
            .out
            .contains(&format!("session {name} had already ended")),
        "{}",
        again.out
    );
    assert!(
        again.out.contains(&format!("session {name}: TERMINATED")),
        "{}",
        again.out
    );
    assert!(!again.out.contains("No such session"), "{}", again.out);
    // A session that never existed is still an error, with where to look.
    let unknown = e.run(&["terminate", "never-was"]).await;
    assert_eq!(unknown.code(), "not-found");
    let message = unknown.result.as_ref().err().map(|e| e.message.clone());
    let message = message.unwrap_or_default();
    assert!(message.contains("bai sessions --all"), "{message}");
    assert!(!message.contains("DELETE"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_on_exit_ends_the_session_after_ctrl_c() {
    let e = env().await;
    e.kit.control().set_app_target("jupyterlab", app().await);
    let o = e
        .run_with(
            &[
                "launch",
                "--image",
                "python",
                "--name",
                "toe-1",
                "--no-open",
                "--terminate-on-exit",
            ],
            |out, tx| async move {
                line_starting(&out, "tunnel on").await;
                tx.send_modify(|n| *n += 1);
            },
        )
        .await
        .ok();
    assert!(o.err.contains("session toe-1 terminated"), "{}", o.err);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while e.kit.control().session_status("toe-1") != Some(Status::Terminated) {
        assert!(tokio::time::Instant::now() < deadline, "not terminated");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_the_launch_cancels_and_destroys_the_created_session() {
    let e = env().await;
    e.kit
        .control()
        .hold_new_sessions_at(Some(Status::Preparing));
    let o = e
        .run_with(
            &[
                "launch",
                "--image",
                "python",
                "--name",
                "cut-1",
                "--no-open",
            ],
            |out, tx| async move {
                line_starting(&out, "[").await;
                // Wait until the session really is PREPARING, then press Ctrl-C.
                let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
                while !out.text().contains("PREPARING") {
                    assert!(tokio::time::Instant::now() < deadline, "{}", out.text());
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                tx.send_modify(|n| *n += 1);
            },
        )
        .await;
    assert_eq!(o.code(), "launch-cancelled", "{}", o.err);
    assert!(
        o.err.contains("interrupted: cancelling the launch"),
        "{}",
        o.err
    );
    let status = e.kit.control().session_status("cut-1");
    assert!(
        matches!(
            status,
            Some(Status::Terminated | Status::Terminating | Status::Cancelled)
        ),
        "{status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_and_presets_with_allocatable_flags() {
    let e = env().await;
    let text = e.run(&["images"]).await.ok();
    assert!(
        text.out.lines().any(
            |l| l.starts_with("cr.backend.ai/stable/python:3.9-ubuntu20.04")
                && l.contains("python")
                && l.contains("jupyterlab")
        ),
        "{}",
        text.out
    );
    let json = e.run(&["--json", "images"]).await.ok().json();
    assert!(
        json["items"]
            .as_array()
            .expect("list")
            .iter()
            .any(|i| i["aliases"][0] == "python-ml")
    );

    let presets = e.run(&["--json", "presets"]).await.ok().json();
    let by_name = |n: &str| {
        presets["items"]
            .as_array()
            .expect("list")
            .iter()
            .find(|p| p["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("no preset {n} in {presets}"))
    };
    assert_eq!(by_name("cpu01-small")["allocatable"], true);
    assert_eq!(by_name("cpu16-huge")["allocatable"], false);
    let text = e.run(&["presets"]).await.ok();
    assert!(
        text.out
            .lines()
            .any(|l| l.starts_with("cpu16-huge") && l.trim_end().ends_with("no")),
        "{}",
        text.out
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_explained() {
    let e = env().await;
    let o = e
        .run(&["launch", "--image", "no/such:image", "--no-open"])
        .await;
    assert_eq!(o.code(), "unknown-image", "{}", o.out);
    assert!(
        o.result
            .as_ref()
            .err()
            .is_some_and(|e| e.message.contains("bai images"))
    );

    let o = e.run(&["launch", "--no-open"]).await;
    assert_eq!(o.code(), "invalid-input");
    assert!(
        o.result
            .as_ref()
            .err()
            .is_some_and(|e| e.message.contains("--image"))
    );

    let o = e
        .run(&[
            "launch",
            "--image",
            "python",
            "--preset",
            "nope",
            "--no-open",
        ])
        .await;
    assert_eq!(o.code(), "invalid-input");
    assert!(
        o.result
            .as_ref()
            .err()
            .is_some_and(|e| e.message.contains("cpu01-small"))
    );

    for bad in [
        &["--mem", "lots"][..],
        &["--env", "NOEQUALS"],
        &["--mount", ":x"],
        &["--gpu", "0"],
    ] {
        let mut args = vec!["launch", "--image", "python", "--no-open"];
        args.extend_from_slice(bad);
        assert_eq!(e.run(&args).await.code(), "invalid-input", "{bad:?}");
    }
    // Nothing was created by any of them.
    assert!(e.kit.control().sessions().is_empty());

    let conflict = Cli::try_parse_from(["bai", "launch", "--preset", "cpu01-small", "--cpu", "2"])
        .expect_err("a usage error");
    assert_eq!(conflict.kind(), clap::error::ErrorKind::ArgumentConflict);
    let reuse = Cli::try_parse_from(["bai", "launch", "--reuse"]).expect_err("needs --name");
    assert_eq!(
        reuse.kind(),
        clap::error::ErrorKind::MissingRequiredArgument
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preset_and_explicit_resources_reach_the_create_call() {
    let e = env().await;
    e.kit.control().hold_new_sessions_at(Some(Status::Pending));
    for (name, extra) in [
        ("pre-1", &["--preset", "cpu02-medium"][..]),
        (
            "exp-1",
            &[
                "--cpu",
                "2",
                "--mem",
                "3g",
                "--env",
                "A=b=c",
                "--mount",
                "myfolder:/data",
            ],
        ),
    ] {
        let mut args = vec!["launch", "--image", "python", "--name", name, "--no-open"];
        args.extend_from_slice(extra);
        e.run_with(&args, |out, tx| async move {
            line_starting(&out, "[").await;
            tx.send_modify(|n| *n += 1);
        })
        .await;
    }
    let creates: Vec<String> = e
        .kit
        .control()
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/session")
        .map(|r| r.path)
        .collect();
    assert_eq!(creates.len(), 2, "two create calls");
    let list = e.kit.control().sessions();
    assert!(list.iter().any(|s| s.name == "pre-1") && list.iter().any(|s| s.name == "exp-1"));
}

/// The CLI half of "a preset means the same session in both front ends": the app's half is
/// `a_preset_reaches_the_create_call_as_the_cli_sends_it` in src-tauri/tests/launch.rs, with
/// the same expected call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preset_reaches_the_create_call_with_normalised_slots_and_its_shared_memory() {
    let e = env().await;
    e.kit.control().hold_new_sessions_at(Some(Status::Pending));
    // The same preset written with strings (as the manager does) and with numbers.
    for (name, preset) in [("pst-str", "cpu02-medium"), ("pst-num", "cpu02-numbers")] {
        let args = [
            "launch",
            "--image",
            "python",
            "--name",
            name,
            "--no-open",
            "--preset",
            preset,
        ];
        e.run_with(&args, |out, tx| async move {
            line_starting(&out, "[").await;
            tx.send_modify(|n| *n += 1);
        })
        .await;
        let config = e.kit.control().create_config(name).expect("created");
        assert_eq!(
            config["resources"],
            serde_json::json!({"cpu": 2, "mem": "4294967296"}),
            "{preset}"
        );
        assert_eq!(
            config["resource_opts"],
            serde_json::json!({"shmem": "1073741824"}),
            "{preset}"
        );
    }
}

/// A session created directly through the API as `(access key, secret key)`; returns its id.
async fn create_as(kit: &TestKit, keys: (&str, &str), prefix: &str) -> String {
    use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
    let cfg = ClientConfig::new(
        bai_core::Endpoint::parse(&kit.manager_url()).expect("endpoint"),
        bai_core::EndpointKind::Api,
    );
    let client = Client::new(cfg, Credentials::keypair(keys.0, keys.1)).expect("client");
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("{prefix}-{n:04}");
    let mut req = CreateSession::new(&name, "cr.backend.ai/stable/python:3.9-ubuntu20.04");
    req.resources = std::collections::BTreeMap::from([
        ("cpu".into(), serde_json::json!(1)),
        ("mem".into(), serde_json::json!("1g")),
    ]);
    client
        .create_session(&req)
        .await
        .expect("create")
        .session_id
}

fn listed_ids(json: &serde_json::Value) -> Vec<String> {
    json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_lists_only_their_own_sessions_unless_all() {
    use bai_testkit::{USER_ACCESS_KEY, USER_SECRET_KEY};
    let e = env().await;
    let mine = create_as(&e.kit, (ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY), "admin").await;
    let theirs = create_as(&e.kit, (USER_ACCESS_KEY, USER_SECRET_KEY), "user").await;

    let own = listed_ids(&e.run(&["--json", "sessions"]).await.ok().json());
    assert!(own.contains(&mine), "{own:?}");
    assert!(
        !own.contains(&theirs),
        "another user's session listed: {own:?}"
    );
    let text = e.run(&["sessions"]).await.ok().out;
    assert!(text.contains(&mine) && !text.contains(&theirs), "{text}");

    let all = listed_ids(&e.run(&["--json", "sessions", "--all"]).await.ok().json());
    assert!(all.contains(&mine) && all.contains(&theirs), "{all:?}");
    let text = e.run(&["sessions", "--all"]).await.ok().out;
    assert!(text.contains(&mine) && text.contains(&theirs), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_lists_every_page() {
    let e = env().await;
    let first = create_as(&e.kit, (ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY), "many").await;
    e.kit.control().add_copies(&first, 119);
    let json = e.run(&["--json", "sessions"]).await.ok().json();
    assert_eq!(listed_ids(&json).len(), 120, "{}", json["total_count"]);
    assert_eq!(json["complete"], true);
    let text = e.run(&["sessions"]).await.ok().out;
    assert!(!text.contains("shown)"), "{text}");
    assert_eq!(text.lines().count(), 121, "header and 120 rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_shows_26x_and_unknown_statuses_as_they_are() {
    let e = env().await;
    let id = create_as(&e.kit, (ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY), "status").await;
    for status in [
        "PREEMPTED",
        "RESCHEDULING",
        "DEPRIORITIZING",
        "RUNNING_DEGRADED",
        "FROBNICATING",
    ] {
        assert!(e.kit.control().report_status(&id, Some(status)));
        // The unknown one is only in the unfiltered list (the server cannot be asked for a
        // status the client does not know); the 26.x ones are among the active ones.
        let args: &[&str] = if status == "FROBNICATING" {
            &["sessions", "--all"]
        } else {
            &["sessions"]
        };
        let out = e.run(args).await.ok().out;
        let row = out
            .lines()
            .find(|l| l.contains(&id))
            .unwrap_or_else(|| panic!("{status}: not listed: {out}"));
        assert!(
            row.split_whitespace().any(|w| w == status),
            "{status} not shown as is: {row}"
        );
    }
}
