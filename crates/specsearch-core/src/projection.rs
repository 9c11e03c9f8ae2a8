//! Scenario projection arithmetic: a model's predicted target transform turned into the
//! target's level, monthly levels aggregated to quarters, and the scenario statistics of the
//! stress-testing practice (levels at P0..PH, 4Q/9Q/12Q CAGR, 9Q change and % change,
//! difference from the base scenario, the ordering check).
//!
//! Pure functions on slices; the main crate builds the inputs from the journal, the frozen data
//! and the scenario tables. [`shocks`] and [`bands`] hold the validation arithmetic of §10:
//! shocked paths and attribution, prediction intervals and the simulated band.

pub mod bands;
pub mod shocks;

use serde::{Deserialize, Serialize};

/// How the modelled series relates to the level (the target's transform).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelLink {
    /// The model predicts the level itself.
    Level,
    /// `y_t = level_t − level_{t−p}`.
    Difference { period: usize },
    /// `y_t = level_t / level_{t−p} − 1`.
    Growth { period: usize },
}

/// Levels over the forecast periods from predicted transform values `predicted[j]` of period
/// `p0 + 1 + j`. `history` holds the actual levels up to and including p0 (its last element);
/// a difference or growth rate of period `p` reaches back `p` periods, into `history` while
/// that lies at or before p0 and into the levels just computed after it.
///
/// Returns `None` when the history is too short for the period or an actual level it needs is
/// missing.
pub fn to_levels(link: LevelLink, history: &[f64], predicted: &[f64]) -> Option<Vec<f64>> {
    let period = match link {
        LevelLink::Level => return Some(predicted.to_vec()),
        LevelLink::Difference { period } | LevelLink::Growth { period } => period,
    };
    if period == 0 || history.len() < period {
        return None;
    }
    let start = history.len() - period;
    if history[start..].iter().any(|v| !v.is_finite()) {
        return None;
    }
    // levels[k] is the level of period p0 − period + 1 + k.
    let mut levels: Vec<f64> = history[start..].to_vec();
    for (j, &y) in predicted.iter().enumerate() {
        let prior = levels[j];
        levels.push(match link {
            LevelLink::Difference { .. } => prior + y,
            LevelLink::Growth { .. } => prior * (1.0 + y),
            LevelLink::Level => unreachable!("returned above"),
        });
    }
    Some(levels.split_off(period))
}

/// How three months make a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarterOf {
    Mean,
    Sum,
    End,
}

/// One value per complete group of three consecutive months of `months` (a trailing partial
/// quarter is dropped).
pub fn quarters(months: &[f64], how: QuarterOf) -> Vec<f64> {
    months
        .chunks_exact(3)
        .map(|m| match how {
            QuarterOf::Mean => (m[0] + m[1] + m[2]) / 3.0,
            QuarterOf::Sum => m[0] + m[1] + m[2],
            QuarterOf::End => m[2],
        })
        .collect()
}

/// The statistics of one model under one scenario, from its quarterly levels `P0..PH`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioStatistics {
    /// Quarters in the horizon (H).
    pub quarters: usize,
    pub p0: f64,
    /// The level at P4 / P9 / P12 when the horizon reaches it.
    pub p4: Option<f64>,
    pub p9: Option<f64>,
    pub p12: Option<f64>,
    /// The last quarter's level (PH).
    pub last: f64,
    /// `(P_q / P0)^(4/q) − 1`.
    pub cagr_4q: Option<f64>,
    pub cagr_9q: Option<f64>,
    pub cagr_12q: Option<f64>,
    /// `P9 − P0` and `P9 / P0 − 1`.
    pub change_9q: Option<f64>,
    pub pct_change_9q: Option<f64>,
}

/// Compound annual growth from P0 to P_q: `(P_q / P0)^(4/q) − 1`.
pub fn cagr(p0: f64, pq: f64, q: usize) -> f64 {
    (pq / p0).powf(4.0 / q as f64) - 1.0
}

impl ScenarioStatistics {
    /// Statistics of the quarterly levels `levels[q]` = P_q, `levels[0]` = P0 (the actual); a
    /// kQ CAGR only when P_k is reached and P0 and P_k are both positive.
    /// `levels` must hold at least P0.
    pub fn of(levels: &[f64]) -> ScenarioStatistics {
        let p0 = levels[0];
        let at = |q: usize| levels.get(q).copied();
        // A growth rate exists only between two positive levels (§8).
        let cagr_at = |q: usize| {
            at(q)
                .filter(|&pq| p0 > 0.0 && pq > 0.0)
                .map(|pq| cagr(p0, pq, q))
        };
        ScenarioStatistics {
            quarters: levels.len() - 1,
            p0,
            p4: at(4),
            p9: at(9),
            p12: at(12),
            last: levels[levels.len() - 1],
            cagr_4q: cagr_at(4),
            cagr_9q: cagr_at(9),
            cagr_12q: cagr_at(12),
            change_9q: at(9).map(|p9| p9 - p0),
            pct_change_9q: at(9).map(|p9| p9 / p0 - 1.0),
        }
    }

    /// The outcome the ordering check compares: P9, or PH when the horizon is shorter.
    pub fn outcome_9q(&self) -> f64 {
        self.p9.unwrap_or(self.last)
    }
}

/// `P9(scenario) / P9(base) − 1` (or at PH when the horizon is shorter than nine quarters).
pub fn pct_diff_from_base(scenario: &ScenarioStatistics, base: &ScenarioStatistics) -> f64 {
    scenario.outcome_9q() / base.outcome_9q() - 1.0
}

/// Whether `outcomes` (mildest scenario first) are monotone: non-increasing when `down`,
/// non-decreasing otherwise. A NaN outcome is never in order.
pub fn in_order(outcomes: &[f64], down: bool) -> bool {
    outcomes
        .windows(2)
        .all(|w| if down { w[1] <= w[0] } else { w[1] >= w[0] })
}

/// The predicted target transform on each forecast date: `params[0] + Σ_k params[k+1]·x[k][j]`,
/// summed in coefficient order (`x[k][j]` is regressor k's value for forecast period j of
/// `periods`).
pub fn predict(params: &[f64], x: &[Vec<f64>], periods: usize) -> Vec<f64> {
    let mut y = vec![params[0]; periods];
    for (k, xk) in x.iter().enumerate() {
        let beta = params[k + 1];
        for (yj, &v) in y.iter_mut().zip(xk) {
            *yj += beta * v;
        }
    }
    y
}

/// How a predicted transform becomes a scenario path (§8): the level link, the target's actual
/// levels up to and including p0, and for a monthly target how months make quarters (P0 is
/// then the quarter of p0 aggregated from the two months before it and p0 itself).
#[derive(Debug, Clone, Copy)]
pub struct LevelPaths<'a> {
    pub link: LevelLink,
    /// Actual levels up to and including p0 (its last element).
    pub history: &'a [f64],
    /// `Some` for a monthly target: how three months make a quarter.
    pub monthly: Option<QuarterOf>,
}

impl LevelPaths<'_> {
    /// The quarterly levels P0..PH of a level path after p0.
    pub fn quarterly(&self, levels: &[f64]) -> Vec<f64> {
        let p0 = self.history.len() - 1;
        match self.monthly {
            None => std::iter::once(self.history[p0])
                .chain(levels.iter().copied())
                .collect(),
            Some(how) => {
                let months: Vec<f64> = self.history[p0 - 2..]
                    .iter()
                    .chain(levels)
                    .copied()
                    .collect();
                quarters(&months, how)
            }
        }
    }

    /// The path of a predicted transform: levels, quarters and statistics (`pct_diff_base`
    /// NaN: it needs the base scenario's path). `None` when the history is too short for the
    /// link (see [`to_levels`]).
    pub fn path(&self, transform: Vec<f64>) -> Option<ScenarioPath> {
        let levels = to_levels(self.link, self.history, &transform)?;
        let quarterly = self.quarterly(&levels);
        let stats = ScenarioStatistics::of(&quarterly);
        Some(ScenarioPath {
            transform,
            levels,
            quarterly,
            stats,
            pct_diff_base: f64::NAN,
        })
    }
}

/// One model under one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioPath {
    /// The predicted target transform on each forecast date.
    pub transform: Vec<f64>,
    /// The target's level on each forecast date.
    pub levels: Vec<f64>,
    /// Quarterly levels P0..PH (P0 actual); for a quarterly target the level path after P0.
    pub quarterly: Vec<f64>,
    pub stats: ScenarioStatistics,
    /// P9 (or PH) relative to the base scenario's, minus one.
    pub pct_diff_base: f64,
}

/// One model under every scenario (in the inputs' display order).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelForecast {
    pub spec_index: u64,
    pub rank: Option<i64>,
    pub paths: Vec<ScenarioPath>,
    /// The ordering check (`None` without `scenarios.order`).
    pub in_order: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_compounds_from_the_actual_level() {
        let l = to_levels(
            LevelLink::Growth { period: 1 },
            &[90.0, 100.0],
            &[0.1, -0.5],
        )
        .unwrap();
        // The IEEE products of the compounding, in order.
        assert_eq!(
            l,
            vec![100.0 * (1.0 + 0.1), 100.0 * (1.0 + 0.1) * (1.0 - 0.5)]
        );
        // Period 2: each level compounds on the one two periods earlier.
        let l = to_levels(
            LevelLink::Growth { period: 2 },
            &[50.0, 80.0, 100.0],
            &[0.5, 0.25, 1.0],
        )
        .unwrap();
        assert_eq!(l, vec![120.0, 125.0, 240.0]);
        assert_eq!(
            to_levels(LevelLink::Growth { period: 3 }, &[1.0, 2.0], &[0.1]),
            None
        );
        assert_eq!(
            to_levels(LevelLink::Growth { period: 1 }, &[1.0, f64::NAN], &[0.1]),
            None
        );
    }

    #[test]
    fn differences_accumulate_and_levels_pass_through() {
        let l = to_levels(
            LevelLink::Difference { period: 1 },
            &[5.0],
            &[1.0, 2.0, -4.0],
        );
        assert_eq!(l.unwrap(), vec![6.0, 8.0, 4.0]);
        let l = to_levels(
            LevelLink::Difference { period: 2 },
            &[5.0, 7.0],
            &[1.0, 2.0, 3.0],
        );
        assert_eq!(l.unwrap(), vec![6.0, 9.0, 9.0]);
        assert_eq!(
            to_levels(LevelLink::Level, &[], &[3.0, 4.0]).unwrap(),
            vec![3.0, 4.0]
        );
    }

    #[test]
    fn quarters_and_statistics_by_hand() {
        let m = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        assert_eq!(quarters(&m, QuarterOf::Mean), vec![2.0, 5.0]);
        assert_eq!(quarters(&m, QuarterOf::Sum), vec![6.0, 15.0]);
        assert_eq!(quarters(&m, QuarterOf::End), vec![3.0, 6.0]);

        // P_q = 100 · 1.01^q: every CAGR is 1.01^4 − 1.
        let levels: Vec<f64> = (0..=12).map(|q| 100.0 * 1.01f64.powi(q)).collect();
        let s = ScenarioStatistics::of(&levels);
        let annual = 1.01f64.powi(4) - 1.0;
        for c in [s.cagr_4q, s.cagr_9q, s.cagr_12q] {
            assert!((c.unwrap() - annual).abs() < 1e-14);
        }
        assert!((s.change_9q.unwrap() - (100.0 * 1.01f64.powi(9) - 100.0)).abs() < 1e-12);
        assert!((s.pct_change_9q.unwrap() - (1.01f64.powi(9) - 1.0)).abs() < 1e-14);
        assert_eq!(s.quarters, 12);

        // A spread that turns negative: no CAGR where a level is not positive (both negative
        // would otherwise give a ratio > 0 and a growth rate that means nothing), the
        // changes still.
        let mut spread: Vec<f64> = (0..=12).map(|q| 2.0 - 0.5 * q as f64).collect();
        let neg = ScenarioStatistics::of(&spread);
        assert_eq!((neg.cagr_4q, neg.cagr_9q, neg.cagr_12q), (None, None, None));
        assert_eq!(neg.change_9q, Some(-4.5));
        spread[0] = -1.0;
        let neg = ScenarioStatistics::of(&spread);
        assert_eq!(neg.cagr_9q, None);
        assert_eq!(neg.pct_change_9q, Some(-2.5 / -1.0 - 1.0));

        let short = ScenarioStatistics::of(&[100.0, 90.0, 80.0]);
        assert_eq!(
            (short.p4, short.cagr_9q, short.change_9q),
            (None, None, None)
        );
        assert_eq!(short.outcome_9q(), 80.0);
        assert!((pct_diff_from_base(&short, &s) - (80.0 / levels[9] - 1.0)).abs() < 1e-15);
    }

    #[test]
    fn ordering() {
        assert!(in_order(&[3.0, 2.0, 2.0], true));
        assert!(!in_order(&[3.0, 4.0, 2.0], true));
        assert!(in_order(&[1.0, 2.0, 5.0], false));
        assert!(!in_order(&[1.0, f64::NAN], false));
        assert!(!in_order(&[1.0, f64::NAN], true));
    }
}
