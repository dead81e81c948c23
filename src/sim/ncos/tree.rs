//! The firmware default configuration of a (product, firmware): the full NCOS tree a factory
//! reset gives, as ncos-config-notes.md describes it (§1 "Top-level sections", §2 the default
//! `_id_`s and the default `wan.rules2` entries, §3 the secret fields, §4 the per-model and
//! per-firmware differences, §5 the sizes). Every list element is filled with its element's
//! defaults, as the notes' "fully expanded" figure counts them (about 40–70 KB of JSON, a few
//! thousand keys). Secret fields hold `"*"` where the DTD gives them a default ("The DTD's own
//! default for `system.users[0].password` is `"*"`") or an empty string, never a value.

use super::model::{Firmware, Model};
use crate::ncm::defaults::{GUEST_LAN_ID, PRIMARY_LAN_ID};
use serde_json::{json, Map, Value};

/// `_id_` suffixes of the default list elements (notes §2: "the first 8 hex digits are the
/// element index, and the rest is a fixed per-list suffix").
pub const LAN: &str = "-0d93-319d-8220-4a1fb0372b51";
pub const RULES2: &str = "-a81d-3590-93ca-8b1fcfeb8e14";
pub const RULES: &str = "-dea3-3ccd-a78d-e0196084396f";
pub const USERS: &str = "-a0ab-3e74-bcbd-02af091f1c50";
pub const ZONES: &str = "-695c-3d87-95cb-d0ee2029d0b5";
pub const POLICIES: &str = "-77db-3b20-980e-2de482869073";
pub const FORWARDINGS: &str = "-9532-3d3e-968c-e2f54a0cad18";
pub const TABLES: &str = "-c598-384f-900b-64c77a24ba67";
const VLAN_WAN_PORTS: &str = "-4481-48b0-809a-b9f4825ae3ba";
const VLAN_LAN_PORTS: &str = "-c51b-44bc-b2a3-9da3679b2b23";

/// The `_id_` of element `n` of a default list.
pub fn conv_id(n: usize, suffix: &str) -> String {
    format!("{n:08x}{suffix}")
}

/// The default configuration of `model` on firmware `fw`.
pub fn build(model: &Model, fw: Firmware) -> Value {
    let mut t = Map::new();
    let mut put = |k: &str, v: Value| {
        t.insert(k.to_string(), v);
    };
    put("alerts", alerts());
    put("certmgmt", certmgmt(fw));
    put("dhcpd", json!({"reserve": [], "set_system_id": false}));
    put(
        "discovery",
        json!({"enabled": true, "multicast_address": "239.0.0.12", "multicast_port": 11100}),
    );
    put("dns", dns(fw));
    put(
        "dns6",
        json!({"mode": "auto", "servers": [
        {"iface": "wan", "ip_address": "2620:119:35::35", "priority": 10},
        {"iface": "wan", "ip_address": "2620:119:53::53", "priority": 20}]}),
    );
    put(
        "ecm",
        json!({"config_version": 0, "enabled": true, "max_alert_queue": 20,
        "server_host": "stream.cradlepointecm.com", "server_port": 8001, "session_retry_seed": 60,
        "unmanaged_retry_seed": 86400, "use_zstd": false}),
    );
    put("ethernet", ethernet(model));
    put("failover", json!({"mode": "roundrobin"}));
    put("firewall", firewall());
    put(
        "gre",
        json!({"debug": false, "enabled": true, "tunnels": []}),
    );
    put("identities", identities());
    put("l2tp", json!({"global": {}, "tunnels": []}));
    put("lan", lan(model, fw));
    put("mdns", json!({"enabled": false, "relay_lans": []}));
    put(
        "nhrp",
        json!({"debug": false, "interfaces": [], "multicast": true}),
    );
    put("openvpn", json!({"tunnels": []}));
    put("qos", json!({"enabled": false, "queues": [], "rules": []}));
    put("routing", routing());
    put("security", security(fw));
    put("stats", stats());
    put("system", system(model, fw));
    put("vlan", vlan(model, fw));
    put("vpn", vpn());
    put("wan", super::wan::wan(model, fw));
    put("webfilter", webfilter());
    if model.radios > 0 {
        put("wlan", wlan(model));
        put("wwan", wwan(model));
    }
    if fw.ncos7() {
        for (k, v) in ncos7_sections() {
            put(k, v);
        }
    }
    Value::Object(t)
}

fn alerts() -> Value {
    let mut a = Map::new();
    for k in [
        "account_locked",
        "bgp_backward_transition",
        "bgp_established",
        "config_change",
        "cpu_utilization",
        "custom_alert",
        "firmware_upgrade",
        "full_system_log",
        "ip_banned",
        "ipsec_tunnel_down",
        "ipsec_tunnel_restored",
        "ipsec_tunnel_up",
        "ipverify_event",
        "license_expiration",
        "link_down",
        "link_up",
        "login_failure",
        "login_success",
        "memory_utilization",
        "mqtt_disconnect",
        "reboot_needed",
        "reboot_status_change",
        "recurring_system_log",
        "scep_enrollment_failure",
        "scep_enrollment_success",
        "sim_door_event",
        "span_enabled",
        "sustained_system_overload",
        "system_error",
        "techsupport_enabled",
        "tunnel_limit",
        "unrecognized_mac_alert",
        "vrrp_new_backup",
        "vrrp_new_fault",
        "vrrp_new_master",
        "wan_status_change",
        "wifi_client_state_change",
        "wifi_empty_channel_list",
        "wifi_hardware_failure",
    ] {
        a.insert(k.into(), json!(false));
    }
    let traps: Map<String, Value> = [
        "bgp_backward_transition",
        "bgp_established",
        "config_change",
        "cpu_utilization",
        "link_down",
        "link_up",
        "login_failure",
        "login_success",
        "memory_utilization",
        "pse_port_status_change",
        "vrrp_new_master",
        "wan_status_change",
    ]
    .iter()
    .map(|k| (k.to_string(), json!(false)))
    .collect();
    a.extend(obj(
        json!({"cpu_util_duration": 300, "cpu_util_high_threshold": 80,
        "cpu_util_low_threshold": 70, "ipverify_event_limit": 20, "memory_util_duration": 300,
        "memory_util_high_threshold": 80, "memory_util_low_threshold": 70, "reboot_needed_limit": 5,
        "schedule_day_of_month": 1, "schedule_day_of_week": "monday", "schedule_frequency": "daily",
        "schedule_time": 480, "sim_door_event_limit": 20, "snmp_traps": traps,
        "sustained_cpu_threshold": 80, "sustained_incoming_packet_loss_threshold": 5,
        "sustained_system_overload_counter": 2, "wan_status_change_limit": 20,
        "wifi_client_state_change_limit": 20, "wifi_empty_channel_list_limit": 5,
        "wifi_hardware_failure_limit": 5,
        "handlers": {"smtp": {"email_subject_prefix": "Cradlepoint Alert:", "retry_attempts": 5,
            "retry_delay": 5, "smtp_auth_required": false, "smtp_encryption_required": false,
            "smtp_password": "", "smtp_server": "", "smtp_server_port": 25, "smtp_username": "",
            "to_email": ""}}}),
    ));
    Value::Object(a)
}

fn certmgmt(fw: Firmware) -> Value {
    let mut c = json!({"certs": [], "crls": []});
    if fw.rules2() {
        c["private_keys"] = json!([]);
        c["public_keys"] = json!([]);
    }
    c
}

fn dns(fw: Firmware) -> Value {
    let mut d = json!({"dns_override": {"dnsmasq_options": [], "servers": []},
        "dnsmasq_options": [], "force_redir": false, "hosts": [], "mode": "auto",
        "servers": [{"iface": "wan", "ip_address": "4.2.2.2", "priority": 10},
                    {"iface": "wan", "ip_address": "4.2.2.3", "priority": 20}]});
    if fw.ncos7() {
        d["dns_client_id"] = json!(false);
        d["dnssec"] = json!({"check_unsigned": true, "enabled": false, "trust_anchors": [
            {"_id_": "00000000-4877-3449-9a98-f0194110e435", "algorithm": 8, "digest_type": 2, "key_tag": 19036,
             "digest": "49AAC11D7B6F6446702E54A1607371607A1A41855200FD2CE1CDDE32F24E8FB5"},
            {"_id_": "00000001-4877-3449-9a98-f0194110e435", "algorithm": 8, "digest_type": 2, "key_tag": 20326,
             "digest": "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"}]});
    }
    d
}

/// `ethernet[]`: the WAN port, then the LAN ports; the PSE keys on PoE ports only.
fn ethernet(model: &Model) -> Value {
    let ports = 1 + model.lan_ports as usize;
    let poe_from = ports - model.poe_ports as usize;
    (0..ports)
        .map(|p| {
            let name = if p == 0 {
                "Ethernet WAN".to_string()
            } else {
                format!("Ethernet {p}")
            };
            let mut e = json!({"enabled": true, "link_speed": "auto", "port": p, "port_mtu": 1500,
                "port_name": name});
            if p >= poe_from {
                e["pse_allocation_mode"] = json!("class");
                e["pse_allocation_mode_value"] = json!(0);
                e["pse_lldp_power_negotiation_enabled"] = json!(false);
                e["pse_power_enabled"] = json!(true);
                e["pse_priority_class"] = json!("low");
            }
            e
        })
        .collect()
}

fn firewall() -> Value {
    json!({"alg": {"ftp": false, "gre": false, "irc": false, "pptp": false, "sip": false, "tftp": false},
        "anti_spoof": true, "disable_hwaccel": false, "dmz": {"enabled": false, "ip_address": ""},
        "dns_poll_minimum": 180, "drop_invalid_ipv4": true, "drop_invalid_ipv6": true,
        "macfilter": {"enabled": false, "macs": [], "whitelist": false}, "npt": {"mode": "lbonly"},
        "portfwd": [], "portproxy": [],
        "remote_admin": {"allowed_ips": [], "enabled": false, "port": 8080, "restrict_ips": false,
            "secure_only": false, "secure_port": 8443, "usb_logging": false, "usb_sync_time": 10},
        "ssh_admin": {"enabled": true, "port": 22, "remote_access": false, "timeout": 0,
            "weak_ciphers": false, "weak_macs": false},
        "state_timeouts": {"tcp_fin_timeout": 15, "tcp_keepalive_intvl": 15, "tcp_keepalive_probes": 5,
            "tcp_keepalive_time": 600, "tcp_rfc1337": 1},
        "wan_ping": false})
}

fn identities() -> Value {
    let criteria = |lat: u32, jit: u32, ss: u32| {
        json!([
            {"criterion": "Latency", "enabled": true, "hysteresis": 50, "priority": 10, "target4": "8.8.8.8",
             "target6": "2001:4860:4860::8888", "threshold": lat},
            {"criterion": "Jitter", "enabled": true, "hysteresis": 50, "priority": 20, "target4": "8.8.8.8",
             "target6": "2001:4860:4860::8888", "threshold": jit},
            {"criterion": "SS", "enabled": true, "hysteresis": 50, "priority": 30, "threshold": ss},
            {"criterion": "Usage", "enabled": false, "hysteresis": 50, "priority": 40, "threshold": 50}])
    };
    let intent = [
        ("Real-Time / Voice", 150, 60, 80),
        ("Video", 120, 40, 80),
        ("File Transfer", 180, 60, 70),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, l, j, s))| {
        json!({"_id_": conv_id(i + 1, TABLES), "accept_age": 120, "criteria": criteria(*l, *j, *s),
            "loadbalance_algo": "legacy", "name": name})
    })
    .collect::<Vec<_>>();
    json!({"intent": intent, "ip": [], "ipverify": [], "mac": [], "port": []})
}

/// One default LAN: the keys of a `lan[]` element (notes §1), its DHCP server filled in.
fn lan_entry(
    id: &str,
    name: &str,
    ip: &str,
    devices: Vec<Value>,
    admin: bool,
    fw: Firmware,
) -> Value {
    let last = ip.rsplit_once('.').map_or(ip, |(n, _)| n);
    let mut e = json!({"_id_": id, "admin_access": admin, "devices": devices,
        "dhcp6relay": {"enabled": false, "relays": []},
        "dhcpd": {"dhcp6_mode": "slaac", "enabled": true, "lease6_time": 3600, "lease_time": 720,
            "options": [], "options6": [], "options_enabled": false,
            "range_start": format!("{last}.100"), "range_end": format!("{last}.250"),
            "router_lifetime": 1800, "valid6_lifetime": 86400},
        "dhcprelay": {"enabled": false, "relays": []}, "enabled": true, "hostname": "",
        "ip6_mode": "delegated", "ip6_prefixlen": 64, "ip_address": ip, "mtu": 1500, "multicast": false,
        "multicast_altnet": [], "multicast_quick": true, "name": name, "netmask": "255.255.255.0",
        "passthrough_subnet_mode": "auto", "proxy_arp": false, "route_mode": "nat",
        "schedule": {"day": {"dow_1": 0, "dow_2": 130816, "dow_3": 130816, "dow_4": 130816,
            "dow_5": 130816, "dow_6": 130816, "dow_7": 0}, "enabled": false},
        "secondary_ipv4_ips": [], "stp": {"enabled": false, "proto_vers": "stp"},
        "vrrp": {"enabled": false, "password": "", "priority": 100, "vrid": 10},
        "wired_8021x": {"enabled": false}});
    if !fw.rules2() {
        // The spec's own PUT example for "an MBR1400 router running 5.4.0 firmware" adds a LAN
        // with `"dhcpcd": {}` and is accepted (202): that firmware's LAN had the key.
        e["dhcpcd"] = json!({});
    }
    e
}

/// `lan[]`: "Primary LAN" and "Guest LAN" with the model's Wi-Fi interfaces (notes §1, §4:
/// "The default `lan[].devices` lists the WLAN uids of the model").
fn lan(model: &Model, fw: Firmware) -> Value {
    let wlan = |bss: usize| -> Vec<Value> {
        (0..model.radios as usize)
            .map(|r| {
                let uid = if r == 0 {
                    format!("wireless{bss}")
                } else {
                    format!("wireless{bss}_{r}")
                };
                json!({"type": "wlan", "uid": uid})
            })
            .collect()
    };
    let mut primary = vec![json!({"type": "ethernet", "uid": "lan"})];
    primary.extend(wlan(0));
    json!([
        lan_entry(
            PRIMARY_LAN_ID,
            "Primary LAN",
            "192.168.0.1",
            primary,
            true,
            fw
        ),
        lan_entry(
            GUEST_LAN_ID,
            "Guest LAN",
            "192.168.10.1",
            wlan(1),
            false,
            fw
        ),
    ])
}

fn routing() -> Value {
    let protocol = || json!({"debug": false, "routers": []});
    json!({"access_list": [], "bfd": protocol(),
        "bgp": {"access_list": [], "community_list": [], "debug": false, "routers": []},
        "eigrp": protocol(), "ospf": protocol(), "ospf6": protocol(), "pim": protocol(),
        "policies": [{"ip_version": "ip4", "priority": 0, "table": conv_id(0, TABLES)}],
        "prefix_list": [], "rip": protocol(), "ripng": protocol(), "route_map": [],
        "static_multicast": [],
        "tables": [{"_id_": conv_id(0, TABLES), "name": "Main", "routes": []}]})
}

/// `security`: the zone firewall's 5 zones, 2 policies and 4 forwardings (notes §1), IPS.
fn security(fw: Firmware) -> Value {
    let trigger = |field: &str, group: &str, value: &str| {
        json!([{"trigger_field": field, "trigger_group": group, "trigger_neg": false,
            "trigger_predicate": "is", "trigger_value": value}])
    };
    let zones = json!([
        {"_id_": conv_id(0, ZONES), "devices": [], "name": "All"},
        {"_id_": conv_id(1, ZONES), "devices": [], "name": "Router"},
        {"_id_": conv_id(2, ZONES), "devices": trigger("type", "wan", ""), "name": "WAN Zone"},
        {"_id_": conv_id(3, ZONES), "devices": trigger("config_id", "lan", PRIMARY_LAN_ID), "name": "Primary LAN Zone"},
        {"_id_": conv_id(4, ZONES), "devices": trigger("config_id", "lan", GUEST_LAN_ID), "name": "Guest LAN Zone"},
    ]);
    let forwarding = |n: usize, src: usize, dst: usize, policy: usize| {
        json!({"_id_": conv_id(n, FORWARDINGS), "dst_zone_id": conv_id(dst, ZONES), "enabled": true,
            "filter_policy_id": conv_id(policy, POLICIES), "src_zone_id": conv_id(src, ZONES)})
    };
    let mut s = json!({"app_sets": [], "default_admin_change": true, "dynamic_nat": [],
        "interface_nat": [], "nat": [], "span": [],
        "zfw": {
            "filter_policies": [
                {"_id_": conv_id(0, POLICIES), "default_action": "allow", "log": false, "name": "Default Allow All", "rules": []},
                {"_id_": conv_id(1, POLICIES), "default_action": "deny", "log": false, "name": "Default Deny All", "rules": []}],
            "forwardings": [forwarding(0, 2, 3, 1), forwarding(1, 3, 2, 0), forwarding(2, 2, 4, 1), forwarding(3, 4, 2, 0)],
            "zones": zones}});
    if fw.ncos7() {
        s["ips"] = json!({"anom_cat_cfg": [], "anom_sig_cfg": [],
            "anom_tholds": {"flood": 2000, "ipsweep": 2000, "portscan": 2000}, "app_id_logging": false,
            "cat_cfg": [], "engine_failure": "allow", "mode": "ips", "sig_cfg": [],
            "report": {"fields": "id, action, count, ip_addr, category_id, protocol, severity",
                "ip_addr_size": 5, "period": 900, "summary_size": 50},
            "signature_update": {"day_of_month": 1, "day_of_week": "monday", "frequency": "daily", "time": 480}});
        s["siit"] = json!({"enabled": true});
    }
    s
}

fn stats() -> Value {
    let mut capacity = Map::new();
    for (what, green, yellow) in [
        ("cpu_usage", 50, 80),
        ("memory_usage", 74, 89),
        ("incoming_packet_loss", 1, 5),
    ] {
        for (k, v) in [
            ("general_interval", 900),
            ("instant_interval", 60),
            ("micropoll_interval", 0),
            ("green_threshold", green),
            ("yellow_threshold", yellow),
            ("red_threshold", 100),
        ] {
            capacity.insert(format!("{what}_{k}"), json!(v));
        }
    }
    capacity.extend(obj(
        json!({"enabled": false, "general_stats_display_days": 7,
        "system_overload_counter": 1, "system_overload_threshold": 50,
        "temperature_yellow_threshold": 83, "throughput_general_interval": 900,
        "throughput_instant_interval": 120}),
    ));
    json!({"capacity": capacity, "client_usage": {"enabled": false},
        "failover": {"sample_rate": 18, "sample_size": 100}, "usage": {"sample_rate": 18, "sample_size": 100},
        "wan_state_history": {"debounce_time": 45, "history_size": 250}})
}

fn vlan(model: &Model, fw: Firmware) -> Value {
    let port = |n: usize, p: usize, suffix: &str| {
        let mut v = json!({"mode": "untagged", "port": p});
        if fw.ncos7() {
            v["_id_"] = json!(conv_id(n, suffix));
        }
        v
    };
    let lan_ports: Vec<Value> = (1..=model.lan_ports as usize)
        .map(|p| port(p - 1, p, VLAN_LAN_PORTS))
        .collect();
    json!([
        {"mode": "wan", "ports": [port(0, 0, VLAN_WAN_PORTS)], "uid": "wan", "vid": 1},
        {"mode": "lan", "ports": lan_ports, "uid": "lan", "vid": 2},
    ])
}

fn vpn() -> Value {
    json!({"adv_settings": {"allow_aggressive_psk": false, "allow_multicast": false,
            "automatic_firewall": true, "delete_rekeyed": false, "host_down_delay": 0,
            "loglevels": [{"loglevel": 0, "subsystem": "default"}], "make_before_break": true,
            "natt_keepalive": 20, "natt_port": 4500, "port": 500, "prefer_best_path": true,
            "tunnel_connect_recovery": true, "tunnel_connect_retry": 30, "verify_cert": true},
        "debug": false, "enabled": false, "tunnels": []})
}

fn webfilter() -> Value {
    json!({"cloudservice": "disabled", "filterlist": [], "logaccess": false, "macfilterlist": [],
        "opendns": {"enabled": false, "password": "", "use_aux_port": false, "username": ""},
        "proxy": {"enabled": false, "filtering_enabled": true, "http_port": 8080,
            "https_filtering": false, "max_client_connections": 200},
        "webroot": {"cache_size_mb": 40, "confidence": 80, "custom_categories": [], "default_block_mode": false,
            "passive_dns": false, "policies": [], "reputation": 42, "uncategorized_mode_block": false, "wr_queue_size": 2048},
        "zscaler": {"enabled": false, "password": "", "username": ""}})
}

/// One BSS of a radio (notes §1: "bss keys (41)"; "bss 0 is enabled with wpa2psk; bss 1–3 are
/// disabled with authmode none"). The RADIUS keys' DTD default ("secretkey") and the unit's
/// passkey read back masked.
fn bss(uid: &str, first: bool) -> Value {
    let rates: Map<String, Value> = [
        "1mbps", "2mbps", "5mbps", "6mbps", "9mbps", "11mbps", "12mbps", "18mbps", "24mbps",
        "36mbps", "48mbps", "54mbps",
    ]
    .iter()
    .map(|r| (r.to_string(), json!(true)))
    .collect();
    json!({"acct_cfg": false, "acct_key": "*", "acct_server": "0.0.0.0", "acct_server2": "0.0.0.0",
        "acct_server_port": 1813, "authmode": if first { "wpa2psk" } else { "none" },
        "basic_rates": rates, "enabled": first, "fast_roaming": true, "hidden": false,
        "isolate": !first, "max_allowed_client_per_ssid": 124, "pmfmode": 0,
        "radius0ip": "0.0.0.0", "radius0key": "*", "radius0nasid": "", "radius0port": 1812,
        "radius1ip": "0.0.0.0", "radius_coa": false, "radius_coa_client": "0.0.0.0",
        "radius_coa_key": "*", "radius_coa_port": 3799, "radius_vlan": false, "radsec": false,
        "radsec_cert": "", "radsec_nas_ip": "0.0.0.0", "radsec_port": 9999, "sae_pwe_mode": 2,
        "ssid": "unconfigured", "uid": uid, "wmm": true, "wpacipher": "aes", "wpapsk": "*",
        "wparekeyinterval": 3600,
        "wps": {"mode": if first { 4 } else { 0 }, "pbc": first, "pin": "00000000", "state": if first { 2 } else { 0 }}})
}

/// `wlan`: radio 0 is 2.4 GHz with bss `wireless0..3`, radio 1 is 5 GHz with `wireless0_1..`.
fn wlan(model: &Model) -> Value {
    let radios: Vec<Value> = (0..model.radios as usize)
        .map(|r| {
            let bss: Vec<Value> = (0..4)
                .map(|b| {
                    let uid = if r == 0 {
                        format!("wireless{b}")
                    } else {
                        format!("wireless{b}_{r}")
                    };
                    bss(&uid, b == 0)
                })
                .collect();
            json!({"airtime_fairness": false, "beacon": 100, "bss": bss, "debug": {"flags1": 0, "flags2": 0, "flags3": 0},
                "diversity": 0, "extended_channel": 0, "indoor_channels": false, "mcs": 33, "phycoex": true,
                "qam_256": true, "radius_retry": 60, "radius_timeout": 3600, "rx_stream": 0, "selection_schedule": "once",
                "shortslot": true, "tx_stream": 0,
                "channel": if r == 0 { 1 } else { 36 }, "channel_selection": "smart",
                "client_timeout": 300, "dfs_disabled": false, "dtim": 1, "enabled": true,
                "fragthresh": 2346, "isolation": true, "mode": "ap", "phymhz": 0,
                "phymode": if r == 0 { "b-g-n-ax" } else { "a-n-ac-ax" }, "protection": "auto",
                "region_selection": "US", "rtsthresh": 2347, "shortgi": true, "txpower": 100,
                "wifi_band": r, "wps_enabled": true})
        })
        .collect();
    json!({"analytics": {"enabled": false, "num_samples": 1440, "sample_period": 60},
        "band_steer": false, "debug": {"flags": 0}, "radio": radios, "radius_verbosity": 2,
        "wlan_verbosity": 0})
}

fn wwan(model: &Model) -> Value {
    let radios: Vec<Value> = (0..model.radios)
        .map(|_| json!({"mode": "disabled", "powersave": false, "profiles": []}))
        .collect();
    json!({"radio": radios, "scan_connected": false, "supp_verbosity": 0, "survey_interval": 60})
}

/// Sections the NCOS 7 DTD has that older firmware did not (inference: notes §1 lists them for
/// 7.25; no older DTD is public).
fn ncos7_sections() -> Vec<(&'static str, Value)> {
    vec![
        (
            "apdisc",
            json!({"enabled": true, "renew_timeout_minutes": 240}),
        ),
        (
            "container",
            json!({"daemon_opts": {"bip": "172.17.0.1/16"}, "projects": [], "registry": []}),
        ),
        (
            "eztun",
            json!({"debug": false, "enabled": false, "tunnels": []}),
        ),
        ("hotspot", hotspot()),
        (
            "iot",
            json!({"aws": {}, "bluetooth": {"baudrate": 115200, "beacons": [beacon(), beacon()], "enabled": false},
            "mqtt": {"destinations": [], "enabled": false},
            "msft": {"conn_string": "", "device_sas_token": "", "enabled": false}}),
        ),
        (
            "nemo",
            json!({"enabled": false, "keep_alive_enabled": false, "keep_alive_period": 25,
            "keep_alive_retries": 255, "life": 65535, "networks": [], "port": 434, "reregister": 30,
            "retry_capdelay": 30, "retry_limit": 6, "retry_repeat": 300, "timeout": 5,
            "trigger_field": "uid", "trigger_predicate": "is", "trigger_value": "", "with_wan": true}),
        ),
        (
            "sdwan_adv",
            json!({"forward_error_correction": {"enabled": false, "protected_pkt_per_block": 8, "total_pkt_per_block": 12},
            "linkmon": {"enabled": false, "frequency": 1000, "idle_check": false, "miss_cnt": 4},
            "logging": {"datapath": {"debug": "error"}}, "qoe": {"pkt_loss_cnt": {"enabled": false}},
            "traffic_class": [], "wan_bonding": []}),
        ),
        (
            "ipverify",
            json!({"bgp_peer": [], "composite": [], "custom": [], "ping": [], "route_exist": [],
            "vrrp_state": [], "wan_device_state": []}),
        ),
        ("network", json!({"cgnat": "100.64.0.0/10"})),
        ("overlay", json!({"client": {}, "conf": [], "networks": []})),
        ("passpoint", json!([])),
        (
            "sdwan",
            json!({"debug": false, "enabled": false, "link_failover": true,
            "overrides": {"links": []}, "tunnel_type": "gre"}),
        ),
        (
            "shell",
            json!({"events": [], "prompt": "[{username}@{hostname}: <bold>{cwd}</bold>]$ ", "sched_tasks": []}),
        ),
        (
            "split_dns",
            json!({"domain_lists": [{"_id_": "00000000-8468-3d39-a82b-156fb44f01ec", "domains": []}],
            "servers": [{"_id_": "00000000-6190-3ff7-b7e4-22ef300b8e4c", "domain_list": "00000000-8468-3d39-a82b-156fb44f01ec",
                "mode": "disabled", "priority": 30}]}),
        ),
        (
            "utunnel",
            json!({"debug": false, "enabled": false, "tunnels": [],
            "global_options": {"keep_alive_period": 10, "keep_alive_retries": 3, "preshared_key": "", "public_key": ""}}),
        ),
        ("vxlan", json!({"enabled": true, "tunnels": []})),
    ]
}

/// A Bluetooth beacon's defaults (`iot.bluetooth.beacons[]`, two disabled ones by default).
fn beacon() -> Value {
    json!({"advertising_channels": "ALL", "advertising_interval": 160,
        "altbeacon": {"beaconid": "0000000000000000000000000000000000000000", "rssi": 0}, "enabled": false,
        "euid": {"instance": "000000000000", "namespace": "00000000000000000000", "rssi": 0},
        "eurl": {"rssi": 0, "url": "cradlepoint.com", "url_scheme": 1},
        "ibeacon": {"ibeacon_id": "", "major_number": 0, "minor_number": 0, "rssi": 0}, "type": "ibeacon"})
}

/// `hotspot`, with the DTD's default captive-portal profile (its RADIUS and UAM secrets masked).
fn hotspot() -> Value {
    let mut sites: Vec<Value> = [
        "*.hotspotsystem.com",
        "*.worldpay.com",
        "*.paypal.com",
        "*.paypalobjects.com",
        "*.adyen.com",
    ]
    .iter()
    .map(|a| json!({"address": a}))
    .collect();
    sites.extend((1..=30).map(|n| json!({"address": format!("a{n}.hotspotsystem.com")})));
    let profile = json!({"HBenabled": true, "HBinterval": 60, "HBurl": "https://tech.hotspotsystem.com/up.php",
        "UAMport": 3990, "UAMsecret": "*", "UAMurl": "https://customer.hotspotsystem.com/customer/hotspotlogin.php?mode=comb",
        "acctPort": 1813, "allow_modem": true, "allowed_sites": sites, "authPort": 1812, "bw_down": 1024,
        "bw_up": 512, "disallow_failover": false, "idle_timeout": 15, "mac_auth": false, "name": "HotspotSystem.com",
        "nasid": "", "radiusSecret": "*", "redir_https": false, "redirect": "uam", "redirect_url": "",
        "server": "radius.hotspotsystem.com", "server_2": "radius2.hotspotsystem.com", "session_timeout": 60});
    json!({"allow_modem": false, "allowed_macs": [], "allowed_sites": [], "disallow_failover": false,
        "mac_auth": false, "mode": "simple", "profiles": [profile],
        "radius": {"acct_port": 1813, "auth_port": 1812, "nasid": "", "secret": "", "server1": "", "server2": ""},
        "redirect_url": "", "session_timeout": 60, "uam": {"port": 3990, "secret": "", "url": ""}})
}

/// `system` (notes §1): identity, flags, TLS, time, users (the admin user's password is the
/// DTD's `"*"`), logging, NTP, SNMP, GPS, SMS and the model's serial port and PoE.
fn system(model: &Model, fw: Firmware) -> Value {
    let mut s = json!({
        "admin": {"fw_update_check": false, "hsts_enable": false, "inactivity": 900,
            "mdm_fw_update_check": true, "product_name": model.name, "secure_only": false,
            "secure_port": 443, "resolve_lan_conflicts": true,
            "upgrade_url": format!("http://www.cradlepoint.com/files/uploads/{}/firmware.json", model.name.to_lowercase())},
        "adv_auth": {"ban_ip": true, "lockout_attempts": 5, "lockout_time": 30, "mode": "local",
            "radius": {"port": 1812, "port2": 1812, "secret": "", "secret2": "", "server": "", "timeout": 3},
            "tacacs": {"port": 49, "port2": 49, "secret": "", "secret2": "", "server": "", "timeout": 3}},
        "asset_id": "", "cipher_list": "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305",
        "console": {"baud_rate": 9600, "byte_parity": "N", "byte_size": 8, "enabled": true,
            "flow_control": {"hardware": false, "software": false}, "stop_bits": 1},
        "desc": "", "disable_leds": false, "dst_enabled": true,
        "dst_rule": {"advance": {"hour": 2, "minute": 0, "month": 3, "week": 2, "weekday": 0}, "custom_dst": false,
            "fallback": {"hour": 2, "minute": 0, "month": 11, "week": 1, "weekday": 0}, "offset": 60}, "dyndns": {"settings": {"enabled": false, "hostname": "", "password": "",
            "server": "members.dyndns.org", "update_period": 576, "use_https": true, "username": ""}},
        "first_boot": true,
        "gps": {"connections": [], "enable_gps_keepalive": false, "enable_gps_led": false, "enabled": false,
            "pwd_enabled": false, "taip_vehicle_id": "0000"},
        "lldp": {"lan": false, "wan": false}, "local_domain": "local.tld",
        "logging": {"console": false, "enabled": true, "firewall": false, "level": "info", "max_logs": 1000,
            "max_logs_size": 200, "persist_logs": false,
            "remoteLogging": {"enable_tls": false, "enabled": false, "server": "", "server_port": 514,
                "system_id": false, "utf8_bom": true},
            "services": []},
        "internal_svcs": {"arp_filter": false, "bounce_affinity_proxy_port": 20001, "bounce_proxy_port": 20000,
            "http_port": 80, "https_port": 443, "proxy_enabled": false, "proxy_pass": "", "proxy_user": "",
            "socks_proxy": {"ncm_fallback": false, "ncm_proxy_enabled": false, "ncm_proxy_pass": "", "ncm_proxy_type": "socks5"},
            "sources": [], "use_route": false},
        "mac_monitor": {"allowed_macs": [], "enabled": false},
        "minimum_tls_version": if fw.tls13() { "tlsv1.3" } else { "tlsv1.2" },
        "ntp": {"enabled": true, "poll_interval": 86400, "port": 123, "server": "time.google.com", "servers": []},
        "ntp_failover": {"enabled": true}, "passwd_min_len": 10, "pci_dss": true,
        "qxdmproxy": {"enabled": false, "filter": "filter.sqf", "gz_compression": false, "log_base": "cp",
            "log_count": 20, "log_size_in_mb": 10, "mode": "usb", "port": "int1", "ram_log_percentage": 70,
            "ramdump_enabled": false, "ramdump_timeout_seconds": 600, "start_detached": false},
        "reboot_schedule": {"day_of_month": 1, "day_of_week": 0, "frequency": "never", "time": "12:00 AM"},
        "sdk": {"appdata": []}, "sensors": {"alerts": {"max": 75, "min": 10}}, "show_cloud_setup": true, "sms": {"enabled": false, "password": "*", "whitelist": []},
        "snmp": {"auth_mode": "MD5", "enabled": false, "get_community": "public", "lan_port": 161,
            "password": "", "privacy_password": "", "set_community": "private", "snmp_on_lan": false,
            "snmp_on_wan": false, "snmp_version": "SNMPv1", "trap_address": "", "trap_community": "public",
            "trap_port": 162, "traps_enabled": false, "user": "", "wan_port": 161},
        "system_id": model.name, "timezone": "-7", "ui_activated": false,
        "users": [{"_id_": conv_id(0, USERS), "group": "admin", "password": "*", "username": "admin"}],
        "utc_format": false, "watchdog": {"enabled": true, "sw_delay": 0}});
    if model.serial {
        s["serial"] = json!({"baud_rate": 9600, "byte_parity": 0, "byte_size": 8, "enabled": false,
            "serial_port": "ttyUSB0", "stop_bits": 0, "telnet_control": false,
            "server": {"lan": true, "lan_admin": true, "port": 7218, "wan": false}});
    }
    if model.poe_ports > 0 {
        s["poe_pse"] = json!({"debug_level": 0, "enabled": true});
    }
    s
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
