//! Executors: where batches of specs are evaluated. `process` (worker processes, the default),
//! `thread` (a rayon pool in the coordinator) and `serial` (the coordinator itself) share one
//! interface, so the coordinator's dispatch loop, and therefore the journal, is the same for all.

use std::collections::VecDeque;
use std::io::{BufReader, BufWriter};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::context::{EvalContext, EvalScratch, SearchSetup};
use super::protocol::{read_frame, usage, write_frame, FromWorker, ToWorker, Usage};
use crate::journal::runs::WorkerRow;
use crate::journal::{now, OutcomeRecord};

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
        records: Vec<OutcomeRecord>,
    },
    /// A worker died; its in-flight batches come back for re-queueing.
    Lost {
        worker: u32,
        status: String,
        batches: Vec<Batch>,
    },
    /// A worker could not build its context: the run cannot go on.
    Fatal(String),
}

/// The executor interface the coordinator drives.
pub trait Executor {
    /// Starts a batch if a worker has room (fewer than two in flight); gives it back otherwise.
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
}

const IN_FLIGHT_PER_WORKER: usize = 2;

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
        let mut records = Vec::with_capacity(batch.len() as usize);
        self.ctx
            .evaluate(&batch.ranges, &mut self.scratch, &mut records)
            .map_err(|e| format!("{e:#}"))?;
        self.row.busy_seconds += started.elapsed().as_secs_f64();
        self.row.specs += records.len() as u64;
        self.ready.push_back(Event::Done {
            worker: 0,
            batch,
            records,
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
        })
    }
}

impl Executor for ThreadExecutor {
    fn try_submit(&mut self, batch: Batch) -> Result<Option<Batch>, String> {
        if self.in_flight >= self.threads * IN_FLIGHT_PER_WORKER {
            return Ok(Some(batch));
        }
        self.in_flight += 1;
        let (ctx, tx, rows) = (self.ctx.clone(), self.tx.clone(), self.rows.clone());
        self.pool.spawn(move || {
            let worker = rayon::current_thread_index().unwrap_or(0);
            let started = std::time::Instant::now();
            let mut records = Vec::with_capacity(batch.len() as usize);
            let result =
                SCRATCH.with(|s| ctx.evaluate(&batch.ranges, &mut s.borrow_mut(), &mut records));
            let busy = started.elapsed().as_secs_f64();
            {
                let mut rows = rows.lock().expect("telemetry lock");
                let row = &mut rows[worker];
                row.busy_seconds += busy;
                row.specs += records.len() as u64;
                let u = usage(nix::sys::resource::UsageWho::RUSAGE_THREAD);
                row.user_cpu_seconds = Some(u.user_seconds);
                row.sys_cpu_seconds = Some(u.sys_seconds);
            }
            let event = match result {
                Ok(()) => Event::Done {
                    worker: worker as u32,
                    batch,
                    records,
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

// ---------------------------------------------------------------------------------------------
// Processes

enum Incoming {
    Frame(FromWorker),
    Closed(Option<String>),
}

struct WorkerProcess {
    child: Child,
    stdin: Option<BufWriter<ChildStdin>>,
    in_flight: VecDeque<Batch>,
    alive: bool,
    usage: Option<Usage>,
    row: WorkerRow,
}

/// Worker processes: the same binary run as `specsearch worker`, spawned (not forked: the
/// coordinator is multi-threaded), in their own process group (a terminal's Ctrl-C reaches only
/// the coordinator, which drains them), killed by the kernel if the coordinator dies.
pub struct ProcessExecutor {
    exe: PathBuf,
    setup: Arc<SearchSetup>,
    workers: Vec<WorkerProcess>,
    tx: Sender<(u32, Incoming)>,
    rx: Receiver<(u32, Incoming)>,
    size: usize,
}

impl ProcessExecutor {
    /// Starts `n` workers and sends each the setup. Fails if a worker cannot be spawned.
    pub fn new(exe: PathBuf, setup: Arc<SearchSetup>, n: usize) -> Result<ProcessExecutor, String> {
        let (tx, rx) = mpsc::channel();
        let mut ex = ProcessExecutor {
            exe,
            setup,
            workers: Vec::with_capacity(n),
            tx,
            rx,
            size: n,
        };
        for _ in 0..n {
            ex.spawn()?;
        }
        Ok(ex)
    }

    fn spawn(&mut self) -> Result<u32, String> {
        let idx = self.workers.len() as u32;
        let parent = nix::unistd::getpid();
        let mut cmd = Command::new(&self.exe);
        cmd.arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // SAFETY: only async-signal-safe system calls run between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                use nix::unistd::{getppid, setpgid, Pid};
                setpgid(Pid::from_raw(0), Pid::from_raw(0)).map_err(std::io::Error::from)?;
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                    .map_err(std::io::Error::from)?;
                // The coordinator may have died before the death signal was armed.
                if getppid() != parent {
                    return Err(std::io::Error::other("coordinator exited"));
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start worker process {}: {e}", self.exe.display()))?;
        let mut stdin = BufWriter::new(child.stdin.take().expect("piped stdin"));
        let stdout = child.stdout.take().expect("piped stdout");
        write_frame(
            &mut stdin,
            &ToWorker::Setup(Box::new((*self.setup).clone())),
        )
        .map_err(|e| format!("cannot send the setup to worker {idx}: {e}"))?;
        let tx = self.tx.clone();
        std::thread::Builder::new()
            .name(format!("worker-{idx}-reader"))
            .spawn(move || {
                let mut r = BufReader::with_capacity(1 << 20, stdout);
                let mut buf = Vec::new();
                loop {
                    match read_frame::<FromWorker, _>(&mut r, &mut buf) {
                        Ok(Some(msg)) => {
                            if tx.send((idx, Incoming::Frame(msg))).is_err() {
                                return;
                            }
                        }
                        Ok(None) => {
                            tx.send((idx, Incoming::Closed(None))).ok();
                            return;
                        }
                        Err(e) => {
                            tx.send((idx, Incoming::Closed(Some(e.to_string())))).ok();
                            return;
                        }
                    }
                }
            })
            .map_err(|e| format!("cannot start a reader thread: {e}"))?;
        self.workers.push(WorkerProcess {
            row: WorkerRow {
                worker: idx,
                pid: Some(child.id()),
                started_at: now(),
                ..WorkerRow::default()
            },
            child,
            stdin: Some(stdin),
            in_flight: VecDeque::new(),
            alive: true,
            usage: None,
        });
        Ok(idx)
    }

    /// Reaps a closed worker and describes how it ended.
    fn reap(w: &mut WorkerProcess) -> String {
        w.alive = false;
        w.stdin = None;
        let status = match w.child.wait() {
            Ok(s) => match (s.code(), s.signal()) {
                (Some(0), _) => "ok".to_string(),
                (Some(c), _) => format!("exit {c}"),
                (None, Some(sig)) => {
                    let name = nix::sys::signal::Signal::try_from(sig)
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default();
                    format!("signal {sig} ({name})")
                }
                _ => "unknown".to_string(),
            },
            Err(e) => format!("wait failed: {e}"),
        };
        w.row.ended_at = Some(now());
        w.row.exit_status = Some(status.clone());
        status
    }
}

impl Executor for ProcessExecutor {
    fn try_submit(&mut self, batch: Batch) -> Result<Option<Batch>, String> {
        let slot = self
            .workers
            .iter()
            .enumerate()
            .filter(|(_, w)| w.alive && w.in_flight.len() < IN_FLIGHT_PER_WORKER)
            .min_by_key(|(_, w)| w.in_flight.len())
            .map(|(i, _)| i);
        let Some(i) = slot else {
            return Ok(Some(batch));
        };
        let w = &mut self.workers[i];
        let msg = ToWorker::Batch {
            id: batch.id,
            ranges: batch.ranges.clone(),
        };
        let stdin = w.stdin.as_mut().expect("live workers have stdin");
        w.in_flight.push_back(batch);
        if write_frame(stdin, &msg).is_err() {
            // The worker is dying; its reader will report the loss with this batch.
        }
        Ok(None)
    }

    fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        let (idx, incoming) = match self.rx.recv_timeout(timeout) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
        };
        let w = &mut self.workers[idx as usize];
        match incoming {
            Incoming::Frame(FromWorker::Ready { .. }) => None,
            Incoming::Frame(FromWorker::Done {
                id,
                records,
                busy_seconds,
            }) => {
                let pos = w.in_flight.iter().position(|b| b.id == id)?;
                let batch = w.in_flight.remove(pos).expect("position is valid");
                w.row.specs += records.len() as u64;
                w.row.busy_seconds += busy_seconds;
                Some(Event::Done {
                    worker: idx,
                    batch,
                    records,
                })
            }
            Incoming::Frame(FromWorker::Failed { message }) => Some(Event::Fatal(message)),
            Incoming::Frame(FromWorker::Bye { usage }) => {
                w.usage = Some(usage);
                None
            }
            Incoming::Closed(read_error) => {
                if !w.alive {
                    return None;
                }
                if let Some(e) = read_error {
                    tracing::warn!("worker {idx}: unreadable output ({e})");
                }
                let status = Self::reap(w);
                let batches: Vec<Batch> = w.in_flight.drain(..).collect();
                Some(Event::Lost {
                    worker: idx,
                    status,
                    batches,
                })
            }
        }
    }

    fn in_flight(&self) -> usize {
        self.workers.iter().map(|w| w.in_flight.len()).sum()
    }

    fn replace(&mut self, _worker: u32) -> Result<(), String> {
        self.spawn().map(|_| ())
    }

    fn shutdown(mut self: Box<Self>) -> Vec<WorkerRow> {
        for w in self.workers.iter_mut().filter(|w| w.alive) {
            if let Some(stdin) = w.stdin.as_mut() {
                write_frame(stdin, &ToWorker::Shutdown).ok();
            }
        }
        // Collect the goodbyes (with resource usage); a worker that does not answer in time
        // is killed, and every child is reaped: no zombies.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.workers.iter().any(|w| w.alive) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match self.rx.recv_timeout(left) {
                Ok((idx, Incoming::Frame(FromWorker::Bye { usage }))) => {
                    self.workers[idx as usize].usage = Some(usage);
                }
                Ok((idx, Incoming::Closed(_))) => {
                    let w = &mut self.workers[idx as usize];
                    if w.alive {
                        Self::reap(w);
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        for w in self.workers.iter_mut().filter(|w| w.alive) {
            w.child.kill().ok();
            Self::reap(w);
            w.row.exit_status = Some("killed at shutdown".into());
        }
        std::mem::take(&mut self.workers)
            .into_iter()
            .map(|w| {
                let mut row = w.row;
                if let Some(u) = w.usage {
                    row.user_cpu_seconds = Some(u.user_seconds);
                    row.sys_cpu_seconds = Some(u.sys_seconds);
                    row.max_rss_kb = Some(u.max_rss_kb);
                }
                row
            })
            .collect()
    }

    fn name(&self) -> &'static str {
        "process"
    }
    fn workers(&self) -> usize {
        self.size
    }
}

impl Drop for ProcessExecutor {
    fn drop(&mut self) {
        // On an early return (error, panic) make sure no worker outlives the coordinator's
        // interest in it; `shutdown` leaves nothing alive, so this is a no-op after it.
        for w in self.workers.iter_mut().filter(|w| w.alive) {
            w.child.kill().ok();
            w.child.wait().ok();
        }
    }
}
