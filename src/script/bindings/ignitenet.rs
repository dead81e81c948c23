//! The `ignitenet::` Rhai module: `ignitenet::sites::*`, `ignitenet::devices::*` (config reads
//! and saves with the timestamp handled), `ignitenet::config::*` (the pure config model: merge
//! by origin, entities, CRC-32 user ids), `ignitenet::set_ssid`, `ignitenet::add_user`,
//! `ignitenet::request` and `ignitenet::stats`.

use super::id_arg;
use super::{call, err_at, error_at, ret, state, usage_error, RhaiResult, ScriptContext};
use crate::http::Method;
use crate::ignitenet::config_map::{self as cfg, ConfigMap, Entry, Origin};
use crate::ignitenet::script_model::{
    self as model, changes_from, config_arg, props_arg, values_of,
};
use crate::ignitenet::{answer_values, EntityRef, Target};
use crate::script::convert::{dynamic_to_json, json_to_dynamic, map_to_json};
use rhai::{Dynamic, Map, Module, NativeCallContext, Position};
use serde_json::Value;
use std::sync::Arc;

/// A site argument: its id, or its name (found once for the run).
fn site_arg(c: &ScriptContext, pos: Position, d: &Dynamic) -> RhaiResult<String> {
    let key = id_arg(pos, d)?;
    c.ignitenet.site_id(&key).map_err(err_at(c, pos))
}

/// A device argument: its id, or its name, hostname, serial number or MAC (found once for the
/// run).
fn device_arg(c: &ScriptContext, pos: Position, d: &Dynamic) -> RhaiResult<String> {
    let key = id_arg(pos, d)?;
    c.ignitenet.device_id(&key).map_err(err_at(c, pos))
}

fn target_arg(c: &ScriptContext, pos: Position, d: &Dynamic) -> RhaiResult<Target> {
    if let Some(m) = d.read_lock::<Map>() {
        let site = m.get("site").map(|v| site_arg(c, pos, v)).transpose()?;
        let device = m.get("device").map(|v| device_arg(c, pos, v)).transpose()?;
        return match (site, device) {
            (_, Some(dev)) => Ok(Target::Device(dev)),
            (Some(s), None) => Ok(Target::Site(s)),
            _ => Err(usage_error(
                pos,
                "a target is a site id or name, #{site: ID} or #{device: ID}",
            )),
        };
    }
    Ok(Target::Site(site_arg(c, pos, d)?))
}

/// The `ignitenet` module: it holds no state (the run's client is in the engine's tag), so it is
/// built once and shared by every engine.
pub fn module() -> Arc<Module> {
    static MODULE: std::sync::OnceLock<Arc<Module>> = std::sync::OnceLock::new();
    super::built_once(&MODULE, build)
}

fn build() -> Module {
    let mut root = Module::new();
    root.set_doc("/// IgniteNet Cloud public API (/pub/v1/): sites, devices, config changes and the config model.");
    root.set_sub_module("sites", sites_module());
    root.set_sub_module("devices", devices_module());
    root.set_sub_module("config", config_module());
    register_changes(&mut root);
    register_requests(&mut root);
    root
}

/// Records the client answered with, as script values.
fn rows(v: Vec<Value>) -> rhai::Array {
    v.iter().map(json_to_dynamic).collect()
}

/// `config` of a site (`site_level`) or a device, given by id or name.
fn config(cx: &NativeCallContext, site_level: bool, id: Dynamic) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let target = if site_level {
        Target::Site(site_arg(&c, pos, &id)?)
    } else {
        Target::Device(device_arg(&c, pos, &id)?)
    };
    c.ignitenet
        .config(&target)
        .map(ret)
        .map_err(err_at(&c, pos))
}

/// `set_config` of a site (`site_level`) or a device: the changes made against each answer read.
fn set_config(
    cx: &NativeCallContext,
    site_level: bool,
    id: Dynamic,
    changes: Map,
) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let target = if site_level {
        Target::Site(site_arg(&c, pos, &id)?)
    } else {
        Target::Device(device_arg(&c, pos, &id)?)
    };
    let changes = json_of(&changes);
    c.ignitenet
        .set_config(&target, &|answer| {
            changes_from(&changes, answer, site_level)
        })
        .map(ret)
        .map_err(err_at(&c, pos))
}

/// `ignitenet::sites`: list, devices, config, set_config.
fn sites_module() -> Module {
    let mut sites = Module::new();
    sites.set_doc("/// IgniteNet sites: list, devices, site config.");
    functions! { &mut sites;
        /// Every site of the cloud (GET sites).
        ///
        /// ```rhai
        /// for s in ignitenet::sites::list() { print(`${s.id} ${s.name}`); }
        /// ```
        fn list(cx) -> RhaiResult<rhai::Array> as "Array" {
            let (c, pos) = call(&cx)?;
            c.ignitenet.sites().map(rows).map_err(err_at(&c, pos))
        }

        /// The devices of a site (GET site/<id>/devices): id, name, sn, mac, status_id, health_id, last_contact...
        /// A site (here and wherever a site goes) is its id or its name, found once for the run.
        ///
        /// ```rhai
        /// let devs = ignitenet::sites::devices("HQ");
        /// ```
        fn devices(cx, site_id: Dynamic as "string|int") -> RhaiResult<rhai::Array> as "Array" {
            let (c, pos) = call(&cx)?;
            let id = site_arg(&c, pos, &site_id)?;
            c.ignitenet.site_devices(&id).map(rows).map_err(err_at(&c, pos))
        }

        /// The site's config-changes object (GET site/<id>/config-changes): `timestamp`, `site`, `defaults`,
        /// `initial`, `unfinishedTaskCount`, `configSuspended`, `configResync`, `serverSideChanged`. Config maps are `key -> #{value, origin}`.
        ///
        /// ```rhai
        /// let c = ignitenet::sites::config("281474976710783"); print(c.timestamp);
        /// ```
        fn config(cx, site_id: Dynamic as "string|int") -> RhaiResult<Dynamic> as "Map" {
            config(&cx, true, site_id)
        }

        /// Saves changes to the site's config: `key -> value` (strings; numbers and booleans are converted) or
        /// `key -> #{value, origin}`. Site keys always have origin "site".
        /// Fetches the timestamp itself; when someone saved in between (serverSideChanged) it re-reads and re-applies the
        /// same changes a few times, then fails; configSuspended fails at once. Printed, not sent, under --dry-run.
        /// Returns the new config-changes object plus `changes` (what was sent) and `attempts`.
        ///
        /// ```rhai
        /// ignitenet::sites::set_config("281474976710783", #{"radio/global/bandSteering": "1"});
        /// ```
        fn set_config(cx, site_id: Dynamic as "string|int", changes: Map as "Map") -> RhaiResult<Dynamic> as "Map" {
            set_config(&cx, true, site_id, changes)
        }
    }
    sites
}

/// `ignitenet::devices`: config, set_config.
fn devices_module() -> Module {
    let mut devices = Module::new();
    devices.set_doc("/// IgniteNet device configs.");
    functions! { &mut devices;
        /// The device's config-changes object (GET device/<id>/config-changes): `timestamp`, `site`, `device`, `defaults`,
        /// `unfinishedTaskCount`, `configSuspended`, `configResync`, `serverSideChanged`. Config maps are `key -> #{value, origin}`.
        /// A device (here and wherever a device goes) is its id, or its name, hostname, serial number or MAC, found once
        /// for the run (the sites' device lists are read once).
        ///
        /// ```rhai
        /// let c = ignitenet::devices::config("Mock Device-1"); print(c.timestamp);
        /// ```
        fn config(cx, device_id: Dynamic as "string|int") -> RhaiResult<Dynamic> as "Map" {
            config(&cx, false, device_id)
        }

        /// The device's config object (GET devices/<id>/config, the call the API text names to see what a change made
        /// in the Cloud UI left): `key -> #{value, origin}`.
        ///
        /// ```rhai
        /// let before = ignitenet::devices::config_object("Mock Device-1");
        /// ```
        fn config_object(cx, device_id: Dynamic as "string|int") -> RhaiResult<Dynamic> as "Map" {
            let (c, pos) = call(&cx)?;
            let id = device_arg(&c, pos, &device_id)?;
            c.ignitenet.device_config_object(&id).map(ret).map_err(err_at(&c, pos))
        }

        /// Saves changes to the device's config: `key -> value` (strings; numbers and booleans are converted) or
        /// `key -> #{value, origin}`. Without an origin, a key the site defines gets "site-device" (an override), others "device".
        /// A change to an entity the site defines (an SSID, a user, a LAN) overrides the whole entity: every key of it as the
        /// device runs it is sent with origin "site-device", with the changed values, never some of its keys alone.
        /// Fetches the timestamp itself; when someone saved in between (serverSideChanged) it re-reads and re-applies the
        /// same changes a few times, then fails; configSuspended fails at once. Printed, not sent, under --dry-run.
        /// Returns the new config-changes object plus `changes` (what was sent) and `attempts`.
        ///
        /// ```rhai
        /// ignitenet::devices::set_config("281474976711003", #{"radio/global/bandSteering": "1"});
        /// ```
        fn set_config(cx, device_id: Dynamic as "string|int", changes: Map as "Map") -> RhaiResult<Dynamic> as "Map" {
            set_config(&cx, false, device_id, changes)
        }
    }
    devices
}

/// A script map as JSON.
fn json_of(m: &Map) -> Value {
    Value::Object(map_to_json(m))
}

/// `ignitenet::config::entities`: each entity of a kind as `#{id, <property>: value}`.
fn entities(pos: Position, config: Map, kind: &str) -> RhaiResult<rhai::Array> {
    let rows = model::entities(&json_of(&config), kind).map_err(error_at(pos))?;
    super::to_script_array(pos, &rows)
}

/// `ignitenet::config::new_entity`: a fresh id (a user's from its name) and the changes creating it.
fn new_entity(pos: Position, answer: Map, kind: &str, props: Map) -> RhaiResult<Dynamic> {
    let e = model::new_entity(&json_of(&answer), kind, &json_of(&props)).map_err(error_at(pos))?;
    super::to_script(pos, &e)
}

/// `ignitenet::config::override_entity`: the entity as the device runs it, copied as an override.
fn override_entity(
    pos: Position,
    answer: Map,
    kind: &str,
    id: rhai::INT,
    props: Map,
) -> RhaiResult<Dynamic> {
    let root = cfg::root_of_kind(kind).map_err(error_at(pos))?;
    let values = values_of(&json_of(&answer)).map_err(error_at(pos))?;
    let props = props_arg(&json_of(&props)).map_err(error_at(pos))?;
    let as_site: ConfigMap = values
        .into_iter()
        .map(|(k, v)| (k, Entry::new(v, Origin::Site)))
        .collect();
    let id =
        u64::try_from(id).map_err(|_| usage_error(pos, "an entity id is a positive number"))?;
    cfg::override_entity(&as_site, root, id, &props)
        .map(|m| ret(cfg::to_value(&m)))
        .map_err(error_at(pos))
}

/// `ignitenet::config`: the pure config model (no requests).
fn config_module() -> Module {
    let mut config = Module::new();
    config.set_doc(
        "/// The IgniteNet config model: flat `root/node/property -> #{value, origin}` maps.",
    );
    register_config_reads(&mut config);
    functions! { &mut config;
        /// The changes creating a new entity of `kind` from the config's `defaults.<kind>` with `props` over them, with a fresh id:
        /// in a site config-changes object a site entity (id from 1000000001, origin "site"), in a device's a device entity
        /// (id below 1000000000, origin "device"). User ids are the CRC-32 of the name. Returns `#{id, changes}`.
        ///
        /// ```rhai
        /// let site = "HQ";
        /// let c = ignitenet::sites::config(site);
        /// let e = ignitenet::config::new_entity(c, "ssid", #{ssid: "Staff", key: "long-passphrase"});
        /// ignitenet::sites::set_config(site, e.changes);
        /// ```
        fn new_entity(cx, answer: Map as "Map", kind: &str as "string", props: Map as "Map") -> RhaiResult<Dynamic> as "Map" {
            new_entity(cx.call_position(), answer, kind, props)
        }

        /// The changes overriding a whole inherited entity on a device: every key of the entity as the device runs it,
        /// copied with origin "site-device", with `props` changed. Takes the device's config-changes object.
        ///
        /// ```rhai
        /// let dev = "Mock Device-1";
        /// let c = ignitenet::devices::config(dev);
        /// let ch = ignitenet::config::override_entity(c, "ssid", 1000000002, #{ssid: "Guest-Visitors"});
        /// ignitenet::devices::set_config(dev, ch);
        /// ```
        fn override_entity(cx, answer: Map as "Map", kind: &str as "string", id: rhai::INT as "int", props: Map as "Map") -> RhaiResult<Dynamic> as "Map" {
            override_entity(cx.call_position(), answer, kind, id, props)
        }

        /// The entity id of a user: the CRC-32 (IEEE) of the name, so a name always maps to the same `users/<id>/`.
        ///
        /// ```rhai
        /// let id = ignitenet::config::user_id("admin");   // 2282622326
        /// ```
        fn user_id(_, name: &str as "string") -> rhai::INT as "int" {
            cfg::user_id(name) as rhai::INT
        }
    }
    config
}

/// `ignitenet::config::effective` and `ignitenet::config::entities`.
fn register_config_reads(config: &mut Module) {
    functions! { config;
        /// The config a device runs: `site` and `device` maps merged by origin (device wins for origin "device" and
        /// "site-device", the site for "site"; a key only the device has with origin "site" is gone). Returns `key -> value`.
        ///
        /// ```rhai
        /// let c = ignitenet::devices::config("Mock Device-1");
        /// let eff = ignitenet::config::effective(c.site, c.device);
        /// ```
        fn effective(cx, site: Map as "Map", device: Map as "Map") -> RhaiResult<Dynamic> as "Map" {
            let pos = cx.call_position();
            let s = config_arg(&json_of(&site), Origin::Site).map_err(error_at(pos))?;
            let d = config_arg(&json_of(&device), Origin::Device).map_err(error_at(pos))?;
            super::to_script(pos, &cfg::effective(&s, &d))
        }

        /// The effective config of a device's config-changes object (its `site` merged with its `device`).
        ///
        /// ```rhai
        /// let eff = ignitenet::config::effective(ignitenet::devices::config("Mock Device-1"));
        /// ```
        fn effective(cx, answer: Map as "Map") -> RhaiResult<Dynamic> as "Map" {
            let pos = cx.call_position();
            super::to_script(pos, &answer_values(&json_of(&answer)).map_err(error_at(pos))?)
        }

        /// The entities of a kind (`ssid`, `user`, `lan`) or root (`wireless`, `users`, `lans`) in a config-changes object
        /// (a device's: its effective config) or a config map: an array of `#{id, <property>: value, ...}`.
        ///
        /// ```rhai
        /// let c = ignitenet::devices::config("Mock Device-1");
        /// for s in ignitenet::config::entities(c, "ssid") { print(`${s.id}: ${s.ssid}`); }
        /// ```
        fn entities(cx, config: Map as "Map", kind: &str as "string") -> RhaiResult<rhai::Array> as "Array" {
            entities(cx.call_position(), config, kind)
        }
    }
}

/// `ignitenet::set_ssid`: the SSID to rename by entity id or current name.
fn set_ssid(
    cx: &NativeCallContext,
    target: Dynamic,
    which: Dynamic,
    new: &str,
) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
    let t = target_arg(&c, pos, &target)?;
    let which = if let Ok(i) = which.as_int() {
        EntityRef::Id(
            u64::try_from(i).map_err(|_| usage_error(pos, "an entity id is a positive number"))?,
        )
    } else if which.is_string() {
        EntityRef::Name(which.to_string())
    } else {
        return Err(usage_error(
            pos,
            "the SSID to change is its entity id (int) or its current name (string)",
        ));
    };
    c.ignitenet
        .set_ssid(&t, &which, new)
        .map(ret)
        .map_err(err_at(&c, pos))
}

/// `ignitenet::set_ssid` and `ignitenet::add_user`.
fn register_changes(root: &mut Module) {
    functions! { root;
        /// Renames an SSID, found by its entity id (int) or current name (string). `target` is a site id, `#{site: ID}`
        /// or `#{device: ID}`: on a device the whole inherited SSID is overridden (origin "site-device"). SSID 1-32 bytes.
        /// Returns the save's answer plus `entity`, `before`, `after`. Printed, not sent, under --dry-run.
        ///
        /// ```rhai
        /// ignitenet::set_ssid(#{device: "Mock Device-1"}, "Guest-Lobby", "Guest-Visitors");
        /// ```
        fn set_ssid(cx, target: Dynamic as "string|int|Map", old_name_or_id: Dynamic as "string|int", new_ssid: &str as "string") -> RhaiResult<Dynamic> as "Map" {
            set_ssid(&cx, target, old_name_or_id, new_ssid)
        }

        /// Adds a user to a site from `defaults.user` (entity id: CRC-32 of the name); an existing user of that name
        /// gets the new password. Password at least 8 characters.
        ///
        /// ```rhai
        /// ignitenet::add_user("281474976710783", "auditor", "Long-Passw0rd");
        /// ```
        fn add_user(cx, site_id: Dynamic as "string|int", name: &str as "string", password: &str as "string") -> RhaiResult<Dynamic> as "Map" {
            let (c, pos) = call(&cx)?;
            let site = site_arg(&c, pos, &site_id)?;
            c.ignitenet.add_user(&site, name, password).map(ret).map_err(err_at(&c, pos))
        }
    }
}

/// `ignitenet::request`: any request by method and path; a DELETE typed at the prompt asks first.
fn request(
    cx: &NativeCallContext,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> RhaiResult<Dynamic> {
    let (c, pos) = call(cx)?;
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
        .map_err(err_at(&c, pos))
}

/// `ignitenet::request` (with and without a body) and `ignitenet::stats`.
fn register_requests(root: &mut Module) {
    functions! { root;
        /// Any IgniteNet request, by method and path relative to the base URL (`sites`, `site/<id>/devices`).
        /// Confined to the API root (segments of letters, digits, `-`, `_`: no `..`, no other host); limited,
        /// retried, shown under `--dry-run` and refused under `--read-only` like every call. Errors carry the
        /// API's plain-text message verbatim.
        ///
        /// ```rhai
        /// let sites = ignitenet::request("GET", "sites");
        /// ```
        fn request(cx, method: &str as "string", path: &str as "string") -> RhaiResult<Dynamic> as "?" {
            request(&cx, method, path, None)
        }

        /// Any IgniteNet request with a JSON body, for what is not wrapped yet. Same auth, limits and retries.
        ///
        /// ```rhai
        /// let t = ignitenet::sites::config("HQ").timestamp;
        /// ignitenet::request("POST", "site/281474976710783/config-changes", #{timestamp: t, changes: #{}});
        /// ```
        fn request(cx, method: &str as "string", path: &str as "string", body: Dynamic as "?") -> RhaiResult<Dynamic> as "?" {
            request(&cx, method, path, Some(dynamic_to_json(&body)))
        }

        /// The API calls made to IgniteNet so far in this run: `requests` sent (retries included),
        /// `retries`, `rate_limited` (answers with HTTP 429), `bytes` received, `unused`, `dry_run_writes`,
        /// and `dry_run` (true under `--dry-run`).
        ///
        /// ```rhai
        /// log::info(`${ignitenet::calls().requests} IgniteNet requests`);
        /// ```
        fn calls(cx) -> RhaiResult<Map> as "Map" {
            Ok(super::stats_map(state(&cx)?.ignitenet.transport()))
        }

        /// The same counters as `ignitenet::calls()` (the older name).
        ///
        /// ```rhai
        /// log::info(`${ignitenet::stats().requests} IgniteNet requests`);
        /// ```
        fn stats(cx) -> RhaiResult<Map> as "Map" {
            Ok(super::stats_map(state(&cx)?.ignitenet.transport()))
        }
    }
}
