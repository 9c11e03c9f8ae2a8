//! Pools of rule P (see `mod.rs`): repeat removal, grouping and order, and per-pool weights.
//!
//! Every pool is "choose `s` of its `n` members, `1 ≤ s ≤ max_pick`, sizes ascending, each size
//! lexicographic". A category has `max_pick = min(category_limit, n, budget)`, a `OneOf` has 1,
//! a `Variable`/`Single` pool has `n = 1`. Member `a` has weight `w_a` = its variant count, so the
//! expanded specs of all size-`s` options number `e_s(w)` (elementary symmetric polynomial).

use super::space::SpecSpace;
use super::{Element, PoolEntry, SpecError};

/// What created a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolKind {
    /// Plain variables of one category.
    Category { category: String },
    /// One uncategorised plain variable.
    Variable,
    /// A `one_of` set: exactly one member per spec.
    OneOf,
    /// Any other single item (dummy set, together group, composite).
    Single,
}

/// One pool of rule P: options are 1..=`max_pick` of its members.
#[derive(Debug, Clone)]
pub struct Pool {
    name: String,
    kind: PoolKind,
    /// Element ids (see [`SpecSpace::element`]), in member order.
    pub(crate) members: Vec<usize>,
    /// Configured limit (`category_limit` for categories, 1 otherwise).
    limit: usize,
    /// `min(limit, members, budget)`: the largest option that can appear in a spec.
    pub(crate) max_pick: usize,
    /// Variant count of each member.
    pub(crate) weights: Vec<u128>,
    /// `esym[a * (max_pick + 1) + s] = e_s(weights[a..])`, saturating.
    esym: Vec<u128>,
}

impl Pool {
    /// A pool over element ids `members` with variant counts `weights`; `budget` is
    /// `max_vars - len(forced)`.
    pub(crate) fn new(
        raw: RawPool,
        members: Vec<usize>,
        weights: Vec<u128>,
        budget: usize,
    ) -> Self {
        let (n, k) = (members.len(), raw.limit.min(members.len()).min(budget));
        // e_s over suffixes: e_s(w[a..]) = e_s(w[a+1..]) + w[a]·e_{s-1}(w[a+1..]).
        let mut esym = vec![0u128; (n + 1) * (k + 1)];
        esym[n * (k + 1)] = 1;
        for a in (0..n).rev() {
            for s in 0..=k {
                let skip = esym[(a + 1) * (k + 1) + s];
                let take = if s == 0 {
                    0
                } else {
                    weights[a].saturating_mul(esym[(a + 1) * (k + 1) + s - 1])
                };
                esym[a * (k + 1) + s] = skip.saturating_add(take);
            }
        }
        Self {
            name: raw.name,
            kind: raw.kind,
            members,
            limit: raw.limit,
            max_pick: k,
            weights,
            esym,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> &PoolKind {
        &self.kind
    }

    /// Element ids of the members, in member order.
    pub fn members(&self) -> &[usize] {
        &self.members
    }

    /// Configured largest option (category_limit for a category, 1 otherwise).
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Largest option that can appear: `min(limit, members, max_vars - forced)`.
    pub fn max_pick(&self) -> usize {
        self.max_pick
    }

    /// Number of options that can appear (sizes 1..=`max_pick`), saturating.
    pub fn option_count(&self) -> u128 {
        (1..=self.max_pick)
            .map(|s| binomial(self.members.len(), s))
            .fold(0u128, u128::saturating_add)
    }

    /// Expanded specs of this pool alone: Σ over options of the product of variant counts.
    pub fn spec_weight(&self) -> u128 {
        (1..=self.max_pick)
            .map(|s| self.e(0, s))
            .fold(0u128, u128::saturating_add)
    }

    /// Human description for the `plan` command.
    pub fn description(&self, space: &SpecSpace) -> String {
        let names: Vec<&str> = self
            .members
            .iter()
            .map(|&e| space.elements[e].name.as_str())
            .collect();
        match &self.kind {
            PoolKind::Category { category } => format!(
                "category `{category}`: 1 to {} of [{}]",
                self.max_pick,
                names.join(", ")
            ),
            PoolKind::Variable => format!("variable `{}`", names[0]),
            PoolKind::OneOf => format!("one of [{}]", names.join(", ")),
            PoolKind::Single => format!("item `{}`", names[0]),
        }
    }

    /// `e_s` of the variant counts of members `from..`: weighted number of size-`s` options
    /// among them.
    pub(crate) fn e(&self, from: usize, s: usize) -> u128 {
        self.esym[from * (self.max_pick + 1) + s]
    }
}

pub(crate) const FORCED: &str = "search.forced";
pub(crate) const POOL: &str = "search.pool";

pub(crate) fn check_element(
    e: &Element,
    place: &'static str,
    n_cols: usize,
) -> Result<(), SpecError> {
    if e.variants.is_empty() {
        return Err(SpecError::NoVariants {
            place,
            name: e.name.clone(),
        });
    }
    for (variant, cols) in e.variants.iter().enumerate() {
        if cols.is_empty() {
            return Err(SpecError::EmptyVariant {
                place,
                name: e.name.clone(),
                variant,
            });
        }
        if let Some(&column) = cols.iter().find(|&&c| c as usize >= n_cols) {
            return Err(SpecError::UnknownColumn {
                place,
                name: e.name.clone(),
                column,
                columns: n_cols,
            });
        }
    }
    Ok(())
}

pub(crate) fn binomial(n: usize, k: usize) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    let mut acc: u128 = 1;
    for i in 0..k {
        // acc * (n - i) / (i + 1) stays exact: acc·(n-i) is divisible by (i+1). Saturate on
        // overflow; saturated values only ever feed TooLarge checks.
        match acc.checked_mul((n - i) as u128) {
            Some(v) => acc = v / (i as u128 + 1),
            None => return u128::MAX,
        }
    }
    acc
}

/// A pool of rule P before element ids and weights are assigned.
pub(crate) struct RawPool {
    kind: PoolKind,
    name: String,
    pub(crate) members: Vec<Element>,
    limit: usize,
}

/// Pools of rule P, in pool order (see `mod.rs`).
pub(crate) fn build_pools(
    entries: &[PoolEntry],
    category_limit: usize,
) -> Result<Vec<RawPool>, SpecError> {
    use std::collections::{HashMap, HashSet};
    let mut seen_names: HashSet<&str> = HashSet::new();
    let mut seen_sets: HashSet<Vec<&str>> = HashSet::new();
    let mut variable_pools: Vec<RawPool> = Vec::new();
    let mut category_slot: HashMap<&str, usize> = HashMap::new();
    let mut one_of_pools = Vec::new();
    let mut single_pools = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        match entry {
            PoolEntry::Variable { element, category } => {
                if !seen_names.insert(element.name.as_str()) {
                    continue;
                }
                match category {
                    Some(cat) => match category_slot.get(cat.as_str()) {
                        Some(&slot) => variable_pools[slot].members.push(element.clone()),
                        None => {
                            category_slot.insert(cat.as_str(), variable_pools.len());
                            variable_pools.push(RawPool {
                                kind: PoolKind::Category {
                                    category: cat.clone(),
                                },
                                name: cat.clone(),
                                members: vec![element.clone()],
                                limit: category_limit,
                            });
                        }
                    },
                    None => variable_pools.push(RawPool {
                        kind: PoolKind::Variable,
                        name: element.name.clone(),
                        members: vec![element.clone()],
                        limit: 1,
                    }),
                }
            }
            PoolEntry::OneOf(members) => {
                let mut names = HashSet::new();
                let kept: Vec<Element> = members
                    .iter()
                    .filter(|m| names.insert(m.name.as_str()))
                    .cloned()
                    .collect();
                if kept.is_empty() {
                    return Err(SpecError::EmptyOneOf { index });
                }
                let mut set: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
                set.sort_unstable();
                set.dedup();
                if !seen_sets.insert(set) {
                    continue;
                }
                let name = format!(
                    "one_of({})",
                    kept.iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                one_of_pools.push(RawPool {
                    kind: PoolKind::OneOf,
                    name,
                    members: kept,
                    limit: 1,
                });
            }
            PoolEntry::Single(element) => {
                if !seen_names.insert(element.name.as_str()) {
                    continue;
                }
                single_pools.push(RawPool {
                    kind: PoolKind::Single,
                    name: element.name.clone(),
                    members: vec![element.clone()],
                    limit: 1,
                });
            }
        }
    }
    variable_pools.extend(one_of_pools);
    variable_pools.extend(single_pools);
    Ok(variable_pools)
}
