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

/// The source with string literals and comments blanked out (same length, newlines kept), so
/// that code-only scanning cannot be fooled by text inside them.
pub fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && b.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == '"' || c == '`' || c == '\'' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                    if i < b.len() {
                        out.push(blank(b[i]));
                        i += 1;
                    }
                    continue;
                }
                out.push(blank(b[i]));
                i += 1;
            }
            if i < b.len() {
                out.push(' ');
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
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
    let mut findings = vec![];
    for (ln, line) in code.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i + 5 <= chars.len() {
            let at_word_start = i == 0
                || !(chars[i - 1].is_ascii_alphanumeric()
                    || chars[i - 1] == '_'
                    || chars[i - 1] == ':');
            if at_word_start && chars[i..].starts_with(&['n', 'c', 'm', ':', ':']) {
                let (a, j) = ident_at(&chars, i + 5);
                if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                    let (verb, k) = ident_at(&chars, j + 2);
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
