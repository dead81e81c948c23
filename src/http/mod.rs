//! The shared blocking HTTP transport used by both clouds (reqwest, rustls, the platform's
//! trust store; `transport.rs`): timeouts, retries with exponential backoff and jitter
//! (honouring `Retry-After`), dry-run of writes, redaction of secrets, request accounting and
//! cooperative cancellation (Ctrl-C). Here: what the transport is given and what it counts.

pub mod tls;
mod transport;

pub use transport::Transport;

use crate::error::{Error, Result};
use rand::Rng;
use serde_json::Value;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The characters an id put into a URL path may hold: letters, digits, `-` and `_` (never `/`,
/// `\\`, `.` or `%`, so an id cannot change the path it is put in).
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A path under an API root, given to a raw request: `routers/42/`, `/site/7/devices`, or an
/// absolute URL under `base`. Each segment is letters, digits, `-` and `_` (the id rule), so it
/// cannot leave the root (`..`), reach another host, or smuggle a query or an escape. Returns
/// the segments joined by `/`, without leading or trailing slash.
pub fn api_path(base: &url::Url, path: &str) -> Result<String> {
    let p = path.trim();
    let rel = if p.contains("://") {
        p.strip_prefix(base.as_str())
            .or_else(|| p.strip_prefix(base.as_str().trim_end_matches('/')))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{p:?} is not under the API root {base}; give a path relative to it"
                ))
            })?
    } else {
        p
    };
    let rel = rel.trim_matches('/');
    let segments: Vec<&str> = rel.split('/').collect();
    if rel.is_empty() || segments.iter().any(|s| !is_safe_id(s)) {
        return Err(Error::invalid(format!(
            "{p:?}: a path under the API root is segments of letters, digits, '-' and '_' separated by '/' (no '..', '%', '?' or '\\'; a query goes in the query map)"
        )));
    }
    Ok(segments.join("/"))
}

/// HTTP methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
    pub fn is_write(self) -> bool {
        !matches!(self, Method::Get)
    }
    pub fn parse(s: &str) -> Option<Method> {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "PUT" => Some(Method::Put),
            "PATCH" => Some(Method::Patch),
            "DELETE" => Some(Method::Delete),
            _ => None,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Retry behaviour. All delays are configurable so tests run in milliseconds.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retries).
    pub max_retries: u32,
    /// First backoff delay; doubles on each retry, with jitter.
    pub base_delay: Duration,
    /// Upper bound of one computed backoff delay.
    pub max_delay: Duration,
    /// Upper bound applied to a server's `Retry-After`.
    pub max_retry_after: Duration,
    /// Statuses that are retried (for idempotent methods).
    pub statuses: Vec<u16>,
    /// Per-status rules that replace the exponential backoff for their status (IgniteNet's
    /// "at least 60 s, at most 10 times" policy); checked before `statuses`.
    pub rules: Vec<StatusRule>,
}

/// How one HTTP status is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusRule {
    pub status: u16,
    /// Retries of a request that keeps getting this status.
    pub max_retries: u32,
    /// The wait before each retry (a longer `Retry-After` wins, up to `max_retry_after`).
    pub delay: Duration,
    /// Retry even a non-idempotent request (POST): right for 429, which means "not processed".
    pub even_if_not_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            statuses: vec![429, 502, 503, 504],
            rules: vec![],
        }
    }
}

impl RetryPolicy {
    /// The wait before retrying a request that got `status`, or `None` when it is not retried.
    /// `attempt` is how many retries this request has had, whatever statuses they followed: a
    /// per-status cap counts them all (a request that got 503, 429, 503... stops at the cap).
    pub fn retry_delay(
        &self,
        status: u16,
        retryable: bool,
        attempt: u32,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if let Some(rule) = self.rules.iter().find(|r| r.status == status) {
            if !(retryable || rule.even_if_not_idempotent) || attempt >= rule.max_retries {
                return None;
            }
            let ra = retry_after.map(|d| d.min(self.max_retry_after));
            return Some(ra.map_or(rule.delay, |ra| ra.max(rule.delay)));
        }
        if !retryable || attempt >= self.max_retries || !self.statuses.contains(&status) {
            return None;
        }
        Some(match retry_after {
            Some(ra) => ra.min(self.max_retry_after),
            None => self.backoff(attempt),
        })
    }

    /// How many retries a request that keeps getting `status` may have.
    pub fn cap_for(&self, status: u16) -> u32 {
        self.rules
            .iter()
            .find(|r| r.status == status)
            .map_or(self.max_retries, |r| r.max_retries)
    }

    /// The backoff before retry number `attempt` (0-based): exponential with "equal jitter".
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        let jitter = if half.is_zero() {
            Duration::ZERO
        } else {
            rand::rng().random_range(Duration::ZERO..=half)
        };
        half + jitter
    }
}

/// Retries of a request whose connection was refused: a dead host answers within seconds.
pub const CONNECT_RETRIES: u32 = 2;

/// The default cap on one answer's size: 256 MiB (a page of 500 full router configs is a few MiB).
pub const DEFAULT_MAX_BODY: u64 = 256 * 1024 * 1024;

/// Transport settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub dry_run: bool,
    /// The largest answer read, in bytes (a larger one is an error, not an out-of-memory).
    pub max_body: u64,
    /// Trace every request (method, URL, status, duration, bytes) on stderr (`-v`).
    pub verbose: bool,
    /// Roots trusted besides the platform's store: the profile's `ca_file` (or `--ca-file`)
    /// and `SSL_CERT_FILE`.
    pub ca_files: Vec<tls::CaFile>,
    /// The profile's `proxy`: every request goes through it, but to the hosts `NO_PROXY`
    /// names. Without it, the environment's `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` apply.
    pub proxy: Option<String>,
    /// Idle connections kept open per host for the next requests (the run's concurrency).
    pub pool_size: usize,
    /// Refuse every write (POST, PUT, PATCH, DELETE) before it is sent: `--read-only`, or
    /// `read_only = true` in a profile. Reads go on.
    pub read_only: bool,
}

/// Idle connections kept per host unless the configuration says otherwise: the default
/// concurrency of listings and of bulk writes.
pub const DEFAULT_POOL_SIZE: usize = 8;

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            dry_run: false,
            max_body: DEFAULT_MAX_BODY,
            verbose: false,
            ca_files: vec![],
            proxy: None,
            pool_size: DEFAULT_POOL_SIZE,
            read_only: false,
        }
    }
}

/// Counters of what the transport did; shared, cheap to read.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests sent (every attempt, retries included).
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    /// Answers with HTTP 429 (Too Many Requests), retried or not.
    pub too_many: AtomicU64,
    /// Bytes of the answers' bodies, as read (after decompression).
    pub bytes: AtomicU64,
    /// Requests whose answer was not used: pages asked for ahead past the end of a listing,
    /// or dropped because it ended first.
    pub wasted: AtomicU64,
    pub dry_run_writes: AtomicU64,
    /// The delays slept before retries, most recent last (bounded).
    pub retry_delays: Mutex<Vec<Duration>>,
}

impl Stats {
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
    pub fn too_many(&self) -> u64 {
        self.too_many.load(Ordering::Relaxed)
    }
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    pub fn wasted(&self) -> u64 {
        self.wasted.load(Ordering::Relaxed)
    }
    pub fn dry_run_writes(&self) -> u64 {
        self.dry_run_writes.load(Ordering::Relaxed)
    }

    /// The counters now.
    pub fn calls(&self) -> Calls {
        Calls {
            requests: self.requests(),
            retries: self.retries(),
            too_many: self.too_many(),
            bytes: self.bytes(),
            wasted: self.wasted(),
            dry_run_writes: self.dry_run_writes(),
        }
    }
}

/// The counters of a transport at one moment (or between two: [`Calls::since`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    pub requests: u64,
    pub retries: u64,
    /// Answers with HTTP 429.
    pub too_many: u64,
    /// Bytes of the answers, as read (after decompression).
    pub bytes: u64,
    /// Requests whose answer was not used (see [`Stats::wasted`]).
    pub wasted: u64,
    pub dry_run_writes: u64,
}

impl Calls {
    /// What was done after `earlier`.
    pub fn since(self, earlier: Calls) -> Calls {
        Calls {
            requests: self.requests.saturating_sub(earlier.requests),
            retries: self.retries.saturating_sub(earlier.retries),
            too_many: self.too_many.saturating_sub(earlier.too_many),
            bytes: self.bytes.saturating_sub(earlier.bytes),
            wasted: self.wasted.saturating_sub(earlier.wasted),
            dry_run_writes: self.dry_run_writes.saturating_sub(earlier.dry_run_writes),
        }
    }

    /// Nothing sent and nothing planned.
    pub fn is_empty(&self) -> bool {
        self.requests == 0 && self.dry_run_writes == 0
    }

    /// `12 requests, 1 retry, 0 rate-limited (429), 1.4 MiB received`, then the requests whose
    /// answer went unused and the writes a dry run planned, when there were any.
    pub fn describe(&self) -> String {
        let n = |v: u64, one: &str, many: &str| format!("{v} {}", if v == 1 { one } else { many });
        let mut out = format!(
            "{}, {}, {} rate-limited (429), {} received",
            n(self.requests, "request", "requests"),
            n(self.retries, "retry", "retries"),
            self.too_many,
            human_bytes(self.bytes)
        );
        if self.wasted > 0 {
            out.push_str(&format!(", {} unused", self.wasted));
        }
        if self.dry_run_writes > 0 {
            out.push_str(&format!(
                ", {} not sent (dry run)",
                n(self.dry_run_writes, "write", "writes")
            ));
        }
        out
    }
}

/// `512 B`, `3.2 KiB`, `1.4 MiB`: a size as an operator reads it.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Knows the secrets in use and masks them in any text leaving the library.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<Vec<String>>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut s: Vec<String> = secrets
            .into_iter()
            .filter(|s| s.trim().len() >= 4)
            .collect();
        // Longest first so a secret that contains another is masked whole.
        s.sort_by_key(|x| std::cmp::Reverse(x.len()));
        s.dedup();
        Redactor {
            secrets: Arc::new(s),
        }
    }
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.secrets.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "****");
            }
        }
        out
    }
    pub fn is_secret_in(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| text.contains(s.as_str()))
    }
}

/// Where dry-run lines go (stderr by default; tests capture them).
pub type DryRunSink = Arc<dyn Fn(&str) + Send + Sync>;

/// One request.
pub struct Request<'a> {
    pub method: Method,
    pub url: &'a url::Url,
    pub headers: &'a [(&'static str, String)],
    pub body: Option<&'a Value>,
    /// May the transport repeat this request on a retryable failure?
    pub retryable: bool,
    /// Is the answer still wanted? Asked before each attempt and while waiting to retry: a page
    /// asked for ahead that a listing no longer needs is dropped ([`Error::NotNeeded`]) instead
    /// of being sent or retried. `None`: always.
    pub needed: Option<&'a (dyn Fn() -> bool + Sync)>,
}

impl Request<'_> {
    /// Is the answer still wanted?
    pub fn still_needed(&self) -> bool {
        self.needed.is_none_or(|f| f())
    }
}

/// A successful answer, its body parsed as JSON ([`Transport::send`]) or by a parser of the
/// caller's ([`Transport::send_with`]).
#[derive(Debug, Clone)]
pub struct Response<B = Value> {
    pub status: u16,
    /// Parsed JSON (`Null` for an empty body; a JSON string when the body is not JSON).
    pub body: B,
    /// The answer's `content-type`, when it gave one.
    pub content_type: Option<String>,
    /// True when this was a dry-run write that was not sent.
    pub dry_run: bool,
}

/// A client-side limit: at most `requests` requests sent in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub requests: usize,
    pub per: Duration,
}

/// A sliding-window limiter shared by every clone of a transport (and every worker thread):
/// `acquire` waits until sending one more request keeps the window under the limit.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    sent: Mutex<std::collections::VecDeque<Instant>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            sent: Mutex::new(Default::default()),
        }
    }
    /// At most `per_second` requests a second, evenly spaced (one per interval); `None` for 0.
    pub fn per_second(per_second: f64) -> Option<Self> {
        (per_second > 0.0).then(|| {
            RateLimiter::new(RateLimit {
                requests: 1,
                per: Duration::try_from_secs_f64(1.0 / per_second).unwrap_or(Duration::MAX),
            })
        })
    }

    /// Waits until one more request keeps under the limit, and counts it. Ctrl-C (`cancel`)
    /// interrupts the wait.
    pub fn acquire(&self, cancel: &AtomicBool) -> Result<()> {
        while let Some(wait) = self.try_take() {
            if cancel.load(Ordering::SeqCst) {
                return Err(Error::Interrupted);
            }
            std::thread::sleep(wait.min(Duration::from_millis(50)));
        }
        Ok(())
    }

    /// How long to wait before the next request may go; records it when that is now.
    fn try_take(&self) -> Option<Duration> {
        let mut sent = self.sent.lock().unwrap();
        let now = Instant::now();
        while sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.limit.per)
        {
            sent.pop_front();
        }
        if sent.len() < self.limit.requests.max(1) {
            sent.push_back(now);
            None
        } else {
            Some(self.limit.per - now.duration_since(sent[0]))
        }
    }
}

/// JSON when it parses, else the text as a JSON string, `Null` when empty.
pub fn parse_body(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..Default::default()
        };
        for attempt in 0..10 {
            let d = p.backoff(attempt);
            let cap =
                (Duration::from_millis(100) * 2u32.pow(attempt)).min(Duration::from_millis(1000));
            assert!(d <= cap && d >= cap / 2, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn a_raw_path_stays_under_the_api_root() {
        let base = url::Url::parse("https://www.cradlepointecm.com/api/v2/").unwrap();
        let ok = |p: &str| api_path(&base, p).unwrap();
        assert_eq!(ok("routers/42/"), "routers/42");
        assert_eq!(ok("/site/7/config-changes"), "site/7/config-changes");
        assert_eq!(
            ok("https://www.cradlepointecm.com/api/v2/routers/42/"),
            "routers/42"
        );
        for bad in [
            "",
            "/",
            "routers/../accounts/",
            "routers/%2e%2e/",
            "routers/?limit=1",
            "routers//42/",
            "routers\\42",
            "https://evil.example.net/api/v2/routers/",
            "https://www.cradlepointecm.com/api/v1/routers/",
            "//evil.example.net/x",
        ] {
            assert!(api_path(&base, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn redactor_masks_every_secret() {
        let r = Redactor::new(vec!["s3cr3t-key".to_string(), "".into(), "ab".into()]);
        assert_eq!(r.redact("key=s3cr3t-key!"), "key=****!");
        assert!(r.is_secret_in("xx s3cr3t-key"));
        assert_eq!(r.redact("ab"), "ab");
    }

    #[test]
    fn body_parsing() {
        assert_eq!(parse_body(""), Value::Null);
        assert_eq!(parse_body("{\"a\":1}")["a"], 1);
        assert_eq!(
            parse_body("x-api-key header is not valid"),
            Value::String("x-api-key header is not valid".into())
        );
    }
}
