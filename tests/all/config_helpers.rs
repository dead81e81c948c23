//! The `ncm::` config helpers and the `diff::` module from Rhai, against the simulator: bad
//! input is refused before any request, helpers pick the right rule by firmware, and Ctrl-C in
//! the middle of a bulk roll-out leaves a journal a re-run continues from.

use crate::common::*;
use fleetscript::sim::{SimOptions, Simulator};
use std::process::Stdio;
use std::time::Duration;

#[test]
fn helpers_refuse_bad_input_before_any_request() {
    let sim = sim(10);
    let mut rt = runtime_for(&sim);
    for (call, expect) in [
        ("ncm::set_apn(10001, \"\")", "APN \"\" is not valid"),
        ("ncm::check_apn(\"bad..apn\")", "empty label"),
        ("ncm::check_apn(\"iot.example\"); ncm::check_apn(\"x.gprs\")", ".gprs"),
        ("ncm::set_ssid(10001, \"\", \"longenough\")", "SSID is empty"),
        ("ncm::set_ssid(10001, \"123456789012345678901234567890123\", \"longenough\")", "maximum is 32"),
        ("ncm::set_ssid(10001, \"ok\", \"short\")", "8 to 63"),
        ("ncm::set_lan_ip(10001, \"192.168.1.256\", \"255.255.255.0\")", "not an IPv4 address"),
        ("ncm::set_lan_ip(10001, \"192.168.1.1\", \"255.255.0.255\")", "not a valid subnet mask"),
        ("ncm::set_wan_static_ip(10001, \"172.19.9.30\", \"255.255.252.0\", \"nope\", [])", "gateway \"nope\""),
        ("ncm::add_user(10001, \"two words\", \"longenough\")", "user name"),
        ("ncm::patch_router_config(10001, [#{lan: #{\"00000000-0d93-319d-8220-4a1fb0372b51\": #{ip_address: \"x\"}}}, []])", "invalid id"),
        ("ncm::apply_all([], #{colour: 1})", "unknown field `colour`"),
    ] {
        let err = eval_err(&mut rt, call);
        assert!(err.contains(expect), "{call}: {err}");
    }
    assert_eq!(sim.counters().total, 0, "nothing was sent");
}

#[test]
fn helpers_change_the_right_parts_of_the_config() {
    let sim = Simulator::start(SimOptions {
        routers: 60,
        sync_delay: Duration::from_millis(30),
        ..Default::default()
    })
    .unwrap();
    let mut rt = runtime_for(&sim);
    // A 5.x router (wan.rules) and a 7.x one (wan.rules2).
    let old = sim
        .records("routers")
        .into_iter()
        .find(|r| r["state"] == "online")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let fw540 = firmware_id(&sim, "5.4.0");
    sim.with_store(|s| {
        let u = s.url("firmwares", &fw540);
        s.find_mut("routers", &old).unwrap()["target_firmware"] = serde_json::json!(u);
    });
    let new = sim
        .records("routers")
        .into_iter()
        .find(|r| {
            r["id"] != old.as_str()
                && r["state"] == "online"
                && r["product"].as_str().unwrap().ends_with("/41/")
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = eval(&mut rt, &format!(r#"
        ncm::set_apn({old}, "iot.example");
        ncm::set_apn({new}, "iot.example");
        ncm::set_ssid({new}, "Shop", "correct horse");
        ncm::set_lan_ip({new}, "192.168.30.1", "255.255.255.0");
        ncm::set_wan_static_ip({old}, "172.19.9.30", "255.255.252.0", "172.19.8.1", ["172.21.21.50"]);
        ncm::add_user({new}, "auditor", "Long-Passw0rd", "readonly");
        let a = ncm::router_config({old}).configuration[0];
        let b = ncm::router_config({new}).configuration[0];
        [diff::get(a, ["wan", "rules", "00000002-dea3-3ccd-a78d-e0196084396f", "modem", "manual_apn"]),
         diff::get(b, ["wan", "rules2", "00000002-a81d-3590-93ca-8b1fcfeb8e14", "modem", "manual_apn"]),
         diff::get(b, "wlan.radio.0.bss.0.ssid"), diff::get(b, "wlan.radio.0.bss.0.wpapsk"),
         diff::get(b, ["lan", "00000000-0d93-319d-8220-4a1fb0372b51", "ip_address"]),
         diff::get(a, ["wan", "rules", "00000001-dea3-3ccd-a78d-e0196084396f", "static", "dns", "0", "ip_address"]),
         diff::get(b, "system.users.1.username")]
    "#)).into_array().unwrap();
    let got: Vec<String> = out.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        got,
        vec![
            "iot.example",
            "iot.example",
            "Shop",
            "*",
            "192.168.30.1",
            "172.21.21.50",
            "auditor"
        ]
    );
    // put_router_config replaces, but never drops the router's own secrets unless told to.
    let e = eval_err(
        &mut rt,
        &format!(
            r#"ncm::put_router_config({new}, diff::set(diff::empty(), "system.gps.enabled", true))"#
        ),
    );
    assert!(
        e.contains("refused") && e.contains("system.users.1.password"),
        "{e}"
    );
    // resume_sync and the diff module round-trip.
    let v = eval(&mut rt, &format!(r#"
        ncm::put_router_config({new}, diff::set(diff::empty(), "system.gps.enabled", true), #{{drop_secrets: true}});
        let c = ncm::router_config({new}).configuration;
        let d = diff::between(#{{a: 1, b: [1, 2]}}, #{{a: 2, b: [1]}});
        [c, diff::apply(#{{a: 1, b: [1, 2]}}, d), diff::is_empty(diff::empty()), diff::validate([#{{}}, []]).len(),
         diff::equivalent([#{{lan: #{{"0": #{{name: "x"}}}}}}, []], [#{{lan: #{{"00000000-0d93-319d-8220-4a1fb0372b51": #{{"_id_": "00000000-0d93-319d-8220-4a1fb0372b51", name: "x"}}}}}}, []])]
    "#)).into_array().unwrap();
    assert_eq!(
        fleetscript::script::convert::dynamic_to_json(&v[0]),
        serde_json::json!([{"system": {"gps": {"enabled": true}}}, []])
    );
    assert_eq!(
        fleetscript::script::convert::dynamic_to_json(&v[1]),
        serde_json::json!({"a": 2, "b": [1]})
    );
    assert!(v[2].as_bool().unwrap());
    assert_eq!(v[3].as_int().unwrap(), 0);
    assert!(v[4].as_bool().unwrap());
    assert_eq!(sim.counters().redirects, 0);
}

#[test]
fn ctrl_c_during_a_rollout_leaves_a_journal_the_rerun_continues_from() {
    let sim = Simulator::start(SimOptions {
        routers: 120,
        latency: Duration::from_millis(60),
        sync_delay: Duration::from_millis(20),
        ..Default::default()
    })
    .unwrap();
    let ids: Vec<String> = sim
        .records("routers")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    sim.with_store(|s| {
        let url = s.url("groups", 2001);
        for id in &ids {
            s.find_mut("routers", id).unwrap()["group"] = serde_json::json!(url);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let script =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/apn_rollout.rhai");
    let args = [
        "--arg",
        "group=2001",
        "--arg",
        "apn=iot.example",
        "--arg",
        "journal=j.journal",
        "--arg",
        "verify=false",
        "--arg",
        "concurrency=2",
        "--arg",
        "rate=0",
    ];
    let child = bin_for(&sim)
        .current_dir(dir.path())
        .arg("run")
        .arg(&script)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupted once writes are under way (a condition, not a fixed delay).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sim.counters().route("PATCH", "configuration_managers") < 4
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let sent = sim.counters().route("PATCH", "configuration_managers");
    let journal = std::fs::read_to_string(dir.path().join("j.journal")).unwrap();
    let done = journal
        .lines()
        .filter(|l| l.contains("\"status\":\"sent\""))
        .count();
    assert!(done > 0 && done < 120, "interrupted midway: {done} done");
    assert_eq!(
        done as u64, sent,
        "every request that was answered is journaled"
    );
    sim.set_latency(Duration::ZERO);
    sim.reset_counters();
    let o = bin_for(&sim)
        .current_dir(dir.path())
        .arg("run")
        .arg(&script)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        sim.counters().route("PATCH", "configuration_managers") as usize,
        120 - done,
        "the re-run does not write again what was sent"
    );
    // What the first run sent is taken up again (verified, were verify on), not skipped.
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("skipped") && !out.contains("failed"), "{out}");
}

/// `add_user` places the new user after the router's existing ones, read from its target
/// configuration: a target it cannot read is an error, not an empty config (the new user would
/// overwrite the first existing one, password and all).
#[test]
fn add_user_refuses_a_target_it_cannot_read() {
    let sim = sim(3);
    let mut rt = runtime_for(&sim);
    let router = sim.records("routers")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cm = cm_of_router(&sim, &router)["id"]
        .as_str()
        .unwrap()
        .to_string();
    sim.with_store(|s| {
        s.find_mut("configuration_managers", &cm).unwrap()["target"] =
            serde_json::json!({"system": {"users": "?"}});
    });
    sim.reset_counters();
    let e = eval_err(
        &mut rt,
        &format!(r#"ncm::add_user({router}, "auditor", "Long-Passw0rd", "readonly")"#),
    );
    let message = e.lines().next().unwrap_or_default();
    assert!(
        message.contains("target configuration is not a config diff")
            && !message.contains("Long-Passw0rd"),
        "{e}"
    );
    assert_eq!(sim.counters().writes, 0, "nothing was written");
}
