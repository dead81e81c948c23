//! The diff engine round-trips through scripts: `diff::apply(a, diff::between(a, b)) == b` for
//! random configs crossing the Rhai boundary (whose maps sort their keys), WAN-rule-like
//! `_id_` arrays with several appended elements included, and `diff::strip_masked` never
//! returns a diff `diff::apply` rejects.

use fleetscript::script::convert::{dynamic_to_json, json_to_dynamic};
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestRunner};
use rhai::Scope;
use serde_json::{json, Value};

fn uuid() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-50i64..50).prop_map(Value::from),
        "[a-z*]{0,3}".prop_map(Value::from),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-d0-2]{1,2}", inner.clone(), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            // Arrays of elements with random `_id_`s, as NCM's WAN rules.
            (prop::collection::btree_set(uuid(), 0..5), inner).prop_map(|(ids, v)| {
                Value::Array(
                    ids.into_iter()
                        .map(|i| json!({"_id_": i, "v": v.clone()}))
                        .collect(),
                )
            }),
        ]
    })
}

fn arb_config() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-d]{1,2}", arb_json(), 0..5)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// A config and the same with rules kept, changed, removed and several appended.
fn rules_pair() -> impl Strategy<Value = (Value, Value)> {
    (
        prop::collection::vec((uuid(), "[a-z]{1,4}"), 0..4),
        prop::collection::vec((uuid(), "[a-z]{1,4}"), 2..5),
        any::<bool>(),
    )
        .prop_map(|(old, added, drop_first)| {
            let rule =
                |(id, apn): &(String, String)| json!({"_id_": id, "apn": apn, "priority": 1});
            let a: Vec<Value> = old.iter().map(rule).collect();
            let mut b: Vec<Value> = old.iter().skip(usize::from(drop_first)).map(rule).collect();
            b.extend(added.iter().map(rule));
            (json!({"wan": {"rules2": a}}), json!({"wan": {"rules2": b}}))
        })
}

#[test]
fn between_apply_and_strip_masked_round_trip_through_rhai() {
    let rt = fleetscript::Runtime::new(fleetscript::Config::default()).unwrap();
    let script = "let d = diff::between(a, b);
                  let back = diff::apply(a, d);
                  diff::apply(a, diff::strip_masked(d));
                  [back, diff::validate(diff::strip_masked(d)).len()]";
    let mut known = Scope::new();
    known
        .push("a", rhai::Dynamic::UNIT)
        .push("b", rhai::Dynamic::UNIT);
    let ast = rt.engine().compile_with_scope(&known, script).unwrap();
    let pair = prop_oneof![(arb_config(), arb_config()), rules_pair()];
    let mut runner = TestRunner::new(PtConfig {
        cases: 2500,
        failure_persistence: None,
        ..PtConfig::default()
    });
    let cases = std::cell::Cell::new(0u32);
    let result = runner.run(&pair, |(a, b)| {
        cases.set(cases.get() + 1);
        let mut scope = Scope::new();
        scope.push("a", json_to_dynamic(&a));
        scope.push("b", json_to_dynamic(&b));
        let out = rt
            .engine()
            .eval_ast_with_scope::<rhai::Dynamic>(&mut scope, &ast);
        let out = out.map_err(|e| TestCaseError::fail(format!("{e}: a={a} b={b}")))?;
        let out = dynamic_to_json(&out);
        prop_assert_eq!(&out[0], &b, "a={}", a);
        prop_assert_eq!(&out[1], &json!(0));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(cases.get() >= 2000, "{} cases", cases.get());
    println!(
        "diff round trip through Rhai: {} cases, 0 failures",
        cases.get()
    );
}
