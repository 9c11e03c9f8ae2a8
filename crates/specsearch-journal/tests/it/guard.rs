//! One run lifecycle: a guard marks its run running, closes what a killed coordinator left
//! open, and whatever way the work ends — said by the work, an early return, a panic — the run
//! is never left `running` without a coordinator.

use specsearch_journal::{Journal, JournalRw, RunStatus, SessionTotals};

use crate::common::{create, raw, TestSpace};

fn session_statuses(path: &std::path::Path) -> Vec<(i64, String, Option<i64>)> {
    raw(path)
        .prepare("SELECT session_id, status, specs_done FROM sessions ORDER BY session_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn work_that_ends_says_how_and_the_session_follows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let run = create(&journal, &TestSpace::small()).unwrap();
    assert_eq!(
        journal.run(run).unwrap().unwrap().status,
        RunStatus::Running
    );

    let (mut guard, stale) = journal.begin_run(run).unwrap();
    assert_eq!(stale, 0);
    guard.start_session("process", "mmap", 2).unwrap();
    guard.record_totals(SessionTotals {
        specs_done: 7,
        wall_seconds: 1.5,
        cpu_seconds: 2.5,
    });
    guard.end(RunStatus::Complete, None).unwrap();
    let row = journal.run(run).unwrap().unwrap();
    assert_eq!(row.status, RunStatus::Complete);
    assert!(row.finished_at.is_some());
    assert_eq!(
        session_statuses(&path),
        vec![(1, "complete".into(), Some(7))]
    );

    let (mut guard, _) = journal.begin_run(run).unwrap();
    guard.start_session("serial", "duckdb", 1).unwrap();
    guard.fail("stopped: the workers did not start").unwrap();
    let row = journal.run(run).unwrap().unwrap();
    assert_eq!(row.status, RunStatus::Interrupted);
    assert_eq!(
        row.status_detail.as_deref(),
        Some("stopped: the workers did not start")
    );
    assert_eq!(session_statuses(&path)[1].1, "failed");
}

#[test]
fn work_dropped_on_an_error_path_leaves_the_run_resumable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let run = create(&journal, &TestSpace::small()).unwrap();
    let attempt = || -> Result<(), String> {
        let (mut guard, _) = journal.begin_run(run).map_err(|e| e.to_string())?;
        guard.start_session("serial", "duckdb", 1).unwrap();
        Err("the disk went away".into())
    };
    assert!(attempt().is_err());
    let row = journal.run(run).unwrap().unwrap();
    assert_eq!(row.status, RunStatus::Interrupted);
    assert!(
        row.status_detail.unwrap().contains("resumes"),
        "the detail says what to do"
    );
    assert_eq!(session_statuses(&path)[0].1, "interrupted");
}

#[test]
fn a_panic_unwinding_through_the_work_leaves_the_run_interrupted_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let run = create(&journal, &TestSpace::small()).unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let (mut guard, _) = journal.begin_run(run).unwrap();
        guard.start_session("serial", "duckdb", 1).unwrap();
        panic!("a bug");
    }));
    assert!(outcome.is_err());
    let row = Journal::open(&path).unwrap().run(run).unwrap().unwrap();
    assert_eq!(row.status, RunStatus::Interrupted);
    assert!(row.status_detail.unwrap().contains("panic"));
    assert_eq!(session_statuses(&path)[0].1, "failed");
}

#[test]
fn sessions_a_killed_coordinator_left_open_are_closed_with_what_they_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let space = TestSpace::small();
    let run = create(&journal, &space).unwrap();
    // A session that wrote outcomes and was never closed (its guard forgotten, as a SIGKILL
    // would leave it).
    let (mut guard, _) = journal.begin_run(run).unwrap();
    let session = guard.start_session("serial", "duckdb", 1).unwrap();
    let writer = specsearch_journal::JournalWriter::spawn(
        &path,
        run,
        specsearch_journal::FlushPolicy::default(),
    )
    .unwrap();
    let records: Vec<_> = (0..100).map(|i| space.record(i)).collect();
    writer
        .send(session, 0, crate::common::block(&records))
        .unwrap();
    writer.finish().unwrap();
    std::mem::forget(guard);
    assert_eq!(session_statuses(&path)[0].1, "running");
    let (guard, stale) = journal.begin_run(run).unwrap();
    assert_eq!(stale, 1);
    assert_eq!(
        session_statuses(&path)[0],
        (1, "interrupted".into(), Some(100))
    );
    guard.end(RunStatus::Interrupted, None).unwrap();
}
