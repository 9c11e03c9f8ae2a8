//! Unit-root tests: augmented Dickey–Fuller with AIC lag selection (statsmodels `adfuller`,
//! regression "c"), Phillips–Perron Z-tau (arch `PhillipsPerron`, trend "c"), MacKinnon (1994)
//! p-values and MacKinnon (2010) critical values, and the "moderate" stationarity verdict.
//!
//! The ADF lag search fits the nested regressions `Δx_t ~ 1 + x_{t−1} + Δx_{t−1..t−p}` for
//! `p = 0..maxlag` on a common sample. Because the regressor sets are nested, one scaled
//! Cholesky of the largest centered Gram yields every SSR: `SSR_p = TSS − Σ_{i≤p} w_i²` with
//! `w = L⁻¹D⁻¹Xcᵀy`, so the search costs one factorisation instead of `maxlag + 1` fits.

use super::linalg::{dot, mean};
use super::ols::{ColMajor, LsWork};
use super::{check_finite, dist, StatsError};

/// Result of [`adf`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdfResult {
    /// t statistic of `x_{t−1}`.
    pub stat: f64,
    /// MacKinnon (1994) p-value.
    pub pvalue: f64,
    /// Lag order chosen by AIC.
    pub used_lag: usize,
    /// Observations in the final regression.
    pub nobs: usize,
    /// MacKinnon (2010) critical values at 1%, 5%, 10% for `nobs`.
    pub crit: [f64; 3],
    /// Best AIC of the lag search (on the common sample).
    pub icbest: f64,
}

/// Result of [`pp`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PpResult {
    /// Phillips–Perron Z-tau statistic.
    pub stat: f64,
    /// MacKinnon (1994) p-value.
    pub pvalue: f64,
    /// Newey–West lags used for the long-run variance.
    pub lags: usize,
    /// Observations in the regression (`N − 1`).
    pub nobs: usize,
    /// MacKinnon (2010) critical values at 1%, 5%, 10% for `nobs`.
    pub crit: [f64; 3],
}

/// Reusable buffers for the unit-root tests (no allocation once warmed up).
#[derive(Debug, Clone, Default)]
pub struct UnitRootWork {
    xc: Vec<f64>,
    y: Vec<f64>,
    ls: LsWork,
}

/// MacKinnon (1994) approximate asymptotic p-value of a Dickey–Fuller t statistic, one
/// integrated series, constant only (statsmodels `mackinnonp(stat, "c", 1)`).
pub fn mackinnon_p(stat: f64) -> f64 {
    if stat.is_nan() {
        return f64::NAN;
    }
    if stat > 2.74 {
        return 1.0;
    }
    if stat < -18.83 {
        return 0.0;
    }
    let s = stat;
    let poly = if s <= -1.61 {
        2.1659 + s * (1.4412 + s * 0.038269)
    } else {
        1.7339 + s * (0.93202 + s * (-0.12745 + s * -0.010368))
    };
    dist::norm_cdf(poly)
}

/// MacKinnon (2010) critical values (1%, 5%, 10%), constant, one series, for `nobs`
/// observations: `β∞ + β1/T + β2/T² + β3/T³` (statsmodels `mackinnoncrit(1, "c", nobs)`).
pub fn mackinnon_crit(nobs: usize) -> [f64; 3] {
    const TAU_C: [[f64; 4]; 3] = [
        [-3.43035, -6.5393, -16.786, -79.433],
        [-2.86154, -2.8903, -4.234, -40.040],
        [-2.56677, -1.5384, -2.809, 0.0],
    ];
    let inv = 1.0 / nobs as f64;
    TAU_C.map(|b| b[0] + inv * (b[1] + inv * (b[2] + inv * b[3])))
}

fn check_series(x: &[f64]) -> Result<(), StatsError> {
    check_finite("series", x)?;
    let (lo, hi) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    if x.is_empty() || lo == hi {
        return Err(StatsError::ConstantSeries);
    }
    Ok(())
}

fn schwert_lags(n: usize) -> usize {
    (12.0 * (n as f64 / 100.0).powf(0.25)).ceil() as usize
}

/// Fills `work` with the centered ADF design for lag order `p` on the rows
/// `t = start..N−1` of `Δx` (level `x_t`, lags `Δx_{t−1..t−p}`) and the centered target `Δx_t`.
/// Returns `(rows, TSS)`.
fn adf_design(x: &[f64], p: usize, start: usize, work: &mut UnitRootWork) -> (usize, f64) {
    let nd = x.len() - 1;
    let rows = nd - start;
    let k = p + 1;
    if work.xc.len() < rows * k {
        work.xc.resize(rows * k, 0.0);
    }
    if work.y.len() < rows.max(x.len()) {
        work.y.resize(rows.max(x.len()), 0.0);
    }
    // Raw columns first (level, lags), centered in place afterwards.
    for r in 0..rows {
        let t = start + r;
        work.xc[r] = x[t];
        for j in 1..=p {
            work.xc[j * rows + r] = x[t - j + 1] - x[t - j];
        }
        work.y[r] = x[t + 1] - x[t];
    }
    work.ls.ensure(k);
    for j in 0..k {
        let col = &mut work.xc[j * rows..(j + 1) * rows];
        work.ls.raw_ss[j] = dot(col, col);
        let m = mean(col);
        col.iter_mut().for_each(|v| *v -= m);
    }
    let yb = &mut work.y[..rows];
    let m = mean(yb);
    yb.iter_mut().for_each(|v| *v -= m);
    let tss = dot(yb, yb);
    let xc = ColMajor {
        data: &work.xc[..rows * k],
        n: rows,
        k,
    };
    work.ls.gram_from(&xc, Some(&work.y[..rows]));
    (rows, tss)
}

/// ADF test, regression "c", AIC lag selection, default maximum lag
/// `min(⌈12(N/100)^¼⌉, N//2 − 2)`.
pub fn adf(x: &[f64]) -> Result<AdfResult, StatsError> {
    adf_with(x, None, &mut UnitRootWork::default())
}

/// ADF with an optional maximum lag and reusable buffers.
pub fn adf_with(
    x: &[f64],
    maxlag: Option<usize>,
    work: &mut UnitRootWork,
) -> Result<AdfResult, StatsError> {
    check_series(x)?;
    let n = x.len();
    if n / 2 < 2 || n < 4 {
        return Err(StatsError::TooFewObservations {
            nobs: n,
            needed: 4,
            context: ": ADF with a constant".into(),
        });
    }
    let maxlag = maxlag.unwrap_or_else(|| schwert_lags(n)).min(n / 2 - 2);
    // Lag search on the common sample (rows t = maxlag..N−2 of Δx).
    let (rows, tss) = adf_design(x, maxlag, maxlag, work);
    let k = maxlag + 1;
    work.ls.factor_solve(k);
    let nf = rows as f64;
    let llf_const = -nf / 2.0 * ((2.0 * std::f64::consts::PI).ln() + 1.0);
    let (mut best_aic, mut best_lag) = (f64::INFINITY, 0usize);
    let (mut ess, mut rank) = (0.0, 1usize);
    for p in 0..=maxlag {
        ess += work.ls.w[p] * work.ls.w[p];
        rank += usize::from(work.ls.kept[p]);
        let ssr = tss - ess;
        let aic = -2.0 * (llf_const - nf / 2.0 * (ssr / nf).ln()) + 2.0 * rank as f64;
        // Strict `<` keeps the smaller lag on ties, like statsmodels' min over (aic, lag).
        if aic < best_aic {
            best_aic = aic;
            best_lag = p;
        }
    }
    if !best_aic.is_finite() {
        return Err(StatsError::Degenerate(
            "ADF lag search: perfect fit or undefined likelihood".into(),
        ));
    }
    // Refit with the chosen lag on its own longest sample.
    let p = best_lag;
    let (rows, _) = adf_design(x, p, p, work);
    let k = p + 1;
    let rank = work.ls.factor_solve(k);
    if !work.ls.kept[0] {
        return Err(StatsError::Degenerate(
            "ADF: lagged level is collinear with the other regressors".into(),
        ));
    }
    work.ls.invert(k);
    let mut ssr = 0.0;
    for r in 0..rows {
        let mut e = work.y[r];
        for j in 0..k {
            e -= work.ls.beta[j] * work.xc[j * rows + r];
        }
        ssr += e * e;
    }
    let df = rows as f64 - (rank + 1) as f64;
    let scale = ssr / df;
    let se = (scale * work.ls.ainv[0]).sqrt();
    let stat = work.ls.beta[0] / se;
    if !stat.is_finite() {
        return Err(StatsError::Degenerate(
            "ADF: undefined t statistic (perfect fit)".into(),
        ));
    }
    Ok(AdfResult {
        stat,
        pvalue: mackinnon_p(stat),
        used_lag: p,
        nobs: rows,
        crit: mackinnon_crit(rows),
        icbest: best_aic,
    })
}

/// Phillips–Perron Z-tau test, trend "c", lags `⌈12(N/100)^¼⌉`.
pub fn pp(x: &[f64]) -> Result<PpResult, StatsError> {
    pp_with(x, None, &mut UnitRootWork::default())
}

/// Phillips–Perron with optional lags and reusable buffers.
pub fn pp_with(
    x: &[f64],
    lags: Option<usize>,
    work: &mut UnitRootWork,
) -> Result<PpResult, StatsError> {
    check_series(x)?;
    let big_n = x.len();
    let lags = lags.unwrap_or_else(|| schwert_lags(big_n));
    let n = big_n - 1;
    if n < lags || n < 3 {
        return Err(StatsError::TooFewObservations {
            nobs: n,
            needed: 3.max(lags),
            context: ": Phillips-Perron regression plus Newey-West lags".into(),
        });
    }
    let (lag, lead) = (&x[..n], &x[1..]);
    let (mlag, mlead) = (mean(lag), mean(lead));
    let mut sxx = 0.0;
    let mut sxy = 0.0;
    for (a, b) in lag.iter().zip(lead) {
        let da = a - mlag;
        sxx += da * da;
        sxy += da * (b - mlead);
    }
    let rho = sxy / sxx;
    if work.y.len() < n {
        work.y.resize(n, 0.0);
    }
    let u = &mut work.y[..n];
    for ((o, a), b) in u.iter_mut().zip(lag).zip(lead) {
        *o = (b - mlead) - rho * (a - mlag);
    }
    let uu = dot(u, u);
    let nf = n as f64;
    let mut lam2 = uu;
    for j in 1..=lags {
        let w = 1.0 - j as f64 / (lags as f64 + 1.0);
        lam2 += 2.0 * w * dot(&u[j..], &u[..n - j]);
    }
    lam2 /= nf;
    let s2 = uu / (nf - 2.0);
    let s = s2.sqrt();
    let gamma0 = uu / nf;
    let sigma = (s2 / sxx).sqrt();
    let lam = lam2.sqrt();
    let stat = (gamma0 / lam2).sqrt() * ((rho - 1.0) / sigma)
        - 0.5 * ((lam2 - gamma0) / lam) * (nf * sigma / s);
    if !stat.is_finite() {
        return Err(StatsError::Degenerate(
            "Phillips-Perron: undefined statistic (perfect fit)".into(),
        ));
    }
    Ok(PpResult {
        stat,
        pvalue: mackinnon_p(stat),
        lags,
        nobs: n,
        crit: mackinnon_crit(n),
    })
}

/// Both tests on one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Stationarity {
    /// ADF result or its error.
    pub adf: Result<AdfResult, StatsError>,
    /// PP result or its error.
    pub pp: Result<PpResult, StatsError>,
}

impl Stationarity {
    /// ADF p-value, NaN when the test failed.
    pub fn adf_p(&self) -> f64 {
        self.adf.as_ref().map_or(f64::NAN, |r| r.pvalue)
    }
    /// PP p-value, NaN when the test failed.
    pub fn pp_p(&self) -> f64 {
        self.pp.as_ref().map_or(f64::NAN, |r| r.pvalue)
    }
    /// At least one test rejects a unit root at `alpha` (the "moderate" verdict).
    pub fn any_stationary(&self, alpha: f64) -> bool {
        self.adf_p() < alpha || self.pp_p() < alpha
    }
    /// Both tests reject a unit root at `alpha`.
    pub fn both_stationary(&self, alpha: f64) -> bool {
        self.adf_p() < alpha && self.pp_p() < alpha
    }
    /// Both tests fail to reject (p ≥ alpha; an errored test counts as *not* established).
    pub fn both_nonstationary(&self, alpha: f64) -> bool {
        self.adf_p() >= alpha && self.pp_p() >= alpha
    }
}

/// Runs ADF and PP with reusable buffers.
pub fn stationarity_with(x: &[f64], work: &mut UnitRootWork) -> Stationarity {
    Stationarity {
        adf: adf_with(x, None, work),
        pp: pp_with(x, None, work),
    }
}

/// Moderate stationarity: at least one of ADF, PP has p < `alpha`. Errors only when neither
/// test can be computed (returns the ADF error, e.g. [`StatsError::ConstantSeries`]).
pub fn is_stationary(x: &[f64], alpha: f64) -> Result<bool, StatsError> {
    let s = stationarity_with(x, &mut UnitRootWork::default());
    match (&s.adf, &s.pp) {
        (Err(e), Err(_)) => Err(e.clone()),
        _ => Ok(s.any_stationary(alpha)),
    }
}
