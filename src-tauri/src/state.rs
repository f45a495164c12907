//! The shell's state, managed by Tauri and reached from commands through `State<AppState>`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use bai_core::profile::{KnownDirs, ProfileStore, config_dir};
use bai_secrets::{KeyringStore, MemoryStore, SecretStore};

use crate::demo::DemoServer;
use crate::error::CommandError;
use crate::live::Live;
use crate::settings::SettingsStore;

/// Environment variable that picks the secret store. `memory` keeps secrets in this process
/// only (tests and throwaway runs); anything else, or unset, uses the OS keyring.
pub const SECRET_STORE_ENV: &str = "BAI_SECRET_STORE";
/// Environment variable naming the `bai-testkit` binary the demo runs.
pub const TESTKIT_BIN_ENV: &str = "BAI_TESTKIT_BIN";

/// Everything the running app keeps between commands. The UI is a view of this state and never
/// a second copy of it.
#[derive(Debug)]
pub struct AppState {
    pub profiles: ProfileStore,
    pub settings: SettingsStore,
    pub secrets: Arc<dyn SecretStore>,
    /// Where `start_demo` finds `bai-testkit`; `None` means "next to the app binary".
    testkit_bin: Option<PathBuf>,
    demo: Mutex<Option<DemoServer>>,
    /// Watchers, launches, tunnels and notebook windows.
    pub live: Live,
}

impl AppState {
    /// State over the configuration directory `dir` (profiles.toml and settings.toml).
    pub fn new(dir: impl Into<PathBuf>, secrets: Arc<dyn SecretStore>) -> Self {
        let dir = dir.into();
        AppState {
            profiles: ProfileStore::new(&dir),
            settings: SettingsStore::new(&dir),
            secrets,
            testkit_bin: None,
            demo: Mutex::new(None),
            live: Live::default(),
        }
    }

    /// The state the app runs with: the config dir from `BAI_CONFIG_DIR` or the OS default, the
    /// OS keyring (or memory, when `BAI_SECRET_STORE=memory`), the testkit from `BAI_TESTKIT_BIN`.
    pub fn from_env() -> Result<Self, CommandError> {
        let dir = config_dir(None)?;
        // Remember this config directory, so `bai profile secrets --orphans` run against another
        // one never calls this one's secrets orphans.
        if let Err(e) = KnownDirs::from_env(&|k| std::env::var(k).ok()).record(&dir) {
            tracing::debug!("could not record the config directory: {e}");
        }
        let secrets: Arc<dyn SecretStore> = match std::env::var(SECRET_STORE_ENV).as_deref() {
            Ok("memory") => {
                tracing::warn!("{SECRET_STORE_ENV}=memory: secrets are kept in memory only");
                Arc::new(MemoryStore::new())
            }
            _ => Arc::new(KeyringStore::new()),
        };
        let mut state = AppState::new(dir, secrets);
        state.testkit_bin = std::env::var_os(TESTKIT_BIN_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Ok(state)
    }

    /// Use this `bai-testkit` binary for the demo.
    pub fn with_testkit_bin(mut self, path: impl Into<PathBuf>) -> Self {
        self.testkit_bin = Some(path.into());
        self
    }

    /// The testkit binary: as configured, else `bai-testkit` next to the running executable.
    pub fn testkit_bin(&self) -> Result<PathBuf, CommandError> {
        if let Some(p) = &self.testkit_bin {
            return Ok(p.clone());
        }
        let exe = std::env::current_exe().map_err(|e| {
            CommandError::new(
                "demo-unavailable",
                format!("cannot locate the launcher binary ({e}); set {TESTKIT_BIN_ENV}"),
            )
        })?;
        let name = format!("bai-testkit{}", std::env::consts::EXE_SUFFIX);
        Ok(exe.with_file_name(name))
    }

    /// The running demo server, if any. A poisoned lock still holds a valid `Option` (every
    /// change is one assignment), so it is used as is.
    pub fn demo(&self) -> MutexGuard<'_, Option<DemoServer>> {
        self.demo.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stop what the app started (tunnels, the demo server). Called when the app exits;
    /// sessions are ended before this, per the settings (see `crate::on_exit`).
    pub fn shut_down(&self) {
        for t in self.live.close_all_tunnels() {
            tracing::info!(session = %t.session_name, "tunnel closed on exit");
        }
        self.live.watchers().clear();
        if let Some(demo) = self.demo().take() {
            demo.stop();
        }
    }
}
