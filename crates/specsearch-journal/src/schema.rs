//! Opening a journal: connection settings (WAL, `synchronous = NORMAL`), numbered migrations
//! from `migrations/` recorded in `schema_migrations`, and the views of `sql/`.
//!
//! Migrations are embedded at build time, so a binary can always upgrade an older journal;
//! a journal newer than the binary is refused rather than misread.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::{JournalError, Result};

/// `(version, name, sql)` of every migration, in order. Append only; never edit a shipped one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "journal",
        include_str!("../../../migrations/0001_journal.sql"),
    ),
    (
        2,
        "mutations",
        include_str!("../../../migrations/0002_mutations.sql"),
    ),
    (
        3,
        "shards",
        include_str!("../../../migrations/0003_shards.sql"),
    ),
    (
        4,
        "schema_fixes",
        include_str!("../../../migrations/0004_schema_fixes.sql"),
    ),
    (
        5,
        "scenarios",
        include_str!("../../../migrations/0005_scenarios.sql"),
    ),
    (
        6,
        "events",
        include_str!("../../../migrations/0006_events.sql"),
    ),
    (
        7,
        "counters",
        include_str!("../../../migrations/0007_counters.sql"),
    ),
    (
        8,
        "segments",
        include_str!("../../../migrations/0008_segments.sql"),
    ),
    (
        9,
        "compact_outcomes",
        include_str!("../../../migrations/0009_compact_outcomes.sql"),
    ),
    (
        10,
        "outcome_blocks",
        include_str!("../../../migrations/0010_outcome_blocks.sql"),
    ),
    (
        11,
        "sensitivity",
        include_str!("../../../migrations/0011_sensitivity.sql"),
    ),
    (
        12,
        "stability",
        include_str!("../../../migrations/0012_stability.sql"),
    ),
    (
        13,
        "benchmarks",
        include_str!("../../../migrations/0013_benchmarks.sql"),
    ),
    (
        14,
        "benchmark_backtests",
        include_str!("../../../migrations/0014_benchmark_backtests.sql"),
    ),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Views re-created on every open (they hold no data, so replacing them is always safe).
const VIEWS: &str = include_str!("../../../sql/views.sql");
/// Views over mutation records and replays (`mutation_audit`, `mutation_uses`).
const MUTATION_VIEWS: &str = include_str!("../../../sql/mutations.sql");
/// Views over scenario forecasts (`scenario_summary`); after `VIEWS`, which they read.
const SCENARIO_VIEWS: &str = include_str!("../../../sql/scenarios.sql");
/// Views over segments (`segment_telemetry`).
const SEGMENT_VIEWS: &str = include_str!("../../../sql/segments.sql");
/// Views over the sensitivity, attribution and bands of validated models; after
/// `SCENARIO_VIEWS` (they read `scenario_dates`).
const SENSITIVITY_VIEWS: &str = include_str!("../../../sql/sensitivity.sql");
/// Views over stability and backtests (`recursive_coefficients`, `break_tests`,
/// `backtest_paths`, `backtest_summary`).
const STABILITY_VIEWS: &str = include_str!("../../../sql/stability.sql");
/// Views over benchmarks (`benchmark_forecasts`, `forecasts`, `benchmark_fits`); after
/// `SCENARIO_VIEWS`, which they read.
const BENCHMARK_VIEWS: &str = include_str!("../../../sql/benchmarks.sql");

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // New journals only (an existing file keeps its page size): 16 KiB pages hold ~450
    // compact outcomes each, so fewer B-tree splits and less per-page space (journal bench:
    // 41.6 → 36.7 bytes per outcome without passed detail, 2.4% fewer instructions).
    conn.pragma_update(None, "page_size", 16384)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // The writer commits tens of thousands of rows at a time: a larger page cache keeps SQLite
    // off the dispatch loop's critical path. Checkpoints every 4096 pages (16 MiB) keep most of
    // the journal in the main file (a copy of journal.sqlite alone is nearly current; peak disk
    // use stays near the journal's size) and the WAL file is truncated back to 32 MiB after one.
    conn.pragma_update(None, "cache_size", -65536)?;
    conn.pragma_update(None, "wal_autocheckpoint", 4096)?;
    conn.pragma_update(None, "journal_size_limit", 32 << 20)?;
    Ok(())
}

/// Opens (creating if needed) a journal for writing and brings its schema up to date.
pub(crate) fn open_rw(path: &Path) -> Result<Connection> {
    let e = JournalError::naming::<rusqlite::Error>(path);
    let conn = Connection::open(path).map_err(&e)?;
    configure(&conn).map_err(&e)?;
    migrate(&conn).map_err(&e)?;
    // The schema (and whatever an earlier session left in the WAL) into the main file, so the
    // file alone is a journal from the first moment.
    checkpoint(&conn).map_err(&e)?;
    Ok(conn)
}

/// Opens an existing journal read-only (queries, reports; safe while a run writes). A journal
/// written by an older specsearch is first upgraded in place (one transaction per migration;
/// the upgrade is what any `run` would do on it).
pub(crate) fn open_ro(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(JournalError::Missing(path.to_path_buf()));
    }
    let e = JournalError::naming::<rusqlite::Error>(path);
    let open = || -> Result<Connection> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(&e)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(&e)?;
        Ok(conn)
    };
    let conn = open()?;
    let found = version(&conn).map_err(&e)?;
    if found == 0 || found > SCHEMA_VERSION || pending_migrations(&conn).map_err(&e)? == 0 {
        // Not a journal at all, current, or newer (refused by the writer's check).
        return Ok(conn);
    }
    drop(conn);
    match open_rw(path) {
        Ok(rw) => {
            drop(rw);
            tracing::info!(
                "upgraded {} from schema version {found} to {SCHEMA_VERSION}",
                path.display()
            );
            open()
        }
        Err(err) => Err(JournalError::Invalid(format!(
            "{} has schema version {found}, older than this specsearch's {SCHEMA_VERSION}, and \
             cannot be upgraded in place ({err}); copy it to a writable directory and read the \
             copy",
            path.display()
        ))),
    }
}

/// Installs this binary's views (`sql/views.sql`, `sql/mutations.sql`, `sql/scenarios.sql`,
/// `sql/segments.sql`, `sql/sensitivity.sql`, `sql/stability.sql`) as TEMP views on a read-only connection (they shadow the journal's own
/// copies), so a journal written by another build of specsearch reads exactly like a fresh one;
/// the file is not touched.
pub(crate) fn install_temp_views(conn: &Connection) -> rusqlite::Result<()> {
    for views in [
        VIEWS,
        MUTATION_VIEWS,
        SCENARIO_VIEWS,
        SEGMENT_VIEWS,
        SENSITIVITY_VIEWS,
        STABILITY_VIEWS,
        BENCHMARK_VIEWS,
    ] {
        let sql = views
            .replace("DROP VIEW IF EXISTS ", "DROP VIEW IF EXISTS temp.")
            .replace("CREATE VIEW ", "CREATE TEMP VIEW ");
        conn.execute_batch(&sql)?;
    }
    Ok(())
}

/// Copies the WAL into the main file and truncates it (waits for readers briefly; a reader
/// that holds an old snapshot just leaves part of the WAL for the next checkpoint).
pub(crate) fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
}

/// How many of this binary's migrations the journal has not had.
pub(crate) fn pending_migrations(conn: &Connection) -> rusqlite::Result<usize> {
    if version(conn)? == 0 {
        return Ok(MIGRATIONS.len());
    }
    let applied: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(MIGRATIONS
        .iter()
        .filter(|m| !applied.contains(&m.0))
        .count())
}

/// The journal's schema version (0 for a file without the migrations table).
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<i64> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' \
         AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(0);
    }
    conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )
}

/// Migrations that read or rewrite every outcome, with what that cost here per million
/// outcomes (7 backfills the counters, 9 converts feature lists): they say so first on a large
/// journal, so an upgrade is not taken for a hang.
const OUTCOME_PASSES: &[(i64, &str)] = &[
    (
        7,
        "counting every outcome's features (about 25 s per million)",
    ),
    (
        9,
        "rewriting every outcome in a compact form (about 5 s per million)",
    ),
];

fn announce_outcome_pass(conn: &Connection, version: i64) -> rusqlite::Result<()> {
    let Some(&(_, what)) = OUTCOME_PASSES.iter().find(|(v, _)| *v == version) else {
        return Ok(());
    };
    // `outcome_counts` exists from version 7 on; before it, one count of the table.
    let counted: Option<i64> = conn
        .query_row("SELECT sum(specs) FROM outcome_counts", [], |r| r.get(0))
        .ok()
        .flatten();
    let outcomes = match counted {
        Some(n) => n,
        None => conn.query_row("SELECT count(*) FROM outcomes", [], |r| r.get(0))?,
    };
    if outcomes >= 1_000_000 {
        tracing::info!(
            "upgrading the journal to schema version {version}: {what}, {outcomes} outcomes, \
             once"
        );
    }
    Ok(())
}

/// Migration 10, the step plain SQL cannot take: `outcomes.status`'s `CHECK (status IN (0, 1,
/// 2))` becomes `CHECK (status = 0 OR status = 1 OR status = 2)`. The same rows pass both, but
/// SQLite evaluates an IN list of three constants by building a temporary B-tree on every
/// insert, a sixth of the journal writer's time. Rebuilding `outcomes` (billions of rows) for
/// that is out of the question; SQLite documents editing `sqlite_schema` under
/// `writable_schema` for constraint changes that leave the stored content valid ("Making
/// Other Kinds Of Table Schema Changes" in its ALTER TABLE page), bumping `schema_version` so
/// other connections reload the schema. A table whose text differs (hand-made) is left alone.
fn cheaper_outcome_status_check(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    const OLD: &str = "CHECK (status IN (0, 1, 2))";
    const NEW: &str = "CHECK (status = 0 OR status = 1 OR status = 2)";
    let sql: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'outcomes'",
        [],
        |r| r.get(0),
    )?;
    if sql.matches(OLD).count() != 1 {
        return Ok(());
    }
    let schema_version: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.pragma_update(None, "writable_schema", true)?;
    tx.execute(
        "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = 'outcomes'",
        [sql.replace(OLD, NEW)],
    )?;
    tx.pragma_update(None, "schema_version", schema_version + 1)?;
    tx.pragma_update(None, "writable_schema", false)?;
    Ok(())
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL
         );",
    )?;
    let current = version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISUSE),
            Some(format!(
                "the journal has schema version {current}, this specsearch knows up to \
                 {SCHEMA_VERSION}; use a newer specsearch"
            )),
        ));
    }
    // Every migration not recorded yet, in order (by set, not by the highest version: a
    // migration numbered below one already applied is still applied).
    let applied: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let pending: Vec<&(i64, &str, &str)> = MIGRATIONS
        .iter()
        .filter(|m| !applied.contains(&m.0))
        .collect();
    if !pending.is_empty() {
        // Tables are rebuilt to change their constraints (SQLite's documented procedure):
        // foreign keys off while they are, checked before each commit; the views, which refer
        // to them, are dropped first and re-created below.
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        let views: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'view'")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for view in views {
            conn.execute_batch(&format!("DROP VIEW IF EXISTS \"{view}\""))?;
        }
        for &&(version, name, sql) in &pending {
            announce_outcome_pass(conn, version)?;
            let started = std::time::Instant::now();
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            if version == 10 {
                cheaper_outcome_status_check(&tx)?;
            }
            let violations: i64 =
                tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if violations > 0 {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
                    Some(format!(
                        "upgrading the journal to schema version {version} ({name}) would leave \
                         {violations} row(s) referring to rows that do not exist; the journal \
                         is unchanged"
                    )),
                ));
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![version, name, crate::now()],
            )?;
            tx.commit()?;
            tracing::debug!(
                "journal migration {version} ({name}) applied in {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
    }
    conn.execute_batch(VIEWS)?;
    conn.execute_batch(MUTATION_VIEWS)?;
    conn.execute_batch(SCENARIO_VIEWS)?;
    conn.execute_batch(SEGMENT_VIEWS)?;
    conn.execute_batch(SENSITIVITY_VIEWS)?;
    conn.execute_batch(STABILITY_VIEWS)?;
    conn.execute_batch(BENCHMARK_VIEWS)?;
    Ok(())
}
