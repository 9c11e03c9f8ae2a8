//! PPNR-shaped synthetic searches: a monthly revenue-like level whose growth is the target,
//! rate drivers in categories of given sizes, partial month dummies forced, and an explicit
//! in-sample / out-of-sample split, as in bank PPNR model development.
//!
//! The target's monthly growth is seasonal in the forced months, driven by the recent
//! changes of three drivers and by the level of a stationary fourth, plus AR(1) noise: residuals
//! are autocorrelated, so nearly every spec is judged under HAC, and nearly every spec holds a
//! driver without an effect, so it fails at Coefficient Significance, as in real work.
//!
//! Drivers are persistent rates (random walks whose levels the stationarity pretest excludes,
//! or a stationary AR(1)); each has its own history before the in-sample start, as real MEV
//! files do, so variants needing more history than a driver has are excluded as invalid.
//! [`PpnrSpec::preset`] is the `ppnr` benchmark's workload: 9 drivers in 5 categories
//! (1, 2, 2, 2, 2), 213 + 24 months, `max_vars` 5, lags 0–3, periods 1, 3, 6, 12, which plans
//! exactly [`PRESET_SPECS`] specs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{month_end, Rng};

/// Specs the preset plans (checked by `tests/it/synth_ppnr.rs`).
pub const PRESET_SPECS: u64 = 2_163_980;

/// One rate driver of a PPNR-shaped panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Driver {
    pub name: String,
    pub category: String,
    /// AR(1) persistence of its level (1: a random walk).
    pub phi: f64,
    /// Months of data before the in-sample start.
    pub history: usize,
    /// Expected sign of its coefficient (+1/−1).
    pub sign: i8,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct PpnrSpec {
    pub drivers: Vec<Driver>,
    pub in_sample: usize,
    pub out_of_sample: usize,
    /// Months forced as partial month dummies (`dummies(M, [...])`); empty: none forced.
    pub forced_months: Vec<u32>,
    /// AR(1) coefficient of the target growth's noise.
    pub noise_ar: f64,
    pub max_vars: usize,
    pub seed: u64,
}

/// Months of data every driver has at most before the in-sample start (enough for every
/// variant: `DF12` at lag 3 needs 15).
pub const FULL_HISTORY: usize = 15;

impl PpnrSpec {
    /// Rate drivers in categories of `sizes` (named `rate_<category>_<i>`), all with full
    /// history, alternating random walks and a stationary AR(1).
    pub fn with_categories(sizes: &[usize]) -> PpnrSpec {
        let mut drivers = Vec::new();
        for (c, &size) in sizes.iter().enumerate() {
            for i in 0..size {
                let d = drivers.len();
                drivers.push(Driver {
                    name: format!("rate_c{c}_{i}"),
                    category: format!("cat{c}"),
                    phi: if d % 4 == 3 { 0.8 } else { 1.0 },
                    history: FULL_HISTORY,
                    sign: if d % 2 == 0 { 1 } else { -1 },
                });
            }
        }
        PpnrSpec {
            drivers,
            in_sample: 213,
            out_of_sample: 24,
            forced_months: vec![2, 3, 4, 5, 10, 11, 12],
            noise_ar: 0.5,
            max_vars: 5,
            seed: 1,
        }
    }

    /// The `ppnr` benchmark's workload (see the module docs).
    pub fn preset() -> PpnrSpec {
        // (name, category, phi, history): histories cut the variants a driver has, as a late
        // start does in real data (e.g. 6 months: no DF12, no DF6 beyond lag 0).
        let table: [(&str, &str, f64, usize, i8); 9] = [
            ("fed_funds", "rates", 1.0, 12, -1),
            ("corp_spread", "spreads", 1.0, FULL_HISTORY, -1),
            ("mort_spread", "spreads", 1.0, 6, -1),
            ("unemp_rate", "labour", 1.0, FULL_HISTORY, -1),
            ("claims_rate", "labour", 1.0, 9, -1),
            ("mort_rate", "housing", 1.0, FULL_HISTORY, -1),
            ("vacancy_rate", "housing", 1.0, 12, 1),
            ("vix", "markets", 0.8, FULL_HISTORY, -1),
            ("term_slope", "markets", 1.0, 14, 1),
        ];
        PpnrSpec {
            drivers: table
                .iter()
                .map(|&(name, category, phi, history, sign)| Driver {
                    name: name.into(),
                    category: category.into(),
                    phi,
                    history,
                    sign,
                })
                .collect(),
            seed: PRESET_SEED,
            ..PpnrSpec::with_categories(&[])
        }
    }
}

/// The preset's seed: the first for which the pretests keep exactly the variants the
/// histories allow (every random walk's levels excluded, every change kept).
const PRESET_SEED: u64 = 1;

/// Writes `target.csv`, `mevs_monthly.csv`, `metadata.csv` and `search.toml` into `dir`;
/// returns the path of the config.
pub fn write(dir: &Path, spec: &PpnrSpec) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(spec.seed ^ 0x9912_5EED);
    let hist = FULL_HISTORY;
    let n = hist + spec.in_sample + spec.out_of_sample;
    let dates: Vec<_> = (0..n)
        .map(|i| month_end(2004 + (i / 12) as i32, (i % 12) as u32 + 1))
        .collect();
    let month = |t: usize| t % 12 + 1;

    // Drivers: persistent rates around a level of 2–8.
    let drivers: Vec<Vec<f64>> = spec
        .drivers
        .iter()
        .map(|d| {
            let mean = 2.0 + 6.0 * rng.uniform();
            let mut x = mean;
            let mut v: Vec<f64> = (0..n)
                .map(|_| {
                    x = mean + d.phi * (x - mean) + 0.15 * rng.normal();
                    x
                })
                .collect();
            let missing = hist - d.history.min(hist);
            v[..missing].iter_mut().for_each(|x| *x = f64::NAN);
            v
        })
        .collect();

    // Target growth (per cent a month): seasonal months, the 3-month change of the second
    // driver, the 6-month change of the fourth, last month's change of the sixth, the level
    // of the eighth, AR(1) noise.
    let seasonal = [
        0.0, 0.9, -0.7, 0.8, -0.6, 0.0, 0.0, 0.0, 0.0, 0.7, -0.9, 1.0,
    ];
    let at = |d: usize, t: usize| drivers.get(d).map_or(0.0, |x| x[t]);
    let mut u = 0.0;
    let mut level = 100.0;
    let mut target = vec![f64::NAN; n];
    for (t, y) in target.iter_mut().enumerate() {
        u = spec.noise_ar * u + 0.45 * rng.normal();
        if t >= 3 {
            let d1 = at(1, t) - at(1, t - 3);
            let d5 = at(5, t - 1) - at(5, t - 2);
            let d3 = if t >= 6 { at(3, t) - at(3, t - 6) } else { 0.0 };
            let g = 0.3 + seasonal[month(t) - 1]
                - 1.05 * d1
                - 1.15 * d5
                - 0.55 * d3
                - 1.1 * (at(7, t) - 5.0)
                + u;
            level *= 1.0 + g / 100.0;
        }
        *y = level;
    }

    let fmt = |x: f64| {
        if x.is_nan() {
            String::new()
        } else {
            format!("{x:.8}")
        }
    };
    let mut csv = String::from("date,revenue\n");
    for (d, y) in dates.iter().zip(&target) {
        writeln!(csv, "{d},{}", fmt(*y)).expect("write to string");
    }
    std::fs::write(dir.join("target.csv"), csv)?;

    let mut csv = String::from("date");
    for d in &spec.drivers {
        write!(csv, ",{}", d.name).expect("write to string");
    }
    csv.push('\n');
    for (t, date) in dates.iter().enumerate() {
        csv.push_str(&date.to_string());
        for x in &drivers {
            write!(csv, ",{}", fmt(x[t])).expect("write to string");
        }
        csv.push('\n');
    }
    std::fs::write(dir.join("mevs_monthly.csv"), csv)?;

    let mut csv = String::from("variable,type,category,aggregation,sign\n");
    for d in &spec.drivers {
        let sign = if d.sign < 0 { "-1" } else { "+1" };
        writeln!(csv, "{},rate,{},average,{sign}", d.name, d.category).expect("write to string");
    }
    std::fs::write(dir.join("metadata.csv"), csv)?;

    let pool: Vec<String> = spec
        .drivers
        .iter()
        .map(|d| format!("\"{}\"", d.name))
        .collect();
    let forced = if spec.forced_months.is_empty() {
        String::new()
    } else {
        let months: Vec<String> = spec.forced_months.iter().map(|m| m.to_string()).collect();
        format!("forced = [\"dummies(M, [{}])\"]\n", months.join(","))
    };
    let in_end = dates[hist + spec.in_sample - 1];
    let config = format!(
        "# PPNR-shaped synthetic search written by `specsearch synth` (seed {seed}).\n\
         # Target: monthly growth of `revenue`; {ndrivers} rate drivers; {nin} in-sample and \
         {noos} out-of-sample months.\n\
         [data]\n\
         target_table = {{ path = \"target.csv\" }}\n\
         mev_tables = [{{ path = \"mevs_monthly.csv\" }}]\n\
         metadata = \"metadata.csv\"\n\n\
         [target]\ncolumn = \"revenue\"\ntransform = \"GR\"\nperiod = 1\n\n\
         [sample]\nin_start = \"{in_start}\"\nin_end = \"{in_end}\"\nfull_end = \"{full_end}\"\n\n\
         [search]\n\
         {forced}\
         pool = [{pool}]\n\
         max_vars = {max_vars}\n",
        seed = spec.seed,
        ndrivers = spec.drivers.len(),
        nin = spec.in_sample,
        noos = spec.out_of_sample,
        in_start = dates[hist],
        full_end = dates[n - 1],
        pool = pool.join(", "),
        max_vars = spec.max_vars,
    );
    let path = dir.join("search.toml");
    std::fs::write(&path, config)?;
    Ok(path)
}
