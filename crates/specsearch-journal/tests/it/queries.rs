//! What the inspection commands read: the ranking (stored and with other weights), typed rows
//! of one spec, the digest, and a forecast set written and read back.

use specsearch_core::projection::{ModelForecast, ScenarioPath, ScenarioStatistics};
use specsearch_journal::{
    FilterTest, ForecastSet, Journal, JournalRw, OutcomeStatus, PassedDetail, Ranking, RunStatus,
    ScenarioRow, TableSink, Weights,
};

use crate::common::{self, create, TestSpace};

/// A journal of 400 specs (8 passed: 0, 50, …, 350) with a stored ranking.
fn ranked_journal() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    specsearch_journal::RunRow,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let space = TestSpace::small();
    let run_id = create(&journal, &space).unwrap();
    let mut records: Vec<_> = (0..400).map(|i| space.record(i)).collect();
    // Passed models that differ: R² and errors by index.
    for r in records.iter_mut().filter(|r| r.passed.is_some()) {
        let p = r.passed.as_mut().unwrap();
        let x = r.spec_index as f64;
        p.r2 = 0.3 + x / 1000.0;
        p.adj_r2 = p.r2 - 0.01;
        p.is_rmse = 1.0 + ((x / 50.0) % 3.0);
        p.detail_json = PassedDetail {
            outcome: specsearch_core::assess::Outcome {
                params: vec![0.5, x],
                ..Default::default()
            },
            param_names: vec!["const".into(), format!("f{}", r.spec_index % 7 + 1)],
        }
        .to_json();
    }
    common::write(&path, run_id, records);
    let run = journal.run(run_id).unwrap().unwrap();
    let (guard, _) = journal.begin_run(run_id).unwrap();
    journal.store_ranking(&run, &Weights::default()).unwrap();
    guard.end(RunStatus::Complete, None).unwrap();
    let run = journal.run(run_id).unwrap().unwrap();
    (dir, path, run)
}

#[test]
fn the_stored_ranking_and_a_ranking_with_other_weights_agree_with_a_ranking_made_now() {
    let (_dir, path, run) = ranked_journal();
    let journal = Journal::open(&path).unwrap();
    assert!(journal.has_stored_ranking(run.run_id).unwrap());
    let stored = journal
        .passed_models(run.run_id, &Ranking::Stored, None, false)
        .unwrap();
    assert_eq!(stored.rows.len(), 8);
    let now = journal
        .passed_models(
            run.run_id,
            &Ranking::Weights(Weights::default()),
            None,
            false,
        )
        .unwrap();
    let specs = |t: &specsearch_journal::Table| -> Vec<(i64, i64)> {
        (0..t.rows.len())
            .map(|i| {
                (
                    t.get(i, "rank").as_i64().unwrap(),
                    t.get(i, "spec_index").as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(specs(&stored), specs(&now));
    assert_eq!(now.get(0, "stored_rank"), now.get(0, "rank"));
    // Fit only: the highest R² first (the largest index).
    let fit = Weights {
        fit: 1.0,
        in_sample: 0.0,
        out_of_sample: 0.0,
    };
    let by_fit = journal
        .passed_models(run.run_id, &Ranking::Weights(fit), Some(3), true)
        .unwrap();
    assert_eq!(by_fit.get(0, "spec_index").as_i64(), Some(350));
    assert!(by_fit.col("stored_rank").is_some() && by_fit.col("detail").is_some());
    let mut sink = TableSink::default();
    let n = journal
        .stream_passed(run.run_id, &Ranking::Stored, Some(2), false, &mut sink)
        .unwrap();
    assert_eq!(n, 2);
    // The forecasts' view of the ranking: coefficients read from each passed detail.
    let coefficients = journal.ranked_coefficients(run.run_id, Some(2)).unwrap();
    assert_eq!(coefficients.len(), 2);
    assert_eq!(coefficients[0].param_names[0], "const");
}

#[test]
fn weights_that_leave_nothing_to_rank_by_are_refused_before_anything_changes() {
    let (_dir, path, run) = ranked_journal();
    let journal = JournalRw::open(&path).unwrap();
    let none = Weights {
        fit: 0.0,
        in_sample: 0.0,
        out_of_sample: 1.0,
    };
    let err = journal.store_ranking(&run, &none).unwrap_err().to_string();
    assert!(err.contains("sum to zero"), "{err}");
    assert!(
        journal.has_stored_ranking(run.run_id).unwrap(),
        "the old ranking is kept"
    );
    assert!(none.check(true).is_ok() && none.check(false).is_err());
}

#[test]
fn one_spec_reads_back_typed() {
    let (_dir, path, run) = ranked_journal();
    let journal = Journal::open(&path).unwrap();
    let filtered = journal.spec_row(run.run_id, 7).unwrap().unwrap();
    assert_eq!(filtered.status, OutcomeStatus::Filtered);
    assert_eq!(filtered.failed_test, FilterTest::from_code(2 + 7 % 3));
    assert!(filtered.detail.is_none());
    let passed = journal.spec_row(run.run_id, 50).unwrap().unwrap();
    assert_eq!(passed.status, OutcomeStatus::Passed);
    let detail = PassedDetail::parse(passed.detail.as_deref().unwrap(), "spec 50").unwrap();
    assert_eq!(detail.param_names, vec!["const", "f2"]);
    assert!(passed.rank.is_some());
    let error = journal.spec_row(run.run_id, 70).unwrap().unwrap();
    assert_eq!(error.message.as_deref(), Some("singular"));
    assert!(journal.spec_row(run.run_id, 400).unwrap().is_none());
    let err = PassedDetail::parse("{not json", "spec 9")
        .unwrap_err()
        .to_string();
    assert!(err.contains("spec 9") && err.contains("damaged"), "{err}");

    let digest = journal.run_digest(run.run_id, 3).unwrap();
    assert_eq!(digest.counts.evaluated, 400);
    assert_eq!(digest.counts.passed, 8);
    assert_eq!(digest.top.len(), 3);
    assert_eq!(digest.top_error, Some(("singular".to_string(), 4)));
    let failed: u64 = digest.failed_at.iter().map(|f| f.1).sum();
    assert_eq!(failed, digest.counts.filtered);
    let mix = journal.outcome_mix(run.run_id).unwrap();
    assert_eq!(mix.iter().map(|m| m.2).sum::<u64>(), 400);
    assert!(mix
        .iter()
        .all(|m| (m.0 == OutcomeStatus::Filtered) == m.1.is_some()));
}

#[test]
fn a_forecast_set_reads_back_as_written_and_replacing_it_leaves_no_trace_of_the_old() {
    let (_dir, path, run) = ranked_journal();
    let journal = JournalRw::open(&path).unwrap();
    let stats = ScenarioStatistics::of(&[100.0, 101.0, 102.0, 103.0, 104.0]);
    let path_of = |shift: f64| ScenarioPath {
        transform: vec![0.01 + shift; 12],
        levels: (1..=12).map(|k| 100.0 + k as f64 + shift).collect(),
        quarterly: vec![100.0, 101.0 + shift, 102.0, 103.0, 104.0],
        stats: stats.clone(),
        pct_diff_base: shift,
    };
    let models = vec![ModelForecast {
        spec_index: 50,
        rank: Some(1),
        paths: vec![path_of(0.0), path_of(-1.0)],
        in_order: Some(false),
    }];
    let dates: Vec<String> = (1..=12).map(|m| format!("2020-{m:02}-28")).collect();
    let set = |sha: &str| ForecastSet {
        p0: "2019-12-31".into(),
        frequency: "M",
        dates: dates.clone(),
        quarter_dates: vec![
            "2020-03-31".into(),
            "2020-06-30".into(),
            "2020-09-30".into(),
            "2020-12-31".into(),
        ],
        aggregation: "mean",
        direction: "down",
        inputs_sha256: sha.into(),
        scenarios: vec![
            ScenarioRow {
                name: "Base".into(),
                is_base: true,
                order_position: Some(0),
                sources: "[]".into(),
                notes: None,
            },
            ScenarioRow {
                name: "Severe".into(),
                is_base: false,
                order_position: Some(1),
                sources: "[]".into(),
                notes: None,
            },
        ],
        history: vec![("2019-11-30".into(), 99.0), ("2019-12-31".into(), 100.0)],
        models: &models,
    };
    journal
        .write_forecast_set(run.run_id, &set("a".repeat(64).as_str()))
        .unwrap();
    let written = journal
        .write_forecast_set(run.run_id, &set("b".repeat(64).as_str()))
        .unwrap();
    assert_eq!(written, 2 * (13 + 5));
    let info = journal.forecast_set(run.run_id).unwrap().unwrap();
    assert_eq!(info.scenarios, vec!["Base", "Severe"]);
    assert_eq!(info.base.as_deref(), Some("Base"));
    assert_eq!(info.inputs_sha256, "b".repeat(64));
    assert_eq!((info.models, info.out_of_order), (1, 1));
    let paths = journal.scenario_paths(run.run_id, 50).unwrap();
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[1].0, "Severe");
    assert_eq!(paths[1].1[0], ("2019-12-31".to_string(), 100.0));
    assert_eq!(paths[1].1[12].1, 111.0);
    assert_eq!(journal.scenario_history(run.run_id).unwrap().len(), 2);
    let stats_table = journal.scenario_stats(run.run_id, 50).unwrap();
    assert_eq!(stats_table.rows.len(), 2);
    assert_eq!(stats_table.get(0, "in_order").as_str(), Some("no"));
    let changes = journal
        .pct_change_9q(run.run_id, "Severe")
        .unwrap()
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert!(journal.pct_change_9q(run.run_id, "Mild").unwrap().is_none());
    // The ordering check leaves the model out of the ranking, ranks renumbered.
    assert_eq!(journal.exclude_out_of_order(run.run_id).unwrap(), 1);
    let stored = journal
        .passed_models(run.run_id, &Ranking::Stored, None, false)
        .unwrap();
    assert_eq!(stored.rows.len(), 7);
    assert!((0..7).all(|i| stored.get(i, "spec_index").as_i64() != Some(50)));
    assert_eq!(stored.get(6, "rank").as_i64(), Some(7));
    let mut sink = TableSink::default();
    let rows = journal.stream_forecasts(run.run_id, &mut sink).unwrap();
    assert_eq!(rows, 2 * (13 + 5));
}
