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

/// Open the browser on `auth_url` through a private redirect file; the file is removed once
/// its token can no longer work.
pub fn open_private(auth_url: &Secret) -> io::Result<()> {
    let dir = private_dir()?;
    sweep(&dir);
    let path = write_redirect(&dir, auth_url)?;
    let target = format!("file://{}", path.display());
    if let Err(e) = opener::open_browser(&target) {
        let _ = std::fs::remove_file(&path);
        return Err(io::Error::other(e.to_string()));
    }
    std::thread::spawn(move || {
        std::thread::sleep(KEEP_FOR);
        let _ = std::fs::remove_file(path);
    });
    Ok(())
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
