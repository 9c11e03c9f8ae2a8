//! `[stability]` and `[backtest]`: the walk-forward cuts and break dates of §11 and the
//! jump-offs and horizon of §12 (docs/semantics.md).
//!
//! Like `[validation]`, not part of [`super::Config::search_hash`]: both are derived from a
//! finished run's models, so changing a cut or a jump-off re-validates the run
//! (`specsearch validate`) instead of starting a new search. What needs the data (a date
//! outside the sample, a jump-off without enough actuals after it) is checked when the data are
//! loaded, before anything is written (`validation::stability_inputs`).

use serde::{Deserialize, Serialize};

use super::{Config, ConfigError};
use crate::data;

/// `[stability]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StabilityConfig {
    /// Rows cut from the end of the in-sample, one walk-forward trial each; default monthly
    /// `[3, 6, 12]`, quarterly `[4, 8, 12]`.
    pub cuts: Option<Vec<u32>>,
    /// Dates of known breaks for the Chow test (each the first date of the new regime).
    pub break_dates: Vec<String>,
}

/// `[backtest]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BacktestConfig {
    /// Jump-off dates (quarter ends); default every quarter end from the first in-sample one
    /// that has `quarters` quarters of actual target after it.
    pub jump_offs: Option<Vec<String>>,
    /// Quarters projected from each jump-off.
    pub quarters: u32,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            jump_offs: None,
            quarters: 9,
        }
    }
}

/// Most quarters a backtest horizon may have (25 years, as a scenario horizon).
const MAX_QUARTERS: u32 = 100;

impl StabilityConfig {
    /// The cuts for a search of `frequency` (the configured ones, or §11's defaults).
    pub fn cuts_for(&self, frequency: data::Frequency) -> Vec<u32> {
        self.cuts.clone().unwrap_or_else(|| match frequency {
            data::Frequency::Monthly => vec![3, 6, 12],
            data::Frequency::Quarterly => vec![4, 8, 12],
        })
    }
}

impl Config {
    /// Checks `[stability]` and `[backtest]` without the data.
    pub(super) fn validate_stability(&self) -> Result<(), ConfigError> {
        let s = &self.file.stability;
        if let Some(cuts) = &s.cuts {
            if cuts.is_empty() {
                return Err(self.invalid(
                    "stability.cuts",
                    "is empty: list the rows to cut from the end of the in-sample, one \
                     walk-forward trial each (default monthly [3, 6, 12], quarterly [4, 8, 12])",
                ));
            }
            for (i, &k) in cuts.iter().enumerate() {
                if k == 0 {
                    return Err(self.invalid(
                        &format!("stability.cuts[{i}]"),
                        "is 0: a cut removes at least one row (the full fit is always shown)",
                    ));
                }
                if cuts[..i].contains(&k) {
                    return Err(self.invalid(
                        &format!("stability.cuts[{i}]"),
                        format!("{k} is listed twice"),
                    ));
                }
            }
        }
        self.check_dates("stability.break_dates", &s.break_dates)?;
        let b = &self.file.backtest;
        if let Some(jump_offs) = &b.jump_offs {
            if jump_offs.is_empty() {
                return Err(self.invalid(
                    "backtest.jump_offs",
                    "is empty: list jump-off dates, or leave the key out for every quarter end \
                     with enough actuals after it",
                ));
            }
            self.check_dates("backtest.jump_offs", jump_offs)?;
        }
        if !(1..=MAX_QUARTERS).contains(&b.quarters) {
            return Err(self.invalid(
                "backtest.quarters",
                format!(
                    "is {}: give the quarters projected from each jump-off, 1 to {MAX_QUARTERS} \
                     (default 9)",
                    b.quarters
                ),
            ));
        }
        Ok(())
    }

    /// Every entry of `dates` is a date, each once.
    fn check_dates(&self, key: &str, dates: &[String]) -> Result<(), ConfigError> {
        let mut seen = Vec::with_capacity(dates.len());
        for (i, text) in dates.iter().enumerate() {
            let d = data::parse_date(text).ok_or_else(|| {
                self.invalid(
                    &format!("{key}[{i}]"),
                    format!("{text:?} is not a date (YYYY-MM-DD)"),
                )
            })?;
            if seen.contains(&d) {
                return Err(self.invalid(&format!("{key}[{i}]"), format!("{text} is listed twice")));
            }
            seen.push(d);
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

    fn parse(extra: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/x/search.toml"), &format!("{SEARCH}\n{extra}"))
    }

    #[test]
    fn defaults_and_full_sections() {
        let c = parse("").unwrap();
        assert_eq!(c.file.stability, StabilityConfig::default());
        assert_eq!(
            c.file.stability.cuts_for(data::Frequency::Monthly),
            vec![3, 6, 12]
        );
        assert_eq!(
            c.file.stability.cuts_for(data::Frequency::Quarterly),
            vec![4, 8, 12]
        );
        assert_eq!(c.file.backtest.quarters, 9);
        assert_eq!(c.file.backtest.jump_offs, None);
        let c = parse(
            "[stability]\ncuts = [2, 24]\nbreak_dates = [\"2008-09-30\"]\n\
             [backtest]\njump_offs = [\"2007-12-31\", \"2008-12-31\"]\nquarters = 4\n",
        )
        .unwrap();
        assert_eq!(
            c.file.stability.cuts_for(data::Frequency::Quarterly),
            vec![2, 24]
        );
        assert_eq!(c.file.stability.break_dates, vec!["2008-09-30"]);
        assert_eq!(c.file.backtest.quarters, 4);
        // Not part of the search.
        assert_eq!(c.search_hash(), parse("").unwrap().search_hash());
    }

    #[test]
    fn bad_settings_name_their_key() {
        let cases = [
            ("[stability]\ncut = [3]\n", "cut"),
            ("[backtest]\nhorizon = 9\n", "horizon"),
            ("[stability]\ncuts = []\n", "`stability.cuts`: is empty"),
            ("[stability]\ncuts = [3, 0]\n", "`stability.cuts[1]`: is 0"),
            (
                "[stability]\ncuts = [3, 3]\n",
                "`stability.cuts[1]`: 3 is listed twice",
            ),
            ("[stability]\ncuts = [-3]\n", "cuts"),
            (
                "[stability]\nbreak_dates = [\"2008-13-45\"]\n",
                "`stability.break_dates[0]`: \"2008-13-45\" is not a date",
            ),
            (
                "[stability]\nbreak_dates = [\"2008-09-30\", \"2008-09-30\"]\n",
                "`stability.break_dates[1]`",
            ),
            (
                "[backtest]\njump_offs = []\n",
                "`backtest.jump_offs`: is empty",
            ),
            (
                "[backtest]\njump_offs = [\"soon\"]\n",
                "`backtest.jump_offs[0]`: \"soon\" is not a date",
            ),
            ("[backtest]\nquarters = 0\n", "`backtest.quarters`: is 0"),
            (
                "[backtest]\nquarters = 101\n",
                "`backtest.quarters`: is 101",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(
                e.contains(want) && e.contains("/x/search.toml"),
                "{text}: {e}"
            );
        }
    }
}
