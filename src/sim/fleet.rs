//! The simulator's deterministic, seeded fleet: accounts, products, firmwares, groups, routers,
//! net devices, configuration managers, alerts, logs, samples, locations, failovers, batteries,
//! device apps and speed tests, with the record shapes of the NCM spec.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Records of every endpoint, each list in ascending id order. (The configuration managers'
/// `target`/`actual`/`pending` are filled in by `config_sync::init_configs`.)
#[derive(Debug, Default, Clone)]
pub struct Store {
    pub tables: HashMap<&'static str, Vec<Value>>,
    pub next_id: HashMap<&'static str, u64>,
    /// The URL prefix records carry (`https://www.cradlepointecm.com/api/v2/` in production).
    pub prefix: String,
    /// Configuration managers waiting for their device to sync, and when it will.
    pub sync_due: HashMap<String, std::time::Instant>,
    /// How long a device takes to sync a changed config.
    pub sync_delay: std::time::Duration,
    /// Routers whose device rejects every config it is sent.
    pub rejecting: std::collections::HashSet<String>,
    /// An APN that cuts a device's WAN: a device that syncs a config setting it goes offline.
    pub break_apn: Option<String>,
    /// How long a cut-off device waits before it rolls its config back (the spec: 15 minutes).
    pub rollback_after: std::time::Duration,
    /// Cut-off devices: configuration manager id -> when it rolls back, and the `actual`
    /// config it rolls back to.
    pub rollback_due: HashMap<String, (std::time::Instant, Value)>,
    /// Bumped whenever records may have changed (a write, a device sync, a test's set-up), so
    /// the server's cached listing selections know when they are stale.
    pub generation: u64,
}

pub const PRODUCTS: &[(u64, &str, &str)] = &[
    (1, "MBR1400", "router"),
    (41, "IBR900", "router"),
    (46, "AER2200", "router"),
    (50, "IBR1700", "router"),
    (58, "E100", "router"),
    (60, "E300", "router"),
];

const CARRIERS: &[&str] = &["Verizon", "AT&T", "T-Mobile"];
const LOCALITIES: &[&str] = &[
    "US/Mountain",
    "US/Eastern",
    "US/Central",
    "US/Pacific",
    "Europe/London",
];

pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// A version-1 (time-based) UUID for `t`, unique per `seq`.
pub fn timeuuid(t: chrono::DateTime<chrono::Utc>, seq: u64) -> String {
    let nanos = t.timestamp_subsec_nanos() / 100 * 100 + (seq % 100) as u32;
    let stamp = uuid::Timestamp::from_unix(uuid::NoContext, t.timestamp() as u64, nanos);
    let node = [0x0a, 0x81, 0x1c, 0x6a, (seq >> 8) as u8, seq as u8];
    uuid::Uuid::new_v1(stamp, &node).to_string()
}

/// Seconds (with 100 ns resolution) since the Unix epoch encoded in a time-based UUID.
pub fn timeuuid_time(s: &str) -> Option<(u64, u32)> {
    let u = uuid::Uuid::parse_str(s).ok()?;
    u.get_timestamp().map(|t| t.to_unix())
}

impl Store {
    pub fn url(&self, endpoint: &str, id: impl std::fmt::Display) -> String {
        format!("{}{endpoint}/{id}/", self.prefix)
    }

    pub fn table(&self, name: &str) -> &[Value] {
        self.tables.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn find(&self, endpoint: &str, id: &str) -> Option<&Value> {
        self.table(endpoint)
            .iter()
            .find(|r| r.get("id").map(text_of).as_deref() == Some(id))
    }

    pub fn find_mut(&mut self, endpoint: &str, id: &str) -> Option<&mut Value> {
        self.tables
            .get_mut(endpoint)?
            .iter_mut()
            .find(|r| r.get("id").map(text_of).as_deref() == Some(id))
    }

    pub fn alloc_id(&mut self, endpoint: &'static str) -> u64 {
        let n = self.next_id.entry(endpoint).or_insert(1);
        let id = *n;
        *n += 1;
        id
    }

    /// Stores a record. Null fields are dropped to keep large fleets small in memory; the server
    /// restores every catalog field on output, so clients see the spec's full shape.
    pub fn push(&mut self, endpoint: &'static str, mut rec: Value) {
        if let Value::Object(m) = &mut rec {
            // Rebuilt from an exact-size iterator: no spare capacity per record.
            *m = std::mem::take(m)
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .collect();
        }
        if let Some(id) = rec
            .get("id")
            .map(text_of)
            .and_then(|s| s.parse::<u64>().ok())
        {
            let n = self.next_id.entry(endpoint).or_insert(1);
            if id >= *n {
                *n = id + 1;
            }
        }
        self.tables.entry(endpoint).or_default().push(rec);
    }
}

/// Text of a scalar JSON value (strings unquoted).
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Builds the fleet for `routers` devices from `seed`. Times are relative to `now`.
pub fn generate(
    routers: usize,
    seed: u64,
    now: chrono::DateTime<chrono::Utc>,
    prefix: &str,
) -> Store {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = Store {
        prefix: prefix.to_string(),
        ..Default::default()
    };
    let ago = |secs: i64| now - chrono::Duration::seconds(secs);
    let mut seq: u64 = 0;
    let mut next_seq = || {
        seq += 1;
        seq
    };

    // Accounts: the owning account and two sub-accounts.
    let root = 1000u64;
    for (id, name, parent) in [
        (root, "fleet-root", 900u64),
        (1001, "east-region", root),
        (1002, "west-region", root),
    ] {
        let r = json!({"account": s.url("accounts", parent), "id": id.to_string(), "is_disabled": false,
            "name": name, "resource_url": s.url("accounts", id)});
        s.push("accounts", r);
    }
    let account = s.url("accounts", root);

    // Products and firmwares.
    let mut fw_by_product: HashMap<u64, Vec<(u64, &str)>> = HashMap::new();
    let mut fw_id = 300u64;
    for (pid, name, dtype) in PRODUCTS {
        s.push(
            "products",
            json!({"device_type": dtype, "id": pid.to_string(), "name": name,
            "resource_url": s.url("products", pid), "series": 3}),
        );
        let versions: &[&str] = if *name == "MBR1400" {
            &["5.4.0", "6.1.0"]
        } else {
            &["7.22.60", "7.23.40", "7.24.10"]
        };
        for (i, v) in versions.iter().enumerate() {
            fw_id += 1;
            let built = ago(86400 * (400 - 90 * i as i64));
            s.push("firmwares", json!({"built_at": ts(built),
                "default_configuration": format!("{}firmwares/{fw_id}/default_configuration/", s.prefix),
                "expires_at": ts(built + chrono::Duration::days(1000)),
                "hash": format!("{:040x}", rng.random::<u128>()), "id": fw_id.to_string(), "is_deprecated": i == 0 && versions.len() > 2,
                "product": s.url("products", pid), "released_at": ts(built),
                "resource_url": s.url("firmwares", fw_id), "uploaded_at": ts(built + chrono::Duration::hours(3)),
                "url": format!("https://firmware.example.invalid/{name}-{v}.bin"), "version": v}));
            fw_by_product.entry(*pid).or_default().push((fw_id, v));
        }
    }

    // Groups: two per product, on the newest firmware.
    let mut groups_by_product: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut gid = 2000u64;
    for (pid, name, dtype) in PRODUCTS {
        for purpose in ["Stores", "Vehicles"] {
            gid += 1;
            let fw = fw_by_product[pid].last().unwrap().0;
            // Stores groups carry a richer config (GPS on, a store Wi-Fi with its passkey).
            let configuration = if purpose == "Stores" {
                json!([{"system": {"logging": {"level": "info"}, "gps": {"enabled": true}},
                        "wlan": {"radio": {"0": {"bss": {"0": {"ssid": format!("{name}-store"), "wpapsk": format!("store-psk-{gid}")}}}}}}, []])
            } else {
                json!([{"system": {"logging": {"level": "info"}}}, []])
            };
            s.push(
                "groups",
                json!({"account": account, "configuration": configuration,
                "device_type": dtype, "id": gid.to_string(), "name": format!("{name} {purpose}"),
                "product": s.url("products", pid), "resource_url": s.url("groups", gid),
                "target_firmware": s.url("firmwares", fw)}),
            );
            groups_by_product.entry(*pid).or_default().push(gid);
        }
    }

    // Routers, their net devices, configuration managers, metrics.
    let mut nd_id = 50_000u64;
    let mut modems: Vec<(u64, u64)> = vec![]; // (net_device id, router id)
    let mut router_ids = vec![];
    for i in 0..routers {
        let rid = 10_001 + i as u64;
        router_ids.push(rid);
        let (pid, pname, _) = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
        let fws = &fw_by_product[&pid];
        let group = if rng.random_bool(0.85) {
            let g = &groups_by_product[&pid];
            Some(g[rng.random_range(0..g.len())])
        } else {
            None
        };
        let target_fw = group.map(|_| fws.last().unwrap().0);
        let actual_fw = if rng.random_bool(0.8) {
            fws.last().unwrap().0
        } else {
            fws[rng.random_range(0..fws.len())].0
        };
        let roll: f64 = rng.random();
        let state = if roll < 0.78 {
            "online"
        } else if roll < 0.97 {
            "offline"
        } else {
            "initialized"
        };
        let state_age = if state == "offline" {
            rng.random_range(600..86400 * 20)
        } else {
            rng.random_range(60..86400 * 60)
        };
        let cfg_roll: f64 = rng.random();
        let config_status = if cfg_roll < 0.9 {
            "synched"
        } else if cfg_roll < 0.96 {
            "pending"
        } else {
            "suspended"
        };
        let mac = format!(
            "00:30:44:{:02X}:{:02X}:{:02X}",
            (i >> 16) & 0xff,
            (i >> 8) & 0xff,
            i & 0xff
        );
        let has_loc = rng.random_bool(0.3);
        let loc_id = 7000 + i as u64;
        let created = ago(86400 * rng.random_range(60..900));
        s.push("routers", json!({
            "account": account, "actual_firmware": s.url("firmwares", actual_fw), "asset_id": null,
            "config_status": config_status, "created_at": ts(created), "custom1": null, "custom2": null,
            "description": null, "device_type": "router", "full_product_name": format!("{pname}-{}", if pid == 1 { "AT" } else { "C7A" }),
            "group": group.map(|g| Value::String(s.url("groups", g))).unwrap_or(Value::Null),
            "id": rid.to_string(), "ipv4_address": format!("10.{}.{}.{}", ((i + 1) >> 16) & 0xff, ((i + 1) >> 8) & 0xff, (i + 1) & 0xff),
            "last_known_location": if has_loc { Value::String(s.url("locations", loc_id)) } else { Value::Null },
            "locality": LOCALITIES[i % LOCALITIES.len()], "mac": mac,
            "name": format!("{pname}-{:04x}", i), "pc_removed": "unknown", "product": s.url("products", pid),
            "reboot_required": rng.random_bool(0.05), "resource_url": s.url("routers", rid),
            "serial_number": format!("WA{:09}", 100_000_000 + i), "state": state,
            "state_updated_at": ts(ago(state_age)),
            "target_firmware": target_fw.map(|f| Value::String(s.url("firmwares", f))).unwrap_or(Value::Null),
            "upgrade_pending": target_fw.is_some_and(|t| t != actual_fw),
            "updated_at": ts(ago(state_age.min(86400))),
        }));
        if has_loc {
            s.push("locations", json!({"account": account, "accuracy": rng.random_range(3..50), "id": loc_id.to_string(),
                "latitude": 39.0 + rng.random_range(-5.0..5.0f64), "longitude": -104.9 + rng.random_range(-8.0..8.0f64),
                "method": "gps", "resource_url": s.url("locations", loc_id), "router": s.url("routers", rid),
                "updated_at": ts(ago(rng.random_range(60..86400)))}));
        }
        // Net devices: Ethernet WAN, one LTE modem, Ethernet LAN.
        let online = state == "online";
        for kind in ["ethernet-wan", "mdm", "ethernet-lan"] {
            nd_id += 1;
            let mut r = obj(json!({
                "account": account, "bsid": null, "carrier": null, "carrier_id": null, "channel": null,
                "connection_state": if online { "connected" } else { "disconnected" }, "dns0": null, "dns1": null,
                "esn": null, "gateway": null, "gsn": null, "homecarrid": null, "hostname": null, "iccid": null,
                "id": nd_id.to_string(), "imei": null, "imsi": null, "ipv4_address": null, "is_asset": false,
                "is_gps_supported": false, "is_upgrade_available": false, "is_upgrade_supported": false,
                "ltebandwidth": null, "mac": null, "manufacturer": null, "mdn": null, "meid": null,
                "mfg_model": null, "mfg_product": null, "mn_ha_spi": null, "mn_ha_ss": null, "mode": "wan",
                "model": null, "modem_fw": null, "mtu": 1500, "nai": null, "name": kind, "netmask": null,
                "pin_status": null, "port": null, "prlv": null, "profile": null,
                "resource_url": s.url("net_devices", nd_id), "rfband": null, "rfchannel": null, "roam": null,
                "router": s.url("routers", rid), "rxchannel": null, "serial": null, "service_type": "Ethernet",
                "ssid": null, "summary": if online { "connected" } else { "unplugged" }, "txchannel": null,
                "type": "ethernet", "uid": "wan", "updated_at": ts(ago(rng.random_range(60..86400))),
                "uptime": if online { json!(rng.random_range(100.0..900000.0f64)) } else { Value::Null },
                "ver_pkg": null, "version": null, "wimax_realm": null}));
            match kind {
                "mdm" => {
                    let uid = format!("{:08x}", rng.random::<u32>());
                    let carrier = CARRIERS[rng.random_range(0..CARRIERS.len())];
                    r.insert("name".into(), json!(format!("mdm-{uid}")));
                    r.insert("uid".into(), json!(uid));
                    r.insert("type".into(), json!("lte"));
                    r.insert("is_asset".into(), json!(true));
                    r.insert("is_gps_supported".into(), json!(true));
                    r.insert("carrier".into(), json!(carrier));
                    r.insert("carrier_id".into(), json!(carrier));
                    r.insert("homecarrid".into(), json!(carrier));
                    r.insert(
                        "service_type".into(),
                        json!(if rng.random_bool(0.3) { "5G" } else { "LTE" }),
                    );
                    r.insert(
                        "iccid".into(),
                        json!(format!(
                            "8901{:015}",
                            rng.random_range(0..1_000_000_000_000_000u64)
                        )),
                    );
                    r.insert(
                        "imei".into(),
                        json!(format!(
                            "35{:013}",
                            rng.random_range(0..10_000_000_000_000u64)
                        )),
                    );
                    r.insert("manufacturer".into(), json!("Sierra Wireless"));
                    r.insert("mfg_model".into(), json!("EM7511"));
                    r.insert("port".into(), json!("Internal 1"));
                    r.insert(
                        "rfband".into(),
                        json!(format!(
                            "Band {}",
                            [2, 4, 12, 13, 66][rng.random_range(0..5)]
                        )),
                    );
                    r.insert("pin_status".into(), json!("READY"));
                    r.insert(
                        "ipv4_address".into(),
                        if online {
                            json!(format!(
                                "100.{}.{}.{}",
                                rng.random_range(64..128),
                                rng.random_range(0..255),
                                rng.random_range(1..255)
                            ))
                        } else {
                            Value::Null
                        },
                    );
                    modems.push((nd_id, rid));
                }
                "ethernet-lan" => {
                    r.insert("mode".into(), json!("lan"));
                    r.insert("uid".into(), json!("lan"));
                    r.insert("connection_state".into(), json!("connected"));
                    r.insert("ipv4_address".into(), json!("192.168.0.1"));
                    r.insert("netmask".into(), json!("255.255.255.0"));
                }
                _ => {
                    r.insert("port".into(), json!("Ethernet 1"));
                    r.insert(
                        "ipv4_address".into(),
                        if online {
                            json!(format!("203.0.113.{}", (i % 250) + 1))
                        } else {
                            Value::Null
                        },
                    );
                }
            }
            let is_wan = kind != "ethernet-lan";
            s.push("net_devices", Value::Object(r));
            if is_wan {
                s.push("net_device_metrics", json!({"bytes_in": rng.random_range(0..5_000_000_000u64), "bytes_out": rng.random_range(0..2_000_000_000u64),
                    "cinr": null, "dbm": if kind == "mdm" { json!(rng.random_range(-110..-60)) } else { Value::Null }, "ecio": null,
                    "id": nd_id.to_string(), "net_device": s.url("net_devices", nd_id), "resource_url": s.url("net_device_metrics", nd_id),
                    "rsrp": null, "rsrq": null, "rssi": null, "service_type": if kind == "mdm" { "LTE" } else { "Ethernet" },
                    "signal_strength": if kind == "mdm" { json!(rng.random_range(10..100)) } else { Value::Null }, "sinr": null,
                    "update_ts": ts(ago(rng.random_range(60..3600))), "cell_id": if kind == "mdm" { json!(format!("{}", rng.random_range(10000..99999))) } else { Value::Null },
                    "mcc": if kind == "mdm" { json!("310") } else { Value::Null }, "mnc": if kind == "mdm" { json!("410") } else { Value::Null },
                    "lac": null, "tac": if kind == "mdm" { json!(format!("{}", rng.random_range(1000..9999))) } else { Value::Null }}));
            }
        }
        // Configuration manager: its id is not the router id. Config state is filled in below.
        let cm_id = 500_000 + i as u64 * 3 + 7;
        let indie = if rng.random_bool(0.1) {
            json!([{"lan": {crate::ncm::defaults::PRIMARY_LAN_ID: {"_id_": crate::ncm::defaults::PRIMARY_LAN_ID,
                "ip_address": format!("192.168.{}.1", 1 + i % 250)}}}, []])
        } else if rng.random_bool(0.05) {
            json!([{"wlan": {"radio": {"0": {"bss": {"0": {"ssid": format!("Store-{i}"), "wpapsk": format!("secret-{:08x}", rng.random::<u32>())}}}}}}, []])
        } else {
            json!([{}, []])
        };
        s.push(
            "configuration_managers",
            json!({
            "account": account, "configuration": indie, "id": cm_id.to_string(),
            "resource_url": s.url("configuration_managers", cm_id), "router": s.url("routers", rid),
            "suspended": config_status == "suspended", "synched": config_status == "synched",
            "version_number": rng.random_range(1..40u64)}),
        );
        if pname == "E100" {
            for b in 0..2 {
                s.push("batteries", json!({"type": "battery", "id": format!("{}", 15_000 + i * 2 + b), "router_id": rid,
                    "created_at": ts(created), "updated_at": ts(ago(rng.random_range(60..3600))),
                    "serial": format!("{}", 12_000 + i * 2 + b), "milliamps": rng.random_range(-300..300),
                    "health": rng.random_range(60..101), "rsoc": rng.random_range(5..101), "temp": rng.random_range(15..45),
                    "time_remaining": rng.random_range(0..1500), "millivolts": rng.random_range(7000..8400),
                    "manufacturer": "GETAC", "status": (["Charging", "Discharging", "Idle"][rng.random_range(0..3)])}));
            }
        }
        // Router alerts: the latest state change, and a config_rejected for suspended sync.
        let t = ago(state_age);
        let sq = next_seq();
        let alert = json!({"created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq), "detected_at": ts(t),
            "friendly_info": format!("The device entered the \"{state}\" state."), "info": {"state": state},
            "router": s.url("routers", rid), "type": "connection_state"});
        s.push("router_alerts", alert.clone());
        let mut a = obj(alert);
        a.insert("account".into(), Value::Null);
        s.push("alerts", Value::Object(a));
        if config_status == "suspended" {
            let t = ago(rng.random_range(600..86400 * 3));
            let sq = next_seq();
            let reason = [
                "invalid value for wan.rules2.0.apn",
                "rejected",
                "out of range: lan.0.netmask",
            ][rng.random_range(0..3)];
            let alert = json!({"created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq), "detected_at": ts(t),
                "friendly_info": "A configuration change that was sent to the device has been rejected.",
                "info": {"reason": reason, "patch": null}, "router": s.url("routers", rid), "type": "config_rejected"});
            s.push("router_alerts", alert.clone());
            let mut a = obj(alert);
            a.insert("account".into(), Value::Null);
            s.push("alerts", Value::Object(a));
        }
    }

    // Account-level alerts.
    for k in 0..5 {
        let t = ago(3600 * (k + 1) * 7);
        let sq = next_seq();
        s.push("alerts", json!({"account": account, "created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq),
            "detected_at": ts(t), "friendly_info": "Verizon data usage alerted at 80 percent of the total monthly data plan.",
            "info": {"alert_rule": {"threshold": 80}, "data_plan": {"carrier_name": "Verizon"}}, "router": null,
            "type": "pdp_account_overage"}));
    }

    // Time-series samples for a bounded slice of the fleet (so 10,000 routers stay cheap).
    for (k, (nd, rid)) in modems.iter().take(100).enumerate() {
        let mut uptime = 1000.0;
        for h in 0..24 {
            let t = ago(3600 * (24 - h) + k as i64);
            uptime += 3600.0;
            let sq = next_seq();
            s.push("net_device_usage_samples", json!({"bytes_in": rng.random_range(0..90_000_000u64), "bytes_out": rng.random_range(0..80_000_000u64),
                "created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq), "net_device": s.url("net_devices", nd),
                "period": 3600, "uptime": uptime}));
            let sq = next_seq();
            s.push("net_device_signal_samples", json!({"cinr": null, "created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq),
                "dbm": rng.random_range(-110..-60), "ecio": null, "net_device": s.url("net_devices", nd), "rsrp": rng.random_range(-120.0..-80.0f64),
                "rsrp5g": null, "rsrq": rng.random_range(-15.0..-5.0f64), "rsrq5g": null, "rssi": null, "signal_percent": rng.random_range(10..100),
                "sinr": rng.random_range(-5.0..25.0f64), "sinr5g": null, "uptime": uptime}));
            let sq = next_seq();
            s.push("router_stream_usage_samples", json!({"bytes_in": rng.random_range(1000..9000), "bytes_out": rng.random_range(1000..9000),
                "created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq), "period": 3600.0, "router": s.url("routers", rid), "uptime": uptime}));
        }
        s.push("net_device_health", json!({"net_device": nd.to_string().parse::<u64>().unwrap_or(0), "uptime": rng.random_range(0.9..1.0f64),
            "date": ts(ago(86400))}));
    }
    for (k, rid) in router_ids.iter().take(200).enumerate() {
        for j in 0..5 {
            let t = ago(86400 * (5 - j) + k as i64);
            let sq = next_seq();
            s.push(
                "router_state_samples",
                json!({"created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq),
                "period": rng.random_range(60.0..86400.0f64), "router": s.url("routers", rid),
                "state": if j % 2 == 0 { "online" } else { "offline" }}),
            );
        }
    }
    for rid in router_ids.iter().take(50) {
        for j in 0..30u64 {
            let t = ago(60 * (30 - j as i64));
            let sq = next_seq();
            s.push("router_logs", json!({"exception": "", "sequence": j, "reported_at": ts(t), "created_at": ts(t + chrono::Duration::seconds(2)),
                "level": (["INFO", "INFO", "DEBUG", "WARNING", "ERROR"][(j % 5) as usize]), "source": (["ecm", "wan", "lan", "modem"][(j % 4) as usize]),
                "router": s.url("routers", rid), "message": format!("event {j} on router {rid}"), "created_at_timeuuid": timeuuid(t, sq)}));
        }
    }
    for rid in router_ids.iter().take(20) {
        let (mut lat, mut lon) = (
            39.7 + rng.random_range(-1.0..1.0f64),
            -104.9 + rng.random_range(-1.0..1.0f64),
        );
        for j in 0..60 {
            let t = ago(300 * (60 - j));
            lat += rng.random_range(-0.01..0.01);
            lon += rng.random_range(-0.01..0.01);
            let sq = next_seq();
            s.push("historical_locations", json!({"accuracy": rng.random_range(3..30), "carrier_id": "Verizon", "cinr": null,
                "created_at": ts(t), "created_at_timeuuid": timeuuid(t, sq), "dbm": rng.random_range(-110..-60), "ecio": null,
                "latitude": lat, "longitude": lon, "mph": rng.random_range(0.0..70.0f64), "net_device_name": "mdm-0",
                "rfband": "Band 13", "rfband_5g": null, "router": s.url("routers", rid), "rsrp": -95.0, "rsrp_5g": null,
                "rsrq": -10, "rsrq_5g": null, "rssi": null, "signal_percent": rng.random_range(10..100), "sinr": 8.0,
                "sinr_5g": null, "summary": "connected"}));
        }
    }
    // Failovers: one in ten routers.
    for (k, rid) in router_ids.iter().enumerate().filter(|(k, _)| k % 10 == 0) {
        let start = ago(rng.random_range(3600..86400 * 30));
        let end = start + chrono::Duration::seconds(rng.random_range(20..600));
        let group_id = 2001 + (k as u64 % 12);
        s.push("device_failover_events", json!({"account_id": root, "carrier_name": CARRIERS[k % 3],
            "current_wan_interface": "ethernet-wan", "current_wan_priority": 0.00088295, "data_usage": rng.random_range(1000..100000),
            "elapsed_time": (end - start).num_seconds(), "ended_at": ts(end), "group_id": group_id, "group_name": format!("group-{group_id}"),
            "percent_data_cap": null, "previous_wan_interface": "mdm-3983dbd5", "previous_wan_priority": 2.25014338,
            "router_id": rid, "router_name": format!("router-{rid}"), "started_at": ts(start), "tenant_id": "0013800001TB9s1",
            "updated_at": ts(end + chrono::Duration::seconds(60)), "uuid": uuid::Uuid::from_u128(rng.random()).to_string()}));
    }
    // SDK apps.
    for (k, name) in ["hello_world", "gps_reporter", "modbus_bridge"]
        .iter()
        .enumerate()
    {
        let app = 17 + k as u64;
        s.push("device_apps", json!({"account": account, "name": name, "description": format!("Router SDK {name} application"),
            "uuid": uuid::Uuid::from_u128(rng.random()).to_string(), "created_at": ts(ago(86400 * 300)),
            "updated_at": ts(ago(86400 * 20)), "id": app.to_string(), "resource_url": s.url("device_apps", app)}));
        for v in 0..2u64 {
            let vid = 100 + k as u64 * 2 + v;
            s.push("device_app_versions", json!({"account": account, "app": s.url("device_apps", app),
                "created_at": ts(ago(86400 * (200 - v as i64 * 50))), "id": vid.to_string(),
                "resource_url": s.url("device_app_versions", vid), "state": "ready", "state_details": "",
                "updated_at": ts(ago(86400 * 10)), "version": format!("1.{v}.0")}));
        }
    }
    for (k, g) in [2001u64, 2003].iter().enumerate() {
        let bid = 40 + k as u64;
        s.push("device_app_bindings", json!({"account": account, "app_version": s.url("device_app_versions", 101 + k as u64 * 2),
            "group": s.url("groups", g), "state": "running", "created_at": ts(ago(86400 * 30)), "updated_at": ts(ago(86400 * 2)),
            "id": bid.to_string(), "resource_url": s.url("device_app_bindings", bid)}));
    }
    for (k, rid) in router_ids.iter().take(50).enumerate() {
        let sid = 900 + k as u64;
        s.push(
            "device_app_states",
            json!({"account": account, "app_version": s.url("device_app_versions", 101),
            "state": if k % 7 == 0 { "error" } else { "started" }, "router": s.url("routers", rid),
            "created_at": ts(ago(86400 * 30)), "updated_at": ts(ago(3600)), "id": sid.to_string(),
            "resource_url": s.url("device_app_states", sid)}),
        );
    }
    // Activity log.
    for k in 0..40i64 {
        let t = ago(3600 * k);
        s.push("activity_logs", json!({"account": root, "action": {"id": format!("act-{k}"), "type": (["create", "update", "delete"][(k % 3) as usize]),
            "timestamp": ts(t)}, "actor": {"id": "user-1", "type": "sso_user", "email": "operator@example.com"},
            "object": {"id": format!("{}", 2001 + k % 12), "type": "group", "name": format!("group-{}", 2001 + k % 12)},
            "created_at": ts(t)}));
    }
    // One finished speed test.
    let nd_ids: Vec<u64> = modems.iter().take(2).map(|m| m.0).collect();
    s.push("speed_test", json!({"account": account, "config": {"host": "speedtest.example.com", "max_test_concurrency": 5,
        "net_device_ids": nd_ids, "port": 12865, "size": null, "test_timeout": 10, "test_type": "TCP Download", "time": 10},
        "created_at": ts(ago(86400)), "id": "47535", "progress": {"completed": nd_ids.len(), "total_count": nd_ids.len()},
        "resource_uri": s.url("speed_test", 47535), "results": [], "state": "complete", "updated_at": ts(ago(86390))}));
    // Timeuuid endpoints keep time order.
    for name in ["alerts", "router_alerts"] {
        if let Some(t) = s.tables.get_mut(name) {
            t.sort_by(|a, b| a["created_at"].as_str().cmp(&b["created_at"].as_str()));
        }
    }
    s
}
