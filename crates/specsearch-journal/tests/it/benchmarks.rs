//! Benchmarks and the incumbent in the journal (migration 13): their method codes round-trip
//! and are exactly what the schema accepts; a write is read back whole (missing statistics as
//! missing, never as numbers) and replaces the run's previous one; the best benchmark, the
//! same-fit groups and the run's inputs read back as written; the incumbent's score against the
//! passed set uses the ranking's own normalisation.

use specsearch_core::assess::Outcome;
use specsearch_journal::{
    BenchmarkFit, BenchmarkMethod, FilterTest, JournalRw, RunInputs, Weights,
};

use crate::common::{create, raw, TestSpace};

fn fit(name: &str, method: BenchmarkMethod, oos_rmse: Option<f64>) -> BenchmarkFit {
    BenchmarkFit {
        name: name.into(),
        method,
        features: vec!["f1".into()],
        coefficients_given: false,
        spec_key: None,
        outcome: Outcome {
            nobs: 10,
            nobs_oos: 4,
            r2: Some(0.25),
            params: vec![1.5, -2.0],
            oos_rmse,
            ..Outcome::default()
        },
        param_names: vec!["const".into(), "f1".into()],
        passes: None,
        failed_test: None,
        dates: vec!["2020-01-31".into(), "2020-02-29".into()],
        fitted: vec![0.5, f64::NAN],
        note: None,
    }
}

#[test]
fn methods_round_trip_and_are_the_schemas() {
    for &m in BenchmarkMethod::ALL {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let back: BenchmarkMethod = conn.query_row("SELECT ?1", [&m], |r| r.get(0)).unwrap();
        assert_eq!(back, m);
        assert_eq!(BenchmarkMethod::parse(m.as_str()), Some(m));
    }
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let bad: rusqlite::Result<BenchmarkMethod> = conn.query_row("SELECT 'naive'", [], |r| r.get(0));
    assert!(bad.is_err());
    // The CHECK of benchmarks.method accepts every code and nothing else.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let j = JournalRw::open(&path).unwrap();
    let run = create(&j, &TestSpace::singles(3)).unwrap();
    let fits: Vec<BenchmarkFit> = BenchmarkMethod::ALL
        .iter()
        .map(|&m| fit(m.as_str(), m, None))
        .collect();
    j.write_benchmarks(run, &fits, None, &[]).unwrap();
    let conn = raw(&path);
    let err = conn.execute(
        "UPDATE benchmarks SET method = 'naive' WHERE name = 'mean'",
        [],
    );
    assert!(err.is_err());
}

#[test]
fn a_write_reads_back_and_replaces_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let j = JournalRw::open(&path).unwrap();
    let run = create(&j, &TestSpace::singles(3)).unwrap();
    let mut inc = fit("incumbent", BenchmarkMethod::Incumbent, Some(0.9));
    inc.passes = Some(false);
    inc.failed_test = Some(FilterTest::SignCheck);
    inc.spec_key = Some("ab".repeat(32));
    let fits = vec![
        fit("no_change", BenchmarkMethod::NoChange, Some(0.8)),
        fit("ar1", BenchmarkMethod::Ar1, Some(0.7)),
        inc,
    ];
    j.write_benchmarks(run, &fits, None, &[(5, 2), (2, 2)])
        .unwrap();
    let back = j.benchmarks(run).unwrap();
    assert_eq!(back.len(), 3);
    assert_eq!(back[2].failed_test, Some(FilterTest::SignCheck));
    assert_eq!(back[2].passes, Some(false));
    assert_eq!(back[2].kind(), "incumbent");
    assert_eq!(back[0].fitted[0], 0.5);
    assert!(back[0].fitted[1].is_nan());
    assert_eq!(back[1].outcome, fits[1].outcome);
    // The best benchmark is a benchmark, never the incumbent.
    assert_eq!(j.best_benchmark(run).unwrap(), Some(("ar1".into(), 0.7)));
    assert_eq!(j.same_fits(run).unwrap().get(&5), Some(&2));
    j.write_benchmarks(run, &fits[..1], None, &[]).unwrap();
    assert_eq!(j.benchmarks(run).unwrap().len(), 1);
    assert!(j.same_fits(run).unwrap().is_empty());

    let inputs = RunInputs {
        frequency: "Q".into(),
        first_date: "1959-03-31".into(),
        last_date: "2009-09-30".into(),
        rows: 203,
        in_start: "1961-03-31".into(),
        in_end: "2004-12-31".into(),
        full_end: "2009-09-30".into(),
        sources: vec![("/d/macro.csv".into(), "1".repeat(64))],
    };
    j.write_run_inputs(run, &inputs).unwrap();
    j.write_run_inputs(run, &inputs).unwrap();
    assert_eq!(j.run_inputs(run).unwrap(), Some(inputs));
    // Nothing passed: no score against the passed set.
    let w = Weights {
        fit: 1.0,
        in_sample: 1.0,
        out_of_sample: 1.0,
    };
    assert_eq!(j.score_against_passed(run, &fits[0], &w).unwrap(), None);
}

#[test]
fn benchmark_backtests_read_back_are_replaced_and_go_with_their_benchmarks() {
    use specsearch_journal::{BacktestSample, BacktestSummaryRecord};
    let dir = tempfile::tempdir().unwrap();
    let j = JournalRw::open(&dir.path().join("journal.sqlite")).unwrap();
    let run = create(&j, &TestSpace::singles(3)).unwrap();
    let fits = vec![
        fit("no_change", BenchmarkMethod::NoChange, Some(0.8)),
        fit("ar1", BenchmarkMethod::Ar1, Some(0.7)),
    ];
    j.write_benchmarks(run, &fits, None, &[]).unwrap();
    let summary = |sample, worst_mape: f64| BacktestSummaryRecord {
        sample,
        quarters: 9,
        jump_offs: 4,
        mape_by_step: vec![0.01, 0.025, f64::NAN],
        worst_jump_off: "2001-03-31".into(),
        worst_mape,
        sign_hit_rate: 0.75,
    };
    let ar1 = vec![
        summary(BacktestSample::All, 0.05),
        summary(BacktestSample::OutOfSample, 0.07),
    ];
    let written = vec![("ar1".to_string(), ar1.clone())];
    assert_eq!(j.write_benchmark_backtests(run, &written).unwrap(), 2);
    let back = j.benchmark_backtests(run, "ar1").unwrap();
    assert_eq!(back.len(), 2);
    for (b, w) in back.iter().zip(&ar1) {
        assert_eq!(b.sample, w.sample);
        assert_eq!(b.mape_by_step[..2], w.mape_by_step[..2]);
        // A step without a value is stored as null and read back as NaN.
        assert!(b.mape_by_step[2].is_nan());
        assert_eq!(
            (b.quarters, b.jump_offs, b.worst_mape, b.sign_hit_rate),
            (9, 4, w.worst_mape, 0.75)
        );
        assert_eq!(b.worst_jump_off, "2001-03-31");
    }
    assert!(j.benchmark_backtests(run, "no_change").unwrap().is_empty());
    // A second write replaces the run's summaries; rewriting the benchmarks removes them.
    let written = vec![(
        "no_change".to_string(),
        vec![summary(BacktestSample::All, 0.1)],
    )];
    j.write_benchmark_backtests(run, &written).unwrap();
    assert!(j.benchmark_backtests(run, "ar1").unwrap().is_empty());
    assert_eq!(j.benchmark_backtests(run, "no_change").unwrap().len(), 1);
    j.write_benchmarks(run, &fits, None, &[]).unwrap();
    assert!(j.benchmark_backtests(run, "no_change").unwrap().is_empty());
    // A summary of a benchmark the run does not have is refused by the foreign key.
    let unknown = vec![("mean".to_string(), vec![summary(BacktestSample::All, 0.1)])];
    assert!(j.write_benchmark_backtests(run, &unknown).is_err());
}
