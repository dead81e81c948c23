//! Firmware upgrades, played: a router whose group's `target_firmware` differs from its
//! `actual_firmware` sets `upgrade_pending`, downloads (one sync delay), goes `offline` while it
//! installs (`--upgrade-secs`), and comes back on the target firmware with a `firmware_upgrade`
//! alert, its legacy `wan.rules` moved to `wan.rules2` when it crosses firmware 6.0. A version
//! given to `--break-firmware` fails to install (the router comes back on its old firmware, the
//! alert says `success: false`); one given to `--brick-firmware` never comes back.
//!
//! The spec (`ncm-api-v2.txt`, alert types): "firmware_upgrade | The device firmware has been
//! upgraded." and its info: `{ state: "complete", target_firmware: { version: "5.3.0",
//! build_timestamp: "2014-11-28T15:37:39+00:00" }, id: 179498, success: true, error:
//! "install_timeout" }`. The notes (`ncos-config-notes.md` §6): "`target_firmware` follows the
//! group, and `actual_firmware` changes once the router has upgraded and reported in"; no source
//! gives the durations, so they are options here.

use super::store::{timeuuid, ts, Store};
use crate::ncm::defaults::{uses_rules2, RULES2_ETHERNET_ID, RULES2_LTE_ID};
use crate::ncm::defaults::{RULES_ETHERNET_ID, RULES_LTE_ID};
use crate::ncm::id_of;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Where an upgrade is: downloading (the router still online), then installing (offline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Downloading,
    Installing,
}

#[derive(Debug, Clone)]
struct Upgrade {
    /// The firmware URL the router upgrades to.
    target: String,
    phase: Phase,
    due: Instant,
}

/// The routers upgrading, and how upgrades go.
#[derive(Debug, Clone, Default)]
pub struct Upgrades {
    /// How long a router is offline installing.
    pub install_time: Duration,
    /// How long a router takes to download (the sync delay).
    pub download_time: Duration,
    /// A version whose install fails (`--break-firmware`).
    pub break_version: Option<String>,
    /// A version that leaves the router offline for good (`--brick-firmware`).
    pub brick_version: Option<String>,
    due: HashMap<String, Upgrade>,
    /// (router, firmware) installs that failed: not tried again.
    failed: HashSet<(String, String)>,
}

impl Upgrades {
    pub fn any_due(&self) -> bool {
        !self.due.is_empty()
    }
}

/// Sets a router's target to its group's firmware (none without a group) and starts the upgrade
/// when that differs from what it runs and it is online.
pub fn follow_group(store: &mut Store, rid: &str, now: Instant) {
    let Some(router) = store.find("routers", rid).map(std::borrow::Cow::into_owned) else {
        return;
    };
    let target = router["group"]
        .as_str()
        .and_then(id_of)
        .and_then(|g| {
            store
                .find("groups", &g)
                .map(|g| g["target_firmware"].clone())
        })
        .unwrap_or(Value::Null);
    let actual = router["actual_firmware"].as_str().and_then(id_of);
    let pending = target.as_str().is_some_and(|t| id_of(t) != actual);
    if let Some(r) = store.find_mut("routers", rid) {
        r["target_firmware"] = target.clone();
        r["upgrade_pending"] = json!(pending);
    }
    let upgrades = &mut store.upgrades;
    match target.as_str().filter(|_| pending) {
        Some(t) if !upgrades.failed.contains(&(rid.to_string(), t.to_string())) => {
            if router["state"] == "online" && upgrades.due.get(rid).is_none_or(|u| u.target != t) {
                let due = now + upgrades.download_time;
                let (target, phase) = (t.to_string(), Phase::Downloading);
                upgrades
                    .due
                    .insert(rid.to_string(), Upgrade { target, phase, due });
            }
        }
        // Back to its own firmware, or no group: a download not yet installing stops.
        _ => {
            if upgrades
                .due
                .get(rid)
                .is_some_and(|u| u.phase == Phase::Downloading)
            {
                upgrades.due.remove(rid);
            }
        }
    }
}

/// Moves every upgrade on through the phases that are due by `now` (each phase timed from the
/// end of the one before, however seldom the simulator is asked).
pub fn run_due_upgrades(store: &mut Store, now: Instant) {
    while store.upgrades.any_due() {
        let due: Vec<(String, Upgrade)> = store
            .upgrades
            .due
            .iter()
            .filter(|(_, u)| u.due <= now)
            .map(|(r, u)| (r.clone(), u.clone()))
            .collect();
        if due.is_empty() {
            return;
        }
        for (rid, u) in due {
            match u.phase {
                Phase::Downloading => {
                    set_state(store, &rid, "offline");
                    let due = u.due + store.upgrades.install_time;
                    let next = Upgrade {
                        phase: Phase::Installing,
                        due,
                        ..u
                    };
                    store.upgrades.due.insert(rid, next);
                }
                Phase::Installing => {
                    store.upgrades.due.remove(&rid);
                    install(store, &rid, &u.target);
                }
            }
        }
    }
}

/// The end of an install: bricked (stays offline), failed (back on the old firmware) or done.
fn install(store: &mut Store, rid: &str, target: &str) {
    let version = firmware_field(store, target, "version");
    if store.upgrades.brick_version.as_deref() == Some(version.as_str()) {
        return;
    }
    let failed = store.upgrades.break_version.as_deref() == Some(version.as_str());
    if failed {
        let key = (rid.to_string(), target.to_string());
        store.upgrades.failed.insert(key);
    } else {
        let old = store
            .find("routers", rid)
            .and_then(|r| r["actual_firmware"].as_str().map(str::to_string))
            .unwrap_or_default();
        if !uses_rules2(&firmware_field(store, &old, "version")) && uses_rules2(&version) {
            migrate_rules(store, rid);
        }
        if let Some(r) = store.find_mut("routers", rid) {
            r["actual_firmware"] = json!(target);
            r["upgrade_pending"] = json!(false);
        }
    }
    set_state(store, rid, "online");
    alert(store, rid, target, &version, failed);
    // Its configuration is now built on the new firmware's defaults, and the router reports
    // what it runs as soon as it is back (its `actual` in the new firmware's form).
    let now = store.now();
    for cm in super::config_sync::ids_linking(store, "configuration_managers", "router", rid) {
        super::config_sync::retarget(store, &cm, now);
        super::config_sync::report_in(store, &cm, now);
    }
}

fn firmware_field(store: &Store, url: &str, field: &str) -> String {
    id_of(url)
        .and_then(|id| store.find("firmwares", &id).map(|f| f[field].clone()))
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn set_state(store: &mut Store, rid: &str, state: &str) {
    if let Some(r) = store.find_mut("routers", rid) {
        r["state"] = json!(state);
        r["state_updated_at"] = json!(ts(chrono::Utc::now()));
    }
}

/// The `firmware_upgrade` alert, with the spec's info fields.
fn alert(store: &mut Store, rid: &str, target: &str, version: &str, failed: bool) {
    let when = chrono::Utc::now();
    let seq = store.alloc_id("router_alerts");
    let fw_id: u64 = id_of(target).and_then(|i| i.parse().ok()).unwrap_or(0);
    let info = json!({
        "state": "complete",
        "target_firmware": {"version": version, "build_timestamp": firmware_field(store, target, "built_at")},
        "id": fw_id,
        "success": !failed,
        "error": if failed { json!("install_timeout") } else { Value::Null },
    });
    let friendly = if failed {
        format!("The firmware upgrade to {version} failed: install_timeout")
    } else {
        format!("The device firmware has been upgraded to {version}.")
    };
    let alert = json!({"created_at": ts(when), "created_at_timeuuid": timeuuid(when, 9_500_000 + seq),
        "detected_at": ts(when), "friendly_info": friendly, "info": info,
        "router": store.url("routers", rid), "type": "firmware_upgrade"});
    store.push("router_alerts", alert.clone());
    store.push("alerts", alert);
}

/// Legacy rule ids and the `rules2` ids of the same defaults.
const RULE_IDS: [(&str, &str); 2] = [
    (RULES_ETHERNET_ID, RULES2_ETHERNET_ID),
    (RULES_LTE_ID, RULES2_LTE_ID),
];
/// Keys of a legacy rule that `rules2` has no place for (it matches on one `trigger_string`).
const LEGACY_ONLY: [&str; 4] = [
    "trigger_field",
    "trigger_predicate",
    "trigger_value",
    "trigger_priority",
];

/// The router's individual `wan.rules` moved to `wan.rules2` (default rules to their `rules2`
/// ids, the legacy trigger keys dropped; its removals too) and `wan.rules_migrated_to_rules2`
/// set, as a router crossing firmware 6.0 does (the notes, §4: "Treat firmware 6.x and later as
/// rules2-based").
fn migrate_rules(store: &mut Store, rid: &str) {
    for cm_id in super::config_sync::ids_linking(store, "configuration_managers", "router", rid) {
        let Some(cm) = store.find_mut("configuration_managers", &cm_id) else {
            continue;
        };
        if let Some(removals) = cm["configuration"].get_mut(1).and_then(Value::as_array_mut) {
            for path in removals.iter_mut().filter_map(Value::as_array_mut) {
                if path.len() >= 2 && path[0] == "wan" && path[1] == "rules" {
                    path[1] = json!("rules2");
                    if let Some(k) = path.get_mut(2) {
                        *k = json!(new_rule_key(k.as_str().unwrap_or_default()));
                    }
                }
            }
        }
        let Some(wan) = cm["configuration"]
            .get_mut(0)
            .and_then(|u| u.get_mut("wan"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let Some(Value::Object(rules)) = wan.remove("rules") else {
            continue;
        };
        let mut moved = match wan.remove("rules2") {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        for (k, mut v) in rules {
            if let Some(o) = v.as_object_mut() {
                for f in LEGACY_ONLY {
                    o.remove(f);
                }
                if let Some(id) = o.get("_id_").and_then(Value::as_str) {
                    let id = new_rule_key(id);
                    o.insert("_id_".into(), json!(id));
                }
            }
            moved.insert(new_rule_key(&k), v);
        }
        wan.insert("rules2".into(), Value::Object(moved));
        wan.insert("rules_migrated_to_rules2".into(), json!(true));
    }
}

/// A legacy default rule's id as its `rules2` id (other keys unchanged).
fn new_rule_key(k: &str) -> String {
    RULE_IDS
        .iter()
        .find(|(old, _)| *old == k)
        .map_or(k, |(_, new)| *new)
        .to_string()
}
