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
    let req = input.request(&profile, ReusePolicy::ReuseIfExists);
    let id = launches::start(app, &profile.id, Target::Create(Box::new(req)), true).await?;
    Ok(QuickStartView {
        launch_id: Some(id),
        profile_id: profile.id,
        reused: false,
    })
}

/// The launch form quick start fills in from the profile's preset, asking the cluster for an
/// image (one offering JupyterLab) and for a named resource preset's slots when needed.
async fn input_for(state: &AppState, profile: &Profile) -> Result<LaunchInput, CommandError> {
    let preset = &profile.quick_start;
    let needs_cluster =
        preset.image.is_none() || (preset.resources.is_empty() && preset.preset.is_some());
    let client = if needs_cluster {
        Some(account::connect(profile, state.secrets.as_ref()).await?)
    } else {
        None
    };
    let image = match (&preset.image, &client) {
        (Some(i), _) if !i.trim().is_empty() => i.trim().to_owned(),
        (_, Some(c)) => pick_image(c).await?,
        _ => unreachable_image()?,
    };
    let mut resources = preset.resources.clone();
    if resources.is_empty()
        && let (Some(name), Some(c)) = (&preset.preset, &client)
    {
        let presets = c.resource_presets().await?;
        let found = presets.iter().find(|p| &p.name == name).ok_or_else(|| {
            CommandError::new(
                "not-found",
                format!("the quick-start preset {name:?} is not offered by this cluster; pick another in Settings"),
            )
        })?;
        resources = found
            .resource_slots
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect();
    }
    Ok(LaunchInput {
        image,
        name: Some(QUICK_START_NAME.to_owned()),
        resources,
        app: preset.app.clone(),
        ..LaunchInput::default()
    })
}

fn unreachable_image() -> Result<String, CommandError> {
    Err(CommandError::new(
        "internal",
        "no image and no cluster to ask for one",
    ))
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
