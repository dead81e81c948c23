//! Runtime configuration: base URLs, credentials, HTTP behaviour, engine limits, script
//! arguments, the directories scripts may write to and the script-library path. Built from
//! defaults, the named profile of `$XDG_CONFIG_HOME/fleetscript/config.toml`, then the
//! environment; the CLI layers its flags on top (flags > environment > profile > defaults).
//! Every setting is read, applied and shown as the settings table (`settings::SETTINGS`) says:
//! `profile.rs` reads a profile by it, `apply.rs` sets and shows a setting.

use crate::error::{Error, Result};
use crate::http::tls::CaFile;
use crate::http::HttpOptions;
use crate::ignitenet::IgniteNetOptions;
use crate::ncm::{NcmCredentials, DEFAULT_NCM_BASE_URL};
use crate::settings::{Kind, SETTINGS};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod apply;
mod profile;

pub use apply::Origin;
pub use profile::{Profile, Written};

/// Limits of a script run, so a runaway script cannot exhaust the machine: operations, call and
/// expression depth, the growth one operation may cause (`pad`, `blob`), the process's memory
/// and the wall clock.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    /// The longest string one `pad` may make.
    pub max_string_size: usize,
    /// The most elements one `pad` or `blob` may make.
    pub max_array_size: usize,
    pub max_map_size: usize,
    /// Bytes the process may hold while a script runs (checked at every operation, when the
    /// binary counts allocations; see `memory`).
    pub max_memory: Option<usize>,
    /// How long a script may run (`None`: no limit, as in the REPL).
    pub max_time: Option<Duration>,
    /// How long a run stopped at `max_time` has to end by itself (a library call that never
    /// looks at the stop) before the runtime's overrun hook is called (see
    /// `Runtime::on_overrun`; the binary ends the process).
    pub stop_grace: Duration,
}

/// The default memory bound of a script run.
pub const DEFAULT_MAX_MEMORY: usize = 4 << 30;
/// The default wall-clock limit of `fleetscript run` (unattended runs).
pub const DEFAULT_MAX_TIME: Duration = Duration::from_secs(2 * 3600);
/// The default time a run has to stop by itself after its wall-clock limit.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(5);

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 50_000_000_000,
            max_call_levels: 96,
            max_expr_depth: 128,
            max_string_size: 256 * 1024 * 1024,
            max_array_size: 10_000_000,
            max_map_size: 1_000_000,
            max_memory: Some(DEFAULT_MAX_MEMORY),
            max_time: None,
            stop_grace: DEFAULT_STOP_GRACE,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub ncm_base_url: String,
    pub ncm_credentials: NcmCredentials,
    /// IgniteNet Cloud: base URL, API key, rate limit and retry intervals.
    pub ignitenet: IgniteNetOptions,
    pub http: HttpOptions,
    /// `--arg key=value` pairs, visible to scripts as `ARGS`.
    pub args: BTreeMap<String, String>,
    /// Directories scripts may write files in (the current directory by default).
    pub write_dirs: Vec<PathBuf>,
    /// More directories scripts may read (`--allow-read`).
    pub read_dirs: Vec<PathBuf>,
    /// Files scripts may never read or write, besides the config file, the default history
    /// file and `/proc`, `/sys`, `/dev` (the REPL adds its own history file).
    pub denied_paths: Vec<PathBuf>,
    pub limits: Limits,
    /// Default parallelism and request rate (per second) of bulk config writes.
    pub bulk_concurrency: usize,
    /// Pages of one offset-paged listing fetched at once.
    pub page_concurrency: usize,
    pub bulk_rate: f64,
    /// Progress lines on a terminal for long listings (never when stderr is not a terminal).
    pub progress: bool,
    /// Directories `import` and `fleetscript run NAME` search after the script's own directory:
    /// each `FLEETSCRIPT_PATH` entry, then `$XDG_DATA_HOME/fleetscript/lib`.
    pub library_path: Vec<PathBuf>,
    /// The directory of the tool's own state (journals): `$XDG_STATE_HOME/fleetscript`
    /// (`~/.local/state/fleetscript`) unless set.
    pub state_dir: Option<PathBuf>,
    /// The profile the settings came from, if any.
    pub profile: Option<String>,
    /// Where each setting came from (`default`, `profile NAME`, `environment VAR`, `flag`).
    pub sources: BTreeMap<&'static str, String>,
    /// The keys of every profile of the config file, active or not (masked like the ones in use).
    pub profile_secrets: Vec<(String, String)>,
}

/// A cloud fleetscript talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cloud {
    Ncm,
    IgniteNet,
}

impl Cloud {
    pub const ALL: [Cloud; 2] = [Cloud::Ncm, Cloud::IgniteNet];

    /// `NCM`, `IgniteNet`: as messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Ncm => "NCM",
            Cloud::IgniteNet => "IgniteNet",
        }
    }

    /// The cloud a name given on the command line means (`ncm`, `ignitenet`).
    pub fn parse(s: &str) -> Option<Cloud> {
        Cloud::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
    }

    /// Its keys: the profile key and the environment variable of each.
    pub fn keys(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Cloud::Ncm => &[
                ("x_cp_api_id", "X_CP_API_ID"),
                ("x_cp_api_key", "X_CP_API_KEY"),
                ("x_ecm_api_id", "X_ECM_API_ID"),
                ("x_ecm_api_key", "X_ECM_API_KEY"),
            ],
            Cloud::IgniteNet => &[("ignitenet_api_key", "IGNITENET_API_KEY")],
        }
    }
}

/// `config.toml`: `default_profile = "NAME"` and `[profiles.NAME]` tables.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

fn env_dir(var: &str, home_rel: &str) -> PathBuf {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(v) => PathBuf::from(v),
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(home_rel),
    }
}

/// The secret variables of the environment, trimmed (secrets even when a profile supplies the
/// keys in use).
fn env_secrets() -> Vec<(String, String)> {
    SETTINGS
        .iter()
        .filter(|s| s.kind == Kind::Secret)
        .filter_map(|s| {
            let var = s.env?;
            let v = std::env::var(var).ok()?.trim().to_string();
            (!v.is_empty()).then(|| (format!("environment {var}"), v))
        })
        .collect()
}

/// Every secret of every profile of a config file, labelled `profile NAME: key`.
fn file_secrets(file: &ConfigFile) -> Vec<(String, String)> {
    let mut out = vec![];
    for (name, p) in &file.profiles {
        for s in SETTINGS.iter().filter(|s| s.kind == Kind::Secret) {
            if let Some(v) = p.text(s.name).map(str::trim).filter(|v| !v.is_empty()) {
                out.push((format!("profile {name}: {}", s.name), v.to_string()));
            }
        }
    }
    out
}

/// Every secret the configuration file and the environment hold, for masking messages before
/// a configuration could be built (the command line's own error path).
pub fn known_secrets() -> Vec<String> {
    let mut s: Vec<String> = env_secrets().into_iter().map(|(_, v)| v).collect();
    if let Ok((file, _)) = read_config_file(&config_file_path()) {
        s.extend(file_secrets(&file).into_iter().map(|(_, v)| v));
    }
    s
}

/// `$XDG_CONFIG_HOME/fleetscript/config.toml` (`~/.config/...` when unset).
pub fn config_file_path() -> PathBuf {
    env_dir("XDG_CONFIG_HOME", ".config")
        .join("fleetscript")
        .join("config.toml")
}

/// `$XDG_DATA_HOME/fleetscript` (`~/.local/share/...` when unset): history, user library.
pub fn data_dir() -> PathBuf {
    env_dir("XDG_DATA_HOME", ".local/share").join("fleetscript")
}

/// `$XDG_STATE_HOME/fleetscript` (`~/.local/state/...` when unset): the default journals.
pub fn state_dir() -> PathBuf {
    env_dir("XDG_STATE_HOME", ".local/state").join("fleetscript")
}

/// The library search path from the environment: `FLEETSCRIPT_PATH` (colon-separated), then
/// `$XDG_DATA_HOME/fleetscript/lib`.
pub fn library_path_from_env() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::env::var_os("FLEETSCRIPT_PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .filter(|d| !d.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    v.push(data_dir().join("lib"));
    v
}

/// Reads and parses a config file; a file others can read gives a warning.
pub fn read_config_file(path: &Path) -> Result<(ConfigFile, Vec<String>)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.display(), e))?;
    let file: ConfigFile = toml::from_str(&text)
        .map_err(|e| Error::Config(format!("{}: {}", path.display(), e.to_string().trim_end())))?;
    let mut warnings = vec![];
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                warnings.push(format!(
                    "{} holds API keys and is readable by other users (mode {mode:03o}); run: chmod 600 {}",
                    path.display(),
                    path.display()
                ));
            }
        }
    }
    Ok((file, warnings))
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ncm_base_url: DEFAULT_NCM_BASE_URL.into(),
            ncm_credentials: NcmCredentials::default(),
            ignitenet: IgniteNetOptions::default(),
            http: HttpOptions::default(),
            args: BTreeMap::new(),
            write_dirs: vec![],
            read_dirs: vec![],
            denied_paths: vec![],
            limits: Limits::default(),
            bulk_concurrency: 4,
            page_concurrency: crate::ncm::client::DEFAULT_PAGE_CONCURRENCY,
            bulk_rate: 20.0,
            progress: true,
            library_path: vec![],
            state_dir: None,
            profile: None,
            sources: BTreeMap::new(),
            profile_secrets: vec![],
        }
    }
}

pub use crate::settings::SSL_CERT_FILE;

impl Config {
    /// Where default journals go: `journals/` of the state directory.
    pub fn journal_dir(&self) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(state_dir)
            .join("journals")
    }

    /// Defaults overlaid with the environment (`CP_BASE_URL`, `X_CP_API_ID`, ...), the same names
    /// the official `ncm` Python client reads; `IGNITENET_BASE_URL` and `IGNITENET_API_KEY`.
    pub fn from_env() -> Config {
        let mut c = Config::default();
        c.apply_env();
        c.library_path = library_path_from_env();
        c
    }

    /// Defaults, then the profile (`profile`, else `FLEETSCRIPT_PROFILE`, else the file's
    /// `default_profile`, else a profile named `default`), then the environment. Returns the
    /// config and warnings to show (a config file readable by others).
    pub fn load(profile: Option<&str>) -> Result<(Config, Vec<String>)> {
        Self::load_from(&config_file_path(), profile)
    }

    /// The profile names of the config file, sorted (`run --all-profiles`).
    pub fn profile_names() -> Result<Vec<String>> {
        let path = config_file_path();
        if !path.exists() {
            return Err(Error::Config(format!(
                "--all-profiles: there is no {}; create it with a [profiles.NAME] table per account",
                path.display()
            )));
        }
        let (file, _) = read_config_file(&path)?;
        Ok(file.profiles.keys().cloned().collect())
    }

    pub fn load_from(path: &Path, profile: Option<&str>) -> Result<(Config, Vec<String>)> {
        let mut c = Config::default();
        let mut warnings = vec![];
        let env_profile = std::env::var("FLEETSCRIPT_PROFILE")
            .ok()
            .filter(|p| !p.trim().is_empty());
        let wanted = profile.map(str::to_string).or(env_profile);
        if path.exists() {
            let (file, w) = read_config_file(path)?;
            warnings.extend(w);
            c.profile_secrets = file_secrets(&file);
            let name = wanted.clone().or(file.default_profile.clone()).or_else(|| {
                file.profiles
                    .contains_key("default")
                    .then(|| "default".to_string())
            });
            if let Some(name) = name {
                let p = file.profiles.get(&name).ok_or_else(|| {
                    Error::Config(format!(
                        "profile {name:?} is not in {}; it has: {}",
                        path.display(),
                        if file.profiles.is_empty() {
                            "no profiles".to_string()
                        } else {
                            file.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                        }
                    ))
                })?;
                let dir = path.parent().unwrap_or(Path::new("."));
                c.apply_profile(&name, p, dir)?;
            }
        } else if let Some(name) = wanted {
            return Err(Error::Config(format!(
                "profile {name:?} asked for, but there is no {}; create it with a [profiles.{name}] table",
                path.display()
            )));
        }
        c.apply_env();
        c.library_path = library_path_from_env();
        Ok((c, warnings))
    }

    /// Trusts the CA certificates of `path` (PEM) besides the system's, in place of any other
    /// `ca_file` given (a flag's replaces the profile's); `SSL_CERT_FILE` applies as well.
    pub fn set_ca_file(&mut self, path: PathBuf, origin: String) {
        self.http.ca_files.retain(|f| f.origin == SSL_CERT_FILE);
        self.http.ca_files.insert(0, CaFile { path, origin });
    }

    /// The request timeout, connect and total.
    pub fn set_timeout(&mut self, t: Duration) {
        self.http.timeout = t;
        self.http.connect_timeout = t;
    }

    /// The library path as the colon-separated list `FLEETSCRIPT_PATH` uses.
    pub fn library_path_text(&self) -> String {
        self.library_path
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(":")
    }

    /// Every secret value known to the configuration, for redaction: the API keys (see
    /// [`secret_sources`](Self::secret_sources)) and the password of every proxy URL in use
    /// (the profile's, the environment's), whatever its length.
    pub fn secrets(&self) -> Vec<String> {
        let mut s: Vec<String> = self.secret_sources().into_iter().map(|(_, v)| v).collect();
        let env = crate::http::tls::PROXY_VARIABLES
            .iter()
            .flat_map(|v| [v.to_string(), v.to_ascii_lowercase()])
            .filter_map(|v| std::env::var(v).ok());
        for p in self.http.proxy.iter().cloned().chain(env) {
            s.extend(crate::http::tls::proxy_password(&p));
            // As written in the URL too (percent-encoded).
            if let Some(raw) = url::Url::parse(p.trim())
                .ok()
                .and_then(|u| u.password().map(str::to_string))
            {
                s.push(raw);
            }
        }
        s
    }

    /// Every secret with where it came from: the keys in use, every key of every profile of
    /// the config file (not only the active one), and the key variables of the environment.
    pub fn secret_sources(&self) -> Vec<(String, String)> {
        let mut s: Vec<(String, String)> = NcmCredentials::ENV
            .iter()
            .zip(self.ncm_credentials.values())
            .map(|(n, v)| (n.to_string(), v.trim().to_string()))
            .collect();
        s.push((
            "IGNITENET_API_KEY".into(),
            self.ignitenet.api_key.trim().into(),
        ));
        s.extend(self.profile_secrets.iter().cloned());
        s.extend(env_secrets());
        s.retain(|(_, v)| !v.is_empty());
        s
    }

    /// Are this cloud's keys all set (the four NCM keys; the IgniteNet key)?
    pub fn has_credentials(&self, cloud: Cloud) -> bool {
        match cloud {
            Cloud::Ncm => self.ncm_credentials.missing().is_empty(),
            Cloud::IgniteNet => !self.ignitenet.api_key.trim().is_empty(),
        }
    }

    /// Where this cloud's keys are set, for a message that says which to set or check: the
    /// profile's keys when the profile gave them, else the environment variables (never a value).
    pub fn keys_hint(&self, cloud: Cloud) -> String {
        let keys = cloud.keys();
        let vars: Vec<&str> = keys.iter().map(|(_, v)| *v).collect();
        let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
        let file = config_file_path();
        let source = |k: &str| self.sources.get(k).map(String::as_str).unwrap_or_default();
        let from_env = keys
            .iter()
            .any(|(k, _)| source(k).starts_with("environment"));
        // The profile that gave them, else the active one (where missing keys would go).
        let profile = keys
            .iter()
            .find_map(|(k, _)| source(k).strip_prefix("profile ").map(str::to_string))
            .or_else(|| self.profile.clone())
            .filter(|_| !from_env);
        match profile {
            Some(p) => format!(
                "{} of profile {p} in {} (or {} in the environment)",
                names.join(", "),
                file.display(),
                vars.join(", ")
            ),
            None => format!(
                "{} (or {} in a profile of {})",
                vars.join(", "),
                names.join(", "),
                file.display()
            ),
        }
    }

    /// Refuses secrets that masking cannot hide safely (too short or too common: masking
    /// `true` would rewrite every `true` in a message). Names the key, never its value.
    pub fn check_secrets(&self) -> Result<()> {
        for (from, v) in self.secret_sources() {
            crate::settings::check_secret(&from, &v)?;
        }
        Ok(())
    }
}
