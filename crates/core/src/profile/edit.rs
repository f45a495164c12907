//! Editing a profile: the one set of rules `bai profile edit` and the app's edit form share.
//!
//! A [`ProfilePatch`] names only what changes; everything else (TLS settings above all) is
//! kept. The rules:
//! - a new endpoint, email or kind makes the stored login session meaningless: it is deleted
//!   before the new profile is written, so the old server's session id never reaches a new host
//!   and the profile never acts as the previous account;
//! - a new kind also drops the old kind's signing secret (a secret key cannot log in to a web
//!   UI server, nor a password sign API requests);
//! - turning "remember password" off deletes the stored password;
//! - quick-start resources are checked by [`crate::resources`] and merged slot by slot.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bai_secrets::{SecretKind, SecretRef, SecretStore};

use super::model::{Profile, normalize_name};
use super::store::ProfileStore;
use crate::endpoint::{Endpoint, EndpointKind};
use crate::error::{Error, Result};
use crate::resources;

/// What an edit changes. `None` keeps a field; for optional text fields `Some("")` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub endpoint: Option<String>,
    pub kind: Option<EndpointKind>,
    pub access_key: Option<String>,
    pub email: Option<String>,
    pub remember_password: Option<bool>,
    pub domain: Option<String>,
    pub project: Option<String>,
    pub resource_group: Option<String>,
    pub image: Option<String>,
    pub preset: Option<String>,
    pub app: Option<String>,
    /// Replace the whole quick-start resource set (a form that shows all of it).
    pub resources: Option<BTreeMap<String, String>>,
    /// `SLOT=AMOUNT` changes applied after `resources`, in order (`SLOT=` removes a slot).
    pub resource_changes: Vec<String>,
    /// `Some(None)` stops trusting the custom CA.
    pub ca_cert: Option<Option<PathBuf>>,
    pub skip_verify: Option<bool>,
}

/// What an edit did besides writing the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub before: Profile,
    pub profile: Profile,
    /// The login session was deleted (endpoint, email or kind changed).
    pub login_session_cleared: bool,
    /// Secrets deleted by this edit.
    pub secrets_deleted: Vec<SecretKind>,
}

impl ProfilePatch {
    /// The profile after this patch, validated. Pure: nothing is stored or deleted.
    pub fn apply(&self, before: &Profile) -> Result<Profile> {
        let mut p = before.clone();
        if let Some(n) = &self.name {
            p.name = normalize_name(n)?;
        }
        if let Some(e) = &self.endpoint {
            p.endpoint = Endpoint::parse(e)?.to_string();
        }
        if let Some(k) = self.kind {
            p.kind = k;
        }
        set_opt(&mut p.access_key, &self.access_key);
        set_opt(&mut p.email, &self.email);
        set_opt(&mut p.project, &self.project);
        set_opt(&mut p.resource_group, &self.resource_group);
        set_opt(&mut p.quick_start.image, &self.image);
        set_opt(&mut p.quick_start.preset, &self.preset);
        set_opt(&mut p.quick_start.app, &self.app);
        if let Some(d) = &self.domain {
            p.domain = Some(d.trim())
                .filter(|d| !d.is_empty())
                .unwrap_or("default")
                .to_owned();
        }
        if let Some(r) = self.remember_password {
            p.remember_password = r;
        }
        if let Some(set) = &self.resources {
            p.quick_start.resources = resources::validate_all(set)?;
        }
        if !self.resource_changes.is_empty() {
            p.quick_start.resources =
                resources::merge(&p.quick_start.resources, &self.resource_changes)?;
        }
        if let Some(ca) = &self.ca_cert {
            p.tls.ca_cert = ca.clone().filter(|c| !c.as_os_str().is_empty());
        }
        if let Some(s) = self.skip_verify {
            p.tls.skip_verify = s;
        }
        // The field the other kind uses means nothing now; keep the record unambiguous.
        if p.kind != before.kind {
            match p.kind {
                EndpointKind::Api => p.remember_password = false,
                EndpointKind::Webserver => {}
            }
        }
        p.validate()?;
        Ok(p)
    }
}

/// Whether going from `before` to `after` makes the stored login session meaningless.
pub fn login_identity_changed(before: &Profile, after: &Profile) -> bool {
    before.endpoint != after.endpoint || before.email != after.email || before.kind != after.kind
}

/// Secrets an edit from `before` to `after` must delete.
pub fn secrets_to_clear(before: &Profile, after: &Profile) -> Vec<SecretKind> {
    let mut out = Vec::new();
    // Only web UI server profiles have a login session; an API profile's edit needs no keyring.
    let webserver = before.kind == EndpointKind::Webserver || after.kind == EndpointKind::Webserver;
    if webserver && login_identity_changed(before, after) {
        out.push(SecretKind::LoginSession);
    }
    if before.kind != after.kind {
        out.push(match before.kind {
            EndpointKind::Api => SecretKind::SecretKey,
            EndpointKind::Webserver => SecretKind::Password,
        });
    }
    if before.remember_password && !after.remember_password && !out.contains(&SecretKind::Password)
    {
        out.push(SecretKind::Password);
    }
    out
}

/// Edit the profile `name_or_id` in `store` under its lock: apply `patch`, keep the name unique,
/// delete the secrets the edit made meaningless (before the new profile is written; a keyring
/// that cannot delete them stops the edit), and write.
pub fn edit_profile(
    store: &ProfileStore,
    secrets: &dyn SecretStore,
    name_or_id: &str,
    patch: &ProfilePatch,
) -> Result<Edited> {
    let (edited, _) = store.update(|f| {
        let wanted = name_or_id.trim();
        let idx = f
            .profiles
            .iter()
            .position(|p| p.name == wanted)
            .or_else(|| f.profiles.iter().position(|p| p.id == wanted))
            .ok_or_else(|| Error::ProfileNotFound {
                name: wanted.to_owned(),
            })?;
        let before = f.profiles[idx].clone();
        let after = patch.apply(&before)?;
        if f.profiles
            .iter()
            .any(|p| p.name == after.name && p.id != after.id)
        {
            return Err(Error::ProfileExists {
                name: after.name.clone(),
            });
        }
        let mut clear = secrets_to_clear(&before, &after);
        // "Forget the password" deletes it even when the profile did not claim to keep one.
        let web = before.kind == EndpointKind::Webserver || after.kind == EndpointKind::Webserver;
        if web && patch.remember_password == Some(false) && !clear.contains(&SecretKind::Password) {
            clear.push(SecretKind::Password);
        }
        for kind in &clear {
            secrets.delete(&SecretRef::new(&before.id, *kind))?;
        }
        f.profiles[idx] = after.clone();
        Ok(Edited {
            login_session_cleared: clear.contains(&SecretKind::LoginSession),
            secrets_deleted: clear,
            before,
            profile: after,
        })
    })?;
    tracing::info!(profile = %edited.profile.name, "profile edited");
    Ok(edited)
}

fn set_opt(slot: &mut Option<String>, v: &Option<String>) {
    if let Some(v) = v {
        *slot = Some(v.trim().to_owned()).filter(|s| !s.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{ProfileDraft, TlsSettings};
    use bai_secrets::{MemoryStore, Secret};

    fn setup() -> (tempfile::TempDir, ProfileStore, MemoryStore, Profile) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = ProfileStore::new(dir.path().join("cfg"));
        let p = store
            .add(
                ProfileDraft {
                    name: "lab".into(),
                    endpoint: "https://web.example.com".into(),
                    kind: Some(EndpointKind::Webserver),
                    email: Some("me@example.com".into()),
                    remember_password: true,
                    tls: TlsSettings {
                        ca_cert: Some(PathBuf::from("/etc/ca/private.pem")),
                        skip_verify: true,
                    },
                    ..ProfileDraft::default()
                },
                false,
            )
            .expect("add");
        let secrets = MemoryStore::new();
        for kind in [SecretKind::LoginSession, SecretKind::Password] {
            secrets
                .set(&SecretRef::new(&p.id, kind), &Secret::new("s3cret"))
                .expect("set");
        }
        (dir, store, secrets, p)
    }

    fn has(secrets: &MemoryStore, p: &Profile, kind: SecretKind) -> bool {
        secrets
            .get(&SecretRef::new(&p.id, kind))
            .expect("get")
            .is_some()
    }

    #[test]
    fn a_rename_keeps_tls_and_the_login_session() {
        let (_d, store, secrets, p) = setup();
        let patch = ProfilePatch {
            name: Some("lab 2".into()),
            ..ProfilePatch::default()
        };
        let e = edit_profile(&store, &secrets, "lab", &patch).expect("edit");
        assert_eq!(e.profile.name, "lab 2");
        assert_eq!(e.profile.tls, p.tls, "TLS kept");
        assert!(!e.login_session_cleared);
        assert!(has(&secrets, &p, SecretKind::LoginSession));
        assert_eq!(
            store.load().expect("load").get("lab 2").expect("found"),
            &e.profile
        );
    }

    #[test]
    fn a_new_endpoint_or_email_clears_the_login_session() {
        for patch in [
            ProfilePatch {
                endpoint: Some("https://other.example.com".into()),
                ..ProfilePatch::default()
            },
            ProfilePatch {
                email: Some("someone-else@example.com".into()),
                ..ProfilePatch::default()
            },
        ] {
            let (_d, store, secrets, p) = setup();
            let e = edit_profile(&store, &secrets, &p.id, &patch).expect("edit");
            assert!(e.login_session_cleared);
            assert!(!has(&secrets, &p, SecretKind::LoginSession), "{patch:?}");
            assert!(has(&secrets, &p, SecretKind::Password), "password kept");
            assert_eq!(e.profile.tls, p.tls);
        }
    }

    #[test]
    fn a_new_kind_drops_the_old_signing_secret() {
        let (_d, store, secrets, p) = setup();
        let patch = ProfilePatch {
            kind: Some(EndpointKind::Api),
            access_key: Some("AKIAIOSFODNN7EXAMPLE".into()),
            ..ProfilePatch::default()
        };
        let e = edit_profile(&store, &secrets, "lab", &patch).expect("edit");
        assert!(e.login_session_cleared);
        assert!(!has(&secrets, &p, SecretKind::Password));
        assert!(!e.profile.remember_password);
    }

    #[test]
    fn tls_changes_only_when_asked() {
        let (_d, store, secrets, _p) = setup();
        let e = edit_profile(
            &store,
            &secrets,
            "lab",
            &ProfilePatch {
                ca_cert: Some(None),
                skip_verify: Some(false),
                ..ProfilePatch::default()
            },
        )
        .expect("edit");
        assert_eq!(e.profile.tls, TlsSettings::default());
    }

    #[test]
    fn an_invalid_resource_is_refused_and_nothing_changes() {
        let (_d, store, secrets, p) = setup();
        let patch = ProfilePatch {
            endpoint: Some("https://other.example.com".into()),
            resource_changes: vec!["mem=banana".into()],
            ..ProfilePatch::default()
        };
        let e = edit_profile(&store, &secrets, "lab", &patch).expect_err("refused");
        assert!(e.to_string().contains("resource mem"), "{e}");
        assert_eq!(store.load().expect("load").get("lab").expect("found"), &p);
        assert!(
            has(&secrets, &p, SecretKind::LoginSession),
            "nothing deleted"
        );
        let whole = ProfilePatch {
            resources: Some(BTreeMap::from([("cpu".into(), "-1".into())])),
            ..ProfilePatch::default()
        };
        assert_eq!(
            edit_profile(&store, &secrets, "lab", &whole)
                .expect_err("refused")
                .code(),
            "invalid-input"
        );
    }

    #[test]
    fn resources_merge_slot_by_slot() {
        let (_d, store, secrets, _p) = setup();
        let set = |changes: &[&str]| ProfilePatch {
            resource_changes: changes.iter().map(|s| s.to_string()).collect(),
            ..ProfilePatch::default()
        };
        edit_profile(&store, &secrets, "lab", &set(&["cpu=2", "mem=4g"])).expect("edit");
        let e = edit_profile(&store, &secrets, "lab", &set(&["mem=8GiB"])).expect("edit");
        assert_eq!(
            e.profile.quick_start.resources,
            BTreeMap::from([("cpu".into(), "2".into()), ("mem".into(), "8g".into())])
        );
    }

    #[test]
    fn a_duplicate_name_is_refused() {
        let (_d, store, secrets, _p) = setup();
        store
            .add(
                ProfileDraft {
                    name: "other".into(),
                    endpoint: "https://x.example.com".into(),
                    access_key: Some("AK".into()),
                    ..ProfileDraft::default()
                },
                false,
            )
            .expect("add");
        let patch = ProfilePatch {
            name: Some("other".into()),
            ..ProfilePatch::default()
        };
        assert_eq!(
            edit_profile(&store, &secrets, "lab", &patch)
                .expect_err("dup")
                .code(),
            "profile-exists"
        );
    }
}
