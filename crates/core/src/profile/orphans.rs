//! Which keyring secrets no profile uses any more: the one rule `bai profile secrets --orphans`
//! and the app share.
//!
//! The keyring is one per user, but profiles live in config directories, and a user may have
//! several (`--config-dir`, `BAI_CONFIG_DIR`). So a secret is an orphan only if no profile in
//! ANY known config directory uses it: the OS default one, `$BAI_CONFIG_DIR`, the current one,
//! and every one recorded in the registry of known directories ([`KnownDirs`], a 0600 file in
//! the default config directory that front ends update whenever they open a store).
//!
//! A file that was set aside (`profiles.toml.corrupt-<timestamp>`) still holds its profiles:
//! they count as users. Files are read leniently (every entry's `id`, whether or not the entry
//! would load). A file that cannot be read at all, or a registry that cannot be read, means
//! nothing can be called an orphan: the report says why instead.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use bai_secrets::{SecretRef, SecretStore};

use crate::error::{Error, Result};
use crate::private_fs::{check_private_dir, open_private_append, private_dir, replace_private};

use super::store::io_err;

/// The registry's file name, in the default config directory.
pub const REGISTRY_NAME: &str = "known-config-dirs.toml";
const REGISTRY_LOCK: &str = "known-config-dirs.lock";
/// Environment variable that moves the default config directory (and so the registry); for
/// tests and unusual setups.
pub const DEFAULT_CONFIG_DIR_ENV: &str = "BAI_DEFAULT_CONFIG_DIR";

const PROFILES_FILE: &str = "profiles.toml";

/// The config directories this user has used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDirs {
    /// The default config directory (always known; holds the registry).
    pub default_dir: Option<PathBuf>,
    /// Other directories that are always known (`$BAI_CONFIG_DIR`).
    pub also: Vec<PathBuf>,
}

impl KnownDirs {
    /// From the environment: `$BAI_DEFAULT_CONFIG_DIR`, else the OS per-user config directory;
    /// plus `$BAI_CONFIG_DIR` when set.
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| var(k).filter(|v| !v.trim().is_empty()).map(PathBuf::from);
        let default_dir = get(DEFAULT_CONFIG_DIR_ENV).or_else(|| {
            directories::ProjectDirs::from("ai", "backend", "backend.ai-launcher")
                .map(|d| d.config_dir().to_path_buf())
        });
        KnownDirs {
            default_dir,
            also: get(super::paths::CONFIG_DIR_ENV).into_iter().collect(),
        }
    }

    /// Known directories rooted at `default_dir` only (tests).
    pub fn at(default_dir: impl Into<PathBuf>) -> Self {
        KnownDirs {
            default_dir: Some(default_dir.into()),
            also: Vec::new(),
        }
    }

    fn registry(&self) -> Option<PathBuf> {
        self.default_dir.as_ref().map(|d| d.join(REGISTRY_NAME))
    }

    /// Remember `dir` (made absolute). Directories that no longer exist are dropped. The
    /// default directory itself is always known and is not written down.
    pub fn record(&self, dir: &Path) -> Result<()> {
        let (Some(default_dir), Some(path)) = (&self.default_dir, self.registry()) else {
            return Ok(());
        };
        let dir = absolute(dir);
        if same_dir(&dir, default_dir) {
            return Ok(());
        }
        private_dir(default_dir)?;
        let lock_path = default_dir.join(REGISTRY_LOCK);
        let lock = open_private_append(&lock_path).map_err(|e| io_err("open", &lock_path, &e))?;
        lock.lock().map_err(|e| io_err("lock", &lock_path, &e))?;
        // A registry that does not parse is left for the user to look at, not overwritten.
        let mut dirs = read_registry(&path)?;
        if dirs.iter().any(|d| same_dir(d, &dir)) {
            return Ok(());
        }
        dirs.retain(|d| d.exists());
        dirs.push(dir);
        let list: Vec<String> = dirs
            .iter()
            .filter_map(|d| d.to_str().map(str::to_owned))
            .collect();
        let text = format!(
            "# Config directories the Backend.AI launcher has used, so that a secret is called an\n\
             # orphan only when no profile in any of them uses it.\n{}",
            toml::to_string(&Registry {
                version: 1,
                dirs: list
            })
            .map_err(|e| Error::ConfigIo {
                action: "encode".into(),
                path: path.display().to_string(),
                detail: e.to_string(),
            })?
        );
        replace_private(&path, text.as_bytes()).map_err(|e| io_err("write", &path, &e))
    }

    /// Every known directory, `current` included, without repeats.
    pub fn all(&self, current: &Path) -> Result<Vec<PathBuf>> {
        let mut out: Vec<PathBuf> = Vec::new();
        let mut push = |d: PathBuf| {
            if !out.iter().any(|o| same_dir(o, &d)) {
                out.push(d);
            }
        };
        push(absolute(current));
        if let Some(d) = &self.default_dir {
            push(absolute(d));
        }
        for d in &self.also {
            push(absolute(d));
        }
        if let Some(path) = self.registry() {
            for d in read_registry(&path)? {
                push(d);
            }
        }
        Ok(out)
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Registry {
    version: i64,
    #[serde(default)]
    dirs: Vec<String>,
}

fn read_registry(path: &Path) -> Result<Vec<PathBuf>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("read", path, &e)),
    };
    let reg: Registry = toml::from_str(&text).map_err(|e| Error::ConfigIo {
        action: "read".into(),
        path: path.display().to_string(),
        detail: format!(
            "the list of config directories does not parse ({}); fix or delete it",
            e.to_string().lines().next().unwrap_or_default()
        ),
    })?;
    Ok(reg.dirs.into_iter().map(PathBuf::from).collect())
}

/// One profile that uses secrets, and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretUser {
    pub profile_id: String,
    /// The profile's name when the entry has one.
    pub name: Option<String>,
    pub config_dir: PathBuf,
    /// The file it is in (`profiles.toml`, or a set-aside copy).
    pub file: PathBuf,
    /// Whether that file was set aside (`profiles.toml.corrupt-*`).
    pub set_aside: bool,
}

/// What [`find_orphans`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrphanReport {
    /// The config directories that were looked at.
    pub dirs: Vec<PathBuf>,
    /// Secrets no profile anywhere uses. Empty whenever `blocked` is not.
    pub orphans: Vec<SecretRef>,
    /// Secrets kept, with the profile that uses each (the first one found).
    pub in_use: Vec<(SecretRef, SecretUser)>,
    /// Why nothing may be called an orphan (a file that cannot be read, ...).
    pub blocked: Vec<String>,
}

/// Sort the store's secrets into orphans and secrets in use, looking at every profiles file
/// (current and set aside) of every known config directory.
pub fn find_orphans(
    secrets: &dyn SecretStore,
    known: &KnownDirs,
    current: &Path,
) -> Result<OrphanReport> {
    let mut report = OrphanReport::default();
    let dirs = match known.all(current) {
        Ok(d) => d,
        Err(e) => {
            report.blocked.push(format!(
                "the list of known config directories could not be read: {e}"
            ));
            vec![absolute(current)]
        }
    };
    let mut users: BTreeMap<String, SecretUser> = BTreeMap::new();
    for dir in &dirs {
        scan_dir(dir, &mut users, &mut report.blocked);
    }
    report.dirs = dirs;
    let stored: BTreeSet<SecretRef> = secrets.list()?.into_iter().collect();
    for r in stored {
        match users.get(&r.profile_id) {
            Some(u) => report.in_use.push((r, u.clone())),
            None if report.blocked.is_empty() => report.orphans.push(r),
            None => {}
        }
    }
    Ok(report)
}

/// Delete what a fresh [`find_orphans`] calls orphans (never a stale list), and return them.
pub fn clean_orphans(
    secrets: &dyn SecretStore,
    known: &KnownDirs,
    current: &Path,
) -> Result<OrphanReport> {
    let report = find_orphans(secrets, known, current)?;
    for r in &report.orphans {
        secrets.delete(r)?;
    }
    Ok(report)
}

fn scan_dir(dir: &Path, users: &mut BTreeMap<String, SecretUser>, blocked: &mut Vec<String>) {
    match check_private_dir(dir) {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            blocked.push(format!("{}: {e}", dir.display()));
            return;
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            blocked.push(format!("{} cannot be listed: {e}", dir.display()));
            return;
        }
    };
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name == PROFILES_FILE {
            files.push((entry.path(), false));
        } else if name.starts_with(&format!("{PROFILES_FILE}.corrupt-")) {
            files.push((entry.path(), true));
        }
    }
    files.sort();
    for (file, set_aside) in files {
        match profile_ids(&file) {
            Ok(found) => {
                for (id, name) in found {
                    users.entry(id.clone()).or_insert(SecretUser {
                        profile_id: id,
                        name,
                        config_dir: dir.to_path_buf(),
                        file: file.clone(),
                        set_aside,
                    });
                }
            }
            Err(why) => blocked.push(format!(
                "{} cannot be read ({why}), so the secrets of its profiles cannot be told apart from orphans; fix or remove that file first",
                file.display()
            )),
        }
    }
}

/// Every `[[profiles]]` entry's id (and name), whether or not the entry would load.
fn profile_ids(file: &Path) -> std::result::Result<Vec<(String, Option<String>)>, String> {
    let bytes = fs::read(file).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&bytes);
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        e.to_string().lines().next().unwrap_or_default().to_owned()
    })?;
    let entries = match table.get("profiles") {
        None => return Ok(Vec::new()),
        Some(toml::Value::Array(a)) => a,
        Some(_) => return Err("`profiles` is not a list".into()),
    };
    let mut out = Vec::new();
    for entry in entries {
        let Some(t) = entry.as_table() else {
            return Err("a `profiles` entry is not a table".into());
        };
        match t.get("id").and_then(toml::Value::as_str) {
            Some(id) => out.push((
                id.trim().to_owned(),
                t.get("name")
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned),
            )),
            // An entry without an id had no secrets keyed to it... unless its id was damaged.
            None => return Err("a profile entry has no id".into()),
        }
    }
    Ok(out)
}

fn absolute(p: &Path) -> PathBuf {
    fs::canonicalize(p)
        .unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

fn same_dir(a: &Path, b: &Path) -> bool {
    absolute(a) == absolute(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Profile, ProfileDraft, ProfileStore};
    use bai_secrets::{MemoryStore, Secret, SecretKind};

    fn add(store: &ProfileStore, name: &str) -> Profile {
        store
            .add(
                ProfileDraft {
                    name: name.into(),
                    endpoint: "https://api.example.com".into(),
                    access_key: Some("AKIAIOSFODNN7EXAMPLE".into()),
                    ..ProfileDraft::default()
                },
                false,
            )
            .expect("add")
    }

    fn keep(secrets: &MemoryStore, id: &str) -> SecretRef {
        let r = SecretRef::new(id, SecretKind::SecretKey);
        secrets.set(&r, &Secret::new("sk")).expect("set");
        r
    }

    struct World {
        _root: tempfile::TempDir,
        default: ProfileStore,
        other: ProfileStore,
        known: KnownDirs,
        secrets: MemoryStore,
    }

    fn world() -> World {
        let root = tempfile::tempdir().expect("tempdir");
        let default = ProfileStore::new(root.path().join("default"));
        let other = ProfileStore::new(root.path().join("other"));
        let known = KnownDirs::at(default.dir());
        World {
            _root: root,
            default,
            other,
            known,
            secrets: MemoryStore::new(),
        }
    }

    #[test]
    fn profiles_of_the_default_dir_are_not_orphans_from_another_dir() {
        let w = world();
        let used = keep(&w.secrets, &add(&w.default, "work").id);
        let mine = keep(&w.secrets, &add(&w.other, "mine").id);
        let orphan = keep(&w.secrets, "00000000-dead-beef-0000-000000000000");
        let r = clean_orphans(&w.secrets, &w.known, w.other.dir()).expect("clean");
        assert_eq!(r.orphans, vec![orphan.clone()]);
        assert!(r.blocked.is_empty(), "{:?}", r.blocked);
        assert!(
            w.secrets.get(&used).expect("get").is_some(),
            "default dir's secret kept"
        );
        assert!(w.secrets.get(&mine).expect("get").is_some());
        assert!(w.secrets.get(&orphan).expect("get").is_none());
        let (_, user) = r.in_use.iter().find(|(s, _)| s == &used).expect("named");
        assert_eq!(user.name.as_deref(), Some("work"));
        assert_eq!(user.config_dir, absolute(w.default.dir()));
    }

    #[test]
    fn a_recorded_dir_counts_and_a_gone_one_is_dropped() {
        let w = world();
        let third = ProfileStore::new(w._root.path().join("third"));
        let used = keep(&w.secrets, &add(&third, "elsewhere").id);
        w.known.record(third.dir()).expect("record");
        w.known.record(third.dir()).expect("again: no repeat");
        let r = find_orphans(&w.secrets, &w.known, w.other.dir()).expect("find");
        assert!(r.orphans.is_empty(), "{:?}", r.orphans);
        assert!(r.in_use.iter().any(|(s, _)| s == &used));
        let gone = w._root.path().join("gone");
        fs::create_dir(&gone).expect("mkdir");
        w.known.record(&gone).expect("record");
        fs::remove_dir(&gone).expect("rmdir");
        w.known.record(w.other.dir()).expect("record");
        let dirs = w.known.all(w.other.dir()).expect("all");
        assert!(!dirs.contains(&absolute(&gone)), "{dirs:?}");
        assert_eq!(dirs.len(), 3, "{dirs:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(w.default.dir().join(REGISTRY_NAME))
                .expect("stat")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_set_aside_file_keeps_its_profiles_secrets() {
        let w = world();
        let a = add(&w.default, "kept");
        let b = add(&w.default, "broken");
        let sa = keep(&w.secrets, &a.id);
        let sb = keep(&w.secrets, &b.id);
        // Damage the file so that loading sets it aside and starts empty.
        let text = fs::read_to_string(w.default.path()).expect("read");
        fs::write(w.default.path(), format!("{text}\n[[profiles]\nbroken")).expect("write");
        let loaded = w.default.load().expect("load");
        assert!(loaded.report.moved_aside.is_some());
        assert!(loaded.list().is_empty());
        // The set-aside copy does not parse either: nothing is an orphan, and the report says why.
        let r = clean_orphans(&w.secrets, &w.known, w.default.dir()).expect("clean");
        assert!(r.orphans.is_empty());
        assert_eq!(r.blocked.len(), 1, "{:?}", r.blocked);
        assert!(r.blocked[0].contains("corrupt-"), "{:?}", r.blocked);
        assert!(w.secrets.get(&sa).expect("get").is_some());
        assert!(w.secrets.get(&sb).expect("get").is_some());
    }

    #[test]
    fn a_set_aside_entry_that_parses_counts_as_a_user() {
        let w = world();
        let good = add(&w.default, "good");
        let bad = add(&w.default, "bad");
        let sg = keep(&w.secrets, &good.id);
        let sb = keep(&w.secrets, &bad.id);
        // A valid TOML file with one invalid entry: that entry is dropped from profiles.toml
        // and survives only in the set-aside copy.
        let text = fs::read_to_string(w.default.path()).expect("read");
        let at = text.find("name = \"bad\"").expect("entry");
        let (head, tail) = text.split_at(at);
        fs::write(
            w.default.path(),
            format!(
                "{head}{}",
                tail.replacen("kind = \"api\"", "kind = \"nope\"", 1)
            ),
        )
        .expect("write");
        let loaded = w.default.load().expect("load");
        assert_eq!(loaded.list().len(), 1);
        let r = clean_orphans(&w.secrets, &w.known, w.other.dir()).expect("clean");
        assert!(r.orphans.is_empty(), "{:?}", r.orphans);
        assert!(r.blocked.is_empty(), "{:?}", r.blocked);
        assert!(w.secrets.get(&sb).expect("get").is_some());
        let (_, user) = r.in_use.iter().find(|(s, _)| s == &sb).expect("user");
        assert!(user.set_aside);
        assert_eq!(user.name.as_deref(), Some("bad"));
        assert!(w.secrets.get(&sg).expect("get").is_some());
    }

    #[test]
    fn an_unreadable_registry_blocks_cleaning() {
        let w = world();
        add(&w.default, "work");
        let orphan = keep(&w.secrets, "00000000-dead-beef-0000-000000000000");
        fs::write(w.default.dir().join(REGISTRY_NAME), "dirs = [oops").expect("write");
        let r = clean_orphans(&w.secrets, &w.known, w.other.dir()).expect("clean");
        assert!(r.orphans.is_empty());
        assert!(!r.blocked.is_empty());
        assert!(w.secrets.get(&orphan).expect("get").is_some());
    }
}
