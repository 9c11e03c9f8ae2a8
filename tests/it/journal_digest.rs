//! What the journal's documented views say about a run must not depend on how the journal stores
//! it: the demo and the PPNR-shaped search (`synth --preset ppnr`), run now, give views whose
//! digests equal those of journals written by specsearch before outcome blocks (commit
//! `5b4a172`, one row per outcome). Only columns that are the run's results are digested: not
//! times, sessions, workers or the R² of filtered outcomes (dropped from storage: see the
//! README's "How a run is journaled").

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::common::{assert_ok, demo_copy, specsearch};

/// (view, the SQL whose rows are digested, in a stable order).
const VIEWS: &[(&str, &str)] = &[
    // Issue 30 renamed two columns, not their content (the digests below are unchanged):
    // `outcome_status.features` (ids) is `feature_ids`, `outcomes_expanded.feature_names` is
    // `features` (names everywhere, ids in `feature_ids`), `run_progress.pass_rate` (a
    // percentage) is `pass_percent` and `failure_features.failure_rate` is `failure_percent`.
    (
        "outcome_status",
        "SELECT spec_index, status, failed_test, feature_ids, message FROM outcome_status \
         WHERE run_id = 1 ORDER BY spec_index",
    ),
    (
        "outcome_features",
        "SELECT spec_index, status, failed_test, position, feature_id, feature, base, role \
         FROM outcome_features WHERE run_id = 1 ORDER BY spec_index, position",
    ),
    (
        "outcomes_expanded",
        "SELECT spec_index, features, n_columns, n_variables FROM outcomes_expanded \
         WHERE run_id = 1 ORDER BY spec_index",
    ),
    (
        "passed_models",
        "SELECT * FROM passed_models WHERE run_id = 1 ORDER BY rank",
    ),
    (
        "passed_model_features",
        "SELECT * FROM passed_model_features WHERE run_id = 1 ORDER BY rank, position",
    ),
    (
        "failures_by_test",
        "SELECT * FROM failures_by_test WHERE run_id = 1 ORDER BY code",
    ),
    (
        "failure_features",
        "SELECT * FROM failure_features WHERE run_id = 1 ORDER BY code, rank, feature",
    ),
    (
        "errors_by_message",
        "SELECT * FROM errors_by_message WHERE run_id = 1 ORDER BY message",
    ),
    (
        "errors_by_type",
        "SELECT * FROM errors_by_type WHERE run_id = 1 ORDER BY error_type",
    ),
    (
        "run_progress",
        "SELECT spec_count, evaluated, percent_done, passed, filtered, errors, pass_percent \
         FROM run_progress WHERE run_id = 1",
    ),
    (
        "mutation_audit",
        "SELECT name, definition, sha256, first_spec_index, passed_specs, ranked_models, \
         best_rank, passed_spec_indices, replay_action FROM mutation_audit WHERE run_id = 1 \
         ORDER BY name",
    ),
    (
        "scenario_forecasts",
        "SELECT run_id, spec_index, scenario, frequency, step, label, date, transform_value, \
         level FROM scenario_forecasts WHERE run_id = 1 \
         ORDER BY spec_index, scenario, frequency, step",
    ),
    (
        "scenario_summary",
        "SELECT * FROM scenario_summary WHERE run_id = 1 ORDER BY rank, scenario",
    ),
];

/// `view rows sha256-prefix` for the views of [`VIEWS`] named in `only` (all when empty) on run
/// 1 of `journal`.
fn digests(journal: &Path, only: &[&str]) -> Vec<String> {
    let conn = rusqlite::Connection::open(journal).unwrap();
    VIEWS
        .iter()
        .filter(|(name, _)| only.is_empty() || only.contains(name))
        .map(|(name, sql)| {
            let mut stmt = conn.prepare(sql).unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            let mut hash = Sha256::new();
            let mut count = 0u64;
            while let Some(r) = rows.next().unwrap() {
                for i in 0..n {
                    hash.update(format!("{:?}|", r.get_ref(i).unwrap()).as_bytes());
                }
                hash.update(b"\n");
                count += 1;
            }
            let hex = hex::encode(hash.finalize());
            format!("{name} {count} {}", &hex[..16])
        })
        .collect()
}

fn run(config: &Path) -> std::path::PathBuf {
    assert_ok(
        &specsearch()
            .args(["run", config.to_str().unwrap(), "-q"])
            .output()
            .unwrap(),
    );
    config.parent().unwrap().join(format!(
        "{}.specsearch/journal.sqlite",
        config.file_stem().unwrap().to_string_lossy()
    ))
}

#[test]
fn the_demo_journal_reads_as_before() {
    let (_dir, config) = demo_copy();
    let got = digests(&run(&config), &[]);
    let want = DEMO;
    assert_eq!(got, want, "{got:#?}");
}

#[test]
fn the_ppnr_journal_reads_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ppnr");
    assert_ok(
        &specsearch()
            .args(["synth", ws.to_str().unwrap(), "--preset", "ppnr"])
            .output()
            .unwrap(),
    );
    // Every spec's status and features, and what is derived from them (the per-feature views
    // are the demo's to check: 23.6 million rows here).
    let only = [
        "outcome_status",
        "passed_models",
        "failures_by_test",
        "failure_features",
        "run_progress",
    ];
    let got = digests(&run(&ws.join("search.toml")), &only);
    let want = PPNR;
    assert_eq!(got, want, "{got:#?}");
}

/// Digests of the journals specsearch wrote at commit `5b4a172` (one row per outcome).
const DEMO: &[&str] = &[
    "outcome_status 386184 074c76104431164c",
    "outcome_features 1168688 eee1084360a1c172",
    "outcomes_expanded 386184 0171354dd6d06bf7",
    "passed_models 2828 db26c1e58d772a17",
    "passed_model_features 8395 3cf6c6dce7675263",
    "failures_by_test 4 4e8ab60a1182c2ac",
    "failure_features 494 94f7d01557282ebb",
    "errors_by_message 0 e3b0c44298fc1c14",
    "errors_by_type 0 e3b0c44298fc1c14",
    "run_progress 1 66f9fca98f388565",
    "mutation_audit 18 5763b338ad58152b",
    "scenario_forecasts 110292 a2ab1f680801d7fd",
    "scenario_summary 8484 8573988018e305fd",
];
const PPNR: &[&str] = &[
    "outcome_status 2163980 d11897ef7f49e7c2",
    "passed_models 6593 0c4706ba9d83b74f",
    "failures_by_test 2 be6a091179b73196",
    "failure_features 233 c84c53364b8f66d0",
    "run_progress 1 dc1b583eab24fb04",
];
