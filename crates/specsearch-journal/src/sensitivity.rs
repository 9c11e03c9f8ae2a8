//! The sensitivity, attribution and uncertainty bands of validated models in the journal
//! (`migrations/0011_sensitivity.sql`, views in `sql/sensitivity.sql`): writing a validation's
//! models (replacing their rows, and every row of the run computed from another forecast set,
//! in one transaction), and the reads of `show`, `report` and `export`.

use rusqlite::{params, Connection};
use specsearch_core::projection::shocks::{ShockKind, ShockedPath};

use crate::error::{JournalError, Result};
use crate::handle::{Journal, JournalRw};
use crate::rows::{stream_statement, Cell, Sink, Table};
use crate::runs::RunId;
use crate::scenarios::json_array;

/// One regressor of a validated model and how it was shocked.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityFeature {
    /// Coefficient position (≥ 1).
    pub term: usize,
    pub feature: String,
    pub coef: f64,
    /// The model's SE of the coefficient (the coefficient shock's unit).
    pub se: Option<f64>,
    /// Sample std (ddof 1) of its in-sample column (the driver shock's unit).
    pub sigma: Option<f64>,
    pub coefficient_shocked: bool,
    pub driver_shocked: bool,
    /// Why a shock was not applied.
    pub note: Option<String>,
}

/// One term's attribution under one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributionTerm {
    /// 0: the intercept.
    pub term: usize,
    pub feature: String,
    pub coef: f64,
    /// The regressor's value predicting each forecast period (1 for the intercept).
    pub values: Vec<f64>,
    /// `coef · value` per forecast period.
    pub contribution: Vec<f64>,
    /// Outcome at P9 (PH when shorter) with the feature held at p0, minus the scenario's.
    pub effect_9q: Option<f64>,
}

/// A model's attribution under one scenario (`scenario`: index into the set's names).
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioAttribution {
    pub scenario: usize,
    pub terms: Vec<AttributionTerm>,
}

/// A model's uncertainty band under one scenario, per quantile of the set.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioBand {
    pub scenario: usize,
    /// The prediction interval's bound of the transform, `[quantile][period]`.
    pub transform: Vec<Vec<f64>>,
    /// Simulated level quantiles at the search's frequency, `[quantile][period]`.
    pub levels: Vec<Vec<f64>>,
    /// Simulated quarterly level quantiles P0..PH, `[quantile][quarter]` (journaled for a
    /// monthly search).
    pub quarterly: Vec<Vec<f64>>,
}

/// What a validation computed for one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSensitivity {
    pub spec_index: u64,
    /// `nonrobust`, `HC1` or `HAC`.
    pub cov_type: String,
    pub hac_lags: Option<usize>,
    pub nobs: usize,
    pub df_resid: usize,
    pub resid_variance: f64,
    /// Why the model has no band, when it has none.
    pub band_note: Option<String>,
    pub features: Vec<SensitivityFeature>,
    /// Every path (the unshocked ones, term 0, included).
    pub paths: Vec<ShockedPath>,
    pub attribution: Vec<ScenarioAttribution>,
    pub bands: Vec<ScenarioBand>,
}

/// Everything a validation's sensitivity writes for a run.
pub struct SensitivitySet<'a> {
    /// The run's forecast set the paths come from.
    pub inputs_sha256: &'a str,
    /// `M` or `Q`: the search's frequency.
    pub frequency: &'static str,
    /// Scenario names; the models' `scenario` indices point here.
    pub scenarios: &'a [String],
    /// The target's actual level at p0 (element 0 of the level arrays at the search's
    /// frequency).
    pub p0_level: f64,
    pub coefficient_shocks: &'a [f64],
    pub driver_shocks: &'a [f64],
    pub band_draws: usize,
    pub band_seed: u64,
    pub band_quantiles: &'a [f64],
    pub models: &'a [ModelSensitivity],
}

fn real(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn json_list(values: &[f64]) -> String {
    let mut out = String::new();
    json_array(&mut out, values.iter().copied());
    out
}

const TABLES: [&str; 6] = [
    "sensitivity_path_data",
    "sensitivity_stat_data",
    "attribution_data",
    "band_data",
    "sensitivity_features",
    "sensitivity_models",
];

/// Replaces the set's models' rows, and deletes the run's rows computed from another
/// forecast set, in one transaction; returns the paths written.
pub(crate) fn write(conn: &Connection, run_id: RunId, set: &SensitivitySet<'_>) -> Result<u64> {
    let seed = i64::try_from(set.band_seed).map_err(|_| {
        JournalError::Invalid(format!(
            "the band seed {} does not fit a signed 64-bit integer",
            set.band_seed
        ))
    })?;
    let tx = conn.unchecked_transaction()?;
    for table in TABLES {
        tx.execute(
            &format!(
                "DELETE FROM {table} WHERE run_id = ?1 AND spec_index IN (SELECT spec_index \
                 FROM sensitivity_models WHERE run_id = ?1 AND inputs_sha256 <> ?2)"
            ),
            params![run_id, set.inputs_sha256],
        )?;
    }
    for m in set.models {
        for table in TABLES {
            tx.execute(
                &format!("DELETE FROM {table} WHERE run_id = ?1 AND spec_index = ?2"),
                params![run_id, m.spec_index as i64],
            )?;
        }
    }
    let now = crate::now();
    let mut written = 0u64;
    {
        let mut model = tx.prepare(
            "INSERT INTO sensitivity_models (run_id, spec_index, inputs_sha256, cov_type, \
             hac_lags, nobs, df_resid, resid_variance, coefficient_shocks, driver_shocks, \
             band_draws, band_seed, band_quantiles, band_note, computed_at) VALUES (?1, ?2, ?3, \
             ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?;
        let mut feature = tx.prepare(
            "INSERT INTO sensitivity_features (run_id, spec_index, term, feature, coef, se, \
             sigma, coefficient_shocked, driver_shocked, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
             ?7, ?8, ?9, ?10)",
        )?;
        let mut path = tx.prepare(
            "INSERT INTO sensitivity_path_data (run_id, spec_index, scenario, term, shock, k, \
             frequency, transform_values, levels) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut stat = tx.prepare(
            "INSERT INTO sensitivity_stat_data (run_id, spec_index, scenario, term, shock, k, \
             p0_level, p4_level, p9_level, p12_level, last_level, cagr_4q, cagr_9q, cagr_12q, \
             change_9q, pct_change_9q, pct_diff_base_9q) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
             ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?;
        let mut attribution = tx.prepare(
            "INSERT INTO attribution_data (run_id, spec_index, scenario, term, feature, coef, \
             feature_values, contributions, effect_9q) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
             ?9)",
        )?;
        let mut band = tx.prepare(
            "INSERT INTO band_data (run_id, spec_index, scenario, frequency, quantile, \
             transform_values, levels) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let coefficient_shocks = json_list(set.coefficient_shocks);
        let driver_shocks = json_list(set.driver_shocks);
        let quantiles = json_list(set.band_quantiles);
        let monthly = set.frequency == "M";
        let mut transform_text = String::new();
        let mut level_text = String::new();
        let native = |out: &mut String, values: &[f64]| {
            json_array(
                out,
                std::iter::once(set.p0_level).chain(values.iter().copied()),
            )
        };
        let transform = |out: &mut String, values: &[f64]| {
            json_array(out, std::iter::once(f64::NAN).chain(values.iter().copied()))
        };
        for m in set.models {
            let spec = m.spec_index as i64;
            model.execute(params![
                run_id,
                spec,
                set.inputs_sha256,
                m.cov_type,
                m.hac_lags.map(|l| l as i64),
                m.nobs as i64,
                m.df_resid as i64,
                m.resid_variance,
                coefficient_shocks,
                driver_shocks,
                set.band_draws as i64,
                seed,
                quantiles,
                m.band_note,
                now
            ])?;
            for f in &m.features {
                feature.execute(params![
                    run_id,
                    spec,
                    f.term as i64,
                    f.feature,
                    f.coef,
                    f.se.and_then(real),
                    f.sigma.and_then(real),
                    f.coefficient_shocked,
                    f.driver_shocked,
                    f.note
                ])?;
            }
            for p in &m.paths {
                let name = &set.scenarios[p.scenario];
                let shock = p.kind.as_str();
                transform(&mut transform_text, &p.path.transform);
                native(&mut level_text, &p.path.levels);
                path.execute(params![
                    run_id,
                    spec,
                    name,
                    p.term as i64,
                    shock,
                    p.k,
                    set.frequency,
                    transform_text,
                    level_text
                ])?;
                written += 1;
                if monthly {
                    json_array(&mut level_text, p.path.quarterly.iter().copied());
                    path.execute(params![
                        run_id,
                        spec,
                        name,
                        p.term as i64,
                        shock,
                        p.k,
                        "Q",
                        None::<String>,
                        level_text
                    ])?;
                    written += 1;
                }
                let s = &p.path.stats;
                stat.execute(params![
                    run_id,
                    spec,
                    name,
                    p.term as i64,
                    shock,
                    p.k,
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
                    real(p.path.pct_diff_base)
                ])?;
            }
            for a in &m.attribution {
                let name = &set.scenarios[a.scenario];
                for t in &a.terms {
                    transform(&mut transform_text, &t.values);
                    transform(&mut level_text, &t.contribution);
                    attribution.execute(params![
                        run_id,
                        spec,
                        name,
                        t.term as i64,
                        t.feature,
                        t.coef,
                        transform_text,
                        level_text,
                        t.effect_9q.and_then(real)
                    ])?;
                }
            }
            for b in &m.bands {
                let name = &set.scenarios[b.scenario];
                for (i, &q) in set.band_quantiles.iter().enumerate() {
                    transform(&mut transform_text, &b.transform[i]);
                    native(&mut level_text, &b.levels[i]);
                    band.execute(params![
                        run_id,
                        spec,
                        name,
                        set.frequency,
                        q,
                        transform_text,
                        level_text
                    ])?;
                    if monthly {
                        json_array(&mut level_text, b.quarterly[i].iter().copied());
                        band.execute(params![
                            run_id,
                            spec,
                            name,
                            "Q",
                            q,
                            None::<String>,
                            level_text
                        ])?;
                    }
                }
            }
        }
    }
    tx.commit()?;
    Ok(written)
}

/// One shocked (or the unshocked) level path of a model at the search's frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityLevels {
    pub scenario: String,
    /// `None` for the unshocked path.
    pub feature: Option<String>,
    pub shock: ShockKind,
    pub k: f64,
    /// (date, level), p0 first.
    pub points: Vec<(String, f64)>,
}

/// One quantile of a model's band at the search's frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct BandLevels {
    pub scenario: String,
    pub quantile: f64,
    /// (date, level), p0 first.
    pub points: Vec<(String, f64)>,
}

/// Groups `(key, date, level)` rows (in order) into one path per key.
fn group_points<K: PartialEq>(rows: Vec<(K, String, Option<f64>)>) -> Vec<(K, Vec<(String, f64)>)> {
    let mut out: Vec<(K, Vec<(String, f64)>)> = Vec::new();
    for (key, date, level) in rows {
        if out.last().is_none_or(|(k, _)| *k != key) {
            out.push((key, Vec::new()));
        }
        let last = out.last_mut().expect("pushed above");
        last.1.push((date, level.unwrap_or(f64::NAN)));
    }
    out
}

fn shock_of(text: &str) -> rusqlite::Result<ShockKind> {
    ShockKind::parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown shock {text:?}").into(),
        )
    })
}

impl Journal {
    /// The spec indices of a run's validated models (with sensitivity rows).
    pub fn validated_models(&self, run_id: RunId) -> Result<Vec<u64>> {
        let run = || -> rusqlite::Result<Vec<u64>> {
            let mut stmt = self.conn().prepare(
                "SELECT spec_index FROM sensitivity_models WHERE run_id = ?1 ORDER BY spec_index",
            )?;
            let rows = stmt.query_map([run_id], |r| Ok(r.get::<_, i64>(0)? as u64))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// What a model's analysis used (`sensitivity_models`), one (field, value) row each;
    /// `None` when it was not validated.
    pub fn sensitivity_model(&self, run_id: RunId, spec_index: u64) -> Result<Option<Table>> {
        let t = Table::query(
            self.conn(),
            "SELECT cov_type, hac_lags, nobs, df_resid, resid_variance, coefficient_shocks, \
             driver_shocks, band_draws, band_seed, band_quantiles, band_note, inputs_sha256, \
             computed_at FROM sensitivity_models WHERE run_id = ?1 AND spec_index = ?2",
            params![run_id, spec_index as i64],
        )
        .map_err(|e| self.err(e))?;
        Ok((!t.rows.is_empty()).then_some(t))
    }

    /// A model's regressors with their SE, σ and which shocks were applied.
    pub fn sensitivity_features(&self, run_id: RunId, spec_index: u64) -> Result<Table> {
        Table::query(
            self.conn(),
            "SELECT feature, coef, se, sigma, coefficient_shocked, driver_shocked, note \
             FROM sensitivity_features WHERE run_id = ?1 AND spec_index = ?2 ORDER BY term",
            params![run_id, spec_index as i64],
        )
        .map_err(|e| self.err(e))
    }

    /// The sensitivity table of one model: one row per path (the unshocked one first, then
    /// each feature's coefficient and driver shocks from −k to +k) with its shock's unit, and
    /// one column per scenario (display order) with the % change of the level at P9 (P9/P0 −
    /// 1, or PH/P0 − 1 when the horizon is shorter), as a fraction. Empty when the model was
    /// not validated.
    pub fn sensitivity_table(&self, run_id: RunId, spec_index: u64) -> Result<Table> {
        let rows = Table::query(
            self.conn(),
            "SELECT s.term, f.feature, s.shock, s.k, \
             CASE s.shock WHEN 'coefficient' THEN f.se WHEN 'driver' THEN f.sigma END AS unit, \
             s.scenario, coalesce(s.pct_change_9q, s.last_level / s.p0_level - 1) AS pct \
             FROM sensitivity_stat_data s \
             JOIN scenarios c ON c.run_id = s.run_id AND c.name = s.scenario \
             LEFT JOIN sensitivity_features f ON f.run_id = s.run_id \
               AND f.spec_index = s.spec_index AND f.term = s.term \
             WHERE s.run_id = ?1 AND s.spec_index = ?2 \
             ORDER BY s.term, s.shock = 'driver', s.k, c.position",
            params![run_id, spec_index as i64],
        )
        .map_err(|e| self.err(e))?;
        let scenarios = self.scenario_order(run_id)?;
        let mut columns = vec!["feature", "shock", "k", "unit"];
        columns.extend(scenarios.iter().map(String::as_str));
        let mut t = Table::new(&columns);
        let mut current: Option<(i64, String, f64)> = None;
        for r in &rows.rows {
            let term = r[0].as_i64().unwrap_or(0);
            let shock = r[2].as_str().unwrap_or("").to_string();
            let k = r[3].as_f64().unwrap_or(0.0);
            let key = (term, shock.clone(), k);
            if current.as_ref() != Some(&key) {
                let mut row = vec![r[1].clone(), Cell::Text(shock), Cell::Real(k), r[4].clone()];
                row.extend(std::iter::repeat_n(Cell::Null, scenarios.len()));
                t.push(row);
                current = Some(key);
            }
            let name = r[5].as_str().unwrap_or("");
            if let Some(pos) = scenarios.iter().position(|s| s == name) {
                let row = t.rows.last_mut().expect("pushed above");
                row[4 + pos] = r[6].clone();
            }
        }
        Ok(t)
    }

    /// The attribution of one model: per regressor that can be held at p0, its coefficient
    /// and per scenario the outcome at P9 (PH when shorter) with it held at its p0 value minus
    /// the scenario's outcome.
    pub fn attribution_table(&self, run_id: RunId, spec_index: u64) -> Result<Table> {
        let rows = Table::query(
            self.conn(),
            "SELECT a.term, a.feature, a.coef, a.scenario, a.effect_9q \
             FROM attribution_data a JOIN scenarios c ON c.run_id = a.run_id \
               AND c.name = a.scenario \
             WHERE a.run_id = ?1 AND a.spec_index = ?2 AND a.effect_9q IS NOT NULL \
             ORDER BY a.term, c.position",
            params![run_id, spec_index as i64],
        )
        .map_err(|e| self.err(e))?;
        let scenarios = self.scenario_order(run_id)?;
        let mut columns = vec!["feature", "coef"];
        columns.extend(scenarios.iter().map(String::as_str));
        let mut t = Table::new(&columns);
        let mut current = None;
        for r in &rows.rows {
            let term = r[0].as_i64();
            if current != term {
                let mut row = vec![r[1].clone(), r[2].clone()];
                row.extend(std::iter::repeat_n(Cell::Null, scenarios.len()));
                t.push(row);
                current = term;
            }
            let name = r[3].as_str().unwrap_or("");
            if let Some(pos) = scenarios.iter().position(|s| s == name) {
                t.rows.last_mut().expect("pushed above")[2 + pos] = r[4].clone();
            }
        }
        Ok(t)
    }

    /// The run's scenario names in display order.
    fn scenario_order(&self, run_id: RunId) -> Result<Vec<String>> {
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self
                .conn()
                .prepare("SELECT name FROM scenarios WHERE run_id = ?1 ORDER BY position")?;
            let rows = stmt.query_map([run_id], |r| r.get(0))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Every level path of a model's sensitivity at the search's frequency, by scenario
    /// (display order), the unshocked path first, then by feature, shock and k.
    pub fn sensitivity_levels(
        &self,
        run_id: RunId,
        spec_index: u64,
    ) -> Result<Vec<SensitivityLevels>> {
        let run = || -> rusqlite::Result<Vec<SensitivityLevels>> {
            let mut stmt = self.conn().prepare(
                "SELECT p.scenario, f.feature, p.shock, p.k, d.date, l.value \
                 FROM sensitivity_path_data p \
                 JOIN scenarios c ON c.run_id = p.run_id AND c.name = p.scenario \
                 JOIN runs r ON r.run_id = p.run_id AND r.frequency = p.frequency \
                 LEFT JOIN sensitivity_features f ON f.run_id = p.run_id \
                   AND f.spec_index = p.spec_index AND f.term = p.term, \
                 json_each(p.levels) l \
                 JOIN scenario_dates d ON d.run_id = p.run_id AND d.frequency = p.frequency \
                   AND d.step = l.key \
                 WHERE p.run_id = ?1 AND p.spec_index = ?2 \
                 ORDER BY c.position, p.term, p.shock = 'driver', p.k, d.step",
            )?;
            let rows = stmt.query_map(params![run_id, spec_index as i64], |r| {
                let shock: String = r.get(2)?;
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        shock_of(&shock)?,
                        r.get::<_, f64>(3)?,
                    ),
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<f64>>(5)?,
                ))
            })?;
            let rows: Vec<_> = rows.collect::<rusqlite::Result<_>>()?;
            Ok(group_points(rows)
                .into_iter()
                .map(
                    |((scenario, feature, shock, k), points)| SensitivityLevels {
                        scenario,
                        feature,
                        shock,
                        k,
                        points,
                    },
                )
                .collect())
        };
        run().map_err(|e| self.err(e))
    }

    /// A model's band at the search's frequency: per scenario (display order) and quantile,
    /// the simulated level path (p0 first).
    pub fn band_levels(&self, run_id: RunId, spec_index: u64) -> Result<Vec<BandLevels>> {
        let run = || -> rusqlite::Result<Vec<BandLevels>> {
            let mut stmt = self.conn().prepare(
                "SELECT b.scenario, b.quantile, b.date, b.level FROM scenario_bands b \
                 JOIN scenarios c ON c.run_id = b.run_id AND c.name = b.scenario \
                 JOIN runs r ON r.run_id = b.run_id \
                 WHERE b.run_id = ?1 AND b.spec_index = ?2 AND b.frequency = r.frequency \
                 ORDER BY c.position, b.quantile, b.step",
            )?;
            let rows = stmt.query_map(params![run_id, spec_index as i64], |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, f64>(1)?),
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<f64>>(3)?,
                ))
            })?;
            let rows: Vec<_> = rows.collect::<rusqlite::Result<_>>()?;
            Ok(group_points(rows)
                .into_iter()
                .map(|((scenario, quantile), points)| BandLevels {
                    scenario,
                    quantile,
                    points,
                })
                .collect())
        };
        run().map_err(|e| self.err(e))
    }

    /// Every row of a run's `sensitivity_paths` (`export --what sensitivity`), by rank.
    pub fn stream_sensitivity(&self, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
        let mut run = || -> Result<u64> {
            let mut stmt = self.conn().prepare(
                "SELECT p.run_id, k.rank, p.spec_index, p.scenario, p.feature, p.shock, p.k, \
                 p.frequency, p.step, p.label, p.date, p.transform_value, p.level \
                 FROM sensitivity_paths p \
                 JOIN scenarios c ON c.run_id = p.run_id AND c.name = p.scenario \
                 LEFT JOIN ranking k ON k.run_id = p.run_id AND k.spec_index = p.spec_index \
                 WHERE p.run_id = ?1 \
                 ORDER BY k.rank IS NULL, k.rank, p.spec_index, c.position, \
                   p.feature IS NOT NULL, p.feature, p.shock, p.k, p.frequency DESC, p.step",
            )?;
            stream_statement(&mut stmt, [run_id], sink)
        };
        run().map_err(|e| self.err(e))
    }

    /// Every row of a run's `scenario_attribution` (`export --what attribution`), by rank.
    pub fn stream_attribution(&self, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
        let mut run = || -> Result<u64> {
            let mut stmt = self.conn().prepare(
                "SELECT a.run_id, k.rank, a.spec_index, a.scenario, a.term, a.feature, a.coef, \
                 a.step, a.label, a.date, a.value, a.contribution, a.effect_9q \
                 FROM scenario_attribution a \
                 JOIN scenarios c ON c.run_id = a.run_id AND c.name = a.scenario \
                 LEFT JOIN ranking k ON k.run_id = a.run_id AND k.spec_index = a.spec_index \
                 WHERE a.run_id = ?1 \
                 ORDER BY k.rank IS NULL, k.rank, a.spec_index, c.position, a.term, a.step",
            )?;
            stream_statement(&mut stmt, [run_id], sink)
        };
        run().map_err(|e| self.err(e))
    }

    /// Every row of a run's `scenario_bands` (`export --what bands`), by rank.
    pub fn stream_bands(&self, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
        let mut run = || -> Result<u64> {
            let mut stmt = self.conn().prepare(
                "SELECT b.run_id, k.rank, b.spec_index, b.scenario, b.frequency, b.quantile, \
                 b.step, b.label, b.date, b.transform_value, b.level \
                 FROM scenario_bands b \
                 JOIN scenarios c ON c.run_id = b.run_id AND c.name = b.scenario \
                 LEFT JOIN ranking k ON k.run_id = b.run_id AND k.spec_index = b.spec_index \
                 WHERE b.run_id = ?1 \
                 ORDER BY k.rank IS NULL, k.rank, b.spec_index, c.position, b.frequency DESC, \
                   b.quantile, b.step",
            )?;
            stream_statement(&mut stmt, [run_id], sink)
        };
        run().map_err(|e| self.err(e))
    }
}

impl JournalRw {
    /// Journals a validation's sensitivity, attribution and bands (see [`SensitivitySet`]) in
    /// one transaction; the paths written.
    pub fn write_sensitivity(&self, run_id: RunId, set: &SensitivitySet<'_>) -> Result<u64> {
        write(self.conn(), run_id, set).map_err(|e| self.err(e))
    }
}
