//! A `bai` process whose output is read while it runs (launch, demo), and signals for it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Bai;

/// A running `bai` whose stdout and stderr lines are collected as they come.
pub struct Live {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    err: Arc<Mutex<String>>,
    /// Both streams' lines in the order they came (results on stdout, progress on stderr).
    both: Arc<Mutex<Vec<String>>>,
}

impl Live {
    pub fn spawn(b: &Bai, args: &[&str]) -> Live {
        let mut c = b.command(args);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("bai starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let err = Arc::new(Mutex::new(String::new()));
        let (out, e) = (
            child.stdout.take().expect("stdout"),
            child.stderr.take().expect("stderr"),
        );
        let both = Arc::new(Mutex::new(Vec::new()));
        let (l2, b2) = (lines.clone(), both.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                b2.lock().expect("both").push(line.clone());
                l2.lock().expect("lines").push(line);
            }
        });
        let (e2, b2) = (err.clone(), both.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(e).lines().map_while(Result::ok) {
                let mut s = e2.lock().expect("err");
                s.push_str(&line);
                s.push('\n');
                b2.lock().expect("both").push(line);
            }
        });
        Live {
            child,
            lines,
            err,
            both,
        }
    }

    /// Stdout so far.
    pub fn text(&self) -> String {
        self.lines.lock().expect("lines").join("\n")
    }

    /// Stderr so far.
    pub fn err_text(&self) -> String {
        self.err.lock().expect("err").clone()
    }

    /// The first line on either stream that `pred` accepts, waiting up to a minute for it.
    pub async fn wait_line(&self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(l) = self.both.lock().expect("both").iter().find(|l| pred(l)) {
                return l.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no such line; stdout:\n{}\nstderr:\n{}",
                self.text(),
                self.err_text()
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Ctrl-C.
    pub fn interrupt(&self) {
        self.signal("INT");
    }

    /// Send a signal by name (`INT`, `TERM`, `HUP`).
    pub fn signal(&self, name: &str) {
        let ok = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "SIG{name} delivered");
    }

    pub async fn finish(mut self) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                // Let the reader threads drain the pipes.
                tokio::time::sleep(Duration::from_millis(150)).await;
                let err = self.err.lock().expect("err").clone();
                return (st.code(), self.text(), err);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "bai did not exit in time:\n{}\n{}",
                    self.text(),
                    self.err_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
