//! The REPL's line-editor helper: Tab completion (module paths and functions from the engine's
//! own metadata, `:commands`, endpoint names after `:fields`, query keys inside a map literal
//! passed to an endpoint, from the catalog; router and group names of the account after
//! `ncm::router("` / `ncm::group("` and as `group:` / `router:` values; config paths after
//! `diff::get(cfg, "` from the value at hand) and multi-line input decided by the parser.

use crate::ncm::catalog;
use crate::ncm::query::CONTROL_KEYS;
use crate::script::docs::FnDoc;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::sync::{Arc, Mutex};

/// The REPL's commands with a one-line description each.
pub const COMMANDS: &[(&str, &str)] = &[
    (":help", "this list"),
    (":doc", ":doc NAME — signature, description and example of a function (or every function of a module)"),
    (":endpoints", "the NCM endpoints and IgniteNet routes"),
    (":fields", ":fields ENDPOINT — fields, filter operators and expandable fields of an NCM endpoint"),
    (":format", ":format table|json|csv — how results are shown"),
    (":save", ":save FILE.json|FILE.csv — write the last result"),
    (":load", ":load FILE — run a script here; its functions and variables stay"),
    (":reset", "forget every variable and function"),
    (":set", ":set [NAME VALUE] — every setting and where it came from; or change one for the session"),
    (":history", "the input history"),
    (":quit", "leave (Ctrl-D too)"),
];

pub struct ReplHelper {
    /// Completion candidates: module paths (ending `::`) and function paths.
    paths: Mutex<Vec<String>>,
    /// Variable names currently in scope.
    pub variables: Arc<Mutex<Vec<String>>>,
    parser: rhai::Engine,
    /// The account's router and group names (none without an NCM client).
    pub names: Option<Arc<super::names::NameCache>>,
    /// The REPL's variables, for config paths.
    pub scope: Option<Arc<Mutex<rhai::Scope<'static>>>>,
}

/// Calls whose (first) string argument is a router, or a group, by name.
const ROUTER_CALLS: &[&str] = &["ncm::router(", "ncm::reboot_router("];
const GROUP_CALLS: &[&str] = &["ncm::group(", "ncm::reboot_group("];

/// How long Tab waits for names still being fetched (once; after that they are there).
const NAMES_WAIT: std::time::Duration = std::time::Duration::from_millis(700);

/// Which names a position takes.
#[derive(Clone, Copy, PartialEq, Debug)]
enum NameKind {
    Router,
    Group,
}

/// Inside a string literal at the end of `before`: where its text starts.
fn open_string(before: &str) -> Option<usize> {
    let mut open = None;
    let mut escaped = false;
    for (i, c) in before.char_indices() {
        match open {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(_) if c == '"' => open = None,
            Some(_) => {}
            None if c == '"' => open = Some(i + 1),
            None => {}
        }
    }
    open
}

/// What names the text before an opening quote (or a value position) asks for.
fn name_kind(head: &str) -> Option<NameKind> {
    let head = head.trim_end();
    if ROUTER_CALLS.iter().any(|c| head.ends_with(c)) {
        return Some(NameKind::Router);
    }
    if GROUP_CALLS.iter().any(|c| head.ends_with(c)) {
        return Some(NameKind::Group);
    }
    // A map value: `#{group: ` or `, router: `.
    let key = head.strip_suffix(':')?.trim_end();
    let before_key = |k: &str| {
        key.strip_suffix(k)
            .map(|r| r.trim_end())
            .is_some_and(|r| r.ends_with('{') || r.ends_with(','))
    };
    if before_key("group") {
        Some(NameKind::Group)
    } else if before_key("router") {
        Some(NameKind::Router)
    } else {
        None
    }
}

impl ReplHelper {
    pub fn new(docs: &[FnDoc]) -> Self {
        let mut parser = rhai::Engine::new_raw();
        parser.set_max_expr_depths(0, 0);
        let h = ReplHelper {
            paths: Mutex::new(vec![]),
            variables: Arc::new(Mutex::new(vec![])),
            parser,
            names: None,
            scope: None,
        };
        h.set_docs(docs);
        h
    }

    /// Completion follows the functions there are (after an `import` at the prompt too).
    pub fn set_docs(&self, docs: &[FnDoc]) {
        let mut paths = std::collections::BTreeSet::new();
        for d in docs {
            let full = d.path();
            let parts: Vec<&str> = full.split("::").collect();
            for i in 1..parts.len() {
                paths.insert(format!("{}::", parts[..i].join("::")));
            }
            paths.insert(full);
        }
        *self.paths.lock().unwrap() = paths.into_iter().collect();
    }

    /// Candidates for the text before the cursor: (start of the replaced word, candidates).
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        // :commands, and their arguments.
        if let Some(rest) = before.strip_prefix(':') {
            if !rest.contains(' ') {
                let c = COMMANDS
                    .iter()
                    .map(|(c, _)| c.to_string())
                    .filter(|c| c.starts_with(before))
                    .collect();
                return (0, c);
            }
            let (cmd, arg) = rest.split_once(' ').unwrap_or((rest, ""));
            let start = pos - arg.len();
            let c: Vec<String> = match cmd {
                "fields" => catalog::ENDPOINTS
                    .iter()
                    .map(|e| e.name.to_string())
                    .filter(|n| n.starts_with(arg))
                    .collect(),
                "doc" => self
                    .paths
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|p| p.starts_with(arg))
                    .cloned()
                    .collect(),
                "format" => ["table", "json", "csv"]
                    .iter()
                    .filter(|f| f.starts_with(arg))
                    .map(|s| s.to_string())
                    .collect(),
                _ => vec![],
            };
            return (start, c);
        }
        if let Some(found) = self
            .name_candidates(before, pos)
            .or_else(|| self.path_candidates(before))
        {
            return found;
        }
        let word_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .last()
            .map(|(i, _)| i)
            .unwrap_or(pos);
        let word = &before[word_start..];
        if let Some(keys) = query_keys_at(before, word_start) {
            let c = keys.into_iter().filter(|k| k.starts_with(word)).collect();
            return (word_start, c);
        }
        if word.is_empty() {
            return (pos, vec![]);
        }
        let depth = word.matches("::").count();
        let mut c: Vec<String> = self
            .paths
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.starts_with(word))
            // One level at a time: `ncm::rou` offers `ncm::routers::`, not every verb.
            .filter(|p| p.trim_end_matches("::").matches("::").count() == depth)
            .cloned()
            .collect();
        if !word.contains("::") {
            for v in self.variables.lock().unwrap().iter() {
                if v.starts_with(word) && !c.contains(v) {
                    c.push(v.clone());
                }
            }
        }
        c.sort();
        (word_start, c)
    }

    /// Router or group names where the text asks for one: inside the string of
    /// `ncm::group("` (the rest of the name and the closing quote) or as a `group:` value (a
    /// quoted name).
    fn name_candidates(&self, before: &str, pos: usize) -> Option<(usize, Vec<String>)> {
        let (start, kind, quoted) = match open_string(before) {
            Some(start) => (start, name_kind(&before[..start - 1])?, false),
            None => (pos, name_kind(before)?, true),
        };
        let names = self.names.as_ref()?.names(NAMES_WAIT)?;
        let list = match kind {
            NameKind::Router => &names.routers,
            NameKind::Group => &names.groups,
        };
        let typed = before[start..].to_lowercase();
        let c = list
            .iter()
            .filter(|n| n.to_lowercase().starts_with(&typed))
            .map(|n| {
                let escaped = n.replace('\\', "\\\\").replace('"', "\\\"");
                if quoted {
                    format!("\"{escaped}\"")
                } else {
                    format!("{escaped}\"")
                }
            })
            .collect();
        Some((start, c))
    }

    /// Config paths inside the string of `diff::get(VAR, "` (or `diff::set`): the keys (or
    /// array offsets) below the path typed so far, in the value `VAR` holds.
    fn path_candidates(&self, before: &str) -> Option<(usize, Vec<String>)> {
        let start = open_string(before)?;
        let head = before[..start - 1].trim_end().strip_suffix(',')?.trim_end();
        let open = head.rfind('(')?;
        if !["diff::get", "diff::set"].contains(&head[..open].trim_end()) {
            return None;
        }
        let var = head[open + 1..].trim();
        let scope = self.scope.as_ref()?.lock().ok()?;
        let value = scope.get(var)?;
        let typed = &before[start..];
        let (parent, last) = typed.rsplit_once('.').unwrap_or(("", typed));
        let mut node = value.clone();
        for seg in parent.split('.').filter(|s| !s.is_empty()) {
            node = child(&node, seg)?;
        }
        let prefix = if parent.is_empty() {
            String::new()
        } else {
            format!("{parent}.")
        };
        let mut c: Vec<String> = keys(&node)
            .into_iter()
            .filter(|k| k.starts_with(last))
            .map(|k| format!("{prefix}{k}"))
            .collect();
        c.sort();
        Some((start, c))
    }

    /// Is this input complete? An unclosed `{`, `(`, `[` or a trailing operator continues on
    /// the next line; a parse that succeeds, or fails for another reason, is submitted (the
    /// error is shown with a caret at once).
    pub fn is_incomplete(&self, input: &str) -> bool {
        let t = input.trim();
        if t.is_empty() || t.starts_with(':') {
            return false;
        }
        if self.parser.compile(input).is_ok() {
            return false;
        }
        let code = crate::script::lint::code_only(input);
        let mut depth: i64 = 0;
        for ch in code.chars() {
            match ch {
                '{' | '(' | '[' => depth += 1,
                '}' | ')' | ']' => depth -= 1,
                _ => {}
            }
        }
        if depth > 0 {
            return true;
        }
        let end = code.trim_end();
        const TRAILING: &[&str] = &[
            "+", "-", "*", "/", "%", "=", "==", "!=", "<", ">", "<=", ">=", "&&", "||", "&", "|",
            "^", ",", ".", "?", "??", "!", "in", "+=", "-=", "*=", "/=", "=>",
        ];
        TRAILING.iter().any(|op| {
            end.ends_with(op)
                && (op.chars().all(|c| !c.is_alphanumeric())
                    || end[..end.len() - op.len()].ends_with(char::is_whitespace))
        })
    }
}

/// A map's entry or an array's element by its offset.
fn child(v: &rhai::Dynamic, seg: &str) -> Option<rhai::Dynamic> {
    if let Some(m) = v.read_lock::<rhai::Map>() {
        return m.get(seg).cloned();
    }
    let a = v.read_lock::<rhai::Array>()?;
    a.get(seg.parse::<usize>().ok()?).cloned()
}

/// A map's keys or an array's offsets.
fn keys(v: &rhai::Dynamic) -> Vec<String> {
    if let Some(m) = v.read_lock::<rhai::Map>() {
        return m.keys().map(|k| k.to_string()).collect();
    }
    match v.read_lock::<rhai::Array>() {
        Some(a) => (0..a.len()).map(|i| i.to_string()).collect(),
        None => vec![],
    }
}

/// When the cursor is at a key position inside `ncm::<endpoint>::<verb>(#{ ...`, the query
/// keys that endpoint accepts (filters and controls).
fn query_keys_at(before: &str, word_start: usize) -> Option<Vec<String>> {
    let head = &before[..word_start];
    // The key position: right after `#{` or a `,` inside the map literal.
    let prev = head.trim_end().chars().last()?;
    if prev != '{' && prev != ',' {
        return None;
    }
    let code = crate::script::lint::code_only(head);
    let open = code.rfind("#{")?;
    if code[open..].matches('{').count() <= code[open..].matches('}').count() {
        return None;
    }
    let call = code[..open].trim_end().strip_suffix('(')?.trim_end();
    let verb_start = call.rfind("::")?;
    let verb = &call[verb_start + 2..];
    let ep_part = &call[..verb_start];
    let ep_start = ep_part.rfind("::")?;
    if !ep_part[..ep_start].ends_with("ncm") {
        return None;
    }
    let ep = catalog::endpoint(&ep_part[ep_start + 2..])?;
    let mut keys: Vec<String> = match verb {
        "list" | "pages" => {
            let mut k = ep.filter_keys();
            k.extend(CONTROL_KEYS.iter().map(|s| s.to_string()));
            k
        }
        "get" => vec!["fields".into(), "expand".into()],
        _ => ep.fields.iter().map(|f| f.name.to_string()).collect(),
    };
    keys.sort();
    keys.dedup();
    Some(keys)
}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, c) = self.candidates(line, pos);
        Ok((
            start,
            c.into_iter()
                .map(|s| Pair {
                    display: s.clone(),
                    replacement: s,
                })
                .collect(),
        ))
    }
}

/// Every line is taken as typed: the REPL's loop joins an unfinished input's lines itself,
/// under a continuation prompt.
impl Validator for ReplHelper {}

/// No hints are shown; typing where a name goes (`ncm::group("`) starts fetching the account's
/// names in the background, so that they are there by the time Tab is pressed.
impl Hinter for ReplHelper {
    type Hint = String;
    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        let before = line.get(..pos)?;
        let asks = match open_string(before) {
            Some(start) => name_kind(&before[..start - 1]).is_some(),
            None => name_kind(before).is_some(),
        };
        if asks {
            if let Some(n) = &self.names {
                n.warm();
            }
        }
        None
    }
}
impl Highlighter for ReplHelper {}
impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ReplHelper {
        let d = |m: &str, n: &str| FnDoc {
            module: m.into(),
            name: n.into(),
            signature: format!("{n}()"),
            doc: String::new(),
        };
        ReplHelper::new(&[
            d("ncm::routers", "list"),
            d("ncm::routers", "get"),
            d("ncm::router_alerts", "list"),
            d("ncm", "id_of"),
            d("std/args", "int"),
        ])
    }

    #[test]
    fn completes_one_level_at_a_time() {
        let h = helper();
        assert_eq!(
            h.candidates("ncm::rou", 8).1,
            vec!["ncm::router_alerts::", "ncm::routers::"]
        );
        assert_eq!(
            h.candidates("ncm::routers::", 14).1,
            vec!["ncm::routers::get", "ncm::routers::list"]
        );
        assert_eq!(h.candidates("x = nc", 6), (4, vec!["ncm::".to_string()]));
        assert_eq!(h.candidates("args::", 6).1, vec!["args::int"]);
        assert_eq!(h.candidates(":do", 3).1, vec![":doc"]);
        assert_eq!(
            h.candidates(":fields rout", 12),
            (
                8,
                vec![
                    "router_alerts".to_string(),
                    "router_logs".into(),
                    "router_state_samples".into(),
                    "router_stream_usage_samples".into(),
                    "routers".into()
                ]
            )
        );
        h.variables.lock().unwrap().push("online".into());
        assert_eq!(h.candidates("onl", 3).1, vec!["online"]);
    }

    #[test]
    fn completes_query_keys_from_the_catalog() {
        let h = helper();
        let line = "ncm::routers::list(#{sta";
        let (start, c) = h.candidates(line, line.len());
        assert_eq!(start, line.len() - 3);
        assert!(
            c.contains(&"state".to_string()) && c.contains(&"state__in".to_string()),
            "{c:?}"
        );
        assert!(c.iter().all(|k| k.starts_with("sta")));
        let line = "ncm::routers::list(#{state: \"online\", fi";
        assert_eq!(h.candidates(line, line.len()).1, vec!["fields"]);
        let line = "ncm::routers::list(#{state: \"x\"}) + sta";
        assert!(h.candidates(line, line.len()).1.is_empty());
    }

    #[test]
    fn names_are_asked_for_in_calls_and_map_values() {
        assert_eq!(open_string("ncm::group(\"Sto"), Some(12));
        assert_eq!(open_string("ncm::group(\"Sto\")"), None);
        assert_eq!(
            open_string("x(\"a\\\"b"),
            Some(3),
            "an escaped quote stays inside"
        );
        assert_eq!(name_kind("ncm::group("), Some(NameKind::Group));
        assert_eq!(name_kind("ncm::reboot_router( "), Some(NameKind::Router));
        assert_eq!(name_kind("apply(#{group:"), Some(NameKind::Group));
        assert_eq!(name_kind("#{a: 1, router:"), Some(NameKind::Router));
        assert_eq!(name_kind("let group:"), None);
        assert_eq!(name_kind("ncm::groups::get("), None);
    }

    #[test]
    fn config_paths_complete_from_the_value_at_hand() {
        let mut h = helper();
        let mut scope = rhai::Scope::new();
        let cfg = rhai::Engine::new()
            .eval::<rhai::Dynamic>(r#"#{wan: #{rules2: [#{modem: 1}], primary: 2}, lan: 3}"#)
            .unwrap();
        scope.push_dynamic("cfg", cfg);
        h.scope = Some(Arc::new(Mutex::new(scope)));
        let line = "diff::get(cfg, \"wan.";
        let (start, c) = h.candidates(line, line.len());
        assert_eq!(start, line.len() - 4);
        assert_eq!(c, vec!["wan.primary", "wan.rules2"]);
        let line = "diff::get(cfg, \"wan.rules2.0.m";
        assert_eq!(h.candidates(line, line.len()).1, vec!["wan.rules2.0.modem"]);
        let line = "diff::get(other, \"wan.";
        assert!(h.candidates(line, line.len()).1.is_empty());
    }

    #[test]
    fn multi_line_is_decided_by_the_parser() {
        let h = helper();
        assert!(h.is_incomplete("fn f(x) {"));
        assert!(h.is_incomplete("let a = [1,"));
        assert!(h.is_incomplete("let a = 1 +"));
        assert!(h.is_incomplete("ncm::routers::list(#{"));
        assert!(!h.is_incomplete("let a = 1;"));
        assert!(!h.is_incomplete("fn f(x) { x + 1 }"));
        assert!(
            !h.is_incomplete("let = ;"),
            "a real syntax error is submitted"
        );
        assert!(
            !h.is_incomplete("let s = \"{\";"),
            "a brace inside a string"
        );
        assert!(!h.is_incomplete(":doc ncm::routers::list"));
    }
}
