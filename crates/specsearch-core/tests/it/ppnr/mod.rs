//! A PPNR-shaped search generated in memory, shared by the kernel's reference, equivalence and
//! allocation tests and by the `assess` bench (`#[path]`-included there).
//!
//! The shape of the `ppnr` benchmark (`benches/ppnr.rs`, data of `specsearch synth --preset
//! ppnr`): a stationary monthly growth target with seasonal months, 213 in-sample and 24
//! out-of-sample months, the 7 partial month dummies `M:2,3,4,5,10,11,12` forced, 9 rate
//! drivers in 5 categories (sizes 1, 2, 2, 2, 2) with their 20 variants (`LV` lags 0–3, `DF`
//! periods 1, 3, 6, 12 × lags 0–3), kept by the stationarity pretest as the planner keeps them,
//! `max_vars` 5, `category_limit` 1. Residuals are AR(1), so almost every spec is judged under
//! HAC(4) and fails at Coefficient Significance. [`Noise`] switches the residuals to iid or
//! heteroscedastic to exercise the other two covariance paths.
//!
//! Everything is a deterministic function of the arguments (xorshift generator, fixed order).

#![allow(dead_code)] // each test crate uses a different part

use specsearch_core::assess::{
    ColumnData, Evaluator, EvaluatorOptions, FilterThresholds, TargetData,
};
use specsearch_core::spec::{ColumnClass, ColumnInfo, Element, PoolEntry, SpaceInput, SpecSpace};
use specsearch_core::stats::unitroot;

/// Months before the first in-sample month (enough for `DF12` at lag 3).
pub const HISTORY: usize = 15;
/// In-sample months.
pub const N_IN: usize = 213;
/// Out-of-sample months.
pub const N_OOS: usize = 24;
/// The forced partial set of month dummies.
pub const MONTHS: [usize; 7] = [2, 3, 4, 5, 10, 11, 12];
/// Category of each driver (sizes 1, 2, 2, 2, 2).
pub const CATEGORIES: [&str; 9] = [
    "rates", "spreads", "spreads", "labour", "labour", "housing", "housing", "markets", "markets",
];

/// Residual process of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noise {
    /// AR(1), ρ = 0.5: Durbin–Watson and Breusch–Godfrey pick HAC.
    Ar1,
    /// iid: mostly the non-robust covariance.
    Iid,
    /// iid with a seasonal variance: Breusch–Pagan and White pick HC1.
    Heteroscedastic,
}

struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// One frozen column (all rows: history, in-sample, out-of-sample).
pub struct Column {
    pub name: String,
    pub values: Vec<f64>,
    pub sign: i8,
    pub is_dummy: bool,
}

/// The generated search: columns (dummies first), target and spec space.
pub struct Ppnr {
    pub columns: Vec<Column>,
    pub target: Vec<f64>,
    pub space: SpecSpace,
}

impl Ppnr {
    /// Generates the search for `seed` and `noise`.
    pub fn new(seed: u64, noise: Noise) -> Ppnr {
        let total = HISTORY + N_IN + N_OOS;
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
        let month = |t: usize| t % 12 + 1;
        let mut columns: Vec<Column> = MONTHS
            .iter()
            .map(|&m| Column {
                name: format!("M:{m}"),
                values: (0..total)
                    .map(|t| f64::from(u8::from(month(t) == m)))
                    .collect(),
                sign: 0,
                is_dummy: true,
            })
            .collect();
        // Rate drivers: persistent AR(1) processes, some close to a unit root (their levels
        // fail the stationarity pretest, as real rates often do).
        let phis = [0.97, 0.9, 0.995, 0.8, 0.95, 0.99, 0.85, 0.93, 0.999];
        let drivers: Vec<Vec<f64>> = phis
            .iter()
            .map(|&phi| {
                let mean = 2.0 + 6.0 * rng.uniform();
                let mut x = mean;
                (0..total)
                    .map(|_| {
                        x = mean + phi * (x - mean) + 0.2 * rng.normal();
                        x
                    })
                    .collect()
            })
            .collect();
        // Target: seasonal months, the 3-month change of driver 1, last month's change of
        // driver 4, the level of driver 3, and the residual process.
        let seasonal = [
            0.0, 0.9, -0.7, 0.8, -0.6, 0.0, 0.0, 0.0, 0.0, 0.7, -0.9, 1.0,
        ];
        let mut e = 0.0;
        let target: Vec<f64> = (0..total)
            .map(|t| {
                let d1 = if t >= 3 {
                    drivers[1][t] - drivers[1][t - 3]
                } else {
                    0.0
                };
                let d4 = if t >= 2 {
                    drivers[4][t - 1] - drivers[4][t - 2]
                } else {
                    0.0
                };
                let shock = 0.45 * rng.normal();
                e = match noise {
                    Noise::Ar1 => 0.5 * e + shock,
                    Noise::Iid => shock,
                    // Three months with a much larger variance: Breusch–Pagan and White
                    // see it through the forced dummies in every spec.
                    Noise::Heteroscedastic => {
                        shock
                            * if (2..=4).contains(&month(t)) {
                                1.8
                            } else {
                                0.8
                            }
                    }
                };
                0.3 + seasonal[month(t) - 1] + 0.6 * d1 - 0.8 * d4 + 0.15 * drivers[3][t] + e
            })
            .collect();
        let signs: [i8; 9] = [1, 1, -1, 1, -1, 1, -1, 1, -1];

        // Variants in the planner's order, kept when valid and stationary in-sample.
        let mut pool = Vec::new();
        for (d, x) in drivers.iter().enumerate() {
            let mut ids = Vec::new();
            let mut variants: Vec<(String, Vec<f64>)> = Vec::new();
            for lag in 0..=3usize {
                let name = if lag == 0 {
                    format!("D{d}_LV")
                } else {
                    format!("D{d}_LV_L{lag}")
                };
                let v = (0..total)
                    .map(|t| if t >= lag { x[t - lag] } else { f64::NAN })
                    .collect();
                variants.push((name, v));
            }
            for period in [1usize, 3, 6, 12] {
                for lag in 0..=3usize {
                    let mut name = format!("D{d}_MMDF");
                    if period > 1 {
                        name.push_str(&period.to_string());
                    }
                    if lag > 0 {
                        name.push_str(&format!("_L{lag}"));
                    }
                    let v = (0..total)
                        .map(|t| {
                            if t >= lag + period {
                                x[t - lag] - x[t - lag - period]
                            } else {
                                f64::NAN
                            }
                        })
                        .collect();
                    variants.push((name, v));
                }
            }
            for (name, values) in variants {
                let ins = &values[HISTORY..HISTORY + N_IN];
                let valid = ins.iter().all(|v| v.is_finite());
                if valid && unitroot::is_stationary(ins, 0.05).unwrap_or(false) {
                    ids.push(columns.len() as u32);
                    columns.push(Column {
                        name,
                        values,
                        sign: signs[d],
                        is_dummy: false,
                    });
                }
            }
            if !ids.is_empty() {
                pool.push(PoolEntry::Variable {
                    element: Element::variable(format!("D{d}"), &ids),
                    category: Some(CATEGORIES[d].to_string()),
                });
            }
        }
        let infos = columns
            .iter()
            .map(|c| {
                let class = if c.is_dummy {
                    ColumnClass::MonthDummy
                } else {
                    ColumnClass::Feature
                };
                ColumnInfo::new(c.name.clone(), class)
            })
            .collect();
        let dummy_ids: Vec<u32> = (0..MONTHS.len() as u32).collect();
        let space = SpecSpace::new(SpaceInput {
            forced: vec![Element::dummy_set(
                "dummies(M, [2,3,4,5,10,11,12])",
                &dummy_ids,
            )],
            pool,
            max_vars: 5,
            category_limit: 1,
            columns: infos,
            key_context: "ppnr-shape".into(),
        })
        .expect("the generated space is valid");
        Ppnr {
            columns,
            target,
            space,
        }
    }

    /// In-sample rows.
    pub fn in_sample(v: &[f64]) -> &[f64] {
        &v[HISTORY..HISTORY + N_IN]
    }

    /// Out-of-sample rows.
    pub fn out_of_sample(v: &[f64]) -> &[f64] {
        &v[HISTORY + N_IN..]
    }

    /// The evaluator of this search with `thresholds`.
    pub fn evaluator(&self, thresholds: FilterThresholds) -> Evaluator {
        self.evaluator_with(thresholds, false)
    }

    /// The evaluator, with the month dummies declared a full set tested jointly (exempt from
    /// filter 2) when `full_set`.
    pub fn evaluator_with(&self, thresholds: FilterThresholds, full_set: bool) -> Evaluator {
        let data: Vec<ColumnData<'_>> = self
            .columns
            .iter()
            .map(|c| ColumnData {
                name: &c.name,
                in_sample: Ppnr::in_sample(&c.values),
                out_of_sample: Ppnr::out_of_sample(&c.values),
                expected_sign: c.sign,
                is_dummy: c.is_dummy,
                dummy_group: (full_set && c.is_dummy).then_some(0),
                unit_root: None,
            })
            .collect();
        Evaluator::new(
            TargetData {
                name: "y_MMGR",
                in_sample: Ppnr::in_sample(&self.target),
                out_of_sample: Ppnr::out_of_sample(&self.target),
                stationary: true,
            },
            &data,
            thresholds,
            EvaluatorOptions::default(),
        )
        .expect("consistent lengths")
    }
}
