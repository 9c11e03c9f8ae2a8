//! Deterministic synthetic monthly MEV panels of any size, for tests and benchmarks.
//!
//! A panel has level variables (geometric random walks with drift, like GDP or house prices) and
//! rate variables (persistent AR(1) processes, like unemployment or spreads), realistic gaps
//! (late starts, early ends, a few missing months that `ffill` repairs), a share of variables
//! published quarterly (interpolated to monthly on load), and a target driven by two of the
//! variables plus seasonality and noise, so that some models genuinely pass. Same arguments,
//! same bytes, on every machine.

pub mod ppnr;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthSpec {
    pub variables: usize,
    pub months: usize,
    pub seed: u64,
    /// Variables placed in the generated search.toml's pool.
    pub pool: usize,
    pub max_vars: usize,
    /// Share of variables published quarterly.
    pub quarterly_share: f64,
    /// Number of categories the variables cycle through (at most 8).
    pub categories: usize,
    /// A non-stationary (level) target cointegrated with two drivers, instead of a stationary
    /// one driven by their growth and change.
    pub level_target: bool,
}

impl Default for SynthSpec {
    fn default() -> Self {
        SynthSpec {
            variables: 300,
            months: 360,
            seed: 1,
            pool: 12,
            max_vars: 3,
            quarterly_share: 0.1,
            categories: 8,
            level_target: false,
        }
    }
}

/// SplitMix64: tiny, fast, and stable across platforms and crate versions.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal by Box–Muller.
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn month_end(year: i32, month: u32) -> NaiveDate {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .expect("valid date")
        .pred_opt()
        .expect("valid date")
}

const CATEGORIES: [&str; 8] = [
    "output", "labour", "prices", "rates", "credit", "housing", "trade", "markets",
];

/// Writes `target.csv`, `mevs_monthly.csv`, `mevs_quarterly.csv`, `metadata.csv` and
/// `search.toml` into `dir`; returns the path of the config.
pub fn write(dir: &Path, spec: &SynthSpec) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(spec.seed ^ 0x5EED_5EED);
    let dates: Vec<NaiveDate> = (0..spec.months)
        .map(|i| month_end(1995 + (i / 12) as i32, (i % 12) as u32 + 1))
        .collect();
    let n = spec.months;

    struct Var {
        name: String,
        level: bool,
        quarterly: bool,
        values: Vec<f64>,
    }
    let mut vars = Vec::with_capacity(spec.variables);
    for v in 0..spec.variables {
        let level = v % 2 == 0;
        let mut values = vec![0.0; n];
        if level {
            let drift = 0.001 + 0.003 * rng.uniform();
            let vol = 0.002 + 0.01 * rng.uniform();
            let mut x = (100.0 + 50.0 * rng.uniform()).ln();
            for val in values.iter_mut() {
                x += drift + vol * rng.normal();
                *val = x.exp();
            }
        } else {
            let mean = 2.0 + 6.0 * rng.uniform();
            let phi = 0.95 + 0.049 * rng.uniform();
            let mut x = mean;
            for val in values.iter_mut() {
                x = mean + phi * (x - mean) + 0.15 * rng.normal();
                *val = x;
            }
        }
        // Gaps: every 7th variable starts late, every 11th ends early, every 13th misses a
        // month in the middle (repaired by the table's forward fill).
        if v % 7 == 3 {
            let k = 12 + (rng.next_u64() % 24) as usize;
            values[..k.min(n)].iter_mut().for_each(|x| *x = f64::NAN);
        }
        if v % 11 == 5 {
            let k = 6 + (rng.next_u64() % 12) as usize;
            let from = n.saturating_sub(k);
            values[from..].iter_mut().for_each(|x| *x = f64::NAN);
        }
        if v % 13 == 7 && n > 40 {
            values[n / 2] = f64::NAN;
        }
        let quarterly = rng.uniform() < spec.quarterly_share;
        vars.push(Var {
            name: format!("mev{v:03}"),
            level,
            quarterly,
            values,
        });
    }

    // The target: by default growth of driver 0 over 3 months, the change of driver 1, month
    // effects and noise; with `level_target`, the levels of both plus stationary noise.
    // Month effects on the months the generated config forces as dummies.
    const SEASON: [f64; 12] = [
        0.0, 0.5, -0.5, 0.6, -0.4, 0.0, 0.0, 0.0, 0.0, 0.5, -0.6, 0.7,
    ];
    let mut target = vec![f64::NAN; n];
    let x0 = vars[0].values.clone();
    let x1 = vars.get(1).map(|v| v.values.clone());
    if spec.level_target {
        // Cointegrated with the levels of drivers 0 and 1: stationary AR(1) errors around them.
        let mut u = 0.0;
        for t in 0..n {
            u = 0.5 * u + 0.25 * rng.normal();
            let x1t = x1.as_ref().map(|x| x[t]).unwrap_or(0.0);
            target[t] = 20.0 + 0.08 * x0[t] - 1.5 * x1t + SEASON[t % 12] + u;
        }
    } else {
        for t in 3..n {
            let g = x0[t] / x0[t - 3] - 1.0;
            let d = x1.as_ref().map(|x| x[t] - x[t - 1]).unwrap_or(0.0);
            target[t] = 1.0 + 40.0 * g - 2.0 * d + SEASON[t % 12] + 0.25 * rng.normal();
        }
    }
    for v in vars.iter_mut().take(2) {
        v.quarterly = false;
    }

    let fmt = |x: f64| {
        if x.is_nan() {
            String::new()
        } else {
            format!("{x:.6}")
        }
    };
    let mut csv = String::from("date,y\n");
    for (d, y) in dates.iter().zip(&target) {
        writeln!(csv, "{d},{}", fmt(*y)).expect("write to string");
    }
    std::fs::write(dir.join("target.csv"), csv)?;

    let monthly: Vec<&Var> = vars.iter().filter(|v| !v.quarterly).collect();
    let mut csv = String::from("date");
    for v in &monthly {
        write!(csv, ",{}", v.name).expect("write to string");
    }
    csv.push('\n');
    for (t, d) in dates.iter().enumerate() {
        csv.push_str(&d.to_string());
        for v in &monthly {
            write!(csv, ",{}", fmt(v.values[t])).expect("write to string");
        }
        csv.push('\n');
    }
    std::fs::write(dir.join("mevs_monthly.csv"), csv)?;

    let quarterly: Vec<&Var> = vars.iter().filter(|v| v.quarterly).collect();
    if !quarterly.is_empty() {
        // Quarterly variables: the average of each quarter's months, dated at the quarter end.
        let mut csv = String::from("date");
        for v in &quarterly {
            write!(csv, ",{}", v.name).expect("write to string");
        }
        csv.push('\n');
        for q in 0..n / 3 {
            let d = dates[q * 3 + 2];
            debug_assert_eq!(d.month() % 3, 0);
            csv.push_str(&d.to_string());
            for v in &quarterly {
                let m = &v.values[q * 3..q * 3 + 3];
                write!(csv, ",{}", fmt(m.iter().sum::<f64>() / 3.0)).expect("write to string");
            }
            csv.push('\n');
        }
        std::fs::write(dir.join("mevs_quarterly.csv"), csv)?;
    }

    let mut csv = String::from("variable,type,category,aggregation,sign\n");
    for (i, v) in vars.iter().enumerate() {
        let sign = match i {
            0 => "+1",
            1 => "-1",
            _ => "",
        };
        writeln!(
            csv,
            "{},{},{},average,{sign}",
            v.name,
            if v.level { "level" } else { "rate" },
            CATEGORIES[i % spec.categories.clamp(1, CATEGORIES.len())]
        )
        .expect("write to string");
    }
    std::fs::write(dir.join("metadata.csv"), csv)?;

    let pool: Vec<String> = vars
        .iter()
        .take(spec.pool)
        .map(|v| format!("\"{}\"", v.name))
        .collect();
    let in_end = dates[n * 4 / 5];
    let config = format!(
        "# Synthetic search written by `specsearch synth` (seed {seed}).\n\
         [data]\n\
         target_table = {{ path = \"target.csv\" }}\n\
         mev_tables = [\n  {{ path = \"mevs_monthly.csv\", ffill = true }},\n{quarterly_table}]\n\
         metadata = \"metadata.csv\"\n\n\
         [target]\ncolumn = \"y\"\n\n\
         [sample]\nin_start = \"{in_start}\"\nin_end = \"{in_end}\"\nfull_end = \"{full_end}\"\n\n\
         [search]\n\
         forced = [\"dummies(M, [2,3,4,5,10,11,12])\"]\n\
         pool = [{pool}]\n\
         max_vars = {max_vars}\n",
        seed = spec.seed,
        quarterly_table = if quarterly.is_empty() {
            ""
        } else {
            "  { path = \"mevs_quarterly.csv\" },\n"
        },
        in_start = dates[48.min(n - 1)],
        full_end = dates[n - 1],
        pool = pool.join(", "),
        max_vars = spec.max_vars,
    );
    let path = dir.join("search.toml");
    std::fs::write(&path, config)?;
    Ok(path)
}
