//! A person's SQL: one read-only statement, `:run` bound, anything that could write refused
//! before it runs, and a statement that can be interrupted.

use specsearch_journal::{Journal, JournalRw, TableSink};

use crate::common::{create, TestSpace};

fn journal() -> (tempfile::TempDir, Journal) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let rw = JournalRw::open(&path).unwrap();
    create(&rw, &TestSpace::small()).unwrap();
    // Two variables of three and two variants, up to both: 3 + 2 + 3 × 2 = 11 specs.
    create(
        &rw,
        &TestSpace::new(5, &[vec![1, 2, 3], vec![4, 5]], &[], 2),
    )
    .unwrap();
    drop(rw);
    (dir, Journal::open(&path).unwrap())
}

#[test]
fn a_statement_reads_with_run_bound_and_without() {
    let (_dir, j) = journal();
    let mut q = j
        .user_query("SELECT spec_count FROM runs WHERE run_id = :run")
        .unwrap();
    assert!(q.binds_run());
    let mut sink = TableSink::default();
    q.stream(Some(specsearch_journal::RunId(2)), &mut sink)
        .unwrap();
    assert_eq!(sink.0.rows[0][0].as_i64(), Some(11));
    let err = q.stream(None, &mut TableSink::default()).unwrap_err();
    assert!(err.to_string().contains(":run"), "{err}");
    let mut q = j
        .user_query("-- the views\nSELECT count(*) FROM run_progress")
        .unwrap();
    assert!(!q.binds_run());
    let mut sink = TableSink::default();
    assert_eq!(q.stream(None, &mut sink).unwrap(), 1);
    assert_eq!(sink.0.rows[0][0].as_i64(), Some(2));
    // Inspection pragmas read.
    j.user_query("PRAGMA table_info(outcomes)").unwrap();
}

#[test]
fn anything_that_could_write_or_is_not_one_statement_is_refused_with_a_reason() {
    let (_dir, j) = journal();
    let refusal = |sql: &str| j.user_query(sql).err().expect(sql).to_string();
    let e = refusal("DELETE FROM runs");
    assert!(e.contains("refused") && e.contains("DELETE"), "{e}");
    let e = refusal("/* sneaky */ UPDATE runs SET name = 'x'");
    assert!(e.contains("UPDATE"), "{e}");
    let e = refusal("PRAGMA journal_mode = DELETE");
    assert!(e.contains("refused"), "{e}");
    let e = refusal("SELECT 1; SELECT 2");
    assert!(e.contains("one SQL statement"), "{e}");
    let e = refusal("SELECT ?1");
    assert!(e.contains("parameters other than :run"), "{e}");
    let e = refusal("  -- nothing\n ");
    assert!(e.contains("empty"), "{e}");
    let e = refusal("SELECT * FROM no_such_table");
    assert!(e.contains("no_such_table"), "{e}");
}

#[test]
fn a_pragma_with_a_value_and_empty_sql_get_clear_messages() {
    let (_dir, j) = journal();
    let refusal = |sql: &str| j.user_query(sql).err().expect(sql).to_string();
    for sql in [
        "PRAGMA journal_mode(DELETE)",
        "pragma main.journal_mode ( off )",
        "PRAGMA user_version(7)",
        "PRAGMA foreign_keys(1)",
    ] {
        let e = refusal(sql);
        assert!(
            e.contains("refused: PRAGMA") && e.contains("alone reports"),
            "{sql}: {e}"
        );
    }
    // Reading the value is still an inspection.
    let mut sink = TableSink::default();
    j.user_query("PRAGMA journal_mode")
        .unwrap()
        .stream(None, &mut sink)
        .unwrap();
    assert_eq!(sink.0.rows[0][0].as_str(), Some("wal"));
    j.user_query("PRAGMA integrity_check(1)").unwrap();
    for sql in ["", ";", "  ;\n ", "/* nothing */ ;", "\r\n"] {
        let e = refusal(sql);
        assert!(e.contains("the SQL is empty"), "{sql:?}: {e}");
    }
}

#[test]
fn an_interrupted_statement_says_so_and_the_journal_stays_readable() {
    let (_dir, j) = journal();
    // A statement that would run for minutes, stopped from another thread once it runs.
    let mut q = j
        .user_query(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
             SELECT sum(x) FROM c",
        )
        .unwrap();
    let stop = j.interrupter();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let returned = done.clone();
    let t = std::thread::spawn(move || {
        // Interrupting before the statement starts is a no-op in SQLite: keep asking until the
        // main thread's statement has returned.
        while !returned.load(std::sync::atomic::Ordering::SeqCst) {
            stop.interrupt();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    });
    let err = q.stream(None, &mut TableSink::default()).unwrap_err();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    t.join().unwrap();
    assert!(err.is_interrupted(), "{err}");
    drop(q);
    assert_eq!(j.runs().unwrap().len(), 2);
}
