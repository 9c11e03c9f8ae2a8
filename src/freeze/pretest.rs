//! Pretests (§3 of docs/semantics.md), run once per search while freezing, never per spec:
//! the target's stationarity picks the branch; every variant is tested for validity (finite on
//! every in-sample date) and stationarity (ADF or PP p < 0.05), and kept by the branch's rule.
//! Every exclusion is recorded with its reason in the catalogue.

use rayon::prelude::*;

use crate::spec::FeatureRole;
use crate::stats::unitroot::{stationarity_with, UnitRootWork};
use crate::store::catalogue::Catalogue;

/// Significance of the "moderate" stationarity verdict (§6).
pub const PRETEST_ALPHA: f64 = 0.05;

/// The target's verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetPretest {
    pub stationary: bool,
    pub adf_p: f64,
    pub pp_p: f64,
}

fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "n/a".into()
    } else {
        format!("{p:.3}")
    }
}

/// Why a variant with a missing or infinite value on in-sample row `rows[bad]` is invalid: not
/// enough history for its lag and period (its first value comes after the sample starts, and it
/// has values from there on), or a gap or infinity in the data itself. `rows` are the rows of
/// the in-sample fit (the window without the outliers), `window` marks a rolling transform
/// (whose number is a window of `period` values, needing `period − 1` earlier rows).
fn invalid_reason(
    values: &[f64],
    lag: u32,
    period: u32,
    window: bool,
    rows: &[usize],
    bad: usize,
    dates: &[chrono::NaiveDate],
) -> String {
    let row = rows[bad];
    if values[row].is_infinite() {
        return format!(
            "invalid: infinite on in-sample date {} (a growth rate over a zero value?)",
            dates[row]
        );
    }
    let start = rows[0];
    let first = values.iter().position(|v| v.is_finite());
    if let Some(first) = first.filter(|&f| f > start) {
        if rows
            .iter()
            .filter(|&&r| r >= first)
            .all(|&r| values[r].is_finite())
        {
            let (what, need) = if window {
                ("window", lag + period - 1)
            } else {
                ("period", lag + period)
            };
            return format!(
                "invalid: no value before {} but the sample starts {}: lag {lag} and {what} \
                 {period} need {need} earlier row(s) of data; move sample.in_start later or \
                 lower search.max_lag / search.{what}s",
                dates[first], dates[start]
            );
        }
    }
    format!(
        "invalid: missing on in-sample date {} (the data has a gap there: fill it, or set \
         ffill = true on its table)",
        dates[row]
    )
}

/// What kind of exclusion a recorded reason is, said as its cause (for `plan`'s summary, which
/// groups exclusions by it; the full reason says the rest).
pub fn exclusion_kind(reason: &str) -> &str {
    const KINDS: [(&str, &str); 8] = [
        (
            "invalid: no value before",
            "not enough history before sample.in_start",
        ),
        (
            "invalid: missing",
            "missing values in the sample (a gap in the data)",
        ),
        ("invalid: infinite", "infinite values in the sample"),
        (
            "non-stationary",
            "non-stationary, while the target is stationary",
        ),
        (
            "stationary",
            "stationary, while the target is non-stationary",
        ),
        (
            "constant",
            "constant in the sample (it would duplicate the intercept)",
        ),
        (
            "the unit-root tests cannot",
            "no unit-root test can be computed on it",
        ),
        (
            "regime source column",
            "a regime's source column (never a regressor)",
        ),
    ];
    KINDS
        .iter()
        .find(|(prefix, _)| reason.starts_with(prefix))
        .map_or_else(
            || reason.split([':', '(']).next().unwrap_or(reason).trim(),
            |(_, kind)| kind,
        )
}

/// Runs every pretest and fills the catalogue's verdicts; returns the target's verdict. Every
/// test uses the rows of the in-sample fit: the window without the outlier dates (§9).
pub fn run(
    catalogue: &mut Catalogue,
    rows: &[usize],
    dates: &[chrono::NaiveDate],
) -> TargetPretest {
    let gather = |values: &[f64]| -> Vec<f64> { rows.iter().map(|&r| values[r]).collect() };
    let target = &mut catalogue.columns[0];
    debug_assert_eq!(target.role, FeatureRole::Target);
    let s = stationarity_with(&gather(&target.values), &mut UnitRootWork::default());
    let verdict = TargetPretest {
        stationary: s.any_stationary(PRETEST_ALPHA),
        adf_p: s.adf_p(),
        pp_p: s.pp_p(),
    };
    target.pretest.valid = Some(true);
    target.pretest.adf_p = Some(verdict.adf_p).filter(|p| p.is_finite());
    target.pretest.pp_p = Some(verdict.pp_p).filter(|p| p.is_finite());
    target.pretest.stationary = Some(verdict.stationary);
    target.pretest.kept = false;
    target.pretest.exclusion = Some("the target is never a regressor".into());

    catalogue.columns[1..]
        .par_iter_mut()
        .for_each_init(UnitRootWork::default, |work, c| {
            let p = &mut c.pretest;
            let x = gather(&c.values);
            if c.role == FeatureRole::Base {
                // A regime's source column: read by workers, never a regressor.
                p.valid = Some(x.iter().all(|v| v.is_finite()));
                p.kept = false;
                p.exclusion = Some("regime source column: never a regressor".into());
                return;
            }
            if c.role == FeatureRole::Dummy {
                // Dummies are deterministic indicators: no unit-root question to ask.
                p.valid = Some(x.iter().all(|v| v.is_finite()));
                p.kept = p.valid == Some(true);
                if !p.kept {
                    p.exclusion = Some("invalid: missing on in-sample dates".into());
                }
                return;
            }
            if let Some(bad) = x.iter().position(|v| !v.is_finite()) {
                p.valid = Some(false);
                p.kept = false;
                p.exclusion = Some(invalid_reason(
                    &c.values,
                    c.lag,
                    c.period,
                    c.transform.is_some_and(|t| t.uses_window()),
                    rows,
                    bad,
                    dates,
                ));
                return;
            }
            p.valid = Some(true);
            let (lo, hi) = x
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            if lo == hi {
                p.kept = false;
                p.exclusion = Some(format!(
                    "constant ({lo}) on every in-sample date: it would only duplicate the intercept"
                ));
                return;
            }
            let s = stationarity_with(&x, work);
            if s.adf_p().is_nan() && s.pp_p().is_nan() {
                p.kept = false;
                p.exclusion = Some(format!(
                    "the unit-root tests cannot be computed on it (in-sample values from {lo:e} to \
                     {hi:e}{}): nothing to judge its stationarity by",
                    if lo.abs().max(hi.abs()) > 1e100 {
                        ", too large for the arithmetic"
                    } else {
                        ""
                    }
                ));
                return;
            }
            p.adf_p = Some(s.adf_p()).filter(|v| v.is_finite());
            p.pp_p = Some(s.pp_p()).filter(|v| v.is_finite());
            let stationary = s.any_stationary(PRETEST_ALPHA);
            p.stationary = Some(stationary);
            p.kept = stationary == verdict.stationary;
            if !p.kept {
                let ps = format!("ADF p = {}, PP p = {}", fmt_p(s.adf_p()), fmt_p(s.pp_p()));
                p.exclusion = Some(if verdict.stationary {
                    format!("non-stationary ({ps}) while the target is stationary")
                } else {
                    format!("stationary ({ps}) while the target is non-stationary")
                });
            }
        });
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(n: usize) -> Vec<chrono::NaiveDate> {
        let start = chrono::NaiveDate::from_ymd_opt(2000, 1, 31).unwrap();
        (0..n)
            .map(|i| start + chrono::Days::new(31 * i as u64))
            .collect()
    }

    #[test]
    fn every_invalid_reason_names_its_cause() {
        let d = dates(8);
        // Values only from row 3 on, the sample from row 1: not enough history.
        let late = [f64::NAN, f64::NAN, f64::NAN, 1.0, 2.0, 3.0, 4.0, 5.0];
        let rows: Vec<usize> = (1..8).collect();
        let r = invalid_reason(&late, 1, 2, false, &rows, 0, &d);
        assert!(
            r.contains("lag 1 and period 2 need 3 earlier row(s)"),
            "{r}"
        );
        assert_eq!(
            exclusion_kind(&r),
            "not enough history before sample.in_start"
        );
        // A gap inside the sample.
        let gap = [1.0, 2.0, 3.0, f64::NAN, 5.0, 6.0, 7.0, 8.0];
        let r = invalid_reason(&gap, 0, 1, false, &rows, 2, &d);
        assert!(r.contains("ffill = true"), "{r}");
        assert_eq!(
            exclusion_kind(&r),
            "missing values in the sample (a gap in the data)"
        );
        let inf = [1.0, f64::INFINITY, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let all: Vec<usize> = (0..8).collect();
        let r = invalid_reason(&inf, 0, 1, false, &all, 1, &d);
        assert_eq!(exclusion_kind(&r), "infinite values in the sample");
        assert_eq!(
            exclusion_kind(
                "non-stationary (ADF p = 0.9, PP p = 0.8) while the target is stationary"
            ),
            "non-stationary, while the target is stationary"
        );
        assert_eq!(
            exclusion_kind(
                "stationary (ADF p = 0.01, PP p = 0.02) while the target is non-stationary"
            ),
            "stationary, while the target is non-stationary"
        );
        assert_eq!(exclusion_kind("something new: details"), "something new");
    }
}
