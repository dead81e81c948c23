//! `--sandbox` at the edge: starts the simulator, points a configuration (both clouds' base
//! URLs and keys) at it, and builds a [`Runtime`] that keeps it running. The runtime, the
//! configuration and the clients know nothing of the simulator: to them it is one more pair of
//! base URLs with keys.

use super::{SimOptions, Simulator};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::runtime::Runtime;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

impl Simulator {
    /// Points `config` at this simulator: NCM's and IgniteNet's base URLs, and the keys `opts`
    /// (the options it was started with) accepts. Everything else of `config` stays.
    pub fn point(&self, config: &mut Config, opts: &SimOptions) {
        config.ncm_base_url = self.ncm_base_url();
        config.ncm_credentials = opts.ncm_keys.clone();
        config.ignitenet.base_url = self.ignitenet_base_url();
        config.ignitenet.api_key = opts.ignitenet_key.clone();
    }
}

/// Starts a simulator with `opts`, points `config` at it and builds the runtime, which keeps
/// the simulator running as long as it lives ([`Sandbox::simulator`] reaches it).
pub fn runtime(config: Config, opts: SimOptions, cancel: Arc<AtomicBool>) -> Result<Runtime> {
    let sim = Simulator::start(opts.clone())?;
    let mut config = config;
    sim.point(&mut config, &opts);
    let mut rt = Runtime::with_cancel(config, cancel)?;
    rt.keep_alive(sim);
    Ok(rt)
}

/// A [`Runtime`] against the simulator (import this trait to call them).
pub trait Sandbox: Sized {
    /// A runtime against a fresh simulator with default options (tests, examples).
    fn sandbox() -> Result<Self>;
    /// The simulator this runtime was started against, if it was.
    fn simulator(&self) -> Option<&Simulator>;
    /// The simulator, or an error saying the runtime has none.
    fn sim(&self) -> Result<&Simulator> {
        self.simulator().ok_or_else(|| {
            Error::Config("no simulator: the runtime was not started with --sandbox".into())
        })
    }
}

impl Sandbox for Runtime {
    fn sandbox() -> Result<Runtime> {
        runtime(
            Config::default(),
            SimOptions::default(),
            Arc::new(AtomicBool::new(false)),
        )
    }

    fn simulator(&self) -> Option<&Simulator> {
        self.kept_alive::<Simulator>()
    }
}
