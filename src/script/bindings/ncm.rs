//! The `ncm::` Rhai module: `ncm::<endpoint>::<verb>` for every endpoint and verb of the catalog
//! (registered in one loop from the catalog, each with a generated doc comment), plus
//! `ncm::reboot_router`, `ncm::reboot_group`, `ncm::lists` and `ncm::stats` (record helpers such as
//! `ncm::id_of` and `ncm::name_all` are in `ncm_records.rs`).

use super::{id_arg, rhai_error, usage_error, RhaiResult, ScriptContext};
use crate::ncm::catalog::{Endpoint, Verb, ENDPOINTS};
use crate::ncm::paging::ReadAhead;
use crate::script::convert::{dynamic_to_json, json_into_dynamic};
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
        let pager = self.pager.lock().unwrap().take();
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

/// Registers `name()` and `name(query)` (the first with an empty query) from one function.
fn query_overloads<T: Clone + Send + Sync + 'static>(
    m: &mut Module,
    name: &str,
    [doc_plain, doc_query]: [String; 2],
    returns: &str,
    f: impl Fn(&NativeCallContext, Map) -> RhaiResult<T> + Send + Sync + Clone + 'static,
) {
    let g = f.clone();
    FuncRegistration::new(name)
        .with_comments([doc_plain])
        .with_params_info([returns])
        .set_into_module(m, move |cx: NativeCallContext| g(&cx, Map::new()));
    FuncRegistration::new(name)
        .with_comments([doc_query])
        .with_params_info(["query: Map", returns])
        .set_into_module(m, move |cx: NativeCallContext, q: Map| f(&cx, q));
}

fn map_to_json(m: Map) -> serde_json::Map<String, Value> {
    match dynamic_to_json(&Dynamic::from_map(m)) {
        Value::Object(o) => o,
        _ => serde_json::Map::new(),
    }
}

fn example_filter(ep: &Endpoint) -> String {
    let preferred = ["state", "router", "name", "id"];
    let f = preferred
        .iter()
        .filter_map(|n| ep.field(n).filter(|f| f.filterable()))
        .next()
        .or_else(|| ep.fields.iter().find(|f| f.filterable()));
    match f {
        Some(f) if f.name == "state" => "state: \"online\", ".into(),
        Some(f) if f.name == "name" => "name: \"store-12\", ".into(),
        Some(f) => format!("{}: 42, ", f.name),
        None => String::new(),
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
    let ex = example_filter(ep);
    let (summary, example) = match verb {
        Verb::List => (
            if with_query {
                format!("Every `{n}` record matching `query`, across all pages (GET /{n}/).\n/// `query` holds filters ({filters}) and controls: fields, expand, order_by, limit (total wanted), page_size, offset.\n/// A failure on any page is an error, never a partial list.")
            } else {
                format!("Every `{n}` record, across all pages (GET /{n}/). {}", ep.summary)
            },
            if with_query { format!("let rows = ncm::{n}::list(#{{{ex}limit: 100}});") } else { format!("let rows = ncm::{n}::list();") },
        ),
        Verb::Pages => (
            format!("Pages of `{n}` records, fetched lazily one page at a time (constant memory).\n/// Takes the same query as `list`."),
            format!("for page in ncm::{n}::pages(#{{{ex}page_size: 500}}) {{ print(page.len()); }}"),
        ),
        Verb::Get => (
            if with_query {
                format!("One `{n}` object by id (GET /{n}/<id>/); `query` may hold fields and expand.")
            } else {
                format!("One `{n}` object by id (GET /{n}/<id>/). The id may be an integer, a string or a resource URL.")
            },
            if with_query { format!("let obj = ncm::{n}::get(42, #{{fields: [\"id\"]}});") } else { format!("let obj = ncm::{n}::get(42);") },
        ),
        Verb::Create => (
            format!("Creates a `{n}` object (POST /{n}/) and returns what the API answered.{}\n/// Never retried automatically; printed, not sent, under --dry-run.",
                if ep.create_requires.is_empty() { String::new() } else { format!(" Required fields: {}.", ep.create_requires.join(", ")) }),
            if n == "reboot_activity" {
                "ncm::reboot_activity::create(#{router: \"https://www.cradlepointecm.com/api/v2/routers/42/\"});".into()
            } else {
                format!("let created = ncm::{n}::create(#{{ {} }});", ep.create_requires.iter().map(|f| format!("{f}: ...")).collect::<Vec<_>>().join(", "))
            },
        ),
        Verb::Update => (
            format!("Replaces fields of a `{n}` object (PUT /{n}/<id>/).{} Printed, not sent, under --dry-run.",
                ep.writable.map(|w| format!(" Writable: {}.", w.join(", "))).unwrap_or_default()),
            format!("ncm::{n}::update(42, #{{ {} }});", if n == "configuration_managers" { "configuration: [#{system: #{gps: #{enabled: true}}}, []]" } else { "name: \"new name\"" }),
        ),
        Verb::Patch => (
            format!("Merges changes into a `{n}` object (PATCH /{n}/<id>/); cannot remove. Returns the answer, or () when there is none."),
            format!("ncm::{n}::patch(42, #{{configuration: [#{{system: #{{logging: #{{level: \"debug\"}}}}}}, []]}});"),
        ),
        Verb::Delete => (
            format!("Deletes a `{n}` object (DELETE /{n}/<id>/). Printed, not sent, under --dry-run."),
            format!("ncm::{n}::delete(42);"),
        ),
    };
    format!("/// {summary}\n///\n/// ```rhai\n/// {example}\n/// ```")
}

fn endpoint_module(ep: &'static Endpoint, ctx: &Arc<ScriptContext>) -> Module {
    let mut m = Module::new();
    m.set_doc(format!("/// {}", ep.summary));
    for verb in ep.verbs() {
        match verb {
            Verb::List | Verb::Pages | Verb::Get => add_read(&mut m, ep, verb, ctx),
            Verb::Create | Verb::Update | Verb::Patch | Verb::Delete => {
                add_write(&mut m, ep, verb, ctx)
            }
        }
    }
    m
}

/// `list`, `pages` or `get` of an endpoint (each with and without a query map).
fn add_read(m: &mut Module, ep: &'static Endpoint, verb: Verb, ctx: &Arc<ScriptContext>) {
    let name = ep.name;
    match verb {
        Verb::List => {
            let c = ctx.clone();
            let f = move |cx: &NativeCallContext, q: Map| -> RhaiResult<Array> {
                c.ncm
                    .list_of::<Dynamic>(name, &map_to_json(q))
                    .map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))
            };
            query_overloads(
                m,
                "list",
                [verb_doc(ep, verb, false), verb_doc(ep, verb, true)],
                "Array",
                f,
            );
        }
        Verb::Pages => {
            let c = ctx.clone();
            let f = move |cx: &NativeCallContext, q: Map| -> RhaiResult<PageIter> {
                let p = c
                    .ncm
                    .read_ahead(name, &map_to_json(q), Dynamic::from_array)
                    .map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))?;
                Ok(PageIter {
                    pager: Arc::new(Mutex::new(Some(p))),
                    ctx: c.clone(),
                })
            };
            query_overloads(
                m,
                "pages",
                [verb_doc(ep, verb, false), verb_doc(ep, verb, true)],
                "Pages",
                f,
            );
        }
        Verb::Get => {
            for with_q in [false, true] {
                let c = ctx.clone();
                let f = move |cx: &NativeCallContext, id: Dynamic, q: Map| -> RhaiResult<Dynamic> {
                    let id = id_arg(cx.call_position(), &id)?;
                    let v = c
                        .ncm
                        .get(name, &id, &map_to_json(q))
                        .map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))?;
                    Ok(json_into_dynamic(v))
                };
                let reg = FuncRegistration::new("get").with_comments([verb_doc(ep, verb, with_q)]);
                if with_q {
                    reg.with_params_info(["id: int|string", "query: Map", "Map"])
                        .set_into_module(m, move |cx: NativeCallContext, id: Dynamic, q: Map| {
                            f(&cx, id, q)
                        });
                } else {
                    reg.with_params_info(["id: int|string", "Map"])
                        .set_into_module(m, move |cx: NativeCallContext, id: Dynamic| {
                            f(&cx, id, Map::new())
                        });
                }
            }
        }
        _ => {}
    }
}

/// `create`, `update`, `patch` or `delete` of an endpoint.
fn add_write(m: &mut Module, ep: &'static Endpoint, verb: Verb, ctx: &Arc<ScriptContext>) {
    let name = ep.name;
    match verb {
        Verb::Create => {
            let c = ctx.clone();
            FuncRegistration::new("create")
                .with_comments([verb_doc(ep, verb, true)])
                .with_params_info(["body: Map", "Map"])
                .set_into_module(
                    m,
                    move |cx: NativeCallContext, body: Map| -> RhaiResult<Dynamic> {
                        let v = c
                            .ncm
                            .create(name, &Value::Object(map_to_json(body)))
                            .map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))?;
                        Ok(json_into_dynamic(v))
                    },
                );
        }
        Verb::Update | Verb::Patch => {
            let c = ctx.clone();
            FuncRegistration::new(verb.name())
                .with_comments([verb_doc(ep, verb, true)])
                .with_params_info(["id: int|string", "body: Map", "Map"])
                .set_into_module(
                    m,
                    move |cx: NativeCallContext, id: Dynamic, body: Map| -> RhaiResult<Dynamic> {
                        let id = id_arg(cx.call_position(), &id)?;
                        let body = Value::Object(map_to_json(body));
                        let r = if verb == Verb::Update {
                            c.ncm.update(name, &id, &body)
                        } else {
                            c.ncm.patch(name, &id, &body)
                        };
                        let v = r.map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))?;
                        Ok(json_into_dynamic(v))
                    },
                );
        }
        Verb::Delete => {
            let c = ctx.clone();
            FuncRegistration::new("delete")
                .with_comments([verb_doc(ep, verb, true)])
                .with_params_info(["id: int|string", "()"])
                .set_into_module(
                    m,
                    move |cx: NativeCallContext, id: Dynamic| -> RhaiResult<()> {
                        let id = id_arg(cx.call_position(), &id)?;
                        super::confirmed(&c, cx.call_position(), &format!("DELETE {name}/{id}"))?;
                        c.ncm
                            .delete(name, &id)
                            .map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))
                    },
                );
        }
        _ => {}
    }
}

/// Builds the `ncm` module.
pub fn module(ctx: &Arc<ScriptContext>) -> Module {
    let mut root = Module::new();
    root.set_doc(
        "/// Cradlepoint NetCloud Manager API v2: one sub-module per endpoint, plus helpers.",
    );
    for ep in ENDPOINTS {
        root.set_sub_module(ep.name, endpoint_module(ep, ctx));
    }
    super::ncm_records::register(&mut root);
    register_finders(&mut root, ctx);
    register_reboots(&mut root, ctx);
    super::ncm_config::register(&mut root, ctx);
    let c = ctx.clone();
    FuncRegistration::new("lists")
        .with_comments(["/// Several independent listings at once: `#{endpoint: query, ...}` -> `#{endpoint: [records], ...}`,
/// each read in full as by `list`, all at the same time (a job's routers and net devices, say). An error in
/// any of them is the error of the call.
///
/// ```rhai
/// let l = ncm::lists(#{routers: #{fields: [\"id\", \"name\"]}, net_devices: #{mode: \"wan\"}});
/// print(`${l.routers.len()} routers, ${l.net_devices.len()} WAN devices`);
/// ```"])
        .with_params_info(["queries: Map", "Map"])
        .set_into_module(&mut root, move |cx: NativeCallContext, queries: Map| -> RhaiResult<Map> {
            let pos = cx.call_position();
            let mut jobs = vec![];
            for (name, q) in queries {
                let Some(q) = q.try_cast::<Map>() else {
                    return Err(usage_error(pos, format!("ncm::lists: the query of {name} must be a map")));
                };
                if crate::ncm::endpoint(name.as_str()).is_none() {
                    return Err(usage_error(pos, format!("ncm::lists: {name} is not an NCM endpoint (fleetscript endpoints lists them)")));
                }
                jobs.push((name.to_string(), map_to_json(q)));
            }
            let results: Vec<(String, crate::error::Result<Vec<Dynamic>>)> = std::thread::scope(|scope| {
                let handles: Vec<_> = jobs
                    .iter()
                    .map(|(name, q)| (name.clone(), scope.spawn(|| c.ncm.list_of::<Dynamic>(name, q))))
                    .collect();
                handles
                    .into_iter()
                    .map(|(n, h)| (n, h.join().unwrap_or_else(|_| Err(crate::error::Error::invalid("a listing stopped unexpectedly")))))
                    .collect()
            });
            let mut out = Map::new();
            for (name, r) in results {
                let rows = r.map_err(|e| rhai_error(pos, e, &c.redactor))?;
                out.insert(name.into(), Dynamic::from_array(rows));
            }
            Ok(out)
        });
    let c = ctx.clone();
    FuncRegistration::new("stats")
        .with_comments(["/// What the client has done so far: `requests` sent, `retries`, `dry_run_writes` (writes printed instead of sent).\n///\n/// ```rhai\n/// log::info(`${ncm::stats().requests} requests`);\n/// ```"])
        .with_params_info(["Map"])
        .set_into_module(&mut root, move || -> Map {
            let s = &c.ncm.transport().stats;
            let mut m = Map::new();
            m.insert("requests".into(), (s.requests() as rhai::INT).into());
            m.insert("retries".into(), (s.retries() as rhai::INT).into());
            m.insert("dry_run_writes".into(), (s.dry_run_writes() as rhai::INT).into());
            m
        });
    root
}

/// `ncm::router(x)`, `ncm::group(x)` and `ncm::version_cmp(a, b)`: records by what operators
/// call them, and firmware versions in order.
fn register_finders(root: &mut Module, ctx: &Arc<ScriptContext>) {
    for (fname, kind) in [
        ("router", crate::ncm::names::Kind::Router),
        ("group", crate::ncm::names::Kind::Group),
    ] {
        let c = ctx.clone();
        let doc = match kind {
            crate::ncm::names::Kind::Router => "/// The router with this id, MAC address, name or serial number (one request for an id, a MAC or a\n/// name; kept for the rest of the run). No match says which names are close; several say which\n/// routers, so you can give the id.\n///\n/// ```rhai\n/// let r = ncm::router(\"Store 12 Kiosk\");\n/// ncm::reboot_router(r.id);\n/// ```",
            crate::ncm::names::Kind::Group => "/// The group with this id or name (one request; kept for the rest of the run). No match says which\n/// names are close; several say which groups, so you can give the id.\n///\n/// ```rhai\n/// let g = ncm::group(\"Stores West\");\n/// let routers = ncm::routers::list(#{group: g.id, fields: [\"id\", \"name\"]});\n/// ```",
        };
        FuncRegistration::new(fname)
            .with_comments([doc])
            .with_params_info(["key: string|int", "Map"])
            .set_into_module(
                root,
                move |cx: NativeCallContext, key: Dynamic| -> RhaiResult<Dynamic> {
                    let key = id_arg(cx.call_position(), &key)?;
                    c.ncm
                        .find(kind, &key)
                        .map(json_into_dynamic)
                        .map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))
                },
            );
    }
    FuncRegistration::new("version_cmp")
        .with_comments(["/// Compares two firmware versions part by part as numbers: -1, 0 or 1 (`7.22.60` is after `7.4.0`,\n/// which text comparison gets wrong; `7.4` equals `7.4.0`).\n///\n/// ```rhai\n/// if ncm::version_cmp(fw.version, \"7.22.0\") >= 0 { print(\"new enough\"); }\n/// ```"])
        .with_params_info(["a: string", "b: string", "int"])
        .set_into_module(root, |a: &str, b: &str| -> rhai::INT {
            match crate::ncm::names::version_cmp(a, b) {
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            }
        });
}

/// `ncm::reboot_router` and `ncm::reboot_group`.
fn register_reboots(root: &mut Module, ctx: &Arc<ScriptContext>) {
    use crate::ncm::names::Kind;
    for (fname, kind) in [
        ("reboot_router", Kind::Router),
        ("reboot_group", Kind::Group),
    ] {
        let c = ctx.clone();
        let which = kind.noun();
        let doc = format!("/// Reboots one {which} (by id or name) through the reboot_activity endpoint (POST). A 201 means submitted, not rebooted; an offline router loses the request.\n/// Printed, not sent, under --dry-run.\n///\n/// ```rhai\n/// ncm::{fname}(42);\n/// ```");
        FuncRegistration::new(fname)
            .with_comments([doc])
            .with_params_info(["id: int|string", "Map"])
            .set_into_module(
                root,
                move |cx: NativeCallContext, id: Dynamic| -> RhaiResult<Dynamic> {
                    let id = super::named_id(&c, cx.call_position(), &id, kind)?;
                    if kind == Kind::Group {
                        let what = format!("a reboot of every router of group {id}");
                        super::confirmed(&c, cx.call_position(), &what)?;
                    }
                    let r = match kind {
                        Kind::Router => c.ncm.reboot_router(&id),
                        Kind::Group => c.ncm.reboot_group(&id),
                    };
                    r.map(json_into_dynamic)
                        .map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))
                },
            );
    }
}
