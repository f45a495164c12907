//! Quick start: the default profile's quick-start preset in one action (the tray and the
//! launcher's button both call [`SessionService::quick_start`]). A quick-start notebook already
//! open is shown again; a quick-start session still running on the server is attached to, not
//! duplicated.

use super::SessionService;
use super::launches::{LaunchInput, Target};
use super::views::QuickStartView;
use crate::Error;
use crate::client::{Client, Image};
use crate::launch::ReusePolicy;
use crate::profile::Profile;

/// The session name quick start uses (one per account on a cluster).
pub const QUICK_START_NAME: &str = "quick-start";

impl SessionService {
    pub async fn quick_start(&self) -> Result<QuickStartView, Error> {
        let profile = self
            .load_profiles()
            .await?
            .default_profile()
            .cloned()
            .ok_or(Error::NoDefaultProfile)?;
        let open: Vec<String> = self
            .inner
            .maps
            .tunnels()
            .values()
            .filter(|t| t.profile_id == profile.id && t.quick_start)
            .map(|t| t.session_id.clone())
            .collect();
        if open.iter().any(|s| self.focus_open(s)) {
            tracing::info!(profile = %profile.name, "quick start: showing the open notebook");
            return Ok(QuickStartView {
                launch_id: None,
                profile_id: profile.id,
                reused: true,
            });
        }
        let input = input_for(self, &profile).await?;
        let target = Target::Create {
            input: Box::new(input),
            reuse: ReusePolicy::ReuseIfExists,
        };
        let id = self.start_launch(&profile.id, target, true).await?;
        Ok(QuickStartView {
            launch_id: Some(id),
            profile_id: profile.id,
            reused: false,
        })
    }
}

impl SessionService {
    /// A new notebook on `profile_id` with the cluster's resource preset `preset` (what a
    /// `backendai-launcher://launch` link asks for): the profile's quick-start image and app
    /// (an image offering JupyterLab when it sets none), a generated session name. Returns the
    /// launch's id; an unknown preset is an `invalid-input` error listing the cluster's.
    pub async fn launch_with_preset(
        &self,
        profile_id: &str,
        preset: &str,
    ) -> Result<String, Error> {
        let profile = self.profile(profile_id).await?;
        let mut input = input_for(self, &profile).await?;
        input.name = None;
        input.preset = Some(preset.to_owned());
        input.resources.clear();
        let target = Target::Create {
            input: Box::new(input),
            reuse: ReusePolicy::CreateNew,
        };
        self.start_launch(&profile.id, target, false).await
    }
}

/// The launch form quick start fills in from the profile's preset, asking the cluster for an
/// image (one offering JupyterLab) when none is set. A named resource preset is resolved when
/// the launch starts, by the same rule as the launch form and `bai launch --preset`.
async fn input_for(svc: &SessionService, profile: &Profile) -> Result<LaunchInput, Error> {
    let qs = &profile.quick_start;
    let image = match &qs.image {
        Some(i) if !i.trim().is_empty() => i.trim().to_owned(),
        _ => pick_image(&svc.connect(profile).await?).await?,
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
async fn pick_image(client: &Client) -> Result<String, Error> {
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
        .ok_or(Error::NoNotebookImage)
}
