//! The real `fleetscript` binary: the quick-start scripts in the sandbox, `check`, exit codes,
//! dry-run, secrets never printed, Ctrl-C, script arguments and write restrictions.

use crate::common::*;
use std::path::PathBuf;
use std::process::Stdio;

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
}

#[test]
fn inventory_runs_in_the_sandbox_with_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin()
        .current_dir(dir.path())
        .args(["run"])
        .arg(script("inventory.rhai"))
        .arg("--sandbox")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(dir.path().join("inventory.csv")).unwrap();
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let headers = r.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    assert!(
        headers.iter().any(|h| h == "wan_interfaces") && headers.iter().any(|h| h == "firmware")
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 50);
    let pi = headers.iter().position(|h| h == "product").unwrap();
    assert!(
        rows.iter()
            .all(|row| !row[pi].is_empty() && !row[pi].starts_with('#')),
        "products resolved to names"
    );
    let wi = headers.iter().position(|h| h == "wan_count").unwrap();
    assert!(
        rows.iter().all(|row| &row[wi] == "2"),
        "each simulated router has 2 WAN net devices"
    );
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("inventory: 50 routers written to inventory.csv"),
        "{}",
        text(&o)
    );
}

#[test]
fn offline_report_filters_by_hours_and_summarises() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin()
        .current_dir(dir.path())
        .arg("run")
        .arg(script("offline_report.rhai"))
        .args(["--sandbox", "--routers", "200", "--arg", "hours=48"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(dir.path().join("offline_report.csv")).unwrap();
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let h = r.headers().unwrap().clone();
    let si = h.iter().position(|x| x == "state").unwrap();
    let hi = h.iter().position(|x| x == "hours_offline").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(&row[si], "offline");
        assert!(row[hi].parse::<i64>().unwrap() >= 48, "{row:?}");
    }
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!(
            "offline_report: {} routers offline for more than 48 h",
            rows.len()
        )),
        "{out}"
    );
    assert!(out.contains("longest:"), "{out}");
    // A bad argument is a clear failure.
    let o = bin()
        .current_dir(dir.path())
        .arg("run")
        .arg(script("offline_report.rhai"))
        .args(["--sandbox", "--arg", "hours=soon"])
        .output()
        .unwrap();
    // A bad argument is a usage error before the script starts, with the usage line.
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("--arg hours=\"soon\": expected a whole number")
            && text(&o).contains("usage: fleetscript run"),
        "{}",
        text(&o)
    );
}

#[test]
fn check_compiles_without_calling_anything() {
    let o = bin()
        .arg("check")
        .arg(script("inventory.rhai"))
        .arg(script("offline_report.rhai"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.rhai");
    std::fs::write(&bad, "let a = 1;\nlet b = (a + ;\n").unwrap();
    let o = bin().arg("check").arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(
        t.contains("bad.rhai:2:") && t.contains("2 | let b = (a + ;") && t.contains('^'),
        "{t}"
    );
    std::fs::write(&bad, "let a = 1;\nprint(b);\n").unwrap();
    let o = bin().arg("check").arg(&bad).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "undefined variables are compile errors: {}",
        text(&o)
    );
    assert!(text(&o).contains("Undefined variable: b"), "{}", text(&o));
}

#[test]
fn exit_codes_and_shebang_and_args() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("s.rhai");
    std::fs::write(
        &s,
        "#!/usr/bin/env fleetscript run\nprint(`hello ${ARGS.who}`);\n",
    )
    .unwrap();
    let o = bin()
        .arg("run")
        .arg(&s)
        .args(["--arg", "who=ops"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "hello ops");
    std::fs::write(&s, "let x = 1;\nthrow \"stop here\";\n").unwrap();
    let o = bin().arg("run").arg(&s).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("s.rhai:2:1"), "{}", text(&o));
    let o = bin().args(["run", "/nonexistent/x.rhai"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = bin()
        .arg("run")
        .arg(&s)
        .args(["--arg", "novalue"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("expected KEY=VALUE"), "{}", text(&o));
    // Without credentials, a real (non-sandbox) run names the variables to set, before it starts.
    std::fs::write(&s, "ncm::routers::list()").unwrap();
    let o = bin().arg("run").arg(&s).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("X_CP_API_ID") && text(&o).contains("--sandbox"),
        "{}",
        text(&o)
    );
}

#[test]
fn writes_stay_inside_allowed_directories() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("w.rhai");
    std::fs::write(&s, "json::write(\"../escape.json\", #{a: 1});").unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let o = bin()
        .current_dir(&work)
        .arg("run")
        .arg(&s)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("is not allowed") && text(&o).contains("--allow-write"),
        "{}",
        text(&o)
    );
    assert!(!dir.path().join("escape.json").exists());
    let o = bin()
        .current_dir(&work)
        .arg("run")
        .arg(&s)
        .arg("--allow-write")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.path().join("escape.json").exists());
}

#[test]
fn dry_run_through_the_binary_sends_no_writes() {
    let sim = sim(5);
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("d.rhai");
    std::fs::write(&s, "let r = ncm::routers::list()[0];\nncm::routers::update(r.id, #{name: \"x\"});\nncm::reboot_router(r.id);\nprint(\"done\");").unwrap();
    let o = bin_for(&sim)
        .arg("run")
        .arg(&s)
        .arg("--dry-run")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("dry-run: PUT ")
            && t.contains("/routers/10001/")
            && t.contains("dry-run: POST "),
        "{t}"
    );
    let c = sim.counters();
    assert_eq!(c.writes, 0);
    assert_eq!(c.route("GET", "routers"), 1);
}

#[test]
fn api_keys_from_the_environment_never_appear_in_output() {
    let sim = sim(5);
    let secrets = [
        "SECRET-cp-id-7f3a",
        "SECRET-cp-key-91bd",
        "SECRET-ecm-id-44c2",
        "SECRET-ecm-key-0e9d",
    ];
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("leak.rhai");
    std::fs::write(&s, r#"
        try { ncm::routers::list(); } catch (e) { print(e); debug(e); log::error(e); }
        try { ncm::routers::update(10001, #{name: "x"}); } catch (e) { print(e.body); print(e.url); }
        ncm::routers::get(10001);
    "#).unwrap();
    let o = bin()
        .current_dir(dir.path())
        .env("CP_BASE_URL", sim.ncm_base_url())
        .env("X_CP_API_ID", secrets[0])
        .env("X_CP_API_KEY", secrets[1])
        .env("X_ECM_API_ID", secrets[2])
        .env("X_ECM_API_KEY", secrets[3])
        .arg("run")
        .arg(&s)
        .output()
        .unwrap();
    // The uncaught 401: the keys were refused (exit 3).
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("HTTP 401"), "{t}");
    for secret in secrets {
        assert!(!t.contains(secret), "secret {secret} leaked:\n{t}");
    }
    assert!(sim.counters().unauthorized >= 3);
    // A script that tries to print a key it was handed still cannot show it.
    std::fs::write(&s, "print(ARGS.k);").unwrap();
    let o = bin()
        .env("X_CP_API_KEY", secrets[1])
        .arg("run")
        .arg(&s)
        .args(["--arg", &format!("k={}", secrets[1])])
        .output()
        .unwrap();
    assert!(!text(&o).contains(secrets[1]), "{}", text(&o));
}

#[test]
fn ctrl_c_interrupts_a_running_script_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("long.rhai");
    std::fs::write(
        &s,
        "print(\"started\");\nloop { ncm::routers::list(#{limit: 1}); }\n",
    )
    .unwrap();
    let mut child = bin()
        .arg("run")
        .arg(&s)
        // The time limit only as a backstop: a run it stopped exits 1, not 130.
        .args(["--sandbox", "--latency-ms", "200", "--max-time", "120"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The script says when it is running (no fixed delay).
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert_eq!(first.trim(), "started");
    let st = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "stopped by the interrupt: {}",
        text(&o)
    );
    assert!(text(&o).contains("interrupted"), "{}", text(&o));
}

#[test]
fn endpoints_prints_the_whole_catalog() {
    let o = bin().arg("endpoints").output().unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    let names: Vec<&str> = fleetscript::ncm::ENDPOINTS.iter().map(|e| e.name).collect();
    for n in &names {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("{n} "))),
            "{n} missing:\n{out}"
        );
    }
    assert!(out.contains("27 endpoints"));
    assert!(out
        .lines()
        .any(|l| l.starts_with("historical_locations ") && l.contains("5000/5000")));
}

/// A reader that goes away (`| head`) ends neither a script nor a listing with a panic: a
/// script's lines to the closed pipe are dropped and it finishes its work; `endpoints` stops
/// quietly.
#[test]
fn a_closed_standard_output_is_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("chatty.rhai");
    std::fs::write(
        &src,
        "for i in 0..20000 { print(`line ${i}`); }\njson::write(\"done.json\", #{done: true});\n",
    )
    .unwrap();
    for args in [
        vec!["run", "chatty.rhai", "--allow-write", "."],
        vec!["endpoints"],
    ] {
        let mut child = bin()
            .current_dir(dir.path())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before the first line
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    assert!(std::fs::read_to_string(dir.path().join("done.json"))
        .unwrap()
        .contains("true"));
}

/// Every setting of the table with a flag has it on `run` and `repl`, with the table's help and
/// default; a flag's value reaches the run (a bad one is a usage error naming the flag), and
/// `config show` lists every setting of the table.
#[test]
fn settings_flags_and_config_show_come_from_the_settings_table() {
    use fleetscript::settings::SETTINGS;
    let home = tempfile::tempdir().unwrap();
    for cmd in ["run", "repl"] {
        let o = bin().args([cmd, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&o.stdout).to_string();
        for s in SETTINGS {
            let Some(f) = s.flag else { continue };
            let line = help
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("--{} ", f.long)))
                .unwrap_or_else(|| panic!("{cmd} --help has no --{}:\n{help}", f.long));
            assert!(line.ends_with(&s.flag_help()), "{line}");
        }
    }
    let o = bin()
        .env("XDG_CONFIG_HOME", home.path())
        .args(["config", "show"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&o.stdout).to_string();
    for s in SETTINGS {
        assert!(
            shown
                .lines()
                .any(|l| l.split_whitespace().next() == Some(s.name)),
            "config show lacks {}:\n{shown}",
            s.name
        );
    }
    let o = bin()
        .current_dir(home.path())
        .args(["run", "-e", "1", "--sandbox", "--page-concurrency", "33"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--page-concurrency must be 1 to 32"),
        "{}",
        text(&o)
    );
    let o = bin()
        .current_dir(home.path())
        .args([
            "run",
            "-e",
            r#"ncm::request("DELETE", "routers/10001/")"#,
            "--sandbox",
            "--read-only",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("this run is read-only"), "{}", text(&o));
}
