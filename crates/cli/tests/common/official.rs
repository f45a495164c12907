//! The official Backend.AI client (`backend.ai` from backend.ai-client 26.9.6), to write the
//! files `bai profile import --official` reads exactly as users have them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The official client from `scripts/python-env.sh`'s venv (or `BAI_OFFICIAL_CLI`). Missing,
/// it fails the test in CI (or when `BAI_OFFICIAL_CLI` names it) and skips it elsewhere.
pub fn cli() -> Option<PathBuf> {
    let named = std::env::var_os("BAI_OFFICIAL_CLI").map(PathBuf::from);
    let path = named.clone().unwrap_or_else(|| {
        let cache = std::env::var_os("BAI_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                    .join(".cache/bai-launcher")
            });
        cache.join("sdk/bin/backend.ai")
    });
    if path.is_file() {
        return Some(path);
    }
    let why = format!(
        "the official client (backend.ai-client 26.9.6) is not at {}: run scripts/python-env.sh sdk, or set BAI_OFFICIAL_CLI",
        path.display()
    );
    if named.is_some() || std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
    None
}

/// Run the official client with `home` as HOME and current folder, none of the caller's
/// BACKEND_* variables, and `env` added.
pub fn run(cli: &Path, home: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut c = Command::new(cli);
    c.args(args).current_dir(home).env("HOME", home);
    for (k, _) in std::env::vars() {
        if k.starts_with("BACKEND_") || k.starts_with("SORNA_") {
            c.env_remove(k);
        }
    }
    c.envs(env.iter().copied());
    let out = c.output().expect("backend.ai runs");
    assert!(
        out.status.success(),
        "backend.ai {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
