//! Step 4 of a run: evaluate the pending spec indices on the chosen executor (the warm pool
//! for worker processes), with the hybrid screen when asked, and journal every outcome.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use tracing::{info, warn};

use super::Settings;
use crate::config;
use crate::journal::WorkerSetup;
use crate::journal::{FlushPolicy, JournalWriter};
use crate::journal::{RunRow, WorkerRow};
use crate::runtime::context::EvalContext;
use crate::runtime::dispatch::{dispatch, BatchSource, Dispatch};
use crate::runtime::executor::{Executor, SerialExecutor, ThreadExecutor};
use crate::runtime::faults;
use crate::runtime::pool::WarmPool;
use crate::runtime::progress::{Before, Progress};
use crate::runtime::protocol::usage;
use crate::runtime::screen::Screen;
use crate::session::Session;
use crate::spec::ranges;

/// What the evaluation phase did.
pub struct Evaluation {
    pub evaluated: u64,
    pub crashes: usize,
    pub workers: Vec<WorkerRow>,
    /// What setting each pool worker up for this search cost.
    pub setups: Vec<WorkerSetup>,
    pub fell_back_to_serial: Option<String>,
    pub wall_seconds: f64,
    /// CPU seconds of the coordinator and every worker process.
    pub cpu_seconds: f64,
    /// Of which the coordinator's (dispatch, journal writer; evaluation too in-process).
    pub coordinator_cpu_seconds: f64,
    /// Of which the journal writer thread's.
    pub writer_cpu_seconds: f64,
    /// Of which the worker processes'.
    pub worker_cpu_seconds: f64,
    /// Wall time the journal writer spent inside SQLite.
    pub writer_busy_seconds: f64,
    pub journal_rows_per_second: f64,
    /// Why dispatch stopped early (the outcomes journaled until then are committed).
    pub error: Option<anyhow::Error>,
}

/// What one session of a run evaluates.
pub struct Work<'a> {
    pub run: &'a RunRow,
    /// The session the outcomes are journaled under.
    pub session_id: i64,
    /// The spec index ranges without an outcome (of the shard, for a shard's run).
    pub pending: Vec<(u64, u64)>,
    /// What earlier sessions journaled, for the progress line.
    pub before: Before,
    /// The journal the outcomes go to.
    pub journal: &'a std::path::Path,
}

/// Evaluates the pending spec index ranges of `work` on the chosen executor and journals every
/// outcome; returns once every outcome is committed. The process executor is the warm `pool`:
/// its workers stay for the next segment when `keep_warm`, otherwise they exit here.
pub fn evaluate(
    session: &Session,
    settings: &Settings,
    work: Work<'_>,
    pool: &mut WarmPool,
    keep_warm: bool,
) -> Result<Evaluation> {
    let Work {
        run,
        session_id,
        pending,
        before,
        journal,
    } = work;
    let pending_count = ranges::count(&pending);
    let started = Instant::now();
    let cpu_before = usage(nix::sys::resource::UsageWho::RUSAGE_SELF);
    let setup = Arc::new(session.setup(settings.transport));
    let in_process = || -> Result<Arc<EvalContext>> { Ok(Arc::new(EvalContext::open(&setup)?)) };
    let mut owned: Option<Box<dyn Executor>> = None;
    let mut fell_back_to_serial = None;
    match settings.executor {
        config::Executor::Process if pending_count > 0 => {
            let exe = match &settings.worker_exe {
                Some(p) => p.clone(),
                None => std::env::current_exe().context("cannot locate the specsearch binary")?,
            };
            let served = pool.serve(
                exe,
                setup.clone(),
                settings.workers,
                settings.batch_timeout,
                settings.prefetch,
            );
            if let Err(why) = served {
                warn!("worker processes could not start ({why}); falling back to serial");
                owned = Some(Box::new(SerialExecutor::new(in_process()?)));
                fell_back_to_serial = Some(why);
            }
        }
        config::Executor::Thread if pending_count > 0 => {
            owned = Some(Box::new(
                ThreadExecutor::new(in_process()?, settings.workers)
                    .map_err(anyhow::Error::msg)?
                    .with_prefetch(settings.prefetch),
            ))
        }
        _ => owned = Some(Box::new(SerialExecutor::new(in_process()?))),
    }
    let pooled = owned.is_none();
    if settings.hybrid && !pooled && pending_count > 0 {
        info!("hybrid scheduling screens for worker processes only: off for this search");
    }
    let screen = if settings.hybrid && pooled {
        Some(Screen::new(in_process()?))
    } else {
        None
    };
    let writer = JournalWriter::spawn(journal, run.run_id, FlushPolicy::default())?;
    let progress = Progress::new(settings.progress, before.done + pending_count, before);
    let mut d = Dispatch {
        batches: BatchSource::new(pending, settings.batch_size),
        retry: VecDeque::new(),
        crash_counts: HashMap::new(),
        crashes: 0,
        evaluated: 0,
        passed: 0,
        errors: 0,
        abandoned: false,
        screen,
        pause: faults::pause_point_for(session.config.segment_name()),
    };
    let outcome = {
        let executor: &mut dyn Executor = match owned.as_mut() {
            Some(ex) => ex.as_mut(),
            None => pool.executor(),
        };
        dispatch(
            &mut d,
            executor,
            &writer,
            session_id,
            &session.plan,
            &progress,
            settings.drain_timeout,
        )
    };
    let stopped = d.abandoned || outcome.is_err();
    let (mut worker_rows, setups) = match owned {
        Some(ex) if stopped => (ex.kill(), Vec::new()),
        Some(ex) => (ex.shutdown(), Vec::new()),
        None => {
            let setups = pool.setups();
            let rows = if stopped {
                pool.kill()
            } else if keep_warm {
                pool.end_segment()
            } else {
                pool.shutdown()
            };
            (rows, setups)
        }
    };
    progress.finish();
    let stats = writer.finish()?;
    let cpu_after = usage(nix::sys::resource::UsageWho::RUSAGE_SELF);
    let coordinator_cpu = (cpu_after.user_seconds + cpu_after.sys_seconds)
        - (cpu_before.user_seconds + cpu_before.sys_seconds);
    // Threads and serial work are part of the coordinator's own usage.
    let worker_cpu: f64 = if pooled {
        worker_rows
            .iter()
            .map(|w| w.user_cpu_seconds.unwrap_or(0.0) + w.sys_cpu_seconds.unwrap_or(0.0))
            .sum()
    } else {
        0.0
    };
    // The screen's row (its CPU is the coordinator's).
    worker_rows.extend(d.screen.take().map(Screen::finish));
    Ok(Evaluation {
        evaluated: d.evaluated,
        crashes: d.crashes,
        workers: worker_rows,
        setups,
        fell_back_to_serial,
        wall_seconds: started.elapsed().as_secs_f64(),
        cpu_seconds: coordinator_cpu + worker_cpu,
        coordinator_cpu_seconds: coordinator_cpu,
        writer_cpu_seconds: stats.cpu.as_secs_f64(),
        worker_cpu_seconds: worker_cpu,
        writer_busy_seconds: stats.busy.as_secs_f64(),
        journal_rows_per_second: if stats.busy.as_secs_f64() > 0.0 {
            stats.specs as f64 / stats.busy.as_secs_f64()
        } else {
            0.0
        },
        error: outcome.err(),
    })
}
