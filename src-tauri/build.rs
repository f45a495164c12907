//! Declares every app command in the ACL manifest, so that a command is callable only where a
//! capability grants it (the "launcher" window), never from a remote page or a notebook window.

// The list lives in the crate so that tests can iterate over the very same names.
include!("src/commands/names.rs");

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}
