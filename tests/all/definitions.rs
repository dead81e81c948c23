//! `fleetscript definitions`: the .d.rhai files cover every documented function, nested endpoint
//! modules included, and their declarations compile as Rhai once given bodies (the engine has
//! no parser for definition files; this is as close as it gets).

use crate::common::*;
use std::collections::{BTreeSet, HashSet};

/// The function paths one definition file declares (`ncm::routers::list`), and its declarations
/// grouped by module as Rhai functions with empty bodies, one `(name, arity)` each.
fn read_definitions(text: &str) -> (BTreeSet<String>, Vec<(String, String)>) {
    let mut path: Vec<String> = vec![];
    let mut declared = BTreeSet::new();
    let mut bodies: std::collections::BTreeMap<String, String> = Default::default();
    let mut seen = HashSet::new();
    for line in text.lines().map(str::trim) {
        // Rhai closes a module block on the line of its last declaration: `fn f() -> map;}`.
        let closes = line.len() - line.trim_end_matches('}').len();
        let (line, closes) = if line.chars().all(|c| c == '}') {
            ("", closes)
        } else if closes > 0 && line.trim_end_matches('}').ends_with(';') {
            (line.trim_end_matches('}'), closes)
        } else {
            (line, 0)
        };
        if let Some(name) = line.strip_prefix("module ") {
            if let Some(top) = name.strip_suffix(';') {
                path = vec![top.trim_matches('"').to_string()];
            } else {
                let sub = name.strip_suffix('{').expect(line).trim();
                path.push(sub.to_string());
            }
            continue;
        }
        // A function named like a keyword (`log::debug`) is declared as `op`: no Rhai to compile.
        if let Some((name, _)) = line.strip_prefix("op ").and_then(|d| d.split_once('(')) {
            declared.insert(format!("{}::{name}", path.join("::")));
        }
        let Some(decl) = line.strip_prefix("fn ") else {
            for _ in 0..closes {
                path.pop().expect("a } closes a module");
            }
            continue;
        };
        assert!(decl.ends_with(';'), "a declaration ends with ';': {line}");
        let (name, rest) = decl.split_once('(').expect(line);
        if name.starts_with("get ") || name.starts_with("set ") {
            continue; // a property getter or setter: no function a script calls by name
        }
        let params = rest.rsplit_once(')').expect(line).0;
        // Unnamed parameters are `_`: numbered here, as Rhai wants names.
        let names: Vec<String> = params
            .split(", ")
            .filter(|p| !p.is_empty())
            .enumerate()
            .map(|(i, p)| match p.split(':').next().unwrap().trim() {
                "_" => format!("p{i}"),
                n => n.to_string(),
            })
            .collect();
        let module = path.join("::");
        declared.insert(format!("{module}::{name}"));
        if seen.insert((module.clone(), name.to_string(), names.len())) {
            bodies
                .entry(module)
                .or_default()
                .push_str(&format!("fn {name}({}) {{}}\n", names.join(", ")));
        }
        for _ in 0..closes {
            path.pop().expect("a } closes a module");
        }
    }
    assert!(path.len() <= 1, "every module block is closed");
    (declared, bodies.into_iter().collect())
}

#[test]
fn definitions_cover_every_function_and_compile_as_rhai() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("defs");
    let o = bin()
        .args(["definitions", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let toml = std::fs::read_to_string(out.join("Rhai.toml")).unwrap();
    assert!(
        toml.contains("[source]") && toml.contains("include"),
        "{toml}"
    );
    let engine = rhai::Engine::new();
    let mut declared = BTreeSet::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".d.rhai") || name.starts_with("__builtin") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let (paths, modules) = read_definitions(&text);
        declared.extend(paths);
        for (module, src) in modules {
            if let Err(e) = engine.compile(&src) {
                panic!("{name}, module {module}: {e}\n{src}");
            }
        }
    }
    let rt = fleetscript::Runtime::new(fleetscript::Config::default()).unwrap();
    let docs = fleetscript::script::docs::all_docs(rt.engine());
    assert!(docs.len() > 200, "{} functions", docs.len());
    let missing: Vec<String> = docs
        .iter()
        // Functions without a module (`fail`) are in the global definitions, `module static;`.
        .map(|d| match d.module.as_str() {
            "" => format!("static::{}", d.name),
            m => format!("{m}::{}", d.name),
        })
        .filter(|p| !declared.contains(p))
        .collect();
    assert!(missing.is_empty(), "not in the definitions: {missing:?}");
    assert!(declared.contains("ncm::routers::list"));
    assert!(declared.contains("std/args::int"));
    assert!(declared.contains("static::fail"));
}
