//! The residual pass of the pipeline: `e = yc − Xc b` and the sums over it that the fit
//! metrics, Durbin–Watson and Breusch–Godfrey need, in the exact summation order of the
//! reference kernels (every sum sequential in row order), so outcomes are bit-reproducible
//! whichever pass computes them.

use super::opt;
use crate::assess::Outcome;
use crate::stats::linalg::dot;
use crate::stats::ols::Columns;

/// Sums over the residuals that the pipeline needs, from one pass.
pub(super) struct ResidSums {
    /// `Σe²` (sequential, as `for e in resid { ssr += e * e }`).
    pub(super) ssr: f64,
    /// `Σ|e|` (sequential).
    pub(super) sae: f64,
    /// `max |e|`.
    pub(super) maxe: f64,
    /// Durbin–Watson numerator `Σ(e_t − e_{t−1})²` (sequential from −0, as
    /// [`crate::stats::diagnostics::durbin_watson`]).
    pub(super) dw_num: f64,
    /// `Σ_{t<n−1} e_t` (sequential from −0), the lagged-residual sum Breusch–Godfrey needs.
    pub(super) lag_sum: f64,
}

/// `e = yc − Σ_j b_j xc_j` into `resid`, plus [`ResidSums`]. Residuals are built sixteen rows
/// at a time in registers, subtracting the columns in order (bit-identical to one axpy pass
/// per column); the sequential sums run in the same loop, so their latency chains overlap
/// the arithmetic instead of costing a pass each.
///
/// With `ALL = false` only `ssr` is summed (the other fields stay at their start values);
/// [`resid_sums`] computes the rest later, bit for bit as this pass would have.
pub(super) fn residuals_into<C: Columns + ?Sized, const ALL: bool>(
    yc: &[f64],
    beta: &[f64],
    cols: &C,
    resid: &mut [f64],
) -> ResidSums {
    // The columns' slices, resolved once rather than once per block (up to 32 columns; wider
    // specs resolve them per block, without allocating).
    const MAX_COLS: usize = 32;
    let k = beta.len();
    if k <= MAX_COLS {
        let mut slices: [&[f64]; MAX_COLS] = [&[]; MAX_COLS];
        for (j, s) in slices[..k].iter_mut().enumerate() {
            *s = cols.col(j);
        }
        residuals_with::<ALL>(yc, beta, |j| slices[j], resid)
    } else {
        residuals_with::<ALL>(yc, beta, |j| cols.col(j), resid)
    }
}

#[inline(always)]
fn residuals_with<'c, const ALL: bool>(
    yc: &[f64],
    beta: &[f64],
    col: impl Fn(usize) -> &'c [f64],
    resid: &mut [f64],
) -> ResidSums {
    const B: usize = 16;
    let n = resid.len();
    let mut r = ResidSums {
        ssr: 0.0,
        sae: 0.0,
        maxe: 0.0,
        dw_num: -0.0,
        lag_sum: -0.0,
    };
    let mut prev = 0.0;
    let mut row = 0;
    while row < n {
        let len = B.min(n - row);
        let mut acc = [0.0f64; B];
        acc[..len].copy_from_slice(&yc[row..row + len]);
        if len == B {
            for (j, b) in beta.iter().enumerate() {
                let x: &[f64; B] = col(j)[row..row + B].try_into().expect("block");
                for l in 0..B {
                    acc[l] -= b * x[l];
                }
            }
        } else {
            for (j, b) in beta.iter().enumerate() {
                for (a, x) in acc[..len].iter_mut().zip(&col(j)[row..row + len]) {
                    *a -= b * x;
                }
            }
        }
        resid[row..row + len].copy_from_slice(&acc[..len]);
        if !ALL {
            for &e in &acc[..len] {
                r.ssr += e * e;
            }
            row += len;
            continue;
        }
        // The sums, in row order: row 0 has no Durbin–Watson term, row n − 1 no lagged term;
        // the rows between have both, without a test per row.
        let mut first = 0;
        if row == 0 {
            let e = acc[0];
            r.ssr += e * e;
            r.sae += e.abs();
            r.maxe = r.maxe.max(e.abs());
            if n > 1 {
                r.lag_sum += e;
            }
            prev = e;
            first = 1;
        }
        let last = row + len == n;
        let stop = if last { len - 1 } else { len }.max(first);
        for &e in &acc[first..stop] {
            r.ssr += e * e;
            r.sae += e.abs();
            r.maxe = r.maxe.max(e.abs());
            r.dw_num += (e - prev) * (e - prev);
            r.lag_sum += e;
            prev = e;
        }
        if last && n > 1 {
            let e = acc[len - 1];
            r.ssr += e * e;
            r.sae += e.abs();
            r.maxe = r.maxe.max(e.abs());
            r.dw_num += (e - prev) * (e - prev);
        }
        row += len;
    }
    r
}

/// The sums of [`residuals_into`] in a pass of their own over `resid` (each is a sequential
/// sum in row order, so the values are bit-identical); `ssr` is the one already computed.
pub(super) fn resid_sums(resid: &[f64], ssr: f64) -> ResidSums {
    let n = resid.len();
    let mut r = ResidSums {
        ssr,
        sae: 0.0,
        maxe: 0.0,
        dw_num: -0.0,
        lag_sum: -0.0,
    };
    for (t, &e) in resid.iter().enumerate() {
        r.sae += e.abs();
        r.maxe = r.maxe.max(e.abs());
        if t > 0 {
            r.dw_num += (e - resid[t - 1]) * (e - resid[t - 1]);
        }
        if t + 1 < n {
            r.lag_sum += e;
        }
    }
    r
}

/// `max |x|` (NaN propagates: a NaN column leaves every bound that uses it non-finite).
pub(super) fn abs_max(x: &[f64]) -> f64 {
    x.iter().fold(0.0f64, |m, v| {
        if v.abs() > m || v.is_nan() {
            v.abs()
        } else {
            m
        }
    })
}

/// Records the in-sample error metrics and Durbin–Watson of `sums` in `out`; returns
/// `(DW, Σ_{t<n−1} e_t)` for the covariance choice.
pub(super) fn record_fit(out: &mut Outcome, sums: &ResidSums, resid: &[f64]) -> (f64, f64) {
    let nf = resid.len() as f64;
    out.is_mae = opt(sums.sae / nf);
    out.is_rmse = opt((sums.ssr / nf).sqrt());
    out.is_max_abs_error = opt(sums.maxe);
    let dw = sums.dw_num / dot(resid, resid); // = durbin_watson(resid)
    out.dw = opt(dw);
    (dw, sums.lag_sum)
}
