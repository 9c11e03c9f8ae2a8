//! The sensitivity, attribution and uncertainty bands of validated models in the journal
//! (`migrations/0011_sensitivity.sql`, views in `sql/sensitivity.sql`): writing a validation's
//! models (replacing their rows, and every row of the run computed from another forecast set,
//! in one transaction); the reads of `show`, `report` and `export` are in `read`.

use rusqlite::{params, Connection};
use specsearch_core::projection::shocks::ShockedPath;

use crate::error::{JournalError, Result};
use crate::handle::JournalRw;
use crate::runs::RunId;
use crate::scenarios::{json_array, real, stat_columns};

mod read;
pub use read::{BandLevels, DriverLevels, SensitivityLevels};

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
    /// The data series its features are computed from (their paths are in the set's
    /// `drivers`).
    pub drivers: Vec<String>,
}

/// A driver (a data series the models' features come from) under one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverPath {
    pub scenario: usize,
    pub driver: String,
    /// Actual values on the dates of the forecast set's history (up to p0).
    pub history: Vec<f64>,
    /// The scenario's values after p0, one per forecast date.
    pub path: Vec<f64>,
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
    /// Every driver of the models under every scenario.
    pub drivers: &'a [DriverPath],
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
    tx.execute(
        "DELETE FROM scenario_driver_paths WHERE run_id = ?1 AND inputs_sha256 <> ?2",
        params![run_id, set.inputs_sha256],
    )?;
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
             band_draws, band_seed, band_quantiles, band_note, drivers, computed_at) VALUES (?1, \
             ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
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
                serde_json::to_string(&m.drivers)?,
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
                let stats = stat_columns(&p.path.stats, p.path.pct_diff_base);
                let term = p.term as i64;
                let mut args: Vec<&dyn rusqlite::ToSql> =
                    vec![&run_id, &spec, name, &term, &shock, &p.k];
                args.extend(stats.iter().map(|v| v as &dyn rusqlite::ToSql));
                stat.execute(&*args)?;
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
    {
        let mut driver = tx.prepare(
            "INSERT OR REPLACE INTO scenario_driver_paths (run_id, scenario, driver, \
             inputs_sha256, history, path) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut history = String::new();
        let mut path = String::new();
        for d in set.drivers {
            json_array(&mut history, d.history.iter().copied());
            let p0 = d.history.last().copied().unwrap_or(f64::NAN);
            json_array(&mut path, std::iter::once(p0).chain(d.path.iter().copied()));
            driver.execute(params![
                run_id,
                set.scenarios[d.scenario],
                d.driver,
                set.inputs_sha256,
                history,
                path
            ])?;
        }
    }
    tx.commit()?;
    Ok(written)
}

impl JournalRw {
    /// Journals a validation's sensitivity, attribution and bands (see [`SensitivitySet`]) in
    /// one transaction; the paths written.
    pub fn write_sensitivity(&self, run_id: RunId, set: &SensitivitySet<'_>) -> Result<u64> {
        write(self.conn(), run_id, set).map_err(|e| self.err(e))
    }
}
