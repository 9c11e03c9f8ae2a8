//! `specsearch synth DIR`.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::synth::{self, SynthSpec};

#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Directory to write target.csv, mevs_*.csv, metadata.csv and search.toml into.
    pub dir: PathBuf,
    /// Number of macro-economic variables.
    #[arg(long, default_value_t = 300)]
    pub variables: usize,
    /// Number of months (starting January 1995).
    #[arg(long, default_value_t = 360)]
    pub months: usize,
    /// Random seed: the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Variables placed in the generated config's pool.
    #[arg(long, default_value_t = 12)]
    pub pool: usize,
    /// `max_vars` of the generated config (the forced month dummies count as one).
    #[arg(long, default_value_t = 3)]
    pub max_vars: usize,
    /// Number of categories the variables cycle through (1–8).
    #[arg(long, default_value_t = 8)]
    pub categories: usize,
    /// Make the target a non-stationary level cointegrated with two drivers.
    #[arg(long)]
    pub level_target: bool,
}

pub fn run(args: &SynthArgs) -> Result<()> {
    anyhow::ensure!(args.variables >= 2, "--variables must be at least 2");
    anyhow::ensure!(
        args.months >= 72,
        "--months must be at least 72 (six years)"
    );
    let spec = SynthSpec {
        variables: args.variables,
        months: args.months,
        seed: args.seed,
        pool: args.pool.min(args.variables),
        max_vars: args.max_vars,
        categories: args.categories,
        level_target: args.level_target,
        ..SynthSpec::default()
    };
    let config = synth::write(&args.dir, &spec).with_context(|| {
        format!(
            "cannot write the synthetic panel into {}",
            args.dir.display()
        )
    })?;
    println!(
        "wrote {} variables × {} months; config: {}",
        spec.variables,
        spec.months,
        config.display()
    );
    Ok(())
}
