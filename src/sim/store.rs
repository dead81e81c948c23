//! The simulator's record store: every endpoint's records in listing order, each either built
//! on demand from the seeded fleet (a [`RecordSource`]; a 100,000-router fleet is a few bytes a
//! record until something writes to it) or kept as a JSON value (written, created, or small
//! tables). Also the record-level helpers every part of the simulator shares (times, timeuuids,
//! scalar text).

use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// Builds records of the generated fleet from their position in the fleet, so none needs to be
/// held in memory until it is changed.
pub trait RecordSource: Send + Sync + std::fmt::Debug {
    /// The record number `idx` of `table`, as the fleet was generated.
    fn record(&self, table: &str, idx: u32) -> Value;
    /// The numeric `id` of that record without building it (`None` for id-less records).
    fn id(&self, table: &str, idx: u32) -> Option<u64>;
    /// Where the record of `table` whose id is `id` was generated (its row, as generated),
    /// when the source can tell without a scan; the store checks the row still holds it.
    fn position(&self, _table: &str, _id: u64) -> Option<usize> {
        None
    }
    /// The fields `names` of record `idx` of `table` without building the whole record, when
    /// the source has all of them at hand (`None`: build the record). A listing filtered on
    /// them reads only these.
    fn fields(&self, _table: &str, _idx: u32, _names: &[&str]) -> Option<Value> {
        None
    }
    /// What the device of router `router_id` added to its own configuration on firmware
    /// `version` of `product` (`None`: the source knows no such router).
    fn device_additions(
        &self,
        _router_id: u64,
        _product: &str,
        _version: &str,
    ) -> Option<crate::diff::Diff> {
        None
    }
}

/// One record of a table.
#[derive(Debug, Clone)]
pub enum Row {
    /// Built on demand by the store's [`RecordSource`].
    Gen(u32),
    /// Held as a value (changed, created, or never generated).
    Kept(Value),
}

/// Records of every endpoint, each list in ascending id order (time order for the timeuuid
/// endpoints), plus the simulated devices' pending config work.
#[derive(Debug, Default, Clone)]
pub struct Store {
    tables: HashMap<&'static str, Vec<Row>>,
    source: Option<Arc<dyn RecordSource>>,
    pub next_id: HashMap<&'static str, u64>,
    /// The URL prefix records carry (`https://www.cradlepointecm.com/api/v2/` in production).
    pub prefix: String,
    /// Configuration managers waiting for their device to sync, and when it will.
    pub sync_due: HashMap<String, std::time::Instant>,
    /// How long a device takes to sync a changed config.
    pub sync_delay: std::time::Duration,
    /// Routers whose device rejects every config it is sent.
    pub rejecting: std::collections::HashSet<String>,
    /// An APN that cuts a device's WAN: a device that syncs a config setting it goes offline.
    pub break_apn: Option<String>,
    /// How long a cut-off device waits before it rolls its config back (the spec: 15 minutes).
    pub rollback_after: std::time::Duration,
    /// Cut-off devices: configuration manager id -> when it rolls back, and the `actual`
    /// config it rolls back to.
    pub rollback_due: HashMap<String, (std::time::Instant, Value)>,
    /// Routers upgrading their firmware, and how upgrades go.
    pub upgrades: super::firmware::Upgrades,
    /// Bumped whenever records may have changed (a write, a device sync, a test's set-up), so
    /// the server's cached listing selections know when they are stale.
    pub generation: u64,
    /// How far the simulator's clock runs ahead of the real one: tests move it forward
    /// ([`super::Simulator::advance`]) instead of sleeping until a device syncs or rolls back.
    pub clock_ahead: std::time::Duration,
}

/// A read-only view of one table: its length and its records by position.
#[derive(Clone, Copy)]
pub struct Table<'a> {
    name: &'a str,
    rows: &'a [Row],
    source: Option<&'a dyn RecordSource>,
}

impl<'a> Table<'a> {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The record at `pos` (built when it is a generated one).
    pub fn get(&self, pos: usize) -> Option<Cow<'a, Value>> {
        self.rows.get(pos).map(|r| self.value(r))
    }

    /// Every record, in order.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'a, Value>> + 'a {
        let this = *self;
        self.rows.iter().map(move |r| this.value(r))
    }

    fn value(&self, row: &'a Row) -> Cow<'a, Value> {
        match (row, self.source) {
            (Row::Kept(v), _) => Cow::Borrowed(v),
            (Row::Gen(i), Some(s)) => Cow::Owned(s.record(self.name, *i)),
            (Row::Gen(_), None) => Cow::Owned(Value::Null),
        }
    }

    /// The fields `names` of the record at `pos`, as an object holding only them, when they can
    /// be had without building a generated record (`None`: read the record itself).
    pub fn fields(&self, pos: usize, names: &[&str]) -> Option<Value> {
        match (self.rows.get(pos)?, self.source) {
            (Row::Gen(i), Some(s)) => s.fields(self.name, *i, names),
            _ => None,
        }
    }

    /// Whether the record at `row` has the id `id` (`numeric`: the id as a number, which is all
    /// a generated record is compared by; it is never built for this).
    fn has_id(&self, row: &Row, id: &str, numeric: Option<u64>) -> bool {
        match row {
            Row::Kept(v) => v.get("id").is_some_and(|x| match x {
                Value::String(s) => s == id,
                Value::Number(n) => numeric.is_some() && n.as_u64() == numeric,
                _ => false,
            }),
            Row::Gen(i) => {
                numeric.is_some() && self.source.and_then(|s| s.id(self.name, *i)) == numeric
            }
        }
    }

    /// The position of the record whose `id` is `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        let numeric = id.parse::<u64>().ok();
        // Where the source generated it, when that row still holds it: no scan.
        let hint = numeric
            .zip(self.source)
            .and_then(|(n, s)| s.position(self.name, n));
        if let Some(p) = hint.filter(|p| {
            self.rows
                .get(*p)
                .is_some_and(|r| self.has_id(r, id, numeric))
        }) {
            return Some(p);
        }
        self.rows.iter().position(|r| self.has_id(r, id, numeric))
    }
}

impl Store {
    /// An empty store whose generated rows are built by `source`.
    pub fn with_source(prefix: &str, source: Option<Arc<dyn RecordSource>>) -> Store {
        Store {
            prefix: prefix.to_string(),
            source,
            ..Default::default()
        }
    }

    /// Sets the source of the generated rows.
    pub fn set_source(&mut self, source: Arc<dyn RecordSource>) {
        self.source = Some(source);
    }

    /// The simulator's time for device syncs and rollbacks.
    pub fn now(&self) -> std::time::Instant {
        let real = std::time::Instant::now();
        real.checked_add(self.clock_ahead).unwrap_or(real)
    }

    pub fn url(&self, endpoint: &str, id: impl std::fmt::Display) -> String {
        format!("{}{endpoint}/{id}/", self.prefix)
    }

    /// What the device of router `router_id` added to its own configuration (see
    /// [`RecordSource::device_additions`]).
    pub fn device_additions(
        &self,
        router_id: u64,
        product: &str,
        version: &str,
    ) -> Option<crate::diff::Diff> {
        self.source
            .as_ref()?
            .device_additions(router_id, product, version)
    }

    /// The records of `name` (an empty table when the endpoint has none).
    pub fn table<'a>(&'a self, name: &'a str) -> Table<'a> {
        Table {
            name,
            rows: self.tables.get(name).map(Vec::as_slice).unwrap_or(&[]),
            source: self.source.as_deref(),
        }
    }

    pub fn find<'a>(&'a self, endpoint: &'a str, id: &str) -> Option<Cow<'a, Value>> {
        let t = self.table(endpoint);
        t.position(id).and_then(|p| t.get(p))
    }

    /// The record for writing: a generated record is built and kept from now on.
    pub fn find_mut(&mut self, endpoint: &str, id: &str) -> Option<&mut Value> {
        let pos = self.table(endpoint).position(id)?;
        self.kept_mut(endpoint, pos)
    }

    /// The record at `pos` for writing (kept from now on).
    pub fn kept_mut(&mut self, endpoint: &str, pos: usize) -> Option<&mut Value> {
        let built = match self.tables.get(endpoint)?.get(pos)? {
            Row::Gen(i) => Some(self.source.as_ref()?.record(endpoint, *i)),
            Row::Kept(_) => None,
        };
        let row = self.tables.get_mut(endpoint)?.get_mut(pos)?;
        if let Some(v) = built {
            *row = Row::Kept(v);
        }
        match row {
            Row::Kept(v) => Some(v),
            Row::Gen(_) => None,
        }
    }

    /// Deletes the record whose id is `id`; false when there is none.
    pub fn remove(&mut self, endpoint: &str, id: &str) -> bool {
        let Some(pos) = self.table(endpoint).position(id) else {
            return false;
        };
        if let Some(t) = self.tables.get_mut(endpoint) {
            t.remove(pos);
        }
        true
    }

    pub fn alloc_id(&mut self, endpoint: &'static str) -> u64 {
        let n = self.next_id.entry(endpoint).or_insert(1);
        let id = *n;
        *n += 1;
        id
    }

    /// Stores a record. Null fields are dropped to keep large fleets small in memory; the server
    /// restores every catalog field on output, so clients see the spec's full shape.
    pub fn push(&mut self, endpoint: &'static str, mut rec: Value) {
        if let Value::Object(m) = &mut rec {
            // Rebuilt from an exact-size iterator: no spare capacity per record.
            *m = std::mem::take(m)
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .collect();
        }
        if let Some(id) = rec
            .get("id")
            .map(text_of)
            .and_then(|s| s.parse::<u64>().ok())
        {
            self.bump_next_id(endpoint, id);
        }
        self.tables
            .entry(endpoint)
            .or_default()
            .push(Row::Kept(rec));
    }

    /// Appends rows (generated or kept) as they are, for the fleet generator.
    pub fn push_rows(&mut self, endpoint: &'static str, rows: impl IntoIterator<Item = Row>) {
        self.tables.entry(endpoint).or_default().extend(rows);
    }

    /// Makes sure ids handed out for `endpoint` stay above `id`.
    pub fn bump_next_id(&mut self, endpoint: &'static str, id: u64) {
        let n = self.next_id.entry(endpoint).or_insert(1);
        if id >= *n {
            *n = id.saturating_add(1);
        }
    }
}

/// The top-level fields a listing's filters (a nested `actor__type` reads `actor`), its
/// `order_by` and (time-paged endpoints) its time order read.
pub fn fields_read<'a>(
    filters: impl Iterator<Item = &'a str>,
    order_by: Option<&'a str>,
    by_time: bool,
) -> Vec<&'a str> {
    let mut names: Vec<&str> = filters
        .map(|f| f.split_once("__").map_or(f, |(outer, _)| outer))
        .chain(order_by.map(|o| o.strip_prefix('-').unwrap_or(o)))
        .chain(by_time.then_some("created_at_timeuuid"))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Text of a scalar JSON value (strings unquoted).
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// A timestamp as NCM writes it (`2024-05-01T12:00:00.000000+00:00`).
pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    // Written field by field: a strftime pattern is parsed anew on every call, and the
    // simulator writes a timestamp for every few fields it serves.
    let mut s = String::with_capacity(32);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.timestamp_subsec_micros() % 1_000_000
    );
    s
}

/// A version-1 (time-based) UUID for `t`, unique per `seq`.
pub fn timeuuid(t: chrono::DateTime<chrono::Utc>, seq: u64) -> String {
    let nanos = t.timestamp_subsec_nanos() / 100 * 100 + (seq % 100) as u32;
    let stamp = uuid::Timestamp::from_unix(uuid::NoContext, t.timestamp() as u64, nanos);
    let node = [0x0a, 0x81, 0x1c, 0x6a, (seq >> 8) as u8, seq as u8];
    uuid::Uuid::new_v1(stamp, &node).to_string()
}

/// A router_logs id, in the form the spec's router_logs example shows
/// (`"created_at_timeuuid":"5603d1d2be3c87573aa6e613"`, created at 2015-09-24T10:34:58, which is
/// 0x5603d1d2 seconds since the epoch): 24 hex digits, the seconds of `t` then 8 bytes unique per
/// `seq`, so that "Ordering by the ID is equivalent to time ordering".
pub fn log_id(t: chrono::DateTime<chrono::Utc>, seq: u64) -> String {
    format!(
        "{:08x}{seq:016x}",
        u32::try_from(t.timestamp()).unwrap_or(0)
    )
}

/// Seconds (with 100 ns resolution) since the Unix epoch encoded in a time-based UUID, or in
/// the seconds of a router_logs id (see [`log_id`]).
pub fn timeuuid_time(s: &str) -> Option<(u64, u32)> {
    if s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return u64::from_str_radix(&s[..8], 16).ok().map(|secs| (secs, 0));
    }
    let u = uuid::Uuid::parse_str(s).ok()?;
    u.get_timestamp().map(|t| t.to_unix())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug)]
    struct Squares;
    impl RecordSource for Squares {
        fn record(&self, _table: &str, idx: u32) -> Value {
            json!({"id": (idx as u64 * idx as u64).to_string(), "n": idx})
        }
        fn id(&self, _table: &str, idx: u32) -> Option<u64> {
            Some(idx as u64 * idx as u64)
        }
        // Rows `Gen(1..)` are pushed from position 0.
        fn position(&self, _table: &str, id: u64) -> Option<usize> {
            let r = (id as f64).sqrt() as u64;
            (r * r == id && r > 0).then(|| r as usize - 1)
        }
    }

    fn store() -> Store {
        let mut s = Store::with_source("p/", Some(Arc::new(Squares)));
        s.push_rows("things", (1..5).map(Row::Gen));
        s.push("things", json!({"id": "100", "n": "kept", "gone": null}));
        s
    }

    #[test]
    fn timestamps_are_written_as_ncm_writes_them() {
        let t = chrono::DateTime::parse_from_rfc3339("2024-05-01T02:03:04.123456789Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(ts(t), "2024-05-01T02:03:04.123456+00:00");
        assert_eq!(ts(t), t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string());
    }

    #[test]
    fn log_ids_are_the_spec_examples_form_and_order_by_time() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        let id = log_id(at("2015-09-24T10:34:58Z"), 0x3aa6e613);
        assert_eq!(&id[..8], "5603d1d2");
        assert_eq!(id.len(), 24);
        assert_eq!(timeuuid_time(&id), Some((0x5603d1d2, 0)));
        assert!(log_id(at("2015-09-24T10:34:59Z"), 1) > log_id(at("2015-09-24T10:34:58Z"), 9));
    }

    #[test]
    fn generated_and_kept_rows_read_alike() {
        let s = store();
        let t = s.table("things");
        assert_eq!(t.len(), 5);
        assert_eq!(t.get(2).unwrap()["id"], "9");
        assert_eq!(t.get(4).unwrap()["n"], "kept");
        assert!(t.get(4).unwrap().get("gone").is_none(), "nulls are dropped");
        assert_eq!(s.find("things", "16").unwrap()["n"], 4);
        assert!(s.find("things", "5").is_none());
        assert!(s.find("things", "x").is_none());
        assert_eq!(s.table("nothing").len(), 0);
    }

    #[test]
    fn a_written_record_is_kept_and_a_deleted_one_gone() {
        let mut s = store();
        s.find_mut("things", "4").unwrap()["n"] = json!("changed");
        assert_eq!(s.find("things", "4").unwrap()["n"], "changed");
        assert!(matches!(s.tables["things"][1], Row::Kept(_)));
        assert!(matches!(s.tables["things"][2], Row::Gen(3)));
        assert!(s.remove("things", "9"));
        assert!(!s.remove("things", "9"));
        // Where it was generated no longer holds it: found by a scan all the same.
        assert_eq!(s.table("things").position("16"), Some(2));
        assert_eq!(s.find("things", "16").unwrap()["n"], 4);
        assert_eq!(s.table("things").len(), 4);
        assert_eq!(s.alloc_id("things"), 101);
    }
}
