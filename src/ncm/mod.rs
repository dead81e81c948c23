//! NCM API v2: the endpoint catalog, query validation, paging and the client.

pub mod ahead;
pub mod bulk;
pub mod catalog;
pub mod client;
pub mod defaults;
pub mod helpers;
pub mod names;
pub mod paging;
pub mod query;
pub mod router_config;

pub use catalog::{endpoint, Endpoint, Method, ENDPOINTS};
pub use client::{NcmClient, NcmCredentials, DEFAULT_NCM_BASE_URL};

/// A JSON value as text: a string as is, null as "", anything else as JSON (ids, counts, flags).
pub fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A query map written as `json!({...})`.
pub fn query(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// Extracts the id from a resource URL (`.../routers/42/` → `42`). A bare id is returned as is.
pub fn id_of(url: &str) -> Option<String> {
    id_in(url).map(str::to_string)
}

/// [`id_of`] without a copy: the id as a slice of `url`.
pub fn id_in(url: &str) -> Option<&str> {
    let t = url.trim();
    if t.is_empty() {
        return None;
    }
    if !t.contains('/') {
        return Some(t);
    }
    let path = t.split(['?', '#']).next().unwrap_or(t);
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
}

pub use crate::http::is_safe_id;

/// Checks an id given for `endpoint` (an integer, a string of safe characters, or a resource
/// URL of that same endpoint, `.../routers/42/`) and returns the bare id. Anything else — a
/// `..`, a backslash, a percent-escape, a URL of another endpoint — is an error before any
/// request is built. `endpoint` `None` accepts a resource URL of any endpoint (URL filters).
pub fn checked_id(endpoint: Option<&str>, raw: &str) -> crate::error::Result<String> {
    let t = raw.trim();
    let bad = || {
        let what = endpoint.unwrap_or("an endpoint");
        crate::error::Error::invalid(format!(
            "{}: an id must be an integer, a string of letters, digits, '-' or '_', or a resource URL of {what} (.../{what}/42/); {raw:?} is none of these",
            endpoint.unwrap_or("id")
        ))
    };
    if is_safe_id(t) {
        return Ok(t.to_string());
    }
    if t.contains(['\\', '%', '?', '#', ' ', '\t']) || !t.contains('/') {
        return Err(bad());
    }
    let path = match t.split_once("://") {
        Some((scheme, rest)) if scheme == "http" || scheme == "https" => {
            rest.split_once('/').map(|(_, p)| p).unwrap_or("")
        }
        Some(_) => return Err(bad()),
        None => t,
    };
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segs.iter().any(|s| *s == "." || *s == "..") {
        return Err(bad());
    }
    match segs.as_slice() {
        [.., ep, id] if is_safe_id(id) && endpoint.is_none_or(|e| e == *ep) => Ok(id.to_string()),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_cannot_leave_their_endpoint() {
        use super::checked_id;
        let ok = |s: &str| checked_id(Some("routers"), s).unwrap();
        assert_eq!(ok("42"), "42");
        assert_eq!(ok(" 42 "), "42");
        assert_eq!(ok("abc-DEF_1"), "abc-DEF_1");
        assert_eq!(
            ok("https://www.cradlepointecm.com/api/v2/routers/42/"),
            "42"
        );
        assert_eq!(ok("/api/v2/routers/42"), "42");
        for bad in [
            "..\\accounts\\1000",
            "..\\groups\\2001",
            "../accounts/1000",
            "%2e%2e/accounts/1000",
            "%2e%2e%2faccounts",
            "42/../../accounts/1000",
            "https://x/api/v2/accounts/1000/",
            "https://x/api/v2/routers/../accounts/1000/",
            "https://x/api/v2/routers/42/?x=1",
            "ftp://x/routers/42/",
            "..",
            ".",
            "",
            "4 2",
            "42#",
            "routers/..",
        ] {
            assert!(
                checked_id(Some("routers"), bad).is_err(),
                "{bad:?} accepted"
            );
        }
        assert_eq!(checked_id(None, "https://x/api/v2/groups/7/").unwrap(), "7");
        assert!(checked_id(None, "https://x/api/v2/groups/../7/").is_err());
    }

    #[test]
    fn id_of_urls() {
        assert_eq!(
            super::id_of("https://x/api/v2/routers/42/").as_deref(),
            Some("42")
        );
        assert_eq!(
            super::id_of("https://x/api/v2/routers/42").as_deref(),
            Some("42")
        );
        assert_eq!(super::id_of("17").as_deref(), Some("17"));
        assert_eq!(super::id_of(""), None);
    }
}
