//! Planning: turn the resolved search and the pretested catalogue into the spec space's input
//! (elements with their surviving variants, pools, budget) and the spec space itself.
//!
//! Items whose variants were all excluded by the pretests drop out of the pool (listed in the
//! plan); a forced item without a surviving variant is a configuration error naming it.

use std::path::PathBuf;

use crate::config::Config;
use crate::features::catalogue::{Catalogue, ResolvedItem, ResolvedSearch, Role};
use crate::features::metadata::Metadata;
use crate::spec::{ColumnClass, ColumnInfo, Element, PoolEntry, SpaceInput, SpecError, SpecSpace};

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{path}: `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("{path}: {source}")]
    Space { path: PathBuf, source: SpecError },
}

/// The planned spec space.
pub struct Plan {
    pub input: SpaceInput,
    pub space: SpecSpace,
    /// Pool items left without any surviving variant: (config key, item, why).
    pub dropped: Vec<(String, String, String)>,
}

/// Canonical text of what a spec key covers besides its columns: target and sample.
pub fn key_context(
    catalogue: &Catalogue,
    dates: &[chrono::NaiveDate],
    sample: crate::prepare::Sample,
) -> String {
    format!(
        "target={}\nin_start={}\nin_end={}\nfull_end={}",
        catalogue.columns[0].name,
        dates[sample.in_start],
        dates[sample.in_end],
        dates[sample.full_end]
    )
}

/// Column classes for the in-spec sort (dummies first: Q, M, others; then features).
pub fn column_infos(catalogue: &Catalogue) -> Vec<ColumnInfo> {
    catalogue
        .columns
        .iter()
        .map(|c| {
            let class = match (c.role, c.base.as_str()) {
                (Role::Dummy, "Q") => ColumnClass::QuarterDummy,
                (Role::Dummy, "M") => ColumnClass::MonthDummy,
                (Role::Dummy, _) => ColumnClass::OtherDummy,
                _ => ColumnClass::Feature,
            };
            ColumnInfo::new(c.name.clone(), class)
        })
        .collect()
}

struct Planner<'a> {
    config: &'a Config,
    catalogue: &'a Catalogue,
    metadata: &'a Metadata,
}

impl Planner<'_> {
    fn kept(&self, id: u32) -> bool {
        self.catalogue.columns[id as usize].pretest.kept
    }

    /// The element of an item: its name and its surviving variants (possibly none).
    fn element(&self, item: &ResolvedItem) -> Element {
        match item {
            ResolvedItem::Variable(v) => {
                let ids: Vec<u32> = self
                    .catalogue
                    .variants_of(v)
                    .into_iter()
                    .filter(|&id| self.kept(id))
                    .collect();
                Element::variable(v.clone(), &ids)
            }
            ResolvedItem::Variant { name, .. } => {
                let id = self
                    .catalogue
                    .id(name)
                    .expect("resolved variants are materialised");
                let ids: Vec<u32> = if self.kept(id) { vec![id] } else { vec![] };
                Element::variable(name.clone(), &ids)
            }
            ResolvedItem::Category(c) => {
                let ids: Vec<u32> = (0..self.catalogue.len() as u32)
                    .filter(|&id| {
                        let col = &self.catalogue.columns[id as usize];
                        col.role == Role::Variant
                            && col.category.as_deref() == Some(c.as_str())
                            && col.pretest.kept
                    })
                    .collect();
                Element::variable(c.clone(), &ids)
            }
            ResolvedItem::Dummies(set) => {
                let name = set.item_name();
                let ids = self
                    .catalogue
                    .dummy_sets
                    .iter()
                    .find(|(item, _)| *item == name)
                    .map(|(_, ids)| ids.clone())
                    .unwrap_or_default();
                if ids.iter().all(|&id| self.kept(id)) && !ids.is_empty() {
                    Element::dummy_set(name, &ids)
                } else {
                    Element::new(name, vec![])
                }
            }
        }
    }

    fn category(&self, item: &ResolvedItem) -> Option<String> {
        let base = match item {
            ResolvedItem::Variable(v) => v,
            ResolvedItem::Variant { base, .. } => base,
            _ => return None,
        };
        self.metadata.get(base).and_then(|m| m.category.clone())
    }

    fn why_empty(&self, item: &ResolvedItem) -> String {
        let ids: Vec<u32> = match item {
            ResolvedItem::Variable(v) => self.catalogue.variants_of(v),
            ResolvedItem::Variant { name, .. } => self.catalogue.id(name).into_iter().collect(),
            _ => vec![],
        };
        let reasons: Vec<&str> = ids
            .iter()
            .filter_map(|&id| {
                self.catalogue.columns[id as usize]
                    .pretest
                    .exclusion
                    .as_deref()
            })
            .collect();
        match reasons.first() {
            Some(first) => format!(
                "no variant survives the pretests ({} excluded, e.g. {first})",
                reasons.len()
            ),
            None => "no variant survives the pretests".into(),
        }
    }
}

/// Builds the spec space of a frozen, pretested catalogue.
pub fn plan(
    config: &Config,
    catalogue: &Catalogue,
    metadata: &Metadata,
    search: &ResolvedSearch,
    key_context: String,
) -> Result<Plan, PlanError> {
    let p = Planner {
        config,
        catalogue,
        metadata,
    };
    let invalid = |key: String, message: String| PlanError::Invalid {
        path: p.config.path.clone(),
        key,
        message,
    };
    let texts = &config.file.search;
    let mut dropped = Vec::new();

    let mut forced = Vec::new();
    for (i, item) in search.forced.iter().enumerate() {
        let e = p.element(item);
        if e.variants.is_empty() {
            return Err(invalid(
                format!("search.forced[{i}]"),
                format!("{:?}: {}", texts.forced[i], p.why_empty(item)),
            ));
        }
        forced.push(e);
    }

    let mut pool = Vec::new();
    for (i, item) in search.pool.iter().enumerate() {
        let e = p.element(item);
        if e.variants.is_empty() {
            dropped.push((
                format!("search.pool[{i}]"),
                texts.pool[i].clone(),
                p.why_empty(item),
            ));
            continue;
        }
        pool.push(match item {
            ResolvedItem::Dummies(_) => PoolEntry::Single(e),
            _ => PoolEntry::Variable {
                element: e,
                category: p.category(item),
            },
        });
    }
    for (i, set) in search.one_of.iter().enumerate() {
        let mut elements = Vec::new();
        for (j, item) in set.iter().enumerate() {
            let e = p.element(item);
            if e.variants.is_empty() {
                dropped.push((
                    format!("search.one_of[{i}][{j}]"),
                    texts.one_of[i][j].clone(),
                    p.why_empty(item),
                ));
            } else {
                elements.push(e);
            }
        }
        if !elements.is_empty() {
            pool.push(PoolEntry::OneOf(elements));
        }
    }
    for (i, group) in search.together.iter().enumerate() {
        let members: Vec<Element> = group.iter().map(|item| p.element(item)).collect();
        let name = format!("together({})", texts.together[i].join(", "));
        if let Some(j) = members.iter().position(|m| m.variants.is_empty()) {
            dropped.push((
                format!("search.together[{i}]"),
                name,
                format!(
                    "member {:?}: {}",
                    texts.together[i][j],
                    p.why_empty(&group[j])
                ),
            ));
            continue;
        }
        pool.push(PoolEntry::Single(Element::together(name, &members)));
    }

    let input = SpaceInput {
        forced,
        pool,
        max_vars: texts.max_vars,
        category_limit: texts.category_limit,
        columns: column_infos(catalogue),
        key_context,
    };
    let space = SpecSpace::new(input.clone()).map_err(|source| PlanError::Space {
        path: config.path.clone(),
        source,
    })?;
    Ok(Plan {
        input,
        space,
        dropped,
    })
}
