//! `bai profile test [NAME]`: connect and report the server, API version, user and role.
//! Without a name or `--profile`, `BACKEND_ENDPOINT` in the environment selects environment
//! mode (the official client's variables, nothing stored).

use bai_core::account;
use bai_core::client::Client;
use serde_json::json;

use super::Context;
use crate::report::CliError;

/// Which account an online command uses, and a label for people.
pub async fn connect(
    ctx: &mut Context<'_>,
    name: Option<String>,
) -> Result<(String, Client), CliError> {
    if name.is_none()
        && let Some(acct) = ctx.env_account()?
    {
        return Ok(("environment (BACKEND_*)".into(), acct.connect()?));
    }
    let p = ctx.pick(name)?;
    ctx.warn_insecure(&p)?;
    let client = account::connect(&p, ctx.secrets).await?;
    Ok((p.name, client))
}

pub async fn run(ctx: &mut Context<'_>, name: Option<String>) -> Result<(), CliError> {
    let (label, client) = connect(ctx, name).await?;
    let info = client.server_info().await?;
    let user = client.current_user().await?;
    let endpoint = client.config().endpoint.to_string();
    let kind = client.config().kind.as_str();
    let manager = info.manager.clone().unwrap_or_else(|| "unknown".into());
    if ctx.json {
        return ctx.print_json(&json!({
            "profile": label,
            "endpoint": endpoint,
            "kind": kind,
            "manager_version": info.manager,
            "api_version": info.version.to_string(),
            "email": user.email,
            "role": user.role,
            "domain": user.domain_name,
        }));
    }
    writeln!(ctx.out, "profile:      {label}")?;
    writeln!(ctx.out, "endpoint:     {endpoint} ({kind})")?;
    writeln!(ctx.out, "server:       Backend.AI {manager}")?;
    writeln!(ctx.out, "API version:  {}", info.version)?;
    writeln!(ctx.out, "user:         {}", user.email)?;
    writeln!(
        ctx.out,
        "role:         {}",
        user.role.as_deref().unwrap_or("unknown")
    )?;
    Ok(())
}
