//! Moving accounts into and out of the launcher: the official Backend.AI client's files and
//! variables (read-only), and the launcher's own export document (both ways).
//!
//! - [`official`]: `~/.backend.ai` as `backend.ai` 26.9 writes it
//! - [`env`]: `BACKEND_*` variables and `.env` files as the official client reads them
//! - [`document`]: what `bai profile export` writes and `bai profile import --file` reads
//!
//! Both front ends call these; they only decide names, clashes and where secrets go.

pub mod document;
pub mod env;
pub mod official;

use bai_secrets::Secret;

use crate::endpoint::EndpointKind;
use crate::profile::ProfileDraft;

/// An account found in the official client's files or variables, not yet a profile.
#[derive(Debug, Clone)]
pub struct FoundAccount {
    /// Where it came from, for messages (a path, or "the environment").
    pub source: String,
    /// The official client's profile name (`profiles/<name>/`); `None` for the unnamed one and
    /// for variables.
    pub name: Option<String>,
    pub endpoint: String,
    /// The source set no endpoint, so this is the official client's built-in default.
    pub endpoint_defaulted: bool,
    pub kind: EndpointKind,
    pub access_key: Option<String>,
    pub secret_key: Option<Secret>,
    /// Session mode: the login user the official client remembered, if any.
    pub email: Option<String>,
    pub domain: Option<String>,
    pub group: Option<String>,
    /// The official client was told to skip TLS verification for this endpoint.
    pub skip_tls_verify: bool,
    /// Where the secret key still sits in plain text, to tell the user.
    pub plain_text: Option<String>,
    /// What the user should know about how this was read (a default used, an entry dropped).
    pub notes: Vec<String>,
}

impl FoundAccount {
    /// The draft of a profile named `name`, or why this account cannot become one. `email` is
    /// the login email given on the command line for session-mode accounts (the official
    /// client keeps no password and usually no email: its `login` asks for both each time).
    pub fn draft(&self, name: &str, email: Option<&str>) -> Result<ProfileDraft, String> {
        let mut draft = ProfileDraft {
            name: name.to_owned(),
            endpoint: self.endpoint.clone(),
            kind: Some(self.kind),
            domain: self.domain.clone(),
            project: self.group.clone(),
            ..ProfileDraft::default()
        };
        draft.tls.skip_verify = self.skip_tls_verify;
        match self.kind {
            EndpointKind::Api => {
                if self.access_key.is_none() || self.secret_key.is_none() {
                    return Err("it has no access key and secret key (the official client's `config set access-key` / `secret-key`)".into());
                }
                draft.access_key = self.access_key.clone();
            }
            EndpointKind::Webserver => {
                let Some(email) = email.map(str::to_owned).or_else(|| self.email.clone()) else {
                    return Err("a session-mode (web UI server) account needs the login email, which the official client does not keep: run again with --email EMAIL".into());
                };
                draft.email = Some(email);
            }
        }
        Ok(draft)
    }
}

/// A default profile name for an unnamed account: the endpoint's host.
pub fn name_from_endpoint(endpoint: &str) -> String {
    url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "imported".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(kind: EndpointKind) -> FoundAccount {
        FoundAccount {
            source: "test".into(),
            name: None,
            endpoint: "https://api.example.com".into(),
            endpoint_defaulted: false,
            kind,
            access_key: Some("AKTEST".into()),
            secret_key: Some(Secret::new("sk")),
            email: None,
            domain: Some("lab".into()),
            group: None,
            skip_tls_verify: true,
            plain_text: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn api_accounts_need_both_keys() {
        let d = found(EndpointKind::Api).draft("a", None).expect("draft");
        assert_eq!(d.access_key.as_deref(), Some("AKTEST"));
        assert!(d.tls.skip_verify);
        d.into_profile().expect("valid");
        let mut f = found(EndpointKind::Api);
        f.secret_key = None;
        assert!(
            f.draft("a", None)
                .expect_err("no sk")
                .contains("secret key")
        );
    }

    #[test]
    fn session_accounts_need_an_email_but_no_password() {
        let f = found(EndpointKind::Webserver);
        assert!(
            f.draft("w", None)
                .expect_err("no email")
                .contains("--email")
        );
        let d = f.draft("w", Some("me@example.com")).expect("draft");
        assert_eq!(d.access_key, None);
        assert_eq!(d.email.as_deref(), Some("me@example.com"));
        d.into_profile().expect("valid");
    }

    #[test]
    fn names_from_endpoints() {
        assert_eq!(
            name_from_endpoint("https://api.example.com:8443"),
            "api.example.com"
        );
        assert_eq!(name_from_endpoint("not a url"), "imported");
    }
}
