//! The fleet's per-router records, each built on demand from the router's [`Core`] with its own
//! seeded random stream: routers, locations, net devices and their metrics, configuration
//! managers (the NCOS layers drawn and cached), batteries, alerts and failovers; and [`Fleet`] as
//! the store's [`RecordSource`].

use super::{
    compact, obj, Core, Fleet, Stream, FIRST_BATTERY, FIRST_CM, FIRST_LOCATION, FIRST_NET_DEVICE,
    FIRST_ROUTER, PRODUCTS, ROOT_ACCOUNT,
};
use crate::diff::Diff;
use crate::sim::config_sync::{initial_state, Layers};
use crate::sim::ncos::layers::{self, Modem, RouterSpec};
use crate::sim::ncos::{self, Firmware};
use crate::sim::store::{timeuuid, ts, RecordSource};
use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::sync::Arc;

const CARRIERS: &[&str] = &["Verizon", "AT&T", "T-Mobile"];
const LOCALITIES: &[&str] = &[
    "US/Mountain",
    "US/Eastern",
    "US/Central",
    "US/Pacific",
    "Europe/London",
];
const STATES: [&str; 3] = ["online", "offline", "initialized"];
const CONFIG_STATUSES: [&str; 3] = ["synched", "pending", "suspended"];
const REJECT_REASONS: [&str; 3] = [
    "invalid value for wan.rules2.0.apn",
    "rejected",
    "out of range: lan.0.netmask",
];
const NET_DEVICE_KINDS: [&str; 3] = ["ethernet-wan", "mdm", "ethernet-lan"];

impl Fleet {
    fn url(&self, endpoint: &str, id: impl std::fmt::Display) -> String {
        format!("{}{endpoint}/{id}/", self.prefix)
    }

    fn ago(&self, secs: u32) -> DateTime<Utc> {
        self.now - chrono::Duration::seconds(secs as i64)
    }

    /// The random stream of one record.
    fn rng(&self, stream: Stream, idx: usize) -> ChaCha8Rng {
        let mixed = self.seed.rotate_left(17) ^ ((stream as u64) << 56) ^ idx as u64;
        ChaCha8Rng::seed_from_u64(mixed)
    }

    pub(super) fn newest_firmware(&self, product: usize) -> u64 {
        self.firmwares[product].last().map_or(0, |f| f.0)
    }

    fn version_of(&self, fw: u64) -> &'static str {
        self.firmwares
            .iter()
            .flatten()
            .find(|f| f.0 == fw)
            .map_or("7.22.60", |f| f.1)
    }

    fn target_firmware(&self, c: &Core) -> Option<u64> {
        (c.group != 0).then(|| self.newest_firmware(c.product as usize))
    }

    fn router(&self, i: usize, c: &Core) -> Value {
        let (pid, pname, _) = PRODUCTS[c.product as usize];
        let rid = FIRST_ROUTER + i as u64;
        let target_fw = self.target_firmware(c);
        let url_or_null = |ep: &str, id: Option<u64>| {
            id.map_or(Value::Null, |id| Value::String(self.url(ep, id)))
        };
        compact(json!({
            "account": self.account, "actual_firmware": self.url("firmwares", c.actual_fw),
            "config_status": CONFIG_STATUSES[c.config_status as usize],
            "created_at": ts(self.ago(c.created_age)), "device_type": "router",
            "full_product_name": format!("{pname}-{}", if pid == 1 { "AT" } else { "C7A" }),
            "group": url_or_null("groups", (c.group != 0).then_some(c.group as u64)),
            "id": rid.to_string(),
            "ipv4_address": format!("10.{}.{}.{}", ((i + 1) >> 16) & 0xff, ((i + 1) >> 8) & 0xff, (i + 1) & 0xff),
            "last_known_location": url_or_null("locations", c.has_location.then_some(FIRST_LOCATION + i as u64)),
            "locality": LOCALITIES[i % LOCALITIES.len()],
            "mac": format!("00:30:44:{:02X}:{:02X}:{:02X}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff),
            "name": format!("{pname}-{:04x}", i), "pc_removed": "unknown", "product": self.url("products", pid),
            "reboot_required": c.reboot_required, "resource_url": self.url("routers", rid),
            "serial_number": format!("WA{:09}", 100_000_000 + i), "state": STATES[c.state as usize],
            "state_updated_at": ts(self.ago(c.state_age)),
            "target_firmware": url_or_null("firmwares", target_fw),
            "upgrade_pending": target_fw.is_some_and(|t| t != c.actual_fw as u64),
            "updated_at": ts(self.ago(c.state_age.min(86400))),
        }))
    }

    fn location(&self, i: usize) -> Value {
        let mut rng = self.rng(Stream::Location, i);
        let id = FIRST_LOCATION + i as u64;
        json!({"account": self.account, "accuracy": rng.random_range(3..50), "id": id.to_string(),
            "latitude": 39.0 + rng.random_range(-5.0..5.0f64), "longitude": -104.9 + rng.random_range(-8.0..8.0f64),
            "method": "gps", "resource_url": self.url("locations", id), "router": self.url("routers", FIRST_ROUTER + i as u64),
            "updated_at": ts(self.ago(rng.random_range(60..86400)))})
    }

    /// Net device `kind` of router `i`: its Ethernet WAN, its LTE modem or its Ethernet LAN.
    fn net_device(&self, i: usize, kind: usize, c: &Core) -> Value {
        let idx = 3 * i + kind;
        let mut rng = self.rng(Stream::NetDevice, idx);
        let id = FIRST_NET_DEVICE + idx as u64;
        let online = c.state == 0;
        let mut r = obj(json!({
            "account": self.account, "connection_state": if online { "Connected" } else { "Disconnected" },
            "id": id.to_string(), "is_asset": false, "is_gps_supported": false, "is_upgrade_available": false,
            "is_upgrade_supported": false, "mode": "wan", "mtu": 1500, "name": NET_DEVICE_KINDS[kind],
            "resource_url": self.url("net_devices", id), "router": self.url("routers", FIRST_ROUTER + i as u64),
            "service_type": "Ethernet", "summary": if online { "connected" } else { "unplugged" },
            "type": "ethernet", "uid": "wan", "updated_at": ts(self.ago(rng.random_range(60..86400))),
        }));
        if online {
            r.insert("uptime".into(), json!(rng.random_range(100.0..900000.0f64)));
        }
        let extra = match kind {
            1 => modem_fields(&mut rng, &self.modem(i), online),
            2 => json!({"mode": "lan", "uid": "lan", "connection_state": "Connected",
                "ipv4_address": "192.168.0.1", "netmask": "255.255.255.0"}),
            _ => {
                let ip = online.then(|| format!("203.0.113.{}", (i % 250) + 1));
                compact(json!({"port": "Ethernet 1", "ipv4_address": ip}))
            }
        };
        r.extend(obj(extra));
        Value::Object(r)
    }

    /// The metrics of router `i`'s Ethernet WAN (`modem` false) or modem.
    fn metric(&self, i: usize, modem: bool) -> Value {
        let mut rng = self.rng(Stream::Metric, 2 * i + modem as usize);
        let nd = FIRST_NET_DEVICE + 3 * i as u64 + modem as u64;
        let mut r = obj(json!({"bytes_in": rng.random_range(0..5_000_000_000u64),
            "bytes_out": rng.random_range(0..2_000_000_000u64), "id": nd.to_string(),
            "net_device": self.url("net_devices", nd), "resource_url": self.url("net_device_metrics", nd),
            "service_type": if modem { "LTE" } else { "Ethernet" },
            "update_ts": ts(self.ago(rng.random_range(60..3600)))}));
        if modem {
            r.extend(obj(json!({"dbm": rng.random_range(-110..-60), "signal_strength": rng.random_range(10..100),
                "cell_id": format!("{}", rng.random_range(10000..99999)), "mcc": "310", "mnc": "410",
                "tac": format!("{}", rng.random_range(1000..9999))})));
        }
        Value::Object(r)
    }

    /// Router `i`'s modem (its net device `mdm-<uid>`, and the WAN rule its device added).
    fn modem(&self, i: usize) -> Modem {
        let mut rng = self.rng(Stream::Modem, i);
        Modem {
            uid: format!("{:08x}", rng.random::<u32>()),
            five_g: rng.random_bool(0.3),
        }
    }

    /// What router `i`'s own configuration and device additions are drawn from.
    fn router_spec(&self, i: usize, c: &Core) -> RouterSpec {
        let mixed = self.seed.rotate_left(17) ^ ((Stream::Config as u64) << 56) ^ i as u64;
        RouterSpec {
            index: i,
            model: ncos::model(PRODUCTS[c.product as usize].1),
            modem: self.modem(i),
            seed: mixed,
        }
    }

    /// Group `group`'s configuration written for firmware `fw` (empty for no group).
    pub(super) fn group_layer(&self, group: u32, fw: u64) -> Arc<Diff> {
        let Some(spec) = self.groups.get(&group) else {
            return Arc::new(Diff::empty());
        };
        let mut cache = self.group_layers.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry((group, fw))
            .or_insert_with(|| Arc::new(layers::group(spec, Firmware::parse(self.version_of(fw)))))
            .clone()
    }

    /// The fields of configuration manager `i` that need none of its configurations built, when
    /// `names` asks only for those.
    fn cm_fields(&self, i: usize, c: &Core, names: &[&str]) -> Option<Value> {
        let id = FIRST_CM + 3 * i as u64;
        let mut m = Map::new();
        for name in names {
            let v = match *name {
                "id" => json!(id.to_string()),
                "router" => json!(self.url("routers", FIRST_ROUTER + i as u64)),
                "account" => json!(self.account),
                "resource_url" => json!(self.url("configuration_managers", id)),
                "suspended" => json!(c.config_status == 2),
                "synched" => json!(c.config_status == 0),
                "version_number" => json!(c.version),
                _ => return None,
            };
            m.insert(name.to_string(), v);
        }
        Some(Value::Object(m))
    }

    /// Configuration manager `i`, from the cache of those built last or built now.
    fn built_configuration_manager(&self, i: usize, c: &Core) -> Value {
        let lock = || self.built_cms.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = lock().get(i as u32) {
            return v;
        }
        let v = self.configuration_manager(i, c);
        lock().keep(i as u32, &v);
        v
    }

    fn configuration_manager(&self, i: usize, c: &Core) -> Value {
        let id = FIRST_CM + 3 * i as u64;
        let spec = self.router_spec(i, c);
        let product = PRODUCTS[c.product as usize].1;
        let fw_t = self.target_firmware(c).unwrap_or(c.actual_fw as u64);
        let fw_a = c.actual_fw as u64;
        let (vt, va) = (self.version_of(fw_t), self.version_of(fw_a));
        let individual = layers::individual(&spec, Firmware::parse(vt));
        let other_individual =
            (fw_a != fw_t).then(|| layers::individual(&spec, Firmware::parse(va)));
        let (group, device_group) = (
            self.group_layer(c.group, fw_t),
            self.group_layer(c.group, fw_a),
        );
        let additions = layers::device_additions(&spec, Firmware::parse(va));
        let (target_default, device_default) = (
            ncos::default_config(product, vt),
            ncos::default_config(product, va),
        );
        let synched = c.config_status == 0;
        let [target, actual, pending] = initial_state(
            &Layers {
                target_default: &target_default,
                device_default: &device_default,
                group: &group,
                individual: &individual,
                device_group: &device_group,
                device_individual: other_individual.as_ref().unwrap_or(&individual),
                additions: &additions,
            },
            c.version as u64,
            synched,
            fw_a == fw_t,
        );
        let mut r = obj(json!({
            "account": self.account, "id": id.to_string(),
            "resource_url": self.url("configuration_managers", id),
            "router": self.url("routers", FIRST_ROUTER + i as u64),
            "suspended": c.config_status == 2, "synched": synched,
            "version_number": c.version}));
        // Moved in, not through `json!` (which would serialize each config into a copy).
        r.insert("configuration".into(), individual.into_value());
        r.insert("target".into(), target);
        r.insert("actual".into(), actual);
        r.insert("pending".into(), pending);
        Value::Object(r)
    }

    fn battery(&self, i: usize, b: usize, c: &Core) -> Value {
        let mut rng = self.rng(Stream::Battery, 2 * i + b);
        json!({"type": "battery", "id": format!("{}", FIRST_BATTERY as usize + i * 2 + b),
            "router_id": FIRST_ROUTER + i as u64,
            "created_at": ts(self.ago(c.created_age)), "updated_at": ts(self.ago(rng.random_range(60..3600))),
            "serial": format!("{}", 12_000 + i * 2 + b), "milliamps": rng.random_range(-300..300),
            "health": rng.random_range(60..101), "rsoc": rng.random_range(5..101), "temp": rng.random_range(15..45),
            "time_remaining": rng.random_range(0..1500), "millivolts": rng.random_range(7000..8400),
            "manufacturer": "GETAC", "status": (["Charging", "Discharging", "Idle"][rng.random_range(0..3)])})
    }

    /// Router `i`'s latest state change, or (`rejected`) its device's rejection of a config.
    fn alert(&self, i: usize, rejected: bool, c: &Core) -> Value {
        let router = self.url("routers", FIRST_ROUTER + i as u64);
        let seq = 2 * i as u64 + 1 + rejected as u64;
        if !rejected {
            let state = STATES[c.state as usize];
            let t = self.ago(c.state_age);
            return json!({"created_at": ts(t), "created_at_timeuuid": timeuuid(t, seq), "detected_at": ts(t),
                "friendly_info": format!("The device entered the \"{state}\" state."), "info": {"state": state},
                "router": router, "type": "connection_state"});
        }
        let t = self.ago(c.reject_age);
        json!({"created_at": ts(t), "created_at_timeuuid": timeuuid(t, seq), "detected_at": ts(t),
            "friendly_info": "A configuration change that was sent to the device has been rejected.",
            "info": {"reason": REJECT_REASONS[c.reject_reason as usize], "patch": null}, "router": router,
            "type": "config_rejected"})
    }

    fn failover(&self, i: usize) -> Value {
        let mut rng = self.rng(Stream::Failover, i);
        let rid = FIRST_ROUTER + i as u64;
        let start = self.ago(rng.random_range(3600..86400 * 30));
        let end = start + chrono::Duration::seconds(rng.random_range(20..600));
        let group_id = 2001 + (i as u64 % 12);
        compact(
            json!({"account_id": ROOT_ACCOUNT, "carrier_name": CARRIERS[i % 3],
            "current_wan_interface": "ethernet-wan", "current_wan_priority": 0.00088295, "data_usage": rng.random_range(1000..100000),
            "elapsed_time": (end - start).num_seconds(), "ended_at": ts(end), "group_id": group_id, "group_name": format!("group-{group_id}"),
            "percent_data_cap": null, "previous_wan_interface": "mdm-3983dbd5", "previous_wan_priority": 2.25014338,
            "router_id": rid, "router_name": format!("router-{rid}"), "started_at": ts(start), "tenant_id": "0013800001TB9s1",
            "updated_at": ts(end + chrono::Duration::seconds(60)), "uuid": uuid::Uuid::from_u128(rng.random()).to_string()}),
        )
    }
}

/// The fields a modem adds to (or changes in) a net device.
fn modem_fields(rng: &mut ChaCha8Rng, modem: &Modem, online: bool) -> Value {
    let uid = modem.uid.clone();
    let carrier = CARRIERS[rng.random_range(0..CARRIERS.len())];
    let service = if modem.five_g { "5G" } else { "LTE" };
    let iccid = format!("8901{:015}", rng.random_range(0..1_000_000_000_000_000u64));
    let imei = format!("35{:013}", rng.random_range(0..10_000_000_000_000u64));
    let band = [2, 4, 12, 13, 66][rng.random_range(0..5)];
    let ip = online.then(|| {
        format!(
            "100.{}.{}.{}",
            rng.random_range(64..128),
            rng.random_range(0..255),
            rng.random_range(1..255)
        )
    });
    compact(
        json!({"name": format!("mdm-{uid}"), "uid": uid, "type": "lte", "is_asset": true,
        "is_gps_supported": true, "carrier": carrier, "carrier_id": carrier, "homecarrid": carrier,
        "service_type": service, "iccid": iccid, "imei": imei, "manufacturer": "Sierra Wireless",
        "mfg_model": "EM7511", "port": "Internal 1", "rfband": format!("Band {band}"),
        "pin_status": "READY", "ipv4_address": ip}),
    )
}

impl RecordSource for Fleet {
    fn record(&self, table: &str, idx: u32) -> Value {
        let idx = idx as usize;
        let core = |i: usize| self.cores.get(i);
        let built = match table {
            "routers" => core(idx).map(|c| self.router(idx, c)),
            "locations" => core(idx).map(|_| self.location(idx)),
            "net_devices" => core(idx / 3).map(|c| self.net_device(idx / 3, idx % 3, c)),
            "net_device_metrics" => core(idx / 2).map(|_| self.metric(idx / 2, idx % 2 == 1)),
            "configuration_managers" => core(idx).map(|c| self.built_configuration_manager(idx, c)),
            "batteries" => core(idx / 2).map(|c| self.battery(idx / 2, idx % 2, c)),
            "alerts" | "router_alerts" => {
                core(idx / 2).map(|c| self.alert(idx / 2, idx % 2 == 1, c))
            }
            "device_failover_events" => core(idx).map(|_| self.failover(idx)),
            _ => None,
        };
        built.unwrap_or(Value::Null)
    }

    fn fields(&self, table: &str, idx: u32, names: &[&str]) -> Option<Value> {
        let i = idx as usize;
        let c = self.cores.get(i)?;
        match table {
            "configuration_managers" => self.cm_fields(i, c, names),
            _ => None,
        }
    }

    fn device_additions(&self, router_id: u64, _product: &str, version: &str) -> Option<Diff> {
        let i = usize::try_from(router_id.checked_sub(FIRST_ROUTER)?).ok()?;
        let c = self.cores.get(i)?;
        let spec = self.router_spec(i, c);
        Some(layers::device_additions(&spec, Firmware::parse(version)))
    }

    fn position(&self, table: &str, id: u64) -> Option<usize> {
        let n = self.cores.len() as u64;
        let idx = match table {
            "routers" => id.checked_sub(FIRST_ROUTER)?,
            "configuration_managers" => {
                let k = id.checked_sub(FIRST_CM)?;
                (k % 3 == 0).then_some(k / 3)?
            }
            "net_devices" => id.checked_sub(FIRST_NET_DEVICE).filter(|i| *i < 3 * n)?,
            _ => return None,
        };
        (idx < 3 * n).then_some(idx as usize)
    }

    fn id(&self, table: &str, idx: u32) -> Option<u64> {
        let idx = idx as u64;
        match table {
            "routers" => Some(FIRST_ROUTER + idx),
            "locations" => Some(FIRST_LOCATION + idx),
            "net_devices" => Some(FIRST_NET_DEVICE + idx),
            "net_device_metrics" => Some(FIRST_NET_DEVICE + 3 * (idx / 2) + idx % 2),
            "configuration_managers" => Some(FIRST_CM + 3 * idx),
            "batteries" => Some(FIRST_BATTERY + idx),
            _ => None,
        }
    }
}
