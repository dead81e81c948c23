//! Staged roll-outs against the simulator: a broken APN halts after the canaries and is rolled
//! back, a good one goes out wave by wave behind the health gate with offline routers last, a
//! rollback never writes or silently drops a secret, `rollback.rhai` undoes a run from its
//! journal, and `--dry-run` prints the plan and sends nothing.

mod common;

use common::*;
use fleetscript::sim::{SimOptions, Simulator};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

fn start(routers: usize, break_apn: Option<&str>) -> Simulator {
    Simulator::start(SimOptions {
        routers,
        sync_delay: Duration::from_millis(20),
        break_apn: break_apn.map(str::to_string),
        rollback_after: Duration::from_secs(600),
        ..Default::default()
    })
    .unwrap()
}

/// router id -> its configuration manager record.
fn cms(sim: &Simulator) -> HashMap<String, Value> {
    sim.records("configuration_managers")
        .into_iter()
        .map(|c| {
            (
                fleetscript::ncm::id_of(c["router"].as_str().unwrap()).unwrap(),
                c,
            )
        })
        .collect()
}

/// Gives these routers an individual config without any secret (or with `secret`).
fn set_individual(sim: &Simulator, routers: &[String], secret: Option<&str>) {
    let cfg = match secret {
        Some(s) => json!([{"wlan": {"radio": {"0": {"bss": {"0": {"wpapsk": s}}}}}}, []]),
        None => json!([{}, []]),
    };
    let ids: Vec<String> = routers
        .iter()
        .map(|r| cms(sim)[r]["id"].as_str().unwrap().to_string())
        .collect();
    sim.with_store(|s| {
        for id in &ids {
            s.find_mut("configuration_managers", id).unwrap()["configuration"] = cfg.clone();
        }
    });
}

fn rows(report: &Path) -> Vec<HashMap<String, String>> {
    let mut rd = csv::Reader::from_path(report).unwrap();
    let head: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    rd.records()
        .map(|r| {
            head.iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn rollout<'a>(
    dir: &'a Path,
    apn: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, String)> {
    let mut args = vec![
        ("group", "2001".to_string()),
        ("apn", apn.to_string()),
        ("journal", dir.join("apn.journal").display().to_string()),
        ("report", dir.join("report.csv").display().to_string()),
        ("poll", "0.05".into()),
        ("rate", "0".into()),
    ];
    args.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    args
}

fn run_rollout(
    sim: &Simulator,
    dir: &Path,
    args: &[(&str, String)],
) -> Result<(), fleetscript::ScriptError> {
    let a: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut rt = script_runtime(sim, dir, &a);
    rt.run_source("apn_rollout.rhai", &script("apn_rollout.rhai"))
        .map(|_| ())
}

fn manual_apn(cm: &Value) -> Option<String> {
    let d = &cm["configuration"][0]["wan"];
    ["rules", "rules2"].iter().find_map(|r| {
        d[*r]
            .as_object()?
            .values()
            .find_map(|rule| rule["modem"]["manual_apn"].as_str().map(str::to_string))
    })
}

#[test]
fn a_broken_apn_halts_after_two_canaries_rolls_them_back_and_a_fixed_rerun_completes() {
    let sim = start(400, Some("broken.apn"));
    let ids = group_of(&sim, 300);
    set_individual(&sim, &ids, None);
    let before = cms(&sim);
    let dir = tempfile::tempdir().unwrap();
    let args = rollout(
        dir.path(),
        "broken.apn",
        &[("waves", "2,100%"), ("soak", "0"), ("verify_timeout", "1")],
    );
    let err = run_rollout(&sim, dir.path(), &args).unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert!(err.render().contains("halted"), "{}", err.render());
    let c = sim.counters();
    assert_eq!(
        c.route("PATCH", "configuration_managers"),
        2,
        "exactly the 2 canaries were written"
    );
    let report = rows(&dir.path().join("report.csv"));
    let failed: Vec<&HashMap<String, String>> =
        report.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(
        report
            .iter()
            .filter(|r| r["status"] == "skipped" && r["reason"].starts_with("halted: "))
            .count(),
        298
    );
    let after = cms(&sim);
    for r in &failed {
        assert_eq!(r["wave"], "1");
        assert!(r["reason"].contains("rolled back"), "{r:?}");
        assert_eq!(r["apn_after"], "broken.apn");
        let id = &r["router"];
        assert_eq!(
            after[id]["configuration"], before[id]["configuration"],
            "router {id} is as before"
        );
    }
    // Rollback wrote each canary once (a PUT: the APN paths had to be removed) and nothing else.
    assert_eq!(c.writes, 4, "2 writes and 2 rollbacks");
    // Fixed APN, same journal: the run completes; the cut-off canaries are offline: pending.
    sim.reset_counters();
    let args = rollout(
        dir.path(),
        "good.apn",
        &[("waves", "2,100%"), ("soak", "0"), ("verify_timeout", "5")],
    );
    run_rollout(&sim, dir.path(), &args).unwrap_or_else(|e| panic!("{}", e.render()));
    let report = rows(&dir.path().join("report.csv"));
    assert_eq!(report.iter().filter(|r| r["status"] == "ok").count(), 298);
    assert_eq!(
        report.iter().filter(|r| r["status"] == "pending").count(),
        2
    );
    let after = cms(&sim);
    assert!(ids
        .iter()
        .all(|id| manual_apn(&after[id]).as_deref() == Some("good.apn")));
}

#[test]
fn a_good_apn_goes_wave_by_wave_behind_the_gate_with_offline_routers_last() {
    let sim = start(150, None);
    let ids = group_of(&sim, 60);
    let offline: Vec<String> = ids[10..14].to_vec();
    sim.with_store(|s| {
        for id in &offline {
            s.find_mut("routers", id).unwrap()["state"] = json!("offline");
        }
    });
    let cm_ids: HashMap<String, String> = cms(&sim)
        .into_iter()
        .map(|(r, c)| (r, c["id"].as_str().unwrap().to_string()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let args = rollout(
        dir.path(),
        "good.apn",
        &[
            ("waves", "3,50%,100%"),
            ("soak", "1"),
            ("verify_timeout", "10"),
        ],
    );
    run_rollout(&sim, dir.path(), &args).unwrap_or_else(|e| panic!("{}", e.render()));
    let log: Vec<(std::time::Instant, String)> = sim.counters().write_log;
    assert_eq!(log.len(), 60);
    let first3 = log[..3].iter().map(|(t, _)| *t).max().unwrap();
    let rest = log[3..].iter().map(|(t, _)| *t).min().unwrap();
    assert!(
        rest.duration_since(first3) >= Duration::from_secs(1),
        "the canaries' gate (soak 1 s) held the next wave: {:?}",
        rest.duration_since(first3)
    );
    let last4: Vec<&String> = log[56..].iter().map(|(_, p)| p).collect();
    for id in &offline {
        let path = format!("PATCH configuration_managers/{}", cm_ids[id]);
        assert!(
            last4.contains(&&path),
            "offline router {id} was written last: {last4:?}"
        );
    }
    let report = rows(&dir.path().join("report.csv"));
    for r in &report {
        let expected = if offline.contains(&r["router"]) {
            "pending"
        } else {
            "ok"
        };
        assert_eq!(r["status"], expected, "{r:?}");
    }
    assert_eq!(report.iter().filter(|r| r["wave"] == "1").count(), 3);
    let after = cms(&sim);
    assert!(
        ids.iter()
            .all(|id| manual_apn(&after[id]).as_deref() == Some("good.apn")),
        "every router has the APN"
    );
    // A second run (new journal): every router is unchanged and nothing is written.
    sim.reset_counters();
    let mut args = rollout(dir.path(), "good.apn", &[("soak", "0")]);
    args.retain(|(k, _)| *k != "journal");
    args.push((
        "journal",
        dir.path().join("second.journal").display().to_string(),
    ));
    run_rollout(&sim, dir.path(), &args).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(sim.counters().writes, 0);
    assert!(rows(&dir.path().join("report.csv"))
        .iter()
        .all(|r| r["status"] == "unchanged"));
}

#[test]
fn a_rollback_that_would_drop_a_secret_is_left_for_a_human_and_the_secret_survives() {
    let sim = start(60, Some("broken.apn"));
    let ids = group_of(&sim, 6);
    set_individual(&sim, &ids, Some("store-key-0001"));
    let dir = tempfile::tempdir().unwrap();
    let args = rollout(
        dir.path(),
        "broken.apn",
        &[
            ("waves", "1"),
            ("soak", "0"),
            ("verify_timeout", "0.5"),
            ("max_failures", "0"),
        ],
    );
    let err = run_rollout(&sim, dir.path(), &args).unwrap_err();
    assert!(err.render().contains("halted"), "{}", err.render());
    let c = sim.counters();
    assert_eq!(c.writes, 1, "the canary only; no rollback write");
    let report = rows(&dir.path().join("report.csv"));
    let canary = report.iter().find(|r| r["status"] == "failed").unwrap();
    assert!(
        canary["reason"].contains("needs manual rollback")
            && canary["reason"].contains("wlan.radio.0.bss.0.wpapsk"),
        "{canary:?}"
    );
    for cm in cms(&sim).values().filter(|c| {
        ids.iter()
            .any(|i| c["router"].as_str().unwrap().ends_with(&format!("/{i}/")))
    }) {
        assert_eq!(
            cm["configuration"][0]["wlan"]["radio"]["0"]["bss"]["0"]["wpapsk"],
            "store-key-0001"
        );
    }
}

#[test]
fn rollback_script_undoes_a_run_from_its_journal() {
    let sim = start(80, None);
    let ids = group_of(&sim, 8);
    set_individual(&sim, &ids, None);
    set_individual(&sim, &ids[3..4], Some("store-key-0003"));
    let before = cms(&sim);
    let dir = tempfile::tempdir().unwrap();
    let args = rollout(dir.path(), "good.apn", &[("waves", "1"), ("soak", "0")]);
    run_rollout(&sim, dir.path(), &args).unwrap_or_else(|e| panic!("{}", e.render()));
    sim.reset_counters();
    let journal = dir.path().join("apn.journal").display().to_string();
    let mut rt = script_runtime(&sim, dir.path(), &[("journal", &journal)]);
    let err = rt
        .run_source("rollback.rhai", &script("rollback.rhai"))
        .unwrap_err();
    assert!(
        err.render().contains("1 router(s) were not rolled back"),
        "{}",
        err.render()
    );
    let after = cms(&sim);
    for id in &ids {
        if *id == ids[3] {
            assert_eq!(
                manual_apn(&after[id]).as_deref(),
                Some("good.apn"),
                "left for a human"
            );
            assert_eq!(
                after[id]["configuration"][0]["wlan"]["radio"]["0"]["bss"]["0"]["wpapsk"],
                "store-key-0003"
            );
        } else {
            assert_eq!(
                after[id]["configuration"], before[id]["configuration"],
                "router {id}"
            );
        }
    }
    assert_eq!(sim.counters().route("PUT", "configuration_managers"), 7);
    // Once rolled back, a second rollback has nothing left to do but the one left for a human.
    sim.reset_counters();
    let mut rt = script_runtime(&sim, dir.path(), &[("journal", &journal)]);
    let _ = rt.run_source("rollback.rhai", &script("rollback.rhai"));
    assert_eq!(sim.counters().writes, 0);
}

#[test]
fn dry_run_prints_the_plan_with_totals_and_sends_nothing() {
    let sim = start(400, None);
    let ids = group_of(&sim, 300);
    set_individual(&sim, &ids, None);
    let dir = tempfile::tempdir().unwrap();
    let out = bin_for(&sim)
        .current_dir(dir.path())
        .args([
            "run",
            "apn_rollout",
            "--dry-run",
            "--arg",
            "group=2001",
            "--arg",
            "apn=iot.example",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("plan: APN iot.example: 300 routers: 300 to change, 0 unchanged, 0 refused"),
        "{err}"
    );
    assert!(
        err.contains(".modem.manual_apn: (unset) -> \"iot.example\""),
        "{err}"
    );
    for totals in [
        "by product:",
        "by firmware:",
        "(wan.rules2)",
        "(wan.rules)",
        "by state: online: 300 change",
    ] {
        assert!(err.contains(totals), "{totals}: {err}");
    }
    assert_eq!(sim.counters().writes, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing was sent"));
}

#[test]
fn a_run_killed_before_verification_is_verified_on_resume_and_the_rejection_shows() {
    let sim = Simulator::start(SimOptions {
        routers: 60,
        sync_delay: Duration::from_millis(400),
        ..Default::default()
    })
    .unwrap();
    let ids = group_of(&sim, 20);
    let rejecting = ids[7].clone();
    sim.with_store(|s| s.rejecting.insert(rejecting.clone()));
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("apn.journal");
    let mut child = apn_rollout_in(&sim, dir.path())
        .args([
            "--arg",
            "waves=100%",
            "--arg",
            "soak=30",
            "--arg",
            "poll=0.05",
            "--arg",
            "rate=0",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once every write was sent, while the gate waits.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&journal)
        .unwrap_or_default()
        .matches("\"status\":\"sent\"")
        .count()
        < 20
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the writes were not all sent"
        );
        std::thread::yield_now();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // The re-run writes nothing, verifies what was sent, and finds the rejection.
    sim.reset_counters();
    let args = rollout(
        dir.path(),
        "iot.example",
        &[("soak", "0"), ("waves", "100%")],
    );
    let err = run_rollout(&sim, dir.path(), &args).unwrap_err();
    assert_eq!(err.exit_code(), 1, "{}", err.render());
    assert_eq!(sim.counters().writes, 0);
    let report = rows(&dir.path().join("report.csv"));
    let failed: Vec<&HashMap<String, String>> =
        report.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{report:?}");
    assert_eq!(failed[0]["router"], rejecting);
    assert!(
        failed[0]["reason"].contains("rejected") || failed[0]["reason"].contains("suspended"),
        "{:?}",
        failed[0]
    );
    assert_eq!(report.iter().filter(|r| r["status"] == "ok").count(), 19);
}
