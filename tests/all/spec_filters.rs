//! Every filter the NCM documentation lists, taken from its tables (tests/data/ncm_spec_tables.txt,
//! an excerpt of shared/spec/ncm-api-v2.txt) rather than from the endpoint catalog: the simulator
//! answers each with 200 when asked over plain HTTP, the client accepts each, and both refuse a
//! filter the documentation does not list. A bug the catalog shares with the simulator shows here.

use crate::common::*;
use serde_json::{json, Map, Value};

/// One documented filter: endpoint, field, the field's documented type, and the query key suffix
/// (`""` for `=`, `"__in"`, `"__gt"`...).
struct DocFilter {
    endpoint: String,
    field: String,
    ty: String,
    suffix: String,
}

/// The Filter column's operators as query-key suffixes. The documentation writes `=, __in` for
/// most fields and `_exact=, _gt=` for a few datetime fields; NCM's keys are Django lookups
/// (`started_at__exact`, `started_at__gt`), which the single-underscore form stands for.
fn suffixes(column: &str) -> Option<Vec<String>> {
    let mut out = vec![];
    for token in column.split(',').map(str::trim) {
        let op = token.trim_end_matches('=').trim_start_matches('_');
        match (token, op) {
            ("=", _) => out.push(String::new()),
            (_, "exact" | "in" | "gt" | "gte" | "lt" | "lte" | "isnull")
                if token.starts_with('_') =>
            {
                out.push(format!("__{op}"))
            }
            _ => return None,
        }
    }
    Some(out)
}

fn documented_filters() -> Vec<DocFilter> {
    let text = include_str!("../data/ncm_spec_tables.txt");
    let mut endpoint = String::new();
    let mut out = vec![];
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if let Some(name) = line.strip_prefix("== ") {
            endpoint = name.to_string();
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 3 || cells[0] == "Parameter" || cells[2].is_empty() {
            continue;
        }
        let Some(sufs) = suffixes(cells[2]) else {
            continue; // a description in the Filter column: not filterable
        };
        for suffix in sufs {
            out.push(DocFilter {
                endpoint: endpoint.clone(),
                field: cells[0].to_string(),
                ty: cells[1].to_lowercase(),
                suffix,
            });
        }
    }
    out
}

/// A value of the documented type for the operator (for a field whose description lists its
/// values, the first of them, as the catalog holds it).
fn value_for(f: &DocFilter) -> String {
    if f.suffix == "__isnull" {
        return "true".into();
    }
    let listed = fleetscript::ncm::catalog::endpoint(&f.endpoint)
        .and_then(|e| e.field(&f.field))
        .and_then(|field| field.values.first().copied());
    let one = match f.ty.as_str() {
        _ if listed.is_some() => listed.unwrap_or_default(),
        "datetime" | "timestamp" => "2024-01-01T00:00:00",
        "timeuuid" => "9e4b2f00-c7e5-11ee-8000-0a811c6a0001",
        "boolean" => "true",
        "int" | "url" => "10001",
        _ => "x",
    };
    if f.suffix == "__in" {
        format!("{one},{one}")
    } else {
        one.to_string()
    }
}

/// The filters an endpoint requires besides the one under test (the API refuses a listing
/// without them), with a value.
fn companions(f: &DocFilter) -> Vec<(String, String)> {
    let ep = fleetscript::ncm::catalog::endpoint(&f.endpoint).expect("a documented endpoint");
    ep.required
        .iter()
        .filter(|r| **r != f.field)
        .map(|r| (r.to_string(), "10001".to_string()))
        .collect()
}

fn get(
    sim: &fleetscript::sim::Simulator,
    endpoint: &str,
    pairs: &[(String, String)],
) -> (u16, String) {
    let mut url = url::Url::parse(&format!("{}/{endpoint}/", sim.ncm_base_url())).unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    let r = reqwest::blocking::Client::new()
        .get(url)
        .headers(crate::common::sandbox_headers())
        .send()
        .unwrap();
    (r.status().as_u16(), r.text().unwrap_or_default())
}

#[test]
fn the_tables_name_the_filters_of_most_endpoints() {
    let filters = documented_filters();
    let endpoints: std::collections::BTreeSet<&str> =
        filters.iter().map(|f| f.endpoint.as_str()).collect();
    assert!(filters.len() > 120, "{} filters read", filters.len());
    assert!(endpoints.len() >= 20, "{endpoints:?}");
    assert!(filters
        .iter()
        .any(|f| f.endpoint == "alerts" && f.field == "router" && f.suffix == "__isnull"));
}

#[test]
fn every_documented_filter_is_served_by_the_simulator_and_accepted_by_the_client() {
    let sim = sim(20);
    let rt = runtime_for(&sim);
    let mut failures = vec![];
    for f in documented_filters() {
        let mut pairs = companions(&f);
        pairs.push((format!("{}{}", f.field, f.suffix), value_for(&f)));
        pairs.push(("limit".into(), "1".into()));
        let (status, body) = get(&sim, &f.endpoint, &pairs);
        if status != 200 {
            failures.push(format!(
                "simulator {} {pairs:?}: {status} {body}",
                f.endpoint
            ));
        }
        let q: Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| {
                let v = if k.ends_with("__in") {
                    json!(v.split(',').collect::<Vec<_>>())
                } else {
                    json!(v)
                };
                (k.clone(), v)
            })
            .collect();
        if let Err(e) = rt.ncm().list(&f.endpoint, &q) {
            failures.push(format!("client {} {q:?}: {e}", f.endpoint));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_filter_the_documentation_does_not_list_is_refused_by_both() {
    let sim = sim(5);
    let rt = runtime_for(&sim);
    let mut checked = std::collections::BTreeSet::new();
    for f in documented_filters() {
        if !checked.insert(f.endpoint.clone()) {
            continue;
        }
        let mut pairs = companions(&f);
        pairs.push((format!("{}__regex", f.field), "x".into()));
        let (status, body) = get(&sim, &f.endpoint, &pairs);
        assert_eq!(status, 400, "{} {pairs:?}: {body}", f.endpoint);
        let q: Map<String, Value> = pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        assert!(
            rt.ncm().list(&f.endpoint, &q).is_err(),
            "{} {q:?}",
            f.endpoint
        );
    }
    assert!(checked.len() >= 20);
}

/// Filters with a closed set of values take the spec's values only: anything else is an error
/// naming them and the closest ("did you mean"), before any request, whether the value is written
/// in the call (the lint: exit 2) or computed (the client's check).
#[test]
fn closed_value_sets_are_checked_before_any_request() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    for (src, wants) in [
        (
            r#"ncm::routers::list(#{state: "ofline"})"#,
            r#"did you mean "offline"?; it is one of: initialized, online, offline"#,
        ),
        (
            r#"let s = "ofline"; ncm::routers::list(#{state: s})"#,
            r#"did you mean "offline"?"#,
        ),
        (
            r#"ncm::net_devices::list(#{connection_state: "connected"})"#,
            r#"did you mean "Connected"?"#,
        ),
        (
            r#"let v = ["Connected", "disconected"]; ncm::net_devices::list(#{connection_state__in: v})"#,
            r#"did you mean "Disconnected"?"#,
        ),
        (
            r#"ncm::net_devices::list(#{mode: "WAN"})"#,
            r#"did you mean "wan"?"#,
        ),
        (
            r#"ncm::alerts::list(#{type: "config_rejectd"})"#,
            r#"did you mean "config_rejected"?"#,
        ),
        (
            r#"ncm::products::list(#{device_type: "routre"})"#,
            r#"did you mean "router"?"#,
        ),
        // The same for unknown filter and field names.
        (
            r#"ncm::routers::list(#{stat: "online"})"#,
            r#"unknown filter 'stat'; did you mean "state"?"#,
        ),
        (
            r#"let q = #{fields: ["id", "nmae"]}; ncm::routers::list(q)"#,
            r#"unknown field 'nmae' in fields; did you mean "name"?"#,
        ),
        (
            r#"let q = #{}; q.order_by = "-ID"; ncm::configuration_managers::list(q)"#,
            r#"cannot order by 'ID'; did you mean "id"?"#,
        ),
    ] {
        let e = eval_err(&mut rt, src);
        assert!(e.contains(wants), "{src}: {e}");
    }
    assert_eq!(sim.counters().total, 0, "not one request");
    // The values the spec lists are taken.
    let n = eval(
        &mut rt,
        r#"ncm::routers::list(#{state__in: ["online", "offline", "initialized"]}).len()"#,
    );
    assert_eq!(n.as_int().unwrap(), 5);
}

/// What a new user typed: the mistyped state exits 2, names `offline` and sends nothing.
#[test]
fn a_mistyped_state_exits_2_naming_the_state() {
    let sim = sim(5);
    let o = bin_for(&sim)
        .args(["run", "-e", r#"ncm::routers::list(#{state: "ofline"})"#])
        .output()
        .unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains(r#"did you mean "offline"?"#), "{t}");
    assert_eq!(sim.counters().total, 0, "not one request");
}
