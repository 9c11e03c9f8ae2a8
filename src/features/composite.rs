//! Composite features (docs/semantics.md §2): columns a spec builds from frozen columns instead
//! of reading them from the frozen store.
//!
//! - `interaction(a, b)` = a·b, one column per pair of surviving variants (a's variant slowest),
//!   named `<a>_<b>_MUL`, defined `interaction(<a>, <b>)`;
//! - `regime(feature, column, on)` = feature · 1[column = on], one column per surviving variant
//!   of `feature`, named `<feature>@<column>_<on>`, defined `regime(<feature>, <column>, <on>)`.
//!   The indicator is NaN where `column` is missing, like a dummy.
//!
//! Values are the IEEE product of the source values, row by row, so NaN propagates. A
//! composite's identity across processes, runs and the store is its name plus the sha256 of its
//! values over every date of the frozen calendar ([`crate::store::column_sha256`]).
//!
//! Composite column ids come after the frozen ones (`id ≥` number of frozen columns); they are
//! described by the plan and sent to every evaluator, which builds their values on private
//! copies of the source columns. The frozen store is never written during a search: after the
//! run, the coordinator replays the composites passed models depend on into it
//! (`crate::store::replay`).

use serde::{Deserialize, Serialize};

/// How a composite is computed from frozen column ids.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum CompositeKind {
    /// `a · b`.
    Mul { a: u32, b: u32 },
    /// `feature · 1[source = on]`.
    Regime { feature: u32, source: u32, on: f64 },
}

impl CompositeKind {
    /// The frozen columns the composite reads.
    pub fn sources(&self) -> [u32; 2] {
        match *self {
            CompositeKind::Mul { a, b } => [a, b],
            CompositeKind::Regime {
                feature, source, ..
            } => [feature, source],
        }
    }

    /// Computes rows `rows` of the composite into `out` (`out.len() == rows.len()`), reading
    /// the full source columns through `column`.
    pub fn compute_into<'a>(
        &self,
        column: impl Fn(u32) -> &'a [f64],
        rows: std::ops::Range<usize>,
        out: &mut [f64],
    ) {
        debug_assert_eq!(out.len(), rows.len());
        match *self {
            CompositeKind::Mul { a, b } => {
                let (a, b) = (&column(a)[rows.clone()], &column(b)[rows]);
                for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
                    *o = x * y;
                }
            }
            CompositeKind::Regime {
                feature,
                source,
                on,
            } => {
                let (f, s) = (&column(feature)[rows.clone()], &column(source)[rows]);
                for ((o, x), c) in out.iter_mut().zip(f).zip(s) {
                    *o = x * indicator(*c, on);
                }
            }
        }
    }

    /// Every row of the composite.
    pub fn values<'a>(&self, column: impl Fn(u32) -> &'a [f64], rows: usize) -> Vec<f64> {
        let mut out = vec![0.0; rows];
        self.compute_into(column, 0..rows, &mut out);
        out
    }
}

/// `1[c = on]`, NaN where `c` is missing.
#[inline]
pub fn indicator(c: f64, on: f64) -> f64 {
    if c.is_nan() {
        f64::NAN
    } else if c == on {
        1.0
    } else {
        0.0
    }
}

/// One composite column of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositeDef {
    /// Column id (≥ number of frozen columns).
    pub id: u32,
    /// `a_b_MUL` or `feature@column_on`.
    pub name: String,
    /// Canonical text: `interaction(a, b)` or `regime(feature, column, on)`.
    pub definition: String,
    pub kind: CompositeKind,
    /// Expected coefficient sign: a regime's is its feature's; an interaction has none (0).
    pub expected_sign: i8,
    /// The base variable (a's for an interaction, the feature's for a regime).
    pub base: String,
    /// The base variable's category.
    pub category: Option<String>,
}

/// Name of an interaction column.
pub fn interaction_name(a: &str, b: &str) -> String {
    format!("{a}_{b}_MUL")
}

/// Definition (canonical text) of an interaction column.
pub fn interaction_definition(a: &str, b: &str) -> String {
    format!("interaction({a}, {b})")
}

/// Name of a regime column; `on` is the canonical level text.
pub fn regime_name(feature: &str, column: &str, on: &str) -> String {
    format!("{feature}@{column}_{on}")
}

/// Definition (canonical text) of a regime column.
pub fn regime_definition(feature: &str, column: &str, on: &str) -> String {
    format!("regime({feature}, {column}, {on})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_hand() {
        let cols = [
            vec![1.0, 2.0, f64::NAN, 4.0],
            vec![3.0, -1.0, 5.0, 0.5],
            vec![4.0, 1.0, 4.0, f64::NAN],
        ];
        let col = |id: u32| cols[id as usize].as_slice();
        let mul = CompositeKind::Mul { a: 0, b: 1 }.values(col, 4);
        assert_eq!(mul[0], 3.0);
        assert_eq!(mul[1], -2.0);
        assert!(mul[2].is_nan());
        assert_eq!(mul[3], 2.0);
        let reg = CompositeKind::Regime {
            feature: 1,
            source: 2,
            on: 4.0,
        }
        .values(col, 4);
        assert_eq!(&reg[..3], &[3.0, 0.0, 5.0]);
        assert!(reg[3].is_nan());
        let mut part = [0.0; 2];
        CompositeKind::Mul { a: 0, b: 1 }.compute_into(col, 2..4, &mut part);
        assert!(part[0].is_nan());
        assert_eq!(part[1], 2.0);
        assert_eq!(interaction_name("a_LV", "b_QQDF"), "a_LV_b_QQDF_MUL");
        assert_eq!(regime_name("a_LV", "Q", "4"), "a_LV@Q_4");
        assert_eq!(regime_definition("a_LV", "Q", "4"), "regime(a_LV, Q, 4)");
    }
}
