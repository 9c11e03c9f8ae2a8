//! Golden tests of §11 and §12 (docs/semantics.md): walk-forward trials, recursive
//! coefficients, break tests and dynamic backtests against statsmodels / scipy / pandas values
//! from `tests/golden/gen_stability.py` (inputs and expected values in one JSON file).
//!
//! Tolerance: 1e-10 relative, with an absolute floor of 1e-12 for values that are zero up to
//! rounding; the points of a CUSUM path to 1e-10 of the path's largest value (the OLS-residual
//! CUSUM ends at Σe = 0, which no two implementations round alike). Critical values are
//! checked against the published tables in `stats::stability`'s unit tests, not here.

use serde_json::Value;
use specsearch_core::assess::{
    ColumnData, CovType, FilterTest, FilterThresholds, Status, TargetData,
};
use specsearch_core::backtest::{self, BacktestInput};
use specsearch_core::projection::{LevelLink, QuarterOf};
use specsearch_core::stats::{ols, stability};
use specsearch_core::walk_forward;

const GOLDEN: &str = include_str!("../golden/stats/stability.json");

const REL: f64 = 1e-10;
const ABS: f64 = 1e-12;

struct Checker {
    count: usize,
    worst: f64,
    failures: Vec<String>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            count: 0,
            worst: 0.0,
            failures: Vec::new(),
        }
    }

    fn close(&mut self, what: &str, got: f64, want: &Value) {
        self.count += 1;
        let want = fnum(want);
        let ok = if want.is_nan() {
            got.is_nan()
        } else {
            let err = (got - want).abs();
            let scale = got.abs().max(want.abs());
            if scale > 1e-6 {
                self.worst = self.worst.max(err / scale);
            }
            err <= REL * scale + ABS
        };
        if !ok {
            self.failures
                .push(format!("{what}: got {got:.17e}, want {want:.17e}"));
        }
    }

    fn vec(&mut self, what: &str, got: &[f64], want: &Value) {
        let w = want.as_array().expect("array");
        if got.len() != w.len() {
            self.failures
                .push(format!("{what}: length {} vs {}", got.len(), w.len()));
            return;
        }
        for (i, (g, v)) in got.iter().zip(w).enumerate() {
            self.close(&format!("{what}[{i}]"), *g, v);
        }
    }

    /// A path that crosses zero (a CUSUM): each point to 1e-10 of the path's largest value,
    /// since a point that is zero up to rounding has no relative precision.
    fn path(&mut self, what: &str, got: &[f64], want: &Value) {
        let w = fvec(want);
        let scale = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if got.len() != w.len() {
            self.failures
                .push(format!("{what}: length {} vs {}", got.len(), w.len()));
            return;
        }
        for (i, (g, v)) in got.iter().zip(&w).enumerate() {
            self.count += 1;
            if (g - v).abs() > REL * scale {
                self.failures.push(format!(
                    "{what}[{i}]: got {g:.17e}, want {v:.17e} (scale {scale:.3e})"
                ));
            }
        }
    }

    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, got: T, want: T) {
        self.count += 1;
        if got != want {
            self.failures
                .push(format!("{what}: got {got:?}, want {want:?}"));
        }
    }

    fn finish(self, label: &str) {
        println!(
            "{label}: {} comparisons, worst relative error {:.2e}",
            self.count, self.worst
        );
        assert!(self.count > 100, "{label}: only {} comparisons", self.count);
        assert!(
            self.failures.is_empty(),
            "{label}: {} mismatches:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

fn fnum(v: &Value) -> f64 {
    match v {
        Value::Null => f64::NAN,
        v => v.as_f64().expect("number"),
    }
}

fn fvec(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(fnum).collect()
}

fn golden() -> Value {
    serde_json::from_str(GOLDEN).expect("stability.json")
}

struct Model {
    name: String,
    y: Vec<f64>,
    names: Vec<String>,
    cols: Vec<Vec<f64>>,
    signs: Vec<i8>,
    dummies: Vec<bool>,
    groups: Vec<Option<u32>>,
    target_stationary: bool,
    case: Value,
}

fn models() -> Vec<Model> {
    golden()["stability"]
        .as_array()
        .expect("stability cases")
        .iter()
        .map(|c| {
            let cols = c["columns"].as_array().expect("columns");
            Model {
                name: c["name"].as_str().unwrap().to_string(),
                y: fvec(&c["y"]),
                names: cols
                    .iter()
                    .map(|x| x["name"].as_str().unwrap().to_string())
                    .collect(),
                cols: cols.iter().map(|x| fvec(&x["values"])).collect(),
                signs: cols
                    .iter()
                    .map(|x| x["sign"].as_i64().unwrap() as i8)
                    .collect(),
                dummies: cols
                    .iter()
                    .map(|x| x["is_dummy"].as_bool().unwrap())
                    .collect(),
                groups: cols
                    .iter()
                    .map(|x| x["group"].as_u64().map(|g| g as u32))
                    .collect(),
                target_stationary: c["target_stationary"].as_bool().unwrap(),
                case: c.clone(),
            }
        })
        .collect()
}

fn cov_name(c: CovType) -> &'static str {
    c.as_str()
}

#[test]
fn golden_walk_forward_trials() {
    let mut ck = Checker::new();
    for m in models() {
        let columns: Vec<ColumnData<'_>> = (0..m.cols.len())
            .map(|j| ColumnData {
                name: &m.names[j],
                in_sample: &m.cols[j],
                out_of_sample: &[],
                expected_sign: m.signs[j],
                is_dummy: m.dummies[j],
                dummy_group: m.groups[j],
                unit_root: None,
            })
            .collect();
        let target = TargetData {
            name: "y",
            in_sample: &m.y,
            out_of_sample: &[],
            stationary: m.target_stationary,
        };
        let cuts: Vec<usize> = m.case["cuts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap() as usize)
            .collect();
        let trials =
            walk_forward::walk_forward(&target, &columns, &FilterThresholds::default(), &cuts)
                .expect("walk forward");
        let want = m.case["trials"].as_array().unwrap();
        ck.eq(&format!("{}: trials", m.name), trials.len(), want.len());
        for (t, w) in trials.iter().zip(want) {
            let what = format!("{}.{}", m.name, t.label);
            ck.eq(
                &format!("{what}.label"),
                t.label.as_str(),
                w["label"].as_str().unwrap(),
            );
            ck.eq(
                &format!("{what}.cut"),
                t.cut as u64,
                w["cut"].as_u64().unwrap(),
            );
            ck.eq(&format!("{what}.rows"), t.rows, m.y.len() - t.cut);
            if w["skipped"].as_bool() == Some(true) {
                ck.eq(&format!("{what}: skipped"), t.outcome.is_none(), true);
                ck.eq(&format!("{what}: note"), t.note.is_some(), true);
                continue;
            }
            let e = &w["expected"];
            let o = t.outcome.as_ref().expect("outcome");
            let outcome = &e["outcome"];
            let cov = outcome["cov_type"].as_str().unwrap();
            ck.eq(
                &format!("{what}.cov_type"),
                o.cov_type.map(cov_name),
                Some(cov),
            );
            let status = if o.status == Status::Passed {
                "passed"
            } else {
                "filtered"
            };
            ck.eq(
                &format!("{what}.status"),
                status,
                outcome["status"].as_str().unwrap(),
            );
            ck.eq(
                &format!("{what}.failed_test"),
                o.failed_test.map(FilterTest::as_str),
                outcome["failed_test"].as_str(),
            );
            ck.eq(
                &format!("{what}.nobs"),
                o.nobs as u64,
                e["nobs"].as_u64().unwrap(),
            );
            ck.vec(&format!("{what}.params"), &o.params, &e["params"]);
            ck.vec(&format!("{what}.bse"), &o.bse, &e["cov"][cov]["bse"]);
            ck.vec(
                &format!("{what}.pvalues"),
                &o.pvalues,
                &e["cov"][cov]["pvalues"],
            );
            ck.close(&format!("{what}.r2"), o.r2.unwrap(), &e["r2"]);
            ck.close(&format!("{what}.adj_r2"), o.adj_r2.unwrap(), &e["adj_r2"]);
            ck.close(
                &format!("{what}.rmse_in"),
                o.is_rmse.unwrap(),
                &e["is"]["rmse"],
            );
            if t.cut == 0 {
                ck.eq(&format!("{what}: no pseudo-OOS"), o.oos_rmse, None);
                ck.eq(
                    &format!("{what}.pct_change"),
                    t.pct_change.iter().all(|c| *c == Some(0.0)),
                    true,
                );
            } else {
                ck.eq(&format!("{what}.nobs_oos"), o.nobs_oos, t.cut);
                ck.close(
                    &format!("{what}.rmse_oos"),
                    o.oos_rmse.unwrap(),
                    &e["oos"]["rmse"],
                );
                ck.close(
                    &format!("{what}.mae_oos"),
                    o.oos_mae.unwrap(),
                    &e["oos"]["mae"],
                );
                ck.close(
                    &format!("{what}.max_abs_oos"),
                    o.oos_max_abs_error.unwrap(),
                    &e["oos"]["max_abs"],
                );
                let pct: Vec<f64> = t.pct_change.iter().map(|c| c.unwrap_or(f64::NAN)).collect();
                ck.vec(&format!("{what}.pct_change"), &pct, &e["pct_change"]);
            }
        }
    }
    ck.finish("walk-forward");
}

#[test]
fn golden_recursive_coefficients_and_break_tests() {
    let mut ck = Checker::new();
    for m in models() {
        let name = &m.name;
        let cols: Vec<&[f64]> = m.cols.iter().map(|c| c.as_slice()).collect();
        let p = cols.len() + 1;
        let min_window = m.case["min_window"].as_u64().unwrap() as usize;
        let start = stability::recursive_start(p, min_window);
        let rec = &m.case["recursive"];
        if rec.is_null() {
            ck.eq(&format!("{name}: no window"), start > m.y.len(), true);
        } else {
            ck.eq(
                &format!("{name}.n0"),
                start as u64,
                rec["n0"].as_u64().unwrap(),
            );
            let r = stability::recursive_coefficients(&m.y, &cols, start).expect("recursive");
            let windows = rec["params"].as_array().unwrap();
            ck.eq(&format!("{name}: windows"), r.params.len(), windows.len());
            for (i, w) in windows.iter().enumerate() {
                ck.vec(&format!("{name}.rec[{i}].params"), &r.params[i], w);
                ck.vec(&format!("{name}.rec[{i}].bse"), &r.bse[i], &rec["bse"][i]);
            }
        }

        let b = &m.case["breaks"];
        let fit = ols::fit(&m.y, &cols, None).expect("fit");
        let c = stability::cusum_ols(&fit.resid, p).expect("cusum");
        let w = &b["cusum_ols"];
        ck.close(&format!("{name}.cusum.stat"), c.statistic, &w["statistic"]);
        ck.close(&format!("{name}.cusum.p"), c.p_value, &w["p_value"]);
        ck.eq(
            &format!("{name}.cusum.argmax"),
            c.argmax as u64,
            w["argmax"].as_u64().unwrap(),
        );
        ck.path(&format!("{name}.cusum.path"), &c.path, &w["path"]);

        let r = stability::recursive_cusum(&m.y, &cols).expect("recursive cusum");
        let w = &b["recursive_cusum"];
        ck.eq(&format!("{name}.rcusum.first"), r.first, p);
        ck.vec(
            &format!("{name}.rcusum.w"),
            &r.residuals,
            &w["scaled_residuals"],
        );
        ck.close(&format!("{name}.rcusum.sigma"), r.sigma, &w["sigma"]);
        ck.path(&format!("{name}.rcusum.path"), &r.path, &w["path"]);
        // statsmodels' boundary starts one point earlier (at r = p) and stops one short.
        let sm_upper = fvec(&w["upper"]);
        ck.vec(
            &format!("{name}.rcusum.upper"),
            &r.upper[..r.upper.len() - 1],
            &Value::from(sm_upper[1..].to_vec()),
        );
        let last = 3.0 * stability::BDE_CRITICAL_5PCT * ((m.y.len() - p) as f64).sqrt();
        ck.close(
            &format!("{name}.rcusum.upper[T]"),
            *r.upper.last().unwrap(),
            &Value::from(last),
        );
        ck.close(&format!("{name}.rcusum.stat"), r.statistic, &w["statistic"]);
        ck.eq(
            &format!("{name}.rcusum.argmax"),
            r.argmax as u64,
            w["argmax"].as_u64().unwrap(),
        );
        ck.close(&format!("{name}.rcusum.p"), r.p_value, &w["p_value"]);
        ck.eq(
            &format!("{name}.rcusum.crosses"),
            r.crosses(),
            w["crosses"].as_bool().unwrap(),
        );

        let h = stability::hansen(&fit.resid, &cols).expect("hansen");
        ck.close(
            &format!("{name}.hansen"),
            h.statistic,
            &b["hansen"]["statistic"],
        );
        ck.eq(
            &format!("{name}.hansen.parameters"),
            h.parameters as u64,
            b["hansen"]["parameters"].as_u64().unwrap(),
        );
        ck.eq(
            &format!("{name}.hansen.critical"),
            h.critical_value,
            Some(stability::HANSEN_CRITICAL_5PCT[h.parameters - 1]),
        );

        for w in b["chow"].as_array().unwrap() {
            let row = w["row"].as_u64().unwrap() as usize;
            let c = stability::chow(&m.y, &cols, row).expect("chow");
            ck.close(&format!("{name}.chow@{row}"), c.statistic, &w["statistic"]);
            ck.close(&format!("{name}.chow@{row}.p"), c.p_value, &w["p_value"]);
            ck.eq(
                &format!("{name}.chow@{row}.df"),
                (c.df_num as u64, c.df_denom as u64),
                (
                    w["df_num"].as_u64().unwrap(),
                    w["df_denom"].as_u64().unwrap(),
                ),
            );
        }
    }
    ck.finish("recursive and break tests");
}

#[test]
fn golden_backtests() {
    let mut ck = Checker::new();
    for c in golden()["backtests"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let levels = fvec(&c["levels"]);
        let fitted = fvec(&c["fitted"]);
        let period = c["period"].as_u64().unwrap() as usize;
        let link = match c["link"].as_str().unwrap() {
            "LV" => LevelLink::Level,
            "DF" => LevelLink::Difference { period },
            "GR" => LevelLink::Growth { period },
            other => panic!("link {other}"),
        };
        let monthly = c["frequency"].as_str() == Some("M");
        let input = BacktestInput {
            levels: &levels,
            fitted: &fitted,
            link,
            lead: c["lead"].as_u64().unwrap() as usize,
            rows_per_quarter: if monthly { 3 } else { 1 },
            quarter_of: match c["aggregation"].as_str().unwrap() {
                "mean" => QuarterOf::Mean,
                "sum" => QuarterOf::Sum,
                _ => QuarterOf::End,
            },
            quarters: c["quarters"].as_u64().unwrap() as usize,
            last_row: c["full_end_row"].as_u64().unwrap() as usize,
        };
        let in_end = c["in_end_row"].as_u64().unwrap() as usize;
        // The default jump-offs: the candidates whose horizon has actuals.
        let paths: Vec<_> = c["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| backtest::project_from(&input, r.as_u64().unwrap() as usize).ok())
            .collect();
        let want = c["paths"].as_array().unwrap();
        ck.eq(&format!("{name}: jump-offs"), paths.len(), want.len());
        for (p, w) in paths.iter().zip(want) {
            let what = format!("{name}@{}", w["jump_off"].as_str().unwrap());
            ck.eq(
                &format!("{what}.row"),
                p.row as u64,
                w["row"].as_u64().unwrap(),
            );
            ck.eq(
                &format!("{what}.in_sample"),
                p.row <= in_end,
                w["in_sample"].as_bool().unwrap(),
            );
            ck.close(&format!("{what}.p0"), p.p0, &w["p0"]);
            ck.vec(&format!("{what}.levels"), &p.levels, &w["monthly"]);
            ck.vec(&format!("{what}.predicted"), &p.predicted, &w["predicted"]);
            ck.vec(&format!("{what}.actual"), &p.actual, &w["actual"]);
            ck.vec(&format!("{what}.pct_error"), &p.pct_error, &w["pct_error"]);
            ck.close(
                &format!("{what}.pred_change"),
                p.predicted_change,
                &w["predicted_change"],
            );
            ck.close(
                &format!("{what}.actual_change"),
                p.actual_change,
                &w["actual_change"],
            );
        }
        let summary = &c["summary"];
        for (label, chosen) in [
            ("all", paths.iter().collect::<Vec<_>>()),
            (
                "in_sample",
                paths.iter().filter(|p| p.row <= in_end).collect(),
            ),
            (
                "out_of_sample",
                paths.iter().filter(|p| p.row > in_end).collect(),
            ),
        ] {
            let w = &summary[label];
            let got = backtest::summarize(chosen.iter().copied());
            if w.is_null() {
                ck.eq(&format!("{name}.{label}: none"), got.is_none(), true);
                continue;
            }
            let s = got.expect("summary");
            let what = format!("{name}.{label}");
            ck.eq(
                &format!("{what}.count"),
                s.jump_offs as u64,
                w["jump_offs"].as_u64().unwrap(),
            );
            ck.vec(
                &format!("{what}.by_step"),
                &s.mean_abs_pct_error,
                &w["mean_abs_pct_error"],
            );
            let worst_row = chosen[s.worst].row;
            let worst_date = want
                .iter()
                .find(|p| p["row"].as_u64() == Some(worst_row as u64))
                .and_then(|p| p["jump_off"].as_str());
            ck.eq(
                &format!("{what}.worst"),
                worst_date,
                w["worst_jump_off"].as_str(),
            );
            ck.close(
                &format!("{what}.worst_mape"),
                s.worst_mean_abs_pct_error,
                &w["worst_mean_abs_pct_error"],
            );
            ck.close(
                &format!("{what}.hit_rate"),
                s.sign_hit_rate,
                &w["sign_hit_rate"],
            );
        }
    }
    ck.finish("backtests");
}
