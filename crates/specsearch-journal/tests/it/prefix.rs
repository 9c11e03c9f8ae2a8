//! Outcomes store only what follows their run's common prefix (migration 0009): written through
//! the real writer, every view gives each spec back whole, in spec order; the counters still
//! count the prefix in every outcome; a merge re-spells a shard whose prefix differs; and a
//! spec that does not begin with the prefix is refused, not stored wrongly.

use std::path::Path;

use specsearch_journal::{
    FeatureRole, FlushPolicy, Journal, JournalRw, JournalWriter, RunFeature, RunId, MAX_FEATURE_ID,
};

use crate::common::{self, assert_sound, catalogue, create, raw};

/// Ids 1..=3000 (codes of one, two and three bytes), forced dummies 2990..=2996 as the prefix.
const PREFIX: [u32; 7] = [2990, 2991, 2992, 2993, 2994, 2995, 2996];
const N: u32 = 3000;

fn record(index: u64) -> specsearch_journal::OutcomeRecord {
    common::record(index, &PREFIX, 2990)
}

fn write(path: &Path, run_id: RunId, indices: impl Iterator<Item = u64>) {
    common::write(path, run_id, indices.map(record).collect());
}

/// Every outcome of the run as (spec index, feature ids as JSON) from `outcome_status`.
fn features_by_view(path: &Path, run_id: RunId) -> Vec<(u64, String)> {
    raw(path)
        .prepare(
            "SELECT spec_index, features FROM outcome_status WHERE run_id = ?1 \
             ORDER BY spec_index",
        )
        .unwrap()
        .query_map([run_id.0], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
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
    let journal = JournalRw::open(&path).unwrap();
    let run_id = create(&journal, 400, &PREFIX, &catalogue(N)).unwrap();
    write(&path, run_id, 0..400);

    assert_eq!(features_by_view(&path, run_id), expected(0..400));
    // The table holds the rest only: no outcome's codes contain a prefix feature.
    let (with_prefix, longest): (i64, i64) = raw(&path)
        .query_row(
            "SELECT sum(instr(feature_codes, char(2990)) > 0), max(length(feature_codes)) \
             FROM outcomes WHERE run_id = ?1",
            [run_id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((with_prefix, longest), (0, 5));
    // Names and positions, spec order; the same list through `spec_features`.
    let reader = Journal::open(&path).unwrap();
    for index in [0u64, 50, 123, 399] {
        let want: Vec<String> = record(index)
            .features
            .iter()
            .map(|id| format!("f{id}"))
            .collect();
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
        assert!(listed.iter().all(|f| f.role == FeatureRole::Variant));
    }
    // Passed specs' lists (what `passed_models` and `top --weights` show).
    let (n_columns, names): (i64, String) = raw(&path)
        .query_row(
            "SELECT n_columns, features FROM passed_feature_lists \
             WHERE run_id = ?1 AND spec_index = 100",
            [run_id.0],
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
    assert_sound(&path);
    let dummies = common::int(
        &path,
        "SELECT sum(specs) FROM feature_counts WHERE run_id = 1 AND feature_id = 2993",
    );
    assert_eq!(dummies, 400);
    assert_eq!(reader.counts(run_id).unwrap().evaluated, 400);
    assert_eq!(reader.done_ranges(run_id).unwrap(), vec![(0, 400)]);
    assert_eq!(reader.common_prefix(run_id).unwrap(), PREFIX);
}

#[test]
fn a_merge_respells_a_shard_journaled_without_the_prefix() {
    // Two shards of one search: the first with the prefix, the second as a journal from before
    // schema 9 holds them (empty prefix, whole lists). The merged run takes the first's prefix.
    let dir = tempfile::tempdir().unwrap();
    let features = catalogue(N);
    let shard = |name: &str, prefix: &[u32], indices: std::ops::Range<u64>, index: u32| {
        let path = dir.path().join(name);
        let journal = JournalRw::open(&path).unwrap();
        let run_id = create(&journal, 400, prefix, &features).unwrap();
        journal.set_shard(run_id, index, 2).unwrap();
        write(&path, run_id, indices);
        path
    };
    let a = shard("a.sqlite", &PREFIX, 0..200, 0);
    let b = shard("b.sqlite", &[], 200..400, 1);
    let out = dir.path().join("merged.sqlite");
    let report = specsearch_journal::merge(&out, &[a, b]).unwrap();
    assert_eq!(report.outcomes_total, 400);
    assert!(report.complete);
    let run_id = report.run.run_id;
    let reader = Journal::open(&out).unwrap();
    assert_eq!(reader.common_prefix(run_id).unwrap(), PREFIX);
    assert_eq!(features_by_view(&out, run_id), expected(0..400));
    let longest = common::int(
        &out,
        "SELECT max(length(feature_codes)) FROM outcomes WHERE run_id = 1",
    );
    assert_eq!(longest, 5, "the second shard's rows keep their prefix");
    assert_sound(&out);
}

#[test]
fn a_merge_lists_the_missing_shards_and_merging_again_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let features = catalogue(100);
    let path = dir.path().join("s0.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let run_id = create(&journal, 1 << 20, &[], &features).unwrap();
    journal.set_shard(run_id, 0, 2).unwrap();
    common::write(
        &path,
        run_id,
        (0..100).map(|i| common::record(i, &[], 100)).collect(),
    );
    let out = dir.path().join("merged.sqlite");
    let first = specsearch_journal::merge(&out, std::slice::from_ref(&path)).unwrap();
    assert!(!first.complete);
    assert_eq!(first.outcomes_added, 100);
    assert_eq!(first.missing_shards, vec![0, 1]);
    assert_eq!(first.missing[0], (100, 1 << 20));
    let again = specsearch_journal::merge(&out, &[path]).unwrap();
    assert_eq!(again.outcomes_added, 0);
    assert_eq!(again.outcomes_total, 100);
    assert_eq!(again.run.status, specsearch_journal::RunStatus::Interrupted);
    assert_sound(&out);
}

#[test]
fn a_spec_that_does_not_begin_with_the_prefix_is_refused_and_nothing_of_its_batch_lands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let run_id = create(&journal, 400, &PREFIX, &catalogue(N)).unwrap();
    write(&path, run_id, 0..64);
    let (mut guard, _) = journal.begin_run(run_id).unwrap();
    let session = guard.start_session("serial", "duckdb", 1).unwrap();
    let writer = JournalWriter::spawn(&path, run_id, FlushPolicy::default()).unwrap();
    let mut batch: Vec<_> = (64..128).map(record).collect();
    batch[40].features.remove(0);
    writer.send(session, 0, batch).unwrap();
    let err = writer.finish().unwrap_err().to_string();
    assert!(
        err.contains("spec 104") && err.contains("does not begin with"),
        "{err}"
    );
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    drop(guard);
    assert_eq!(
        common::int(&path, "SELECT count(*) FROM outcomes WHERE run_id = 1"),
        64,
        "only the earlier batch is journaled"
    );
    assert_sound(&path);
}

#[test]
fn a_run_whose_features_have_no_code_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let mut features = catalogue(N);
    features.push(RunFeature {
        id: MAX_FEATURE_ID + 1,
        name: "huge".into(),
        role: FeatureRole::Variant,
        base: "huge".into(),
        category: None,
    });
    let err = create(&journal, 1, &[], &features).unwrap_err().to_string();
    assert!(
        err.contains(&(MAX_FEATURE_ID + 1).to_string()) && err.contains("limit"),
        "{err}"
    );
    assert_eq!(common::int(&path, "SELECT count(*) FROM runs"), 0);
}
