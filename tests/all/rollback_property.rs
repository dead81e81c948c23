//! Property, on the simulator's realistic fleet: roll out a random change, roll it back, and the
//! router runs what it ran before — its effective configuration (its firmware's default with
//! its `actual` over it, secrets in clear, as the simulator holds them) is the same — or, where
//! putting it back would lose a secret NCM shows only as "*", the rollback says so (`needs
//! manual rollback`, naming the secret paths) and writes nothing to that router. 1,000 seeded
//! (router, change) pairs: each change sets a random leaf of the router's NCOS tree (a secret one
//! among them) or adds a list element (a port forward, a filter policy, a certificate with its
//! key), drawn from the firmware default the router's configuration is written for. The fleet's
//! pending firmware upgrades are played first, so the routers generated one firmware behind take
//! part too, on the firmware (and with the `actual` form) they upgraded to.

use crate::common::*;
use fleetscript::diff::{self, Diff};
use fleetscript::ncm::bulk::{self, BulkOptions, Change, JournalFile};
use fleetscript::sim::{config_sync, firmware, SimOptions, Simulator};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::time::Duration;

const ROUTERS: usize = 400;
const BATCHES: usize = 10;
const PER_BATCH: usize = 100;

/// What the simulator holds of a router: its configuration manager id, its configuration, and
/// its `actual` (without NCM's version counter) with the default it is a diff from.
struct Held {
    cm: String,
    configuration: Value,
    actual: Diff,
    default: std::sync::Arc<Value>,
}

impl Held {
    /// What changed in the router's effective configuration from `self` to `then` (computed on
    /// the part of the default the two reach, as the simulator does).
    fn moved(&self, then: &Held) -> Diff {
        fleetscript::sim::ncos::prune::between(
            &self.default,
            &[&self.actual],
            &[&then.actual],
            true,
        )
        .unwrap()
    }
}

fn held(
    sim: &Simulator,
    routers: &[(String, String, std::sync::Arc<Value>)],
) -> HashMap<String, Held> {
    sim.with_store(|s| {
        routers
            .iter()
            .map(|(r, cm_id, _)| {
                let cm = s
                    .find("configuration_managers", cm_id)
                    .unwrap()
                    .into_owned();
                let router = s.find("routers", r).unwrap().into_owned();
                let mut actual = Diff::from_value(&cm["actual"]).unwrap();
                actual.updates["ecm"]
                    .as_object_mut()
                    .unwrap()
                    .shift_remove("config_version");
                let h = Held {
                    cm: cm_id.clone(),
                    configuration: cm["configuration"].clone(),
                    actual,
                    default: config_sync::device_default(s, &router),
                };
                (r.clone(), h)
            })
            .collect()
    })
}

/// Plays the firmware upgrades the fleet has pending: every online router whose group targets
/// another firmware upgrades to it (as NCM would have it do), so that it runs the firmware its
/// configuration is written for. Returns how many upgraded.
fn upgrade_pending(sim: &Simulator) -> usize {
    let pending: Vec<String> = sim.with_store(|s| {
        let now = s.now();
        let ids: Vec<String> = s
            .table("routers")
            .iter()
            .filter(|r| r["state"] == "online" && r["upgrade_pending"] == true)
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        for r in &ids {
            firmware::follow_group(s, r, now);
        }
        ids
    });
    sim.advance(Duration::from_secs(1));
    sim.with_store(|s| {
        let now = s.now();
        firmware::run_due_upgrades(s, now);
        // Back online, each reports in at once (the store's clock has moved on since `now`).
        config_sync::run_due_syncs(s, s.now());
        for r in &pending {
            let router = s.find("routers", r).unwrap();
            assert_eq!(router["actual_firmware"], router["target_firmware"], "{r}");
            assert_eq!(router["state"], "online", "{r}");
        }
    });
    pending.len()
}

/// Routers a change can be rolled out to and verified on: online, synched, not suspended, and
/// running the firmware their configuration targets (NCM computes no change across firmware
/// versions; [`upgrade_pending`] has brought the fleet's pending upgrades in), with the default
/// it is written for.
fn eligible(sim: &Simulator) -> Vec<(String, String, std::sync::Arc<Value>)> {
    let cms = sim.records("configuration_managers");
    sim.with_store(|s| {
        s.table("routers")
            .iter()
            .filter(|r| r["state"] == "online" && r["config_status"] == "synched")
            .filter(|r| {
                r["target_firmware"].is_null() || r["target_firmware"] == r["actual_firmware"]
            })
            .filter_map(|r| {
                let rid = r["id"].as_str().unwrap().to_string();
                let cm = cms.iter().find(|c| {
                    c["router"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!("/routers/{rid}/"))
                        && c["synched"] == true
                        && c["suspended"] == false
                })?;
                let cm = cm["id"].as_str().unwrap().to_string();
                Some((rid, cm, config_sync::device_default(s, &r)))
            })
            .collect()
    })
}

/// A key addressing element `i` of a list: its `_id_` when it has one (as NCM requires), else
/// its offset.
fn element_key(a: &[Value], i: usize) -> String {
    a[i].get("_id_")
        .and_then(Value::as_str)
        .map_or_else(|| i.to_string(), str::to_string)
}

/// A new value of the same kind for a leaf, valid where NCM checks values.
fn new_value(rng: &mut ChaCha8Rng, key: &str, old: &Value) -> Option<Value> {
    Some(match (key, old) {
        ("ip_address", Value::String(s)) if s.parse::<std::net::Ipv6Addr>().is_ok() => {
            json!(format!("2001:db8::{:x}", rng.random::<u16>()))
        }
        ("ip_address" | "gateway" | "server" | "remote_gateway", Value::String(_)) => {
            json!(format!(
                "10.{}.{}.{}",
                rng.random_range(0..255),
                rng.random_range(0..255),
                rng.random_range(1..254)
            ))
        }
        ("netmask", Value::String(_)) => json!("255.255.0.0"),
        ("ssid", Value::String(_)) => json!(format!("Prop-{:04x}", rng.random::<u16>())),
        ("manual_apn" | "apn", Value::String(_)) => {
            json!(format!("prop{}.example", rng.random_range(0..999)))
        }
        (_, Value::String(_)) if diff::is_secret(&[json!(key)]) => {
            json!(format!("prop-secret-{:08x}", rng.random::<u32>()))
        }
        (_, Value::String(s)) => json!(format!("{s}-prop{}", rng.random_range(0..99))),
        (_, Value::Bool(b)) => json!(!b),
        (_, Value::Number(n)) if n.is_f64() => json!(n.as_f64()? + 0.5),
        (_, Value::Number(n)) => json!(n.as_i64()?.saturating_add(1)),
        _ => return None,
    })
}

/// A random leaf of `tree`, as the updates of a diff that sets it to a new value.
fn leaf_change(rng: &mut ChaCha8Rng, tree: &Value) -> Option<Map<String, Value>> {
    let (key, node) = match tree {
        Value::Object(m) if !m.is_empty() => {
            let keys: Vec<&String> = m.keys().filter(|k| *k != "_id_" && *k != "ecm").collect();
            let k = keys.get(rng.random_range(0..keys.len().max(1)))?;
            ((*k).clone(), &m[*k])
        }
        _ => return None,
    };
    let value = match node {
        Value::Object(_) => Value::Object(leaf_change(rng, node)?),
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_object) => {
            let i = rng.random_range(0..a.len());
            let ek = element_key(a, i);
            let mut sub = leaf_change(rng, &a[i])?;
            if ek.len() == 36 {
                sub.insert("_id_".into(), json!(ek));
            }
            json!({ ek: sub })
        }
        Value::Array(_) => return None,
        leaf => new_value(rng, &key, leaf)?,
    };
    Some([(key, value)].into_iter().collect())
}

/// A new list element: a port forward (offset-keyed), a filter policy or a certificate with its
/// private key (`_id_`-keyed, a new UUID).
fn added_element(rng: &mut ChaCha8Rng, default: &Value) -> Map<String, Value> {
    let id = uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string();
    let updates = match rng.random_range(0..3) {
        0 => {
            let at = default["firewall"]["portfwd"]
                .as_array()
                .map_or(0, Vec::len);
            json!({"firewall": {"portfwd": {at.to_string(): {"name": "prop", "enabled": true,
                "ip_address": "192.168.0.77", "protocol": "tcp", "wan_port_start": 7777,
                "wan_port_end": 7777, "lan_port_offt": 0}}}})
        }
        1 => {
            json!({"security": {"zfw": {"filter_policies": {id.clone(): {"_id_": id, "name": "Prop",
            "default_action": "deny", "log": false, "rules": []}}}}})
        }
        _ => json!({"certmgmt": {"certs": {id.clone(): {"_id_": id, "name": "prop-cert",
            "x509": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "key": format!("prop-private-key-{:08x}", rng.random::<u32>())}}}}),
    };
    updates.as_object().unwrap().clone()
}

fn random_change(rng: &mut ChaCha8Rng, default: &Value) -> Diff {
    loop {
        let updates = if rng.random_bool(0.2) {
            Some(added_element(rng, default))
        } else {
            leaf_change(rng, default)
        };
        if let Some(updates) = updates {
            return Diff {
                updates,
                removals: vec![],
            };
        }
    }
}

/// One batch: changes for `routers`, rolled out, synced, rolled back, synced; checks the
/// property for each; returns how many rollbacks restored and how many needed a human.
fn batch(
    sim: &Simulator,
    rng: &mut ChaCha8Rng,
    routers: &[(String, String, std::sync::Arc<Value>)],
    dir: &std::path::Path,
) -> (usize, usize) {
    let ids: Vec<String> = routers.iter().map(|(r, _, _)| r.clone()).collect();
    let before = held(sim, routers);
    let changes: Vec<Change> = routers
        .iter()
        .map(|(r, _, default)| Change {
            router: r.clone(),
            diff: random_change(rng, default),
        })
        .collect();
    let rt = runtime_for(sim);
    let path = dir.join(format!("{}.journal", ids[0]));
    let opts = BulkOptions {
        journal: Some(JournalFile::open(&path).unwrap()),
        verify: true,
        verify_timeout: Duration::from_secs(60),
        poll_interval: Duration::from_millis(5),
        max_failures: None,
        rate: 0.0,
        progress: false,
        ..Default::default()
    };
    let report = bulk::apply_all(rt.ncm(), &changes, &opts).unwrap();
    assert!(report.halted.is_none(), "{:?}", report.halted);
    let written = held(sim, routers);
    let reverted =
        bulk::rollback_journal(rt.ncm(), &JournalFile::open(&path).unwrap(), 0.0).unwrap();
    sim.with_store(|s| {
        let now = s.now();
        config_sync::run_due_syncs(s, now);
    });
    let after = held(sim, routers);
    let outcome: HashMap<&str, &fleetscript::ncm::bulk::Outcome> = report
        .outcomes
        .iter()
        .map(|o| (o.router.as_str(), o))
        .collect();
    let (mut restored, mut manual) = (0, 0);
    for (r, change) in ids.iter().zip(&changes) {
        let o = outcome[r.as_str()];
        let what = format!(
            "router {r}, change {}, rollout {} ({})",
            change.diff.to_value(),
            o.status.as_str(),
            o.reason
        );
        match reverted.iter().find(|x| &x.router == r) {
            Some(x) if x.status == "needs manual rollback" => {
                manual += 1;
                assert!(x.reason.contains("secret"), "{what}: {}", x.reason);
                assert_eq!(
                    after[r].configuration, written[r].configuration,
                    "{what}: nothing written"
                );
            }
            Some(x) => {
                assert!(x.restores(), "{what}: rollback {} ({})", x.status, x.reason);
                restored += 1;
                let moved = before[r].moved(&after[r]);
                assert!(
                    moved.is_empty(),
                    "{what}: rollback {} ({}), configuration {} -> {}, runs differently: {}",
                    x.status,
                    x.reason,
                    before[r].configuration,
                    after[r].configuration,
                    moved.to_value()
                );
            }
            // Nothing of it was written (refused, or already so): nothing to undo.
            None => {
                assert_ne!(
                    o.status.as_str(),
                    "ok",
                    "{what}: written but not in the journal"
                );
                let moved = before[r].moved(&after[r]);
                assert!(moved.is_empty(), "{what}: {}", moved.to_value());
            }
        }
        assert_eq!(after[r].cm, before[r].cm);
    }
    (restored, manual)
}

#[test]
fn a_random_change_rolled_out_and_back_leaves_every_router_running_what_it_ran() {
    let sim = Simulator::start(SimOptions {
        routers: ROUTERS,
        seed: 11,
        sync_delay: Duration::ZERO,
        upgrade_time: Duration::from_millis(1),
        ..Default::default()
    })
    .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(27);
    let upgraded = upgrade_pending(&sim);
    assert!(upgraded > 0, "the fleet has upgrades pending");
    let pool = eligible(&sim);
    assert!(
        pool.len() >= PER_BATCH * 2,
        "{} routers to draw from",
        pool.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let (mut restored, mut manual) = (0, 0);
    for _ in 0..BATCHES {
        let mut picked = pool.clone();
        for i in 0..PER_BATCH {
            let j = rng.random_range(i..picked.len());
            picked.swap(i, j);
        }
        picked.truncate(PER_BATCH);
        let (r, m) = batch(&sim, &mut rng, &picked, dir.path());
        restored += r;
        manual += m;
    }
    println!(
        "{} pairs: {restored} restored, {manual} left for a human (secrets); {upgraded} routers upgraded first",
        BATCHES * PER_BATCH
    );
    // Both outcomes occur on a realistic fleet: most changes are put back, and those that would
    // lose a secret are refused.
    assert!(restored > BATCHES * PER_BATCH / 2, "{restored}");
    assert!(manual > 0, "{manual}");
}
