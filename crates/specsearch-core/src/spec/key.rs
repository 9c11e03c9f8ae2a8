//! Column order inside a spec (rule S) and the spec key.
//!
//! # Column order
//! Every column id gets a rank once, when the space is built; a spec's columns are emitted in
//! ascending rank. Ranks sort by:
//! 1. class: `QuarterDummy` < `MonthDummy` < `OtherDummy` < `Feature`;
//! 2. dummies (the three dummy classes): the name is split at its **last** `:` into
//!    `(prefix, level)`; prefixes compare bytewise; a name without `:` has no level and sorts
//!    before every name with the same prefix and a level; a level made only of ASCII digits is
//!    numeric and compares by value (leading zeros ignored, any length), numeric levels before
//!    non-numeric ones, non-numeric levels bytewise. So `M:2 < M:3 < … < M:10 < M:12`;
//! 3. features: the name bytewise (`GDP_LV < GDP_LV_L1 < GDP_QQGR`);
//! 4. remaining ties (`M:02` vs `M:2`, or a name repeated in the table): whole name bytewise,
//!    then column id.
//!
//! # Spec key
//! `key = sha256(canonical_text)`, where the canonical text (UTF-8) is
//! ```text
//! specsearch spec key v1\n
//! context <byte length of key_context>\n
//! <key_context>\n
//! columns <number of columns>\n
//! <byte length of name> <name>\n        (one line per column, in spec order)
//! ```
//! Length prefixes make the text unambiguous whatever the names contain (even newlines), and the
//! version line lets a future format coexist with journals keyed by this one.

use std::cmp::Ordering;

use sha2::{Digest, Sha256};

use super::{ColumnClass, ColumnInfo, SpecSpace};

const KEY_HEADER: &str = "specsearch spec key v1\n";

fn class_order(class: ColumnClass) -> u8 {
    match class {
        ColumnClass::QuarterDummy => 0,
        ColumnClass::MonthDummy => 1,
        ColumnClass::OtherDummy => 2,
        ColumnClass::Feature => 3,
    }
}

/// Level of a dummy name, in sort order: none < numeric < text.
#[derive(PartialEq, Eq)]
enum Level<'a> {
    None,
    /// Digits with leading zeros stripped (possibly empty for `0`).
    Numeric(&'a str),
    Text(&'a str),
}

impl Ord for Level<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        use Level::*;
        match (self, other) {
            (None, None) => Ordering::Equal,
            (None, _) => Ordering::Less,
            (_, None) => Ordering::Greater,
            // Numeric comparison of arbitrarily long digit strings: shorter (after stripping
            // leading zeros) is smaller, equal lengths compare bytewise.
            (Numeric(a), Numeric(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Numeric(_), Text(_)) => Ordering::Less,
            (Text(_), Numeric(_)) => Ordering::Greater,
            (Text(a), Text(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Level<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn dummy_key(name: &str) -> (&str, Level<'_>) {
    match name.rfind(':') {
        None => (name, Level::None),
        Some(pos) => {
            let (prefix, level) = (&name[..pos], &name[pos + 1..]);
            if !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit()) {
                (prefix, Level::Numeric(level.trim_start_matches('0')))
            } else {
                (prefix, Level::Text(level))
            }
        }
    }
}

/// Total order of rule S between two columns (column id is the caller's final tie-break).
pub(crate) fn compare_columns(a: &ColumnInfo, b: &ColumnInfo) -> Ordering {
    class_order(a.class)
        .cmp(&class_order(b.class))
        .then_with(|| {
            if a.class == ColumnClass::Feature {
                Ordering::Equal
            } else {
                dummy_key(&a.name).cmp(&dummy_key(&b.name))
            }
        })
        .then_with(|| a.name.as_bytes().cmp(b.name.as_bytes()))
}

/// Rank of every column id under rule S, and its inverse.
#[derive(Debug, Clone)]
pub(crate) struct ColumnOrder {
    pub(crate) columns: Vec<ColumnInfo>,
    /// `rank_of[id]`: position of column `id` in rule-S order.
    pub(crate) rank_of: Vec<u32>,
    /// `id_of[rank]`: inverse of `rank_of`.
    pub(crate) id_of: Vec<u32>,
}

impl ColumnOrder {
    pub(crate) fn new(columns: Vec<ColumnInfo>) -> Self {
        let mut id_of: Vec<u32> = (0..columns.len() as u32).collect();
        id_of.sort_by(|&a, &b| {
            compare_columns(&columns[a as usize], &columns[b as usize]).then(a.cmp(&b))
        });
        let mut rank_of = vec![0u32; columns.len()];
        for (rank, &id) in id_of.iter().enumerate() {
            rank_of[id as usize] = rank as u32;
        }
        Self {
            columns,
            rank_of,
            id_of,
        }
    }

    /// `true` if `ids` is strictly increasing in rank, i.e. already a canonical spec.
    pub(crate) fn is_canonical(&self, ids: &[u32]) -> bool {
        ids.windows(2)
            .all(|w| self.rank_of[w[0] as usize] < self.rank_of[w[1] as usize])
    }

    /// Sorts `ids` into rule-S order and removes repeats.
    pub(crate) fn canonicalize(&self, ids: &mut Vec<u32>) {
        ids.sort_unstable_by_key(|&id| self.rank_of[id as usize]);
        ids.dedup();
    }
}

/// The canonical text of a spec whose column names are given in spec order (see module docs).
pub fn canonical_text<'a>(key_context: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut text = String::from(KEY_HEADER);
    text.push_str(&format!(
        "context {}\n{}\ncolumns {}\n",
        key_context.len(),
        key_context,
        names.len()
    ));
    for name in names {
        text.push_str(&format!("{} {}\n", name.len(), name));
    }
    text
}

/// Incremental hasher of the canonical text: the context part is hashed once per space, then
/// cloned per spec, so a key costs only the column lines.
#[derive(Clone)]
pub(crate) struct KeyHasher {
    prefix: Sha256,
    context: String,
}

impl KeyHasher {
    pub(crate) fn new(key_context: &str) -> Self {
        let mut prefix = Sha256::new();
        prefix.update(KEY_HEADER.as_bytes());
        prefix.update(format!("context {}\n", key_context.len()).as_bytes());
        prefix.update(key_context.as_bytes());
        prefix.update(b"\n");
        Self {
            prefix,
            context: key_context.to_owned(),
        }
    }

    pub(crate) fn context(&self) -> &str {
        &self.context
    }

    /// Hash of the canonical text for columns already in spec order.
    pub(crate) fn key<'a>(&self, names: impl ExactSizeIterator<Item = &'a str>) -> [u8; 32] {
        let mut h = self.prefix.clone();
        h.update(format!("columns {}\n", names.len()).as_bytes());
        let mut line = String::new();
        for name in names {
            line.clear();
            line.push_str(&name.len().to_string());
            line.push(' ');
            line.push_str(name);
            line.push('\n');
            h.update(line.as_bytes());
        }
        h.finalize().into()
    }
}

impl std::fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyHasher")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl SpecSpace {
    /// Spec key: sha256 of the canonical text of `spec_columns` (column ids in any order; they
    /// are put in rule-S order and deduplicated first, so any listing of one model gives one key).
    pub fn key(&self, spec_columns: &[u32]) -> [u8; 32] {
        let order = &self.order;
        let name = |id: &u32| order.columns[*id as usize].name.as_str();
        if order.is_canonical(spec_columns) {
            self.hasher.key(spec_columns.iter().map(name))
        } else {
            let mut ids = spec_columns.to_vec();
            order.canonicalize(&mut ids);
            self.hasher.key(ids.iter().map(name))
        }
    }

    /// [`SpecSpace::key`] as lowercase hex (64 characters), the form stored in the journal.
    pub fn key_hex(&self, spec_columns: &[u32]) -> String {
        hex::encode(self.key(spec_columns))
    }

    /// The canonical text hashed by [`SpecSpace::key`] (for audits and golden tests).
    pub fn canonical_text(&self, spec_columns: &[u32]) -> String {
        let mut ids = spec_columns.to_vec();
        self.order.canonicalize(&mut ids);
        canonical_text(
            self.hasher.context(),
            ids.iter()
                .map(|&id| self.order.columns[id as usize].name.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, class: ColumnClass) -> ColumnInfo {
        ColumnInfo::new(name, class)
    }

    #[test]
    fn dummies_sort_numerically_and_before_features() {
        use ColumnClass::*;
        let cols = vec![
            col("M:10", MonthDummy),
            col("GDP_LV", Feature),
            col("M:2", MonthDummy),
            col("Q:3", QuarterDummy),
            col("covid:on", OtherDummy),
            col("covid:1", OtherDummy),
            col("covid", OtherDummy),
            col("A_LV", Feature),
            col("M:12", MonthDummy),
        ];
        let order = ColumnOrder::new(cols.clone());
        let names: Vec<&str> = order
            .id_of
            .iter()
            .map(|&id| cols[id as usize].name.as_str())
            .collect();
        assert_eq!(
            names,
            ["Q:3", "M:2", "M:10", "M:12", "covid", "covid:1", "covid:on", "A_LV", "GDP_LV"]
        );
    }

    #[test]
    fn incremental_key_matches_canonical_text() {
        let h = KeyHasher::new("target=y\nsample=2000..2020");
        let names = ["M:2", "GDP_LV"];
        let text = canonical_text(h.context(), names);
        let direct: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        assert_eq!(h.key(names.into_iter()), direct);
    }
}
