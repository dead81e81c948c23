//! Settings into a `Config`, by the settings table: the one way a profile, the environment, a
//! flag and the REPL's `:set` turn what was written into a setting (checked against its
//! bounds, noted with where it came from), and the way back (`setting`, `config show`).

use super::{Config, Profile, Written, SSL_CERT_FILE};
use crate::error::{Error, Result};
use crate::http::tls::CaFile;
use crate::settings::{Kind, Setting, SETTINGS};
use std::path::{Path, PathBuf};

/// Where a setting came from: its source in `config show`, and how an error names it.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// A command-line flag (`--timeout`).
    Flags,
    /// A profile of `config.toml`, and the directory relative files are found in.
    Profile(&'a str, &'a Path),
    /// The setting's environment variable.
    Env,
    /// The REPL's `:set`.
    Prompt,
}

impl Origin<'_> {
    /// `flag --timeout`, `profile lab`, `environment X_CP_API_KEY`, `:set`.
    fn source(&self, s: &Setting) -> String {
        match self {
            Origin::Flags => format!("flag --{}", s.flag.map_or(s.name, |f| f.long)),
            Origin::Profile(name, _) => format!("profile {name}"),
            Origin::Env => format!("environment {}", s.env.unwrap_or_default()),
            Origin::Prompt => ":set".to_string(),
        }
    }

    /// An error of this setting's value, said as where it came from.
    fn error(&self, e: impl std::fmt::Display) -> Error {
        match self {
            Origin::Flags => Error::invalid(format!("--{e}")),
            Origin::Profile(name, _) => Error::Config(format!("profile {name}: {e}")),
            Origin::Env | Origin::Prompt => Error::invalid(e.to_string()),
        }
    }
}

impl Config {
    /// Sets one setting of the table from a written value, checked (a number against its
    /// bounds, a proxy URL's form), and notes where it came from. An empty text is no value.
    pub fn set(&mut self, s: &'static Setting, v: &Written, origin: Origin<'_>) -> Result<()> {
        let applied = match (s.kind, v) {
            (Kind::Number, Written::Number(n)) => self.set_number(s, *n, origin)?,
            (Kind::Bool, Written::Bool(b)) => self.set_bool(s, *b),
            (Kind::Text | Kind::Secret | Kind::Path | Kind::Proxy, Written::Text(t)) => {
                self.set_text(s, t.trim(), origin)?
            }
            _ => {
                let kind = match s.kind {
                    Kind::Number => "a number",
                    Kind::Bool => "true or false",
                    _ => "text",
                };
                return Err(origin.error(format!("{} takes {kind}", s.name)));
            }
        };
        if applied {
            self.sources.insert(s.name, origin.source(s));
        }
        Ok(())
    }

    /// Sets every setting `values` gives, in the table's order.
    pub fn apply(&mut self, values: &Profile, origin: Origin<'_>) -> Result<()> {
        for s in SETTINGS {
            if let Some(v) = values.values.get(s.name) {
                self.set(s, v, origin)?;
            }
        }
        Ok(())
    }

    pub(super) fn apply_profile(&mut self, name: &str, p: &Profile, dir: &Path) -> Result<()> {
        self.profile = Some(name.to_string());
        self.apply(p, Origin::Profile(name, dir))
    }

    /// The environment variables of the table's settings (`CP_BASE_URL`, the keys,
    /// `SSL_CERT_FILE`, ...); an empty one is unset.
    pub(super) fn apply_env(&mut self) {
        for s in SETTINGS {
            let Some(v) = s.env.and_then(|var| std::env::var(var).ok()) else {
                continue;
            };
            // Text settings cannot fail to apply.
            let _ = self.set(s, &Written::Text(v), Origin::Env);
        }
    }

    fn set_number(&mut self, s: &Setting, n: f64, origin: Origin<'_>) -> Result<bool> {
        let Some(b) = s.bounds_as(matches!(origin, Origin::Flags)) else {
            return Err(origin.error(format!("{} has no bounds", s.name)));
        };
        let bad = |e| origin.error(e);
        match s.name {
            "concurrency" => self.bulk_concurrency = b.usize(n).map_err(bad)?,
            "page_concurrency" => self.page_concurrency = b.usize(n).map_err(bad)?,
            "rate_limit" => self.bulk_rate = b.check(n).map_err(bad)?,
            "ignitenet_rate_limit" => {
                self.ignitenet.rate_limit.requests = b.usize(n).map_err(bad)?;
            }
            "timeout" => self.set_timeout(b.duration(n).map_err(bad)?),
            // At most `RETRIES.max`, so it fits.
            "retries" => self.http.retry.max_retries = b.count(n).map_err(bad)? as u32,
            "retry_delay_ms" => self.http.retry.base_delay = b.duration(n).map_err(bad)?,
            "max_body_mb" => {
                self.http.max_body = (b.check(n).map_err(bad)? * 1024.0 * 1024.0) as u64;
            }
            "max_memory" => {
                let mb = b.count(n).map_err(bad)?;
                self.limits.max_memory = usize::try_from(mb << 20).ok();
            }
            other => return Err(origin.error(format!("{other} is not a number setting"))),
        }
        Ok(true)
    }

    fn set_bool(&mut self, s: &Setting, b: bool) -> bool {
        match s.name {
            "read_only" => self.http.read_only = b,
            _ => return false,
        }
        true
    }

    /// A text setting; `false` when the text is empty (no value).
    fn set_text(&mut self, s: &Setting, v: &str, origin: Origin<'_>) -> Result<bool> {
        if v.is_empty() {
            return Ok(false);
        }
        match s.kind {
            Kind::Path => return Ok(self.set_ca_path(PathBuf::from(v), origin)),
            Kind::Proxy => {
                crate::http::tls::check_proxy(v).map_err(|e| origin.error(e))?;
                self.http.proxy = Some(v.to_string());
            }
            _ => match self.text_slot(s.name) {
                Some(slot) => *slot = v.to_string(),
                None => return Err(origin.error(format!("{} is not a text setting", s.name))),
            },
        }
        Ok(true)
    }

    /// `ca_file`: the flag's or the profile's (relative to the config file) replaces the other;
    /// `SSL_CERT_FILE` applies besides. `true` when it is a source `config show` names.
    fn set_ca_path(&mut self, path: PathBuf, origin: Origin<'_>) -> bool {
        match origin {
            Origin::Env => {
                self.http.ca_files.retain(|c| c.origin != SSL_CERT_FILE);
                self.http.ca_files.push(CaFile {
                    path,
                    origin: SSL_CERT_FILE.into(),
                });
                return false;
            }
            Origin::Flags => self.set_ca_file(path, "--ca-file".into()),
            Origin::Profile(name, dir) => {
                self.set_ca_file(dir.join(path), format!("profile {name}: ca_file"));
            }
            Origin::Prompt => self.set_ca_file(path, ":set ca_file".into()),
        }
        true
    }

    /// Where a text setting lives.
    fn text_slot(&mut self, key: &str) -> Option<&mut String> {
        Some(match key {
            "ncm_base_url" => &mut self.ncm_base_url,
            "x_cp_api_id" => &mut self.ncm_credentials.cp_api_id,
            "x_cp_api_key" => &mut self.ncm_credentials.cp_api_key,
            "x_ecm_api_id" => &mut self.ncm_credentials.ecm_api_id,
            "x_ecm_api_key" => &mut self.ncm_credentials.ecm_api_key,
            "ignitenet_base_url" => &mut self.ignitenet.base_url,
            "ignitenet_api_key" => &mut self.ignitenet.api_key,
            _ => return None,
        })
    }

    /// A setting's current value as text (secrets included: mask before showing); empty when
    /// it has none.
    pub fn setting(&self, key: &str) -> String {
        if let Some(v) = self.clone().text_slot(key) {
            return v.clone();
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
            "max_body_mb" => format!("{} MiB", self.http.max_body as f64 / (1024.0 * 1024.0)),
            "max_memory" => self
                .limits
                .max_memory
                .map_or_else(String::new, |m| format!("{} MiB", m >> 20)),
            "ca_file" => self
                .http
                .ca_files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            "proxy" => self.http.proxy.clone().unwrap_or_default(),
            "read_only" => self.http.read_only.to_string(),
            _ => String::new(),
        }
    }

    /// `config show`: the config file, the profile, every setting of the table with its
    /// source (secrets as `****`), and the library path.
    pub fn describe(&self) -> String {
        format!(
            "config file: {}\nprofile: {}\n{}library path: {}\n",
            super::config_file_path().display(),
            self.profile.as_deref().unwrap_or("(none)"),
            self.describe_settings(),
            self.library_path_text()
        )
    }

    /// A line per setting of the table: its value (secrets as `****`, or `(not set)`) and where
    /// it came from (`config show`, the REPL's `:set`).
    pub fn describe_settings(&self) -> String {
        let w = SETTINGS.iter().map(|s| s.name.len()).max().unwrap_or(0);
        let mut out = String::new();
        for s in SETTINGS {
            match s.kind {
                Kind::Path => out.push_str(&self.describe_ca_files(w)),
                Kind::Proxy => out.push_str(&self.describe_proxy(w)),
                _ => {
                    let v = self.setting(s.name);
                    let shown = if v.is_empty() {
                        "(not set)".to_string()
                    } else if s.kind == Kind::Secret {
                        "****".to_string()
                    } else {
                        v
                    };
                    let src = self.sources.get(s.name).map_or("default", String::as_str);
                    out.push_str(&format!("{:<w$}  {shown}  ({src})\n", s.name));
                }
            }
        }
        out
    }

    /// The CA files' lines, each with where it came from.
    fn describe_ca_files(&self, w: usize) -> String {
        if self.http.ca_files.is_empty() {
            return format!(
                "{:<w$}  (not set: the system's trust store only)  (default)\n",
                "ca_file"
            );
        }
        let mut out = String::new();
        for f in &self.http.ca_files {
            out.push_str(&format!(
                "{:<w$}  {}  ({})\n",
                "ca_file",
                f.path.display(),
                f.origin
            ));
        }
        out
    }

    /// The proxy's line (its password masked): the profile's, else the environment's.
    fn describe_proxy(&self, w: usize) -> String {
        use crate::http::tls;
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
        format!("{:<w$}  {proxy}  ({src})\n", "proxy")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Kind;

    /// A value each setting takes (a number within its bounds, other than its default).
    fn sample(s: &Setting) -> Written {
        match s.kind {
            Kind::Number => {
                let b = s.bounds.expect("a number has bounds");
                Written::Number(if b.min.fract() == 0.0 {
                    b.min + 1.0
                } else {
                    b.max
                })
            }
            Kind::Bool => Written::Bool(true),
            Kind::Proxy => Written::Text("http://proxy.test:3128".into()),
            Kind::Path => Written::Text("/tmp/ca.pem".into()),
            Kind::Text | Kind::Secret => Written::Text("https://sample.test/value".into()),
        }
    }

    #[test]
    fn every_stated_default_is_what_a_default_config_holds() {
        let c = Config::default();
        for s in SETTINGS.iter().filter(|s| !s.default.is_empty()) {
            let v = c.setting(s.name);
            assert_eq!(
                v.split_whitespace().next(),
                Some(s.default),
                "{}: {v}",
                s.name
            );
        }
    }

    /// Adding a setting to the table is enough for it to be set (from anywhere), read back and
    /// listed by `config show` and `:set` with where it came from; a setting the table has and
    /// `Config` does not handle fails here.
    #[test]
    fn every_setting_is_set_read_back_and_listed_with_its_source() {
        for s in SETTINGS {
            let mut c = Config::default();
            let before = c.setting(s.name);
            c.set(s, &sample(s), Origin::Prompt)
                .unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert_ne!(c.setting(s.name), before, "{} did not change", s.name);
            assert_eq!(
                c.sources.get(s.name).map(String::as_str),
                Some(":set"),
                "{}",
                s.name
            );
            let listed = c.describe_settings();
            let line = listed
                .lines()
                .find(|l| l.split_whitespace().next() == Some(s.name))
                .unwrap_or_else(|| panic!("{} not listed:\n{listed}", s.name));
            assert!(line.contains(":set"), "{line}");
            assert!(c.describe().contains(line), "{}", s.name);
        }
    }

    #[test]
    fn values_out_of_bounds_or_of_the_wrong_kind_are_refused_naming_where_they_came_from() {
        let dir = Path::new(".");
        let page = crate::settings::setting("page_concurrency").unwrap();
        let mut c = Config::default();
        let e = c
            .set(page, &Written::Number(0.0), Origin::Flags)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--page-concurrency must be 1 to 32"), "{e}");
        let e = c
            .set(
                page,
                &Written::Number(f64::NAN),
                Origin::Profile("lab", dir),
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("profile lab: page_concurrency must be"), "{e}");
        let e = c
            .set(page, &Written::Text("8".into()), Origin::Prompt)
            .unwrap_err()
            .to_string();
        assert!(e.contains("page_concurrency takes a number"), "{e}");
        let proxy = crate::settings::setting("proxy").unwrap();
        assert!(c
            .set(proxy, &Written::Text("not a url".into()), Origin::Prompt)
            .is_err());
        assert_eq!(c.page_concurrency, Config::default().page_concurrency);
    }
}
