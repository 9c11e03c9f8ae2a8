//! The sensitivity analysis of docs/semantics.md §10, its attribution and the uncertainty
//! bands of a model's scenario paths, journaled (views `sensitivity_paths`,
//! `sensitivity_stats`, `scenario_attribution`, `scenario_bands`).
//!
//! Per model, from its [`ModelContext`]: each shockable feature (every regressor except the
//! periodic dummies `M:k` / `Q:k`; composites and other dummies included) shocked alone in
//! every scenario — its coefficient by ±k·SE (the model's SE, robust when the covariance
//! choice chose it) and the feature itself by ±k·σ (σ: sample std, ddof 1, of its in-sample
//! column; σ = 0 leaves it unshocked, with a note) — each path converted to levels, quarters
//! and statistics as the forecasts are; each term's contribution and each driver's
//! frozen-at-p0 effect; the prediction interval of the transform and the simulated band of the
//! levels (`[validation.bands]`). The arithmetic is the core's `projection::shocks` and
//! `projection::bands`; models are computed in parallel, each from its own random stream, so
//! the rows do not depend on the number of threads.

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::{AnalysisReport, Frame, ModelContext};
use crate::data::Frequency;
use crate::journal::{
    AttributionTerm, DriverPath, JournalRw, ModelSensitivity, ScenarioAttribution, ScenarioBand,
    SensitivityFeature, SensitivitySet, INTERCEPT,
};
use crate::projection::bands::{self, Draws, FitUncertainty};
use crate::projection::shocks::{self, FeatureScale, Sensitivity};
use crate::stats::CovType;

/// The analysis's name in reports.
pub const NAME: &str = "sensitivity";

/// Computes and journals the sensitivity, attribution and bands of every model of `models`
/// that has scenario forecasts; the others are noted (all of them, with the reason, when the
/// run has no scenario paths to analyse).
pub fn run(
    frame: &Frame<'_>,
    models: &[ModelContext],
    journal: &JournalRw,
) -> Result<AnalysisReport> {
    let Some(inputs) = &frame.scenarios else {
        let why = frame
            .scenarios_missing
            .clone()
            .unwrap_or_else(|| "no scenario inputs".into());
        return Ok(AnalysisReport {
            name: NAME,
            models: 0,
            rows: 0,
            summary: format!("not done: {why}"),
            notes: Vec::new(),
        });
    };
    if let Some(summary) = frame.ratio_target_note() {
        return Ok(AnalysisReport {
            name: NAME,
            models: 0,
            rows: 0,
            summary,
            notes: Vec::new(),
        });
    }
    let mut notes = Vec::new();
    // Models without scenario paths, one note per reason.
    let mut missing: Vec<(&str, Vec<String>)> = Vec::new();
    let covered: Vec<&ModelContext> = models
        .iter()
        .filter(|m| match &m.scenarios {
            Ok(_) => true,
            Err(why) => {
                match missing.iter_mut().find(|(w, _)| *w == why.as_str()) {
                    Some((_, labels)) => labels.push(m.label()),
                    None => missing.push((why, vec![m.label()])),
                }
                false
            }
        })
        .collect();
    for (why, labels) in missing {
        notes.push(format!("not analysed: {}: {why}", labels.join(", ")));
    }
    let computed: Vec<(ModelSensitivity, Vec<String>)> = covered
        .par_iter()
        .map(|m| analyse(frame, m).with_context(|| format!("the sensitivity of {}", m.label())))
        .collect::<Result<_>>()?;
    let mut results = Vec::with_capacity(computed.len());
    for (r, n) in computed {
        results.push(r);
        notes.extend(n);
    }
    let settings = frame.settings;
    let projector = frame.projector()?;
    let names: Vec<String> = inputs.scenarios.iter().map(|s| s.name.clone()).collect();
    let drivers = driver_paths(frame, &results);
    let inputs_sha256 = inputs.inputs_sha256();
    let set = SensitivitySet {
        inputs_sha256: &inputs_sha256,
        frequency: match inputs.frequency {
            Frequency::Monthly => "M",
            Frequency::Quarterly => "Q",
        },
        scenarios: &names,
        p0_level: projector.history().last().copied().unwrap_or(f64::NAN),
        coefficient_shocks: &settings.coefficient_shocks,
        driver_shocks: &settings.driver_shocks,
        band_draws: settings.bands.draws,
        band_seed: settings.bands.seed,
        band_quantiles: &settings.bands.quantiles,
        models: &results,
        drivers: &drivers,
    };
    let rows = journal
        .write_sensitivity(frame.run.run_id, &set)
        .with_context(|| format!("journaling the sensitivity of run {}", frame.run.name))?;
    let list = |ks: &[f64], unit: &str| {
        let ks: Vec<String> = ks.iter().map(|k| k.to_string()).collect();
        format!("± {} {unit}", ks.join(", "))
    };
    let quantiles: Vec<String> = settings
        .bands
        .quantiles
        .iter()
        .map(|q| format!("{}%", 100.0 * q))
        .collect();
    let summary = format!(
        "{} model(s) × {} scenario(s), {rows} paths journaled: coefficients {}, features {} \
         (each the transformed, lagged column); bands of {} draws ({})",
        results.len(),
        names.len(),
        list(&settings.coefficient_shocks, "SE"),
        list(&settings.driver_shocks, "σ"),
        settings.bands.draws,
        quantiles.join(", ")
    );
    Ok(AnalysisReport {
        name: NAME,
        models: results.len(),
        rows,
        summary,
        notes,
    })
}

/// The history and scenario paths of every driver of `models` (the data series their features
/// are computed from), as the scenario forecasts read them.
fn driver_paths(frame: &Frame<'_>, models: &[ModelSensitivity]) -> Vec<DriverPath> {
    let Some(inputs) = &frame.scenarios else {
        return Vec::new();
    };
    let mut names: Vec<&String> = models.iter().flat_map(|m| &m.drivers).collect();
    names.sort();
    names.dedup();
    let bundle = &frame.session.built.bundle;
    let mut out = Vec::new();
    for name in names {
        let Some((_, history)) = bundle.base_series.iter().find(|(n, _)| n == name) else {
            continue;
        };
        for (s, scenario) in inputs.scenarios.iter().enumerate() {
            if let Some(path) = scenario.values.get(name) {
                out.push(DriverPath {
                    scenario: s,
                    driver: name.clone(),
                    history: history[..=inputs.p0_row].to_vec(),
                    path: path.clone(),
                });
            }
        }
    }
    out
}

/// One model's sensitivity, attribution and band (what the journal keeps), and its notes.
/// The model must have scenario paths (`m.scenarios` is `Ok`).
pub fn analyse(frame: &Frame<'_>, m: &ModelContext) -> Result<(ModelSensitivity, Vec<String>)> {
    let settings = frame.settings;
    let scenarios = m
        .scenarios
        .as_ref()
        .expect("only models with scenario paths are analysed");
    let inputs = frame
        .scenarios
        .as_ref()
        .expect("a frame with scenario inputs");
    let projector = frame.projector()?;
    let levels = projector.level_paths();
    let params = m.params();
    let bse = &m.detail.outcome.bse;
    let mut notes = Vec::new();
    let mut features = Vec::with_capacity(m.terms.len());
    let mut scales = Vec::new();
    for t in &m.terms {
        let sigma = shocks::sample_std(&m.in_sample(t.term));
        let se = bse.get(t.term).copied().unwrap_or(f64::NAN);
        let (coefficient_shocked, driver_shocked, note) = if t.periodic_dummy {
            (
                false,
                false,
                Some("a periodic dummy (seasonality): not shocked".to_string()),
            )
        } else {
            let scale = FeatureScale {
                term: t.term,
                coef: params[t.term],
                se,
                sigma,
            };
            let coefficient = se.is_finite();
            let driver = scale.driver_shockable();
            let note = (!driver).then(|| {
                format!(
                    "σ = {sigma} over the fit's rows: the feature is not shocked (a constant \
                     column moves nothing)"
                )
            });
            if let Some(n) = &note {
                notes.push(format!("{}: {}: {n}", m.label(), t.name));
            }
            if coefficient {
                scales.push(scale);
            }
            (coefficient, driver, note)
        };
        features.push(SensitivityFeature {
            term: t.term,
            feature: t.name.clone(),
            coef: params[t.term],
            se: Some(se),
            sigma: Some(sigma),
            coefficient_shocked,
            driver_shocked,
            note,
        });
    }
    let paths = Sensitivity {
        levels,
        params,
        features: &scales,
        coefficient_shocks: &settings.coefficient_shocks,
        driver_shocks: &settings.driver_shocks,
        scenarios: &scenarios.designs,
        base: inputs.base,
    }
    .paths()
    .context("the target's history before p0 is too short for its transform")?;

    let shockable: Vec<usize> = m
        .terms
        .iter()
        .filter(|t| !t.periodic_dummy)
        .map(|t| t.term)
        .collect();
    let mut attribution = Vec::with_capacity(scenarios.designs.len());
    for (s, design) in scenarios.designs.iter().enumerate() {
        let terms = shocks::attribution(
            &levels,
            params,
            design,
            &scenarios.forecast.paths[s],
            &shockable,
        )
        .context("the target's history before p0 is too short for its transform")?;
        attribution.push(ScenarioAttribution {
            scenario: s,
            terms: terms
                .into_iter()
                .map(|a| AttributionTerm {
                    feature: match a.term {
                        0 => INTERCEPT.to_string(),
                        k => m.terms[k - 1].name.clone(),
                    },
                    coef: params[a.term],
                    values: match a.term {
                        0 => vec![1.0; design.periods()],
                        k => design.x[k - 1].clone(),
                    },
                    term: a.term,
                    contribution: a.contribution,
                    effect_9q: a.effect_9q,
                })
                .collect(),
        });
    }

    let fit = FitUncertainty {
        params,
        cov: &m.fit.cov,
        scale: m.fit.scale,
        df_resid: m.fit.df_resid as f64,
    };
    let designs: Vec<&[Vec<f64>]> = scenarios.designs.iter().map(|d| d.x.as_slice()).collect();
    let quantiles = &settings.bands.quantiles;
    let draws = Draws {
        draws: settings.bands.draws,
        seed: settings.bands.seed,
        stream: m.model.spec_index,
        quantiles,
    };
    let mut drivers = Vec::new();
    for t in &m.terms {
        frame.catalogue.drivers(t.id, &mut drivers);
    }
    let (bands, band_note) = match bands::simulate(&fit, &levels, &designs, &draws) {
        Ok(simulated) => (
            simulated
                .into_iter()
                .enumerate()
                .map(|(s, band)| ScenarioBand {
                    scenario: s,
                    transform: fit.prediction_quantiles(
                        &scenarios.designs[s].x,
                        &scenarios.forecast.paths[s].transform,
                        quantiles,
                    ),
                    levels: band.levels,
                    quarterly: band.quarterly,
                })
                .collect(),
            None,
        ),
        Err(e) => {
            let note = format!("no uncertainty band: {e}");
            notes.push(format!("{}: {note}", m.label()));
            (Vec::new(), Some(note))
        }
    };
    Ok((
        ModelSensitivity {
            spec_index: m.model.spec_index,
            cov_type: m
                .detail
                .outcome
                .cov_type
                .unwrap_or(CovType::NonRobust)
                .as_str()
                .to_string(),
            hac_lags: m.fit.hac_lags,
            nobs: m.fit.nobs,
            df_resid: m.fit.df_resid,
            resid_variance: m.fit.scale,
            band_note,
            features,
            paths,
            attribution,
            bands,
            drivers,
        },
        notes,
    ))
}
