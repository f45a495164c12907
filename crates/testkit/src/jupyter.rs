//! One real JupyterLab process behind the jupyter/jupyterlab apps, started on demand and
//! killed (with its kernels, via the process group) on shutdown or drop.
//!
//! It runs code as the user, so only the testkit's own tcpproxy may reach it: it listens on a
//! Unix socket (mode 0600) in a directory of its own (mode 0700), never on a TCP port, and its
//! kernels talk ZMQ over IPC sockets in that same directory. JupyterLab keeps its own Origin and
//! XSRF checks on, so a page that reaches it through a tunnel cannot drive it cross-origin
//! either; JupyterLab's front end sends the XSRF token from its `_xsrf` cookie.

use std::fs::Permissions;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::process::{Child, Command};

use crate::config::JupyterMode;

pub const JUPYTER_ENV: &str = "BAI_TESTKIT_JUPYTER";
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// `sun_path` holds 108 bytes on Linux and 104 on macOS, including the final NUL.
const MAX_SOCKET_PATH: usize = 100;

/// Where the running JupyterLab is, for tests that check it is private.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JupyterProcess {
    /// The server's pid (also its process group).
    pub pid: u32,
    /// The Unix socket it listens on; the only way in.
    pub socket: PathBuf,
}

#[derive(Debug)]
pub struct Jupyter {
    mode: JupyterMode,
    running: tokio::sync::Mutex<Option<Running>>,
}

#[derive(Debug)]
struct Running {
    child: Child,
    pid: u32,
    socket: PathBuf,
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

/// The venv [`find_executable`] looks in after `$BAI_TESTKIT_JUPYTER`: `$BAI_CACHE/jupyter`,
/// `BAI_CACHE` defaulting to `~/.cache/bai-launcher` (where `scripts/python-env.sh jupyter`
/// installs it). Named so that `bai demo` can tell a user where to install JupyterLab.
pub fn venv_dir() -> Option<PathBuf> {
    std::env::var_os("BAI_CACHE")
        .filter(|c| !c.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".cache/bai-launcher"))
        })
        .map(|c| c.join("jupyter"))
}

/// `$BAI_TESTKIT_JUPYTER`, else `bin/jupyter` in [`venv_dir`], else `jupyter` on PATH.
pub fn find_executable() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(JUPYTER_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return is_executable(&p).then_some(p);
    }
    if let Some(p) = venv_dir().map(|v| v.join("bin/jupyter"))
        && is_executable(&p)
    {
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("jupyter"))
        .find(|p| is_executable(p))
}

/// A fresh directory only this user can enter, for the socket, the runtime files (kernel
/// connection files hold the kernels' HMAC keys) and the log.
fn private_dir() -> Result<tempfile::TempDir, String> {
    let dir = tempfile::Builder::new()
        .prefix("bai-jupyter-")
        .permissions(Permissions::from_mode(0o700))
        .tempdir()
        .map_err(|e| format!("cannot create a private temp dir for JupyterLab: {e}"))?;
    let mode = std::fs::metadata(dir.path())
        .map_err(|e| format!("cannot read {}: {e}", dir.path().display()))?
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "the temp dir {} came out with mode {:o}, not 0700; check TMPDIR",
            dir.path().display(),
            mode & 0o777
        ));
    }
    Ok(dir)
}

/// The socket must be ours and closed to group and others before anything is sent to it.
fn check_private_socket(socket: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(socket)
        .map_err(|e| format!("cannot read JupyterLab's socket {}: {e}", socket.display()))?;
    let own_uid = std::fs::metadata(socket.parent().unwrap_or(socket))
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    if meta.mode() & 0o077 != 0 || meta.uid() != own_uid {
        return Err(format!(
            "JupyterLab's socket {} has mode {:o} (uid {}); it must be 0600 and ours, so it is not used",
            socket.display(),
            meta.mode() & 0o777,
            meta.uid()
        ));
    }
    Ok(())
}

/// A new file only this user can read, created exclusively.
fn private_file(path: &Path) -> Result<std::fs::File, String> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// True once the server answers `GET /api` with 200 on its socket.
async fn answers(socket: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket).await else {
        return false;
    };
    // jupyter_server admits a loopback or `localhost` Host only.
    let req = "GET /api HTTP/1.0\r\nHost: localhost\r\n\r\n";
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

    /// Starts JupyterLab if needed and returns the Unix socket it listens on.
    pub async fn ensure_started(&self) -> Result<PathBuf, String> {
        let mut guard = self.running.lock().await;
        if let Some(r) = guard.as_mut() {
            if matches!(r.child.try_wait(), Ok(None)) {
                return Ok(r.socket.clone());
            }
            *guard = None;
        }
        let exe = self.executable().ok_or_else(|| match self.mode {
            JupyterMode::Off => "JupyterLab is off in this testkit (Config.jupyter = Off)".to_owned(),
            JupyterMode::Auto => format!(
                "no jupyter executable: set {JUPYTER_ENV} to the path of `jupyter` or put it on PATH"
            ),
        })?;
        let dir = private_dir()?;
        let socket = dir.path().join("jupyter.sock");
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(format!(
                "the socket path {} is too long for a Unix socket; set TMPDIR to a shorter directory",
                socket.display()
            ));
        }
        let log = private_file(&dir.path().join("jupyter.log"))?;
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
            // No token: the socket is the access check, since only this user can connect.
            .arg("--ServerApp.token=")
            .arg("--ServerApp.password=")
            .arg(format!("--ServerApp.sock={}", socket.display()))
            .arg("--ServerApp.sock_mode=0600")
            // Kernel channels on IPC sockets in the private dir rather than TCP ports, where
            // any local user could subscribe to a kernel's output.
            .arg("--KernelManager.transport=ipc")
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
        let mut running = Running {
            child,
            pid,
            socket: socket.clone(),
            dir,
        };
        let started = Instant::now();
        loop {
            // Answering means the socket is listening, which jupyter_server does only after
            // setting its mode: check it before anyone else is sent there.
            if answers(&socket).await {
                check_private_socket(&socket)?;
                tracing::info!(socket = %socket.display(), "JupyterLab is up");
                *guard = Some(running);
                return Ok(socket);
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

    /// The running server's pid and socket, if it is running.
    pub async fn process(&self) -> Option<JupyterProcess> {
        let mut guard = self.running.lock().await;
        let r = guard.as_mut()?;
        matches!(r.child.try_wait(), Ok(None)).then(|| JupyterProcess {
            pid: r.pid,
            socket: r.socket.clone(),
        })
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
