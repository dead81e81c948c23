//! Paging, `__in` chunking, validation before sending, retries and error surfacing, exercised
//! through Rhai scripts against the in-process simulator.

use crate::common::*;
use fleetscript::sim::Fault;
use std::collections::HashSet;

#[test]
fn offset_paging_returns_every_record_exactly_once() {
    let sim = sim(50);
    // One page at a time, to count requests exactly (tests/all/concurrent_paging.rs covers the rest).
    let mut cfg = config_for(&sim);
    cfg.page_concurrency = 1;
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let ids = eval(&mut rt, "ncm::routers::list(#{page_size: 7}).map(|r| r.id)")
        .into_array()
        .unwrap();
    assert_eq!(
        sim.counters().route("GET", "routers"),
        8,
        "50 records at 7 per page"
    );
    let set: HashSet<String> = ids.iter().map(|d| d.to_string()).collect();
    assert_eq!(ids.len(), 50);
    assert_eq!(set.len(), 50, "no duplicates");
    let want: HashSet<String> = sim
        .records("routers")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(set, want);
}

#[test]
fn timeuuid_paging_returns_every_record_exactly_once_both_directions() {
    let sim = sim(60);
    let mut rt = runtime_for(&sim);
    // Oldest-first cursors (created_at_timeuuid__gt).
    let got = eval(
        &mut rt,
        "ncm::router_state_samples::list(#{page_size: 40}).map(|r| r.created_at_timeuuid)",
    )
    .into_array()
    .unwrap();
    let total = sim.records("router_state_samples").len();
    assert_eq!(total, 300);
    assert_eq!(got.len(), total);
    let set: HashSet<String> = got.iter().map(|d| d.to_string()).collect();
    assert_eq!(set.len(), total);
    assert!(sim.counters().route("GET", "router_state_samples") >= 3);
    // Newest-first cursors (created_at_timeuuid__lt) on router_alerts.
    let got = eval(
        &mut rt,
        "ncm::router_alerts::list(#{page_size: 20}).map(|r| r.created_at_timeuuid)",
    )
    .into_array()
    .unwrap();
    let total = sim.records("router_alerts").len();
    assert!(total > 60, "{total}");
    let set: HashSet<String> = got.iter().map(|d| d.to_string()).collect();
    assert_eq!((got.len(), set.len()), (total, total));
    assert!(sim.counters().route("GET", "router_alerts") >= 3);
    // pages() yields the same records page by page.
    let n = eval(&mut rt, "let n = 0; let p = 0; for page in ncm::router_state_samples::pages(#{page_size: 100}) { n += page.len(); p += 1; } [n, p]").into_array().unwrap();
    assert_eq!(n[0].as_int().unwrap(), 300);
    assert_eq!(n[1].as_int().unwrap(), 3);
    assert_eq!(sim.counters().redirects, 0);
}

#[test]
fn limit_caps_the_total_and_sets_the_page_size() {
    let sim = sim(50);
    let mut rt = runtime_for(&sim);
    let n = eval(
        &mut rt,
        "ncm::routers::list(#{limit: 12, page_size: 5}).len()",
    )
    .as_int()
    .unwrap();
    assert_eq!(n, 12);
    assert_eq!(sim.counters().route("GET", "routers"), 3);
    sim.reset_counters();
    let n = eval(&mut rt, "ncm::routers::list(#{limit: 3}).len()")
        .as_int()
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        sim.counters().route("GET", "routers"),
        1,
        "limit <= maximum is sent as the page size"
    );
}

#[test]
fn an_error_on_page_two_is_an_error_not_a_partial_list() {
    let sim = sim(50);
    sim.inject(Fault::new("GET", "routers", 2, 500));
    // One page at a time, so that "the second request" is page 2 and retries count exactly.
    let mut cfg = config_for(&sim);
    cfg.page_concurrency = 1;
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let out = eval(
        &mut rt,
        r#"
        let r = ();
        try { ncm::routers::list(#{page_size: 10}); r = "returned"; }
        catch (e) { r = e; }
        r
    "#,
    );
    let m = out
        .try_cast::<rhai::Map>()
        .expect("the error map was caught");
    assert_eq!(m["status"].as_int().unwrap(), 500);
    assert_eq!(m["method"].to_string(), "GET");
    assert!(m["url"].to_string().contains("/routers/?"), "{}", m["url"]);
    assert_eq!(m["kind"].to_string(), "api");
    // Uncaught, it fails the script with the position of the call.
    sim.clear_faults();
    sim.reset_counters();
    sim.inject(Fault::new("GET", "routers", 2, 503).times(100));
    let err = eval_err(
        &mut rt,
        "let x = 1;\nlet all = ncm::routers::list(#{page_size: 10});",
    );
    // Still 503 after every retry: the cloud is unavailable (exit 75), one line, no frames.
    assert!(
        err.contains("HTTP 503") && err.contains("after 3 retries"),
        "{err}"
    );
    assert!(
        err.starts_with("error: NCM is unavailable: GET ") && err.ends_with("try again later\n"),
        "{err}"
    );
    assert!(!err.contains("-->"), "{err}");
    assert_eq!(
        sim.counters().route("GET", "routers"),
        5,
        "page 1 + page 2 tried 4 times"
    );
}

#[test]
fn in_lists_over_100_are_split_and_merged() {
    let sim = sim(300);
    let mut rt = runtime_for(&sim);
    let ids: Vec<String> = sim
        .records("routers")
        .iter()
        .take(250)
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let src = format!(
        "ncm::routers::list(#{{id__in: [{}]}}).map(|r| r.id)",
        ids.join(",")
    );
    let got = eval(&mut rt, &src).into_array().unwrap();
    assert_eq!(
        sim.counters().route("GET", "routers"),
        3,
        "250 ids = 100 + 100 + 50"
    );
    let got: HashSet<String> = got.iter().map(|d| d.to_string()).collect();
    assert_eq!(got, ids.into_iter().collect::<HashSet<_>>());
    // alerts has no cap: one request.
    sim.reset_counters();
    let rids: Vec<String> = (0..250).map(|i| (10_001 + i).to_string()).collect();
    run(
        &mut rt,
        &format!("ncm::alerts::list(#{{router__in: [{}]}})", rids.join(",")),
    );
    assert_eq!(sim.counters().route("GET", "alerts"), 1);
}

#[test]
fn invalid_queries_fail_before_any_request() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let err = eval_err(&mut rt, r#"ncm::routers::list(#{colour: "red"})"#);
    assert!(err.contains("unknown filter 'colour'"), "{err}");
    assert!(
        err.contains("state__in") && err.contains("mac__in"),
        "names the allowed filters: {err}"
    );
    let err = eval_err(
        &mut rt,
        r#"ncm::routers::list(#{state_updated_at__gt: "2024-01-01"})"#,
    );
    assert!(err.contains("no time portion"), "{err}");
    let err = eval_err(&mut rt, r#"ncm::historical_locations::list()"#);
    assert!(err.contains("requires a 'router' filter"), "{err}");
    let err = eval_err(&mut rt, r#"ncm::routers::list(#{expand: ["product"]})"#);
    assert!(err.contains("cannot be expanded"), "{err}");
    let err = eval_err(&mut rt, r#"ncm::alerts::get(3)"#);
    assert!(
        err.contains("ncm::alerts::get does not exist"),
        "alerts has no get(): {err}"
    );
    assert_eq!(sim.counters().total, 0, "nothing was sent");
}

#[test]
fn a_429_with_retry_after_is_retried_and_honoured() {
    let sim = sim(5);
    sim.inject(Fault::new("GET", "routers", 1, 429).retry_after(1));
    let mut cfg = config_for(&sim);
    cfg.http.retry.max_retry_after = std::time::Duration::from_secs(5);
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let n = eval(&mut rt, "ncm::routers::list().len()")
        .as_int()
        .unwrap();
    assert_eq!(n, 5);
    assert_eq!(
        *rt.ncm().transport().stats.retry_delays.lock().unwrap(),
        vec![std::time::Duration::from_secs(1)],
        "waited the Retry-After second"
    );
    assert_eq!(sim.counters().route("GET", "routers"), 2);
    assert_eq!(rt.ncm().transport().stats.retries(), 1);
    assert_eq!(
        *rt.ncm().transport().stats.retry_delays.lock().unwrap(),
        vec![std::time::Duration::from_secs(1)]
    );
}

#[test]
fn retryable_statuses_and_connection_errors_on_idempotent_methods() {
    let sim = sim(5);
    for status in [502, 503, 504] {
        sim.inject(Fault::new("PUT", "routers", 1, status));
        let mut rt = runtime_for(&sim);
        run(
            &mut rt,
            r#"ncm::routers::update(10001, #{name: "renamed"})"#,
        );
        assert_eq!(
            sim.counters().route("PUT", "routers"),
            2,
            "status {status} retried once"
        );
        sim.reset_counters();
        sim.clear_faults();
    }
    // 500 is not retried.
    sim.inject(Fault::new("GET", "routers", 1, 500));
    let mut rt = runtime_for(&sim);
    eval_err(&mut rt, "ncm::routers::list()");
    assert_eq!(sim.counters().route("GET", "routers"), 1);
    // A closed port: a refused connection is retried at most twice, then reported with the fix.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut cfg = config_for(&sim);
    cfg.ncm_base_url = format!("http://{closed}/api/v2");
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let err = eval_err(&mut rt, "ncm::routers::list()");
    assert!(
        err.contains("cannot connect") && err.contains("after 2 retries"),
        "{err}"
    );
    assert_eq!(rt.ncm().transport().stats.requests(), 3);
}

#[test]
fn a_post_that_gets_503_is_not_retried() {
    let sim = sim(5);
    sim.inject(Fault::new("POST", "reboot_activity", 1, 503));
    let mut rt = runtime_for(&sim);
    let out = eval(
        &mut rt,
        "let s = (); try { ncm::reboot_router(10001); } catch (e) { s = e.status; } s",
    );
    assert_eq!(out.as_int().unwrap(), 503);
    assert_eq!(
        sim.counters().route("POST", "reboot_activity"),
        1,
        "POST is never retried"
    );
    assert!(sim.counters().reboots.is_empty());
}

#[test]
fn timeouts_are_enforced() {
    let sim = sim(5);
    sim.set_latency(std::time::Duration::from_millis(400));
    let mut cfg = config_for(&sim);
    cfg.http.timeout = std::time::Duration::from_millis(100);
    cfg.http.retry.max_retries = 1;
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let out = eval(
        &mut rt,
        "let k = (); try { ncm::routers::list(); } catch (e) { k = e.kind; } k",
    );
    assert_eq!(out.to_string(), "timeout");
    assert_eq!(rt.ncm().transport().stats.requests(), 2);
}

#[test]
fn dry_run_sends_no_writes() {
    let sim = sim(5);
    let mut cfg = config_for(&sim);
    cfg.http.dry_run = true;
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    run(
        &mut rt,
        r#"
        let r = ncm::routers::list()[0];
        ncm::routers::update(r.id, #{name: "x"});
        ncm::configuration_managers::patch(500007, #{configuration: [#{system: #{logging: #{level: "debug"}}}, []]});
        ncm::groups::create(#{account: "a", name: "n", product: "p", target_firmware: "f"});
        ncm::routers::delete(r.id);
        ncm::reboot_router(r.id);
        ncm::reboot_group(2001);
    "#,
    );
    let c = sim.counters();
    assert_eq!(c.writes, 0, "no write reached the simulator");
    assert_eq!(c.route("GET", "routers"), 1, "reads still happen");
    assert_eq!(rt.ncm().transport().stats.dry_run_writes(), 6);
}

#[test]
fn config_validation_errors_are_readable_from_scripts() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    // A field that is not writable is refused before sending: a catchable error of kind
    // "invalid", without a status.
    let out = eval(
        &mut rt,
        r#"
        let e2 = ();
        try { ncm::configuration_managers::update(500007, #{version_number: 3}); } catch (e) { e2 = e; }
        e2
    "#,
    );
    let m = out.try_cast::<rhai::Map>().unwrap();
    assert_eq!(m["kind"].to_string(), "invalid");
    assert!(
        m["message"].to_string().contains("not writable"),
        "{}",
        m["message"]
    );
    assert_eq!(sim.counters().writes, 0);
    // The simulator answers 409 to an invalid config; the body is kept.
    let out = eval(
        &mut rt,
        r#"
        let e2 = ();
        try { ncm::configuration_managers::update(500007, #{configuration: [#{foo: "bar"}, []]}); } catch (e) { e2 = e; }
        e2
    "#,
    );
    let m = out.try_cast::<rhai::Map>().unwrap();
    assert_eq!(m["status"].as_int().unwrap(), 409);
    assert!(m["body"].is_map());
}

#[test]
fn config_validation_bodies_are_parsed_into_e_errors() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let out = eval(&mut rt, r#"
        let got = ();
        try { ncm::configuration_managers::update(500007, #{configuration: [#{system: 1}, [["lan", #{}]]]}); }
        catch (e) { got = [e.status, e.errors[0].reason, e.errors[0].path, e.message]; }
        got
    "#).into_array().unwrap();
    assert_eq!(out[0].as_int().unwrap(), 409);
    assert_eq!(out[1].to_string(), "bad array index");
    let path: Vec<i64> = out[2]
        .clone()
        .into_array()
        .unwrap()
        .iter()
        .map(|d| d.as_int().unwrap())
        .collect();
    assert_eq!(path, vec![1, 0]);
    assert!(
        out[3]
            .to_string()
            .starts_with("cannot set configuration to"),
        "{}",
        out[3]
    );
    // PATCH answers 400 for the same problem, as the spec says.
    let s = eval(&mut rt, "let s = 0; try { ncm::configuration_managers::patch(500007, #{configuration: [1, []]}); } catch (e) { s = e.status; } s");
    assert_eq!(s.as_int().unwrap(), 400);
    assert_eq!(
        sim.counters().route("PUT", "configuration_managers"),
        1,
        "409 is not retried"
    );
}

#[test]
fn a_request_no_longer_needed_stops_waiting_out_its_retry_after() {
    use fleetscript::http::{HttpOptions, Method, Redactor, Request, Transport};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let served = std::sync::Arc::new(AtomicUsize::new(0));
    let s = served.clone();
    let base = hostile_server(move |_| {
        s.fetch_add(1, Ordering::SeqCst);
        Reply::TooMany { retry_after: 30 }
    });
    let mut options = HttpOptions::default();
    options.retry.max_retry_after = std::time::Duration::from_secs(60);
    let t = Transport::new(options, Redactor::default(), Default::default()).unwrap();
    let url = url::Url::parse(&format!("{base}/routers/")).unwrap();
    // Wanted for the first attempt only: the listing ended while it waited.
    let asked = AtomicUsize::new(0);
    let needed = || asked.fetch_add(1, Ordering::SeqCst) == 0;
    let r = t.send(&Request {
        method: Method::Get,
        url: &url,
        headers: &[],
        body: None,
        retryable: true,
        needed: Some(&needed),
    });
    assert!(
        matches!(r, Err(fleetscript::Error::NotNeeded)),
        "{:?}",
        r.map(|x| x.status)
    );
    assert_eq!(served.load(Ordering::SeqCst), 1);
    assert_eq!(t.stats.calls().too_many, 1);
    assert_eq!(t.stats.retries(), 0, "dropped, not retried");
}

#[test]
fn a_raw_request_stays_under_the_api_root_and_writes_like_any_call() {
    let sim = sim(5);
    let mut rt = runtime_for(&sim);
    let got = eval(
        &mut rt,
        r#"ncm::request("GET", "routers/", #{query: #{id__in: [10001, 10002], fields: "id"}}).data.map(|r| r.id)"#,
    );
    assert_eq!(got.to_string(), r#"["10001", "10002"]"#);
    let got = eval(
        &mut rt,
        &format!(
            r#"ncm::request("GET", "{}/routers/10001/").id"#,
            sim.ncm_base_url()
        ),
    );
    assert_eq!(got.to_string(), "10001");
    assert_eq!(sim.counters().redirects, 0, "the trailing slash is added");
    let sent = sim.counters().total;
    for bad in [
        r#"ncm::request("GET", "routers/../accounts/")"#,
        r#"ncm::request("GET", "routers/%2e%2e/accounts/")"#,
        r#"ncm::request("GET", "https://evil.example.net/api/v2/routers/")"#,
        r#"ncm::request("GET", "routers/?limit=1")"#,
        r#"ignitenet::request("GET", "site/../sites")"#,
        r#"ignitenet::request("GET", "https://evil.example.net/pub/v1/sites")"#,
    ] {
        let e = eval_err(&mut rt, bad);
        assert!(e.contains("API root"), "{bad}: {e}");
    }
    let e = eval_err(&mut rt, r#"ncm::request("GET", "routers/", #{colour: 1})"#);
    assert!(
        e.contains("unknown field `colour`") && e.contains("options: query, body"),
        "{e}"
    );
    assert_eq!(sim.counters().total, sent, "nothing sent");
    // A write: sent as any PATCH is; shown and not sent under --dry-run; refused read-only.
    let got = eval(
        &mut rt,
        r#"ncm::request("PUT", "routers/10001/", #{body: #{name: "raw-renamed"}}).name"#,
    );
    assert_eq!(got.to_string(), "raw-renamed");
    assert_eq!(sim.counters().writes, 1);
    let mut cfg = config_for(&sim);
    cfg.http.dry_run = true;
    let mut dry = fleetscript::Runtime::new(cfg).unwrap();
    let got = eval(
        &mut dry,
        r#"ncm::request("DELETE", "routers/10001/").dry_run"#,
    );
    assert_eq!(got.to_string(), "true");
    assert_eq!(dry.ncm().transport().stats.dry_run_writes(), 1);
    let mut cfg = config_for(&sim);
    cfg.http.read_only = true;
    let mut ro = fleetscript::Runtime::new(cfg).unwrap();
    let e = eval_err(
        &mut ro,
        r#"ncm::request("POST", "reboot_activity/", #{body: #{router: "x"}})"#,
    );
    assert!(
        e.contains("read-only") && e.contains("nothing was sent"),
        "{e}"
    );
    let e = eval_err(&mut ro, r#"ncm::routers::update(10001, #{name: "y"})"#);
    assert!(e.contains("read-only"), "{e}");
    assert_eq!(
        eval(&mut ro, "ncm::routers::list().len()")
            .as_int()
            .unwrap(),
        5,
        "reads go on"
    );
    assert_eq!(sim.counters().writes, 1, "no write but the first");
    // The flag: a write refused (exit 1), nothing sent.
    let o = bin_for(&sim)
        .args([
            "run",
            "-e",
            r#"ncm::request("DELETE", "routers/10001/")"#,
            "--read-only",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("this run is read-only"), "{}", text(&o));
    assert_eq!(sim.counters().writes, 1);
}
