//! Benchmark: how long the operator waits — `fleetscript run` of an empty script (with and
//! without `--sandbox`) and the REPL from launch to its first prompt (in a pseudo-terminal).
//! Medians of several runs of the release binary. `cargo bench --bench startup`
//! (FLEET_RUNS overrides the number of runs).

use expectrl::{Expect, Session};
use std::process::Command;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let runs: usize = std::env::var("FLEET_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let exe = env!("CARGO_BIN_EXE_fleetscript");
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.rhai");
    std::fs::write(&empty, "").unwrap();
    let clean = |c: &mut Command| {
        c.env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .current_dir(dir.path());
    };
    for (label, sandbox) in [
        ("run empty script", false),
        ("run empty script --sandbox", true),
    ] {
        let mut times = vec![];
        for _ in 0..runs {
            let mut c = Command::new(exe);
            clean(&mut c);
            c.arg("run").arg(&empty);
            if sandbox {
                c.arg("--sandbox");
            }
            let t = Instant::now();
            let o = c.output().expect("run");
            times.push(t.elapsed());
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        println!(
            "{label:<36} median {} (min {}, {runs} runs)",
            ms(median(times.clone())),
            ms(*times.iter().min().unwrap())
        );
    }
    for (label, sandbox) in [
        ("repl start-up to prompt", false),
        ("repl --sandbox start-up to prompt", true),
    ] {
        let mut times = vec![];
        for _ in 0..runs {
            let mut c = Command::new(exe);
            clean(&mut c);
            c.arg("repl").env("TERM", "xterm");
            if sandbox {
                c.arg("--sandbox");
            }
            let t = Instant::now();
            let mut p = Session::spawn(c).expect("pty");
            p.set_expect_timeout(Some(Duration::from_secs(30)));
            // The prompt names where it is: `fleetscript> `, `fleetscript (sandbox)> `.
            p.expect(expectrl::Regex(r"fleetscript( \(sandbox\))?> "))
                .expect("prompt");
            times.push(t.elapsed());
            p.send(":quit\r").unwrap();
            let _ = p.expect(expectrl::Eof);
        }
        println!(
            "{label:<36} median {} (min {}, {runs} runs)",
            ms(median(times.clone())),
            ms(*times.iter().min().unwrap())
        );
    }
}
