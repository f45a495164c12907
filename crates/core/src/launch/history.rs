//! The launch history: what each launch asked the server to create, kept per profile, so that
//! a session that ended (terminated, reclaimed by an idle checker, failed) can be launched
//! again exactly as before: the same create body, the same session name, the same app.
//!
//! One file, `launch-history.json` beside the profiles, written as they are: under a lock
//! (the app and the CLI record at once), atomically (temp file, fsync, rename), 0600 in the
//! private config folder. A file that does not parse is set aside as
//! `launch-history.json.corrupt-<UTC timestamp>` with a warning, never overwritten silently;
//! one from a newer launcher is left alone (nothing is recorded into it).
//!
//! What is kept: the create request's fields ([`CreateSession`]: image, resources, mounts,
//! environment, project, resource group, ...) and the app to open; never a credential (no
//! access or secret key, password or login token goes into a create request, and the record
//! has no field for one). At most [`KEPT_PER_PROFILE`] launches per profile; launching a
//! session name again replaces that name's older record.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::request::{LaunchRequest, ReusePolicy};
use crate::Endpoint;
use crate::client::{CreateSession, SessionType};
use crate::error::{Error, Result};
use crate::private_fs::{
    check_private_dir, is_temp_of, open_private_append, private_dir, replace_private,
};
use crate::profile::store::io_err;

/// The history's file name, in the config folder.
pub const FILE_NAME: &str = "launch-history.json";
const LOCK_NAME: &str = "launch-history.lock";
/// The format version this build writes.
pub const FORMAT_VERSION: u32 = 1;
/// Launches kept per profile (the oldest go first).
pub const KEPT_PER_PROFILE: usize = 20;

/// Whose history a launch belongs to: a profile's id, or `env:<endpoint>` for an account from
/// the `BACKEND_*` variables.
pub fn profile_owner(profile_id: &str) -> String {
    profile_id.to_owned()
}

/// The owner for an account from the `BACKEND_*` variables (it has no profile id).
pub fn env_owner(endpoint: &Endpoint) -> String {
    format!("env:{endpoint}")
}

/// The create request as kept: [`CreateSession`]'s fields, by name. No credential is among
/// them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedCreate {
    pub name: String,
    pub image: String,
    pub architecture: String,
    pub session_type: SessionType,
    pub group: String,
    pub domain: String,
    #[serde(default)]
    pub resources: BTreeMap<String, Value>,
    #[serde(default)]
    pub resource_opts: BTreeMap<String, Value>,
    #[serde(default)]
    pub scaling_group: Option<String>,
    #[serde(default)]
    pub mounts: Vec<String>,
    #[serde(default)]
    pub mount_map: BTreeMap<String, String>,
    #[serde(default)]
    pub environ: BTreeMap<String, String>,
    pub reuse_if_exists: bool,
    pub enqueue_only: bool,
    #[serde(default)]
    pub bootstrap_script: Option<String>,
    #[serde(default)]
    pub startup_command: Option<String>,
}

impl From<&CreateSession> for SavedCreate {
    fn from(c: &CreateSession) -> Self {
        // Destructured, so a new field of the request cannot be forgotten here.
        let CreateSession {
            name,
            image,
            architecture,
            session_type,
            group,
            domain,
            resources,
            resource_opts,
            scaling_group,
            mounts,
            mount_map,
            environ,
            reuse_if_exists,
            enqueue_only,
            bootstrap_script,
            startup_command,
        } = c.clone();
        SavedCreate {
            name,
            image,
            architecture,
            session_type,
            group,
            domain,
            resources,
            resource_opts,
            scaling_group,
            mounts,
            mount_map,
            environ,
            reuse_if_exists,
            enqueue_only,
            bootstrap_script,
            startup_command,
        }
    }
}

impl From<&SavedCreate> for CreateSession {
    fn from(s: &SavedCreate) -> Self {
        let s = s.clone();
        CreateSession {
            name: s.name,
            image: s.image,
            architecture: s.architecture,
            session_type: s.session_type,
            group: s.group,
            domain: s.domain,
            resources: s.resources,
            resource_opts: s.resource_opts,
            scaling_group: s.scaling_group,
            mounts: s.mounts,
            mount_map: s.mount_map,
            environ: s.environ,
            reuse_if_exists: s.reuse_if_exists,
            enqueue_only: s.enqueue_only,
            bootstrap_script: s.bootstrap_script,
            startup_command: s.startup_command,
        }
    }
}

/// One launch the server accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaunchRecord {
    /// [`profile_owner`] or [`env_owner`].
    pub owner: String,
    pub session_id: String,
    pub session_name: String,
    /// When the server accepted the create (RFC 3339, UTC).
    pub launched_at: String,
    /// The app asked for (`None`: the launcher's default choice).
    #[serde(default)]
    pub app: Option<String>,
    pub request: SavedCreate,
}

impl LaunchRecord {
    /// A record of `spec` (as sent) for the session the server made of it.
    pub fn new(
        owner: &str,
        session_id: &str,
        spec: &CreateSession,
        app: Option<&str>,
    ) -> LaunchRecord {
        LaunchRecord {
            owner: owner.to_owned(),
            session_id: session_id.to_owned(),
            session_name: spec.name.clone(),
            launched_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            app: app.map(str::to_owned),
            request: SavedCreate::from(spec),
        }
    }

    /// The create request as it was sent.
    pub fn create_session(&self) -> CreateSession {
        CreateSession::from(&self.request)
    }

    /// A launch that sends the same create body again (same name, same reuse policy) and
    /// opens the same app. A name still taken ends it with [`Error::AgainNameTaken`].
    pub fn launch_request(&self) -> LaunchRequest {
        let spec = self.create_session();
        let reuse = if spec.reuse_if_exists {
            ReusePolicy::ReuseIfExists
        } else {
            ReusePolicy::CreateNew
        };
        let mut req = LaunchRequest::create(spec, reuse);
        req.app = self.app.clone();
        req.again = true;
        req
    }

    fn matches(&self, name_or_id: &str) -> bool {
        let w = name_or_id.trim();
        self.session_name == w || self.session_id == w
    }
}

/// The file's contents: newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct HistoryFile {
    version: u32,
    #[serde(default)]
    launches: Vec<LaunchRecord>,
}

/// What reading the history found: its launches, and a warning when the file was set aside.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    /// Newest first.
    pub launches: Vec<LaunchRecord>,
    pub warning: Option<String>,
}

/// Where [`crate::launch::Launcher`] records a launch: a history and whose launch it is.
#[derive(Debug, Clone)]
pub struct HistorySink {
    pub history: LaunchHistory,
    pub owner: String,
}

impl HistorySink {
    pub fn new(history: LaunchHistory, owner: impl Into<String>) -> Self {
        HistorySink {
            history,
            owner: owner.into(),
        }
    }
}

/// The launch history of one config folder. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LaunchHistory {
    dir: PathBuf,
}

impl LaunchHistory {
    /// The history in `dir`, the profiles' folder (created on the first record).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LaunchHistory { dir: dir.into() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Every kept launch, newest first. A damaged file is set aside (the warning says where).
    pub fn load(&self) -> Result<Loaded> {
        if !check_private_dir(&self.dir)? || !self.path().exists() {
            return Ok(Loaded::default());
        }
        let _lock = self.lock()?;
        let (file, warning) = self.read_locked()?;
        Ok(Loaded {
            launches: file.map(|f| f.launches).unwrap_or_default(),
            warning,
        })
    }

    /// `owner`'s launches, newest first.
    pub fn list(&self, owner: &str) -> Result<Loaded> {
        let mut all = self.load()?;
        all.launches.retain(|r| r.owner == owner);
        Ok(all)
    }

    /// `owner`'s latest launch of the session named `name_or_id` (or of that id).
    pub fn find(&self, owner: &str, name_or_id: &str) -> Result<LaunchRecord> {
        self.list(owner)?
            .launches
            .into_iter()
            .find(|r| r.matches(name_or_id))
            .ok_or_else(|| Error::NotInHistory {
                session: name_or_id.trim().to_owned(),
            })
    }

    /// Keep `record` as its owner's newest launch: an older record of the same session name
    /// goes, and the owner keeps at most [`KEPT_PER_PROFILE`]. Returns a warning when a
    /// damaged file was set aside.
    pub fn record(&self, record: LaunchRecord) -> Result<Option<String>> {
        self.update(|launches| {
            launches
                .retain(|r| !(r.owner == record.owner && r.session_name == record.session_name));
            launches.insert(0, record.clone());
            let mut kept = 0;
            launches.retain(|r| {
                if r.owner != record.owner {
                    return true;
                }
                kept += 1;
                kept <= KEPT_PER_PROFILE
            });
            0
        })
        .map(|(_, w)| w)
    }

    /// Forget `owner`'s launches (all owners' when `None`); returns how many.
    pub fn clear(&self, owner: Option<&str>) -> Result<usize> {
        if !check_private_dir(&self.dir)? || !self.path().exists() {
            return Ok(0);
        }
        self.update(|launches| {
            let before = launches.len();
            launches.retain(|r| owner.is_some_and(|o| r.owner != o));
            before - launches.len()
        })
        .map(|(n, _)| n)
    }

    fn update(
        &self,
        change: impl FnOnce(&mut Vec<LaunchRecord>) -> usize,
    ) -> Result<(usize, Option<String>)> {
        private_dir(&self.dir)?;
        let _lock = self.lock()?;
        let (file, warning) = self.read_locked()?;
        let Some(mut file) = file else {
            // A newer launcher's file: left as it is.
            return Err(Error::ConfigIo {
                action: "write".into(),
                path: self.path().display().to_string(),
                detail: "it was written by a newer version of the launcher; upgrade the launcher. The file was not changed".into(),
            });
        };
        let n = change(&mut file.launches);
        file.version = FORMAT_VERSION;
        let mut text = serde_json::to_string_pretty(&file).map_err(|e| Error::Internal {
            detail: format!("cannot encode the launch history: {e}"),
        })?;
        text.push('\n');
        self.remove_stale_temps();
        let path = self.path();
        replace_private(&path, text.as_bytes()).map_err(|e| io_err("write", &path, &e))?;
        Ok((n, warning))
    }

    /// The file as read: `None` for a newer format (not to be touched). A file that does not
    /// parse is copied aside and removed, and reading goes on with an empty history.
    fn read_locked(&self) -> Result<(Option<HistoryFile>, Option<String>)> {
        let path = self.path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Some(empty()), None));
            }
            Err(e) => return Err(io_err("read", &path, &e)),
        };
        let why = match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => match v.get("version").and_then(Value::as_u64) {
                Some(n) if n > u64::from(FORMAT_VERSION) => {
                    tracing::warn!(file = %path.display(), version = n, "launch history from a newer launcher: left alone");
                    return Ok((None, None));
                }
                _ => match serde_json::from_value::<HistoryFile>(v) {
                    Ok(f) => return Ok((Some(f), None)),
                    Err(e) => e.to_string(),
                },
            },
            Err(e) => e.to_string(),
        };
        let aside = self.set_aside(&bytes)?;
        fs::remove_file(&path).map_err(|e| io_err("remove", &path, &e))?;
        let warning = format!(
            "the launch history {} could not be read ({why}); it was moved to {} and a new one is started",
            path.display(),
            aside.display()
        );
        tracing::warn!("{warning}");
        Ok((Some(empty()), Some(warning)))
    }

    /// Keep the damaged bytes as a new 0600 file; an existing copy or anything planted at the
    /// name is skipped for the next free name.
    fn set_aside(&self, original: &[u8]) -> Result<PathBuf> {
        crate::private_fs::set_aside(&self.dir, FILE_NAME, original)
            .map_err(|e| io_err("copy aside", &self.path(), &e))
    }

    fn remove_stale_temps(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.filter_map(|e| e.ok()) {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| is_temp_of(n, FILE_NAME))
            {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    fn lock(&self) -> Result<File> {
        private_dir(&self.dir)?;
        let path = self.dir.join(LOCK_NAME);
        let f = open_private_append(&path).map_err(|e| io_err("open", &path, &e))?;
        f.lock().map_err(|e| io_err("lock", &path, &e))?;
        Ok(f)
    }
}

/// `owner`'s launches whose session is not among `live` (names or ids of the sessions that
/// have not ended), newest first, at most `limit`: what "Launch again" offers.
pub fn ended<'a>(
    launches: &'a [LaunchRecord],
    live: &[String],
    limit: usize,
) -> Vec<&'a LaunchRecord> {
    launches
        .iter()
        .filter(|r| !live.iter().any(|l| r.matches(l)))
        .take(limit)
        .collect()
}

fn empty() -> HistoryFile {
    HistoryFile {
        version: FORMAT_VERSION,
        launches: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> CreateSession {
        let mut s = CreateSession::new(name, "cr.backend.ai/stable/python:3.9-ubuntu20.04");
        s.resources.insert("cpu".into(), serde_json::json!(2));
        s.resources.insert("mem".into(), serde_json::json!("4g"));
        s.mounts = vec!["data".into()];
        s.mount_map.insert("data".into(), "/home/work/d".into());
        s.environ.insert("TZ".into(), "UTC".into());
        s.scaling_group = Some("gpu".into());
        s
    }

    fn history() -> (tempfile::TempDir, LaunchHistory) {
        let dir = tempfile::tempdir().expect("tempdir");
        let h = LaunchHistory::new(dir.path().join("config"));
        (dir, h)
    }

    #[test]
    fn records_and_finds_by_name_or_id_and_gives_the_same_request() {
        let (_d, h) = history();
        let s = spec("nb-one");
        h.record(LaunchRecord::new("p1", "id-1", &s, Some("vscode")))
            .expect("record");
        let r = h.find("p1", "nb-one").expect("by name");
        assert_eq!(r.create_session(), s);
        assert_eq!(r.create_session().to_wire(), s.to_wire());
        assert_eq!(h.find("p1", "id-1").expect("by id"), r);
        let req = r.launch_request();
        assert_eq!(req.app.as_deref(), Some("vscode"));
        assert!(req.again);
        match req.target {
            crate::launch::SessionTarget::Create { spec: got, reuse } => {
                assert_eq!(*got, s);
                assert_eq!(reuse, ReusePolicy::CreateNew);
            }
            other => panic!("{other:?}"),
        }
        // Another profile's history does not hold it.
        let e = h.find("p2", "nb-one").expect_err("other owner");
        assert_eq!(e.code(), "not-in-history");
    }

    #[test]
    fn is_bounded_per_profile_and_a_name_launched_again_moves_up() {
        let (_d, h) = history();
        for i in 0..(KEPT_PER_PROFILE + 5) {
            h.record(LaunchRecord::new(
                "p1",
                &format!("id-{i}"),
                &spec(&format!("nb-{i}")),
                None,
            ))
            .expect("record");
        }
        h.record(LaunchRecord::new("p2", "other", &spec("nb-other"), None))
            .expect("record");
        let p1 = h.list("p1").expect("list").launches;
        assert_eq!(p1.len(), KEPT_PER_PROFILE);
        assert_eq!(p1[0].session_name, format!("nb-{}", KEPT_PER_PROFILE + 4));
        assert!(h.find("p1", "nb-4").is_err(), "the oldest went");
        assert!(h.find("p1", "nb-5").is_ok());
        assert_eq!(h.list("p2").expect("list").launches.len(), 1);
        // Launched again: one record for the name, now the newest.
        h.record(LaunchRecord::new("p1", "id-new", &spec("nb-10"), None))
            .expect("record");
        let p1 = h.list("p1").expect("list").launches;
        assert_eq!(p1.len(), KEPT_PER_PROFILE);
        assert_eq!(p1[0].session_id, "id-new");
        assert_eq!(p1.iter().filter(|r| r.session_name == "nb-10").count(), 1);
    }

    #[test]
    fn clears_one_profile_or_all() {
        let (_d, h) = history();
        assert_eq!(h.clear(None).expect("empty clear"), 0);
        h.record(LaunchRecord::new("p1", "a", &spec("nb-a"), None))
            .expect("record");
        h.record(LaunchRecord::new("p1", "b", &spec("nb-b"), None))
            .expect("record");
        h.record(LaunchRecord::new("p2", "c", &spec("nb-c"), None))
            .expect("record");
        assert_eq!(h.clear(Some("p1")).expect("clear"), 2);
        assert!(h.list("p1").expect("list").launches.is_empty());
        assert_eq!(h.list("p2").expect("list").launches.len(), 1);
        assert_eq!(h.clear(None).expect("clear all"), 1);
        assert!(h.load().expect("load").launches.is_empty());
    }

    #[test]
    fn a_damaged_file_is_set_aside_with_a_warning() {
        let (_d, h) = history();
        h.record(LaunchRecord::new("p1", "a", &spec("nb-a"), None))
            .expect("record");
        fs::write(h.path(), b"{ this is not json").expect("damage");
        let loaded = h.load().expect("a damaged file is no error");
        assert!(loaded.launches.is_empty());
        let warning = loaded.warning.expect("a warning");
        assert!(warning.contains("could not be read"), "{warning}");
        let aside: Vec<_> = fs::read_dir(h.path().parent().expect("dir"))
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1, "one copy set aside");
        assert_eq!(
            fs::read(aside[0].path()).expect("copy"),
            b"{ this is not json",
            "the damaged bytes are kept"
        );
        // Recording works again afterwards.
        h.record(LaunchRecord::new("p1", "b", &spec("nb-b"), None))
            .expect("record");
        assert_eq!(h.list("p1").expect("list").launches.len(), 1);
        // A record of an unknown shape is damage too, not a panic.
        fs::write(h.path(), br#"{"version":1,"launches":[{"owner":1}]}"#).expect("damage");
        assert!(h.load().expect("load").warning.is_some());
    }

    #[test]
    fn a_newer_file_is_left_alone() {
        let (_d, h) = history();
        fs::create_dir_all(h.path().parent().expect("dir")).expect("dir");
        let newer = br#"{"version":99,"launches":"whatever"}"#;
        fs::write(h.path(), newer).expect("write");
        assert!(h.load().expect("load").launches.is_empty());
        let e = h
            .record(LaunchRecord::new("p1", "a", &spec("nb-a"), None))
            .expect_err("not written");
        assert_eq!(e.code(), "config-io");
        assert_eq!(fs::read(h.path()).expect("read"), newer);
    }

    /// The file holds the request and nothing else: every key is one this list allows, and
    /// none is a credential's.
    #[test]
    fn the_file_is_private_and_holds_no_credential() {
        let (_d, h) = history();
        h.record(LaunchRecord::new(
            "p1",
            "a",
            &spec("nb-a"),
            Some("jupyterlab"),
        ))
        .expect("record");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(h.path()).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let v: Value = serde_json::from_slice(&fs::read(h.path()).expect("read")).expect("json");
        let top: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(top, ["launches", "version"]);
        let rec = &v["launches"][0];
        let keys: Vec<&str> = rec
            .as_object()
            .expect("record")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "app",
                "launched_at",
                "owner",
                "request",
                "session_id",
                "session_name"
            ]
        );
        let req_keys: Vec<&str> = rec["request"]
            .as_object()
            .expect("request")
            .keys()
            .map(String::as_str)
            .collect();
        for k in &req_keys {
            let k = k.to_ascii_lowercase();
            for bad in [
                "secret",
                "password",
                "token",
                "access_key",
                "cookie",
                "auth",
            ] {
                assert!(
                    !k.contains(bad),
                    "a credential-like key {k:?} in the history"
                );
            }
        }
        assert_eq!(req_keys.len(), 16, "{req_keys:?}");
    }

    #[test]
    fn ended_skips_live_sessions() {
        let launches = vec![
            LaunchRecord::new("p1", "id-a", &spec("nb-a"), None),
            LaunchRecord::new("p1", "id-b", &spec("nb-b"), None),
            LaunchRecord::new("p1", "id-c", &spec("nb-c"), None),
        ];
        let live = vec!["nb-b".to_owned(), "id-c".to_owned()];
        let names: Vec<_> = ended(&launches, &live, 5)
            .iter()
            .map(|r| r.session_name.as_str())
            .collect();
        assert_eq!(names, ["nb-a"]);
        assert_eq!(ended(&launches, &[], 2).len(), 2);
    }
}
