//! How the REPL shows a value: an array of object maps as a table fitted to the terminal
//! width (sensible column order, long values cut, resource URLs shortened, the columns left out
//! named), a map as aligned key/values, anything else as itself; or JSON or CSV on request.

use crate::script::convert::dynamic_to_json;
use rhai::{Array, Dynamic, Map};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim() {
            "table" => Some(Format::Table),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

/// Columns shown first when present, in this order.
const FIRST: &[&str] = &[
    "id",
    "name",
    "state",
    "status_id",
    "health_id",
    "product",
    "actual_firmware",
    "group",
    "mac",
    "serial_number",
    "sn",
    "ssid",
    "type",
    "created_at",
    "updated_at",
];
const MAX_CELL: usize = 40;

/// The rows of a value that is a non-empty array of object maps.
pub fn as_rows(v: &Dynamic) -> Option<Vec<Map>> {
    let arr = v.read_lock::<Array>()?;
    if arr.is_empty() {
        return None;
    }
    arr.iter()
        .map(|r| r.read_lock::<Map>().map(|m| m.clone()))
        .collect()
}

/// One cell as text: strings bare, NCM resource URLs as `routers/42`, maps/arrays as JSON.
pub fn cell(d: &Dynamic) -> String {
    if d.is_unit() {
        return String::new();
    }
    if d.is_string() {
        let s = d.to_string();
        if s.starts_with("http") && s.contains("/api/v2/") {
            let parts: Vec<&str> = s.trim_end_matches('/').rsplit('/').take(2).collect();
            if parts.len() == 2 {
                return format!("{}/{}", parts[1], parts[0]);
            }
        }
        return s;
    }
    if d.is_map() || d.is_array() {
        return dynamic_to_json(d).to_string();
    }
    d.to_string()
}

/// The columns `s` takes on a terminal (an emoji or a CJK character takes two).
fn text_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` on one line, cut to at most `width` columns with `…`.
fn cut(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let one_line: String = s.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
    if text_width(&one_line) <= width {
        return one_line;
    }
    let mut t = String::new();
    let mut used = 0;
    for c in one_line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        t.push(c);
        used += w;
    }
    t.push('…');
    t
}

/// The `fields: [...]` list written in an input, in its order (to show those columns first).
pub fn fields_in(input: &str) -> Vec<String> {
    let Some(i) = input.find("fields") else {
        return vec![];
    };
    let rest = input[i + "fields".len()..].trim_start();
    let Some(rest) = rest.strip_prefix(':').map(str::trim_start) else {
        return vec![];
    };
    let list = match rest.strip_prefix('[') {
        Some(r) => r.split(']').next().unwrap_or_default(),
        None => rest
            .strip_prefix('"')
            .and_then(|r| r.split('"').next())
            .unwrap_or_default(),
    };
    list.split(',')
        .map(|f| f.trim().trim_matches('"').trim().to_string())
        .filter(|f| !f.is_empty())
        .collect()
}

fn column_order(rows: &[Map], preferred: &[String]) -> Vec<String> {
    let mut cols: Vec<String> = vec![];
    for r in rows {
        for k in r.keys() {
            if !cols.iter().any(|c| c == k.as_str()) {
                cols.push(k.to_string());
            }
        }
    }
    let nested = |c: &str| {
        rows.iter()
            .any(|r| r.get(c).is_some_and(|v| v.is_map() || v.is_array()))
    };
    let asked = |c: &str| {
        preferred
            .iter()
            .position(|f| f == c)
            .unwrap_or(preferred.len())
    };
    let rank = |c: &str| FIRST.iter().position(|f| *f == c).unwrap_or(FIRST.len());
    cols.sort_by(|a, b| {
        (asked(a), nested(a), rank(a), a.as_str()).cmp(&(asked(b), nested(b), rank(b), b.as_str()))
    });
    cols
}

/// A table of rows fitted to `width` columns of text; `preferred` columns (the `fields` asked
/// for) first, in their order.
pub fn table(rows: &[Map], width: usize, preferred: &[String]) -> String {
    let cols = column_order(rows, preferred);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| r.get(c.as_str()).map(cell).unwrap_or_default())
                .collect()
        })
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let w = cells.iter().map(|r| text_width(&r[i])).max().unwrap_or(0);
            w.max(text_width(c)).min(MAX_CELL)
        })
        .collect();
    // Take columns in order while they fit (always at least one).
    let mut shown = vec![];
    let mut used = 0;
    for (i, w) in widths.iter().enumerate() {
        let need = if shown.is_empty() { *w } else { used + 2 + w };
        if shown.is_empty() || need <= width {
            shown.push(i);
            used = need;
        }
    }
    let mut out = laid_out(&cols, &cells, &shown, &widths, width);
    let hidden: Vec<&str> = (0..cols.len())
        .filter(|i| !shown.contains(i))
        .map(|i| cols[i].as_str())
        .collect();
    let mut footer = format!(
        "({} row{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    if !hidden.is_empty() {
        let head = format!(
            "; {} more column{} not shown: ",
            hidden.len(),
            if hidden.len() == 1 { "" } else { "s" }
        );
        let tail = " — ask for fields, or :format json)";
        let room = width.saturating_sub(text_width(&footer) + text_width(&head) + text_width(tail));
        footer.push_str(&head);
        footer.push_str(&cut(&hidden.join(", "), room.max(12)));
        footer.push_str(tail);
    } else {
        footer.push(')');
    }
    out.push_str(&footer);
    out.push('\n');
    out
}

/// The `shown` columns laid out by comfy-table (display width, so CJK and emoji stay aligned):
/// no borders, each header underlined by dashes as wide as its column, two spaces between
/// columns, each cell cut to its column's width.
fn laid_out(
    cols: &[String],
    cells: &[Vec<String>],
    shown: &[usize],
    widths: &[usize],
    width: usize,
) -> String {
    use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width};
    let w = |i: usize| widths[i].min(width);
    let mut t = Table::new();
    t.load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(shown.iter().map(|i| cut(&cols[*i], w(*i))));
    t.add_row(shown.iter().map(|i| "-".repeat(w(*i))));
    for r in cells {
        t.add_row(shown.iter().map(|i| cut(&r[*i], w(*i))));
    }
    for (n, c) in t.column_iter_mut().enumerate() {
        let gap: u16 = if n + 1 < shown.len() { 2 } else { 0 };
        let fixed = u16::try_from(w(shown[n]))
            .unwrap_or(u16::MAX)
            .saturating_add(gap);
        c.set_padding((0, gap));
        c.set_constraint(ColumnConstraint::Absolute(Width::Fixed(fixed)));
    }
    let mut out = String::new();
    for l in t.lines() {
        out.push_str(l.trim_end());
        out.push('\n');
    }
    out
}

/// A map as aligned `key  value` lines.
pub fn key_values(m: &Map, width: usize) -> String {
    let kw = m.keys().map(|k| text_width(k)).max().unwrap_or(0).min(32);
    let vw = width.saturating_sub(kw + 2).max(20);
    let mut out = String::new();
    for (k, v) in m {
        let pad = kw.saturating_sub(text_width(k));
        out.push_str(&format!("{k}{}  {}\n", " ".repeat(pad), cut(&cell(v), vw)));
    }
    if m.is_empty() {
        out.push_str("#{}\n");
    }
    out
}

fn csv_text(rows: &[Map], preferred: &[String]) -> String {
    let cols = column_order(rows, preferred);
    let mut w = csv::Writer::from_writer(vec![]);
    let _ = w.write_record(&cols);
    for r in rows {
        let rec: Vec<String> = cols
            .iter()
            .map(|c| match r.get(c.as_str()) {
                Some(d) if d.is_string() => d.to_string(),
                Some(d) => cell(d),
                None => String::new(),
            })
            .collect();
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Renders a result for the terminal; `preferred` columns (the `fields` of the input) first.
pub fn render(v: &Dynamic, format: Format, width: usize, preferred: &[String]) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&dynamic_to_json(v)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Csv => match as_rows(v) {
            Some(rows) => csv_text(&rows, preferred),
            None => render(v, Format::Json, width, preferred),
        },
        Format::Table => {
            if let Some(rows) = as_rows(v) {
                return table(&rows, width, preferred);
            }
            if let Some(m) = v.read_lock::<Map>() {
                return key_values(&m, width);
            }
            if v.is_string() {
                return format!("{v}\n");
            }
            if v.is_array() {
                let j = dynamic_to_json(v);
                let s = j.to_string();
                if text_width(&s) <= width {
                    return format!("{s}\n");
                }
                return format!("{}\n", serde_json::to_string_pretty(&j).unwrap_or(s));
            }
            format!("{v:?}\n").replace('"', "\"")
        }
    }
}

/// What `:save FILE` writes: JSON for `.json`, CSV for `.csv` (rows only).
pub fn save_text(v: &Dynamic, path: &str) -> Result<String, String> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".json") {
        let j: Value = dynamic_to_json(v);
        return Ok(serde_json::to_string_pretty(&j).unwrap_or_default() + "\n");
    }
    if lower.ends_with(".csv") {
        return match as_rows(v) {
            Some(rows) => Ok(csv_text(&rows, &[])),
            None => Err("only an array of maps can be saved as CSV; save it as .json".into()),
        };
    }
    Err(format!("{path}: give the file a .json or .csv extension"))
}

/// The terminal's width in columns (`COLUMNS`, else 100 when unknown).
/// The terminal's height in lines (`LINES`, else 24, when not a terminal).
pub fn terminal_height() -> usize {
    if let Some((_, terminal_size::Height(h))) = terminal_size::terminal_size() {
        return (h as usize).max(5);
    }
    std::env::var("LINES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(24)
}

pub fn terminal_width() -> usize {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
        return (w as usize).max(20);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::convert::json_to_dynamic;
    use serde_json::json;

    #[test]
    fn tables_fit_the_width_and_name_what_they_leave_out() {
        let v = json_to_dynamic(&json!([
            {"name": "store-1", "id": "1", "state": "online", "group": "https://x/api/v2/groups/7/", "config": {"a": 1}, "description": "a very long description that goes on and on and on and on"},
            {"name": "store-2", "id": "2", "state": "offline", "group": null, "config": {}, "description": "short"}
        ]));
        let t = render(&v, Format::Table, 200, &[]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("id  name     state"), "{t}");
        assert!(t.contains("groups/7"), "URLs are shortened: {t}");
        assert!(t.contains("…"), "long values are cut: {t}");
        assert!(t.ends_with("(2 rows)\n"), "{t}");
        assert!(
            lines[0].find("config").unwrap() > lines[0].find("description").unwrap(),
            "nested last"
        );
        let narrow = render(&v, Format::Table, 30, &[]);
        assert!(
            narrow
                .lines()
                .all(|l| l.chars().count() <= 30 || l.starts_with('(')),
            "{narrow}"
        );
        assert!(narrow.contains("more columns not shown"), "{narrow}");
    }

    #[test]
    fn wide_characters_keep_the_columns_aligned() {
        let v = json_to_dynamic(&json!([
            {"id": "1", "name": "店舗-東京 📡", "state": "online"},
            {"id": "2", "name": "store-2", "state": "offline"}
        ]));
        let t = render(&v, Format::Table, 200, &[]);
        let lines: Vec<&str> = t.lines().collect();
        // Every row's `state` starts in the same terminal column as the header's.
        let at = |l: &str, word: &str| text_width(&l[..l.find(word).unwrap()]);
        assert_eq!(at(lines[2], "online"), at(lines[0], "state"), "{t}");
        assert_eq!(at(lines[3], "offline"), at(lines[0], "state"), "{t}");
        // Cut by columns: never wider than asked, however wide the characters.
        assert!(text_width(&cut("東京東京東京東京", 7)) <= 7);
        assert_eq!(cut("東京東京東京東京", 7), "東京東…");
    }

    #[test]
    fn maps_json_csv_and_save() {
        let v = json_to_dynamic(&json!({"id": "1", "name": "x"}));
        assert_eq!(render(&v, Format::Table, 80, &[]), "id    1\nname  x\n");
        assert!(render(&v, Format::Json, 80, &[]).contains("\"name\": \"x\""));
        let rows = json_to_dynamic(&json!([{"id": "1", "name": "a,b"}]));
        assert_eq!(render(&rows, Format::Csv, 80, &[]), "id,name\n1,\"a,b\"\n");
        assert!(save_text(&rows, "out.csv").unwrap().starts_with("id,name"));
        assert!(save_text(&v, "out.csv").is_err());
        assert!(save_text(&v, "out.txt").is_err());
        assert_eq!(render(&Dynamic::from(5_i64), Format::Table, 80, &[]), "5\n");
    }

    #[test]
    fn the_fields_asked_for_come_first_in_their_order() {
        let f = fields_in(r#"ncm::routers::list(#{fields: ["state", "name", "id"], limit: 3})"#);
        assert_eq!(f, vec!["state", "name", "id"]);
        assert_eq!(fields_in(r#"x(#{fields: "mac,id"})"#), vec!["mac", "id"]);
        assert!(fields_in("1 + 1").is_empty());
        let v = json_to_dynamic(&json!([{"id": "1", "name": "a", "state": "online"}]));
        assert!(render(&v, Format::Table, 80, &f).starts_with("state   name  id"));
    }
}
