//! A model's stability (§11) and backtest (§12) part of the report: the walk-forward plot and
//! table, the coefficients across trials, the recursive coefficients, the break tests with the
//! two CUSUM plots, and the backtest fan with its summaries — or a note saying how to get them
//! (`specsearch validate`). Its figures are of class `plot validation`, like the sensitivity's.

use maud::{html, Markup};

use super::sections::{figure_of_class, table, table_with};
use super::stability_plots;
use super::Plot;
use crate::results::model::{ModelReport, StabilityTables};

/// The pictures of a model's stability and backtests, drawn when the report loads.
#[derive(Debug, Clone, Default)]
pub struct StabilityFigures {
    pub walk_forward: Option<Plot>,
    pub recursive: Vec<Plot>,
    pub cusums: Vec<Plot>,
    pub fan: Option<Plot>,
    /// Pictures that could not be drawn, and why.
    pub notes: Vec<String>,
}

/// Draws what `report`'s journaled stability and backtests allow; `level_name` is the target's
/// level column (the fan's axis).
pub fn figures(report: &ModelReport, level_name: &str) -> StabilityFigures {
    let mut f = StabilityFigures::default();
    let Some(tables) = &report.stability else {
        return f;
    };
    if let Some(s) = &tables.stability {
        match &report.data {
            Some(data) => match stability_plots::walk_forward(data, s) {
                Ok(p) => f.walk_forward = Some(p),
                Err(e) => f.notes.push(format!("walk-forward plot: {e:#}")),
            },
            None => f.notes.push(format!(
                "walk-forward plot: {}",
                report
                    .data_note
                    .as_deref()
                    .unwrap_or("the model's data are not available")
            )),
        }
        if let Some(r) = &s.recursive {
            for series in &r.series {
                match stability_plots::recursive_coefficient(
                    &series.name,
                    &r.dates,
                    &series.coefs,
                    &series.ses,
                ) {
                    Ok(p) => f.recursive.push(p),
                    Err(e) => f.notes.push(format!("recursive {}: {e:#}", series.name)),
                }
            }
        }
        if let Some(data) = &report.data {
            let dates: Vec<chrono::NaiveDate> = data
                .dates
                .iter()
                .zip(&data.in_sample)
                .filter(|(_, &i)| i)
                .map(|(d, _)| *d)
                .collect();
            // The recursive CUSUM first, as in the break-test table.
            let mut cusums: Vec<_> = s.cusums.iter().collect();
            cusums.sort_by_key(|c| c.test != crate::journal::BreakTest::CusumRecursive);
            for c in cusums {
                match stability_plots::cusum(c, &dates) {
                    Ok(p) => f.cusums.push(p),
                    Err(e) => f.notes.push(format!("CUSUM plot: {e:#}")),
                }
            }
        }
    }
    if let Some(b) = &tables.backtest {
        if !b.jump_offs.is_empty() {
            match stability_plots::backtest_fan(level_name, b) {
                Ok(p) => f.fan = Some(p),
                Err(e) => f.notes.push(format!("backtest fan: {e:#}")),
            }
        }
    }
    f
}

/// A validation figure (class `plot validation`).
fn figure(p: &Plot, id: &str) -> maud::Markup {
    figure_of_class(p, id, "plot validation")
}

/// The section of model `id`.
pub fn section(id: &str, report: &ModelReport, figures: &StabilityFigures) -> Markup {
    let tables: Option<&StabilityTables> = report.stability.as_ref();
    html! {
        div.stability id=(format!("{id}-stability")) {
            h4 { "Stability over time" }
            @match tables.filter(|t| t.stability.is_some()) {
                None => {
                    p.note { "This model has no stability analysis: `specsearch validate CONFIG \
                        --spec " (report.spec_index.unwrap_or(0)) "` computes it (the end of \
                        `run` does for the best validation.top_n models)." }
                }
                Some(t) => {
                    p.note { "Walk-forward trials: the in-sample end moves back by each cut and \
                        the model is refitted and judged by every filter; the cut rows are its \
                        pseudo out-of-sample (the true out-of-sample window is not used)." }
                    @if let Some(p) = &figures.walk_forward {
                        (figure(p, &format!("{id}-walk-forward")))
                    }
                    (table(&t.trials(), &[]))
                    h4 { "Coefficients across trials" }
                    p.note { "The full fit's coefficient and p-value, then each trial's change \
                        from it (b_trial / b − 1) and p-value." }
                    (table(&t.coefficients_across_trials(), &[]))
                    @if !figures.recursive.is_empty() {
                        h4 { "Recursive coefficients" }
                        div.plots {
                            @for (k, p) in figures.recursive.iter().enumerate() {
                                (figure(p, &format!("{id}-recursive-{k}")))
                            }
                        }
                    }
                    h4 { "Break tests (5%)" }
                    div.plots {
                        @for p in &figures.cusums {
                            (figure(p, &format!("{id}-{}", p.kind)))
                        }
                    }
                    (table(&t.break_tests(), &[]))
                }
            }
            h4 { "Dynamic backtests" }
            @match tables.and_then(|t| t.backtest.as_ref().map(|b| (t, b))) {
                None => {
                    p.note { "This model has no backtests: `specsearch validate` computes them." }
                }
                Some((t, b)) => {
                    @let quarters = b.summaries.first().map_or(0, |s| s.quarters);
                    p.note { "From each jump-off, the model projected " (quarters)
                        " quarters on the actual drivers and converted to the level as a scenario \
                        is; % error = predicted / actual − 1. Jump-offs on or before \
                        the in-sample end are in-sample backtests." }
                    @if let Some(p) = &figures.fan {
                        (figure(p, &format!("{id}-backtest-fan")))
                    }
                    div.cols {
                        div { (table_with(&t.backtest_by_step(), &[], &["all", "in_sample", "out_of_sample"])) }
                        div { (table(&t.backtest_summary(), &[])) }
                    }
                }
            }
            @let notes: Vec<String> = tables
                .map(|t| t.notes())
                .unwrap_or_default()
                .into_iter()
                .chain(figures.notes.iter().cloned())
                .collect();
            @if !notes.is_empty() {
                ul.notes { @for n in &notes { li { (n) } } }
            }
        }
    }
}
