//! Function documentation from the engine's own metadata (native bindings) and the doc
//! comments of the built-in `std/` modules: one list that the REPL's `:doc` and completion,
//! and the generated `docs/reference.md`, all read.

use super::library::STDLIB;
use rhai::Engine;
use serde_json::Value;

/// One documented function.
#[derive(Debug, Clone, PartialEq)]
pub struct FnDoc {
    /// `ncm::routers`, `ignitenet::config`, `std/args` ...
    pub module: String,
    pub name: String,
    /// `list(query: Map) -> Array`
    pub signature: String,
    /// The doc comment without its `///` markers.
    pub doc: String,
}

impl FnDoc {
    /// The path a script calls: `ncm::routers::list`; `args::int` for `std/args` (as imported);
    /// the bare name of a function without a module (`fail`).
    pub fn path(&self) -> String {
        match self.module.strip_prefix("std/") {
            _ if self.module.is_empty() => self.name.clone(),
            Some(m) => format!("{m}::{}", self.name),
            None => format!("{}::{}", self.module, self.name),
        }
    }
    /// `ncm::routers::list(query: Map) -> Array`
    pub fn full_signature(&self) -> String {
        match self.module.strip_prefix("std/") {
            _ if self.module.is_empty() => self.signature.clone(),
            Some(m) => format!("{m}::{}", self.signature),
            None => format!("{}::{}", self.module, self.signature),
        }
    }
    /// The example of the doc comment (the ```rhai block), if any.
    pub fn example(&self) -> Option<String> {
        let start = self.doc.find("```rhai")? + "```rhai".len();
        let rest = &self.doc[start..];
        let end = rest.find("```")?;
        Some(rest[..end].trim().to_string())
    }
    /// The doc comment without the example block.
    pub fn summary(&self) -> String {
        match self.doc.find("```rhai") {
            Some(i) => self.doc[..i].trim().to_string(),
            None => self.doc.trim().to_string(),
        }
    }
}

fn strip_comment(lines: &[&str]) -> String {
    lines
        .iter()
        .flat_map(|c| c.lines())
        .map(|l| {
            let t = l.trim_start();
            let t = t.strip_prefix("///").unwrap_or(t);
            t.strip_prefix(' ').unwrap_or(t).trim_end()
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn walk(path: &str, m: &Value, out: &mut Vec<FnDoc>) {
    for f in m["functions"].as_array().into_iter().flatten() {
        // Closures and generated helpers (`anon$...`, `get$x`) are no functions to call by name.
        if f["name"].as_str().is_none_or(|n| n.contains('$')) {
            continue;
        }
        let comments: Vec<&str> = f["docComments"]
            .as_array()
            .map(|d| d.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.push(FnDoc {
            module: path.to_string(),
            name: f["name"].as_str().unwrap_or_default().to_string(),
            signature: f["signature"].as_str().unwrap_or_default().to_string(),
            doc: strip_comment(&comments),
        });
    }
    for (k, sub) in m["modules"].as_object().into_iter().flatten() {
        walk(&format!("{path}::{k}"), sub, out);
    }
}

/// Every native function of the engine's modules, sorted by module, name and signature.
pub fn native_docs(engine: &Engine) -> Vec<FnDoc> {
    let meta: Value = engine
        .gen_fn_metadata_to_json(false)
        .ok()
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or(Value::Null);
    let mut out = vec![];
    // Functions without a module: fleetscript's own (`fail`) are the documented ones; the
    // operators and the engine's helpers registered beside them have no doc comment.
    let root = serde_json::json!({"functions": meta["functions"].clone()});
    walk("", &root, &mut out);
    out.retain(|d| !d.module.is_empty() || !d.doc.is_empty());
    for (k, m) in meta["modules"].as_object().into_iter().flatten() {
        walk(k, m, &mut out);
    }
    sort(&mut out);
    out
}

/// The public functions of the built-in `std/` modules.
pub fn stdlib_docs(engine: &Engine) -> Vec<FnDoc> {
    let mut out = vec![];
    for (name, src) in STDLIB {
        let Ok(ast) = engine.compile(src) else {
            continue;
        };
        for f in ast.iter_functions() {
            if f.access == rhai::FnAccess::Private || f.name.starts_with("anon$") {
                continue;
            }
            let comments: Vec<&str> = f.comments.to_vec();
            out.push(FnDoc {
                module: format!("std/{name}"),
                name: f.name.to_string(),
                signature: format!("{}({})", f.name, f.params.join(", ")),
                doc: strip_comment(&comments),
            });
        }
    }
    sort(&mut out);
    out
}

/// Native and std/ functions together.
pub fn all_docs(engine: &Engine) -> Vec<FnDoc> {
    let mut v = native_docs(engine);
    v.extend(stdlib_docs(engine));
    v
}

fn sort(v: &mut [FnDoc]) {
    v.sort_by(|a, b| {
        (a.module.as_str(), a.name.as_str(), a.signature.as_str()).cmp(&(
            b.module.as_str(),
            b.name.as_str(),
            b.signature.as_str(),
        ))
    });
}

/// The functions a name refers to: a full path (`ncm::routers::list`, `args::int`,
/// `std/args::int`), or a module (`ncm::routers`), or a bare unique function name.
pub fn lookup<'a>(docs: &'a [FnDoc], name: &str) -> Vec<&'a FnDoc> {
    let name = name.trim().trim_end_matches("()").trim_end_matches("::");
    let name_std = name.strip_prefix("std/").unwrap_or(name);
    let exact: Vec<&FnDoc> = docs
        .iter()
        .filter(|d| d.path() == name || d.path() == name_std)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let in_module: Vec<&FnDoc> = docs
        .iter()
        .filter(|d| d.module == name || d.module.strip_prefix("std/") == Some(name_std))
        .collect();
    if !in_module.is_empty() {
        return in_module;
    }
    docs.iter().filter(|d| d.name == name).collect()
}

/// The text `:doc NAME` shows.
pub fn render_doc(docs: &[FnDoc], name: &str) -> String {
    let hits = lookup(docs, name);
    if hits.is_empty() {
        let close: Vec<String> = docs
            .iter()
            .map(FnDoc::path)
            .filter(|p| strsim::jaro_winkler(p, name) > 0.85 || p.ends_with(&format!("::{name}")))
            .take(5)
            .collect();
        return if close.is_empty() {
            format!("no function {name:?}; try :help, or Tab to complete a module path\n")
        } else {
            format!("no function {name:?}; did you mean {}?\n", close.join(", "))
        };
    }
    // Each function once: its signatures together, then each distinct description and example.
    let mut out = String::new();
    let mut i = 0;
    while i < hits.len() {
        let path = hits[i].path();
        let same: Vec<&FnDoc> = hits[i..]
            .iter()
            .take_while(|d| d.path() == path)
            .copied()
            .collect();
        i += same.len();
        for d in &same {
            out.push_str(&d.full_signature());
            out.push('\n');
        }
        let mut said: Vec<String> = vec![];
        for d in &same {
            let summary = d.summary();
            if !summary.is_empty() && !said.contains(&summary) {
                for l in summary.lines() {
                    out.push_str("    ");
                    out.push_str(l);
                    out.push('\n');
                }
                said.push(summary);
            }
        }
        let mut examples: Vec<String> = same.iter().filter_map(|d| d.example()).collect();
        examples.dedup();
        if !examples.is_empty() {
            out.push_str("  example:\n");
            for l in examples.iter().flat_map(|e| e.lines()) {
                out.push_str("    ");
                out.push_str(l);
                out.push('\n');
            }
        }
        out.push('\n');
    }
    out
}

/// `docs/reference.md`: every function grouped by module (signature, doc, example), the NCM
/// endpoint table and the IgniteNet routes. Deterministic: the same binary writes the same file.
pub fn reference(engine: &Engine) -> String {
    let docs = all_docs(engine);
    let mut out = String::from(
        "# fleetscript function reference\n\n\
         Generated by `fleetscript docs` from the functions the engine registers and the doc comments of\n\
         the built-in `std/` modules. Do not edit by hand: CI fails when this file is stale.\n\n",
    );
    let mut modules: Vec<&str> = docs.iter().map(|d| d.module.as_str()).collect();
    modules.dedup();
    out.push_str("## Modules\n\n");
    for m in &modules {
        let n = docs.iter().filter(|d| d.module == *m).count();
        if m.is_empty() {
            out.push_str(&format!(
                "- [{ROOT_TITLE}](#{}) ({n})\n",
                anchor(ROOT_TITLE)
            ));
        } else {
            out.push_str(&format!("- [`{m}`](#{}) ({n})\n", anchor(m)));
        }
    }
    out.push_str("- [NCM endpoints](#ncm-endpoints)\n- [IgniteNet routes](#ignitenet-routes)\n\n");
    for m in &modules {
        if m.is_empty() {
            out.push_str(&format!("## {ROOT_TITLE}\n\n"));
        } else {
            out.push_str(&format!("## `{m}`\n\n"));
        }
        if let Some(name) = m.strip_prefix("std/") {
            out.push_str(&format!("`import \"std/{name}\" as {name};`\n\n"));
        }
        for d in docs.iter().filter(|d| d.module == *m) {
            out.push_str(&format!("### `{}`\n\n", d.full_signature()));
            let s = d.summary();
            if !s.is_empty() {
                out.push_str(&s);
                out.push_str("\n\n");
            }
            if let Some(ex) = d.example() {
                out.push_str(&format!("```rhai\n{ex}\n```\n\n"));
            }
        }
    }
    out.push_str("## NCM endpoints\n\n```text\n");
    out.push_str(&crate::ncm::catalog::table());
    out.push_str("```\n\n## IgniteNet routes\n\n```text\n");
    out.push_str(&crate::ignitenet::table());
    out.push_str("```\n");
    out
}

/// The reference's heading of the functions called without a module.
const ROOT_TITLE: &str = "Without a module";

fn anchor(m: &str) -> String {
    m.chars()
        .map(|c| {
            if c == ' ' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(module: &str, name: &str) -> FnDoc {
        FnDoc {
            module: module.into(),
            name: name.into(),
            signature: format!("{name}(x)"),
            doc: "Does it.\n\n```rhai\nlet a = 1;\n```".into(),
        }
    }

    #[test]
    fn lookup_by_path_module_and_name() {
        let docs = vec![
            d("ncm::routers", "list"),
            d("ncm::groups", "list"),
            d("std/args", "int"),
        ];
        assert_eq!(lookup(&docs, "ncm::routers::list").len(), 1);
        assert_eq!(lookup(&docs, "ncm::routers").len(), 1);
        assert_eq!(lookup(&docs, "list").len(), 2);
        assert_eq!(lookup(&docs, "args::int").len(), 1);
        assert_eq!(lookup(&docs, "std/args::int").len(), 1);
        let r = render_doc(&docs, "ncm::routers::list");
        assert!(
            r.starts_with("ncm::routers::list(x)\n    Does it.\n  example:\n    let a = 1;"),
            "{r}"
        );
        assert!(render_doc(&docs, "ncm::routers::lst").contains("did you mean ncm::routers::list"));
    }
}
