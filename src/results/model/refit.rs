//! The report of a spec fitted now on a config's data (`show-model`): the same [`ModelReport`]
//! as `show` builds from a journal, so both print the same report for the same model.

use anyhow::Result;

use super::{FeatureDef, ModelReport, Origin, ReportOptions};
use crate::assess::Status;
use crate::journal::OutcomeStatus;
use crate::results::series::ModelData;
use crate::runtime::context::EvalContext;
use crate::session::Session;
use crate::spec::FeatureRole;

/// Fits `spec` (column ids of the session's plan, composites included) with the full report
/// assessment and builds its report; `spec_index` when the spec came from the planned space.
pub fn from_session(
    session: &Session,
    ctx: &EvalContext,
    spec: &[u32],
    spec_index: Option<u64>,
    options: ReportOptions,
) -> Result<ModelReport> {
    let b = &session.built.bundle;
    let catalogue = &b.catalogue;
    let n_frozen = catalogue.len() as u32;
    let (outcome, param_names) = ctx.assess_report(spec);
    let features = spec
        .iter()
        .map(|&id| {
            if id < n_frozen {
                let c = &catalogue.columns[id as usize];
                FeatureDef {
                    name: c.name.clone(),
                    role: c.role,
                    base: c.base.clone(),
                    category: c.category.clone(),
                    transform: c.transform.map(|t| t.code().to_string()),
                    period: (c.role == FeatureRole::Variant).then_some(c.period as i64),
                    lag: (c.role == FeatureRole::Variant).then_some(c.lag as i64),
                    expected_sign: (c.sign != 0).then_some(c.sign as i64),
                    full_dummy_set: (c.role == FeatureRole::Dummy).then_some(c.full_dummy_set),
                    adf_pvalue: c.pretest.adf_p,
                    pp_pvalue: c.pretest.pp_p,
                    stationary: c.pretest.stationary,
                }
            } else {
                let c = &session.plan.composites[(id - n_frozen) as usize];
                FeatureDef {
                    category: c.category.clone(),
                    expected_sign: (c.expected_sign != 0).then_some(c.expected_sign as i64),
                    ..FeatureDef::new(c.name.clone(), FeatureRole::Composite, c.base.clone())
                }
            }
        })
        .collect();
    // The regressors in coefficient order, over every date.
    let columns: Vec<(String, Vec<f64>)> = spec
        .iter()
        .filter(|&&id| id < n_frozen)
        .chain(spec.iter().filter(|&&id| id >= n_frozen))
        .map(|&id| {
            let values = if id < n_frozen {
                catalogue.columns[id as usize].values.clone()
            } else {
                ctx.composite_values(id)
            };
            (ctx.column_name(id).to_string(), values)
        })
        .collect();
    let status = match outcome.status {
        Status::Passed => OutcomeStatus::Passed,
        Status::Filtered => OutcomeStatus::Filtered,
        Status::Error => OutcomeStatus::Error,
    };
    let fitted = outcome.status != Status::Error && !outcome.params.is_empty();
    let mut report = ModelReport {
        fit: super::FitChoice::In,
        origin: Origin::Refit {
            config_path: session.config.path.display().to_string(),
        },
        target: catalogue.columns[0].name.clone(),
        target_stationary: session.built.target_pretest.stationary,
        spec_index,
        rank: None,
        score: None,
        status,
        failed_test: outcome.failed_test,
        message: outcome.message.clone(),
        r2: outcome.r2,
        spec_key: Some(session.plan.space.key_hex(spec)),
        features,
        definitions_from: "config",
        outcome: fitted.then_some(outcome),
        param_names,
        thresholds: session.config.file.filters.clone(),
        alpha: options.alpha,
        data: None,
        summary: None,
        data_note: None,
        scenarios: None,
        sensitivity: None,
        attribution: None,
        stability: None,
        benchmark: None,
    };
    if fitted {
        let mut data = ModelData::from_bundle(b, columns);
        let target = &session.config.file.target;
        if let Some(exposure) = &target.exposure {
            let series = |name: &str| {
                b.base_series
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_slice())
                    .unwrap_or(&[])
            };
            data = data.with_ratio(series(&target.column), series(exposure), target);
        }
        report.attach_data(data);
    } else {
        report.data_note = Some("the spec could not be fitted".into());
    }
    Ok(report)
}
