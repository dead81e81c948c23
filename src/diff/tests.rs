//! Unit tests of the diff engine: the worked examples of the spec's "Configuration in API V2"
//! part, validation wording, and property tests, on arbitrary JSON and (with the simulator
//! built) on NCOS configurations drawn from the simulator's generator (`sim::ncos`).

use super::*;
use crate::ncm::defaults::{GUEST_LAN_ID, PRIMARY_LAN_ID};
#[cfg(feature = "sim")]
use crate::sim::ncos::default_config;
use proptest::prelude::*;
use serde_json::json;

fn d(v: Value) -> Diff {
    Diff::from_value(&v).unwrap()
}

#[test]
fn spec_apply_example() {
    let config = json!({"a": {"b": 1, "c": 2}, "d": {"e": "hi", "f": "there"}});
    let diff = d(json!([{"a": {"d": 4, "c": 3}}, [["d", "e"]]]));
    let out = apply(&config, &diff).unwrap();
    assert_eq!(
        out,
        json!({"a": {"d": 4, "c": 3, "b": 1}, "d": {"f": "there"}})
    );
    assert!(Diff::from_value(&json!([{}, []])).unwrap().is_empty());
}

#[test]
fn removing_a_missing_path_is_an_error_naming_it() {
    let e = apply(&json!({"a": {}}), &d(json!([{}, [["a", "zz"]]]))).unwrap_err();
    assert_eq!(e.reason, "invalid path");
    assert_eq!(e.path, vec![json!("a"), json!("zz")]);
    assert!(e.message.contains("a.zz"), "{}", e.message);
}

#[test]
fn spec_layering_walk_through() {
    let group = d(json!([{"a": {"b": 1, "c": 2}}, []]));
    let patch = d(json!([{"a": {"b": 3, "d": 4}}, []]));
    // Target with the device in the group.
    let target = layer(&group, &patch);
    assert_eq!(
        apply(&json!({}), &target).unwrap(),
        json!({"a": {"b": 3, "c": 2, "d": 4}})
    );
    // Indie cleared (PUT of an empty diff): back to the group config.
    let cleared = layer(&group, &Diff::empty());
    assert_eq!(
        apply(&json!({}), &cleared).unwrap(),
        json!({"a": {"b": 1, "c": 2}})
    );
    // Removed from the group: only the individual config remains.
    let alone = layer(&Diff::empty(), &patch);
    assert_eq!(
        apply(&json!({}), &alone).unwrap(),
        json!({"a": {"b": 3, "d": 4}})
    );
}

/// The spec's "PUT Example: A Complicated Config" against the MBR1400 5.4.0 default.
#[cfg(feature = "sim")]
#[test]
fn spec_vlan_and_guest_lan_removal_on_mbr1400_540() {
    let default = default_config("MBR1400", "5.4.0");
    let diff = d(json!([
        {
            "lan": {"00000001-2a38-3724-a6fa-02dfdfbc129e": {
                "_id_": "00000001-2a38-3724-a6fa-02dfdfbc129e",
                "devices": [{"type": "ethernet", "uid": "aleph"}], "dhcpcd": {}, "enabled": true,
                "ip_address": "192.168.20.1", "name": "Aleph LAN", "netmask": "255.255.255.0"}},
            "security": {"zfw": {
                "forwardings": {"00000004-356d-30f0-962f-bb705dfddfc9": {
                    "_id_": "00000004-356d-30f0-962f-bb705dfddfc9", "dst_zone_id": "00000002-695c-3d87-95cb-d0ee2029d0b5",
                    "enabled": true, "filter_policy_id": "00000000-77db-3b20-980e-2de482869073",
                    "src_zone_id": "00000005-e091-3d73-80d1-9a51d6143759"}},
                "zones": {"00000005-e091-3d73-80d1-9a51d6143759": {
                    "_id_": "00000005-e091-3d73-80d1-9a51d6143759",
                    "devices": [{"trigger_field": "config_id", "trigger_group": "lan", "trigger_neg": false,
                                 "trigger_predicate": "is", "trigger_value": "00000001-2a38-3724-a6fa-02dfdfbc129e"}],
                    "name": "aleph"}}}},
            "vlan": {"2": {"mode": "lan", "ports": [{"mode": "tagged", "port": 4}], "uid": "aleph", "vid": 3}}
        },
        [["vlan", 1, "ports", 3], ["lan", GUEST_LAN_ID]]
    ]));
    let out = apply(&default, &diff).unwrap();
    // Port 4 left the LAN VLAN; the new "aleph" VLAN carries it tagged.
    let lan_ports: Vec<i64> = out["vlan"][1]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_i64().unwrap())
        .collect();
    assert_eq!(lan_ports, vec![1, 2, 3]);
    assert_eq!(
        out["vlan"][2],
        json!({"mode": "lan", "ports": [{"mode": "tagged", "port": 4}], "uid": "aleph", "vid": 3})
    );
    // The Guest LAN is gone; the Primary LAN stays and Aleph LAN was added.
    let lans: Vec<&str> = out["lan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(lans, vec!["Primary LAN", "Aleph LAN"]);
    assert_eq!(out["lan"][0]["_id_"], PRIMARY_LAN_ID);
    // The five default zones (notes §1) and the example's new one.
    assert_eq!(out["security"]["zfw"]["zones"].as_array().unwrap().len(), 6);
    assert_eq!(
        out["security"]["zfw"]["forwardings"][4]["src_zone_id"],
        "00000005-e091-3d73-80d1-9a51d6143759"
    );
    // Removals run first: without the port removal, port 4 would still be in VLAN 1.
    let only_updates = Diff {
        removals: vec![],
        ..diff.clone()
    };
    assert_eq!(
        apply(&default, &only_updates).unwrap()["vlan"][1]["ports"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

/// The spec's GET example: `actual` (offset-keyed) and `target` (`_id_`-keyed) are in sync.
#[cfg(feature = "sim")]
#[test]
fn spec_actual_and_target_are_equivalent() {
    let target = d(json!([{"system": {"logging": {"level": "debug"}},
        "lan": {PRIMARY_LAN_ID: {"ip_address": "192.168.30.1", "_id_": PRIMARY_LAN_ID, "name": "LAN0"}},
        "ecm": {"config_version": 18}}, []]));
    let actual = d(
        json!([{"ecm": {"config_version": 18}, "lan": {"0": {"name": "LAN0", "ip_address": "192.168.30.1"}},
        "system": {"logging": {"level": "debug"}}}, []]),
    );
    let default = default_config("IBR900", "7.22.60");
    assert!(equivalent(&actual, &target, Some(&default)).unwrap());
    assert!(equivalent(&actual, &target, None).unwrap());
    let other = d(json!([{"lan": {"0": {"name": "LAN1"}}}, []]));
    assert!(!equivalent(&other, &target, Some(&default)).unwrap());
    assert!(!equivalent(&other, &target, None).unwrap());
}

#[test]
fn strip_masked_removes_only_placeholders() {
    let read_back = d(
        json!([{"wlan": {"radio": {"0": {"bss": {"0": {"wpapsk": "*", "ssid": "Shop"}}}}},
        "system": {"users": {"1": {"username": "super", "password": "*"}}, "note": "a*b"}}, [["lan", GUEST_LAN_ID]]]),
    );
    let s = strip_masked(&read_back);
    assert_eq!(
        s.to_value(),
        json!([{"wlan": {"radio": {"0": {"bss": {"0": {"ssid": "Shop"}}}}},
        "system": {"users": {"1": {"username": "super"}}, "note": "a*b"}}, [["lan", GUEST_LAN_ID]]])
    );
}

#[cfg(feature = "sim")]
#[test]
fn array_updates_by_numeral_and_id_with_validation() {
    let default = default_config("IBR900", "7.22.60");
    // Numeral keys address offsets; the next offset appends; beyond is an error.
    let out = apply(
        &default,
        &d(json!([{"vlan": {"1": {"vid": 9}, "2": {"uid": "x"}}}, []])),
    )
    .unwrap();
    assert_eq!(out["vlan"][1]["vid"], 9);
    assert_eq!(out["vlan"][2]["uid"], "x");
    let e = apply(&default, &d(json!([{"vlan": {"5": {"uid": "x"}}}, []]))).unwrap_err();
    assert_eq!(e.reason, "bad array index");
    // An _id_ key must carry the same _id_ field.
    let e = apply(
        &default,
        &d(json!([{"lan": {PRIMARY_LAN_ID: {"ip_address": "192.168.30.1"}}}, []])),
    )
    .unwrap_err();
    assert_eq!(e.reason, "invalid id");
    assert_eq!(e.path, vec![json!("lan"), json!(PRIMARY_LAN_ID)]);
    let e = apply(
        &default,
        &d(json!([{"lan": {"not-a-uuid": {"_id_": "not-a-uuid"}}}, []])),
    )
    .unwrap_err();
    assert_eq!(e.reason, "invalid id");
    let e = apply(&default, &d(json!([{"lan": {}}, []]))).unwrap_err();
    assert_eq!(e.reason, "empty dict");
    let e = apply(&default, &d(json!([{"lan": {PRIMARY_LAN_ID: 5}}, []]))).unwrap_err();
    assert_eq!(e.reason, "not a dict");
    // The Primary LAN by _id_, as the spec's PATCH example does it.
    let out = apply(&default, &d(json!([{"lan": {PRIMARY_LAN_ID: {"_id_": PRIMARY_LAN_ID, "ip_address": "192.168.30.1"}}}, []]))).unwrap();
    assert_eq!(out["lan"][0]["ip_address"], "192.168.30.1");
    assert_eq!(out["lan"][0]["name"], "Primary LAN");
    // validate() finds the same problems without a config.
    let issues = validate(&json!([{"lan": {PRIMARY_LAN_ID: {"ip_address": "x"}}}, []]));
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].reason, "invalid id");
    assert_eq!(validate(&json!([{"a": 1}])).len(), 1);
    assert!(validate(&json!([{"a": 1}, [["a"]]])).is_empty());
}

#[cfg(feature = "sim")]
#[test]
fn between_uses_ids_for_id_arrays_and_offsets_otherwise() {
    // A firmware whose VLAN ports carry no `_id_` (removed by offset), with four LAN ports.
    let default = default_config("MBR1400", "6.1.0");
    let mut new = (*default).clone();
    new["lan"][0]["ip_address"] = json!("10.1.1.1");
    new["lan"].as_array_mut().unwrap().remove(1);
    new["vlan"][1]["ports"].as_array_mut().unwrap().pop();
    new["system"]["logging"]["level"] = json!("debug");
    let diff = between(&default, &new);
    assert_eq!(apply(&default, &diff).unwrap(), new);
    assert_eq!(
        diff.updates["lan"],
        json!({PRIMARY_LAN_ID: {"ip_address": "10.1.1.1", "_id_": PRIMARY_LAN_ID}})
    );
    assert!(diff
        .removals
        .contains(&vec![json!("lan"), json!(GUEST_LAN_ID)]));
    assert!(diff
        .removals
        .contains(&vec![json!("vlan"), json!(1), json!("ports"), json!(3)]));
    // The device's own form uses offsets.
    let dev = between_opts(&default, &new, false);
    assert_eq!(dev.updates["lan"], json!({"0": {"ip_address": "10.1.1.1"}}));
    assert_eq!(apply(&default, &dev).unwrap(), new);
    assert!(between(&new, &new).is_empty());
}

#[cfg(feature = "sim")]
#[test]
fn get_and_set_paths() {
    let default = default_config("IBR900", "7.22.60");
    assert_eq!(
        get(&default, &parse_path(&json!("lan.0.name"))).unwrap(),
        "Primary LAN"
    );
    assert_eq!(
        get(
            &default,
            &[json!("lan"), json!(GUEST_LAN_ID), json!("name")]
        )
        .unwrap(),
        "Guest LAN"
    );
    assert!(get(&default, &parse_path(&json!("lan.7.name"))).is_none());
    let s = set(
        &Diff::empty(),
        &parse_path(&json!("system.gps.enabled")),
        json!(true),
    )
    .unwrap();
    assert_eq!(
        s.to_value(),
        json!([{"system": {"gps": {"enabled": true}}}, []])
    );
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-50i64..50).prop_map(Value::from),
        "[a-z*]{0,3}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-d0-2]{1,2}", inner.clone(), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            // Arrays of elements with _id_s, as NCM has them.
            (prop::collection::vec(0u8..6, 0..4), inner).prop_map(|(ids, v)| {
                let mut seen = std::collections::BTreeSet::new();
                Value::Array(
                    ids.into_iter()
                        .filter(|i| seen.insert(*i))
                        .map(|i| {
                            json!({
                    "_id_": format!("0000000{i}-0d93-319d-8220-4a1fb0372b51"), "v": v.clone()})
                        })
                        .collect(),
                )
            }),
        ]
    })
}

#[test]
fn masked_values_strip_without_leaving_an_empty_dict() {
    let dd = strip_masked(&d(json!([{"w": {"pw": "*"}, "a": {"b": "*", "c": 1}}, []])));
    assert_eq!(dd.to_value(), json!([{"a": {"c": 1}}, []]));
    assert!(validate(&dd.to_value()).is_empty());
    // An array element that is "*" is data, not a mask: `{wpapsk: {"1": "*"}}` no longer
    // becomes `{wpapsk: {}}`, which NCM rejects ("empty dict").
    let dd = strip_masked(&d(json!([{"wpapsk": {"1": "*"}}, []])));
    assert_eq!(dd.to_value(), json!([{"wpapsk": {"1": "*"}}, []]));
    // An element's update emptied by stripping stays `{}`: the offsets after it keep meaning.
    let dd = strip_masked(&d(
        json!([{"users": {"0": {"password": "*"}, "1": {"username": "x"}}}, []]),
    ));
    assert_eq!(
        dd.to_value(),
        json!([{"users": {"0": {}, "1": {"username": "x"}}}, []])
    );
    assert_eq!(
        apply(&json!({"users": [{"username": "a", "password": "p"}]}), &dd).unwrap(),
        json!({"users": [{"username": "a", "password": "p"}, {"username": "x"}]})
    );
}

#[test]
fn appended_id_elements_keep_their_order_whatever_their_ids() {
    let a = json!({"rules2": [{"_id_": "f0000000-0d93-319d-8220-4a1fb0372b51", "v": 0}]});
    let b = json!({"rules2": [
        {"_id_": "f0000000-0d93-319d-8220-4a1fb0372b51", "v": 0},
        {"_id_": "c0000000-0d93-319d-8220-4a1fb0372b51", "v": 1},
        {"_id_": "a0000000-0d93-319d-8220-4a1fb0372b51", "v": 2},
    ]});
    let dd = between(&a, &b);
    // Through a map that sorts its keys, as a Rhai map does.
    let sorted: std::collections::BTreeMap<String, Value> = dd.updates["rules2"]
        .as_object()
        .unwrap()
        .clone()
        .into_iter()
        .collect();
    let resorted = Diff {
        updates: [("rules2".to_string(), json!(sorted))]
            .into_iter()
            .collect(),
        removals: vec![],
    };
    assert_eq!(apply(&a, &resorted).unwrap(), b);
}

fn arb_config() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-d]{1,2}", arb_json(), 0..5)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn apply_of_between_gives_the_new_config(a in arb_config(), b in arb_config()) {
        let dd = between(&a, &b);
        prop_assert_eq!(apply(&a, &dd).unwrap(), b.clone());
        let dev = between_opts(&a, &b, false);
        prop_assert_eq!(apply(&a, &dev).unwrap(), b);
    }

    #[test]
    fn stripping_masked_values_never_leaves_an_empty_dict(a in arb_config(), b in arb_config()) {
        let dd = strip_masked(&between(&a, &b));
        prop_assert!(validate(&dd.to_value()).is_empty(), "{:?}", dd);
        prop_assert!(apply(&a, &dd).is_ok(), "{:?}", dd);
    }

    #[test]
    fn apply_never_panics(c in arb_json(), u in arb_json(), r in prop::collection::vec(prop::collection::vec(prop_oneof![
            "[a-d0-2]{1,2}".prop_map(Value::from), (0u64..4).prop_map(Value::from)], 0..3), 0..3)) {
        if let Value::Object(upd) = u {
            let dd = Diff { updates: upd, removals: r };
            let _ = apply(&c, &dd);
            let _ = validate(&dd.to_value());
            let _ = strip_masked(&dd);
        }
    }
}

/// Configurations drawn from the simulator's generator (`sim::ncos`): NCOS default trees of
/// 40 KB with the group, individual and device layers of a random router over them, so the
/// engine's properties are checked on `_id_` lists, offsets and secrets of realistic size.
#[cfg(feature = "sim")]
mod on_generated_configs {
    use super::*;
    use crate::sim::fleet::{firmware_versions, PRODUCTS};
    use crate::sim::ncos::layers::{self, GroupSpec, Modem, Purpose, RouterSpec};
    use crate::sim::ncos::{default_config, model, Firmware};

    /// A router's full configuration: product and firmware by index, its layers by seed.
    fn running(product: usize, fw: usize, seed: u64, stores: bool) -> (Value, Value) {
        let (_, name, _) = PRODUCTS[product % PRODUCTS.len()];
        let versions = firmware_versions(name);
        let version = versions[fw % versions.len()];
        let f = Firmware::parse(version);
        let group = GroupSpec {
            id: 2001 + seed % 12,
            purpose: if stores {
                Purpose::Stores
            } else {
                Purpose::Vehicles
            },
            model: model(name),
            tunnel: seed % 3 == 0,
            seed,
        };
        let router = RouterSpec {
            index: (seed % 100_000) as usize,
            model: model(name),
            modem: Modem {
                uid: format!("{:08x}", seed as u32),
                five_g: seed % 4 == 0,
            },
            seed,
        };
        let default = (*default_config(name, version)).clone();
        let mut full = default.clone();
        for d in [
            layers::device_additions(&router, f),
            layers::group(&group, f),
            layers::individual(&router, f),
        ] {
            full = apply(&full, &d).unwrap();
        }
        (default, full)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn between_and_apply_round_trip_between_two_routers(
            p in 0usize..6, fw in 0usize..3, a in any::<u64>(), b in any::<u64>(), sa: bool, sb: bool,
        ) {
            let (default, x) = running(p, fw, a, sa);
            let (_, y) = running(p, fw, b, sb);
            let d = between(&x, &y);
            prop_assert_eq!(apply(&x, &d).unwrap(), y.clone());
            prop_assert!(validate(&d.to_value()).is_empty());
            // The device's own form, from the firmware default.
            let dev = between_opts(&default, &y, false);
            prop_assert_eq!(apply(&default, &dev).unwrap(), y.clone());
            prop_assert!(equivalent(&dev, &between(&default, &y), Some(&default)).unwrap());
            // Through a map that sorts its keys (a Rhai map), appended `_id_` elements keep
            // their order.
            let sorted: Value = serde_json::from_str(
                &serde_json::to_string(&serde_json::from_value::<std::collections::BTreeMap<String, Value>>(
                    Value::Object(d.updates.clone())).unwrap()).unwrap()).unwrap();
            let resorted = Diff { updates: sorted.as_object().unwrap().clone(), removals: d.removals.clone() };
            prop_assert_eq!(apply(&x, &resorted).unwrap(), y);
        }

        #[test]
        fn a_masked_read_back_never_writes_a_mask_or_loses_a_secret_silently(
            p in 0usize..6, fw in 0usize..3, a in any::<u64>(), b in any::<u64>(), s: bool,
        ) {
            let (default, x) = running(p, fw, a, s);
            let (_, y) = running(p, fw, b, s);
            // What NCM would show of two individual configurations: secrets as "*".
            let mut shown = between(&default, &x).to_value();
            crate::sim::config_sync::mask_passwords(&mut shown);
            let current = Diff::from_value(&shown).unwrap();
            let wanted = between(&default, &y);
            let plan = plan_write(&current, &wanted).unwrap();
            prop_assert!(!plan.send.to_value().to_string().contains("\"*\""));
            if plan.patch {
                prop_assert!(plan.dropped_secrets.is_empty());
            }
            let tree = apply(&json!({}), &current).unwrap();
            for path in &plan.dropped_secrets {
                prop_assert_eq!(get(&tree, path), Some(&json!("*")));
            }
        }
    }
}
