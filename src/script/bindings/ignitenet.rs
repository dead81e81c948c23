//! The `ignitenet::` Rhai module: `ignitenet::sites::*`, `ignitenet::devices::*` (config reads
//! and saves with the timestamp handled), `ignitenet::config::*` (the pure config model: merge
//! by origin, entities, CRC-32 user ids), `ignitenet::set_ssid`, `ignitenet::add_user`,
//! `ignitenet::request` and `ignitenet::stats`.

use super::id_arg;
use super::{doc, ret, rhai_error, usage_error, RhaiResult, ScriptContext};
use crate::error::Error;
use crate::http::Method;
use crate::ignitenet::config_map::{self as cfg, ConfigMap, Entry, Origin};
use crate::ignitenet::{answer_values, EntityRef, Target};
use crate::script::convert::{dynamic_to_json, json_to_dynamic};
use rhai::{Dynamic, FuncRegistration, Map, Module, NativeCallContext, Position};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Script changes (`key -> string/number/bool` or `key -> #{value, origin}`) as a config map.
/// Without an origin, a site key gets `site`; a device key gets `site-device` when the site
/// defines the key (an override) and `device` otherwise.
fn changes_from(changes: &Value, answer: &Value, site_level: bool) -> crate::Result<ConfigMap> {
    if let Some(k) = changes
        .as_object()
        .and_then(|o| o.keys().find(|k| !k.contains('/')))
    {
        return Err(Error::invalid(format!(
            "{k:?} is not a config key: keys look like \"wireless/1000000001/ssid\""
        )));
    }
    let site_keys = answer.get("site").and_then(Value::as_object);
    cfg::parse_map_with(changes, &|k| {
        if site_level {
            Origin::Site
        } else if site_keys.is_some_and(|s| s.contains_key(k)) {
            Origin::SiteDevice
        } else {
            Origin::Device
        }
    })
}

/// A config map argument: `{key: {value, origin}}` or `{key: "value"}`.
fn config_arg(v: &Value, default_origin: Origin) -> crate::Result<ConfigMap> {
    cfg::parse_map_with(v, &|_| default_origin)
}

/// Flat key -> value of a config-changes answer or a config map.
fn values_of(v: &Value) -> crate::Result<BTreeMap<String, String>> {
    if v.get("timestamp").is_some() && v.get("site").is_some() {
        return answer_values(v);
    }
    Ok(config_arg(v, Origin::Site)?
        .into_iter()
        .map(|(k, e)| (k, e.value))
        .collect())
}

fn target_arg(pos: Position, d: &Dynamic) -> RhaiResult<Target> {
    if let Some(m) = d.read_lock::<Map>() {
        let site = m.get("site").map(|v| id_arg(pos, v)).transpose()?;
        let device = m.get("device").map(|v| id_arg(pos, v)).transpose()?;
        return match (site, device) {
            (_, Some(dev)) => Ok(Target::Device(dev)),
            (Some(s), None) => Ok(Target::Site(s)),
            _ => Err(usage_error(
                pos,
                "a target is a site id, #{site: ID} or #{device: ID}",
            )),
        };
    }
    Ok(Target::Site(id_arg(pos, d)?))
}

fn props_arg(v: &Value) -> crate::Result<BTreeMap<String, String>> {
    let Some(obj) = v.as_object() else {
        return Err(Error::invalid(
            "properties must be a map of property -> value",
        ));
    };
    obj.iter()
        .map(|(k, x)| Ok((k.clone(), cfg::value_string(k, x)?)))
        .collect()
}

/// The `ignitenet` module.
pub fn module(ctx: &Arc<ScriptContext>) -> Module {
    let mut root = Module::new();
    root.set_doc("/// IgniteNet Cloud public API (/pub/v1/): sites, devices, config changes and the config model.");
    let mut sites = sites_module(ctx);
    add_config_functions(&mut sites, ctx, true);
    // ignitenet::devices
    let mut devices = Module::new();
    devices.set_doc("/// IgniteNet device configs.");
    add_config_functions(&mut devices, ctx, false);
    root.set_sub_module("sites", sites);
    root.set_sub_module("devices", devices);
    // The pure config model holds no state: built once, shared by every engine.
    static CONFIG: std::sync::OnceLock<Arc<Module>> = std::sync::OnceLock::new();
    root.set_sub_module(
        "config",
        CONFIG.get_or_init(|| Arc::new(config_module())).clone(),
    );
    add_helpers(&mut root, ctx);
    root
}

/// Maps a client error to a catchable Rhai error at the call's position (secrets masked).
fn err(c: &Arc<ScriptContext>, pos: Position) -> impl Fn(Error) -> Box<rhai::EvalAltResult> {
    let r = c.redactor.clone();
    move |e: Error| rhai_error(pos, e, &r)
}

/// `ignitenet::sites`: list, devices.
fn sites_module(ctx: &Arc<ScriptContext>) -> Module {
    // ignitenet::sites
    let mut sites = Module::new();
    sites.set_doc("/// IgniteNet sites: list, devices, site config.");
    let c = ctx.clone();
    FuncRegistration::new("list")
        .with_comments([doc(
            "Every site of the cloud (GET sites).",
            "for s in ignitenet::sites::list() { print(`${s.id} ${s.name}`); }",
        )])
        .with_params_info(["Array"])
        .set_into_module(
            &mut sites,
            move |cx: NativeCallContext| -> RhaiResult<rhai::Array> {
                let v = c.ignitenet.sites().map_err(err(&c, cx.call_position()))?;
                Ok(v.iter().map(json_to_dynamic).collect())
            },
        );
    let c = ctx.clone();
    FuncRegistration::new("devices")
        .with_comments([doc("The devices of a site (GET site/<id>/devices): id, name, sn, mac, status_id, health_id, last_contact...", "let devs = ignitenet::sites::devices(\"281474976710783\");")])
        .with_params_info(["site_id: string|int", "Array"])
        .set_into_module(&mut sites, move |cx: NativeCallContext, id: Dynamic| -> RhaiResult<rhai::Array> {
            let id = id_arg(cx.call_position(), &id)?;
            let v = c.ignitenet.site_devices(&id).map_err(err(&c, cx.call_position()))?;
            Ok(v.iter().map(json_to_dynamic).collect())
        });
    sites
}

/// `config` and `set_config` of a site (`site_level`) or a device.
fn add_config_functions(module: &mut Module, ctx: &Arc<ScriptContext>, site_level: bool) {
    let what = if site_level { "site" } else { "device" };
    let (mk, example_id) = if site_level {
        (Target::Site as fn(String) -> Target, "\"281474976710783\"")
    } else {
        (
            Target::Device as fn(String) -> Target,
            "\"281474976711003\"",
        )
    };
    let c = ctx.clone();
    FuncRegistration::new("config")
        .with_comments([doc(
            &format!("The {what}'s config-changes object (GET {what}/<id>/config-changes): `timestamp`, `site`{}, `defaults`,\n{}`unfinishedTaskCount`, `configSuspended`, `configResync`, `serverSideChanged`. Config maps are `key -> #{{value, origin}}`.",
                if site_level { "" } else { ", `device`" }, if site_level { "`initial`, " } else { "" }),
            &format!("let c = ignitenet::{what}s::config({example_id}); print(c.timestamp);"),
        )])
        .with_params_info([&format!("{what}_id: string|int"), "Map"])
        .set_into_module(module, move |cx: NativeCallContext, id: Dynamic| -> RhaiResult<Dynamic> {
            let id = id_arg(cx.call_position(), &id)?;
            c.ignitenet.config(&mk(id)).map(ret).map_err(err(&c, cx.call_position()))
        });
    let c = ctx.clone();
    let origin_note = if site_level {
        "Site keys always have origin \"site\"."
    } else {
        "Without an origin, a key the site defines gets \"site-device\" (an override), others \"device\".\nOverride whole entities (see `ignitenet::config::override_entity`), never some of their keys."
    };
    FuncRegistration::new("set_config")
        .with_comments([doc(
            &format!("Saves changes to the {what}'s config: `key -> value` (strings; numbers and booleans are converted) or\n`key -> #{{value, origin}}`. {origin_note}\nFetches the timestamp itself; when someone saved in between (serverSideChanged) it re-reads and re-applies the\nsame changes a few times, then fails; configSuspended fails at once. Printed, not sent, under --dry-run.\nReturns the new config-changes object plus `changes` (what was sent) and `attempts`."),
            &format!("ignitenet::{what}s::set_config({example_id}, #{{\"radio/global/bandSteering\": \"1\"}});"),
        )])
        .with_params_info([&format!("{what}_id: string|int"), "changes: Map", "Map"])
        .set_into_module(module, move |cx: NativeCallContext, id: Dynamic, changes: Map| -> RhaiResult<Dynamic> {
            let pos = cx.call_position();
            let id = id_arg(pos, &id)?;
            let changes = dynamic_to_json(&Dynamic::from_map(changes));
            c.ignitenet
                .set_config(&mk(id), &|answer| changes_from(&changes, answer, site_level))
                .map(ret)
                .map_err(err(&c, pos))
        });
}

/// `ignitenet::config`: the pure config model (no requests).
fn config_module() -> Module {
    // ignitenet::config — pure.
    let mut config = Module::new();
    config.set_doc(
        "/// The IgniteNet config model: flat `root/node/property -> #{value, origin}` maps.",
    );
    let bad = |pos: Position| move |e: Error| rhai_error(pos, e, &Default::default());
    FuncRegistration::new("effective")
        .with_comments([doc("The config a device runs: `site` and `device` maps merged by origin (device wins for origin \"device\" and\n\"site-device\", the site for \"site\"; a key only the device has with origin \"site\" is gone). Returns `key -> value`.", "let eff = ignitenet::config::effective(c.site, c.device);")])
        .with_params_info(["site: Map", "device: Map", "Map"])
        .set_into_module(&mut config, move |cx: NativeCallContext, site: Map, device: Map| -> RhaiResult<Dynamic> {
            let pos = cx.call_position();
            let s = config_arg(&dynamic_to_json(&Dynamic::from_map(site)), Origin::Site).map_err(bad(pos))?;
            let d = config_arg(&dynamic_to_json(&Dynamic::from_map(device)), Origin::Device).map_err(bad(pos))?;
            Ok(ret(json!(cfg::effective(&s, &d))))
        });
    FuncRegistration::new("effective")
        .with_comments([doc("The effective config of a device's config-changes object (its `site` merged with its `device`).", "let eff = ignitenet::config::effective(ignitenet::devices::config(dev.id));")])
        .with_params_info(["answer: Map", "Map"])
        .set_into_module(&mut config, move |cx: NativeCallContext, answer: Map| -> RhaiResult<Dynamic> {
            let v = dynamic_to_json(&Dynamic::from_map(answer));
            answer_values(&v).map(|m| ret(json!(m))).map_err(bad(cx.call_position()))
        });
    FuncRegistration::new("entities")
        .with_comments([doc("The entities of a kind (`ssid`, `user`, `lan`) or root (`wireless`, `users`, `lans`) in a config-changes object\n(a device's: its effective config) or a config map: an array of `#{id, <property>: value, ...}`.", "for s in ignitenet::config::entities(c, \"ssid\") { print(`${s.id}: ${s.ssid}`); }")])
        .with_params_info(["config: Map", "kind: string", "Array"])
        .set_into_module(&mut config, move |cx: NativeCallContext, c: Map, kind: &str| -> RhaiResult<rhai::Array> {
            let pos = cx.call_position();
            let root = cfg::root_of_kind(kind).map_err(bad(pos))?;
            let values = values_of(&dynamic_to_json(&Dynamic::from_map(c))).map_err(bad(pos))?;
            Ok(cfg::entity_ids(values.keys(), root)
                .into_iter()
                .map(|id| {
                    let mut m = serde_json::Map::new();
                    m.insert("id".into(), json!(id));
                    for (p, v) in cfg::entity_props(values.iter(), root, id) {
                        m.insert(p, json!(v));
                    }
                    ret(Value::Object(m))
                })
                .collect())
        });
    FuncRegistration::new("new_entity")
        .with_comments([doc("The changes creating a new entity of `kind` from the config's `defaults.<kind>` with `props` over them, with a fresh id:\nin a site config-changes object a site entity (id from 1000000001, origin \"site\"), in a device's a device entity\n(id below 1000000000, origin \"device\"). User ids are the CRC-32 of the name. Returns `#{id, changes}`.", "let e = ignitenet::config::new_entity(c, \"ssid\", #{ssid: \"Staff\", key: \"long-passphrase\"});\nignitenet::sites::set_config(site, e.changes);")])
        .with_params_info(["answer: Map", "kind: string", "props: Map", "Map"])
        .set_into_module(&mut config, move |cx: NativeCallContext, answer: Map, kind: &str, props: Map| -> RhaiResult<Dynamic> {
            let pos = cx.call_position();
            let answer = dynamic_to_json(&Dynamic::from_map(answer));
            let root = cfg::root_of_kind(kind).map_err(bad(pos))?;
            let kind = cfg::ENTITY_KINDS.iter().find(|(_, r)| *r == root).map(|(k, _)| *k).unwrap_or(kind);
            let props = props_arg(&dynamic_to_json(&Dynamic::from_map(props))).map_err(bad(pos))?;
            let site_level = answer.get("device").is_none();
            let defaults = cfg::defaults_of(&answer, kind).map_err(bad(pos))?;
            let id = if root == "users" {
                let name = props.get("name").ok_or_else(|| usage_error(pos, "a user needs a name: its id is the CRC-32 of the name"))?;
                cfg::user_id(name)
            } else {
                let mut keys: Vec<String> = vec![];
                for part in ["site", "device"] {
                    if let Some(o) = answer.get(part).and_then(Value::as_object) {
                        keys.extend(o.keys().cloned());
                    }
                }
                cfg::next_entity_id(&cfg::entity_ids(keys.iter(), root), site_level).map_err(bad(pos))?
            };
            let origin = if site_level { Origin::Site } else { Origin::Device };
            let changes = cfg::entity_changes(root, id, &defaults, &props, origin);
            Ok(ret(json!({"id": id, "changes": cfg::to_value(&changes)})))
        });
    FuncRegistration::new("override_entity")
        .with_comments([doc("The changes overriding a whole inherited entity on a device: every key of the entity as the device runs it,\ncopied with origin \"site-device\", with `props` changed. Takes the device's config-changes object.", "let ch = ignitenet::config::override_entity(c, \"ssid\", 1000000002, #{ssid: \"Guest-Lobby\"});\nignitenet::devices::set_config(dev, ch);")])
        .with_params_info(["answer: Map", "kind: string", "id: int", "props: Map", "Map"])
        .set_into_module(&mut config, move |cx: NativeCallContext, answer: Map, kind: &str, id: rhai::INT, props: Map| -> RhaiResult<Dynamic> {
            let pos = cx.call_position();
            let root = cfg::root_of_kind(kind).map_err(bad(pos))?;
            let values = values_of(&dynamic_to_json(&Dynamic::from_map(answer))).map_err(bad(pos))?;
            let props = props_arg(&dynamic_to_json(&Dynamic::from_map(props))).map_err(bad(pos))?;
            let as_site: ConfigMap = values.into_iter().map(|(k, v)| (k, Entry::new(v, Origin::Site))).collect();
            let id = u64::try_from(id).map_err(|_| usage_error(pos, "an entity id is a positive number"))?;
            cfg::override_entity(&as_site, root, id, &props).map(|m| ret(cfg::to_value(&m))).map_err(bad(pos))
        });
    FuncRegistration::new("user_id")
        .with_comments([doc("The entity id of a user: the CRC-32 (IEEE) of the name, so a name always maps to the same `users/<id>/`.", "let id = ignitenet::config::user_id(\"admin\");   // 2282622326")])
        .with_params_info(["name: string", "int"])
        .set_into_module(&mut config, |name: &str| -> rhai::INT { cfg::user_id(name) as rhai::INT });
    config
}

/// `ignitenet::set_ssid`, `add_user`, `request`, `stats`.
fn add_helpers(root: &mut Module, ctx: &Arc<ScriptContext>) {
    let c = ctx.clone();
    FuncRegistration::new("set_ssid")
        .with_comments([doc("Renames an SSID, found by its entity id (int) or current name (string). `target` is a site id, `#{site: ID}`\nor `#{device: ID}`: on a device the whole inherited SSID is overridden (origin \"site-device\"). SSID 1-32 bytes.\nReturns the save's answer plus `entity`, `before`, `after`. Printed, not sent, under --dry-run.", "ignitenet::set_ssid(#{device: \"281474976711003\"}, \"Guest\", \"Guest-Lobby\");")])
        .with_params_info(["target: string|int|Map", "old_name_or_id: string|int", "new_ssid: string", "Map"])
        .set_into_module(root, move |cx: NativeCallContext, target: Dynamic, which: Dynamic, new: &str| -> RhaiResult<Dynamic> {
            let pos = cx.call_position();
            let t = target_arg(pos, &target)?;
            let which = if let Ok(i) = which.as_int() {
                EntityRef::Id(u64::try_from(i).map_err(|_| usage_error(pos, "an entity id is a positive number"))?)
            } else if which.is_string() {
                EntityRef::Name(which.to_string())
            } else {
                return Err(usage_error(pos, "the SSID to change is its entity id (int) or its current name (string)"));
            };
            c.ignitenet.set_ssid(&t, &which, new).map(ret).map_err(err(&c, pos))
        });
    let c = ctx.clone();
    FuncRegistration::new("add_user")
        .with_comments([doc("Adds a user to a site from `defaults.user` (entity id: CRC-32 of the name); an existing user of that name\ngets the new password. Password at least 8 characters.", "ignitenet::add_user(\"281474976710783\", \"auditor\", \"Long-Passw0rd\");")])
        .with_params_info(["site_id: string|int", "name: string", "password: string", "Map"])
        .set_into_module(root, move |cx: NativeCallContext, site: Dynamic, name: &str, pw: &str| -> RhaiResult<Dynamic> {
            let pos = cx.call_position();
            let site = id_arg(pos, &site)?;
            c.ignitenet.add_user(&site, name, pw).map(ret).map_err(err(&c, pos))
        });
    for with_body in [false, true] {
        let c = ctx.clone();
        let f = move |pos: Position,
                      method: &str,
                      path: &str,
                      body: Option<Value>|
              -> RhaiResult<Dynamic> {
            let m = Method::parse(method).ok_or_else(|| {
                usage_error(
                    pos,
                    format!("unknown HTTP method {method:?}: use GET, POST, PUT, PATCH or DELETE"),
                )
            })?;
            if m == Method::Delete {
                super::confirmed(&c, pos, &format!("DELETE {path} on IgniteNet"))?;
            }
            c.ignitenet
                .request(m, path, body.as_ref())
                .map(ret)
                .map_err(err(&c, pos))
        };
        let reg = FuncRegistration::new("request");
        if with_body {
            reg.with_comments([doc("Any IgniteNet request with a JSON body, for what is not wrapped yet. Same auth, limits and retries.", "ignitenet::request(\"POST\", \"site/281474976710783/config-changes\", #{timestamp: t, changes: #{}});")])
                .with_params_info(["method: string", "path: string", "body: ?", "?"])
                .set_into_module(root, move |cx: NativeCallContext, m: &str, p: &str, b: Dynamic| f(cx.call_position(), m, p, Some(dynamic_to_json(&b))));
        } else {
            reg.with_comments([doc("Any IgniteNet request, by method and path relative to the base URL (`sites`, `site/<id>/devices`).\nErrors carry the API's plain-text message verbatim.", "let sites = ignitenet::request(\"GET\", \"sites\");")])
                .with_params_info(["method: string", "path: string", "?"])
                .set_into_module(root, move |cx: NativeCallContext, m: &str, p: &str| f(cx.call_position(), m, p, None));
        }
    }
    let c = ctx.clone();
    FuncRegistration::new("stats")
        .with_comments([doc(
            "What the IgniteNet client has done so far: `requests`, `retries`, `dry_run_writes`.",
            "log::info(`${ignitenet::stats().requests} IgniteNet requests`);",
        )])
        .with_params_info(["Map"])
        .set_into_module(root, move || -> Map {
            let s = &c.ignitenet.transport().stats;
            let mut m = Map::new();
            m.insert("requests".into(), (s.requests() as rhai::INT).into());
            m.insert("retries".into(), (s.retries() as rhai::INT).into());
            m.insert(
                "dry_run_writes".into(),
                (s.dry_run_writes() as rhai::INT).into(),
            );
            m
        });
}
