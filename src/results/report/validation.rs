//! What a model's validation section shows, read from the journal's sensitivity tables
//! (`specsearch validate`, the end of `run`): the fan with its bands, the shocked level paths
//! of each feature (the most severe scenario, or every scenario on request), the attribution
//! chart and table, the sensitivity table, and each driver's history and scenario paths.

use anyhow::Result;
use chrono::NaiveDate;

use super::validation_plots::{self, BandPaths, Dated, Shocked};
use super::{OpenJournal, Plot};
use crate::journal::RunRow;
use crate::projection::shocks::ShockKind;
use crate::results::table::{fmt_real, Table};

/// A model's validation, as its section draws it.
#[derive(Debug, Clone, Default)]
pub struct ValidationData {
    /// Why there is none (shown in the section).
    pub note: Option<String>,
    /// The covariance, shocks and band settings the analysis used, one line.
    pub about: Option<String>,
    /// The fan with its bands.
    pub bands: Option<Plot>,
    /// Shocked level paths, one plot per feature (and scenario shown).
    pub sensitivity: Vec<Plot>,
    /// The scenarios the sensitivity plots show.
    pub sensitivity_scenarios: Vec<String>,
    pub sensitivity_table: Option<Table>,
    pub attribution: Option<Plot>,
    pub attribution_table: Option<Table>,
    /// Each driver's history and scenario paths.
    pub drivers: Vec<Plot>,
    /// Plots that could not be drawn, and why.
    pub plot_notes: Vec<String>,
}

fn date(d: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()
}

fn dated(points: &[(String, f64)]) -> Dated {
    points
        .iter()
        .filter_map(|(d, v)| Some((date(d)?, *v)))
        .collect()
}

/// The validation of `spec` in `run`; every scenario's sensitivity plots with
/// `all_scenarios`, else the most severe scenario's only.
pub fn load(
    j: &OpenJournal,
    run: &RunRow,
    spec: u64,
    all_scenarios: bool,
) -> Result<ValidationData> {
    let journal = &j.journal;
    let Some(model) = journal.sensitivity_model(run.run_id, spec)? else {
        return Ok(ValidationData {
            note: Some(
                "not validated: `specsearch validate CONFIG` computes the sensitivity, \
                 attribution and bands of any model with scenario forecasts (the end of `run` \
                 does it for the best validation.top_n)"
                    .into(),
            ),
            ..ValidationData::default()
        });
    };
    let text = |c: &str| model.get(0, c).as_str().unwrap_or("").to_string();
    let list = |c: &str| -> Vec<f64> { serde_json::from_str(&text(c)).unwrap_or_default() };
    let show = |v: &[f64], scale: f64, unit: &str| {
        v.iter()
            .map(|x| format!("{}{unit}", fmt_real(scale * x)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let quantiles = list("band_quantiles");
    let about = format!(
        "covariance {}{}; coefficient shocks ± {} SE; feature shocks ± {} σ; band of {} draws \
         (seed {}; quantiles {}){}",
        text("cov_type"),
        model
            .get(0, "hac_lags")
            .as_i64()
            .map_or(String::new(), |l| format!(" ({l} lags)")),
        show(&list("coefficient_shocks"), 1.0, ""),
        show(&list("driver_shocks"), 1.0, ""),
        model.get(0, "band_draws").as_i64().unwrap_or(0),
        model.get(0, "band_seed").as_i64().unwrap_or(0),
        show(&quantiles, 100.0, "%"),
        model
            .get(0, "band_note")
            .as_str()
            .map_or(String::new(), |n| format!("; {n}")),
    );
    let mut data = ValidationData {
        about: Some(about),
        sensitivity_table: Some(journal.sensitivity_table(run.run_id, spec)?),
        attribution_table: Some(journal.attribution_table(run.run_id, spec)?),
        ..ValidationData::default()
    };
    let level_name = j
        .run_config(run)
        .map(|c| c.file.target.column)
        .unwrap_or_else(|| run.target.clone());
    let history = dated(&journal.scenario_history(run.run_id)?);
    let mut notes = Vec::new();
    let mut data_note = |what: &str, e: anyhow::Error| notes.push(format!("no {what}: {e:#}"));

    // The fan with its bands: the outermost quantiles.
    let paths = journal.scenario_paths(run.run_id, spec)?;
    let bands = journal.band_levels(run.run_id, spec)?;
    if let (Some(&lo), Some(&hi)) = (quantiles.first(), quantiles.last()) {
        let band_paths: Vec<BandPaths> = paths
            .iter()
            .filter_map(|(scenario, path)| {
                let of = |q: f64| {
                    bands
                        .iter()
                        .find(|b| &b.scenario == scenario && b.quantile == q)
                        .map(|b| dated(&b.points))
                };
                Some(BandPaths {
                    scenario: scenario.clone(),
                    path: dated(path),
                    lower: of(lo)?,
                    upper: of(hi)?,
                })
            })
            .collect();
        if !band_paths.is_empty() {
            match validation_plots::fan_with_bands(&level_name, &history, &band_paths, (lo, hi)) {
                Ok(p) => data.bands = Some(p),
                Err(e) => data_note("fan with bands", e),
            }
        }
    }

    // The shocked level paths per feature, of the scenarios shown.
    let levels = journal.sensitivity_levels(run.run_id, spec)?;
    let scenarios: Vec<String> = paths.iter().map(|(s, _)| s.clone()).collect();
    let shown: Vec<String> = if all_scenarios {
        scenarios.clone()
    } else {
        journal
            .most_severe_scenario(run.run_id)?
            .into_iter()
            .collect()
    };
    for scenario in &shown {
        let Some(unshocked) = levels
            .iter()
            .find(|l| &l.scenario == scenario && l.shock == ShockKind::None)
        else {
            continue;
        };
        let mut features: Vec<&str> = Vec::new();
        for l in levels.iter().filter(|l| &l.scenario == scenario) {
            if let Some(f) = l.feature.as_deref() {
                if !features.contains(&f) {
                    features.push(f);
                }
            }
        }
        for feature in features {
            let shocked: Vec<Shocked> = levels
                .iter()
                .filter(|l| &l.scenario == scenario && l.feature.as_deref() == Some(feature))
                .map(|l| Shocked {
                    shock: l.shock.as_str().to_string(),
                    k: l.k,
                    path: dated(&l.points),
                })
                .collect();
            match validation_plots::sensitivity(
                &level_name,
                feature,
                scenario,
                &history,
                &dated(&unshocked.points),
                &shocked,
            ) {
                Ok(p) => data.sensitivity.push(p),
                Err(e) => data_note(&format!("sensitivity plot of {feature}"), e),
            }
        }
    }
    data.sensitivity_scenarios = shown;

    // The attribution chart, from its table.
    if let Some(t) = &data.attribution_table {
        if !t.rows.is_empty() {
            let features: Vec<String> = (0..t.rows.len())
                .map(|r| t.get(r, "feature").as_str().unwrap_or("").to_string())
                .collect();
            let effects: Vec<Vec<f64>> = (0..t.rows.len())
                .map(|r| {
                    scenarios
                        .iter()
                        .map(|s| t.get(r, s).as_f64().unwrap_or(f64::NAN))
                        .collect()
                })
                .collect();
            match validation_plots::attribution(&features, &scenarios, &effects) {
                Ok(p) => data.attribution = Some(p),
                Err(e) => data_note("attribution chart", e),
            }
        }
    }

    // Each driver's history and scenario paths.
    let drivers = journal.model_drivers(run.run_id, spec)?;
    let driver_levels = journal.driver_levels(run.run_id, &drivers)?;
    for name in &drivers {
        let mine: Vec<_> = driver_levels.iter().filter(|d| &d.driver == name).collect();
        let Some(first) = mine.first() else { continue };
        let paths: Vec<(String, Dated)> = mine
            .iter()
            .map(|d| (d.scenario.clone(), dated(&d.path)))
            .collect();
        match validation_plots::driver(name, &dated(&first.history), &paths) {
            Ok(p) => data.drivers.push(p),
            Err(e) => data_note(&format!("plot of driver {name}"), e),
        }
    }
    data.plot_notes = notes;
    Ok(data)
}
