//! The manager's session-name rule, checked locally so the user hears about it before a
//! round trip: `^(?=.{4,64}$)\w[\w.-]*\w$` with ASCII `\w`.

use crate::error::Error;

/// Check a session name; the error says which part of the rule is broken.
pub fn validate_session_name(name: &str) -> Result<(), Error> {
    let bad = |reason: String| Error::InvalidInput {
        field: "session name".into(),
        reason,
    };
    let len = name.chars().count();
    if !(4..=64).contains(&len) {
        return Err(bad(format!("{name:?} has {len} characters; use 4 to 64")));
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if let Some(c) = name.chars().find(|&c| !(word(c) || c == '.' || c == '-')) {
        return Err(bad(format!(
            "{name:?} contains {c:?}; use only letters a-z/A-Z, digits, '_', '-' and '.'"
        )));
    }
    let (first, last) = (name.chars().next(), name.chars().last());
    if !first.is_some_and(word) || !last.is_some_and(word) {
        return Err(bad(format!(
            "{name:?} must start and end with a letter, digit or '_'"
        )));
    }
    if name == "from-template" {
        return Err(bad("\"from-template\" is reserved by the server".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_the_manager_accepts() {
        for ok in ["abcd", "my-notebook_1", "a.b-c", "_x_y", &"n".repeat(64)] {
            validate_session_name(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn rejects_with_the_reason() {
        let cases = [
            ("abc", "4 to 64"),
            (&"n".repeat(65) as &str, "4 to 64"),
            ("my notebook", "contains ' '"),
            ("-abcd", "start and end"),
            ("abcd.", "start and end"),
            ("노트북입니다", "contains"),
            ("from-template", "reserved"),
        ];
        for (name, needle) in cases {
            let e = validate_session_name(name).expect_err(name);
            assert_eq!(e.code(), "invalid-input");
            assert!(e.to_string().contains(needle), "{name}: {e}");
        }
    }
}
