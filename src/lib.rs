//! fleetscript: the embeddable runtime. The NCM API v2 client and its endpoint catalog, the Rhai
//! engine with its bindings, and the API simulator. `src/main.rs` is only a command-line front end.

#![recursion_limit = "512"]

pub mod config;
pub mod error;
pub mod http;
pub mod ncm;
pub mod runtime;
pub mod script;
pub mod sim;

pub use config::Config;
pub use error::{Error, Result};
pub use runtime::{exit, Runtime, ScriptError};
