//! `bai detect URL`: which kind of Backend.AI endpoint an address is.

use std::path::Path;

use bai_core::Endpoint;
use bai_core::client::{TlsOptions, detect};
use serde_json::json;

use crate::report::CliError;

pub async fn run(
    url: &str,
    ca_cert: Option<&Path>,
    insecure: bool,
    as_json: bool,
) -> Result<(), CliError> {
    let endpoint = Endpoint::parse(url)?;
    let ca_cert_pem = match ca_cert {
        Some(p) => Some(std::fs::read(p).map_err(|e| {
            CliError::input(format!(
                "cannot read the CA certificate {}: {e}",
                p.display()
            ))
        })?),
        None => None,
    };
    let tls = TlsOptions {
        ca_cert_pem,
        accept_invalid_certs: insecure,
    };
    let found = detect(&endpoint, &tls).await?;
    let version = found.version.map(|v| v.to_string());
    if as_json {
        let out = json!({
            "endpoint": found.endpoint.to_string(),
            "kind": found.kind.as_str(),
            "api_version": version,
            "manager_version": found.manager_version,
        });
        println!("{out}");
    } else {
        let what = match found.kind {
            bai_core::EndpointKind::Api => "Backend.AI manager API (sign in with a keypair)",
            bai_core::EndpointKind::Webserver => {
                "Backend.AI web server (sign in with email and password)"
            }
        };
        println!("{}: {what}", found.endpoint);
        if let Some(v) = version {
            println!("  API version: {v}");
        }
        if let Some(m) = found.manager_version {
            println!("  manager:     {m}");
        }
    }
    Ok(())
}
