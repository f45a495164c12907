//! What the server knows before it starts: accounts, images, capacity, timing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::sessions::Status;

/// A user account with its keypairs.
#[derive(Clone, Serialize, Deserialize)]
pub struct User {
    pub email: String,
    pub password: String,
    /// `superadmin`, `admin` or `user`.
    pub role: String,
    pub uuid: uuid::Uuid,
    pub domain: String,
    pub project: String,
    pub project_id: uuid::Uuid,
    pub keypairs: Vec<Keypair>,
    /// When set, webserver login requires `otp` equal to this code.
    pub otp: Option<String>,
    /// The user resource policy's `max_concurrent_logins`: how many live webserver logins
    /// (of one client type, when the login names one) the user may have. `None` = unlimited.
    #[serde(default)]
    pub max_concurrent_logins: Option<usize>,
}

// Passwords, OTP codes and secret keys never reach logs.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("email", &self.email)
            .field("role", &self.role)
            .field("keypairs", &self.keypairs)
            .finish_non_exhaustive()
    }
}

/// An access key / secret key pair.
#[derive(Clone, Serialize, Deserialize)]
pub struct Keypair {
    pub access_key: String,
    pub secret_key: String,
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({})", self.access_key)
    }
}

/// The one project every default user belongs to; fixed so tests can name it.
pub const DEFAULT_PROJECT_ID: uuid::Uuid =
    uuid::Uuid::from_u128(0x2de2b969_1d04_48a6_af16_0bc8adb3c831);

impl User {
    pub fn new(email: &str, password: &str, role: &str) -> Self {
        User {
            email: email.into(),
            password: password.into(),
            role: role.into(),
            uuid: uuid::Uuid::new_v4(),
            domain: "default".into(),
            project: "default".into(),
            project_id: DEFAULT_PROJECT_ID,
            keypairs: Vec::new(),
            otp: None,
            max_concurrent_logins: None,
        }
    }
    pub fn with_keypair(mut self, access_key: &str, secret_key: &str) -> Self {
        self.keypairs.push(Keypair {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
        });
        self
    }
    pub fn with_otp(mut self, code: &str) -> Self {
        self.otp = Some(code.into());
        self
    }
    pub fn with_max_concurrent_logins(mut self, limit: usize) -> Self {
        self.max_concurrent_logins = Some(limit);
        self
    }
    pub fn is_admin(&self) -> bool {
        self.role == "superadmin" || self.role == "admin"
    }
}

/// One service port of an image (`name:protocol:port` in the image label).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServicePort {
    pub name: String,
    pub protocol: String,
    pub port: u16,
}

impl ServicePort {
    pub fn new(name: &str, protocol: &str, port: u16) -> Self {
        ServicePort {
            name: name.into(),
            protocol: protocol.into(),
            port,
        }
    }
}

/// A known image: `registry/namespace/name:tag` plus aliases.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Image {
    pub registry: String,
    /// Path under the registry, e.g. `stable/python`.
    pub name: String,
    pub tag: String,
    pub architecture: String,
    pub aliases: Vec<String>,
    pub service_ports: Vec<ServicePort>,
    pub id: uuid::Uuid,
}

impl Image {
    pub fn new(reference: &str, aliases: &[&str], service_ports: Vec<ServicePort>) -> Self {
        let (repo, tag) = reference.rsplit_once(':').unwrap_or((reference, "latest"));
        let (registry, name) = repo.split_once('/').unwrap_or(("cr.backend.ai", repo));
        Image {
            registry: registry.into(),
            name: name.into(),
            tag: tag.into(),
            architecture: "x86_64".into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            service_ports,
            id: uuid::Uuid::new_v4(),
        }
    }
    /// The canonical reference `registry/name:tag`.
    pub fn reference(&self) -> String {
        format!("{}/{}:{}", self.registry, self.name, self.tag)
    }
    pub fn matches(&self, r: &str) -> bool {
        self.reference() == r || self.aliases.iter().any(|a| a == r)
    }
}

/// Agent capacity; a session asking for more than this never leaves PENDING.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Capacity {
    pub cpu: f64,
    /// Bytes.
    pub mem: u64,
}

/// A virtual folder as `/folders` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Folder {
    pub name: String,
    pub id: uuid::Uuid,
    /// `user` or `group`.
    pub ownership_type: String,
}

/// How long a session dwells in each status before the next transition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schedule {
    pub default_dwell: Duration,
    pub per_status: BTreeMap<Status, Duration>,
}

impl Schedule {
    pub fn uniform(dwell: Duration) -> Self {
        Schedule {
            default_dwell: dwell,
            per_status: BTreeMap::new(),
        }
    }
    /// Override the dwell of one status.
    pub fn with(mut self, status: Status, dwell: Duration) -> Self {
        self.per_status.insert(status, dwell);
        self
    }
    pub fn dwell(&self, status: Status) -> Duration {
        self.per_status
            .get(&status)
            .copied()
            .unwrap_or(self.default_dwell)
    }
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::uniform(Duration::from_millis(200))
    }
}

/// Whether tunnels to jupyter/jupyterlab start a real JupyterLab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum JupyterMode {
    #[default]
    Off,
    /// Find `jupyter` from env `BAI_TESTKIT_JUPYTER`, else on PATH.
    Auto,
}

/// Everything the server is started with.
#[derive(Debug, Clone)]
pub struct Config {
    pub users: Vec<User>,
    pub images: Vec<Image>,
    pub capacity: Capacity,
    pub concurrency_limit: usize,
    /// Answer `quota-exceeded` with 412 like 24.09 instead of 400.
    pub legacy_2409: bool,
    pub schedule: Schedule,
    pub folders: Vec<Folder>,
    pub jupyter: JupyterMode,
    pub jupyter_eager: bool,
    pub app_targets: HashMap<String, SocketAddr>,
    pub manager_port: u16,
    pub webserver_port: u16,
    /// The site's `login_client_types` ids. Empty by default, like a manager installed with
    /// `mgr schema oneshot` (the migrations' `core`/`webui` seed rows are missing there).
    pub login_client_types: Vec<uuid::Uuid>,
    /// A round trip to add in front of the manager listener (zero: none): clients are given
    /// the address of a relay that delays each direction by half of it (see `delay.rs`).
    pub manager_rtt: Duration,
}

pub const ADMIN_EMAIL: &str = "admin@lablup.com";
pub const ADMIN_PASSWORD: &str = "wJalrXUt";
pub const ADMIN_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const ADMIN_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const USER_EMAIL: &str = "user@lablup.com";
pub const USER_PASSWORD: &str = "C8qnIo29";
pub const USER_ACCESS_KEY: &str = "AKIANABBDUSEREXAMPLE";
pub const USER_SECRET_KEY: &str = "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";

impl Default for Config {
    fn default() -> Self {
        Config {
            users: vec![
                User::new(ADMIN_EMAIL, ADMIN_PASSWORD, "superadmin")
                    .with_keypair(ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY),
                User::new(USER_EMAIL, USER_PASSWORD, "user")
                    .with_keypair(USER_ACCESS_KEY, USER_SECRET_KEY),
            ],
            images: vec![
                Image::new(
                    "cr.backend.ai/stable/python:3.9-ubuntu20.04",
                    &["python"],
                    vec![
                        ServicePort::new("jupyter", "http", 8091),
                        ServicePort::new("jupyterlab", "http", 8090),
                    ],
                ),
                Image::new(
                    "cr.backend.ai/stable/python-ml:3.11-ubuntu22.04",
                    &["python-ml"],
                    vec![
                        ServicePort::new("jupyter", "http", 8091),
                        ServicePort::new("jupyterlab", "http", 8090),
                        ServicePort::new("vscode", "http", 8180),
                        ServicePort::new("tensorboard", "http", 6006),
                    ],
                ),
            ],
            capacity: Capacity {
                cpu: 8.0,
                mem: 16 << 30,
            },
            concurrency_limit: 30,
            legacy_2409: false,
            schedule: Schedule::default(),
            folders: vec![
                Folder {
                    name: "myfolder".into(),
                    id: uuid::Uuid::new_v4(),
                    ownership_type: "user".into(),
                },
                Folder {
                    name: "shared-data".into(),
                    id: uuid::Uuid::new_v4(),
                    ownership_type: "group".into(),
                },
            ],
            jupyter: JupyterMode::Off,
            jupyter_eager: false,
            app_targets: HashMap::new(),
            manager_port: 0,
            webserver_port: 0,
            login_client_types: Vec::new(),
            manager_rtt: Duration::ZERO,
        }
    }
}

impl Config {
    /// The same accounts with a fresh random password and secret key each (access keys stay,
    /// they are names). The default ones are published in this repository: a server that
    /// anyone on the machine can reach (the demo, or the binary) must not accept them, or any
    /// local user could open a tunnel to its JupyterLab and run code as the user.
    pub fn with_random_secrets(mut self) -> Self {
        fn random(len: usize) -> String {
            rand::rng()
                .sample_iter(rand::distr::Alphanumeric)
                .take(len)
                .map(char::from)
                .collect()
        }
        for user in &mut self.users {
            user.password = random(20);
            for kp in &mut user.keypairs {
                kp.secret_key = random(40);
            }
        }
        self
    }

    /// The user owning `access_key`, with that keypair.
    pub fn find_keypair(&self, access_key: &str) -> Option<(&User, &Keypair)> {
        self.users.iter().find_map(|u| {
            u.keypairs
                .iter()
                .find(|k| k.access_key == access_key)
                .map(|k| (u, k))
        })
    }
    pub fn find_user(&self, email: &str) -> Option<&User> {
        self.users.iter().find(|u| u.email == email)
    }
    pub fn find_image(&self, r: &str) -> Option<&Image> {
        self.images.iter().find(|i| i.matches(r))
    }
}

/// Parse a binary size the way Backend.AI does: `4g`, `512m`, `1.5g`, `1024` (bytes).
pub fn parse_binary_size(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64().map(|f| f as u64),
        serde_json::Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            let s = s
                .strip_suffix("ib")
                .or_else(|| s.strip_suffix('b'))
                .unwrap_or(&s);
            let (num, mult) = match s.chars().last()? {
                'k' => (&s[..s.len() - 1], 1u64 << 10),
                'm' => (&s[..s.len() - 1], 1 << 20),
                'g' => (&s[..s.len() - 1], 1 << 30),
                't' => (&s[..s.len() - 1], 1 << 40),
                'p' => (&s[..s.len() - 1], 1 << 50),
                _ => (s, 1),
            };
            let f: f64 = num.trim().parse().ok()?;
            (f >= 0.0).then_some((f * mult as f64) as u64)
        }
        _ => None,
    }
}

/// A numeric slot value given as a number or a string (`"0.5"`).
pub fn parse_count(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn random_secrets_replace_every_published_one() {
        let fixed = Config::default();
        let random = Config::default().with_random_secrets();
        for (f, r) in fixed.users.iter().zip(&random.users) {
            assert_eq!(f.email, r.email);
            assert_ne!(f.password, r.password);
            for (fk, rk) in f.keypairs.iter().zip(&r.keypairs) {
                assert_eq!(fk.access_key, rk.access_key);
                assert_ne!(fk.secret_key, rk.secret_key);
                assert_eq!(rk.secret_key.len(), 40);
            }
        }
    }

    #[test]
    fn parses_binary_sizes() {
        assert_eq!(parse_binary_size(&json!("4g")), Some(4 << 30));
        assert_eq!(parse_binary_size(&json!("512m")), Some(512 << 20));
        assert_eq!(parse_binary_size(&json!("1.5g")), Some(3 << 29));
        assert_eq!(parse_binary_size(&json!(1024)), Some(1024));
        assert_eq!(parse_binary_size(&json!("2GiB")), Some(2 << 30));
        assert_eq!(parse_binary_size(&json!("lots")), None);
    }
}
