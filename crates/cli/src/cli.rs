//! The command-line grammar (clap derive). Each subcommand's behaviour lives in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "bai", version, about = "Backend.AI notebooks from the command line", long_about = None)]
pub struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// The profile to use (else the default profile; else BACKEND_* variables if set).
    #[arg(long, global = true, env = "BAI_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Where profiles are kept (default: the OS's per-user config directory).
    #[arg(long, global = true, env = "BAI_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tell whether a URL is a Backend.AI manager API or a web UI server, and its API version.
    Detect {
        /// The address to probe, e.g. https://api.example.com or the web UI's address.
        url: String,
        /// Trust this CA certificate (PEM) in addition to the system's.
        #[arg(long, value_name = "PEM_FILE")]
        ca_cert: Option<std::path::PathBuf>,
        /// Do not verify the server's TLS certificate (unsafe; for test clusters only).
        #[arg(long)]
        insecure: bool,
    },
    /// Manage profiles: one per Backend.AI account (secrets stay in the OS keyring).
    #[command(subcommand)]
    Profile(Box<ProfileCmd>),
    /// List your compute sessions (your active ones; --all: every session you may see).
    Sessions {
        /// Every session you may see: ended ones too and, for an admin, other users'.
        #[arg(long)]
        all: bool,
    },
    /// Start a session, tunnel to its notebook and open it in the browser. Keeps the private
    /// tunnel until Ctrl-C; Ctrl-C during the launch cancels it (destroying the session only if
    /// this launch created it).
    Launch(Box<LaunchArgs>),
    /// Tunnel to an app of an existing session and open it (the session is left running).
    Open {
        /// The session's name or id.
        session: String,
        #[command(flatten)]
        tunnel: TunnelArgs,
    },
    /// List the apps a session offers.
    Apps {
        /// The session's name or id.
        session: String,
    },
    /// Terminate a session (a PENDING one is cancelled) and wait until it has ended.
    Terminate {
        /// The session's name or id.
        session: String,
        /// Skip the graceful shutdown steps.
        #[arg(long)]
        force: bool,
    },
    /// List the installed images.
    Images {
        /// Also list images no agent has installed yet (the manager may still pull them).
        #[arg(long)]
        all: bool,
    },
    /// List the resource presets and whether each fits right now.
    Presets {
        /// Project (default: the profile's, else `default`).
        #[arg(long)]
        project: Option<String>,
        /// Resource group (default: the profile's).
        #[arg(long)]
        resource_group: Option<String>,
    },
    /// Run a local demo server (the testkit) with a "Demo" profile, until Ctrl-C.
    Demo(DemoArgs),
}

/// How a tunnel is opened and what happens when it is closed.
#[derive(Debug, Clone, Default, Args)]
pub struct TunnelArgs {
    /// The app to open (default: the profile's quick-start app, else jupyterlab, else jupyter).
    #[arg(long)]
    pub app: Option<String>,
    /// Do not open the browser; only print the URL.
    #[arg(long)]
    pub no_open: bool,
    /// Terminate the session when the tunnel is closed with Ctrl-C.
    #[arg(long)]
    pub terminate_on_exit: bool,
}

#[derive(Debug, Clone, Default, Args)]
pub struct LaunchArgs {
    /// Image reference or alias (default: the profile's quick-start image).
    #[arg(long)]
    pub image: Option<String>,
    /// A resource preset of the cluster (see `bai presets`).
    #[arg(long, conflicts_with_all = ["cpu", "mem", "gpu"])]
    pub preset: Option<String>,
    /// CPU cores, e.g. 2.
    #[arg(long, value_name = "N")]
    pub cpu: Option<String>,
    /// Memory, e.g. 4g or 512m.
    #[arg(long, value_name = "SIZE")]
    pub mem: Option<String>,
    /// Fractional GPU, sent as the `cuda.shares` slot (a decimal string such as "0.5"; needs
    /// the fractional GPU plugin on the cluster).
    #[arg(long, value_name = "SHARES")]
    pub gpu: Option<String>,
    /// Project (group) name (default: the profile's, else `default`).
    #[arg(long)]
    pub project: Option<String>,
    /// Resource group (scaling group) (default: the profile's).
    #[arg(long)]
    pub resource_group: Option<String>,
    /// Mount a virtual folder, at /home/work/FOLDER or at PATH (repeatable).
    #[arg(long = "mount", value_name = "FOLDER[:PATH]")]
    pub mounts: Vec<String>,
    /// An environment variable for the session (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    pub envs: Vec<String>,
    /// Session name (default: a generated `bai-xxxxxxxx`).
    #[arg(long)]
    pub name: Option<String>,
    /// Attach to the session of this name if it exists (needs --name); it is never destroyed
    /// by this launch.
    #[arg(long, requires = "name")]
    pub reuse: bool,
    #[command(flatten)]
    pub tunnel: TunnelArgs,
}

#[derive(Debug, Clone, Default, Args)]
pub struct DemoArgs {
    /// Do not add or update the "Demo" profile.
    #[arg(long)]
    pub no_profile: bool,
    /// Also launch the quick-start session and print its URL.
    #[arg(long)]
    pub launch: bool,
    /// With --launch: do not open the browser.
    #[arg(long)]
    pub no_open: bool,
    /// The demo manager's port (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// The manager API, signed with a keypair (access key + secret key).
    Api,
    /// The web UI server, with email and password.
    Webserver,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Add a profile. Secrets are read from stdin (--…-stdin) or prompted for, never taken as
    /// arguments.
    Add(AddArgs),
    /// List the profiles.
    List,
    /// Show one profile (secrets masked).
    Show {
        /// The profile (default: --profile, else the default profile).
        name: Option<String>,
    },
    /// Change fields of a profile.
    Edit(EditArgs),
    /// Rename a profile (its secrets stay with it).
    Rename { old: String, new: String },
    /// Remove a profile and its secrets.
    Remove { name: String },
    /// Make a profile the default.
    Default { name: String },
    /// Connect and show the server, API version, user and role.
    Test {
        /// The profile (default: --profile, else BACKEND_* variables, else the default profile).
        name: Option<String>,
    },
    /// Log in to a web UI server profile again (keeps the login session in the keyring).
    Login {
        name: Option<String>,
        /// Read the password from stdin (one line) instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// The one-time code from the authenticator app, when the account uses 2FA.
        #[arg(long, value_name = "CODE")]
        otp: Option<String>,
        /// Keep the password in the keyring for later logins.
        #[arg(long)]
        remember_password: bool,
        /// When the account is already signed in elsewhere as often as the site allows, log
        /// out its oldest other session instead of failing.
        #[arg(long)]
        force: bool,
    },
    /// Import from the official client (its ~/.backend.ai, BACKEND_* variables, a .env file)
    /// or from a document `bai profile export` wrote.
    Import(ImportArgs),
    /// Write profiles as a document `bai profile import --file` reads (TOML; JSON with
    /// --json). No secret unless --with-secrets.
    Export(ExportArgs),
    /// Inspect secrets in the keyring.
    Secrets {
        /// List secrets that no profile in any known config directory uses.
        #[arg(long)]
        orphans: bool,
        /// Delete the orphans (asks first on a terminal; elsewhere needs --yes).
        #[arg(long, requires = "orphans")]
        clean: bool,
        /// With --clean: delete without asking.
        #[arg(long, short = 'y', requires = "clean")]
        yes: bool,
    },
}

/// Fields shared by `add` and `edit`.
#[derive(Debug, Clone, Default, Args)]
pub struct FieldArgs {
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// The keypair's access key (manager API profiles).
    #[arg(long, value_name = "AK")]
    pub access_key: Option<String>,
    /// Read the secret key from stdin (one line).
    #[arg(long)]
    pub secret_key_stdin: bool,
    /// The login email (web UI server profiles).
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// Read the password from stdin (one line).
    #[arg(long)]
    pub password_stdin: bool,
    /// Keep the password in the keyring so expired logins renew themselves.
    #[arg(long)]
    pub remember_password: bool,
    #[arg(long)]
    pub domain: Option<String>,
    /// Default project (group).
    #[arg(long)]
    pub project: Option<String>,
    /// Default resource group (scaling group).
    #[arg(long)]
    pub resource_group: Option<String>,
    /// Quick-start image.
    #[arg(long)]
    pub image: Option<String>,
    /// Quick-start resource preset name.
    #[arg(long)]
    pub preset: Option<String>,
    /// Quick-start resource, SLOT=AMOUNT (repeatable; each sets one slot, the others are kept;
    /// SLOT= removes one), e.g. cpu=2 mem=4g.
    #[arg(long = "resource", value_name = "SLOT=AMOUNT")]
    pub resources: Vec<String>,
    /// Quick-start app (default jupyterlab).
    #[arg(long)]
    pub app: Option<String>,
    /// Trust this CA certificate (PEM) for the endpoint.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Do not verify the server's TLS certificate (unsafe; for test clusters only).
    #[arg(long)]
    pub insecure_skip_verify: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub name: String,
    #[command(flatten)]
    pub fields: FieldArgs,
    /// Make it the default profile.
    #[arg(long)]
    pub default: bool,
    /// The one-time code from the authenticator app, when the account uses 2FA (web UI
    /// server profiles).
    #[arg(long, value_name = "CODE")]
    pub otp: Option<String>,
    /// When the account is already signed in elsewhere as often as the site allows, log out
    /// its oldest other session instead of failing (web UI server profiles).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub name: String,
    #[command(flatten)]
    pub fields: FieldArgs,
    /// Delete the stored password (later logins ask for it).
    #[arg(long, conflicts_with = "remember_password")]
    pub forget_password: bool,
    /// Stop trusting the profile's custom CA certificate.
    #[arg(long, conflicts_with = "ca_cert")]
    pub no_ca_cert: bool,
    /// Verify TLS certificates again.
    #[arg(long, conflicts_with = "insecure_skip_verify")]
    pub verify_tls: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// From BACKEND_ENDPOINT, BACKEND_ACCESS_KEY, ... in the environment, with the first .env
    /// from the current folder upward laid over them (as the official client reads them).
    #[arg(long)]
    pub from_env: bool,
    /// From this .env file of BACKEND_* lines (with --from-env: laid over the environment
    /// instead of the .env found by searching).
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// From the official client's folder (default ~/.backend.ai): every profile in it.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "~/.backend.ai")]
    pub official: Option<PathBuf>,
    /// From a document `bai profile export` wrote (TOML or JSON; - for stdin).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from_env", "env_file", "official", "name", "email"])]
    pub file: Option<PathBuf>,
    /// Name for the imported profile (default: the endpoint's host; named official profiles
    /// keep their names).
    #[arg(long)]
    pub name: Option<String>,
    /// Login email for web UI server (session mode) sources.
    #[arg(long)]
    pub email: Option<String>,
    /// Make the imported profile the default (the source's current one, else the first).
    /// Without it, the source's current profile becomes the default only when there is none.
    #[arg(long)]
    pub default: bool,
    /// When a profile of the same name exists, overwrite it (default: skip it).
    #[arg(long, conflicts_with = "rename")]
    pub replace: bool,
    /// When a profile of the same name exists, import as "NAME (2)" (default: skip it).
    #[arg(long)]
    pub rename: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only these profiles (default: all).
    pub names: Vec<String>,
    /// Include the secret keys and remembered passwords from the keyring, in plain text.
    /// Needs --output FILE (created readable only by you), or --output - for stdout.
    #[arg(long)]
    pub with_secrets: bool,
    /// Write to this new file instead of stdout (- for stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}
