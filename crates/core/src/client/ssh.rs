//! The calls behind SSH to a session: the account's registered SSH key
//! (`GET /auth/ssh-keypair`) and the session file API that edits the session's
//! `~/.ssh/authorized_keys` (`POST /session/{id}/download_single?file=`,
//! `POST /session/{id}/upload`, multipart).
//!
//! `POST /auth/ssh-keypair` is not offered: it stores a private key on the server (the agent
//! then copies it into every new container), and a device key never leaves its device.

use chrono::Utc;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::api::{
    Call, Client, HDR_DOMAIN, HDR_SESSION_ID, HDR_VERSION, SESSION_COOKIE, encode_query_value,
};
use super::body::{MAX_BODY_BYTES, MAX_ERROR_BODY_BYTES, read_capped};
use super::config::Credentials;
use super::problem::{ErrorContext, map_error_response};
use super::sessions::session_path;
use super::transport::{http_client, map_transport_error};
use crate::endpoint::rel_url;
use crate::error::{Error, Result};
use crate::signing::{self, SignatureInput};

#[derive(Debug, Deserialize)]
struct SshPublicKey {
    #[serde(default)]
    ssh_public_key: Option<String>,
}

/// The most this client reads back of a session file.
const MAX_SESSION_FILE: usize = 1024 * 1024;

impl Client {
    /// `GET /auth/ssh-keypair`: the SSH public key registered for this account (the one the
    /// agent puts in new sessions' `authorized_keys`), or `None`.
    pub async fn registered_ssh_key(&self) -> Result<Option<String>> {
        let k: SshPublicKey = self
            .call_json(Call::new(Method::GET, "/auth/ssh-keypair"))
            .await?;
        Ok(k.ssh_public_key.filter(|k| !k.trim().is_empty()))
    }

    /// `POST /session/{id}/download_single?file=PATH`: a file under the session's
    /// `/home/work`. A file that is not there is `Ok(None)` (the agent answers 500 or 404).
    pub async fn session_file(&self, session: &str, path: &str) -> Result<Option<Vec<u8>>> {
        let mut call = Call::new(
            Method::POST,
            format!(
                "/session/{}/download_single?file={}",
                session_path(session)?,
                encode_query_value(path)
            ),
        );
        call.session_name = Some(session.to_owned());
        let mut response = match self.execute(call, false).await {
            Ok(r) => r,
            Err(Error::Server { status: 500, .. } | Error::NotFound { .. })
                if self.session_info(session).await.is_ok() =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let timeout = self.config().timeout;
        let body = read_capped(&mut response, MAX_SESSION_FILE, false, timeout).await?;
        Ok(Some(body))
    }

    /// `POST /session/{id}/upload`: write `bytes` to `/home/work/<path>` in the session (one
    /// multipart part named `src` whose filename is `path`, as the official client sends it).
    pub async fn put_session_file(&self, session: &str, path: &str, bytes: &[u8]) -> Result<()> {
        let manager_path = format!("/session/{}/upload", session_path(session)?);
        let url = self.url_for(&manager_path)?;
        let boundary = format!("bai-{}", uuid::Uuid::new_v4().simple());
        let filename: String = path
            .chars()
            .filter(|c| !c.is_control() && *c != '"')
            .collect();
        let mut body = Vec::with_capacity(bytes.len() + 256);
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"src\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let version = self.api_version().await?;
        let headers = self.multipart_headers(&url, &boundary, &version.to_string())?;
        let timeout = self.config().timeout;
        let http = http_client(self.config(), &self.tls_config())?;
        tracing::debug!(path = %url.path(), "backend.ai request (upload)");
        let mut response = http
            .post(url.clone())
            .headers(headers)
            .body(body)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| map_transport_error(&e, &url, timeout))?;
        let status = response.status();
        if status.is_success() {
            read_capped(&mut response, MAX_BODY_BYTES, true, timeout).await?;
            return Ok(());
        }
        let err_body = read_capped(&mut response, MAX_ERROR_BODY_BYTES, true, timeout)
            .await
            .unwrap_or_default();
        let mut ctx = ErrorContext::new(self.auth_mode(), "POST", &manager_path);
        ctx.api_version = Some(version);
        ctx.session_name = Some(session.to_owned());
        Err(map_error_response(
            status.as_u16(),
            response.headers(),
            &err_body,
            &ctx,
        ))
    }

    /// The headers of a multipart POST: `multipart/form-data` is what is signed (the
    /// manager reads the content type without its parameters), the boundary rides on the
    /// sent header.
    fn multipart_headers(
        &self,
        url: &url::Url,
        boundary: &str,
        version: &str,
    ) -> Result<HeaderMap> {
        const SIGNED_TYPE: &str = "multipart/form-data";
        let mut h = HeaderMap::new();
        let (date_str, date) = signing::format_date(Utc::now());
        put(&mut h, reqwest::header::DATE, &date_str, false)?;
        put(
            &mut h,
            HeaderName::from_static(HDR_DOMAIN),
            &self.config().domain,
            false,
        )?;
        put(
            &mut h,
            reqwest::header::CONTENT_TYPE,
            &format!("{SIGNED_TYPE}; boundary={boundary}"),
            false,
        )?;
        put(&mut h, HeaderName::from_static(HDR_VERSION), version, false)?;
        match self.credentials() {
            Credentials::Keypair {
                access_key,
                secret_key,
            } => {
                let rel = rel_url(url);
                let host = self.config().endpoint.host_line();
                let input = SignatureInput {
                    method: "POST",
                    rel_url: &rel,
                    date_header: &date_str,
                    date,
                    host: &host,
                    content_type: SIGNED_TYPE,
                    api_version: version,
                };
                let auth = signing::authorization(access_key, secret_key.expose_secret(), &input);
                put(&mut h, reqwest::header::AUTHORIZATION, &auth, true)?;
            }
            Credentials::LoginSession { session_id } => {
                let id = session_id.expose_secret();
                put(&mut h, HeaderName::from_static(HDR_SESSION_ID), id, true)?;
                put(
                    &mut h,
                    reqwest::header::COOKIE,
                    &format!("{SESSION_COOKIE}={id}"),
                    true,
                )?;
            }
            Credentials::Anonymous => {
                return Err(Error::LoginRequired);
            }
        }
        Ok(h)
    }
}

fn put(h: &mut HeaderMap, name: HeaderName, value: &str, sensitive: bool) -> Result<()> {
    let mut v = HeaderValue::from_str(value).map_err(|_| Error::InvalidInput {
        field: name.as_str().to_owned(),
        reason: "contains characters not allowed in an HTTP header".into(),
    })?;
    v.set_sensitive(sensitive);
    h.insert(name, v);
    Ok(())
}
