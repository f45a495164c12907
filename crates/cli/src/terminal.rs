//! Output that a terminal cannot be steered by.
//!
//! Much of what `bai` prints comes from the server: session names and statuses, image names,
//! user names, error details. [`TerminalSafe`] passes all of stdout and stderr through
//! [`bai_core::text::for_terminal_lines`], so an escape sequence in any of it (a clipboard
//! write, a title change) is shown as text instead of obeyed, wherever it is printed. `bai`
//! itself prints no control characters besides newlines, so nothing of its own is lost; JSON
//! stays valid (see [`bai_core::text`]).

use std::io::{self, Write};

use bai_core::text::for_terminal_lines;

/// A writer that escapes control characters on their way to `W`.
#[derive(Debug)]
pub struct TerminalSafe<W>(pub W);

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // `write!` hands over whole `str` pieces, so a character is never split between calls;
        // bytes that are not UTF-8 are shown as `\xNN` rather than passed on.
        for chunk in buf.utf8_chunks() {
            self.0
                .write_all(for_terminal_lines(chunk.valid()).as_bytes())?;
            for b in chunk.invalid() {
                write!(self.0, "\\x{b:02x}")?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_on_the_way_through() {
        let mut w = TerminalSafe(Vec::new());
        let name = "x\x1b]0;t\x07";
        writeln!(w, "name: {name}").expect("write");
        w.write_all(b"bad \xff\xfe byte\n").expect("write");
        w.flush().expect("flush");
        assert_eq!(
            String::from_utf8(w.0).expect("utf8"),
            "name: x\\x1b]0;t\\x07\nbad \\xff\\xfe byte\n"
        );
    }
}
