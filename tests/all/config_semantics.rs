//! The spec's configuration examples against the simulator through the client: PUT vs PATCH,
//! group/indie layering, versioned sync and the device-form `actual`, resume sync, masked
//! passwords, validation error bodies, the "strange" `_id_` error, device rejection.

use crate::common::*;
use fleetscript::diff::{self, Diff};
use fleetscript::ncm::defaults::{GUEST_LAN_ID, PRIMARY_LAN_ID};
use fleetscript::sim::ncos::default_config;
use fleetscript::sim::{SimOptions, Simulator};
use serde_json::{json, Map, Value};
use std::time::Duration;

fn q(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// An online router of the given product, and its configuration manager id.
fn online_router(sim: &Simulator, product_id: &str) -> (String, String) {
    online_router_where(sim, product_id, |_| true)
}

/// An online, synched router of the given product whose configuration manager passes `ok`,
/// and its configuration manager id.
fn online_router_where(
    sim: &Simulator,
    product_id: &str,
    ok: impl Fn(&Value) -> bool,
) -> (String, String) {
    let cms = sim.records("configuration_managers");
    let cm_of = |rid: &str| {
        cms.iter()
            .find(|c| {
                c["router"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/routers/{rid}/"))
            })
            .unwrap()
    };
    let r = sim
        .records("routers")
        .into_iter()
        .find(|r| {
            r["state"] == "online"
                && r["config_status"] == "synched"
                && r["product"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/products/{product_id}/"))
                && ok(cm_of(r["id"].as_str().unwrap()))
        })
        .expect("such a router");
    let rid = r["id"].as_str().unwrap().to_string();
    (rid.clone(), cm_of(&rid)["id"].as_str().unwrap().to_string())
}

/// Does this configuration manager's target leave GPS off (so enabling it is a change)?
fn gps_off(cm: &Value) -> bool {
    cm["target"][0]["system"]["gps"]["enabled"] != true
}

fn fast_sim(routers: usize) -> Simulator {
    sim_with(SimOptions {
        routers,
        sync_delay: SYNC_DELAY,
        ..Default::default()
    })
}

/// Long enough that no device syncs by itself during a test: the test moves the simulator's
/// clock instead of sleeping.
const SYNC_DELAY: Duration = Duration::from_secs(60);

fn wait_sync(sim: &Simulator) {
    sim.advance(SYNC_DELAY);
}

#[test]
fn put_replaces_patch_merges_and_the_device_syncs() {
    let sim = fast_sim(100);
    let rt = runtime_for(&sim);
    // Its group does not enable GPS already (the simulated vehicle groups do).
    let (rid, cm) = online_router_where(&sim, "41", gps_off);
    let before = rt
        .ncm()
        .get("configuration_managers", &cm, &Map::new())
        .unwrap();
    let v0 = before["version_number"].as_u64().unwrap();
    // PUT Example: A Simple Config (with ?fields=configuration semantics in the answer).
    let r = rt
        .ncm()
        .update(
            "configuration_managers",
            &cm,
            &json!({"configuration": [{"system": {"gps": {"enabled": true}}}, []]}),
        )
        .unwrap();
    assert_eq!(
        r["configuration"],
        json!([{"system": {"gps": {"enabled": true}}}, []])
    );
    assert_eq!(r["version_number"].as_u64().unwrap(), v0 + 1);
    assert_eq!(r["synched"], false);
    assert_ne!(
        r["pending"],
        json!([{}, []]),
        "pending shows what will be sent"
    );
    // PATCH Example: Set Primary LAN IP Address: merges, GPS stays.
    rt.ncm().patch("configuration_managers", &cm, &json!({"configuration": [{"lan": {PRIMARY_LAN_ID: {"_id_": PRIMARY_LAN_ID, "ip_address": "192.168.30.1"}}}, []]})).unwrap();
    let got = rt
        .ncm()
        .get("configuration_managers", &cm, &Map::new())
        .unwrap();
    assert_eq!(got["configuration"][0]["system"]["gps"]["enabled"], true);
    assert_eq!(
        got["configuration"][0]["lan"][PRIMARY_LAN_ID]["ip_address"],
        "192.168.30.1"
    );
    assert_eq!(got["version_number"].as_u64().unwrap(), v0 + 2);
    // PATCH with nothing new changes nothing, and PATCH cannot remove.
    rt.ncm()
        .patch(
            "configuration_managers",
            &cm,
            &json!({"configuration": [{}, []]}),
        )
        .unwrap();
    // A PATCH with removals is refused before it is sent (NCM would drop them silently).
    let before = sim.counters().writes;
    let e = rt
        .ncm()
        .patch(
            "configuration_managers",
            &cm,
            &json!({"configuration": [{}, [["system", "gps"]]]}),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("PATCH cannot remove; use PUT"),
        "{e}"
    );
    assert_eq!(sim.counters().writes, before);
    let same = rt
        .ncm()
        .get("configuration_managers", &cm, &Map::new())
        .unwrap();
    assert_eq!(same["version_number"], got["version_number"]);
    assert_eq!(same["configuration"], got["configuration"]);
    // The device syncs: actual = target in its own offset-keyed form.
    wait_sync(&sim);
    let synced = rt
        .ncm()
        .get("configuration_managers", &cm, &Map::new())
        .unwrap();
    assert_eq!(synced["synched"], true);
    assert_eq!(synced["pending"], json!([{}, []]));
    let actual = Diff::from_value(&synced["actual"]).unwrap();
    let target = Diff::from_value(&synced["target"]).unwrap();
    assert_eq!(
        actual.updates["lan"],
        json!({"0": {"ip_address": "192.168.30.1"}}),
        "offset-keyed, no _id_"
    );
    assert_eq!(
        actual.updates["ecm"]["config_version"],
        synced["version_number"]
    );
    // Everything the target says holds in what the device runs (the default of the firmware it
    // runs, with its actual over it), which also holds what the device added itself.
    let runs = diff::apply(&device_default(&sim, &rid), &actual).unwrap();
    assert_eq!(diff::apply(&runs, &target).unwrap(), runs);
    assert_ne!(actual, target);
    // PUT replaces: GPS and LAN are gone from the individual config.
    rt.ncm()
        .update(
            "configuration_managers",
            &cm,
            &json!({"configuration": [{"system": {"logging": {"level": "debug"}}}, []]}),
        )
        .unwrap();
    let put = rt
        .ncm()
        .get(
            "configuration_managers",
            &cm,
            &q(json!({"fields": ["configuration"]})),
        )
        .unwrap();
    assert_eq!(
        put,
        json!({"configuration": [{"system": {"logging": {"level": "debug"}}}, []]})
    );
}

#[test]
fn group_and_individual_configs_layer_as_the_walk_through_says() {
    let sim = fast_sim(40);
    let rt = runtime_for(&sim);
    let (rid, cm) = online_router(&sim, "41");
    let gid = fleetscript::ncm::id_of(
        sim.records("routers")
            .iter()
            .find(|r| r["id"] == rid.as_str())
            .unwrap()["group"]
            .as_str()
            .expect("in a group"),
    )
    .unwrap();
    let level = |t: &Value| diff::apply(&json!({}), &Diff::from_value(t).unwrap()).unwrap();
    // Group config {a: {b: 1, c: 2}} in real terms: logging level and how many logs to keep.
    rt.ncm().update("groups", &gid, &json!({"configuration": [{"system": {"logging": {"level": "debug", "max_logs": 500}}}, []]})).unwrap();
    rt.ncm()
        .update(
            "configuration_managers",
            &cm,
            &json!({"configuration": [{}, []]}),
        )
        .unwrap();
    let t = level(
        &rt.ncm()
            .get("configuration_managers", &cm, &Map::new())
            .unwrap()["target"],
    );
    assert_eq!(
        t["system"]["logging"],
        json!({"level": "debug", "max_logs": 500})
    );
    // PATCH {a: {b: 3, d: 4}}: level overridden, gps added, max_logs kept from the group.
    rt.ncm().patch("configuration_managers", &cm, &json!({"configuration": [{"system": {"logging": {"level": "warning"}, "gps": {"enabled": true}}}, []]})).unwrap();
    let t = level(
        &rt.ncm()
            .get("configuration_managers", &cm, &Map::new())
            .unwrap()["target"],
    );
    assert_eq!(
        t["system"]["logging"],
        json!({"level": "warning", "max_logs": 500})
    );
    assert_eq!(t["system"]["gps"]["enabled"], true);
    // Removed from the group: only the individual config remains.
    rt.ncm()
        .update("routers", &rid, &json!({"group": null}))
        .unwrap();
    let t = level(
        &rt.ncm()
            .get("configuration_managers", &cm, &Map::new())
            .unwrap()["target"],
    );
    assert_eq!(t["system"]["logging"], json!({"level": "warning"}));
    // Back in the group with the individual config cleared: the group config.
    rt.ncm()
        .update(
            "routers",
            &rid,
            &json!({"group": format!("https://www.cradlepointecm.com/api/v2/groups/{gid}/")}),
        )
        .unwrap();
    rt.ncm()
        .update(
            "configuration_managers",
            &cm,
            &json!({"configuration": [{}, []]}),
        )
        .unwrap();
    let t = level(
        &rt.ncm()
            .get("configuration_managers", &cm, &Map::new())
            .unwrap()["target"],
    );
    assert_eq!(
        t["system"]["logging"],
        json!({"level": "debug", "max_logs": 500})
    );
    assert!(t["system"].get("gps").is_none());
}

#[test]
fn the_complicated_put_on_an_mbr1400_540() {
    let sim = fast_sim(60);
    let rt = runtime_for(&sim);
    let (rid, cm) = online_router(&sim, "1");
    // Put the router on 5.4.0 (firmware 301 is MBR1400 5.4.0 in the simulated catalog): it
    // runs it (its `actual` is formatted for it) and its configuration targets it.
    let fw540 = firmware_id(&sim, "5.4.0");
    sim.with_store(|s| {
        let r = s.find_mut("routers", &rid).unwrap();
        r["target_firmware"] = json!(s_url("firmwares", &fw540));
        r["actual_firmware"] = json!(s_url("firmwares", &fw540));
    });
    let body = json!({"configuration": [{
        "lan": {"00000001-2a38-3724-a6fa-02dfdfbc129e": {"_id_": "00000001-2a38-3724-a6fa-02dfdfbc129e",
            "devices": [{"type": "ethernet", "uid": "aleph"}], "dhcpcd": {}, "enabled": true,
            "ip_address": "192.168.20.1", "name": "Aleph LAN", "netmask": "255.255.255.0"}},
        "vlan": {"2": {"mode": "lan", "ports": [{"mode": "tagged", "port": 4}], "uid": "aleph", "vid": 3}}},
        [["vlan", 1, "ports", 3], ["lan", GUEST_LAN_ID]]]});
    let r = rt
        .ncm()
        .update("configuration_managers", &cm, &body)
        .unwrap();
    assert!(r["version_number"].as_u64().unwrap() > 0);
    wait_sync(&sim);
    let got = rt
        .ncm()
        .get("configuration_managers", &cm, &Map::new())
        .unwrap();
    assert_eq!(got["synched"], true);
    let full = diff::apply(
        &default_config("MBR1400", "5.4.0"),
        &Diff::from_value(&got["actual"]).unwrap(),
    )
    .unwrap();
    assert_eq!(full["vlan"][1]["ports"].as_array().unwrap().len(), 3);
    assert_eq!(
        full["lan"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["Primary LAN", "Aleph LAN"]
    );
    // The device's offset form says what the _id_-keyed target says (and what the device
    // added itself: its users' password hashes): the target's updates change nothing in it.
    let (a, t) = (
        Diff::from_value(&got["actual"]).unwrap(),
        Diff::from_value(&got["target"]).unwrap(),
    );
    let updates = Diff {
        removals: vec![],
        ..t.clone()
    };
    assert_eq!(diff::apply(&full, &updates).unwrap(), full);
    assert_ne!(a, t, "the device's additions are in its actual only");
    assert!(
        a.updates["lan"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| k.parse::<usize>().is_ok()),
        "offset keys: {}",
        got["actual"]
    );
}

/// The default configuration of the firmware router `rid` runs (its `actual` is a diff from it).
fn device_default(sim: &Simulator, rid: &str) -> std::sync::Arc<Value> {
    let r = sim
        .records("routers")
        .into_iter()
        .find(|r| r["id"] == rid)
        .unwrap();
    let fw = fleetscript::ncm::id_of(r["actual_firmware"].as_str().unwrap()).unwrap();
    let version = sim
        .records("firmwares")
        .into_iter()
        .find(|f| f["id"] == fw.as_str())
        .unwrap()["version"]
        .as_str()
        .unwrap()
        .to_string();
    default_config("IBR900", &version)
}

fn s_url(ep: &str, id: &str) -> String {
    format!("https://www.cradlepointecm.com/api/v2/{ep}/{id}/")
}

#[test]
fn validation_error_bodies_match_the_spec() {
    let sim = fast_sim(40);
    let rt = runtime_for(&sim);
    let (_, cm) = online_router(&sim, "41");
    let e = api_err(rt.ncm().update(
        "configuration_managers",
        &cm,
        &json!({"configuration": [{"foo": "bar"}, []]}),
    ));
    assert_eq!(e.status, 409);
    assert_eq!(
        e.body,
        json!({"errors": [{"configuration": {"message": "cannot set foo to bar: invalid path",
        "reason": "invalid path", "value": "bar", "path": ["foo"]}}], "exception": {"message": "bad or missing data", "type": "validation"}})
    );
    assert_eq!(e.errors[0].path, vec![json!("foo")]);
    // PATCH answers 400 for an invalid config; types are checked.
    let e = api_err(rt.ncm().patch(
        "configuration_managers",
        &cm,
        &json!({"configuration": [{"system": {"gps": {"enabled": "yes"}}}, []]}),
    ));
    assert_eq!(
        (e.status, e.errors[0].reason.as_str()),
        (400, "not a boolean")
    );
    let e = api_err(rt.ncm().patch(
        "configuration_managers",
        &cm,
        &json!({"configuration": [{"lan": {"0": {"netmask": "255.0.255.0"}}}, []]}),
    ));
    assert_eq!(e.errors[0].reason, "invalid subnet mask");
    // Removing what does not exist is an invalid path too.
    let e = api_err(rt.ncm().update(
        "configuration_managers",
        &cm,
        &json!({"configuration": [{}, [["lan", 7]]]}),
    ));
    assert_eq!(
        (e.status, e.errors[0].reason.as_str()),
        (409, "invalid path")
    );
    // The "strange validation error": an _id_ key without the _id_ field.
    let e = api_err(rt.ncm().patch(
        "configuration_managers",
        &cm,
        &json!({"configuration": [{"lan": {PRIMARY_LAN_ID: {"ip_address": "192.168.30.1"}}}, []]}),
    ));
    assert_eq!(e.status, 400);
    assert_eq!(
        e.body["exception"]["message"],
        format!("invalid literal for int() with base 10: '{PRIMARY_LAN_ID}'")
    );
    assert!(e.body["errors"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/configuration_managers/{cm}/")));
    // Only configuration and suspended are writable: the client refuses the others before
    // sending ("If you include any other field in your PUT request payload you will get a 409
    // Conflict", which the simulator answers to a request that gets past it: tests/spec_fidelity).
    let e = rt
        .ncm()
        .update("configuration_managers", &cm, &json!({"synched": true}))
        .unwrap_err();
    assert!(e.to_string().contains("synched is not writable"), "{e}");
    assert_eq!(sim.counters().redirects, 0);
}

#[test]
fn passwords_read_back_masked_and_strip_masked_keeps_them() {
    let sim = fast_sim(40);
    let rt = runtime_for(&sim);
    let (_, cm) = online_router(&sim, "41");
    rt.ncm().patch("configuration_managers", &cm, &json!({"configuration": [{"wlan": {"radio": {"0": {"bss": {"0": {"radius0nasid": null, "wpapsk": "2secret4Usorry"}}}}}}, []]})).unwrap();
    let read = rt
        .ncm()
        .get(
            "configuration_managers",
            &cm,
            &q(json!({"fields": "configuration"})),
        )
        .unwrap();
    assert_eq!(
        read["configuration"][0]["wlan"]["radio"]["0"]["bss"]["0"]["wpapsk"],
        "*"
    );
    let stored = || {
        sim.records("configuration_managers")
            .into_iter()
            .find(|c| c["id"] == cm.as_str())
            .unwrap()["configuration"][0]["wlan"]["radio"]["0"]["bss"]["0"]["wpapsk"]
            .clone()
    };
    assert_eq!(stored(), "2secret4Usorry", "kept in clear inside NCM");
    // Re-uploading what was read with strip_masked keeps the real password...
    let mut d = diff::strip_masked(&Diff::from_value(&read["configuration"]).unwrap());
    d = diff::set(
        &d,
        &diff::parse_path(&json!("system.logging.level")),
        json!("debug"),
    )
    .unwrap();
    rt.ncm()
        .patch(
            "configuration_managers",
            &cm,
            &json!({"configuration": d.to_value()}),
        )
        .unwrap();
    assert_eq!(stored(), "2secret4Usorry");
    // ...while writing the read-back value as is overwrites it with "*".
    rt.ncm()
        .patch(
            "configuration_managers",
            &cm,
            &json!({"configuration": read["configuration"]}),
        )
        .unwrap();
    assert_eq!(stored(), "*");
}

#[test]
fn resume_sync_only_resumes_online_devices_and_rejections_suspend() {
    let sim = Simulator::start(SimOptions {
        routers: 100,
        sync_delay: SYNC_DELAY,
        ..Default::default()
    })
    .unwrap();
    let rt = runtime_for(&sim);
    let suspended = |online: bool| {
        sim.records("routers")
            .into_iter()
            .find(|r| r["config_status"] == "suspended" && (r["state"] == "online") == online)
            .map(|r| r["id"].as_str().unwrap().to_string())
    };
    let cm_of = |rid: &str| {
        rt.ncm()
            .list("configuration_managers", &q(json!({"router": rid})))
            .unwrap()[0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    if let Some(rid) = suspended(true) {
        let cm = cm_of(&rid);
        let r = rt
            .ncm()
            .update("configuration_managers", &cm, &json!({"suspended": false}))
            .unwrap();
        assert_eq!(r["suspended"], false);
        wait_sync(&sim);
        assert_eq!(
            rt.ncm()
                .get("configuration_managers", &cm, &Map::new())
                .unwrap()["synched"],
            true
        );
        assert_eq!(
            rt.ncm().get("routers", &rid, &Map::new()).unwrap()["config_status"],
            "synched"
        );
    } else {
        panic!("the seeded fleet has an online suspended router");
    }
    if let Some(rid) = suspended(false) {
        let cm = cm_of(&rid);
        let r = rt
            .ncm()
            .update("configuration_managers", &cm, &json!({"suspended": false}))
            .unwrap();
        assert_eq!(r["suspended"], true, "an offline device stays suspended");
    }
    // A device that rejects its config suspends sync and raises config_rejected.
    let (rid, cm) = online_router_where(&sim, "41", gps_off);
    sim.with_store(|s| s.rejecting.insert(rid.clone()));
    rt.ncm()
        .patch(
            "configuration_managers",
            &cm,
            &json!({"configuration": [{"system": {"gps": {"enabled": true}}}, []]}),
        )
        .unwrap();
    wait_sync(&sim);
    let got = rt
        .ncm()
        .get("configuration_managers", &cm, &Map::new())
        .unwrap();
    assert_eq!(
        (got["suspended"].clone(), got["synched"].clone()),
        (json!(true), json!(false))
    );
    let alerts = rt
        .ncm()
        .list(
            "alerts",
            &q(json!({"router": rid, "type": "config_rejected"})),
        )
        .unwrap();
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0]["info"]["reason"]
        .as_str()
        .unwrap()
        .contains("rejected"));
}
