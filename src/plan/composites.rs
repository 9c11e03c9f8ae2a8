//! Composite planning: the composite columns each `interaction`/`regime` item asks for, and
//! their numbering into [`CompositeDef`]s (ids after the frozen columns, in order of first
//! reference; see the `plan` module docs).

use std::collections::HashMap;

use super::{PlanError, Planner};
use crate::config::Config;
use crate::features::composite::{self, CompositeDef, CompositeKind};
use crate::features::metadata::Metadata;
use crate::freeze::resolve::{ResolvedItem, ResolvedSearch};
use crate::store::catalogue::Catalogue;

/// One composite column an item asks for, before it has an id.
pub(super) struct CompositeColumn {
    pub(super) name: String,
    pub(super) definition: String,
    pub(super) kind: CompositeKind,
    pub(super) expected_sign: i8,
}

impl Planner<'_> {
    /// The composite columns of a composite item, in variant order (empty for other items).
    pub(super) fn composite_columns(&self, item: &ResolvedItem) -> Vec<CompositeColumn> {
        let name = |id: u32| self.catalogue.columns[id as usize].name.as_str();
        match item {
            ResolvedItem::Interaction { a, b } => {
                let (a_ids, b_ids) = (self.arg_ids(a), self.arg_ids(b));
                let mut out = Vec::with_capacity(a_ids.len() * b_ids.len());
                for &x in &a_ids {
                    for &y in &b_ids {
                        out.push(CompositeColumn {
                            name: composite::interaction_name(name(x), name(y)),
                            definition: composite::interaction_definition(name(x), name(y)),
                            kind: CompositeKind::Mul { a: x, b: y },
                            expected_sign: 0,
                        });
                    }
                }
                out
            }
            ResolvedItem::Regime {
                feature,
                column,
                on,
            } => {
                let source = self
                    .catalogue
                    .base_column(column)
                    .expect("regime columns are materialised");
                let on_text = on.text();
                self.arg_ids(feature)
                    .into_iter()
                    .map(|f| CompositeColumn {
                        name: composite::regime_name(name(f), column, &on_text),
                        definition: composite::regime_definition(name(f), column, &on_text),
                        kind: CompositeKind::Regime {
                            feature: f,
                            source,
                            on: on.0,
                        },
                        expected_sign: self.catalogue.columns[f as usize].sign,
                    })
                    .collect()
            }
            _ => vec![],
        }
    }
}

/// Numbers every composite column of the search (ids from `catalogue.len()`, in order of first
/// reference: forced, pool, one_of). A pure function of the config, catalogue and search: the
/// plan and every evaluator's setup get the same table.
pub fn composites(
    config: &Config,
    catalogue: &Catalogue,
    metadata: &Metadata,
    search: &ResolvedSearch,
) -> Result<Vec<CompositeDef>, PlanError> {
    let p = Planner {
        config,
        catalogue,
        metadata,
        composite_ids: HashMap::new(),
    };
    let texts = &config.file.search;
    let keyed = keyed_items(search, texts);
    let mut defs: Vec<CompositeDef> = Vec::new();
    let mut by_name: HashMap<String, (usize, String)> = HashMap::new();
    for (key, text, item) in keyed {
        for c in p.composite_columns(item) {
            if catalogue.id(&c.name).is_some() {
                return Err(PlanError::Invalid {
                    path: config.path.clone(),
                    key,
                    message: format!(
                        "{text:?}: its column {:?} has the name of a frozen column",
                        c.name
                    ),
                });
            }
            if let Some((i, first_key)) = by_name.get(&c.name) {
                if defs[*i].definition != c.definition {
                    return Err(PlanError::Invalid {
                        path: config.path.clone(),
                        key,
                        message: format!(
                            "{text:?}: its column {:?} = {} has the name of {first_key}'s \
                             column {}; rename a variable",
                            c.name, c.definition, defs[*i].definition
                        ),
                    });
                }
                continue;
            }
            let base = item.base().unwrap_or_default().to_string();
            by_name.insert(c.name.clone(), (defs.len(), key.clone()));
            defs.push(CompositeDef {
                id: (catalogue.len() + defs.len()) as u32,
                name: c.name,
                definition: c.definition,
                kind: c.kind,
                expected_sign: c.expected_sign,
                category: metadata.get(&base).and_then(|m| m.category.clone()),
                base,
            });
        }
    }
    Ok(defs)
}

/// Every composite-capable item with its config key and text: forced, pool, one_of.
fn keyed_items<'s>(
    search: &'s ResolvedSearch,
    texts: &'s crate::config::SearchConfig,
) -> Vec<(String, &'s str, &'s ResolvedItem)> {
    let mut out = Vec::new();
    for (i, item) in search.forced.iter().enumerate() {
        out.push((
            format!("search.forced[{i}]"),
            texts.forced[i].as_str(),
            item,
        ));
    }
    for (i, item) in search.pool.iter().enumerate() {
        out.push((format!("search.pool[{i}]"), texts.pool[i].as_str(), item));
    }
    for (i, set) in search.one_of.iter().enumerate() {
        for (j, item) in set.iter().enumerate() {
            out.push((
                format!("search.one_of[{i}][{j}]"),
                texts.one_of[i][j].as_str(),
                item,
            ));
        }
    }
    out
}
