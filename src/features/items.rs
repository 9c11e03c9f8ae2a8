//! The item grammar of `search.forced`, `search.pool`, `search.one_of` and `search.together`.
//!
//! An item is either a name (a variable, one of its variant names such as `unemp_QQDF_L1`, or,
//! inside `one_of`, a category) or `dummies(COLUMN)` / `dummies(COLUMN, [levels])`.

use super::dummies::DummySet;

/// A parsed item, before it is resolved against the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRef {
    Name(String),
    Dummies(DummySet),
}

/// Parses one item string; the error says what is wrong, the caller adds the config key.
pub fn parse_item(text: &str) -> Result<ItemRef, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("is an empty item".into());
    }
    if let Some(rest) = t.strip_prefix("dummies") {
        let inner = rest
            .trim()
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| format!("{t:?}: write dummies(M) or dummies(M, [2,3])"))?;
        let (column, levels) = match inner.split_once(',') {
            None => (inner.trim(), None),
            Some((column, levels)) => {
                let list = levels
                    .trim()
                    .strip_prefix('[')
                    .and_then(|l| l.strip_suffix(']'))
                    .ok_or_else(|| format!("{t:?}: levels must be a list like [2,3]"))?;
                let mut parsed = Vec::new();
                for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let v: i64 = part
                        .parse()
                        .map_err(|_| format!("{t:?}: level {part:?} is not an integer"))?;
                    if parsed.contains(&v) {
                        return Err(format!("{t:?}: level {v} is listed twice"));
                    }
                    parsed.push(v);
                }
                if parsed.is_empty() {
                    return Err(format!("{t:?}: the level list is empty"));
                }
                (column.trim(), Some(parsed))
            }
        };
        if column.is_empty() {
            return Err(format!("{t:?}: name the column, e.g. dummies(M)"));
        }
        return Ok(ItemRef::Dummies(DummySet {
            column: column.to_string(),
            levels,
        }));
    }
    if t.contains(['(', ')', '[', ']', ',', ' ']) {
        return Err(format!(
            "{t:?} is not a variable name, a variant name or dummies(...)"
        ));
    }
    Ok(ItemRef::Name(t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_dummies() {
        assert_eq!(
            parse_item(" unemp ").unwrap(),
            ItemRef::Name("unemp".into())
        );
        assert_eq!(
            parse_item("dummies(M)").unwrap(),
            ItemRef::Dummies(DummySet {
                column: "M".into(),
                levels: None
            })
        );
        assert_eq!(
            parse_item("dummies(Q, [2, 4])").unwrap(),
            ItemRef::Dummies(DummySet {
                column: "Q".into(),
                levels: Some(vec![2, 4])
            })
        );
        assert!(parse_item("dummies(M, [2,2])").is_err());
        assert!(parse_item("dummies M").is_err());
        assert!(parse_item("a b").is_err());
        assert!(parse_item("").is_err());
    }
}
