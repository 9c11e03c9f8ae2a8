//! Scenario forecasts of passed models (`[scenarios]`): for every passed model (or the top
//! ones) and every scenario, the predicted target transform over the horizon with the
//! journaled in-sample coefficients, its level path (LV as is, DF accumulated and GR
//! compounded from the actual level at p0, a lead shifting the mapping), the quarterly path of
//! a monthly search, the statistics (levels, CAGR, 9Q change, difference from the base) and
//! the ordering check — all written to the journal.
//!
//! `inputs` loads and checks the scenario tables, `columns` rebuilds a model's columns past
//! p0, `project` forecasts one model; the arithmetic is the core's `projection`. Forecasts are
//! derived from the journal and the frozen data only, so a resumed finish or a second
//! `specsearch forecast` with the same inputs writes identical rows.

pub mod columns;
pub mod inputs;
pub mod project;

use anyhow::{Context, Result};
use tracing::warn;

use self::columns::{ColumnCatalogue, ScenarioColumns};
pub use self::inputs::ScenarioInputs;
use self::project::Projector;
use crate::config::{Direction, FitChoice, ModelChoice};
use crate::data::Frequency;
use crate::journal::{ForecastSet, Journal, JournalRw, ModelCoefficients, RunRow, ScenarioRow};
use crate::projection::ModelForecast;
use crate::session::Session;
use crate::spec::FeatureRole;

/// What a forecast step did.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastReport {
    pub scenarios: Vec<String>,
    pub models: usize,
    /// Periods journaled (rows of the view `scenario_forecasts`).
    pub rows: u64,
    /// Models whose 9Q outcomes are out of `scenarios.order`.
    pub out_of_order: usize,
    /// Of those, left out of the ranking (`scenarios.require_order`).
    pub excluded: usize,
    pub inputs_sha256: String,
    /// Notes from loading (scenario values before p0 that disagree with history).
    pub notes: Vec<String>,
}

/// Loads and checks the config's scenario inputs against everything the search can use, so a
/// bad scenario file stops `run` before anything is written. `Ok(None)` without `[scenarios]`.
pub fn check_inputs(session: &Session) -> Result<Option<ScenarioInputs>> {
    let catalogue = ColumnCatalogue::new(&session.built.bundle, &session.plan.composites);
    let columns = &session.built.bundle.catalogue.columns;
    let mut drivers = Vec::new();
    for (id, c) in columns.iter().enumerate() {
        if c.role != FeatureRole::Target && c.pretest.kept {
            catalogue.drivers(id as u32, &mut drivers);
        }
    }
    for c in &session.plan.composites {
        catalogue.drivers(c.id, &mut drivers);
    }
    let inputs = load(
        session,
        &drivers,
        "the search (search.pool, forced, one_of)",
    )?;
    if let Some(inputs) = &inputs {
        for note in inputs.scenarios.iter().flat_map(|s| &s.notes) {
            warn!("{note}");
        }
    }
    Ok(inputs)
}

fn load(session: &Session, drivers: &[String], whose: &str) -> Result<Option<ScenarioInputs>> {
    let built = &session.built;
    Ok(ScenarioInputs::load(
        &session.config,
        &built.bundle,
        &built.metadata,
        drivers,
        whose,
    )?)
}

/// Loads the config's scenario inputs checking only the drivers of the given models (their
/// coefficient names, the intercept first); `whose` names them in messages. `Ok(None)`
/// without `[scenarios]`.
pub fn load_for_models<'m>(
    session: &Session,
    catalogue: &ColumnCatalogue<'_>,
    models: impl IntoIterator<Item = &'m [String]>,
    whose: &str,
) -> Result<Option<ScenarioInputs>> {
    let mut drivers = Vec::new();
    for names in models {
        for name in names.iter().skip(1) {
            if let Some(id) = catalogue.id(name) {
                catalogue.drivers(id, &mut drivers);
            }
        }
    }
    load(session, &drivers, whose)
}

/// Forecasts the run's passed models under the session config's scenarios and replaces the
/// run's forecast set; `Ok(None)` when the config has no `[scenarios]`. With
/// `scenarios.require_order`, models out of order then leave the stored ranking.
pub fn forecast_run(
    journal: &JournalRw,
    run: &RunRow,
    session: &Session,
) -> Result<Option<ForecastReport>> {
    let Some(sc) = &session.config.file.scenarios else {
        return Ok(None);
    };
    let limit = (sc.models == ModelChoice::Top)
        .then(|| sc.top_n.unwrap_or(session.config.file.ranking.top_n));
    let models = journal.ranked_coefficients(run.run_id, limit)?;
    let catalogue = ColumnCatalogue::new(&session.built.bundle, &session.plan.composites);
    let Some(inputs) = load_for_models(
        session,
        &catalogue,
        models.iter().map(|m| m.param_names.as_slice()),
        "the passed models to forecast",
    )?
    else {
        return Ok(None);
    };
    let models = match inputs.fit {
        FitChoice::In => models,
        FitChoice::Full => full_sample_coefficients(session, &catalogue, models)?,
    };
    let forecasts = forecast_models(&inputs, &catalogue, session, &models)?;
    let set = forecast_set(&inputs, session, &forecasts);
    let rows = journal
        .write_forecast_set(run.run_id, &set)
        .with_context(|| format!("journaling the scenario forecasts of run {}", run.name))?;
    let out_of_order = forecasts
        .iter()
        .filter(|f| f.in_order == Some(false))
        .count();
    let excluded = if inputs.require_order {
        journal.exclude_out_of_order(run.run_id)?
    } else {
        0
    };
    Ok(Some(ForecastReport {
        scenarios: inputs.scenarios.iter().map(|s| s.name.clone()).collect(),
        models: forecasts.len(),
        rows,
        out_of_order,
        excluded,
        inputs_sha256: set.inputs_sha256,
        notes: inputs
            .scenarios
            .iter()
            .flat_map(|s| s.notes.iter().cloned())
            .collect(),
    }))
}

/// The models with the coefficients of their full-sample refit (§9, `[scenarios] fit =
/// "full"`): the same columns fitted by the kernel on every row up to `sample.full_end`,
/// outliers left out (the coefficients do not depend on the covariance choice).
fn full_sample_coefficients(
    session: &Session,
    catalogue: &ColumnCatalogue<'_>,
    models: Vec<ModelCoefficients>,
) -> Result<Vec<ModelCoefficients>> {
    use crate::assess::{ColumnData, Evaluator, Status, TargetData};
    let bundle = &session.built.bundle;
    let rows = bundle.full_fit_rows();
    let gather = |values: &[f64]| -> Vec<f64> { rows.iter().map(|&r| values[r]).collect() };
    let target = &bundle.catalogue.columns[0];
    let y = gather(&target.values);
    let n_frozen = bundle.catalogue.len() as u32;
    models
        .into_iter()
        .map(|mut m| {
            let mut columns = Vec::with_capacity(m.param_names.len() - 1);
            for name in &m.param_names[1..] {
                let id = catalogue.id(name).ok_or_else(|| {
                    anyhow::anyhow!(
                        "spec {}: coefficient {name} is not a column of this search",
                        m.spec_index
                    )
                })?;
                let values = if id < n_frozen {
                    gather(&bundle.catalogue.columns[id as usize].values)
                } else {
                    let def = &session.plan.composites[(id - n_frozen) as usize];
                    gather(&def.kind.values(
                        |s| &bundle.catalogue.columns[s as usize].values,
                        bundle.n_rows(),
                    ))
                };
                columns.push((name.as_str(), values));
            }
            let data: Vec<ColumnData<'_>> = columns
                .iter()
                .map(|(name, x)| ColumnData {
                    name,
                    in_sample: x,
                    out_of_sample: &[],
                    expected_sign: 0,
                    is_dummy: false,
                    dummy_group: None,
                    unit_root: None,
                })
                .collect();
            let outcome = Evaluator::report_of(
                TargetData {
                    name: &target.name,
                    in_sample: &y,
                    out_of_sample: &[],
                    // Only the coefficients are used: no cointegration pretests needed.
                    stationary: true,
                },
                &data,
                session.config.file.filters.clone(),
            )?;
            if outcome.status == Status::Error || outcome.params.is_empty() {
                anyhow::bail!(
                    "spec {}: the full-sample refit ([scenarios] fit = \"full\") cannot be \
                     fitted on the {} rows up to sample.full_end: {}",
                    m.spec_index,
                    rows.len(),
                    outcome
                        .message
                        .as_deref()
                        .unwrap_or("its design is rank-deficient")
                );
            }
            m.params = outcome.params;
            Ok(m)
        })
        .collect()
}

/// Whether the run's forecast set (if any) came from other scenario inputs than `inputs`.
pub fn forecast_is_stale(journal: &Journal, run: &RunRow, inputs: &ScenarioInputs) -> Result<bool> {
    let stored = journal.forecast_set(run.run_id)?.map(|s| s.inputs_sha256);
    Ok(stored.as_deref() != Some(inputs.inputs_sha256().as_str()))
}

/// Forecasts `models` under every scenario of `inputs`.
pub fn forecast_models(
    inputs: &ScenarioInputs,
    catalogue: &ColumnCatalogue<'_>,
    session: &Session,
    models: &[ModelCoefficients],
) -> Result<Vec<ModelForecast>> {
    let projector = Projector::new(inputs, catalogue, &session.config.file.target)?;
    let mut columns: Vec<ScenarioColumns<'_>> = inputs
        .scenarios
        .iter()
        .map(|s| ScenarioColumns::new(catalogue, inputs, s))
        .collect();
    models
        .iter()
        .map(|m| projector.forecast(m, &mut columns))
        .collect()
}

fn forecast_set<'a>(
    inputs: &ScenarioInputs,
    session: &Session,
    models: &'a [ModelForecast],
) -> ForecastSet<'a> {
    let date = |d: &chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let dates: Vec<String> = inputs.dates.iter().map(date).collect();
    let quarter_dates = match inputs.frequency {
        Frequency::Quarterly => dates.clone(),
        Frequency::Monthly => inputs.dates.chunks_exact(3).map(|q| date(&q[2])).collect(),
    };
    let bundle = &session.built.bundle;
    let target = &session.config.file.target.column;
    let levels = bundle
        .base_series
        .iter()
        .find(|(n, _)| n == target)
        .map(|(_, v)| v.as_slice())
        .unwrap_or(&[]);
    let history = bundle.dates[..=inputs.p0_row]
        .iter()
        .zip(levels)
        .map(|(d, l)| (date(d), *l))
        .collect();
    let scenarios = inputs
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| ScenarioRow {
            name: s.name.clone(),
            is_base: i == inputs.base,
            order_position: inputs.order.iter().position(|&o| o == i),
            sources: serde_json::to_string(&s.sources).expect("sources serialise"),
            notes: (!s.notes.is_empty())
                .then(|| serde_json::to_string(&s.notes).expect("notes serialise")),
        })
        .collect();
    ForecastSet {
        p0: date(&inputs.p0),
        frequency: match inputs.frequency {
            Frequency::Monthly => "M",
            Frequency::Quarterly => "Q",
        },
        dates,
        quarter_dates,
        aggregation: inputs.aggregation.as_str(),
        direction: match inputs.direction {
            Direction::Down => "down",
            Direction::Up => "up",
        },
        inputs_sha256: inputs.inputs_sha256(),
        scenarios,
        history,
        models,
    }
}
