//! Validation of a run's best models: the analyses a model validator runs on a projection
//! model, computed from the journal and the frozen data and journaled next to the run.
//!
//! - [`select`]: which models (the best `validation.top_n` of the stored ranking, or the ranks
//!   and spec indices a person names);
//! - [`Frame`]: what every analysis of a run shares (the session's data and plan, the run, the
//!   `[validation]` settings, the config's scenario inputs when the run's forecasts came from
//!   them);
//! - [`ModelContext`] (`context`): what every analysis of one model needs, loaded once;
//! - one module per analysis, each `run(frame, models, journal) -> AnalysisReport`:
//!   [`sensitivity`] (docs/semantics.md §10: shocked paths, attribution, uncertainty bands),
//!   [`stability`] (§11: walk-forward trials, recursive coefficients, break tests) and
//!   [`backtest`] (§12: dynamic backtests); the last two share the `[stability]` and
//!   `[backtest]` settings resolved on the data ([`stability_inputs`]).
//!
//! [`validate_run`] selects, loads and runs every analysis in turn: a further analysis is one
//! module and one call there. `specsearch validate` runs it for the models named; the finish
//! of `run` (and of `forecast`) runs it for the best models after the forecasts. Every analysis
//! replaces its own rows of the models it covers, so running it again with the same inputs
//! writes identical rows.

pub mod backtest;
pub mod context;
pub mod select;
pub mod sensitivity;
pub mod stability;
pub mod stability_inputs;

use std::collections::HashSet;

use anyhow::{bail, Result};

pub use self::context::{ModelContext, ModelScenarios, Term};
pub use self::select::{select_models, SelectedModel, Selection};
use crate::config::ValidationConfig;
use crate::journal::{Journal, JournalRw, RunRow};
use crate::scenario::columns::ColumnCatalogue;
use crate::scenario::project::Projector;
use crate::scenario::{self, ScenarioInputs};
use crate::session::Session;

/// What every analysis of a run shares.
pub struct Frame<'s> {
    pub session: &'s Session,
    pub run: &'s RunRow,
    pub settings: &'s ValidationConfig,
    /// The column names of the search (frozen columns and the plan's composites).
    pub catalogue: ColumnCatalogue<'s>,
    /// The config's scenario inputs, when the run's forecast set came from them.
    pub scenarios: Option<ScenarioInputs>,
    /// Why there are no scenario paths to analyse (`None` when `scenarios` is there).
    pub scenarios_missing: Option<String>,
    /// The spec indices the run's forecast set holds.
    pub forecast_specs: HashSet<u64>,
}

impl<'s> Frame<'s> {
    /// Why an analysis that converts projected transforms to levels is not done for this
    /// target: a ratio target (§9, `target.exposure`) needs the exposure's path, which the
    /// sensitivity, bands and backtests do not take yet (the scenario forecasts do).
    pub fn ratio_target_note(&self) -> Option<String> {
        self.session.config.file.target.exposure.as_ref().map(|e| {
            format!(
                "not done: the target is a ratio to {e} (target.exposure), which this analysis \
                 does not convert to levels yet"
            )
        })
    }

    /// The frame of `run` for the models `models`: the scenario inputs are loaded and checked
    /// for the drivers of those models.
    pub fn open(
        journal: &Journal,
        run: &'s RunRow,
        session: &'s Session,
        models: &[SelectedModel],
    ) -> Result<Frame<'s>> {
        let config = &session.config;
        let catalogue = ColumnCatalogue::new(&session.built.bundle, &session.plan.composites);
        let mut names = Vec::with_capacity(models.len());
        for m in models {
            let row = journal.spec_row(run.run_id, m.spec_index)?;
            if let Some(text) = row.and_then(|r| r.detail) {
                let what = format!("spec {} of run {}", m.spec_index, run.name);
                names.push(crate::journal::PassedDetail::parse(&text, &what)?.param_names);
            }
        }
        let inputs = scenario::load_for_models(
            session,
            &catalogue,
            names.iter().map(Vec::as_slice),
            "the models to validate",
        )?;
        let set = journal.forecast_set(run.run_id)?;
        let command = format!("specsearch forecast {}", config.path.display());
        let (scenarios, scenarios_missing) = match (inputs, &set) {
            (None, _) => (
                None,
                Some(format!(
                    "{} has no [scenarios] section: no scenario paths to analyse",
                    config.path.display()
                )),
            ),
            (Some(_), None) => (
                None,
                Some(format!(
                    "run {} has no scenario forecasts: run `{command}` first",
                    run.name
                )),
            ),
            (Some(inputs), Some(set)) if set.inputs_sha256 != inputs.inputs_sha256() => (
                None,
                Some(format!(
                    "the forecasts of run {} came from other scenario inputs than {} has now \
                     (inputs {} vs {}): run `{command}` first",
                    run.name,
                    config.path.display(),
                    &set.inputs_sha256[..12],
                    &inputs.inputs_sha256()[..12]
                )),
            ),
            (Some(inputs), Some(_)) => (Some(inputs), None),
        };
        let forecast_specs = match (&scenarios, &set) {
            (Some(_), Some(set)) => set
                .base
                .as_ref()
                .or(set.scenarios.first())
                .map(|base| journal.pct_change_9q(run.run_id, base))
                .transpose()?
                .flatten()
                .map(|m| m.into_keys().collect())
                .unwrap_or_default(),
            _ => HashSet::new(),
        };
        Ok(Frame {
            session,
            run,
            settings: &config.file.validation,
            catalogue,
            scenarios,
            scenarios_missing,
            forecast_specs,
        })
    }

    /// The scenario projection of the run's target (levels, lead), when the frame has
    /// scenario inputs.
    pub fn projector(&self) -> Result<Projector<'_>> {
        let Some(inputs) = &self.scenarios else {
            bail!(
                "{}",
                self.scenarios_missing
                    .as_deref()
                    .unwrap_or("no scenario inputs")
            );
        };
        Projector::new(inputs, &self.catalogue, &self.session.config.file.target)
    }

    /// The scenario names in the frame's order (empty without scenario inputs).
    pub fn scenario_names(&self) -> Vec<&str> {
        self.scenarios
            .iter()
            .flat_map(|i| i.scenarios.iter().map(|s| s.name.as_str()))
            .collect()
    }
}

/// What one analysis did.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisReport {
    /// Its name (`sensitivity`).
    pub name: &'static str,
    /// Models analysed.
    pub models: usize,
    /// Rows journaled (the analysis's own count: paths, periods…).
    pub rows: u64,
    /// One line on what was computed, for people.
    pub summary: String,
    /// What was left out and why (a model without forecasts, a driver with σ = 0, …).
    pub notes: Vec<String>,
}

/// What a validation did.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationReport {
    /// The models validated, in the order selected.
    pub models: Vec<SelectedModel>,
    /// Each analysis in the order run.
    pub analyses: Vec<AnalysisReport>,
}

/// Validates the models `selection` names (default: the best `validation.top_n`) of a
/// complete run with every analysis, journaling each. When models are named explicitly and
/// the config has `[scenarios]`, a model without usable forecasts (none in the run, or made
/// from other scenario inputs) is an error before anything is written; for the default
/// selection it is a note.
pub fn validate_run(
    journal: &JournalRw,
    run: &RunRow,
    session: &Session,
    selection: &Selection,
) -> Result<ValidationReport> {
    let settings = &session.config.file.validation;
    // Settings checked against the data before any analysis writes.
    let stability_inputs = stability_inputs::StabilityInputs::resolve(session)?;
    let models = select_models(journal, run, selection, settings.top_n)?;
    let frame = Frame::open(journal, run, session, &models)?;
    let contexts = models
        .iter()
        .map(|&m| ModelContext::load(&frame, journal, m))
        .collect::<Result<Vec<_>>>()?;
    if selection.is_explicit() && session.config.file.scenarios.is_some() {
        if let Some(why) = &frame.scenarios_missing {
            bail!("{why}");
        }
        if let Some(c) = contexts.iter().find(|c| c.scenarios.is_err()) {
            let why = c.scenarios.as_ref().err().map_or("", String::as_str);
            bail!("{} of run {}: {why}", c.label(), run.name);
        }
    }
    // One call per analysis, in order.
    let analyses = vec![
        sensitivity::run(&frame, &contexts, journal)?,
        stability::run(&frame, &stability_inputs, &contexts, journal)?,
        backtest::run(&frame, &stability_inputs, &contexts, journal)?,
    ];
    Ok(ValidationReport { models, analyses })
}
