//! Functions scripts call without a module: `fail`, the way a script ends its run as a failed
//! job (exit 1) with a message of its own, and no script source frames under it.

use super::{state, RhaiResult};
use rhai::{Dynamic, EvalAltResult, Module, NativeCallContext};
use std::sync::Arc;

/// The `kind` of the error value `fail` throws; the runtime knows an uncaught one by it.
pub const FAIL_KIND: &str = "fail";

/// The error value of `fail(message)`: a map like every catchable error (`kind: "fail"`,
/// `cause: "failure"`, `message`, `description`, `line`, `column`), the message masked.
fn fail(cx: &NativeCallContext, message: &Dynamic) -> Box<EvalAltResult> {
    let pos = cx.call_position();
    let text = match state(cx) {
        Ok(c) => c.redactor.redact(&message.to_string()),
        Err(e) => return e,
    };
    let mut m = rhai::Map::new();
    m.insert("kind".into(), FAIL_KIND.into());
    m.insert("cause".into(), crate::error::Cause::Failure.as_str().into());
    m.insert("message".into(), text.clone().into());
    m.insert("description".into(), text.into());
    let at = |v: Option<usize>| v.map_or(Dynamic::UNIT, |n| (n as rhai::INT).into());
    m.insert("line".into(), at(pos.line()));
    m.insert("column".into(), at(pos.position()));
    EvalAltResult::ErrorRuntime(m.into(), pos).into()
}

/// The functions without a module (built once: they hold no state).
pub fn module() -> Arc<Module> {
    static MODULE: std::sync::OnceLock<Arc<Module>> = std::sync::OnceLock::new();
    super::built_once(&MODULE, build)
}

fn build() -> Module {
    let mut m = Module::new();
    functions! { &mut m;
        /// Ends the run as a failed job: exit status 1, shown as `error: <message>` alone (no script
        /// source lines: those are for mistakes in a script's own code), secrets masked. For the
        /// expected ends of a job (a halt, routers that failed, a refused plan): print the summary
        /// first, and say in the message what to run next. `try`/`catch` catches it like any error
        /// (`e.kind == "fail"`, `e.message`).
        ///
        /// ```rhai
        /// let failed = 0;   // counted by the job
        /// if failed > 0 { fail(`${failed} router(s) failed; fix them, then run it again`); }
        /// ```
        fn fail(cx, message: Dynamic as "string") -> RhaiResult<()> as "()" {
            Err(fail(&cx, &message))
        }
    }
    m
}
