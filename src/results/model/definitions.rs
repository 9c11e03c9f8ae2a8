//! The definitions of a spec's features: the journal's names, roles and categories, decoded
//! variant names, and the full catalogue entries of the run's bundle when it is still there.

use anyhow::Result;

use super::FeatureDef;
use crate::journal::RunRow;
use crate::results::OpenJournal;
use crate::spec::FeatureRole;
use crate::store::bundle::BundleReader;

pub(super) fn journal_features(
    j: &OpenJournal,
    run: &RunRow,
    spec_index: u64,
) -> Result<Vec<FeatureDef>> {
    let features = j.journal.spec_features(run.run_id, spec_index)?;
    Ok(features
        .into_iter()
        .map(|f| {
            let mut def = FeatureDef {
                category: f.category,
                ..FeatureDef::new(f.name, f.role, f.base)
            };
            if f.role == FeatureRole::Variant {
                if let Some((t, p, l)) = parse_variant(&def.name, &def.base) {
                    def.transform = Some(t);
                    def.period = Some(p);
                    def.lag = Some(l);
                }
            }
            def
        })
        .collect())
}

/// Decodes `BASE_[MM|QQ]TF[period][_L<lag>]` (see `features::variant_name`): TF any transform
/// of the catalogue (`LV`, `DF`, `GR`, `ABSGR`, `ROLLAVG`, `DEVROLL`), the period (or window)
/// as written.
pub fn parse_variant(name: &str, base: &str) -> Option<(String, i64, i64)> {
    let rest = name.strip_prefix(base)?.strip_prefix('_')?;
    let (body, lag) = match rest.rsplit_once("_L") {
        Some((b, l)) if !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()) => {
            (b, l.parse().ok()?)
        }
        _ => (rest, 0),
    };
    let body = body
        .strip_prefix("MM")
        .or_else(|| body.strip_prefix("QQ"))
        .unwrap_or(body);
    // Longest code first: `ABSGR` before `GR`.
    let mut codes: Vec<crate::features::Transform> = crate::features::Transform::ALL.to_vec();
    codes.sort_by_key(|t| std::cmp::Reverse(t.code().len()));
    let t = codes.into_iter().find(|t| body.starts_with(t.code()))?;
    let transform = t.code();
    let digits = &body[transform.len()..];
    let period = if digits.is_empty() && !t.uses_window() {
        1
    } else if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    let period = if transform == "LV" { 0 } else { period };
    Some((transform.to_string(), period, lag))
}

/// Fills definitions from the run's bundle (the journal's, when it is the one the run used);
/// `false` when there is none.
pub(super) fn bundle_definitions(
    bundle: Option<&BundleReader>,
    features: &mut [FeatureDef],
) -> bool {
    let Some(bundle) = bundle else { return false };
    let names: Vec<&str> = features.iter().map(|f| f.name.as_str()).collect();
    let Ok(defs) = bundle.definitions(&names) else {
        return false;
    };
    for (f, d) in features.iter_mut().zip(defs) {
        if let Some(d) = d {
            f.transform = d.transform;
            f.period = d.period;
            f.lag = d.lag;
            f.category = d.category.or(f.category.take());
            f.expected_sign = d.expected_sign.filter(|&s| s != 0);
            f.full_dummy_set = d.full_dummy_set;
            f.adf_pvalue = d.adf_pvalue;
            f.pp_pvalue = d.pp_pvalue;
            f.stationary = d.stationary;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::parse_variant;

    #[test]
    fn variant_names_decode() {
        let p = |n: &str, b: &str| parse_variant(n, b);
        assert_eq!(p("unemp_LV", "unemp"), Some(("LV".into(), 0, 0)));
        assert_eq!(p("unemp_LV_L2", "unemp"), Some(("LV".into(), 0, 2)));
        assert_eq!(p("hpi_MMDF6_L1", "hpi"), Some(("DF".into(), 6, 1)));
        assert_eq!(p("gdp_QQGR", "gdp"), Some(("GR".into(), 1, 0)));
        assert_eq!(p("a_b_QQGR2_L3", "a_b"), Some(("GR".into(), 2, 3)));
        assert_eq!(p("x_MUL", "x"), None);
    }

    #[test]
    fn catalogue_transforms_decode() {
        let p = |n: &str, b: &str| parse_variant(n, b);
        assert_eq!(p("x_MMABSGR3_L1", "x"), Some(("ABSGR".into(), 3, 1)));
        assert_eq!(p("x_QQABSGR", "x"), Some(("ABSGR".into(), 1, 0)));
        assert_eq!(p("x_QQROLLAVG4", "x"), Some(("ROLLAVG".into(), 4, 0)));
        assert_eq!(p("x_QQDEVROLL4_L2", "x"), Some(("DEVROLL".into(), 4, 2)));
        // A rolling window is always written.
        assert_eq!(p("x_QQROLLAVG", "x"), None);
    }
}
