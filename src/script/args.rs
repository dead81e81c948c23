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
//! comma-separated lists, whose every element is checked when it has a form of its own
//! (`N|N%,...`: each a count or a percentage); `GROUP`/`ROUTER` (and `GROUP,GROUP,...`) a group
//! or router by name or id, found before the script starts and handed on as its id; anything
//! else (`ID`, `NAME`, `APN`) text. A number form may end with its range, `(MIN-MAX)` or
//! `(MIN-)` with no upper bound: `N(1-64)`, `S(0.01-3600)`, `N|N%(1-)` (counts only; a
//! percentage is always 0-100%), `N,...(0-10)` (each element). `(required)` makes it required;
//! `(default: V)` gives the value when absent, when `V` is of the form.

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
    /// A comma-separated list whose every element is of a form of its own (`N|N%,...`).
    ListOf(Box<Form>),
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
    /// The values a number form allows (`N(1-64)`), each element's for a list.
    pub range: Option<Range>,
}

/// The values a number form allows: `(MIN-MAX)`, or `(MIN-)` with no upper bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: Option<f64>,
}

impl Range {
    fn contains(self, v: f64) -> bool {
        v >= self.min && self.max.is_none_or(|m| v <= m)
    }

    /// `from 1 to 64`, `of 1 or more`.
    fn text(self) -> String {
        match self.max {
            Some(m) => format!("from {} to {m}", self.min),
            None => format!("of {} or more", self.min),
        }
    }

    /// `1-64`, `0.01-3600`, `1-`, `-5-5` (the separator is the first `-` after the first
    /// character).
    fn parse(t: &str) -> Option<Range> {
        let t = t.trim();
        let cut = t.char_indices().skip(1).find(|(_, c)| *c == '-')?.0;
        let min: f64 = t[..cut]
            .trim()
            .parse()
            .ok()
            .filter(|m: &f64| m.is_finite())?;
        let max = t[cut + 1..].trim();
        let max = if max.is_empty() {
            None
        } else {
            Some(
                max.parse::<f64>()
                    .ok()
                    .filter(|m| m.is_finite() && *m >= min)?,
            )
        };
        Some(Range { min, max })
    }
}

/// A form written with its range (`N(1-64)`): the form and the range.
fn split_range(shown: &str) -> Result<(&str, Option<Range>), String> {
    let Some(open) = shown.strip_suffix(')').and_then(|s| s.rfind('(')) else {
        return Ok((shown, None));
    };
    let inner = &shown[open + 1..shown.len() - 1];
    let base = &shown[..open];
    let range = Range::parse(inner).ok_or_else(|| {
        format!("Arguments: {shown:?}: ({inner}) is not a range such as (1-64) or (0-)")
    })?;
    let numeric = |f: &Form| matches!(f, Form::Int | Form::Number | Form::Amount);
    match form_of(base) {
        f if numeric(&f) => Ok((base, Some(range))),
        Form::ListOf(e) if numeric(&e) => Ok((base, Some(range))),
        _ => Err(format!(
            "Arguments: {shown:?}: a range goes with a number form (N, S, N|N%, or a list of them)"
        )),
    }
}

/// A typed argument value.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    Int(i64),
    Number(f64),
    Bool(bool),
    Text(String),
    List(Vec<String>),
    /// A list of typed values (`N,...`, `N|N%,...`).
    Values(Vec<ArgValue>),
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
            ArgValue::Values(l) => l.iter().map(ArgValue::to_dynamic).collect::<Array>().into(),
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
        s if s.contains(",...") => match s.split(',').next().map(form_of) {
            Some(e @ (Form::Int | Form::Number | Form::Bool | Form::Amount | Form::OneOf(_))) => {
                Form::ListOf(Box::new(e))
            }
            _ => Form::List,
        },
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
        let (form, range) = split_range(shown)?;
        out.push(ArgDecl {
            name: name.to_string(),
            shown: shown.to_string(),
            form: form_of(form),
            required: false,
            default: None,
            description: description.trim().to_string(),
            range,
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
        Form::ListOf(each) => {
            let mut out = vec![];
            for x in t.split(',').map(str::trim).filter(|x| !x.is_empty()) {
                match one(each, d.range, x) {
                    Ok(val) => out.push(val),
                    Err(what) => {
                        return bad(&format!(
                            "a comma-separated list, each {what}; {x:?} is not"
                        ))
                    }
                }
            }
            Ok(ArgValue::Values(out))
        }
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
        form => one(form, d.range, t).or_else(|what| bad(&what)),
    }
}

/// One value of a scalar form within its range; the error is what was expected.
fn one(form: &Form, range: Option<Range>, t: &str) -> Result<ArgValue, String> {
    let within = |x: f64, what: &str| match range {
        Some(r) if !r.contains(x) => Err(format!("{what} {}", r.text())),
        _ => Ok(()),
    };
    match form {
        Form::Int => {
            let what = "a whole number";
            let n: i64 = t.parse().map_err(|_| what.to_string())?;
            within(n as f64, what).map(|()| ArgValue::Int(n))
        }
        Form::Number => match t.parse::<f64>() {
            Ok(f) if f.is_finite() => within(f, "a number").map(|()| ArgValue::Number(f)),
            _ => Err("a number".into()),
        },
        Form::Bool => match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(ArgValue::Bool(true)),
            "false" | "no" | "0" => Ok(ArgValue::Bool(false)),
            _ => Err("true or false".into()),
        },
        Form::OneOf(allowed) => match allowed.iter().find(|a| a.eq_ignore_ascii_case(t)) {
            Some(a) => Ok(ArgValue::Text(a.clone())),
            None => Err(format!("one of {}", allowed.join(", "))),
        },
        Form::Amount => {
            use crate::ncm::bulk::waves::Amount;
            let what = "a count (3) or a percentage (10%)";
            match Amount::parse(t, "") {
                Ok(Amount::Count(c)) => {
                    within(c as f64, "a count").map(|()| ArgValue::Text(t.into()))
                }
                Ok(_) => Ok(ArgValue::Text(t.to_string())),
                Err(_) => Err(what.into()),
            }
        }
        _ => Ok(ArgValue::Text(t.to_string())),
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

    const RANGED: &str = "Arguments:\n  --arg waves=N|N%,...   waves (default: 1,10%,100%)\n  --arg concurrency=N(1-64)   parallel\n  --arg poll=S(0.01-3600)   seconds\n  --arg hours=N(0-)   hours (default: 24)\n  --arg budget=N|N%(1-)  failures\n  --arg sizes=N,...(0-10)  sizes";

    #[test]
    fn list_elements_are_checked_by_their_form() {
        let d = declaration(RANGED).unwrap().unwrap();
        assert_eq!(d[0].form, Form::ListOf(Box::new(Form::Amount)));
        let v = check("s", &d, &given(&[])).unwrap();
        assert_eq!(
            v["waves"],
            ArgValue::Values(vec![
                ArgValue::Text("1".into()),
                ArgValue::Text("10%".into()),
                ArgValue::Text("100%".into())
            ])
        );
        let e = check("s", &d, &given(&[("waves", "abc")])).unwrap_err();
        assert!(
            e.contains("--arg waves=\"abc\": expected a comma-separated list, each a count (3) or a percentage (10%)"),
            "{e}"
        );
        assert!(check("s", &d, &given(&[("waves", "1,200%")])).is_err());
        let v = check("s", &d, &given(&[("sizes", "3, 4")])).unwrap();
        assert_eq!(
            v["sizes"],
            ArgValue::Values(vec![ArgValue::Int(3), ArgValue::Int(4)])
        );
        let e = check("s", &d, &given(&[("sizes", "3,11")])).unwrap_err();
        assert!(
            e.contains("each a whole number from 0 to 10; \"11\" is not"),
            "{e}"
        );
    }

    #[test]
    fn a_range_bounds_a_number_form_and_shows_in_the_usage() {
        let d = declaration(RANGED).unwrap().unwrap();
        assert_eq!(
            d[1].range,
            Some(Range {
                min: 1.0,
                max: Some(64.0)
            })
        );
        assert_eq!(d[1].form, Form::Int);
        assert_eq!(d[3].default.as_deref(), Some("24"));
        let e = check("s", &d, &given(&[("concurrency", "-3")])).unwrap_err();
        assert!(
            e.contains("--arg concurrency=\"-3\": expected a whole number from 1 to 64"),
            "{e}"
        );
        assert!(e.contains("[--arg concurrency=N(1-64)]"), "{e}");
        assert!(check("s", &d, &given(&[("concurrency", "64")])).is_ok());
        let e = check("s", &d, &given(&[("poll", "0")])).unwrap_err();
        assert!(e.contains("a number from 0.01 to 3600"), "{e}");
        let e = check("s", &d, &given(&[("hours", "-1")])).unwrap_err();
        assert!(e.contains("a whole number of 0 or more"), "{e}");
        let e = check("s", &d, &given(&[("budget", "0")])).unwrap_err();
        assert!(e.contains("a count of 1 or more"), "{e}");
        assert!(check("s", &d, &given(&[("budget", "0%")])).is_ok());
        assert_eq!(
            Range::parse("-5--1").map(|r| (r.min, r.max)),
            Some((-5.0, Some(-1.0)))
        );
        // A range that does not parse, or on a form that is no number, is named.
        for bad in [
            "--arg x=N(1-abc)  d",
            "--arg x=N(9-1)  d",
            "--arg x=FILE(1-2)  d",
        ] {
            let e = declaration(&format!("Arguments:\n  {bad}")).unwrap_err();
            assert!(e.contains("Arguments:"), "{bad}: {e}");
        }
    }
}
