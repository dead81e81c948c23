//! Every Rhai example in the function reference runs: the ```rhai block of each exported
//! function's `///` doc (native bindings and the `std/` modules, as `fleetscript doc NAME` shows
//! it) and of `docs/guide.md`, each run by the real binary as its own script against a fresh
//! in-process simulator, in a working directory of its own where it may write, with the
//! arguments `group` and `apn` given (`--arg group="IBR900 Stores" --arg apn=iot.example`), and
//! a proxy that is not there for anything but the simulator (a notification's URL). An example that
//! cannot run unattended says so in its block's first line (`// not run: REASON`); the test
//! counts those and checks each gives a reason.

use crate::common::*;
use fleetscript::script::docs;
use std::path::Path;

/// One example: where it is documented, and its source.
struct Example {
    place: String,
    source: String,
}

/// The ```rhai blocks of a Markdown file.
fn markdown_examples(path: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = vec![];
    let mut block: Option<(usize, String)> = None;
    for (n, l) in text.lines().enumerate() {
        match (&mut block, l.trim_start().strip_prefix("```")) {
            (None, Some("rhai")) => block = Some((n + 1, String::new())),
            (Some((start, src)), Some(_)) => {
                out.push(Example {
                    place: format!("{}:{start}", path.display()),
                    source: std::mem::take(src),
                });
                block = None;
            }
            (Some((_, src)), None) => {
                src.push_str(l);
                src.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

fn doc_examples() -> Vec<Example> {
    let rt = fleetscript::Runtime::new(config_at("http://127.0.0.1:9/api/v2")).unwrap();
    docs::all_docs(rt.engine())
        .iter()
        .filter_map(|d| {
            d.example().map(|source| Example {
                place: format!("`{}`", d.path()),
                source,
            })
        })
        .collect()
}

/// The reason an example gives for not being run, if it gives one.
fn skipped(source: &str) -> Option<&str> {
    source
        .lines()
        .next()?
        .trim()
        .strip_prefix("// not run:")
        .map(str::trim)
}

/// The arguments an example is given: `group` and `apn`, each unless the example declares its
/// arguments (an `Arguments:` header) without it, as an undeclared `--arg` is refused.
fn example_args(source: &str) -> Vec<String> {
    let declares = source.contains("Arguments:");
    [("group", "IBR900 Stores"), ("apn", "iot.example")]
        .into_iter()
        .filter(|(name, _)| !declares || source.contains(&format!("--arg {name}=")))
        .flat_map(|(name, value)| ["--arg".to_string(), format!("{name}={value}")])
        .collect()
}

#[test]
fn every_documented_rhai_example_runs_against_the_simulator() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut examples = doc_examples();
    examples.extend(markdown_examples(&root.join("docs/guide.md")));
    let work = tempfile::tempdir().unwrap();
    let (mut ran, mut skips, mut failures) = (0, vec![], vec![]);
    // DOC_EXAMPLES=text runs only the examples whose place contains it (while fixing them).
    let only = std::env::var("DOC_EXAMPLES").unwrap_or_default();
    for (i, ex) in examples.iter().enumerate() {
        if !ex.place.contains(&only) {
            continue;
        }
        if let Some(reason) = skipped(&ex.source) {
            assert!(
                !reason.is_empty(),
                "{}: `// not run:` without a reason",
                ex.place
            );
            skips.push(format!("{}: {reason}", ex.place));
            continue;
        }
        let dir = work.path().join(format!("ex{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("example.rhai");
        std::fs::write(&file, &ex.source).unwrap();
        // A simulator of its own: an example may delete what the next one reads.
        let sim = sim(20);
        let out = bin_for(&sim)
            .current_dir(&dir)
            .args([
                "run",
                "example.rhai",
                "--allow-write",
                ".",
                "--max-time",
                "60",
            ])
            .args(example_args(&ex.source))
            // Nothing leaves the machine: a notification's URL goes to a proxy that is not there.
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .output()
            .unwrap();
        ran += 1;
        if !out.status.success() {
            failures.push(format!(
                "{} (exit {:?}):\n{}\n--- output:\n{}",
                ex.place,
                out.status.code(),
                ex.source,
                text(&out)
            ));
        }
    }
    println!(
        "{ran} examples run, {} skipped:\n{}",
        skips.len(),
        skips.join("\n")
    );
    assert!(ran > 150 || !only.is_empty(), "only {ran} examples found");
    assert!(
        failures.is_empty(),
        "{} of {ran} examples fail:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
