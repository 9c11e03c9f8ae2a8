//! The regime rule (see the `plan` module docs): a `regime` and a standalone variant of the same
//! base variable never share a spec; pool regimes merge into their base variable's entry, every
//! other meeting is a configuration error.

use std::collections::HashMap;

use super::{PlanError, Planner};
use crate::freeze::resolve::{ResolvedItem, ResolvedSearch};
use crate::spec::FeatureRole;

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

/// Applies the regime rule (the `plan` module docs): returns the pool merges `(regime pool
/// index, base variable's pool index)`, or the configuration error naming both keys.
pub(super) fn regime_merges(
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
                        col.role == FeatureRole::Variant
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
