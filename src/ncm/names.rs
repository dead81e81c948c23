//! Records by what operators call them: a router by its name, MAC address, serial number or
//! id, a group or an account by its name or id (the catalog's `named_by`), resolved to the
//! record, or to its id where a filter takes one (one request for an id, a name or a MAC; a
//! serial number, which the API cannot filter on, and the suggestions for a name that matches
//! nothing read the account's names once). Answers are kept for the rest of the run. No match
//! says "did you mean"; several say which, so the caller can give an id. Firmware versions
//! compare as versions.

use super::catalog::Endpoint;
use super::client::NcmClient;
use crate::error::{Error, Result};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::sync::Arc;

/// What kind of record a name stands for (the endpoints scripts and `--arg`s name by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Router,
    Group,
}

impl Kind {
    /// The endpoint of its records.
    pub fn endpoint(self) -> &'static Endpoint {
        super::endpoint(match self {
            Kind::Router => "routers",
            Kind::Group => "groups",
        })
        .expect("routers and groups are in the catalog")
    }
    /// What it is called in messages: `router`, `group`.
    pub fn noun(self) -> &'static str {
        noun(self.endpoint())
    }
}

/// What one record of `ep` is called in messages: `router`, `group`, `account`.
fn noun(ep: &Endpoint) -> &'static str {
    ep.name.strip_suffix('s').unwrap_or(ep.name)
}

/// The fields a record of `ep` is known by: its id, then the catalog's `named_by`; also how
/// several matches are told apart in an error.
fn known_by(ep: &Endpoint) -> Vec<&'static str> {
    std::iter::once("id")
        .chain(ep.named_by.iter().copied())
        .collect()
}

/// Can `field` of `ep` be filtered with `=`? The catalog says (the API cannot filter routers by
/// serial number, for one).
fn filterable(ep: &Endpoint, field: &str) -> bool {
    ep.field(field)
        .is_some_and(|f| f.ops.contains(&super::catalog::Op::Eq))
}

/// A query map of `pairs`.
fn query(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A MAC address as the API writes it (`00:30:44:1A:2B:3C`), from `00:30:44:1a:2b:3c`,
/// `00-30-44-1A-2B-3C` or `0030441A2B3C`; `None` when `s` is not one.
pub fn as_mac(s: &str) -> Option<String> {
    let hex: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    let separators_ok = s.len() == 12 || s.len() == 17 || s.len() == 14;
    if hex.len() != 12 || !separators_ok || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let up = hex.to_ascii_uppercase();
    Some(
        up.as_bytes()
            .chunks(2)
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// Orders two firmware versions part by part as numbers (`7.22.60` after `7.4.0`); a part that
/// is not a number compares as text, and a missing part counts as 0 (`7.4` = `7.4.0`).
pub fn version_cmp(a: &str, b: &str) -> Ordering {
    let parts = |s: &str| -> Vec<String> {
        s.trim()
            .trim_start_matches(['v', 'V'])
            .split(['.', '-'])
            .map(str::to_string)
            .collect()
    };
    let (pa, pb) = (parts(a), parts(b));
    for i in 0..pa.len().max(pb.len()) {
        let x = pa.get(i).map(String::as_str).unwrap_or("0");
        let y = pb.get(i).map(String::as_str).unwrap_or("0");
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            _ => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

impl NcmClient {
    /// The router named by `key`: its id, MAC address, name or serial number, in that order.
    pub fn find_router(self: &Arc<Self>, key: &str) -> Result<Value> {
        self.find(Kind::Router, key)
    }

    /// The group named by `key`: its id or name.
    pub fn find_group(self: &Arc<Self>, key: &str) -> Result<Value> {
        self.find(Kind::Group, key)
    }

    /// The record of `kind` that `key` names, from this run's answers when it was asked before.
    pub fn find(self: &Arc<Self>, kind: Kind, key: &str) -> Result<Value> {
        self.find_record(kind.endpoint(), key)
    }

    /// The record of `ep` that `key` names (its id or a `named_by` field), from this run's
    /// answers when it was asked before.
    pub fn find_record(self: &Arc<Self>, ep: &'static Endpoint, key: &str) -> Result<Value> {
        let key = checked_key(ep, key)?;
        let cache_key = (ep.name, key.to_string());
        if let Some(v) = self.cached(&cache_key) {
            return Ok(v);
        }
        let found = self.look_up(ep, key, true)?;
        self.keep(cache_key, found.clone());
        Ok(found)
    }

    /// The id of the record of `ep` that `key` names, for a filter that takes one: an id as it
    /// is, a name found with one request (kept for the run, as [`find_record`](Self::find_record)
    /// keeps its answers).
    pub fn id_named(self: &Arc<Self>, ep: &'static Endpoint, key: &str) -> Result<String> {
        let key = checked_key(ep, key)?;
        if key.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(key.to_string());
        }
        let full = (ep.name, key.to_string());
        let ids = (ep.name, format!("{key}\u{0}id"));
        let found = match self.cached(&full).or_else(|| self.cached(&ids)) {
            Some(v) => v,
            None => {
                let v = self.look_up(ep, key, false)?;
                self.keep(ids, v.clone());
                v
            }
        };
        Ok(super::text(&found["id"]))
    }

    fn cached(&self, key: &(&'static str, String)) -> Option<Value> {
        self.resolved()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    fn keep(&self, key: (&'static str, String), v: Value) {
        self.resolved()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, v);
    }

    /// One request for an id, a MAC or a name; the account's names only when that finds nothing.
    /// `full`: the whole record (else its id and names, which is all a filter needs).
    fn look_up(self: &Arc<Self>, ep: &'static Endpoint, key: &str, full: bool) -> Result<Value> {
        // A resource URL (a record's `group` field) stands for its id.
        let from_url = match key.contains('/') {
            true => Some(super::checked_id(Some(ep.name), key)?),
            false => None,
        };
        let key = from_url.as_deref().unwrap_or(key);
        if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
            match self.get(ep.name, key, &Map::new()) {
                Ok(v) => return Ok(v),
                // "403 Forbidden # Invalid URL or resource not visible" (configuration managers,
                // and groups, which "work the same"): not this id, so maybe a name.
                Err(e) if matches!(e.status(), Some(403 | 404)) => {}
                Err(e) => return Err(e),
            }
        }
        // One request a field the API can filter on (a MAC only when the key is one).
        for field in ep.named_by {
            let value = match *field {
                "mac" => match as_mac(key) {
                    Some(mac) => mac,
                    None => continue,
                },
                _ => key.to_string(),
            };
            if !filterable(ep, field) {
                continue;
            }
            let mut q = query(&[(field, json!(value)), ("limit", json!(10))]);
            if !full {
                q.insert("fields".into(), json!(known_by(ep)));
            }
            let matches = self.list(ep.name, &q)?;
            if !matches.is_empty() {
                return one_of(ep, key, matches);
            }
        }
        self.by_scan(ep, key, full)
    }

    /// Reads the account's names once: a key in a field the API cannot filter on (a router's
    /// serial number) is found here, and a key that matches nothing gets the closest names.
    fn by_scan(self: &Arc<Self>, ep: &'static Endpoint, key: &str, full: bool) -> Result<Value> {
        let all = self.list(ep.name, &query(&[("fields", json!(known_by(ep)))]))?;
        for field in ep.named_by.iter().filter(|f| !filterable(ep, f)) {
            let found: Vec<Value> = all
                .iter()
                .filter(|r| {
                    r[*field]
                        .as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(key))
                })
                .cloned()
                .collect();
            if !found.is_empty() {
                let found = one_of(ep, key, found)?;
                if !full {
                    return Ok(found);
                }
                let id = super::text(&found["id"]);
                return self.get(ep.name, &id, &Map::new());
            }
        }
        let names: Vec<&str> = all.iter().filter_map(|r| r["name"].as_str()).collect();
        Err(Error::invalid(not_found_in(ep, key, &names)))
    }
}

/// A key that names something: not empty.
fn checked_key<'a>(ep: &Endpoint, key: &'a str) -> Result<&'a str> {
    let key = key.trim();
    if key.is_empty() {
        return Err(Error::invalid(format!("an empty {} name", noun(ep))));
    }
    Ok(key)
}

/// The one record of `matches`, or an error listing them when there are several.
fn one_of(ep: &Endpoint, key: &str, mut matches: Vec<Value>) -> Result<Value> {
    if matches.len() == 1 {
        return Ok(matches.remove(0));
    }
    let shown: Vec<String> = matches
        .iter()
        .take(8)
        .map(|r| {
            known_by(ep)
                .iter()
                .filter_map(|f| r[*f].as_str().map(|v| format!("{f} {v}")))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let noun = noun(ep);
    Err(Error::invalid(format!(
        "{noun} {key:?} matches {} {noun}s: {}; give the id instead",
        matches.len(),
        shown.join("; ")
    )))
}

/// "no group has the id or name X; did you mean A, B?", the suggestions the closest names by
/// edit distance.
pub fn not_found(kind: Kind, key: &str, names: &[&str]) -> String {
    not_found_in(kind.endpoint(), key, names)
}

/// [`not_found`] for a record of `ep`.
fn not_found_in(ep: &Endpoint, key: &str, names: &[&str]) -> String {
    let lower = key.to_lowercase();
    let mut scored: Vec<(f64, &str)> = names
        .iter()
        .map(|n| {
            let nl = n.to_lowercase();
            let mut s = strsim::jaro_winkler(&lower, &nl);
            if nl.contains(&lower) || lower.contains(&nl) {
                s = s.max(0.9);
            }
            (s, *n)
        })
        .filter(|(s, _)| *s >= 0.75)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    let fields: Vec<&str> = known_by(ep)
        .into_iter()
        .map(|f| match f {
            "mac" => "MAC address",
            "serial_number" => "serial number",
            other => other,
        })
        .collect();
    let fields = match fields.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    let what = format!("no {} has the {fields}", noun(ep));
    if scored.is_empty() {
        return format!("{what} {key:?}");
    }
    let list: Vec<String> = scored
        .iter()
        .take(5)
        .map(|(_, n)| format!("{n:?}"))
        .collect();
    format!("{what} {key:?}; did you mean {}?", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_says_which_fields_can_be_filtered() {
        let (routers, groups) = (Kind::Router.endpoint(), Kind::Group.endpoint());
        assert!(filterable(routers, "name") && filterable(routers, "mac"));
        assert!(!filterable(routers, "serial_number"));
        assert!(filterable(groups, "name"));
        assert!(not_found(Kind::Router, "x", &[])
            .starts_with("no router has the id, MAC address, name or serial number"));
    }

    #[test]
    fn versions_compare_part_by_part() {
        assert_eq!(version_cmp("7.22.60", "7.4.0"), Ordering::Greater);
        assert_eq!(version_cmp("7.4", "7.4.0"), Ordering::Equal);
        assert_eq!(version_cmp("6.1.0", "6.10.0"), Ordering::Less);
        assert_eq!(version_cmp("v7.2.0", "7.2.0"), Ordering::Equal);
        assert_eq!(version_cmp("7.2.0-beta", "7.2.0-rc"), Ordering::Less);
    }

    #[test]
    fn macs_in_any_common_form() {
        for s in ["00:30:44:1a:2b:3c", "00-30-44-1A-2B-3C", "0030441a2b3c"] {
            assert_eq!(as_mac(s).as_deref(), Some("00:30:44:1A:2B:3C"), "{s}");
        }
        for s in [
            "Stores West",
            "00:30:44:1a:2b",
            "0030441a2b3g",
            "123456789012x",
        ] {
            assert_eq!(as_mac(s), None, "{s}");
        }
    }

    #[test]
    fn suggestions_are_the_close_names() {
        let m = not_found(
            Kind::Group,
            "Stores Wst",
            &["Stores West", "Stores East", "Vehicles"],
        );
        assert!(
            m.starts_with(
                "no group has the id or name \"Stores Wst\"; did you mean \"Stores West\""
            ),
            "{m}"
        );
        assert!(!m.contains("Vehicles"), "{m}");
        assert_eq!(
            not_found(Kind::Group, "zzz", &["Stores West"]),
            "no group has the id or name \"zzz\""
        );
    }
}
