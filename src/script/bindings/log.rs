//! The `log::` Rhai module: timestamped lines on stderr, with secrets masked.

use super::ScriptContext;
use rhai::{FuncRegistration, Module};
use std::sync::Arc;

/// One log line on stderr: UTC timestamp, level, the message with secrets masked.
pub fn write(level: &str, msg: &str, redactor: &crate::http::Redactor) {
    crate::http::log_line(level, &redactor.redact(msg));
}

pub fn module(ctx: &Arc<ScriptContext>) -> Module {
    let mut m = Module::new();
    m.set_doc("/// Log lines on stderr (stdout stays for the script's own output).");
    for (name, level) in [
        ("debug", "DEBUG"),
        ("info", "INFO"),
        ("warn", "WARN"),
        ("error", "ERROR"),
    ] {
        let c = ctx.clone();
        let doc = format!("/// Writes a {level} line with a UTC timestamp to stderr.\n///\n/// ```rhai\n/// log::{name}(\"checked 120 routers\");\n/// ```");
        FuncRegistration::new(name)
            .with_comments([doc])
            .with_params_info(["message: Dynamic", "()"])
            .set_into_module(&mut m, move |msg: rhai::Dynamic| {
                if level == "DEBUG"
                    && std::env::var("FLEETSCRIPT_LOG")
                        .map(|v| v != "debug")
                        .unwrap_or(true)
                {
                    return;
                }
                write(level, &msg.to_string(), &c.redactor);
            });
    }
    m
}
