//! The one error type of `bai-secrets`, with stable codes.

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No usable OS keyring: no D-Bus session, no Secret Service provider, or a locked
    /// collection. The message says what to start or unlock.
    #[error("the OS keyring is not available: {hint}")]
    KeyringUnavailable { hint: String },

    #[error("the OS keyring refused the operation: {detail}")]
    Keyring { detail: String },

    #[error("unknown secret kind {kind:?}")]
    UnknownKind { kind: String },
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::KeyringUnavailable { .. } => "keyring-unavailable",
            Error::Keyring { .. } => "keyring-error",
            Error::UnknownKind { .. } => "invalid-input",
        }
    }
}
