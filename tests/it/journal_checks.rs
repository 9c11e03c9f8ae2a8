//! The journal is checked before it is trusted (issue 31, item 2): a resume runs SQLite's
//! structure check and the run's invariants and refuses a damaged file with nothing appended;
//! the result commands, `forecast` and `validate` refuse a run whose counters or ranking
//! disagree with its outcomes; a journal deleted during a run stops it at the next commit.

use std::path::Path;

use crate::common::{assert_ok, journal_of, small_search, specsearch, text, PausedRun};

fn run_cmd(config: &Path) -> std::process::Command {
    let mut cmd = specsearch();
    cmd.arg("run")
        .arg(config)
        .args(["--workers", "2", "--batch-size", "64"]);
    cmd
}

fn assert_damaged(out: &std::process::Output, journal: &Path) {
    assert!(!out.status.success(), "{}", text(out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("the journal {} is damaged", journal.display()))
            && err.contains("restore it or start a new workspace"),
        "{err}"
    );
}

#[test]
fn a_byte_flipped_journal_is_refused_on_resume_with_nothing_appended() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let journal = journal_of(&config);
    // An interrupted run, resumable.
    let paused = PausedRun::start(run_cmd(&config), 100);
    paused.signal(nix::sys::signal::Signal::SIGINT);
    paused.wait();
    // Every page in the main file, then the root page of outcome_blocks overwritten.
    let (root, page_size): (i64, i64) = {
        let conn = rusqlite::Connection::open(&journal).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let status: String = conn
            .query_row("SELECT status FROM runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(status, "interrupted");
        (
            conn.query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = 'outcome_blocks'",
                [],
                |r| r.get(0),
            )
            .unwrap(),
            conn.query_row("PRAGMA page_size", [], |r| r.get(0))
                .unwrap(),
        )
    };
    let mut bytes = std::fs::read(&journal).unwrap();
    let at = ((root - 1) * page_size) as usize;
    bytes[at..at + 64].fill(0xA5);
    std::fs::write(&journal, &bytes).unwrap();
    let out = run_cmd(&config).output().unwrap();
    assert_damaged(&out, &journal);
    let after = std::fs::read(&journal).unwrap();
    let changed: Vec<usize> = (0..after.len().min(bytes.len()))
        .filter(|&i| after[i] != bytes[i])
        .take(20)
        .collect();
    assert!(
        after == bytes,
        "the journal changed: {} → {} bytes, first differences at {changed:?} (page size \
         {page_size})",
        bytes.len(),
        after.len()
    );
    let wal = journal.with_extension("sqlite-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "something was written to {}",
        wal.display()
    );
}

#[test]
fn a_run_whose_counters_or_ranking_disagree_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let journal = journal_of(&config);
    assert_ok(&run_cmd(&config).output().unwrap());
    assert_ok(&specsearch().arg("top").arg(&config).output().unwrap());
    let conn = rusqlite::Connection::open(&journal).unwrap();
    // A stored ranking with a gap: refused by the result commands and by a resume.
    conn.execute_batch(
        "CREATE TEMP TABLE first AS SELECT * FROM ranking WHERE rank = 1; \
         DELETE FROM ranking WHERE rank = 1;",
    )
    .unwrap();
    for cmd in ["top", "report"] {
        let mut c = specsearch();
        c.arg(cmd).arg(&config);
        if cmd == "report" {
            c.args(["-o", "-"]);
        }
        let out = c.output().unwrap();
        assert_damaged(&out, &journal);
        assert!(text(&out).contains("ranking"), "{}", text(&out));
    }
    assert_damaged(&run_cmd(&config).output().unwrap(), &journal);
    // Counters that differ from the outcomes (the ranking restored).
    conn.execute_batch(
        "INSERT INTO ranking SELECT * FROM temp.first; \
         UPDATE outcome_counts SET specs = specs + 1 \
         WHERE (run_id, session_id, status, failed_test) = \
               (SELECT run_id, session_id, status, failed_test FROM outcome_counts \
                WHERE status = 1 LIMIT 1);",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = specsearch()
        .arg("export")
        .arg(&config)
        .args(["-o", "-"])
        .output()
        .unwrap();
    assert_damaged(&out, &journal);
    assert!(text(&out).contains("outcomes"), "{}", text(&out));
}

#[test]
fn a_journal_deleted_during_a_run_stops_it_at_the_next_commit() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_search(dir.path());
    let journal = journal_of(&config);
    let paused = PausedRun::start(run_cmd(&config), 64);
    std::fs::remove_file(&journal).unwrap();
    paused.resume();
    let out = paused.wait();
    assert!(!out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "the journal {} was deleted or replaced during the run",
            journal.display()
        )),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
