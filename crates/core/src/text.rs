//! Text from a server, made safe to print on a terminal.
//!
//! Session names, statuses, image names, user names and error details come from the server (or
//! from whoever named the session). A terminal acts on control characters in them: ESC starts
//! sequences that set the window title, write the clipboard (OSC 52) or redraw the screen, C1
//! controls (U+0080 to U+009F) do the same in terminals that honour them, and a carriage return
//! or bidi override makes a line read differently from what it holds. So every such character
//! is shown as a visible escape (`\x1b`, `\u009b`, `\u202e`) instead: the user sees that
//! something odd was there, and the rest of the sequence prints as harmless text. The `\u`
//! form is also a valid JSON and TOML escape, so escaping a JSON or TOML document keeps it
//! valid and meaning the same.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` with every control character escaped, newlines and tabs included: for one-line fields
/// (a table cell, a name in a sentence).
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// `s` with every control character escaped except newlines and tabs: for messages that may
/// span lines (an error's detail, a block of output).
pub fn for_terminal_lines(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

fn escape(s: &str, keep_lines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| needs_escape(c) && !(keep_lines && matches!(c, '\n' | '\t'));
    let Some(first) = s.find(unsafe_char) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if !unsafe_char(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            // C0 controls and DEL: the form people know from `\x1b[31m`.
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    // `char::is_control` is exactly C0, DEL and C1.
    c.is_control() || is_bidi_control(c)
}

/// The embeddings, overrides and isolates that reorder how a line is shown. (The plain marks,
/// LRM and RLM, only nudge neutral characters and are left alone.)
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_untouched() {
        for s in ["nb-1", "RUNNING", "héllo wörld ✓ 日本語", "", "a\\x1b"] {
            assert!(matches!(for_terminal(s), Cow::Borrowed(b) if b == s), "{s}");
        }
    }

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        let osc52 = "nb\x1b]52;c;aGVsbG8=\x07";
        assert_eq!(for_terminal(osc52), "nb\\x1b]52;c;aGVsbG8=\\x07");
        assert_eq!(for_terminal("\x1b]0;title\x1b\\"), "\\x1b]0;title\\x1b\\");
        assert_eq!(for_terminal("\x1b[2J\x1b[31mred"), "\\x1b[2J\\x1b[31mred");
        // 8-bit CSI and OSC, as UTF-8.
        assert_eq!(
            for_terminal("a\u{9b}2Jb\u{9d}0;t\u{9c}"),
            "a\\u009b2Jb\\u009d0;t\\u009c"
        );
        assert_eq!(for_terminal("ok\rEVIL\x7f\x00"), "ok\\x0dEVIL\\x7f\\x00");
        assert_eq!(for_terminal("abc\u{202e}fed"), "abc\\u202efed");
    }

    #[test]
    fn newlines_are_kept_only_in_multi_line_text() {
        assert_eq!(for_terminal("a\nb\tc"), "a\\x0ab\\x09c");
        assert_eq!(for_terminal_lines("a\nb\tc\r\n\x1b"), "a\nb\tc\\x0d\n\\x1b");
    }

    #[test]
    fn nothing_a_terminal_acts_on_survives() {
        let all: String = (0u32..0x300)
            .chain(0x2000..0x2070)
            .filter_map(char::from_u32)
            .collect();
        for out in [for_terminal(&all), for_terminal_lines(&all)] {
            assert!(
                !out.chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t' || is_bidi_control(c)),
                "{out:?}"
            );
        }
    }

    #[test]
    fn escaped_json_stays_json_with_the_same_meaning() {
        let value = serde_json::json!({"name": "x\u{9b}31m\u{202e}y"});
        let text = serde_json::to_string(&value).expect("json");
        let shown = for_terminal_lines(&text);
        assert_ne!(shown, text);
        let back: serde_json::Value = serde_json::from_str(&shown).expect("still JSON");
        assert_eq!(back, value);
    }
}
