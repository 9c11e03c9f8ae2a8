//! Passed models with the same fit: in-sample fitted values equal to [`SAME_FIT_TOLERANCE`]
//! relative to the larger of 1 and the largest |fitted value| (e.g. the same series under two
//! names, or a regime whose indicator is always on). They are different specs, so dedup by
//! spec key keeps both; `top` and the report say "same fit as rank N".

use anyhow::{anyhow, Result};

use crate::journal::ModelCoefficients;
use crate::session::Session;

/// Largest relative difference of two fits that are the same.
pub const SAME_FIT_TOLERANCE: f64 = 1e-12;

/// (spec index, lowest spec index of its group) of every model whose in-sample fit equals
/// another's, from the journaled coefficients and the session's data.
pub fn same_fit_groups(session: &Session, models: &[ModelCoefficients]) -> Result<Vec<(u64, u64)>> {
    let b = &session.built.bundle;
    let ins = b.sample.in_rows();
    let composite = |name: &str| {
        session
            .plan
            .composites
            .iter()
            .find(|c| c.name == name)
            .map(|c| {
                c.kind
                    .values(|id| &b.catalogue.columns[id as usize].values, b.n_rows())
            })
    };
    let mut cache: std::collections::HashMap<String, Vec<f64>> = Default::default();
    let mut fits: Vec<(u64, Vec<f64>)> = Vec::with_capacity(models.len());
    for m in models {
        let mut fitted = vec![m.params.first().copied().unwrap_or(f64::NAN); ins.len()];
        for (name, beta) in m.param_names.iter().zip(&m.params).skip(1) {
            let x: &[f64] = match b.catalogue.id(name) {
                Some(id) => &b.catalogue.columns[id as usize].values,
                None => {
                    if !cache.contains_key(name) {
                        let v = composite(name).ok_or_else(|| {
                            anyhow!(
                                "spec {}: {name} is not a column of this search",
                                m.spec_index
                            )
                        })?;
                        cache.insert(name.clone(), v);
                    }
                    &cache[name]
                }
            };
            for (f, t) in fitted.iter_mut().zip(ins.clone()) {
                *f += beta * x[t];
            }
        }
        fits.push((m.spec_index, fitted));
    }
    Ok(groups(&fits))
}

/// Groups of equal fits among `fits` ((spec index, fitted values)): each member of a group of
/// two or more with the lowest spec index of the group, in spec order.
pub fn groups(fits: &[(u64, Vec<f64>)]) -> Vec<(u64, u64)> {
    let scale = |v: &[f64]| v.iter().fold(1.0f64, |m, x| m.max(x.abs()));
    // Equal fits have close projections on any fixed direction: sort by one and compare only
    // the models within the bound two equal fits can differ by. (Not the mean: every OLS fit
    // with an intercept has the target's mean, so that would compare every pair.)
    let n = fits.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let weights: Vec<f64> = (0..n as u64)
        .map(|t| {
            let h = t.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
            h as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect();
    let project = |v: &[f64]| v.iter().zip(&weights).map(|(x, w)| x * w).sum::<f64>();
    let largest = fits.iter().map(|(_, v)| scale(v)).fold(1.0f64, f64::max);
    let bound = SAME_FIT_TOLERANCE * largest * weights.iter().map(|w| w.abs()).sum::<f64>();
    let mut order: Vec<(f64, usize)> = fits
        .iter()
        .enumerate()
        .map(|(i, (_, v))| (project(v), i))
        .filter(|(m, _)| m.is_finite())
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut parent: Vec<usize> = (0..fits.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (k, &(proj_a, a)) in order.iter().enumerate() {
        let va = &fits[a].1;
        for &(proj_b, b) in &order[k + 1..] {
            if proj_b - proj_a > bound {
                break;
            }
            let vb = &fits[b].1;
            let same = va.len() == vb.len()
                && va
                    .iter()
                    .zip(vb)
                    .all(|(x, y)| (x - y).abs() <= SAME_FIT_TOLERANCE * scale(va).max(scale(vb)));
            if same {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                // The root is the member with the lowest spec index.
                let (keep, other) = if fits[ra].0 <= fits[rb].0 {
                    (ra, rb)
                } else {
                    (rb, ra)
                };
                parent[other] = keep;
            }
        }
    }
    let mut sizes = vec![0usize; fits.len()];
    for i in 0..fits.len() {
        let r = root(&mut parent, i);
        sizes[r] += 1;
    }
    let mut out: Vec<(u64, u64)> = (0..fits.len())
        .filter_map(|i| {
            let r = root(&mut parent, i);
            (sizes[r] > 1).then(|| (fits[i].0, fits[r].0))
        })
        .collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::groups;

    #[test]
    fn equal_fits_group_under_the_lowest_spec_index() {
        let a = vec![1.0, 2.0, 3.0];
        let a_close = vec![1.0 + 1e-13, 2.0, 3.0 - 1e-13];
        let b = vec![1.0, 2.0, 3.0 + 1e-9];
        let fits = vec![
            (7, a.clone()),
            (3, b.clone()),
            (5, a_close),
            (9, vec![4.0, 4.0, 4.0]),
            (2, a),
        ];
        assert_eq!(groups(&fits), vec![(2, 2), (5, 2), (7, 2)]);
        assert!(groups(&[(1, b.clone()), (2, vec![1.0, 2.0, 3.0])]).is_empty());
        assert_eq!(groups(&[(4, b.clone()), (1, b)]), vec![(1, 1), (4, 1)]);
    }
}
