//! The simulated NCM API v2 under `/api/v2/`, driven by the endpoint catalog (auth,
//! trailing-slash redirects, filter validation, paging, `fields`/`expand`, writes), and the reply,
//! fault-injection and request-counting pieces the IgniteNet side (`ignitenet.rs`) shares.

use super::config_sync::Masked;
use super::store::{text_of, timeuuid_time, Store};
use super::SimState;
use crate::ncm::catalog::{self, Endpoint, Field, Method, Op, Paging, Ty};
use crate::ncm::id_of;
use crate::ncm::query::{has_time_portion, resolve_filter};

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
    super::config_sync::run_due_syncs(&mut store, now);
    super::config_sync::run_due_rollbacks(&mut store, now);
    super::firmware::run_due_upgrades(&mut store, now);
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

fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f%:z",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
        if let Ok(t) = chrono::DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&chrono::Utc));
        }
    }
    None
}

fn compare(f: &Field, v: &Value, x: &str) -> Option<Ordering> {
    if v.is_null() {
        return None;
    }
    let t = text_of(v);
    match f.ty {
        Ty::Timestamp => Some(parse_time(&t)?.cmp(&parse_time(x)?)),
        // By time, then by the id itself: two records of one instant stay apart.
        Ty::TimeUuid => Some((timeuuid_time(&t)?, t.as_str()).cmp(&(timeuuid_time(x)?, x))),
        Ty::Int | Ty::Float => t.parse::<f64>().ok()?.partial_cmp(&x.parse::<f64>().ok()?),
        _ => Some(t.as_str().cmp(x)),
    }
}

fn equals(f: &Field, v: &Value, x: &str) -> bool {
    match f.ty {
        Ty::Url => match v {
            Value::String(s) => id_of(s).as_deref() == id_of(x).as_deref(),
            _ => false,
        },
        Ty::Bool => text_of(v).eq_ignore_ascii_case(x),
        Ty::Timestamp | Ty::Int | Ty::Float | Ty::TimeUuid => {
            compare(f, v, x) == Some(Ordering::Equal)
        }
        _ => text_of(v) == x,
    }
}

/// A record's value of a field; a nested filter field (`actor__type`) names `actor.type`.
fn field_value<'a>(rec: &'a Value, name: &str) -> &'a Value {
    if let Some(v) = rec.get(name) {
        return v;
    }
    match name.split_once("__") {
        Some((outer, inner)) => rec
            .get(outer)
            .map_or(&Value::Null, |o| field_value(o, inner)),
        None => &Value::Null,
    }
}

fn matches(rec: &Value, f: &Field, op: Op, vals: &[String]) -> bool {
    let v = field_value(rec, f.name);
    match op {
        Op::IsNull => v.is_null() == (vals[0] == "true"),
        Op::Eq | Op::Exact | Op::In => vals.iter().any(|x| equals(f, v, x)),
        Op::Gt => compare(f, v, &vals[0]) == Some(Ordering::Greater),
        Op::Gte => matches!(
            compare(f, v, &vals[0]),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Lt => compare(f, v, &vals[0]) == Some(Ordering::Less),
        Op::Lte => matches!(
            compare(f, v, &vals[0]),
            Some(Ordering::Less | Ordering::Equal)
        ),
    }
}

/// Finds the record a resource URL points at.
fn resolve<'a>(store: &'a Store, url: &'a str) -> Option<Cow<'a, Value>> {
    let path = url.split('?').next()?.trim_end_matches('/');
    let mut it = path.rsplit('/');
    let id = it.next()?;
    let ep = it.next()?;
    store.find(ep, id)
}

fn project(
    store: &Store,
    ep: &Endpoint,
    rec: &Value,
    fields: Option<&[String]>,
    expand: &[String],
) -> Value {
    if let (Some(fields), true) = (fields, expand.is_empty()) {
        return project_fields(store, ep, rec, fields);
    }
    let mut r = rec.clone();
    if ep.holds_configs {
        super::config_sync::mask_passwords(&mut r);
    }
    // Records are stored without null fields; every catalog field is part of the shape, except
    // filter names of nested fields (`actor__type` filters `actor.type`; no such key exists).
    if let Value::Object(m) = &mut r {
        for f in ep.fields.iter().filter(|f| !f.name.contains("__")) {
            if !m.contains_key(f.name) {
                m.insert(f.name.to_string(), Value::Null);
            }
        }
    }
    for e in expand {
        if ep.name == "firmwares" && e == "default_configuration" {
            r[e.as_str()] = firmware_default(store, rec);
            continue;
        }
        if let Some(Value::String(u)) = r.get(e.as_str()) {
            if let Some(target) = resolve(store, u) {
                r[e.as_str()] = target.into_owned();
            }
        }
    }
    match fields {
        Some(fields) => project_fields(store, ep, &r, fields),
        None => r,
    }
}

/// `?fields=`: copies only the fields asked for (a catalog field the record does not store is
/// `null`; `a.b` reads `b` of the record `a` links to), then masks secrets in the copy.
fn project_fields(store: &Store, ep: &Endpoint, rec: &Value, fields: &[String]) -> Value {
    let mut out = Map::new();
    for f in fields {
        match f.split_once('.') {
            Some((a, b)) => {
                let sub = match rec.get(a) {
                    Some(Value::String(u)) => resolve(store, u),
                    Some(o @ Value::Object(_)) => Some(Cow::Borrowed(o)),
                    _ => None,
                };
                if let Some(val) = sub.and_then(|s| s.get(b).cloned()) {
                    let entry = out.entry(a.to_string()).or_insert_with(|| json!({}));
                    if !entry.is_object() {
                        *entry = json!({});
                    }
                    entry[b] = val;
                }
            }
            None => match rec.get(f.as_str()) {
                Some(v) => {
                    out.insert(f.clone(), v.clone());
                }
                None if !f.contains("__") && ep.field(f).is_some() => {
                    out.insert(f.clone(), Value::Null);
                }
                None => {}
            },
        }
    }
    let mut out = Value::Object(out);
    if ep.holds_configs {
        super::config_sync::mask_passwords(&mut out);
    }
    out
}

struct ListParams {
    limit: usize,
    offset: usize,
    fields: Option<Vec<String>>,
    expand: Vec<String>,
    order_by: Option<String>,
    filters: Vec<(&'static Field, Op, Vec<String>)>,
    /// Query pairs other than limit/offset, to rebuild `meta.next`.
    passthrough: Vec<(String, String)>,
}

fn parse_list(ep: &'static Endpoint, params: &[(String, String)]) -> Result<ListParams, Reply> {
    let mut p = ListParams {
        limit: ep.default_page,
        offset: 0,
        fields: None,
        expand: vec![],
        order_by: None,
        filters: vec![],
        passthrough: vec![],
    };
    let split = |v: &str| -> Vec<String> {
        v.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    for (k, v) in params {
        match k.as_str() {
            "limit" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| bad(format!("limit must be a positive integer, not {v:?}")))?;
                if n == 0 {
                    return Err(bad("limit must be at least 1"));
                }
                // Pages are capped at the endpoint maximum (500 on most endpoints).
                p.limit = n.min(ep.max_page);
                continue;
            }
            "offset" => {
                if ep.paging.is_timeuuid() {
                    return Err(bad(format!(
                        "{} pages by created_at_timeuuid, not offset",
                        ep.name
                    )));
                }
                p.offset = v.parse().map_err(|_| {
                    bad(format!("offset must be a non-negative integer, not {v:?}"))
                })?;
                continue;
            }
            "fields" => p.fields = Some(split(v)),
            "expand" => {
                for e in split(v) {
                    if !ep.field(&e).is_some_and(|f| f.expandable) {
                        return Err(bad(format!(
                            "{e:?} cannot be expanded on {}; expandable: {}",
                            ep.name,
                            ep.expandable().join(", ")
                        )));
                    }
                    p.expand.push(e);
                }
            }
            "order_by" => {
                // Only the fields the spec's Sort column marks.
                let name = v.strip_prefix('-').unwrap_or(v);
                if !ep.sortable().contains(&name) {
                    return Err(bad(format!(
                        "cannot order {} by {name:?}; sortable: {}",
                        ep.name,
                        ep.sortable().join(", ")
                    )));
                }
                p.order_by = Some(v.clone());
            }
            "format" => {}
            key => {
                let (f, op) = resolve_filter(ep, key).map_err(|e| bad(e.to_string()))?;
                let vals = if op == Op::In {
                    split(v)
                } else {
                    vec![v.clone()]
                };
                if op == Op::In {
                    if let Some(cap) = ep.in_cap {
                        if vals.len() > cap {
                            return Err(bad(format!(
                                "{key} has {} values; the limit is {cap} per filter",
                                vals.len()
                            )));
                        }
                    }
                }
                if f.ty == Ty::Timestamp && op != Op::IsNull {
                    if let Some(x) = vals.iter().find(|x| !has_time_portion(x)) {
                        return Err(bad(format!("{key}={x:?}: datetime fields need the time portion, e.g. \"2019-08-12T09:29:34\"")));
                    }
                }
                p.filters.push((f, op, vals));
            }
        }
        p.passthrough.push((k.clone(), v.clone()));
    }
    for req in ep.required {
        if !p.filters.iter().any(|(f, _, _)| f.name == *req) {
            return Err(bad(format!(
                "{} requires a {req} filter, e.g. ?{req}=<id>",
                ep.name
            )));
        }
    }
    Ok(p)
}

fn list_url(host: &str, ep: &Endpoint, pairs: &[(String, String)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    format!("http://{host}/api/v2/{}/?{}", ep.name, ser.finish())
}

/// The positions (in a table) of the records a filtered or ordered listing selects, in listing
/// order, kept per store generation: the pages of one listing are served from one selection
/// instead of each page filtering and sorting the whole table again.
/// Also the serialized pages themselves, by request: a client that reads the same listing again
/// (a nightly job, a benchmark's next run) is answered without building a record, as a server
/// with response caching would.
#[derive(Default)]
pub struct ListingCache {
    generation: u64,
    selections: std::collections::HashMap<String, Arc<std::sync::OnceLock<Arc<Vec<usize>>>>>,
    pages: std::collections::HashMap<String, Arc<str>>,
    page_bytes: usize,
}

/// At most this much page text is kept (a 100,000-router fleet's listings of a nightly job).
const CACHED_PAGE_BYTES: usize = 256 << 20;

impl ListingCache {
    /// Forgets everything when the store changed since the cache was filled.
    fn at_generation(&mut self, generation: u64) -> &mut Self {
        if self.generation != generation {
            self.generation = generation;
            self.selections.clear();
            self.pages.clear();
            self.page_bytes = 0;
        }
        self
    }

    fn page(&mut self, generation: u64, key: &str) -> Option<Arc<str>> {
        self.at_generation(generation).pages.get(key).cloned()
    }

    fn keep_page(&mut self, generation: u64, key: String, text: &str) {
        let c = self.at_generation(generation);
        if c.page_bytes.saturating_add(text.len()) > CACHED_PAGE_BYTES {
            c.pages.clear();
            c.page_bytes = 0;
        }
        c.page_bytes += text.len();
        c.pages.insert(key, Arc::from(text));
    }
}

/// Cursor filters make every page a new selection; a handful of listings at a time is plenty.
const CACHED_SELECTIONS: usize = 64;

/// The table positions a listing selects, in its order (cached; see [`ListingCache`]).
fn selection(
    store: &Store,
    cache: &std::sync::Mutex<ListingCache>,
    ep: &'static Endpoint,
    p: &ListParams,
) -> Arc<Vec<usize>> {
    let key = format!(
        "{}|{:?}|{:?}",
        ep.name,
        p.order_by,
        p.filters
            .iter()
            .map(|(f, op, vals)| (f.name, op, vals))
            .collect::<Vec<_>>()
    );
    // The pages of one listing arrive together: the first computes the selection, the others
    // wait for it rather than each filtering the whole table again.
    let slot = {
        let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
        let c = c.at_generation(store.generation);
        if c.selections.len() >= CACHED_SELECTIONS && !c.selections.contains_key(&key) {
            c.selections.clear();
        }
        c.selections.entry(key).or_default().clone()
    };
    slot.get_or_init(|| Arc::new(select(store, ep, p))).clone()
}

/// The positions of the records a listing selects, in its order.
fn select(store: &Store, ep: &'static Endpoint, p: &ListParams) -> Vec<usize> {
    let table = store.table(ep.name);
    // Each record is looked at once (a generated one is built once, or only the fields the
    // filters and the order read when the fleet has them at hand), keeping what the order needs.
    let names = super::store::fields_read(
        p.filters.iter().map(|(f, _, _)| f.name),
        p.order_by.as_deref(),
        ep.paging.is_timeuuid(),
    );
    let mut matched: Vec<(usize, SortKey)> = (0..table.len())
        .filter_map(|i| {
            table
                .fields(i, &names)
                .map(Cow::Owned)
                .or_else(|| table.get(i))
                .map(|r| (i, r))
        })
        .filter(|(_, r)| {
            p.filters
                .iter()
                .all(|(f, op, vals)| matches(r, f, *op, vals))
        })
        .map(|(i, r)| (i, sort_key(ep, p, &r)))
        .collect();
    sort_selection(ep, p, &mut matched);
    matched.into_iter().map(|(i, _)| i).collect()
}

/// What a selected record is ordered by: the `order_by` field's value, or its timeuuid.
enum SortKey {
    None,
    Field(Value),
    Time(Option<(u64, u32)>, Option<String>),
}

fn sort_key(ep: &Endpoint, p: &ListParams, r: &Value) -> SortKey {
    match (&p.order_by, ep.paging) {
        (Some(o), _) => {
            let name = o.strip_prefix('-').unwrap_or(o);
            SortKey::Field(r.get(name).cloned().unwrap_or(Value::Null))
        }
        (None, Paging::TimeUuidAsc | Paging::TimeUuidDesc) => {
            let u = r.get("created_at_timeuuid").and_then(Value::as_str);
            SortKey::Time(u.and_then(timeuuid_time), u.map(str::to_string))
        }
        (None, Paging::Offset) => SortKey::None,
    }
}

/// Orders a selection by `order_by`, or by time for the timeuuid-paged endpoints.
fn sort_selection(ep: &Endpoint, p: &ListParams, matched: &mut [(usize, SortKey)]) {
    let by_time = |a: &SortKey, b: &SortKey| match (a, b) {
        (SortKey::Time(ta, ua), SortKey::Time(tb, ub)) => (ta, ua).cmp(&(tb, ub)),
        _ => Ordering::Equal,
    };
    match (&p.order_by, ep.paging) {
        (Some(o), _) => {
            let (name, desc) = match o.strip_prefix('-') {
                Some(n) => (n, true),
                None => (o.as_str(), false),
            };
            let f = ep.field(name);
            fn value(k: &SortKey) -> &Value {
                match k {
                    SortKey::Field(v) => v,
                    _ => &Value::Null,
                }
            }
            matched.sort_by(|(_, a), (_, b)| {
                let (va, vb) = (value(a), value(b));
                let ord = f
                    .and_then(|f| compare(f, va, &text_of(vb)))
                    .unwrap_or_else(|| text_of(va).cmp(&text_of(vb)));
                if desc {
                    ord.reverse()
                } else {
                    ord
                }
            });
        }
        (None, Paging::TimeUuidAsc) => matched.sort_by(|(_, a), (_, b)| by_time(a, b)),
        (None, Paging::TimeUuidDesc) => matched.sort_by(|(_, a), (_, b)| by_time(b, a)),
        (None, Paging::Offset) => {}
    }
}

fn collection(
    store: &Store,
    cache: &std::sync::Mutex<ListingCache>,
    ep: &'static Endpoint,
    params: &[(String, String)],
    host: &str,
) -> Reply {
    let p = match parse_list(ep, params) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let lock = || cache.lock().unwrap_or_else(|e| e.into_inner());
    let key = format!("{host} {} {params:?}", ep.name);
    if let Some(text) = lock().page(store.generation, &key) {
        return Reply::serialized_json(200, text.to_string());
    }
    let reply = page(store, cache, ep, &p, host);
    if let (true, Some(Value::String(text))) = (reply.serialized, &reply.body) {
        lock().keep_page(store.generation, key, text);
    }
    reply
}

/// One page of a listing, its records built and written.
fn page(
    store: &Store,
    cache: &std::sync::Mutex<ListingCache>,
    ep: &'static Endpoint,
    p: &ListParams,
    host: &str,
) -> Reply {
    let table = store.table(ep.name);
    // A plain offset listing is the table itself; anything else is a (cached) selection.
    let plain = p.filters.is_empty() && p.order_by.is_none() && ep.paging == Paging::Offset;
    let sel = (!plain).then(|| selection(store, cache, ep, p));
    let positions: Vec<usize> = match &sel {
        None => {
            let start = p.offset.min(table.len());
            let end = start.saturating_add(p.limit).min(table.len());
            // Only the page itself is collected; `total` below is the table's length.
            (start..end).collect()
        }
        Some(sel) if ep.paging == Paging::Offset => {
            let start = p.offset.min(sel.len());
            let end = start.saturating_add(p.limit).min(sel.len());
            sel[start..end].to_vec()
        }
        Some(sel) => sel
            .iter()
            .take(p.limit.saturating_add(1))
            .copied()
            .collect(),
    };
    let matched: Vec<Cow<Value>> = positions.iter().filter_map(|&i| table.get(i)).collect();
    let matched: Vec<&Value> = matched.iter().map(|r| r.as_ref()).collect();
    // Offset listings: all the records selected; cursor listings: the page and one more, which
    // tells whether a next page exists.
    let total = match (&sel, ep.paging) {
        (_, Paging::TimeUuidAsc | Paging::TimeUuidDesc) => matched.len(),
        (Some(sel), _) => sel.len(),
        (None, _) => table.len(),
    };
    let (page, meta) = if ep.paging.is_timeuuid() {
        let page: Vec<&Value> = matched.iter().take(p.limit).copied().collect();
        let meta = cursor_meta(ep, p, host, &page, total);
        (page, meta)
    } else {
        let meta = offset_meta(ep, p, host, total);
        (matched, meta)
    };
    let direct = p.expand.is_empty()
        && p.fields
            .as_deref()
            .is_none_or(|f| f.iter().all(|f| !f.contains('.')));
    if direct {
        return Reply::serialized_json(200, page_text(ep, &page, p.fields.as_deref(), &meta));
    }
    let data: Vec<Value> = page
        .iter()
        .map(|r| project(store, ep, r, p.fields.as_deref(), &p.expand))
        .collect();
    Reply::json(200, json!({"data": data, "meta": meta}))
}

/// `meta` of a cursor (timeuuid) page: `next` and `previous` carry the cursor of its last and
/// first record; `total` is the page plus one more when a next page exists.
fn cursor_meta(ep: &Endpoint, p: &ListParams, host: &str, page: &[&Value], total: usize) -> Value {
    let cursor = if ep.paging == Paging::TimeUuidAsc {
        "created_at_timeuuid__gt"
    } else {
        "created_at_timeuuid__lt"
    };
    let back = if ep.paging == Paging::TimeUuidAsc {
        "created_at_timeuuid__lt"
    } else {
        "created_at_timeuuid__gt"
    };
    let with_cursor = |key: &str, at: &Value| {
        let mut pairs: Vec<(String, String)> = p
            .passthrough
            .iter()
            .filter(|(k, _)| k != cursor && k != back)
            .cloned()
            .collect();
        pairs.push((
            key.to_string(),
            at["created_at_timeuuid"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ));
        pairs.push(("limit".into(), p.limit.to_string()));
        list_url(host, ep, &pairs)
    };
    let next = if total > p.limit {
        page.last().map(|l| with_cursor(cursor, l))
    } else {
        None
    };
    let previous = if p.passthrough.iter().any(|(k, _)| k == cursor) {
        page.first().map(|f| with_cursor(back, f))
    } else {
        None
    };
    json!({"limit": p.limit, "next": next, "previous": previous})
}

/// `meta` of an offset page: absolute `next` and `previous` links with `limit` and `offset`.
fn offset_meta(ep: &Endpoint, p: &ListParams, host: &str, total: usize) -> Value {
    let start = p.offset.min(total);
    let end = start.saturating_add(p.limit).min(total);
    let at = |off: usize| {
        let mut pairs = p.passthrough.clone();
        pairs.push(("limit".into(), p.limit.to_string()));
        pairs.push(("offset".into(), off.to_string()));
        list_url(host, ep, &pairs)
    };
    let next = (end < total).then(|| at(end));
    let previous = (start > 0).then(|| at(start.saturating_sub(p.limit)));
    json!({"limit": p.limit, "next": next, "offset": p.offset, "previous": previous})
}

/// A page's JSON written straight from the stored records (no copy of any record): the fields
/// asked for, or all of them with the catalog's missing ones as `null`; passwords masked.
fn page_text(
    ep: &'static Endpoint,
    page: &[&Value],
    fields: Option<&[String]>,
    meta: &Value,
) -> String {
    let mask = ep.holds_configs;
    let data: Vec<View> = page
        .iter()
        .map(|rec| View {
            ep,
            rec,
            fields,
            mask,
        })
        .collect();
    serde_json::to_string(&json!({"meta": meta}))
        .ok()
        .and_then(|m| {
            let d = serde_json::to_string(&data).ok()?;
            // {"meta":...} -> {"data":[...],"meta":...}
            Some(format!("{{\"data\":{d},{}", m.strip_prefix('{')?))
        })
        .unwrap_or_default()
}

/// One record as a listing shows it (see [`page_text`]).
struct View<'a> {
    ep: &'static Endpoint,
    rec: &'a Value,
    fields: Option<&'a [String]>,
    mask: bool,
}

impl serde::Serialize for View<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        let shown = |f: &str| !f.contains("__");
        let masked = |v| Masked::new(v, self.mask);
        match self.fields {
            Some(fields) => {
                for f in fields {
                    match self.rec.get(f.as_str()) {
                        Some(v) => m.serialize_entry(f, &masked(v))?,
                        None if shown(f) && self.ep.field(f).is_some() => {
                            m.serialize_entry(f, &Value::Null)?
                        }
                        None => {}
                    }
                }
            }
            None => {
                let obj = self.rec.as_object();
                for (k, v) in obj.into_iter().flatten() {
                    m.serialize_entry(k, &masked(v))?;
                }
                for f in self.ep.fields.iter().filter(|f| shown(f.name)) {
                    if obj.is_none_or(|o| !o.contains_key(f.name)) {
                        m.serialize_entry(f.name, &Value::Null)?;
                    }
                }
            }
        }
        m.end()
    }
}

fn detail_params(params: &[(String, String)]) -> (Option<Vec<String>>, Vec<String>) {
    let mut fields = None;
    let mut expand = vec![];
    for (k, v) in params {
        let list: Vec<String> = v
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        match k.as_str() {
            "fields" => fields = Some(list),
            "expand" => expand = list,
            _ => {}
        }
    }
    (fields, expand)
}

fn detail(store: &mut Store, ep: &Endpoint, id: &str, params: &[(String, String)]) -> Reply {
    if !ep.detail {
        return Reply::error(404, "not_found", format!("{} has no object URLs", ep.name));
    }
    // A speed test finishes the first time it is looked at after being created; each result
    // names its net device and that device's router (`router_id`, as the spec's example shows).
    if ep.name == "speed_test" {
        let pending: Option<Vec<Value>> = store
            .find("speed_test", id)
            .filter(|r| r["state"] == "created")
            .map(|r| {
                r["config"]["net_device_ids"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            });
        let routers: Vec<Value> = pending
            .iter()
            .flatten()
            .map(|n| {
                store
                    .find("net_devices", &text_of(n))
                    .and_then(|d| d["router"].as_str().and_then(id_of))
                    .and_then(|r| r.parse::<u64>().ok())
                    .map_or(Value::Null, |r| json!(r))
            })
            .collect();
        if let (Some(ids), Some(rec)) = (pending, store.find_mut("speed_test", id)) {
            {
                let now = super::store::ts(chrono::Utc::now());
                let results: Vec<Value> = ids.iter().zip(&routers).map(|(n, r)| json!({"created_at": now, "net_device_id": n,
                    "results": "TCP Download Test Duration: 10.01 Seconds Download Throughput: 58.34 Mbps",
                    "router_id": r, "state": "success", "updated_at": now})).collect();
                rec["progress"] = json!({"completed": ids.len(), "total_count": ids.len()});
                rec["results"] = Value::Array(results);
                rec["state"] = json!("complete");
                rec["updated_at"] = json!(now);
            }
        }
    }
    let Some(rec) = store.find(ep.name, id) else {
        return not_found(ep, id);
    };
    let (fields, expand) = detail_params(params);
    Reply::json(200, project(store, ep, &rec, fields.as_deref(), &expand))
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("the request body must be a JSON object")),
        Err(e) => Err(bad(format!("the request body is not JSON: {e}"))),
    }
}

fn create(store: &mut Store, st: &SimState, ep: &'static Endpoint, body: &[u8]) -> Reply {
    let b = match parse_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    // The catalog's rules, as the client checks them before sending: required fields (`*`), no
    // read-only or unknown field, the documented rules of the body.
    if let Err(p) = ep.check_write(Method::Post, None, &Value::Object(b.clone())) {
        return bad(p.message());
    }
    if ep.name == "reboot_activity" {
        let (kind, url) = match (b.get("router"), b.get("group")) {
            (Some(Value::String(u)), None) => ("routers", u),
            (None, Some(Value::String(u))) => ("groups", u),
            _ => {
                return bad(
                    "POST a router or group URL, e.g. {\"router\": \".../api/v2/routers/42/\"}",
                )
            }
        };
        let id = id_of(url).unwrap_or_default();
        if store.find(kind, &id).is_none() {
            return Reply::error(
                403,
                "forbidden",
                format!("You do not have permission to perform this action ({kind} {id})"),
            );
        }
        st.counters
            .lock()
            .unwrap()
            .reboots
            .push(format!("{kind}/{id}"));
        return Reply::json(201, Value::Object(b));
    }
    let id = store.alloc_id(ep.name).max(100_000);
    let now = super::store::ts(chrono::Utc::now());
    let mut rec = Map::new();
    for f in ep.fields {
        rec.insert(f.name.to_string(), Value::Null);
    }
    for (k, v) in b {
        if ep.field(&k).is_some() {
            rec.insert(k, v);
        }
    }
    rec.insert("id".into(), json!(id.to_string()));
    for (k, v) in [
        ("resource_url", json!(store.url(ep.name, id))),
        ("created_at", json!(now)),
        ("updated_at", json!(now)),
    ] {
        if rec.contains_key(k) {
            rec.insert(k.into(), v);
        }
    }
    if ep.name == "speed_test" {
        rec.insert("resource_uri".into(), json!(store.url(ep.name, id)));
        rec.insert("state".into(), json!("created"));
    }
    let rec = Value::Object(rec);
    store.push(ep.name, rec.clone());
    Reply::json(201, rec)
}

/// Merges `patch` into `target` recursively (objects merge, everything else replaces).
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The spec's config-validation error body.
fn validation_error(
    status: u16,
    message: String,
    reason: &str,
    value: Value,
    path: Vec<Value>,
) -> Reply {
    Reply::json(
        status,
        json!({"errors": [{"configuration": {"message": message, "reason": reason, "value": value, "path": path}}],
               "exception": {"message": "bad or missing data", "type": "validation"}}),
    )
}

/// Checks that a config diff has the `[updates, removals]` shape, with removal paths as lists.
/// (Which paths exist is the config model's business; this is the shape every diff must have.)
fn check_diff_shape(status: u16, diff: &Value) -> Option<Reply> {
    let shape_err = |reason: &str, value: &Value, path: Vec<Value>| {
        Some(validation_error(
            status,
            format!("cannot set configuration to {value}: {reason}"),
            reason,
            value.clone(),
            path,
        ))
    };
    let Some(parts) = diff.as_array().filter(|a| a.len() == 2) else {
        return shape_err("not a list or dict", diff, vec![]);
    };
    if !parts[0].is_object() {
        return shape_err("not a dict", &parts[0], vec![json!(0)]);
    }
    let Some(removals) = parts[1].as_array() else {
        return shape_err("not a list or dict", &parts[1], vec![json!(1)]);
    };
    for (i, r) in removals.iter().enumerate() {
        let ok = r
            .as_array()
            .is_some_and(|p| !p.is_empty() && p.iter().all(|x| x.is_string() || x.is_u64()));
        if !ok {
            return shape_err("bad array index", r, vec![json!(1), json!(i)]);
        }
    }
    None
}

fn modify(
    store: &mut Store,
    ep: &Endpoint,
    m: Method,
    id: &str,
    body: &[u8],
    params: &[(String, String)],
) -> Reply {
    let b = match parse_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    // The catalog's rules, as the client checks them before sending: an unknown or read-only
    // field is a 409, as the Configuration document says of a configuration manager ("If you
    // include any other field in your PUT request payload you will get a 409 Conflict"). The
    // fields a PUT requires (`*`) are the client's to check: the official client PUTs a group's
    // or an account's name alone (rename_group_by_id), so the service is taken to accept it.
    match ep.check_write(m, Some(id), &Value::Object(b.clone())) {
        Ok(()) | Err(catalog::WriteProblem::Missing(_)) => {}
        Err(p) => return Reply::error(409, "validation", p.message()),
    }
    if let Some(cfg) = b.get("configuration") {
        // The spec: an invalid config is a 409 on PUT and a 400 on PATCH.
        let status = if m == Method::Put { 409 } else { 400 };
        if let Some(r) = check_diff_shape(status, cfg) {
            return r;
        }
    }
    if ep.name == "configuration_managers"
        || (ep.name == "groups" && b.contains_key("configuration"))
    {
        return modify_config(store, ep, m, id, b, params);
    }
    let Some(rec) = store.find_mut(ep.name, id) else {
        return not_found(ep, id);
    };
    let mut changed_config = false;
    for (k, v) in b {
        if k == "configuration" {
            changed_config = true;
        }
        match m {
            Method::Patch if k == "configuration" => {
                // [updates, removals]: PATCH merges updates and cannot remove.
                if let (Some(cur), Some(upd)) = (
                    rec.get_mut("configuration").and_then(|c| c.get_mut(0)),
                    v.get(0),
                ) {
                    merge(cur, upd);
                } else {
                    rec[k.as_str()] = v;
                }
            }
            Method::Patch => merge(&mut rec[k.as_str()], &v),
            _ => rec[k.as_str()] = v,
        }
    }
    if changed_config && rec.get("version_number").is_some() {
        let v = rec["version_number"].as_u64().unwrap_or(0) + 1;
        rec["version_number"] = json!(v);
        rec["synched"] = json!(false);
    }
    if rec.get("updated_at").is_some() {
        rec["updated_at"] = json!(super::store::ts(chrono::Utc::now()));
    }
    let rec = rec.clone();
    if ep.name == "groups" {
        group_firmware_to_routers(store, id);
    }
    // A router moved between groups gets a new target, and its group's firmware.
    if ep.name == "routers" {
        let now = store.now();
        super::firmware::follow_group(store, id, now);
        let cms = super::config_sync::ids_linking(store, "configuration_managers", "router", id);
        for cm in cms {
            let now = store.now();
            super::config_sync::retarget(store, &cm, now);
        }
    }
    let (fields, expand) = detail_params(params);
    patch_or_put_answer(store, ep, &rec, &fields, &expand)
}

/// The 202 answer of a PUT or PATCH: the record (its `fields`). A departure for PATCH, whose
/// spec says "Unlike PUT, PATCH never returns a payload in its reply": the official client reads
/// one (copy_router_configuration parses the PATCH answer as JSON, patch_configuration_managers
/// returns its text), which says more about the real service than the sentence does.
fn patch_or_put_answer(
    store: &Store,
    ep: &Endpoint,
    rec: &Value,
    fields: &Option<Vec<String>>,
    expand: &[String],
) -> Reply {
    Reply::json(202, project(store, ep, rec, fields.as_deref(), expand))
}

/// A group's `target_firmware` is its routers' target: each router follows it, and upgrades
/// when that differs from what it runs (`firmware.rs`).
fn group_firmware_to_routers(store: &mut Store, group_id: &str) {
    let now = store.now();
    for rid in super::config_sync::group_routers(store, group_id) {
        super::firmware::follow_group(store, &rid, now);
    }
}

/// PUT/PATCH of a configuration manager, or of a group's configuration.
fn modify_config(
    store: &mut Store,
    ep: &Endpoint,
    m: Method,
    id: &str,
    b: Map<String, Value>,
    params: &[(String, String)],
) -> Reply {
    use super::config_sync as cfg;
    let Some(rec) = store.find(ep.name, id).map(std::borrow::Cow::into_owned) else {
        return not_found(ep, id);
    };
    let now = store.now();
    if let Some(body) = b.get("configuration") {
        if let Err(r) = write_config(store, ep, m, id, &rec, body) {
            return r;
        }
    }
    if ep.name == "groups" {
        // A group PUT/PATCH keeps the other fields it carries (name, target_firmware...).
        let others: Map<String, Value> = b
            .iter()
            .filter(|(k, _)| k.as_str() != "configuration")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(r) = store.find_mut(ep.name, id) {
            for (k, v) in others {
                r[k.as_str()] = v;
            }
        }
        group_firmware_to_routers(store, id);
        for cm in cfg::members(store, id) {
            cfg::retarget(store, &cm, now);
        }
    } else {
        if let Some(s) = b.get("suspended") {
            if let Err(r) = set_suspended(store, ep, id, &rec, s, now) {
                return r;
            }
        }
        cfg::retarget(store, id, now);
    }
    let rec = store
        .find(ep.name, id)
        .map(std::borrow::Cow::into_owned)
        .unwrap_or(Value::Null);
    let (fields, expand) = detail_params(params);
    patch_or_put_answer(store, ep, &rec, &fields, &expand)
}

/// PUT (replace) or PATCH (merge) of a group's or configuration manager's individual config,
/// validated against the firmware's default; the spec's 409 (PUT) or 400 (PATCH) when invalid.
fn write_config(
    store: &mut Store,
    ep: &Endpoint,
    m: Method,
    id: &str,
    rec: &Value,
    body: &Value,
) -> Result<(), Reply> {
    use super::config_sync::{self as cfg, Refusal};
    use crate::diff::{self, Diff};
    let invalid_status = if m == Method::Put { 409 } else { 400 };
    let refuse = |i: Box<crate::error::ConfigIssue>| {
        validation_error(invalid_status, i.message, &i.reason, i.value, i.path)
    };
    if let Some(r) = check_diff_shape(invalid_status, body) {
        return Err(r);
    }
    let default = if ep.name == "groups" {
        cfg::group_default(store, rec)
    } else {
        cfg::cm_default(store, rec)
    };
    let d = match cfg::validate(&default, body) {
        Ok(d) => d,
        Err(Refusal::Invalid(i)) => return Err(refuse(i)),
        Err(Refusal::MissingIdField(k)) => {
            let url = rec["resource_url"].as_str().unwrap_or_default().to_string();
            return Err(Reply::json(invalid_status, cfg::missing_id_body(&url, &k)));
        }
    };
    let old = cfg::diff_of(rec, "configuration");
    // PUT replaces the config; PATCH merges into it and cannot remove anything.
    let new = if m == Method::Put {
        d
    } else {
        diff::layer(
            &old,
            &Diff {
                updates: d.updates,
                removals: vec![],
            },
        )
    };
    if let Err(i) = diff::apply(&default, &new) {
        return Err(refuse(i));
    }
    if let Some(r) = store.find_mut(ep.name, id) {
        r["configuration"] = new.to_value();
    }
    log_config_activity(store, ep.name, id);
    Ok(())
}

/// `suspended` of a configuration manager: suspending stops its sync; resuming works only for a
/// device that is online (an offline one stays suspended).
fn set_suspended(
    store: &mut Store,
    ep: &Endpoint,
    id: &str,
    rec: &Value,
    s: &Value,
    now: std::time::Instant,
) -> Result<(), Reply> {
    let Some(s) = s.as_bool() else {
        return Err(Reply::error(
            409,
            "validation",
            "suspended must be true or false",
        ));
    };
    let router = rec
        .get("router")
        .and_then(Value::as_str)
        .and_then(id_of)
        .and_then(|r| store.find("routers", &r).map(std::borrow::Cow::into_owned));
    let online = router.as_ref().is_some_and(|r| r["state"] == "online");
    let rid = router
        .as_ref()
        .and_then(|r| r["id"].as_str())
        .unwrap_or_default()
        .to_string();
    if s {
        store.sync_due.remove(id);
        if let Some(r) = store.find_mut(ep.name, id) {
            r["suspended"] = json!(true);
        }
        if let Some(r) = store.find_mut("routers", &rid) {
            r["config_status"] = json!("suspended");
        }
    } else if online {
        // Resuming only works for a device that is online; an offline one stays suspended.
        let synched = store
            .find(ep.name, id)
            .and_then(|r| r["synched"].as_bool())
            .unwrap_or(false);
        if let Some(r) = store.find_mut(ep.name, id) {
            r["suspended"] = json!(false);
        }
        if let Some(r) = store.find_mut("routers", &rid) {
            r["config_status"] = json!(if synched { "synched" } else { "pending" });
        }
        if !synched {
            let delay = store.sync_delay;
            store.sync_due.insert(id.to_string(), now + delay);
        }
    }
    Ok(())
}

/// NCM's activity log records who changed a router's or group's configuration, and when.
fn log_config_activity(store: &mut Store, endpoint: &str, id: &str) {
    let (kind, object_id, name) = if endpoint == "groups" {
        let name = store
            .find("groups", id)
            .map(|g| g["name"].clone())
            .unwrap_or(Value::Null);
        ("group", id.to_string(), name)
    } else {
        let rid = store
            .find(endpoint, id)
            .and_then(|c| c["router"].as_str().and_then(id_of))
            .unwrap_or_default();
        let name = store
            .find("routers", &rid)
            .map(|r| r["name"].clone())
            .unwrap_or(Value::Null);
        ("router", rid, name)
    };
    let now = chrono::Utc::now();
    let seq = store.alloc_id("activity_logs");
    let account = store.url("accounts", 1);
    store.push("activity_logs", json!({"account": account, "action": {"id": format!("act-cfg-{seq}"), "type": "update",
        "timestamp": super::store::ts(now)}, "actor": {"id": "api-key-1", "type": "api_key", "name": "API key (X-CP-API-ID)"},
        "object": {"id": object_id, "type": kind, "name": name}, "created_at": super::store::ts(now)}));
}

/// The default configuration of a firmware record's product and version.
fn firmware_default(store: &Store, fw: &Value) -> Value {
    super::config_sync::firmware_default(store, fw)
        .as_ref()
        .clone()
}
