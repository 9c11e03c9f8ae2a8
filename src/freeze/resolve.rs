//! Resolving the search's items (config text) against the data and metadata, with "did you
//! mean" hints for unknown names.

use super::prepare::{PrepareError, Prepared};
use crate::config::Config;
use crate::data::Panel;
use crate::features::dummies::DummySet;
use crate::features::items::RegimeLevel;
use crate::features::items::{parse_item, ItemRef};
use crate::features::{expand_variants, metadata::Metadata, TypeMap};

/// A search item resolved against the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedItem {
    /// Every surviving variant of a variable.
    Variable(String),
    /// One named variant.
    Variant {
        base: String,
        name: String,
    },
    /// Any one variant of any variable of a category (only inside `one_of`).
    Category(String),
    Dummies(DummySet),
    /// `interaction(a, b)`; `a` and `b` are `Variable` or `Variant`.
    Interaction {
        a: Box<ResolvedItem>,
        b: Box<ResolvedItem>,
    },
    /// `regime(feature, column, on)`; `feature` is a `Variable` or `Variant`, `column` a panel
    /// column.
    Regime {
        feature: Box<ResolvedItem>,
        column: String,
        on: RegimeLevel,
    },
}

impl ResolvedItem {
    /// The name of a `Variable` / `Variant` (a composite's argument as written).
    pub fn arg_name(&self) -> &str {
        match self {
            ResolvedItem::Variable(v) => v,
            ResolvedItem::Variant { name, .. } => name,
            ResolvedItem::Category(c) => c,
            ResolvedItem::Dummies(_)
            | ResolvedItem::Interaction { .. }
            | ResolvedItem::Regime { .. } => "",
        }
    }

    /// The base variable of a `Variable` / `Variant`, or of a composite (an interaction's first
    /// argument, a regime's feature).
    pub fn base(&self) -> Option<&str> {
        match self {
            ResolvedItem::Variable(v) => Some(v),
            ResolvedItem::Variant { base, .. } => Some(base),
            ResolvedItem::Interaction { a, .. } => a.base(),
            ResolvedItem::Regime { feature, .. } => feature.base(),
            ResolvedItem::Category(_) | ResolvedItem::Dummies(_) => None,
        }
    }

    /// Whether the item is a composite.
    pub fn is_composite(&self) -> bool {
        matches!(
            self,
            ResolvedItem::Interaction { .. } | ResolvedItem::Regime { .. }
        )
    }

    /// Canonical text of a composite item (its element name): `interaction(a, b)`,
    /// `regime(feature, column, on)`.
    pub fn canonical_text(&self) -> String {
        match self {
            ResolvedItem::Interaction { a, b } => {
                crate::features::composite::interaction_definition(a.arg_name(), b.arg_name())
            }
            ResolvedItem::Regime {
                feature,
                column,
                on,
            } => crate::features::composite::regime_definition(
                feature.arg_name(),
                column,
                &on.text(),
            ),
            ResolvedItem::Dummies(set) => set.item_name(),
            other => other.arg_name().to_string(),
        }
    }
}

/// The search's items, resolved, in config order.
#[derive(Debug, Clone, Default)]
pub struct ResolvedSearch {
    pub forced: Vec<ResolvedItem>,
    pub pool: Vec<ResolvedItem>,
    pub one_of: Vec<Vec<ResolvedItem>>,
    pub together: Vec<Vec<ResolvedItem>>,
}

/// Refuses lags and periods that no variant could use: a lag or period longer than the history
/// before `sample.in_start` leaves every variant of it without a value on the first in-sample
/// date (and a typo such as `max_lag = 100000` would otherwise materialise gigabytes).
fn check_history(config: &Config, prepared: &Prepared) -> Result<(), PrepareError> {
    let history = prepared.sample.in_start;
    let dates = prepared.dates();
    let describe = || {
        format!(
            "the data has {history} row(s) before sample.in_start ({}), {} rows in all from {}",
            dates[history],
            dates.len(),
            dates[0]
        )
    };
    let invalid = |key: &str, message: String| PrepareError::Invalid {
        path: config.path.clone(),
        key: key.to_string(),
        message,
    };
    let max_lag = config.file.search.max_lag as usize;
    if max_lag > history {
        return Err(invalid(
            "search.max_lag",
            format!(
                "is {max_lag}, but a lag of k periods needs k rows of history before the \
                 sample and {}; use at most {history}",
                describe()
            ),
        ));
    }
    // Default periods are the frequency's convention; only configured ones are the user's.
    let configured = config.file.search.periods.as_deref().unwrap_or(&[]);
    if let Some(&p) = configured.iter().find(|&&p| p as usize > history) {
        return Err(invalid(
            "search.periods",
            format!(
                "includes {p}, but a difference or growth rate over {p} periods needs {p} rows \
                 of history before the sample and {}; use periods of at most {history}",
                describe()
            ),
        ));
    }
    let windows = config.file.search.windows.as_deref().unwrap_or(&[]);
    if let Some(&w) = windows.iter().find(|&&w| w as usize > history + 1) {
        return Err(invalid(
            "search.windows",
            format!(
                "includes {w}, but a rolling mean over {w} periods needs {} rows of history \
                 before the sample and {}; use windows of at most {}",
                w - 1,
                describe(),
                history + 1
            ),
        ));
    }
    Ok(())
}

/// The transform periods in force: configured, or the frequency's default.
pub fn periods(config: &Config, prepared: &Prepared) -> Vec<u32> {
    config
        .file
        .search
        .periods
        .clone()
        .unwrap_or_else(|| crate::features::default_periods(prepared.frequency()))
}

/// "did you mean" for an unknown name: the nearest known name within three edits (optimal
/// string alignment, so `realgpd` is one step from `realgdp`).
fn did_you_mean<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> String {
    let best = known
        .map(|k| {
            (
                strsim::osa_distance(&name.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .filter(|(d, _)| *d <= 3)
        .min();
    match best {
        Some((_, k)) => format!(" (did you mean {k:?}?)"),
        None => String::new(),
    }
}

struct Resolver<'a> {
    config: &'a Config,
    panel: &'a Panel,
    metadata: &'a Metadata,
    periods: Vec<u32>,
    windows: Vec<u32>,
    types: TypeMap,
    /// The rows of the in-sample fit (the window without the outliers).
    fit_rows: Vec<usize>,
}

impl Resolver<'_> {
    fn invalid(&self, key: &str, message: String) -> PrepareError {
        PrepareError::Invalid {
            path: self.config.path.clone(),
            key: key.to_string(),
            message,
        }
    }

    fn check_variable(&self, key: &str, name: &str) -> Result<(), PrepareError> {
        if self.panel.column(name).is_none() {
            return Err(self.invalid(
                key,
                format!(
                    "{name:?} has metadata in {} but is in no data table",
                    self.metadata.path.display()
                ),
            ));
        }
        Ok(())
    }

    fn resolve(
        &self,
        key: &str,
        text: &str,
        allow_category: bool,
    ) -> Result<ResolvedItem, PrepareError> {
        let item = parse_item(text).map_err(|m| self.invalid(key, m))?;
        let name = match item {
            ItemRef::Dummies(set) => {
                let Some(values) = self.panel.column(&set.column) else {
                    return Err(self.invalid(
                        key,
                        format!("dummies({}): no such column in the data", set.column),
                    ));
                };
                super::inputs::check_dummy_levels(self.config, key, &set, values, &self.fit_rows)?;
                return Ok(ResolvedItem::Dummies(set));
            }
            ItemRef::Interaction(a, b) => {
                let arg = |name: &str| {
                    self.resolve_name(key, name, false).map_err(|e| match e {
                        PrepareError::Invalid { message, .. } => {
                            self.invalid(key, format!("{}: {message}", text.trim()))
                        }
                        other => other,
                    })
                };
                return Ok(ResolvedItem::Interaction {
                    a: Box::new(arg(&a)?),
                    b: Box::new(arg(&b)?),
                });
            }
            ItemRef::Regime {
                feature,
                column,
                on,
            } => {
                let t = text.trim();
                let feature = self
                    .resolve_name(key, &feature, false)
                    .map_err(|e| match e {
                        PrepareError::Invalid { message, .. } => {
                            self.invalid(key, format!("{t}: {message}"))
                        }
                        other => other,
                    })?;
                let Some(values) = self.panel.column(&column) else {
                    let hint =
                        did_you_mean(&column, self.panel.columns.iter().map(|c| c.name.as_str()));
                    return Err(
                        self.invalid(key, format!("{t}: no column {column:?} in the data{hint}"))
                    );
                };
                let rows = &self.fit_rows;
                if let Some(&bad) = rows.iter().find(|&&r| !values[r].is_finite()) {
                    return Err(self.invalid(
                        key,
                        format!(
                            "{t}: column {column:?} is missing on in-sample date {}; a regime \
                             column needs a value on every in-sample date",
                            self.panel.dates[bad]
                        ),
                    ));
                }
                if !rows.iter().any(|&r| values[r] == on.0) {
                    return Err(self.invalid(
                        key,
                        format!(
                            "{t}: column {column:?} never equals {} on an in-sample date, so \
                             the regime would be zero everywhere",
                            on.text()
                        ),
                    ));
                }
                return Ok(ResolvedItem::Regime {
                    feature: Box::new(feature),
                    column,
                    on,
                });
            }
            ItemRef::Name(name) => name,
        };
        self.resolve_name(key, &name, allow_category)
    }

    /// Resolves a plain name: a variable, a variant name or (when allowed) a category.
    fn resolve_name(
        &self,
        key: &str,
        name: &str,
        allow_category: bool,
    ) -> Result<ResolvedItem, PrepareError> {
        let name = name.to_string();
        if self.metadata.get(&name).is_some() {
            self.check_variable(key, &name)?;
            return Ok(ResolvedItem::Variable(name));
        }
        if self.panel.column(&name).is_some() {
            return Err(self.invalid(
                key,
                format!(
                    "{name:?} has no row in the metadata file {}: add its type (level or rate), \
                     category, aggregation and sign",
                    self.metadata.path.display()
                ),
            ));
        }
        // A variant name: its base is a variable whose variant list contains it.
        for (base, meta) in &self.metadata.by_variable {
            if name.len() > base.len() + 1
                && name.starts_with(base.as_str())
                && name.as_bytes()[base.len()] == b'_'
            {
                let variants = expand_variants(
                    base,
                    self.types
                        .transforms(meta.var_type.as_str())
                        .expect("metadata types are checked against the type map"),
                    &self.periods,
                    &self.windows,
                    self.config.file.search.max_lag,
                    self.panel.frequency,
                );
                if variants.iter().any(|v| v.name == name) {
                    self.check_variable(key, base)?;
                    return Ok(ResolvedItem::Variant {
                        base: base.clone(),
                        name,
                    });
                }
            }
        }
        let is_category = self
            .metadata
            .by_variable
            .values()
            .any(|m| m.category.as_deref() == Some(name.as_str()));
        if allow_category && is_category {
            return Ok(ResolvedItem::Category(name));
        }
        let hint = did_you_mean(&name, self.metadata.by_variable.keys().map(String::as_str));
        let what = if allow_category {
            "variable, variant or category"
        } else {
            "variable or variant"
        };
        Err(self.invalid(key, format!("unknown {what} {name:?}{hint}")))
    }
}

/// Resolves every item of the search against the data and metadata.
pub fn resolve_search(
    config: &Config,
    prepared: &Prepared,
) -> Result<ResolvedSearch, PrepareError> {
    let s = &config.file.search;
    check_history(config, prepared)?;
    let resolver = Resolver {
        config,
        panel: &prepared.panel,
        metadata: &prepared.metadata,
        periods: periods(config, prepared),
        windows: config.windows(),
        types: config.type_map(),
        fit_rows: prepared.fit_rows(),
    };
    let list = |key: &str, items: &[String], allow_category: bool| {
        items
            .iter()
            .enumerate()
            .map(|(i, t)| resolver.resolve(&format!("{key}[{i}]"), t, allow_category))
            .collect::<Result<Vec<_>, _>>()
    };
    let together: Vec<Vec<ResolvedItem>> = s
        .together
        .iter()
        .enumerate()
        .map(|(i, g)| list(&format!("search.together[{i}]"), g, false))
        .collect::<Result<_, _>>()?;
    for (i, group) in together.iter().enumerate() {
        if let Some(j) = group.iter().position(ResolvedItem::is_composite) {
            return Err(resolver.invalid(
                &format!("search.together[{i}][{j}]"),
                format!(
                    "{:?}: composites (interaction, regime) are not allowed in a together \
                     group; put them in search.pool, search.forced or search.one_of",
                    s.together[i][j]
                ),
            ));
        }
    }
    let search = ResolvedSearch {
        forced: list("search.forced", &s.forced, false)?,
        pool: list("search.pool", &s.pool, false)?,
        one_of: s
            .one_of
            .iter()
            .enumerate()
            .map(|(i, set)| list(&format!("search.one_of[{i}]"), set, true))
            .collect::<Result<_, _>>()?,
        together,
    };
    super::inputs::check_items(config, prepared, &search)?;
    Ok(search)
}
