//! specsearch: exhaustive econometric model search.
//!
//! The pipeline: `config` → `prepare` (`data`) → `features` (catalogue, pretests) → `freeze`
//! (`store`) → `plan` (`spec`) → `runtime` (workers running `assess` over `stats`) → `journal`.

pub mod assess;
pub mod cli;
pub mod config;
pub mod data;
pub mod features;
pub mod freeze;
pub mod journal;
pub mod plan;
pub mod prepare;
pub mod results;
pub mod runtime;
pub mod spec;
pub mod stats;
pub mod store;
pub mod synth;
pub mod workspace;
