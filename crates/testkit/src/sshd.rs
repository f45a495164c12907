//! The `sshd` app and what goes with it: a real OpenSSH server per session, the session's home
//! (where `~/.ssh/authorized_keys` lives), the session file API that edits it
//! (`POST /session/{id}/upload`, `POST /session/{id}/download_single?file=`), and the
//! keypair's SSH key (`GET|PATCH|POST /auth/ssh-keypair`), as the 26.x manager and agent have
//! them.
//!
//! Each session gets a home directory of its own (mode 0700) under one private root. The
//! agent writes the keypair's registered SSH public key into `.ssh/authorized_keys` when the
//! kernel is created; here it is written when the home is first made. The first
//! `tcpproxy?app=sshd` of a session starts Debian's `sshd` as the current user on a free
//! 127.0.0.1 port with a host key of its own, `AuthorizedKeysFile` pointing at that home's
//! `authorized_keys`, no password or PAM login, `StrictModes no` (so it runs unprivileged)
//! and `internal-sftp`. It is killed with the testkit, or when its session ends.

use std::collections::HashMap;
use std::fs::Permissions;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::problem::{ApiResult, Problem};
use crate::sessions::Status;
use crate::sessions::rest::lookup;
use crate::state::{AppState, Caller};

/// Where the `sshd` binary is, when not `/usr/sbin/sshd` or on PATH.
pub const SSHD_ENV: &str = "BAI_TESTKIT_SSHD";
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// The manager's upload limit (one file, < 1 MiB).
const MAX_UPLOAD: usize = 1024 * 1024;

/// The running sshd servers and the session homes.
#[derive(Debug)]
pub struct Sshds {
    root: Option<tempfile::TempDir>,
    running: tokio::sync::Mutex<HashMap<uuid::Uuid, Running>>,
}

#[derive(Debug)]
struct Running {
    child: Child,
    addr: SocketAddr,
}

/// `$BAI_TESTKIT_SSHD`, else `/usr/sbin/sshd`, else `sshd` on PATH.
pub fn find_sshd() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(SSHD_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let fixed = PathBuf::from("/usr/sbin/sshd");
    if fixed.is_file() {
        return Some(fixed);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("sshd"))
        .find(|p| p.is_file())
}

fn private_mkdir(p: &Path) -> Result<(), String> {
    std::fs::create_dir_all(p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
    std::fs::set_permissions(p, Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot make {} private: {e}", p.display()))
}

impl Default for Sshds {
    fn default() -> Self {
        Self::new()
    }
}

impl Sshds {
    pub fn new() -> Self {
        let root = tempfile::Builder::new()
            .prefix("bai-sessions-")
            .permissions(Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|e| tracing::warn!("cannot create the session homes' directory: {e}"))
            .ok();
        Sshds {
            root,
            running: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    fn root(&self) -> Result<&Path, String> {
        self.root
            .as_ref()
            .map(|r| r.path())
            .ok_or_else(|| "the testkit has no directory for session homes (check TMPDIR)".into())
    }

    /// The session's home (`/home/work` inside a real kernel), made on first use with the
    /// keypair's registered SSH public key in `.ssh/authorized_keys`.
    pub fn home(&self, session: uuid::Uuid, registered: Option<&str>) -> Result<PathBuf, String> {
        let home = self.root()?.join(session.to_string()).join("work");
        if !home.exists() {
            private_mkdir(&home.join(".ssh"))?;
            let keys = home.join(".ssh/authorized_keys");
            let mut text = String::new();
            if let Some(k) = registered.filter(|k| !k.trim().is_empty()) {
                text = format!("{}\n", k.trim_end());
            }
            std::fs::write(&keys, text)
                .map_err(|e| format!("cannot write {}: {e}", keys.display()))?;
            let _ = std::fs::set_permissions(&keys, Permissions::from_mode(0o600));
        }
        Ok(home)
    }

    /// The session's sshd address, starting it if needed.
    pub async fn ensure(&self, session: uuid::Uuid, home: &Path) -> Result<SocketAddr, String> {
        let mut running = self.running.lock().await;
        if let Some(r) = running.get_mut(&session) {
            if matches!(r.child.try_wait(), Ok(None)) {
                return Ok(r.addr);
            }
            running.remove(&session);
        }
        let dir = self.root()?.join(session.to_string()).join("sshd");
        let r = start(&dir, home).await?;
        let addr = r.addr;
        running.insert(session, r);
        Ok(addr)
    }

    /// Stop the session's sshd (its session ended).
    pub async fn stop(&self, session: uuid::Uuid) {
        if let Some(mut r) = self.running.lock().await.remove(&session) {
            let _ = r.child.start_kill();
            let _ = r.child.wait().await;
        }
    }

    /// The sshd servers' addresses, by session id.
    pub async fn addresses(&self) -> HashMap<uuid::Uuid, SocketAddr> {
        self.running
            .lock()
            .await
            .iter()
            .map(|(k, v)| (*k, v.addr))
            .collect()
    }

    /// Best-effort kill of every sshd, for Drop paths.
    pub fn kill_now(&self) {
        if let Ok(mut g) = self.running.try_lock() {
            for (_, mut r) in g.drain() {
                let _ = r.child.start_kill();
            }
        }
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

async fn start(dir: &Path, home: &Path) -> Result<Running, String> {
    let sshd = find_sshd().ok_or_else(|| {
        format!(
            "no sshd: install OpenSSH's server (apt-get install openssh-server) or set {SSHD_ENV}"
        )
    })?;
    private_mkdir(dir)?;
    let host_key = dir.join("host_ed25519_key");
    if !host_key.exists() {
        let out = Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "bai-testkit-host",
                "-f",
            ])
            .arg(&host_key)
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| format!("cannot run ssh-keygen (install openssh-client): {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ssh-keygen failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    // Run as root (CI containers), sshd insists on its privilege separation directory.
    if rustix_uid_is_root() && !Path::new("/run/sshd").exists() {
        let _ = std::fs::create_dir_all("/run/sshd");
        let _ = std::fs::set_permissions("/run/sshd", Permissions::from_mode(0o755));
    }
    let port = free_port()?;
    let config = dir.join("sshd_config");
    let text = format!(
        "ListenAddress 127.0.0.1:{port}\n\
         HostKey {host}\n\
         PidFile {pid}\n\
         AuthorizedKeysFile {keys}\n\
         UsePAM no\n\
         StrictModes no\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PermitRootLogin prohibit-password\n\
         PrintMotd no\n\
         PrintLastLog no\n\
         UseDNS no\n\
         LogLevel VERBOSE\n\
         Subsystem sftp internal-sftp\n",
        host = host_key.display(),
        pid = dir.join("sshd.pid").display(),
        keys = home.join(".ssh/authorized_keys").display(),
    );
    std::fs::write(&config, text).map_err(|e| format!("cannot write sshd_config: {e}"))?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("sshd.log"))
        .map_err(|e| format!("cannot create the sshd log: {e}"))?;
    let child = Command::new(&sshd)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", sshd.display()))?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut r = Running { child, addr };
    let started = Instant::now();
    loop {
        if let Ok(mut s) = tokio::net::TcpStream::connect(addr).await {
            use tokio::io::AsyncReadExt;
            let mut banner = [0u8; 4];
            if s.read_exact(&mut banner).await.is_ok() && &banner == b"SSH-" {
                tracing::info!(%addr, "sshd is up");
                return Ok(r);
            }
        }
        let exited = matches!(r.child.try_wait(), Ok(Some(_)));
        if exited || started.elapsed() > START_TIMEOUT {
            let log = std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default();
            let tail: String = log.lines().rev().take(10).collect::<Vec<_>>().join("\n");
            let _ = r.child.start_kill();
            return Err(format!(
                "sshd ({}) {}; last log lines (newest first):\n{tail}",
                sshd.display(),
                if exited {
                    "exited early"
                } else {
                    "did not answer within 20 s"
                }
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn rustix_uid_is_root() -> bool {
    // No libc binding in this crate: ask the kernel through /proc.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// The keypair's registered SSH public key, if any.
pub fn registered_key(state: &AppState, access_key: &str) -> Option<String> {
    state
        .world()
        .ssh_keypairs
        .get(access_key)
        .map(|k| k.public.clone())
}

/// The tcpproxy target of a session's `sshd` app: its sshd, started if needed.
pub async fn sshd_target(
    state: &AppState,
    session: uuid::Uuid,
    access_key: &str,
) -> Result<SocketAddr, String> {
    let registered = registered_key(state, access_key);
    let home = state.sshd.home(session, registered.as_deref())?;
    let addr = state.sshd.ensure(session, &home).await?;
    // Stop it when the session ends.
    let mut events = state.events.subscribe();
    let st = state.clone();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) if e.session_id == session && e.name.starts_with("session_") => {
                    let ended = st.world().sessions.iter().any(|s| {
                        s.id == session
                            && (s.status.is_terminal() || s.status == Status::Terminating)
                    });
                    if ended {
                        st.sshd.stop(session).await;
                        return;
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    });
    Ok(addr)
}

/// One SSH key pair registered for a keypair (`/auth/ssh-keypair`).
#[derive(Debug, Clone)]
pub struct SshKeypair {
    pub public: String,
    pub private: String,
}

/// `GET /auth/ssh-keypair` → `{"ssh_public_key": "..."}` (empty when none is registered).
pub async fn get_ssh_keypair(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Json<Value> {
    let key = registered_key(&state, &caller.access_key).unwrap_or_default();
    Json(json!({ "ssh_public_key": key }))
}

async fn keygen_pair() -> Result<SshKeypair, String> {
    let dir = tempfile::Builder::new()
        .prefix("bai-keygen-")
        .permissions(Permissions::from_mode(0o700))
        .tempdir()
        .map_err(|e| format!("cannot create a temp dir: {e}"))?;
    let path = dir.path().join("id");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "backend.ai", "-f"])
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run ssh-keygen: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let private = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let public = std::fs::read_to_string(path.with_extension("pub")).map_err(|e| e.to_string())?;
    Ok(SshKeypair { public, private })
}

/// The public key `private` derives (`ssh-keygen -y`), to check an uploaded pair.
async fn derive_public(private: &str) -> Result<String, String> {
    let dir = tempfile::Builder::new()
        .prefix("bai-keycheck-")
        .permissions(Permissions::from_mode(0o700))
        .tempdir()
        .map_err(|e| format!("cannot create a temp dir: {e}"))?;
    let path = dir.path().join("id");
    std::fs::write(&path, format!("{}\n", private.trim_end())).map_err(|e| e.to_string())?;
    let _ = std::fs::set_permissions(&path, Permissions::from_mode(0o600));
    let out = Command::new("ssh-keygen")
        .args(["-y", "-P", "", "-f"])
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run ssh-keygen: {e}"))?;
    if !out.status.success() {
        return Err("the private key does not parse".into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn key_body(k: &str) -> &str {
    // "type base64 [comment]": compare type and key only.
    let mut it = k.split_whitespace();
    let t = it.next().unwrap_or("");
    let b = it.next().unwrap_or("");
    &k[k.find(t).unwrap_or(0)..k.find(b).map(|i| i + b.len()).unwrap_or(0)]
}

/// `PATCH /auth/ssh-keypair`: a fresh pair made by the server, registered and returned.
pub async fn generate_ssh_keypair(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Value>> {
    let pair = keygen_pair().await.map_err(|e| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-server-error",
            "Internal server error",
        )
        .msg(e)
    })?;
    let body = json!({"ssh_public_key": pair.public, "ssh_private_key": pair.private});
    state
        .world()
        .ssh_keypairs
        .insert(caller.access_key.clone(), pair);
    Ok(Json(body))
}

#[derive(Debug, Deserialize)]
pub struct UploadPair {
    pubkey: Option<String>,
    privkey: Option<String>,
}

/// `POST /auth/ssh-keypair` `{"pubkey","privkey"}`: both are required and must match.
pub async fn upload_ssh_keypair(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let req: UploadPair = serde_json::from_slice(&body)
        .map_err(|e| Problem::invalid_api_params(format!("malformed body: {e}")))?;
    let (Some(public), Some(private)) = (req.pubkey, req.privkey) else {
        return Err(Problem::invalid_api_params(
            "pubkey and privkey: both fields are required",
        ));
    };
    let derived = derive_public(&private)
        .await
        .map_err(Problem::invalid_api_params)?;
    if key_body(&derived) != key_body(&public) {
        return Err(Problem::invalid_api_params(
            "the public key does not match the private key",
        ));
    }
    let pair = SshKeypair {
        public: format!("{}\n", public.trim_end()),
        private: format!("{}\n", private.trim_end()),
    };
    let body = json!({"ssh_public_key": pair.public, "ssh_private_key": pair.private});
    state
        .world()
        .ssh_keypairs
        .insert(caller.access_key.clone(), pair);
    Ok(Json(body))
}

fn file_error(msg: impl Into<String>) -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal-server-error",
        "Internal server error",
    )
    .msg(msg)
}

/// A path inside the session's home, refusing anything that leaves it (as the agent does).
fn inside_home(home: &Path, rel: &str) -> ApiResult<PathBuf> {
    let rel = rel.trim_start_matches("/home/work/");
    let p = Path::new(rel);
    if rel.is_empty()
        || p.is_absolute()
        || p.components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
    {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "generic-forbidden",
            "Forbidden operation",
        )
        .msg("Not allowed to access files outside /home/work"));
    }
    Ok(home.join(p))
}

fn running_session(state: &AppState, name: &str, caller: &Caller) -> ApiResult<uuid::Uuid> {
    let s = lookup(state, name, &caller.access_key)?;
    if s.status != Status::Running {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "invalid-session-state",
            "Invalid session state",
        )
        .msg(format!("the session is {}, not RUNNING", s.status)));
    }
    Ok(s.id)
}

#[derive(Debug, Deserialize)]
pub struct FileQuery {
    file: Option<String>,
}

/// `POST /session/{name}/download_single?file=PATH`: the file's bytes.
pub async fn download_single(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    UrlPath(name): UrlPath<String>,
    Query(q): Query<FileQuery>,
) -> ApiResult<Response> {
    let file = q
        .file
        .ok_or_else(|| Problem::invalid_api_params("file: this field is required"))?;
    let id = running_session(&state, &name, &caller)?;
    let home = state
        .sshd
        .home(id, registered_key(&state, &caller.access_key).as_deref())
        .map_err(file_error)?;
    let path = inside_home(&home, &file)?;
    // The agent's error for a missing file is a 500 from the kernel's archive call.
    let bytes = std::fs::read(&path)
        .map_err(|_| file_error(format!("Could not download the archive to: {file}")))?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// `POST /session/{name}/upload` (multipart/form-data): each part is written to
/// `/home/work/<filename>`.
pub async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let id = running_session(&state, &name, &caller)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = ct
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_owned())
        .filter(|_| ct.trim_start().starts_with("multipart/form-data"))
        .ok_or_else(|| Problem::invalid_api_params("a multipart/form-data body is required"))?;
    let parts = parse_multipart(&body, &boundary).map_err(Problem::invalid_api_params)?;
    if parts.len() > 20 {
        return Err(Problem::invalid_api_params("Too many files"));
    }
    let home = state
        .sshd
        .home(id, registered_key(&state, &caller.access_key).as_deref())
        .map_err(file_error)?;
    for (filename, data) in parts {
        if data.len() >= MAX_UPLOAD {
            return Err(Problem::invalid_api_params("Too large file"));
        }
        let path = inside_home(&home, &filename)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| file_error(e.to_string()))?;
        }
        std::fs::write(&path, data).map_err(|e| file_error(e.to_string()))?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The (filename, bytes) of each part of a multipart body.
fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let delim = format!("--{boundary}");
    let d = delim.as_bytes();
    let mut out = Vec::new();
    let mut pos = find(body, d, 0).ok_or("no multipart boundary in the body")?;
    loop {
        pos += d.len();
        if body[pos..].starts_with(b"--") {
            return Ok(out);
        }
        let head_start = pos + 2; // CRLF after the boundary
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or("a part has no header end")?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]).into_owned();
        let data_start = head_end + 4;
        let next = find(body, format!("\r\n{delim}").as_bytes(), data_start)
            .ok_or("a part has no closing boundary")?;
        let filename = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .and_then(|l| {
                l.split(';')
                    .map(str::trim)
                    .find_map(|p| p.strip_prefix("filename="))
            })
            .map(|f| f.trim_matches('"').to_owned())
            .ok_or("a part has no filename")?;
        out.push((filename, body[data_start..next].to_vec()));
        pos = next + 2;
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_parts_are_read() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"src\"; filename=\".ssh/authorized_keys\"\r\nContent-Type: application/octet-stream\r\n\r\nssh-ed25519 AAAA x\n\r\n--XX--\r\n";
        let parts = parse_multipart(body, "XX").expect("parses");
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].0, ".ssh/authorized_keys");
        assert_eq!(parts[0].1, b"ssh-ed25519 AAAA x\n");
    }

    #[test]
    fn paths_stay_in_the_home() {
        let home = Path::new("/tmp/h/work");
        assert!(inside_home(home, "../x").is_err());
        assert!(inside_home(home, "/etc/passwd").is_err());
        assert_eq!(
            inside_home(home, ".ssh/authorized_keys").expect("inside"),
            home.join(".ssh/authorized_keys")
        );
        assert_eq!(
            inside_home(home, "/home/work/a").expect("inside"),
            home.join("a")
        );
    }

    #[test]
    fn key_bodies_ignore_comments() {
        assert_eq!(
            key_body("ssh-ed25519 AAAA a@b\n"),
            key_body("ssh-ed25519 AAAA")
        );
        assert_ne!(key_body("ssh-ed25519 AAAA"), key_body("ssh-ed25519 AAAB"));
    }
}
