//! A model's forecasts under every scenario: the predicted target transform with the journaled
//! (in-sample) coefficients, its level path, the quarterly path, the statistics, the
//! difference from the base scenario and the ordering check.

use anyhow::{anyhow, bail, Result};

use super::columns::{ColumnCatalogue, ScenarioColumns};
use super::inputs::ScenarioInputs;
use crate::config::{Direction, QuarterAggregation, TargetConfig};
use crate::data::Frequency;
use crate::features::Transform;
use crate::journal::ModelCoefficients;
use crate::projection::{self, LevelLink, LevelPaths, ModelForecast, QuarterOf, ScenarioPath};

/// What the projection needs besides the models: the target's definition and actual levels.
pub struct Projector<'a> {
    pub inputs: &'a ScenarioInputs,
    pub catalogue: &'a ColumnCatalogue<'a>,
    link: LevelLink,
    lead: usize,
    /// Actual levels of the target up to p0.
    history: Vec<f64>,
    /// A ratio target (§9): the exposure's name and the actual ratios up to p0; the model's
    /// transform is of the ratio, and each level is the projected ratio times the scenario's
    /// exposure.
    ratio: Option<(String, Vec<f64>)>,
}

impl<'a> Projector<'a> {
    pub fn new(
        inputs: &'a ScenarioInputs,
        catalogue: &'a ColumnCatalogue<'a>,
        target: &TargetConfig,
    ) -> Result<Projector<'a>> {
        let period = target.period as usize;
        let link = match target.transform {
            Transform::Lv => LevelLink::Level,
            Transform::Df => LevelLink::Difference { period },
            Transform::Gr => LevelLink::Growth { period },
            other => bail!(
                "the target transform {other} has no level link (config validation refuses it)"
            ),
        };
        let bundle = catalogue.bundle;
        let history = bundle
            .base_series
            .iter()
            .find(|(n, _)| n == &target.column)
            .map(|(_, v)| v[..=inputs.p0_row].to_vec())
            .ok_or_else(|| anyhow!("the target {} is not in the frozen data", target.column))?;
        if inputs.frequency == Frequency::Monthly && history.len() < 3 {
            bail!("a monthly target needs the two months before p0 for the quarter P0");
        }
        let ratio = match &target.exposure {
            None => None,
            Some(exposure) => {
                let e = bundle
                    .base_series
                    .iter()
                    .find(|(n, _)| n == exposure)
                    .map(|(_, v)| &v[..=inputs.p0_row])
                    .ok_or_else(|| anyhow!("the exposure {exposure} is not in the frozen data"))?;
                let ratios = history.iter().zip(e).map(|(t, e)| t / e).collect();
                Some((exposure.clone(), ratios))
            }
        };
        Ok(Projector {
            inputs,
            catalogue,
            link,
            lead: target.lead as usize,
            history,
            ratio,
        })
    }

    /// The target's actual levels up to p0.
    pub fn history(&self) -> &[f64] {
        &self.history
    }

    /// Column ids of a model's regressors (coefficient order, intercept excluded).
    pub fn column_ids(&self, model: &ModelCoefficients) -> Result<Vec<u32>> {
        if model.params.len() != model.param_names.len() || model.params.is_empty() {
            bail!(
                "spec {}: {} coefficients for {} names",
                model.spec_index,
                model.params.len(),
                model.param_names.len()
            );
        }
        model.param_names[1..]
            .iter()
            .map(|n| {
                self.catalogue.id(n).ok_or_else(|| {
                    anyhow!(
                        "spec {}: coefficient {n} is not a column of this search",
                        model.spec_index
                    )
                })
            })
            .collect()
    }

    /// How the predicted transform becomes levels, quarters and statistics.
    pub fn level_paths(&self) -> LevelPaths<'_> {
        LevelPaths {
            link: self.link,
            history: &self.history,
            monthly: match self.inputs.frequency {
                Frequency::Quarterly => None,
                Frequency::Monthly => Some(quarter_of(self.inputs.aggregation)),
            },
        }
    }

    /// The target's lead: the transform on forecast date p0 + 1 + j is predicted from the
    /// drivers on p0 + 1 + j − lead.
    pub fn lead(&self) -> usize {
        self.lead
    }

    /// The regressors of a model (column ids `ids`, coefficient order) under one scenario,
    /// aligned on the forecast periods: `x[k][j]` predicts forecast period j, so it is the
    /// column's value `lead` periods earlier (history while that is at or before p0).
    pub fn design(&self, ids: &[u32], cols: &mut ScenarioColumns<'_>) -> Result<Vec<Vec<f64>>> {
        let inputs = self.inputs;
        let n = inputs.dates.len();
        ids.iter()
            .map(|&id| {
                cols.ensure(id)?;
                let x = cols.column(id);
                Ok((0..n)
                    .map(|j| {
                        let row = inputs.p0_row + 1 + j;
                        row.checked_sub(self.lead).map_or(f64::NAN, |r| x[r])
                    })
                    .collect())
            })
            .collect()
    }

    /// The path of a predicted transform (levels, quarters, statistics). A ratio target's
    /// transform is of the ratio: its levels are the projected ratios times the scenario's
    /// `exposure` (required then).
    pub fn path(&self, transform: Vec<f64>, exposure: Option<&[f64]>) -> Result<ScenarioPath> {
        let too_short = || anyhow!("the target's history before p0 is too short for its transform");
        let Some((name, ratios)) = &self.ratio else {
            return self.level_paths().path(transform).ok_or_else(too_short);
        };
        let exposure =
            exposure.ok_or_else(|| anyhow!("the ratio target needs the scenario's {name}"))?;
        let mut levels =
            projection::to_levels(self.link, ratios, &transform).ok_or_else(too_short)?;
        for (level, e) in levels.iter_mut().zip(exposure) {
            *level *= e;
        }
        let quarterly = self.level_paths().quarterly(&levels);
        let stats = projection::ScenarioStatistics::of(&quarterly);
        Ok(ScenarioPath {
            transform,
            levels,
            quarterly,
            stats,
            pct_diff_base: f64::NAN,
        })
    }

    /// Forecasts `model` under every scenario, with one column cache per scenario.
    pub fn forecast(
        &self,
        model: &ModelCoefficients,
        columns: &mut [ScenarioColumns<'_>],
    ) -> Result<ModelForecast> {
        let ids = self.column_ids(model)?;
        let inputs = self.inputs;
        let mut transforms = Vec::with_capacity(columns.len());
        for cols in columns.iter_mut() {
            let x = self.design(&ids, cols)?;
            transforms.push(projection::predict(&model.params, &x, inputs.dates.len()));
        }
        let exposures = self.exposures(columns)?;
        self.forecast_transforms(
            model.spec_index,
            model.rank,
            transforms,
            exposures.as_deref(),
        )
    }

    /// A ratio target's exposure path after p0 under each scenario (`None` for a target that
    /// is not a ratio): what each projected ratio is multiplied by.
    pub fn exposures(&self, columns: &mut [ScenarioColumns<'_>]) -> Result<Option<Vec<Vec<f64>>>> {
        let Some((exposure, _)) = &self.ratio else {
            return Ok(None);
        };
        columns
            .iter_mut()
            .map(|cols| Ok(cols.scenario_values(exposure)?.to_vec()))
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// Whether the target is a ratio (§9): its paths need the scenarios' exposures.
    pub fn is_ratio(&self) -> bool {
        self.ratio.is_some()
    }

    /// A model's forecast from its predicted target transform under every scenario (one path
    /// per scenario of the inputs, in their order): levels, the quarterly path, statistics, the
    /// difference from the base and the ordering check. What [`Projector::forecast`] does with
    /// the transform it predicts; benchmarks whose transform is not a regression on drivers
    /// (no change, mean, AR(1)) give theirs directly. `exposures` are
    /// [`Projector::exposures`].
    pub fn forecast_transforms(
        &self,
        spec_index: u64,
        rank: Option<i64>,
        transforms: Vec<Vec<f64>>,
        exposures: Option<&[Vec<f64>]>,
    ) -> Result<ModelForecast> {
        let inputs = self.inputs;
        let mut paths = Vec::with_capacity(transforms.len());
        for (i, transform) in transforms.into_iter().enumerate() {
            paths.push(self.path(transform, exposures.map(|e| e[i].as_slice()))?);
        }
        let base = paths[inputs.base].stats.clone();
        for p in &mut paths {
            p.pct_diff_base = projection::pct_diff_from_base(&p.stats, &base);
        }
        let in_order = (!inputs.order.is_empty()).then(|| {
            let outcomes: Vec<f64> = inputs
                .order
                .iter()
                .map(|&i| paths[i].stats.outcome_9q())
                .collect();
            projection::in_order(&outcomes, inputs.direction == Direction::Down)
        });
        Ok(ModelForecast {
            spec_index,
            rank,
            paths,
            in_order,
        })
    }
}

fn quarter_of(a: QuarterAggregation) -> QuarterOf {
    match a {
        QuarterAggregation::Mean => QuarterOf::Mean,
        QuarterAggregation::Sum => QuarterOf::Sum,
        QuarterAggregation::End => QuarterOf::End,
    }
}
