//! Query validation against the endpoint catalog before anything is sent: known fields and
//! operators only ("did you mean" the closest), the values the spec lists for a field, datetimes
//! with their time portion, names where a filter takes an id of a named endpoint (found by the
//! client, see [`names_in`]), `__in` lists split at the API's 100-value cap, and the paging
//! controls (`limit`, `page_size`, `offset`, `fields`, `expand`, `order_by`).

use super::catalog::{did_you_mean, Endpoint, Field, Op, Ty};
use crate::error::{Error, Result};
use serde_json::{Map, Value};

/// A validated query, ready to be turned into one or more first-page URLs.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// One parameter set per request sequence (several when an `__in` list was split).
    pub chunks: Vec<Vec<(String, String)>>,
    /// Total records wanted (`None`: all).
    pub limit: Option<usize>,
    /// Records per page sent as the API's `limit` parameter.
    pub page_size: usize,
    pub offset: Option<usize>,
}

pub const CONTROL_KEYS: &[&str] = &[
    "fields",
    "expand",
    "order_by",
    "limit",
    "page_size",
    "offset",
];

/// Resolves a filter key (`state`, `state__in`, `router.id`, `action__timestamp__gt`) to its
/// field and operator, or explains what the endpoint allows.
pub fn resolve_filter(ep: &Endpoint, key: &str) -> Result<(&'static Field, Op)> {
    let try_key = |k: &str| -> Option<(&'static Field, Op)> {
        // Dotted `router.id` filters on a URL field by the referenced object's id.
        let (base, dotted) = match k.split_once('.') {
            Some((b, "id")) => (b, true),
            Some(_) => return None,
            None => (k, false),
        };
        let f = ep.field(base)?;
        if dotted && f.ty != Ty::Url {
            return None;
        }
        Some((f, Op::Eq))
    };
    let found = if let Some((f, op)) = try_key(key) {
        Some((f, op))
    } else if let Some((name, suffix)) = key.rsplit_once("__") {
        Op::from_suffix(suffix).and_then(|op| try_key(name).map(|(f, _)| (f, op)))
    } else {
        None
    };
    match found {
        Some((f, op)) if f.ops.contains(&op) => Ok((f, op)),
        Some((f, op)) if f.ops.is_empty() => Err(Error::invalid(format!(
            "{}: '{}' cannot be filtered on{}. Filters {} allows: {}",
            ep.name,
            f.name,
            if op == Op::Eq {
                ""
            } else {
                " with any operator"
            },
            ep.name,
            allowed_list(ep)
        ))),
        Some((f, op)) => Err(Error::invalid(format!(
            "{}: '{}' does not support the {} operator (it allows {}). Filters {} allows: {}",
            ep.name,
            f.name,
            op.label(),
            f.ops
                .iter()
                .map(|o| o.label())
                .collect::<Vec<_>>()
                .join(" "),
            ep.name,
            allowed_list(ep)
        ))),
        None => {
            let keys = ep.filter_keys();
            let hint = did_you_mean(
                key,
                keys.iter()
                    .map(String::as_str)
                    .chain(CONTROL_KEYS.iter().copied()),
            );
            Err(Error::invalid(format!(
                "{}: unknown filter '{}'{hint}. Filters {} allows: {}{}",
                ep.name,
                key,
                ep.name,
                allowed_list(ep),
                "; controls: fields, expand, order_by, limit, page_size, offset"
            )))
        }
    }
}

/// The endpoint whose records a filter on `f` may name instead of giving an id (the field refers
/// to an endpoint whose records have names).
pub fn takes_names(f: &Field) -> Option<&'static Endpoint> {
    f.refers
        .and_then(super::endpoint)
        .filter(|e| !e.named_by.is_empty())
}

/// Is `text`, given where an id of a named endpoint goes, a name rather than an id (an integer)
/// or a resource URL? Anything path-like (a slash, a backslash, a percent-escape, `..`) is taken
/// as an id, whose check refuses what would leave its endpoint, before any lookup.
pub fn is_name(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && !t.bytes().all(|b| b.is_ascii_digit())
        && !t.contains(['/', '\\', '%'])
        && !t.contains("..")
}

/// The filters of a checked `query` that name records instead of giving their ids: the key, the
/// endpoint named, and the values (ids among them stay as they are). The client turns each name
/// into its id (see [`super::NcmClient::id_named`]) before the query is sent.
pub fn names_in(ep: &Endpoint, query: &Map<String, Value>) -> Vec<(String, &'static Endpoint)> {
    query
        .iter()
        .filter(|(k, _)| !CONTROL_KEYS.contains(&k.as_str()))
        .filter_map(|(key, value)| {
            let (field, op) = resolve_filter(ep, key).ok()?;
            let named = takes_names(field).filter(|_| matches!(op, Op::Eq | Op::In))?;
            let any_name = list_of(value)
                .unwrap_or_default()
                .iter()
                .any(|t| is_name(t));
            any_name.then(|| (key.clone(), named))
        })
        .collect()
}

/// `value` with every name in it replaced by `id(name)` (a list stays a list).
pub fn with_ids(value: &Value, id: &mut dyn FnMut(&str) -> Result<String>) -> Result<Value> {
    let one = |t: &str, id: &mut dyn FnMut(&str) -> Result<String>| -> Result<Value> {
        Ok(if is_name(t) {
            Value::String(id(t.trim())?)
        } else {
            Value::String(t.to_string())
        })
    };
    match value {
        Value::Array(a) => a
            .iter()
            .map(|v| match scalar_text(v) {
                Some(t) => one(&t, id),
                None => Ok(v.clone()),
            })
            .collect::<Result<Vec<_>>>()
            .map(Value::Array),
        Value::String(s) if s.contains(',') => list_of(value)
            .unwrap_or_default()
            .iter()
            .map(|t| one(t, id))
            .collect::<Result<Vec<_>>>()
            .map(Value::Array),
        other => match scalar_text(other) {
            Some(t) => one(&t, id),
            None => Ok(other.clone()),
        },
    }
}

fn allowed_list(ep: &Endpoint) -> String {
    let keys = ep.filter_keys();
    if keys.is_empty() {
        "(none)".into()
    } else {
        keys.join(", ")
    }
}

/// Converts a scalar to the text the API expects.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Does the text look like a datetime with a time portion (`YYYY-MM-DDTHH:MM...`)?
pub fn has_time_portion(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 16
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[11..13].iter().all(u8::is_ascii_digit)
        && b[13] == b':'
}

fn check_value(ep: &Endpoint, key: &str, f: &Field, op: Op, text: &str) -> Result<String> {
    if !f.values.is_empty() && op != Op::IsNull && !f.values.contains(&text) {
        return Err(Error::invalid(format!(
            "{}: {key} = {text:?} is not a value the API documents for {}{}; it is one of: {}",
            ep.name,
            f.name,
            did_you_mean(text, f.values.iter().copied()),
            f.values.join(", ")
        )));
    }
    // A name where an id of a named endpoint goes: the client finds its id before sending.
    if matches!(op, Op::Eq | Op::In) && takes_names(f).is_some() && is_name(text) {
        return Ok(text.trim().to_string());
    }
    match (f.ty, op) {
        (_, Op::IsNull) => match text {
            "true" | "false" => Ok(text.into()),
            _ => Err(Error::invalid(format!(
                "{}: {key} takes true or false, not {text:?}",
                ep.name
            ))),
        },
        (Ty::Timestamp, _) => {
            if has_time_portion(text) {
                Ok(text.into())
            } else {
                let date = text.get(..10).unwrap_or(text);
                Err(Error::invalid(format!(
                    "{}: {key} = {text:?} has no time portion; NCM needs a datetime such as \"{date}T00:00:00\" (use time::ago(#{{days: 1}}) or time::now())",
                    ep.name
                )))
            }
        }
        (Ty::TimeUuid, _) => {
            // A UUID, or the 24-hex-digit id form the router_logs example shows
            // ("created_at_timeuuid":"5603d1d2be3c87573aa6e613").
            let hex24 = text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit());
            if uuid::Uuid::parse_str(text).is_ok() || hex24 {
                Ok(text.into())
            } else {
                Err(Error::invalid(format!(
                    "{}: {key} = {text:?} is not a timeuuid (take one from a record's created_at_timeuuid)",
                    ep.name
                )))
            }
        }
        (Ty::Bool, _) => match text.to_ascii_lowercase().as_str() {
            "true" | "false" => Ok(text.to_ascii_lowercase()),
            _ => Err(Error::invalid(format!(
                "{}: {key} takes true or false, not {text:?}",
                ep.name
            ))),
        },
        (Ty::Int, _) => {
            if text.parse::<i64>().is_ok() {
                Ok(text.into())
            } else {
                Err(Error::invalid(format!(
                    "{}: {key} takes an integer, not {text:?}",
                    ep.name
                )))
            }
        }
        // URL-valued fields filter by the referenced object's id; a full URL is reduced to it.
        (Ty::Url, _) => super::checked_id(None, text).map_err(|_| {
            Error::invalid(format!(
                "{}: {key} = {text:?} is not an id or a resource URL",
                ep.name
            ))
        }),
        _ => Ok(text.into()),
    }
}

fn list_of(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Array(a) => a.iter().map(scalar_text).collect(),
        Value::String(s) => Some(
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
        ),
        other => scalar_text(other).map(|s| vec![s]),
    }
}

fn usize_of(ep: &Endpoint, key: &str, v: &Value) -> Result<usize> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(Error::invalid(format!(
            "{}: {key} takes a non-negative integer, not {v}",
            ep.name
        ))),
    }
}

/// A collection query as it is checked: the pairs sent as they are, the `__in` lists (split
/// later), the paging controls and the fields filtered on.
#[derive(Default)]
struct Checked {
    base: Vec<(String, String)>,
    in_lists: Vec<(String, Vec<String>)>,
    limit: Option<usize>,
    page_size: Option<usize>,
    offset: Option<usize>,
    seen_fields: Vec<&'static str>,
}

/// Validates `query` for a collection GET on `ep`.
pub fn prepare(ep: &Endpoint, query: &Map<String, Value>) -> Result<Prepared> {
    let mut q = Checked::default();
    for (key, value) in query {
        if !control(ep, key, value, &mut q)? {
            filter(ep, key, value, &mut q)?;
        }
    }
    required_filters(ep, &q.seen_fields)?;
    let chunks = split_in_lists(ep, q.base, q.in_lists);
    let page_size = q.page_size.unwrap_or(match q.limit {
        Some(l) if l <= ep.max_page => l,
        _ => ep.max_page,
    });
    Ok(Prepared {
        chunks,
        limit: q.limit,
        page_size,
        offset: q.offset,
    })
}

/// A control key (`limit`, `page_size`, `offset`, `fields`, `expand`, `order_by`) checked into
/// `q`; false when `key` is not one (a filter).
fn control(ep: &Endpoint, key: &str, value: &Value, q: &mut Checked) -> Result<bool> {
    match key {
        "limit" => {
            let n = usize_of(ep, key, value)?;
            if n == 0 {
                return Err(Error::invalid(format!(
                    "{}: limit must be at least 1 (leave it out to get every record)",
                    ep.name
                )));
            }
            q.limit = Some(n);
        }
        "page_size" => {
            let n = usize_of(ep, key, value)?;
            if n == 0 || n > ep.max_page {
                return Err(Error::invalid(format!(
                    "{}: page_size must be between 1 and {} (the API maximum)",
                    ep.name, ep.max_page
                )));
            }
            q.page_size = Some(n);
        }
        "offset" => {
            if ep.paging.is_timeuuid() {
                return Err(Error::invalid(format!(
                    "{}: pages by created_at_timeuuid, not offset; filter with created_at_timeuuid__gt/__lt instead",
                    ep.name
                )));
            }
            q.offset = Some(usize_of(ep, key, value)?);
        }
        "fields" | "expand" => {
            let items = field_list(ep, key, value)?;
            if !items.is_empty() {
                q.base.push((key.to_string(), items.join(",")));
            }
        }
        "order_by" => {
            let text = order_by(ep, value)?;
            q.base.push((key.to_string(), text));
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// `fields` or `expand`: known fields (and expandable ones for `expand`).
fn field_list(ep: &Endpoint, key: &str, value: &Value) -> Result<Vec<String>> {
    let items = list_of(value).ok_or_else(|| {
        Error::invalid(format!(
            "{}: {key} takes a list of field names or a comma-separated string",
            ep.name
        ))
    })?;
    for item in &items {
        let top = item.split('.').next().unwrap_or_default();
        let field = ep.field(top).ok_or_else(|| {
            Error::invalid(format!(
                "{}: unknown field '{item}' in {key}{}; {} has: {}",
                ep.name,
                did_you_mean(top, ep.fields.iter().map(|f| f.name)),
                ep.name,
                ep.fields
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if key == "expand" && !field.expandable {
            let ex = ep.expandable();
            return Err(Error::invalid(format!(
                "{}: '{item}' cannot be expanded; expandable fields: {}",
                ep.name,
                if ex.is_empty() {
                    "(none)".into()
                } else {
                    ex.join(", ")
                }
            )));
        }
    }
    Ok(items)
}

/// `order_by`: a sortable field, `-` for descending.
fn order_by(ep: &Endpoint, value: &Value) -> Result<String> {
    let text = scalar_text(value).unwrap_or_default();
    let name = text.trim_start_matches('-');
    let sortable = ep.sortable();
    if !sortable.contains(&name) {
        return Err(Error::invalid(format!(
            "{}: cannot order by '{name}'{}; {}",
            ep.name,
            did_you_mean(name, sortable.iter().copied()),
            if sortable.is_empty() {
                format!(
                    "{} has no sortable field (the spec's Sort column marks none)",
                    ep.name
                )
            } else {
                format!(
                    "sortable: {} (prefix - for descending)",
                    sortable.join(", ")
                )
            }
        )));
    }
    Ok(text)
}

/// A filter (`field`, `field__op`): known, of the right type; `__in` lists kept for splitting.
fn filter(ep: &Endpoint, key: &str, value: &Value, q: &mut Checked) -> Result<()> {
    let (field, op) = resolve_filter(ep, key)?;
    q.seen_fields.push(field.name);
    if op == Op::In {
        let items = list_of(value)
            .ok_or_else(|| Error::invalid(format!("{}: {key} takes a list of values", ep.name)))?;
        if items.is_empty() {
            return Err(Error::invalid(format!(
                "{}: {key} is an empty list; it would match nothing",
                ep.name
            )));
        }
        let items = items
            .iter()
            .map(|t| check_value(ep, key, field, op, t))
            .collect::<Result<Vec<_>>>()?;
        q.in_lists.push((key.to_string(), items));
    } else {
        let text = scalar_text(value).ok_or_else(|| {
            Error::invalid(format!(
                "{}: {key} takes a single value, not {value}",
                ep.name
            ))
        })?;
        q.base
            .push((key.to_string(), check_value(ep, key, field, op, &text)?));
    }
    Ok(())
}

/// Checks one key of a query map and its value as written (`fleetscript check` and the lint
/// before a run: a literal map at the call), without a request. A name where an id goes passes:
/// it is found when the query is sent.
pub fn check_literal(ep: &Endpoint, key: &str, value: &Value) -> Result<()> {
    let mut q = Checked::default();
    if !control(ep, key, value, &mut q)? {
        filter(ep, key, value, &mut q)?;
    }
    Ok(())
}

/// The filters the API requires on this endpoint.
fn required_filters(ep: &Endpoint, seen: &[&'static str]) -> Result<()> {
    for req in ep.required {
        if !seen.contains(req) {
            return Err(Error::invalid(format!(
                "{}: the API requires a '{req}' filter, e.g. ncm::{}::list(#{{{req}: 42}})",
                ep.name, ep.name
            )));
        }
    }

    Ok(())
}

/// Splits each over-long `__in` list into chunks; several lists make a cross product.
fn split_in_lists(
    ep: &Endpoint,
    base: Vec<(String, String)>,
    in_lists: Vec<(String, Vec<String>)>,
) -> Vec<Vec<(String, String)>> {
    let mut chunks = vec![base];
    for (key, items) in in_lists {
        let parts: Vec<Vec<String>> = match ep.in_cap {
            Some(cap) => items.chunks(cap).map(|c| c.to_vec()).collect(),
            None => vec![items],
        };
        chunks = chunks
            .iter()
            .flat_map(|c| {
                let key = &key;
                parts.iter().map(move |p| {
                    let mut c = c.clone();
                    c.push((key.clone(), p.join(",")));
                    c
                })
            })
            .collect();
    }

    chunks
}

/// Validates the query of a single-object GET (`fields` and `expand` only).
pub fn prepare_detail(ep: &Endpoint, query: &Map<String, Value>) -> Result<Vec<(String, String)>> {
    for k in query.keys() {
        if k != "fields" && k != "expand" {
            return Err(Error::invalid(format!(
                "{}: get(id, query) takes only fields and expand, not '{k}'",
                ep.name
            )));
        }
    }
    let p = prepare(ep, query)?;
    Ok(p.chunks.into_iter().next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ncm::catalog::endpoint;
    use serde_json::json;

    fn q(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn unknown_filter_names_allowed_ones() {
        let ep = endpoint("routers").unwrap();
        let e = prepare(ep, &q(json!({"colour": "red"})))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown filter 'colour'"), "{e}");
        assert!(e.contains("state__in"), "{e}");
        let e = prepare(ep, &q(json!({"state__gt": "x"})))
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not support the __gt operator"), "{e}");
        let e = prepare(ep, &q(json!({"serial_number": "x"})))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be filtered"), "{e}");
    }

    #[test]
    fn in_lists_split_at_100() {
        let ep = endpoint("routers").unwrap();
        let ids: Vec<i64> = (1..=250).collect();
        let p = prepare(ep, &q(json!({"id__in": ids}))).unwrap();
        assert_eq!(p.chunks.len(), 3);
        assert_eq!(p.chunks[2][0].1.split(',').count(), 50);
        let alerts = endpoint("alerts").unwrap();
        let p = prepare(
            alerts,
            &q(json!({"router__in": (1..=250).collect::<Vec<_>>()})),
        )
        .unwrap();
        assert_eq!(p.chunks.len(), 1, "alerts has no __in cap");
    }

    #[test]
    fn datetimes_need_time() {
        let ep = endpoint("routers").unwrap();
        let e = prepare(ep, &q(json!({"state_updated_at__lt": "2024-01-01"})))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no time portion") && e.contains("2024-01-01T00:00:00"),
            "{e}"
        );
        assert!(prepare(
            ep,
            &q(json!({"state_updated_at__lt": "2024-01-01T00:00:00"}))
        )
        .is_ok());
    }

    #[test]
    fn dotted_and_double_underscore_fields() {
        let cm = endpoint("configuration_managers").unwrap();
        let p = prepare(
            cm,
            &q(json!({"router.id": 5, "fields": ["id", "router.id"]})),
        )
        .unwrap();
        assert!(p.chunks[0].contains(&("router.id".into(), "5".into())));
        let al = endpoint("activity_logs").unwrap();
        assert!(prepare(
            al,
            &q(json!({"action__timestamp__gt": "2024-01-01T00:00:00", "action__id": "x"}))
        )
        .is_ok());
        let r = endpoint("routers").unwrap();
        let p = prepare(r, &q(json!({"group": "https://x/api/v2/groups/77/"}))).unwrap();
        assert_eq!(p.chunks[0], vec![("group".to_string(), "77".to_string())]);
    }

    #[test]
    fn limit_page_size_and_required() {
        let r = endpoint("routers").unwrap();
        assert_eq!(prepare(r, &q(json!({}))).unwrap().page_size, 500);
        assert_eq!(prepare(r, &q(json!({"limit": 7}))).unwrap().page_size, 7);
        assert_eq!(
            prepare(r, &q(json!({"limit": 7000}))).unwrap().page_size,
            500
        );
        assert!(prepare(r, &q(json!({"page_size": 501}))).is_err());
        let h = endpoint("historical_locations").unwrap();
        assert!(prepare(h, &q(json!({})))
            .unwrap_err()
            .to_string()
            .contains("requires a 'router'"));
        let s = endpoint("router_state_samples").unwrap();
        assert!(prepare(s, &q(json!({"offset": 5}))).is_err());
        assert!(prepare(r, &q(json!({"expand": "product"}))).is_err());
        assert!(prepare(r, &q(json!({"expand": "group"}))).is_ok());
    }
}
