//! Where the launcher keeps its configuration.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Environment variable that overrides the configuration directory.
pub const CONFIG_DIR_ENV: &str = "BAI_CONFIG_DIR";

/// The configuration directory: `explicit` (a `--config-dir` flag), else `$BAI_CONFIG_DIR`,
/// else the OS's per-user config dir (`~/.config/backend.ai-launcher` on Linux).
pub fn config_dir(explicit: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p);
    }
    if let Some(p) = std::env::var_os(CONFIG_DIR_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    directories::ProjectDirs::from("ai", "backend", "backend.ai-launcher")
        .map(|d| d.config_dir().to_path_buf())
        .ok_or_else(|| Error::ConfigIo {
            action: "find".into(),
            path: "the configuration directory".into(),
            detail: format!(
                "no home directory is known; set {CONFIG_DIR_ENV} or pass --config-dir"
            ),
        })
}
