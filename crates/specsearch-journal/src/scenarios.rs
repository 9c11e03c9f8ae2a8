//! Scenario forecasts in the journal (`migrations/0005_scenarios.sql`, view in
//! `sql/scenarios.sql`): reading the coefficients of the passed models to forecast, writing a
//! forecast set (replacing the run's previous one in one transaction), the ordering exclusion
//! of `scenarios.require_order`, and the reads of `show`, `top`, `report` and `export`.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use specsearch_core::projection::ModelForecast;

use crate::error::{JournalError, Result};
use crate::records::DetailCoefficients;
use crate::rows::{stream_statement, Sink, Table};
use crate::runs::RunId;

/// A passed model to forecast: its coefficients as journaled.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCoefficients {
    pub spec_index: u64,
    pub rank: Option<i64>,
    /// Coefficient names, the intercept first.
    pub param_names: Vec<String>,
    pub params: Vec<f64>,
}

/// The ranked passed models of a run, best first (`limit` of them, or all), with their
/// coefficients from the journaled detail.
pub(crate) fn ranked_coefficients(
    conn: &Connection,
    run_id: RunId,
    limit: Option<usize>,
) -> Result<Vec<ModelCoefficients>> {
    let mut stmt = conn.prepare(
        "SELECT rank, spec_index, detail FROM passed_models WHERE run_id = ?1 ORDER BY rank \
         LIMIT ?2",
    )?;
    let limit = limit.map_or(-1, |n| n as i64);
    let mut rows = stmt.query(params![run_id, limit])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let rank: i64 = row.get(0)?;
        let spec_index = row.get::<_, i64>(1)? as u64;
        // Only the coefficients of the detail document are read (serde skips the rest).
        let c: DetailCoefficients =
            serde_json::from_str(row.get_ref(2)?.as_str()?).map_err(|e| {
                JournalError::Invalid(format!(
                    "the journaled detail of spec {spec_index} of run {run_id} has no readable \
                     coefficients ({e}); the journal may be damaged: restore it or start a new \
                     workspace"
                ))
            })?;
        out.push(ModelCoefficients {
            spec_index,
            rank: Some(rank),
            param_names: c.param_names,
            params: c.params,
        });
    }
    Ok(out)
}

/// One scenario of a forecast set.
#[derive(Debug, Clone)]
pub struct ScenarioRow {
    pub name: String,
    pub is_base: bool,
    pub order_position: Option<usize>,
    /// JSON list of `{path, sheet, sha256}`.
    pub sources: String,
    /// JSON list of notes, if any.
    pub notes: Option<String>,
}

/// Everything a forecast set writes.
pub struct ForecastSet<'a> {
    pub p0: String,
    /// `M` or `Q`: the search's frequency.
    pub frequency: &'static str,
    /// The forecast dates (after p0).
    pub dates: Vec<String>,
    /// Quarter-end dates of P1..PH (for a quarterly search, `dates`).
    pub quarter_dates: Vec<String>,
    pub aggregation: &'static str,
    pub direction: &'static str,
    pub inputs_sha256: String,
    pub scenarios: Vec<ScenarioRow>,
    /// The target's actual level on every date up to p0.
    pub history: Vec<(String, f64)>,
    pub models: &'a [ModelForecast],
}

/// A stored REAL: NULL for a value that is not finite.
pub(crate) fn real(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The statistics columns shared by `scenario_stats` and `benchmark_stats` after their keys
/// (`p0_level` … `pct_diff_base_9q`, in column order), as stored.
pub(crate) fn stat_columns(
    s: &specsearch_core::projection::ScenarioStatistics,
    pct_diff_base: f64,
) -> [Option<f64>; 11] {
    // SQLite stores a bound NaN as NULL, so `real` changes nothing for P0; it says so here.
    [
        real(s.p0),
        s.p4.and_then(real),
        s.p9.and_then(real),
        s.p12.and_then(real),
        real(s.last),
        s.cagr_4q.and_then(real),
        s.cagr_9q.and_then(real),
        s.cagr_12q.and_then(real),
        s.change_9q.and_then(real),
        s.pct_change_9q.and_then(real),
        real(pct_diff_base),
    ]
}

/// Replaces the run's forecast set with `set` in one transaction; returns the periods written
/// (the rows of the view `scenario_forecasts`).
pub(crate) fn write_forecast_set(
    conn: &Connection,
    run_id: RunId,
    set: &ForecastSet<'_>,
) -> Result<u64> {
    let tx = conn.unchecked_transaction()?;
    delete_forecast_set(&tx, run_id)?;
    let now = crate::now();
    let quarters = set.quarter_dates.len();
    {
        let mut ins = tx.prepare(
            "INSERT INTO scenarios (run_id, name, position, is_base, order_position, sources, \
             p0, horizon_end, periods, quarters, aggregation, direction, inputs_sha256, notes, \
             forecast_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
             ?15)",
        )?;
        for (i, s) in set.scenarios.iter().enumerate() {
            ins.execute(params![
                run_id,
                s.name,
                i as i64,
                s.is_base,
                s.order_position.map(|p| p as i64),
                s.sources,
                set.p0,
                set.dates.last().cloned().unwrap_or_default(),
                set.dates.len() as i64,
                quarters as i64,
                set.aggregation,
                set.direction,
                set.inputs_sha256,
                s.notes,
                now
            ])?;
        }
        let mut ins =
            tx.prepare("INSERT INTO scenario_history (run_id, date, level) VALUES (?1, ?2, ?3)")?;
        for (date, level) in &set.history {
            ins.execute(params![run_id, date, real(*level)])?;
        }
    }
    let mut written = 0u64;
    {
        let mut dates = tx.prepare(
            "INSERT INTO scenario_dates (run_id, frequency, step, label, date) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let native_label = if set.frequency == "M" { "M" } else { "P" };
        let native = std::iter::once(&set.p0).chain(&set.dates);
        for (j, date) in native.enumerate() {
            dates.execute(params![
                run_id,
                set.frequency,
                j as i64,
                format!("{native_label}{j}"),
                date
            ])?;
        }
        if set.frequency == "M" {
            let quarters = std::iter::once(&set.p0).chain(&set.quarter_dates);
            for (j, date) in quarters.enumerate() {
                dates.execute(params![run_id, "Q", j as i64, format!("P{j}"), date])?;
            }
        }
        let mut path = tx.prepare(
            "INSERT INTO scenario_paths (run_id, spec_index, scenario, frequency, \
             transform_values, levels) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut stat = tx.prepare(
            "INSERT INTO scenario_stats (run_id, spec_index, scenario, p0_level, p4_level, \
             p9_level, p12_level, last_level, cagr_4q, cagr_9q, cagr_12q, change_9q, \
             pct_change_9q, pct_diff_base_9q) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
             ?11, ?12, ?13, ?14)",
        )?;
        let mut order = tx.prepare(
            "INSERT INTO scenario_order (run_id, spec_index, in_order) VALUES (?1, ?2, ?3)",
        )?;
        // Paths in key order (spec, scenario name, frequency): appends to the B-tree.
        let mut by_name: Vec<usize> = (0..set.scenarios.len()).collect();
        by_name.sort_by(|&a, &b| set.scenarios[a].name.cmp(&set.scenarios[b].name));
        let mut models: Vec<&ModelForecast> = set.models.iter().collect();
        models.sort_by_key(|m| m.spec_index);
        let native_p0 = set.history.last().map_or(f64::NAN, |h| h.1);
        let mut transform_text = String::new();
        let mut level_text = String::new();
        for m in models {
            let spec = m.spec_index as i64;
            for &k in &by_name {
                let name = &set.scenarios[k].name;
                let p = &m.paths[k];
                json_array(
                    &mut transform_text,
                    std::iter::once(f64::NAN).chain(p.transform.iter().copied()),
                );
                json_array(
                    &mut level_text,
                    std::iter::once(native_p0).chain(p.levels.iter().copied()),
                );
                path.execute(params![
                    run_id,
                    spec,
                    name,
                    set.frequency,
                    transform_text,
                    level_text
                ])?;
                written += p.levels.len() as u64 + 1;
                if set.frequency == "M" {
                    json_array(&mut level_text, p.quarterly.iter().copied());
                    path.execute(params![run_id, spec, name, "Q", None::<String>, level_text])?;
                    written += p.quarterly.len() as u64;
                }
                let stats = stat_columns(&p.stats, p.pct_diff_base);
                let mut args: Vec<&dyn rusqlite::ToSql> = vec![&run_id, &spec, name];
                args.extend(stats.iter().map(|v| v as &dyn rusqlite::ToSql));
                stat.execute(&*args)?;
            }
            if let Some(ok) = m.in_order {
                order.execute(params![run_id, spec, ok])?;
            }
        }
    }
    tx.commit()?;
    Ok(written)
}

/// `values` as a JSON array into `out` (shortest round-trip decimals; a missing value is null).
pub(crate) fn json_array(out: &mut String, values: impl Iterator<Item = f64>) {
    use std::fmt::Write as _;
    out.clear();
    out.push('[');
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if v.is_finite() {
            // `{:?}` of f64 is the shortest text that parses back to the same value.
            write!(out, "{v:?}").expect("write to a String");
        } else {
            out.push_str("null");
        }
    }
    out.push(']');
}

/// Deletes the run's forecast set (every scenario table).
pub(crate) fn delete_forecast_set(conn: &Connection, run_id: RunId) -> rusqlite::Result<()> {
    for table in [
        "scenario_paths",
        "scenario_dates",
        "scenario_stats",
        "scenario_order",
        "scenario_history",
        "scenarios",
    ] {
        conn.execute(&format!("DELETE FROM {table} WHERE run_id = ?1"), [run_id])?;
    }
    Ok(())
}

/// Leaves the models whose ordering check failed out of the run's stored ranking (ranks of
/// the others renumbered, order and scores kept); returns how many were left out.
pub(crate) fn exclude_out_of_order(conn: &Connection, run_id: RunId) -> rusqlite::Result<usize> {
    let tx = conn.unchecked_transaction()?;
    let removed = tx.execute(
        "DELETE FROM ranking WHERE run_id = ?1 AND spec_index IN \
         (SELECT spec_index FROM scenario_order WHERE run_id = ?1 AND in_order = 0)",
        [run_id],
    )?;
    if removed > 0 {
        // Ranks are the primary key: read the rest in order and write them back numbered 1..
        type Row = (i64, f64, f64, f64, Option<f64>);
        let kept: Vec<Row> = tx
            .prepare(
                "SELECT spec_index, score, fit_score, is_score, oos_score FROM ranking \
                 WHERE run_id = ?1 ORDER BY rank",
            )?
            .query_map([run_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        tx.execute("DELETE FROM ranking WHERE run_id = ?1", [run_id])?;
        let mut ins = tx.prepare(
            "INSERT INTO ranking (run_id, rank, spec_index, score, fit_score, is_score, \
             oos_score) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (i, (spec, score, fit, is, oos)) in kept.iter().enumerate() {
            ins.execute(params![run_id, i as i64 + 1, spec, score, fit, is, oos])?;
        }
    }
    tx.commit()?;
    Ok(removed)
}

/// What a run's forecast set is: its scenarios in display order, p0, the horizon, the
/// inputs' hash.
#[derive(Debug, Clone, PartialEq)]
pub struct SetInfo {
    pub scenarios: Vec<String>,
    pub base: Option<String>,
    pub p0: String,
    pub horizon_end: String,
    pub quarters: i64,
    pub inputs_sha256: String,
    pub forecast_at: String,
    /// Models with forecasts, and those out of order.
    pub models: i64,
    pub out_of_order: i64,
}

/// The run's forecast set, if it has one.
pub(crate) fn set_info(conn: &Connection, run_id: RunId) -> Result<Option<SetInfo>> {
    let head = conn
        .query_row(
            "SELECT p0, horizon_end, quarters, inputs_sha256, forecast_at FROM scenarios \
             WHERE run_id = ?1 ORDER BY position LIMIT 1",
            [run_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((p0, horizon_end, quarters, inputs_sha256, forecast_at)) = head else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare("SELECT name, is_base FROM scenarios WHERE run_id = ?1 ORDER BY position")?;
    let named: Vec<(String, bool)> = stmt
        .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let models: i64 = conn.query_row(
        "SELECT count(DISTINCT spec_index) FROM scenario_stats WHERE run_id = ?1",
        [run_id],
        |r| r.get(0),
    )?;
    let out_of_order: i64 = conn.query_row(
        "SELECT count(*) FROM scenario_order WHERE run_id = ?1 AND in_order = 0",
        [run_id],
        |r| r.get(0),
    )?;
    Ok(Some(SetInfo {
        base: named.iter().find(|n| n.1).map(|n| n.0.clone()),
        scenarios: named.into_iter().map(|n| n.0).collect(),
        p0,
        horizon_end,
        quarters,
        inputs_sha256,
        forecast_at,
        models,
        out_of_order,
    }))
}

/// The scenario statistics of one model, one row per scenario in display order.
pub(crate) fn model_stats(conn: &Connection, run_id: RunId, spec_index: u64) -> Result<Table> {
    Table::query(
        conn,
        "SELECT s.scenario, s.p0_level, s.p4_level, s.p9_level, s.p12_level, s.last_level, \
         s.cagr_4q, \
         s.cagr_9q, s.cagr_12q, s.change_9q, s.pct_change_9q, s.pct_diff_base_9q, \
         CASE o.in_order WHEN 1 THEN 'yes' WHEN 0 THEN 'no' END AS in_order \
         FROM scenario_stats s JOIN scenarios c ON c.run_id = s.run_id AND c.name = s.scenario \
         LEFT JOIN scenario_order o ON o.run_id = s.run_id AND o.spec_index = s.spec_index \
         WHERE s.run_id = ?1 AND s.spec_index = ?2 ORDER BY c.position",
        params![run_id, spec_index as i64],
    )
}

/// A scenario's name and its (date, level) path.
pub type LevelPath = (String, Vec<(String, f64)>);

/// One model's level path per scenario at the search's frequency (p0 first), display order.
pub(crate) fn model_paths(
    conn: &Connection,
    run_id: RunId,
    spec_index: u64,
) -> Result<Vec<LevelPath>> {
    let mut stmt = conn.prepare(
        "SELECT f.scenario, f.date, f.level FROM scenario_forecasts f \
         JOIN scenarios c ON c.run_id = f.run_id AND c.name = f.scenario \
         JOIN runs r ON r.run_id = f.run_id \
         WHERE f.run_id = ?1 AND f.spec_index = ?2 AND f.frequency = r.frequency \
         ORDER BY c.position, f.step",
    )?;
    let mut out: Vec<LevelPath> = Vec::new();
    let rows = stmt.query_map(params![run_id, spec_index as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<f64>>(2)?,
        ))
    })?;
    for row in rows {
        let (scenario, date, level) = row?;
        if out.last().is_none_or(|(s, _)| *s != scenario) {
            out.push((scenario.clone(), Vec::new()));
        }
        let last = out.last_mut().expect("pushed above");
        last.1.push((date, level.unwrap_or(f64::NAN)));
    }
    Ok(out)
}

/// The target's actual levels up to p0 of the run's forecast set.
pub(crate) fn history(conn: &Connection, run_id: RunId) -> Result<Vec<(String, f64)>> {
    let mut stmt =
        conn.prepare("SELECT date, level FROM scenario_history WHERE run_id = ?1 ORDER BY date")?;
    let rows = stmt.query_map([run_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<f64>>(1)?))
    })?;
    Ok(rows
        .map(|r| r.map(|(d, l)| (d, l.unwrap_or(f64::NAN))))
        .collect::<rusqlite::Result<_>>()?)
}

/// `pct_change_9q` of every model under `scenario` (`top --scenario`); `None` when the run
/// has no such scenario.
pub(crate) fn pct_change_9q(
    conn: &Connection,
    run_id: RunId,
    scenario: &str,
) -> Result<Option<HashMap<u64, Option<f64>>>> {
    let known: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM scenarios WHERE run_id = ?1 AND name = ?2)",
        params![run_id, scenario],
        |r| r.get(0),
    )?;
    if !known {
        return Ok(None);
    }
    let mut stmt = conn.prepare(
        "SELECT spec_index, pct_change_9q FROM scenario_stats WHERE run_id = ?1 AND scenario = ?2",
    )?;
    let rows = stmt.query_map(params![run_id, scenario], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Option<f64>>(1)?))
    })?;
    Ok(Some(rows.collect::<rusqlite::Result<_>>()?))
}

/// Every forecast row of a run (`export --what forecasts`), by rank, scenario, path, step;
/// models left out of the ranking come last.
pub(crate) fn stream_forecasts(
    conn: &Connection,
    run_id: RunId,
    sink: &mut dyn Sink,
) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT f.run_id, k.rank, f.spec_index, f.scenario, f.frequency, f.step, f.label, \
         f.date, f.transform_value, f.level \
         FROM scenario_forecasts f JOIN scenarios c ON c.run_id = f.run_id AND c.name = f.scenario \
         LEFT JOIN ranking k ON k.run_id = f.run_id AND k.spec_index = f.spec_index \
         WHERE f.run_id = ?1 \
         ORDER BY k.rank IS NULL, k.rank, f.spec_index, c.position, f.frequency DESC, f.step",
    )?;
    stream_statement(&mut stmt, [run_id], sink)
}
