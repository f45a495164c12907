//! `backendai-launcher:` links: what a link may ask, checked in one place.
//!
//! Two links exist, and nothing else is accepted:
//!
//! - `backendai-launcher://open?profile=<name>&session=<name>`: show that session of that profile;
//! - `backendai-launcher://launch?profile=<name>&preset=<name>`: start a notebook with that
//!   resource preset on that profile.
//!
//! The opaque form (`backendai-launcher:open?…`) means the same. A link comes from anywhere (a
//! web page, a chat message), so it is read strictly: the exact parameters of its action, each
//! once, nothing else. A link can therefore never carry a secret, an endpoint, an image or any
//! other setting: it only names a profile the user already has ([`DeepLink::resolve`]), and what
//! to do with it. Every refusal is an [`Error::LinkRefused`] saying what is wrong.
//!
//! [`redacted`] is the form a link may be logged in: its action and parameter names, no values.

use crate::error::{Error, Result};
use crate::profile::store::Profiles;
use crate::profile::{Profile, normalize_name};

/// The URL scheme the app registers with the OS.
pub const SCHEME: &str = "backendai-launcher";

/// The longest link read, in bytes (longer ones are refused before anything else is looked at).
pub const MAX_LINK_LEN: usize = 2048;

/// The longest parameter value, in characters, after percent-decoding.
pub const MAX_VALUE_CHARS: usize = 128;

/// What a link asks for, its names checked but not yet looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeepLink {
    /// Show `session` (a session name) of the profile named `profile`.
    Open { profile: String, session: String },
    /// Start a notebook on the profile named `profile` with the resource preset `preset`.
    Launch { profile: String, preset: String },
}

/// A link whose profile exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedLink {
    pub profile: Profile,
    pub action: LinkAction,
}

/// What to do on [`ResolvedLink::profile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkAction {
    Open { session: String },
    Launch { preset: String },
}

impl DeepLink {
    /// Read `link` strictly (see the module's documentation).
    pub fn parse(link: &str) -> Result<DeepLink> {
        if link.len() > MAX_LINK_LEN {
            return Err(refused(format!(
                "it is {} bytes long; a launcher link has at most {MAX_LINK_LEN}",
                link.len()
            )));
        }
        if let Some(c) = link.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(refused(format!(
                "it contains {}; a link must be percent-encoded",
                describe_char(c)
            )));
        }
        let (scheme, rest) = link
            .split_once(':')
            .ok_or_else(|| refused(format!("it is not a {SCHEME}: link")))?;
        if !scheme.eq_ignore_ascii_case(SCHEME) {
            return Err(refused(format!(
                "it is not a {SCHEME}: link (its scheme is not {SCHEME})"
            )));
        }
        if rest.contains('#') {
            return Err(refused(
                "it has a fragment (#…), which launcher links do not take".into(),
            ));
        }
        let (target, query) = match rest.split_once('?') {
            Some((t, q)) => (t, Some(q)),
            None => (rest, None),
        };
        let action = action_of(target)?;
        let query = query.filter(|q| !q.is_empty()).ok_or_else(|| {
            refused(format!(
                "it has no parameters; {} needs {}",
                action.name(),
                action.expected()
            ))
        })?;
        let params = parse_query(query, action)?;
        let value = |key: &str| {
            params
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    refused(format!(
                        "the parameter {key} is missing; {} needs {}",
                        action.name(),
                        action.expected()
                    ))
                })
        };
        let profile = check_profile_name(&value("profile")?)?;
        match action {
            Action::Open => {
                let session = value("session")?;
                crate::client::validate_session_name(&session).map_err(|e| match e {
                    Error::InvalidInput { reason, .. } => refused(format!("session {reason}")),
                    other => other,
                })?;
                Ok(DeepLink::Open { profile, session })
            }
            Action::Launch => {
                let preset = check_preset_name(&value("preset")?)?;
                Ok(DeepLink::Launch { profile, preset })
            }
        }
    }

    /// The profile name the link gives.
    pub fn profile(&self) -> &str {
        match self {
            DeepLink::Open { profile, .. } | DeepLink::Launch { profile, .. } => profile,
        }
    }

    /// `open` or `launch`.
    pub fn action_name(&self) -> &'static str {
        match self {
            DeepLink::Open { .. } => "open",
            DeepLink::Launch { .. } => "launch",
        }
    }

    /// Look the profile up by its exact name (a link cannot name an endpoint, only a profile the
    /// user made). An unknown name is refused, naming it.
    pub fn resolve(self, profiles: &Profiles) -> Result<ResolvedLink> {
        let Some(profile) = profiles.list().iter().find(|p| p.name == self.profile()) else {
            return Err(refused(format!(
                "there is no profile named {:?}; add it first, or check the link",
                self.profile()
            )));
        };
        let action = match self {
            DeepLink::Open { session, .. } => LinkAction::Open { session },
            DeepLink::Launch { preset, .. } => LinkAction::Launch { preset },
        };
        Ok(ResolvedLink {
            profile: profile.clone(),
            action,
        })
    }
}

/// [`DeepLink::parse`], then [`DeepLink::resolve`].
pub fn resolve(link: &str, profiles: &Profiles) -> Result<ResolvedLink> {
    DeepLink::parse(link)?.resolve(profiles)
}

/// `link` as it may be logged: the action and the names of the parameters the link's action
/// takes, every value replaced by `…`, anything else by `<other>`. Never a value.
pub fn redacted(link: &str) -> String {
    let rest = link
        .get(..MAX_LINK_LEN.min(link.len()))
        .unwrap_or_default()
        .split_once(':')
        .map_or("", |(_, r)| r);
    let (target, query) = rest.split_once('?').unwrap_or((rest, ""));
    let action = action_of(target).ok();
    let mut out = format!("{SCHEME}://{}", action.map_or("<other>", |a| a.name()));
    let query = query.split('#').next().unwrap_or_default();
    for (i, pair) in query.split('&').filter(|p| !p.is_empty()).enumerate() {
        let key = pair.split('=').next().unwrap_or_default();
        let known = action.is_some_and(|a| a.keys().contains(&key));
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(if known { key } else { "<other>" });
        out.push_str("=…");
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Open,
    Launch,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Open => "open",
            Action::Launch => "launch",
        }
    }

    fn keys(self) -> &'static [&'static str] {
        match self {
            Action::Open => &["profile", "session"],
            Action::Launch => &["profile", "preset"],
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Action::Open => "exactly profile and session",
            Action::Launch => "exactly profile and preset",
        }
    }
}

/// The action of `//open`, `//open/`, `open`: nothing else (no user, port, path or other host).
fn action_of(target: &str) -> Result<Action> {
    let name = match target.strip_prefix("//") {
        Some(authority) => {
            if authority.contains('@') {
                return Err(refused(
                    "it carries a user name or password (…@), which launcher links never do".into(),
                ));
            }
            authority.strip_suffix('/').unwrap_or(authority)
        }
        None => target,
    };
    match name {
        "open" => Ok(Action::Open),
        "launch" => Ok(Action::Launch),
        _ if name.contains(':') => Err(refused(
            "it names a host and port; a launcher link names only open or launch".into(),
        )),
        _ => Err(refused(
            "it asks for something other than open or launch, the only things a launcher link does"
                .into(),
        )),
    }
}

/// The query's pairs, decoded: each key one of the action's, each once.
fn parse_query(query: &str, action: Action) -> Result<Vec<(&'static str, String)>> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for pair in query.split('&') {
        if pair.is_empty() {
            return Err(refused("it has an empty parameter (&&)".into()));
        }
        let (raw_key, raw_value) = pair.split_once('=').ok_or_else(|| {
            refused(format!(
                "the parameter {} has no value",
                shown_key(&decode(pair).unwrap_or_default())
            ))
        })?;
        let key = decode(raw_key)?;
        let Some(&known) = action.keys().iter().find(|k| **k == key) else {
            return Err(refused(format!(
                "it sets {}, which a launcher link may not set; {} takes {}",
                shown_key(&key),
                action.name(),
                action.expected()
            )));
        };
        if out.iter().any(|(k, _)| *k == known) {
            return Err(refused(format!("the parameter {known} is given twice")));
        }
        let value = decode(raw_value)?;
        if let Some(c) = value.chars().find(|&c| c.is_control() || is_invisible(c)) {
            return Err(refused(format!(
                "the {known} contains {}",
                describe_char(c)
            )));
        }
        let chars = value.chars().count();
        if chars > MAX_VALUE_CHARS {
            return Err(refused(format!(
                "the {known} is {chars} characters long; at most {MAX_VALUE_CHARS}"
            )));
        }
        out.push((known, value));
    }
    Ok(out)
}

/// A parameter name as a message may show it: plain short names as they are, others not at all.
fn shown_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key.len() <= 32
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if plain {
        format!("the parameter {key:?}")
    } else {
        "a parameter".into()
    }
}

/// Percent-decoding (and `+` as a space, as forms encode it) into UTF-8.
fn decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        refused(
                            "it has a broken percent escape (% not followed by two hex digits)"
                                .into(),
                        )
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| refused("a parameter is not valid UTF-8 text".into()))
}

fn check_profile_name(name: &str) -> Result<String> {
    if name != name.trim() {
        return Err(refused(
            "the profile name starts or ends with a space".into(),
        ));
    }
    normalize_name(name).map_err(|e| match e {
        Error::InvalidInput { reason, .. } => refused(format!("profile: {reason}")),
        other => other,
    })
}

fn check_preset_name(name: &str) -> Result<String> {
    if name.trim().is_empty() {
        return Err(refused("the preset is empty".into()));
    }
    if name != name.trim() {
        return Err(refused("the preset starts or ends with a space".into()));
    }
    Ok(name.to_owned())
}

/// Characters that change how text looks without being seen: bidirectional overrides and
/// isolates, zero-width characters, the byte-order mark, the soft hyphen. A name with one can
/// pass for another, so a link may not carry them.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}')
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
        c if is_invisible(c) => format!("an invisible character (U+{:04X})", c as u32),
        c => format!("the character U+{:04X}", c as u32),
    }
}

fn refused(reason: String) -> Error {
    Error::LinkRefused { reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{ProfileDraft, ProfileStore};

    fn profiles() -> (tempfile::TempDir, Profiles) {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("cfg"));
        for name in ["lab", "work cluster", "연구실"] {
            store
                .add(
                    ProfileDraft {
                        name: name.into(),
                        endpoint: "https://api.example.com".into(),
                        access_key: Some("AKIAEXAMPLE".into()),
                        ..ProfileDraft::default()
                    },
                    false,
                )
                .unwrap();
        }
        let loaded = store.load().unwrap();
        (dir, loaded)
    }

    fn reason(link: &str) -> String {
        match DeepLink::parse(link) {
            Err(e @ Error::LinkRefused { .. }) => {
                assert_eq!(e.code(), "link-refused");
                e.to_string()
            }
            other => panic!("{link:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn reads_both_actions_in_both_forms() {
        let open = DeepLink::Open {
            profile: "lab".into(),
            session: "my-notebook".into(),
        };
        for link in [
            "backendai-launcher://open?profile=lab&session=my-notebook",
            "backendai-launcher://open/?session=my-notebook&profile=lab",
            "backendai-launcher:open?profile=lab&session=my-notebook",
            "BackendAI-Launcher://open?profile=l%61b&session=my-notebook",
        ] {
            assert_eq!(DeepLink::parse(link).unwrap(), open, "{link}");
        }
        assert_eq!(
            DeepLink::parse("backendai-launcher://launch?profile=work+cluster&preset=cpu01-small")
                .unwrap(),
            DeepLink::Launch {
                profile: "work cluster".into(),
                preset: "cpu01-small".into()
            }
        );
        assert_eq!(
            DeepLink::parse(
                "backendai-launcher:launch?profile=%EC%97%B0%EA%B5%AC%EC%8B%A4&preset=gpu%20large"
            )
            .unwrap(),
            DeepLink::Launch {
                profile: "연구실".into(),
                preset: "gpu large".into()
            }
        );
    }

    #[test]
    fn resolves_only_profiles_that_exist() {
        let (_dir, profiles) = profiles();
        let r = resolve(
            "backendai-launcher://open?profile=work%20cluster&session=abcd",
            &profiles,
        )
        .unwrap();
        assert_eq!(r.profile.name, "work cluster");
        assert_eq!(
            r.action,
            LinkAction::Open {
                session: "abcd".into()
            }
        );
        let e = resolve(
            "backendai-launcher://launch?profile=nope&preset=small",
            &profiles,
        )
        .unwrap_err();
        assert_eq!(e.code(), "link-refused");
        assert!(e.to_string().contains("no profile named \"nope\""), "{e}");
        // Not by id, not by a near name.
        let id = profiles.list()[0].id.clone();
        for name in [id.as_str(), "Lab", "lab%E2%80%8B"] {
            let link = format!("backendai-launcher://open?profile={name}&session=abcd");
            assert!(resolve(&link, &profiles).is_err(), "{link}");
        }
    }

    #[test]
    fn refuses_other_parameters_so_no_endpoint_or_secret_gets_in() {
        for (link, needle) in [
            (
                "backendai-launcher://open?profile=lab&session=abcd&endpoint=https://evil.example",
                "\"endpoint\", which a launcher link may not set",
            ),
            (
                "backendai-launcher://open?profile=lab&session=abcd&secret_key=x",
                "\"secret_key\"",
            ),
            (
                "backendai-launcher://launch?profile=lab&preset=s&access_key=AKIA",
                "\"access_key\"",
            ),
            (
                "backendai-launcher://launch?profile=lab&preset=s&image=evil%2Fminer",
                "\"image\"",
            ),
            // The other action's parameter.
            (
                "backendai-launcher://open?profile=lab&session=abcd&preset=s",
                "\"preset\"",
            ),
            (
                "backendai-launcher://open?profile=lab&session=abcd&session=efgh",
                "session is given twice",
            ),
            (
                "backendai-launcher://open?profile=lab&profile=other&session=abcd",
                "profile is given twice",
            ),
            // An encoded key is still that key.
            (
                "backendai-launcher://open?profile=lab&session=abcd&%65ndpoint=x",
                "\"endpoint\"",
            ),
            (
                "backendai-launcher://open?profile=lab",
                "session is missing",
            ),
            ("backendai-launcher://launch?preset=x", "profile is missing"),
            ("backendai-launcher://open", "no parameters"),
            ("backendai-launcher://open?", "no parameters"),
            (
                "backendai-launcher://open?profile=lab&&session=abcd",
                "empty parameter",
            ),
            (
                "backendai-launcher://open?profile=lab&session",
                "has no value",
            ),
            (
                "backendai-launcher://open?profile=lab&session=abcd&%F0%9F%92%A3=1",
                "sets a parameter,",
            ),
        ] {
            let r = reason(link);
            assert!(r.contains(needle), "{link}: {r}");
            assert!(!r.contains("evil"), "{link}: a value is echoed: {r}");
        }
    }

    #[test]
    fn refuses_other_shapes_of_link() {
        for (link, needle) in [
            (
                "https://open?profile=lab&session=abcd",
                "not a backendai-launcher",
            ),
            (
                "backendai-launcher-evil://open?profile=lab&session=abcd",
                "not a backendai-launcher",
            ),
            ("open?profile=lab&session=abcd", "not a backendai-launcher"),
            (
                "backendai-launcher://user:pw@open?profile=lab&session=abcd",
                "user name or password",
            ),
            (
                "backendai-launcher://open@evil.example?profile=lab&session=abcd",
                "user name",
            ),
            (
                "backendai-launcher://evil.example:443?profile=lab&session=abcd",
                "host and port",
            ),
            (
                "backendai-launcher://open:80?profile=lab&session=abcd",
                "host and port",
            ),
            (
                "backendai-launcher://evil.example/open?profile=lab&session=abcd",
                "other than open",
            ),
            (
                "backendai-launcher:///open?profile=lab&session=abcd",
                "other than open",
            ),
            (
                "backendai-launcher://open/extra?profile=lab&session=abcd",
                "other than open",
            ),
            (
                "backendai-launcher://terminate?profile=lab&session=abcd",
                "other than open",
            ),
            (
                "backendai-launcher://OPEN?profile=lab&session=abcd",
                "other than open",
            ),
            (
                "backendai-launcher://open?profile=lab&session=abcd#frag",
                "fragment",
            ),
            (
                "backendai-launcher://open#?profile=lab&session=abcd",
                "fragment",
            ),
        ] {
            let r = reason(link);
            assert!(r.contains(needle), "{link}: {r}");
        }
    }

    #[test]
    fn refuses_hostile_text() {
        for (link, needle) in [
            // Raw control, space and non-ASCII characters: links must be encoded.
            (
                "backendai-launcher://open?profile=lab&session=ab\ncd",
                "control character (U+000A)",
            ),
            (
                "backendai-launcher://open?profile=lab\t&session=abcd",
                "control character",
            ),
            (
                "backendai-launcher://open?profile=my lab&session=abcd",
                "a space",
            ),
            (
                "backendai-launcher://open?profile=연구실&session=abcd",
                "U+C5F0",
            ),
            (
                "backendai-launcher://open?profile=lab&session=abcd\u{202E}",
                "U+202E",
            ),
            // Encoded ones are decoded and checked.
            (
                "backendai-launcher://open?profile=lab%00&session=abcd",
                "control character (U+0000)",
            ),
            (
                "backendai-launcher://open?profile=lab%0Aevil&session=abcd",
                "control character",
            ),
            (
                "backendai-launcher://open?profile=lab%1B%5B31m&session=abcd",
                "U+001B",
            ),
            (
                "backendai-launcher://open?profile=%E2%80%AEbal&session=abcd",
                "invisible character (U+202E)",
            ),
            (
                "backendai-launcher://open?profile=la%E2%80%8Bb&session=abcd",
                "invisible character (U+200B)",
            ),
            (
                "backendai-launcher://open?profile=%EF%BB%BFlab&session=abcd",
                "U+FEFF",
            ),
            (
                "backendai-launcher://open?profile=%C0%AF&session=abcd",
                "not valid UTF-8",
            ),
            (
                "backendai-launcher://open?profile=%FF&session=abcd",
                "not valid UTF-8",
            ),
            (
                "backendai-launcher://open?profile=lab%2&session=abcd",
                "broken percent escape",
            ),
            (
                "backendai-launcher://open?profile=lab%zz&session=abcd",
                "broken percent escape",
            ),
            (
                "backendai-launcher://open?profile=%20lab&session=abcd",
                "starts or ends with a space",
            ),
            (
                "backendai-launcher://open?profile=&session=abcd",
                "name is empty",
            ),
            // Session names follow the manager's rule, so no path or shell tricks.
            (
                "backendai-launcher://open?profile=lab&session=..%2F..%2Fetc",
                "session",
            ),
            (
                "backendai-launcher://open?profile=lab&session=a%3Bb%20c",
                "session",
            ),
            (
                "backendai-launcher://open?profile=lab&session=%EF%BD%81bcd",
                "session",
            ),
            (
                "backendai-launcher://open?profile=lab&session=abc",
                "4 to 64",
            ),
            (
                "backendai-launcher://launch?profile=lab&preset=",
                "preset is empty",
            ),
            (
                "backendai-launcher://launch?profile=lab&preset=+",
                "preset is empty",
            ),
        ] {
            let r = reason(link);
            assert!(r.contains(needle), "{link}: {r}");
        }
    }

    #[test]
    fn refuses_huge_links_and_values() {
        let long_value = format!(
            "backendai-launcher://open?profile={}&session=abcd",
            "a".repeat(MAX_VALUE_CHARS + 1)
        );
        assert!(reason(&long_value).contains("at most 128"));
        let huge = format!(
            "backendai-launcher://open?profile=lab&session=abcd&x={}",
            "%41".repeat(1_000_000)
        );
        let r = reason(&huge);
        assert!(r.contains("bytes long"), "{r}");
        assert!(r.len() < 200);
        // Many parameters within the limit: refused at the first unknown one.
        let many = format!(
            "backendai-launcher://open?profile=lab&session=abcd{}",
            "&a=b".repeat(400)
        );
        assert!(reason(&many).contains("\"a\""));
    }

    #[test]
    fn redacts_every_value() {
        assert_eq!(
            redacted("backendai-launcher://open?profile=secret-lab&session=hidden&endpoint=evil"),
            "backendai-launcher://open?profile=…&session=…&<other>=…"
        );
        assert_eq!(
            redacted("backendai-launcher:launch?profile=a&preset=b#frag"),
            "backendai-launcher://launch?profile=…&preset=…"
        );
        assert_eq!(
            redacted("backendai-launcher://sec%72et@host?token=abc"),
            "backendai-launcher://<other>?<other>=…"
        );
        assert_eq!(redacted("garbage"), "backendai-launcher://<other>");
        let huge = "x".repeat(10 * MAX_LINK_LEN);
        assert!(redacted(&huge).len() < 100);
    }
}
