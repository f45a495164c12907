//! Turning `--endpoint`, `--resource cpu=2`, `--ca-cert` ... into profile fields.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bai_core::EndpointKind;

use crate::cli::{FieldArgs, KindArg};
use crate::report::CliError;

pub fn kind_of(k: KindArg) -> EndpointKind {
    match k {
        KindArg::Api => EndpointKind::Api,
        KindArg::Webserver => EndpointKind::Webserver,
    }
}

/// `--kind`, else what the account fields imply: an access key means the manager API, an
/// email means the web UI server.
pub fn infer_kind(f: &FieldArgs) -> Result<EndpointKind, CliError> {
    if let Some(k) = f.kind {
        return Ok(kind_of(k));
    }
    match (f.access_key.is_some(), f.email.is_some()) {
        (true, false) => Ok(EndpointKind::Api),
        (false, true) => Ok(EndpointKind::Webserver),
        (false, false) => Err(CliError::input(
            "cannot tell the profile's kind: give --access-key (manager API, keypair) or --email (web UI server, password), or --kind api|webserver",
        )),
        (true, true) => Err(CliError::input(
            "both --access-key and --email were given: a profile signs in one way; pick one, or say which with --kind api|webserver",
        )),
    }
}

/// `--resource SLOT=AMOUNT` pairs, checked by the one resource parser ([`bai_core::resources`]);
/// a slot given twice keeps the later amount.
pub fn resources(pairs: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    Ok(bai_core::resources::merge(&BTreeMap::new(), pairs)?)
}

/// A CA file must exist and be readable now; it is stored as an absolute path so the app
/// finds it whatever its working directory.
pub fn ca_cert(path: &Path) -> Result<PathBuf, CliError> {
    let abs = std::fs::canonicalize(path).map_err(|e| {
        CliError::input(format!(
            "cannot use the CA certificate {}: {e}",
            path.display()
        ))
    })?;
    std::fs::read(&abs).map_err(|e| {
        CliError::input(format!(
            "cannot read the CA certificate {}: {e}",
            abs.display()
        ))
    })?;
    Ok(abs)
}
