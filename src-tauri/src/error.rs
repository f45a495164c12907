//! The error every command returns. The UI receives it as `{code, message}`: it branches on the
//! stable `code` and shows the `message`, and never parses message text.

use std::fmt;

use serde::Serialize;

/// A command failure as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    /// A stable machine code, e.g. `auth-failed` (from `bai_core::Error::code`) or one of the
    /// shell's own codes.
    pub code: String,
    /// What went wrong and what to do about it, for a person to read. Never holds a secret.
    pub message: String,
}

impl CommandError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        CommandError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<bai_core::Error> for CommandError {
    fn from(e: bai_core::Error) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

impl From<bai_secrets::Error> for CommandError {
    fn from(e: bai_secrets::Error) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for CommandError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_code_and_message() {
        let core = bai_core::Error::InvalidInput {
            field: "endpoint".into(),
            reason: "must start with http:// or https://".into(),
        };
        let expected_message = core.to_string();
        let e = CommandError::from(core);
        assert_eq!(e.code, "invalid-input");
        assert_eq!(e.message, expected_message);
    }

    #[test]
    fn serializes_as_code_and_message_only() {
        let e = CommandError::new("not-found", "no profile named \"lab\"");
        let v = serde_json::to_value(&e).expect("serializable");
        assert_eq!(
            v,
            serde_json::json!({"code": "not-found", "message": "no profile named \"lab\""})
        );
    }
}
