//! The OS keyring as a [`SecretStore`]: the Secret Service on Linux (GNOME Keyring, KWallet,
//! KeePassXC), the Keychain on macOS, the Credential Manager on Windows.
//!
//! Entries are named `<profile id>/<kind>` under one service name. OS keyrings cannot list
//! entries portably, so the store also keeps an index entry (profile ids and kinds, no secret)
//! under the same service. The index is written before a secret and trimmed after a deletion,
//! so it always covers what exists; `list` checks each indexed entry still exists.

use std::collections::BTreeSet;

use crate::error::Error;
use crate::secret::Secret;
use crate::store::{SecretKind, SecretRef, SecretStore};

/// The keyring service name of the launcher's entries.
pub const SERVICE: &str = "ai.backend.launcher";
const INDEX_USER: &str = "index";

/// The OS keyring. `service` is [`SERVICE`] in the app and CLI; tests use their own.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new() -> Self {
        Self::with_service(SERVICE)
    }

    pub fn with_service(service: impl Into<String>) -> Self {
        KeyringStore {
            service: service.into(),
        }
    }

    /// Check the keyring answers (a read of the index), so callers can report
    /// `keyring-unavailable` up front instead of at the first secret.
    pub fn probe(&self) -> Result<(), Error> {
        self.read_index().map(|_| ())
    }

    fn entry(&self, user: &str) -> Result<keyring::Entry, Error> {
        keyring::Entry::new(&self.service, user).map_err(map_error)
    }

    fn read_index(&self) -> Result<BTreeSet<String>, Error> {
        match self.entry(INDEX_USER)?.get_password() {
            Ok(text) => Ok(serde_json::from_str(&text).unwrap_or_else(|e| {
                // A damaged index only costs orphan detection; never fail secret access on it.
                tracing::warn!("keyring index unreadable ({e}); starting a new one");
                BTreeSet::new()
            })),
            Err(keyring::Error::NoEntry) => Ok(BTreeSet::new()),
            Err(e) => Err(map_error(e)),
        }
    }

    fn write_index(&self, index: &BTreeSet<String>) -> Result<(), Error> {
        let entry = self.entry(INDEX_USER)?;
        if index.is_empty() {
            return match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(map_error(e)),
            };
        }
        let text = serde_json::to_string(index).map_err(|e| Error::Keyring {
            detail: e.to_string(),
        })?;
        entry.set_password(&text).map_err(map_error)
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

fn user_of(at: &SecretRef) -> String {
    format!("{}/{}", at.profile_id, at.kind)
}

fn parse_user(user: &str) -> Option<SecretRef> {
    let (id, kind) = user.rsplit_once('/')?;
    let kind: SecretKind = kind.parse().ok()?;
    Some(SecretRef::new(id, kind))
}

impl SecretStore for KeyringStore {
    fn set(&self, at: &SecretRef, value: &Secret) -> Result<(), Error> {
        let user = user_of(at);
        let mut index = self.read_index()?;
        if index.insert(user.clone()) {
            self.write_index(&index)?;
        }
        self.entry(&user)?
            .set_password(value.expose())
            .map_err(map_error)
    }

    fn get(&self, at: &SecretRef) -> Result<Option<Secret>, Error> {
        match self.entry(&user_of(at))?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn delete(&self, at: &SecretRef) -> Result<(), Error> {
        let user = user_of(at);
        match self.entry(&user)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(map_error(e)),
        }
        let mut index = self.read_index()?;
        if index.remove(&user) {
            self.write_index(&index)?;
        }
        Ok(())
    }

    fn list(&self) -> Result<Vec<SecretRef>, Error> {
        let mut out = Vec::new();
        for user in self.read_index()? {
            let Some(at) = parse_user(&user) else {
                continue;
            };
            if self.get(&at)?.is_some() {
                out.push(at);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Turn the keyring crate's errors into ours, with what to start or unlock.
fn map_error(e: keyring::Error) -> Error {
    match e {
        keyring::Error::PlatformFailure(inner) => {
            let text = inner.to_string();
            let hint = if text.contains("org.freedesktop.secrets") {
                "no Secret Service provider is running. Start one (GNOME Keyring, KWallet or KeePassXC with Secret Service enabled), or on a headless machine: `gnome-keyring-daemon --start --components=secrets` inside a D-Bus session".to_owned()
            } else if text.contains("autolaunch") || text.to_ascii_lowercase().contains("dbus") {
                "no D-Bus session bus is reachable (DBUS_SESSION_BUS_ADDRESS). Run from a desktop session, or start one with `dbus-run-session -- <command>`".to_owned()
            } else {
                format!("the platform keyring failed ({text})")
            };
            Error::KeyringUnavailable { hint }
        }
        keyring::Error::NoStorageAccess(inner) => Error::KeyringUnavailable {
            hint: format!(
                "the keyring is locked or has no default collection ({inner}). Unlock it (log in to the desktop, or `gnome-keyring-daemon --unlock`) and try again"
            ),
        },
        other => Error::Keyring {
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_round_trip() {
        let at = SecretRef::new("3f1c-uuid", SecretKind::LoginSession);
        assert_eq!(user_of(&at), "3f1c-uuid/login-session");
        assert_eq!(parse_user(&user_of(&at)), Some(at));
        assert_eq!(parse_user("index"), None);
        assert_eq!(parse_user("x/unknown-kind"), None);
    }
}
