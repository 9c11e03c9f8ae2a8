//! The warm pool (docs/architecture.md, seed step 8): the worker processes of one invocation,
//! started for the first segment that needs them and kept for every later one. A worker receives
//! the next segment's setup and keeps its process, so spawning, exec and the dynamic loader are
//! paid once per worker instead of once per worker and segment (BENCHMARKS.md measures both).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::context::SearchSetup;
use super::process::ProcessExecutor;
use crate::journal::WorkerRow;
use crate::journal::WorkerSetup;

/// The process executor shared by the segments of an invocation (none until one needs it).
#[derive(Default)]
pub struct WarmPool {
    executor: Option<Box<ProcessExecutor>>,
}

impl WarmPool {
    /// Makes the pool serve `setup` with `workers` workers (`prefetch` batches each, a
    /// watchdog floor of `batch_timeout`): the processes already running get the new setup,
    /// missing ones are spawned. A pool that cannot be set up is killed (the caller falls back
    /// to serial).
    pub fn serve(
        &mut self,
        exe: PathBuf,
        setup: Arc<SearchSetup>,
        workers: usize,
        batch_timeout: Duration,
        prefetch: usize,
    ) -> Result<(), String> {
        let result = match self.executor.as_mut() {
            Some(ex) => ex.serve(setup, workers, batch_timeout, prefetch),
            None => ProcessExecutor::new(exe, setup, workers, batch_timeout)
                .map(|ex| self.executor = Some(Box::new(ex.with_prefetch(prefetch)))),
        };
        if result.is_err() {
            self.kill();
        }
        result
    }

    /// The pool's executor; only after a successful [`WarmPool::serve`].
    pub fn executor(&mut self) -> &mut ProcessExecutor {
        self.executor
            .as_deref_mut()
            .expect("the pool serves a segment")
    }

    /// What setting each worker up for the current segment cost.
    pub fn setups(&self) -> Vec<WorkerSetup> {
        self.executor
            .as_ref()
            .map(|ex| ex.setups())
            .unwrap_or_default()
    }

    /// Closes the current segment's telemetry; the workers stay for the next segment.
    pub fn end_segment(&mut self) -> Vec<WorkerRow> {
        self.executor
            .as_mut()
            .map(|ex| ex.end_segment())
            .unwrap_or_default()
    }

    /// Stops every worker (they answer with their resource usage) and returns the current
    /// segment's telemetry.
    pub fn shutdown(&mut self) -> Vec<WorkerRow> {
        use super::executor::Executor;
        self.executor
            .take()
            .map(|ex| ex.shutdown())
            .unwrap_or_default()
    }

    /// Kills every worker at once (a stop that abandons in-flight batches).
    pub fn kill(&mut self) -> Vec<WorkerRow> {
        use super::executor::Executor;
        self.executor.take().map(|ex| ex.kill()).unwrap_or_default()
    }
}
