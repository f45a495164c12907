//! The JupyterLab the demo server runs for its sessions: where the app finds one, what it tells
//! a user who has none, and the one it installs on request (a venv of its own under the app's
//! data dir, `python3 -m venv` + `pip install jupyterlab`, with its progress kept for the UI).
//!
//! The order the app looks in: `BAI_TESTKIT_JUPYTER` (a developer's or a test's choice), the
//! app's own venv, then `jupyter` on PATH. Whatever is found is handed to the demo server as
//! `BAI_TESTKIT_JUPYTER`, so the two never disagree.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::error::CommandError;

/// The variable that names a `jupyter` executable (the demo server reads the same one).
pub const JUPYTER_ENV: &str = "BAI_TESTKIT_JUPYTER";
/// The app's own venv, under its data dir.
pub const VENV_NAME: &str = "demo-jupyter";
/// What the app installs into that venv.
pub const PACKAGE: &str = "jupyterlab";
/// The error code of a demo that cannot start for want of JupyterLab.
pub const MISSING_CODE: &str = "demo-needs-jupyterlab";
/// Output lines of the install kept for the progress view.
const LOG_LINES: usize = 12;

/// Where to look for JupyterLab. [`JupyterLookup::from_env`] is the app's; tests build their own.
#[derive(Debug, Clone, Default)]
pub struct JupyterLookup {
    /// `BAI_TESTKIT_JUPYTER`: used as is (and only it) when set.
    pub explicit: Option<PathBuf>,
    /// The app's venv (`<app data>/demo-jupyter`); `None` when the app has no data dir.
    pub venv: Option<PathBuf>,
    /// The PATH to search for `jupyter` and `python3`.
    pub path: Option<OsString>,
}

/// Where a JupyterLab was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum JupyterSource {
    /// `BAI_TESTKIT_JUPYTER`.
    Env,
    /// The venv the app created.
    AppVenv,
    /// `jupyter` on PATH.
    Path,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundJupyter {
    /// The `jupyter` executable, to run as `jupyter lab`.
    pub jupyter: PathBuf,
    pub source: JupyterSource,
}

impl JupyterLookup {
    /// `BAI_TESTKIT_JUPYTER`, the venv under `data_dir` (the app's data dir), and PATH.
    pub fn from_env(data_dir: Option<PathBuf>) -> Self {
        JupyterLookup {
            explicit: std::env::var_os(JUPYTER_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            venv: data_dir.map(|d| d.join(VENV_NAME)),
            path: std::env::var_os("PATH"),
        }
    }

    /// The JupyterLab the demo will run, if there is one.
    pub fn find(&self) -> Result<FoundJupyter, CommandError> {
        if let Some(p) = &self.explicit {
            // A developer's explicit choice is never second-guessed by a fallback.
            return if is_executable(p) {
                Ok(FoundJupyter {
                    jupyter: p.clone(),
                    source: JupyterSource::Env,
                })
            } else {
                Err(CommandError::new(
                    MISSING_CODE,
                    format!(
                        "{JUPYTER_ENV} names {}, which is not an executable file",
                        p.display()
                    ),
                ))
            };
        }
        if let Some(bin) = self.venv.as_ref().map(|v| v.join("bin"))
            && is_jupyterlab(&bin)
        {
            return Ok(FoundJupyter {
                jupyter: bin.join("jupyter"),
                source: JupyterSource::AppVenv,
            });
        }
        if let Some(dir) = self.on_path(is_jupyterlab) {
            return Ok(FoundJupyter {
                jupyter: dir.join("jupyter"),
                source: JupyterSource::Path,
            });
        }
        Err(CommandError::new(MISSING_CODE, self.explanation()))
    }

    /// `python3` on PATH, which makes the venv.
    pub fn python(&self) -> Option<PathBuf> {
        self.on_path(|d| is_executable(&d.join("python3")))
            .map(|d| d.join("python3"))
    }

    fn on_path(&self, hit: impl Fn(&Path) -> bool) -> Option<PathBuf> {
        let path = self.path.as_ref()?;
        std::env::split_paths(path).find(|d| d.is_absolute() && hit(d))
    }

    /// The commands that install JupyterLab where the app looks for it.
    pub fn install_commands(&self) -> Vec<String> {
        match &self.venv {
            Some(v) => vec![
                format!("python3 -m venv {}", shell_word(v)),
                format!("{}/bin/pip install {PACKAGE}", shell_word(v)),
            ],
            None => vec![format!("pip install --user {PACKAGE}")],
        }
    }

    /// What a user reads when there is no JupyterLab: what it is for and exactly what to run.
    pub fn explanation(&self) -> String {
        format!(
            "The demo opens its notebooks in JupyterLab, which is not installed on this computer. \
             The launcher can install it for you (press Install JupyterLab; it downloads about \
             100 MB from the Python Package Index), or you can install it yourself with: {}. \
             On Debian or Ubuntu, `python3 -m venv` needs the python3-venv package \
             (sudo apt install python3-venv).",
            self.install_commands().join(" && ")
        )
    }
}

/// A directory holding `jupyter` and `jupyter-lab` (which `jupyter lab` runs): JupyterLab.
/// `jupyter` alone may be only jupyter_core, or the classic notebook.
fn is_jupyterlab(bin: &Path) -> bool {
    is_executable(&bin.join("jupyter")) && is_executable(&bin.join("jupyter-lab"))
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `p` quoted for a POSIX shell when it needs it.
fn shell_word(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Where the install is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum InstallPhase {
    /// Not started (in this run of the app).
    Idle,
    /// `python3 -m venv`.
    CreatingVenv,
    /// `pip install jupyterlab`.
    Installing,
    Done,
    Failed,
}

/// The install's progress, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallStatus {
    pub phase: InstallPhase,
    /// The last lines the install printed.
    pub lines: Vec<String>,
    /// Why it failed, in words for a person.
    pub error: Option<String>,
}

/// Runs the install once at a time, on a thread of its own, and keeps its progress.
#[derive(Debug, Clone, Default)]
pub struct Installer {
    status: Arc<Mutex<Progress>>,
}

#[derive(Debug)]
struct Progress {
    phase: InstallPhase,
    lines: VecDeque<String>,
    error: Option<String>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            phase: InstallPhase::Idle,
            lines: VecDeque::new(),
            error: None,
        }
    }
}

impl Installer {
    pub fn status(&self) -> InstallStatus {
        let s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        InstallStatus {
            phase: s.phase,
            lines: s.lines.iter().cloned().collect(),
            error: s.error.clone(),
        }
    }

    fn set_phase(&self, phase: InstallPhase) {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).phase = phase;
    }

    fn push_line(&self, line: String) {
        let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        if s.lines.len() == LOG_LINES {
            s.lines.pop_front();
        }
        s.lines.push_back(line);
    }

    /// Start installing JupyterLab into `venv` with `python` (the user asked for it). Returns
    /// at once; [`Installer::status`] follows it. A second call while one runs changes nothing.
    pub fn start(&self, python: PathBuf, venv: PathBuf) -> InstallStatus {
        {
            let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
            if matches!(
                s.phase,
                InstallPhase::CreatingVenv | InstallPhase::Installing
            ) {
                drop(s);
                return self.status();
            }
            *s = Progress {
                phase: InstallPhase::CreatingVenv,
                ..Progress::default()
            };
        }
        let this = self.clone();
        std::thread::spawn(move || {
            let result = this.run(&python, &venv);
            let mut s = this.status.lock().unwrap_or_else(|p| p.into_inner());
            match result {
                Ok(()) => {
                    tracing::info!(venv = %venv.display(), "JupyterLab installed for the demo");
                    s.phase = InstallPhase::Done;
                }
                Err(why) => {
                    tracing::warn!(venv = %venv.display(), "JupyterLab install failed: {why}");
                    // A half-made venv must not pass for an installed one on the next look.
                    let _ = std::fs::remove_dir_all(&venv);
                    s.phase = InstallPhase::Failed;
                    s.error = Some(why);
                }
            }
        });
        self.status()
    }

    fn run(&self, python: &Path, venv: &Path) -> Result<(), String> {
        if let Some(parent) = venv.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        // A leftover from an interrupted install would make `venv` reuse a broken tree.
        if venv.exists() {
            std::fs::remove_dir_all(venv)
                .map_err(|e| format!("cannot remove the old {}: {e}", venv.display()))?;
        }
        self.push_line(format!("$ python3 -m venv {}", shell_word(venv)));
        self.step(Command::new(python).arg("-m").arg("venv").arg(venv))
            .map_err(|tail| {
                format!(
                    "could not create a Python environment with {} ({tail}). On Debian or Ubuntu, install the python3-venv package (sudo apt install python3-venv) and try again",
                    python.display()
                )
            })?;
        self.set_phase(InstallPhase::Installing);
        self.push_line(format!("$ pip install {PACKAGE}"));
        self.step(
            Command::new(venv.join("bin/python"))
                .args(["-m", "pip", "install", "--progress-bar", "off"])
                .args(["--disable-pip-version-check", PACKAGE]),
        )
        .map_err(|tail| {
            format!(
                "could not install JupyterLab ({tail}). Check the internet connection and try again"
            )
        })?;
        if !is_jupyterlab(&venv.join("bin")) {
            return Err(format!(
                "pip finished, but {} has no jupyter-lab",
                venv.join("bin").display()
            ));
        }
        Ok(())
    }

    /// Run one step, its output lines going to the progress; on failure, the last line.
    fn step(&self, cmd: &mut Command) -> Result<(), String> {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stderr = child.stderr.take();
        let this = self.clone();
        let err_thread = std::thread::spawn(move || {
            let mut last = None;
            if let Some(stderr) = stderr {
                for line in lines(stderr) {
                    this.push_line(line.clone());
                    last = Some(line);
                }
            }
            last
        });
        if let Some(stdout) = child.stdout.take() {
            for line in lines(stdout) {
                self.push_line(line);
            }
        }
        let status = child.wait().map_err(|e| e.to_string())?;
        let last_err = err_thread.join().ok().flatten();
        if status.success() {
            Ok(())
        } else {
            Err(last_err.unwrap_or_else(|| status.to_string()))
        }
    }
}

fn lines(r: impl Read) -> impl Iterator<Item = String> {
    BufReader::new(r)
        .lines()
        .map_while(Result::ok)
        .map(|l| l.trim_end().to_owned())
        .filter(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn script(path: &Path, body: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("write");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    fn lookup(root: &Path, path_dirs: &[&str]) -> JupyterLookup {
        JupyterLookup {
            explicit: None,
            venv: Some(root.join("data").join(VENV_NAME)),
            path: Some(std::env::join_paths(path_dirs.iter().map(|d| root.join(d))).expect("PATH")),
        }
    }

    #[test]
    fn finds_jupyterlab_on_path_but_not_a_bare_jupyter() {
        let t = tempfile::tempdir().expect("tempdir");
        // `jupyter` without `jupyter-lab` (jupyter_core alone) does not count.
        script(&t.path().join("core/jupyter"), "exit 0");
        script(&t.path().join("lab/jupyter"), "exit 0");
        script(&t.path().join("lab/jupyter-lab"), "exit 0");
        let found = lookup(t.path(), &["core", "lab"]).find().expect("found");
        assert_eq!(found.jupyter, t.path().join("lab/jupyter"));
        assert_eq!(found.source, JupyterSource::Path);

        let e = lookup(t.path(), &["core"])
            .find()
            .expect_err("only jupyter_core");
        assert_eq!(e.code, MISSING_CODE);
    }

    #[test]
    fn the_apps_venv_comes_before_path_and_the_variable_before_both() {
        let t = tempfile::tempdir().expect("tempdir");
        script(&t.path().join("lab/jupyter"), "exit 0");
        script(&t.path().join("lab/jupyter-lab"), "exit 0");
        let venv_bin = t.path().join("data").join(VENV_NAME).join("bin");
        script(&venv_bin.join("jupyter"), "exit 0");
        script(&venv_bin.join("jupyter-lab"), "exit 0");
        let mut l = lookup(t.path(), &["lab"]);
        let found = l.find().expect("found");
        assert_eq!(found.jupyter, venv_bin.join("jupyter"));
        assert_eq!(found.source, JupyterSource::AppVenv);

        let explicit = t.path().join("elsewhere/jupyter");
        script(&explicit, "exit 0");
        l.explicit = Some(explicit.clone());
        assert_eq!(
            l.find().expect("explicit"),
            FoundJupyter {
                jupyter: explicit,
                source: JupyterSource::Env
            }
        );
        // A variable naming nothing is reported, not silently replaced by the venv.
        l.explicit = Some(t.path().join("nothing/jupyter"));
        let e = l.find().expect_err("bad variable");
        assert!(e.message.contains(JUPYTER_ENV), "{e:?}");
    }

    #[test]
    fn without_jupyterlab_the_explanation_names_the_exact_commands() {
        let t = tempfile::tempdir().expect("tempdir");
        let l = lookup(t.path(), &["empty"]);
        let e = l.find().expect_err("none");
        assert_eq!(e.code, MISSING_CODE);
        let venv = t.path().join("data").join(VENV_NAME);
        for part in [
            "JupyterLab, which is not installed".to_owned(),
            format!("python3 -m venv {}", venv.display()),
            format!("{}/bin/pip install jupyterlab", venv.display()),
            "Install JupyterLab".to_owned(),
            "python3-venv".to_owned(),
        ] {
            assert!(e.message.contains(&part), "{part:?} not in {}", e.message);
        }
        assert!(!e.message.contains("cargo"), "{}", e.message);
        // A path with a space is quoted for the shell.
        let spaced = JupyterLookup {
            venv: Some(PathBuf::from("/home/a b/demo-jupyter")),
            ..JupyterLookup::default()
        };
        assert_eq!(
            spaced.install_commands()[0],
            "python3 -m venv '/home/a b/demo-jupyter'"
        );
    }

    fn wait_done(i: &Installer) -> InstallStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = i.status();
            if matches!(s.phase, InstallPhase::Done | InstallPhase::Failed) {
                return s;
            }
            assert!(Instant::now() < deadline, "install still running: {s:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A stand-in for python3: `-m venv DIR` makes DIR/bin/python, whose `-m pip install`
    /// prints like pip and makes jupyter + jupyter-lab (or fails, with `fail` in its name).
    fn fake_python(root: &Path, pip_body: &str) -> PathBuf {
        let pip = root.join("pip-body");
        std::fs::write(&pip, pip_body).expect("pip body");
        let py = root.join("bin/python3");
        script(
            &py,
            &format!(
                r#"[ "$1 $2" = "-m venv" ] || exit 9
mkdir -p "$3/bin"
{{ echo '#!/bin/sh'; echo 'BIN=$(dirname "$0")'; cat '{}'; }} > "$3/bin/python"
chmod +x "$3/bin/python"
echo "created $3""#,
                pip.display()
            ),
        );
        py
    }

    #[test]
    fn installs_into_the_apps_venv_and_then_finds_it() {
        let t = tempfile::tempdir().expect("tempdir");
        let py = fake_python(
            t.path(),
            r#"[ "$1 $2 $3" = "-m pip install" ] || exit 8
echo "Collecting jupyterlab"
printf '#!/bin/sh\n' > "$BIN/jupyter"; cp "$BIN/jupyter" "$BIN/jupyter-lab"
chmod +x "$BIN/jupyter" "$BIN/jupyter-lab"
echo "Successfully installed jupyterlab-4.6.6"
"#,
        );
        let l = lookup(t.path(), &["empty"]);
        assert!(l.find().is_err());
        let venv = l.venv.clone().expect("venv");
        let i = Installer::default();
        assert_eq!(i.status().phase, InstallPhase::Idle);
        i.start(py, venv.clone());
        let s = wait_done(&i);
        assert_eq!(s.phase, InstallPhase::Done, "{s:?}");
        assert!(
            s.lines.iter().any(|l| l.contains("Collecting jupyterlab")),
            "{s:?}"
        );
        assert!(
            s.lines.iter().any(|l| l == "$ pip install jupyterlab"),
            "{s:?}"
        );
        let found = l.find().expect("installed");
        assert_eq!(found.source, JupyterSource::AppVenv);
        assert_eq!(found.jupyter, venv.join("bin/jupyter"));
    }

    #[test]
    fn a_failed_install_says_why_and_leaves_no_half_venv() {
        let t = tempfile::tempdir().expect("tempdir");
        let py = fake_python(
            t.path(),
            "echo 'Collecting jupyterlab'\n\
             echo 'ERROR: Could not find a version that satisfies the requirement jupyterlab' >&2\n\
             exit 1\n",
        );
        let l = lookup(t.path(), &["empty"]);
        let venv = l.venv.clone().expect("venv");
        let i = Installer::default();
        i.start(py, venv.clone());
        let s = wait_done(&i);
        assert_eq!(s.phase, InstallPhase::Failed, "{s:?}");
        let why = s.error.expect("error");
        assert!(why.contains("Could not find a version"), "{why}");
        assert!(why.contains("internet connection"), "{why}");
        assert!(!venv.exists(), "the half-made venv is left behind");
        assert!(l.find().is_err());
    }

    #[test]
    fn python_without_venv_support_is_explained() {
        let t = tempfile::tempdir().expect("tempdir");
        let py = t.path().join("bin/python3");
        script(
            &py,
            "echo 'The virtual environment was not created successfully because ensurepip is not available.' >&2; exit 1",
        );
        let i = Installer::default();
        i.start(py, t.path().join("data").join(VENV_NAME));
        let s = wait_done(&i);
        assert_eq!(s.phase, InstallPhase::Failed);
        let why = s.error.expect("error");
        assert!(why.contains("ensurepip is not available"), "{why}");
        assert!(why.contains("sudo apt install python3-venv"), "{why}");
    }
}
