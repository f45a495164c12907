//! `bai ssh-proxy`, `bai ssh`, `bai ssh-config`, `bai ssh-keys`, `bai code`: SSH to a session
//! through its signed tcpproxy WebSocket, with this device's key (see `bai_core::ssh`).

use std::path::{Path, PathBuf};

use bai_core::client::{SessionSummary, StatusFilter};
use bai_core::ssh::{self, DeviceKey, HostEntry, Installed, KeyStore, MANAGED_FILE};
use bai_tunnel::TunnelConfig;
use bai_tunnel::relay::ConnectError;
use serde_json::json;

use super::profile::Context;
use super::session::{self, Account};
use crate::cli::{Command, SshConfigArgs, SshKeysCmd};
use crate::report::CliError;

/// The profile label of the `BACKEND_*` account.
const ENV_LABEL: &str = "env";

pub async fn run(ctx: &mut Context<'_>, cmd: Command) -> Result<(), CliError> {
    match cmd {
        Command::SshProxy { profile, session } => proxy(ctx, profile, &session).await,
        Command::Ssh(a) => {
            let acct = session::connect(ctx).await?;
            let label = label(&acct);
            let store = KeyStore::from_env()?;
            let entry = prepare(ctx, &acct, &store, &label, &a.session, &a.user).await?;
            let config = store.profile_dir(&label).join("config");
            ssh::write_managed(&config, &entry.render()?)?;
            if a.print_config {
                return print_config(ctx, &config, &entry);
            }
            let ssh_bin = ssh::which("ssh").ok_or_else(|| bai_core::Error::ProgramMissing {
                program: "ssh".into(),
                hint: "install OpenSSH's client (Debian/Ubuntu: apt-get install openssh-client)"
                    .into(),
            })?;
            let status = std::process::Command::new(ssh_bin)
                .arg("-F")
                .arg(&config)
                .arg(entry.alias())
                .args(&a.command)
                .status()
                .map_err(|e| CliError::input(format!("cannot run ssh: {e}")))?;
            ctx.out.flush()?;
            std::process::exit(status.code().unwrap_or(255));
        }
        Command::SshConfig(a) => {
            let acct = session::connect(ctx).await?;
            let r = write_config(ctx, &acct, &a, None).await?;
            if ctx.json {
                writeln!(ctx.out, "{}", r.json)?;
            } else {
                for h in &r.hosts {
                    writeln!(ctx.out, "{h}")?;
                }
            }
            Ok(())
        }
        Command::Code(a) => {
            let acct = session::connect(ctx).await?;
            let code = ssh::which("code").ok_or_else(ssh::code_missing)?;
            let r = write_config(ctx, &acct, &a.config, Some(&a.session)).await?;
            if !r.included {
                return Err(CliError::input(format!(
                    "VS Code reads ~/.ssh/config, which does not include {} yet: run `bai code {} --yes` to add the Include line",
                    r.file.display(),
                    a.session
                )));
            }
            let host = ssh::host_alias(&label(&acct), &a.session);
            let status = std::process::Command::new(code)
                .args(ssh::vscode_args(&host))
                .status()
                .map_err(|e| CliError::input(format!("cannot run code: {e}")))?;
            if ctx.json {
                writeln!(
                    ctx.out,
                    "{}",
                    json!({"host": host, "session": a.session, "file": r.file, "exit_code": status.code()})
                )?;
            } else {
                writeln!(ctx.out, "opened {host} in VS Code")?;
            }
            if !status.success() {
                return Err(CliError {
                    code: "program-failed",
                    message: format!("code exited with {status}"),
                });
            }
            Ok(())
        }
        Command::SshKeys(SshKeysCmd::List) => list_keys(ctx),
        Command::SshKeys(SshKeysCmd::Revoke { keep_file }) => revoke(ctx, keep_file).await,
        _ => Err(CliError::input("internal: not an ssh command")),
    }
}

fn label(acct: &Account) -> String {
    acct.profile
        .as_ref()
        .map(|p| p.name.clone())
        .unwrap_or_else(|| ENV_LABEL.into())
}

/// `bai ssh-proxy PROFILE SESSION`: stdin/stdout over the session's `sshd` stream. Nothing
/// but the SSH bytes ever goes to stdout.
async fn proxy(ctx: &mut Context<'_>, profile: String, session: &str) -> Result<(), CliError> {
    if profile == ENV_LABEL && (ctx.env)("BACKEND_ENDPOINT").is_some() {
        ctx.selected = None;
    } else {
        ctx.selected = Some(profile);
    }
    let acct = session::connect(ctx).await?;
    let config = TunnelConfig::default();
    let stream = bai_tunnel::tcp_stream::open(&acct.client, session, "sshd", &config)
        .await
        .map_err(|e| connect_error(e, session))?;
    // Duplicates of fds 0 and 1: std's stdin is locked by the command context, and its
    // stdout buffers lines; the SSH stream needs neither.
    let dup = |fd: std::os::fd::BorrowedFd<'_>| -> Result<tokio::fs::File, CliError> {
        let owned = fd
            .try_clone_to_owned()
            .map_err(|e| CliError::input(format!("cannot use stdin/stdout: {e}")))?;
        Ok(tokio::fs::File::from_std(std::fs::File::from(owned)))
    };
    use std::os::fd::AsFd;
    let input = dup(std::io::stdin().as_fd())?;
    let output = dup(std::io::stdout().as_fd())?;
    bai_tunnel::tcp_stream::pipe(stream, input, output)
        .await
        .map_err(|e| CliError {
            code: "network",
            message: format!("the SSH stream to session {session:?} broke: {e}"),
        })?;
    Ok(())
}

fn connect_error(e: ConnectError, session: &str) -> CliError {
    match e {
        ConnectError::Request(core) => core.into(),
        ConnectError::Status { status: 404 } => CliError {
            code: "not-found",
            message: format!(
                "session {session:?} was not found, or it offers no sshd app (bai apps {session})"
            ),
        },
        ConnectError::Status {
            status: s @ (401 | 403),
        } => CliError {
            code: "auth-failed",
            message: format!(
                "the server refused the SSH stream (HTTP {s}): check the profile's credentials (bai profile test)"
            ),
        },
        ConnectError::Status { status } => CliError {
            code: if status >= 500 {
                "server-error"
            } else {
                "bad-request"
            },
            message: format!(
                "the server answered HTTP {status} to the SSH stream of session {session:?}: is it RUNNING? (bai sessions)"
            ),
        },
        ConnectError::Timeout(d) => CliError {
            code: "timeout",
            message: format!(
                "the SSH stream did not open within {}s; try again",
                d.as_secs()
            ),
        },
        ConnectError::Ws(m) => CliError {
            code: "network",
            message: format!("the SSH stream did not open: {m}"),
        },
    }
}

/// This device's key (made if needed) installed in `session`, and the session's Host entry.
async fn prepare(
    ctx: &mut Context<'_>,
    acct: &Account,
    store: &KeyStore,
    label: &str,
    session: &str,
    user: &str,
) -> Result<HostEntry, CliError> {
    let key = ensure_key(ctx, store, label)?;
    install(ctx, acct, store, &key, label, session).await?;
    // Host keys are remembered per session id: a new session that reuses a name is another
    // host. Without a complete listing, per name.
    let id = acct
        .client
        .my_sessions(StatusFilter::Active)
        .await
        .ok()
        .and_then(|l| {
            l.items
                .into_iter()
                .find(|s| s.name == session || s.id == session)
                .map(|s| s.id)
        });
    entry(ctx, store, label, session, id, user, &key)
}

fn ensure_key(ctx: &mut Context<'_>, store: &KeyStore, label: &str) -> Result<DeviceKey, CliError> {
    let (key, made) = store.ensure(label)?;
    if made {
        writeln!(
            ctx.err,
            "made this device's SSH key for profile {label:?}: {} ({}, readable only by you; it never leaves this device)",
            key.fingerprint,
            key.private_key.display()
        )?;
    }
    Ok(key)
}

async fn install(
    ctx: &mut Context<'_>,
    acct: &Account,
    store: &KeyStore,
    key: &DeviceKey,
    label: &str,
    session: &str,
) -> Result<Installed, CliError> {
    let how = ssh::install_in_session(&acct.client, store, key, label, session).await?;
    if how == Installed::AuthorizedKeys {
        writeln!(
            ctx.err,
            "added this device's public key ({}) to session {session:?}'s ~/.ssh/authorized_keys through the session file API. (The cluster's /auth/ssh-keypair keeps one key per account together with its private key, so a per-device key is not registered there.) `bai ssh-keys revoke` takes it out again.",
            key.fingerprint
        )?;
    }
    Ok(how)
}

fn entry(
    ctx: &Context<'_>,
    store: &KeyStore,
    label: &str,
    session: &str,
    session_id: Option<String>,
    user: &str,
    key: &DeviceKey,
) -> Result<HostEntry, CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::input(format!("cannot find the bai program's path: {e}")))?;
    Ok(HostEntry {
        profile: label.to_owned(),
        session: session.to_owned(),
        session_id,
        user: user.to_owned(),
        proxy_program: vec![
            exe.to_string_lossy().into_owned(),
            "--config-dir".into(),
            ctx.store.dir().to_string_lossy().into_owned(),
        ],
        identity_file: key.private_key.clone(),
        known_hosts: store.known_hosts_path(label),
    })
}

fn print_config(ctx: &mut Context<'_>, config: &Path, entry: &HostEntry) -> Result<(), CliError> {
    if ctx.json {
        writeln!(
            ctx.out,
            "{}",
            json!({"host": entry.alias(), "config": config, "session": entry.session})
        )?;
    } else {
        writeln!(ctx.out, "{}", config.display())?;
    }
    Ok(())
}

struct Written {
    file: PathBuf,
    hosts: Vec<String>,
    included: bool,
    json: serde_json::Value,
}

fn home(ctx: &Context<'_>) -> Result<PathBuf, CliError> {
    (ctx.env)("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| CliError::input("HOME is not set: cannot find ~/.ssh"))
}

/// Write the managed file with one entry per running session (plus `must`, which must be
/// running), installing this device's key in each; add the Include with consent.
async fn write_config(
    ctx: &mut Context<'_>,
    acct: &Account,
    a: &SshConfigArgs,
    must: Option<&str>,
) -> Result<Written, CliError> {
    let label = label(acct);
    let store = KeyStore::from_env()?;
    let key = ensure_key(ctx, &store, &label)?;
    let listing = acct.client.my_sessions(StatusFilter::Active).await?;
    let running: Vec<&SessionSummary> = listing
        .items
        .iter()
        .filter(|s| s.status.is_running())
        .collect();
    if let Some(m) = must
        && !running.iter().any(|s| s.name == m || s.id == m)
    {
        return Err(bai_core::Error::NotFound {
            detail: format!("no running session {m:?} (bai sessions lists yours)"),
        }
        .into());
    }
    let mut blocks = Vec::new();
    let mut hosts = Vec::new();
    let mut items = Vec::new();
    for s in &running {
        let how = install(ctx, acct, &store, &key, &label, &s.name).await?;
        let e = entry(
            ctx,
            &store,
            &label,
            &s.name,
            Some(s.id.clone()),
            &a.user,
            &key,
        )?;
        blocks.push(e.render()?);
        hosts.push(e.alias());
        items.push(
            json!({"host": e.alias(), "session": s.name, "session_id": s.id, "key": match how {
                Installed::AlreadyThere => "already_there",
                Installed::AuthorizedKeys => "added",
            }}),
        );
    }
    if acct.profile.is_none() && !running.is_empty() {
        writeln!(
            ctx.err,
            "note: these entries use the BACKEND_* variables (`bai ssh-proxy env …`): they work where those are set; a stored profile (bai profile add) works anywhere"
        )?;
    }
    let home = home(ctx)?;
    let file = home.join(MANAGED_FILE);
    // This profile's entries are replaced; other profiles' (and the app's) are kept.
    let body = ssh::with_profile_hosts(&ssh::read_managed(&file)?, &label, &blocks);
    ssh::write_managed(&file, &body)?;
    let user_config = home.join(".ssh/config");
    let mut included = ssh::config_includes(&user_config, &file);
    let mut added = false;
    if !included && !a.no_include {
        let consent = if a.yes {
            true
        } else if ctx.is_tty && !ctx.json {
            write!(
                ctx.err,
                "Add `Include {}` to the top of {}? Your own entries stay as they are. [y/N] ",
                file.display(),
                user_config.display()
            )?;
            ctx.err.flush()?;
            let mut line = String::new();
            let _ = ctx.stdin.read_line(&mut line);
            matches!(line.trim(), "y" | "Y" | "yes")
        } else {
            false
        };
        if consent {
            added = ssh::add_include(&user_config, &file)?;
            included = true;
        } else {
            writeln!(
                ctx.err,
                "note: {} is not included from {}: pass --yes to add the Include line, or use `ssh -F {}`",
                file.display(),
                user_config.display(),
                file.display()
            )?;
        }
    }
    let json = json!({
        "file": file,
        "included": included,
        "include_added": added,
        "hosts": items,
    });
    Ok(Written {
        file,
        hosts,
        included,
        json,
    })
}

fn list_keys(ctx: &mut Context<'_>) -> Result<(), CliError> {
    let store = KeyStore::from_env()?;
    let keys = store.list()?;
    if ctx.json {
        let items: Vec<_> = keys
            .iter()
            .map(|k| {
                json!({
                    "profile": k.profile,
                    "fingerprint": k.fingerprint,
                    "public_key": k.public_key,
                    "private_key_path": k.private_key,
                    "sessions": k.sessions.iter().map(|i| json!({"session": i.session, "via": i.via, "at": i.at})).collect::<Vec<_>>(),
                })
            })
            .collect();
        writeln!(ctx.out, "{}", json!({ "items": items }))?;
        return Ok(());
    }
    if keys.is_empty() {
        writeln!(
            ctx.out,
            "no SSH keys on this device yet (bai ssh SESSION makes one)"
        )?;
        return Ok(());
    }
    for k in keys {
        writeln!(
            ctx.out,
            "{}  {}  {}",
            k.profile,
            k.fingerprint,
            k.private_key.display()
        )?;
        for i in &k.sessions {
            writeln!(ctx.out, "  in session {} ({}, {})", i.session, i.via, i.at)?;
        }
    }
    Ok(())
}

async fn revoke(ctx: &mut Context<'_>, keep_file: bool) -> Result<(), CliError> {
    let acct = session::connect(ctx).await?;
    let label = label(&acct);
    let store = KeyStore::from_env()?;
    let Some(key) = store.load(&label)? else {
        return Err(bai_core::Error::NotFound {
            detail: format!("this device has no SSH key for profile {label:?} (bai ssh-keys list)"),
        }
        .into());
    };
    let mut results = Vec::new();
    for i in &key.sessions {
        let outcome = match ssh::remove_from_session(&acct.client, &key, &i.session).await {
            Ok(true) => "removed".to_owned(),
            Ok(false) => "not_there".to_owned(),
            Err(e @ bai_core::Error::NotFound { .. }) => {
                tracing::debug!("{e}");
                "session_gone".to_owned()
            }
            Err(e) => {
                writeln!(
                    ctx.err,
                    "warning: could not take the key out of session {:?}: {e}",
                    i.session
                )?;
                "failed".to_owned()
            }
        };
        results.push((i.session.clone(), outcome));
    }
    if results.iter().any(|(_, o)| o == "failed") {
        return Err(bai_core::Error::Ssh {
            detail: "the key is still in some sessions (see the warnings); the key files were kept so that you can try again".into(),
        }
        .into());
    }
    if !keep_file {
        store.delete(&label)?;
    }
    if ctx.json {
        writeln!(
            ctx.out,
            "{}",
            json!({
                "profile": label,
                "fingerprint": key.fingerprint,
                "sessions": results.iter().map(|(s, o)| json!({"session": s, "outcome": o})).collect::<Vec<_>>(),
                "deleted": !keep_file,
            })
        )?;
    } else {
        for (s, o) in &results {
            writeln!(ctx.out, "session {s}: {}", o.replace('_', " "))?;
        }
        writeln!(
            ctx.out,
            "revoked {} of profile {label:?}{}",
            key.fingerprint,
            if keep_file {
                ""
            } else {
                "; its files are deleted"
            }
        )?;
    }
    Ok(())
}
