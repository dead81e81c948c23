//! Renders script errors for people: `file:line:column`, the source line and a caret, with the
//! message of the innermost error and the chain of function calls that led there.

use rhai::{EvalAltResult, ParseError, Position};

/// A rendered script failure.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub message: String,
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub source_line: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A message about a file, with no position.
    pub fn plain(file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            file: file.to_string(),
            line: None,
            column: None,
            source_line: None,
            notes: vec![],
        }
    }

    pub fn render(&self) -> String {
        let mut out = format!("error: {}\n", self.message);
        match (self.line, self.column) {
            (Some(l), c) => {
                out.push_str(&format!("  --> {}:{}:{}\n", self.file, l, c.unwrap_or(1)));
                if let Some(src) = &self.source_line {
                    let w = l.to_string().len();
                    out.push_str(&format!("{:w$} |\n", "", w = w));
                    out.push_str(&format!("{l} | {src}\n"));
                    let col = c.unwrap_or(1).saturating_sub(1);
                    let pad: String = src
                        .chars()
                        .take(col)
                        .map(|ch| if ch == '\t' { '\t' } else { ' ' })
                        .collect();
                    out.push_str(&format!("{:w$} | {pad}^\n", "", w = w));
                }
            }
            (None, _) => out.push_str(&format!("  --> {}\n", self.file)),
        }
        for n in &self.notes {
            out.push_str(&format!("  = {n}\n"));
        }
        out
    }
}

fn locate(source: &str, pos: Position) -> (Option<usize>, Option<usize>, Option<String>) {
    match pos.line() {
        Some(l) => (
            Some(l),
            pos.position(),
            source.lines().nth(l - 1).map(|s| s.to_string()),
        ),
        None => (None, None, None),
    }
}

pub fn from_parse(file: &str, source: &str, e: &ParseError) -> Diagnostic {
    let (line, column, source_line) = locate(source, e.position());
    Diagnostic {
        message: format!("syntax: {}", e.err_type()),
        file: file.into(),
        line,
        column,
        source_line,
        notes: vec![],
    }
}

/// The message of a thrown value: our error maps carry a `description`.
fn thrown_message(v: &rhai::Dynamic) -> String {
    if let Some(m) = v.read_lock::<rhai::Map>() {
        if let Some(d) = m.get("description") {
            return d.to_string();
        }
        if let Some(d) = m.get("message") {
            return d.to_string();
        }
    }
    v.to_string()
}

pub fn from_eval(file: &str, source: &str, e: &EvalAltResult) -> Diagnostic {
    let mut notes = vec![];
    let mut cur = e;
    // The outermost position is in the script being run; inner ones may be in functions.
    let outer_pos = e.position();
    // Where the chain first leaves this file (a call into a module), and the innermost
    // foreign source: positions past that point are in another file.
    let mut left_file: Option<Position> = None;
    let mut foreign = String::new();
    loop {
        match cur {
            EvalAltResult::ErrorInFunctionCall(name, src, inner, pos) => {
                let where_ = if src.is_empty() {
                    String::new()
                } else {
                    format!(" in {src}")
                };
                notes.push(format!("in call to {name}(){where_} at {}", fmt_pos(*pos)));
                if !src.is_empty() && src != file {
                    left_file.get_or_insert(*pos);
                    foreign = src.clone();
                }
                cur = inner;
            }
            EvalAltResult::ErrorInModule(name, inner, pos) => {
                notes.push(format!("in module {name:?} at {}", fmt_pos(*pos)));
                left_file.get_or_insert(*pos);
                foreign = name.clone();
                cur = inner;
            }
            _ => break,
        }
    }
    let message = match cur {
        EvalAltResult::ErrorRuntime(v, _) => thrown_message(v),
        EvalAltResult::ErrorTerminated(_, _) => "interrupted".into(),
        other => {
            let s = other.to_string();
            // Drop Rhai's own " (line x, position y)" suffix: we show it better.
            match s.rfind(" (line ") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    };
    // Point at the innermost position when it is in this file (a function defined in it),
    // else at the call that left this file.
    let pos = match left_file {
        Some(p) => {
            if !cur.position().is_none() {
                notes.push(format!(
                    "raised in {foreign} at {}",
                    fmt_pos(cur.position())
                ));
            }
            p
        }
        None if notes.is_empty() => outer_pos,
        None => cur.position(),
    };
    let pos = if pos.is_none() { outer_pos } else { pos };
    let (line, column, source_line) = locate(source, pos);
    Diagnostic {
        message,
        file: file.into(),
        line,
        column,
        source_line,
        notes,
    }
}

fn fmt_pos(p: Position) -> String {
    match (p.line(), p.position()) {
        (Some(l), Some(c)) => format!("{l}:{c}"),
        (Some(l), None) => l.to_string(),
        _ => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_the_column() {
        let engine = rhai::Engine::new();
        let src = "let a = 1;\nlet b = a +;\n";
        let e = engine.compile(src).unwrap_err();
        let d = from_parse("x.rhai", src, &e);
        let r = d.render();
        assert!(r.contains("--> x.rhai:2:"), "{r}");
        assert!(r.contains("2 | let b = a +;"), "{r}");
        assert!(
            r.lines()
                .any(|l| l.trim_start().starts_with("| ") && l.ends_with('^')),
            "{r}"
        );
    }

    #[test]
    fn runtime_error_from_a_thrown_map() {
        let engine = rhai::Engine::new();
        let src = "let x = 1;\nthrow #{description: \"boom here\"};";
        let e = engine.run(src).unwrap_err();
        let d = from_eval("y.rhai", src, &e);
        assert_eq!(d.message, "boom here");
        assert_eq!(d.line, Some(2));
    }
}
