//! What statsmodels' `OLSResults.summary()` shows that the search itself never needs: the
//! overall F test (with the fit's covariance), log-likelihood, AIC, BIC, residual degrees of
//! freedom, confidence intervals, skew, kurtosis and the omnibus normality test of the
//! residuals, the condition number of the design, and the full coefficient covariance.
//!
//! Computed on demand (by `show`, `show-model`, `report`) from the in-sample data of one model,
//! never on the search path, so none of it costs the search anything or changes its decisions.
//! Reference numerics: statsmodels `OLS(y, add_constant(X)).fit(cov_type=…, use_t=True)` and
//! scipy (`tests/golden/gen_report_stats.py`).

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::covariance::{self, hac_maxlags, CovType};
use super::diagnostics::{jarque_bera, wald_f};
use super::{dist, ols, StatsError};

/// The summary statistics of one OLS fit with an intercept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitSummary {
    /// Observations.
    pub nobs: usize,
    /// Model degrees of freedom: slopes (rank − 1).
    pub df_model: usize,
    /// Residual degrees of freedom `n − rank`.
    pub df_resid: usize,
    /// Covariance the inference uses.
    pub cov_type: CovType,
    /// Bartlett lags of a HAC covariance (`⌊4(n/100)^(2/9)⌋`), `None` otherwise.
    pub hac_lags: Option<usize>,
    /// Coefficients, intercept first (refitted; equal to the search's to rounding).
    pub params: Vec<f64>,
    /// Standard errors with `cov_type`.
    pub bse: Vec<f64>,
    /// Coefficient covariance with `cov_type`, `p×p` row-major, intercept first.
    pub cov: Vec<f64>,
    /// Overall F test of every slope = 0 with the fit's covariance: the classical
    /// `(ESS/df_model)/(SSR/df_resid)` when non-robust, the Wald F of statsmodels'
    /// `fvalue` otherwise; `None` without slopes.
    pub f_stat: Option<f64>,
    /// p-value of `f_stat`, `F(df_model, df_resid)`.
    pub f_pvalue: Option<f64>,
    /// Gaussian log-likelihood `−n/2·(ln(2π·SSR/n) + 1)`.
    pub llf: f64,
    /// `−2·llf + 2·(df_model + 1)`.
    pub aic: f64,
    /// `−2·llf + ln(n)·(df_model + 1)`.
    pub bic: f64,
    /// Sum of squared residuals.
    pub ssr: f64,
    /// Residual variance `SSR / df_resid`.
    pub scale: f64,
    /// Significance level of the intervals.
    pub alpha: f64,
    /// `1 − alpha` confidence intervals `b ± t_{1−α/2, df_resid}·se`, one `[lower, upper]` per
    /// coefficient.
    pub conf_int: Vec<[f64; 2]>,
    /// Residual skewness (biased moments, as statsmodels' summary).
    pub resid_skew: f64,
    /// Residual kurtosis (Pearson, not excess).
    pub resid_kurtosis: f64,
    /// D'Agostino–Pearson omnibus K² of the residuals (scipy `normaltest`); `None` below 8
    /// observations, where it is undefined.
    pub omnibus: Option<f64>,
    /// χ²(2) p-value of `omnibus`.
    pub omnibus_pvalue: Option<f64>,
    /// Condition number of the design `[1, X]`: ratio of its largest to smallest singular value
    /// (statsmodels' `condition_number`).
    pub condition_number: f64,
}

/// Refits `y` on `[1, cols]` and computes the summary with covariance `cov_type` and intervals
/// at level `alpha` (0 < alpha < 1). Errors are those of [`ols::fit`].
pub fn summarize(
    y: &[f64],
    cols: &[&[f64]],
    cov_type: CovType,
    alpha: f64,
) -> Result<FitSummary, StatsError> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(StatsError::Degenerate(format!(
            "confidence level alpha = {alpha} is not inside (0, 1)"
        )));
    }
    let fit = ols::fit(y, cols, None)?;
    let (n, k) = (fit.nobs, fit.k);
    let p = k + 1;
    let hac_lags = (cov_type == CovType::HAC).then(|| hac_maxlags(n));
    let cov = covariance::cov(&fit, cov_type, hac_lags);
    let inf = fit.inference(&cov);
    let (f_stat, f_pvalue) = if k == 0 {
        (None, None)
    } else if cov_type == CovType::NonRobust {
        let f = ((fit.tss - fit.ssr) / k as f64) / (fit.ssr / fit.df_resid);
        (Some(f), Some(dist::f_sf(f, k as f64, fit.df_resid)))
    } else {
        let slopes: Vec<usize> = (1..p).collect();
        let w = wald_f(&fit.params, &cov, p, &slopes, fit.df_resid);
        (Some(w.stat), Some(w.pvalue))
    };
    let nf = n as f64;
    let llf = -nf / 2.0 * ((2.0 * std::f64::consts::PI * fit.ssr / nf).ln() + 1.0);
    let n_params = (k + 1) as f64;
    let t = StudentsT::new(0.0, 1.0, fit.df_resid)
        .map(|d| d.inverse_cdf(1.0 - alpha / 2.0))
        .unwrap_or(f64::NAN);
    let conf_int = fit
        .params
        .iter()
        .zip(&inf.bse)
        .map(|(b, se)| [b - t * se, b + t * se])
        .collect();
    let jb = jarque_bera(&fit.resid);
    let (omnibus, omnibus_pvalue) = match omnibus_k2(&fit.resid) {
        Some(k2) => (Some(k2), Some(dist::chi2_sf(k2, 2.0))),
        None => (None, None),
    };
    let mut design = Vec::with_capacity(n * p);
    design.extend(std::iter::repeat_n(1.0, n));
    for c in cols {
        design.extend_from_slice(c);
    }
    Ok(FitSummary {
        nobs: n,
        df_model: k,
        df_resid: n - p,
        cov_type,
        hac_lags,
        params: fit.params.clone(),
        bse: inf.bse,
        cov,
        f_stat,
        f_pvalue,
        llf,
        aic: -2.0 * llf + 2.0 * n_params,
        bic: -2.0 * llf + nf.ln() * n_params,
        ssr: fit.ssr,
        scale: fit.scale,
        alpha,
        conf_int,
        resid_skew: jb.skew,
        resid_kurtosis: jb.kurtosis,
        omnibus,
        omnibus_pvalue,
        condition_number: condition_number(&design, n, p),
    })
}

/// D'Agostino–Pearson K² = Z_skew² + Z_kurt² (scipy `skewtest`, `kurtosistest`, `normaltest`),
/// `None` for fewer than 8 values (scipy's minimum for the skew test).
pub fn omnibus_k2(x: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 8 {
        return None;
    }
    let jb = jarque_bera(x);
    let nf = n as f64;
    // skewtest
    let b2 = jb.skew;
    let y = b2 * ((nf + 1.0) * (nf + 3.0) / (6.0 * (nf - 2.0))).sqrt();
    let beta2 = 3.0 * (nf * nf + 27.0 * nf - 70.0) * (nf + 1.0) * (nf + 3.0)
        / ((nf - 2.0) * (nf + 5.0) * (nf + 7.0) * (nf + 9.0));
    let w2 = -1.0 + (2.0 * (beta2 - 1.0)).sqrt();
    let delta = 1.0 / (0.5 * w2.ln()).sqrt();
    let alpha = (2.0 / (w2 - 1.0)).sqrt();
    let y = if y == 0.0 { 1.0 } else { y };
    let zs = delta * (y / alpha + ((y / alpha).powi(2) + 1.0).sqrt()).ln();
    // kurtosistest
    let b2k = jb.kurtosis;
    let e = 3.0 * (nf - 1.0) / (nf + 1.0);
    let var = 24.0 * nf * (nf - 2.0) * (nf - 3.0) / ((nf + 1.0).powi(2) * (nf + 3.0) * (nf + 5.0));
    let xk = (b2k - e) / var.sqrt();
    let sqrtbeta1 = 6.0 * (nf * nf - 5.0 * nf + 2.0) / ((nf + 7.0) * (nf + 9.0))
        * (6.0 * (nf + 3.0) * (nf + 5.0) / (nf * (nf - 2.0) * (nf - 3.0))).sqrt();
    let a =
        6.0 + 8.0 / sqrtbeta1 * (2.0 / sqrtbeta1 + (1.0 + 4.0 / (sqrtbeta1 * sqrtbeta1)).sqrt());
    let term1 = 1.0 - 2.0 / (9.0 * a);
    let denom = 1.0 + xk * (2.0 / (a - 4.0)).sqrt();
    let term2 = denom.signum() * ((1.0 - 2.0 / a) / denom.abs()).cbrt();
    let zk = (term1 - term2) / (2.0 / (9.0 * a)).sqrt();
    Some(zs * zs + zk * zk)
}

/// Ratio of the largest to the smallest singular value of the column-major `n×p` matrix `a`,
/// by one-sided Jacobi rotations (Hestenes): the singular values come out with high relative
/// accuracy, unlike eigenvalues of `AᵀA`, and `p` is the handful of columns of one model, so no
/// linear-algebra library is needed. `inf` for a rank-deficient design.
pub fn condition_number(a: &[f64], n: usize, p: usize) -> f64 {
    let mut u = a[..n * p].to_vec();
    let col = |j: usize| -> std::ops::Range<usize> { j * n..(j + 1) * n };
    for _sweep in 0..60 {
        let mut rotated = false;
        for i in 0..p {
            for j in i + 1..p {
                let (ci, cj) = (col(i), col(j));
                let (mut alpha, mut beta, mut gamma) = (0.0, 0.0, 0.0);
                for (x, y) in u[ci.clone()].iter().zip(&u[cj.clone()]) {
                    alpha += x * x;
                    beta += y * y;
                    gamma += x * y;
                }
                if gamma == 0.0 || gamma.abs() <= 1e-15 * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let t = if zeta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for r in 0..n {
                    let (x, y) = (u[ci.start + r], u[cj.start + r]);
                    u[ci.start + r] = c * x - s * y;
                    u[cj.start + r] = s * x + c * y;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let sv: Vec<f64> = (0..p)
        .map(|j| u[col(j)].iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    let max = sv.iter().copied().fold(0.0, f64::max);
    let min = sv.iter().copied().fold(f64::INFINITY, f64::min);
    if min > 0.0 {
        max / min
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_number_of_a_diagonal_design_is_its_scale_ratio() {
        // Orthogonal columns of norms 2 and 8 (n = 4): singular values 2 and 8.
        let a = [1.0, 1.0, 1.0, 1.0, 4.0, -4.0, 4.0, -4.0];
        assert!((condition_number(&a, 4, 2) - 4.0).abs() < 1e-14);
        // A dependent column: infinite.
        let b = [1.0, 2.0, 3.0, 2.0, 4.0, 6.0];
        assert_eq!(condition_number(&b, 3, 2), f64::INFINITY);
    }

    #[test]
    fn alpha_outside_the_unit_interval_is_refused() {
        let y = [1.0, 2.0, 3.0, 5.0];
        let x = [0.0, 1.0, 2.0, 2.5];
        assert!(summarize(&y, &[&x], CovType::NonRobust, 1.0).is_err());
        assert!(summarize(&y, &[&x], CovType::NonRobust, 0.05).is_ok());
    }
}
