//! The report of a run's benchmark or incumbent (`show incumbent`, `show ar1`, …): the same
//! [`ModelReport`] as a passed model's, from the fit its finish journaled (`benchmarks`), with
//! the summary statistics recomputed from the run's bundle when the model is a regression on
//! columns the bundle holds.

use anyhow::{bail, Result};

use super::definitions::bundle_definitions;
use super::{FeatureDef, ModelReport, Origin, ReportOptions};
use crate::journal::{OutcomeStatus, RunRow};
use crate::results::series::ModelData;
use crate::results::OpenJournal;
use crate::spec::FeatureRole;

/// The report of benchmark `name` (`incumbent`, `no_change`, `mean`, `ar1`, `forced_only`…)
/// of `run`.
pub fn load_benchmark(
    j: &OpenJournal,
    run: &RunRow,
    name: &str,
    options: ReportOptions,
) -> Result<ModelReport> {
    let fits = j.journal.benchmarks(run.run_id)?;
    let Some(fit) = fits.iter().find(|f| f.name == name) else {
        let known: Vec<&str> = fits.iter().map(|f| f.name.as_str()).collect();
        if known.is_empty() {
            bail!(
                "run {} has no benchmarks: they are derived when a run finishes (or by \
                 `specsearch forecast CONFIG`)",
                run.name
            );
        }
        bail!(
            "run {} has no {name}{}; it has: {}",
            run.name,
            if name == "incumbent" {
                " (add [incumbent] to its config and run `specsearch forecast CONFIG`)"
            } else {
                ""
            },
            known.join(", ")
        );
    };
    let mut features: Vec<FeatureDef> = fit
        .features
        .iter()
        .map(|f| {
            let role = if f.starts_with("Q:") || f.starts_with("M:") {
                FeatureRole::Dummy
            } else {
                FeatureRole::Variant
            };
            let base = match role {
                FeatureRole::Dummy => f[..1].to_string(),
                _ => f.split('_').next().unwrap_or(f).to_string(),
            };
            FeatureDef::new(f.clone(), role, base)
        })
        .collect();
    let bundle = j.run_bundle(run);
    let definitions_from = if bundle_definitions(bundle.as_ref().ok().copied(), &mut features) {
        "features.duckdb"
    } else {
        "journal"
    };
    let o = &fit.outcome;
    let mut report = ModelReport {
        fit: super::FitChoice::In,
        origin: Origin::Journal(run.clone()),
        target: run.target.clone(),
        target_stationary: run.target_stationary,
        spec_index: None,
        rank: None,
        score: None,
        // Benchmarks are never filtered; the incumbent is judged by the run's filters.
        status: match (o.status, fit.failed_test) {
            (crate::assess::Status::Error, _) => OutcomeStatus::Error,
            (_, Some(_)) => OutcomeStatus::Filtered,
            _ => OutcomeStatus::Passed,
        },
        failed_test: fit.failed_test,
        message: o.message.clone().or_else(|| fit.note.clone()),
        r2: o.r2,
        spec_key: fit.spec_key.clone(),
        features,
        definitions_from,
        outcome: Some(o.clone()),
        param_names: fit.param_names.clone(),
        thresholds: j
            .run_config(run)
            .map(|c| c.file.filters)
            .unwrap_or_default(),
        alpha: options.alpha,
        data: None,
        summary: None,
        data_note: None,
        scenarios: j
            .journal
            .benchmark_stats(run.run_id, name)
            .ok()
            .filter(|t| !t.rows.is_empty()),
        // Benchmarks and the incumbent are not validated models; §12's backtest summary is
        // theirs too (from the validated models' jump-offs).
        sensitivity: None,
        attribution: None,
        stability: backtest_summary(j, run, name)?,
        benchmark: Some(format!(
            "{} ({})",
            capitalised(fit.method.describe()),
            fit.name
        )),
    };
    // Summary statistics need an estimated covariance: fitted regressions whose columns the
    // run's bundle holds (not the AR(1)'s lag, not given coefficients, not no change).
    let fitted_regression =
        !fit.coefficients_given && !o.bse.is_empty() && fit.param_names.len() == o.params.len();
    if !fitted_regression {
        report.data_note = Some(match fit.note.clone() {
            Some(n) => n,
            None => "the summary statistics of a fit need its estimated covariance".into(),
        });
        return Ok(report);
    }
    let data = bundle
        .map_err(|e| anyhow::anyhow!(e))
        .and_then(|b| ModelData::from_store(b, &run.target, &fit.param_names[1..]));
    match data {
        Ok(d) => report.attach_data(d),
        Err(e) => report.data_note = Some(format!("{e:#}")),
    }
    Ok(report)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The benchmark's backtest summary as the stability tables of a report (no trials, no
/// jump-off paths: only the summaries are journaled for benchmarks).
fn backtest_summary(
    j: &OpenJournal,
    run: &RunRow,
    name: &str,
) -> Result<Option<super::StabilityTables>> {
    let summaries = j.journal.benchmark_backtests(run.run_id, name)?;
    Ok((!summaries.is_empty()).then(|| super::StabilityTables {
        stability: None,
        backtest: Some(crate::journal::ModelBacktest {
            spec_index: 0,
            jump_offs: Vec::new(),
            summaries,
            notes: Vec::new(),
        }),
        best_benchmark: None,
    }))
}
