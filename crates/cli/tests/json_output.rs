//! `--json` on every command, against the testkit: each result validates against its schema in
//! `schemas/` (one object; errors as `{"error": {"code", "message"}}` on stderr with the text
//! mode's exit status). `src/schema_coverage.rs` checks that every command in clap's tree has
//! a schema; this test checks that every schema is exercised.
//!
//! The validator covers the subset of JSON Schema the files use: `type` (one or a list),
//! `properties`, `required`, `additionalProperties` (a boolean or a schema), `items`, `enum`,
//! `const` and `anyOf`. A keyword it does not know fails the test, so a schema cannot
//! silently ask for more than is checked.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use bai_testkit::{Config, Schedule, TestKit};
use common::live::Live;
use common::*;
use serde_json::Value;

fn schema(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schemas/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        other => panic!("unknown type {other:?}"),
    }
}

/// Why `v` does not fit `s`, at `at`; empty when it fits.
fn check(s: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(s) = s.as_object() else {
        panic!("schema at {at} is not an object");
    };
    const DOC: [&str; 4] = ["$schema", "$id", "title", "description"];
    for (k, kw) in s {
        match k.as_str() {
            k if DOC.contains(&k) => {}
            "type" => {
                let ok = match kw {
                    Value::String(t) => type_ok(t, v),
                    Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().expect("type"), v)),
                    _ => panic!("bad type at {at}"),
                };
                if !ok {
                    errors.push(format!("{at}: {v} is not of type {kw}"));
                }
            }
            "enum" => {
                if !kw.as_array().expect("enum").contains(v) {
                    errors.push(format!("{at}: {v} is not one of {kw}"));
                }
            }
            "const" => {
                if kw != v {
                    errors.push(format!("{at}: {v} is not {kw}"));
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for r in kw.as_array().expect("required") {
                        let r = r.as_str().expect("name");
                        if !o.contains_key(r) {
                            errors.push(format!("{at}: {r:?} is missing"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in kw.as_object().expect("properties") {
                        if let Some(x) = o.get(name) {
                            check(sub, x, &format!("{at}.{name}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = v.as_object() {
                    let known = s.get("properties").and_then(Value::as_object);
                    for (name, x) in o {
                        if known.is_some_and(|k| k.contains_key(name)) {
                            continue;
                        }
                        match kw {
                            Value::Bool(false) => {
                                errors.push(format!("{at}: unexpected key {name:?}"));
                            }
                            Value::Bool(true) => {}
                            sub => check(sub, x, &format!("{at}.{name}"), errors),
                        }
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        check(kw, x, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            "anyOf" => {
                let mut all = Vec::new();
                let fits = kw.as_array().expect("anyOf").iter().any(|sub| {
                    let mut e = Vec::new();
                    check(sub, v, at, &mut e);
                    all.extend(e.iter().cloned());
                    e.is_empty()
                });
                if !fits {
                    errors.push(format!("{at}: fits no alternative: {all:?}"));
                }
            }
            other => panic!("the validator does not know the keyword {other:?} (at {at})"),
        }
    }
}

fn validate(name: &str, text: &str) -> Value {
    let v: Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("{name}: not one JSON value ({e}):\n{text}"));
    assert!(v.is_object(), "{name}: not an object: {v}");
    let mut errors = Vec::new();
    check(&schema(name), &v, "$", &mut errors);
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{v:#}");
    v
}

/// Snake_case keys everywhere, except inside maps whose keys are data (resource slots).
fn assert_snake_keys(v: &Value, at: &str) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let data = ["resources", "resource_slots", "image", "labels"]
                    .iter()
                    .any(|d| at.ends_with(d));
                if !data && !at.contains(".items[") {
                    assert!(
                        k.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                        "{at}: key {k:?} is not snake_case"
                    );
                }
                assert_snake_keys(x, &format!("{at}.{k}"));
            }
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| assert_snake_keys(x, &format!("{at}[{i}]"))),
        _ => {}
    }
}

/// The result on stdout (exit 0), validated.
fn ok(name: &str, r: Run, seen: &mut BTreeSet<String>) -> Value {
    assert_eq!(r.code, Some(0), "{name}: {}", r.all());
    let v = validate(name, &r.out);
    assert_snake_keys(&v, "$");
    seen.insert(name.to_owned());
    v
}

/// An error: exit `code`, stdout empty, the error object on stderr.
fn err(r: &Run, code: i32, what: &str) -> Value {
    assert_eq!(r.code, Some(code), "{what}: {}", r.all());
    assert_eq!(r.out, "", "{what}");
    let v = validate("error", r.err.lines().last().unwrap_or_default());
    assert_eq!(v["error"]["code"], what, "{v}");
    v
}

/// A command that needs the OS keyring, which these tests do not have: its result, or the
/// keyring's error (the result is checked where a keyring exists, e.g. tests/keyring.rs).
fn ok_or_keyring(name: &str, r: Run, seen: &mut BTreeSet<String>) {
    if r.code == Some(0) {
        ok(name, r, seen);
    } else {
        err(&r, 1, "keyring-unavailable");
        seen.insert(name.to_owned());
    }
}

/// An HTTP app for the tunnel to reach.
async fn app() -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
            });
        }
    });
    addr
}

/// A long-running command: its one JSON line on stdout, validated, then Ctrl-C.
async fn first_object(name: &str, live: Live, seen: &mut BTreeSet<String>) -> Value {
    let line = live.wait_line(|l| l.starts_with('{')).await;
    assert!(
        live.text().starts_with('{'),
        "{name}: stdout holds more than the object:\n{}",
        live.text()
    );
    let v = validate(name, &line);
    assert_snake_keys(&v, "$");
    seen.insert(name.to_owned());
    live.interrupt();
    let (code, out, e) = live.finish().await;
    assert_eq!(code, Some(130), "{name}: {out}\n{e}");
    assert_eq!(
        out.lines().count(),
        1,
        "{name}: one object on stdout:\n{out}"
    );
    v
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_prints_json_that_fits_its_schema() {
    let kit = TestKit::start(Config {
        schedule: Schedule::uniform(Duration::from_millis(50)),
        ..Config::default()
    })
    .await
    .expect("testkit");
    kit.control().set_app_target("jupyterlab", app().await);
    let endpoint = kit.manager_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_path_buf();
    let mut seen = BTreeSet::new();

    // Offline profile commands (a web UI profile without a password needs no keyring).
    let (seen_back, export_file) = {
        let d = d.clone();
        let endpoint = endpoint.clone();
        let mut seen = std::mem::take(&mut seen);
        blocking(move || {
            let bai = Bai::offline(&d);
            let j = |args: &[&str]| {
                let mut a = vec!["--json"];
                a.extend_from_slice(args);
                bai.run(&a, "")
            };
            ok("detect", j(&["detect", &endpoint]), &mut seen);
            let web = "http://127.0.0.1:9";
            ok(
                "profile-add",
                j(&[
                    "profile",
                    "add",
                    "w",
                    "--endpoint",
                    web,
                    "--offline",
                    "--email",
                    EMAIL,
                ]),
                &mut seen,
            );
            j(&[
                "profile",
                "add",
                "x",
                "--endpoint",
                web,
                "--offline",
                "--email",
                EMAIL,
            ])
            .ok();
            let list = ok("profile-list", j(&["profile", "list"]), &mut seen);
            assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "{list}");
            let show = ok("profile-show", j(&["profile", "show", "w"]), &mut seen);
            assert!(show["project"].is_null(), "absent fields are null: {show}");
            ok(
                "profile-edit",
                j(&["profile", "edit", "w", "--project", "p1"]),
                &mut seen,
            );
            ok(
                "profile-rename",
                j(&["profile", "rename", "x", "y"]),
                &mut seen,
            );
            ok(
                "profile-default",
                j(&["profile", "default", "y"]),
                &mut seen,
            );
            ok("profile-secrets", j(&["profile", "secrets"]), &mut seen);
            ok("profile-export", j(&["profile", "export"]), &mut seen);
            let file = d.join("export.json");
            let file = file.to_str().expect("utf-8").to_owned();
            ok(
                "profile-export",
                j(&["profile", "export", "-o", &file]),
                &mut seen,
            );
            ok_or_keyring(
                "profile-remove",
                j(&["profile", "remove", "y", "--yes"]),
                &mut seen,
            );
            // Nothing answers at the web UI address: the login's error.
            let login = j(&["profile", "login", "w"]);
            assert_ne!(login.code, Some(0), "{}", login.all());
            validate("error", login.err.lines().last().unwrap_or_default());
            seen.insert("profile-login".into());
            // Errors: the text mode's exit statuses.
            err(&j(&["profile", "show", "nope"]), 1, "profile-not-found");
            err(&j(&["profile", "bogus"]), 2, "invalid-input");
            ok("completion", j(&["completion", "bash"]), &mut seen);
            (seen, file)
        })
        .await
    };
    seen = seen_back;
    {
        // Into a fresh config directory, so that the names do not clash.
        let other = tempfile::tempdir().expect("tempdir");
        let o = other.path().to_path_buf();
        let r = blocking(move || {
            Bai::offline(&o).run(&["--json", "profile", "import", "--file", &export_file], "")
        })
        .await;
        let v = ok("profile-import", r, &mut seen);
        assert!(
            !v["imported"].as_array().expect("imported").is_empty(),
            "{v}"
        );
    }

    // Online commands in environment mode.
    let env = Bai::offline(&d)
        .env("BACKEND_ENDPOINT", &endpoint)
        .env("BACKEND_ACCESS_KEY", AK)
        .env("BACKEND_SECRET_KEY", SK);
    let ssh_dir = d.join("ssh-json");
    let ssh_bai = Bai::offline(&d)
        .env("BACKEND_ENDPOINT", &endpoint)
        .env("BACKEND_ACCESS_KEY", AK)
        .env("BACKEND_SECRET_KEY", SK)
        .env("HOME", &ssh_dir.join("home").to_string_lossy())
        .env("BAI_DATA_DIR", &ssh_dir.join("data").to_string_lossy())
        .env(
            "PATH",
            &format!(
                "{}:{}",
                ssh_dir.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
    let launched = first_object(
        "launch",
        Live::spawn(
            &env,
            &[
                "--json",
                "launch",
                "--image",
                "python",
                "--name",
                "json-1",
                "--no-open",
            ],
        ),
        &mut seen,
    )
    .await;
    assert_eq!(launched["session_name"], "json-1");
    assert!(
        launched["url"]
            .as_str()
            .is_some_and(|u| u.contains("/__launcher/auth?token=")),
        "{launched}"
    );
    first_object(
        "open",
        Live::spawn(&env, &["--json", "open", "json-1", "--no-open"]),
        &mut seen,
    )
    .await;
    let (env, seen) = blocking(move || {
        let mut seen = seen;
        let j = |args: &[&str]| {
            let mut a = vec!["--json"];
            a.extend_from_slice(args);
            env.run(&a, "")
        };
        ok("profile-test", j(&["profile", "test"]), &mut seen);
        let s = ok("sessions", j(&["sessions", "--all"]), &mut seen);
        assert!(s["items"].as_array().is_some_and(|i| !i.is_empty()), "{s}");
        ok("apps", j(&["apps", "json-1"]), &mut seen);
        ok("images", j(&["images", "--all"]), &mut seen);
        ok("presets", j(&["presets"]), &mut seen);
        ssh_commands(&ssh_bai, &ssh_dir, &mut seen);
        let t = ok("terminate", j(&["terminate", "json-1"]), &mut seen);
        assert_eq!(t["outcome"], "terminated", "{t}");
        let again = ok("terminate", j(&["terminate", "json-1"]), &mut seen);
        assert_eq!(again["outcome"], "already_ended", "{again}");
        err(&j(&["terminate", "no-such-session"]), 1, "not-found");
        // The launch was recorded; `launch --again` of an unknown one is an error.
        let h = ok("history-list", j(&["history", "list"]), &mut seen);
        assert_eq!(h["items"][0]["session_name"], "json-1", "{h}");
        err(
            &j(&["launch", "--again", "never-launched"]),
            1,
            "not-in-history",
        );
        let c = ok("history-clear", j(&["history", "clear"]), &mut seen);
        assert_eq!(c["cleared"], 1, "{c}");
        (env, seen)
    })
    .await;
    drop(env);
    let mut seen = seen;

    // The demo, with a stand-in JupyterLab (it is only checked to exist before serving).
    let exe = d.join("fake-jupyter");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&exe, "#!/bin/sh\nexit 1\n").expect("script");
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let demo = Bai::offline(&d).env(bai_testkit::JUPYTER_ENV, exe.to_str().expect("utf-8"));
    let v = first_object(
        "demo",
        Live::spawn(&demo, &["--json", "demo", "--no-profile"]),
        &mut seen,
    )
    .await;
    assert!(v["profile"].is_null() && v["launch"].is_null(), "{v}");
    // With --launch (a real JupyterLab, when this machine has one): the same object once the
    // session's notebook answers, with the launch in it.
    if bai_testkit::find_jupyter().is_some() {
        let live = Live::spawn(
            &Bai::offline(&d),
            &["--json", "demo", "--no-profile", "--launch", "--no-open"],
        );
        let v = first_object("demo", live, &mut seen).await;
        assert_eq!(v["launch"]["app"], "jupyterlab", "{v}");
    }

    let all: BTreeSet<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas"))
            .expect("schemas/")
            .filter_map(|e| {
                e.expect("entry")
                    .file_name()
                    .to_str()?
                    .strip_suffix(".json")
                    .map(str::to_owned)
            })
            .filter(|n| n != "error")
            .collect();
    let missed: Vec<_> = all.difference(&seen).collect();
    assert!(missed.is_empty(), "schemas no run checked: {missed:?}");
}

/// The SSH commands (none of them needs sshd: the key goes in through the session file API),
/// with a stand-in `code`.
fn ssh_commands(bai: &Bai, dir: &Path, seen: &mut BTreeSet<String>) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir.join("home")).expect("home");
    std::fs::create_dir_all(dir.join("bin")).expect("bin");
    std::fs::write(dir.join("bin/code"), "#!/bin/sh\nexit 0\n").expect("code");
    std::fs::set_permissions(dir.join("bin/code"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let j = |args: &[&str]| {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        bai.run(&a, "")
    };
    let c = ok("ssh-config", j(&["ssh-config", "--yes"]), seen);
    assert_eq!(c["hosts"][0]["host"], "bai-env-json-1", "{c}");
    let p = ok("ssh", j(&["ssh", "json-1", "--print-config"]), seen);
    assert_eq!(p["host"], "bai-env-json-1", "{p}");
    let v = ok("code", j(&["code", "json-1"]), seen);
    assert_eq!(v["exit_code"], 0, "{v}");
    let l = ok("ssh-keys-list", j(&["ssh-keys", "list"]), seen);
    assert_eq!(l["items"][0]["profile"], "env", "{l}");
    // The proxy prints no JSON of its own: only its error is JSON.
    err(&j(&["ssh-proxy", "env", "no-such-session"]), 1, "not-found");
    seen.insert("ssh-proxy".into());
    let r = ok("ssh-keys-revoke", j(&["ssh-keys", "revoke"]), seen);
    assert_eq!(r["sessions"][0]["outcome"], "removed", "{r}");
}
