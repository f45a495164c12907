//! Running the real `bai` binary with a private config dir and captured output.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod live;

pub const AK: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const EMAIL: &str = "admin@lablup.com";
pub const PASSWORD: &str = "wJalrXUt";

/// One `bai` run.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub out: String,
    pub err: String,
}

impl Run {
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code,
            Some(0),
            "bai failed\nstdout: {}\nstderr: {}",
            self.out,
            self.err
        );
        self
    }
    pub fn all(&self) -> String {
        format!("{}{}", self.out, self.err)
    }
}

/// The `bai` binary with a config dir and a chosen environment.
pub struct Bai {
    pub config_dir: PathBuf,
    pub env: Vec<(String, String)>,
    pub remove_env: Vec<String>,
    /// Every run's output, for leak checks.
    pub transcript: std::cell::RefCell<String>,
}

impl Bai {
    pub fn new(config_dir: &Path) -> Self {
        Bai {
            config_dir: config_dir.to_path_buf(),
            env: Vec::new(),
            // Nothing from the developer's shell may select a profile or an account.
            remove_env: [
                "BAI_PROFILE",
                "BAI_CONFIG_DIR",
                "BACKEND_ENDPOINT",
                "BAI_LOG",
            ]
            .map(String::from)
            .to_vec(),
            transcript: Default::default(),
        }
    }

    /// A `bai` that finds no D-Bus, hence no keyring (as `with-keyring.sh --no-dbus`).
    pub fn offline(config_dir: &Path) -> Self {
        Self::new(config_dir).env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/bai-test-bus",
        )
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bai"));
        c.arg("--config-dir").arg(&self.config_dir).args(args);
        for k in &self.remove_env {
            c.env_remove(k);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        run_command(self.command(args), stdin, &self.transcript)
    }
}

pub fn run_command(mut c: Command, stdin: &str, transcript: &std::cell::RefCell<String>) -> Run {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("bai starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("bai finishes");
    let run = Run {
        code: out.status.code(),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    transcript.borrow_mut().push_str(&run.all());
    run
}
