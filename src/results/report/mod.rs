//! `specsearch report`: one self-contained HTML document about a run, for the model developer
//! to hand to validation — the run (config, data hashes, spec count, outcome mix, failures by
//! test, timing), the ranking, and for each selected model its full report (the one `show`
//! prints) with plots of its fit and residuals. Inline CSS and SVG only: no script, no network,
//! printable at A4.
//!
//! This module gathers what the page shows ([`RunReport::load`]); `page` lays out the
//! document, `sections` its parts, `plots` and `fan` draw the pictures. Scenario forecasts are
//! one more section per model ([`sections::scenarios`]), fed by [`ScenarioData`]; a validated
//! model's sensitivity, attribution, bands and drivers one more ([`sections::validation`]),
//! fed by [`ValidationData`].

mod chart;
mod fan;
mod page;
mod plots;
mod sections;
mod stability_plots;
mod stability_section;
mod validation;
mod validation_plots;

use std::collections::BTreeMap;

use anyhow::Result;

use super::model::{self, ModelReport, ReportOptions};
use super::table::{Cell, Table};
use super::OpenJournal;
use crate::journal::{Counts, OutcomeStatus, Ranking, RunRow};

pub use chart::Plot;
pub use stability_section::StabilityFigures;
pub use validation::ValidationData;

/// What to put in the report.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// Model sections for the best `top` ranked models …
    pub top: usize,
    /// … or for exactly these spec indices (when not empty).
    pub specs: Vec<u64>,
    pub options: ReportOptions,
    /// Sensitivity plots under every scenario (default: the most severe only).
    pub all_scenarios: bool,
}

/// One model's section: its report and its pictures.
pub struct ModelSection {
    pub report: ModelReport,
    pub plots: Vec<Plot>,
    /// Why there are no plots, when there are none.
    pub plot_note: Option<String>,
    /// Scenario forecasts of the model (none until the run has scenarios).
    pub scenarios: ScenarioData,
    /// Its sensitivity, attribution, bands and drivers (none until it is validated).
    pub validation: ValidationData,
    /// The pictures of its stability and backtests (§11, §12), when it was validated.
    pub stability: StabilityFigures,
    /// The in-sample fit beside the full-sample refit (§9), or why there is none.
    pub fits: std::result::Result<Table, String>,
}

/// A model's scenario forecasts, as the scenario section draws them, from the journal's
/// scenario tables: the fan (history plus each scenario's level path) and the statistics.
#[derive(Debug, Clone, Default)]
pub struct ScenarioData {
    /// Why there are no scenarios (shown in the section).
    pub note: Option<String>,
    /// p0, horizon and where the scenarios came from, one line.
    pub about: Option<String>,
    pub fan: Option<Plot>,
    /// One row per scenario (`journal::Journal::scenario_stats`).
    pub stats: Option<Table>,
}

/// Everything the page shows.
pub struct RunReport {
    pub run: RunRow,
    pub config_text: Option<String>,
    pub counts: Counts,
    /// Whether a coordinator holds the workspace lock now (a running run is partial).
    pub coordinator_alive: Option<bool>,
    /// The bundle's manifest (sources and their sha256), when the bundle is the run's.
    pub manifest: Option<BTreeMap<String, String>>,
    /// Why `manifest` is missing.
    pub manifest_note: Option<String>,
    /// (filter, specs that failed at it), in filter order.
    pub failures: Vec<(String, u64)>,
    pub failures_table: Table,
    pub errors: Table,
    pub sessions: Table,
    /// The ranked models shown in the ranking table (best first).
    pub ranking: Table,
    /// Passed models in total (deduplicated).
    pub ranked_total: usize,
    /// The ranking was computed now with the run's weights (the run is not finished).
    pub provisional_ranking: bool,
    pub models: Vec<ModelSection>,
    pub generated_at: String,
    /// The run compared with another (`report --compare`), shown after the ranking.
    pub comparison: Option<crate::results::compare::Comparison>,
}

impl RunReport {
    /// Reads the run and the selected models from the journal (and their data from the
    /// workspace's bundle).
    pub fn load(j: &OpenJournal, run: &RunRow, request: &ReportRequest) -> Result<RunReport> {
        let journal = &j.journal;
        // One read transaction: every part of the page sees the same journal, even while a
        // run writes.
        journal.in_snapshot(|| {
            let mix = journal.outcome_mix(run.run_id)?;
            let count =
                |s: OutcomeStatus| -> u64 { mix.iter().filter(|m| m.0 == s).map(|m| m.2).sum() };
            let counts = Counts {
                evaluated: mix.iter().map(|m| m.2).sum(),
                passed: count(OutcomeStatus::Passed),
                filtered: count(OutcomeStatus::Filtered),
                errors: count(OutcomeStatus::Error),
            };
            let stored = journal.has_stored_ranking(run.run_id)?;
            let ranking_kind = if stored {
                Ranking::Stored
            } else {
                Ranking::Weights(j.run_weights(run))
            };
            let mut all = journal.passed_models(run.run_id, &ranking_kind, None, false)?;
            let ranked_total = all.rows.len();
            let (any_ratio, any_same) = crate::results::benchmarks::add_columns(
                journal,
                run.run_id,
                &ranking_kind,
                &mut all,
            )?;
            let show = request.top.max(request.specs.len()).max(20);
            let mut columns = vec![
                "rank",
                "spec_index",
                crate::results::benchmarks::KEY,
                "score",
                "r2",
                "adj_r2",
                "is_rmse",
                "oos_rmse",
            ];
            if any_ratio {
                columns.push(crate::results::benchmarks::VS_BEST);
            }
            columns.push("cov_type");
            if any_same {
                columns.push(crate::results::benchmarks::SAME_FIT);
            }
            columns.push("features");
            let mut ranking = all.select(&columns);
            ranking.rows.truncate(show);
            // The incumbent and the benchmarks below the ranked models, marked in `rank`.
            crate::results::benchmarks::append_rows(
                journal,
                run.run_id,
                &j.run_weights(run),
                &mut ranking,
            )?;
            let failures: Vec<(String, u64)> = mix
                .iter()
                .filter(|m| m.0 == OutcomeStatus::Filtered)
                .filter_map(|m| Some((m.1?.name().to_string(), m.2)))
                .collect();
            let mut failures_table = Table::new(&[
                "failed_test",
                "specs",
                "percent_of_outcomes",
                "percent_of_filtered",
            ]);
            let percent = |n: u64, of: u64| {
                if of > 0 {
                    Cell::Real(100.0 * n as f64 / of as f64)
                } else {
                    Cell::Null
                }
            };
            for (name, n) in &failures {
                failures_table.push(vec![
                    name.as_str().into(),
                    Cell::Int(*n as i64),
                    percent(*n, counts.evaluated),
                    percent(*n, counts.filtered),
                ]);
            }
            let chosen: Vec<(u64, Option<(i64, f64)>)> = if request.specs.is_empty() {
                (0..request.top.min(ranked_total))
                    .map(|i| {
                        let spec = all.get(i, "spec_index").as_i64().unwrap_or(0) as u64;
                        let rank = all.get(i, "rank").as_i64().unwrap_or(i as i64 + 1);
                        let score = all.get(i, "score").as_f64().unwrap_or(f64::NAN);
                        (spec, Some((rank, score)))
                    })
                    .collect()
            } else {
                request.specs.iter().map(|&s| (s, None)).collect()
            };
            let level_name = j
                .run_config(run)
                .map(|c| c.file.target.column)
                .unwrap_or_else(|| run.target.clone());
            let mut models = Vec::with_capacity(chosen.len());
            for (spec, ranked) in chosen {
                let report = model::load(j, run, spec, ranked, request.options)?;
                let scenarios = scenario_data(j, run, spec)?;
                let validation = validation::load(j, run, spec, request.all_scenarios)?;
                let mut section = model_section(report, scenarios, validation);
                section.stability = stability_section::figures(&section.report, &level_name);
                models.push(section);
            }
            let (manifest, manifest_note) = match bundle_manifest(j, run) {
                Ok(m) => (Some(m), None),
                Err(e) => (None, Some(format!("{e:#}"))),
            };
            Ok(RunReport {
                run: run.clone(),
                config_text: journal.config_text(run.run_id).ok(),
                counts,
                coordinator_alive: j.coordinator_alive(),
                manifest,
                manifest_note,
                failures,
                failures_table,
                errors: journal.errors_by_message(run.run_id)?,
                sessions: journal.sessions(run.run_id)?,
                ranking,
                ranked_total,
                provisional_ranking: !stored,
                models,
                generated_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
                comparison: None,
            })
        })
    }

    /// Whether the page describes a run that may still change (not every spec evaluated and
    /// ranked).
    pub fn is_partial(&self) -> bool {
        !self.run.status.is_finished()
    }

    /// The whole page.
    pub fn html(&self) -> String {
        page::render(self)
    }
}

/// The manifest of the workspace's bundle when it is the run's.
fn bundle_manifest(j: &OpenJournal, run: &RunRow) -> Result<BTreeMap<String, String>> {
    let bundle = j.run_bundle(run).map_err(|e| anyhow::anyhow!(e))?;
    Ok(bundle.manifest()?)
}

/// A model's scenario forecasts from the journal (a note when the run has none).
fn scenario_data(j: &OpenJournal, run: &RunRow, spec: u64) -> Result<ScenarioData> {
    let journal = &j.journal;
    let Some(set) = journal.forecast_set(run.run_id)? else {
        return Ok(ScenarioData {
            note: Some("no scenarios in this run".into()),
            ..ScenarioData::default()
        });
    };
    let stats = journal.scenario_stats(run.run_id, spec)?;
    if stats.rows.is_empty() {
        return Ok(ScenarioData {
            note: Some(format!(
                "no scenario forecasts for this model (the run forecast {} model(s): see \
                 scenarios.models)",
                set.models
            )),
            ..ScenarioData::default()
        });
    }
    let date = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let history: Vec<(chrono::NaiveDate, f64)> = journal
        .scenario_history(run.run_id)?
        .into_iter()
        .filter_map(|(d, l)| Some((date(&d)?, l)))
        .collect();
    let paths: Vec<(String, Vec<(chrono::NaiveDate, f64)>)> = journal
        .scenario_paths(run.run_id, spec)?
        .into_iter()
        .map(|(name, p)| {
            let p = p
                .into_iter()
                .filter_map(|(d, l)| Some((date(&d)?, l)))
                .collect();
            (name, p)
        })
        .collect();
    let level_name = j
        .run_config(run)
        .map(|c| c.file.target.column)
        .unwrap_or_else(|| run.target.clone());
    let (fan, note) = match fan::scenario_fan(&level_name, &history, &paths) {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(format!("no fan chart: {e:#}"))),
    };
    Ok(ScenarioData {
        note,
        about: Some(format!(
            "{} from p0 {} over {} quarter(s) to {}; base {}; inputs sha256 {}; forecast {}",
            set.scenarios.join(", "),
            set.p0,
            set.quarters,
            set.horizon_end,
            set.base.as_deref().unwrap_or("-"),
            &set.inputs_sha256[..12],
            set.forecast_at
        )),
        fan,
        stats: Some(stats),
    })
}

/// A model's section: its plots when its series can be computed.
fn model_section(
    report: ModelReport,
    scenarios: ScenarioData,
    validation: ValidationData,
) -> ModelSection {
    let drawn = report.series().and_then(|s| {
        let resid = s.residuals(true);
        let mut drawn = vec![plots::fitted_vs_actual(&s)?];
        drawn.extend(plots::fitted_levels(&s)?);
        drawn.extend([
            plots::residuals_over_time(&s)?,
            plots::residual_acf(&resid)?,
            plots::residual_histogram(&resid)?,
        ]);
        Ok(drawn)
    });
    let (plots, plot_note) = match drawn {
        Ok(p) => (p, None),
        Err(e) => (Vec::new(), Some(format!("{e:#}"))),
    };
    let fits = report
        .full_fit()
        .map(|full| model::compare_fits(&report, &full))
        .map_err(|e| format!("{e:#}"));
    ModelSection {
        report,
        plots,
        plot_note,
        scenarios,
        validation,
        stability: StabilityFigures::default(),
        fits,
    }
}
