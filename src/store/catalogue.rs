//! The catalogue of a frozen bundle: every column a spec can use — the target (id 0), every
//! variant of every referenced variable (composites' arguments included), every dummy column,
//! and the source column of every `regime(...)` (role `base`, never a regressor: workers read it
//! to build the regime indicator) — with its definition and pretest verdicts.
//!
//! Column ids are dense and stable for a given config and data: they are the ids specs are made
//! of and the column order of the frozen matrix. The freeze step (`freeze::materialise`) builds
//! the catalogue; the store persists it.

use std::collections::HashMap;

use crate::features::{Transform, VarType};
use crate::spec::FeatureRole;

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
    pub role: FeatureRole,
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
    pub fn new(name: String, role: FeatureRole, base: String, values: Vec<f64>) -> FrozenColumn {
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

/// All frozen columns; a column's id is its index.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub columns: Vec<FrozenColumn>,
    /// Every `dummies(...)` item and its column ids, in first-reference order.
    pub dummy_sets: Vec<(String, Vec<u32>)>,
    by_name: HashMap<String, u32>,
}

impl Catalogue {
    /// A catalogue of `columns` (ids = positions); `Err(name)` when two columns share a name.
    pub fn new(
        columns: Vec<FrozenColumn>,
        dummy_sets: Vec<(String, Vec<u32>)>,
    ) -> Result<Catalogue, String> {
        let mut by_name = HashMap::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            if by_name.insert(c.name.clone(), i as u32).is_some() {
                return Err(c.name.clone());
            }
        }
        Ok(Catalogue {
            columns,
            dummy_sets,
            by_name,
        })
    }

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
            .position(|c| c.role == FeatureRole::Base && c.name == column)
            .map(|i| i as u32)
    }

    /// Ids of the variant columns of a base variable, in variant order.
    pub fn variants_of(&self, base: &str) -> Vec<u32> {
        (0..self.columns.len() as u32)
            .filter(|&i| {
                let c = &self.columns[i as usize];
                c.role == FeatureRole::Variant && c.base == base
            })
            .collect()
    }
}
