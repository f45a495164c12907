//! The demo as the launcher UI drives it: the JupyterLab it needs (found, explained, or
//! installed on request), and one demo server however often "Try the demo" is pressed, started
//! without blocking the async runtime.
#![cfg(target_os = "linux")]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bai_launcher::AppState;
use bai_launcher::demo_jupyter::{JupyterLookup, MISSING_CODE, VENV_NAME};
use bai_secrets::MemoryStore;
use bai_testkit::{ADMIN_ACCESS_KEY, ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_SECRET_KEY, Config};
use common::*;
use serde_json::{Value, json};

fn script(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A stand-in demo server: records its pid, takes `delay` seconds to get ready, then prints
/// the ready line of the real testkit `manager_url` and waits.
fn fake_testkit(dir: &Path, manager_url: &str, delay: &str) -> PathBuf {
    let line = json!({
        "manager_url": manager_url, "webserver_url": manager_url,
        "access_key": ADMIN_ACCESS_KEY, "secret_key": ADMIN_SECRET_KEY,
        "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
    });
    let bin = dir.join("bai-testkit");
    script(
        &bin,
        &format!(
            "echo $$ >> '{}'\nsleep {delay}\necho '{line}'\nexec sleep 600",
            dir.join("pids").display()
        ),
    );
    bin
}

fn pids(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("pids"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Nothing on PATH but what the test puts in `<dir>/bin`; the app's venv under `<dir>/data`.
fn lookup(dir: &Path) -> JupyterLookup {
    JupyterLookup {
        explicit: None,
        venv: Some(dir.join("data").join(VENV_NAME)),
        path: Some(dir.join("bin").into_os_string()),
    }
}

fn ok(w: &tauri::WebviewWindow<tauri::test::MockRuntime>, cmd: &str, args: Value) -> Value {
    call(w, cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

#[test]
fn without_jupyterlab_the_demo_says_what_to_install_and_starts_nothing() {
    let t = tempfile::tempdir().expect("tempdir");
    let bin = fake_testkit(t.path(), "http://127.0.0.1:9", "0");
    // `jupyter` alone (jupyter_core, no JupyterLab) on PATH does not count.
    script(&t.path().join("bin/jupyter"), "exit 0");
    let app = app_with(|s| {
        s.with_testkit_bin(&bin)
            .with_jupyter_lookup(lookup(t.path()))
    });
    let w = launcher(&app.app);

    let e = call(&w, "start_demo", json!({})).expect_err("no JupyterLab");
    assert_eq!(e["code"], MISSING_CODE, "{e}");
    let venv = t.path().join("data").join(VENV_NAME);
    let message = e["message"].as_str().unwrap_or_default();
    for part in [
        format!("python3 -m venv {}", venv.display()),
        format!("{}/bin/pip install jupyterlab", venv.display()),
    ] {
        assert!(message.contains(&part), "{part:?} not in {message}");
    }
    assert!(pids(t.path()).is_empty(), "a demo server was started");

    let setup = ok(&w, "demo_setup", json!({}));
    assert_eq!(setup["jupyterlab"], Value::Null);
    assert_eq!(setup["explanation"], e["message"]);
    assert_eq!(setup["venvDir"], venv.display().to_string());
    assert_eq!(setup["commands"].as_array().map(Vec::len), Some(2));
    // No python3 on this PATH: the app cannot install it, and says why when asked to.
    assert_eq!(setup["canInstall"], false);
    assert_eq!(setup["install"]["phase"], "idle");
    let e = call(&w, "install_demo_jupyter", json!({"consent": true})).expect_err("no python3");
    assert_eq!(e["code"], "demo-setup-failed");
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("python3")),
        "{e}"
    );
}

#[test]
fn jupyterlab_installed_on_request_is_what_the_demo_then_runs() {
    let t = tempfile::tempdir().expect("tempdir");
    // python3 that makes a venv whose pip "installs" jupyter + jupyter-lab.
    script(
        &t.path().join("bin/python3"),
        r#"[ "$1 $2" = "-m venv" ] || exit 9
mkdir -p "$3/bin"
cat > "$3/bin/python" <<'PY'
#!/bin/sh
[ "$1 $2 $3" = "-m pip install" ] || exit 8
echo "Collecting jupyterlab"
BIN=$(dirname "$0")
printf '#!/bin/sh\n' > "$BIN/jupyter"; cp "$BIN/jupyter" "$BIN/jupyter-lab"
chmod +x "$BIN/jupyter" "$BIN/jupyter-lab"
echo "Successfully installed jupyterlab"
PY
chmod +x "$3/bin/python""#,
    );
    let app = app_with(|s| s.with_jupyter_lookup(lookup(t.path())));
    let w = launcher(&app.app);
    assert_eq!(ok(&w, "demo_setup", json!({}))["canInstall"], true);

    // Only with the user's consent.
    let e = call(&w, "install_demo_jupyter", json!({"consent": false})).expect_err("no consent");
    assert_eq!(e["code"], "invalid-input");
    assert!(!t.path().join("data").exists());

    let started = ok(&w, "install_demo_jupyter", json!({"consent": true}));
    assert_ne!(started["install"]["phase"], "idle", "{started}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let done = loop {
        let s = ok(&w, "demo_setup", json!({}));
        if s["install"]["phase"] == "done" || s["install"]["phase"] == "failed" {
            break s;
        }
        assert!(Instant::now() < deadline, "still installing: {s}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(done["install"]["phase"], "done", "{done}");
    let lines = done["install"]["lines"].to_string();
    assert!(lines.contains("Collecting jupyterlab"), "{lines}");
    let venv_jupyter = t.path().join("data").join(VENV_NAME).join("bin/jupyter");
    assert_eq!(done["jupyterlab"], venv_jupyter.display().to_string());
    assert_eq!(done["source"], "appVenv");
    assert_eq!(done["explanation"], Value::Null);
}

#[test]
fn two_clicks_start_one_demo_server_and_the_runtime_keeps_running_meanwhile() {
    let kit = server_with(Config::default());
    let t = tempfile::tempdir().expect("tempdir");
    // Ready after a second and a half: long enough for both clicks and the ticker to overlap.
    let bin = fake_testkit(t.path(), &kit.kit.manager_url(), "1.5");
    let jupyter = t.path().join("lab/jupyter");
    script(&jupyter, "exit 0");
    let cfg = tempfile::tempdir().expect("config dir");
    let state = AppState::new(cfg.path(), Arc::new(MemoryStore::new()))
        .with_testkit_bin(&bin)
        .with_jupyter_lookup(JupyterLookup {
            explicit: Some(jupyter),
            ..JupyterLookup::default()
        });

    // One runtime thread: a start that blocked it would stop the ticker.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ticks = Arc::new(AtomicUsize::new(0));
    let (a, b) = rt.block_on(async {
        let counter = Arc::clone(&ticks);
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let started = Instant::now();
        let (a, b) = tokio::join!(
            bai_launcher::commands::demo::start(&state, None),
            bai_launcher::commands::demo::start(&state, None),
        );
        ticker.abort();
        assert!(started.elapsed() >= Duration::from_millis(1400));
        (a, b)
    });
    let (a, b) = (a.expect("first click"), b.expect("second click"));
    assert_eq!(a.id, b.id, "one Demo profile");
    assert_eq!(
        pids(t.path()).len(),
        1,
        "two demo servers: {:?}",
        pids(t.path())
    );
    let ticks = ticks.load(Ordering::SeqCst);
    assert!(
        ticks >= 20,
        "the runtime thread was blocked: {ticks} ticks in 1.5 s"
    );

    state.shut_down();
    let pid = &pids(t.path())[0];
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
    {
        assert!(
            Instant::now() < deadline,
            "the demo server outlived shut_down"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
