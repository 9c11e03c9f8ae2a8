//! Pure numeric statistics for specsearch: OLS with an intercept, covariance estimators,
//! residual diagnostics and unit-root tests, over plain `&[f64]` columns.
//!
//! Every function is deterministic, allocation-light and never panics on bad numbers: invalid
//! input comes back as a [`StatsError`], and a statistic that cannot be computed is `NaN`, which
//! no filter in `assess` ever treats as a pass. Reference numerics are those of statsmodels,
//! arch and scipy (see `tests/golden/gen_stats.py` and `tests/it/stats_golden.rs`).
//!
//! Internally every regression works on *centered* columns (the intercept is partialled out
//! exactly) and factors the column-scaled Gram (a correlation matrix) by Cholesky. Centering and
//! scaling remove the two usual sources of ill-conditioning in macro data (large level means and
//! very different column scales), so normal equations agree with statsmodels' pseudo-inverse to
//! ~1e-12 on realistic designs while being several times cheaper.

pub mod coefficient;
pub mod covariance;
pub mod diagnostics;
pub mod dist;
pub mod linalg;
pub mod ols;
pub mod stability;
pub mod summary;
pub mod unitroot;

pub use covariance::CovType;
pub use ols::OlsFit;
pub use unitroot::{AdfResult, PpResult};

/// Errors of the statistics layer. Messages are meant for users (they end up in outcomes).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// A NaN or ±inf in an input series.
    #[error("non-finite value ({value}) in column '{column}' at row {row}")]
    NonFinite {
        /// Column name (or a positional name such as `x1`).
        column: String,
        /// Zero-based row index of the first offending value.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// Fewer observations than the computation needs.
    #[error("too few observations: {nobs} available, at least {needed} needed{context}")]
    TooFewObservations {
        /// Observations available.
        nobs: usize,
        /// Observations needed.
        needed: usize,
        /// Free-form context (starts with ": " when present).
        context: String,
    },
    /// Columns of unequal length.
    #[error("length mismatch: column '{column}' has {got} rows, expected {expected}")]
    LengthMismatch {
        /// Column name.
        column: String,
        /// Its length.
        got: usize,
        /// The expected length.
        expected: usize,
    },
    /// The series is constant (a unit-root test is undefined).
    #[error("series is constant")]
    ConstantSeries,
    /// The design matrix has numerically dependent columns.
    #[error("design is rank deficient (rank {rank} < {ncols} parameters): column '{column}' is constant or a linear combination of the intercept and earlier columns")]
    RankDeficient {
        /// Numerical rank including the intercept.
        rank: usize,
        /// Number of parameters including the intercept.
        ncols: usize,
        /// First dependent column.
        column: String,
    },
    /// A computation produced a degenerate result (e.g. a perfect fit where a variance is needed).
    #[error("degenerate computation: {0}")]
    Degenerate(String),
}

/// Checks that every value is finite; `name` is used in the error.
pub fn check_finite(name: &str, x: &[f64]) -> Result<(), StatsError> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(row) => Err(StatsError::NonFinite {
            column: name.to_string(),
            row,
            value: x[row],
        }),
    }
}

/// A test statistic with its p-value and degrees of freedom (first df for F tests).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TestResult {
    /// Test statistic.
    pub stat: f64,
    /// p-value in [0, 1], or NaN when the statistic is undefined.
    pub pvalue: f64,
    /// Degrees of freedom of the reference distribution (numerator df for F).
    pub df: f64,
}
