//! Feature transforms (§2 of docs/semantics.md): the transform catalogue, variant expansion by
//! variable type, variant naming, composites (`composite`), and MEV metadata.
//!
//! A *variant* of a variable is `f(x[t−L], p)` for a transform `f`, period (or window) `p` and
//! lag `L`. The order of variants is part of the spec-index contract: transforms in type-map
//! order, then periods (windows, for the rolling transforms) in list order, then lags.

pub mod composite;
pub mod dummies;
pub mod items;
pub mod metadata;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::data::Frequency;

pub use metadata::{MevMeta, TypeMap, VarType};

/// A transform of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Transform {
    /// Level: `x`.
    #[default]
    #[serde(rename = "LV")]
    Lv,
    /// Difference: `x − x[t−p]`.
    #[serde(rename = "DF")]
    Df,
    /// Growth rate: `x / x[t−p] − 1`.
    #[serde(rename = "GR")]
    Gr,
    /// Absolute growth rate: `|x / x[t−p] − 1|` (§9).
    #[serde(rename = "ABSGR")]
    Absgr,
    /// Rolling average: the mean of `x` over the `w` periods ending at t (§9).
    #[serde(rename = "ROLLAVG")]
    Rollavg,
    /// Deviation from the rolling average: `x − ROLLAVG(x, w)` (§9; the reference's
    /// `DIV_ROLLAVG`).
    #[serde(rename = "DEVROLL")]
    Devroll,
}

impl Transform {
    /// Every transform, in the order of its codes' documentation.
    pub const ALL: [Transform; 6] = [
        Transform::Lv,
        Transform::Df,
        Transform::Gr,
        Transform::Absgr,
        Transform::Rollavg,
        Transform::Devroll,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Transform::Lv => "LV",
            Transform::Df => "DF",
            Transform::Gr => "GR",
            Transform::Absgr => "ABSGR",
            Transform::Rollavg => "ROLLAVG",
            Transform::Devroll => "DEVROLL",
        }
    }

    pub fn parse(s: &str) -> Option<Transform> {
        Transform::ALL.into_iter().find(|t| t.code() == s)
    }

    /// Whether the transform's number is a rolling window (`search.windows`, always written
    /// in the name) rather than a period (`search.periods`, written when > 1).
    pub fn uses_window(self) -> bool {
        matches!(self, Transform::Rollavg | Transform::Devroll)
    }

    /// Whether a target transformed by it can be converted back to levels (§8): LV, DF, GR.
    pub fn has_level_link(self) -> bool {
        matches!(self, Transform::Lv | Transform::Df | Transform::Gr)
    }
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One variant of a variable, before its values are computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantSpec {
    pub name: String,
    pub base: String,
    pub transform: Transform,
    pub period: u32,
    pub lag: u32,
}

/// Default transform periods for a frequency.
pub fn default_periods(freq: Frequency) -> Vec<u32> {
    match freq {
        Frequency::Monthly => vec![1, 3, 6, 12],
        Frequency::Quarterly => vec![1, 2, 3, 4],
    }
}

/// `VAR_LV`, `VAR_LV_L2`, `VAR_MMDF`, `VAR_MMDF6_L1`, `VAR_QQGR2_L3`: every transform except
/// `LV` carries the frequency prefix; the period only when > 1; `_L<k>` only when k > 0. The
/// rolling transforms write their window always: `VAR_QQROLLAVG4`, `VAR_MMDEVROLL4_L1`.
pub fn variant_name(
    base: &str,
    transform: Transform,
    period: u32,
    lag: u32,
    freq: Frequency,
) -> String {
    let mut name = String::with_capacity(base.len() + 12);
    name.push_str(base);
    name.push('_');
    if transform != Transform::Lv {
        name.push_str(match freq {
            Frequency::Monthly => "MM",
            Frequency::Quarterly => "QQ",
        });
    }
    name.push_str(transform.code());
    if transform.uses_window() || (transform != Transform::Lv && period > 1) {
        name.push_str(&period.to_string());
    }
    if lag > 0 {
        name.push_str(&format!("_L{lag}"));
    }
    name
}

/// Every variant of a variable whose type maps to `transforms`, in contract order: a rolling
/// transform takes its numbers from `windows`, every other from `periods` (LV has none).
pub fn expand_variants(
    base: &str,
    transforms: &[Transform],
    periods: &[u32],
    windows: &[u32],
    max_lag: u32,
    freq: Frequency,
) -> Vec<VariantSpec> {
    let mut out = Vec::new();
    for &transform in transforms {
        // LV has no period: one entry, not one per period.
        let transform_periods: &[u32] = if transform == Transform::Lv {
            &[1]
        } else if transform.uses_window() {
            windows
        } else {
            periods
        };
        for &period in transform_periods {
            for lag in 0..=max_lag {
                out.push(VariantSpec {
                    name: variant_name(base, transform, period, lag, freq),
                    base: base.to_string(),
                    transform,
                    period,
                    lag,
                });
            }
        }
    }
    out
}

/// Applies `f(x[t−lag], period)` (`period` is the window of a rolling transform); positions
/// without enough history are NaN. Division by zero in `GR` and `ABSGR` yields ±inf (or NaN for
/// 0/0), which the validity pretest rejects; a rolling mean over a window with a missing value
/// is missing (pandas' `rolling(w).mean()`).
pub fn apply(x: &[f64], transform: Transform, period: u32, lag: u32) -> Vec<f64> {
    let n = x.len();
    let lag = lag as usize;
    let p = period as usize;
    // The mean of the `p` values ending at s, summed in order.
    let rolling = |s: usize| -> f64 {
        if p == 0 || s + 1 < p {
            return f64::NAN;
        }
        x[s + 1 - p..=s].iter().sum::<f64>() / p as f64
    };
    let mut out = vec![f64::NAN; n];
    for (t, value) in out.iter_mut().enumerate().skip(lag) {
        let s = t - lag;
        *value = match transform {
            Transform::Lv => x[s],
            Transform::Df if s >= p => x[s] - x[s - p],
            Transform::Gr if s >= p => x[s] / x[s - p] - 1.0,
            Transform::Absgr if s >= p => (x[s] / x[s - p] - 1.0).abs(),
            Transform::Rollavg => rolling(s),
            Transform::Devroll => x[s] - rolling(s),
            _ => f64::NAN,
        };
    }
    out
}

/// Shifts a series `lead` periods back: `out[t] = x[t + lead]` (NaN past the end).
pub fn lead(x: &[f64], lead: u32) -> Vec<f64> {
    let k = lead as usize;
    (0..x.len())
        .map(|t| x.get(t + k).copied().unwrap_or(f64::NAN))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_contract() {
        let m = Frequency::Monthly;
        let q = Frequency::Quarterly;
        assert_eq!(variant_name("VAR", Transform::Lv, 1, 0, m), "VAR_LV");
        assert_eq!(variant_name("VAR", Transform::Lv, 1, 2, m), "VAR_LV_L2");
        assert_eq!(variant_name("VAR", Transform::Df, 1, 0, m), "VAR_MMDF");
        assert_eq!(variant_name("VAR", Transform::Df, 6, 1, m), "VAR_MMDF6_L1");
        assert_eq!(variant_name("VAR", Transform::Gr, 2, 3, q), "VAR_QQGR2_L3");
    }

    #[test]
    fn monthly_default_gives_twenty_variants_in_order() {
        let types = TypeMap::default();
        let level = types.transforms("level").unwrap();
        let rate = types.transforms("rate").unwrap();
        let v = expand_variants("X", level, &[1, 3, 6, 12], &[4], 3, Frequency::Monthly);
        assert_eq!(v.len(), 20);
        let names: Vec<&str> = v.iter().map(|v| v.name.as_str()).take(6).collect();
        assert_eq!(
            names,
            [
                "X_LV",
                "X_LV_L1",
                "X_LV_L2",
                "X_LV_L3",
                "X_MMGR",
                "X_MMGR_L1"
            ]
        );
        assert_eq!(v[19].name, "X_MMGR12_L3");
        let r = expand_variants("R", rate, &[1, 2], &[4], 0, Frequency::Quarterly);
        let names: Vec<&str> = r.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["R_LV", "R_QQDF", "R_QQDF2"]);
    }

    #[test]
    fn catalogue_transforms_are_named_with_their_window_always() {
        let m = Frequency::Monthly;
        let q = Frequency::Quarterly;
        assert_eq!(
            variant_name("VAR", Transform::Absgr, 3, 1, m),
            "VAR_MMABSGR3_L1"
        );
        assert_eq!(
            variant_name("VAR", Transform::Absgr, 1, 0, q),
            "VAR_QQABSGR"
        );
        assert_eq!(
            variant_name("VAR", Transform::Rollavg, 4, 0, q),
            "VAR_QQROLLAVG4"
        );
        assert_eq!(
            variant_name("VAR", Transform::Devroll, 4, 0, q),
            "VAR_QQDEVROLL4"
        );
        assert_eq!(
            variant_name("VAR", Transform::Devroll, 2, 3, m),
            "VAR_MMDEVROLL2_L3"
        );
        let v = expand_variants(
            "S",
            &[Transform::Lv, Transform::Devroll, Transform::Absgr],
            &[1, 2],
            &[4, 8],
            1,
            q,
        );
        let names: Vec<&str> = v.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "S_LV",
                "S_LV_L1",
                "S_QQDEVROLL4",
                "S_QQDEVROLL4_L1",
                "S_QQDEVROLL8",
                "S_QQDEVROLL8_L1",
                "S_QQABSGR",
                "S_QQABSGR_L1",
                "S_QQABSGR2",
                "S_QQABSGR2_L1"
            ]
        );
    }

    #[test]
    fn catalogue_transforms_by_hand() {
        let x = [1.0, 2.0, 4.0, 8.0, 0.0, 5.0];
        let a = apply(&x, Transform::Absgr, 1, 0);
        assert!(a[0].is_nan());
        assert_eq!(&a[1..5], &[1.0, 1.0, 1.0, 1.0]); // |2/1-1|, |4/2-1|, |8/4-1|, |0/8-1|
        assert_eq!(a[5], f64::INFINITY);
        let r = apply(&x, Transform::Rollavg, 3, 1);
        assert!(r[..3].iter().all(|v| v.is_nan()));
        assert_eq!(&r[3..], &[7.0 / 3.0, 14.0 / 3.0, 4.0]); // mean of x[0..3], x[1..4], x[2..5]
        let d = apply(&x, Transform::Devroll, 2, 0);
        assert!(d[0].is_nan());
        assert_eq!(&d[1..], &[0.5, 1.0, 2.0, -4.0, 2.5]); // x − mean(x[t−1], x[t])
        let gap = [1.0, f64::NAN, 3.0, 4.0, 5.0];
        let r = apply(&gap, Transform::Rollavg, 2, 0);
        assert!(r[1].is_nan() && r[2].is_nan());
        assert_eq!(&r[3..], &[3.5, 4.5]);
    }

    #[test]
    fn transforms_by_hand() {
        let x = [1.0, 2.0, 4.0, 8.0, 0.0, 5.0];
        let df = apply(&x, Transform::Df, 1, 0);
        assert!(df[0].is_nan());
        assert_eq!(&df[1..], &[1.0, 2.0, 4.0, -8.0, 5.0]);
        let gr = apply(&x, Transform::Gr, 2, 1);
        assert!(gr[..3].iter().all(|v| v.is_nan()));
        assert_eq!(gr[3], 3.0); // x[2]/x[0] - 1
        assert_eq!(gr[4], 3.0); // x[3]/x[1] - 1
        assert_eq!(gr[5], -1.0); // x[4]/x[2] - 1
        let gr0 = apply(&x, Transform::Gr, 1, 0);
        assert_eq!(gr0[5], f64::INFINITY); // 5/0 - 1
        let lv = apply(&x, Transform::Lv, 1, 2);
        assert!(lv[1].is_nan());
        assert_eq!(lv[2], 1.0);
        let led = lead(&x, 1);
        assert_eq!(&led[..5], &[2.0, 4.0, 8.0, 0.0, 5.0]);
        assert!(led[5].is_nan());
    }
}
