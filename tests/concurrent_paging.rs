//! Offset-paged listings fetch several pages at once: every record still comes exactly once and
//! in order, an error on any page fails the listing, at most `page_concurrency` requests are in
//! flight, and the request count stays within a few of one per page.

mod common;

use common::*;
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
    let want: Vec<String> = sim
        .records("routers")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, want, "every router exactly once, in the API's order");
    let c = sim.counters();
    let pages = c.route("GET", "routers");
    assert!(
        (11..=11 + 3).contains(&pages),
        "{pages} requests for 11 pages"
    );
    assert!(
        c.max_in_flight <= 4,
        "at most page_concurrency (4) in flight: {}",
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

#[test]
fn an_error_on_page_7_of_20_fails_the_listing() {
    let sim = start(2_000); // 20 pages of 100
                            // Every answer from the 7th request on is a 500 (retries too): pages 7..20 cannot be read.
    sim.inject(Fault::new("GET", "routers", 7, 500).times(1_000));
    let mut cfg = config_for(&sim);
    cfg.http.retry = fast_retry();
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
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
