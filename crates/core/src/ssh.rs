//! SSH to a session through the session's own tunnel: this device's key per profile, the
//! session's `authorized_keys`, and the OpenSSH config entries that front ends write.
//!
//! - One ed25519 key pair per device and profile, made by `ssh-keygen` in a private folder
//!   (`<data dir>/ssh/<profile>/id_ed25519`, 0600 in a 0700 folder). The private key is never
//!   read by this crate, sent, logged or put on a command line: only its path goes into the
//!   SSH config (`IdentityFile`).
//! - Its public key goes into the session's `~/.ssh/authorized_keys` through the session file
//!   API ([`install_in_session`]); the cluster's `/auth/ssh-keypair` holds one key per account
//!   and takes its private key too, so a device key is never registered there.
//! - What was installed where is recorded next to the key, so that `revoke` can take the key
//!   out of every session it went into.
//! - Host entries: `Host bai-<profile>-<session>` with `ProxyCommand bai ssh-proxy …` (no
//!   listening port), the key, and a known-hosts file of our own.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::private_fs;

/// Overrides where the launcher keeps its data (SSH keys among it).
pub const DATA_DIR_ENV: &str = "BAI_DATA_DIR";
/// The file in a session's home that sshd reads.
pub const AUTHORIZED_KEYS: &str = ".ssh/authorized_keys";
/// The user a Backend.AI kernel runs as.
pub const DEFAULT_USER: &str = "work";

fn ssh_err(detail: impl Into<String>) -> Error {
    Error::Ssh {
        detail: detail.into(),
    }
}

/// `$BAI_DATA_DIR`, else the OS's per-user data dir (`~/.local/share/backend.ai-launcher`).
pub fn data_dir() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    directories::ProjectDirs::from("ai", "backend", "backend.ai-launcher")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| ssh_err(format!("no home directory is known; set {DATA_DIR_ENV}")))
}

/// A name made safe for a file name and an SSH host alias: ASCII letters, digits, `.`, `_`
/// and `-`; anything else becomes `-`.
pub fn slug(s: &str) -> String {
    let out: String = s
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() { "-".into() } else { out }
}

/// `bai-<profile>-<session>`, the SSH host alias of a session.
pub fn host_alias(profile: &str, session: &str) -> String {
    format!("bai-{}-{}", slug(profile), slug(session))
}

/// `SHA256:<base64>` of an OpenSSH public key line, as `ssh-keygen -l` prints it.
pub fn fingerprint(public_line: &str) -> Result<String> {
    let blob = public_line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| ssh_err("the public key is not an OpenSSH key line"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .map_err(|_| ssh_err("the public key is not valid base64"))?;
    let digest = Sha256::digest(&bytes);
    Ok(format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    ))
}

/// The key part of a key line (type and base64), ignoring options and comment.
fn key_id(line: &str) -> Option<(&str, &str)> {
    let mut parts = line.split_whitespace();
    while let Some(p) = parts.next() {
        if p.starts_with("ssh-") || p.starts_with("ecdsa-") || p.starts_with("sk-") {
            return parts.next().map(|b| (p, b));
        }
    }
    None
}

/// `existing` with `public_line` appended, or `None` when the key is already in it.
pub fn with_key(existing: &str, public_line: &str) -> Option<String> {
    let ours = key_id(public_line)?;
    if existing.lines().any(|l| key_id(l) == Some(ours)) {
        return None;
    }
    let mut out = existing.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(public_line.trim_end());
    out.push('\n');
    Some(out)
}

/// `existing` without any line holding `public_line`'s key, or `None` when none does.
pub fn without_key(existing: &str, public_line: &str) -> Option<String> {
    let ours = key_id(public_line)?;
    if !existing.lines().any(|l| key_id(l) == Some(ours)) {
        return None;
    }
    let kept: Vec<&str> = existing
        .lines()
        .filter(|l| key_id(l) != Some(ours))
        .collect();
    let mut out = kept.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    Some(out)
}

/// One session this device's key went into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Install {
    pub session: String,
    /// How: `authorized_keys` (the session file API) or `registered` (the account's key from
    /// `/auth/ssh-keypair` already is this key).
    pub via: String,
    pub at: String,
}

/// This device's key of one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceKey {
    pub profile: String,
    /// The private key's path (its content is never read here).
    pub private_key: PathBuf,
    /// The OpenSSH public key line.
    pub public_key: String,
    pub fingerprint: String,
    pub sessions: Vec<Install>,
}

/// The SSH keys and records under `<data dir>/ssh`.
#[derive(Debug, Clone)]
pub struct KeyStore {
    root: PathBuf,
}

impl KeyStore {
    pub fn new(data_dir: &Path) -> Self {
        KeyStore {
            root: data_dir.join("ssh"),
        }
    }

    pub fn from_env() -> Result<Self> {
        Ok(Self::new(&data_dir()?))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of one profile's key, config and known hosts.
    pub fn profile_dir(&self, profile: &str) -> PathBuf {
        self.root.join(slug(profile))
    }

    pub fn private_key_path(&self, profile: &str) -> PathBuf {
        self.profile_dir(profile).join("id_ed25519")
    }

    pub fn known_hosts_path(&self, profile: &str) -> PathBuf {
        self.profile_dir(profile).join("known_hosts")
    }

    fn installs_path(&self, profile: &str) -> PathBuf {
        self.profile_dir(profile).join("installed.json")
    }

    fn make_dirs(&self, profile: &str) -> Result<PathBuf> {
        private_fs::private_dir(&self.root)?;
        private_fs::private_dir(&self.profile_dir(profile))
    }

    /// The profile's key, if this device has one.
    pub fn load(&self, profile: &str) -> Result<Option<DeviceKey>> {
        let private = self.private_key_path(profile);
        let public_path = private.with_extension("pub");
        if !private.exists() {
            return Ok(None);
        }
        check_private_file(&private)?;
        let public_key = std::fs::read_to_string(&public_path)
            .map_err(|e| ssh_err(format!("cannot read {}: {e}", public_path.display())))?
            .trim()
            .to_owned();
        let fingerprint = fingerprint(&public_key)?;
        let name = std::fs::read_to_string(self.profile_dir(profile).join("profile"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| profile.to_owned());
        Ok(Some(DeviceKey {
            profile: name,
            private_key: private,
            public_key,
            fingerprint,
            sessions: self.installs(profile),
        }))
    }

    /// The profile's key, made now (with `ssh-keygen`) if there is none. The second value says
    /// whether it was made.
    pub fn ensure(&self, profile: &str) -> Result<(DeviceKey, bool)> {
        if let Some(k) = self.load(profile)? {
            return Ok((k, false));
        }
        let dir = self.make_dirs(profile)?;
        let private = self.private_key_path(profile);
        let _ = std::fs::remove_file(private.with_extension("pub"));
        let comment = format!("bai-launcher {} {}", hostname(), slug(profile));
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", &comment, "-f"])
            .arg(&private)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| Error::ProgramMissing {
                program: "ssh-keygen".into(),
                hint: format!(
                    "install OpenSSH's client (Debian/Ubuntu: apt-get install openssh-client) ({e})"
                ),
            })?;
        if !out.status.success() {
            return Err(ssh_err(format!(
                "ssh-keygen could not make this device's key: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let _ = private_fs::replace_private(&dir.join("profile"), profile.as_bytes());
        let key = self
            .load(profile)?
            .ok_or_else(|| ssh_err("ssh-keygen made no key file"))?;
        Ok((key, true))
    }

    /// Every key on this device (one per profile that has one).
    pub fn list(&self) -> Result<Vec<DeviceKey>> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Ok(out);
        };
        let mut dirs: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        dirs.sort();
        for d in dirs {
            let slug = d.to_string_lossy().into_owned();
            if let Some(k) = self.load(&slug)? {
                out.push(k);
            }
        }
        Ok(out)
    }

    /// The sessions the profile's key was installed into.
    pub fn installs(&self, profile: &str) -> Vec<Install> {
        std::fs::read(self.installs_path(profile))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn save_installs(&self, profile: &str, list: &[Install]) -> Result<()> {
        self.make_dirs(profile)?;
        let bytes = serde_json::to_vec_pretty(list).map_err(|e| ssh_err(e.to_string()))?;
        private_fs::replace_private(&self.installs_path(profile), &bytes).map_err(|e| {
            ssh_err(format!(
                "cannot write {}: {e}",
                self.installs_path(profile).display()
            ))
        })
    }

    pub fn record_install(&self, profile: &str, session: &str, via: &str) -> Result<()> {
        let mut list = self.installs(profile);
        list.retain(|i| i.session != session);
        list.push(Install {
            session: session.to_owned(),
            via: via.to_owned(),
            at: chrono::Utc::now().to_rfc3339(),
        });
        self.save_installs(profile, &list)
    }

    /// Delete the profile's key pair, records and known hosts.
    pub fn delete(&self, profile: &str) -> Result<()> {
        let dir = self.profile_dir(profile);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| ssh_err(format!("cannot delete {}: {e}", dir.display())))?;
        }
        Ok(())
    }
}

fn check_private_file(p: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::symlink_metadata(p)
            .map_err(|e| ssh_err(format!("cannot read {}: {e}", p.display())))?;
        if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
            return Err(ssh_err(format!(
                "{} must be a regular file only you can read (mode 0600); fix it with `chmod 600` or delete it with `bai ssh-keys revoke`",
                p.display()
            )));
        }
    }
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| slug(&h))
        .unwrap_or_else(|| "device".into())
}

/// How the key reached a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Installed {
    /// It was already in the session's `authorized_keys`.
    AlreadyThere,
    /// Appended to the session's `~/.ssh/authorized_keys` through the session file API.
    AuthorizedKeys,
}

/// Put `key` into the session's `~/.ssh/authorized_keys` (read, append, write back through
/// the session file API) unless it is there already; record it.
pub async fn install_in_session(
    client: &Client,
    store: &KeyStore,
    key: &DeviceKey,
    profile: &str,
    session: &str,
) -> Result<Installed> {
    let existing = client
        .session_file(session, AUTHORIZED_KEYS)
        .await?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let outcome = match with_key(&existing, &key.public_key) {
        None => Installed::AlreadyThere,
        Some(text) => {
            client
                .put_session_file(session, AUTHORIZED_KEYS, text.as_bytes())
                .await?;
            Installed::AuthorizedKeys
        }
    };
    store.record_install(profile, session, "authorized_keys")?;
    Ok(outcome)
}

/// Take `key` out of the session's `authorized_keys`. `Ok(false)`: it was not there.
pub async fn remove_from_session(client: &Client, key: &DeviceKey, session: &str) -> Result<bool> {
    let Some(bytes) = client.session_file(session, AUTHORIZED_KEYS).await? else {
        return Ok(false);
    };
    let existing = String::from_utf8_lossy(&bytes).into_owned();
    match without_key(&existing, &key.public_key) {
        None => Ok(false),
        Some(text) => {
            client
                .put_session_file(session, AUTHORIZED_KEYS, text.as_bytes())
                .await?;
            Ok(true)
        }
    }
}

/// Single-quote `s` for `sh` (the shell `ssh` runs a `ProxyCommand` with).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:@,".contains(c))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Double-quote a path for an `ssh_config` keyword argument.
fn config_path(p: &Path) -> Result<String> {
    let s = p.to_string_lossy();
    if s.contains('"') || s.contains('\n') {
        return Err(ssh_err(format!(
            "the path {s:?} has a quote or a line break, which an SSH config cannot hold; set {DATA_DIR_ENV} to a plainer folder"
        )));
    }
    Ok(format!("\"{}\"", s.replace('%', "%%")))
}

/// What a `Host` entry is made of.
#[derive(Debug, Clone)]
pub struct HostEntry {
    pub profile: String,
    pub session: String,
    /// The session's id, when known: host keys are remembered per session, not per name.
    pub session_id: Option<String>,
    pub user: String,
    /// The `bai` program and the options before `ssh-proxy` (e.g. `--config-dir DIR`).
    pub proxy_program: Vec<String>,
    pub identity_file: PathBuf,
    pub known_hosts: PathBuf,
}

impl HostEntry {
    pub fn alias(&self) -> String {
        host_alias(&self.profile, &self.session)
    }

    /// The `ProxyCommand` line's command (shell-quoted, `%` escaped for ssh).
    pub fn proxy_command(&self) -> String {
        let mut words: Vec<String> = self.proxy_program.iter().map(|w| shell_quote(w)).collect();
        words.push("ssh-proxy".into());
        words.push(shell_quote(&self.profile));
        words.push(shell_quote(&self.session));
        words.join(" ").replace('%', "%%")
    }

    /// The `Host` block.
    pub fn render(&self) -> Result<String> {
        let key_alias = match &self.session_id {
            Some(id) => format!("bai-{}-{}", slug(&self.profile), slug(id)),
            None => self.alias(),
        };
        if self.user.is_empty() || self.user.chars().any(|c| c.is_whitespace() || c == '"') {
            return Err(Error::InvalidInput {
                field: "user".into(),
                reason: format!("{:?} is not a user name", self.user),
            });
        }
        Ok(format!(
            "Host {alias}\n\
             \x20 {marker}\n\
             \x20 HostName {host}\n\
             \x20 User {user}\n\
             \x20 ProxyCommand {proxy}\n\
             \x20 IdentityFile {identity}\n\
             \x20 IdentitiesOnly yes\n\
             \x20 UserKnownHostsFile {known}\n\
             \x20 HostKeyAlias {key_alias}\n\
             \x20 StrictHostKeyChecking accept-new\n\
             \x20 ServerAliveInterval 30\n",
            alias = self.alias(),
            marker = marker(&self.profile, &self.session),
            host = slug(&self.session),
            user = self.user,
            proxy = self.proxy_command(),
            identity = config_path(&self.identity_file)?,
            known = config_path(&self.known_hosts)?,
        ))
    }
}

/// The comment in each `Host` block that says whose it is, so that an entry can be replaced
/// or dropped (its session ended) without touching the others.
fn marker(profile: &str, session: &str) -> String {
    format!(
        "# bai-launcher profile={} session={}",
        slug(profile),
        slug(session)
    )
}

/// Where front ends write the session entries, under the user's home.
pub const MANAGED_FILE: &str = ".ssh/config.d/bai";

/// The body of a managed file (without its header); empty when there is none.
pub fn read_managed(path: &Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t.strip_prefix(MANAGED_HEADER).unwrap_or(&t).to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(ssh_err(format!("cannot read {}: {e}", path.display()))),
    }
}

/// The `Host` blocks of a managed body, each with the (profile, session) of its marker.
fn blocks(body: &str) -> Vec<(Option<(String, String)>, String)> {
    let mut out: Vec<(Option<(String, String)>, String)> = Vec::new();
    for line in body.lines() {
        if line.starts_with("Host ") || out.is_empty() {
            out.push((None, String::new()));
        }
        let last = out.last_mut().expect("a block");
        if let Some(rest) = line.trim().strip_prefix("# bai-launcher profile=")
            && let Some((p, s)) = rest.split_once(" session=")
        {
            last.0 = Some((p.to_owned(), s.to_owned()));
        }
        last.1.push_str(line);
        last.1.push('\n');
    }
    out.retain(|(_, b)| !b.trim().is_empty());
    out
}

fn join(blocks: impl IntoIterator<Item = String>) -> String {
    blocks
        .into_iter()
        .map(|b| format!("{}\n", b.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `body` with `profile`'s entries replaced by `entries` (rendered blocks); other profiles'
/// entries are kept.
pub fn with_profile_hosts(body: &str, profile: &str, entries: &[String]) -> String {
    let p = slug(profile);
    let kept = blocks(body)
        .into_iter()
        .filter(|(m, _)| m.as_ref().is_none_or(|(bp, _)| *bp != p))
        .map(|(_, b)| b);
    join(kept.chain(entries.iter().cloned()))
}

/// `body` with one session's entry added, or replaced if it is there.
pub fn with_host(body: &str, profile: &str, session: &str, entry: &str) -> String {
    let key = (slug(profile), slug(session));
    let kept = blocks(body)
        .into_iter()
        .filter(|(m, _)| m.as_ref() != Some(&key))
        .map(|(_, b)| b);
    join(kept.chain([entry.to_owned()]))
}

/// `body` without `profile`'s entries for sessions not in `running` (names); `None` when it
/// has none of those.
pub fn without_ended(body: &str, profile: &str, running: &[&str]) -> Option<String> {
    let p = slug(profile);
    let alive: Vec<String> = running.iter().map(|s| slug(s)).collect();
    let all = blocks(body);
    let n = all.len();
    let kept: Vec<String> = all
        .into_iter()
        .filter(|(m, _)| {
            m.as_ref()
                .is_none_or(|(bp, bs)| *bp != p || alive.contains(bs))
        })
        .map(|(_, b)| b)
        .collect();
    (kept.len() != n).then(|| join(kept))
}

/// The arguments that open a session's home in VS Code over Remote-SSH, through its entry.
pub fn vscode_args(alias: &str) -> Vec<String> {
    vec![
        "--remote".into(),
        format!("ssh-remote+{alias}"),
        "/home/work".into(),
    ]
}

/// What to say when VS Code's `code` command is missing.
pub fn code_missing() -> Error {
    Error::ProgramMissing {
        program: "code".into(),
        hint: "install Visual Studio Code (https://code.visualstudio.com/download) with its Remote - SSH extension, and put `code` on PATH (in VS Code: Command Palette, \"Shell Command: Install 'code' command in PATH\")".into(),
    }
}

/// One session made reachable over SSH: this device's key in it, its entry in the managed
/// file under `home` (other entries kept).
#[derive(Debug, Clone)]
pub struct SessionHost {
    pub alias: String,
    pub installed: Installed,
    pub file: PathBuf,
    /// Whether the user's `~/.ssh/config` includes the managed file (VS Code reads only that).
    pub included: bool,
}

/// Install this device's key in the session and write its entry (what `bai code` and the
/// app's "Open in VS Code" both do). `entry` names the key files; its session is the name.
pub async fn prepare_session_host(
    client: &Client,
    store: &KeyStore,
    key: &DeviceKey,
    entry: &HostEntry,
    home: &Path,
) -> Result<SessionHost> {
    let installed = install_in_session(client, store, key, &entry.profile, &entry.session).await?;
    let file = home.join(MANAGED_FILE);
    let body = with_host(
        &read_managed(&file)?,
        &entry.profile,
        &entry.session,
        &entry.render()?,
    );
    write_managed(&file, &body)?;
    let included = config_includes(&home.join(".ssh/config"), &file);
    Ok(SessionHost {
        alias: entry.alias(),
        installed,
        file,
        included,
    })
}

/// The header of files this launcher writes and owns.
pub const MANAGED_HEADER: &str =
    "# Written by the Backend.AI launcher (bai ssh-config). Do not edit: it is rewritten.\n";

/// Write a file this launcher owns (0600, atomically), refusing to replace one it does not
/// own.
pub fn write_managed(path: &Path, body: &str) -> Result<()> {
    if let Ok(old) = std::fs::read_to_string(path)
        && !old.starts_with(MANAGED_HEADER)
    {
        return Err(ssh_err(format!(
            "{} exists and was not written by bai; move it away, or choose another file",
            path.display()
        )));
    }
    if let Some(parent) = path.parent() {
        private_fs::private_dir(parent)?;
    }
    let text = format!("{MANAGED_HEADER}{body}");
    private_fs::replace_private(path, text.as_bytes())
        .map_err(|e| ssh_err(format!("cannot write {}: {e}", path.display())))
}

/// Whether the user's `~/.ssh/config` already includes `include`.
pub fn config_includes(user_config: &Path, include: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(user_config) else {
        return false;
    };
    let wanted = include.to_string_lossy();
    text.lines().any(|l| {
        let mut w = l.split_whitespace();
        w.next().is_some_and(|k| k.eq_ignore_ascii_case("include"))
            && w.any(|arg| {
                let arg = arg.trim_matches('"');
                arg == wanted
                    || arg == "config.d/*"
                    || arg == "~/.ssh/config.d/*"
                    || arg == "config.d/bai"
                    || arg == "~/.ssh/config.d/bai"
            })
    })
}

/// Put `Include <include>` at the top of the user's `~/.ssh/config` (an `Include` after a
/// `Host` line would only apply to that host), keeping every line they wrote. Returns whether
/// the file changed.
pub fn add_include(user_config: &Path, include: &Path) -> Result<bool> {
    if config_includes(user_config, include) {
        return Ok(false);
    }
    let old = match std::fs::read_to_string(user_config) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(ssh_err(format!(
                "cannot read {}: {e}",
                user_config.display()
            )));
        }
    };
    if let Some(parent) = user_config.parent() {
        private_fs::private_dir(parent)?;
    }
    let line = format!(
        "# Added by the Backend.AI launcher: its session entries (bai ssh-config).\nInclude {}\n\n",
        config_path(include)?
    );
    let text = format!("{line}{old}");
    // Keep the user's mode if the file exists; a new one is 0600.
    let tmp = user_config.with_extension(format!("bai-tmp-{}", std::process::id()));
    {
        let mut f = private_fs::create_new_private(&tmp)
            .map_err(|e| ssh_err(format!("cannot write {}: {e}", tmp.display())))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| ssh_err(format!("cannot write {}: {e}", tmp.display())))?;
    }
    if let Ok(meta) = std::fs::metadata(user_config) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, user_config).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ssh_err(format!("cannot write {}: {e}", user_config.display()))
    })?;
    Ok(true)
}

/// Find a program on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(profile: &str, session: &str) -> String {
        HostEntry {
            profile: profile.into(),
            session: session.into(),
            session_id: None,
            user: "work".into(),
            proxy_program: vec!["/usr/bin/bai".into()],
            identity_file: PathBuf::from("/k/id"),
            known_hosts: PathBuf::from("/k/known"),
        }
        .render()
        .expect("rendered")
    }

    #[test]
    fn entries_are_replaced_per_profile_and_per_session_and_dropped_when_ended() {
        let a1 = entry("Lab A", "nb-1");
        let a2 = entry("Lab A", "nb-2");
        let b1 = entry("Lab", "nb-1");
        let body = with_profile_hosts("", "Lab A", &[a1.clone(), a2.clone()]);
        let body = with_profile_hosts(&body, "Lab", std::slice::from_ref(&b1));
        assert!(body.contains("Host bai-lab-a-nb-1") && body.contains("Host bai-lab-nb-1"));
        // Another `ssh-config` of "Lab A" keeps "Lab"'s entry.
        let body = with_profile_hosts(&body, "Lab A", std::slice::from_ref(&a2));
        assert!(!body.contains("Host bai-lab-a-nb-1\n"), "{body}");
        assert!(body.contains("Host bai-lab-a-nb-2") && body.contains("Host bai-lab-nb-1"));
        // One session's entry, added then replaced, not doubled.
        let body = with_host(&body, "Lab", "nb-9", &entry("Lab", "nb-9"));
        let body = with_host(&body, "Lab", "nb-9", &entry("Lab", "nb-9"));
        assert_eq!(body.matches("Host bai-lab-nb-9\n").count(), 1, "{body}");
        // "Lab"'s nb-1 ended; "Lab A"'s entries are not "Lab"'s.
        let after = without_ended(&body, "Lab", &["nb-9"]).expect("changed");
        assert!(!after.contains("Host bai-lab-nb-1\n"), "{after}");
        assert!(after.contains("Host bai-lab-nb-9") && after.contains("Host bai-lab-a-nb-2"));
        assert!(
            without_ended(&after, "Lab", &["nb-9"]).is_none(),
            "nothing more to drop"
        );
    }

    const K1: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGmZ4Y9cVn8xR2VbR8b0t0b8fHkF3v7R3yTq0Qf3n1aV bai-launcher a p";
    const K2: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKr7V9Y3pP0sXw6q1Zl0Gm7m3kq5s2c8rQ6yV3p1n2bX other";

    #[test]
    fn keys_are_appended_once_and_removed_alone() {
        let start = format!("{K2}\n");
        let added = with_key(&start, K1).expect("added");
        assert_eq!(added, format!("{K2}\n{K1}\n"));
        assert!(with_key(&added, K1).is_none(), "no second copy");
        let back = without_key(&added, K1).expect("removed");
        assert_eq!(back, start);
        assert!(without_key(&back, K1).is_none());
        // Options before the key and a missing final newline.
        let opts = format!("no-pty {K1}");
        assert!(without_key(&opts, K1).is_some());
        assert_eq!(with_key(K2, K1).expect("added"), format!("{K2}\n{K1}\n"));
    }

    #[test]
    fn quoting_survives_the_shell_and_ssh_tokens() {
        assert_eq!(shell_quote("plain-name"), "plain-name");
        assert_eq!(shell_quote("it's 100%"), r"'it'\''s 100%'");
        let e = HostEntry {
            profile: "My Lab".into(),
            session: "nb-1".into(),
            session_id: None,
            user: "work".into(),
            proxy_program: vec!["/usr/bin/bai".into()],
            identity_file: "/d/id".into(),
            known_hosts: "/d/kh".into(),
        };
        assert_eq!(e.alias(), "bai-my-lab-nb-1");
        assert_eq!(e.proxy_command(), "/usr/bin/bai ssh-proxy 'My Lab' nb-1");
        let block = e.render().expect("renders");
        assert!(block.starts_with("Host bai-my-lab-nb-1\n"));
        assert!(block.contains("IdentityFile \"/d/id\"\n"));
    }

    #[test]
    fn device_keys_are_private_and_fingerprinted_like_ssh_keygen() {
        assert!(fingerprint("not a key").is_err());
        if which("ssh-keygen").is_none() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "ssh-keygen missing"
            );
            return;
        }
        let dir = tempfile::tempdir().expect("tmp");
        let store = KeyStore::new(dir.path());
        let (key, made) = store.ensure("My Lab").expect("made");
        assert!(made);
        let (again, made) = store.ensure("My Lab").expect("loaded");
        assert!(!made);
        assert_eq!(again.fingerprint, key.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key.private_key)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let out = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(key.private_key.with_extension("pub"))
            .output()
            .expect("ssh-keygen -l");
        let printed = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            printed.split_whitespace().nth(1),
            Some(key.fingerprint.as_str())
        );
        assert_eq!(store.list().expect("list")[0].profile, "My Lab");
        store
            .record_install("My Lab", "nb-1", "authorized_keys")
            .expect("record");
        assert_eq!(store.installs("My Lab")[0].session, "nb-1");
        store.delete("My Lab").expect("delete");
        assert!(store.load("My Lab").expect("load").is_none());
    }

    #[test]
    fn include_goes_first_and_once() {
        let dir = tempfile::tempdir().expect("tmp");
        let cfg = dir.path().join("config");
        std::fs::write(&cfg, "Host mine\n  User me\n").expect("write");
        let inc = dir.path().join("config.d/bai");
        assert!(add_include(&cfg, &inc).expect("adds"));
        assert!(!add_include(&cfg, &inc).expect("once"));
        let text = std::fs::read_to_string(&cfg).expect("read");
        assert!(text.contains("Include \""));
        assert!(text.ends_with("Host mine\n  User me\n"), "{text}");
        assert!(text.find("Include").expect("include") < text.find("Host mine").expect("host"));
    }

    #[test]
    fn managed_files_never_replace_the_users() {
        let dir = tempfile::tempdir().expect("tmp");
        let f = dir.path().join("bai");
        std::fs::write(&f, "Host theirs\n").expect("write");
        assert!(write_managed(&f, "Host x\n").is_err());
        std::fs::remove_file(&f).expect("rm");
        write_managed(&f, "Host x\n").expect("writes");
        write_managed(&f, "Host y\n").expect("rewrites its own");
        assert!(
            std::fs::read_to_string(&f)
                .expect("read")
                .ends_with("Host y\n")
        );
    }
}
