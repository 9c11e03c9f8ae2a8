//! Uncertainty of a model's scenario paths (issue 26, §10's companion):
//!
//! - the **prediction interval of the transform** per period: ŷ_t + t_{df}⁻¹(q)·√(s² + x_t′V̂x_t)
//!   with x_t = [1, regressors], V̂ the fit's coefficient covariance (nonrobust: s²(X′X)⁻¹, so
//!   the variance is s²(1 + x′(X′X)⁻¹x); HC1 / HAC when the covariance choice chose them) and
//!   Student-t with the residual degrees of freedom — statsmodels'
//!   `get_prediction(x).summary_frame()` `obs_ci_*` of the same fit with `use_t=True`;
//! - the **band of the level path** by simulation: draw d takes β_d = β̂ + L·z_d (V̂ = LL′,
//!   z_d standard normal) and residuals e_{d,t} = s·ε_{d,t}, predicts ŷ_{d,t} = x_t·β_d + e_{d,t},
//!   converts it to levels (and quarters) exactly as the point path, and the band is the
//!   quantiles of the draws per period (linear interpolation between order statistics,
//!   numpy's default). Every scenario uses the same draws, so scenarios differ by their
//!   drivers only.
//!
//! The draws come from ChaCha8 (`rand_chacha`, portable and reproducible bit for bit) seeded
//! with `seed` on stream `stream` (the caller passes the model's spec index, so a model's band
//! does not depend on which other models are computed, in what order or on how many threads),
//! standard normals from `rand_distr::StandardNormal` (ziggurat); per draw, the p normals of
//! the coefficients first, then one per forecast period for the residuals.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::LevelPaths;
use crate::stats::linalg::chol_in_place;

/// What the uncertainty of one model's prediction needs from its fit.
#[derive(Debug, Clone, Copy)]
pub struct FitUncertainty<'a> {
    /// Coefficients, intercept first (p of them).
    pub params: &'a [f64],
    /// Coefficient covariance V̂ (`p×p`, row-major) with the fit's covariance choice.
    pub cov: &'a [f64],
    /// Residual variance s² = SSR / df.
    pub scale: f64,
    /// Residual degrees of freedom.
    pub df_resid: f64,
}

/// Why a band cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BandError {
    #[error("the coefficient covariance is not positive definite, so coefficients cannot be drawn from it")]
    NotPositiveDefinite,
    #[error("the residual variance is {0}, not a finite positive number")]
    BadScale(f64),
    #[error("the target's history before p0 is too short for its transform")]
    ShortHistory,
}

impl FitUncertainty<'_> {
    fn p(&self) -> usize {
        self.params.len()
    }

    /// x′V̂x + s² for forecast period j of regressors `x` (`x[k][j]`, intercept implied).
    pub fn prediction_variance(&self, x: &[Vec<f64>], j: usize) -> f64 {
        let p = self.p();
        let row = |i: usize| if i == 0 { 1.0 } else { x[i - 1][j] };
        let mut quad = 0.0;
        for a in 0..p {
            let xa = row(a);
            let mut s = 0.0;
            for b in 0..p {
                s += self.cov[a * p + b] * row(b);
            }
            quad += xa * s;
        }
        quad + self.scale
    }

    /// The prediction interval's bound at each quantile `qs[i]`, per forecast period:
    /// `out[i][j] = ŷ_j + t_df⁻¹(q_i)·√(prediction variance)`.
    pub fn prediction_quantiles(&self, x: &[Vec<f64>], yhat: &[f64], qs: &[f64]) -> Vec<Vec<f64>> {
        let t = StudentsT::new(0.0, 1.0, self.df_resid).ok();
        let se: Vec<f64> = (0..yhat.len())
            .map(|j| self.prediction_variance(x, j).sqrt())
            .collect();
        qs.iter()
            .map(|&q| {
                let tq = t.as_ref().map_or(f64::NAN, |t| t.inverse_cdf(q));
                yhat.iter().zip(&se).map(|(y, s)| y + tq * s).collect()
            })
            .collect()
    }
}

/// How the band is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Draws<'a> {
    pub draws: usize,
    pub seed: u64,
    /// The RNG stream (the model's spec index).
    pub stream: u64,
    /// Quantiles, increasing, in (0, 1).
    pub quantiles: &'a [f64],
}

/// The simulated band of one scenario's paths: `levels[i][j]` the quantile `i` of the level on
/// forecast period j, `quarterly[i][q]` of the quarterly level P_q (P0 is the actual).
#[derive(Debug, Clone, PartialEq)]
pub struct LevelBand {
    pub levels: Vec<Vec<f64>>,
    pub quarterly: Vec<Vec<f64>>,
}

/// The `q` quantile of sorted `v` by linear interpolation between order statistics (numpy's
/// default); NaN when `v` holds a NaN (sorted last by `total_cmp`) or is empty.
pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() || v.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// Simulates the level band of a model under every scenario (`scenarios[s][k][j]`: regressor
/// k for forecast period j), with common draws across scenarios.
pub fn simulate(
    fit: &FitUncertainty<'_>,
    levels: &LevelPaths<'_>,
    scenarios: &[&[Vec<f64>]],
    draws: &Draws<'_>,
) -> Result<Vec<LevelBand>, BandError> {
    let p = fit.p();
    if !(fit.scale.is_finite() && fit.scale > 0.0) {
        return Err(BandError::BadScale(fit.scale));
    }
    let mut chol = fit.cov.to_vec();
    if !chol_in_place(&mut chol, p) {
        return Err(BandError::NotPositiveDefinite);
    }
    let s = fit.scale.sqrt();
    let periods = scenarios
        .first()
        .map_or(0, |x| x.first().map_or(0, Vec::len));
    let mut rng = ChaCha8Rng::seed_from_u64(draws.seed);
    rng.set_stream(draws.stream);
    // Per scenario, per draw: the level path and the quarterly path.
    let mut level_draws: Vec<Vec<Vec<f64>>> =
        vec![Vec::with_capacity(draws.draws); scenarios.len()];
    let mut quarter_draws: Vec<Vec<Vec<f64>>> =
        vec![Vec::with_capacity(draws.draws); scenarios.len()];
    let mut z = vec![0.0; p];
    let mut beta = vec![0.0; p];
    let mut resid = vec![0.0; periods];
    for _ in 0..draws.draws {
        for v in z.iter_mut() {
            *v = StandardNormal.sample(&mut rng);
        }
        for v in resid.iter_mut() {
            let e: f64 = StandardNormal.sample(&mut rng);
            *v = s * e;
        }
        for (a, b) in beta.iter_mut().enumerate() {
            let mut shift = 0.0;
            for (c, zc) in z.iter().enumerate().take(a + 1) {
                shift += chol[a * p + c] * zc;
            }
            *b = fit.params[a] + shift;
        }
        for (si, x) in scenarios.iter().enumerate() {
            let mut y = super::predict(&beta, x, periods);
            for (yj, e) in y.iter_mut().zip(&resid) {
                *yj += e;
            }
            let path =
                super::to_levels(levels.link, levels.history, &y).ok_or(BandError::ShortHistory)?;
            quarter_draws[si].push(levels.quarterly(&path));
            level_draws[si].push(path);
        }
    }
    let band = |paths: &[Vec<f64>]| -> Vec<Vec<f64>> {
        let steps = paths.first().map_or(0, Vec::len);
        let mut out = vec![Vec::with_capacity(steps); draws.quantiles.len()];
        let mut column = Vec::with_capacity(paths.len());
        for j in 0..steps {
            column.clear();
            column.extend(paths.iter().map(|p| p[j]));
            column.sort_by(f64::total_cmp);
            for (i, &q) in draws.quantiles.iter().enumerate() {
                out[i].push(quantile_sorted(&column, q));
            }
        }
        out
    };
    Ok(level_draws
        .iter()
        .zip(&quarter_draws)
        .map(|(l, q)| LevelBand {
            levels: band(l),
            quarterly: band(q),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::LevelLink;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        // numpy.quantile([1,2,3,4], [0.05, 0.5, 0.95]) = [1.15, 2.5, 3.85]
        assert!((quantile_sorted(&v, 0.05) - 1.15).abs() < 1e-12);
        assert_eq!(quantile_sorted(&v, 0.5), 2.5);
        assert!((quantile_sorted(&v, 0.95) - 3.85).abs() < 1e-12);
        assert!(quantile_sorted(&[1.0, f64::NAN], 0.5).is_nan());
    }

    #[test]
    fn the_prediction_variance_of_a_nonrobust_fit_is_s2_times_one_plus_leverage() {
        // V = s²·(X'X)⁻¹ with (X'X)⁻¹ = [[0.5, 0.1], [0.1, 0.2]], s² = 4; x = [1, 2]:
        // x'(X'X)⁻¹x = 0.5 + 2·0.1·2 + 0.2·4 = 1.7, so the variance is 4·(1 + 1.7) = 10.8.
        let cov = [2.0, 0.4, 0.4, 0.8];
        let fit = FitUncertainty {
            params: &[1.0, 1.0],
            cov: &cov,
            scale: 4.0,
            df_resid: 30.0,
        };
        let x = vec![vec![2.0]];
        assert!((fit.prediction_variance(&x, 0) - 10.8).abs() < 1e-12);
        let q = fit.prediction_quantiles(&x, &[3.0], &[0.5, 0.975]);
        assert_eq!(q[0][0], 3.0);
        // t_{30}(0.975) = 2.0422724563012373
        assert!((q[1][0] - (3.0 + 2.042_272_456_301_237_3 * 10.8f64.sqrt())).abs() < 1e-9);
    }

    #[test]
    fn the_same_seed_and_stream_draw_the_same_band_and_another_stream_does_not() {
        let cov = [0.01, 0.0, 0.0, 0.04];
        let fit = FitUncertainty {
            params: &[0.01, 0.5],
            cov: &cov,
            scale: 1e-4,
            df_resid: 50.0,
        };
        let history = [90.0, 95.0, 100.0];
        let levels = LevelPaths {
            link: LevelLink::Growth { period: 1 },
            history: &history,
            monthly: Some(crate::projection::QuarterOf::Mean),
        };
        let x = vec![vec![0.01, 0.02, 0.0, -0.01, 0.01, 0.0]];
        let d = |stream| Draws {
            draws: 200,
            seed: 7,
            stream,
            quantiles: &[0.05, 0.5, 0.95],
        };
        let a = simulate(&fit, &levels, &[&x, &x], &d(3)).unwrap();
        let b = simulate(&fit, &levels, &[&x], &d(3)).unwrap();
        assert_eq!(a[0], b[0]);
        assert_eq!(a[0], a[1], "common draws: equal scenarios give equal bands");
        let c = simulate(&fit, &levels, &[&x], &d(4)).unwrap();
        assert_ne!(a[0], c[0]);
        // Quantiles are ordered; P0 is the actual quarter (no uncertainty).
        for j in 0..6 {
            assert!(a[0].levels[0][j] < a[0].levels[1][j] && a[0].levels[1][j] < a[0].levels[2][j]);
        }
        assert_eq!(a[0].quarterly[0][0], 95.0);
        assert_eq!(a[0].quarterly[2][0], 95.0);
    }

    #[test]
    fn a_singular_covariance_is_refused() {
        let cov = [1.0, 1.0, 1.0, 1.0];
        let fit = FitUncertainty {
            params: &[0.0, 1.0],
            cov: &cov,
            scale: 1.0,
            df_resid: 10.0,
        };
        let history = [1.0];
        let levels = LevelPaths {
            link: LevelLink::Level,
            history: &history,
            monthly: None,
        };
        let x = vec![vec![1.0]];
        let d = Draws {
            draws: 10,
            seed: 1,
            stream: 0,
            quantiles: &[0.5],
        };
        assert_eq!(
            simulate(&fit, &levels, &[&x], &d),
            Err(BandError::NotPositiveDefinite)
        );
    }
}
