//! IgniteNet Cloud against the simulator: the retry policy per status (counted requests, short
//! intervals), plain-text errors verbatim, the client-side rate limit (500 requests, no 429),
//! stale-timestamp retries after a concurrent save, suspended configs, entity creation and the
//! SSID script end to end (the simulator's effective configs checked).

use crate::common::*;
use fleetscript::http::RateLimit;
use fleetscript::ignitenet::{config_map::Origin, EntityRef, Target};
use fleetscript::sim::{Fault, Sandbox, SimOptions, Simulator};
use fleetscript::Runtime;
use std::time::Duration;

const SITE: &str = "281474976710783";

fn first_site_devices(sim: &Simulator) -> Vec<String> {
    sim.with_ignitenet(|s| {
        s.devices_of(SITE)
            .map(|d| d.record["id"].as_str().unwrap().to_string())
            .collect()
    })
}

#[test]
fn retry_policy_per_status_code() {
    let sim = sim(1);
    let rt = runtime_for(&sim);
    let ig = &rt.ignitenet();
    let gets = |sim: &Simulator| sim.counters().route("GET", "ignitenet/sites");
    let posts = |sim: &Simulator| sim.counters().route("POST", "ignitenet/site_config");

    // 503 three times, then fine: 4 requests, each retry after at least the interval.
    sim.inject(Fault::new("GET", "ignitenet/sites", 1, 503).times(3));
    assert_eq!(ig.sites().unwrap().len(), 3);
    assert_eq!(gets(&sim), 4);
    let delays = ig.transport().stats.retry_delays.lock().unwrap().clone();
    assert_eq!(delays.len(), 3, "{delays:?}");
    assert!(
        delays.iter().all(|d| *d >= Duration::from_millis(15)),
        "each retry waits at least the interval: {delays:?}"
    );

    // 502 forever: the first request and 10 retries, then the error.
    sim.clear_faults();
    sim.reset_counters();
    sim.inject(Fault::new("GET", "ignitenet/sites", 1, 502).times(100));
    let e = api_err(ig.sites());
    assert_eq!((e.status, gets(&sim)), (502, 11));
    assert!(e.message.contains("after 10 retries"), "{}", e.message);

    // 500: one retry only.
    sim.clear_faults();
    sim.reset_counters();
    sim.inject(Fault::new("GET", "ignitenet/sites", 1, 500).times(1));
    ig.sites().unwrap();
    assert_eq!(gets(&sim), 2);
    sim.clear_faults();
    sim.reset_counters();
    sim.inject(Fault::new("GET", "ignitenet/sites", 1, 500).times(5));
    assert_eq!(api_err(ig.sites()).status, 500);
    assert_eq!(gets(&sim), 2);

    // POST: a 503 is not retried (it may have been processed)...
    sim.clear_faults();
    sim.reset_counters();
    sim.inject(Fault::new("POST", "ignitenet/site_config", 1, 503));
    let target = Target::Site(SITE.into());
    let build = |_: &serde_json::Value| {
        Ok(fleetscript::ignitenet::config_map::ConfigMap::from([(
            "radio/global/bandSteering".to_string(),
            fleetscript::ignitenet::config_map::Entry::new("1", Origin::Site),
        )]))
    };
    assert_eq!(api_err(ig.set_config(&target, &build)).status, 503);
    assert_eq!(posts(&sim), 1);
    // ...but a 429 is: it means the request was not processed.
    sim.clear_faults();
    sim.reset_counters();
    sim.inject(Fault::new("POST", "ignitenet/site_config", 1, 429).times(2));
    let answer = ig.set_config(&target, &build).unwrap();
    assert_eq!(posts(&sim), 3);
    assert_eq!(answer["site"]["radio/global/bandSteering"]["value"], "1");
    // Other statuses are not retried.
    sim.clear_faults();
    sim.reset_counters();
    sim.inject(Fault::new("GET", "ignitenet/sites", 1, 404));
    assert_eq!(api_err(ig.sites()).status, 404);
    assert_eq!(gets(&sim), 1);
}

#[test]
fn plain_text_errors_are_kept_verbatim() {
    let sim = sim(1);
    let mut cfg = config_for(&sim);
    cfg.ignitenet.api_key = "bad-key-not-valid".into();
    let mut rt = Runtime::new(cfg).unwrap();
    let out = eval(
        &mut rt,
        r#"
        let r = #{};
        try { ignitenet::sites::list(); } catch (e) { r = #{status: e.status, message: e.message, body: e.body, kind: e.kind}; }
        r
    "#,
    );
    let m = fleetscript::script::convert::dynamic_to_json(&out);
    assert_eq!(m["message"], "x-api-key header is not valid");
    assert_eq!(m["body"], "x-api-key header is not valid");
    assert_eq!(
        (m["status"].as_i64(), m["kind"].as_str()),
        (Some(401), Some("api"))
    );
    assert_eq!(sim.counters().unauthorized, 1, "401 is not retried");

    // A validation error: the cloud's text, not a JSON parse error.
    let mut rt = runtime_for(&sim);
    let err = eval_err(
        &mut rt,
        &format!(r#"ignitenet::sites::set_config("{SITE}", #{{"nosuchroot/x": "1"}});"#),
    );
    assert!(
        err.contains(r#"unknown config key "nosuchroot/x": root "nosuchroot" does not exist"#),
        "{err}"
    );
    let err = eval_err(
        &mut rt,
        &format!(
            r#"ignitenet::request("POST", "site/{SITE}/config-changes", #{{timestamp: "t", changes: #{{"radio/r5/enable": #{{value: 1, origin: "site"}}}}}});"#
        ),
    );
    assert!(
        err.contains(r#"invalid value for "radio/r5/enable": values must be strings"#),
        "{err}"
    );
    // Maps and arrays are refused before any request; numbers become strings.
    let before = sim.counters().total;
    let posts = sim.counters().route("POST", "ignitenet/site_config");
    let err = eval_err(
        &mut rt,
        &format!(r#"ignitenet::sites::set_config("{SITE}", #{{"radio/r5/channel": [36, 40]}});"#),
    );
    assert!(err.contains("not an array"), "{err}");
    assert_eq!(sim.counters().route("POST", "ignitenet/site_config"), posts);
    assert!(
        sim.counters().total <= before + 1,
        "only the GET of the timestamp"
    );
    let v = eval(
        &mut rt,
        &format!(
            r#"ignitenet::sites::set_config("{SITE}", #{{"radio/r5/channel": 36, "radio/r5/enable": false}}).site"#
        ),
    );
    let v = fleetscript::script::convert::dynamic_to_json(&v);
    assert_eq!(v["radio/r5/channel"]["value"], "36");
    assert_eq!(v["radio/r5/enable"]["value"], "0");
}

#[test]
fn a_script_under_the_limit_never_sees_429() {
    // The real limit is 200 per 10 s; the same ratio on a shorter window keeps the test short.
    let sim = Simulator::start(SimOptions {
        routers: 1,
        ignitenet_rate_limit: RateLimit {
            requests: 40,
            per: Duration::from_millis(250),
        },
        ..Default::default()
    })
    .unwrap();
    let mut cfg = config_for(&sim);
    cfg.ignitenet.rate_limit = RateLimit {
        requests: 38,
        per: Duration::from_millis(250),
    };
    let mut rt = Runtime::new(cfg).unwrap();
    let n = eval(
        &mut rt,
        "let n = 0; for i in 0..500 { n += ignitenet::sites::list().len(); } n",
    );
    assert_eq!(n.as_int().unwrap(), 1500);
    assert_eq!(sim.counters().route("GET", "ignitenet/sites"), 500);
    // The simulator answers 429 to a 41st request in any 250 ms: none means the client's
    // limiter paced all 500 (unpaced, they come faster than that).
    assert_eq!(sim.counters().too_many, 0, "no 429 answered");
    assert_eq!(rt.ignitenet().transport().stats.retries(), 0);

    // Without the client-side limit the cloud answers 429s; they are waited out and retried.
    let mut cfg = config_for(&sim);
    cfg.ignitenet.rate_limit = RateLimit {
        requests: 100_000,
        per: Duration::from_millis(250),
    };
    cfg.ignitenet.too_many_wait = Duration::from_millis(100);
    sim.reset_counters();
    let mut rt = Runtime::new(cfg).unwrap();
    let n = eval(
        &mut rt,
        "let n = 0; for i in 0..120 { n += ignitenet::sites::list().len(); } n",
    );
    assert_eq!(
        n.as_int().unwrap(),
        360,
        "every request succeeded in the end"
    );
    assert!(
        sim.counters().too_many > 0,
        "the simulator enforces the limit"
    );
}

#[test]
fn a_stale_timestamp_is_retried_after_a_concurrent_change() {
    let sim = sim(1);
    let rt = runtime_for(&sim);
    let target = Target::Site(SITE.into());
    // Someone saves in the Cloud UI between our GET and our POST, once.
    let calls = std::sync::atomic::AtomicU32::new(0);
    let build = |_: &serde_json::Value| {
        if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            sim.with_ignitenet(|s| s.touch_site(SITE, "locale/code", "CA"));
        }
        Ok(fleetscript::ignitenet::config_map::ConfigMap::from([(
            "radio/global/bandSteering".to_string(),
            fleetscript::ignitenet::config_map::Entry::new("1", Origin::Site),
        )]))
    };
    let answer = rt.ignitenet().set_config(&target, &build).unwrap();
    assert_eq!(answer["attempts"], 2);
    assert_eq!(answer["serverSideChanged"], false);
    assert_eq!(
        answer["site"]["radio/global/bandSteering"]["value"], "1",
        "our change is saved"
    );
    assert_eq!(
        answer["site"]["locale/code"]["value"], "CA",
        "and so is theirs"
    );
    assert_eq!(sim.counters().route("POST", "ignitenet/site_config"), 2);

    // The timestamp changes on every save.
    let t1 = rt.ignitenet().config(&target).unwrap()["timestamp"].clone();
    rt.ignitenet()
        .set_config(&target, &|_| Ok(Default::default()))
        .unwrap();
    assert_ne!(rt.ignitenet().config(&target).unwrap()["timestamp"], t1);

    // Someone saving every time: bounded attempts, then a clear failure; nothing saved.
    sim.reset_counters();
    let always = |_: &serde_json::Value| {
        sim.with_ignitenet(|s| s.touch_site(SITE, "locale/code", "MX"));
        Ok(fleetscript::ignitenet::config_map::ConfigMap::from([(
            "radio/r24/enable".to_string(),
            fleetscript::ignitenet::config_map::Entry::new("0", Origin::Site),
        )]))
    };
    let e = rt.ignitenet().set_config(&target, &always).unwrap_err();
    assert!(
        e.to_string().contains("serverSideChanged") && e.to_string().contains("nothing was saved"),
        "{e}"
    );
    assert_eq!(
        sim.counters().route("POST", "ignitenet/site_config"),
        6,
        "1 + 5 stale retries"
    );
    assert_eq!(
        sim.with_ignitenet(|s| s.site(SITE).unwrap().config["radio/r24/enable"]
            .value
            .clone()),
        "1"
    );

    // The same through Rhai: set_ssid re-applies the rename after a concurrent save.
    let dev = first_site_devices(&sim)[1].clone();
    sim.with_ignitenet(|s| s.touch_device(&dev, "system/hostname", "renamed", Origin::Device));
    let r = rt
        .ignitenet()
        .set_ssid(
            &Target::Device(dev.clone()),
            &EntityRef::Name("Guest".into()),
            "Guest-AP2",
        )
        .unwrap();
    assert_eq!(r["before"], "Guest");
    assert_eq!(
        sim.with_ignitenet(|s| s.effective(&dev).unwrap()["wireless/1000000002/ssid"].clone()),
        "Guest-AP2"
    );
}

#[test]
fn suspended_configs_fail_with_the_reason() {
    let sim = sim(1);
    let mut rt = runtime_for(&sim);
    let dev = first_site_devices(&sim)[2].clone();
    sim.with_ignitenet(|s| {
        s.device_mut(&dev).unwrap().record["suspend_config"] = serde_json::json!(true)
    });
    let err = eval_err(
        &mut rt,
        &format!(r#"ignitenet::set_ssid(#{{device: "{dev}"}}, "Guest", "X");"#),
    );
    assert!(
        err.contains("configSuspended") && err.contains(&dev),
        "{err}"
    );
    assert_eq!(sim.counters().route("POST", "ignitenet/device_config"), 0);
    let kind = eval(
        &mut rt,
        &format!(
            r#"let k = ""; try {{ ignitenet::devices::set_config("{dev}", #{{"radio/r5/enable": "0"}}); }} catch (e) {{ k = e.kind; }} k"#
        ),
    );
    assert_eq!(kind.to_string(), "refused");
}

#[test]
fn entities_from_defaults_users_and_overrides() {
    let sim = sim(1);
    let mut rt = runtime_for(&sim);
    let devs = first_site_devices(&sim);
    let out = eval(
        &mut rt,
        &format!(
            r#"
        let c = ignitenet::sites::config("{SITE}");
        let e = ignitenet::config::new_entity(c, "ssid", #{{ssid: "Staff", key: "long-passphrase"}});
        ignitenet::sites::set_config("{SITE}", e.changes);
        ignitenet::add_user("{SITE}", "auditor", "Long-Passw0rd");
        let d = ignitenet::devices::config("{dev}");
        let local = ignitenet::config::new_entity(d, "ssid", #{{ssid: "Local"}});
        ignitenet::devices::set_config("{dev}", local.changes);
        let ov = ignitenet::config::override_entity(d, "ssid", 1000000001, #{{ssid: "Corp-Lobby"}});
        ignitenet::devices::set_config("{dev}", ov);
        [e.id, local.id, ignitenet::config::user_id("auditor"),
         ignitenet::config::entities(ignitenet::sites::config("{SITE}"), "user").map(|u| u.name),
         ov.values().map(|x| x.origin)]
    "#,
            dev = devs[3]
        ),
    );
    let v = fleetscript::script::convert::dynamic_to_json(&out);
    assert_eq!(
        v[0], 1_000_000_003u64,
        "the next site id after 1000000001 and 1000000002"
    );
    assert_eq!(v[1], 1, "the first device-level id");
    assert_eq!(v[2], 3_460_876_973u64, "CRC-32 of \"auditor\"");
    assert_eq!(v[3], serde_json::json!(["admin", "auditor"]));
    assert!(v[4].as_array().unwrap().iter().all(|o| o == "site-device"));
    sim.with_ignitenet(|s| {
        let site = &s.site(SITE).unwrap().config;
        assert_eq!(site["wireless/1000000003/"].value, "1000000003");
        assert_eq!(
            site["wireless/1000000003/preferredRadio"].value, "r5,r24",
            "copied from defaults.ssid"
        );
        assert_eq!(
            site["users/3460876973/role"].value, "admin",
            "copied from defaults.user"
        );
        let eff = s.effective(&devs[3]).unwrap();
        assert_eq!(eff["wireless/1/ssid"], "Local");
        assert_eq!(eff["wireless/1000000001/ssid"], "Corp-Lobby");
        assert_eq!(
            eff["wireless/1000000001/key"], site["wireless/1000000001/key"].value,
            "the whole entity was copied"
        );
        assert_eq!(
            s.effective(&devs[4]).unwrap()["wireless/1000000003/ssid"],
            "Staff",
            "inherited by the other devices"
        );
    });
    // Adding the same user again changes the password of the same entity.
    run(
        &mut rt,
        &format!(r#"ignitenet::add_user("{SITE}", "auditor", "Another-Passw0rd")"#),
    );
    sim.with_ignitenet(|s| {
        assert_eq!(
            s.site(SITE).unwrap().config["users/3460876973/password"].value,
            "Another-Passw0rd"
        )
    });
    let err = eval_err(
        &mut rt,
        &format!(r#"ignitenet::add_user("{SITE}", "auditor", "short")"#),
    );
    assert!(err.contains("at least 8"), "{err}");
}

#[test]
fn ssid_script_renames_on_the_site_except_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let script =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/ignitenet_ssid.rhai");
    // In-process, to read the simulator's effective configs afterwards.
    let mut cfg = fleetscript::Config::default();
    cfg.args.insert("site".into(), SITE.into());
    cfg.args.insert("from".into(), "Guest".into());
    cfg.args.insert("to".into(), "Guest-2026".into());
    let mut rt =
        fleetscript::sim::sandbox::runtime(cfg, SimOptions::default(), Default::default()).unwrap();
    let _ = rt.run_file(&script).map_err(|e| e.render()).unwrap();
    let sim = rt.sim().unwrap();
    let (changed, kept) = sim.with_ignitenet(|s| {
        let mut changed = 0;
        let mut kept = vec![];
        for d in s.devices_of(SITE) {
            let id = d.record["id"].as_str().unwrap();
            let overrides = d
                .config
                .get("wireless/1000000002/ssid")
                .is_some_and(|e| e.origin == Origin::SiteDevice);
            let eff = s.effective(id).unwrap()["wireless/1000000002/ssid"].clone();
            if overrides {
                assert_eq!(eff, "Guest-Lobby", "{id} keeps its override");
                kept.push(id.to_string());
            } else {
                assert_eq!(eff, "Guest-2026", "{id}");
                changed += 1;
            }
        }
        (changed, kept)
    });
    assert_eq!((changed, kept.len()), (5, 1));
    // Other sites are untouched.
    assert_eq!(
        sim.with_ignitenet(|s| s.sites[1].config["wireless/1000000002/ssid"].value.clone()),
        "Guest"
    );

    // The binary, as the README shows it: --sandbox needs no key; --dry-run saves nothing.
    let site_arg = format!("site={SITE}");
    let rename = |extra: &[&str]| {
        let mut args = vec!["run", script.to_str().unwrap(), "--sandbox"];
        args.extend_from_slice(extra);
        args.extend([
            "--arg",
            &site_arg,
            "--arg",
            "from=Guest",
            "--arg",
            "to=Guest-2026",
        ]);
        let o = bin().current_dir(dir.path()).args(&args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let out = rename(&[]);
    assert!(out.contains("\"Guest\" -> \"Guest-2026\""), "{out}");
    assert!(
        out.contains("5 of 6 devices changed to \"Guest-2026\"; 1 keep their own override"),
        "{out}"
    );
    let out = rename(&["--dry-run"]);
    assert!(
        out.contains("dry-run: would save") && out.contains("\"wireless/1000000002/ssid\""),
        "{out}"
    );
    // A device override through the binary, against a test simulator.
    let sim = crate::common::sim(1);
    let dev = first_site_devices(&sim)[2].clone();
    let o = bin_for(&sim)
        .current_dir(dir.path())
        .args([
            "run",
            script.to_str().unwrap(),
            "--arg",
            &format!("site={SITE}"),
            "--arg",
            "from=id:1000000001",
            "--arg",
            "to=Corp-Lab",
            "--arg",
            &format!("device={dev}"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    sim.with_ignitenet(|s| {
        assert_eq!(
            s.effective(&dev).unwrap()["wireless/1000000001/ssid"],
            "Corp-Lab"
        );
        assert_eq!(
            s.device(&dev).unwrap().config["wireless/1000000001/key"].origin,
            Origin::SiteDevice
        );
        assert_ne!(
            s.site(SITE).unwrap().config["wireless/1000000001/ssid"].value,
            "Corp-Lab"
        );
    });
}

#[test]
fn inventory_script_writes_every_device() {
    let sim = sim(1);
    let dir = tempfile::tempdir().unwrap();
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/ignitenet_inventory.rhai");
    let o = bin_for(&sim)
        .current_dir(dir.path())
        .args(["run", script.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = csv::Reader::from_path(dir.path().join("ignitenet_inventory.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(rows, 18);
    assert_eq!(sim.counters().route("GET", "ignitenet/site_devices"), 3);
    assert!(String::from_utf8_lossy(&o.stdout).contains("3 sites, 18 devices"));
    // The API key never shows, not even in an error.
    let o = bin_for(&sim)
        .env("IGNITENET_API_KEY", "wrong-secret-key-123")
        .current_dir(dir.path())
        .args(["run", script.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    // Refused keys: exit 3, one line naming the key, no script frames.
    assert_eq!(o.status.code(), Some(3));
    assert!(!err.contains("-->"), "{err}");
    assert!(
        err.contains("x-api-key header is not valid") && !err.contains("wrong-secret-key-123"),
        "{err}"
    );
}

#[test]
fn dry_run_posts_nothing() {
    let sim = sim(1);
    let mut cfg = config_for(&sim);
    cfg.http.dry_run = true;
    let mut rt = Runtime::new(cfg).unwrap();
    let v = eval(
        &mut rt,
        &format!(r#"ignitenet::set_ssid("{SITE}", "Guest", "Guest-2026")"#),
    );
    let v = fleetscript::script::convert::dynamic_to_json(&v);
    assert_eq!(v["dry_run"], true);
    assert_eq!(
        v["changes"]["wireless/1000000002/ssid"]["value"],
        "Guest-2026"
    );
    assert_eq!(sim.counters().route("POST", "ignitenet/site_config"), 0);
    assert_eq!(rt.ignitenet().transport().stats.dry_run_writes(), 1);
    sim.with_ignitenet(|s| {
        assert_eq!(
            s.site(SITE).unwrap().config["wireless/1000000002/ssid"].value,
            "Guest"
        )
    });
}

#[test]
fn a_misspelt_ignitenet_call_fails_before_any_request() {
    let sim = sim(1);
    let mut rt = runtime_for(&sim);
    let err = eval_err(
        &mut rt,
        "let n = ignitenet::sites::list().len();\nif n > 100 { ignitenet::site::devices(1); }",
    );
    assert!(
        err.contains("did you mean ignitenet::sites::devices") && err.contains("test.rhai:2:"),
        "{err}"
    );
    assert_eq!(sim.counters().total, 0);
}

#[test]
fn the_simulator_wants_json_posts() {
    let sim = sim(1);
    let url = format!("{}site/{SITE}/config-changes", sim.ignitenet_base_url());
    let r = reqwest::blocking::Client::new()
        .post(&url)
        .header("x-api-key", fleetscript::sim::SANDBOX_IGNITENET_KEY)
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        r.text().unwrap(),
        "content-type header must be application/json"
    );
    // The client always sends it.
    let rt = runtime_for(&sim);
    rt.ignitenet()
        .set_config(&Target::Site(SITE.into()), &|_| Ok(Default::default()))
        .unwrap();
}

/// Sites and devices go by name wherever an id goes: one read of the sites (and, for a device,
/// of their device lists), kept for the run; "did you mean" for no match, the matches for several.
#[test]
fn sites_and_devices_by_name_wherever_an_id_goes() {
    let sim = sim(1);
    let mut rt = runtime_for(&sim);
    let (site_name, dev) = sim.with_ignitenet(|s| {
        let d = s.devices_of(SITE).next().unwrap().record.clone();
        (
            s.site(SITE).unwrap().record["name"]
                .as_str()
                .unwrap()
                .to_string(),
            d,
        )
    });
    let dev_id = dev["id"].as_str().unwrap().to_string();
    let dev_name = dev["name"].as_str().unwrap().to_string();
    sim.reset_counters();
    let n = eval(
        &mut rt,
        &format!("ignitenet::sites::devices({site_name:?}).len()"),
    );
    assert_eq!(n.as_int().unwrap() as usize, first_site_devices(&sim).len());
    assert_eq!(sim.counters().route("GET", "ignitenet/sites"), 1);
    let ts = eval(
        &mut rt,
        &format!(
            "[ignitenet::sites::config({site_name:?}).timestamp != (), ignitenet::devices::config({dev_name:?}).device.len() > 0]"
        ),
    );
    assert_eq!(format!("{ts:?}"), "[true, true]");
    // The sites were read once; every site's devices once.
    assert_eq!(sim.counters().route("GET", "ignitenet/sites"), 1);
    assert_eq!(sim.counters().route("GET", "ignitenet/site_devices"), 1 + 3);
    let saved = eval(
        &mut rt,
        &format!(
            r#"ignitenet::devices::set_config({:?}, #{{"system/hostname": "renamed"}}); ignitenet::devices::config({dev_id:?}).device["system/hostname"].value"#,
            dev["hostname"].as_str().unwrap()
        ),
    );
    assert_eq!(saved.to_string(), "renamed");
    // set_ssid and add_user take them too.
    run(
        &mut rt,
        &format!(
            r#"ignitenet::set_ssid(#{{site: {site_name:?}}}, "Guest", "Guest-2"); ignitenet::add_user({site_name:?}, "auditor", "Long-Passw0rd")"#
        ),
    );
    let third = first_site_devices(&sim)[2].clone();
    let eff = sim.with_ignitenet(|s| s.effective(&third).unwrap());
    assert_eq!(eff["wireless/1000000002/ssid"], "Guest-2");
    let e = eval_err(&mut rt, r#"ignitenet::sites::config("Warehous")"#);
    assert!(e.contains(r#"no IgniteNet site has the id, name, hostname, serial number or MAC "Warehous"; did you mean "Warehouse"?"#), "{e}");
    sim.with_ignitenet(|s| {
        for d in s.devices.iter_mut().take(2) {
            d.record["name"] = "Twin".into();
        }
    });
    let mut rt = runtime_for(&sim);
    let e = eval_err(&mut rt, r#"ignitenet::devices::config("Twin")"#);
    assert!(e.contains(r#"device "Twin" matches 2 devices"#), "{e}");
}

/// `devices::set_config` overrides a whole inherited entity, never a sub-key (the notes: "copy
/// every key of that entity into the device config with origin `site-device` and change what
/// differs; never override only some sub-keys of an entity"); a device's own entity changes key
/// by key. And the `/devices/{deviceId}/config` call the API text names exists in client and
/// simulator.
#[test]
fn a_device_change_to_an_inherited_entity_overrides_it_whole() {
    let sim = sim(1);
    let mut rt = runtime_for(&sim);
    let devs = first_site_devices(&sim);
    let (own, inherits) = (devs[1].clone(), devs[2].clone());
    let entity_keys = sim.with_ignitenet(|s| {
        s.site(SITE)
            .unwrap()
            .config
            .keys()
            .filter(|k| k.starts_with("wireless/1000000002/"))
            .count()
    });
    assert!(entity_keys > 3);
    let sent = eval(
        &mut rt,
        &format!(
            r#"ignitenet::devices::set_config({inherits:?}, #{{"wireless/1000000002/ssid": "Lobby"}}).changes"#
        ),
    );
    let sent = sent.cast::<rhai::Map>();
    assert_eq!(sent.len(), entity_keys, "{sent:?}");
    for (k, e) in &sent {
        assert!(k.starts_with("wireless/1000000002/"), "{k}");
        let e = e.clone().cast::<rhai::Map>();
        assert_eq!(e["origin"].to_string(), "site-device", "{k}");
    }
    let (device, eff) = sim.with_ignitenet(|s| {
        (
            s.device(&inherits).unwrap().config.clone(),
            s.effective(&inherits).unwrap(),
        )
    });
    assert_eq!(
        device
            .keys()
            .filter(|k| k.starts_with("wireless/1000000002/"))
            .count(),
        entity_keys,
        "the device holds the whole entity"
    );
    assert_eq!(eff["wireless/1000000002/ssid"], "Lobby");
    // The device's own entity: one key, origin device.
    let sent = eval(
        &mut rt,
        &format!(
            r#"ignitenet::devices::set_config({own:?}, #{{"wireless/1/ssid": "Maint-2"}}).changes"#
        ),
    );
    let sent = sent.cast::<rhai::Map>();
    assert_eq!(sent.len(), 1, "{sent:?}");
    // GET devices/<id>/config: the device's config object.
    let obj = eval(
        &mut rt,
        &format!(r#"ignitenet::devices::config_object({inherits:?})["wireless/1000000002/ssid"]"#),
    );
    let obj = obj.cast::<rhai::Map>();
    assert_eq!(obj["value"].to_string(), "Lobby");
    assert_eq!(obj["origin"].to_string(), "site-device");
    assert_eq!(
        sim.counters()
            .route("GET", "ignitenet/device_config_object"),
        1
    );
}
