//! Retries you can see: a WARN line per retry (method, URL, status or error, attempt n of N,
//! delay), `-v` traces every request, a refused connection is retried at most twice, and
//! `config check` fails for a configured cloud that is not reachable (exit 75); one that is not
//! configured is only reported, unless `--require` names it.

use crate::common::*;

#[test]
fn every_retry_logs_a_warning_and_verbose_traces_each_request() {
    let sim = sim(5);
    sim.inject(fleetscript::sim::Fault::parse("GET:routers:1:503").unwrap());
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("s.rhai"),
        "print(ncm::routers::list().len());",
    )
    .unwrap();
    let o = bin_for(&sim)
        .current_dir(t.path())
        .args(["run", "s.rhai", "-v", "--retry-delay-ms", "1"])
        .output()
        .unwrap();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("WARN  GET http://")
            && out.contains("/routers/")
            && out.contains("HTTP 503; retry 1 of 5 in"),
        "{out}"
    );
    let traced: Vec<&str> = out.lines().filter(|l| l.contains(" HTTP  GET ")).collect();
    assert_eq!(traced.len(), 2, "{out}");
    assert!(
        traced[0].contains("-> 503 (") && traced[1].contains("-> 200 ("),
        "{out}"
    );
    assert!(
        traced[1].contains(" bytes) in ") && traced[1].ends_with("ms"),
        "{out}"
    );
    assert!(!out.contains("sandbox-cp-key"), "{out}");
}

#[test]
fn a_dead_host_answers_within_seconds_and_config_check_fails() {
    // Nothing listens on port 1 of the loopback: every connection is refused.
    let t = tempfile::tempdir().unwrap();
    let start = std::time::Instant::now();
    let k = fleetscript::sim::sandbox_credentials();
    let o = bin()
        .env("XDG_CONFIG_HOME", t.path())
        .env("CP_BASE_URL", "http://127.0.0.1:1/api/v2")
        .env("X_CP_API_ID", k.cp_api_id)
        .env("X_CP_API_KEY", k.cp_api_key)
        .env("X_ECM_API_ID", k.ecm_api_id)
        .env("X_ECM_API_KEY", k.ecm_api_key)
        .args(["config", "check"])
        .output()
        .unwrap();
    let out = text(&o);
    // Unavailable after its retries: 75, try again later.
    assert_eq!(o.status.code(), Some(75), "{out}");
    assert!(out.contains("try again later"), "{out}");
    assert!(
        out.contains("cannot connect") && out.contains("retry 2 of 2"),
        "{out}"
    );
    assert!(!out.contains("retry 3"), "{out}");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    assert!(out.contains("IgniteNet: not configured"), "{out}");
    // A cloud without keys is reported, not a failure; `--require` makes it one (a usage error).
    let o = bin()
        .env("XDG_CONFIG_HOME", t.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("NCM: not configured"), "{}", text(&o));
    let o = bin()
        .env("XDG_CONFIG_HOME", t.path())
        .args(["config", "check", "--require", "ncm"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("NCM is not configured"), "{}", text(&o));
}
