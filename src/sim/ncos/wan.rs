//! The `wan` section of a default configuration: the legacy `wan.rules` (before 6.0) or
//! `wan.rules2` (6.0 on), each default rule filled with its element's defaults (the modem's
//! sixty-odd keys among them: "wan about 24 KB (13 rule entries, each carrying full modem
//! defaults)", notes §5), and the section's other lists and settings. The default rules and
//! their `_id_`s, names, triggers and priorities are the notes' tables (§2, §4).

use super::model::{Firmware, Model};
use super::tree::{conv_id, RULES, RULES2};
use serde_json::{json, Map, Value};

/// The default `wan.rules2` entries (notes §2, "Default wan.rules2 entries (E3000 7.25.101)"):
/// trigger name, trigger string, priority. The 5G rule's `_id_` ends in `...8e15`.
const RULES2_DEFAULTS: &[(&str, &str, f64)] = &[
    ("Ethernet", "type|is|ethernet", 1.0),
    ("WiFi as WAN", "type|is|wwan", 4.0),
    ("LTE-only Modems", "type|is|mdm%tech|is|lte", 2.0),
    (
        "LTE/3G Multi-mode Modems",
        "type|is|mdm%tech|is|lte/3g",
        2.5,
    ),
    ("3G-only Modems", "type|is|mdm%tech|is|3g", 5.0),
    (
        "5G/LTE Multi-mode Modems",
        "type|is|mdm%tech|is|5g/lte",
        1.5,
    ),
    ("Wbond", "type|is|wbond", -10.012),
];

/// The legacy `wan.rules` defaults (notes §4: "Common Defaults" (uid contains ""), "Ethernet
/// Defaults", "LTE Defaults", and so on): name, trigger field, predicate, value, priority.
const RULES_DEFAULTS: &[(&str, &str, &str, &str, f64)] = &[
    ("Common Defaults", "uid", "contains", "", -10.0),
    ("Ethernet Defaults", "type", "is", "ethernet", -1.0),
    ("LTE Defaults", "type", "is", "lte", -2.0),
    ("WiMax Defaults", "type", "is", "wimax", -3.0),
    ("Wireless as WAN Defaults", "type", "is", "wwan", -4.0),
    ("3G Modem Defaults", "type", "is", "modem", -5.0),
];

/// The `_id_` of default `rules2` entry `n` (the 5G rule, 5, has its own last digit).
pub fn rules2_id(n: usize) -> String {
    if n == 5 {
        "00000005-a81d-3590-93ca-8b1fcfeb8e15".to_string()
    } else {
        conv_id(n, RULES2)
    }
}

/// How many default `rules2` entries a firmware has (so where a router's own entries start).
pub fn rules2_defaults(fw: Firmware) -> usize {
    if fw.wbond() {
        RULES2_DEFAULTS.len()
    } else {
        RULES2_DEFAULTS.len() - 1
    }
}

/// A modem's settings in a WAN rule, every key with its default (the APN, PIN and PPP
/// password empty: the secrets are set per rule, never by default).
pub fn modem_defaults() -> Value {
    let mut m = Map::new();
    for k in [
        "aggressive_no_carrier",
        "band_mask_enable",
        "link_down_reset",
        "override_fw_pairing",
        "wimax_auth_disabled",
    ] {
        m.insert(k.into(), json!(false));
    }
    for k in [
        "aggressive_reset",
        "apn_data_verify",
        "aux_antenna_enable",
        "band_30",
        "band_48",
        "carrier_aggregation",
        "ehrpd_enable",
        "fw_update_check",
        "ip_src_wan_subnet_filter",
        "mdm_gps_enable",
        "ota_apn",
        "sprint_bands",
    ] {
        m.insert(k.into(), json!(true));
    }
    for k in [
        "apn",
        "config_script",
        "dial_script",
        "five_g_bands_nsa",
        "five_g_bands_sa",
        "four_g_bands",
        "gps_src_antenna",
        "lock_net",
        "manual_apn",
        "manual_apn_type",
        "manual_sd",
        "manual_sst",
        "ppp_password",
        "ppp_username",
        "sim_pin",
    ] {
        m.insert(k.into(), json!(""));
    }
    m.extend(obj(json!({"apn_mode": "default", "auth_type": "none", "band": 0,
        "carrier_select": "auto", "cdma_adv": {"nai": "", "persist": false, "profile": 255},
        "connect_mode": "auto", "dhcp_relay_mode": "nochange", "five_g_standalone": "nochange",
        "functional_mode": "ipt", "lock_net_sos_rssi": -99, "management_num": "*22899",
        "net_sel_mode": "auto", "nia_mode": "disconnected", "nia_schedule_time": "12:00 AM",
        "ppp_protocol": "auto", "profiles": [], "sim_lock": "nochange", "ttls_auth_mode": "mschapv2",
        "ttls_password": "", "ttls_username": "", "voice_reject_mode": "nochange",
        "xtnd_conn_delay": 0, "xtnd_conn_interval": 20})));
    Value::Object(m)
}

/// What every WAN rule carries besides its trigger and its modem settings.
fn rule_common() -> Map<String, Value> {
    let check =
        || json!({"idle_seconds": 30, "mode": "off", "retry_count": 5, "retry_interval": 8});
    obj(
        json!({"6in4": {}, "6rd": {"ipv4_common_prefix": 0}, "auto6": {"pd_reqlen": 63},
        "bandwidth_egress": 1300, "bandwidth_ingress": 1300, "connectionset": 0, "datacap": [],
        "debug": false, "def_conn_state": "normal", "disabled": false, "dns6": [],
        "failback": {"exclude_sibling": false, "mode": "rate", "rate_bandwidth": 20, "rate_time": 90, "time": 90},
        "failureCheck": check(), "failureCheck6": check(), "force_nat": false, "hostname": "system",
        "ip4_mode": "auto4", "ip6_mode": "disabled", "ip_mode": "dhcp", "ip_override": {},
        "modem": modem_defaults(), "mtu": 1500, "net_name": "", "net_uuid": "", "ondemand": false,
        "ondemand_idle_minutes": 5, "ondemand_start_connected": true, "pd6": [],
        "pppoe": {"auth": "auto", "pass": "", "user": ""}, "proxy_arp": false, "qos_allowed": true,
        "router_modified": false, "stabilityCheck": {"enabled": false, "time": 10},
        "static": {"dns": [], "gateway": "", "ip_address": "", "netmask": ""}, "static6": {},
        "termination": {"mode": "off", "rate_bandwidth": 20, "rate_time": 90, "time": 90}}),
    )
}

/// A `rules2` entry: the common keys with its `_id_`, trigger and priority.
pub fn rules2_entry(id: &str, name: &str, trigger: &str, priority: f64) -> Value {
    let mut e = rule_common();
    e.extend(obj(
        json!({"_id_": id, "priority": priority, "trigger_name": name,
        "trigger_string": trigger, "xlat_enable": true}),
    ));
    Value::Object(e)
}

fn legacy_rule(n: usize, d: &(&str, &str, &str, &str, f64)) -> Value {
    let mut e = rule_common();
    e.extend(obj(json!({"_id_": conv_id(n, RULES), "loadbalance": false, "trigger_field": d.1,
        "trigger_name": d.0, "trigger_predicate": d.2, "trigger_priority": d.4, "trigger_value": d.3})));
    Value::Object(e)
}

/// The `wan` section of `fw` (the rules of its generation) for `model`.
pub fn wan(model: &Model, fw: Firmware) -> Value {
    let mut w = obj(
        json!({"affinity": [], "connectionsets": [{"algo": "spillover", "mode": "connect", "set": 1}],
        "custom_apns": [], "datacap": {"agreement": false, "enabled": false, "rules": [], "templates": []},
        "debug": false, "dual_sim": {"prefer_primary": false}, "ethernet_modem_auto_detect": true,
        "multi_pdn": "",
        "swans": {"control": {"mode": "periodic", "refresh_period": 120, "resolution": "manual"},
            "criteria": {"common": {"ping6_target": "2001:4860:4860::8888", "ping_target": "8.8.8.8"},
                "datausage": {"enabled": false, "min_percent": 50, "priority": 20},
                "jitter": {"enabled": false, "max": 500, "priority": 40},
                "latency": {"enabled": false, "max": 1000, "priority": 30},
                "signalstrength": {"enabled": false, "min_percent": 50, "priority": 10}},
            "enabled": false}}),
    );
    if fw.rules2() {
        let rules: Vec<Value> = RULES2_DEFAULTS[..rules2_defaults(fw)]
            .iter()
            .enumerate()
            .map(|(n, (name, trigger, p))| rules2_entry(&rules2_id(n), name, trigger, *p))
            .collect();
        w.insert("rules2".into(), Value::Array(rules));
        w.insert("rules_migrated_to_rules2".into(), json!(true));
    } else {
        let rules: Vec<Value> = RULES_DEFAULTS
            .iter()
            .enumerate()
            .map(|(n, d)| legacy_rule(n, d))
            .collect();
        w.insert("rules".into(), Value::Array(rules));
    }
    if model.modems > 1 {
        w.insert("vz_management_apn_recovery".into(), json!(true));
    }
    Value::Object(w)
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
