//! SSH benchmark (printed, never asserted on a time): `ssh` through `bai ssh-proxy` (the
//! session's signed `tcpproxy?app=sshd` WebSocket) against a direct `ssh` to the same OpenSSH
//! server, with the same key, client and options.
//!
//! The demo endpoint (`bai demo`, the testkit in a release `bai`) serves a session whose `sshd`
//! app is a real sshd; the direct path connects to that sshd's port. Figures:
//! - `ssh HOST echo ok`: a new connection each time (TCP or WebSocket, key exchange, auth, one
//!   command), median and p90;
//! - the round trip of one line through a running `ssh HOST cat` (what a keystroke costs);
//! - `scp` of 64 MiB up and down (`BAI_BENCH_SSH_MB`), best of two, checked intact.
//!
//! Run by `benches/ssh/run.sh` (CI: scripts/test.sh, after the Debian package step built the
//! release `bai`):
//! `cargo test -p bai-cli --test ssh_bench -- --ignored --nocapture`. The `bai` measured is
//! `$BAI_BENCH_BAI`, else `target/release/bai`; a debug build would measure the debug relay.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
use bai_core::{Endpoint, EndpointKind};

const IMAGE: &str = "cr.backend.ai/stable/python:3.9-ubuntu20.04";
const SESSION: &str = "ssh-bench";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn release_bai() -> PathBuf {
    if let Some(p) = std::env::var_os("BAI_BENCH_BAI").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/bai");
    assert!(
        p.is_file(),
        "no release bai at {}: build it (cargo build --release -p bai-cli, or scripts/package-deb.sh) or set BAI_BENCH_BAI",
        p.display()
    );
    p
}

fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `bai demo --no-profile`, killed on drop; its BACKEND_* lines.
struct Demo {
    child: Child,
    vars: Vec<(String, String)>,
}

impl Demo {
    fn start(bai: &Path, config_dir: &Path) -> Demo {
        let mut child = Command::new(bai)
            .arg("--config-dir")
            .arg(config_dir)
            .args(["demo", "--no-profile"])
            .env_remove("BACKEND_ENDPOINT")
            .env_remove("BAI_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("bai demo starts");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut vars = Vec::new();
        let mut line = String::new();
        while {
            line.clear();
            out.read_line(&mut line).unwrap_or(0) > 0
        } {
            let line = line.trim_end();
            if let Some((k, v)) = line
                .strip_prefix("export ")
                .and_then(|kv| kv.split_once('='))
            {
                vars.push((k.to_owned(), v.to_owned()));
            }
            if line.starts_with("serving") {
                break;
            }
        }
        // Whatever the demo prints later is read and dropped, so it never meets a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        assert!(
            vars.iter().any(|(k, _)| k == "BACKEND_SECRET_KEY"),
            "bai demo printed no BACKEND_* lines"
        );
        Demo { child, vars }
    }

    fn var(&self, k: &str) -> &str {
        self.vars
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("bai demo printed no {k}"))
    }

    /// The `sshd` the demo started for the session: its ListenAddress port, from its config.
    fn sshd_port(&self) -> u16 {
        let out = Command::new("pgrep")
            .args(["-P", &self.child.id().to_string(), "-x", "sshd"])
            .output()
            .expect("pgrep");
        let pid = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_else(|| panic!("the demo runs no sshd"))
            .trim()
            .to_owned();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
        // sshd rewrites its title ("sshd: /usr/sbin/sshd -D -e -f CONFIG [listener] …").
        let args: Vec<String> = String::from_utf8_lossy(&cmdline)
            .split(|c: char| c == '\0' || c.is_whitespace())
            .map(str::to_owned)
            .collect();
        let config = args
            .iter()
            .position(|a| a == "-f")
            .and_then(|i| args.get(i + 1))
            .expect("sshd -f CONFIG");
        std::fs::read_to_string(config)
            .expect("sshd_config")
            .lines()
            .find_map(|l| l.strip_prefix("ListenAddress "))
            .and_then(|a| a.rsplit_once(':'))
            .and_then(|(_, p)| p.trim().parse().ok())
            .expect("ListenAddress HOST:PORT")
    }
}

impl Drop for Demo {
    /// Ctrl-C, as a user stops the demo (it then ends its sessions' sshd servers), and after
    /// 10 s SIGKILL.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

struct Route {
    label: &'static str,
    host: &'static str,
}

fn ssh(config: &Path, demo: &Demo) -> Command {
    let mut c = Command::new("ssh");
    c.arg("-F").arg(config).args(["-o", "BatchMode=yes"]);
    for (k, v) in &demo.vars {
        c.env(k, v);
    }
    c.env_remove("BAI_PROFILE");
    c
}

fn echo_once(config: &Path, demo: &Demo, host: &str) -> Duration {
    let t = Instant::now();
    let out = ssh(config, demo)
        .args([host, "echo", "ok"])
        .output()
        .expect("ssh");
    let d = t.elapsed();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok",
        "{host}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

/// Round trips of one short line through `ssh HOST cat`.
fn line_rtts(config: &Path, demo: &Demo, host: &str, n: usize) -> Vec<Duration> {
    let mut child = ssh(config, demo)
        .args(["-T", host, "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("ssh cat");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n + 5 {
        line.clear();
        let t = Instant::now();
        writeln!(stdin, "ping {i}").expect("write");
        stdin.flush().expect("flush");
        stdout.read_line(&mut line).expect("read");
        assert_eq!(line.trim(), format!("ping {i}"));
        if i >= 5 {
            out.push(t.elapsed());
        }
    }
    drop(stdin);
    let _ = child.wait();
    out
}

fn scp(config: &Path, demo: &Demo, from: &str, to: &str) -> Duration {
    let mut c = Command::new("scp");
    c.arg("-F").arg(config).args(["-q", "-o", "BatchMode=yes"]);
    for (k, v) in &demo.vars {
        c.env(k, v);
    }
    c.env_remove("BAI_PROFILE");
    let t = Instant::now();
    let out = c.args([from, to]).output().expect("scp");
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "scp {from} {to}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

fn same_file(a: &Path, b: &Path) -> bool {
    std::fs::read(a).expect("read") == std::fs::read(b).expect("read")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: benches/ssh/run.sh"]
async fn ssh_benchmark() {
    for tool in ["ssh", "scp", "pgrep"] {
        assert!(
            bai_core::ssh::which(tool).is_some(),
            "{tool} is missing: apt-get install openssh-client procps"
        );
    }
    assert!(
        bai_testkit::find_sshd().is_some(),
        "sshd is missing: apt-get install openssh-server"
    );
    let bai = release_bai().canonicalize().expect("the bai to measure");
    let runs = env_num("BAI_BENCH_SSH_RUNS", 10) as usize;
    let lines = env_num("BAI_BENCH_SSH_LINES", 200) as usize;
    let mib = env_num("BAI_BENCH_SSH_MB", 64);
    let dir = tempfile::tempdir().expect("tempdir");
    let (home, data, cfg) = (
        dir.path().join("home"),
        dir.path().join("data"),
        dir.path().join("cfg"),
    );
    std::fs::create_dir_all(&home).expect("home");
    let demo = Demo::start(&bai, &cfg);

    // A RUNNING session (control plane only; not timed).
    let client = Client::new(
        ClientConfig::new(
            Endpoint::parse(demo.var("BACKEND_ENDPOINT")).expect("endpoint"),
            EndpointKind::Api,
        ),
        Credentials::keypair(
            demo.var("BACKEND_ACCESS_KEY"),
            demo.var("BACKEND_SECRET_KEY"),
        ),
    )
    .expect("client");
    client
        .create_session(&CreateSession::new(SESSION, IMAGE))
        .await
        .expect("create");
    let deadline = Instant::now() + Duration::from_secs(60);
    while client
        .session_info(SESSION)
        .await
        .map(|i| i.status.to_string())
        .unwrap_or_default()
        != "RUNNING"
    {
        assert!(Instant::now() < deadline, "the demo session never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // `bai ssh-config` (the measured bai writes the ProxyCommand with its own path).
    let mut c = Command::new(&bai);
    c.arg("--config-dir")
        .arg(&cfg)
        .args(["ssh-config", "--yes", "--json"])
        .env("HOME", &home)
        .env("BAI_DATA_DIR", &data)
        .env("BAI_SSH_USER", whoami())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/bai-bench-bus",
        )
        .env_remove("BAI_PROFILE");
    for (k, v) in &demo.vars {
        c.env(k, v);
    }
    let out = c.output().expect("bai ssh-config");
    assert!(
        out.status.success(),
        "bai ssh-config: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let managed = home.join(".ssh/config.d/bai");
    let proxied = std::fs::read_to_string(&managed).expect("managed config");
    assert!(proxied.contains("Host bai-env-ssh-bench"), "{proxied}");

    // The first proxied connection starts the session's sshd; then the direct entry can point
    // at it: same user, key and options, no ProxyCommand.
    echo_once(&managed, &demo, "bai-env-ssh-bench");
    let port = demo.sshd_port();
    // The direct entry is the generated one (same user, key, known hosts and host key alias,
    // so the same checks run) with the sshd's address instead of the ProxyCommand.
    let block = proxied
        .split("\nHost ")
        .find(|b| b.trim_start().starts_with("bai-env-ssh-bench"))
        .expect("the session's Host block");
    let mut direct = String::from("Host direct\n");
    for line in block.lines().skip(1) {
        let t = line.trim_start();
        if t.starts_with("ProxyCommand") || t.starts_with("HostName") {
            continue;
        }
        direct.push_str(line);
        direct.push('\n');
    }
    direct.push_str(&format!("  HostName 127.0.0.1\n  Port {port}\n"));
    assert!(!direct.contains("ssh-proxy"), "{direct}");
    let config = dir.path().join("ssh_config");
    std::fs::write(&config, format!("{proxied}\n{direct}")).expect("config");
    let paths = [
        Route {
            label: "direct ssh",
            host: "direct",
        },
        Route {
            label: "bai ssh-proxy",
            host: "bai-env-ssh-bench",
        },
    ];

    let blob = dir.path().join("blob.bin");
    {
        let mut f = std::fs::File::create(&blob).expect("blob");
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut buf = vec![0u8; 1024 * 1024];
        for _ in 0..mib {
            for b in buf.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b.copy_from_slice(&x.to_le_bytes()[..b.len()]);
            }
            f.write_all(&buf).expect("write");
        }
    }
    let remote_dir = dir.path().join("remote");
    std::fs::create_dir_all(&remote_dir).expect("remote");

    struct Fig {
        echo_p50: Duration,
        echo_p90: Duration,
        rtt_p50: Duration,
        rtt_p99: Duration,
        up: f64,
        down: f64,
    }
    let config2 = config.clone();
    // The two paths take turns (connections, then copies), so that a busy moment of this
    // shared machine does not fall on one path only.
    let figs: Vec<Fig> = tokio::task::spawn_blocking(move || {
        let mut echo: [Vec<Duration>; 2] = Default::default();
        for _ in 0..runs {
            for (i, p) in paths.iter().enumerate() {
                echo[i].push(echo_once(&config2, &demo, p.host));
            }
        }
        let mut rtt: Vec<Vec<Duration>> = paths
            .iter()
            .map(|p| line_rtts(&config2, &demo, p.host, lines))
            .collect();
        let (mut up, mut down) = ([0.0f64; 2], [0.0f64; 2]);
        for round in 0..2 {
            for (i, p) in paths.iter().enumerate() {
                let remote = remote_dir.join(format!("{}-{round}.bin", p.host));
                let back = remote_dir.join(format!("{}-{round}.back", p.host));
                let d = scp(
                    &config2,
                    &demo,
                    &blob.to_string_lossy(),
                    &format!("{}:{}", p.host, remote.display()),
                );
                up[i] = up[i].max(mib as f64 / d.as_secs_f64());
                let d = scp(
                    &config2,
                    &demo,
                    &format!("{}:{}", p.host, remote.display()),
                    &back.to_string_lossy(),
                );
                down[i] = down[i].max(mib as f64 / d.as_secs_f64());
                assert!(same_file(&blob, &back), "{}: {mib} MiB intact", p.label);
                let _ = std::fs::remove_file(&remote);
                let _ = std::fs::remove_file(&back);
            }
        }
        drop(demo);
        (0..2)
            .map(|i| Fig {
                echo_p50: pct(&mut echo[i], 0.5),
                echo_p90: pct(&mut echo[i], 0.9),
                rtt_p50: pct(&mut rtt[i], 0.5),
                rtt_p99: pct(&mut rtt[i], 0.99),
                up: up[i],
                down: down[i],
            })
            .collect()
    })
    .await
    .expect("join");

    let (d, b) = (&figs[0], &figs[1]);
    println!();
    println!(
        "ssh benchmark: {} (release: {}), {runs} connections, {lines} line round trips, {mib} MiB scp",
        bai.display(),
        !bai.to_string_lossy().contains("/debug/")
    );
    println!(
        "{:<34} {:>14} {:>14} {:>8}",
        "", "direct ssh", "bai ssh-proxy", "ratio"
    );
    let row = |name: &str, a: Duration, b: Duration| {
        println!(
            "{name:<34} {:>14} {:>14} {:>7.2}x",
            ms(a),
            ms(b),
            b.as_secs_f64() / a.as_secs_f64()
        );
    };
    row("ssh HOST echo ok, p50", d.echo_p50, b.echo_p50);
    row("ssh HOST echo ok, p90", d.echo_p90, b.echo_p90);
    row("line round trip in a session, p50", d.rtt_p50, b.rtt_p50);
    row("line round trip in a session, p99", d.rtt_p99, b.rtt_p99);
    let rate = |name: &str, a: f64, b: f64| {
        println!(
            "{name:<34} {:>9.1} MiB/s {:>9.1} MiB/s {:>7.2}x",
            a,
            b,
            b / a
        );
    };
    rate(&format!("scp {mib} MiB up (best of 2)"), d.up, b.up);
    rate(&format!("scp {mib} MiB down (best of 2)"), d.down, b.down);
    println!("(ratio: bai ssh-proxy / direct; times: higher is slower, rates: lower is slower)");
}
