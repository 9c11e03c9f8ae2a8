//! The scenario inputs of a config, loaded and checked: the jumping-off date p0 on the frozen
//! calendar, the forecast dates, and every scenario's MEV tables put through the data
//! preparation of the search (§1 of docs/semantics.md: load, forward fill, frequency conversion
//! by aggregation) on the calendar extended past p0.
//!
//! History comes from the frozen data up to p0, scenario values after it: a scenario table's
//! values on or before p0 are ignored (a note says so when they disagree with history). Every
//! check happens here, before anything is written.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{Datelike, NaiveDate};

use crate::config::{
    Config, Direction, FitChoice, ModelChoice, QuarterAggregation, ScenariosConfig,
};
use crate::data::{self, Aggregation, Frequency, Table, TableSource};
use crate::features::metadata::Metadata;
use crate::store::FrozenBundle;

/// A bad scenario input: the message names the config key, scenario, file, sheet, column or
/// date to fix.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("scenario {scenario}: {source}")]
    Data {
        scenario: String,
        #[source]
        source: Box<data::DataError>,
    },
    #[error("scenario {scenario}: {message}")]
    Scenario { scenario: String, message: String },
    #[error(transparent)]
    Prepare(#[from] crate::freeze::prepare::PrepareError),
}

/// One input file of a scenario and the sha256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScenarioSource {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub sha256: String,
}

/// One scenario, aligned on the forecast dates.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub sources: Vec<ScenarioSource>,
    /// Every column of its tables (panel names, as in the frozen data) over the forecast
    /// dates; NaN where the tables have no value.
    pub values: HashMap<String, Vec<f64>>,
    /// What was noticed while loading (values before p0 that disagree with history).
    pub notes: Vec<String>,
}

/// The scenario inputs of a config.
#[derive(Debug, Clone)]
pub struct ScenarioInputs {
    pub frequency: Frequency,
    /// Row of p0 on the frozen calendar.
    pub p0_row: usize,
    pub p0: NaiveDate,
    /// The forecast dates: the period ends after p0 up to the horizon's end.
    pub dates: Vec<NaiveDate>,
    /// Scenarios in display order (`order` first, then the others as listed).
    pub scenarios: Vec<Scenario>,
    /// Index (in `scenarios`) of the base scenario.
    pub base: usize,
    /// Indices (in `scenarios`) of `scenarios.order`, mildest first; empty: no check.
    pub order: Vec<usize>,
    pub direction: Direction,
    pub require_order: bool,
    pub models: ModelChoice,
    pub top_n: usize,
    /// How a monthly path becomes quarterly.
    pub aggregation: QuarterAggregation,
    /// Which fit's coefficients project the models (§9).
    pub fit: FitChoice,
}

/// The period end `k` periods after `d` (a period end).
pub fn period_end_after(d: NaiveDate, k: i32, frequency: Frequency) -> NaiveDate {
    let months = match frequency {
        Frequency::Monthly => k,
        Frequency::Quarterly => 3 * k,
    };
    let index = d.year() * 12 + d.month0() as i32 + months;
    let first = NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .expect("a month within chrono's range");
    data::snap_to_period_end(first, frequency)
}

/// Relative difference above which a scenario value before p0 counts as disagreeing with
/// history (data files round; this is well above rounding noise of the binary values).
const HISTORY_TOLERANCE: f64 = 1e-6;

impl ScenarioInputs {
    /// Loads the scenario inputs of `config` (`None` without `[scenarios]`) against the frozen
    /// data, checking that every scenario has a value of each of `drivers` (panel columns the
    /// models to forecast can use; `whose` says whose drivers they are, for messages) on every
    /// forecast date.
    pub fn load(
        config: &Config,
        bundle: &FrozenBundle,
        metadata: &Metadata,
        drivers: &[String],
        whose: &str,
    ) -> Result<Option<ScenarioInputs>, ScenarioError> {
        let Some(sc) = &config.file.scenarios else {
            return Ok(None);
        };
        let invalid = |key: &str, message: String| ScenarioError::Invalid {
            path: config.path.clone(),
            key: key.to_string(),
            message,
        };
        let frequency = bundle.frequency;
        let dates = &bundle.dates;
        let (first, last) = (dates[0], dates[dates.len() - 1]);
        let (p0_key, p0_text) = match &sc.p0 {
            Some(t) => ("scenarios.p0", t.as_str()),
            None => ("sample.in_end", config.file.sample.in_end.as_str()),
        };
        let p0 = data::parse_date(p0_text)
            .map(|d| data::snap_to_period_end(d, frequency))
            .ok_or_else(|| invalid(p0_key, format!("{p0_text:?} is not a date (YYYY-MM-DD)")))?;
        let p0_row = dates.binary_search(&p0).map_err(|_| {
            invalid(
                p0_key,
                format!(
                    "the jumping-off date {p0} is outside the data, which runs from {first} to \
                     {last}; p0 must be a date with actual data"
                ),
            )
        })?;
        if frequency == Frequency::Monthly && p0.month() % 3 != 0 {
            return Err(invalid(
                p0_key,
                format!(
                    "the jumping-off date {p0} is not a quarter end; scenario statistics are \
                     quarterly, so p0 must be the last month of a quarter"
                ),
            ));
        }
        let target = &config.file.target.column;
        let level = base_series(bundle, target).map(|v| v[p0_row]);
        if !level.is_some_and(f64::is_finite) {
            return Err(invalid(
                p0_key,
                format!(
                    "the target {target} has no actual value on the jumping-off date {p0}; \
                     levels are projected from it"
                ),
            ));
        }

        let horizon_end = period_end_after(p0, sc.horizon as i32, Frequency::Quarterly);
        let mut scenarios = Vec::with_capacity(sc.set.len());
        let mut tables_end = horizon_end;
        let mut loaded_all = Vec::with_capacity(sc.set.len());
        for s in &sc.set {
            let mut tables = Vec::with_capacity(s.tables.len());
            let mut sources = Vec::with_capacity(s.tables.len());
            for t in &s.tables {
                let path = config.resolve(&t.path);
                let table = data::load_table(&TableSource {
                    path: &path,
                    date_column: t.date_column.as_deref(),
                    ffill: t.ffill,
                    sheet: t.sheet.as_deref(),
                })
                .map_err(|source| ScenarioError::Data {
                    scenario: s.name.clone(),
                    source: Box::new(source),
                })?;
                let last = data::snap_to_period_end(table.dates[table.dates.len() - 1], frequency);
                if last <= p0 {
                    return Err(ScenarioError::Scenario {
                        scenario: s.name.clone(),
                        message: format!(
                            "{} ends at {last}, on or before the jumping-off date {p0}: it has \
                             no scenario values",
                            table.path.display()
                        ),
                    });
                }
                tables_end = tables_end.min(last);
                sources.push(ScenarioSource {
                    path: t.path.display().to_string(),
                    sheet: t.sheet.clone(),
                    sha256: table.sha256.clone(),
                });
                tables.push(table);
            }
            loaded_all.push((s, tables, sources));
        }
        // One horizon for every scenario, so they compare period by period.
        let mut forecast_dates = Vec::new();
        let mut d = period_end_after(p0, 1, frequency);
        while d <= tables_end {
            forecast_dates.push(d);
            d = period_end_after(d, 1, frequency);
        }

        // The calendar the scenario tables are aligned on: history up to p0, then the forecast
        // dates; a calendar table without columns, so only the MEV tables' columns come out.
        let calendar: Vec<NaiveDate> = dates[..=p0_row]
            .iter()
            .copied()
            .chain(forecast_dates.iter().copied())
            .collect();
        let calendar_table = Table {
            path: PathBuf::from("the scenario calendar"),
            sha256: String::new(),
            frequency,
            dates: calendar,
            columns: Vec::new(),
        };
        let aggregation = |name: &str| metadata.aggregation(name);
        for (s, tables, sources) in loaded_all {
            let panel = data::align(&calendar_table, &tables, &aggregation).map_err(|source| {
                ScenarioError::Data {
                    scenario: s.name.clone(),
                    source: Box::new(source),
                }
            })?;
            let mut values = HashMap::new();
            let mut notes = Vec::new();
            for col in panel.columns {
                if col.name == "M" || col.name == "Q" {
                    continue;
                }
                if let Some(history) = base_series(bundle, &col.name) {
                    if let Some(note) = disagreement(&col.values[..=p0_row], &history[..=p0_row]) {
                        notes.push(format!(
                            "scenario {}: {}: {note}; values on or before p0 {p0} are ignored \
                             (history comes from the data tables)",
                            s.name, col.name
                        ));
                    }
                }
                values.insert(col.name, col.values[p0_row + 1..].to_vec());
            }
            let scenario = Scenario {
                name: s.name.clone(),
                sources,
                values,
                notes,
            };
            check_drivers(&scenario, drivers, whose, &forecast_dates)?;
            if let Some(exposure) = &config.file.target.exposure {
                check_exposure(&scenario, exposure, target, &forecast_dates)?;
            }
            scenarios.push(scenario);
        }

        // Display order: `order` first, then the rest as listed.
        let mut display: Vec<usize> = sc
            .order
            .iter()
            .filter_map(|n| sc.set.iter().position(|s| &s.name == n))
            .collect();
        let rest: Vec<usize> = (0..sc.set.len()).filter(|i| !display.contains(i)).collect();
        display.extend(rest);
        let base_name = &sc.set[sc.base_index()].name;
        let mut ordered: Vec<Scenario> = Vec::with_capacity(scenarios.len());
        let mut taken: Vec<Option<Scenario>> = scenarios.into_iter().map(Some).collect();
        for i in display {
            ordered.push(taken[i].take().expect("each scenario once"));
        }
        let position = |name: &str| ordered.iter().position(|s| s.name == name);
        let base = position(base_name).unwrap_or(0);
        let order = sc.order.iter().filter_map(|n| position(n)).collect();
        Ok(Some(ScenarioInputs {
            frequency,
            p0_row,
            p0,
            dates: forecast_dates,
            base,
            order,
            direction: sc.direction,
            require_order: sc.require_order,
            models: sc.models,
            top_n: sc.top_n.unwrap_or(config.file.ranking.top_n),
            aggregation: quarter_aggregation(sc, metadata, target),
            fit: sc.fit,
            scenarios: ordered,
        }))
    }

    /// sha256 of everything the forecasts depend on besides the run: p0, the dates, the
    /// settings and every scenario's sources (names, files, sheets, content hashes).
    pub fn inputs_sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(format!(
            "p0={} end={:?} agg={} base={} order={:?} dir={:?}\n",
            self.p0,
            self.dates.last(),
            self.aggregation.as_str(),
            self.base,
            self.order,
            self.direction
        ));
        // The full-sample fit projects other numbers; the in-sample fit hashes as before.
        if self.fit == FitChoice::Full {
            h.update("fit=full\n");
        }
        for s in &self.scenarios {
            h.update(format!("{}\n", s.name));
            for src in &s.sources {
                h.update(format!("{}|{:?}|{}\n", src.path, src.sheet, src.sha256));
            }
        }
        hex::encode(h.finalize())
    }
}

fn base_series<'a>(bundle: &'a FrozenBundle, name: &str) -> Option<&'a [f64]> {
    bundle
        .base_series
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_slice())
}

/// The largest disagreement between scenario values and history where both have a value,
/// described, when it exceeds rounding.
fn disagreement(scenario: &[f64], history: &[f64]) -> Option<String> {
    let mut worst: Option<(usize, f64)> = None;
    for (i, (&s, &h)) in scenario.iter().zip(history).enumerate() {
        if !(s.is_finite() && h.is_finite()) {
            continue;
        }
        let rel = (s - h).abs() / h.abs().max(1.0);
        if rel > HISTORY_TOLERANCE && worst.is_none_or(|(_, w)| rel > w) {
            worst = Some((i, rel));
        }
    }
    worst.map(|(i, rel)| {
        format!(
            "differs from history by up to {:.3}% (row {i} of the history: {} vs {})",
            100.0 * rel,
            scenario[i],
            history[i]
        )
    })
}

/// Every driver has a value on every forecast date of the scenario.
fn check_drivers(
    scenario: &Scenario,
    drivers: &[String],
    whose: &str,
    dates: &[NaiveDate],
) -> Result<(), ScenarioError> {
    for driver in drivers {
        let Some(values) = scenario.values.get(driver) else {
            let files: Vec<&str> = scenario.sources.iter().map(|s| s.path.as_str()).collect();
            return Err(ScenarioError::Scenario {
                scenario: scenario.name.clone(),
                message: format!(
                    "no column {driver} in its tables ({}), but {driver} is a driver of {whose}; \
                     add the column to one of the scenario's tables",
                    files.join(", ")
                ),
            });
        };
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            let what = if i == 0 {
                "the first period after p0: the scenario leaves a gap after the jumping-off \
                 date"
                    .to_string()
            } else {
                format!("forecast period {} of {}", i + 1, dates.len())
            };
            return Err(ScenarioError::Scenario {
                scenario: scenario.name.clone(),
                message: format!(
                    "{driver} has no value for {} ({what}); scenario tables must give every \
                     driver a value for every period from the one after p0 to the horizon's \
                     end {}",
                    dates[i],
                    dates[dates.len() - 1]
                ),
            });
        }
    }
    Ok(())
}

/// A ratio target's scenario gives its exposure's path (§9): a value, not zero, on every
/// forecast date (levels are the projected ratio times it).
fn check_exposure(
    scenario: &Scenario,
    exposure: &str,
    target: &str,
    dates: &[NaiveDate],
) -> Result<(), ScenarioError> {
    let err = |message: String| ScenarioError::Scenario {
        scenario: scenario.name.clone(),
        message,
    };
    let Some(values) = scenario.values.get(exposure) else {
        let files: Vec<&str> = scenario.sources.iter().map(|s| s.path.as_str()).collect();
        return Err(err(format!(
            "the target {target} is modelled as a ratio to {exposure} (target.exposure), so \
             every scenario must give {exposure}'s path; its tables ({}) have no column \
             {exposure}",
            files.join(", ")
        )));
    };
    for (i, v) in values.iter().enumerate() {
        if !v.is_finite() {
            return Err(err(format!(
                "the exposure {exposure} has no value for {} (target.exposure: levels are the \
                 ratio times the exposure's path, which needs every forecast date)",
                dates[i]
            )));
        }
        if *v == 0.0 {
            return Err(err(format!(
                "the exposure {exposure} is zero on {}: the ratio target's level there is \
                 undefined",
                dates[i]
            )));
        }
    }
    Ok(())
}

fn quarter_aggregation(
    sc: &ScenariosConfig,
    metadata: &Metadata,
    target: &str,
) -> QuarterAggregation {
    sc.aggregation
        .unwrap_or_else(|| match metadata.get(target).map(|m| m.aggregation) {
            Some(Aggregation::Sum) => QuarterAggregation::Sum,
            Some(Aggregation::End) => QuarterAggregation::End,
            _ => QuarterAggregation::Mean,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_ends() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            period_end_after(d(2009, 9, 30), 1, Frequency::Quarterly),
            d(2009, 12, 31)
        );
        assert_eq!(
            period_end_after(d(2009, 12, 31), 2, Frequency::Monthly),
            d(2010, 2, 28)
        );
        assert_eq!(
            period_end_after(d(2009, 12, 31), 12, Frequency::Quarterly),
            d(2012, 12, 31)
        );
    }
}
