//! From a profile (or the official client's environment variables) to a signed-in [`Client`].
//!
//! Keypair profiles read the secret key from the secret store. Webserver profiles reuse the
//! stored login-session id while the server still accepts it; when it has expired they log in
//! again with the stored password if the user asked to remember it, and otherwise say
//! "log in again" (`login-required`).

use std::sync::Arc;

use secrecy::SecretString;

use bai_secrets::{MemoryStore, Secret, SecretKind, SecretRef, SecretStore};

use crate::client::webserver::LoginOptions;
use crate::client::{Client, ClientConfig, Credentials, TlsOptions};
use crate::endpoint::{Endpoint, EndpointKind};
use crate::error::{Error, Result};
use crate::profile::{Profile, TlsSettings};

/// The connection settings of a profile (endpoint, kind, domain, TLS), without credentials.
pub fn client_config(profile: &Profile) -> Result<ClientConfig> {
    let mut cfg = ClientConfig::new(profile.endpoint()?, profile.kind);
    cfg.domain = profile.domain.clone();
    cfg = cfg.with_tls(&tls_options(profile)?);
    Ok(cfg)
}

/// The profile's TLS settings with the CA file read in.
pub fn tls_options(profile: &Profile) -> Result<TlsOptions> {
    load_tls(&profile.tls, Some(&profile.name))
}

/// TLS settings (a CA file, skip-verify) as [`TlsOptions`], with the CA file read in: for a
/// profile, or for a form that is not a profile yet (`profile` is then `None`), such as the
/// app's Detect. Every way a profile reaches the cluster starts here.
pub fn load_tls(settings: &TlsSettings, profile: Option<&str>) -> Result<TlsOptions> {
    let ca_cert_pem = match &settings.ca_cert {
        Some(path) => Some(std::fs::read(path).map_err(|e| Error::ConfigIo {
            action: "read the CA certificate".into(),
            path: path.display().to_string(),
            detail: match profile {
                Some(name) => {
                    format!("{e}; fix the path with `bai profile edit {name} --ca-cert FILE`")
                }
                None => format!("{e}; choose a readable PEM file"),
            },
        })?),
        None => None,
    };
    Ok(TlsOptions {
        ca_cert_pem,
        accept_invalid_certs: settings.skip_verify,
    })
}

/// A client signed in as `profile`, with secrets from `secrets`.
pub async fn connect(profile: &Profile, secrets: &dyn SecretStore) -> Result<Client> {
    let cfg = client_config(profile)?;
    match profile.kind {
        EndpointKind::Api => {
            let access_key = profile.access_key.clone().unwrap_or_default();
            let secret = secrets
                .get(&SecretRef::new(&profile.id, SecretKind::SecretKey))?
                .ok_or_else(|| Error::SecretMissing {
                    profile: profile.name.clone(),
                    what: "secret key".into(),
                    fix: format!(
                        "store it with `bai profile edit {:?} --secret-key-stdin`",
                        profile.name
                    ),
                })?;
            Client::new(
                cfg,
                Credentials::Keypair {
                    access_key,
                    secret_key: SecretString::from(secret),
                },
            )
        }
        EndpointKind::Webserver => connect_webserver(profile, cfg, secrets).await,
    }
}

/// [`connect`] for a running front end: the profile's secrets are read once, on the blocking
/// pool (the OS keyring is a synchronous D-Bus call that may wait on an unlock prompt), and a
/// new login session a re-login brings is written back there as well.
pub async fn connect_shared(profile: &Profile, secrets: Arc<dyn SecretStore>) -> Result<Client> {
    let mut kinds = vec![];
    match profile.kind {
        EndpointKind::Api => kinds.push(SecretKind::SecretKey),
        EndpointKind::Webserver => {
            kinds.push(SecretKind::LoginSession);
            if profile.remember_password {
                kinds.push(SecretKind::Password);
            }
        }
    }
    let refs: Vec<SecretRef> = kinds
        .into_iter()
        .map(|k| SecretRef::new(&profile.id, k))
        .collect();
    let store = secrets.clone();
    let read = crate::offload::blocking(move || {
        refs.into_iter()
            .map(|r| {
                let v = store.get(&r)?;
                Ok((r, v))
            })
            .collect::<Result<Vec<_>>>()
    })
    .await?;
    let staged = MemoryStore::new();
    for (r, v) in &read {
        if let Some(v) = v {
            staged.set(r, v)?;
        }
    }
    let client = connect(profile, &staged).await;
    let mut writes = Vec::new();
    for (r, before) in read {
        let now = staged.get(&r)?;
        if let Some(now) = now
            && before.as_ref().map(Secret::expose) != Some(now.expose())
        {
            writes.push((r, now));
        }
    }
    if !writes.is_empty() {
        crate::offload::blocking(move || {
            for (r, v) in &writes {
                secrets.set(r, v)?;
            }
            Ok(())
        })
        .await?;
    }
    client
}

async fn connect_webserver(
    profile: &Profile,
    cfg: ClientConfig,
    secrets: &dyn SecretStore,
) -> Result<Client> {
    let session_ref = SecretRef::new(&profile.id, SecretKind::LoginSession);
    if let Some(session) = secrets.get(&session_ref)? {
        let client = Client::new(
            cfg.clone(),
            Credentials::login_session(SecretString::from(session)),
        )?;
        match client.login_check().await {
            Ok(check) if check.authenticated => return Ok(client),
            Ok(_) | Err(Error::LoginRequired) | Err(Error::AuthFailed { .. }) => {
                tracing::info!(profile = %profile.name, "login session expired");
            }
            Err(e) => return Err(e),
        }
    }
    let password = if profile.remember_password {
        secrets.get(&SecretRef::new(&profile.id, SecretKind::Password))?
    } else {
        None
    };
    let Some(password) = password else {
        return Err(Error::LoginRequired);
    };
    let email = profile.email.clone().unwrap_or_default();
    // Never `force` here: logging out the user's other session must be their explicit choice,
    // so a 409 `active-login-session-exists` reaches them (with how to force) instead.
    log_in_with(
        profile,
        cfg,
        secrets,
        &email,
        &password,
        &LoginOptions::default(),
    )
    .await
}

/// Log in to a webserver profile and keep the new login-session id in the secret store, with
/// the default [`LoginOptions`] and `otp`. See [`log_in_with`].
pub async fn log_in(
    profile: &Profile,
    cfg: ClientConfig,
    secrets: &dyn SecretStore,
    email: &str,
    password: &Secret,
    otp: Option<&str>,
) -> Result<Client> {
    log_in_with(
        profile,
        cfg,
        secrets,
        email,
        password,
        &LoginOptions::with_otp(otp),
    )
    .await
}

/// Log in to a webserver profile with `options` (TOTP code, `force`, client type) and keep the
/// new login-session id in the secret store. A 409 comes back as
/// [`Error::ActiveLoginSessionExists`] naming this profile.
pub async fn log_in_with(
    profile: &Profile,
    cfg: ClientConfig,
    secrets: &dyn SecretStore,
    email: &str,
    password: &Secret,
    options: &LoginOptions,
) -> Result<Client> {
    let anon = Client::new(cfg.clone(), Credentials::Anonymous)?;
    let outcome = anon
        .login_with(
            email,
            &SecretString::from(password.expose().to_owned()),
            options,
        )
        .await
        .map_err(|e| match e {
            Error::ActiveLoginSessionExists { .. } => Error::ActiveLoginSessionExists {
                profile: Some(profile.name.clone()),
            },
            e => e,
        })?;
    use secrecy::ExposeSecret;
    let session = Secret::new(outcome.session_id.expose_secret().to_owned());
    secrets.set(
        &SecretRef::new(&profile.id, SecretKind::LoginSession),
        &session,
    )?;
    Client::new(cfg, Credentials::login_session(outcome.session_id))
}

/// One-off credentials from the official client's variables, with nothing stored.
#[derive(Debug, Clone)]
pub struct EnvAccount {
    pub endpoint: Endpoint,
    pub kind: EndpointKind,
    pub access_key: Option<String>,
    pub secret_key: Option<Secret>,
    pub domain: String,
    pub group: Option<String>,
}

impl EnvAccount {
    /// Read `BACKEND_ENDPOINT`, `BACKEND_ENDPOINT_TYPE` (`api` or `session`),
    /// `BACKEND_ACCESS_KEY`, `BACKEND_SECRET_KEY`, `BACKEND_DOMAIN`, `BACKEND_GROUP` through
    /// `var`. `Ok(None)` when `BACKEND_ENDPOINT` is unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<EnvAccount>> {
        let get = |k: &str| {
            var(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let Some(endpoint) = get("BACKEND_ENDPOINT") else {
            return Ok(None);
        };
        let endpoint = Endpoint::parse(&endpoint)?;
        let kind = match get("BACKEND_ENDPOINT_TYPE") {
            Some(t) => t.parse()?,
            None => EndpointKind::Api,
        };
        let account = EnvAccount {
            endpoint,
            kind,
            access_key: get("BACKEND_ACCESS_KEY"),
            secret_key: get("BACKEND_SECRET_KEY").map(Secret::new),
            domain: get("BACKEND_DOMAIN").unwrap_or_else(|| "default".into()),
            group: get("BACKEND_GROUP"),
        };
        if account.kind == EndpointKind::Api
            && (account.access_key.is_none() || account.secret_key.is_none())
        {
            return Err(Error::InvalidInput {
                field: "environment".into(),
                reason: "BACKEND_ENDPOINT is set but BACKEND_ACCESS_KEY or BACKEND_SECRET_KEY is missing".into(),
            });
        }
        Ok(Some(account))
    }

    /// A client for keypair mode. Webserver mode from the environment has no password to log
    /// in with, so it is refused with a hint.
    pub fn connect(&self) -> Result<Client> {
        let mut cfg = ClientConfig::new(self.endpoint.clone(), self.kind);
        cfg.domain = self.domain.clone();
        match (&self.access_key, &self.secret_key, self.kind) {
            (Some(ak), Some(sk), EndpointKind::Api) => Client::new(
                cfg,
                Credentials::Keypair { access_key: ak.clone(), secret_key: SecretString::from(sk.expose().to_owned()) },
            ),
            _ => Err(Error::InvalidInput {
                field: "environment".into(),
                reason: "webserver endpoints need an email and password: add a profile with `bai profile add`".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn reads_the_official_variables() {
        let a = EnvAccount::from_vars(vars(&[
            ("BACKEND_ENDPOINT", "http://127.0.0.1:8081"),
            ("BACKEND_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE"),
            (
                "BACKEND_SECRET_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            ("BACKEND_GROUP", "research"),
        ]))
        .expect("valid")
        .expect("present");
        assert_eq!(a.kind, EndpointKind::Api);
        assert_eq!(a.domain, "default");
        assert_eq!(a.group.as_deref(), Some("research"));
        assert!(
            !format!("{a:?}").contains("EXAMPLEKEY"),
            "Debug redacts the secret"
        );
        assert!(EnvAccount::from_vars(vars(&[])).expect("ok").is_none());
    }

    #[test]
    fn refuses_half_set_variables() {
        let e = EnvAccount::from_vars(vars(&[
            ("BACKEND_ENDPOINT", "http://h:1"),
            ("BACKEND_ACCESS_KEY", "AK"),
        ]))
        .expect_err("missing secret");
        assert!(e.to_string().contains("BACKEND_SECRET_KEY"), "{e}");
        let e = EnvAccount::from_vars(vars(&[
            ("BACKEND_ENDPOINT", "http://h:1"),
            ("BACKEND_ENDPOINT_TYPE", "x"),
        ]))
        .expect_err("bad type");
        assert_eq!(e.code(), "invalid-input");
    }
}
