//! Each router's effective configuration, for backups that hold it: what the router runs, its
//! actual firmware's default configuration with its `actual` applied over it. NCM's `actual` is
//! a diff from the firmware defaults (ncos-config-notes §0: "Actual is a diff from firmware
//! defaults, not a full tree") and "is always formatted to match the router's current actual
//! firmware" (spec, Configuration in API V2), so the file is readable without NCM. Each
//! firmware's default (`firmwares/<id>/default_configuration`) is read once per run.

use crate::diff::{self, Diff};
use crate::error::Result;
use crate::ncm::client::NcmClient;
use crate::ncm::{query as q, text};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Builds the effective configurations of one backup run.
pub struct Effective<'a> {
    client: &'a Arc<NcmClient>,
    /// Router id -> the id of the firmware it runs.
    firmware: HashMap<String, String>,
    /// Firmware id -> its default configuration.
    defaults: HashMap<String, Arc<Value>>,
}

impl<'a> Effective<'a> {
    /// Reads which firmware each router runs (one paged listing).
    pub fn load(client: &'a Arc<NcmClient>) -> Result<Effective<'a>> {
        let rows = client.list("routers", &q(json!({"fields": ["id", "actual_firmware"]})))?;
        let firmware = rows
            .iter()
            .filter_map(|r| {
                let fw = r["actual_firmware"].as_str().and_then(crate::ncm::id_of)?;
                Some((text(&r["id"]), fw))
            })
            .collect();
        Ok(Effective {
            client,
            firmware,
            defaults: HashMap::new(),
        })
    }

    fn default_of(&mut self, firmware: &str) -> Result<Arc<Value>> {
        if let Some(d) = self.defaults.get(firmware) {
            return Ok(d.clone());
        }
        let d = Arc::new(self.client.default_config(firmware)?);
        self.defaults.insert(firmware.to_string(), d.clone());
        Ok(d)
    }

    /// Router `router`'s effective configuration from its configuration manager `cm`, or why
    /// there is none (no known firmware, an `actual` that does not apply to its default).
    /// Reading a firmware's default can fail the run (an API error, as for any page).
    pub fn of(&mut self, router: &str, cm: &Value) -> Result<std::result::Result<Value, String>> {
        let Some(fw) = self.firmware.get(router).cloned() else {
            return Ok(Err(format!("router {router} reports no actual firmware")));
        };
        let default = self.default_of(&fw)?;
        let actual = match &cm["actual"] {
            Value::Null => Diff::empty(),
            v => match Diff::from_value(v) {
                Ok(d) => d,
                Err(e) => {
                    return Ok(Err(format!(
                        "its actual is not a config diff: {}",
                        e.message
                    )))
                }
            },
        };
        Ok(diff::apply(&default, &actual).map_err(|e| {
            format!(
                "its actual does not apply to the default of firmware {fw}: {}",
                e.message
            )
        }))
    }

    /// Adds `effective` to a configuration manager document: the router's effective
    /// configuration, or `null` with `effective_error` saying why there is none.
    pub fn add_to(&mut self, router: &str, cm: &mut Value) -> Result<()> {
        let effective = self.of(router, cm)?;
        if let Value::Object(m) = cm {
            match effective {
                Ok(v) => {
                    m.insert("effective".into(), v);
                }
                Err(why) => {
                    m.insert("effective".into(), Value::Null);
                    m.insert("effective_error".into(), Value::String(why));
                }
            }
        }
        Ok(())
    }
}
