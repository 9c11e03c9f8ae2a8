//! Exact counting and unranking of the spec space (rule C of `mod.rs`).
//!
//! Pools come from `pool.rs`: pool `p` has the generating polynomial `G_p(x) = Σ_s e_s(w) x^s` in
//! "elements consumed", weighted by expanded specs (`e_s` = elementary symmetric polynomial of
//! its members' variant counts, `s ≤ max_pick`).
//!
//! Counting: `T[i][r][b]` = weighted number of ways to choose `r` pools among `i..P` and an option
//! of each with `≤ b` elements in total (`T[i][0][b] = 1`); `T[i][r][b] = T[i+1][r][b] + U[i][r][b]`
//! with `U[i][r][b] = Σ_j G_i[j]·T[i+1][r-1][b-j]` (pool `i` taken). Level `r` holds
//! `W_F·T[0][r][B]` specs, where `W_F` is the forced variant product and `B = max_vars - F`.
//!
//! Unranking walks the order of rule C: level `r`; then the subset, position by position, where
//! the block "prefix + next pool `i`" holds `W_F·Σ_c prefix[c]·U[i][rem][B-c]` specs (`prefix` is
//! the product of the chosen pools' polynomials); then each pool's option (size, then weighted
//! lexicographic combination, blocks `mult·w(option)·S_rest`); the remainder is the mixed-radix
//! variant index, first element slowest. Cost O(r·P·B) per index, independent of the index.
//!
//! All counts are computed in saturating `u128`. Every stored value is a count of a sub-family of
//! the space, hence `≤ count`; so once `count ≤ u64::MAX` is checked nothing can overflow, and any
//! saturation shows up as `TooLarge`.
//!
//! Rule L (`category_limit` over the whole spec) generalises the budget `b` to a *capacity
//! state*: `b` and, for each tracked category `c` (one whose members could exceed the limit in
//! one spec, see [`States`]), the room `v_c ∈ 0..=limit` left. An option costs its size and, for
//! a tracked category, its members of that category; `T`, `U`, the subset prefix and the suffix
//! counts are indexed by states instead of budgets. Without tracked categories a state is the
//! budget, and every table is the one of the budget-only recurrence.

use super::key::{ColumnOrder, KeyHasher};
use super::pool::{binomial, build_pools, check_element, Pool, TakenOut, FORCED, POOL};
use super::{Element, SpaceInput, SpecError};

/// Above this budget the space has more than 2^64 specs whatever else holds (see `new`).
const MAX_BUDGET: usize = 64;

/// Largest counting table (entries) rule L may ask for; beyond it the space is refused.
const MAX_TABLE: usize = 1 << 24;

/// One element picked by a spec (see [`SpecSpace::elements_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick {
    /// Element id (see [`SpecSpace::element`]).
    pub element: usize,
    /// Variant index within the element.
    pub variant: usize,
    /// Pool the element came from; `None` for forced elements.
    pub pool: Option<usize>,
}

/// Two elements of a space that share a column, or one whose variants repeat a column set:
/// then two spec indices may hold the same model (see [`SpecSpace::repeated_models`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub first: String,
    /// Equal to `first` when one element has two variants with the same columns.
    pub second: String,
    /// A column they share.
    pub column: String,
}

/// Position of the enumeration: combo + variant counters. Shared by unranking and the iterator.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cursor {
    /// 0 = forced-only combo; r ≥ 1 = combos of r pools.
    pub(crate) level: usize,
    /// Chosen pool ids, ascending, `len == level`.
    pub(crate) subset: Vec<usize>,
    /// Option size per subset position.
    pub(crate) sizes: Vec<usize>,
    /// Chosen member positions (within each pool), concatenated in subset order.
    pub(crate) picks: Vec<usize>,
    /// Element ids of the combo: forced, then picks.
    pub(crate) elems: Vec<usize>,
    /// Variant counter per element (mixed radix, last fastest).
    pub(crate) vars: Vec<usize>,
    /// Variant count per element.
    pub(crate) radix: Vec<usize>,
    /// Members per tracked category (rule L check of the iterator).
    pub(crate) usage: Vec<usize>,
}

/// Capacity states of rule L: `state = b·V + Σ_c v_c·(L+1)^c`, with `b` the elements left in
/// the budget, `v_c` the room left in tracked category `c`, `L` the category limit and
/// `V = (L+1)^k` for `k` tracked categories. With none, `V = 1` and a state is the budget.
#[derive(Debug, Clone)]
pub(crate) struct States {
    pub(crate) budget: usize,
    limit: usize,
    /// `(L+1)^c` per tracked category.
    pow: Vec<usize>,
    /// `V`.
    room: usize,
}

impl States {
    fn new(budget: usize, limit: usize, tracked: usize) -> Option<States> {
        let mut pow = Vec::with_capacity(tracked);
        let mut room = 1usize;
        for _ in 0..tracked {
            pow.push(room);
            room = room.checked_mul(limit + 1)?;
        }
        Some(States {
            budget,
            limit,
            pow,
            room,
        })
    }

    /// Number of states.
    pub(crate) fn len(&self) -> usize {
        (self.budget + 1) * self.room
    }

    /// The state with the whole budget and every category's room.
    pub(crate) fn full(&self) -> usize {
        self.budget * self.room + self.room - 1
    }

    /// The state after an option of `size` elements, `amount` of them of tracked category
    /// `cat`; `None` when it does not fit.
    #[inline]
    pub(crate) fn sub(&self, state: usize, t: &Term) -> Option<usize> {
        let (b, mut v) = (state / self.room, state % self.room);
        if t.size > b {
            return None;
        }
        if let Some(c) = t.cat {
            if (v / self.pow[c]) % (self.limit + 1) < t.amount {
                return None;
            }
            v -= t.amount * self.pow[c];
        }
        Some((b - t.size) * self.room + v)
    }
}

/// The options of one pool that cost the same: `size` elements, `amount` of them of tracked
/// category `cat`; `weight` expanded specs (Σ over those options of their variant products) in
/// `unit` options.
#[derive(Debug, Clone)]
pub(crate) struct Term {
    pub(crate) size: usize,
    pub(crate) cat: Option<usize>,
    pub(crate) amount: usize,
    pub(crate) weight: u128,
    pub(crate) unit: u128,
}

/// One combo of the space (see [`SpecSpace::combos`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combo {
    /// The index of its first spec; its specs are `first .. first + Π radices`.
    pub first: u64,
    /// Element ids, first slowest in the variant expansion.
    pub elements: Vec<usize>,
    /// Variant count of each element (same order).
    pub radices: Vec<usize>,
}

/// Iterator over the combos of a space, in rule-C order.
pub struct Combos<'a> {
    space: &'a SpecSpace,
    cur: Cursor,
    first: u64,
    done: bool,
}

impl Iterator for Combos<'_> {
    type Item = Combo;

    fn next(&mut self) -> Option<Combo> {
        if self.done {
            return None;
        }
        let combo = Combo {
            first: self.first,
            elements: self.cur.elems.clone(),
            radices: self.cur.radix.clone(),
        };
        let specs: u64 = combo.radices.iter().map(|&r| r as u64).product();
        self.first += specs;
        self.done = !self.space.next_combo(&mut self.cur);
        Some(combo)
    }
}

/// The spec space: built once, then counted, unranked and iterated without enumeration.
#[derive(Debug, Clone)]
pub struct SpecSpace {
    pub(crate) elements: Vec<Element>,
    /// Variants of element `e` are global variants `elem_var[e]..elem_var[e + 1]`.
    pub(crate) elem_var: Vec<usize>,
    /// Ranks of global variant `v` are `var_ranks[var_bounds[v]..var_bounds[v + 1]]`, ascending.
    pub(crate) var_bounds: Vec<usize>,
    pub(crate) var_ranks: Vec<u32>,
    pub(crate) order: ColumnOrder,
    pub(crate) n_forced: usize,
    pub(crate) forced_weight: u128,
    pub(crate) pools: Vec<Pool>,
    /// Effective pool budget `min(max_vars - F, Σ max_pick)`.
    pub(crate) budget: usize,
    /// Largest level: `min(P, budget)`.
    pub(crate) max_level: usize,
    /// Categories rule L tracks across pools, in order of first appearance.
    pub(crate) tracked: Vec<String>,
    pub(crate) states: States,
    /// Option terms of each pool.
    pub(crate) terms: Vec<Vec<Term>>,
    /// `T[i][r][state]` at `((i * (max_level + 1)) + r) * states.len() + state`.
    pub(crate) tail: Vec<u64>,
    /// `level_start[r]` = first index of level r; `level_start[max_level + 1]` = count.
    pub(crate) level_start: Vec<u64>,
    pub(crate) combo_count: u64,
    pub(crate) hasher: KeyHasher,
    pub(crate) taken_out: Vec<TakenOut>,
}

/// `T` table (see module docs) of the pools' option `terms`, weighted by `weight`.
fn tail_table(
    terms: &[Vec<Term>],
    weight: impl Fn(&Term) -> u128,
    max_level: usize,
    states: &States,
) -> Result<Vec<u64>, SpecError> {
    let n_pools = terms.len();
    let (rs, ss) = (max_level + 1, states.len());
    let mut tail = vec![0u64; (n_pools + 1) * rs * ss];
    for i in (0..=n_pools).rev() {
        for r in 0..rs {
            for st in 0..ss {
                let v: u128 = if r == 0 {
                    1
                } else if i == n_pools {
                    0
                } else {
                    let skip = tail[((i + 1) * rs + r) * ss + st] as u128;
                    let take = terms[i]
                        .iter()
                        .fold(0u128, |acc, t| match states.sub(st, t) {
                            Some(next) => {
                                let rest = tail[((i + 1) * rs + r - 1) * ss + next] as u128;
                                acc.saturating_add(weight(t).saturating_mul(rest))
                            }
                            None => acc,
                        });
                    skip.saturating_add(take)
                };
                // Each T value counts a sub-family of the space (times W_F ≥ 1), so a value
                // beyond u64 means the whole space is beyond u64.
                tail[(i * rs + r) * ss + st] = u64::try_from(v).map_err(|_| SpecError::TooLarge)?;
            }
        }
    }
    Ok(tail)
}

/// The categories rule L must track: those whose members could exceed `limit` in one spec
/// (a pool contributes at most `max_pick` members of a category), in order of appearance.
fn tracked_categories(pools: &[Pool], limit: usize, budget: usize) -> Vec<String> {
    let mut order: Vec<&str> = Vec::new();
    let mut most: Vec<usize> = Vec::new();
    for p in pools {
        let mut here: Vec<(&str, usize)> = Vec::new();
        for c in p.member_categories().iter().flatten() {
            match here.iter_mut().find(|(n, _)| *n == c.as_str()) {
                Some((_, k)) => *k += 1,
                None => here.push((c.as_str(), 1)),
            }
        }
        for (c, k) in here {
            let k = k.min(p.max_pick);
            match order.iter().position(|&n| n == c) {
                Some(i) => most[i] += k,
                None => {
                    order.push(c);
                    most.push(k);
                }
            }
        }
    }
    if budget <= limit {
        return Vec::new();
    }
    order
        .into_iter()
        .zip(most)
        .filter(|&(_, k)| k > limit)
        .map(|(c, _)| c.to_string())
        .collect()
}

/// Option terms of a pool (see [`Term`]).
fn pool_terms(pool: &Pool) -> Vec<Term> {
    match pool.uniform_tracked() {
        Some(cat) => (1..=pool.max_pick)
            .map(|s| Term {
                size: s,
                cat,
                amount: s,
                weight: pool.e(0, s),
                unit: binomial(pool.members.len(), s),
            })
            .collect(),
        None => {
            // Members of several categories: only pools offering one member at a time.
            debug_assert!(pool.max_pick <= 1);
            let mut terms: Vec<Term> = Vec::new();
            if pool.max_pick == 0 {
                return terms;
            }
            for (a, &cat) in pool.tracked.iter().enumerate() {
                match terms.iter_mut().find(|t| t.cat == cat) {
                    Some(t) => {
                        t.weight = t.weight.saturating_add(pool.weights[a]);
                        t.unit += 1;
                    }
                    None => terms.push(Term {
                        size: 1,
                        cat,
                        amount: 1,
                        weight: pool.weights[a],
                        unit: 1,
                    }),
                }
            }
            terms
        }
    }
}

impl SpecSpace {
    /// Builds the space: validates the input, forms the pools and counts everything.
    pub fn new(input: SpaceInput) -> Result<Self, SpecError> {
        let SpaceInput {
            forced,
            pool,
            max_vars,
            category_limit,
            columns,
            key_context,
        } = input;
        if category_limit == 0 {
            return Err(SpecError::CategoryLimitZero);
        }
        if forced.is_empty() && max_vars == 0 {
            return Err(SpecError::MaxVarsZero);
        }
        if max_vars < forced.len() {
            return Err(SpecError::MaxVarsBelowForced {
                max_vars,
                forced: forced.len(),
            });
        }
        let n_cols = columns.len();
        for e in &forced {
            check_element(e, FORCED, n_cols)?;
        }
        // Rule P1: a repeated forced item is dropped, the first kept.
        let mut forced_names = std::collections::HashSet::new();
        let forced: Vec<Element> = forced
            .into_iter()
            .filter(|e| forced_names.insert(e.name.clone()))
            .collect();
        for entry in &pool {
            let members: Vec<&Element> = match entry {
                super::PoolEntry::Variable { element, .. } | super::PoolEntry::Single(element) => {
                    vec![element]
                }
                super::PoolEntry::OneOf(m) => m.iter().collect(),
            };
            for m in members {
                check_element(m, POOL, n_cols)?;
            }
        }
        let (raw_pools, taken_out) = build_pools(&forced, &pool, category_limit)?;
        if forced.is_empty() && raw_pools.is_empty() {
            return Err(SpecError::EmptySearch);
        }

        let order = ColumnOrder::new(columns);
        let hasher = KeyHasher::new(&key_context);
        let n_forced = forced.len();
        let raw_budget = max_vars - n_forced;

        // Element table: forced first, then pool members in pool order.
        let mut elements = forced;
        let mut pools = Vec::with_capacity(raw_pools.len());
        for raw in raw_pools {
            let ids = (elements.len()..elements.len() + raw.members.len()).collect();
            let weights = raw
                .members
                .iter()
                .map(|m| m.variants.len() as u128)
                .collect();
            elements.extend(raw.members.iter().cloned());
            pools.push(Pool::new(raw, ids, weights, raw_budget));
        }

        // Budget beyond 64: pick any `budget` members fitting the per-pool limits; each of their
        // 2^budget - 1 non-empty subsets is a distinct combo, so the space exceeds u64.
        let budget = raw_budget.min(pools.iter().map(|p| p.max_pick).sum());
        if budget > MAX_BUDGET {
            return Err(SpecError::TooLarge);
        }
        let max_level = pools.len().min(budget);
        // Every r-subset (r ≤ max_level) with 1-element options is a combo: guard the size of
        // the DP tables before allocating them.
        let subsets = (1..=max_level)
            .map(|r| binomial(pools.len(), r))
            .fold(0u128, u128::saturating_add);
        if subsets > u64::MAX as u128 {
            return Err(SpecError::TooLarge);
        }

        // Rule L: the categories whose members could exceed the limit in one spec.
        let tracked = tracked_categories(&pools, category_limit, budget);
        for p in &mut pools {
            let cats: Vec<Option<usize>> = p
                .member_categories()
                .iter()
                .map(|c| c.as_ref().and_then(|c| tracked.iter().position(|t| t == c)))
                .collect();
            p.tracked = cats;
        }
        let too_many = || SpecError::TooManyCategories {
            categories: tracked.clone(),
        };
        let states = States::new(budget, category_limit, tracked.len()).ok_or_else(too_many)?;
        if !tracked.is_empty()
            && (pools.len() + 1)
                .checked_mul(max_level + 1)
                .and_then(|v| v.checked_mul(states.len()))
                .is_none_or(|v| v > MAX_TABLE)
        {
            return Err(too_many());
        }
        let terms: Vec<Vec<Term>> = pools.iter().map(pool_terms).collect();

        let mut forced_weight: u128 = 1;
        for e in &elements[..n_forced] {
            forced_weight = forced_weight.saturating_mul(e.variants.len() as u128);
        }
        let tail = tail_table(&terms, |t| t.weight, max_level, &states)?;
        let unit_tail = tail_table(&terms, |t| t.unit, max_level, &states)?;
        let ss = states.len();
        let full = states.full();
        let at = |t: &[u64], r: usize| t[r * ss + full] as u128;

        let too_large = |v: Option<u128>| {
            v.filter(|&v| v <= u64::MAX as u128)
                .ok_or(SpecError::TooLarge)
        };
        let mut level_start = Vec::with_capacity(max_level + 2);
        let mut next = 0u128;
        let mut combos = 0u128;
        level_start.push(0);
        if n_forced > 0 {
            next = too_large(Some(forced_weight))?;
            combos = 1;
        }
        for r in 1..=max_level {
            level_start.push(next as u64);
            next = too_large(
                forced_weight
                    .checked_mul(at(&tail, r))
                    .and_then(|v| v.checked_add(next)),
            )?;
            combos = too_large(combos.checked_add(at(&unit_tail, r)))?;
        }
        level_start.push(next as u64);

        // Column ranks of every variant, sorted and deduplicated (a spec is a set union).
        let mut elem_var = Vec::with_capacity(elements.len() + 1);
        let mut var_bounds = vec![0];
        let mut var_ranks = Vec::new();
        for e in &elements {
            elem_var.push(var_bounds.len() - 1);
            for v in &e.variants {
                let start = var_ranks.len();
                var_ranks.extend(v.iter().map(|&c| order.rank_of[c as usize]));
                var_ranks[start..].sort_unstable();
                let mut w = start;
                for r in start..var_ranks.len() {
                    if r == start || var_ranks[r] != var_ranks[w - 1] {
                        var_ranks[w] = var_ranks[r];
                        w += 1;
                    }
                }
                var_ranks.truncate(w);
                var_bounds.push(var_ranks.len());
            }
        }
        elem_var.push(var_bounds.len() - 1);

        Ok(Self {
            elements,
            elem_var,
            var_bounds,
            var_ranks,
            order,
            n_forced,
            forced_weight,
            pools,
            budget,
            max_level,
            tracked,
            states,
            terms,
            tail,
            level_start,
            combo_count: combos as u64,
            hasher,
            taken_out,
        })
    }

    /// Exact number of specs (indices are `0..count()`).
    pub fn count(&self) -> u64 {
        self.level_start[self.max_level + 1]
    }

    /// Number of combos (element choices) before variant expansion.
    pub fn combo_count(&self) -> u64 {
        self.combo_count
    }

    /// Pools in rule-P order.
    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    /// Element by id: forced elements are ids `0..forced_count()`, then pool members.
    pub fn element(&self, id: usize) -> &Element {
        &self.elements[id]
    }

    pub fn forced_count(&self) -> usize {
        self.n_forced
    }

    /// Column table entry of a column id.
    pub fn column(&self, id: u32) -> &super::ColumnInfo {
        &self.order.columns[id as usize]
    }

    /// What rule P2 took out of pool entries (chosen only through a forced item or a `one_of`
    /// set), in pool order.
    pub fn taken_out(&self) -> &[TakenOut] {
        &self.taken_out
    }

    /// The categories rule L checks across pools (their members could otherwise exceed
    /// `category_limit` in one spec).
    pub fn tracked_categories(&self) -> &[String] {
        &self.tracked
    }

    /// `None` when no two spec indices can hold the same model: no column belongs to two
    /// elements (forced or pool members) and no element has two variants with the same
    /// columns. Then a spec's columns determine the element chosen from each pool and its
    /// variant, hence the index, so every index has its own spec key. Otherwise the first
    /// such overlap (e.g. a `together` group and a pool variable it contains): some indices
    /// may then repeat a model, which dedup by spec key removes downstream.
    pub fn repeated_models(&self) -> Option<Overlap> {
        let mut owner: Vec<Option<usize>> = vec![None; self.order.columns.len()];
        let column = |rank: u32| {
            self.order.columns[self.order.id_of[rank as usize] as usize]
                .name
                .clone()
        };
        for e in 0..self.elements.len() {
            let variants = self.elem_var[e + 1] - self.elem_var[e];
            let mut seen: std::collections::HashSet<&[u32]> = Default::default();
            for v in 0..variants {
                let ranks = self.variant_ranks(e, v);
                if !seen.insert(ranks) {
                    return Some(Overlap {
                        first: self.elements[e].name.clone(),
                        second: self.elements[e].name.clone(),
                        column: column(ranks[0]),
                    });
                }
                for &r in ranks {
                    let id = self.order.id_of[r as usize] as usize;
                    match owner[id] {
                        Some(o) if o != e => {
                            return Some(Overlap {
                                first: self.elements[o].name.clone(),
                                second: self.elements[e].name.clone(),
                                column: column(r),
                            })
                        }
                        _ => owner[id] = Some(e),
                    }
                }
            }
        }
        None
    }

    /// First index of level `r` (0 = forced-only combo, r = combos of r pools) and the end of
    /// the last level; useful for reporting progress by spec size.
    pub fn level_starts(&self) -> &[u64] {
        &self.level_start
    }

    /// Unranking: the sorted column ids of spec `index`, written into `out`.
    pub fn spec_at(&self, index: u64, out: &mut Vec<u32>) -> Result<(), SpecError> {
        let mut cur = Cursor::default();
        self.unrank(index, &mut cur)?;
        out.clear();
        for (&e, &v) in cur.elems.iter().zip(&cur.vars) {
            out.extend_from_slice(self.variant_ranks(e, v));
        }
        out.sort_unstable();
        out.dedup();
        for c in out.iter_mut() {
            *c = self.order.id_of[*c as usize];
        }
        Ok(())
    }

    /// Which element and variant each position of spec `index` picked, forced first.
    pub fn elements_of(&self, index: u64) -> Result<Vec<Pick>, SpecError> {
        let mut cur = Cursor::default();
        self.unrank(index, &mut cur)?;
        let mut pool_of = Vec::with_capacity(cur.elems.len());
        pool_of.resize(self.n_forced, None);
        for (m, &p) in cur.subset.iter().enumerate() {
            pool_of.extend(std::iter::repeat_n(Some(p), cur.sizes[m]));
        }
        Ok(cur
            .elems
            .iter()
            .zip(&cur.vars)
            .zip(pool_of)
            .map(|((&element, &variant), pool)| Pick {
                element,
                variant,
                pool,
            })
            .collect())
    }

    /// The column ids every spec begins with, in spec order: the columns of single-variant
    /// forced elements that sort (rule S) before every column a spec may lack. Forced month
    /// dummies are the usual case; the journal stores them once per run instead of in every
    /// outcome.
    ///
    /// Every spec holds each such column (forced, one variant) and every other column of a spec
    /// ranks at or after the first optional one, so the spec starts with them.
    pub fn common_prefix(&self) -> Vec<u32> {
        let n_variants = |e: usize| self.elem_var[e + 1] - self.elem_var[e];
        let mut always: Vec<u32> = (0..self.n_forced)
            .filter(|&e| n_variants(e) == 1)
            .flat_map(|e| self.variant_ranks(e, 0).iter().copied())
            .collect();
        always.sort_unstable();
        always.dedup();
        let first_optional = (0..self.elements.len())
            // Pool members appear in some spec only when the budget admits one.
            .filter(|&e| {
                if e < self.n_forced {
                    n_variants(e) > 1
                } else {
                    self.budget > 0
                }
            })
            .flat_map(|e| (0..n_variants(e)).flat_map(move |v| self.variant_ranks(e, v)))
            .copied()
            .filter(|r| always.binary_search(r).is_err())
            .min()
            .unwrap_or(u32::MAX);
        always
            .into_iter()
            .take_while(|&r| r < first_optional)
            .map(|r| self.order.id_of[r as usize])
            .collect()
    }

    /// Every combo of the space in rule-C order, each with its first spec index, its elements
    /// (first slowest) and their variant counts: the plan a journal records so that a spec's
    /// columns follow from its index (`first ≤ index`, the mixed-radix digits of
    /// `index − first`, each element's variant at its digit, the union in rule-S order).
    pub fn combos(&self) -> Combos<'_> {
        let mut cur = Cursor::default();
        let done = if self.count() == 0 {
            true
        } else {
            self.unrank(0, &mut cur).expect("index 0 exists");
            false
        };
        Combos {
            space: self,
            cur,
            first: 0,
            done,
        }
    }

    /// Number of variants of element `id` (its radix in a combo).
    pub fn variant_count(&self, id: usize) -> usize {
        self.elem_var[id + 1] - self.elem_var[id]
    }

    /// The elements (forced first, then pool members), indexed by element id.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// Number of columns in the column table (column ids are `0..column_count()`).
    pub fn column_count(&self) -> usize {
        self.order.columns.len()
    }

    /// Position of column `id` in rule-S order (how a spec's columns are sorted).
    pub fn column_rank(&self, id: u32) -> u32 {
        self.order.rank_of[id as usize]
    }

    pub(crate) fn variant_ranks(&self, element: usize, variant: usize) -> &[u32] {
        let v = self.elem_var[element] + variant;
        &self.var_ranks[self.var_bounds[v]..self.var_bounds[v + 1]]
    }

    fn tail_at(&self, i: usize, r: usize, state: usize) -> u128 {
        let ss = self.states.len();
        self.tail[(i * (self.max_level + 1) + r) * ss + state] as u128
    }

    /// `U[i][r][state]`: pool `i` taken as the first of `r` pools within capacity `state`.
    fn take_at(&self, i: usize, r: usize, state: usize) -> u128 {
        self.terms[i]
            .iter()
            .filter_map(|t| {
                self.states
                    .sub(state, t)
                    .map(|next| t.weight * self.tail_at(i + 1, r - 1, next))
            })
            .sum()
    }

    /// The first subset position whose members, with those before it, exceed
    /// `category_limit` in a tracked category (rule L); `None` when the combo is valid.
    pub(crate) fn violation(&self, cur: &mut Cursor) -> Option<usize> {
        if self.tracked.is_empty() {
            return None;
        }
        cur.usage.clear();
        cur.usage.resize(self.tracked.len(), 0);
        let mut off = 0;
        for (m, &p) in cur.subset.iter().enumerate() {
            let tracked = &self.pools[p].tracked;
            for &a in &cur.picks[off..off + cur.sizes[m]] {
                if let Some(c) = tracked[a] {
                    cur.usage[c] += 1;
                    if cur.usage[c] > self.states.limit {
                        return Some(m);
                    }
                }
            }
            off += cur.sizes[m];
        }
        None
    }

    /// Positions the cursor at spec `index` (rule C, see module docs for the walk).
    pub(crate) fn unrank(&self, index: u64, cur: &mut Cursor) -> Result<(), SpecError> {
        let count = self.count();
        if index >= count {
            return Err(SpecError::IndexOutOfRange { index, count });
        }
        let level = (0..=self.max_level)
            .find(|&r| self.level_start[r + 1] > index)
            .expect("index < count lies in some level");
        let mut local = (index - self.level_start[level]) as u128;
        cur.level = level;
        cur.subset.clear();
        cur.sizes.clear();
        cur.picks.clear();
        let mut mult = self.forced_weight;
        if level > 0 {
            let states = &self.states;
            let ss = states.len();
            // Subset: `prefix[state]` = weighted ways the chosen pools leave capacity `state`.
            let mut prefix = vec![0u128; ss];
            prefix[states.full()] = 1;
            let mut start = 0;
            for m in 0..level {
                let rem = level - m;
                let mut chosen = None;
                for i in start..=self.pools.len() - rem {
                    let ways: u128 = (0..ss)
                        .filter(|&st| prefix[st] != 0)
                        .map(|st| prefix[st] * self.take_at(i, rem, st))
                        .sum();
                    let block = self.forced_weight * ways;
                    if local < block {
                        chosen = Some(i);
                        break;
                    }
                    local -= block;
                }
                let i = chosen.expect("subset blocks cover the level");
                cur.subset.push(i);
                let mut next = vec![0u128; ss];
                for st in (0..ss).filter(|&st| prefix[st] != 0) {
                    for t in &self.terms[i] {
                        if let Some(after) = states.sub(st, t) {
                            next[after] += prefix[st] * t.weight;
                        }
                    }
                }
                prefix = next;
                start = i + 1;
            }
            // Suffix counts of the chosen subset: `suffix[m][state]` = weighted option tuples
            // of positions m.. within capacity `state`.
            let mut suffix = vec![0u128; (level + 1) * ss];
            suffix[level * ss..].fill(1);
            for m in (0..level).rev() {
                let p = cur.subset[m];
                for st in 0..ss {
                    suffix[m * ss + st] = self.terms[p]
                        .iter()
                        .filter_map(|t| {
                            states
                                .sub(st, t)
                                .map(|after| t.weight * suffix[(m + 1) * ss + after])
                        })
                        .sum();
                }
            }
            let mut left = states.full();
            for m in 0..level {
                let pool = &self.pools[cur.subset[m]];
                let rest = |state: Option<usize>| state.map_or(0, |s| suffix[(m + 1) * ss + s]);
                let cost = |size: usize, cat: Option<usize>| Term {
                    size,
                    cat,
                    amount: size,
                    weight: 0,
                    unit: 0,
                };
                let Some(cat) = pool.uniform_tracked() else {
                    // Members of several tracked categories, one member per option.
                    let mut found = None;
                    for (a, &w) in pool.weights.iter().enumerate() {
                        let after = states.sub(left, &cost(1, pool.tracked[a]));
                        let block = mult * w * rest(after);
                        if local < block {
                            found = Some((a, after));
                            break;
                        }
                        local -= block;
                    }
                    let (a, after) = found.expect("member blocks cover the option");
                    cur.picks.push(a);
                    mult *= pool.weights[a];
                    cur.sizes.push(1);
                    left = after.expect("a chosen member fits");
                    continue;
                };
                let mut size = 0;
                for s in 1..=pool.max_pick {
                    let block = mult * rest(states.sub(left, &cost(s, cat))) * pool.e(0, s);
                    if local < block {
                        size = s;
                        break;
                    }
                    local -= block;
                }
                assert!(size > 0, "option blocks cover the subset");
                let after = states.sub(left, &cost(size, cat));
                // Weighted lexicographic unranking of a size-`size` combination of members.
                let mut q = mult * rest(after);
                let mut lo = 0;
                let n = pool.members.len();
                for t in 0..size {
                    let remaining = size - t - 1;
                    for a in lo..n - remaining {
                        let block = q * pool.weights[a] * pool.e(a + 1, remaining);
                        if local < block {
                            cur.picks.push(a);
                            q *= pool.weights[a];
                            mult *= pool.weights[a];
                            lo = a + 1;
                            break;
                        }
                        local -= block;
                    }
                }
                debug_assert_eq!(cur.sizes.iter().sum::<usize>() + size, cur.picks.len());
                cur.sizes.push(size);
                left = after.expect("a chosen option fits");
            }
        }
        debug_assert!(local < mult);
        self.fill_elems(cur);
        for e in (0..cur.elems.len()).rev() {
            let radix = cur.radix[e] as u128;
            cur.vars[e] = (local % radix) as usize;
            local /= radix;
        }
        debug_assert_eq!(local, 0);
        Ok(())
    }

    /// Recomputes the cursor's element list from its combo and resets the variant counters.
    pub(crate) fn fill_elems(&self, cur: &mut Cursor) {
        cur.elems.clear();
        cur.elems.extend(0..self.n_forced);
        let mut off = 0;
        for (m, &p) in cur.subset.iter().enumerate() {
            let members = &self.pools[p].members;
            for &a in &cur.picks[off..off + cur.sizes[m]] {
                cur.elems.push(members[a]);
            }
            off += cur.sizes[m];
        }
        cur.vars.clear();
        cur.vars.resize(cur.elems.len(), 0);
        cur.radix.clear();
        cur.radix.extend(
            cur.elems
                .iter()
                .map(|&e| self.elem_var[e + 1] - self.elem_var[e]),
        );
    }
}
