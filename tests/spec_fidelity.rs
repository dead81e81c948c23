//! Places where the product differed from the NCM documentation, each pinned: filters and
//! fields the endpoint text documents, id forms its examples show, `order_by` only on the
//! Sort column's fields, and a PATCH that would drop removals refused before it is sent.

mod common;

use common::*;

#[test]
fn filters_fields_and_id_forms_the_documentation_shows() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    // "action (action__type): something an actor did" / "using: action__type: create".
    run(
        &mut rt,
        r#"ncm::activity_logs::list(#{action__type: "create"})"#,
    );
    // The documented router record carries "pc_removed".
    run(
        &mut rt,
        r#"ncm::routers::list(#{fields: ["id", "pc_removed"], limit: 1})"#,
    );
    // The router_logs example's id form: "created_at_timeuuid":"5603d1d2be3c87573aa6e613".
    run(
        &mut rt,
        r#"ncm::router_logs::list(#{router: 10001, created_at_timeuuid__lt: "5603d1d2be3c87573aa6e613"})"#,
    );
    // net_device_health documents net_device only.
    let e = eval_err(
        &mut rt,
        r#"ncm::net_device_health::list(#{fields: ["uptime"]})"#,
    );
    assert!(e.contains("unknown field 'uptime'"), "{e}");
}

#[test]
fn order_by_only_on_the_documented_sort_fields() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    run(
        &mut rt,
        r#"ncm::alerts::list(#{order_by: "-created_at_timeuuid", limit: 3})"#,
    );
    let e = eval_err(&mut rt, r#"ncm::alerts::list(#{order_by: "type"})"#);
    assert!(e.contains("sortable: created_at_timeuuid"), "{e}");
    let e = eval_err(&mut rt, r#"ncm::routers::list(#{order_by: "name"})"#);
    assert!(e.contains("routers has no sortable field"), "{e}");
    assert_eq!(sim.counters().route("GET", "routers"), 0);
}

#[test]
fn a_patch_with_removals_is_refused_before_it_is_sent() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let e = eval_err(
        &mut rt,
        r#"let cm = ncm::router_config(10001);
           ncm::configuration_managers::patch(cm.id, #{configuration: [#{}, [["system", "gps"]]]})"#,
    );
    assert!(e.contains("PATCH cannot remove; use PUT"), "{e}");
    let e = eval_err(
        &mut rt,
        r#"ncm::patch_router_config(10001, [#{}, [["system", "gps"]]])"#,
    );
    assert!(e.contains("PATCH cannot remove; use PUT"), "{e}");
    assert_eq!(sim.counters().writes, 0);
}

#[test]
fn the_simulator_filters_activity_logs_on_nested_fields() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let all = eval(&mut rt, "ncm::activity_logs::list().len()")
        .as_int()
        .unwrap();
    for (q, expect) in [
        (r#"#{action__type: "create"}"#, (all + 2) / 3),
        (r#"#{actor__type: "sso_user"}"#, all),
        (r#"#{object__type: "group"}"#, all),
        (r#"#{action__id: "act-4"}"#, 1),
        (r#"#{actor__type: "nobody"}"#, 0),
    ] {
        let n = eval(&mut rt, &format!("ncm::activity_logs::list({q}).len()"))
            .as_int()
            .unwrap();
        assert_eq!(n, expect, "{q}");
    }
    let rec = eval(&mut rt, "ncm::activity_logs::list(#{limit: 1})[0]");
    let m = rec.cast::<rhai::Map>();
    assert!(
        !m.keys().any(|k| k.contains("__")),
        "no stray top-level keys: {m:?}"
    );
}
