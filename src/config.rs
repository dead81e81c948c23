//! Runtime configuration: base URLs, credentials, HTTP behaviour, engine limits, script
//! arguments, the directories scripts may write to and the script-library path. Built from
//! defaults, the named profile of `$XDG_CONFIG_HOME/fleetscript/config.toml`, then the
//! environment; the CLI layers its flags on top (flags > environment > profile > defaults).

use crate::error::{Error, Result};
use crate::http::tls::CaFile;
use crate::http::HttpOptions;
use crate::ignitenet::IgniteNetOptions;
use crate::ncm::{NcmCredentials, DEFAULT_NCM_BASE_URL};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// One profile of `config.toml`; every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub ncm_base_url: Option<String>,
    pub x_cp_api_id: Option<String>,
    pub x_cp_api_key: Option<String>,
    pub x_ecm_api_id: Option<String>,
    pub x_ecm_api_key: Option<String>,
    pub ignitenet_base_url: Option<String>,
    pub ignitenet_api_key: Option<String>,
    /// Bulk write parallelism.
    pub concurrency: Option<f64>,
    /// Pages of one listing fetched at once.
    pub page_concurrency: Option<f64>,
    /// Bulk write requests per second (NCM).
    pub rate_limit: Option<f64>,
    /// IgniteNet requests per 10 seconds (the API allows 200).
    pub ignitenet_rate_limit: Option<f64>,
    /// Request timeout, seconds.
    pub timeout: Option<f64>,
    pub retries: Option<f64>,
    pub retry_delay_ms: Option<f64>,
    /// A PEM file of CA certificates trusted besides the system's (a TLS-inspecting proxy's
    /// CA); relative to the config file's directory.
    pub ca_file: Option<PathBuf>,
    /// The proxy every request goes through (`http://[user:password@]host:port`), but to the
    /// hosts `NO_PROXY` names; it takes the place of the environment's `HTTPS_PROXY`.
    pub proxy: Option<String>,
    /// Refuse every write of a run with this profile (an auditor's account).
    pub read_only: Option<bool>,
}

/// The numeric settings as written (a profile's keys or the command line's flags), before they
/// are checked: [`Config::apply_tuning`] checks them, the same way whichever way they came.
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    pub concurrency: Option<f64>,
    pub page_concurrency: Option<f64>,
    pub rate_limit: Option<f64>,
    pub ignitenet_rate_limit: Option<f64>,
    pub timeout: Option<f64>,
    pub retries: Option<f64>,
    pub retry_delay_ms: Option<f64>,
    pub max_body_mb: Option<f64>,
    pub max_memory_mb: Option<f64>,
}

/// Where settings came from, for errors and `fleetscript config show`.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    Flags,
    Profile(&'a str),
}

impl Profile {
    /// The profile's numeric settings.
    pub fn tuning(&self) -> Tuning {
        Tuning {
            concurrency: self.concurrency,
            page_concurrency: self.page_concurrency,
            rate_limit: self.rate_limit,
            ignitenet_rate_limit: self.ignitenet_rate_limit,
            timeout: self.timeout,
            retries: self.retries,
            retry_delay_ms: self.retry_delay_ms,
            max_body_mb: None,
            max_memory_mb: None,
        }
    }

    /// A text setting by its name in `STRING_SETTINGS`.
    pub fn string(&self, key: &str) -> Option<&String> {
        match key {
            "ncm_base_url" => self.ncm_base_url.as_ref(),
            "x_cp_api_id" => self.x_cp_api_id.as_ref(),
            "x_cp_api_key" => self.x_cp_api_key.as_ref(),
            "x_ecm_api_id" => self.x_ecm_api_id.as_ref(),
            "x_ecm_api_key" => self.x_ecm_api_key.as_ref(),
            "ignitenet_base_url" => self.ignitenet_base_url.as_ref(),
            "ignitenet_api_key" => self.ignitenet_api_key.as_ref(),
            _ => None,
        }
    }
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
    STRING_SETTINGS
        .iter()
        .filter(|(_, _, secret)| *secret)
        .filter_map(|(_, var, _)| {
            let v = std::env::var(var).ok()?.trim().to_string();
            (!v.is_empty()).then(|| (format!("environment {var}"), v))
        })
        .collect()
}

/// Every secret of every profile of a config file, labelled `profile NAME: key`.
fn file_secrets(file: &ConfigFile) -> Vec<(String, String)> {
    let mut out = vec![];
    for (name, p) in &file.profiles {
        for (key, _, secret) in STRING_SETTINGS {
            if let Some(v) = p.string(key).filter(|_| *secret) {
                let v = v.trim();
                if !v.is_empty() {
                    out.push((format!("profile {name}: {key}"), v.to_string()));
                }
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

/// The text settings: (name in `config.toml`, environment variable, is it a secret). One table
/// drives the profile, the environment, `config show` and redaction.
pub const STRING_SETTINGS: &[(&str, &str, bool)] = &[
    ("ncm_base_url", "CP_BASE_URL", false),
    ("x_cp_api_id", "X_CP_API_ID", true),
    ("x_cp_api_key", "X_CP_API_KEY", true),
    ("x_ecm_api_id", "X_ECM_API_ID", true),
    ("x_ecm_api_key", "X_ECM_API_KEY", true),
    ("ignitenet_base_url", "IGNITENET_BASE_URL", false),
    ("ignitenet_api_key", "IGNITENET_API_KEY", true),
];

/// The variable naming a PEM file of CA certificates (OpenSSL's; also read by the platform
/// verifier on Linux): trusted as `ca_file` is.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// The numeric settings `config show` lists after the text ones.
pub const NUMERIC_SETTINGS: &[&str] = &[
    "concurrency",
    "page_concurrency",
    "rate_limit",
    "ignitenet_rate_limit",
    "timeout",
    "retries",
    "retry_delay_ms",
];

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

    fn apply_profile(&mut self, name: &str, p: &Profile, dir: &Path) -> Result<()> {
        let src = format!("profile {name}");
        self.profile = Some(name.to_string());
        for (key, _, _) in STRING_SETTINGS {
            if let Some(v) = p.string(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                *self.string_slot(key) = v.to_string();
                self.sources.insert(key, src.clone());
            }
        }
        if let Some(f) = p.ca_file.as_ref().filter(|f| !f.as_os_str().is_empty()) {
            self.set_ca_file(dir.join(f), format!("profile {name}: ca_file"));
            self.sources.insert("ca_file", src.clone());
        }
        if let Some(proxy) = p.proxy.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            crate::http::tls::check_proxy(proxy)
                .map_err(|e| Error::Config(format!("profile {name}: {e}")))?;
            self.http.proxy = Some(proxy.to_string());
            self.sources.insert("proxy", src.clone());
        }
        if let Some(ro) = p.read_only {
            self.http.read_only = ro;
            self.sources.insert("read_only", src.clone());
        }
        self.apply_tuning(&p.tuning(), Origin::Profile(name))
    }

    /// Trusts the CA certificates of `path` (PEM) besides the system's, in place of any other
    /// `ca_file` given (a flag's replaces the profile's); `SSL_CERT_FILE` applies as well.
    pub fn set_ca_file(&mut self, path: PathBuf, origin: String) {
        self.http.ca_files.retain(|f| f.origin == SSL_CERT_FILE);
        self.http.ca_files.insert(0, CaFile { path, origin });
    }

    /// Checks each numeric setting given (against its bounds in `settings`, the one table) and
    /// applies it, noting where it came from: the one way a profile and the command line alike
    /// turn what was written into settings.
    pub fn apply_tuning(&mut self, t: &Tuning, origin: Origin<'_>) -> Result<()> {
        use crate::settings as st;
        let (src, flags) = match origin {
            Origin::Flags => ("flag".to_string(), true),
            Origin::Profile(name) => (format!("profile {name}"), false),
        };
        // Named as the operator wrote it: `--page-concurrency`, or `page_concurrency` in a profile.
        let check = |b: st::Bounds, flag: &'static str| if flags { b.named(flag) } else { b };
        let bad = |e: Error| match origin {
            Origin::Flags => Error::invalid(format!("--{e}")),
            Origin::Profile(name) => Error::Config(format!("profile {name}: {e}")),
        };
        let noted = |key: &'static str, sources: &mut BTreeMap<&'static str, String>| {
            let how = if flags {
                format!("flag --{}", key.replace('_', "-"))
            } else {
                src.clone()
            };
            sources.insert(key, how);
        };
        if let Some(n) = t.concurrency {
            self.bulk_concurrency = check(st::CONCURRENCY, "concurrency")
                .usize(n)
                .map_err(bad)?;
            noted("concurrency", &mut self.sources);
        }
        if let Some(n) = t.page_concurrency {
            self.page_concurrency = check(st::PAGE_CONCURRENCY, "page-concurrency")
                .usize(n)
                .map_err(bad)?;
            noted("page_concurrency", &mut self.sources);
        }
        if let Some(r) = t.rate_limit {
            self.bulk_rate = check(st::RATE.named("rate_limit"), "rate-limit")
                .check(r)
                .map_err(bad)?;
            noted("rate_limit", &mut self.sources);
        }
        if let Some(n) = t.ignitenet_rate_limit {
            self.ignitenet.rate_limit.requests = check(st::IGNITENET_RATE, "ignitenet-rate-limit")
                .usize(n)
                .map_err(bad)?;
            noted("ignitenet_rate_limit", &mut self.sources);
        }
        if let Some(v) = t.timeout {
            self.set_timeout(check(st::TIMEOUT, "timeout").duration(v).map_err(bad)?);
            noted("timeout", &mut self.sources);
        }
        if let Some(r) = t.retries {
            self.http.retry.max_retries =
                check(st::RETRIES, "retries").count(r).map_err(bad)? as u32;
            noted("retries", &mut self.sources);
        }
        if let Some(ms) = t.retry_delay_ms {
            self.http.retry.base_delay = check(st::RETRY_DELAY_MS, "retry-delay-ms")
                .duration(ms)
                .map_err(bad)?;
            noted("retry_delay_ms", &mut self.sources);
        }
        if let Some(mb) = t.max_body_mb {
            let mb = check(st::MAX_BODY_MB, "max-body-mb")
                .check(mb)
                .map_err(bad)?;
            self.http.max_body = (mb * 1024.0 * 1024.0) as u64;
        }
        if let Some(mb) = t.max_memory_mb {
            let mb = check(st::MAX_MEMORY_MB, "max-memory")
                .count(mb)
                .map_err(bad)?;
            self.limits.max_memory = usize::try_from(mb << 20).ok();
        }
        Ok(())
    }

    /// The request timeout, connect and total.
    pub fn set_timeout(&mut self, t: Duration) {
        self.http.timeout = t;
        self.http.connect_timeout = t;
    }

    fn apply_env(&mut self) {
        if let Some(f) = std::env::var_os(SSL_CERT_FILE).filter(|v| !v.is_empty()) {
            self.http.ca_files.retain(|c| c.origin != SSL_CERT_FILE);
            self.http.ca_files.push(CaFile {
                path: PathBuf::from(f),
                origin: SSL_CERT_FILE.into(),
            });
        }
        for (key, var, _) in STRING_SETTINGS {
            if let Some(v) = std::env::var(var)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
            {
                *self.string_slot(key) = v;
                self.sources.insert(key, format!("environment {var}"));
            }
        }
    }

    /// Where a text setting of `STRING_SETTINGS` lives.
    fn string_slot(&mut self, key: &str) -> &mut String {
        match key {
            "ncm_base_url" => &mut self.ncm_base_url,
            "x_cp_api_id" => &mut self.ncm_credentials.cp_api_id,
            "x_cp_api_key" => &mut self.ncm_credentials.cp_api_key,
            "x_ecm_api_id" => &mut self.ncm_credentials.ecm_api_id,
            "x_ecm_api_key" => &mut self.ncm_credentials.ecm_api_key,
            "ignitenet_base_url" => &mut self.ignitenet.base_url,
            "ignitenet_api_key" => &mut self.ignitenet.api_key,
            other => unreachable!("{other} is not in STRING_SETTINGS"),
        }
    }

    /// A setting's current value as text (secrets included: mask before showing).
    pub fn setting(&self, key: &str) -> String {
        if STRING_SETTINGS.iter().any(|(k, _, _)| *k == key) {
            // `config show` only: read through the one key -> field mapping.
            return self.clone().string_slot(key).clone();
        }
        match key {
            "concurrency" => self.bulk_concurrency.to_string(),
            "page_concurrency" => self.page_concurrency.to_string(),
            "rate_limit" => format!("{} requests/s", self.bulk_rate),
            "ignitenet_rate_limit" => format!(
                "{} requests per {:?}",
                self.ignitenet.rate_limit.requests, self.ignitenet.rate_limit.per
            ),
            "timeout" => format!("{} s", self.http.timeout.as_secs_f64()),
            "retries" => self.http.retry.max_retries.to_string(),
            "retry_delay_ms" => self.http.retry.base_delay.as_millis().to_string(),
            _ => String::new(),
        }
    }

    /// `config show`: every setting with its source; secrets as `****` (or `(not set)`).
    pub fn describe(&self) -> String {
        let mut out = format!(
            "config file: {}\nprofile: {}\n",
            config_file_path().display(),
            self.profile.as_deref().unwrap_or("(none)")
        );
        let all = STRING_SETTINGS
            .iter()
            .map(|(k, _, secret)| (*k, *secret))
            .chain(NUMERIC_SETTINGS.iter().map(|k| (*k, false)));
        let w = all.clone().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (key, secret) in all {
            let v = self.setting(key);
            let shown = if v.is_empty() {
                "(not set)".to_string()
            } else if secret {
                "****".to_string()
            } else {
                v
            };
            let src = self
                .sources
                .get(key)
                .map(String::as_str)
                .unwrap_or("default");
            out.push_str(&format!("{key:<w$}  {shown}  ({src})\n"));
        }
        out.push_str(&self.describe_network(w));
        out.push_str(&format!("library path: {}\n", self.library_path_text()));
        out
    }

    /// `config show`'s lines of the CA files and the proxy (its password masked), with where
    /// each came from.
    fn describe_network(&self, w: usize) -> String {
        use crate::http::tls;
        let mut out = String::new();
        if self.http.ca_files.is_empty() {
            out.push_str(&format!(
                "{:<w$}  (not set: the system's trust store only)  (default)\n",
                "ca_file"
            ));
        }
        for f in &self.http.ca_files {
            out.push_str(&format!(
                "{:<w$}  {}  ({})\n",
                "ca_file",
                f.path.display(),
                f.origin
            ));
        }
        let (proxy, src) = match &self.http.proxy {
            Some(p) => (
                tls::shown_text(p),
                self.sources.get("proxy").cloned().unwrap_or_default(),
            ),
            None => match tls::env_proxy("https") {
                Some((var, p)) => (tls::shown_text(&p), format!("environment {var}")),
                None => ("(none: direct)".to_string(), "default".to_string()),
            },
        };
        out.push_str(&format!("{:<w$}  {proxy}  ({src})\n", "proxy"));
        let src = self
            .sources
            .get("read_only")
            .map_or("default", String::as_str);
        out.push_str(&format!(
            "{:<w$}  {}  ({src})\n",
            "read_only", self.http.read_only
        ));
        out
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
