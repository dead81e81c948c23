//! The `json::` Rhai module: parse, stringify, read and (atomic) write of JSON files.

use super::{rhai_error, usage_error, RhaiResult, ScriptContext};
use crate::script::convert::{dynamic_to_json, json_to_dynamic};
use rhai::{Dynamic, FuncRegistration, Module, NativeCallContext};
use std::sync::Arc;

pub fn module(ctx: &Arc<ScriptContext>) -> Module {
    let mut m = Module::new();
    m.set_doc("/// JSON text and files.");
    FuncRegistration::new("parse")
        .with_comments(["/// Parses JSON text into maps, arrays and scalars (null becomes `()`).\n///\n/// ```rhai\n/// let v = json::parse(`{\"a\": [1, 2]}`);\n/// ```"])
        .with_params_info(["text: string", "Dynamic"])
        .set_into_module(&mut m, |cx: NativeCallContext, s: &str| -> RhaiResult<Dynamic> {
            serde_json::from_str::<serde_json::Value>(s)
                .map(|v| json_to_dynamic(&v))
                .map_err(|e| usage_error(cx.call_position(), format!("json::parse: {e}")))
        });
    FuncRegistration::new("stringify")
        .with_comments(["/// Compact JSON text of a value.\n///\n/// ```rhai\n/// print(json::stringify(#{a: 1}));\n/// ```"])
        .with_params_info(["value: Dynamic", "string"])
        .set_into_module(&mut m, |v: Dynamic| -> String { dynamic_to_json(&v).to_string() });
    FuncRegistration::new("pretty")
        .with_comments(["/// Indented JSON text of a value.\n///\n/// ```rhai\n/// print(json::pretty(ncm::routers::get(42)));\n/// ```"])
        .with_params_info(["value: Dynamic", "string"])
        .set_into_module(&mut m, |v: Dynamic| -> String {
            serde_json::to_string_pretty(&dynamic_to_json(&v)).unwrap_or_default()
        });
    let c = ctx.clone();
    FuncRegistration::new("read")
        .with_comments(["/// Reads and parses a JSON file. Only under the directories scripts may read (the current one, the\n/// script's own, the library path, `--allow-read`).\n///\n/// ```rhai\n/// let cfg = json::read(\"golden.json\");\n/// ```"])
        .with_params_info(["path: string", "Dynamic"])
        .set_into_module(&mut m, move |cx: NativeCallContext, path: &str| -> RhaiResult<Dynamic> {
            let bytes = c.read_file(path).map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))?;
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map(|v| json_to_dynamic(&v))
                .map_err(|e| usage_error(cx.call_position(), format!("{path}: not valid JSON: {e}")))
        });
    let c = ctx.clone();
    FuncRegistration::new("write")
        .with_comments(["/// Writes a value as indented JSON, atomically (temporary file, then rename): a failure never leaves a half-written file.\n/// Only under the directories the operator allows (the current directory by default).\n///\n/// ```rhai\n/// json::write(\"out/routers.json\", ncm::routers::list());\n/// ```"])
        .with_params_info(["path: string", "value: Dynamic", "()"])
        .set_into_module(&mut m, move |cx: NativeCallContext, path: &str, v: Dynamic| -> RhaiResult<()> {
            let mut text = serde_json::to_string_pretty(&dynamic_to_json(&v)).unwrap_or_default();
            text.push('\n');
            c.write_atomic(path, text.as_bytes())
                .map(|_| ())
                .map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))
        });
    m
}
