//! Every endpoint × documented method of the catalog is callable from Rhai and reaches the
//! simulator with that method; undocumented verbs do not exist.

use crate::common::*;
use fleetscript::ncm::catalog::{Verb, ENDPOINTS};

/// A valid POST body for each endpoint that documents POST.
fn create_body(endpoint: &str) -> &'static str {
    match endpoint {
        "accounts" => {
            r#"#{account: "https://www.cradlepointecm.com/api/v2/accounts/1000/", name: "new-sub"}"#
        }
        "device_app_bindings" => {
            r#"#{account: "https://www.cradlepointecm.com/api/v2/accounts/1000/", app_version: "https://www.cradlepointecm.com/api/v2/device_app_versions/101/", group: "https://www.cradlepointecm.com/api/v2/groups/2001/"}"#
        }
        "groups" => {
            r#"#{account: "https://www.cradlepointecm.com/api/v2/accounts/1000/", name: "Lab", product: "https://www.cradlepointecm.com/api/v2/products/41/", target_firmware: "https://www.cradlepointecm.com/api/v2/firmwares/305/"}"#
        }
        "locations" => {
            r#"#{account: "https://www.cradlepointecm.com/api/v2/accounts/1000/", accuracy: 0, latitude: 45, longitude: -100, method: "manual", router: "https://www.cradlepointecm.com/api/v2/routers/10001/"}"#
        }
        "speed_test" => {
            r#"#{account: "https://www.cradlepointecm.com/api/v2/accounts/1000/", config: #{host: "speed.example.com", max_test_concurrency: 5, net_device_ids: [50002], port: 12865, size: (), test_timeout: 10, test_type: "TCP Download", time: 10}}"#
        }
        "reboot_activity" => r#"#{router: "https://www.cradlepointecm.com/api/v2/routers/10002/"}"#,
        other => panic!("no POST body for {other}: add one so the endpoint is covered"),
    }
}

/// A valid PUT or PATCH body for record `id`: a PUT carries the fields the spec requires (`*`,
/// `!`); a group's or configuration manager's configuration goes alone.
fn update_body(endpoint: &str, id: &str) -> String {
    match endpoint {
        "configuration_managers" | "groups" => {
            r#"#{configuration: [#{system: #{logging: #{level: "debug"}}}, []]}"#.into()
        }
        "accounts" => format!(
            r#"#{{account: "https://www.cradlepointecm.com/api/v2/accounts/1000/", id: "{id}", name: "renamed"}}"#
        ),
        "locations" => r#"#{account: "https://www.cradlepointecm.com/api/v2/accounts/1000/", accuracy: 7, latitude: 45, longitude: -100, method: "manual", router: "https://www.cradlepointecm.com/api/v2/routers/10001/"}"#.into(),
        _ => r#"#{name: "renamed"}"#.into(),
    }
}

fn list_query(endpoint: &str) -> &'static str {
    match endpoint {
        "historical_locations" | "router_logs" => "#{router: 10001, limit: 3}",
        _ => "#{limit: 3}",
    }
}

#[test]
fn every_endpoint_and_verb_is_callable_against_the_simulator() {
    assert_eq!(ENDPOINTS.len(), 27);
    let sim = sim(30);
    let mut rt = runtime_for(&sim);
    let mut calls = 0;
    for ep in ENDPOINTS {
        let n = ep.name;
        for verb in ep.verbs() {
            let before = sim.counters().route(verb.method().as_str(), n);
            let first_id = sim
                .records(n)
                .first()
                .and_then(|r| r.get("id"))
                .map(|v| v.as_str().unwrap().to_string());
            let src = match verb {
                Verb::List => format!("let v = ncm::{n}::list({}); if type_of(v) != \"array\" {{ throw \"not an array\"; }} v.len()", list_query(n)),
                Verb::Pages => format!("let k = 0; for p in ncm::{n}::pages({}) {{ k += p.len(); break; }} k", list_query(n)),
                Verb::Get => {
                    let id = first_id.clone().unwrap_or_else(|| panic!("{n} has no records to get"));
                    format!("let o = ncm::{n}::get(\"{id}\"); if o.id != \"{id}\" {{ throw `wrong object ${{o.id}}`; }} o")
                }
                Verb::Create => format!("let o = ncm::{n}::create({}); if type_of(o) != \"map\" {{ throw \"not a map\"; }} o", create_body(n)),
                Verb::Update | Verb::Patch => {
                    let id = first_id.clone().unwrap_or_else(|| panic!("{n} has no records"));
                    format!("ncm::{n}::{}({id}, {})", verb.name(), update_body(n, &id))
                }
                Verb::Delete => {
                    // Delete the last record so earlier verbs keep theirs.
                    let id = sim.records(n).last().and_then(|r| r.get("id")).map(|v| v.as_str().unwrap().to_string()).unwrap_or_else(|| panic!("{n} has no records"));
                    // Groups answer 403 for an id they do not have ("403 Forbidden # Invalid URL
                    // or resource not visible").
                    let forbidden = ep.holds_configs;
                    format!("ncm::{n}::delete(\"{id}\"); let gone = false; try {{ ncm::{n}::get(\"{id}\"); }} catch (e) {{ gone = e.status == 404 || (e.status == 403 && {forbidden}); }} if !gone {{ throw \"still there\"; }}")
                }
            };
            run(&mut rt, &src);
            let after = sim.counters().route(verb.method().as_str(), n);
            assert!(
                after > before,
                "{n}::{} did not reach the simulator with {}",
                verb.name(),
                verb.method()
            );
            calls += 1;
        }
    }
    assert!(calls >= 27 * 2, "{calls}");
    assert_eq!(sim.counters().redirects, 0, "no request ever hit a 301");
    assert_eq!(sim.counters().reboots, vec!["routers/10002".to_string()]);
}

#[test]
fn only_documented_verbs_exist() {
    let sim = sim(3);
    let mut rt = runtime_for(&sim);
    for (call, what) in [
        ("ncm::routers::create(#{})", "routers has no POST"),
        ("ncm::products::delete(1)", "products is GET only"),
        (
            "ncm::reboot_activity::list()",
            "reboot_activity is POST only",
        ),
        (
            "ncm::configuration_managers::delete(1)",
            "no DELETE on configuration managers",
        ),
        ("ncm::net_devices::patch(1, #{})", "net_devices is GET only"),
    ] {
        let err = eval_err(&mut rt, call);
        assert!(
            err.contains("does not exist") && err.contains("documents"),
            "{what}: {err}"
        );
    }
    assert_eq!(sim.counters().total, 0);
}

#[test]
fn helpers_reboot_and_id_of() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    run(&mut rt, "ncm::reboot_router(10003); ncm::reboot_group(\"https://www.cradlepointecm.com/api/v2/groups/2001/\");");
    assert_eq!(
        sim.counters().reboots,
        vec!["routers/10003".to_string(), "groups/2001".to_string()]
    );
    let v = eval(
        &mut rt,
        "[ncm::id_of(\"https://x/api/v2/routers/42/\"), ncm::id_of(()), ncm::id_of(\"7\")]",
    )
    .into_array()
    .unwrap();
    assert_eq!(v[0].to_string(), "42");
    assert!(v[1].is_unit());
    assert_eq!(v[2].to_string(), "7");
    // An unknown router is a 403 from reboot_activity, surfaced with its status.
    let s = eval(
        &mut rt,
        "let s = 0; try { ncm::reboot_router(999999); } catch (e) { s = e.status; } s",
    );
    assert_eq!(s.as_int().unwrap(), 403);
}

#[test]
fn fields_expand_and_dotted_filters() {
    let sim = sim(10);
    let mut rt = runtime_for(&sim);
    let m = eval(&mut rt, "ncm::configuration_managers::list(#{\"router.id\": 10004, fields: [\"id\", \"router.id\"]})").into_array().unwrap();
    assert_eq!(m.len(), 1);
    let rec = m[0].clone().try_cast::<rhai::Map>().unwrap();
    assert_eq!(rec.len(), 2, "only the requested fields: {rec:?}");
    let router = rec["router"].clone().try_cast::<rhai::Map>().unwrap();
    assert_eq!(router["id"].to_string(), "10004");
    let g = eval(&mut rt, "let r = ncm::routers::list(#{group__in: [2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2010, 2011, 2012], expand: \"group\", limit: 1})[0]; r.group.name").to_string();
    assert!(g.contains("Stores") || g.contains("Vehicles"), "{g}");
    let cnt = eval(
        &mut rt,
        "ncm::routers::get(10001, #{fields: [\"id\", \"state\"]}).len()",
    )
    .as_int()
    .unwrap();
    assert_eq!(cnt, 2);
}

#[test]
fn a_typo_in_a_late_branch_fails_before_any_request() {
    let sim = sim(3);
    let mut rt = runtime_for(&sim);
    let err = eval_err(
        &mut rt,
        "ncm::routers::update(10001, #{name: \"x\"});\nif false {\n    ncm::router::list();\n}",
    );
    assert!(
        err.contains("ncm::router is not an NCM endpoint (did you mean routers")
            && err.contains("test.rhai:3:5"),
        "{err}"
    );
    assert_eq!(
        sim.counters().total,
        0,
        "the update before the typo was never sent"
    );
}

#[test]
fn every_exported_function_has_a_doc_comment_with_an_example() {
    let sim = sim(1);
    let rt = runtime_for(&sim);
    let meta: serde_json::Value =
        serde_json::from_str(&rt.engine().gen_fn_metadata_to_json(false).unwrap()).unwrap();
    let mut checked = 0;
    fn walk(path: &str, m: &serde_json::Value, checked: &mut usize) {
        for f in m["functions"].as_array().into_iter().flatten() {
            let name = f["name"].as_str().unwrap();
            let doc = f["docComments"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .map(|x| x.as_str().unwrap())
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            assert!(
                doc.starts_with("///") && doc.contains("```rhai"),
                "{path}::{name} lacks a doc comment with an example: {doc:?}"
            );
            *checked += 1;
        }
        for (k, sub) in m["modules"].as_object().into_iter().flatten() {
            walk(&format!("{path}::{k}"), sub, checked);
        }
    }
    for (k, m) in meta["modules"].as_object().unwrap() {
        walk(k, m, &mut checked);
    }
    // 27 endpoints' verbs plus the helpers and everyday modules.
    assert!(checked > 120, "{checked}");
}
