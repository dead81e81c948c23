//! The library's typed errors (`thiserror`) and the single conversion of an error into a
//! catchable Rhai error value (`status`, `message`, `body`, `method`, `url`, `errors`, `line`).

use serde_json::Value;
use std::fmt;

/// One entry of an NCM config-validation error body
/// (`errors[].configuration.{message, reason, path, value}`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConfigIssue {
    pub message: String,
    pub reason: String,
    pub path: Vec<Value>,
    pub value: Value,
}

impl ConfigIssue {
    /// The issue without the refused value (which may be a secret: a Wi-Fi key, a password):
    /// `wan.rules2.0.apn: invalid value`. For reasons kept in journals, reports and messages.
    pub fn without_value(&self) -> String {
        let path: Vec<String> = self
            .path
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        match (path.is_empty(), self.reason.is_empty()) {
            (true, _) => format!("the configuration: {}", self.reason),
            (false, true) => format!("{}: refused", path.join(".")),
            (false, false) => format!("{}: {}", path.join("."), self.reason),
        }
    }
}

/// A non-success answer of an API.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{method} {url} failed: HTTP {status}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub method: String,
    /// The URL without secrets (NCM keys travel in headers, never in the URL).
    pub url: String,
    pub message: String,
    /// The parsed JSON body, or the body text as a JSON string when it was not JSON.
    pub body: Value,
    /// Parsed config-validation errors (409/400 bodies), empty otherwise.
    pub errors: Vec<ConfigIssue>,
    /// A 403 the endpoint documents for a record it does not show ("403 Forbidden # Invalid URL
    /// or resource not visible"): a missing record, not refused credentials.
    pub not_visible: bool,
}

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API answered with a non-success status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request never got an HTTP answer (DNS, connection refused, timeout...).
    #[error("{method} {url} failed: {message}")]
    Transport {
        method: String,
        url: String,
        message: String,
        timeout: bool,
        /// No server answered (refused, unreachable, timed out, cut off) after the retries the
        /// transport allows: the cloud is unavailable for now. False for an answer that came but
        /// could not be taken (too large, a stalled body).
        unreachable: bool,
    },
    /// The server's TLS certificate could not be verified (or the handshake failed): it will
    /// not fix itself, so it is never retried. One line: the host, the reason, the fix.
    #[error("cannot verify the TLS certificate of {host}: {reason}; {fix}")]
    Tls {
        method: &'static str,
        url: String,
        host: String,
        /// `unknown issuer (...)`, `the certificate has expired`, `name mismatch (...)`.
        reason: String,
        /// What to do: give the CA with `ca_file`, check the clock, check the base URL.
        fix: String,
    },
    /// A request dropped before its answer came because nothing needs it any more (a page asked
    /// for ahead past the end of a listing); never reaches a script.
    #[error("the request was dropped: its answer is no longer needed")]
    NotNeeded,
    /// A query or argument was rejected before any request was sent.
    #[error("{0}")]
    Invalid(String),
    /// The endpoint does not document this method.
    #[error("{endpoint} does not support {method} (it supports {allowed})")]
    MethodNotSupported {
        endpoint: String,
        method: String,
        allowed: String,
    },
    /// The API answered 2xx with something that is not the documented shape.
    #[error("{method} {url}: unexpected response: {message}")]
    Protocol {
        method: String,
        url: String,
        message: String,
    },
    /// A config diff that is malformed or does not apply (the spec's validation wording).
    #[error("{}", .0.message)]
    Diff(Box<ConfigIssue>),
    /// Missing credentials or a bad configuration value.
    #[error("configuration: {0}")]
    Config(String),
    /// The API answered, but refused the change for a reason it states (IgniteNet's
    /// `configSuspended`, or `serverSideChanged` on every attempt); nothing was saved.
    #[error("{0}")]
    Refused(String),
    /// The operator interrupted the work (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
    /// Another run holds the lock of this backup directory or journal (an `flock`: its holder
    /// is a live process, as a dead one's lock is released with it).
    #[error("{}", locked_message(path, holder, *running))]
    Locked {
        path: String,
        /// The pid the lock file names.
        holder: String,
        /// Whether that pid is a running process here (it is not when the holder runs in
        /// another container or pid namespace).
        running: bool,
        /// How long it has held the lock (the lock file's age), when known.
        held: Option<std::time::Duration>,
    },
    /// A lock held longer than the time between two scheduled runs: its holder is stuck, and
    /// waiting for it would skip every later run too (exit 1, not 75).
    #[error("another fleetscript run (pid {holder}) has held {path} since {since} ({held}), longer than the {period} between two runs: it is stuck. See what it is doing (`ps -o pid,etime,args -p {holder}`), end it (`kill {holder}`), then run again")]
    LockStuck {
        path: String,
        holder: String,
        /// When it took the lock (UTC).
        since: String,
        held: String,
        period: String,
    },
    /// The git backup repository could not be read or written.
    #[error("git repository {path}: {message}")]
    Git { path: String, message: String },
    /// The git backup repository is damaged: an object a run relies on is not whole.
    #[error("git repository {path} is damaged: the object {object} ({what}) {problem}; restore the repository from a copy (or move it aside to start a new one), and run `git fsck` in it to see what else is damaged")]
    Corrupt {
        path: String,
        object: String,
        /// What the object is to the run: `routers/42.json at HEAD`, `the last commit (HEAD)`.
        what: String,
        problem: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The message of [`Error::Locked`].
fn locked_message(path: &str, holder: &str, running: bool) -> String {
    if running {
        format!("another fleetscript run (pid {holder}) holds {path}; it is still working on it: try again when it is done")
    } else {
        format!("another process holds {path}; the pid it wrote there ({holder}) is not running here (a run in another container or pid namespace?): try again when it is done")
    }
}

/// What an error says of the run it ends, when nothing catches it: the classes of the exit-code
/// contract beyond "the job failed". Scripts see it as `e.cause`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The job ran and something failed (exit 1).
    Failure,
    /// The cloud refused the credentials: HTTP 401 or 403 (exit 3).
    AuthRefused,
    /// The cloud could not be reached, or answered 429/502/503/504, after every retry (exit 75).
    Unavailable,
    /// Another run holds a lock this one needs (exit 75).
    Locked,
}

impl Cause {
    /// `failure`, `auth`, `unavailable`, `locked`: the text of `e.cause`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Failure => "failure",
            Cause::AuthRefused => "auth",
            Cause::Unavailable => "unavailable",
            Cause::Locked => "locked",
        }
    }

    /// The cause a text of [`Cause::as_str`] names.
    pub fn parse(s: &str) -> Option<Cause> {
        [
            Cause::Failure,
            Cause::AuthRefused,
            Cause::Unavailable,
            Cause::Locked,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// HTTP statuses that mean "not now" rather than "no": after the transport's retries, the
/// cloud is unavailable (rate limited, a gateway down, overloaded).
pub const UNAVAILABLE_STATUSES: [u16; 4] = [429, 502, 503, 504];

impl Error {
    pub fn invalid(msg: impl fmt::Display) -> Self {
        Error::Invalid(msg.to_string())
    }

    pub fn diff(issue: Box<ConfigIssue>) -> Self {
        Error::Diff(issue)
    }

    pub fn io(path: impl fmt::Display, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }

    /// The HTTP status, when the error came from an HTTP answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(a) => Some(a.status),
            _ => None,
        }
    }

    /// A short machine-readable kind, exposed to scripts as `e.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Api(_) => "api",
            Error::Transport { timeout: true, .. } => "timeout",
            Error::Transport { .. } => "transport",
            Error::Tls { .. } => "tls",
            Error::NotNeeded => "dropped",
            Error::Invalid(_) => "invalid",
            Error::MethodNotSupported { .. } => "method",
            Error::Protocol { .. } => "protocol",
            Error::Diff(_) => "validation",
            Error::Config(_) => "config",
            Error::Refused(_) => "refused",
            Error::Interrupted => "interrupted",
            Error::Io { .. } => "io",
            Error::Git { .. } => "git",
            Error::Corrupt { .. } => "corrupt",
            Error::Locked { .. } => "locked",
            Error::LockStuck { .. } => "stuck",
        }
    }

    /// What the error says of a run it ends (see [`Cause`]).
    pub fn cause(&self) -> Cause {
        match self {
            Error::Api(a) if matches!(a.status, 401 | 403) && !a.not_visible => Cause::AuthRefused,
            Error::Api(a) if UNAVAILABLE_STATUSES.contains(&a.status) => Cause::Unavailable,
            Error::Transport {
                unreachable: true, ..
            } => Cause::Unavailable,
            Error::Locked { .. } => Cause::Locked,
            _ => Cause::Failure,
        }
    }

    /// The message without the method/URL prefix, and without any configuration value the API
    /// quoted back (config validation errors name the path and the reason only): fit for a
    /// journal, a report or a message, where a refused Wi-Fi key must not appear.
    pub fn reason_without_values(&self) -> String {
        match self {
            Error::Api(a) if !a.errors.is_empty() => a
                .errors
                .iter()
                .map(ConfigIssue::without_value)
                .collect::<Vec<_>>()
                .join("; "),
            Error::Diff(i) => i.without_value(),
            other => other.short_message(),
        }
    }

    /// The message without the method/URL prefix.
    pub fn short_message(&self) -> String {
        match self {
            Error::Api(a) => a.message.clone(),
            Error::Transport { message, .. } | Error::Protocol { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// The request an error came from and what the server said of it: method, URL, body and
    /// the per-field problems (empty where they do not apply).
    pub fn request_parts(&self) -> (String, String, Value, Vec<ConfigIssue>) {
        match self {
            Error::Api(a) => (
                a.method.clone(),
                a.url.clone(),
                a.body.clone(),
                a.errors.clone(),
            ),
            Error::Transport { method, url, .. } | Error::Protocol { method, url, .. } => {
                (method.clone(), url.clone(), Value::Null, vec![])
            }
            Error::Tls { method, url, .. } => {
                (method.to_string(), url.clone(), Value::Null, vec![])
            }
            Error::Diff(i) => (
                String::new(),
                String::new(),
                Value::Null,
                vec![(**i).clone()],
            ),
            _ => (String::new(), String::new(), Value::Null, vec![]),
        }
    }
}

/// Applies `redact` to every string inside a JSON value.
pub fn redact_value(v: &Value, redact: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) => Value::String(redact(s)),
        Value::Array(a) => Value::Array(a.iter().map(|x| redact_value(x, redact)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), redact_value(x, redact)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Parses the NCM config-validation error body:
/// `{"errors": [{"configuration": {"message", "reason", "value", "path"}}], "exception": {...}}`.
pub fn parse_config_issues(body: &Value) -> Vec<ConfigIssue> {
    let Some(errors) = body.get("errors").and_then(Value::as_array) else {
        return vec![];
    };
    errors
        .iter()
        .filter_map(|e| {
            let c = e.get("configuration")?;
            Some(ConfigIssue {
                message: c
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                reason: c
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                path: c
                    .get("path")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                value: c.get("value").cloned().unwrap_or(Value::Null),
            })
        })
        .collect()
}

/// Picks the most useful human message out of an error body.
pub fn message_from_body(status: u16, body: &Value) -> String {
    let issues = parse_config_issues(body);
    if !issues.is_empty() {
        return issues
            .iter()
            .map(|i| i.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
    }
    let candidates = [
        body.pointer("/exception/message"),
        body.pointer("/error/message"),
        body.get("message"),
        body.get("detail"),
        body.get("error"),
    ];
    for c in candidates.into_iter().flatten() {
        if let Some(s) = c.as_str() {
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    if let Some(s) = body.as_str() {
        let s = s.trim();
        if !s.is_empty() {
            return s.chars().take(300).collect();
        }
    }
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("error");
    reason.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_validation_body() {
        let body = json!({"errors": [{"configuration": {"message": "cannot set foo to bar: invalid path",
            "reason": "invalid path", "value": "bar", "path": ["foo"]}}],
            "exception": {"message": "bad or missing data", "type": "validation"}});
        let issues = parse_config_issues(&body);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].path, vec![json!("foo")]);
        assert_eq!(issues[0].reason, "invalid path");
        assert_eq!(
            message_from_body(409, &body),
            "cannot set foo to bar: invalid path"
        );
    }

    #[test]
    fn message_fallbacks() {
        assert_eq!(
            message_from_body(400, &json!({"exception": {"message": "x"}})),
            "x"
        );
        assert_eq!(message_from_body(404, &Value::Null), "Not Found");
        assert_eq!(message_from_body(500, &json!("plain text")), "plain text");
    }
}
