//! §12's backtest summary of the benchmarks and the incumbent: from the jump-offs the validated
//! models are backtested from (`[backtest]`, §12), each projected on actual drivers as it is
//! projected under a scenario (§13) — a regression from its fitted values, the mean as its
//! constant, the AR(1) recursively from the target transform at the jump-off, no change of a
//! level target as the jump-off's level carried forward — converted to levels and summarised
//! as a model's backtests are.

use specsearch_core::backtest::{self, JumpOffPath};

use super::fit::Forecastable;
use super::Model;
use crate::journal::BacktestSummaryRecord;
use crate::scenario::columns::ColumnCatalogue;
use crate::session::Session;
use crate::validation::stability_inputs::StabilityInputs;

/// Each model's summaries (all, in-sample and out-of-sample jump-offs; a model none of whose
/// jump-offs could be projected has none), or why there are none for the run.
pub fn summaries(
    session: &Session,
    models: &[Model],
    notes: &mut Vec<String>,
) -> Vec<(String, Vec<BacktestSummaryRecord>)> {
    if session.config.file.target.exposure.is_some() {
        notes.push(
            "benchmark backtests: not done for a ratio target (levels need the exposure's \
             actual path)"
                .into(),
        );
        return Vec::new();
    }
    let inputs = match StabilityInputs::resolve(session) {
        Ok(i) => i,
        Err(e) => {
            notes.push(format!("benchmark backtests: not done: {e}"));
            return Vec::new();
        }
    };
    let catalogue = ColumnCatalogue::new(&session.built.bundle, &session.plan.composites);
    let target = &session.built.bundle.catalogue.columns[0].values;
    let rows = inputs.levels.len();
    let mut out = Vec::new();
    for m in models {
        let fitted = match &m.forecastable {
            Forecastable::Coefficients(c) => {
                Some(fitted(&catalogue, &c.param_names, &c.params, rows))
            }
            Forecastable::Constant(v) => Some(vec![*v; rows]),
            _ => None,
        };
        let input = inputs.backtest_input(fitted.as_deref().unwrap_or(&[]));
        let horizon = inputs.quarters * inputs.rows_per_quarter();
        let paths: Vec<JumpOffPath> = inputs
            .jump_offs
            .rows()
            .iter()
            .filter_map(|&row| {
                let path = match &m.forecastable {
                    Forecastable::Coefficients(_) | Forecastable::Constant(_) => {
                        return backtest::project_from(&input, row).ok();
                    }
                    Forecastable::LastLevel => vec![inputs.levels[row]; horizon],
                    Forecastable::Ar1 { intercept, phi } => {
                        let start = row.checked_sub(inputs.lead).map(|r| target[r])?;
                        specsearch_core::benchmark::ar1_recursive(*intercept, *phi, start, horizon)
                    }
                    Forecastable::Not(_) => return None,
                };
                backtest::project_path(&input, row, &path).ok()
            })
            .collect();
        let records = crate::validation::backtest::summarise(&inputs, &paths);
        if !records.is_empty() {
            out.push((m.fit.name.clone(), records));
        }
    }
    out
}

/// `params · [1, x]` on every row of the calendar (NaN where a column has no value).
fn fitted(
    catalogue: &ColumnCatalogue<'_>,
    names: &[String],
    params: &[f64],
    rows: usize,
) -> Vec<f64> {
    let mut out = vec![params[0]; rows];
    for (name, b) in names.iter().zip(params).skip(1) {
        match catalogue.id(name) {
            Some(id) => {
                for (y, x) in out.iter_mut().zip(catalogue.calendar_values(id).iter()) {
                    *y += b * x;
                }
            }
            None => out.fill(f64::NAN),
        }
    }
    out
}
