//! Builders for the config diffs of everyday changes (APN, SSID and passkey, LAN IP, static WAN
//! IP, users), picking `wan.rules` or `wan.rules2` and the right default `_id_` from the
//! firmware version, and refusing bad input before any request is made.

use crate::diff::Diff;
use crate::error::{Error, Result};
pub use crate::ncm::defaults::uses_rules2;
use crate::ncm::defaults::{
    PRIMARY_LAN_ID, RULES2_ETHERNET_ID, RULES2_LTE_ID, RULES_ETHERNET_ID, RULES_LTE_ID,
};
use serde_json::{json, Value};
use std::net::Ipv4Addr;

pub fn check_ipv4(what: &str, s: &str) -> Result<()> {
    s.parse::<Ipv4Addr>().map(|_| ()).map_err(|_| {
        Error::invalid(format!(
            "{what} {s:?} is not an IPv4 address (e.g. 192.168.1.1)"
        ))
    })
}

/// A contiguous IPv4 netmask such as 255.255.255.0.
pub fn is_netmask(s: &str) -> bool {
    match s.parse::<Ipv4Addr>() {
        Ok(ip) => {
            let n = u32::from(ip);
            n != 0 && n.leading_ones() + n.trailing_zeros() == 32
        }
        Err(_) => false,
    }
}

fn check_netmask(s: &str) -> Result<()> {
    if is_netmask(s) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "netmask {s:?} is not a valid subnet mask (e.g. 255.255.255.0)"
        )))
    }
}

/// An address that would leave the router unreachable on its subnet: the subnet's network or
/// broadcast address (subnets of 4 or more addresses; a /31 uses both, RFC 3021).
fn check_host_address(what: &str, ip: &str, netmask: &str) -> Result<()> {
    let (Ok(a), Ok(m)) = (ip.parse::<Ipv4Addr>(), netmask.parse::<Ipv4Addr>()) else {
        return Ok(());
    };
    let (a, m) = (u32::from(a), u32::from(m));
    if m.leading_ones() > 30 {
        return Ok(());
    }
    let network = a & m;
    let broadcast = network | !m;
    let which = if a == network {
        "network"
    } else if a == broadcast {
        "broadcast"
    } else {
        return Ok(());
    };
    Err(Error::invalid(format!(
        "{what} {ip} is the {which} address of its subnet ({}/{}); the router would be unreachable: use an address between {} and {}",
        Ipv4Addr::from(network),
        m.leading_ones(),
        Ipv4Addr::from(network + 1),
        Ipv4Addr::from(broadcast - 1)
    )))
}

/// A static WAN gateway the router can reach: inside the address's subnet, and not the address.
fn check_gateway(ip: &str, netmask: &str, gateway: &str) -> Result<()> {
    let (Ok(a), Ok(m), Ok(g)) = (
        ip.parse::<Ipv4Addr>(),
        netmask.parse::<Ipv4Addr>(),
        gateway.parse::<Ipv4Addr>(),
    ) else {
        return Ok(());
    };
    if a == g {
        return Err(Error::invalid(format!(
            "the gateway {gateway} is the WAN address itself; the router would have no route out"
        )));
    }
    let m32 = u32::from(m);
    if u32::from(a) & m32 != u32::from(g) & m32 {
        return Err(Error::invalid(format!(
            "the gateway {gateway} is outside the WAN subnet {}/{} of {ip}; the router could not reach it and would lose its WAN",
            Ipv4Addr::from(u32::from(a) & m32),
            m32.leading_ones()
        )));
    }
    check_host_address("the gateway", gateway, netmask)
}

/// An APN a modem can take (3GPP TS 23.003 9.1): labels of letters, digits and hyphens separated
/// by dots, no label starting or ending with a hyphen, at most 62 characters (63 octets
/// encoded), not ending in `.gprs` (reserved for the operator part).
pub fn check_apn(apn: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::invalid(format!(
            "APN {apn:?} is not valid: {why} (e.g. iot.example or broadband)"
        )))
    };
    if apn.is_empty() {
        return bad("it is empty");
    }
    if apn.len() > 62 {
        return bad(&format!(
            "it is {} characters; a modem takes at most 62",
            apn.len()
        ));
    }
    for label in apn.split('.') {
        if label.is_empty() {
            return bad("it has an empty label (two dots, or a dot at an end)");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return bad("only letters, digits, hyphens and dots are allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad("a label cannot start or end with a hyphen");
        }
    }
    if apn.to_ascii_lowercase().ends_with(".gprs") {
        return bad("an APN network identifier cannot end in .gprs");
    }
    Ok(())
}

fn one(path: &[&str], value: Value) -> Diff {
    let mut v = value;
    for seg in path.iter().rev() {
        v = json!({ *seg: v });
    }
    Diff {
        updates: v.as_object().cloned().unwrap_or_default(),
        removals: vec![],
    }
}

fn rule_path(firmware: &str, lte: bool) -> (&'static str, &'static str) {
    match (uses_rules2(firmware), lte) {
        (true, true) => ("rules2", RULES2_LTE_ID),
        (true, false) => ("rules2", RULES2_ETHERNET_ID),
        (false, true) => ("rules", RULES_LTE_ID),
        (false, false) => ("rules", RULES_ETHERNET_ID),
    }
}

/// Sets a manual APN on the LTE WAN rule (`wan.rules` before 6.0, `wan.rules2` from 6.0).
pub fn apn_diff(firmware: &str, apn: &str) -> Result<Diff> {
    let apn = apn.trim();
    check_apn(apn)?;
    let (rules, id) = rule_path(firmware, true);
    Ok(one(
        &["wan", rules, id],
        json!({"_id_": id, "modem": {"apn_mode": "manual", "manual_apn": apn}}),
    ))
}

/// Sets the SSID and WPA2 passkey of the first network of a radio.
pub fn ssid_diff(ssid: &str, passkey: &str, radio: usize) -> Result<Diff> {
    if ssid.is_empty() {
        return Err(Error::invalid("the SSID is empty"));
    }
    if ssid.len() > 32 {
        return Err(Error::invalid(format!(
            "SSID {ssid:?} is {} bytes; the maximum is 32",
            ssid.len()
        )));
    }
    let n = passkey.chars().count();
    if !(8..=63).contains(&n) || !passkey.chars().all(|c| (' '..='~').contains(&c)) {
        return Err(Error::invalid(format!(
            "the WPA passkey must be 8 to 63 printable ASCII characters (it has {n})"
        )));
    }
    let r = radio.to_string();
    Ok(one(
        &["wlan", "radio", &r, "bss", "0"],
        json!({"ssid": ssid, "wpapsk": passkey}),
    ))
}

/// Sets the Primary LAN's address and netmask.
pub fn lan_ip_diff(ip: &str, netmask: &str) -> Result<Diff> {
    check_ipv4("LAN IP", ip)?;
    check_netmask(netmask)?;
    check_host_address("LAN IP", ip, netmask)?;
    Ok(one(
        &["lan", PRIMARY_LAN_ID],
        json!({"_id_": PRIMARY_LAN_ID, "ip_address": ip, "netmask": netmask}),
    ))
}

/// Checks a static WAN address before anything is resolved or sent: the addresses, the netmask,
/// the gateway on the address's network, and the DNS servers (whatever the firmware).
pub fn check_static_wan(ip: &str, netmask: &str, gateway: &str, dns: &[String]) -> Result<()> {
    check_ipv4("WAN IP", ip)?;
    check_netmask(netmask)?;
    check_ipv4("gateway", gateway)?;
    check_host_address("WAN IP", ip, netmask)?;
    check_gateway(ip, netmask, gateway)?;
    for d in dns {
        check_ipv4("DNS server", d)?;
    }
    Ok(())
}

/// Gives the Ethernet WAN a static address through its WAN rule.
pub fn wan_static_ip_diff(
    firmware: &str,
    ip: &str,
    netmask: &str,
    gateway: &str,
    dns: &[String],
) -> Result<Diff> {
    check_static_wan(ip, netmask, gateway, dns)?;
    let rules2 = uses_rules2(firmware);
    if !rules2 && dns.is_empty() {
        return Err(Error::invalid(format!(
            "firmware {firmware} (before 6.0) needs at least one DNS server for a static WAN IP"
        )));
    }
    let (rules, id) = rule_path(firmware, false);
    let mut stat = json!({"ip_address": ip, "netmask": netmask, "gateway": gateway});
    if !dns.is_empty() {
        let mut m = serde_json::Map::new();
        for (i, d) in dns.iter().enumerate() {
            m.insert(i.to_string(), json!({"ip_address": d}));
        }
        stat["dns"] = Value::Object(m);
    }
    Ok(one(
        &["wan", rules, id],
        json!({"_id_": id, "ip_mode": "static", "static": stat}),
    ))
}

/// Checks a local user before anything is read or built: the name's characters, the password's
/// length, the group.
pub fn check_user(username: &str, password: &str, group: &str) -> Result<()> {
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(Error::invalid(format!(
            "user name {username:?} must be 1-64 letters, digits, '.', '_' or '-'"
        )));
    }
    if password.chars().count() < 8 {
        return Err(Error::invalid(
            "the user's password must have at least 8 characters",
        ));
    }
    if !["admin", "readonly"].contains(&group) {
        return Err(Error::invalid(format!(
            "user group {group:?} must be admin or readonly"
        )));
    }
    Ok(())
}

/// Adds a local user at offset `index` of `system.users` (checked by [`check_user`]).
pub fn user_diff(index: usize, username: &str, password: &str, group: &str) -> Result<Diff> {
    check_user(username, password, group)?;
    let i = index.to_string();
    Ok(one(
        &["system", "users", &i],
        json!({"username": username, "password": password, "group": group}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "sim")]
    #[test]
    fn apn_picks_rules_by_firmware_and_applies_to_the_default() {
        use crate::sim::ncos::default_config;
        for (fw, key, id) in [
            ("5.4.0", "rules", RULES_LTE_ID),
            ("6.1.0", "rules2", RULES2_LTE_ID),
            ("7.22.60", "rules2", RULES2_LTE_ID),
        ] {
            let d = apn_diff(fw, "iot.example").unwrap();
            assert_eq!(
                d.updates["wan"][key][id]["modem"]["manual_apn"],
                "iot.example"
            );
            let full = crate::diff::apply(&default_config("MBR1400", fw), &d).unwrap();
            let rule = full["wan"][key]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["_id_"] == id)
                .unwrap()
                .clone();
            assert_eq!(rule["modem"]["apn_mode"], "manual");
        }
        assert!(apn_diff("7.1.0", "").is_err());
        assert!(apn_diff("7.1.0", "has space").is_err());
    }

    #[test]
    fn input_is_refused_before_any_request() {
        assert!(ssid_diff("", "12345678", 0).is_err());
        assert!(ssid_diff(&"x".repeat(33), "12345678", 0).is_err());
        assert!(ssid_diff("ok", "short", 0).is_err());
        assert!(ssid_diff("ok", &"p".repeat(64), 0).is_err());
        assert!(ssid_diff("ok", "12345678", 1).is_ok());
        assert!(lan_ip_diff("192.168.1.300", "255.255.255.0").is_err());
        assert!(lan_ip_diff("192.168.1.1", "255.0.255.0").is_err());
        assert!(lan_ip_diff("192.168.1.1", "255.255.255.0").is_ok());
        assert!(
            wan_static_ip_diff("5.4.0", "172.19.9.30", "255.255.252.0", "172.19.8.1", &[]).is_err()
        );
        let d = wan_static_ip_diff(
            "5.4.0",
            "172.19.9.30",
            "255.255.252.0",
            "172.19.8.1",
            &["172.21.21.50".into()],
        )
        .unwrap();
        assert_eq!(
            d.updates["wan"]["rules"][RULES_ETHERNET_ID]["static"]["dns"]["0"]["ip_address"],
            "172.21.21.50"
        );
        assert!(user_diff(1, "bad user", "longenough", "admin").is_err());
        assert!(user_diff(1, "super", "short", "admin").is_err());
        assert!(
            is_netmask("255.255.252.0") && !is_netmask("0.0.0.0") && !is_netmask("255.255.255.1")
        );
    }

    #[test]
    fn configs_that_would_cut_a_router_off_are_refused() {
        let dns = ["8.8.8.8".to_string()];
        let wan = |ip, mask, gw| wan_static_ip_diff("7.0.0", ip, mask, gw, &dns);
        let e = wan("10.0.0.10", "255.255.255.0", "10.0.1.1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("outside the WAN subnet 10.0.0.0/24"), "{e}");
        let e = wan("10.0.0.10", "255.255.255.0", "10.0.0.10")
            .unwrap_err()
            .to_string();
        assert!(e.contains("is the WAN address itself"), "{e}");
        let e = wan("10.0.0.0", "255.255.255.0", "10.0.0.1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("network address"), "{e}");
        let e = wan("10.0.0.255", "255.255.255.0", "10.0.0.1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("broadcast address"), "{e}");
        assert!(wan("10.0.0.10", "255.255.255.0", "10.0.0.255").is_err());
        assert!(wan("10.0.0.10", "255.255.255.0", "10.0.0.1").is_ok());
        assert!(
            wan("10.0.0.0", "255.255.255.254", "10.0.0.1").is_ok(),
            "a /31 uses both"
        );
        let e = lan_ip_diff("192.168.1.0", "255.255.255.0")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("network address") && e.contains("192.168.1.1 and 192.168.1.254"),
            "{e}"
        );
        assert!(lan_ip_diff("192.168.1.255", "255.255.255.0").is_err());
        assert!(lan_ip_diff("192.168.0.255", "255.255.254.0").is_ok());
        for bad in [
            "",
            "iot example",
            "iot_example",
            "iot..example",
            ".iot",
            "-iot.example",
            "iot-.x",
            "iot.mnc001.gprs",
            "é.example",
            &"a".repeat(63),
        ] {
            assert!(apn_diff("7.0.0", bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "iot.example",
            "broadband",
            "VZWINTERNET",
            "m2m-apn.carrier.com",
            &"a".repeat(62),
        ] {
            assert!(apn_diff("7.0.0", good).is_ok(), "{good:?} refused");
        }
    }
}
