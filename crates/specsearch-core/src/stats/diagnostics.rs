//! Residual diagnostics and collinearity measures: Durbin–Watson, the autocorrelation function,
//! Breusch–Godfrey, Breusch–Pagan (Koenker), White, Jarque–Bera, Cramér–von Mises normality, VIF
//! and the Wald F test of a coefficient group — as standalone functions (statsmodels
//! conventions) plus the allocation-free kernels `assess` uses, which reuse the factored main
//! fit.

use super::linalg::{dot, dot4, forward, mean};
use super::ols::{projection_r2, ColMajor, Columns, LsWork};
use super::{check_finite, dist, StatsError, TestResult};

/// Durbin–Watson `Σ(e_t − e_{t−1})² / Σe_t²`.
pub fn durbin_watson(resid: &[f64]) -> f64 {
    let num: f64 = resid
        .windows(2)
        .map(|w| (w[1] - w[0]) * (w[1] - w[0]))
        .sum();
    num / dot(resid, resid)
}

/// Sample autocorrelations of `x` at lags 1..=`max_lag` (statsmodels
/// `acf(x, adjusted=False, fft=False)` without its lag 0): with `d = x − x̄`,
/// `r_k = Σ_{t=k}^{n−1} d_t d_{t−k} / Σ d_t²`, summed in row order. Lags beyond `n − 1` are
/// left out, so the result has `min(max_lag, n − 1)` entries (none for `n ≤ 1`); a constant
/// series gives NaN.
pub fn acf(x: &[f64], max_lag: usize) -> Vec<f64> {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    let d: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let c0: f64 = d.iter().map(|v| v * v).sum();
    (1..=max_lag.min(n.saturating_sub(1)))
        .map(|k| {
            d[k..]
                .iter()
                .zip(&d[..n - k])
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / c0
        })
        .collect()
}

fn lm_test(n: usize, r2: f64, df: f64) -> TestResult {
    let stat = n as f64 * r2;
    TestResult {
        stat,
        pvalue: dist::chi2_sf(stat, df),
        df,
    }
}

/// Breusch–Godfrey LM test for autocorrelation up to `nlags` (statsmodels
/// `acorr_breusch_godfrey`): residuals on `[1, X, e_{t−1..t−nlags}]` with presample residuals
/// set to zero, `LM = n·R²`, `χ²(nlags)`. `cols` are the regressors of the original fit
/// (without the constant).
pub fn breusch_godfrey(resid: &[f64], cols: &[&[f64]], nlags: usize) -> TestResult {
    let n = resid.len();
    let mut lagged = vec![0.0; n * nlags];
    for l in 1..=nlags {
        let c = &mut lagged[(l - 1) * n..l * n];
        if l < n {
            c[l..n].copy_from_slice(&resid[..n - l]);
        }
    }
    let mut aux: Vec<&[f64]> = cols.to_vec();
    for l in 0..nlags {
        aux.push(&lagged[l * n..(l + 1) * n]);
    }
    let (r2, _) = projection_r2(resid, aux.as_slice());
    lm_test(n, r2, nlags as f64)
}

/// Breusch–Pagan test, Koenker's studentised form (statsmodels `het_breuschpagan`,
/// `robust=True`): `e²` on `[1, X]`, `LM = n·R²`, `χ²(k)` with `k` = columns without constant.
pub fn breusch_pagan(resid: &[f64], cols: &[&[f64]]) -> TestResult {
    let u: Vec<f64> = resid.iter().map(|e| e * e).collect();
    let (r2, _) = projection_r2(&u, cols);
    lm_test(resid.len(), r2, cols.len() as f64)
}

/// White's test (statsmodels `het_white`): `e²` on all products `x_i·x_j`, `i ≤ j`, of
/// `[1, X]`; `LM = n·R²`, `χ²(rank − 1)` where the rank is numerical (products of dummies are
/// often zero or duplicates).
pub fn white(resid: &[f64], cols: &[&[f64]]) -> TestResult {
    let n = resid.len();
    let k = cols.len();
    let mut xc = vec![0.0; n * k];
    for (j, c) in cols.iter().enumerate() {
        super::linalg::center_into(c, &mut xc[j * n..(j + 1) * n]);
    }
    let mut aux = Vec::new();
    let mut work = LsWork::default();
    white_centered(resid, &ColMajor { data: &xc, n, k }, &mut aux, &mut work)
}

/// White's test from *centered* regressors. Products of centered columns span the same space
/// as `[1, x_i, x_i·x_j]` (`xc_i·xc_j = x_i·x_j − x̄_j x_i − x̄_i x_j + const`), so R² and the
/// rank are those of statsmodels' design, while the auxiliary Gram is far better conditioned.
/// `aux` and `work` are reusable buffers.
pub fn white_centered<C: Columns + ?Sized>(
    resid: &[f64],
    xc: &C,
    aux: &mut Vec<f64>,
    work: &mut LsWork,
) -> TestResult {
    let n = resid.len();
    let k = xc.ncols();
    let m = k + k * (k + 1) / 2;
    if aux.len() < n * (m + 1) {
        aux.resize(n * (m + 1), 0.0);
    }
    work.ensure(m);
    let (cols, u) = aux.split_at_mut(n * m);
    let u = &mut u[..n];
    let mut c = 0;
    for i in 0..k {
        cols[c * n..(c + 1) * n].copy_from_slice(xc.col(i));
        c += 1;
    }
    for i in 0..k {
        for j in i..k {
            let (a, b) = (xc.col(i), xc.col(j));
            for t in 0..n {
                cols[c * n + t] = a[t] * b[t];
            }
            c += 1;
        }
    }
    for j in 0..m {
        let col = &mut cols[j * n..(j + 1) * n];
        work.raw_ss[j] = dot(col, col);
        let mu = mean(col);
        col.iter_mut().for_each(|v| *v -= mu);
    }
    for (o, e) in u.iter_mut().zip(resid) {
        *o = e * e;
    }
    let mu = mean(u);
    u.iter_mut().for_each(|v| *v -= mu);
    let tss = dot(u, u);
    work.gram_from(
        &ColMajor {
            data: cols,
            n,
            k: m,
        },
        Some(u),
    );
    let rank = work.factor_solve(m);
    lm_test(n, work.ess(m) / tss, rank as f64)
}

/// Jarque–Bera result with the (biased) sample skewness and kurtosis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JarqueBera {
    /// `n/6 · (S² + (K − 3)²/4)`.
    pub stat: f64,
    /// `χ²(2)` upper tail.
    pub pvalue: f64,
    /// Skewness.
    pub skew: f64,
    /// Kurtosis (not excess).
    pub kurtosis: f64,
}

/// Jarque–Bera normality test (statsmodels `jarque_bera`, biased moments).
pub fn jarque_bera(x: &[f64]) -> JarqueBera {
    let n = x.len() as f64;
    let m = mean(x);
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for v in x {
        let d = v - m;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    m2 /= n;
    m3 /= n;
    m4 /= n;
    let skew = m3 / m2.powf(1.5);
    let kurtosis = m4 / (m2 * m2);
    let stat = n / 6.0 * (skew * skew + (kurtosis - 3.0) * (kurtosis - 3.0) / 4.0);
    JarqueBera {
        stat,
        pvalue: dist::chi2_sf(stat, 2.0),
        skew,
        kurtosis,
    }
}

/// Cramér–von Mises normality test with estimated mean and standard deviation (composite
/// hypothesis): `W² = 1/(12n) + Σ(Φ(z_(i)) − (2i−1)/(2n))²`, `z = (x − x̄)/s` (ddof 1).
/// The statistic equals scipy's `cramervonmises(x, "norm", args=(x̄, s))`; because the
/// parameters are estimated, the p-value uses Stephens' modified statistic
/// `W*² = W²(1 + 0.5/n)` and the D'Agostino–Stephens (1986, Table 4.9) approximations (as R
/// `nortest::cvm.test`). Needs `n ≥ 8`, otherwise NaN. `buf` needs `n` values.
pub fn cramer_von_mises_into(x: &[f64], buf: &mut [f64]) -> TestResult {
    let n = x.len();
    if n < 8 {
        return TestResult {
            stat: f64::NAN,
            pvalue: f64::NAN,
            df: f64::NAN,
        };
    }
    let m = mean(x);
    let ss: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    let sd = (ss / (n as f64 - 1.0)).sqrt();
    let z = &mut buf[..n];
    for (o, v) in z.iter_mut().zip(x) {
        *o = (v - m) / sd;
    }
    z.sort_unstable_by(f64::total_cmp);
    let nf = n as f64;
    let mut w = 1.0 / (12.0 * nf);
    for (i, v) in z.iter().enumerate() {
        let d = dist::norm_cdf(*v) - (2.0 * i as f64 + 1.0) / (2.0 * nf);
        w += d * d;
    }
    let ww = (1.0 + 0.5 / nf) * w;
    let pvalue = if ww.is_nan() {
        f64::NAN
    } else if ww < 0.0275 {
        1.0 - (-13.953 + 775.5 * ww - 12542.61 * ww * ww).exp()
    } else if ww < 0.051 {
        1.0 - (-5.903 + 179.546 * ww - 1515.29 * ww * ww).exp()
    } else if ww < 0.092 {
        (0.886 - 31.62 * ww + 10.897 * ww * ww).exp()
    } else if ww < 1.1 {
        (1.111 - 34.242 * ww + 12.832 * ww * ww).exp()
    } else {
        7.37e-10
    };
    TestResult {
        stat: w,
        pvalue: pvalue.clamp(0.0, 1.0),
        df: f64::NAN,
    }
}

/// Allocating form of [`cramer_von_mises_into`].
pub fn cramer_von_mises(x: &[f64]) -> TestResult {
    let mut buf = vec![0.0; x.len()];
    cramer_von_mises_into(x, &mut buf)
}

/// Variance inflation factors of each column (statsmodels `variance_inflation_factor` on
/// `[const, X]`, constant excluded): `VIF_j = 1/(1 − R²_j)` with the centered auxiliary R²,
/// i.e. the diagonal of the inverse correlation matrix. A dependent column gets `+inf`.
pub fn vif(cols: &[&[f64]]) -> Result<Vec<f64>, StatsError> {
    let k = cols.len();
    let n = cols.first().map_or(0, |c| c.len());
    let mut xc = vec![0.0; n * k];
    let mut work = LsWork::default();
    work.ensure(k);
    for (j, c) in cols.iter().enumerate() {
        check_finite(&format!("x{}", j + 1), c)?;
        super::linalg::center_into(c, &mut xc[j * n..(j + 1) * n]);
        work.raw_ss[j] = dot(c, c);
    }
    work.gram_from(&ColMajor { data: &xc, n, k }, None);
    work.factor_solve(k);
    work.invert(k);
    Ok(vif_from_work(&work, k).collect())
}

/// VIFs from a factored and inverted centered Gram: `A_jj · G_jj`.
pub fn vif_from_work(work: &LsWork, k: usize) -> impl Iterator<Item = f64> + '_ {
    (0..k).map(move |j| {
        if work.kept[j] {
            work.ainv[j * k + j] * work.g[j * k + j]
        } else {
            f64::INFINITY
        }
    })
}

/// Wald F test of `b_i = 0` for `i ∈ idx` with covariance `cov` (`p×p`):
/// `F = b_Iᵀ V_II⁻¹ b_I / q`, `F(q, df_resid)`. `work` needs `q² + q` values. A singular
/// `V_II` gives NaN.
pub fn wald_f_into(
    params: &[f64],
    cov: &[f64],
    p: usize,
    idx: &[usize],
    df_resid: f64,
    work: &mut [f64],
) -> TestResult {
    let q = idx.len();
    let (m, v) = work[..q * q + q].split_at_mut(q * q);
    for (a, &i) in idx.iter().enumerate() {
        for (b, &j) in idx.iter().enumerate() {
            m[a * q + b] = cov[i * p + j];
        }
        v[a] = params[i];
    }
    let stat = if q > 0 && super::linalg::chol_in_place(m, q) {
        // Solve L v = b_I; then b_Iᵀ V_II⁻¹ b_I = ‖v‖².
        for i in 0..q {
            let s = v[i] - dot(&m[i * q..i * q + i], &v[..i]);
            v[i] = s / m[i * q + i];
        }
        dot(v, v) / q as f64
    } else {
        f64::NAN
    };
    TestResult {
        stat,
        pvalue: dist::f_sf(stat, q as f64, df_resid),
        df: q as f64,
    }
}

/// Allocating form of [`wald_f_into`].
pub fn wald_f(params: &[f64], cov: &[f64], p: usize, idx: &[usize], df_resid: f64) -> TestResult {
    let mut work = vec![0.0; idx.len() * idx.len() + idx.len()];
    wald_f_into(params, cov, p, idx, df_resid, &mut work)
}

/// Breusch–Godfrey with one lag from an already factored main fit (Frisch–Waugh): with
/// `z_t = e_{t−1}` (`z_0 = 0`), `R² = (zᵀe)² / ((zcᵀzc − ‖L⁻¹D⁻¹Xcᵀz‖²) · Σ(e − ē)²)`, exactly
/// the R² of `e` on `[1, X, z]` since `e ⟂ [1, X]`. `buf` needs `k` values.
pub fn bg1_from_fit<C: Columns + ?Sized>(
    resid: &[f64],
    xc: &C,
    work: &LsWork,
    buf: &mut [f64],
) -> TestResult {
    let stat = bg1_stat_from_fit(resid, xc, work, buf);
    TestResult {
        stat,
        pvalue: dist::chi2_sf(stat, 1.0),
        df: 1.0,
    }
}

/// The LM statistic of [`bg1_from_fit`] without its p-value (`χ²(1)`; decide with
/// [`dist::PCut`] when only `p ≤ α` matters).
pub fn bg1_stat_from_fit<C: Columns + ?Sized>(
    resid: &[f64],
    xc: &C,
    work: &LsWork,
    buf: &mut [f64],
) -> f64 {
    let n = resid.len();
    let lag_sum: f64 = resid[..n - 1].iter().sum();
    bg1_stat_with_lag_sum(resid, xc, work, buf, lag_sum)
}

/// [`bg1_stat_from_fit`] given `lag_sum = resid[..n−1].iter().sum()` (computed by the caller
/// in a pass it makes anyway).
pub fn bg1_stat_with_lag_sum<C: Columns + ?Sized>(
    resid: &[f64],
    xc: &C,
    work: &LsWork,
    buf: &mut [f64],
    lag_sum: f64,
) -> f64 {
    let n = resid.len();
    let k = xc.ncols();
    let (lagged, lead) = (&resid[..n - 1], &resid[1..]);
    // xc_jᵀ z = Σ_t xc_j[t+1]·e_t, four columns at a time (bit-identical to `dot`).
    let mut j = 0;
    while j + 4 <= k {
        let v = dot4(
            lagged,
            &xc.col(j)[1..],
            &xc.col(j + 1)[1..],
            &xc.col(j + 2)[1..],
            &xc.col(j + 3)[1..],
        );
        buf[j..j + 4].copy_from_slice(&v);
        j += 4;
    }
    for (jj, b) in buf[..k].iter_mut().enumerate().skip(j) {
        *b = dot(&xc.col(jj)[1..], lagged);
    }
    for (b, (&kept, &d)) in buf[..k].iter_mut().zip(work.kept.iter().zip(&work.d)) {
        *b = if kept { *b / d } else { 0.0 };
    }
    forward(&work.l, k, &work.kept, &mut buf[..k]);
    let proj = dot(&buf[..k], &buf[..k]);
    let ze = dot(lagged, lead);
    // Σ z and the first pass of mean(e); then Σ(z − z̄)² and mean(e)'s correction pass share
    // one loop (two independent chains, same order as the separate loops).
    let zbar = lag_sum / n as f64;
    let m0 = super::linalg::sum(resid) / n as f64;
    let mut zz = zbar * zbar; // t = 0 term (z_0 = 0)
    let mut corr = -0.0;
    for (v, e) in lagged.iter().zip(resid) {
        zz += (v - zbar) * (v - zbar);
        corr += e - m0;
    }
    corr += resid[n - 1] - m0;
    let em = m0 + corr / n as f64;
    let tss: f64 = resid.iter().map(|e| (e - em) * (e - em)).sum();
    let r2 = ze * ze / ((zz - proj) * tss);
    n as f64 * r2
}

/// Breusch–Pagan (Koenker) from an already factored main fit: `e²` projected on `[1, X]`
/// through the same Cholesky factor. `buf` needs `k` values.
pub fn bp_from_fit<C: Columns + ?Sized>(
    resid: &[f64],
    xc: &C,
    work: &LsWork,
    buf: &mut [f64],
) -> TestResult {
    let n = resid.len();
    let k = xc.ncols();
    let mut usum = 0.0;
    for e in resid {
        usum += e * e;
    }
    let ubar = usum / n as f64;
    let mut tss = 0.0;
    for e in resid {
        let d = e * e - ubar;
        tss += d * d;
    }
    for (j, b) in buf[..k].iter_mut().enumerate() {
        *b = if work.kept[j] {
            let c = xc.col(j);
            let mut s = 0.0;
            for (x, e) in c.iter().zip(resid) {
                s += x * e * e;
            }
            s / work.d[j]
        } else {
            0.0
        };
    }
    forward(&work.l, k, &work.kept, &mut buf[..k]);
    let r2 = dot(&buf[..k], &buf[..k]) / tss;
    lm_test(n, r2, k as f64)
}

#[cfg(test)]
mod tests {
    use super::acf;
    use proptest::prelude::*;

    #[test]
    fn acf_of_an_alternating_series_is_minus_one_then_one() {
        let x: Vec<f64> = (0..200)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let r = acf(&x, 2);
        assert!((r[0] + 199.0 / 200.0).abs() < 1e-12, "{r:?}");
        assert!((r[1] - 198.0 / 200.0).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn acf_matches_the_statsmodels_definition_by_hand() {
        // x̄ = 3, d = [−2, −1, 0, 1, 2], Σd² = 10: statsmodels
        // `acf([1, 2, 3, 4, 5], nlags=4, adjusted=False, fft=False)` is
        // [1, 0.4, −0.1, −0.4, −0.4]; every sum here is exact in binary.
        assert_eq!(acf(&[1.0, 2.0, 3.0, 4.0, 5.0], 4), [0.4, -0.1, -0.4, -0.4]);
        // x̄ = 2, d = [−1, 2, −2, 1], Σd² = 10: r₁ = (−2 − 4 − 2)/10, r₂ = (2 + 2)/10,
        // r₃ = −1/10 (lags past n − 1 = 3 are left out).
        assert_eq!(acf(&[1.0, 4.0, 0.0, 3.0], 10), [-0.8, 0.4, -0.1]);
    }

    #[test]
    fn acf_lags_stop_at_the_sample() {
        assert!(acf(&[], 3).is_empty());
        assert!(acf(&[1.0], 3).is_empty());
        assert_eq!(acf(&[1.0, 2.0], 3), [-0.5]);
        assert!(acf(&[2.0; 5], 2).iter().all(|r| r.is_nan()));
    }

    proptest! {
        /// The definition term by term (`t = k..n`, in row order), and `|r_k| ≤ 1`.
        #[test]
        fn acf_is_the_textbook_sum(
            x in prop::collection::vec(-1e3f64..1e3, 2..60),
            max_lag in 0usize..70,
        ) {
            let r = acf(&x, max_lag);
            let n = x.len();
            prop_assert_eq!(r.len(), max_lag.min(n - 1));
            let mean = x.iter().sum::<f64>() / n as f64;
            let d: Vec<f64> = x.iter().map(|v| v - mean).collect();
            let c0: f64 = d.iter().map(|v| v * v).sum();
            for (i, &rk) in r.iter().enumerate() {
                let k = i + 1;
                let mut s = -0.0;
                for t in k..n {
                    s += d[t] * d[t - k];
                }
                prop_assert_eq!(rk.to_bits(), (s / c0).to_bits(), "lag {}", k);
                prop_assert!(rk.abs() <= 1.0 + 1e-12, "lag {}: {}", k, rk);
            }
        }
    }
}
