//! Which config fields hold secrets: NCOS stores them encrypted and NCM reads them back as
//! `"*"`. The spec (ncos-config-notes.md §3, "Every field marked `encrypt: true` in the 7.25
//! DTD") lists 54 of them by path; some of their names (`key`, `secret`, `pass`, `challenge`,
//! `sim_pin`, `public_key`) are also the names of plain fields elsewhere in the tree, so a field is
//! matched by its path of names, list elements left out (`wlan.radio.bss.wpapsk` matches
//! `wlan.radio.0.bss.1.wpapsk` and `wlan.radio.{"0": {"bss": ...}}` alike). A path given from
//! anywhere above the config (a record's `configuration`, a diff's updates) matches by its end.

use serde_json::Value;

/// Names that are a secret wherever they appear (every field of these names in the DTD is
/// encrypted, and `password` fields are masked by NCM: the NCM SDK's copy drops `"password": "*"`).
pub const SECRET_KEYS: &[&str] = &[
    "password",
    "wpapsk",
    "passphrase",
    "shared_secret",
    "preshared_key",
    "ppp_password",
    "ttls_password",
    "ppppassword",
    "smtp_password",
    "privacy_password",
    "ha_password",
    "proxy_pass",
    "ncm_proxy_pass",
    "secret2",
    "radius0key",
    "acct_key",
    "radius_coa_key",
    "radiusSecret",
    "UAMsecret",
    "peer_auth",
    "service_key",
    "conn_string",
    "device_sas_token",
];

/// The spec's encrypted fields whose last name is also a plain field's elsewhere: matched by
/// their whole path of names (list elements left out).
pub const SECRET_FIELDS: &[&str] = &[
    "certmgmt.certs.key",
    "certmgmt.certs.challenge",
    "certmgmt.private_keys.key",
    "wan.rules.pppoe.pass",
    "wan.rules2.pppoe.pass",
    "wan.rules.modem.sim_pin",
    "wan.rules2.modem.sim_pin",
    "system.adv_auth.radius.secret",
    "system.adv_auth.tacacs.secret",
    "hotspot.radius.secret",
    "hotspot.uam.secret",
    "l2tp.tunnels.secret",
    "utunnel.global_options.public_key",
];

/// Is this path segment a list element's key (an offset, a numeral, an `_id_`) rather than a
/// field's name?
fn is_element_key(seg: &str) -> bool {
    (!seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit())) || super::is_uuid(seg)
}

/// Is the field `key`, under the fields named by `ancestors` (nearest first, element keys
/// allowed: they are skipped), a secret?
pub fn is_secret_field<'a>(key: &str, ancestors: impl Iterator<Item = &'a str>) -> bool {
    if SECRET_KEYS.contains(&key) {
        return true;
    }
    let candidates: Vec<&str> = SECRET_FIELDS
        .iter()
        .copied()
        .filter(|f| f.rsplit('.').next() == Some(key))
        .collect();
    if candidates.is_empty() {
        return false;
    }
    let names: Vec<&str> = ancestors.filter(|s| !is_element_key(s)).collect();
    candidates.iter().any(|f| {
        let mut want = f.rsplit('.').skip(1);
        let mut have = names.iter();
        want.all(|w| have.next() == Some(&w))
    })
}

/// Is the value at this config path (keys, offsets or `_id_`s from the top of a config or a
/// diff's updates) a secret?
pub fn is_secret(path: &[Value]) -> bool {
    let Some((last, up)) = path.split_last() else {
        return false;
    };
    let Some(key) = last.as_str() else {
        return false;
    };
    is_secret_field(key, up.iter().rev().filter_map(Value::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Vec<Value> {
        s.split('.').map(|x| json!(x)).collect()
    }

    #[test]
    fn secrets_are_found_by_name_or_by_their_path_of_names() {
        for s in [
            "wlan.radio.0.bss.1.wpapsk",
            "system.users.0.password",
            "vpn.tunnels.0b6a66b2-5f0c-4d7e-9d59-2a3e4c5d6e7f.preshared_key",
            "certmgmt.certs.00000003-9d2f-4c1e-8a7b-5e6f7a8b9c0d.key",
            "configuration.certmgmt.certs.1.key",
            "wan.rules2.00000002-a81d-3590-93ca-8b1fcfeb8e14.modem.sim_pin",
            "wan.rules2.3.pppoe.pass",
            "system.adv_auth.tacacs.secret",
        ] {
            assert!(is_secret(&p(s)), "{s}");
        }
        for s in [
            "certmgmt.certs.0.name",
            "container.projects.0.key",
            "system.snmp.get_community",
            "wlan.radio.0.bss.0.ssid",
            "key",
            "pass",
            "sim_pin",
        ] {
            assert!(!is_secret(&p(s)), "{s}");
        }
        assert!(!is_secret(&[]));
        assert!(!is_secret(&[json!(0)]));
    }
}
