//! The NCM API v2 client: the four auth headers, slashed URLs under the base URL, collection
//! listing (through the pager), single-object reads and the documented writes of each endpoint.

use super::catalog::{Endpoint, Method};
use super::query;
use crate::error::{Error, Result};
use crate::http::{Request, Transport};
use serde_json::{Map, Value};

pub const DEFAULT_NCM_BASE_URL: &str = "https://www.cradlepointecm.com/api/v2";

/// The four NCM API keys (`X-CP-API-ID`, `X-CP-API-KEY`, `X-ECM-API-ID`, `X-ECM-API-KEY`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NcmCredentials {
    pub cp_api_id: String,
    pub cp_api_key: String,
    pub ecm_api_id: String,
    pub ecm_api_key: String,
}

impl std::fmt::Debug for NcmCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NcmCredentials { **** }")
    }
}

impl NcmCredentials {
    /// The environment variable names, as the official `ncm` client uses them.
    pub const ENV: [&'static str; 4] = [
        "X_CP_API_ID",
        "X_CP_API_KEY",
        "X_ECM_API_ID",
        "X_ECM_API_KEY",
    ];

    pub fn values(&self) -> [&str; 4] {
        [
            &self.cp_api_id,
            &self.cp_api_key,
            &self.ecm_api_id,
            &self.ecm_api_key,
        ]
    }

    pub fn missing(&self) -> Vec<&'static str> {
        Self::ENV
            .iter()
            .zip(self.values())
            .filter(|(_, v)| v.trim().is_empty())
            .map(|(n, _)| *n)
            .collect()
    }

    /// All four values, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        self.values().iter().map(|s| s.to_string()).collect()
    }
}

/// Pages of one offset-paged listing in flight at once, unless a profile or flag says otherwise.
/// The window costs no call (it holds only pages known to exist and guesses within a tenth of
/// them: `ahead.rs`), so it is wide enough to make up for the first answers, which come one and
/// then two at a time (it was 4 while the window guessed blindly; 6 only matched that speed).
pub const DEFAULT_PAGE_CONCURRENCY: usize = 8;

/// Records found in this run, by endpoint and the key they were asked by.
pub(super) type Found = std::sync::Mutex<std::collections::HashMap<(&'static str, String), Value>>;

pub struct NcmClient {
    transport: Transport,
    /// Always ends with `/`.
    base: url::Url,
    headers: Vec<(&'static str, String)>,
    creds_missing: Vec<&'static str>,
    /// Show a progress line on a terminal while `list` reads many pages.
    pub(super) progress: bool,
    /// Pages of an offset-paged listing fetched at once (1: one after the other).
    pub(crate) page_concurrency: usize,
    /// Routers and groups found by name, MAC or serial number in this run.
    resolved: Found,
}

impl std::fmt::Debug for NcmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NcmClient")
            .field("base", &self.base.as_str())
            .finish()
    }
}

impl NcmClient {
    pub fn new(base_url: &str, creds: &NcmCredentials, transport: Transport) -> Result<Self> {
        let mut b = base_url.trim().to_string();
        if !b.ends_with('/') {
            b.push('/');
        }
        let base = url::Url::parse(&b).map_err(|e| {
            Error::Config(format!(
                "CP_BASE_URL {base_url:?} is not a URL ({e}); expected e.g. {DEFAULT_NCM_BASE_URL}"
            ))
        })?;
        if base.scheme() != "http" && base.scheme() != "https" {
            return Err(Error::Config(format!(
                "CP_BASE_URL {base_url:?} must be http or https"
            )));
        }
        let headers = vec![
            ("X-CP-API-ID", creds.cp_api_id.clone()),
            ("X-CP-API-KEY", creds.cp_api_key.clone()),
            ("X-ECM-API-ID", creds.ecm_api_id.clone()),
            ("X-ECM-API-KEY", creds.ecm_api_key.clone()),
        ];
        Ok(NcmClient {
            transport,
            base,
            headers,
            creds_missing: creds.missing(),
            progress: false,
            page_concurrency: DEFAULT_PAGE_CONCURRENCY,
            resolved: Default::default(),
        })
    }

    /// Records found by what operators call them so far (`names.rs` fills it).
    pub(super) fn resolved(&self) -> &Found {
        &self.resolved
    }

    /// How many pages of an offset-paged listing may be in flight at once (at least 1).
    pub fn with_page_concurrency(mut self, n: usize) -> Self {
        self.page_concurrency = n.max(1);
        self
    }

    /// Turns the terminal progress line of long listings on (it never shows when stderr is
    /// not a terminal).
    pub fn with_progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    pub fn base_url(&self) -> &url::Url {
        &self.base
    }

    /// A short name of the account this client works on, for file names: the API host and 8
    /// hex digits of a hash of the base URL and the `X-ECM-API-ID` (an id, not a key). Another
    /// account, another cloud or another simulator gets another name.
    pub fn account_tag(&self) -> String {
        use sha2::Digest;
        let id = self
            .headers
            .iter()
            .find(|(k, _)| *k == "X-ECM-API-ID")
            .map_or("", |(_, v)| v.as_str());
        let hash = sha2::Sha256::digest(format!("{}\n{id}", self.base).as_bytes());
        let host: String = self
            .base
            .host_str()
            .unwrap_or("local")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!(
            "{host}-{:02x}{:02x}{:02x}{:02x}",
            hash[0], hash[1], hash[2], hash[3]
        )
    }

    pub fn redact(&self, s: &str) -> String {
        self.transport.redactor.redact(s)
    }

    /// `<base>/<endpoint>/` or `<base>/<endpoint>/<id>/` — always with the trailing slash.
    pub fn endpoint_url(&self, endpoint: &str, id: Option<&str>) -> url::Url {
        let path = match id {
            Some(id) => format!("{endpoint}/{id}/"),
            None => format!("{endpoint}/"),
        };
        self.base
            .join(&path)
            .expect("endpoint names and ids are URL-safe")
    }

    pub(crate) fn check_creds(&self) -> Result<()> {
        if self.creds_missing.is_empty() {
            Ok(())
        } else {
            Err(Error::Config(format!(
                "NCM API keys missing: set {} (or use --sandbox to try against the built-in simulator)",
                self.creds_missing.join(", ")
            )))
        }
    }

    pub(super) fn check_method(ep: &Endpoint, m: Method) -> Result<()> {
        if ep.supports(m) {
            Ok(())
        } else {
            Err(Error::MethodNotSupported {
                endpoint: ep.name.to_string(),
                method: m.to_string(),
                allowed: ep.methods_str(),
            })
        }
    }

    pub(super) fn endpoint(name: &str) -> Result<&'static Endpoint> {
        super::endpoint(name).ok_or_else(|| {
            Error::invalid(format!(
                "unknown NCM endpoint '{name}'; see `fleetscript endpoints`"
            ))
        })
    }

    fn send(
        &self,
        method: Method,
        url: &url::Url,
        body: Option<&Value>,
    ) -> Result<crate::http::Response> {
        self.check_creds()?;
        self.transport.send(&Request {
            method,
            url,
            headers: &self.headers,
            body,
            // POST is never retried automatically: it may have been processed.
            retryable: method != Method::Post,
            needed: None,
        })
    }

    /// GET an absolute URL (used by the pager for `meta.next`), the answer's body made into a
    /// `B` by `parse`; `needed` says whether it is still wanted (see [`Request::needed`]).
    pub(crate) fn get_url_with<B: Default>(
        &self,
        url: &url::Url,
        parse: fn(&str) -> B,
        needed: Option<&(dyn Fn() -> bool + Sync)>,
    ) -> Result<crate::http::Response<B>> {
        self.check_creds()?;
        self.transport.send_with(
            &Request {
                method: Method::Get,
                url,
                headers: &self.headers,
                body: None,
                retryable: true,
                needed,
            },
            parse,
        )
    }

    /// Resolves `meta.next`, refusing to send the API keys to another origin.
    pub(crate) fn follow_url(&self, current: &url::Url, next: &str) -> Result<url::Url> {
        let u = current.join(next).map_err(|e| Error::Protocol {
            method: "GET".into(),
            url: self.redact(current.as_str()),
            message: format!("meta.next {next:?} is not a URL: {e}"),
        })?;
        if u.origin() != self.base.origin() {
            return Err(Error::Protocol {
                method: "GET".into(),
                url: self.redact(current.as_str()),
                message: format!(
                    "meta.next points to another host ({}); refusing to send the API keys there. Check CP_BASE_URL matches the host the API answers as.",
                    u.origin().ascii_serialization()
                ),
            });
        }
        Ok(u)
    }

    fn normalize_id(ep: &Endpoint, id: &str) -> Result<String> {
        super::checked_id(Some(ep.name), id)
    }

    pub fn get(&self, endpoint: &str, id: &str, q: &Map<String, Value>) -> Result<Value> {
        let ep = Self::endpoint(endpoint)?;
        Self::check_method(ep, Method::Get)?;
        if !ep.detail {
            return Err(Error::invalid(format!(
                "{} has no single-object URL; use ncm::{}::list(query) with a filter",
                ep.name, ep.name
            )));
        }
        let params = query::prepare_detail(ep, q)?;
        let id = Self::normalize_id(ep, id)?;
        let mut url = self.endpoint_url(ep.name, Some(&id));
        if !params.is_empty() {
            let mut qp = url.query_pairs_mut();
            for (k, v) in &params {
                qp.append_pair(k, v);
            }
        }
        let body = self
            .send(Method::Get, &url, None)
            .map_err(|e| not_visible(ep, &id, e))?
            .body;
        Ok(unwrap_detail(body))
    }

    fn write(
        &self,
        ep: &Endpoint,
        m: Method,
        id: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value> {
        Self::check_method(ep, m)?;
        let id = id.map(|i| Self::normalize_id(ep, i)).transpose()?;
        // The spec's rules of a body, checked before anything is sent: known fields, none read
        // only, the fields the method requires, the documented rules of a POST body.
        if let Some(b) = body {
            ep.check_write(m, id.as_deref(), b)
                .map_err(|p| Error::invalid(p.message()))?;
        }
        let url = self.endpoint_url(ep.name, id.as_deref());
        let what = id.as_deref().unwrap_or("target");
        let resp = self
            .send(m, &url, body)
            .map_err(|e| not_visible(ep, what, e))?;
        Ok(unwrap_detail(resp.body))
    }

    pub fn create(&self, endpoint: &str, body: &Value) -> Result<Value> {
        self.write(Self::endpoint(endpoint)?, Method::Post, None, Some(body))
    }
    pub fn update(&self, endpoint: &str, id: &str, body: &Value) -> Result<Value> {
        self.write(Self::endpoint(endpoint)?, Method::Put, Some(id), Some(body))
    }
    pub fn patch(&self, endpoint: &str, id: &str, body: &Value) -> Result<Value> {
        refuse_patch_removals(body)?;
        self.write(
            Self::endpoint(endpoint)?,
            Method::Patch,
            Some(id),
            Some(body),
        )
    }
    pub fn delete(&self, endpoint: &str, id: &str) -> Result<()> {
        self.write(Self::endpoint(endpoint)?, Method::Delete, Some(id), None)
            .map(|_| ())
    }

    /// Any request under the API root, for what the catalog lacks: `path` relative to the base
    /// URL (`routers/42/`, or a resource URL under it; each segment letters, digits, `-`, `_`),
    /// `query` pairs, a JSON body. Sent as every call is (retries, dry run of writes, POST never
    /// retried); the answer's body as it came (`{"dry_run": true}` for a write not sent).
    pub fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let rel = crate::http::api_path(&self.base, path)?;
        // Always with the trailing slash: without it NCM redirects, a second billed call.
        let mut url = self.base.join(&format!("{rel}/")).map_err(|e| {
            Error::invalid(format!("{path:?} is not a path under the API root: {e}"))
        })?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let r = self.send(method, &url, body)?;
        Ok(if r.dry_run {
            serde_json::json!({"dry_run": true})
        } else {
            r.body
        })
    }

    /// Reboots one router (`reboot_activity` POST with its URL).
    pub fn reboot_router(&self, id: &str) -> Result<Value> {
        let ep = Self::endpoint("routers")?;
        let id = Self::normalize_id(ep, id)?;
        let body =
            serde_json::json!({ "router": self.endpoint_url("routers", Some(&id)).as_str() });
        self.create("reboot_activity", &body)
    }

    /// Reboots every router of a group.
    pub fn reboot_group(&self, id: &str) -> Result<Value> {
        let ep = Self::endpoint("groups")?;
        let id = Self::normalize_id(ep, id)?;
        let body = serde_json::json!({ "group": self.endpoint_url("groups", Some(&id)).as_str() });
        self.create("reboot_activity", &body)
    }
}

/// A 403 where the endpoint documents one for a record it does not show (see
/// [`Endpoint::forbids_missing`]): said so, and a failure of the job rather than refused
/// credentials (exit 1, not 3).
fn not_visible(ep: &Endpoint, id: &str, e: Error) -> Error {
    match e {
        Error::Api(mut a) if a.status == 403 && ep.forbids_missing() => {
            a.not_visible = true;
            a.message = format!(
                "{} {id}: no such record, or not visible to these API keys ({})",
                ep.name, a.message
            );
            Error::Api(a)
        }
        other => other,
    }
}

/// A PATCH merges: NCM drops the removals of a `configuration` diff sent with it. Refused before
/// sending, rather than silently not removing.
fn refuse_patch_removals(body: &Value) -> Result<()> {
    let removals = body
        .pointer("/configuration/1")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if removals > 0 {
        return Err(Error::invalid(format!(
            "PATCH cannot remove; use PUT (update, or ncm::put_router_config): this configuration diff removes {removals} path(s), which a PATCH would silently drop"
        )));
    }
    Ok(())
}

/// Single-object answers come either bare or wrapped as `{"success": true, "data": {...}}`.
fn unwrap_detail(body: Value) -> Value {
    match body {
        Value::Object(mut m)
            if m.get("data").is_some_and(Value::is_object)
                && !m.contains_key("id")
                && !m.contains_key("resource_url") =>
        {
            m.remove("data").unwrap_or(Value::Null)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpOptions, Redactor};

    #[test]
    fn base_url_with_or_without_slash_gives_slashed_endpoint_urls() {
        let t = Transport::new(
            HttpOptions::default(),
            Redactor::default(),
            Default::default(),
        )
        .unwrap();
        for base in ["https://example.com/api/v2", "https://example.com/api/v2/"] {
            let c = NcmClient::new(base, &NcmCredentials::default(), t.clone()).unwrap();
            assert_eq!(
                c.endpoint_url("routers", None).as_str(),
                "https://example.com/api/v2/routers/"
            );
            assert_eq!(
                c.endpoint_url("routers", Some("42")).as_str(),
                "https://example.com/api/v2/routers/42/"
            );
        }
        assert!(NcmClient::new("ftp://x/", &NcmCredentials::default(), t.clone()).is_err());
        assert!(NcmClient::new("not a url", &NcmCredentials::default(), t).is_err());
    }

    #[test]
    fn next_links_to_other_hosts_are_refused() {
        let t = Transport::new(
            HttpOptions::default(),
            Redactor::default(),
            Default::default(),
        )
        .unwrap();
        let c =
            NcmClient::new("https://example.com/api/v2", &NcmCredentials::default(), t).unwrap();
        let cur = c.endpoint_url("routers", None);
        assert!(c
            .follow_url(&cur, "https://example.com/api/v2/routers/?offset=20")
            .is_ok());
        let e = c
            .follow_url(&cur, "https://evil.example.net/api/v2/routers/?offset=20")
            .unwrap_err();
        assert!(
            e.to_string().contains("refusing to send the API keys"),
            "{e}"
        );
    }
}
