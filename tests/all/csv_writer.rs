//! `csv::writer`: rows stream to a hidden file that becomes the named one only at `close()`; a
//! script that fails first leaves the named file as it was and no hidden file behind.

use crate::common::*;
use fleetscript::sim::{SimOptions, Simulator};

fn sim() -> Simulator {
    Simulator::start(SimOptions {
        routers: 30,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn rows_stream_and_the_file_appears_at_close() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.csv");
    let mut rt = script_runtime(&sim, dir.path(), &[]);
    let src = format!(
        r#"let w = csv::writer("{}", ["id", "name", "extra"]);
           let n = 0;
           for page in ncm::routers::pages(#{{fields: ["id", "name"], page_size: 10}}) {{
               for r in page {{ n = w.write(r); }}
           }}
           let before = n;
           [before, w.close()]"#,
        out.display()
    );
    let got = eval(&mut rt, &src).into_array().unwrap();
    assert_eq!(
        (got[0].as_int().unwrap(), got[1].as_int().unwrap()),
        (30, 30)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,name,extra");
    assert_eq!(lines.len(), 31);
    assert!(
        lines[1].ends_with(','),
        "a missing column is empty: {}",
        lines[1]
    );
    let x = dir.path().join("x.csv");
    let e = eval_err(
        &mut rt,
        &format!(
            "let w = csv::writer(\"{}\", [\"a\"]); w.close(); w.close()",
            x.display()
        ),
    );
    assert!(e.contains("already closed"), "{e}");
}

#[test]
fn a_failed_script_leaves_the_old_file_and_nothing_hidden() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.csv");
    std::fs::write(&out, "yesterday\n").unwrap();
    let mut rt = script_runtime(&sim, dir.path(), &[]);
    let src = format!(
        r#"let w = csv::writer("{}", ["id"]);
           w.write(#{{id: 1}});
           w.write("not a map");"#,
        out.display()
    );
    let e = eval_err(&mut rt, &src);
    assert!(e.contains("a row is an object map, not a string"), "{e}");
    drop(rt);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "yesterday\n");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["r.csv"], "no hidden file left behind");
}

#[test]
fn a_writer_outside_the_allowed_directories_is_refused() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let mut rt = script_runtime(&sim, dir.path(), &[]);
    let e = eval_err(
        &mut rt,
        r#"csv::writer("/etc/fleetscript-test.csv", ["a"])"#,
    );
    assert!(e.contains("/etc"), "{e}");
}

/// Rows are written on a thread of their own, a batch at a time: many batches' worth arrive
/// whole and in order; a row that is not a map is refused at its own `write()`.
#[test]
fn many_rows_arrive_in_order_and_a_bad_row_is_refused_where_written() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("n.csv");
    let mut rt = script_runtime(&sim, dir.path(), &[]);
    let src = format!(
        r#"let w = csv::writer("{}", ["i", "sq"]);
           for i in 0..2500 {{ w.write(#{{i: i, sq: i * i}}); }}
           w.close()"#,
        out.display()
    );
    assert_eq!(eval(&mut rt, &src).as_int().unwrap(), 2500);
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2501);
    for (i, l) in lines[1..].iter().enumerate() {
        assert_eq!(*l, format!("{i},{}", i * i));
    }
    let src = format!(
        r#"let w = csv::writer("{}", ["i"]);
           w.write(#{{i: 1}});
           w.write("not a row");"#,
        dir.path().join("bad.csv").display()
    );
    let err = eval_err(&mut rt, &src);
    assert!(
        err.contains("a row is an object map, not a string"),
        "{err}"
    );
    assert!(!dir.path().join("bad.csv").exists());
}

#[test]
fn a_page_is_written_in_one_call_and_checked_before_any_row_goes() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.csv");
    let mut rt = script_runtime(&sim, dir.path(), &[]);
    let src = format!(
        r#"let w = csv::writer("{}", ["id", "name"]);
           let counts = [];
           for page in ncm::routers::pages(#{{fields: ["id", "name"], page_size: 10}}) {{
               counts.push(w.write(take(page)));
           }}
           let bad = "written";
           try {{ w.write([#{{id: 1}}, "x"]); }} catch (e) {{ bad = e.message; }}
           counts + [bad, w.close()]"#,
        out.display()
    );
    let got = eval(&mut rt, &src).into_array().unwrap();
    let got: Vec<String> = got.iter().map(|d| d.to_string()).collect();
    assert_eq!(got[..3], ["10", "20", "30"]);
    assert!(
        got[3].contains("row 1 is an object map, not a string"),
        "{}",
        got[3]
    );
    // The refused page wrote nothing: its good first row is not in the file.
    assert_eq!(got[4], "30");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 31);
    assert!(text.lines().all(|l| l != "1,"), "{text}");
}
