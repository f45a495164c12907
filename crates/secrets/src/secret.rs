//! A secret value that cannot leak by accident: `Debug`, `Display` and `Serialize` all print a
//! fixed placeholder, and the value is zeroised on drop (via `secrecy`). Reading it takes an
//! explicit `expose()`, which is easy to find in review.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What every redacted rendering shows instead of the value.
pub const REDACTED: &str = "[redacted]";

/// What people are shown for a stored secret: the same for every value, so it tells nothing of
/// the value, not even its length.
pub const MASK: &str = "********";

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

    /// The rendering for people: [`MASK`], whatever the value. No character of a secret is
    /// ever shown, not even the first and last ones (a password's or key's head and tail
    /// narrow a guess, and end up in screenshots and terminal scrollback); the access key, not
    /// the secret, tells two keys apart.
    pub fn masked(&self) -> String {
        MASK.to_owned()
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
    fn the_mask_reveals_no_character_of_the_value() {
        for value in [
            VALUE,
            "short",
            "ééééééééééééé",
            "p",
            "",
            "correct horse battery staple",
            "********",
            "0123456789abcdefghijklmnopqrstuvwxyz",
        ] {
            let masked = Secret::new(value).masked();
            assert_eq!(masked, MASK, "{value:?}");
            for c in value.chars().filter(|c| *c != '*') {
                assert!(
                    !masked.contains(c),
                    "{c:?} of {value:?} shows in {masked:?}"
                );
            }
        }
        // Nor its length.
        assert_eq!(Secret::new("a").masked(), Secret::new(VALUE).masked());
    }

    #[test]
    fn deserializes_from_a_plain_string() {
        let s: Secret = serde_json::from_str("\"abc\"").expect("deserializes");
        assert_eq!(s.expose(), "abc");
    }
}
