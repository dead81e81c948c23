//! Static checks run before a script does anything: every `ncm::<endpoint>::<verb>` reference
//! must name a catalog endpoint and a verb that endpoint documents, and every `ignitenet::...`
//! call a function the engine has, so a typo fails at once instead of after half a fleet has
//! been changed. The calls are read from the syntax tree Rhai parses (its `internals` feature),
//! so every call counts: in function bodies, closures and string interpolations alike. The
//! character-level `code_only` stays for the REPL, which looks at unfinished input.

use crate::ncm::catalog::{endpoint, ENDPOINTS};

/// A problem found in the source, with its 1-based line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The source with string literals and comments blanked out (same length in characters,
/// newlines kept), so that code-only scanning cannot be fooled by text inside them. The code
/// inside a backtick string's `${...}` interpolations is kept: it runs like any other code.
pub fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    code(&b, &mut i, &mut out, false);
    out
}

fn blank(c: char) -> char {
    if c == '\n' {
        '\n'
    } else {
        ' '
    }
}

/// Copies code from `b[*i..]`; with `in_interpolation`, stops before the `}` closing it.
fn code(b: &[char], i: &mut usize, out: &mut String, in_interpolation: bool) {
    let mut depth = 0usize;
    while *i < b.len() {
        let c = b[*i];
        if c == '/' && b.get(*i + 1) == Some(&'/') {
            while *i < b.len() && b[*i] != '\n' {
                out.push(' ');
                *i += 1;
            }
        } else if c == '/' && b.get(*i + 1) == Some(&'*') {
            block_comment(b, i, out);
        } else if c == '"' || c == '`' || c == '\'' {
            string(b, i, out, c);
        } else {
            if in_interpolation {
                if c == '{' {
                    depth += 1;
                } else if c == '}' {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
            }
            out.push(c);
            *i += 1;
        }
    }
}

fn block_comment(b: &[char], i: &mut usize, out: &mut String) {
    let mut depth = 0;
    while *i < b.len() {
        if b[*i] == '/' && b.get(*i + 1) == Some(&'*') {
            depth += 1;
            out.push_str("  ");
            *i += 2;
        } else if b[*i] == '*' && b.get(*i + 1) == Some(&'/') {
            depth -= 1;
            out.push_str("  ");
            *i += 2;
            if depth == 0 {
                return;
            }
        } else {
            out.push(blank(b[*i]));
            *i += 1;
        }
    }
}

/// A string literal blanked, except the code of its `${...}` when it is a backtick string.
fn string(b: &[char], i: &mut usize, out: &mut String, quote: char) {
    out.push(' ');
    *i += 1;
    while *i < b.len() && b[*i] != quote {
        if b[*i] == '\\' {
            out.push(' ');
            *i += 1;
            if *i < b.len() {
                out.push(blank(b[*i]));
                *i += 1;
            }
            continue;
        }
        if quote == '`' && b[*i] == '$' && b.get(*i + 1) == Some(&'{') {
            out.push_str("  ");
            *i += 2;
            code(b, i, out, true);
            if *i < b.len() {
                out.push(' ');
                *i += 1;
            }
            continue;
        }
        out.push(blank(b[*i]));
        *i += 1;
    }
    if *i < b.len() {
        out.push(' ');
        *i += 1;
    }
}

/// A namespaced function call found in a script's syntax tree (function bodies and string
/// interpolations included): `ncm::routers::list(...)` has the path `["ncm", "routers"]`.
struct Call {
    path: Vec<String>,
    name: String,
    line: usize,
    column: usize,
    /// The keys of a literal map given as the first argument, with their positions and their
    /// values where these are literals (`"offline"`, `["a", "b"]`, `5`).
    map_keys: Vec<MapKey>,
}

/// One key of a literal map: its name, line, column and literal value.
type MapKey = (String, usize, usize, Option<serde_json::Value>);

/// Every namespaced call in `src`, read from the syntax tree Rhai parses (nothing found when the
/// script does not parse: compiling it reports that).
fn calls(src: &str) -> Vec<Call> {
    use rhai::{ASTNode, Expr, Stmt};
    let mut engine = rhai::Engine::new_raw();
    // The tree as written: no constant folding (a literal map keeps its keys' positions).
    engine.set_optimization_level(rhai::OptimizationLevel::None);
    // A `#!` first line is a comment to the run: the same here (line numbers unchanged).
    let src = match src.strip_prefix("#!") {
        Some(rest) => std::borrow::Cow::Owned(format!("// {rest}")),
        None => std::borrow::Cow::Borrowed(src),
    };
    let Ok(ast) = engine.compile(src.as_ref()) else {
        return vec![];
    };
    let mut out = vec![];
    ast.walk(&mut |path: &[ASTNode]| {
        let found = match path.last() {
            Some(ASTNode::Expr(Expr::FnCall(call, pos))) => Some((call, *pos)),
            Some(ASTNode::Stmt(Stmt::FnCall(call, pos))) => Some((call, *pos)),
            _ => None,
        };
        if let Some((call, pos)) = found.filter(|(c, _)| !c.namespace.is_empty()) {
            out.push(call_of(call, pos));
        }
        true
    });
    out
}

/// The first names of every namespaced call in `src` (`ncm` for `ncm::routers::list(...)`),
/// read from its syntax tree: which modules a script calls, comments and strings aside.
pub fn modules_called(src: &str) -> std::collections::BTreeSet<String> {
    calls(src)
        .into_iter()
        .filter_map(|c| c.path.into_iter().next())
        .collect()
}

fn call_of(call: &rhai::FnCallExpr, pos: rhai::Position) -> Call {
    let at = match call.namespace.position() {
        p if p.is_none() => pos,
        p => p,
    };
    let where_ = |p: rhai::Position| (p.line().unwrap_or(0), p.position().unwrap_or(0));
    let map_keys = match call.args.first() {
        Some(rhai::Expr::Map(m, _)) => {
            m.0.iter()
                .map(|(k, v)| {
                    let (line, column) = where_(k.pos);
                    let literal = v
                        .get_literal_value(None)
                        .map(|d| crate::script::convert::dynamic_to_json(&d));
                    (k.name.to_string(), line, column, literal)
                })
                .collect()
        }
        _ => vec![],
    };
    let (line, column) = where_(at);
    Call {
        path: call
            .namespace
            .path
            .iter()
            .map(|i| i.name.to_string())
            .collect(),
        name: call.name.to_string(),
        line,
        column,
        map_keys,
    }
}

/// Checks every `ncm::endpoint::verb(...)` call in `src`: the endpoint, the verb, and the keys
/// of a literal query map given to `list` or `pages`.
pub fn check(src: &str) -> Vec<Finding> {
    let mut findings = vec![];
    for call in calls(src) {
        let [root, a] = call.path.as_slice() else {
            continue;
        };
        if root != "ncm" {
            continue;
        }
        let verb = call.name.as_str();
        let at = |message: String| Finding {
            line: call.line,
            column: call.column,
            message,
        };
        let Some(ep) = endpoint(a) else {
            let mut near: Vec<(usize, &str)> = ENDPOINTS
                .iter()
                .map(|e| (strsim::levenshtein(a, e.name), e.name))
                .filter(|(d, _)| *d <= 3)
                .collect();
            near.sort();
            let near: Vec<&str> = near.iter().take(2).map(|(_, n)| *n).collect();
            findings.push(at(format!(
                "ncm::{a} is not an NCM endpoint{}; see `fleetscript endpoints`",
                if near.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", near.join(" or "))
                }
            )));
            continue;
        };
        let verbs: Vec<&str> = ep.verbs().iter().map(|v| v.name()).collect();
        if !verbs.contains(&verb) {
            findings.push(at(format!(
                "ncm::{a}::{verb} does not exist: {a} documents {} and has {}",
                ep.methods_str(),
                verbs.join(", ")
            )));
        } else if matches!(verb, "list" | "pages") {
            findings.extend(literal_query(&call.map_keys, ep));
        }
    }
    findings
}

/// Every `import "module"` of a script: (1-based line, module name).
pub fn imports(src: &str) -> Vec<(usize, String)> {
    let code = code_only(src);
    let mut out = vec![];
    for (ln, (code_line, line)) in code.lines().zip(src.lines()).enumerate() {
        // Character positions: `code_only` keeps them (not byte offsets).
        let c: Vec<char> = code_line.chars().collect();
        let l: Vec<char> = line.chars().collect();
        let word = ['i', 'm', 'p', 'o', 'r', 't'];
        for start in 0..c.len() {
            let word_start = start == 0 || !(c[start - 1].is_alphanumeric() || c[start - 1] == '_');
            if !word_start || !c[start..].starts_with(&word) {
                continue;
            }
            let mut i = start + word.len();
            while i < l.len() && l[i].is_whitespace() {
                i += 1;
            }
            if l.get(i) != Some(&'"') {
                continue;
            }
            let name: String = l[i + 1..].iter().take_while(|ch| **ch != '"').collect();
            if i + 1 + name.chars().count() < l.len() {
                out.push((ln + 1, name));
            }
        }
    }
    out
}

/// The keys of a literal query map given right at a call (`list(#{stat: "online"})`), checked
/// against the endpoint's filters and controls, and the values written as literals against what
/// the query takes (`state: "ofline"` is not a documented state): errors found before any
/// request, as a run would find them.
fn literal_query(keys: &[MapKey], ep: &crate::ncm::Endpoint) -> Vec<Finding> {
    use crate::ncm::query::{check_literal, resolve_filter, CONTROL_KEYS};
    keys.iter()
        .filter_map(|(key, line, column, literal)| {
            let checked = match literal {
                Some(value) => check_literal(ep, key, value),
                None if CONTROL_KEYS.contains(&key.as_str()) => Ok(()),
                None => resolve_filter(ep, key).map(|_| ()),
            };
            checked.err().map(|e| Finding {
                line: *line,
                column: *column,
                message: e.to_string(),
            })
        })
        .collect()
}

/// Checks every `ignitenet::a(...)` / `ignitenet::a::b(...)` call against the function paths
/// the engine registers (`known`, e.g. `ignitenet::sites::list`).
pub fn check_ignitenet(src: &str, known: &std::collections::HashSet<String>) -> Vec<Finding> {
    let mut findings = vec![];
    for call in calls(src) {
        if call.path.first().map(String::as_str) != Some("ignitenet") {
            continue;
        }
        let path = format!("{}::{}", call.path.join("::"), call.name);
        if known.contains(&path) {
            continue;
        }
        let mut near: Vec<(usize, &String)> = known
            .iter()
            .map(|k| (strsim::levenshtein(&path, k), k))
            .filter(|(d, _)| *d <= 4)
            .collect();
        near.sort();
        findings.push(Finding {
            line: call.line,
            column: call.column,
            message: format!(
                "{path} is not an IgniteNet function{}; `:doc ignitenet` in the REPL lists them",
                near.first()
                    .map(|(_, n)| format!(" (did you mean {n}?)"))
                    .unwrap_or_default()
            ),
        });
    }
    findings
}

/// The candidate closest to `word` (case aside, at most 3 edits away), for "did you mean" hints.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    crate::ncm::catalog::closest(word, candidates)
}

#[cfg(test)]
mod query_and_interpolation_tests {
    use super::*;

    #[test]
    fn a_shebang_line_does_not_hide_the_calls() {
        let f = check("#!/usr/bin/env -S fleetscript run\nncm::router::list();\n");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].line, f[0].column), (2, 1));
        assert!(
            f[0].message.contains("did you mean routers?"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn calls_inside_interpolations_are_seen() {
        let f = check("let s = `${ncm::routres::list().len()} routers`;");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("ncm::routres"), "{f:?}");
        let f = check("let s = `a ${ `b ${ncm::routers::lst()}` } c`;");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            check("let s = \"${ncm::routres::list()}\";").is_empty(),
            "plain strings are text"
        );
    }

    #[test]
    fn calls_in_function_bodies_and_closures_are_seen() {
        let src = "fn f() {\n    ncm::routres::list()\n}\nlet g = || ncm::routers::lst();\nlet h = |x| ncm::routers::list(#{stat: x});";
        let f = check(src);
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(
            f.iter()
                .any(|x| x.line == 2 && x.message.contains("ncm::routres")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|x| x.line == 4 && x.message.contains("lst")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|x| x.line == 5 && x.message.contains("stat")),
            "{f:?}"
        );
        assert!(
            check("let x = ;").is_empty(),
            "a script that does not parse: the compiler says so"
        );
    }

    #[test]
    fn imports_are_found_with_their_lines() {
        let src = "// é import \"no\"\nimport \"std/args\" as a;\nlet s = \"é\"; import  \"mine\" as m;\nlet important = 1;";
        assert_eq!(
            imports(src),
            vec![(2, "std/args".to_string()), (3, "mine".to_string())]
        );
    }

    #[test]
    fn literal_query_maps_are_checked_against_the_catalog() {
        let f = check("let r = ncm::routers::list(#{stat: \"online\", fields: [\"id\"]});");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("stat"), "{f:?}");
        let f = check("for p in ncm::routers::pages(#{\n  state: \"online\",\n  name__bogus: 1,\n  group: x\n}) {}");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].line, 3);
        assert!(check(
            "ncm::routers::list(#{state__in: [\"online\"], limit: 5, expand: \"group\"})"
        )
        .is_empty());
        assert!(check("ncm::routers::list(q)").is_empty());
        // Literal values too: a state the spec does not list, a datetime without its time.
        let f = check("ncm::routers::list(#{state: \"ofline\"})");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("did you mean \"offline\""), "{f:?}");
        let f = check(
            "ncm::net_devices::list(#{connection_state__in: [\"Connected\", \"connecting\"]})",
        );
        assert!(
            f[0].message.contains("did you mean \"Connecting\""),
            "{f:?}"
        );
        let f = check(
            "ncm::routers::list(#{state_updated_at__lt: \"2024-01-01\", order_by: \"name\"})",
        );
        assert_eq!(f.len(), 2, "{f:?}");
        // A name where an id goes is found when the query is sent.
        assert!(
            check("ncm::routers::list(#{group: \"E100 Stores\", state: \"online\"})").is_empty()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unknown_ignitenet_functions() {
        let known: std::collections::HashSet<String> = [
            "ignitenet::sites::list",
            "ignitenet::set_ssid",
            "ignitenet::config::effective",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let src = "let s = ignitenet::sites::list();
ignitenet::site::list();
ignitenet::set_ssid(1, \"a\", \"b\"); ignitenet::set_sid(1);
// ignitenet::nope()
let e = ignitenet::config::effective(c);";
        let f = check_ignitenet(src, &known);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!((f[0].line, f[0].column), (2, 1));
        assert!(
            f[0].message.contains("did you mean ignitenet::sites::list"),
            "{}",
            f[0].message
        );
        assert_eq!(f[1].line, 3);
        assert!(
            f[1].message.contains("ignitenet::set_sid is not"),
            "{}",
            f[1].message
        );
    }

    #[test]
    fn finds_unknown_endpoints_and_verbs() {
        let src = "let a = ncm::routers::list();\nncm::router::list();\n  ncm::routers::create(#{});\nlet s = \"ncm::bogus::x\"; // ncm::nope::y\nncm::id_of(x); ncm::reboot_router(1);";
        let f = check(src);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!((f[0].line, f[0].column), (2, 1));
        assert!(
            f[0].message.contains("did you mean routers"),
            "{}",
            f[0].message
        );
        assert_eq!((f[1].line, f[1].column), (3, 3));
        assert!(
            f[1].message.contains("routers documents GET, PUT, DELETE"),
            "{}",
            f[1].message
        );
    }

    #[test]
    fn blanks_strings_and_comments_keeping_positions() {
        let src = "a \"x\\\"y\" b /* c\nd */ e `f${g}` 'h'";
        let c = code_only(src);
        assert_eq!(c.len(), src.len());
        assert_eq!(c.lines().count(), 2);
        assert!(
            c.contains('a')
                && c.contains('b')
                && c.contains('e')
                && !c.contains('x')
                && !c.contains('d')
        );
    }
}
