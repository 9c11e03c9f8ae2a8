//! Plain-text rendering of an [`Outcome`] for the `show-model` command: coefficient table,
//! covariance type, each test with statistic, p-value and verdict, and fit metrics.

use super::{FilterTest, FilterThresholds, Outcome, Status};
use std::fmt::Write;

fn num(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v.is_nan() => "NaN".into(),
        Some(v) if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-4) => format!("{v:.4e}"),
        Some(v) => format!("{v:.6}"),
    }
}

fn pval(x: Option<f64>) -> String {
    match x {
        Some(v) if v < 1e-4 && v > 0.0 => format!("{v:.2e}"),
        Some(v) if !v.is_nan() => format!("{v:.4}"),
        other => num(other),
    }
}

/// Normality tests (Jarque–Bera, Cramér–von Mises) are reported, never filtered on: they are
/// labelled at this conventional level.
pub const NORMALITY_ALPHA: f64 = 0.05;

/// One reported diagnostic of an outcome with its verdict under the search's thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub name: &'static str,
    pub stat: Option<f64>,
    pub pvalue: Option<f64>,
    /// The rule the verdict applies, e.g. `autocorrelation if p ≤ 0.1`.
    pub rule: String,
    pub verdict: &'static str,
}

/// The diagnostics behind the covariance choice and the normality checks (Durbin–Watson,
/// Breusch–Godfrey, Breusch–Pagan, White, Jarque–Bera, Cramér–von Mises), judged with `th`.
/// Shared by `show-model` and the journal's `show`, so both label a model the same way.
pub fn diagnostics(o: &Outcome, th: &FilterThresholds) -> Vec<Diagnostic> {
    let rejects = |p: Option<f64>, a: f64| p.is_some_and(|p| p <= a);
    let dw_ok =
        o.dw.is_some_and(|d| (th.dw_lower..=th.dw_upper).contains(&d));
    let mut out = vec![
        Diagnostic {
            name: "Durbin-Watson",
            stat: o.dw,
            pvalue: None,
            rule: format!("in [{}, {}]", th.dw_lower, th.dw_upper),
            verdict: if dw_ok { "in range" } else { "out of range" },
        },
        Diagnostic {
            name: "Breusch-Godfrey(1)",
            stat: o.bg_stat,
            pvalue: o.bg_pvalue,
            rule: format!("autocorrelation if p ≤ {}", th.bg_alpha),
            verdict: if rejects(o.bg_pvalue, th.bg_alpha) {
                "autocorrelation"
            } else {
                "no autocorrelation"
            },
        },
    ];
    for (name, stat, pvalue) in [
        ("Breusch-Pagan (Koenker)", o.bp_stat, o.bp_pvalue),
        ("White", o.white_stat, o.white_pvalue),
    ] {
        out.push(Diagnostic {
            name,
            stat,
            pvalue,
            rule: format!("heteroscedastic if p ≤ {}", th.het_alpha),
            verdict: if rejects(pvalue, th.het_alpha) {
                "heteroscedastic"
            } else {
                "homoscedastic"
            },
        });
    }
    for (name, stat, pvalue) in [
        ("Jarque-Bera", o.jb_stat, o.jb_pvalue),
        ("Cramer-von Mises", o.cvm_stat, o.cvm_pvalue),
    ] {
        out.push(Diagnostic {
            name,
            stat,
            pvalue,
            rule: format!("non-normal if p ≤ {NORMALITY_ALPHA}"),
            verdict: if rejects(pvalue, NORMALITY_ALPHA) {
                "non-normal"
            } else {
                "normal"
            },
        });
    }
    out
}

/// Renders `outcome` as a multi-line report; `column_names` are the non-constant columns in
/// coefficient order (frozen ids, then extra columns). Verdicts use the default thresholds of
/// §5 except where the outcome records the decision itself (status, failed test, covariance);
/// [`render_text_with`] takes the search's own thresholds.
pub fn render_text(outcome: &Outcome, column_names: &[&str]) -> String {
    render_text_with(outcome, column_names, &FilterThresholds::default())
}

/// [`render_text`] with the thresholds the outcome was judged by (the config's `[filters]`).
pub fn render_text_with(outcome: &Outcome, column_names: &[&str], th: &FilterThresholds) -> String {
    let mut s = String::new();
    let o = outcome;
    let _ = writeln!(s, "Status: {}", o.status.code());
    if let Some(f) = o.failed_test {
        let _ = writeln!(s, "Failed test: {} ({})", f.name(), f.code());
    }
    if let Some(m) = &o.message {
        let _ = writeln!(s, "Message: {m}");
    }
    if o.status == Status::Error {
        return s;
    }
    let _ = writeln!(
        s,
        "Observations: {} in-sample, {} out-of-sample; rank {}",
        o.nobs, o.nobs_oos, o.rank
    );
    if let Some(c) = o.cov_type {
        let _ = writeln!(s, "Covariance: {c}");
    }
    if !o.params.is_empty() {
        let width = column_names
            .iter()
            .map(|c| c.chars().count())
            .chain(std::iter::once(9))
            .max()
            .unwrap_or(9);
        let _ = writeln!(
            s,
            "\n{:<width$}  {:>14}  {:>12}  {:>9}  {:>10}",
            "term", "coef", "std err", "t", "P>|t|"
        );
        for (i, b) in o.params.iter().enumerate() {
            let name = if i == 0 {
                "Intercept"
            } else {
                column_names.get(i - 1).copied().unwrap_or("?")
            };
            let se = o.bse.get(i).copied();
            let t = o.tvalues.get(i).copied();
            let p = o.pvalues.get(i).copied();
            let _ = writeln!(
                s,
                "{:<width$}  {:>14}  {:>12}  {:>9}  {:>10}",
                name,
                num(Some(*b)),
                num(se),
                t.map_or("-".into(), |v| format!("{v:.3}")),
                pval(p)
            );
        }
    }
    let _ = writeln!(s, "\nFit");
    let _ = writeln!(s, "  R-squared           {}", num(o.r2));
    let _ = writeln!(s, "  Adj. R-squared      {}", num(o.adj_r2));
    let _ = writeln!(
        s,
        "  In-sample  MAE {}  RMSE {}  max|e| {}",
        num(o.is_mae),
        num(o.is_rmse),
        num(o.is_max_abs_error)
    );
    if o.oos_mae.is_some() {
        let _ = writeln!(
            s,
            "  Out-sample MAE {}  RMSE {}  max|e| {}",
            num(o.oos_mae),
            num(o.oos_rmse),
            num(o.oos_max_abs_error)
        );
    }
    let _ = writeln!(s, "\nTests (statistic, p-value, verdict)");
    let mut line = |name: &str, stat: Option<f64>, p: Option<f64>, verdict: &str| {
        if stat.is_some() || p.is_some() {
            let _ = writeln!(
                s,
                "  {:<26} {:>12}  p={:<10} {}",
                name,
                num(stat),
                pval(p),
                verdict
            );
        }
    };
    for d in diagnostics(o, th) {
        line(d.name, d.stat, d.pvalue, d.verdict);
    }
    for g in &o.group_f {
        line(
            &format!("Group F (set {}, q={})", g.group, g.df_num),
            Some(g.stat),
            Some(g.pvalue),
            if g.pvalue < th.group_f_alpha {
                "significant"
            } else {
                "not significant"
            },
        );
    }
    let st = |p: Option<f64>| {
        if p.is_some_and(|p| p < th.resid_stationarity_alpha) {
            "stationary"
        } else {
            "unit root not rejected"
        }
    };
    let adf_name = match o.resid_adf_lag {
        Some(l) => format!("Residual ADF (lag {l})"),
        None => "Residual ADF".into(),
    };
    line(
        &adf_name,
        o.resid_adf_stat,
        o.resid_adf_pvalue,
        st(o.resid_adf_pvalue),
    );
    line(
        "Residual Phillips-Perron",
        o.resid_pp_stat,
        o.resid_pp_pvalue,
        st(o.resid_pp_pvalue),
    );
    if !o.vif.is_empty() {
        let _ = writeln!(s, "\nVIF (max {})", th.max_vif);
        for (i, v) in o.vif.iter().enumerate() {
            let name = column_names.get(i).copied().unwrap_or("?");
            let verdict = if *v <= th.max_vif { "ok" } else { "too high" };
            let _ = writeln!(s, "  {:<26} {:>12}  {}", name, num(Some(*v)), verdict);
        }
    }
    let _ = writeln!(s, "\nFilters");
    for f in FilterTest::ALL {
        let verdict = match (o.failed_test, o.status) {
            (Some(ff), _) if ff == f => "FAILED",
            (Some(ff), _) if f > ff => "not reached",
            (_, Status::Passed) | (Some(_), _) => "passed",
            _ => "-",
        };
        let _ = writeln!(s, "  {:<26} {}", f.name(), verdict);
    }
    s
}

#[cfg(test)]
mod diagnostics_tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_thresholds_at_their_boundaries() {
        let o = Outcome {
            dw: Some(1.2),
            bg_stat: Some(4.0),
            bg_pvalue: Some(0.10),
            bp_stat: Some(1.0),
            bp_pvalue: Some(0.051),
            white_pvalue: None,
            jb_pvalue: Some(0.05),
            ..Outcome::default()
        };
        let th = FilterThresholds::default();
        let d = diagnostics(&o, &th);
        let verdict = |name: &str| d.iter().find(|x| x.name == name).unwrap().verdict;
        assert_eq!(verdict("Durbin-Watson"), "out of range");
        assert_eq!(verdict("Breusch-Godfrey(1)"), "autocorrelation"); // p ≤ 0.10 rejects
        assert_eq!(verdict("Breusch-Pagan (Koenker)"), "homoscedastic"); // 0.051 > 0.05
        assert_eq!(verdict("White"), "homoscedastic"); // not computed: no rejection
        assert_eq!(verdict("Jarque-Bera"), "non-normal"); // p ≤ 0.05
        let strict = FilterThresholds {
            dw_lower: 1.0,
            ..th
        };
        assert_eq!(diagnostics(&o, &strict)[0].verdict, "in range");
    }
}
