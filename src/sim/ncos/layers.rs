//! The configurations a simulated fleet's operators and routers set on top of the firmware
//! defaults, each a config diff drawn from a seed, written for one firmware:
//!
//! - a group's configuration: what a fleet sets for a kind of site (logging, NTP and DNS
//!   servers, an APN on a modem rule, alerting; stores add SSIDs with WPA keys and a zone
//!   firewall policy, some an IPsec tunnel with its pre-shared key; vehicles add GPS reporting
//!   and an open passenger SSID);
//! - a router's individual configuration: a few paths of its own (`system_id`, the LAN address,
//!   a back-office SSID, a port forward, DHCP reservations, a static WAN address), in the mixed
//!   `_id_`/offset form real diffs use; a few routers carry much more (certificates, long
//!   firewall policies, tunnels: the notes' tail of large diffs);
//! - what a router adds to its configuration itself: a `wan.rules2` entry for each modem it has
//!   seen ("When a modem or WWAN network is first seen, the router adds its own rules2 entry",
//!   notes §2) and its users' password hashes (`$2$<salt8>$<base64>`, notes §3).
//!
//! The same seed gives the same content on any firmware: only its layout differs (`wan.rules`
//! or `wan.rules2`, Wi-Fi or not), so a router's layers for its actual and its target firmware
//! agree.

use super::model::{Firmware, Model};
use super::tree::{conv_id, POLICIES, RULES, ZONES};
use super::wan::{rules2_defaults, rules2_id};
use crate::diff::Diff;
use crate::ncm::defaults::PRIMARY_LAN_ID;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};

/// What a group is for; it decides what its configuration sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Stores,
    Vehicles,
}

/// A group, as far as its configuration depends on it.
#[derive(Debug, Clone, Copy)]
pub struct GroupSpec {
    pub id: u64,
    pub purpose: Purpose,
    pub model: Model,
    /// Stores groups of this product run an IPsec tunnel to the head office.
    pub tunnel: bool,
    pub seed: u64,
}

/// A modem a router has (or had): its uid and whether it is a 5G one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modem {
    pub uid: String,
    pub five_g: bool,
}

/// A router, as far as its own configuration and what it adds depend on it.
#[derive(Debug, Clone)]
pub struct RouterSpec {
    pub index: usize,
    pub model: Model,
    /// The modem its net devices show.
    pub modem: Modem,
    pub seed: u64,
}

/// A config diff's updates, built by paths.
#[derive(Default)]
struct Updates(Map<String, Value>);

impl Updates {
    /// Sets `value` at `path`, making the objects on the way (merging into what is there).
    fn set(&mut self, path: &[&str], value: Value) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut cur = &mut self.0;
        for seg in parents {
            let slot = cur.entry(seg.to_string()).or_insert_with(|| json!({}));
            if !slot.is_object() {
                *slot = json!({});
            }
            let Value::Object(m) = slot else { return };
            cur = m;
        }
        match (cur.get_mut(*last), value) {
            (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
            (_, value) => {
                cur.insert(last.to_string(), value);
            }
        }
    }

    fn into_diff(self) -> Diff {
        Diff {
            updates: self.0,
            removals: vec![],
        }
    }
}

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ stream.rotate_left(40))
}

/// A version-4 UUID drawn from `rng` (list elements operators add carry one: notes §2).
pub fn uuid4(rng: &mut impl RngCore) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `n` characters of base64's alphabet, drawn from `rng` a block of bytes at a time.
fn base64ish(rng: &mut impl RngCore, n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| B64[(*b & 63) as usize] as char)
        .collect()
}

/// A password as NCOS stores it: `$2$<salt8>$<base64>` (notes §3).
fn hashed(rng: &mut impl RngCore) -> String {
    format!("$2${}${}=", base64ish(rng, 8), base64ish(rng, 43))
}

/// A printable secret of `n` characters (a WPA passphrase, a pre-shared key).
fn passphrase(rng: &mut impl RngCore, n: usize) -> String {
    const C: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = vec![0u8; n];
    rng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| C[*b as usize % C.len()] as char)
        .collect()
}

/// A PEM block of `lines` 64-character lines.
fn pem(rng: &mut impl RngCore, what: &str, lines: usize) -> String {
    let body: Vec<String> = (0..lines).map(|_| base64ish(rng, 64)).collect();
    format!(
        "-----BEGIN {what}-----\n{}\n-----END {what}-----\n",
        body.join("\n")
    )
}

/// The `_id_` and list of a modem WAN rule: the `rules2` entry `n`, or (before 6.0) the legacy
/// rule for modems, `rules` entry 5 ("3G Modem Defaults").
fn modem_rule(fw: Firmware, n: usize) -> (String, &'static str) {
    if fw.rules2() {
        (rules2_id(n), "rules2")
    } else {
        (conv_id(5, RULES), "rules")
    }
}

/// An APN set on a modem WAN rule, keyed by the rule's `_id_` (the spec's "Setting the APN").
fn apn(u: &mut Updates, fw: Firmware, rule: usize, apn: &str) {
    let (id, list) = modem_rule(fw, rule);
    u.set(
        &["wan", list, &id],
        json!({"_id_": id, "modem": {"apn_mode": "manual", "manual_apn": apn}}),
    );
}

/// The configuration of a group, for its firmware `fw`.
pub fn group(g: &GroupSpec, fw: Firmware) -> Diff {
    let mut r = rng(g.seed, g.id);
    let mut u = Updates::default();
    let net = 16 + (g.id % 200) as u8;
    u.set(
        &["system", "logging"],
        json!({"level": "info", "remoteLogging": {"enabled": true, "server": format!("10.{net}.0.20"), "server_port": 514}}),
    );
    let zone = ["-5", "-6", "-7", "-8"][r.random_range(0..4)];
    u.set(&["system", "timezone"], json!(zone));
    u.set(
        &["system", "ntp", "servers"],
        json!({"0": {"server": format!("ntp1.{net}.corp.example")}, "1": {"server": "time.google.com"}}),
    );
    u.set(
        &["dns", "servers"],
        json!({"0": {"ip_address": format!("10.{net}.0.53")}, "1": {"ip_address": format!("10.{net}.1.53")}}),
    );
    u.set(
        &["alerts"],
        json!({"config_change": true, "wan_status_change": true,
            "handlers": {"smtp": {"smtp_server": "mail.corp.example", "to_email": "noc@corp.example"}}}),
    );
    let carrier = ["vzwentp", "broadband", "fast.t-mobile.com"][r.random_range(0..3)];
    match g.purpose {
        Purpose::Stores => {
            apn(&mut u, fw, 3, &format!("stores.{carrier}"));
            store_wifi(&mut u, g, &mut r);
            store_firewall(&mut u, &mut r);
            if g.tunnel {
                let t = tunnel(&mut r, "Head office", &format!("10.{net}.0.0/16"));
                u.set(&["vpn"], json!({"enabled": true, "tunnels": t}));
            }
        }
        Purpose::Vehicles => {
            apn(&mut u, fw, 5, &format!("fleet.{carrier}"));
            u.set(&["wan", "dual_sim"], json!({"prefer_primary": true}));
            vehicle_gps(&mut u, g, &mut r);
            if g.model.radios > 0 {
                u.set(
                    &["wlan", "radio", "0", "bss", "0"],
                    json!({"ssid": format!("{}-Passenger", g.model.name), "authmode": "none", "isolate": true}),
                );
            }
        }
    }
    u.into_diff()
}

/// A store's SSIDs: the staff network with its key on every radio, and the guest network.
fn store_wifi(u: &mut Updates, g: &GroupSpec, r: &mut ChaCha8Rng) {
    if g.model.radios == 0 {
        return;
    }
    let key = format!("store-psk-{}-{}", g.id, passphrase(r, 8));
    let guest = format!("guest-{}", passphrase(r, 10));
    for radio in 0..g.model.radios as usize {
        let radio = radio.to_string();
        u.set(
            &["wlan", "radio", &radio, "bss", "0"],
            json!({"ssid": format!("{}-store", g.model.name), "wpapsk": key}),
        );
        u.set(
            &["wlan", "radio", &radio, "bss", "1"],
            json!({"enabled": true, "ssid": "Store-Guest", "authmode": "wpa2psk", "wpapsk": guest}),
        );
    }
    u.set(&["wlan", "band_steer"], json!(true));
}

/// A zone-firewall rule allowing `proto` to `port` of `dst`.
fn fw_rule(priority: usize, name: &str, dst: &str, proto: u32, port: u32) -> Value {
    json!({"action": "allow", "enabled": true, "ip_version": "ip4", "log": false, "name": name,
        "priority": priority, "protocols": [{"identity": proto}],
        "src": {"ip": [], "mac": [], "port": []},
        "dst": {"ip": [{"identity": dst}], "port": [{"start": port, "end": port}]}})
}

/// The store's point-of-sale policy: a few allow rules, the rest denied, from the Primary LAN
/// zone to the WAN zone.
fn store_firewall(u: &mut Updates, r: &mut ChaCha8Rng) {
    let policy = uuid4(r);
    let rules: Vec<Value> = [
        ("Card processor", 443),
        ("Payments API", 8443),
        ("NTP", 123),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, port))| {
        let ip = format!("198.51.100.{}/32", r.random_range(1..250));
        fw_rule(i, name, &ip, if *port == 123 { 17 } else { 6 }, *port)
    })
    .collect();
    let fwd = uuid4(r);
    u.set(
        &["security", "zfw", "filter_policies", &policy],
        json!({"_id_": policy, "name": "Store POS", "default_action": "deny", "log": true, "rules": rules}),
    );
    u.set(
        &["security", "zfw", "forwardings", &fwd],
        json!({"_id_": fwd, "enabled": true, "filter_policy_id": policy,
            "src_zone_id": conv_id(3, ZONES), "dst_zone_id": conv_id(2, ZONES)}),
    );
    u.set(
        &["security", "zfw", "filter_policies", &conv_id(1, POLICIES)],
        json!({"_id_": conv_id(1, POLICIES), "log": true}),
    );
}

/// An IPsec tunnel (a `vpn.tunnels` element keyed by its `_id_`) with its pre-shared key.
fn tunnel(r: &mut ChaCha8Rng, name: &str, remote: &str) -> Value {
    let id = uuid4(r);
    let t = json!({"_id_": id, "anonymous": false, "auth_method": "psk", "dpd_enabled": true,
        "dpd_conn_idle_time": 60, "dpd_max_requests": 5, "dpd_request_freq": 30, "enabled": true,
        "ike1_dh_group": 14, "ike1_encryption": "aes256", "ike1_exchange_mode": "main",
        "ike1_hash": "sha256", "ike1_key_lifetime": 28800, "ike2_dh_group": 14,
        "ike2_encryption": "aes256", "ike2_hash": "sha256", "ike2_key_lifetime": 3600,
        "ike2_pfs": true, "ike_version": 2, "initiator_mode": "always", "local_identity": "",
        "local_identity_type": "auto",
        "local_network": [{"ip_network": "192.168.0.0/24"}], "mode": "tunnel", "mtu": 1400,
        "name": name, "nat_traversal": true, "preshared_key": passphrase(r, 32),
        "remote_gateway": format!("vpn{}.corp.example", r.random_range(1..9)),
        "remote_identity": "", "remote_identity_type": "auto",
        "remote_network": [{"ip_network": remote}], "responder_mode": "default",
        "wan_trigger_field": "type", "wan_trigger_predicate": "is", "wan_trigger_value": "wan"});
    json!({ id: t })
}

/// A vehicle's GPS reporting to the fleet's AVL server (a `system.gps.connections` element).
fn vehicle_gps(u: &mut Updates, g: &GroupSpec, r: &mut ChaCha8Rng) {
    if !g.model.gps {
        return;
    }
    let id = uuid4(r);
    u.set(
        &["system", "gps"],
        json!({"enabled": true, "taip_vehicle_id": format!("{:04}", g.id % 10000),
            "connections": {id.clone(): {"_id_": id, "enabled": true, "name": "AVL server",
                "interval": 10, "nmea": {"include_gga": true, "include_rmc": true}, "language": "nmea",
                "client": {"server": "avl.corp.example", "port": 9000, "protocol": "udp"}}}}),
    );
}

/// A router's individual configuration, for its firmware `fw`.
pub fn individual(rt: &RouterSpec, fw: Firmware) -> Diff {
    let mut r = rng(rt.seed, 1);
    let mut u = Updates::default();
    let i = rt.index;
    if r.random_bool(0.65) {
        u.set(&["system", "system_id"], json!(format!("site-{i:05}")));
    }
    if r.random_bool(0.2) {
        u.set(
            &["system", "asset_id"],
            json!(format!("A-{:06}", r.random_range(0..1_000_000))),
        );
    }
    if r.random_bool(0.35) {
        lan_address(&mut u, i);
    }
    let ssid = r.random_bool(0.14) && rt.model.radios > 0;
    let key = passphrase(&mut r, 16);
    if ssid {
        u.set(
            &["wlan", "radio", "0", "bss", "2"],
            json!({"enabled": true, "ssid": format!("BackOffice-{:04x}", i % 0x10000), "authmode": "wpa2psk", "wpapsk": key}),
        );
    }
    if r.random_bool(0.15) {
        port_forwards(&mut u, &mut r, i);
    }
    if r.random_bool(0.1) {
        reservations(&mut u, &mut r, i);
    }
    let static_wan = r.random_bool(0.05);
    let (a, b) = (r.random_range(1..250), r.random_range(1..250));
    if static_wan && fw.rules2() {
        let id = rules2_id(0);
        u.set(
            &["wan", "rules2", &id],
            json!({"_id_": id, "ip_mode": "static", "static": {"ip_address": format!("203.0.{a}.{b}"),
                "netmask": "255.255.255.0", "gateway": format!("203.0.{a}.1")}}),
        );
    }
    if r.random_bool(0.06) {
        heavy(&mut u, &mut r, rt);
    }
    u.into_diff()
}

/// The Primary LAN's address, as the NCM UI writes it: with the DHCP range and some values
/// that equal their defaults (notes §5: "The UI writes many sub-keys that equal their defaults").
fn lan_address(u: &mut Updates, i: usize) {
    let net = format!("10.{}.{}", 100 + (i >> 8) % 100, i & 0xff);
    u.set(
        &["lan", PRIMARY_LAN_ID],
        json!({"_id_": PRIMARY_LAN_ID, "ip_address": format!("{net}.1"), "netmask": "255.255.255.0",
            "dhcpd": {"enabled": true, "lease_time": 720, "range_start": format!("{net}.100"),
                "range_end": format!("{net}.250"), "router_lifetime": 1800},
            "vrrp": {"enabled": false}, "stp": {"enabled": false}}),
    );
}

fn port_forwards(u: &mut Updates, r: &mut ChaCha8Rng, i: usize) {
    let n = r.random_range(1..4);
    let mut m = Map::new();
    for k in 0..n {
        let port = [8080, 8443, 5900, 3389, 2222][r.random_range(0..5)];
        m.insert(
            k.to_string(),
            json!({"name": format!("fwd-{k}"), "enabled": true, "ip_address": format!("192.168.0.{}", 10 + k),
                "protocol": "tcp", "wan_port_start": port, "wan_port_end": port, "lan_port_offt": 0,
                "priority": k, "desc": format!("router {i} service {k}")}),
        );
    }
    u.set(&["firewall", "portfwd"], Value::Object(m));
}

fn reservations(u: &mut Updates, r: &mut ChaCha8Rng, i: usize) {
    let n = r.random_range(2..7);
    let mut m = Map::new();
    for k in 0..n {
        let mac: Vec<String> = (0..6)
            .map(|_| format!("{:02x}", r.random::<u8>()))
            .collect();
        m.insert(
            k.to_string(),
            json!({"enabled": true, "hostname": format!("pos-{i}-{k}"), "ip_address": format!("192.168.0.{}", 20 + k),
                "mac": mac.join(":")}),
        );
    }
    u.set(&["dhcpd", "reserve"], Value::Object(m));
}

/// The tail of large configurations (notes §5): certificates, a long firewall policy, tunnels.
fn heavy(u: &mut Updates, r: &mut ChaCha8Rng, rt: &RouterSpec) {
    let kinds = r.random_range(1..8u8);
    if kinds & 1 != 0 {
        let n = r.random_range(5..13);
        let mut certs = Map::new();
        for k in 0..n {
            let id = uuid4(r);
            let lines = r.random_range(16..24);
            certs.insert(
                id.clone(),
                json!({"_id_": id, "name": format!("site-{}-cert-{k}", rt.index), "x509": pem(r, "CERTIFICATE", lines),
                    "key": pem(r, "PRIVATE KEY", 25), "ca_uuid": "", "cert_renew_interval": 30}),
            );
        }
        u.set(&["certmgmt", "certs"], Value::Object(certs));
    }
    if kinds & 2 != 0 {
        let n = r.random_range(40..110);
        let rules: Vec<Value> = (0..n)
            .map(|k| {
                let ip = format!(
                    "10.{}.{}.0/24",
                    r.random_range(0..255),
                    r.random_range(0..255)
                );
                fw_rule(k, &format!("rule {k}"), &ip, 6, r.random_range(1..65535))
            })
            .collect();
        let id = uuid4(r);
        u.set(
            &["security", "zfw", "filter_policies", &id],
            json!({"_id_": id, "name": "Site policy", "default_action": "deny", "log": false, "rules": rules}),
        );
    }
    if kinds & 4 != 0 {
        let mut tunnels = Map::new();
        for k in 0..r.random_range(3..8) {
            let t = tunnel(
                r,
                &format!("site-to-site {k}"),
                &format!("172.{}.0.0/16", 16 + k),
            );
            tunnels.extend(t.as_object().cloned().unwrap_or_default());
        }
        u.set(&["vpn"], json!({"enabled": true, "tunnels": tunnels}));
    }
}

/// What a router added to its own configuration, for its (actual) firmware `fw`: its users'
/// password hashes, and (6.0 on) a `rules2` entry for each modem it has seen, offset-keyed as
/// the device reports them, each with the `_id_` the next default index gives (notes §2:
/// `{"_id_":"00000006-a81d-...","trigger_name":"Modem-648bd63a", ...,"priority":2.25}`).
pub fn device_additions(rt: &RouterSpec, fw: Firmware) -> Diff {
    let mut r = rng(rt.seed, 2);
    let mut u = Updates::default();
    u.set(
        &["system", "users", "0"],
        json!({"password": hashed(&mut r)}),
    );
    if r.random_bool(0.2) {
        let id = uuid4(&mut r);
        u.set(
            &["system", "users", "1"],
            json!({"_id_": id, "username": (["support", "noc", "installer"][r.random_range(0..3)]),
                "group": "admin", "password": hashed(&mut r)}),
        );
    }
    let older = Modem {
        uid: format!("{:08x}", r.random::<u32>()),
        five_g: false,
    };
    let second = rt.model.modems > 1 && r.random_bool(0.25);
    if fw.rules2() {
        let first = rules2_defaults(fw);
        let mut seen = vec![&rt.modem];
        if second {
            seen.push(&older);
        }
        for (k, m) in seen.into_iter().enumerate() {
            let (tech, p) = if m.five_g {
                ("5g/lte", 1.75)
            } else {
                ("lte/3g", 2.25)
            };
            let n = first + k;
            u.set(
                &["wan", "rules2", &n.to_string()],
                json!({"_id_": rules2_id(n), "priority": p + k as f64 * 0.0001,
                    "trigger_name": format!("Modem-{}", m.uid),
                    "trigger_string": format!("type|is|mdm%tech|is|{tech}%uid|is|{}", m.uid)}),
            );
        }
    }
    u.into_diff()
}
