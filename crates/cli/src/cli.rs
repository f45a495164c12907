//! The command-line grammar (clap derive). Each subcommand's behaviour lives in `commands/`.
//!
//! Every command carries an `Examples:` section (`after_help`), and a test walks the command
//! tree to keep it so. Aliases and short flags follow the official `backend.ai` CLI where they
//! mean the same thing there (`ps`, `rm`, `-e`, `-m`, `-t`, `-g`, `-r`, `-f`), so its users'
//! habits carry over.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The heading the options valid for every command are listed under, so each command's own
/// options stand apart from them.
const GLOBAL: &str = "Global options";

const TOP_EXAMPLES: &str = "\
Examples:
  bai demo                                  # a local demo server and a \"Demo\" profile
  bai profile add work --endpoint https://api.example.com --access-key AK --secret-key-stdin < sk.txt
  bai launch -i cr.backend.ai/stable/python:3.9-ubuntu20.04 --cpu 2 --mem 4g
  bai ps                                    # your sessions (also: bai sessions, bai ls)
  bai rm my-notebook                        # terminate a session
  source <(bai completion bash)             # tab completion for this shell

Which account a command uses (first match wins):
  1. --profile NAME (or -p NAME)
  2. the BAI_PROFILE environment variable
  3. the BACKEND_* variables of the official client, when BACKEND_ENDPOINT is set
     (BACKEND_ACCESS_KEY, BACKEND_SECRET_KEY, BACKEND_ENDPOINT_TYPE, BACKEND_DOMAIN,
     BACKEND_GROUP); a note on stderr says so when they override your default profile
  4. the default profile (`bai profile default NAME`)
`bai profile show` and `bai profile login` without a NAME skip step 3: they are about
stored profiles.

Names: a profile name is 1 to 100 characters without control characters, unique (spaces
around it are trimmed). A session name (--name) is 4 to 64 characters of a-z A-Z 0-9 _ - .,
starting and ending with a letter, digit or _ (the manager's rule).";

#[derive(Debug, Parser)]
#[command(
    name = "bai",
    version,
    about = "Backend.AI notebooks from the command line",
    long_about = None,
    after_help = TOP_EXAMPLES
)]
pub struct Cli {
    /// More log output on stderr (-v: debug, -vv: trace). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,

    /// The profile to use (or set BAI_PROFILE). Either beats the BACKEND_* variables, which
    /// beat the default profile (see `bai --help`).
    #[arg(
        short,
        long,
        global = true,
        env = "BAI_PROFILE",
        value_name = "NAME",
        help_heading = GLOBAL
    )]
    pub profile: Option<String>,

    /// Where profiles are kept (default: the OS's per-user config directory).
    #[arg(
        long,
        global = true,
        env = "BAI_CONFIG_DIR",
        value_name = "DIR",
        help_heading = GLOBAL
    )]
    pub config_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tell whether a URL is a Backend.AI manager API or a web UI server, and its API version.
    #[command(after_help = "\
Examples:
  bai detect https://api.example.com
  bai detect https://webui.example.com/summary      # a pasted page address: the path is dropped
  bai detect https://10.0.0.5:8443 --ca-cert company-ca.pem")]
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
    #[command(
        subcommand,
        after_help = "\
Examples:
  bai profile add work --endpoint https://api.example.com --access-key AK --secret-key-stdin < sk.txt
  bai profile list
  bai profile default work"
    )]
    Profile(Box<ProfileCmd>),
    /// List your compute sessions (your active ones; --all: every session you may see).
    #[command(
        visible_aliases = ["ps", "ls"],
        after_help = "\
Examples:
  bai sessions
  bai ps -a                                 # ended sessions too (as `backend.ai ps -a`)
  bai ls --json -p work"
    )]
    Sessions {
        /// Every session you may see: ended ones too and, for an admin, other users'.
        #[arg(short, long)]
        all: bool,
    },
    /// Start a session, tunnel to its notebook and open it in the browser. Keeps the private
    /// tunnel until Ctrl-C; Ctrl-C during the launch cancels it (destroying the session only if
    /// this launch created it).
    #[command(after_help = "\
Examples:
  bai launch                                # the profile's quick-start image and resources
  bai launch -i cr.backend.ai/stable/python:3.9-ubuntu20.04 --cpu 2 --mem 4g
  bai launch --preset small -m data -e TZ=UTC -n my-notebook --reuse
  bai launch --no-open --terminate-on-exit  # print the URL; destroy the session on Ctrl-C
  bai launch --again my-notebook            # an ended session, exactly as it was launched")]
    Launch(Box<LaunchArgs>),
    /// The launch history: what each launch of this profile asked for (no secrets), for
    /// `bai launch --again`. Kept offline, 20 launches per profile.
    #[command(
        subcommand,
        after_help = "\
Examples:
  bai history list
  bai launch --again my-notebook
  bai history clear -p work"
    )]
    History(HistoryCmd),
    /// Tunnel to an app of an existing session and open it (the session is left running).
    #[command(after_help = "\
Examples:
  bai open my-notebook
  bai open my-notebook --app vscode --no-open")]
    Open {
        /// The session's name or id.
        session: String,
        #[command(flatten)]
        tunnel: TunnelArgs,
    },
    /// List the apps a session offers.
    #[command(after_help = "\
Examples:
  bai apps my-notebook")]
    Apps {
        /// The session's name or id.
        session: String,
    },
    /// Terminate a session (a PENDING one is cancelled) and wait until it has ended.
    #[command(
        visible_alias = "rm",
        after_help = "\
Examples:
  bai terminate my-notebook
  bai rm -f 3f1c2a9e                        # skip the graceful steps (as `backend.ai rm -f`)"
    )]
    Terminate {
        /// The session's name or id.
        session: String,
        /// Skip the graceful shutdown steps.
        #[arg(short, long)]
        force: bool,
    },
    /// List the installed images.
    #[command(after_help = "\
Examples:
  bai images
  bai images -a --json")]
    Images {
        /// Also list images no agent has installed yet (the manager may still pull them).
        #[arg(short, long)]
        all: bool,
    },
    /// List the resource presets and whether each fits right now.
    #[command(after_help = "\
Examples:
  bai presets
  bai presets -g my-project --resource-group gpu")]
    Presets {
        /// Project (default: the profile's, else `default`).
        #[arg(short = 'g', long)]
        project: Option<String>,
        /// Resource group (default: the profile's).
        #[arg(long)]
        resource_group: Option<String>,
    },
    /// Run a local demo server (the testkit) with a "Demo" profile, until Ctrl-C.
    #[command(after_help = "\
Examples:
  bai demo
  bai demo --launch                         # also start the quick-start notebook
  bai demo --no-profile --port 8090")]
    Demo(DemoArgs),
    /// SSH ProxyCommand: carry one SSH connection over the session's signed tcpproxy
    /// WebSocket (app `sshd`) on stdin/stdout. No local port is opened.
    #[command(after_help = "\
Examples:
  bai ssh-config                            # writes Host entries that use it
  ssh -o ProxyCommand='bai ssh-proxy work my-notebook' work@my-notebook
PROFILE is a profile name, or `env` for the BACKEND_* variables.")]
    SshProxy {
        /// The profile (or `env` for the BACKEND_* variables).
        profile: String,
        /// The session's name or id.
        session: String,
    },
    /// Open a shell in a session (or run CMD) with the system `ssh`, through the session's
    /// private tunnel and this device's key.
    #[command(after_help = "\
Examples:
  bai ssh my-notebook
  bai ssh my-notebook -- nvidia-smi
  bai ssh my-notebook --print-config        # the generated config's path, for ssh -F / sftp -F")]
    Ssh(SshArgs),
    /// Write `Host bai-<profile>-<session>` entries for your running sessions to
    /// ~/.ssh/config.d/bai (and include it from ~/.ssh/config, once, with your consent).
    #[command(after_help = "\
Examples:
  bai ssh-config                            # asks before touching ~/.ssh/config
  bai ssh-config --yes                      # then: ssh bai-work-my-notebook, sftp, scp, VS Code
  bai ssh-config --no-include               # only the managed file")]
    SshConfig(SshConfigArgs),
    /// This device's SSH keys (one per profile): list them, or revoke one.
    #[command(
        subcommand,
        after_help = "\
Examples:
  bai ssh-keys list
  bai ssh-keys revoke -p work"
    )]
    SshKeys(SshKeysCmd),
    /// Open a session in VS Code (Remote - SSH): writes its Host entry and runs
    /// `code --remote ssh-remote+bai-<profile>-<session> /home/work`.
    #[command(after_help = "\
Examples:
  bai code my-notebook --yes")]
    Code(CodeArgs),
    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  source <(bai completion bash)             # this bash session; add it to ~/.bashrc to keep it
  bai completion zsh > \"${fpath[1]}/_bai\"    # zsh (then restart the shell)
  bai completion fish > ~/.config/fish/completions/bai.fish")]
    Completion {
        /// The shell to write the script for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `bai history`.
#[derive(Debug, Subcommand)]
pub enum HistoryCmd {
    /// List this profile's recorded launches, newest first (offline).
    #[command(after_help = "\
Examples:
  bai history list
  bai history list --json -p work")]
    List,
    /// Forget this profile's recorded launches (offline).
    #[command(after_help = "\
Examples:
  bai history clear
  bai history clear --all-profiles")]
    Clear {
        /// Forget every profile's launches, not only this one's.
        #[arg(long)]
        all_profiles: bool,
    },
}

/// `bai ssh`.
#[derive(Debug, Clone, Args)]
pub struct SshArgs {
    /// The session's name or id.
    pub session: String,
    /// The user in the session (Backend.AI kernels run as `work`).
    #[arg(long, env = "BAI_SSH_USER", default_value = "work")]
    pub user: String,
    /// Print the generated SSH config's path (for `ssh -F`, `sftp -F`, `scp -F`) instead of
    /// connecting.
    #[arg(long)]
    pub print_config: bool,
    /// The command to run instead of a shell (after `--`).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `bai ssh-config`.
#[derive(Debug, Clone, Args)]
pub struct SshConfigArgs {
    /// The user in the sessions (Backend.AI kernels run as `work`).
    #[arg(long, env = "BAI_SSH_USER", default_value = "work")]
    pub user: String,
    /// Add the `Include` line to ~/.ssh/config without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Never touch ~/.ssh/config; only write the managed file.
    #[arg(long, conflicts_with = "yes")]
    pub no_include: bool,
}

/// `bai code`.
#[derive(Debug, Clone, Args)]
pub struct CodeArgs {
    /// The session's name or id.
    pub session: String,
    #[command(flatten)]
    pub config: SshConfigArgs,
}

/// `bai ssh-keys`.
#[derive(Debug, Subcommand)]
pub enum SshKeysCmd {
    /// List this device's SSH keys and the sessions each went into (offline).
    #[command(after_help = "\
Examples:
  bai ssh-keys list
  bai ssh-keys list --json")]
    List,
    /// Take this device's key of a profile out of every session it went into, then delete it
    /// (the next `bai ssh` makes a new one).
    #[command(after_help = "\
Examples:
  bai ssh-keys revoke -p work
  bai ssh-keys revoke -p work --keep-file   # only take it out of the sessions")]
    Revoke {
        /// Keep the key files on this device.
        #[arg(long)]
        keep_file: bool,
    },
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
    #[arg(short, long)]
    pub image: Option<String>,
    /// A resource preset of the cluster (see `bai presets`).
    #[arg(long, conflicts_with_all = ["cpu", "mem", "gpu"])]
    pub preset: Option<String>,
    // Negative amounts are taken as values so the resource parser can say what is wrong
    // with them (clap would call `-1` an unknown option).
    /// CPU cores, e.g. 2.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub cpu: Option<String>,
    /// Memory, e.g. 4g or 512m; a bare number is MiB, as in the official CLI.
    #[arg(long, value_name = "SIZE", allow_negative_numbers = true)]
    pub mem: Option<String>,
    /// Fractional GPU, sent as the `cuda.shares` slot (a decimal string such as "0.5"; needs
    /// the fractional GPU plugin on the cluster).
    #[arg(long, value_name = "SHARES", allow_negative_numbers = true)]
    pub gpu: Option<String>,
    /// Project (group) name (default: the profile's, else `default`).
    #[arg(short = 'g', long)]
    pub project: Option<String>,
    /// Resource group (scaling group) (default: the profile's).
    #[arg(long)]
    pub resource_group: Option<String>,
    /// Mount a virtual folder, at /home/work/FOLDER or at PATH (repeatable).
    #[arg(short, long = "mount", value_name = "FOLDER[:PATH]")]
    pub mounts: Vec<String>,
    /// An environment variable for the session (repeatable).
    #[arg(short, long = "env", value_name = "K=V")]
    pub envs: Vec<String>,
    /// Session name (default: a generated `bai-xxxxxxxx`): 4 to 64 of a-z A-Z 0-9 _ - .,
    /// starting and ending with a letter, digit or _.
    #[arg(short, short_alias = 't', long)]
    pub name: Option<String>,
    /// Attach to the session of this name if it exists (needs --name); it is never destroyed
    /// by this launch.
    #[arg(long, requires = "name")]
    pub reuse: bool,
    /// Launch a session of this profile's launch history again, exactly as it was launched
    /// (image, resources, mounts, environment, name, app): `bai history list` shows them.
    /// With --name, under that name instead.
    #[arg(
        long,
        value_name = "SESSION",
        conflicts_with_all = ["image", "preset", "cpu", "mem", "gpu", "project", "resource_group", "mounts", "envs", "reuse"]
    )]
    pub again: Option<String>,
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
    /// arguments. The endpoint is contacted first: an address that does not answer as
    /// Backend.AI is refused (--offline skips the check).
    #[command(after_help = "\
Examples:
  bai profile add work --endpoint https://api.example.com --access-key AK --secret-key-stdin < sk.txt
  bai profile add lab --endpoint https://webui.example.com --email me@example.com --password-stdin --remember-password
  bai profile add later --endpoint https://api.example.com --access-key AK --offline   # no network now

Names: 1 to 100 characters without control characters, unique (spaces around it are trimmed).")]
    Add(AddArgs),
    /// List the profiles.
    #[command(
        visible_alias = "ls",
        after_help = "\
Examples:
  bai profile list
  bai profile ls --json"
    )]
    List,
    /// Show one profile (secrets masked).
    #[command(after_help = "\
Examples:
  bai profile show
  bai profile show work --json")]
    Show {
        /// The profile (default: --profile, else the default profile).
        name: Option<String>,
    },
    /// Change fields of a profile.
    #[command(after_help = "\
Examples:
  bai profile edit work -i cr.backend.ai/stable/python:3.9-ubuntu20.04 -r cpu=2 -r mem=4g
  bai profile edit work --endpoint https://new.example.com --verify-tls")]
    Edit(EditArgs),
    /// Rename a profile (its secrets stay with it).
    #[command(after_help = "\
Examples:
  bai profile rename work \"work cluster\"")]
    Rename {
        /// The profile's current name.
        old: String,
        /// Its new name (1 to 100 characters, no control characters, not taken).
        new: String,
    },
    /// Remove a profile and its secrets. Removing the default profile asks first on a
    /// terminal; elsewhere it needs --yes.
    #[command(
        visible_alias = "rm",
        after_help = "\
Examples:
  bai profile remove old-cluster
  bai profile rm work --yes                 # the default profile, from a script"
    )]
    Remove {
        /// The profile to remove.
        name: String,
        /// Remove the default profile without asking.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Make a profile the default.
    #[command(after_help = "\
Examples:
  bai profile default work")]
    Default {
        /// The profile that commands use when no other is chosen.
        name: String,
    },
    /// Connect and show the server, API version, user and role.
    #[command(after_help = "\
Examples:
  bai profile test work
  bai profile test                          # --profile, else BACKEND_*, else the default")]
    Test {
        /// The profile (default: --profile, else BACKEND_* variables, else the default profile).
        name: Option<String>,
    },
    /// Log in to a web UI server profile again (keeps the login session in the keyring).
    #[command(after_help = "\
Examples:
  bai profile login lab
  bai profile login lab --otp 123456 --password-stdin < pw.txt")]
    Login {
        /// The profile (default: --profile, else the default profile).
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
    #[command(after_help = "\
Examples:
  bai profile import --official              # every profile of ~/.backend.ai
  bai profile import --from-env --name work  # BACKEND_* variables (and ./.env)
  bai profile import -f profiles.toml --rename")]
    Import(ImportArgs),
    /// Write profiles as a document `bai profile import --file` reads (TOML; JSON with
    /// --json). No secret unless --with-secrets.
    #[command(after_help = "\
Examples:
  bai profile export > profiles.toml
  bai profile export work --with-secrets -o work.toml")]
    Export(ExportArgs),
    /// Show which secrets each profile has in the OS keyring (never their values);
    /// --orphans: keyring entries that no profile uses.
    #[command(after_help = "\
Examples:
  bai profile secrets
  bai profile secrets --orphans
  bai profile secrets --orphans --clean --yes")]
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
    /// The server's address: the manager API or the web UI (https:// when no scheme is given;
    /// a one-word host such as `manager` needs the scheme: http://manager:8081).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// How to sign in (default: api with --access-key, webserver with --email).
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
    /// The account's domain (default: `default`).
    #[arg(short, long)]
    pub domain: Option<String>,
    /// Default project (group).
    #[arg(short = 'g', long)]
    pub project: Option<String>,
    /// Default resource group (scaling group).
    #[arg(long)]
    pub resource_group: Option<String>,
    /// Quick-start image.
    #[arg(short, long)]
    pub image: Option<String>,
    /// Quick-start resource preset name.
    #[arg(long)]
    pub preset: Option<String>,
    /// Quick-start resource, SLOT=AMOUNT (repeatable; each sets one slot, the others are kept;
    /// SLOT= removes one), e.g. cpu=2 mem=4g.
    #[arg(short, long = "resource", value_name = "SLOT=AMOUNT")]
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
    /// The new profile's name (1 to 100 characters without control characters, unique; spaces
    /// around it are trimmed).
    pub name: String,
    #[command(flatten)]
    pub fields: FieldArgs,
    /// Make it the default profile.
    #[arg(long)]
    pub default: bool,
    /// The one-time code from the authenticator app, when the account uses 2FA (web UI
    /// server profiles).
    #[arg(long, value_name = "CODE", conflicts_with = "offline")]
    pub otp: Option<String>,
    /// When the account is already signed in elsewhere as often as the site allows, log out
    /// its oldest other session instead of failing (web UI server profiles).
    #[arg(long, conflicts_with = "offline")]
    pub force: bool,
    /// Do not contact the endpoint: keep the profile even though the server cannot be reached
    /// now (nothing checks the address, the kind, or a web UI password).
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The profile to change.
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
    #[arg(short, long, value_name = "FILE", conflicts_with_all = ["from_env", "env_file", "official", "name", "email"])]
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        // Clashing short flags, aliases or argument ids fail here rather than at a user's run.
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_an_example_and_every_argument_a_description() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let example = cmd
                .get_after_help()
                .is_some_and(|h| h.to_string().contains("Examples:\n  "));
            if !example {
                missing.push(format!("`{path}`: no example"));
            }
            if path != "bai" && cmd.get_about().is_none() {
                missing.push(format!("`{path}`: no description"));
            }
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("`{path}` {}: no description", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        let mut missing = Vec::new();
        walk(&cmd, "bai", &mut missing);
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }
}
