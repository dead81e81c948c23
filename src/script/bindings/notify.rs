//! The `notify::` Rhai module: healthchecks-style pings for unattended scripts (start, success
//! with a summary, fail with the error and the latest log lines). A ping that does not arrive is
//! a warning on stderr, never a failed script.

use super::{log, state, usage_error, RhaiResult, ScriptContext};
use crate::script::convert::dynamic_to_json;
use rhai::{Dynamic, Module, NativeCallContext};
use std::sync::Arc;

fn send(c: &ScriptContext, url: &str, suffix: &str, body: Option<serde_json::Value>) {
    // Through the run's trust store, CA files and proxy, like every API call.
    let client = c.ncm.transport().client_for(crate::notify::PING_TIMEOUT);
    if let Err(why) =
        client.and_then(|client| crate::notify::ping(&client, url, suffix, body.as_ref()))
    {
        log::write(
            "WARN",
            &format!("notify: {why}; the job itself is not affected"),
            &c.redactor,
        );
    }
}

/// The `notify` module (built once: pings go out with the run's masking of secrets).
pub fn module() -> Arc<Module> {
    static MODULE: std::sync::OnceLock<Arc<Module>> = std::sync::OnceLock::new();
    super::built_once(&MODULE, build)
}

/// The URL checked, then the run's state: a bad URL is the script's error.
fn checked<'a>(
    cx: &'a NativeCallContext,
    url: &str,
) -> RhaiResult<rhai::DynamicReadLock<'a, Arc<ScriptContext>>> {
    crate::notify::check_url(url).map_err(|e| usage_error(cx.call_position(), e.to_string()))?;
    state(cx)
}

fn build() -> Module {
    let mut m = Module::new();
    m.set_doc("/// Healthchecks-style notifications: URL/start, URL (success, JSON summary), URL/fail (error, last log lines).");
    functions! { &mut m;
        /// Pings `URL/start`: the job began. A bad URL is an error; an unreachable one a warning.
        ///
        /// ```rhai
        /// notify::start("https://hc-ping.com/your-uuid");
        /// ```
        fn start(cx, url: &str as "string") -> RhaiResult<()> as "()" {
            let c = checked(&cx, url)?;
            send(&c, url, "start", None);
            Ok(())
        }

        /// Pings `URL` with a JSON summary: the job succeeded.
        ///
        /// ```rhai
        /// let url = "https://hc-ping.com/your-uuid";
        /// notify::success(url, #{routers: 120, changed: 3});
        /// ```
        fn success(cx, url: &str as "string", summary: Dynamic as "Map") -> RhaiResult<()> as "()" {
            let c = checked(&cx, url)?;
            send(&c, url, "", Some(dynamic_to_json(&summary)));
            Ok(())
        }

        /// Pings `URL/fail` with the error and the latest log lines: the job failed.
        ///
        /// ```rhai
        /// let url = "https://hc-ping.com/your-uuid";
        /// notify::fail(url, "backup failed: timeout");
        /// ```
        fn fail(cx, url: &str as "string", error: Dynamic as "string") -> RhaiResult<()> as "()" {
            let c = checked(&cx, url)?;
            let error = c.redactor.redact(&error.to_string());
            let lines: Vec<String> = crate::logging::recent_log_lines().iter().map(|l| c.redactor.redact(l)).collect();
            let failure = crate::notify::Failure { error, log: lines };
            send(&c, url, "fail", Some(failure.body()));
            Ok(())
        }
    }
    m
}
