//! The single writer: mutation records checked against what is journaled, a batch sent twice
//! after a lost worker changes nothing, events commit at once.

use std::collections::BTreeMap;

use specsearch_journal::{
    EventKind, FlushPolicy, Journal, JournalRw, JournalWriter, MutationRecord, OutcomeRecord,
    OutcomeStatus, RunStatus, SessionEvent,
};

use crate::common::{self, assert_sound, create, raw, TestSpace};

/// Every spec holds the composite `a_b_MUL` (column 3, forced) and one of nine variables.
fn composite_space() -> TestSpace {
    let vars: Vec<Vec<u32>> = (4..13).map(|c| vec![c]).collect();
    let mut space = TestSpace::new(12, &vars, &[vec![3]], 2);
    space.features[3] = specsearch_journal::RunFeature {
        id: 3,
        name: "a_b_MUL".into(),
        role: specsearch_journal::FeatureRole::Composite,
        base: "a".into(),
        category: None,
    };
    space
}

fn passed_record(space: &TestSpace, index: u64, m: MutationRecord) -> OutcomeRecord {
    OutcomeRecord {
        spec_index: index,
        status: OutcomeStatus::Passed,
        failed_test: None,
        features: space.spec(index),
        r2: Some(0.5),
        message: None,
        eval_us: 1,
        passed: Some(common::passed_detail("a".repeat(64))),
        mutations: vec![m],
    }
}

#[test]
fn conflicting_mutation_records_are_refused_as_errors() {
    // The first record of a name wins; a later one with another hash or another definition
    // turns its spec into an error; a repeat with the same content is fine, and the lowest spec
    // index is kept whatever the arrival order.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let space = composite_space();
    let run_id = create(&journal, &space).unwrap();
    let (mut guard, _) = journal.begin_run(run_id).unwrap();
    let session = guard.start_session("serial", "duckdb", 2).unwrap();
    let m = |definition: &str, hash: char| MutationRecord {
        name: "a_b_MUL".into(),
        definition: definition.into(),
        sha256: hash.to_string().repeat(64),
    };
    let writer = JournalWriter::spawn(&path, run_id, FlushPolicy::default()).unwrap();
    writer
        .send(
            session,
            0,
            common::block(&[passed_record(&space, 7, m("interaction(a, b)", 'c'))]),
        )
        .unwrap();
    writer
        .send(
            session,
            1,
            common::block(&[
                passed_record(&space, 3, m("interaction(a, b)", 'c')),
                passed_record(&space, 5, m("interaction(a, b)", 'd')),
                passed_record(&space, 9, m("interaction(a_x, b)", 'c')),
            ]),
        )
        .unwrap();
    writer.finish().unwrap();
    guard.end(RunStatus::Interrupted, None).unwrap();
    let rows: Vec<(i64, i64, Option<String>)> = raw(&path)
        .prepare("SELECT spec_index, status, message FROM outcomes ORDER BY spec_index")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows[0], (3, 0, None));
    assert_eq!((rows[1].0, rows[1].1), (5, 2));
    assert!(rows[1]
        .2
        .as_deref()
        .unwrap()
        .starts_with("mutation conflict: a_b_MUL"));
    assert_eq!(rows[2], (7, 0, None));
    assert_eq!((rows[3].0, rows[3].1), (9, 2));
    assert!(rows[3]
        .2
        .as_deref()
        .unwrap()
        .contains("interaction(a_x, b)"));
    assert_eq!(common::int(&path, "SELECT count(*) FROM passed"), 2);
    let reader = Journal::open(&path).unwrap();
    let pending = reader.pending_mutations(run_id).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (
            pending[0].name.as_str(),
            pending[0].definition.as_str(),
            pending[0].sha256.clone()
        ),
        ("a_b_MUL", "interaction(a, b)", "c".repeat(64))
    );
    let audit = reader.mutation_audit(run_id).unwrap();
    assert_eq!(audit[0].first_spec_index, 3);
    assert_eq!(audit[0].passed_spec_indices, vec![3, 7]);
    assert_eq!(audit[0].replay_action, None);
    let counts = reader.counts(run_id).unwrap();
    assert_eq!((counts.passed, counts.errors), (2, 2));
    assert_sound(&path);
}

#[test]
fn a_batch_sent_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let space = TestSpace::small();
    let run_id = create(&journal, &space).unwrap();
    let records: Vec<OutcomeRecord> = (0..300).map(|i| space.record(i)).collect();
    common::write(&path, run_id, records.clone());
    let before: BTreeMap<String, i64> = [
        "outcome_status",
        "outcomes",
        "passed",
        "outcome_counts",
        "feature_counts",
    ]
    .iter()
    .map(|t| {
        (
            t.to_string(),
            common::int(&path, &format!("SELECT count(*) FROM {t}")),
        )
    })
    .collect();
    // The same records again (a lost worker's batch re-run), and some new ones among them.
    let mut again = records[100..200].to_vec();
    again.extend((300..310).map(|i| space.record(i)));
    common::write(&path, run_id, again);
    let reader = Journal::open(&path).unwrap();
    assert_eq!(reader.counts(run_id).unwrap().evaluated, 310);
    assert_eq!(reader.done_ranges(run_id).unwrap(), vec![(0, 310)]);
    assert_eq!(before["outcome_status"], 300);
    assert_eq!(
        common::int(&path, "SELECT count(*) FROM outcome_status"),
        310
    );
    // Rows are for passed and error outcomes: only the new specs can add one.
    let new_rows = (300..310)
        .filter(|&i| space.record(i).status != specsearch_journal::OutcomeStatus::Filtered)
        .count() as i64;
    assert_eq!(
        common::int(&path, "SELECT count(*) FROM outcomes"),
        before["outcomes"] + new_rows
    );
    assert_sound(&path);
}

#[test]
fn events_commit_at_once_and_stalled_workers_are_listed_until_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let run_id = create(&journal, &TestSpace::small()).unwrap();
    let (mut guard, _) = journal.begin_run(run_id).unwrap();
    let session = guard.start_session("process", "duckdb", 2).unwrap();
    let writer = JournalWriter::spawn(&path, run_id, FlushPolicy::default()).unwrap();
    let event = |worker, kind| SessionEvent {
        session_id: session,
        worker: Some(worker),
        kind,
        detail: format!("{kind}"),
    };
    writer.event(event(1, EventKind::WorkerStalled)).unwrap();
    writer.event(event(0, EventKind::WorkerStalled)).unwrap();
    writer.flush().unwrap();
    let reader = Journal::open(&path).unwrap();
    assert_eq!(reader.stalled_workers(run_id).unwrap(), vec![0, 1]);
    writer.event(event(1, EventKind::WorkerLost)).unwrap();
    writer.flush().unwrap();
    assert_eq!(reader.stalled_workers(run_id).unwrap(), vec![0]);
    let events = reader.events(run_id, 8).unwrap();
    assert_eq!(events.rows.len(), 3);
    writer.finish().unwrap();
    guard.end(RunStatus::Interrupted, None).unwrap();
}
