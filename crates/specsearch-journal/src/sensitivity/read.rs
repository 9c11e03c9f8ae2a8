//! Reading the sensitivity, attribution and bands of validated models back: the tables of
//! `show`, the paths of the report's plots, the rows of `export`.

use rusqlite::{params, OptionalExtension};
use specsearch_core::projection::shocks::ShockKind;

use crate::error::Result;
use crate::handle::Journal;
use crate::rows::{stream_statement, Cell, Sink, Table};
use crate::runs::RunId;

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

/// A driver's history and its path under one scenario, by date.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverLevels {
    pub driver: String,
    pub scenario: String,
    /// (date, value) up to and including p0.
    pub history: Vec<(String, f64)>,
    /// (date, value) from p0 (its actual value) over the horizon.
    pub path: Vec<(String, f64)>,
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
    /// The data series a validated model's features are computed from (empty when it was
    /// not validated).
    pub fn model_drivers(&self, run_id: RunId, spec_index: u64) -> Result<Vec<String>> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT drivers FROM sensitivity_models WHERE run_id = ?1 AND spec_index = ?2",
                params![run_id, spec_index as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match text {
            Some(t) => Ok(serde_json::from_str(&t).map_err(|e| self.err(e))?),
            None => Ok(Vec::new()),
        }
    }

    /// The history and scenario paths of `drivers` (in that order, scenarios in display
    /// order), as the run's last validation journaled them.
    pub fn driver_levels(&self, run_id: RunId, drivers: &[String]) -> Result<Vec<DriverLevels>> {
        let run = || -> Result<Vec<DriverLevels>> {
            let conn = self.conn();
            let history_dates: Vec<String> = conn
                .prepare("SELECT date FROM scenario_history WHERE run_id = ?1 ORDER BY date")?
                .query_map([run_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let path_dates: Vec<String> = conn
                .prepare(
                    "SELECT d.date FROM scenario_dates d JOIN runs r ON r.run_id = d.run_id \
                     AND r.frequency = d.frequency WHERE d.run_id = ?1 ORDER BY d.step",
                )?
                .query_map([run_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut stmt = conn.prepare(
                "SELECT p.scenario, p.history, p.path FROM scenario_driver_paths p \
                 JOIN scenarios c ON c.run_id = p.run_id AND c.name = p.scenario \
                 WHERE p.run_id = ?1 AND p.driver = ?2 ORDER BY c.position",
            )?;
            let values = |text: &str| -> Result<Vec<f64>> {
                let v: Vec<Option<f64>> = serde_json::from_str(text)?;
                Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
            };
            let dated = |dates: &[String], v: Vec<f64>| -> Vec<(String, f64)> {
                dates.iter().cloned().zip(v).collect()
            };
            let mut out = Vec::new();
            for driver in drivers {
                let rows: Vec<(String, String, String)> = stmt
                    .query_map(params![run_id, driver], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                for (scenario, history, path) in rows {
                    out.push(DriverLevels {
                        driver: driver.clone(),
                        scenario,
                        history: dated(&history_dates, values(&history)?),
                        path: dated(&path_dates, values(&path)?),
                    });
                }
            }
            Ok(out)
        };
        run().map_err(|e| self.err(e))
    }

    /// The most severe scenario of the run's forecast set: the last of `scenarios.order`, else
    /// the last scenario listed.
    pub fn most_severe_scenario(&self, run_id: RunId) -> Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT name FROM scenarios WHERE run_id = ?1 \
                 ORDER BY order_position IS NOT NULL DESC, order_position DESC, position DESC \
                 LIMIT 1",
                [run_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

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
