//! Segments in the journal (migration 8): the segment of each run, and what setting each
//! worker up for a segment cost.

use rusqlite::{params, Connection, OptionalExtension};

use crate::runs::RunId;

/// Records that `run_id` is the run of segment `segment`.
pub(crate) fn set_segment(conn: &Connection, run_id: RunId, segment: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO run_segments (run_id, segment) VALUES (?1, ?2)",
        params![run_id, segment],
    )?;
    Ok(())
}

/// The segment of a run (`None` for a run of a config without segments).
pub(crate) fn segment_of(conn: &Connection, run_id: RunId) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT segment FROM run_segments WHERE run_id = ?1",
        [run_id],
        |r| r.get(0),
    )
    .optional()
}

/// The id of the latest run of segment `segment` whose search hash is one of `search_hashes`
/// (any search when empty).
pub(crate) fn latest_run_of(
    conn: &Connection,
    segment: &str,
    search_hashes: &[String],
) -> rusqlite::Result<Option<RunId>> {
    let mut stmt = conn.prepare(
        "SELECT s.run_id, r.search_hash FROM run_segments s JOIN runs r USING (run_id) \
         WHERE s.segment = ?1 ORDER BY s.run_id DESC",
    )?;
    let rows = stmt.query_map([segment], |r| {
        Ok((r.get::<_, RunId>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (run_id, hash) = row?;
        if search_hashes.is_empty() || search_hashes.contains(&hash) {
            return Ok(Some(run_id));
        }
    }
    Ok(None)
}

/// What a worker's setup for a session cost: `warm` is false for the setup that started the
/// process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkerSetup {
    pub worker: u32,
    pub pid: Option<u32>,
    pub setup_seconds: f64,
    pub warm: bool,
}

pub(crate) fn record_setup(
    conn: &Connection,
    run_id: RunId,
    session_id: i64,
    s: &WorkerSetup,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO worker_setups (run_id, session_id, worker, pid, setup_seconds, \
         warm) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            run_id,
            session_id,
            s.worker,
            s.pid,
            s.setup_seconds.max(0.0),
            s.warm
        ],
    )?;
    Ok(())
}
