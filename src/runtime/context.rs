//! What every evaluator (worker process, thread or the coordinator itself) needs: the setup
//! sent by the coordinator, and the read-only context built from it: the frozen matrix, the
//! spec space and the per-column precomputation of `assess`.
//!
//! Only metadata crosses the process boundary (the setup is a few kilobytes); the values come
//! from the frozen bundle through the chosen transport.
//!
//! Composite columns (ids after the frozen ones, see `features::composite`) are built here, per
//! spec, into per-evaluator scratch buffers from private copies of their source columns: the
//! frozen store is never written. A passed spec that uses composites reports each one as a
//! [`MutationRecord`] (name, definition, sha256 of its values over every date).

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::assess::{
    ColumnData, ColumnUnitRoot, Evaluator, EvaluatorOptions, ExtraColumn, FilterThresholds,
    Outcome, Scratch, Status, TargetData,
};
use crate::features::composite::CompositeDef;
use crate::journal::{
    BlockBuilder, MutationRecord, OutcomeBlock, OutcomeCode, OutcomeRecord, OutcomeStatus,
    PassedDetail, PassedRecord, INTERCEPT,
};
use crate::spec::{SpaceInput, SpecSpace};
use crate::store::FeatureMatrix;
use crate::workspace::Workspace;

/// How the frozen values reach an evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transport {
    Duckdb,
    Mmap,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Duckdb => "duckdb",
            Transport::Mmap => "mmap",
        }
    }
}

/// Per-column facts an evaluator needs besides the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSetup {
    pub name: String,
    pub expected_sign: i8,
    pub is_dummy: bool,
    pub dummy_group: Option<u32>,
    pub adf_p: Option<f64>,
    pub pp_p: Option<f64>,
}

/// Everything the coordinator tells an evaluator, once (built by `Session::setup`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSetup {
    pub workspace: PathBuf,
    pub bundle_hash: String,
    pub transport: Transport,
    /// In-sample rows `in_start..=in_end`, out-of-sample rows `in_end+1..=full_end`.
    pub in_start: usize,
    pub in_end: usize,
    pub full_end: usize,
    /// In-sample rows left out of every fit (`sample.outliers`, §9), ascending: the kernel sees
    /// the in-sample window without them.
    pub outliers: Vec<usize>,
    pub target_stationary: bool,
    /// Checksum of the frozen matrix's values; an evaluator refuses a matrix that differs.
    pub values_checksum: String,
    pub thresholds: FilterThresholds,
    /// Indexed by column id; column 0 is the target. Frozen columns only.
    pub columns: Vec<ColumnSetup>,
    /// Composite columns, ids `columns.len()..` in order.
    pub composites: Vec<CompositeDef>,
    pub space: SpaceInput,
}

/// A composite as an evaluator builds it: where its sources are in the private copies.
struct CompositeRuntime {
    def: CompositeDef,
    /// Offsets (in columns) of the two sources in `EvalContext::sources`.
    slots: [usize; 2],
}

/// The read-only evaluation context.
pub struct EvalContext {
    pub space: SpecSpace,
    pub evaluator: Evaluator,
    pub load_seconds: f64,
    /// Number of frozen columns (composite ids start here).
    n_frozen: u32,
    rows: usize,
    /// The in-sample window (outlier rows included) and, when there are outliers, the rows of
    /// the fit (the window without them); the kernel's in-sample rows are the fit rows.
    in_rows: std::ops::Range<usize>,
    fit_rows: Option<Vec<usize>>,
    oos_rows: std::ops::Range<usize>,
    composites: Vec<CompositeRuntime>,
    /// Private copies of every frozen column a composite reads, over every date.
    sources: Vec<f64>,
    /// sha256 of each composite's values over every date, computed on first need.
    hashes: Vec<OnceLock<String>>,
}

impl EvalContext {
    /// Opens the bundle through the setup's transport and builds the context.
    pub fn open(setup: &SearchSetup) -> anyhow::Result<EvalContext> {
        let started = Instant::now();
        let ws = Workspace {
            dir: setup.workspace.clone(),
        };
        let matrix = crate::freeze::open_matrix(&ws, setup.transport == Transport::Mmap)?;
        let found = matrix.checksum();
        anyhow::ensure!(
            found == setup.values_checksum,
            "the frozen values read through the {} transport differ from the data the run \
             was planned on (checksum {found}, expected {}): the store changed during the run; \
             run the same command again (it verifies and repairs the store first)",
            setup.transport.as_str(),
            setup.values_checksum
        );
        let mut ctx = EvalContext::from_matrix(setup, &matrix)?;
        ctx.load_seconds = started.elapsed().as_secs_f64();
        Ok(ctx)
    }

    /// Builds the context from a matrix already in hand.
    pub fn from_matrix(setup: &SearchSetup, matrix: &FeatureMatrix) -> anyhow::Result<EvalContext> {
        anyhow::ensure!(
            matrix.cols() == setup.columns.len(),
            "the frozen bundle has {} columns, the plan expects {}; re-run `specsearch freeze`",
            matrix.cols(),
            setup.columns.len()
        );
        let ins = setup.in_start..setup.in_end + 1;
        let oos = setup.in_end + 1..setup.full_end + 1;
        // With outliers, the in-sample values are gathered from the fit rows (the window
        // without them): the kernel never sees an outlier row, as if it did not exist.
        let fit_rows: Option<Vec<usize>> = (!setup.outliers.is_empty()).then(|| {
            ins.clone()
                .filter(|r| setup.outliers.binary_search(r).is_err())
                .collect()
        });
        let gathered: Vec<Vec<f64>> = match &fit_rows {
            None => Vec::new(),
            Some(rows) => (0..setup.columns.len())
                .map(|id| {
                    let values = matrix.column(id as u32);
                    rows.iter().map(|&r| values[r]).collect()
                })
                .collect(),
        };
        let in_sample = |id: usize| -> &[f64] {
            match &fit_rows {
                None => &matrix.column(id as u32)[ins.clone()],
                Some(_) => &gathered[id],
            }
        };
        let target = matrix.column(0);
        let columns: Vec<ColumnData<'_>> = setup
            .columns
            .iter()
            .enumerate()
            .map(|(id, c)| {
                let values = matrix.column(id as u32);
                ColumnData {
                    name: &c.name,
                    in_sample: in_sample(id),
                    out_of_sample: &values[oos.clone()],
                    expected_sign: c.expected_sign,
                    is_dummy: c.is_dummy,
                    dummy_group: c.dummy_group,
                    unit_root: match (c.adf_p, c.pp_p) {
                        (None, None) => None,
                        (a, p) => Some(ColumnUnitRoot {
                            adf_pvalue: a.unwrap_or(f64::NAN),
                            pp_pvalue: p.unwrap_or(f64::NAN),
                        }),
                    },
                }
            })
            .collect();
        let evaluator = Evaluator::new(
            TargetData {
                name: &setup.columns[0].name,
                in_sample: in_sample(0),
                out_of_sample: &target[oos.clone()],
                stationary: setup.target_stationary,
            },
            &columns,
            setup.thresholds.clone(),
            EvaluatorOptions::default(),
        )?;
        let space = SpecSpace::new(setup.space.clone())?;
        let n_frozen = setup.columns.len();
        anyhow::ensure!(
            setup.space.columns.len() == n_frozen + setup.composites.len()
                && setup
                    .composites
                    .iter()
                    .enumerate()
                    .all(|(k, c)| c.id as usize == n_frozen + k
                        && c.kind.sources().iter().all(|&s| (s as usize) < n_frozen)),
            "the plan's composite columns do not follow its {n_frozen} frozen columns"
        );
        // Private copies of the composites' sources.
        let rows = matrix.rows();
        let mut slot_of: std::collections::HashMap<u32, usize> = Default::default();
        let mut sources = Vec::new();
        let composites = setup
            .composites
            .iter()
            .map(|c| {
                let slots = c.kind.sources().map(|id| {
                    *slot_of.entry(id).or_insert_with(|| {
                        sources.extend_from_slice(matrix.column(id));
                        sources.len() / rows - 1
                    })
                });
                CompositeRuntime {
                    def: c.clone(),
                    slots,
                }
            })
            .collect();
        Ok(EvalContext {
            space,
            evaluator,
            load_seconds: 0.0,
            n_frozen: n_frozen as u32,
            rows,
            in_rows: ins,
            fit_rows,
            oos_rows: oos,
            hashes: (0..setup.composites.len())
                .map(|_| OnceLock::new())
                .collect(),
            composites,
            sources,
        })
    }

    /// The composite of column id `id` (≥ the frozen column count).
    fn composite(&self, id: u32) -> &CompositeRuntime {
        &self.composites[(id - self.n_frozen) as usize]
    }

    /// Rows in the kernel's in-sample (the fit rows).
    fn n_fit(&self) -> usize {
        self.fit_rows.as_ref().map_or(self.in_rows.len(), Vec::len)
    }

    /// Computes composite `c` on the fit rows into `out` (`n_fit` values), through `window`
    /// (the whole in-sample window) when outlier rows have to be left out.
    fn build_in(&self, c: &CompositeRuntime, out: &mut [f64], window: &mut Vec<f64>) {
        match &self.fit_rows {
            None => self.build(c, self.in_rows.clone(), out),
            Some(rows) => {
                grow(window, self.in_rows.len());
                let window = &mut window[..self.in_rows.len()];
                self.build(c, self.in_rows.clone(), window);
                for (o, &r) in out.iter_mut().zip(rows) {
                    *o = window[r - self.in_rows.start];
                }
            }
        }
    }

    /// Computes rows `rows` of composite `c` into `out`.
    fn build(&self, c: &CompositeRuntime, rows: std::ops::Range<usize>, out: &mut [f64]) {
        let n = self.rows;
        let slot = |id: u32| {
            let k = if id == c.def.kind.sources()[0] {
                c.slots[0]
            } else {
                c.slots[1]
            };
            &self.sources[k * n..(k + 1) * n]
        };
        c.def.kind.compute_into(slot, rows, out);
    }

    /// Every value of composite column `id` over every date (what its hash covers).
    pub fn composite_values(&self, id: u32) -> Vec<f64> {
        let c = self.composite(id);
        let mut out = vec![0.0; self.rows];
        self.build(c, 0..self.rows, &mut out);
        out
    }

    /// sha256 of composite column `id` over every date.
    fn composite_hash(&self, id: u32) -> &str {
        self.hashes[(id - self.n_frozen) as usize]
            .get_or_init(|| crate::store::column_sha256(&self.composite_values(id)))
    }

    /// Evaluates every spec index of `ranges` (half-open) through the journal path of the
    /// kernel (`Evaluator::decide_into`: the decisions of computing everything, only the
    /// statistics the journal keeps) and returns their outcomes as one block: a code per spec,
    /// full records of passed and error outcomes only, the feature counts per outcome kind.
    pub fn evaluate(
        &self,
        ranges: &[(u64, u64)],
        scratch: &mut EvalScratch,
    ) -> anyhow::Result<OutcomeBlock> {
        let n_in = self.n_fit();
        let n_oos = self.oos_rows.len();
        let EvalScratch {
            spec,
            frozen,
            composite_ids,
            composite_in,
            composite_oos,
            composite_window,
            extra_store,
            assess,
            outcome,
            block,
        } = scratch;
        for &(start, end) in ranges {
            let mut it = self.space.iter_range(start, end);
            while let Some(index) = it.next_into(spec) {
                crate::runtime::faults::before_spec(index);
                let t = Instant::now();
                if spec.iter().all(|&id| id < self.n_frozen) {
                    self.evaluator.decide_into(spec, &[], assess, outcome);
                } else {
                    // Frozen ids keep their spec order; composites are built into the scratch
                    // buffers and passed as extra columns (coefficients: intercept, frozen,
                    // extra).
                    frozen.clear();
                    composite_ids.clear();
                    for &id in spec.iter() {
                        if id < self.n_frozen {
                            frozen.push(id);
                        } else {
                            composite_ids.push(id);
                        }
                    }
                    let k = composite_ids.len();
                    grow(composite_in, k * n_in);
                    grow(composite_oos, k * n_oos);
                    for (j, &id) in composite_ids.iter().enumerate() {
                        let c = self.composite(id);
                        self.build_in(
                            c,
                            &mut composite_in[j * n_in..(j + 1) * n_in],
                            composite_window,
                        );
                        self.build(
                            c,
                            self.oos_rows.clone(),
                            &mut composite_oos[j * n_oos..(j + 1) * n_oos],
                        );
                    }
                    let mut extra = recycle(std::mem::take(extra_store));
                    for (j, &id) in composite_ids.iter().enumerate() {
                        let c = self.composite(id);
                        extra.push(ExtraColumn {
                            name: &c.def.name,
                            in_sample: &composite_in[j * n_in..(j + 1) * n_in],
                            out_of_sample: &composite_oos[j * n_oos..(j + 1) * n_oos],
                            expected_sign: c.def.expected_sign,
                        });
                    }
                    self.evaluator.decide_into(frozen, &extra, assess, outcome);
                    *extra_store = recycle(extra);
                }
                let eval_us = t.elapsed().as_micros().min(u32::MAX as u128) as u32;
                self.push(block, index, spec, outcome, eval_us);
            }
        }
        Ok(block.finish())
    }

    /// Adds one outcome to a block: its code, and its full record when it passed or erred.
    fn push(&self, block: &mut BlockBuilder, index: u64, spec: &[u32], o: &Outcome, eval_us: u32) {
        let code = OutcomeCode::new(outcome_status(o), o.failed_test, o.cov_type);
        let detail = (o.status != Status::Filtered).then(|| self.record(index, spec, o, eval_us));
        block.push(index, code, spec, eval_us, detail);
    }

    /// The coordinator's screen (hybrid scheduling): the cheap first stage of the kernel
    /// (`Evaluator::screen_into`: rank and R² against `min_r2`) on every spec of `ranges`
    /// without composites. The specs it decides come back as a block — what a worker would
    /// have journaled, by the same code — and every other index goes to `rest`, as ascending
    /// half-open ranges, for the pool.
    pub fn screen(
        &self,
        ranges: &[(u64, u64)],
        scratch: &mut EvalScratch,
        rest: &mut Vec<(u64, u64)>,
    ) -> OutcomeBlock {
        let EvalScratch {
            spec,
            assess,
            outcome,
            block,
            ..
        } = scratch;
        let mut keep = |index: u64| match rest.last_mut() {
            Some(last) if last.1 == index => last.1 = index + 1,
            _ => rest.push((index, index + 1)),
        };
        for &(start, end) in ranges {
            let mut it = self.space.iter_range(start, end);
            while let Some(index) = it.next_into(spec) {
                if spec.iter().any(|&id| id >= self.n_frozen) {
                    keep(index);
                    continue;
                }
                let t = Instant::now();
                if self.evaluator.screen_into(spec, &[], assess, outcome) {
                    let eval_us = t.elapsed().as_micros().min(u32::MAX as u128) as u32;
                    self.push(block, index, spec, outcome, eval_us);
                } else {
                    keep(index);
                }
            }
        }
        block.finish()
    }

    /// The journal record of one outcome: compact unless the spec passed. A passed record
    /// carries a mutation record per composite it uses, and its detail JSON names the
    /// coefficients (`param_names`: `const`, then frozen columns in spec order, then
    /// composites in spec order).
    pub fn record(&self, index: u64, spec: &[u32], o: &Outcome, eval_us: u32) -> OutcomeRecord {
        let status = outcome_status(o);
        let failed_test = (status == OutcomeStatus::Filtered)
            .then_some(o.failed_test)
            .flatten();
        let passed = (o.status == Status::Passed).then(|| {
            Box::new(PassedRecord {
                spec_key: self.space.key_hex(spec),
                r2: o.r2.unwrap_or(f64::NAN),
                adj_r2: o.adj_r2.unwrap_or(f64::NAN),
                is_max_abs: o.is_max_abs_error.unwrap_or(f64::NAN),
                is_mae: o.is_mae.unwrap_or(f64::NAN),
                is_rmse: o.is_rmse.unwrap_or(f64::NAN),
                oos_max_abs: o.oos_max_abs_error,
                oos_mae: o.oos_mae,
                oos_rmse: o.oos_rmse,
                cov_type: o
                    .cov_type
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_else(|| "nonrobust".into()),
                detail_json: self.detail_json(spec, o),
            })
        });
        let mutations = if o.status == Status::Passed {
            spec.iter()
                .filter(|&&id| id >= self.n_frozen)
                .map(|&id| {
                    let c = self.composite(id);
                    let mut sha256 = self.composite_hash(id).to_string();
                    if crate::runtime::faults::corrupt_mutation(index) {
                        sha256 = "0".repeat(64);
                    }
                    MutationRecord {
                        name: c.def.name.clone(),
                        definition: c.def.definition.clone(),
                        sha256,
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        OutcomeRecord {
            spec_index: index,
            status,
            failed_test,
            features: spec.to_vec(),
            r2: o.r2,
            message: (status == OutcomeStatus::Error).then(|| {
                o.message
                    .clone()
                    .unwrap_or_else(|| "evaluation failed".to_string())
            }),
            eval_us,
            passed,
            mutations,
        }
    }

    /// Full report of one spec (frozen and composite ids, as `show-model` wants it): the outcome
    /// of `Evaluator::assess_report` and the coefficient names (`const`, frozen columns in spec
    /// order, then composites).
    pub fn assess_report(&self, spec: &[u32]) -> (Outcome, Vec<String>) {
        let frozen: Vec<u32> = spec
            .iter()
            .copied()
            .filter(|&id| id < self.n_frozen)
            .collect();
        let composites: Vec<u32> = spec
            .iter()
            .copied()
            .filter(|&id| id >= self.n_frozen)
            .collect();
        let values: Vec<(Vec<f64>, Vec<f64>)> = composites
            .iter()
            .map(|&id| {
                let c = self.composite(id);
                let mut ins = vec![0.0; self.n_fit()];
                let mut oos = vec![0.0; self.oos_rows.len()];
                self.build_in(c, &mut ins, &mut Vec::new());
                self.build(c, self.oos_rows.clone(), &mut oos);
                (ins, oos)
            })
            .collect();
        let extra: Vec<ExtraColumn<'_>> = composites
            .iter()
            .zip(&values)
            .map(|(&id, (ins, oos))| {
                let c = self.composite(id);
                ExtraColumn {
                    name: &c.def.name,
                    in_sample: ins,
                    out_of_sample: oos,
                    expected_sign: c.def.expected_sign,
                }
            })
            .collect();
        let outcome = self
            .evaluator
            .assess_report(&frozen, &extra, &mut Scratch::default());
        let names = std::iter::once(INTERCEPT.to_string())
            .chain(
                frozen
                    .iter()
                    .chain(&composites)
                    .map(|&id| self.column_name(id).to_string()),
            )
            .collect();
        (outcome, names)
    }

    /// Name of any column id of the plan.
    pub fn column_name(&self, id: u32) -> &str {
        if id < self.n_frozen {
            self.evaluator.column_name(id).unwrap_or("?")
        } else {
            &self.composite(id).def.name
        }
    }

    /// The outcome as the journal keeps it ([`PassedDetail`]: coefficient names in
    /// coefficient order).
    fn detail_json(&self, spec: &[u32], o: &Outcome) -> String {
        let frozen = spec.iter().filter(|&&id| id < self.n_frozen);
        let composites = spec.iter().filter(|&&id| id >= self.n_frozen);
        let param_names = std::iter::once(INTERCEPT.to_string())
            .chain(
                frozen
                    .chain(composites)
                    .map(|&id| self.column_name(id).to_string()),
            )
            .collect();
        PassedDetail {
            outcome: o.clone(),
            param_names,
        }
        .to_json()
    }
}

/// Resizes a buffer to at least `len` values (never shrinks, so a warm buffer never allocates).
fn grow(buf: &mut Vec<f64>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
}

/// Empties a vector of extra columns and hands its allocation to a vector of another lifetime
/// (in-place collection: no allocation once warm).
fn recycle<'b>(mut v: Vec<ExtraColumn<'_>>) -> Vec<ExtraColumn<'b>> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

/// Per-evaluator reusable buffers.
#[derive(Default)]
pub struct EvalScratch {
    spec: Vec<u32>,
    /// The spec's frozen ids and composite ids (specs with composites only).
    frozen: Vec<u32>,
    composite_ids: Vec<u32>,
    /// Composite values, in-sample and out-of-sample, one block per composite of the spec.
    composite_in: Vec<f64>,
    composite_oos: Vec<f64>,
    /// One composite over the whole in-sample window, before the outlier rows are left out.
    composite_window: Vec<f64>,
    extra_store: Vec<ExtraColumn<'static>>,
    assess: Scratch,
    outcome: Outcome,
    /// The outcomes of the batch being evaluated.
    block: BlockBuilder,
}

/// The journal's status of a kernel outcome.
fn outcome_status(o: &Outcome) -> OutcomeStatus {
    match o.status {
        Status::Passed => OutcomeStatus::Passed,
        Status::Filtered => OutcomeStatus::Filtered,
        Status::Error => OutcomeStatus::Error,
    }
}
