//! The small interface every secret store implements: the OS keyring for the app and CLI, an
//! in-memory map for unit tests. Secrets are keyed by profile id (never by display name), so a
//! rename keeps them.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::secret::Secret;

/// Which secret of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKind {
    /// The keypair's secret key (manager API mode).
    SecretKey,
    /// The account password (webserver mode; stored only when the user asks).
    Password,
    /// The webserver login-session id, reused until it expires.
    LoginSession,
}

impl SecretKind {
    pub const ALL: [SecretKind; 3] = [
        SecretKind::SecretKey,
        SecretKind::Password,
        SecretKind::LoginSession,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::SecretKey => "secret-key",
            SecretKind::Password => "password",
            SecretKind::LoginSession => "login-session",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SecretKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        SecretKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::UnknownKind { kind: s.to_owned() })
    }
}

/// Where one secret lives: a profile id and a kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretRef {
    pub profile_id: String,
    pub kind: SecretKind,
}

impl SecretRef {
    pub fn new(profile_id: impl Into<String>, kind: SecretKind) -> Self {
        SecretRef {
            profile_id: profile_id.into(),
            kind,
        }
    }
}

/// A place to keep secrets. Implementations must be safe to share between threads.
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// Store or replace a secret.
    fn set(&self, at: &SecretRef, value: &Secret) -> Result<(), Error>;
    /// Read a secret; `Ok(None)` when there is none.
    fn get(&self, at: &SecretRef) -> Result<Option<Secret>, Error>;
    /// Delete a secret; deleting a missing one is not an error.
    fn delete(&self, at: &SecretRef) -> Result<(), Error>;
    /// Every secret this store holds for the launcher (to find ones whose profile is gone).
    fn list(&self) -> Result<Vec<SecretRef>, Error>;

    /// Delete every secret of a profile.
    fn delete_profile(&self, profile_id: &str) -> Result<(), Error> {
        for kind in SecretKind::ALL {
            self.delete(&SecretRef::new(profile_id, kind))?;
        }
        Ok(())
    }
}
