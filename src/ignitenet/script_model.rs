//! The IgniteNet config model as scripts use it, with no request: changes given as
//! `key -> value` (or `key -> {value, origin}`) turned into a config map with each key's origin
//! (a device change to a site entity overriding the whole entity), the flat values of a
//! config-changes answer, an entity kind's entities, and the changes that create a new entity.

use super::answer_values;
use super::config_map::{self as cfg, ConfigMap, Origin};
use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Script changes (`key -> string/number/bool` or `key -> #{value, origin}`) as a config map.
/// Without an origin, a site key gets `site`; a device key gets `site-device` when the site
/// defines the key (an override) and `device` otherwise. On a device, a change to an entity the
/// site defines overrides the whole entity (see [`cfg::whole_entities`]).
pub fn changes_from(changes: &Value, answer: &Value, site_level: bool) -> Result<ConfigMap> {
    let map = origins_of(changes, answer, site_level)?;
    if site_level {
        return Ok(map);
    }
    let site = cfg::parse_map(answer.get("site").unwrap_or(&Value::Null))?;
    let device = cfg::parse_map(answer.get("device").unwrap_or(&Value::Null))?;
    cfg::whole_entities(map, &site, &device)
}

/// The changes as a config map, each key with its origin (see [`changes_from`]).
fn origins_of(changes: &Value, answer: &Value, site_level: bool) -> Result<ConfigMap> {
    if let Some(k) = changes
        .as_object()
        .and_then(|o| o.keys().find(|k| !k.contains('/')))
    {
        return Err(Error::invalid(format!(
            "{k:?} is not a config key: keys look like \"wireless/1000000001/ssid\""
        )));
    }
    let site_keys = answer.get("site").and_then(Value::as_object);
    cfg::parse_map_with(changes, &|k| {
        if site_level {
            Origin::Site
        } else if site_keys.is_some_and(|s| s.contains_key(k)) {
            Origin::SiteDevice
        } else {
            Origin::Device
        }
    })
}

/// A config map argument: `{key: {value, origin}}` or `{key: "value"}`.
pub fn config_arg(v: &Value, default_origin: Origin) -> Result<ConfigMap> {
    cfg::parse_map_with(v, &|_| default_origin)
}

/// Flat key -> value of a config-changes answer or a config map.
pub fn values_of(v: &Value) -> Result<BTreeMap<String, String>> {
    if v.get("timestamp").is_some() && v.get("site").is_some() {
        return answer_values(v);
    }
    Ok(config_arg(v, Origin::Site)?
        .into_iter()
        .map(|(k, e)| (k, e.value))
        .collect())
}

/// Entity properties given as `property -> value` (strings; numbers and booleans converted).
pub fn props_arg(v: &Value) -> Result<BTreeMap<String, String>> {
    let Some(obj) = v.as_object() else {
        return Err(Error::invalid(
            "properties must be a map of property -> value",
        ));
    };
    obj.iter()
        .map(|(k, x)| Ok((k.clone(), cfg::value_string(k, x)?)))
        .collect()
}

/// The entities of a kind (`ssid`, `user`, `lan`) or root in a config-changes answer or a
/// config map: each as `{id, <property>: value}`.
pub fn entities(config: &Value, kind: &str) -> Result<Vec<BTreeMap<String, Value>>> {
    let root = cfg::root_of_kind(kind)?;
    let values = values_of(config)?;
    Ok(cfg::entity_ids(values.keys(), root)
        .into_iter()
        .map(|id| {
            let mut m = BTreeMap::new();
            m.insert("id".to_string(), Value::from(id));
            for (p, v) in cfg::entity_props(values.iter(), root, id) {
                m.insert(p, Value::from(v));
            }
            m
        })
        .collect())
}

/// A new entity: its id and the changes that create it.
#[derive(Debug, Serialize)]
pub struct NewEntity {
    pub id: u64,
    pub changes: Value,
}

/// The changes creating a new entity of `kind` from the answer's `defaults.<kind>` with
/// `props` over them: a site entity (origin `site`) in a site's answer, a device entity in a
/// device's; a user's id is the CRC-32 of its name, any other a fresh one.
pub fn new_entity(answer: &Value, kind: &str, props: &Value) -> Result<NewEntity> {
    let root = cfg::root_of_kind(kind)?;
    let kind = cfg::ENTITY_KINDS
        .iter()
        .find(|(_, r)| *r == root)
        .map(|(k, _)| *k)
        .unwrap_or(kind);
    let props = props_arg(props)?;
    let site_level = answer.get("device").is_none();
    let defaults = cfg::defaults_of(answer, kind)?;
    let id = if root == "users" {
        let name = props.get("name").ok_or_else(|| {
            Error::invalid("a user needs a name: its id is the CRC-32 of the name")
        })?;
        cfg::user_id(name)
    } else {
        let mut keys: Vec<String> = vec![];
        for part in ["site", "device"] {
            if let Some(o) = answer.get(part).and_then(Value::as_object) {
                keys.extend(o.keys().cloned());
            }
        }
        cfg::next_entity_id(&cfg::entity_ids(keys.iter(), root), site_level)?
    };
    let origin = if site_level {
        Origin::Site
    } else {
        Origin::Device
    };
    let changes = cfg::entity_changes(root, id, &defaults, &props, origin);
    Ok(NewEntity {
        id,
        changes: cfg::to_value(&changes),
    })
}
