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
    /// The category each member counts toward (rule L), by name.
    categories: Vec<Option<String>>,
    /// The same as an index into the space's tracked categories (`None`: untracked or none).
    pub(crate) tracked: Vec<Option<usize>>,
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
            tracked: vec![None; members.len()],
            members,
            limit: raw.limit,
            max_pick: k,
            weights,
            esym,
            categories: raw.member_categories,
        }
    }

    /// The category each member counts toward (rule L), in member order.
    pub fn member_categories(&self) -> &[Option<String>] {
        &self.categories
    }

    /// The tracked category every member shares, when they share one (`Some(None)`: none of
    /// them is tracked); `None` when members differ (only pools offering one member at a
    /// time).
    pub(crate) fn uniform_tracked(&self) -> Option<Option<usize>> {
        let first = self.tracked.first().copied().unwrap_or(None);
        self.tracked.iter().all(|&t| t == first).then_some(first)
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
    /// The category each member counts toward (rule L): a category pool's for its members, the
    /// element's own for `OneOf` and `Single` members, none for an uncategorised variable.
    pub(crate) member_categories: Vec<Option<String>>,
    limit: usize,
}

/// Variants a pool entry lost to rule P2 (see `mod.rs`): they are chosen only through
/// `kept_by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenOut {
    /// The element that lost variants.
    pub element: String,
    /// The pool it was in (a category, `one_of(…)`, or the item itself).
    pub pool: String,
    /// How many of its variants were taken out, of how many.
    pub removed: usize,
    pub of: usize,
    /// Where the taken-out variants' columns are chosen: `search.forced` or a `one_of(…)` set.
    pub kept_by: String,
}

/// Pools of rule P, in pool order (see `mod.rs`), and what rule P2 took out of them.
pub(crate) fn build_pools(
    forced: &[Element],
    entries: &[PoolEntry],
    category_limit: usize,
) -> Result<(Vec<RawPool>, Vec<TakenOut>), SpecError> {
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
                        Some(&slot) => {
                            let pool: &mut RawPool = &mut variable_pools[slot];
                            pool.members.push(element.clone());
                            pool.member_categories.push(Some(cat.clone()));
                        }
                        None => {
                            category_slot.insert(cat.as_str(), variable_pools.len());
                            variable_pools.push(RawPool {
                                kind: PoolKind::Category {
                                    category: cat.clone(),
                                },
                                name: cat.clone(),
                                members: vec![element.clone()],
                                member_categories: vec![Some(cat.clone())],
                                limit: category_limit,
                            });
                        }
                    },
                    None => variable_pools.push(RawPool {
                        kind: PoolKind::Variable,
                        name: element.name.clone(),
                        members: vec![element.clone()],
                        member_categories: vec![None],
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
                    member_categories: kept.iter().map(|m| m.category.clone()).collect(),
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
                    member_categories: vec![element.category.clone()],
                    members: vec![element.clone()],
                    limit: 1,
                });
            }
        }
    }

    // Rule P2: a column is chosen in one place only. Forced elements own their columns; then
    // each `one_of` set, in order, takes its members' remaining variants; every other pool
    // keeps only the variants that share no column with those.
    let mut owner: HashMap<u32, usize> = HashMap::new();
    let mut places: Vec<String> = vec![FORCED.to_string()];
    for e in forced {
        for &c in e.variants.iter().flatten() {
            owner.entry(c).or_insert(0);
        }
    }
    let mut taken = Vec::new();
    let mut strip = |pool: &mut RawPool, owner: &HashMap<u32, usize>, places: &[String]| {
        let mut k = 0;
        while k < pool.members.len() {
            let m = &mut pool.members[k];
            let of = m.variants.len();
            let mut kept_by = None;
            m.variants
                .retain(|v| match v.iter().find_map(|c| owner.get(c)) {
                    Some(&place) => {
                        kept_by.get_or_insert(place);
                        false
                    }
                    None => true,
                });
            if let Some(place) = kept_by {
                taken.push(TakenOut {
                    element: m.name.clone(),
                    pool: pool.name.clone(),
                    removed: of - m.variants.len(),
                    of,
                    kept_by: places[place].clone(),
                });
            }
            if m.variants.is_empty() {
                pool.members.remove(k);
                pool.member_categories.remove(k);
            } else {
                k += 1;
            }
        }
    };
    for pool in &mut one_of_pools {
        // Members of one set take their columns in member order, so a later member loses what
        // an earlier one already offers.
        let place = places.len();
        places.push(pool.name.clone());
        let mut k = 0;
        while k < pool.members.len() {
            let mut single = RawPool {
                kind: PoolKind::OneOf,
                name: pool.name.clone(),
                members: vec![pool.members[k].clone()],
                member_categories: vec![pool.member_categories[k].clone()],
                limit: 1,
            };
            strip(&mut single, &owner, &places);
            match single.members.pop() {
                Some(m) => {
                    for &c in m.variants.iter().flatten() {
                        owner.entry(c).or_insert(place);
                    }
                    pool.members[k] = m;
                    k += 1;
                }
                None => {
                    pool.members.remove(k);
                    pool.member_categories.remove(k);
                }
            }
        }
    }
    for pool in variable_pools.iter_mut().chain(&mut single_pools) {
        strip(pool, &owner, &places);
    }
    variable_pools.extend(one_of_pools);
    variable_pools.extend(single_pools);
    variable_pools.retain(|p| !p.members.is_empty());
    Ok((variable_pools, taken))
}
