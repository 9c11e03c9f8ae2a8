//! The report laid out: overview, model statistics, features, coefficients, residual
//! statistics, the covariance matrix, fit and scenario tables, and the whole report as text for people,
//! one JSON document, or one CSV table.

use super::{ModelReport, Origin, INTERCEPT};
use crate::results::table::CellText;
use crate::results::table::TableText;
use crate::results::table::{fmt_real, Cell, Table};

fn opt_i(v: Option<i64>) -> Cell {
    v.map_or(Cell::Null, Cell::Int)
}

fn opt_b(v: Option<bool>) -> Cell {
    v.map_or(Cell::Null, |b| {
        Cell::Text(if b { "yes" } else { "no" }.into())
    })
}

fn int(v: usize) -> Cell {
    Cell::Int(v as i64)
}

/// The title of the sensitivity table (`show`, the report) and what it shows.
pub const SENSITIVITY_TITLE: &str =
    "Sensitivity: % change of the level at P9 (P9/P0 − 1) under each shock";
pub const SENSITIVITY_NOTE: &str =
    "coefficient: β ± k·SE. driver: the feature (the transformed, lagged column,
not the raw MEV) ± k·σ, σ its in-sample standard deviation. unit: the SE or σ.
PH replaces P9 when the horizon is shorter; the first row is the scenario.";

/// The title of the attribution table and what it shows.
pub const ATTRIBUTION_TITLE: &str = "Attribution: effect of each feature on the level at P9";
pub const ATTRIBUTION_NOTE: &str =
    "The level at P9 (PH when shorter) with the feature held at its p0 value,
minus the scenario's: positive when the feature's path lowers the outcome.";

/// `95` for alpha 0.05, `90` for 0.1, `97.5` for 0.025.
pub fn confidence_percent(alpha: f64) -> String {
    fmt_real(100.0 * (1.0 - alpha))
}

impl ModelReport {
    /// A title line: which model of which run (or of which config, refitted).
    pub fn title(&self) -> String {
        let title = self.fit_title();
        match self.fit {
            super::FitChoice::In => title,
            super::FitChoice::Full => format!("{title} — full-sample refit"),
        }
    }

    fn fit_title(&self) -> String {
        let key = self
            .spec_key
            .as_deref()
            .map(|k| format!(", key {}", crate::results::benchmarks::short_key(k)))
            .unwrap_or_default();
        match (&self.origin, self.rank, self.score) {
            (Origin::Journal(run), _, _) if self.benchmark.is_some() => format!(
                "{} of run {}{key}",
                self.benchmark.as_deref().unwrap_or_default(),
                run.name
            ),
            (Origin::Journal(run), Some(r), Some(sc)) => format!(
                "Model rank {r} of run {} (spec {}{key}, score {})",
                run.name,
                self.spec_index.unwrap_or(0),
                fmt_real(sc)
            ),
            (Origin::Journal(run), _, _) => {
                let key = self
                    .spec_key
                    .as_deref()
                    .map(|k| format!(" (key {})", crate::results::benchmarks::short_key(k)))
                    .unwrap_or_default();
                format!(
                    "Spec {} of run {}{key}",
                    self.spec_index.unwrap_or(0),
                    run.name
                )
            }
            (Origin::Refit { config_path }, _, _) => match self.spec_index {
                Some(i) => format!("Spec {i} of {config_path}, fitted now"),
                None => format!("Model of {config_path}, fitted now"),
            },
        }
    }

    /// Key facts of the model, one (field, value) per row.
    pub fn overview(&self) -> Table {
        let mut t = Table::new(&["field", "value"]);
        let mut add = |k: &str, v: Cell| t.push(vec![k.into(), v]);
        match &self.origin {
            Origin::Journal(run) => add("run", format!("{} (id {})", run.name, run.run_id).into()),
            Origin::Refit { config_path } => {
                add("run", Cell::Null);
                add("config", config_path.as_str().into());
            }
        }
        add("target", self.target.as_str().into());
        add(
            "fit",
            match self.fit {
                super::FitChoice::In => "in-sample (the fit the filters judged)",
                super::FitChoice::Full => {
                    "full-sample refit (in-sample and out-of-sample rows; filters and ranking \
                     use the in-sample fit)"
                }
            }
            .into(),
        );
        add(
            "spec_index",
            self.spec_index.map_or(Cell::Null, |i| Cell::Int(i as i64)),
        );
        add("rank", opt_i(self.rank));
        add("score", self.score.into());
        add("status", self.status.as_str().into());
        add(
            "failed_test",
            self.failed_test.map(|f| f.name().to_string()).into(),
        );
        add("message", self.message.clone().into());
        if let Some(o) = &self.outcome {
            add(
                "covariance",
                o.cov_type.map(|c| c.as_str().to_string()).into(),
            );
            add(
                "hac_lags",
                self.summary
                    .as_ref()
                    .and_then(|s| s.hac_lags)
                    .map_or(Cell::Null, int),
            );
            add("nobs", int(o.nobs));
            add("nobs_oos", int(o.nobs_oos));
        } else {
            add("r2", self.r2.into());
        }
        if let Some(d) = self.data.as_ref().and_then(|d| d.sample_dates()) {
            add("in_sample_first", d.in_first.to_string().into());
            add("in_sample_last", d.in_last.to_string().into());
            add(
                "out_of_sample_first",
                d.oos.map(|(a, _)| a.to_string()).into(),
            );
            add(
                "out_of_sample_last",
                d.oos.map(|(_, b)| b.to_string()).into(),
            );
        }
        if let Some(outliers) = self.data.as_ref().map(|d| d.outlier_dates()) {
            if !outliers.is_empty() {
                let dates: Vec<String> = outliers.iter().map(|d| d.to_string()).collect();
                add(
                    "outliers",
                    format!("{} (left out of the fit)", dates.join(", ")).into(),
                );
            }
        }
        add("spec_key", self.spec_key.clone().into());
        t
    }

    /// The statistics of statsmodels' summary header and footer that are not tests of a filter:
    /// degrees of freedom, F, log-likelihood, information criteria, residual moments and the
    /// condition number. Empty without the model's data.
    pub fn model_statistics(&self) -> Table {
        let mut t = Table::new(&["statistic", "value", "note"]);
        let (Some(s), Some(o)) = (&self.summary, &self.outcome) else {
            return t;
        };
        let mut add = |k: &str, v: Cell, note: String| t.push(vec![k.into(), v, note.into()]);
        add("Df Residuals", int(s.df_resid), "n − parameters".into());
        add("Df Model", int(s.df_model), "slopes".into());
        add("R-squared", o.r2.into(), String::new());
        add("Adj. R-squared", o.adj_r2.into(), String::new());
        let cov = s.cov_type.as_str();
        add(
            "F-statistic",
            s.f_stat.into(),
            format!("every slope = 0, with the {cov} covariance"),
        );
        add(
            "Prob (F-statistic)",
            s.f_pvalue.into(),
            format!("F({}, {})", s.df_model, s.df_resid),
        );
        add("Log-Likelihood", s.llf.into(), "Gaussian".into());
        add("AIC", s.aic.into(), "−2·llf + 2·parameters".into());
        add("BIC", s.bic.into(), "−2·llf + ln(n)·parameters".into());
        add(
            "Residual variance",
            s.scale.into(),
            "SSR / Df Residuals".into(),
        );
        add("Omnibus", s.omnibus.into(), "D'Agostino–Pearson K²".into());
        add("Prob (Omnibus)", s.omnibus_pvalue.into(), "χ²(2)".into());
        add("Skew", s.resid_skew.into(), "of the residuals".into());
        add(
            "Kurtosis",
            s.resid_kurtosis.into(),
            "of the residuals (normal: 3)".into(),
        );
        add(
            "Cond. No.",
            s.condition_number.into(),
            "largest / smallest singular value of [1, X]".into(),
        );
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
            // A dummy has no period or lag (its columns are indicators of the date): blank,
            // not "0".
            let dummy = f.role.as_str() == "dummy";
            t.push(vec![
                f.name.as_str().into(),
                f.role.as_str().into(),
                f.base.as_str().into(),
                f.transform.clone().into(),
                if dummy { Cell::Null } else { opt_i(f.period) },
                if dummy { Cell::Null } else { opt_i(f.lag) },
                f.category.clone().into(),
                opt_i(f.expected_sign),
                f.adf_pvalue.into(),
                f.pp_pvalue.into(),
                opt_b(f.stationary),
            ]);
        }
        t
    }

    /// Coefficients with standard errors, t, p-values, confidence intervals, VIFs and
    /// per-coefficient verdicts.
    pub fn coefficients(&self) -> Table {
        let mut t = Table::new(&[
            "term",
            "coef",
            "std_err",
            "t",
            "p_value",
            "ci_lower",
            "ci_upper",
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
            let ci = self.summary.as_ref().and_then(|s| s.conf_int.get(i));
            let name = match self.param_names.get(i) {
                Some(n) => n.as_str(),
                None if i == 0 => INTERCEPT,
                None => f.map_or("?", |f| f.name.as_str()),
            };
            t.push(vec![
                name.into(),
                b.into(),
                o.bse.get(i).copied().into(),
                o.tvalues.get(i).copied().into(),
                p.into(),
                ci.map(|c| c[0]).into(),
                ci.map(|c| c[1]).into(),
                i.checked_sub(1).and_then(|k| o.vif.get(k)).copied().into(),
                opt_i(f.and_then(|f| f.expected_sign)),
                verdict.join(", ").into(),
            ]);
        }
        t
    }

    /// The coefficient covariance matrix (the model's covariance type), one row per term.
    pub fn covariance_table(&self) -> Table {
        let names: Vec<&str> = self.param_names.iter().map(String::as_str).collect();
        let mut columns = vec!["term"];
        columns.extend(&names);
        let mut t = Table::new(&columns);
        let Some(s) = &self.summary else { return t };
        let p = s.params.len();
        if names.len() != p {
            return t;
        }
        for (i, name) in names.iter().enumerate() {
            let mut row = vec![Cell::from(*name)];
            row.extend((0..p).map(|j| Cell::Real(s.cov[i * p + j])));
            t.push(row);
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

    /// One line under the title: target, observations, covariance, sample dates.
    pub fn subtitle(&self) -> String {
        let mut s = format!("target {}", self.target);
        let full = self.fit == super::FitChoice::Full;
        if let Some(o) = &self.outcome {
            if full {
                s.push_str(&format!(
                    ", {} observations (in-sample and out-of-sample), covariance {}",
                    o.nobs,
                    o.cov_type.map_or("-", |c| c.as_str())
                ));
            } else {
                s.push_str(&format!(
                    ", {} in-sample / {} out-of-sample observations, covariance {}",
                    o.nobs,
                    o.nobs_oos,
                    o.cov_type.map_or("-", |c| c.as_str())
                ));
            }
            if let Some(l) = self.summary.as_ref().and_then(|s| s.hac_lags) {
                s.push_str(&format!(" ({l} lags)"));
            }
        }
        if let Some(d) = self
            .data
            .as_ref()
            .and_then(|d| d.sample_dates())
            .filter(|_| full)
        {
            s.push_str(&format!("\nfull sample {} – {}", d.in_first, d.in_last));
        } else if let Some(d) = self.data.as_ref().and_then(|d| d.sample_dates()) {
            s.push_str(&format!("\nin-sample {} – {}", d.in_first, d.in_last));
            match d.oos {
                Some((a, b)) => s.push_str(&format!(", out-of-sample {a} – {b}")),
                None => s.push_str(", no out-of-sample window"),
            }
        }
        if let Some(outliers) = self.data.as_ref().map(|d| d.outlier_dates()) {
            if !outliers.is_empty() {
                let dates: Vec<String> = outliers.iter().map(|d| d.to_string()).collect();
                s.push_str(&format!(
                    "\noutliers {} (left out of every fit and test)",
                    dates.join(", ")
                ));
            }
        }
        if full {
            s.push_str("\nfull-sample refit: filters and ranking use the in-sample fit");
        }
        s
    }

    /// The report for people; `with_cov` adds the covariance matrix.
    pub fn render(&self, with_cov: bool) -> String {
        let mut s = String::new();
        s.push_str(&self.title());
        s.push('\n');
        s.push_str(&self.subtitle());
        s.push('\n');
        s.push_str(&format!("status {}", self.status.as_str()));
        if let Some(f) = &self.failed_test {
            s.push_str(&format!(", failed at {}", f.name()));
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
            if let (Origin::Journal(run), Some(i)) = (&self.origin, self.spec_index) {
                s.push_str(&format!(
                    "\nThe journal keeps full statistics for passed models only; recompute this \
                     spec's with `specsearch show-model {} --spec {i}`.\n",
                    run.config_path
                ));
            }
            return s;
        }
        section(
            &mut s,
            &format!(
                "Coefficients ({}% confidence intervals)",
                confidence_percent(self.alpha)
            ),
            &self.coefficients(),
        );
        if self.summary.is_some() {
            section(&mut s, "Model", &self.model_statistics());
        } else if let Some(note) = &self.data_note {
            s.push_str(&format!(
                "\nModel statistics (F, log-likelihood, AIC, BIC, intervals, residual moments, \
                 condition number) are not available: {note}\n"
            ));
        }
        section(&mut s, "Tests", &self.tests());
        section(&mut s, "Fit", &self.fit());
        if with_cov && self.summary.is_some() {
            section(
                &mut s,
                &format!(
                    "Covariance of the coefficients ({})",
                    self.summary.as_ref().map_or("", |x| x.cov_type.as_str())
                ),
                &self.covariance_table(),
            );
        }
        if let Some(t) = &self.scenarios {
            section(
                &mut s,
                "Scenario forecasts (levels at P0..P12, CAGR, 9Q change, % difference from the \
                 base at P9)",
                t,
            );
        }
        if let Some(t) = &self.sensitivity {
            // One column per scenario, each a fraction: shown as a percentage.
            let scenarios: Vec<&str> = t.columns.iter().skip(4).map(String::as_str).collect();
            s.push_str(&format!("\n{SENSITIVITY_TITLE}\n{SENSITIVITY_NOTE}\n"));
            s.push_str(&t.render_fractions(&scenarios));
        }
        if let Some(t) = &self.attribution {
            section(
                &mut s,
                &format!("{ATTRIBUTION_TITLE}\n{ATTRIBUTION_NOTE}"),
                t,
            );
        }
        if let Some(st) = &self.stability {
            s.push_str(&st.render());
        }
        s
    }

    /// One JSON document with every part, and the model's statistics as the object `detail`.
    pub fn to_json(&self, with_cov: bool) -> serde_json::Value {
        let overview: serde_json::Map<String, serde_json::Value> = self
            .overview()
            .rows
            .iter()
            .map(|r| (r[0].csv_text(), r[1].json()))
            .collect();
        let mut doc = serde_json::Value::Object(overview);
        if let Some(run) = self.run() {
            doc["run_id"] = run.run_id.0.into();
        }
        doc["alpha"] = self.alpha.into();
        doc["features"] = self.features_table().to_json();
        doc["coefficients"] = self.coefficients().to_json();
        doc["model"] = self.model_statistics().to_json();
        doc["tests"] = self.tests().to_json();
        doc["fit"] = self.fit().to_json();
        if with_cov && self.summary.is_some() {
            doc["covariance_matrix"] = self.covariance_table().to_json();
        }
        doc["data_note"] = self.data_note.clone().into();
        if let Some(t) = &self.scenarios {
            doc["scenarios"] = t.to_json();
        }
        if let Some(t) = &self.sensitivity {
            doc["sensitivity"] = t.to_json();
        }
        if let Some(t) = &self.attribution {
            doc["attribution"] = t.to_json();
        }
        if let Some(st) = &self.stability {
            for (name, t) in st.parts() {
                doc[name] = t.to_json();
            }
            doc["stability_notes"] = st.notes().into();
        }
        let mut detail = serde_json::to_value(&self.outcome).unwrap_or_default();
        if let Some(d) = detail.as_object_mut() {
            d.insert("param_names".into(), self.param_names.clone().into());
            if let Some(s) = &self.summary {
                d.insert(
                    "summary".into(),
                    serde_json::to_value(s).unwrap_or_default(),
                );
            }
        }
        doc["detail"] = detail;
        doc
    }

    /// Every part as one CSV table with a `section` column.
    pub fn csv_table(&self, with_cov: bool) -> Table {
        let cov = self.covariance_table();
        let mut parts = vec![
            ("model", self.overview()),
            ("statistic", self.model_statistics()),
            ("feature", self.features_table()),
            ("coefficient", self.coefficients()),
            ("test", self.tests()),
            ("fit", self.fit()),
        ];
        if with_cov && self.summary.is_some() {
            parts.push(("covariance", cov));
        }
        if let Some(t) = &self.scenarios {
            parts.push(("scenario", t.clone()));
        }
        if let Some(t) = &self.sensitivity {
            parts.push(("sensitivity", t.clone()));
        }
        if let Some(t) = &self.attribution {
            parts.push(("attribution", t.clone()));
        }
        if let Some(st) = &self.stability {
            parts.extend(st.parts());
        }
        let refs: Vec<(&str, &Table)> = parts.iter().map(|(n, t)| (*n, t)).collect();
        Table::sections(&refs)
    }
}
