//! API version negotiation: `GET /` tells the server's newest version; we use the lower of
//! the server's and ours, and refuse servers older than we can speak.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// An API version string `v<major>.<yyyymmdd>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApiVersion {
    pub major: u32,
    pub date: u32,
}

/// Every version the client can speak, oldest first. The strings must match the manager's
/// `VALID_VERSIONS` exactly, so negotiation picks from this list, never a synthesised value.
pub const SUPPORTED: &[ApiVersion] = &[
    ApiVersion::new(4, 20190615),
    ApiVersion::new(5, 20191215),
    ApiVersion::new(6, 20200815),
    ApiVersion::new(6, 20210815),
    ApiVersion::new(6, 20220315),
    ApiVersion::new(6, 20220615),
    ApiVersion::new(6, 20221201),
    ApiVersion::new(6, 20230315),
    ApiVersion::new(7, 20230615),
    ApiVersion::new(8, 20240315),
    ApiVersion::new(8, 20240915),
    ApiVersion::new(9, 20250722),
];

impl ApiVersion {
    pub const fn new(major: u32, date: u32) -> Self {
        ApiVersion { major, date }
    }
    pub fn oldest() -> Self {
        SUPPORTED[0]
    }
    pub fn newest() -> Self {
        SUPPORTED[SUPPORTED.len() - 1]
    }

    /// Pick what to send to a server whose newest version is `server`: the server's own if we
    /// speak it, else our newest that is older than it. Servers older than our oldest are refused.
    pub fn negotiate(server: ApiVersion) -> Result<ApiVersion, Error> {
        if SUPPORTED.contains(&server) {
            return Ok(server);
        }
        SUPPORTED
            .iter()
            .rev()
            .find(|v| **v <= server)
            .copied()
            .ok_or(Error::UnsupportedVersion {
                server: server.to_string(),
                oldest: Self::oldest().to_string(),
            })
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.date)
    }
}

impl FromStr for ApiVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::InvalidResponse {
            detail: format!(
                "the server reported an API version {s:?}, which is not of the form v9.20250722"
            ),
        };
        let rest = s.trim().strip_prefix('v').ok_or_else(bad)?;
        let (major, date) = rest.split_once('.').ok_or_else(bad)?;
        Ok(ApiVersion {
            major: major.parse().map_err(|_| bad())?,
            date: date.parse().map_err(|_| bad())?,
        })
    }
}

impl TryFrom<String> for ApiVersion {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<ApiVersion> for String {
    fn from(v: ApiVersion) -> String {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> ApiVersion {
        s.parse().expect("valid version")
    }

    #[test]
    fn uses_the_servers_version_when_we_speak_it() {
        assert_eq!(
            ApiVersion::negotiate(v("v9.20250722")).expect("ok"),
            v("v9.20250722")
        );
        assert_eq!(
            ApiVersion::negotiate(v("v8.20240915")).expect("ok"),
            v("v8.20240915")
        );
    }

    #[test]
    fn uses_our_newest_below_a_newer_server() {
        assert_eq!(
            ApiVersion::negotiate(v("v10.20270101")).expect("ok"),
            v("v9.20250722")
        );
        assert_eq!(
            ApiVersion::negotiate(v("v8.20240601")).expect("ok"),
            v("v8.20240315")
        );
    }

    #[test]
    fn refuses_older_servers_with_a_clear_message() {
        let e = ApiVersion::negotiate(v("v4.20181215")).expect_err("too old");
        assert_eq!(e.code(), "unsupported-api-version");
        assert!(e.to_string().contains("v4.20181215"), "{e}");
        assert!(e.to_string().contains("v4.20190615"), "{e}");
    }

    #[test]
    fn rejects_malformed_strings() {
        assert!("9.2025".parse::<ApiVersion>().is_err());
        assert!("vX.1".parse::<ApiVersion>().is_err());
        assert_eq!(v("v6.20220315").to_string(), "v6.20220315");
    }
}
