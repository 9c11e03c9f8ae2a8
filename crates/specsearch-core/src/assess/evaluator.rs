//! The per-worker [`Evaluator`]: frozen data and spec-independent precomputation (centered
//! columns, means, `Xcᵀyc`, optionally the centered cross-product matrix, cached critical
//! values), and the public entry points. The §5 pipeline itself is in [`pipeline`]; it turns
//! one spec into an [`Outcome`] using only the buffers of a reusable [`Scratch`].
//!
//! Submodules: [`pipeline`] runs the filters and calls [`residuals`] (the residual pass and
//! its sums) and [`significance`] (filter 2 one coefficient at a time on the journal path).
//! What more than one of them uses (the spec's column view `SpecCols`, the cached critical
//! values `t_cut`/`bg_cut`, and the helpers `grow`/`opt`) is defined here, so they depend on
//! this module and `pipeline` on the other two, never the other way round.
//!
//! Memory strategy for the cross-products: with at most `max_gram_columns` columns (default
//! 2048, i.e. ≤ 16 MiB as a packed triangle) the centered Gram of all columns is precomputed,
//! and a spec only gathers its `k(k+1)/2` entries. Above that the entries are computed per spec
//! from the stored centered columns (`k(k+1)/2` dot products of length n, ~5 µs for k = 11,
//! n = 213). Both paths use the same dot-product kernel on the same centered data, so outcomes
//! are bit-identical whichever is chosen.

mod pipeline;
mod residuals;
mod significance;

pub use significance::SignificanceStats;

use super::{FilterTest, FilterThresholds, Outcome, Status};
use crate::stats::dist::PCut;
use crate::stats::linalg::{center_into, dot, gram_lower};
use crate::stats::ols::{Columns, LsWork};
use crate::stats::unitroot::{stationarity_with, UnitRootWork};
use crate::stats::StatsError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Identities of evaluators, so a scratch knows whose factorisation it holds.
static NEXT_EVALUATOR: AtomicU64 = AtomicU64::new(1);

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
    /// Unique per construction (a clone has the same data, hence the same id).
    id: u64,
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
    /// `max_t |xc_t|` per column (the scale in the rounding bound of the fast filter 2);
    /// `1 + x̄` for 0/1 indicators.
    col_max: Vec<f64>,
    /// Per column, the range of `on_rows` listing its in-sample rows equal to 1 when it is a
    /// 0/1 dummy (the fast filter 2 adds instead of multiplying there).
    indicator: Vec<Option<(u32, u32)>>,
    on_rows: Vec<u32>,
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
    col_max: Vec<f64>,
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
    sig: significance::SignificanceWork,
    prefix: Prefix,
    outcome: Outcome,
}

/// What the last factorisation in a scratch was of. Consecutive specs of the enumeration share
/// their leading columns (the forced ones, usually more); the rows of the Gram, of its factor
/// and of the forward solution (and of the fast filter 2's `L⁻¹`) that depend only on those
/// columns are kept instead of recomputed. Each kept row is exactly what recomputing it gives,
/// since it is the same expression of the same inputs.
#[derive(Debug, Clone, Default)]
struct Prefix {
    /// `Evaluator::id` of the factorisation (0: none).
    evaluator: u64,
    /// Its number of slopes (the row stride of the kept matrices).
    k: usize,
    /// Its leading frozen column ids.
    ids: Vec<usize>,
    /// Rows of `ls.g`, `ls.l`, `ls.d`, `ls.kept`, `ls.w` that are valid for `ids`.
    factored: usize,
    /// Rows of the fast filter 2's `L⁻¹` that are valid for `ids`.
    inverted: usize,
}

impl Prefix {
    /// How many leading columns of `refs` (with `k` slopes, evaluator `ev`) match `ids`.
    fn shared(&self, ev: u64, k: usize, refs: &[ColRef]) -> usize {
        if self.evaluator != ev || self.k != k {
            return 0;
        }
        refs.iter()
            .zip(&self.ids)
            .take_while(|(r, &id)| matches!(r, ColRef::Frozen(x) if *x == id))
            .count()
    }

    /// Records a completed factorisation of `refs` that kept `shared` leading rows.
    fn factored(&mut self, ev: u64, k: usize, refs: &[ColRef], shared: usize) {
        self.evaluator = ev;
        self.k = k;
        self.ids.clear();
        self.ids.extend(refs.iter().map_while(|r| match *r {
            ColRef::Frozen(id) => Some(id),
            ColRef::Extra(_) => None,
        }));
        self.factored = self.ids.len();
        self.inverted = self.inverted.min(shared);
    }
}

impl Scratch {
    /// What the fast filter-2 decision of [`Evaluator::decide_into`] did with this scratch.
    pub fn significance_stats(&self) -> SignificanceStats {
        self.sig.stats
    }
}

/// How much of an outcome a pipeline run fills (see the completeness rule on [`Outcome`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// What the journal keeps: filter 2 decided one coefficient at a time
    /// ([`Evaluator::decide_into`]).
    Journal,
    /// Everything the decisions up to the first failure computed ([`Evaluator::assess`]).
    Reached,
    /// Every statistic, past the first failure too ([`Evaluator::assess_report`]).
    Report,
    /// The journal path up to filter 1 only ([`Evaluator::screen_into`]): stops once the
    /// spec's rank and R² are known to pass.
    Screen,
}

#[derive(Debug, Clone, Copy)]
enum ColRef {
    Frozen(usize),
    Extra(usize),
}

/// The spec's centered columns, without copying frozen data.
struct SpecCols<'a> {
    ev: &'a Evaluator,
    refs: &'a [ColRef],
    ext: &'a [f64],
}

impl Columns for SpecCols<'_> {
    fn ncols(&self) -> usize {
        self.refs.len()
    }
    #[inline]
    fn col(&self, j: usize) -> &[f64] {
        let n = self.ev.n;
        match self.refs[j] {
            ColRef::Frozen(id) => &self.ev.xc[id * n..(id + 1) * n],
            ColRef::Extra(e) => &self.ext[e * n..(e + 1) * n],
        }
    }
}

fn first_bad(x: &[f64]) -> Option<(usize, f64)> {
    x.iter().position(|v| !v.is_finite()).map(|i| (i, x[i]))
}

/// Grows `v` to at least `len` entries (never shrinks it, so a warmed-up scratch does not
/// allocate).
fn grow(v: &mut Vec<f64>, len: usize) {
    if v.len() < len {
        v.resize(len, 0.0);
    }
}

/// A computed statistic as an outcome field: always `Some`, NaN included.
fn opt(x: f64) -> Option<f64> {
    Some(x)
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
        let mut col_max = vec![0.0; ncols];
        let mut indicator = vec![None; ncols];
        let mut on_rows = Vec::new();
        let mut x_oos = Vec::with_capacity(n_oos * ncols);
        let mut xy = vec![0.0; ncols];
        let mut meta = Vec::with_capacity(ncols);
        let mut ur = UnitRootWork::default();
        for (j, c) in columns.iter().enumerate() {
            let col = &mut xc[j * n..(j + 1) * n];
            xbar[j] = center_into(c.in_sample, col);
            col_max[j] = residuals::abs_max(col);
            if c.is_dummy && c.in_sample.iter().all(|&v| v == 0.0 || v == 1.0) {
                let start = on_rows.len() as u32;
                on_rows.extend((0..n as u32).filter(|&t| c.in_sample[t as usize] == 1.0));
                indicator[j] = Some((start, on_rows.len() as u32));
                col_max[j] = 1.0 + xbar[j].abs();
            }
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
            id: NEXT_EVALUATOR.fetch_add(1, Ordering::Relaxed),
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
            col_max,
            indicator,
            on_rows,
            x_oos,
            xy,
            gram,
            meta,
            thresholds,
            t_cuts: (0..=n).map(|_| OnceLock::new()).collect(),
            bg_cut: OnceLock::new(),
        })
    }

    /// The full report ([`Evaluator::assess_report`]) of the one spec made of every column of
    /// `columns`, in order: a fit of `target` on exactly these columns and these rows (the
    /// full-sample refit of a model, for example, on rows the search's evaluator does not
    /// hold). Coefficients are in the order intercept, `columns`.
    pub fn report_of(
        target: TargetData<'_>,
        columns: &[ColumnData<'_>],
        thresholds: FilterThresholds,
    ) -> Result<Outcome, StatsError> {
        let evaluator = Evaluator::new(target, columns, thresholds, EvaluatorOptions::default())?;
        let ids: Vec<u32> = (0..columns.len() as u32).collect();
        Ok(evaluator.assess_report(&ids, &[], &mut Scratch::default()))
    }

    /// Cached filter-2 cut for `df` residual degrees of freedom.
    fn t_cut(&self, df: usize) -> &PCut {
        self.t_cuts[df].get_or_init(|| PCut::student_t(df as f64, self.thresholds.coef_alpha))
    }

    /// Cached Breusch–Godfrey(1) cut.
    fn bg_cut(&self) -> &PCut {
        self.bg_cut
            .get_or_init(|| PCut::chi2(1.0, self.thresholds.bg_alpha))
    }

    /// The in-sample rows where frozen column `id` is 1, when it is a 0/1 dummy.
    fn indicator_rows(&self, id: usize) -> Option<&[u32]> {
        self.indicator[id].map(|(a, b)| &self.on_rows[a as usize..b as usize])
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
        self.run(spec, &[], scratch, &mut out, Detail::Reached);
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
        self.run(spec, extra, scratch, &mut out, Detail::Reached);
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
        self.run(spec, extra, scratch, out, Detail::Reached);
    }

    /// The search path's entry point: the outcome the journal keeps, written into `out`
    /// (allocation-free once `scratch` and `out` have warmed up). Status, failed test and every
    /// statistic of a passed spec are those of [`Evaluator::assess_into`], bit for bit; filter 2
    /// is decided one coefficient at a time (see the `significance` module), so a spec filtered
    /// there carries no standard errors or t values unless its decision needed the full
    /// covariance (completeness rule on [`Outcome`]). `scratch` remembers which coefficient
    /// failed last and tries it first.
    pub fn decide_into(
        &self,
        spec: &[u32],
        extra: &[ExtraColumn<'_>],
        scratch: &mut Scratch,
        out: &mut Outcome,
    ) {
        self.run(spec, extra, scratch, out, Detail::Journal);
    }

    /// The cheap first stage of [`Evaluator::decide_into`] (Gram gather, factorisation,
    /// residual sum of squares, filter 1): returns `true` when it decides the spec — an error,
    /// a rank-deficient design or an R² below `min_r2` — and `out` is then exactly the outcome
    /// `decide_into` gives (the same code runs); `false` when the spec passes filter 1 and needs
    /// the rest of the pipeline (`out` is then incomplete). The coordinator's hybrid screen.
    pub fn screen_into(
        &self,
        spec: &[u32],
        extra: &[ExtraColumn<'_>],
        scratch: &mut Scratch,
        out: &mut Outcome,
    ) -> bool {
        self.run(spec, extra, scratch, out, Detail::Screen);
        // The screen stops before any filter can pass a spec: `Passed` marks a spec that
        // passed filter 1, with nothing decided yet.
        out.status != Status::Passed
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
        self.run(spec, extra, scratch, &mut out, Detail::Report);
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
