//! Opening a journal: connection settings (WAL, `synchronous = NORMAL`), numbered migrations
//! from `migrations/` recorded in `schema_migrations`, and the views of `sql/`.
//!
//! Migrations are embedded at build time, so a binary can always upgrade an older journal;
//! a journal newer than the binary is refused rather than misread.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::JournalError;

/// `(version, name, sql)` of every migration, in order. Append only; never edit a shipped one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "journal",
        include_str!("../../migrations/0001_journal.sql"),
    ),
    (
        2,
        "mutations",
        include_str!("../../migrations/0002_mutations.sql"),
    ),
    (
        3,
        "shards",
        include_str!("../../migrations/0003_shards.sql"),
    ),
];

/// Views re-created on every open (they hold no data, so replacing them is always safe).
const VIEWS: &str = include_str!("../../sql/views.sql");
/// Views over mutation records and replays (`mutation_audit`, `mutation_uses`).
const MUTATION_VIEWS: &str = include_str!("../../sql/mutations.sql");

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // The writer commits tens of thousands of rows at a time: a larger page cache and fewer,
    // larger WAL checkpoints keep SQLite off the dispatch loop's critical path.
    conn.pragma_update(None, "cache_size", -65536)?;
    conn.pragma_update(None, "wal_autocheckpoint", 16384)?;
    Ok(())
}

/// Opens (creating if needed) a journal for writing and brings its schema up to date.
pub fn open_rw(path: &Path) -> Result<Connection, JournalError> {
    let e = JournalError::at(path);
    let conn = Connection::open(path).map_err(&e)?;
    configure(&conn).map_err(&e)?;
    migrate(&conn).map_err(&e)?;
    Ok(conn)
}

/// Opens an existing journal read-only (queries, reports; safe while a run writes).
pub fn open_ro(path: &Path) -> Result<Connection, JournalError> {
    if !path.exists() {
        return Err(JournalError::Missing(path.to_path_buf()));
    }
    let e = JournalError::at(path);
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
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL
         );",
    )?;
    let current: i64 = conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    let latest = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    if current > latest {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISUSE),
            Some(format!(
                "the journal has schema version {current}, this specsearch knows up to {latest}; \
                 use a newer specsearch"
            )),
        ));
    }
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![version, name, super::now()],
        )?;
        tx.commit()?;
    }
    conn.execute_batch(VIEWS)?;
    conn.execute_batch(MUTATION_VIEWS)?;
    Ok(())
}
