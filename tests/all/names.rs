//! Routers and groups by name: `ncm::router` / `ncm::group` find a record by name, MAC, serial
//! number or id (one request, kept for the run), say "did you mean" on no match and list the
//! candidates on several; helpers and `--arg group=NAME` take names; versions compare as versions.

use crate::common::*;

#[test]
fn a_router_by_name_mac_serial_or_id_and_a_group_by_name() {
    let sim = sim(30);
    let mut rt = runtime_for(&sim);
    let r = sim.records("routers")[3].clone();
    let (id, name, mac, serial) = (
        r["id"].as_str().unwrap(),
        r["name"].as_str().unwrap(),
        r["mac"].as_str().unwrap(),
        r["serial_number"].as_str().unwrap(),
    );
    for key in [
        name.to_string(),
        mac.to_lowercase(),
        mac.replace(':', ""),
        serial.to_string(),
        id.to_string(),
    ] {
        let got = eval(&mut rt, &format!("ncm::router({key:?}).id"));
        assert_eq!(got.to_string(), id, "{key}");
    }
    let g = sim.records("groups")[0].clone();
    let got = eval(
        &mut rt,
        &format!("ncm::group({:?}).id", g["name"].as_str().unwrap()),
    );
    assert_eq!(got.to_string(), g["id"].as_str().unwrap());
    let got = eval(
        &mut rt,
        &format!("ncm::group({:?}).name", g["resource_url"].as_str().unwrap()),
    );
    assert_eq!(got.to_string(), g["name"].as_str().unwrap());
    let err = eval_err(
        &mut rt,
        &format!("ncm::group({:?})", r["resource_url"].as_str().unwrap()),
    );
    assert!(
        err.contains("routers"),
        "a router's URL is not a group: {err}"
    );

    // Kept for the run: asking again sends nothing.
    sim.reset_counters();
    let _ = eval(
        &mut rt,
        &format!(
            "ncm::router({name:?}); ncm::group({:?})",
            g["name"].as_str().unwrap()
        ),
    );
    assert_eq!(sim.counters().total, 0);
}

#[test]
fn no_match_suggests_and_several_matches_are_listed() {
    let sim = sim(30);
    let mut rt = runtime_for(&sim);
    let g = sim.records("groups")[0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let typo = format!("{}x", &g[..g.len() - 1]);
    let err = eval_err(&mut rt, &format!("ncm::group({typo:?})"));
    assert!(
        err.contains("did you mean") && err.contains(&format!("{g:?}")),
        "{err}"
    );

    let ids: Vec<String> = sim.records("routers")[..2]
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids {
        let _ = eval(
            &mut rt,
            &format!(r#"ncm::routers::update({id}, #{{name: "twin"}})"#),
        );
    }
    let err = eval_err(&mut rt, r#"ncm::router("twin")"#);
    assert!(
        err.contains("matches 2 routers") && err.contains(&ids[0]) && err.contains(&ids[1]),
        "{err}"
    );
}

#[test]
fn helpers_take_names_and_versions_compare_as_versions() {
    let sim = sim(10);
    let mut cfg = config_for(&sim);
    cfg.http.dry_run = true;
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let g = sim.records("groups")[0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let r = sim.records("routers")[0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = eval(
        &mut rt,
        &format!("ncm::reboot_group({g:?}); ncm::reboot_router({r:?})"),
    );
    assert_eq!(rt.ncm().transport().stats.dry_run_writes(), 2);
    let got = eval(
        &mut rt,
        r#"[ncm::version_cmp("7.22.60", "7.4.0"), ncm::version_cmp("7.4", "7.4.0"), ncm::version_cmp("6.1.0", "6.10.0")]"#,
    );
    let got: Vec<i64> = got
        .into_array()
        .unwrap()
        .iter()
        .map(|d| d.as_int().unwrap())
        .collect();
    assert_eq!(got, [1, 0, -1]);
}

/// `--arg group=NAME` for the scripts that take a group: the name becomes the id before the
/// script starts; an unknown name exits 2 with suggestions, before any change.
#[test]
fn group_arguments_take_names_and_an_unknown_one_exits_2() {
    let sim = sim(40);
    let dir = tempfile::tempdir().unwrap();
    let g = sim.records("groups")[0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let runs: [&[&str]; 3] = [
        &[
            "run",
            "apn_rollout",
            "--dry-run",
            "--arg",
            "apn=iot.example",
            "--arg",
        ],
        &[
            "run",
            "golden_config",
            "--dry-run",
            "--arg",
            "to=2002",
            "--arg",
        ],
        &["run", "drift_report", "--arg"],
    ];
    for (run, arg) in runs.iter().zip(["group", "from", "group"]) {
        let o = bin_for(&sim)
            .current_dir(dir.path())
            .args(*run)
            .arg(format!("{arg}={g}"))
            .args(["--allow-write", "."])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{run:?}: {err}");
        let o = bin_for(&sim)
            .current_dir(dir.path())
            .args(*run)
            .arg(format!("{arg}={g}x"))
            .args(["--allow-write", "."])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{run:?}: {err}");
        assert!(
            err.contains("did you mean") && err.contains(&g),
            "{run:?}: {err}"
        );
    }
}

/// Where a filter takes a group, account or router id, a name is accepted too: found with one
/// request, kept for the run; an unknown name says "did you mean", a name several records share
/// lists them.
#[test]
fn filters_take_names_where_ids_go() {
    let sim = sim(120);
    let group = sim
        .records("groups")
        .into_iter()
        .find(|g| g["name"] == "E100 Stores")
        .expect("the simulated fleet has an E100 Stores group");
    let gid = group["id"].as_str().unwrap().to_string();
    let members = sim
        .records("routers")
        .iter()
        .filter(|r| {
            r["group"]
                .as_str()
                .is_some_and(|u| u.ends_with(&format!("/groups/{gid}/")))
        })
        .count();
    assert!(members > 0, "E100 Stores has routers");

    let mut rt = runtime_for(&sim);
    sim.reset_counters();
    let by_id = eval(
        &mut rt,
        &format!("ncm::routers::list(#{{group: {gid}, fields: [\"id\"]}})"),
    );
    let requests_by_id = sim.counters().total;
    let mut rt = runtime_for(&sim);
    sim.reset_counters();
    let by_name = eval(
        &mut rt,
        r#"ncm::routers::list(#{group: "E100 Stores", fields: ["id"]})"#,
    );
    let requests_by_name = sim.counters().total;
    eprintln!(
        "routers of E100 Stores: {requests_by_id} request(s) by id, {requests_by_name} by name"
    );
    assert_eq!(format!("{by_id:?}"), format!("{by_name:?}"));
    assert_eq!(by_name.into_array().unwrap().len(), members);
    assert_eq!(requests_by_name, requests_by_id + 1, "one lookup");
    assert_eq!(sim.counters().route("GET", "groups"), 1);
    // Kept for the run: the same name again costs no lookup; __in lists take names too.
    sim.reset_counters();
    let n = eval(
        &mut rt,
        &format!(
            r#"ncm::routers::list(#{{group__in: ["E100 Stores", {gid}], fields: ["id"]}}).len()"#
        ),
    );
    assert_eq!(n.as_int().unwrap() as usize, members);
    assert_eq!(sim.counters().route("GET", "groups"), 0);

    // An account and a router by name.
    let account = sim.records("accounts")[0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let n = eval(
        &mut rt,
        &format!("ncm::routers::list(#{{account: {account:?}, fields: [\"id\"]}}).len()"),
    );
    assert_eq!(n.as_int().unwrap(), 120);
    let router = sim.records("routers")[0].clone();
    let got = eval(
        &mut rt,
        &format!(
            "ncm::net_devices::list(#{{router: {:?}}}).map(|d| ncm::id_of(d.router))",
            router["name"].as_str().unwrap()
        ),
    );
    let ids = got.into_array().unwrap();
    assert!(!ids.is_empty());
    assert!(ids
        .iter()
        .all(|i| i.to_string() == router["id"].as_str().unwrap()));

    // No match: "did you mean", and nothing listed.
    sim.reset_counters();
    let e = eval_err(&mut rt, r#"ncm::routers::list(#{group: "E100 Stors"})"#);
    assert!(
        e.contains(
            r#"group: no group has the id or name "E100 Stors"; did you mean "E100 Stores""#
        ),
        "{e}"
    );
    assert_eq!(sim.counters().route("GET", "routers"), 0);
    // Several groups of one name: an error listing them.
    let twins: Vec<String> = sim.records("groups")[..2]
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_string())
        .collect();
    for id in &twins {
        run(
            &mut rt,
            &format!(r#"ncm::groups::patch({id}, #{{name: "Twins"}})"#),
        );
    }
    let e = eval_err(&mut rt, r#"ncm::routers::list(#{group: "Twins"})"#);
    assert!(
        e.contains(r#"group "Twins" matches 2 groups"#)
            && e.contains(&format!("id {}", twins[0]))
            && e.contains(&format!("id {}", twins[1])),
        "{e}"
    );
}
