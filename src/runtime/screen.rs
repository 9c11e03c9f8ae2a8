//! Hybrid scheduling (docs/architecture.md, seed step 8): the coordinator screens each fresh batch
//! with the cheap first stage of the kernel — rank and R² against `filters.min_r2`, computed from
//! the Gram matrix and one residual pass by exactly the code a worker runs — journals the outcomes
//! that stage decides itself, and sends only the remaining specs to the pool. Outcomes are
//! identical with and without it (`tests/it/segments.rs`); whether it is faster depends on how many
//! specs fail at R² and on whether the coordinator has a core of its own (see BENCHMARKS.md: off by
//! default).

use std::sync::Arc;
use std::time::Instant;

use super::context::{EvalContext, EvalScratch};
use super::executor::Batch;
use crate::journal::now;
use crate::journal::OutcomeBlock;
use crate::journal::WorkerRow;

/// The worker number the screen's outcomes and telemetry carry in the journal.
pub const SCREEN_WORKER: u32 = u32::MAX;

/// The coordinator's screen: an in-process context and its telemetry.
pub struct Screen {
    ctx: Arc<EvalContext>,
    scratch: EvalScratch,
    row: WorkerRow,
}

impl Screen {
    pub fn new(ctx: Arc<EvalContext>) -> Screen {
        Screen {
            ctx,
            scratch: EvalScratch::default(),
            row: WorkerRow {
                worker: SCREEN_WORKER,
                pid: Some(std::process::id()),
                started_at: now(),
                ..WorkerRow::default()
            },
        }
    }

    /// Screens `batch`: the outcomes decided here come back as a block (empty when none was),
    /// with what is left for the pool as a batch with the same id (`None` when the screen
    /// decided every spec).
    pub fn split(&mut self, batch: Batch) -> (OutcomeBlock, Option<Batch>) {
        let started = Instant::now();
        let mut rest = Vec::new();
        let decided = self.ctx.screen(&batch.ranges, &mut self.scratch, &mut rest);
        self.row.busy_seconds += started.elapsed().as_secs_f64();
        self.row.specs += decided.len();
        let rest = (!rest.is_empty()).then_some(Batch {
            id: batch.id,
            ranges: rest,
        });
        (decided, rest)
    }

    /// The screen's telemetry row (its CPU is part of the coordinator's).
    pub fn finish(mut self) -> WorkerRow {
        self.row.ended_at = Some(now());
        self.row.exit_status = Some("ok".into());
        self.row
    }
}
