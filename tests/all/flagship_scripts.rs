//! The flagship configuration scripts against the simulator: nightly backup (content, request
//! count, atomicity), APN roll-out to a 300-router group with injected 503s and a device that
//! rejects the config (report, journal re-run), golden config, drift report.

use crate::common::*;
use fleetscript::diff::Diff;
use fleetscript::sim::{Fault, SimOptions, Simulator};
use fleetscript::Runtime;
use serde_json::{json, Value};
use std::time::Duration;

fn masked(v: &Value) -> Value {
    let mut v = v.clone();
    fleetscript::sim::config_sync::mask_passwords(&mut v);
    v
}

#[test]
fn nightly_backup_of_1000_routers_writes_what_the_api_returned() {
    let sim = sim(1000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("backups");
    let mut rt = script_runtime(&sim, dir.path(), &[("dir", out.to_str().unwrap())]);
    let _ = rt
        .run_source("nightly_backup.rhai", &script("nightly_backup.rhai"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let c = sim.counters();
    // ceil(1000 / 500) pages of configuration managers and of routers, plus products, firmwares
    // and groups. The configuration managers' count is known from the routers (one each): not
    // one page past the end. The routers' is not: a page past the end at most (a tenth of the
    // 2 pages, rounded up).
    assert_eq!(c.route("GET", "configuration_managers"), 2);
    assert!(
        (2..=3).contains(&c.route("GET", "routers")),
        "{:?}",
        c.routes
    );
    for one in ["products", "firmwares", "groups"] {
        assert_eq!(c.route("GET", one), 1, "{one}");
    }
    let ncm: u64 = c
        .routes
        .iter()
        .filter(|(k, _)| !k.contains(" ignitenet/"))
        .map(|(_, n)| n)
        .sum();
    assert!(ncm <= 2 + 3 + 3, "{ncm} NCM requests");
    // IgniteNet has no bulk read: one request per site and per device.
    assert!(c.total > ncm);
    let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let day_dir = out.join(&day);
    let files: Vec<_> = std::fs::read_dir(&day_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.iter().filter(|f| f.ends_with(".json")).count(), 1000);
    assert!(files.contains(&"index.csv".to_string()));
    let cms = sim.records("configuration_managers");
    assert_eq!(cms.len(), 1000);
    let mut index = csv::Reader::from_path(day_dir.join("index.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = index.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1000);
    use sha2::Digest;
    for cm in &cms {
        let rid = fleetscript::ncm::id_of(cm["router"].as_str().unwrap()).unwrap();
        let text = std::fs::read_to_string(day_dir.join(format!("{rid}.json"))).unwrap();
        let file: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(file["actual"], masked(&cm["actual"]), "router {rid}");
        assert_eq!(file["target"], masked(&cm["target"]));
        assert_eq!(file["configuration"], masked(&cm["configuration"]));
        let row = rows.iter().find(|r| &r[0] == rid.as_str()).unwrap();
        let sha: String = sha2::Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(&row[9], sha.as_str());
        assert_eq!(&row[5], cm["id"].as_str().unwrap());
        assert!(
            !row[1].is_empty() && !row[3].is_empty() && !row[4].is_empty(),
            "name, product, firmware: {row:?}"
        );
    }
    // A failed run leaves no partial file and keeps the earlier good backup of the day.
    let before = std::fs::read_to_string(day_dir.join("index.csv")).unwrap();
    // Every answer from the second request on fails (retries included), whichever page it is.
    sim.reset_counters();
    sim.inject(Fault::new("GET", "configuration_managers", 2, 500).times(20));
    let err = rt
        .run_source("nightly_backup.rhai", &script("nightly_backup.rhai"))
        .unwrap_err();
    assert_eq!(err.exit_code(), 1, "{}", err.render());
    assert_eq!(
        std::fs::read_to_string(day_dir.join("index.csv")).unwrap(),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != ".fleetscript.lock")
        .collect();
    assert_eq!(
        leftovers,
        vec![day.clone()],
        "no staging directory left behind"
    );
}

fn rollout_sim() -> (Simulator, String, Vec<String>) {
    let sim = Simulator::start(SimOptions {
        routers: 400,
        sync_delay: Duration::from_millis(50),
        ..Default::default()
    })
    .unwrap();
    // Group 2001 gets 300 online routers of mixed firmware (5.x, 6.x, 7.x).
    let ids = group_of(&sim, 300);
    let rejecting = ids[137].clone();
    sim.with_store(|s| s.rejecting.insert(rejecting.clone()));
    (sim, rejecting, ids)
}

#[test]
fn apn_rollout_to_300_routers_with_failures_and_a_resumable_journal() {
    let (sim, rejecting, ids) = rollout_sim();
    // Some 503s on the way: retried by the transport, invisible in the result.
    for n in [3, 41, 42, 150, 299] {
        sim.inject(Fault::new("PATCH", "configuration_managers", n, 503));
    }
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("apn.journal");
    let report = dir.path().join("report.csv");
    let args = [
        ("group", "2001"),
        ("apn", "iot.example"),
        ("journal", journal.to_str().unwrap()),
        ("report", report.to_str().unwrap()),
        ("poll", "0.1"),
        ("verify_timeout", "30"),
        ("rate", "500"),
        ("soak", "0"),
        // One failure tolerated (the default, 0, halts at the first and rolls back).
        ("max_failures", "1"),
    ];
    let mut rt = script_runtime(&sim, dir.path(), &args);
    let err = rt
        .run_source("apn_rollout.rhai", &script("apn_rollout.rhai"))
        .unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert!(
        err.render().contains("1 router(s) failed"),
        "{}",
        err.render()
    );
    // Every other router now targets the APN, in the rule its firmware uses.
    let cms = sim.records("configuration_managers");
    let routers = sim.records("routers");
    let firmwares = sim.records("firmwares");
    for id in &ids {
        let cm = cms
            .iter()
            .find(|c| {
                c["router"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/routers/{id}/"))
            })
            .unwrap();
        let r = routers.iter().find(|r| r["id"] == id.as_str()).unwrap();
        let fw = fleetscript::ncm::id_of(r["target_firmware"].as_str().unwrap()).unwrap();
        let version = firmwares.iter().find(|f| f["id"] == fw.as_str()).unwrap()["version"]
            .as_str()
            .unwrap()
            .to_string();
        let d = Diff::from_value(&cm["target"]).unwrap();
        let (rules, rid) = if fleetscript::ncm::defaults::uses_rules2(&version) {
            ("rules2", fleetscript::ncm::defaults::RULES2_LTE_ID)
        } else {
            ("rules", fleetscript::ncm::defaults::RULES_LTE_ID)
        };
        assert_eq!(
            d.updates["wan"][rules][rid]["modem"]["manual_apn"], "iot.example",
            "router {id} on {version}"
        );
        if *id != rejecting {
            assert_eq!(cm["synched"], true, "router {id} synced");
        } else {
            assert_eq!(cm["suspended"], true);
        }
    }
    let mut rd = csv::Reader::from_path(&report).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 300);
    let failed: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[2] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(&failed[0][0], rejecting.as_str());
    assert!(
        failed[0][6].contains("rejected"),
        "reason names the rejection: {:?}",
        failed[0]
    );
    assert_eq!(rows.iter().filter(|r| &r[2] == "ok").count(), 299);
    let retries = rt.ncm().transport().stats.retries();
    assert!(retries >= 5, "the injected 503s were retried ({retries})");
    // The re-run with the journal writes nothing: the failed router already carries the APN (a
    // second write would not unsuspend it), so it is verified again, and still fails.
    sim.reset_counters();
    let mut rt = script_runtime(&sim, dir.path(), &args);
    let _ = rt.run_source("apn_rollout.rhai", &script("apn_rollout.rhai"));
    assert_eq!(sim.counters().writes, 0);
    let mut rd = csv::Reader::from_path(&report).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.iter().filter(|r| &r[2] == "skipped").count(), 299);
    // Once the device accepts configs again, a third run finishes the job.
    sim.with_store(|s| s.rejecting.clear());
    let cm = rt.ncm().config_manager_id(&rejecting).unwrap();
    rt.ncm()
        .update("configuration_managers", &cm, &json!({"suspended": false}))
        .unwrap();
    let mut rt = script_runtime(&sim, dir.path(), &args);
    let _ = rt
        .run_source("apn_rollout.rhai", &script("apn_rollout.rhai"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
}

#[test]
fn apn_rollout_dry_run_sends_nothing_and_writes_no_journal() {
    let (sim, _, _) = rollout_sim();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("apn.journal");
    let mut c = config_for(&sim);
    c.http.dry_run = true;
    c.write_dirs = vec![dir.path().to_path_buf()];
    for (k, v) in [
        ("group", "2001"),
        ("apn", "iot.example"),
        ("journal", journal.to_str().unwrap()),
        ("report", dir.path().join("r.csv").to_str().unwrap()),
        ("rate", "0"),
    ] {
        c.args.insert(k.into(), v.into());
    }
    let mut rt = Runtime::new(c).unwrap();
    let _ = rt
        .run_source("apn_rollout.rhai", &script("apn_rollout.rhai"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(sim.counters().writes, 0);
    assert_eq!(rt.ncm().transport().stats.dry_run_writes(), 300);
    assert!(!journal.exists());
    // A bad APN is refused before any request.
    sim.reset_counters();
    let mut c = config_for(&sim);
    c.args.insert("group".into(), "2001".into());
    c.args.insert("apn".into(), "bad apn".into());
    let mut rt = Runtime::new(c).unwrap();
    let e = rt
        .run_source("apn_rollout.rhai", &script("apn_rollout.rhai"))
        .unwrap_err();
    assert!(
        e.render().contains("APN \"bad apn\" is not valid"),
        "{}",
        e.render()
    );
    assert_eq!(sim.counters().total, 0);
}

#[test]
fn golden_config_never_loses_a_target_groups_own_wifi_key() {
    let sim = Simulator::start(SimOptions {
        routers: 80,
        ..Default::default()
    })
    .unwrap();
    let key_path = ["wlan", "radio", "0", "bss", "0", "wpapsk"];
    let stored_key = |sim: &Simulator| {
        let g = sim
            .records("groups")
            .into_iter()
            .find(|g| g["id"] == "2002")
            .unwrap();
        key_path
            .iter()
            .fold(&g["configuration"][0], |v, k| &v[*k])
            .clone()
    };
    // Group 2002 holds its own Wi-Fi key (read back as "*").
    sim.with_store(|s| {
        let g = s.find_mut("groups", "2002").unwrap();
        g["configuration"][0]["wlan"] =
            json!({"radio": {"0": {"bss": {"0": {"wpapsk": "own-secret-key-2002"}}}}});
    });
    let dir = tempfile::tempdir().unwrap();
    let mut rt = script_runtime(&sim, dir.path(), &[("from", "2001"), ("to", "2002")]);
    let out = rt.run_source("golden_config.rhai", &script("golden_config.rhai"));
    // Either refused naming the key path, or done with a PATCH that keeps it.
    match out {
        Err(e) => {
            assert!(e.render().contains("refused"), "{}", e.render());
            assert_eq!(sim.counters().writes, 0);
        }
        Ok(_) => assert_eq!(
            sim.counters().route("PUT", "groups"),
            0,
            "a PATCH, not a PUT"
        ),
    }
    assert_eq!(
        stored_key(&sim),
        json!("own-secret-key-2002"),
        "the stored key survives"
    );
    // A golden config that needs a removal on the target: refused, naming the key path.
    sim.with_store(|s| {
        let g = s.find_mut("groups", "2002").unwrap();
        g["configuration"][0]["zz_target_only"] = json!({"x": 1});
    });
    sim.reset_counters();
    let mut rt = script_runtime(&sim, dir.path(), &[("from", "2001"), ("to", "2002")]);
    let e = rt
        .run_source("golden_config.rhai", &script("golden_config.rhai"))
        .unwrap_err()
        .render();
    assert!(e.contains("refused"), "{e}");
    assert_eq!(sim.counters().writes, 0, "nothing sent");
    assert_eq!(stored_key(&sim), json!("own-secret-key-2002"));
    // With the operator's consent the PUT goes through; "*" is never sent.
    let mut rt = script_runtime(
        &sim,
        dir.path(),
        &[("from", "2001"), ("to", "2002"), ("drop_secrets", "true")],
    );
    let _ = rt
        .run_source("golden_config.rhai", &script("golden_config.rhai"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(sim.counters().route("PUT", "groups"), 1);
    assert_ne!(stored_key(&sim), json!("*"));
}

#[test]
fn golden_config_copies_without_masked_passwords_and_drift_report_names_rejections() {
    let sim = Simulator::start(SimOptions {
        routers: 80,
        sync_delay: Duration::from_millis(50),
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut rt = script_runtime(&sim, dir.path(), &[("from", "2001"), ("to", "2002, 2003")]);
    // 2003 is of another product: skipped with an ERROR, so the run fails (exit 1) with the
    // message alone, naming it and the command to run next.
    let e = rt
        .run_source("golden_config.rhai", &script("golden_config.rhai"))
        .expect_err("a skipped group fails the run");
    assert_eq!(e.exit_code(), 1);
    let r = e.render();
    assert!(
        r.contains("1 group(s) skipped")
            && r.contains("(2003): it is for another product")
            && r.contains("fleetscript run golden_config --arg from=2001 --arg to=2003"),
        "{r}"
    );
    assert!(!r.contains("-->"), "{r}");
    let groups = sim.records("groups");
    let g = |id: &str| groups.iter().find(|g| g["id"] == id).unwrap()["configuration"].clone();
    // What the script can see is the masked read-back; the password cannot be copied.
    let want = fleetscript::diff::strip_masked(&Diff::from_value(&masked(&g("2001"))).unwrap());
    assert_eq!(
        Diff::from_value(&g("2002")).unwrap(),
        want,
        "same product: copied, minus the masked password"
    );
    assert_eq!(
        g("2002")[0]["wlan"]["radio"]["0"]["bss"]["0"].get("wpapsk"),
        None
    );
    assert_ne!(
        g("2003")[0]["system"]["logging"],
        Value::Null,
        "another product: left alone"
    );
    // One write, the smallest: a PATCH when nothing must be removed.
    assert_eq!(
        sim.counters().route("PUT", "groups") + sim.counters().route("PATCH", "groups"),
        1
    );
    // Drift: a device that rejects its config shows up with the reason.
    let rid = sim
        .records("routers")
        .iter()
        .find(|r| r["state"] == "online" && r["config_status"] == "synched")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    sim.with_store(|s| s.rejecting.insert(rid.clone()));
    let cm = rt.ncm().config_manager_id(&rid).unwrap();
    rt.ncm()
        .patch(
            "configuration_managers",
            &cm,
            &json!({"configuration": [{"system": {"gps": {"enabled": true}}}, []]}),
        )
        .unwrap();
    // The device syncs (and rejects the config) once its sync delay has passed.
    sim.advance(Duration::from_secs(1));
    let out = dir.path().join("drift.csv");
    let mut rt = script_runtime(&sim, dir.path(), &[("out", out.to_str().unwrap())]);
    let _ = rt
        .run_source("drift_report.rhai", &script("drift_report.rhai"))
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let mut rd = csv::Reader::from_path(&out).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    let row = rows
        .iter()
        .find(|r| &r[0] == rid.as_str())
        .expect("the rejecting router is listed");
    assert_eq!(&row[3], "suspended");
    assert!(row[6].contains("rejected"), "{row:?}");
}
