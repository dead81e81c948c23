//! The exit-code contract of the binary, one test per code of the table (README, guide): 0 done
//! (a dry run says so on its first and last line and writes nothing); 1 the job ran and failed
//! (the script's `fail` message alone); 2 a usage error before any request (a flag, an `--arg`
//! outside its declaration, missing credentials, an unknown profile); 3 refused credentials; 75
//! a lock held or a cloud unavailable after retries; 130 interrupted before a backup was saved
//! (0 after it). Each checks the message: no script frames for 2 and 3, no key anywhere.

use crate::common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::{mpsc, Mutex};

/// Every key a test run could hold: the sandbox's and the wrong ones tests set.
fn secrets() -> Vec<String> {
    let k = fleetscript::sim::sandbox_credentials();
    vec![
        k.cp_api_id,
        k.cp_api_key,
        k.ecm_api_id,
        k.ecm_api_key,
        fleetscript::sim::SANDBOX_IGNITENET_KEY.to_string(),
        WRONG_KEY.to_string(),
    ]
}

const WRONG_KEY: &str = "wrong-key-4711-abcd";

/// The run's stdout and stderr together, after checking its exit code and that no key shows.
fn ended(o: &Output, code: i32) -> String {
    let t = text(o);
    assert_eq!(o.status.code(), Some(code), "{t}");
    for s in secrets() {
        assert!(!t.contains(&s), "a key shows: {s}\n{t}");
    }
    t
}

/// The error lines of a run (stderr's `error: ...` and what follows it).
fn error_part(o: &Output) -> String {
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    match e.find("error: ") {
        Some(i) => e[i..].to_string(),
        None => panic!("no error line:\n{e}"),
    }
}

#[test]
fn exit_0_done_and_a_dry_run_says_so_first_and_last_and_writes_nothing() {
    let sim = sim(20);
    let dir = tempfile::tempdir().unwrap();
    let o = bin_for(&sim)
        .current_dir(dir.path())
        .args([
            "run",
            "golden_config",
            "--arg",
            "from=2001",
            "--arg",
            "to=2002",
            "--dry-run",
        ])
        .output()
        .unwrap();
    let t = ended(&o, 0);
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("dry run: nothing will be written (every write is shown instead)"),
        "{t}"
    );
    assert_eq!(
        lines.last().copied(),
        Some("dry run: nothing was written (1 write planned)"),
        "{t}"
    );
    // The plan: per path, the current value and the value it would write; the totals.
    assert!(t.contains(".name: (unset) -> \"Store POS\""), "{t}");
    assert!(
        t.contains("golden_config: dry run: 1 group(s) would be updated"),
        "{t}"
    );
    assert_eq!(sim.counters().writes, 0);
    // restore_config: a backup (reads only), a change, then the restore's plan.
    let o = bin_for(&sim)
        .current_dir(dir.path())
        .args(["run", "nightly_backup", "--arg", "dir=b"])
        .output()
        .unwrap();
    ended(&o, 0);
    let day = std::fs::read_dir(dir.path().join("b"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("index.csv").is_file())
        .unwrap();
    let rid = sim.records("routers")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cm_id = cm_of_router(&sim, &rid)["id"].as_str().unwrap().to_string();
    sim.with_store(|s| {
        let cm = s.find_mut("configuration_managers", &cm_id).unwrap();
        cm["configuration"] = serde_json::json!([{"system": {"system_id": "moved"}}, []]);
    });
    sim.reset_counters();
    let file = day.join(format!("{rid}.json"));
    let o = bin_for(&sim)
        .current_dir(dir.path())
        .args(["run", "restore_config", "--arg"])
        .arg(format!("router={rid}"))
        .arg("--arg")
        .arg(format!("from={}", file.display()))
        .arg("--dry-run")
        .output()
        .unwrap();
    let t = ended(&o, 0);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("dry run: nothing will be written"), "{t}");
    assert!(
        err.trim_end()
            .ends_with("dry run: nothing was written (1 write planned)"),
        "{t}"
    );
    // Per path: the current value and the one it would write (here: none, by a PUT).
    assert!(
        t.contains("PUT: system: {\"system_id\":\"moved\"} -> (unset)"),
        "{t}"
    );
    assert_eq!(sim.counters().writes, 0, "a dry run sends no write");
}

#[test]
fn exit_1_a_failed_job_ends_with_its_message_alone() {
    let sim = sim(20);
    let dir = tempfile::tempdir().unwrap();
    // 2003 is of another product: skipped by an ERROR, so the job failed.
    let o = bin_for(&sim)
        .current_dir(dir.path())
        .args([
            "run",
            "golden_config",
            "--arg",
            "from=2001",
            "--arg",
            "to=2002,2003",
        ])
        .output()
        .unwrap();
    let t = ended(&o, 1);
    let e = error_part(&o);
    assert!(!e.contains("-->"), "{t}");
    assert!(
        e.starts_with("error: 1 group(s) skipped: ")
            && e.contains("fleetscript run golden_config --arg from=2001 --arg to=2003"),
        "{t}"
    );
    assert!(
        t.contains("golden_config: 1 group(s) updated"),
        "the summary first: {t}"
    );
    // `fail` from any script: the message alone, masked.
    let o = bin_for(&sim)
        .args(["run", "-e", r#"fail(`stop here: ${ARGS.k}`)"#, "--arg"])
        .arg(format!("k={}", fleetscript::sim::SANDBOX_IGNITENET_KEY))
        .output()
        .unwrap();
    ended(&o, 1);
    assert_eq!(error_part(&o), "error: stop here: ****\n");
    // An error in the script's own code keeps its frames.
    let o = bin_for(&sim)
        .args(["run", "-e", "let x = 1;\nx.no_such_method();"])
        .output()
        .unwrap();
    assert!(ended(&o, 1).contains("--> -e:2:"), "{}", text(&o));
}

#[test]
fn exit_2_usage_errors_are_found_before_any_request() {
    let sim = sim(5);
    let dir = tempfile::tempdir().unwrap();
    let usage = |args: &[&str]| {
        let o = bin_for(&sim)
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        let t = ended(&o, 2);
        assert!(!t.contains("-->"), "no script frames: {t}");
        t
    };
    // An unknown flag.
    usage(&["run", "inventory", "--no-such-flag"]);
    // An undeclared --arg, a malformed one (every wave is a count or a percentage), a value
    // outside the declared range.
    let t = usage(&[
        "run",
        "golden_config",
        "--arg",
        "fromm=2001",
        "--arg",
        "to=2002",
    ]);
    assert!(t.contains("did you mean --arg from?"), "{t}");
    let t = usage(&[
        "run",
        "apn_rollout",
        "--arg",
        "group=2001",
        "--arg",
        "apn=iot.example",
        "--arg",
        "waves=abc",
    ]);
    assert!(
        t.contains("--arg waves=\"abc\": expected a comma-separated list"),
        "{t}"
    );
    let s = dir.path().join("ranged.rhai");
    std::fs::write(
        &s,
        "// Purpose: p.\n//\n// Arguments:\n//   --arg concurrency=N(1-64)   parallel writes (default: 4)\n\nprint(ARGS.concurrency);\n",
    )
    .unwrap();
    let t = usage(&["run", s.to_str().unwrap(), "--arg", "concurrency=-3"]);
    assert!(t.contains("expected a whole number from 1 to 64"), "{t}");
    assert!(
        t.contains("[--arg concurrency=N(1-64)]"),
        "the usage line: {t}"
    );
    // A profile that does not exist.
    let t = usage(&["run", "inventory", "--profile", "nope"]);
    assert!(t.contains("profile \"nope\""), "{t}");
    assert_eq!(sim.counters().total, 0, "not one request");
    // No credentials for a cloud the script uses: found from the script before it runs.
    let o = bin()
        .current_dir(dir.path())
        .args(["run", "inventory"])
        .output()
        .unwrap();
    let t = ended(&o, 2);
    assert_eq!(
        t.lines().count(),
        1,
        "one line naming the keys and --sandbox: {t}"
    );
    assert!(
        t.contains("inventory uses NCM")
            && t.contains("X_CP_API_ID, X_CP_API_KEY, X_ECM_API_ID, X_ECM_API_KEY")
            && t.contains("--sandbox"),
        "{t}"
    );
    let o = bin_for(&sim)
        .env_remove("IGNITENET_API_KEY")
        .current_dir(dir.path())
        .args(["run", "ignitenet_inventory"])
        .output()
        .unwrap();
    let t = ended(&o, 2);
    assert!(
        t.contains("uses IgniteNet") && t.contains("IGNITENET_API_KEY"),
        "{t}"
    );
    assert_eq!(sim.counters().total, 0, "not one request");
}

#[test]
fn exit_3_refused_keys_name_the_keys_to_check_in_one_line() {
    let sim = sim(5);
    let dir = tempfile::tempdir().unwrap();
    let o = bin_for(&sim)
        .env("X_CP_API_KEY", WRONG_KEY)
        .current_dir(dir.path())
        .args(["run", "inventory"])
        .output()
        .unwrap();
    let t = ended(&o, 3);
    let e = error_part(&o);
    assert_eq!(e.lines().count(), 1, "{t}");
    assert!(!t.contains("-->"), "{t}");
    assert!(
        e.starts_with("error: NCM refused the credentials (HTTP 401")
            && e.contains("check X_CP_API_ID, X_CP_API_KEY, X_ECM_API_ID, X_ECM_API_KEY"),
        "{t}"
    );
    // Keys from a profile: the message names the profile.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("fleetscript")).unwrap();
    let k = fleetscript::sim::sandbox_credentials();
    let file = home.path().join("fleetscript/config.toml");
    std::fs::write(
        &file,
        format!(
            "[profiles.prod]\nncm_base_url = \"{}\"\nx_cp_api_id = \"{}\"\nx_cp_api_key = \"{WRONG_KEY}\"\nx_ecm_api_id = \"{}\"\nx_ecm_api_key = \"{}\"\n",
            sim.ncm_base_url(),
            k.cp_api_id,
            k.ecm_api_id,
            k.ecm_api_key
        ),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let o = bin()
        .env("XDG_CONFIG_HOME", home.path())
        .current_dir(dir.path())
        .args(["run", "inventory", "--profile", "prod"])
        .output()
        .unwrap();
    let t = ended(&o, 3);
    assert!(!t.contains("-->"), "{t}");
    assert!(t.contains("of profile prod in "), "{t}");
    // `config check` says the same, with the same code.
    let o = bin_for(&sim)
        .env("X_CP_API_KEY", WRONG_KEY)
        .args(["config", "check"])
        .output()
        .unwrap();
    let t = ended(&o, 3);
    assert!(
        t.contains("HTTP 401") && t.contains("IgniteNet (") && t.contains("ok, 3 sites"),
        "{t}"
    );
}

#[test]
fn exit_75_a_lock_held_by_another_run() {
    let sim = sim(5);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("nightly")).unwrap();
    let held = fleetscript::files::Dir::open(&dir.path().join("nightly"), false)
        .unwrap()
        .lock(".fleetscript.lock")
        .unwrap();
    let o = bin_for(&sim)
        .current_dir(dir.path())
        .args([
            "run",
            "nightly_backup",
            "--arg",
            "dir=nightly",
            "--arg",
            "store=git",
        ])
        .output()
        .unwrap();
    let t = ended(&o, 75);
    let e = error_part(&o);
    // One error line (a concurrent listing's retry warning may still come after it).
    assert_eq!(
        e.lines().filter(|l| !l.contains(" WARN ")).count(),
        1,
        "{t}"
    );
    assert!(
        e.contains("another fleetscript run (pid ") && e.contains("try again"),
        "{t}"
    );
    drop(held);
}

#[test]
fn exit_75_a_cloud_unavailable_after_its_retries() {
    let base = hostile_server(|_| Reply::Full(503, "text/plain", b"down for maintenance".to_vec()));
    let k = fleetscript::sim::sandbox_credentials();
    let dir = tempfile::tempdir().unwrap();
    let o = bin()
        .current_dir(dir.path())
        .env("CP_BASE_URL", &base)
        .env("X_CP_API_ID", k.cp_api_id)
        .env("X_CP_API_KEY", k.cp_api_key)
        .env("X_ECM_API_ID", k.ecm_api_id)
        .env("X_ECM_API_KEY", k.ecm_api_key)
        .args([
            "run",
            "inventory",
            "--retries",
            "1",
            "--retry-delay-ms",
            "1",
        ])
        .output()
        .unwrap();
    let t = ended(&o, 75);
    let e = error_part(&o);
    // One error line (a concurrent listing's retry warning may still come after it).
    assert_eq!(
        e.lines().filter(|l| !l.contains(" WARN ")).count(),
        1,
        "{t}"
    );
    assert!(!t.contains("-->"), "{t}");
    let line = e.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("error: NCM is unavailable: GET ")
            && line.contains("HTTP 503: down for maintenance (after 1 retries)")
            && line.trim_end().ends_with("try again later"),
        "{t}"
    );
}

/// Runs a nightly backup whose notify URL answers the ping ending in `at` (`/ping/start`:
/// before the backup; `/ping`: after it is saved) only once the run got `signal` and said it is
/// interrupting: the interrupt lands exactly there, with no sleep. The exit code and stderr.
fn interrupted_at(mut cmd: Command, at: &'static str, signal: i32) -> (Option<i32>, String) {
    let (pid_tx, pid_rx) = mpsc::channel::<u32>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (pid_rx, go_rx) = (Mutex::new(pid_rx), Mutex::new(go_rx));
    let base = hostile_server(move |path| {
        if path.ends_with(at) {
            if let Ok(pid) = pid_rx.lock().unwrap().recv() {
                // SAFETY: sends a signal to the child this test started.
                unsafe { libc::kill(pid as i32, signal) };
                let _ = go_rx.lock().unwrap().recv();
            }
        }
        Reply::Full(200, "text/plain", b"OK".to_vec())
    });
    cmd.arg("--arg")
        .arg(format!("notify={base}/ping"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    pid_tx.send(child.id()).unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("interrupting") {
                let _ = go_tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let status = child.wait().unwrap();
    (status.code(), reader.join().unwrap())
}

#[test]
fn exit_130_interrupted_before_the_backup_is_saved_and_0_after() {
    let sim = sim(10);
    let dir = tempfile::tempdir().unwrap();
    let backup = |dir: &std::path::Path| {
        let mut c = bin_for(&sim);
        c.current_dir(dir).args([
            "run",
            "nightly_backup",
            "--arg",
            "dir=nightly",
            "--arg",
            "store=git",
        ]);
        c
    };
    // Ctrl-C before the backup: 130, and no backup at all.
    let (code, err) = interrupted_at(backup(dir.path()), "/ping/start", libc::SIGINT);
    assert_eq!(code, Some(130), "{err}");
    assert!(!dir.path().join("nightly/.git").exists(), "{err}");
    // SIGTERM after the commit (while the success ping is sent): the report is done, exit 0.
    let (code, err) = interrupted_at(backup(dir.path()), "/ping", libc::SIGTERM);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("interrupting: the backup commit ")
            && err.contains("that is saved and complete"),
        "{err}"
    );
    let repo = git2::Repository::open(dir.path().join("nightly")).unwrap();
    assert!(repo.head().unwrap().peel_to_commit().is_ok());
    for s in secrets() {
        assert!(!err.contains(&s), "{err}");
    }
}

#[test]
fn the_readme_and_the_guide_state_the_same_table() {
    let table = |file: &str| {
        let t =
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
                .unwrap();
        let start = t.find("| exit | meaning |").unwrap();
        t[start..]
            .lines()
            .take_while(|l| l.starts_with('|'))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let readme = table("README.md");
    assert_eq!(readme, table("docs/guide.md"));
    let codes: Vec<&str> = readme[2..]
        .iter()
        .map(|l| l.split('`').nth(1).unwrap())
        .collect();
    use fleetscript::exit;
    let want: Vec<String> = [
        exit::OK,
        exit::FAILURE,
        exit::USAGE,
        exit::AUTH,
        exit::TEMPFAIL,
        exit::INTERRUPTED,
    ]
    .iter()
    .map(i32::to_string)
    .collect();
    assert_eq!(codes, want);
}

/// The guide's systemd unit never counts 75 as success (a run stuck holding the backup
/// directory's lock would make every later night "succeed" without a backup): 75 is retried a
/// few times, then the unit stays failed; 1, 2 and 3 are not retried.
#[test]
fn the_documented_systemd_unit_never_counts_75_as_success() {
    let guide = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guide.md"),
    )
    .unwrap();
    let at = guide
        .find("`/etc/systemd/system/fleetscript-backup.service`:")
        .unwrap();
    let start = at + guide[at..].find("```ini\n").unwrap() + 7;
    let unit = &guide[start..start + guide[start..].find("```").unwrap()];
    let setting = |key: &str| {
        unit.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::to_string)
    };
    let tempfail = fleetscript::exit::TEMPFAIL.to_string();
    let lists = |key: &str, code: &str| {
        setting(key).is_some_and(|v| v.split_whitespace().any(|c| c == code))
    };
    assert!(!lists("SuccessExitStatus", &tempfail), "{unit}");
    assert_eq!(setting("Restart").as_deref(), Some("on-failure"), "{unit}");
    assert!(!lists("RestartPreventExitStatus", &tempfail), "{unit}");
    use fleetscript::exit;
    for code in [exit::FAILURE, exit::USAGE, exit::AUTH] {
        assert!(
            lists("RestartPreventExitStatus", &code.to_string()),
            "{unit}"
        );
    }
    // The retries end: the unit then stays failed.
    assert!(setting("StartLimitBurst").is_some() && setting("StartLimitIntervalSec").is_some());
}
