//! Reading a listing ahead of its reader: a thread fetches its pages in order and hands them
//! on through a bounded channel ([`ReadAhead`]), with a progress line for a long listing.

use super::{Pager, Record, Records};
use crate::error::{Error, Result};
use std::collections::VecDeque;

/// A page read (or the end, or the error that ended the listing) waiting for the reader.
type Waiting<R> = Result<Option<Records<R>>>;

impl<R: Record> Pager<R> {
    /// The reading thread of [`Pager::read_ahead`]: fetches pages and hands them on in order.
    /// While the reader's buffer is full, fetched pages wait here as text (at most
    /// [`READ_AHEAD_TEXT_BYTES`]; past that it waits for the reader too).
    pub(super) fn feed<T>(
        mut self,
        tx: &std::sync::mpsc::SyncSender<PageSent<T>>,
        convert: fn(Vec<R>) -> T,
    ) {
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
pub(super) type PageSent<T> = Result<Option<(usize, T)>>;

/// Pages read ahead by [`Pager::read_ahead`], in order; ends after the last page or an error.
pub struct ReadAhead<T> {
    /// Each page's record count and converted page; `Ok(None)` marks the end: a channel closed
    /// without it means the reader died. (In a mutex only so that the iterator may be shared
    /// between threads, as Rhai asks.)
    pub(super) pages: std::sync::Mutex<std::sync::mpsc::Receiver<PageSent<T>>>,
    pub(super) progress: Progress,
    pub(super) done: bool,
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
