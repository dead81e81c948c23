//! Builds the Rhai engine: limits, strict variables, cancellation through the progress hook,
//! print/debug hooks that mask secrets, and every binding module registered.

use super::bindings::{self, ncm::PageIter, ScriptContext, StopReason};
use crate::config::Limits;
use rhai::Engine;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub fn build(ctx: &Arc<ScriptContext>, limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    set_limits(&mut engine, ctx, limits);
    set_hooks(&mut engine, ctx, limits);
    register_modules(&mut engine, ctx);
    engine
}

/// Rhai's limits, strict variables, the memory checks of `values` and `growth`, and no `eval`.
fn set_limits(engine: &mut Engine, ctx: &Arc<ScriptContext>, limits: &Limits) {
    // Rhai's own size limits are left off: checking them walks the whole container after every
    // operation (a `push` onto an array of n elements cost O(n)). The memory bound below is one
    // atomic load instead, and the operations that grow a value by a count in one step are
    // capped in `values`.
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth / 2)
        .set_max_string_size(0)
        .set_max_array_size(0)
        .set_max_map_size(0)
        .set_strict_variables(true)
        // No string interning: its cache is scanned on every eviction, and a fleet-wide loop
        // makes a new string per record (measured: 5% of the inventory's CPU).
        .set_max_strings_interned(0)
        // Rhai's built-in `+`/`+=` on strings and arrays would bypass the memory checks of
        // `growth` (they run before any registered function when fast operators are on).
        .set_fast_operators(false);
    super::values::register(engine, limits.max_array_size, limits.max_string_size);
    let budget = super::growth::Budget {
        max: limits.max_memory,
        stop: ctx.stop.clone(),
        cancel: ctx.cancel.clone(),
        held: crate::memory::allocated,
    };
    super::growth::register(engine, &budget);
    // `eval` would run text the pre-run lint never saw: scripts are checked whole, so it is off.
    engine.disable_symbol("eval");
}

/// The progress hook (the memory bound, cancellation) and the print and debug hooks (secrets
/// masked).
fn set_hooks(engine: &mut Engine, ctx: &Arc<ScriptContext>, limits: &Limits) {
    let cancel = ctx.cancel.clone();
    let stop = ctx.stop.clone();
    let saved = ctx.saved.clone();
    let max_memory = limits.max_memory;
    engine.on_progress(move |_| {
        if max_memory.is_some_and(|max| crate::memory::allocated() > max) {
            stop.set(StopReason::MEMORY);
            cancel.store(true, Ordering::SeqCst);
        }
        if !cancel.load(Ordering::SeqCst) {
            return None;
        }
        // Past the point of no return, an operator's interrupt lets the script finish its report
        // (requests still stop); a limit still stops it.
        if stop.get() == StopReason::NONE && saved.is_set() {
            return None;
        }
        Some("interrupted".into())
    });
    let r = ctx.redactor.clone();
    // A closed standard output (`| head`) loses the line, as it would anyway; it never stops
    // the script halfway through its work (`println!` would panic).
    engine.on_print(move |s| {
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), "{}", r.redact(s));
    });
    let r = ctx.redactor.clone();
    engine.on_debug(move |s, src, pos| {
        let at = match (src, pos.line()) {
            (Some(src), Some(l)) => format!("{src}:{l}: "),
            (None, Some(l)) => format!("line {l}: "),
            _ => String::new(),
        };
        eprintln!("{at}{}", r.redact(s));
    });
}

/// The run's state as the default tag, the custom types, and every binding module.
fn register_modules(engine: &mut Engine, ctx: &Arc<ScriptContext>) {
    // The run's state, which every binding reads through `bindings::state`: the modules
    // themselves hold none, so each is built once per process.
    engine.set_default_tag(rhai::Dynamic::from(ctx.clone()));
    engine.register_type_with_name::<PageIter>("Pages");
    engine.register_type_with_name::<bindings::csv::CsvWriter>("CsvWriter");
    engine.register_iterator_result::<PageIter, rhai::Dynamic>();
    engine.register_global_module(bindings::global::module());
    engine.register_static_module("ncm", bindings::ncm::module());
    engine.register_static_module("ignitenet", bindings::ignitenet::module());
    engine.register_static_module("json", bindings::json::module());
    engine.register_static_module("diff", bindings::diff::module());
    engine.register_static_module("csv", bindings::csv::module());
    engine.register_static_module("time", bindings::time::module());
    engine.register_static_module("log", bindings::log::module());
    engine.register_static_module("notify", bindings::notify::module());
}
