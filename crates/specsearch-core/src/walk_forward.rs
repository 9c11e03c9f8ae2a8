//! Walk-forward trials (docs/semantics.md §11): the same spec refitted on its in-sample
//! shortened by `k` rows at the end, for each `k` of `stability.cuts`, judged by every filter
//! of §5 exactly as the search judges a spec, with the cut rows as a pseudo out-of-sample.
//!
//! Each trial is one [`Evaluator`] built over the model's own columns only — the trial's rows
//! as its in-sample, the cut rows as its out-of-sample — and assessed with
//! [`Evaluator::assess_report`], so the covariance choice, the HAC lag for the trial's `n`, the
//! filters, the pseudo-out-of-sample errors and every statistic come from the search's own
//! kernel. The target's stationarity verdict (§3, which decides whether filter 6 applies) is
//! the search's, taken once at planning; the columns' unit-root tests of filter 6 are re-run
//! on each trial's rows.

use crate::assess::{
    ColumnData, Evaluator, EvaluatorOptions, FilterThresholds, Outcome, Scratch, TargetData,
};
use crate::stats::StatsError;

/// One fit of the walk-forward table.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// `final` (the full in-sample fit, `cut` 0) or `WF1`, `WF2`, … by position in the cuts
    /// list: a skipped trial keeps its label, so labels never shift.
    pub label: String,
    /// Rows cut from the end of the in-sample.
    pub cut: usize,
    /// In-sample rows of the trial (`n − cut`; its rows are `0..rows`).
    pub rows: usize,
    /// The assessment of the trial (`None` when skipped): coefficients, covariance choice,
    /// filters, R², in-sample errors, and the pseudo-out-of-sample errors over the cut rows
    /// (`oos_rmse` divides by the cut rows with finite values, `nobs_oos`).
    pub outcome: Option<Outcome>,
    /// `(b_trial − b)/b` per coefficient against the full in-sample fit (intercept first);
    /// `None` where `b` is 0 or either coefficient is missing.
    pub pct_change: Vec<Option<f64>>,
    /// Why the trial was skipped.
    pub note: Option<String>,
}

impl Trial {
    /// The label of the `i`-th cut (0-based) of the list.
    pub fn label_of(i: usize) -> String {
        format!("WF{}", i + 1)
    }
}

/// Fewest in-sample rows a trial may keep: the columns of `[1, X]` plus two.
pub fn min_trial_rows(params: usize) -> usize {
    params + 2
}

/// The full in-sample fit and one trial per entry of `cuts`, in that order. `target` and
/// `columns` hold the in-sample rows of the model's fit (`out_of_sample` is ignored: the
/// true out-of-sample window plays no part). A cut that leaves fewer than
/// [`min_trial_rows`] rows gives a skipped trial with a note.
pub fn walk_forward(
    target: &TargetData<'_>,
    columns: &[ColumnData<'_>],
    thresholds: &FilterThresholds,
    cuts: &[usize],
) -> Result<Vec<Trial>, StatsError> {
    let n = target.in_sample.len();
    let params = columns.len() + 1;
    let full = assess_rows(target, columns, thresholds, n, true)?;
    let base = full.params.clone();
    let mut trials = Vec::with_capacity(cuts.len() + 1);
    trials.push(Trial {
        label: "final".into(),
        cut: 0,
        rows: n,
        pct_change: pct_change(&full.params, &base),
        outcome: Some(full),
        note: None,
    });
    for (i, &cut) in cuts.iter().enumerate() {
        let rows = n.saturating_sub(cut);
        let label = Trial::label_of(i);
        if rows < min_trial_rows(params) {
            trials.push(Trial {
                label,
                cut,
                rows,
                outcome: None,
                pct_change: Vec::new(),
                note: Some(format!(
                    "skipped: cutting {cut} of {n} rows leaves {rows}, fewer than the {} a \
                     fit with {params} columns needs (columns + 2)",
                    min_trial_rows(params)
                )),
            });
            continue;
        }
        let outcome = assess_rows(target, columns, thresholds, rows, false)?;
        trials.push(Trial {
            label,
            cut,
            rows,
            pct_change: pct_change(&outcome.params, &base),
            outcome: Some(outcome),
            note: None,
        });
    }
    Ok(trials)
}

/// `(t − b)/b` per coefficient (`None` where `b` is 0 or a value is missing or not finite).
pub fn pct_change(trial: &[f64], base: &[f64]) -> Vec<Option<f64>> {
    (0..base.len())
        .map(|j| {
            let (t, b) = (*trial.get(j)?, base[j]);
            (b != 0.0 && t.is_finite() && b.is_finite()).then(|| (t - b) / b)
        })
        .collect()
}

/// Assesses the model on rows `0..rows`, with rows `rows..n` as its out-of-sample. The full
/// fit (`keep_unit_roots`) keeps the columns' planning unit-root p-values (they were computed
/// on the same rows); a trial recomputes them on its own rows when filter 6 needs them.
fn assess_rows(
    target: &TargetData<'_>,
    columns: &[ColumnData<'_>],
    thresholds: &FilterThresholds,
    rows: usize,
    keep_unit_roots: bool,
) -> Result<Outcome, StatsError> {
    let n = target.in_sample.len();
    let cols: Vec<ColumnData<'_>> = columns
        .iter()
        .map(|c| {
            if c.in_sample.len() != n {
                return Err(StatsError::LengthMismatch {
                    column: c.name.to_string(),
                    got: c.in_sample.len(),
                    expected: n,
                });
            }
            Ok(ColumnData {
                in_sample: &c.in_sample[..rows],
                out_of_sample: &c.in_sample[rows..],
                unit_root: if keep_unit_roots { c.unit_root } else { None },
                ..*c
            })
        })
        .collect::<Result<_, _>>()?;
    let evaluator = Evaluator::new(
        TargetData {
            in_sample: &target.in_sample[..rows],
            out_of_sample: &target.in_sample[rows..],
            ..*target
        },
        &cols,
        thresholds.clone(),
        EvaluatorOptions::default(),
    )?;
    let ids: Vec<u32> = (0..cols.len() as u32).collect();
    Ok(evaluator.assess_report(&ids, &[], &mut Scratch::default()))
}
