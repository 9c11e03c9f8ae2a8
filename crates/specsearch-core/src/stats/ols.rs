//! Ordinary least squares with an intercept: the standalone `fit` entry point and the
//! allocation-free centered kernels (`LsWork`, `Columns`) that `assess` and the auxiliary
//! regressions of the diagnostics reuse.
//!
//! The intercept is handled by centering: slopes solve `Xcᵀ Xc b = Xcᵀ yc`, the intercept is
//! `ȳ − x̄ᵀ b`, residuals are computed explicitly from the centered data. The full `(XᵀX)⁻¹`
//! follows from `A = (XcᵀXc)⁻¹` in closed form (see [`full_inverse`]).

use super::linalg::{
    center_into, chol_scaled_from, dot, gram_lower, inverse_scaled, solve_scaled_from,
};
use super::{dist, StatsError};

/// Read access to `k` columns of equal length (column-major designs without copying).
pub trait Columns {
    /// Number of columns.
    fn ncols(&self) -> usize;
    /// Column `j`.
    fn col(&self, j: usize) -> &[f64];
}

impl Columns for [&[f64]] {
    fn ncols(&self) -> usize {
        self.len()
    }
    fn col(&self, j: usize) -> &[f64] {
        self[j]
    }
}

/// A contiguous column-major `n×k` matrix.
#[derive(Debug, Clone, Copy)]
pub struct ColMajor<'a> {
    /// `n·k` values, column after column.
    pub data: &'a [f64],
    /// Rows.
    pub n: usize,
    /// Columns.
    pub k: usize,
}

impl Columns for ColMajor<'_> {
    fn ncols(&self) -> usize {
        self.k
    }
    fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.n..(j + 1) * self.n]
    }
}

/// Reusable buffers for a centered least-squares solve with `k` slopes.
#[derive(Debug, Clone, Default)]
pub struct LsWork {
    /// Centered Gram `XcᵀXc` (`k×k`).
    pub g: Vec<f64>,
    /// Uncentered `Σx²` per column (constant detection).
    pub raw_ss: Vec<f64>,
    /// Scaled Cholesky factor.
    pub l: Vec<f64>,
    /// Column scales `sqrt(g_jj)`.
    pub d: Vec<f64>,
    /// Independent columns.
    pub kept: Vec<bool>,
    /// `Xcᵀ yc`.
    pub rhs: Vec<f64>,
    /// `L⁻¹ D⁻¹ rhs` (explained sum of squares = ‖w‖²).
    pub w: Vec<f64>,
    /// Slopes.
    pub beta: Vec<f64>,
    /// `A = (XcᵀXc)⁻¹` (`k×k`).
    pub ainv: Vec<f64>,
    /// Scratch `k×k`.
    pub tmp: Vec<f64>,
}

impl LsWork {
    /// Sizes every buffer for `k` columns (no allocation once capacity suffices).
    pub fn ensure(&mut self, k: usize) {
        let kk = k * k;
        for v in [&mut self.g, &mut self.l, &mut self.ainv, &mut self.tmp] {
            if v.len() < kk {
                v.resize(kk, 0.0);
            }
        }
        for v in [
            &mut self.raw_ss,
            &mut self.d,
            &mut self.rhs,
            &mut self.w,
            &mut self.beta,
        ] {
            if v.len() < k {
                v.resize(k, 0.0);
            }
        }
        if self.kept.len() < k {
            self.kept.resize(k, false);
        }
    }

    /// Fills `g` (and `rhs` when `yc` is given) from centered columns.
    pub fn gram_from<C: Columns + ?Sized>(&mut self, xc: &C, yc: Option<&[f64]>) {
        let k = xc.ncols();
        self.ensure(k);
        let g = &mut self.g;
        gram_lower(
            k,
            |j| xc.col(j),
            |i, j, v| {
                g[i * k + j] = v;
                g[j * k + i] = v;
            },
        );
        if let Some(y) = yc {
            for i in 0..k {
                self.rhs[i] = dot(xc.col(i), y);
            }
        }
    }

    /// Factors `g` and solves for `beta`/`w`; returns the rank of the slope block.
    pub fn factor_solve(&mut self, k: usize) -> usize {
        self.factor_solve_from(k, 0)
    }

    /// [`LsWork::factor_solve`] when the first `start` rows and columns of `g` and `rhs` are
    /// those of the previous solve with the same `k` (its factor rows and forward solution
    /// are kept); bit-identical to a solve from scratch.
    pub fn factor_solve_from(&mut self, k: usize, start: usize) -> usize {
        let rank = chol_scaled_from(
            &self.g,
            &self.raw_ss,
            k,
            &mut self.l,
            &mut self.d,
            &mut self.kept,
            start,
        );
        solve_scaled_from(
            &self.l,
            &self.d,
            &self.kept,
            k,
            &self.rhs,
            &mut self.w,
            &mut self.beta,
            start,
        );
        rank
    }

    /// Fills `ainv` with `(XcᵀXc)⁻¹` (after `factor_solve`).
    pub fn invert(&mut self, k: usize) {
        inverse_scaled(
            &self.l,
            &self.d,
            &self.kept,
            k,
            &mut self.ainv,
            &mut self.tmp,
        );
    }

    /// Explained sum of squares `‖w‖²` of the last solve.
    pub fn ess(&self, k: usize) -> f64 {
        dot(&self.w[..k], &self.w[..k])
    }
}

/// `R²` of a least-squares projection of `y` on `[1, X]`, allowing dependent columns (they are
/// dropped, which leaves the projection unchanged); returns `(R², rank including intercept)`.
/// Used by the auxiliary regressions (Breusch–Pagan, White, Breusch–Godfrey).
pub fn projection_r2<C: Columns + ?Sized>(y: &[f64], x: &C) -> (f64, usize) {
    let n = y.len();
    let k = x.ncols();
    let mut yc = vec![0.0; n];
    center_into(y, &mut yc);
    let tss = dot(&yc, &yc);
    let mut xc = vec![0.0; n * k];
    let mut work = LsWork::default();
    work.ensure(k);
    for j in 0..k {
        let c = x.col(j);
        center_into(c, &mut xc[j * n..(j + 1) * n]);
        work.raw_ss[j] = dot(c, c);
    }
    work.gram_from(&ColMajor { data: &xc, n, k }, Some(&yc));
    let rank = work.factor_solve(k);
    (work.ess(k) / tss, rank + 1)
}

/// Full `(XᵀX)⁻¹` (`p×p`, `p = k+1`, intercept first) from `A = (XcᵀXc)⁻¹` and the means:
/// `[[1/n + x̄ᵀAx̄, −x̄ᵀA], [−Ax̄, A]]`.
pub fn full_inverse(ainv: &[f64], xbar: &[f64], n: usize, k: usize, out: &mut [f64]) {
    let p = k + 1;
    let mut q = 0.0;
    for i in 0..k {
        let mut ax = 0.0;
        for j in 0..k {
            ax += ainv[i * k + j] * xbar[j];
            out[(i + 1) * p + j + 1] = ainv[i * k + j];
        }
        out[(i + 1) * p] = -ax;
        out[i + 1] = -ax;
        q += xbar[i] * ax;
    }
    out[0] = 1.0 / n as f64 + q;
}

/// Result of [`fit`]: OLS of `y` on `[1, x_1, …, x_k]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OlsFit {
    /// Observations.
    pub nobs: usize,
    /// Number of slopes `k` (parameters `p = k + 1`).
    pub k: usize,
    /// Numerical rank of `[1, X]` (equals `k + 1`: dependent designs are rejected).
    pub rank: usize,
    /// Residual degrees of freedom `n − rank`.
    pub df_resid: f64,
    /// Coefficients, intercept first.
    pub params: Vec<f64>,
    /// Residuals `y − ŷ`.
    pub resid: Vec<f64>,
    /// Sum of squared residuals.
    pub ssr: f64,
    /// Centered total sum of squares.
    pub tss: f64,
    /// R² (centered).
    pub r2: f64,
    /// Adjusted R²: `1 − (n − 1)/(n − rank) · (1 − R²)`.
    pub adj_r2: f64,
    /// `σ² = SSR / (n − rank)`.
    pub scale: f64,
    /// Column means `x̄`.
    pub xbar: Vec<f64>,
    /// Centered columns, column-major `n×k`.
    pub xc: Vec<f64>,
    /// `A = (XcᵀXc)⁻¹` (`k×k`).
    pub ainv: Vec<f64>,
}

impl OlsFit {
    /// The centered design as columns.
    pub fn centered(&self) -> ColMajor<'_> {
        ColMajor {
            data: &self.xc,
            n: self.nobs,
            k: self.k,
        }
    }

    /// Full `(XᵀX)⁻¹` including the intercept (`p×p`, row-major).
    pub fn xtx_inv(&self) -> Vec<f64> {
        let p = self.k + 1;
        let mut out = vec![0.0; p * p];
        full_inverse(&self.ainv, &self.xbar, self.nobs, self.k, &mut out);
        out
    }

    /// Standard errors, t statistics and two-sided Student-t p-values (df = n − rank) from a
    /// covariance matrix (`p×p`).
    pub fn inference(&self, cov: &[f64]) -> Inference {
        let p = self.k + 1;
        let mut inf = Inference {
            bse: vec![0.0; p],
            tvalues: vec![0.0; p],
            pvalues: vec![0.0; p],
        };
        t_inference(
            &self.params,
            cov,
            p,
            self.df_resid,
            &mut inf.bse,
            &mut inf.tvalues,
            &mut inf.pvalues,
        );
        inf
    }
}

/// Standard errors, t statistics and p-values.
#[derive(Debug, Clone, PartialEq)]
pub struct Inference {
    /// Standard errors.
    pub bse: Vec<f64>,
    /// t statistics.
    pub tvalues: Vec<f64>,
    /// Two-sided p-values.
    pub pvalues: Vec<f64>,
}

/// `se_j = sqrt(V_jj)`, `t_j = b_j / se_j`, `p_j = 2·P(T_df > |t_j|)`; a non-positive or
/// non-finite variance gives NaN (never a spuriously significant p-value).
pub fn t_inference(
    params: &[f64],
    cov: &[f64],
    p: usize,
    df: f64,
    bse: &mut [f64],
    tvalues: &mut [f64],
    pvalues: &mut [f64],
) {
    t_stats(params, cov, p, bse, tvalues);
    t_pvalues(tvalues, df, pvalues);
}

/// The first half of [`t_inference`]: standard errors and t statistics only.
pub fn t_stats(params: &[f64], cov: &[f64], p: usize, bse: &mut [f64], tvalues: &mut [f64]) {
    for j in 0..p {
        let v = cov[j * p + j];
        let se = if v >= 0.0 { v.sqrt() } else { f64::NAN };
        bse[j] = se;
        tvalues[j] = params[j] / se;
    }
}

/// The second half of [`t_inference`]: two-sided Student-t p-values of `tvalues`.
pub fn t_pvalues(tvalues: &[f64], df: f64, pvalues: &mut [f64]) {
    for (p, t) in pvalues.iter_mut().zip(tvalues) {
        *p = dist::t_two_sided(*t, df);
    }
}

/// Fits `y = b0 + Σ b_j x_j + e` by OLS. `names` (optional) label the columns in errors.
///
/// Errors: non-finite values, unequal lengths, `n ≤ k + 1` (no residual degrees of freedom),
/// or a rank-deficient design (a constant column, or one dependent on the others).
pub fn fit(y: &[f64], cols: &[&[f64]], names: Option<&[&str]>) -> Result<OlsFit, StatsError> {
    let n = y.len();
    let k = cols.len();
    let name = |j: usize| -> String {
        names
            .and_then(|v| v.get(j).map(|s| s.to_string()))
            .unwrap_or_else(|| format!("x{}", j + 1))
    };
    super::check_finite("y", y)?;
    for (j, c) in cols.iter().enumerate() {
        if c.len() != n {
            return Err(StatsError::LengthMismatch {
                column: name(j),
                got: c.len(),
                expected: n,
            });
        }
        super::check_finite(&name(j), c)?;
    }
    if n < k + 2 {
        return Err(StatsError::TooFewObservations {
            nobs: n,
            needed: k + 2,
            context: format!(": OLS with intercept and {k} regressors"),
        });
    }
    let mut yc = vec![0.0; n];
    let ybar = center_into(y, &mut yc);
    let tss = dot(&yc, &yc);
    let mut xc = vec![0.0; n * k];
    let mut xbar = vec![0.0; k];
    let mut work = LsWork::default();
    work.ensure(k);
    for j in 0..k {
        xbar[j] = center_into(cols[j], &mut xc[j * n..(j + 1) * n]);
        work.raw_ss[j] = dot(cols[j], cols[j]);
    }
    work.gram_from(&ColMajor { data: &xc, n, k }, Some(&yc));
    let rank = work.factor_solve(k);
    if rank < k {
        let j = (0..k).find(|&j| !work.kept[j]).unwrap_or(0);
        return Err(StatsError::RankDeficient {
            rank: rank + 1,
            ncols: k + 1,
            column: name(j),
        });
    }
    work.invert(k);
    let mut resid = yc;
    for j in 0..k {
        let b = work.beta[j];
        for (r, x) in resid.iter_mut().zip(&xc[j * n..(j + 1) * n]) {
            *r -= b * x;
        }
    }
    let ssr = dot(&resid, &resid);
    let mut params = Vec::with_capacity(k + 1);
    params.push(ybar - dot(&xbar, &work.beta[..k]));
    params.extend_from_slice(&work.beta[..k]);
    let p = k + 1;
    let df_resid = (n - p) as f64;
    let r2 = 1.0 - ssr / tss;
    Ok(OlsFit {
        nobs: n,
        k,
        rank: p,
        df_resid,
        params,
        resid,
        ssr,
        tss,
        r2,
        adj_r2: 1.0 - (n as f64 - 1.0) / df_resid * (1.0 - r2),
        scale: ssr / df_resid,
        xbar,
        xc,
        ainv: work.ainv[..k * k].to_vec(),
    })
}
