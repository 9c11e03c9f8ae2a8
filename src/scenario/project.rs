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
use crate::projection::{
    self, LevelLink, ModelForecast, QuarterOf, ScenarioPath, ScenarioStatistics,
};

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

    /// Forecasts `model` under every scenario, with one column cache per scenario.
    pub fn forecast(
        &self,
        model: &ModelCoefficients,
        columns: &mut [ScenarioColumns<'_>],
    ) -> Result<ModelForecast> {
        let ids = self.column_ids(model)?;
        let inputs = self.inputs;
        let n = inputs.dates.len();
        let mut paths = Vec::with_capacity(columns.len());
        for cols in columns.iter_mut() {
            for &id in &ids {
                cols.ensure(id)?;
            }
            // The transform on forecast date p0 + 1 + j is predicted from the drivers `lead`
            // periods earlier (history while that is at or before p0).
            let mut transform = vec![model.params[0]; n];
            for (k, &id) in ids.iter().enumerate() {
                let beta = model.params[k + 1];
                let x = cols.column(id);
                for (j, y) in transform.iter_mut().enumerate() {
                    let row = inputs.p0_row + 1 + j;
                    *y += beta * row.checked_sub(self.lead).map_or(f64::NAN, |r| x[r]);
                }
            }
            let modelled = match &self.ratio {
                None => &self.history,
                Some((_, ratios)) => ratios,
            };
            let mut levels =
                projection::to_levels(self.link, modelled, &transform).ok_or_else(|| {
                    anyhow!("the target's history before p0 is too short for its transform")
                })?;
            if let Some((exposure, _)) = &self.ratio {
                let path = cols.scenario_values(exposure)?;
                for (level, e) in levels.iter_mut().zip(path) {
                    *level *= e;
                }
            }
            let quarterly = match inputs.frequency {
                Frequency::Quarterly => std::iter::once(self.history[inputs.p0_row])
                    .chain(levels.iter().copied())
                    .collect(),
                Frequency::Monthly => {
                    let months: Vec<f64> = self.history[inputs.p0_row - 2..]
                        .iter()
                        .chain(&levels)
                        .copied()
                        .collect();
                    projection::quarters(&months, quarter_of(inputs.aggregation))
                }
            };
            let stats = ScenarioStatistics::of(&quarterly);
            paths.push(ScenarioPath {
                transform,
                levels,
                quarterly,
                stats,
                pct_diff_base: f64::NAN,
            });
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
            spec_index: model.spec_index,
            rank: model.rank,
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
