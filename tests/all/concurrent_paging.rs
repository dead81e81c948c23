//! Offset-paged listings fetch several pages at once: every record still comes exactly once and
//! in order, an error on any page fails the listing, at most `page_concurrency` requests are in
//! flight, and the request count stays within a few of one per page.

use crate::common::*;
use fleetscript::ncm::client::DEFAULT_PAGE_CONCURRENCY;
use fleetscript::sim::{Fault, SimOptions, Simulator};
use std::time::Duration;

fn start(routers: usize) -> Simulator {
    Simulator::start(SimOptions {
        routers,
        latency: Duration::from_millis(15),
        ..Default::default()
    })
    .unwrap()
}

/// Every router id the simulator holds, in the API's order.
fn router_ids(sim: &Simulator) -> Vec<String> {
    sim.records("routers")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn ids(rt: &mut fleetscript::Runtime) -> Vec<String> {
    eval(
        rt,
        r#"ncm::routers::list(#{fields: ["id"], page_size: 100}).map(|r| r.id)"#,
    )
    .into_array()
    .unwrap()
    .into_iter()
    .map(|d| d.to_string())
    .collect()
}

#[test]
fn every_record_once_in_order_with_at_most_page_concurrency_in_flight() {
    let sim = start(1_050); // 11 pages of 100
    let mut rt = runtime_for(&sim);
    let got = ids(&mut rt);
    let want = router_ids(&sim);
    assert_eq!(got, want, "every router exactly once, in the API's order");
    let c = sim.counters();
    let pages = c.route("GET", "routers");
    // Past the end: a tenth of the 11 pages, rounded up.
    assert!(
        (11..=11 + 2).contains(&pages),
        "{pages} requests for 11 pages"
    );
    assert!(
        c.max_in_flight <= DEFAULT_PAGE_CONCURRENCY,
        "at most page_concurrency ({DEFAULT_PAGE_CONCURRENCY}) in flight: {}",
        c.max_in_flight
    );
    assert!(
        c.max_in_flight >= 2,
        "pages were fetched concurrently: {}",
        c.max_in_flight
    );
    // page_concurrency 1: one at a time, exactly one request per page.
    sim.reset_counters();
    let mut cfg = config_for(&sim);
    cfg.page_concurrency = 1;
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    assert_eq!(ids(&mut rt), want);
    let c = sim.counters();
    assert_eq!((c.route("GET", "routers"), c.max_in_flight), (11, 1));
}

/// 2,000 routers (20 pages of 100) where every answer from the 7th request on is a 500, retries
/// included: pages 7..20 cannot be read. Retries are fast.
fn failing_from_page_7() -> (Simulator, fleetscript::Runtime) {
    let sim = start(2_000);
    sim.inject(Fault::new("GET", "routers", 7, 500).times(1_000));
    let mut cfg = config_for(&sim);
    cfg.http.retry = fast_retry();
    let rt = fleetscript::Runtime::new(cfg).unwrap();
    (sim, rt)
}

#[test]
fn an_error_on_page_7_of_20_fails_the_listing() {
    let (_sim, mut rt) = failing_from_page_7();
    let e = eval_err(
        &mut rt,
        r#"ncm::routers::list(#{fields: ["id"], page_size: 100}).len()"#,
    );
    assert!(e.contains("500"), "{e}");
}

#[test]
fn independent_listings_run_at_the_same_time() {
    let sim = start(300);
    // One page at a time within a listing: two requests in flight can only be the two listings.
    let mut cfg = config_for(&sim);
    cfg.page_concurrency = 1;
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let got = eval(
        &mut rt,
        r#"let l = ncm::lists(#{routers: #{fields: ["id"]}, net_devices: #{mode: "wan", fields: ["id"]}});
           [l.routers.len(), l.net_devices.len()]"#,
    )
    .into_array()
    .unwrap();
    let wan = sim
        .records("net_devices")
        .iter()
        .filter(|n| n["mode"] == "wan")
        .count();
    assert_eq!(
        (
            got[0].as_int().unwrap() as usize,
            got[1].as_int().unwrap() as usize
        ),
        (300, wan)
    );
    assert!(
        sim.counters().max_in_flight >= 2,
        "both listings were in flight together"
    );
    let e = eval_err(&mut rt, r#"ncm::lists(#{routerz: #{}})"#);
    assert!(e.contains("routerz is not an NCM endpoint"), "{e}");
}

#[test]
fn pages_are_read_ahead_in_order_and_two_pagers_overlap() {
    let sim = start(1_050);
    let mut cfg = config_for(&sim);
    cfg.page_concurrency = 1; // one request per listing at a time: overlap can only be the two
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let got = eval(
        &mut rt,
        r#"let a = ncm::routers::pages(#{fields: ["id"], page_size: 100});
           let b = ncm::net_devices::pages(#{mode: "wan", fields: ["id"], page_size: 100});
           let ids = [];
           for page in a { for r in page { ids.push(r.id); } }
           let n = 0;
           for page in b { n += page.len(); }
           [ids, n]"#,
    )
    .into_array()
    .unwrap();
    let want = router_ids(&sim);
    let ids: Vec<String> = got[0]
        .clone()
        .into_array()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(ids, want, "every router exactly once, in order");
    let wan = sim
        .records("net_devices")
        .iter()
        .filter(|n| n["mode"] == "wan")
        .count();
    assert_eq!(got[1].as_int().unwrap() as usize, wan);
    let c = sim.counters();
    assert_eq!(c.route("GET", "routers"), 11, "one request per page");
    assert!(
        c.max_in_flight >= 2,
        "the second listing was read while the first was: {}",
        c.max_in_flight
    );
}

#[test]
fn a_failed_page_fails_a_pages_loop_and_a_loop_left_early_stops_reading() {
    let (sim, mut rt) = failing_from_page_7();
    let e = eval_err(
        &mut rt,
        r#"let n = 0;
           for page in ncm::routers::pages(#{fields: ["id"], page_size: 100}) { n += page.len(); }
           n"#,
    );
    assert!(e.contains("500"), "{e}");
    // Leaving the loop after the first page: the reader stops within its read-ahead window
    // (READ_AHEAD_PAGES buffered plus page_concurrency in flight), not at page 80.
    sim.clear_faults();
    sim.reset_counters();
    let first = eval(
        &mut rt,
        r#"let first = 0;
           for page in ncm::routers::pages(#{fields: ["id"], page_size: 25}) { first = page.len(); break; }
           first"#,
    );
    assert_eq!(first.as_int().unwrap(), 25);
    // Wait for the reads still in flight to land (a condition, not a fixed time).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while sim.counters().in_flight > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let requests = sim.counters().route("GET", "routers");
    assert!(
        requests
            <= 1 + fleetscript::ncm::paging::READ_AHEAD_PAGES as u64
                + fleetscript::ncm::ahead::held_at_most(DEFAULT_PAGE_CONCURRENCY) as u64,
        "{requests} pages read for a loop that stopped after one"
    );
}

#[test]
fn name_of_reads_a_table_in_place() {
    let sim = start(20);
    let mut rt = runtime_for(&sim);
    let got = eval(
        &mut rt,
        r#"let t = #{"41": "IBR900"};
           [ncm::name_of(t, "https://x/api/v2/products/41/"), ncm::name_of(t, ()), ncm::name_of(t, 7), ncm::name_of(t, "41")]"#,
    )
    .into_array()
    .unwrap();
    let got: Vec<String> = got.iter().map(|d| d.to_string()).collect();
    assert_eq!(got, ["IBR900", "", "#7", "IBR900"]);
}

#[test]
fn name_all_names_a_field_of_every_record_in_place() {
    let sim = start(20);
    let mut rt = runtime_for(&sim);
    let got = eval(
        &mut rt,
        r#"let t = #{"41": "IBR900"};
           let page = [#{p: "https://x/api/v2/products/41/"}, #{p: ()}, #{p: 7}, #{}];
           ncm::name_all(page, "p", t);
           let named = page.map(|r| r.p);
           ncm::name_all(page, "p", #{"IBR900": "twice"}, "q");
           named + [page[0].q, page[0].p]"#,
    )
    .into_array()
    .unwrap();
    let got: Vec<String> = got.iter().map(|d| d.to_string()).collect();
    assert_eq!(got, ["IBR900", "", "#7", "", "twice", "IBR900"]);
    let err = eval_err(
        &mut rt,
        r#"let page = [#{p: "1"}, "x"]; ncm::name_all(page, "p", #{})"#,
    );
    assert!(err.contains("record 1 is a string, not a map"), "{err}");
}

#[test]
fn count_all_counts_a_page_by_a_field_and_adds_to_earlier_counts() {
    let sim = start(20);
    let mut rt = runtime_for(&sim);
    let got = eval(
        &mut rt,
        r#"let page = [#{s: "online"}, #{s: "offline"}, #{s: "online"}, #{s: ()}, #{}, #{s: 3}];
           let c = ncm::count_all(page, "s");
           let more = ncm::count_all([#{s: "online"}], "s", c);
           [c.online, c.offline, c[""], c["3"], more.online, page.len()]"#,
    )
    .into_array()
    .unwrap();
    let got: Vec<i64> = got.iter().map(|d| d.as_int().unwrap()).collect();
    assert_eq!(got, [2, 1, 2, 1, 3, 6]);
    let err = eval_err(&mut rt, r#"ncm::count_all([#{s: "a"}], "s", #{a: "many"})"#);
    assert!(
        err.contains(r#"counts["a"] is a string, not a count"#),
        "{err}"
    );
}

#[test]
fn attach_all_moves_each_records_entry_out_of_the_table() {
    let sim = start(20);
    let mut rt = runtime_for(&sim);
    let got = eval(
        &mut rt,
        r#"let wans = #{"1": [2, "mdm; eth"], "2": [1, "eth"], "9": [1, "orphan"]};
           let page = [#{id: "1"}, #{id: 2}, #{id: "3"}];
           let rows = ncm::attach_all(wans, take(page), ["n", "labels"], [0, ""]);
           let one = ncm::attach_all(#{"1": "x"}, [#{id: "1"}], ["only"], [()]);
           [rows[0].n, rows[0].labels, rows[1].n, rows[1].labels, rows[2].n, rows[2].labels,
            wans.keys(), type_of(page), one[0].only]"#,
    )
    .into_array()
    .unwrap();
    let got: Vec<String> = got.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        got,
        ["2", "mdm; eth", "1", "eth", "0", "", r#"["9"]"#, "()", "x"]
    );
    for (src, why) in [
        (
            r#"ncm::attach_all(#{"1": [1]}, [#{id: "1"}], ["a", "b"], [0, ""])"#,
            r#"the table's entry for "1" has 1 values for 2 columns"#,
        ),
        (
            r#"ncm::attach_all(#{"1": 5}, [#{id: "1"}], ["a", "b"], [0, ""])"#,
            r#"the table's entry for "1" is a i64, not an array of 2 values"#,
        ),
        (
            r#"ncm::attach_all(#{}, [#{id: "1"}], ["a", "b"], [0])"#,
            "2 columns but 1 values",
        ),
        (
            r#"ncm::attach_all(#{}, [#{id: "1"}, 4], ["a"], [0])"#,
            "record 1 is a i64, not a map",
        ),
    ] {
        let err = eval_err(&mut rt, src);
        assert!(err.contains(why), "{src}: {err}");
    }
}

#[test]
fn a_filtered_listing_sees_every_change_made_since_the_last_one() {
    // The simulator keeps each filtered listing's selection between pages; a change must show.
    let sim = start(50);
    let mut rt = runtime_for(&sim);
    let online = |rt: &mut fleetscript::Runtime| {
        eval(
            rt,
            r#"ncm::routers::list(#{state: "online", fields: ["id"]}).len()"#,
        )
        .as_int()
        .unwrap()
    };
    let before = online(&mut rt);
    let first = sim.with_store(|s| {
        let routers = s.table("routers");
        let pos = (0..routers.len())
            .find(|&i| routers.get(i).unwrap()["state"] == "online")
            .unwrap();
        let r = s.kept_mut("routers", pos).unwrap();
        r["state"] = serde_json::json!("offline");
        r["id"].as_str().unwrap().to_string()
    });
    assert_eq!(online(&mut rt), before - 1, "a change in the store");
    let named = |rt: &mut fleetscript::Runtime| {
        eval(
            rt,
            &format!(r#"ncm::routers::list(#{{name: "renamed-{first}", fields: ["id"]}}).len()"#),
        )
        .as_int()
        .unwrap()
    };
    assert_eq!(named(&mut rt), 0);
    // An unfiltered page is cached as served; the write must reach it too.
    let name_in_page = |rt: &mut fleetscript::Runtime| {
        eval(
            rt,
            &format!(r#"ncm::routers::list(#{{fields: ["id", "name"]}}).filter(|r| r.id == "{first}")[0].name"#),
        )
        .to_string()
    };
    assert_ne!(name_in_page(&mut rt), format!("renamed-{first}"));
    let _ = eval(
        &mut rt,
        &format!(r#"ncm::routers::update({first}, #{{name: "renamed-{first}"}})"#),
    );
    assert_eq!(named(&mut rt), 1, "a write through the API");
    assert_eq!(name_in_page(&mut rt), format!("renamed-{first}"));
}

/// Resets the simulator's counters; returns the runtime's requests so far.
fn reset(sim: &Simulator, rt: &fleetscript::Runtime) -> u64 {
    sim.reset_counters();
    rt.ncm().transport().stats.requests()
}

/// Waits, on a condition and not a fixed time, until every request the runtime sent since
/// [`reset`] (`sent_before` then) has been answered (none in flight at the simulator, as many
/// seen as sent); returns the GETs of `endpoint`.
fn gets_when_quiet(
    sim: &Simulator,
    rt: &fleetscript::Runtime,
    sent_before: u64,
    endpoint: &str,
) -> u64 {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let c = sim.counters();
        let sent = rt.ncm().transport().stats.requests() - sent_before;
        if c.in_flight == 0 && c.total == sent {
            return c.route("GET", endpoint);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("requests still in flight after 20 s");
}

/// No call wasted: a listing that fits one page costs one request, `list()` and `pages()`
/// alike; a longer one asks for pages past its end at most a tenth of the pages it needs
/// (rounded up), never after the last page has arrived; every record still comes once, in
/// order. (A backup's configuration managers, whose count is known, cost exactly their pages:
/// tests/all/flagship_scripts.rs.)
#[test]
fn no_call_is_wasted_on_pages_past_the_end() {
    let sim = start(1_234);
    let want = router_ids(&sim);
    let mut rt = runtime_for(&sim);
    // 1,234 routers, 500 a page: 3 GETs (a 4th at most, past the end).
    for call in [
        r#"ncm::routers::list(#{fields: ["id"]}).map(|r| r.id)"#,
        r#"let ids = []; for p in ncm::routers::pages(#{fields: ["id"]}) { for r in p { ids.push(r.id); } } ids"#,
    ] {
        let before = reset(&sim, &rt);
        let got: Vec<String> = eval(&mut rt, call)
            .into_array()
            .unwrap()
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(got, want, "every router once, in order: {call}");
        let sent = rt.ncm().transport().stats.requests() - before;
        let gets = gets_when_quiet(&sim, &rt, before, "routers");
        assert_eq!(gets, sent);
        assert!((3..=4).contains(&gets), "{gets} GETs for 3 pages: {call}");
    }
    // Smaller pages, longer listings: past the end within a tenth of the pages, rounded up.
    for page_size in [100u64, 50, 25] {
        let before = reset(&sim, &rt);
        let got = eval(
            &mut rt,
            &format!(r#"ncm::routers::list(#{{fields: ["id"], page_size: {page_size}}}).len()"#),
        );
        assert_eq!(got.as_int().unwrap(), 1_234);
        let pages = 1_234u64.div_ceil(page_size);
        let gets = gets_when_quiet(&sim, &rt, before, "routers");
        assert!(
            (pages..=pages + pages.div_ceil(10)).contains(&gets),
            "{gets} GETs for {pages} pages of {page_size}"
        );
        assert!(sim.counters().max_in_flight >= 2, "still concurrent");
        assert!(sim.counters().max_in_flight <= DEFAULT_PAGE_CONCURRENCY);
    }
    // One page of products: one request, list() and pages() alike.
    for call in [
        "ncm::products::list().len()",
        "{ let n = 0; for p in ncm::products::pages() { n += p.len(); } n }",
    ] {
        let before = reset(&sim, &rt);
        let n = eval(&mut rt, call).as_int().unwrap();
        assert_eq!(n as usize, sim.records("products").len(), "{call}");
        assert_eq!(gets_when_quiet(&sim, &rt, before, "products"), 1, "{call}");
    }
    assert_eq!(
        rt.ncm().transport().stats.wasted(),
        eval(&mut rt, "ncm::calls().unused").as_int().unwrap() as u64
    );
}

/// A page asked for ahead that turns out to be past the end while it waits out a 429's
/// `Retry-After` is dropped (counted as unused) instead of being retried.
#[test]
fn a_429_on_a_page_past_the_end_is_dropped_not_retried() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let past = Arc::new(AtomicUsize::new(0));
    let asked_past = Arc::new(AtomicBool::new(false));
    let (p, a) = (past.clone(), asked_past.clone());
    // Pages of 2 records at offsets 0, 2 and 4 (the last, 1 record); offset 6 is past the end
    // and answers 429 with a long Retry-After. The last page answers only once offset 6 has
    // been asked for (a condition, not a time), so that the guess is in flight.
    let base = hostile_server(move |path| {
        let offset: usize = path
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("offset="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let page = |next: Option<usize>, n: usize| {
            let data: Vec<_> = (0..n)
                .map(|i| serde_json::json!({"id": (offset + i).to_string()}))
                .collect();
            let next = next.map(|o| format!("/api/v2/routers/?limit=2&offset={o}"));
            let body = serde_json::json!({"data": data, "meta": {"next": next}});
            Reply::Full(200, "application/json", body.to_string().into_bytes())
        };
        match offset {
            0 => page(Some(2), 2),
            2 => page(Some(4), 2),
            4 => {
                let deadline = std::time::Instant::now() + Duration::from_secs(10);
                while !a.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(2));
                }
                page(None, 1)
            }
            _ => {
                p.fetch_add(1, Ordering::SeqCst);
                a.store(true, Ordering::SeqCst);
                Reply::TooMany { retry_after: 30 }
            }
        }
    });
    let mut cfg = config_at(&base);
    cfg.http.retry.max_retry_after = Duration::from_secs(60);
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    let got = eval(&mut rt, "ncm::routers::list(#{page_size: 2}).map(|r| r.id)")
        .into_array()
        .unwrap();
    let got: Vec<String> = got.iter().map(|d| d.to_string()).collect();
    assert_eq!(got, ["0", "1", "2", "3", "4"]);
    // The 429 may be read after the listing ended (a condition, not a time).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while rt.ncm().transport().stats.too_many() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let calls = eval(&mut rt, "ncm::calls()")
        .try_cast::<rhai::Map>()
        .unwrap();
    assert_eq!(past.load(Ordering::SeqCst), 1, "asked once, never retried");
    assert_eq!(calls["rate_limited"].as_int().unwrap(), 1);
    assert_eq!(calls["unused"].as_int().unwrap(), 1, "{calls:?}");
    assert_eq!(calls["retries"].as_int().unwrap(), 0, "{calls:?}");
    assert_eq!(calls["requests"].as_int().unwrap(), 4, "{calls:?}");
}

/// Waits, on a condition and not a fixed time, until the simulator has answered at least
/// `requests` requests for routers and has none in flight.
fn settle(sim: &Simulator, requests: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let c = sim.counters();
        if c.route("GET", "routers") >= requests && c.in_flight == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the listing was not read within 20 s");
}

fn routers_read_ahead(
    rt: &fleetscript::Runtime,
    page_size: u64,
) -> fleetscript::ncm::paging::ReadAhead<Vec<serde_json::Value>> {
    let q = serde_json::json!({"fields": ["id"], "page_size": page_size});
    rt.ncm()
        .pages_of::<serde_json::Value>("routers", q.as_object().unwrap())
        .unwrap()
        .read_ahead(1, None, |records| records)
        .unwrap()
}

#[test]
fn a_reader_that_falls_behind_gets_every_page_in_order_and_each_once() {
    let sim = start(1_050);
    let rt = runtime_for(&sim);
    let pages = routers_read_ahead(&rt, 50);
    // Nothing is read until the whole listing (21 pages) has been fetched past a buffer of one
    // page: the pages past it waited as text.
    settle(&sim, 21);
    let ids: Vec<String> = pages
        .flat_map(|page| page.unwrap())
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, router_ids(&sim), "every router exactly once, in order");
    let requests = sim.counters().route("GET", "routers");
    assert!(
        (21..=25).contains(&requests),
        "{requests} requests for 21 pages"
    );
}

#[test]
fn a_reader_that_falls_behind_still_gets_the_error_in_its_place() {
    let (sim, rt) = failing_from_page_7();
    let pages = routers_read_ahead(&rt, 100);
    settle(&sim, 7);
    let got: Vec<Result<usize, String>> = pages
        .map(|p| p.map(|records| records.len()).map_err(|e| e.to_string()))
        .collect();
    let (last, before) = got.split_last().unwrap();
    assert!(last.as_ref().is_err_and(|e| e.contains("500")), "{got:?}");
    assert!(before.len() < 7, "{got:?}");
    assert!(before.iter().all(|p| *p == Ok(100)), "{got:?}");
}
