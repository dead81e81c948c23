//! The `csv::` Rhai module: write rows (maps) to CSV with an explicit column order, at once or
//! row by row through a writer, and read CSV.

use super::{rhai_error, usage_error, RhaiResult, ScriptContext};
use crate::script::convert::dynamic_to_json;
use rhai::{
    Array, Dynamic, FnNamespace, FuncRegistration, Map, Module, NativeCallContext, Position, INT,
};
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

pub struct OpenCsv {
    out: csv::Writer<crate::files::AtomicFile>,
    columns: Vec<String>,
    path: String,
    rows: INT,
    /// The cell being written (one buffer for all, not a string per cell).
    cell: String,
}

impl CsvWriter {
    fn with<R>(
        &self,
        pos: Position,
        f: impl FnOnce(&mut OpenCsv) -> RhaiResult<R>,
    ) -> RhaiResult<R> {
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(open) => f(open),
            None => Err(usage_error(pos, "this CSV writer is closed")),
        }
    }

    fn write(&self, pos: Position, row: &Dynamic) -> RhaiResult<INT> {
        self.with(pos, |w| {
            let Some(m) = row.read_lock::<Map>() else {
                return Err(usage_error(
                    pos,
                    format!(
                        "{}: a row is an object map, not a {}",
                        w.path,
                        row.type_name()
                    ),
                ));
            };
            let failed = |e: csv::Error| usage_error(pos, format!("{}: {e}", w.path));
            for c in &w.columns {
                cell_into(m.get(c.as_str()), &mut w.cell);
                w.out.write_field(w.cell.as_bytes()).map_err(failed)?;
            }
            // An empty record ends the row of fields written one by one.
            w.out.write_record(None::<&[u8]>).map_err(failed)?;
            w.rows += 1;
            Ok(w.rows)
        })
    }

    fn close(&self, pos: Position, ctx: &ScriptContext) -> RhaiResult<INT> {
        let open = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(open) = open else {
            return Err(usage_error(pos, "this CSV writer is already closed"));
        };
        let file = open
            .out
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

pub fn module(ctx: &Arc<ScriptContext>) -> Module {
    let mut m = Module::new();
    m.set_doc("/// CSV files.");
    let c = ctx.clone();
    FuncRegistration::new("write")
        .with_comments(["/// Writes rows (object maps) to a CSV file, columns in the given order; missing values are empty,\n/// maps and arrays are written as JSON. Atomic. Returns the number of rows written.\n///\n/// ```rhai\n/// csv::write(\"routers.csv\", rows, [\"id\", \"name\", \"state\"]);\n/// ```"])
        .with_params_info(["path: string", "rows: Array", "columns: Array", "int"])
        .set_into_module(&mut m, move |cx: NativeCallContext, path: &str, rows: Array, cols: Array| -> RhaiResult<INT> {
            let cols: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
            let bytes = render(cx.call_position(), &rows, &cols)?;
            c.write_atomic(path, &bytes).map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))?;
            Ok(rows.len() as INT)
        });
    let c = ctx.clone();
    FuncRegistration::new("write")
        .with_comments(["/// Writes rows to a CSV file with every key as a column (keys sort alphabetically: pass columns for another order).\n///\n/// ```rhai\n/// csv::write(\"routers.csv\", rows);\n/// ```"])
        .with_params_info(["path: string", "rows: Array", "int"])
        .set_into_module(&mut m, move |cx: NativeCallContext, path: &str, rows: Array| -> RhaiResult<INT> {
            let cols = columns_of(&rows);
            let bytes = render(cx.call_position(), &rows, &cols)?;
            c.write_atomic(path, &bytes).map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))?;
            Ok(rows.len() as INT)
        });
    let c = ctx.clone();
    FuncRegistration::new("writer")
        .with_comments(["/// A CSV file written row by row (memory stays flat however many rows): the header now, a row per\n/// `w.write(row)`, and the file appears at `path` only at `w.close()` (which returns the row count);\n/// a script that fails before `close()` leaves `path` as it was.\n///\n/// ```rhai\n/// let w = csv::writer(\"routers.csv\", [\"id\", \"name\"]);\n/// for page in ncm::routers::pages(#{fields: [\"id\", \"name\"]}) { for r in page { w.write(r); } }\n/// print(`${w.close()} rows`);\n/// ```"])
        .with_params_info(["path: string", "columns: Array", "CsvWriter"])
        .set_into_module(&mut m, move |cx: NativeCallContext, path: &str, cols: Array| -> RhaiResult<CsvWriter> {
            let pos = cx.call_position();
            let columns: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
            let file = c.writes.create_atomic(path, super::FILE_MODE).map_err(|e| rhai_error(pos, e, &c.redactor))?;
            let mut out = csv::Writer::from_writer(file);
            out.write_record(&columns).map_err(|e| usage_error(pos, format!("{path}: {e}")))?;
            Ok(CsvWriter(Arc::new(Mutex::new(Some(OpenCsv { out, columns, path: path.to_string(), rows: 0, cell: String::new() })))))
        });
    FuncRegistration::new("write")
        .with_namespace(FnNamespace::Global)
        .with_comments(["/// Writes one row (an object map) to a `csv::writer`, columns in the writer's order; returns the rows so far.\n///\n/// ```rhai\n/// w.write(#{id: 1, name: \"a\"});\n/// ```"])
        .with_params_info(["w: CsvWriter", "row: Map", "int"])
        .set_into_module(&mut m, |cx: NativeCallContext, w: &mut CsvWriter, row: Dynamic| -> RhaiResult<INT> {
            w.write(cx.call_position(), &row)
        });
    let c = ctx.clone();
    FuncRegistration::new("close")
        .with_namespace(FnNamespace::Global)
        .with_comments(["/// Finishes a `csv::writer`: flushes, syncs and moves the file into place; returns the row count.\n///\n/// ```rhai\n/// let n = w.close();\n/// ```"])
        .with_params_info(["w: CsvWriter", "int"])
        .set_into_module(&mut m, move |cx: NativeCallContext, w: &mut CsvWriter| -> RhaiResult<INT> {
            w.close(cx.call_position(), &c)
        });
    let c = ctx.clone();
    FuncRegistration::new("read")
        .with_comments(["/// Reads a CSV file with a header line into an array of maps (values are strings). Only under the\n/// directories scripts may read (the current one, the script's own, the library path, `--allow-read`).\n///\n/// ```rhai\n/// for row in csv::read(\"sites.csv\") { print(row.name); }\n/// ```"])
        .with_params_info(["path: string", "Array"])
        .set_into_module(&mut m, move |cx: NativeCallContext, path: &str| -> RhaiResult<Array> {
            let bytes = c.read_file(path).map_err(|e| rhai_error(cx.call_position(), e, &c.redactor))?;
            parse(&bytes).map_err(|e| usage_error(cx.call_position(), format!("{path}: {e}")))
        });
    m
}
