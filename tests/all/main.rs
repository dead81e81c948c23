//! The integration tests, one binary: each module drives the real binary (`fleetscript`) or the
//! library against the in-process simulator on 127.0.0.1:0. One binary links the crate once
//! (27 binaries each linked it before), which is most of a fresh CI run's build time. Run one
//! module with `cargo test --test all cli::`, one test by its path.

mod common;

mod arbitrary_input;
mod backup_git;
mod break_apn;
mod cli;
mod concurrent_paging;
mod config_helpers;
mod config_semantics;
mod csv_writer;
mod definitions;
mod diff_roundtrip;
mod doc_examples;
mod endpoints;
mod examples;
mod exit_codes;
mod flagship_scripts;
mod hardening;
mod ignitenet;
mod library_and_config;
mod library_features;
mod many_profiles;
mod names;
mod one_liners;
mod paging_and_errors;
mod realistic_fleet;
mod repl;
mod rollback_property;
mod rollout;
mod script_args;
mod simulator;
mod spec_fidelity;
mod spec_filters;
mod transport;
mod visible_retries;
