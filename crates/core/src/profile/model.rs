//! The profile record.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, EndpointKind};
use crate::error::{Error, Result};

/// One Backend.AI account on one endpoint. No secret is ever part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Stable id (a UUID); secrets are keyed by it, so renaming keeps them.
    pub id: String,
    /// Unique display name (trimmed, any Unicode).
    pub name: String,
    /// Normalised endpoint URL.
    pub endpoint: String,
    pub kind: EndpointKind,
    /// Manager API mode: the keypair's access key (not secret: it is sent in every request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    /// Webserver mode: the login email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Webserver mode: whether the password is kept in the keyring for fresh logins.
    #[serde(default)]
    pub remember_password: bool,
    #[serde(default = "default_domain")]
    pub domain: String,
    /// Default project (group) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Default resource group (scaling group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// What quick-start launches.
    #[serde(default)]
    pub quick_start: LaunchPreset,
    #[serde(default)]
    pub tls: TlsSettings,
}

/// What a quick-start launches: an image, resources and the app to open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchPreset {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// A resource preset name of the cluster, used when `resources` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Slot name → amount as the API takes it (`cpu = "2"`, `mem = "4g"`, `"cuda.shares" = "0.5"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<String, String>,
    /// `jupyterlab` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

impl LaunchPreset {
    /// The cluster preset this quick start launches with: the profile's own amounts win over
    /// its named preset (the same in `bai launch` and the app's quick start).
    pub fn preset_in_effect(&self) -> Option<&str> {
        if self.resources.is_empty() {
            self.preset.as_deref().filter(|p| !p.trim().is_empty())
        } else {
            None
        }
    }
}

/// TLS trust settings: a custom CA, or (an explicit, visible opt-in) no verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_verify: bool,
}

fn default_domain() -> String {
    "default".to_owned()
}

/// What a user gives to create a profile; validated by [`ProfileDraft::into_profile`].
#[derive(Debug, Clone, Default)]
pub struct ProfileDraft {
    pub name: String,
    pub endpoint: String,
    pub kind: Option<EndpointKind>,
    pub access_key: Option<String>,
    pub email: Option<String>,
    pub remember_password: bool,
    pub domain: Option<String>,
    pub project: Option<String>,
    pub resource_group: Option<String>,
    pub quick_start: LaunchPreset,
    pub tls: TlsSettings,
}

impl ProfileDraft {
    /// Validate and normalise into a profile with a fresh id. `kind` defaults to the API.
    pub fn into_profile(self) -> Result<Profile> {
        let mut p = Profile {
            id: uuid::Uuid::new_v4().to_string(),
            name: normalize_name(&self.name)?,
            endpoint: Endpoint::parse(&self.endpoint)?.to_string(),
            kind: self.kind.unwrap_or(EndpointKind::Api),
            access_key: non_empty(self.access_key),
            email: non_empty(self.email),
            remember_password: self.remember_password,
            domain: non_empty(self.domain).unwrap_or_else(default_domain),
            project: non_empty(self.project),
            resource_group: non_empty(self.resource_group),
            quick_start: LaunchPreset {
                // The one resource rule ([`crate::resources`]), for every way a profile is made.
                resources: crate::resources::validate_all(&self.quick_start.resources)?,
                ..self.quick_start
            },
            tls: self.tls,
        };
        p.validate()?;
        p.endpoint = Endpoint::parse(&p.endpoint)?.to_string();
        Ok(p)
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Trim a display name and refuse what cannot be one (empty, control characters, too long).
pub fn normalize_name(name: &str) -> Result<String> {
    let n = name.trim();
    let bad = |reason: &str| Error::InvalidInput {
        field: "profile name".into(),
        reason: reason.into(),
    };
    if n.is_empty() {
        return Err(bad(
            "the name is empty; give the profile a name such as \"work cluster\"",
        ));
    }
    if n.chars().any(char::is_control) {
        return Err(bad(
            "the name contains a control character (tab, newline, ...)",
        ));
    }
    if n.chars().count() > 100 {
        return Err(bad("the name is longer than 100 characters"));
    }
    Ok(n.to_owned())
}

impl Profile {
    /// The parsed endpoint (profiles are validated when stored, so this only fails on a file
    /// edited by hand).
    pub fn endpoint(&self) -> Result<Endpoint> {
        Endpoint::parse(&self.endpoint)
    }

    /// Check the record is usable: a name, a valid endpoint, and the account field its kind needs.
    pub fn validate(&self) -> Result<()> {
        normalize_name(&self.name)?;
        self.endpoint()?;
        let missing = |field: &str, why: &str| Error::InvalidInput {
            field: field.into(),
            reason: why.into(),
        };
        match self.kind {
            EndpointKind::Api if self.access_key.as_deref().is_none_or(str::is_empty) => {
                Err(missing(
                    "access key",
                    "a manager API profile needs an access key (--access-key)",
                ))
            }
            EndpointKind::Webserver if self.email.as_deref().is_none_or(str::is_empty) => {
                Err(missing(
                    "email",
                    "a webserver profile needs the login email (--email)",
                ))
            }
            _ => Ok(()),
        }
    }

    /// The account this profile signs in as, for display.
    pub fn account(&self) -> &str {
        match self.kind {
            EndpointKind::Api => self.access_key.as_deref().unwrap_or(""),
            EndpointKind::Webserver => self.email.as_deref().unwrap_or(""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_amounts_win_over_the_named_preset() {
        let mut qs = LaunchPreset {
            preset: Some("cpu02-medium".into()),
            ..LaunchPreset::default()
        };
        assert_eq!(qs.preset_in_effect(), Some("cpu02-medium"));
        qs.resources.insert("cpu".into(), "4".into());
        assert_eq!(qs.preset_in_effect(), None);
        let blank = LaunchPreset {
            preset: Some("  ".into()),
            ..LaunchPreset::default()
        };
        assert_eq!(blank.preset_in_effect(), None);
    }

    fn draft() -> ProfileDraft {
        ProfileDraft {
            name: "  Work cluster  ".into(),
            endpoint: "https://API.example.com:443/".into(),
            access_key: Some("AKIAIOSFODNN7EXAMPLE".into()),
            ..ProfileDraft::default()
        }
    }

    #[test]
    fn normalises_name_and_endpoint() {
        let p = draft().into_profile().expect("valid");
        assert_eq!(p.name, "Work cluster");
        assert_eq!(p.endpoint, "https://api.example.com");
        assert_eq!(p.domain, "default");
        assert_eq!(p.kind, EndpointKind::Api);
        assert_eq!(p.id.len(), 36);
    }

    #[test]
    fn quick_start_resources_are_checked_and_normalised() {
        let mut d = draft();
        d.quick_start.resources = BTreeMap::from([("mem".into(), "4GiB".into())]);
        let p = d.into_profile().expect("valid");
        assert_eq!(p.quick_start.resources["mem"], "4g");
        let mut d = draft();
        d.quick_start.resources = BTreeMap::from([("mem".into(), "banana".into())]);
        let e = d.into_profile().expect_err("banana");
        assert!(e.to_string().contains("resource mem"), "{e}");
    }

    #[test]
    fn allows_any_unicode_name() {
        let p = ProfileDraft {
            name: "연구실 GPU 🚀".into(),
            ..draft()
        }
        .into_profile()
        .expect("valid");
        assert_eq!(p.name, "연구실 GPU 🚀");
    }

    #[test]
    fn refuses_bad_input_with_reasons() {
        let e = ProfileDraft {
            name: "   ".into(),
            ..draft()
        }
        .into_profile()
        .expect_err("empty");
        assert!(e.to_string().contains("empty"), "{e}");
        let e = ProfileDraft {
            name: "a\tb".into(),
            ..draft()
        }
        .into_profile()
        .expect_err("tab");
        assert!(e.to_string().contains("control character"), "{e}");
        let e = ProfileDraft {
            endpoint: "ftp://x".into(),
            ..draft()
        }
        .into_profile()
        .expect_err("scheme");
        assert_eq!(e.code(), "invalid-endpoint");
        let e = ProfileDraft {
            access_key: None,
            ..draft()
        }
        .into_profile()
        .expect_err("no key");
        assert!(e.to_string().contains("access key"), "{e}");
        let e = ProfileDraft {
            kind: Some(EndpointKind::Webserver),
            ..draft()
        }
        .into_profile()
        .expect_err("no email");
        assert!(e.to_string().contains("email"), "{e}");
    }
}
