//! What profile commands send to and take from the UI. A view never holds a secret: the UI gets
//! `has_secret` and a masked form, and a secret crosses IPC only inward, when a profile is saved.

use bai_core::EndpointKind;
use bai_core::profile::{LaunchPreset, Profile};
use bai_secrets::{Secret, SecretKind, SecretRef, SecretStore};
use serde::{Deserialize, Serialize};

use crate::error::CommandError;

/// A profile as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub id: String,
    pub name: String,
    pub endpoint: String,
    pub kind: EndpointKind,
    pub access_key: Option<String>,
    pub email: Option<String>,
    pub remember_password: bool,
    pub domain: String,
    pub project: Option<String>,
    pub resource_group: Option<String>,
    pub quick_start: LaunchPreset,
    pub skip_tls_verify: bool,
    pub ca_cert: Option<String>,
    pub is_default: bool,
    /// Whether the secret this profile signs in with (secret key, or remembered password) is
    /// stored. `false` also when the keyring could not be asked (see `ProfileListView`).
    pub has_secret: bool,
    /// `********` when a secret is stored ([`bai_secrets::MASK`]): never a character of it.
    pub secret_masked: Option<String>,
}

/// `list_profiles`: the profiles, and what the stores had to say while reading them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileListView {
    pub profiles: Vec<ProfileView>,
    pub default_id: Option<String>,
    /// Entries of profiles.toml that were set aside, and similar notes for the user.
    pub warnings: Vec<String>,
    /// Set when the keyring could not be read: the list still works, secrets show as unknown.
    pub keyring_error: Option<CommandError>,
}

/// A profile as the add/edit form sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInput {
    pub name: String,
    pub endpoint: String,
    pub kind: EndpointKind,
    #[serde(default)]
    pub access_key: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub remember_password: bool,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub resource_group: Option<String>,
    /// Absent: keep the profile's setting (on edit) or verify (on add).
    #[serde(default)]
    pub skip_tls_verify: Option<bool>,
    /// A CA certificate file; absent keeps the profile's (on edit), empty removes it.
    #[serde(default)]
    pub ca_cert: Option<String>,
    /// Quick-start resources, slot → amount (`{"cpu": "2", "mem": "4g"}`); absent keeps them.
    #[serde(default)]
    pub resources: Option<std::collections::BTreeMap<String, String>>,
    /// The secret key (API) or password (webserver); absent or empty keeps the stored one.
    #[serde(default)]
    pub secret: Option<Secret>,
    /// A one-time code for a webserver login, when the server asked for one (`otp-required`).
    #[serde(default)]
    pub otp: Option<String>,
    /// Sign out the account's oldest other session when it is at its concurrent-login limit
    /// (`active-login-session-exists`): only ever on the user's explicit choice.
    #[serde(default)]
    pub force_login: bool,
    #[serde(default)]
    pub make_default: bool,
}

/// The secret a profile of `kind` signs in with, where the app keeps one.
pub fn signing_secret(profile_id: &str, kind: EndpointKind) -> SecretRef {
    match kind {
        EndpointKind::Api => SecretRef::new(profile_id, SecretKind::SecretKey),
        EndpointKind::Webserver => SecretRef::new(profile_id, SecretKind::Password),
    }
}

impl ProfileView {
    /// The view of `p`; `secrets: None` when the keyring is known to be unavailable.
    pub fn new(
        p: &Profile,
        default_id: Option<&str>,
        secrets: Option<&dyn SecretStore>,
    ) -> Result<Self, CommandError> {
        let secret = match secrets {
            Some(s) => s.get(&signing_secret(&p.id, p.kind))?,
            None => None,
        };
        Ok(ProfileView {
            id: p.id.clone(),
            name: p.name.clone(),
            endpoint: p.endpoint.clone(),
            kind: p.kind,
            access_key: p.access_key.clone(),
            email: p.email.clone(),
            remember_password: p.remember_password,
            domain: p.domain.clone(),
            project: p.project.clone(),
            resource_group: p.resource_group.clone(),
            quick_start: p.quick_start.clone(),
            skip_tls_verify: p.tls.skip_verify,
            ca_cert: p.tls.ca_cert.as_ref().map(|c| c.display().to_string()),
            is_default: default_id == Some(p.id.as_str()),
            has_secret: secret.is_some(),
            secret_masked: secret.map(|s| s.masked()),
        })
    }
}

/// `test_connection`: what the server said about itself and about the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    /// The manager's package version (e.g. `26.9.6`), when it tells.
    pub server_version: Option<String>,
    /// The server's newest API version, e.g. `v9.20250722`.
    pub api_version: String,
    /// The API version this launcher will speak with it.
    pub negotiated_version: String,
    pub email: String,
    pub full_name: Option<String>,
    pub role: Option<String>,
}

/// `detect_endpoint`: what kind of endpoint an address is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectedView {
    /// The endpoint to store (the origin, when a web UI page address was pasted).
    pub endpoint: String,
    pub kind: EndpointKind,
    pub api_version: Option<String>,
    pub manager_version: Option<String>,
}

/// `orphan_secrets`: keyring secrets that no profile in any known config directory uses, by
/// [`bai_core::profile::find_orphans`] (the rule `bai profile secrets --orphans` uses). Only
/// ids and kinds: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrphansView {
    pub orphans: Vec<OrphanView>,
    /// The config directories that were looked at.
    pub config_dirs: Vec<String>,
    /// Why nothing is called an orphan right now (a profiles file that cannot be read, ...).
    pub blocked: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrphanView {
    pub profile_id: String,
    pub kind: String,
}
