//! The listing handler of the simulated NCM API: a collection GET's filters parsed and checked
//! against the catalog, the records selected (cached per store generation), sorted, projected
//! (`fields`, `expand`) and paged (offset or cursor `meta`, the `next`/`previous` URLs).

use super::*;

pub(super) fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
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

pub(super) fn compare(f: &Field, v: &Value, x: &str) -> Option<Ordering> {
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

pub(super) fn equals(f: &Field, v: &Value, x: &str) -> bool {
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
pub(super) fn field_value<'a>(rec: &'a Value, name: &str) -> &'a Value {
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

pub(super) fn matches(rec: &Value, f: &Field, op: Op, vals: &[String]) -> bool {
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
pub(super) fn resolve<'a>(store: &'a Store, url: &'a str) -> Option<Cow<'a, Value>> {
    let path = url.split('?').next()?.trim_end_matches('/');
    let mut it = path.rsplit('/');
    let id = it.next()?;
    let ep = it.next()?;
    store.find(ep, id)
}

pub(super) fn project(
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
        crate::sim::config_sync::mask_passwords(&mut r);
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
pub(super) fn project_fields(
    store: &Store,
    ep: &Endpoint,
    rec: &Value,
    fields: &[String],
) -> Value {
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
        crate::sim::config_sync::mask_passwords(&mut out);
    }
    out
}

pub(super) struct ListParams {
    limit: usize,
    offset: usize,
    fields: Option<Vec<String>>,
    expand: Vec<String>,
    order_by: Option<String>,
    filters: Vec<(&'static Field, Op, Vec<String>)>,
    /// Query pairs other than limit/offset, to rebuild `meta.next`.
    passthrough: Vec<(String, String)>,
}

/// Splits a comma-separated query value, empty items dropped.
fn split(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

pub(super) fn parse_list(
    ep: &'static Endpoint,
    params: &[(String, String)],
) -> Result<ListParams, Reply> {
    let mut p = ListParams {
        limit: ep.default_page,
        offset: 0,
        fields: None,
        expand: vec![],
        order_by: None,
        filters: vec![],
        passthrough: vec![],
    };
    for (k, v) in params {
        match k.as_str() {
            "limit" => {
                p.limit = parse_limit(ep, v)?;
                continue;
            }
            "offset" => {
                p.offset = parse_offset(ep, v)?;
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
            key => p.filters.push(parse_filter(ep, key, v)?),
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

/// `limit`: at least 1, capped at the endpoint's largest page.
fn parse_limit(ep: &Endpoint, v: &str) -> Result<usize, Reply> {
    let n: usize = v
        .parse()
        .map_err(|_| bad(format!("limit must be a positive integer, not {v:?}")))?;
    if n == 0 {
        return Err(bad("limit must be at least 1"));
    }
    // Pages are capped at the endpoint maximum (500 on most endpoints).
    Ok(n.min(ep.max_page))
}

/// `offset`: a count, on endpoints paged by offset only.
fn parse_offset(ep: &Endpoint, v: &str) -> Result<usize, Reply> {
    if ep.paging.is_timeuuid() {
        return Err(bad(format!(
            "{} pages by created_at_timeuuid, not offset",
            ep.name
        )));
    }
    v.parse()
        .map_err(|_| bad(format!("offset must be a non-negative integer, not {v:?}")))
}

/// A filter `key=value`: its field and operator by the catalog, the `__in` cap, and the time
/// portion datetime fields need.
fn parse_filter(
    ep: &'static Endpoint,
    key: &str,
    v: &str,
) -> Result<(&'static Field, Op, Vec<String>), Reply> {
    let (f, op) = resolve_filter(ep, key).map_err(|e| bad(e.to_string()))?;
    let vals = if op == Op::In {
        split(v)
    } else {
        vec![v.to_string()]
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
            return Err(bad(format!(
                "{key}={x:?}: datetime fields need the time portion, e.g. \"2019-08-12T09:29:34\""
            )));
        }
    }
    Ok((f, op, vals))
}

pub(super) fn list_url(host: &str, ep: &Endpoint, pairs: &[(String, String)]) -> String {
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
pub(super) const CACHED_PAGE_BYTES: usize = 256 << 20;

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
pub(super) const CACHED_SELECTIONS: usize = 64;

/// The table positions a listing selects, in its order (cached; see [`ListingCache`]).
pub(super) fn selection(
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
pub(super) fn select(store: &Store, ep: &'static Endpoint, p: &ListParams) -> Vec<usize> {
    let table = store.table(ep.name);
    // Each record is looked at once (a generated one is built once, or only the fields the
    // filters and the order read when the fleet has them at hand), keeping what the order needs.
    let names = crate::sim::store::fields_read(
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
pub(super) enum SortKey {
    None,
    Field(Value),
    Time(Option<(u64, u32)>, Option<String>),
}

pub(super) fn sort_key(ep: &Endpoint, p: &ListParams, r: &Value) -> SortKey {
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
pub(super) fn sort_selection(ep: &Endpoint, p: &ListParams, matched: &mut [(usize, SortKey)]) {
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

pub(super) fn collection(
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
pub(super) fn page(
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
pub(super) fn cursor_meta(
    ep: &Endpoint,
    p: &ListParams,
    host: &str,
    page: &[&Value],
    total: usize,
) -> Value {
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
pub(super) fn offset_meta(ep: &Endpoint, p: &ListParams, host: &str, total: usize) -> Value {
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
pub(super) fn page_text(
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
pub(super) struct View<'a> {
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
