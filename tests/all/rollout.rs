//! Staged roll-outs against the simulator: a broken APN halts after the canaries and is rolled
//! back (the guide's rehearsal, with the default arguments), a good one goes out wave by wave
//! behind the health gate with offline routers last, a rollback restores each router's effective
//! configuration by PATCH (pinning inherited values) and never writes or silently drops a
//! secret, `rollback.rhai` undoes a run from its journal, and `--dry-run` prints the plan and
//! sends nothing.

use crate::common::*;
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
    let all = cms(sim);
    let ids: Vec<String> = routers
        .iter()
        .map(|r| all[r]["id"].as_str().unwrap().to_string())
        .collect();
    sim.with_store(|s| {
        for id in &ids {
            s.find_mut("configuration_managers", id).unwrap()["configuration"] = cfg.clone();
        }
    });
}

/// router id -> its effective configuration as the simulator stores it (secrets in clear): the
/// firmware default, the group's configuration over it, the individual one over that.
fn effective(sim: &Simulator, routers: &[String]) -> HashMap<String, Value> {
    use fleetscript::diff::{self, Diff};
    use fleetscript::sim::config_sync::{cm_default, diff_of};
    let cms = cms(sim);
    sim.with_store(|s| {
        routers
            .iter()
            .map(|r| {
                let cm = &cms[r];
                let router = s.find("routers", r).unwrap().into_owned();
                let group = router["group"]
                    .as_str()
                    .and_then(fleetscript::ncm::id_of)
                    .and_then(|g| s.find("groups", &g).map(|g| diff_of(&g, "configuration")))
                    .unwrap_or_else(Diff::empty);
                let layered = diff::layer(&group, &diff_of(cm, "configuration"));
                (
                    r.clone(),
                    diff::apply(&cm_default(s, cm), &layered).unwrap(),
                )
            })
            .collect()
    })
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
    let dir = tempfile::tempdir().unwrap();
    let args = rollout(
        dir.path(),
        "broken.apn",
        &[("waves", "2,100%"), ("soak", "0"), ("verify_timeout", "1")],
    );
    let before_eff = effective(&sim, &ids);
    let err = run_rollout(&sim, dir.path(), &args).unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert!(err.render().contains("halted"), "{}", err.render());
    let c = sim.counters();
    assert_eq!(
        c.route("PATCH", "configuration_managers"),
        4,
        "exactly the 2 canaries were written, and each rolled back by a PATCH"
    );
    assert_eq!(c.route("PUT", "configuration_managers"), 0);
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
    let after = effective(&sim, &ids);
    for r in &failed {
        assert_eq!(r["wave"], "1");
        assert!(r["reason"].contains("rolled back"), "{r:?}");
        assert!(
            r["reason"].contains("went offline after the write"),
            "{r:?}"
        );
        assert_eq!(r["apn_after"], "broken.apn");
        let id = &r["router"];
        assert_eq!(after[id], before_eff[id], "router {id} runs as before");
    }
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
    // A second run (new journal): nothing is written; every router is unchanged but the offline
    // ones, which have not synced the change yet (pending).
    sim.reset_counters();
    let mut args = rollout(dir.path(), "good.apn", &[("soak", "0")]);
    args.retain(|(k, _)| *k != "journal");
    args.push((
        "journal",
        dir.path().join("second.journal").display().to_string(),
    ));
    run_rollout(&sim, dir.path(), &args).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(sim.counters().writes, 0);
    for r in rows(&dir.path().join("report.csv")) {
        let expected = if offline.contains(&r["router"]) {
            "pending"
        } else {
            "unchanged"
        };
        assert_eq!(r["status"], expected, "{r:?}");
    }
}

/// Gives each router a second SSID with its own key, by PATCH through the API (as an operator
/// would), so that the key reads back as "*".
fn give_keys(sim: &Simulator, routers: &[String]) -> HashMap<String, String> {
    let mut rt = runtime_for(sim);
    let mut keys = HashMap::new();
    for r in routers {
        let key = format!("back-office-key-{r}");
        run(
            &mut rt,
            &format!(
                r#"ncm::patch_router_config({r}, [#{{wlan: #{{radio: #{{"0": #{{bss: #{{"1": #{{ssid: "Back-office", wpapsk: "{key}"}}}}}}}}}}}}, []]);"#
            ),
        );
        keys.insert(r.clone(), key);
    }
    keys
}

fn stored_key(sim: &Simulator, router: &str) -> Value {
    cms(sim)[router]["configuration"][0]["wlan"]["radio"]["0"]["bss"]["1"]["wpapsk"].clone()
}

#[test]
fn an_apn_rollout_on_routers_holding_wifi_keys_rolls_back_by_patch_with_the_keys_intact() {
    let sim = start(120, None);
    let ids = group_of(&sim, 30);
    let keys = give_keys(&sim, &ids);
    let before = effective(&sim, &ids);
    let dir = tempfile::tempdir().unwrap();
    let args = rollout(dir.path(), "good.apn", &[("waves", "1"), ("soak", "0")]);
    run_rollout(&sim, dir.path(), &args).unwrap_or_else(|e| panic!("{}", e.render()));
    assert!(ids
        .iter()
        .all(|id| manual_apn(&cms(&sim)[id]).as_deref() == Some("good.apn")));
    let journal = dir.path().join("apn.journal").display().to_string();

    // The dry run: the plan, nothing sent, exit 0, and it says so first and last.
    sim.reset_counters();
    let out = bin_for(&sim)
        .current_dir(dir.path())
        .args(["run", "rollback", "--dry-run", "--arg"])
        .arg(format!("journal={journal}"))
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert_eq!(sim.counters().writes, 0, "{all}");
    assert!(
        all.contains("rollback (dry run: nothing was written): 30 would roll back (value pinned)"),
        "{all}"
    );
    assert!(
        all.contains(".modem.manual_apn: \"good.apn\" -> \"\""),
        "{all}"
    );

    // The rollback: every router by PATCH, no PUT, the keys kept, effective as before.
    sim.reset_counters();
    let out = bin_for(&sim)
        .current_dir(dir.path())
        .args(["run", "rollback", "--arg"])
        .arg(format!("journal={journal}"))
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("rollback: 30 rolled back (value pinned)"),
        "{all}"
    );
    let c = sim.counters();
    assert_eq!(c.route("PUT", "configuration_managers"), 0);
    assert_eq!(c.route("PATCH", "configuration_managers"), 30);
    assert_eq!(effective(&sim, &ids), before);
    for id in &ids {
        assert_eq!(stored_key(&sim, id), json!(keys[id]), "router {id}");
    }
    // Nothing is left to undo.
    sim.reset_counters();
    let mut rt = script_runtime(&sim, dir.path(), &[("journal", &journal)]);
    if let Err(e) = rt.run_source("rollback.rhai", &script("rollback.rhai")) {
        panic!("{}", e.render());
    }
    assert_eq!(sim.counters().writes, 0);
}

#[test]
fn a_rollback_that_must_remove_a_path_and_would_drop_a_secret_is_left_for_a_human() {
    let sim = start(60, None);
    let ids = group_of(&sim, 3);
    give_keys(&sim, &ids[..1]);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("fw.journal").display().to_string();
    // A port forward the routers never had: undoing it needs a removal, so a PUT.
    let mut rt = script_runtime(&sim, dir.path(), &[]);
    let id = "0b6a66b2-5f0c-4d7e-9d59-2a3e4c5d6e7f";
    run(
        &mut rt,
        &format!(
            r#"let d = [#{{security: #{{zfw: #{{filter_policies: #{{"{id}": #{{"_id_": "{id}", name: "Kiosk", default_action: "deny"}}}}}}}}}}, []];
               ncm::apply_all([{}].map(|r| #{{router: r, diff: d}}), #{{journal: "{journal}"}});"#,
            ids.join(", ")
        ),
    );
    sim.reset_counters();
    let v = eval(&mut rt, &format!(r#"ncm::rollback("{journal}")"#));
    let results: Vec<rhai::Map> = v
        .into_array()
        .unwrap()
        .into_iter()
        .map(|r| r.cast::<rhai::Map>())
        .collect();
    let status = |r: &str| {
        results
            .iter()
            .find(|m| m["router"].to_string() == r)
            .map(|m| m["status"].to_string())
            .unwrap()
    };
    assert_eq!(status(&ids[0]), "needs manual rollback");
    assert_eq!(status(&ids[1]), "rolled back");
    assert_eq!(sim.counters().route("PUT", "configuration_managers"), 2);
    assert_eq!(
        stored_key(&sim, &ids[0]),
        json!(format!("back-office-key-{}", ids[0])),
        "the key survives"
    );
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
    // The re-run writes nothing, verifies what was sent, and finds the rejection (one failure
    // allowed: with the default budget of 0 it would halt and roll the run back).
    sim.reset_counters();
    let args = rollout(
        dir.path(),
        "iot.example",
        &[("soak", "0"), ("waves", "100%"), ("max_failures", "1")],
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

#[test]
fn the_guides_rehearsal_with_the_default_arguments_writes_one_canary_halts_and_rolls_it_back() {
    // `fleetscript sim --break-apn broken.apn`: the sandbox's fleet, its own timers.
    let sim = Simulator::start(SimOptions {
        break_apn: Some("broken.apn".into()),
        ..Default::default()
    })
    .unwrap();
    let ids: Vec<String> = sim
        .records("routers")
        .into_iter()
        .filter(|r| {
            r["group"]
                .as_str()
                .is_some_and(|g| g.ends_with("/groups/2001/"))
        })
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3, "the guide's group 2001 has 3 routers");
    let before = effective(&sim, &ids);
    let dir = tempfile::tempdir().unwrap();
    let out = bin_for(&sim)
        .current_dir(dir.path())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .args([
            "run",
            "apn_rollout",
            "--arg",
            "group=2001",
            "--arg",
            "apn=broken.apn",
            "--arg",
            "soak=5",
        ])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    // Exactly one router written: its change and its rollback, both PATCHes.
    let log: Vec<String> = sim
        .counters()
        .write_log
        .into_iter()
        .map(|(_, w)| w)
        .collect();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0], log[1], "the canary, then its rollback: {log:?}");
    assert!(
        log[0].starts_with("PATCH configuration_managers/"),
        "{log:?}"
    );
    assert_eq!(effective(&sim, &ids), before, "every router runs as before");
    for said in [
        "the canary wave (wave 1/2) failed",
        "went offline after the write",
        "1 failed, 2 skipped",
        "run the same command again",
    ] {
        assert!(all.contains(said), "{said}: {all}");
    }
    assert!(
        !all.contains("-->"),
        "a halt ends without script frames: {all}"
    );
    let report = std::fs::read_to_string(dir.path().join("apn_rollout-2001.csv")).unwrap();
    assert!(
        report.contains("rolled back (value pinned): PATCH"),
        "{report}"
    );
}

#[test]
fn an_interrupted_rollout_finishes_its_writes_in_flight_journals_them_and_exits_130() {
    let sim = start(120, None);
    group_of(&sim, 40);
    sim.set_latency(Duration::from_millis(150));
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("apn.journal");
    let child = apn_rollout_in(&sim, dir.path())
        .args(["--arg", "waves=100%", "--arg", "soak=0", "--arg", "rate=0"])
        .args(["--arg", "concurrency=4", "--arg", "poll=0.05"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Ctrl-C as soon as the cloud has received a write (others are on their way).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while sim.counters().writes == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no write reached the simulator"
        );
        std::thread::yield_now();
    }
    // SAFETY: sends SIGINT to the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(130), "{all}");
    assert!(all.contains("Resume: run the same command again"), "{all}");
    assert!(
        all.contains("fleetscript run rollback --arg journal="),
        "{all}"
    );
    // Every write the cloud received is journaled as sent, none left as only "writing".
    let written: Vec<String> = sim
        .counters()
        .write_log
        .into_iter()
        .map(|(_, w)| w)
        .collect();
    assert!(!written.is_empty(), "{written:?} {all}");
    let lines = std::fs::read_to_string(&journal).unwrap();
    let cms = cms(&sim);
    for w in &written {
        let cm = w.rsplit('/').next().unwrap();
        let router = cms.iter().find(|(_, c)| c["id"] == cm).unwrap().0;
        assert!(
            lines
                .lines()
                .any(|l| l.contains(&format!("\"router\":\"{router}\""))
                    && l.contains("\"status\":\"sent\"")),
            "router {router} was written but not journaled as sent:\n{lines}"
        );
    }
}

/// One change per router: its logging level to debug (a path no individual config sets).
fn logging_changes(ids: &[String]) -> Vec<fleetscript::ncm::bulk::Change> {
    ids.iter()
        .map(|r| fleetscript::ncm::bulk::Change {
            router: r.clone(),
            diff: fleetscript::diff::Diff::from_value(
                &json!([{"system": {"logging": {"level": "debug"}}}, []]),
            )
            .unwrap(),
        })
        .collect()
}

#[test]
fn a_journal_that_cannot_be_written_stops_the_run_before_any_write_it_would_describe() {
    use fleetscript::ncm::bulk::{self, BulkOptions, JournalFile};
    let sim = start(40, None);
    let ids = group_of(&sim, 5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("apn.journal");
    std::fs::write(&path, b"").unwrap();
    // The journal's file takes no write (as on a full or failing disk).
    let file = std::fs::File::open(&path).unwrap();
    let rt = runtime_for(&sim);
    let changes = logging_changes(&ids);
    let opts = BulkOptions {
        journal: Some(JournalFile::new(path.clone(), file)),
        progress: false,
        ..Default::default()
    };
    let err = bulk::apply_all(rt.ncm(), &changes, &opts).unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "the journal {} could not be written",
            path.display()
        )),
        "{err}"
    );
    assert_eq!(
        sim.counters().writes,
        0,
        "no write without its journal record"
    );
}

#[test]
fn a_rerun_without_the_journal_reports_unchanged_only_for_routers_in_sync() {
    let sim = start(60, None);
    let ids = group_of(&sim, 10);
    let dir = tempfile::tempdir().unwrap();
    let args = rollout(dir.path(), "good.apn", &[("waves", "100%"), ("soak", "0")]);
    run_rollout(&sim, dir.path(), &args).unwrap_or_else(|e| panic!("{}", e.render()));
    // Two devices rejected the config since, two went offline before syncing it.
    let cms = cms(&sim);
    sim.with_store(|s| {
        for id in &ids[..2] {
            let cm = s
                .find_mut("configuration_managers", cms[id]["id"].as_str().unwrap())
                .unwrap();
            cm["suspended"] = json!(true);
            cm["synched"] = json!(false);
        }
        for id in &ids[2..4] {
            let cm = s
                .find_mut("configuration_managers", cms[id]["id"].as_str().unwrap())
                .unwrap();
            cm["synched"] = json!(false);
            s.find_mut("routers", id).unwrap()["state"] = json!("offline");
        }
    });
    sim.reset_counters();
    let mut args = rollout(dir.path(), "good.apn", &[("waves", "100%"), ("soak", "0")]);
    args.retain(|(k, _)| *k != "journal");
    args.push((
        "journal",
        dir.path().join("other.journal").display().to_string(),
    ));
    let err = run_rollout(&sim, dir.path(), &args).unwrap_err();
    assert_eq!(err.exit_code(), 1, "{}", err.render());
    assert_eq!(sim.counters().writes, 0);
    let report = rows(&dir.path().join("report.csv"));
    let status =
        |id: &String| report.iter().find(|r| &r["router"] == id).unwrap()["status"].clone();
    assert_eq!(status(&ids[0]), "failed");
    assert_eq!(status(&ids[1]), "failed");
    assert_eq!(status(&ids[2]), "pending");
    assert_eq!(status(&ids[3]), "pending");
    assert!(
        ids[4..].iter().all(|id| status(id) == "unchanged"),
        "{report:?}"
    );
}

#[test]
fn a_journal_disk_that_fills_at_any_record_never_leaves_a_changed_router_unreverted() {
    use fleetscript::ncm::bulk::{self, BulkOptions, JournalFile};
    let sim = start(40, None);
    let ids = group_of(&sim, 6);
    let before = effective(&sim, &ids);
    let rt = runtime_for(&sim);
    let changes = logging_changes(&ids);
    let run = |journal: JournalFile| {
        let opts = BulkOptions {
            journal: Some(journal),
            progress: false,
            rate: 0.0,
            ..Default::default()
        };
        bulk::apply_all(rt.ncm(), &changes, &opts)
    };
    let undo = |path: &Path| {
        let results = bulk::rollback_journal(rt.ncm(), &JournalFile::open(path).unwrap(), 0.0)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(results.iter().all(|r| r.restores()), "{results:?}");
        assert_eq!(effective(&sim, &ids), before, "every router runs as before");
    };
    // A whole run first, for the offsets where each record starts.
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.journal");
    run(JournalFile::open(&whole).unwrap()).unwrap();
    let text = std::fs::read(&whole).unwrap();
    undo(&whole);
    let mut starts = vec![0u64];
    for (i, b) in text.iter().enumerate() {
        if *b == b'\n' {
            starts.push(i as u64 + 1);
        }
    }
    let mut limits: Vec<u64> = vec![];
    for w in starts.windows(2) {
        limits.extend([w[0], (w[0] + w[1]) / 2]);
    }
    assert!(limits.len() >= 24, "{limits:?}");
    for (k, limit) in limits.into_iter().enumerate() {
        let path = dir.path().join(format!("{k}.journal"));
        let journal = JournalFile::open(&path).unwrap().with_size_limit(limit);
        sim.reset_counters();
        match run(journal) {
            Err(e) => assert!(e.to_string().contains("could not be written"), "{e}"),
            Ok(r) => panic!(
                "the disk filled at byte {limit}, yet the run ended: {:?}",
                r.halted
            ),
        }
        let writes = sim.counters().writes;
        // Whole records only: a write may follow only a whole record.
        let text = std::fs::read_to_string(&path).unwrap();
        let whole = text.rfind('\n').map_or("", |i| &text[..i]);
        let written = whole.matches("\"status\":\"writing\"").count() as u64;
        assert!(
            writes <= written,
            "byte {limit}: {writes} writes sent, {written} journaled first"
        );
        if k % 2 == 1 {
            // Resumed on a disk with room: it completes, every router changed, none twice.
            sim.reset_counters();
            let r = run(JournalFile::open(&path).unwrap()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                writes + sim.counters().writes,
                ids.len() as u64,
                "byte {limit}"
            );
            assert!(r.halted.is_none(), "{:?}", r.halted);
            assert!(
                r.outcomes
                    .iter()
                    .all(|o| matches!(o.status.as_str(), "ok" | "skipped")),
                "byte {limit}: {:?}",
                r.outcomes
                    .iter()
                    .map(|o| (o.status.as_str(), &o.reason))
                    .collect::<Vec<_>>()
            );
            let changed = effective(&sim, &ids);
            assert!(ids
                .iter()
                .all(|i| changed[i]["system"]["logging"]["level"] == "debug"));
        }
        undo(&path);
    }
}

#[test]
fn a_rollback_over_an_earlier_rollouts_value_puts_it_back_by_its_rules_id() {
    let sim = start(60, None);
    let ids = group_of(&sim, 4);
    let dir = tempfile::tempdir().unwrap();
    let first = rollout(dir.path(), "first.apn", &[("waves", "100%"), ("soak", "0")]);
    run_rollout(&sim, dir.path(), &first).unwrap_or_else(|e| panic!("{}", e.render()));
    let before = effective(&sim, &ids);
    // A second roll-out over the first, into its own journal, then undone.
    let mut second = rollout(
        dir.path(),
        "second.apn",
        &[("waves", "100%"), ("soak", "0")],
    );
    second.retain(|(k, _)| *k != "journal");
    let journal = dir.path().join("second.journal").display().to_string();
    second.push(("journal", journal.clone()));
    run_rollout(&sim, dir.path(), &second).unwrap_or_else(|e| panic!("{}", e.render()));
    sim.reset_counters();
    let mut rt = script_runtime(&sim, dir.path(), &[("journal", &journal)]);
    if let Err(e) = rt.run_source("rollback.rhai", &script("rollback.rhai")) {
        panic!("{}", e.render());
    }
    assert_eq!(sim.counters().route("PATCH", "configuration_managers"), 4);
    assert_eq!(sim.counters().route("PUT", "configuration_managers"), 0);
    assert_eq!(effective(&sim, &ids), before);
    assert!(ids
        .iter()
        .all(|id| manual_apn(&cms(&sim)[id]).as_deref() == Some("first.apn")));
}

/// Without `--arg journal`, the journal is in the state directory under a name made of the job
/// and the account: a re-run from another directory continues the run (what the first run
/// verified is `skipped`, nothing is written), and a run against another simulator (another
/// account, as a `--sandbox` rehearsal is) does not take that journal for its own.
#[test]
fn the_default_journal_is_in_the_state_directory_and_found_from_any_directory() {
    let sim = start(30, None);
    let ids = group_of(&sim, 5);
    let state = tempfile::tempdir().unwrap();
    let run_in = |sim: &Simulator, dir: &Path| {
        let out = bin_for(sim)
            .current_dir(dir)
            .env("XDG_STATE_HOME", state.path())
            .args([
                "run",
                "apn_rollout",
                "--arg",
                "group=2001",
                "--arg",
                "apn=good.apn",
            ])
            .args([
                "--arg",
                "waves=100%",
                "--arg",
                "soak=0",
                "--arg",
                "poll=0.05",
            ])
            .output()
            .unwrap();
        (out.status.code(), text(&out))
    };
    let first = tempfile::tempdir().unwrap();
    let (code, all) = run_in(&sim, first.path());
    assert_eq!(code, Some(0), "{all}");
    let journals = state.path().join("fleetscript/journals");
    let names: Vec<String> = std::fs::read_dir(&journals)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".journal"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("apn_rollout-2001@127.0.0.1-"),
        "{names:?}"
    );
    let journal = journals.join(&names[0]);
    assert!(
        all.contains(&journal.display().to_string()),
        "the run names it: {all}"
    );
    assert!(!first.path().join("apn_rollout-2001.journal").exists());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&journals).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "owner-only: {mode:o}");

    // From elsewhere: the journal is found and the run continues it.
    sim.reset_counters();
    let second = tempfile::tempdir().unwrap();
    let (code, all) = run_in(&sim, second.path());
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(sim.counters().writes, 0);
    let report = rows(&second.path().join("apn_rollout-2001.csv"));
    assert_eq!(report.len(), ids.len());
    assert!(
        report.iter().all(|r| r["status"] == "skipped"),
        "done by the first run, per its journal: {report:?}"
    );

    // Another account (another simulator): its own journal, its own run.
    let other = start(30, None);
    group_of(&other, 5);
    let (code, all) = run_in(&other, second.path());
    assert_eq!(code, Some(0), "{all}");
    assert_eq!(other.counters().writes, 5, "{all}");
    let journal_count = std::fs::read_dir(&journals)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().ends_with(".journal")
        })
        .count();
    assert_eq!(journal_count, 2);
}
