//! Configuration operations on a router, addressed by router id: its configuration manager
//! (which is not the router id), read, PATCH/PUT of a diff, resume sync, and the firmware facts
//! the change builders need (version, default config).

use super::client::NcmClient;
use crate::diff::Diff;
use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::sync::Arc;

/// What `restore_config` did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// `patch`, `put` or `unchanged`.
    pub method: &'static str,
    /// Every path that differs, before and after (secrets as `*`).
    pub paths: Vec<crate::diff::PathChange>,
    /// The API's answer (the configuration manager when nothing was sent).
    pub response: Value,
    pub sent: bool,
}

use crate::ncm::query as q;

impl NcmClient {
    /// The configuration manager record of a router (one request).
    pub fn router_config(self: &Arc<Self>, router_id: &str) -> Result<Value> {
        let router_id = &super::checked_id(Some("routers"), router_id)?;
        let rows = self.list("configuration_managers", &q(json!({"router": router_id})))?;
        match rows.len() {
            1 => Ok(rows.into_iter().next().unwrap_or_default()),
            0 => Err(Error::invalid(format!("router {router_id} has no configuration manager (is the id right? ncm::routers::get({router_id}))"))),
            n => Err(Error::invalid(format!("router {router_id} has {n} configuration managers; expected one"))),
        }
    }

    /// A router's target configuration (its configuration manager's `target`, the empty diff
    /// when none is set). A `target` of another shape is an error, never taken as empty: a change
    /// placed after what it holds (a new local user's index) would overwrite what is there.
    pub fn router_target(self: &Arc<Self>, router_id: &str) -> Result<Diff> {
        let cm = self.router_config(router_id)?;
        match &cm["target"] {
            Value::Null => Ok(Diff::empty()),
            t => Diff::from_value(t).map_err(|_| Error::Protocol {
                method: "GET".into(),
                url: format!("{}configuration_managers/?router={router_id}", self.base_url()),
                message: format!(
                    "router {router_id}'s target configuration is not a config diff ([updates, removals])"
                ),
            }),
        }
    }

    /// The configuration manager id of a router.
    pub fn config_manager_id(self: &Arc<Self>, router_id: &str) -> Result<String> {
        let router_id = &super::checked_id(Some("routers"), router_id)?;
        let rows = self.list(
            "configuration_managers",
            &q(json!({"router": router_id, "fields": ["id"]})),
        )?;
        rows.first()
            .and_then(|r| r.get("id"))
            .map(super::text)
            .ok_or_else(|| {
                Error::invalid(format!("router {router_id} has no configuration manager"))
            })
    }

    /// PATCH a diff into a router's individual config (merges; cannot remove).
    pub fn patch_router_config(self: &Arc<Self>, router_id: &str, d: &Diff) -> Result<Value> {
        let issues = crate::diff::validate(&d.to_value());
        if let Some(i) = issues.into_iter().next() {
            return Err(Error::diff(Box::new(i)));
        }
        let cm = self.config_manager_id(router_id)?;
        let body = json!({"configuration": d.to_value()});
        self.patch("configuration_managers", &cm, &body)
    }

    /// Replaces a router's individual config with `d` by the smallest write that never loses a
    /// stored secret: a PATCH when nothing but the router's own secrets would have to be removed
    /// (they stay), else a PUT — refused, naming each secret path, when it would drop a secret
    /// the router holds, unless `drop_secrets`. `"*"` is never sent. Nothing to change: no write.
    pub fn put_router_config(
        self: &Arc<Self>,
        router_id: &str,
        d: &Diff,
        drop_secrets: bool,
    ) -> Result<Value> {
        let r = self.restore_config(router_id, &d.to_value(), drop_secrets)?;
        Ok(r.response)
    }

    /// Puts a configuration back on a router (`put_router_config`'s smallest write): `document`
    /// is a backup file's configuration manager (its `configuration` is used) or a bare
    /// `[updates, removals]` diff. Under `--dry-run` every path's before and after is shown.
    pub fn restore_config(
        self: &Arc<Self>,
        router_id: &str,
        document: &Value,
        drop_secrets: bool,
    ) -> Result<Restored> {
        let wanted = match document.get("configuration") {
            Some(c) => c,
            None if document.is_array() => document,
            None => return Err(Error::invalid("the document has no \"configuration\": give a backup file's JSON or a [updates, removals] diff")),
        };
        let d = Diff::from_value(wanted).map_err(Error::diff)?;
        if let Some(i) = crate::diff::validate(&d.to_value()).into_iter().next() {
            return Err(Error::diff(Box::new(i)));
        }
        let cm = self.router_config(router_id)?;
        let current = Diff::from_value(&cm["configuration"]).unwrap_or_default();
        let plan = crate::diff::plan_write(&current, &d).map_err(Error::diff)?;
        let full = |x: &Diff| crate::diff::apply(&json!({}), x).unwrap_or_else(|_| json!({}));
        let paths =
            crate::diff::changed_paths(&full(&current), &full(&crate::diff::strip_masked(&d)));
        let method = if plan.patch { "PATCH" } else { "PUT" };
        if self.transport().options.dry_run {
            for p in &paths {
                let show =
                    |v: &Option<Value>| v.as_ref().map_or("(unset)".to_string(), Value::to_string);
                self.transport().dry_run_note(&format!(
                    "dry-run: router {router_id}: {method}: {}: {} -> {}",
                    crate::diff::path_text(&p.path),
                    show(&p.before),
                    show(&p.after)
                ));
            }
        }
        let out = |response, sent| Restored {
            method: if plan.change.is_empty() {
                "unchanged"
            } else if plan.patch {
                "patch"
            } else {
                "put"
            },
            paths: paths.clone(),
            response,
            sent,
        };
        if plan.change.is_empty() {
            return Ok(out(cm, false));
        }
        if !plan.dropped_secrets.is_empty() && !drop_secrets {
            let names: Vec<String> = plan
                .dropped_secrets
                .iter()
                .map(|p| crate::diff::path_text(p))
                .collect();
            return Err(Error::Refused(format!(
                "router {router_id}: refused: replacing its configuration would drop its own secret(s) {}; put them in the new configuration, or pass drop_secrets (#{{drop_secrets: true}}, --arg drop_secrets=true)",
                names.join(", ")
            )));
        }
        let id = cm.get("id").map(super::text).unwrap_or_default();
        let body = json!({"configuration": plan.send.to_value()});
        let response = if plan.patch {
            self.patch("configuration_managers", &id, &body)?
        } else {
            self.update("configuration_managers", &id, &body)?
        };
        Ok(out(response, true))
    }

    /// Resumes config sync of a suspended router (only works while it is online).
    pub fn resume_sync(self: &Arc<Self>, router_id: &str) -> Result<Value> {
        let cm = self.config_manager_id(router_id)?;
        self.update("configuration_managers", &cm, &json!({"suspended": false}))
    }

    /// The firmware a router's config is formatted for: its target firmware, else its actual one.
    pub fn router_firmware(self: &Arc<Self>, router_id: &str) -> Result<(String, String)> {
        let r = self.get(
            "routers",
            router_id,
            &q(json!({"fields": ["target_firmware", "actual_firmware"]})),
        )?;
        let url = r
            .get("target_firmware")
            .and_then(Value::as_str)
            .or_else(|| r.get("actual_firmware").and_then(Value::as_str))
            .ok_or_else(|| Error::invalid(format!("router {router_id} has no known firmware")))?;
        let id = super::id_of(url).unwrap_or_default();
        let fw = self.get("firmwares", &id, &q(json!({"fields": ["version"]})))?;
        let version = fw
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Ok((id, version))
    }

    /// The default configuration of a firmware (expanded from the firmware record).
    pub fn default_config(self: &Arc<Self>, firmware_id: &str) -> Result<Value> {
        let fw = self.get(
            "firmwares",
            firmware_id,
            &q(json!({"fields": ["default_configuration"], "expand": ["default_configuration"]})),
        )?;
        match fw.get("default_configuration") {
            Some(v @ Value::Object(_)) => Ok(v.clone()),
            _ => Err(Error::Protocol {
                method: "GET".into(),
                url: format!("firmwares/{firmware_id}/"),
                message: "default_configuration did not expand to a config".into(),
            }),
        }
    }
}
