//! The demo endpoint: a `bai-testkit` child process (a Backend.AI-compatible server on
//! 127.0.0.1) that a first-time user can try everything against. It prints one JSON line when
//! ready; the app reads it, keeps the child, and stops it when the app quits.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::Path;
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
    /// Start `bin --jupyter auto` and wait for its ready line.
    pub fn start(bin: &Path) -> Result<DemoServer, CommandError> {
        let unavailable = |detail: String| CommandError::new("demo-unavailable", detail);
        let mut child = Command::new(bin)
            .args(["--jupyter", "auto"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                unavailable(format!(
                    "cannot start the demo server {} ({e}). Build it with `cargo build -p bai-testkit`, or set {} to its path",
                    bin.display(),
                    crate::state::TESTKIT_BIN_ENV
                ))
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
