//! Paging over NCM collections: builds the first page URL of each query chunk, then follows
//! `meta.next` exactly as the API gives it until it is null (offset and timeuuid styles alike).
//! A failure on any page is an error, never a silently partial list.

use super::ahead::{plan, Expected, Extent, PageState, Window};
use super::catalog::Endpoint;
use super::client::NcmClient;
use super::query::{self, Prepared};
use super::Method;
use crate::error::{Error, Result};
use serde_json::Map;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::Arc;

/// The listing calls of the client: they build pagers, so they live with them (the client
/// itself knows nothing of paging).
impl NcmClient {
    /// A lazy pager over the collection, its records as JSON values.
    pub fn pages(self: &Arc<Self>, endpoint: &str, q: &Map<String, Value>) -> Result<Pager> {
        self.pages_of(endpoint, q)
    }

    /// A lazy pager over the collection, its records parsed straight into `R`s.
    pub fn pages_of<R: Record>(
        self: &Arc<Self>,
        endpoint: &str,
        q: &Map<String, Value>,
    ) -> Result<Pager<R>> {
        let ep = Self::endpoint(endpoint)?;
        Self::check_method(ep, Method::Get)?;
        let prepared = query::prepare(ep, q)?;
        self.check_creds()?;
        let prepared = match query::names_in(ep, q) {
            named if named.is_empty() => prepared,
            named => query::prepare(ep, &self.with_ids(q, &named)?)?,
        };
        Ok(Pager::new(self.clone(), ep, prepared))
    }

    /// `q` with the names its filters give where an id goes (`group: "Stores West"`) replaced by
    /// their ids, each found once for the run (the query was checked before: no request is sent
    /// for a query that is wrong anyway).
    fn with_ids(
        self: &Arc<Self>,
        q: &Map<String, Value>,
        named: &[(String, &'static super::Endpoint)],
    ) -> Result<Map<String, Value>> {
        let mut q = q.clone();
        for (key, target) in named {
            if let Some(v) = q.get_mut(key) {
                *v =
                    query::with_ids(v, &mut |name| self.id_named(target, name)).map_err(
                        |e| match e {
                            Error::Invalid(m) => Error::invalid(format!("{key}: {m}")),
                            other => other,
                        },
                    )?;
            }
        }
        Ok(q)
    }

    /// The collection's pages, read on a thread of their own from now on (up to
    /// [`READ_AHEAD_PAGES`] pages ahead of the reader), each made into a `T` by `convert` on
    /// that thread, with a progress line on a terminal.
    pub fn read_ahead<R: Record, T: Send + 'static>(
        self: &Arc<Self>,
        endpoint: &str,
        q: &Map<String, Value>,
        convert: fn(Vec<R>) -> T,
    ) -> Result<ReadAhead<T>> {
        let label = self.progress.then_some(endpoint);
        let buffer = READ_AHEAD_PAGES.max(self.page_concurrency.saturating_mul(2));
        self.pages_of(endpoint, q)?
            .read_ahead(buffer, label, convert)
    }

    /// Every record of the collection matching `q` (or `limit` of them).
    pub fn list(self: &Arc<Self>, endpoint: &str, q: &Map<String, Value>) -> Result<Vec<Value>> {
        self.list_of(endpoint, q)
    }

    /// [`list`](Self::list), the records parsed straight into `R`s.
    pub fn list_of<R: Record>(
        self: &Arc<Self>,
        endpoint: &str,
        q: &Map<String, Value>,
    ) -> Result<Vec<R>> {
        let label = self.progress.then_some(endpoint);
        self.pages_of(endpoint, q)?.collect_all(label)
    }
}

/// What a listing's records become as their page is parsed: JSON values, or a type of the
/// caller's (script values) made straight from the answer's text, with no JSON tree between.
pub trait Record: serde::de::DeserializeOwned + Send + 'static {
    /// One field of the record as JSON (`Null` when absent), to order merged `__in` chunks.
    fn field(&self, name: &str) -> Value;
}

impl Record for Value {
    fn field(&self, name: &str) -> Value {
        self.get(name).cloned().unwrap_or(Value::Null)
    }
}

/// A collection answer as the wire has it: `data` and `meta.next` (other keys ignored).
#[derive(serde::Deserialize)]
struct WirePage<R> {
    data: Vec<R>,
    meta: Option<WireMeta>,
}

#[derive(serde::Deserialize)]
struct WireMeta {
    next: Option<String>,
}

/// A collection answer parsed: its records and `meta.next`, or, when it is not a well-formed
/// page, the body as JSON and the parser's complaint (for an error that says what is wrong).
pub enum PageBody<R> {
    Page(Vec<R>, Option<String>),
    /// Checked but not built (read while the reader was behind): the text, its record count
    /// and `meta.next`.
    Text(String, usize, Option<String>),
    Malformed(Value, String),
}

impl<R> Default for PageBody<R> {
    fn default() -> Self {
        PageBody::Malformed(Value::Null, String::new())
    }
}

/// A collection answer's `data` (each record read as a `D`) and `meta.next`, or, when it is
/// not a well-formed page, the body and the parser's complaint.
fn read_wire<D: serde::de::DeserializeOwned, R>(
    text: &str,
) -> std::result::Result<(Vec<D>, Option<String>), PageBody<R>> {
    match serde_json::from_str::<WirePage<D>>(text) {
        Ok(p) => Ok((
            p.data,
            p.meta.and_then(|m| m.next).filter(|n| !n.is_empty()),
        )),
        Err(e) => Err(PageBody::Malformed(
            crate::http::parse_body(text),
            e.to_string(),
        )),
    }
}

/// Parses a collection answer's text in one pass into its records and `meta.next`.
fn parse_page<R: Record>(text: &str) -> PageBody<R> {
    match read_wire::<R, R>(text) {
        Ok((data, next)) => PageBody::Page(data, next),
        Err(malformed) => malformed,
    }
}

/// Checks a collection answer in one pass without building its records: its text, record
/// count and `meta.next`, for a page that will wait a while before it is read (a third of the
/// memory of its records built).
fn parse_page_text<R: Record>(text: &str) -> PageBody<R> {
    match read_wire::<serde::de::IgnoredAny, R>(text) {
        Ok((data, next)) => PageBody::Text(text.to_owned(), data.len(), next),
        Err(malformed) => malformed,
    }
}

/// A page's records: built, or still the answer's text (with its URL, for an error, and its
/// record count), built when the reader gets to it.
pub enum Records<R> {
    Built(Vec<R>),
    Text {
        text: String,
        url: String,
        count: usize,
    },
}

impl<R: Record> Records<R> {
    fn len(&self) -> usize {
        match self {
            Records::Built(v) => v.len(),
            Records::Text { count, .. } => *count,
        }
    }

    /// Bytes of text held (a built page counts nothing: at most a window of them wait).
    fn text_bytes(&self) -> usize {
        match self {
            Records::Built(_) => 0,
            Records::Text { text, .. } => text.len(),
        }
    }

    /// The records, built from the text if need be.
    fn build(self) -> Result<Vec<R>> {
        match self {
            Records::Built(v) => Ok(v),
            Records::Text { text, url, .. } => match parse_page::<R>(&text) {
                PageBody::Page(v, _) => Ok(v),
                other => {
                    let why = match other {
                        PageBody::Malformed(_, why) => why,
                        _ => "it was not parsed as a page".to_string(),
                    };
                    Err(Error::Protocol {
                        method: "GET".into(),
                        url,
                        message: format!("the page cannot be read: {why}"),
                    })
                }
            },
        }
    }
}

/// `next` with its `offset` set to `o` (its other query pairs as they are).
fn at_offset(next: &url::Url, o: usize) -> url::Url {
    let mut u = next.clone();
    let mut pairs: Vec<(String, String)> = next
        .query_pairs()
        .filter(|(k, _)| k != "offset")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.push(("offset".into(), o.to_string()));
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u
}

/// Records the pages known to exist prove: a record in the last of them, and full pages before
/// it (a listing read alongside can count on them before the reader gets there).
fn records_proven(extent: &Extent, limit: usize) -> usize {
    match extent.pages() {
        0 => 0,
        pages => (pages - 1).saturating_mul(limit).saturating_add(1),
    }
}

/// A page answer's record count and whether it names a next page (`None`: not a page).
fn page_shape<R>(body: &PageBody<R>) -> Option<(usize, bool)> {
    match body {
        PageBody::Page(v, next) => Some((v.len(), next.is_some())),
        PageBody::Text(_, count, next) => Some((*count, next.is_some())),
        PageBody::Malformed(..) => None,
    }
}

/// Do two URLs ask for the same page? The same origin, path and query pairs, in any order (a
/// server's `meta.next` need not list them in the order of the guess).
fn same_page(a: &url::Url, b: &url::Url) -> bool {
    if a == b {
        return true;
    }
    let pairs = |u: &url::Url| {
        let mut p: Vec<(String, String)> =
            u.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
        p.sort();
        p
    };
    a.origin() == b.origin() && a.path() == b.path() && pairs(a) == pairs(b)
}

/// A page's records (built or as text) and `meta.next`, or what is wrong with the answer.
fn records_and_next<R>(
    body: PageBody<R>,
    url: &str,
    content_type: Option<&str>,
) -> std::result::Result<(Records<R>, Option<String>), String> {
    match body {
        PageBody::Text(text, count, next) => Ok((
            Records::Text {
                text,
                url: url.to_string(),
                count,
            },
            next,
        )),
        other => page_parts(other, content_type).map(|(v, next)| (Records::Built(v), next)),
    }
}

/// A parsed page's records and `meta.next`, or what is wrong with the answer.
fn page_parts<R>(
    body: PageBody<R>,
    content_type: Option<&str>,
) -> std::result::Result<(Vec<R>, Option<String>), String> {
    match body {
        PageBody::Page(data, next) => Ok((data, next)),
        PageBody::Text(..) => Err("the page was kept as text where records were wanted".into()),
        PageBody::Malformed(body, why) => {
            split_page(body, content_type)?;
            Err(format!("the page cannot be read: {why}"))
        }
    }
}

/// A page asked for ahead: its URL and index, where its request stands, and the request's
/// outcome when it lands.
struct Ahead<R> {
    url: url::Url,
    index: usize,
    state: Arc<PageState>,
    handle: std::thread::JoinHandle<Result<crate::http::Response<PageBody<R>>>>,
}

/// A lazy sequence of pages; memory bounded by the pages in flight, whatever the fleet size.
/// Offset-paged listings keep up to `page_concurrency` pages in flight (the next page the API
/// names, then guesses at the offsets after it, as far as `ahead::plan` allows: no call
/// wasted) and hand them on in order; a guess is used only when the page before it names
/// exactly that URL as `meta.next`.
pub struct Pager<R = Value> {
    client: Arc<NcmClient>,
    ep: &'static Endpoint,
    chunks: VecDeque<Vec<(String, String)>>,
    page_size: usize,
    offset: Option<usize>,
    next: Option<url::Url>,
    remaining: Option<usize>,
    finished: bool,
    /// Every page URL read, so a `meta.next` that loops back is caught.
    visited: std::collections::HashSet<String>,
    pub pages_fetched: usize,
    pub records_seen: usize,
    /// Pages requested ahead of the one being read, in order.
    ahead: VecDeque<Ahead<R>>,
    /// What the answers of the current chunk showed (pages known, the last page).
    extent: Arc<Extent>,
    /// Answers read in the current chunk.
    chunk_pages: usize,
    /// Told by each page asked for ahead when its answer lands (the reader plans again).
    arrived: (std::sync::mpsc::Sender<()>, std::sync::mpsc::Receiver<()>),
    /// The record count known beforehand (nothing is guessed past it).
    expected: Option<Arc<Expected>>,
    /// Told the records found as they are read, for a listing of as many records read
    /// alongside (the routers of a backup, for their configuration managers).
    publish: Option<Arc<Expected>>,
    /// Keep pages fetched from now on as text, records built later (set while the reader of
    /// a listing read ahead is behind; never for a listing with a `limit`).
    keep_text: bool,
}

impl<R: Record> Pager<R> {
    pub(crate) fn new(client: Arc<NcmClient>, ep: &'static Endpoint, p: Prepared) -> Self {
        Pager {
            client,
            ep,
            chunks: p.chunks.into(),
            page_size: p.page_size,
            offset: p.offset,
            next: None,
            remaining: p.limit,
            finished: false,
            visited: Default::default(),
            pages_fetched: 0,
            records_seen: 0,
            ahead: VecDeque::new(),
            extent: Default::default(),
            chunk_pages: 0,
            arrived: std::sync::mpsc::channel(),
            expected: None,
            publish: None,
            keep_text: false,
        }
    }

    /// The listing holds the records `e` says (exactly, or at least so far): its pages are
    /// asked for at once, and none past them.
    pub fn expecting(mut self, e: Arc<Expected>) -> Self {
        self.expected = Some(e);
        self
    }

    /// Tells `e` the records found as the pages are read, and their count at the end.
    pub fn publishing(mut self, e: Arc<Expected>) -> Self {
        self.publish = Some(e);
        self
    }

    /// How answers are parsed from now on: records built, or kept as text.
    fn parser(&self) -> fn(&str) -> PageBody<R> {
        if self.keep_text && self.remaining.is_none() {
            parse_page_text::<R>
        } else {
            parse_page::<R>
        }
    }

    /// The answer for `url`: the one asked for ahead when it was guessed right, else a request
    /// now. Wrong guesses are dropped (a request of theirs still waiting to retry stops). While
    /// it waits, every other answer that lands may prove more pages: more are asked for at once.
    fn fetch(&mut self, url: &url::Url) -> Result<crate::http::Response<PageBody<R>>> {
        // Pages asked for ahead are in no particular order (a guess lands far ahead): drop the
        // ones that can no longer be read (an earlier page, or this page under another URL).
        let want = self.page_index(url);
        let (keep, gone): (VecDeque<Ahead<R>>, VecDeque<Ahead<R>>) =
            std::mem::take(&mut self.ahead)
                .into_iter()
                .partition(|a| same_page(&a.url, url) || want.is_some_and(|w| a.index > w));
        self.ahead = keep;
        for a in &gone {
            self.drop_page(a);
        }
        let Some(mut pos) = self.ahead.iter().position(|a| same_page(&a.url, url)) else {
            return self.client.get_url_with(url, self.parser(), None);
        };
        while !self.ahead[pos].handle.is_finished() {
            // Woken by any page's answer (or after a while: a page thread that died sends none).
            let _ = self
                .arrived
                .1
                .recv_timeout(std::time::Duration::from_millis(100));
            self.prefetch(url);
            pos = self
                .ahead
                .iter()
                .position(|a| same_page(&a.url, url))
                .unwrap_or(pos);
        }
        let a = self
            .ahead
            .remove(pos)
            .expect("the page waited for is asked for");
        a.handle.join().unwrap_or_else(|_| {
            Err(Error::Protocol {
                method: "GET".into(),
                url: self.client.redact(url.as_str()),
                message: "the page request stopped unexpectedly".into(),
            })
        })
    }

    /// A page asked for ahead that will not be read: its request stops at its next chance,
    /// and counts as wasted if it went out.
    fn drop_page(&self, a: &Ahead<R>) {
        if a.state.drop_page() {
            let stats = &self.client.transport().stats;
            stats
                .wasted
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Drops every page asked for ahead (the listing, or its chunk, is over).
    fn drop_ahead(&mut self) {
        for a in std::mem::take(&mut self.ahead) {
            self.drop_page(&a);
        }
    }

    /// The index of the page at `offset` in the current chunk (pages of `limit` records from
    /// the chunk's first offset).
    fn index_of(&self, offset: usize, limit: usize) -> Option<usize> {
        offset
            .checked_sub(self.offset.unwrap_or(0))
            .map(|d| d / limit.max(1))
    }

    /// After a page naming `next` (or before the first page, `next` being it): asks for the
    /// pages `ahead::plan` allows — `next` itself, then the same query at the offsets after it
    /// (an URL without an offset is at offset 0).
    fn prefetch(&mut self, next: &url::Url) {
        let n = self.client.page_concurrency;
        if n <= 1
            || !matches!(self.ep.paging, super::catalog::Paging::Offset)
            || self.remaining.is_some()
        {
            return;
        }
        let param = |u: &url::Url, k: &str| {
            u.query_pairs()
                .find(|(x, _)| x == k)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let has_offset = next.query_pairs().any(|(k, _)| k == "offset");
        let offset = if has_offset {
            param(next, "offset")
        } else {
            Some(0)
        };
        let (Some(offset), Some(limit)) = (offset, param(next, "limit")) else {
            return;
        };
        let Some(index) = self.index_of(offset, limit) else {
            return;
        };
        let window = Window {
            next: index,
            concurrency: n,
            answered: self.chunk_pages > 0 || self.extent.pages() > 0,
        };
        let held: Vec<usize> = self.ahead.iter().map(|a| a.index).collect();
        let in_flight: Vec<usize> = self
            .ahead
            .iter()
            .filter(|a| !a.handle.is_finished())
            .map(|a| a.index)
            .collect();
        let asked = plan(
            window,
            &self.extent,
            self.expected.as_deref(),
            limit,
            &in_flight,
            &held,
        );
        for i in asked {
            let Some(o) = (i - index)
                .checked_mul(limit)
                .and_then(|d| offset.checked_add(d))
            else {
                break;
            };
            let u = if i == index {
                next.clone()
            } else {
                at_offset(next, o)
            };
            self.ask_ahead(u, i, limit);
        }
    }

    /// Asks for page `index` (at `url`, pages of `limit`) on a thread of its own.
    fn ask_ahead(&mut self, url: url::Url, index: usize, limit: usize) {
        let client = self.client.clone();
        let target = url.clone();
        let parse = self.parser();
        let state = Arc::new(PageState::default());
        let extent = self.extent.clone();
        let st = state.clone();
        let arrived = self.arrived.0.clone();
        let publish = self.publish.clone();
        let handle = std::thread::spawn(move || {
            let may_send = || st.may_send(&extent, index);
            let r = client.get_url_with(&target, parse, Some(&may_send));
            // Told at once, before the reader gets here: no guess goes past a last page, and
            // the reader asks for more as soon as it knows more.
            if let Ok(resp) = &r {
                if let Some((count, next)) = page_shape(&resp.body) {
                    extent.learn(index, count, next);
                    if let Some(p) = &publish {
                        p.at_least(records_proven(&extent, limit));
                    }
                }
            }
            let _ = arrived.send(());
            r
        });
        self.ahead.push_back(Ahead {
            url,
            index,
            state,
            handle,
        });
    }

    /// The next page of records, `Ok(None)` when every page has been read.
    pub fn next_page(&mut self) -> Result<Option<Vec<R>>> {
        self.next_records()?.map(Records::build).transpose()
    }

    /// The next page, its records built or (with `keep_text`) as text.
    fn next_records(&mut self) -> Result<Option<Records<R>>> {
        if self.needs_merge() {
            let all = self.merge_chunks()?;
            return Ok((!all.is_empty()).then_some(Records::Built(all)));
        }
        loop {
            if self.finished || self.remaining == Some(0) {
                self.finished = true;
                return Ok(None);
            }
            let url = match self.next.take() {
                Some(u) => u,
                None => match self.chunks.pop_front() {
                    Some(params) => {
                        // A chunk is a listing of its own: what the last one showed is no guide.
                        self.drop_ahead();
                        self.extent = Default::default();
                        self.chunk_pages = 0;
                        let mut u = self.client.endpoint_url(self.ep.name, None);
                        {
                            let mut qp = u.query_pairs_mut();
                            for (k, v) in &params {
                                qp.append_pair(k, v);
                            }
                            qp.append_pair("limit", &self.page_size.to_string());
                            if let Some(o) = self.offset {
                                qp.append_pair("offset", &o.to_string());
                            }
                        }
                        u
                    }
                    None => {
                        self.finished = true;
                        return Ok(None);
                    }
                },
            };
            // A listing whose count is known: its pages go out at once, not after the first
            // answer (one round trip less, and no guess).
            if self.expected.is_some() && self.chunk_pages == 0 {
                self.prefetch(&url);
            }
            let resp = self.fetch(&url)?;
            let protocol = |message: String| Error::Protocol {
                method: "GET".into(),
                url: self.client.redact(url.as_str()),
                message,
            };
            let (mut data, next) = records_and_next(
                resp.body,
                &self.client.redact(url.as_str()),
                resp.content_type.as_deref(),
            )
            .map_err(protocol)?;
            self.pages_fetched += 1;
            self.chunk_pages += 1;
            self.visited.insert(url.to_string());
            if let Some(i) = self.page_index(&url) {
                self.extent.learn(i, data.len(), next.is_some());
            }
            if let Some(n) = next {
                let next = self.client.follow_url(&url, &n)?;
                if data.len() == 0 {
                    return Err(protocol(format!(
                        "page {} is empty but links to a next page ({}); the listing cannot be trusted, try again later",
                        self.pages_fetched,
                        self.client.redact(next.as_str())
                    )));
                }
                if self.visited.contains(next.as_str()) {
                    return Err(protocol(format!(
                        "meta.next repeats a page already read ({}); the server is looping, stopped after {} pages",
                        self.client.redact(next.as_str()),
                        self.pages_fetched
                    )));
                }
                self.prefetch(&next);
                self.next = Some(next);
            }
            if let Some(rem) = self.remaining {
                let mut v = data.build()?;
                v.truncate(rem);
                self.remaining = Some(rem - v.len());
                data = Records::Built(v);
            }
            self.records_seen += data.len();
            if self.next.is_none() {
                // Past the end of this chunk: nothing asked for ahead will be read.
                self.drop_ahead();
            }
            self.tell_count();
            if data.len() == 0 && self.next.is_none() {
                continue; // an empty last page of this chunk; go on to the next chunk
            }
            return Ok(Some(data));
        }
    }

    /// The index of the page `url` asks for in the current chunk (by its `offset` and `limit`).
    fn page_index(&self, url: &url::Url) -> Option<usize> {
        let param = |k: &str| {
            url.query_pairs()
                .find(|(x, _)| x == k)
                .map(|(_, v)| v.parse::<usize>().ok())
        };
        let offset = param("offset").unwrap_or(Some(0))?;
        let limit = param("limit")??;
        self.index_of(offset, limit)
    }

    /// Tells the listing read alongside how many records there are: at least one more than
    /// read so far while a next page is named, exactly those read at the end.
    fn tell_count(&self) {
        let Some(p) = &self.publish else { return };
        if self.next.is_some() {
            p.at_least(self.records_seen.saturating_add(1));
            p.at_least(records_proven(&self.extent, self.page_size));
        } else if self.chunks.is_empty() {
            p.finish(self.records_seen);
        }
    }

    /// The `order_by` of the query, if any.
    fn order_by(&self) -> Option<String> {
        self.chunks
            .front()?
            .iter()
            .find(|(k, _)| k == "order_by")
            .map(|(_, v)| v.clone())
    }

    /// An `__in` list split over several requests, with a `limit` or an `order_by`: the API
    /// orders and limits each request on its own, so the chunks are merged here.
    fn needs_merge(&self) -> bool {
        self.pages_fetched == 0
            && self.next.is_none()
            && self.chunks.len() > 1
            && (self.remaining.is_some() || self.order_by().is_some())
    }

    /// Reads every chunk (each at most `limit` records: the overall first `limit` are among
    /// them), orders the union by `order_by` (by `id` when none is given) and keeps `limit`.
    fn merge_chunks(&mut self) -> Result<Vec<R>> {
        let limit = self.remaining;
        let order = self.order_by();
        let mut all: Vec<R> = vec![];
        for params in std::mem::take(&mut self.chunks) {
            let mut sub = Pager {
                client: self.client.clone(),
                ep: self.ep,
                chunks: VecDeque::from([params]),
                page_size: self.page_size,
                offset: self.offset,
                next: None,
                remaining: limit,
                finished: false,
                visited: Default::default(),
                pages_fetched: 0,
                records_seen: 0,
                ahead: VecDeque::new(),
                extent: Default::default(),
                chunk_pages: 0,
                arrived: std::sync::mpsc::channel(),
                expected: None,
                publish: None,
                keep_text: false,
            };
            while let Some(mut page) = sub.next_page()? {
                all.append(&mut page);
            }
            self.pages_fetched += sub.pages_fetched;
        }
        let (field, descending) = match order.as_deref() {
            Some(o) => (o.trim_start_matches('-').to_string(), o.starts_with('-')),
            None => ("id".to_string(), false),
        };
        let mut keyed: Vec<(Value, R)> = all.into_iter().map(|r| (r.field(&field), r)).collect();
        keyed.sort_by(|(a, _), (b, _)| {
            let o = compare_values(a, b);
            if descending {
                o.reverse()
            } else {
                o
            }
        });
        let mut all: Vec<R> = keyed.into_iter().map(|(_, r)| r).collect();
        if let Some(l) = limit {
            all.truncate(l);
        }
        self.remaining = limit.map(|_| 0);
        self.finished = true;
        self.records_seen += all.len();
        Ok(all)
    }

    /// Every remaining record. With a `label`, a progress line (records, pages, rate) shows on
    /// a terminal once more than two pages have been read; never when stderr is not a terminal.
    pub fn collect_all(mut self, label: Option<&str>) -> Result<Vec<R>> {
        let mut progress = Progress::new(label);
        let mut all = vec![];
        while let Some(mut page) = self.next_page()? {
            progress.page(page.len());
            all.append(&mut page);
        }
        Ok(all)
    }

    /// Reads the pages on a thread of its own from now on, `buffer` pages ahead of the reader
    /// (plus the `page_concurrency` in flight), so a listing goes on while the caller works on
    /// earlier pages or reads another listing. Past that it goes on fetching, keeping the
    /// answers as text (up to [`READ_AHEAD_TEXT_BYTES`]), their records built as the reader
    /// catches up. Same pages, same order, same errors.
    pub fn read_ahead<T: Send + 'static>(
        self,
        buffer: usize,
        label: Option<&str>,
        convert: fn(Vec<R>) -> T,
    ) -> Result<ReadAhead<T>> {
        let (tx, rx) = std::sync::mpsc::sync_channel(buffer.max(1));
        std::thread::Builder::new()
            .name("fleetscript-pages".into())
            .spawn(move || self.feed(&tx, convert))
            .map_err(|e| Error::io("a thread to read pages ahead", e))?;
        Ok(ReadAhead {
            pages: std::sync::Mutex::new(rx),
            progress: Progress::new(label),
            done: false,
        })
    }
}

/// A page read (or the end, or the error that ended the listing) waiting for the reader.
type Waiting<R> = Result<Option<Records<R>>>;

impl<R: Record> Pager<R> {
    /// The reading thread of [`Pager::read_ahead`]: fetches pages and hands them on in order.
    /// While the reader's buffer is full, fetched pages wait here as text (at most
    /// [`READ_AHEAD_TEXT_BYTES`]; past that it waits for the reader too).
    fn feed<T>(mut self, tx: &std::sync::mpsc::SyncSender<PageSent<T>>, convert: fn(Vec<R>) -> T) {
        use std::sync::mpsc::TrySendError;
        let ready = |w: Waiting<R>| -> PageSent<T> {
            let records = w?;
            records
                .map(|r| r.build().map(|v| (v.len(), convert(v))))
                .transpose()
        };
        let mut waiting: VecDeque<Waiting<R>> = VecDeque::new();
        let mut text_bytes = 0usize;
        let mut refused: Option<PageSent<T>> = None;
        let mut ended = false;
        loop {
            // Hand on what waits, as far as the reader has room.
            loop {
                let item = match refused.take() {
                    Some(item) => item,
                    None => match waiting.pop_front() {
                        Some(w) => {
                            if let Ok(Some(r)) = &w {
                                text_bytes = text_bytes.saturating_sub(r.text_bytes());
                            }
                            ready(w)
                        }
                        None => break,
                    },
                };
                match tx.try_send(item) {
                    Ok(()) => {}
                    Err(TrySendError::Full(item)) => {
                        refused = Some(item);
                        break;
                    }
                    // The reader is gone (a loop left early): stop reading.
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
            match refused.take() {
                None if ended => return,
                // Nothing more to fetch, or enough held: wait for the reader.
                Some(item) if ended || text_bytes >= READ_AHEAD_TEXT_BYTES => {
                    if tx.send(item).is_err() {
                        return;
                    }
                    continue;
                }
                other => refused = other,
            }
            // While the reader is behind, pages fetched wait as text.
            self.keep_text = refused.is_some();
            let w = self.next_records();
            if let Ok(Some(r)) = &w {
                text_bytes = text_bytes.saturating_add(r.text_bytes());
            }
            ended = !matches!(w, Ok(Some(_)));
            waiting.push_back(w);
        }
    }
}

/// A progress line for a listing of more than two pages, on a terminal only; cleared when done.
pub struct Progress {
    pb: Option<crate::progress::ProgressBar>,
    label: String,
    pages: usize,
    records: u64,
}

impl Progress {
    /// Shows nothing without a label or when stderr is not a terminal.
    pub fn new(label: Option<&str>) -> Self {
        use std::io::IsTerminal;
        let on = label.is_some() && std::io::stderr().is_terminal();
        Progress {
            pb: on.then(crate::progress::ProgressBar::hidden),
            label: label.unwrap_or_default().to_string(),
            pages: 0,
            records: 0,
        }
    }

    /// One more page of `records` read.
    pub fn page(&mut self, records: usize) {
        self.pages += 1;
        self.records += records as u64;
        let Some(pb) = &self.pb else { return };
        if self.pages == 3 {
            pb.set_style(
                crate::progress::ProgressStyle::with_template(
                    "{spinner} {msg}: {pos} records, {per_sec}",
                )
                .unwrap_or_else(|_| crate::progress::ProgressStyle::default_spinner()),
            );
            pb.set_draw_target(crate::progress::ProgressDrawTarget::stderr());
        }
        pb.set_message(format!("{} ({} pages)", self.label, self.pages));
        pb.set_position(self.records);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(pb) = &self.pb {
            pb.finish_and_clear();
        }
    }
}

/// How many pages a listing read by [`NcmClient::read_ahead`] may run ahead of its reader: a job
/// that reads two listings one after the other (net devices, then routers) gets the second
/// whole while it works on the first. Memory stays bounded whatever the fleet's size.
pub const READ_AHEAD_PAGES: usize = 24;

/// How much answer text a listing read ahead may hold for a reader that is behind: an
/// inventory reading 400 pages of net devices before its 200 pages of routers gets the routers
/// read meanwhile (some 36 MiB of text at 100,000 routers) instead of after.
pub const READ_AHEAD_TEXT_BYTES: usize = 64 << 20;

/// What the reading thread sends: a page (its record count and converted records), the end
/// (`None`), or the error that ended the listing.
type PageSent<T> = Result<Option<(usize, T)>>;

/// Pages read ahead by [`Pager::read_ahead`], in order; ends after the last page or an error.
pub struct ReadAhead<T> {
    /// Each page's record count and converted page; `Ok(None)` marks the end: a channel closed
    /// without it means the reader died. (In a mutex only so that the iterator may be shared
    /// between threads, as Rhai asks.)
    pages: std::sync::Mutex<std::sync::mpsc::Receiver<PageSent<T>>>,
    progress: Progress,
    done: bool,
}

impl<T> Iterator for ReadAhead<T> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rx = self.pages.get_mut().unwrap_or_else(|e| e.into_inner());
        let item = rx.recv().unwrap_or_else(|_| {
            Err(Error::invalid(
                "the thread reading pages ahead stopped unexpectedly; the listing is incomplete",
            ))
        });
        match item {
            Ok(Some((records, page))) => {
                self.progress.page(records);
                Some(Ok(page))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<R> Drop for Pager<R> {
    /// A listing left early (a loop's `break`, an error): the pages asked for ahead stop at
    /// their next chance (a 429's wait included).
    fn drop(&mut self) {
        for a in std::mem::take(&mut self.ahead) {
            if a.state.drop_page() {
                let stats = &self.client.transport().stats;
                stats
                    .wasted
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

impl<R: Record> Iterator for Pager<R> {
    type Item = Result<Vec<R>>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_page() {
            Ok(Some(p)) => Some(Ok(p)),
            Ok(None) => None,
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }
}

/// The order of two field values: numbers (or numeric strings) by value, time UUIDs by their
/// time, anything else as text.
fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    let num = |v: &Value| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse::<f64>().ok()))
    };
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return x.total_cmp(&y);
    }
    let time = |v: &Value| {
        v.as_str()
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .and_then(|u| u.get_timestamp())
            .map(|t| t.to_unix())
    };
    if let (Some(x), Some(y)) = (time(a), time(b)) {
        if x != y {
            return x.cmp(&y);
        }
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text(a).cmp(&text(b))
}

/// Splits a collection body (as a JSON tree) into its records and `meta.next`, or says what is
/// wrong with it: an answer that is not JSON says so (with its content type), not "no data
/// list". Pages are parsed by [`parse_page`]; this explains the ones it could not read.
fn split_page(
    mut body: Value,
    content_type: Option<&str>,
) -> std::result::Result<(Vec<Value>, Option<String>), String> {
    if let Value::String(text) = &body {
        let start: String = text.chars().take(80).collect();
        return Err(format!(
            "the answer is not JSON ({}): {start:?}",
            content_type.unwrap_or("no content-type")
        ));
    }
    // Taken out of the body, not copied: a page of configuration managers is megabytes of values.
    let data = match body.get_mut("data").map(Value::take) {
        Some(Value::Array(a)) => a,
        _ => return Err("the collection body has no 'data' list".to_string()),
    };
    let next = match body.pointer("/meta/next") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(format!("meta.next is neither a URL nor null: {other}")),
    };
    Ok((data, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(
        text: &str,
        content_type: Option<&str>,
    ) -> std::result::Result<(Vec<Value>, Option<String>), String> {
        page_parts(parse_page::<Value>(text), content_type)
    }

    #[test]
    fn a_page_is_its_records_and_next() {
        let (data, next) = parts(r#"{"data": [{"id": "1"}, {"id": "2"}], "meta": {"next": "/api/v2/routers/?offset=2"}}"#, None).unwrap();
        assert_eq!(
            data,
            vec![
                serde_json::json!({"id": "1"}),
                serde_json::json!({"id": "2"})
            ]
        );
        assert_eq!(next.as_deref(), Some("/api/v2/routers/?offset=2"));
        for last in [
            r#"{"data": [], "meta": {"next": null}}"#,
            r#"{"data": [], "meta": {"next": ""}}"#,
            r#"{"data": []}"#,
        ] {
            assert_eq!(parts(last, None).unwrap().1, None, "{last}");
        }
    }

    #[test]
    fn a_malformed_page_says_what_is_wrong() {
        let err = parts("<html>gateway timeout</html>", Some("text/html")).unwrap_err();
        assert!(
            err.contains("not JSON (text/html)") && err.contains("gateway timeout"),
            "{err}"
        );
        let err = parts(r#"{"detail": "nope"}"#, None).unwrap_err();
        assert_eq!(err, "the collection body has no 'data' list");
        let err = parts(r#"{"data": {"id": 1}}"#, None).unwrap_err();
        assert_eq!(err, "the collection body has no 'data' list");
        let err = parts(r#"{"data": [], "meta": {"next": 7}}"#, None).unwrap_err();
        assert_eq!(err, "meta.next is neither a URL nor null: 7");
        let err = parts("", None).unwrap_err();
        assert_eq!(err, "the collection body has no 'data' list");
    }
}
