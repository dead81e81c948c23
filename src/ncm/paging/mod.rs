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

mod feed;
mod wire;

pub use feed::READ_AHEAD_PAGES;
pub use feed::{Progress, ReadAhead};
use wire::*;
pub use wire::{PageBody, Records};

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
            let Some(url) = self.next.take().or_else(|| self.next_chunk()) else {
                self.finished = true;
                return Ok(None);
            };
            // A listing whose count is known: its pages go out at once, not after the first
            // answer (one round trip less, and no guess).
            if self.expected.is_some() && self.chunk_pages == 0 {
                self.prefetch(&url);
            }
            let data = self.read_page(&url)?;
            if data.len() == 0 && self.next.is_none() {
                continue; // an empty last page of this chunk; go on to the next chunk
            }
            return Ok(Some(data));
        }
    }

    /// The first page of the next chunk (a listing of its own: what the last one showed is no
    /// guide), `None` when every chunk has been read.
    fn next_chunk(&mut self) -> Option<url::Url> {
        let params = self.chunks.pop_front()?;
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
        Some(u)
    }

    /// Reads the page at `url`: its records (cut to what is still wanted), the next page
    /// asked for ahead, and what the listing learnt of its extent.
    fn read_page(&mut self, url: &url::Url) -> Result<Records<R>> {
        let resp = self.fetch(url)?;
        let (mut data, next) = records_and_next(
            resp.body,
            &self.client.redact(url.as_str()),
            resp.content_type.as_deref(),
        )
        .map_err(|m| self.protocol(url, m))?;
        self.pages_fetched += 1;
        self.chunk_pages += 1;
        self.visited.insert(url.to_string());
        if let Some(i) = self.page_index(url) {
            self.extent.learn(i, data.len(), next.is_some());
        }
        if let Some(n) = next {
            let next = self.client.follow_url(url, &n)?;
            self.check_next(url, &next, data.len())?;
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
        Ok(data)
    }

    /// A `meta.next` that cannot be trusted: after an empty page, or back to a page read.
    fn check_next(&self, url: &url::Url, next: &url::Url, records: usize) -> Result<()> {
        if records == 0 {
            return Err(self.protocol(url, format!(
                "page {} is empty but links to a next page ({}); the listing cannot be trusted, try again later",
                self.pages_fetched,
                self.client.redact(next.as_str())
            )));
        }
        if self.visited.contains(next.as_str()) {
            return Err(self.protocol(url, format!(
                "meta.next repeats a page already read ({}); the server is looping, stopped after {} pages",
                self.client.redact(next.as_str()),
                self.pages_fetched
            )));
        }
        Ok(())
    }

    /// A page that breaks the API's paging rules, as an error naming it.
    fn protocol(&self, url: &url::Url, message: String) -> Error {
        Error::Protocol {
            method: "GET".into(),
            url: self.client.redact(url.as_str()),
            message,
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
            let one_chunk = Prepared {
                chunks: vec![params],
                limit,
                page_size: self.page_size,
                offset: self.offset,
            };
            let mut sub: Pager<R> = Pager::new(self.client.clone(), self.ep, one_chunk);
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
