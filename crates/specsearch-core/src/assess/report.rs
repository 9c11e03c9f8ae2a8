//! The verdicts of an [`Outcome`]'s reported diagnostics, shared by every report of a model
//! (`show`, `show-model`, `report` lay them out in `specsearch::results::model`).

use super::{FilterThresholds, Outcome};

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
