//! Indicator (dummy) columns: `dummies(M)`, `dummies(Q)`, `dummies(M, [2,3,4])`, or dummies of any
//! integer-valued column of the panel.
//!
//! Columns are named `<column>:<level>`. Levels are the given categories, or every level
//! observed in-sample; the first level is dropped only when no categories are given, so the set
//! is complete (`M:2..M:12`) and is tested jointly. A partial set keeps every listed level and
//! is tested coefficient by coefficient.

/// A parsed `dummies(...)` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DummySet {
    pub column: String,
    /// Explicit levels, or `None` for "all observed, first dropped".
    pub levels: Option<Vec<i64>>,
}

impl DummySet {
    /// Canonical item text, used as the set's element name.
    pub fn item_name(&self) -> String {
        match &self.levels {
            None => format!("dummies({})", self.column),
            Some(levels) => {
                let l: Vec<String> = levels.iter().map(|v| v.to_string()).collect();
                format!("dummies({}, [{}])", self.column, l.join(","))
            }
        }
    }

    /// Whether the set is complete and therefore tested jointly by the group F-test.
    pub fn is_full(&self) -> bool {
        self.levels.is_none()
    }

    /// The levels this set produces, given the column's in-sample values.
    pub fn resolve_levels(&self, in_sample: &[f64]) -> Result<Vec<i64>, String> {
        if let Some(levels) = &self.levels {
            return Ok(levels.clone());
        }
        let mut observed: Vec<i64> = Vec::new();
        for &v in in_sample {
            if !v.is_finite() || v.fract() != 0.0 {
                return Err(format!(
                    "dummies({}) needs an integer-valued column, found {v}",
                    self.column
                ));
            }
            observed.push(v as i64);
        }
        observed.sort_unstable();
        observed.dedup();
        if observed.len() < 2 {
            return Err(format!(
                "dummies({}) needs at least two observed levels in-sample",
                self.column
            ));
        }
        observed.remove(0);
        Ok(observed)
    }
}

/// Name of one dummy column.
pub fn dummy_name(column: &str, level: i64) -> String {
    format!("{column}:{level}")
}

/// `1[x = level]`, NaN where `x` is missing.
pub fn indicator(x: &[f64], level: i64) -> Vec<f64> {
    x.iter()
        .map(|&v| {
            if v.is_nan() {
                f64::NAN
            } else if v == level as f64 {
                1.0
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_set_drops_first_observed_level() {
        let months: Vec<f64> = (0..24).map(|i| (i % 12 + 1) as f64).collect();
        let set = DummySet {
            column: "M".into(),
            levels: None,
        };
        assert_eq!(
            set.resolve_levels(&months).unwrap(),
            (2..=12).collect::<Vec<_>>()
        );
        assert!(set.is_full());
        let partial = DummySet {
            column: "M".into(),
            levels: Some(vec![2, 3]),
        };
        assert_eq!(partial.resolve_levels(&months).unwrap(), vec![2, 3]);
        assert_eq!(partial.item_name(), "dummies(M, [2,3])");
        assert_eq!(indicator(&[1.0, 2.0, f64::NAN], 2)[..2], [0.0, 1.0]);
    }
}
