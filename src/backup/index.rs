//! A backup's `index.csv`, one format for both stores: what it needs of every router (name,
//! MAC, product, firmware) and of every router file stored (router, configuration manager,
//! version, sync state, file, SHA-256), held compactly until the configuration listing ends. At 100,000
//! routers these are most of what a backup holds (the configurations stream to disk), so the
//! texts share one buffer each instead of an allocation apiece and numeric ids are keys as numbers.

use crate::error::{Error, Result};
use crate::ncm::client::NcmClient;
use crate::ncm::query as q;
use crate::ncm::text as text_of;
use serde_json::{json, Value};
use std::collections::HashMap;

/// A text kept in a [`Texts`] buffer.
#[derive(Clone, Copy, Default)]
struct Text {
    at: u32,
    len: u32,
}

/// Many short texts in one buffer.
#[derive(Default)]
struct Texts(String);

impl Texts {
    fn add(&mut self, s: &str) -> Result<Text> {
        let too_big = || Error::invalid("the backup index outgrew 4 GiB of text");
        let at = u32::try_from(self.0.len()).map_err(|_| too_big())?;
        let len = u32::try_from(s.len()).map_err(|_| too_big())?;
        at.checked_add(len).ok_or_else(too_big)?;
        self.0.push_str(s);
        Ok(Text { at, len })
    }
    fn get(&self, t: Text) -> &str {
        let start = t.at as usize;
        self.0
            .get(start..start + t.len as usize)
            .unwrap_or_default()
    }
}

/// Values by router id: NCM's ids are numbers, kept as 8-byte keys; any other id as its text.
struct ById<V> {
    nums: HashMap<u64, V>,
    texts: HashMap<Box<str>, V>,
}

impl<V> Default for ById<V> {
    fn default() -> Self {
        ById {
            nums: HashMap::new(),
            texts: HashMap::new(),
        }
    }
}

/// The number an id is when written canonically ("007" and "+7" stay text, distinct from "7").
fn number(id: &str) -> Option<u64> {
    let canonical = id == "0" || !(id.starts_with('0') || id.starts_with('+'));
    id.parse().ok().filter(|_| canonical)
}

impl<V> ById<V> {
    /// Inserts unless the id is present; `false` when it was.
    fn insert_new(&mut self, id: &str, v: V) -> bool {
        use std::collections::hash_map::Entry;
        fn put<K, V>(e: Entry<'_, K, V>, v: V) -> bool {
            match e {
                Entry::Occupied(_) => false,
                Entry::Vacant(slot) => {
                    slot.insert(v);
                    true
                }
            }
        }
        match number(id) {
            Some(n) => put(self.nums.entry(n), v),
            None => put(self.texts.entry(id.into()), v),
        }
    }
    fn get(&self, id: &str) -> Option<&V> {
        match number(id) {
            Some(n) => self.nums.get(&n),
            None => self.texts.get(id),
        }
    }
}

/// Small id -> name tables (products, firmwares), interned: a router refers to an entry by index.
#[derive(Default)]
struct Names {
    ids: Vec<String>,
    at: HashMap<String, u32>,
}

impl Names {
    fn index(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.at.get(id) {
            return i;
        }
        let i = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.push(id.to_string());
        self.at.insert(id.to_string(), i);
        i
    }
    fn id(&self, i: u32) -> &str {
        self.ids.get(i as usize).map_or("", String::as_str)
    }
}

/// One router's name, MAC, product and firmware (as [`Names`] indexes).
struct Fact {
    name: Text,
    mac: Text,
    product: u32,
    firmware: u32,
}

/// What the index needs of the routers, and the product and firmware names.
pub struct RouterFacts {
    texts: Texts,
    ids: Names,
    routers: ById<Fact>,
    products: HashMap<String, String>,
    firmwares: HashMap<String, String>,
}

/// The routers, products and firmwares listings behind the index (a handful of requests).
pub fn router_facts(
    client: &std::sync::Arc<NcmClient>,
    count: &std::sync::Arc<crate::ncm::ahead::Expected>,
) -> Result<RouterFacts> {
    let names = |ep: &str, field: &str| -> Result<HashMap<String, String>> {
        Ok(client
            .list(ep, &q(json!({"fields": ["id", field]})))?
            .iter()
            .map(|r| {
                (
                    text_of(&r["id"]),
                    r[field].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect())
    };
    // The routers first: the configuration managers' listing, read alongside, counts on the
    // routers found to know how far it may ask.
    let mut facts = RouterFacts {
        texts: Texts::default(),
        ids: Names::default(),
        routers: ById::default(),
        products: HashMap::new(),
        firmwares: HashMap::new(),
    };
    let mut pager = client
        .pages(
            "routers",
            &q(json!({"fields": ["id", "name", "mac", "product", "actual_firmware"]})),
        )?
        .publishing(count.clone());
    while let Some(page) = pager.next_page()? {
        for r in page {
            facts.add(&r)?;
        }
    }
    facts.products = names("products", "name")?;
    facts.firmwares = names("firmwares", "version")?;
    Ok(facts)
}

impl RouterFacts {
    /// A router's name, when the listing had the router.
    pub fn name(&self, router: &str) -> Option<&str> {
        self.routers.get(router).map(|r| self.texts.get(r.name))
    }

    fn add(&mut self, r: &Value) -> Result<()> {
        let id = |v: &Value| v.as_str().and_then(crate::ncm::id_of).unwrap_or_default();
        let t = &mut self.texts;
        let fact = Fact {
            name: t.add(r["name"].as_str().unwrap_or_default())?,
            mac: t.add(r["mac"].as_str().unwrap_or_default())?,
            product: self.ids.index(&id(&r["product"])),
            firmware: self.ids.index(&id(&r["actual_firmware"])),
        };
        // A router listed twice (the listing changed while paging) keeps its first facts.
        self.routers.insert_new(&text_of(&r["id"]), fact);
        Ok(())
    }
}

/// One router file written: its router, configuration manager, version, sync state and hash.
struct Row {
    rid: Text,
    cm_id: Text,
    version: Text,
    synched: Text,
    sha: [u8; 32],
}

/// The index rows, in the order the files were written; refuses a router seen twice.
#[derive(Default)]
pub struct Rows {
    texts: Texts,
    rows: Vec<Row>,
    seen: ById<()>,
}

impl Rows {
    /// Adds the row of `<rid>.json`; `Ok(false)` when the router already has one.
    pub fn add(&mut self, rid: &str, cm: &Value, sha: [u8; 32]) -> Result<bool> {
        if !self.seen.insert_new(rid, ()) {
            return Ok(false);
        }
        let t = &mut self.texts;
        let row = Row {
            rid: t.add(rid)?,
            cm_id: t.add(&text_of(&cm["id"]))?,
            version: t.add(&text_of(&cm["version_number"]))?,
            synched: t.add(&text_of(&cm["synched"]))?,
            sha,
        };
        self.rows.push(row);
        Ok(true)
    }

    /// Whether the router already has a row.
    pub fn contains(&self, rid: &str) -> bool {
        self.seen.get(rid).is_some()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The columns of `index.csv`, the same in both stores (docs/guide.md, "The backup index"):
/// one row per router file.
pub const HEADER: [&str; 10] = [
    "router_id",
    "name",
    "mac",
    "product",
    "firmware",
    "config_manager_id",
    "version_number",
    "synched",
    "file",
    "sha256",
];

/// `index.csv`: one line per router file, `file` naming where the store put it
/// ([`super::store::Store::router_file`]).
pub fn index_csv(
    rows: &Rows,
    facts: &RouterFacts,
    file: &dyn Fn(&str) -> String,
) -> Result<Vec<u8>> {
    let csv_err = |e: csv::Error| Error::invalid(format!("index.csv: {e}"));
    let mut index = csv::Writer::from_writer(Vec::new());
    index.write_record(HEADER).map_err(csv_err)?;
    let (rt, ft) = (&rows.texts, &facts.texts);
    let named = |table: &HashMap<String, String>, id: Option<u32>| -> String {
        id.and_then(|i| table.get(facts.ids.id(i)).cloned())
            .unwrap_or_default()
    };
    let mut sha = String::with_capacity(64);
    for row in &rows.rows {
        let rid = rt.get(row.rid);
        let r = facts.routers.get(rid);
        sha.clear();
        for b in row.sha {
            use std::fmt::Write;
            let _ = write!(sha, "{b:02x}");
        }
        index
            .write_record([
                rid,
                r.map_or("", |r| ft.get(r.name)),
                r.map_or("", |r| ft.get(r.mac)),
                &named(&facts.products, r.map(|r| r.product)),
                &named(&facts.firmwares, r.map(|r| r.firmware)),
                rt.get(row.cm_id),
                rt.get(row.version),
                rt.get(row.synched),
                &file(rid),
                &sha,
            ])
            .map_err(csv_err)?;
    }
    index
        .into_inner()
        .map_err(|e| Error::invalid(format!("index.csv: {}", e.error())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_keys_round_trip() {
        let mut t = Texts::default();
        let a = t.add("MBR1400-0000").unwrap();
        let b = t.add("").unwrap();
        let c = t.add("00:30:44:00:00:00").unwrap();
        assert_eq!(
            (t.get(a), t.get(b), t.get(c)),
            ("MBR1400-0000", "", "00:30:44:00:00:00")
        );
        assert_eq!(number("10001"), Some(10001));
        // Not numbers as NCM writes them: kept as text, so "007" and "7" stay two routers.
        assert_eq!(
            (number("007"), number("+7"), number("0")),
            (None, None, Some(0))
        );
        let mut by = ById::default();
        assert!(by.insert_new("7", 1) && by.insert_new("007", 2) && !by.insert_new("7", 3));
        assert_eq!(
            (by.get("7"), by.get("007"), by.get("cm-5")),
            (Some(&1), Some(&2), None)
        );
    }

    #[test]
    fn a_router_seen_twice_is_refused() {
        let mut rows = Rows::default();
        let cm = json!({"id": "5", "version_number": 3, "synched": true});
        assert!(rows.add("10001", &cm, [0; 32]).unwrap());
        assert!(!rows.add("10001", &cm, [0; 32]).unwrap());
        assert_eq!(rows.len(), 1);
    }
}
