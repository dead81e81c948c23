//! Default device configurations per product and firmware (what a factory reset gives), with the
//! spec's default `_id_`s: `lan` (Primary/Guest LAN), `vlan` (the MBR1400 5.4.0 layout), WAN
//! rules (`wan.rules` before 6.0, `wan.rules2` from 6.0), radios, users, zones. NCM domain facts:
//! the config helpers build with them, and the simulator uses them as the DTD a config is
//! validated against.

use serde_json::{json, Value};

pub const PRIMARY_LAN_ID: &str = "00000000-0d93-319d-8220-4a1fb0372b51";
pub const GUEST_LAN_ID: &str = "00000001-0d93-319d-8220-4a1fb0372b51";
/// Firmware 5.x `wan.rules`: Ethernet WAN and LTE modem rules.
pub const RULES_ETHERNET_ID: &str = "00000001-dea3-3ccd-a78d-e0196084396f";
pub const RULES_LTE_ID: &str = "00000002-dea3-3ccd-a78d-e0196084396f";
/// Firmware 6.0+ `wan.rules2`: Ethernet WAN and LTE modem rules.
pub const RULES2_ETHERNET_ID: &str = "00000000-a81d-3590-93ca-8b1fcfeb8e14";
pub const RULES2_LTE_ID: &str = "00000002-a81d-3590-93ca-8b1fcfeb8e14";

/// Keys whose values are passwords: shown as `"*"` when read back (a domain fact of `diff`).
pub use crate::diff::SECRET_KEYS as PASSWORD_KEYS;

/// `(major, minor, patch)` of a firmware version such as `7.22.60`.
pub fn version_tuple(v: &str) -> (u32, u32, u32) {
    let mut it = v.split('.').map(|p| p.trim().parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

/// Does this firmware use `wan.rules2` (6.0 and later) rather than `wan.rules`?
pub fn uses_rules2(version: &str) -> bool {
    version_tuple(version).0 >= 6
}

fn wan_rule(id: &str, name: &str, trigger: &str, priority: f64) -> Value {
    json!({"_id_": id, "trigger_name": name, "trigger_string": trigger, "priority": priority, "disabled": false,
           "ip_mode": "dhcp",
           "static": {"ip_address": "", "netmask": "", "gateway": "", "dns": [{"ip_address": ""}, {"ip_address": ""}]},
           "modem": {"apn_mode": "auto", "manual_apn": "", "auth_type": "none"}})
}

/// The default configuration of `product` on firmware `version`.
pub fn default_config(product: &str, version: &str) -> Value {
    let rules2 = uses_rules2(version);
    let wan = if rules2 {
        json!({"rules2": [
            wan_rule(RULES2_ETHERNET_ID, "Ethernet", "type|is|ethernet", 0.0),
            wan_rule("00000001-a81d-3590-93ca-8b1fcfeb8e14", "WiFi as WAN", "type|is|wwan", 1.0),
            wan_rule(RULES2_LTE_ID, "LTE", "type|is|lte", 2.0),
            wan_rule("00000003-a81d-3590-93ca-8b1fcfeb8e14", "Modem", "type|is|mdm", 3.0),
        ], "dual_wan": {"mode": "failover"}})
    } else {
        json!({"rules": [
            wan_rule("00000000-dea3-3ccd-a78d-e0196084396f", "WiMAX", "type|is|wimax", 0.0),
            wan_rule(RULES_ETHERNET_ID, "Ethernet", "type|is|ethernet", 1.0),
            wan_rule(RULES_LTE_ID, "LTE", "type|is|lte", 2.0),
            wan_rule("00000003-dea3-3ccd-a78d-e0196084396f", "3G", "type|is|3g", 3.0),
            wan_rule("00000004-dea3-3ccd-a78d-e0196084396f", "Modem", "type|is|mdm", 4.0),
        ], "dual_wan": {"mode": "failover"}})
    };
    let bss = |ssid: String| {
        json!([{"enabled": true, "ssid": ssid, "wpapsk": "default-psk-0000", "authmode": "wpa2psk",
        "hidden": false, "radius0nasid": null}])
    };
    json!({
        "ecm": {"config_version": 0, "server_host": "stream.cradlepointecm.com"},
        "system": {
            "system_id": product,
            "admin": {"product_name": product},
            "logging": {"level": "info", "remote_server": ""},
            "gps": {"enabled": false, "connections": []},
            "pci_dss": false,
            "ui_activated": true,
            "users": [{"username": "admin", "password": "factory-default", "group": "admin"}],
        },
        "lan": [
            {"_id_": PRIMARY_LAN_ID, "name": "Primary LAN", "enabled": true, "ip_address": "192.168.0.1",
             "netmask": "255.255.255.0", "devices": [{"type": "ethernet", "uid": "lan"}, {"type": "wlan", "uid": "primary"}],
             "dhcpd": {"enabled": true}, "dhcpcd": {}},
            {"_id_": GUEST_LAN_ID, "name": "Guest LAN", "enabled": true, "ip_address": "192.168.10.1",
             "netmask": "255.255.255.0", "devices": [{"type": "wlan", "uid": "guest"}],
             "dhcpd": {"enabled": true}, "dhcpcd": {}},
        ],
        "vlan": [
            {"uid": "wan", "mode": "wan", "vid": 1, "ports": [{"port": 0, "mode": "untagged"}]},
            {"mode": "lan", "uid": "lan", "ports": [
                {"mode": "untagged", "port": 1}, {"port": 2, "mode": "untagged"},
                {"port": 3, "mode": "untagged"}, {"port": 4, "mode": "untagged"}], "vid": 2},
        ],
        "wan": wan,
        "wlan": {"radio": [
            {"enabled": true, "band": "2.4 GHz", "channel": 0, "bss": bss(format!("{product}-2g"))},
            {"enabled": true, "band": "5 GHz", "channel": 0, "bss": bss(format!("{product}-5g"))},
        ]},
        "firewall": {"remote_admin": {"enabled": false, "secure_only": true, "port": 8443}},
        "security": {"zfw": {
            "zones": [
                {"_id_": "00000000-695c-3d87-95cb-d0ee2029d0b5", "name": "Primary LAN Zone", "devices": [
                    {"trigger_field": "config_id", "trigger_group": "lan", "trigger_neg": false, "trigger_predicate": "is", "trigger_value": PRIMARY_LAN_ID}]},
                {"_id_": "00000001-695c-3d87-95cb-d0ee2029d0b5", "name": "Guest LAN Zone", "devices": [
                    {"trigger_field": "config_id", "trigger_group": "lan", "trigger_neg": false, "trigger_predicate": "is", "trigger_value": GUEST_LAN_ID}]},
                {"_id_": "00000002-695c-3d87-95cb-d0ee2029d0b5", "name": "Primary WAN Zone", "devices": [
                    {"trigger_field": "type", "trigger_group": "wan", "trigger_neg": false, "trigger_predicate": "is", "trigger_value": "wan"}]},
                {"_id_": "00000003-695c-3d87-95cb-d0ee2029d0b5", "name": "Router Zone", "devices": []},
            ],
            "forwardings": [
                {"_id_": "00000000-356d-30f0-962f-bb705dfddfc9", "src_zone_id": "00000000-695c-3d87-95cb-d0ee2029d0b5", "dst_zone_id": "00000002-695c-3d87-95cb-d0ee2029d0b5", "filter_policy_id": "00000000-77db-3b20-980e-2de482869073", "enabled": true},
                {"_id_": "00000001-356d-30f0-962f-bb705dfddfc9", "src_zone_id": "00000001-695c-3d87-95cb-d0ee2029d0b5", "dst_zone_id": "00000002-695c-3d87-95cb-d0ee2029d0b5", "filter_policy_id": "00000000-77db-3b20-980e-2de482869073", "enabled": true},
                {"_id_": "00000002-356d-30f0-962f-bb705dfddfc9", "src_zone_id": "00000000-695c-3d87-95cb-d0ee2029d0b5", "dst_zone_id": "00000003-695c-3d87-95cb-d0ee2029d0b5", "filter_policy_id": "00000000-77db-3b20-980e-2de482869073", "enabled": true},
                {"_id_": "00000003-356d-30f0-962f-bb705dfddfc9", "src_zone_id": "00000002-695c-3d87-95cb-d0ee2029d0b5", "dst_zone_id": "00000003-695c-3d87-95cb-d0ee2029d0b5", "filter_policy_id": "00000001-77db-3b20-980e-2de482869073", "enabled": true},
            ],
            "filter_policies": [
                {"_id_": "00000000-77db-3b20-980e-2de482869073", "name": "Default Allow All", "default_action": "allow"},
                {"_id_": "00000001-77db-3b20-980e-2de482869073", "name": "Default Deny All", "default_action": "deny"},
            ],
        }},
        "webfilter": {"proxy": {"https_filtering": false}},
        "dns": {"dnsmasq_options": []},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firmware_picks_rules_or_rules2() {
        assert!(default_config("MBR1400", "5.4.0")["wan"]["rules"].is_array());
        assert!(default_config("MBR1400", "6.1.0")["wan"]["rules2"].is_array());
        assert_eq!(
            default_config("IBR900", "7.22.60")["wan"]["rules2"][2]["_id_"],
            RULES2_LTE_ID
        );
        assert_eq!(
            default_config("MBR1400", "5.4.0")["wan"]["rules"][2]["_id_"],
            RULES_LTE_ID
        );
        assert_eq!(
            default_config("MBR1400", "5.4.0")["vlan"][1]["ports"][3]["port"],
            4
        );
    }
}
