//! How far ahead an offset-paged listing asks for pages, so that no API call is wasted: NCM
//! counts every request against the account's rate limit. A listing that fits in one page costs
//! one request. A longer one asks for the pages known to exist (an answer that names a next page
//! proves it; an answer with records proves every page before it), and guesses past them: a
//! guess lands two windows ahead, so that when it holds records it proves the pages up to it at
//! once and the window stays full. Guesses out at a time plus those that came back empty stay
//! within a tenth of the pages known, rounded up (so requests past the end stay within 10% of the
//! pages needed); nothing is asked for past a page that ended the listing. Where the count is
//! known beforehand ([`Expected`]: a backup's configuration managers, one per router listed),
//! nothing is guessed at all. A page that is no longer needed is dropped, even while it waits to
//! retry a 429.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

/// How many records a listing holds, known before it is read or learnt while another listing is
/// read (every router has one configuration manager): at least `at_least`, exactly that many
/// once `exact`.
#[derive(Debug, Default)]
pub struct Expected {
    at_least: AtomicUsize,
    exact: AtomicBool,
}

impl Expected {
    /// A count still to be learnt (see [`Expected::at_least`], [`Expected::finish`]).
    pub fn unknown() -> Arc<Expected> {
        Arc::default()
    }

    /// A count known now.
    pub fn exactly(n: usize) -> Arc<Expected> {
        let e = Expected::unknown();
        e.finish(n);
        e
    }

    /// At least `n` records exist.
    pub fn at_least(&self, n: usize) {
        self.at_least.fetch_max(n, Ordering::SeqCst);
    }

    /// Exactly `n` records exist.
    pub fn finish(&self, n: usize) {
        self.at_least.store(n, Ordering::SeqCst);
        self.exact.store(true, Ordering::SeqCst);
    }

    /// Pages of `limit` records known to hold records.
    fn pages(&self, limit: usize) -> usize {
        self.at_least.load(Ordering::SeqCst).div_ceil(limit.max(1))
    }
}

/// What the answers of one listing have shown so far, shared with the threads fetching its
/// pages (each tells it as its answer lands, before the reader gets to it).
#[derive(Debug)]
pub struct Extent {
    /// Pages known to exist: an answer with records proves its own index + 1 (and every page
    /// before it), one that names a next page its index + 2.
    pages: AtomicUsize,
    /// The index past which no page holds records: a page without a next one (the last), or an
    /// empty page (past the end); `usize::MAX` until known.
    last: AtomicUsize,
    /// Pages asked for ahead that came back empty (past the end): wasted calls.
    empty: AtomicUsize,
}

impl Default for Extent {
    fn default() -> Self {
        Extent {
            pages: AtomicUsize::new(0),
            last: AtomicUsize::new(usize::MAX),
            empty: AtomicUsize::new(0),
        }
    }
}

impl Extent {
    /// What the answer for page `index` shows: its `records`, and whether it names a next page.
    pub fn learn(&self, index: usize, records: usize, has_next: bool) {
        if records > 0 {
            let proven = if has_next {
                index.saturating_add(2)
            } else {
                index.saturating_add(1)
            };
            self.pages.fetch_max(proven, Ordering::SeqCst);
        }
        if !has_next || records == 0 {
            self.last.fetch_min(index, Ordering::SeqCst);
        }
        if records == 0 && index > 0 {
            self.empty.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Can page `index` hold records (no earlier page ended the listing)?
    pub fn needed(&self, index: usize) -> bool {
        index <= self.last.load(Ordering::SeqCst)
    }

    fn last(&self) -> usize {
        self.last.load(Ordering::SeqCst)
    }

    /// Pages known to exist.
    pub fn pages(&self) -> usize {
        self.pages.load(Ordering::SeqCst)
    }

    fn empty(&self) -> usize {
        self.empty.load(Ordering::SeqCst)
    }
}

/// Where a page asked for ahead stands: the thread marks it sent as it sends it, the reader
/// marks it dropped when it is no longer needed (a drop after sending is a wasted call).
#[derive(Debug, Default)]
pub struct PageState(AtomicU8);

const WAITING: u8 = 0;
const SENT: u8 = 1;
const DROPPED: u8 = 2;

impl PageState {
    /// Asked by the transport before each attempt and while it waits to retry: may the request
    /// of page `index` go (again)? Marks it sent when it may.
    pub fn may_send(&self, extent: &Extent, index: usize) -> bool {
        if !extent.needed(index) {
            return false;
        }
        matches!(
            self.0
                .compare_exchange(WAITING, SENT, Ordering::SeqCst, Ordering::SeqCst),
            Ok(_) | Err(SENT)
        )
    }

    /// The page is not needed: its request stops at its next chance. True when a request had
    /// gone out for it (a wasted call).
    pub fn drop_page(&self) -> bool {
        self.0.swap(DROPPED, Ordering::SeqCst) == SENT
    }
}

/// What the reader knows when it decides which pages to ask for.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Index of the page the reader waits for (the next page the API named, or the first).
    pub next: usize,
    /// Pages in flight at most.
    pub concurrency: usize,
    /// Has any answer of this listing arrived?
    pub answered: bool,
}

/// The page indices to ask for now: from `w.next` on, at most `w.concurrency` in flight
/// (`in_flight`: asked for and not answered yet) and [`held_at_most`] held (`asked`: asked for
/// and not read yet, answered or not), none past the end; first the pages known to exist, then
/// guesses within the speculation budget.
pub fn plan(
    w: Window,
    extent: &Extent,
    expected: Option<&Expected>,
    limit: usize,
    in_flight: &[usize],
    asked: &[usize],
) -> Vec<usize> {
    // A listing of known count spends no round finding its pages: half the window keeps it
    // as fast as a listing that finds them (a window is a page of memory a slot: a backup's
    // configuration managers are megabytes a page), and it holds no more than that.
    let (w, most) = match expected {
        Some(_) => {
            let half = w.concurrency.div_ceil(2);
            (
                Window {
                    concurrency: half,
                    ..w
                },
                half,
            )
        }
        None => (w, held_at_most(w.concurrency)),
    };
    let room = most.saturating_sub(asked.len());
    let mut out = plan_within(w, reach(&w, extent, expected, limit), in_flight, asked);
    out.truncate(room);
    out
}

/// Pages a listing holds ahead of its reader at most, answered or not: the window and two more
/// (a guess far ahead waits for the reader without holding the window up); memory stays bounded
/// whatever the reader's pace.
pub fn held_at_most(concurrency: usize) -> usize {
    concurrency.saturating_add(2)
}

/// What the planner knows of a listing's pages.
#[derive(Debug, Clone, Copy)]
struct Reach {
    /// Pages known to exist.
    known: usize,
    /// The last page that may hold records.
    end: usize,
    /// Guesses past the pages known that may be out at a time.
    budget: usize,
}

fn reach(w: &Window, extent: &Extent, expected: Option<&Expected>, limit: usize) -> Reach {
    let known = extent
        .pages()
        .max(expected.map_or(0, |e| e.pages(limit)))
        // The page the reader waits for exists (the first page is always asked for).
        .max(w.next.saturating_add(1));
    let budget = match expected {
        Some(_) => 0,
        None if !w.answered => 0,
        None => speculation_budget(known).saturating_sub(extent.empty()),
    };
    Reach {
        known,
        // Past the last page nothing holds records; an empty page ends them before it.
        end: extent.last(),
        budget,
    }
}

fn plan_within(w: Window, reach: Reach, in_flight: &[usize], asked: &[usize]) -> Vec<usize> {
    let Reach { known, end, budget } = reach;
    let mut flying = in_flight.len();
    let mut out = vec![];
    let is_asked = |i: usize, out: &[usize]| asked.contains(&i) || out.contains(&i);
    // The pages known to exist, in order, as far as the window goes.
    let mut i = w.next;
    while i < known && i <= end && flying < w.concurrency {
        if !is_asked(i, &out) {
            out.push(i);
            flying += 1;
        }
        i += 1;
    }
    let mut guesses = in_flight.iter().filter(|&&i| i >= known).count();
    let far = known.saturating_add(w.concurrency.saturating_mul(2));
    // One guess far ahead while the end is not in sight: when it holds records it proves every
    // page up to it, and the window stays full.
    let reaching = in_flight
        .iter()
        .any(|&i| i >= far.saturating_sub(w.concurrency));
    let g = far.saturating_sub(1);
    if !reaching && g < end && flying < w.concurrency && guesses < budget && !is_asked(g, &out) {
        out.push(g);
        flying += 1;
        guesses += 1;
    }
    // And one on the page right after those known (the likeliest to hold records): it keeps the
    // window busy while the far guess is out; more would be past the end when the end comes.
    let near = |i: &usize| *i >= known && *i < far.saturating_sub(w.concurrency);
    let mut nearby = in_flight.iter().filter(|i| near(i)).count();
    let mut i = known;
    while flying < w.concurrency && guesses < budget && nearby < 1 && i <= end && near(&i) {
        if !is_asked(i, &out) {
            out.push(i);
            flying += 1;
            guesses += 1;
            nearby += 1;
        }
        i += 1;
    }
    out
}

/// Guesses past the pages known to exist, out at a time or come back empty: a tenth of the
/// pages known, rounded up.
pub fn speculation_budget(known_pages: usize) -> usize {
    known_pages.div_ceil(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays a listing of `records` at pages of 500, every request answered one round after it
    /// was sent, the reader planning at every answer as the pager does; returns the requests,
    /// the rounds until the last page was read, and the most in flight.
    fn play(records: usize, expected: Option<&Expected>) -> (usize, usize, usize) {
        let pages = records.div_ceil(500).max(1);
        let extent = Extent::default();
        let (mut asked, mut flying): (Vec<usize>, Vec<usize>) = (vec![], vec![]);
        let (mut next, mut most, mut round) = (0, 0, 0);
        let mut answered = false;
        loop {
            let w = Window {
                next,
                concurrency: 4,
                answered,
            };
            let held: Vec<usize> = asked.iter().copied().filter(|&i| i >= next).collect();
            let new = plan(w, &extent, expected, 500, &flying, &held);
            asked.extend(&new);
            flying.extend(&new);
            most = most.max(flying.len());
            // One round: every request in flight is answered.
            round += 1;
            for i in std::mem::take(&mut flying) {
                let records = if i < pages { 1 } else { 0 };
                extent.learn(i, records, i + 1 < pages);
            }
            answered = true;
            while next + 1 < pages && asked.contains(&next) {
                next += 1;
            }
            if (0..pages).all(|i| asked.contains(&i)) {
                return (asked.len(), round, most);
            }
        }
    }

    #[test]
    fn a_listing_that_fits_one_page_costs_one_request() {
        for records in [0, 1, 120, 500] {
            assert_eq!(play(records, None).0, 1, "{records}");
        }
    }

    #[test]
    fn past_the_end_stays_within_a_tenth_of_the_pages() {
        for records in [
            501usize, 1_000, 1_234, 2_600, 5_000, 10_000, 12_345, 20_000, 100_000,
        ] {
            let pages = records.div_ceil(500);
            let (sent, _, _) = play(records, None);
            assert!(sent >= pages, "{records}: {sent}");
            assert!(
                sent - pages <= pages.div_ceil(10),
                "{records}: {sent} requests for {pages} pages"
            );
        }
        assert!((3..=4).contains(&play(1_234, None).0));
    }

    #[test]
    fn a_known_count_costs_exactly_its_pages_with_the_window_full() {
        for records in [0, 1, 500, 501, 1_234, 10_000] {
            let e = Expected::exactly(records);
            let (sent, _, most) = play(records, Some(&e));
            assert_eq!(sent, records.div_ceil(500).max(1), "{records}");
            if records > 2_000 {
                assert_eq!(most, 2, "half the window of 4: {records}");
            }
        }
    }

    #[test]
    fn the_window_fills_within_a_few_rounds() {
        // 20,000 records, 40 pages: as many rounds as a full window from the start needs (10),
        // plus the first answers' few.
        let (_, rounds, most) = play(20_000, None);
        assert_eq!(most, 4);
        assert!(rounds <= 10 + 3, "{rounds} rounds");
    }

    #[test]
    fn nothing_is_asked_for_past_the_last_page() {
        let extent = Extent::default();
        extent.learn(0, 500, true);
        extent.learn(2, 10, false);
        let w = Window {
            next: 1,
            concurrency: 4,
            answered: true,
        };
        assert_eq!(plan(w, &extent, None, 500, &[], &[0, 2]), vec![1]);
        assert!(!extent.needed(3) && extent.needed(2));
        let s = PageState::default();
        assert!(!s.may_send(&extent, 3), "past the end");
        assert!(!s.drop_page(), "never sent: no waste");
        let s = PageState::default();
        assert!(s.may_send(&extent, 1) && s.may_send(&extent, 1));
        assert!(s.drop_page(), "sent, then dropped: a wasted call");
        assert!(!s.may_send(&extent, 1), "dropped: never sent again");
        // An empty page (past the end) ends the listing before it, and counts as waste.
        let extent = Extent::default();
        extent.learn(0, 500, true);
        extent.learn(9, 0, false);
        assert!(extent.needed(8) && !extent.needed(10));
        assert_eq!(extent.empty(), 1);
    }
}
