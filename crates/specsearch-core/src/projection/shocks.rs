//! Sensitivity and attribution of a model's scenario paths (docs/semantics.md §10).
//!
//! Each shockable feature p (every regressor except the intercept and the periodic dummies;
//! the caller chooses them) is shocked alone, in every scenario, by the same amount in every
//! period of the horizon:
//! - coefficient shock: ŷ′_t = ŷ_t + (k·SE_p)·x_{p,t} for k = ±each of `coefficient_shocks`;
//! - driver shock: ŷ′_t = ŷ_t + β_p·k·σ_p for k = ±each of `driver_shocks` (σ_p = 0: the
//!   feature is not driver-shocked).
//!
//! Each shocked transform becomes levels, quarters and statistics exactly as the unshocked
//! path ([`LevelPaths::path`]); its % difference from the base is taken against the base
//! scenario under the same shock. Attribution: each term's contribution β_p·x_{p,t} per period
//! (the intercept's is constant; the contributions sum to ŷ_t), and for each shockable feature
//! the outcome at P9 (PH when the horizon is shorter) with the feature held at its p0 value
//! after p0, minus the scenario's.

use super::{pct_diff_from_base, predict, LevelPaths, ScenarioPath};

/// What is shocked: nothing (the scenario's own path), a coefficient, a driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ShockKind {
    None,
    Coefficient,
    Driver,
}

impl ShockKind {
    pub const ALL: [ShockKind; 3] = [ShockKind::None, ShockKind::Coefficient, ShockKind::Driver];

    /// The stored word (`sensitivity_paths.shock`).
    pub fn as_str(self) -> &'static str {
        match self {
            ShockKind::None => "none",
            ShockKind::Coefficient => "coefficient",
            ShockKind::Driver => "driver",
        }
    }

    pub fn parse(text: &str) -> Option<ShockKind> {
        ShockKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One shockable feature of a model: its term (position in the coefficients, ≥ 1), its
/// coefficient, the model's standard error of it, and σ of its in-sample column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureScale {
    pub term: usize,
    pub coef: f64,
    pub se: f64,
    pub sigma: f64,
}

impl FeatureScale {
    /// Whether a driver shock moves anything (σ > 0).
    pub fn driver_shockable(&self) -> bool {
        self.sigma > 0.0 && self.sigma.is_finite()
    }
}

/// Sample standard deviation (ddof 1) of `x`, two-pass; 0 when every value is the same to
/// 1e-12 of the largest magnitude (a constant column's mean is not exact in binary), NaN
/// below two values or with a missing value.
pub fn sample_std(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 2 || x.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let ss: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    let sd = (ss / (n - 1) as f64).sqrt();
    let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if sd <= 1e-12 * scale {
        0.0
    } else {
        sd
    }
}

/// A model's regressors under one scenario: `x[k][j]` is regressor k's (coefficient k + 1's)
/// value predicting forecast period j, `x_p0[k]` its value at p0, and the target's lead (the
/// regressors of periods j < lead are history, at or before p0).
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioDesign {
    pub x: Vec<Vec<f64>>,
    pub x_p0: Vec<f64>,
    pub lead: usize,
}

impl ScenarioDesign {
    pub fn periods(&self) -> usize {
        self.x.first().map_or(0, Vec::len)
    }
}

/// The shocked transform ŷ′ of `shock_kind` with signed size `k` on `feature`, from the
/// scenario's ŷ and the feature's regressor values `x_p`.
pub fn shocked_transform(
    yhat: &[f64],
    x_p: &[f64],
    feature: &FeatureScale,
    kind: ShockKind,
    k: f64,
) -> Vec<f64> {
    match kind {
        ShockKind::None => yhat.to_vec(),
        ShockKind::Coefficient => {
            let step = k * feature.se;
            yhat.iter().zip(x_p).map(|(y, x)| y + step * x).collect()
        }
        ShockKind::Driver => {
            let shift = feature.coef * k * feature.sigma;
            yhat.iter().map(|y| y + shift).collect()
        }
    }
}

/// One path of the sensitivity analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct ShockedPath {
    /// Index of the scenario (the caller's order).
    pub scenario: usize,
    /// The feature's term (0 for the unshocked path).
    pub term: usize,
    pub kind: ShockKind,
    /// Signed shock size (0 for the unshocked path).
    pub k: f64,
    /// `pct_diff_base` against the base scenario under the same shock.
    pub path: ScenarioPath,
}

/// What the sensitivity analysis of one model needs.
pub struct Sensitivity<'a> {
    pub levels: LevelPaths<'a>,
    /// The model's coefficients (intercept first).
    pub params: &'a [f64],
    /// The shockable features, in coefficient order.
    pub features: &'a [FeatureScale],
    /// Positive shock sizes; each gives −k and +k.
    pub coefficient_shocks: &'a [f64],
    pub driver_shocks: &'a [f64],
    /// Every scenario's regressors, and which one is the base.
    pub scenarios: &'a [ScenarioDesign],
    pub base: usize,
}

/// Signed sizes of positive `ks`: −k from the largest down, then +k from the smallest up.
pub fn signed(ks: &[f64]) -> Vec<f64> {
    let mut sorted = ks.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .iter()
        .rev()
        .map(|k| -k)
        .chain(sorted.iter().copied())
        .collect()
}

impl Sensitivity<'_> {
    /// Every path: the unshocked one per scenario first, then per feature (coefficient order)
    /// the coefficient shocks and the driver shocks (each −k…+k), each in every scenario.
    /// `None` when the history is too short for the target's link.
    pub fn paths(&self) -> Option<Vec<ShockedPath>> {
        let periods: Vec<usize> = self.scenarios.iter().map(ScenarioDesign::periods).collect();
        let yhat: Vec<Vec<f64>> = self
            .scenarios
            .iter()
            .zip(&periods)
            .map(|(s, &n)| predict(self.params, &s.x, n))
            .collect();
        let mut out = Vec::new();
        let mut group = |term: usize, kind: ShockKind, k: f64, feature: Option<&FeatureScale>| {
            let mut paths = Vec::with_capacity(self.scenarios.len());
            for (s, design) in self.scenarios.iter().enumerate() {
                let transform = match feature {
                    None => yhat[s].clone(),
                    Some(f) => shocked_transform(&yhat[s], &design.x[f.term - 1], f, kind, k),
                };
                paths.push(self.levels.path(transform)?);
            }
            let base = paths[self.base].stats.clone();
            for (s, mut path) in paths.into_iter().enumerate() {
                path.pct_diff_base = pct_diff_from_base(&path.stats, &base);
                out.push(ShockedPath {
                    scenario: s,
                    term,
                    kind,
                    k,
                    path,
                });
            }
            Some(())
        };
        group(0, ShockKind::None, 0.0, None)?;
        let coefficient = signed(self.coefficient_shocks);
        let driver = signed(self.driver_shocks);
        for f in self.features {
            for &k in &coefficient {
                group(f.term, ShockKind::Coefficient, k, Some(f))?;
            }
            if f.driver_shockable() {
                for &k in &driver {
                    group(f.term, ShockKind::Driver, k, Some(f))?;
                }
            }
        }
        Some(out)
    }
}

/// One term's attribution under one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct TermAttribution {
    /// Term (0: the intercept).
    pub term: usize,
    /// β·x per forecast period (the intercept itself for term 0).
    pub contribution: Vec<f64>,
    /// For a shockable feature: the outcome at P9 (PH when shorter) with the feature held at
    /// its p0 value after p0, minus the scenario's outcome — the 9Q change with the feature
    /// frozen minus the scenario's 9Q change.
    pub effect_9q: Option<f64>,
}

/// Attribution of one model under one scenario: every term's contribution (they sum to the
/// scenario's ŷ), and the frozen-feature effect of each term in `shockable`. `scenario` is the
/// unshocked path of `design`. `None` when the history is too short for the link.
pub fn attribution(
    levels: &LevelPaths<'_>,
    params: &[f64],
    design: &ScenarioDesign,
    scenario: &ScenarioPath,
    shockable: &[usize],
) -> Option<Vec<TermAttribution>> {
    let n = design.periods();
    let mut out = vec![TermAttribution {
        term: 0,
        contribution: vec![params[0]; n],
        effect_9q: None,
    }];
    for (k, xk) in design.x.iter().enumerate() {
        let term = k + 1;
        let beta = params[term];
        let effect_9q = if shockable.contains(&term) {
            let mut frozen = design.x.clone();
            for (j, v) in frozen[k].iter_mut().enumerate() {
                if j >= design.lead {
                    *v = design.x_p0[k];
                }
            }
            let path = levels.path(predict(params, &frozen, n))?;
            Some(path.stats.outcome_9q() - scenario.stats.outcome_9q())
        } else {
            None
        };
        out.push(TermAttribution {
            term,
            contribution: xk.iter().map(|x| beta * x).collect(),
            effect_9q,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::LevelLink;

    #[test]
    fn shock_words_round_trip() {
        for k in ShockKind::ALL {
            assert_eq!(ShockKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ShockKind::parse("Driver"), None);
    }

    #[test]
    fn signed_sizes_run_from_the_largest_fall_to_the_largest_rise() {
        assert_eq!(
            signed(&[2.0, 1.0, 3.0]),
            vec![-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]
        );
        assert_eq!(signed(&[1.0]), vec![-1.0, 1.0]);
    }

    #[test]
    fn sample_std_by_hand_and_a_constant_column_is_zero() {
        // mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, / 3.
        assert!((sample_std(&[1.0, 2.0, 3.0, 4.0]) - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(sample_std(&[0.1; 7]), 0.0);
        assert_eq!(sample_std(&[0.0; 3]), 0.0);
        assert!(sample_std(&[1.0]).is_nan());
        assert!(sample_std(&[1.0, f64::NAN]).is_nan());
    }

    /// ŷ = 1 + 2·a + 3·b on a level target: every number by hand.
    #[test]
    fn shocks_and_attribution_of_a_two_driver_level_model_by_hand() {
        let history = [10.0, 11.0];
        let levels = LevelPaths {
            link: LevelLink::Level,
            history: &history,
            monthly: None,
        };
        let params = [1.0, 2.0, 3.0];
        let design = ScenarioDesign {
            x: vec![vec![1.0, 2.0], vec![0.5, -1.0]],
            x_p0: vec![0.0, 1.0],
            lead: 0,
        };
        let features = [
            FeatureScale {
                term: 1,
                coef: 2.0,
                se: 0.5,
                sigma: 0.25,
            },
            FeatureScale {
                term: 2,
                coef: 3.0,
                se: 1.0,
                sigma: 0.0,
            },
        ];
        let scenarios = [design.clone()];
        let s = Sensitivity {
            levels,
            params: &params,
            features: &features,
            coefficient_shocks: &[1.0],
            driver_shocks: &[2.0],
            scenarios: &scenarios,
            base: 0,
        };
        let paths = s.paths().unwrap();
        // Unshocked: ŷ = [1 + 2 + 1.5, 1 + 4 − 3] = [4.5, 2].
        assert_eq!(paths[0].path.transform, vec![4.5, 2.0]);
        assert_eq!(paths[0].path.quarterly, vec![11.0, 4.5, 2.0]);
        // a: coefficient −1·0.5 and +1·0.5 (ŷ ∓ 0.5·x_a), driver ∓2·0.25 (ŷ ∓ 2·0.5 = ∓1).
        let of = |term, kind, k| {
            paths
                .iter()
                .find(|p| p.term == term && p.kind == kind && p.k == k)
                .map(|p| p.path.transform.clone())
        };
        assert_eq!(of(1, ShockKind::Coefficient, -1.0), Some(vec![4.0, 1.0]));
        assert_eq!(of(1, ShockKind::Coefficient, 1.0), Some(vec![5.0, 3.0]));
        assert_eq!(of(1, ShockKind::Driver, -2.0), Some(vec![3.5, 1.0]));
        assert_eq!(of(1, ShockKind::Driver, 2.0), Some(vec![5.5, 3.0]));
        // b: coefficient ∓1·1·x_b; σ = 0: no driver shock.
        assert_eq!(of(2, ShockKind::Coefficient, 1.0), Some(vec![5.0, 1.0]));
        assert_eq!(of(2, ShockKind::Driver, 2.0), None);
        assert_eq!(paths.len(), 1 + 4 + 2);
        assert!(paths.iter().all(|p| p.path.pct_diff_base == 0.0));

        let a = attribution(&levels, &params, &design, &paths[0].path, &[1, 2]).unwrap();
        assert_eq!(a[0].contribution, vec![1.0, 1.0]);
        assert_eq!(a[1].contribution, vec![2.0, 4.0]);
        assert_eq!(a[2].contribution, vec![1.5, -3.0]);
        for j in 0..2 {
            let sum: f64 = a.iter().map(|t| t.contribution[j]).sum();
            assert_eq!(sum, paths[0].path.transform[j]);
        }
        // Horizon of 2 < 9 quarters: the outcome is PH. a frozen at 0: ŷ_2 = 1 + 0 − 3 = −2,
        // minus 2 → −4; b frozen at 1: ŷ_2 = 1 + 4 + 3 = 8, minus 2 → 6.
        assert_eq!(a[1].effect_9q, Some(-4.0));
        assert_eq!(a[2].effect_9q, Some(6.0));
        assert_eq!(a[0].effect_9q, None);
    }

    #[test]
    fn a_lead_keeps_the_history_periods_when_a_driver_is_frozen() {
        let history = [100.0];
        let levels = LevelPaths {
            link: LevelLink::Difference { period: 1 },
            history: &history,
            monthly: None,
        };
        let params = [0.0, 1.0];
        // Lead 1: period 0's regressor is history (row p0), periods 1.. come after p0.
        let design = ScenarioDesign {
            x: vec![vec![5.0, 7.0, 9.0]],
            x_p0: vec![5.0],
            lead: 1,
        };
        let path = levels.path(predict(&params, &design.x, 3)).unwrap();
        assert_eq!(path.levels, vec![105.0, 112.0, 121.0]);
        let a = attribution(&levels, &params, &design, &path, &[1]).unwrap();
        // Frozen: 5, 5, 5 → 115 at PH, minus 121.
        assert_eq!(a[1].effect_9q, Some(-6.0));
    }
}
