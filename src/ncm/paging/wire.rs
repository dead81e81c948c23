//! The wire form of an NCM collection answer: a page's `data` and `meta.next` parsed in one
//! pass (records built, or kept as text until read), what is wrong with an answer that is not a
//! page, and the page arithmetic a listing reads ahead with (offsets, same-page URLs).

use super::super::ahead::Extent;
use super::Record;
use crate::error::{Error, Result};
use serde_json::Value;

/// A collection answer as the wire has it: `data` and `meta.next` (other keys ignored).
#[derive(serde::Deserialize)]
pub(super) struct WirePage<R> {
    data: Vec<R>,
    meta: Option<WireMeta>,
}

#[derive(serde::Deserialize)]
pub(super) struct WireMeta {
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
pub(super) fn read_wire<D: serde::de::DeserializeOwned, R>(
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
pub(super) fn parse_page<R: Record>(text: &str) -> PageBody<R> {
    match read_wire::<R, R>(text) {
        Ok((data, next)) => PageBody::Page(data, next),
        Err(malformed) => malformed,
    }
}

/// Checks a collection answer in one pass without building its records: its text, record
/// count and `meta.next`, for a page that will wait a while before it is read (a third of the
/// memory of its records built).
pub(super) fn parse_page_text<R: Record>(text: &str) -> PageBody<R> {
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
    pub(super) fn len(&self) -> usize {
        match self {
            Records::Built(v) => v.len(),
            Records::Text { count, .. } => *count,
        }
    }

    /// Bytes of text held (a built page counts nothing: at most a window of them wait).
    pub(super) fn text_bytes(&self) -> usize {
        match self {
            Records::Built(_) => 0,
            Records::Text { text, .. } => text.len(),
        }
    }

    /// The records, built from the text if need be.
    pub(super) fn build(self) -> Result<Vec<R>> {
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
pub(super) fn at_offset(next: &url::Url, o: usize) -> url::Url {
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
pub(super) fn records_proven(extent: &Extent, limit: usize) -> usize {
    match extent.pages() {
        0 => 0,
        pages => (pages - 1).saturating_mul(limit).saturating_add(1),
    }
}

/// A page answer's record count and whether it names a next page (`None`: not a page).
pub(super) fn page_shape<R>(body: &PageBody<R>) -> Option<(usize, bool)> {
    match body {
        PageBody::Page(v, next) => Some((v.len(), next.is_some())),
        PageBody::Text(_, count, next) => Some((*count, next.is_some())),
        PageBody::Malformed(..) => None,
    }
}

/// Do two URLs ask for the same page? The same origin, path and query pairs, in any order (a
/// server's `meta.next` need not list them in the order of the guess).
pub(super) fn same_page(a: &url::Url, b: &url::Url) -> bool {
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
pub(super) fn records_and_next<R>(
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
pub(super) fn page_parts<R>(
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

/// Splits a collection body (as a JSON tree) into its records and `meta.next`, or says what is
/// wrong with it: an answer that is not JSON says so (with its content type), not "no data
/// list". Pages are parsed by [`parse_page`]; this explains the ones it could not read.
pub(super) fn split_page(
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
