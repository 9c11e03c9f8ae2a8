//! Planning: turn the resolved search and the pretested catalogue into the spec space's input
//! (elements with their surviving variants, pools, budget) and the spec space itself.
//!
//! Items whose variants were all excluded by the pretests drop out of the pool (listed in the
//! plan); a forced item without a surviving variant is a configuration error naming it.
//!
//! # Composites
//! `interaction(a, b)` and `regime(feature, column, on)` items (see `features::composite`) get
//! column ids after the frozen ones: the plan numbers every distinct composite column once, in
//! order of first reference (forced, pool, one_of; within an item, a's variant slowest), and
//! describes it by a [`CompositeDef`] that evaluators use to build its values. A composite item
//! is one element (one item toward `max_vars`) whose variants are single composite columns;
//! its category is its base variable's (an interaction's first argument, a regime's feature).
//!
//! # The regime rule
//! A `regime` and a standalone variant of the same base variable never share a spec. The spec
//! space only knows elements and takes one variant per element, so the rule is enforced on the
//! elements, which keeps counting and unranking exact:
//! - a regime in `search.pool` whose base variable is also a plain pool entry (the variable or
//!   one of its variants) is **merged** into that entry's element: its variants are appended
//!   after the plain ones, and the regime entry disappears (listed in [`Plan::merged`]);
//! - a regime and a plain occurrence of its base variable in the same `one_of` set already
//!   exclude each other;
//! - every other way they could meet (the base forced, in a `together` group, in another
//!   `one_of` set or category, two plain pool entries of the base) is a configuration error
//!   naming both keys.

mod composites;
mod elements;
mod regime;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::config::Config;
use crate::features::composite::CompositeDef;
use crate::features::metadata::Metadata;
use crate::freeze::resolve::{ResolvedItem, ResolvedSearch};
use crate::spec::FeatureRole;
use crate::spec::{ColumnClass, ColumnInfo, Element, PoolEntry, SpaceInput, SpecError, SpecSpace};
use crate::store::catalogue::Catalogue;

pub use composites::composites;

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
    /// Composite columns, in id order (ids `catalogue.len()..`).
    pub composites: Vec<CompositeDef>,
    /// Regimes merged into their base variable's pool entry: (regime key, item, entry key).
    pub merged: Vec<(String, String, String)>,
}

impl Plan {
    /// Name of any column id of the plan (frozen or composite).
    pub fn column_name(&self, id: u32) -> &str {
        &self.input.columns[id as usize].name
    }
}

/// Canonical text of what a spec key covers besides its columns: target and sample.
pub fn key_context(
    catalogue: &Catalogue,
    dates: &[chrono::NaiveDate],
    sample: crate::data::Sample,
) -> String {
    key_context_with(catalogue, dates, sample, &[])
}

/// [`key_context`] of a search with outlier dates (rows), as a last line when there are any:
/// a search without them keys as before.
pub fn key_context_with(
    catalogue: &Catalogue,
    dates: &[chrono::NaiveDate],
    sample: crate::data::Sample,
    outliers: &[usize],
) -> String {
    let mut text = format!(
        "target={}\nin_start={}\nin_end={}\nfull_end={}",
        catalogue.columns[0].name,
        dates[sample.in_start],
        dates[sample.in_end],
        dates[sample.full_end]
    );
    if !outliers.is_empty() {
        let outliers: Vec<String> = outliers.iter().map(|&r| dates[r].to_string()).collect();
        text.push_str(&format!("\noutliers={}", outliers.join(",")));
    }
    text
}

/// Column classes for the in-spec sort (dummies first: Q, M, others; then features), frozen
/// columns only (composites follow them in [`SpaceInput::columns`], class `Feature`).
pub fn column_infos(catalogue: &Catalogue) -> Vec<ColumnInfo> {
    catalogue
        .columns
        .iter()
        .map(|c| {
            let class = match (c.role, c.base.as_str()) {
                (FeatureRole::Dummy, "Q") => ColumnClass::QuarterDummy,
                (FeatureRole::Dummy, "M") => ColumnClass::MonthDummy,
                (FeatureRole::Dummy, _) => ColumnClass::OtherDummy,
                _ => ColumnClass::Feature,
            };
            ColumnInfo::new(c.name.clone(), class)
        })
        .collect()
}

/// What planning reads, shared by the element, composite and regime-rule code.
struct Planner<'a> {
    config: &'a Config,
    catalogue: &'a Catalogue,
    metadata: &'a Metadata,
    /// Composite column ids by name.
    composite_ids: HashMap<String, u32>,
}

/// Builds the spec space of a frozen, pretested catalogue.
pub fn plan(
    config: &Config,
    catalogue: &Catalogue,
    metadata: &Metadata,
    search: &ResolvedSearch,
    key_context: String,
) -> Result<Plan, PlanError> {
    let composites = composites(config, catalogue, metadata, search)?;
    let p = Planner {
        config,
        catalogue,
        metadata,
        composite_ids: composites.iter().map(|c| (c.name.clone(), c.id)).collect(),
    };
    let invalid = |key: String, message: String| PlanError::Invalid {
        path: p.config.path.clone(),
        key,
        message,
    };
    let texts = &config.file.search;
    let mut dropped = Vec::new();
    let merges = regime::regime_merges(&p, search)?;
    let mut merged = Vec::new();

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
        let mut e = p.element(item);
        if e.variants.is_empty() {
            dropped.push((
                format!("search.pool[{i}]"),
                texts.pool[i].clone(),
                p.why_empty(item),
            ));
            continue;
        }
        if merges.iter().any(|&(regime, _)| regime == i) {
            continue; // appended to its base variable's entry below
        }
        for &(regime, _) in merges.iter().filter(|&&(_, into)| into == i) {
            let r = p.element(&search.pool[regime]);
            e.variants.extend(r.variants);
            merged.push((
                format!("search.pool[{regime}]"),
                texts.pool[regime].clone(),
                format!("search.pool[{i}]"),
            ));
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
            let e = p.element(item).with_category(p.member_category(item));
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

    let mut columns = column_infos(catalogue);
    columns.extend(
        composites
            .iter()
            .map(|c| ColumnInfo::new(c.name.clone(), ColumnClass::Feature)),
    );
    let input = SpaceInput {
        forced,
        pool,
        max_vars: texts.max_vars,
        category_limit: texts.category_limit,
        columns,
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
        composites,
        merged,
    })
}
