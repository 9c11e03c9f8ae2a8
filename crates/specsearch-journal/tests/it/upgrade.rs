//! Upgrading journals in place: `tests/fixtures/journal-v3.sqlite` (at the workspace's root)
//! was written by specsearch 0.1.0 (schema version 3; the search in
//! `tests/fixtures/journal-v3.toml`: a complete run with passed models, a ranking, composite
//! features and their replays). Opening it with this build must migrate it to the current
//! schema without losing or changing a row, and leave the constraints of migration 4 in force.
//! A read-only open upgrades too (what `status` on an old workspace does), and a journal newer
//! than this build is refused.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use specsearch_journal::{Journal, JournalRw, RunStatus, SCHEMA_VERSION};

use crate::common::assert_sound;

/// `outcomes` with each spec's whole feature list as a JSON array of ids (`[3,17,40]`), in
/// place of the codes after the run's prefix that the table stores since schema version 9.
const OUTCOMES_WITH_FEATURES: &str = "SELECT o.run_id, o.spec_index, o.status, \
    o.failed_test, v.feature_ids, o.r2, o.message, o.session_id, o.worker, o.eval_us \
    FROM outcomes o JOIN outcome_status v ON v.run_id = o.run_id AND v.spec_index = o.spec_index";

const TABLES: [&str; 9] = [
    "runs",
    "run_features",
    "outcomes",
    "passed",
    "sessions",
    "workers",
    "ranking",
    "mutations",
    "replays",
];

fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/journal-v3.sqlite"),
        &path,
    )
    .unwrap();
    (dir, path)
}

/// The columns of `table` as `conn` has them, comma-separated.
fn columns(conn: &Connection, table: &str) -> String {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
        .unwrap();
    let names: Vec<String> = stmt
        .query_map([table], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    names.join(", ")
}

/// Every row of every table, as text, in primary-key order (`outcomes` through `outcomes_sql`),
/// reading the columns `columns_of` names (later migrations add columns: those are not rows
/// lost).
fn dump(conn: &Connection, outcomes_sql: &str, columns_of: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut out = Vec::new();
    for table in TABLES {
        let (select, from) = if table == "outcomes" {
            ("*".to_string(), format!("({outcomes_sql})"))
        } else {
            (columns_of(table), table.to_string())
        };
        let mut stmt = conn
            .prepare(&format!("SELECT {select} FROM {from} ORDER BY 1, 2, 3"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{table}: {}", cells.join(" | ")))
            })
            .unwrap();
        out.extend(rows.map(|r| r.unwrap()));
    }
    out
}

#[test]
fn a_version_3_journal_upgrades_in_place_without_losing_a_row() {
    let (_dir, path) = fixture_copy();
    let (before, version_3_columns) = {
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(version, 3, "the fixture is version 3");
        let version_3_columns: std::collections::HashMap<&str, String> =
            TABLES.iter().map(|&t| (t, columns(&conn, t))).collect();
        (
            dump(&conn, "SELECT * FROM outcomes", &|t| {
                version_3_columns[t].clone()
            }),
            version_3_columns,
        )
    };
    assert!(
        before.iter().filter(|l| l.starts_with("outcomes:")).count() > 1000
            && before.iter().any(|l| l.starts_with("replays:"))
            && before.iter().any(|l| l.starts_with("ranking:")),
        "the fixture lacks the rows this test is about"
    );

    let journal = JournalRw::open(&path).unwrap();
    assert_eq!(journal.schema_version().unwrap(), SCHEMA_VERSION);
    const { assert!(SCHEMA_VERSION >= 4) };
    drop(journal);
    let conn = Connection::open(&path).unwrap();
    assert_eq!(
        dump(&conn, OUTCOMES_WITH_FEATURES, &|t| version_3_columns[t]
            .clone()),
        before,
        "a row changed in the upgrade"
    );
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let dangling: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(dangling, 0);
    // Runs journaled before outcome blocks have no recorded plan: their outcomes stay rows.
    let ranked: i64 = conn
        .query_row(
            "SELECT count(*) FROM run_features WHERE sort_rank IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ranked, 0);
    // Migration 7 filled the counters from the outcomes already there.
    assert_sound(&path);
    let ranges: i64 = conn
        .query_row("SELECT count(*) FROM journaled_ranges", [], |r| r.get(0))
        .unwrap();
    assert!(ranges >= 1, "no journaled ranges after the upgrade");

    // The views read status names from the new lookup table.
    let (passed, filtered): (i64, i64) = conn
        .query_row(
            "SELECT sum(status = 'passed'), sum(status = 'filtered') FROM outcome_status",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let (p0, f0): (i64, i64) = conn
        .query_row(
            "SELECT sum(status = 0), sum(status = 1) FROM outcomes",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((passed, filtered), (p0, f0));
    assert!(passed > 0);

    // Migration 4's constraints: `base` features are accepted, a `memory` transport is not,
    // and a ranking row must rank a passed model.
    conn.execute(
        "INSERT INTO run_features (run_id, feature_id, name, role, base) \
         VALUES (1, 100000, 'Q', 'base', 'Q')",
        [],
    )
    .unwrap();
    let memory = conn.execute(
        "INSERT INTO sessions (run_id, session_id, started_at, executor, transport, workers, \
         status) VALUES (1, 99, 'now', 'serial', 'memory', 1, 'running')",
        [],
    );
    assert!(memory.is_err(), "transport 'memory' is accepted");
    // Migration 10 rewrote the status check in place (no temporary B-tree per insert); it
    // still refuses what it refused.
    let outcomes_sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'outcomes'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        outcomes_sql.contains("CHECK (status = 0 OR status = 1 OR status = 2)"),
        "{outcomes_sql}"
    );
    let bad_status = conn.execute(
        "INSERT INTO outcomes (run_id, spec_index, status, failed_test, feature_codes, r2, \
         message, session_id, worker, eval_us) VALUES (1, 99999999, 3, NULL, '', NULL, NULL, \
         1, 0, 0)",
        [],
    );
    let refused = bad_status.expect_err("status 3 is accepted").to_string();
    assert!(refused.contains("status = 0 OR"), "{refused}");
    let orphan = conn.execute(
        "INSERT INTO ranking (run_id, rank, spec_index, score, fit_score, is_score) \
         VALUES (1, 100000, 123456789, 0, 0, 0)",
        [],
    );
    assert!(
        orphan.is_err(),
        "a ranking row without its passed model is accepted"
    );
}

#[test]
fn a_read_only_open_upgrades_an_old_journal_and_reads_its_runs() {
    let (_dir, path) = fixture_copy();
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.schema_version().unwrap(), SCHEMA_VERSION);
    let runs = journal.runs().unwrap();
    assert!(!runs.is_empty());
    let run = &runs[0];
    assert_eq!(run.status, RunStatus::Complete);
    let counts = journal.counts(run.run_id).unwrap();
    assert_eq!(counts.evaluated, run.spec_count);
    assert!(counts.passed > 0);
    assert_eq!(
        journal.done_ranges(run.run_id).unwrap(),
        vec![(0, run.spec_count)]
    );
    assert!(journal.has_stored_ranking(run.run_id).unwrap());
    // An old run's outcomes hold every feature: no common prefix was recorded.
    assert!(journal.common_prefix(run.run_id).unwrap().is_empty());
    let digest = journal.run_digest(run.run_id, 3).unwrap();
    assert_eq!(digest.top.len(), 3);
    assert!(digest.mutations.recorded > 0);
}

#[test]
fn a_journal_newer_than_this_build_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    drop(JournalRw::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'future', 'x')",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
    let err = JournalRw::open(&path).err().expect("refused").to_string();
    assert!(err.contains("use a newer specsearch"), "{err}");
}

#[test]
fn a_missing_journal_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let err = Journal::open(&dir.path().join("journal.sqlite"))
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("specsearch run"), "{err}");
}
