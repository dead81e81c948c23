//! The simulator's deterministic, seeded fleet: accounts, products, firmwares, groups, routers,
//! net devices, configuration managers, alerts, logs, samples, locations, failovers, batteries,
//! device apps and speed tests, with the record shapes of the NCM spec. One seeded pass draws a
//! small [`Core`] per router (what links its records to each other); every per-router record is
//! built from it on demand ([`Fleet`] is the store's record source), each with its own seeded
//! random stream, so a 100,000-router fleet starts in a moment and costs a few bytes a record.
//! Fleet-wide tables of bounded size are kept as values. Configurations are NCOS-shaped
//! (`super::ncos`): a shared default tree per (product, firmware), each group's configuration,
//! and each router's own configuration and device additions drawn from its seed when its
//! configuration manager is built.
//!
//! This file draws the fleet (the seeded pass and the fleet-wide tables); `records` builds the
//! per-router records from it.

use super::ncos;
use super::ncos::layers::{GroupSpec, Purpose};
use super::store::{log_id, timeuuid, ts, Row, Store};
use crate::diff::Diff;
use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

mod records;
#[cfg(test)]
mod tests;

pub const PRODUCTS: &[(u64, &str, &str)] = &[
    (1, "MBR1400", "router"),
    (41, "IBR900", "router"),
    (46, "AER2200", "router"),
    (50, "IBR1700", "router"),
    (58, "E100", "router"),
    (60, "E300", "router"),
];

/// First ids of the per-router tables (a router's records are numbered from its position).
const FIRST_ROUTER: u64 = 10_001;
const FIRST_NET_DEVICE: u64 = 50_001;
const FIRST_CM: u64 = 500_007;
const FIRST_LOCATION: u64 = 7000;
const FIRST_BATTERY: u64 = 15_000;

/// Random streams of the records built on demand, one per table.
#[derive(Clone, Copy)]
enum Stream {
    NetDevice = 1,
    Metric,
    Config,
    Location,
    Battery,
    Failover,
    Modem,
}

/// Everything one router's records are built from that links them to each other.
#[derive(Debug, Clone, Copy)]
struct Core {
    product: u8,
    /// Group id; 0 when the router is in none.
    group: u32,
    actual_fw: u32,
    state: u8,
    state_age: u32,
    config_status: u8,
    has_location: bool,
    created_age: u32,
    reboot_required: bool,
    version: u8,
    /// Seconds since the device rejected a config (0: it did not).
    reject_age: u32,
    reject_reason: u8,
}

/// The generated fleet: the record source behind the simulator's store.
#[derive(Debug)]
pub struct Fleet {
    seed: u64,
    now: DateTime<Utc>,
    prefix: String,
    account: String,
    cores: Vec<Core>,
    /// Firmware ids and versions of each product (by position in [`PRODUCTS`]), oldest first.
    firmwares: Vec<Vec<(u64, &'static str)>>,
    /// Each group's configuration spec (what its configuration is drawn from).
    groups: HashMap<u32, GroupSpec>,
    /// Group configurations written for a firmware (a router's actual firmware may not be its
    /// group's): (group, firmware id) -> configuration. Bounded by groups x firmwares.
    group_layers: Mutex<HashMap<(u32, u64), Arc<Diff>>>,
    /// The configuration managers built last (building one draws and layers its
    /// configurations: far more work than any other record), so that reading the same few
    /// thousand again (a job's repeated listings, a test's checks) does not build them again.
    built_cms: Mutex<Built>,
}

/// A bounded first-in-first-out cache of built records by position.
#[derive(Debug, Default)]
struct Built {
    records: HashMap<u32, Arc<Value>>,
    order: std::collections::VecDeque<u32>,
}

/// How many built configuration managers are kept: a built one is about ten times its JSON in
/// memory (some 90 KiB), so 512 of them are some 45 MiB.
const BUILT_CMS: usize = 512;

impl Built {
    fn get(&self, idx: u32) -> Option<Value> {
        self.records.get(&idx).map(|v| v.as_ref().clone())
    }

    fn keep(&mut self, idx: u32, v: &Value) {
        if self.records.len() >= BUILT_CMS {
            if let Some(old) = self.order.pop_front() {
                self.records.remove(&old);
            }
        }
        if self.records.insert(idx, Arc::new(v.clone())).is_none() {
            self.order.push_back(idx);
        }
    }
}

fn compact(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.retain(|_, x| !x.is_null());
    }
    v
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Builds the fleet for `routers` devices from `seed`. Times are relative to `now`.
pub fn generate(routers: usize, seed: u64, now: DateTime<Utc>, prefix: &str) -> Store {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fleet = Fleet {
        seed,
        now,
        prefix: prefix.to_string(),
        account: format!("{prefix}accounts/{ROOT_ACCOUNT}/"),
        cores: vec![],
        firmwares: vec![],
        groups: HashMap::new(),
        group_layers: Mutex::default(),
        built_cms: Mutex::default(),
    };
    let mut s = Store::with_source(prefix, None);
    accounts(&mut s);
    fleet.firmwares = products_and_firmwares(&mut s, &mut rng, now);
    let groups = groups(&mut s, &mut fleet);
    fleet.cores = (0..routers)
        .map(|_| draw_core(&mut rng, &fleet.firmwares, &groups))
        .collect();
    let fleet = Arc::new(fleet);
    s.set_source(fleet.clone());
    per_router_rows(&mut s, &fleet);
    let account_alerts = fleet_wide(&mut s, &fleet, &mut rng);
    let (router_alerts, alerts) = alert_rows(&fleet, account_alerts);
    s.push_rows("router_alerts", router_alerts);
    s.push_rows("alerts", alerts);
    s
}

const ROOT_ACCOUNT: u64 = 1000;

/// The owning account and two sub-accounts.
fn accounts(s: &mut Store) {
    for (id, name, parent) in [
        (ROOT_ACCOUNT, "fleet-root", 900u64),
        (1001, "east-region", ROOT_ACCOUNT),
        (1002, "west-region", ROOT_ACCOUNT),
    ] {
        let r = json!({"account": s.url("accounts", parent), "id": id.to_string(), "is_disabled": false,
            "name": name, "resource_url": s.url("accounts", id)});
        s.push("accounts", r);
    }
}

/// The firmware versions of a product in the simulated catalog, oldest first: two for the
/// MBR1400 (one before `wan.rules2`), three NCOS 7 ones for the others.
pub fn firmware_versions(product: &str) -> &'static [&'static str] {
    if product == "MBR1400" {
        &["5.4.0", "6.1.0"]
    } else {
        &["7.22.60", "7.23.40", "7.24.10"]
    }
}

/// Products, and the firmwares of each (two for the MBR1400, three for the others).
fn products_and_firmwares(
    s: &mut Store,
    rng: &mut ChaCha8Rng,
    now: DateTime<Utc>,
) -> Vec<Vec<(u64, &'static str)>> {
    let mut by_product = vec![];
    let mut fw_id = 300u64;
    for (pid, name, dtype) in PRODUCTS {
        s.push(
            "products",
            json!({"device_type": dtype, "id": pid.to_string(), "name": name,
            "resource_url": s.url("products", pid), "series": 3}),
        );
        let versions = firmware_versions(name);
        let mut fws = vec![];
        for (i, v) in versions.iter().enumerate() {
            fw_id += 1;
            let built = now - chrono::Duration::seconds(86400 * (400 - 90 * i as i64));
            s.push("firmwares", json!({"built_at": ts(built),
                "default_configuration": format!("{}firmwares/{fw_id}/default_configuration/", s.prefix),
                "expires_at": ts(built + chrono::Duration::days(1000)),
                "hash": format!("{:040x}", rng.random::<u128>()), "id": fw_id.to_string(), "is_deprecated": i == 0 && versions.len() > 2,
                "product": s.url("products", pid), "released_at": ts(built),
                "resource_url": s.url("firmwares", fw_id), "uploaded_at": ts(built + chrono::Duration::hours(3)),
                "url": format!("https://firmware.example.invalid/{name}-{v}.bin"), "version": v}));
            fws.push((fw_id, *v));
        }
        by_product.push(fws);
    }
    by_product
}

/// Two groups per product (Stores, Vehicles), on the newest firmware, each with the
/// configuration of its kind of site (`ncos::layers::group`; the Stores groups of the AER2200
/// and IBR1700 run an IPsec tunnel); returns each product's group ids.
fn groups(s: &mut Store, fleet: &mut Fleet) -> Vec<Vec<u32>> {
    let mut by_product = vec![];
    let mut gid = 2000u32;
    for (k, (pid, name, dtype)) in PRODUCTS.iter().enumerate() {
        let mut ids = vec![];
        for (purpose, what) in [(Purpose::Stores, "Stores"), (Purpose::Vehicles, "Vehicles")] {
            gid += 1;
            let fw = fleet.newest_firmware(k);
            let spec = GroupSpec {
                id: gid as u64,
                purpose,
                model: ncos::model(name),
                tunnel: matches!(*name, "AER2200" | "IBR1700"),
                seed: fleet.seed,
            };
            fleet.groups.insert(gid, spec);
            let configuration = fleet.group_layer(gid, fw).to_value();
            let purpose = what;
            s.push(
                "groups",
                json!({"account": fleet.account, "configuration": configuration,
                "device_type": dtype, "id": gid.to_string(), "name": format!("{name} {purpose}"),
                "product": s.url("products", pid), "resource_url": s.url("groups", gid),
                "target_firmware": s.url("firmwares", fw)}),
            );
            ids.push(gid);
        }
        by_product.push(ids);
    }
    by_product
}

/// One router's core, drawn from the fleet's seeded stream.
fn draw_core(rng: &mut ChaCha8Rng, firmwares: &[Vec<(u64, &str)>], groups: &[Vec<u32>]) -> Core {
    let product = rng.random_range(0..PRODUCTS.len());
    let fws = &firmwares[product];
    let group = if rng.random_bool(0.85) {
        groups[product][rng.random_range(0..groups[product].len())]
    } else {
        0
    };
    let newest = fws.last().map_or(0, |f| f.0);
    let actual_fw = if rng.random_bool(0.8) {
        newest
    } else {
        fws[rng.random_range(0..fws.len())].0
    };
    let roll: f64 = rng.random();
    let state = if roll < 0.78 {
        0
    } else if roll < 0.97 {
        1
    } else {
        2
    };
    let state_age = if state == 1 {
        rng.random_range(600..86400 * 20)
    } else {
        rng.random_range(60..86400 * 60)
    };
    let cfg_roll: f64 = rng.random();
    let config_status = if cfg_roll < 0.9 {
        0
    } else if cfg_roll < 0.96 {
        1
    } else {
        2
    };
    // Two draws that once chose a toy individual config, kept so that everything drawn after
    // them (every router's state, firmware, group...) stays what it was.
    let _ = rng.random_bool(0.1) || rng.random_bool(0.05);
    let (reject_age, reject_reason) = if config_status == 2 {
        (rng.random_range(600..86400 * 3), rng.random_range(0..3))
    } else {
        (0, 0)
    };
    Core {
        product: product as u8,
        group,
        actual_fw: actual_fw as u32,
        state,
        state_age,
        config_status,
        has_location: rng.random_bool(0.3),
        created_age: 86400 * rng.random_range(60..900),
        reboot_required: rng.random_bool(0.05),
        version: rng.random_range(1..40),
        reject_age,
        reject_reason,
    }
}

/// The rows of every per-router table, in id order (alerts in time order), and the ids after
/// them.
fn per_router_rows(s: &mut Store, fleet: &Fleet) {
    let n = fleet.cores.len() as u32;
    s.push_rows("routers", (0..n).map(Row::Gen));
    s.push_rows(
        "locations",
        (0..n)
            .filter(|&i| fleet.cores[i as usize].has_location)
            .map(Row::Gen),
    );
    s.push_rows("net_devices", (0..n.saturating_mul(3)).map(Row::Gen));
    s.push_rows("net_device_metrics", (0..n.saturating_mul(2)).map(Row::Gen));
    s.push_rows("configuration_managers", (0..n).map(Row::Gen));
    s.push_rows(
        "batteries",
        (0..n)
            .filter(|&i| PRODUCTS[fleet.cores[i as usize].product as usize].1 == "E100")
            .flat_map(|i| [2 * i, 2 * i + 1])
            .map(Row::Gen),
    );
    s.push_rows(
        "device_failover_events",
        (0..n).filter(|i| i % 10 == 0).map(Row::Gen),
    );
    for (table, first, count) in [
        ("routers", FIRST_ROUTER, n as u64),
        ("net_devices", FIRST_NET_DEVICE, 3 * n as u64),
        ("net_device_metrics", FIRST_NET_DEVICE, 3 * n as u64),
        ("configuration_managers", FIRST_CM, 3 * n as u64),
        ("locations", FIRST_LOCATION, n as u64),
        ("batteries", FIRST_BATTERY, 2 * n as u64),
    ] {
        if count > 0 {
            s.bump_next_id(table, first + count - 1);
        }
    }
}

/// Router alerts (the latest state change, and a `config_rejected` for a suspended sync) and
/// the account's alerts, oldest first.
fn alert_rows(fleet: &Fleet, account_alerts: Vec<(u32, Value)>) -> (Vec<Row>, Vec<Row>) {
    let mut aged: Vec<(u32, Row)> = vec![];
    for (i, c) in fleet.cores.iter().enumerate() {
        aged.push((c.state_age, Row::Gen(2 * i as u32)));
        if c.reject_age > 0 {
            aged.push((c.reject_age, Row::Gen(2 * i as u32 + 1)));
        }
    }
    // Stable: equal ages keep generation order.
    aged.sort_by_key(|(age, _)| std::cmp::Reverse(*age));
    let router_alerts: Vec<Row> = aged.iter().map(|(_, r)| r.clone()).collect();
    aged.extend(
        account_alerts
            .into_iter()
            .map(|(age, v)| (age, Row::Kept(v))),
    );
    aged.sort_by_key(|(age, _)| std::cmp::Reverse(*age));
    (router_alerts, aged.into_iter().map(|(_, r)| r).collect())
}
/// The fleet-wide tables of bounded size (samples, logs and locations of the first routers,
/// device apps, the activity log, a speed test); returns the account-level alerts with their age.
fn fleet_wide(s: &mut Store, fleet: &Fleet, rng: &mut ChaCha8Rng) -> Vec<(u32, Value)> {
    let n = fleet.cores.len() as u64;
    let mut w = FleetWide {
        s,
        now: fleet.now,
        account: fleet.account.clone(),
        rng,
        // Alerts of router `i` use sequence numbers 2i+1 and 2i+2.
        seq: 2 * n,
        router_ids: (0..n.min(200)).map(|i| FIRST_ROUTER + i).collect(),
        modems: (0..n.min(100))
            .map(|i| (FIRST_NET_DEVICE + 3 * i + 1, FIRST_ROUTER + i))
            .collect(),
    };
    let account_alerts = w.account_alerts();
    w.samples();
    w.router_histories();
    w.sdk_apps();
    w.activity_and_speed_test();
    account_alerts
}

/// What the fleet-wide tables are written from, in one seeded pass.
struct FleetWide<'a> {
    s: &'a mut Store,
    now: DateTime<Utc>,
    account: String,
    rng: &'a mut ChaCha8Rng,
    seq: u64,
    router_ids: Vec<u64>,
    /// (net device id, router id) of the first routers' modems.
    modems: Vec<(u64, u64)>,
}

impl FleetWide<'_> {
    fn ago(&self, secs: i64) -> DateTime<Utc> {
        self.now - chrono::Duration::seconds(secs)
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Account-level alerts (merged into the alerts' time order by the caller).
    fn account_alerts(&mut self) -> Vec<(u32, Value)> {
        let account = self.account.clone();
        let mut account_alerts = vec![];
        for k in 0..5u32 {
            let age = 3600 * (k + 1) * 7;
            let t = self.ago(age as i64);
            let sq = self.next_seq();
            account_alerts.push((age, compact(json!({"account": account, "created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq),
            "detected_at": ts(t), "friendly_info": "Verizon data usage alerted at 80 percent of the total monthly data plan.",
            "info": {"alert_rule": {"threshold": 80}, "data_plan": {"carrier_name": "Verizon"}}, "router": null,
            "type": "pdp_account_overage"}))));
        }

        account_alerts
    }

    /// Time-series samples of the first modems (so 100,000 routers stay cheap).
    fn samples(&mut self) {
        let modems = self.modems.clone();
        for (k, (nd, rid)) in modems.iter().take(100).enumerate() {
            let mut uptime = 1000.0;
            for h in 0..24 {
                let t = self.ago(3600 * (24 - h) + k as i64);
                uptime += 3600.0;
                let sq = self.next_seq();
                self.s.push("net_device_usage_samples", json!({"bytes_in": self.rng.random_range(0..90_000_000u64), "bytes_out": self.rng.random_range(0..80_000_000u64),
                "created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq), "net_device": self.s.url("net_devices", nd),
                "period": 3600, "uptime": uptime}));
                let sq = self.next_seq();
                self.s.push("net_device_signal_samples", json!({"cinr": null, "created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq),
                "dbm": self.rng.random_range(-110..-60), "ecio": null, "net_device": self.s.url("net_devices", nd), "rsrp": self.rng.random_range(-120.0..-80.0f64),
                "rsrp5g": null, "rsrq": self.rng.random_range(-15.0..-5.0f64), "rsrq5g": null, "rssi": null, "signal_percent": self.rng.random_range(10..100),
                "sinr": self.rng.random_range(-5.0..25.0f64), "sinr5g": null, "uptime": uptime}));
                let sq = self.next_seq();
                self.s.push("router_stream_usage_samples", json!({"bytes_in": self.rng.random_range(1000..9000), "bytes_out": self.rng.random_range(1000..9000),
                "created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq), "period": 3600.0, "router": self.s.url("routers", rid), "uptime": uptime}));
            }
            // The spec's fields only: "net_device | int | = | The id of the net_device." (the
            // uptime is drawn still, so the rest of the seeded fleet stays as it was).
            let _uptime = self.rng.random_range(0.9..1.0f64);
            self.s.push(
                "net_device_health",
                json!({"net_device": nd.to_string().parse::<u64>().unwrap_or(0)}),
            );
        }
    }

    /// State samples, logs and historical locations of the first routers.
    fn router_histories(&mut self) {
        let router_ids = self.router_ids.clone();
        for (k, rid) in router_ids.iter().take(200).enumerate() {
            for j in 0..5 {
                let t = self.ago(86400 * (5 - j) + k as i64);
                let sq = self.next_seq();
                self.s.push(
                "router_state_samples",
                json!({"created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq),
                "period": self.rng.random_range(60.0..86400.0f64), "router": self.s.url("routers", rid),
                "state": if j % 2 == 0 { "online" } else { "offline" }}),
            );
            }
        }
        for rid in router_ids.iter().take(50) {
            for j in 0..30u64 {
                let t = self.ago(60 * (30 - j as i64));
                let sq = self.next_seq();
                self.s.push("router_logs", json!({"exception": "", "sequence": j, "reported_at": ts(t), "created_at": ts(t + chrono::Duration::seconds(2)),
                "level": (["INFO", "INFO", "DEBUG", "WARNING", "ERROR"][(j % 5) as usize]), "source": (["ecm", "wan", "lan", "modem"][(j % 4) as usize]),
                "router": self.s.url("routers", rid), "message": format!("event {j} on router {rid}"), "created_at_timeuuid": log_id(t + chrono::Duration::seconds(2), sq)}));
            }
        }
        for rid in router_ids.iter().take(20) {
            let (mut lat, mut lon) = (
                39.7 + self.rng.random_range(-1.0..1.0f64),
                -104.9 + self.rng.random_range(-1.0..1.0f64),
            );
            for j in 0..60 {
                let t = self.ago(300 * (60 - j));
                lat += self.rng.random_range(-0.01..0.01);
                lon += self.rng.random_range(-0.01..0.01);
                let sq = self.next_seq();
                self.s.push("historical_locations", json!({"accuracy": self.rng.random_range(3..30), "carrier_id": "Verizon", "cinr": null,
                "created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq), "dbm": self.rng.random_range(-110..-60), "ecio": null,
                "latitude": lat, "longitude": lon, "mph": self.rng.random_range(0.0..70.0f64), "net_device_name": "mdm-0",
                "rfband": "Band 13", "rfband_5g": null, "router": self.s.url("routers", rid), "rsrp": -95.0, "rsrp_5g": null,
                "rsrq": -10, "rsrq_5g": null, "rssi": null, "signal_percent": self.rng.random_range(10..100), "sinr": 8.0,
                "sinr_5g": null, "summary": "connected"}));
            }
        }
    }

    /// SDK apps, their versions, bindings and states.
    fn sdk_apps(&mut self) {
        let account = self.account.clone();
        let router_ids = self.router_ids.clone();
        for (k, name) in ["hello_world", "gps_reporter", "modbus_bridge"]
            .iter()
            .enumerate()
        {
            let app = 17 + k as u64;
            self.s.push("device_apps", json!({"account": account, "name": name, "description": format!("Router SDK {name} application"),
            "uuid": uuid::Uuid::from_u128(self.rng.random()).to_string(), "created_at": ts(self.ago(86400 * 300)),
            "updated_at": ts(self.ago(86400 * 20)), "id": app.to_string(), "resource_url": self.s.url("device_apps", app)}));
            for v in 0..2u64 {
                let vid = 100 + k as u64 * 2 + v;
                self.s.push("device_app_versions", json!({"account": account, "app": self.s.url("device_apps", app),
                "created_at": ts(self.ago(86400 * (200 - v as i64 * 50))), "id": vid.to_string(),
                "resource_url": self.s.url("device_app_versions", vid), "state": "ready", "state_details": "",
                "updated_at": ts(self.ago(86400 * 10)), "version": format!("1.{v}.0")}));
            }
        }
        for (k, g) in [2001u64, 2003].iter().enumerate() {
            let bid = 40 + k as u64;
            self.s.push("device_app_bindings", json!({"account": account, "app_version": self.s.url("device_app_versions", 101 + k as u64 * 2),
            "group": self.s.url("groups", g), "state": "running", "created_at": ts(self.ago(86400 * 30)), "updated_at": ts(self.ago(86400 * 2)),
            "id": bid.to_string(), "resource_url": self.s.url("device_app_bindings", bid)}));
        }
        for (k, rid) in router_ids.iter().take(50).enumerate() {
            let sid = 900 + k as u64;
            self.s.push(
            "device_app_states",
            json!({"account": account, "app_version": self.s.url("device_app_versions", 101),
            "state": if k % 7 == 0 { "error" } else { "started" }, "router": self.s.url("routers", rid),
            "created_at": ts(self.ago(86400 * 30)), "updated_at": ts(self.ago(3600)), "id": sid.to_string(),
            "resource_url": self.s.url("device_app_states", sid)}),
        );
        }
    }

    /// The activity log and one finished speed test.
    fn activity_and_speed_test(&mut self) {
        let account = self.account.clone();
        let modems = self.modems.clone();
        // Activity log.
        for k in 0..40i64 {
            let t = self.ago(3600 * k);
            self.s.push("activity_logs", json!({"account": ROOT_ACCOUNT, "action": {"id": format!("act-{k}"), "type": (["create", "update", "delete"][(k % 3) as usize]),
            "timestamp": ts(t)}, "actor": {"id": "user-1", "type": "sso_user", "email": "operator@example.com"},
            "object": {"id": format!("{}", 2001 + k % 12), "type": "group", "name": format!("group-{}", 2001 + k % 12)},
            "created_at": ts(t)}));
        }
        // One finished speed test.
        let nd_ids: Vec<u64> = modems.iter().take(2).map(|m| m.0).collect();
        self.s.push("speed_test", json!({"account": account, "config": {"host": "speedtest.example.com", "max_test_concurrency": 5,
        "net_device_ids": nd_ids, "port": 12865, "size": null, "test_timeout": 10, "test_type": "TCP Download", "time": 10},
        "created_at": ts(self.ago(86400)), "id": "47535", "progress": {"completed": nd_ids.len(), "total_count": nd_ids.len()},
        "resource_uri": self.s.url("speed_test", 47535), "results": [], "state": "complete", "updated_at": ts(self.ago(86390))}));
    }
}
