//! Benchmarks of docs/semantics.md §13 and models whose coefficients are given rather than
//! fitted: the arithmetic that is not OLS.
//!
//! - [`no_change`]: the naive forecast (ŷ = 0 for a difference or growth target; for a level
//!   target the last level known when the forecast is made, carried forward);
//! - [`ar1_recursive`]: an AR(1) of the target transform projected recursively from its last
//!   actual value;
//! - [`score`]: §5's reported statistics and §7's error metrics of any model from its
//!   predictions (no filters: the statistics that need only the residuals and the design).
//!
//! Fitted benchmarks (historical mean, AR(1), forced items only) are fitted by `assess` like
//! any spec; this module scores the two kinds of model `assess` cannot fit.

use crate::assess::{Outcome, Status};
use crate::stats::diagnostics;
use crate::stats::unitroot::{stationarity_with, UnitRootWork};

/// The no-change prediction of every row of a target column `y` (the modelled transform,
/// shifted by the target's `lead`): 0 for a difference or growth target; for a level target
/// (`level = true`) the level known when the forecast is made, `y[t − max(lead, 1)]` (NaN
/// where that is before the first row).
pub fn no_change(y: &[f64], level: bool, lead: usize) -> Vec<f64> {
    if !level {
        return vec![0.0; y.len()];
    }
    let back = lead.max(1);
    (0..y.len())
        .map(|t| t.checked_sub(back).map_or(f64::NAN, |s| y[s]))
        .collect()
}

/// `n` values of an AR(1) `τ_k = c + φ·τ_{k−1}` from `start` = τ_0 (excluded), computed
/// sequentially (one multiply-add per step, for bit-reproducibility).
pub fn ar1_recursive(intercept: f64, phi: f64, start: f64, n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    let mut prior = start;
    for _ in 0..n {
        prior = intercept + phi * prior;
        out.push(prior);
    }
    out
}

/// A model given by its predictions, to be scored without fitting.
#[derive(Debug, Clone, Copy)]
pub struct Predictions<'a> {
    /// In-sample actual values and the model's predictions of them.
    pub y_in: &'a [f64],
    pub fitted: &'a [f64],
    /// Out-of-sample actual values and predictions (may be empty).
    pub y_oos: &'a [f64],
    pub predicted: &'a [f64],
    /// The in-sample regressors, intercept excluded (empty for the no-change forecast); the
    /// Breusch–Godfrey, Breusch–Pagan and White tests and the VIFs are taken on them.
    pub columns: &'a [&'a [f64]],
    /// The coefficients (intercept first; empty when the model has none).
    pub params: &'a [f64],
}

/// §5's reported statistics and §7's error metrics of a model from its predictions: R² =
/// 1 − SSR/TSS (centered; negative when the model does worse than the mean), adjusted R² with
/// the model's parameter count, in-sample and out-of-sample MAE, RMSE (divided by the row
/// count) and max |error|, Durbin–Watson, Breusch–Godfrey(1), Breusch–Pagan and White (with
/// regressors), Jarque–Bera, Cramér–von Mises, VIFs (two regressors or more) and ADF/PP of the
/// residuals. Nothing is estimated, so there are no standard errors, t or p-values of the
/// coefficients and no covariance type; the status is `passed` (no filter is applied).
/// Out-of-sample rows whose actual or prediction is not finite are skipped (`nobs_oos` counts
/// the others), as for fitted models. A non-finite in-sample value is an `error` outcome.
pub fn score(p: &Predictions<'_>) -> Outcome {
    let mut out = Outcome {
        params: p.params.to_vec(),
        nobs: p.y_in.len(),
        rank: p.params.len(),
        ..Outcome::default()
    };
    let resid: Vec<f64> = p.y_in.iter().zip(p.fitted).map(|(y, f)| y - f).collect();
    if let Some(t) = resid.iter().position(|e| !e.is_finite()) {
        out.status = Status::Error;
        out.message = Some(format!(
            "in-sample row {t}: actual {} or prediction {} is not a finite number",
            p.y_in[t], p.fitted[t]
        ));
        return out;
    }
    out.status = Status::Passed;
    let n = resid.len();
    let nf = n as f64;
    let ybar = p.y_in.iter().sum::<f64>() / nf;
    let tss: f64 = p.y_in.iter().map(|y| (y - ybar) * (y - ybar)).sum();
    let ssr: f64 = resid.iter().map(|e| e * e).sum();
    let r2 = 1.0 - ssr / tss;
    out.r2 = Some(r2);
    let k = p.params.len().max(1) as f64;
    out.adj_r2 = Some(1.0 - (nf - 1.0) / (nf - k) * (1.0 - r2));
    out.is_mae = Some(resid.iter().map(|e| e.abs()).sum::<f64>() / nf);
    out.is_rmse = Some((ssr / nf).sqrt());
    out.is_max_abs_error = Some(resid.iter().fold(0.0f64, |m, e| m.max(e.abs())));
    out.dw = Some(diagnostics::durbin_watson(&resid));
    let bg = diagnostics::breusch_godfrey(&resid, p.columns, 1);
    out.bg_stat = Some(bg.stat);
    out.bg_pvalue = Some(bg.pvalue);
    if !p.columns.is_empty() {
        let bp = diagnostics::breusch_pagan(&resid, p.columns);
        out.bp_stat = Some(bp.stat);
        out.bp_pvalue = Some(bp.pvalue);
        let w = diagnostics::white(&resid, p.columns);
        out.white_stat = Some(w.stat);
        out.white_pvalue = Some(w.pvalue);
    }
    if p.columns.len() >= 2 {
        if let Ok(v) = diagnostics::vif(p.columns) {
            out.vif = v;
        }
    } else if p.columns.len() == 1 {
        out.vif = vec![1.0];
    }
    let jb = diagnostics::jarque_bera(&resid);
    out.jb_stat = Some(jb.stat);
    out.jb_pvalue = Some(jb.pvalue);
    let cvm = diagnostics::cramer_von_mises(&resid);
    if cvm.stat.is_finite() {
        out.cvm_stat = Some(cvm.stat);
        out.cvm_pvalue = Some(cvm.pvalue);
    }
    let s = stationarity_with(&resid, &mut UnitRootWork::default());
    if let Ok(a) = &s.adf {
        out.resid_adf_stat = Some(a.stat);
        out.resid_adf_pvalue = Some(a.pvalue);
        out.resid_adf_lag = Some(a.used_lag as u32);
    }
    if let Ok(pp) = &s.pp {
        out.resid_pp_stat = Some(pp.stat);
        out.resid_pp_pvalue = Some(pp.pvalue);
    }
    let (mut cnt, mut sae, mut sse, mut maxe) = (0usize, 0.0, 0.0, 0.0f64);
    for (y, f) in p.y_oos.iter().zip(p.predicted) {
        let e = y - f;
        if e.is_finite() {
            cnt += 1;
            sae += e.abs();
            sse += e * e;
            maxe = maxe.max(e.abs());
        }
    }
    out.nobs_oos = cnt;
    if cnt > 0 {
        let c = cnt as f64;
        out.oos_mae = Some(sae / c);
        out.oos_rmse = Some((sse / c).sqrt());
        out.oos_max_abs_error = Some(maxe);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_change_carries_the_known_level_forward() {
        let y = [1.0, 2.0, 4.0, 7.0];
        assert_eq!(no_change(&y, false, 0), vec![0.0; 4]);
        let l = no_change(&y, true, 0);
        assert!(l[0].is_nan());
        assert_eq!(&l[1..], &[1.0, 2.0, 4.0]);
        // With a lead of 2, row t holds the level at t + 2; the level known at t is row t − 2.
        let l = no_change(&y, true, 2);
        assert!(l[0].is_nan() && l[1].is_nan());
        assert_eq!(&l[2..], &[1.0, 2.0]);
    }

    #[test]
    fn ar1_by_hand() {
        // τ1 = 1 + 0.5·4 = 3, τ2 = 1 + 1.5 = 2.5, τ3 = 1 + 1.25 = 2.25.
        assert_eq!(ar1_recursive(1.0, 0.5, 4.0, 3), vec![3.0, 2.5, 2.25]);
        assert!(ar1_recursive(1.0, 0.5, 4.0, 0).is_empty());
    }

    #[test]
    fn scores_by_hand() {
        let y = [1.0, 3.0, 2.0, 6.0];
        let f = [2.0, 2.0, 2.0, 2.0];
        let o = score(&Predictions {
            y_in: &y,
            fitted: &f,
            y_oos: &[5.0, f64::NAN, 1.0],
            predicted: &[2.0, 2.0, 2.0],
            columns: &[],
            params: &[2.0],
        });
        assert_eq!(o.status, Status::Passed);
        // Residuals −1, 1, 0, 4: SSR 18; ȳ = 3, TSS 4 + 0 + 1 + 9 = 14.
        assert_eq!(o.r2, Some(1.0 - 18.0 / 14.0));
        // One parameter: adjusted R² equals R².
        assert!((o.adj_r2.unwrap() - o.r2.unwrap()).abs() < 1e-15);
        assert_eq!(o.is_mae, Some(6.0 / 4.0));
        assert_eq!(o.is_rmse, Some((18.0f64 / 4.0).sqrt()));
        assert_eq!(o.is_max_abs_error, Some(4.0));
        // DW: (2² + 1² + 4²) / 18.
        assert_eq!(o.dw, Some(21.0 / 18.0));
        assert_eq!(o.nobs_oos, 2);
        assert_eq!(o.oos_mae, Some(2.0));
        assert_eq!(o.oos_rmse, Some(5.0f64.sqrt()));
        assert_eq!(o.oos_max_abs_error, Some(3.0));
        assert!(o.bse.is_empty() && o.cov_type.is_none());

        let bad = score(&Predictions {
            y_in: &y,
            fitted: &[f64::NAN, 1.0, 1.0, 1.0],
            y_oos: &[],
            predicted: &[],
            columns: &[],
            params: &[],
        });
        assert_eq!(bad.status, Status::Error);
        assert!(bad.message.unwrap().contains("row 0"));
    }
}
