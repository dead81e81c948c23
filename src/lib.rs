//! fleetscript: the embeddable runtime. The NCM API v2 client and its endpoint catalog, the
//! IgniteNet Cloud client and config model, the Rhai engine with its bindings, and the API
//! simulator of both clouds. `src/main.rs` is only a command-line front end.
//!
//! Embedding: build a [`Config`] (here a sandbox, so no credentials), then run Rhai source.
//!
//! ```
//! use fleetscript::sim::Sandbox;
//! use fleetscript::Runtime;
//!
//! let mut rt = Runtime::sandbox().expect("the simulator starts on a loopback port");
//! let online = rt
//!     .run_source("example.rhai", r#"ncm::routers::list(#{state: "online"}).len()"#)
//!     .expect("the script runs");
//! assert!(online.as_int().unwrap() > 0);
//! // Every request went to the right, slashed URL: the simulator saw no redirect.
//! assert_eq!(rt.sim().unwrap().counters().redirects, 0);
//! ```

#![recursion_limit = "512"]

pub mod backup;
pub mod config;
pub mod diff;
pub mod error;
pub mod files;
pub mod http;
pub mod ignitenet;
pub mod logging;
pub mod memory;
pub mod ncm;
pub mod notify;
pub mod progress;
#[cfg(feature = "repl")]
pub mod repl;
pub mod runtime;
pub mod script;
pub mod settings;
pub mod sim;

pub use config::Config;
pub use error::{Error, Result};
pub use runtime::{exit, Runtime, ScriptError};
