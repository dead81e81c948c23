//! `apply_all`'s options as a script gives them (`#{waves: [1, "10%"], soak: 60, ...}`),
//! deserialised with unknown keys refused, and checked into [`BulkOptions`]: every number
//! within its bounds (`crate::settings`), waves that grow, a method that exists, waves and soak
//! only with the health gate. The journal file is opened by the caller (it is a file the run
//! must be allowed to write), so it is handed back as a path.

use super::waves::{check_waves, Amount};
use super::{BulkOptions, WriteMethod};
use crate::error::{Error, Result};
use crate::settings::{self as st, Number};
use serde::Deserialize;

/// A count of routers (`3`) or a share of them (`"10%"`, `"3"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AmountArg {
    Count(i64),
    Text(String),
}

impl AmountArg {
    fn amount(&self, what: &str) -> Result<Amount> {
        match self {
            AmountArg::Count(i) => usize::try_from(*i)
                .map(Amount::Count)
                .map_err(|_| Error::invalid(format!("{what}: {i} is not a count of routers"))),
            AmountArg::Text(t) => Amount::parse(t, what),
        }
    }
}

/// Waves as a list (`[1, "10%", "100%"]`) or one text (`"1,10%,100%"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum WavesArg {
    List(Vec<AmountArg>),
    Text(String),
}

impl WavesArg {
    fn amounts(&self) -> Result<Vec<Amount>> {
        let list = match self {
            WavesArg::List(l) => l
                .iter()
                .map(|a| a.amount("waves"))
                .collect::<Result<Vec<_>>>()?,
            WavesArg::Text(t) => t
                .split(',')
                .map(|s| Amount::parse(s, "waves"))
                .collect::<Result<Vec<_>>>()?,
        };
        check_waves(&list)?;
        Ok(list)
    }
}

/// How a change is written, as a script names it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MethodArg {
    Patch,
    Put,
}

/// The options of `apply_all` (and `plan`, which reads `method` and `drop_secrets`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyOptions {
    pub concurrency: Option<Number>,
    pub rate: Option<Number>,
    pub method: Option<MethodArg>,
    pub journal: Option<String>,
    pub verify: Option<bool>,
    pub verify_timeout: Option<Number>,
    pub poll_interval: Option<Number>,
    pub waves: Option<WavesArg>,
    pub soak: Option<Number>,
    pub max_failures: Option<AmountArg>,
    pub rollback: Option<bool>,
    pub drop_secrets: Option<bool>,
    pub progress: Option<bool>,
    pub label: Option<String>,
}

impl ApplyOptions {
    /// The checked options over `base` (the run's concurrency and rate), and the journal's
    /// path when one is asked for.
    pub fn into_bulk(self, base: BulkOptions) -> Result<(BulkOptions, Option<String>)> {
        let mut b = base;
        let opt = |e: Error| Error::invalid(format!("option {e}"));
        if let Some(n) = self.concurrency {
            b.concurrency = st::CONCURRENCY.usize(n.value()).map_err(opt)?;
        }
        if let Some(n) = self.rate {
            b.rate = st::RATE.check(n.value()).map_err(opt)?;
        }
        if let Some(n) = self.verify_timeout {
            b.verify_timeout = st::VERIFY_TIMEOUT.duration(n.value()).map_err(opt)?;
        }
        if let Some(n) = self.poll_interval {
            b.poll_interval = st::POLL_INTERVAL.duration(n.value()).map_err(opt)?;
        }
        if let Some(n) = self.soak {
            b.soak = st::SOAK.duration(n.value()).map_err(opt)?;
        }
        if let Some(w) = &self.waves {
            b.waves = w.amounts()?;
        }
        if let Some(m) = &self.max_failures {
            b.max_failures = Some(m.amount("max_failures")?);
        }
        if let Some(m) = self.method {
            b.method = match m {
                MethodArg::Patch => WriteMethod::Patch,
                MethodArg::Put => WriteMethod::Put,
            };
        }
        b.rollback = self.rollback.unwrap_or(b.rollback);
        b.drop_secrets = self.drop_secrets.unwrap_or(b.drop_secrets);
        b.progress = self.progress.unwrap_or(b.progress);
        b.label = self.label.unwrap_or(b.label);
        let staged = !b.waves.is_empty() || !b.soak.is_zero();
        if staged && self.verify == Some(false) {
            return Err(Error::invalid("waves and soak need verify: true (each wave must pass the health gate before the next)"));
        }
        b.verify = staged || self.verify.unwrap_or(b.verify);
        Ok((b, self.journal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(v: serde_json::Value) -> Result<BulkOptions> {
        let o: ApplyOptions = serde_json::from_value(v).map_err(Error::invalid)?;
        o.into_bulk(BulkOptions::default()).map(|(b, _)| b)
    }

    #[test]
    fn options_are_checked_into_bulk_options() {
        let b = opts(serde_json::json!({"waves": [1, "10%"], "soak": 60, "max_failures": "2%", "method": "put"})).unwrap();
        assert_eq!(b.waves, vec![Amount::Count(1), Amount::Percent(10.0)]);
        assert!(b.verify, "waves turn the health gate on");
        assert_eq!(b.soak.as_secs(), 60);
        assert_eq!(b.method, WriteMethod::Put);
        let b = opts(serde_json::json!({"waves": "1, 50%"})).unwrap();
        assert_eq!(b.waves, vec![Amount::Count(1), Amount::Percent(50.0)]);
        for (bad, says) in [
            (serde_json::json!({"colour": 1}), "unknown field `colour`"),
            (
                serde_json::json!({"method": "post"}),
                "unknown variant `post`",
            ),
            (
                serde_json::json!({"waves": [1], "verify": false}),
                "need verify: true",
            ),
            (serde_json::json!({"concurrency": -1}), "concurrency"),
            (serde_json::json!({"max_failures": -2}), "not a count"),
        ] {
            let e = opts(bad.clone()).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
