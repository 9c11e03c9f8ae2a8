//! The series of one model over the full sample: per date, the actual target, the fitted
//! (in-sample) or predicted (out-of-sample) value, the residual, and each feature's value and
//! contribution (coefficient × value); plus the summary statistics that need the data
//! (`stats::summary`).
//!
//! The values come from the frozen bundle the run used ([`ModelData::from_store`], read from
//! `features.duckdb`, whose hash must be the run's) or from a session's bundle in memory
//! (`show-model`); the coefficients are the journaled ones, so the series are the model the
//! search passed, not a refit.

use anyhow::{anyhow, bail, Result};
use chrono::NaiveDate;

use crate::stats::covariance::CovType;
use crate::stats::summary::{summarize, FitSummary};
use crate::store::bundle::BundleReader;
use crate::store::FrozenBundle;

use super::table::{Cell, Table};
use crate::results::table::TableText;

/// The data of one model over the full sample (in-sample then out-of-sample dates).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelData {
    pub dates: Vec<NaiveDate>,
    /// `true` for in-sample dates, `false` for out-of-sample ones.
    pub in_sample: Vec<bool>,
    pub target: String,
    pub actual: Vec<f64>,
    /// The regressors in coefficient order (after the intercept): name and values.
    pub columns: Vec<(String, Vec<f64>)>,
}

/// First and last dates of the in-sample and out-of-sample windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleDates {
    pub in_first: NaiveDate,
    pub in_last: NaiveDate,
    pub oos: Option<(NaiveDate, NaiveDate)>,
}

impl ModelData {
    /// Reads the target and the columns `regressors` (coefficient order) from `reader`, the
    /// run's bundle. A composite the store does not hold yet (replayed when the run finishes)
    /// is an error saying so.
    pub fn from_store(
        reader: &BundleReader,
        target: &str,
        regressors: &[String],
    ) -> Result<ModelData> {
        let path = reader.path();
        let dates = reader.dates()?;
        let mut names: Vec<&str> = vec![target];
        names.extend(regressors.iter().map(String::as_str));
        let mut values = reader.named_columns(&names)?.into_iter();
        let full: Vec<usize> = (0..dates.len())
            .filter(|&i| matches!(dates[i].1.as_str(), "in" | "out"))
            .collect();
        let pick = |v: Vec<f64>| -> Vec<f64> { full.iter().map(|&i| v[i]).collect() };
        let actual = values
            .next()
            .flatten()
            .ok_or_else(|| anyhow!("{} has no target column {target}", path.display()))?;
        let mut columns = Vec::with_capacity(regressors.len());
        for (name, v) in regressors.iter().zip(values) {
            let v = v.ok_or_else(|| {
                anyhow!(
                    "{} has no column {name} yet: a composite is written into the store when \
                     its run finishes (replay); its series are available after that",
                    path.display()
                )
            })?;
            columns.push((name.clone(), pick(v)));
        }
        Ok(ModelData {
            dates: full.iter().map(|&i| dates[i].0).collect(),
            in_sample: full.iter().map(|&i| dates[i].1 == "in").collect(),
            target: target.to_string(),
            actual: pick(actual),
            columns,
        })
    }

    /// The same from a bundle in memory and the regressors' values over every date of it.
    pub fn from_bundle(b: &FrozenBundle, columns: Vec<(String, Vec<f64>)>) -> ModelData {
        let full = b.sample.in_start..b.sample.full_end + 1;
        let target = &b.catalogue.columns[0];
        ModelData {
            dates: b.dates[full.clone()].to_vec(),
            in_sample: full.clone().map(|i| i <= b.sample.in_end).collect(),
            target: target.name.clone(),
            actual: target.values[full.clone()].to_vec(),
            columns: columns
                .into_iter()
                .map(|(name, v)| (name, v[full.clone()].to_vec()))
                .collect(),
        }
    }

    pub fn n_in(&self) -> usize {
        self.in_sample.iter().filter(|&&i| i).count()
    }

    pub fn sample_dates(&self) -> Option<SampleDates> {
        let ins: Vec<NaiveDate> = self.dates_where(true);
        let oos: Vec<NaiveDate> = self.dates_where(false);
        Some(SampleDates {
            in_first: *ins.first()?,
            in_last: *ins.last()?,
            oos: oos.first().zip(oos.last()).map(|(a, b)| (*a, *b)),
        })
    }

    fn dates_where(&self, in_sample: bool) -> Vec<NaiveDate> {
        self.dates
            .iter()
            .zip(&self.in_sample)
            .filter(|(_, &i)| i == in_sample)
            .map(|(d, _)| *d)
            .collect()
    }

    /// The summary statistics of the in-sample fit with `cov_type`; fails (saying why) when
    /// the data do not reproduce `params`, the journaled coefficients, to 1e-8.
    pub fn summary(&self, params: &[f64], cov_type: CovType, alpha: f64) -> Result<FitSummary> {
        let rows: Vec<usize> = (0..self.dates.len())
            .filter(|&i| self.in_sample[i])
            .collect();
        let y: Vec<f64> = rows.iter().map(|&i| self.actual[i]).collect();
        let xs: Vec<Vec<f64>> = self
            .columns
            .iter()
            .map(|(_, v)| rows.iter().map(|&i| v[i]).collect())
            .collect();
        let cols: Vec<&[f64]> = xs.iter().map(Vec::as_slice).collect();
        let s = summarize(&y, &cols, cov_type, alpha)?;
        let scale = params.iter().fold(0.0f64, |m, b| m.max(b.abs()));
        if s.params.len() != params.len()
            || s.params
                .iter()
                .zip(params)
                .any(|(a, b)| (a - b).abs() > 1e-8 * scale.max(1e-300))
        {
            bail!(
                "the frozen data do not reproduce the journaled coefficients (refit {:?}, \
                 journal {:?})",
                s.params,
                params
            );
        }
        Ok(s)
    }

    /// Fitted / predicted values, residuals and contributions with coefficients `params`
    /// (intercept first, then `columns` in order).
    pub fn series(&self, params: &[f64]) -> Result<ModelSeries> {
        if params.len() != self.columns.len() + 1 {
            bail!(
                "{} coefficients for {} columns and the intercept",
                params.len(),
                self.columns.len()
            );
        }
        let n = self.dates.len();
        let features: Vec<FeatureSeries> = self
            .columns
            .iter()
            .zip(&params[1..])
            .map(|((name, values), &coef)| FeatureSeries {
                name: name.clone(),
                coef,
                contribution: values.iter().map(|v| coef * v).collect(),
                values: values.clone(),
            })
            .collect();
        let fitted: Vec<f64> = (0..n)
            .map(|t| {
                features
                    .iter()
                    .fold(params[0], |acc, f| acc + f.contribution[t])
            })
            .collect();
        let residual = self
            .actual
            .iter()
            .zip(&fitted)
            .map(|(a, f)| a - f)
            .collect();
        Ok(ModelSeries {
            target: self.target.clone(),
            dates: self.dates.clone(),
            in_sample: self.in_sample.clone(),
            actual: self.actual.clone(),
            fitted,
            residual,
            intercept: params[0],
            features,
        })
    }
}

/// One feature's values and contributions over the full sample.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSeries {
    pub name: String,
    pub coef: f64,
    pub values: Vec<f64>,
    pub contribution: Vec<f64>,
}

/// A model's series over the full sample. `fitted` is in-sample fitted and out-of-sample
/// predicted: `const + Σ coef·value`, summed in coefficient order.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSeries {
    pub target: String,
    pub dates: Vec<NaiveDate>,
    pub in_sample: Vec<bool>,
    pub actual: Vec<f64>,
    pub fitted: Vec<f64>,
    pub residual: Vec<f64>,
    pub intercept: f64,
    pub features: Vec<FeatureSeries>,
}

impl ModelSeries {
    /// Residuals of one window (in-sample or out-of-sample), missing values left out.
    pub fn residuals(&self, in_sample: bool) -> Vec<f64> {
        self.residual
            .iter()
            .zip(&self.in_sample)
            .filter(|(r, &i)| i == in_sample && r.is_finite())
            .map(|(r, _)| *r)
            .collect()
    }

    /// One row per date: date, sample (`in` / `out`), actual, fitted, residual, then each
    /// feature's value and contribution.
    pub fn table(&self) -> Table {
        let mut columns: Vec<String> = ["date", "sample", "actual", "fitted", "residual"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for f in &self.features {
            columns.push(f.name.clone());
            columns.push(format!("{}_contribution", f.name));
        }
        let mut t = Table {
            columns,
            rows: Vec::with_capacity(self.dates.len()),
        };
        let real = |v: f64| {
            if v.is_nan() {
                Cell::Null
            } else {
                Cell::Real(v)
            }
        };
        for i in 0..self.dates.len() {
            let mut row = vec![
                Cell::Text(self.dates[i].to_string()),
                Cell::Text(if self.in_sample[i] { "in" } else { "out" }.into()),
                real(self.actual[i]),
                real(self.fitted[i]),
                real(self.residual[i]),
            ];
            for f in &self.features {
                row.push(real(f.values[i]));
                row.push(real(f.contribution[i]));
            }
            t.rows.push(row);
        }
        t
    }

    /// A JSON document: the target, the intercept, each feature with its coefficient, and the
    /// rows of [`ModelSeries::table`] (full precision; missing values as null).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "target": self.target,
            "intercept": self.intercept,
            "features": self.features.iter().map(|f| serde_json::json!({
                "name": f.name, "coef": f.coef,
            })).collect::<Vec<_>>(),
            "rows": self.table().to_json(),
        })
    }
}
