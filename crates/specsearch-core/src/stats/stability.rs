//! Stability of a regression over time (docs/semantics.md §11): expanding-window (recursive)
//! coefficients with ±2 SE bands, the CUSUM of OLS residuals (Ploberger–Krämer), the CUSUM of
//! recursive residuals with its 5 % boundaries (Brown–Durbin–Evans), Hansen's (1992) parameter
//! instability test and the Chow F test at a known break.
//!
//! Reference numerics: statsmodels' `breaks_cusumolsresid`, `recursive_olsresiduals`,
//! `breaks_hansen` and an OLS F test (golden values: `tests/golden/gen_stability.py`).
//!
//! Every window is fitted from scratch on its own centered rows (the intercept partialled out,
//! as in [`super::ols`]), not by rank-one updates: statsmodels updates `(XᵀX)⁻¹` row by row,
//! which carries the rounding of every earlier step; an independent fit per window costs
//! `O(n²k²)` in all (a few hundred microseconds for a monthly model) and has none.

use std::ops::Range;

use super::covariance::nonrobust;
use super::dist::{f_sf, norm_cdf};
use super::linalg::{center_into, chol_in_place, dot};
use super::ols::{ColMajor, LsWork};
use super::{check_finite, StatsError};

/// Brown, Durbin and Evans (1975): the recursive CUSUM's 5 % boundary constant `a` (lines
/// through `(k, ±a√(T−k))` and `(T, ±3a√(T−k))`).
pub const BDE_CRITICAL_5PCT: f64 = 0.948;

/// Ploberger and Krämer (1992), Table 1: the 5 % critical value of the OLS-residual CUSUM
/// (the supremum of a Brownian bridge), to the table's two decimals. Verdicts use the exact
/// quantile [`KOLMOGOROV_5PCT`] so that they agree with the p-value.
pub const PLOBERGER_KRAMER_5PCT_TABLE: f64 = 1.36;

/// The 95 % quantile of the Kolmogorov distribution (`scipy.stats.kstwobign.isf(0.05)`).
pub const KOLMOGOROV_5PCT: f64 = 1.358_098_639_322_550_7;

/// Hansen (1992), Table 1: asymptotic 5 % critical values of the joint `L_c` statistic by the
/// number of parameters tested (index 0 ↔ 1 parameter … index 19 ↔ 20).
pub const HANSEN_CRITICAL_5PCT: [f64; 20] = [
    0.470, 0.749, 1.01, 1.24, 1.47, 1.68, 1.90, 2.11, 2.32, 2.54, 2.75, 2.96, 3.15, 3.34, 3.54,
    3.75, 3.95, 4.14, 4.33, 4.52,
];

/// The first window of the recursive coefficients: `max(2·p, min_window)` rows, with `p` the
/// columns of `[1, X]` and `min_window` 24 for a monthly, 12 for a quarterly search.
pub fn recursive_start(params: usize, min_window: usize) -> usize {
    (2 * params).max(min_window)
}

/// Coefficients of every expanding window `0..m`, `m = start..=n`.
#[derive(Debug, Clone, PartialEq)]
pub struct RecursiveCoefficients {
    /// Rows of the first window.
    pub start: usize,
    /// Per window (window `i` = rows `0..start + i`): coefficients, intercept first; NaN for a
    /// window whose design is rank deficient.
    pub params: Vec<Vec<f64>>,
    /// Non-robust standard errors `√(σ̂²(XᵀX)⁻¹)_jj`, `σ̂² = SSR/(m − p)`, per window.
    pub bse: Vec<Vec<f64>>,
}

/// The CUSUM of OLS residuals (Ploberger–Krämer): `B_t = Σ_{s≤t} e_s / √(n·σ̂²)`,
/// `σ̂² = SSR/(n − p)`, asymptotically a Brownian bridge under stability.
#[derive(Debug, Clone, PartialEq)]
pub struct CusumOls {
    /// `B_t` for `t = 1..n`.
    pub path: Vec<f64>,
    /// `sup_t |B_t|`.
    pub statistic: f64,
    /// Row (0-based) where the supremum is reached.
    pub argmax: usize,
    /// `P(sup|Brownian bridge| > statistic)` (Kolmogorov distribution).
    pub p_value: f64,
}

/// The CUSUM of recursive residuals (Brown–Durbin–Evans) with its 5 % boundaries.
#[derive(Debug, Clone, PartialEq)]
pub struct RecursiveCusum {
    /// Row of the first recursive residual: the first `k` such that rows `0..k` have a full
    /// rank design (`p` unless early rows are degenerate).
    pub first: usize,
    /// Scaled recursive residuals `w_r = (y_r − x_rᵀb_{r}) / √(1 + x_rᵀ(X_rᵀX_r)⁻¹x_r)`, with
    /// `b_r` and `X_r` from rows `0..r`, for `r = first..n`.
    pub residuals: Vec<f64>,
    /// `σ̂` = the sample standard deviation (ddof 1) of `residuals`.
    pub sigma: f64,
    /// `W_r = Σ_{s ≤ r} w_s / σ̂`.
    pub path: Vec<f64>,
    /// The upper boundary at each point, `a(√(T−k) + 2j/√(T−k))`, `j = 1..T−k` (the lower is
    /// its negative), `a` = [`BDE_CRITICAL_5PCT`].
    pub upper: Vec<f64>,
    /// `max_j |W| / (√(T−k) + 2j/√(T−k))`: the boundary is crossed when this exceeds `a`.
    pub statistic: f64,
    /// Index (into `path`) where that maximum is reached.
    pub argmax: usize,
    /// Brown–Durbin–Evans' crossing probability `2(1 − Φ(3s) + e^{−4s²}Φ(s))`, capped at 1
    /// (`s` = the statistic); 0.05 at `s` = [`BDE_CRITICAL_5PCT`].
    pub p_value: f64,
}

impl RecursiveCusum {
    /// Whether the path leaves the 5 % band anywhere.
    pub fn crosses(&self) -> bool {
        self.statistic > BDE_CRITICAL_5PCT
    }
}

/// Hansen's (1992) joint test of the constancy of every coefficient and the error variance.
#[derive(Debug, Clone, PartialEq)]
pub struct Hansen {
    /// `L_c = tr(F⁻¹ S)`, `F = n Σ f_t f_tᵀ`, `S = Σ c_t c_tᵀ`, `c_t` the cumulated scores
    /// `f_t = [e_t x_t, e_t² − mean(e²)]`.
    pub statistic: f64,
    /// Parameters tested: the columns of `[1, X]` plus the variance.
    pub parameters: usize,
    /// Hansen's 5 % critical value for that many parameters (`None` beyond his table's 20).
    pub critical_value: Option<f64>,
}

impl Hansen {
    /// Whether the statistic exceeds the 5 % critical value (`None` without one).
    pub fn unstable(&self) -> Option<bool> {
        self.critical_value.map(|c| self.statistic > c)
    }
}

/// The Chow test of one known break: `F = ((S − S₁ − S₂)/p) / ((S₁ + S₂)/(n − 2p))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chow {
    pub statistic: f64,
    pub df_num: usize,
    pub df_denom: usize,
    pub p_value: f64,
}

/// One least-squares fit of a row range, intercept partialled out.
struct RangeFit {
    /// Coefficients, intercept first.
    params: Vec<f64>,
    /// `(XcᵀXc)⁻¹` of the range's centered columns.
    ainv: Vec<f64>,
    xbar: Vec<f64>,
    ssr: f64,
    rows: usize,
}

/// Reusable buffers of [`fit_range`].
#[derive(Default)]
struct RangeWork {
    ls: LsWork,
    yc: Vec<f64>,
    xc: Vec<f64>,
}

/// OLS of `y` on `[1, cols]` over `rows`; `None` when the range has fewer rows than
/// parameters or its design is rank deficient.
fn fit_range(
    y: &[f64],
    cols: &[&[f64]],
    rows: Range<usize>,
    w: &mut RangeWork,
) -> Option<RangeFit> {
    let n = rows.len();
    let k = cols.len();
    if n < k + 1 {
        return None;
    }
    w.yc.resize(n, 0.0);
    w.xc.resize(n * k, 0.0);
    let ybar = center_into(&y[rows.clone()], &mut w.yc);
    let mut xbar = vec![0.0; k];
    w.ls.ensure(k);
    for (j, c) in cols.iter().enumerate() {
        let c = &c[rows.clone()];
        xbar[j] = center_into(c, &mut w.xc[j * n..(j + 1) * n]);
        w.ls.raw_ss[j] = dot(c, c);
    }
    w.ls.gram_from(
        &ColMajor {
            data: &w.xc[..n * k],
            n,
            k,
        },
        Some(&w.yc[..n]),
    );
    if w.ls.factor_solve(k) < k {
        return None;
    }
    w.ls.invert(k);
    let beta = &w.ls.beta[..k];
    let mut ssr = 0.0;
    for t in 0..n {
        let mut e = w.yc[t];
        for (j, b) in beta.iter().enumerate() {
            e -= b * w.xc[j * n + t];
        }
        ssr += e * e;
    }
    let mut params = Vec::with_capacity(k + 1);
    params.push(ybar - dot(&xbar, beta));
    params.extend_from_slice(beta);
    Some(RangeFit {
        params,
        ainv: w.ls.ainv[..k * k].to_vec(),
        xbar,
        ssr,
        rows: n,
    })
}

fn check_inputs(y: &[f64], cols: &[&[f64]]) -> Result<(), StatsError> {
    check_finite("y", y)?;
    for (j, c) in cols.iter().enumerate() {
        if c.len() != y.len() {
            return Err(StatsError::LengthMismatch {
                column: format!("x{}", j + 1),
                got: c.len(),
                expected: y.len(),
            });
        }
        check_finite(&format!("x{}", j + 1), c)?;
    }
    Ok(())
}

/// Expanding-window OLS from `start` rows to all of them (see [`RecursiveCoefficients`]).
pub fn recursive_coefficients(
    y: &[f64],
    cols: &[&[f64]],
    start: usize,
) -> Result<RecursiveCoefficients, StatsError> {
    check_inputs(y, cols)?;
    let (n, k) = (y.len(), cols.len());
    let p = k + 1;
    if start <= p || start > n {
        return Err(StatsError::TooFewObservations {
            nobs: n,
            needed: start.max(p + 1),
            context: format!(": recursive coefficients from a first window of {start} rows"),
        });
    }
    let mut work = RangeWork::default();
    let mut cov = vec![0.0; p * p];
    let mut out = RecursiveCoefficients {
        start,
        params: Vec::with_capacity(n + 1 - start),
        bse: Vec::with_capacity(n + 1 - start),
    };
    for m in start..=n {
        match fit_range(y, cols, 0..m, &mut work) {
            Some(f) => {
                let scale = f.ssr / (m - p) as f64;
                nonrobust(scale, &f.ainv, &f.xbar, m, k, &mut cov);
                out.bse
                    .push((0..p).map(|j| cov[j * p + j].sqrt()).collect());
                out.params.push(f.params);
            }
            None => {
                out.params.push(vec![f64::NAN; p]);
                out.bse.push(vec![f64::NAN; p]);
            }
        }
    }
    Ok(out)
}

/// The Kolmogorov distribution's survival function `P(K > x)`, `K = sup|Brownian bridge|`
/// (`scipy.stats.kstwobign.sf`): `2Σ(−1)^{j−1}e^{−2j²x²}` for `x ≥ 1`, otherwise one minus
/// the Jacobi-theta form of the CDF, `√(2π)/x · Σ e^{−(2j−1)²π²/(8x²)}` (each series is
/// summed until its terms no longer change the sum).
pub fn kolmogorov_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x >= 1.0 {
        let mut s = 0.0;
        for j in 1..=100u32 {
            let jf = f64::from(j);
            let term = (-2.0 * jf * jf * x * x).exp();
            let before = s;
            s += if j % 2 == 1 { term } else { -term };
            if s == before {
                break;
            }
        }
        return (2.0 * s).clamp(0.0, 1.0);
    }
    let pi = std::f64::consts::PI;
    let c = -pi * pi / (8.0 * x * x);
    let mut s = 0.0;
    for j in 1..=100u32 {
        let odd = f64::from(2 * j - 1);
        let before = s;
        s += (odd * odd * c).exp();
        if s == before {
            break;
        }
    }
    let cdf = (2.0 * pi).sqrt() / x * s;
    (1.0 - cdf).clamp(0.0, 1.0)
}

/// Brown–Durbin–Evans' probability that a Brownian motion crosses the lines `±s(1 + 2t)`,
/// `2(1 − Φ(3s) + e^{−4s²}Φ(s))`, capped at 1.
pub fn bde_crossing_probability(s: f64) -> f64 {
    if s.is_nan() {
        return f64::NAN;
    }
    let p = 2.0 * (norm_cdf(-3.0 * s) + (-4.0 * s * s).exp() * norm_cdf(s));
    p.clamp(0.0, 1.0)
}

/// CUSUM of OLS residuals `resid` of a fit with `params` parameters (statsmodels
/// `breaks_cusumolsresid(resid, ddof=params)`, which scales as R's strucchange does).
pub fn cusum_ols(resid: &[f64], params: usize) -> Result<CusumOls, StatsError> {
    check_finite("resid", resid)?;
    let n = resid.len();
    if n <= params {
        return Err(StatsError::TooFewObservations {
            nobs: n,
            needed: params + 1,
            context: ": CUSUM of OLS residuals".into(),
        });
    }
    let ssr: f64 = resid.iter().map(|e| e * e).sum();
    let scale = (ssr / (n - params) as f64 * n as f64).sqrt();
    if scale.is_nan() || scale <= 0.0 {
        return Err(StatsError::Degenerate(
            "the residuals are all zero (a perfect fit has no CUSUM)".into(),
        ));
    }
    let mut path = Vec::with_capacity(n);
    let mut cum = 0.0;
    for e in resid {
        cum += e;
        path.push(cum / scale);
    }
    let (argmax, statistic) = abs_max(&path);
    Ok(CusumOls {
        path,
        statistic,
        argmax,
        p_value: kolmogorov_sf(statistic),
    })
}

/// `(index, value)` of the largest `|x|` (the first on ties).
fn abs_max(x: &[f64]) -> (usize, f64) {
    x.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(i, m), (j, v)| {
            if v.abs() > m {
                (j, v.abs())
            } else {
                (i, m)
            }
        })
}

/// CUSUM of recursive residuals of `y` on `[1, cols]` (statsmodels
/// `recursive_olsresiduals(res, skip=p)`; see [`RecursiveCusum`]).
pub fn recursive_cusum(y: &[f64], cols: &[&[f64]]) -> Result<RecursiveCusum, StatsError> {
    check_inputs(y, cols)?;
    let (n, k) = (y.len(), cols.len());
    let p = k + 1;
    let mut work = RangeWork::default();
    let mut residuals = Vec::with_capacity(n.saturating_sub(p));
    let mut first = None;
    let mut x = vec![0.0; k];
    for r in p..n {
        let Some(f) = fit_range(y, cols, 0..r, &mut work) else {
            if first.is_none() {
                continue;
            }
            // Rows added to a full-rank design keep it full rank.
            return Err(StatsError::Degenerate(format!(
                "rows 0..{r} lost the full rank of rows 0..{}",
                first.unwrap_or(p)
            )));
        };
        first.get_or_insert(r);
        for (j, c) in cols.iter().enumerate() {
            x[j] = c[r] - f.xbar[j];
        }
        let mut q = 0.0;
        for i in 0..k {
            q += x[i] * dot(&f.ainv[i * k..(i + 1) * k], &x);
        }
        let pred = f.params[0] + (0..k).map(|j| f.params[j + 1] * cols[j][r]).sum::<f64>();
        let factor = 1.0 + 1.0 / f.rows as f64 + q;
        residuals.push((y[r] - pred) / factor.sqrt());
    }
    let first = first.ok_or_else(|| StatsError::TooFewObservations {
        nobs: n,
        needed: p + 2,
        context: ": recursive residuals need a full-rank first window and two more rows".into(),
    })?;
    let m = residuals.len();
    if m < 2 {
        return Err(StatsError::TooFewObservations {
            nobs: n,
            needed: first + 2,
            context: ": recursive residuals need at least two".into(),
        });
    }
    let mean = residuals.iter().sum::<f64>() / m as f64;
    let var = residuals
        .iter()
        .map(|w| (w - mean) * (w - mean))
        .sum::<f64>()
        / (m - 1) as f64;
    let sigma = var.sqrt();
    if sigma.is_nan() || sigma <= 0.0 {
        return Err(StatsError::Degenerate(
            "the recursive residuals do not vary".into(),
        ));
    }
    let root = (m as f64).sqrt();
    let mut path = Vec::with_capacity(m);
    let mut upper = Vec::with_capacity(m);
    let mut scaled = Vec::with_capacity(m);
    let mut cum = 0.0;
    for (i, w) in residuals.iter().enumerate() {
        cum += w / sigma;
        path.push(cum);
        let shape = root + 2.0 * (i + 1) as f64 / root;
        upper.push(BDE_CRITICAL_5PCT * shape);
        scaled.push(cum.abs() / shape);
    }
    let (argmax, statistic) = abs_max(&scaled);
    Ok(RecursiveCusum {
        first,
        residuals,
        sigma,
        path,
        upper,
        statistic,
        argmax,
        p_value: bde_crossing_probability(statistic),
    })
}

/// Hansen's (1992) test from the residuals `resid` of the OLS fit of `y` on `[1, cols]`
/// (statsmodels `breaks_hansen`).
///
/// The statistic is invariant to an invertible linear transformation of the scores, so it is
/// computed from `[e, e·xc_j, e² − mean(e²)]` with centered columns, each score column scaled
/// to unit norm (a well-conditioned `F` whatever the columns' levels), as
/// `Σ_t ‖L⁻¹c_t‖²` with `F = LLᵀ`.
pub fn hansen(resid: &[f64], cols: &[&[f64]]) -> Result<Hansen, StatsError> {
    check_inputs(resid, cols)?;
    let (n, k) = (resid.len(), cols.len());
    let q = k + 2;
    let mean_e2 = resid.iter().map(|e| e * e).sum::<f64>() / n as f64;
    // Scores, column-major n × q.
    let mut f = vec![0.0; n * q];
    f[..n].copy_from_slice(resid);
    let mut xc = vec![0.0; n];
    for (j, c) in cols.iter().enumerate() {
        center_into(c, &mut xc);
        for t in 0..n {
            f[(j + 1) * n + t] = resid[t] * xc[t];
        }
    }
    for t in 0..n {
        f[(k + 1) * n + t] = resid[t] * resid[t] - mean_e2;
    }
    for j in 0..q {
        let col = &mut f[j * n..(j + 1) * n];
        let norm = dot(col, col).sqrt();
        if !(norm > 0.0 && norm.is_finite()) {
            return Err(StatsError::Degenerate(
                "a score column of Hansen's test is zero".into(),
            ));
        }
        col.iter_mut().for_each(|v| *v /= norm);
    }
    let mut fm = vec![0.0; q * q];
    for i in 0..q {
        for j in 0..=i {
            let v = n as f64 * dot(&f[i * n..(i + 1) * n], &f[j * n..(j + 1) * n]);
            fm[i * q + j] = v;
            fm[j * q + i] = v;
        }
    }
    if !chol_in_place(&mut fm, q) {
        return Err(StatsError::Degenerate(
            "the score covariance of Hansen's test is singular".into(),
        ));
    }
    let mut c = vec![0.0; q];
    let mut z = vec![0.0; q];
    let mut statistic = 0.0;
    for t in 0..n {
        for j in 0..q {
            c[j] += f[j * n + t];
        }
        for i in 0..q {
            let s = c[i] - dot(&fm[i * q..i * q + i], &z[..i]);
            z[i] = s / fm[i * q + i];
        }
        statistic += dot(&z, &z);
    }
    let parameters = k + 2;
    Ok(Hansen {
        statistic,
        parameters,
        critical_value: HANSEN_CRITICAL_5PCT.get(parameters - 1).copied(),
    })
}

/// The Chow test of a break at row `split` (the first row of the second regime) for the
/// regression of `y` on `[1, cols]`, non-robust: each regime needs at least `p` rows and a
/// full-rank design, and `n > 2p`.
pub fn chow(y: &[f64], cols: &[&[f64]], split: usize) -> Result<Chow, StatsError> {
    check_inputs(y, cols)?;
    let (n, k) = (y.len(), cols.len());
    let p = k + 1;
    if split < p || n < split + p || n <= 2 * p {
        return Err(StatsError::TooFewObservations {
            nobs: n,
            needed: 2 * p + 1,
            context: format!(
                ": the Chow test needs at least {p} rows on each side of the break and more \
                 than {} in all; the break leaves {split} before it and {} from it on",
                2 * p,
                n.saturating_sub(split)
            ),
        });
    }
    let mut work = RangeWork::default();
    let mut fit = |rows: Range<usize>, which: &str| {
        fit_range(y, cols, rows, &mut work)
            .map(|f| f.ssr)
            .ok_or_else(|| StatsError::Degenerate(format!("the design {which} is rank deficient")))
    };
    let pooled = fit(0..n, "of the whole sample")?;
    let before = fit(0..split, "before the break")?;
    let after = fit(split..n, "from the break on")?;
    let unrestricted = before + after;
    let df_denom = n - 2 * p;
    let statistic = ((pooled - unrestricted) / p as f64) / (unrestricted / df_denom as f64);
    Ok(Chow {
        statistic,
        df_num: p,
        df_denom,
        p_value: f_sf(statistic, p as f64, df_denom as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_critical_values() {
        // Brown-Durbin-Evans chose a = 0.948 for a 5 % crossing probability.
        assert!((bde_crossing_probability(BDE_CRITICAL_5PCT) - 0.05).abs() < 1e-4);
        assert!((bde_crossing_probability(1.143) - 0.01).abs() < 1e-4);
        assert!((bde_crossing_probability(0.850) - 0.10).abs() < 2e-3);
        // Ploberger-Krämer's 1 %, 5 %, 10 % values are the Kolmogorov quantiles to 2 decimals.
        for (alpha, table) in [(0.01, 1.63), (0.05, 1.36), (0.10, 1.22)] {
            let q = bisect(|x| kolmogorov_sf(x) > alpha, 0.5, 3.0);
            assert!((q - table).abs() < 0.005, "{alpha}: {q}");
        }
        assert!((kolmogorov_sf(KOLMOGOROV_5PCT) - 0.05).abs() < 1e-14);
        assert!((KOLMOGOROV_5PCT - PLOBERGER_KRAMER_5PCT_TABLE).abs() < 0.005);
        // statsmodels' own four entries of Hansen's table (keyed by regressors, p = m - 1).
        for (regressors, c) in [(2, 1.01), (6, 1.9), (15, 3.75), (19, 4.52)] {
            assert_eq!(HANSEN_CRITICAL_5PCT[regressors], c);
        }
    }

    fn bisect(above: impl Fn(f64) -> bool, mut lo: f64, mut hi: f64) -> f64 {
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if above(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    #[test]
    fn kolmogorov_series_meet() {
        // Both series are exact; at the switch point they agree to rounding.
        for x in [0.9, 0.95, 1.0, 1.05, 1.2] {
            let pi = std::f64::consts::PI;
            let theta: f64 = (1..50)
                .map(|j| (-(((2 * j - 1) as f64).powi(2)) * pi * pi / (8.0 * x * x)).exp())
                .sum();
            let alt: f64 = (1..50)
                .map(|j| {
                    let s = if j % 2 == 1 { 1.0 } else { -1.0 };
                    s * (-2.0 * (j * j) as f64 * x * x).exp()
                })
                .sum();
            let a = 1.0 - (2.0 * pi).sqrt() / x * theta;
            assert!((a - 2.0 * alt).abs() < 1e-14, "{x}");
        }
        assert_eq!(kolmogorov_sf(0.0), 1.0);
        assert!(kolmogorov_sf(5.0) < 1e-20);
    }

    #[test]
    fn a_perfect_step_is_a_break() {
        // y jumps by 10 halfway with an otherwise tiny noise: every test must see it.
        let n = 80;
        let x: Vec<f64> = (0..n).map(|t| ((t * 7) % 11) as f64).collect();
        let y: Vec<f64> = (0..n)
            .map(|t| {
                1.0 + 0.5 * x[t]
                    + if t >= 40 { 10.0 } else { 0.0 }
                    + 0.01 * ((t * 13 % 7) as f64 - 3.0)
            })
            .collect();
        let cols = [x.as_slice()];
        let c = chow(&y, &cols, 40).unwrap();
        assert!(c.p_value < 1e-12 && c.df_num == 2 && c.df_denom == n - 4);
        let r = recursive_cusum(&y, &cols).unwrap();
        assert!(r.crosses() && r.p_value < 0.05);
        assert_eq!(r.first, 2);
        assert_eq!(r.path.len(), n - 2);
        let fit = crate::stats::ols::fit(&y, &cols, None).unwrap();
        let o = cusum_ols(&fit.resid, 2).unwrap();
        assert!(o.p_value < 0.01, "{o:?}");
        // The bridge peaks at the break.
        assert!((o.argmax as i64 - 39).abs() <= 1, "{}", o.argmax);
        let h = hansen(&fit.resid, &cols).unwrap();
        assert_eq!(h.parameters, 3);
        assert_eq!(h.unstable(), Some(true));
    }

    #[test]
    fn bad_shapes_are_errors() {
        let y = [1.0, 2.0, 3.0, 4.0, 5.0];
        let x = [0.1, 0.5, 0.2, 0.9, 0.3];
        assert!(chow(&y, &[&x], 1).is_err());
        assert!(chow(&y, &[&x], 4).is_err());
        assert!(recursive_coefficients(&y, &[&x], 10).is_err());
        assert!(recursive_coefficients(&y, &[&x], 2).is_err());
        assert!(matches!(
            cusum_ols(&[1.0, f64::NAN, 0.0], 1),
            Err(StatsError::NonFinite { row: 1, .. })
        ));
        assert!(matches!(
            cusum_ols(&[0.0; 5], 1),
            Err(StatsError::Degenerate(_))
        ));
    }
}
