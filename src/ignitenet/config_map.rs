//! The IgniteNet config model: a flat map `"root/node/property" -> {value, origin}` with string
//! values, the site/device merge by origin, and entity helpers (list, read, create from
//! `defaults.<kind>` with a fresh id in the right range, CRC-32 user ids, whole-entity device
//! overrides). Pure data, no network: the client and the simulator both use it.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Where a value comes from, and so how it merges (the spec's "config value ORIGIN").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Origin {
    /// Defined in the site config (every site key has this origin).
    #[serde(rename = "site")]
    Site,
    /// Defined in the device config only.
    #[serde(rename = "device")]
    Device,
    /// Inherited from the site but overridden on the device.
    #[serde(rename = "site-device")]
    SiteDevice,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Site => "site",
            Origin::Device => "device",
            Origin::SiteDevice => "site-device",
        }
    }
    pub fn parse(s: &str) -> Result<Origin> {
        match s {
            "site" => Ok(Origin::Site),
            "device" => Ok(Origin::Device),
            "site-device" => Ok(Origin::SiteDevice),
            other => Err(Error::invalid(format!(
                "origin {other:?} is not one of \"site\", \"device\", \"site-device\""
            ))),
        }
    }
}

/// One config value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub value: String,
    pub origin: Origin,
}

impl Entry {
    pub fn new(value: impl Into<String>, origin: Origin) -> Self {
        Entry {
            value: value.into(),
            origin,
        }
    }
}

/// A site or device config (or a set of changes to one): key -> entry, ordered by key.
pub type ConfigMap = BTreeMap<String, Entry>;

/// Entity kinds of `defaults.<kind>` and the config root their entities live under.
pub const ENTITY_KINDS: &[(&str, &str)] =
    &[("ssid", "wireless"), ("user", "users"), ("lan", "lans")];

/// Site-level entity ids start here; ids below `DEVICE_ID_LIMIT` are device-level.
pub const FIRST_SITE_ENTITY_ID: u64 = 1_000_000_001;
pub const DEVICE_ID_LIMIT: u64 = 1_000_000_000;

/// The config root entities of `kind` live under (`ssid` -> `wireless`); a root name passes.
pub fn root_of_kind(kind: &str) -> Result<&'static str> {
    ENTITY_KINDS
        .iter()
        .find(|(k, r)| *k == kind || *r == kind)
        .map(|(_, r)| *r)
        .ok_or_else(|| {
            Error::invalid(format!(
                "unknown entity kind {kind:?}: known kinds are {}",
                ENTITY_KINDS
                    .iter()
                    .map(|(k, r)| format!("{k} ({r}/)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// Converts a script or JSON value to the string IgniteNet stores: strings as they are,
/// numbers in decimal, booleans as UCI's "1"/"0". Maps, arrays and null are refused.
pub fn value_string(key: &str, v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(if *b { "1" } else { "0" }.into()),
        Value::Null => Err(Error::invalid(format!(
            "{key}: a value is required (IgniteNet values are strings)"
        ))),
        Value::Array(_) | Value::Object(_) => Err(Error::invalid(format!(
            "{key}: IgniteNet config values are strings, not {}; give each property its own key (\"root/node/property\")",
            if v.is_array() { "an array" } else { "a map" }
        ))),
    }
}

/// Parses a config map as the API returns it (`{key: {value, origin}}`). A value that is not
/// a string, or an unknown origin, is an error naming the key.
pub fn parse_map(v: &Value) -> Result<ConfigMap> {
    parse_map_with(v, &|_| Origin::Site)
}

/// Parses `{key: {value, origin}}` or `{key: value}`; a missing origin is `default(key)`.
/// `null` is the empty map.
pub fn parse_map_with(v: &Value, default: &dyn Fn(&str) -> Origin) -> Result<ConfigMap> {
    let mut out = ConfigMap::new();
    let Some(obj) = v.as_object() else {
        if v.is_null() {
            return Ok(out);
        }
        return Err(Error::invalid(
            "a config must be a map of \"root/node/property\" -> value or #{value, origin}",
        ));
    };
    for (k, e) in obj {
        let (value, origin) = match e {
            Value::Object(m) if m.contains_key("value") => (
                &m["value"],
                m.get("origin")
                    .and_then(Value::as_str)
                    .map(Origin::parse)
                    .transpose()?,
            ),
            other => (other, None),
        };
        let origin = origin.unwrap_or_else(|| default(k));
        out.insert(k.clone(), Entry::new(value_string(k, value)?, origin));
    }
    Ok(out)
}

/// A config map as JSON (`{key: {value, origin}}`).
pub fn to_value(m: &ConfigMap) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, e)| {
                (
                    k.clone(),
                    serde_json::json!({"value": e.value, "origin": e.origin.as_str()}),
                )
            })
            .collect(),
    )
}

/// The value one key resolves to, merging a site and a device entry by origin:
///
/// | site | device | result |
/// |---|---|---|
/// | undefined | defined, origin `device` | device value |
/// | defined | defined, origin `site-device` | device value |
/// | defined | defined, origin `site` | site value |
/// | defined | undefined | site value |
/// | undefined | defined, origin `site` or `site-device` | undefined: the site no longer has it |
///
/// A device entry with origin `device` wins over a site value too.
pub fn merge_entry<'a>(site: Option<&'a Entry>, device: Option<&'a Entry>) -> Option<&'a str> {
    match (site, device) {
        (_, Some(d)) if d.origin == Origin::Device => Some(&d.value),
        (Some(_), Some(d)) if d.origin == Origin::SiteDevice => Some(&d.value),
        (Some(s), _) => Some(&s.value),
        (None, _) => None,
    }
}

/// The config a device runs: every key of the site and the device merged by origin.
pub fn effective(site: &ConfigMap, device: &ConfigMap) -> BTreeMap<String, String> {
    let keys: BTreeSet<&String> = site.keys().chain(device.keys()).collect();
    keys.into_iter()
        .filter_map(|k| merge_entry(site.get(k), device.get(k)).map(|v| (k.clone(), v.to_string())))
        .collect()
}

/// Splits `"wireless/1000000001/ssid"` into root, entity id and the rest (`"ssid"`, or `""`
/// for the entity's own root key `"wireless/1000000001/"`). `None` for non-entity keys.
pub fn entity_key(key: &str) -> Option<(&str, u64, &str)> {
    let (root, rest) = key.split_once('/')?;
    let (id, prop) = rest.split_once('/').unwrap_or((rest, ""));
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((root, id.parse().ok()?, prop))
}

/// The ids of the entities under `root` in a config, in order.
pub fn entity_ids<'a, I>(keys: I, root: &str) -> Vec<u64>
where
    I: IntoIterator<Item = &'a String>,
{
    let ids: BTreeSet<u64> = keys
        .into_iter()
        .filter_map(|k| entity_key(k))
        .filter(|(r, _, _)| *r == root)
        .map(|(_, id, _)| id)
        .collect();
    ids.into_iter().collect()
}

/// One entity's properties (`property -> value`) from a flat key/value map.
pub fn entity_props<'a, I>(entries: I, root: &str, id: u64) -> BTreeMap<String, String>
where
    I: IntoIterator<Item = (&'a String, &'a String)>,
{
    entries
        .into_iter()
        .filter_map(|(k, v)| match entity_key(k) {
            Some((r, i, p)) if r == root && i == id && !p.is_empty() => {
                Some((p.to_string(), v.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The next free entity id: above every existing one, in the site range (from 1000000001) or
/// the device range (1..999999999).
pub fn next_entity_id(existing: &[u64], site_level: bool) -> Result<u64> {
    let (lo, hi) = if site_level {
        (FIRST_SITE_ENTITY_ID, u64::from(u32::MAX) * 4)
    } else {
        (1, DEVICE_ID_LIMIT - 1)
    };
    let max_in_range = existing
        .iter()
        .copied()
        .filter(|i| (lo..=hi).contains(i))
        .max();
    let id = max_in_range.map_or(lo, |m| m + 1);
    if id > hi {
        return Err(Error::invalid("no free entity id left in the range"));
    }
    Ok(id)
}

/// CRC-32 (IEEE) of a user name: the id of its `users/<id>/` entity.
pub fn user_id(name: &str) -> u64 {
    u64::from(crc32fast::hash(name.as_bytes()))
}

/// The changes creating entity `id` under `root`: its root key (value: the id), every property
/// from the defaults template, then `props` over them. Values are strings (see `value_string`).
pub fn entity_changes(
    root: &str,
    id: u64,
    defaults: &BTreeMap<String, String>,
    props: &BTreeMap<String, String>,
    origin: Origin,
) -> ConfigMap {
    let mut out = ConfigMap::new();
    out.insert(format!("{root}/{id}/"), Entry::new(id.to_string(), origin));
    for (p, v) in defaults.iter().chain(props.iter()) {
        out.insert(format!("{root}/{id}/{p}"), Entry::new(v.clone(), origin));
    }
    out
}

/// The changes overriding a whole inherited site entity on a device: every key of the entity
/// copied with origin `site-device`, with `props` changed. Never only some sub-keys.
pub fn override_entity(
    site: &ConfigMap,
    root: &str,
    id: u64,
    props: &BTreeMap<String, String>,
) -> Result<ConfigMap> {
    let prefix = format!("{root}/{id}/");
    let mut out: ConfigMap = site
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(k, e)| (k.clone(), Entry::new(e.value.clone(), Origin::SiteDevice)))
        .collect();
    if out.is_empty() {
        return Err(Error::invalid(format!(
            "the site has no entity {prefix}: only an inherited entity can be overridden on a device"
        )));
    }
    out.entry(prefix.clone())
        .or_insert_with(|| Entry::new(id.to_string(), Origin::SiteDevice));
    for (p, v) in props {
        out.insert(
            format!("{prefix}{p}"),
            Entry::new(v.clone(), Origin::SiteDevice),
        );
    }
    Ok(out)
}

/// A device's changes with every inherited entity they touch overridden whole. The notes' rule:
/// "To override an inherited entity on one device, copy every key of that entity into the device
/// config with origin `site-device` and change what differs; never override only some sub-keys of
/// an entity." A change to a key of an entity the site defines (any origin but `device`) becomes
/// every key of that entity as the device runs it (`site` merged with `device`), origin
/// `site-device`, with the changed values; other changes are kept as they are.
pub fn whole_entities(
    changes: ConfigMap,
    site: &ConfigMap,
    device: &ConfigMap,
) -> Result<ConfigMap> {
    let mut touched: BTreeMap<(String, u64), BTreeMap<String, String>> = BTreeMap::new();
    let mut out = ConfigMap::new();
    for (k, e) in changes {
        let inherited = entity_key(&k).filter(|(root, id, _)| {
            e.origin != Origin::Device
                && site.keys().any(|s| s.starts_with(&format!("{root}/{id}/")))
        });
        match inherited {
            Some((root, id, prop)) => {
                let props = touched.entry((root.to_string(), id)).or_default();
                if !prop.is_empty() {
                    props.insert(prop.to_string(), e.value.clone());
                }
            }
            None => {
                out.insert(k, e);
            }
        }
    }
    if touched.is_empty() {
        return Ok(out);
    }
    let runs: ConfigMap = effective(site, device)
        .into_iter()
        .map(|(k, v)| (k, Entry::new(v, Origin::Site)))
        .collect();
    for ((root, id), props) in touched {
        out.extend(override_entity(&runs, &root, id, &props)?);
    }
    Ok(out)
}

/// `defaults.<kind>` of a config-changes answer as property -> string.
pub fn defaults_of(answer: &Value, kind: &str) -> Result<BTreeMap<String, String>> {
    let d = answer
        .pointer(&format!("/defaults/{kind}"))
        .and_then(Value::as_object)
        .ok_or_else(|| {
            let known: Vec<String> = answer
                .get("defaults")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            Error::invalid(format!(
                "the config has no defaults.{kind} to create the entity from (it has: {})",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ))
        })?;
    d.iter()
        .map(|(k, v)| Ok((k.clone(), value_string(k, v)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn e(v: &str, o: Origin) -> Entry {
        Entry::new(v, o)
    }

    #[test]
    fn merge_table_all_five_rows() {
        let s = e("site-value", Origin::Site);
        // 1. site undefined, device defined (origin device) -> device
        assert_eq!(
            merge_entry(None, Some(&e("dev", Origin::Device))),
            Some("dev")
        );
        // 2. both defined, origin site-device -> device
        assert_eq!(
            merge_entry(Some(&s), Some(&e("dev", Origin::SiteDevice))),
            Some("dev")
        );
        // 3. both defined, origin site -> site
        assert_eq!(
            merge_entry(Some(&s), Some(&e("stale", Origin::Site))),
            Some("site-value")
        );
        // 4. site defined, device undefined -> site
        assert_eq!(merge_entry(Some(&s), None), Some("site-value"));
        // 5. site undefined, device holds an inherited value -> gone with the site's
        assert_eq!(merge_entry(None, Some(&e("stale", Origin::Site))), None);
        assert_eq!(merge_entry(None, None), None);
    }

    #[test]
    fn effective_merges_every_key() {
        let site = parse_map(&json!({
            "radio/r5/enable": {"value": "1", "origin": "site"},
            "wireless/1000000001/ssid": {"value": "Corp", "origin": "site"},
            "locale/code": {"value": "US", "origin": "site"}
        }))
        .unwrap();
        let device = parse_map(&json!({
            "wireless/1000000001/ssid": {"value": "Corp-Lobby", "origin": "site-device"},
            "locale/code": {"value": "GB", "origin": "site"},
            "system/hostname": {"value": "ap-7", "origin": "device"}
        }))
        .unwrap();
        let eff = effective(&site, &device);
        assert_eq!(eff["wireless/1000000001/ssid"], "Corp-Lobby");
        assert_eq!(eff["locale/code"], "US");
        assert_eq!(eff["radio/r5/enable"], "1");
        assert_eq!(eff["system/hostname"], "ap-7");
        assert_eq!(eff.len(), 4);
    }

    #[test]
    fn crc32_user_ids() {
        // CRC-32/IEEE check values.
        assert_eq!(user_id("123456789"), 0xCBF4_3926);
        assert_eq!(user_id("admin"), 2_282_622_326);
        assert_eq!(user_id(""), 0);
        assert_eq!(user_id("admin"), user_id("admin"));
    }

    #[test]
    fn entity_ids_ranges_and_creation() {
        let keys: Vec<String> = [
            "wireless/1000000001/",
            "wireless/1000000001/ssid",
            "wireless/1000000003/ssid",
            "wireless/5/ssid",
            "radio/global/bandSteering",
            "users/2282622326/name",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let ids = entity_ids(&keys, "wireless");
        assert_eq!(ids, vec![5, 1_000_000_001, 1_000_000_003]);
        assert_eq!(next_entity_id(&ids, true).unwrap(), 1_000_000_004);
        assert_eq!(next_entity_id(&ids, false).unwrap(), 6);
        assert_eq!(next_entity_id(&[], true).unwrap(), FIRST_SITE_ENTITY_ID);
        assert_eq!(next_entity_id(&[], false).unwrap(), 1);
        assert_eq!(entity_key("radio/global/bandSteering"), None);
        assert_eq!(entity_key("wireless/12/"), Some(("wireless", 12, "")));

        let answer = json!({"defaults": {"ssid": {"ssid": "IgniteNet", "enable": "1", "preferredRadio": "r5,r24", "vlan": 0}}});
        let defaults = defaults_of(&answer, "ssid").unwrap();
        assert_eq!(defaults["vlan"], "0");
        let props = BTreeMap::from([("ssid".to_string(), "Guest".to_string())]);
        let ch = entity_changes("wireless", 1_000_000_004, &defaults, &props, Origin::Site);
        assert_eq!(ch["wireless/1000000004/"].value, "1000000004");
        assert_eq!(ch["wireless/1000000004/ssid"].value, "Guest");
        assert_eq!(ch["wireless/1000000004/preferredRadio"].value, "r5,r24");
        assert_eq!(ch.len(), 5);
        assert!(defaults_of(&answer, "lan")
            .unwrap_err()
            .to_string()
            .contains("it has: ssid"));
    }

    #[test]
    fn overriding_copies_the_whole_entity() {
        let site = parse_map(&json!({
            "wireless/1000000001/": {"value": "1000000001", "origin": "site"},
            "wireless/1000000001/ssid": {"value": "Corp", "origin": "site"},
            "wireless/1000000001/key": {"value": "secret123", "origin": "site"},
            "wireless/1000000002/ssid": {"value": "Guest", "origin": "site"}
        }))
        .unwrap();
        let props = BTreeMap::from([("ssid".to_string(), "Corp-Lobby".to_string())]);
        let o = override_entity(&site, "wireless", 1_000_000_001, &props).unwrap();
        assert_eq!(o.len(), 3);
        assert!(o.values().all(|e| e.origin == Origin::SiteDevice));
        assert_eq!(o["wireless/1000000001/key"].value, "secret123");
        assert_eq!(o["wireless/1000000001/ssid"].value, "Corp-Lobby");
        assert!(override_entity(&site, "wireless", 7, &props).is_err());
    }

    #[test]
    fn values_become_strings() {
        assert_eq!(value_string("k", &json!(1)).unwrap(), "1");
        assert_eq!(value_string("k", &json!(true)).unwrap(), "1");
        assert_eq!(value_string("k", &json!("x")).unwrap(), "x");
        let e = value_string("wireless/1/ssid", &json!({"a": 1}))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("wireless/1/ssid") && e.contains("not a map"),
            "{e}"
        );
        assert!(value_string("k", &json!([1]))
            .unwrap_err()
            .to_string()
            .contains("an array"));
        assert!(parse_map(&json!({"a/b": {"value": 1, "origin": "bogus"}})).is_err());
    }

    #[test]
    fn a_device_change_to_an_inherited_entity_overrides_it_whole() {
        let site: ConfigMap = [
            ("wireless/1000000002/", "1000000002"),
            ("wireless/1000000002/ssid", "Guest"),
            ("wireless/1000000002/key", "k"),
            ("radio/global/bandSteering", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Entry::new(v, Origin::Site)))
        .collect();
        let device: ConfigMap = [(
            "wireless/1/ssid".to_string(),
            Entry::new("Own", Origin::Device),
        )]
        .into();
        let changes: ConfigMap = [
            ("wireless/1000000002/ssid", "Lobby", Origin::SiteDevice),
            ("wireless/1/ssid", "Own-2", Origin::Device),
            ("radio/global/bandSteering", "1", Origin::SiteDevice),
        ]
        .into_iter()
        .map(|(k, v, o)| (k.to_string(), Entry::new(v, o)))
        .collect();
        let out = whole_entities(changes, &site, &device).unwrap();
        let value = |k: &str| (out[k].value.as_str(), out[k].origin);
        assert_eq!(
            value("wireless/1000000002/ssid"),
            ("Lobby", Origin::SiteDevice)
        );
        assert_eq!(value("wireless/1000000002/key"), ("k", Origin::SiteDevice));
        assert_eq!(
            value("wireless/1000000002/"),
            ("1000000002", Origin::SiteDevice)
        );
        assert_eq!(value("wireless/1/ssid"), ("Own-2", Origin::Device));
        assert_eq!(
            value("radio/global/bandSteering"),
            ("1", Origin::SiteDevice)
        );
        assert_eq!(out.len(), 5);
    }
}
