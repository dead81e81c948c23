//! The `json::` Rhai module: parse, stringify, read and (atomic) write of JSON files.

use super::{call, err_at, state, usage_error, RhaiResult};
use crate::script::convert::{dynamic_to_json, json_to_dynamic};
use rhai::{Dynamic, Module};
use std::sync::Arc;

/// The `json` module (built once: files are read and written through the run's state).
pub fn module() -> Arc<Module> {
    static MODULE: std::sync::OnceLock<Arc<Module>> = std::sync::OnceLock::new();
    super::built_once(&MODULE, build)
}

fn build() -> Module {
    let mut m = Module::new();
    m.set_doc("/// JSON text and files.");
    functions! { &mut m;
        /// Parses JSON text into maps, arrays and scalars (null becomes `()`).
        ///
        /// ```rhai
        /// let v = json::parse(`{"a": [1, 2]}`);
        /// ```
        fn parse(cx, text: &str as "string") -> RhaiResult<Dynamic> as "Dynamic" {
            serde_json::from_str::<serde_json::Value>(text)
                .map(|v| json_to_dynamic(&v))
                .map_err(|e| usage_error(cx.call_position(), format!("json::parse: {e}")))
        }

        /// Compact JSON text of a value.
        ///
        /// ```rhai
        /// print(json::stringify(#{a: 1}));
        /// ```
        fn stringify(_, value: Dynamic as "Dynamic") -> String as "string" {
            dynamic_to_json(&value).to_string()
        }

        /// Indented JSON text of a value.
        ///
        /// ```rhai
        /// print(json::pretty(ncm::router("AER2200-0001")));
        /// ```
        fn pretty(_, value: Dynamic as "Dynamic") -> String as "string" {
            serde_json::to_string_pretty(&dynamic_to_json(&value)).unwrap_or_default()
        }

        /// Reads and parses a JSON file. Only under the directories scripts may read (the current one, the
        /// script's own, the library path, `--allow-read`).
        ///
        /// ```rhai
        /// json::write("golden.json", #{system: #{gps: #{enabled: true}}});
        /// let cfg = json::read("golden.json");
        /// ```
        fn read(cx, path: &str as "string") -> RhaiResult<Dynamic> as "Dynamic" {
            let (c, pos) = call(&cx)?;
            super::read_json(&c, pos, path)
        }

        /// Writes a value as indented JSON, atomically (temporary file, then rename): a failure never leaves a half-written file.
        /// Only under the directories the operator allows (the current directory by default).
        ///
        /// ```rhai
        /// json::write("out/routers.json", ncm::routers::list());
        /// ```
        fn write(cx, path: &str as "string", value: Dynamic as "Dynamic") -> RhaiResult<()> as "()" {
            let c = state(&cx)?;
            let mut text = serde_json::to_string_pretty(&dynamic_to_json(&value)).unwrap_or_default();
            text.push('\n');
            c.write_atomic(path, text.as_bytes())
                .map(|_| ())
                .map_err(err_at(&c, cx.call_position()))
        }
    }
    m
}
