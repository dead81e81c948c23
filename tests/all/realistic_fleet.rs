//! The simulator's routers carry NCOS-shaped configurations (issue 27): a sandbox nightly backup
//! of 1,000 routers finds every `actual` holding more than the version counter, most with the
//! WAN rule their device added for its modem, many with a Wi-Fi key (masked), a tail of large
//! ones, secrets never in clear, and each router's effective configuration; every firmware's
//! default served is a full tree; the same seed gives the same files.

use crate::common::*;
use fleetscript::sim::SimOptions;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The router files of the one dated backup under `dir`: file name -> text.
fn router_files(dir: &Path) -> BTreeMap<String, String> {
    let day = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .expect("a dated backup");
    std::fs::read_dir(&day)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// `nightly_backup --arg effective=true` of a 1,000-router sandbox with `seed`, into `dir`; the
/// files with the simulator's own address (a port that differs between runs) written `SIM`.
fn backup(seed: u64, dir: &Path) -> BTreeMap<String, String> {
    let sim = sim_with(SimOptions {
        routers: 1000,
        seed,
        ..Default::default()
    });
    let out = dir.join("b");
    let mut rt = script_runtime(
        &sim,
        dir,
        &[("dir", out.to_str().unwrap()), ("effective", "true")],
    );
    let _ = rt
        .run_source("nightly_backup.rhai", &script("nightly_backup.rhai"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let host = sim.base_url();
    router_files(&out)
        .into_iter()
        .map(|(name, text)| (name, text.replace(&host, "SIM")))
        .collect()
}

/// Every secret field's (path, value) in a document.
fn secret_leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(Value::String(k.clone()));
                if x.is_string() && fleetscript::diff::is_secret(path) {
                    out.push((fleetscript::diff::path_text(path), x.clone()));
                }
                secret_leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Value::from(i));
                secret_leaves(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn compact_len(v: &Value) -> usize {
    serde_json::to_string(v).unwrap().len()
}

/// Does any `wlan.radio.*.bss.*` of this update tree hold a masked key?
fn masked_wifi_key(updates: &Value) -> bool {
    updates["wlan"]["radio"].as_object().is_some_and(|radios| {
        radios.values().any(|r| {
            r["bss"]
                .as_object()
                .is_some_and(|b| b.values().any(|s| s["wpapsk"] == "*"))
        })
    })
}

fn modem_rule(updates: &Value) -> bool {
    updates["wan"]["rules2"].as_object().is_some_and(|rules| {
        rules.values().any(|r| {
            r["trigger_name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Modem-"))
                && r["trigger_string"]
                    .as_str()
                    .is_some_and(|t| t.contains("%uid|is|"))
        })
    })
}

#[test]
fn a_nightly_backup_of_a_thousand_sandbox_routers_holds_realistic_configurations() {
    let dir = tempfile::tempdir().unwrap();
    let files = backup(1, &dir.path().join("one"));
    let docs: Vec<Value> = files
        .iter()
        .filter(|(name, _)| name.as_str() != "index.json")
        .map(|(_, text)| serde_json::from_str(text).unwrap())
        .collect();
    assert_eq!(docs.len(), 1000);
    let n = docs.len();
    let mut sizes: Vec<usize> = docs.iter().map(|d| compact_len(&d["actual"])).collect();
    sizes.sort_unstable();
    let mut conf: Vec<usize> = docs
        .iter()
        .map(|d| compact_len(&d["configuration"]))
        .collect();
    conf.sort_unstable();
    let modem = docs.iter().filter(|d| modem_rule(&d["actual"][0])).count();
    let wifi = docs
        .iter()
        .filter(|d| masked_wifi_key(&d["actual"][0]))
        .count();
    let over_20k = sizes.iter().filter(|s| **s > 20_000).count();
    let own = docs
        .iter()
        .filter(|d| d["configuration"] != serde_json::json!([{}, []]))
        .count();
    println!(
        "actual: median {} B, p90 {}, p99 {}, max {}; {} over 5 KB, {over_20k} over 20 KB; configuration: median {} B, p90 {}, p99 {}, max {}; \
         {own} with an individual configuration, {modem} with a router-added modem rule, {wifi} with a masked Wi-Fi key",
        sizes[n / 2], sizes[n * 9 / 10], sizes[n * 99 / 100], sizes[n - 1],
        sizes.iter().filter(|s| **s > 5_000).count(),
        conf[n / 2], conf[n * 9 / 10], conf[n * 99 / 100], conf[n - 1]
    );
    for d in &docs {
        let keys: Vec<&String> = d["actual"][0].as_object().unwrap().keys().collect();
        assert!(keys.iter().any(|k| *k != "ecm"), "{}: {keys:?}", d["id"]);
        // What the router runs, readable without NCM: a full tree.
        let e = &d["effective"];
        assert!(
            e["lan"].is_array() && e["system"]["users"].is_array(),
            "{}",
            d["id"]
        );
        assert!(compact_len(e) > 30_000, "{}", d["id"]);
    }
    assert!(
        modem * 2 >= n,
        "{modem} of {n} hold a router-added modem rule"
    );
    assert!(wifi * 10 >= n * 3, "{wifi} of {n} hold a masked Wi-Fi key");
    assert!(
        (10..=100).contains(&over_20k),
        "a few percent exceed 20 KB: {over_20k}"
    );
    assert!(
        sizes[n / 2] < 5_000 && conf[n / 2] < 5_000,
        "most are small"
    );
    assert!(sizes[n - 1] <= 60_000, "{}", sizes[n - 1]);
    // Secrets are never in clear: every secret field reads "*" (or is empty), and none of the
    // keys, password hashes or private keys the simulator holds shows anywhere.
    for (name, text) in &files {
        for clear in ["store-psk-", "$2$", "PRIVATE KEY"] {
            assert!(!text.contains(clear), "{name} holds {clear}");
        }
    }
    for d in &docs {
        let mut leaves = vec![];
        secret_leaves(d, &mut vec![], &mut leaves);
        for (path, v) in leaves {
            assert!(
                v == "*" || v == "",
                "{}: {path} holds a secret in clear",
                d["id"]
            );
        }
    }
    // The same seed, the same files.
    let again = backup(1, &dir.path().join("two"));
    for (name, text) in &files {
        if again.get(name) != Some(text) {
            let (a, b): (Value, Value) = (
                serde_json::from_str(text).unwrap(),
                serde_json::from_str(&again[name]).unwrap(),
            );
            panic!(
                "a second run of seed 1 wrote another {name}: {}",
                fleetscript::diff::between(&a, &b).to_value()
            );
        }
    }
    assert_eq!(files.len(), again.len());
}

#[test]
fn every_default_configuration_served_is_a_full_ncos_tree() {
    let sim = sim(10);
    let rt = runtime_for(&sim);
    let firmwares = rt.ncm().list("firmwares", &serde_json::Map::new()).unwrap();
    assert!(firmwares.len() >= 10);
    for fw in &firmwares {
        let id = fw["id"].as_str().unwrap();
        let url = format!(
            "{}/firmwares/{id}/default_configuration/",
            sim.ncm_base_url()
        );
        let text = reqwest::blocking::Client::new()
            .get(&url)
            .headers(crate::common::sandbox_headers())
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(text.len() > 30_000, "firmware {id}: {} bytes", text.len());
        let d: Value = serde_json::from_str(&text).unwrap();
        for section in ["lan", "wan", "security", "routing"] {
            assert!(d.get(section).is_some(), "firmware {id}: {section}");
        }
        // The client's own way in: the firmware record with the default expanded.
        assert_eq!(rt.ncm().default_config(id).unwrap(), d);
    }
}
