//! The pure core of specsearch: everything about one search that is computation only.
//!
//! - [`spec`]: the deterministic enumeration (spec index ↔ spec), spec keys, index ranges and
//!   shard arithmetic, and the feature-role vocabulary ([`spec::FeatureRole`]);
//! - [`stats`]: OLS, covariances, diagnostics (the autocorrelation function among them),
//!   unit-root tests, distributions, and the report-only fit summary;
//! - [`assess`]: one spec → one outcome (docs/semantics.md §5), allocation-free on the hot path;
//!   the filters and their stored codes ([`assess::FilterTest`]);
//! - [`projection`]: scenario forecasts in levels, quarterly aggregation, scenario statistics,
//!   the sensitivity, attribution and uncertainty bands of those forecasts (§10);
//! - [`walk_forward`]: the §11 walk-forward trials (the same spec on shortened samples, judged
//!   by `assess`); [`stats::stability`] holds §11's recursive fits and break tests;
//! - [`backtest`]: §12's dynamic backtests (projections from past jump-offs on actual drivers);
//! - [`benchmark`]: the no-change and AR(1) benchmarks of §13 and the scores of models whose
//!   predictions are given rather than fitted.
//!
//! `assess` builds on `stats`; `projection`'s bands use `stats`' Cholesky factorisation;
//! `walk_forward` builds on `assess`; `backtest` on `projection`; `spec` and `stats` use no
//! other module of the crate. No files, no SQLite, no DuckDB, no processes: the main crate
//! feeds it slices and stores what it returns.

pub mod assess;
pub mod backtest;
pub mod benchmark;
pub mod projection;
pub mod spec;
pub mod stats;
pub mod walk_forward;
