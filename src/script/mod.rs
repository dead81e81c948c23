//! The Rhai side: engine construction, the binding modules, value conversion and diagnostics.

pub mod args;
pub mod bindings;
pub mod convert;
pub mod definitions;
pub mod diagnostics;
pub mod docs;
pub mod engine;
pub mod growth;
pub mod library;
pub mod lint;
pub mod values;
