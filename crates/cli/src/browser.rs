//! Opening the browser on a tunnel without putting its secret on a command line: every local
//! user can read another's command lines (`ps`), so the browser is started on a file that only
//! this user can read, which redirects to the single-use auth URL.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bai_secrets::Secret;
use rand::RngCore;

/// How long a redirect file is kept: its token is dead after a minute anyway.
const KEEP_FOR: Duration = Duration::from_secs(120);

/// A private folder for redirect files: `$XDG_RUNTIME_DIR/bai-launcher` (a tmpfs only this
/// user can enter), else `bai-launcher-<uid>` in the temp dir, created 0700 and refused when
/// it is a link, belongs to someone else or others may enter it.
fn private_dir() -> io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_dir());
    let dir = match base {
        Some(b) => b.join("bai-launcher"),
        None => std::env::temp_dir().join(format!("bai-launcher-{}", user_id())),
    };
    ensure_private(&dir)?;
    Ok(dir)
}

#[cfg(unix)]
fn user_id() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

#[cfg(not(unix))]
fn user_id() -> u32 {
    0
}

/// The shared temp dir is writable by everyone: a link planted at our folder's name is
/// refused, then the folder must be private like the config folder.
fn ensure_private(dir: &Path) -> io::Result<()> {
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is a link, not a folder of yours; remove it and try again",
                dir.display()
            ),
        ));
    }
    bai_core::private_fs::private_dir(dir)
        .map(|_| ())
        .map_err(|e| io::Error::new(io::ErrorKind::PermissionDenied, e.to_string()))
}

/// Write the redirect file (created new, 0600, never through a link).
fn write_redirect(dir: &Path, url: &Secret) -> io::Result<PathBuf> {
    let mut name = [0u8; 12];
    rand::rng().fill_bytes(&mut name);
    let path = dir.join(format!("open-{}.html", hex::encode(name)));
    let mut file = bai_core::private_fs::create_new_private(&path)?;
    // The URL goes into double-quoted attributes only: the tunnel's own HTML escaping fits.
    let u = bai_tunnel::pages::escape(url.expose());
    write!(
        file,
        "<!doctype html><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <meta http-equiv=\"refresh\" content=\"0;url={u}\"><title>Opening…</title>\
         <p>Opening the notebook… <a href=\"{u}\">continue</a></p>"
    )?;
    file.sync_all()?;
    Ok(path)
}

/// Remove redirect files older than [`KEEP_FOR`] (left by a `bai` that exited early).
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > KEEP_FOR);
        let ours = e.file_name().to_string_lossy().starts_with("open-");
        if old && ours {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// How long a started browser command is watched: long enough for `xdg-open` to fail when it
/// finds no browser (it exits at once), short enough not to hold up the launch. A command
/// still running after this is the browser itself (xdg-open may not exit until it does).
const SETTLE: Duration = Duration::from_secs(2);

/// Open the browser on `auth_url` through a private redirect file; the file is removed once
/// its token can no longer work. On success, says how the browser was started; the error says
/// why no browser was opened, in words a user can act on.
pub async fn open_private(auth_url: &Secret) -> io::Result<String> {
    let dir = private_dir()?;
    sweep(&dir);
    let path = write_redirect(&dir, auth_url)?;
    let target = format!("file://{}", path.display());
    // Watching the browser command blocks for up to SETTLE: not on a runtime thread, which
    // serves the tunnel meanwhile.
    let opened =
        tokio::task::spawn_blocking(move || open_with(&target, &|k| std::env::var(k).ok()))
            .await
            .unwrap_or_else(|e| Err(io::Error::other(e.to_string())));
    if opened.is_err() {
        let _ = std::fs::remove_file(&path);
        return opened;
    }
    std::thread::spawn(move || {
        std::thread::sleep(KEEP_FOR);
        let _ = std::fs::remove_file(path);
    });
    opened
}

/// Start a browser on `target`: `$BROWSER` when set (as `opener` and Python's `webbrowser`
/// do), else on Linux `xdg-open`, watched for [`SETTLE`] so that a launcher that finds no
/// browser is reported instead of taken for success. Elsewhere (macOS, Windows, WSL) the
/// system's opener is asked, which reports only whether it could be started.
fn open_with(target: &str, env: &dyn Fn(&str) -> Option<String>) -> io::Result<String> {
    let browser = env("BROWSER").filter(|b| !b.trim().is_empty());
    let wsl = env("WSL_DISTRO_NAME").is_some() || env("WSL_INTEROP").is_some();
    let program = match browser {
        Some(b) => b,
        None if cfg!(target_os = "linux") && !wsl => {
            // opener would fall back to its own copy of xdg-open run by `sh`, and its error
            // then names `sh`; these two cases are what a user can act on.
            let graphical = ["DISPLAY", "WAYLAND_DISPLAY"]
                .iter()
                .any(|k| env(k).is_some_and(|v| !v.is_empty()));
            if !graphical {
                return Err(io::Error::other(
                    "this is not a graphical session (DISPLAY and WAYLAND_DISPLAY are unset), and BROWSER is not set",
                ));
            }
            if !in_path("xdg-open", env("PATH").as_deref()) {
                return Err(io::Error::other(
                    "xdg-open is not installed (it comes with xdg-utils), and BROWSER is not set",
                ));
            }
            "xdg-open".to_owned()
        }
        None => {
            return opener::open_browser(target)
                .map(|()| "the system's default browser".to_owned())
                .map_err(|e| io::Error::other(format!("the system's opener failed: {e}")));
        }
    };
    let mut child = std::process::Command::new(&program)
        .arg(target)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| io::Error::other(format!("cannot start {program:?}: {e}")))?;
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        match child.try_wait()? {
            Some(status) if status.success() => return Ok(format!("with {program}")),
            Some(status) => {
                return Err(io::Error::other(format!(
                    "{program} found no browser to open ({status})"
                )));
            }
            None if std::time::Instant::now() >= deadline => {
                // Still running: the browser (or a launcher waiting on it). Reap it later so
                // no zombie is left.
                std::thread::spawn(move || child.wait());
                return Ok(format!("with {program}"));
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Whether `name` is an executable file in one of `path`'s folders.
fn in_path(name: &str, path: Option<&str>) -> bool {
    // An empty entry would mean the current folder: not where a launcher is looked for.
    std::env::split_paths(path.unwrap_or_default()).any(|dir| {
        if dir.as_os_str().is_empty() {
            return false;
        }
        let f = dir.join(name);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(&f).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        }
        #[cfg(not(unix))]
        {
            f.is_file()
        }
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_redirect_file_is_private_and_carries_the_url() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("bai-launcher");
        ensure_private(&dir).unwrap();
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let url = Secret::new("http://127.9.9.9:4000/__launcher/auth?token=abc&x=\"");
        let path = write_redirect(&dir, &url).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let html = std::fs::read_to_string(&path).unwrap();
        assert!(
            html.contains("url=http://127.9.9.9:4000/__launcher/auth?token=abc&amp;x=&quot;"),
            "{html}"
        );
    }

    /// An environment of the given variables only.
    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn says_whether_a_browser_was_started() {
        let tmp = tempfile::tempdir().unwrap();
        // A browser that notes what it was asked to open.
        let got = tmp.path().join("got");
        let browser = tmp.path().join("browser");
        std::fs::write(
            &browser,
            format!("#!/bin/sh\nprintf %s \"$1\" > '{}'\n", got.display()),
        )
        .unwrap();
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        let b = browser.display().to_string();
        let how = open_with("file:///x.html", &env_of(&[("BROWSER", &b)])).unwrap();
        assert!(how.contains(&b), "{how}");
        assert_eq!(std::fs::read_to_string(&got).unwrap(), "file:///x.html");

        // A launcher that finds no browser exits non-zero at once: that is a failure.
        let err = open_with("file:///x.html", &env_of(&[("BROWSER", "false")])).unwrap_err();
        assert!(err.to_string().contains("found no browser"), "{err}");
        let err =
            open_with("file:///x.html", &env_of(&[("BROWSER", "/nonexistent/b")])).unwrap_err();
        assert!(
            err.to_string().contains("cannot start \"/nonexistent/b\""),
            "{err}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn without_a_graphical_session_or_xdg_open_the_reason_is_given() {
        let err = open_with("file:///x.html", &env_of(&[("PATH", "/usr/bin:/bin")])).unwrap_err();
        assert!(err.to_string().contains("not a graphical session"), "{err}");
        assert!(!err.to_string().contains("'sh'"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        let path = empty.path().display().to_string();
        let err = open_with(
            "file:///x.html",
            &env_of(&[("DISPLAY", ":0"), ("PATH", &path)]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("xdg-open is not installed"),
            "{err}"
        );
    }

    #[test]
    fn a_folder_open_to_others_or_a_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let open = tmp.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = ensure_private(&open).unwrap_err();
        assert!(err.to_string().contains("chmod 700"), "{err}");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(tmp.path(), &link).unwrap();
        assert!(ensure_private(&link).is_err(), "a planted link is refused");
    }
}
