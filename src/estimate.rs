//! What a search will cost before it is run: the spec count, the sizes of what it writes
//! (features.f64, features.duckdb, the journal) and its wall time, from a timed sample of real
//! evaluations journaled through the real writer into a scratch journal. `plan` prints it;
//! `run` refuses a search whose figures exceed the machine or the configured limits (unless
//! `--yes`), before anything is written.

use std::time::Instant;

use anyhow::Result;

use crate::journal::{
    BlockRange, FlushPolicy, JournalRw, JournalWriter, NewRun, OutcomeBlock, OutcomeStatus,
};
use crate::resources;
use crate::runtime::context::{EvalContext, EvalScratch, Transport};
use crate::session::Session;

/// Journal bytes of a filtered outcome (its code in a block, and its share of the block row and
/// the run's plan), measured on the PPNR search (see BENCHMARKS.md).
const BYTES_PER_OUTCOME: f64 = 1.2;
/// Journal bytes of a passed model (outcome row plus its JSON detail).
const BYTES_PER_PASSED: f64 = 1600.0;
/// features.duckdb bytes per frozen value (long format, compressed) and its fixed part.
const STORE_BYTES_PER_VALUE: f64 = 16.0;
const STORE_FIXED_BYTES: f64 = 4e6;
/// Coordinator CPU per outcome besides the journal: frame decoding, dispatch (µs; the
/// `coordinator` benchmark).
const DISPATCH_US: f64 = 0.01;

/// The figures of one search on this machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub specs: u64,
    pub matrix_bytes: u64,
    pub store_bytes: u64,
    pub journal_bytes: u64,
    /// Sampled specs, and how many of them passed.
    pub sampled: u64,
    pub sampled_passed: u64,
    /// Mean evaluation time per spec on one core (µs).
    pub eval_us: f64,
    /// Mean journal writer time per outcome (µs).
    pub journal_us: f64,
    pub workers: usize,
    pub cores: usize,
    /// Projected wall time of evaluating every spec.
    pub seconds: f64,
}

impl Estimate {
    /// Measures the session's search: `sample` specs spread over the space (in short
    /// contiguous runs, as workers see them), evaluated and journaled, then projected to every
    /// spec on `workers` workers. Quick: for the guard every `run` passes.
    pub fn measure(session: &Session, workers: usize, sample: u64) -> Result<Estimate> {
        Estimate::measure_for(session, workers, sample, std::time::Duration::ZERO)
    }

    /// As [`Estimate::measure`], and more samples (shifted along each stride, so new specs)
    /// until the evaluation has taken at least `at_least`: a sample of a few milliseconds is at
    /// the mercy of one preemption on a busy machine, one of a few hundred shows its load.
    pub fn measure_for(
        session: &Session,
        workers: usize,
        sample: u64,
        at_least: std::time::Duration,
    ) -> Result<Estimate> {
        let b = &session.built.bundle;
        let specs = session.plan.space.count();
        let matrix_bytes = (b.n_rows() * b.catalogue.len() * 8) as u64;
        let store_bytes = (b.n_rows() as f64 * b.catalogue.len() as f64 * STORE_BYTES_PER_VALUE
            + STORE_FIXED_BYTES) as u64;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let mut e = Estimate {
            specs,
            matrix_bytes,
            store_bytes,
            journal_bytes: 0,
            sampled: 0,
            sampled_passed: 0,
            eval_us: 0.0,
            journal_us: 0.0,
            workers: workers.max(1),
            cores,
            seconds: 0.0,
        };
        if specs == 0 || sample == 0 {
            return Ok(e);
        }
        let ctx = EvalContext::from_matrix(&session.setup(Transport::Duckdb), &b.matrix())?;
        let n = sample.min(specs);
        const RUN: u64 = 16;
        let runs = n.div_ceil(RUN);
        let stride = (specs / runs).max(1);
        // Round r: the r-th run of RUN indices of every stride (round 0 starts each stride).
        let round = |r: u64| -> Vec<(u64, u64)> {
            (0..runs)
                .map(|k| (k * stride + r * RUN, ((k + 1) * stride).min(specs)))
                .filter(|&(start, end)| start < end)
                .map(|(start, end)| (start, (start + RUN).min(end)))
                .collect()
        };
        let mut scratch = EvalScratch::default();
        let mut blocks: Vec<OutcomeBlock> = Vec::new();
        // One untimed pass warms caches and the evaluator's cached cut-offs.
        ctx.evaluate(&round(0)[..1], &mut scratch)?;
        let started = Instant::now();
        let mut r = 0;
        loop {
            blocks.push(ctx.evaluate(&round(r), &mut scratch)?);
            r += 1;
            if started.elapsed() >= at_least || r * RUN >= stride {
                break;
            }
        }
        let sampled: u64 = blocks.iter().map(OutcomeBlock::len).sum();
        e.eval_us = started.elapsed().as_secs_f64() * 1e6 / sampled as f64;
        e.sampled = sampled;
        e.sampled_passed = blocks.iter().map(|b| b.count(OutcomeStatus::Passed)).sum();
        e.journal_us = journal_cost(session, blocks)?;
        let pass_share = e.sampled_passed as f64 / sampled as f64;
        e.journal_bytes = (specs as f64
            * (BYTES_PER_OUTCOME * (1.0 - pass_share) + BYTES_PER_PASSED * pass_share))
            as u64;
        e.seconds = e.project(specs);
        Ok(e)
    }

    /// Wall seconds for `specs` specs: the workers' evaluation and the coordinator's journal
    /// and dispatch share the cores; whichever is the bottleneck sets the pace.
    pub fn project(&self, specs: u64) -> f64 {
        let coordinator = self.journal_us + DISPATCH_US;
        let workers = self.workers.min(self.cores).max(1) as f64;
        let per_spec = ((self.eval_us + coordinator) / self.cores as f64)
            .max(self.eval_us / workers)
            .max(coordinator);
        specs as f64 * per_spec * 1e-6
    }
}

/// Journal writer time per outcome (µs): the sampled outcomes written through the real writer
/// into a scratch journal, as a run writes them (consecutive blocks of a batch's size: the
/// sample's specs are scattered over the space, a run's batches are not). A quarter of them
/// first, untimed: opening the journal and its first pages are a fixed cost that a run pays
/// once, and over a small sample it would count several times the real per-spec cost.
fn journal_cost(session: &Session, sampled: Vec<OutcomeBlock>) -> Result<f64> {
    // The sample laid out on indices 0, 1, …: codes in order, details re-indexed.
    let mut codes = Vec::new();
    let mut details = Vec::new();
    let mut tally = Vec::new();
    for b in sampled {
        let mut position = codes.len() as u64;
        let mut index_of = Vec::with_capacity(b.codes.len());
        for r in &b.ranges {
            for i in r.start..r.end {
                index_of.push((i, position));
                position += 1;
            }
        }
        for mut d in b.details {
            let at = index_of.partition_point(|&(i, _)| i < d.spec_index);
            d.spec_index = index_of[at].1;
            details.push(d);
        }
        codes.extend(b.codes);
        tally.extend(b.tally);
    }
    let total = codes.len();
    let batch = session.config.file.run.batch_size.max(1);
    let mut blocks: Vec<OutcomeBlock> = Vec::new();
    for (k, chunk) in codes.chunks(batch).enumerate() {
        let start = (k * batch) as u64;
        let end = start + chunk.len() as u64;
        blocks.push(OutcomeBlock {
            ranges: vec![BlockRange {
                start,
                end,
                eval_us: 0,
            }],
            codes: chunk.to_vec(),
            details: details
                .iter()
                .filter(|d| (start..end).contains(&d.spec_index))
                .cloned()
                .collect(),
            tally: if k == 0 { tally.clone() } else { Vec::new() },
        });
    }
    let warm_up = blocks.len() / 4;
    let timed_specs: usize = blocks[warm_up..].iter().map(|b| b.codes.len()).sum();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("estimate.sqlite");
    let journal = JournalRw::open(&path)?;
    let b = &session.built.bundle;
    let run_id = journal.create_run(&NewRun {
        name_stem: "estimate",
        config_path: "",
        config_text: "",
        search_hash: session.bundle_hash(),
        bundle_hash: session.bundle_hash(),
        target: &b.catalogue.columns[0].name,
        frequency: &b.frequency.to_string(),
        target_stationary: session.built.target_pretest.stationary,
        has_out_of_sample: b.sample.n_oos() > 0,
        features: &session.run_features(),
        space: &session.plan.space,
        record_plan: false,
    })?;
    // A scratch run: the guard only numbers the session (the directory goes with `dir`).
    let (mut guard, _) = journal.begin_run(run_id)?;
    let session_id = guard.start_session("serial", "duckdb", 1)?;
    let writer = JournalWriter::spawn(&path, run_id, FlushPolicy::default())?;
    let mut blocks = blocks.into_iter();
    for b in blocks.by_ref().take(warm_up) {
        writer.send(session_id, 0, b)?;
    }
    writer.flush()?;
    let started = Instant::now();
    for b in blocks {
        writer.send(session_id, 0, b)?;
    }
    writer.flush()?;
    let seconds = started.elapsed().as_secs_f64();
    writer.finish()?;
    debug_assert!(total >= timed_specs);
    Ok(seconds * 1e6 / timed_specs.max(1) as f64)
}

/// Limits a run must stay within, unless the user says `--yes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Longest estimated run accepted (hours; `run.max_hours`).
    pub max_hours: f64,
    /// Most specs accepted (`run.max_specs`; 0 = no limit).
    pub max_specs: u64,
}

impl Estimate {
    /// Why a run of `pending` specs should not start here (empty: nothing to object to).
    /// `workspace` is where the stores go; `fresh_store` whether the bundle is still to write.
    pub fn objections(
        &self,
        pending: u64,
        workspace: &std::path::Path,
        fresh_store: bool,
        limits: &Limits,
    ) -> Vec<String> {
        let mut out = Vec::new();
        if limits.max_specs > 0 && self.specs > limits.max_specs {
            out.push(format!(
                "the search has {} specs, more than run.max_specs = {}",
                self.specs, limits.max_specs
            ));
        }
        let seconds = self.project(pending);
        if seconds > limits.max_hours * 3600.0 {
            out.push(format!(
                "evaluating {pending} specs would take about {} on {} worker(s) ({:.1} µs per \
                 spec measured on a sample of {}), longer than run.max_hours = {}",
                resources::duration(seconds),
                self.workers,
                self.eval_us,
                self.sampled,
                limits.max_hours
            ));
        }
        let store = if fresh_store {
            self.matrix_bytes + self.store_bytes
        } else {
            0
        };
        let journal =
            (self.journal_bytes as f64 * pending as f64 / self.specs.max(1) as f64) as u64;
        if let Some(free) = resources::free_disk(workspace) {
            if store + journal > free / 2 {
                out.push(format!(
                    "it would write about {} (features {} + journal {}) to {}, which has {} \
                     free: more than half of it",
                    resources::bytes(store + journal),
                    resources::bytes(store),
                    resources::bytes(journal),
                    workspace.display(),
                    resources::bytes(free)
                ));
            }
        }
        if let Some(available) = resources::available_memory() {
            // Each worker holds the frozen columns (and their Gram) unless they share an mmap.
            let per_worker = self.matrix_bytes * 2;
            if per_worker * self.workers as u64 > available {
                out.push(format!(
                    "{} worker(s) would need about {} of memory each, and {} is available",
                    self.workers,
                    resources::bytes(per_worker),
                    resources::bytes(available)
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(eval_us: f64, journal_us: f64, workers: usize, cores: usize) -> Estimate {
        Estimate {
            specs: 1_000_000,
            matrix_bytes: 0,
            store_bytes: 0,
            journal_bytes: 0,
            sampled: 2000,
            sampled_passed: 0,
            eval_us,
            journal_us,
            workers,
            cores,
            seconds: 0.0,
        }
    }

    #[test]
    fn the_projection_is_set_by_whichever_of_cpu_workers_and_journal_is_the_bottleneck() {
        // Two cores shared by workers and the coordinator: (10 + 5 + 0.01) µs of CPU per spec
        // over 2 cores = 7.505 µs per spec, more than the workers alone (10 / 2) or the
        // coordinator alone (5.01).
        assert_eq!(DISPATCH_US, 0.01);
        let e = measured(10.0, 5.0, 2, 2);
        assert!((e.project(1_000_000) - 7.505).abs() < 1e-9);
        // One worker: it alone takes 10 µs per spec.
        let e = measured(10.0, 5.0, 1, 2);
        assert!((e.project(1_000_000) - 10.0).abs() < 1e-9);
        // A journal slower than the evaluation: the one writer thread sets the pace.
        let e = measured(2.0, 30.0, 8, 8);
        assert!((e.project(1_000_000) - 30.01).abs() < 1e-9);
        // Proportional to the specs.
        assert!((e.project(2_000_000) - 60.02).abs() < 1e-9);
    }
}
