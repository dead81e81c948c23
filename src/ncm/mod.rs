//! NCM API v2: the endpoint catalog, query validation, paging and the client.

pub mod backup;
pub mod bulk;
pub mod catalog;
pub mod client;
pub mod config;
pub mod helpers;
pub mod paging;
pub mod query;

pub use catalog::{endpoint, Endpoint, Method, ENDPOINTS};
pub use client::{NcmClient, NcmCredentials, DEFAULT_NCM_BASE_URL};

/// Extracts the id from a resource URL (`.../routers/42/` → `42`). A bare id is returned as is.
pub fn id_of(url: &str) -> Option<String> {
    let t = url.trim();
    if t.is_empty() {
        return None;
    }
    if !t.contains('/') {
        return Some(t.to_string());
    }
    let path = t.split(['?', '#']).next().unwrap_or(t);
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
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
