//! Runs and sessions: creating a run, finding the one to resume, recording sessions and worker
//! telemetry, and listing which spec indices already have an outcome.

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OptionalExtension};
use specsearch_core::spec::{FeatureRole, SpecSpace};

use crate::error::{JournalError, Result};
use crate::{now, RunStatus, SessionStatus};

/// A run's id in its journal (`runs.run_id`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ToSql for RunId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0))
    }
}

impl FromSql for RunId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_i64().map(RunId)
    }
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub run_id: RunId,
    pub name: String,
    pub config_path: String,
    pub search_hash: String,
    pub bundle_hash: String,
    pub target: String,
    pub spec_count: u64,
    pub target_stationary: bool,
    pub has_out_of_sample: bool,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub status: RunStatus,
    /// Why the run stopped or failed (NULL while running or once complete).
    pub status_detail: Option<String>,
    /// `Some((index, count))` for a shard's run (`run --shard`).
    pub shard: Option<(u32, u32)>,
}

const RUN_COLUMNS: &str = "run_id, name, config_path, search_hash, bundle_hash, target, \
    spec_count, target_stationary, has_out_of_sample, created_at, finished_at, status, \
    status_detail, shard_index, shard_count";

fn run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        run_id: r.get(0)?,
        name: r.get(1)?,
        config_path: r.get(2)?,
        search_hash: r.get(3)?,
        bundle_hash: r.get(4)?,
        target: r.get(5)?,
        spec_count: r.get::<_, i64>(6)? as u64,
        target_stationary: r.get(7)?,
        has_out_of_sample: r.get(8)?,
        created_at: r.get(9)?,
        finished_at: r.get(10)?,
        status: r.get(11)?,
        status_detail: r.get(12)?,
        shard: match (r.get::<_, Option<u32>>(13)?, r.get::<_, Option<u32>>(14)?) {
            (Some(i), Some(n)) => Some((i, n)),
            _ => None,
        },
    })
}

/// A feature as the run records it.
#[derive(Debug, Clone)]
pub struct RunFeature {
    pub id: u32,
    pub name: String,
    pub role: FeatureRole,
    pub base: String,
    pub category: Option<String>,
}

/// What a new run records.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub name_stem: &'a str,
    pub config_path: &'a str,
    pub config_text: &'a str,
    pub search_hash: &'a str,
    pub bundle_hash: &'a str,
    pub target: &'a str,
    pub frequency: &'a str,
    pub target_stationary: bool,
    pub has_out_of_sample: bool,
    pub features: &'a [RunFeature],
    /// The spec space: its size, the columns every spec begins with (stored once in
    /// `run_spec_prefixes`) and the plan every spec's columns follow from (`plan_*`).
    pub space: &'a SpecSpace,
    /// Record the plan (every run does; a scratch run that only measures the writer, whose
    /// views are never read, may skip its cost).
    pub record_plan: bool,
}

/// Creates a run named `<stem>#<n>` and records its features; returns the run id.
pub(crate) fn create_run(conn: &Connection, run: &NewRun<'_>) -> Result<RunId> {
    // Before anything is written: every id must have a code (codes.rs).
    let common_prefix = run.space.common_prefix();
    crate::codes::check_ids(
        run.features
            .iter()
            .map(|f| f.id)
            .chain(common_prefix.iter().copied()),
    )
    .map_err(|msg| JournalError::Invalid(format!("cannot journal run {}: {msg}", run.name_stem)))?;
    let tx = conn.unchecked_transaction()?;
    let n: i64 = tx.query_row(
        "SELECT count(*) + 1 FROM runs WHERE name LIKE ?1 || '#%'",
        [run.name_stem],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO runs (name, config_path, config_text, search_hash, bundle_hash, target, \
         frequency, spec_count, target_stationary, has_out_of_sample, created_at, status) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            format!("{}#{n}", run.name_stem),
            run.config_path,
            run.config_text,
            run.search_hash,
            run.bundle_hash,
            run.target,
            run.frequency,
            run.space.count() as i64,
            run.target_stationary,
            run.has_out_of_sample,
            now(),
            RunStatus::Running
        ],
    )?;
    let run_id = RunId(tx.last_insert_rowid());
    {
        let mut stmt = tx.prepare(
            "INSERT INTO run_features (run_id, feature_id, name, role, base, category) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for f in run.features {
            stmt.execute(params![
                run_id,
                f.id,
                f.name,
                f.role.as_str(),
                f.base,
                f.category
            ])?;
        }
    }
    let mut prefix = String::new();
    crate::codes::encode(&common_prefix, &mut prefix);
    tx.execute(
        "INSERT INTO run_spec_prefixes (run_id, feature_codes) VALUES (?1, ?2)",
        params![run_id, prefix],
    )?;
    ensure_slots(&tx, run.features.len())?;
    if run.record_plan {
        crate::plan::record(&tx, run_id, run.space)?;
    }
    tx.commit()?;
    Ok(run_id)
}

/// Records the plan of a run journaled before version 10 (resumed now), checked against the
/// run's spec count; nothing when it has one.
pub(crate) fn ensure_plan(conn: &Connection, run: &RunRow, space: &SpecSpace) -> Result<bool> {
    if crate::plan::has_plan(conn, run.run_id)? {
        return Ok(false);
    }
    if space.count() != run.spec_count {
        return Err(JournalError::Invalid(format!(
            "run {} has {} specs but the plan now has {}; start over with --fresh",
            run.name,
            run.spec_count,
            space.count()
        )));
    }
    let tx = conn.unchecked_transaction()?;
    crate::plan::record(&tx, run.run_id, space)?;
    tx.commit()?;
    Ok(true)
}

/// Makes `feature_slots` number at least `n` positions (a spec holds at most every feature of
/// its run once, so a run of `n` features needs `n`).
pub(crate) fn ensure_slots(conn: &Connection, n: usize) -> rusqlite::Result<()> {
    conn.execute(
        "WITH RECURSIVE k (slot) AS (SELECT coalesce(max(slot), 0) + 1 FROM feature_slots \
         UNION ALL SELECT slot + 1 FROM k WHERE slot < ?1) \
         INSERT OR IGNORE INTO feature_slots (slot) SELECT slot FROM k WHERE slot <= ?1",
        [n as i64],
    )?;
    Ok(())
}

/// The feature ids every spec of a run begins with (empty for runs journaled before schema
/// version 9, whose outcomes hold every feature).
pub(crate) fn common_prefix(conn: &Connection, run_id: RunId) -> rusqlite::Result<Vec<u32>> {
    let codes: Option<String> = conn
        .query_row(
            "SELECT feature_codes FROM run_spec_prefixes WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )
        .optional()?;
    let mut ids = Vec::new();
    crate::codes::decode(codes.as_deref().unwrap_or(""), &mut ids);
    Ok(ids)
}

fn one_run(conn: &Connection, filter: &str, p: impl rusqlite::Params) -> Result<Option<RunRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {RUN_COLUMNS} FROM runs {filter} ORDER BY run_id DESC LIMIT 1"),
            p,
            run_from_row,
        )
        .optional()?)
}

/// The most recent run of this search over this bundle, if any.
pub(crate) fn latest_for(
    conn: &Connection,
    search_hash: &str,
    bundle_hash: &str,
) -> Result<Option<RunRow>> {
    one_run(
        conn,
        "WHERE search_hash = ?1 AND bundle_hash = ?2",
        params![search_hash, bundle_hash],
    )
}

/// The most recent run of any search in the journal.
pub(crate) fn latest(conn: &Connection) -> Result<Option<RunRow>> {
    one_run(conn, "", [])
}

/// The most recent run of this search (any bundle), if any.
pub(crate) fn latest_of_search(conn: &Connection, search_hash: &str) -> Result<Option<RunRow>> {
    one_run(conn, "WHERE search_hash = ?1", [search_hash])
}

/// Run `run_id`.
pub(crate) fn get(conn: &Connection, run_id: RunId) -> Result<Option<RunRow>> {
    one_run(conn, "WHERE run_id = ?1", [run_id])
}

/// A run by what a person typed: its id (`3`) or its name (`demo#2`). A name that looks like
/// a number is still found by name when no run has that id.
pub(crate) fn find(conn: &Connection, id_or_name: &str) -> Result<Option<RunRow>> {
    if let Ok(id) = id_or_name.trim().parse::<i64>() {
        if let Some(run) = get(conn, RunId(id))? {
            return Ok(Some(run));
        }
    }
    one_run(conn, "WHERE name = ?1", [id_or_name])
}

/// Records that a run is shard `index` of `count`.
pub(crate) fn set_shard(conn: &Connection, run_id: RunId, index: u32, count: u32) -> Result<()> {
    conn.execute(
        "UPDATE runs SET shard_index = ?2, shard_count = ?3 WHERE run_id = ?1",
        params![run_id, index, count],
    )?;
    Ok(())
}

/// The config text a run recorded when it was created.
pub(crate) fn config_text(conn: &Connection, run_id: RunId) -> Result<String> {
    Ok(conn.query_row(
        "SELECT config_text FROM runs WHERE run_id = ?1",
        [run_id],
        |r| r.get(0),
    )?)
}

/// Every run, oldest first.
pub(crate) fn all(conn: &Connection) -> Result<Vec<RunRow>> {
    let mut stmt = conn.prepare(&format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY run_id"))?;
    let rows = stmt.query_map([], run_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Sets a run's status (and why); a finished run gets its end time.
pub(crate) fn set_status(
    conn: &Connection,
    run_id: RunId,
    status: RunStatus,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    let finished = status.is_finished().then(now);
    conn.execute(
        "UPDATE runs SET status = ?2, status_detail = ?3, finished_at = ?4 WHERE run_id = ?1",
        params![run_id, status, detail, finished],
    )?;
    Ok(())
}

/// Starts a session (one invocation of `run`); returns its id within the run.
pub(crate) fn start_session(
    conn: &Connection,
    run_id: RunId,
    executor: &str,
    transport: &str,
    workers: usize,
) -> rusqlite::Result<i64> {
    let session_id: i64 = conn.query_row(
        "SELECT coalesce(max(session_id), 0) + 1 FROM sessions WHERE run_id = ?1",
        [run_id],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO sessions (run_id, session_id, started_at, executor, transport, workers, status) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            run_id,
            session_id,
            now(),
            executor,
            transport,
            workers as i64,
            SessionStatus::Running
        ],
    )?;
    Ok(session_id)
}

/// Closes the sessions of a run still marked `running`: their coordinator is gone (the caller
/// holds the workspace lock), killed before it could close them. Returns how many.
pub(crate) fn close_stale_sessions(conn: &Connection, run_id: RunId) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE sessions SET status = ?2, ended_at = coalesce(ended_at, ?3), \
         specs_done = (SELECT coalesce(sum(c.specs), 0) FROM outcome_counts c \
                       WHERE c.run_id = sessions.run_id AND c.session_id = sessions.session_id) \
         WHERE run_id = ?1 AND status = ?4",
        params![
            run_id,
            SessionStatus::Interrupted,
            now(),
            SessionStatus::Running
        ],
    )
}

/// Closes a session with its totals.
pub(crate) fn end_session(
    conn: &Connection,
    run_id: RunId,
    session_id: i64,
    status: SessionStatus,
    totals: &crate::SessionTotals,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sessions SET ended_at = ?3, status = ?4, specs_done = ?5, wall_seconds = ?6, \
         cpu_seconds = ?7 WHERE run_id = ?1 AND session_id = ?2",
        params![
            run_id,
            session_id,
            now(),
            status,
            totals.specs_done as i64,
            totals.wall_seconds,
            totals.cpu_seconds
        ],
    )?;
    Ok(())
}

/// Telemetry of one worker of a session.
#[derive(Debug, Clone, Default)]
pub struct WorkerRow {
    pub worker: u32,
    pub pid: Option<u32>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub specs: u64,
    pub busy_seconds: f64,
    pub user_cpu_seconds: Option<f64>,
    pub sys_cpu_seconds: Option<f64>,
    pub max_rss_kb: Option<i64>,
    pub exit_status: Option<String>,
}

pub(crate) fn record_worker(
    conn: &Connection,
    run_id: RunId,
    session_id: i64,
    w: &WorkerRow,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO workers (run_id, session_id, worker, pid, started_at, ended_at, \
         specs, busy_seconds, user_cpu_seconds, sys_cpu_seconds, max_rss_kb, exit_status) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            run_id,
            session_id,
            w.worker,
            w.pid,
            w.started_at,
            w.ended_at,
            w.specs as i64,
            w.busy_seconds,
            w.user_cpu_seconds,
            w.sys_cpu_seconds,
            w.max_rss_kb,
            w.exit_status
        ],
    )?;
    Ok(())
}

/// Outcome counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub evaluated: u64,
    pub passed: u64,
    pub filtered: u64,
    pub errors: u64,
}

/// Outcome counts of a run (from the writer's `outcome_counts`: a few rows per session).
pub(crate) fn counts(conn: &Connection, run_id: RunId) -> rusqlite::Result<Counts> {
    conn.query_row(
        "SELECT coalesce(sum(specs), 0), coalesce(sum(specs * (status = 0)), 0), \
         coalesce(sum(specs * (status = 1)), 0), coalesce(sum(specs * (status = 2)), 0) \
         FROM outcome_counts WHERE run_id = ?1",
        [run_id],
        |r| {
            Ok(Counts {
                evaluated: r.get::<_, i64>(0)? as u64,
                passed: r.get::<_, i64>(1)? as u64,
                filtered: r.get::<_, i64>(2)? as u64,
                errors: r.get::<_, i64>(3)? as u64,
            })
        },
    )
}
