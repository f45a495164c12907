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
    /// The core's message, except where it names a `bai …` command as the next step (the CLI
    /// still shows those): the app says which button to press instead. Same code either way.
    fn from(e: bai_core::Error) -> Self {
        app_problem(&e).into()
    }
}

/// The app's own words for the core errors whose message tells a CLI user what to run.
fn app_words(e: &bai_core::Error) -> Option<String> {
    use bai_core::Error;
    Some(match e {
        Error::ProfileNotFound { name } => format!(
            "there is no profile named {name:?} any more: choose one from the list of profiles"
        ),
        Error::SecretMissing { profile, what, .. } => format!(
            "no {what} is stored for the profile {profile:?}: select it, press Edit and enter the {what} again"
        ),
        Error::NoDefaultProfile => "Quick start uses the default profile, and there is none. Add a profile (or try the demo) and make it the default.".to_owned(),
        Error::NoNotebookImage => "this cluster has no installed image that offers Jupyter: choose a quick-start image in Settings".to_owned(),
        Error::AgainNameTaken { name } => format!(
            "session {name:?} has not ended yet, so it cannot be launched again under its name: open it from the list of sessions, or terminate it first"
        ),
        Error::NotOwnSession { .. } => "This session belongs to another user; the launcher only ends your own sessions.".to_owned(),
        Error::ActiveLoginSessionExists { .. } => "this account is already signed in elsewhere as many times as its limit allows. Sign in again and choose to sign the other session out: the oldest session elsewhere is then signed out".to_owned(),
        Error::ConfigIo {
            action,
            path,
            detail,
        } if detail.contains("`bai ") => {
            // "<the I/O error>; fix the path with `bai profile edit …`"
            let cause = detail.split("; ").next().unwrap_or_default();
            format!(
                "cannot {action} {path}: {cause}. Select the profile, press Edit and choose a readable certificate file"
            )
        }
        Error::InvalidInput { reason, .. }
            if reason.contains("`bai ") && reason.contains("email and password") =>
        {
            "this endpoint signs in with an email and password: press Add a profile, choose sign-in with email and password, and enter them".to_owned()
        }
        _ => {
            let text = e.to_string();
            let at = text.find("`bai ")?;
            // A core message that names a CLI command and has no app wording of its own: keep
            // what went wrong (up to the clause that names the command), drop the CLI step.
            let head = &text[..at];
            let cut = [": ", "; ", " ("]
                .iter()
                .filter_map(|sep| head.rfind(sep))
                .max()
                .unwrap_or(head.len());
            head[..cut].trim_end().to_owned()
        }
    })
}

/// The app's words for a core error in what the session service publishes (a list's or a
/// launch's error): see [`bai_core::live::Wording`].
pub fn app_problem(e: &bai_core::Error) -> bai_core::live::Problem {
    let message = app_words(e).unwrap_or_else(|| e.to_string());
    bai_core::live::Problem::new(e.code(), message)
}

impl From<bai_core::live::Problem> for CommandError {
    fn from(p: bai_core::live::Problem) -> Self {
        CommandError::new(p.code, p.message)
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

    /// Every core error that names a `bai …` command in the CLI gets the app's words instead,
    /// with its code unchanged.
    #[test]
    fn no_app_message_names_a_cli_command() {
        use bai_core::Error;
        let io = || std::io::Error::from(std::io::ErrorKind::NotFound).to_string();
        let cases = vec![
            Error::ProfileNotFound { name: "lab".into() },
            Error::SecretMissing {
                profile: "lab".into(),
                what: "secret key".into(),
                fix: "store it with `bai profile edit \"lab\" --secret-key-stdin`".into(),
            },
            Error::ActiveLoginSessionExists {
                profile: Some("lab".into()),
            },
            Error::ActiveLoginSessionExists { profile: None },
            Error::ConfigIo {
                action: "read the CA certificate".into(),
                path: "/nope/ca.pem".into(),
                detail: format!("{}; fix the path with `bai profile edit lab --ca-cert FILE`", io()),
            },
            Error::InvalidInput {
                field: "profile".into(),
                reason: "webserver endpoints need an email and password: add a profile with `bai profile add`".into(),
            },
            Error::InvalidInput {
                field: "file".into(),
                reason: "it has no `version = 1`: it is not what `bai profile export` writes".into(),
            },
            Error::LoginRequired,
            Error::OtpRequired,
            Error::TotpRegistrationRequired,
            Error::PasswordExpired,
        ];
        for core in cases {
            let code = core.code();
            let cli = core.to_string();
            let e = CommandError::from(core);
            assert_eq!(e.code, code);
            assert!(!e.message.contains("`bai "), "{code}: {}", e.message);
            assert!(!e.message.contains("bai profile"), "{code}: {}", e.message);
            assert!(!e.message.trim().is_empty(), "{code}: from {cli}");
        }
    }

    #[test]
    fn the_app_names_a_button_where_the_cli_names_a_command() {
        let e = CommandError::from(bai_core::Error::SecretMissing {
            profile: "lab".into(),
            what: "secret key".into(),
            fix: "store it with `bai profile edit \"lab\" --secret-key-stdin`".into(),
        });
        assert_eq!(e.code, "secret-missing");
        assert!(e.message.contains("press Edit"), "{}", e.message);
        let e = CommandError::from(bai_core::Error::ConfigIo {
            action: "read the CA certificate".into(),
            path: "/nope/ca.pem".into(),
            detail: "No such file or directory (os error 2); fix the path with `bai profile edit lab --ca-cert FILE`".into(),
        });
        assert!(
            e.message
                .contains("/nope/ca.pem: No such file or directory (os error 2)")
                && e.message.contains("press Edit"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_cli_step_without_app_words_is_left_out() {
        let e = CommandError::from(bai_core::Error::InvalidInput {
            field: "file".into(),
            reason: "it has no `version = 1`: it is not what `bai profile export` writes".into(),
        });
        assert_eq!(e.code, "invalid-input");
        assert_eq!(e.message, "invalid file: it has no `version = 1`");
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
