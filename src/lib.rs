//! specsearch: exhaustive econometric model search.
//!
//! Layers, lowest first (a module imports only modules above it in this list):
//! `specsearch-core` (`spec`, `stats`, `assess`, `projection`: pure computation) ·
//! `specsearch-journal` (`journal`: every SQL statement on journal.sqlite, typed handles) ·
//! `config`, `data`, `workspace`, `resources` · `features` (transforms, items, composites,
//! metadata) · `store` (the frozen bundle, replay) · `freeze` (prepare, resolve, materialise,
//! pretest) · `plan` · `runtime` (evaluators, workers, executors, dispatch) · `session`
//! (config → data → bundle → plan → setup, once) · `estimate` (what a search will cost) ·
//! `scenario` (scenario forecasts of passed models) · `validation` (sensitivity and the other
//! analyses of the best models) · `finish` (rank → replay → validate → forecast → validation →
//! status) · `search` (the `run` engine) · `results` (inspection) · `synth` ·
//! `cli` (the only place clap lives). The contract: docs/semantics.md, docs/architecture.md.

pub use specsearch_core::{assess, projection, spec, stats};
/// The journal crate: every SQL statement on journal.sqlite, behind typed handles.
pub use specsearch_journal as journal;
pub mod benchmarks;
pub mod cli;
pub mod config;
pub mod data;
pub mod estimate;
pub mod features;
pub mod finish;
pub mod freeze;
pub mod plan;
pub mod resources;
pub mod results;
pub mod runtime;
pub mod scenario;
pub mod search;
pub mod session;
pub mod store;
pub mod synth;
pub mod validation;
pub mod workspace;
