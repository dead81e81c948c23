//! The shared blocking HTTP transport used by both clouds: timeouts, retries with exponential
//! backoff and jitter (honouring `Retry-After`), dry-run of writes, redaction of secrets,
//! request accounting and cooperative cancellation (Ctrl-C).

use crate::error::{message_from_body, parse_config_issues, redact_value, ApiError, Error, Result};
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

/// A timestamped log line on stderr (`2026-01-01T00:00:00Z WARN  message`), the form the
/// `log::` script module writes too.
pub fn log_line(level: &str, msg: &str) {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let line = format!("{now} {level:<5} {msg}");
    // Warnings yellow and errors red on a terminal, unless NO_COLOR is set (no-color.org).
    let colour = match level {
        "WARN" => "33",
        "ERROR" => "31",
        _ => "",
    };
    if !colour.is_empty() && stderr_colour() {
        eprintln!("\x1b[{colour}m{line}\x1b[0m");
    } else {
        eprintln!("{line}");
    }
    if let Ok(mut recent) = RECENT_LOG.lock() {
        if recent.len() == RECENT_LOG_LINES {
            recent.pop_front();
        }
        recent.push_back(line);
    }
}

/// Is stderr a terminal that takes colour (`NO_COLOR` unset or empty)?
fn stderr_colour() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::IsTerminal::is_terminal(&std::io::stderr())
    })
}

/// How many of the latest log lines are kept (for a failure notification).
const RECENT_LOG_LINES: usize = 20;
static RECENT_LOG: std::sync::Mutex<std::collections::VecDeque<String>> =
    std::sync::Mutex::new(std::collections::VecDeque::new());

/// The latest log lines written (at most 20), oldest first.
pub fn recent_log_lines() -> Vec<String> {
    RECENT_LOG
        .lock()
        .map(|r| r.iter().cloned().collect())
        .unwrap_or_default()
}

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
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            dry_run: false,
            max_body: DEFAULT_MAX_BODY,
            verbose: false,
        }
    }
}

/// Counters of what the transport did; shared, cheap to read.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
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
    pub fn dry_run_writes(&self) -> u64 {
        self.dry_run_writes.load(Ordering::Relaxed)
    }
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

#[derive(Clone)]
pub struct Transport {
    client: ureq::Agent,
    pub options: HttpOptions,
    pub stats: Arc<Stats>,
    pub redactor: Redactor,
    pub cancel: Arc<AtomicBool>,
    dry_run_sink: DryRunSink,
    limiter: Option<Arc<RateLimiter>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("options", &self.options)
            .finish()
    }
}

impl Transport {
    pub fn new(options: HttpOptions, redactor: Redactor, cancel: Arc<AtomicBool>) -> Result<Self> {
        let client: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(options.connect_timeout))
            .timeout_global(Some(options.timeout))
            // Never follow redirects: a redirect costs a second billed call and could carry
            // the auth headers elsewhere. The client builds slashed URLs so none should occur;
            // one that does is answered as it came (and reported).
            .max_redirects(0)
            .max_redirects_will_error(false)
            // Every status is an answer to judge here (retries, error bodies).
            .http_status_as_error(false)
            // Concurrent pages keep their connections.
            .max_idle_connections(64)
            .max_idle_connections_per_host(32)
            .user_agent(concat!("fleetscript/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Transport {
            client,
            options,
            stats: Arc::new(Stats::default()),
            redactor,
            cancel,
            dry_run_sink: Arc::new(|line| eprintln!("{line}")),
            limiter: None,
        })
    }

    /// Keeps every request of this transport (and its clones) under `limit`.
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.limiter = Some(Arc::new(RateLimiter::new(limit)));
        self
    }

    /// Waits (interruptibly) for the rate limiter, when there is one.
    fn wait_for_rate_limit(&self) -> Result<()> {
        match &self.limiter {
            Some(l) => l.acquire(&self.cancel),
            None => Ok(()),
        }
    }

    /// Shows a dry-run line (a plan, a write not sent) where dry-run writes are shown.
    pub fn dry_run_note(&self, line: &str) {
        (self.dry_run_sink)(line);
    }

    pub fn with_dry_run_sink(mut self, sink: DryRunSink) -> Self {
        self.dry_run_sink = sink;
        self
    }

    pub fn check_cancel(&self) -> Result<()> {
        if self.cancel.load(Ordering::SeqCst) {
            Err(Error::Interrupted)
        } else {
            Ok(())
        }
    }

    /// Sleeps in small steps so Ctrl-C (or `--max-time`) interrupts a long wait.
    pub fn sleep(&self, d: Duration) -> Result<()> {
        let end = Instant::now() + d;
        loop {
            self.check_cancel()?;
            let now = Instant::now();
            if now >= end {
                return Ok(());
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }

    /// Sends a request: dry-run of writes, the rate limit, retries by the policy, and an answer
    /// read whole (up to `max_body`) or a typed error that says what went wrong.
    pub fn send(&self, req: &Request<'_>) -> Result<Response> {
        self.send_with(req, parse_body)
    }

    /// [`send`](Self::send), a successful answer's body made into a `B` by `parse` straight from
    /// its text (a page of records becomes script values without a JSON tree in between). A
    /// dry-run write's body is `B::default()`.
    pub fn send_with<B: Default>(
        &self,
        req: &Request<'_>,
        parse: fn(&str) -> B,
    ) -> Result<Response<B>> {
        let url_text = self.redactor.redact(req.url.as_str());
        if self.options.dry_run && req.method.is_write() {
            return Ok(self.dry_run(req, &url_text));
        }
        let policy = &self.options.retry;
        let mut attempt: u32 = 0;
        loop {
            self.check_cancel()?;
            self.wait_for_rate_limit()?;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let answer = match self.build(req) {
                Ok(r) => match r {
                    Outgoing::Empty(r) => self.client.run(r),
                    Outgoing::Body(r) => self.client.run(r),
                }
                .map_err(Failure::Send)
                .and_then(|resp| self.read_answer(resp, req, &url_text)),
                Err(e) => Err(Failure::Fatal(e)),
            };
            self.trace(req, &url_text, &answer, started.elapsed());
            let failure = match answer {
                Ok(a) if (200..300).contains(&a.status) => {
                    return Ok(Response {
                        status: a.status,
                        body: parse(&a.text),
                        content_type: a.content_type,
                        dry_run: false,
                    })
                }
                Ok(a) => a,
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Send(e)) => {
                    let transient = is_connect(&e) || is_timeout(&e) || is_no_answer(&e);
                    let cap = if is_connect(&e) {
                        policy.max_retries.min(CONNECT_RETRIES)
                    } else {
                        policy.max_retries
                    };
                    if req.retryable && attempt < cap && transient {
                        let why = if is_connect(&e) {
                            "cannot connect"
                        } else if is_timeout(&e) {
                            "timed out"
                        } else {
                            "no answer"
                        };
                        self.retry_after_delay(
                            req,
                            &url_text,
                            why,
                            attempt,
                            cap,
                            policy.backoff(attempt),
                        )?;
                        attempt += 1;
                        continue;
                    }
                    return Err(self.send_error(req, &url_text, &e, attempt));
                }
            };
            let status = failure.status;
            if let Some(delay) =
                policy.retry_delay(status, req.retryable, attempt, failure.retry_after)
            {
                let cap = policy.cap_for(status);
                self.retry_after_delay(
                    req,
                    &url_text,
                    &format!("HTTP {status}"),
                    attempt,
                    cap,
                    delay,
                )?;
                attempt += 1;
                continue;
            }
            return Err(self.status_error(req, url_text, failure, attempt));
        }
    }

    /// What a dry-run write prints instead of sending.
    fn dry_run<B: Default>(&self, req: &Request<'_>, url_text: &str) -> Response<B> {
        let body = req
            .body
            .map(|b| format!(" {}", self.redactor.redact(&b.to_string())))
            .unwrap_or_default();
        (self.dry_run_sink)(&format!("dry-run: {} {}{}", req.method, url_text, body));
        self.stats.dry_run_writes.fetch_add(1, Ordering::Relaxed);
        Response {
            status: 0,
            body: B::default(),
            content_type: None,
            dry_run: true,
        }
    }

    /// The HTTP request of one attempt.
    fn build(&self, req: &Request<'_>) -> Result<Outgoing> {
        use ureq::http::Method as M;
        let method = match req.method {
            Method::Get => M::GET,
            Method::Post => M::POST,
            Method::Put => M::PUT,
            Method::Patch => M::PATCH,
            Method::Delete => M::DELETE,
        };
        let mut rb = ureq::http::Request::builder()
            .method(method)
            .uri(req.url.as_str());
        for (k, v) in req.headers {
            rb = rb.header(*k, v.as_str());
        }
        let invalid = |e: ureq::http::Error| {
            Error::Config(format!(
                "cannot build the request to {}: {e}",
                self.redactor.redact(req.url.as_str())
            ))
        };
        match req.body {
            Some(b) => {
                let typed = req
                    .headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
                if !typed {
                    rb = rb.header("Content-Type", "application/json");
                }
                rb.body(b.to_string().into_bytes())
                    .map(Outgoing::Body)
                    .map_err(invalid)
            }
            None => rb.body(()).map(Outgoing::Empty).map_err(invalid),
        }
    }

    /// Reads an answer's status, headers and body (at most `max_body` bytes).
    fn read_answer(
        &self,
        resp: ureq::http::Response<ureq::Body>,
        req: &Request<'_>,
        url_text: &str,
    ) -> std::result::Result<Answer, Failure> {
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = header("retry-after")
            .and_then(|v| crate::settings::retry_after(&v, self.options.retry.max_retry_after));
        let location = header("location");
        let content_type = header("content-type");
        let status = resp.status().as_u16();
        let cap = self.options.max_body;
        let too_large = || {
            Failure::Fatal(Error::Transport {
                method: req.method.to_string(),
                url: url_text.to_string(),
                message: format!(
                    "the answer is larger than {} MiB; refusing to read it (raise the cap with --max-body-mb)",
                    cap / (1024 * 1024)
                ),
                timeout: false,
                unreachable: false,
            })
        };
        let mut body = resp.into_body();
        if body.content_length().is_some_and(|n| n > cap) {
            return Err(too_large());
        }
        let bytes = match body.with_config().limit(cap).read_to_vec() {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(_)) => return Err(too_large()),
            Err(e) => return Err(Failure::Fatal(self.read_error(req, url_text, &e))),
        };
        Ok(Answer {
            status,
            // Valid UTF-8 (every JSON answer) is taken as it is, not copied.
            text: String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            retry_after,
            location,
            content_type,
        })
    }

    /// A body that could not be read: a stall past the timeout says so.
    fn read_error(&self, req: &Request<'_>, url_text: &str, e: &ureq::Error) -> Error {
        let timeout = is_timeout(e) || e.to_string().contains("timed out");
        let message = if timeout {
            self.timeout_text("reading the answer")
        } else {
            format!(
                "reading the answer failed: {}",
                self.redactor.redact(&e.to_string())
            )
        };
        Error::Transport {
            method: req.method.to_string(),
            url: url_text.to_string(),
            message,
            timeout,
            unreachable: false,
        }
    }

    fn timeout_text(&self, what: &str) -> String {
        format!(
            "{what} timed out (limit {}; raise it with --timeout)",
            human_duration(self.options.timeout)
        )
    }

    /// A request that got no answer at all.
    fn send_error(
        &self,
        req: &Request<'_>,
        url_text: &str,
        e: &ureq::Error,
        attempt: u32,
    ) -> Error {
        let what = if is_timeout(e) {
            self.timeout_text("the request")
        } else if is_connect(e) {
            format!(
                "cannot connect: {} (check the base URL and your network)",
                source_chain(e)
            )
        } else {
            source_chain(e)
        };
        Error::Transport {
            method: req.method.to_string(),
            url: url_text.to_string(),
            message: self.redactor.redact(&with_retries(what, attempt)),
            timeout: is_timeout(e),
            unreachable: is_connect(e) || is_timeout(e) || is_no_answer(e),
        }
    }

    /// A non-success status that is not retried (any more).
    fn status_error(&self, req: &Request<'_>, url: String, a: Answer, attempt: u32) -> Error {
        let redact = |s: &str| self.redactor.redact(s);
        // Masked before anything is cut from it: a key straddling a cut would show in part.
        let body = redact_value(&parse_body(&a.text), &redact);
        let message = if (300..400).contains(&a.status) {
            format!(
                "unexpected redirect to {} (URLs must end with '/')",
                a.location.as_deref().map(redact).unwrap_or_default()
            )
        } else {
            message_from_body(a.status, &body)
        };
        Error::Api(Box::new(ApiError {
            status: a.status,
            method: req.method.to_string(),
            url,
            message: redact(&with_retries(message, attempt)),
            errors: parse_config_issues(&body),
            body,
            not_visible: false,
        }))
    }

    /// Logs the retry (WARN: method, URL, why, attempt n of N, delay), then waits.
    fn retry_after_delay(
        &self,
        req: &Request<'_>,
        url_text: &str,
        why: &str,
        attempt: u32,
        cap: u32,
        delay: Duration,
    ) -> Result<()> {
        log_line(
            "WARN",
            &format!(
                "{} {url_text}: {why}; retry {} of {cap} in {}",
                req.method,
                attempt + 1,
                human_duration(delay)
            ),
        );
        self.note_retry(delay);
        self.sleep(delay)
    }

    /// With `-v`: one line per request sent (method, URL without secrets, status, duration,
    /// bytes).
    fn trace(
        &self,
        req: &Request<'_>,
        url_text: &str,
        answer: &std::result::Result<Answer, Failure>,
        took: Duration,
    ) {
        if !self.options.verbose {
            return;
        }
        let what = match answer {
            Ok(a) => format!("{} ({} bytes)", a.status, a.text.len()),
            Err(Failure::Send(e)) => {
                format!("no answer: {}", self.redactor.redact(&source_chain(e)))
            }
            Err(Failure::Fatal(e)) => self.redactor.redact(&e.to_string()),
        };
        log_line(
            "HTTP",
            &format!(
                "{} {url_text} -> {what} in {}ms",
                req.method,
                took.as_millis()
            ),
        );
    }

    fn note_retry(&self, delay: Duration) {
        self.stats.retries.fetch_add(1, Ordering::Relaxed);
        let mut d = self.stats.retry_delays.lock().unwrap();
        if d.len() > 1000 {
            d.remove(0);
        }
        d.push(delay);
    }
}

/// An answer with any status, before it is judged.
struct Answer {
    status: u16,
    text: String,
    retry_after: Option<Duration>,
    location: Option<String>,
    content_type: Option<String>,
}

/// Why an attempt produced no answer to judge.
enum Failure {
    /// The request could not be sent or got no answer (maybe retried).
    Send(ureq::Error),
    /// Final: the answer could not be read (too large, stalled).
    Fatal(Error),
}

fn with_retries(message: String, attempt: u32) -> String {
    if attempt > 0 {
        format!("{message} (after {attempt} retries)")
    } else {
        message
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

fn source_chain(e: &ureq::Error) -> String {
    use std::error::Error as _;
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    parts.join(": ")
}

/// The request found no server to talk to (refused, unreachable, unknown host).
fn is_connect(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    match e {
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            K::ConnectionRefused | K::AddrNotAvailable | K::NotConnected | K::HostUnreachable
        ),
        _ => false,
    }
}

fn is_timeout(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(io) => io.kind() == std::io::ErrorKind::TimedOut,
        _ => false,
    }
}

/// The connection broke before an answer came (reset, closed, garbled): worth another try.
fn is_no_answer(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(_) | ureq::Error::Protocol(_))
}

/// A request of one attempt, with or without a body.
enum Outgoing {
    Empty(ureq::http::Request<()>),
    Body(ureq::http::Request<Vec<u8>>),
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
