//! One vocabulary for every stored code: each typed value round-trips through SQLite, and the
//! values the types know are exactly the ones the schema's lookup tables and CHECK
//! constraints accept — so no code outside the crate spells a status, and no journal holds a
//! code the program cannot read.

use rusqlite::types::{FromSql, ToSql};
use specsearch_journal::{
    EventKind, FeatureRole, FilterTest, JournalRw, OutcomeStatus, ReplayAction, RunId, RunStatus,
};

use crate::common::{create, raw, TestSpace};

fn round_trip<T: ToSql + FromSql + PartialEq + std::fmt::Debug>(value: T) {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let back: T = conn.query_row("SELECT ?1", [&value], |r| r.get(0)).unwrap();
    assert_eq!(back, value);
}

fn refused<T: FromSql + std::fmt::Debug>(sql: &str) {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let got: rusqlite::Result<T> = conn.query_row(sql, [], |r| r.get(0));
    assert!(got.is_err(), "{sql} read as {got:?}");
}

#[test]
fn every_stored_code_round_trips_and_unknown_ones_are_refused() {
    for &s in RunStatus::ALL {
        round_trip(s);
        assert_eq!(RunStatus::parse(s.as_str()), Some(s));
    }
    for &k in EventKind::ALL {
        round_trip(k);
    }
    for &a in ReplayAction::ALL {
        round_trip(a);
    }
    for s in OutcomeStatus::ALL {
        round_trip(s);
        assert_eq!(OutcomeStatus::from_code(i64::from(s.code())), Some(s));
    }
    round_trip(RunId(42));
    refused::<RunStatus>("SELECT 'done'");
    refused::<EventKind>("SELECT 'worker_happy'");
    refused::<ReplayAction>("SELECT 'replaced'");
    refused::<OutcomeStatus>("SELECT 7");
}

#[test]
fn filter_codes_and_outcome_codes_are_the_lookup_tables_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    drop(JournalRw::open(&path).unwrap());
    let conn = raw(&path);
    let tests: Vec<(u8, String)> = conn
        .prepare("SELECT code, name FROM filter_tests ORDER BY code")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let ours: Vec<(u8, String)> = FilterTest::ALL
        .iter()
        .map(|t| (t.code(), t.name().to_string()))
        .collect();
    assert_eq!(tests, ours);
    let statuses: Vec<(i64, String)> = conn
        .prepare("SELECT code, name FROM outcome_statuses ORDER BY code")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let ours: Vec<(i64, String)> = OutcomeStatus::ALL
        .iter()
        .map(|s| (i64::from(s.code()), s.as_str().to_string()))
        .collect();
    assert_eq!(statuses, ours);
}

/// Whether the schema accepts `value` in `sql` (an UPDATE or INSERT with one parameter).
fn accepts(conn: &rusqlite::Connection, sql: &str, value: &str) -> bool {
    conn.execute(sql, [value]).is_ok()
}

#[test]
fn the_schema_accepts_exactly_the_words_the_types_know() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = JournalRw::open(&path).unwrap();
    let run = create(&journal, &TestSpace::small()).unwrap();
    let (mut guard, _) = journal.begin_run(run).unwrap();
    guard.start_session("serial", "duckdb", 1).unwrap();
    guard.end(RunStatus::Interrupted, None).unwrap();
    drop(journal);
    let conn = raw(&path);
    // One mutation per replay row (a mutation is replayed successfully once).
    for m in 0..4 {
        conn.execute(
            "INSERT INTO mutations (run_id, name, definition, sha256, first_spec_index, \
             session_id, worker, recorded_at) \
             VALUES (1, 'm' || ?1, 'interaction(a, b)', printf('%064d', 0), 0, 1, 0, 'now')",
            [m],
        )
        .unwrap();
    }
    let cases: [(&str, Vec<&str>); 5] = [
        (
            "UPDATE runs SET status = ?1",
            RunStatus::ALL.iter().map(|s| s.as_str()).collect(),
        ),
        (
            "UPDATE sessions SET status = ?1",
            RunStatus::ALL.iter().map(|s| s.as_str()).collect(),
        ),
        (
            "UPDATE run_features SET role = ?1 WHERE feature_id = 1",
            FeatureRole::ALL.iter().map(|r| r.as_str()).collect(),
        ),
        (
            "INSERT INTO events (run_id, session_id, at, kind, detail) VALUES (1, 1, 'now', ?1, '')",
            EventKind::ALL.iter().map(|k| k.as_str()).collect(),
        ),
        (
            "INSERT INTO replays (run_id, name, sha256, action, detail, replayed_at) \
             VALUES (1, 'm' || (SELECT count(*) FROM replays), printf('%064d', 0), ?1, 'why', \
             'now')",
            ReplayAction::ALL.iter().map(|a| a.as_str()).collect(),
        ),
    ];
    for (sql, words) in cases {
        for w in words {
            assert!(accepts(&conn, sql, w), "{sql} refused {w:?}");
        }
        assert!(
            !accepts(&conn, sql, "unheard_of"),
            "{sql} accepted an unknown word"
        );
    }
}
