//! The journal a run writes (workers use the kernel's journal path, `decide_into`) holds, for
//! every spec of a PPNR-shaped search, the outcome computing everything gives
//! (`assess_report`: status, failed test, R² bit for bit where the journal keeps it), and for
//! every passed spec the very outcome of the reference search path (`assess`) in its detail
//! JSON: the journal of the new kernel is the journal of the old one.

use rusqlite::Connection;
use specsearch::assess::{Scratch, Status};
use specsearch::config::{Config, Executor};
use specsearch::runtime::context::{EvalContext, Transport};
use specsearch::search::{self, RunOptions};
use specsearch::session::Session;

/// `(spec index, status, failed test, R², passed detail JSON, feature ids)` as the journal's
/// views give them.
type JournaledOutcome = (
    i64,
    String,
    Option<String>,
    Option<f64>,
    Option<String>,
    String,
);

#[test]
fn journal_of_the_fast_kernel_equals_the_full_computation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("ppnr");
    let out = crate::common::specsearch()
        .args([
            "synth",
            d.to_str().unwrap(),
            "--rate-drivers",
            "1,1,2",
            "--max-vars",
            "4",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let config = Config::load(&d.join("search.toml")).unwrap();
    let ws = dir.path().join("ws");
    let summary = search::run(
        config.clone(),
        &RunOptions {
            workspace: Some(ws.clone()),
            executor: Some(Executor::Serial),
            fresh: true,
            ..RunOptions::default()
        },
    )
    .unwrap();
    let run_id = summary.run.run_id;

    let session = Session::open(config, Some(&ws)).unwrap();
    let ctx = EvalContext::from_matrix(
        &session.setup(Transport::Duckdb),
        &session.built.bundle.matrix(),
    )
    .unwrap();
    let conn = Connection::open(&summary.journal).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT o.spec_index, o.status, o.failed_test, o.r2, p.detail, o.feature_ids \
             FROM outcome_status o LEFT JOIN passed p \
               ON p.run_id = o.run_id AND p.spec_index = o.spec_index \
             WHERE o.run_id = ?1 ORDER BY o.spec_index",
        )
        .unwrap();
    let rows: Vec<JournaledOutcome> = stmt
        .query_map([run_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len() as u64, ctx.space.count());
    let mut spec = Vec::new();
    let mut scratch = Scratch::default();
    let (mut passed, mut filtered) = (0, 0);
    // The forced month dummies begin every spec: stored once for the run, not per outcome,
    // and the views give every spec back whole.
    let prefix = ctx.space.common_prefix();
    assert!(prefix.len() >= 2, "prefix {prefix:?}");
    let own_bytes: i64 = conn
        .query_row(
            "SELECT max(length(CAST(feature_codes AS BLOB))) FROM outcomes WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        own_bytes <= 2 * 4,
        "{own_bytes} bytes of codes for at most 4 drivers"
    );
    for (index, status, failed, r2, detail, features) in &rows {
        ctx.space.spec_at(*index as u64, &mut spec).unwrap();
        assert_eq!(
            features,
            &serde_json::to_string(&spec).unwrap(),
            "spec {index}"
        );
        let (report, _) = ctx.assess_report(&spec);
        assert_eq!(status, report.status.code(), "spec {index}");
        assert_eq!(
            failed.as_deref(),
            report.failed_test.map(|f| f.name()),
            "spec {index}"
        );
        // Filtered outcomes keep no R² (README, "How a run is journaled").
        let journaled_r2 = match report.status {
            Status::Filtered => None,
            _ => report.r2.filter(|v| v.is_finite()).map(f64::to_bits),
        };
        assert_eq!(r2.map(f64::to_bits), journaled_r2, "spec {index}");
        if report.status == Status::Passed {
            passed += 1;
            // The detail is the outcome's JSON (every f64 in its shortest round-trip form)
            // followed by the coefficient names: compared as text, bit for bit.
            let journaled = detail.as_deref().expect("passed detail");
            let reference = ctx.evaluator.assess(&spec, &mut scratch);
            let want = serde_json::to_string(&reference).unwrap();
            let want = format!("{},\"param_names\":", &want[..want.len() - 1]);
            assert!(
                journaled.starts_with(&want),
                "spec {index}:\n{journaled}\n{want}"
            );
        } else {
            filtered += 1;
        }
    }
    assert!(
        passed > 10 && filtered > 1000,
        "{passed} passed, {filtered} filtered"
    );
}
