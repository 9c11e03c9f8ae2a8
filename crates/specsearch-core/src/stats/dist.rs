//! Upper-tail probabilities (p-values) of the reference distributions, via `statrs`.
//!
//! Wrappers exist because statrs panics (unwrap inside `beta_reg`) or loops on NaN/out-of-range
//! arguments; here NaN in gives NaN out and every finite result is clamped to [0, 1].

use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};
use statrs::function::{beta, erf};

fn clamp01(p: f64) -> f64 {
    if p.is_nan() {
        p
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// Two-sided Student-t p-value `2·P(T_df > |t|)` (statsmodels `use_t=True`).
pub fn t_two_sided(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => clamp01(2.0 * d.sf(t.abs())),
        Err(_) => f64::NAN,
    }
}

/// Chi-squared survival function `P(X_df > x)`.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    // statrs evaluates Q(df/2, x/2) and panics when x/2 underflows to 0 (x ≤ 1e-323): the
    // limit there is sf(0⁺) = 1 to double precision for every df ≥ 1.
    if x <= 0.0 || x / 2.0 == 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    match ChiSquared::new(df) {
        Ok(d) => clamp01(d.sf(x)),
        Err(_) => f64::NAN,
    }
}

/// F survival function `P(F_{d1,d2} > f)`.
///
/// statrs' `FisherSnedecor::sf` evaluates `I_{1 - d1 f/(d1 f + d2)}`; the subtraction loses
/// relative precision exactly where p is small (large F). The identical quantity
/// `I_{d2/(d1 f + d2)}(d2/2, d1/2)` is evaluated here with statrs' own incomplete beta.
pub fn f_sf(f: f64, d1: f64, d2: f64) -> f64 {
    if f.is_nan() || d1.is_nan() || d2.is_nan() || d1 <= 0.0 || d2 <= 0.0 {
        return f64::NAN;
    }
    if f <= 0.0 {
        return 1.0;
    }
    if f.is_infinite() {
        return 0.0;
    }
    let x = d2 / (d1 * f + d2);
    beta::checked_beta_reg(d2 / 2.0, d1 / 2.0, x)
        .map(clamp01)
        .unwrap_or(f64::NAN)
}

/// Standard normal CDF Φ(x) (erfc form, accurate in the lower tail).
pub fn norm_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    clamp01(0.5 * erf::erfc(-x / std::f64::consts::SQRT_2))
}

/// Relative margin (in p-value space) of the band inside which [`PCut`] falls back to the exact
/// p-value. statrs' tail functions are accurate to ~1e-13 relative, so outside the band the
/// sign of `p − α` cannot be affected by rounding (see [`PCut`]).
pub const PCUT_MARGIN: f64 = 1e-9;

/// Below this significance level the cut is not used (the margin argument needs `α·ε` to be a
/// normal, accurately computed p-value); every decision then takes the exact path.
const PCUT_MIN_ALPHA: f64 = 1e-250;

/// The decision "`p(s) < α`" (or `≤ α`) for a p-value `p` that decreases in a statistic
/// `s ≥ 0` (|t|, χ², F), taken without evaluating `p` except in a thin band around the
/// critical value — bit-for-bit the same decision as comparing the exact p-value.
///
/// Construction bisects (on the bit patterns of `s`, i.e. to the last ulp) for
/// - `lo`: a statistic with `p(lo) ≥ α(1 + ε)`, the last one found before that stops holding;
/// - `hi`: a statistic with `p(hi) ≤ α(1 − ε)`, the first one found where that holds;
///
/// with `ε` = [`PCUT_MARGIN`]. If the computed `p` has relative error `η ≪ ε/2` (statrs: ~1e-13)
/// and the true tail is monotone, then for `s < lo`,
/// `p(s) ≥ p_true(lo)(1 − η) ≥ α(1+ε)(1−η)² > α`, and for `s > hi`, `p(s) < α` likewise; both
/// hold whatever rounding noise `p` has between `lo` and `hi`. Statistics in `[lo, hi]` (a
/// relative width of ~1e-9 in `s`), NaN and infinities are decided by the exact p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PCut {
    lo: f64,
    hi: f64,
    alpha: f64,
}

/// Bisection over the ordered bit patterns of non-negative floats: `pred` holds at `a` and not
/// at `b` (`a < b`); returns adjacent `(a', b')` with the same property.
fn bisect_bits(pred: &impl Fn(f64) -> bool, a: f64, b: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (a.to_bits(), b.to_bits());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if pred(f64::from_bits(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (f64::from_bits(lo), f64::from_bits(hi))
}

/// `(last s where pred holds, first s where it does not)` along `[0, f64::MAX]`, with `pred`
/// true at 0 and (for the search) false somewhere; `None` when `pred(0)` is false, `hi = +inf`
/// when `pred(f64::MAX)` still holds.
fn transition(pred: impl Fn(f64) -> bool) -> Option<(f64, f64)> {
    if !pred(0.0) {
        return None;
    }
    let mut b = 1.0f64;
    while pred(b) {
        if b == f64::MAX {
            return Some((f64::MAX, f64::INFINITY));
        }
        b = (b * 2.0).min(f64::MAX);
    }
    Some(bisect_bits(&pred, 0.0, b))
}

impl PCut {
    /// Builds the cut for the p-value function `p` (decreasing in `s ≥ 0`) at level `alpha`.
    /// Costs ~130 evaluations of `p`; cache the result.
    pub fn new(p: impl Fn(f64) -> f64, alpha: f64) -> PCut {
        let usable = alpha >= PCUT_MIN_ALPHA; // false for NaN
        if p(0.0).is_nan() || !usable {
            // Invalid distribution, or α ≤ 0, tiny or NaN: every decision takes the exact path.
            return PCut {
                lo: f64::NEG_INFINITY,
                hi: f64::INFINITY,
                alpha,
            };
        }
        let up = alpha * (1.0 + PCUT_MARGIN);
        let down = alpha * (1.0 - PCUT_MARGIN);
        // A NaN p fails both predicates, so it never widens a quick-decision region.
        let lo = transition(|s| p(s) >= up).map_or(f64::NEG_INFINITY, |(last, _)| last);
        let accepted = |s: f64| p(s) <= down; // false for NaN
        let hi = transition(|s| !accepted(s)).map_or(0.0, |(_, first)| first);
        PCut { lo, hi, alpha }
    }

    /// Student-t cut for two-sided p-values ([`t_two_sided`]) with `df` degrees of freedom.
    pub fn student_t(df: f64, alpha: f64) -> PCut {
        PCut::new(|s| t_two_sided(s, df), alpha)
    }

    /// χ² cut ([`chi2_sf`]) with `df` degrees of freedom.
    pub fn chi2(df: f64, alpha: f64) -> PCut {
        PCut::new(|s| chi2_sf(s, df), alpha)
    }

    /// The significance level the cut was built for.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// `Some(decision)` when `s` is outside the band (`p(s) < α` and `p(s) ≤ α` agree there),
    /// `None` when the exact p-value is needed.
    #[inline]
    pub fn quick(&self, s: f64) -> Option<bool> {
        if s < self.lo {
            Some(false)
        } else if s > self.hi && s.is_finite() {
            Some(true)
        } else {
            None
        }
    }

    /// The decision shared by every statistic in `[s_lo, s_hi]` when the whole interval lies
    /// on one side of the band (`Some(false)`: `p ≥ α` for all of them, `Some(true)`: `p < α`
    /// for all, finite statistics only), `None` otherwise. For a statistic known only to
    /// within a rounding-error bound.
    #[inline]
    pub fn quick_range(&self, s_lo: f64, s_hi: f64) -> Option<bool> {
        if s_hi < self.lo {
            Some(false)
        } else if s_lo > self.hi && s_hi.is_finite() {
            Some(true)
        } else {
            None
        }
    }

    /// Exactly `p(s) < α`; `p` must be the function the cut was built from.
    #[inline]
    pub fn lt(&self, s: f64, p: impl FnOnce(f64) -> f64) -> bool {
        self.quick(s).unwrap_or_else(|| p(s) < self.alpha)
    }

    /// Exactly `p(s) ≤ α`; `p` must be the function the cut was built from.
    #[inline]
    pub fn le(&self, s: f64, p: impl FnOnce(f64) -> f64) -> bool {
        self.quick(s).unwrap_or_else(|| p(s) <= self.alpha)
    }

    /// Exactly `t_two_sided(t, df) < α` for the cut built by [`PCut::student_t`]`(df, α)`.
    #[inline]
    pub fn t_significant(&self, t: f64, df: f64) -> bool {
        self.lt(t.abs(), |s| t_two_sided(s, df))
    }

    /// Exactly `chi2_sf(x, df) ≤ α` for the cut built by [`PCut::chi2`]`(df, α)`.
    #[inline]
    pub fn chi2_rejects(&self, x: f64, df: f64) -> bool {
        self.le(x, |s| chi2_sf(s, df))
    }
}
