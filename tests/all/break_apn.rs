//! The simulator plays the failure NCM's config rollback guards against (`--break-apn`): a
//! device that syncs a config setting that APN goes offline; after `--rollback-after` it reverts
//! to its previous config, comes back online and its config sync is suspended.

use crate::common::*;
use std::time::{Duration, Instant};

/// Polls the simulator (each read also runs its due syncs and rollbacks) until `done` holds.
fn until(rt: &mut fleetscript::Runtime, what: &str, script: &str, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = eval(rt, script).to_string();
        if done(&v) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: still {v}");
        std::thread::yield_now();
    }
}

#[test]
fn a_broken_apn_cuts_the_device_off_then_it_rolls_back_suspended() {
    let sim = sim_with(fleetscript::sim::SimOptions {
        routers: 20,
        sync_delay: Duration::from_millis(30),
        break_apn: Some("broken.apn".into()),
        rollback_after: Duration::from_millis(300),
        ..Default::default()
    });
    let mut rt = runtime_for(&sim);
    let rid = eval(
        &mut rt,
        r#"ncm::routers::list(#{state: "online", fields: ["id", "config_status"]}).filter(|r| r.config_status == "synched")[0].id"#,
    )
    .to_string();
    let before = eval(
        &mut rt,
        &format!("json::stringify(ncm::router_config({rid}).actual)"),
    )
    .to_string();
    run(&mut rt, &format!(r#"ncm::set_apn({rid}, "broken.apn")"#));
    let state = format!(r#"ncm::routers::get({rid}, #{{fields: ["state"]}}).state"#);
    until(&mut rt, "cut off", &state, |s| s == "offline");
    until(&mut rt, "back online", &state, |s| s == "online");
    let cm = eval(
        &mut rt,
        &format!("let c = ncm::router_config({rid}); [c.suspended, c.synched, json::stringify(c.actual)]"),
    )
    .into_array()
    .unwrap();
    assert!(cm[0].as_bool().unwrap(), "sync suspended");
    assert!(!cm[1].as_bool().unwrap());
    assert_eq!(cm[2].to_string(), before, "the previous config is back");
    // A good APN on another router syncs as usual.
    let other = eval(
        &mut rt,
        &format!(r#"ncm::routers::list(#{{state: "online", fields: ["id", "config_status"]}}).filter(|r| r.config_status == "synched" && r.id != "{rid}")[0].id"#),
    )
    .to_string();
    run(&mut rt, &format!(r#"ncm::set_apn({other}, "good.apn")"#));
    until(
        &mut rt,
        "synched",
        &format!("ncm::router_config({other}).synched"),
        |s| s == "true",
    );
}
