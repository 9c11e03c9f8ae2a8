//! Benchmarks and the incumbent (docs/semantics.md §13), derived once per run at its finish
//! (and again by `specsearch forecast`): the no-change forecast, the historical mean, an AR(1)
//! of the target transform and the forced items alone, each with §5's reported statistics,
//! §7's error metrics and §8's scenario paths; the `[incumbent]` model scored and projected like
//! a passed model; the passed models whose fits are the same; and what the run searched (its
//! data files and calendar, for `compare`). All journaled in one transaction.
//!
//! `fit` builds the models and their statistics, `same_fit` groups identical fits; this module
//! checks the incumbent against the data and ties the steps together.
//!
//! `backtest` gives each of them §12's backtest summary, from the validated models' jump-offs.

mod backtest;
mod fit;
mod same_fit;

use anyhow::{anyhow, Context, Result};

use self::fit::Forecastable;
use crate::journal::{BenchmarkForecasts, JournalRw, ModelCoefficients, RunInputs, RunRow};
use crate::scenario::columns::{ColumnCatalogue, ScenarioColumns};
use crate::scenario::project::Projector;
use crate::scenario::ScenarioInputs;
use crate::session::Session;
use crate::spec::FeatureRole;

pub use backtest::summaries as backtest_summaries;
pub use fit::{fit_models, Model};
pub use same_fit::{same_fit_groups, SAME_FIT_TOLERANCE};

/// What deriving the benchmarks did.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkReport {
    /// Benchmarks fitted (the incumbent not counted).
    pub benchmarks: usize,
    pub incumbent: bool,
    /// Passed models whose fit equals a better one's.
    pub same_fits: usize,
    /// Whether the benchmarks were projected under the run's scenarios.
    pub forecast: bool,
    pub notes: Vec<String>,
}

/// The column ids of the `[incumbent]` features (in the order given), checked against the
/// search: each must be a column of the frozen catalogue (a variant, a dummy) or a composite of
/// the plan, never the target. `Ok(None)` without `[incumbent]`. Run before anything is
/// written, so a bad incumbent stops `run` with the key to fix.
pub fn check_incumbent(session: &Session) -> Result<Option<Vec<u32>>> {
    let Some(inc) = &session.config.file.incumbent else {
        return Ok(None);
    };
    let catalogue = ColumnCatalogue::new(&session.built.bundle, &session.plan.composites);
    let frozen = &session.built.bundle.catalogue;
    let mut ids = Vec::with_capacity(inc.features.len());
    for (i, name) in inc.features.iter().enumerate() {
        let id = catalogue.id(name.trim()).filter(|&id| {
            (id as usize) >= frozen.len()
                || !matches!(
                    frozen.columns[id as usize].role,
                    FeatureRole::Target | FeatureRole::Base
                )
        });
        let Some(id) = id else {
            let near = nearest(name, frozen.columns.iter().map(|c| c.name.as_str()));
            return Err(anyhow!(
                "{}: `incumbent.features[{i}]`: {name:?} is not a column of this search{}; \
                 the incumbent's features are variants of variables in search.pool or \
                 search.forced (pretest exclusions allowed: `specsearch plan CONFIG --list` \
                 names them), dummies such as `Q:2`, or composites of the search",
                session.config.path.display(),
                near.map(|n| format!(" (did you mean {n}?)"))
                    .unwrap_or_default()
            ));
        };
        ids.push(id);
    }
    if session.config.file.scenarios.is_some() {
        // The incumbent is projected like a passed model: its drivers need scenario values.
        let mut drivers = Vec::new();
        for &id in &ids {
            catalogue.drivers(id, &mut drivers);
        }
        let b = &session.built;
        ScenarioInputs::load(
            &session.config,
            &b.bundle,
            &b.metadata,
            &drivers,
            "the incumbent ([incumbent] features)",
        )?;
    }
    Ok(Some(ids))
}

/// The name among `names` closest to `name`, when it is close.
fn nearest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names
        .map(|n| (strsim::jaro_winkler(name, n), n))
        .filter(|(s, _)| *s > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

/// Fits the benchmarks and the incumbent of `run`, projects them under the config's scenarios
/// (when the run has a forecast set), finds the passed models with the same fit, records the
/// run's inputs, and journals it all (replacing what an earlier finish wrote).
pub fn derive(journal: &JournalRw, run: &RunRow, session: &Session) -> Result<BenchmarkReport> {
    let incumbent = check_incumbent(session)?;
    let mut notes = Vec::new();
    let models = fit_models(session, incumbent.as_deref(), &mut notes)?;
    let ranked = journal.ranked_coefficients(run.run_id, None)?;
    let same = same_fit_groups(session, &ranked)?;

    let forecast_set = journal.forecast_set(run.run_id)?;
    let forecasts = match (&forecast_set, &session.config.file.scenarios) {
        (Some(_), Some(_)) => forecast(session, &models, &mut notes)?,
        _ => None,
    };
    let fits: Vec<_> = models.iter().map(|m| m.fit.clone()).collect();
    let set = forecasts.as_ref().map(|(inputs, f)| BenchmarkForecasts {
        frequency: match inputs.frequency {
            crate::data::Frequency::Monthly => "M",
            crate::data::Frequency::Quarterly => "Q",
        },
        scenarios: inputs.scenarios.iter().map(|s| s.name.clone()).collect(),
        p0_level: target_levels(session).map_or(f64::NAN, |l| l[inputs.p0_row]),
        models: f.iter().map(|(n, m)| (n.as_str(), m)).collect(),
    });
    journal
        .write_benchmarks(run.run_id, &fits, set.as_ref(), &same)
        .with_context(|| format!("journaling the benchmarks of run {}", run.name))?;
    let backtests = backtest::summaries(session, &models, &mut notes);
    journal
        .write_benchmark_backtests(run.run_id, &backtests)
        .with_context(|| format!("journaling the benchmarks' backtests of run {}", run.name))?;
    journal.write_run_inputs(run.run_id, &run_inputs(session))?;
    Ok(BenchmarkReport {
        benchmarks: models
            .iter()
            .filter(|m| m.fit.kind() == "benchmark")
            .count(),
        incumbent: incumbent.is_some(),
        same_fits: same.len(),
        forecast: forecasts.is_some(),
        notes,
    })
}

fn target_levels(session: &Session) -> Option<&[f64]> {
    let target = &session.config.file.target.column;
    session
        .built
        .bundle
        .base_series
        .iter()
        .find(|(n, _)| n == target)
        .map(|(_, v)| v.as_slice())
}

type Forecasts = (
    ScenarioInputs,
    Vec<(String, crate::projection::ModelForecast)>,
);

/// Every model projected under the config's scenarios (models that cannot be are noted and
/// left out); `Ok(None)` without `[scenarios]`.
pub fn forecast(
    session: &Session,
    models: &[Model],
    notes: &mut Vec<String>,
) -> Result<Option<Forecasts>> {
    let built = &session.built;
    let catalogue = ColumnCatalogue::new(&built.bundle, &session.plan.composites);
    let mut drivers = Vec::new();
    for m in models {
        if let Forecastable::Coefficients(c) = &m.forecastable {
            for name in &c.param_names[1..] {
                if let Some(id) = catalogue.id(name) {
                    catalogue.drivers(id, &mut drivers);
                }
            }
        }
    }
    let Some(inputs) = ScenarioInputs::load(
        &session.config,
        &built.bundle,
        &built.metadata,
        &drivers,
        "the benchmarks and the incumbent",
    )?
    else {
        return Ok(None);
    };
    let projector = Projector::new(&inputs, &catalogue, &session.config.file.target)?;
    let mut columns: Vec<ScenarioColumns<'_>> = inputs
        .scenarios
        .iter()
        .map(|s| ScenarioColumns::new(&catalogue, &inputs, s))
        .collect();
    let n = inputs.dates.len();
    let scenarios = inputs.scenarios.len();
    let y = &built.bundle.catalogue.columns[0].values;
    let mut out = Vec::with_capacity(models.len());
    for m in models {
        let transforms = match &m.forecastable {
            Forecastable::Constant(v) => Some(vec![vec![*v; n]; scenarios]),
            Forecastable::LastLevel => {
                let l0 = projector.history()[inputs.p0_row];
                Some(vec![vec![l0; n]; scenarios])
            }
            Forecastable::Ar1 { intercept, phi } => {
                // The transform at p0 is the target column `lead` rows earlier (the column
                // holds the transform `lead` periods ahead).
                let start = inputs
                    .p0_row
                    .checked_sub(projector.lead())
                    .map_or(f64::NAN, |r| y[r]);
                if start.is_finite() {
                    let path =
                        specsearch_core::benchmark::ar1_recursive(*intercept, *phi, start, n);
                    Some(vec![path; scenarios])
                } else {
                    notes.push(format!(
                        "{}: the target transform at p0 {} has no value, so the AR(1) cannot \
                         be projected from it",
                        m.fit.name, inputs.p0
                    ));
                    None
                }
            }
            Forecastable::Coefficients(c) => {
                out.push((m.fit.name.clone(), projector.forecast(c, &mut columns)?));
                continue;
            }
            Forecastable::Not(why) => {
                notes.push(format!("{}: not projected: {why}", m.fit.name));
                None
            }
        };
        if let Some(t) = transforms {
            out.push((
                m.fit.name.clone(),
                projector.forecast_transforms(
                    0,
                    None,
                    t,
                    projector.exposures(&mut columns)?.as_deref(),
                )?,
            ));
        }
    }
    Ok(Some((inputs, out)))
}

/// What the run searched: its calendar, samples and input files.
pub fn run_inputs(session: &Session) -> RunInputs {
    let b = &session.built.bundle;
    let date = |i: usize| b.dates[i].format("%Y-%m-%d").to_string();
    RunInputs {
        frequency: match b.frequency {
            crate::data::Frequency::Monthly => "M".into(),
            crate::data::Frequency::Quarterly => "Q".into(),
        },
        first_date: date(0),
        last_date: date(b.dates.len() - 1),
        rows: b.dates.len() as u64,
        in_start: date(b.sample.in_start),
        in_end: date(b.sample.in_end),
        full_end: date(b.sample.full_end),
        sources: b
            .sources
            .iter()
            .map(|s| (s.path.display().to_string(), s.sha256.clone()))
            .collect(),
    }
}

/// The coefficients of a fitted model as the scenario projection takes them.
fn coefficients(names: &[String], params: &[f64]) -> ModelCoefficients {
    ModelCoefficients {
        spec_index: 0,
        rank: None,
        param_names: names.to_vec(),
        params: params.to_vec(),
    }
}
