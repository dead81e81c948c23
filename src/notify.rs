//! Healthchecks-style notifications for unattended runs: a ping to `URL/start` when a job
//! begins, to `URL` with a JSON summary when it succeeds, to `URL/fail` with the error and the
//! latest log lines when it fails. A notification never fails the job: an unreachable URL is a
//! warning, and the URL (whose path is often a secret token) is shown by its host only.

use crate::error::{Error, Result};
use serde_json::Value;
use std::time::Duration;

/// How long one ping may take.
pub const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// What a failure ping carries: the error and the latest log lines (both already masked).
#[derive(Debug, serde::Serialize)]
pub struct Failure {
    pub error: String,
    pub log: Vec<String>,
}

impl Failure {
    pub fn body(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// Checks a notify URL: http or https, with a host.
pub fn check_url(url: &str) -> Result<url::Url> {
    let u = url::Url::parse(url)
        .map_err(|e| Error::invalid(format!("notify URL: {e} (expected https://host/path)")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(Error::invalid(
            "notify URL: expected an http:// or https:// URL with a host",
        ));
    }
    Ok(u)
}

/// The URL as it may be shown: scheme and host only.
pub fn shown(u: &url::Url) -> String {
    format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or_default())
}

/// Sends one ping with `client` (the run's trust and proxies, a [`PING_TIMEOUT`]): `suffix`
/// ("start", "fail" or "") appended to the URL's path, `body` as JSON. Returns why it did not
/// arrive, if it did not.
pub fn ping(
    client: &reqwest::blocking::Client,
    url: &str,
    suffix: &str,
    body: Option<&Value>,
) -> std::result::Result<(), String> {
    let mut u = check_url(url).map_err(|e| e.to_string())?;
    if !suffix.is_empty() {
        let path = format!("{}/{suffix}", u.path().trim_end_matches('/'));
        u.set_path(&path);
    }
    let mut req = client.post(u.as_str());
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(b.to_string());
    }
    match req.send() {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("{} answered {}", shown(&u), r.status().as_u16())),
        // Without the URL: its path is often a secret token.
        Err(e) => Err(format!("{} unreachable: {}", shown(&u), e.without_url())),
    }
}
