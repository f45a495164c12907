//! The demo endpoint: a `bai-testkit` child process (a Backend.AI-compatible server on
//! 127.0.0.1) that a first-time user can try everything against. It prints one JSON line when
//! ready; the app reads it, keeps the child, and stops it when the app quits.
//!
//! The Debian package installs it as `/usr/lib/backend-ai-launcher/bai-testkit` (beside
//! `/usr/bin/bai-launcher`'s `../lib`); a source tree has it beside the app in `target/`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use bai_secrets::Secret;
use serde::Deserialize;

use crate::error::CommandError;

/// How long the testkit may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long it gets to stop (and stop JupyterLab) after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Lines of the child's stderr kept to explain a failed start.
const STDERR_TAIL: usize = 20;

/// The package's lib dir, relative to the app binary's dir (`/usr/bin` → `/usr/lib/…`).
pub const PACKAGE_LIB_DIR: &str = "../lib/backend-ai-launcher";

/// Where the demo server may be, for the app binary `exe`, in the order they are tried:
/// beside it, then in the package's lib dir.
pub fn testkit_candidates(exe: &Path) -> Vec<PathBuf> {
    let name = format!("bai-testkit{}", std::env::consts::EXE_SUFFIX);
    let Some(dir) = exe.parent() else {
        return Vec::new();
    };
    let mut out = vec![dir.join(&name)];
    if let Some(prefix) = dir.parent() {
        out.push(prefix.join("lib/backend-ai-launcher").join(&name));
    }
    out
}

/// The first of [`testkit_candidates`] that is an executable file.
pub fn find_testkit(exe: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    testkit_candidates(exe).into_iter().find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// What a user reads when this installation has no demo server.
pub fn not_installed() -> CommandError {
    CommandError::new(
        "demo-unavailable",
        "The demo is not part of this installation of the launcher. Add a profile for your \
         Backend.AI cluster to get started.",
    )
}

/// The ready line of `bai-testkit`.
#[derive(Debug, Clone, Deserialize)]
pub struct DemoInfo {
    pub manager_url: String,
    pub webserver_url: String,
    pub access_key: String,
    pub secret_key: Secret,
    pub email: String,
    pub password: Secret,
}

/// A running demo server.
#[derive(Debug)]
pub struct DemoServer {
    child: Child,
    pub info: DemoInfo,
}

impl DemoServer {
    /// Start `bin --jupyter auto` with `jupyter` as its JupyterLab and wait for its ready
    /// line. This blocks for up to [`READY_TIMEOUT`]: call it off the async runtime.
    pub fn start(bin: &Path, jupyter: &Path) -> Result<DemoServer, CommandError> {
        let unavailable = |detail: String| CommandError::new("demo-unavailable", detail);
        let mut child = Command::new(bin)
            .args(["--jupyter", "auto"])
            .env(crate::demo_jupyter::JUPYTER_ENV, jupyter)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                tracing::warn!(bin = %bin.display(), "cannot start the demo server: {e}");
                if e.kind() == std::io::ErrorKind::NotFound {
                    not_installed()
                } else {
                    unavailable(format!(
                        "The demo server {} could not start ({e}).",
                        bin.display()
                    ))
                }
            })?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            let tail = Arc::clone(&tail);
            // The child's log is kept out of the app log (it may echo request details); only
            // its last lines are kept to explain a failed start.
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                    if t.len() == STDERR_TAIL {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
                let _ = tx.send(lines.next());
                // Keep draining so that the child never blocks on a full pipe.
                lines.for_each(drop);
            });
        }
        let failed = |child: &mut Child, why: &str| {
            let _ = child.kill();
            let _ = child.wait();
            let t = tail.lock().unwrap_or_else(|p| p.into_inner());
            let log: Vec<&str> = t.iter().map(String::as_str).collect();
            unavailable(format!(
                "the demo server {why}{}",
                if log.is_empty() {
                    String::new()
                } else {
                    format!(". Its last messages: {}", log.join(" | "))
                }
            ))
        };
        let line = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(Some(line)) => line,
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(200));
                return Err(failed(&mut child, "exited before it was ready"));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(failed(
                    &mut child,
                    &format!("did not get ready within {}s", READY_TIMEOUT.as_secs()),
                ));
            }
        };
        let info: DemoInfo = match serde_json::from_str(&line) {
            Ok(info) => info,
            Err(e) => {
                return Err(failed(
                    &mut child,
                    &format!("printed an unexpected ready line ({e})"),
                ));
            }
        };
        tracing::info!(pid = child.id(), manager = %info.manager_url, "demo server started");
        Ok(DemoServer { child, info })
    }

    /// Whether the child is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Ask the child to stop (SIGTERM, so it stops JupyterLab too), then kill it if it lingers.
    pub fn stop(mut self) {
        let pid = self.child.id();
        if self.is_running() {
            #[cfg(unix)]
            {
                // std has no SIGTERM and this workspace forbids unsafe code: use kill(1).
                let _ = Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status();
                let deadline = Instant::now() + STOP_GRACE;
                while Instant::now() < deadline && self.is_running() {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        tracing::info!(pid, "demo server stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn exec(p: &Path) {
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    #[test]
    fn the_installed_app_finds_the_demo_server_in_the_packages_lib_dir() {
        assert_eq!(
            testkit_candidates(Path::new("/usr/bin/bai-launcher")),
            [
                PathBuf::from("/usr/bin/bai-testkit"),
                PathBuf::from("/usr/lib/backend-ai-launcher/bai-testkit")
            ]
        );
        let t = tempfile::tempdir().expect("tempdir");
        let exe = t.path().join("usr/bin/bai-launcher");
        exec(&exe);
        assert_eq!(find_testkit(&exe), None, "nothing installed");
        let lib = t.path().join("usr/lib/backend-ai-launcher/bai-testkit");
        // Not executable: not a demo server.
        std::fs::create_dir_all(lib.parent().expect("parent")).expect("mkdir");
        std::fs::write(&lib, "").expect("write");
        assert_eq!(find_testkit(&exe), None);
        exec(&lib);
        assert_eq!(find_testkit(&exe), Some(lib));
    }

    #[test]
    fn a_source_tree_build_uses_the_one_beside_the_app() {
        let t = tempfile::tempdir().expect("tempdir");
        let exe = t.path().join("target/debug/bai-launcher");
        let beside = t.path().join("target/debug/bai-testkit");
        exec(&beside);
        exec(&t.path().join("target/lib/backend-ai-launcher/bai-testkit"));
        assert_eq!(find_testkit(&exe), Some(beside));
    }

    #[test]
    fn a_missing_demo_server_is_explained_without_developer_tools() {
        let e = not_installed();
        assert_eq!(e.code, "demo-unavailable");
        assert!(e.message.contains("not part of this installation"), "{e:?}");
        for word in ["cargo", "build", "BAI_"] {
            assert!(!e.message.contains(word), "{word} in {e:?}");
        }
    }

    #[test]
    fn the_demo_server_gets_the_jupyterlab_the_app_found() {
        let t = tempfile::tempdir().expect("tempdir");
        let bin = t.path().join("fake-testkit");
        // It reports the JupyterLab it was given as its "manager_url".
        std::fs::write(
            &bin,
            r#"#!/bin/sh
[ "$1 $2" = '--jupyter auto' ] || exit 3
printf '{"manager_url": "%s", "webserver_url": "w", "access_key": "a", "secret_key": "s", "email": "e", "password": "p"}\n' "$BAI_TESTKIT_JUPYTER"
exec sleep 60
"#,
        )
        .expect("write");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let server = DemoServer::start(&bin, Path::new("/opt/lab/bin/jupyter")).expect("started");
        assert_eq!(server.info.manager_url, "/opt/lab/bin/jupyter");
        server.stop();

        let e = DemoServer::start(&t.path().join("absent"), Path::new("/x")).expect_err("absent");
        assert_eq!(e, not_installed());
    }
}
