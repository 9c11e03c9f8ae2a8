//! The report's Tests table: every filter and diagnostic of the outcome, re-judged with the
//! run's own thresholds.

use super::ModelReport;
use crate::results::table::Table;

impl ModelReport {
    /// Every filter and diagnostic: statistic, p-value, rule and verdict.
    pub fn tests(&self) -> Table {
        let mut t = Table::new(&["test", "statistic", "p_value", "rule", "verdict"]);
        let Some(o) = &self.outcome else { return t };
        let th = &self.thresholds;
        let mut add = |name: &str, stat: Option<f64>, p: Option<f64>, rule: String, v: &str| {
            // A diagnostic the covariance choice did not need (e.g. White when BP accepts).
            let diagnostic =
                !name.starts_with(|c: char| c.is_ascii_digit()) && name != "Covariance";
            let v = if diagnostic && stat.is_none() && p.is_none() {
                "not computed (not needed)"
            } else {
                v
            };
            t.push(vec![
                name.into(),
                stat.into(),
                p.into(),
                rule.into(),
                v.into(),
            ]);
        };
        let pass = |ok: bool| if ok { "pass" } else { "FAIL" };
        add(
            "1 In-Sample R-sq",
            o.r2,
            None,
            format!("R² ≥ {}", th.min_r2),
            pass(o.r2.is_some_and(|r| r >= th.min_r2)),
        );
        let tested: Vec<f64> = (1..o.params.len())
            .filter(|&i| {
                self.param_feature(i - 1)
                    .is_none_or(|f| !self.in_full_set(f))
            })
            .filter_map(|i| o.pvalues.get(i).copied())
            .collect();
        let max_p = tested
            .iter()
            .copied()
            .fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.max(p))));
        add(
            "2 Coefficient Significance",
            None,
            max_p,
            format!("every p < {} (largest shown)", th.coef_alpha),
            pass(max_p.is_none_or(|p| p < th.coef_alpha)),
        );
        if o.group_f.is_empty() {
            add(
                "3 Group Driver F-Test",
                None,
                None,
                "no full dummy set".into(),
                "n/a",
            );
        }
        for g in &o.group_f {
            add(
                &format!("3 Group Driver F-Test (set {}, q={})", g.group, g.df_num),
                Some(g.stat),
                Some(g.pvalue),
                format!("p < {}", th.group_f_alpha),
                pass(g.pvalue < th.group_f_alpha),
            );
        }
        let max_vif = o
            .vif
            .iter()
            .copied()
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        add(
            "4 Multicollinearity (max VIF)",
            max_vif,
            None,
            format!("every VIF ≤ {}", th.max_vif),
            pass(max_vif.is_none_or(|v| v <= th.max_vif)),
        );
        let a = th.resid_stationarity_alpha;
        let st = |p: Option<f64>| p.is_some_and(|p| p < a);
        let adf_name = match o.resid_adf_lag {
            Some(l) => format!("5 Residual ADF (lag {l})"),
            None => "5 Residual ADF".into(),
        };
        let either = st(o.resid_adf_pvalue) || st(o.resid_pp_pvalue);
        let verdict = |p: Option<f64>| {
            if st(p) {
                "stationary"
            } else {
                "unit root not rejected"
            }
        };
        add(
            &adf_name,
            o.resid_adf_stat,
            o.resid_adf_pvalue,
            format!("ADF or PP p < {a}"),
            verdict(o.resid_adf_pvalue),
        );
        add(
            "5 Residual Phillips-Perron",
            o.resid_pp_stat,
            o.resid_pp_pvalue,
            format!("ADF or PP p < {a}"),
            verdict(o.resid_pp_pvalue),
        );
        add(
            "5 Residual Stationarity",
            None,
            None,
            "at least one of ADF, PP".into(),
            pass(either),
        );
        if self.run.target_stationary {
            add(
                "6 Y-X Cointegration",
                None,
                None,
                "non-stationary targets only".into(),
                "n/a (stationary target)",
            );
        } else {
            let ca = th.cointegration_alpha;
            let both = o.resid_adf_pvalue.is_some_and(|p| p < ca)
                && o.resid_pp_pvalue.is_some_and(|p| p < ca);
            add(
                "6 Y-X Cointegration",
                None,
                None,
                format!("X non-stationary, residuals stationary by ADF and PP (p < {ca})"),
                if self.status == crate::journal::OutcomeStatus::Passed || both {
                    "pass"
                } else {
                    "FAIL"
                },
            );
        }
        let signed: Vec<bool> = (0..o.params.len().saturating_sub(1))
            .filter_map(|k| {
                let b = o.params[k + 1];
                self.param_feature(k)?
                    .expected_sign
                    .map(|s| (b > 0.0 && s > 0) || (b < 0.0 && s < 0))
            })
            .collect();
        add(
            "7 Sign Check",
            None,
            None,
            format!("{} feature(s) with an expected sign", signed.len()),
            if signed.is_empty() && self.definitions_from == "journal" {
                "pass (signs not in the journal)"
            } else {
                pass(signed.iter().all(|&ok| ok))
            },
        );
        for d in crate::assess::diagnostics(o, th) {
            add(d.name, d.stat, d.pvalue, d.rule, d.verdict);
        }
        add(
            "Covariance",
            None,
            None,
            "HAC if DW out of range and BG rejects; else HC1 if BP and White reject".into(),
            o.cov_type.map_or("-", |c| c.as_str()),
        );
        t
    }
}
