//! The simulator enforces what NCM enforces (auth, trailing slashes, filters, `__in` caps,
//! datetimes, page caps, methods), scales to 10,000 routers, is deterministic, and works with
//! the official Python `ncm` client unchanged.

use crate::common::*;
use fleetscript::sim::{sandbox_credentials, SimOptions, Simulator};
use serde_json::{json, Value};

fn get(
    sim: &Simulator,
    path_and_query: &str,
    auth: bool,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut rb = client.get(format!("{}{}", sim.base_url(), path_and_query));
    if auth {
        rb = rb.headers(crate::common::sandbox_headers());
    }
    let r = rb.send().unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = fleetscript::http::parse_body(&r.text().unwrap());
    (status, headers, body)
}

fn send(sim: &Simulator, method: reqwest::Method, path: &str, body: &str) -> (u16, Value) {
    let r = reqwest::blocking::Client::new()
        .request(method, format!("{}{}", sim.base_url(), path))
        .headers(crate::common::sandbox_headers())
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    (
        r.status().as_u16(),
        fleetscript::http::parse_body(&r.text().unwrap()),
    )
}

#[test]
fn enforces_auth_slashes_filters_and_methods() {
    let sim = sim(20);
    assert_eq!(get(&sim, "/api/v2/routers/", false).0, 401);
    let (s, h, _) = get(&sim, "/api/v2/routers?state=online", true);
    assert_eq!(s, 301);
    assert!(h["location"]
        .to_str()
        .unwrap()
        .ends_with("/api/v2/routers/?state=online"));
    assert_eq!(
        sim.counters().redirects,
        1,
        "the redirect is counted as an extra call"
    );
    let (s, _, b) = get(&sim, "/api/v2/routers/?colour=red", true);
    assert_eq!(s, 400);
    assert!(b.to_string().contains("unknown filter 'colour'"), "{b}");
    let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    assert_eq!(
        get(
            &sim,
            &format!("/api/v2/routers/?id__in={}", many.join(",")),
            true
        )
        .0,
        400
    );
    assert_eq!(
        get(
            &sim,
            &format!("/api/v2/alerts/?router__in={}", many.join(",")),
            true
        )
        .0,
        200,
        "alerts has no cap"
    );
    let (s, _, b) = get(
        &sim,
        "/api/v2/device_failover_events/?started_at__gt=2019-08-12",
        true,
    );
    assert_eq!(s, 400);
    assert!(b.to_string().contains("time portion"), "{b}");
    assert_eq!(
        get(
            &sim,
            "/api/v2/device_failover_events/?started_at__gt=2019-08-12T09:29:34",
            true
        )
        .0,
        200
    );
    assert_eq!(
        get(&sim, "/api/v2/historical_locations/", true).0,
        400,
        "router filter required"
    );
    assert_eq!(
        send(&sim, reqwest::Method::DELETE, "/api/v2/products/1/", "").0,
        405
    );
    assert_eq!(
        send(
            &sim,
            reqwest::Method::PUT,
            "/api/v2/configuration_managers/",
            "{}"
        )
        .0,
        405,
        "PUT without an id"
    );
    assert_eq!(
        send(
            &sim,
            reqwest::Method::PATCH,
            "/api/v2/configuration_managers/",
            "{}"
        )
        .0,
        405
    );
    let (s, b) = send(
        &sim,
        reqwest::Method::PUT,
        "/api/v2/configuration_managers/500007/",
        r#"{"configuration": [{"system": {"gps": {"enabled": true}}}, []]}"#,
    );
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["configuration"][0]["system"]["gps"]["enabled"], true);
    assert_eq!(get(&sim, "/api/v2/routers/424242/", true).0, 404);
}

#[test]
fn pages_are_capped_with_absolute_links_on_the_simulators_host() {
    let sim = sim(1200);
    let (s, _, b) = get(&sim, "/api/v2/routers/?limit=1000000", true);
    assert_eq!(s, 200);
    assert_eq!(b["data"].as_array().unwrap().len(), 500);
    assert_eq!(b["meta"]["limit"], 500);
    let next = b["meta"]["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/api/v2/routers/?", sim.base_url())),
        "{next}"
    );
    assert!(next.contains("offset=500"), "{next}");
    assert!(
        b["data"][0]["resource_url"]
            .as_str()
            .unwrap()
            .starts_with(&sim.base_url()),
        "record URLs point at the simulator"
    );
    let (_, _, b2) = get(&sim, &next[sim.base_url().len()..], true);
    assert!(b2["meta"]["previous"]
        .as_str()
        .unwrap()
        .contains("offset=0"));
    // Default page size is 20.
    let (_, _, b) = get(&sim, "/api/v2/routers/", true);
    assert_eq!(b["data"].as_array().unwrap().len(), 20);
}

#[test]
fn deterministic_by_seed() {
    let a = Simulator::start(SimOptions {
        routers: 30,
        seed: 7,
        ..Default::default()
    })
    .unwrap();
    let b = Simulator::start(SimOptions {
        routers: 30,
        seed: 7,
        ..Default::default()
    })
    .unwrap();
    let c = Simulator::start(SimOptions {
        routers: 30,
        seed: 8,
        ..Default::default()
    })
    .unwrap();
    let key = |s: &Simulator| {
        s.records("routers")
            .iter()
            .map(|r| format!("{}{}{}", r["name"], r["state"], r["group"]))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&b));
    assert_ne!(key(&a), key(&c));
}

#[test]
fn scales_to_ten_thousand_routers() {
    let started = std::time::Instant::now();
    let sim = sim(10_000);
    let gen = started.elapsed();
    let mut rt = runtime_for(&sim);
    let n = eval(&mut rt, "ncm::routers::list().len()")
        .as_int()
        .unwrap();
    assert_eq!(n, 10_000);
    // 20 pages, plus at most page_concurrency - 1 asked for ahead past the end.
    let pages = sim.counters().route("GET", "routers");
    assert!(
        (20..=23).contains(&pages),
        "10,000 routers at 500 per page: {pages}"
    );
    assert_eq!(sim.records("net_devices").len(), 30_000);
    eprintln!("generated 10,000 routers in {gen:?}");
}

/// Needs python3 with the `ncm` package: off in a plain `cargo test` (listed as ignored), on
/// with `--features python-compat`, where a missing Python or package is a failure.
#[test]
#[cfg_attr(
    not(feature = "python-compat"),
    ignore = "needs python3 and `pip install ncm`: cargo test --features python-compat"
)]
fn the_official_python_client_works_unchanged() {
    let has_ncm = std::process::Command::new("python3")
        .args(["-c", "import ncm"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        has_ncm,
        "python3 with the ncm package is missing: pip install ncm (or leave out --features python-compat)"
    );
    let sim = sim(600);
    let k = sandbox_credentials();
    let py = format!(
        r#"
import json, ncm
c = ncm.NcmClientv2(api_keys={{"X-CP-API-ID": "{}", "X-CP-API-KEY": "{}", "X-ECM-API-ID": "{}", "X-ECM-API-KEY": "{}"}},
                    base_url="{}", log_events=False)
routers = c.get_routers(limit="all")
online = c.get_routers(state="online", limit="all")
some = c.get_routers(id__in=[r["id"] for r in routers[:150]], limit="all")
cm = c.get_configuration_manager_id(routers[0]["id"])
c.put_configuration_managers(routers[0]["id"], {{"configuration": [{{"system": {{"gps": {{"enabled": True}}}}}}, []]}})
c.patch_configuration_managers(routers[0]["id"], {{"configuration": [{{"system": {{"logging": {{"level": "debug"}}}}}}, []]}})
got = c.get_configuration_managers(id=cm)[0]["configuration"]
print(json.dumps({{"routers": len(routers), "online": len(online), "some": len(some), "cm": cm, "config": got}}))
"#,
        k.cp_api_id,
        k.cp_api_key,
        k.ecm_api_id,
        k.ecm_api_key,
        sim.ncm_base_url()
    );
    let o = std::process::Command::new("python3")
        .args(["-c", &py])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let out: Value =
        serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(out["routers"], 600);
    let online = sim
        .records("routers")
        .iter()
        .filter(|r| r["state"] == "online")
        .count();
    assert_eq!(out["online"], online);
    assert_eq!(out["some"], 150);
    assert_eq!(out["config"][0]["system"]["gps"]["enabled"], true);
    assert_eq!(out["config"][0]["system"]["logging"]["level"], "debug");
    assert_eq!(sim.counters().redirects, 0);
}

/// A group's firmware change is played: each of its online routers sets `upgrade_pending`,
/// downloads (one sync delay), goes offline while it installs, and comes back on the new
/// firmware with a `firmware_upgrade` alert (the spec's info: state, success, error), its
/// individual `wan.rules` moved to `wan.rules2` when it crosses 6.0. Driven by the simulator's
/// clock, not by waiting.
fn upgrade_sim(break_firmware: Option<&str>, brick_firmware: Option<&str>) -> Simulator {
    Simulator::start(SimOptions {
        routers: 40,
        sync_delay: std::time::Duration::from_secs(5),
        upgrade_time: std::time::Duration::from_secs(60),
        break_firmware: break_firmware.map(str::to_string),
        brick_firmware: brick_firmware.map(str::to_string),
        ..Default::default()
    })
    .unwrap()
}

/// Group 2001's routers (3, online, on their group's firmware), the group's product's firmware
/// below 6.0 they are moved onto first, and one at 6.0 or above.
fn upgrade_setup(sim: &Simulator) -> (Vec<String>, Value, Value) {
    let ids = group_of(sim, 3);
    let group = sim
        .records("groups")
        .into_iter()
        .find(|g| g["id"] == "2001")
        .unwrap();
    let firmwares: Vec<Value> = sim
        .records("firmwares")
        .into_iter()
        .filter(|f| f["product"] == group["product"])
        .collect();
    let major = |f: &Value| -> u32 {
        f["version"]
            .as_str()
            .unwrap()
            .split('.')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let old = firmwares
        .iter()
        .find(|f| major(f) < 6)
        .expect("a 5.x firmware")
        .clone();
    let new = firmwares
        .iter()
        .find(|f| major(f) >= 6)
        .expect("a 6.x+ firmware")
        .clone();
    // The routers run the old firmware, which their group targets.
    sim.with_store(|s| {
        let url = s.url("firmwares", old["id"].as_str().unwrap());
        s.find_mut("groups", "2001").unwrap()["target_firmware"] = json!(url);
        for id in &ids {
            let r = s.find_mut("routers", id).unwrap();
            r["actual_firmware"] = json!(url);
            r["target_firmware"] = json!(url);
            r["upgrade_pending"] = json!(false);
        }
    });
    (ids, old, new)
}

fn firmware_url(fw: &Value) -> String {
    let id = fw["id"].as_str().unwrap();
    format!("https://www.cradlepointecm.com/api/v2/firmwares/{id}/")
}

/// PATCHes group 2001's `target_firmware`, as an operator moves a group to other firmware.
fn retarget_group(sim: &Simulator, firmware_url: &str) {
    let body = json!({ "target_firmware": firmware_url }).to_string();
    let (status, g) = send(sim, reqwest::Method::PATCH, "/api/v2/groups/2001/", &body);
    assert_eq!(status, 202, "{g}");
}

/// The firmware id a router field links to.
fn fw(v: &Value) -> String {
    fleetscript::ncm::id_of(v.as_str().unwrap_or_default()).unwrap_or_default()
}

fn router(sim: &Simulator, id: &str) -> Value {
    let (status, _, r) = get(sim, &format!("/api/v2/routers/{id}/"), true);
    assert_eq!(status, 200);
    r
}

fn upgrade_alerts(sim: &Simulator) -> Vec<Value> {
    let (status, _, page) = get(sim, "/api/v2/alerts/?type=firmware_upgrade&limit=500", true);
    assert_eq!(status, 200, "{page}");
    page["data"].as_array().unwrap().clone()
}

#[test]
fn a_group_firmware_change_is_played_pending_offline_back_on_the_new_firmware_with_an_alert() {
    let sim = upgrade_sim(None, None);
    let (ids, _old, new) = upgrade_setup(&sim);
    // One router carries an APN on the legacy LTE rule.
    let lte = fleetscript::ncm::defaults::RULES_LTE_ID;
    let cm = cm_of_router(&sim, &ids[0]);
    let cm_id = cm["id"].as_str().unwrap().to_string();
    sim.with_store(|s| {
        s.find_mut("configuration_managers", &cm_id).unwrap()["configuration"] = json!([
            {"wan": {"rules": {lte: {"_id_": lte, "trigger_field": "type", "modem": {"manual_apn": "iot.example"}}}}}, []
        ]);
    });
    let new_url = firmware_url(&new);
    retarget_group(&sim, &new_url);
    for id in &ids {
        let r = router(&sim, id);
        assert_eq!(r["upgrade_pending"], true, "{r}");
        assert_eq!(fw(&r["target_firmware"]), fw(&json!(new_url)));
        assert_eq!(r["state"], "online", "still downloading: {r}");
    }
    sim.advance(std::time::Duration::from_secs(5));
    for id in &ids {
        assert_eq!(router(&sim, id)["state"], "offline", "installing");
    }
    assert!(upgrade_alerts(&sim).is_empty());
    sim.advance(std::time::Duration::from_secs(60));
    for id in &ids {
        let r = router(&sim, id);
        assert_eq!(r["state"], "online", "{r}");
        assert_eq!(fw(&r["actual_firmware"]), fw(&json!(new_url)));
        assert_eq!(r["upgrade_pending"], false);
    }
    let alerts = upgrade_alerts(&sim);
    assert_eq!(alerts.len(), ids.len(), "{alerts:?}");
    for a in &alerts {
        let info = &a["info"];
        assert_eq!(info["state"], "complete");
        assert_eq!(info["success"], true);
        assert_eq!(info["target_firmware"]["version"], new["version"]);
        assert!(info["error"].is_null(), "{info}");
    }
    // Firmware 6.0 and later keep the rule in `wan.rules2`, under its rules2 id.
    let cm = cm_of_router(&sim, &ids[0]);
    let wan = &cm["configuration"][0]["wan"];
    let lte2 = fleetscript::ncm::defaults::RULES2_LTE_ID;
    assert!(wan.get("rules").is_none(), "{wan}");
    assert_eq!(
        wan["rules2"][lte2]["modem"]["manual_apn"], "iot.example",
        "{wan}"
    );
    assert_eq!(wan["rules2"][lte2]["_id_"], lte2);
    assert!(wan["rules2"][lte2].get("trigger_field").is_none());
    assert_eq!(wan["rules_migrated_to_rules2"], true);
    // Back online, the router reported what it runs: `actual` is in the new firmware's form
    // (the rule under `rules2`), and the configuration is synched.
    let actual = &cm["actual"][0]["wan"];
    assert!(actual.get("rules").is_none(), "{actual}");
    assert!(actual["rules2"].is_object(), "{actual}");
    assert_eq!(cm["synched"], true, "{cm}");
}

#[test]
fn a_broken_firmware_fails_its_install_and_a_bricking_one_leaves_the_router_offline() {
    for (broken, bricked) in [(true, false), (false, true)] {
        let probe = upgrade_sim(None, None);
        let (_, _, new) = upgrade_setup(&probe);
        let version = new["version"].as_str().unwrap().to_string();
        drop(probe);
        let sim = if broken {
            upgrade_sim(Some(&version), None)
        } else {
            upgrade_sim(None, Some(&version))
        };
        let (ids, old, new) = upgrade_setup(&sim);
        let old_url = firmware_url(&old);
        let new_url = firmware_url(&new);
        // The group moves to the version that fails.
        retarget_group(&sim, &new_url);
        sim.advance(std::time::Duration::from_secs(5));
        sim.advance(std::time::Duration::from_secs(60));
        let _ = upgrade_alerts(&sim);
        for id in &ids {
            let r = router(&sim, id);
            assert_eq!(fw(&r["actual_firmware"]), fw(&json!(old_url)), "{r}");
            assert_eq!(
                r["state"],
                if bricked { "offline" } else { "online" },
                "{r}"
            );
        }
        let alerts = upgrade_alerts(&sim);
        if bricked {
            assert!(
                alerts.is_empty(),
                "a bricked router reports nothing: {alerts:?}"
            );
            continue;
        }
        assert_eq!(alerts.len(), ids.len(), "{alerts:?}");
        for a in &alerts {
            assert_eq!(a["info"]["success"], false);
            assert_eq!(a["info"]["error"], "install_timeout");
            assert_eq!(a["info"]["target_firmware"]["version"], version.as_str());
        }
        // Not tried again: later reads raise no second alert.
        sim.advance(std::time::Duration::from_secs(120));
        assert_eq!(upgrade_alerts(&sim).len(), ids.len());
    }
}

#[test]
fn a_router_moved_into_a_group_on_other_firmware_upgrades() {
    let sim = upgrade_sim(None, None);
    let (ids, _old, new) = upgrade_setup(&sim);
    let new_url = firmware_url(&new);
    // Group 2001 now on the new firmware for its members... but first, one router leaves it.
    let (status, _) = send(
        &sim,
        reqwest::Method::PUT,
        &format!("/api/v2/routers/{}/", ids[0]),
        r#"{"group": null}"#,
    );
    assert_eq!(status, 202);
    assert!(router(&sim, &ids[0])["target_firmware"].is_null());
    retarget_group(&sim, &new_url);
    assert_eq!(
        router(&sim, &ids[0])["upgrade_pending"],
        false,
        "not in the group"
    );
    let group_url = "https://www.cradlepointecm.com/api/v2/groups/2001/";
    let (status, _) = send(
        &sim,
        reqwest::Method::PUT,
        &format!("/api/v2/routers/{}/", ids[0]),
        &json!({"group": group_url}).to_string(),
    );
    assert_eq!(status, 202);
    let r = router(&sim, &ids[0]);
    assert_eq!(r["upgrade_pending"], true, "{r}");
    sim.advance(std::time::Duration::from_secs(5));
    sim.advance(std::time::Duration::from_secs(60));
    let _ = upgrade_alerts(&sim);
    assert_eq!(
        fw(&router(&sim, &ids[0])["actual_firmware"]),
        fw(&json!(new_url))
    );
}
