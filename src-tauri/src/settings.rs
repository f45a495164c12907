//! App-wide settings in `settings.toml`, next to `profiles.toml`. Profile-specific choices (the
//! default profile, its quick-start preset) stay in `profiles.toml`; this file holds only what
//! belongs to the desktop app. Written atomically (temp file, fsync, rename); a file that does
//! not parse is moved aside and reported, never silently overwritten.

use std::fs;
use std::path::{Path, PathBuf};

use bai_core::private_fs::{private_dir, replace_private};
use serde::{Deserialize, Serialize};

use crate::error::CommandError;

const FILE_NAME: &str = "settings.toml";
const FORMAT_VERSION: i64 = 1;

/// What closing a notebook window does to its session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotebookClose {
    /// Keep the session running; it can be reopened from the launcher or the tray.
    KeepRunning,
    /// Terminate the session.
    Terminate,
    /// Ask each time.
    #[default]
    Ask,
}

/// The app's own settings as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AppSettings {
    #[serde(default = "format_version")]
    pub version: i64,
    #[serde(default)]
    pub notebook_close: NotebookClose,
    /// Off unless the user turns it on.
    #[serde(default)]
    pub start_at_login: bool,
    /// The first time the launcher window is closed, a notice says the app stays in the tray;
    /// after that, closing says nothing.
    #[serde(default)]
    pub tray_notice_shown: bool,
    /// Warn this many minutes before an idle checker ends a session (0: never).
    #[serde(default = "idle_warn_minutes")]
    pub idle_warn_minutes: u32,
    /// Warn when a session with accelerators has been idle this many minutes (unset: never).
    #[serde(default)]
    pub spend_guard_minutes: Option<u32>,
}

fn idle_warn_minutes() -> u32 {
    bai_core::idle::guard::DEFAULT_WARN_BEFORE_MINUTES
}

impl AppSettings {
    /// The idle warnings as the session service takes them.
    pub fn idle(&self) -> bai_core::idle::IdleSettings {
        bai_core::idle::IdleSettings {
            warn_before_minutes: self.idle_warn_minutes,
            spend_after_minutes: self.spend_guard_minutes,
        }
    }
}

fn format_version() -> i64 {
    FORMAT_VERSION
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            version: FORMAT_VERSION,
            notebook_close: NotebookClose::default(),
            start_at_login: false,
            tray_notice_shown: false,
            idle_warn_minutes: idle_warn_minutes(),
            spend_guard_minutes: None,
        }
    }
}

/// Where the settings live, and how they are read and written.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    dir: PathBuf,
}

/// Settings as read, with what reading had to say (a damaged file set aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedSettings {
    pub settings: AppSettings,
    pub warning: Option<String>,
}

impl SettingsStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SettingsStore { dir: dir.into() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Read the settings; a missing file gives the defaults.
    pub fn load(&self) -> Result<LoadedSettings, CommandError> {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(LoadedSettings {
                    settings: AppSettings::default(),
                    warning: None,
                });
            }
            Err(e) => return Err(io_error("read", &path, &e)),
        };
        match toml::from_str::<AppSettings>(&text) {
            Ok(s) if s.version > FORMAT_VERSION => Err(CommandError::new(
                "config-io",
                format!(
                    "{} was written by a newer version of the launcher (format {}); upgrade the launcher. The file was not changed",
                    path.display(),
                    s.version
                ),
            )),
            Ok(settings) => Ok(LoadedSettings {
                settings,
                warning: None,
            }),
            Err(e) => {
                let aside = path.with_extension(format!("toml.corrupt-{}", std::process::id()));
                fs::rename(&path, &aside).map_err(|e| io_error("set aside", &path, &e))?;
                Ok(LoadedSettings {
                    settings: AppSettings::default(),
                    warning: Some(format!(
                        "Your saved settings could not be read, so the defaults are used; the unreadable file was kept as {} ({})",
                        aside.display(),
                        e.message().trim(),
                    )),
                })
            }
        }
    }

    /// Write the settings atomically: a temp file in the same directory, fsynced, renamed over.
    pub fn save(&self, settings: &AppSettings) -> Result<(), CommandError> {
        // The config folder is the user's alone (0700, refused if others can write it); the
        // file is replaced through a 0600 temp file created exclusively, never through a link.
        private_dir(&self.dir)?;
        let text = toml::to_string_pretty(settings).map_err(|e| {
            CommandError::new("internal", format!("settings do not serialize: {e}"))
        })?;
        let path = self.path();
        replace_private(&path, text.as_bytes()).map_err(|e| io_error("write", &path, &e))
    }
}

fn io_error(action: &str, path: &Path, e: &std::io::Error) -> CommandError {
    CommandError::new(
        "config-io",
        format!(
            "cannot {action} {}: {e}. Check the folder exists and is writable",
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_saved_settings_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SettingsStore::new(dir.path());
        let loaded = store.load().expect("load");
        assert_eq!(loaded.settings, AppSettings::default());
        assert!(
            !loaded.settings.start_at_login,
            "autostart is off by default"
        );

        let s = AppSettings {
            notebook_close: NotebookClose::Terminate,
            start_at_login: true,
            ..AppSettings::default()
        };
        store.save(&s).expect("save");
        let text = fs::read_to_string(store.path()).expect("file");
        assert!(text.contains("notebook-close = \"terminate\""), "{text}");
        assert_eq!(store.load().expect("load").settings, s);
        // Only settings.toml is left: the temp file was renamed, not copied.
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_is_0700_and_the_file_0600() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("config");
        fs::create_dir(&dir).expect("mkdir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        let store = SettingsStore::new(&dir);
        store.save(&AppSettings::default()).expect("save");
        let mode =
            |p: &std::path::Path| fs::metadata(p).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&store.path()), 0o600);
    }

    #[test]
    fn a_damaged_file_is_set_aside_and_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SettingsStore::new(dir.path());
        fs::write(store.path(), "notebook-close = [").expect("write");
        let loaded = store.load().expect("load");
        assert_eq!(loaded.settings, AppSettings::default());
        let warning = loaded.warning.expect("a warning");
        assert!(warning.contains("could not be read"), "{warning}");
        assert!(!store.path().exists(), "the damaged file was moved");
        let aside: Vec<_> = fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(aside[0].starts_with("settings.toml.corrupt-"), "{aside:?}");
    }

    #[test]
    fn a_newer_format_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SettingsStore::new(dir.path());
        fs::write(store.path(), "version = 99\n").expect("write");
        let e = store.load().expect_err("newer");
        assert_eq!(e.code, "config-io");
        assert!(e.message.contains("newer version"), "{}", e.message);
        assert_eq!(
            fs::read_to_string(store.path()).expect("kept"),
            "version = 99\n"
        );
    }
}
