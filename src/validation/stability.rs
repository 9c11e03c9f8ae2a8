//! Stability over time of each validated model (docs/semantics.md §11): the walk-forward
//! trials (the core's `walk_forward`, the search's own kernel on shortened samples), the
//! recursive coefficients with ±2 SE bands and the break tests (`stats::stability`), dated on
//! the in-sample calendar and journaled per model (`stability_trials`,
//! `stability_coefficients`, `recursive_coefficients`, `break_tests`).

use anyhow::{Context, Result};

use super::stability_inputs::StabilityInputs;
use super::{AnalysisReport, Frame, ModelContext};
use crate::assess::{ColumnData, ColumnUnitRoot, Status, TargetData};
use crate::journal::{
    BreakTest, BreakTestRecord, BreakVerdict, CusumRecord, JournalRw, ModelStability,
    RecursiveRecord, RecursiveSeries, TrialCoefficient, TrialRecord,
};
use crate::spec::FeatureRole;
use crate::stats::{ols, stability};
use specsearch_core::walk_forward::{self, Trial};

/// A regressor's facts the filters need (sign, dummy set, unit roots), from the catalogue or
/// the plan's composites.
#[derive(Debug, Clone)]
pub struct TermFacts {
    pub expected_sign: i8,
    pub is_dummy: bool,
    /// Full dummy sets (tested jointly), numbered within the model.
    pub dummy_group: Option<u32>,
    pub unit_root: Option<ColumnUnitRoot>,
}

/// The facts of every term of `ctx`.
pub fn term_facts(frame: &Frame<'_>, ctx: &ModelContext) -> Vec<TermFacts> {
    let catalogue = &frame.session.built.bundle.catalogue;
    let mut sets: Vec<&str> = Vec::new();
    ctx.terms
        .iter()
        .map(|t| match catalogue.columns.get(t.id as usize) {
            Some(c) => {
                let is_dummy = c.role == FeatureRole::Dummy;
                let dummy_group = match (&c.dummy_set, is_dummy && c.full_dummy_set) {
                    (Some(set), true) => Some(match sets.iter().position(|s| s == set) {
                        Some(p) => p as u32,
                        None => {
                            sets.push(set);
                            (sets.len() - 1) as u32
                        }
                    }),
                    _ => None,
                };
                TermFacts {
                    expected_sign: c.sign,
                    is_dummy,
                    dummy_group,
                    unit_root: match (c.pretest.adf_p, c.pretest.pp_p) {
                        (None, None) => None,
                        (a, p) => Some(ColumnUnitRoot {
                            adf_pvalue: a.unwrap_or(f64::NAN),
                            pp_pvalue: p.unwrap_or(f64::NAN),
                        }),
                    },
                }
            }
            None => TermFacts {
                expected_sign: frame.catalogue.composites[t.id as usize - catalogue.len()]
                    .expected_sign,
                is_dummy: false,
                dummy_group: None,
                unit_root: None,
            },
        })
        .collect()
}

/// The in-sample rows of a model: the target, each regressor, and their dates.
struct InSample {
    y: Vec<f64>,
    columns: Vec<Vec<f64>>,
    dates: Vec<String>,
}

fn in_sample(ctx: &ModelContext) -> InSample {
    let d = &ctx.data;
    let rows: Vec<usize> = (0..d.dates.len()).filter(|&i| d.in_sample[i]).collect();
    InSample {
        y: rows.iter().map(|&i| d.actual[i]).collect(),
        columns: (1..=ctx.terms.len()).map(|t| ctx.in_sample(t)).collect(),
        dates: rows
            .iter()
            .map(|&i| d.dates[i].format("%Y-%m-%d").to_string())
            .collect(),
    }
}

/// The §11 analysis of one model.
pub fn analyze(
    frame: &Frame<'_>,
    inputs: &StabilityInputs,
    ctx: &ModelContext,
) -> Result<ModelStability> {
    let data = in_sample(ctx);
    let facts = term_facts(frame, ctx);
    let names: Vec<&str> = ctx.detail.param_names.iter().map(String::as_str).collect();
    let columns: Vec<ColumnData<'_>> = ctx
        .terms
        .iter()
        .zip(&facts)
        .zip(&data.columns)
        .map(|((t, f), values)| ColumnData {
            name: &t.name,
            in_sample: values,
            out_of_sample: &[],
            expected_sign: f.expected_sign,
            is_dummy: f.is_dummy,
            dummy_group: f.dummy_group,
            unit_root: f.unit_root,
        })
        .collect();
    let target = TargetData {
        name: &frame.run.target,
        in_sample: &data.y,
        out_of_sample: &[],
        stationary: frame.run.target_stationary,
    };
    let trials = walk_forward::walk_forward(
        &target,
        &columns,
        &frame.session.config.file.filters,
        &inputs.cuts,
    )
    .with_context(|| format!("walk-forward trials of {}", ctx.label()))?;
    let mut notes: Vec<String> = trials
        .iter()
        .filter_map(|t| t.note.as_ref().map(|n| format!("{}: {n}", t.label)))
        .collect();
    let trials = trials
        .iter()
        .enumerate()
        .map(|(i, t)| trial_record(t, i as u32, &names, &data.dates))
        .collect();

    let cols: Vec<&[f64]> = data.columns.iter().map(Vec::as_slice).collect();
    let p = cols.len() + 1;
    let n = data.y.len();
    let start = stability::recursive_start(p, inputs.min_window);
    let recursive = if start > n {
        notes.push(format!(
            "recursive coefficients: the first window needs {start} rows (max(2 × {p} columns, \
             {})) and the in-sample has {n}",
            inputs.min_window
        ));
        None
    } else {
        let r = stability::recursive_coefficients(&data.y, &cols, start)
            .with_context(|| format!("recursive coefficients of {}", ctx.label()))?;
        Some(RecursiveRecord {
            start_date: data.dates[0].clone(),
            first_rows: start as u32,
            dates: data.dates[start - 1..].to_vec(),
            series: (0..p)
                .map(|j| RecursiveSeries {
                    name: names[j].to_string(),
                    coefs: r.params.iter().map(|w| w[j]).collect(),
                    ses: r.bse.iter().map(|w| w[j]).collect(),
                })
                .collect(),
        })
    };

    let (breaks, cusums) = break_tests(inputs, &data, &cols, &mut notes)
        .with_context(|| format!("break tests of {}", ctx.label()))?;
    Ok(ModelStability {
        spec_index: ctx.model.spec_index,
        trials,
        recursive,
        breaks,
        cusums,
        notes,
    })
}

fn trial_record(t: &Trial, position: u32, names: &[&str], dates: &[String]) -> TrialRecord {
    let last = t.rows.max(1) - 1;
    let mut r = TrialRecord {
        trial: t.label.clone(),
        position,
        cut: t.cut as u32,
        in_start: dates[0].clone(),
        in_end: dates[last.min(dates.len() - 1)].clone(),
        nobs: t.rows as u32,
        cov_type: None,
        r2: None,
        adj_r2: None,
        rmse_in: None,
        rmse_oos: None,
        mae_oos: None,
        max_abs_oos: None,
        passes: None,
        failed_test: None,
        note: t.note.clone(),
        coefficients: Vec::new(),
    };
    let Some(o) = &t.outcome else { return r };
    r.cov_type = o.cov_type;
    r.r2 = o.r2;
    r.adj_r2 = o.adj_r2;
    r.rmse_in = o.is_rmse;
    r.rmse_oos = o.oos_rmse;
    r.mae_oos = o.oos_mae;
    r.max_abs_oos = o.oos_max_abs_error;
    r.passes = Some(o.status == Status::Passed);
    r.failed_test = o.failed_test;
    if o.status == Status::Error {
        r.note = o.message.clone();
    }
    r.coefficients = names
        .iter()
        .enumerate()
        .map(|(j, name)| TrialCoefficient {
            name: name.to_string(),
            coef: o.params.get(j).copied(),
            se: o.bse.get(j).copied(),
            pvalue: o.pvalues.get(j).copied(),
            pct_change: t.pct_change.get(j).copied().flatten(),
        })
        .collect();
    r
}

fn not_computed(test: BreakTest, date: Option<String>, why: String) -> BreakTestRecord {
    BreakTestRecord {
        test,
        date,
        statistic: None,
        p_value: None,
        critical_value: None,
        verdict: BreakVerdict::NotComputed,
        note: Some(why),
    }
}

fn verdict(unstable: bool) -> BreakVerdict {
    if unstable {
        BreakVerdict::Unstable
    } else {
        BreakVerdict::Stable
    }
}

/// The four tests of the in-sample fit (Chow once per break date) and the two CUSUM paths.
fn break_tests(
    inputs: &StabilityInputs,
    data: &InSample,
    cols: &[&[f64]],
    notes: &mut Vec<String>,
) -> Result<(Vec<BreakTestRecord>, Vec<CusumRecord>)> {
    let p = cols.len() + 1;
    let mut out = Vec::new();
    let mut cusums = Vec::new();
    let fit = ols::fit(&data.y, cols, None)?;
    match stability::cusum_ols(&fit.resid, p) {
        Ok(c) => {
            out.push(BreakTestRecord {
                test: BreakTest::CusumOls,
                date: Some(data.dates[c.argmax].clone()),
                statistic: Some(c.statistic),
                p_value: Some(c.p_value),
                critical_value: Some(stability::KOLMOGOROV_5PCT),
                verdict: verdict(c.statistic > stability::KOLMOGOROV_5PCT),
                note: None,
            });
            cusums.push(CusumRecord {
                test: BreakTest::CusumOls,
                first_date: data.dates[0].clone(),
                upper: vec![stability::KOLMOGOROV_5PCT; c.path.len()],
                path: c.path,
            });
        }
        Err(e) => out.push(not_computed(BreakTest::CusumOls, None, e.to_string())),
    }
    match stability::recursive_cusum(&data.y, cols) {
        Ok(r) => {
            out.push(BreakTestRecord {
                test: BreakTest::CusumRecursive,
                date: Some(data.dates[r.first + r.argmax].clone()),
                statistic: Some(r.statistic),
                p_value: Some(r.p_value),
                critical_value: Some(stability::BDE_CRITICAL_5PCT),
                verdict: verdict(r.crosses()),
                note: (r.first > p).then(|| {
                    format!(
                        "the first {} rows have a rank-deficient design; recursive residuals \
                         start at {}",
                        r.first, data.dates[r.first]
                    )
                }),
            });
            cusums.push(CusumRecord {
                test: BreakTest::CusumRecursive,
                first_date: data.dates[r.first].clone(),
                path: r.path,
                upper: r.upper,
            });
        }
        Err(e) => out.push(not_computed(BreakTest::CusumRecursive, None, e.to_string())),
    }
    match stability::hansen(&fit.resid, cols) {
        Ok(h) => out.push(BreakTestRecord {
            test: BreakTest::Hansen,
            date: None,
            statistic: Some(h.statistic),
            p_value: None,
            critical_value: h.critical_value,
            verdict: match h.unstable() {
                Some(u) => verdict(u),
                None => BreakVerdict::NotComputed,
            },
            note: h.critical_value.is_none().then(|| {
                format!(
                    "Hansen's table of critical values stops at 20 parameters; this model tests \
                     {}",
                    h.parameters
                )
            }),
        }),
        Err(e) => out.push(not_computed(BreakTest::Hansen, None, e.to_string())),
    }
    for &(date, row) in &inputs.break_dates {
        let split = row - inputs.sample.in_start;
        let when = date.format("%Y-%m-%d").to_string();
        match stability::chow(&data.y, cols, split) {
            Ok(c) => out.push(BreakTestRecord {
                test: BreakTest::Chow,
                date: Some(when),
                statistic: Some(c.statistic),
                p_value: Some(c.p_value),
                critical_value: None,
                verdict: verdict(c.p_value < 0.05),
                note: None,
            }),
            Err(e) => {
                notes.push(format!("Chow test at {when}: {e}"));
                out.push(not_computed(BreakTest::Chow, Some(when), e.to_string()));
            }
        }
    }
    Ok((out, cusums))
}

/// Runs §11 for `models` and journals it.
pub fn run(
    frame: &Frame<'_>,
    inputs: &StabilityInputs,
    models: &[ModelContext],
    journal: &JournalRw,
) -> Result<AnalysisReport> {
    let records = models
        .iter()
        .map(|ctx| analyze(frame, inputs, ctx))
        .collect::<Result<Vec<_>>>()?;
    let rows = journal.write_stability(frame.run.run_id, &records)?;
    let failing = records
        .iter()
        .filter(|m| m.trials.iter().any(|t| t.passes == Some(false)))
        .count();
    let unstable = records
        .iter()
        .filter(|m| m.breaks.iter().any(|b| b.verdict == BreakVerdict::Unstable))
        .count();
    let cuts: Vec<String> = inputs.cuts.iter().map(|k| k.to_string()).collect();
    let notes = records
        .iter()
        .flat_map(|m| {
            m.notes
                .iter()
                .map(move |n| format!("spec {}: {n}", m.spec_index))
        })
        .collect();
    Ok(AnalysisReport {
        name: "stability",
        models: records.len(),
        rows,
        summary: format!(
            "cuts [{}]: {failing} of {} model(s) fail a filter on less data, {unstable} show a \
             break at 5%",
            cuts.join(", "),
            records.len()
        ),
        notes,
    })
}
