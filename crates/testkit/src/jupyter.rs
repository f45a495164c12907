//! One real JupyterLab process behind the jupyter/jupyterlab apps, started on demand and
//! killed (with its kernels, via the process group) on shutdown or drop.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use crate::config::JupyterMode;

pub const JUPYTER_ENV: &str = "BAI_TESTKIT_JUPYTER";
const START_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug)]
pub struct Jupyter {
    mode: JupyterMode,
    running: tokio::sync::Mutex<Option<Running>>,
}

#[derive(Debug)]
struct Running {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        // kill_on_drop reaches only the server; kernels share its process group.
        signal_group(self.pid, "KILL");
    }
}

fn signal_group(pid: u32, sig: &str) {
    // Never signal group 0 (ours) or anything but a real group.
    if pid <= 1 {
        return;
    }
    // `-s SIG -- -PGID`: procps-ng 4.0.2's kill(1) reads `kill -SIG -PGID` as `kill(-1, SIG)`,
    // which signals every process on the machine.
    let _ = std::process::Command::new("kill")
        .args(["-s", sig, "--"])
        .arg(format!("-{pid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `$BAI_TESTKIT_JUPYTER`, else the one `scripts/python-env.sh jupyter` installs
/// (`$BAI_CACHE/jupyter/bin/jupyter`, `BAI_CACHE` defaulting to `~/.cache/bai-launcher`), else
/// `jupyter` on PATH.
pub fn find_executable() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(JUPYTER_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return is_executable(&p).then_some(p);
    }
    let cache = std::env::var_os("BAI_CACHE")
        .filter(|c| !c.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".cache/bai-launcher"))
        });
    if let Some(p) = cache.map(|c| c.join("jupyter/bin/jupyter"))
        && is_executable(&p)
    {
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("jupyter"))
        .find(|p| is_executable(p))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// True once the server answers `GET /api` with 200.
async fn answers(addr: SocketAddr) -> bool {
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    let req = format!("GET /api HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if s.write_all(req.as_bytes()).await.is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    let mut n = 0;
    while n < 12 {
        match s.read(&mut buf[n..]).await {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    buf[..n].starts_with(b"HTTP/1.1 200") || buf[..n].starts_with(b"HTTP/1.0 200")
}

impl Jupyter {
    pub fn new(mode: JupyterMode) -> Self {
        Jupyter {
            mode,
            running: tokio::sync::Mutex::new(None),
        }
    }

    /// The executable that Auto mode would use.
    pub fn executable(&self) -> Option<PathBuf> {
        match self.mode {
            JupyterMode::Off => None,
            JupyterMode::Auto => find_executable(),
        }
    }

    /// Starts JupyterLab if needed and returns where it listens.
    pub async fn ensure_started(&self) -> Result<SocketAddr, String> {
        let mut guard = self.running.lock().await;
        if let Some(r) = guard.as_mut() {
            if matches!(r.child.try_wait(), Ok(None)) {
                return Ok(r.addr);
            }
            *guard = None;
        }
        let exe = self.executable().ok_or_else(|| match self.mode {
            JupyterMode::Off => "JupyterLab is off in this testkit (Config.jupyter = Off)".to_owned(),
            JupyterMode::Auto => format!(
                "no jupyter executable: set {JUPYTER_ENV} to the path of `jupyter` or put it on PATH"
            ),
        })?;
        let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let port = free_port().map_err(|e| format!("cannot find a free port: {e}"))?;
        let log = std::fs::File::create(dir.path().join("jupyter.log"))
            .map_err(|e| format!("cannot create the JupyterLab log: {e}"))?;
        let log2 = log
            .try_clone()
            .map_err(|e| format!("cannot create the JupyterLab log: {e}"))?;
        let root = dir.path().join("work");
        let _ = std::fs::create_dir_all(&root);
        let child = Command::new(&exe)
            .arg("lab")
            .arg("--no-browser")
            // CI and containers run as root; Jupyter refuses that without the flag.
            .arg("--allow-root")
            .arg("--ServerApp.token=")
            .arg("--ServerApp.password=")
            .arg("--ServerApp.disable_check_xsrf=True")
            .arg("--ServerApp.allow_origin=*")
            .arg("--ServerApp.ip=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg("--ServerApp.port_retries=0")
            .arg(format!("--ServerApp.root_dir={}", root.display()))
            .env("JUPYTER_RUNTIME_DIR", dir.path().join("runtime"))
            .env("JUPYTER_CONFIG_DIR", dir.path().join("config"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let pid = child.id().unwrap_or(0);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut running = Running {
            child,
            pid,
            addr,
            dir,
        };
        let started = Instant::now();
        loop {
            if answers(addr).await {
                tracing::info!(%addr, "JupyterLab is up");
                *guard = Some(running);
                return Ok(addr);
            }
            let exited = matches!(running.child.try_wait(), Ok(Some(_)));
            if exited || started.elapsed() > START_TIMEOUT {
                let log = std::fs::read_to_string(running.dir.path().join("jupyter.log"))
                    .unwrap_or_default();
                let tail: String = log.lines().rev().take(15).collect::<Vec<_>>().join("\n");
                return Err(format!(
                    "JupyterLab ({}) {} ; last log lines (newest first):\n{tail}",
                    exe.display(),
                    if exited {
                        "exited early"
                    } else {
                        "did not answer within 90 s"
                    }
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGTERM to the process group, then SIGKILL after 5 s.
    pub async fn stop(&self) {
        let Some(mut r) = self.running.lock().await.take() else {
            return;
        };
        signal_group(r.pid, "TERM");
        if tokio::time::timeout(Duration::from_secs(5), r.child.wait())
            .await
            .is_err()
        {
            signal_group(r.pid, "KILL");
        }
    }

    /// Synchronous best-effort kill for Drop paths.
    pub fn kill_now(&self) {
        if let Ok(mut g) = self.running.try_lock() {
            g.take();
        }
    }
}
