//! The deterministic spec space: spec index ↔ spec (docs/semantics.md §4).
//!
//! A spec index is the unit of resume, sharding and dedup, so the order defined here is a
//! **compatibility contract**: a journal written by one binary must resume with the next. Any
//! change to the rules below is a breaking change of the journal format.
//!
//! # Inputs
//! The caller (the lead's planner) turns the user's config into a [`SpaceInput`]: `forced`
//! elements, `pool` entries, `max_vars`, `category_limit`, the column table and a `key_context`.
//! An [`Element`] is one item counted toward `max_vars` (a variable, a dummy set, a `together`
//! group, a composite); its `variants` are non-empty lists of column ids.
//!
//! # Pools (rule P)
//! 1. Repeated entries are dropped, first kept: a repeated forced element (by name); a pool entry
//!    whose element name was already seen in a `Variable` or `Single` entry (whatever its
//!    category) — `Variable` and `Single` entries share one namespace; inside a `OneOf`, a
//!    repeated element name; a `OneOf` whose set of names equals an earlier `OneOf`'s.
//! 2. **A column is chosen in one place only** (no duplicate specs, docs/semantics.md §4).
//!    Forced elements own their columns. Then each `OneOf` set, in pool order, and within it each
//!    member in member order, keeps only the variants that share no column with what is owned
//!    so far, and owns the columns of those it keeps. Then every `Variable` and `Single` entry
//!    keeps only the variants that share no owned column. A member or entry left without a
//!    variant leaves its pool, a pool left without a member disappears; what was taken out is
//!    reported ([`SpecSpace::taken_out`]). So a variable named in a `one_of` set leaves its
//!    category's pool (it is chosen only through the set), and a pool entry that repeats a
//!    forced item leaves the pool. `Variable` and `Single` entries do not take columns from
//!    each other (a `together` group may share variables with the pool; see
//!    [`SpecSpace::repeated_models`]).
//! 3. Pools are ordered in three groups, in this order:
//!    - **variable pools**, in order of first appearance among the `Variable` entries: a
//!      category pool sits at its category's first appearance, an uncategorised variable's
//!      single-option pool at its own position;
//!    - **`OneOf` pools**, in pool order;
//!    - **`Single` pools**, in pool order.
//! 4. Options of a pool, i.e. which members one spec takes from it. A category pool with members
//!    `v0..v(n-1)` (order of appearance) offers every combination of `s` members for
//!    `s = 1..=min(category_limit, n)`: **all 1-combinations first, then all 2-combinations, …;
//!    within one size, lexicographic by member position**. A `OneOf` pool offers each member alone,
//!    in declared order. A `Variable`/`Single` pool offers its one element. An option of `s`
//!    members counts `s` toward `max_vars` (a dummy set or group is one member, so counts 1).
//!    Options that alone exceed the budget `max_vars - len(forced)` can never appear.
//!
//! # Category limit over the spec (rule L)
//! Every member a combo takes from its pools counts toward a category: a category pool's
//! members toward that category, a `OneOf` member or a `Single` item toward its element's
//! [`Element::category`] (none for an uncategorised variable); forced elements count toward
//! none. A combo with more than `category_limit` members of one category is left out, in place
//! (the kept combos stay in rule-C order). Without categorised `OneOf` members no combo is ever
//! left out by this rule (a category pool alone never exceeds the limit).
//!
//! # Columns of a spec (rule S, see `key.rs`)
//! A spec is the *set union* of the chosen variants' column ids, sorted by: class
//! (`QuarterDummy` < `MonthDummy` < `OtherDummy` < `Feature`); then, for dummies, the name split
//! at its last `:` into (prefix, level), prefix bytewise, a level of ASCII digits numerically
//! (`M:2 < M:10`) and before any non-numeric level, a name without `:` before all names with the
//! same prefix and a level; for features, the name bytewise; remaining ties by whole name bytewise,
//! then by column id.
//!
//! # Spec key
//! `sha256` over the canonical text described in `key.rs` (context + sorted column names).
//! Equal keys at two indices mean one model; downstream keeps the lowest index. After rules P2
//! and L that happens only when two elements still share a column (a `together` group and a
//! pool variable it holds, a variable and one of its variants both in the pool) or one element
//! repeats a column set; [`SpecSpace::repeated_models`] says so, and otherwise every index has
//! its own key.
//!
//! # Feature roles
//! [`FeatureRole`] names what a column of the store is (target, variant, dummy, regime base,
//! composite), with the lowercase names the store keeps (`role.rs`).

mod iter;
mod key;
mod pool;
pub mod ranges;
mod role;
pub mod shard;
mod space;

use serde::{Deserialize, Serialize};

pub use iter::SpecIter;
pub use key::canonical_text;
pub use pool::{Pool, PoolKind, TakenOut};
pub use role::FeatureRole;
pub use space::{Combo, Combos, Overlap, Pick, SpecSpace};

/// One item of a spec as counted toward `max_vars`, with its surviving variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Element {
    /// Unique display name (`GDP`, `dummies(M)`, `together(A, B)`); also the repeat-detection key.
    pub name: String,
    /// Variants in variant order; each a non-empty list of column ids into [`SpaceInput::columns`].
    pub variants: Vec<Vec<u32>>,
    /// The category the element counts toward when it is a `one_of` member or a `Single`
    /// pool's item (rule L); a `Variable` entry counts toward the entry's category instead.
    #[serde(default)]
    pub category: Option<String>,
}

impl Element {
    /// An element from its name and variants.
    pub fn new(name: impl Into<String>, variants: Vec<Vec<u32>>) -> Self {
        Self {
            name: name.into(),
            variants,
            category: None,
        }
    }

    /// The same element counting toward `category` (rule L) as a `one_of` member.
    pub fn with_category(mut self, category: Option<String>) -> Self {
        self.category = category;
        self
    }

    /// A variable whose variants are one column each (the common case).
    pub fn variable(name: impl Into<String>, columns: &[u32]) -> Self {
        Self::new(name, columns.iter().map(|&c| vec![c]).collect())
    }

    /// A dummy set: one variant made of all its columns.
    pub fn dummy_set(name: impl Into<String>, columns: &[u32]) -> Self {
        Self::new(name, vec![columns.to_vec()])
    }

    /// A `together` group: variants are the product of the members' variants, first member
    /// slowest, each variant the concatenation of the members' columns.
    pub fn together(name: impl Into<String>, members: &[Element]) -> Self {
        let mut variants: Vec<Vec<u32>> = vec![Vec::new()];
        for m in members {
            variants = variants
                .iter()
                .flat_map(|prefix| {
                    m.variants.iter().map(move |v| {
                        let mut cols = prefix.clone();
                        cols.extend_from_slice(v);
                        cols
                    })
                })
                .collect();
        }
        if members.is_empty() {
            variants.clear();
        }
        Self::new(name, variants)
    }
}

/// One entry of `search.pool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoolEntry {
    /// A plain variable, grouped with others of the same category (if any).
    Variable {
        element: Element,
        category: Option<String>,
    },
    /// A `one_of` set: a pool choosing exactly one element, in declared order.
    OneOf(Vec<Element>),
    /// Anything else (dummy set, together group, composite): a single-option pool.
    Single(Element),
}

/// Sort class of a column (dummies before features; see rule S).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ColumnClass {
    QuarterDummy,
    MonthDummy,
    OtherDummy,
    Feature,
}

/// One column of the frozen store, indexed by column id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    pub class: ColumnClass,
}

impl ColumnInfo {
    pub fn new(name: impl Into<String>, class: ColumnClass) -> Self {
        Self {
            name: name.into(),
            class,
        }
    }
}

/// Everything that defines a spec space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceInput {
    pub forced: Vec<Element>,
    pub pool: Vec<PoolEntry>,
    pub max_vars: usize,
    pub category_limit: usize,
    /// Column table indexed by column id.
    pub columns: Vec<ColumnInfo>,
    /// Canonical text of target + sample, hashed into every spec key.
    pub key_context: String,
}

/// Why a spec space cannot be built or addressed. Messages name the config key to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("search.pool is empty and search.forced has no items: there is no spec to search")]
    EmptySearch,
    #[error("search.max_vars = 0: a spec needs at least one variable; set it to 1 or more")]
    MaxVarsZero,
    #[error("search.max_vars = {max_vars} but search.forced has {forced} items")]
    MaxVarsBelowForced { max_vars: usize, forced: usize },
    #[error("search.category_limit = 0: it must be at least 1")]
    CategoryLimitZero,
    #[error("search.pool: one_of set #{index} (0-based among pool entries) has no elements")]
    EmptyOneOf { index: usize },
    #[error("{place} item `{name}` has no surviving variant")]
    NoVariants { place: &'static str, name: String },
    #[error("{place} item `{name}`: variant #{variant} has no column")]
    EmptyVariant {
        place: &'static str,
        name: String,
        variant: usize,
    },
    #[error(
        "{place} item `{name}` refers to column id {column}, but the column table has {columns} columns"
    )]
    UnknownColumn {
        place: &'static str,
        name: String,
        column: u32,
        columns: usize,
    },
    #[error(
        "the spec space has more than 2^64 specs and cannot be indexed; lower search.max_vars or \
         search.category_limit, or shrink search.pool"
    )]
    TooLarge,
    #[error("spec index {index} is out of range: the spec space has {count} specs")]
    IndexOutOfRange { index: u64, count: u64 },
    #[error(
        "search.category_limit applies to the whole spec, and the categories {} each have \
         more members in category pools and one_of sets together than the limit: too many to \
         count exactly; put fewer of them in one_of sets",
        categories.join(", ")
    )]
    TooManyCategories { categories: Vec<String> },
}
