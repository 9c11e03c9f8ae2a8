//! The report's summary statistics (`stats::summary`) against statsmodels' `OLSResults`
//! (fixtures from `tests/golden/gen_report_stats.py`): F and Prob(F) with each covariance,
//! log-likelihood, AIC, BIC, degrees of freedom, confidence intervals at two levels, the
//! covariance matrix, condition number, and skew, kurtosis and omnibus of the residuals.
//!
//! Tolerance: 1e-8 relative with an absolute floor of 1e-10 (as the other statistics goldens).

use serde_json::Value;
use specsearch_core::stats::covariance::CovType;
use specsearch_core::stats::summary::summarize;

const REPORT: &str = include_str!("../golden/stats/report.json");

fn close(what: &str, got: f64, want: f64, failures: &mut Vec<String>) {
    let err = (got - want).abs();
    // NaN fails too: `within` is false for it.
    let within = err <= 1e-8 * want.abs().max(got.abs()) + 1e-10;
    if !within {
        failures.push(format!("{what}: got {got:.17e}, statsmodels {want:.17e}"));
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn summary_statistics_match_statsmodels() {
    let doc: Value = serde_json::from_str(REPORT).unwrap();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (name, case) in doc["cases"].as_object().unwrap() {
        let y = floats(&case["y"]);
        let xs: Vec<Vec<f64>> = case["x"].as_array().unwrap().iter().map(floats).collect();
        let cols: Vec<&[f64]> = xs.iter().map(Vec::as_slice).collect();
        for (cov_name, cov_type) in [
            ("nonrobust", CovType::NonRobust),
            ("HC1", CovType::HC1),
            ("HAC", CovType::HAC),
        ] {
            let want = &case["expected"][cov_name];
            for (alpha, key) in [(0.05, "conf_int_05"), (0.10, "conf_int_10")] {
                let s = summarize(&y, &cols, cov_type, alpha).unwrap();
                let mut check = |what: &str, got: f64, w: &Value| {
                    compared += 1;
                    close(
                        &format!("{name}/{cov_name}/{what}"),
                        got,
                        w.as_f64().unwrap(),
                        &mut failures,
                    );
                };
                check("fvalue", s.f_stat.unwrap(), &want["fvalue"]);
                check("f_pvalue", s.f_pvalue.unwrap(), &want["f_pvalue"]);
                check("llf", s.llf, &want["llf"]);
                check("aic", s.aic, &want["aic"]);
                check("bic", s.bic, &want["bic"]);
                check("df_resid", s.df_resid as f64, &want["df_resid"]);
                check("df_model", s.df_model as f64, &want["df_model"]);
                check(
                    "condition_number",
                    s.condition_number,
                    &want["condition_number"],
                );
                check("skew", s.resid_skew, &want["skew"]);
                check("kurtosis", s.resid_kurtosis, &want["kurtosis"]);
                check("omnibus", s.omnibus.unwrap(), &want["omnibus"]);
                check(
                    "omnibus_pvalue",
                    s.omnibus_pvalue.unwrap(),
                    &want["omnibus_pvalue"],
                );
                for (i, b) in want["params"].as_array().unwrap().iter().enumerate() {
                    check(&format!("params[{i}]"), s.params[i], b);
                    check(&format!("bse[{i}]"), s.bse[i], &want["bse"][i]);
                }
                for (i, ci) in want[key].as_array().unwrap().iter().enumerate() {
                    check(&format!("{key}[{i}].lower"), s.conf_int[i][0], &ci[0]);
                    check(&format!("{key}[{i}].upper"), s.conf_int[i][1], &ci[1]);
                }
                let p = s.params.len();
                for (i, row) in want["cov"].as_array().unwrap().iter().enumerate() {
                    for (j, v) in row.as_array().unwrap().iter().enumerate() {
                        check(&format!("cov[{i}][{j}]"), s.cov[i * p + j], v);
                    }
                }
                assert_eq!(
                    s.hac_lags,
                    (cov_type == CovType::HAC).then(|| case["hac_lags"].as_u64().unwrap() as usize)
                );
            }
        }
    }
    assert!(compared > 300, "only {compared} values compared");
    assert!(
        failures.is_empty(),
        "{} of {compared} values differ from statsmodels:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
