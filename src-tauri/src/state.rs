//! The shell's state, managed by Tauri and reached from commands through `State<AppState>`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use bai_core::profile::{KnownDirs, ProfileStore, config_dir};
use bai_secrets::{KeyringStore, MemoryStore, SecretStore};

use crate::demo::DemoServer;
use crate::demo_jupyter::{Installer, JupyterLookup};
use crate::error::CommandError;
use crate::settings::SettingsStore;
use bai_core::live::{Options, SessionService};

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
    /// Where `start_demo` finds `bai-testkit`; `None` means "beside the app binary, else in
    /// the package's lib dir" (see [`crate::demo::find_testkit`]).
    testkit_bin: Option<PathBuf>,
    /// Where the demo looks for JupyterLab; `None` means the environment and the app's data
    /// dir (see [`JupyterLookup::from_env`]).
    jupyter: Option<JupyterLookup>,
    demo: Mutex<Option<DemoServer>>,
    /// Held while a demo server starts (off the async runtime), so two clicks start one.
    demo_start: tokio::sync::Mutex<()>,
    /// The JupyterLab install the user may ask for.
    pub jupyter_install: Installer,
    /// The session service: watchers, launches and tunnels. The launcher window, the tray,
    /// notifications and notebook windows follow its events (see `crate::live`).
    pub service: SessionService,
    /// Where "Open in VS Code" finds the home folder, the device keys, `code` and `bai`.
    pub ssh: SshPlaces,
}

/// The places "Open in VS Code" uses; `None` means the default (see each accessor).
#[derive(Debug, Clone, Default)]
pub struct SshPlaces {
    pub home: Option<PathBuf>,
    pub keys: Option<PathBuf>,
    pub code: Option<PathBuf>,
    pub bai: Option<PathBuf>,
}

impl SshPlaces {
    /// The user's home (`~/.ssh` is under it).
    pub fn home(&self) -> Result<PathBuf, CommandError> {
        self.home
            .clone()
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|h| !h.is_empty())
                    .map(PathBuf::from)
            })
            .ok_or_else(|| CommandError::new("ssh", "no home folder is known (HOME is not set)"))
    }

    /// This device's SSH keys: as `bai` keeps them.
    pub fn keys(&self) -> Result<bai_core::ssh::KeyStore, CommandError> {
        Ok(match &self.keys {
            Some(dir) => bai_core::ssh::KeyStore::new(dir),
            None => bai_core::ssh::KeyStore::from_env()?,
        })
    }

    /// VS Code's `code` command: on PATH.
    pub fn code(&self) -> Option<PathBuf> {
        self.code.clone().or_else(|| bai_core::ssh::which("code"))
    }

    /// The `bai` command the SSH entries run as their proxy: beside the app (the package and
    /// the source tree put it there), else on PATH.
    pub fn bai(&self) -> Result<PathBuf, CommandError> {
        if let Some(p) = &self.bai {
            return Ok(p.clone());
        }
        let name = format!("bai{}", std::env::consts::EXE_SUFFIX);
        std::env::current_exe()
            .ok()
            .map(|exe| exe.with_file_name(&name))
            .filter(|p| p.is_file())
            .or_else(|| bai_core::ssh::which(&name))
            .ok_or_else(|| {
                CommandError::new(
                    "program-missing",
                    "the bai command that carries SSH to sessions is not installed beside the launcher; reinstall the launcher",
                )
            })
    }
}

impl AppState {
    /// Use these places for "Open in VS Code" (tests).
    pub fn with_ssh_places(mut self, places: SshPlaces) -> Self {
        self.ssh = places;
        self
    }
}

impl AppState {
    /// State over the configuration directory `dir` (profiles.toml and settings.toml).
    pub fn new(dir: impl Into<PathBuf>, secrets: Arc<dyn SecretStore>) -> Self {
        let dir = dir.into();
        AppState {
            profiles: ProfileStore::new(&dir),
            settings: SettingsStore::new(&dir),
            secrets: secrets.clone(),
            testkit_bin: None,
            jupyter: None,
            demo: Mutex::new(None),
            demo_start: tokio::sync::Mutex::new(()),
            jupyter_install: Installer::default(),
            service: SessionService::new(
                ProfileStore::new(&dir),
                secrets.clone(),
                Arc::new(bai_tunnel::WsTunnelOpener::default()),
                Options {
                    refresh: refresh_interval(),
                    wording: crate::error::app_problem,
                },
            ),
            ssh: SshPlaces::default(),
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

    /// Look for the demo's JupyterLab here rather than in the environment.
    pub fn with_jupyter_lookup(mut self, lookup: JupyterLookup) -> Self {
        self.jupyter = Some(lookup);
        self
    }

    /// Where the demo looks for JupyterLab; `data_dir` is the app's data dir (for its venv).
    pub fn jupyter_lookup(&self, data_dir: Option<PathBuf>) -> JupyterLookup {
        self.jupyter
            .clone()
            .unwrap_or_else(|| JupyterLookup::from_env(data_dir))
    }

    /// The testkit binary: as configured, else beside the running executable (a source
    /// tree's target dir), else in the package's lib dir.
    pub fn testkit_bin(&self) -> Result<PathBuf, CommandError> {
        if let Some(p) = &self.testkit_bin {
            if !p.is_file() {
                tracing::warn!(
                    "{TESTKIT_BIN_ENV} names {}, which is not a file",
                    p.display()
                );
                return Err(crate::demo::not_installed());
            }
            return Ok(p.clone());
        }
        let exe = std::env::current_exe().map_err(|e| {
            tracing::warn!("cannot locate the launcher binary: {e}");
            crate::demo::not_installed()
        })?;
        crate::demo::find_testkit(&exe).ok_or_else(crate::demo::not_installed)
    }

    /// Held while a demo server starts.
    pub fn demo_start(&self) -> &tokio::sync::Mutex<()> {
        &self.demo_start
    }

    /// The running demo server, if any. A poisoned lock still holds a valid `Option` (every
    /// change is one assignment), so it is used as is.
    pub fn demo(&self) -> MutexGuard<'_, Option<DemoServer>> {
        self.demo.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stop what the app started (tunnels, the demo server). Called when the app exits;
    /// sessions are ended before this, per the settings (see `crate::on_exit`).
    pub fn shut_down(&self) {
        for t in self.service.shut_down() {
            tracing::info!(session = %t.session_name, "tunnel closed on exit");
        }
        if let Some(demo) = self.demo().take() {
            demo.stop();
        }
    }
}

/// Overrides how often watched profiles are listed (milliseconds), for tests.
pub const REFRESH_ENV: &str = "BAI_SESSIONS_REFRESH_MS";

fn refresh_interval() -> std::time::Duration {
    std::env::var(REFRESH_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(std::time::Duration::from_millis)
        .unwrap_or(std::time::Duration::from_secs(3))
}
