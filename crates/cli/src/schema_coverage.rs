//! Every command has a JSON Schema for its `--json` output in `schemas/` (named by its path,
//! `profile list` → `profile-list.json`), and every schema names a command (or is `error`).
//! `tests/json_output.rs` runs the commands and validates what they print.

use std::collections::BTreeSet;

use clap::CommandFactory;

use crate::cli::Cli;

/// The leaf commands' schema names, from clap's command tree.
fn leaf_names(cmd: &clap::Command, prefix: &str, out: &mut BTreeSet<String>) {
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = if prefix.is_empty() {
            sub.get_name().to_owned()
        } else {
            format!("{prefix}-{}", sub.get_name())
        };
        if sub.has_subcommands() {
            leaf_names(sub, &name, out);
        } else {
            out.insert(name);
        }
    }
}

#[test]
fn every_command_has_a_json_schema() {
    let mut commands = BTreeSet::new();
    leaf_names(&Cli::command(), "", &mut commands);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let schemas: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("schemas/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
        .filter(|n| n != "error")
        .collect();
    let missing: Vec<_> = commands.difference(&schemas).collect();
    assert!(
        missing.is_empty(),
        "commands without a schema in {}: {missing:?}",
        dir.display()
    );
    let stale: Vec<_> = schemas.difference(&commands).collect();
    assert!(stale.is_empty(), "schemas without a command: {stale:?}");
    for name in schemas.iter().map(String::as_str).chain(["error"]) {
        let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("schema");
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}.json: {e}"));
        assert!(v.is_object(), "{name}.json");
    }
}
