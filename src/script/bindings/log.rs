//! The `log::` Rhai module: timestamped lines on stderr, with secrets masked.

use super::{state, RhaiResult};
use rhai::{Dynamic, Module, NativeCallContext};
use std::sync::Arc;

/// One log line on stderr: UTC timestamp, level, the message with secrets masked.
pub fn write(level: &str, msg: &str, redactor: &crate::http::Redactor) {
    crate::logging::log_line(level, &redactor.redact(msg));
}

/// Writes `message` at `level` unless it is DEBUG and `FLEETSCRIPT_LOG` is not `debug`.
fn log_at(cx: &NativeCallContext, level: &str, message: &Dynamic) -> RhaiResult<()> {
    let debug_on = std::env::var("FLEETSCRIPT_LOG").is_ok_and(|v| v == "debug");
    if level == "DEBUG" && !debug_on {
        return Ok(());
    }
    write(level, &message.to_string(), &state(cx)?.redactor);
    Ok(())
}

/// The `log` module (built once: the masking of secrets is the run's).
pub fn module() -> Arc<Module> {
    static MODULE: std::sync::OnceLock<Arc<Module>> = std::sync::OnceLock::new();
    super::built_once(&MODULE, build)
}

fn build() -> Module {
    let mut m = Module::new();
    m.set_doc("/// Log lines on stderr (stdout stays for the script's own output).");
    functions! { &mut m;
        /// Writes a DEBUG line with a UTC timestamp to stderr, only when `FLEETSCRIPT_LOG=debug`. (Rhai
        /// reserves `debug`, so `log::debug` could never be called: this is the debug level's name.)
        ///
        /// ```rhai
        /// log::verbose("checked 120 routers");
        /// ```
        fn verbose(cx, message: Dynamic as "Dynamic") -> RhaiResult<()> as "()" {
            log_at(&cx, "DEBUG", &message)
        }

        /// Writes an INFO line with a UTC timestamp to stderr.
        ///
        /// ```rhai
        /// log::info("checked 120 routers");
        /// ```
        fn info(cx, message: Dynamic as "Dynamic") -> RhaiResult<()> as "()" {
            log_at(&cx, "INFO", &message)
        }

        /// Writes a WARN line with a UTC timestamp to stderr.
        ///
        /// ```rhai
        /// log::warn("checked 120 routers");
        /// ```
        fn warn(cx, message: Dynamic as "Dynamic") -> RhaiResult<()> as "()" {
            log_at(&cx, "WARN", &message)
        }

        /// Writes an ERROR line with a UTC timestamp to stderr.
        ///
        /// ```rhai
        /// log::error("checked 120 routers");
        /// ```
        fn error(cx, message: Dynamic as "Dynamic") -> RhaiResult<()> as "()" {
            log_at(&cx, "ERROR", &message)
        }
    }
    m
}
