//! MEV metadata: the CSV that gives each macro-economic variable its type, category,
//! aggregation and expected sign.
//!
//! Format (header required, column order free, `category`, `aggregation` and `sign` optional):
//! `variable,type,category,aggregation,sign` with `type` a type of the type map ([`TypeMap`]:
//! `level`, `rate`, or any type the config's `[transforms]` table maps), `aggregation` ∈
//! {average, sum, end} (default average), `sign` ∈ {+1, 1, +, positive, -1, -, negative, 0, empty},
//! or a number equal to −1, 0 or +1 as a data frame writes it (`-1.0`, `1.0`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Transform;
use crate::data::Aggregation;

/// A variable's type (lowercase): which transforms it gets, through the [`TypeMap`]. `level`
/// (transformed by growth) and `rate` (by difference) always exist; a config may add others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VarType(String);

impl VarType {
    pub fn new(name: &str) -> VarType {
        VarType(name.to_ascii_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The type → transforms map (§2, §9): §2's `level → [LV, GR]`, `rate → [LV, DF]`, with the
/// config's `[transforms]` entries replacing a type's list or adding a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMap {
    by_type: BTreeMap<String, Vec<Transform>>,
}

impl Default for TypeMap {
    fn default() -> Self {
        TypeMap {
            by_type: BTreeMap::from([
                ("level".to_string(), vec![Transform::Lv, Transform::Gr]),
                ("rate".to_string(), vec![Transform::Lv, Transform::Df]),
            ]),
        }
    }
}

impl TypeMap {
    /// §2's map with `configured` entries (type names compared in lowercase) on top.
    pub fn with(configured: Option<&BTreeMap<String, Vec<Transform>>>) -> TypeMap {
        let mut map = TypeMap::default();
        for (name, transforms) in configured.into_iter().flatten() {
            map.by_type
                .insert(name.to_ascii_lowercase(), transforms.clone());
        }
        map
    }

    /// The transforms of a type, in map order.
    pub fn transforms(&self, var_type: &str) -> Option<&[Transform]> {
        self.by_type.get(var_type).map(Vec::as_slice)
    }

    /// The type names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.by_type.keys().map(String::as_str).collect()
    }

    /// Whether some type uses a rolling transform (then `search.windows` matters).
    pub fn uses_windows(&self) -> bool {
        self.by_type.values().flatten().any(|t| t.uses_window())
    }
}

/// Metadata of one MEV.
#[derive(Debug, Clone, PartialEq)]
pub struct MevMeta {
    pub variable: String,
    pub var_type: VarType,
    pub category: Option<String>,
    pub aggregation: Aggregation,
    /// Expected coefficient sign: −1, 0 (none) or +1.
    pub sign: i8,
}

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("cannot read metadata file {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}: the header has no `{column}` column (expected variable,type,category,aggregation,sign)")]
    MissingColumn { path: PathBuf, column: &'static str },
    #[error(
        "{path}, line 1: unknown column `{column}`{hint}; the accepted columns are {accepted} \
         (a misspelt column would silently drop what it holds, so it is refused)"
    )]
    UnknownColumn {
        path: PathBuf,
        column: String,
        /// ` (did you mean `category`?)` or empty.
        hint: String,
        accepted: String,
    },
    #[error("{path}, line 1: column `{column}` appears twice; keep one")]
    DuplicateColumn { path: PathBuf, column: String },
    #[error("{path}, line {line}, column `{column}`: {message}")]
    Value {
        path: PathBuf,
        line: u64,
        column: &'static str,
        message: String,
    },
}

/// All metadata rows by variable name.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub path: PathBuf,
    pub by_variable: BTreeMap<String, MevMeta>,
}

impl Metadata {
    pub fn get(&self, variable: &str) -> Option<&MevMeta> {
        self.by_variable.get(variable)
    }

    pub fn aggregation(&self, variable: &str) -> Aggregation {
        self.get(variable)
            .map(|m| m.aggregation)
            .unwrap_or_default()
    }
}

/// The columns a metadata file may have.
pub const COLUMNS: [&str; 5] = ["variable", "type", "category", "aggregation", "sign"];

/// Refuses unknown and repeated header columns (case-insensitive), with a hint for a near miss.
fn check_header(path: &Path, headers: &csv::StringRecord) -> Result<(), MetadataError> {
    let mut seen: Vec<String> = Vec::new();
    for h in headers.iter() {
        let name = h.trim().to_ascii_lowercase();
        if !COLUMNS.contains(&name.as_str()) {
            let hint = COLUMNS
                .iter()
                .map(|c| (strsim::osa_distance(&name, c), c))
                .filter(|(d, _)| *d <= 2)
                .min()
                .map(|(_, c)| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            return Err(MetadataError::UnknownColumn {
                path: path.to_path_buf(),
                column: h.trim().to_string(),
                hint,
                accepted: COLUMNS.join(", "),
            });
        }
        if seen.contains(&name) {
            return Err(MetadataError::DuplicateColumn {
                path: path.to_path_buf(),
                column: h.trim().to_string(),
            });
        }
        seen.push(name);
    }
    Ok(())
}

/// A sign written as a number the way a data frame writes it (`-1.0`, `1.0`, `+1.0`, `0.0`):
/// exactly −1, 0 or +1, anything else is not a sign.
fn numeric_sign(text: &str) -> Option<i8> {
    let value: f64 = text.replace('\u{2212}', "-").parse().ok()?;
    if value == 1.0 {
        Some(1)
    } else if value == -1.0 {
        Some(-1)
    } else if value == 0.0 {
        Some(0)
    } else {
        None
    }
}

/// Reads and validates a metadata CSV with §2's type map; also the sha256 (hex) of the file's
/// bytes, hashed from the one read.
pub fn load_metadata(path: &Path) -> Result<(Metadata, String), MetadataError> {
    load_metadata_typed(path, &TypeMap::default())
}

/// Reads and validates a metadata CSV whose types are those of `types`.
pub fn load_metadata_typed(
    path: &Path,
    types: &TypeMap,
) -> Result<(Metadata, String), MetadataError> {
    use sha2::Digest as _;
    let read_err = |e: &dyn std::fmt::Display| MetadataError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let bytes = std::fs::read(path).map_err(|e| read_err(&e))?;
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let headers = reader.headers().map_err(|e| read_err(&e))?.clone();
    check_header(path, &headers)?;
    let find = |name: &'static str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let col_variable = find("variable").ok_or(MetadataError::MissingColumn {
        path: path.to_path_buf(),
        column: "variable",
    })?;
    let col_type = find("type").ok_or(MetadataError::MissingColumn {
        path: path.to_path_buf(),
        column: "type",
    })?;
    let col_category = find("category");
    let col_aggregation = find("aggregation");
    let col_sign = find("sign");

    let mut by_variable = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| read_err(&e))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let value_err = |column: &'static str, message: String| MetadataError::Value {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
        let variable = field(Some(col_variable)).to_string();
        if variable.is_empty() {
            return Err(value_err("variable", "is empty".into()));
        }
        let var_type = VarType::new(field(Some(col_type)));
        if types.transforms(var_type.as_str()).is_none() {
            let known: Vec<String> = types.names().iter().map(|n| format!("`{n}`")).collect();
            return Err(value_err(
                "type",
                format!(
                    "unknown type {:?} for {variable}: use {} or map the type to its \
                     transforms in the config's [transforms] table",
                    var_type.as_str(),
                    known.join(", ")
                ),
            ));
        }
        let category = Some(field(col_category).to_string()).filter(|c| !c.is_empty());
        let aggregation = match field(col_aggregation).to_ascii_lowercase().as_str() {
            "" | "average" | "mean" => Aggregation::Average,
            "sum" => Aggregation::Sum,
            "end" | "last" => Aggregation::End,
            other => {
                return Err(value_err(
                    "aggregation",
                    format!("unknown aggregation {other:?}: use average, sum or end"),
                ))
            }
        };
        let sign = match field(col_sign).to_ascii_lowercase().as_str() {
            "" | "0" | "none" => 0,
            "1" | "+1" | "+" | "positive" => 1,
            // U+2212 (the minus sign of typeset text) as well as the ASCII hyphen.
            "-1" | "-" | "negative" | "\u{2212}1" | "\u{2212}" => -1,
            other => match numeric_sign(other) {
                Some(sign) => sign,
                None => {
                    return Err(value_err(
                        "sign",
                        format!("unknown sign {other:?}: use +1, -1 or leave empty"),
                    ))
                }
            },
        };
        let meta = MevMeta {
            variable: variable.clone(),
            var_type,
            category,
            aggregation,
            sign,
        };
        if by_variable.insert(variable.clone(), meta).is_some() {
            return Err(value_err("variable", format!("{variable} is listed twice")));
        }
    }
    Ok((
        Metadata {
            path: path.to_path_buf(),
            by_variable,
        },
        sha256,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(rows: &str) -> Result<Metadata, MetadataError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metadata.csv");
        std::fs::write(&path, format!("variable,type,sign\n{rows}")).unwrap();
        load_metadata(&path).map(|(m, _)| m)
    }

    #[test]
    fn signs_are_read_in_every_spelling_a_person_writes_including_the_unicode_minus() {
        let cases = [
            ("+1", 1),
            ("1", 1),
            ("+", 1),
            ("positive", 1),
            ("Positive", 1),
            ("-1", -1),
            ("-", -1),
            ("negative", -1),
            ("NEGATIVE", -1),
            // U+2212 MINUS SIGN, as typeset documents (and this README once) write it.
            ("\u{2212}1", -1),
            ("\u{2212}", -1),
            ("0", 0),
            ("", 0),
            ("none", 0),
            (" -1 ", -1),
        ];
        let rows: String = cases
            .iter()
            .enumerate()
            .map(|(i, (sign, _))| format!("v{i},rate,{sign}\n"))
            .collect();
        let meta = load(&rows).unwrap();
        for (i, (sign, expected)) in cases.iter().enumerate() {
            assert_eq!(
                meta.get(&format!("v{i}")).unwrap().sign,
                *expected,
                "{sign:?}"
            );
        }
    }

    #[test]
    fn signs_written_as_numbers_by_pandas_are_read() {
        let cases = [
            ("-1.0", -1),
            ("1.0", 1),
            ("+1.0", 1),
            ("0.0", 0),
            ("-0.0", 0),
            ("1.00", 1),
            ("\u{2212}1.0", -1),
        ];
        let rows: String = cases
            .iter()
            .enumerate()
            .map(|(i, (sign, _))| format!("v{i},rate,{sign}\n"))
            .collect();
        let meta = load(&rows).unwrap();
        for (i, (sign, expected)) in cases.iter().enumerate() {
            assert_eq!(
                meta.get(&format!("v{i}")).unwrap().sign,
                *expected,
                "{sign:?}"
            );
        }
        for bad in ["0.5", "2.0", "-1.5", "nan", "inf"] {
            let err = load(&format!("a,rate,{bad}\n")).unwrap_err().to_string();
            assert!(err.contains("column `sign`") && err.contains(bad), "{err}");
        }
    }

    #[test]
    fn an_unknown_sign_names_the_line_and_column() {
        let err = load("a,rate,+1\nb,rate,up\n").unwrap_err().to_string();
        assert!(
            err.contains("line 3, column `sign`") && err.contains("\"up\""),
            "{err}"
        );
    }
}
