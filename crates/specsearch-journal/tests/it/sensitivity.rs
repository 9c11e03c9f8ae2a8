//! The sensitivity tables (migration 0011, sql/sensitivity.sql): what is written reads back
//! through the views and the typed reads; the shock words are the schema's; validating a model
//! again replaces its rows; rows from another forecast set are dropped.

use specsearch_core::projection::shocks::{ShockKind, ShockedPath};
use specsearch_core::projection::{LevelLink, LevelPaths, ModelForecast, QuarterOf};
use specsearch_journal::{
    AttributionTerm, DriverPath, ForecastSet, Journal, JournalRw, ModelSensitivity, RunId,
    ScenarioAttribution, ScenarioBand, ScenarioRow, SensitivityFeature, SensitivitySet, TableSink,
};

use crate::common::{create, int, raw, TestSpace};

const HISTORY: [f64; 3] = [98.0, 99.0, 100.0];
const SCENARIOS: [&str; 2] = ["Base", "Severe"];

fn levels() -> LevelPaths<'static> {
    LevelPaths {
        link: LevelLink::Growth { period: 1 },
        history: &HISTORY,
        monthly: Some(QuarterOf::Mean),
    }
}

/// A run with a monthly forecast set of 12 months (4 quarters) under Base and Severe, and
/// model 7 in it.
fn journal_with_forecasts(sha: &str) -> (tempfile::TempDir, std::path::PathBuf, RunId) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let run = create(&journal, &TestSpace::singles(10)).unwrap();
    let paths: Vec<_> = [0.01, -0.01]
        .iter()
        .map(|g| levels().path(vec![*g; 12]).unwrap())
        .collect();
    let models = vec![ModelForecast {
        spec_index: 7,
        rank: Some(1),
        paths,
        in_order: None,
    }];
    let set = ForecastSet {
        p0: "2019-12-31".into(),
        frequency: "M",
        dates: (1..=12).map(|m| format!("2020-{m:02}-28")).collect(),
        quarter_dates: ["03-31", "06-30", "09-30", "12-31"]
            .iter()
            .map(|d| format!("2020-{d}"))
            .collect(),
        aggregation: "mean",
        direction: "down",
        inputs_sha256: sha.into(),
        scenarios: SCENARIOS
            .iter()
            .enumerate()
            .map(|(i, s)| ScenarioRow {
                name: s.to_string(),
                is_base: i == 0,
                order_position: None,
                sources: "[]".into(),
                notes: None,
            })
            .collect(),
        history: vec![
            ("2019-10-31".into(), 98.0),
            ("2019-11-30".into(), 99.0),
            ("2019-12-31".into(), 100.0),
        ],
        models: &models,
    };
    journal.write_forecast_set(run, &set).unwrap();
    (dir, path, run)
}

/// Model `spec`'s analysis: 1 feature, its unshocked paths and ±1 coefficient and driver
/// shocks under both scenarios, attribution and a 5/95% band.
fn model(spec: u64) -> ModelSensitivity {
    let mut paths = Vec::new();
    for (kind, k) in [
        (ShockKind::None, 0.0),
        (ShockKind::Coefficient, -1.0),
        (ShockKind::Coefficient, 1.0),
        (ShockKind::Driver, -1.0),
        (ShockKind::Driver, 1.0),
    ] {
        for (s, g) in [0.01, -0.01].iter().enumerate() {
            let mut path = levels().path(vec![g + 0.001 * k; 12]).unwrap();
            path.pct_diff_base = if s == 0 { 0.0 } else { -0.02 };
            paths.push(ShockedPath {
                scenario: s,
                term: if kind == ShockKind::None { 0 } else { 1 },
                kind,
                k,
                path,
            });
        }
    }
    let attribution = (0..2)
        .map(|s| ScenarioAttribution {
            scenario: s,
            terms: vec![
                AttributionTerm {
                    term: 0,
                    feature: "const".into(),
                    coef: 0.002,
                    values: vec![1.0; 12],
                    contribution: vec![0.002; 12],
                    effect_9q: None,
                },
                AttributionTerm {
                    term: 1,
                    feature: "f1".into(),
                    coef: 0.5,
                    values: vec![0.016; 12],
                    contribution: vec![0.008; 12],
                    effect_9q: Some(-3.5 - s as f64),
                },
            ],
        })
        .collect();
    let bands = (0..2)
        .map(|s| ScenarioBand {
            scenario: s,
            transform: vec![vec![0.0; 12], vec![0.02; 12]],
            levels: vec![vec![99.0; 12], vec![101.0; 12]],
            quarterly: vec![vec![99.0; 5], vec![101.0; 5]],
        })
        .collect();
    ModelSensitivity {
        spec_index: spec,
        cov_type: "HC1".into(),
        hac_lags: None,
        nobs: 120,
        df_resid: 118,
        resid_variance: 1e-4,
        band_note: None,
        features: vec![SensitivityFeature {
            term: 1,
            feature: "f1".into(),
            coef: 0.5,
            se: Some(0.1),
            sigma: Some(0.02),
            coefficient_shocked: true,
            driver_shocked: true,
            note: None,
        }],
        paths,
        attribution,
        bands,
        drivers: vec!["b1".into()],
    }
}

fn write(journal: &JournalRw, run: RunId, sha: &str, models: &[ModelSensitivity]) -> u64 {
    let names: Vec<String> = SCENARIOS.iter().map(|s| s.to_string()).collect();
    journal
        .write_sensitivity(
            run,
            &SensitivitySet {
                inputs_sha256: sha,
                frequency: "M",
                scenarios: &names,
                p0_level: 100.0,
                coefficient_shocks: &[1.0],
                driver_shocks: &[1.0],
                band_draws: 1000,
                band_seed: 2026,
                band_quantiles: &[0.05, 0.95],
                models,
                drivers: &[
                    DriverPath {
                        scenario: 0,
                        driver: "b1".into(),
                        history: vec![1.0, 2.0, 3.0],
                        path: vec![3.5; 12],
                    },
                    DriverPath {
                        scenario: 1,
                        driver: "b1".into(),
                        history: vec![1.0, 2.0, 3.0],
                        path: vec![2.5; 12],
                    },
                ],
            },
        )
        .unwrap()
}

#[test]
fn a_validation_reads_back_through_the_views_and_the_typed_reads() {
    let sha = "a".repeat(64);
    let (_dir, path, run) = journal_with_forecasts(&sha);
    let journal = JournalRw::open(&path).unwrap();
    let m = model(7);
    // 10 paths, each monthly and quarterly.
    assert_eq!(write(&journal, run, &sha, std::slice::from_ref(&m)), 20);
    let count = |sql: &str| int(&path, sql);
    // 10 monthly paths of 13 steps, 10 quarterly of 5.
    assert_eq!(
        count("SELECT count(*) FROM sensitivity_paths"),
        10 * 13 + 10 * 5
    );
    assert_eq!(
        count("SELECT count(*) FROM sensitivity_paths WHERE feature IS NULL AND shock = 'none'"),
        2 * 18
    );
    assert_eq!(count("SELECT count(*) FROM sensitivity_stats"), 10);
    // Attribution: 2 scenarios × 2 terms × 12 months; bands: 2 × 2 quantiles × (13 + 5).
    assert_eq!(
        count("SELECT count(*) FROM scenario_attribution"),
        2 * 2 * 12
    );
    assert_eq!(count("SELECT count(*) FROM scenario_bands"), 2 * 2 * 18);
    let conn = raw(&path);
    let (level, transform): (f64, f64) = conn
        .query_row(
            "SELECT level, transform_value FROM sensitivity_paths WHERE scenario = 'Severe' \
             AND feature = 'f1' AND shock = 'driver' AND k = 1 AND frequency = 'M' AND step = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    // Severe's transform −0.01 shifted by the shock's 0.001·k.
    let shocked = -0.01 + 0.001 * 1.0;
    let want = levels().path(vec![shocked; 12]).unwrap();
    assert_eq!((level, transform), (want.levels[1], shocked));
    let p0: f64 = conn
        .query_row(
            "SELECT level FROM scenario_bands WHERE frequency = 'M' AND step = 0 LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(p0, 100.0);
    // Every stored shock word is one the program reads.
    let words: Vec<String> = conn
        .prepare("SELECT DISTINCT shock FROM sensitivity_paths ORDER BY shock")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(words, ["coefficient", "driver", "none"]);
    assert!(words.iter().all(|w| ShockKind::parse(w).is_some()));
    let bad = conn.execute(
        "INSERT INTO sensitivity_path_data (run_id, spec_index, scenario, term, shock, k, \
         frequency, levels) VALUES (?1, 7, 'Base', 1, 'feature', 1, 'M', '[]')",
        [run.0],
    );
    assert!(bad.is_err(), "an unknown shock word is refused");

    // The typed reads.
    assert_eq!(journal.validated_models(run).unwrap(), vec![7]);
    let t = journal.sensitivity_table(run, 7).unwrap();
    assert_eq!(
        t.columns,
        ["feature", "shock", "k", "unit", "Base", "Severe"]
    );
    assert_eq!(t.rows.len(), 5);
    assert_eq!(t.get(0, "shock").as_str(), Some("none"));
    assert_eq!(t.get(1, "shock").as_str(), Some("coefficient"));
    assert_eq!(t.get(1, "unit").as_f64(), Some(0.1));
    assert_eq!(t.get(4, "unit").as_f64(), Some(0.02));
    // The horizon is 4 quarters: PH / P0 − 1.
    let p = levels().path(vec![shocked; 12]).unwrap();
    assert_eq!(
        t.get(4, "Severe").as_f64(),
        Some(p.stats.last / p.stats.p0 - 1.0)
    );
    let a = journal.attribution_table(run, 7).unwrap();
    assert_eq!(a.columns, ["feature", "coef", "Base", "Severe"]);
    assert_eq!(a.rows.len(), 1);
    assert_eq!(a.get(0, "Severe").as_f64(), Some(-4.5));
    let levels_read = journal.sensitivity_levels(run, 7).unwrap();
    assert_eq!(levels_read.len(), 10);
    assert_eq!(levels_read[0].scenario, "Base");
    assert_eq!(levels_read[0].feature, None);
    assert_eq!(levels_read[0].points.len(), 13);
    assert_eq!(levels_read[1].shock, ShockKind::Coefficient);
    assert_eq!(journal.model_drivers(run, 7).unwrap(), vec!["b1"]);
    let drivers = journal.driver_levels(run, &["b1".to_string()]).unwrap();
    assert_eq!(drivers.len(), 2);
    assert_eq!(drivers[1].scenario, "Severe");
    assert_eq!(drivers[1].history.len(), 3);
    assert_eq!(drivers[1].history[2], ("2019-12-31".to_string(), 3.0));
    assert_eq!(drivers[1].path[0], ("2019-12-31".to_string(), 3.0));
    assert_eq!(drivers[1].path[12], ("2020-12-28".to_string(), 2.5));
    let bands = journal.band_levels(run, 7).unwrap();
    let reader = Journal::open(&path).unwrap();
    assert_eq!(bands.len(), 4);
    assert_eq!((bands[1].quantile, bands[1].points[3].1), (0.95, 101.0));
    for stream in [
        Journal::stream_sensitivity,
        Journal::stream_attribution,
        Journal::stream_bands,
    ] {
        let mut sink = TableSink::default();
        let n = stream(&reader, run, &mut sink).unwrap();
        assert!(n > 0 && n as usize == sink.0.rows.len());
    }
}

#[test]
fn validating_again_replaces_and_another_forecast_set_drops_the_old_rows() {
    let sha = "a".repeat(64);
    let (_dir, path, run) = journal_with_forecasts(&sha);
    let journal = JournalRw::open(&path).unwrap();
    write(&journal, run, &sha, &[model(7), model(8)]);
    let rows = || int(&path, "SELECT count(*) FROM sensitivity_path_data");
    assert_eq!(rows(), 40);
    // Model 7 again: its rows replaced, model 8's kept.
    write(&journal, run, &sha, &[model(7)]);
    assert_eq!(rows(), 40);
    assert_eq!(journal.validated_models(run).unwrap(), vec![7, 8]);
    // Another forecast set: model 8's rows came from the old one and go.
    write(&journal, run, &"b".repeat(64), &[model(7)]);
    assert_eq!(rows(), 20);
    assert_eq!(journal.validated_models(run).unwrap(), vec![7]);
    assert_eq!(
        int(
            &path,
            "SELECT count(*) FROM sensitivity_features WHERE spec_index = 8"
        ),
        0
    );
    assert_eq!(
        int(
            &path,
            "SELECT count(DISTINCT inputs_sha256) FROM scenario_driver_paths"
        ),
        1
    );
}
