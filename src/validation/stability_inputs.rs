//! The `[stability]` and `[backtest]` settings resolved against the frozen data: the cuts
//! (§11's defaults by frequency), the break dates and jump-offs as rows of the calendar, the
//! target's level link, lead and quarterly aggregation, and its actual levels. Every check that
//! needs the data happens here, so a bad date stops `run` (before the search) and `validate`
//! (before any analysis writes) with an error naming the key and the date.

use chrono::{Datelike, NaiveDate};

use crate::config::{Config, ConfigError, QuarterAggregation};
use crate::data::{self, Aggregation, Frequency, Sample};
use crate::features::Transform;
use crate::projection::{LevelLink, QuarterOf};
use crate::session::Session;
use specsearch_core::backtest::BacktestInput;

/// Which jump-offs the backtests start from.
#[derive(Debug, Clone, PartialEq)]
pub enum JumpOffs {
    /// `backtest.jump_offs`, each checked to have `quarters` quarters of actuals after it.
    Configured(Vec<usize>),
    /// Every quarter end from the first in-sample one with `quarters` quarters of actual
    /// target after it (rows of the calendar).
    Default(Vec<usize>),
}

impl JumpOffs {
    pub fn rows(&self) -> &[usize] {
        match self {
            JumpOffs::Configured(r) | JumpOffs::Default(r) => r,
        }
    }
}

/// The settings of §11 and §12 on the frozen calendar.
#[derive(Debug, Clone)]
pub struct StabilityInputs {
    pub frequency: Frequency,
    pub dates: Vec<NaiveDate>,
    pub sample: Sample,
    /// Rows cut per walk-forward trial, in the configured order.
    pub cuts: Vec<usize>,
    /// Break dates of the Chow test and their rows (the first row of the new regime).
    pub break_dates: Vec<(NaiveDate, usize)>,
    /// The least rows of the first recursive window besides `2·columns`: 24 monthly, 12
    /// quarterly.
    pub min_window: usize,
    pub quarters: usize,
    pub jump_offs: JumpOffs,
    pub link: LevelLink,
    pub lead: usize,
    pub aggregation: QuarterAggregation,
    /// The target's actual level on every row of the calendar.
    pub levels: Vec<f64>,
}

impl StabilityInputs {
    /// Resolves the session config's settings (see the module docs).
    pub fn resolve(session: &Session) -> Result<StabilityInputs, ConfigError> {
        let config = &session.config;
        let bundle = &session.built.bundle;
        let frequency = bundle.frequency;
        let dates = bundle.dates.clone();
        let sample = bundle.sample;
        let target = &config.file.target;
        let levels = bundle
            .base_series
            .iter()
            .find(|(n, _)| *n == target.column)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| invalid(config, "target.column", "is not in the frozen data".into()))?;
        let cuts = config
            .file
            .stability
            .cuts_for(frequency)
            .into_iter()
            .map(|k| k as usize)
            .collect();
        let (in_first, in_last) = (dates[sample.in_start], dates[sample.in_end]);
        let mut break_dates = Vec::new();
        for (i, text) in config.file.stability.break_dates.iter().enumerate() {
            let key = format!("stability.break_dates[{i}]");
            let (d, row) = date_row(config, &key, text, frequency, &dates)?;
            if row <= sample.in_start || row > sample.in_end {
                return Err(invalid(
                    config,
                    &key,
                    format!(
                        "{d} is outside the in-sample window {in_first} to {in_last}: a break \
                         date is the first date of the new regime, after {in_first} and no later \
                         than {in_last}"
                    ),
                ));
            }
            break_dates.push((d, row));
        }
        let quarters = config.file.backtest.quarters as usize;
        let per_quarter = rows_per_quarter(frequency);
        let horizon = quarters * per_quarter;
        let last = sample.full_end;
        let jump_offs = match &config.file.backtest.jump_offs {
            Some(list) => {
                let mut rows = Vec::with_capacity(list.len());
                for (i, text) in list.iter().enumerate() {
                    let key = format!("backtest.jump_offs[{i}]");
                    let (d, row) = date_row(config, &key, text, frequency, &dates)?;
                    if frequency == Frequency::Monthly && !d.month().is_multiple_of(3) {
                        return Err(invalid(
                            config,
                            &key,
                            format!(
                                "{d} is not a quarter end: backtests are compared in quarters, \
                                 so a jump-off is the last month of a quarter"
                            ),
                        ));
                    }
                    let end = row + horizon;
                    if end > last {
                        return Err(invalid(
                            config,
                            &key,
                            format!(
                                "the jump-off {d} has no {quarters} quarters of actual {} \
                                 after it: they would end on {}, after the sample's end {} \
                                 (sample.full_end)",
                                target.column,
                                crate::scenario::inputs::period_end_after(
                                    d,
                                    quarters as i32,
                                    Frequency::Quarterly
                                ),
                                dates[last]
                            ),
                        ));
                    }
                    if let Some(r) = (row..=end).find(|&r| !levels[r].is_finite()) {
                        return Err(invalid(
                            config,
                            &key,
                            format!(
                                "the jump-off {d} has no {quarters} quarters of actual {} after \
                                 it: there is no value on {}",
                                target.column, dates[r]
                            ),
                        ));
                    }
                    rows.push(row);
                }
                rows.sort_unstable();
                JumpOffs::Configured(rows)
            }
            None => JumpOffs::Default(
                (sample.in_start..=last)
                    .filter(|&r| {
                        frequency == Frequency::Quarterly || dates[r].month().is_multiple_of(3)
                    })
                    .filter(|&r| {
                        r + horizon <= last && (r..=r + horizon).all(|t| levels[t].is_finite())
                    })
                    .collect(),
            ),
        };
        let period = target.period as usize;
        let link = match target.transform {
            Transform::Lv => LevelLink::Level,
            Transform::Df => LevelLink::Difference { period },
            Transform::Gr => LevelLink::Growth { period },
            other => {
                return Err(invalid(
                    config,
                    "target.transform",
                    format!("{other} has no level link: the target must be LV, DF or GR"),
                ))
            }
        };
        let aggregation = config
            .file
            .scenarios
            .as_ref()
            .and_then(|s| s.aggregation)
            .unwrap_or_else(|| {
                match session
                    .built
                    .metadata
                    .get(&target.column)
                    .map(|m| m.aggregation)
                {
                    Some(Aggregation::Sum) => QuarterAggregation::Sum,
                    Some(Aggregation::End) => QuarterAggregation::End,
                    _ => QuarterAggregation::Mean,
                }
            });
        Ok(StabilityInputs {
            frequency,
            dates,
            sample,
            cuts,
            break_dates,
            min_window: match frequency {
                Frequency::Monthly => 24,
                Frequency::Quarterly => 12,
            },
            quarters,
            jump_offs,
            link,
            lead: target.lead as usize,
            aggregation,
            levels,
        })
    }

    /// What the core's backtests need of a model whose fitted values on every row are
    /// `fitted` (empty for a path given per jump-off).
    pub fn backtest_input<'a>(&'a self, fitted: &'a [f64]) -> BacktestInput<'a> {
        BacktestInput {
            levels: &self.levels,
            fitted,
            link: self.link,
            lead: self.lead,
            rows_per_quarter: self.rows_per_quarter(),
            quarter_of: self.quarter_of(),
            quarters: self.quarters,
            last_row: self.sample.full_end,
        }
    }

    pub fn rows_per_quarter(&self) -> usize {
        rows_per_quarter(self.frequency)
    }

    pub fn quarter_of(&self) -> QuarterOf {
        match self.aggregation {
            QuarterAggregation::Mean => QuarterOf::Mean,
            QuarterAggregation::Sum => QuarterOf::Sum,
            QuarterAggregation::End => QuarterOf::End,
        }
    }

    /// A row's date as the journal stores it.
    pub fn date(&self, row: usize) -> String {
        self.dates[row].format("%Y-%m-%d").to_string()
    }
}

fn rows_per_quarter(frequency: Frequency) -> usize {
    match frequency {
        Frequency::Monthly => 3,
        Frequency::Quarterly => 1,
    }
}

fn invalid(config: &Config, key: &str, message: String) -> ConfigError {
    ConfigError::Invalid {
        path: config.path.clone(),
        key: key.to_string(),
        message,
    }
}

/// A configured date, snapped to its period end, and its row of the calendar.
fn date_row(
    config: &Config,
    key: &str,
    text: &str,
    frequency: Frequency,
    dates: &[NaiveDate],
) -> Result<(NaiveDate, usize), ConfigError> {
    let d = data::parse_date(text)
        .map(|d| data::snap_to_period_end(d, frequency))
        .ok_or_else(|| invalid(config, key, format!("{text:?} is not a date (YYYY-MM-DD)")))?;
    let row = dates.binary_search(&d).map_err(|_| {
        invalid(
            config,
            key,
            format!(
                "{d} is outside the data, which run from {} to {}",
                dates[0],
                dates[dates.len() - 1]
            ),
        )
    })?;
    Ok((d, row))
}
