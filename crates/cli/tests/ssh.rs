//! SSH to a session through `bai ssh-proxy` against the testkit's real OpenSSH server:
//! `ssh -F <generated config> bai-<profile>-<session> echo ok`, SFTP of a 10 MiB file both
//! ways, a revoked device key refused by sshd, `bai code` with a stand-in `code`, and the
//! private key in no output, log or command line.
//!
//! sshd missing: the test fails under CI=true and is skipped (with a note) elsewhere.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
use bai_core::{Endpoint, EndpointKind};
use bai_testkit::{Config, Schedule, Status, TestKit};
use common::*;

const IMAGE: &str = "cr.backend.ai/stable/python:3.9-ubuntu20.04";

fn have_sshd() -> bool {
    let ok = bai_testkit::find_sshd().is_some() && bai_core::ssh::which("ssh").is_some();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "sshd/ssh missing: apt-get install openssh-server openssh-client (scripts/setup-system.sh)"
        );
        eprintln!("skipped: sshd or ssh is not installed");
    }
    ok
}

fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

struct Env {
    kit: TestKit,
    dir: tempfile::TempDir,
}

impl Env {
    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    fn bai(&self) -> Bai {
        Bai::offline(&self.dir.path().join("cfg"))
            .env("BACKEND_ENDPOINT", &self.kit.manager_url())
            .env("BACKEND_ACCESS_KEY", AK)
            .env("BACKEND_SECRET_KEY", SK)
            .env("HOME", &self.home().to_string_lossy())
            .env("BAI_DATA_DIR", &self.data().to_string_lossy())
            .env("BAI_SSH_USER", &whoami())
    }
}

async fn setup(session: &str) -> Env {
    let kit = TestKit::start(Config {
        schedule: Schedule::uniform(Duration::from_millis(20)),
        ..Config::default()
    })
    .await
    .expect("testkit");
    let config = ClientConfig::new(
        Endpoint::parse(&kit.manager_url()).expect("endpoint"),
        EndpointKind::Api,
    );
    let client = Client::new(config, Credentials::keypair(AK, SK)).expect("client");
    client
        .create_session(&CreateSession::new(session, IMAGE))
        .await
        .expect("create");
    let deadline = Instant::now() + Duration::from_secs(15);
    while kit.control().session_status(session) != Some(Status::Running) {
        assert!(Instant::now() < deadline, "session never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("home")).expect("home");
    Env { kit, dir }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("join")
}

/// `ssh`/`sftp` as a user in environment mode runs them: with the BACKEND_* variables, which
/// the ProxyCommand (`bai ssh-proxy env …`) reads.
fn ssh_cmd(program: &str, kit_url: &str) -> Command {
    let mut c = Command::new(program);
    c.env("BACKEND_ENDPOINT", kit_url)
        .env("BACKEND_ACCESS_KEY", AK)
        .env("BACKEND_SECRET_KEY", SK)
        .env_remove("BAI_PROFILE");
    c
}

fn ssh(url: &str, config: &Path, host: &str, args: &[&str]) -> std::process::Output {
    ssh_cmd("ssh", url)
        .arg("-F")
        .arg(config)
        .args(["-o", "BatchMode=yes"])
        .arg(host)
        .args(args)
        .output()
        .expect("ssh runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_sftp_revoke_and_code_through_the_proxy() {
    if !have_sshd() {
        return;
    }
    let env = setup("ssh-nb-1").await;
    let bai = env.bai();

    // `bai ssh-config --yes`: the managed file, the Include (once), the key installed.
    let user_config = env.home().join(".ssh/config");
    std::fs::create_dir_all(env.home().join(".ssh")).expect(".ssh");
    std::fs::write(&user_config, "Host mine\n  User me\n").expect("user config");
    let b = env.bai();
    let r = blocking(move || b.run(&["ssh-config", "--yes", "--json"], ""))
        .await
        .ok();
    let v: serde_json::Value = serde_json::from_str(r.out.trim()).expect("json");
    assert_eq!(v["hosts"][0]["host"], "bai-env-ssh-nb-1", "{v}");
    assert_eq!(v["hosts"][0]["key"], "added", "{v}");
    assert_eq!(v["include_added"], true);
    assert!(r.err.contains("authorized_keys"), "says how: {}", r.err);
    let text = std::fs::read_to_string(&user_config).expect("read");
    assert!(text.ends_with("Host mine\n  User me\n"), "{text}");
    assert_eq!(text.matches("Include").count(), 1);
    let b = env.bai();
    let again = blocking(move || b.run(&["ssh-config", "--yes", "--json"], ""))
        .await
        .ok();
    let v2: serde_json::Value = serde_json::from_str(again.out.trim()).expect("json");
    assert_eq!(v2["include_added"], false);
    assert_eq!(v2["hosts"][0]["key"], "already_there");
    assert_eq!(
        std::fs::read_to_string(&user_config).expect("read"),
        text,
        "the user's file is touched once"
    );
    let managed = env.home().join(".ssh/config.d/bai");
    let authorized = env
        .kit
        .session_home("ssh-nb-1")
        .expect("home")
        .join(".ssh/authorized_keys");
    assert_eq!(
        std::fs::read_to_string(&authorized)
            .expect("authorized_keys")
            .matches("ssh-ed25519")
            .count(),
        1
    );

    // ssh echo ok through the generated config, over the WebSocket (sshd's port is not in it).
    let m = managed.clone();
    let url = env.kit.manager_url();
    let out = blocking(move || ssh(&url, &m, "bai-env-ssh-nb-1", &["echo", "ok"])).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ports: Vec<String> = env
        .kit
        .sshd_addresses()
        .await
        .values()
        .map(|a| a.port().to_string())
        .collect();
    assert_eq!(ports.len(), 1);
    let managed_text = std::fs::read_to_string(&managed).expect("managed");
    assert!(!managed_text.contains(&format!(":{}", ports[0])));
    assert!(managed_text.contains("ProxyCommand"), "{managed_text}");

    // `bai ssh SESSION -- CMD`.
    let b = env.bai();
    let r = blocking(move || b.run(&["ssh", "ssh-nb-1", "--", "echo", "via-bai-ssh"], "")).await;
    assert_eq!(r.out.trim(), "via-bai-ssh", "{}", r.all());

    // SFTP: 10 MiB up and back, intact.
    let work = env.dir.path().join("sftp");
    std::fs::create_dir_all(&work).expect("dir");
    let data: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(work.join("up.bin"), &data).expect("write");
    let remote = work.join("remote.bin");
    let batch = format!(
        "put {up} {remote}\nget {remote} {down}\n",
        up = work.join("up.bin").display(),
        remote = remote.display(),
        down = work.join("down.bin").display()
    );
    std::fs::write(work.join("batch"), batch).expect("batch");
    let (m, w, url) = (managed.clone(), work.clone(), env.kit.manager_url());
    let out = blocking(move || {
        ssh_cmd("sftp", &url)
            .arg("-F")
            .arg(&m)
            .args(["-o", "BatchMode=yes", "-b"])
            .arg(w.join("batch"))
            .arg("bai-env-ssh-nb-1")
            .output()
            .expect("sftp")
    })
    .await;
    assert!(
        out.status.success(),
        "sftp: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read(work.join("down.bin")).expect("down") == data,
        "10 MiB intact"
    );

    // `bai code` with a stand-in `code` that records its arguments.
    let bin = env.dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let record = env.dir.path().join("code-args");
    std::fs::write(
        bin.join("code"),
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n",
            record.display()
        ),
    )
    .expect("code");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("code"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let b = env.bai().env("PATH", &path);
    let r = blocking(move || b.run(&["code", "ssh-nb-1", "--yes"], ""))
        .await
        .ok();
    assert!(r.out.contains("bai-env-ssh-nb-1"), "{}", r.all());
    assert_eq!(
        std::fs::read_to_string(&record).expect("recorded"),
        "--remote\nssh-remote+bai-env-ssh-nb-1\n/home/work\n"
    );
    // Without `code`: says how to get it.
    let b = env.bai().env("PATH", "/usr/bin:/bin");
    let r = blocking(move || b.run(&["code", "ssh-nb-1", "--yes"], "")).await;
    assert_eq!(r.code, Some(1));
    assert!(
        r.err.contains("program-missing") && r.err.contains("code.visualstudio.com"),
        "{}",
        r.err
    );

    // The private key is in no output, log or config.
    let key_file = env.data().join("ssh/env/id_ed25519");
    let private = std::fs::read_to_string(&key_file).expect("private key");
    let mode = std::fs::metadata(&key_file)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let body: String = private
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(body.len() > 40);
    // Everything at the most verbose log level (the ProxyCommand inherits BAI_LOG).
    let loud = env.bai().env("BAI_LOG", "trace");
    let loud = blocking(move || {
        loud.run(&["-vv", "ssh-config", "--yes"], "").ok();
        loud.run(&["-vv", "ssh", "ssh-nb-1", "--", "echo", "loud"], "")
            .ok();
        loud.run(&["-vv", "ssh-keys", "list", "--json"], "").ok();
        loud.transcript.into_inner()
    })
    .await;
    assert!(loud.contains("TRACE") || loud.contains("DEBUG"), "{loud}");
    assert!(loud.contains("loud"), "{loud}");
    let mut haystacks = vec![bai.transcript.borrow().clone(), loud];
    for b in [&managed, &user_config, &authorized] {
        haystacks.push(std::fs::read_to_string(b).unwrap_or_default());
    }
    for h in &haystacks {
        for line in private.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!h.contains(line), "a private key line leaked");
        }
    }
    let req = format!("{:?}", env.kit.control().requests());
    assert!(
        !req.contains(&body[..40]),
        "the private key reached the server"
    );
    // Every process's command line (`ps`) while nothing else runs from this test.
    let ps = Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .expect("ps");
    assert!(!String::from_utf8_lossy(&ps.stdout).contains(&body[..40]));

    // Revoke: the key leaves the session, and sshd refuses it.
    let saved = env.dir.path().join("old_key");
    std::fs::copy(&key_file, &saved).expect("copy");
    std::fs::set_permissions(&saved, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let b = env.bai();
    let r = blocking(move || b.run(&["ssh-keys", "revoke", "--json"], ""))
        .await
        .ok();
    let v: serde_json::Value = serde_json::from_str(r.out.trim()).expect("json");
    assert_eq!(v["sessions"][0]["outcome"], "removed", "{v}");
    assert!(!key_file.exists(), "deleted");
    assert!(
        !std::fs::read_to_string(&authorized)
            .expect("authorized_keys")
            .contains("ssh-ed25519")
    );
    let (m, s, url) = (managed.clone(), saved.clone(), env.kit.manager_url());
    let out = blocking(move || {
        ssh_cmd("ssh", &url)
            .arg("-F")
            .arg(&m)
            .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i"])
            .arg(&s)
            .args(["bai-env-ssh-nb-1", "echo", "ok"])
            .output()
            .expect("ssh")
    })
    .await;
    assert!(!out.status.success());
    assert_ne!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Permission denied"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The entry goes when the session ends.
    assert!(env.kit.control().terminate_remotely("ssh-nb-1"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.kit.control().session_status("ssh-nb-1") != Some(Status::Terminated) {
        assert!(Instant::now() < deadline, "never terminated");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let b = env.bai();
    let r = blocking(move || b.run(&["ssh-config", "--yes", "--json"], ""))
        .await
        .ok();
    let v: serde_json::Value = serde_json::from_str(r.out.trim()).expect("json");
    assert_eq!(v["hosts"], serde_json::json!([]), "{v}");
    assert!(
        !std::fs::read_to_string(&managed)
            .expect("managed")
            .contains("bai-env-ssh-nb-1")
    );
    // ssh-config made a new key (the old one was revoked); revoke it too.
    let b = env.bai();
    blocking(move || b.run(&["ssh-keys", "revoke"], ""))
        .await
        .ok();
    let b = env.bai();
    let r = blocking(move || b.run(&["ssh-keys", "list", "--json"], ""))
        .await
        .ok();
    assert!(r.out.contains("\"items\":[]"), "{}", r.out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_proxy_errors_are_classed() {
    let env = setup("ssh-nb-2").await;
    let b = env.bai();
    let r = blocking(move || b.run(&["--json", "ssh-proxy", "env", "no-such-session"], "")).await;
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert_eq!(r.out, "", "nothing but SSH bytes on stdout");
    let v: serde_json::Value =
        serde_json::from_str(r.err.lines().last().unwrap_or("")).expect("json error");
    assert_eq!(v["error"]["code"], "not-found", "{v}");
}
