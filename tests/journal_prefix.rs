//! Outcomes store only what follows their run's common prefix (migration 0009): written through
//! the real writer, every view gives each spec back whole, in spec order; the counters still
//! count the prefix in every outcome; a merge re-spells a shard whose prefix differs; and a
//! spec that does not begin with the prefix is refused, not stored wrongly.

mod common;

use std::path::Path;

use rusqlite::Connection;
use specsearch::journal::runs::{self, NewRun, RunFeature};
use specsearch::journal::writer::{FlushPolicy, JournalWriter};
use specsearch::journal::{merge, queries, schema, OutcomeRecord, OutcomeStatus};

/// Ids 1..=3000 (codes of one, two and three bytes), forced dummies 2990..=2996 as the prefix.
const PREFIX: [u32; 7] = [2990, 2991, 2992, 2993, 2994, 2995, 2996];

fn catalogue() -> Vec<RunFeature> {
    (0..=3000u32)
        .map(|id| RunFeature {
            id,
            name: format!("f{id}"),
            role: if id == 0 { "target" } else { "variant" }.into(),
            base: format!("b{}", id % 50),
            category: None,
        })
        .collect()
}

fn create(conn: &Connection, prefix: &[u32], features: &[RunFeature]) -> rusqlite::Result<i64> {
    runs::create_run(
        conn,
        &NewRun {
            name_stem: "p",
            config_path: "p.toml",
            config_text: "",
            search_hash: &"3".repeat(64),
            bundle_hash: &"4".repeat(64),
            target: "f0",
            frequency: "M",
            spec_count: 400,
            target_stationary: true,
            has_out_of_sample: false,
            features,
            common_prefix: prefix,
        },
    )
}

/// SplitMix64.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Spec `index`: the prefix, then 0..=5 other ids (of all code lengths); every 50th passed,
/// every 70th an error.
fn record(index: u64) -> OutcomeRecord {
    let mut state = index;
    let mut features = PREFIX.to_vec();
    for _ in 0..next(&mut state) % 6 {
        let id = 1 + (next(&mut state) % 2989) as u32;
        if !features.contains(&id) {
            features.push(id);
        }
    }
    let (status, failed_test, message) = match index {
        i if i % 50 == 0 => (OutcomeStatus::Passed, None, None),
        i if i % 70 == 0 => (OutcomeStatus::Error, None, Some("singular".to_string())),
        _ => (OutcomeStatus::Filtered, Some(2 + (index % 3) as u8), None),
    };
    OutcomeRecord {
        spec_index: index,
        status,
        failed_test,
        features,
        r2: Some(index as f64 / 1000.0),
        message,
        eval_us: 3,
        passed: (status == OutcomeStatus::Passed)
            .then(|| common::passed_detail(format!("{index:064x}"))),
        mutations: Vec::new(),
    }
}

/// Writes `indices` into `run_id` through the journal writer, in batches of 64 (so both the
/// 32-row chunks and the row-by-row path run).
fn write(path: &Path, run_id: i64, indices: impl Iterator<Item = u64>) {
    let conn = schema::open_rw(path).unwrap();
    let session = runs::start_session(&conn, run_id, "serial", "duckdb", 1).unwrap();
    let writer = JournalWriter::spawn(path, run_id, FlushPolicy::default()).unwrap();
    let records: Vec<OutcomeRecord> = indices.map(record).collect();
    for batch in records.chunks(64) {
        writer.send(session, 0, batch.to_vec()).unwrap();
    }
    writer.finish().unwrap();
}

/// Every outcome of the run as (spec index, feature ids as JSON) from `outcome_status`.
fn features_by_view(conn: &Connection, run_id: i64) -> Vec<(u64, String)> {
    conn.prepare(
        "SELECT spec_index, features FROM outcome_status WHERE run_id = ?1 ORDER BY spec_index",
    )
    .unwrap()
    .query_map([run_id], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn expected(indices: impl Iterator<Item = u64>) -> Vec<(u64, String)> {
    indices
        .map(|i| (i, serde_json::to_string(&record(i).features).unwrap()))
        .collect()
}

#[test]
fn outcomes_store_what_follows_the_prefix_and_the_views_give_specs_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let conn = schema::open_rw(&path).unwrap();
    let features = catalogue();
    let run_id = create(&conn, &PREFIX, &features).unwrap();
    write(&path, run_id, 0..400);

    assert_eq!(features_by_view(&conn, run_id), expected(0..400));
    // The table holds the rest only: no outcome's codes contain a prefix feature.
    let (with_prefix, longest): (i64, i64) = conn
        .query_row(
            "SELECT sum(instr(feature_codes, char(2990)) > 0), max(length(feature_codes)) \
             FROM outcomes WHERE run_id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((with_prefix, longest), (0, 5));
    // Names and positions, spec order; the same list through `spec_features`.
    for index in [0u64, 50, 123, 399] {
        let want: Vec<String> = record(index)
            .features
            .iter()
            .map(|id| format!("f{id}"))
            .collect();
        let by_view: Vec<(i64, String)> = conn
            .prepare(
                "SELECT position, feature FROM outcome_features \
                 WHERE run_id = ?1 AND spec_index = ?2 ORDER BY position",
            )
            .unwrap()
            .query_map((run_id, index as i64), |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let positions: Vec<i64> = (0..want.len() as i64).collect();
        assert_eq!(by_view.iter().map(|p| p.0).collect::<Vec<_>>(), positions);
        assert_eq!(
            by_view.iter().map(|p| &p.1).collect::<Vec<_>>(),
            want.iter().collect::<Vec<_>>()
        );
        let listed: Vec<String> = queries::spec_features(&conn, run_id, index)
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(listed, want, "spec_features({index})");
    }
    // Passed specs' lists (what `passed_models` and `top --weights` show).
    let (n_columns, names): (i64, String) = conn
        .query_row(
            "SELECT n_columns, features FROM passed_feature_lists \
             WHERE run_id = ?1 AND spec_index = 100",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let want = record(100).features;
    assert_eq!(n_columns, want.len() as i64);
    assert_eq!(
        names,
        want.iter()
            .map(|id| format!("f{id}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Counters count the prefix features in every outcome, like a scan of the views.
    common::assert_counters_match(&conn);
    let dummies: i64 = conn
        .query_row(
            "SELECT sum(specs) FROM feature_counts WHERE run_id = ?1 AND feature_id = 2993",
            [run_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dummies, 400);
}

#[test]
fn a_merge_respells_a_shard_journaled_without_the_prefix() {
    // Two shards of one search: the first with the prefix, the second as a journal from before
    // schema 9 holds them (empty prefix, whole lists). The merged run takes the first's prefix.
    let dir = tempfile::tempdir().unwrap();
    let features = catalogue();
    let shard = |name: &str, prefix: &[u32], indices: std::ops::Range<u64>, index: u32| {
        let path = dir.path().join(name);
        let conn = schema::open_rw(&path).unwrap();
        let run_id = create(&conn, prefix, &features).unwrap();
        runs::set_shard(&conn, run_id, index, 2).unwrap();
        write(&path, run_id, indices);
        path
    };
    let a = shard("a.sqlite", &PREFIX, 0..200, 0);
    let b = shard("b.sqlite", &[], 200..400, 1);
    let out = dir.path().join("merged.sqlite");
    let report = merge::merge(&out, &[a, b]).unwrap();
    assert_eq!(report.outcomes_total, 400);
    let conn = Connection::open(&out).unwrap();
    let run_id = report.run.run_id;
    assert_eq!(runs::common_prefix(&conn, run_id).unwrap(), PREFIX);
    assert_eq!(features_by_view(&conn, run_id), expected(0..400));
    let longest: i64 = conn
        .query_row(
            "SELECT max(length(feature_codes)) FROM outcomes WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(longest, 5, "the second shard's rows keep their prefix");
    common::assert_counters_match(&conn);
}

#[test]
fn a_spec_that_does_not_begin_with_the_prefix_is_refused_and_nothing_of_its_batch_lands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let conn = schema::open_rw(&path).unwrap();
    let run_id = create(&conn, &PREFIX, &catalogue()).unwrap();
    write(&path, run_id, 0..64);
    let session = runs::start_session(&conn, run_id, "serial", "duckdb", 1).unwrap();
    let writer = JournalWriter::spawn(&path, run_id, FlushPolicy::default()).unwrap();
    let mut batch: Vec<OutcomeRecord> = (64..128).map(record).collect();
    batch[40].features.remove(0);
    writer.send(session, 0, batch).unwrap();
    let err = writer.finish().unwrap_err().to_string();
    assert!(
        err.contains("spec 104") && err.contains("does not begin with"),
        "{err}"
    );
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM outcomes WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 64, "only the earlier batch is journaled");
    common::assert_counters_match(&conn);
}

#[test]
fn a_run_whose_features_have_no_code_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let conn = schema::open_rw(&path).unwrap();
    let mut features = catalogue();
    features.push(RunFeature {
        id: 60_000,
        name: "huge".into(),
        role: "variant".into(),
        base: "huge".into(),
        category: None,
    });
    let err = create(&conn, &[], &features).unwrap_err().to_string();
    assert!(err.contains("60000") && err.contains("limit"), "{err}");
    let runs: i64 = conn
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(runs, 0);
}
