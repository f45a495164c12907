//! "Open in VS Code" through the real IPC path against the testkit, with a stand-in `code` that
//! records its arguments: the session gets this device's public key in its `authorized_keys`,
//! the managed SSH config gets its `Host` entry (proxied by `bai ssh-proxy`, no port), `code`
//! is run with the Remote-SSH arguments, and the entry leaves when the session ends. Without
//! the user's consent the launcher never touches their `~/.ssh/config`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use bai_launcher::state::SshPlaces;
use bai_testkit::{Config, Schedule};
use common::*;
use serde_json::json;
use tauri::Manager;

struct Places {
    root: tempfile::TempDir,
}

impl Places {
    fn new() -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        let code = root.path().join("code");
        std::fs::write(
            &code,
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/code-args\"\n",
        )
        .expect("stand-in code");
        std::fs::set_permissions(&code, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::create_dir(root.path().join("home")).expect("home");
        Places { root }
    }
    fn home(&self) -> std::path::PathBuf {
        self.root.path().join("home")
    }
    fn ssh_places(&self) -> SshPlaces {
        SshPlaces {
            home: Some(self.home()),
            keys: Some(self.root.path().join("keys")),
            code: Some(self.root.path().join("code")),
            bai: Some("/usr/local/bin/bai".into()),
        }
    }
    fn code_args(&self) -> Option<Vec<String>> {
        std::fs::read_to_string(self.root.path().join("code-args"))
            .ok()
            .map(|t| t.lines().map(str::to_owned).collect())
    }
    fn managed(&self) -> String {
        std::fs::read_to_string(self.home().join(".ssh/config.d/bai")).unwrap_or_default()
    }
}

fn until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn open_in_vscode_installs_the_key_writes_the_entry_runs_code_and_cleans_up() {
    let s = server_with(Config {
        schedule: Schedule::uniform(Duration::from_millis(20)),
        ..Config::default()
    });
    let places = Places::new();
    let t = app_with(|st| st.with_ssh_places(places.ssh_places()));
    let w = launcher(&t.app);
    let profile = add_lab_profile(&w, &s.kit.manager_url());
    call(&w, "watch_sessions", json!({"profileId": profile})).expect("watched");
    let launch = call(
        &w,
        "launch_session",
        json!({"profileId": profile, "input": {"image": "python", "name": "code-nb"}}),
    )
    .expect("launch");
    assert!(launch.is_string());
    let session = {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let _on = s.rt.enter();
            let found = s
                .kit
                .control()
                .sessions()
                .into_iter()
                .find(|k| k.name == "code-nb" && k.status == bai_testkit::Status::Running);
            if let Some(k) = found {
                break k.id.to_string();
            }
            assert!(Instant::now() < deadline, "the session never ran");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    // The button is on the session's row: the app lists it first.
    let service = t.app.state::<bai_launcher::AppState>().service.clone();
    until("the session is listed", || {
        service
            .snapshots()
            .iter()
            .any(|snap| snap.sessions.iter().any(|v| v.id == session && v.ssh))
    });

    // No Include in the user's ssh config, and no one to ask (no dialog here): refused, and
    // their config is not created.
    let e = call(
        &w,
        "open_in_vscode",
        json!({"profileId": profile, "sessionId": session}),
    )
    .expect_err("no consent");
    assert_eq!(e["code"], "ssh-include-declined", "{e}");
    assert!(!places.home().join(".ssh/config").exists());
    assert!(places.code_args().is_none(), "code was not run");

    // With their config including the launcher's entries, it opens.
    std::fs::write(
        places.home().join(".ssh/config"),
        "Include ~/.ssh/config.d/*\n\nHost mine\n  User me\n",
    )
    .expect("user config");
    let alias = call(
        &w,
        "open_in_vscode",
        json!({"profileId": profile, "sessionId": session}),
    )
    .expect("opened");
    assert_eq!(alias, "bai-lab-code-nb");
    assert_eq!(
        places.code_args().expect("code ran"),
        ["--remote", "ssh-remote+bai-lab-code-nb", "/home/work"]
    );
    let managed = places.managed();
    assert!(managed.contains("Host bai-lab-code-nb\n"), "{managed}");
    assert!(
        managed.contains("ProxyCommand /usr/local/bin/bai --config-dir"),
        "{managed}"
    );
    assert!(managed.contains("ssh-proxy Lab code-nb"), "{managed}");
    assert!(!managed.contains("Port "), "no port: {managed}");
    let public = std::fs::read_to_string(places.root.path().join("keys/ssh/Lab/id_ed25519.pub"))
        .or_else(|_| {
            // Wherever the key store keeps it: the one public key under keys/.
            let mut found = None;
            for e in walk(&places.root.path().join("keys")) {
                if e.extension().is_some_and(|x| x == "pub") {
                    found = Some(std::fs::read_to_string(e).expect("pub"));
                }
            }
            found.ok_or(())
        })
        .expect("this device's public key");
    let key_body = public
        .split_whitespace()
        .nth(1)
        .expect("key body")
        .to_owned();
    let home = {
        let _on = s.rt.enter();
        s.kit.session_home(&session).expect("the session's home")
    };
    let authorized =
        std::fs::read_to_string(home.join(".ssh/authorized_keys")).expect("authorized_keys");
    assert!(authorized.contains(&key_body), "the key is in the session");
    let user_config =
        std::fs::read_to_string(places.home().join(".ssh/config")).expect("user config");
    assert!(
        user_config.ends_with("Host mine\n  User me\n"),
        "{user_config}"
    );

    // The session ends: its entry goes.
    {
        let _on = s.rt.enter();
        assert!(s.kit.control().terminate_remotely(&session));
    }
    until("the entry removed", || {
        !places.managed().contains("Host bai-lab-code-nb")
    });
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
