//! The item grammar of `search.forced`, `search.pool`, `search.one_of` and `search.together`.
//!
//! An item is either a name (a variable, one of its variant names such as `unemp_QQDF_L1`, or,
//! inside `one_of`, a category), `dummies(COLUMN)` / `dummies(COLUMN, [levels])`, or a
//! composite: `interaction(a, b)` (a·b) or `regime(feature, column, on)` (feature · 1[column =
//! on]), whose arguments `a`, `b` and `feature` are variable or variant names.

use super::dummies::DummySet;

/// A parsed item, before it is resolved against the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRef {
    Name(String),
    Dummies(DummySet),
    /// `interaction(a, b)`.
    Interaction(String, String),
    /// `regime(feature, column, on)`.
    Regime {
        feature: String,
        column: String,
        on: RegimeLevel,
    },
}

/// The `on` value of a regime: a finite number, compared bit for bit (so it can be `Eq`).
#[derive(Debug, Clone, Copy)]
pub struct RegimeLevel(pub f64);

impl PartialEq for RegimeLevel {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for RegimeLevel {}

impl RegimeLevel {
    /// Canonical text: an integer without a decimal point (`4`, `-1`), otherwise Rust's
    /// shortest round-trip form (`0.5`).
    pub fn text(self) -> String {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        }
    }
}

/// A plain name argument (no brackets, commas or spaces).
fn plain_name(t: &str, arg: &str, what: &str) -> Result<String, String> {
    let a = arg.trim();
    if a.is_empty() {
        return Err(format!("{t:?}: the {what} is empty"));
    }
    if a.contains(['(', ')', '[', ']', ',', ' ']) {
        return Err(format!(
            "{t:?}: the {what} {a:?} must be a plain variable or variant name"
        ));
    }
    Ok(a.to_string())
}

/// The arguments of `name(...)`, or `None` when `t` is not a call of `name`.
fn call_args<'t>(t: &'t str, name: &str) -> Option<Result<Vec<&'t str>, String>> {
    let rest = t.strip_prefix(name)?;
    let rest = rest.trim_start();
    if !rest.starts_with('(') {
        // `interactions` or `regime_x`: an ordinary name that merely starts like a call.
        return None;
    }
    Some(
        rest.strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .map(|inner| inner.split(',').collect())
            .ok_or_else(|| format!("{t:?}: write {name}(...) with the closing parenthesis last")),
    )
}

fn parse_composite(t: &str) -> Option<Result<ItemRef, String>> {
    if let Some(args) = call_args(t, "interaction") {
        return Some(args.and_then(|args| {
            if args.len() != 2 {
                return Err(format!(
                    "{t:?}: interaction takes two features, e.g. interaction(gdp_QQGR, unemp)"
                ));
            }
            Ok(ItemRef::Interaction(
                plain_name(t, args[0], "first feature")?,
                plain_name(t, args[1], "second feature")?,
            ))
        }));
    }
    if let Some(args) = call_args(t, "regime") {
        return Some(args.and_then(|args| {
            if args.len() != 3 {
                return Err(format!(
                    "{t:?}: regime takes a feature, a column and a value, e.g. regime(gdp, Q, 4)"
                ));
            }
            let on_text = args[2].trim();
            let on: f64 = on_text
                .parse()
                .map_err(|_| format!("{t:?}: the regime value {on_text:?} is not a number"))?;
            if !on.is_finite() {
                return Err(format!(
                    "{t:?}: the regime value {on_text:?} must be a finite number"
                ));
            }
            Ok(ItemRef::Regime {
                feature: plain_name(t, args[0], "feature")?,
                column: plain_name(t, args[1], "column")?,
                on: RegimeLevel(on),
            })
        }));
    }
    None
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
    if let Some(composite) = parse_composite(t) {
        return composite;
    }
    if t.contains(['(', ')', '[', ']', ',', ' ']) {
        return Err(format!(
            "{t:?} is not a variable name, a variant name, dummies(...), interaction(...) or \
             regime(...)"
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

    #[test]
    fn parses_composites() {
        assert_eq!(
            parse_item("interaction( gdp_QQGR , unemp )").unwrap(),
            ItemRef::Interaction("gdp_QQGR".into(), "unemp".into())
        );
        assert_eq!(
            parse_item("regime(gdp, Q, 4)").unwrap(),
            ItemRef::Regime {
                feature: "gdp".into(),
                column: "Q".into(),
                on: RegimeLevel(4.0)
            }
        );
        assert_eq!(RegimeLevel(4.0).text(), "4");
        assert_eq!(RegimeLevel(-1.0).text(), "-1");
        assert_eq!(RegimeLevel(0.5).text(), "0.5");
        assert!(parse_item("interaction(a)").is_err());
        assert!(parse_item("interaction(a, b, c)").is_err());
        assert!(parse_item("interaction(a, dummies(M))").is_err());
        let e = parse_item("regime(gdp, Q, high)").unwrap_err();
        assert!(e.contains("not a number"), "{e}");
        assert!(parse_item("regime(gdp, Q, inf)").is_err());
        assert!(parse_item("regime(gdp, Q)").is_err());
        // A name that only starts like a call is a name.
        assert_eq!(
            parse_item("regime_shift").unwrap(),
            ItemRef::Name("regime_shift".into())
        );
    }
}
