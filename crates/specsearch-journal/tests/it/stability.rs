//! Stability and backtests (migration 12): what a model's results write, read back typed and
//! show through the views; rewriting a model replaces exactly its rows; every stored word
//! round-trips and the schema accepts exactly the words the types know.

use rusqlite::types::{FromSql, ToSql};
use specsearch_core::assess::{CovType, FilterTest};
use specsearch_journal::{
    BacktestSample, BacktestSummaryRecord, BreakTest, BreakTestRecord, BreakVerdict, CusumRecord,
    Journal, JournalRw, JumpOffRecord, ModelBacktest, ModelStability, RecursiveRecord,
    RecursiveSeries, RunId, StabilityAnalysis, TrialCoefficient, TrialRecord,
};

use crate::common::{create, int, raw, TestSpace};

fn coefficient(name: &str, coef: f64, pct: Option<f64>) -> TrialCoefficient {
    TrialCoefficient {
        name: name.into(),
        coef: Some(coef),
        se: Some(0.1),
        pvalue: Some(0.01),
        pct_change: pct,
    }
}

fn trial(label: &str, position: u32, cut: u32, passes: Option<bool>) -> TrialRecord {
    TrialRecord {
        trial: label.into(),
        position,
        cut,
        in_start: "2000-01-31".into(),
        in_end: "2009-12-31".into(),
        nobs: 120 - cut,
        cov_type: passes.map(|_| CovType::HAC),
        r2: passes.map(|_| 0.6),
        adj_r2: passes.map(|_| 0.58),
        rmse_in: passes.map(|_| 0.2),
        rmse_oos: (cut > 0 && passes.is_some()).then_some(0.3),
        mae_oos: (cut > 0 && passes.is_some()).then_some(0.25),
        max_abs_oos: (cut > 0 && passes.is_some()).then_some(0.5),
        passes,
        failed_test: (passes == Some(false)).then_some(FilterTest::CoefficientSignificance),
        note: passes
            .is_none()
            .then(|| "skipped: too few rows".to_string()),
        coefficients: if passes.is_some() {
            vec![
                coefficient("const", 1.0 + cut as f64 * 0.01, Some(cut as f64 * 0.01)),
                coefficient("x_LV", 0.0, None),
            ]
        } else {
            Vec::new()
        },
    }
}

fn stability(spec_index: u64) -> ModelStability {
    ModelStability {
        spec_index,
        trials: vec![
            trial("final", 0, 0, Some(true)),
            trial("WF1", 1, 3, Some(false)),
            trial("WF2", 2, 200, None),
            trial("WF3", 3, 12, Some(true)),
        ],
        recursive: Some(RecursiveRecord {
            start_date: "2000-01-31".into(),
            first_rows: 24,
            dates: vec![
                "2001-12-31".into(),
                "2002-01-31".into(),
                "2002-02-28".into(),
            ],
            series: vec![
                RecursiveSeries {
                    name: "const".into(),
                    coefs: vec![1.0, 1.1, 1.2],
                    ses: vec![0.5, 0.25, 0.125],
                },
                RecursiveSeries {
                    name: "x_LV".into(),
                    coefs: vec![f64::NAN, 2.0, 3.0],
                    ses: vec![f64::NAN, 1.0, 0.5],
                },
            ],
        }),
        breaks: vec![
            BreakTestRecord {
                test: BreakTest::CusumOls,
                date: Some("2005-06-30".into()),
                statistic: Some(0.7),
                p_value: Some(0.69),
                critical_value: Some(1.358),
                verdict: BreakVerdict::Stable,
                note: None,
            },
            BreakTestRecord {
                test: BreakTest::Hansen,
                date: None,
                statistic: Some(5.9),
                p_value: None,
                critical_value: Some(3.15),
                verdict: BreakVerdict::Unstable,
                note: None,
            },
            BreakTestRecord {
                test: BreakTest::Chow,
                date: Some("2001-01-31".into()),
                statistic: None,
                p_value: None,
                critical_value: None,
                verdict: BreakVerdict::NotComputed,
                note: Some("too few rows before the break".into()),
            },
        ],
        cusums: vec![CusumRecord {
            test: BreakTest::CusumRecursive,
            first_date: "2000-05-31".into(),
            path: vec![0.1, -0.2, f64::NAN],
            upper: vec![1.0, 1.1, 1.2],
        }],
        notes: vec!["WF2 skipped".into()],
    }
}

fn backtest(spec_index: u64) -> ModelBacktest {
    let jump = |date: &str, in_sample: bool| JumpOffRecord {
        jump_off: date.into(),
        in_sample,
        p0_level: 100.0,
        dates: vec!["2001-03-31".into(), "2001-06-30".into()],
        predicted: vec![101.0, 102.0],
        actual: vec![100.5, f64::INFINITY],
        pct_error: vec![101.0 / 100.5 - 1.0, f64::NAN],
        predicted_change: 0.02,
        actual_change: -0.01,
    };
    ModelBacktest {
        spec_index,
        jump_offs: vec![jump("2000-12-31", true), jump("2010-12-31", false)],
        summaries: vec![BacktestSummaryRecord {
            sample: BacktestSample::All,
            quarters: 2,
            jump_offs: 2,
            mape_by_step: vec![0.004975, 0.01],
            worst_jump_off: "2010-12-31".into(),
            worst_mape: 0.01,
            sign_hit_rate: 0.5,
        }],
        notes: vec!["2009-12-31: no driver value".into()],
    }
}

fn journal_with_run() -> (tempfile::TempDir, std::path::PathBuf, RunId) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let run = create(&journal, &TestSpace::singles(10)).unwrap();
    (dir, path, run)
}

#[test]
fn stability_results_round_trip_and_show_in_the_views() {
    let (_dir, path, run) = journal_with_run();
    let rw = JournalRw::open(&path).unwrap();
    let written = rw
        .write_stability(run, &[stability(4), stability(7)])
        .unwrap();
    // Per model: 4 trials, 6 coefficients, 2 × 3 recursive points, 3 tests.
    assert_eq!(written, 2 * (4 + 6 + 6 + 3));
    drop(rw);
    let j = Journal::open(&path).unwrap();
    let back = j.model_stability(run, 4).unwrap().unwrap();
    let want = stability(4);
    // Non-finite values are stored as NULL and read back as NaN (paths) or None (scalars).
    assert_eq!(back.trials, want.trials);
    assert_eq!(back.breaks, want.breaks);
    assert_eq!(back.notes, want.notes);
    let r = back.recursive.as_ref().unwrap();
    assert_eq!(r.dates, want.recursive.as_ref().unwrap().dates);
    assert!(r.series[1].coefs[0].is_nan() && r.series[1].coefs[1] == 2.0);
    assert!(back.cusums[0].path[2].is_nan());
    assert_eq!(j.model_stability(run, 5).unwrap(), None);
    assert_eq!(j.stability_models(run).unwrap(), vec![4, 7]);

    let n = |sql: &str| int(&path, sql);
    assert_eq!(
        n("SELECT count(*) FROM recursive_coefficients WHERE spec_index = 4"),
        6
    );
    // The ±2 SE band of the view.
    let conn = raw(&path);
    let (lower, upper): (f64, f64) = conn
        .query_row(
            "SELECT lower, upper FROM recursive_coefficients WHERE spec_index = 4 \
             AND name = 'const' AND date = '2002-01-31'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((lower, upper), (1.1 - 0.5, 1.1 + 0.5));
    let missing: Option<f64> = conn
        .query_row(
            "SELECT coef FROM recursive_coefficients WHERE spec_index = 4 AND name = 'x_LV' \
             AND step = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(missing, None);
    assert_eq!(
        n("SELECT count(*) FROM break_tests WHERE verdict = 'unstable' AND spec_index = 7"),
        1
    );
    assert_eq!(
        n("SELECT count(*) FROM stability_trials WHERE passes IS NULL AND trial = 'WF2'"),
        2
    );
    assert_eq!(
        n("SELECT count(*) FROM stability_trials WHERE failed_test = 'coefficient_significance'"),
        2
    );
    assert_eq!(
        n("SELECT count(*) FROM stability_coefficients WHERE pct_change IS NULL"),
        2 * 3
    );
}

#[test]
fn validating_again_replaces_one_models_rows_only() {
    let (_dir, path, run) = journal_with_run();
    let rw = JournalRw::open(&path).unwrap();
    rw.write_stability(run, &[stability(4), stability(7)])
        .unwrap();
    rw.write_backtests(run, &[backtest(4), backtest(7)])
        .unwrap();
    // Model 4 again, with fewer trials and no recursive window or backtest notes.
    let mut fewer = stability(4);
    fewer.trials.truncate(2);
    fewer.recursive = None;
    fewer.cusums.clear();
    rw.write_stability(run, &[fewer.clone()]).unwrap();
    let mut bt = backtest(4);
    bt.jump_offs.truncate(1);
    bt.notes.clear();
    rw.write_backtests(run, &[bt.clone()]).unwrap();
    drop(rw);
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.model_stability(run, 4).unwrap().unwrap(), fewer);
    assert_eq!(j.model_stability(run, 7).unwrap().unwrap().trials.len(), 4);
    let back = j.model_backtest(run, 4).unwrap().unwrap();
    assert_eq!(back.jump_offs.len(), 1);
    assert!(back.notes.is_empty());
    // The stability notes of model 4 survive its backtest rewrite, and the other way round.
    assert_eq!(back.summaries, bt.summaries);
    assert_eq!(
        j.model_stability(run, 4).unwrap().unwrap().notes,
        fewer.notes
    );
    assert_eq!(
        j.model_backtest(run, 7).unwrap().unwrap().jump_offs.len(),
        2
    );
    assert_eq!(
        int(
            &path,
            "SELECT count(*) FROM stability_windows WHERE spec_index = 4"
        ),
        0
    );
    assert_eq!(
        int(
            &path,
            "SELECT count(*) FROM recursive_paths WHERE spec_index = 4"
        ),
        0
    );
}

#[test]
fn backtests_round_trip_and_show_in_the_views() {
    let (_dir, path, run) = journal_with_run();
    let rw = JournalRw::open(&path).unwrap();
    assert_eq!(rw.write_backtests(run, &[backtest(3)]).unwrap(), 4);
    drop(rw);
    let j = Journal::open(&path).unwrap();
    let back = j.model_backtest(run, 3).unwrap().unwrap();
    let want = backtest(3);
    assert_eq!(back.summaries, want.summaries);
    assert_eq!(back.notes, want.notes);
    assert_eq!(back.jump_offs[0].predicted, want.jump_offs[0].predicted);
    // A non-finite actual level is stored as NULL.
    assert!(back.jump_offs[0].actual[1].is_nan());
    assert_eq!(j.backtest_models(run).unwrap(), vec![3]);
    assert_eq!(j.model_backtest(run, 9).unwrap(), None);

    let conn = raw(&path);
    let rows: Vec<(String, String, i64, String, Option<f64>)> = conn
        .prepare(
            "SELECT jump_off, sample, step, date, pct_error FROM backtest_paths \
             WHERE spec_index = 3 ORDER BY jump_off, step",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[0],
        (
            "2000-12-31".to_string(),
            "in_sample".to_string(),
            1,
            "2001-03-31".to_string(),
            Some(101.0 / 100.5 - 1.0)
        )
    );
    assert_eq!(rows[3].1, "out_of_sample");
    assert_eq!(rows[3].4, None);
    let summary: Vec<(i64, f64)> = conn
        .prepare("SELECT step, mean_abs_pct_error FROM backtest_summary ORDER BY step")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(summary, vec![(1, 0.004975), (2, 0.01)]);
}

fn round_trip<T: ToSql + FromSql + PartialEq + std::fmt::Debug>(value: T) {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let back: T = conn.query_row("SELECT ?1", [&value], |r| r.get(0)).unwrap();
    assert_eq!(back, value);
}

#[test]
fn the_stored_words_round_trip_and_are_the_schemas() {
    for &t in BreakTest::ALL {
        round_trip(t);
    }
    for &v in BreakVerdict::ALL {
        round_trip(v);
    }
    for &s in BacktestSample::ALL {
        round_trip(s);
    }
    for &a in StabilityAnalysis::ALL {
        round_trip(a);
    }
    let (_dir, path, _run) = journal_with_run();
    let conn = raw(&path);
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let accepts = |sql: &str, word: &str| conn.execute(sql, [word]).is_ok();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "INSERT INTO break_test_results (run_id, spec_index, position, test, verdict) \
             VALUES (1, 1, (SELECT count(*) FROM break_test_results), ?1, 'stable')",
            BreakTest::ALL.iter().map(|t| t.as_str()).collect(),
        ),
        (
            "INSERT INTO break_test_results (run_id, spec_index, position, test, verdict) \
             VALUES (1, 2, (SELECT count(*) FROM break_test_results), 'chow', ?1)",
            BreakVerdict::ALL.iter().map(|v| v.as_str()).collect(),
        ),
        (
            "INSERT INTO backtest_summaries (run_id, spec_index, sample, quarters, jump_offs, \
             mape_by_step, worst_jump_off, sign_hit_rate) \
             VALUES (1, 1, ?1, 9, 1, '[]', 'x', 0.5)",
            BacktestSample::ALL.iter().map(|s| s.as_str()).collect(),
        ),
        (
            "INSERT INTO stability_notes (run_id, spec_index, analysis, position, note) \
             VALUES (1, 1, ?1, 0, 'n')",
            StabilityAnalysis::ALL.iter().map(|a| a.as_str()).collect(),
        ),
        (
            "INSERT INTO stability_trials (run_id, spec_index, trial, position, cut, in_start, \
             in_end, nobs, failed_test) VALUES (1, 1, 'WF' || \
             (SELECT count(*) + 1 FROM stability_trials), \
             (SELECT count(*) + 1 FROM stability_trials), 1, 'a', 'b', 1, ?1)",
            FilterTest::ALL.iter().map(|f| f.as_str()).collect(),
        ),
        (
            "INSERT INTO stability_trials (run_id, spec_index, trial, position, cut, in_start, \
             in_end, nobs, cov_type) VALUES (1, 2, 'WF' || \
             (SELECT count(*) + 1 FROM stability_trials), \
             (SELECT count(*) + 1 FROM stability_trials), 1, 'a', 'b', 1, ?1)",
            [CovType::NonRobust, CovType::HC1, CovType::HAC]
                .iter()
                .map(|c| c.as_str())
                .collect(),
        ),
    ];
    for (sql, words) in cases {
        for w in words {
            assert!(accepts(sql, w), "{sql} refused {w:?}");
        }
        assert!(
            !accepts(sql, "unheard_of"),
            "{sql} accepted an unknown word"
        );
    }
    // Trial labels: 'final' or WF<k>.
    let label = |l: &str| {
        conn.execute(
            "INSERT INTO stability_trials (run_id, spec_index, trial, position, cut, in_start, \
             in_end, nobs) VALUES (1, 9, ?1, (SELECT count(*) FROM stability_trials), 0, 'a', \
             'b', 1)",
            [l],
        )
        .is_ok()
    };
    assert!(label("final") && label("WF12"));
    assert!(!label("WF0") && !label("trial1"));
}
