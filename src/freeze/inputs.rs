//! Inputs that cannot be right, refused with the key that says so before anything is written
//! (issue 31): the target (or a copy of it) as a driver, a forced item also in the pool, an
//! item repeated in the pool or in a `one_of` set (each would enumerate the same specs twice),
//! dummy levels that never occur in-sample (an all-zero column fails every spec at the
//! multicollinearity filter), a constant target, and a `cointegration_min_obs` above the
//! number of in-sample observations (the filter could never apply).

use std::collections::BTreeSet;

use super::prepare::{PrepareError, Prepared};
use super::resolve::{ResolvedItem, ResolvedSearch};
use crate::config::Config;
use crate::features::dummies::DummySet;
use crate::store::catalogue::Catalogue;

fn invalid(config: &Config, key: &str, message: String) -> PrepareError {
    PrepareError::Invalid {
        path: config.path.clone(),
        key: key.to_string(),
        message,
    }
}

/// The explicit levels of `set` that never occur in `column` on the rows `fit_rows`: refused
/// (repeated levels too), naming `key`.
pub(super) fn check_dummy_levels(
    config: &Config,
    key: &str,
    set: &DummySet,
    column: &[f64],
    fit_rows: &[usize],
) -> Result<(), PrepareError> {
    let Some(levels) = &set.levels else {
        return Ok(());
    };
    let observed: BTreeSet<i64> = fit_rows
        .iter()
        .map(|&r| column[r])
        .filter(|v| v.is_finite() && v.fract() == 0.0)
        .map(|v| v as i64)
        .collect();
    let mut seen = BTreeSet::new();
    for &level in levels {
        if !seen.insert(level) {
            return Err(invalid(
                config,
                key,
                format!("{}: level {level} is listed twice", set.item_name()),
            ));
        }
        if !observed.contains(&level) {
            let shown: Vec<String> = observed.iter().take(24).map(i64::to_string).collect();
            return Err(invalid(
                config,
                key,
                format!(
                    "{}: level {level} never occurs in column {:?} on an in-sample date (its \
                     levels there: {}), so its dummy would be zero everywhere and every spec \
                     would fail at the multicollinearity filter",
                    set.item_name(),
                    set.column,
                    if shown.is_empty() {
                        "none".to_string()
                    } else {
                        shown.join(", ")
                    }
                ),
            ));
        }
    }
    Ok(())
}

/// Every item of the search with its config key.
fn keyed(search: &ResolvedSearch) -> Vec<(String, &ResolvedItem)> {
    let mut out = Vec::new();
    for (i, item) in search.forced.iter().enumerate() {
        out.push((format!("search.forced[{i}]"), item));
    }
    for (i, item) in search.pool.iter().enumerate() {
        out.push((format!("search.pool[{i}]"), item));
    }
    for (k, set) in search.one_of.iter().enumerate() {
        for (i, item) in set.iter().enumerate() {
            out.push((format!("search.one_of[{k}][{i}]"), item));
        }
    }
    for (k, set) in search.together.iter().enumerate() {
        for (i, item) in set.iter().enumerate() {
            out.push((format!("search.together[{k}][{i}]"), item));
        }
    }
    out
}

/// The items of the search against each other and the target's column.
pub(super) fn check_items(
    config: &Config,
    prepared: &Prepared,
    search: &ResolvedSearch,
) -> Result<(), PrepareError> {
    let target = config.file.target.column.as_str();
    for (key, item) in keyed(search) {
        let names_target = match item {
            ResolvedItem::Variable(v) => v == target,
            ResolvedItem::Interaction { a, b } => {
                matches!(&**a, ResolvedItem::Variable(v) if v == target)
                    || matches!(&**b, ResolvedItem::Variable(v) if v == target)
            }
            ResolvedItem::Regime { feature, .. } => {
                matches!(&**feature, ResolvedItem::Variable(v) if v == target)
            }
            _ => false,
        };
        if names_target {
            return Err(invalid(
                config,
                &key,
                format!(
                    "{target:?} is the target (target.column): the series a model explains \
                     cannot be one of its drivers; remove it"
                ),
            ));
        }
    }
    for (i, item) in search.pool.iter().enumerate() {
        if let Some(j) = search.forced.iter().position(|f| f == item) {
            return Err(invalid(
                config,
                &format!("search.pool[{i}]"),
                format!(
                    "{:?} is also search.forced[{j}]: a forced item is in every spec already; \
                     remove it from the pool",
                    config.file.search.pool[i]
                ),
            ));
        }
        if let Some(j) = search.pool[..i].iter().position(|p| p == item) {
            return Err(invalid(
                config,
                &format!("search.pool[{i}]"),
                format!(
                    "{:?} is also search.pool[{j}]: every spec with it would be searched twice",
                    config.file.search.pool[i]
                ),
            ));
        }
    }
    for (k, set) in search.one_of.iter().enumerate() {
        for (i, item) in set.iter().enumerate() {
            if let Some(j) = set[..i].iter().position(|p| p == item) {
                return Err(invalid(
                    config,
                    &format!("search.one_of[{k}][{i}]"),
                    format!(
                        "{:?} is also search.one_of[{k}][{j}]: every spec with it would be \
                         searched twice",
                        config.file.search.one_of[k][i]
                    ),
                ));
            }
        }
    }
    let in_sample = prepared.fit_rows().len();
    let min_obs = config.file.filters.cointegration_min_obs;
    if min_obs > in_sample {
        return Err(invalid(
            config,
            "filters.cointegration_min_obs",
            format!(
                "is {min_obs}, more than the {in_sample} in-sample observations: the \
                 cointegration filter would never apply (every model would pass it unchecked); \
                 use at most {in_sample} (default 10)"
            ),
        ));
    }
    Ok(())
}

/// The materialised target against the drivers: a constant target, or a driver equal to it on
/// every in-sample date, is refused.
pub(super) fn check_target(
    config: &Config,
    catalogue: &Catalogue,
    search: &ResolvedSearch,
    fit_rows: &[usize],
) -> Result<(), PrepareError> {
    let Some(target) = catalogue.columns.first() else {
        return Ok(());
    };
    let on_fit = |values: &[f64]| -> Vec<u64> {
        fit_rows
            .iter()
            .map(|&r| values.get(r).copied().unwrap_or(f64::NAN).to_bits())
            .collect()
    };
    let y = on_fit(&target.values);
    let finite: Vec<f64> = y.iter().map(|&b| f64::from_bits(b)).collect();
    if let Some(first) = finite.iter().find(|v| v.is_finite()) {
        if finite.iter().all(|v| !v.is_finite() || v == first) {
            return Err(invalid(
                config,
                "target.column",
                format!(
                    "the target {} is constant ({first}) over the in-sample window: there is \
                     nothing for a model to explain",
                    target.name
                ),
            ));
        }
    }
    for c in catalogue.columns.iter().skip(1) {
        if c.role != crate::spec::FeatureRole::Variant || on_fit(&c.values) != y {
            continue;
        }
        // The item that brought the copy in.
        let key = keyed(search)
            .into_iter()
            .find(|(_, item)| item.base() == Some(c.base.as_str()))
            .map(|(k, _)| k)
            .unwrap_or_else(|| "search".to_string());
        return Err(invalid(
            config,
            &key,
            format!(
                "{} (a variant of {:?}) equals the target {} on every in-sample date: a copy of \
                 the target cannot be a driver; remove {:?}",
                c.name, c.base, target.name, c.base
            ),
        ));
    }
    Ok(())
}
