//! The journal's single writer: a thread that owns the read-write connection and commits
//! outcomes in transactions, batched by row count and by time.
//!
//! Batching keeps SQLite off the critical path (one fsync-free WAL commit per many thousand
//! rows); the time bound keeps what is lost to a SIGKILL small. The channel is bounded, so a
//! writer that falls behind slows dispatch instead of growing memory.
//!
//! Mutation records of passed specs go to `mutations`, one row per (run, name), with the lowest
//! spec index seen (so the row does not depend on arrival order). A record whose name is already
//! journaled with a different hash or definition is refused: that spec's outcome is journaled as
//! an error (`mutation conflict: …`) instead of passed, and its records are not kept.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};
use specsearch_core::assess::FilterTest;

use crate::counters::Tally;
use crate::error::{JournalError, Result};
use crate::runs::RunId;
use crate::{codes, runs, schema, EventKind, OutcomeRecord, OutcomeStatus};

/// When the writer commits.
#[derive(Debug, Clone, Copy)]
pub struct FlushPolicy {
    pub max_rows: usize,
    pub max_delay: Duration,
}

impl Default for FlushPolicy {
    fn default() -> Self {
        FlushPolicy {
            max_rows: 50_000,
            max_delay: Duration::from_millis(500),
        }
    }
}

enum Msg {
    Outcomes {
        session_id: i64,
        worker: u32,
        records: Vec<OutcomeRecord>,
    },
    Flush(mpsc::Sender<()>),
    Event(SessionEvent),
}

/// Something that happened to a session (the `events` table), committed at once so that
/// readers (`status`) see it while the run goes on.
#[derive(Debug, Clone)]
pub struct SessionEvent {
    pub session_id: i64,
    pub worker: Option<u32>,
    pub kind: EventKind,
    pub detail: String,
}

/// What the writer did, for the run summary and the benchmark.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriterStats {
    pub rows: u64,
    pub commits: u64,
    /// Time spent inside SQLite.
    pub busy: Duration,
    /// CPU time of the writer thread (user + system), all of it journal work.
    pub cpu: Duration,
}

/// Handle on the writer thread.
pub struct JournalWriter {
    tx: SyncSender<Msg>,
    handle: JoinHandle<Result<WriterStats>>,
}

impl JournalWriter {
    /// Opens the journal for writing on a new thread; outcomes go to `run_id`.
    pub fn spawn(path: &Path, run_id: RunId, policy: FlushPolicy) -> Result<JournalWriter> {
        // Open here, so that a bad journal fails the caller, not a thread.
        let conn = schema::open_rw(path)?;
        // The writer inserts rows whose references it has just made itself (its run, the
        // filter codes, a passed row's outcome in the same statement sequence); SQLite's
        // foreign-key checks would look each up again, a B-tree search per row on the hot
        // path. The tests check the written journals with `PRAGMA foreign_key_check`.
        conn.pragma_update(None, "foreign_keys", "OFF")
            .map_err(JournalError::naming::<rusqlite::Error>(path))?;
        let (tx, rx) = mpsc::sync_channel(64);
        let path = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || write_loop(conn, &path, run_id, policy, rx))
            .map_err(|e| JournalError::Invalid(format!("cannot start the journal writer: {e}")))?;
        Ok(JournalWriter { tx, handle })
    }

    /// Queues outcomes; blocks when the writer is far behind.
    pub fn send(&self, session_id: i64, worker: u32, records: Vec<OutcomeRecord>) -> Result<()> {
        self.tx
            .send(Msg::Outcomes {
                session_id,
                worker,
                records,
            })
            .map_err(|_| JournalError::Invalid("the journal writer stopped".into()))
    }

    /// Journals a session event (committed with everything sent before it).
    pub fn event(&self, event: SessionEvent) -> Result<()> {
        self.tx
            .send(Msg::Event(event))
            .map_err(|_| JournalError::Invalid("the journal writer stopped".into()))
    }

    /// Returns once everything sent so far is committed.
    pub fn flush(&self) -> Result<()> {
        let (ack_tx, ack_rx) = mpsc::channel();
        self.tx
            .send(Msg::Flush(ack_tx))
            .map_err(|_| JournalError::Invalid("the journal writer stopped".into()))?;
        ack_rx
            .recv()
            .map_err(|_| JournalError::Invalid("the journal writer stopped".into()))
    }

    /// Commits what is pending and stops the thread.
    pub fn finish(self) -> Result<WriterStats> {
        drop(self.tx);
        self.handle
            .join()
            .map_err(|_| JournalError::Invalid("the journal writer panicked".into()))?
    }
}

struct Statements<'c> {
    outcome: rusqlite::CachedStatement<'c>,
    passed: rusqlite::CachedStatement<'c>,
    get_mutation: rusqlite::CachedStatement<'c>,
    put_mutation: rusqlite::CachedStatement<'c>,
}

fn write_loop(
    conn: Connection,
    path: &Path,
    run_id: RunId,
    policy: FlushPolicy,
    rx: Receiver<Msg>,
) -> Result<WriterStats> {
    let e = JournalError::naming::<rusqlite::Error>(path);
    let mut stats = WriterStats::default();
    let mut pending_rows = 0usize;
    let mut in_tx = false;
    let mut opened_at = Instant::now();
    let mut features = String::with_capacity(64);
    // Outcomes keep only what follows the run's common prefix (journal/codes.rs).
    let prefix = runs::common_prefix(&conn, run_id).map_err(&e)?;
    let mut tally = Tally::new(prefix.clone());
    let mut stmts = Statements {
        outcome: conn
            .prepare_cached(
                "INSERT OR IGNORE INTO outcomes (run_id, spec_index, status, failed_test, \
                 feature_codes, r2, message, session_id, worker, eval_us) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(&e)?,
        passed: conn
            .prepare_cached(
                "INSERT OR IGNORE INTO passed (run_id, spec_index, spec_key, r2, adj_r2, \
                 is_max_abs, is_mae, is_rmse, oos_max_abs, oos_mae, oos_rmse, cov_type, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .map_err(&e)?,
        get_mutation: conn
            .prepare_cached(
                "SELECT definition, sha256, first_spec_index FROM mutations \
                 WHERE run_id = ?1 AND name = ?2",
            )
            .map_err(&e)?,
        put_mutation: conn
            .prepare_cached(
                "INSERT INTO mutations (run_id, name, definition, sha256, first_spec_index, \
                 session_id, worker, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (run_id, name) DO UPDATE SET \
                 first_spec_index = excluded.first_spec_index, \
                 session_id = excluded.session_id, worker = excluded.worker \
                 WHERE excluded.first_spec_index < mutations.first_spec_index",
            )
            .map_err(&e)?,
    };
    let commit = |in_tx: &mut bool,
                  stats: &mut WriterStats,
                  pending: &mut usize,
                  tally: &mut Tally|
     -> Result<()> {
        if *in_tx {
            let t = Instant::now();
            // The counters of what this transaction inserted commit with it.
            tally.flush(&conn, run_id).map_err(&e)?;
            conn.execute_batch("COMMIT").map_err(&e)?;
            stats.busy += t.elapsed();
            stats.commits += 1;
            *in_tx = false;
            *pending = 0;
        }
        Ok(())
    };
    loop {
        let timeout = if in_tx {
            policy.max_delay.saturating_sub(opened_at.elapsed())
        } else {
            Duration::from_secs(3600)
        };
        match rx.recv_timeout(timeout) {
            Ok(Msg::Outcomes {
                session_id,
                worker,
                records,
            }) => {
                let t = Instant::now();
                if !in_tx {
                    conn.execute_batch("BEGIN").map_err(&e)?;
                    in_tx = true;
                    opened_at = Instant::now();
                }
                let batch = Batch {
                    run_id,
                    session_id,
                    worker,
                    prefix: &prefix,
                };
                insert_all(
                    &conn,
                    &mut stmts,
                    &batch,
                    &records,
                    &mut features,
                    &mut tally,
                )
                .map_err(&e)?;
                stats.busy += t.elapsed();
                stats.rows += records.len() as u64;
                pending_rows += records.len();
                if pending_rows >= policy.max_rows || opened_at.elapsed() >= policy.max_delay {
                    commit(&mut in_tx, &mut stats, &mut pending_rows, &mut tally)?;
                }
            }
            Ok(Msg::Event(ev)) => {
                commit(&mut in_tx, &mut stats, &mut pending_rows, &mut tally)?;
                conn.execute(
                    "INSERT INTO events (run_id, session_id, at, worker, kind, detail) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        run_id,
                        ev.session_id,
                        crate::now(),
                        ev.worker,
                        ev.kind,
                        ev.detail
                    ],
                )
                .map_err(&e)?;
            }
            Ok(Msg::Flush(ack)) => {
                commit(&mut in_tx, &mut stats, &mut pending_rows, &mut tally)?;
                ack.send(()).ok();
            }
            Err(RecvTimeoutError::Timeout) => {
                commit(&mut in_tx, &mut stats, &mut pending_rows, &mut tally)?
            }
            Err(RecvTimeoutError::Disconnected) => {
                commit(&mut in_tx, &mut stats, &mut pending_rows, &mut tally)?;
                schema::checkpoint(&conn).map_err(&e)?;
                stats.cpu = thread_cpu();
                return Ok(stats);
            }
        }
    }
}

/// CPU time the calling thread has used.
fn thread_cpu() -> Duration {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_THREAD)
        .map(|u| {
            let t = |v: nix::sys::time::TimeVal| {
                Duration::from_secs(v.tv_sec() as u64) + Duration::from_micros(v.tv_usec() as u64)
            };
            t(u.user_time()) + t(u.system_time())
        })
        .unwrap_or_default()
}

/// The stored code of the filter a record failed at (`filter_tests.code`).
fn failed_code(r: &OutcomeRecord) -> Option<u8> {
    r.failed_test.map(FilterTest::code)
}

/// Rows per multi-row INSERT of outcomes without passed detail (one statement execution per
/// chunk instead of per row; the `journal` benchmark measures the difference).
const CHUNK: usize = 32;

/// The SQL of a multi-row INSERT of `n` outcomes.
fn chunk_sql(n: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO outcomes (run_id, spec_index, status, failed_test, feature_codes, r2, \
         message, session_id, worker, eval_us) VALUES ",
    );
    for i in 0..n {
        if i > 0 {
            sql.push(',');
        }
        let a = 4 + i * 7;
        write!(
            sql,
            "(?1,?{},?{},?{},?{},?{},?{},?2,?3,?{})",
            a,
            a + 1,
            a + 2,
            a + 3,
            a + 4,
            a + 5,
            a + 6
        )
        .expect("write to string");
    }
    sql
}

/// Where a batch of outcomes goes: the run, the session and worker that evaluated it, and the
/// run's common prefix (left out of each outcome's codes).
struct Batch<'p> {
    run_id: RunId,
    session_id: i64,
    worker: u32,
    prefix: &'p [u32],
}

impl Batch<'_> {
    /// The features of `r` after the run's prefix, checked: a spec that does not begin with
    /// it would be stored wrongly, so the batch is refused instead (nothing of it commits).
    fn own_features<'r>(&self, r: &'r OutcomeRecord) -> rusqlite::Result<&'r [u32]> {
        r.features.strip_prefix(self.prefix).ok_or_else(|| {
            JournalError::sqlite(
                rusqlite::ffi::SQLITE_MISUSE,
                format!(
                    "spec {} (features {:?}) does not begin with the run's common features \
                     {:?}; this is a bug in specsearch, please report it (the journal keeps \
                     everything committed before)",
                    r.spec_index, r.features, self.prefix
                ),
            )
        })
    }

    /// The codes of `r`'s own features, written into `out`.
    fn codes_of(&self, r: &OutcomeRecord, out: &mut String) -> rusqlite::Result<()> {
        out.clear();
        codes::encode(self.own_features(r)?, out);
        Ok(())
    }
}

/// Journals `records`: outcomes without passed detail in chunks of [`CHUNK`] rows per
/// statement, when none of a chunk's spec indices is journaled yet (checked with one range
/// lookup; a batch sent twice after a lost worker takes the row-by-row path, which ignores
/// what is already there); passed outcomes row by row.
fn insert_all(
    conn: &Connection,
    s: &mut Statements<'_>,
    batch: &Batch<'_>,
    records: &[OutcomeRecord],
    features: &mut String,
    tally: &mut Tally,
) -> rusqlite::Result<()> {
    let mut rest = records;
    while !rest.is_empty() {
        let plain = rest
            .iter()
            .take(CHUNK)
            .take_while(|r| r.passed.is_none())
            .count();
        // Strictly ascending indices (as workers send them): no duplicate within the chunk.
        if plain == CHUNK
            && rest[..CHUNK]
                .windows(2)
                .all(|w| w[0].spec_index < w[1].spec_index)
            && !any_journaled(conn, batch.run_id, &rest[..CHUNK])?
        {
            insert_chunk(conn, batch, &rest[..CHUNK], features)?;
            for r in &rest[..CHUNK] {
                tally.add(
                    batch.session_id,
                    r.status.code(),
                    failed_code(r),
                    batch.own_features(r)?,
                    r.spec_index,
                );
            }
            rest = &rest[CHUNK..];
            continue;
        }
        let n = plain.max(1);
        for r in &rest[..n] {
            if let Some(status) = insert(s, batch, r, features)? {
                let own = batch.own_features(r)?;
                tally.add(batch.session_id, status, failed_code(r), own, r.spec_index);
            }
        }
        rest = &rest[n..];
    }
    Ok(())
}

/// Whether any spec index of `chunk` already has an outcome.
fn any_journaled(
    conn: &Connection,
    run_id: RunId,
    chunk: &[OutcomeRecord],
) -> rusqlite::Result<bool> {
    let (lo, hi) = (chunk[0].spec_index, chunk[chunk.len() - 1].spec_index);
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM outcomes WHERE run_id = ?1 AND spec_index BETWEEN ?2 AND ?3)",
    )?
    .query_row(params![run_id, lo as i64, hi as i64], |r| r.get(0))
}

fn insert_chunk(
    conn: &Connection,
    batch: &Batch<'_>,
    chunk: &[OutcomeRecord],
    features: &mut String,
) -> rusqlite::Result<()> {
    // Built once: formatting the 32-row statement for every chunk (it is the statement
    // cache's key) cost ~5% of the writer's CPU.
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    debug_assert_eq!(chunk.len(), CHUNK);
    let mut stmt = conn.prepare_cached(SQL.get_or_init(|| chunk_sql(CHUNK)))?;
    stmt.raw_bind_parameter(1, batch.run_id)?;
    stmt.raw_bind_parameter(2, batch.session_id)?;
    stmt.raw_bind_parameter(3, batch.worker)?;
    // Parameters ?1..?3 are shared; each row then has seven numbered after them.
    for (i, r) in chunk.iter().enumerate() {
        let at = 4 + i * 7;
        batch.codes_of(r, features)?;
        stmt.raw_bind_parameter(at, r.spec_index as i64)?;
        stmt.raw_bind_parameter(at + 1, r.status)?;
        stmt.raw_bind_parameter(at + 2, failed_code(r))?;
        stmt.raw_bind_parameter(at + 3, features.as_str())?;
        stmt.raw_bind_parameter(at + 4, r.r2.filter(|v| v.is_finite()))?;
        stmt.raw_bind_parameter(at + 5, r.message.as_deref())?;
        stmt.raw_bind_parameter(at + 6, r.eval_us)?;
    }
    stmt.raw_execute()?;
    Ok(())
}

fn insert(
    s: &mut Statements<'_>,
    batch: &Batch<'_>,
    r: &OutcomeRecord,
    features: &mut String,
) -> rusqlite::Result<Option<u8>> {
    let (run_id, session_id, worker) = (batch.run_id, batch.session_id, batch.worker);
    batch.codes_of(r, features)?;
    let conflict = if r.passed.is_some() {
        mutation_conflict(s, run_id, r)?
    } else {
        None
    };
    if let Some(message) = conflict {
        let inserted = s.outcome.execute(params![
            run_id,
            r.spec_index as i64,
            OutcomeStatus::Error,
            None::<u8>,
            features.as_str(),
            r.r2.filter(|v| v.is_finite()),
            message,
            session_id,
            worker,
            r.eval_us
        ])?;
        return Ok((inserted == 1).then_some(OutcomeStatus::Error.code()));
    }
    let inserted = s.outcome.execute(params![
        run_id,
        r.spec_index as i64,
        r.status,
        failed_code(r),
        features.as_str(),
        r.r2.filter(|v| v.is_finite()),
        r.message,
        session_id,
        worker,
        r.eval_us
    ])?;
    if inserted == 0 {
        // Already journaled (a batch sent twice): nothing else to record.
        return Ok(None);
    }
    if r.passed.is_some() {
        let at = crate::now();
        for m in &r.mutations {
            s.put_mutation.execute(params![
                run_id,
                m.name,
                m.definition,
                m.sha256,
                r.spec_index as i64,
                session_id,
                worker,
                at
            ])?;
        }
    }
    if let Some(p) = &r.passed {
        s.passed.execute(params![
            run_id,
            r.spec_index as i64,
            p.spec_key,
            p.r2,
            p.adj_r2,
            p.is_max_abs,
            p.is_mae,
            p.is_rmse,
            p.oos_max_abs,
            p.oos_mae,
            p.oos_rmse,
            p.cov_type,
            p.detail_json
        ])?;
    }
    Ok(Some(r.status.code()))
}

/// The error message when one of a passed spec's mutation records contradicts the journal.
fn mutation_conflict(
    s: &mut Statements<'_>,
    run_id: RunId,
    r: &OutcomeRecord,
) -> rusqlite::Result<Option<String>> {
    for m in &r.mutations {
        let known: Option<(String, String, i64)> = s
            .get_mutation
            .query_row(params![run_id, m.name], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()?;
        if let Some((definition, sha256, first)) = known {
            if definition != m.definition || sha256 != m.sha256 {
                return Ok(Some(format!(
                    "mutation conflict: {} = {} with sha256 {} contradicts the record of spec \
                     {first}: {definition} with sha256 {sha256}",
                    m.name, m.definition, m.sha256
                )));
            }
        }
    }
    Ok(None)
}
