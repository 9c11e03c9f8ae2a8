//! One model's full report, the one `show`, `show-model` and `report` print: what the journal
//! keeps about a spec (status, failed test, features; for passed models the whole [`Outcome`]
//! as JSON in `passed.detail`) or a fit made now (`show-model`), its features' definitions
//! (from `features.duckdb` when it is the bundle the run used, else decoded from the variant
//! names in the journal), the filters re-judged with the run's own thresholds (parsed from the
//! config text the run recorded), and — when the frozen data are at hand — the summary
//! statistics a statsmodels user expects (F, log-likelihood, AIC, BIC, confidence intervals,
//! residual moments, condition number, covariance) and the model's series.
//!
//! This module loads the report; `definitions` reads the features' definitions, `tables` lays
//! the report out (tables, text, JSON, CSV) and `verdicts` judges the tests.

mod benchmark;
mod definitions;
mod full;
mod refit;
mod stability;
mod tables;
mod verdicts;

use anyhow::{anyhow, bail, Result};

use super::series::{ModelData, ModelSeries};
use super::OpenJournal;
use crate::assess::{FilterTest, FilterThresholds, Outcome};
use crate::journal::{OutcomeStatus, PassedDetail, Ranking, RunRow};
use crate::spec::FeatureRole;
use crate::stats::summary::FitSummary;

pub use benchmark::load_benchmark;
pub use definitions::parse_variant;
use definitions::{bundle_definitions, journal_features};
pub use full::{compare_fits, fit_rows, full_rows, FitChoice};
pub use refit::from_session;
pub use stability::{test_name, StabilityTables};
pub use tables::{
    confidence_percent, ATTRIBUTION_NOTE, ATTRIBUTION_TITLE, SENSITIVITY_NOTE, SENSITIVITY_TITLE,
};

pub use crate::journal::INTERCEPT;

/// Default significance level of the coefficients' confidence intervals.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// What a feature is.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureDef {
    pub name: String,
    pub role: FeatureRole,
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

impl FeatureDef {
    /// A feature known by name, role and base only (definitions are filled in when found).
    pub fn new(name: String, role: FeatureRole, base: String) -> FeatureDef {
        FeatureDef {
            name,
            role,
            base,
            category: None,
            transform: None,
            period: None,
            lag: None,
            expected_sign: None,
            full_dummy_set: None,
            adf_pvalue: None,
            pp_pvalue: None,
            stationary: None,
        }
    }
}

/// Where a report's numbers come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A run's journal (`show`, `report`).
    Journal(RunRow),
    /// A fit made now on the config's data (`show-model`); the config's path.
    Refit { config_path: String },
}

/// Everything `show` prints about one spec.
pub struct ModelReport {
    pub origin: Origin,
    /// Which fit the numbers are: the in-sample fit the search judged, or the full-sample
    /// refit (§9, [`ModelReport::full_fit`]).
    pub fit: FitChoice,
    pub target: String,
    pub target_stationary: bool,
    pub spec_index: Option<u64>,
    pub rank: Option<i64>,
    pub score: Option<f64>,
    pub status: OutcomeStatus,
    pub failed_test: Option<FilterTest>,
    pub message: Option<String>,
    pub r2: Option<f64>,
    pub spec_key: Option<String>,
    pub features: Vec<FeatureDef>,
    /// Where the definitions came from: "features.duckdb", "journal" or "config".
    pub definitions_from: &'static str,
    pub outcome: Option<Outcome>,
    /// Coefficient names: the intercept, frozen columns in spec order, then composites.
    pub param_names: Vec<String>,
    pub thresholds: FilterThresholds,
    /// Significance level of the confidence intervals.
    pub alpha: f64,
    /// The model's data over the full sample (passed or refitted models whose bundle is here).
    pub data: Option<ModelData>,
    /// Summary statistics recomputed from `data` with the model's covariance.
    pub summary: Option<FitSummary>,
    /// Why `data` / `summary` are missing, when they are.
    pub data_note: Option<String>,
    /// The model's scenario statistics from the journal, one row per scenario (`show`; a
    /// fit made now has none).
    pub scenarios: Option<crate::results::table::Table>,
    /// The model's sensitivity (one row per shock, one column per scenario: the 9Q % change
    /// of the level) when it was validated (`specsearch validate`, the end of `run`).
    pub sensitivity: Option<crate::results::table::Table>,
    /// Its attribution (per feature and scenario, the 9Q outcome with the feature held at p0
    /// minus the scenario's) when it was validated.
    pub attribution: Option<crate::results::table::Table>,
    /// The model's walk-forward trials, recursive coefficients, break tests and backtests
    /// (§11, §12) when it was validated (`show`; a fit made now has none).
    pub stability: Option<StabilityTables>,
    /// What the model is when it is a benchmark or the incumbent of the run (`show
    /// incumbent`), e.g. "Incumbent model"; `None` for a spec.
    pub benchmark: Option<String>,
}

/// Options of a report.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    pub alpha: f64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            alpha: DEFAULT_ALPHA,
        }
    }
}

/// Parses `--alpha` (a significance level strictly between 0 and 1).
pub fn parse_alpha(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(a) if a > 0.0 && a < 1.0 => Ok(a),
        _ => Err(format!(
            "{s:?}: give a significance level strictly between 0 and 1, e.g. 0.05 for 95% intervals"
        )),
    }
}

/// The spec index and score at `rank` (1-based) of a run's ranking.
pub fn spec_at_rank(
    j: &OpenJournal,
    run: &RunRow,
    rank: usize,
    ranking: &Ranking,
) -> Result<(u64, f64)> {
    if rank == 0 {
        bail!("ranks start at 1");
    }
    let t = j
        .journal
        .passed_models(run.run_id, ranking, Some(rank), false)?;
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
    j: &OpenJournal,
    run: &RunRow,
    spec_index: u64,
    ranked: Option<(i64, f64)>,
    options: ReportOptions,
) -> Result<ModelReport> {
    let Some(row) = j.journal.spec_row(run.run_id, spec_index)? else {
        bail!(
            "spec {spec_index} has no outcome in run {} ({} of {} specs evaluated so far)",
            run.name,
            j.journal.counts(run.run_id)?.evaluated,
            run.spec_count
        );
    };
    let (outcome, param_names) = match &row.detail {
        Some(d) => {
            let what = format!("spec {spec_index} of run {}", run.name);
            let detail = PassedDetail::parse(d, &what)?;
            (Some(detail.outcome), detail.param_names)
        }
        None => (None, Vec::new()),
    };
    let (rank, score) = match ranked {
        Some((r, s)) => (Some(r), Some(s)),
        None => (row.rank, row.score),
    };
    let mut features = journal_features(j, run, spec_index)?;
    let bundle = j.run_bundle(run);
    let definitions_from = if bundle_definitions(bundle.as_ref().ok().copied(), &mut features) {
        "features.duckdb"
    } else {
        "journal"
    };
    let thresholds = j
        .run_config(run)
        .map(|c| c.file.filters)
        .unwrap_or_default();
    let mut report = ModelReport {
        origin: Origin::Journal(run.clone()),
        fit: FitChoice::In,
        target: run.target.clone(),
        target_stationary: run.target_stationary,
        spec_index: Some(spec_index),
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
        param_names,
        thresholds,
        alpha: options.alpha,
        data: None,
        summary: None,
        data_note: None,
        scenarios: j
            .journal
            .scenario_stats(run.run_id, spec_index)
            .ok()
            .filter(|t| !t.rows.is_empty()),
        sensitivity: j
            .journal
            .sensitivity_table(run.run_id, spec_index)
            .ok()
            .filter(|t| !t.rows.is_empty()),
        attribution: j
            .journal
            .attribution_table(run.run_id, spec_index)
            .ok()
            .filter(|t| !t.rows.is_empty()),
        stability: StabilityTables::load(&j.journal, run.run_id, spec_index)?,
        benchmark: None,
    };
    if report.param_names.is_empty() && report.outcome.is_some() {
        report.param_names = report.default_param_names();
    }
    if report.outcome.is_some() {
        let target = j.run_config(run).map(|c| c.file.target);
        let data = bundle.map_err(|e| anyhow!(e)).and_then(|b| {
            let data = ModelData::from_store(b, &run.target, &report.param_names[1..])?;
            match target.as_ref().filter(|t| t.exposure.is_some()) {
                None => Ok(data),
                Some(t) => {
                    let exposure = t.exposure.as_deref().unwrap_or_default();
                    let mut series = b.base_columns(&[&t.column, exposure])?.into_iter();
                    let (Some(Some(raw)), Some(Some(e))) = (series.next(), series.next()) else {
                        bail!(
                            "the frozen data have no series {} or {exposure} for the ratio \
                             target's levels",
                            t.column
                        );
                    };
                    Ok(data.with_ratio(&raw, &e, t))
                }
            }
        });
        match data {
            Ok(d) => report.attach_data(d),
            Err(e) => report.data_note = Some(format!("{e:#}")),
        }
    } else {
        report.data_note =
            Some("the journal keeps full statistics for passed models only".to_string());
    }
    Ok(report)
}

impl ModelReport {
    /// Attaches the model's data: recomputes the summary statistics with the model's covariance
    /// (checking that the data reproduce its coefficients) and completes diagnostics the search
    /// did not need (White's test when Breusch–Pagan already accepted).
    pub fn attach_data(&mut self, data: ModelData) {
        let Some(o) = &mut self.outcome else { return };
        let cov_type = o.cov_type.unwrap_or(crate::stats::CovType::NonRobust);
        match data.summary(&o.params, cov_type, self.alpha) {
            Ok(s) => {
                if o.white_stat.is_none() {
                    let series = data.series(&o.params).ok();
                    if let Some(series) = series {
                        let resid = series.residuals(true);
                        let cols: Vec<Vec<f64>> = data
                            .columns
                            .iter()
                            .map(|(_, v)| {
                                v.iter()
                                    .zip(&data.in_sample)
                                    .filter(|(_, &i)| i)
                                    .map(|(x, _)| *x)
                                    .collect()
                            })
                            .collect();
                        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
                        let w = crate::stats::diagnostics::white(&resid, &refs);
                        o.white_stat = Some(w.stat);
                        o.white_pvalue = Some(w.pvalue);
                    }
                }
                self.summary = Some(s);
            }
            Err(e) => self.data_note = Some(format!("{e:#}")),
        }
        self.data = Some(data);
    }

    /// The model's series with its (journaled or refitted) coefficients.
    pub fn series(&self) -> Result<ModelSeries> {
        let (Some(data), Some(o)) = (&self.data, &self.outcome) else {
            bail!(
                "no series for this model: {}",
                self.data_note
                    .as_deref()
                    .unwrap_or("its data are not available")
            );
        };
        data.series(&o.params)
    }

    /// The run, when the report comes from a journal.
    pub fn run(&self) -> Option<&RunRow> {
        match &self.origin {
            Origin::Journal(run) => Some(run),
            Origin::Refit { .. } => None,
        }
    }

    fn default_param_names(&self) -> Vec<String> {
        std::iter::once(INTERCEPT.to_string())
            .chain(
                self.features
                    .iter()
                    .filter(|f| f.role != FeatureRole::Composite)
                    .chain(
                        self.features
                            .iter()
                            .filter(|f| f.role == FeatureRole::Composite),
                    )
                    .map(|f| f.name.clone()),
            )
            .collect()
    }
}

// Which feature a coefficient is, shared by the coefficients table and the verdicts.
impl ModelReport {
    /// The feature of non-constant coefficient `k`: coefficients list the frozen columns in
    /// spec order, then the composite columns a worker built (see `assess::Outcome`).
    pub fn param_feature(&self, k: usize) -> Option<&FeatureDef> {
        self.features
            .iter()
            .filter(|f| f.role != FeatureRole::Composite)
            .chain(
                self.features
                    .iter()
                    .filter(|f| f.role == FeatureRole::Composite),
            )
            .nth(k)
    }

    fn in_full_set(&self, f: &FeatureDef) -> bool {
        let has_groups = self.outcome.as_ref().is_some_and(|o| !o.group_f.is_empty());
        f.role == FeatureRole::Dummy && f.full_dummy_set.unwrap_or(has_groups)
    }
}
