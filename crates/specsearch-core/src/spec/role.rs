//! The role of a feature (a column of the store's catalogue): what it is and how a spec may use
//! it. The lowercase names are stored (the catalogue's `role` column, bundle hashes, replayed
//! rows), so they are part of the store format and must never change.

use serde::{Deserialize, Serialize};

/// What a column of the store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureRole {
    /// The series being modelled (column id 0 of a frozen bundle); never a regressor.
    Target,
    /// One variant (transform, lag, period) of a variable the config references; a regressor.
    Variant,
    /// A dummy column (month, quarter or other indicator) built from a source column; a
    /// regressor, alone or as part of a dummy set.
    Dummy,
    /// A panel column a `regime(...)` reads, never a regressor: workers read it to build the
    /// regime indicator.
    Base,
    /// A feature built per spec by workers from frozen columns (e.g. an interaction), not in
    /// the frozen bundle; the coordinator replays those that passed models depend on into the
    /// store after the run.
    Composite,
}

impl FeatureRole {
    /// Every role, in declaration order.
    pub const ALL: [FeatureRole; 5] = [
        FeatureRole::Target,
        FeatureRole::Variant,
        FeatureRole::Dummy,
        FeatureRole::Base,
        FeatureRole::Composite,
    ];

    /// The stored name: `target`, `variant`, `dummy`, `base` or `composite` (also the serde
    /// form).
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureRole::Target => "target",
            FeatureRole::Variant => "variant",
            FeatureRole::Dummy => "dummy",
            FeatureRole::Base => "base",
            FeatureRole::Composite => "composite",
        }
    }

    /// The role of a stored name ([`FeatureRole::as_str`]); `None` for anything else
    /// (matching is exact: `Target` is not a role name).
    pub fn parse(name: &str) -> Option<FeatureRole> {
        match name {
            "target" => Some(FeatureRole::Target),
            "variant" => Some(FeatureRole::Variant),
            "dummy" => Some(FeatureRole::Dummy),
            "base" => Some(FeatureRole::Base),
            "composite" => Some(FeatureRole::Composite),
            _ => None,
        }
    }
}

impl std::fmt::Display for FeatureRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::FeatureRole;

    #[test]
    fn role_names_round_trip() {
        let names: Vec<&str> = FeatureRole::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names, ["target", "variant", "dummy", "base", "composite"]);
        for r in FeatureRole::ALL {
            assert_eq!(FeatureRole::parse(r.as_str()), Some(r));
            assert_eq!(r.to_string(), r.as_str());
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<FeatureRole>(&json).unwrap(), r);
        }
        for bad in ["", "Target", "TARGET", " target", "regressor"] {
            assert_eq!(FeatureRole::parse(bad), None, "{bad:?}");
        }
        assert!(serde_json::from_str::<FeatureRole>("\"Target\"").is_err());
    }
}
