//! MEV metadata: the CSV that gives each macro-economic variable its type, category,
//! aggregation and expected sign.
//!
//! Format (header required, column order free, `category`, `aggregation` and `sign` optional):
//! `variable,type,category,aggregation,sign` with `type` ∈ {level, rate}, `aggregation` ∈
//! {average, sum, end} (default average), `sign` ∈ {+1, 1, +, positive, -1, -, negative, 0, empty}.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Transform;
use crate::data::Aggregation;

/// Whether a variable is a level (transformed by growth) or a rate (transformed by difference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    Level,
    Rate,
}

impl VarType {
    /// The type map of §2: `level → [LV, GR]`, `rate → [LV, DF]`.
    pub fn transforms(self) -> &'static [Transform] {
        match self {
            VarType::Level => &[Transform::Lv, Transform::Gr],
            VarType::Rate => &[Transform::Lv, Transform::Df],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VarType::Level => "level",
            VarType::Rate => "rate",
        }
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

/// Reads and validates a metadata CSV; also the sha256 (hex) of the file's bytes, hashed from
/// the one read.
pub fn load_metadata(path: &Path) -> Result<(Metadata, String), MetadataError> {
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
        let var_type = match field(Some(col_type)).to_ascii_lowercase().as_str() {
            "level" => VarType::Level,
            "rate" => VarType::Rate,
            other => {
                return Err(value_err(
                    "type",
                    format!("unknown type {other:?} for {variable}: use `level` or `rate`"),
                ))
            }
        };
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
            other => {
                return Err(value_err(
                    "sign",
                    format!("unknown sign {other:?}: use +1, -1 or leave empty"),
                ))
            }
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
    fn an_unknown_sign_names_the_line_and_column() {
        let err = load("a,rate,+1\nb,rate,up\n").unwrap_err().to_string();
        assert!(
            err.contains("line 3, column `sign`") && err.contains("\"up\""),
            "{err}"
        );
    }
}
