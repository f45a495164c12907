//! A secret value that cannot leak by accident: `Debug`, `Display` and `Serialize` all print a
//! fixed placeholder, and the value is zeroised on drop (via `secrecy`). Reading it takes an
//! explicit `expose()`, which is easy to find in review.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What every redacted rendering shows instead of the value.
pub const REDACTED: &str = "[redacted]";

/// A secret string (secret key, password, login-session id).
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The plain value. Call only where the value must leave the process (a signature, a
    /// keyring write, an HTTP header) and never to print or log it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// A masked rendering for people: the first and last two characters of a long value
    /// (enough to tell two keys apart, as the official CLI does), nothing of a short one.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.expose().chars().collect();
        if chars.len() < 12 {
            return "****".to_owned();
        }
        let head: String = chars[..2].iter().collect();
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("{head}****{tail}")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<Secret> for SecretString {
    fn from(s: Secret) -> Self {
        s.0
    }
}

impl From<SecretString> for Secret {
    fn from(s: SecretString) -> Self {
        Secret(s)
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        // Length leaks nothing useful here and the comparison is only used in tests and
        // change detection; timing-safe comparison matters on servers, not in this process.
        self.expose() == other.expose()
    }
}
impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn never_renders_the_value() {
        let s = Secret::new(VALUE);
        #[derive(Serialize, Debug)]
        struct Holder {
            secret: Secret,
        }
        let h = Holder { secret: s.clone() };
        for rendered in [
            format!("{s}"),
            format!("{s:?}"),
            format!("{h:?}"),
            format!("{h:#?}"),
            serde_json::to_string(&h).expect("serializes"),
        ] {
            assert!(!rendered.contains(VALUE), "{rendered}");
            assert!(!rendered.contains("EXAMPLEKEY"), "{rendered}");
            assert!(rendered.contains(REDACTED), "{rendered}");
        }
        assert_eq!(s.expose(), VALUE);
    }

    #[test]
    fn masks_long_values_only() {
        assert_eq!(Secret::new(VALUE).masked(), "wJ****EY");
        assert_eq!(Secret::new("short").masked(), "****");
        assert_eq!(Secret::new("ééééééééééééé").masked(), "éé****éé");
    }

    #[test]
    fn deserializes_from_a_plain_string() {
        let s: Secret = serde_json::from_str("\"abc\"").expect("deserializes");
        assert_eq!(s.expose(), "abc");
    }
}
