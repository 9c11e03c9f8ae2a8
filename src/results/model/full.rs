//! The full-sample refit of a model (§9): the same columns fitted on every row from `in_start`
//! to `full_end` (in-sample and out-of-sample, the outlier dates left out) with §5's rules —
//! the covariance choice and every reported test re-run on those rows. Filters and ranking
//! always use the in-sample fit the search judged; the refit is reported beside it (`show
//! --fit full`, `series --fit full`, the report) and may project scenarios (`[scenarios] fit =
//! "full"`).

use anyhow::{bail, Result};

use super::{FeatureDef, ModelReport};
use crate::assess::{ColumnData, Evaluator, FilterThresholds, Outcome, Status, TargetData};
use crate::results::series::ModelData;
use crate::results::table::{Cell, Table};
use crate::spec::FeatureRole;

/// Which fit a report shows.
pub use crate::config::FitChoice;

/// `data` with every row up to `full_end` in the fit (outliers still left out).
pub fn full_rows(data: &ModelData) -> ModelData {
    let mut full = data.clone();
    for (i, in_fit) in full.in_sample.iter_mut().enumerate() {
        *in_fit = !data.outlier[i];
    }
    full
}

/// Fits `data`'s target on its columns (coefficient order) over the rows marked in-sample, by
/// the kernel's full report assessment: OLS, §5's covariance choice, every test. `features`
/// give each column's expected sign and dummy set (for the tests of §5 that need them).
pub fn fit_rows(
    data: &ModelData,
    features: &[Option<&FeatureDef>],
    thresholds: &FilterThresholds,
    target_stationary: bool,
) -> Result<Outcome> {
    let rows: Vec<usize> = (0..data.dates.len())
        .filter(|&i| data.in_sample[i])
        .collect();
    let y: Vec<f64> = rows.iter().map(|&i| data.actual[i]).collect();
    let xs: Vec<Vec<f64>> = data
        .columns
        .iter()
        .map(|(_, v)| rows.iter().map(|&i| v[i]).collect())
        .collect();
    // Full dummy sets are tested jointly: one group per source column (M, Q, …).
    let mut groups: Vec<&str> = Vec::new();
    let columns: Vec<ColumnData<'_>> = data
        .columns
        .iter()
        .zip(&xs)
        .enumerate()
        .map(|(k, ((name, _), x))| {
            let f = features.get(k).copied().flatten();
            let is_dummy = f.is_some_and(|f| f.role == FeatureRole::Dummy);
            let dummy_group = f
                .filter(|f| is_dummy && f.full_dummy_set == Some(true))
                .map(|f| match groups.iter().position(|g| *g == f.base) {
                    Some(g) => g as u32,
                    None => {
                        groups.push(&f.base);
                        groups.len() as u32 - 1
                    }
                });
            ColumnData {
                name,
                in_sample: x,
                out_of_sample: &[],
                expected_sign: f.and_then(|f| f.expected_sign).unwrap_or(0) as i8,
                is_dummy,
                dummy_group,
                unit_root: None,
            }
        })
        .collect();
    let outcome = Evaluator::report_of(
        TargetData {
            name: &data.target,
            in_sample: &y,
            out_of_sample: &[],
            stationary: target_stationary,
        },
        &columns,
        thresholds.clone(),
    )?;
    if outcome.status == Status::Error || outcome.params.is_empty() {
        bail!(
            "the model cannot be fitted on the {} rows up to full_end: {}",
            rows.len(),
            outcome
                .message
                .as_deref()
                .unwrap_or("its design is rank-deficient there")
        );
    }
    Ok(outcome)
}

impl ModelReport {
    /// The same model refitted on the full sample (§9), as a report of its own: coefficients,
    /// standard errors, covariance choice, tests and series of the refit. Its filter verdicts
    /// are shown, not applied: filters and ranking use the in-sample fit.
    pub fn full_fit(&self) -> Result<ModelReport> {
        let Some(data) = &self.data else {
            bail!(
                "no full-sample refit for this model: {}",
                self.data_note
                    .as_deref()
                    .unwrap_or("its data are not available")
            );
        };
        if self.outcome.is_none() {
            bail!("the journal keeps coefficients for passed models only");
        }
        let full = full_rows(data);
        let features: Vec<Option<&FeatureDef>> = (0..full.columns.len())
            .map(|k| self.param_feature(k))
            .collect();
        let outcome = fit_rows(&full, &features, &self.thresholds, self.target_stationary)?;
        let mut report = ModelReport {
            fit: FitChoice::Full,
            r2: outcome.r2,
            outcome: Some(outcome),
            data: None,
            summary: None,
            data_note: None,
            status: self.status,
            failed_test: self.failed_test,
            message: self.message.clone(),
            spec_key: self.spec_key.clone(),
            features: self.features.clone(),
            definitions_from: self.definitions_from,
            param_names: self.param_names.clone(),
            thresholds: self.thresholds.clone(),
            alpha: self.alpha,
            scenarios: None,
            origin: self.origin.clone(),
            target: self.target.clone(),
            target_stationary: self.target_stationary,
            spec_index: self.spec_index,
            rank: self.rank,
            score: self.score,
            benchmark: self.benchmark.clone(),
            // The validation analyses are of the in-sample fit.
            sensitivity: None,
            attribution: None,
            stability: None,
        };
        report.attach_data(full);
        Ok(report)
    }
}

/// The in-sample fit and the full-sample refit side by side (the report's table): per
/// coefficient the estimate, standard error and p-value of each fit, then the fit statistics.
pub fn compare_fits(in_sample: &ModelReport, full: &ModelReport) -> Table {
    let mut t = Table::new(&[
        "term",
        "in_sample",
        "in_sample_se",
        "in_sample_p",
        "full_sample",
        "full_sample_se",
        "full_sample_p",
    ]);
    let (Some(a), Some(b)) = (&in_sample.outcome, &full.outcome) else {
        return t;
    };
    let at = |v: &[f64], k: usize| v.get(k).copied().map_or(Cell::Null, Cell::Real);
    for (k, name) in in_sample.param_names.iter().enumerate() {
        t.push(vec![
            name.as_str().into(),
            at(&a.params, k),
            at(&a.bse, k),
            at(&a.pvalues, k),
            at(&b.params, k),
            at(&b.bse, k),
            at(&b.pvalues, k),
        ]);
    }
    let real = |v: Option<f64>| v.map_or(Cell::Null, Cell::Real);
    let cov = |o: &Outcome| {
        o.cov_type
            .map_or(Cell::Null, |c| Cell::Text(c.as_str().to_string()))
    };
    let stats: [(&str, Cell, Cell); 5] = [
        ("rows", Cell::Int(a.nobs as i64), Cell::Int(b.nobs as i64)),
        ("R-squared", real(a.r2), real(b.r2)),
        ("Adj. R-squared", real(a.adj_r2), real(b.adj_r2)),
        ("RMSE (rows of the fit)", real(a.is_rmse), real(b.is_rmse)),
        ("covariance", cov(a), cov(b)),
    ];
    for (name, x, y) in stats {
        t.push(vec![
            name.into(),
            x,
            Cell::Null,
            Cell::Null,
            y,
            Cell::Null,
            Cell::Null,
        ]);
    }
    t
}
