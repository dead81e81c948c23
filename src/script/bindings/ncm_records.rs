//! Record helpers of the `ncm::` module that work a page (or a list) at a time, in place, so a
//! fleet-wide job does per page what a script loop would do per record: ids from resource URLs
//! (`ncm::id_of`), names from lookup tables (`ncm::name_of`, `ncm::name_all`), counts by a field
//! (`ncm::count_all`) and columns joined from a table built earlier (`ncm::attach_all`).

use super::{usage_error, RhaiResult};
use rhai::{Array, Dynamic, Map, Module, Position};

/// `ncm::name_of`: the table's entry for the URL's id (read in place: no copy of the URL or
/// the id unless the table lacks it).
fn name_in(table: &rhai::Map, url: &Dynamic) -> Dynamic {
    let found = |id: &str| {
        table
            .get(id)
            .cloned()
            .unwrap_or_else(|| Dynamic::from(format!("#{id}")))
    };
    if let Ok(s) = url.as_immutable_string_ref() {
        return crate::ncm::id_in(&s).map_or_else(|| Dynamic::from(""), found);
    }
    if url.is_int() {
        return found(&url.to_string());
    }
    Dynamic::from("")
}

/// Names every record's `field` by `table` (as [`name_in`]), into the field `into`.
fn name_records(
    pos: Position,
    records: &mut Array,
    field: &str,
    table: &rhai::Map,
    into: &str,
) -> RhaiResult<()> {
    for (i, r) in records.iter_mut().enumerate() {
        let mut m = record_map(pos, "name_all", i, r)?;
        let name = name_in(table, m.get(field).unwrap_or(&Dynamic::UNIT));
        // In place when the field stays (one lookup, no new key).
        match m.get_mut(into) {
            Some(slot) => *slot = name,
            None => {
                m.insert(into.into(), name);
            }
        }
    }
    Ok(())
}

/// Registers `ncm::id_of`, `ncm::name_of`, `ncm::name_all`, `ncm::count_all` and `ncm::attach_all`.
pub fn register(root: &mut Module) {
    functions! { root;
        /// The id at the end of a resource URL (`.../routers/42/` gives `"42"`); a bare id is returned unchanged, `()` for an empty string.
        ///
        /// ```rhai
        /// let router = ncm::router("AER2200-0001");
        /// let gid = ncm::id_of(router.group);
        /// ```
        fn id_of(_, url: &str as "string") -> Dynamic as "string" {
            crate::ncm::id_of(url).map(Dynamic::from).unwrap_or(Dynamic::UNIT)
        }

        /// `()` stays `()` (a null URL field such as an ungrouped router's `group`).
        ///
        /// ```rhai
        /// let r = ncm::router("AER2200-0001");
        /// if ncm::id_of(r.group) == () { print("no group"); }
        /// ```
        fn id_of(_, url: () as "()") -> Dynamic as "()" {
            url.into()
        }

        /// The name a resource URL (or bare id) has in an id -> name table such as `lookup::groups()`:
        /// `""` for a null URL, `#ID` for an id the table lacks. The table is read in place, so a call
        /// costs the same whatever its size (a script function would copy the table on every call).
        ///
        /// ```rhai
        /// import "std/lookup" as lookup;
        /// let groups = lookup::groups();
        /// for r in ncm::routers::list(#{fields: ["id", "group"]}) { print(ncm::name_of(groups, r.group)); }
        /// ```
        fn name_of(_, table: &mut Map as "&mut Map", url: Dynamic as "string|()") -> Dynamic as "string" {
            name_in(table, &url)
        }

        /// Names one URL field of every record of a page or list in place, as `ncm::name_of` does for one:
        /// `r[field] = ncm::name_of(table, r[field])` for each record, in one call (a quarter of the cost
        /// of a loop; the table is copied once per call, so call it once per page, not once per record).
        ///
        /// ```rhai
        /// import "std/lookup" as lookup;
        /// let groups = lookup::groups();
        /// for page in ncm::routers::pages(#{fields: ["id", "group"]}) { ncm::name_all(page, "group", groups); }
        /// ```
        fn name_all(cx, records: &mut Array as "&mut Array", field: &str as "string", table: Map as "Map") -> RhaiResult<()> as "()" {
            name_records(cx.call_position(), records, field, &table, field)
        }

        /// Like `ncm::name_all(records, field, table)`, the names going into the field `into` (the URL stays).
        ///
        /// ```rhai
        /// import "std/lookup" as lookup;
        /// let page = ncm::routers::list(#{fields: ["id", "actual_firmware"], limit: 10});
        /// ncm::name_all(page, "actual_firmware", lookup::firmwares(), "firmware");
        /// ```
        fn name_all(cx, records: &mut Array as "&mut Array", field: &str as "string", table: Map as "Map", into: &str as "string") -> RhaiResult<()> as "()" {
            name_records(cx.call_position(), records, field, &table, into)
        }
    }
    register_counts(root);
    register_attach(root);
}

/// The text a record's field is counted or joined by: a string as it is, a number or a bool as
/// written, `()` (absent or null) as `""`.
fn key_text(v: Option<&Dynamic>) -> String {
    match v {
        None => String::new(),
        Some(v) if v.is_unit() => String::new(),
        Some(v) => v.to_string(),
    }
}

/// The record at `i` as a map, or an error naming the function and what the record is.
fn record_map<'a>(
    pos: Position,
    func: &str,
    i: usize,
    r: &'a mut Dynamic,
) -> RhaiResult<rhai::DynamicWriteLock<'a, Map>> {
    let what = r.type_name();
    r.write_lock::<Map>().ok_or_else(|| {
        usage_error(
            pos,
            format!("ncm::{func}: record {i} is a {what}, not a map"),
        )
    })
}

/// Adds one to `counts[r[field]]` for every record.
fn count_records(
    pos: Position,
    records: &mut Array,
    field: &str,
    mut counts: Map,
) -> RhaiResult<Map> {
    for (i, r) in records.iter_mut().enumerate() {
        let key = key_text(record_map(pos, "count_all", i, r)?.get(field));
        let slot = counts
            .entry(key.as_str().into())
            .or_insert(Dynamic::from_int(0));
        let Ok(n) = slot.as_int() else {
            return Err(usage_error(
                pos,
                format!(
                    "ncm::count_all: counts[\"{key}\"] is a {}, not a count",
                    slot.type_name()
                ),
            ));
        };
        *slot = Dynamic::from_int(n.saturating_add(1));
    }
    Ok(counts)
}

/// `ncm::count_all`, for one page or added to the counts so far.
fn register_counts(root: &mut Module) {
    functions! { root;
        /// How many records have each value of `field`: `#{value: count, ...}` (an absent or null field counts
        /// as `""`), in one call for a whole page.
        ///
        /// ```rhai
        /// let by_state = ncm::count_all(ncm::routers::list(#{fields: ["id", "state"]}), "state");
        /// ```
        fn count_all(cx, records: &mut Array as "&mut Array", field: &str as "string") -> RhaiResult<Map> as "Map" {
            count_records(cx.call_position(), records, field, Map::new())
        }

        /// Adds a page's counts to the counts so far and returns them: call it once per page.
        ///
        /// ```rhai
        /// let by_state = #{};
        /// for page in ncm::routers::pages(#{fields: ["id", "state"]}) { by_state = ncm::count_all(page, "state", by_state); }
        /// ```
        fn count_all(cx, records: &mut Array as "&mut Array", field: &str as "string", counts: Map as "Map") -> RhaiResult<Map> as "Map" {
            count_records(cx.call_position(), records, field, counts)
        }
    }
}

/// The values a table's entry gives the columns: the entry itself for one column, else an
/// array with a value per column.
fn entry_values(pos: Position, id: &str, entry: Dynamic, columns: usize) -> RhaiResult<Array> {
    if columns == 1 {
        return Ok(vec![entry]);
    }
    let what = entry.type_name();
    match entry.try_cast::<Array>() {
        Some(a) if a.len() == columns => Ok(a),
        Some(a) => Err(usage_error(
            pos,
            format!(
                "ncm::attach_all: the table's entry for \"{id}\" has {} values for {columns} columns",
                a.len()
            ),
        )),
        None => Err(usage_error(
            pos,
            format!("ncm::attach_all: the table's entry for \"{id}\" is a {what}, not an array of {columns} values"),
        )),
    }
}

/// Moves `table[r.id]` into each record's `columns` (`missing` when the table has no entry).
fn attach_records(
    pos: Position,
    table: &mut Map,
    mut records: Array,
    columns: &Array,
    missing: &Array,
) -> RhaiResult<Array> {
    let names: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    if names.is_empty() || missing.len() != names.len() {
        return Err(usage_error(
            pos,
            format!(
                "ncm::attach_all: {} columns but {} values for a record the table lacks; give one of each per column",
                names.len(),
                missing.len()
            ),
        ));
    }
    for (i, r) in records.iter_mut().enumerate() {
        let mut m = record_map(pos, "attach_all", i, r)?;
        let id = key_text(m.get("id"));
        let values = match table.remove(id.as_str()) {
            Some(entry) => entry_values(pos, &id, entry, names.len())?,
            None => missing.clone(),
        };
        for (name, v) in names.iter().zip(values) {
            m.insert(name.as_str().into(), v);
        }
    }
    Ok(records)
}

/// `ncm::attach_all`.
fn register_attach(root: &mut Module) {
    functions! { root;
        /// Joins a table built earlier onto a page of records by their `id`, in one call: each record's
        /// entry `table[r.id]` (an array with a value per column) is moved out of the table into the
        /// record's `columns`; a record the table lacks gets `missing`. Returns the records. The table
        /// comes first because the first argument is the one Rhai passes in place (any other is copied,
        /// and a table of every router copied per page would cost more than the loop it replaces); pass the
        /// page with `take(page)` so it is moved, not copied. What stays in the table afterwards had no
        /// record.
        ///
        /// ```rhai
        /// let wans = #{"1": [2, "mdm (connected); ethernet (ready)"]};
        /// let page = ncm::routers::list(#{fields: ["id", "name"], limit: 10});
        /// let rows = ncm::attach_all(wans, take(page), ["wan_count", "wan_interfaces"], [0, ""]);
        /// ```
        fn attach_all(cx, table: &mut Map as "&mut Map", records: Array as "Array", columns: Array as "Array", missing: Array as "Array") -> RhaiResult<Array> as "Array" {
            attach_records(cx.call_position(), table, records, &columns, &missing)
        }
    }
}
