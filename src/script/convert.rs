//! Conversions between JSON values and Rhai values (integers stay integers, key order of
//! Rhai maps is sorted, so column order is always explicit elsewhere).

use rhai::Dynamic;
use serde_json::Value;

pub fn json_to_dynamic(v: &Value) -> Dynamic {
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into()
            } else if let Some(f) = n.as_f64() {
                f.into()
            } else {
                n.to_string().into()
            }
        }
        Value::String(s) => s.clone().into(),
        Value::Array(a) => a
            .iter()
            .map(json_to_dynamic)
            .collect::<rhai::Array>()
            .into(),
        Value::Object(o) => {
            let m: rhai::Map = o
                .iter()
                .map(|(k, v)| (k.as_str().into(), json_to_dynamic(v)))
                .collect();
            m.into()
        }
    }
}

/// `json_to_dynamic` for an owned value: strings, arrays and maps are moved into the Rhai value,
/// not copied (what every API answer goes through).
pub fn json_into_dynamic(v: Value) -> Dynamic {
    match v {
        Value::String(s) => s.into(),
        Value::Array(a) => a
            .into_iter()
            .map(json_into_dynamic)
            .collect::<rhai::Array>()
            .into(),
        Value::Object(o) => {
            let m: rhai::Map = o
                .into_iter()
                .map(|(k, v)| (k.into(), json_into_dynamic(v)))
                .collect();
            m.into()
        }
        other => json_to_dynamic(&other),
    }
}

/// Listings read for scripts parse each record straight into a Rhai value (Rhai's own serde
/// support: the same integers, floats, strings, `()` for null, maps and arrays as
/// [`json_into_dynamic`]), with no JSON tree built and converted in between.
impl crate::ncm::paging::Record for Dynamic {
    fn field(&self, name: &str) -> Value {
        self.read_lock::<rhai::Map>()
            .and_then(|m| m.get(name).map(dynamic_to_json))
            .unwrap_or(Value::Null)
    }
}

/// Converts a Rhai value to JSON. Unit becomes null; functions and custom types become strings.
pub fn dynamic_to_json(d: &Dynamic) -> Value {
    if d.is_unit() {
        return Value::Null;
    }
    // Read in place: cloning a container here would copy everything below it at every level.
    if let Ok(b) = d.as_bool() {
        return Value::Bool(b);
    }
    if let Ok(i) = d.as_int() {
        return Value::from(i);
    }
    if let Ok(f) = d.as_float() {
        return serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null);
    }
    if d.is_string() || d.is_char() {
        return Value::String(d.to_string());
    }
    if let Some(a) = d.read_lock::<rhai::Array>() {
        return Value::Array(a.iter().map(dynamic_to_json).collect());
    }
    if let Some(m) = d.read_lock::<rhai::Map>() {
        return Value::Object(map_to_json(&m));
    }
    if let Some(b) = d.read_lock::<rhai::Blob>() {
        return Value::Array(b.iter().map(|x| Value::from(*x)).collect());
    }
    Value::String(d.to_string())
}

/// A Rhai map (a query, a body, config changes) as a JSON object.
pub fn map_to_json(m: &rhai::Map) -> serde_json::Map<String, Value> {
    m.iter()
        .map(|(k, v)| (k.to_string(), dynamic_to_json(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parsed_straight_from_text_as_from_json() {
        let text = r#"{"a": 1, "b": [true, null, 2.5, "x"], "c": {"d": -3}, "e": 18446744073709551615, "f": "\u00e9"}"#;
        let direct: Dynamic = serde_json::from_str(text).unwrap();
        let via_json = json_into_dynamic(serde_json::from_str(text).unwrap());
        assert_eq!(format!("{direct:?}"), format!("{via_json:?}"));
        use crate::ncm::paging::Record;
        assert_eq!(direct.field("c"), serde_json::json!({"d": -3}));
        assert_eq!(direct.field("nope"), Value::Null);
    }

    #[test]
    fn roundtrip() {
        let v = json!({"a": 1, "b": [true, null, 2.5, "x"], "c": {"d": -3}});
        assert_eq!(dynamic_to_json(&json_to_dynamic(&v)), v);
    }
}
