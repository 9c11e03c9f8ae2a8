//! `[validation]`: which models the validation analyses look at and how (docs/semantics.md
//! §10: the shocks of the sensitivity analysis, the simulated uncertainty band).
//!
//! Like `[scenarios]`, deliberately not part of [`super::Config::search_hash`]: validation is
//! derived from a finished run's passed models, so changing a shock or the number of draws
//! re-validates a run (`specsearch validate`) instead of starting a new search.

use serde::{Deserialize, Serialize};

use super::{Config, ConfigError};

/// `[validation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidationConfig {
    /// How many of the run's best ranked models are validated at the end of `run` and by
    /// `specsearch validate` without a selection.
    pub top_n: usize,
    /// Coefficient shocks β ± k·SE, one pair per k (§10).
    pub coefficient_shocks: Vec<f64>,
    /// Driver shocks x ± k·σ, one pair per k (§10).
    pub driver_shocks: Vec<f64>,
    /// The simulated band of the level paths.
    pub bands: BandConfig,
}

/// `[validation.bands]`: the uncertainty band of a model's scenario paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BandConfig {
    /// Simulated paths per model (parameter and residual draws).
    pub draws: usize,
    /// Seed of the draws (ChaCha8; each model draws from its own stream, so the band of a
    /// model is the same whichever models are validated with it and however many threads).
    pub seed: u64,
    /// Quantiles of the band, strictly increasing in (0, 1).
    pub quantiles: Vec<f64>,
}

/// The default seed of the band's draws.
pub const DEFAULT_BAND_SEED: u64 = 2026;

/// Most draws a band may ask for (the band's cost is linear in them).
const MAX_DRAWS: usize = 1_000_000;

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            top_n: 10,
            coefficient_shocks: vec![1.0],
            driver_shocks: vec![1.0, 2.0, 3.0],
            bands: BandConfig::default(),
        }
    }
}

impl Default for BandConfig {
    fn default() -> Self {
        BandConfig {
            draws: 1000,
            seed: DEFAULT_BAND_SEED,
            quantiles: vec![0.05, 0.95],
        }
    }
}

fn show(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else {
        v.to_string()
    }
}

impl Config {
    /// Checks `[validation]`.
    pub(super) fn validate_validation(&self) -> Result<(), ConfigError> {
        let v = &self.file.validation;
        if v.top_n == 0 {
            return Err(self.invalid(
                "validation.top_n",
                "must be at least 1 (the number of best ranked models to validate; default 10)",
            ));
        }
        for (key, shocks) in [
            ("validation.coefficient_shocks", &v.coefficient_shocks),
            ("validation.driver_shocks", &v.driver_shocks),
        ] {
            if shocks.is_empty() {
                return Err(self.invalid(
                    key,
                    "is empty: list the shock sizes k (each shocks by +k and −k), e.g. [1, 2, 3]",
                ));
            }
            for (i, &k) in shocks.iter().enumerate() {
                if !(k.is_finite() && k > 0.0) {
                    return Err(self.invalid(
                        &format!("{key}[{i}]"),
                        format!(
                            "is {}: a shock size must be a finite number above 0 (each k \
                             shocks by +k and −k)",
                            show(k)
                        ),
                    ));
                }
                if shocks[..i].contains(&k) {
                    return Err(
                        self.invalid(&format!("{key}[{i}]"), format!("{k} is listed twice"))
                    );
                }
            }
        }
        let b = &v.bands;
        if !(2..=MAX_DRAWS).contains(&b.draws) {
            return Err(self.invalid(
                "validation.bands.draws",
                format!(
                    "is {}: give the number of simulated paths, 2 to {MAX_DRAWS} (default 1000)",
                    b.draws
                ),
            ));
        }
        if b.quantiles.is_empty() {
            return Err(self.invalid(
                "validation.bands.quantiles",
                "is empty: list the band's quantiles, e.g. [0.05, 0.95]",
            ));
        }
        for (i, &q) in b.quantiles.iter().enumerate() {
            if !(q > 0.0 && q < 1.0) {
                return Err(self.invalid(
                    &format!("validation.bands.quantiles[{i}]"),
                    format!(
                        "is {}: a quantile is a probability strictly between 0 and 1",
                        show(q)
                    ),
                ));
            }
            if i > 0 && q <= b.quantiles[i - 1] {
                return Err(self.invalid(
                    &format!("validation.bands.quantiles[{i}]"),
                    format!(
                        "is {q}, not above the quantile before it ({}): list them in increasing \
                         order, each once",
                        b.quantiles[i - 1]
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const SEARCH: &str = r#"
[data]
target_table = { path = "t.csv" }
metadata = "m.csv"

[target]
column = "y"

[sample]
in_start = "2005-01-31"
in_end = "2019-12-31"

[search]
pool = ["a", "b"]
"#;

    fn parse(validation: &str) -> Result<Config, ConfigError> {
        Config::parse(
            Path::new("/x/search.toml"),
            &format!("{SEARCH}\n{validation}"),
        )
    }

    fn error(validation: &str) -> String {
        parse(validation).unwrap_err().to_string()
    }

    #[test]
    fn defaults_and_a_full_section() {
        let c = parse("").unwrap();
        assert_eq!(c.file.validation, ValidationConfig::default());
        assert_eq!(c.file.validation.driver_shocks, vec![1.0, 2.0, 3.0]);
        assert_eq!(c.file.validation.bands.quantiles, vec![0.05, 0.95]);
        let c = parse(
            "[validation]\ntop_n = 3\ncoefficient_shocks = [1, 2]\ndriver_shocks = [0.5]\n\
             [validation.bands]\ndraws = 500\nseed = 9\nquantiles = [0.1, 0.5, 0.9]\n",
        )
        .unwrap();
        let v = &c.file.validation;
        assert_eq!((v.top_n, v.bands.draws, v.bands.seed), (3, 500, 9));
        assert_eq!(v.coefficient_shocks, vec![1.0, 2.0]);
        assert_eq!(v.bands.quantiles, vec![0.1, 0.5, 0.9]);
    }

    #[test]
    fn validation_is_not_part_of_the_search() {
        let a = parse("").unwrap();
        let b = parse("[validation]\ntop_n = 3\ndriver_shocks = [2]\n").unwrap();
        assert_eq!(a.search_hash(), b.search_hash());
    }

    #[test]
    fn bad_settings_name_their_key() {
        let cases = [
            ("[validation]\ntop_nn = 3\n", "top_nn"),
            ("[validation.bands]\ndraw = 3\n", "draw"),
            ("[validation]\ntop_n = 0\n", "`validation.top_n`"),
            (
                "[validation]\ndriver_shocks = []\n",
                "`validation.driver_shocks`: is empty",
            ),
            (
                "[validation]\ncoefficient_shocks = []\n",
                "`validation.coefficient_shocks`: is empty",
            ),
            (
                "[validation]\ndriver_shocks = [1, nan]\n",
                "`validation.driver_shocks[1]`: is nan",
            ),
            (
                "[validation]\ndriver_shocks = [inf]\n",
                "`validation.driver_shocks[0]`: is inf",
            ),
            (
                "[validation]\ndriver_shocks = [-1]\n",
                "`validation.driver_shocks[0]`: is -1",
            ),
            (
                "[validation]\ndriver_shocks = [1, 1]\n",
                "`validation.driver_shocks[1]`",
            ),
            (
                "[validation.bands]\ndraws = 1\n",
                "`validation.bands.draws`",
            ),
            (
                "[validation.bands]\nquantiles = []\n",
                "`validation.bands.quantiles`",
            ),
            (
                "[validation.bands]\nquantiles = [0.5, 1]\n",
                "`validation.bands.quantiles[1]`",
            ),
            (
                "[validation.bands]\nquantiles = [0.9, 0.1]\n",
                "`validation.bands.quantiles[1]`: is 0.1, not above",
            ),
        ];
        for (text, want) in cases {
            let e = error(text);
            assert!(
                e.contains(want) && e.contains("/x/search.toml"),
                "{text}: {e}"
            );
        }
    }
}
