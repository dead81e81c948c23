//! Static checks run before a script does anything: every `ncm::<endpoint>::<verb>` reference
//! must name a catalog endpoint and a verb that endpoint documents, and every `ignitenet::...`
//! call a function the engine has, so a typo fails at once instead of after half a fleet has
//! been changed.

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

fn ident_at(chars: &[char], mut i: usize) -> (String, usize) {
    let start = i;
    while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
        i += 1;
    }
    (chars[start..i].iter().collect(), i)
}

/// Checks every `ncm::a::b` reference in `src`.
pub fn check(src: &str) -> Vec<Finding> {
    let code = code_only(src);
    // Every line as characters, once (a literal query map may span the lines after its call).
    let all: Vec<Vec<char>> = code.lines().map(|l| l.chars().collect()).collect();
    let mut findings = vec![];
    for (ln, chars) in all.iter().enumerate() {
        let mut i = 0;
        while i + 5 <= chars.len() {
            let at_word_start = i == 0
                || !(chars[i - 1].is_ascii_alphanumeric()
                    || chars[i - 1] == '_'
                    || chars[i - 1] == ':');
            if at_word_start && chars[i..].starts_with(&['n', 'c', 'm', ':', ':']) {
                let (a, j) = ident_at(chars, i + 5);
                if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                    let (verb, k) = ident_at(chars, j + 2);
                    let column = i + 1;
                    match endpoint(&a) {
                        None => {
                            let mut near: Vec<(usize, &str)> = ENDPOINTS
                                .iter()
                                .map(|e| (strsim::levenshtein(&a, e.name), e.name))
                                .filter(|(d, _)| *d <= 3)
                                .collect();
                            near.sort();
                            let near: Vec<&str> = near.iter().take(2).map(|(_, n)| *n).collect();
                            findings.push(Finding {
                                line: ln + 1,
                                column,
                                message: format!(
                                    "ncm::{a} is not an NCM endpoint{}; see `fleetscript endpoints`",
                                    if near.is_empty() { String::new() } else { format!(" (did you mean {}?)", near.join(" or ")) }
                                ),
                            });
                        }
                        Some(ep) => {
                            let verbs: Vec<&str> = ep.verbs().iter().map(|v| v.name()).collect();
                            if matches!(verb.as_str(), "list" | "pages") {
                                findings.extend(literal_query(&all[ln..], ln, k, ep));
                            }
                            if !verb.is_empty() && !verbs.contains(&verb.as_str()) {
                                findings.push(Finding {
                                    line: ln + 1,
                                    column,
                                    message: format!(
                                        "ncm::{a}::{verb} does not exist: {a} documents {} and has {}",
                                        ep.methods_str(),
                                        verbs.join(", ")
                                    ),
                                });
                            }
                        }
                    }
                    i = k;
                    continue;
                }
            }
            i += 1;
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
/// against the endpoint's filters and controls. `line`/`col` is where the call's name ends;
/// the map may span lines.
fn literal_query(
    lines: &[Vec<char>],
    line: usize,
    col: usize,
    ep: &crate::ncm::Endpoint,
) -> Vec<Finding> {
    use crate::ncm::query::{resolve_filter, CONTROL_KEYS};
    // Walk (line, column) positions from the end of the call's name.
    let mut pos = (0usize, col);
    let at = |p: (usize, usize)| lines.get(p.0).and_then(|l| l.get(p.1)).copied();
    let next = |p: (usize, usize)| {
        if p.1 + 1 < lines.get(p.0).map_or(0, Vec::len) {
            (p.0, p.1 + 1)
        } else {
            (p.0 + 1, 0)
        }
    };
    let skip_ws = |mut p: (usize, usize)| {
        while p.0 < lines.len() && at(p).is_none_or(char::is_whitespace) {
            p = next(p);
        }
        p
    };
    pos = skip_ws(pos);
    if at(pos) != Some('(') {
        return vec![];
    }
    pos = skip_ws(next(pos));
    if at(pos) != Some('#') || at(next(pos)) != Some('{') {
        return vec![];
    }
    pos = next(next(pos));
    let mut findings = vec![];
    let mut depth = 0usize;
    let mut expect_key = true;
    while pos.0 < lines.len() {
        let Some(c) = at(pos) else {
            pos = next(pos);
            continue;
        };
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expect_key = true,
            c if depth == 0 && expect_key && (c.is_ascii_alphabetic() || c == '_') => {
                let (key, end) = ident_at(&lines[pos.0], pos.1);
                let after = skip_ws((pos.0, end));
                if at(after) == Some(':') && !CONTROL_KEYS.contains(&key.as_str()) {
                    if let Err(e) = resolve_filter(ep, &key) {
                        findings.push(Finding {
                            line: line + pos.0 + 1,
                            column: pos.1 + 1,
                            message: e.to_string(),
                        });
                    }
                }
                expect_key = false;
                pos = (pos.0, end - 1);
            }
            c if !c.is_whitespace() => expect_key = false,
            _ => {}
        }
        pos = next(pos);
    }
    findings
}

/// Checks every `ignitenet::a(...)` / `ignitenet::a::b(...)` call against the function paths
/// the engine registers (`known`, e.g. `ignitenet::sites::list`).
pub fn check_ignitenet(src: &str, known: &std::collections::HashSet<String>) -> Vec<Finding> {
    const ROOT: &str = "ignitenet::";
    let code = code_only(src);
    let mut findings = vec![];
    for (ln, line) in code.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while let Some(off) = line
            .char_indices()
            .skip(i)
            .find(|(b, _)| line[*b..].starts_with(ROOT))
            .map(|(b, _)| line[..b].chars().count())
        {
            let at_word_start = off == 0
                || !(chars[off - 1].is_ascii_alphanumeric()
                    || chars[off - 1] == '_'
                    || chars[off - 1] == ':');
            let mut path = String::from("ignitenet");
            let mut j = off + ROOT.len();
            loop {
                let (id, k) = ident_at(&chars, j);
                if id.is_empty() {
                    break;
                }
                path.push_str("::");
                path.push_str(&id);
                j = k;
                if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                    j += 2;
                } else {
                    break;
                }
            }
            let is_call = chars[j..].iter().find(|c| !c.is_whitespace()) == Some(&'(');
            if at_word_start && is_call && !known.contains(&path) {
                let mut near: Vec<(usize, &String)> = known
                    .iter()
                    .map(|k| (strsim::levenshtein(&path, k), k))
                    .filter(|(d, _)| *d <= 4)
                    .collect();
                near.sort();
                findings.push(Finding {
                    line: ln + 1,
                    column: off + 1,
                    message: format!(
                        "{path} is not an IgniteNet function{}; `:doc ignitenet` in the REPL lists them",
                        near.first().map(|(_, n)| format!(" (did you mean {n}?)")).unwrap_or_default()
                    ),
                });
            }
            i = j.max(off + 1);
        }
    }
    findings
}

/// The candidate closest to `word` (at most 3 edits away), for "did you mean" hints.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod query_and_interpolation_tests {
    use super::*;

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
