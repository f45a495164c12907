//! No import cycle between the desktop shell's modules, nor inside the session service: the
//! windows, the tray and notifications follow the service, and nothing they hold is called back
//! from below. Read from the source text (`use crate::…`, `use super::…` and `crate::a::b`
//! paths, comments left out), at file level; a folder's `mod.rs` naming its own children is ownership, not an
//! import, and the crate root wires everything, so neither counts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `root`, as its module path (`live::notebooks`; `mod.rs` is its
/// folder's module), with its text without `#[cfg(test)]` modules (tests may reach anywhere).
fn modules(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable source folder") {
            let path: PathBuf = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).expect("under root");
            let mut parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).expect("readable source");
            let text = match text.find("#[cfg(test)]") {
                Some(i) => text[..i].to_owned(),
                None => text,
            };
            // Comments name modules without importing them.
            let text: String = text
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(parts.join("::"), text);
        }
    }
    out
}

/// The modules `text` (of module `me`) takes names from, as known module paths.
fn imports(me: &str, text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let parent = me.rsplit_once("::").map(|(p, _)| p).unwrap_or("");
    for (prefix, base) in [("crate::", ""), ("super::", parent), ("self::", me)] {
        let mut rest = text;
        while let Some(i) = rest.find(prefix) {
            let after = &rest[i + prefix.len()..];
            rest = after;
            // The longest known module the path names: `crate::live::notebooks::x` → that file.
            let path: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut best = None;
            let mut acc = base.to_owned();
            for seg in path.split("::").filter(|s| !s.is_empty()) {
                acc = if acc.is_empty() {
                    seg.to_owned()
                } else {
                    format!("{acc}::{seg}")
                };
                if known.contains(&acc) {
                    best = Some(acc.clone());
                }
            }
            // `use super::{a, b}` names several children of the parent.
            if let Some(group) = after.strip_prefix('{') {
                for seg in group.split('}').next().unwrap_or("").split(',') {
                    let seg = seg.trim().split("::").next().unwrap_or("");
                    let m = if base.is_empty() {
                        seg.to_owned()
                    } else {
                        format!("{base}::{seg}")
                    };
                    if known.contains(&m) && m != me {
                        found.insert(m);
                    }
                }
            }
            match best {
                Some(m) if m != me => {
                    found.insert(m);
                }
                // `super::Name`: a name the parent module's file defines.
                None if prefix != "crate::" && known.contains(base) && base != me => {
                    found.insert(base.to_owned());
                }
                _ => {}
            }
        }
    }
    // A folder's module naming its own children owns them; the root wires everything.
    found.retain(|m| !m.starts_with(&format!("{me}::")) || me.is_empty());
    if me.is_empty() {
        found.clear();
    }
    found
}

fn cycles(root: &Path) -> Vec<Vec<String>> {
    let mods = modules(root);
    let known: BTreeSet<String> = mods.keys().cloned().collect();
    let graph: BTreeMap<String, BTreeSet<String>> = mods
        .iter()
        .map(|(m, text)| (m.clone(), imports(m, text, &known)))
        .collect();
    let mut found = Vec::new();
    for start in graph.keys() {
        // Depth-first from `start`, reporting paths back to it (each cycle once, from its
        // smallest member).
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((at, path)) = stack.pop() {
            for next in &graph[&at] {
                if next == start {
                    found.push(path.clone());
                } else if next > start && !path.contains(next) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    found
}

fn root(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn the_shell_has_no_import_cycle() {
    let found = cycles(&root("src"));
    assert!(
        found.is_empty(),
        "import cycles in src-tauri/src: {found:?}"
    );
}

#[test]
fn the_session_service_has_no_import_cycle() {
    let found = cycles(&root("../crates/core/src/live"));
    assert!(
        found.is_empty(),
        "import cycles in crates/core/src/live: {found:?}"
    );
}

/// The check sees a cycle where there is one.
#[test]
fn a_cycle_is_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("live")).expect("mkdir");
    std::fs::write(dir.path().join("lib.rs"), "pub mod live; pub mod tray;").expect("write");
    std::fs::write(dir.path().join("live/mod.rs"), "pub mod watcher;").expect("write");
    std::fs::write(
        dir.path().join("live/watcher.rs"),
        "fn f() { crate::tray::refresh(); }",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("tray.rs"),
        "use crate::live::watcher;\nfn g() { watcher::sync(); }",
    )
    .expect("write");
    let found = cycles(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    let mut members = found[0].clone();
    members.sort();
    assert_eq!(members, ["live::watcher", "tray"]);

    // And a child naming its parent's items, while the parent uses the child: also a cycle.
    std::fs::write(dir.path().join("tray.rs"), "fn g() {}").expect("write");
    std::fs::write(
        dir.path().join("live/mod.rs"),
        "pub mod watcher; pub struct Live; fn h() { crate::tray::g(); }",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("tray.rs"),
        "use crate::live::Live; fn g() {}",
    )
    .expect("write");
    let found = cycles(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
}
