//! What every evaluator (worker process, thread or the coordinator itself) needs: the setup
//! sent by the coordinator, and the read-only context built from it: the frozen matrix, the
//! spec space and the per-column precomputation of `assess`.
//!
//! Only metadata crosses the process boundary (the setup is a few kilobytes); the values come
//! from the frozen bundle through the chosen transport.

use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::assess::{
    ColumnData, ColumnUnitRoot, Evaluator, EvaluatorOptions, FilterThresholds, Outcome, Scratch,
    Status, TargetData,
};
use crate::features::catalogue::Role;
use crate::journal::{OutcomeRecord, PassedRecord, STATUS_ERROR, STATUS_FILTERED, STATUS_PASSED};
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

/// Everything the coordinator tells an evaluator, once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSetup {
    pub workspace: PathBuf,
    pub bundle_hash: String,
    pub transport: Transport,
    /// In-sample rows `in_start..=in_end`, out-of-sample rows `in_end+1..=full_end`.
    pub in_start: usize,
    pub in_end: usize,
    pub full_end: usize,
    pub target_stationary: bool,
    pub thresholds: FilterThresholds,
    /// Indexed by column id; column 0 is the target.
    pub columns: Vec<ColumnSetup>,
    pub space: SpaceInput,
}

impl SearchSetup {
    /// The setup of a planned search over a built bundle.
    pub fn new(
        ws: &Workspace,
        built: &crate::freeze::Built,
        space: &SpaceInput,
        transport: Transport,
        config: &crate::config::Config,
    ) -> SearchSetup {
        let catalogue = &built.bundle.catalogue;
        // Full dummy sets are tested jointly: number them by their item.
        let full_sets: Vec<&str> = catalogue
            .dummy_sets
            .iter()
            .map(|(item, _)| item.as_str())
            .filter(|item| !item.contains('['))
            .collect();
        let columns = catalogue
            .columns
            .iter()
            .map(|c| ColumnSetup {
                name: c.name.clone(),
                expected_sign: c.sign,
                is_dummy: c.role == Role::Dummy,
                dummy_group: if c.role == Role::Dummy && c.full_dummy_set {
                    c.dummy_set
                        .as_deref()
                        .and_then(|s| full_sets.iter().position(|f| *f == s))
                        .map(|p| p as u32)
                } else {
                    None
                },
                adf_p: c.pretest.adf_p,
                pp_p: c.pretest.pp_p,
            })
            .collect();
        SearchSetup {
            workspace: ws.dir.clone(),
            bundle_hash: built.hash.clone(),
            transport,
            in_start: built.bundle.sample.in_start,
            in_end: built.bundle.sample.in_end,
            full_end: built.bundle.sample.full_end,
            target_stationary: built.target_pretest.stationary,
            thresholds: config.file.filters.clone(),
            columns,
            space: space.clone(),
        }
    }
}

/// The read-only evaluation context.
pub struct EvalContext {
    pub space: SpecSpace,
    pub evaluator: Evaluator,
    pub load_seconds: f64,
}

impl EvalContext {
    /// Opens the bundle through the setup's transport and builds the context.
    pub fn open(setup: &SearchSetup) -> anyhow::Result<EvalContext> {
        let started = Instant::now();
        let ws = Workspace {
            dir: setup.workspace.clone(),
        };
        let matrix = crate::freeze::open_matrix(&ws, setup.transport == Transport::Mmap)?;
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
        let target = matrix.column(0);
        let columns: Vec<ColumnData<'_>> = setup
            .columns
            .iter()
            .enumerate()
            .map(|(id, c)| {
                let values = matrix.column(id as u32);
                ColumnData {
                    name: &c.name,
                    in_sample: &values[ins.clone()],
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
                in_sample: &target[ins.clone()],
                out_of_sample: &target[oos.clone()],
                stationary: setup.target_stationary,
            },
            &columns,
            setup.thresholds.clone(),
            EvaluatorOptions::default(),
        )?;
        let space = SpecSpace::new(setup.space.clone())?;
        Ok(EvalContext {
            space,
            evaluator,
            load_seconds: 0.0,
        })
    }

    /// Evaluates every spec index of `ranges` (half-open), appending one record per spec.
    pub fn evaluate(
        &self,
        ranges: &[(u64, u64)],
        scratch: &mut EvalScratch,
        out: &mut Vec<OutcomeRecord>,
    ) -> anyhow::Result<()> {
        for &(start, end) in ranges {
            let mut it = self.space.iter_range(start, end);
            while let Some(index) = it.next_into(&mut scratch.spec) {
                crate::runtime::faults::before_spec(index);
                let t = Instant::now();
                self.evaluator.assess_into(
                    &scratch.spec,
                    &[],
                    &mut scratch.assess,
                    &mut scratch.outcome,
                );
                let eval_us = t.elapsed().as_micros().min(u32::MAX as u128) as u32;
                out.push(self.record(index, &scratch.spec, &scratch.outcome, eval_us));
            }
        }
        Ok(())
    }

    /// The journal record of one outcome: compact unless the spec passed.
    pub fn record(&self, index: u64, spec: &[u32], o: &Outcome, eval_us: u32) -> OutcomeRecord {
        let (status, failed_test) = match o.status {
            Status::Passed => (STATUS_PASSED, None),
            Status::Filtered => (STATUS_FILTERED, o.failed_test.map(|f| f as u8 + 1)),
            Status::Error => (STATUS_ERROR, None),
        };
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
                detail_json: serde_json::to_string(o).expect("outcomes serialise"),
            })
        });
        OutcomeRecord {
            spec_index: index,
            status,
            failed_test,
            features: spec.to_vec(),
            r2: o.r2,
            message: (status == STATUS_ERROR).then(|| {
                o.message
                    .clone()
                    .unwrap_or_else(|| "evaluation failed".to_string())
            }),
            eval_us,
            passed,
        }
    }
}

/// Per-evaluator reusable buffers.
#[derive(Default)]
pub struct EvalScratch {
    spec: Vec<u32>,
    assess: Scratch,
    outcome: Outcome,
}
