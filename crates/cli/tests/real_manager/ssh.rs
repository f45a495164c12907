//! SSH and SFTP to a session of the REAL manager through `bai ssh-proxy` (the manager's signed
//! `/stream/session/{id}/tcpproxy?app=sshd` WebSocket), with a stored keypair profile and a
//! webserver profile.
//!
//! The harness (tests/real-manager/lib/sshd.sh) maps the dummy agent's `sshd` app to a real
//! OpenSSH server whose `AuthorizedKeysFile` is the sessions' `/home/work/.ssh/authorized_keys`,
//! which the patched dummy agent serves through the real session file API (upload,
//! download_single; agentpatch/sitecustomize.py). So `bai ssh-config` installs this device's key
//! through the manager, sshd accepts it, and `bai ssh-keys revoke` takes it out through the
//! manager again, after which sshd refuses it.
//!
//! Helpers (`launch_ready`, `add_web`, `Cleanup`, …) are the suite's own, from
//! `real_manager.rs`, whose module this is.

use std::path::Path;
use std::process::Command;

use super::*;

fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `ssh`, `sftp` as a user runs them: none of the BACKEND_* variables, so the ProxyCommand's
/// `bai ssh-proxy PROFILE SESSION` uses the stored profile (and its keyring secret) alone.
fn ssh_cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    for k in [
        "BACKEND_ENDPOINT",
        "BACKEND_ENDPOINT_TYPE",
        "BACKEND_ACCESS_KEY",
        "BACKEND_SECRET_KEY",
        "BAI_PROFILE",
        "BAI_CONFIG_DIR",
    ] {
        c.env_remove(k);
    }
    c
}

fn ssh_out(config: &Path, host: &str, extra: &[&str], cmd: &[&str]) -> std::process::Output {
    ssh_cmd("ssh")
        .arg("-F")
        .arg(config)
        .args(["-o", "BatchMode=yes"])
        .args(extra)
        .arg(host)
        .args(cmd)
        .output()
        .expect("ssh runs")
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("join")
}

/// The lines of the shared session home's `authorized_keys` that hold `public_key`'s key.
fn installed(public_key: &str) -> usize {
    let keys = Path::new(&var("BAI_REALMGR_SESSION_HOME")).join(".ssh/authorized_keys");
    let blob = public_key.split_whitespace().nth(1).expect("key blob");
    std::fs::read_to_string(&keys)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(blob))
        .count()
}

/// The manager's access log lines of `session`'s `sshd` relay (101: the WebSocket was
/// accepted), so a test sees the bytes went through the manager (and through the webserver,
/// whose requests carry its user agent).
fn manager_relays(session: &str) -> Vec<String> {
    let log = Path::new(&var("BAI_REALMGR_RUN")).join("mgr/manager.log");
    let want = format!("/stream/session/{session}/tcpproxy?app=sshd HTTP/1.1\" 101");
    std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&want))
        .map(str::to_owned)
        .collect()
}

/// The harness's logs hold no line of the private key.
fn assert_not_in_logs(private_key: &str) {
    let run = Path::new(&var("BAI_REALMGR_RUN")).to_path_buf();
    for log in [
        "mgr/manager.log",
        "web/web.log",
        "agent/agent.log",
        "sshd/sshd.log",
    ] {
        let text = std::fs::read_to_string(run.join(log)).unwrap_or_default();
        for line in private_key.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!text.contains(line), "a private key line is in {log}");
        }
    }
}

/// With profile `profile` (stored in `dir`) and its RUNNING session `session`: `bai
/// ssh-config`, `ssh -F <generated config> HOST echo ok`, SFTP of 10 MiB both ways, then `bai
/// ssh-keys revoke` and the old key refused.
async fn ssh_sftp_and_revoke(dir: &Path, profile: &str, session: &str) {
    let started = Instant::now();
    let home = dir.join("home");
    let data = dir.join("data");
    std::fs::create_dir_all(&home).expect("home");
    let ssh_bai = {
        let (home, data) = (home.clone(), data.clone());
        move || {
            Bai::new(dir)
                .env("HOME", &home.to_string_lossy())
                .env("BAI_DATA_DIR", &data.to_string_lossy())
                .env("BAI_SSH_USER", &whoami())
        }
    };

    // The managed file and this device's key, installed through the real manager.
    let r = run(
        ssh_bai(),
        &["--profile", profile, "ssh-config", "--yes", "--json"],
    )
    .await
    .ok();
    let v: serde_json::Value = serde_json::from_str(r.out.trim()).expect("json");
    let host = v["hosts"]
        .as_array()
        .and_then(|h| h.iter().find(|h| h["session"] == session))
        .unwrap_or_else(|| panic!("no host entry for {session}: {v}"))
        .clone();
    assert_eq!(host["key"], "added", "{v}\n{}", r.err);
    let alias = host["host"].as_str().expect("host").to_owned();
    assert!(
        alias.starts_with("bai-") && alias.ends_with(session),
        "{alias}"
    );
    assert!(r.err.contains("authorized_keys"), "says how: {}", r.err);
    let key_file = data.join("ssh").join(bai_core::ssh::slug(profile));
    let public = std::fs::read_to_string(key_file.join("id_ed25519.pub")).expect("public key");
    assert_eq!(
        installed(&public),
        1,
        "the key went into the session's ~/.ssh/authorized_keys through the manager's file API"
    );
    let managed = home.join(".ssh/config.d/bai");
    let managed_text = std::fs::read_to_string(&managed).expect("managed config");
    assert!(
        managed_text.contains("ssh-proxy") && !managed_text.contains(&var("BAI_REALMGR_SSHD_PORT")),
        "through the proxy, not sshd's port:\n{managed_text}"
    );

    // ssh echo ok through the generated config.
    let t = Instant::now();
    let (m, a) = (managed.clone(), alias.clone());
    let out = blocking(move || ssh_out(&m, &a, &[], &["echo", "ok"])).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("ssh echo ok: {:.2}s", t.elapsed().as_secs_f64());

    // SFTP: 10 MiB up and back, intact.
    let work = dir.join("sftp");
    std::fs::create_dir_all(&work).expect("dir");
    let bytes: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(work.join("up.bin"), &bytes).expect("write");
    let batch = format!(
        "put {up} {remote}\nget {remote} {down}\n",
        up = work.join("up.bin").display(),
        remote = work.join("remote.bin").display(),
        down = work.join("down.bin").display()
    );
    std::fs::write(work.join("batch"), batch).expect("batch");
    let t = Instant::now();
    let (m, w, a) = (managed.clone(), work.clone(), alias.clone());
    let out = blocking(move || {
        ssh_cmd("sftp")
            .arg("-F")
            .arg(&m)
            .args(["-o", "BatchMode=yes", "-b"])
            .arg(w.join("batch"))
            .arg(&a)
            .output()
            .expect("sftp")
    })
    .await;
    assert!(
        out.status.success(),
        "sftp: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let down = std::fs::read(work.join("down.bin")).expect("down");
    assert!(down == bytes, "10 MiB intact ({} bytes back)", down.len());
    eprintln!("sftp 10 MiB put+get: {:.2}s", t.elapsed().as_secs_f64());

    // The manager logs a WebSocket's request when its handler ends, through its log relay;
    // behind the webserver that can be long after the client closed, so one line (the first
    // ssh's) is what is waited for.
    let deadline = Instant::now() + Duration::from_secs(20);
    while manager_relays(session).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no tcpproxy?app=sshd relay of {session} in the manager's access log"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let private = std::fs::read_to_string(key_file.join("id_ed25519")).expect("private key");
    assert_not_in_logs(&private);

    // Revoke: the key leaves the session through the manager, and sshd refuses it.
    let saved = dir.join("old_key");
    std::fs::copy(key_file.join("id_ed25519"), &saved).expect("copy");
    let r = run(
        ssh_bai(),
        &["--profile", profile, "ssh-keys", "revoke", "--json"],
    )
    .await
    .ok();
    let v: serde_json::Value = serde_json::from_str(r.out.trim()).expect("json");
    let outcome = v["sessions"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["session"] == session))
        .map(|s| s["outcome"].clone());
    assert_eq!(outcome, Some(serde_json::json!("removed")), "{v}");
    assert_eq!(installed(&public), 0, "taken out of authorized_keys");
    let (m, s, a) = (managed.clone(), saved.clone(), alias.clone());
    let out = blocking(move || {
        let key = s.to_string_lossy().into_owned();
        ssh_out(
            &m,
            &a,
            &["-o", "IdentitiesOnly=yes", "-i", &key],
            &["echo", "ok"],
        )
    })
    .await;
    assert!(!out.status.success(), "a revoked key logged in");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Permission denied"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&saved);
    eprintln!("ssh round: {:.1}s", started.elapsed().as_secs_f64());
}

/// A stored keypair profile (secret in the keyring): ssh, sftp and revoke through the manager.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn ssh_and_sftp_through_the_proxy_with_a_keypair_profile() {
    if !keyring_available("ssh_and_sftp_through_the_proxy_with_a_keypair_profile") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let sk = format!("{}\n", var("BACKEND_SECRET_KEY"));
    let b = Bai::new(dir.path());
    let (ak, ep) = (var("BACKEND_ACCESS_KEY"), var("BACKEND_ENDPOINT"));
    let add = blocking(move || {
        b.run(
            &[
                "profile",
                "add",
                "Real",
                "--endpoint",
                &ep,
                "--access-key",
                &ak,
                "--secret-key-stdin",
                "--default",
            ],
            &sk,
        )
    })
    .await
    .ok();
    assert!(
        !add.all().contains(&var("BACKEND_SECRET_KEY")),
        "secret echoed"
    );
    let name = unique("rm-ssh");
    let _cleanup = Cleanup::new(&name);
    let (live, _url) = launch_ready(&Bai::new(dir.path()), &name).await;
    ssh_sftp_and_revoke(dir.path(), "Real", &name).await;
    drop(live);
    let t = run(Bai::new(dir.path()), &["terminate", &name]).await.ok();
    assert!(t.out.contains("TERMINATED"), "{}", t.out);
}

/// A webserver profile (email and password; the proxy's WebSocket goes through the webserver's
/// `/func/stream`): ssh, sftp and revoke.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn ssh_and_sftp_through_the_proxy_with_a_webserver_profile() {
    if !keyring_available("ssh_and_sftp_through_the_proxy_with_a_webserver_profile") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let add = add_web(dir.path(), "Web", WEB_USER, &["--default"])
        .await
        .ok();
    assert!(add.out.contains("logged in"), "{}", add.out);
    let name = unique("rm-ssh-web");
    let _cleanup = Cleanup(name.clone(), user_client);
    let (live, _url) = launch_ready(&Bai::new(dir.path()), &name).await;
    ssh_sftp_and_revoke(dir.path(), "Web", &name).await;
    let relays = manager_relays(&name);
    assert!(
        relays.iter().all(|l| l.contains("Backend.AI Web Server")),
        "every relay came through the webserver: {relays:#?}"
    );
    drop(live);
    let t = run(Bai::new(dir.path()), &["terminate", &name]).await.ok();
    assert!(t.out.contains("TERMINATED"), "{}", t.out);
}
