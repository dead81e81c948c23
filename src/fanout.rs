//! `fleetscript run SCRIPT --profile a --profile b` (or `--all-profiles`): the script runs once
//! per profile, each run a child `fleetscript run ... --profile NAME` working in a directory
//! named after the profile (so relative output paths land there), at most `--jobs` at once.
//! Every line a run prints is prefixed with its profile; each run ends with a summary line; the
//! exit code is the worst of the runs'.

use anyhow::Context;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How one profile's run ended.
struct Outcome {
    profile: String,
    code: i32,
    seconds: f64,
    last_error: Option<String>,
    /// The run's `calls:` line (the API calls it made per cloud), when it made any.
    calls: Option<String>,
}

/// A profile name as a directory name: letters, digits, `-`, `_` and `.`, not `.` or `..`.
fn check_profile_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    anyhow::ensure!(
        ok,
        "profile {name:?} cannot name its run's directory: use letters, digits, '-', '_' and '.'"
    );
    Ok(())
}

/// The command line of this `run` without the profile-selection flags, the script made
/// absolute when it is a file (the children work in other directories).
fn child_args(script: &str) -> Vec<std::ffi::OsString> {
    let mut out = vec![];
    let mut args = std::env::args_os().skip(1);
    let mut script_seen = false;
    while let Some(a) = args.next() {
        let s = a.to_string_lossy();
        match s.as_ref() {
            "--all-profiles" => continue,
            "--profile" | "--jobs" => {
                args.next();
                continue;
            }
            _ if s.starts_with("--profile=") || s.starts_with("--jobs=") => continue,
            _ if !script_seen && s == script => {
                script_seen = true;
                let p = Path::new(script);
                if p.is_file() {
                    if let Ok(abs) = std::fs::canonicalize(p) {
                        out.push(abs.into_os_string());
                        continue;
                    }
                }
            }
            _ => {}
        }
        out.push(a);
    }
    out
}

/// The lines of a run's error output that say what went wrong: its last `error: ` line, else
/// its last line that is not a diagnostic's frame (`--> file:line`, the source line, the caret).
#[derive(Default)]
struct LastError {
    error: Option<String>,
    other: Option<String>,
    /// The run's `calls:` line, for the summary (never what went wrong).
    calls: Option<String>,
}

impl LastError {
    fn see(&mut self, line: &str) {
        let t = line.trim();
        if let Some(calls) = t.strip_prefix("calls: ") {
            self.calls = Some(calls.to_string());
        } else if let Some(msg) = t.strip_prefix("error: ") {
            self.error = Some(msg.to_string());
        } else if !t.is_empty()
            && !t.starts_with("-->")
            && !t.starts_with('|')
            && !t
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() && t.contains(" | "))
        {
            self.other = Some(t.to_string());
        }
    }

    fn take(&mut self) -> Option<String> {
        self.error.take().or_else(|| self.other.take())
    }
}

/// Copies a child's output to ours line by line, each line prefixed; notes what went wrong.
fn relay(from: impl std::io::Read, prefix: String, to_stderr: bool, last: Arc<Mutex<LastError>>) {
    for line in BufReader::new(from).lines().map_while(Result::ok) {
        if to_stderr {
            let _ = writeln!(std::io::stderr().lock(), "{prefix}{line}");
            last.lock().unwrap_or_else(|e| e.into_inner()).see(&line);
        } else {
            let _ = writeln!(std::io::stdout().lock(), "{prefix}{line}");
        }
    }
}

/// Runs one profile's child to its end.
fn run_one(profile: &str, args: &[std::ffi::OsString], root: &Path) -> Outcome {
    let started = Instant::now();
    let dir = root.join(profile);
    let last = Arc::new(Mutex::new(LastError::default()));
    let spawned = std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
        .and_then(|_| {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            Command::new(exe)
                .args(args)
                .arg("--profile")
                .arg(profile)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start the run: {e}"))
        });
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                profile: profile.into(),
                code: fleetscript::exit::FAILURE,
                seconds: 0.0,
                last_error: Some(e),
                calls: None,
            }
        }
    };
    let prefix = format!("[{profile}] ");
    let out = child.stdout.take().map(|o| {
        let p = prefix.clone();
        let l = last.clone();
        std::thread::spawn(move || relay(o, p, false, l))
    });
    if let Some(e) = child.stderr.take() {
        relay(e, prefix, true, last.clone());
    }
    if let Some(t) = out {
        let _ = t.join();
    }
    let code = match child.wait() {
        Ok(s) => s.code().unwrap_or(fleetscript::exit::INTERRUPTED),
        Err(_) => fleetscript::exit::FAILURE,
    };
    let mut seen = last.lock().unwrap_or_else(|e| e.into_inner());
    let calls = seen.calls.take();
    let last_error = seen.take();
    Outcome {
        profile: profile.into(),
        code,
        seconds: started.elapsed().as_secs_f64(),
        last_error,
        calls,
    }
}

/// Runs `script` once per profile, `jobs` at a time; prints a summary line per profile.
pub fn run_per_profile(script: &str, profiles: &[String], jobs: usize) -> anyhow::Result<i32> {
    anyhow::ensure!(jobs >= 1, "--jobs must be at least 1");
    anyhow::ensure!(!profiles.is_empty(), "no profile to run for");
    for p in profiles {
        check_profile_name(p)?;
    }
    let mut seen = std::collections::HashSet::new();
    let profiles: Vec<String> = profiles
        .iter()
        .filter(|p| seen.insert(p.as_str()))
        .cloned()
        .collect();
    let root = std::env::current_dir().context("the current directory")?;
    let args = child_args(script);
    // Popped from the end: reversed so that they start in the order given.
    let queue = Arc::new(Mutex::new(
        profiles.iter().rev().cloned().collect::<Vec<_>>(),
    ));
    let done = Arc::new(Mutex::new(Vec::<Outcome>::new()));
    let workers: Vec<_> = (0..jobs.min(profiles.len()))
        .map(|_| {
            let (queue, done, args, root) =
                (queue.clone(), done.clone(), args.clone(), root.clone());
            std::thread::spawn(move || loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let Some(p) = next else { break };
                let o = run_one(&p, &args, &root);
                done.lock().unwrap_or_else(|e| e.into_inner()).push(o);
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let mut done = std::mem::take(&mut *done.lock().unwrap_or_else(|e| e.into_inner()));
    done.sort_by(|a, b| a.profile.cmp(&b.profile));
    Ok(summarize(&done, &root))
}

/// A summary line per profile; the worst exit code (0 when every run succeeded).
fn summarize(done: &[Outcome], root: &Path) -> i32 {
    let mut worst = fleetscript::exit::OK;
    let failed = done.iter().filter(|o| o.code != 0).count();
    for o in done {
        let dir: PathBuf = root.join(&o.profile);
        let calls = o
            .calls
            .as_deref()
            .map(|c| format!("; calls: {c}"))
            .unwrap_or_default();
        if o.code == 0 {
            println!(
                "{}: ok in {:.1} s (its files in {}){calls}",
                o.profile,
                o.seconds,
                dir.display()
            );
        } else {
            worst = worst.max(o.code);
            println!(
                "{}: FAILED (exit {}) in {:.1} s{}{calls}",
                o.profile,
                o.code,
                o.seconds,
                o.last_error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            );
        }
    }
    println!(
        "{} profiles: {} ok, {failed} failed",
        done.len(),
        done.len() - failed
    );
    worst
}
