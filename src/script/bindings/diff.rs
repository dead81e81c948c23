//! The `diff::` Rhai module: NCM config diffs (`[updates, removals]`) as script values.

use super::{rhai_error, RhaiResult};
use crate::diff::{self, Diff};
use crate::error::Error;
use crate::script::convert::{dynamic_to_json, json_to_dynamic};
use rhai::{Array, Dynamic, FuncRegistration, Module, NativeCallContext, Position};

/// A script value as a diff, or a validation error at the call.
pub fn diff_arg(pos: Position, d: &Dynamic) -> RhaiResult<Diff> {
    Diff::from_value(&dynamic_to_json(d))
        .map_err(|i| rhai_error(pos, Error::diff(i), &Default::default()))
}

fn issue_err(pos: Position, i: Box<crate::error::ConfigIssue>) -> Box<rhai::EvalAltResult> {
    rhai_error(pos, Error::diff(i), &Default::default())
}

/// The `diff` module: it holds no state, so it is built once and shared by every engine.
pub fn module() -> std::sync::Arc<Module> {
    static MODULE: std::sync::OnceLock<std::sync::Arc<Module>> = std::sync::OnceLock::new();
    MODULE.get_or_init(|| std::sync::Arc::new(build())).clone()
}

fn build() -> Module {
    let mut m = Module::new();
    m.set_doc("/// NCM configuration diffs: `[updates, removals]`.");
    FuncRegistration::new("empty")
        .with_comments(["/// The empty diff `[#{}, []]`.\n///\n/// ```rhai\n/// let d = diff::empty();\n/// ```"])
        .with_params_info(["Array"])
        .set_into_module(&mut m, || -> Dynamic { json_to_dynamic(&Diff::empty().to_value()) });
    FuncRegistration::new("is_empty")
        .with_comments(["/// True when a diff changes nothing.\n///\n/// ```rhai\n/// if diff::is_empty(d) { print(\"nothing to do\"); }\n/// ```"])
        .with_params_info(["d: Array", "bool"])
        .set_into_module(&mut m, |cx: NativeCallContext, d: Dynamic| -> RhaiResult<bool> { Ok(diff_arg(cx.call_position(), &d)?.is_empty()) });
    FuncRegistration::new("apply")
        .with_comments(["/// Applies a diff to a full config: removals first, in order, then the updates merged recursively.\n/// Arrays are addressed by string numerals (`\"2\"`) or `_id_` UUIDs. A missing removal path is an error naming it.\n///\n/// ```rhai\n/// let cfg = diff::apply(#{a: #{b: 1}}, [#{a: #{c: 2}}, []]);\n/// ```"])
        .with_params_info(["config: Map", "d: Array", "Map"])
        .set_into_module(&mut m, |cx: NativeCallContext, config: Dynamic, d: Dynamic| -> RhaiResult<Dynamic> {
            let d = diff_arg(cx.call_position(), &d)?;
            diff::apply(&dynamic_to_json(&config), &d).map(|v| json_to_dynamic(&v)).map_err(|i| issue_err(cx.call_position(), i))
        });
    FuncRegistration::new("layer")
        .with_comments(["/// The target a device gets: its individual diff layered over its group's (indie wins).\n///\n/// ```rhai\n/// let target = diff::layer(group.configuration, cm.configuration);\n/// ```"])
        .with_params_info(["group: Array", "indie: Array", "Array"])
        .set_into_module(&mut m, |cx: NativeCallContext, g: Dynamic, i: Dynamic| -> RhaiResult<Dynamic> {
            let (g, i) = (diff_arg(cx.call_position(), &g)?, diff_arg(cx.call_position(), &i)?);
            Ok(json_to_dynamic(&diff::layer(&g, &i).to_value()))
        });
    FuncRegistration::new("between")
        .with_comments(["/// The smallest diff turning config `before` into `after` (so `diff::apply(before, d) == after`);\n/// `_id_` arrays are addressed by `_id_`.\n///\n/// ```rhai\n/// let d = diff::between(before, after);\n/// ```"])
        .with_params_info(["before: Map", "after: Map", "Array"])
        .set_into_module(&mut m, |a: Dynamic, b: Dynamic| -> Dynamic {
            json_to_dynamic(&diff::between(&dynamic_to_json(&a), &dynamic_to_json(&b)).to_value())
        });
    FuncRegistration::new("equivalent")
        .with_comments(["/// Do two diffs say the same thing? `_id_`-keyed and offset-keyed array forms (NCM's `target` and the device's `actual`)\n/// are matched by NCM's default-id convention. Pass the firmware's default config for an exact answer.\n///\n/// ```rhai\n/// if diff::equivalent(cm.actual, cm.target) { print(\"in sync\"); }\n/// ```"])
        .with_params_info(["a: Array", "b: Array", "bool"])
        .set_into_module(&mut m, |cx: NativeCallContext, a: Dynamic, b: Dynamic| -> RhaiResult<bool> {
            let (a, b) = (diff_arg(cx.call_position(), &a)?, diff_arg(cx.call_position(), &b)?);
            diff::equivalent(&a, &b, None).map_err(|i| issue_err(cx.call_position(), i))
        });
    FuncRegistration::new("equivalent")
        .with_comments(["/// Exact equivalence of two diffs: both applied to the firmware's default config give the same config.\n///\n/// ```rhai\n/// let same = diff::equivalent(cm.actual, cm.target, default_config);\n/// ```"])
        .with_params_info(["a: Array", "b: Array", "defaults: Map", "bool"])
        .set_into_module(&mut m, |cx: NativeCallContext, a: Dynamic, b: Dynamic, def: Dynamic| -> RhaiResult<bool> {
            let (a, b) = (diff_arg(cx.call_position(), &a)?, diff_arg(cx.call_position(), &b)?);
            diff::equivalent(&a, &b, Some(&dynamic_to_json(&def))).map_err(|i| issue_err(cx.call_position(), i))
        });
    FuncRegistration::new("get")
        .with_comments(["/// The value at a path (dotted string or array of keys, offsets and `_id_`s), `()` if absent.\n///\n/// ```rhai\n/// let apn = diff::get(config, \"wan.rules2.2.modem.manual_apn\");\n/// ```"])
        .with_params_info(["config: Dynamic", "path: string|Array", "Dynamic"])
        .set_into_module(&mut m, |config: Dynamic, path: Dynamic| -> Dynamic {
            let c = dynamic_to_json(&config);
            diff::get(&c, &diff::parse_path(&dynamic_to_json(&path))).map(json_to_dynamic).unwrap_or(Dynamic::UNIT)
        });
    FuncRegistration::new("set")
        .with_comments(["/// A copy of diff `d` with `value` set at `path` in its updates (dictionaries created as needed).\n///\n/// ```rhai\n/// let d = diff::set(diff::empty(), \"system.gps.enabled\", true);\n/// ```"])
        .with_params_info(["d: Array", "path: string|Array", "value: Dynamic", "Array"])
        .set_into_module(&mut m, |cx: NativeCallContext, d: Dynamic, path: Dynamic, v: Dynamic| -> RhaiResult<Dynamic> {
            let d = diff_arg(cx.call_position(), &d)?;
            diff::set(&d, &diff::parse_path(&dynamic_to_json(&path)), dynamic_to_json(&v))
                .map(|x| json_to_dynamic(&x.to_value()))
                .map_err(|i| issue_err(cx.call_position(), i))
        });
    FuncRegistration::new("strip_masked")
        .with_comments(["/// Drops the `\"*\"` placeholders NCM shows for passwords (and nothing else), so a config read back can be\n/// written without overwriting real passwords with `*`.\n///\n/// ```rhai\n/// let safe = diff::strip_masked(group.configuration);\n/// ```"])
        .with_params_info(["d: Array", "Array"])
        .set_into_module(&mut m, |cx: NativeCallContext, d: Dynamic| -> RhaiResult<Dynamic> {
            Ok(json_to_dynamic(&diff::strip_masked(&diff_arg(cx.call_position(), &d)?).to_value()))
        });
    register_checks(&mut m);
    m
}

/// `diff::plan_write` and `diff::validate`: what a write would do, and what is wrong with a diff.
fn register_checks(m: &mut Module) {
    FuncRegistration::new("plan_write")
        .with_comments(["/// The write that takes a target's configuration as read back (secrets masked as `\"*\"`) to the one wanted,\n/// without losing a secret: `#{method, send, change, dropped_secrets}`. `method` is `\"patch\"` when nothing but\n/// the target's own secrets would be removed (they stay), else `\"put\"`, with `dropped_secrets` the secret paths\n/// that PUT would drop (refuse unless the operator agreed). `send` never holds `\"*\"`; `change` is every change.\n///\n/// ```rhai\n/// let p = diff::plan_write(g.configuration, golden);\n/// if p.dropped_secrets.len() > 0 { throw `would drop ${p.dropped_secrets}`; }\n/// ```"])
        .with_params_info(["current: Array", "wanted: Array", "Map"])
        .set_into_module(m, |cx: NativeCallContext, current: Dynamic, wanted: Dynamic| -> RhaiResult<Dynamic> {
            let pos = cx.call_position();
            let p = diff::plan_write(&diff_arg(pos, &current)?, &diff_arg(pos, &wanted)?)
                .map_err(|i| issue_err(pos, i))?;
            let dropped: Vec<String> = p.dropped_secrets.iter().map(|path| diff::path_text(path)).collect();
            Ok(json_to_dynamic(&serde_json::json!({
                "method": if p.patch { "patch" } else { "put" },
                "send": p.send.to_value(),
                "change": p.change.to_value(),
                "dropped_secrets": dropped,
            })))
        });
    FuncRegistration::new("validate")
        .with_comments(["/// The problems of a diff on its own (shape, `_id_` rules): an array of `#{message, reason, path, value}`, empty when valid.\n///\n/// ```rhai\n/// let problems = diff::validate(d);\n/// if problems.len() > 0 { throw problems[0].message; }\n/// ```"])
        .with_params_info(["d: Array", "Array"])
        .set_into_module(m, |d: Dynamic| -> Array {
            diff::validate(&dynamic_to_json(&d))
                .into_iter()
                .map(|i| json_to_dynamic(&serde_json::json!({"message": i.message, "reason": i.reason, "path": i.path, "value": i.value})))
                .collect()
        });
}
