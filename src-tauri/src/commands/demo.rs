//! `start_demo`: run the bundled demo server and add (or refresh) the "Demo" profile for it.

use bai_core::EndpointKind;
use tauri::State;

use super::profiles;
use super::views::{ProfileInput, ProfileView};
use crate::demo::DemoServer;
use crate::error::CommandError;
use crate::state::AppState;

/// The name of the profile the demo adds.
pub const DEMO_PROFILE: &str = "Demo";

#[tauri::command]
pub async fn start_demo(state: State<'_, AppState>) -> Result<ProfileView, CommandError> {
    start(&state).await
}

pub async fn start(state: &AppState) -> Result<ProfileView, CommandError> {
    let info = {
        let mut demo = state.demo();
        let reusable = demo.as_mut().is_some_and(DemoServer::is_running);
        match demo.as_ref() {
            Some(running) if reusable => running.info.clone(),
            _ => {
                let bin = state.testkit_bin()?;
                // Starting takes a moment; the lock only guards this one slot.
                let server = DemoServer::start(&bin)?;
                let info = server.info.clone();
                *demo = Some(server);
                info
            }
        }
    };
    let input = ProfileInput {
        name: DEMO_PROFILE.to_owned(),
        endpoint: info.manager_url.clone(),
        kind: EndpointKind::Api,
        access_key: Some(info.access_key.clone()),
        email: None,
        remember_password: false,
        domain: None,
        project: None,
        resource_group: None,
        skip_tls_verify: Some(false),
        ca_cert: Some(String::new()),
        resources: None,
        secret: Some(info.secret_key.clone()),
        otp: None,
        force_login: false,
        make_default: false,
    };
    // The demo's port changes each start: refresh the existing profile rather than add another.
    let existing = state
        .profiles
        .load()?
        .find(DEMO_PROFILE)
        .map(|p| p.id.clone());
    match existing {
        Some(id) => profiles::update(state, &id, input).await,
        None => profiles::add(state, input).await,
    }
}
