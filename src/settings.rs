//! The settings table ([`SETTINGS`]: each setting's name, kind, default, range, help, profile
//! key, environment variable and flag, from which profile parsing, the flags, their help,
//! `config show` and the REPL's `:set` are built), and checked conversions of every duration,
//! rate and count that comes from outside (a flag, a profile, a script option, a server header):
//! NaN, infinite, negative, zero where meaningless and values beyond a sane bound are errors
//! that name the option, never a panic. Each option's bounds live here so the command line,
//! profiles and scripts agree.

use crate::error::{Error, Result};
use std::time::Duration;

/// The bounds of one numeric option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// The name operators know it by (a flag, a profile key, a script option).
    pub name: &'static str,
    pub min: f64,
    pub max: f64,
    /// Is 0 allowed as "none / no limit" even when `min` is above it?
    pub zero_means_none: bool,
    /// The unit, for messages ("s", "ms", "requests/s", "").
    pub unit: &'static str,
}

const fn b(name: &'static str, min: f64, max: f64, zero: bool, unit: &'static str) -> Bounds {
    Bounds {
        name,
        min,
        max,
        zero_means_none: zero,
        unit,
    }
}

/// Request timeout (connect and total), seconds.
pub const TIMEOUT: Bounds = b("timeout", 0.001, 3600.0, false, "s");
/// Retries of one request.
pub const RETRIES: Bounds = b("retries", 0.0, 100.0, false, "");
/// First retry delay, milliseconds.
pub const RETRY_DELAY_MS: Bounds = b("retry_delay_ms", 0.0, 600_000.0, false, "ms");
/// Bulk write parallelism.
pub const CONCURRENCY: Bounds = b("concurrency", 1.0, 64.0, false, "");
/// Pages of one offset-paged listing in flight at once.
pub const PAGE_CONCURRENCY: Bounds = b("page_concurrency", 1.0, 32.0, false, "");
/// Bulk write requests per second (0: no limit).
pub const RATE: Bounds = b("rate", 0.001, 10_000.0, true, "requests/s");
/// IgniteNet requests per 10 s.
pub const IGNITENET_RATE: Bounds = b("ignitenet_rate_limit", 1.0, 200.0, false, "per 10 s");
/// How long bulk writes wait for devices to sync, seconds.
pub const VERIFY_TIMEOUT: Bounds = b("verify_timeout", 0.0, 86_400.0, false, "s");
/// How long a roll-out wave must stay healthy after it synced, seconds.
pub const SOAK: Bounds = b("soak", 0.0, 86_400.0, false, "s");
/// How often bulk writes poll for sync, seconds.
pub const POLL_INTERVAL: Bounds = b("poll_interval", 0.01, 3600.0, false, "s");
/// Wall-clock limit of a script run, seconds.
pub const MAX_TIME: Bounds = b("max-time", 0.001, 30.0 * 86_400.0, false, "s");
/// How long a run has after its wall-clock limit to stop by itself, seconds.
pub const STOP_GRACE: Bounds = b("stop-grace", 0.0, 3600.0, false, "s");
/// Memory bound of a script run, MiB.
pub const MAX_MEMORY_MB: Bounds = b("max-memory", 16.0, 1_048_576.0, false, "MiB");
/// Largest response body, MiB.
pub const MAX_BODY_MB: Bounds = b("max-body-mb", 0.001, 16_384.0, false, "MiB");
/// Routers of a simulated fleet.
pub const SIM_ROUTERS: Bounds = b("routers", 1.0, 1_000_000.0, false, "");
/// Latency the simulator adds, milliseconds.
pub const SIM_LATENCY_MS: Bounds = b("latency-ms", 0.0, 60_000.0, false, "ms");
/// How long a simulated device takes to sync, milliseconds.
pub const SIM_SYNC_DELAY_MS: Bounds = b("sync-delay-ms", 0.0, 3_600_000.0, false, "ms");
/// How long a simulated device cut off by `--break-apn` waits before rolling back, seconds.
pub const SIM_ROLLBACK_AFTER: Bounds = b("rollback-after", 0.001, 86_400.0, false, "s");
/// How long a simulated router is offline installing a firmware upgrade, seconds.
pub const SIM_UPGRADE_SECS: Bounds = b("upgrade-secs", 0.0, 86_400.0, false, "s");
/// Fraction of simulated requests failed at random.
pub const SIM_FAIL_RATE: Bounds = b("fail-rate", 0.0, 1.0, false, "");

/// What a setting holds, and so how a value written for it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text: a URL.
    Text,
    /// An API key: never shown (`****`), masked wherever it appears, never typed at the prompt.
    Secret,
    /// A number, checked against the setting's bounds.
    Number,
    /// A file (a profile's is relative to the config file's directory).
    Path,
    /// A proxy URL (`http://[user:password@]host:port`): its password is masked.
    Proxy,
    /// `true` or `false`.
    Bool,
}

/// Where a setting's flag is listed among the connection flags of `run` and `repl` (`--help`
/// lists the access flags first, with `--dry-run`, then the connection's after `--allow-read`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagPlace {
    Access,
    Connection,
}

/// A setting's command-line flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    /// `--LONG`.
    pub long: &'static str,
    /// The value's placeholder in `--help` (none for a switch).
    pub value_name: &'static str,
    pub place: FlagPlace,
    /// Its position among the flags of its place in `--help`.
    pub rank: u8,
}

/// One setting: everything the command line, profiles, the environment, `config show` and the
/// REPL's `:set` know of it. Where its value lives in a `Config` is `Config::set`/`Config::setting`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setting {
    /// Its name in `config show` and `:set`, and its key in a profile (when `profile`).
    pub name: &'static str,
    pub kind: Kind,
    /// One line saying what it does (the flag's help, `:set`'s list).
    pub help: &'static str,
    /// The default as `--help` states it (empty: none, or the profile's).
    pub default: &'static str,
    /// The range of a number.
    pub bounds: Option<Bounds>,
    /// Can a profile of `config.toml` set it (under `name`)?
    pub profile: bool,
    /// The environment variable that sets it.
    pub env: Option<&'static str>,
    pub flag: Option<Flag>,
}

const fn flag(
    long: &'static str,
    value_name: &'static str,
    place: FlagPlace,
    rank: u8,
) -> Option<Flag> {
    Some(Flag {
        long,
        value_name,
        place,
        rank,
    })
}

const fn text(name: &'static str, env: &'static str, secret: bool, help: &'static str) -> Setting {
    Setting {
        name,
        kind: if secret { Kind::Secret } else { Kind::Text },
        help,
        default: "",
        bounds: None,
        profile: true,
        env: Some(env),
        flag: None,
    }
}

const fn number(
    name: &'static str,
    bounds: Bounds,
    default: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        name,
        kind: Kind::Number,
        help,
        default,
        bounds: Some(bounds.named(name)),
        profile: true,
        env: None,
        flag: None,
    }
}

const fn with_flag(
    mut s: Setting,
    long: &'static str,
    value_name: &'static str,
    rank: u8,
) -> Setting {
    s.flag = flag(long, value_name, FlagPlace::Connection, rank);
    s
}

const fn flag_only(mut s: Setting) -> Setting {
    s.profile = false;
    s
}

/// The variable naming a PEM file of CA certificates (OpenSSL's; also read by the platform
/// verifier on Linux): trusted as `ca_file` is.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Every setting, in the order `config show` lists them.
pub const SETTINGS: &[Setting] = &[
    text("ncm_base_url", "CP_BASE_URL", false, "The NCM API v2 base URL"),
    text("x_cp_api_id", "X_CP_API_ID", true, "NCM API key: X-CP-API-ID"),
    text("x_cp_api_key", "X_CP_API_KEY", true, "NCM API key: X-CP-API-KEY"),
    text("x_ecm_api_id", "X_ECM_API_ID", true, "NCM API key: X-ECM-API-ID"),
    text("x_ecm_api_key", "X_ECM_API_KEY", true, "NCM API key: X-ECM-API-KEY"),
    text("ignitenet_base_url", "IGNITENET_BASE_URL", false, "The IgniteNet Cloud API base URL"),
    text("ignitenet_api_key", "IGNITENET_API_KEY", true, "IgniteNet Cloud API key (x-api-key)"),
    number("concurrency", CONCURRENCY, "4", "Bulk config writes in flight at once"),
    with_flag(
        number("page_concurrency", PAGE_CONCURRENCY, "8", "Pages of one listing fetched at once (offset-paged endpoints)"),
        "page-concurrency",
        "N",
        6,
    ),
    number("rate_limit", RATE, "20", "Bulk config writes per second (NCM; 0: no limit)"),
    number("ignitenet_rate_limit", IGNITENET_RATE, "190", "IgniteNet requests per 10 seconds (the API allows 200)"),
    with_flag(
        number("timeout", TIMEOUT, "30", "Request timeout in seconds (connect and total)"),
        "timeout",
        "SECS",
        1,
    ),
    with_flag(
        number("retries", RETRIES, "5", "Retries for 429/502/503/504 and connection errors on GET/PUT/PATCH/DELETE"),
        "retries",
        "N",
        2,
    ),
    with_flag(
        number("retry_delay_ms", RETRY_DELAY_MS, "500", "First retry delay in milliseconds (doubles each retry, with jitter)"),
        "retry-delay-ms",
        "MS",
        3,
    ),
    flag_only(with_flag(
        number("max_body_mb", MAX_BODY_MB, "256", "The largest API answer read, in MiB; a larger one is an error"),
        "max-body-mb",
        "MIB",
        4,
    )),
    flag_only(with_flag(
        number("max_memory", MAX_MEMORY_MB, "4096", "Stop the script when the process holds more than MIB of memory"),
        "max-memory",
        "MIB",
        5,
    )),
    Setting {
        name: "ca_file",
        kind: Kind::Path,
        help: "Trust the CA certificates of FILE (PEM) besides the system's, e.g. a TLS-inspecting proxy's",
        default: "",
        bounds: None,
        profile: true,
        env: Some(SSL_CERT_FILE),
        flag: flag("ca-file", "FILE", FlagPlace::Connection, 7),
    },
    Setting {
        name: "proxy",
        kind: Kind::Proxy,
        help: "The proxy every request goes through, but to the hosts NO_PROXY names",
        default: "",
        bounds: None,
        profile: true,
        env: None,
        flag: None,
    },
    Setting {
        name: "read_only",
        kind: Kind::Bool,
        help: "Refuse every write (an error, nothing sent); reads still happen",
        default: "",
        bounds: None,
        profile: true,
        env: None,
        flag: flag("read-only", "", FlagPlace::Access, 1),
    },
];

/// The setting of this name.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// The names of the settings a profile may set (for the message naming an unknown key).
pub fn profile_keys() -> &'static [&'static str] {
    static KEYS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        SETTINGS
            .iter()
            .filter(|s| s.profile)
            .map(|s| s.name)
            .collect()
    });
    KEYS.as_slice()
}

impl Setting {
    /// The flag's help: what it does, and its default (`[default: 30, or the profile's]`; a
    /// setting without a stated default: `[default: the profile's ca_file; SSL_CERT_FILE applies
    /// too]`).
    pub fn flag_help(&self) -> String {
        let default = match (self.default, self.profile) {
            ("", false) => return self.help.to_string(),
            (d, false) => d.to_string(),
            ("", true) => match self.env {
                Some(var) => format!("the profile's {}; {var} applies too", self.name),
                None => format!("the profile's {}", self.name),
            },
            (d, true) => format!("{d}, or the profile's"),
        };
        format!("{} [default: {default}]", self.help)
    }

    /// The bounds of a number, named as the operator wrote it: `--page-concurrency` on the
    /// command line, `page_concurrency` elsewhere.
    pub fn bounds_as(&self, on_command_line: bool) -> Option<Bounds> {
        let b = self.bounds?;
        Some(match self.flag.filter(|_| on_command_line) {
            Some(f) => b.named(f.long),
            None => b,
        })
    }
}

impl Bounds {
    /// The same bounds under the name a flag or profile key spells them.
    pub const fn named(self, name: &'static str) -> Bounds {
        Bounds { name, ..self }
    }

    fn range_text(&self) -> String {
        let u = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        let zero = if self.zero_means_none {
            " (or 0 for none)"
        } else {
            ""
        };
        format!("{} to {}{u}{zero}", fmt_num(self.min), fmt_num(self.max))
    }

    /// Checks a number against these bounds.
    pub fn check(&self, v: f64) -> Result<f64> {
        let ok = v.is_finite()
            && ((v >= self.min && v <= self.max) || (self.zero_means_none && v == 0.0));
        if ok {
            Ok(v)
        } else {
            Err(Error::invalid(format!(
                "{} must be {}, not {}",
                self.name,
                self.range_text(),
                fmt_num(v)
            )))
        }
    }

    /// A number of seconds as a duration (`unit` "s"), or of milliseconds (`unit` "ms").
    pub fn duration(&self, v: f64) -> Result<Duration> {
        let v = self.check(v)?;
        let secs = if self.unit == "ms" { v / 1000.0 } else { v };
        Duration::try_from_secs_f64(secs).map_err(|e| Error::invalid(format!("{}: {e}", self.name)))
    }

    /// A whole count.
    pub fn count(&self, v: f64) -> Result<u64> {
        let v = self.check(v)?;
        if v.fract() != 0.0 {
            return Err(Error::invalid(format!(
                "{} must be a whole number ({}), not {}",
                self.name,
                self.range_text(),
                fmt_num(v)
            )));
        }
        // In range and whole, so the cast is exact.
        Ok(v as u64)
    }

    /// A count as `usize`.
    pub fn usize(&self, v: f64) -> Result<usize> {
        usize::try_from(self.count(v)?)
            .map_err(|_| Error::invalid(format!("{} is too large", self.name)))
    }
}

fn fmt_num(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A `Retry-After` header in seconds (the HTTP-date form is not used by these APIs and is
/// ignored), capped at `cap`; anything unparsable or absurd is ignored rather than trusted.
pub fn retry_after(header: &str, cap: Duration) -> Option<Duration> {
    let secs: f64 = header.trim().parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(secs).map_or(cap, |d| d.min(cap)))
}

/// The shortest secret masking can hide without rewriting ordinary words.
pub const MIN_SECRET_LEN: usize = 8;

/// Values that are not secrets whatever their length: masking them would rewrite ordinary text.
const COMMON_VALUES: &[&str] = &[
    "password",
    "changeme",
    "12345678",
    "123456789",
    "1234567890",
    "undefined",
    "localhost",
    "00000000",
    "secretkey",
    "your-key",
    "your_key",
    "api-key",
    "api_key",
    "none",
    "null",
    "true",
    "false",
];

/// Refuses a secret too short or too common to be masked safely, naming where it came from
/// (never its value).
pub fn check_secret(from: &str, value: &str) -> Result<()> {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    let one_char = v.chars().all(|c| v.starts_with(c));
    if v.chars().count() < MIN_SECRET_LEN || one_char || COMMON_VALUES.contains(&lower.as_str()) {
        return Err(Error::Config(format!(
            "{from} does not look like an API key ({} characters; keys are at least {MIN_SECRET_LEN} and not a common word). \
             It would be masked wherever it appears in messages, so it is refused: set the real key, or unset it",
            v.chars().count()
        )));
    }
    Ok(())
}

/// A number a script gives as an integer or a float (an option, a span of time).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(untagged)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// The number as a float.
    pub fn value(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// The number as a whole one (a fraction cut off), if finite and of a sane size.
    pub fn whole(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.is_finite() && f.abs() < 1e15 => Some(f as i64),
            Number::Float(_) => None,
        }
    }
}

/// `30s`, `1.5s`, `250ms`: a duration as an operator would write it.
pub fn human_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Bounds] = &[
        TIMEOUT,
        RETRIES,
        RETRY_DELAY_MS,
        CONCURRENCY,
        RATE,
        IGNITENET_RATE,
        VERIFY_TIMEOUT,
        POLL_INTERVAL,
        MAX_TIME,
        MAX_MEMORY_MB,
        MAX_BODY_MB,
        SIM_ROUTERS,
        SIM_LATENCY_MS,
        SIM_SYNC_DELAY_MS,
        SIM_ROLLBACK_AFTER,
        SIM_UPGRADE_SECS,
        SIM_FAIL_RATE,
    ];

    #[test]
    fn every_option_refuses_nan_infinity_negative_and_huge_values() {
        for b in ALL {
            for v in [
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -1.0,
                1e30,
                1e300,
            ] {
                let e = b.check(v).unwrap_err().to_string();
                assert!(e.contains(b.name), "{e}");
                assert!(b.duration(v).is_err() && b.count(v).is_err());
            }
            assert!(
                b.check(b.min).is_ok() && b.check(b.max).is_ok(),
                "{}",
                b.name
            );
            assert!(b.duration(b.max).is_ok(), "{}", b.name);
        }
        assert!(RATE.check(0.0).is_ok());
        assert!(TIMEOUT.check(0.0).is_err());
        assert!(TIMEOUT.check(1e-300).is_err());
        assert!(CONCURRENCY.count(1.5).is_err());
        assert_eq!(CONCURRENCY.usize(4.0).unwrap(), 4);
        assert_eq!(
            RETRY_DELAY_MS.duration(250.0).unwrap(),
            Duration::from_millis(250)
        );
    }

    #[test]
    fn the_table_names_each_setting_flag_and_variable_once_and_bounds_every_number() {
        let (mut seen, mut flags) = (std::collections::HashSet::new(), vec![]);
        for s in SETTINGS {
            assert!(seen.insert(s.name), "{} twice", s.name);
            if let Some(f) = s.flag {
                assert!(!flags.contains(&f.long), "--{} twice", f.long);
                flags.push(f.long);
                assert_eq!(f.long, s.name.replace('_', "-"), "{}", s.name);
                assert_eq!(f.value_name.is_empty(), s.kind == Kind::Bool, "{}", s.name);
            }
            if let Some(var) = s.env {
                assert!(seen.insert(var), "{var} twice");
            }
            assert_eq!(s.kind == Kind::Number, s.bounds.is_some(), "{}", s.name);
            assert!(s.bounds.is_none_or(|b| b.name == s.name), "{}", s.name);
            // A secret comes from a profile or the environment, never a flag (shell history).
            assert!(
                s.kind != Kind::Secret || (s.flag.is_none() && s.env.is_some()),
                "{}",
                s.name
            );
            assert!(s.profile || s.flag.is_some(), "{} cannot be set", s.name);
        }
        let ranks: Vec<(bool, u8)> = SETTINGS
            .iter()
            .filter_map(|s| s.flag)
            .map(|f| (f.place == FlagPlace::Access, f.rank))
            .collect();
        let unique: std::collections::HashSet<_> = ranks.iter().collect();
        assert_eq!(
            unique.len(),
            ranks.len(),
            "two flags share a place in --help"
        );
        assert_eq!(
            setting("timeout").unwrap().flag_help(),
            "Request timeout in seconds (connect and total) [default: 30, or the profile's]"
        );
        assert!(profile_keys().contains(&"read_only") && !profile_keys().contains(&"max_memory"));
    }

    #[test]
    fn short_or_common_secrets_are_refused_by_name_not_value() {
        for bad in [
            "true",
            "1",
            "  abc  ",
            "password",
            "xxxxxxxxxxxx",
            "changeme",
        ] {
            let e = check_secret("environment X_CP_API_ID", bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains("X_CP_API_ID"), "{e}");
            assert!(!e.contains(&format!(" {} ", bad.trim())), "{e}");
        }
        assert!(check_secret("x", "3f1c9a7e5b2d4c6a").is_ok());
        assert!(check_secret("x", "sandbox-cp-id").is_ok());
    }

    #[test]
    fn retry_after_is_never_trusted_blindly() {
        let cap = Duration::from_secs(300);
        assert_eq!(retry_after("2", cap), Some(Duration::from_secs(2)));
        assert_eq!(retry_after("1e30", cap), Some(cap));
        assert_eq!(retry_after("99999999999999999999", cap), Some(cap));
        assert_eq!(retry_after("-1", cap), None);
        assert_eq!(retry_after("NaN", cap), None);
        assert_eq!(retry_after("inf", cap), None);
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT", cap), None);
    }
}
