//! The launcher's own profile document: what `bai profile export` writes and
//! `bai profile import --file` reads, as TOML or JSON.
//!
//! ```toml
//! format = "bai-profiles"
//! version = 1
//!
//! [[profiles]]
//! name = "work"
//! endpoint = "https://api.example.com"
//! kind = "api"
//! access_key = "AKIA..."
//! default = true
//! [profiles.secrets]          # only with `export --with-secrets`
//! secret_key = "..."
//! ```
//!
//! No id: an id only names keyring entries on one machine, so an import makes new ones.
//! `version` changes only when an older `bai` would misread a newer document; documents
//! written before `format` existed (version 1 without it) are still read.

use std::ops::Not;

use bai_secrets::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::endpoint::EndpointKind;
use crate::error::{Error, Result};
use crate::profile::{LaunchPreset, Profile, ProfileDraft, TlsSettings};

/// The `format` marker, so that an import can tell this document from other TOML or JSON.
pub const FORMAT: &str = "bai-profiles";
/// The newest document version this build reads and the one it writes.
pub const VERSION: u64 = 1;

/// One profile as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedProfile {
    pub name: String,
    pub endpoint: String,
    pub kind: EndpointKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Not::not")]
    pub remember_password: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub quick_start: LaunchPreset,
    #[serde(default, skip_serializing_if = "is_default")]
    pub tls: TlsSettings,
    /// It was the default profile where it was exported.
    #[serde(default, skip_serializing_if = "Not::not")]
    pub default: bool,
    /// Kept out of serde on purpose: [`Secret`] serializes as a placeholder, and these are
    /// written (and parsed) only by hand, so no other path can put them in a document.
    #[serde(skip)]
    pub secrets: ExportedSecrets,
}

/// Secrets that travel with a profile when asked for (`export --with-secrets`).
#[derive(Debug, Clone, Default)]
pub struct ExportedSecrets {
    pub secret_key: Option<Secret>,
    pub password: Option<Secret>,
}

impl ExportedSecrets {
    pub fn is_empty(&self) -> bool {
        self.secret_key.is_none() && self.password.is_none()
    }
}

// Secrets are not compared: a document equals another when their profiles do.
impl PartialEq for ExportedSecrets {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for ExportedSecrets {}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl ExportedProfile {
    pub fn from_profile(p: &Profile, is_default: bool) -> Self {
        ExportedProfile {
            name: p.name.clone(),
            endpoint: p.endpoint.clone(),
            kind: p.kind,
            access_key: p.access_key.clone(),
            email: p.email.clone(),
            remember_password: p.remember_password,
            domain: Some(p.domain.clone()),
            project: p.project.clone(),
            resource_group: p.resource_group.clone(),
            quick_start: p.quick_start.clone(),
            tls: p.tls.clone(),
            default: is_default,
            secrets: ExportedSecrets::default(),
        }
    }

    /// The draft of the profile, under `name` (the exported one, or another on a clash).
    pub fn draft(&self, name: &str) -> ProfileDraft {
        ProfileDraft {
            name: name.to_owned(),
            endpoint: self.endpoint.clone(),
            kind: Some(self.kind),
            access_key: self.access_key.clone(),
            email: self.email.clone(),
            remember_password: self.remember_password,
            domain: self.domain.clone(),
            project: self.project.clone(),
            resource_group: self.resource_group.clone(),
            quick_start: self.quick_start.clone(),
            tls: self.tls.clone(),
        }
    }
}

/// A whole document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub profiles: Vec<ExportedProfile>,
}

/// A parsed document: each entry, or why it cannot be imported ("profile 2: ...").
#[derive(Debug)]
pub struct Parsed {
    pub entries: Vec<std::result::Result<ExportedProfile, String>>,
}

impl Parsed {
    pub fn has_secrets(&self) -> bool {
        self.entries
            .iter()
            .any(|e| e.as_ref().is_ok_and(|p| !p.secrets.is_empty()))
    }
}

impl Document {
    pub fn has_secrets(&self) -> bool {
        self.profiles.iter().any(|p| !p.secrets.is_empty())
    }

    /// The document as JSON.
    pub fn to_json(&self) -> Result<Value> {
        let mut rows = Vec::new();
        for p in &self.profiles {
            let mut v = serde_json::to_value(p).map_err(|e| encode(&e))?;
            if let (Value::Object(m), Some(s)) = (&mut v, secrets_json(&p.secrets)) {
                m.insert("secrets".into(), Value::Object(s));
            }
            rows.push(v);
        }
        Ok(serde_json::json!({"format": FORMAT, "version": VERSION, "profiles": rows}))
    }

    /// The document as TOML, with a comment that says whether it holds secrets. Written
    /// from structs rather than a table, so that fields keep their order (name first).
    pub fn to_toml(&self) -> Result<String> {
        #[derive(Serialize)]
        struct Row<'a> {
            #[serde(flatten)]
            profile: &'a ExportedProfile,
            #[serde(skip_serializing_if = "Option::is_none")]
            secrets: Option<Map<String, Value>>,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            format: &'a str,
            version: u64,
            profiles: Vec<Row<'a>>,
        }
        let doc = Doc {
            format: FORMAT,
            version: VERSION,
            profiles: self
                .profiles
                .iter()
                .map(|p| Row {
                    profile: p,
                    secrets: secrets_json(&p.secrets),
                })
                .collect(),
        };
        let body = toml::to_string_pretty(&doc).map_err(|e| encode(&e))?;
        let head = if self.has_secrets() {
            "# Backend.AI Launcher profiles, WITH SECRETS IN PLAIN TEXT: keep this file private and delete it once imported.\n# Import with `bai profile import --file FILE`."
        } else {
            "# Backend.AI Launcher profiles (no secrets). Import with `bai profile import --file FILE`."
        };
        Ok(format!("{head}\n{body}"))
    }

    /// Read a document, TOML or JSON (told apart by a leading `{`). A document that is not
    /// one at all is an error; an entry that cannot be imported is reported in its place.
    pub fn parse(text: &str) -> Result<Parsed> {
        let text = text.trim_start_matches('\u{feff}');
        let top: Value = if text.trim_start().starts_with('{') {
            // serde_json's syntax errors name a line and column, never the text.
            serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?
        } else {
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
                // The message and line only: the error's own rendering quotes the line,
                // which may hold a secret.
                let line = e
                    .span()
                    .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
                let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
                bad(format!("not valid TOML{at}: {}", e.message()))
            })?;
            serde_json::to_value(table).map_err(|e| bad(format!("cannot read it: {e}")))?
        };
        let Value::Object(mut top) = top else {
            return Err(bad("it is not a table of settings".into()));
        };
        if top.contains_key("backend-ai") {
            return Err(bad(
                "this is the official client's config.toml or credentials.toml: import that folder with --official DIR".into(),
            ));
        }
        match top.get("format") {
            None => {}
            Some(Value::String(f)) if f == FORMAT => {}
            Some(_) => {
                return Err(bad(format!(
                    "its `format` is not {FORMAT:?}: it is not what `bai profile export` writes"
                )));
            }
        }
        match top.get("version").and_then(Value::as_u64) {
            Some(v) if v > VERSION => {
                return Err(bad(format!(
                    "it is version {v}, written by a newer bai; this one reads version {VERSION}: update bai"
                )));
            }
            Some(v) if v >= 1 => {}
            _ => {
                return Err(bad(
                    "it has no `version = 1`: it is not what `bai profile export` writes".into(),
                ));
            }
        }
        let Some(Value::Array(rows)) = top.remove("profiles") else {
            return Err(bad(
                "it has no `profiles` list: it is not what `bai profile export` writes".into(),
            ));
        };
        let entries = rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| entry(row).map_err(|why| format!("profile {}: {why}", i + 1)))
            .collect();
        Ok(Parsed { entries })
    }
}

fn entry(row: Value) -> std::result::Result<ExportedProfile, String> {
    let Value::Object(mut row) = row else {
        return Err("not a table".into());
    };
    let secrets = match row.remove("secrets") {
        None => ExportedSecrets::default(),
        Some(Value::Object(s)) => read_secrets(s)?,
        Some(_) => return Err("`secrets` is not a table".into()),
    };
    let mut p: ExportedProfile =
        serde_json::from_value(Value::Object(row)).map_err(|e| e.to_string())?;
    let wrong = match p.kind {
        EndpointKind::Api => secrets.password.is_some().then_some("a password"),
        EndpointKind::Webserver => secrets.secret_key.is_some().then_some("a secret key"),
    };
    if let Some(what) = wrong {
        return Err(format!(
            "a {} profile has no use for {what}; remove it from `secrets`",
            p.kind
        ));
    }
    p.secrets = secrets;
    Ok(p)
}

/// Only the key names appear in errors, never a value.
fn read_secrets(mut s: Map<String, Value>) -> std::result::Result<ExportedSecrets, String> {
    let mut take = |k: &str| match s.remove(k) {
        None => Ok(None),
        Some(Value::String(v)) if v.is_empty() => Ok(None),
        Some(Value::String(v)) => Ok(Some(Secret::new(v))),
        Some(_) => Err(format!("secrets.{k} is not a string")),
    };
    let out = ExportedSecrets {
        secret_key: take("secret_key")?,
        password: take("password")?,
    };
    if let Some(k) = s.keys().next() {
        return Err(format!(
            "secrets.{k} is not a secret bai knows (secret_key, password)"
        ));
    }
    Ok(out)
}

fn secrets_json(s: &ExportedSecrets) -> Option<Map<String, Value>> {
    let mut m = Map::new();
    // The one place a secret is written out in plain text, and only when the user asked.
    for (k, v) in [("secret_key", &s.secret_key), ("password", &s.password)] {
        if let Some(v) = v {
            m.insert(k.into(), Value::String(v.expose().to_owned()));
        }
    }
    (!m.is_empty()).then_some(m)
}

fn encode(e: &dyn std::fmt::Display) -> Error {
    Error::InvalidInput {
        field: "profile document".into(),
        reason: format!("cannot encode it: {e}"),
    }
}

fn bad(reason: String) -> Error {
    Error::InvalidInput {
        field: "profile document".into(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileDraft;

    fn sample() -> Document {
        let api = ProfileDraft {
            name: "work".into(),
            endpoint: "https://api.example.com".into(),
            access_key: Some("AKTEST".into()),
            project: Some("research".into()),
            ..ProfileDraft::default()
        }
        .into_profile()
        .expect("valid");
        let web = ProfileDraft {
            name: "연구실 web".into(),
            endpoint: "http://10.0.0.5:8090".into(),
            kind: Some(EndpointKind::Webserver),
            email: Some("me@example.com".into()),
            remember_password: true,
            ..ProfileDraft::default()
        }
        .into_profile()
        .expect("valid");
        let mut a = ExportedProfile::from_profile(&api, true);
        a.secrets.secret_key = Some(Secret::new("sk \"quoted\" \\ value"));
        let mut w = ExportedProfile::from_profile(&web, false);
        w.secrets.password = Some(Secret::new("pw"));
        Document {
            profiles: vec![a, w],
        }
    }

    fn secrets_of(p: &Parsed) -> Vec<(Option<String>, Option<String>)> {
        p.entries
            .iter()
            .map(|e| {
                let s = &e.as_ref().expect("entry").secrets;
                (
                    s.secret_key.as_ref().map(|v| v.expose().to_owned()),
                    s.password.as_ref().map(|v| v.expose().to_owned()),
                )
            })
            .collect()
    }

    #[test]
    fn round_trips_as_toml_and_json_with_and_without_secrets() {
        let doc = sample();
        let toml_text = doc.to_toml().expect("toml");
        assert!(toml_text.starts_with("# Backend.AI Launcher profiles, WITH SECRETS"));
        let json_text = doc.to_json().expect("json").to_string();
        for text in [&toml_text, &json_text] {
            let parsed = Document::parse(text).expect("parse");
            let back: Vec<_> = parsed
                .entries
                .iter()
                .map(|e| e.clone().expect("ok"))
                .collect();
            assert_eq!(back, doc.profiles);
            assert_eq!(
                secrets_of(&parsed),
                vec![
                    (Some("sk \"quoted\" \\ value".into()), None),
                    (None, Some("pw".into()))
                ]
            );
        }
        let mut bare = doc.clone();
        bare.profiles
            .iter_mut()
            .for_each(|p| p.secrets = Default::default());
        let text = bare.to_toml().expect("toml");
        assert!(text.contains("(no secrets)"), "{text}");
        assert!(!text.contains("secrets]"), "{text}");
        let parsed = Document::parse(&text).expect("parse");
        assert!(!parsed.has_secrets());
    }

    #[test]
    fn reads_documents_from_before_the_format_marker() {
        let old = "# Backend.AI Launcher profiles (exported; no secrets)\nversion = 1\n\n[[profiles]]\nname = \"a\"\nendpoint = \"http://h:1\"\nkind = \"api\"\naccess_key = \"AK\"\nremember_password = false\ndomain = \"default\"\n";
        let p = Document::parse(old).expect("parse");
        let a = p.entries[0].as_ref().expect("entry");
        a.draft(&a.name).into_profile().expect("valid");
    }

    #[test]
    fn refuses_what_it_is_not_with_reasons() {
        let cases = [
            ("", "no `version = 1`"),
            ("{\"version\": 1", "not valid JSON"),
            ("version = 1\nprofiles = [", "not valid TOML (line 2)"),
            ("[backend-ai]\nendpoint = \"x\"\n", "--official"),
            (
                "format = \"other\"\nversion = 1\nprofiles = []\n",
                "is not \"bai-profiles\"",
            ),
            ("version = 2\nprofiles = []\n", "newer bai"),
            ("version = 1\n", "no `profiles` list"),
            ("[1, 2]", "not valid TOML"),
        ];
        for (text, want) in cases {
            let e = Document::parse(text).expect_err(text);
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn bad_entries_are_reported_alone_and_never_quote_a_secret() {
        let text = r#"{"format": "bai-profiles", "version": 1, "profiles": [
            {"name": "a", "endpoint": "http://h:1", "kind": "api", "access_key": "AK"},
            {"name": "b", "endpoint": "http://h:1", "kind": "nope"},
            {"name": "c", "endpoint": "http://h:1", "kind": "api", "secrets": "hunter2"},
            {"name": "d", "endpoint": "http://h:1", "kind": "api", "secrets": {"secret_key": 7, "x": "hunter2"}},
            {"name": "e", "endpoint": "http://h:1", "kind": "api", "secrets": {"token": "hunter2"}},
            {"name": "f", "endpoint": "http://h:1", "kind": "webserver", "email": "a@b", "secrets": {"secret_key": "hunter2"}},
            3
        ]}"#;
        let p = Document::parse(text).expect("parse");
        assert!(p.entries[0].is_ok());
        let errs: Vec<String> = p.entries[1..]
            .iter()
            .map(|e| e.clone().expect_err("bad"))
            .collect();
        for e in &errs {
            assert!(!e.contains("hunter2"), "{e}");
        }
        assert!(
            errs[0].starts_with("profile 2: unknown variant `nope`"),
            "{}",
            errs[0]
        );
        assert!(errs[1].contains("`secrets` is not a table"), "{}", errs[1]);
        assert!(
            errs[2].contains("secrets.secret_key is not a string"),
            "{}",
            errs[2]
        );
        assert!(
            errs[3].contains("secrets.token is not a secret"),
            "{}",
            errs[3]
        );
        assert!(errs[4].contains("no use for a secret key"), "{}", errs[4]);
        assert!(errs[5].starts_with("profile 7: not a table"), "{}", errs[5]);
    }
}
