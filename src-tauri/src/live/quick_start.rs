//! Quick start: the default profile's quick-start preset in one action, from the tray or the
//! launcher's button (both call [`quick_start`]). A quick-start notebook already open is shown
//! again; a quick-start session still running on the server is attached to, not duplicated.

use bai_core::account;
use bai_core::client::{Client, Image};
use bai_core::launch::ReusePolicy;
use bai_core::profile::Profile;
use tauri::{AppHandle, Manager, Runtime};

use super::launches::{self, LaunchInput, Target};
use super::views::QuickStartView;
use super::{OpenTunnel, notebooks};
use crate::error::CommandError;
use crate::state::AppState;

/// The session name quick start uses (one per account on a cluster).
pub const QUICK_START_NAME: &str = "quick-start";

pub async fn quick_start<R: Runtime>(app: &AppHandle<R>) -> Result<QuickStartView, CommandError> {
    let state = app.state::<AppState>();
    let profile = state
        .profiles
        .load()?
        .default_profile()
        .cloned()
        .ok_or_else(|| {
            CommandError::new(
                "no-default-profile",
                "Quick start uses the default profile, and there is none. Add a profile (or try the demo) and make it the default.",
            )
        })?;
    let open: Option<OpenTunnel> = state
        .live
        .tunnels()
        .values()
        .find(|t| t.profile_id == profile.id && t.quick_start)
        .cloned();
    if let Some(open) = open
        && notebooks::focus_any(app, &open)
    {
        tracing::info!(profile = %profile.name, "quick start: showing the open notebook");
        return Ok(QuickStartView {
            launch_id: None,
            profile_id: profile.id,
            reused: true,
        });
    }
    let input = input_for(&state, &profile).await?;
    let target = Target::Create {
        input: Box::new(input),
        reuse: ReusePolicy::ReuseIfExists,
    };
    let id = launches::start(app, &profile.id, target, true)
        .await
        .map_err(|e| {
            // A bad amount or a preset the cluster does not offer comes from the settings.
            if e.code == "invalid-input" {
                CommandError::new(
                    e.code,
                    format!("{}; change the quick start in Settings", e.message),
                )
            } else {
                e
            }
        })?;
    Ok(QuickStartView {
        launch_id: Some(id),
        profile_id: profile.id,
        reused: false,
    })
}

/// The launch form quick start fills in from the profile's preset, asking the cluster for an
/// image (one offering JupyterLab) when none is set. A named resource preset is resolved when
/// the launch starts, by the same rule as the launch form and `bai launch --preset`.
async fn input_for(state: &AppState, profile: &Profile) -> Result<LaunchInput, CommandError> {
    let qs = &profile.quick_start;
    let image = match &qs.image {
        Some(i) if !i.trim().is_empty() => i.trim().to_owned(),
        _ => pick_image(&account::connect(profile, state.secrets.as_ref()).await?).await?,
    };
    let preset = qs.preset_in_effect().map(str::to_owned);
    Ok(LaunchInput {
        image,
        name: Some(QUICK_START_NAME.to_owned()),
        preset,
        resources: qs.resources.clone(),
        app: qs.app.clone(),
        ..LaunchInput::default()
    })
}

/// An installed image offering JupyterLab (else Jupyter), preferring plain Python ones.
async fn pick_image(client: &Client) -> Result<String, CommandError> {
    let images = client.images().await?;
    let offers = |i: &Image, app: &str| i.service_ports().iter().any(|p| p.name == app);
    let score = |i: &Image| {
        let r = i.reference();
        (
            offers(i, "jupyterlab"),
            offers(i, "jupyter"),
            r.contains("python"),
            std::cmp::Reverse(r.len()),
        )
    };
    images
        .iter()
        .filter(|i| offers(i, "jupyterlab") || offers(i, "jupyter"))
        .max_by_key(|i| score(i))
        .map(Image::reference)
        .ok_or_else(|| {
            CommandError::new(
                "no-notebook-image",
                "this cluster has no installed image that offers Jupyter; set a quick-start image in Settings",
            )
        })
}
