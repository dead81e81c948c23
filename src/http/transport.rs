//! The transport itself: reqwest's blocking client (rustls, the platform's trust store plus the
//! configured CA files, proxies from the profile or the environment, HTTP/2 by ALPN, gzip and
//! brotli bodies, one keep-alive pool per transport) behind the retry loop: rate limit, retries
//! with backoff and `Retry-After`, answers read up to a size cap, no redirect followed, TLS
//! failures said in one line and never retried, dry-run of writes, `-v` traces.

use super::tls::{self, TlsFailure};
use super::{
    parse_body, DryRunSink, HttpOptions, Method, RateLimit, RateLimiter, Redactor, Request,
    Response, Stats, CONNECT_RETRIES,
};
use crate::error::{message_from_body, parse_config_issues, redact_value, ApiError, Error, Result};
use crate::logging::log_line;
use crate::settings::human_duration;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The HTTP client of one cloud, built at its first request: a run that never calls a cloud
/// never loads the trust store for it.
type LazyClient = Arc<OnceLock<std::result::Result<reqwest::blocking::Client, String>>>;

#[derive(Clone)]
pub struct Transport {
    client: LazyClient,
    /// The certificates of the CA files, read when the transport was made.
    roots: Arc<Vec<reqwest::Certificate>>,
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

/// The blocking client for these options: timeouts, no redirects, the pool, compression, the
/// extra roots and the profile's proxy (the environment's proxies apply without one).
pub fn build_client(
    o: &HttpOptions,
    roots: &[reqwest::Certificate],
    timeout: Duration,
) -> std::result::Result<reqwest::blocking::Client, String> {
    let mut b = reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(o.connect_timeout.min(timeout))
        // Never follow redirects: a redirect costs a second billed call and could carry the
        // auth headers elsewhere. The client builds slashed URLs so none should occur; one
        // that does is answered as it came (and reported).
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(o.pool_size.max(1))
        .gzip(true)
        .brotli(true)
        .user_agent(concat!("fleetscript/", env!("CARGO_PKG_VERSION")));
    if !roots.is_empty() {
        b = b.tls_certs_merge(roots.iter().cloned());
    }
    if let Some(p) = &o.proxy {
        let proxy = reqwest::Proxy::all(p.as_str())
            .map_err(|e| format!("proxy {}: {e}", tls::shown_text(p)))?
            .no_proxy(reqwest::NoProxy::from_env());
        b = b.proxy(proxy);
    }
    b.build().map_err(|e| {
        format!(
            "cannot set up HTTPS: {} (is this machine's CA bundle installed? ca_file or SSL_CERT_FILE can name one)",
            error_chain(&e)
        )
    })
}

impl Transport {
    /// A transport with these options; the CA files are read now (an unreadable one is a
    /// configuration error, before any request), the client is built at the first request.
    pub fn new(options: HttpOptions, redactor: Redactor, cancel: Arc<AtomicBool>) -> Result<Self> {
        let mut roots = vec![];
        for f in &options.ca_files {
            roots.extend(tls::read_ca_file(f)?);
        }
        if let Some(p) = &options.proxy {
            tls::check_proxy(p)?;
        }
        Ok(Transport {
            client: Default::default(),
            roots: Arc::new(roots),
            options,
            stats: Arc::new(Stats::default()),
            redactor,
            cancel,
            dry_run_sink: Arc::new(|line| eprintln!("{line}")),
            limiter: None,
        })
    }

    /// A blocking client with this transport's trust and proxies, for another host (a
    /// notification ping) with its own timeout.
    pub fn client_for(
        &self,
        timeout: Duration,
    ) -> std::result::Result<reqwest::blocking::Client, String> {
        build_client(&self.options, &self.roots, timeout)
    }

    /// The client, built on first use.
    fn client(&self, req: &Request<'_>, url_text: &str) -> Result<&reqwest::blocking::Client> {
        self.client
            .get_or_init(|| build_client(&self.options, &self.roots, self.options.timeout))
            .as_ref()
            .map_err(|why| Error::Config(format!("{} {url_text}: {why}", req.method)))
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
        self.sleep_while(d, &|| true)
    }

    /// [`sleep`](Self::sleep), ended early with [`Error::NotNeeded`] once `needed` says no.
    fn sleep_while(&self, d: Duration, needed: &dyn Fn() -> bool) -> Result<()> {
        let end = Instant::now() + d;
        loop {
            self.check_cancel()?;
            if !needed() {
                return Err(Error::NotNeeded);
            }
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
        if self.options.read_only && req.method.is_write() {
            return Err(Error::Refused(format!(
                "{} {url_text}: this run is read-only (--read-only, or read_only in the profile); nothing was sent",
                req.method
            )));
        }
        if self.options.dry_run && req.method.is_write() {
            return Ok(self.dry_run(req, &url_text));
        }
        let client = self.client(req, &url_text)?;
        let mut attempt: u32 = 0;
        loop {
            self.check_cancel()?;
            if !req.still_needed() {
                return Err(Error::NotNeeded);
            }
            self.wait_for_rate_limit()?;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let answer = self
                .build(client, req)
                .send()
                .map_err(Failure::Send)
                .and_then(|resp| self.read_answer(resp, req, &url_text));
            self.trace(req, &url_text, &answer, started.elapsed());
            let (delay, why) = match answer {
                Ok(a) if (200..300).contains(&a.status) => {
                    return Ok(Response {
                        status: a.status,
                        body: parse(&a.text),
                        content_type: a.content_type,
                        dry_run: false,
                    })
                }
                Ok(a) => match self.status_retry(req, &a, attempt) {
                    Some(retry) => retry,
                    None => return Err(self.status_error(req, url_text, a, attempt)),
                },
                Err(Failure::Fatal(e)) => return Err(*e),
                Err(Failure::Send(e)) => match self.send_retry(req, &e, attempt) {
                    Some(retry) => retry,
                    None => return Err(self.send_error(req, &url_text, &e, attempt)),
                },
            };
            self.retry_after_delay(req, &url_text, &why, attempt, delay)?;
            attempt += 1;
        }
    }

    /// The wait and the reason of a retry of an answer with a failing status, or `None`.
    fn status_retry(&self, req: &Request<'_>, a: &Answer, attempt: u32) -> Option<(Retry, String)> {
        let policy = &self.options.retry;
        let delay = policy.retry_delay(a.status, req.retryable, attempt, a.retry_after)?;
        let retry = Retry {
            delay,
            cap: policy.cap_for(a.status),
        };
        Some((retry, format!("HTTP {}", a.status)))
    }

    /// The wait and the reason of a retry of a request that got no answer, or `None` (a TLS
    /// failure, a proxy that wants credentials, a non-idempotent request, no retries left).
    fn send_retry(
        &self,
        req: &Request<'_>,
        e: &reqwest::Error,
        attempt: u32,
    ) -> Option<(Retry, String)> {
        let policy = &self.options.retry;
        let kind = SendKind::of(e, &host_of(req.url));
        let cap = match kind {
            SendKind::Connect => policy.max_retries.min(CONNECT_RETRIES),
            SendKind::Timeout | SendKind::NoAnswer => policy.max_retries,
            SendKind::Tls(_) | SendKind::ProxyAuth | SendKind::Other => return None,
        };
        if !req.retryable || attempt >= cap {
            return None;
        }
        let why = match kind {
            SendKind::Connect => "cannot connect",
            SendKind::Timeout => "timed out",
            _ => "no answer",
        };
        Some((
            Retry {
                delay: policy.backoff(attempt),
                cap,
            },
            why.to_string(),
        ))
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

    /// The HTTP request of one attempt: its whole time limited to the timeout, the body read
    /// included (a server that drips its answer cannot hold a request longer).
    fn build(
        &self,
        client: &reqwest::blocking::Client,
        req: &Request<'_>,
    ) -> reqwest::blocking::RequestBuilder {
        use reqwest::Method as M;
        let method = match req.method {
            Method::Get => M::GET,
            Method::Post => M::POST,
            Method::Put => M::PUT,
            Method::Patch => M::PATCH,
            Method::Delete => M::DELETE,
        };
        let mut rb = client
            .request(method, req.url.as_str())
            .timeout(self.options.timeout);
        for (k, v) in req.headers {
            rb = rb.header(*k, v.as_str());
        }
        if let Some(b) = req.body {
            let typed = req
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
            if !typed {
                rb = rb.header("Content-Type", "application/json");
            }
            rb = rb.body(b.to_string());
        }
        rb
    }

    /// Reads an answer's status, headers and body (at most `max_body` bytes, decompressed).
    fn read_answer(
        &self,
        resp: reqwest::blocking::Response,
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
        let http2 = resp.version() == reqwest::Version::HTTP_2;
        if status == 429 {
            self.stats.too_many.fetch_add(1, Ordering::Relaxed);
        }
        let cap = self.options.max_body;
        let too_large = || {
            Failure::Fatal(Box::new(Error::Transport {
                method: req.method.to_string(),
                url: url_text.to_string(),
                message: format!(
                    "the answer is larger than {} MiB; refusing to read it (raise the cap with --max-body-mb)",
                    cap / (1024 * 1024)
                ),
                timeout: false,
                unreachable: false,
            }))
        };
        let announced = resp.content_length();
        if announced.is_some_and(|n| n > cap) {
            return Err(too_large());
        }
        // A body of announced length is read whole in one call (not chunk by chunk through the
        // client's runtime thread); one of unknown length (decompressed, chunked) up to the cap.
        let bytes = if announced.is_some() {
            match resp.bytes() {
                Ok(b) => Vec::from(b),
                Err(e) => {
                    let io = std::io::Error::other(e);
                    return Err(Failure::Fatal(Box::new(
                        self.read_error(req, url_text, &io),
                    )));
                }
            }
        } else {
            let mut bytes = vec![];
            if let Err(e) = resp.take(cap.saturating_add(1)).read_to_end(&mut bytes) {
                return Err(Failure::Fatal(Box::new(self.read_error(req, url_text, &e))));
            }
            bytes
        };
        self.stats
            .bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if bytes.len() as u64 > cap {
            return Err(too_large());
        }
        Ok(Answer {
            status,
            // Valid UTF-8 (every JSON answer) is taken as it is, not copied.
            text: String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            retry_after,
            location,
            content_type,
            http2,
        })
    }

    /// A body that could not be read: a stall past the timeout says so.
    fn read_error(&self, req: &Request<'_>, url_text: &str, e: &std::io::Error) -> Error {
        let timeout = e.kind() == std::io::ErrorKind::TimedOut
            || e.get_ref()
                .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
                .is_some_and(reqwest::Error::is_timeout);
        let message = if timeout {
            self.timeout_text("reading the answer")
        } else {
            format!(
                "reading the answer failed: {}",
                self.redactor.redact(&error_chain(e))
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

    /// A request that got no answer at all (and is not retried any more).
    fn send_error(
        &self,
        req: &Request<'_>,
        url_text: &str,
        e: &reqwest::Error,
        attempt: u32,
    ) -> Error {
        let host = host_of(req.url);
        let kind = SendKind::of(e, &host);
        let what = match &kind {
            SendKind::Tls(f) => {
                return Error::Tls {
                    method: req.method.as_str(),
                    url: url_text.to_string(),
                    host,
                    reason: f.reason.clone(),
                    fix: f.fix.clone(),
                }
            }
            SendKind::Timeout => self.timeout_text("the request"),
            SendKind::ProxyAuth => format!(
                "the proxy asks for credentials (HTTP 407); give them in its URL: {}",
                self.proxy_hint()
            ),
            SendKind::Connect => format!(
                "cannot connect: {} (check the base URL and your network{})",
                error_chain(e),
                self.proxy_note(req.url.scheme())
            ),
            SendKind::NoAnswer | SendKind::Other => error_chain(e),
        };
        Error::Transport {
            method: req.method.to_string(),
            url: url_text.to_string(),
            message: self.redactor.redact(&with_retries(what, attempt)),
            timeout: matches!(kind, SendKind::Timeout),
            unreachable: matches!(
                kind,
                SendKind::Connect | SendKind::Timeout | SendKind::NoAnswer
            ),
        }
    }

    /// `, and the proxy http://proxy:3128 (HTTPS_PROXY)` when a proxy is configured for
    /// `scheme` (never its password).
    fn proxy_note(&self, scheme: &str) -> String {
        let proxy = self
            .options
            .proxy
            .clone()
            .map(|p| ("the profile's proxy".to_string(), p))
            .or_else(|| tls::env_proxy(scheme));
        match proxy {
            Some((from, p)) => format!(", and the proxy {} ({from})", tls::shown_text(&p)),
            None => String::new(),
        }
    }

    fn proxy_hint(&self) -> String {
        "proxy = \"http://USER:PASSWORD@HOST:PORT\" in the profile, or HTTPS_PROXY".to_string()
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

    /// Logs the retry (WARN: method, URL, why, attempt n of N, delay), then waits; a request
    /// no longer needed stops waiting ([`Error::NotNeeded`]).
    fn retry_after_delay(
        &self,
        req: &Request<'_>,
        url_text: &str,
        why: &str,
        attempt: u32,
        retry: Retry,
    ) -> Result<()> {
        if !req.still_needed() {
            return Err(Error::NotNeeded);
        }
        log_line(
            "WARN",
            &format!(
                "{} {url_text}: {why}; retry {} of {} in {}",
                req.method,
                attempt + 1,
                retry.cap,
                human_duration(retry.delay)
            ),
        );
        self.sleep_while(retry.delay, &|| req.still_needed())?;
        // Counted once it goes: a request dropped while it waited was not retried.
        self.note_retry(retry.delay);
        Ok(())
    }

    /// With `-v`: one line per request sent (method, URL without secrets, status, protocol when
    /// HTTP/2, bytes, duration).
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
            Ok(a) => format!(
                "{}{} ({} bytes)",
                if a.http2 { "HTTP/2 " } else { "" },
                a.status,
                a.text.len()
            ),
            Err(Failure::Send(e)) => {
                format!("no answer: {}", self.redactor.redact(&error_chain(e)))
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
        let mut d = self
            .stats
            .retry_delays
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if d.len() > 1000 {
            d.remove(0);
        }
        d.push(delay);
    }
}

/// A retry: how long to wait, and how many retries this kind of failure gets.
#[derive(Debug, Clone, Copy)]
struct Retry {
    delay: Duration,
    cap: u32,
}

/// An answer with any status, before it is judged.
struct Answer {
    status: u16,
    text: String,
    retry_after: Option<Duration>,
    location: Option<String>,
    content_type: Option<String>,
    http2: bool,
}

/// Why an attempt produced no answer to judge.
enum Failure {
    /// The request could not be sent or got no answer (maybe retried).
    Send(reqwest::Error),
    /// Final: the answer could not be read (too large, stalled).
    Fatal(Box<Error>),
}

/// What kind of failure a request without an answer met.
enum SendKind {
    /// The certificate could not be verified (or the handshake failed): never retried, it
    /// will not fix itself.
    Tls(TlsFailure),
    /// The proxy wants credentials (407).
    ProxyAuth,
    /// No server to talk to (refused, unreachable, unknown host).
    Connect,
    Timeout,
    /// The connection broke before an answer came (reset, closed, garbled).
    NoAnswer,
    Other,
}

impl SendKind {
    fn of(e: &reqwest::Error, host: &str) -> SendKind {
        if let Some(f) = tls::tls_failure(e, host) {
            return SendKind::Tls(f);
        }
        if e.is_timeout() {
            return SendKind::Timeout;
        }
        if error_chain(e).contains("proxy authorization required") {
            return SendKind::ProxyAuth;
        }
        if e.is_connect() {
            return SendKind::Connect;
        }
        if e.is_request() || e.is_body() {
            return SendKind::NoAnswer;
        }
        SendKind::Other
    }
}

/// The host of a URL, for messages.
fn host_of(u: &url::Url) -> String {
    u.host_str().unwrap_or("the server").to_string()
}

fn with_retries(message: String, attempt: u32) -> String {
    if attempt > 0 {
        format!("{message} (after {attempt} retries)")
    } else {
        message
    }
}

/// An error and its causes, each said once: `error sending request: client error (Connect):
/// tcp connect error: Connection refused (os error 111)`.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        src = s.source();
    }
    // reqwest names the URL in its own message; the caller names it once already.
    parts
        .into_iter()
        .map(|p| match p.find(" for url (") {
            Some(i) => p[..i].to_string(),
            None => p,
        })
        .collect::<Vec<_>>()
        .join(": ")
}
