//! The clap command-line definition. Only `main.rs` sees these types; they are mapped into a
//! library `Config` and never reach the engine.

use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand};
use fleetscript::config::{Profile, Written};
use fleetscript::settings::{FlagPlace, Kind, Setting, SETTINGS};
use std::path::PathBuf;

/// [`SettingFlags`] of the access flags (listed with `--dry-run`).
pub const ACCESS: u8 = 0;
/// [`SettingFlags`] of the connection flags (listed after `--allow-read`).
pub const CONNECTION: u8 = 1;

/// The flags of the settings table ([`SETTINGS`]) at one place of `--help` (`PLACE`: [`ACCESS`]
/// or [`CONNECTION`]), built with clap's builder API from each setting's flag, help and default,
/// and read back as written values: a setting with a flag is one table entry, not a field here.
/// (Derived fields would repeat each flag's name, placeholder and default; the builder keeps
/// `--help` as it was, the flags in their places and order.)
#[derive(Debug, Clone, Default)]
pub struct SettingFlags<const PLACE: u8> {
    /// The settings given on the command line, by name.
    pub given: Profile,
}

impl<const PLACE: u8> SettingFlags<PLACE> {
    /// The table's settings with a flag at this place, in their `--help` order.
    fn settings() -> Vec<&'static Setting> {
        let place = if PLACE == ACCESS {
            FlagPlace::Access
        } else {
            FlagPlace::Connection
        };
        let mut v: Vec<&'static Setting> = SETTINGS
            .iter()
            .filter(|s| s.flag.is_some_and(|f| f.place == place))
            .collect();
        v.sort_by_key(|s| s.flag.map(|f| f.rank));
        v
    }
}

/// The flag of a setting, from its table entry.
fn setting_arg(s: &'static Setting) -> Option<Arg> {
    let f = s.flag?;
    let arg = Arg::new(s.name).long(f.long).help(s.flag_help());
    Some(match s.kind {
        Kind::Bool => arg.action(ArgAction::SetTrue),
        Kind::Number => arg
            .value_name(f.value_name)
            .value_parser(clap::value_parser!(f64)),
        _ => arg.value_name(f.value_name),
    })
}

impl<const PLACE: u8> Args for SettingFlags<PLACE> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        Self::settings()
            .into_iter()
            .filter_map(setting_arg)
            .fold(cmd, clap::Command::arg)
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl<const PLACE: u8> FromArgMatches for SettingFlags<PLACE> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = Self::default();
        flags.update_from_arg_matches(m)?;
        Ok(flags)
    }
    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        for s in Self::settings() {
            let v = match s.kind {
                Kind::Bool => m.get_flag(s.name).then_some(Written::Bool(true)),
                Kind::Number => m.get_one::<f64>(s.name).map(|n| Written::Number(*n)),
                _ => m
                    .get_one::<String>(s.name)
                    .map(|t| Written::Text(t.clone())),
            };
            if let Some(v) = v {
                self.given.values.insert(s.name, v);
            }
        }
        Ok(())
    }
}

#[derive(Parser, Debug)]
#[command(name = "fleetscript", version, about = "Automate Cradlepoint NCM and IgniteNet Cloud router fleets with Rhai scripts", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a script: a file, or a name found on the script library path (see `scripts`).
    /// `run SCRIPT --help` prints the script's own header.
    #[command(disable_help_flag = true)]
    Run(RunArgs),
    /// The interactive prompt: Rhai with every API function, tables, completion and :doc.
    Repl(ReplArgs),
    /// Check scripts (files or names, as `run` takes them) without calling any API: compile,
    /// lint calls and literal queries against the catalog, the argument declaration, imports.
    Check {
        #[arg(required = true)]
        scripts: Vec<String>,
    },
    /// List the runnable scripts on the library path (FLEETSCRIPT_PATH, the user library,
    /// the built-in ones) with their purpose.
    Scripts {
        /// One JSON object per script (name, purpose, location, hidden), as an array.
        #[arg(long)]
        json: bool,
    },
    /// Serve the API simulator until Ctrl-C.
    Sim(SimArgs),
    /// The NCM endpoint catalog and the IgniteNet routes, fitted to the terminal; with a NAME,
    /// that endpoint in detail (fields, types, filters, expandable fields).
    Endpoints {
        /// An NCM endpoint, e.g. routers.
        name: Option<String>,
        /// The catalog (or the endpoint) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write Rhai definition files (.d.rhai) for every module, and a sample Rhai.toml, so that
    /// editors and the Rhai language server complete and check fleetscript's functions.
    Definitions {
        /// The directory to write them to.
        #[arg(long, value_name = "DIR", default_value = "fleetscript-definitions")]
        out: PathBuf,
    },
    /// Print the function reference (Markdown) from the engine's own metadata; --out writes it
    /// to a file (the repository keeps it as docs/reference.md).
    Docs {
        /// Write it to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Only compare with --out FILE: exit 1 when it differs from what would be written.
        #[arg(long, requires = "out")]
        check: bool,
    },
    /// Print one function's page (signature, description, example), or a module's: the
    /// REPL's :doc.
    Doc {
        /// A function or module: ncm::routers::list, diff::apply, ncm::routers, args::int.
        name: String,
    },
    /// Print the man page (roff), generated from the command line's own definition.
    Man,
    /// Show or check the configuration (profiles in $XDG_CONFIG_HOME/fleetscript/config.toml).
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand, Debug)]
pub enum ConfigAction {
    /// Every setting with where it came from; secrets masked.
    Show {
        #[arg(long)]
        profile: Option<String>,
    },
    /// Call one cheap endpoint of each configured cloud and report ok or the error; say which
    /// clouds are not configured. Exit 0 when every configured cloud works.
    Check {
        #[arg(long)]
        profile: Option<String>,
        /// Clouds that must be configured (`ncm`, `ignitenet`, comma-separated): one without
        /// keys is an error (exit 2) rather than a note.
        #[arg(long, value_delimiter = ',', value_name = "CLOUDS")]
        require: Vec<String>,
    },
}

/// Where and how to connect (shared by `run` and `repl`).
#[derive(Args, Debug, Clone)]
pub struct ConnArgs {
    /// Print every write (POST/PUT/PATCH/DELETE) instead of sending it; reads still happen.
    #[arg(long)]
    pub dry_run: bool,
    /// The settings table's access flags (`--read-only`).
    #[command(flatten)]
    pub access: SettingFlags<ACCESS>,
    /// Trace every request on stderr: method, URL (no secrets), status, duration, bytes.
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Run against a built-in simulator on a loopback port; no credentials needed.
    #[arg(long)]
    pub sandbox: bool,
    /// The profile of config.toml to use (default: FLEETSCRIPT_PROFILE, then the file's
    /// default_profile). `run` takes it more than once: the script runs once per profile.
    #[arg(long, value_name = "NAME")]
    pub profile: Vec<String>,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Allow the script to write files under DIR (repeatable; default: the current directory).
    #[arg(long = "allow-write", value_name = "DIR")]
    pub allow_write: Vec<PathBuf>,
    /// Allow the script to read files under DIR too (repeatable; the current directory, the
    /// script's own, the library path and the write directories are always readable).
    #[arg(long = "allow-read", value_name = "DIR")]
    pub allow_read: Vec<PathBuf>,
    /// The settings table's connection flags (`--timeout`, `--retries`, ..., `--ca-file`).
    #[command(flatten)]
    pub settings: SettingFlags<CONNECTION>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The script: a path, a name on the library path (`fleetscript scripts` lists them), or
    /// `-` to read it from standard input.
    pub script: Option<String>,
    /// Run this Rhai code instead of a script, and print its value (a table on a terminal,
    /// JSON otherwise): `fleetscript run -e 'ncm::routers::list(#{limit: 5})' --sandbox`.
    #[arg(
        short = 'e',
        long = "eval",
        value_name = "CODE",
        conflicts_with = "script"
    )]
    pub eval: Option<String>,
    /// A script argument, visible as ARGS.key (repeatable).
    #[arg(long = "arg", value_name = "KEY=VALUE")]
    pub args: Vec<String>,
    /// Stop the script after SECS of wall-clock time, or `none` [default: 7200].
    #[arg(long, value_name = "SECS|none")]
    pub max_time: Option<String>,
    /// After --max-time, how long the run has to stop by itself before the process ends
    /// anyway (exit 1) [default: 5].
    #[arg(long, value_name = "SECS")]
    pub stop_grace: Option<f64>,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Run the script once per profile of config.toml (as many --profile flags would).
    #[arg(long, conflicts_with = "profile")]
    pub all_profiles: bool,
    /// With several profiles: how many runs at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub jobs: usize,
    /// Print the script's header (purpose, arguments, example), or this help without a script.
    #[arg(short = 'h', long = "help", action = ArgAction::SetTrue)]
    pub help: bool,
}

#[derive(Args, Debug)]
pub struct ReplArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// The history file [default: $XDG_DATA_HOME/fleetscript/history.txt].
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

/// The simulated fleet (used by `sim`, `run --sandbox` and `repl --sandbox`).
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
    /// An APN that cuts a simulated device's WAN: a device that syncs it goes offline, then
    /// rolls back after --rollback-after and has its config sync suspended.
    #[arg(long, value_name = "APN")]
    pub break_apn: Option<String>,
    /// Seconds a cut-off simulated device waits before rolling its config back.
    #[arg(long, value_name = "SECS", default_value_t = 900.0)]
    pub rollback_after: f64,
    /// Seconds a simulated router is offline installing a firmware upgrade (it downloads for
    /// one --sync-delay-ms first).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub upgrade_secs: f64,
    /// A firmware version whose install fails on simulated routers: they come back on their old
    /// firmware and the `firmware_upgrade` alert says `success: false`.
    #[arg(long, value_name = "VERSION")]
    pub break_firmware: Option<String>,
    /// A firmware version that leaves a simulated router offline for good.
    #[arg(long, value_name = "VERSION")]
    pub brick_firmware: Option<String>,
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
