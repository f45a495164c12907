//! The app's log file: `<prefix>.YYYY-MM-DD.log` (UTC dates, as before), a new one each day,
//! the newest few kept, in a folder only this user can reach.
//!
//! Why not tracing-appender's rolling writer: it creates files with the default mode (0644
//! under the usual umask) and follows a symlink at the file's name. Here every file is opened
//! through [`open_private_append`] (0600, no symlink), and the folder through [`private_dir`].

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::private_fs::{open_private_append, private_dir};

/// A log file that starts a new file each day; hand it to a (non-blocking) `tracing` writer.
#[derive(Debug)]
pub struct DailyFile {
    dir: PathBuf,
    prefix: String,
    keep: usize,
    day: String,
    file: File,
}

impl DailyFile {
    /// Open today's file in `dir` (made private first), keeping the newest `keep` files.
    pub fn open(dir: &Path, prefix: &str, keep: usize) -> Result<Self> {
        let dir = private_dir(dir)?;
        let day = today();
        let path = file_path(&dir, prefix, &day);
        let file = open_private_append(&path).map_err(|e| crate::Error::ConfigIo {
            action: "open the log file".into(),
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        let out = DailyFile {
            dir,
            prefix: prefix.to_owned(),
            keep: keep.max(1),
            day,
            file,
        };
        out.prune();
        Ok(out)
    }

    /// The file being written now.
    pub fn path(&self) -> PathBuf {
        file_path(&self.dir, &self.prefix, &self.day)
    }

    fn roll_if_needed(&mut self) -> io::Result<()> {
        let day = today();
        if day != self.day {
            self.file.flush()?;
            self.file = open_private_append(&file_path(&self.dir, &self.prefix, &day))?;
            self.day = day;
            self.prune();
        }
        Ok(())
    }

    /// Delete all but the newest `keep` log files, and make the kept ones 0600 (files from
    /// older launchers were 0644). Best effort: a log that cannot be tidied is still written.
    fn prune(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let start = format!("{}.", self.prefix);
        let mut logs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&start) && n.ends_with(".log"))
            })
            .collect();
        // The dates sort as text.
        logs.sort();
        let old = logs.len().saturating_sub(self.keep);
        for p in &logs[..old] {
            let _ = fs::remove_file(p);
        }
        #[cfg(unix)]
        for p in &logs[old..] {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(m) = fs::symlink_metadata(p)
                && m.permissions().mode() & 0o077 != 0
            {
                let _ = fs::set_permissions(p, fs::Permissions::from_mode(0o600));
            }
        }
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.roll_if_needed()?;
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn file_path(dir: &Path, prefix: &str, day: &str) -> PathBuf {
    dir.join(format!("{prefix}.{day}.log"))
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).expect("stat").permissions().mode() & 0o7777
    }

    #[test]
    fn the_folder_is_0700_the_files_0600_and_old_ones_go() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("logs");
        fs::create_dir(&dir).expect("mkdir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        for day in ["2020-01-01", "2020-01-02", "2020-01-03"] {
            let p = dir.join(format!("launcher.{day}.log"));
            fs::write(&p, day).expect("old log");
            fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        fs::write(dir.join("other.txt"), "keep me").expect("other");

        let mut log = DailyFile::open(&dir, "launcher", 2).expect("open");
        writeln!(log, "hello").expect("write");
        log.flush().expect("flush");

        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&log.path()), 0o600);
        assert_eq!(fs::read_to_string(log.path()).expect("read"), "hello\n");
        assert!(!dir.join("launcher.2020-01-01.log").exists());
        assert!(!dir.join("launcher.2020-01-02.log").exists());
        assert_eq!(mode(&dir.join("launcher.2020-01-03.log")), 0o600);
        assert!(dir.join("other.txt").exists());
    }

    #[test]
    fn a_planted_symlink_is_not_written_through() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("logs");
        private_dir(&dir).expect("dir");
        let victim = root.path().join("victim");
        fs::write(&victim, "precious").expect("victim");
        symlink(&victim, file_path(&dir, "launcher", &today())).expect("symlink");
        DailyFile::open(&dir, "launcher", 7).expect_err("refused");
        assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious");
    }

    #[test]
    fn a_log_folder_others_can_write_is_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("logs");
        fs::create_dir(&dir).expect("mkdir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).expect("chmod");
        let e = DailyFile::open(&dir, "launcher", 7).expect_err("refused");
        assert_eq!(e.code(), "unsafe-folder");
        assert_eq!(
            fs::read_dir(&dir).expect("ls").count(),
            0,
            "nothing written"
        );
    }
}
