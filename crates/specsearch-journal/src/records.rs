//! What is journaled for one spec: the records workers send (through the coordinator) to the
//! [`JournalWriter`](crate::JournalWriter), and the passed model's detail document as the
//! journal keeps it (`passed.detail`), written by the workers' side and read back by `show`,
//! `series`, the scenario forecasts and the report through the one type [`PassedDetail`].

use serde::{Deserialize, Serialize};
use specsearch_core::assess::{FilterTest, Outcome};

use crate::status::OutcomeStatus;

/// The one name of the intercept in every detail document, table and page (statsmodels'
/// `add_constant` spells it the same way).
pub const INTERCEPT: &str = "const";

/// What is journaled for one spec: compact for filtered specs, full detail for passed ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    pub spec_index: u64,
    pub status: OutcomeStatus,
    /// The filter the spec failed at (filtered specs only).
    pub failed_test: Option<FilterTest>,
    /// The spec's column ids, sorted as the spec is (all of them: the writer leaves out the
    /// run's common prefix).
    pub features: Vec<u32>,
    pub r2: Option<f64>,
    pub message: Option<String>,
    pub eval_us: u32,
    pub passed: Option<Box<PassedRecord>>,
    /// Composite features the spec built and depends on (passed specs only; empty otherwise).
    pub mutations: Vec<MutationRecord>,
}

/// A feature a worker constructed that is not in the frozen catalogue (a composite), reported
/// by every passed spec that depends on it. The journal keeps one per run and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationRecord {
    pub name: String,
    /// Canonical definition, e.g. `interaction(a_QQGR, b_LV)`.
    pub definition: String,
    /// sha256 of the values over every date (the store's column hash).
    pub sha256: String,
}

/// The detail of a passed model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassedRecord {
    pub spec_key: String,
    pub r2: f64,
    pub adj_r2: f64,
    pub is_max_abs: f64,
    pub is_mae: f64,
    pub is_rmse: f64,
    pub oos_max_abs: Option<f64>,
    pub oos_mae: Option<f64>,
    pub oos_rmse: Option<f64>,
    /// `nonrobust`, `HC1` or `HAC` (the core's `CovType::as_str`).
    pub cov_type: String,
    /// [`PassedDetail::to_json`] of the model (encoded by the worker, so the coordinator's
    /// writer only copies text).
    pub detail_json: String,
}

/// Every statistic of a passed model as `passed.detail` keeps it: the core's [`Outcome`]
/// (coefficients, SEs, p-values, every test, the fit) and the coefficient names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassedDetail {
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Coefficient names: [`INTERCEPT`], then the frozen columns in spec order, then the
    /// composite columns in spec order (the order of `outcome.params`).
    #[serde(default)]
    pub param_names: Vec<String>,
}

impl PassedDetail {
    /// The document as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a passed model's detail serialises")
    }

    /// Reads a stored document; `what` names it in the error (e.g. "spec 17 of run 3").
    pub fn parse(json: &str, what: &str) -> crate::Result<PassedDetail> {
        serde_json::from_str(json).map_err(|e| {
            crate::JournalError::Invalid(format!(
                "the journaled detail of {what} is unreadable ({e}); the journal may be damaged: \
                 restore it or start a new workspace"
            ))
        })
    }
}

/// The coefficients of a passed model alone, read from its detail document without the rest
/// (the scenario forecasts read thousands of them).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct DetailCoefficients {
    pub params: Vec<f64>,
    #[serde(default)]
    pub param_names: Vec<String>,
}
