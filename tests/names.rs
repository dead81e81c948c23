//! Routers and groups by name: `ncm::router` / `ncm::group` find a record by name, MAC, serial
//! number or id (one request, kept for the run), say "did you mean" on no match and list the
//! candidates on several; helpers and `--arg group=NAME` take names; versions compare as versions.

mod common;

use common::*;

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
