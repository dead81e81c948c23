//! Script arguments as a declaration: the `Arguments:` block of a script's header comment says
//! each `--arg` a script takes, its value form, default, whether it is required and its allowed
//! values. `run` checks the given `--arg`s against it before the script starts (an undeclared,
//! missing or malformed one is a usage error) and hands the script typed values; `--help` and
//! `check` read the same declaration.
//!
//! One line per argument, a description after the form:
//!
//! ```text
//! // Arguments:
//! //   --arg hours=N                     minimum time offline, in hours (default: 24)
//! //   --arg state=online|offline|initialized   only routers in this state
//! //   --arg group=ID                    the group (required)
//! //   --arg out=FILE                    where to write the CSV (default: report.csv)
//! ```
//!
//! Forms: `N`/`INT`/`COUNT` whole numbers; `S`/`SECONDS`/`NUMBER`/`RATE` numbers; `BOOL`,
//! `true`/`false` booleans; `FILE` an output file and `PATH`/`DIR` an output directory (both
//! checked writable before the first request); `N|N%`/`AMOUNT` a count or a percentage;
//! `a|b|c` one of these words; `X,X,...`/`LIST`
//! comma-separated lists; `GROUP`/`ROUTER` (and `GROUP,GROUP,...`) a group or router by name or
//! id, found before the script starts and handed on as its id; anything else (`ID`, `NAME`,
//! `APN`) text. `(required)` makes it
//! required; `(default: V)` gives the value when absent, when `V` is of the form.

use rhai::{Array, Dynamic, Map};
use std::collections::BTreeMap;

/// The value form of an argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Form {
    Int,
    Number,
    Bool,
    /// An output file (checked writable before the script starts).
    OutFile,
    /// An output directory (checked writable before the script starts).
    OutDir,
    OneOf(Vec<String>),
    /// A count or a percentage (`3`, `10%`), as a failure budget or a wave takes.
    Amount,
    List,
    Text,
    /// A router (`ROUTER`) or group (`GROUP`) by id or name, or a list of them
    /// (`GROUP,GROUP,...`): `run` finds each before the script starts and hands the script ids.
    Named(crate::ncm::names::Kind, bool),
}

/// One declared argument.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgDecl {
    pub name: String,
    /// The form as written (`N`, `FILE`, `online|offline`), for usage lines.
    pub shown: String,
    pub form: Form,
    pub required: bool,
    /// The default as written, when it is a value of the form.
    pub default: Option<String>,
    pub description: String,
}

/// A typed argument value.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    Int(i64),
    Number(f64),
    Bool(bool),
    Text(String),
    List(Vec<String>),
}

impl ArgValue {
    pub fn to_dynamic(&self) -> Dynamic {
        match self {
            ArgValue::Int(i) => (*i).into(),
            ArgValue::Number(f) => (*f).into(),
            ArgValue::Bool(b) => (*b).into(),
            ArgValue::Text(s) => s.clone().into(),
            ArgValue::List(l) => l
                .iter()
                .cloned()
                .map(Dynamic::from)
                .collect::<Array>()
                .into(),
        }
    }
}

fn form_of(shown: &str) -> Form {
    use crate::ncm::names::Kind;
    match shown {
        "N" | "INT" | "COUNT" => Form::Int,
        "S" | "SECONDS" | "NUMBER" | "RATE" => Form::Number,
        "BOOL" | "true" | "false" => Form::Bool,
        "FILE" => Form::OutFile,
        "PATH" | "DIR" => Form::OutDir,
        "LIST" => Form::List,
        "N|N%" | "AMOUNT" => Form::Amount,
        "GROUP" => Form::Named(Kind::Group, false),
        "ROUTER" => Form::Named(Kind::Router, false),
        "GROUP,GROUP,..." => Form::Named(Kind::Group, true),
        "ROUTER,ROUTER,..." => Form::Named(Kind::Router, true),
        s if s.contains(",...") => Form::List,
        s if s.contains('|') => Form::OneOf(s.split('|').map(str::to_string).collect()),
        _ => Form::Text,
    }
}

/// The `Arguments:` block of a header, `None` when the header has none (such a script takes
/// any `--arg`, untyped). A line that does not parse is an error naming it.
pub fn declaration(header: &str) -> Result<Option<Vec<ArgDecl>>, String> {
    let mut lines = header.lines().skip_while(|l| l.trim() != "Arguments:");
    if lines.next().is_none() {
        return Ok(None);
    }
    let mut out: Vec<ArgDecl> = vec![];
    for line in lines {
        let t = line.trim();
        if t.is_empty() {
            break;
        }
        let Some(rest) = t.strip_prefix("--arg ") else {
            // A continuation of the previous description.
            match out.last_mut() {
                Some(d) => {
                    d.description.push(' ');
                    d.description.push_str(t);
                    continue;
                }
                None => {
                    return Err(format!(
                        "Arguments: expected `--arg NAME=FORM description`, found {t:?}"
                    ))
                }
            }
        };
        let (spec, description) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let (name, shown) = spec
            .split_once('=')
            .ok_or_else(|| format!("Arguments: {spec:?} is not NAME=FORM"))?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("Arguments: {name:?} is not an argument name"));
        }
        if out.iter().any(|d| d.name == name) {
            return Err(format!("Arguments: --arg {name} is declared twice"));
        }
        out.push(ArgDecl {
            name: name.to_string(),
            shown: shown.to_string(),
            form: form_of(shown),
            required: false,
            default: None,
            description: description.trim().to_string(),
        });
    }
    for d in &mut out {
        d.required = d.description.contains("(required)");
        let default = d
            .description
            .split_once("(default: ")
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(v, _)| v.trim().to_string());
        // Only a default that is a value of the form is applied ("the profile's", "<group>.csv"
        // are prose the script fills in itself).
        d.default = default
            .filter(|v| !v.contains(['<', '>', ' ']))
            .filter(|v| typed(d, v).is_ok());
    }
    Ok(Some(out))
}

fn typed(d: &ArgDecl, v: &str) -> Result<ArgValue, String> {
    let t = v.trim();
    let bad = |what: &str| Err(format!("--arg {}={v:?}: expected {what}", d.name));
    match &d.form {
        Form::Int => t
            .parse()
            .map(ArgValue::Int)
            .or_else(|_| bad("a whole number")),
        Form::Number => match t.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(ArgValue::Number(f)),
            _ => bad("a number"),
        },
        Form::Bool => match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(ArgValue::Bool(true)),
            "false" | "no" | "0" => Ok(ArgValue::Bool(false)),
            _ => bad("true or false"),
        },
        Form::OneOf(allowed) => match allowed.iter().find(|a| a.eq_ignore_ascii_case(t)) {
            Some(a) => Ok(ArgValue::Text(a.clone())),
            None => bad(&format!("one of {}", allowed.join(", "))),
        },
        Form::Amount => match crate::ncm::bulk::waves::Amount::parse(t, &d.name) {
            Ok(_) => Ok(ArgValue::Text(t.to_string())),
            Err(_) => bad("a count (3) or a percentage (10%)"),
        },
        Form::List | Form::Named(_, true) => Ok(ArgValue::List(
            t.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
        )),
        Form::OutFile | Form::OutDir | Form::Text | Form::Named(_, false) if t.is_empty() => {
            bad("a value")
        }
        Form::OutFile | Form::OutDir | Form::Text | Form::Named(_, false) => {
            Ok(ArgValue::Text(t.to_string()))
        }
    }
}

/// `fleetscript run NAME [--arg a=N] --arg b=ID`: the usage line of a declaration.
pub fn usage(script: &str, decls: &[ArgDecl]) -> String {
    let mut s = format!("usage: fleetscript run {script}");
    for d in decls {
        let a = format!("--arg {}={}", d.name, d.shown);
        if d.required {
            s.push_str(&format!(" {a}"));
        } else {
            s.push_str(&format!(" [{a}]"));
        }
    }
    s
}

/// The given `--arg`s checked against the declaration: typed, defaults filled in. The error is
/// the problem and the usage line.
pub fn check(
    script: &str,
    decls: &[ArgDecl],
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, ArgValue>, String> {
    let with_usage = |msg: String| format!("{msg}\n{}", usage(script, decls));
    if let Some(k) = given.keys().find(|k| !decls.iter().any(|d| &d.name == *k)) {
        let names: Vec<String> = decls.iter().map(|d| d.name.clone()).collect();
        let hint = crate::script::lint::closest(k, names.iter().map(String::as_str))
            .map(|c| format!(" (did you mean --arg {c}?)"))
            .unwrap_or_default();
        return Err(with_usage(format!(
            "{script} takes no --arg {k}{hint}; it takes: {}",
            if names.is_empty() {
                "no arguments".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    let mut out = BTreeMap::new();
    for d in decls {
        let value = match (given.get(&d.name), &d.default) {
            (Some(v), _) => typed(d, v).map_err(with_usage)?,
            (None, Some(def)) => typed(d, def).map_err(with_usage)?,
            (None, None) if d.required => {
                return Err(with_usage(format!(
                    "{script} needs --arg {}={}",
                    d.name, d.shown
                )))
            }
            (None, None) => continue,
        };
        out.insert(d.name.clone(), value);
    }
    Ok(out)
}

/// Routers and groups given by name among checked values: each becomes its id, found with
/// `find` (an id is handed on as it is). The error names the argument.
pub fn resolve_names(
    decls: &[ArgDecl],
    values: &mut BTreeMap<String, ArgValue>,
    find: &dyn Fn(crate::ncm::names::Kind, &str) -> Result<String, String>,
) -> Result<(), String> {
    let id = |kind, name: &str, arg: &str| -> Result<String, String> {
        if name.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(name.to_string());
        }
        find(kind, name).map_err(|e| format!("--arg {arg}={name}: {e}"))
    };
    for d in decls {
        let Form::Named(kind, _) = d.form else {
            continue;
        };
        match values.get_mut(&d.name) {
            Some(ArgValue::Text(t)) => *t = id(kind, t, &d.name)?,
            Some(ArgValue::List(l)) => {
                for t in l.iter_mut() {
                    *t = id(kind, t, &d.name)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The output paths among checked values (files and directories the script will write).
pub fn outputs<'a>(
    decls: &'a [ArgDecl],
    values: &'a BTreeMap<String, ArgValue>,
) -> impl Iterator<Item = (&'a ArgDecl, &'a str)> {
    decls
        .iter()
        .filter_map(move |d| match (&d.form, values.get(&d.name)) {
            (Form::OutFile | Form::OutDir, Some(ArgValue::Text(p))) => Some((d, p.as_str())),
            _ => None,
        })
}

/// Untyped arguments (a script with no declaration) as a map of strings.
pub fn untyped(given: &BTreeMap<String, String>) -> Map {
    given
        .iter()
        .map(|(k, v)| (k.as_str().into(), Dynamic::from(v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Purpose: x.\n\nArguments:\n  --arg hours=N      minimum hours (default: 24)\n  --arg state=online|offline|initialized   only these (default: all)\n  --arg group=ID     the group (required)\n  --arg out=FILE     the CSV (default: r.csv)\n  --arg to=G,G,...   targets\n    continued here\n  --arg verify=false do not wait\n\nExample:\n  x";

    fn given(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_header_declares_forms_defaults_and_requirements() {
        let d = declaration(HEADER).unwrap().unwrap();
        assert_eq!(d.len(), 6);
        assert_eq!(d[0].form, Form::Int);
        assert_eq!(d[0].default.as_deref(), Some("24"));
        assert_eq!(d[1].default, None, "`all` is not one of the values: prose");
        assert!(d[2].required && !d[0].required);
        assert_eq!(d[3].form, Form::OutFile);
        assert_eq!(d[4].form, Form::List);
        assert!(d[4].description.ends_with("continued here"));
        assert_eq!(d[5].form, Form::Bool);
        assert_eq!(declaration("Purpose: y").unwrap(), None);
    }

    #[test]
    fn arguments_are_checked_and_typed() {
        let d = declaration(HEADER).unwrap().unwrap();
        let v = check("s", &d, &given(&[("group", "7"), ("hours", "5")])).unwrap();
        assert_eq!(v["hours"], ArgValue::Int(5));
        assert_eq!(v["out"], ArgValue::Text("r.csv".into()));
        assert!(!v.contains_key("state"));
        let e = check("s", &d, &given(&[("group", "7"), ("stat", "online")])).unwrap_err();
        assert!(
            e.contains("no --arg stat") && e.contains("did you mean --arg state"),
            "{e}"
        );
        assert!(e.contains("usage: fleetscript run s"), "{e}");
        let e = check("s", &d, &given(&[])).unwrap_err();
        assert!(e.contains("needs --arg group=ID"), "{e}");
        let e = check("s", &d, &given(&[("group", "7"), ("hours", "abc")])).unwrap_err();
        assert!(e.contains("whole number"), "{e}");
        let e = check("s", &d, &given(&[("group", "7"), ("state", "onlin")])).unwrap_err();
        assert!(e.contains("one of online, offline, initialized"), "{e}");
        let v = check("s", &d, &given(&[("group", "7"), ("to", "a, b,,c")])).unwrap();
        assert_eq!(
            v["to"],
            ArgValue::List(vec!["a".into(), "b".into(), "c".into()])
        );
    }
}
