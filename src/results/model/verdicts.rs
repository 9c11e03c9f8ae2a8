//! The report's Tests table: every filter and diagnostic of the outcome, judged with the run's
//! own thresholds. A filter that does not apply to the model says "not applicable (why)", one
//! the spec never reached (it failed earlier) "not reached", a statistic nobody computed "not
//! computed (why)": never "pass".

use super::ModelReport;
use crate::assess::FilterTest;
use crate::journal::OutcomeStatus;
use crate::results::table::Table;

const PASS: &str = "pass";
const FAIL: &str = "FAIL";

impl ModelReport {
    /// The verdict of filter `f` when the spec failed at an earlier filter.
    fn not_reached(&self, f: FilterTest) -> Option<String> {
        match self.failed_test {
            Some(failed) if f > failed => {
                Some(format!("not reached (failed at {})", failed.name()))
            }
            _ => None,
        }
    }

    /// `pass` / `FAIL` from a judgement, overridden by "not reached" and by the journal's own
    /// decision for the filter the spec failed at.
    fn judged(&self, f: FilterTest, ok: bool) -> String {
        if let Some(v) = self.not_reached(f) {
            return v;
        }
        if self.failed_test == Some(f) {
            return FAIL.into();
        }
        if ok || self.status == OutcomeStatus::Passed {
            PASS.into()
        } else {
            FAIL.into()
        }
    }

    /// Every filter and diagnostic: statistic, p-value, rule and verdict.
    pub fn tests(&self) -> Table {
        let mut t = Table::new(&["test", "statistic", "p_value", "rule", "verdict"]);
        let Some(o) = &self.outcome else { return t };
        let th = &self.thresholds;
        let mut add = |name: &str, stat: Option<f64>, p: Option<f64>, rule: String, v: String| {
            t.push(vec![
                name.into(),
                stat.into(),
                p.into(),
                rule.into(),
                v.into(),
            ]);
        };
        add(
            "1 In-Sample R-sq",
            o.r2,
            None,
            format!("R² ≥ {}", th.min_r2),
            self.judged(FilterTest::InSampleR2, o.r2.is_some_and(|r| r >= th.min_r2)),
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
        let any_tested = (1..o.params.len()).any(|i| {
            self.param_feature(i - 1)
                .is_none_or(|f| !self.in_full_set(f))
        });
        let verdict = match self.not_reached(FilterTest::CoefficientSignificance) {
            Some(v) => v,
            None if !any_tested => {
                "not applicable (every coefficient is in a full dummy set, tested jointly)".into()
            }
            None => self.judged(
                FilterTest::CoefficientSignificance,
                max_p.is_some_and(|p| p < th.coef_alpha),
            ),
        };
        add(
            "2 Coefficient Significance",
            None,
            max_p,
            format!("every p < {} (largest shown)", th.coef_alpha),
            verdict,
        );
        if o.group_f.is_empty() {
            add(
                "3 Group Driver F-Test",
                None,
                None,
                "per full dummy set: joint p < threshold".into(),
                self.not_reached(FilterTest::GroupFTest)
                    .unwrap_or_else(|| "not applicable (the model has no full dummy set)".into()),
            );
        }
        for g in &o.group_f {
            add(
                &format!("3 Group Driver F-Test (set {}, q={})", g.group, g.df_num),
                Some(g.stat),
                Some(g.pvalue),
                format!("p < {}", th.group_f_alpha),
                self.judged(FilterTest::GroupFTest, g.pvalue < th.group_f_alpha),
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
            self.judged(
                FilterTest::Multicollinearity,
                max_vif.is_some_and(|v| v <= th.max_vif),
            ),
        );
        let a = th.resid_stationarity_alpha;
        let st = |p: Option<f64>| p.is_some_and(|p| p < a);
        let adf_name = match o.resid_adf_lag {
            Some(l) => format!("5 Residual ADF (lag {l})"),
            None => "5 Residual ADF".into(),
        };
        let unit_root_verdict = |p: Option<f64>| -> String {
            if let Some(v) = self.not_reached(FilterTest::ResidualStationarity) {
                v
            } else if p.is_none() {
                "not computed".into()
            } else if st(p) {
                "stationary".into()
            } else {
                "unit root not rejected".into()
            }
        };
        add(
            &adf_name,
            o.resid_adf_stat,
            o.resid_adf_pvalue,
            format!("ADF or PP p < {a}"),
            unit_root_verdict(o.resid_adf_pvalue),
        );
        add(
            "5 Residual Phillips-Perron",
            o.resid_pp_stat,
            o.resid_pp_pvalue,
            format!("ADF or PP p < {a}"),
            unit_root_verdict(o.resid_pp_pvalue),
        );
        add(
            "5 Residual Stationarity",
            None,
            None,
            "at least one of ADF, PP".into(),
            self.judged(
                FilterTest::ResidualStationarity,
                st(o.resid_adf_pvalue) || st(o.resid_pp_pvalue),
            ),
        );
        let ca = th.cointegration_alpha;
        let coint = if let Some(v) = self.not_reached(FilterTest::Cointegration) {
            v
        } else if self.target_stationary {
            "not applicable (the target is stationary)".into()
        } else {
            let residuals = o.resid_adf_pvalue.is_some_and(|p| p < ca)
                && o.resid_pp_pvalue.is_some_and(|p| p < ca);
            self.judged(FilterTest::Cointegration, residuals)
        };
        add(
            "6 Y-X Cointegration",
            None,
            None,
            format!(
                "non-stationary targets: X non-stationary, residuals stationary by ADF and PP \
                 (p < {ca})"
            ),
            coint,
        );
        let signed: Vec<bool> = (0..o.params.len().saturating_sub(1))
            .filter_map(|k| {
                let b = o.params[k + 1];
                self.param_feature(k)?
                    .expected_sign
                    .map(|s| (b > 0.0 && s > 0) || (b < 0.0 && s < 0))
            })
            .collect();
        let sign = if let Some(v) = self.not_reached(FilterTest::SignCheck) {
            v
        } else if signed.is_empty() && self.definitions_from == "journal" {
            "not judged here (expected signs are in features.duckdb, which is missing or \
             another bundle)"
                .into()
        } else if signed.is_empty() {
            "not applicable (no feature has an expected sign)".into()
        } else {
            self.judged(FilterTest::SignCheck, signed.iter().all(|&ok| ok))
        };
        add(
            "7 Sign Check",
            None,
            None,
            format!("{} feature(s) with an expected sign", signed.len()),
            sign,
        );
        for d in crate::assess::diagnostics(o, th) {
            let verdict = if d.stat.is_none() && d.pvalue.is_none() {
                let hac = o.cov_type == Some(crate::assess::CovType::HAC);
                match d.name {
                    "White" | "Breusch-Pagan (Koenker)" if hac => {
                        "not computed (the residuals are \
                        autocorrelated, so HAC was chosen before heteroskedasticity was tested; \
                        the model's data are not at hand to compute it)"
                            .to_string()
                    }
                    "White" => "not computed (Breusch-Pagan accepted, so the covariance choice \
                                did not need it; the model's data are not at hand to compute it)"
                        .to_string(),
                    _ => "not computed".to_string(),
                }
            } else {
                d.verdict.to_string()
            };
            add(d.name, d.stat, d.pvalue, d.rule, verdict);
        }
        let hac = self
            .summary
            .as_ref()
            .and_then(|s| s.hac_lags)
            .map(|l| format!(" ({l} lags)"))
            .unwrap_or_default();
        add(
            "Covariance",
            None,
            None,
            "HAC if DW out of range and BG rejects; else HC1 if BP and White reject".into(),
            o.cov_type
                .map_or("-".to_string(), |c| format!("{}{hac}", c.as_str())),
        );
        t
    }
}
