//! The simulator's HTTP front: every request counts as in flight, waits the configured latency,
//! then goes to the NCM API (`server/`) under `/api/v2/` or to IgniteNet (`ignitenet.rs`) under
//! `/pub/v1/`; anything else is a 404.

use super::SimState;
use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

pub fn router(st: Arc<SimState>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(st)
}

async fn handle(
    axum::extract::State(st): axum::extract::State<Arc<SimState>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let _in_flight = InFlight::enter(&st);
    let latency = st.latency_ms.load(std::sync::atomic::Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let out = if path == "/api/v2" || path.starts_with("/api/v2/") {
        super::server::ncm(&st, method.as_str(), &path, &query, &host, &headers, &body)
    } else if path == "/pub/v1" || path.starts_with("/pub/v1/") {
        super::ignitenet::handle(&st, method.as_str(), &path, &headers, &body)
    } else {
        super::server::Reply::json(
            404,
            json!({"exception": {"message": format!("no such API: {path} (NCM is under /api/v2/, IgniteNet under /pub/v1/)"), "type": "not_found"}}),
        )
    };
    out.into_http(&host)
}

/// Counts a request as in flight for as long as it lives (tests check client concurrency).
struct InFlight<'a>(&'a SimState);

impl<'a> InFlight<'a> {
    fn enter(st: &'a SimState) -> Self {
        let mut c = st.counters.lock().unwrap();
        c.in_flight += 1;
        c.max_in_flight = c.max_in_flight.max(c.in_flight);
        InFlight(st)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut c = self.0.counters.lock().unwrap();
        c.in_flight = c.in_flight.saturating_sub(1);
    }
}
