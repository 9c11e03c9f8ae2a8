//! The stability (§11) and backtest (§12) parts of a model's report: what the journal keeps
//! about a validated model, laid out as tables for `show` (text, JSON, CSV) and handed to the
//! HTML report's plots.

use anyhow::Result;

use crate::journal::{
    BacktestSample, BreakTest, BreakVerdict, Journal, ModelBacktest, ModelStability, RunId,
};
use crate::results::table::{fmt_real, Cell, Table, TableText};

/// A validated model's stability and backtests (either may be missing: not validated yet).
#[derive(Debug, Clone, PartialEq)]
pub struct StabilityTables {
    pub stability: Option<ModelStability>,
    pub backtest: Option<ModelBacktest>,
    /// The benchmark with the lowest mean |% error| at the last step over all jump-offs, and
    /// that error (§13: a model's backtest error beside the best benchmark's).
    pub best_benchmark: Option<(String, f64)>,
}

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:+.2}%", 100.0 * v)
    } else {
        "-".into()
    }
}

fn opt(v: Option<f64>) -> Cell {
    v.map_or(Cell::Null, Cell::Real)
}

/// A test's display name.
pub fn test_name(t: BreakTest) -> &'static str {
    match t {
        BreakTest::CusumOls => "CUSUM of OLS residuals",
        BreakTest::CusumRecursive => "CUSUM of recursive residuals",
        BreakTest::Hansen => "Hansen (1992)",
        BreakTest::Chow => "Chow",
    }
}

fn sample_name(s: BacktestSample) -> &'static str {
    match s {
        BacktestSample::All => "all",
        BacktestSample::InSample => "in-sample",
        BacktestSample::OutOfSample => "out-of-sample",
    }
}

/// The mean |% error| at the last step over all jump-offs, of a set of summaries.
fn error_at_horizon(summaries: &[crate::journal::BacktestSummaryRecord]) -> Option<f64> {
    summaries
        .iter()
        .find(|s| s.sample == BacktestSample::All)
        .and_then(|s| s.mape_by_step.last().copied())
        .filter(|v| v.is_finite())
}

/// The run's benchmark (the incumbent left out) with the lowest backtest error at the horizon.
fn best_benchmark(journal: &Journal, run_id: RunId) -> Result<Option<(String, f64)>> {
    let mut best: Option<(String, f64)> = None;
    for fit in journal.benchmarks(run_id)? {
        if fit.kind() != "benchmark" {
            continue;
        }
        let Some(e) = error_at_horizon(&journal.benchmark_backtests(run_id, &fit.name)?) else {
            continue;
        };
        if best.as_ref().is_none_or(|(_, b)| e < *b) {
            best = Some((fit.name, e));
        }
    }
    Ok(best)
}

impl StabilityTables {
    /// What the journal has about `spec_index` of `run_id`; `None` when it was not validated.
    pub fn load(journal: &Journal, run_id: RunId, spec_index: u64) -> Result<Option<Self>> {
        let stability = journal.model_stability(run_id, spec_index)?;
        let backtest = journal.model_backtest(run_id, spec_index)?;
        let best_benchmark = match backtest {
            Some(_) => best_benchmark(journal, run_id)?,
            None => None,
        };
        Ok(
            (stability.is_some() || backtest.is_some()).then_some(StabilityTables {
                stability,
                backtest,
                best_benchmark,
            }),
        )
    }

    /// One row per trial: its window, n, covariance, fit, pseudo-out-of-sample errors and the
    /// verdict of §5's filters.
    pub fn trials(&self) -> Table {
        let mut t = Table::new(&[
            "trial",
            "cut",
            "fit_through",
            "nobs",
            "cov",
            "r2",
            "adj_r2",
            "rmse_in",
            "rmse_oos",
            "mae_oos",
            "max_abs_oos",
            "verdict",
        ]);
        let Some(s) = &self.stability else { return t };
        for r in &s.trials {
            let verdict = match (r.passes, r.failed_test, &r.note) {
                (Some(true), _, _) => "pass".to_string(),
                (Some(false), Some(f), _) => format!("FAIL: {}", f.name()),
                (_, _, Some(note)) => note.clone(),
                _ => "FAIL".into(),
            };
            t.push(vec![
                r.trial.as_str().into(),
                Cell::Int(r.cut.into()),
                r.in_end.as_str().into(),
                Cell::Int(r.nobs.into()),
                r.cov_type.map(|c| c.as_str().to_string()).into(),
                opt(r.r2),
                opt(r.adj_r2),
                opt(r.rmse_in),
                opt(r.rmse_oos),
                opt(r.mae_oos),
                opt(r.max_abs_oos),
                verdict.into(),
            ]);
        }
        t
    }

    /// Every coefficient of every trial (long form, for JSON and CSV).
    pub fn coefficients(&self) -> Table {
        let mut t = Table::new(&["trial", "term", "coef", "std_err", "p_value", "pct_change"]);
        let Some(s) = &self.stability else { return t };
        for r in &s.trials {
            for c in &r.coefficients {
                t.push(vec![
                    r.trial.as_str().into(),
                    c.name.as_str().into(),
                    opt(c.coef),
                    opt(c.se),
                    opt(c.pvalue),
                    opt(c.pct_change),
                ]);
            }
        }
        t
    }

    /// The coefficients across trials for people: a row per term, the full fit's coefficient
    /// and p-value, then each trial's change from it and p-value.
    pub fn coefficients_across_trials(&self) -> Table {
        let Some(s) = &self.stability else {
            return Table::new(&["term"]);
        };
        let mut columns = vec!["term".to_string()];
        columns.extend(s.trials.iter().map(|r| r.trial.clone()));
        let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
        let mut t = Table::new(&refs);
        let Some(full) = s.trials.first() else {
            return t;
        };
        for (j, c) in full.coefficients.iter().enumerate() {
            let mut row: Vec<Cell> = vec![c.name.as_str().into()];
            for r in &s.trials {
                let text = match r.coefficients.get(j) {
                    None => "skipped".to_string(),
                    Some(tc) if r.cut == 0 => format!(
                        "{} (p {})",
                        tc.coef.map_or("-".into(), fmt_real),
                        tc.pvalue.map_or("-".into(), fmt_real)
                    ),
                    Some(tc) => format!(
                        "{} (p {})",
                        tc.pct_change.map_or("n/a".into(), pct),
                        tc.pvalue.map_or("-".into(), fmt_real)
                    ),
                };
                row.push(text.into());
            }
            t.push(row);
        }
        t
    }

    /// One row per break test.
    pub fn break_tests(&self) -> Table {
        let mut t = Table::new(&[
            "test",
            "date",
            "statistic",
            "p_value",
            "critical_5pct",
            "verdict",
        ]);
        let Some(s) = &self.stability else { return t };
        for b in &s.breaks {
            let verdict = match (b.verdict, &b.note) {
                (BreakVerdict::NotComputed, Some(n)) => format!("not computed: {n}"),
                (v, _) => v.as_str().replace('_', " "),
            };
            t.push(vec![
                test_name(b.test).into(),
                b.date.clone().into(),
                opt(b.statistic),
                opt(b.p_value),
                opt(b.critical_value),
                verdict.into(),
            ]);
        }
        t
    }

    /// Mean |% error| by quarter after the jump-off, one column per sample of jump-offs.
    pub fn backtest_by_step(&self) -> Table {
        let Some(b) = &self.backtest else {
            return Table::new(&["step"]);
        };
        let mut columns = vec!["step".to_string()];
        columns.extend(b.summaries.iter().map(|s| s.sample.as_str().to_string()));
        let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
        let mut t = Table::new(&refs);
        let steps = b.summaries.first().map_or(0, |s| s.mape_by_step.len());
        for h in 0..steps {
            let mut row: Vec<Cell> = vec![format!("{}Q", h + 1).into()];
            row.extend(
                b.summaries
                    .iter()
                    .map(|s| s.mape_by_step.get(h).copied().into()),
            );
            t.push(row);
        }
        t
    }

    /// Per sample of jump-offs: how many, the worst one and the sign hit rate.
    pub fn backtest_summary(&self) -> Table {
        let mut t = Table::new(&[
            "sample",
            "jump_offs",
            "worst_jump_off",
            "worst_mean_abs_pct_error",
            "sign_hit_rate",
        ]);
        let Some(b) = &self.backtest else { return t };
        for s in &b.summaries {
            t.push(vec![
                sample_name(s.sample).into(),
                Cell::Int(s.jump_offs.into()),
                s.worst_jump_off.as_str().into(),
                s.worst_mape.into(),
                s.sign_hit_rate.into(),
            ]);
        }
        t
    }

    /// Notes of both analyses.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(s) = &self.stability {
            out.extend(s.notes.iter().map(|n| format!("stability: {n}")));
        }
        if let Some(b) = &self.backtest {
            out.extend(b.notes.iter().map(|n| format!("backtest: {n}")));
        }
        out
    }

    /// The sections for people (appended to `show`).
    pub fn render(&self) -> String {
        let mut s = String::new();
        // `fractions`: columns shown as percentages besides those named so (`pct_*`, …).
        let mut section = |title: &str, t: &Table, fractions: &[&str]| {
            s.push('\n');
            s.push_str(title);
            s.push('\n');
            s.push_str(&t.render_fractions(fractions));
        };
        if self.stability.is_some() {
            section(
                "Walk-forward trials: the fit ends `cut` rows early and is judged by every filter;\n\
                 the cut rows are its pseudo out-of-sample (the true out-of-sample is not used)",
                &self.trials(),
                &[],
            );
            section(
                "Coefficients across trials: the full fit's, then each trial's change from it\n\
                 (b_trial / b - 1), with p-values",
                &self.coefficients_across_trials(),
                &[],
            );
            section("Break tests (5%)", &self.break_tests(), &[]);
        }
        if let Some(b) = &self.backtest {
            let quarters = b.summaries.first().map_or(0, |s| s.quarters);
            section(
                &format!(
                    "Backtests: {quarters}-quarter level projections on actual drivers from each \
                     jump-off;\nmean |% error| by quarter after the jump-off"
                ),
                &self.backtest_by_step(),
                &["all", "in_sample", "out_of_sample"],
            );
            section(
                &format!(
                    "Backtest jump-offs: the worst has the largest mean |% error| over its \
                     steps;\nsign hit rate = the share whose {quarters}Q change has the actual's \
                     sign"
                ),
                &self.backtest_summary(),
                &[],
            );
            let own = error_at_horizon(&b.summaries);
            if let (Some(own), Some((name, theirs))) = (own, &self.best_benchmark) {
                s.push_str(&format!(
                    "\nAt {quarters}Q the mean |% error| is {:.2}%, {:.2} times the best \
                     benchmark's ({name}: {:.2}%)\n",
                    100.0 * own,
                    own / theirs,
                    100.0 * theirs
                ));
            }
        }
        let notes = self.notes();
        if !notes.is_empty() {
            s.push_str("\nNotes\n");
            for n in notes {
                s.push_str(&format!("  {n}\n"));
            }
        }
        s
    }

    /// The heading of a part of [`Self::parts`] (the workbook's tables).
    pub fn title(part: &str) -> &'static str {
        match part {
            "stability_trial" => "Walk-forward trials",
            "stability_coefficient" => "Coefficients across trials",
            "break_test" => "Break tests",
            "backtest_step" => "Backtests: mean |% error| by step",
            "backtest_summary" => "Backtest summary",
            _ => "Stability",
        }
    }

    /// The parts as named tables (JSON members, CSV sections).
    pub fn parts(&self) -> Vec<(&'static str, Table)> {
        let mut out = Vec::new();
        if self.stability.is_some() {
            out.push(("stability_trial", self.trials()));
            out.push(("stability_coefficient", self.coefficients()));
            out.push(("break_test", self.break_tests()));
        }
        if self.backtest.is_some() {
            out.push(("backtest_step", self.backtest_by_step()));
            out.push(("backtest_summary", self.backtest_summary()));
        }
        out
    }
}
