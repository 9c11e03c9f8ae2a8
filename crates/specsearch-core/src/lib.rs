//! The pure core of specsearch: everything about one search that is computation only.
//!
//! - [`spec`]: the deterministic enumeration (spec index ↔ spec), spec keys, index ranges and
//!   shard arithmetic, and the feature-role vocabulary ([`spec::FeatureRole`]);
//! - [`stats`]: OLS, covariances, diagnostics (the autocorrelation function among them),
//!   unit-root tests, distributions, and the report-only fit summary;
//! - [`assess`]: one spec → one outcome (docs/semantics.md §5), allocation-free on the hot path;
//!   the filters and their stored codes ([`assess::FilterTest`]);
//! - [`projection`]: scenario forecasts in levels, quarterly aggregation, scenario statistics;
//!   the sensitivity, attribution and uncertainty bands of those forecasts (§10).
//!
//! `assess` builds on `stats`; `projection`'s bands use `stats`' Cholesky factorisation;
//! `spec` and `stats` use no other module of the crate. No files, no SQLite, no DuckDB, no processes: the main crate feeds it slices and
//! stores what it returns.

pub mod assess;
pub mod projection;
pub mod spec;
pub mod stats;
