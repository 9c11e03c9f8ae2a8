//! Benchmarks and the incumbent in the journal (`migrations/0013_benchmarks.sql`, views in
//! `sql/benchmarks.sql`): their fits and scenario forecasts, models with the same fit, and the
//! inputs each run searched. Written at finish (and by `specsearch forecast`), replacing the
//! run's previous rows in one transaction; read by `top`, `show`, `report`, `export` and
//! `compare`.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use specsearch_core::assess::{FilterTest, Outcome};
use specsearch_core::projection::ModelForecast;

use crate::derive::Weights;
use crate::error::{JournalError, Result};
use crate::handle::{Journal, JournalRw};
use crate::records::PassedDetail;
use crate::rows::Table;
use crate::runs::RunId;
use crate::scenarios::{real, stat_columns, LevelPath};

crate::status::stored_words! {
    /// How a benchmark (or the incumbent) predicts: the stored `benchmarks.method`.
    BenchmarkMethod {
        /// ŷ = 0 for a difference or growth target; the last known level for a level target.
        NoChange = "no_change",
        /// The intercept alone: the in-sample mean of the target transform.
        Mean = "mean",
        /// The lagged target transform as the only regressor, projected recursively.
        Ar1 = "ar1",
        /// The search's forced items alone.
        ForcedOnly = "forced_only",
        /// The model of `[incumbent]`.
        Incumbent = "incumbent",
    }
}

impl BenchmarkMethod {
    /// The stored `kind`: `incumbent` for the incumbent, `benchmark` for the others.
    pub fn kind(self) -> &'static str {
        match self {
            BenchmarkMethod::Incumbent => "incumbent",
            _ => "benchmark",
        }
    }

    /// What it is, for people.
    pub fn describe(self) -> &'static str {
        match self {
            BenchmarkMethod::NoChange => "no change",
            BenchmarkMethod::Mean => "historical mean",
            BenchmarkMethod::Ar1 => "AR(1) of the target transform",
            BenchmarkMethod::ForcedOnly => "forced items only",
            BenchmarkMethod::Incumbent => "incumbent model",
        }
    }
}

/// One benchmark's (or the incumbent's) fit.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkFit {
    /// Unique in the run: the method's code (`forced_only#2` … for further variants).
    pub name: String,
    pub method: BenchmarkMethod,
    /// The regressors (intercept left out).
    pub features: Vec<String>,
    pub coefficients_given: bool,
    pub spec_key: Option<String>,
    /// Every statistic, and the coefficient names (intercept first).
    pub outcome: Outcome,
    pub param_names: Vec<String>,
    /// The incumbent judged by the run's filters (`None` for benchmarks).
    pub passes: Option<bool>,
    pub failed_test: Option<FilterTest>,
    /// Dates of the fit (in-sample, then out-of-sample) and the fitted / predicted values.
    pub dates: Vec<String>,
    pub fitted: Vec<f64>,
    pub note: Option<String>,
}

impl BenchmarkFit {
    pub fn kind(&self) -> &'static str {
        self.method.kind()
    }
}

/// The forecasts of the benchmarks, in the run's forecast set (after `write_forecast_set`).
pub struct BenchmarkForecasts<'a> {
    /// `M` or `Q`, as the forecast set.
    pub frequency: &'static str,
    /// Scenario names in the forecast set's display order (the order of each `paths`).
    pub scenarios: Vec<String>,
    /// The actual level at p0 (element 0 of each native path).
    pub p0_level: f64,
    /// (benchmark name, its forecast under every scenario).
    pub models: Vec<(&'a str, &'a ModelForecast)>,
}

/// What a run searched, recorded at finish (`run_inputs`).
#[derive(Debug, Clone, PartialEq)]
pub struct RunInputs {
    pub frequency: String,
    pub first_date: String,
    pub last_date: String,
    pub rows: u64,
    pub in_start: String,
    pub in_end: String,
    pub full_end: String,
    /// (path, sha256) of every input file.
    pub sources: Vec<(String, String)>,
}

fn json_values(values: &[f64]) -> String {
    let v: Vec<serde_json::Value> = values
        .iter()
        .map(|&x| real(x).map_or(serde_json::Value::Null, serde_json::Value::from))
        .collect();
    serde_json::Value::Array(v).to_string()
}

fn delete_run_rows(tx: &Connection, run_id: RunId) -> rusqlite::Result<()> {
    for table in [
        "benchmark_backtests",
        "benchmark_paths",
        "benchmark_stats",
        "benchmarks",
        "same_fits",
    ] {
        tx.execute(&format!("DELETE FROM {table} WHERE run_id = ?1"), [run_id])?;
    }
    Ok(())
}

fn write_fit(tx: &Connection, run_id: RunId, position: usize, f: &BenchmarkFit) -> Result<()> {
    let o = &f.outcome;
    let detail = PassedDetail {
        outcome: o.clone(),
        param_names: f.param_names.clone(),
    }
    .to_json();
    let dates = serde_json::to_string(&f.dates).expect("dates serialise");
    let features = serde_json::to_string(&f.features).expect("names serialise");
    tx.execute(
        "INSERT INTO benchmarks (run_id, name, kind, method, position, features, \
         coefficients_given, spec_key, nobs, nobs_oos, r2, adj_r2, is_max_abs, is_mae, is_rmse, \
         oos_max_abs, oos_mae, oos_rmse, cov_type, passes, failed_test, detail, dates, fitted, \
         note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
         ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
        params![
            run_id,
            f.name,
            f.kind(),
            f.method,
            position as i64,
            features,
            f.coefficients_given,
            f.spec_key,
            o.nobs as i64,
            o.nobs_oos as i64,
            o.r2.and_then(real),
            o.adj_r2.and_then(real),
            o.is_max_abs_error.and_then(real),
            o.is_mae.and_then(real),
            o.is_rmse.and_then(real),
            o.oos_max_abs_error.and_then(real),
            o.oos_mae.and_then(real),
            o.oos_rmse.and_then(real),
            o.cov_type.map(|c| c.as_str()),
            f.passes,
            f.failed_test.map(|t| t.code()),
            detail,
            dates,
            json_values(&f.fitted),
            f.note
        ],
    )?;
    Ok(())
}

fn write_forecasts(tx: &Connection, run_id: RunId, set: &BenchmarkForecasts<'_>) -> Result<()> {
    let mut path = tx.prepare(
        "INSERT INTO benchmark_paths (run_id, benchmark, scenario, frequency, transform_values, \
         levels) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut stat = tx.prepare(
        "INSERT INTO benchmark_stats (run_id, benchmark, scenario, p0_level, p4_level, \
         p9_level, p12_level, last_level, cagr_4q, cagr_9q, cagr_12q, change_9q, pct_change_9q, \
         pct_diff_base_9q, in_order) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
         ?13, ?14, ?15)",
    )?;
    for (name, forecast) in &set.models {
        for (scenario, p) in set.scenarios.iter().zip(&forecast.paths) {
            let transform: Vec<f64> = std::iter::once(f64::NAN)
                .chain(p.transform.iter().copied())
                .collect();
            let levels: Vec<f64> = std::iter::once(set.p0_level)
                .chain(p.levels.iter().copied())
                .collect();
            path.execute(params![
                run_id,
                name,
                scenario,
                set.frequency,
                json_values(&transform),
                json_values(&levels)
            ])?;
            if set.frequency == "M" {
                path.execute(params![
                    run_id,
                    name,
                    scenario,
                    "Q",
                    None::<String>,
                    json_values(&p.quarterly)
                ])?;
            }
            let stats = stat_columns(&p.stats, p.pct_diff_base);
            let mut args: Vec<&dyn rusqlite::ToSql> = vec![&run_id, name, scenario];
            args.extend(stats.iter().map(|v| v as &dyn rusqlite::ToSql));
            args.push(&forecast.in_order);
            stat.execute(&*args)?;
        }
    }
    Ok(())
}

/// A stored fit read back.
fn read_fit(row: &rusqlite::Row<'_>, run_id: RunId) -> Result<BenchmarkFit> {
    let name: String = row.get(0)?;
    let method: String = row.get(1)?;
    let method = BenchmarkMethod::parse(&method).ok_or_else(|| {
        JournalError::Invalid(format!(
            "benchmark {name} of run {run_id}: method {method:?}"
        ))
    })?;
    let features: Vec<String> = serde_json::from_str(row.get_ref(2)?.as_str()?)
        .map_err(|e| JournalError::Invalid(format!("benchmark {name}: features: {e}")))?;
    let detail = PassedDetail::parse(
        row.get_ref(6)?.as_str()?,
        &format!("benchmark {name} of run {run_id}"),
    )?;
    let dates: Vec<String> = serde_json::from_str(row.get_ref(7)?.as_str()?)
        .map_err(|e| JournalError::Invalid(format!("benchmark {name}: dates: {e}")))?;
    let fitted: Vec<Option<f64>> = serde_json::from_str(row.get_ref(8)?.as_str()?)
        .map_err(|e| JournalError::Invalid(format!("benchmark {name}: fitted: {e}")))?;
    let failed: Option<u8> = row.get(5)?;
    Ok(BenchmarkFit {
        name,
        method,
        features,
        coefficients_given: row.get(3)?,
        spec_key: row.get(9)?,
        outcome: detail.outcome,
        param_names: detail.param_names,
        passes: row.get(4)?,
        failed_test: failed.and_then(FilterTest::from_code),
        dates,
        fitted: fitted.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
        note: row.get(10)?,
    })
}

/// The normalisation bounds of §7 over the run's deduplicated passed set, as `ranking.sql`
/// takes them: (lo, hi) of r2, adj_r2, is_max_abs, is_mae, is_rmse, oos_max_abs, oos_mae,
/// oos_rmse, and whether every model has out-of-sample metrics.
type Bounds = ([(f64, f64); 8], bool);

fn bounds(conn: &Connection, run_id: RunId) -> rusqlite::Result<Option<Bounds>> {
    conn.query_row(
        "WITH models AS (SELECT * FROM (SELECT p.*, row_number() OVER \
         (PARTITION BY p.spec_key ORDER BY p.spec_index) AS copy FROM passed p \
         WHERE p.run_id = ?1) WHERE copy = 1) \
         SELECT min(r2), max(r2), min(adj_r2), max(adj_r2), min(is_max_abs), max(is_max_abs), \
         min(is_mae), max(is_mae), min(is_rmse), max(is_rmse), min(oos_max_abs), \
         max(oos_max_abs), min(oos_mae), max(oos_mae), min(oos_rmse), max(oos_rmse), \
         count(*), count(oos_rmse) FROM models",
        [run_id],
        |r| {
            let n: i64 = r.get(16)?;
            if n == 0 {
                return Ok(None);
            }
            let mut b = [(f64::NAN, f64::NAN); 8];
            for (k, slot) in b.iter_mut().enumerate() {
                *slot = (
                    r.get::<_, Option<f64>>(2 * k)?.unwrap_or(f64::NAN),
                    r.get::<_, Option<f64>>(2 * k + 1)?.unwrap_or(f64::NAN),
                );
            }
            let with_oos: i64 = r.get(17)?;
            Ok(Some((b, with_oos == n)))
        },
    )
}

/// The §7 composite score a model with `outcome`'s metrics would get against the run's passed
/// set (normalised with the passed set's bounds, which it does not move; a value outside them
/// scores below 0 or above 1), and the rank it would take (1 + passed models scoring higher).
fn score_against(
    conn: &Connection,
    run_id: RunId,
    o: &Outcome,
    w: &Weights,
) -> rusqlite::Result<Option<(f64, i64)>> {
    let Some((b, has_oos)) = bounds(conn, run_id)? else {
        return Ok(None);
    };
    let nan = f64::NAN;
    let up = |v: Option<f64>, (lo, hi): (f64, f64)| {
        if hi > lo {
            (v.unwrap_or(nan) - lo) / (hi - lo)
        } else {
            0.5
        }
    };
    let down = |v: Option<f64>, (lo, hi): (f64, f64)| {
        if hi > lo {
            1.0 - (v.unwrap_or(nan) - lo) / (hi - lo)
        } else {
            0.5
        }
    };
    let fit = (up(o.r2, b[0]) + up(o.adj_r2, b[1])) / 2.0;
    let is = (down(o.is_max_abs_error, b[2]) + down(o.is_mae, b[3]) + down(o.is_rmse, b[4])) / 3.0;
    let oos =
        (down(o.oos_max_abs_error, b[5]) + down(o.oos_mae, b[6]) + down(o.oos_rmse, b[7])) / 3.0;
    let score = if has_oos {
        (w.fit * fit + w.in_sample * is + w.out_of_sample * oos)
            / (w.fit + w.in_sample + w.out_of_sample)
    } else {
        (w.fit * fit + w.in_sample * is) / (w.fit + w.in_sample)
    };
    if !score.is_finite() {
        return Ok(Some((score, 0)));
    }
    // The passed models' scores under the same weights, from the ranking SQL.
    let sql = format!(
        "SELECT count(*) FROM ({}) WHERE score > ?5",
        crate::derive::RANKING_SQL
    );
    let higher: i64 = conn.query_row(
        &sql,
        params![run_id, w.fit, w.in_sample, w.out_of_sample, score],
        |r| r.get(0),
    )?;
    Ok(Some((score, higher + 1)))
}

impl JournalRw {
    /// Replaces the run's benchmarks, incumbent, their forecasts (when the run has a forecast
    /// set) and its same-fit groups (`same_fits`: (spec index, lowest spec index of its group))
    /// in one transaction.
    pub fn write_benchmarks(
        &self,
        run_id: RunId,
        fits: &[BenchmarkFit],
        forecasts: Option<&BenchmarkForecasts<'_>>,
        same_fits: &[(u64, u64)],
    ) -> Result<()> {
        let write = || -> Result<()> {
            let tx = self.conn().unchecked_transaction()?;
            delete_run_rows(&tx, run_id)?;
            for (i, f) in fits.iter().enumerate() {
                write_fit(&tx, run_id, i, f)?;
            }
            if let Some(set) = forecasts {
                write_forecasts(&tx, run_id, set)?;
            }
            {
                let mut ins = tx.prepare(
                    "INSERT INTO same_fits (run_id, spec_index, same_as) VALUES (?1, ?2, ?3)",
                )?;
                for &(spec, same_as) in same_fits {
                    ins.execute(params![run_id, spec as i64, same_as as i64])?;
                }
            }
            tx.commit()?;
            Ok(())
        };
        write().map_err(|e| self.err(e))
    }

    /// Records (replacing) what the run searched.
    pub fn write_run_inputs(&self, run_id: RunId, inputs: &RunInputs) -> Result<()> {
        let sources: Vec<serde_json::Value> = inputs
            .sources
            .iter()
            .map(|(p, h)| serde_json::json!({ "path": p, "sha256": h }))
            .collect();
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO run_inputs (run_id, frequency, first_date, last_date, \
                 rows, in_start, in_end, full_end, sources) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
                 ?8, ?9)",
                params![
                    run_id,
                    inputs.frequency,
                    inputs.first_date,
                    inputs.last_date,
                    inputs.rows as i64,
                    inputs.in_start,
                    inputs.in_end,
                    inputs.full_end,
                    serde_json::Value::Array(sources).to_string()
                ],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

impl Journal {
    /// The run's benchmarks and incumbent, in display order (empty when the run has none: a
    /// run finished by an older specsearch, or a merge without its config).
    pub fn benchmarks(&self, run_id: RunId) -> Result<Vec<BenchmarkFit>> {
        let read = || -> Result<Vec<BenchmarkFit>> {
            let mut stmt = self.conn().prepare(
                "SELECT name, method, features, coefficients_given, passes, failed_test, \
                 detail, dates, fitted, spec_key, note FROM benchmarks WHERE run_id = ?1 \
                 ORDER BY position",
            )?;
            let mut rows = stmt.query([run_id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(read_fit(row, run_id)?);
            }
            Ok(out)
        };
        read().map_err(|e| self.err(e))
    }

    /// The benchmark (not the incumbent) with the lowest out-of-sample RMSE: its name and RMSE.
    pub fn best_benchmark(&self, run_id: RunId) -> Result<Option<(String, f64)>> {
        self.conn()
            .query_row(
                "SELECT name, oos_rmse FROM benchmarks WHERE run_id = ?1 AND kind = 'benchmark' \
                 AND oos_rmse IS NOT NULL ORDER BY oos_rmse, position LIMIT 1",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The scenario statistics of a benchmark, one row per scenario in display order (the
    /// columns of `scenario_stats` from `scenario` on).
    pub fn benchmark_stats(&self, run_id: RunId, name: &str) -> Result<Table> {
        Table::query(
            self.conn(),
            "SELECT s.scenario, s.p0_level, s.p4_level, s.p9_level, s.p12_level, s.last_level, \
             s.cagr_4q, s.cagr_9q, s.cagr_12q, s.change_9q, s.pct_change_9q, \
             s.pct_diff_base_9q, CASE s.in_order WHEN 1 THEN 'yes' WHEN 0 THEN 'no' END AS \
             in_order FROM benchmark_stats s JOIN scenarios c ON c.run_id = s.run_id AND \
             c.name = s.scenario WHERE s.run_id = ?1 AND s.benchmark = ?2 ORDER BY c.position",
            params![run_id, name],
        )
        .map_err(|e| self.err(e))
    }

    /// A benchmark's level path per scenario at the search's frequency (p0 first).
    pub fn benchmark_paths(&self, run_id: RunId, name: &str) -> Result<Vec<LevelPath>> {
        let read = || -> Result<Vec<LevelPath>> {
            let mut stmt = self.conn().prepare(
                "SELECT f.scenario, f.date, f.level FROM benchmark_forecasts f \
                 JOIN scenarios c ON c.run_id = f.run_id AND c.name = f.scenario \
                 JOIN runs r ON r.run_id = f.run_id \
                 WHERE f.run_id = ?1 AND f.benchmark = ?2 AND f.frequency = r.frequency \
                 ORDER BY c.position, f.step",
            )?;
            let mut out: Vec<LevelPath> = Vec::new();
            let mut rows = stmt.query(params![run_id, name])?;
            while let Some(r) = rows.next()? {
                let scenario: String = r.get(0)?;
                if out.last().is_none_or(|(s, _)| *s != scenario) {
                    out.push((scenario, Vec::new()));
                }
                let level: Option<f64> = r.get(2)?;
                let last = out.last_mut().expect("pushed above");
                last.1.push((r.get(1)?, level.unwrap_or(f64::NAN)));
            }
            Ok(out)
        };
        read().map_err(|e| self.err(e))
    }

    /// Models of the run with the same fit as another: spec index → the lowest spec index of
    /// its group.
    pub fn same_fits(&self, run_id: RunId) -> Result<HashMap<u64, u64>> {
        let read = || -> rusqlite::Result<HashMap<u64, u64>> {
            let mut stmt = self
                .conn()
                .prepare("SELECT spec_index, same_as FROM same_fits WHERE run_id = ?1")?;
            let rows = stmt.query_map([run_id], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })?;
            rows.collect()
        };
        read().map_err(|e| self.err(e))
    }

    /// What the run searched, when its finish recorded it.
    pub fn run_inputs(&self, run_id: RunId) -> Result<Option<RunInputs>> {
        let read = || -> Result<Option<RunInputs>> {
            let row = self
                .conn()
                .query_row(
                    "SELECT frequency, first_date, last_date, rows, in_start, in_end, full_end, \
                     sources FROM run_inputs WHERE run_id = ?1",
                    [run_id],
                    |r| {
                        Ok((
                            RunInputs {
                                frequency: r.get(0)?,
                                first_date: r.get(1)?,
                                last_date: r.get(2)?,
                                rows: r.get::<_, i64>(3)? as u64,
                                in_start: r.get(4)?,
                                in_end: r.get(5)?,
                                full_end: r.get(6)?,
                                sources: Vec::new(),
                            },
                            r.get::<_, String>(7)?,
                        ))
                    },
                )
                .optional()?;
            let Some((mut inputs, sources)) = row else {
                return Ok(None);
            };
            let list: Vec<serde_json::Value> = serde_json::from_str(&sources)
                .map_err(|e| JournalError::Invalid(format!("run_inputs.sources: {e}")))?;
            inputs.sources = list
                .iter()
                .map(|v| {
                    (
                        v["path"].as_str().unwrap_or_default().to_string(),
                        v["sha256"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            Ok(Some(inputs))
        };
        read().map_err(|e| self.err(e))
    }

    /// The §7 score the incumbent (or any benchmark) `fit` would get against the run's passed
    /// set with `weights`, and the rank it would take; `None` when nothing passed.
    pub fn score_against_passed(
        &self,
        run_id: RunId,
        fit: &BenchmarkFit,
        weights: &Weights,
    ) -> Result<Option<(f64, i64)>> {
        score_against(self.conn(), run_id, &fit.outcome, weights).map_err(|e| self.err(e))
    }
}
