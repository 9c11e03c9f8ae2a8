//! One model's full report for `specsearch show`: what the journal keeps about a spec (status,
//! failed test, features; for passed models the whole [`Outcome`] as JSON in `passed.detail`),
//! its features' definitions (from `features.duckdb` when it is the bundle the run used, else
//! decoded from the variant names in the journal), and the filters re-judged with the run's own
//! thresholds (parsed from the config text the run recorded).

use std::path::Path;

use anyhow::{anyhow, bail, Result};

use super::queries::{self, Ranking};
use super::table::{fmt_real, Cell, Table};
use super::Journal;
use crate::assess::{FilterThresholds, Outcome};
use crate::journal::runs::RunRow;

/// What a feature is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureDef {
    pub name: String,
    pub role: String,
    pub base: String,
    pub category: Option<String>,
    pub transform: Option<String>,
    pub period: Option<i64>,
    pub lag: Option<i64>,
    pub expected_sign: Option<i64>,
    pub full_dummy_set: Option<bool>,
    pub adf_pvalue: Option<f64>,
    pub pp_pvalue: Option<f64>,
    pub stationary: Option<bool>,
}

/// Everything `show` prints about one spec.
pub struct ModelReport {
    pub run: RunRow,
    pub spec_index: u64,
    pub rank: Option<i64>,
    pub score: Option<f64>,
    pub status: String,
    pub failed_test: Option<String>,
    pub message: Option<String>,
    pub r2: Option<f64>,
    pub spec_key: Option<String>,
    pub features: Vec<FeatureDef>,
    /// Where the definitions came from: "features.duckdb" or "journal".
    pub definitions_from: &'static str,
    pub outcome: Option<Outcome>,
    pub thresholds: FilterThresholds,
}

/// The spec index and score at `rank` (1-based) of a run's ranking.
pub fn spec_at_rank(
    j: &Journal,
    run: &RunRow,
    rank: usize,
    ranking: &Ranking,
) -> Result<(u64, f64)> {
    if rank == 0 {
        bail!("ranks start at 1");
    }
    let t = queries::passed_models(&j.conn, run.run_id, ranking, Some(rank), false)?;
    if t.rows.len() < rank {
        bail!(
            "run {} has {} ranked model{}; there is no rank {rank}",
            run.name,
            t.rows.len(),
            if t.rows.len() == 1 { "" } else { "s" }
        );
    }
    let last = t.rows.len() - 1;
    let spec = t.get(last, "spec_index").as_i64().unwrap_or(0) as u64;
    let score = t.get(last, "score").as_f64().unwrap_or(f64::NAN);
    Ok((spec, score))
}

/// Loads the report of `spec_index` in `run`.
pub fn load(
    j: &Journal,
    run: &RunRow,
    spec_index: u64,
    ranked: Option<(i64, f64)>,
) -> Result<ModelReport> {
    let row = Table::query(
        &j.conn,
        "SELECT s.status, s.failed_test, s.message, s.r2, p.spec_key, p.detail, \
         (SELECT rank FROM ranking r WHERE r.run_id = s.run_id AND r.spec_index = s.spec_index) \
            AS rank, \
         (SELECT score FROM ranking r WHERE r.run_id = s.run_id AND r.spec_index = s.spec_index) \
            AS score \
         FROM outcome_status s LEFT JOIN passed p USING (run_id, spec_index) \
         WHERE s.run_id = ?1 AND s.spec_index = ?2",
        rusqlite::params![run.run_id, spec_index as i64],
    )?;
    if row.rows.is_empty() {
        bail!(
            "spec {spec_index} has no outcome in run {} ({} of {} specs evaluated so far)",
            run.name,
            crate::journal::runs::counts(&j.conn, run.run_id)?.0,
            run.spec_count
        );
    }
    let text = |c: &str| row.get(0, c).as_str().map(str::to_string);
    let outcome = match text("detail") {
        Some(d) => Some(
            serde_json::from_str::<Outcome>(&d)
                .map_err(|e| anyhow!("passed.detail of spec {spec_index} does not parse: {e}"))?,
        ),
        None => None,
    };
    let (rank, score) = match ranked {
        Some((r, s)) => (Some(r), Some(s)),
        None => (row.get(0, "rank").as_i64(), row.get(0, "score").as_f64()),
    };
    let mut features = journal_features(j, run, spec_index)?;
    let definitions_from = if bundle_definitions(&j.workspace.features_duckdb(), run, &mut features)
    {
        "features.duckdb"
    } else {
        "journal"
    };
    let thresholds = j
        .run_config(run)
        .map(|c| c.file.filters)
        .unwrap_or_default();
    Ok(ModelReport {
        run: run.clone(),
        spec_index,
        rank,
        score,
        status: text("status").unwrap_or_default(),
        failed_test: text("failed_test"),
        message: text("message"),
        r2: row.get(0, "r2").as_f64(),
        spec_key: text("spec_key"),
        features,
        definitions_from,
        outcome,
        thresholds,
    })
}

fn journal_features(j: &Journal, run: &RunRow, spec_index: u64) -> Result<Vec<FeatureDef>> {
    let mut stmt = j.conn.prepare(
        "SELECT f.name, f.role, f.base, f.category FROM outcomes o, json_each(o.features) e \
         JOIN run_features f ON f.run_id = o.run_id AND f.feature_id = e.value \
         WHERE o.run_id = ?1 AND o.spec_index = ?2 ORDER BY e.key",
    )?;
    let rows = stmt.query_map(rusqlite::params![run.run_id, spec_index as i64], |r| {
        let (name, role, base): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let mut f = FeatureDef {
            category: r.get(3)?,
            ..FeatureDef::default()
        };
        if role == "variant" {
            if let Some((t, p, l)) = parse_variant(&name, &base) {
                f.transform = Some(t);
                f.period = Some(p);
                f.lag = Some(l);
            }
        }
        f.name = name;
        f.role = role;
        f.base = base;
        Ok(f)
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Decodes `BASE_[MM|QQ]TF[period][_L<lag>]` (see `features::variant_name`).
pub fn parse_variant(name: &str, base: &str) -> Option<(String, i64, i64)> {
    let rest = name.strip_prefix(base)?.strip_prefix('_')?;
    let (body, lag) = match rest.rsplit_once("_L") {
        Some((b, l)) if !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()) => {
            (b, l.parse().ok()?)
        }
        _ => (rest, 0),
    };
    let body = body
        .strip_prefix("MM")
        .or_else(|| body.strip_prefix("QQ"))
        .unwrap_or(body);
    let transform = body.get(..2)?;
    if !matches!(transform, "LV" | "DF" | "GR") {
        return None;
    }
    let digits = &body[2..];
    let period = if digits.is_empty() {
        1
    } else if digits.bytes().all(|c| c.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    let period = if transform == "LV" { 0 } else { period };
    Some((transform.to_string(), period, lag))
}

/// Fills definitions from the workspace's bundle when it is the one the run used; `false`
/// when it is missing, another bundle, or cannot be opened (e.g. being rewritten).
fn bundle_definitions(path: &Path, run: &RunRow, features: &mut [FeatureDef]) -> bool {
    let mut read = || -> duckdb::Result<bool> {
        let config = duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)?
            .threads(1)?;
        let conn = duckdb::Connection::open_with_flags(path, config)?;
        let hash: String = conn.query_row(
            "SELECT value FROM manifest WHERE key = 'bundle_sha256'",
            [],
            |r| r.get(0),
        )?;
        if hash != run.bundle_hash {
            return Ok(false);
        }
        let mut stmt = conn.prepare(
            "SELECT transform, period, lag, category, expected_sign, full_dummy_set, \
             adf_pvalue, pp_pvalue, stationary FROM catalogue WHERE name = ?",
        )?;
        for f in features.iter_mut() {
            let mut rows = stmt.query([&f.name])?;
            if let Some(r) = rows.next()? {
                f.transform = r.get(0)?;
                f.period = r.get::<_, Option<i32>>(1)?.map(i64::from);
                f.lag = r.get::<_, Option<i32>>(2)?.map(i64::from);
                f.category = r.get::<_, Option<String>>(3)?.or(f.category.take());
                f.expected_sign = r
                    .get::<_, Option<i32>>(4)?
                    .filter(|&s| s != 0)
                    .map(i64::from);
                f.full_dummy_set = r.get(5)?;
                f.adf_pvalue = r.get(6)?;
                f.pp_pvalue = r.get(7)?;
                f.stationary = r.get(8)?;
            }
        }
        Ok(true)
    };
    path.exists() && read().unwrap_or(false)
}

fn opt_i(v: Option<i64>) -> Cell {
    v.map_or(Cell::Null, Cell::Int)
}

fn opt_b(v: Option<bool>) -> Cell {
    v.map_or(Cell::Null, |b| {
        Cell::Text(if b { "yes" } else { "no" }.into())
    })
}

impl ModelReport {
    /// Key facts of the model, one (field, value) per row.
    pub fn overview(&self) -> Table {
        let mut t = Table::new(&["field", "value"]);
        let mut add = |k: &str, v: Cell| t.push(vec![k.into(), v]);
        add(
            "run",
            format!("{} (id {})", self.run.name, self.run.run_id).into(),
        );
        add("target", self.run.target.as_str().into());
        add("spec_index", Cell::Int(self.spec_index as i64));
        add("rank", opt_i(self.rank));
        add("score", self.score.into());
        add("status", self.status.as_str().into());
        add("failed_test", self.failed_test.clone().into());
        add("message", self.message.clone().into());
        if let Some(o) = &self.outcome {
            add(
                "covariance",
                o.cov_type.map(|c| c.as_str().to_string()).into(),
            );
            add("nobs", Cell::Int(o.nobs as i64));
            add("nobs_oos", Cell::Int(o.nobs_oos as i64));
        } else {
            add("r2", self.r2.into());
        }
        add("spec_key", self.spec_key.clone().into());
        t
    }

    /// The features' definitions.
    pub fn features_table(&self) -> Table {
        let mut t = Table::new(&[
            "feature",
            "role",
            "base",
            "transform",
            "period",
            "lag",
            "category",
            "expected_sign",
            "adf_pvalue",
            "pp_pvalue",
            "stationary",
        ]);
        for f in &self.features {
            t.push(vec![
                f.name.as_str().into(),
                f.role.as_str().into(),
                f.base.as_str().into(),
                f.transform.clone().into(),
                opt_i(f.period),
                opt_i(f.lag),
                f.category.clone().into(),
                opt_i(f.expected_sign),
                f.adf_pvalue.into(),
                f.pp_pvalue.into(),
                opt_b(f.stationary),
            ]);
        }
        t
    }

    /// The feature of non-constant coefficient `k`: coefficients list the frozen columns in
    /// spec order, then the composite columns a worker built (see `assess::Outcome`).
    pub fn param_feature(&self, k: usize) -> Option<&FeatureDef> {
        self.features
            .iter()
            .filter(|f| f.role != "composite")
            .chain(self.features.iter().filter(|f| f.role == "composite"))
            .nth(k)
    }

    fn in_full_set(&self, f: &FeatureDef) -> bool {
        let has_groups = self.outcome.as_ref().is_some_and(|o| !o.group_f.is_empty());
        f.role == "dummy" && f.full_dummy_set.unwrap_or(has_groups)
    }

    /// Coefficients with standard errors, t, p-values, VIFs and per-coefficient verdicts.
    pub fn coefficients(&self) -> Table {
        let mut t = Table::new(&[
            "term",
            "coef",
            "std_err",
            "t",
            "p_value",
            "vif",
            "expected_sign",
            "verdict",
        ]);
        let Some(o) = &self.outcome else { return t };
        let th = &self.thresholds;
        for (i, &b) in o.params.iter().enumerate() {
            let f = i.checked_sub(1).and_then(|k| self.param_feature(k));
            let p = o.pvalues.get(i).copied();
            let mut verdict = Vec::new();
            match f {
                None => {}
                Some(f) if self.in_full_set(f) => verdict.push("in joint F test".to_string()),
                Some(_) => verdict.push(match p {
                    Some(p) if p < th.coef_alpha => format!("significant (p < {})", th.coef_alpha),
                    Some(_) => format!("not significant (p ≥ {})", th.coef_alpha),
                    None => "-".into(),
                }),
            }
            if let Some(s) = f.and_then(|f| f.expected_sign) {
                verdict.push(if (b > 0.0 && s > 0) || (b < 0.0 && s < 0) {
                    "sign ok".into()
                } else {
                    "wrong sign".into()
                });
            }
            t.push(vec![
                f.map_or("Intercept", |f| f.name.as_str()).into(),
                b.into(),
                o.bse.get(i).copied().into(),
                o.tvalues.get(i).copied().into(),
                p.into(),
                i.checked_sub(1).and_then(|k| o.vif.get(k)).copied().into(),
                opt_i(f.and_then(|f| f.expected_sign)),
                verdict.join(", ").into(),
            ]);
        }
        t
    }

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
                if self.status == "passed" || both {
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
        let dw_ok =
            o.dw.is_some_and(|d| (th.dw_lower..=th.dw_upper).contains(&d));
        add(
            "Durbin-Watson",
            o.dw,
            None,
            format!("in [{}, {}]", th.dw_lower, th.dw_upper),
            if dw_ok { "in range" } else { "out of range" },
        );
        let rej = |p: Option<f64>, a: f64| p.is_some_and(|p| p <= a);
        add(
            "Breusch-Godfrey(1)",
            o.bg_stat,
            o.bg_pvalue,
            format!("autocorrelation if p ≤ {}", th.bg_alpha),
            if rej(o.bg_pvalue, th.bg_alpha) {
                "autocorrelation"
            } else {
                "no autocorrelation"
            },
        );
        for (name, s, p) in [
            ("Breusch-Pagan (Koenker)", o.bp_stat, o.bp_pvalue),
            ("White", o.white_stat, o.white_pvalue),
        ] {
            add(
                name,
                s,
                p,
                format!("heteroscedastic if p ≤ {}", th.het_alpha),
                if rej(p, th.het_alpha) {
                    "heteroscedastic"
                } else {
                    "homoscedastic"
                },
            );
        }
        for (name, s, p) in [
            ("Jarque-Bera", o.jb_stat, o.jb_pvalue),
            ("Cramer-von Mises", o.cvm_stat, o.cvm_pvalue),
        ] {
            add(
                name,
                s,
                p,
                "non-normal if p ≤ 0.05".into(),
                if rej(p, 0.05) { "non-normal" } else { "normal" },
            );
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

    /// In- and out-of-sample fit.
    pub fn fit(&self) -> Table {
        let mut t = Table::new(&["metric", "in_sample", "out_of_sample"]);
        let Some(o) = &self.outcome else { return t };
        let n = |v: usize| Cell::Int(v as i64);
        t.push(vec!["observations".into(), n(o.nobs), n(o.nobs_oos)]);
        t.push(vec!["R2".into(), o.r2.into(), Cell::Null]);
        t.push(vec!["adj R2".into(), o.adj_r2.into(), Cell::Null]);
        t.push(vec!["MAE".into(), o.is_mae.into(), o.oos_mae.into()]);
        t.push(vec!["RMSE".into(), o.is_rmse.into(), o.oos_rmse.into()]);
        t.push(vec![
            "max |error|".into(),
            o.is_max_abs_error.into(),
            o.oos_max_abs_error.into(),
        ]);
        t
    }

    /// The report for people.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let title = match (self.rank, self.score) {
            (Some(r), Some(sc)) => format!(
                "Model rank {r} of run {} (spec {}, score {})",
                self.run.name,
                self.spec_index,
                fmt_real(sc)
            ),
            _ => format!("Spec {} of run {}", self.spec_index, self.run.name),
        };
        s.push_str(&title);
        s.push('\n');
        s.push_str(&format!("target {}", self.run.target));
        match &self.outcome {
            Some(o) => s.push_str(&format!(
                ", {} in-sample / {} out-of-sample observations, covariance {}\n",
                o.nobs,
                o.nobs_oos,
                o.cov_type.map_or("-", |c| c.as_str())
            )),
            None => s.push('\n'),
        }
        s.push_str(&format!("status {}", self.status));
        if let Some(f) = &self.failed_test {
            s.push_str(&format!(", failed at {f}"));
        }
        if let Some(r2) = self.r2 {
            s.push_str(&format!(", R² {}", fmt_real(r2)));
        }
        s.push('\n');
        if let Some(m) = &self.message {
            s.push_str(&format!("message {m}\n"));
        }
        let section = |s: &mut String, title: &str, t: &Table| {
            s.push('\n');
            s.push_str(title);
            s.push('\n');
            s.push_str(&t.render());
        };
        section(
            &mut s,
            &format!("Features (definitions from {})", self.definitions_from),
            &self.features_table(),
        );
        if self.outcome.is_none() {
            s.push_str(&format!(
                "\nThe journal keeps full statistics for passed models only; recompute this \
                 spec's with `specsearch show-model {} --spec {}`.\n",
                self.run.config_path, self.spec_index
            ));
            return s;
        }
        section(&mut s, "Coefficients", &self.coefficients());
        section(&mut s, "Tests", &self.tests());
        section(&mut s, "Fit", &self.fit());
        s
    }

    /// One JSON document with every part, and the stored outcome as `detail`.
    pub fn to_json(&self) -> serde_json::Value {
        let overview: serde_json::Map<String, serde_json::Value> = self
            .overview()
            .rows
            .iter()
            .map(|r| (r[0].csv_text(), r[1].json()))
            .collect();
        let mut doc = serde_json::Value::Object(overview);
        doc["run_id"] = self.run.run_id.into();
        doc["features"] = self.features_table().to_json();
        doc["coefficients"] = self.coefficients().to_json();
        doc["tests"] = self.tests().to_json();
        doc["fit"] = self.fit().to_json();
        doc["detail"] = serde_json::to_value(&self.outcome).unwrap_or_default();
        doc
    }

    /// Every part as one CSV table with a `section` column.
    pub fn csv_table(&self) -> Table {
        Table::sections(&[
            ("model", &self.overview()),
            ("feature", &self.features_table()),
            ("coefficient", &self.coefficients()),
            ("test", &self.tests()),
            ("fit", &self.fit()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::parse_variant;

    #[test]
    fn variant_names_decode() {
        let p = |n: &str, b: &str| parse_variant(n, b);
        assert_eq!(p("unemp_LV", "unemp"), Some(("LV".into(), 0, 0)));
        assert_eq!(p("unemp_LV_L2", "unemp"), Some(("LV".into(), 0, 2)));
        assert_eq!(p("hpi_MMDF6_L1", "hpi"), Some(("DF".into(), 6, 1)));
        assert_eq!(p("gdp_QQGR", "gdp"), Some(("GR".into(), 1, 0)));
        assert_eq!(p("a_b_QQGR2_L3", "a_b"), Some(("GR".into(), 2, 3)));
        assert_eq!(p("x_MUL", "x"), None);
    }
}
