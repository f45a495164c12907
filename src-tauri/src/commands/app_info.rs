//! `app_info`: what the UI shows in its header and about box.

use bai_core::ApiVersion;
use serde::Serialize;

use crate::error::CommandError;

/// The app's version and what it can talk to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The launcher's version (the workspace version), e.g. `0.1.0`.
    pub version: String,
    /// The Backend.AI API versions this build speaks.
    pub api_versions: ApiVersionRange,
    pub build: BuildProfile,
}

/// The oldest and newest Backend.AI API version the client speaks, e.g. `v4.20190615`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ApiVersionRange {
    pub oldest: ApiVersion,
    pub newest: ApiVersion,
}

/// Whether this binary was built with debug assertions; the UI marks debug builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BuildProfile {
    Debug,
    Release,
}

impl AppInfo {
    pub fn current() -> Self {
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            api_versions: ApiVersionRange {
                oldest: ApiVersion::oldest(),
                newest: ApiVersion::newest(),
            },
            build: if cfg!(debug_assertions) {
                BuildProfile::Debug
            } else {
                BuildProfile::Release
            },
        }
    }
}

#[tauri::command]
pub fn app_info() -> Result<AppInfo, CommandError> {
    // Nothing can fail yet; the Result keeps every command's shape the same for the UI.
    Ok(AppInfo::current())
}

/// The launcher UI calls this once it has rendered: the log gets the time since the process
/// started (the startup figure of the benchmark). What links opened meanwhile asked the
/// launcher to show is delivered now ([`crate::deep_link::ui_ready`]).
#[tauri::command]
pub async fn ui_ready<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> Result<u64, CommandError> {
    let ms = crate::started_at().elapsed().as_millis();
    let ms = u64::try_from(ms).unwrap_or(u64::MAX);
    let epoch_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    tracing::info!(since_start_ms = ms, epoch_ms, "launcher ui ready");
    crate::deep_link::ui_ready(&app);
    Ok(ms)
}
