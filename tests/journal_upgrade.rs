//! Upgrading journals in place: `tests/fixtures/journal-v3.sqlite` was written by specsearch
//! 0.1.0 (schema version 3; the search in `tests/fixtures/journal-v3.toml`: a complete run with
//! passed models, a ranking, composite features and their replays). Opening it with this
//! build must migrate it to the current schema without losing or changing a row, and leave the
//! constraints of migration 4 in force.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_ok, specsearch};
use rusqlite::Connection;
use specsearch::journal::schema;

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
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal-v3.sqlite"),
        &path,
    )
    .unwrap();
    (dir, path)
}

/// Every row of every table, as text, in primary-key order (`outcomes` through `outcomes_sql`).
fn dump(conn: &Connection, outcomes_sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    for table in TABLES {
        let from = if table == "outcomes" {
            format!("({outcomes_sql})")
        } else {
            table.to_string()
        };
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {from} ORDER BY 1, 2, 3"))
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
    let before = {
        let conn = Connection::open(&path).unwrap();
        assert_eq!(
            schema::version(&conn).unwrap(),
            3,
            "the fixture is version 3"
        );
        dump(&conn, "SELECT * FROM outcomes")
    };
    assert!(
        before.iter().filter(|l| l.starts_with("outcomes:")).count() > 1000
            && before.iter().any(|l| l.starts_with("replays:"))
            && before.iter().any(|l| l.starts_with("ranking:")),
        "the fixture lacks the rows this test is about"
    );

    let conn = schema::open_rw(&path).unwrap();
    assert_eq!(schema::version(&conn).unwrap(), schema::SCHEMA_VERSION);
    const { assert!(schema::SCHEMA_VERSION >= 4) };
    assert_eq!(
        dump(&conn, common::OUTCOMES_WITH_FEATURES),
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
    // Migration 7 filled the counters from the outcomes already there.
    common::assert_counters_match(&conn);
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
fn result_commands_read_an_old_journal_after_upgrading_it() {
    let (dir, _path) = fixture_copy();
    let ws = dir.path().to_str().unwrap();
    let status = assert_ok(
        &specsearch()
            .args(["status", "--workspace", ws, "--json"])
            .output()
            .unwrap(),
    );
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(v[0]["status"], "complete");
    assert_eq!(v[0]["evaluated"], v[0]["spec_count"]);
    let top = assert_ok(
        &specsearch()
            .args(["top", "--workspace", ws, "--json", "-n", "3"])
            .output()
            .unwrap(),
    );
    let v: serde_json::Value = serde_json::from_str(&top).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["rank"], 1);
    let conn = Connection::open(dir.path().join("journal.sqlite")).unwrap();
    assert_eq!(schema::version(&conn).unwrap(), schema::SCHEMA_VERSION);
}
