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

use std::collections::HashMap;
use std::path::PathBuf;

use crate::config::Config;
use crate::features::catalogue::{Catalogue, ResolvedItem, ResolvedSearch, Role};
use crate::features::composite::{self, CompositeDef, CompositeKind};
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

/// Column classes for the in-spec sort (dummies first: Q, M, others; then features), frozen
/// columns only (composites follow them in [`SpaceInput::columns`], class `Feature`).
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
    /// Composite column ids by name.
    composite_ids: HashMap<String, u32>,
}

/// One composite column an item asks for, before it has an id.
struct CompositeColumn {
    name: String,
    definition: String,
    kind: CompositeKind,
    expected_sign: i8,
}

impl Planner<'_> {
    fn kept(&self, id: u32) -> bool {
        self.catalogue.columns[id as usize].pretest.kept
    }

    /// Surviving column ids of a composite's argument (a variable or a variant).
    fn arg_ids(&self, item: &ResolvedItem) -> Vec<u32> {
        match item {
            ResolvedItem::Variable(v) => self
                .catalogue
                .variants_of(v)
                .into_iter()
                .filter(|&id| self.kept(id))
                .collect(),
            ResolvedItem::Variant { name, .. } => self
                .catalogue
                .id(name)
                .filter(|&id| self.kept(id))
                .into_iter()
                .collect(),
            _ => vec![],
        }
    }

    /// The composite columns of a composite item, in variant order (empty for other items).
    fn composite_columns(&self, item: &ResolvedItem) -> Vec<CompositeColumn> {
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
            ResolvedItem::Interaction { .. } | ResolvedItem::Regime { .. } => {
                let ids: Vec<u32> = self
                    .composite_columns(item)
                    .iter()
                    .map(|c| self.composite_ids[&c.name])
                    .collect();
                Element::variable(item.canonical_text(), &ids)
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
        let base = item.base()?;
        self.metadata.get(base).and_then(|m| m.category.clone())
    }

    fn why_empty(&self, item: &ResolvedItem) -> String {
        match item {
            ResolvedItem::Interaction { a, b } => {
                let empty = if self.arg_ids(a).is_empty() { a } else { b };
                return format!("argument {:?}: {}", empty.arg_name(), self.why_empty(empty));
            }
            ResolvedItem::Regime { feature, .. } => {
                return format!(
                    "feature {:?}: {}",
                    feature.arg_name(),
                    self.why_empty(feature)
                );
            }
            _ => {}
        }
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

/// Where an item sits in the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Forced,
    Pool(usize),
    OneOf(usize),
    Together,
}

/// One occurrence of an item with surviving variants.
struct Occurrence {
    key: String,
    text: String,
    place: Place,
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
    let merges = regime_merges(&p, search)?;
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

/// Applies the regime rule (module docs): returns the pool merges `(regime pool index, base
/// variable's pool index)`, or the configuration error naming both keys.
fn regime_merges(
    p: &Planner<'_>,
    search: &ResolvedSearch,
) -> Result<Vec<(usize, usize)>, PlanError> {
    let texts = &p.config.file.search;
    let alive = |item: &ResolvedItem| !p.element(item).variants.is_empty();
    // Plain occurrences of each base variable (items with surviving variants only).
    let mut plain: HashMap<String, Vec<Occurrence>> = HashMap::new();
    let mut regimes: Vec<(String, Occurrence)> = Vec::new();
    let mut seen_pool_names: Vec<String> = Vec::new();
    let mut visit = |key: String, text: &str, place: Place, item: &ResolvedItem| {
        if !alive(item) {
            return;
        }
        let occurrence = || Occurrence {
            key: key.clone(),
            text: text.to_string(),
            place,
        };
        match item {
            ResolvedItem::Regime { .. } => {
                let base = item.base().unwrap_or_default().to_string();
                regimes.push((base, occurrence()));
            }
            ResolvedItem::Variable(_) | ResolvedItem::Variant { .. } => {
                if let Place::Pool(_) = place {
                    // A repeated pool entry is dropped by the spec space (rule P): not another
                    // occurrence.
                    let name = item.arg_name().to_string();
                    if seen_pool_names.contains(&name) {
                        return;
                    }
                    seen_pool_names.push(name);
                }
                let base = item.base().unwrap_or_default().to_string();
                plain.entry(base).or_default().push(occurrence());
            }
            ResolvedItem::Category(c) => {
                let mut bases: Vec<&str> = p
                    .catalogue
                    .columns
                    .iter()
                    .filter(|col| {
                        col.role == Role::Variant
                            && col.pretest.kept
                            && col.category.as_deref() == Some(c.as_str())
                    })
                    .map(|col| col.base.as_str())
                    .collect();
                bases.dedup();
                for b in bases {
                    plain.entry(b.to_string()).or_default().push(occurrence());
                }
            }
            ResolvedItem::Dummies(_) | ResolvedItem::Interaction { .. } => {}
        }
    };
    for (i, item) in search.forced.iter().enumerate() {
        visit(
            format!("search.forced[{i}]"),
            &texts.forced[i],
            Place::Forced,
            item,
        );
    }
    for (i, item) in search.pool.iter().enumerate() {
        visit(
            format!("search.pool[{i}]"),
            &texts.pool[i],
            Place::Pool(i),
            item,
        );
    }
    for (i, set) in search.one_of.iter().enumerate() {
        for (j, item) in set.iter().enumerate() {
            visit(
                format!("search.one_of[{i}][{j}]"),
                &texts.one_of[i][j],
                Place::OneOf(i),
                item,
            );
        }
    }
    for (i, group) in search.together.iter().enumerate() {
        for (j, item) in group.iter().enumerate() {
            visit(
                format!("search.together[{i}][{j}]"),
                &texts.together[i][j],
                Place::Together,
                item,
            );
        }
    }

    let conflict = |r: &Occurrence, o: &Occurrence, base: &str, hint: &str| PlanError::Invalid {
        path: p.config.path.clone(),
        key: r.key.clone(),
        message: format!(
            "{:?} and {} {:?} could share a spec, but a regime and a standalone variant of the \
             same variable ({base}) never do; {hint}",
            r.text, o.key, o.text
        ),
    };
    let mut merges = Vec::new();
    for (base, r) in &regimes {
        let others = plain.get(base).map(Vec::as_slice).unwrap_or_default();
        match r.place {
            Place::Pool(i) => {
                let in_pool: Vec<&Occurrence> = others
                    .iter()
                    .filter(|o| matches!(o.place, Place::Pool(_)))
                    .collect();
                if let Some(o) = others.iter().find(|o| !matches!(o.place, Place::Pool(_))) {
                    let hint = if o.place == Place::Forced {
                        "drop the regime or stop forcing the variable"
                    } else {
                        "put the variable in search.pool (the regime then joins its entry) or \
                         both in one one_of set"
                    };
                    return Err(conflict(r, o, base, hint));
                }
                if in_pool.len() > 1 {
                    return Err(conflict(
                        r,
                        in_pool[1],
                        base,
                        &format!(
                            "the variable has two pool entries ({} and {}), so the regime \
                             cannot join one; keep one of them",
                            in_pool[0].key, in_pool[1].key
                        ),
                    ));
                }
                if let Some(o) = in_pool.first() {
                    let Place::Pool(into) = o.place else {
                        unreachable!("filtered to pool entries")
                    };
                    merges.push((i, into));
                }
            }
            Place::OneOf(s) => {
                if let Some(o) = others.iter().find(|o| o.place != Place::OneOf(s)) {
                    return Err(conflict(
                        r,
                        o,
                        base,
                        "put the variable in the regime's one_of set, or drop one of them",
                    ));
                }
            }
            Place::Forced | Place::Together => {
                if let Some(o) = others.first() {
                    return Err(conflict(
                        r,
                        o,
                        base,
                        "a forced regime excludes every other use of its variable; drop one",
                    ));
                }
            }
        }
    }
    Ok(merges)
}
