//! Every documented example runs: each `fleetscript ...` line of the README's and the guide's
//! `sh` blocks and of each built-in script's header, run by `sh` as written (with `fleetscript`
//! on the PATH), against `--sandbox` (added when the line has no such flag: it is how the
//! example runs without an account), all in one working directory. What an operator would
//! already have there is made first: dated backups of 2026-11-01 and 2026-11-20, a git store with
//! four commits. Absolute `/var/backups/...` paths are taken below the working directory.
//! Only lines that cannot run unattended are left out, each with its reason.

use crate::common::*;
use std::path::{Path, PathBuf};

/// A documented command: where it is written, and the line.
struct Example {
    place: String,
    line: String,
}

/// The `fleetscript` lines of the ```sh blocks of a Markdown file.
fn markdown_examples(path: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = vec![];
    let mut in_sh = false;
    for (n, l) in text.lines().enumerate() {
        let t = l.trim();
        if let Some(lang) = t.strip_prefix("```") {
            in_sh = !in_sh && matches!(lang, "sh" | "bash");
            continue;
        }
        if in_sh && without_comment(t).contains("fleetscript ") && !t.starts_with('#') {
            out.push(Example {
                place: format!("{}:{}", path.display(), n + 1),
                line: t.to_string(),
            });
        }
    }
    out
}

/// The `//   fleetscript ...` lines of a script's header.
fn header_examples(path: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.starts_with("//") || l.starts_with("#!"))
        .filter_map(|(n, l)| {
            let t = l.trim_start_matches('/').trim();
            t.starts_with("fleetscript ").then(|| Example {
                place: format!("{}:{}", path.display(), n + 1),
                line: t.to_string(),
            })
        })
        .collect()
}

/// Why a documented line is not run here, if it is not.
fn left_out(line: &str) -> Option<&'static str> {
    if line.contains("fleetscript sim") {
        Some("serves until Ctrl-C")
    } else if line.contains("fleetscript config") {
        Some("reads your own config.toml")
    } else if line.contains("--all-profiles") || line.contains("--profile ") {
        Some("needs your profiles (tests/all/many_profiles.rs runs this on two simulators)")
    } else if line.contains("--ca-file") {
        Some("needs your CA file (the TLS tests run it with a CA made at test time)")
    } else if line.contains("...") {
        Some("a placeholder for your own value")
    } else {
        None
    }
}

/// The line as `sh` runs it: the trailing comment dropped, `--sandbox` added to a `run` that
/// has none (not to `--help`, which calls no API), `/var/backups` below `work`.
fn as_run(line: &str, work: &Path) -> String {
    let cut = without_comment(line);
    let mut cmd = cut.replace("/var/backups/", &format!("{}/var/backups/", work.display()));
    if cmd.contains("fleetscript run") && !cmd.contains("--sandbox") && !cmd.contains("--help") {
        cmd.push_str(" --sandbox");
    }
    shorter_waits(&cmd)
}

/// A roll-out example waits as long as it says (`--arg soak=30`: half a minute per wave, with a
/// health check every 5 s): here each wave soaks 1 s and is checked every second, so the example
/// still runs every wave through the gate without 90 s of waiting. What soak and the gate do is
/// tested in `tests/all/rollout.rs`.
fn shorter_waits(cmd: &str) -> String {
    let Some(at) = cmd.find("--arg soak=") else {
        return cmd.to_string();
    };
    let value_at = at + "--arg soak=".len();
    let end = cmd[value_at..]
        .find(' ')
        .map_or(cmd.len(), |i| value_at + i);
    let mut out = format!("{}1{}", &cmd[..value_at], &cmd[end..]);
    if !out.contains("--arg poll=") {
        out.push_str(" --arg poll=1");
    }
    out
}

/// The line without its trailing `  # comment` (a `#` after blanks, followed by a blank).
fn without_comment(line: &str) -> String {
    let b = line.as_bytes();
    for i in 1..b.len() {
        if b[i] == b'#' && b[i - 1] == b' ' && b.get(i + 1).is_none_or(|c| *c == b' ') {
            return line[..i].trim_end().to_string();
        }
    }
    line.trim_end().to_string()
}

fn sh(cmd: &str, work: &Path, path: &str) -> std::process::Output {
    // `bin()`'s environment (no credentials, no profile, no library path), `sh` running the line.
    let c = bin();
    let mut shell = std::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(cmd)
        .current_dir(work)
        .env("PATH", path)
        .env("HOME", work);
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => shell.env(k, v),
            None => shell.env_remove(k),
        };
    }
    shell.stdin(std::process::Stdio::null()).output().unwrap()
}

/// What an operator would have on disk: dated backups of two days, git stores with four commits.
fn prepare(work: &Path, path: &str) {
    let run = |cmd: &str| {
        let o = sh(cmd, work, path);
        assert!(o.status.success(), "setup `{cmd}`: {}", text(&o));
    };
    run("fleetscript run nightly_backup --sandbox --arg dir=today");
    let today = std::fs::read_dir(work.join("today"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.path().is_dir())
        .unwrap()
        .path();
    for store in ["backups", "var/backups/ncm"] {
        for day in ["2026-11-01", "2026-11-20"] {
            copy_dir(&today, &work.join(store).join(day));
        }
    }
    for store in ["ncm-git", "var/backups/ncm-git"] {
        for seed in 1..=4 {
            run(&format!(
                "fleetscript run nightly_backup --sandbox --seed {seed} --arg store=git --arg dir={}",
                work.join(store).display()
            ));
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, dest).unwrap();
        }
    }
}

/// Runs `examples` in order in a work directory of their own (prepared with backups to read):
/// how many ran, and what each failure printed.
fn run_examples(examples: &[Example]) -> (usize, Vec<String>) {
    let work = tempfile::tempdir().unwrap();
    let bin_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_fleetscript"),
        bin_dir.path().join("fleetscript"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    prepare(work.path(), &path);
    let mut failed = vec![];
    let mut ran = 0;
    for ex in examples {
        if left_out(&ex.line).is_some() {
            continue;
        }
        let cmd = as_run(&ex.line, work.path());
        let o = sh(&cmd, work.path(), &path);
        ran += 1;
        if !o.status.success() {
            failed.push(format!("{}: `{cmd}`\n{}", ex.place, text(&o)));
        }
    }
    (ran, failed)
}

#[test]
fn every_documented_example_runs_against_the_sandbox() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut documents = markdown_examples(&root.join("README.md"));
    documents.extend(markdown_examples(&root.join("docs/guide.md")));
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(root.join("scripts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
        .collect();
    scripts.sort();
    let mut headers = vec![];
    for s in &scripts {
        let found = header_examples(s);
        assert!(
            !found.is_empty(),
            "{} has no example in its header",
            s.display()
        );
        headers.extend(found);
    }
    assert!(
        documents.len() + headers.len() > 40,
        "{} examples",
        documents.len() + headers.len()
    );

    // The documents' examples and the scripts' run side by side, each set in its own directory
    // and in its own order (an example may read what an earlier one of its set wrote).
    let ((ran_docs, mut failed), (ran_headers, failed_headers)) = std::thread::scope(|s| {
        let docs = s.spawn(|| run_examples(&documents));
        let headers = run_examples(&headers);
        (docs.join().unwrap(), headers)
    });
    failed.extend(failed_headers);
    let ran = ran_docs + ran_headers;
    assert!(ran > 30, "only {ran} examples ran");
    assert!(
        failed.is_empty(),
        "{} failed:\n\n{}",
        failed.len(),
        failed.join("\n\n")
    );
}
