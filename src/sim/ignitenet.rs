//! The simulated IgniteNet Cloud under `/pub/v1/`: seeded sites and devices with the spec's
//! record shapes, site and device configs with time-UUID timestamps that change on every save,
//! `defaults` and `initial`, plain-text errors, `serverSideChanged` for a stale timestamp,
//! `configSuspended` for suspended devices, 400 for non-string values, bad origins or unknown
//! roots, and the 200-requests-per-10-s limit answering 429. Routing uses the client's
//! route table.

use super::server::{count_and_fault, Reply};
use super::store::timeuuid;
use super::SimState;
use crate::ignitenet::config_map::{self as cfg, ConfigMap, Entry, Origin};
use crate::ignitenet::match_path;
use axum::http::HeaderMap;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;

/// Config roots the simulated cloud knows; a change under any other is a 400.
pub const ROOTS: &[&str] = &[
    "locale", "radio", "network", "wireless", "users", "lans", "system", "hotspot", "services",
    "snmp",
];

pub struct IgSite {
    pub record: Value,
    pub config: ConfigMap,
    pub timestamp: String,
}

pub struct IgDevice {
    pub record: Value,
    pub config: ConfigMap,
    pub timestamp: String,
}

/// The simulated cloud's data.
pub struct IgStore {
    pub sites: Vec<IgSite>,
    pub devices: Vec<IgDevice>,
    seq: u64,
}

impl IgStore {
    fn stamp(&mut self) -> String {
        self.seq += 1;
        timeuuid(chrono::Utc::now(), self.seq)
    }
    pub fn site_mut(&mut self, id: &str) -> Option<&mut IgSite> {
        self.sites.iter_mut().find(|s| s.record["id"] == id)
    }
    pub fn device_mut(&mut self, id: &str) -> Option<&mut IgDevice> {
        self.devices.iter_mut().find(|d| d.record["id"] == id)
    }
    pub fn site(&self, id: &str) -> Option<&IgSite> {
        self.sites.iter().find(|s| s.record["id"] == id)
    }
    pub fn device(&self, id: &str) -> Option<&IgDevice> {
        self.devices.iter().find(|d| d.record["id"] == id)
    }
    /// The devices of a site.
    pub fn devices_of(&self, site: &str) -> impl Iterator<Item = &IgDevice> {
        let site = site.to_string();
        self.devices
            .iter()
            .filter(move |d| d.record["site_id"] == site.as_str())
    }
    /// What a device runs: its site's config merged with its own by origin.
    pub fn effective(&self, device: &str) -> Option<BTreeMap<String, String>> {
        let d = self.device(device)?;
        let s = self.site(d.record["site_id"].as_str()?)?;
        Some(cfg::effective(&s.config, &d.config))
    }
    /// Changes a site's config as if someone saved in the Cloud UI (a new timestamp).
    pub fn touch_site(&mut self, id: &str, key: &str, value: &str) {
        let ts = self.stamp();
        if let Some(s) = self.site_mut(id) {
            s.config.insert(key.into(), Entry::new(value, Origin::Site));
            s.timestamp = ts;
        }
    }
    /// Changes a device's config as if someone saved in the Cloud UI (a new timestamp).
    pub fn touch_device(&mut self, id: &str, key: &str, value: &str, origin: Origin) {
        let ts = self.stamp();
        if let Some(d) = self.device_mut(id) {
            d.config.insert(key.into(), Entry::new(value, origin));
            d.timestamp = ts;
        }
    }
}

/// Templates for new entities, keyed by kind, and the starting config of a new site.
pub fn defaults() -> Value {
    json!({
        "ssid": {"ssid": "IgniteNet", "enable": "1", "preferredRadio": "r5,r24", "encryption": "psk2",
                 "key": "", "broadcastSSID": "1", "isolate": "0", "vlan": "", "maxClients": "127"},
        "user": {"name": "", "password": "", "role": "admin", "enable": "1"},
        "lan": {"name": "", "ipaddr": "192.168.2.1", "netmask": "255.255.255.0", "proto": "static",
                "dhcp": "1", "dhcpStart": "100", "dhcpLimit": "150"}
    })
}

fn initial() -> ConfigMap {
    [
        ("locale/code", "US"),
        ("locale/deviceLang", "auto"),
        ("radio/r5/enable", "1"),
        ("radio/r24/enable", "1"),
        ("radio/global/bandSteering", "0"),
        ("network/lan/enable", "1"),
        ("system/ntpServer", "pool.ntp.org"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Entry::new(v, Origin::Site)))
    .collect()
}

fn entity(root: &str, id: u64, kind: &str, props: &[(&str, &str)], origin: Origin) -> ConfigMap {
    let d: BTreeMap<String, String> = defaults()[kind]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let p = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    cfg::entity_changes(root, id, &d, &p, origin)
}

/// A deterministic cloud: `sites` sites of `per_site` devices. In every site the first device
/// overrides the Guest SSID (origin `site-device`) and the second has a device-only SSID.
pub fn generate(
    sites: usize,
    per_site: usize,
    seed: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> IgStore {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x1_9417e);
    let mut store = IgStore {
        sites: vec![],
        devices: vec![],
        seq: 0,
    };
    let mut dev_n = 0u64;
    for s in 0..sites {
        let site_id = push_site(&mut store, &mut rng, s, now);
        for i in 0..per_site {
            dev_n += 1;
            push_device(&mut store, &mut rng, &site_id, i, dev_n, now);
        }
    }
    store
}

/// Site number `s`: its record and config (corporate and Guest SSIDs, the admin user, a LAN).
fn push_site(
    store: &mut IgStore,
    rng: &mut rand_chacha::ChaCha8Rng,
    s: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let names = [
        "HQ",
        "Warehouse",
        "Retail-North",
        "Retail-South",
        "Campus",
        "Depot",
    ];
    let site_id = (281_474_976_710_783u64 + s as u64 * 17).to_string();
    let name = format!(
        "{}{}",
        names[s % names.len()],
        if s >= names.len() {
            format!("-{s}")
        } else {
            String::new()
        }
    );
    let created = now - chrono::Duration::days(400 + rng.random_range(0..300));
    let mut config = initial();
    let key = format!(
        "{}-wpa-{}",
        name.to_lowercase(),
        rng.random_range(1000..9999)
    );
    config.extend(entity(
        "wireless",
        1_000_000_001,
        "ssid",
        &[("ssid", &format!("{name}-Corp")), ("key", &key)],
        Origin::Site,
    ));
    config.extend(entity(
        "wireless",
        1_000_000_002,
        "ssid",
        &[("ssid", "Guest"), ("encryption", "none"), ("isolate", "1")],
        Origin::Site,
    ));
    config.extend(entity(
        "users",
        cfg::user_id("admin"),
        "user",
        &[("name", "admin"), ("password", "$1$sim$Zq3cKx")],
        Origin::Site,
    ));
    config.extend(entity(
        "lans",
        1_000_000_001,
        "lan",
        &[("name", "Staff")],
        Origin::Site,
    ));
    let seq = store.seq + 1;
    store.seq = seq;
    store.sites.push(IgSite {
        record: json!({
            "id": site_id, "name": name, "description": format!("{name} site"),
            "timezone": "UTC", "country": "US",
            "created_at": created.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "updated_at": (now - chrono::Duration::days(rng.random_range(1..30))).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        }),
        config,
        timestamp: timeuuid(now, seq),
    });
    site_id
}

/// Device `i` of a site (`dev_n` in the whole cloud): the first overrides the site's Guest
/// SSID, the second has an SSID of its own.
fn push_device(
    store: &mut IgStore,
    rng: &mut rand_chacha::ChaCha8Rng,
    site_id: &str,
    i: usize,
    dev_n: u64,
    now: chrono::DateTime<chrono::Utc>,
) {
    let types = ["NET_ENTERPRISE", "SPARK_WAVE", "METROLINQ"];
    let status = if rng.random_bool(0.85) {
        "STATUS_ONLINE"
    } else {
        "STATUS_OFFLINE"
    };
    let health = match rng.random_range(0..10) {
        0 => "HEALTH_CRITICAL",
        1 | 2 => "HEALTH_WARNING",
        _ => "HEALTH_NORMAL",
    };
    let id = (281_474_976_711_000u64 + dev_n * 3).to_string();
    let mut config: ConfigMap = [(
        "system/hostname".to_string(),
        Entry::new(format!("mock-device-{dev_n}"), Origin::Device),
    )]
    .into();
    if i == 0 {
        // A whole-entity override of the site's Guest SSID.
        let site_cfg = &store.sites.last().unwrap().config;
        let props = BTreeMap::from([("ssid".to_string(), "Guest-Lobby".to_string())]);
        config.extend(cfg::override_entity(site_cfg, "wireless", 1_000_000_002, &props).unwrap());
    }
    if i == 1 {
        config.extend(entity(
            "wireless",
            1,
            "ssid",
            &[("ssid", "Maintenance"), ("broadcastSSID", "0")],
            Origin::Device,
        ));
    }
    let seq = store.seq + 1;
    store.seq = seq;
    let contact = now - chrono::Duration::seconds(rng.random_range(5..3600));
    store.devices.push(IgDevice {
        record: json!({
            "id": id, "name": format!("Mock Device-{dev_n}"), "site_id": site_id,
            "sn": format!("{:07}", 10 + dev_n), "mac": format!("00:00:00:00:{:02x}:{:02x}", dev_n >> 8, dev_n & 0xff),
            "status_id": status, "state_id": "STATE_REGISTERED", "health_id": health,
            "blocked": false,
            "last_contact": contact.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "created_at": (now - chrono::Duration::days(rng.random_range(200..700))).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "updated_at": (now - chrono::Duration::days(rng.random_range(1..60))).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "product_brand_id": "1", "type": types[dev_n as usize % types.len()],
            "hostname": format!("mock-device-{dev_n}"), "suspend_config": false, "decomm": false,
            "license_type": "LICENSE_TYPE_FREE"
        }),
        config,
        timestamp: timeuuid(now, seq),
    });
}

/// Answers one `/pub/v1/...` request.
pub(crate) fn handle(
    st: &SimState,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    if let Some(refused) = refuse_bad_key(st, headers).or_else(|| refuse_over_limit(st)) {
        return refused;
    }
    let rest = path.trim_start_matches("/pub/v1").trim_matches('/');
    let Some((route, id)) = match_path(rest) else {
        st.counters.lock().unwrap().total += 1;
        return Reply::plain(404, format!("Cannot {method} /pub/v1/{rest}"));
    };
    let name = format!("ignitenet/{}", route.name);
    if let Some(r) = count_and_fault(st, method, &name, method != "GET", true) {
        return r;
    }
    if !route.methods.iter().any(|m| m.as_str() == method) {
        return Reply::plain(405, format!("Cannot {method} /pub/v1/{rest}"));
    }
    // The spec: every request carries `content-type: application/json`; a body depends on it.
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if method != "GET" && !json {
        return Reply::plain(400, "content-type header must be application/json");
    }
    let mut store = st.ignitenet.lock().unwrap();
    answer(
        &mut store,
        route.name,
        method,
        &id.unwrap_or_default(),
        rest,
        body,
    )
}

/// A 401 (counted) unless the request carries the account's `x-api-key`.
fn refuse_bad_key(st: &SimState, headers: &HeaderMap) -> Option<Reply> {
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(st.ignitenet_key.as_str()) {
        return None;
    }
    let mut c = st.counters.lock().unwrap();
    c.total += 1;
    c.unauthorized += 1;
    Some(Reply::plain(401, "x-api-key header is not valid"))
}

/// A 429 (counted) when the rate limit's window is full; otherwise the request takes its place
/// in the window.
fn refuse_over_limit(st: &SimState) -> Option<Reply> {
    let mut l = st.ignitenet_limit.lock().unwrap();
    let (limit, window) = &mut *l;
    let now = Instant::now();
    while window
        .front()
        .is_some_and(|t| now.duration_since(*t) >= limit.per)
    {
        window.pop_front();
    }
    if window.len() >= limit.requests {
        let mut c = st.counters.lock().unwrap();
        c.total += 1;
        c.too_many += 1;
        return Some(Reply::plain(
            429,
            format!(
                "Too Many Requests: the limit is {} requests per {:?}",
                limit.requests, limit.per
            ),
        ));
    }
    window.push_back(now);
    None
}

/// The answer of route `route` (by name) to an authorized, allowed request for record `id`.
fn answer(
    store: &mut IgStore,
    route: &str,
    method: &str,
    id: &str,
    rest: &str,
    body: &[u8],
) -> Reply {
    match (route, method) {
        ("sites", _) => Reply::json(
            200,
            Value::Array(store.sites.iter().map(|s| s.record.clone()).collect()),
        ),
        ("site_devices", _) => match store.site(id) {
            Some(_) => Reply::json(
                200,
                Value::Array(store.devices_of(id).map(|d| d.record.clone()).collect()),
            ),
            None => Reply::plain(404, format!("site {id} not found")),
        },
        ("site_config", "GET") => match store.site(id) {
            Some(s) => Reply::json(200, site_answer(s, false)),
            None => Reply::plain(404, format!("site {id} not found")),
        },
        ("device_config", "GET") => match device_answer(store, id, false) {
            Some(v) => Reply::json(200, v),
            None => Reply::plain(404, format!("device {id} not found")),
        },
        // "/devices/{deviceId}/config": the device's config object.
        ("device_config_object", _) => match store.device(id) {
            Some(d) => Reply::json(200, cfg::to_value(&d.config)),
            None => Reply::plain(404, format!("device {id} not found")),
        },
        ("site_config", _) => post(store, id, true, body),
        ("device_config", _) => post(store, id, false, body),
        _ => Reply::plain(404, format!("Cannot {method} /pub/v1/{rest}")),
    }
}

fn flags(v: &mut Value, suspended: bool, stale: bool) {
    v["unfinishedTaskCount"] = json!(0);
    v["configSuspended"] = json!(suspended);
    v["configResync"] = json!(false);
    v["serverSideChanged"] = json!(stale);
}

fn site_answer(s: &IgSite, stale: bool) -> Value {
    let mut v = json!({
        "timestamp": s.timestamp,
        "site": cfg::to_value(&s.config),
        "defaults": defaults(),
        "initial": cfg::to_value(&initial()),
    });
    flags(&mut v, false, stale);
    v
}

fn device_answer(store: &IgStore, id: &str, stale: bool) -> Option<Value> {
    let d = store.device(id)?;
    let s = store.site(d.record["site_id"].as_str()?)?;
    let mut v = json!({
        "timestamp": d.timestamp,
        "site": cfg::to_value(&s.config),
        "device": cfg::to_value(&d.config),
        "defaults": defaults(),
    });
    flags(&mut v, d.record["suspend_config"] == true, stale);
    Some(v)
}

/// Validates `changes` the way the cloud does; the error text is what it answers (400).
fn validate(
    changes: &serde_json::Map<String, Value>,
    site_level: bool,
) -> Result<ConfigMap, String> {
    let mut out = ConfigMap::new();
    for (k, e) in changes {
        let root = k.split('/').next().unwrap_or_default();
        if !ROOTS.contains(&root) || !k.contains('/') {
            return Err(format!(
                "unknown config key \"{k}\": root \"{root}\" does not exist"
            ));
        }
        let Some(obj) = e.as_object() else {
            return Err(format!(
                "invalid change for \"{k}\": expected {{\"value\": \"...\", \"origin\": \"...\"}}"
            ));
        };
        let value = match obj.get("value") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(format!("invalid value for \"{k}\": values must be strings")),
        };
        let origin = obj.get("origin").and_then(Value::as_str).unwrap_or("");
        let origin =
            Origin::parse(origin).map_err(|_| format!("invalid origin for \"{k}\": {origin:?}"))?;
        if site_level && origin != Origin::Site {
            return Err(format!(
                "invalid origin for \"{k}\": site config keys must have origin \"site\""
            ));
        }
        if let Some((r, id, _)) = cfg::entity_key(k) {
            let site_range = id > cfg::DEVICE_ID_LIMIT;
            // User ids are CRC-32 hashes of the name, in either range.
            if r != "users" && (site_range != (origin != Origin::Device)) {
                return Err(format!(
                    "invalid entity id {id} in \"{k}\": ids above 1000000000 are site entities, below are device entities"
                ));
            }
        }
        out.insert(k.clone(), Entry::new(value, origin));
    }
    Ok(out)
}

fn post(store: &mut IgStore, id: &str, site_level: bool, body: &[u8]) -> Reply {
    let exists = if site_level {
        store.site(id).is_some()
    } else {
        store.device(id).is_some()
    };
    if !exists {
        return Reply::plain(
            404,
            format!(
                "{} {id} not found",
                if site_level { "site" } else { "device" }
            ),
        );
    }
    let Ok(Value::Object(b)) = serde_json::from_slice::<Value>(body) else {
        return Reply::plain(
            400,
            "the body must be a JSON object {\"timestamp\": ..., \"changes\": {...}}",
        );
    };
    let Some(ts) = b.get("timestamp").and_then(Value::as_str) else {
        return Reply::plain(
            400,
            "timestamp is required: GET config-changes first and send its timestamp",
        );
    };
    let Some(changes) = b.get("changes").and_then(Value::as_object) else {
        return Reply::plain(
            400,
            "changes must be an object of key -> {\"value\", \"origin\"}",
        );
    };
    let changes = match validate(changes, site_level) {
        Ok(c) => c,
        Err(e) => return Reply::plain(400, e),
    };
    let fresh = store.stamp();
    if site_level {
        let s = store.site_mut(id).unwrap();
        if s.timestamp != ts {
            return Reply::json(200, site_answer(s, true));
        }
        s.config.extend(changes);
        s.timestamp = fresh;
        Reply::json(200, site_answer(s, false))
    } else {
        let d = store.device(id).unwrap();
        if d.record["suspend_config"] == true {
            return Reply::json(200, device_answer(store, id, false).unwrap());
        }
        if d.timestamp != ts {
            return Reply::json(200, device_answer(store, id, true).unwrap());
        }
        let d = store.device_mut(id).unwrap();
        d.config.extend(changes);
        d.timestamp = fresh;
        Reply::json(200, device_answer(store, id, false).unwrap())
    }
}
