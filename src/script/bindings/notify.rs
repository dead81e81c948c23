//! The `notify::` Rhai module: healthchecks-style pings for unattended scripts (start, success
//! with a summary, fail with the error and the latest log lines). A ping that does not arrive is
//! a warning on stderr, never a failed script.

use super::{log, usage_error, RhaiResult, ScriptContext};
use crate::script::convert::dynamic_to_json;
use rhai::{Dynamic, FuncRegistration, Module, NativeCallContext};
use std::sync::Arc;

fn send(c: &ScriptContext, url: &str, suffix: &str, body: Option<serde_json::Value>) {
    if let Err(why) = crate::notify::ping(url, suffix, body.as_ref()) {
        log::write(
            "WARN",
            &format!("notify: {why}; the job itself is not affected"),
            &c.redactor,
        );
    }
}

pub fn module(ctx: &Arc<ScriptContext>) -> Module {
    let mut m = Module::new();
    m.set_doc("/// Healthchecks-style notifications: URL/start, URL (success, JSON summary), URL/fail (error, last log lines).");
    let c = ctx.clone();
    FuncRegistration::new("start")
        .with_comments(["/// Pings `URL/start`: the job began. A bad URL is an error; an unreachable one a warning.\n///\n/// ```rhai\n/// notify::start(\"https://hc-ping.com/your-uuid\");\n/// ```"])
        .with_params_info(["url: string", "()"])
        .set_into_module(&mut m, move |cx: NativeCallContext, url: &str| -> RhaiResult<()> {
            crate::notify::check_url(url).map_err(|e| usage_error(cx.call_position(), e.to_string()))?;
            send(&c, url, "start", None);
            Ok(())
        });
    let c = ctx.clone();
    FuncRegistration::new("success")
        .with_comments(["/// Pings `URL` with a JSON summary: the job succeeded.\n///\n/// ```rhai\n/// notify::success(url, #{routers: 120, changed: 3});\n/// ```"])
        .with_params_info(["url: string", "summary: Map", "()"])
        .set_into_module(&mut m, move |cx: NativeCallContext, url: &str, summary: Dynamic| -> RhaiResult<()> {
            crate::notify::check_url(url).map_err(|e| usage_error(cx.call_position(), e.to_string()))?;
            send(&c, url, "", Some(dynamic_to_json(&summary)));
            Ok(())
        });
    let c = ctx.clone();
    FuncRegistration::new("fail")
        .with_comments(["/// Pings `URL/fail` with the error and the latest log lines: the job failed.\n///\n/// ```rhai\n/// notify::fail(url, \"backup failed: timeout\");\n/// ```"])
        .with_params_info(["url: string", "error: string", "()"])
        .set_into_module(&mut m, move |cx: NativeCallContext, url: &str, error: Dynamic| -> RhaiResult<()> {
            crate::notify::check_url(url).map_err(|e| usage_error(cx.call_position(), e.to_string()))?;
            let error = c.redactor.redact(&error.to_string());
            let lines: Vec<String> = crate::http::recent_log_lines().iter().map(|l| c.redactor.redact(l)).collect();
            send(&c, url, "fail", Some(serde_json::json!({"error": error, "log": lines})));
            Ok(())
        });
    m
}
