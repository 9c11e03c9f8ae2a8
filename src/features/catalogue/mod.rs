//! Resolving the search's items against the data, and materialising every column a spec can
//! use: the target (id 0), every variant of every referenced variable (composites' arguments
//! included), every dummy column, and the source column of every `regime(...)` (role `base`,
//! never a regressor: workers read it to build the regime indicator).
//!
//! Column ids are dense and stable for a given config and data: they are the ids specs are made
//! of and the column order of the frozen matrix.
//!
//! This module holds the catalogue's types; `resolve` resolves the search's items (with
//! did-you-mean hints) and `materialise` builds the columns.

mod materialise;
mod resolve;

use std::collections::HashMap;

use super::dummies::DummySet;
use super::items::RegimeLevel;
use super::{Transform, VarType};
use crate::config::Config;
use crate::prepare::Prepared;

pub use materialise::build;
pub use resolve::resolve_search;

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

impl FrozenColumn {
    /// A column with no transform, category, sign, dummy set or pretest verdict yet: the
    /// starting point the materialiser fills in for each role.
    pub fn new(name: String, role: Role, base: String, values: Vec<f64>) -> FrozenColumn {
        FrozenColumn {
            name,
            role,
            base,
            transform: None,
            period: 0,
            lag: 0,
            category: None,
            var_type: None,
            sign: 0,
            dummy_set: None,
            full_dummy_set: false,
            values,
            pretest: Pretest::default(),
        }
    }
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

/// The transform periods in force: configured, or the frequency's default.
pub fn periods(config: &Config, prepared: &Prepared) -> Vec<u32> {
    config
        .file
        .search
        .periods
        .clone()
        .unwrap_or_else(|| super::default_periods(prepared.frequency()))
}
