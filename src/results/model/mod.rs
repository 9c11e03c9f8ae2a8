//! One model's full report for `specsearch show`: what the journal keeps about a spec (status,
//! failed test, features; for passed models the whole [`Outcome`] as JSON in `passed.detail`),
//! its features' definitions (from `features.duckdb` when it is the bundle the run used, else
//! decoded from the variant names in the journal), and the filters re-judged with the run's own
//! thresholds (parsed from the config text the run recorded).
//!
//! This module loads the report; `definitions` reads the features' definitions, `tables` lays
//! the report out (tables, text, JSON, CSV) and `verdicts` re-judges the tests.

mod definitions;
mod tables;
mod verdicts;

use anyhow::{anyhow, bail, Result};

use super::Journal;
use crate::assess::{FilterThresholds, Outcome};
use crate::journal::queries::{self, Ranking};
use crate::journal::runs::RunRow;

pub use definitions::parse_variant;
use definitions::{bundle_definitions, journal_features};

/// What a feature is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureDef {
    pub name: String,
    pub role: String,
    pub base: String,
    pub category: Option<String>,
    pub transform: Option<String>,
    pub period: Option<i64>,
    pub lag: Option<i64>,
    pub expected_sign: Option<i64>,
    pub full_dummy_set: Option<bool>,
    pub adf_pvalue: Option<f64>,
    pub pp_pvalue: Option<f64>,
    pub stationary: Option<bool>,
}

/// Everything `show` prints about one spec.
pub struct ModelReport {
    pub run: RunRow,
    pub spec_index: u64,
    pub rank: Option<i64>,
    pub score: Option<f64>,
    pub status: crate::journal::OutcomeStatus,
    pub failed_test: Option<String>,
    pub message: Option<String>,
    pub r2: Option<f64>,
    pub spec_key: Option<String>,
    pub features: Vec<FeatureDef>,
    /// Where the definitions came from: "features.duckdb" or "journal".
    pub definitions_from: &'static str,
    pub outcome: Option<Outcome>,
    pub thresholds: FilterThresholds,
}

/// The spec index and score at `rank` (1-based) of a run's ranking.
pub fn spec_at_rank(
    j: &Journal,
    run: &RunRow,
    rank: usize,
    ranking: &Ranking,
) -> Result<(u64, f64)> {
    if rank == 0 {
        bail!("ranks start at 1");
    }
    let t = queries::passed_models(&j.conn, run.run_id, ranking, Some(rank), false)?;
    if t.rows.len() < rank {
        bail!(
            "run {} has {} ranked model{}; there is no rank {rank}",
            run.name,
            t.rows.len(),
            if t.rows.len() == 1 { "" } else { "s" }
        );
    }
    let last = t.rows.len() - 1;
    let spec = t.get(last, "spec_index").as_i64().unwrap_or(0) as u64;
    let score = t.get(last, "score").as_f64().unwrap_or(f64::NAN);
    Ok((spec, score))
}

/// Loads the report of `spec_index` in `run`.
pub fn load(
    j: &Journal,
    run: &RunRow,
    spec_index: u64,
    ranked: Option<(i64, f64)>,
) -> Result<ModelReport> {
    let Some(row) = queries::spec_row(&j.conn, run.run_id, spec_index)? else {
        bail!(
            "spec {spec_index} has no outcome in run {} ({} of {} specs evaluated so far)",
            run.name,
            crate::journal::runs::counts(&j.conn, run.run_id)?.evaluated,
            run.spec_count
        );
    };
    let outcome = match &row.detail {
        Some(d) => Some(
            serde_json::from_str::<Outcome>(d)
                .map_err(|e| anyhow!("passed.detail of spec {spec_index} does not parse: {e}"))?,
        ),
        None => None,
    };
    let (rank, score) = match ranked {
        Some((r, s)) => (Some(r), Some(s)),
        None => (row.rank, row.score),
    };
    let mut features = journal_features(j, run, spec_index)?;
    let definitions_from = if bundle_definitions(&j.workspace.features_duckdb(), run, &mut features)
    {
        "features.duckdb"
    } else {
        "journal"
    };
    let thresholds = j
        .run_config(run)
        .map(|c| c.file.filters)
        .unwrap_or_default();
    Ok(ModelReport {
        run: run.clone(),
        spec_index,
        rank,
        score,
        status: row.status,
        failed_test: row.failed_test,
        message: row.message,
        r2: row.r2,
        spec_key: row.spec_key,
        features,
        definitions_from,
        outcome,
        thresholds,
    })
}

// Which feature a coefficient is, shared by the coefficients table and the verdicts.
impl ModelReport {
    /// The feature of non-constant coefficient `k`: coefficients list the frozen columns in
    /// spec order, then the composite columns a worker built (see `assess::Outcome`).
    pub fn param_feature(&self, k: usize) -> Option<&FeatureDef> {
        self.features
            .iter()
            .filter(|f| f.role != "composite")
            .chain(self.features.iter().filter(|f| f.role == "composite"))
            .nth(k)
    }

    fn in_full_set(&self, f: &FeatureDef) -> bool {
        let has_groups = self.outcome.as_ref().is_some_and(|o| !o.group_f.is_empty());
        f.role == "dummy" && f.full_dummy_set.unwrap_or(has_groups)
    }
}
