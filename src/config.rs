//! The search configuration: the TOML schema users write, its validation, and the canonical hash
//! that identifies a search.
//!
//! Every table rejects unknown keys so that a typo (`max_var = 4`) is an error naming the key,
//! not a silently ignored setting. Paths are relative to the config file's directory.
//!
//! Two hashes matter downstream:
//! - [`Config::search_hash`] covers everything that changes which specs exist or how each is
//!   judged (target, sample, search, filters). Runtime knobs (workers, executor, transport, batch
//!   size), ranking weights (ranking is derived at query time), scenarios (they are forecast
//!   from a run's results, `forecast` re-derives them), validation (`validate` re-derives it)
//!   and file paths (the data's content
//!   is covered by the bundle hash) are deliberately excluded, so resuming with more workers or
//!   after moving the data directory continues the same run.
//! - The bundle hash (see `store`) covers the frozen data itself.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::assess::FilterThresholds;
use crate::features::Transform;

mod scenarios;
pub use scenarios::{
    Direction, FitChoice, ModelChoice, QuarterAggregation, ScenarioSet, ScenariosConfig,
};
mod segments;
pub use segments::{select, SegmentId};
mod validation;
pub use validation::{BandConfig, ValidationConfig, DEFAULT_BAND_SEED};
mod stability;
pub use stability::{BacktestConfig, StabilityConfig};

/// Bumped whenever the meaning of a config changes in a way that alters results.
const SEARCH_HASH_VERSION: &str = "specsearch-search-v1";

/// The largest ranking weight (`[ranking]`, `--weights`): weights are relative, and up to this
/// their weighted sums stay far from overflowing.
pub const MAX_WEIGHT: f64 = 1e6;

/// A configuration error: always names the file and, where there is one, the key to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("{path}: segment `{segment}`: {message}")]
    SegmentParse {
        path: PathBuf,
        segment: String,
        message: String,
    },
    #[error("{path}: segment `{segment}`: `{key}`: {message}")]
    SegmentInvalid {
        path: PathBuf,
        segment: String,
        key: String,
        message: String,
    },
}

/// A parsed, validated configuration plus where it came from, resolved once: the exact text it
/// was parsed from (what a run records) and absolute paths.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config file as given on the command line (messages name it so).
    pub path: PathBuf,
    /// The config file's absolute path (what a run records: `merge` and the result commands
    /// find the config from any working directory).
    pub absolute_path: PathBuf,
    /// Absolute directory that relative paths in the file are resolved against.
    pub base_dir: PathBuf,
    /// The file's text exactly as parsed (the whole file for a segment of it).
    pub text: std::sync::Arc<str>,
    pub file: ConfigFile,
    /// Which `[[segment]]` of the file this search is (`None`: a file without segments).
    pub segment: Option<SegmentId>,
}

/// The TOML document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub data: DataConfig,
    pub target: TargetConfig,
    pub sample: SampleConfig,
    pub search: SearchConfig,
    #[serde(default)]
    pub filters: FilterThresholds,
    #[serde(default)]
    pub ranking: RankingConfig,
    #[serde(default)]
    pub run: RunConfig,
    /// Scenario forecasts of the passed models (not part of the search's identity).
    #[serde(default)]
    pub scenarios: Option<ScenariosConfig>,
    /// The validation analyses of the best models (not part of the search's identity).
    #[serde(default)]
    pub validation: ValidationConfig,
    /// Walk-forward cuts and break dates of the stability analysis (§11; not part of the
    /// search's identity).
    #[serde(default)]
    pub stability: StabilityConfig,
    /// Jump-offs and horizon of the dynamic backtests (§12; not part of the search's identity).
    #[serde(default)]
    pub backtest: BacktestConfig,
    /// The model in use today, scored and projected beside the ranking (not part of the
    /// search's identity).
    #[serde(default)]
    pub incumbent: Option<IncumbentConfig>,
    /// The type → transforms map (§9): each entry replaces a metadata type's transform list
    /// (`level = ["LV", "GR"]`) or adds a type (`spread = ["LV", "DF", "DEVROLL"]`); types not
    /// listed keep §2's (`level → [LV, GR]`, `rate → [LV, DF]`).
    #[serde(default)]
    pub transforms: Option<std::collections::BTreeMap<String, Vec<Transform>>>,
}

/// `[incumbent]`: the model a search's results are compared with (docs/semantics.md §13): its
/// features (columns of the search: variants such as `unemp_QQDF_L1`, dummies such as `Q:2`,
/// composites) and, optionally, its coefficients as given (`const` for the intercept); without
/// them it is fitted like any spec.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IncumbentConfig {
    pub features: Vec<String>,
    #[serde(default)]
    pub coefficients: Option<std::collections::BTreeMap<String, f64>>,
}

/// `[data]`: where the series come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// The table holding the target column; its dates define the calendar and frequency.
    pub target_table: TableConfig,
    /// Tables of macro-economic variables (monthly or quarterly).
    #[serde(default)]
    pub mev_tables: Vec<TableConfig>,
    /// CSV with one row per MEV: `variable,type,category,aggregation,sign`.
    pub metadata: PathBuf,
}

/// One input table: a CSV file or a sheet of a workbook (xlsx, xlsm, xlsb, xls, ods).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableConfig {
    pub path: PathBuf,
    /// The workbook sheet to read (default: the first sheet); only for workbooks.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Name of the date column; default: a column named `date` (any case), else the first.
    #[serde(default)]
    pub date_column: Option<String>,
    /// Forward-fill missing values before anything else.
    #[serde(default)]
    pub ffill: bool,
}

/// `[target]`: the series being modelled, optionally a transform of a raw column with a lead.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// Raw column in the target table.
    pub column: String,
    /// `LV` (default), `DF` or `GR`.
    #[serde(default)]
    pub transform: Transform,
    /// Period of the transform (ignored for `LV`).
    #[serde(default = "one")]
    pub period: u32,
    /// Lead in periods: 1 models next period's value with this period's drivers.
    #[serde(default)]
    pub lead: u32,
    /// A ratio target (§9): the modelled series is `column / exposure` (then the transform);
    /// levels are the ratio times this column of the target table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<String>,
}

fn one() -> u32 {
    1
}

/// `[sample]`: in-sample and out-of-sample windows (inclusive period-end dates).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleConfig {
    pub in_start: String,
    pub in_end: String,
    /// Last out-of-sample date; default: `in_end` (no out-of-sample).
    #[serde(default)]
    pub full_end: Option<String>,
    /// In-sample dates left out of every fit, test and in-sample statistic (§9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outliers: Vec<String>,
}

/// `[search]`: the spec space.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// Items in every spec (variables, variant names, `dummies(...)`).
    #[serde(default)]
    pub forced: Vec<String>,
    /// Candidate items.
    #[serde(default)]
    pub pool: Vec<String>,
    /// Sets from which a spec takes at most one element (a variable, variant or category name).
    #[serde(default)]
    pub one_of: Vec<Vec<String>>,
    /// Groups of items that only ever enter a spec together, counted as one item.
    #[serde(default)]
    pub together: Vec<Vec<String>>,
    /// Most items per spec, forced items included (a dummy set or group counts as one).
    #[serde(default = "default_max_vars")]
    pub max_vars: usize,
    /// Lags 0..=max_lag of every transform.
    #[serde(default = "default_max_lag")]
    pub max_lag: u32,
    /// Transform periods; default monthly `[1,3,6,12]`, quarterly `[1,2,3,4]`.
    #[serde(default)]
    pub periods: Option<Vec<u32>>,
    /// Most variables of one category in a spec.
    #[serde(default = "one_usize")]
    pub category_limit: usize,
    /// Windows of the rolling transforms (ROLLAVG, DEVROLL); default `[4]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows: Option<Vec<u32>>,
}

/// The rolling windows when `search.windows` is not set (the reference's `ROLLAVG4`).
pub const DEFAULT_WINDOWS: [u32; 1] = [4];

fn default_max_vars() -> usize {
    4
}
fn default_max_lag() -> u32 {
    3
}
fn one_usize() -> usize {
    1
}

/// `[ranking]`: how passed models are scored (derived at query time; not part of the hash).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RankingConfig {
    /// Weight of the fit group (R², adjusted R²).
    pub fit: f64,
    /// Weight of in-sample errors (max |e|, MAE, RMSE).
    pub in_sample: f64,
    /// Weight of out-of-sample errors; dropped when there is no out-of-sample window.
    pub out_of_sample: f64,
    /// Models shown by `run` and `top` by default.
    pub top_n: usize,
}

impl Default for RankingConfig {
    fn default() -> Self {
        RankingConfig {
            fit: 1.0,
            in_sample: 1.0,
            out_of_sample: 1.0,
            top_n: 10,
        }
    }
}

/// How specs are evaluated in parallel.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Executor {
    /// Worker processes (the same binary, spawned): the default.
    #[default]
    Process,
    /// Threads in the coordinator process (rayon).
    Thread,
    /// One spec after another in the coordinator.
    Serial,
}

/// How worker processes read the frozen features.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// `mmap` for large bundles, `duckdb` otherwise.
    #[default]
    Auto,
    /// Each worker reads the columns from features.duckdb (read-only) into private memory.
    Duckdb,
    /// Each worker maps features.f64; pages are shared between workers.
    Mmap,
}

/// `[run]`: runtime knobs; they never change results.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Worker count; 0 = available cores.
    pub workers: usize,
    pub executor: Executor,
    pub transport: Transport,
    /// Spec indices per batch sent to a worker.
    pub batch_size: usize,
    /// Batches queued per worker (sent ahead, so a worker never waits for the coordinator).
    pub prefetch: usize,
    /// Hybrid scheduling: the coordinator screens each batch with the cheap first stage of
    /// the kernel (rank and R² against `filters.min_r2`), journals what that decides itself
    /// and sends only the rest to the worker processes. Same outcomes either way.
    pub hybrid: bool,
    /// Shortest time (seconds) a worker is given for one batch before the watchdog stops it.
    /// The deadline of a batch is the longer of this and 20× its expected time (from the
    /// measured cost per spec).
    pub batch_timeout: f64,
    /// Seconds a graceful stop (Ctrl-C, SIGTERM) waits for in-flight batches before the
    /// remaining workers are killed.
    pub drain_timeout: f64,
    /// A run estimated to take longer than this (hours, on this machine) is refused unless
    /// `run --yes`.
    pub max_hours: f64,
    /// A search with more specs than this is refused unless `run --yes` (0 = no limit).
    pub max_specs: u64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            workers: 0,
            executor: Executor::Process,
            transport: Transport::Auto,
            batch_size: 2048,
            prefetch: 2,
            hybrid: false,
            batch_timeout: 60.0,
            drain_timeout: 30.0,
            max_hours: 168.0,
            max_specs: 0,
        }
    }
}

impl RankingConfig {
    /// The weights of the three ranking groups, as the journal ranks with them.
    pub fn weights(&self) -> crate::journal::Weights {
        crate::journal::Weights {
            fit: self.fit,
            in_sample: self.in_sample,
            out_of_sample: self.out_of_sample,
        }
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Parses config text as if read from `path` (used by `load` and by tests). A file with
    /// several `[[segment]]` tables is refused (it is several searches: see
    /// [`Config::parse_all`], [`Config::load_segment`]); one with a single segment gives it.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut all = Config::parse_all(path, text)?;
        if all.len() == 1 {
            return Ok(all.remove(0));
        }
        let names: Vec<&str> = all.iter().filter_map(|c| c.segment_name()).collect();
        Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            key: "segment".into(),
            message: format!(
                "the file has {} segments ({}): choose one with --segment NAME",
                all.len(),
                names.join(", ")
            ),
        })
    }

    /// A file without segments.
    fn parse_one(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let config = Config::from_file(path, text.into(), file, None);
        config.validate()?;
        Ok(config)
    }

    fn from_file(
        path: &Path,
        text: std::sync::Arc<str>,
        file: ConfigFile,
        segment: Option<SegmentId>,
    ) -> Config {
        // `absolute` neither needs the file to exist nor resolves symlinks: the path as given,
        // anchored at the working directory once.
        let absolute_path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let base_dir = absolute_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        Config {
            path: path.to_path_buf(),
            absolute_path,
            base_dir,
            text,
            file,
            segment,
        }
    }

    fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// Checks that do not need the data; checks against the data happen when features are built.
    fn validate(&self) -> Result<(), ConfigError> {
        let f = &self.file;
        if f.target.column.trim().is_empty() {
            return Err(self.invalid("target.column", "must name a column of the target table"));
        }
        if f.target.transform != Transform::Lv && f.target.period == 0 {
            return Err(self.invalid("target.period", "must be at least 1"));
        }
        if !f.target.transform.has_level_link() {
            return Err(self.invalid(
                "target.transform",
                format!(
                    "{} cannot be converted back to the target's level; a target is LV, DF or GR",
                    f.target.transform
                ),
            ));
        }
        if let Some(exposure) = &f.target.exposure {
            if exposure.trim().is_empty() || *exposure == f.target.column {
                return Err(self.invalid(
                    "target.exposure",
                    "must name another column of the target table (the target is modelled as \
                     target / exposure)",
                ));
            }
        }
        for (i, text) in f.sample.outliers.iter().enumerate() {
            if crate::data::parse_date(text).is_none() {
                return Err(self.invalid(
                    &format!("sample.outliers[{i}]"),
                    format!("{text:?} is not a date (use YYYY-MM-DD)"),
                ));
            }
        }
        self.validate_transforms()?;
        let s = &f.search;
        if s.pool.is_empty() && s.forced.is_empty() && s.one_of.is_empty() && s.together.is_empty()
        {
            return Err(self.invalid(
                "search.pool",
                "is empty: list the candidate drivers, e.g. pool = [\"unemp\", \"realgdp\"]",
            ));
        }
        if s.category_limit < 1 {
            return Err(self.invalid("search.category_limit", "must be at least 1"));
        }
        if s.max_vars < 1 {
            return Err(self.invalid("search.max_vars", "must be at least 1"));
        }
        if s.max_vars < s.forced.len() {
            return Err(self.invalid(
                "search.max_vars",
                format!(
                    "is {} but search.forced has {} items; raise max_vars or force fewer items",
                    s.max_vars,
                    s.forced.len()
                ),
            ));
        }
        if let Some(periods) = &s.periods {
            if periods.is_empty() {
                return Err(self.invalid("search.periods", "must list at least one period"));
            }
            if periods.contains(&0) {
                return Err(self.invalid("search.periods", "periods must be at least 1"));
            }
        }
        for (i, set) in s.one_of.iter().enumerate() {
            if set.is_empty() {
                return Err(self.invalid(&format!("search.one_of[{i}]"), "is an empty set"));
            }
        }
        for (i, group) in s.together.iter().enumerate() {
            if group.len() < 2 {
                return Err(self.invalid(
                    &format!("search.together[{i}]"),
                    "a group needs at least two items",
                ));
            }
        }
        self.validate_filters()?;
        self.validate_scenarios()?;
        self.validate_validation()?;
        self.validate_stability()?;
        self.validate_incumbent()?;
        let r = &f.ranking;
        for (key, w) in [
            ("ranking.fit", r.fit),
            ("ranking.in_sample", r.in_sample),
            ("ranking.out_of_sample", r.out_of_sample),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(self.invalid(key, "weights must be finite and non-negative"));
            }
            if w > MAX_WEIGHT {
                return Err(self.invalid(
                    key,
                    format!(
                        "is {w}: weights are relative (e.g. fit = 1, in_sample = 1, \
                         out_of_sample = 0.5) and at most {MAX_WEIGHT:e}, where scores stay exact"
                    ),
                ));
            }
        }
        if r.fit + r.in_sample + r.out_of_sample <= 0.0 {
            return Err(self.invalid("ranking", "at least one weight must be positive"));
        }
        if f.run.batch_size == 0 {
            return Err(self.invalid("run.batch_size", "must be at least 1"));
        }
        if f.run.hybrid && f.run.executor != Executor::Process {
            return Err(self.invalid(
                "run.hybrid",
                "screens specs in the coordinator before they go to worker processes, but \
                 run.executor is not \"process\": use executor = \"process\" or drop hybrid",
            ));
        }
        if f.run.prefetch == 0 {
            return Err(self.invalid(
                "run.prefetch",
                "must be at least 1 (batches queued per worker; default 2)",
            ));
        }
        if !(f.run.max_hours.is_finite() && f.run.max_hours > 0.0) {
            return Err(self.invalid("run.max_hours", "must be a positive number of hours"));
        }
        // Bounded both ways: a watchdog of nanoseconds journals spurious timeouts, one of
        // 1e30 seconds overflows a duration.
        for (key, v, lo, hi, what) in [
            (
                "run.batch_timeout",
                f.run.batch_timeout,
                1.0,
                604_800.0,
                "seconds (a week)",
            ),
            (
                "run.drain_timeout",
                f.run.drain_timeout,
                1.0,
                86_400.0,
                "seconds (a day)",
            ),
            ("run.max_hours", f.run.max_hours, 0.0, 100_000.0, "hours"),
        ] {
            if !(v.is_finite() && v >= lo && v <= hi) {
                return Err(
                    self.invalid(key, format!("is {v}: must be between {lo} and {hi} {what}"))
                );
            }
        }
        Ok(())
    }

    /// `[transforms]` and `search.windows`.
    fn validate_transforms(&self) -> Result<(), ConfigError> {
        let f = &self.file;
        if let Some(windows) = &f.search.windows {
            if windows.is_empty() {
                return Err(self.invalid("search.windows", "must list at least one window"));
            }
            if let Some(w) = windows.iter().find(|&&w| w < 2) {
                return Err(self.invalid(
                    "search.windows",
                    format!("{w}: a rolling window spans at least 2 periods"),
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (name, list) in f.transforms.iter().flatten() {
            let key = format!("transforms.{name}");
            if name.trim().is_empty() || !seen.insert(name.to_ascii_lowercase()) {
                return Err(self.invalid(
                    &key,
                    "type names are compared in lowercase and must be unique and not empty",
                ));
            }
            if list.is_empty() {
                return Err(self.invalid(&key, "must list at least one transform, e.g. [\"LV\"]"));
            }
            let mut codes = std::collections::BTreeSet::new();
            if let Some(t) = list.iter().find(|t| !codes.insert(t.code())) {
                return Err(self.invalid(&key, format!("lists {t} twice")));
            }
        }
        Ok(())
    }

    /// Every threshold of `[filters]` in its range: a threshold outside it would silently pass
    /// no model (or every model).
    fn validate_filters(&self) -> Result<(), ConfigError> {
        let t = &self.file.filters;
        let show = |v: f64| {
            if v.is_nan() {
                "nan".to_string()
            } else {
                v.to_string()
            }
        };
        for (key, v) in [
            ("filters.coef_alpha", t.coef_alpha),
            ("filters.group_f_alpha", t.group_f_alpha),
            (
                "filters.resid_stationarity_alpha",
                t.resid_stationarity_alpha,
            ),
            ("filters.cointegration_alpha", t.cointegration_alpha),
            ("filters.bg_alpha", t.bg_alpha),
            ("filters.het_alpha", t.het_alpha),
        ] {
            if !(v > 0.0 && v < 1.0) {
                return Err(self.invalid(
                    key,
                    format!(
                        "is {}: a significance level must be a probability strictly between \
                         0 and 1 (e.g. 0.05)",
                        show(v)
                    ),
                ));
            }
        }
        if !(t.min_r2 >= 0.0 && t.min_r2 < 1.0) {
            return Err(self.invalid(
                "filters.min_r2",
                format!(
                    "is {}: an R² threshold must be at least 0 and below 1 (default 0.3)",
                    show(t.min_r2)
                ),
            ));
        }
        if !(t.max_vif > 1.0 && t.max_vif.is_finite()) {
            return Err(self.invalid(
                "filters.max_vif",
                format!(
                    "is {}: a VIF is at least 1, so the limit must be a finite number above 1 \
                     (default 10)",
                    show(t.max_vif)
                ),
            ));
        }
        for (key, v) in [
            ("filters.dw_lower", t.dw_lower),
            ("filters.dw_upper", t.dw_upper),
        ] {
            if !(0.0..=4.0).contains(&v) {
                return Err(self.invalid(
                    key,
                    format!(
                        "is {}: the Durbin–Watson statistic lies between 0 and 4",
                        show(v)
                    ),
                ));
            }
        }
        if t.dw_lower >= t.dw_upper {
            return Err(self.invalid(
                "filters.dw_lower",
                format!(
                    "is {} but filters.dw_upper is {}: the range of acceptable Durbin–Watson \
                     values needs dw_lower < dw_upper (defaults 1.5 and 2.5)",
                    t.dw_lower, t.dw_upper
                ),
            ));
        }
        if t.cointegration_min_obs == 0 {
            return Err(self.invalid(
                "filters.cointegration_min_obs",
                "must be at least 1 (default 10)",
            ));
        }
        Ok(())
    }

    /// `[incumbent]` on its own: features named once each, coefficients (when given) for the
    /// intercept and every feature and nothing else, finite. Whether the features are columns
    /// of the search is checked against the data (`benchmark::check_incumbent`).
    fn validate_incumbent(&self) -> Result<(), ConfigError> {
        let Some(inc) = &self.file.incumbent else {
            return Ok(());
        };
        if inc.features.is_empty() {
            return Err(self.invalid(
                "incumbent.features",
                "is empty: list the incumbent model's features, e.g. features = [\"unemp_QQDF\"]",
            ));
        }
        for (i, f) in inc.features.iter().enumerate() {
            if f.trim().is_empty() {
                return Err(self.invalid(&format!("incumbent.features[{i}]"), "is empty"));
            }
            if inc.features[..i].contains(f) {
                return Err(self.invalid(
                    &format!("incumbent.features[{i}]"),
                    format!("{f} is listed twice"),
                ));
            }
            if f == crate::journal::INTERCEPT {
                return Err(self.invalid(
                    &format!("incumbent.features[{i}]"),
                    "the intercept is always in the model; list only its features",
                ));
            }
        }
        let Some(coefs) = &inc.coefficients else {
            return Ok(());
        };
        for (name, value) in coefs {
            if name != crate::journal::INTERCEPT && !inc.features.contains(name) {
                return Err(self.invalid(
                    &format!("incumbent.coefficients.{name}"),
                    format!(
                        "{name} is not one of incumbent.features ({}); coefficients are given \
                         for `{}` (the intercept) and each feature",
                        inc.features.join(", "),
                        crate::journal::INTERCEPT
                    ),
                ));
            }
            if !value.is_finite() {
                return Err(self.invalid(
                    &format!("incumbent.coefficients.{name}"),
                    "must be a finite number",
                ));
            }
        }
        for name in std::iter::once(crate::journal::INTERCEPT)
            .chain(inc.features.iter().map(String::as_str))
        {
            if !coefs.contains_key(name) {
                return Err(self.invalid(
                    &format!("incumbent.coefficients.{name}"),
                    format!(
                        "is missing: with coefficients given, every feature and `{}` (the \
                         intercept; 0 for a model without one) needs one",
                        crate::journal::INTERCEPT
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The type → transforms map in force (§2's, with `[transforms]` on top).
    pub fn type_map(&self) -> crate::features::TypeMap {
        crate::features::TypeMap::with(self.file.transforms.as_ref())
    }

    /// The rolling windows in force.
    pub fn windows(&self) -> Vec<u32> {
        self.file
            .search
            .windows
            .clone()
            .unwrap_or_else(|| DEFAULT_WINDOWS.to_vec())
    }

    /// Resolves a path from the config file against the config's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// The default workspace: `<config dir>/<config stem>.specsearch/`.
    pub fn default_workspace(&self) -> PathBuf {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "search".to_string());
        self.base_dir.join(format!("{stem}.specsearch"))
    }

    /// sha256 (hex) of the canonical form of everything that changes outcomes; a segment's
    /// name is part of it (two segments with the same search are two runs), a file without
    /// segments hashes exactly as before segments existed.
    pub fn search_hash(&self) -> String {
        // Options added after the first runs (outliers, the exposure, windows, the transform
        // map) are part of the text only when set, so every config written before them hashes
        // exactly as it did.
        #[derive(Serialize)]
        struct Canonical<'a> {
            version: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            segment: Option<&'a str>,
            target: &'a TargetConfig,
            sample: &'a SampleConfig,
            search: &'a SearchConfig,
            filters: &'a FilterThresholds,
            #[serde(skip_serializing_if = "Option::is_none")]
            transforms: Option<&'a std::collections::BTreeMap<String, Vec<Transform>>>,
        }
        let canonical = Canonical {
            version: SEARCH_HASH_VERSION,
            segment: self.segment_name(),
            target: &self.file.target,
            sample: &self.file.sample,
            search: &self.file.search,
            filters: &self.file.filters,
            transforms: self.file.transforms.as_ref(),
        };
        // serde_json writes struct fields in declaration order, so the text is canonical.
        let text = serde_json::to_string(&canonical).expect("config serialises to JSON");
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}
