//! The clap command-line definition. Only `main.rs` sees these types; they are mapped into a
//! library `Config` and never reach the engine.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "fleetscript", version, about = "Automate Cradlepoint NCM and IgniteNet Cloud router fleets with Rhai scripts", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a script.
    Run(RunArgs),
    /// Compile scripts and check them without calling any API.
    Check {
        #[arg(required = true)]
        scripts: Vec<PathBuf>,
    },
    /// Serve the API simulator until Ctrl-C.
    Sim(SimArgs),
    /// Print the NCM endpoint catalog and the IgniteNet routes as tables.
    Endpoints,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The script file.
    pub script: PathBuf,
    /// A script argument, visible as ARGS.key (repeatable).
    #[arg(long = "arg", value_name = "KEY=VALUE")]
    pub args: Vec<String>,
    /// Print every write (POST/PUT/PATCH/DELETE) instead of sending it; reads still happen.
    #[arg(long)]
    pub dry_run: bool,
    /// Run against a built-in simulator on a loopback port; no credentials needed.
    #[arg(long)]
    pub sandbox: bool,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Allow the script to write files under DIR (repeatable; default: the current directory).
    #[arg(long = "allow-write", value_name = "DIR")]
    pub allow_write: Vec<PathBuf>,
    /// Request timeout in seconds (connect and total).
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Retries for 429/502/503/504 and connection errors on GET/PUT/PATCH/DELETE.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: u32,
    /// First retry delay in milliseconds (doubles each retry, with jitter).
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub retry_delay_ms: u64,
}

/// The simulated fleet (used by `sim` and `run --sandbox`).
#[derive(Args, Debug, Clone)]
pub struct FleetArgs {
    /// Routers in the simulated fleet.
    #[arg(long, default_value_t = 50)]
    pub routers: usize,
    /// Seed of the simulated fleet.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Latency added to every simulated response, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// How long a simulated online device takes to sync a changed config, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub sync_delay_ms: u64,
    /// A router id whose simulated device rejects every config it is sent (repeatable).
    #[arg(long, value_name = "ROUTER_ID")]
    pub reject_config: Vec<String>,
}

#[derive(Args, Debug)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Fraction of requests (0-1) answered 503 at random.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Inject a fault: METHOD:ENDPOINT:NTH:STATUS[:RETRY_AFTER] (`*` for any), repeatable.
    #[arg(long, value_name = "SPEC")]
    pub fault: Vec<String>,
}
