//! The benchmarks and the incumbent fitted on the run's samples: no change and given
//! coefficients scored by the core's `benchmark::score`, the mean, the AR(1), the forced items
//! and a fitted incumbent by `assess` (the full report of §5, as `show-model` computes it).

use std::borrow::Cow;
use std::ops::Range;

use anyhow::Result;

use super::coefficients;
use crate::assess::{
    ColumnData, Evaluator, EvaluatorOptions, Outcome, Scratch, Status, TargetData,
};
use crate::features::Transform;
use crate::journal::{BenchmarkFit, BenchmarkMethod, ModelCoefficients, INTERCEPT};
use crate::runtime::context::{EvalContext, Transport};
use crate::session::Session;
use specsearch_core::benchmark::{self as core, Predictions};

/// At most this many forced-only benchmarks (one per variant combination of the forced items).
const MAX_FORCED_ONLY: u64 = 16;

/// How a model's scenario path is made.
pub(crate) enum Forecastable {
    /// The same transform value every period (the mean; no change of a difference or growth).
    Constant(f64),
    /// The level at p0 carried forward (no change of a level target).
    LastLevel,
    /// `τ_k = intercept + phi·τ_{k−1}` from the transform at p0.
    Ar1 { intercept: f64, phi: f64 },
    /// A regression on the search's columns, projected like a passed model.
    Coefficients(ModelCoefficients),
    /// Cannot be projected (why).
    Not(String),
}

/// One benchmark (or the incumbent): its journaled fit and how it is projected.
pub struct Model {
    pub fit: BenchmarkFit,
    pub(crate) forecastable: Forecastable,
}

/// The target and the samples every model is fitted on.
struct Sample<'a> {
    session: &'a Session,
    y: &'a [f64],
    ins: Range<usize>,
    oos: Range<usize>,
    dates: Vec<String>,
}

impl Sample<'_> {
    /// The rows of the fit: in-sample, then out-of-sample.
    fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.ins.clone().chain(self.oos.clone())
    }

    /// A column's values over every date: frozen, or a composite built from its sources.
    fn column(&self, name: &str) -> Option<Cow<'_, [f64]>> {
        let b = &self.session.built.bundle;
        if let Some(id) = b.catalogue.id(name) {
            return Some(Cow::Borrowed(&b.catalogue.columns[id as usize].values));
        }
        let c = self
            .session
            .plan
            .composites
            .iter()
            .find(|c| c.name == name)?;
        let values = c
            .kind
            .values(|id| &b.catalogue.columns[id as usize].values, b.n_rows());
        Some(Cow::Owned(values))
    }

    /// `params · [1, x]` on every row of the fit (NaN where a column has no value).
    fn fitted(&self, names: &[String], params: &[f64]) -> Vec<f64> {
        let columns: Vec<Option<Cow<'_, [f64]>>> =
            names.iter().skip(1).map(|n| self.column(n)).collect();
        self.rows()
            .map(|t| {
                let mut v = params.first().copied().unwrap_or(f64::NAN);
                for (c, b) in columns.iter().zip(params.iter().skip(1)) {
                    v += b * c.as_ref().map_or(f64::NAN, |c| c[t]);
                }
                v
            })
            .collect()
    }

    fn benchmark(&self, name: &str, method: BenchmarkMethod, o: Outcome) -> BenchmarkFit {
        BenchmarkFit {
            name: name.to_string(),
            method,
            features: Vec::new(),
            coefficients_given: false,
            spec_key: None,
            outcome: o,
            param_names: Vec::new(),
            passes: None,
            failed_test: None,
            dates: self.dates.clone(),
            fitted: Vec::new(),
            note: None,
        }
    }

    fn evaluator(
        &self,
        y_in: &[f64],
        y_oos: &[f64],
        columns: &[ColumnData<'_>],
    ) -> Result<Evaluator> {
        let s = self.session;
        Ok(Evaluator::new(
            TargetData {
                name: &s.built.bundle.catalogue.columns[0].name,
                in_sample: y_in,
                out_of_sample: y_oos,
                stationary: s.built.target_pretest.stationary,
            },
            columns,
            s.config.file.filters.clone(),
            EvaluatorOptions::default(),
        )?)
    }
}

/// Every benchmark of the session's search, then the incumbent (its column ids, from
/// `check_incumbent`), in display order.
pub fn fit_models(
    session: &Session,
    incumbent: Option<&[u32]>,
    notes: &mut Vec<String>,
) -> Result<Vec<Model>> {
    let b = &session.built.bundle;
    let ins = b.sample.in_rows();
    let oos = b.sample.oos_rows();
    let date = |i: usize| b.dates[i].format("%Y-%m-%d").to_string();
    let sample = Sample {
        session,
        y: &b.catalogue.columns[0].values,
        dates: ins.clone().chain(oos.clone()).map(date).collect(),
        ins,
        oos,
    };
    let mut models = vec![no_change(&sample)?, mean(&sample)?, ar1(&sample)?];
    let space = &session.plan.space;
    let needs_context = space.forced_count() > 0
        || incumbent.is_some_and(|_| {
            session
                .config
                .file
                .incumbent
                .as_ref()
                .is_some_and(|i| i.coefficients.is_none())
        });
    let ctx = if needs_context {
        Some(EvalContext::from_matrix(
            &session.setup(Transport::Duckdb),
            &b.matrix(),
        )?)
    } else {
        None
    };
    if let (Some(ctx), true) = (&ctx, space.forced_count() > 0) {
        let specs = space.level_starts()[1];
        if specs > MAX_FORCED_ONLY {
            notes.push(format!(
                "the forced items have {specs} variant combinations: the first \
                 {MAX_FORCED_ONLY} are benchmarks"
            ));
        }
        let mut spec = Vec::new();
        for index in 0..specs.min(MAX_FORCED_ONLY) {
            space.spec_at(index, &mut spec)?;
            let name = if index == 0 {
                "forced_only".to_string()
            } else {
                format!("forced_only#{}", index + 1)
            };
            let (o, names) = ctx.assess_report(&spec);
            let mut m = fitted_model(&sample, &name, BenchmarkMethod::ForcedOnly, o, names);
            m.fit.spec_key = Some(space.key_hex(&spec));
            models.push(m);
        }
    }
    if let (Some(ids), Some(config)) = (incumbent, &session.config.file.incumbent) {
        let mut m = match (&config.coefficients, &ctx) {
            (Some(given), _) => given_coefficients(&sample, &config.features, given),
            (None, Some(ctx)) => {
                let (o, names) = ctx.assess_report(ids);
                let mut m =
                    fitted_model(&sample, "incumbent", BenchmarkMethod::Incumbent, o, names);
                m.fit.passes = Some(m.fit.outcome.status == Status::Passed);
                m.fit.failed_test = m.fit.outcome.failed_test;
                m
            }
            (None, None) => unreachable!("a fitted incumbent builds the evaluation context"),
        };
        m.fit.spec_key = Some(space.key_hex(ids));
        models.push(m);
    }
    Ok(models)
}

/// ŷ = 0 (difference or growth target) or the last known level (level target).
fn no_change(s: &Sample<'_>) -> Result<Model> {
    let target = &s.session.config.file.target;
    let level = target.transform == Transform::Lv;
    let pred = core::no_change(s.y, level, target.lead as usize);
    let o = core::score(&Predictions {
        y_in: &s.y[s.ins.clone()],
        fitted: &pred[s.ins.clone()],
        y_oos: &s.y[s.oos.clone()],
        predicted: &pred[s.oos.clone()],
        columns: &[],
        params: &[],
    });
    let mut fit = s.benchmark("no_change", BenchmarkMethod::NoChange, o);
    fit.fitted = s.rows().map(|t| pred[t]).collect();
    fit.note = Some(if level {
        "the last known level carried forward (nothing is fitted)".into()
    } else {
        "a change of zero every period (nothing is fitted)".into()
    });
    Ok(Model {
        fit,
        forecastable: if level {
            Forecastable::LastLevel
        } else {
            Forecastable::Constant(0.0)
        },
    })
}

/// The intercept alone (OLS: the in-sample mean), judged by §5 like any spec.
fn mean(s: &Sample<'_>) -> Result<Model> {
    let y_in = &s.y[s.ins.clone()];
    let ev = s.evaluator(y_in, &s.y[s.oos.clone()], &[])?;
    let o = ev.assess_report(&[], &[], &mut Scratch::default());
    let names = vec![INTERCEPT.to_string()];
    let m = fitted_model(s, "mean", BenchmarkMethod::Mean, o, names);
    Ok(m)
}

/// The lagged target transform as the only regressor, on the in-sample rows that have a
/// lagged value; one-step predictions out of sample (the actual lag), recursive in scenarios.
fn ar1(s: &Sample<'_>) -> Result<Model> {
    let (ins, oos) = (s.ins.clone(), s.oos.clone());
    let mut start = ins.start;
    while start < ins.end && (start == 0 || !s.y[start - 1].is_finite()) {
        start += 1;
    }
    let lag_name = format!("{}_L1", s.session.built.bundle.catalogue.columns[0].name);
    if start + 2 >= ins.end {
        let o = Outcome {
            status: Status::Error,
            message: Some("too few in-sample rows with a lagged target value".into()),
            ..Outcome::default()
        };
        let mut fit = s.benchmark("ar1", BenchmarkMethod::Ar1, o);
        fit.fitted = vec![f64::NAN; s.dates.len()];
        return Ok(Model {
            fit,
            forecastable: Forecastable::Not("it could not be fitted".into()),
        });
    }
    let lag_oos: &[f64] = if oos.is_empty() {
        &[]
    } else {
        &s.y[oos.start - 1..oos.end - 1]
    };
    let column = ColumnData {
        name: &lag_name,
        in_sample: &s.y[start - 1..ins.end - 1],
        out_of_sample: lag_oos,
        expected_sign: 0,
        is_dummy: false,
        dummy_group: None,
        unit_root: None,
    };
    let ev = s.evaluator(&s.y[start..ins.end], &s.y[oos.clone()], &[column])?;
    let o = ev.assess_report(&[0], &[], &mut Scratch::default());
    let (intercept, phi) = match o.params.as_slice() {
        [c, p] => (*c, *p),
        _ => (f64::NAN, f64::NAN),
    };
    let mut fit = s.benchmark("ar1", BenchmarkMethod::Ar1, o);
    fit.features = vec![lag_name.clone()];
    fit.param_names = vec![INTERCEPT.to_string(), lag_name];
    fit.fitted = s
        .rows()
        .map(|t| {
            if t < start {
                f64::NAN
            } else {
                intercept + phi * s.y[t - 1]
            }
        })
        .collect();
    if start > ins.start {
        fit.note = Some(format!(
            "fitted from {} (the first in-sample rows have no lagged value)",
            s.session.built.bundle.dates[start]
        ));
    }
    let forecastable = if phi.is_finite() {
        Forecastable::Ar1 { intercept, phi }
    } else {
        Forecastable::Not("it could not be fitted".into())
    };
    Ok(Model { fit, forecastable })
}

/// A model fitted by `assess` on the search's columns `names` (intercept first).
fn fitted_model(
    s: &Sample<'_>,
    name: &str,
    method: BenchmarkMethod,
    o: Outcome,
    names: Vec<String>,
) -> Model {
    let fitted = if o.params.len() == names.len() {
        s.fitted(&names, &o.params)
    } else {
        vec![f64::NAN; s.dates.len()]
    };
    let forecastable = if o.params.len() == names.len() && !o.params.is_empty() {
        Forecastable::Coefficients(coefficients(&names, &o.params))
    } else {
        Forecastable::Not(
            o.message
                .clone()
                .unwrap_or_else(|| "it could not be fitted".into()),
        )
    };
    let mut fit = s.benchmark(name, method, o);
    fit.features = names[1..].to_vec();
    fit.param_names = names;
    fit.fitted = fitted;
    Model { fit, forecastable }
}

/// The incumbent with its coefficients as given: scored on its predictions, not fitted (no
/// standard errors, nothing to judge by the filters).
fn given_coefficients(
    s: &Sample<'_>,
    features: &[String],
    given: &std::collections::BTreeMap<String, f64>,
) -> Model {
    let names: Vec<String> = std::iter::once(INTERCEPT.to_string())
        .chain(features.iter().map(|f| f.trim().to_string()))
        .collect();
    let params: Vec<f64> = names
        .iter()
        .map(|n| given.get(n).copied().unwrap_or(f64::NAN))
        .collect();
    let values: Vec<Cow<'_, [f64]>> = names[1..]
        .iter()
        .map(|n| s.column(n).unwrap_or(Cow::Owned(vec![f64::NAN; s.y.len()])))
        .collect();
    let columns_in: Vec<&[f64]> = values.iter().map(|v| &v[s.ins.clone()]).collect();
    let fitted = s.fitted(&names, &params);
    let n_in = s.ins.len();
    let o = core::score(&Predictions {
        y_in: &s.y[s.ins.clone()],
        fitted: &fitted[..n_in],
        y_oos: &s.y[s.oos.clone()],
        predicted: &fitted[n_in..],
        columns: &columns_in,
        params: &params,
    });
    let mut fit = s.benchmark("incumbent", BenchmarkMethod::Incumbent, o);
    fit.features = names[1..].to_vec();
    fit.coefficients_given = true;
    fit.fitted = fitted;
    fit.note = Some(
        "coefficients as given in [incumbent]: not fitted, so no standard errors and no \
         verdict of the filters"
            .into(),
    );
    let forecastable = Forecastable::Coefficients(coefficients(&names, &params));
    fit.param_names = names;
    Model { fit, forecastable }
}
