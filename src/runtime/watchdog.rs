//! The wall-clock limit of a run: a thread that sets the stop flag at the limit and, when the
//! run is still stuck in a call after the grace, hands the embedder's overrun hook a message
//! naming that call.

use super::OverrunHook;
use crate::script::bindings::{ScriptContext, StopReason};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What a [`Watchdog`] watches: the limit, the grace after it, and what it stops.
pub(super) struct Watch {
    pub(super) limit: std::time::Duration,
    pub(super) grace: std::time::Duration,
    pub(super) cancel: Arc<AtomicBool>,
    pub(super) ctx: Arc<ScriptContext>,
    pub(super) overrun: Option<OverrunHook>,
    /// The script's name, for the message.
    pub(super) script: String,
}

/// Stops a run at its wall-clock limit: sets the cancellation flag (scripts stop at the next
/// operation, requests and waits between two requests) with the reason `TIME`. A run still
/// going `grace` later is stuck in a call that never looks at the flag: the overrun hook (if
/// any) gets a message naming that call.
pub(super) struct Watchdog {
    done: Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    pub(super) fn start(w: Watch) -> Self {
        let done = Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let d = done.clone();
        let thread = std::thread::Builder::new()
            .name("max-time".into())
            .spawn(move || {
                let (lock, cv) = &*d;
                // Waits `t` unless the run ends first; true when it did not.
                let still_running = |t| {
                    let Ok(guard) = lock.lock() else { return false };
                    let waited = cv.wait_timeout_while(guard, t, |finished| !*finished);
                    waited.is_ok_and(|(_, r)| r.timed_out())
                };
                if !still_running(w.limit) {
                    return;
                }
                w.ctx.stop.set(StopReason::TIME);
                w.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
                if let Some(hook) = w.overrun.filter(|_| still_running(w.grace)) {
                    let stuck = w.ctx.doing.describe(&w.script).unwrap_or_else(|| {
                        format!("{}, outside any fleetscript function", w.script)
                    });
                    hook(&format!(
                        "stopped: the run exceeded --max-time {}; it did not stop at the limit (stuck in {stuck}), so it was ended {} later",
                        crate::settings::human_duration(w.limit),
                        crate::settings::human_duration(w.grace)
                    ));
                }
            })
            .ok();
        Watchdog { done, thread }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let (lock, cv) = &*self.done;
        if let Ok(mut g) = lock.lock() {
            *g = true;
        }
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
