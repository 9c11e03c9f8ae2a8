//! A journal checked before it is trusted (issue 31): a run's counters must equal its outcomes
//! and its stored ranking must be complete, or the journal is "damaged"; a writer whose journal
//! is deleted stops at its next commit.

use specsearch_journal::{FlushPolicy, JournalRw, JournalWriter, OutcomeRecord, Weights};

use crate::common::{self, block, create, raw, TestSpace};

fn written() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    specsearch_journal::RunId,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let space = TestSpace::small();
    let run_id = create(&journal, &space).unwrap();
    let records: Vec<OutcomeRecord> = (0..300).map(|i| space.record(i)).collect();
    common::write(&path, run_id, records);
    (dir, path, run_id)
}

#[test]
fn counters_that_differ_from_the_outcomes_are_damage() {
    let (_dir, path, run_id) = written();
    let journal = JournalRw::open(&path).unwrap();
    journal.verify_for_resume(Some(run_id)).unwrap();
    raw(&path)
        .execute_batch(
            "UPDATE outcome_counts SET specs = specs + 1 WHERE (run_id, session_id, status, \
             failed_test) = (SELECT run_id, session_id, status, failed_test FROM \
             outcome_counts WHERE status = 1 LIMIT 1)",
        )
        .unwrap();
    let e = journal.verify_run(run_id).unwrap_err().to_string();
    assert!(
        e.contains(&format!("the journal {} is damaged", path.display()))
            && e.contains("counts 301 outcomes over 300 journaled specs but holds 300")
            && e.ends_with("restore it or start a new workspace"),
        "{e}"
    );
    assert!(journal.verify_for_resume(Some(run_id)).is_err());
}

#[test]
fn a_stored_ranking_with_a_gap_or_a_model_that_did_not_pass_is_damage() {
    let (_dir, path, run_id) = written();
    let journal = JournalRw::open(&path).unwrap();
    let run = journal.run(run_id).unwrap().unwrap();
    let ranked = journal.store_ranking(&run, &Weights::default()).unwrap();
    assert!(ranked >= 2);
    journal.verify_run(run_id).unwrap();
    let conn = raw(&path);
    conn.execute("DELETE FROM ranking WHERE rank = 1", [])
        .unwrap();
    let e = journal.verify_run(run_id).unwrap_err().to_string();
    assert!(
        e.contains("stored ranking") && e.contains("ranks up to"),
        "{e}"
    );
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF; \
         INSERT INTO ranking (run_id, rank, spec_index, score, fit_score, is_score) \
         VALUES (1, 1, 1, 0.5, 0.5, 0.5)",
    )
    .unwrap();
    let e = journal.verify_run(run_id).unwrap_err().to_string();
    assert!(e.contains("that did not pass"), "{e}");
}

#[test]
fn a_writer_whose_journal_is_deleted_stops_at_the_next_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let space = TestSpace::small();
    let run_id = create(&journal, &space).unwrap();
    let (mut guard, _) = journal.begin_run(run_id).unwrap();
    let session = guard.start_session("serial", "duckdb", 1).unwrap();
    let writer = JournalWriter::spawn(&path, run_id, FlushPolicy::default()).unwrap();
    let records: Vec<OutcomeRecord> = (0..128).map(|i| space.record(i)).collect();
    writer.send(session, 0, block(&records[..64])).unwrap();
    writer.flush().unwrap();
    std::fs::remove_file(&path).unwrap();
    writer.send(session, 0, block(&records[64..])).ok();
    assert!(writer.flush().is_err());
    let e = writer.finish().unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "the journal {} was deleted or replaced during the run",
            path.display()
        )),
        "{e}"
    );
}
