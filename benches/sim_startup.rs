//! Benchmark: `fleetscript sim --routers 100000` (the release binary) from launch until it
//! serves (it prints its URL once the fleet is drawn and the port bound), with its resident
//! memory then; then the first page of configuration managers (500 of them, each built on demand
//! with its NCOS configurations), and a listing filtered by router (`?router=<the last one>`: the
//! filter reads each configuration manager's `router` without building its configurations), with
//! the peak memory after. Medians of FLEET_RUNS runs (default 3). `cargo bench --bench sim_startup`
//! (FLEET_ROUTERS overrides the fleet size).

mod common;
use common::env_num;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn median<T: PartialOrd + Copy>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// A field of /proc/<pid>/status in MiB (VmRSS:, VmHWM:).
fn mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

struct Run {
    ready: Duration,
    rss: f64,
    page: Duration,
    filtered: Duration,
    peak: f64,
}

fn get(base: &str, path: &str) -> reqwest::blocking::Response {
    let k = fleetscript::sim::sandbox_credentials();
    let r = reqwest::blocking::Client::new()
        .get(format!("{base}{path}"))
        .header("X-CP-API-ID", k.cp_api_id)
        .header("X-CP-API-KEY", k.cp_api_key)
        .header("X-ECM-API-ID", k.ecm_api_id)
        .header("X-ECM-API-KEY", k.ecm_api_key)
        .timeout(Duration::from_secs(300))
        .send()
        .expect("request");
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r
}

fn one(routers: usize) -> Run {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fleetscript"))
        .args([
            "sim",
            "--addr",
            "127.0.0.1:0",
            "--routers",
            &routers.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fleetscript sim");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).expect("its first line");
    let ready = t.elapsed();
    // The rest of what it prints is read (a closed pipe would end it).
    std::thread::spawn(move || for _ in out.lines() {});
    let pid = child.id();
    let rss = mib(pid, "VmRSS:");
    // "NCM API v2 simulator: http://127.0.0.1:PORT/api/v2/ (N routers, seed S)"
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .expect("the URL")
        .trim_end_matches('/')
        .to_string();
    let t = Instant::now();
    let page = get(&base, "/configuration_managers/?limit=500")
        .text()
        .unwrap();
    assert!(page.len() > 500 * 1000, "{} bytes", page.len());
    let page_time = t.elapsed();
    let t = Instant::now();
    let last_router = 10_000 + routers;
    let one = get(
        &base,
        &format!("/configuration_managers/?router={last_router}"),
    )
    .text()
    .unwrap();
    assert!(one.contains(&format!("/routers/{last_router}/")));
    let filtered = t.elapsed();
    let peak = mib(pid, "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    Run {
        ready,
        rss,
        page: page_time,
        filtered,
        peak,
    }
}

fn main() {
    let routers = env_num("FLEET_ROUTERS", 100_000);
    let runs = env_num("FLEET_RUNS", 3).max(1);
    let all: Vec<Run> = (0..runs).map(|_| one(routers)).collect();
    let ready = median(all.iter().map(|r| r.ready.as_secs_f64()).collect());
    let rss = median(all.iter().map(|r| r.rss).collect());
    let page = median(all.iter().map(|r| r.page.as_secs_f64()).collect());
    let filtered = median(all.iter().map(|r| r.filtered.as_secs_f64()).collect());
    let peak = median(all.iter().map(|r| r.peak).collect());
    println!("fleetscript sim --routers {routers} (medians of {runs} runs):");
    println!("  serving after {ready:.2} s, RSS {rss:.0} MiB");
    println!("  first page of 500 configuration managers in {page:.2} s");
    println!(
        "  configuration managers ?router=<the last> (filters all {routers}) in {filtered:.2} s"
    );
    println!("  peak RSS {peak:.0} MiB");
}
