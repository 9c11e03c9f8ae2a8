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

use crate::config::TargetConfig;
use crate::projection::LevelLink;
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
    /// `true` for the rows of the in-sample fit, `false` for out-of-sample dates and outliers.
    pub in_sample: Vec<bool>,
    /// `true` for in-sample dates left out of the fit (`sample.outliers`, §9).
    pub outlier: Vec<bool>,
    /// `true` for the dates of the out-of-sample window (whichever fit `in_sample` marks).
    pub window_oos: Vec<bool>,
    pub target: String,
    pub actual: Vec<f64>,
    /// The regressors in coefficient order (after the intercept): name and values.
    pub columns: Vec<(String, Vec<f64>)>,
    /// Row of each date on the bundle's calendar.
    pub calendar_rows: Vec<usize>,
    /// A ratio target's levels (`target.exposure`, §9), when it is one.
    pub ratio: Option<RatioLevels>,
}

/// A ratio target's levels (§9): the model predicts a transform of target / exposure (with
/// the target's lead), and the level is the ratio times the exposure. Per row of the data, for
/// the date the row's target value describes (its date plus the lead): the actual level, the
/// exposure, and the actual ratio `period` dates earlier (for DF and GR).
#[derive(Debug, Clone, PartialEq)]
pub struct RatioLevels {
    pub exposure_name: String,
    pub link: LevelLink,
    pub level: Vec<f64>,
    pub exposure: Vec<f64>,
    pub prior_ratio: Vec<f64>,
}

impl RatioLevels {
    /// From the raw target and exposure over the whole calendar, for data rows at calendar
    /// rows `rows`.
    pub fn build(
        rows: &[usize],
        raw: &[f64],
        exposure: &[f64],
        target: &TargetConfig,
        exposure_name: &str,
    ) -> RatioLevels {
        let (lead, p) = (target.lead as usize, target.period as usize);
        let link = match target.transform {
            crate::features::Transform::Df => LevelLink::Difference { period: p },
            crate::features::Transform::Gr => LevelLink::Growth { period: p },
            _ => LevelLink::Level,
        };
        let at = |v: &[f64], r: usize| v.get(r).copied().unwrap_or(f64::NAN);
        let mut out = RatioLevels {
            exposure_name: exposure_name.to_string(),
            link,
            level: Vec::with_capacity(rows.len()),
            exposure: Vec::with_capacity(rows.len()),
            prior_ratio: Vec::with_capacity(rows.len()),
        };
        for &r in rows {
            let d = r + lead;
            out.level.push(at(raw, d));
            out.exposure.push(at(exposure, d));
            out.prior_ratio.push(match (link, d.checked_sub(p)) {
                (LevelLink::Level, _) | (_, None) => f64::NAN,
                (_, Some(q)) => at(raw, q) / at(exposure, q),
            });
        }
        out
    }

    /// The level of row `i` from a predicted transform `y`: the ratio (LV: y; DF: the prior
    /// ratio + y; GR: the prior ratio · (1 + y)) times the exposure.
    pub fn level_of(&self, i: usize, y: f64) -> f64 {
        let ratio = match self.link {
            LevelLink::Level => y,
            LevelLink::Difference { .. } => self.prior_ratio[i] + y,
            LevelLink::Growth { .. } => self.prior_ratio[i] * (1.0 + y),
        };
        ratio * self.exposure[i]
    }
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
            .filter(|&i| matches!(dates[i].1.as_str(), "in" | "outlier" | "out"))
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
            calendar_rows: full.clone(),
            ratio: None,
            dates: full.iter().map(|&i| dates[i].0).collect(),
            in_sample: full.iter().map(|&i| dates[i].1 == "in").collect(),
            outlier: full.iter().map(|&i| dates[i].1 == "outlier").collect(),
            window_oos: full.iter().map(|&i| dates[i].1 == "out").collect(),
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
            calendar_rows: full.clone().collect(),
            ratio: None,
            dates: b.dates[full.clone()].to_vec(),
            in_sample: full
                .clone()
                .map(|i| i <= b.sample.in_end && !b.is_outlier(i))
                .collect(),
            outlier: full.clone().map(|i| b.is_outlier(i)).collect(),
            window_oos: full.clone().map(|i| i > b.sample.in_end).collect(),
            target: target.name.clone(),
            actual: target.values[full.clone()].to_vec(),
            columns: columns
                .into_iter()
                .map(|(name, v)| (name, v[full.clone()].to_vec()))
                .collect(),
        }
    }

    /// Adds a ratio target's levels from the raw target and exposure series over the calendar.
    pub fn with_ratio(mut self, raw: &[f64], exposure: &[f64], target: &TargetConfig) -> Self {
        if let Some(name) = &target.exposure {
            self.ratio = Some(RatioLevels::build(
                &self.calendar_rows,
                raw,
                exposure,
                target,
                name,
            ));
        }
        self
    }

    pub fn n_in(&self) -> usize {
        self.in_sample.iter().filter(|&&i| i).count()
    }

    pub fn sample_dates(&self) -> Option<SampleDates> {
        let window: Vec<NaiveDate> = self.dates_where(|i| !self.window_oos[i]);
        let oos: Vec<NaiveDate> = self.dates_where(|i| self.is_oos(i));
        Some(SampleDates {
            in_first: *window.first()?,
            in_last: *window.last()?,
            oos: oos.first().zip(oos.last()).map(|(a, b)| (*a, *b)),
        })
    }

    /// The outlier dates left out of the fit.
    pub fn outlier_dates(&self) -> Vec<NaiveDate> {
        self.dates_where(|i| self.outlier[i])
    }

    /// Whether row `i` is in the out-of-sample window.
    pub fn is_oos(&self, i: usize) -> bool {
        self.window_oos[i]
    }

    fn dates_where(&self, keep: impl Fn(usize) -> bool) -> Vec<NaiveDate> {
        (0..self.dates.len())
            .filter(|&i| keep(i))
            .map(|i| self.dates[i])
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
        let levels = self.ratio.as_ref().map(|r| LevelSeries {
            exposure_name: r.exposure_name.clone(),
            exposure: r.exposure.clone(),
            actual: r.level.clone(),
            fitted: fitted
                .iter()
                .enumerate()
                .map(|(i, &y)| r.level_of(i, y))
                .collect(),
        });
        Ok(ModelSeries {
            levels,
            target: self.target.clone(),
            dates: self.dates.clone(),
            in_sample: self.in_sample.clone(),
            outlier: self.outlier.clone(),
            window_oos: self.window_oos.clone(),
            actual: self.actual.clone(),
            fitted,
            residual,
            intercept: params[0],
            features,
        })
    }
}

/// A ratio target's levels beside the modelled series (§9): for the date each row's target
/// value describes, the exposure, the actual level and the fitted level (the fitted ratio, from
/// the actual ratio history for DF and GR, times the exposure).
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSeries {
    pub exposure_name: String,
    pub exposure: Vec<f64>,
    pub actual: Vec<f64>,
    pub fitted: Vec<f64>,
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
    /// In-sample dates left out of the fit (§9): fitted and residual are shown, not used.
    pub outlier: Vec<bool>,
    /// Dates of the out-of-sample window.
    pub window_oos: Vec<bool>,
    pub actual: Vec<f64>,
    pub fitted: Vec<f64>,
    pub residual: Vec<f64>,
    pub intercept: f64,
    pub features: Vec<FeatureSeries>,
    /// A ratio target's levels, when it is one.
    pub levels: Option<LevelSeries>,
}

impl ModelSeries {
    /// Residuals of the fit's rows (`in_sample`) or of the out-of-sample window, missing
    /// values and outlier dates left out.
    pub fn residuals(&self, in_sample: bool) -> Vec<f64> {
        (0..self.residual.len())
            .filter(|&i| {
                let window = if in_sample {
                    self.in_sample[i]
                } else {
                    self.window_oos[i]
                };
                window && self.residual[i].is_finite()
            })
            .map(|i| self.residual[i])
            .collect()
    }

    /// Where row `i` is: `in`, `outlier` (an in-sample date left out of the fit) or `out`.
    pub fn sample_label(&self, i: usize) -> &'static str {
        if self.outlier[i] {
            "outlier"
        } else if self.window_oos[i] {
            "out"
        } else {
            "in"
        }
    }

    /// One row per date: date, sample (`in` / `outlier` / `out`), actual, fitted, residual,
    /// then each feature's value and contribution.
    pub fn table(&self) -> Table {
        let mut columns: Vec<String> = ["date", "sample", "actual", "fitted", "residual"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(l) = &self.levels {
            columns.push(l.exposure_name.clone());
            columns.push("level_actual".into());
            columns.push("level_fitted".into());
        }
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
                Cell::Text(self.sample_label(i).into()),
                real(self.actual[i]),
                real(self.fitted[i]),
                real(self.residual[i]),
            ];
            if let Some(l) = &self.levels {
                row.push(real(l.exposure[i]));
                row.push(real(l.actual[i]));
                row.push(real(l.fitted[i]));
            }
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
