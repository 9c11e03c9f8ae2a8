//! Executors: where batches of specs are evaluated. `process` (worker processes, the default;
//! in `process`), `thread` (a rayon pool in the coordinator) and `serial` (the coordinator
//! itself) share one interface, so the coordinator's dispatch loop, and therefore the journal,
//! is the same for all.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::context::{EvalContext, EvalScratch};
use super::protocol::usage;
use crate::journal::WorkerRow;
use crate::journal::{now, OutcomeBlock};

/// A unit of dispatch: half-open ranges of spec indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub id: u64,
    pub ranges: Vec<(u64, u64)>,
}

impl Batch {
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|(a, b)| b - a).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What an executor reports.
pub enum Event {
    Done {
        worker: u32,
        batch: Batch,
        block: OutcomeBlock,
    },
    /// A worker died (or the watchdog stopped it); its in-flight batches come back for
    /// re-queueing.
    Lost {
        worker: u32,
        status: String,
        /// `Some(seconds)` when the watchdog stopped it after its batch ran that long.
        timed_out: Option<u64>,
        batches: Vec<Batch>,
    },
    /// The watchdog found a worker past its batch's deadline and is stopping it (SIGTERM, then
    /// SIGKILL of its process group after a grace period).
    Stalled {
        worker: u32,
        pid: u32,
        waited: Duration,
        deadline: Duration,
    },
    /// A worker could not build its context: the run cannot go on.
    Fatal(String),
}

/// The executor interface the coordinator drives.
pub trait Executor {
    /// Starts a batch if a worker has room (fewer than `prefetch` in flight, default two);
    /// gives it back otherwise.
    fn try_submit(&mut self, batch: Batch) -> Result<Option<Batch>, String>;
    /// Next event, waiting at most `timeout`.
    fn next_event(&mut self, timeout: Duration) -> Option<Event>;
    fn in_flight(&self) -> usize;
    /// Replaces a lost worker (process executor only).
    fn replace(&mut self, worker: u32) -> Result<(), String>;
    /// Stops every worker and returns their telemetry.
    fn shutdown(self: Box<Self>) -> Vec<WorkerRow>;
    fn name(&self) -> &'static str;
    fn workers(&self) -> usize;
    /// Workers the watchdog is stopping right now (process executor only).
    fn stalled(&self) -> usize {
        0
    }
    /// Stops every worker at once, abandoning in-flight batches (a drain that ran out of time,
    /// a second Ctrl-C), and returns their telemetry.
    fn kill(self: Box<Self>) -> Vec<WorkerRow> {
        self.shutdown()
    }
}

pub(super) const IN_FLIGHT_PER_WORKER: usize = 2;

// ---------------------------------------------------------------------------------------------
// Serial

/// Evaluates each batch in the coordinator, one at a time.
pub struct SerialExecutor {
    ctx: Arc<EvalContext>,
    scratch: EvalScratch,
    ready: VecDeque<Event>,
    row: WorkerRow,
}

impl SerialExecutor {
    pub fn new(ctx: Arc<EvalContext>) -> SerialExecutor {
        SerialExecutor {
            ctx,
            scratch: EvalScratch::default(),
            ready: VecDeque::new(),
            row: WorkerRow {
                worker: 0,
                pid: Some(std::process::id()),
                started_at: now(),
                ..WorkerRow::default()
            },
        }
    }
}

impl Executor for SerialExecutor {
    fn try_submit(&mut self, batch: Batch) -> Result<Option<Batch>, String> {
        if !self.ready.is_empty() {
            return Ok(Some(batch));
        }
        let started = std::time::Instant::now();
        let block = self
            .ctx
            .evaluate(&batch.ranges, &mut self.scratch)
            .map_err(|e| format!("{e:#}"))?;
        self.row.busy_seconds += started.elapsed().as_secs_f64();
        self.row.specs += block.len();
        self.ready.push_back(Event::Done {
            worker: 0,
            batch,
            block,
        });
        Ok(None)
    }
    fn next_event(&mut self, _timeout: Duration) -> Option<Event> {
        self.ready.pop_front()
    }
    fn in_flight(&self) -> usize {
        self.ready.len()
    }
    fn replace(&mut self, _worker: u32) -> Result<(), String> {
        Ok(())
    }
    fn shutdown(self: Box<Self>) -> Vec<WorkerRow> {
        let mut row = self.row;
        let u = usage(nix::sys::resource::UsageWho::RUSAGE_SELF);
        row.ended_at = Some(now());
        row.exit_status = Some("ok".into());
        row.user_cpu_seconds = Some(u.user_seconds);
        row.sys_cpu_seconds = Some(u.sys_seconds);
        row.max_rss_kb = Some(u.max_rss_kb);
        vec![row]
    }
    fn name(&self) -> &'static str {
        "serial"
    }
    fn workers(&self) -> usize {
        1
    }
}

// ---------------------------------------------------------------------------------------------
// Threads

/// A rayon pool in the coordinator process; each thread keeps its own scratch buffers.
pub struct ThreadExecutor {
    pool: rayon::ThreadPool,
    ctx: Arc<EvalContext>,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    in_flight: usize,
    rows: Arc<Mutex<Vec<WorkerRow>>>,
    threads: usize,
    /// Batches in flight per thread.
    prefetch: usize,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<EvalScratch> = std::cell::RefCell::new(EvalScratch::default());
}

impl ThreadExecutor {
    pub fn new(ctx: Arc<EvalContext>, threads: usize) -> Result<ThreadExecutor, String> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("specsearch-eval-{i}"))
            .build()
            .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
        let rows = (0..threads)
            .map(|i| WorkerRow {
                worker: i as u32,
                pid: Some(std::process::id()),
                started_at: now(),
                ..WorkerRow::default()
            })
            .collect();
        let (tx, rx) = mpsc::channel();
        Ok(ThreadExecutor {
            pool,
            ctx,
            tx,
            rx,
            in_flight: 0,
            rows: Arc::new(Mutex::new(rows)),
            threads,
            prefetch: IN_FLIGHT_PER_WORKER,
        })
    }

    /// Keeps `prefetch` batches in flight per thread (default 2).
    pub fn with_prefetch(mut self, prefetch: usize) -> ThreadExecutor {
        self.prefetch = prefetch.max(1);
        self
    }
}

impl Executor for ThreadExecutor {
    fn try_submit(&mut self, batch: Batch) -> Result<Option<Batch>, String> {
        if self.in_flight >= self.threads * self.prefetch {
            return Ok(Some(batch));
        }
        self.in_flight += 1;
        let (ctx, tx, rows) = (self.ctx.clone(), self.tx.clone(), self.rows.clone());
        self.pool.spawn(move || {
            let worker = rayon::current_thread_index().unwrap_or(0);
            let started = std::time::Instant::now();
            let result = SCRATCH.with(|s| ctx.evaluate(&batch.ranges, &mut s.borrow_mut()));
            let busy = started.elapsed().as_secs_f64();
            {
                let mut rows = rows.lock().expect("telemetry lock");
                let row = &mut rows[worker];
                row.busy_seconds += busy;
                row.specs += result.as_ref().map_or(0, |b| b.len());
                let u = usage(nix::sys::resource::UsageWho::RUSAGE_THREAD);
                row.user_cpu_seconds = Some(u.user_seconds);
                row.sys_cpu_seconds = Some(u.sys_seconds);
            }
            let event = match result {
                Ok(block) => Event::Done {
                    worker: worker as u32,
                    batch,
                    block,
                },
                Err(e) => Event::Fatal(format!("{e:#}")),
            };
            tx.send(event).ok();
        });
        Ok(None)
    }
    fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        let e = self.rx.recv_timeout(timeout).ok()?;
        self.in_flight -= 1;
        Some(e)
    }
    fn in_flight(&self) -> usize {
        self.in_flight
    }
    fn replace(&mut self, _worker: u32) -> Result<(), String> {
        Ok(())
    }
    fn shutdown(self: Box<Self>) -> Vec<WorkerRow> {
        let ThreadExecutor { pool, rows, .. } = *self;
        drop(pool);
        let mut rows = rows.lock().expect("telemetry lock").clone();
        let rss = usage(nix::sys::resource::UsageWho::RUSAGE_SELF).max_rss_kb;
        for r in &mut rows {
            r.ended_at = Some(now());
            r.exit_status = Some("ok".into());
            r.max_rss_kb = Some(rss);
        }
        rows
    }
    fn name(&self) -> &'static str {
        "thread"
    }
    fn workers(&self) -> usize {
        self.threads
    }
}
