//! The integration tests of the `specsearch` binary and library, one binary (one link step of
//! the bundled DuckDB instead of one per file) with a module per area. Each area's module says
//! what it covers; `common` holds the fixtures and helpers they share.

mod benchmarks;
mod bounds;
mod common;
mod compare;
mod config_docs;
mod data_prep;
mod freeze;
mod journal_checks;
mod journal_digest;
mod journal_upgrade;
mod kernel_journal;
mod model_report;
mod mutations;
mod options;
mod outputs;
mod plan;
mod raw;
mod report;
mod report_browser;
mod results;
mod run;
mod safety;
mod scenarios;
mod scheduler_examples;
mod segments;
mod sensitivity;
mod shards;
mod show_model;
mod skips;
mod slurm;
mod small_items;
mod sql_examples;
mod stability;
mod streams;
mod synth_ppnr;
mod terminal;
mod validation;
mod workbook;
