//! No crash from any input: every registered native function is called with arbitrary values
//! (extreme numbers, NaN, hostile strings and ids, empty and nested containers) through the
//! Rhai boundary, in dry-run against the simulator; each call may fail with a catchable error,
//! never panic. And every numeric option of the command line, a profile and a script is swept
//! with 0, -1, 1e-300, 1e30 and NaN: a usage error (exit 2) or success, never exit 101.

use crate::common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestRunner};
use rhai::{Dynamic, Map, Scope};

fn scalar() -> impl Strategy<Value = Dynamic> {
    prop_oneof![
        Just(Dynamic::UNIT),
        any::<bool>().prop_map(Dynamic::from),
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(i64::MAX),
            Just(i64::MIN),
            Just(1_000_000_000_000),
            any::<i64>()
        ]
        .prop_map(Dynamic::from),
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-f64::INFINITY),
            Just(1e-300),
            Just(1e30),
            Just(-1.0),
            any::<f64>()
        ]
        .prop_map(Dynamic::from),
        prop_oneof![
            Just(String::new()),
            Just("..\\accounts\\1000".to_string()),
            Just("%2e%2e/x".to_string()),
            Just("/proc/self/environ".to_string()),
            Just("*".to_string()),
            Just("7.0.0".to_string()),
            Just("wan.rules2.0.apn".to_string()),
            Just("192.168.0.1".to_string()),
            "\\PC{0,12}",
        ]
        .prop_map(Dynamic::from),
    ]
}

fn value() -> impl Strategy<Value = Dynamic> {
    scalar().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Dynamic::from_array),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..4).prop_map(|kv| {
                let m: Map = kv.into_iter().map(|(k, v)| (k.into(), v)).collect();
                Dynamic::from_map(m)
            }),
        ]
    })
}

/// `name(a: T, b: U) -> R` has 2 parameters.
fn arity(signature: &str) -> usize {
    let inside = signature
        .split_once('(')
        .and_then(|(_, r)| r.split_once(')'))
        .map(|(p, _)| p.trim())
        .unwrap_or("");
    if inside.is_empty() {
        0
    } else {
        inside.split(',').count()
    }
}

#[test]
fn every_registered_function_survives_arbitrary_values() {
    let sim = sim(3);
    let out = tempfile::tempdir().unwrap();
    let mut cfg = config_for(&sim);
    cfg.http.dry_run = true;
    cfg.http.retry.max_retries = 0;
    cfg.write_dirs = vec![out.path().to_path_buf()];
    cfg.ignitenet.rate_limit.requests = 1_000_000;
    cfg.limits.max_time = Some(std::time::Duration::from_secs(5));
    let rt = fleetscript::Runtime::new(cfg).unwrap();
    let mut fns: Vec<(String, usize)> = fleetscript::script::docs::native_docs(rt.engine())
        .iter()
        .map(|d| (d.path(), arity(&d.signature)))
        .collect();
    // The guarded global functions that replace Rhai's own.
    fns.extend([("pad", 3), ("blob", 1), ("blob", 2)].map(|(n, a)| (n.to_string(), a)));
    fns.dedup();
    assert!(fns.len() > 100, "{} functions", fns.len());
    let calls = std::cell::Cell::new(0usize);
    for (path, n) in &fns {
        let call = format!(
            "{path}({})",
            (0..*n)
                .map(|i| format!("x{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let strategy = prop::collection::vec(value(), *n);
        let mut runner = TestRunner::new(PtConfig {
            cases: 12,
            failure_persistence: None,
            ..PtConfig::default()
        });
        let result = runner.run(&strategy, |args| {
            let mut scope = Scope::new();
            for (i, a) in args.iter().enumerate() {
                scope.push(format!("x{i}"), a.clone());
            }
            // `log::debug` cannot be called from a script (`debug` is a reserved word in Rhai).
            let Ok(ast) = rt.engine().compile_with_scope(&scope, &call) else {
                prop_assert_eq!(path.as_str(), "log::debug");
                return Ok(());
            };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = rt.eval_in("fuzz.rhai", &call, &mut scope, &ast);
            }));
            calls.set(calls.get() + 1);
            prop_assert!(outcome.is_ok(), "{call} panicked with {:?}", args);
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }
    assert!(calls.get() >= (fns.len() - 1) * 12, "{} calls", calls.get());
    // No file escaped the allowed directory, and nothing was written to the API.
    assert_eq!(sim.counters().writes, 0);
}

/// The values every numeric option is tried with.
const SWEEP: &[&str] = &["0", "-1", "1e-300", "1e30", "NaN"];

fn code_and_text(o: &std::process::Output) -> (Option<i32>, String) {
    (o.status.code(), text(o))
}

#[test]
fn every_numeric_flag_is_checked_never_a_crash() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("s.rhai"), "1").unwrap();
    let flags = [
        "--timeout",
        "--retries",
        "--retry-delay-ms",
        "--routers",
        "--latency-ms",
        "--sync-delay-ms",
        "--max-body-mb",
        "--max-memory",
        "--max-time",
        "--seed",
    ];
    let runs: Vec<_> = flags
        .iter()
        .flat_map(|f| SWEEP.iter().map(move |v| (*f, *v)))
        .map(|(flag, v)| {
            let child = bin()
                .current_dir(t.path())
                .args(["run", "s.rhai", "--sandbox", &format!("{flag}={v}")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (flag, v, child)
        })
        .collect();
    for (flag, v, child) in runs {
        let (code, out) = code_and_text(&child.wait_with_output().unwrap());
        assert!(
            matches!(code, Some(0) | Some(2)),
            "{flag} {v}: exit {code:?}\n{out}"
        );
        if code == Some(2) {
            assert!(
                out.contains(flag.trim_start_matches("--")) || out.contains("invalid value"),
                "{flag} {v}: {out}"
            );
        }
    }
    // The simulator's own: a bad value exits 2 at once; a good one starts serving.
    for v in SWEEP {
        let mut child = bin()
            .args(["sim", "--addr", "127.0.0.1:0", &format!("--fail-rate={v}")])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        use std::io::BufRead;
        let _ = std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first);
        if first.contains("simulator") {
            child.kill().unwrap();
            let _ = child.wait();
        } else {
            let (code, out) = code_and_text(&child.wait_with_output().unwrap());
            assert_eq!(code, Some(2), "--fail-rate {v}: {out}");
            assert!(out.contains("fail-rate"), "{out}");
        }
    }
}

#[test]
fn every_numeric_profile_setting_is_checked_never_a_crash() {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("fleetscript")).unwrap();
    for key in [
        "timeout",
        "concurrency",
        "rate_limit",
        "ignitenet_rate_limit",
        "retries",
        "retry_delay_ms",
    ] {
        for v in ["0", "-1", "1e-300", "1e30", "nan", "inf"] {
            std::fs::write(
                t.path().join("fleetscript/config.toml"),
                format!("[profiles.default]\n{key} = {v}\n"),
            )
            .unwrap();
            for cmd in [&["config", "show"][..], &["config", "check"][..]] {
                let (code, out) = code_and_text(
                    &bin()
                        .env("XDG_CONFIG_HOME", t.path())
                        .args(cmd)
                        .output()
                        .unwrap(),
                );
                // `config check` with no keys configured fails (1); a bad value is a usage error.
                assert!(
                    matches!(code, Some(0..=2)),
                    "{key} = {v}, {cmd:?}: exit {code:?}\n{out}"
                );
                if code == Some(2) {
                    assert!(out.contains(key), "{key} = {v}: {out}");
                }
            }
        }
    }
}

#[test]
fn every_numeric_script_option_is_a_catchable_error_naming_it() {
    let sim = sim(3);
    let mut cfg = config_for(&sim);
    cfg.http.dry_run = true;
    let mut rt = fleetscript::Runtime::new(cfg).unwrap();
    for opt in ["concurrency", "rate", "verify_timeout", "poll_interval"] {
        for v in ["0", "-1", "1e-300", "1e30", "0.0/0.0"] {
            let src = format!(
                "let r = \"ok\"; try {{ ncm::apply_all([], #{{{opt}: {v}}}); }} catch (e) {{ r = e.message; }} r"
            );
            let said = eval(&mut rt, &src).to_string();
            assert!(said == "ok" || said.contains(opt), "{opt} = {v}: {said}");
        }
    }
    for span in [
        "#{days: 1e30}",
        "#{seconds: 9223372036854775807}",
        "#{weeks: -9223372036854775807}",
        "#{hours: 0.0/0.0}",
    ] {
        let said = eval(
            &mut rt,
            &format!(
                "let r = \"ok\"; try {{ time::ago({span}); }} catch (e) {{ r = e.message; }} r"
            ),
        )
        .to_string();
        assert!(said.contains("time::ago"), "{span}: {said}");
    }
    // And through a built-in script's --arg.
    let t = tempfile::tempdir().unwrap();
    for (arg, v) in SWEEP
        .iter()
        .flat_map(|v| ["concurrency", "rate", "verify_timeout", "poll"].map(|a| (a, *v)))
    {
        let (code, out) = code_and_text(
            &bin()
                .current_dir(t.path())
                .args(["run", "apn_rollout", "--sandbox", "--dry-run"])
                .args(["--arg", "group=1", "--arg", "apn=iot.example"])
                .args(["--arg", &format!("{arg}={v}")])
                .output()
                .unwrap(),
        );
        assert!(
            matches!(code, Some(0..=2)),
            "{arg}={v}: exit {code:?}\n{out}"
        );
    }
}
