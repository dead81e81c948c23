//! The script memory bound, checked *before* the operations that can grow a value by a large
//! step at once: concatenating strings, arrays, BLOBs and maps (`s += s` doubles a string in one
//! operation) and pushing onto a full array or string (its buffer doubles). The engine's
//! progress hook checks the bound between operations; that alone let one operation take the
//! process to twice its bound and more (measured: 468 MiB under `--max-memory 200`). Each
//! function here estimates the bytes the operation is about to allocate, refuses it when the
//! bound would be passed (the run stops with the memory message), and otherwise does what
//! Rhai's own version does. Registered over Rhai's own (fast operators are off for that).

use super::bindings::StopReason;
use rhai::{Array, Blob, Dynamic, Engine, EvalAltResult, ImmutableString, Map, INT};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

type Checked<T> = Result<T, Box<EvalAltResult>>;

/// Bytes one map entry costs beyond its value, about (B-tree node share and key).
const MAP_ENTRY_BYTES: usize = 64;

/// The process's memory bound and how to stop the run when an operation would pass it.
#[derive(Clone)]
pub struct Budget {
    pub max: Option<usize>,
    pub stop: Arc<StopReason>,
    pub cancel: Arc<AtomicBool>,
    /// Bytes the process holds now ([`crate::memory::allocated`]; injected in tests).
    pub held: fn() -> usize,
}

impl Budget {
    /// Whether `bytes` more may be allocated; if not, the run is stopped by the memory limit.
    fn room(&self, bytes: usize) -> Checked<()> {
        let Some(max) = self.max else {
            return Ok(());
        };
        if bytes == 0 || (self.held)().saturating_add(bytes) <= max {
            return Ok(());
        }
        self.stop.set(StopReason::MEMORY);
        self.cancel.store(true, Ordering::SeqCst);
        Err(EvalAltResult::ErrorTerminated("memory".into(), rhai::Position::NONE).into())
    }
}

/// The capacity a buffer of `cap` grows to when it must hold `needed` (doubling, as `Vec` and
/// `SmartString` do), or 0 when it already can.
fn grown(cap: usize, needed: usize) -> usize {
    if needed <= cap {
        return 0;
    }
    needed.max(cap.saturating_mul(2)).max(4)
}

/// How deep [`copy_bytes`] looks; below it, containers count their own slots only.
const MEASURE_DEPTH: usize = 64;

/// Bytes a deep copy of `items` allocates, about (strings are shared on copy, containers are
/// not). An estimate for the bound, so it stops looking [`MEASURE_DEPTH`] levels down: never
/// deep recursion on the machine stack.
fn copy_bytes<'a>(items: impl Iterator<Item = &'a Dynamic>) -> usize {
    items.fold(0usize, |n, v| n.saturating_add(value_bytes(v, 0)))
}

fn value_bytes(v: &Dynamic, depth: usize) -> usize {
    let dynamic = std::mem::size_of::<Dynamic>();
    let below = |items: &mut dyn Iterator<Item = &Dynamic>| -> usize {
        if depth >= MEASURE_DEPTH {
            return 0;
        }
        items
            .filter(|x| x.is_array() || x.is_map() || x.is_blob())
            .fold(0usize, |n, x| n.saturating_add(value_bytes(x, depth + 1)))
    };
    if let Ok(a) = v.as_array_ref() {
        a.len()
            .saturating_mul(dynamic)
            .saturating_add(below(&mut a.iter()))
    } else if let Ok(m) = v.as_map_ref() {
        let slots = m.len().saturating_mul(MAP_ENTRY_BYTES + dynamic);
        slots.saturating_add(below(&mut m.values()))
    } else if let Ok(b) = v.as_blob_ref() {
        b.len()
    } else {
        0
    }
}

fn vec_growth<T>(v: &[T], cap: usize, more: usize) -> usize {
    grown(cap, v.len().saturating_add(more)).saturating_mul(std::mem::size_of::<T>())
}

/// Appends `y` to `x` in place, checked: the copy a shared string needs and the doubled buffer.
fn append_str(b: &Budget, x: &mut ImmutableString, y: &str) -> Checked<()> {
    if y.is_empty() {
        return Ok(());
    }
    let total = x.len().saturating_add(y.len());
    let copy = if x.strong_count() > 1 { x.len() } else { 0 };
    let cap = if copy > 0 {
        x.len()
    } else {
        x.make_mut().capacity()
    };
    b.room(copy.saturating_add(grown(cap, total)))?;
    x.make_mut().push_str(y);
    Ok(())
}

/// `x + y` as a new string, checked.
fn concat_str(b: &Budget, x: &str, y: &str) -> Checked<ImmutableString> {
    let total = x.len().saturating_add(y.len());
    b.room(total)?;
    let mut s = String::with_capacity(total);
    s.push_str(x);
    s.push_str(y);
    Ok(s.into())
}

fn register_strings(engine: &mut Engine, b: &Budget) {
    let g = b.clone();
    engine.register_fn("+=", move |x: &mut ImmutableString, y: ImmutableString| {
        append_str(&g, x, &y)
    });
    let g = b.clone();
    engine.register_fn(
        "append",
        move |x: &mut ImmutableString, y: ImmutableString| append_str(&g, x, &y),
    );
    let g = b.clone();
    engine.register_fn("+=", move |x: &mut ImmutableString, c: char| {
        append_str(&g, x, c.encode_utf8(&mut [0; 4]))
    });
    let g = b.clone();
    engine.register_fn("+", move |x: &mut ImmutableString, y: ImmutableString| {
        concat_str(&g, x, &y)
    });
    let g = b.clone();
    engine.register_fn("+", move |x: &mut ImmutableString, c: char| {
        concat_str(&g, x, c.encode_utf8(&mut [0; 4]))
    });
    let g = b.clone();
    engine.register_fn("+", move |c: char, y: ImmutableString| {
        concat_str(&g, c.encode_utf8(&mut [0; 4]), &y)
    });
}

/// Appends every element of `y` to `x`, checked.
fn extend_array(b: &Budget, x: &mut Array, y: Array) -> Checked<()> {
    b.room(vec_growth(x, x.capacity(), y.len()))?;
    x.extend(y);
    Ok(())
}

fn push_item(b: &Budget, x: &mut Array, item: Dynamic) -> Checked<()> {
    b.room(vec_growth(x, x.capacity(), 1))?;
    x.push(item);
    Ok(())
}

fn register_arrays(engine: &mut Engine, b: &Budget) {
    let g = b.clone();
    engine.register_fn("push", move |x: &mut Array, item: Dynamic| {
        push_item(&g, x, item)
    });
    let g = b.clone();
    engine.register_fn("+=", move |x: &mut Array, item: Dynamic| {
        if item.is_array() {
            return extend_array(&g, x, item.cast::<Array>());
        }
        push_item(&g, x, item)
    });
    let g = b.clone();
    engine.register_fn("append", move |x: &mut Array, y: Array| {
        extend_array(&g, x, y)
    });
    let g = b.clone();
    engine.register_fn("+", move |x: &mut Array, y: Array| -> Checked<Array> {
        let len = x.len().saturating_add(y.len());
        let bytes = len.saturating_mul(std::mem::size_of::<Dynamic>());
        g.room(bytes.saturating_add(copy_bytes(x.iter())))?;
        let mut out = Array::with_capacity(len);
        out.extend(x.iter().cloned());
        out.extend(y);
        Ok(out)
    });
}

fn register_blobs(engine: &mut Engine, b: &Budget) {
    let g = b.clone();
    engine.register_fn("push", move |x: &mut Blob, v: INT| -> Checked<()> {
        g.room(vec_growth(x, x.capacity(), 1))?;
        x.push((v & 0xff) as u8);
        Ok(())
    });
    for name in ["+=", "append"] {
        let g = b.clone();
        engine.register_fn(name, move |x: &mut Blob, y: Blob| -> Checked<()> {
            g.room(vec_growth(x, x.capacity(), y.len()))?;
            x.extend(y);
            Ok(())
        });
    }
    let g = b.clone();
    engine.register_fn("+", move |x: &mut Blob, y: Blob| -> Checked<Blob> {
        let len = x.len().saturating_add(y.len());
        g.room(len)?;
        let mut out = Blob::with_capacity(len);
        out.extend_from_slice(x);
        out.extend(y);
        Ok(out)
    });
}

fn register_maps(engine: &mut Engine, b: &Budget) {
    for name in ["+=", "mixin"] {
        let g = b.clone();
        engine.register_fn(name, move |x: &mut Map, y: Map| -> Checked<()> {
            g.room(y.len().saturating_mul(MAP_ENTRY_BYTES))?;
            x.extend(y);
            Ok(())
        });
    }
    let g = b.clone();
    engine.register_fn("+", move |x: &mut Map, y: Map| -> Checked<Map> {
        let entries = y.len().saturating_mul(MAP_ENTRY_BYTES);
        g.room(entries.saturating_add(copy_bytes(x.values())))?;
        let mut out = x.clone();
        out.extend(y);
        Ok(out)
    });
}

/// Registers the checked growing operations over Rhai's own. Rhai's fast operators must be off
/// (`Engine::set_fast_operators(false)`), or its built-in `+`/`+=` on strings and arrays would
/// run instead.
pub fn register(engine: &mut Engine, budget: &Budget) {
    register_strings(engine, budget);
    register_arrays(engine, budget);
    register_blobs(engine, budget);
    register_maps(engine, budget);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_the_doubled_capacity_only_when_full() {
        assert_eq!(grown(8, 8), 0);
        assert_eq!(grown(8, 9), 16);
        assert_eq!(grown(8, 100), 100);
        assert_eq!(grown(0, 1), 4);
        assert_eq!(grown(usize::MAX, usize::MAX), 0);
    }

    #[test]
    fn a_deep_copy_is_measured_to_a_bounded_depth() {
        let d = std::mem::size_of::<Dynamic>();
        let nest = |depth: usize| {
            let mut v = Dynamic::from_array(vec![Dynamic::from_blob(vec![0; 10])]);
            for _ in 0..depth {
                v = Dynamic::from_array(vec![v]);
            }
            v
        };
        assert_eq!(copy_bytes(std::iter::once(&nest(3))), 4 * d + 10);
        let deep = nest(1000);
        assert_eq!(copy_bytes(std::iter::once(&deep)), (MEASURE_DEPTH + 1) * d);
        // Dropped level by level (Rhai's own drop of a value this deep recurses).
        let mut v = deep;
        while let Ok(mut a) = v.into_array() {
            match a.pop() {
                Some(x) => v = x,
                None => break,
            }
        }
    }

    fn engine(max: usize) -> (Engine, Budget) {
        let b = Budget {
            max: Some(max),
            held: || 1000,
            stop: Arc::new(StopReason::default()),
            cancel: Arc::new(AtomicBool::new(false)),
        };
        let mut e = Engine::new();
        e.set_fast_operators(false);
        register(&mut e, &b);
        (e, b)
    }

    #[test]
    fn the_checked_operations_keep_rhais_results() {
        let (e, _) = engine(usize::MAX);
        let r: String = e
            .eval(
                r#"let s = "ab"; s += s; s += 'c'; s.append("d");
                   let a = [1]; a += a; a += 2; a.push(3); a.append([4]); let b = a + [5];
                   let m = #{x: 1}; m += #{y: 2}; let n = m + #{z: 3};
                   let bl = blob(2, 1); bl += blob(1, 2); bl.push(3); let bb = bl + blob(1, 4);
                   `${s + "e"} ${'<' + s} ${b} ${n} ${bb.len()} ${a.len()}`"#,
            )
            .unwrap();
        assert_eq!(
            r,
            "ababcde <ababcd [1, 1, 2, 3, 4, 5] #{\"x\": 1, \"y\": 2, \"z\": 3} 5 5"
        );
    }

    #[test]
    fn an_operation_past_the_bound_stops_the_run_before_it_allocates() {
        // The process holds 1,000 bytes (injected); a bound of 1,100 leaves room for small
        // growth only.
        let (e, b) = engine(1100);
        e.eval::<()>(r#"let s = "x"; s += "y"; let a = [1]; a.push(2);"#)
            .unwrap();
        assert_eq!(b.stop.get(), StopReason::NONE);
        let err = e
            .eval::<()>(r#"let s = "0123456789"; loop { s += s; }"#)
            .unwrap_err();
        assert!(matches!(*err, EvalAltResult::ErrorTerminated(..)), "{err}");
        assert_eq!(b.stop.get(), StopReason::MEMORY);
        assert!(b.cancel.load(Ordering::SeqCst));
        for script in [
            "let a = [1, 2, 3]; loop { a += a; }",
            "let a = []; loop { a.push(1); }",
            "let a = [1]; loop { a = a + a; }",
            "let b = blob(8); loop { b += b; }",
            "let m = #{a: 1, b: 2}; loop { m = m + m; }",
        ] {
            let (e, b) = engine(1100);
            let err = e.eval::<()>(script).unwrap_err();
            assert!(
                matches!(*err, EvalAltResult::ErrorTerminated(..)),
                "{script}: {err}"
            );
            assert_eq!(b.stop.get(), StopReason::MEMORY, "{script}");
        }
    }
}
