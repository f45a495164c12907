//! Reading and writing the profiles file safely when the app and the CLI run at once.
//!
//! Every operation holds an exclusive lock on `profiles.lock` for its whole read-modify-write,
//! so two writers never lose each other's changes. Writes go to a temporary file that is
//! fsynced and renamed over the old one, so a crash leaves either the old or the new file.
//!
//! The folder is private ([`private_dir`]): one that other users can write is refused, since
//! whoever can write there could plant a profile pointing at their server. Every file here is
//! created 0600 and never through a symlink ([`crate::private_fs`]).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::file::{self, LoadReport, Parsed, ProfilesFile};
use super::model::{Profile, ProfileDraft, normalize_name};
use crate::error::{Error, Result};
use crate::private_fs::{
    check_private_dir, is_temp_of, open_private_append, private_dir, replace_private,
};

const FILE_NAME: &str = "profiles.toml";
const LOCK_NAME: &str = "profiles.lock";

/// The profiles of one configuration directory.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    dir: PathBuf,
}

/// A snapshot of the profiles, with what loading had to say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profiles {
    pub file: ProfilesFile,
    pub report: LoadReport,
}

impl Profiles {
    pub fn list(&self) -> &[Profile] {
        &self.file.profiles
    }

    /// Find by exact name, then by id.
    pub fn find(&self, name_or_id: &str) -> Option<&Profile> {
        let wanted = name_or_id.trim();
        self.file
            .profiles
            .iter()
            .find(|p| p.name == wanted)
            .or_else(|| self.file.profiles.iter().find(|p| p.id == wanted))
    }

    pub fn get(&self, name_or_id: &str) -> Result<&Profile> {
        self.find(name_or_id).ok_or_else(|| Error::ProfileNotFound {
            name: name_or_id.trim().to_owned(),
        })
    }

    pub fn default_profile(&self) -> Option<&Profile> {
        let id = self.file.default.as_deref()?;
        self.file.profiles.iter().find(|p| p.id == id)
    }
}

impl ProfileStore {
    /// A store in `dir` (created on the first write; reading a missing dir gives no profiles).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ProfileStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Read the profiles. A file that does not parse, or entries that do not validate, are
    /// copied aside as `profiles.toml.corrupt-<timestamp>` and reported; the rest is kept.
    pub fn load(&self) -> Result<Profiles> {
        // Nothing is read from a folder that others could have written.
        if !check_private_dir(&self.dir)? || !self.path().exists() {
            return Ok(Profiles::default());
        }
        let _lock = self.lock()?;
        self.load_locked()
    }

    /// Read, change and write back under one lock. `change` sees the current profiles; if it
    /// fails, nothing is written.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut ProfilesFile) -> Result<T>,
    ) -> Result<(T, LoadReport)> {
        self.create_dir()?;
        let _lock = self.lock()?;
        let mut current = self.load_locked()?;
        let out = change(&mut current.file)?;
        self.write_locked(&current.file)?;
        Ok((out, current.report))
    }

    /// Add a profile; the first one becomes the default, and so does any added with `make_default`.
    pub fn add(&self, draft: ProfileDraft, make_default: bool) -> Result<Profile> {
        let profile = draft.into_profile()?;
        let (p, _) = self.update(|f| {
            if f.profiles.iter().any(|p| p.name == profile.name) {
                return Err(Error::ProfileExists {
                    name: profile.name.clone(),
                });
            }
            if make_default || f.profiles.is_empty() {
                f.default = Some(profile.id.clone());
            }
            f.profiles.push(profile.clone());
            Ok(profile)
        })?;
        Ok(p)
    }

    /// Replace a profile's fields (matched by id); the name must stay unique.
    pub fn replace(&self, updated: Profile) -> Result<Profile> {
        updated.validate()?;
        let (p, _) = self.update(|f| {
            if f.profiles
                .iter()
                .any(|p| p.name == updated.name && p.id != updated.id)
            {
                return Err(Error::ProfileExists {
                    name: updated.name.clone(),
                });
            }
            let slot = f
                .profiles
                .iter_mut()
                .find(|p| p.id == updated.id)
                .ok_or_else(|| Error::ProfileNotFound {
                    name: updated.name.clone(),
                })?;
            *slot = updated.clone();
            Ok(updated)
        })?;
        Ok(p)
    }

    pub fn rename(&self, old: &str, new: &str) -> Result<Profile> {
        let new = normalize_name(new)?;
        let (p, _) = self.update(|f| {
            let id = find_id(f, old)?;
            if f.profiles.iter().any(|p| p.name == new && p.id != id) {
                return Err(Error::ProfileExists { name: new.clone() });
            }
            let p = f
                .profiles
                .iter_mut()
                .find(|p| p.id == id)
                .ok_or_else(|| not_found(old))?;
            p.name = new.clone();
            Ok(p.clone())
        })?;
        Ok(p)
    }

    /// Remove a profile and return it (the caller removes its secrets by id).
    pub fn remove(&self, name_or_id: &str) -> Result<Profile> {
        let (p, _) = self.update(|f| {
            let id = find_id(f, name_or_id)?;
            let idx = f
                .profiles
                .iter()
                .position(|p| p.id == id)
                .ok_or_else(|| not_found(name_or_id))?;
            let removed = f.profiles.remove(idx);
            if f.default.as_deref() == Some(removed.id.as_str()) {
                f.default = None;
            }
            Ok(removed)
        })?;
        Ok(p)
    }

    pub fn set_default(&self, name_or_id: &str) -> Result<Profile> {
        let (p, _) = self.update(|f| {
            let id = find_id(f, name_or_id)?;
            f.default = Some(id.clone());
            f.profiles
                .iter()
                .find(|p| p.id == id)
                .cloned()
                .ok_or_else(|| not_found(name_or_id))
        })?;
        Ok(p)
    }

    fn load_locked(&self) -> Result<Profiles> {
        let path = self.path();
        let text_bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Profiles::default()),
            Err(e) => return Err(io_err("read", &path, &e)),
        };
        let text = String::from_utf8_lossy(&text_bytes);
        match file::parse(&text) {
            Parsed::Clean(file) => Ok(Profiles {
                file,
                report: LoadReport::default(),
            }),
            Parsed::Newer(v) => Err(Error::ConfigIo {
                action: "read".into(),
                path: path.display().to_string(),
                detail: format!(
                    "it was written by a newer version of the launcher (format {v}); upgrade the launcher. The file was not changed"
                ),
            }),
            Parsed::Partial(file, warnings) => {
                let aside = self.set_aside(&text_bytes)?;
                self.write_locked(&file)?;
                Ok(Profiles {
                    file,
                    report: LoadReport {
                        warnings,
                        moved_aside: Some(aside),
                    },
                })
            }
            Parsed::Unreadable(why) => {
                let aside = self.set_aside(&text_bytes)?;
                fs::remove_file(&path).map_err(|e| io_err("remove", &path, &e))?;
                let warnings = vec![format!(
                    "{} could not be read ({why}); starting with no profiles",
                    path.display()
                )];
                Ok(Profiles {
                    file: ProfilesFile::default(),
                    report: LoadReport {
                        warnings,
                        moved_aside: Some(aside),
                    },
                })
            }
        }
    }

    /// Keep `original` (the file's bytes as read) as `profiles.toml.corrupt-<UTC timestamp>`.
    /// Each copy is a new 0600 file: an existing copy, or anything planted at the name, is
    /// skipped for the next free name rather than overwritten or followed.
    fn set_aside(&self, original: &[u8]) -> Result<PathBuf> {
        let path = self.path();
        let aside = crate::private_fs::set_aside(&self.dir, FILE_NAME, original)
            .map_err(|e| io_err("copy aside", &path, &e))?;
        // Debug, not warn: the load report carries this to the user (the CLI prints it on
        // stderr, the app shows it), and a warn log line printed it a second time.
        tracing::debug!(file = %path.display(), aside = %aside.display(), "profiles file set aside");
        Ok(aside)
    }

    fn write_locked(&self, file: &ProfilesFile) -> Result<()> {
        let mut file = file.clone();
        file.version = file::FORMAT_VERSION;
        let text = file::render(&file).map_err(|e| Error::ConfigIo {
            action: "encode".into(),
            path: self.path().display().to_string(),
            detail: e.to_string(),
        })?;
        let path = self.path();
        self.remove_stale_temps();
        replace_private(&path, text.as_bytes()).map_err(|e| io_err("write", &path, &e))
    }

    /// Temp files that a crash left behind. Writers make them only under the lock, which the
    /// caller holds, so any found now are stale. Removing one removes a planted symlink, never
    /// its target.
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

    fn create_dir(&self) -> Result<()> {
        private_dir(&self.dir).map(|_| ())
    }

    fn lock(&self) -> Result<File> {
        self.create_dir()?;
        let path = self.dir.join(LOCK_NAME);
        let f = open_private_append(&path).map_err(|e| io_err("open", &path, &e))?;
        f.lock().map_err(|e| io_err("lock", &path, &e))?;
        Ok(f)
    }
}

fn find_id(f: &ProfilesFile, name_or_id: &str) -> Result<String> {
    let wanted = name_or_id.trim();
    f.profiles
        .iter()
        .find(|p| p.name == wanted)
        .or_else(|| f.profiles.iter().find(|p| p.id == wanted))
        .map(|p| p.id.clone())
        .ok_or_else(|| not_found(name_or_id))
}

fn not_found(name: &str) -> Error {
    Error::ProfileNotFound {
        name: name.trim().to_owned(),
    }
}

pub(crate) fn io_err(action: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::ConfigIo {
        action: action.into(),
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EndpointKind;

    fn draft(name: &str) -> ProfileDraft {
        ProfileDraft {
            name: name.into(),
            endpoint: "http://127.0.0.1:8081".into(),
            access_key: Some("AKIAIOSFODNN7EXAMPLE".into()),
            ..ProfileDraft::default()
        }
    }

    fn store() -> (tempfile::TempDir, ProfileStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = ProfileStore::new(dir.path().join("cfg"));
        (dir, s)
    }

    #[test]
    fn add_list_rename_default_remove() {
        let (_d, s) = store();
        assert!(s.load().expect("empty load").list().is_empty());
        let a = s.add(draft("alpha"), false).expect("add alpha");
        let b = s.add(draft("beta"), false).expect("add beta");
        let loaded = s.load().expect("load");
        assert_eq!(loaded.list().len(), 2);
        assert_eq!(
            loaded.default_profile().map(|p| p.id.as_str()),
            Some(a.id.as_str()),
            "first is default"
        );

        let renamed = s.rename("beta", "  gamma ").expect("rename");
        assert_eq!(renamed.id, b.id, "rename keeps the id");
        assert_eq!(
            s.load().expect("load").get("gamma").expect("found").id,
            b.id
        );
        s.set_default("gamma").expect("default");
        assert_eq!(
            s.load()
                .expect("load")
                .default_profile()
                .expect("default")
                .name,
            "gamma"
        );

        let removed = s.remove("gamma").expect("remove");
        assert_eq!(removed.id, b.id);
        let loaded = s.load().expect("load");
        assert_eq!(loaded.list().len(), 1);
        assert!(
            loaded.default_profile().is_none(),
            "removing the default clears it"
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let (_d, s) = store();
        s.add(draft("alpha"), false).expect("add");
        s.add(draft("beta"), false).expect("add");
        assert_eq!(
            s.add(draft(" alpha "), false).expect_err("dup").code(),
            "profile-exists"
        );
        assert_eq!(
            s.rename("beta", "alpha").expect_err("dup").code(),
            "profile-exists"
        );
        assert_eq!(
            s.rename("nope", "x").expect_err("missing").code(),
            "profile-not-found"
        );
        assert_eq!(
            s.remove("nope").expect_err("missing").code(),
            "profile-not-found"
        );
        assert_eq!(
            s.set_default("nope").expect_err("missing").code(),
            "profile-not-found"
        );
        assert_eq!(
            s.rename("beta", "").expect_err("empty").code(),
            "invalid-input"
        );
        assert_eq!(
            s.load().expect("load").list().len(),
            2,
            "failed changes wrote nothing"
        );
    }

    #[test]
    fn a_corrupt_file_is_set_aside_not_overwritten() {
        let (_d, s) = store();
        fs::create_dir_all(s.dir()).expect("mkdir");
        fs::write(s.path(), "version = 1\n[[profiles]\nbroken").expect("write");
        let loaded = s.load().expect("load reports, does not fail");
        assert!(loaded.list().is_empty());
        let aside = loaded.report.moved_aside.clone().expect("set aside");
        assert_eq!(
            fs::read_to_string(&aside).expect("aside"),
            "version = 1\n[[profiles]\nbroken"
        );
        assert!(
            aside
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("profiles.toml.corrupt-"))
        );
        s.add(draft("fresh"), false).expect("works after");
        assert_eq!(s.load().expect("load").list().len(), 1);
    }

    #[test]
    fn one_bad_entry_keeps_the_others() {
        let (_d, s) = store();
        s.add(draft("good"), false).expect("add");
        s.add(draft("bad"), false).expect("add");
        let text = fs::read_to_string(s.path()).expect("read");
        // Give the second entry an invalid kind: valid TOML, an invalid profile.
        let at = text.find("name = \"bad\"").expect("bad entry");
        let (head, tail) = text.split_at(at);
        let broken = format!(
            "{head}{}",
            tail.replacen("kind = \"api\"", "kind = \"nonsense\"", 1)
        );
        assert_ne!(broken, text);
        fs::write(s.path(), &broken).expect("write");
        let loaded = s.load().expect("load");
        assert_eq!(loaded.list().len(), 1, "{:?}", loaded.report);
        assert_eq!(loaded.report.warnings.len(), 1);
        let aside = loaded.report.moved_aside.clone().expect("aside");
        assert_eq!(
            fs::read_to_string(aside).expect("aside"),
            broken,
            "the original is kept whole"
        );
        assert_eq!(
            s.load().expect("reload").report.warnings.len(),
            0,
            "reported once"
        );
    }

    #[test]
    fn a_newer_file_is_left_alone() {
        let (_d, s) = store();
        fs::create_dir_all(s.dir()).expect("mkdir");
        fs::write(s.path(), "version = 99\n").expect("write");
        let e = s.add(draft("x"), false).expect_err("refuses");
        assert!(e.to_string().contains("newer version"), "{e}");
        assert_eq!(
            fs::read_to_string(s.path()).expect("read"),
            "version = 99\n"
        );
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let (_d, s) = store();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let s = s.clone();
                std::thread::spawn(move || {
                    for i in 0..10 {
                        s.add(draft(&format!("p{t}-{i}")), false).expect("add");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let loaded = s.load().expect("load");
        assert_eq!(loaded.list().len(), 80);
        assert!(loaded.report.warnings.is_empty());
    }

    #[cfg(unix)]
    mod adversarial {
        use std::os::unix::fs::{PermissionsExt, symlink};

        use super::*;

        fn mode(p: &Path) -> u32 {
            fs::symlink_metadata(p).expect("stat").permissions().mode() & 0o7777
        }

        /// A file outside the config folder that an attacker wants overwritten.
        fn victim(root: &Path) -> PathBuf {
            let v = root.join("victim");
            fs::write(&v, "precious").expect("victim");
            v
        }

        fn names(dir: &Path) -> Vec<String> {
            let mut n: Vec<_> = fs::read_dir(dir)
                .expect("ls")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            n.sort();
            n
        }

        #[test]
        fn new_folders_are_0700_and_files_0600() {
            let (_d, s) = store();
            s.add(draft("a"), false).expect("add");
            assert_eq!(mode(s.dir()), 0o700);
            assert_eq!(mode(&s.path()), 0o600);
            assert_eq!(mode(&s.dir().join(LOCK_NAME)), 0o600);
            assert_eq!(names(s.dir()), [LOCK_NAME, FILE_NAME], "no temp file left");
        }

        #[test]
        fn files_of_an_older_launcher_are_tightened() {
            let (_d, s) = store();
            s.add(draft("a"), false).expect("add");
            fs::set_permissions(s.dir(), fs::Permissions::from_mode(0o755)).expect("chmod");
            for f in [s.path(), s.dir().join(LOCK_NAME)] {
                fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).expect("chmod");
            }
            s.add(draft("b"), false).expect("add");
            assert_eq!(mode(s.dir()), 0o700);
            assert_eq!(mode(&s.path()), 0o600);
            assert_eq!(mode(&s.dir().join(LOCK_NAME)), 0o600);
        }

        #[test]
        fn a_folder_others_can_write_is_refused_and_nothing_is_written() {
            let (_d, s) = store();
            s.add(draft("a"), false).expect("add");
            let before = fs::read(s.path()).expect("read");
            fs::set_permissions(s.dir(), fs::Permissions::from_mode(0o777)).expect("chmod");

            let e = s.add(draft("b"), false).expect_err("refused");
            assert_eq!(e.code(), "unsafe-folder");
            let msg = e.to_string();
            assert!(
                msg.contains("other users can write to it (mode 0777)"),
                "{msg}"
            );
            assert!(
                msg.contains(&format!("chmod 700 {}", s.dir().display())),
                "{msg}"
            );
            assert_eq!(
                s.load().expect_err("reading is refused too").code(),
                "unsafe-folder"
            );
            assert_eq!(fs::read(s.path()).expect("read"), before, "nothing written");
            assert_eq!(names(s.dir()), [LOCK_NAME, FILE_NAME]);
            assert_eq!(mode(s.dir()), 0o777, "left for the user to fix");

            // A fresh folder that others can write is refused before anything is made in it.
            let (_d2, s2) = store();
            fs::create_dir(s2.dir()).expect("mkdir");
            fs::set_permissions(s2.dir(), fs::Permissions::from_mode(0o777)).expect("chmod");
            assert_eq!(
                s2.add(draft("a"), false).expect_err("refused").code(),
                "unsafe-folder"
            );
            assert!(names(s2.dir()).is_empty());
        }

        #[test]
        fn planted_temp_symlinks_are_not_followed() {
            let (d, s) = store();
            s.add(draft("a"), false).expect("add");
            let victim = victim(d.path());
            // The old fixed name (`.profiles.toml.tmp-<pid>`) and names of the new pattern.
            let planted = [
                format!(".{FILE_NAME}.tmp-{}", std::process::id()),
                format!(".{FILE_NAME}.aaaaaa.tmp"),
                format!(".{FILE_NAME}.planted.tmp"),
            ];
            for p in &planted {
                symlink(&victim, s.dir().join(p)).expect("symlink");
            }
            s.add(draft("b"), false).expect("add");
            assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious");
            assert_eq!(s.load().expect("load").list().len(), 2);
            assert_eq!(mode(&s.path()), 0o600);
            assert!(fs::symlink_metadata(s.path()).expect("stat").is_file());
            // The pattern's stale entries were removed (the links, not their target).
            let left = names(s.dir());
            assert!(!left.iter().any(|n| is_temp_of(n, FILE_NAME)), "{left:?}");
            assert!(left.contains(&planted[0]), "not of the pattern: left alone");
        }

        #[test]
        fn a_symlinked_profiles_file_is_replaced_not_written_through() {
            let (d, s) = store();
            s.add(draft("a"), false).expect("add");
            let victim = d.path().join("victim.toml");
            fs::copy(s.path(), &victim).expect("copy");
            let before = fs::read(&victim).expect("read");
            fs::remove_file(s.path()).expect("rm");
            symlink(&victim, s.path()).expect("symlink");
            s.add(draft("b"), false).expect("add");
            assert_eq!(fs::read(&victim).expect("read"), before, "victim unchanged");
            assert!(fs::symlink_metadata(s.path()).expect("stat").is_file());
            assert_eq!(s.load().expect("load").list().len(), 2);
        }

        #[test]
        fn a_planted_lock_symlink_is_refused() {
            let (d, s) = store();
            s.add(draft("a"), false).expect("add");
            let victim = victim(d.path());
            fs::remove_file(s.dir().join(LOCK_NAME)).expect("rm");
            symlink(&victim, s.dir().join(LOCK_NAME)).expect("symlink");
            assert_eq!(
                s.add(draft("b"), false).expect_err("refused").code(),
                "config-io"
            );
            assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious");
            assert_eq!(s.load().expect_err("refused").code(), "config-io");
        }

        #[test]
        fn a_planted_set_aside_name_is_skipped() {
            let (d, s) = store();
            fs::create_dir_all(s.dir()).expect("mkdir");
            let victim = victim(d.path());
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            // Plant this second's and the next second's names, in case the clock ticks.
            let next = (chrono::Utc::now() + chrono::Duration::seconds(1)).format("%Y%m%dT%H%M%SZ");
            for st in [stamp.to_string(), next.to_string()] {
                symlink(&victim, s.dir().join(format!("{FILE_NAME}.corrupt-{st}"))).expect("link");
            }
            fs::write(s.path(), "[[profiles]\nbroken").expect("write");
            let loaded = s.load().expect("load");
            let aside = loaded.report.moved_aside.expect("aside");
            assert!(fs::symlink_metadata(&aside).expect("stat").is_file());
            assert_eq!(mode(&aside), 0o600);
            assert_eq!(
                fs::read_to_string(&aside).expect("aside"),
                "[[profiles]\nbroken"
            );
            assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious");
        }

        #[test]
        fn a_crash_mid_write_loses_nothing() {
            let (_d, s) = store();
            s.add(draft("a"), false).expect("add");
            s.add(draft("b"), false).expect("add");
            let before = fs::read(s.path()).expect("read");
            // What a crash between creating and renaming the temp file leaves.
            let tmp = s.dir().join(format!(".{FILE_NAME}.Xy12Zq.tmp"));
            fs::write(&tmp, &before[..before.len() / 2]).expect("half a temp file");

            let loaded = s.load().expect("load");
            assert_eq!(loaded.list().len(), 2, "the old file is whole");
            assert!(loaded.report.warnings.is_empty());
            s.add(draft("c"), false).expect("the next write works");
            assert_eq!(s.load().expect("load").list().len(), 3);
            assert!(
                !tmp.exists(),
                "the next write under the lock removed the leftover"
            );
        }
    }

    #[test]
    fn webserver_profiles_round_trip() {
        let (_d, s) = store();
        let p = s
            .add(
                ProfileDraft {
                    kind: Some(EndpointKind::Webserver),
                    email: Some("me@example.com".into()),
                    access_key: None,
                    remember_password: true,
                    ..draft("web")
                },
                false,
            )
            .expect("add");
        assert_eq!(s.load().expect("load").get("web").expect("found"), &p);
    }
}
