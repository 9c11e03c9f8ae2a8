//! `assess`: one spec (target + design columns) → one [`Outcome`], following
//! docs/semantics.md §5: OLS with intercept, covariance choice, the seven filters in order
//! (stopping at the first failure), and every statistic computed on the way.
//!
//! Pure (no I/O). An [`Evaluator`] is built once per worker from the frozen in-sample and
//! out-of-sample data and precomputes everything that does not depend on the spec; a per-worker
//! [`Scratch`] holds every buffer, so the filtered path of [`Evaluator::assess_into`] does not
//! allocate. Filtered outcomes of the search path omit statistics no decision needed (see
//! [`Outcome`]); the journal path [`Evaluator::decide_into`] decides Coefficient Significance
//! one coefficient at a time, without the robust covariance matrix, and takes exactly the
//! decisions of computing everything. [`diagnostics`] judges an outcome's reported diagnostics
//! for the reports.

mod evaluator;
mod report;

pub use evaluator::{
    ColumnData, ColumnUnitRoot, Evaluator, EvaluatorOptions, ExtraColumn, Scratch,
    SignificanceStats, TargetData,
};
pub use report::{diagnostics, Diagnostic, NORMALITY_ALPHA};

pub use crate::stats::CovType;
use serde::{Deserialize, Serialize};

/// Filter thresholds (`[filters]` in the search config). Defaults are those of §5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilterThresholds {
    /// Filter 1 (In-Sample R-sq): the fit passes when R² ≥ `min_r2`.
    pub min_r2: f64,
    /// Filter 2 (Coefficient Significance): every tested coefficient needs p < `coef_alpha`.
    pub coef_alpha: f64,
    /// Filter 3 (Group Driver F-Test): each full dummy set needs a Wald F p < `group_f_alpha`.
    pub group_f_alpha: f64,
    /// Filter 4 (Multicollinearity): every VIF must be ≤ `max_vif`.
    pub max_vif: f64,
    /// Filter 5 (Residual Stationarity): at least one of ADF/PP on the residuals needs
    /// p < `resid_stationarity_alpha`.
    pub resid_stationarity_alpha: f64,
    /// Filter 6 (Y–X Cointegration, non-stationary targets only): significance level of the
    /// "non-stationary by both tests" (columns) and "stationary by both tests" (residuals) verdicts.
    pub cointegration_alpha: f64,
    /// Filter 6: columns with fewer in-sample observations than this are not tested.
    pub cointegration_min_obs: usize,
    /// Covariance choice: Durbin–Watson inside `[dw_lower, dw_upper]` means no autocorrelation.
    pub dw_lower: f64,
    /// Upper end of the acceptable Durbin–Watson range.
    pub dw_upper: f64,
    /// Covariance choice: Breusch–Godfrey(1) p ≤ `bg_alpha` (with DW outside its range) means
    /// autocorrelation → HAC.
    pub bg_alpha: f64,
    /// Covariance choice: Breusch–Pagan p ≤ `het_alpha` and White p ≤ `het_alpha` means
    /// heteroscedasticity → HC1.
    pub het_alpha: f64,
}

impl Default for FilterThresholds {
    fn default() -> Self {
        FilterThresholds {
            min_r2: 0.3,
            coef_alpha: 0.10,
            group_f_alpha: 0.10,
            max_vif: 10.0,
            resid_stationarity_alpha: 0.05,
            cointegration_alpha: 0.05,
            cointegration_min_obs: 10,
            dw_lower: 1.5,
            dw_upper: 2.5,
            bg_alpha: 0.10,
            het_alpha: 0.05,
        }
    }
}

/// Outcome status of one spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Passed every filter.
    Passed,
    /// Failed a filter (see `failed_test`).
    Filtered,
    /// Could not be evaluated (bad input); see `message`. Also the state of a reset outcome.
    #[default]
    Error,
}

impl Status {
    /// Stable lowercase code.
    pub fn code(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Filtered => "filtered",
            Status::Error => "error",
        }
    }
}

/// The filters of §5, in evaluation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterTest {
    /// 1. R² ≥ threshold.
    InSampleR2,
    /// 2. Every tested coefficient significant.
    CoefficientSignificance,
    /// 3. Each full dummy set jointly significant.
    GroupFTest,
    /// 4. Full rank and every VIF ≤ threshold.
    Multicollinearity,
    /// 5. Residuals stationary by at least one of ADF/PP.
    ResidualStationarity,
    /// 6. Y–X cointegration (non-stationary targets).
    Cointegration,
    /// 7. Expected signs.
    SignCheck,
}

impl FilterTest {
    /// All filters in order.
    pub const ALL: [FilterTest; 7] = [
        FilterTest::InSampleR2,
        FilterTest::CoefficientSignificance,
        FilterTest::GroupFTest,
        FilterTest::Multicollinearity,
        FilterTest::ResidualStationarity,
        FilterTest::Cointegration,
        FilterTest::SignCheck,
    ];

    /// Display name exactly as in §5's table.
    pub fn name(self) -> &'static str {
        match self {
            FilterTest::InSampleR2 => "In-Sample R-sq",
            FilterTest::CoefficientSignificance => "Coefficient Significance",
            FilterTest::GroupFTest => "Group Driver F-Test",
            FilterTest::Multicollinearity => "Multicollinearity",
            FilterTest::ResidualStationarity => "Residual Stationarity",
            FilterTest::Cointegration => "Y\u{2013}X Cointegration",
            FilterTest::SignCheck => "Sign Check",
        }
    }

    /// Stable snake_case name (the serde form, e.g. `in_sample_r2`).
    pub fn as_str(self) -> &'static str {
        match self {
            FilterTest::InSampleR2 => "in_sample_r2",
            FilterTest::CoefficientSignificance => "coefficient_significance",
            FilterTest::GroupFTest => "group_f_test",
            FilterTest::Multicollinearity => "multicollinearity",
            FilterTest::ResidualStationarity => "residual_stationarity",
            FilterTest::Cointegration => "cointegration",
            FilterTest::SignCheck => "sign_check",
        }
    }

    /// Parses a name produced by [`FilterTest::as_str`].
    pub fn parse(name: &str) -> Option<FilterTest> {
        FilterTest::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The stored code: `filter_tests.code` in the journal, 1..=7 in §5's order.
    ///
    /// These codes are stored in journals and must never change: a new filter gets a new
    /// code, and reordering the variants (or [`FilterTest::ALL`]) must not move any of them.
    /// Hence an explicit match rather than the variant's position.
    pub fn code(self) -> u8 {
        match self {
            FilterTest::InSampleR2 => 1,
            FilterTest::CoefficientSignificance => 2,
            FilterTest::GroupFTest => 3,
            FilterTest::Multicollinearity => 4,
            FilterTest::ResidualStationarity => 5,
            FilterTest::Cointegration => 6,
            FilterTest::SignCheck => 7,
        }
    }

    /// The filter of a stored code ([`FilterTest::code`]); `None` for any other value.
    pub fn from_code(code: u8) -> Option<FilterTest> {
        match code {
            1 => Some(FilterTest::InSampleR2),
            2 => Some(FilterTest::CoefficientSignificance),
            3 => Some(FilterTest::GroupFTest),
            4 => Some(FilterTest::Multicollinearity),
            5 => Some(FilterTest::ResidualStationarity),
            6 => Some(FilterTest::Cointegration),
            7 => Some(FilterTest::SignCheck),
            _ => None,
        }
    }
}

impl std::fmt::Display for FilterTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Joint Wald F test of one full dummy set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupF {
    /// Dummy-set group id (from the column metadata).
    pub group: u32,
    /// F statistic.
    pub stat: f64,
    /// p-value, `F(df_num, n − rank)`.
    pub pvalue: f64,
    /// Numerator degrees of freedom (number of dummies in the set).
    pub df_num: u32,
}

/// The result of assessing one spec. Statistics the filter sequence did not reach are `None`
/// (or empty vectors). Vectors over parameters are intercept first; `vif` is over the
/// non-constant columns in spec order (frozen ids, then extra columns).
///
/// **Completeness rule.** A *passed* outcome, and every outcome of
/// [`Evaluator::assess_report`], carries every statistic of the filters it went through. A
/// *filtered* (or error) outcome of the search path (`assess`, `assess_into`,
/// `assess_with_extra`) carries only what the decisions up to its failure needed, since the
/// journal keeps just status, failed test and R² of those: `pvalues` is empty, `bg_stat` is
/// `None` when Durbin–Watson was within its range, `bg_pvalue` is `None`, and the
/// out-of-sample metrics are `None` (`nobs_oos` 0). Everything else that was reached (params,
/// bse, t values, R², DW, BP/White, group F, VIF, ADF/PP, …) is filled as before, and every
/// value present is bit-identical to the one the full computation gives.
///
/// The journal path ([`Evaluator::decide_into`], what workers run) keeps even less of a
/// filtered outcome: status, failed test, R² and adjusted R², params and rank always; the
/// in-sample error metrics, Durbin–Watson, the covariance choice's tests and `cov_type` only
/// when the filter-2 decision needed the covariance choice (a spec whose coefficient is
/// insignificant under every covariance the choice could pick has none); `bse` and `tvalues`
/// only when it needed the full covariance matrix. Its passed outcomes equal
/// [`Evaluator::assess`]'s in every statistic.
///
/// Serialised (the journal's passed-model detail, `show-model --json`), absent statistics and
/// empty vectors are left out rather than written as `null` / `[]`: readers treat a missing
/// field as not computed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Passed / filtered / error.
    pub status: Status,
    /// First failed filter (filtered outcomes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_test: Option<FilterTest>,
    /// Error message (errors) or a note on the failure (e.g. which column is dependent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// In-sample observations.
    pub nobs: usize,
    /// Out-of-sample observations used for the OOS metrics (0 on filtered search outcomes).
    pub nobs_oos: usize,
    /// Numerical rank of `[1, X]`.
    pub rank: usize,
    /// Covariance used for inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cov_type: Option<CovType>,
    /// R² (centered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r2: Option<f64>,
    /// Adjusted R².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adj_r2: Option<f64>,
    /// Coefficients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<f64>,
    /// Standard errors (with `cov_type`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bse: Vec<f64>,
    /// t statistics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tvalues: Vec<f64>,
    /// Two-sided Student-t p-values, df = n − rank. Passed outcomes and reports only: empty
    /// on filtered search outcomes, whose filter 2 decision `p < coef_alpha` is taken from the
    /// t values with an exact cached critical value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pvalues: Vec<f64>,
    /// Durbin–Watson.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dw: Option<f64>,
    /// Breusch–Godfrey LM (1 lag). On filtered search outcomes only when Durbin–Watson was
    /// outside its range (the only case where it decides the covariance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bg_stat: Option<f64>,
    /// Breusch–Godfrey p-value (passed outcomes and reports; the search path decides
    /// `p ≤ bg_alpha` from the statistic with an exact cached critical value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bg_pvalue: Option<f64>,
    /// Breusch–Pagan (Koenker) LM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bp_stat: Option<f64>,
    /// Breusch–Pagan p-value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bp_pvalue: Option<f64>,
    /// White LM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub white_stat: Option<f64>,
    /// White p-value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub white_pvalue: Option<f64>,
    /// Jarque–Bera statistic (passed models and full reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jb_stat: Option<f64>,
    /// Jarque–Bera p-value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jb_pvalue: Option<f64>,
    /// Cramér–von Mises normality statistic (passed models and full reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvm_stat: Option<f64>,
    /// Cramér–von Mises p-value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvm_pvalue: Option<f64>,
    /// Variance inflation factors (non-constant columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vif: Vec<f64>,
    /// Group F tests, one per full dummy set in the spec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_f: Vec<GroupF>,
    /// ADF statistic of the in-sample residuals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resid_adf_stat: Option<f64>,
    /// ADF p-value of the residuals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resid_adf_pvalue: Option<f64>,
    /// ADF lag chosen by AIC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resid_adf_lag: Option<u32>,
    /// Phillips–Perron Z-tau of the residuals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resid_pp_stat: Option<f64>,
    /// Phillips–Perron p-value of the residuals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resid_pp_pvalue: Option<f64>,
    /// In-sample mean absolute error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_mae: Option<f64>,
    /// In-sample root mean squared error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_rmse: Option<f64>,
    /// In-sample maximum absolute error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_max_abs_error: Option<f64>,
    /// Out-of-sample mean absolute error (when OOS rows exist; passed outcomes and reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oos_mae: Option<f64>,
    /// Out-of-sample RMSE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oos_rmse: Option<f64>,
    /// Out-of-sample maximum absolute error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oos_max_abs_error: Option<f64>,
}

impl Outcome {
    /// Clears every field, keeping vector capacity (so reuse does not allocate).
    pub fn reset(&mut self) {
        let mut params = std::mem::take(&mut self.params);
        let mut bse = std::mem::take(&mut self.bse);
        let mut tvalues = std::mem::take(&mut self.tvalues);
        let mut pvalues = std::mem::take(&mut self.pvalues);
        let mut vif = std::mem::take(&mut self.vif);
        let mut group_f = std::mem::take(&mut self.group_f);
        params.clear();
        bse.clear();
        tvalues.clear();
        pvalues.clear();
        vif.clear();
        group_f.clear();
        *self = Outcome {
            params,
            bse,
            tvalues,
            pvalues,
            vif,
            group_f,
            ..Outcome::default()
        };
    }

    /// `true` when the spec passed every filter.
    pub fn passed(&self) -> bool {
        self.status == Status::Passed
    }
}

#[cfg(test)]
mod tests {
    use super::FilterTest;

    #[test]
    fn filter_codes_round_trip() {
        for f in FilterTest::ALL {
            assert_eq!(FilterTest::from_code(f.code()), Some(f), "{f}");
            assert_eq!(FilterTest::parse(f.as_str()), Some(f), "{f}");
        }
        assert_eq!(FilterTest::from_code(0), None);
        assert_eq!(FilterTest::from_code(8), None);
        assert_eq!(FilterTest::from_code(u8::MAX), None);
        assert_eq!(FilterTest::parse("InSampleR2"), None);
    }

    #[test]
    fn filter_names_are_the_serde_names() {
        for f in FilterTest::ALL {
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()));
        }
    }

    #[test]
    fn filter_codes_follow_the_evaluation_order() {
        // `filter_tests.code` is 1..=7 in §5's order, which is also `ALL`'s.
        let codes: Vec<u8> = FilterTest::ALL.iter().map(|f| f.code()).collect();
        assert_eq!(codes, (1..=7).collect::<Vec<u8>>());
    }
}
