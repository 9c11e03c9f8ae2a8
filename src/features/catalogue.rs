//! Resolving the search's items against the data, and materialising every column a spec can
//! use: the target (id 0), every variant of every referenced variable (composites' arguments
//! included), every dummy column, and the source column of every `regime(...)` (role `base`,
//! never a regressor: workers read it to build the regime indicator).
//!
//! Column ids are dense and stable for a given config and data: they are the ids specs are made
//! of and the column order of the frozen matrix.

use std::collections::{BTreeSet, HashMap};

use super::dummies::{self, DummySet};
use super::items::{parse_item, ItemRef, RegimeLevel};
use super::{expand_variants, metadata::Metadata, Transform, VarType};
use crate::config::Config;
use crate::data::Panel;
use crate::prepare::{PrepareError, Prepared};

/// What a frozen column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Target,
    Variant,
    Dummy,
    /// A panel column a `regime(...)` reads (never a regressor).
    Base,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Target => "target",
            Role::Variant => "variant",
            Role::Dummy => "dummy",
            Role::Base => "base",
        }
    }
}

/// Pretest verdicts of a column (filled during planning; `None` until tested).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pretest {
    /// No NaN/±inf on the in-sample dates.
    pub valid: Option<bool>,
    pub adf_p: Option<f64>,
    pub pp_p: Option<f64>,
    pub stationary: Option<bool>,
    /// Whether specs may use the column.
    pub kept: bool,
    /// Why a column was excluded.
    pub exclusion: Option<String>,
}

/// One materialised column and its catalogue entry.
#[derive(Debug, Clone)]
pub struct FrozenColumn {
    pub name: String,
    pub role: Role,
    /// Base variable (dummy columns: the indicator's source column).
    pub base: String,
    pub transform: Option<Transform>,
    pub period: u32,
    pub lag: u32,
    pub category: Option<String>,
    pub var_type: Option<VarType>,
    /// Expected coefficient sign: −1, 0, +1.
    pub sign: i8,
    /// For dummy columns: the item of the set, and whether that set is complete.
    pub dummy_set: Option<String>,
    pub full_dummy_set: bool,
    pub values: Vec<f64>,
    pub pretest: Pretest,
}

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
                super::composite::interaction_definition(a.arg_name(), b.arg_name())
            }
            ResolvedItem::Regime {
                feature,
                column,
                on,
            } => super::composite::regime_definition(feature.arg_name(), column, &on.text()),
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

/// All frozen columns; a column's id is its index.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub columns: Vec<FrozenColumn>,
    /// Every `dummies(...)` item and its column ids, in first-reference order.
    pub dummy_sets: Vec<(String, Vec<u32>)>,
    by_name: HashMap<String, u32>,
}

impl Catalogue {
    pub fn id(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }
    pub fn len(&self) -> usize {
        self.columns.len()
    }
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
    /// Id of the `base` column materialised for regimes on panel column `column`.
    pub fn base_column(&self, column: &str) -> Option<u32> {
        self.columns
            .iter()
            .position(|c| c.role == Role::Base && c.name == column)
            .map(|i| i as u32)
    }

    /// Ids of the variant columns of a base variable, in variant order.
    pub fn variants_of(&self, base: &str) -> Vec<u32> {
        (0..self.columns.len() as u32)
            .filter(|&i| {
                let c = &self.columns[i as usize];
                c.role == Role::Variant && c.base == base
            })
            .collect()
    }
}

/// Edit distance with adjacent transpositions (optimal string alignment), for "did you mean"
/// hints: `realgpd` is one step from `realgdp`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

fn did_you_mean<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> String {
    let best = known
        .map(|k| (edit_distance(&name.to_lowercase(), &k.to_lowercase()), k))
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
    sample: crate::prepare::Sample,
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
                if self.panel.column(&set.column).is_none() {
                    return Err(self.invalid(
                        key,
                        format!("dummies({}): no such column in the data", set.column),
                    ));
                }
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
                let rows = self.sample.in_rows();
                if let Some(bad) = values[rows.clone()].iter().position(|v| !v.is_finite()) {
                    return Err(self.invalid(
                        key,
                        format!(
                            "{t}: column {column:?} is missing on in-sample date {}; a regime \
                             column needs a value on every in-sample date",
                            self.panel.dates[rows.start + bad]
                        ),
                    ));
                }
                if !values[rows].contains(&on.0) {
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
                    meta.var_type,
                    &self.periods,
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
    let resolver = Resolver {
        config,
        panel: &prepared.panel,
        metadata: &prepared.metadata,
        periods: periods(config, prepared),
        sample: prepared.sample,
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
    Ok(ResolvedSearch {
        forced: list("search.forced", &s.forced, false)?,
        pool: list("search.pool", &s.pool, false)?,
        one_of: s
            .one_of
            .iter()
            .enumerate()
            .map(|(i, set)| list(&format!("search.one_of[{i}]"), set, true))
            .collect::<Result<_, _>>()?,
        together,
    })
}

/// The transform periods in force: configured, or the frequency's default.
pub fn periods(config: &Config, prepared: &Prepared) -> Vec<u32> {
    config
        .file
        .search
        .periods
        .clone()
        .unwrap_or_else(|| super::default_periods(prepared.frequency()))
}

/// Materialises the target, every variant of every referenced variable (in order of first
/// reference: forced, pool, one_of, together) and every dummy column.
pub fn build(
    config: &Config,
    prepared: &Prepared,
    search: &ResolvedSearch,
) -> Result<Catalogue, PrepareError> {
    let periods = periods(config, prepared);
    let max_lag = config.file.search.max_lag;
    let freq = prepared.frequency();
    let mut columns = vec![FrozenColumn {
        name: prepared.target_name.clone(),
        role: Role::Target,
        base: config.file.target.column.clone(),
        transform: Some(config.file.target.transform),
        period: config.file.target.period,
        lag: 0,
        category: None,
        var_type: None,
        sign: 0,
        dummy_set: None,
        full_dummy_set: false,
        values: prepared.target.clone(),
        pretest: Pretest::default(),
    }];

    let all_items = search
        .forced
        .iter()
        .chain(&search.pool)
        .chain(search.one_of.iter().flatten())
        .chain(search.together.iter().flatten());
    let mut variables: Vec<String> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut dummy_sets: Vec<DummySet> = Vec::new();
    let mut regime_columns: Vec<String> = Vec::new();
    for item in all_items {
        let bases: Vec<String> = match item {
            ResolvedItem::Interaction { a, b } => [a.base(), b.base()]
                .into_iter()
                .flatten()
                .map(str::to_string)
                .collect(),
            ResolvedItem::Regime {
                feature, column, ..
            } => {
                if !regime_columns.contains(column) {
                    regime_columns.push(column.clone());
                }
                feature.base().map(str::to_string).into_iter().collect()
            }
            ResolvedItem::Variable(v) => vec![v.clone()],
            ResolvedItem::Variant { base, .. } => vec![base.clone()],
            ResolvedItem::Category(c) => prepared
                .metadata
                .by_variable
                .values()
                .filter(|m| m.category.as_deref() == Some(c.as_str()))
                .filter(|m| prepared.panel.column(&m.variable).is_some())
                .map(|m| m.variable.clone())
                .collect(),
            ResolvedItem::Dummies(set) => {
                if !dummy_sets.contains(set) {
                    dummy_sets.push(set.clone());
                }
                vec![]
            }
        };
        for b in bases {
            if seen.insert(b.clone()) {
                variables.push(b);
            }
        }
    }

    for base in &variables {
        let meta = prepared
            .metadata
            .get(base)
            .expect("resolved variables have metadata");
        let x = prepared
            .panel
            .column(base)
            .expect("resolved variables are in the panel");
        for v in expand_variants(base, meta.var_type, &periods, max_lag, freq) {
            columns.push(FrozenColumn {
                values: super::apply(x, v.transform, v.period, v.lag),
                name: v.name,
                role: Role::Variant,
                base: base.clone(),
                transform: Some(v.transform),
                period: v.period,
                lag: v.lag,
                category: meta.category.clone(),
                var_type: Some(meta.var_type),
                sign: meta.sign,
                dummy_set: None,
                full_dummy_set: false,
                pretest: Pretest::default(),
            });
        }
    }

    let in_rows = prepared.sample.in_rows();
    let mut dummy_owner: HashMap<String, (String, bool)> = HashMap::new();
    let mut dummy_set_columns: Vec<(String, Vec<String>)> = Vec::new();
    for set in &dummy_sets {
        let mut names = Vec::new();
        let source = prepared
            .panel
            .column(&set.column)
            .expect("resolved dummy columns exist");
        let levels =
            set.resolve_levels(&source[in_rows.clone()])
                .map_err(|m| PrepareError::Invalid {
                    path: config.path.clone(),
                    key: "search".into(),
                    message: m,
                })?;
        for level in levels {
            let name = dummies::dummy_name(&set.column, level);
            names.push(name.clone());
            if let Some((owner, full)) = dummy_owner.get(&name) {
                if *full != set.is_full() {
                    return Err(PrepareError::Invalid {
                        path: config.path.clone(),
                        key: "search".into(),
                        message: format!(
                            "{} and {} both define column {name}, one as a full set (tested \
                             jointly) and one as a partial set; use one of them",
                            owner,
                            set.item_name()
                        ),
                    });
                }
                continue;
            }
            dummy_owner.insert(name.clone(), (set.item_name(), set.is_full()));
            columns.push(FrozenColumn {
                values: dummies::indicator(source, level),
                name,
                role: Role::Dummy,
                base: set.column.clone(),
                transform: None,
                period: 0,
                lag: 0,
                category: None,
                var_type: None,
                sign: 0,
                dummy_set: Some(set.item_name()),
                full_dummy_set: set.is_full(),
                pretest: Pretest::default(),
            });
        }
        dummy_set_columns.push((set.item_name(), names));
    }

    // The source columns of regimes, as they are in the panel.
    for column in regime_columns {
        let values = prepared
            .panel
            .column(&column)
            .expect("resolved regime columns exist");
        columns.push(FrozenColumn {
            values: values.to_vec(),
            name: column.clone(),
            role: Role::Base,
            base: column,
            transform: None,
            period: 0,
            lag: 0,
            category: None,
            var_type: None,
            sign: 0,
            dummy_set: None,
            full_dummy_set: false,
            pretest: Pretest::default(),
        });
    }

    let mut by_name = HashMap::with_capacity(columns.len());
    for (i, c) in columns.iter().enumerate() {
        if by_name.insert(c.name.clone(), i as u32).is_some() {
            return Err(PrepareError::Invalid {
                path: config.path.clone(),
                key: "search".into(),
                message: format!(
                    "two columns are both named {:?} (a variant name collides with another \
                     variable's variant or with the target); rename one variable",
                    c.name
                ),
            });
        }
    }
    let dummy_sets = dummy_set_columns
        .into_iter()
        .map(|(item, names)| (item, names.iter().map(|n| by_name[n]).collect()))
        .collect();
    Ok(Catalogue {
        columns,
        dummy_sets,
        by_name,
    })
}
