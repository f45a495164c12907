//! Folders and files that only this user can reach: the config, log and webview-data folders
//! (0700) and the files in them (0600).
//!
//! Why: the config says which servers the user trusts, and the logs describe their sessions. A
//! folder that another local user can write lets them plant a profile that points at their own
//! server, or a symlink that makes the launcher overwrite a file of their choosing. So:
//! - a folder is created 0700; an existing one that someone else owns or that others can write
//!   is refused with the fix, and one that others can merely read is quietly tightened;
//! - a new file is created exclusively (`O_EXCL`) and never through a symlink (`O_NOFOLLOW`),
//!   with mode 0600;
//! - a file is replaced atomically (temp file, fsync, rename), and the rename replaces a
//!   symlink at the destination instead of writing through it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The mode of a private folder.
pub const DIR_MODE: u32 = 0o700;
/// The mode of a private file.
pub const FILE_MODE: u32 = 0o600;

/// Make `path` a folder only this user can reach, and return it.
///
/// A missing folder is created with mode 0700 (its missing parents get the usual mode). An
/// existing one must be a folder that this user owns and that nobody else can write: otherwise
/// this fails with [`Error::UnsafeFolder`], which says what is wrong and how to fix it
/// (`chmod 700 ...`). An existing folder that others can read or enter (e.g. 0755) is changed to
/// 0700 without fuss, since the user owns it.
pub fn private_dir(path: &Path) -> Result<PathBuf> {
    match fs::metadata(path) {
        Ok(meta) => check_existing(path, &meta)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => create(path)?,
        Err(e) => return Err(io_error("inspect", path, &e)),
    }
    Ok(path.to_path_buf())
}

/// Like [`private_dir`], but a missing folder is left missing (`Ok(false)`): for readers, which
/// must not trust a folder others can write but have nothing to read when it does not exist.
pub fn check_private_dir(path: &Path) -> Result<bool> {
    match fs::metadata(path) {
        Ok(meta) => check_existing(path, &meta).map(|()| true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error("inspect", path, &e)),
    }
}

fn create(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| io_error("create", parent, &e))?;
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    match builder.create(path) {
        Ok(()) => Ok(()),
        // Another process (the app and the CLI start together) made it first: check theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let meta = fs::metadata(path).map_err(|e| io_error("inspect", path, &e))?;
            check_existing(path, &meta)
        }
        Err(e) => Err(io_error("create", path, &e)),
    }
}

#[cfg(unix)]
fn check_existing(path: &Path, meta: &fs::Metadata) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    if !meta.is_dir() {
        return Err(Error::ConfigIo {
            action: "use".into(),
            path: path.display().to_string(),
            detail: "it is not a folder; move it away or choose another folder".into(),
        });
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(Error::UnsafeFolder {
            path: path.display().to_string(),
            problem: format!(
                "it belongs to another user (uid {}, you are {me})",
                meta.uid()
            ),
            fix: "use a folder of your own (--config-dir or BAI_CONFIG_DIR), or have it handed \
                  to you with `chown`"
                .into(),
        });
    }
    let mode = meta.mode() & 0o7777;
    // Group-writable under the user's own primary group is what umask 002 (Ubuntu's default
    // with per-user groups) gives every folder an older launcher made: tighten it below. A
    // folder anyone else can write, or that a shared group can, is refused.
    let own_group = meta.gid() == rustix::process::getegid().as_raw();
    if mode & 0o002 != 0 || (mode & 0o020 != 0 && !own_group) {
        return Err(Error::UnsafeFolder {
            path: path.display().to_string(),
            problem: format!("other users can write to it (mode {mode:04o})"),
            fix: format!("run `chmod 700 {}` and try again", shell_quote(path)),
        });
    }
    if mode & 0o077 != 0 {
        // Ours and only readable by others (a folder made by an older launcher or by hand):
        // tighten it rather than bother the user.
        fs::set_permissions(path, fs::Permissions::from_mode(DIR_MODE))
            .map_err(|e| io_error("make private (chmod 700)", path, &e))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_existing(path: &Path, meta: &fs::Metadata) -> Result<()> {
    // Per-user folders on other systems are private through their ACLs by default.
    if meta.is_dir() {
        Ok(())
    } else {
        Err(Error::ConfigIo {
            action: "use".into(),
            path: path.display().to_string(),
            detail: "it is not a folder; move it away or choose another folder".into(),
        })
    }
}

/// Create a new file only this user can read (0600). It fails with `AlreadyExists` when
/// anything, a file or a symlink, is already at `path`: nothing is reused or followed.
pub fn create_new_private(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    restrict(&mut o);
    o.open(path)
}

/// Keep `original` (a damaged file's bytes as read) beside it in `dir` as
/// `<file_name>.corrupt-<UTC timestamp>`, a new 0600 file: an existing copy, or anything
/// planted at the name, is skipped for the next free name rather than overwritten or followed.
pub fn set_aside(dir: &Path, file_name: &str, original: &[u8]) -> io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    for n in 1..=100 {
        let aside = match n {
            1 => dir.join(format!("{file_name}.corrupt-{stamp}")),
            n => dir.join(format!("{file_name}.corrupt-{stamp}-{n}")),
        };
        let mut f = match create_new_private(&aside) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        f.write_all(original).and_then(|()| f.sync_all())?;
        return Ok(aside);
    }
    Err(io::Error::other("too many copies set aside this second"))
}

/// Open `path` for appending, creating it 0600 if missing (a lock file, a log file). A symlink at
/// `path` is refused (`O_NOFOLLOW`), and an existing file that others could read is tightened
/// to 0600.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.append(true).create(true);
    restrict(&mut o);
    let f = o.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = f.metadata()?.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            f.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
        }
    }
    Ok(f)
}

/// Replace `path` with `bytes` atomically: a 0600 temp file created exclusively beside it
/// (`.<name>.<random>.tmp`), fsynced, renamed over `path`, then the folder fsynced. A crash
/// leaves the old file or the new one, never a mix; a temp file may be left behind (see
/// [`is_temp_of`]). A symlink at `path` is replaced, not written through.
pub fn replace_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    let name = file_name(path)?;
    // tempfile opens with O_CREAT|O_EXCL and mode 0600, and retries on a name that is taken.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

const TEMP_SUFFIX: &str = ".tmp";

/// Whether the file name `candidate` is a temp file of [`replace_private`] for `target`, so
/// that a store holding its lock can remove the ones a crash left behind.
pub fn is_temp_of(candidate: &str, target: &str) -> bool {
    candidate
        .strip_prefix('.')
        .and_then(|c| c.strip_prefix(target))
        .and_then(|c| c.strip_prefix('.'))
        .is_some_and(|rest| rest.len() > TEMP_SUFFIX.len() && rest.ends_with(TEMP_SUFFIX))
}

/// Make a rename or a new file in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        // Windows cannot open a folder as a file; its renames are durable enough.
        let _ = dir;
        Ok(())
    }
}

fn restrict(o: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE);
        o.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    #[cfg(not(unix))]
    let _ = o;
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn file_name(path: &Path) -> io::Result<String> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))
}

/// Quote a path for the `chmod` hint when it holds characters a shell would split on.
fn shell_quote(path: &Path) -> String {
    let s = path.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+~@%:,".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn io_error(action: &str, path: &Path, e: &io::Error) -> Error {
    Error::ConfigIo {
        action: action.into(),
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).expect("stat").permissions().mode() & 0o7777
    }

    #[test]
    fn a_new_folder_is_0700_and_a_readable_one_is_tightened() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("a/b/cfg");
        assert_eq!(private_dir(&dir).expect("create"), dir);
        assert_eq!(mode(&dir), 0o700);

        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        private_dir(&dir).expect("a readable folder of ours is fine");
        assert_eq!(mode(&dir), 0o700, "tightened");
        assert!(check_private_dir(&dir).expect("check"));
        assert!(!check_private_dir(&root.path().join("missing")).expect("check"));
        assert!(
            !root.path().join("missing").exists(),
            "a check creates nothing"
        );
    }

    #[test]
    fn a_folder_others_can_write_is_refused_with_the_fix() {
        let root = tempfile::tempdir().expect("tempdir");
        for bad in [0o777, 0o1777, 0o757, 0o772] {
            let dir = root.path().join(format!("cfg-{bad:o}"));
            fs::create_dir(&dir).expect("mkdir");
            fs::set_permissions(&dir, fs::Permissions::from_mode(bad)).expect("chmod");
            let e = private_dir(&dir).expect_err("refused");
            assert_eq!(e.code(), "unsafe-folder");
            let msg = e.to_string();
            assert!(msg.contains("other users can write"), "{msg}");
            assert!(
                msg.contains(&format!("chmod 700 {}", dir.display())),
                "{msg}"
            );
            assert_eq!(mode(&dir), bad, "a refused folder is left as it was");
            assert!(check_private_dir(&dir).is_err());
        }
    }

    #[test]
    fn umask_002_folders_of_ours_are_tightened_but_a_shared_group_is_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("old-launcher");
        fs::create_dir(&dir).expect("mkdir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o775)).expect("chmod");
        private_dir(&dir).expect("our own group may have written it: tightened");
        assert_eq!(mode(&dir), 0o700);
        // Handing the folder to another group takes root; elsewhere the check is the same code.
        if rustix::process::geteuid().as_raw() != 0 {
            return;
        }
        let shared = root.path().join("shared-group");
        fs::create_dir(&shared).expect("mkdir");
        std::os::unix::fs::chown(&shared, None, Some(4242)).expect("chgrp");
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o775)).expect("chmod");
        let e = private_dir(&shared).expect_err("a shared group could have planted files");
        assert_eq!(e.code(), "unsafe-folder");
        assert_eq!(mode(&shared), 0o775, "left as it was");
    }

    #[test]
    fn a_folder_of_another_user_is_refused() {
        // Only root can hand a folder to someone else; elsewhere the check is the same code.
        if rustix::process::geteuid().as_raw() != 0 {
            return;
        }
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("theirs");
        fs::create_dir(&dir).expect("mkdir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).expect("chmod");
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).expect("chown");
        let e = private_dir(&dir).expect_err("refused");
        assert_eq!(e.code(), "unsafe-folder");
        assert!(e.to_string().contains("belongs to another user"), "{e}");
    }

    #[test]
    fn a_file_where_the_folder_should_be_is_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        let f = root.path().join("cfg");
        fs::write(&f, "x").expect("write");
        assert_eq!(private_dir(&f).expect_err("file").code(), "config-io");
    }

    #[test]
    fn new_files_are_0600_exclusive_and_never_follow_a_symlink() {
        let root = tempfile::tempdir().expect("tempdir");
        let victim = root.path().join("victim");
        fs::write(&victim, "precious").expect("victim");
        let planted = root.path().join("planted");
        symlink(&victim, &planted).expect("symlink");

        let e = create_new_private(&planted).expect_err("a symlink is not reused");
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        open_private_append(&planted).expect_err("a symlink is not followed");
        assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious");

        let fresh = root.path().join("fresh");
        create_new_private(&fresh).expect("create");
        assert_eq!(mode(&fresh), 0o600);
        assert_eq!(
            create_new_private(&fresh).expect_err("exists").kind(),
            io::ErrorKind::AlreadyExists
        );

        let old = root.path().join("old.log");
        fs::write(&old, "").expect("write");
        fs::set_permissions(&old, fs::Permissions::from_mode(0o644)).expect("chmod");
        open_private_append(&old).expect("open");
        assert_eq!(mode(&old), 0o600, "an existing file is tightened");
    }

    #[test]
    fn replacing_swaps_a_symlink_instead_of_writing_through_it() {
        let root = tempfile::tempdir().expect("tempdir");
        let victim = root.path().join("victim");
        fs::write(&victim, "precious").expect("victim");
        let target = root.path().join("profiles.toml");
        symlink(&victim, &target).expect("symlink");

        replace_private(&target, b"new").expect("replace");
        assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious");
        assert_eq!(fs::read_to_string(&target).expect("target"), "new");
        assert!(fs::symlink_metadata(&target).expect("stat").is_file());
        assert_eq!(mode(&target), 0o600);
        let names: Vec<_> = fs::read_dir(root.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !names.iter().any(|n| is_temp_of(n, "profiles.toml")),
            "no temp file left: {names:?}"
        );
    }

    #[test]
    fn temp_names_are_recognised() {
        assert!(is_temp_of(".profiles.toml.a1B2c3.tmp", "profiles.toml"));
        assert!(!is_temp_of("profiles.toml", "profiles.toml"));
        assert!(!is_temp_of(".profiles.toml.tmp", "profiles.toml"));
        assert!(!is_temp_of(".profiles.toml.corrupt-1", "profiles.toml"));
        assert!(!is_temp_of(".settings.toml.x.tmp", "profiles.toml"));
    }

    #[test]
    fn the_fix_quotes_odd_paths() {
        assert_eq!(
            shell_quote(Path::new("/home/me/.config/x")),
            "/home/me/.config/x"
        );
        assert_eq!(shell_quote(Path::new("/tmp/my cfg")), "'/tmp/my cfg'");
        assert_eq!(shell_quote(Path::new("/tmp/it's")), r"'/tmp/it'\''s'");
    }
}
