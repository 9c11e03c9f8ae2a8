//! Materialising the catalogue: computing every frozen column (target, variants, dummies,
//! regime sources) of a resolved search and numbering them.

use std::collections::{BTreeSet, HashMap};

use super::prepare::{PrepareError, Prepared};
use super::resolve::{periods, ResolvedItem, ResolvedSearch};
use crate::config::Config;
use crate::features::dummies::{self, DummySet};
use crate::features::expand_variants;
use crate::spec::FeatureRole;
use crate::store::catalogue::{Catalogue, FrozenColumn};

/// Materialises the target, every variant of every referenced variable (in order of first
/// reference: forced, pool, one_of, together) and every dummy column.
pub fn build(
    config: &Config,
    prepared: &Prepared,
    search: &ResolvedSearch,
) -> Result<Catalogue, PrepareError> {
    let periods = periods(config, prepared);
    let windows = config.windows();
    let types = config.type_map();
    let max_lag = config.file.search.max_lag;
    let freq = prepared.frequency();
    let mut columns = vec![FrozenColumn {
        transform: Some(config.file.target.transform),
        period: config.file.target.period,
        ..FrozenColumn::new(
            prepared.target_name.clone(),
            FeatureRole::Target,
            config.file.target.column.clone(),
            prepared.target.clone(),
        )
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
        let transforms = types
            .transforms(meta.var_type.as_str())
            .expect("metadata types are checked against the type map");
        for v in expand_variants(base, transforms, &periods, &windows, max_lag, freq) {
            let values = crate::features::apply(x, v.transform, v.period, v.lag);
            columns.push(FrozenColumn {
                transform: Some(v.transform),
                period: v.period,
                lag: v.lag,
                category: meta.category.clone(),
                var_type: Some(meta.var_type.clone()),
                sign: meta.sign,
                ..FrozenColumn::new(v.name, FeatureRole::Variant, base.clone(), values)
            });
        }
    }

    let fit_rows = prepared.fit_rows();
    let mut dummy_owner: HashMap<String, (String, bool)> = HashMap::new();
    let mut dummy_set_columns: Vec<(String, Vec<String>)> = Vec::new();
    for set in &dummy_sets {
        let mut names = Vec::new();
        let source = prepared
            .panel
            .column(&set.column)
            .expect("resolved dummy columns exist");
        let observed: Vec<f64> = fit_rows.iter().map(|&r| source[r]).collect();
        let levels = set
            .resolve_levels(&observed)
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
            let values = dummies::indicator(source, level);
            columns.push(FrozenColumn {
                dummy_set: Some(set.item_name()),
                full_dummy_set: set.is_full(),
                ..FrozenColumn::new(name, FeatureRole::Dummy, set.column.clone(), values)
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
        columns.push(FrozenColumn::new(
            column.clone(),
            FeatureRole::Base,
            column,
            values.to_vec(),
        ));
    }

    // Dummy sets name their columns; ids are positions in the catalogue.
    let position: HashMap<&str, u32> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i as u32))
        .collect();
    let dummy_sets = dummy_set_columns
        .into_iter()
        .map(|(item, names)| {
            let ids = names.iter().map(|n| position[n.as_str()]).collect();
            (item, ids)
        })
        .collect();
    Catalogue::new(columns, dummy_sets).map_err(|name| PrepareError::Invalid {
        path: config.path.clone(),
        key: "search".into(),
        message: format!(
            "two columns are both named {name:?} (a variant name collides with another \
             variable's variant or with the target); rename one variable"
        ),
    })
}
