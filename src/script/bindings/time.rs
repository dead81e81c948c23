//! The `time::` Rhai module: timestamps as RFC 3339 strings in UTC, the form NCM filters accept.

use super::{usage_error, RhaiResult};
use chrono::{DateTime, Utc};
use rhai::{Map, Module, Position, INT};

/// Formats a time the way scripts see it: `2024-05-01T12:00:00+00:00`.
pub fn fmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Parses RFC 3339 or the API's naive forms (`2015-09-07T09:35:52.015531`), taken as UTC.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(t.with_timezone(&Utc));
    }
    None
}

fn parse_arg(pos: Position, s: &str) -> RhaiResult<DateTime<Utc>> {
    parse(s).ok_or_else(|| {
        usage_error(
            pos,
            format!("not a datetime: {s:?} (expected e.g. 2024-05-01T12:00:00+00:00)"),
        )
    })
}

/// A span of time as a script gives it: any of weeks, days, hours, minutes and seconds, each a
/// whole or a fractional number.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Span {
    weeks: Option<crate::settings::Number>,
    days: Option<crate::settings::Number>,
    hours: Option<crate::settings::Number>,
    minutes: Option<crate::settings::Number>,
    seconds: Option<crate::settings::Number>,
}

/// The time `span` before now; any overflow or non-finite number is an error, never a panic.
fn ago(span: Span) -> Result<DateTime<Utc>, String> {
    let mut secs: i64 = 0;
    for (name, n, unit) in [
        ("weeks", span.weeks, 604_800),
        ("days", span.days, 86_400),
        ("hours", span.hours, 3_600),
        ("minutes", span.minutes, 60),
        ("seconds", span.seconds, 1),
    ] {
        let Some(n) = n else { continue };
        let n = n
            .whole()
            .ok_or_else(|| format!("{name} must be a finite number of reasonable size"))?;
        secs = n
            .checked_mul(unit)
            .and_then(|s| secs.checked_add(s))
            .ok_or_else(|| format!("{name} = {n} is out of range"))?;
    }
    chrono::TimeDelta::try_seconds(secs)
        .and_then(|d| Utc::now().checked_sub_signed(d))
        .ok_or_else(|| format!("a span of {secs} s is out of range"))
}

/// The `time` module: it holds no state, so it is built once and shared by every engine.
pub fn module() -> std::sync::Arc<Module> {
    static MODULE: std::sync::OnceLock<std::sync::Arc<Module>> = std::sync::OnceLock::new();
    super::built_once(&MODULE, build)
}

fn build() -> Module {
    let mut m = Module::new();
    m.set_doc("/// Time, as RFC 3339 strings in UTC.");
    functions! { &mut m;
        /// The current time, e.g. `2024-05-01T12:00:00+00:00`.
        ///
        /// ```rhai
        /// log::info(`started at ${time::now()}`);
        /// ```
        #[volatile]
        fn now(_) -> String as "string" {
            fmt(Utc::now())
        }

        /// The time a span before now; the span is a map of weeks, days, hours, minutes, seconds.
        /// Made for NCM datetime filters, which need the time portion.
        ///
        /// ```rhai
        /// let recent = ncm::router_alerts::list(#{created_at__gt: time::ago(#{hours: 24})});
        /// ```
        #[volatile]
        fn ago(cx, span: Map as "Map") -> RhaiResult<String> as "string" {
            let pos = cx.call_position();
            let span: Span = super::options(pos, "time::ago", "units: weeks, days, hours, minutes, seconds", span)?;
            ago(span).map(fmt).map_err(|m| usage_error(pos, format!("time::ago: {m}")))
        }

        /// Formats a datetime with a strftime pattern.
        ///
        /// ```rhai
        /// let day = time::format(time::now(), "%Y-%m-%d");
        /// ```
        fn format(cx, t: &str as "string", pattern: &str as "string") -> RhaiResult<String> as "string" {
            use std::fmt::Write;
            let t = parse_arg(cx.call_position(), t)?;
            let mut out = String::new();
            write!(out, "{}", t.format(pattern))
                .map_err(|_| usage_error(cx.call_position(), format!("time::format: bad pattern {pattern:?}")))?;
            Ok(out)
        }

        /// Seconds since the Unix epoch of a datetime string.
        ///
        /// ```rhai
        /// let router = ncm::router("AER2200-0001");
        /// let t = time::parse(router.state_updated_at);
        /// ```
        fn parse(cx, t: &str as "string") -> RhaiResult<INT> as "int" {
            Ok(parse_arg(cx.call_position(), t)?.timestamp())
        }

        /// Seconds elapsed from a datetime until now.
        ///
        /// ```rhai
        /// let r = ncm::router("MBR1400-0000");
        /// let hours_offline = time::since(r.state_updated_at) / 3600;
        /// ```
        #[volatile]
        fn since(cx, t: &str as "string") -> RhaiResult<INT> as "int" {
            Ok((Utc::now() - parse_arg(cx.call_position(), t)?).num_seconds())
        }
    }
    m
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_api_forms() {
        for s in [
            "2015-09-07T09:35:52.015531",
            "2015-08-11T16:22:04.337310+00:00",
            "2020-01-01 00:00:00",
            "2024-05-01T12:00:00Z",
        ] {
            assert!(super::parse(s).is_some(), "{s}");
        }
        assert!(super::parse("2024-05-01").is_none());
    }
}
