//! How outcomes are stored: filtered outcomes as one code per spec in blocks, their columns
//! following from the run's plan; passed and error outcomes as rows holding what follows the
//! run's common prefix. Written through the real writer, every view gives each spec back
//! whole, in spec order, as `SpecSpace::spec_at` does; the counters count every feature; a
//! merge copies blocks and rows; a block sent twice changes nothing; a spec of a row that does
//! not begin with the prefix is refused, not stored wrongly.

use std::path::Path;

use specsearch_journal::{
    FeatureRole, FlushPolicy, Journal, JournalRw, JournalWriter, RunFeature, RunId, TableSink,
    MAX_FEATURE_ID,
};

use crate::common::{self, assert_sound, create, raw, TestSpace};

/// Columns of one, two and three UTF-8 bytes as codes, forced month dummies 2990..=2996 that
/// sort first: the run's common prefix.
const PREFIX: [u32; 7] = [2990, 2991, 2992, 2993, 2994, 2995, 2996];

fn wide_space() -> TestSpace {
    let vars = vec![
        vec![5, 6, 7],
        vec![300, 301],
        vec![2500, 2501, 2502],
        vec![9, 10],
        vec![1000],
        vec![11, 12, 13, 14],
    ];
    TestSpace::new(3000, &vars, &[PREFIX.to_vec()], 4)
}

fn write(path: &Path, space: &TestSpace, run_id: RunId, indices: std::ops::Range<u64>) {
    common::write(path, run_id, indices.map(|i| space.record(i)).collect());
}

/// Every outcome of the run as (spec index, status, feature ids as JSON) from `outcome_status`.
fn by_view(path: &Path, run_id: RunId) -> Vec<(u64, String, String)> {
    raw(path)
        .prepare(
            "SELECT spec_index, status, feature_ids FROM outcome_status WHERE run_id = ?1 \
             ORDER BY spec_index",
        )
        .unwrap()
        .query_map([run_id.0], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn expected(space: &TestSpace, indices: std::ops::Range<u64>) -> Vec<(u64, String, String)> {
    indices
        .map(|i| {
            let r = space.record(i);
            (
                i,
                r.status.as_str().to_string(),
                serde_json::to_string(&r.features).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_view_gives_every_spec_back_whole_from_blocks_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let space = wide_space();
    let count = space.space.count();
    assert!(count > 300, "{count}");
    let run_id = create(&journal, &space).unwrap();
    assert_eq!(journal.run(run_id).unwrap().unwrap().spec_count, count);
    write(&path, &space, run_id, 0..count);

    assert_eq!(by_view(&path, run_id), expected(&space, 0..count));
    // Filtered outcomes have no row; passed and error ones keep the rest after the prefix.
    let rows = common::int(&path, "SELECT count(*) FROM outcomes");
    let details = (0..count).filter(|i| i % 50 == 0 || i % 70 == 0).count() as i64;
    assert_eq!(rows, details);
    let with_prefix = common::int(
        &path,
        "SELECT count(*) FROM outcomes WHERE instr(feature_codes, char(2990)) > 0",
    );
    assert_eq!(with_prefix, 0);
    assert_eq!(
        common::int(&path, "SELECT sum(length(codes)) FROM outcome_blocks"),
        count as i64
    );
    // Names and positions, spec order, through `outcome_features` and `spec_features`.
    let reader = Journal::open(&path).unwrap();
    for index in [0u64, 50, 123, count - 1] {
        let want: Vec<String> = space.spec(index).iter().map(name).collect();
        let by_view: Vec<(i64, String)> = raw(&path)
            .prepare(
                "SELECT position, feature FROM outcome_features \
                 WHERE run_id = ?1 AND spec_index = ?2 ORDER BY position",
            )
            .unwrap()
            .query_map((run_id.0, index as i64), |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let positions: Vec<i64> = (0..want.len() as i64).collect();
        assert_eq!(by_view.iter().map(|p| p.0).collect::<Vec<_>>(), positions);
        assert_eq!(
            by_view.iter().map(|p| &p.1).collect::<Vec<_>>(),
            want.iter().collect::<Vec<_>>()
        );
        let listed = reader.spec_features(run_id, index).unwrap();
        assert_eq!(
            listed.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
            want,
            "spec_features({index})"
        );
        let row = reader.spec_row(run_id, index).unwrap().unwrap();
        assert_eq!(row.status, space.record(index).status);
        assert_eq!(row.failed_test, space.record(index).failed_test);
    }
    assert!(reader.spec_row(run_id, count).unwrap().is_none());
    // Passed specs' lists (what `passed_models` and `top --weights` show).
    let (n_columns, names): (i64, String) = raw(&path)
        .query_row(
            "SELECT n_columns, features FROM passed_feature_lists \
             WHERE run_id = ?1 AND spec_index = 100",
            [run_id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let want = space.spec(100);
    assert_eq!(n_columns, want.len() as i64);
    assert_eq!(names, want.iter().map(name).collect::<Vec<_>>().join(", "));
    // Counters count every feature of every outcome, like a scan of the views.
    assert_sound(&path);
    let dummies = common::int(
        &path,
        "SELECT sum(specs) FROM feature_counts WHERE run_id = 1 AND feature_id = 2993",
    );
    assert_eq!(dummies, count as i64);
    assert_eq!(reader.counts(run_id).unwrap().evaluated, count);
    assert_eq!(reader.done_ranges(run_id).unwrap(), vec![(0, count)]);
    assert_eq!(reader.common_prefix(run_id).unwrap(), PREFIX);
    // The export stream: every spec once, in order, features by name.
    let mut sink = TableSink::default();
    assert_eq!(
        reader
            .stream_outcomes(run_id, &mut sink, &mut |_| {})
            .unwrap(),
        count
    );
    for (k, r) in sink.0.rows.iter().enumerate() {
        let want = space.record(k as u64);
        assert_eq!(r[1].as_i64(), Some(k as i64));
        assert_eq!(r[2].as_str(), Some(want.status.as_str()));
        let names = want
            .features
            .iter()
            .map(name)
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(r[6].as_str(), Some(names.as_str()), "spec {k}");
    }
}

fn name(id: &u32) -> String {
    if PREFIX.contains(id) {
        format!("M:{}", 2 + PREFIX.iter().position(|p| p == id).unwrap())
    } else {
        format!("f{id}")
    }
}

#[test]
fn a_merge_copies_blocks_and_rows_once_and_lists_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let space = wide_space();
    let count = space.space.count();
    let shard = |name: &str, indices: std::ops::Range<u64>, index: u32| {
        let path = dir.path().join(name);
        let journal = JournalRw::open(&path).unwrap();
        let run_id = create(&journal, &space).unwrap();
        journal.set_shard(run_id, index, 2).unwrap();
        write(&path, &space, run_id, indices);
        path
    };
    let half = count / 2;
    let a = shard("a.sqlite", 0..half, 0);
    let b = shard("b.sqlite", half..count, 1);
    let out = dir.path().join("merged.sqlite");
    let first = specsearch_journal::merge(&out, std::slice::from_ref(&a)).unwrap();
    assert!(!first.complete);
    assert_eq!(first.outcomes_added, half);
    assert_eq!(first.missing, vec![(half, count)]);
    let report = specsearch_journal::merge(&out, &[a, b]).unwrap();
    assert!(report.complete);
    assert_eq!(report.outcomes_added, count - half);
    assert_eq!(report.outcomes_total, count);
    let run_id = report.run.run_id;
    let reader = Journal::open(&out).unwrap();
    assert_eq!(reader.common_prefix(run_id).unwrap(), PREFIX);
    assert_eq!(by_view(&out, run_id), expected(&space, 0..count));
    assert_sound(&out);
}

#[test]
fn a_block_sent_again_adds_nothing_and_a_block_overlapping_it_adds_only_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let space = TestSpace::small();
    let run_id = create(&journal, &space).unwrap();
    let records: Vec<_> = (0..200).map(|i| space.record(i)).collect();
    common::write(&path, run_id, records.clone());
    common::write(&path, run_id, records[100..150].to_vec());
    // Overlapping: 150..200 journaled, 200..260 new (counted from the plan).
    let more: Vec<_> = (150..260).map(|i| space.record(i)).collect();
    common::write(&path, run_id, more);
    let reader = Journal::open(&path).unwrap();
    assert_eq!(reader.counts(run_id).unwrap().evaluated, 260);
    assert_eq!(reader.done_ranges(run_id).unwrap(), vec![(0, 260)]);
    assert_eq!(by_view(&path, run_id), expected(&space, 0..260));
    assert_sound(&path);
}

#[test]
fn a_passed_spec_that_does_not_begin_with_the_prefix_is_refused_and_nothing_of_its_block_lands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let space = wide_space();
    let run_id = create(&journal, &space).unwrap();
    write(&path, &space, run_id, 0..64);
    let (mut guard, _) = journal.begin_run(run_id).unwrap();
    let session = guard.start_session("serial", "duckdb", 1).unwrap();
    let writer = JournalWriter::spawn(&path, run_id, FlushPolicy::default()).unwrap();
    let mut batch: Vec<_> = (64..128).map(|i| space.record(i)).collect();
    batch[36].features.remove(0); // spec 100 passed
    writer.send(session, 0, common::block(&batch)).unwrap();
    let err = writer.finish().unwrap_err().to_string();
    assert!(
        err.contains("spec 100") && err.contains("does not begin with"),
        "{err}"
    );
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    drop(guard);
    assert_eq!(
        Journal::open(&path)
            .unwrap()
            .counts(run_id)
            .unwrap()
            .evaluated,
        64,
        "only the earlier block is journaled"
    );
    assert_sound(&path);
}

#[test]
fn a_run_whose_features_have_no_code_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let mut space = TestSpace::small();
    space.features.push(RunFeature {
        id: MAX_FEATURE_ID + 1,
        name: "huge".into(),
        role: FeatureRole::Variant,
        base: "huge".into(),
        category: None,
    });
    let err = create(&journal, &space).unwrap_err().to_string();
    assert!(
        err.contains(&(MAX_FEATURE_ID + 1).to_string()) && err.contains("limit"),
        "{err}"
    );
    assert_eq!(common::int(&path, "SELECT count(*) FROM runs"), 0);
    assert_eq!(common::int(&path, "SELECT count(*) FROM run_plans"), 0);
}
