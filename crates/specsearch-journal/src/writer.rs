//! The journal's single writer: a thread that owns the read-write connection and commits
//! outcome blocks in transactions, batched by spec count and by time.
//!
//! A block (see [`crate::blocks`]) costs the writer one row per run of consecutive indices, one
//! row per passed or error outcome, and the counters of its codes and feature tally: nothing per
//! filtered spec. Batching keeps SQLite off the critical path (one fsync-free WAL commit per
//! many thousand specs); the time bound keeps what is lost to a SIGKILL small. The channel is
//! bounded, so a writer that falls behind slows dispatch instead of growing memory.
//!
//! Inserts are idempotent: spec indices already journaled (a batch sent twice after a lost
//! worker) are left out of the block, and its counts then come from the run's plan instead of
//! the worker's tally. Mutation records of passed specs go to `mutations`, one row per (run,
//! name), with the lowest spec index seen; a record whose name is already journaled with a
//! different hash or definition is refused: that spec's outcome becomes an error (`mutation
//! conflict: …`) and its records are not kept.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};

use crate::blocks::{kind_of, BlockRange, OutcomeBlock, OutcomeCode};
use crate::counters::{self, ensure_offsets, mark_journaled, not_journaled, Tally};
use crate::error::{JournalError, Result};
use crate::plan::PlanDecoder;
use crate::runs::RunId;
use crate::{codes, runs, schema, EventKind, OutcomeRecord, OutcomeStatus};

/// When the writer commits.
#[derive(Debug, Clone, Copy)]
pub struct FlushPolicy {
    /// Specs journaled in one transaction at most.
    pub max_specs: u64,
    pub max_delay: Duration,
}

impl Default for FlushPolicy {
    fn default() -> Self {
        FlushPolicy {
            max_specs: 1 << 20,
            max_delay: Duration::from_millis(500),
        }
    }
}

enum Msg {
    Block {
        session_id: i64,
        worker: u32,
        block: OutcomeBlock,
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

/// What the writer did, for the run summary and the benchmarks.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriterStats {
    /// Specs journaled.
    pub specs: u64,
    /// Block rows written.
    pub blocks: u64,
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
    /// Opens the journal for writing on a new thread; outcomes go to `run_id`, whose plan is
    /// recorded ([`crate::JournalRw::create_run`] and [`crate::JournalRw::ensure_plan`] do: the
    /// views read a block's specs through it).
    pub fn spawn(path: &Path, run_id: RunId, policy: FlushPolicy) -> Result<JournalWriter> {
        // Open here, so that a bad journal fails the caller, not a thread.
        let conn = schema::open_rw(path)?;
        let e = JournalError::naming::<rusqlite::Error>(path);
        // The writer inserts rows whose references it has just made itself (its run, the
        // filter codes, a passed row's outcome in the same statement sequence); SQLite's
        // foreign-key checks would look each up again. The tests check the written journals
        // with `PRAGMA foreign_key_check`.
        conn.pragma_update(None, "foreign_keys", "OFF")
            .map_err(&e)?;
        let (tx, rx) = mpsc::sync_channel(64);
        let path = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || write_loop(conn, &path, run_id, policy, rx))
            .map_err(|e| JournalError::Invalid(format!("cannot start the journal writer: {e}")))?;
        Ok(JournalWriter { tx, handle })
    }

    /// Queues a block of outcomes evaluated by `worker` in session `session_id`; blocks when
    /// the writer is far behind.
    pub fn send(&self, session_id: i64, worker: u32, block: OutcomeBlock) -> Result<()> {
        if block.is_empty() {
            return Ok(());
        }
        self.tx
            .send(Msg::Block {
                session_id,
                worker,
                block,
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

/// The writer's state for one run.
struct Run<'c> {
    conn: &'c Connection,
    run_id: RunId,
    /// The run's common prefix (left out of detail rows' feature codes).
    prefix: Vec<u32>,
    /// Journaled spec indices: disjoint, ascending half-open ranges, kept current.
    journaled: Vec<(u64, u64)>,
    /// The plan, loaded the first time a block cannot use its tally.
    decoder: Option<PlanDecoder>,
    /// The longest block written (`block_offsets` covers it).
    longest: u64,
    tally: Tally,
    scratch: Scratch,
}

#[derive(Default)]
struct Scratch {
    codes: String,
    features: Vec<u32>,
}

fn write_loop(
    conn: Connection,
    path: &Path,
    run_id: RunId,
    policy: FlushPolicy,
    rx: Receiver<Msg>,
) -> Result<WriterStats> {
    let e = JournalError::naming::<JournalError>(path);
    let mut stats = WriterStats::default();
    let mut run = Run {
        conn: &conn,
        run_id,
        prefix: runs::common_prefix(&conn, run_id)
            .map_err(JournalError::from)
            .map_err(&e)?,
        journaled: counters::journaled_ranges(&conn, run_id)
            .map_err(JournalError::from)
            .map_err(&e)?,
        decoder: None,
        longest: conn
            .query_row(
                "SELECT coalesce(max(k) + 1, 0) FROM block_offsets",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(JournalError::from)
            .map_err(&e)? as u64,
        tally: Tally::new(),
        scratch: Scratch::default(),
    };
    let mut pending = 0u64;
    let mut in_tx = false;
    let mut opened_at = Instant::now();
    // The file the connection writes: a journal deleted (or replaced) during the run would
    // take every later commit with it, so the run stops at the first commit after that.
    let identity = file_identity(path);
    let commit = |run: &mut Run<'_>, in_tx: &mut bool, stats: &mut WriterStats| -> Result<()> {
        if *in_tx {
            let t = Instant::now();
            if file_identity(path) != identity {
                return Err(JournalError::Invalid(format!(
                    "the journal {} was deleted or replaced during the run: what this session \
                     evaluated since its last commit cannot be journaled and the run stops; \
                     restore the journal (the same command then resumes it) or start a new \
                     workspace",
                    path.display()
                )));
            }
            // The counters of what this transaction journaled commit with it.
            run.tally
                .flush(run.conn, run.run_id)
                .map_err(JournalError::from)
                .map_err(&e)?;
            run.conn
                .execute_batch("COMMIT")
                .map_err(JournalError::from)
                .map_err(&e)?;
            stats.busy += t.elapsed();
            stats.commits += 1;
            *in_tx = false;
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
            Ok(Msg::Block {
                session_id,
                worker,
                block,
            }) => {
                let t = Instant::now();
                if !in_tx {
                    conn.execute_batch("BEGIN")
                        .map_err(JournalError::from)
                        .map_err(&e)?;
                    in_tx = true;
                    opened_at = Instant::now();
                }
                let written = insert_block(&mut run, session_id, worker, block).map_err(&e)?;
                stats.busy += t.elapsed();
                stats.specs += written.0;
                stats.blocks += written.1;
                pending += written.0;
                if pending >= policy.max_specs || opened_at.elapsed() >= policy.max_delay {
                    commit(&mut run, &mut in_tx, &mut stats)?;
                    pending = 0;
                }
            }
            Ok(Msg::Event(ev)) => {
                commit(&mut run, &mut in_tx, &mut stats)?;
                pending = 0;
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
                .map_err(JournalError::from)
                .map_err(&e)?;
            }
            Ok(Msg::Flush(ack)) => {
                commit(&mut run, &mut in_tx, &mut stats)?;
                pending = 0;
                ack.send(()).ok();
            }
            Err(RecvTimeoutError::Timeout) => {
                commit(&mut run, &mut in_tx, &mut stats)?;
                pending = 0;
            }
            Err(RecvTimeoutError::Disconnected) => {
                commit(&mut run, &mut in_tx, &mut stats)?;
                schema::checkpoint(&conn)
                    .map_err(JournalError::from)
                    .map_err(&e)?;
                stats.cpu = thread_cpu();
                return Ok(stats);
            }
        }
    }
}

/// The device and inode of the file at `path` (`None`: there is none).
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
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

/// Journals one block; returns (specs journaled, block rows written).
fn insert_block(
    run: &mut Run<'_>,
    session_id: i64,
    worker: u32,
    mut block: OutcomeBlock,
) -> Result<(u64, u64)> {
    if let Some(b) = block
        .codes
        .iter()
        .find(|&&b| OutcomeCode::from_byte(b).is_none())
    {
        return Err(JournalError::Invalid(format!(
            "a block holds the byte {b}, which is no outcome code; this is a bug in specsearch, \
             please report it (the journal keeps everything committed before)"
        )));
    }
    // Which specs of the block are new: all of them, unless the block was sent before.
    let mut parts: Vec<(BlockRange, usize)> = Vec::with_capacity(block.ranges.len());
    let mut whole = true;
    let mut offset = 0usize;
    for r in &block.ranges {
        let len = (r.end - r.start) as usize;
        let fresh = not_journaled(&run.journaled, r.start, r.end);
        if fresh.len() == 1 && fresh[0] == (r.start, r.end) {
            parts.push((*r, offset));
        } else {
            whole = false;
            for (s, e) in fresh {
                // The evaluation time of a part, in proportion (a re-sent block only).
                let share = r.eval_us * (e - s) / (r.end - r.start);
                parts.push((
                    BlockRange {
                        start: s,
                        end: e,
                        eval_us: share,
                    },
                    offset + (s - r.start) as usize,
                ));
            }
        }
        offset += len;
    }
    if offset != block.codes.len() {
        return Err(JournalError::Invalid(format!(
            "a block of {} codes for {offset} spec indices; this is a bug in specsearch, please \
             report it (the journal keeps everything committed before)",
            block.codes.len()
        )));
    }
    let is_new = |index: u64| parts.iter().any(|(r, _)| r.start <= index && index < r.end);
    let code_at = |index: u64, ranges: &[BlockRange]| -> usize {
        let mut at = 0usize;
        for r in ranges {
            if index < r.end && index >= r.start {
                return at + (index - r.start) as usize;
            }
            at += (r.end - r.start) as usize;
        }
        unreachable!("a detail's spec is in its block")
    };
    // Passed and error outcomes: their rows (a conflicting mutation record turns a passed
    // spec into an error, in the row and in the block's code).
    let mut turned: Vec<usize> = Vec::new();
    for (k, d) in block.details.iter().enumerate() {
        if !is_new(d.spec_index) {
            continue;
        }
        let conflict = if d.passed.is_some() {
            mutation_conflict(run.conn, run.run_id, d)?
        } else {
            None
        };
        let at = code_at(d.spec_index, &block.ranges);
        if conflict.is_some() {
            let code = OutcomeCode::from_byte(block.codes[at]).expect("codes are valid");
            block.codes[at] = code.as_error().byte();
            turned.push(k);
        }
        insert_detail(run, session_id, worker, d, conflict)?;
    }
    // The block rows.
    let mut written = 0u64;
    for (r, at) in &parts {
        let len = (r.end - r.start) as usize;
        let codes = &block.codes[*at..*at + len];
        run.conn
            .prepare_cached(
                "INSERT INTO outcome_blocks (run_id, start_index, end_index, codes, session_id, \
                 worker, eval_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                run.run_id,
                r.start as i64,
                r.end as i64,
                codes,
                session_id,
                worker,
                r.eval_us as i64
            ])?;
        run.tally.add_codes(session_id, codes);
        run.tally.add_range(r.start, r.end);
        mark_journaled(&mut run.journaled, r.start, r.end);
        if r.end - r.start > run.longest {
            ensure_offsets(run.conn, r.end - r.start)?;
            run.longest = r.end - r.start;
        }
        written += r.end - r.start;
    }
    // Feature counts: the worker's tally when the whole block is new, else the plan's.
    if whole {
        for c in &block.tally {
            run.tally
                .add_feature(c.kind as usize, c.feature, u64::from(c.specs));
        }
        for &k in &turned {
            let d = &block.details[k];
            for &f in &d.features {
                run.tally.remove_feature(0, f, 1);
                run.tally
                    .add_feature(kind_of(OutcomeStatus::Error, None), f, 1);
            }
        }
    } else {
        if run.decoder.is_none() {
            run.decoder = Some(PlanDecoder::load(run.conn, run.run_id)?.ok_or_else(|| {
                JournalError::Invalid(format!("run {} has no recorded plan", run.run_id))
            })?);
        }
        let decoder = run.decoder.as_mut().expect("loaded above");
        for (r, at) in &parts {
            for (i, index) in (r.start..r.end).enumerate() {
                let code = OutcomeCode::from_byte(block.codes[at + i]).expect("codes are valid");
                decoder.spec(index, &mut run.scratch.features);
                for &f in &run.scratch.features {
                    run.tally.add_feature(code.kind(), f, 1);
                }
            }
        }
    }
    Ok((written, parts.len() as u64))
}

/// The row of a passed or error outcome (and a passed one's detail and mutation records); a
/// `conflict` journals it as that error instead.
fn insert_detail(
    run: &mut Run<'_>,
    session_id: i64,
    worker: u32,
    r: &OutcomeRecord,
    conflict: Option<String>,
) -> Result<()> {
    let own = r
        .features
        .strip_prefix(run.prefix.as_slice())
        .ok_or_else(|| {
            JournalError::sqlite(
                rusqlite::ffi::SQLITE_MISUSE,
                format!(
                    "spec {} (features {:?}) does not begin with the run's common features {:?}; \
                 this is a bug in specsearch, please report it (the journal keeps everything \
                 committed before)",
                    r.spec_index, r.features, run.prefix
                ),
            )
        })?;
    run.scratch.codes.clear();
    codes::encode(own, &mut run.scratch.codes);
    let (status, message) = match &conflict {
        Some(m) => (OutcomeStatus::Error, Some(m.as_str())),
        None => (r.status, r.message.as_deref()),
    };
    run.conn
        .prepare_cached(
            "INSERT INTO outcomes (run_id, spec_index, status, failed_test, feature_codes, r2, \
             message, session_id, worker, eval_us) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            run.run_id,
            r.spec_index as i64,
            status,
            r.failed_test.map(|t| t.code()),
            run.scratch.codes.as_str(),
            r.r2.filter(|v| v.is_finite()),
            message,
            session_id,
            worker,
            r.eval_us
        ])?;
    if conflict.is_some() {
        return Ok(());
    }
    let Some(p) = &r.passed else {
        return Ok(());
    };
    let at = crate::now();
    for m in &r.mutations {
        run.conn
            .prepare_cached(
                "INSERT INTO mutations (run_id, name, definition, sha256, first_spec_index, \
                 session_id, worker, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (run_id, name) DO UPDATE SET \
                 first_spec_index = excluded.first_spec_index, \
                 session_id = excluded.session_id, worker = excluded.worker \
                 WHERE excluded.first_spec_index < mutations.first_spec_index",
            )?
            .execute(params![
                run.run_id,
                m.name,
                m.definition,
                m.sha256,
                r.spec_index as i64,
                session_id,
                worker,
                at
            ])?;
    }
    run.conn
        .prepare_cached(
            "INSERT INTO passed (run_id, spec_index, spec_key, r2, adj_r2, is_max_abs, is_mae, \
             is_rmse, oos_max_abs, oos_mae, oos_rmse, cov_type, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            run.run_id,
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
    Ok(())
}

/// The error message when one of a passed spec's mutation records contradicts the journal.
fn mutation_conflict(
    conn: &Connection,
    run_id: RunId,
    r: &OutcomeRecord,
) -> rusqlite::Result<Option<String>> {
    let mut get = conn.prepare_cached(
        "SELECT definition, sha256, first_spec_index FROM mutations WHERE run_id = ?1 AND name = ?2",
    )?;
    for m in &r.mutations {
        let known: Option<(String, String, i64)> = get
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
