//! The per-worker [`Evaluator`]: frozen data and spec-independent precomputation (centered
//! columns, means, `Xcᵀyc`, optionally the centered cross-product matrix, cached critical
//! values), and the public entry points. The §5 pipeline itself is in [`pipeline`]; it turns
//! one spec into an [`Outcome`] using only the buffers of a reusable [`Scratch`].
//!
//! Memory strategy for the cross-products: with at most `max_gram_columns` columns (default
//! 2048, i.e. ≤ 16 MiB as a packed triangle) the centered Gram of all columns is precomputed,
//! and a spec only gathers its `k(k+1)/2` entries. Above that the entries are computed per spec
//! from the stored centered columns (`k(k+1)/2` dot products of length n, ~5 µs for k = 11,
//! n = 213). Both paths use the same dot-product kernel on the same centered data, so outcomes
//! are bit-identical whichever is chosen.

mod pipeline;

use super::{FilterTest, FilterThresholds, Outcome, Status};
use crate::stats::dist::PCut;
use crate::stats::linalg::{center_into, dot, gram_lower};
use crate::stats::ols::LsWork;
use crate::stats::unitroot::{stationarity_with, UnitRootWork};
use crate::stats::StatsError;
use std::sync::OnceLock;

/// The target series.
#[derive(Debug, Clone, Copy)]
pub struct TargetData<'a> {
    /// Target name (used in error messages).
    pub name: &'a str,
    /// In-sample values.
    pub in_sample: &'a [f64],
    /// Out-of-sample values (may be empty).
    pub out_of_sample: &'a [f64],
    /// Pretest verdict of §3: `false` switches on filter 6 (Y–X Cointegration).
    pub stationary: bool,
}

/// ADF and PP p-values of a column (NaN when a test could not be computed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnUnitRoot {
    /// ADF p-value.
    pub adf_pvalue: f64,
    /// Phillips–Perron p-value.
    pub pp_pvalue: f64,
}

/// One frozen candidate column; its index in the slice given to [`Evaluator::new`] is its
/// dense column id.
#[derive(Debug, Clone, Copy)]
pub struct ColumnData<'a> {
    /// Column name.
    pub name: &'a str,
    /// In-sample values (same rows as the target).
    pub in_sample: &'a [f64],
    /// Out-of-sample values (same rows as the target's).
    pub out_of_sample: &'a [f64],
    /// Expected coefficient sign: -1, 0 (none) or +1.
    pub expected_sign: i8,
    /// Month/quarter dummy (excluded from the cointegration filter).
    pub is_dummy: bool,
    /// Group id when the column belongs to a FULL dummy set tested jointly (filter 3);
    /// such columns are exempt from filter 2.
    pub dummy_group: Option<u32>,
    /// Known unit-root p-values (from the planning pretests); computed at construction when
    /// absent and the target is non-stationary.
    pub unit_root: Option<ColumnUnitRoot>,
}

/// A column built per spec (composites such as `a*b`), not in the frozen set.
#[derive(Debug, Clone, Copy)]
pub struct ExtraColumn<'a> {
    /// Column name.
    pub name: &'a str,
    /// In-sample values.
    pub in_sample: &'a [f64],
    /// Out-of-sample values (same length as the target's, may be empty when it is).
    pub out_of_sample: &'a [f64],
    /// Expected sign: -1, 0 or +1.
    pub expected_sign: i8,
}

/// Construction options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvaluatorOptions {
    /// Precompute the packed centered Gram of all columns when there are at most this many.
    pub max_gram_columns: usize,
}

impl Default for EvaluatorOptions {
    fn default() -> Self {
        EvaluatorOptions {
            max_gram_columns: 2048,
        }
    }
}

#[derive(Debug, Clone)]
struct ColumnMeta {
    name: String,
    sign: i8,
    is_dummy: bool,
    group: Option<u32>,
    /// First non-finite in-sample value.
    bad: Option<(usize, f64)>,
    unit_root: Option<ColumnUnitRoot>,
}

/// Frozen data and precomputation for one worker. Immutable once built apart from the cached
/// critical values, which are filled on first use through `OnceLock`s; share it freely.
#[derive(Debug, Clone)]
pub struct Evaluator {
    n: usize,
    n_oos: usize,
    target_name: String,
    target_stationary: bool,
    y_bad: Option<(usize, f64)>,
    yc: Vec<f64>,
    ybar: f64,
    tss: f64,
    y_oos: Vec<f64>,
    /// Centered in-sample columns, column-major `n × ncols`.
    xc: Vec<f64>,
    xbar: Vec<f64>,
    raw_ss: Vec<f64>,
    /// Raw out-of-sample columns, `n_oos × ncols`.
    x_oos: Vec<f64>,
    /// `Xcᵀ yc` per column.
    xy: Vec<f64>,
    /// Packed lower-triangular centered Gram (`i(i+1)/2 + j`, `j ≤ i`), when small enough.
    gram: Option<Vec<f64>>,
    meta: Vec<ColumnMeta>,
    thresholds: FilterThresholds,
    /// Filter 2 decision `p < coef_alpha` per residual df (index `n − rank`), built on first
    /// use; shared by every thread using this evaluator.
    t_cuts: Vec<OnceLock<PCut>>,
    /// Covariance choice `BG p ≤ bg_alpha` (χ²(1)), built on first use.
    bg_cut: OnceLock<PCut>,
}

/// Per-worker reusable buffers. Create one per thread with `Scratch::default()`.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    refs: Vec<ColRef>,
    ext_xc: Vec<f64>,
    ext_raw: Vec<f64>,
    xbar: Vec<f64>,
    ls: LsWork,
    resid: Vec<f64>,
    pred: Vec<f64>,
    z: Vec<f64>,
    win: Vec<f64>,
    meat: Vec<f64>,
    cov: Vec<f64>,
    tmp: Vec<f64>,
    buf: Vec<f64>,
    idx: Vec<usize>,
    groups: Vec<u32>,
    aux: Vec<f64>,
    aux_ls: LsWork,
    ur: UnitRootWork,
    outcome: Outcome,
}

#[derive(Debug, Clone, Copy)]
enum ColRef {
    Frozen(usize),
    Extra(usize),
}

fn first_bad(x: &[f64]) -> Option<(usize, f64)> {
    x.iter().position(|v| !v.is_finite()).map(|i| (i, x[i]))
}

impl Evaluator {
    /// Builds the evaluator. Errors only on inconsistent lengths; non-finite values are
    /// recorded and turn every spec that uses them into an `error` outcome naming the column.
    pub fn new(
        target: TargetData<'_>,
        columns: &[ColumnData<'_>],
        thresholds: FilterThresholds,
        options: EvaluatorOptions,
    ) -> Result<Evaluator, StatsError> {
        let n = target.in_sample.len();
        let n_oos = target.out_of_sample.len();
        let ncols = columns.len();
        for c in columns {
            for (got, expected) in [(c.in_sample.len(), n), (c.out_of_sample.len(), n_oos)] {
                if got != expected {
                    return Err(StatsError::LengthMismatch {
                        column: c.name.to_string(),
                        got,
                        expected,
                    });
                }
            }
        }
        let y_bad = first_bad(target.in_sample);
        let mut yc = vec![0.0; n];
        let ybar = center_into(target.in_sample, &mut yc);
        let tss = dot(&yc, &yc);
        let mut xc = vec![0.0; n * ncols];
        let mut xbar = vec![0.0; ncols];
        let mut raw_ss = vec![0.0; ncols];
        let mut x_oos = Vec::with_capacity(n_oos * ncols);
        let mut xy = vec![0.0; ncols];
        let mut meta = Vec::with_capacity(ncols);
        let mut ur = UnitRootWork::default();
        for (j, c) in columns.iter().enumerate() {
            let col = &mut xc[j * n..(j + 1) * n];
            xbar[j] = center_into(c.in_sample, col);
            raw_ss[j] = dot(c.in_sample, c.in_sample);
            xy[j] = dot(col, &yc);
            x_oos.extend_from_slice(c.out_of_sample);
            let bad = first_bad(c.in_sample);
            let unit_root = match c.unit_root {
                Some(u) => Some(u),
                None if !target.stationary && !c.is_dummy && bad.is_none() => {
                    let s = stationarity_with(c.in_sample, &mut ur);
                    Some(ColumnUnitRoot {
                        adf_pvalue: s.adf_p(),
                        pp_pvalue: s.pp_p(),
                    })
                }
                None => None,
            };
            meta.push(ColumnMeta {
                name: c.name.to_string(),
                sign: c.expected_sign,
                is_dummy: c.is_dummy,
                group: c.dummy_group,
                bad,
                unit_root,
            });
        }
        let gram = (ncols <= options.max_gram_columns).then(|| {
            let mut g = vec![0.0; ncols * (ncols + 1) / 2];
            gram_lower(
                ncols,
                |j| &xc[j * n..(j + 1) * n],
                |i, j, v| {
                    g[i * (i + 1) / 2 + j] = v;
                },
            );
            g
        });
        Ok(Evaluator {
            n,
            n_oos,
            target_name: target.name.to_string(),
            target_stationary: target.stationary,
            y_bad,
            yc,
            ybar,
            tss,
            y_oos: target.out_of_sample.to_vec(),
            xc,
            xbar,
            raw_ss,
            x_oos,
            xy,
            gram,
            meta,
            thresholds,
            t_cuts: (0..=n).map(|_| OnceLock::new()).collect(),
            bg_cut: OnceLock::new(),
        })
    }

    /// Number of frozen columns.
    pub fn ncols(&self) -> usize {
        self.meta.len()
    }

    /// Name of frozen column `id`.
    pub fn column_name(&self, id: u32) -> Option<&str> {
        self.meta.get(id as usize).map(|m| m.name.as_str())
    }

    /// The thresholds in use.
    pub fn thresholds(&self) -> &FilterThresholds {
        &self.thresholds
    }

    /// Whether the packed Gram was precomputed.
    pub fn has_gram(&self) -> bool {
        self.gram.is_some()
    }

    /// Assesses a spec of frozen column ids; returns a fresh outcome.
    pub fn assess(&self, spec: &[u32], scratch: &mut Scratch) -> Outcome {
        let mut out = std::mem::take(&mut scratch.outcome);
        self.run(spec, &[], scratch, &mut out, false);
        let result = out.clone();
        scratch.outcome = out;
        result
    }

    /// Assesses frozen ids plus ad-hoc columns (composites built per spec). Coefficients are in
    /// the order intercept, `spec`, `extra`.
    pub fn assess_with_extra(
        &self,
        spec: &[u32],
        extra: &[ExtraColumn<'_>],
        scratch: &mut Scratch,
    ) -> Outcome {
        let mut out = Outcome::default();
        self.run(spec, extra, scratch, &mut out, false);
        out
    }

    /// Allocation-free form: writes into `out`, reusing its vectors. The filtered path does not
    /// touch the heap once `scratch` and `out` have warmed up.
    pub fn assess_into(
        &self,
        spec: &[u32],
        extra: &[ExtraColumn<'_>],
        scratch: &mut Scratch,
        out: &mut Outcome,
    ) {
        self.run(spec, extra, scratch, out, false);
    }

    /// Full report for `show-model`: evaluates every filter and computes every statistic even
    /// after a failure (`failed_test` is still the first failure, so status and failed test are
    /// the same as [`Evaluator::assess`]).
    pub fn assess_report(
        &self,
        spec: &[u32],
        extra: &[ExtraColumn<'_>],
        scratch: &mut Scratch,
    ) -> Outcome {
        let mut out = Outcome::default();
        self.run(spec, extra, scratch, &mut out, true);
        out
    }

    fn column_name_of(&self, r: ColRef, extra: &[ExtraColumn<'_>]) -> String {
        match r {
            ColRef::Frozen(id) => self.meta[id].name.clone(),
            ColRef::Extra(e) => extra[e].name.to_string(),
        }
    }

    fn fail(out: &mut Outcome, test: FilterTest) {
        if out.failed_test.is_none() {
            out.failed_test = Some(test);
            out.status = Status::Filtered;
        }
    }
}
