//! Staged roll-outs, without any request: the cumulative wave targets (`[1, "10%", "100%"]`)
//! turned into wave sizes, the failure budget (`max_failures`: a count or a percentage of the
//! run), and the order routers are written in (spread over products and firmwares, so the
//! first wave's canaries are as varied as the fleet).

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// A count of routers or a percentage of the run's routers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    Count(usize),
    Percent(f64),
}

impl Amount {
    /// Parses `"3"` or `"10%"` (spaces around allowed). `what` names the option in errors.
    pub fn parse(text: &str, what: &str) -> Result<Amount> {
        let t = text.trim();
        let bad = || {
            Error::invalid(format!(
                "{what}: {text:?} is neither a count (3) nor a percentage (10%)"
            ))
        };
        if let Some(p) = t.strip_suffix('%') {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&p) {
                return Err(Error::invalid(format!(
                    "{what}: {text:?} is not a percentage from 0% to 100%"
                )));
            }
            Ok(Amount::Percent(p))
        } else {
            t.parse::<usize>().map(Amount::Count).map_err(|_| bad())
        }
    }

    /// How many routers of `n` this is: a count is capped at `n`; a percentage rounds up for
    /// a wave (`up`) so that a non-zero percentage is never an empty wave, down for a budget.
    pub fn of(self, n: usize, up: bool) -> usize {
        match self {
            Amount::Count(c) => c.min(n),
            Amount::Percent(p) => {
                let x = p / 100.0 * n as f64;
                let r = if up { x.ceil() } else { (x + 1e-9).floor() };
                // p is in 0..=100 (checked at parse), so r is in 0..=n.
                (r.max(0.0) as usize).min(n)
            }
        }
    }

    pub fn text(self) -> String {
        match self {
            Amount::Count(c) => c.to_string(),
            Amount::Percent(p) => format!("{p}%"),
        }
    }
}

/// Checks a list of cumulative wave targets: each at least 1 router, none smaller than the one
/// before (a wave cannot shrink what is already written).
pub fn check_waves(targets: &[Amount]) -> Result<()> {
    for t in targets {
        if matches!(t, Amount::Count(0)) || matches!(t, Amount::Percent(p) if *p <= 0.0) {
            return Err(Error::invalid(format!(
                "waves: {} is an empty wave; each target must be at least 1 router (or above 0%)",
                t.text()
            )));
        }
    }
    Ok(())
}

/// The size of each wave for `n` routers: targets are cumulative, 100% is implied at the end,
/// and a target that adds nothing (already reached) is dropped.
pub fn wave_sizes(targets: &[Amount], n: usize) -> Vec<usize> {
    let mut out = vec![];
    let mut done = 0;
    for t in targets.iter().copied().chain([Amount::Percent(100.0)]) {
        let upto = t.of(n, true).max(done);
        if upto > done {
            out.push(upto - done);
            done = upto;
        }
    }
    out
}

/// The order to write routers in: round-robin over their (product, firmware) kinds, each kind
/// in the order given, so any prefix is spread over the kinds. Returns indexes into `kinds`.
pub fn spread<K: Ord + Clone>(kinds: &[K]) -> Vec<usize> {
    let mut by_kind: BTreeMap<K, std::collections::VecDeque<usize>> = BTreeMap::new();
    for (i, k) in kinds.iter().enumerate() {
        by_kind.entry(k.clone()).or_default().push_back(i);
    }
    let mut out = Vec::with_capacity(kinds.len());
    while out.len() < kinds.len() {
        for q in by_kind.values_mut() {
            if let Some(i) = q.pop_front() {
                out.push(i);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Amount {
        Amount::parse(s, "waves").unwrap()
    }

    #[test]
    fn cumulative_targets_become_wave_sizes() {
        assert_eq!(
            wave_sizes(&[a("1"), a("10%"), a("100%")], 300),
            vec![1, 29, 270]
        );
        assert_eq!(wave_sizes(&[a("2")], 300), vec![2, 298], "100% implied");
        assert_eq!(wave_sizes(&[a("3"), a("50%")], 10), vec![3, 2, 5]);
        assert_eq!(
            wave_sizes(&[a("20"), a("100%")], 5),
            vec![5],
            "a count above n"
        );
        assert_eq!(
            wave_sizes(&[a("5"), a("2")], 10),
            vec![5, 5],
            "no shrinking"
        );
        assert_eq!(wave_sizes(&[a("1%")], 10), vec![1, 9], "rounds up");
        assert!(wave_sizes(&[a("1")], 0).is_empty());
    }

    #[test]
    fn amounts_parse_and_refuse_nonsense() {
        assert_eq!(a(" 10 % "), Amount::Percent(10.0));
        assert_eq!(a("7"), Amount::Count(7));
        for bad in ["", "x", "-1", "101%", "-5%", "NaN%", "1e400%", "1.5"] {
            assert!(Amount::parse(bad, "waves").is_err(), "{bad}");
        }
        assert!(check_waves(&[a("0")]).is_err());
        assert!(check_waves(&[a("0%")]).is_err());
        assert_eq!(
            Amount::Percent(10.0).of(15, false),
            1,
            "a budget rounds down"
        );
        assert_eq!(Amount::Percent(100.0).of(15, false), 15);
    }

    #[test]
    fn spread_interleaves_kinds() {
        let kinds = ["a", "a", "a", "b", "b", "c"];
        let order = spread(&kinds);
        assert_eq!(order, vec![0, 3, 5, 1, 4, 2]);
    }
}
