//! The `diff::` Rhai module: NCM config diffs (`[updates, removals]`) as script values.

use super::{error_at, RhaiResult};
use crate::diff::{self, Diff};
use crate::error::Error;
use crate::script::convert::{dynamic_to_json, json_to_dynamic};
use rhai::{Array, Dynamic, Module, Position};

/// A script value as a diff, or a validation error at the call.
pub fn diff_arg(pos: Position, d: &Dynamic) -> RhaiResult<Diff> {
    Diff::from_value(&dynamic_to_json(d)).map_err(|i| issue_err(pos, i))
}

fn issue_err(pos: Position, i: Box<crate::error::ConfigIssue>) -> Box<rhai::EvalAltResult> {
    error_at(pos)(Error::diff(i))
}

/// The `diff` module: it holds no state, so it is built once and shared by every engine.
pub fn module() -> std::sync::Arc<Module> {
    static MODULE: std::sync::OnceLock<std::sync::Arc<Module>> = std::sync::OnceLock::new();
    super::built_once(&MODULE, build)
}

fn build() -> Module {
    let mut m = Module::new();
    m.set_doc("/// NCM configuration diffs: `[updates, removals]`.");
    functions! { &mut m;
        /// The empty diff `[#{}, []]`.
        ///
        /// ```rhai
        /// let d = diff::empty();
        /// ```
        fn empty(_) -> Dynamic as "Array" {
            json_to_dynamic(&Diff::empty().to_value())
        }

        /// True when a diff changes nothing.
        ///
        /// ```rhai
        /// let d = diff::between(#{lan: #{ip: "192.168.0.1"}}, #{lan: #{ip: "192.168.0.1"}});
        /// if diff::is_empty(d) { print("nothing to do"); }
        /// ```
        fn is_empty(cx, d: Dynamic as "Array") -> RhaiResult<bool> as "bool" {
            Ok(diff_arg(cx.call_position(), &d)?.is_empty())
        }

        /// Applies a diff to a full config: removals first, in order, then the updates merged recursively.
        /// Arrays are addressed by string numerals (`"2"`) or `_id_` UUIDs. A missing removal path is an error naming it.
        ///
        /// ```rhai
        /// let cfg = diff::apply(#{a: #{b: 1}}, [#{a: #{c: 2}}, []]);
        /// ```
        fn apply(cx, config: Dynamic as "Map", d: Dynamic as "Array") -> RhaiResult<Dynamic> as "Map" {
            let d = diff_arg(cx.call_position(), &d)?;
            diff::apply(&dynamic_to_json(&config), &d)
                .map(|v| json_to_dynamic(&v))
                .map_err(|i| issue_err(cx.call_position(), i))
        }

        /// The target a device gets: its individual diff layered over its group's (indie wins).
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// let cm = ncm::router_config(r.id);
        /// let group = ncm::group("AER2200 Stores");
        /// let target = diff::layer(group.configuration, cm.configuration);
        /// ```
        fn layer(cx, group: Dynamic as "Array", indie: Dynamic as "Array") -> RhaiResult<Dynamic> as "Array" {
            let pos = cx.call_position();
            let (g, i) = (diff_arg(pos, &group)?, diff_arg(pos, &indie)?);
            Ok(json_to_dynamic(&diff::layer(&g, &i).to_value()))
        }

        /// The smallest diff turning config `before` into `after` (so `diff::apply(before, d) == after`);
        /// `_id_` arrays are addressed by `_id_`.
        ///
        /// ```rhai
        /// let before = #{lan: #{ip: "192.168.0.1"}, wlan: #{ssid: "Shop"}};
        /// let after = #{lan: #{ip: "192.168.30.1"}, wlan: #{ssid: "Shop"}};
        /// let d = diff::between(before, after);
        /// ```
        fn between(_, before: Dynamic as "Map", after: Dynamic as "Map") -> Dynamic as "Array" {
            let d = diff::between(&dynamic_to_json(&before), &dynamic_to_json(&after));
            json_to_dynamic(&d.to_value())
        }

    }
    register_compare(&mut m);
    register_paths(&mut m);
    register_checks(&mut m);
    m
}

/// `diff::equivalent`: whether two diffs say the same thing.
fn register_compare(m: &mut Module) {
    functions! { m;
        /// Do two diffs say the same thing? `_id_`-keyed and offset-keyed array forms (NCM's `target` and the device's `actual`)
        /// are matched by NCM's default-id convention. Pass the firmware's default config for an exact answer.
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// let cm = ncm::router_config(r.id);
        /// if diff::equivalent(cm.actual, cm.target) { print("in sync"); }
        /// ```
        fn equivalent(cx, a: Dynamic as "Array", b: Dynamic as "Array") -> RhaiResult<bool> as "bool" {
            let pos = cx.call_position();
            let (a, b) = (diff_arg(pos, &a)?, diff_arg(pos, &b)?);
            diff::equivalent(&a, &b, None).map_err(|i| issue_err(pos, i))
        }

        /// Exact equivalence of two diffs: both applied to the firmware's default config give the same config.
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// let cm = ncm::router_config(r.id);
        /// let default_config = ncm::request("GET", `firmwares/${ncm::id_of(r.actual_firmware)}/default_configuration/`);
        /// let same = diff::equivalent(cm.actual, cm.target, default_config);
        /// ```
        fn equivalent(cx, a: Dynamic as "Array", b: Dynamic as "Array", defaults: Dynamic as "Map") -> RhaiResult<bool> as "bool" {
            let pos = cx.call_position();
            let (a, b) = (diff_arg(pos, &a)?, diff_arg(pos, &b)?);
            diff::equivalent(&a, &b, Some(&dynamic_to_json(&defaults))).map_err(|i| issue_err(pos, i))
        }

    }
}

/// `diff::get`, `diff::set` and `diff::strip_masked`: values at paths.
fn register_paths(m: &mut Module) {
    functions! { m;
        /// The value at a path (dotted string or array of keys, offsets and `_id_`s), `()` if absent.
        ///
        /// ```rhai
        /// let cm = ncm::router_config(ncm::router("AER2200-0001").id);
        /// let ip = diff::get(cm.target, "lan.0.ip_address");   // () when the target does not set it
        /// ```
        fn get(_, config: Dynamic as "Dynamic", path: Dynamic as "string|Array") -> Dynamic as "Dynamic" {
            let c = dynamic_to_json(&config);
            diff::get(&c, &diff::parse_path(&dynamic_to_json(&path)))
                .map(json_to_dynamic)
                .unwrap_or(Dynamic::UNIT)
        }

        /// A copy of diff `d` with `value` set at `path` in its updates (dictionaries created as needed).
        ///
        /// ```rhai
        /// let d = diff::set(diff::empty(), "system.gps.enabled", true);
        /// ```
        fn set(cx, d: Dynamic as "Array", path: Dynamic as "string|Array", value: Dynamic as "Dynamic") -> RhaiResult<Dynamic> as "Array" {
            let d = diff_arg(cx.call_position(), &d)?;
            diff::set(&d, &diff::parse_path(&dynamic_to_json(&path)), dynamic_to_json(&value))
                .map(|x| json_to_dynamic(&x.to_value()))
                .map_err(|i| issue_err(cx.call_position(), i))
        }

        /// Drops the `"*"` placeholders NCM shows for passwords (and nothing else), so a config read back can be
        /// written without overwriting real passwords with `*`.
        ///
        /// ```rhai
        /// let group = ncm::group("AER2200 Stores");
        /// let safe = diff::strip_masked(group.configuration);
        /// ```
        fn strip_masked(cx, d: Dynamic as "Array") -> RhaiResult<Dynamic> as "Array" {
            let d = diff_arg(cx.call_position(), &d)?;
            Ok(json_to_dynamic(&diff::strip_masked(&d).to_value()))
        }

    }
}

/// `diff::plan_write` and `diff::validate`: what a write would do, and what is wrong with a diff.
fn register_checks(m: &mut Module) {
    functions! { m;
        /// The write that takes a target's configuration as read back (secrets masked as `"*"`) to the one wanted,
        /// without losing a secret: `#{method, send, change, dropped_secrets}`. `method` is `"patch"` when nothing but
        /// the target's own secrets would be removed (they stay), else `"put"`, with `dropped_secrets` the secret paths
        /// that PUT would drop (refuse unless the operator agreed). `send` never holds `"*"`; `change` is every change,
        /// and `paths` the same change path by path: `#{path, before, after, removed}` (the current value, the one it
        /// would write; `"*"` is never an `after`).
        ///
        /// ```rhai
        /// let g = ncm::group("AER2200 Stores");
        /// let golden = diff::set(g.configuration, "system.logging.level", "info");
        /// let p = diff::plan_write(g.configuration, golden);
        /// if p.dropped_secrets.len() > 0 { throw `would drop ${p.dropped_secrets}`; }
        /// ```
        fn plan_write(cx, current: Dynamic as "Array", wanted: Dynamic as "Array") -> RhaiResult<Dynamic> as "Map" {
            let pos = cx.call_position();
            let p = diff::plan_write_view(&diff_arg(pos, &current)?, &diff_arg(pos, &wanted)?)
                .map_err(|i| issue_err(pos, i))?;
            super::to_script(pos, &p)
        }

        /// The problems of a diff on its own (shape, `_id_` rules): an array of `#{message, reason, path, value}`, empty when valid.
        ///
        /// ```rhai
        /// let d = diff::set(diff::empty(), "system.gps.enabled", true);
        /// let problems = diff::validate(d);
        /// if problems.len() > 0 { throw problems[0].message; }
        /// ```
        fn validate(cx, d: Dynamic as "Array") -> RhaiResult<Array> as "Array" {
            super::to_script_array(cx.call_position(), &diff::validate(&dynamic_to_json(&d)))
        }
    }
}
