//! The `csv::` Rhai module: write rows (maps) to CSV with an explicit column order, at once or
//! row by row through a writer, and read CSV.

use super::{call, err_at, rhai_error, state, usage_error, RhaiResult, ScriptContext};
use crate::script::convert::dynamic_to_json;
use rhai::{Array, Dynamic, Map, Module, NativeCallContext, Position, INT};
use std::sync::{Arc, Mutex};

fn cell(d: Option<&Dynamic>) -> String {
    let mut s = String::new();
    cell_into(d, &mut s);
    s
}

/// A value as the text of its CSV cell, into `buf` (cleared first): empty for a missing value
/// or `()`, maps and arrays as JSON. A writer reuses one buffer for every cell.
fn cell_into(d: Option<&Dynamic>, buf: &mut String) {
    use std::fmt::Write;
    buf.clear();
    match d {
        None => {}
        Some(d) if d.is_unit() => {}
        Some(d) if d.is_string() => {
            if let Some(s) = d.read_lock::<rhai::ImmutableString>() {
                buf.push_str(&s);
            }
        }
        Some(d) if d.is_map() || d.is_array() => buf.push_str(&dynamic_to_json(d).to_string()),
        Some(d) => {
            let _ = write!(buf, "{d}");
        }
    }
}

/// Renders rows as CSV text with the given columns.
pub fn render(pos: Position, rows: &Array, columns: &[String]) -> RhaiResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    let err = |e: csv::Error| usage_error(pos, format!("csv: {e}"));
    w.write_record(columns).map_err(err)?;
    for (i, r) in rows.iter().enumerate() {
        let Some(m) = r.read_lock::<Map>() else {
            return Err(usage_error(
                pos,
                format!(
                    "csv::write: row {i} is a {}, not an object map",
                    r.type_name()
                ),
            ));
        };
        let rec: Vec<String> = columns.iter().map(|c| cell(m.get(c.as_str()))).collect();
        w.write_record(&rec).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| usage_error(pos, format!("csv: {e}")))
}

fn columns_of(rows: &Array) -> Vec<String> {
    let mut cols: Vec<String> = vec![];
    for r in rows {
        if let Some(m) = r.read_lock::<Map>() {
            for k in m.keys() {
                if !cols.iter().any(|c| c == k.as_str()) {
                    cols.push(k.to_string());
                }
            }
        }
    }
    cols
}

/// The value `csv::writer(path, columns)` returns: rows go to a hidden file next to `path` as
/// they are written, which becomes `path` at `close()`; dropped unclosed (the script failed or
/// forgot), the hidden file is removed and `path` is untouched.
#[derive(Clone)]
pub struct CsvWriter(Arc<Mutex<Option<OpenCsv>>>);

/// The CSV file being written. Rows are formatted and written on a thread of their own, so the
/// script goes on with its next row meanwhile; a failed write is reported by the next `write()`
/// or by `close()`.
pub struct OpenCsv {
    /// Batches of rows on their way to the writing thread (a bounded queue: memory stays flat).
    rows_tx: Option<std::sync::mpsc::SyncSender<Vec<Dynamic>>>,
    /// Rows not sent yet: they go a batch at a time (one wake-up of the thread per batch, not
    /// per row).
    batch: Vec<Dynamic>,
    /// The writing thread; it gives the file back, or says why a row could not be written.
    writer: Option<std::thread::JoinHandle<Result<csv::Writer<crate::files::AtomicFile>, String>>>,
    path: String,
    rows: INT,
}

/// Rows sent to the writing thread at a time, and batches queued for it at most.
const BATCH_ROWS: usize = 256;
const QUEUED_BATCHES: usize = 4;

impl OpenCsv {
    fn start(
        out: csv::Writer<crate::files::AtomicFile>,
        columns: Vec<String>,
        path: &str,
    ) -> std::io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Dynamic>>(QUEUED_BATCHES);
        let writer = std::thread::Builder::new()
            .name("fleetscript-csv".into())
            .spawn(move || write_rows(out, &columns, rx))?;
        Ok(OpenCsv {
            rows_tx: Some(tx),
            batch: Vec::with_capacity(BATCH_ROWS),
            writer: Some(writer),
            path: path.to_string(),
            rows: 0,
        })
    }

    /// Queues a row; a full batch goes to the writing thread. False when that thread is gone
    /// (it stopped on an error).
    fn queue(&mut self, row: Dynamic) -> bool {
        self.batch.push(row);
        self.batch.len() < BATCH_ROWS || self.send_batch()
    }

    fn send_batch(&mut self) -> bool {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_ROWS));
        self.rows_tx
            .as_ref()
            .is_some_and(|tx| tx.send(batch).is_ok())
    }

    /// Ends the queue and waits for the writing thread: the file, or why it failed.
    fn finish(&mut self) -> Result<csv::Writer<crate::files::AtomicFile>, String> {
        if !self.batch.is_empty() {
            self.send_batch();
        }
        self.rows_tx = None;
        match self.writer.take().map(|w| w.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err("the thread writing the rows stopped unexpectedly".into()),
            None => Err("the writer is closed".into()),
        }
    }
}

impl Drop for OpenCsv {
    /// Unclosed: the writing thread ends and drops the hidden file before the script's end.
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// The writing thread: each row's cells in the columns' order, until the queue ends.
fn write_rows(
    mut out: csv::Writer<crate::files::AtomicFile>,
    columns: &[String],
    batches: std::sync::mpsc::Receiver<Vec<Dynamic>>,
) -> Result<csv::Writer<crate::files::AtomicFile>, String> {
    let mut cell = String::new();
    for row in batches.into_iter().flatten() {
        let Some(m) = row.read_lock::<Map>() else {
            continue;
        };
        for c in columns {
            cell_into(m.get(c.as_str()), &mut cell);
            out.write_field(cell.as_bytes())
                .map_err(|e| e.to_string())?;
        }
        // An empty record ends the row of fields written one by one.
        out.write_record(None::<&[u8]>).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

impl CsvWriter {
    fn write(&self, pos: Position, row: Dynamic) -> RhaiResult<INT> {
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(w) = guard.as_mut() else {
            return Err(usage_error(pos, "this CSV writer is closed"));
        };
        // One row, or a page of them: all checked before any is queued.
        let rows = match row.try_cast_result::<Array>() {
            Ok(rows) => rows,
            Err(row) => vec![row],
        };
        if let Some((i, bad)) = rows.iter().enumerate().find(|(_, r)| !r.is_map()) {
            let which = if rows.len() > 1 {
                format!("row {i}")
            } else {
                "a row".into()
            };
            let what = bad.type_name();
            return Err(usage_error(
                pos,
                format!("{}: {which} is an object map, not a {what}", w.path),
            ));
        }
        for row in rows {
            if !w.queue(row) {
                // The writing thread stopped on an error: report it; the writer is done.
                let why = w.finish().err().unwrap_or_default();
                let e = usage_error(pos, format!("{}: {why}", w.path));
                *guard = None;
                return Err(e);
            }
            w.rows += 1;
        }
        Ok(w.rows)
    }

    fn close(&self, pos: Position, ctx: &ScriptContext) -> RhaiResult<INT> {
        let open = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(mut open) = open else {
            return Err(usage_error(pos, "this CSV writer is already closed"));
        };
        let out = open
            .finish()
            .map_err(|why| usage_error(pos, format!("{}: {why}", open.path)))?;
        let file = out
            .into_inner()
            .map_err(|e| usage_error(pos, format!("{}: {}", open.path, e.error())))?;
        file.commit()
            .map_err(|e| rhai_error(pos, e, &ctx.redactor))?;
        Ok(open.rows)
    }
}

/// CSV text with a header line as maps of strings.
fn parse(bytes: &[u8]) -> Result<Array, csv::Error> {
    let mut r = csv::Reader::from_reader(bytes);
    let headers = r.headers()?.clone();
    let mut out = Array::new();
    for rec in r.records() {
        let rec = rec?;
        let m: Map = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.into(), v.to_string().into()))
            .collect();
        out.push(m.into());
    }
    Ok(out)
}

/// Writes `rows` to `path` as CSV with these columns, atomically; the count of rows.
fn write_file(
    cx: &NativeCallContext,
    path: &str,
    rows: &Array,
    columns: &[String],
) -> RhaiResult<INT> {
    let c = state(cx)?;
    let bytes = render(cx.call_position(), rows, columns)?;
    c.write_atomic(path, &bytes)
        .map_err(err_at(&c, cx.call_position()))?;
    Ok(rows.len() as INT)
}

/// Opens a `csv::writer`: the hidden file made, the header written, the writing thread started.
fn open_writer(cx: &NativeCallContext, path: &str, columns: Vec<String>) -> RhaiResult<CsvWriter> {
    let (c, pos) = call(cx)?;
    let file = c
        .writes()
        .and_then(|w| w.create_atomic(path, super::FILE_MODE))
        .map_err(err_at(&c, pos))?;
    let mut out = csv::Writer::from_writer(file);
    out.write_record(&columns)
        .map_err(|e| usage_error(pos, format!("{path}: {e}")))?;
    let open = OpenCsv::start(out, columns, path)
        .map_err(|e| usage_error(pos, format!("{path}: cannot start writing: {e}")))?;
    Ok(CsvWriter(Arc::new(Mutex::new(Some(open)))))
}

fn texts(a: &Array) -> Vec<String> {
    a.iter().map(|c| c.to_string()).collect()
}

/// The `csv` module (built once: files are written through the run's state).
pub fn module() -> Arc<Module> {
    static MODULE: std::sync::OnceLock<Arc<Module>> = std::sync::OnceLock::new();
    super::built_once(&MODULE, build)
}

fn build() -> Module {
    let mut m = Module::new();
    m.set_doc("/// CSV files.");
    register_writing(&mut m);
    register_reading(&mut m);
    m
}

/// `csv::write` (a whole file at once) and `csv::writer` with its `write` and `close` (a file
/// written row by row).
fn register_writing(m: &mut Module) {
    functions! { m;
        /// Writes rows (object maps) to a CSV file, columns in the given order; missing values are empty,
        /// maps and arrays are written as JSON. Atomic. Returns the number of rows written.
        ///
        /// ```rhai
        /// let rows = ncm::routers::list(#{limit: 10});
        /// csv::write("routers.csv", rows, ["id", "name", "state"]);
        /// ```
        fn write(cx, path: &str as "string", rows: Array as "Array", columns: Array as "Array") -> RhaiResult<INT> as "int" {
            write_file(&cx, path, &rows, &texts(&columns))
        }

        /// Writes rows to a CSV file with every key as a column (keys sort alphabetically: pass columns for another order).
        ///
        /// ```rhai
        /// let rows = ncm::routers::list(#{fields: ["id", "name", "state"], limit: 10});
        /// csv::write("routers.csv", rows);
        /// ```
        fn write(cx, path: &str as "string", rows: Array as "Array") -> RhaiResult<INT> as "int" {
            write_file(&cx, path, &rows, &columns_of(&rows))
        }

        /// A CSV file written row by row (memory stays flat however many rows): the header now, a row per
        /// `w.write(row)`, and the file appears at `path` only at `w.close()` (which returns the row count);
        /// a script that fails before `close()` leaves `path` as it was. Rows are formatted and written on a
        /// thread of their own while the script goes on (a write that fails is reported by the next
        /// `w.write()` or by `w.close()`).
        ///
        /// ```rhai
        /// let w = csv::writer("routers.csv", ["id", "name"]);
        /// for page in ncm::routers::pages(#{fields: ["id", "name"]}) { for r in page { w.write(r); } }
        /// print(`${w.close()} rows`);
        /// ```
        fn writer(cx, path: &str as "string", columns: Array as "Array") -> RhaiResult<CsvWriter> as "CsvWriter" {
            open_writer(&cx, path, texts(&columns))
        }

        /// Writes one row (an object map) to a `csv::writer`, or every row of an array of them (a page at a
        /// time: one call instead of a loop), columns in the writer's order; returns the rows so far.
        ///
        /// ```rhai
        /// let w = csv::writer("routers.csv", ["id", "name"]);
        /// w.write(#{id: 1, name: "a"});
        /// w.write([#{id: 2, name: "b"}, #{id: 3, name: "c"}]);
        /// w.close();
        /// ```
        #[method]
        fn write(cx, w: &mut CsvWriter as "CsvWriter", row: Dynamic as "Map|Array") -> RhaiResult<INT> as "int" {
            w.write(cx.call_position(), row)
        }

        /// Finishes a `csv::writer`: flushes, syncs and moves the file into place; returns the row count.
        ///
        /// ```rhai
        /// let w = csv::writer("routers.csv", ["id", "name"]);
        /// w.write(#{id: 1, name: "a"});
        /// let n = w.close();
        /// ```
        #[method]
        fn close(cx, w: &mut CsvWriter as "CsvWriter") -> RhaiResult<INT> as "int" {
            let c = state(&cx)?;
            w.close(cx.call_position(), &c)
        }

    }
}

/// `csv::read`.
fn register_reading(m: &mut Module) {
    functions! { m;
        /// Reads a CSV file with a header line into an array of maps (values are strings). Only under the
        /// directories scripts may read (the current one, the script's own, the library path, `--allow-read`).
        ///
        /// ```rhai
        /// csv::write("sites.csv", [#{name: "HQ"}, #{name: "Lobby"}]);
        /// for row in csv::read("sites.csv") { print(row.name); }
        /// ```
        fn read(cx, path: &str as "string") -> RhaiResult<Array> as "Array" {
            let c = state(&cx)?;
            let bytes = c.read_file(path).map_err(err_at(&c, cx.call_position()))?;
            parse(&bytes).map_err(|e| usage_error(cx.call_position(), format!("{path}: {e}")))
        }
    }
}
