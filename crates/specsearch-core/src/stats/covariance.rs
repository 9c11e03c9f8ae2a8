//! Coefficient covariance estimators: non-robust, HC1 and HAC (Newey–West, Bartlett kernel,
//! no small-sample correction), as statsmodels computes them for OLS.
//!
//! All three are evaluated in centered coordinates and mapped back to the intercept-first
//! parameterisation: with `a_c = ȳ` and `a = a_c − x̄ᵀb`, `V = J V_c Jᵀ`, `J = [[1, −x̄ᵀ], [0, I]]`,
//! and `V_c = Dm S Dm`, `Dm = diag(1/n, (XcᵀXc)⁻¹)`, where `S` is the meat built from the scores
//! `z_t = e_t·[1, xc_t]`. This is algebraically identical to `(XᵀX)⁻¹ S_raw (XᵀX)⁻¹`.
//!
//! The Bartlett meat `Σ_{t,s} (1 − |t−s|/(L+1)) z_t z_sᵀ` is computed as `CᵀC/(L+1)` where
//! `c_r` are moving sums of `L+1` consecutive scores (the triangular kernel is the
//! autocorrelation of a box): `O(n·p²)` instead of `O(n·p²·L)`, and positive semi-definite by
//! construction.

use super::linalg::gram_lower;
use super::ols::{full_inverse, Columns, OlsFit};
use serde::{Deserialize, Serialize};

/// Covariance type of a fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CovType {
    /// Classical `σ²(XᵀX)⁻¹`.
    #[serde(rename = "nonrobust")]
    NonRobust,
    /// White heteroscedasticity-robust with the `n/(n−p)` correction.
    #[serde(rename = "HC1")]
    HC1,
    /// Newey–West, Bartlett kernel, `L = ⌊4(n/100)^(2/9)⌋`, no small-sample correction.
    #[serde(rename = "HAC")]
    HAC,
}

impl CovType {
    /// Stable name (statsmodels' spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            CovType::NonRobust => "nonrobust",
            CovType::HC1 => "HC1",
            CovType::HAC => "HAC",
        }
    }
}

impl std::fmt::Display for CovType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Newey–West lag truncation `⌊4·(n/100)^(2/9)⌋`.
pub fn hac_maxlags(n: usize) -> usize {
    (4.0 * (n as f64 / 100.0).powf(2.0 / 9.0)).floor() as usize
}

/// Scores `z = e ∘ [1, Xc]` into `z` (column-major `n×(k+1)`).
pub fn scores_into<C: Columns + ?Sized>(resid: &[f64], xc: &C, z: &mut [f64]) {
    let n = resid.len();
    z[..n].copy_from_slice(resid);
    for j in 0..xc.ncols() {
        let out = &mut z[(j + 1) * n..(j + 2) * n];
        for ((o, e), x) in out.iter_mut().zip(resid).zip(xc.col(j)) {
            *o = e * x;
        }
    }
}

/// `S = ZᵀZ` (`p×p`), the HC0 meat.
pub fn meat_hc0(z: &[f64], n: usize, p: usize, s: &mut [f64]) {
    gram_lower(
        p,
        |j| &z[j * n..(j + 1) * n],
        |i, j, v| {
            s[i * p + j] = v;
            s[j * p + i] = v;
        },
    );
}

/// Bartlett meat `Σ_{t,s} w_{|t−s|} z_t z_sᵀ`, `w_l = 1 − l/(L+1)`, via moving sums.
/// `win` needs `(n + lags)·p` values.
///
/// The moving sums are computed in registers, in the order of a plain left-to-right sum, and
/// `CᵀC` uses [`gram_lower`], so the result is bit-identical to the textbook loops.
pub fn meat_bartlett(z: &[f64], n: usize, p: usize, lags: usize, s: &mut [f64], win: &mut [f64]) {
    let m = n + lags;
    for j in 0..p {
        moving_sums(&z[j * n..(j + 1) * n], lags, &mut win[j * m..(j + 1) * m]);
    }
    let scale = 1.0 / (lags as f64 + 1.0);
    let win = &win[..m * p];
    gram_lower(
        p,
        |j| &win[j * m..(j + 1) * m],
        |i, j, v| {
            let v = v * scale;
            s[i * p + j] = v;
            s[j * p + i] = v;
        },
    );
}

/// `c_r = Σ_{t=max(0,r−L)}^{min(r,n−1)} z_t` for `r < n + L`, summed left to right from −0
/// (bit-identical to `z[lo..=hi].iter().sum()`). Full windows are summed sixteen at a time in
/// registers (sixteen independent chains).
fn moving_sums(z: &[f64], lags: usize, c: &mut [f64]) {
    let n = z.len();
    let m = n + lags;
    let c = &mut c[..m];
    let window = |r: usize| -> f64 { z[r.saturating_sub(lags)..=r.min(n - 1)].iter().sum() };
    let mut r = 0;
    while r < lags.min(m) {
        c[r] = window(r);
        r += 1;
    }
    const B: usize = 16;
    while r + B <= n {
        let mut acc = [-0.0f64; B];
        for zs in z[r - lags..r + B].windows(B) {
            let zs: &[f64; B] = zs.try_into().expect("B lanes");
            for l in 0..B {
                acc[l] += zs[l];
            }
        }
        c[r..r + B].copy_from_slice(&acc);
        r += B;
    }
    while r < m {
        c[r] = window(r);
        r += 1;
    }
}

/// Sandwich `V = J Dm S Dm Jᵀ` (see module docs) into `out` (`p×p`); `tmp` needs `p×p`.
///
/// The products are accumulated in register tiles along rows ([`lincomb_rows`]), adding the
/// same terms in the same order as the textbook inner-product loops, so results are unchanged.
pub fn sandwich(
    s: &[f64],
    ainv: &[f64],
    xbar: &[f64],
    n: usize,
    k: usize,
    out: &mut [f64],
    tmp: &mut [f64],
) {
    let p = k + 1;
    let inv_n = 1.0 / n as f64;
    let (s, ainv, xbar) = (&s[..p * p], &ainv[..k * k], &xbar[..k]);
    let (out, tmp) = (&mut out[..p * p], &mut tmp[..p * p]);
    // tmp = Dm S: row 0 is s₀/n, row i+1 is Σ_m A[i][m] · S[m+1].
    for c in 0..p {
        tmp[c] = s[c] * inv_n;
    }
    for i in 0..k {
        lincomb_rows(
            &ainv[i * k..(i + 1) * k],
            &s[p..],
            p,
            &mut tmp[(i + 1) * p..(i + 2) * p],
        );
    }
    // out = tmp Dm  (V_c, symmetric): out[r][0] = tmp[r][0]/n, out[r][1..] = Σ_m tmp[r][m+1]·A[m].
    for r in 0..p {
        let trow = &tmp[r * p..(r + 1) * p];
        let orow = &mut out[r * p..(r + 1) * p];
        orow[0] = trow[0] * inv_n;
        lincomb_rows(&trow[1..], ainv, k, &mut orow[1..]);
    }
    // Symmetrise (rounding) and map the intercept: a = a_c − x̄ᵀb.
    for i in 0..p {
        for j in 0..i {
            let v = 0.5 * (out[i * p + j] + out[j * p + i]);
            out[i * p + j] = v;
            out[j * p + i] = v;
        }
    }
    // vx_j = Σ_m x̄_m V_c[m+1][j+1] (into tmp[..k]; tmp's product is no longer needed).
    if k > 0 {
        lincomb_rows(xbar, &out[p + 1..], p, &mut tmp[..k]);
    }
    let mut xvx = 0.0;
    let mut xv0 = 0.0;
    for j in 0..k {
        let vx = tmp[j];
        xvx += vx * xbar[j];
        xv0 += xbar[j] * out[j + 1];
        tmp[j] = out[j + 1] - vx;
    }
    out[0] = out[0] - 2.0 * xv0 + xvx;
    for j in 0..k {
        out[j + 1] = tmp[j];
        out[(j + 1) * p] = tmp[j];
    }
}

/// `out[c] = Σ_m coef[m] · mat[m·stride + c]` for `c < out.len()`, each sum accumulated from
/// 0 in increasing `m` (the order of the textbook inner-product loop). Columns are processed
/// in register tiles of 8 and 4 so the partial sums never round-trip through memory.
#[inline]
fn lincomb_rows(coef: &[f64], mat: &[f64], stride: usize, out: &mut [f64]) {
    let w = out.len();
    let mut c = 0;
    while c + 8 <= w {
        out[c..c + 8].copy_from_slice(&lincomb_tile::<8>(coef, mat, stride, c));
        c += 8;
    }
    while c + 4 <= w {
        out[c..c + 4].copy_from_slice(&lincomb_tile::<4>(coef, mat, stride, c));
        c += 4;
    }
    for (cc, o) in out.iter_mut().enumerate().skip(c) {
        let mut v = 0.0;
        for (m, a) in coef.iter().enumerate() {
            v += a * mat[m * stride + cc];
        }
        *o = v;
    }
}

#[inline(always)]
fn lincomb_tile<const W: usize>(coef: &[f64], mat: &[f64], stride: usize, c: usize) -> [f64; W] {
    let mut acc = [0.0f64; W];
    for (m, a) in coef.iter().enumerate() {
        let row: &[f64; W] = mat[m * stride + c..m * stride + c + W]
            .try_into()
            .expect("tile");
        for l in 0..W {
            acc[l] += a * row[l];
        }
    }
    acc
}

/// Non-robust `σ² (XᵀX)⁻¹` into `out` (`p×p`).
pub fn nonrobust(scale: f64, ainv: &[f64], xbar: &[f64], n: usize, k: usize, out: &mut [f64]) {
    let p = k + 1;
    full_inverse(ainv, xbar, n, k, out);
    for v in &mut out[..p * p] {
        *v *= scale;
    }
}

/// Covariance of a standalone fit. `hac_lags` overrides the default truncation for HAC.
pub fn cov(fit: &OlsFit, cov_type: CovType, hac_lags: Option<usize>) -> Vec<f64> {
    let (n, k) = (fit.nobs, fit.k);
    let p = k + 1;
    let mut out = vec![0.0; p * p];
    if cov_type == CovType::NonRobust {
        nonrobust(fit.scale, &fit.ainv, &fit.xbar, n, k, &mut out);
        return out;
    }
    let mut z = vec![0.0; n * p];
    scores_into(&fit.resid, &fit.centered(), &mut z);
    let mut s = vec![0.0; p * p];
    if cov_type == CovType::HC1 {
        meat_hc0(&z, n, p, &mut s);
        let c = n as f64 / fit.df_resid;
        s.iter_mut().for_each(|v| *v *= c);
    } else {
        let lags = hac_lags.unwrap_or_else(|| hac_maxlags(n));
        let mut win = vec![0.0; (n + lags) * p];
        meat_bartlett(&z, n, p, lags, &mut s, &mut win);
    }
    let mut tmp = vec![0.0; p * p];
    sandwich(&s, &fit.ainv, &fit.xbar, n, k, &mut out, &mut tmp);
    out
}
