//! What every analysis of one model needs, loaded once: the journaled detail (coefficients,
//! SEs, covariance choice), the model's columns over the full sample from the session's bundle
//! with the fit recomputed from them (coefficient covariance, residual variance, degrees of
//! freedom), and — when the run has forecasts of it under the config's scenarios — its
//! unshocked forecasts and its regressors past p0 under every scenario.

use anyhow::{anyhow, Context, Result};

use super::{Frame, SelectedModel};
use crate::journal::{Journal, ModelCoefficients, PassedDetail};
use crate::projection::shocks::ScenarioDesign;
use crate::projection::ModelForecast;
use crate::results::series::ModelData;
use crate::scenario::columns::ScenarioColumns;
use crate::spec::FeatureRole;
use crate::stats::summary::FitSummary;
use crate::stats::CovType;

/// One regressor of a model (coefficient `term`, the intercept being term 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub term: usize,
    pub name: String,
    /// Column id (frozen or composite).
    pub id: u32,
    /// A dummy of the periodic helper columns `M` or `Q` (`M:3`, `Q:2`): seasonality, which no
    /// analysis shocks or freezes.
    pub periodic_dummy: bool,
}

/// A model's paths under the run's scenarios (the frame's scenario order).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelScenarios {
    /// The unshocked forecasts: the same numbers as the run's journaled forecast set.
    pub forecast: ModelForecast,
    /// The regressors predicting each forecast period, and their values at p0.
    pub designs: Vec<ScenarioDesign>,
}

/// Everything the analyses of one model share.
#[derive(Debug, Clone)]
pub struct ModelContext {
    pub model: SelectedModel,
    /// The journaled detail: coefficients (`outcome.params`), SEs (`outcome.bse`, with the
    /// covariance the covariance choice chose), `cov_type`, coefficient names.
    pub detail: PassedDetail,
    /// The regressors in coefficient order (term 1 first).
    pub terms: Vec<Term>,
    /// The target and the regressors over the full sample (in-sample then out-of-sample).
    pub data: ModelData,
    /// The in-sample fit recomputed from `data` with the model's covariance: coefficient
    /// covariance `cov`, residual variance `scale`, `df_resid`, HAC lags.
    pub fit: FitSummary,
    /// The model's scenario paths, or why there are none (no `[scenarios]`, no forecasts of
    /// this model in the run, forecasts from other scenario inputs), said without naming the
    /// model (see [`ModelContext::label`]).
    pub scenarios: std::result::Result<ModelScenarios, String>,
}

impl ModelContext {
    /// Loads the context of `model` from the journal and the frame's session.
    pub fn load(
        frame: &Frame<'_>,
        journal: &Journal,
        model: SelectedModel,
    ) -> Result<ModelContext> {
        let run = frame.run;
        let spec = model.spec_index;
        let what = format!("spec {spec} of run {}", run.name);
        let row = journal
            .spec_row(run.run_id, spec)?
            .ok_or_else(|| anyhow!("{what} has no outcome"))?;
        let text = row
            .detail
            .ok_or_else(|| anyhow!("{what} did not pass: only passed models are validated"))?;
        ModelContext::from_detail(frame, model, PassedDetail::parse(&text, &what)?)
    }

    /// The context of a model with the given detail (as the journal keeps it) in the frame's
    /// session: its columns, its refit, its scenario paths when the frame's forecast set holds
    /// the model.
    pub fn from_detail(
        frame: &Frame<'_>,
        model: SelectedModel,
        detail: PassedDetail,
    ) -> Result<ModelContext> {
        let spec = model.spec_index;
        let what = format!("spec {spec} of run {}", frame.run.name);
        let names = &detail.param_names;
        anyhow::ensure!(
            !names.is_empty() && names.len() == detail.outcome.params.len(),
            "{what}: the journaled detail has {} coefficient names for {} coefficients",
            names.len(),
            detail.outcome.params.len()
        );
        let bundle = &frame.session.built.bundle;
        let catalogue = &bundle.catalogue;
        let mut terms = Vec::with_capacity(names.len() - 1);
        let mut columns = Vec::with_capacity(names.len() - 1);
        for (k, name) in names.iter().enumerate().skip(1) {
            let id = frame.catalogue.id(name).ok_or_else(|| {
                anyhow!("{what}: coefficient {name} is not a column of this search")
            })?;
            let (values, periodic_dummy) = match catalogue.columns.get(id as usize) {
                Some(c) => (
                    c.values.clone(),
                    c.role == FeatureRole::Dummy && (c.base == "M" || c.base == "Q"),
                ),
                None => {
                    let def = &frame.catalogue.composites[id as usize - catalogue.len()];
                    let values = def
                        .kind
                        .values(|s| &catalogue.columns[s as usize].values, bundle.n_rows());
                    (values, false)
                }
            };
            columns.push((name.clone(), values));
            terms.push(Term {
                term: k,
                name: name.clone(),
                id,
                periodic_dummy,
            });
        }
        let data = ModelData::from_bundle(bundle, columns);
        let cov_type = detail.outcome.cov_type.unwrap_or(CovType::NonRobust);
        let fit = data
            .summary(&detail.outcome.params, cov_type, 0.05)
            .with_context(|| format!("refitting {what} from the frozen data"))?;
        let scenarios = match frame.scenarios_missing.as_ref() {
            Some(why) => Err(why.clone()),
            None if !frame.forecast_specs.contains(&spec) => Err(format!(
                "no scenario forecasts in the run (scenarios.models = \"top\" forecasts only \
                 the best scenarios.top_n): run `specsearch forecast {}` with scenarios.models \
                 = \"all\" or a larger scenarios.top_n first",
                frame.session.config.path.display()
            )),
            None => Ok(model_scenarios(frame, &detail, &terms, model)?),
        };
        Ok(ModelContext {
            model,
            detail,
            terms,
            data,
            fit,
            scenarios,
        })
    }

    /// The journaled coefficients, intercept first.
    pub fn params(&self) -> &[f64] {
        &self.detail.outcome.params
    }

    /// Term `term`'s column over the rows of the fit.
    pub fn in_sample(&self, term: usize) -> Vec<f64> {
        let (_, values) = &self.data.columns[term - 1];
        values
            .iter()
            .zip(&self.data.in_sample)
            .filter(|(_, &inside)| inside)
            .map(|(v, _)| *v)
            .collect()
    }

    /// `rank 3 (spec 1234)` or `spec 1234 (not ranked)`.
    pub fn label(&self) -> String {
        match self.model.rank {
            Some(r) => format!("rank {r} (spec {})", self.model.spec_index),
            None => format!("spec {} (not ranked)", self.model.spec_index),
        }
    }
}

/// The model's forecasts and regressors under every scenario of the frame.
fn model_scenarios(
    frame: &Frame<'_>,
    detail: &PassedDetail,
    terms: &[Term],
    model: SelectedModel,
) -> Result<ModelScenarios> {
    let inputs = frame
        .scenarios
        .as_ref()
        .expect("scenario inputs when nothing is missing");
    let projector = frame.projector()?;
    let coefficients = ModelCoefficients {
        spec_index: model.spec_index,
        rank: model.rank,
        param_names: detail.param_names.clone(),
        params: detail.outcome.params.clone(),
    };
    let ids: Vec<u32> = terms.iter().map(|t| t.id).collect();
    let mut columns: Vec<ScenarioColumns<'_>> = inputs
        .scenarios
        .iter()
        .map(|s| ScenarioColumns::new(&frame.catalogue, inputs, s))
        .collect();
    let forecast = projector.forecast(&coefficients, &mut columns)?;
    let designs = columns
        .iter_mut()
        .map(|cols| {
            let x = projector.design(&ids, cols)?;
            let x_p0 = ids
                .iter()
                .map(|&id| cols.column(id)[inputs.p0_row])
                .collect();
            Ok(ScenarioDesign {
                x,
                x_p0,
                lead: projector.lead(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(ModelScenarios { forecast, designs })
}
