//! The process executor: worker processes — the same binary run as `specsearch worker` — fed
//! batches over their stdin, answering on their stdout, watched by the [`Watchdog`].
//!
//! Workers are spawned (not forked: the coordinator is multi-threaded), each in its own process
//! group (a terminal's Ctrl-C reaches only the coordinator, which drains them; the watchdog
//! signals the whole group), and killed by the kernel if the coordinator dies.
//!
//! The pool stays warm across the segments of an invocation: [`ProcessExecutor::serve`] sends
//! the next segment's setup to the workers it needs (spawning more if it needs more, leaving the
//! others idle), [`ProcessExecutor::end_segment`] closes a segment's telemetry (per worker:
//! specs, busy time, CPU since the segment began, peak RSS) and keeps the processes.

use std::collections::VecDeque;
use std::io::{BufReader, BufWriter};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use super::context::SearchSetup;
use super::executor::{Batch, Event, Executor, IN_FLIGHT_PER_WORKER};
use super::protocol::{read_frame, write_frame, FromWorker, ToWorker, Usage};
use super::watchdog::{Action, Clock, Watchdog, GRACE};
use crate::journal::now;
use crate::journal::WorkerRow;
use crate::journal::WorkerSetup;

enum Incoming {
    Frame(FromWorker),
    Closed(Option<String>),
}

struct WorkerProcess {
    child: Child,
    stdin: Option<BufWriter<ChildStdin>>,
    /// Batches sent and not answered, in the order the worker runs them.
    in_flight: VecDeque<Batch>,
    alive: bool,
    usage: Option<Usage>,
    row: WorkerRow,
    /// Since when its front batch runs, or how far the watchdog got in stopping it.
    clock: Clock,
    /// Whether it serves the current segment (a segment that asks for fewer workers than the
    /// pool has leaves the others idle, with their last context).
    serving: bool,
    /// Its resource usage when the current segment began (CPU per segment is the difference).
    usage_base: Usage,
    /// When its current setup was sent, whether that setup reused the process, and what it
    /// took until the worker said `Ready`.
    setup_sent: Instant,
    warm: bool,
    setup_seconds: Option<f64>,
    /// A dead worker's telemetry has been handed out (it belongs to one segment only). A
    /// worker that served a segment keeps `serving` until the next segment's `serve`, so a
    /// segment's telemetry is that of its serving workers, dead or alive.
    reported: bool,
}

impl WorkerProcess {
    /// Signals the worker's process group (it is its group's leader).
    fn signal_group(&self, signal: Signal) {
        killpg(Pid::from_raw(self.child.id() as i32), signal).ok();
    }
}

/// Worker processes (see the module docs).
pub struct ProcessExecutor {
    exe: PathBuf,
    setup: Arc<SearchSetup>,
    workers: Vec<WorkerProcess>,
    tx: Sender<(u32, Incoming)>,
    rx: Receiver<(u32, Incoming)>,
    size: usize,
    watchdog: Watchdog,
    /// Batches in flight per worker.
    prefetch: usize,
}

impl ProcessExecutor {
    /// Starts `n` workers and sends each the setup; a batch is given at least `batch_timeout`
    /// (see [`Watchdog`]). Fails if a worker cannot be spawned.
    pub fn new(
        exe: PathBuf,
        setup: Arc<SearchSetup>,
        n: usize,
        batch_timeout: Duration,
    ) -> Result<ProcessExecutor, String> {
        let (tx, rx) = mpsc::channel();
        let mut ex = ProcessExecutor {
            exe,
            setup,
            workers: Vec::with_capacity(n),
            tx,
            rx,
            size: n,
            watchdog: Watchdog::new(batch_timeout),
            prefetch: IN_FLIGHT_PER_WORKER,
        };
        for _ in 0..n {
            ex.spawn()?;
        }
        Ok(ex)
    }

    /// Keeps `prefetch` batches in flight per worker (default 2).
    pub fn with_prefetch(mut self, prefetch: usize) -> ProcessExecutor {
        self.prefetch = prefetch.max(1);
        self
    }

    /// Serves the next segment with the same processes: its setup goes to `n` live workers
    /// (more are spawned if fewer are alive), the others stay idle; the watchdog starts
    /// afresh. Call after [`ProcessExecutor::end_segment`].
    pub fn serve(
        &mut self,
        setup: Arc<SearchSetup>,
        n: usize,
        batch_timeout: Duration,
        prefetch: usize,
    ) -> Result<(), String> {
        self.setup = setup;
        self.size = n;
        self.prefetch = prefetch.max(1);
        self.watchdog = Watchdog::new(batch_timeout);
        let mut serving = 0;
        for (idx, w) in self.workers.iter_mut().enumerate() {
            w.serving = w.alive && serving < n;
            if !w.serving {
                continue;
            }
            serving += 1;
            let stdin = w.stdin.as_mut().expect("live workers have stdin");
            w.setup_sent = Instant::now();
            w.warm = true;
            w.setup_seconds = None;
            w.row.started_at = now();
            if let Err(e) = write_frame(stdin, &ToWorker::Setup(Box::new((*self.setup).clone()))) {
                // Its reader reports the loss; dispatch replaces it.
                tracing::warn!("cannot send the next setup to worker {idx}: {e}");
            }
        }
        for _ in serving..n {
            self.spawn()?;
        }
        Ok(())
    }

    /// Closes the current segment's telemetry and keeps the processes: one row per worker that
    /// served it (or died during it), with the specs, busy time and CPU of this segment only
    /// and the peak RSS so far; counters start again for the next segment.
    pub fn end_segment(&mut self) -> Vec<WorkerRow> {
        for w in self.workers.iter_mut().filter(|w| w.alive && w.serving) {
            w.usage = None;
            if let Some(stdin) = w.stdin.as_mut() {
                // A worker that cannot be asked is dying: its reader reports it below.
                write_frame(stdin, &ToWorker::Report).ok();
            }
        }
        let deadline = Instant::now() + GRACE;
        while self
            .workers
            .iter()
            .any(|w| w.alive && w.serving && w.usage.is_none())
        {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self.rx.recv_timeout(left) {
                Ok((idx, Incoming::Frame(FromWorker::Usage { usage }))) => {
                    self.workers[idx as usize].usage = Some(usage);
                }
                Ok((idx, Incoming::Frame(FromWorker::Ready { .. }))) => {
                    self.note_ready(idx);
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
        let ended = now();
        let mut rows = Vec::new();
        for w in self.workers.iter_mut() {
            if w.reported || !w.serving {
                continue;
            }
            let mut row = w.row.clone();
            if let Some(u) = w.usage {
                row.user_cpu_seconds = Some(u.user_seconds - w.usage_base.user_seconds);
                row.sys_cpu_seconds = Some(u.sys_seconds - w.usage_base.sys_seconds);
                row.max_rss_kb = Some(u.max_rss_kb);
                w.usage_base = u;
            }
            if w.alive {
                row.ended_at = Some(ended.clone());
                row.exit_status = Some("ok".into());
                w.row.specs = 0;
                w.row.busy_seconds = 0.0;
                w.row.started_at = ended.clone();
            } else {
                w.reported = true;
            }
            rows.push(row);
        }
        rows
    }

    /// What setting each worker up for the current segment took (workers that said `Ready`).
    pub fn setups(&self) -> Vec<WorkerSetup> {
        self.workers
            .iter()
            .enumerate()
            .filter(|(_, w)| w.serving)
            .filter_map(|(idx, w)| {
                w.setup_seconds.map(|setup_seconds| WorkerSetup {
                    worker: idx as u32,
                    pid: Some(w.child.id()),
                    setup_seconds,
                    warm: w.warm,
                })
            })
            .collect()
    }

    /// Records a worker's `Ready`: the end of its setup.
    fn note_ready(&mut self, idx: u32) {
        let w = &mut self.workers[idx as usize];
        if w.setup_seconds.is_none() {
            w.setup_seconds = Some(w.setup_sent.elapsed().as_secs_f64());
        }
    }

    fn spawn(&mut self) -> Result<u32, String> {
        let idx = self.workers.len() as u32;
        let setup_sent = Instant::now();
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
            clock: Clock::Idle,
            serving: true,
            usage_base: Usage::default(),
            setup_sent,
            warm: false,
            setup_seconds: None,
            reported: false,
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

    /// Applies the watchdog to every worker; reports the first worker it starts stopping.
    fn check_deadlines(&mut self) -> Option<Event> {
        let now = Instant::now();
        let mut stalled = None;
        for (idx, w) in self.workers.iter_mut().enumerate() {
            if !w.alive {
                continue;
            }
            let Some(front) = w.in_flight.front() else {
                continue;
            };
            let deadline = self.watchdog.deadline(front.len());
            let (action, clock) = w.clock.check(now, deadline);
            w.clock = clock;
            match action {
                Action::None => {}
                Action::Terminate { waited } => {
                    tracing::warn!(
                        "worker {idx} (pid {}) has not finished its batch of {} specs in {:.0} s \
                         (deadline {:.0} s): stopping it; its specs are re-run one by one",
                        w.child.id(),
                        front.len(),
                        waited.as_secs_f64(),
                        deadline.as_secs_f64()
                    );
                    w.signal_group(Signal::SIGTERM);
                    stalled.get_or_insert(Event::Stalled {
                        worker: idx as u32,
                        pid: w.child.id(),
                        waited,
                        deadline,
                    });
                }
                Action::Kill => {
                    tracing::warn!(
                        "worker {idx} (pid {}) ignored SIGTERM for {} s: killing its process group",
                        w.child.id(),
                        GRACE.as_secs()
                    );
                    w.signal_group(Signal::SIGKILL);
                }
            }
        }
        stalled
    }

    /// SIGKILLs every live worker's process group and reaps it.
    fn kill_all(&mut self, why: &str) {
        for w in self.workers.iter_mut().filter(|w| w.alive) {
            w.signal_group(Signal::SIGKILL);
            Self::reap(w);
            w.row.exit_status = Some(why.to_string());
        }
    }

    fn rows(&mut self) -> Vec<WorkerRow> {
        std::mem::take(&mut self.workers)
            .into_iter()
            .filter(|w| !w.reported && w.serving)
            .map(|w| {
                let mut row = w.row;
                if let Some(u) = w.usage {
                    // This segment's share: a warm worker's earlier segments are reported.
                    row.user_cpu_seconds = Some(u.user_seconds - w.usage_base.user_seconds);
                    row.sys_cpu_seconds = Some(u.sys_seconds - w.usage_base.sys_seconds);
                    row.max_rss_kb = Some(u.max_rss_kb);
                }
                row
            })
            .collect()
    }
}

impl Executor for ProcessExecutor {
    fn try_submit(&mut self, batch: Batch) -> Result<Option<Batch>, String> {
        let slot = self
            .workers
            .iter()
            .enumerate()
            .filter(|(_, w)| {
                w.alive
                    && w.serving
                    && w.in_flight.len() < self.prefetch
                    && w.clock.timed_out().is_none()
            })
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
        if w.in_flight.is_empty() {
            w.clock = Clock::Running(Instant::now());
        }
        w.in_flight.push_back(batch);
        if write_frame(stdin, &msg).is_err() {
            // The worker is dying; its reader will report the loss with this batch.
        }
        Ok(None)
    }

    fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        if let Some(stalled) = self.check_deadlines() {
            return Some(stalled);
        }
        let (idx, incoming) = match self.rx.recv_timeout(timeout) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
        };
        let w = &mut self.workers[idx as usize];
        match incoming {
            Incoming::Frame(FromWorker::Ready { .. }) => {
                self.note_ready(idx);
                None
            }
            Incoming::Frame(FromWorker::Usage { usage }) => {
                self.workers[idx as usize].usage = Some(usage);
                None
            }
            Incoming::Frame(FromWorker::Done {
                id,
                block,
                busy_seconds,
            }) => {
                let pos = w.in_flight.iter().position(|b| b.id == id)?;
                let batch = w.in_flight.remove(pos).expect("position is valid");
                w.row.specs += block.len();
                w.row.busy_seconds += busy_seconds;
                self.watchdog.observe(batch.len(), busy_seconds);
                if w.clock.timed_out().is_none() {
                    w.clock = if w.in_flight.is_empty() {
                        Clock::Idle
                    } else {
                        Clock::Running(Instant::now())
                    };
                }
                Some(Event::Done {
                    worker: idx,
                    batch,
                    block,
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
                let mut status = Self::reap(w);
                let timed_out = w.clock.timed_out().map(|d| d.as_secs());
                if let Some(secs) = timed_out {
                    status = format!("timed out after {secs} s ({status})");
                    w.row.exit_status = Some(status.clone());
                }
                let batches: Vec<Batch> = w.in_flight.drain(..).collect();
                Some(Event::Lost {
                    worker: idx,
                    status,
                    timed_out,
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
        // Collect the goodbyes (with resource usage); a worker that does not answer within the
        // grace period is killed, and every child is reaped: no zombies.
        let deadline = Instant::now() + GRACE;
        while self.workers.iter().any(|w| w.alive) {
            let left = deadline.saturating_duration_since(Instant::now());
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
        self.kill_all("killed at shutdown (no answer)");
        self.rows()
    }

    fn kill(mut self: Box<Self>) -> Vec<WorkerRow> {
        self.kill_all("killed: the run was stopped before its batches finished");
        self.rows()
    }

    fn stalled(&self) -> usize {
        self.workers
            .iter()
            .filter(|w| w.alive && w.clock.timed_out().is_some())
            .count()
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
            w.signal_group(Signal::SIGKILL);
            w.child.wait().ok();
        }
    }
}
