//! The profiles file: `version = 1`, `default = "<id>"`, and `[[profiles]]` tables.
//!
//! Parsing is tolerant: a profile entry that does not validate is set aside (the caller keeps a
//! copy of the original file) while the others keep working. A syntax error sets the whole file
//! aside. A file from a newer format version is never touched.

use serde::{Deserialize, Serialize};

use super::model::Profile;

/// The format version this build writes.
pub const FORMAT_VERSION: i64 = 1;

/// The file's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfilesFile {
    pub version: i64,
    /// The id of the default profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default)]
    pub profiles: Vec<Profile>,
}

/// What loading found besides the profiles: entries or a whole file set aside.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// One line per problem, for people.
    pub warnings: Vec<String>,
    /// Where the original file was copied before anything was dropped from it.
    pub moved_aside: Option<std::path::PathBuf>,
}

/// The outcome of parsing text.
#[derive(Debug)]
pub enum Parsed {
    /// Every entry is fine.
    Clean(ProfilesFile),
    /// Some entries were dropped; the warnings say which and why.
    Partial(ProfilesFile, Vec<String>),
    /// Nothing could be read.
    Unreadable(String),
    /// Written by a newer launcher: leave it alone.
    Newer(i64),
}

pub fn parse(text: &str) -> Parsed {
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            return Parsed::Unreadable(format!("not valid TOML: {}", first_line(&e.to_string())));
        }
    };
    let version = match table.get("version") {
        None => FORMAT_VERSION,
        Some(toml::Value::Integer(v)) => *v,
        Some(other) => {
            return Parsed::Unreadable(format!(
                "`version` should be a number, found {}",
                other.type_str()
            ));
        }
    };
    if version > FORMAT_VERSION {
        return Parsed::Newer(version);
    }
    let mut warnings = Vec::new();
    let default = match table.get("default") {
        None => None,
        Some(toml::Value::String(s)) => Some(s.clone()),
        Some(other) => {
            warnings.push(format!(
                "`default` should be a profile id, found {}; no default is set",
                other.type_str()
            ));
            None
        }
    };
    let entries = match table.get("profiles") {
        None => Vec::new(),
        Some(toml::Value::Array(a)) => a.clone(),
        Some(other) => {
            return Parsed::Unreadable(format!(
                "`profiles` should be a list of tables, found {}",
                other.type_str()
            ));
        }
    };
    let mut profiles: Vec<Profile> = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let label = entry
            .get("name")
            .and_then(toml::Value::as_str)
            .map_or_else(|| format!("entry {}", i + 1), |n| format!("{n:?}"));
        let profile = match entry.try_into::<Profile>() {
            Ok(p) => p,
            Err(e) => {
                warnings.push(format!(
                    "profile {label} was set aside: {}",
                    first_line(&e.to_string())
                ));
                continue;
            }
        };
        if let Err(e) = profile.validate() {
            warnings.push(format!("profile {label} was set aside: {e}"));
            continue;
        }
        if profiles.iter().any(|p| p.id == profile.id) {
            warnings.push(format!(
                "profile {label} was set aside: its id repeats an earlier entry"
            ));
            continue;
        }
        if profiles.iter().any(|p| p.name == profile.name) {
            warnings.push(format!(
                "profile {label} was set aside: its name repeats an earlier entry"
            ));
            continue;
        }
        profiles.push(profile);
    }
    let mut file = ProfilesFile {
        version: FORMAT_VERSION,
        default,
        profiles,
    };
    if let Some(d) = &file.default
        && !file.profiles.iter().any(|p| &p.id == d)
    {
        warnings.push("the default profile no longer exists; no default is set".into());
        file.default = None;
    }
    if warnings.is_empty() {
        Parsed::Clean(file)
    } else {
        Parsed::Partial(file, warnings)
    }
}

pub fn render(file: &ProfilesFile) -> Result<String, toml::ser::Error> {
    let body = toml::to_string_pretty(file)?;
    Ok(format!(
        "# Backend.AI Launcher profiles. No secrets here: they are in the OS keyring.\n\
         # Edit with `bai profile ...` or the app; a hand edit that does not parse is set aside.\n\n{body}"
    ))
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
version = 1
default = "11111111-1111-1111-1111-111111111111"

[[profiles]]
id = "11111111-1111-1111-1111-111111111111"
name = "work"
endpoint = "https://api.example.com"
kind = "api"
access_key = "AKIAIOSFODNN7EXAMPLE"

[[profiles]]
id = "22222222-2222-2222-2222-222222222222"
name = "lab"
endpoint = "https://web.example.com"
kind = "webserver"
email = "me@example.com"
"#;

    #[test]
    fn round_trips() {
        let Parsed::Clean(f) = parse(GOOD) else {
            panic!("should parse cleanly")
        };
        assert_eq!(f.profiles.len(), 2);
        let text = render(&f).expect("renders");
        let Parsed::Clean(again) = parse(&text) else {
            panic!("rendered text should parse")
        };
        assert_eq!(again, f);
    }

    #[test]
    fn sets_aside_a_bad_entry_and_keeps_the_rest() {
        let text = GOOD.replace("kind = \"webserver\"", "kind = \"carrier-pigeon\"");
        let Parsed::Partial(f, warnings) = parse(&text) else {
            panic!("should be partial")
        };
        assert_eq!(f.profiles.len(), 1);
        assert_eq!(f.profiles[0].name, "work");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("\"lab\""), "{warnings:?}");
    }

    #[test]
    fn refuses_garbage_and_newer_versions() {
        assert!(matches!(parse("this is [not toml"), Parsed::Unreadable(_)));
        assert!(matches!(parse("version = 7"), Parsed::Newer(7)));
        assert!(matches!(parse(""), Parsed::Clean(f) if f.profiles.is_empty()));
    }

    #[test]
    fn drops_a_dangling_default() {
        let text = GOOD.replace("default = \"1111", "default = \"9999");
        let Parsed::Partial(f, w) = parse(&text) else {
            panic!("partial")
        };
        assert_eq!(f.default, None);
        assert!(w[0].contains("default"));
    }
}
