//! The report laid out: overview, features, coefficients and fit tables, and the whole report
//! as text for people, one JSON document, or one CSV table.

use super::ModelReport;
use crate::results::table::{fmt_real, Cell, Table};

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
        s.push_str(&format!("status {}", self.status.as_str()));
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
