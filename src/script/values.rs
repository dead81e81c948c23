//! Operations on script values that must hold for any value a script can build: equality and
//! printing of arrays and maps without recursion on the machine stack (a value nested 100,000
//! deep compares and prints instead of overflowing it), and the size caps of the operations that
//! grow a value by a count in one step (`pad`, `blob`). Registered over Rhai's own versions.

use rhai::{Array, Blob, Dynamic, Engine, EvalAltResult, Map, Position, INT};

/// How deep printing goes before it writes `…`.
pub const PRINT_DEPTH: usize = 64;

/// Structural equality without recursion: the values are taken apart level by level into an
/// explicit work list (moved, never cloned).
pub fn equal(a: Dynamic, b: Dynamic) -> bool {
    let mut work: Vec<(Dynamic, Dynamic)> = vec![(a.flatten(), b.flatten())];
    while let Some((x, y)) = work.pop() {
        match (x.is_array(), y.is_array(), x.is_map(), y.is_map()) {
            (true, true, _, _) => {
                let (Ok(xa), Ok(ya)) = (x.into_array(), y.into_array()) else {
                    return false;
                };
                if xa.len() != ya.len() {
                    return false;
                }
                work.extend(xa.into_iter().zip(ya));
            }
            (_, _, true, true) => {
                let (Some(xm), Some(ym)) = (x.try_cast::<Map>(), y.try_cast::<Map>()) else {
                    return false;
                };
                if xm.len() != ym.len() || xm.keys().zip(ym.keys()).any(|(k, l)| k != l) {
                    return false;
                }
                work.extend(xm.into_values().zip(ym.into_values()));
            }
            (false, false, false, false) => {
                if !scalar_equal(&x, &y) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

fn scalar_equal(x: &Dynamic, y: &Dynamic) -> bool {
    if x.type_id() != y.type_id() {
        // 1 == 1.0 in scripts.
        return match (x.as_int(), y.as_int(), x.as_float(), y.as_float()) {
            (Ok(i), _, _, Ok(f)) | (_, Ok(i), Ok(f), _) => (i as rhai::FLOAT) == f,
            _ => false,
        };
    }
    if let (Ok(i), Ok(j)) = (x.as_int(), y.as_int()) {
        return i == j;
    }
    if let (Ok(i), Ok(j)) = (x.as_float(), y.as_float()) {
        return i == j;
    }
    if let (Ok(i), Ok(j)) = (x.as_bool(), y.as_bool()) {
        return i == j;
    }
    if x.is_unit() {
        return y.is_unit();
    }
    if let (Some(i), Some(j)) = (x.read_lock::<Blob>(), y.read_lock::<Blob>()) {
        return *i == *j;
    }
    if x.is_string() || x.is_char() {
        return x.to_string() == y.to_string();
    }
    false
}

/// An array as text, nested containers beyond `PRINT_DEPTH` shown as `…`: never recursion
/// deeper than that, and nothing cloned.
fn render_array(a: &Array) -> String {
    let mut out = String::new();
    write_array(&mut out, a, 0);
    out
}

fn render_map(m: &Map) -> String {
    let mut out = String::new();
    write_map(&mut out, m, 0);
    out
}

fn write_array(out: &mut String, a: &Array, depth: usize) {
    if depth >= PRINT_DEPTH {
        out.push_str("[…]");
        return;
    }
    out.push('[');
    for (i, x) in a.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_value(out, x, true, depth + 1);
    }
    out.push(']');
}

fn write_map(out: &mut String, m: &Map, depth: usize) {
    if depth >= PRINT_DEPTH {
        out.push_str("#{…}");
        return;
    }
    out.push_str("#{");
    for (i, (k, x)) in m.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("{k:?}: "));
        write_value(out, x, true, depth + 1);
    }
    out.push('}');
}

fn write_value(out: &mut String, v: &Dynamic, debug: bool, depth: usize) {
    if let Some(a) = v.read_lock::<Array>() {
        write_array(out, &a, depth);
    } else if let Some(m) = v.read_lock::<Map>() {
        write_map(out, &m, depth);
    } else if debug {
        out.push_str(&format!("{v:?}"));
    } else {
        out.push_str(&v.to_string());
    }
}

fn too_large(what: &str, n: INT, max: usize) -> Box<EvalAltResult> {
    EvalAltResult::ErrorDataTooLarge(
        format!("{what} of {n} (at most {max} in one step)"),
        Position::NONE,
    )
    .into()
}

fn cap(n: INT, max: usize, what: &str) -> Result<usize, Box<EvalAltResult>> {
    match usize::try_from(n) {
        Ok(len) if len <= max => Ok(len),
        Ok(_) => Err(too_large(what, n, max)),
        Err(_) => Ok(0),
    }
}

/// Registers the guarded equality, printing and growth functions over Rhai's own.
pub fn register(engine: &mut Engine, max_items: usize, max_string: usize) {
    let arrays =
        |a: &mut Array, b: Array| equal(Dynamic::from_array(a.clone()), Dynamic::from_array(b));
    let maps = |a: &mut Map, b: Map| equal(Dynamic::from_map(a.clone()), Dynamic::from_map(b));
    engine.register_fn("==", arrays);
    engine.register_fn("!=", move |a: &mut Array, b: Array| !arrays(a, b));
    engine.register_fn("==", maps);
    engine.register_fn("!=", move |a: &mut Map, b: Map| !maps(a, b));
    for name in ["print", "to_string", "debug", "to_debug"] {
        engine.register_fn(name, |a: &mut Array| render_array(a));
        engine.register_fn(name, |m: &mut Map| render_map(m));
    }
    engine.register_fn(
        "pad",
        move |a: &mut Array, len: INT, item: Dynamic| -> Result<(), Box<EvalAltResult>> {
            let len = cap(len, max_items, "an array padded to a length")?;
            if len > a.len() {
                a.resize(len, item);
            }
            Ok(())
        },
    );
    engine.register_fn(
        "pad",
        move |b: &mut Blob, len: INT, v: INT| -> Result<(), Box<EvalAltResult>> {
            let len = cap(len, max_items, "a BLOB padded to a length")?;
            if len > b.len() {
                b.resize(len, (v & 0xff) as u8);
            }
            Ok(())
        },
    );
    engine.register_fn(
        "blob",
        move |len: INT| -> Result<Blob, Box<EvalAltResult>> {
            Ok(vec![0; cap(len, max_items, "a BLOB of length")?])
        },
    );
    engine.register_fn(
        "blob",
        move |len: INT, v: INT| -> Result<Blob, Box<EvalAltResult>> {
            Ok(vec![
                (v & 0xff) as u8;
                cap(len, max_items, "a BLOB of length")?
            ])
        },
    );
    engine.register_fn(
        "pad",
        move |s: &mut rhai::ImmutableString, len: INT, c: char| -> Result<(), Box<EvalAltResult>> {
            let len = cap(len, max_string, "a string padded to a length")?;
            let n = s.chars().count();
            if len > n {
                let mut t = s.to_string();
                t.extend(std::iter::repeat_n(c, len - n));
                *s = t.into();
            }
            Ok(())
        },
    );
    engine.register_fn(
        "pad",
        move |s: &mut rhai::ImmutableString, len: INT, p: &str| -> Result<(), Box<EvalAltResult>> {
            let len = cap(len, max_string, "a string padded to a length")?;
            let n = s.chars().count();
            if len > n && !p.is_empty() {
                let mut t = s.to_string();
                t.extend(p.chars().cycle().take(len - n));
                *s = t.into();
            }
            Ok(())
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> Dynamic {
        let mut v = Dynamic::from_array(vec![]);
        for _ in 0..depth {
            v = Dynamic::from_array(vec![v]);
        }
        v
    }

    #[test]
    fn deep_values_compare_and_print_without_recursion() {
        let handle = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(|| {
                let a = nested(20_000);
                assert!(equal(a.clone(), nested(20_000)));
                assert!(!equal(nested(20_000), nested(19_999)));
                let s = render_array(&a.clone().into_array().unwrap());
                assert!(s.contains("[…]") && s.len() < 1000, "{s}");
            })
            .unwrap();
        handle.join().unwrap();
    }

    #[test]
    fn equality_matches_scripts() {
        let m = |k: &str, v: Dynamic| {
            let mut m = Map::new();
            m.insert(k.into(), v);
            Dynamic::from_map(m)
        };
        assert!(equal(m("a", 1.into()), m("a", 1.into())));
        assert!(!equal(m("a", 1.into()), m("b", 1.into())));
        assert!(!equal(m("a", 1.into()), m("a", "1".into())));
        assert!(equal(m("a", 1.into()), m("a", (1.0 as rhai::FLOAT).into())));
        assert!(equal("x".into(), "x".into()));
        assert!(!equal(Dynamic::UNIT, 0.into()));
    }
}
