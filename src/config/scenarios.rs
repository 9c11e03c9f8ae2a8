//! `[scenarios]`: the scenario inputs of a search and how their forecasts are summarised.
//!
//! Scenarios are deliberately not part of [`super::Config::search_hash`]: they never change
//! which specs exist or how each is judged, so new scenario files re-forecast an existing run
//! (`specsearch forecast`) instead of starting a new search. Which inputs a forecast set came
//! from is recorded with it in the journal (sha256 of every file).

use serde::{Deserialize, Serialize};

use super::{Config, ConfigError, TableConfig};

/// `[scenarios]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenariosConfig {
    /// The jumping-off date (the last actual period); default `sample.in_end`.
    #[serde(default)]
    pub p0: Option<String>,
    /// Quarters after p0 to forecast (the horizon ends earlier when the scenario tables do).
    #[serde(default = "default_horizon")]
    pub horizon: u32,
    /// Which passed models get forecasts: `all` (default) or `top` (the first `top_n`).
    #[serde(default)]
    pub models: ModelChoice,
    /// With `models = "top"`: how many; default `ranking.top_n`.
    #[serde(default)]
    pub top_n: Option<usize>,
    /// The scenario others are compared with at P9; default the first of `order`, else the
    /// first scenario listed.
    #[serde(default)]
    pub base: Option<String>,
    /// Scenarios from mildest to most severe, for the ordering check (empty: no check).
    #[serde(default)]
    pub order: Vec<String>,
    /// Whether the outcome should fall (`down`, e.g. a balance or revenue) or rise (`up`, e.g.
    /// losses) along `order`.
    #[serde(default)]
    pub direction: Direction,
    /// Drop models failing the ordering check from the ranking (never from the passed set).
    #[serde(default)]
    pub require_order: bool,
    /// How a monthly path becomes quarterly: `mean`, `sum` or `end`; default the target
    /// column's aggregation in the metadata (`average` → `mean`), else `mean`.
    #[serde(default)]
    pub aggregation: Option<QuarterAggregation>,
    /// Which fit projects the models: `in` (default: the in-sample fit the search passed) or
    /// `full` (refitted on in-sample and out-of-sample rows, §9).
    #[serde(default)]
    pub fit: FitChoice,
    /// The scenarios, each a name and its MEV tables (same layout as `data.mev_tables`).
    pub set: Vec<ScenarioSet>,
}

/// Which fit of a passed model: the in-sample fit the search judged, or the refit on every
/// row up to `sample.full_end` (§9).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum FitChoice {
    #[default]
    In,
    Full,
}

impl FitChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            FitChoice::In => "in",
            FitChoice::Full => "full",
        }
    }
}

fn default_horizon() -> u32 {
    12
}

/// One named scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSet {
    pub name: String,
    pub tables: Vec<TableConfig>,
}

/// `scenarios.models`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModelChoice {
    #[default]
    All,
    Top,
}

/// `scenarios.direction`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Each later scenario in `order` projects a lower (or equal) outcome.
    #[default]
    Down,
    /// Each later scenario in `order` projects a higher (or equal) outcome.
    Up,
}

/// `scenarios.aggregation`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum QuarterAggregation {
    Mean,
    Sum,
    End,
}

impl QuarterAggregation {
    pub fn as_str(self) -> &'static str {
        match self {
            QuarterAggregation::Mean => "mean",
            QuarterAggregation::Sum => "sum",
            QuarterAggregation::End => "end",
        }
    }
}

/// Most quarters a horizon may have (25 years).
const MAX_HORIZON: u32 = 100;

impl ScenariosConfig {
    /// Position of the base scenario in `set`.
    pub fn base_index(&self) -> usize {
        let wanted = self.base.as_ref().or(self.order.first());
        wanted
            .and_then(|w| self.set.iter().position(|s| &s.name == w))
            .unwrap_or(0)
    }
}

impl Config {
    /// Checks `[scenarios]` without reading its files.
    pub(super) fn validate_scenarios(&self) -> Result<(), ConfigError> {
        let Some(s) = &self.file.scenarios else {
            return Ok(());
        };
        if s.horizon == 0 || s.horizon > MAX_HORIZON {
            return Err(self.invalid(
                "scenarios.horizon",
                format!(
                    "is {}: give the number of quarters to forecast, 1 to {MAX_HORIZON} \
                     (default 12)",
                    s.horizon
                ),
            ));
        }
        if s.set.is_empty() {
            return Err(self.invalid(
                "scenarios.set",
                "lists no scenario: add e.g. set = [{ name = \"Base\", tables = [{ path = \
                 \"data/base.csv\" }] }]",
            ));
        }
        for (i, sc) in s.set.iter().enumerate() {
            let key = format!("scenarios.set[{i}]");
            if sc.name.trim().is_empty() || sc.name.trim() != sc.name {
                return Err(self.invalid(
                    &format!("{key}.name"),
                    format!(
                        "{:?}: a scenario needs a name without leading or trailing spaces",
                        sc.name
                    ),
                ));
            }
            if let Some(j) = s.set[..i]
                .iter()
                .position(|o| o.name.eq_ignore_ascii_case(&sc.name))
            {
                return Err(self.invalid(
                    &format!("{key}.name"),
                    format!(
                        "{:?} is also the name of scenarios.set[{j}] ({:?}); scenario names \
                         must differ (ignoring case)",
                        sc.name, s.set[j].name
                    ),
                ));
            }
            if sc.tables.is_empty() {
                return Err(self.invalid(
                    &format!("{key}.tables"),
                    format!("scenario {:?} lists no table", sc.name),
                ));
            }
        }
        let known = |name: &str| s.set.iter().any(|sc| sc.name == name);
        let names = || {
            s.set
                .iter()
                .map(|sc| format!("{:?}", sc.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(base) = &s.base {
            if !known(base) {
                return Err(self.invalid(
                    "scenarios.base",
                    format!("{base:?} is not a scenario (the scenarios are {})", names()),
                ));
            }
        }
        for (i, name) in s.order.iter().enumerate() {
            if !known(name) {
                return Err(self.invalid(
                    &format!("scenarios.order[{i}]"),
                    format!("{name:?} is not a scenario (the scenarios are {})", names()),
                ));
            }
            if s.order[..i].contains(name) {
                return Err(self.invalid(
                    &format!("scenarios.order[{i}]"),
                    format!("{name:?} is listed twice"),
                ));
            }
        }
        if s.order.len() == 1 {
            return Err(self.invalid(
                "scenarios.order",
                "needs at least two scenarios to compare (or leave it out)",
            ));
        }
        if s.require_order && s.order.is_empty() {
            return Err(self.invalid(
                "scenarios.require_order",
                "needs scenarios.order (e.g. order = [\"Base\", \"Adverse\", \"Severe\"])",
            ));
        }
        if s.require_order && s.models == ModelChoice::Top {
            return Err(self.invalid(
                "scenarios.require_order",
                "needs forecasts of every passed model: remove scenarios.models = \"top\"",
            ));
        }
        if s.top_n == Some(0) {
            return Err(self.invalid("scenarios.top_n", "must be at least 1"));
        }
        Ok(())
    }
}
