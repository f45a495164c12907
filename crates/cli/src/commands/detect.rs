//! `bai detect URL`: which kind of Backend.AI endpoint an address is.

use std::path::Path;

use bai_core::Endpoint;
use bai_core::account;
use bai_core::client::detect;
use bai_core::profile::TlsSettings;
use serde_json::json;

use crate::report::CliError;

pub async fn run(
    url: &str,
    ca_cert: Option<&Path>,
    insecure: bool,
    as_json: bool,
) -> Result<(), CliError> {
    let endpoint = Endpoint::parse(url)?;
    // The same loading (and error) as a profile's TLS settings.
    let tls = account::load_tls(
        &TlsSettings {
            ca_cert: ca_cert.map(Path::to_path_buf),
            skip_verify: insecure,
        },
        None,
    )?;
    let found = detect(&endpoint, &tls).await?;
    // A dropped path is said on stderr (the result stays alone on stdout), in the same words
    // `bai profile add` uses: both store or show `found.endpoint`, never the path.
    if let Some(note) = found.path_note() {
        eprintln!("note: {note}");
    }
    let version = found.version.map(|v| v.to_string());
    if as_json {
        let out = json!({
            "endpoint": found.endpoint.to_string(),
            "kind": found.kind.as_str(),
            "api_version": version,
            "manager_version": found.manager_version,
            "dropped_path": found.dropped_path,
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
