//! Places where the product differed from the NCM documentation, each pinned: filters and
//! fields the endpoint text documents, id forms its examples show, `order_by` only on the
//! Sort column's fields, a PATCH that would drop removals refused before it is sent, and write
//! bodies as the spec says (read-only fields refused by client and simulator, the fields a PUT
//! requires, one reboot target).

use crate::common::*;
use fleetscript::sim::Simulator;

/// A request to the simulator over plain HTTP, past the client's checks: status and body text.
fn raw(sim: &Simulator, method: &str, path: &str, body: &str) -> (u16, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = reqwest::blocking::Client::new()
        .request(m, format!("{}/{path}", sim.ncm_base_url()))
        .headers(crate::common::sandbox_headers())
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    (r.status().as_u16(), r.text().unwrap_or_default())
}

/// Read-only fields ("is_disabled | bool | True if the account is disabled | Read Only", a
/// router's "target_firmware | url | Firmware currently assigned to the router’s group" and
/// "upgrade_pending | boolean | The device has a pending NCOS upgrade") are refused by the client
/// before sending and by the simulator (409, as "If you include any other field in your PUT
/// request payload you will get a 409 Conflict").
#[test]
fn read_only_fields_are_refused_by_client_and_simulator() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let account = sim.records("accounts")[0].clone();
    let (aid, parent) = (
        account["id"].as_str().unwrap(),
        account["account"]
            .as_str()
            .unwrap_or("https://www.cradlepointecm.com/api/v2/accounts/1/"),
    );
    for (src, wants) in [
        (
            format!(
                r#"ncm::accounts::update({aid}, #{{account: {parent:?}, id: "{aid}", name: "x", is_disabled: true}})"#
            ),
            "is_disabled is not writable on accounts",
        ),
        (
            r#"ncm::routers::update(10001, #{target_firmware: "https://x/api/v2/firmwares/300/"})"#
                .into(),
            "target_firmware is not writable on routers: the API documents it as read only",
        ),
        (
            r#"ncm::routers::update(10001, #{upgrade_pending: false})"#.into(),
            "upgrade_pending is not writable on routers",
        ),
        (
            r#"ncm::routers::update(10001, #{id: 10002})"#.into(),
            "id is not writable on routers",
        ),
        (
            r#"ncm::configuration_managers::patch(500007, #{synched: true})"#.into(),
            "synched is not writable on configuration_managers",
        ),
        (
            r#"ncm::routers::update(10001, #{nmae: "x"})"#.into(),
            r#"unknown field "nmae" in the body; did you mean "name"?"#,
        ),
    ] {
        let e = eval_err(&mut rt, &src);
        assert!(e.contains(wants), "{src}: {e}");
    }
    assert_eq!(sim.counters().total, 0, "nothing was sent");
    for (method, path, body, field) in [
        (
            "PUT",
            "routers/10001/",
            r#"{"target_firmware": null}"#,
            "target_firmware",
        ),
        (
            "PUT",
            "routers/10001/",
            r#"{"upgrade_pending": true}"#,
            "upgrade_pending",
        ),
        (
            "PUT",
            &format!("accounts/{aid}/"),
            r#"{"is_disabled": true}"#,
            "is_disabled",
        ),
        (
            "PATCH",
            "configuration_managers/500007/",
            r#"{"version_number": 9}"#,
            "version_number",
        ),
    ] {
        let (status, text) = raw(&sim, method, path, body);
        assert_eq!(status, 409, "{method} {path} {body}: {text}");
        assert!(text.contains(&format!("{field} is not writable")), "{text}");
    }
    // What may be written is.
    let got = eval(
        &mut rt,
        r#"ncm::routers::update(10001, #{name: "kiosk", custom1: "c1", asset_id: "A-1"}); ncm::routers::get(10001).custom1"#,
    );
    assert_eq!(got.to_string(), "c1");
}

/// A PUT carries the fields the spec marks required ("* indicates the attribute is required in
/// the request body for PUT and POST requests", "! indicates the attribute is required for PUT
/// requests"), checked by the client before sending; a group PUT of its configuration alone is a
/// config write ("GET, PUT and PATCH work the same for groups as for configuration_managers").
#[test]
fn put_bodies_carry_the_required_fields() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let g = sim.records("groups")[0].clone();
    let gid = g["id"].as_str().unwrap();
    for (src, wants) in [
        (
            format!(r#"ncm::groups::update({gid}, #{{name: "x"}})"#),
            "groups: a PUT needs account, product, target_firmware (the API requires account, name, product, target_firmware in every PUT body; patch changes some fields alone)",
        ),
        (
            r#"ncm::accounts::update(1, #{name: "x"})"#.to_string(),
            "accounts: a PUT needs account, id",
        ),
        (
            r#"ncm::locations::update(1, #{latitude: 45})"#.to_string(),
            "locations: a PUT needs account, accuracy, longitude, method, router",
        ),
    ] {
        let e = eval_err(&mut rt, &src);
        assert!(e.contains(wants), "{src}: {e}");
    }
    assert_eq!(sim.counters().writes, 0, "nothing was sent");
    run(
        &mut rt,
        &format!(
            r#"let g = ncm::groups::get({gid});
               ncm::groups::update({gid}, #{{configuration: [#{{}}, []]}});
               ncm::groups::update({gid}, #{{account: g.account, name: "Renamed", product: g.product, target_firmware: g.target_firmware}});
               ncm::groups::patch({gid}, #{{name: "Patched"}});"#
        ),
    );
    assert_eq!(sim.counters().writes, 3);
    assert_eq!(sim.records("groups")[0]["name"], "Patched");
}

/// "Specifying both a router and a group in the same call is not supported": refused before
/// sending; the simulator answers 400.
#[test]
fn a_reboot_of_a_router_and_a_group_at_once_is_refused_before_sending() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let e = eval_err(
        &mut rt,
        r#"ncm::reboot_activity::create(#{router: "https://x/api/v2/routers/10001/", group: "https://x/api/v2/groups/2001/"})"#,
    );
    assert!(e.contains("give a router or a group, not both"), "{e}");
    let e = eval_err(&mut rt, r#"ncm::reboot_activity::create(#{})"#);
    assert!(e.contains("needs a router or a group URL"), "{e}");
    assert_eq!(sim.counters().total, 0, "nothing was sent");
    let (status, text) = raw(
        &sim,
        "POST",
        "reboot_activity/",
        &format!(
            r#"{{"router": "{0}/routers/10001/", "group": "{0}/groups/2001/"}}"#,
            sim.ncm_base_url()
        ),
    );
    assert_eq!(status, 400, "{text}");
    assert!(sim.counters().reboots.is_empty());
}

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
    let none = eval(
        &mut rt,
        r#"ncm::router_logs::list(#{router: 10001, created_at_timeuuid__lt: "5603d1d2be3c87573aa6e613"}).len()"#,
    );
    assert_eq!(none.as_int().unwrap(), 0, "every log is newer than 2015");
    // net_device_health documents net_device only.
    let e = eval_err(
        &mut rt,
        r#"ncm::net_device_health::list(#{fields: ["uptime"]})"#,
    );
    assert!(e.contains("unknown field 'uptime'"), "{e}");
}

/// `order_by` takes the fields the spec's Sort column marks, in the client and the simulator:
/// the timeuuid rows ("Ordering by the ID is equivalent to time ordering"; not
/// historical_locations', whose row has no mark) and the configuration managers' id
/// ("id # integer ID of this resource (readonly, sortable)").
#[test]
fn order_by_only_on_the_documented_sort_fields() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    run(
        &mut rt,
        r#"ncm::alerts::list(#{order_by: "-created_at_timeuuid", limit: 3})"#,
    );
    let ids = eval(
        &mut rt,
        r#"ncm::configuration_managers::list(#{order_by: "-id", fields: ["id"]}).map(|c| parse_int(c.id))"#,
    );
    let ids: Vec<i64> = ids
        .into_array()
        .unwrap()
        .iter()
        .map(|d| d.as_int().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "highest id first");
    assert_eq!(ids.len(), 5);
    let e = eval_err(&mut rt, r#"ncm::alerts::list(#{order_by: "type"})"#);
    assert!(e.contains("sortable: created_at_timeuuid"), "{e}");
    let e = eval_err(&mut rt, r#"ncm::routers::list(#{order_by: "name"})"#);
    assert!(e.contains("routers has no sortable field"), "{e}");
    let e = eval_err(
        &mut rt,
        r#"ncm::historical_locations::list(#{router: 10001, order_by: "created_at_timeuuid"})"#,
    );
    assert!(
        e.contains("historical_locations has no sortable field"),
        "{e}"
    );
    assert_eq!(sim.counters().route("GET", "routers"), 0);
    for (path, status) in [
        ("routers/?order_by=name", 400),
        ("configuration_managers/?order_by=version_number", 400),
        ("configuration_managers/?order_by=-id", 200),
    ] {
        assert_eq!(raw(&sim, "GET", path, "").0, status, "{path}");
    }
}

/// "403 Forbidden # Invalid URL or resource not visible" for a configuration manager (GET, PUT,
/// PATCH) the simulator has not got, and for a group ("GET, PUT and PATCH work the same for
/// groups as for configuration_managers"); other endpoints answer 404. Names still resolve.
#[test]
fn an_unknown_configuration_manager_or_group_is_403() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    for (method, path, body) in [
        ("GET", "configuration_managers/999999/", ""),
        (
            "PUT",
            "configuration_managers/999999/",
            r#"{"suspended": false}"#,
        ),
        (
            "PATCH",
            "configuration_managers/999999/",
            r#"{"configuration": [{}, []]}"#,
        ),
        ("GET", "groups/999999/", ""),
        ("PATCH", "groups/999999/", r#"{"name": "x"}"#),
    ] {
        let (status, text) = raw(&sim, method, path, body);
        assert_eq!(status, 403, "{method} {path}: {text}");
    }
    assert_eq!(raw(&sim, "GET", "routers/999999/", "").0, 404);
    let e = eval_err(&mut rt, r#"ncm::group("999999")"#);
    assert!(e.contains(r#"no group has the id or name "999999""#), "{e}");
    // Such a 403 is a missing record, not refused credentials: a failure (exit 1), not exit 3.
    let got = eval(
        &mut rt,
        r#"let r = (); try { ncm::configuration_managers::get(999999); } catch (e) { r = [e.status, e.cause, e.message]; } r"#,
    );
    let got = format!("{got:?}");
    assert!(
        got.contains("403")
            && got.contains("\"failure\"")
            && got.contains("no such record, or not visible to these API keys"),
        "{got}"
    );
    let o = bin_for(&sim)
        .args(["run", "-e", "ncm::groups::get(999999)"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
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

#[test]
fn the_simulator_keeps_group_fields_guards_device_type_and_propagates_target_firmware() {
    let sim = sim(20);
    let mut rt = runtime_for(&sim);
    // A group PUT keeps the other fields it carries.
    let name = eval(
        &mut rt,
        r#"let g = ncm::groups::list(#{limit: 1})[0];
           ncm::groups::update(g.id, #{account: g.account, name: "Stores West", product: g.product,
                                       target_firmware: g.target_firmware, configuration: [#{}, []]});
           ncm::groups::get(g.id).name"#,
    );
    assert_eq!(name.to_string(), "Stores West");
    // device_type is read-only.
    let e = eval_err(
        &mut rt,
        r#"ncm::routers::update(10001, #{device_type: "modem"})"#,
    );
    assert!(e.contains("device_type is not writable"), "{e}");
    // A group's target_firmware becomes its routers' target, with upgrade_pending.
    let out = eval(
        &mut rt,
        r#"let r = ncm::routers::list(#{fields: ["id", "group", "actual_firmware", "product"]}).filter(|r| r.group != ())[0];
           let gid = ncm::id_of(r.group);
           let other = ncm::firmwares::list().filter(|f| f.product == r.product).filter(|f| ncm::id_of(f.resource_url) != ncm::id_of(r.actual_firmware))[0];
           ncm::groups::patch(gid, #{target_firmware: other.resource_url});
           let after = ncm::routers::get(r.id, #{fields: ["target_firmware", "upgrade_pending"]});
           [ncm::id_of(after.target_firmware) == ncm::id_of(other.resource_url), after.upgrade_pending]"#,
    );
    assert_eq!(format!("{out:?}"), "[true, true]");
}

#[test]
fn speed_test_bodies_are_checked_before_sending_and_results_name_the_router() {
    let sim = sim(10);
    let mut rt = runtime_for(&sim);
    let nd = eval(
        &mut rt,
        r#"ncm::net_devices::list(#{mode: "wan", limit: 1})[0].id"#,
    )
    .to_string();
    let cfg = |over: &str| {
        format!(
            r#"let c = #{{host: "speed.example.com", max_test_concurrency: 5, net_device_ids: [{nd}], port: 12865, size: (), test_timeout: 10, test_type: "TCP Download", time: 10}}; {over}; ncm::speed_test::create(#{{config: c}})"#
        )
    };
    for (over, wants) in [
        ("c.remove(\"port\")", "config.port required"),
        ("c.net_device_ids = []", "1 to 10000 net device ids"),
        (
            "c.net_device_ids = []; for i in 0..10001 { c.net_device_ids.push(i); }",
            "1 to 10000 net device ids",
        ),
        (
            "c.max_test_concurrency = 51",
            "max_test_concurrency must be 1 to 50",
        ),
        (
            "c.test_type = \"UDP\"",
            "test_type must be one of TCP Download, TCP Upload, TCP Latency",
        ),
    ] {
        let e = eval_err(&mut rt, &cfg(over));
        assert!(e.contains(wants), "{over}: {e}");
    }
    assert_eq!(
        sim.counters().route("POST", "speed_test"),
        0,
        "nothing was sent"
    );
    let r = eval(&mut rt, &format!("{}; let j = ncm::speed_test::create(#{{config: c}}); ncm::speed_test::get(j.id).results[0]", cfg("1").rsplit_once("; ncm::").unwrap().0));
    let m = r.cast::<rhai::Map>();
    assert!(
        m.get("router_id").is_some_and(|v| v.as_int().is_ok()),
        "{m:?}"
    );
}

#[test]
fn in_lists_split_over_several_requests_honour_limit_and_order_overall() {
    let sim = sim(300);
    let mut rt = runtime_for(&sim);
    // 250 ids, highest first: the first request's chunk holds the highest ids.
    let got = eval(
        &mut rt,
        r#"let ids = ncm::routers::list(#{fields: ["id"]}).map(|r| parse_int(r.id));
           ids.sort(); ids.reverse();
           let wanted = ids.extract(0, 250);
           let five = ncm::routers::list(#{id__in: wanted, limit: 5, fields: ["id"]}).map(|r| parse_int(r.id));
           let lowest = wanted; lowest.sort();
           [five, lowest.extract(0, 5)]"#,
    );
    let pair = got.into_array().unwrap();
    assert_eq!(format!("{:?}", pair[0]), format!("{:?}", pair[1]));
    // order_by across chunks: the newest alerts of 250 routers, overall.
    let got = eval(
        &mut rt,
        r#"let ids = ncm::routers::list(#{fields: ["id"]}).map(|r| r.id).extract(0, 250);
           let newest = ncm::router_alerts::list(#{router__in: ids, order_by: "-created_at_timeuuid", limit: 5});
           let all = ncm::router_alerts::list(#{router__in: ids});
           all.sort(|a, b| if a.created_at > b.created_at { -1 } else if a.created_at < b.created_at { 1 } else { 0 });
           [newest.map(|a| a.created_at), all.extract(0, 5).map(|a| a.created_at)]"#,
    );
    let pair = got.into_array().unwrap();
    assert_eq!(format!("{:?}", pair[0]), format!("{:?}", pair[1]));
}

/// router_logs ids in the form the spec's example shows ("created_at_timeuuid":
/// "5603d1d2be3c87573aa6e613" for a log created at 2015-09-24T10:34:58, 0x5603d1d2 seconds since
/// the epoch), and the timeuuid filters (=, __in, __gt, __gte, __lt, __lte) work on them:
/// "Ordering by the ID is equivalent to time ordering".
#[test]
fn router_logs_ids_take_the_examples_form_and_filter_by_time() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let logs = eval(
        &mut rt,
        r#"ncm::router_logs::list(#{router: 10001, order_by: "created_at_timeuuid"}).map(|l| [l.created_at_timeuuid, l.created_at])"#,
    );
    let logs: Vec<(String, String)> = logs
        .into_array()
        .unwrap()
        .into_iter()
        .map(|p| {
            let p = p.into_array().unwrap();
            (p[0].to_string(), p[1].to_string())
        })
        .collect();
    assert_eq!(logs.len(), 30);
    for (id, created) in &logs {
        assert!(
            id.len() == 24
                && id
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{id}"
        );
        let secs = i64::from_str_radix(&id[..8], 16).unwrap();
        let at = chrono::DateTime::parse_from_rfc3339(created)
            .unwrap()
            .timestamp();
        assert_eq!(secs, at, "{id} is its created_at {created}");
    }
    assert!(logs.windows(2).all(|w| w[0].1 <= w[1].1), "ordered by time");
    let id = |i: usize| logs[i].0.clone();
    let mut count = |q: String| {
        eval(
            &mut rt,
            &format!("ncm::router_logs::list(#{{router: 10001, {q}}}).len()"),
        )
        .as_int()
        .unwrap()
    };
    assert_eq!(count(format!("created_at_timeuuid: {:?}", id(7))), 1);
    assert_eq!(
        count(format!(
            "created_at_timeuuid__in: [{:?}, {:?}]",
            id(3),
            id(20)
        )),
        2
    );
    assert_eq!(count(format!("created_at_timeuuid__gt: {:?}", id(9))), 20);
    assert_eq!(count(format!("created_at_timeuuid__gte: {:?}", id(9))), 21);
    assert_eq!(count(format!("created_at_timeuuid__lt: {:?}", id(9))), 9);
    assert_eq!(count(format!("created_at_timeuuid__lte: {:?}", id(9))), 10);
}

/// Net devices' `connection_state` with the spec's casing ("Connected, Connecting, Disconnecting,
/// Disconnected, Error, Ready, Configuring"): what the simulator serves is one of them, and a
/// filter on one finds the devices in that state.
#[test]
fn connection_states_have_the_specs_casing() {
    let sim = sim(20);
    let mut rt = runtime_for(&sim);
    let states = fleetscript::ncm::catalog::CONNECTION_STATES;
    let devices = sim.records("net_devices");
    for d in &devices {
        let s = d["connection_state"].as_str().unwrap_or_default();
        assert!(
            states.contains(&s),
            "{s:?} is not a documented connection_state: {d}"
        );
    }
    let online = sim
        .records("routers")
        .iter()
        .filter(|r| r["state"] == "online")
        .count() as i64;
    let n = eval(
        &mut rt,
        r#"ncm::net_devices::list(#{mode: "wan", connection_state: "Connected", fields: ["id"]}).len()"#,
    );
    // Each online router's Ethernet WAN and modem are connected.
    assert_eq!(n.as_int().unwrap(), 2 * online);
}

/// Records carry the spec's fields only: what the simulator serves of each endpoint is what its
/// table lists (net_device_health: "net_device | int | = | The id of the net_device.", nothing
/// else), so a script that works against it asks for nothing the API lacks.
#[test]
fn records_carry_the_specs_fields_only() {
    let sim = sim(10);
    let mut strays = vec![];
    for ep in fleetscript::ncm::catalog::ENDPOINTS {
        for r in sim.records(ep.name).iter().take(50) {
            for k in r.as_object().into_iter().flat_map(|o| o.keys()) {
                if ep.field(k).is_none() && !strays.contains(&format!("{}.{k}", ep.name)) {
                    strays.push(format!("{}.{k}", ep.name));
                }
            }
        }
    }
    assert!(
        strays.is_empty(),
        "fields the spec does not list: {strays:?}"
    );
    let health = sim.records("net_device_health");
    assert!(!health.is_empty());
    assert!(
        health
            .iter()
            .all(|h| h.as_object().unwrap().keys().eq(["net_device"])),
        "{health:?}"
    );
}

/// A PATCH answers 202 with the record, a departure from "Unlike PUT, PATCH never returns a
/// payload in its reply": the official client reads one (see the Python test in
/// tests/all/simulator.rs), which says more about the real service.
#[test]
fn a_patch_answers_with_the_record() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let got = eval(
        &mut rt,
        r#"let cm = ncm::router_config(10001);
           let a = ncm::configuration_managers::patch(cm.id, #{configuration: [#{system: #{gps: #{enabled: true}}}, []]});
           [a.id == cm.id, a.configuration[0].system.gps.enabled]"#,
    );
    assert_eq!(format!("{got:?}"), "[true, true]");
}
