//! The generated configurations against the spec's notes: every default tree of the simulated
//! catalog is a full NCOS tree of the right size and shape with no secret in it, every
//! generated layer validates against its firmware's default, and the cheap computations
//! (`prune`) give exactly what the whole tree gives.

use super::layers::{self, GroupSpec, Modem, Purpose, RouterSpec};
use super::*;
use crate::diff::{self, Diff};
use crate::sim::config_sync;
use crate::sim::fleet::{firmware_versions, PRODUCTS};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

fn catalog() -> Vec<(&'static str, &'static str)> {
    PRODUCTS
        .iter()
        .flat_map(|(_, p, _)| firmware_versions(p).iter().map(move |v| (*p, *v)))
        .collect()
}

fn count_keys(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.len() + m.values().map(count_keys).sum::<usize>(),
        Value::Array(a) => a.iter().map(count_keys).sum(),
        _ => 0,
    }
}

/// Every (path, value) of the leaves of a config.
fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<(Vec<Value>, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(json!(k));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(json!(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        other => out.push((path.clone(), other.clone())),
    }
}

#[test]
fn every_default_of_the_catalog_is_a_full_ncos_tree_without_a_secret() {
    for (product, version) in catalog() {
        let d = default_config(product, version);
        let size = serde_json::to_string(&*d).unwrap().len();
        let what = format!("{product} {version}");
        assert!((30_000..80_000).contains(&size), "{what}: {size} bytes");
        assert!(count_keys(&d) > 1500, "{what}: {} keys", count_keys(&d));
        for section in [
            "system", "lan", "wan", "security", "routing", "dns", "certmgmt", "ecm", "alerts",
            "ethernet", "vlan",
        ] {
            assert!(d.get(section).is_some(), "{what}: {section}");
        }
        assert_eq!(
            d["lan"][0]["_id_"],
            crate::ncm::defaults::PRIMARY_LAN_ID,
            "{what}"
        );
        assert_eq!(d["lan"][1]["name"], "Guest LAN", "{what}");
        let fw = Firmware::parse(version);
        assert_eq!(d["wan"]["rules2"].is_array(), fw.rules2(), "{what}");
        assert_eq!(d["wan"]["rules"].is_array(), !fw.rules2(), "{what}");
        if fw.rules2() {
            assert_eq!(
                d["wan"]["rules2"][2]["_id_"],
                crate::ncm::defaults::RULES2_LTE_ID
            );
            assert_eq!(
                d["wan"]["rules2"][5]["_id_"],
                "00000005-a81d-3590-93ca-8b1fcfeb8e15"
            );
            assert_eq!(
                d["wan"]["rules2"].as_array().unwrap().len(),
                if fw.wbond() { 7 } else { 6 }
            );
        } else {
            assert_eq!(
                d["wan"]["rules"][2]["_id_"],
                crate::ncm::defaults::RULES_LTE_ID
            );
        }
        let m = model(product);
        assert_eq!(d.get("wlan").is_some(), m.radios > 0, "{what}");
        if m.radios > 0 {
            assert_eq!(
                d["wlan"]["radio"].as_array().unwrap().len(),
                m.radios as usize
            );
            assert_eq!(d["wlan"]["radio"][0]["bss"].as_array().unwrap().len(), 4);
        }
        assert_eq!(
            d["ethernet"].as_array().unwrap().len(),
            1 + m.lan_ports as usize
        );
        assert_eq!(d["security"]["zfw"]["zones"].as_array().unwrap().len(), 5);
        assert_eq!(d["routing"]["tables"][0]["name"], "Main");
        let mut all = vec![];
        leaves(&d, &mut vec![], &mut all);
        for (path, value) in all.iter().filter(|(p, _)| diff::is_secret(p)) {
            assert!(
                value == "*" || value == "",
                "{what}: {} holds {value}",
                diff::path_text(path)
            );
        }
        assert!(
            all.iter().any(|(p, v)| diff::is_secret(p) && v == "*"),
            "{what}"
        );
    }
}

fn group_spec(id: u64, purpose: Purpose, product: &str) -> GroupSpec {
    GroupSpec {
        id,
        purpose,
        model: model(product),
        tunnel: id % 2 == 0,
        seed: 7,
    }
}

fn router_spec(rng: &mut impl Rng, product: &str, index: usize) -> RouterSpec {
    RouterSpec {
        index,
        model: model(product),
        modem: Modem {
            uid: format!("{:08x}", rng.random::<u32>()),
            five_g: rng.random_bool(0.3),
        },
        seed: rng.random(),
    }
}

fn valid(default: &Value, d: &Diff) -> bool {
    config_sync::validate(default, &d.to_value()).is_ok()
}

#[test]
fn every_generated_layer_validates_against_its_firmware_default() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    for (product, version) in catalog() {
        let d = default_config(product, version);
        let fw = Firmware::parse(version);
        for purpose in [Purpose::Stores, Purpose::Vehicles] {
            for id in [2001, 2002] {
                let g = layers::group(&group_spec(id, purpose, product), fw);
                assert!(
                    valid(&d, &g),
                    "{product} {version} group {:?}",
                    g.to_value()
                );
            }
        }
        for i in 0..150 {
            let r = router_spec(&mut rng, product, i);
            let ind = layers::individual(&r, fw);
            assert!(valid(&d, &ind), "{product} {version}: {}", ind.to_value());
            let add = layers::device_additions(&r, fw);
            assert!(valid(&d, &add), "{product} {version}: {}", add.to_value());
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_content_on_every_firmware_of_a_product() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    for _ in 0..50 {
        let r = router_spec(&mut rng, "IBR1700", 7);
        let a = layers::individual(&r, Firmware::parse("7.22.60"));
        let b = layers::individual(&r, Firmware::parse("7.24.10"));
        assert_eq!(a, b);
        assert_eq!(
            a,
            layers::individual(&r, Firmware::parse("7.22.60")),
            "deterministic"
        );
    }
}

/// The layers of a random router: its additions, its group's and its own configuration.
fn random_layers(rng: &mut impl Rng) -> (Arc<Value>, Vec<Diff>) {
    let all = catalog();
    let (product, version) = all[rng.random_range(0..all.len())];
    let fw = Firmware::parse(version);
    let purpose = if rng.random_bool(0.5) {
        Purpose::Stores
    } else {
        Purpose::Vehicles
    };
    let g = layers::group(
        &group_spec(rng.random_range(2001..2013), purpose, product),
        fw,
    );
    let index = rng.random_range(0..100_000);
    let r = router_spec(rng, product, index);
    let mut ls = vec![
        layers::device_additions(&r, fw),
        g,
        layers::individual(&r, fw),
    ];
    if rng.random_bool(0.3) {
        ls.pop();
    }
    (default_config(product, version), ls)
}

#[test]
fn pruned_and_shortcut_device_forms_are_exactly_the_whole_trees() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for _ in 0..400 {
        let (d, ls) = random_layers(&mut rng);
        let refs: Vec<&Diff> = ls.iter().collect();
        let full = prune::apply_all(&d, &refs).unwrap();
        let whole = diff::between_opts(&d, &full, false);
        let pruned = prune::device_form(&d, &refs).unwrap();
        assert_eq!(pruned, whole);
        let fast = prune::device_form_fast(&d, &refs).expect("generated layers take the shortcut");
        assert_eq!(
            serde_json::to_string(&fast.to_value()).unwrap(),
            serde_json::to_string(&whole.to_value()).unwrap()
        );
        // And back: the device form applied to the default is what the device runs.
        assert_eq!(diff::apply(&d, &fast).unwrap(), full);
        // `_id_`-keyed (as NCM writes diffs) between two routers' configurations.
        let (d2, ls2) = random_layers(&mut rng);
        if d2 == d {
            let refs2: Vec<&Diff> = ls2.iter().collect();
            let b = prune::between(&d, &refs, &refs2, true).unwrap();
            let full2 = prune::apply_all(&d, &refs2).unwrap();
            assert_eq!(b, diff::between(&full, &full2));
            assert_eq!(prune::same(&d, &refs, &refs2).unwrap(), full == full2);
        }
    }
}

#[test]
fn a_shortcut_is_refused_for_what_it_does_not_handle() {
    let d = default_config("IBR900", "7.22.60");
    let with_removal =
        Diff::from_value(&json!([{}, [["lan", crate::ncm::defaults::GUEST_LAN_ID]]])).unwrap();
    assert!(prune::device_form_fast(&d, &[&with_removal]).is_none());
    let replaced = Diff::from_value(&json!([{"dns": {"servers": []}}, []])).unwrap();
    assert!(prune::device_form_fast(&d, &[&replaced]).is_none());
    assert_eq!(
        prune::device_form(&d, &[&with_removal]).unwrap(),
        diff::between_opts(&d, &diff::apply(&d, &with_removal).unwrap(), false)
    );
}
