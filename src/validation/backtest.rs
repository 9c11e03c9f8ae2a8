//! Dynamic backtests of each validated model (docs/semantics.md §12): from every jump-off,
//! the model projected `backtest.quarters` quarters on the actual drivers with its journaled
//! coefficients, converted to the target's level as a scenario is (§8; the core's `backtest`),
//! against the actual levels; journaled per model (`backtest_paths`, `backtest_summary`).

use anyhow::Result;

use super::stability_inputs::{JumpOffs, StabilityInputs};
use super::{AnalysisReport, Frame, ModelContext};
use crate::journal::{
    BacktestSample, BacktestSummaryRecord, JournalRw, JumpOffRecord, ModelBacktest,
};
use specsearch_core::backtest::{self, JumpOffError, JumpOffPath};

/// The model's regressors over the whole calendar (coefficient order).
fn calendar_columns(frame: &Frame<'_>, ctx: &ModelContext) -> Vec<Vec<f64>> {
    let bundle = &frame.session.built.bundle;
    let catalogue = &bundle.catalogue;
    ctx.terms
        .iter()
        .map(|t| match catalogue.columns.get(t.id as usize) {
            Some(c) => c.values.clone(),
            None => frame.catalogue.composites[t.id as usize - catalogue.len()]
                .kind
                .values(|s| &catalogue.columns[s as usize].values, bundle.n_rows()),
        })
        .collect()
}

/// `x_t·b` on every row `t` (NaN where a regressor is missing).
fn fitted(params: &[f64], columns: &[Vec<f64>], rows: usize) -> Vec<f64> {
    let mut out = vec![params[0]; rows];
    for (b, x) in params[1..].iter().zip(columns) {
        for (y, v) in out.iter_mut().zip(x) {
            *y += b * v;
        }
    }
    out
}

/// Why a jump-off was left out, for people.
fn why(
    inputs: &StabilityInputs,
    ctx: &ModelContext,
    columns: &[Vec<f64>],
    row: usize,
    e: JumpOffError,
) -> String {
    let date = inputs.date(row);
    match e {
        JumpOffError::Horizon { needed_row, .. } => format!(
            "jump-off {date}: the horizon would end after the sample ({} rows past it)",
            needed_row.saturating_sub(inputs.sample.full_end)
        ),
        JumpOffError::History { row: r } => format!(
            "jump-off {date}: the target's actual level on {} is missing (the level conversion \
             starts from it)",
            inputs.date(r)
        ),
        JumpOffError::Actual { row: r } => format!(
            "jump-off {date}: the target has no actual level on {}",
            inputs.date(r)
        ),
        JumpOffError::Driver { row: r } => {
            let missing: Vec<&str> = ctx
                .terms
                .iter()
                .zip(columns)
                .filter(|(_, x)| !x[r].is_finite())
                .map(|(t, _)| t.name.as_str())
                .collect();
            format!(
                "jump-off {date}: no value of {} on {} (a driver of the projection)",
                if missing.is_empty() {
                    "a regressor".to_string()
                } else {
                    missing.join(", ")
                },
                inputs.date(r)
            )
        }
    }
}

/// The §12 analysis of one model.
pub fn analyze(
    frame: &Frame<'_>,
    inputs: &StabilityInputs,
    ctx: &ModelContext,
) -> Result<ModelBacktest> {
    let columns = calendar_columns(frame, ctx);
    let fitted = fitted(ctx.params(), &columns, inputs.levels.len());
    let input = inputs.backtest_input(&fitted);
    let mut paths: Vec<JumpOffPath> = Vec::new();
    let mut notes = Vec::new();
    for &row in inputs.jump_offs.rows() {
        match backtest::project_from(&input, row) {
            Ok(p) => paths.push(p),
            Err(e) => notes.push(why(inputs, ctx, &columns, row, e)),
        }
    }
    if paths.is_empty() && notes.is_empty() {
        notes.push(match inputs.jump_offs {
            JumpOffs::Default(_) => format!(
                "no quarter end of the sample has {} quarters of actual target after it",
                inputs.quarters
            ),
            JumpOffs::Configured(_) => "no jump-off".into(),
        });
    }
    let in_end = inputs.sample.in_end;
    let step = inputs.rows_per_quarter();
    let jump_offs = paths
        .iter()
        .map(|p| JumpOffRecord {
            jump_off: inputs.date(p.row),
            in_sample: p.row <= in_end,
            p0_level: p.p0,
            dates: (1..=inputs.quarters)
                .map(|h| inputs.date(p.row + h * step))
                .collect(),
            predicted: p.predicted.clone(),
            actual: p.actual.clone(),
            pct_error: p.pct_error.clone(),
            predicted_change: p.predicted_change,
            actual_change: p.actual_change,
        })
        .collect();
    let summaries = summarise(inputs, &paths);
    Ok(ModelBacktest {
        spec_index: ctx.model.spec_index,
        jump_offs,
        summaries,
        notes,
    })
}

/// The summaries of all, in-sample and out-of-sample jump-offs of one model's `paths` (a
/// sample without jump-offs has none).
pub fn summarise(inputs: &StabilityInputs, paths: &[JumpOffPath]) -> Vec<BacktestSummaryRecord> {
    let in_end = inputs.sample.in_end;
    let mut out = Vec::new();
    for sample in BacktestSample::ALL {
        let chosen: Vec<&JumpOffPath> = paths
            .iter()
            .filter(|p| match sample {
                BacktestSample::All => true,
                BacktestSample::InSample => p.row <= in_end,
                BacktestSample::OutOfSample => p.row > in_end,
            })
            .collect();
        if let Some(s) = backtest::summarize(chosen.iter().copied()) {
            out.push(BacktestSummaryRecord {
                sample: *sample,
                quarters: inputs.quarters as u32,
                jump_offs: s.jump_offs as u32,
                mape_by_step: s.mean_abs_pct_error,
                worst_jump_off: inputs.date(chosen[s.worst].row),
                worst_mape: s.worst_mean_abs_pct_error,
                sign_hit_rate: s.sign_hit_rate,
            });
        }
    }
    out
}

/// Runs §12 for `models` and journals it.
pub fn run(
    frame: &Frame<'_>,
    inputs: &StabilityInputs,
    models: &[ModelContext],
    journal: &JournalRw,
) -> Result<AnalysisReport> {
    if let Some(summary) = frame.ratio_target_note() {
        return Ok(AnalysisReport {
            name: "backtests",
            models: 0,
            rows: 0,
            summary,
            notes: Vec::new(),
        });
    }
    let records = models
        .iter()
        .map(|ctx| analyze(frame, inputs, ctx))
        .collect::<Result<Vec<_>>>()?;
    let rows = journal.write_backtests(frame.run.run_id, &records)?;
    let jump_offs = records.iter().map(|m| m.jump_offs.len()).max().unwrap_or(0);
    let at_horizon: Vec<f64> = records
        .iter()
        .filter_map(|m| m.summaries.first())
        .filter_map(|s| s.mape_by_step.last().copied())
        .collect();
    let lo = at_horizon.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = at_horizon.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let notes = records
        .iter()
        .flat_map(|m| {
            m.notes
                .iter()
                .map(move |n| format!("spec {}: {n}", m.spec_index))
        })
        .collect();
    Ok(AnalysisReport {
        name: "backtests",
        models: records.len(),
        rows,
        summary: if at_horizon.is_empty() {
            "no jump-off could be projected (see the notes)".to_string()
        } else {
            format!(
                "{jump_offs} jump-offs × {q} quarters: mean |% error| at {q}Q {:.2}% to {:.2}%",
                100.0 * lo,
                100.0 * hi,
                q = inputs.quarters
            )
        },
        notes,
    })
}
