//! Filter 2 (Coefficient Significance) on the journal path, one coefficient at a time.
//!
//! Almost every spec of a real search fails here, and the full robust covariance costs most of
//! its evaluation (the `O(n·p²)` HAC meat and the `O(p³)` sandwich). The filter only needs one
//! insignificant coefficient to fail the spec, so [`Evaluator::journal_significance`]
//! evaluates coefficients one by one, each as the quadratic form of
//! [`crate::stats::coefficient`] (`O(n·k)`), and stops at the first whose `|t|` is certainly
//! below the cached critical value:
//! - the order: the coefficient that failed last in this scratch (the worker's hint) first,
//!   then by increasing non-robust `|t|` (`β_j² / A_jj`, nearly free), which is the usual
//!   culprit under any covariance;
//! - non-robust fits: the variance `A_jj · SSR/(n−p)` is computed exactly as the full
//!   covariance computes it, so each coefficient's decision is the full path's, bit for bit;
//! - HC1 and HAC: the form's value differs from the sandwich's in the last bits, so a
//!   coefficient counts as insignificant only when `|t|` is below the cut for every variance
//!   within [`crate::stats::coefficient::rounding_bound`] of the form (see there), with a
//!   margin for the square root and the division. The row of `A` is computed with the same
//!   operations as the full inverse ([`inverse_entry`]), so both evaluations start from the
//!   same bits;
//! - the covariance choice (Breusch–Godfrey, Breusch–Pagan, White) is made only when the
//!   verdict depends on it: the first coefficient is judged under all three covariances from
//!   one influence series, and a spec where it is certainly insignificant under each fails
//!   whatever the choice would be (the outcome then has no `cov_type`).
//!
//! A spec with no coefficient certainly insignificant (it passes filter 2, or a coefficient is
//! within rounding of the cut) is decided by the full covariance as before, so the decision is
//! always the one computing everything would take.

use super::{grow, ColRef, Evaluator, SpecCols};
use crate::stats::coefficient::{
    influence_into, robust_variances, rounding_bound, InfluenceColumn,
};
use crate::stats::covariance::{hac_maxlags, CovType};
use crate::stats::dist::PCut;
use crate::stats::linalg::{inverse_entry, lower_inverse_from};
use crate::stats::ols::{Columns, LsWork};

/// What the fast filter-2 decision did, counted per [`super::Scratch`] (for tests and
/// benchmarks: `Scratch::significance_stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignificanceStats {
    /// Specs whose filter 2 the journal path decided one coefficient at a time.
    pub specs: u64,
    /// Specs failed without the covariance choice: their first candidate is insignificant
    /// under every covariance the choice could pick.
    pub choice_skipped: u64,
    /// Influence series computed (one per robust coefficient tested).
    pub forms: u64,
    /// Robust forms whose `|t|` was within rounding of the critical value (left undecided).
    pub near_cut: u64,
    /// Specs handed to the full covariance (no coefficient certainly insignificant).
    pub full: u64,
}

/// Buffers of the fast decision, and the hint (kept across specs: one scratch per worker).
#[derive(Debug, Clone, Default)]
pub(super) struct SignificanceWork {
    linv: Vec<f64>,
    row: Vec<f64>,
    u: Vec<f64>,
    /// Candidate slopes as `(non-robust t², position)`, in the order they are tried.
    order: Vec<(f64, usize)>,
    /// Frozen column id of the coefficient that failed filter 2 last.
    hint: Option<u32>,
    pub(super) stats: SignificanceStats,
}

/// What the journal path's filter 2 reads from the fit.
pub(super) struct FastInputs<'c, 'a> {
    pub(super) cols: &'c SpecCols<'a>,
    /// `max_t |xc_t|` of each spec column.
    pub(super) col_max: &'c [f64],
    /// The factored Gram of the fit.
    pub(super) ls: &'c LsWork,
    pub(super) resid: &'c [f64],
    /// Slopes (spec order).
    pub(super) beta: &'c [f64],
    /// `Σ e²` of `resid`.
    pub(super) ssr: f64,
    /// Rows of the work's `L⁻¹` still valid from the last spec (same leading columns).
    pub(super) inverse_start: usize,
}

/// Relative slack on `|t|` for the square root and the division after the variance (a few
/// ulps; generous).
const T_SLACK: f64 = 1e-14;

/// A coefficient's filter-2 verdict: `Some(false)` certainly insignificant, `Some(true)`
/// certainly significant, `None` within rounding of the cut.
type Verdict = Option<bool>;

impl Evaluator {
    /// Filter 2 on the journal path: `(fails, covariance)`. `fails` is true only when some
    /// coefficient certainly has `p ≥ coef_alpha` under the covariance the §5 choice picks;
    /// `choose` makes that choice (recording its statistics) and is called only when the
    /// verdict depends on it, its result returned. `(false, _)` leaves the decision to the
    /// full covariance.
    pub(super) fn journal_significance(
        &self,
        f: &FastInputs<'_, '_>,
        w: &mut SignificanceWork,
        choose: impl FnOnce() -> CovType,
    ) -> (bool, Option<CovType>) {
        let n = self.n;
        let k = f.beta.len();
        let df_resid = (n - k - 1) as f64;
        let cut = self.t_cut(n - k - 1);
        w.stats.specs += 1;
        grow(&mut w.linv, k * k);
        grow(&mut w.row, k);
        grow(&mut w.u, n);
        lower_inverse_from(&f.ls.l, &f.ls.kept, k, &mut w.linv, f.inverse_start);

        // Candidates (full dummy sets are exempt), by increasing non-robust |t|, the hint
        // first; NaN first (it decides nothing either way).
        w.order.clear();
        for j in 0..k {
            let exempt = match f.cols.refs[j] {
                ColRef::Frozen(id) => self.meta[id].group.is_some(),
                ColRef::Extra(_) => false,
            };
            if !exempt {
                let a_jj = inverse_entry(&w.linv, &f.ls.d, &f.ls.kept, k, j, j);
                let t2 = f.beta[j] * f.beta[j] / a_jj;
                w.order
                    .push((if t2.is_nan() { f64::NEG_INFINITY } else { t2 }, j));
            }
        }
        if w.order.is_empty() {
            return (false, Some(choose()));
        }
        w.order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(h) = w.hint {
            let hinted = w
                .order
                .iter()
                .position(|&(_, j)| matches!(f.cols.refs[j], ColRef::Frozen(id) if id as u32 == h));
            if let Some(pos) = hinted {
                w.order[..=pos].rotate_right(1);
            }
        }

        // The first candidate under every covariance the choice could pick: one influence
        // series gives both robust forms. Insignificant under all three, the spec fails
        // whatever the choice.
        let first = w.order[0].1;
        let nonrobust = self.nonrobust_verdict(f, &w.linv, first, cut, df_resid);
        let robust = self.robust_verdicts(f, w, first, cut, df_resid);
        if nonrobust == Some(false) && robust == (Some(false), Some(false)) {
            w.stats.choice_skipped += 1;
            self.remember(f, w, first);
            return (true, None);
        }
        let cov = choose();
        let verdict = match cov {
            CovType::NonRobust => nonrobust,
            CovType::HC1 => robust.0,
            CovType::HAC => robust.1,
        };
        if verdict == Some(false) {
            self.remember(f, w, first);
            return (true, Some(cov));
        }
        for oi in 1..w.order.len() {
            let j = w.order[oi].1;
            let verdict = match cov {
                CovType::NonRobust => self.nonrobust_verdict(f, &w.linv, j, cut, df_resid),
                CovType::HC1 => self.robust_verdicts(f, w, j, cut, df_resid).0,
                CovType::HAC => self.robust_verdicts(f, w, j, cut, df_resid).1,
            };
            if verdict == Some(false) {
                self.remember(f, w, j);
                return (true, Some(cov));
            }
        }
        w.stats.full += 1;
        (false, Some(cov))
    }

    /// The hint for the next spec: the column of the coefficient that failed.
    fn remember(&self, f: &FastInputs<'_, '_>, w: &mut SignificanceWork, j: usize) {
        w.hint = match f.cols.refs[j] {
            ColRef::Frozen(id) => Some(id as u32),
            ColRef::Extra(_) => None,
        };
    }

    /// Slope `j` under the non-robust covariance, with the full covariance's own arithmetic
    /// (`V_jj = A_jj · σ²`, then `se`, then `t`): exact, never undecided.
    fn nonrobust_verdict(
        &self,
        f: &FastInputs<'_, '_>,
        linv: &[f64],
        j: usize,
        cut: &PCut,
        df_resid: f64,
    ) -> Verdict {
        let k = f.beta.len();
        let scale = f.ssr / df_resid;
        let v = inverse_entry(linv, &f.ls.d, &f.ls.kept, k, j, j) * scale;
        let se = if v >= 0.0 { v.sqrt() } else { f64::NAN };
        Some(cut.t_significant(f.beta[j] / se, df_resid))
    }

    /// Slope `j` under HC1 and HAC, from one influence series: `(hc1, hac)`.
    fn robust_verdicts(
        &self,
        f: &FastInputs<'_, '_>,
        w: &mut SignificanceWork,
        j: usize,
        cut: &PCut,
        df_resid: f64,
    ) -> (Verdict, Verdict) {
        let n = self.n;
        let k = f.beta.len();
        // Row j of A, entry by entry as the full inverse stores it.
        let mut kmag = 0.0;
        for m in 0..k {
            let a = if m <= j {
                inverse_entry(&w.linv, &f.ls.d, &f.ls.kept, k, j, m)
            } else {
                inverse_entry(&w.linv, &f.ls.d, &f.ls.kept, k, m, j)
            };
            w.row[m] = a;
            kmag += a.abs() * f.col_max[m];
        }
        let column = |m: usize| match f.cols.refs[m] {
            ColRef::Frozen(id) => match self.indicator_rows(id) {
                Some(on) => InfluenceColumn::Indicator {
                    on,
                    mean: self.xbar[id],
                },
                None => InfluenceColumn::Dense(f.cols.col(m)),
            },
            ColRef::Extra(_) => InfluenceColumn::Dense(f.cols.col(m)),
        };
        influence_into(f.resid, &w.row[..k], column, &mut w.u);
        w.stats.forms += 1;
        let u = &w.u[..n];
        let lags = hac_maxlags(n);
        let (hc1_var, hac_var) = robust_variances(u, df_resid, lags);
        let b = f.beta[j].abs();
        let mut verdict = |cov_type: CovType, var: f64| -> Verdict {
            let err = rounding_bound(cov_type, n, k, lags, df_resid, f.ssr, kmag);
            let low = var - err;
            // Written positively so NaN leaves the coefficient undecided.
            let v = if low > 0.0 {
                let t_hi = b / low.sqrt() * (1.0 + T_SLACK);
                let t_lo = b / (var + err).sqrt() * (1.0 - T_SLACK);
                cut.quick_range(t_lo, t_hi)
            } else {
                None
            };
            if v.is_none() {
                w.stats.near_cut += 1;
            }
            v
        };
        let hc1 = verdict(CovType::HC1, hc1_var);
        let hac = verdict(CovType::HAC, hac_var);
        (hc1, hac)
    }
}
