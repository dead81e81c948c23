//! The simulated NCM API v2 under `/api/v2/`, driven by the endpoint catalog: the routing (auth,
//! trailing-slash redirects, method checks, counting and injected faults, then the handler a
//! request goes to) and the reply the IgniteNet side (`ignitenet.rs`) shares. The handlers are
//! `listing.rs` (collections: filters, paging, `fields`/`expand`) and `records.rs` (one record,
//! writes).

mod listing;
mod records;

pub use listing::ListingCache;
use listing::*;
use records::*;

use super::store::{text_of, timeuuid_time, Store};
use super::SimState;
use crate::ncm::catalog::{self, Endpoint, Field, Method, Op, Paging, Ty};
use crate::ncm::id_of;
use crate::ncm::query::{has_time_portion, resolve_filter};
use crate::sim::config_sync::Masked;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

/// The URL prefix records are stored with; rewritten to the simulator's own host on output.
pub const STORED_PREFIX: &str = "https://www.cradlepointecm.com/api/v2/";

/// A response before the prefix rewrite.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
    /// The body is a plain-text message (IgniteNet's errors), not JSON.
    pub plain: bool,
    /// The body is JSON text already serialized (a listing page, written without copies).
    pub serialized: bool,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body: Some(body),
            headers: vec![],
            plain: false,
            serialized: false,
        }
    }
    pub(crate) fn plain(status: u16, text: impl Into<String>) -> Self {
        Reply {
            status,
            body: Some(Value::String(text.into())),
            headers: vec![],
            plain: true,
            serialized: false,
        }
    }
    fn serialized_json(status: u16, text: String) -> Self {
        Reply {
            status,
            body: Some(Value::String(text)),
            headers: vec![],
            plain: false,
            serialized: true,
        }
    }
    fn empty(status: u16) -> Self {
        Reply {
            status,
            body: None,
            headers: vec![],
            plain: false,
            serialized: false,
        }
    }
    fn error(status: u16, kind: &str, message: impl Into<String>) -> Self {
        Reply::json(
            status,
            json!({"exception": {"message": message.into(), "type": kind}}),
        )
    }
    pub(crate) fn into_http(self, host: &str) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = match self.body {
            Some(Value::String(text)) if self.plain => (
                status,
                [("content-type", "text/plain; charset=utf-8")],
                text,
            )
                .into_response(),
            Some(Value::String(text)) if self.serialized => {
                let text = text.replace(STORED_PREFIX, &format!("http://{host}/api/v2/"));
                (status, [("content-type", "application/json")], text).into_response()
            }
            Some(b) => {
                let text = b
                    .to_string()
                    .replace(STORED_PREFIX, &format!("http://{host}/api/v2/"));
                (status, [("content-type", "application/json")], text).into_response()
            }
            None => status.into_response(),
        };
        for (k, v) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&v) {
                resp.headers_mut().insert(k, v);
            }
        }
        resp
    }
}

pub(crate) fn ncm(
    st: &SimState,
    method: &str,
    path: &str,
    query: &str,
    host: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    if let Some(refused) = redirect_or_unauthorized(st, path, query, host, headers) {
        return refused;
    }
    let rest = path.trim_start_matches("/api/v2").trim_matches('/');
    let segs: Vec<&str> = if rest.is_empty() {
        vec![]
    } else {
        rest.split('/').collect()
    };
    let Some(ep) = segs.first().and_then(|n| catalog::endpoint(n)) else {
        st.counters.lock().unwrap().total += 1;
        return Reply::error(404, "not_found", format!("unknown endpoint {rest:?}"));
    };
    let Some(m) = Method::parse(method) else {
        return Reply::error(
            405,
            "method_not_allowed",
            format!("Method \"{method}\" not allowed."),
        );
    };
    if let Some(r) = count_and_fault(st, m.as_str(), ep.name, m.is_write(), false) {
        return r;
    }
    if m.is_write() {
        let entry = (std::time::Instant::now(), format!("{m} {rest}"));
        st.counters.lock().unwrap().write_log.push(entry);
    }
    if !ep.supports(m) {
        return Reply::error(
            405,
            "method_not_allowed",
            format!(
                "Method \"{m}\" not allowed on {}; it supports {}",
                ep.name,
                ep.methods_str()
            ),
        );
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    serve(
        st,
        &Call {
            ep,
            m,
            segs: &segs,
            params: &params,
            host,
            body,
            path,
        },
    )
}

/// One authorized request to an endpoint, split into its parts.
struct Call<'a> {
    ep: &'static Endpoint,
    m: Method,
    segs: &'a [&'a str],
    params: &'a [(String, String)],
    host: &'a str,
    body: &'a [u8],
    path: &'a str,
}

/// What the spec has a request without its trailing slash (301, costing a second call) or
/// without the four auth headers (401) answered; `None` for a request to serve.
fn redirect_or_unauthorized(
    st: &SimState,
    path: &str,
    query: &str,
    host: &str,
    headers: &HeaderMap,
) -> Option<Reply> {
    // The spec: a URL without its trailing slash is redirected, costing a second call.
    if !path.ends_with('/') {
        let mut c = st.counters.lock().unwrap();
        c.total += 1;
        c.redirects += 1;
        let q = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        let mut r = Reply::empty(301);
        r.headers
            .push(("location", format!("http://{host}{path}/{q}")));
        return Some(r);
    }
    let keys = &st.keys;
    let given = |h: &str| headers.get(h).and_then(|v| v.to_str().ok()).unwrap_or("");
    if given("X-CP-API-ID") != keys.cp_api_id
        || given("X-CP-API-KEY") != keys.cp_api_key
        || given("X-ECM-API-ID") != keys.ecm_api_id
        || given("X-ECM-API-KEY") != keys.ecm_api_key
    {
        let mut c = st.counters.lock().unwrap();
        c.total += 1;
        c.unauthorized += 1;
        return Some(Reply::error(
            401,
            "unauthorized",
            "Authentication credentials were not provided or are not valid: check the X-CP-API-ID, X-CP-API-KEY, X-ECM-API-ID and X-ECM-API-KEY headers",
        ));
    }
    None
}

/// Serves a counted, authorized request: device syncs due by now first, then the listing,
/// object, or write.
fn serve(st: &SimState, call: &Call<'_>) -> Reply {
    let Call {
        ep,
        m,
        segs,
        params,
        host,
        body,
        path,
    } = *call;
    let mut store = st.store.write().unwrap();
    if m.is_write()
        || !store.sync_due.is_empty()
        || !store.rollback_due.is_empty()
        || store.upgrades.any_due()
    {
        store.generation += 1;
    }
    let now = store.now();
    crate::sim::config_sync::run_due_syncs(&mut store, now);
    crate::sim::config_sync::run_due_rollbacks(&mut store, now);
    crate::sim::firmware::run_due_upgrades(&mut store, now);
    if (m, segs.len()) == (Method::Get, 1) {
        // Listings only read: they share the store, so concurrent pages are served in parallel.
        drop(store);
        let store = st.store.read().unwrap();
        return collection(&store, &st.listings, ep, params, host);
    }
    match (m, segs.len()) {
        (Method::Get, 2) => detail(&mut store, ep, segs[1], params),
        (Method::Get, 3) if ep.name == "firmwares" && segs[2] == "default_configuration" => {
            match store.find("firmwares", segs[1]) {
                Some(fw) => Reply::json(200, firmware_default(&store, &fw)),
                None => not_found(ep, segs[1]),
            }
        }
        (Method::Post, 1) => create(&mut store, st, ep, body),
        (Method::Put | Method::Patch | Method::Delete, 1) => Reply::error(
            405,
            "method_not_allowed",
            format!("{m} needs an object URL such as /api/v2/{}/<id>/", ep.name),
        ),
        (Method::Put | Method::Patch, 2) => modify(&mut store, ep, m, segs[1], body, params),
        (Method::Delete, 2) => {
            if store.remove(ep.name, segs[1]) {
                Reply::empty(204)
            } else {
                not_found(ep, segs[1])
            }
        }
        _ => Reply::error(404, "not_found", format!("no such resource: {path}")),
    }
}

/// Counts a request on its route (`"GET routers"`), then answers an injected fault or a random
/// failure when one is due (plain text for IgniteNet, whose errors are never JSON).
pub(crate) fn count_and_fault(
    st: &SimState,
    method: &str,
    route: &str,
    is_write: bool,
    plain: bool,
) -> Option<Reply> {
    let key = format!("{method} {route}");
    let mut c = st.counters.lock().unwrap();
    c.total += 1;
    let n = {
        let e = c.routes.entry(key).or_insert(0);
        *e += 1;
        *e
    };
    if is_write {
        c.writes += 1;
    }
    drop(c);
    let error = |status: u16, kind: &str, message: String| {
        if plain {
            Reply::plain(status, message)
        } else {
            Reply::error(status, kind, message)
        }
    };
    let faults = st.faults.lock().unwrap();
    for f in faults.iter() {
        let method_ok = f.method.as_deref().is_none_or(|x| x == method);
        let ep_ok = f.endpoint.as_deref().is_none_or(|x| x == route);
        if method_ok && ep_ok && n >= f.nth && n < f.nth + f.times.max(1) {
            let mut r = error(
                f.status,
                "injected",
                format!("injected fault: HTTP {}", f.status),
            );
            if let Some(ra) = f.retry_after {
                r.headers.push(("retry-after", ra.to_string()));
            }
            return Some(r);
        }
    }
    drop(faults);
    let mut fr = st.fail_rate.lock().unwrap();
    if fr.0 > 0.0 {
        let roll: f64 = fr.1.random();
        if roll < fr.0 {
            return Some(error(
                503,
                "unavailable",
                "Service temporarily unavailable (simulated)".into(),
            ));
        }
    }
    None
}

/// The answer for an id the endpoint has no record of: 403 where the spec says so
/// ([`Endpoint::forbids_missing`]: "403 Forbidden # Invalid URL or resource not visible"), 404
/// elsewhere.
fn not_found(ep: &Endpoint, id: &str) -> Reply {
    if ep.forbids_missing() {
        return Reply::error(
            403,
            "forbidden",
            format!("{} {id}: invalid URL or resource not visible", ep.name),
        );
    }
    Reply::error(404, "not_found", format!("{} {id} not found", ep.name))
}

fn bad(msg: impl Into<String>) -> Reply {
    Reply::error(400, "bad_request", msg)
}
