//! Dispatch: which spec indices still need an outcome, cutting them into batches, keeping every
//! executor slot busy (at most two batches in flight per worker), moving finished records to
//! the journal writer, isolating specs that crash workers, and telling the progress display.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use tracing::{info, warn};

pub use super::progress::Progress;

use super::executor::{Batch, Event, Executor};
use super::signals;
use crate::journal::{
    BlockBuilder, EventKind, JournalWriter, OutcomeBlock, OutcomeCode, OutcomeRecord,
    OutcomeStatus, SessionEvent,
};
use crate::plan;

/// Crashes tolerated per session before the run is abandoned as hopeless.
const MAX_CRASHES: usize = 32;

/// Cuts pending ranges into batches of at most `size` specs, lazily.
pub struct BatchSource {
    ranges: VecDeque<(u64, u64)>,
    size: u64,
    next_id: u64,
}

impl BatchSource {
    pub fn new(ranges: Vec<(u64, u64)>, size: u64) -> BatchSource {
        BatchSource {
            ranges: ranges.into(),
            size,
            next_id: 0,
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn next(&mut self) -> Option<Batch> {
        let mut ranges = Vec::new();
        let mut room = self.size;
        while room > 0 {
            let Some((a, b)) = self.ranges.pop_front() else {
                break;
            };
            let take = (b - a).min(room);
            ranges.push((a, a + take));
            room -= take;
            if a + take < b {
                self.ranges.push_front((a + take, b));
            }
        }
        (!ranges.is_empty()).then(|| Batch {
            id: self.next_id(),
            ranges,
        })
    }
}

pub struct Dispatch {
    pub batches: BatchSource,
    /// Batches to run again (after a crash), before new ones.
    pub retry: VecDeque<Batch>,
    pub crash_counts: HashMap<u64, u8>,
    pub crashes: usize,
    pub evaluated: u64,
    pub passed: u64,
    pub errors: u64,
    /// Stopped with batches still in flight (a drain that ran out of time, a second Ctrl-C):
    /// the executor must be killed, not shut down.
    pub abandoned: bool,
    /// Hybrid scheduling: fresh batches pass the coordinator's screen first.
    pub screen: Option<super::screen::Screen>,
    /// The tests' pause point for this dispatch (`faults::pause_point_for`).
    pub pause: Option<&'static super::faults::PausePoint>,
}

impl Dispatch {
    /// Counts a block's outcomes (the progress line's figures): passed and error outcomes are
    /// the block's full records, so the cost is per record, not per spec.
    fn count(&mut self, block: &OutcomeBlock) {
        self.evaluated += block.len();
        for d in &block.details {
            match d.status {
                OutcomeStatus::Passed => self.passed += 1,
                OutcomeStatus::Error => self.errors += 1,
                OutcomeStatus::Filtered => {}
            }
        }
    }
}

pub fn dispatch(
    d: &mut Dispatch,
    ex: &mut dyn Executor,
    writer: &JournalWriter,
    session_id: i64,
    plan: &plan::Plan,
    progress: &Progress,
    drain_timeout: Duration,
) -> Result<()> {
    let mut held: Option<Batch> = None;
    let mut pause = d.pause;
    let mut stop_seen: Option<Instant> = None;
    let event = |worker: Option<u32>, kind: EventKind, detail: String| {
        writer.event(SessionEvent {
            session_id,
            worker,
            kind,
            detail,
        })
    };
    loop {
        if signals::stop_requested() {
            let since = match stop_seen {
                Some(t) => t,
                None => {
                    let now = Instant::now();
                    stop_seen = Some(now);
                    let detail = format!(
                        "{} received: draining {} batch(es) in flight (at most {} s)",
                        signals::stop_signal_name(),
                        ex.in_flight(),
                        drain_timeout.as_secs()
                    );
                    if ex.in_flight() > 0 {
                        info!("{detail}; Ctrl-C again to stop at once");
                    }
                    event(None, EventKind::StopRequested, detail)?;
                    now
                }
            };
            let out_of_time = since.elapsed() >= drain_timeout;
            if ex.in_flight() > 0 && (out_of_time || signals::stop_now()) {
                let detail = format!(
                    "{} batch(es) abandoned {}",
                    ex.in_flight(),
                    if signals::stop_now() {
                        "on a second signal".to_string()
                    } else {
                        format!("after waiting {} s", drain_timeout.as_secs())
                    }
                );
                warn!("{detail}: their specs stay pending, the next run evaluates them");
                event(None, EventKind::DrainTimeout, detail)?;
                d.abandoned = true;
                return Ok(());
            }
        }
        if !signals::stop_requested() {
            // Fill every free slot.
            while let Some(batch) = match held.take().or_else(|| d.retry.pop_front()) {
                Some(b) => Some(b),
                None => next_fresh(d, writer, session_id)?,
            } {
                if let Some(back) = ex.try_submit(batch).map_err(anyhow::Error::msg)? {
                    held = Some(back);
                    break;
                }
            }
        }
        if ex.in_flight() == 0 {
            if signals::stop_requested() || (held.is_none() && d.retry.is_empty()) {
                return Ok(());
            }
            continue;
        }
        let Some(next) = ex.next_event(Duration::from_millis(200)) else {
            progress.tick(d.evaluated, d.passed, d.errors, ex.stalled());
            continue;
        };
        match next {
            Event::Done { worker, block, .. } => {
                d.count(&block);
                writer.send(session_id, worker, block)?;
                progress.tick(d.evaluated, d.passed, d.errors, ex.stalled());
                if let Some(p) = pause.filter(|p| d.evaluated >= p.after) {
                    writer.flush()?;
                    p.wait(d.evaluated);
                    pause = None;
                }
            }
            Event::Fatal(message) => bail!("a worker cannot evaluate specs: {message}"),
            Event::Stalled {
                worker,
                pid,
                waited,
                deadline,
            } => {
                event(
                    Some(worker),
                    EventKind::WorkerStalled,
                    format!(
                        "worker {worker} (pid {pid}) gave no answer for {:.0} s (deadline {:.0} s): \
                         stopping it",
                        waited.as_secs_f64(),
                        deadline.as_secs_f64()
                    ),
                )?;
                progress.tick(d.evaluated, d.passed, d.errors, ex.stalled());
            }
            Event::Lost {
                worker,
                status,
                timed_out,
                batches,
            } => {
                d.crashes += 1;
                warn!(
                    "worker {worker} died ({status}); re-queueing its {} batch(es)",
                    batches.len()
                );
                event(
                    Some(worker),
                    EventKind::WorkerLost,
                    format!("{status}; {} batch(es) re-queued", batches.len()),
                )?;
                let cause = match timed_out {
                    // Not the spec's verdict: the next `run` evaluates it again (`forget_timeouts`).
                    Some(secs) => format!("{}{secs} s", crate::journal::TIMEOUT_MESSAGE_PREFIX),
                    None => format!("worker crashed: {status}"),
                };
                if d.crashes > MAX_CRASHES {
                    bail!(
                        "{} worker crashes in this session: giving up (last: {status})",
                        d.crashes
                    );
                }
                // A worker evaluates its batches in order, so only the first was running when
                // it died: its specs are suspects, re-run one by one so that a second crash
                // names the spec. The others never started and go back unchanged.
                let mut lost = batches.into_iter();
                let mut isolated = Vec::new();
                if let Some(running) = lost.next() {
                    let single = running.len() == 1;
                    for (s, e) in running.ranges {
                        for index in s..e {
                            let count = d.crash_counts.entry(index).or_insert(0);
                            *count += 1;
                            if single && *count >= 2 {
                                // This spec alone killed two workers: journal it as an error.
                                let mut spec = Vec::new();
                                plan.space.spec_at(index, &mut spec)?;
                                let error = OutcomeCode::new(OutcomeStatus::Error, None, None);
                                let record = OutcomeRecord {
                                    spec_index: index,
                                    status: OutcomeStatus::Error,
                                    failed_test: None,
                                    features: spec.clone(),
                                    r2: None,
                                    message: Some(cause.clone()),
                                    eval_us: 0,
                                    passed: None,
                                    mutations: Vec::new(),
                                };
                                let mut block = BlockBuilder::default();
                                block.push(index, error, &spec, 0, Some(record));
                                let block = block.finish();
                                d.count(&block);
                                writer.send(session_id, worker, block)?;
                            } else {
                                isolated.push((index, index + 1));
                            }
                        }
                    }
                }
                for b in lost.rev() {
                    d.retry.push_front(b);
                }
                for r in isolated {
                    let id = d.batches.next_id();
                    d.retry.push_back(Batch {
                        id,
                        ranges: vec![r],
                    });
                }
                if !signals::stop_requested() {
                    ex.replace(worker).map_err(anyhow::Error::msg)?;
                }
            }
        }
    }
}

/// The next batch of never-tried specs: through the screen when there is one (its decided
/// outcomes go straight to the journal), skipping batches it decides entirely.
fn next_fresh(d: &mut Dispatch, writer: &JournalWriter, session_id: i64) -> Result<Option<Batch>> {
    if d.screen.is_none() {
        return Ok(d.batches.next());
    }
    while let Some(batch) = d.batches.next() {
        let screen = d.screen.as_mut().expect("checked above");
        let (decided, rest) = screen.split(batch);
        if !decided.is_empty() {
            d.count(&decided);
            writer.send(session_id, super::screen::SCREEN_WORKER, decided)?;
        }
        if rest.is_some() {
            return Ok(rest);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_ranges_in_order_without_overlap() {
        let mut src = BatchSource::new(vec![(0, 3), (5, 12)], 4);
        let mut all = Vec::new();
        while let Some(b) = src.next() {
            assert!(b.len() <= 4);
            for (s, e) in b.ranges {
                all.extend(s..e);
            }
        }
        assert_eq!(all, vec![0, 1, 2, 5, 6, 7, 8, 9, 10, 11]);
    }
}
