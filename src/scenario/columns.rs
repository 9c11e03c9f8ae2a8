//! A model's columns under a scenario: every frozen or composite column recomputed over the
//! calendar extended past p0, from the frozen base series up to p0 and the scenario's values
//! after it, with the same transforms as the freeze (`features::apply`, dummies' indicators,
//! composites' products). Lags and periods at the start of the horizon therefore reach back
//! into history: a 12-month difference in the first forecast month uses actual values, and on
//! rows up to p0 every column equals the frozen one.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Result};
use chrono::Datelike;

use super::inputs::{Scenario, ScenarioInputs};
use crate::features::composite::CompositeDef;
use crate::features::{self, dummies};
use crate::spec::FeatureRole;
use crate::store::FrozenBundle;

/// Where a model's column names come from: the frozen catalogue and the plan's composites.
pub struct ColumnCatalogue<'a> {
    pub bundle: &'a FrozenBundle,
    pub composites: &'a [CompositeDef],
    composite_ids: HashMap<&'a str, u32>,
}

impl<'a> ColumnCatalogue<'a> {
    pub fn new(bundle: &'a FrozenBundle, composites: &'a [CompositeDef]) -> ColumnCatalogue<'a> {
        let composite_ids = composites.iter().map(|c| (c.name.as_str(), c.id)).collect();
        ColumnCatalogue {
            bundle,
            composites,
            composite_ids,
        }
    }

    /// The column id of a coefficient name.
    pub fn id(&self, name: &str) -> Option<u32> {
        self.bundle
            .catalogue
            .id(name)
            .or_else(|| self.composite_ids.get(name).copied())
    }

    /// Column `id`'s values on every row of the calendar (a composite built from its sources).
    pub fn calendar_values(&self, id: u32) -> std::borrow::Cow<'a, [f64]> {
        let frozen = &self.bundle.catalogue;
        match frozen.columns.get(id as usize) {
            Some(c) => std::borrow::Cow::Borrowed(&c.values),
            None => std::borrow::Cow::Owned(
                self.composite(id)
                    .kind
                    .values(|s| &frozen.columns[s as usize].values, self.bundle.n_rows()),
            ),
        }
    }

    fn composite(&self, id: u32) -> &'a CompositeDef {
        let n_frozen = self.bundle.catalogue.len() as u32;
        &self.composites[(id - n_frozen) as usize]
    }

    /// The base series (panel columns, not `M`/`Q`) column `id` is computed from.
    pub fn drivers(&self, id: u32, out: &mut Vec<String>) {
        let catalogue = &self.bundle.catalogue;
        if (id as usize) >= catalogue.len() {
            for source in self.composite(id).kind.sources() {
                self.drivers(source, out);
            }
            return;
        }
        let c = &catalogue.columns[id as usize];
        let name = match c.role {
            FeatureRole::Variant | FeatureRole::Dummy => &c.base,
            FeatureRole::Base => &c.name,
            // Frozen columns are never composites (those have ids past the catalogue).
            FeatureRole::Target | FeatureRole::Composite => return,
        };
        if name != "M" && name != "Q" && !out.contains(name) {
            out.push(name.clone());
        }
    }
}

/// The columns of one scenario over the extended calendar (history rows, then the forecast
/// dates), computed once each.
pub struct ScenarioColumns<'a> {
    catalogue: &'a ColumnCatalogue<'a>,
    inputs: &'a ScenarioInputs,
    scenario: &'a Scenario,
    raw: HashMap<String, Vec<f64>>,
    columns: HashMap<u32, Vec<f64>>,
}

impl<'a> ScenarioColumns<'a> {
    pub fn new(
        catalogue: &'a ColumnCatalogue<'a>,
        inputs: &'a ScenarioInputs,
        scenario: &'a Scenario,
    ) -> ScenarioColumns<'a> {
        ScenarioColumns {
            catalogue,
            inputs,
            scenario,
            raw: HashMap::new(),
            columns: HashMap::new(),
        }
    }

    /// Rows of the extended calendar.
    pub fn rows(&self) -> usize {
        self.inputs.p0_row + 1 + self.inputs.dates.len()
    }

    /// A base series: history up to p0, the scenario after it (`M` and `Q` from the dates).
    fn raw(&mut self, name: &str) -> Result<&[f64]> {
        if !self.raw.contains_key(name) {
            let inputs = self.inputs;
            let bundle = self.catalogue.bundle;
            let history = &bundle.dates[..=inputs.p0_row];
            let dates = history.iter().chain(&inputs.dates);
            let values: Vec<f64> = match name {
                "M" => dates.map(|d| f64::from(d.month())).collect(),
                "Q" => dates.map(|d| f64::from(d.month0() / 3 + 1)).collect(),
                _ => {
                    let past = bundle
                        .base_series
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| &v[..=inputs.p0_row])
                        .ok_or_else(|| anyhow!("{name} is not a series of the frozen data"))?;
                    let future = self.scenario.values.get(name).ok_or_else(|| {
                        anyhow!(
                            "scenario {} has no column {name}, which the model uses",
                            self.scenario.name
                        )
                    })?;
                    past.iter().chain(future).copied().collect()
                }
            };
            self.raw.insert(name.to_string(), values);
        }
        Ok(&self.raw[name])
    }

    /// Computes column `id` unless it is there.
    pub fn ensure(&mut self, id: u32) -> Result<()> {
        if self.columns.contains_key(&id) {
            return Ok(());
        }
        let names: &'a ColumnCatalogue<'a> = self.catalogue;
        let catalogue = &names.bundle.catalogue;
        let values = if (id as usize) >= catalogue.len() {
            let kind = names.composite(id).kind;
            for source in kind.sources() {
                self.ensure(source)?;
            }
            let rows = self.rows();
            kind.values(|source| self.columns[&source].as_slice(), rows)
        } else {
            let c = &catalogue.columns[id as usize];
            match c.role {
                FeatureRole::Variant => {
                    let transform = c
                        .transform
                        .ok_or_else(|| anyhow!("variant {} has no transform", c.name))?;
                    features::apply(self.raw(&c.base)?, transform, c.period, c.lag)
                }
                FeatureRole::Dummy => {
                    let level: i64 = c
                        .name
                        .rsplit(':')
                        .next()
                        .and_then(|l| l.parse().ok())
                        .ok_or_else(|| anyhow!("dummy column {} names no level", c.name))?;
                    dummies::indicator(self.raw(&c.base)?, level)
                }
                FeatureRole::Base => self.raw(&c.name)?.to_vec(),
                FeatureRole::Target => bail!("the target {} is not a regressor", c.name),
                FeatureRole::Composite => {
                    bail!("{} is a replayed composite, not a frozen column", c.name)
                }
            }
        };
        self.columns.insert(id, values);
        Ok(())
    }

    /// A base series' scenario values on the forecast dates (after p0).
    pub fn scenario_values(&mut self, name: &str) -> Result<&[f64]> {
        let p0_row = self.inputs.p0_row;
        Ok(&self.raw(name)?[p0_row + 1..])
    }

    /// Column `id` (computed by [`ScenarioColumns::ensure`]) over the extended calendar.
    pub fn column(&self, id: u32) -> &[f64] {
        &self.columns[&id]
    }
}
