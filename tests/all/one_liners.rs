//! One-liners and machine output: `run -e CODE`, `run -` (a script on standard input),
//! `endpoints NAME` and `--json`, `scripts --json`, and close names for a mistyped script or
//! endpoint.

use crate::common::*;
use std::io::Write;
use std::process::Stdio;

#[test]
fn run_e_prints_the_value_as_json_when_piped() {
    let o = bin()
        .args(["run", "--sandbox", "-e"])
        .arg(r#"ncm::routers::list(#{limit: 2, fields: ["id", "name"]})"#)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows[0]["name"].is_string());
    // A failing expression exits as a failing script does, with the position.
    let o = bin()
        .args(["run", "--sandbox", "-e", "ncm::routerz::list()"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn run_dash_reads_the_script_from_standard_input() {
    let mut child = bin()
        .args(["run", "-", "--sandbox"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"let n = ncm::routers::list(#{fields: [\"id\"]}).len();\nprint(`${n} routers`);\n",
        )
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "50 routers");
}

#[test]
fn endpoints_shows_one_endpoint_and_json() {
    let o = bin().args(["endpoints", "routers"]).output().unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("routers: "), "{out}");
    assert!(out.contains("state__in"), "{out}");
    let o = bin().args(["endpoints", "routerz"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("did you mean routers"), "{}", text(&o));
    let o = bin().args(["endpoints", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let routers = v["ncm"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "routers")
        .unwrap();
    assert_eq!(routers["paging"], "offset");
    assert!(routers["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "serial_number"));
    assert!(v["ignitenet"].as_array().unwrap().len() > 3);
    let o = bin()
        .args(["endpoints", "configuration_managers", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["name"], "configuration_managers");
}

#[test]
fn scripts_json_and_close_names_for_a_mistyped_script() {
    let o = bin().args(["scripts", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"inventory") && names.contains(&"nightly_backup"),
        "{names:?}"
    );
    let o = bin()
        .args(["run", "nightly_bakup", "--sandbox"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("did you mean nightly_backup?"),
        "{}",
        text(&o)
    );
}
