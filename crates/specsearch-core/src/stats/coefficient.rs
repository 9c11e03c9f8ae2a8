//! The robust variance of **one** slope coefficient, without the covariance matrix.
//!
//! With `A = (XcᵀXc)⁻¹` and `a` its row of slope `c`, the `c`-th diagonal entry of the HC1 and
//! HAC sandwiches of [`super::covariance`] is a quadratic form of the coefficient's *influence
//! series* `u_t = e_t · (a · xc_t)`:
//! - HC1: `n/(n−p) · Σ_t u_t²`;
//! - HAC (Bartlett, `L` lags): `Σ_{|l| ≤ L} (1 − |l|/(L+1)) Σ_t u_t u_{t−|l|}`, the same number
//!   as the sandwich's `(1/(L+1)) Σ_r (moving sum of L+1 scores)²` in exact arithmetic.
//!
//! That costs `O(n·k)` (the influence series) plus `O(n·L)`, instead of the `O(n·p²)` meat and
//! `O(p³)` sandwich of the full matrix, so a filter that stops at the first insignificant
//! coefficient usually pays for one such form.
//!
//! **Rounding.** The form is evaluated in another order than the sandwich, so the two results
//! differ in the last bits. [`rounding_bound`] bounds that difference rigorously (standard
//! forward error analysis of sums and dot products, `|fl(Σ xᵢ) − Σ xᵢ| ≤ γ_m Σ|xᵢ|` with
//! `γ_m = m·u/(1 − m·u)`): both evaluations are within `γ_N · B` of the exact real value of the
//! same form over the same `a`, `e` and `xc` bits, where every term of either computation is
//! dominated by
//! `B = w · Σ_{t,s} κ_{ts} |e_t| |e_s| · ṽ_t ṽ_s`, `ṽ_t = Σ_m |a_m| |xc_tm| ≤ K = Σ_m |a_m| max_t |xc_tm|`,
//! with `κ` the kernel weights (Bartlett: `Σ_s κ_ts ≤ L+1`, so by Cauchy–Schwarz
//! `B ≤ K² (L+1) Σ e²`; HC1: `B = n/(n−p) · K² Σ e²`). A decision taken from the form is
//! therefore the decision of the sandwich whenever the whole interval `value ± bound` is on
//! one side of the cut.

use super::covariance::CovType;

/// One column of an influence series: its centered values, or, for a 0/1 indicator, the rows
/// where it is 1 and its mean (centered value `1[t ∈ on] − mean`), which costs one addition per
/// such row instead of a multiply-add per row.
#[derive(Debug, Clone, Copy)]
pub enum InfluenceColumn<'a> {
    /// Centered values, one per row.
    Dense(&'a [f64]),
    /// A 0/1 column: the rows where it is 1, and its mean.
    Indicator { on: &'a [u32], mean: f64 },
}

/// `u_t = e_t · Σ_m a_m xc_tm` for `t < n` into `u`: the influence series of the slope whose
/// row of `(XcᵀXc)⁻¹` is `a`, over the columns `column(0..a.len())`.
///
/// Each `v_t = Σ_m a_m xc_tm` is a sum of at most `k + 2` rounded terms, each bounded by
/// `|a_m| · max_t |xc_tm|` (dense) or `|a_m| · (1 + mean)` (indicator), plus one rounding for
/// `fl(x − mean)` of the stored centered column; [`rounding_bound`] counts `k + 3`.
pub fn influence_into<'a>(
    resid: &[f64],
    a: &[f64],
    column: impl Fn(usize) -> InfluenceColumn<'a>,
    u: &mut [f64],
) {
    let n = resid.len();
    let u = &mut u[..n];
    u.fill(0.0);
    let mut shift = 0.0;
    for (m, &am) in a.iter().enumerate() {
        match column(m) {
            InfluenceColumn::Dense(x) => {
                for (v, x) in u.iter_mut().zip(&x[..n]) {
                    *v += am * x;
                }
            }
            InfluenceColumn::Indicator { on, mean } => {
                for &t in on {
                    u[t as usize] += am;
                }
                shift += am * mean;
            }
        }
    }
    for (v, e) in u.iter_mut().zip(resid) {
        *v = e * (*v - shift);
    }
}

/// Both robust variances of a slope from its influence series `u`: `(HC1, HAC)`, i.e.
/// `n/df_resid · γ₀` and `γ₀ + 2 Σ_{l=1}^{L} (1 − l/(L+1)) γ_l` with `γ_l = Σ_t u_t u_{t−l}`
/// (`lags` = `L`). Each `γ_l` is summed in eight lanes.
pub fn robust_variances(u: &[f64], df_resid: f64, lags: usize) -> (f64, f64) {
    let n = u.len();
    let g0 = lagged_product(u, 0);
    let lp1 = lags as f64 + 1.0;
    let mut hac = g0;
    for l in 1..=lags.min(n.saturating_sub(1)) {
        hac += 2.0 * (1.0 - l as f64 / lp1) * lagged_product(u, l);
    }
    (n as f64 / df_resid * g0, hac)
}

/// `Σ_{t ≥ l} u_t u_{t−l}` in eight lanes (vectorises; any order is fine for a bounded form).
#[inline]
fn lagged_product(u: &[f64], l: usize) -> f64 {
    let n = u.len();
    let (a, b) = (&u[l..], &u[..n - l]);
    const W: usize = 8;
    let mut acc = [0.0f64; W];
    let ca = a.chunks_exact(W);
    let cb = b.chunks_exact(W);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..W {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    acc.iter().sum::<f64>() + tail
}

/// Bound on `|form − sandwich|` for one slope (see the module docs): `n` rows, `k` slopes,
/// `lags` (HAC), `df_resid`, the residuals' `ssr`, and `kmag = Σ_m |a_m| · max_t |xc_tm|`.
/// Infinite when the bound cannot be trusted (non-finite inputs, or `N·u ≥ 1/2`).
pub fn rounding_bound(
    cov_type: CovType,
    n: usize,
    k: usize,
    lags: usize,
    df_resid: f64,
    ssr: f64,
    kmag: f64,
) -> f64 {
    let (terms, weight) = match cov_type {
        // Sandwich: scores (1), moving sums (L+1), dot over n+L, scale (2), two rows of k;
        // form: influence (k+3, see `influence_into`), L+1 lagged sums over ≤ n, weights and
        // sums (3 per lag).
        CovType::HAC => (
            (1 + (lags + 1) + (n + lags) + 2 + 2 * k) + (k + 3 + n + 3 * (lags + 1)),
            lags as f64 + 1.0,
        ),
        // Sandwich: scores, dot over n, the factor (2), two rows of k; form: influence, dot.
        CovType::HC1 => ((1 + n + 2 + 2 * k) + (k + 3 + n + 2), n as f64 / df_resid),
        // The non-robust variance is computed exactly as the full covariance does.
        CovType::NonRobust => return 0.0,
    };
    // Slack for the few roundings the count leaves out (bound arithmetic, the mean-free
    // residual sum of squares used for Σ e²).
    let nu = (terms + 32) as f64 * (f64::EPSILON / 2.0);
    let trusted = nu < 0.5 && ssr.is_finite() && kmag.is_finite();
    if !trusted {
        return f64::INFINITY;
    }
    let gamma = nu / (1.0 - nu);
    // Factor 2: each of the two evaluations is within γ·B of the exact value.
    2.0 * gamma * weight * kmag * kmag * ssr * (1.0 + 1e-6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::covariance::{cov, hac_maxlags};
    use crate::stats::ols::fit;

    fn series(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed | 1;
        let mut x = 0.0;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                x = 0.6 * x + ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
                x
            })
            .collect()
    }

    /// The form of every slope is within the bound of the sandwich's diagonal, on designs
    /// from benign to nearly collinear and badly scaled.
    #[test]
    fn form_is_within_its_rounding_bound_of_the_sandwich() {
        let mut worst = 0.0f64;
        for case in 0..60u64 {
            let n = 40 + (case as usize * 7) % 180;
            let k = 1 + (case as usize) % 7;
            let mut cols: Vec<Vec<f64>> = (0..k).map(|j| series(case * 31 + j as u64, n)).collect();
            if case % 3 == 1 && k > 1 {
                // Nearly collinear pair.
                let c0 = cols[0].clone();
                for (v, c) in cols[1].iter_mut().zip(&c0) {
                    *v = c + 1e-5 * *v;
                }
            }
            if case % 4 == 2 {
                // Large offset and scale.
                for v in cols[0].iter_mut() {
                    *v = 1e6 + 1e3 * *v;
                }
            }
            let e = series(case * 7 + 3, n);
            let y: Vec<f64> = (0..n)
                .map(|t| cols.iter().map(|c| 0.1 * c[t]).sum::<f64>() + e[t])
                .collect();
            let refs: Vec<&[f64]> = cols.iter().map(|c| c.as_slice()).collect();
            let Ok(f) = fit(&y, &refs, None) else {
                continue;
            };
            let hac = cov(&f, CovType::HAC, None);
            let hc1 = cov(&f, CovType::HC1, None);
            let (p, lags) = (k + 1, hac_maxlags(n));
            let xc = |m: usize| &f.xc[m * n..(m + 1) * n];
            for j in 0..k {
                let a = &f.ainv[j * k..(j + 1) * k];
                let mut u = vec![0.0; n];
                influence_into(&f.resid, a, |m| InfluenceColumn::Dense(xc(m)), &mut u);
                let (v_hc1, v_hac) = robust_variances(&u, f.df_resid, lags);
                let kmag: f64 = (0..k)
                    .map(|m| a[m].abs() * xc(m).iter().fold(0.0f64, |s, v| s.max(v.abs())))
                    .sum();
                for (ct, form, full) in [
                    (CovType::HAC, v_hac, hac[(j + 1) * p + j + 1]),
                    (CovType::HC1, v_hc1, hc1[(j + 1) * p + j + 1]),
                ] {
                    let bound = rounding_bound(ct, n, k, lags, f.df_resid, f.ssr, kmag);
                    let diff = (form - full).abs();
                    assert!(
                        diff <= bound,
                        "case {case} slope {j} {ct}: |{form} − {full}| = {diff} > {bound}"
                    );
                    worst = worst.max(diff / bound);
                }
            }
        }
        // The bound is not vacuous either: it is met with a margin, not by orders of magnitude
        // of slack everywhere (the two evaluations do differ in their last bits).
        assert!(worst > 0.0, "forms and sandwiches never differed");
    }

    #[test]
    fn indicator_columns_give_the_dense_influence() {
        let n = 50;
        let d: Vec<f64> = (0..n).map(|t| f64::from(u8::from(t % 5 == 1))).collect();
        let mean = d.iter().sum::<f64>() / n as f64;
        let dc: Vec<f64> = d.iter().map(|v| v - mean).collect();
        let x = series(9, n);
        let e = series(10, n);
        let on: Vec<u32> = (0..n as u32).filter(|&t| d[t as usize] == 1.0).collect();
        let a = [0.7, -1.3];
        let (mut dense, mut sparse) = (vec![0.0; n], vec![0.0; n]);
        influence_into(
            &e,
            &a,
            |m| InfluenceColumn::Dense(if m == 0 { &dc } else { &x }),
            &mut dense,
        );
        influence_into(
            &e,
            &a,
            |m| {
                if m == 0 {
                    InfluenceColumn::Indicator { on: &on, mean }
                } else {
                    InfluenceColumn::Dense(&x)
                }
            },
            &mut sparse,
        );
        for (a, b) in dense.iter().zip(&sparse) {
            assert!((a - b).abs() <= 1e-14 * (1.0 + a.abs()), "{a} vs {b}");
        }
    }
}
