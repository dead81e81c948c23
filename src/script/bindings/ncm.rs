//! The `ncm::` Rhai module: `ncm::<endpoint>::<verb>` for every endpoint and verb of the catalog
//! (registered in one loop from the catalog through `verb_fn`, each with a generated doc
//! comment), plus `ncm::reboot_router`, `ncm::reboot_group`, `ncm::router`, `ncm::group`,
//! `ncm::lists` and `ncm::stats`; it assembles the `ncm` module from the helpers of
//! `ncm_records.rs`, `ncm_config.rs`, `ncm_bulk.rs` and `ncm_backup.rs`.

use super::{call, err_at, id_arg, rhai_error, state, usage_error, RhaiResult, ScriptContext};
use crate::ncm::catalog::{Endpoint, Field, Op, Verb, ENDPOINTS};
use crate::ncm::names::Kind;
use crate::ncm::paging::ReadAhead;
use crate::script::convert::{json_into_dynamic, map_to_json};
use rhai::{Array, Dynamic, FuncRegistration, Map, Module, NativeCallContext, Position};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// The page iterator returned by `ncm::<endpoint>::pages(query)`; use it in a `for` loop. The
/// pages are read ahead from the moment `pages()` is called, so two listings started one after
/// the other are read at the same time.
#[derive(Clone)]
pub struct PageIter {
    pager: Arc<Mutex<Option<ReadAhead<Dynamic>>>>,
    ctx: Arc<ScriptContext>,
}

impl IntoIterator for PageIter {
    type Item = RhaiResult<Dynamic>;
    type IntoIter = Box<dyn Iterator<Item = RhaiResult<Dynamic>> + Send + Sync>;
    fn into_iter(self) -> Self::IntoIter {
        let pager = self.pager.lock().unwrap_or_else(|e| e.into_inner()).take();
        let ctx = self.ctx.clone();
        match pager {
            Some(p) => Box::new(
                p.map(move |r| r.map_err(|e| rhai_error(Position::NONE, e, &ctx.redactor))),
            ),
            None => Box::new(std::iter::once(Err(usage_error(
                Position::NONE,
                "this pages() iterator was already used; call pages() again",
            )))),
        }
    }
}

/// The filter a generated example passes (`key: value, `), with the lines that find its value
/// first: a filter the API requires, else a sample one (a state, a name, a record it points at),
/// each with a value the account has, so the example runs as written.
fn example_filter(ep: &Endpoint) -> (Vec<String>, String) {
    let preferred = ["state", "router", "name"];
    let exact = |f: &&Field| f.ops.contains(&Op::Eq);
    let f = ep
        .required
        .iter()
        .filter_map(|n| ep.field(n))
        .chain(preferred.iter().filter_map(|n| ep.field(n)))
        .find(exact)
        .or_else(|| ep.fields.iter().filter(|f| f.refers.is_some()).find(exact));
    match f {
        Some(f) if !f.values.is_empty() => (vec![], format!("{}: \"{}\", ", f.name, f.values[0])),
        Some(f) if f.name == "name" => (vec![], "name: \"store-12\", ".into()),
        Some(f) if f.refers.is_some() => {
            let to = f.refers.unwrap_or_default();
            let line = format!("let {} = ncm::{to}::list(#{{limit: 1}})[0].id;", f.name);
            (vec![line], format!("{0}: {0}, ", f.name))
        }
        _ => (vec![], String::new()),
    }
}

/// The line that finds a real record of `ep` for a get, update, patch or delete example.
fn example_id(ep: &Endpoint) -> Vec<String> {
    let (mut lines, filter) = example_filter(ep);
    let filter = if ep.required.is_empty() {
        String::new()
    } else {
        filter
    };
    lines.push(format!(
        "let id = ncm::{}::list(#{{{filter}limit: 1}})[0].id;",
        ep.name
    ));
    lines
}

/// A catalog example body (a JSON object) as the inside of a Rhai map literal:
/// `configuration: [#{system: #{gps: #{enabled: true}}}, []]`.
fn map_fields(body: &str) -> String {
    match serde_json::from_str(body) {
        Ok(Value::Object(m)) => fields_literal(&m),
        _ => String::new(),
    }
}

fn fields_literal(m: &serde_json::Map<String, Value>) -> String {
    let fields: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{k}: {}", rhai_literal(v)))
        .collect();
    fields.join(", ")
}

/// A JSON value as Rhai source: objects as `#{...}`, null as `()`.
fn rhai_literal(v: &Value) -> String {
    match v {
        Value::Object(m) => format!("#{{{}}}", fields_literal(m)),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(rhai_literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Null => "()".into(),
        other => other.to_string(),
    }
}

/// A create example: the catalog's sample body, or every required field with a value.
fn create_example(ep: &Endpoint) -> Vec<String> {
    let n = ep.name;
    if let Some(body) = ep.example_body {
        let (mut lines, body) = with_records_found(ep, body);
        lines.push(format!("let created = ncm::{n}::create(#{{ {body} }});"));
        return lines;
    }
    let (mut lines, fields) = body_example(ep, ep.create_requires);
    lines.push(format!("let created = ncm::{n}::create(#{{ {fields} }});"));
    lines
}

/// An update example (after the line that finds `id`): the catalog's sample body, or the
/// fields a PUT requires (a new `name`), each with a value.
fn update_example(ep: &Endpoint) -> Vec<String> {
    let n = ep.name;
    let mut lines = example_id(ep);
    let fields = match ep.example_body {
        Some(body) => map_fields(body),
        None if ep.update_requires.is_empty() => "name: \"new name\"".into(),
        None => {
            let (setup, fields) = body_example(ep, ep.update_requires);
            lines.extend(setup);
            fields
        }
    };
    lines.push(format!("ncm::{n}::update(id, #{{ {fields} }});"));
    lines
}

/// The fields `names` of a write body with a value each (`id` the record's, a new `name`, a
/// record a field points at found first, by its URL), and the lines that find them.
fn body_example(ep: &Endpoint, names: &[&str]) -> (Vec<String>, String) {
    let mut lines = vec![];
    let fields: Vec<String> = names
        .iter()
        .map(|name| {
            let value = match ep.field(name) {
                _ if *name == "id" => "id".to_string(),
                _ if *name == "name" => "\"new name\"".to_string(),
                Some(f) if f.refers.is_some() => {
                    let to = f.refers.unwrap_or_default();
                    lines.push(format!(
                        "let {name} = ncm::{to}::list(#{{limit: 1}})[0].resource_url;"
                    ));
                    name.to_string()
                }
                Some(f) => sample_value(f),
                None => "\"example\"".into(),
            };
            format!("{name}: {value}")
        })
        .collect();
    (lines, fields.join(", "))
}

/// A sample body's fields as Rhai, each top-level record URL of it (a reboot's `router`)
/// replaced by a record of the account found first (the catalog's sample points at no real one).
fn with_records_found(ep: &Endpoint, body: &str) -> (Vec<String>, String) {
    let Ok(Value::Object(m)) = serde_json::from_str::<Value>(body) else {
        return (vec![], String::new());
    };
    let mut lines = vec![];
    let fields: Vec<String> = m
        .iter()
        .map(|(k, v)| match (ep.field(k).and_then(|f| f.refers), v) {
            (Some(to), Value::String(_)) => {
                lines.push(format!(
                    "let {k} = ncm::{to}::list(#{{limit: 1}})[0].resource_url;"
                ));
                format!("{k}: {k}")
            }
            _ => format!("{k}: {}", rhai_literal(v)),
        })
        .collect();
    (lines, fields.join(", "))
}

/// A value of a field's kind, as Rhai source.
fn sample_value(f: &Field) -> String {
    use crate::ncm::catalog::Ty;
    match f.ty {
        _ if !f.values.is_empty() => format!("\"{}\"", f.values[0]),
        Ty::Int => "1".into(),
        Ty::Float => "1.5".into(),
        Ty::Bool => "true".into(),
        Ty::Timestamp => "\"2026-01-01T00:00:00+00:00\"".into(),
        Ty::Json => "#{}".into(),
        _ => format!("\"example {}\"", f.name),
    }
}

/// The doc comment of one generated function.
pub fn verb_doc(ep: &Endpoint, verb: Verb, with_query: bool) -> String {
    let n = ep.name;
    let filters = ep.filter_keys();
    let filters = if filters.is_empty() {
        "none".to_string()
    } else {
        filters.join(", ")
    };
    let (setup, ex) = example_filter(ep);
    let with_setup = |line: String| [setup.clone(), vec![line]].concat();
    let with_id = |line: String| [example_id(ep), vec![line]].concat();
    let (summary, example) = match verb {
        Verb::List => (
            if with_query {
                format!("Every `{n}` record matching `query`, across all pages (GET /{n}/).\n/// `query` holds filters ({filters}) and controls: fields, expand, order_by, limit (total wanted), page_size, offset.\n/// A failure on any page is an error, never a partial list.")
            } else {
                format!("Every `{n}` record, across all pages (GET /{n}/). {}", ep.summary)
            },
            with_setup(if with_query || !ep.required.is_empty() { format!("let rows = ncm::{n}::list(#{{{ex}limit: 100}});") } else { format!("let rows = ncm::{n}::list();") }),
        ),
        Verb::Pages => (
            format!("Pages of `{n}` records, fetched lazily one page at a time (constant memory).\n/// Takes the same query as `list`."),
            with_setup(format!("for page in ncm::{n}::pages(#{{{ex}page_size: 500}}) {{ print(page.len()); }}")),
        ),
        Verb::Get => (
            if with_query {
                format!("One `{n}` object by id (GET /{n}/<id>/); `query` may hold fields and expand.")
            } else {
                format!("One `{n}` object by id (GET /{n}/<id>/). The id may be an integer, a string or a resource URL.")
            },
            with_id(if with_query { format!("let obj = ncm::{n}::get(id, #{{fields: [\"id\"]}});") } else { format!("let obj = ncm::{n}::get(id);") }),
        ),
        Verb::Create => (
            format!("Creates a `{n}` object (POST /{n}/) and returns what the API answered.{}\n/// Never retried automatically; printed, not sent, under --dry-run.",
                if ep.create_requires.is_empty() { String::new() } else { format!(" Required fields: {}.", ep.create_requires.join(", ")) }),
            create_example(ep),
        ),
        Verb::Update => (
            format!("Replaces fields of a `{n}` object (PUT /{n}/<id>/). Writable: {}.{} Printed, not sent, under --dry-run.",
                ep.writable().join(", "),
                if ep.update_requires.is_empty() { String::new() } else {
                    format!(" Required: {}{}.", ep.update_requires.join(", "),
                        if ep.holds_configs { " (unless the body is the configuration alone)" } else { "" })
                }),
            update_example(ep),
        ),
        Verb::Patch => (
            format!("Merges changes into a `{n}` object (PATCH /{n}/<id>/); cannot remove. Returns the answer, or () when there is none."),
            with_id(format!("ncm::{n}::patch(id, #{{configuration: [#{{system: #{{logging: #{{level: \"debug\"}}}}}}, []]}});")),
        ),
        Verb::Delete => (
            format!("Deletes a `{n}` object (DELETE /{n}/<id>/). Printed, not sent, under --dry-run."),
            with_id(format!("ncm::{n}::delete(id);")),
        ),
    };
    format!(
        "/// {summary}\n///\n/// ```rhai\n/// {}\n/// ```",
        example.join("\n/// ")
    )
}

/// The registration of one generated function of an endpoint: the verb's name, and its doc
/// comment and script types from the catalog. Every endpoint function is registered through it.
fn verb_fn(ep: &Endpoint, verb: Verb, with_query: bool, params: &[&str]) -> FuncRegistration {
    FuncRegistration::new(verb.name())
        .with_comments([verb_doc(ep, verb, with_query)])
        .with_params_info(params)
}

/// `ncm::<endpoint>::*`: the endpoint's verbs, each a call of the client with the run's state
/// (the module holds none, so it is built once).
fn endpoint_module(ep: &'static Endpoint) -> Module {
    let mut m = Module::new();
    m.set_doc(format!("/// {}", ep.summary));
    let (n, m_) = (ep.name, &mut m);
    for verb in ep.verbs() {
        match verb {
            Verb::List => {
                verb_fn(ep, verb, false, &["Array"])
                    .set_into_module(m_, move |cx: NativeCallContext| list(&cx, n, Map::new()));
                verb_fn(ep, verb, true, &["query: Map", "Array"])
                    .set_into_module(m_, move |cx: NativeCallContext, q: Map| list(&cx, n, q));
            }
            Verb::Pages => {
                verb_fn(ep, verb, false, &["Pages"])
                    .set_into_module(m_, move |cx: NativeCallContext| pages(&cx, n, Map::new()));
                verb_fn(ep, verb, true, &["query: Map", "Pages"])
                    .set_into_module(m_, move |cx: NativeCallContext, q: Map| pages(&cx, n, q));
            }
            Verb::Get => {
                verb_fn(ep, verb, false, &["id: int|string", "Map"])
                    .set_into_module(m_, move |cx: NativeCallContext, id: Dynamic| {
                        get(&cx, n, id, Map::new())
                    });
                verb_fn(ep, verb, true, &["id: int|string", "query: Map", "Map"])
                    .set_into_module(m_, move |cx: NativeCallContext, id: Dynamic, q: Map| {
                        get(&cx, n, id, q)
                    });
            }
            Verb::Create => {
                verb_fn(ep, verb, true, &["body: Map", "Map"])
                    .set_into_module(m_, move |cx: NativeCallContext, b: Map| create(&cx, n, b));
            }
            Verb::Update | Verb::Patch => {
                verb_fn(ep, verb, true, &["id: int|string", "body: Map", "Map"])
                    .set_into_module(m_, move |cx: NativeCallContext, id: Dynamic, b: Map| {
                        write(&cx, n, verb, id, b)
                    });
            }
            Verb::Delete => {
                verb_fn(ep, verb, true, &["id: int|string", "()"])
                    .set_into_module(m_, move |cx: NativeCallContext, id: Dynamic| {
                        delete(&cx, n, id)
                    });
            }
        }
    }
    m
}

/// `list`: every record matching the query, across all pages.
fn list(cx: &NativeCallContext, endpoint: &str, q: Map) -> RhaiResult<Array> {
    let c = state(cx)?;
    c.ncm
        .list_of::<Dynamic>(endpoint, &map_to_json(&q))
        .map_err(err_at(&c, cx.call_position()))
}

/// `pages`: the pages, read ahead from now on.
fn pages(cx: &NativeCallContext, endpoint: &str, q: Map) -> RhaiResult<PageIter> {
    let c = state(cx)?;
    let p = c
        .ncm
        .read_ahead(endpoint, &map_to_json(&q), Dynamic::from_array)
        .map_err(err_at(&c, cx.call_position()))?;
    Ok(PageIter {
        pager: Arc::new(Mutex::new(Some(p))),
        ctx: Arc::clone(&c),
    })
}

/// `get`: one object by id.
fn get(cx: &NativeCallContext, endpoint: &str, id: Dynamic, q: Map) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let id = id_arg(pos, &id)?;
    c.ncm
        .get(endpoint, &id, &map_to_json(&q))
        .map(json_into_dynamic)
        .map_err(err_at(&c, pos))
}

/// `create`: POST of a new object.
fn create(cx: &NativeCallContext, endpoint: &str, body: Map) -> RhaiResult<Dynamic> {
    let c = state(cx)?;
    c.ncm
        .create(endpoint, &Value::Object(map_to_json(&body)))
        .map(json_into_dynamic)
        .map_err(err_at(&c, cx.call_position()))
}

/// `update` (PUT) or `patch` (PATCH) of an object by id.
fn write(
    cx: &NativeCallContext,
    endpoint: &str,
    verb: Verb,
    id: Dynamic,
    body: Map,
) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let id = id_arg(pos, &id)?;
    let body = Value::Object(map_to_json(&body));
    let r = if verb == Verb::Update {
        c.ncm.update(endpoint, &id, &body)
    } else {
        c.ncm.patch(endpoint, &id, &body)
    };
    r.map(json_into_dynamic).map_err(err_at(&c, pos))
}

/// `delete` of an object by id, confirmed first when typed at the prompt.
fn delete(cx: &NativeCallContext, endpoint: &str, id: Dynamic) -> RhaiResult<()> {
    let (c, pos) = call(cx)?;
    let id = id_arg(pos, &id)?;
    super::confirmed(&c, pos, &format!("DELETE {endpoint}/{id}"))?;
    c.ncm.delete(endpoint, &id).map_err(err_at(&c, pos))
}

/// `ncm::request`'s options: query parameters and a JSON body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestOptions {
    query: Option<Dynamic>,
    body: Option<Value>,
}

/// `ncm::request`: the method and options checked (a DELETE typed at the prompt asks first),
/// then the client's raw request.
fn raw_request(
    cx: &NativeCallContext,
    method: &str,
    path: &str,
    options: Map,
) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let m = crate::http::Method::parse(method).ok_or_else(|| {
        usage_error(
            pos,
            format!("unknown HTTP method {method:?}: use GET, POST, PUT, PATCH or DELETE"),
        )
    })?;
    let o: RequestOptions = super::options(pos, "ncm::request", "options: query, body", options)?;
    let query = o
        .query
        .map(|q| query_pairs(pos, q))
        .transpose()?
        .unwrap_or_default();
    let body = o.body;
    if m == crate::http::Method::Delete {
        super::confirmed(&c, pos, &format!("DELETE {path} on NCM"))?;
    }
    c.ncm
        .request(m, path, &query, body.as_ref())
        .map(json_into_dynamic)
        .map_err(err_at(&c, pos))
}

/// A query map as pairs: text as it is, numbers and flags as text, a list comma-separated.
fn query_pairs(pos: Position, q: Dynamic) -> RhaiResult<Vec<(String, String)>> {
    let Some(q) = q.try_cast::<Map>() else {
        return Err(usage_error(pos, "ncm::request: query must be a map"));
    };
    let text = |v: &Dynamic| -> RhaiResult<String> {
        if v.is_map() || v.is_unit() {
            return Err(usage_error(
                pos,
                format!("ncm::request: a query value is text, a number, a flag or a list of them, not {}", v.type_name()),
            ));
        }
        Ok(v.to_string())
    };
    let mut out = vec![];
    for (k, v) in q {
        let value = match v.clone().try_cast::<Array>() {
            Some(items) => items
                .iter()
                .map(text)
                .collect::<RhaiResult<Vec<_>>>()?
                .join(","),
            None => text(&v)?,
        };
        out.push((k.to_string(), value));
    }
    Ok(out)
}

/// `ncm::lists`: several listings read at the same time; the first error is the call's.
fn lists(cx: &NativeCallContext, queries: Map) -> RhaiResult<Map> {
    let (c, pos) = call(cx)?;
    let mut jobs = vec![];
    for (name, q) in queries {
        let Some(q) = q.try_cast::<Map>() else {
            return Err(usage_error(
                pos,
                format!("ncm::lists: the query of {name} must be a map"),
            ));
        };
        if crate::ncm::endpoint(name.as_str()).is_none() {
            return Err(usage_error(
                pos,
                format!(
                    "ncm::lists: {name} is not an NCM endpoint (fleetscript endpoints lists them)"
                ),
            ));
        }
        jobs.push((name.to_string(), map_to_json(&q)));
    }
    let results: Vec<(String, crate::error::Result<Vec<Dynamic>>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(name, q)| {
                (
                    name.clone(),
                    scope.spawn(|| c.ncm.list_of::<Dynamic>(name, q)),
                )
            })
            .collect();
        handles
            .into_iter()
            .map(|(n, h)| {
                (
                    n,
                    h.join().unwrap_or_else(|_| {
                        Err(crate::error::Error::invalid(
                            "a listing stopped unexpectedly",
                        ))
                    }),
                )
            })
            .collect()
    });
    let mut out = Map::new();
    for (name, r) in results {
        let rows = r.map_err(err_at(&c, pos))?;
        out.insert(name.into(), Dynamic::from_array(rows));
    }
    Ok(out)
}

/// `ncm::router` / `ncm::group`: a record found by what operators call it.
fn find(cx: &NativeCallContext, kind: Kind, key: Dynamic) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let key = id_arg(pos, &key)?;
    c.ncm
        .find(kind, &key)
        .map(json_into_dynamic)
        .map_err(err_at(&c, pos))
}

/// `ncm::reboot_router` / `ncm::reboot_group` (a group's asks first when typed at the prompt).
fn reboot(cx: &NativeCallContext, kind: Kind, id: Dynamic) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let id = super::named_id(&c, pos, &id, kind)?;
    let r = match kind {
        Kind::Router => c.ncm.reboot_router(&id),
        Kind::Group => {
            super::confirmed(&c, pos, &format!("a reboot of every router of group {id}"))?;
            c.ncm.reboot_group(&id)
        }
    };
    r.map(json_into_dynamic).map_err(err_at(&c, pos))
}

/// The `ncm` module: one sub-module per endpoint, plus the helpers. It holds no state (the run's
/// clients are in the engine's tag), so it is built once and shared by every engine.
pub fn module() -> Arc<Module> {
    static MODULE: std::sync::OnceLock<Arc<Module>> = std::sync::OnceLock::new();
    super::built_once(&MODULE, build)
}

fn build() -> Module {
    let mut root = Module::new();
    root.set_doc(
        "/// Cradlepoint NetCloud Manager API v2: one sub-module per endpoint, plus helpers.",
    );
    for ep in ENDPOINTS {
        root.set_sub_module(ep.name, endpoint_module(ep));
    }
    super::ncm_records::register(&mut root);
    super::ncm_config::register(&mut root);
    super::ncm_bulk::register(&mut root);
    super::ncm_backup::register(&mut root);
    register_requests(&mut root);
    register_lookups(&mut root);
    register_reboots(&mut root);
    root
}

/// `ncm::lists`, `ncm::request`, `ncm::calls` and `ncm::stats`: listings at once, requests
/// the catalog lacks, and the count of calls made.
fn register_requests(root: &mut Module) {
    functions! { root;
        /// Several independent listings at once: `#{endpoint: query, ...}` -> `#{endpoint: [records], ...}`,
        /// each read in full as by `list`, all at the same time (a job's routers and net devices, say). An error in
        /// any of them is the error of the call.
        ///
        /// ```rhai
        /// let l = ncm::lists(#{routers: #{fields: ["id", "name"]}, net_devices: #{mode: "wan"}});
        /// print(`${l.routers.len()} routers, ${l.net_devices.len()} WAN devices`);
        /// ```
        fn lists(cx, queries: Map as "Map") -> RhaiResult<Map> as "Map" {
            lists(&cx, queries)
        }

        /// Any NCM request under the API root, for what the catalog lacks: `method` (GET, POST, PUT,
        /// PATCH, DELETE) and `path` relative to the API root (`routers/42/`, or a resource URL). Confined to
        /// the root (segments of letters, digits, `-`, `_`: no `..`, no other host); retried like every call
        /// (POST never); a write is shown, not sent, under `--dry-run` and refused under `--read-only`.
        /// Returns the answer's body as it came (`#{dry_run: true}` for a write not sent).
        ///
        /// ```rhai
        /// let me = ncm::request("GET", "accounts/");
        /// ```
        fn request(cx, method: &str as "string", path: &str as "string") -> RhaiResult<Dynamic> as "?" {
            raw_request(&cx, method, path, Map::new())
        }

        /// `ncm::request` with `#{query: #{...}, body: #{...}}`: query pairs (a list value is
        /// sent comma-separated, as `__in` filters take it) and a JSON body.
        ///
        /// ```rhai
        /// let alerts = ncm::request("GET", "alerts/", #{query: #{router__in: [10001, 10002], limit: 10}});
        /// ncm::request("PUT", "routers/10002/", #{body: #{description: "kiosk"}});
        /// ```
        fn request(cx, method: &str as "string", path: &str as "string", options: Map as "Map") -> RhaiResult<Dynamic> as "?" {
            raw_request(&cx, method, path, options)
        }

        /// The API calls made to NCM so far in this run (NCM counts each against the account's rate
        /// limit): `requests` sent (retries included), `retries`, `rate_limited` (answers with HTTP 429),
        /// `bytes` received, `unused` (pages asked for ahead whose answer a listing did not need),
        /// `dry_run_writes` (writes printed instead of sent) and `dry_run` (true under `--dry-run`).
        ///
        /// ```rhai
        /// let before = ncm::calls();
        /// let routers = ncm::routers::list(#{fields: ["id"]});
        /// log::info(`${ncm::calls().requests - before.requests} requests for ${routers.len()} routers`);
        /// ```
        fn calls(cx) -> RhaiResult<Map> as "Map" {
            Ok(super::stats_map(state(&cx)?.ncm.transport()))
        }

        /// The same counters as `ncm::calls()` (the older name).
        ///
        /// ```rhai
        /// log::info(`${ncm::stats().requests} requests`);
        /// if ncm::stats().dry_run { print("dry run: nothing was written"); }
        /// ```
        fn stats(cx) -> RhaiResult<Map> as "Map" {
            Ok(super::stats_map(state(&cx)?.ncm.transport()))
        }

    }
}

/// `ncm::version_cmp`, `ncm::router` and `ncm::group`: firmware versions compared, and a
/// router or group found by what people call it.
fn register_lookups(root: &mut Module) {
    functions! { root;
        /// Compares two firmware versions part by part as numbers: -1, 0 or 1 (`7.22.60` is after `7.4.0`,
        /// which text comparison gets wrong; `7.4` equals `7.4.0`).
        ///
        /// ```rhai
        /// let fw = ncm::firmwares::list(#{limit: 1})[0];
        /// if ncm::version_cmp(fw.version, "7.22.0") >= 0 { print("new enough"); }
        /// ```
        fn version_cmp(_, a: &str as "string", b: &str as "string") -> rhai::INT as "int" {
            match crate::ncm::names::version_cmp(a, b) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            }
        }

        /// The router with this id, MAC address, name or serial number (one request for an id, a MAC or a
        /// name; kept for the rest of the run). No match says which names are close; several say which
        /// routers, so you can give the id.
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");   // an id, MAC, name or serial number
        /// ncm::reboot_router(r.id);
        /// ```
        fn router(cx, key: Dynamic as "string|int") -> RhaiResult<Dynamic> as "Map" {
            find(&cx, Kind::Router, key)
        }

        /// The group with this id or name (one request; kept for the rest of the run). No match says which
        /// names are close; several say which groups, so you can give the id.
        ///
        /// ```rhai
        /// let g = ncm::group("IBR900 Stores");
        /// let routers = ncm::routers::list(#{group: g.id, fields: ["id", "name"]});
        /// ```
        fn group(cx, key: Dynamic as "string|int") -> RhaiResult<Dynamic> as "Map" {
            find(&cx, Kind::Group, key)
        }

    }
}

/// `ncm::reboot_router` and `ncm::reboot_group`.
fn register_reboots(root: &mut Module) {
    functions! { root;
        /// Reboots one router (by id or name) through the reboot_activity endpoint (POST). A 201 means submitted, not rebooted; an offline router loses the request.
        /// Printed, not sent, under --dry-run.
        ///
        /// ```rhai
        /// ncm::reboot_router("AER2200-0001");   // an id, MAC, name or serial number
        /// ```
        fn reboot_router(cx, id: Dynamic as "int|string") -> RhaiResult<Dynamic> as "Map" {
            reboot(&cx, Kind::Router, id)
        }

        /// Reboots one group (by id or name) through the reboot_activity endpoint (POST). A 201 means submitted, not rebooted; an offline router loses the request.
        /// Printed, not sent, under --dry-run.
        ///
        /// ```rhai
        /// ncm::reboot_group("IBR900 Stores");   // an id or a name
        /// ```
        fn reboot_group(cx, id: Dynamic as "int|string") -> RhaiResult<Dynamic> as "Map" {
            reboot(&cx, Kind::Group, id)
        }
    }
}
