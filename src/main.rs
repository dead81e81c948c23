//! The `fleetscript` binary: parses the command line, maps it into the library's `Config`,
//! runs the command and turns the outcome into an exit code. All behaviour lives in the library.

mod cli;

use anyhow::Context;
use clap::Parser;
use cli::{Cli, Command, FleetArgs, RunArgs};
use fleetscript::sim::{Fault, SimOptions, Simulator};
use fleetscript::{exit, Config, Runtime};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() {
    let cli = Cli::parse();
    let code = match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit::USAGE
        }
    };
    std::process::exit(code);
}

/// First Ctrl-C asks the running work to stop cleanly; a second one quits at once.
fn install_ctrl_c(cancel: Arc<AtomicBool>) {
    let _ = ctrlc::set_handler(move || {
        if cancel.swap(true, Ordering::SeqCst) {
            eprintln!("\ninterrupted");
            std::process::exit(exit::INTERRUPTED);
        }
        eprintln!("\ninterrupting... (Ctrl-C again to quit at once)");
    });
}

fn sim_options(f: &FleetArgs) -> SimOptions {
    SimOptions {
        routers: f.routers,
        seed: f.seed,
        latency: Duration::from_millis(f.latency_ms),
        sync_delay: Duration::from_millis(f.sync_delay_ms),
        reject_config: f.reject_config.clone(),
        ..SimOptions::default()
    }
}

fn run_config(a: &RunArgs) -> anyhow::Result<Config> {
    let mut c = Config::from_env();
    for kv in &a.args {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("--arg {kv:?}: expected KEY=VALUE"))?;
        anyhow::ensure!(!k.trim().is_empty(), "--arg {kv:?}: the key is empty");
        c.args.insert(k.trim().to_string(), v.to_string());
    }
    anyhow::ensure!(a.timeout > 0.0, "--timeout must be positive");
    c.http.timeout = Duration::from_secs_f64(a.timeout);
    c.http.connect_timeout = Duration::from_secs_f64(a.timeout);
    c.http.retry.max_retries = a.retries;
    c.http.retry.base_delay = Duration::from_millis(a.retry_delay_ms);
    c.http.dry_run = a.dry_run;
    c.write_dirs = a.allow_write.clone();
    if a.sandbox {
        c.sandbox = Some(sim_options(&a.fleet));
    }
    Ok(c)
}

fn real_main(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Endpoints => {
            print!("{}", fleetscript::ncm::catalog::table());
            print!("\n{}", fleetscript::ignitenet::table());
            Ok(exit::OK)
        }
        Command::Check { scripts } => {
            let mut rt = Runtime::new(Config::from_env())?;
            let mut code = exit::OK;
            for s in &scripts {
                match rt.check_file(s) {
                    Ok(_) => println!("ok: {}", s.display()),
                    Err(e) => {
                        eprint!("{}", e.render());
                        code = code.max(e.exit_code());
                    }
                }
            }
            Ok(code)
        }
        Command::Run(a) => {
            let cfg = run_config(&a)?;
            let cancel = Arc::new(AtomicBool::new(false));
            install_ctrl_c(cancel.clone());
            let mut rt = Runtime::with_cancel(cfg, cancel)?;
            if let Some(sim) = &rt.sim {
                eprintln!(
                    "sandbox: simulated NCM at {} ({} routers, seed {}), IgniteNet at {}",
                    sim.ncm_base_url(),
                    a.fleet.routers,
                    a.fleet.seed,
                    sim.ignitenet_base_url()
                );
            }
            match rt.run_file(&a.script) {
                Ok(_) => Ok(exit::OK),
                Err(e) => {
                    eprint!("{}", e.render());
                    Ok(e.exit_code())
                }
            }
        }
        Command::Sim(a) => {
            let mut opts = sim_options(&a.fleet);
            opts.addr = a.addr;
            opts.fail_rate = a.fail_rate;
            for f in &a.fault {
                opts.faults.push(Fault::parse(f)?);
            }
            let keys = opts.ncm_keys.clone();
            let ignitenet_key = opts.ignitenet_key.clone();
            let sim = Simulator::start(opts)?;
            println!(
                "NCM API v2 simulator: {}/ ({} routers, seed {})",
                sim.ncm_base_url(),
                a.fleet.routers,
                a.fleet.seed
            );
            println!("Use it with:");
            println!("  export CP_BASE_URL={}", sim.ncm_base_url());
            println!(
                "  export X_CP_API_ID={} X_CP_API_KEY={} X_ECM_API_ID={} X_ECM_API_KEY={}",
                keys.cp_api_id, keys.cp_api_key, keys.ecm_api_id, keys.ecm_api_key
            );
            println!("IgniteNet Cloud simulator: {}", sim.ignitenet_base_url());
            println!(
                "  export IGNITENET_BASE_URL={} IGNITENET_API_KEY={ignitenet_key}",
                sim.ignitenet_base_url()
            );
            println!("Ctrl-C to stop.");
            let stop = Arc::new(AtomicBool::new(false));
            let s2 = stop.clone();
            let _ = ctrlc::set_handler(move || s2.store(true, Ordering::SeqCst));
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
            }
            let c = sim.counters();
            println!(
                "\nserved {} requests ({} redirects, {} unauthorized)",
                c.total, c.redirects, c.unauthorized
            );
            Ok(exit::OK)
        }
    }
}
