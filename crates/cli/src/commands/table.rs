//! The one table printer behind every listing (`profile list`, `sessions`, `apps`, `images`,
//! `presets`, `profile secrets`): left-aligned columns, two spaces apart.

use bai_core::text::for_terminal;
use unicode_width::UnicodeWidthStr;

use super::profile::Context;
use crate::report::CliError;

/// Print `header` and `rows`. Cells mostly hold server text, so each is made one safe line
/// (control characters, newlines included, shown escaped) before it is measured. Columns are
/// measured in terminal cells, not characters: a Korean or other CJK character takes two
/// cells, and counting it as one would push the following columns out of line.
pub fn print_table<const N: usize>(
    ctx: &mut Context<'_>,
    header: [&str; N],
    rows: &[[String; N]],
) -> Result<(), CliError> {
    for line in lines(header, rows) {
        writeln!(ctx.out, "{line}")?;
    }
    Ok(())
}

/// The table's lines, header first, without trailing spaces.
fn lines<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> Vec<String> {
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|r| r.clone().map(|c| for_terminal(&c).into_owned()))
        .collect();
    let mut widths = header.map(UnicodeWidthStr::width);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.width());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            s.push_str(cell);
            if i + 1 < N {
                // `format!("{:<w$}")` pads to a count of chars, hence the explicit padding.
                s.push_str(&" ".repeat(w - cell.width() + 2));
            }
        }
        s
    };
    std::iter::once(line(header.to_vec()))
        .chain(
            rows.iter()
                .map(|r| line(r.iter().map(String::as_str).collect())),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_keep_the_columns_in_line() {
        let rows = [
            [
                "연구실".to_owned(),
                "api".to_owned(),
                "https://a".to_owned(),
            ],
            [
                "work".to_owned(),
                "webserver".to_owned(),
                "https://b".to_owned(),
            ],
            [
                "東京ラボ".to_owned(),
                "api".to_owned(),
                "https://c".to_owned(),
            ],
        ];
        let lines = lines(["NAME", "KIND", "ENDPOINT"], &rows);
        assert_eq!(
            lines,
            [
                "NAME      KIND       ENDPOINT",
                "연구실    api        https://a",
                "work      webserver  https://b",
                "東京ラボ  api        https://c",
            ]
        );
        // Each third column starts at the same terminal column.
        for l in &lines {
            let third = l.rfind("  ").expect("columns") + 2;
            assert_eq!(l[..third].width(), 21, "{l}");
        }
    }

    #[test]
    fn control_characters_are_escaped_before_measuring() {
        let rows = [["a\nb".to_owned(), "x".to_owned()]];
        let lines = lines(["NAME", "V"], &rows);
        assert_eq!(lines, ["NAME    V", "a\\x0ab  x"]);
    }
}
