//! Configuration semantics of the simulator, as the spec's "Configuration in API V2" describes
//! them: validation against the firmware's default config (standing in for the DTD), PUT
//! replaces and PATCH merges the individual config, target = individual over group,
//! `version_number`/`synched`/`pending`, a device sync after a delay that sets `actual` in the
//! device's offset-keyed form, device-side rejection (suspended + `config_rejected` alert),
//! resuming only online devices, and secrets read back as `"*"`. A device runs its firmware's
//! default with what it added itself (its users' password hashes, a WAN rule per modem it has
//! seen) under what NCM sends it, and reports `actual` as a diff from its actual firmware's
//! default ("This config is always formatted to match the router's current actual firmware").

use super::ncos::prune;
use super::store::{text_of, timeuuid, ts, Store};
use crate::diff::{self, is_uuid, Diff};
use crate::error::ConfigIssue;
use crate::ncm::id_of;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Instant;

/// `(product name, firmware version)` a router's config is validated and formatted for: its
/// target firmware, or the actual one when it has no target.
pub fn firmware_of(store: &Store, router: &Value) -> (String, String) {
    let fw_url = router
        .get("target_firmware")
        .filter(|v| !v.is_null())
        .or_else(|| router.get("actual_firmware"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    (product_name(store, router), version_at(store, fw_url))
}

/// `(product name, firmware version)` a router runs: its actual firmware, which its `actual`
/// is formatted for.
pub fn actual_firmware_of(store: &Store, router: &Value) -> (String, String) {
    let fw_url = router["actual_firmware"].as_str().unwrap_or_default();
    (product_name(store, router), version_at(store, fw_url))
}

/// The version of the firmware record a URL points at (`7.22.60` when unknown).
fn version_at(store: &Store, fw_url: &str) -> String {
    id_of(fw_url)
        .and_then(|id| store.find("firmwares", &id))
        .and_then(|f| f["version"].as_str().map(str::to_string))
        .unwrap_or_else(|| "7.22.60".to_string())
}

/// The name of the product a record (a router, a firmware) points at; `IBR900` when unknown.
pub fn product_name(store: &Store, rec: &Value) -> String {
    rec.get("product")
        .and_then(Value::as_str)
        .and_then(id_of)
        .and_then(|id| store.find("products", &id))
        .and_then(|p| p["name"].as_str().map(str::to_string))
        .unwrap_or_else(|| "IBR900".to_string())
}

fn group_firmware(store: &Store, group: &Value) -> (String, String) {
    firmware_of(store, group)
}

fn kind_reason(schema: &Value) -> &'static str {
    match schema {
        Value::String(_) => "not a string",
        Value::Bool(_) => "not a boolean",
        Value::Number(n) if n.is_f64() => "not a float type",
        Value::Number(_) => "not an integer",
        Value::Object(_) => "not a dict",
        Value::Array(_) => "not a list or dict",
        Value::Null => "invalid",
    }
}

fn kind_ok(schema: &Value, v: &Value) -> bool {
    match (schema, v) {
        (_, Value::Null) | (Value::Null, _) => true,
        (Value::String(_), Value::String(_)) | (Value::Bool(_), Value::Bool(_)) => true,
        (Value::Number(s), Value::Number(n)) => s.is_f64() || n.is_i64() || n.is_u64(),
        (Value::Object(_), Value::Object(_)) => true,
        (Value::Array(_), Value::Object(_) | Value::Array(_)) => true,
        _ => false,
    }
}

fn bad(path: &[Value], v: &Value, reason: &str) -> Box<ConfigIssue> {
    let text = match v {
        Value::String(s) => s.clone(),
        o => o.to_string(),
    };
    Box::new(ConfigIssue {
        message: format!("cannot set {} to {text}: {reason}", diff::path_text(path)),
        reason: reason.to_string(),
        path: path.to_vec(),
        value: v.clone(),
    })
}

/// Value checks NCM makes of some fields ("invalid ip address", lengths), by key; an address
/// field whose default is an IPv6 address (`dns6.servers[].ip_address`) takes IPv6 ones.
fn value_rules(
    key: &str,
    v: &Value,
    schema: &Value,
    path: &[Value],
) -> Result<(), Box<ConfigIssue>> {
    let Some(s) = v.as_str() else { return Ok(()) };
    let v6 = schema
        .as_str()
        .is_some_and(|d| d.parse::<std::net::Ipv6Addr>().is_ok());
    let address_ok = match v6 {
        true => s.parse::<std::net::Ipv6Addr>().is_ok(),
        false => s.parse::<std::net::Ipv4Addr>().is_ok(),
    };
    match key {
        "ip_address" | "gateway" if !s.is_empty() && !address_ok => {
            Err(bad(path, v, "invalid ip address"))
        }
        "netmask" if !s.is_empty() && !crate::ncm::helpers::is_netmask(s) => {
            Err(bad(path, v, "invalid subnet mask"))
        }
        "ssid" if s.is_empty() => Err(bad(path, v, "too short (min length=1)")),
        "ssid" if s.len() > 32 => Err(bad(path, v, "too long (max length=32)")),
        "wpapsk" if s != "*" && s.chars().count() < 8 => {
            Err(bad(path, v, "too short (min length=8)"))
        }
        "wpapsk" if s.chars().count() > 63 => Err(bad(path, v, "too long (max length=63)")),
        _ => Ok(()),
    }
}

/// The schema of an array's elements: the union of its default elements (empty: anything goes).
fn element_schema(a: &[Value]) -> Value {
    let mut m = Map::new();
    for e in a {
        match e {
            Value::Object(o) => {
                for (k, v) in o {
                    m.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            other => return other.clone(),
        }
    }
    if a.is_empty() {
        Value::Null
    } else {
        Value::Object(m)
    }
}

/// Checks updates against the default config used as the DTD: unknown paths are "invalid path",
/// wrong kinds "not a string", "not a dict"... in the spec's wording.
fn check(schema: &Value, v: &Value, path: &mut Vec<Value>) -> Result<(), Box<ConfigIssue>> {
    if !kind_ok(schema, v) {
        return Err(bad(path, v, kind_reason(schema)));
    }
    match (schema, v) {
        (Value::Object(s), Value::Object(u)) if !s.is_empty() => {
            for (k, x) in u {
                path.push(json!(k));
                match s.get(k) {
                    Some(sub) => {
                        value_rules(k, x, sub, path)?;
                        check(sub, x, path)?;
                    }
                    None if k == "_id_" => {}
                    None => return Err(bad(path, x, "invalid path")),
                }
                path.pop();
            }
            Ok(())
        }
        (Value::Array(s), Value::Object(u)) => {
            if u.is_empty() {
                return Err(bad(path, v, "empty dict"));
            }
            let es = element_schema(s);
            for (k, x) in u {
                path.push(json!(k));
                let numeral = !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit());
                if !numeral && !is_uuid(k) {
                    return Err(bad(
                        path,
                        x,
                        if k.contains('-') {
                            "invalid id"
                        } else {
                            "bad array index"
                        },
                    ));
                }
                if k.len() == 36
                    && x.get("_id_")
                        .and_then(Value::as_str)
                        .is_some_and(|i| i != k)
                {
                    return Err(bad(path, x, "invalid id"));
                }
                check(&es, x, path)?;
                path.pop();
            }
            Ok(())
        }
        (Value::Array(s), Value::Array(items)) => {
            let es = element_schema(s);
            for (i, x) in items.iter().enumerate() {
                path.push(json!(i));
                check(&es, x, path)?;
                path.pop();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Why a config write is refused: a validation issue, or the spec's "strange" PATCH error for an
/// `_id_` key whose element lacks the `_id_` field.
pub enum Refusal {
    Invalid(Box<ConfigIssue>),
    MissingIdField(String),
}

fn find_missing_id_field(v: &Value) -> Option<String> {
    let Value::Object(m) = v else { return None };
    for (k, x) in m {
        if is_uuid(k) && x.is_object() && x.get("_id_").is_none() {
            return Some(k.clone());
        }
        if let Some(found) = find_missing_id_field(x) {
            return Some(found);
        }
    }
    None
}

/// Validates a diff for a device/group on `default`.
pub fn validate(default: &Value, body: &Value) -> Result<Diff, Refusal> {
    let d = Diff::from_value(body).map_err(Refusal::Invalid)?;
    if let Some(k) = find_missing_id_field(&Value::Object(d.updates.clone())) {
        return Err(Refusal::MissingIdField(k));
    }
    check(default, &Value::Object(d.updates.clone()), &mut vec![]).map_err(Refusal::Invalid)?;
    diff::apply(&prune::prune(default, &[&d]), &d).map_err(Refusal::Invalid)?;
    Ok(d)
}

/// The names above a value in a config, nearest first, to tell a secret field from a plain one
/// of the same name (see `diff::is_secret_field`).
#[derive(Clone, Copy)]
struct Above<'a> {
    name: &'a str,
    up: Option<&'a Above<'a>>,
}

impl<'a> Above<'a> {
    fn names(this: Option<&'a Above<'a>>) -> impl Iterator<Item = &'a str> {
        std::iter::successors(this, |a| a.up).map(|a| a.name)
    }
}

/// Is `key`'s value `x` (under `above`) a secret NCM shows as `"*"`?
fn masks(key: &str, x: &Value, above: Option<&Above<'_>>) -> bool {
    x.as_str().is_some_and(|s| !s.is_empty()) && diff::is_secret_field(key, Above::names(above))
}

fn mask_at(v: &mut Value, above: Option<&Above<'_>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if masks(k, x, above) {
                    *x = json!("*");
                } else {
                    let here = Above { name: k, up: above };
                    mask_at(x, Some(&here));
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| mask_at(x, above)),
        _ => {}
    }
}

/// Replaces every secret's value with `"*"` (how NCM shows them: notes §3).
pub fn mask_passwords(v: &mut Value) {
    mask_at(v, None);
}

/// A value serialized as NCM shows it (when `on`): every non-empty secret as `"*"`.
pub struct Masked<'a> {
    v: &'a Value,
    on: bool,
    above: Option<&'a Above<'a>>,
}

impl<'a> Masked<'a> {
    pub fn new(v: &'a Value, on: bool) -> Self {
        Masked { v, on, above: None }
    }
}

impl serde::Serialize for Masked<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        if !self.on {
            return self.v.serialize(s);
        }
        match self.v {
            Value::Object(o) => {
                let mut m = s.serialize_map(Some(o.len()))?;
                for (k, x) in o {
                    if masks(k, x, self.above) {
                        m.serialize_entry(k, "*")?;
                    } else {
                        let here = Above {
                            name: k,
                            up: self.above,
                        };
                        let inner = Masked {
                            v: x,
                            on: true,
                            above: Some(&here),
                        };
                        m.serialize_entry(k, &inner)?;
                    }
                }
                m.end()
            }
            Value::Array(a) => {
                let mut q = s.serialize_seq(Some(a.len()))?;
                for x in a {
                    q.serialize_element(&Masked {
                        v: x,
                        on: true,
                        above: self.above,
                    })?;
                }
                q.end()
            }
            other => other.serialize(s),
        }
    }
}

fn group_diff(store: &Store, router: &Value) -> Diff {
    router
        .get("group")
        .and_then(Value::as_str)
        .and_then(id_of)
        .and_then(|g| store.find("groups", &g))
        .map(|g| diff_of(&g, "configuration"))
        .unwrap_or_default()
}

fn router_of(store: &Store, cm: &Value) -> Option<Value> {
    let rid = id_of(cm.get("router")?.as_str()?)?;
    store
        .find("routers", &rid)
        .map(std::borrow::Cow::into_owned)
}

fn with_version(mut d: Diff, version: u64) -> Diff {
    let ecm = d.updates.entry("ecm").or_insert_with(|| json!({}));
    if !ecm.is_object() {
        *ecm = json!({});
    }
    ecm["config_version"] = json!(version);
    d
}

fn without_version(d: &Diff) -> Diff {
    let mut d = d.clone();
    if let Some(Value::Object(e)) = d.updates.get_mut("ecm") {
        e.shift_remove("config_version");
        if e.is_empty() {
            d.updates.shift_remove("ecm");
        }
    }
    d
}

/// The device's own (offset-keyed) form of what it runs: its firmware `default`, what it added
/// itself, the target over them; the target itself when it does not apply.
pub fn device_form(default: &Value, additions: &Diff, target: &Diff) -> Diff {
    prune::device_form(default, &[additions, target]).unwrap_or_else(|_| target.clone())
}

/// What the device of `router` added to its own configuration (nothing for a router the fleet
/// did not generate).
pub fn device_additions(store: &Store, router: &Value) -> Diff {
    let (product, version) = actual_firmware_of(store, router);
    router["id"]
        .as_str()
        .and_then(|id| id.parse::<u64>().ok())
        .and_then(|id| store.device_additions(id, &product, &version))
        .unwrap_or_default()
}

/// Does the router run the firmware its configuration is targeted for? Until it does, NCM
/// computes no pending changes ("If the device's actual firmware and target firmware are
/// different, the pending field appears empty even if there are pending changes").
fn on_target_firmware(router: &Value) -> bool {
    let target = router.get("target_firmware").filter(|v| !v.is_null());
    target.is_none_or(|t| Some(t) == router.get("actual_firmware"))
}

/// `pending`: what the device still has to apply to run `target` (empty while its firmware is
/// not the target one).
fn pending_of(store: &Store, router: &Value, actual: &Diff, target: &Diff) -> Diff {
    if !on_target_firmware(router) {
        return Diff::empty();
    }
    let default = device_default(store, router);
    let add = device_additions(store, router);
    prune::between(&default, &[actual], &[&add, target], true).unwrap_or_else(|_| target.clone())
}

/// Recomputes a configuration manager's target after its individual or group config changed;
/// bumps `version_number`, clears `synched` and schedules a sync when the target changed.
pub fn retarget(store: &mut Store, cm_id: &str, now: Instant) {
    let Some(cm) = store
        .find("configuration_managers", cm_id)
        .map(std::borrow::Cow::into_owned)
    else {
        return;
    };
    let Some(router) = router_of(store, &cm) else {
        return;
    };
    let default = router_default(store, &router);
    let indie = diff_of(&cm, "configuration");
    let new_target = diff::layer(&group_diff(store, &router), &indie);
    let old_target = without_version(&diff_of(&cm, "target"));
    if prune::same(&default, &[&old_target], &[&new_target]).unwrap_or(false) {
        return;
    }
    let v = cm["version_number"].as_u64().unwrap_or(0) + 1;
    let target = with_version(new_target, v);
    let pending = pending_of(store, &router, &diff_of(&cm, "actual"), &target);
    let online = router["state"] == "online";
    let suspended = cm["suspended"].as_bool().unwrap_or(false);
    let rid = router["id"].as_str().unwrap_or_default().to_string();
    if let Some(rec) = store.find_mut("configuration_managers", cm_id) {
        rec["target"] = target.to_value();
        rec["version_number"] = json!(v);
        rec["synched"] = json!(false);
        rec["pending"] = pending.to_value();
    }
    if !suspended {
        if let Some(r) = store.find_mut("routers", &rid) {
            r["config_status"] = json!("pending");
        }
        if online {
            store
                .sync_due
                .insert(cm_id.to_string(), now + store.sync_delay);
        }
    }
}

/// A router back online reports what it runs: its configuration manager syncs at `now` (unless
/// its sync is suspended), so `actual` is recomputed on the firmware it now runs.
pub fn report_in(store: &mut Store, cm_id: &str, now: Instant) {
    let suspended = store
        .find("configuration_managers", cm_id)
        .is_none_or(|cm| cm["suspended"].as_bool().unwrap_or(false));
    if !suspended {
        store.sync_due.insert(cm_id.to_string(), now);
    }
}

/// The ids of the records of `table` whose URL field `field` points at `id` (the routers of a
/// group, the configuration managers of a router).
pub fn ids_linking(store: &Store, table: &str, field: &str, id: &str) -> Vec<String> {
    store
        .table(table)
        .iter()
        .filter(|r| {
            r.get(field)
                .and_then(Value::as_str)
                .and_then(id_of)
                .as_deref()
                == Some(id)
        })
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

/// The ids of the routers in `group_id`.
pub fn group_routers(store: &Store, group_id: &str) -> Vec<String> {
    ids_linking(store, "routers", "group", group_id)
}

/// Every configuration manager whose device is in `group_id`.
pub fn members(store: &Store, group_id: &str) -> Vec<String> {
    let routers: std::collections::HashSet<String> =
        group_routers(store, group_id).into_iter().collect();
    store
        .table("configuration_managers")
        .iter()
        .filter(|c| {
            c.get("router")
                .and_then(Value::as_str)
                .and_then(id_of)
                .is_some_and(|r| routers.contains(&r))
        })
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect()
}

/// Runs every device sync that is due: the device either applies its target (`actual` = target
/// in offset-keyed form, `synched`) or, if it is one that rejects configs, suspends sync and
/// raises a `config_rejected` alert.
pub fn run_due_syncs(store: &mut Store, now: Instant) {
    if store.sync_due.is_empty() {
        return;
    }
    let due: Vec<String> = store
        .sync_due
        .iter()
        .filter(|(_, t)| **t <= now)
        .map(|(k, _)| k.clone())
        .collect();
    for cm_id in due {
        store.sync_due.remove(&cm_id);
        let Some(cm) = store
            .find("configuration_managers", &cm_id)
            .map(std::borrow::Cow::into_owned)
        else {
            continue;
        };
        let Some(router) = router_of(store, &cm) else {
            continue;
        };
        let rid = router["id"].as_str().unwrap_or_default().to_string();
        if store.rejecting.contains(&rid) {
            let when = chrono::Utc::now();
            let seq = store.alloc_id("router_alerts");
            let reason = "rejected: the device could not apply wan settings";
            let alert = json!({"created_at": ts(when), "created_at_timeuuid": timeuuid(when, 9_000_000 + seq), "detected_at": ts(when),
                "friendly_info": "A configuration change that was sent to the device has been rejected.",
                "info": {"reason": reason, "patch": cm["pending"].clone()}, "router": store.url("routers", &rid), "type": "config_rejected"});
            store.push("router_alerts", alert.clone());
            store.push("alerts", alert);
            if let Some(rec) = store.find_mut("configuration_managers", &cm_id) {
                rec["suspended"] = json!(true);
                rec["synched"] = json!(false);
            }
            if let Some(r) = store.find_mut("routers", &rid) {
                r["config_status"] = json!("suspended");
            }
            continue;
        }
        let default = device_default(store, &router);
        let additions = device_additions(store, &router);
        let target = diff_of(&cm, "target");
        if cuts_wan(store, &default, &additions, &target) {
            cut_off(store, &cm_id, &cm, &rid, now);
            continue;
        }
        let v = cm["version_number"].as_u64().unwrap_or(0);
        let actual = with_version(device_form(&default, &additions, &target), v);
        if let Some(rec) = store.find_mut("configuration_managers", &cm_id) {
            rec["actual"] = actual.to_value();
            rec["pending"] = json!([{}, []]);
            rec["synched"] = json!(true);
        }
        if let Some(r) = store.find_mut("routers", &rid) {
            r["config_status"] = json!("synched");
        }
    }
}

/// Does this target set the APN that cuts the WAN (`--break-apn`) on any WAN rule? (A rule
/// it does not touch keeps its default, empty APN: the part of the default it reaches is enough.)
fn cuts_wan(store: &Store, default: &Value, additions: &Diff, target: &Diff) -> bool {
    let Some(bad) = store.break_apn.as_deref() else {
        return false;
    };
    let base = prune::prune(default, &[additions, target]);
    let Ok(config) = prune::apply_all(&base, &[additions, target]) else {
        return false;
    };
    ["rules", "rules2"].iter().any(|r| {
        config["wan"][*r]
            .as_array()
            .into_iter()
            .flatten()
            .any(|rule| rule["modem"]["manual_apn"].as_str() == Some(bad))
    })
}

/// The device applied a config that cut its WAN: it goes offline (NCM never hears it synced)
/// and will roll back after `rollback_after`.
fn cut_off(store: &mut Store, cm_id: &str, cm: &Value, rid: &str, now: Instant) {
    let previous = cm.get("actual").cloned().unwrap_or(Value::Null);
    let when = now + store.rollback_after;
    store
        .rollback_due
        .insert(cm_id.to_string(), (when, previous));
    if let Some(r) = store.find_mut("routers", rid) {
        r["state"] = json!("offline");
        r["state_updated_at"] = json!(ts(chrono::Utc::now()));
    }
}

/// The spec's "Config Rollback": a cut-off device that could not reach NCM reverts to its
/// previous config, comes back online and tells NCM, which suspends its config sync.
pub fn run_due_rollbacks(store: &mut Store, now: Instant) {
    let due: Vec<String> = store
        .rollback_due
        .iter()
        .filter(|(_, (t, _))| *t <= now)
        .map(|(k, _)| k.clone())
        .collect();
    for cm_id in due {
        let Some((_, previous)) = store.rollback_due.remove(&cm_id) else {
            continue;
        };
        let Some(cm) = store
            .find("configuration_managers", &cm_id)
            .map(std::borrow::Cow::into_owned)
        else {
            continue;
        };
        let rid = router_of(store, &cm)
            .and_then(|r| r["id"].as_str().map(str::to_string))
            .unwrap_or_default();
        if let Some(rec) = store.find_mut("configuration_managers", &cm_id) {
            rec["actual"] = previous;
            rec["synched"] = json!(false);
            rec["suspended"] = json!(true);
        }
        if let Some(r) = store.find_mut("routers", &rid) {
            r["state"] = json!("online");
            r["state_updated_at"] = json!(ts(chrono::Utc::now()));
            r["config_status"] = json!("suspended");
        }
    }
}

/// The spec's body for the "strange validation error".
pub fn missing_id_body(cm_url: &str, key: &str) -> Value {
    json!({"exception": {"message": format!("invalid literal for int() with base 10: '{key}'"), "type": "error"},
           "errors": [{"path": cm_url}]})
}

/// The default configuration of a firmware record's product and version (shared).
pub fn firmware_default(store: &Store, fw: &Value) -> Arc<Value> {
    let product = product_name(store, fw);
    super::ncos::default_config(&product, fw["version"].as_str().unwrap_or("7.22.60"))
}

/// The default config a group's configuration is validated on.
pub fn group_default(store: &Store, group: &Value) -> Arc<Value> {
    let (p, v) = group_firmware(store, group);
    super::ncos::default_config(&p, &v)
}

/// The default config a configuration manager's configuration is validated on.
pub fn cm_default(store: &Store, cm: &Value) -> Arc<Value> {
    match router_of(store, cm) {
        Some(r) => router_default(store, &r),
        None => super::ncos::default_config("IBR900", "7.22.60"),
    }
}

/// The default config of a router's (target, else actual) firmware: what its configuration is
/// validated on and its target formatted for.
fn router_default(store: &Store, router: &Value) -> Arc<Value> {
    let (p, v) = firmware_of(store, router);
    super::ncos::default_config(&p, &v)
}

/// The default config of the firmware a router runs: what its `actual` is a diff from.
pub fn device_default(store: &Store, router: &Value) -> Arc<Value> {
    let (p, v) = actual_firmware_of(store, router);
    super::ncos::default_config(&p, &v)
}

/// The diff a record holds under `key` (`configuration`, `target`, `actual`...); empty when none.
pub fn diff_of(rec: &Value, key: &str) -> Diff {
    rec.get(key)
        .and_then(|c| Diff::from_value(c).ok())
        .unwrap_or_default()
}

/// Text of an id field.
pub fn id_text(v: &Value) -> String {
    text_of(v)
}

/// What a router's configuration layers are as the fleet starts: the firmware defaults of its
/// target and actual firmware, its group's and its own configuration written for each, and
/// what its device added.
pub struct Layers<'a> {
    pub target_default: &'a Value,
    pub device_default: &'a Value,
    pub group: &'a Diff,
    pub individual: &'a Diff,
    /// The group's and the individual configuration as written for the actual firmware (the
    /// same as `group` and `individual` when it is the target one).
    pub device_group: &'a Diff,
    pub device_individual: &'a Diff,
    pub additions: &'a Diff,
}

/// A configuration manager's `target`, `actual` and `pending` as the fleet starts, consistent
/// with its layers: a synched device reports what it runs (its additions, the group's and its
/// own configuration) in its own offset form; another is one version behind, without its
/// individual configuration yet, with the difference pending (none while its firmware is not
/// the target one). Computed on the parts of the defaults the layers reach.
pub fn initial_state(
    l: &Layers<'_>,
    version: u64,
    synched: bool,
    same_firmware: bool,
) -> [Value; 3] {
    let target = with_version(diff::layer(l.group, l.individual), version);
    let device = |layers: &[&Diff], v: u64| {
        prune::device_form_fast(l.device_default, layers)
            .or_else(|| prune::device_form(l.device_default, layers).ok())
            .map(|d| with_version(d, v))
            .unwrap_or_else(|| target.clone())
    };
    // The group's and the individual configuration applied one after the other: what their
    // layering gives (the generated ones remove nothing), without copying them into one.
    if synched {
        let actual = device(&[l.additions, l.device_group, l.device_individual], version);
        return [
            target.into_value(),
            actual.into_value(),
            Diff::empty().into_value(),
        ];
    }
    let actual = device(&[l.additions, l.device_group], version.saturating_sub(1));
    let pending = if same_firmware {
        prune::between(l.target_default, &[&actual], &[l.additions, &target], true)
            .unwrap_or_else(|_| target.clone())
    } else {
        Diff::empty()
    };
    [
        target.into_value(),
        actual.into_value(),
        pending.into_value(),
    ]
}
