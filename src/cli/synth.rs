//! `specsearch synth DIR`.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::synth::ppnr::{self, PpnrSpec};
use crate::synth::{self, SynthSpec};

/// A ready-made synthetic search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// The `ppnr` benchmark's workload: monthly revenue growth, 9 rate drivers in 5
    /// categories (1, 2, 2, 2, 2), the partial month dummies 2,3,4,5,10,11,12 forced, 213
    /// in-sample and 24 out-of-sample months, `max_vars` 5: 2,163,980 specs, nearly all
    /// failing at Coefficient Significance under HAC, as in real PPNR work.
    Ppnr,
}

#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Directory to write target.csv, mevs_*.csv, metadata.csv and search.toml into.
    pub dir: PathBuf,
    /// A ready-made realistic search (the options below that it uses can still be changed).
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Number of macro-economic variables (default panel).
    #[arg(long, default_value_t = 300)]
    pub variables: usize,
    /// Number of months, starting January 1995 (default panel).
    #[arg(long, default_value_t = 360)]
    pub months: usize,
    /// Random seed: the same seed gives the same files.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Variables placed in the generated config's pool (default panel).
    #[arg(long, default_value_t = 12)]
    pub pool: usize,
    /// `max_vars` of the generated config (the forced month dummies count as one); default 3,
    /// 5 for a PPNR-shaped search.
    #[arg(long)]
    pub max_vars: Option<usize>,
    /// Number of categories the variables cycle through, 1–8 (default panel).
    #[arg(long, default_value_t = 8)]
    pub categories: usize,
    /// Make the target a non-stationary level cointegrated with two drivers (default panel).
    #[arg(long)]
    pub level_target: bool,
    /// A PPNR-shaped search instead of the default panel: rate drivers only, in categories of
    /// these sizes (e.g. `1,2,2,2,2`), target = monthly growth of a revenue level.
    #[arg(long, value_delimiter = ',')]
    pub rate_drivers: Option<Vec<usize>>,
    /// PPNR-shaped: months forced as partial month dummies (default 2,3,4,5,10,11,12; `none`
    /// for no forced dummies).
    #[arg(long, value_delimiter = ',')]
    pub forced_months: Option<Vec<String>>,
    /// PPNR-shaped: in-sample months (default 213).
    #[arg(long)]
    pub in_sample: Option<usize>,
    /// PPNR-shaped: out-of-sample months after the in-sample window (default 24).
    #[arg(long)]
    pub out_of_sample: Option<usize>,
    /// PPNR-shaped: AR(1) coefficient of the target growth's noise (default 0.5, which makes
    /// residuals autocorrelated: HAC covariances).
    #[arg(long)]
    pub noise_ar: Option<f64>,
}

pub fn run(args: &SynthArgs) -> Result<()> {
    let ppnr_shaped = args.preset.is_some() || args.rate_drivers.is_some();
    if ppnr_shaped {
        return run_ppnr(args);
    }
    for (given, flag) in [
        (args.forced_months.is_some(), "--forced-months"),
        (args.in_sample.is_some(), "--in-sample"),
        (args.out_of_sample.is_some(), "--out-of-sample"),
        (args.noise_ar.is_some(), "--noise-ar"),
    ] {
        anyhow::ensure!(
            !given,
            "{flag} applies to a PPNR-shaped search: add --preset ppnr or --rate-drivers"
        );
    }
    anyhow::ensure!(args.variables >= 2, "--variables must be at least 2");
    anyhow::ensure!(
        args.months >= 72,
        "--months must be at least 72 (six years)"
    );
    let spec = SynthSpec {
        variables: args.variables,
        months: args.months,
        seed: args.seed.unwrap_or(1),
        pool: args.pool.min(args.variables),
        max_vars: args.max_vars.unwrap_or(3),
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
    println!(
        "its size: `specsearch plan {}`; a search of realistic size (the shape of real PPNR \
         work, {:.2} million specs): `specsearch synth DIR --preset ppnr`",
        config.display(),
        ppnr::PRESET_SPECS as f64 / 1e6
    );
    Ok(())
}

fn run_ppnr(args: &SynthArgs) -> Result<()> {
    let mut spec = match (&args.preset, &args.rate_drivers) {
        (Some(Preset::Ppnr), None) => PpnrSpec::preset(),
        (_, Some(sizes)) => {
            anyhow::ensure!(
                !sizes.is_empty() && sizes.iter().all(|&s| s > 0),
                "--rate-drivers takes category sizes, each at least 1 (e.g. 1,2,2,2,2)"
            );
            PpnrSpec::with_categories(sizes)
        }
        (None, None) => unreachable!("called for a PPNR-shaped search"),
    };
    if let Some(months) = &args.forced_months {
        spec.forced_months = if months.len() == 1 && months[0] == "none" {
            Vec::new()
        } else {
            let mut out = Vec::new();
            for m in months {
                let v: u32 = m
                    .trim()
                    .parse()
                    .ok()
                    .filter(|v| (1..=12).contains(v))
                    .with_context(|| {
                        format!("--forced-months: `{m}` is not a month number 1–12 (or `none`)")
                    })?;
                out.push(v);
            }
            out
        };
    }
    if let Some(n) = args.in_sample {
        anyhow::ensure!(n >= 60, "--in-sample must be at least 60 months");
        spec.in_sample = n;
    }
    if let Some(n) = args.out_of_sample {
        spec.out_of_sample = n;
    }
    if let Some(rho) = args.noise_ar {
        anyhow::ensure!(
            (0.0..1.0).contains(&rho),
            "--noise-ar must be in [0, 1) (a stationary AR(1) coefficient)"
        );
        spec.noise_ar = rho;
    }
    if let Some(m) = args.max_vars {
        spec.max_vars = m;
    }
    if let Some(seed) = args.seed {
        spec.seed = seed;
    }
    let config = ppnr::write(&args.dir, &spec).with_context(|| {
        format!(
            "cannot write the synthetic search into {}",
            args.dir.display()
        )
    })?;
    println!(
        "wrote a PPNR-shaped search: {} rate drivers, {} + {} months; config: {}",
        spec.drivers.len(),
        spec.in_sample,
        spec.out_of_sample,
        config.display()
    );
    if spec == PpnrSpec::preset() {
        println!(
            "the ppnr preset plans {} specs (`specsearch plan {}`)",
            ppnr::PRESET_SPECS,
            config.display()
        );
    }
    Ok(())
}
