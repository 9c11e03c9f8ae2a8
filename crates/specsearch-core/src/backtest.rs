//! Dynamic backtests (docs/semantics.md §12): a model projected from historical jump-off dates
//! on **actual** driver values, as a scenario would be, converted to the target's level by
//! §8's arithmetic ([`projection::to_levels`], sequential, the lead honoured) and to quarters
//! ([`projection::quarters`]), and compared with the actual levels.
//!
//! Pure functions on the calendar's rows; the main crate finds the rows of the dates, the
//! model's fitted values `x_t·b` on every row and the target's actual levels, and names dates
//! and drivers in its messages.

use crate::projection::{self, LevelLink, QuarterOf};

/// What a backtest needs of one model, on the calendar's rows.
#[derive(Debug, Clone, Copy)]
pub struct BacktestInput<'a> {
    /// The target's actual level on every row (NaN where there is none).
    pub levels: &'a [f64],
    /// `x_t·b` on every row `t` (the drivers of row `t`; NaN where one is missing).
    pub fitted: &'a [f64],
    /// How the modelled transform relates to the level.
    pub link: LevelLink,
    /// The target's lead: the transform on row `t` is predicted from the drivers of row
    /// `t − lead`.
    pub lead: usize,
    /// Rows per quarter: 3 for a monthly search, 1 for a quarterly one.
    pub rows_per_quarter: usize,
    /// How three months make a quarter (monthly searches).
    pub quarter_of: QuarterOf,
    /// Quarters projected from each jump-off (9 by default).
    pub quarters: usize,
    /// The last row with actuals the backtests may use (the sample's `full_end`).
    pub last_row: usize,
}

/// Why a jump-off cannot be backtested (rows of the calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JumpOffError {
    /// Fewer than `quarters` full quarters of actuals after the jump-off: the horizon would
    /// end at `needed_row`, past `last_row`.
    Horizon { needed_row: usize, last_row: usize },
    /// The actual level of `row` (the jump-off or the history its transform reaches back to)
    /// is missing.
    History { row: usize },
    /// The actual level of `row` inside the horizon is missing.
    Actual { row: usize },
    /// The fitted value of `row` (a driver of the transform on `row + lead`) is missing.
    Driver { row: usize },
}

/// One jump-off's projection.
#[derive(Debug, Clone, PartialEq)]
pub struct JumpOffPath {
    /// Row of the jump-off.
    pub row: usize,
    /// The actual level at the jump-off (L₀ = P0).
    pub p0: f64,
    /// Predicted levels on every row of the horizon (`row + 1 ..= row + quarters·rows_per_quarter`).
    pub levels: Vec<f64>,
    /// Predicted and actual quarterly levels, steps 1..=quarters.
    pub predicted: Vec<f64>,
    pub actual: Vec<f64>,
    /// `predicted / actual − 1` per step.
    pub pct_error: Vec<f64>,
    /// `P̂_H / P0 − 1` and `P_H / P0 − 1` over the whole horizon.
    pub predicted_change: f64,
    pub actual_change: f64,
}

impl JumpOffPath {
    /// Whether the predicted change over the horizon has the sign of the actual one.
    pub fn sign_hit(&self) -> bool {
        self.predicted_change.signum() == self.actual_change.signum()
            && (self.predicted_change == 0.0) == (self.actual_change == 0.0)
    }

    /// Mean absolute % error over the steps.
    pub fn mean_abs_pct_error(&self) -> f64 {
        self.pct_error.iter().map(|e| e.abs()).sum::<f64>() / self.pct_error.len() as f64
    }
}

/// Projects the model from jump-off `row` (see the module docs): the transform on each row of
/// the horizon is the fitted value of the drivers `lead` rows earlier.
pub fn project_from(input: &BacktestInput<'_>, row: usize) -> Result<JumpOffPath, JumpOffError> {
    let end = check_jump_off(input, row)?;
    if end >= input.fitted.len() + input.lead {
        return Err(JumpOffError::Horizon {
            needed_row: end,
            last_row: input.last_row,
        });
    }
    let mut transform = Vec::with_capacity(end - row);
    for r in row + 1..=end {
        let driver_row = r
            .checked_sub(input.lead)
            .ok_or(JumpOffError::Driver { row: 0 })?;
        let v = input.fitted[driver_row];
        if !v.is_finite() {
            return Err(JumpOffError::Driver { row: driver_row });
        }
        transform.push(v);
    }
    to_path(input, row, &transform)
}

/// Projects a given transform path (one value per row of the horizon, e.g. a dynamic
/// benchmark's recursion from the jump-off) from jump-off `row`, as [`project_from`] does a
/// model's; `input.fitted` is not read.
pub fn project_path(
    input: &BacktestInput<'_>,
    row: usize,
    transform: &[f64],
) -> Result<JumpOffPath, JumpOffError> {
    let end = check_jump_off(input, row)?;
    assert_eq!(
        transform.len(),
        end - row,
        "one transform value per row of the horizon"
    );
    if let Some(k) = transform.iter().position(|v| !v.is_finite()) {
        return Err(JumpOffError::Driver { row: row + k + 1 });
    }
    to_path(input, row, transform)
}

/// The horizon's last row, once the jump-off has its horizon, history and actuals.
fn check_jump_off(input: &BacktestInput<'_>, row: usize) -> Result<usize, JumpOffError> {
    let horizon = input.quarters * input.rows_per_quarter;
    let end = row + horizon;
    if end > input.last_row || end >= input.levels.len() {
        return Err(JumpOffError::Horizon {
            needed_row: end,
            last_row: input.last_row,
        });
    }
    let period = match input.link {
        LevelLink::Level => 0,
        LevelLink::Difference { period } | LevelLink::Growth { period } => period,
    };
    // The jump-off's level and the `period` levels the first steps reach back to.
    let first_history = (row + 1).saturating_sub(period.max(1));
    if row + 1 < period.max(1) {
        return Err(JumpOffError::History { row: 0 });
    }
    if let Some(bad) = (first_history..=row).find(|&r| !input.levels[r].is_finite()) {
        return Err(JumpOffError::History { row: bad });
    }
    if let Some(bad) = (row + 1..=end).find(|&r| !input.levels[r].is_finite()) {
        return Err(JumpOffError::Actual { row: bad });
    }
    Ok(end)
}

/// The levels of a transform path from jump-off `row`, against the actuals.
fn to_path(
    input: &BacktestInput<'_>,
    row: usize,
    transform: &[f64],
) -> Result<JumpOffPath, JumpOffError> {
    let end = row + transform.len();
    let levels = projection::to_levels(input.link, &input.levels[..=row], transform)
        .ok_or(JumpOffError::History { row })?;
    let actual_rows = &input.levels[row + 1..=end];
    let (predicted, actual) = if input.rows_per_quarter == 1 {
        (levels.clone(), actual_rows.to_vec())
    } else {
        (
            projection::quarters(&levels, input.quarter_of),
            projection::quarters(actual_rows, input.quarter_of),
        )
    };
    let p0 = input.levels[row];
    let pct_error = predicted
        .iter()
        .zip(&actual)
        .map(|(p, a)| p / a - 1.0)
        .collect();
    let last = input.quarters - 1;
    Ok(JumpOffPath {
        row,
        p0,
        predicted_change: predicted[last] / p0 - 1.0,
        actual_change: actual[last] / p0 - 1.0,
        levels,
        predicted,
        actual,
        pct_error,
    })
}

/// The summary of a set of jump-offs (all of them, or the in-sample or out-of-sample ones).
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestSummary {
    pub jump_offs: usize,
    /// Mean |% error| of step h (index h − 1) over the jump-offs.
    pub mean_abs_pct_error: Vec<f64>,
    /// Index (into the paths given) of the jump-off with the largest mean |% error| over its
    /// steps (the first on ties), and that mean.
    pub worst: usize,
    pub worst_mean_abs_pct_error: f64,
    /// Share of jump-offs whose predicted change over the horizon has the actual's sign.
    pub sign_hit_rate: f64,
}

/// Summarises `paths` (all of one model, same horizon); `None` when there are none.
pub fn summarize<'a>(paths: impl IntoIterator<Item = &'a JumpOffPath>) -> Option<BacktestSummary> {
    let paths: Vec<&JumpOffPath> = paths.into_iter().collect();
    let first = paths.first()?;
    let steps = first.pct_error.len();
    let count = paths.len() as f64;
    let mean_abs_pct_error = (0..steps)
        .map(|h| paths.iter().map(|p| p.pct_error[h].abs()).sum::<f64>() / count)
        .collect();
    let (worst, worst_mean_abs_pct_error) = paths
        .iter()
        .map(|p| p.mean_abs_pct_error())
        .enumerate()
        .fold(
            (0, f64::NEG_INFINITY),
            |(i, m), (j, v)| {
                if v > m {
                    (j, v)
                } else {
                    (i, m)
                }
            },
        );
    let hits = paths.iter().filter(|p| p.sign_hit()).count();
    Some(BacktestSummary {
        jump_offs: paths.len(),
        mean_abs_pct_error,
        worst,
        worst_mean_abs_pct_error,
        sign_hit_rate: hits as f64 / count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(levels: &'a [f64], fitted: &'a [f64], link: LevelLink) -> BacktestInput<'a> {
        BacktestInput {
            levels,
            fitted,
            link,
            lead: 0,
            rows_per_quarter: 1,
            quarter_of: QuarterOf::Mean,
            quarters: 2,
            last_row: levels.len() - 1,
        }
    }

    #[test]
    fn growth_compounds_and_errors_by_hand() {
        let levels = [100.0, 110.0, 121.0, 120.0];
        let fitted = [0.0, 0.1, 0.1, 0.0];
        let p = project_from(&input(&levels, &fitted, LevelLink::Growth { period: 1 }), 1).unwrap();
        assert_eq!(p.predicted, vec![110.0 * 1.1, 110.0 * 1.1 * 1.0]);
        assert_eq!(p.actual, vec![121.0, 120.0]);
        assert_eq!(
            p.pct_error,
            vec![110.0 * 1.1 / 121.0 - 1.0, 110.0 * 1.1 / 120.0 - 1.0]
        );
        assert!(p.sign_hit());
        let s = summarize([&p]).unwrap();
        assert_eq!(s.jump_offs, 1);
        assert_eq!(s.sign_hit_rate, 1.0);
    }

    #[test]
    fn a_jump_off_needs_its_horizon_history_and_drivers() {
        let levels = [100.0, 110.0, f64::NAN, 120.0, 125.0];
        let fitted = [0.0, 0.1, 0.1, f64::NAN, 0.0];
        let i = input(&levels, &fitted, LevelLink::Difference { period: 1 });
        assert_eq!(
            project_from(&i, 3),
            Err(JumpOffError::Horizon {
                needed_row: 5,
                last_row: 4
            })
        );
        assert_eq!(project_from(&i, 0), Err(JumpOffError::Actual { row: 2 }));
        assert_eq!(project_from(&i, 2), Err(JumpOffError::History { row: 2 }));
        let ok_levels = [100.0, 110.0, 111.0, 120.0, 125.0];
        let i = input(&ok_levels, &fitted, LevelLink::Difference { period: 1 });
        assert_eq!(project_from(&i, 1), Err(JumpOffError::Driver { row: 3 }));
        let i = BacktestInput { lead: 1, ..i };
        // With a lead of one, the transform on row 3 comes from row 2's drivers.
        let p = project_from(&i, 1).unwrap();
        assert_eq!(p.levels, vec![110.0 + 0.1, 110.0 + 0.1 + 0.1]);
    }

    #[test]
    fn a_given_path_is_levelled_as_a_fitted_one_and_needs_finite_values() {
        let levels = [100.0, 110.0, 121.0, 120.0];
        let i = input(&levels, &[], LevelLink::Growth { period: 1 });
        // An AR(1) of growth from 0.1 at the jump-off: 0.02 + 0.5·0.1 = 0.07, then 0.055.
        let p = project_path(&i, 1, &[0.07, 0.055]).unwrap();
        assert_eq!(p.predicted, vec![110.0 * 1.07, 110.0 * 1.07 * 1.055]);
        assert_eq!(p.predicted_change, 110.0 * 1.07 * 1.055 / 110.0 - 1.0);
        let fitted = [0.0, 0.0, 0.07, 0.055];
        let same = project_from(&input(&levels, &fitted, LevelLink::Growth { period: 1 }), 1);
        assert_eq!(same.unwrap(), p);
        assert_eq!(
            project_path(&i, 1, &[0.07, f64::NAN]),
            Err(JumpOffError::Driver { row: 3 })
        );
        // The level carried forward (no change of a level target).
        let flat = project_path(&input(&levels, &[], LevelLink::Level), 1, &[110.0, 110.0]);
        assert_eq!(
            flat.unwrap().pct_error,
            vec![110.0 / 121.0 - 1.0, 110.0 / 120.0 - 1.0]
        );
    }
}
