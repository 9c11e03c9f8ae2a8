//! The element of each resolved item: its name and its surviving (pretest-kept) variants, its
//! category, and why an item ended up without any variant.

use super::Planner;
use crate::freeze::resolve::ResolvedItem;
use crate::spec::Element;
use crate::spec::FeatureRole;

impl Planner<'_> {
    fn kept(&self, id: u32) -> bool {
        self.catalogue.columns[id as usize].pretest.kept
    }

    /// Surviving column ids of a composite's argument (a variable or a variant).
    pub(super) fn arg_ids(&self, item: &ResolvedItem) -> Vec<u32> {
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

    /// The element of an item: its name and its surviving variants (possibly none).
    pub(super) fn element(&self, item: &ResolvedItem) -> Element {
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
                        col.role == FeatureRole::Variant
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

    pub(super) fn category(&self, item: &ResolvedItem) -> Option<String> {
        let base = item.base()?;
        self.metadata.get(base).and_then(|m| m.category.clone())
    }

    /// The category a `one_of` member counts toward (rule L of the spec space: the category
    /// limit holds over the whole spec): its variable's, or the category it names.
    pub(super) fn member_category(&self, item: &ResolvedItem) -> Option<String> {
        match item {
            ResolvedItem::Category(c) => Some(c.clone()),
            other => self.category(other),
        }
    }

    pub(super) fn why_empty(&self, item: &ResolvedItem) -> String {
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
