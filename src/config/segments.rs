//! Several searches in one file: `[[segment]]` tables sharing the top-level `[data]` and
//! `[run]`.
//!
//! A bank searches many segments at once (deposits by product, fee income, losses by
//! portfolio) on the same macro data, each with its own target, sample, forced items and pool.
//! Every segment becomes a [`Config`] of today's shape: the top-level tables are the defaults,
//! and a segment's table replaces them key by key (`[segment.search] pool = …` replaces the
//! shared pool and keeps the shared `max_lag`). Its `[run]` keys override the shared runtime
//! knobs for that segment only. `[data]` is shared and cannot be set per segment.
//!
//! A file without `[[segment]]` is one search, read exactly as before (same hash, same run).

use std::path::Path;

use super::{Config, ConfigError, ConfigFile};

/// Which segment of a file a [`Config`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentId {
    pub name: String,
    /// Position among the file's `[[segment]]` tables (0-based).
    pub index: usize,
}

impl Config {
    /// Every search of a config file: one per `[[segment]]` table, in file order, or the file
    /// itself when it has none.
    pub fn load_all(path: &Path) -> Result<Vec<Config>, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse_all(path, &text)
    }

    /// [`Config::load_all`] on text read from `path`.
    pub fn parse_all(path: &Path, text: &str) -> Result<Vec<Config>, ConfigError> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let Some(segments) = doc.get("segment") else {
            return Ok(vec![Config::parse_one(path, text)?]);
        };
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.to_string(),
            message,
        };
        let tables = match segments {
            toml::Value::Array(t) if !t.is_empty() => t,
            _ => {
                return Err(invalid(
                    "segment",
                    "must be one or more [[segment]] tables, each with a name".into(),
                ))
            }
        };
        let mut shared = doc.clone();
        shared.remove("segment");
        let text: std::sync::Arc<str> = text.into();
        let mut configs: Vec<Config> = Vec::with_capacity(tables.len());
        for (index, table) in tables.iter().enumerate() {
            let key = |k: &str| format!("segment[{index}].{k}");
            let toml::Value::Table(table) = table else {
                return Err(invalid(
                    &format!("segment[{index}]"),
                    "must be a table".into(),
                ));
            };
            let name = match table.get("name") {
                Some(toml::Value::String(n)) => n.clone(),
                _ => {
                    return Err(invalid(
                        &key("name"),
                        "every segment needs a name, e.g. name = \"deposits\"".into(),
                    ))
                }
            };
            check_name(&name).map_err(|m| invalid(&key("name"), m))?;
            if let Some(first) = configs
                .iter()
                .filter_map(|c| c.segment.as_ref())
                .find(|s| s.name.eq_ignore_ascii_case(&name))
            {
                return Err(invalid(
                    &key("name"),
                    format!(
                        "`{name}` is also the name of segment[{}]{}: segment names must be \
                         unique, also ignoring case (each is a run and a directory of the \
                         workspace, and `Retail` and `retail` are one directory on macOS and \
                         Windows file systems)",
                        first.index,
                        if first.name == name {
                            String::new()
                        } else {
                            format!(" (`{}`)", first.name)
                        }
                    ),
                ));
            }
            let segment_error = |key: &str, message: String| ConfigError::SegmentInvalid {
                path: path.to_path_buf(),
                segment: name.clone(),
                key: key.to_string(),
                message,
            };
            let mut merged = shared.clone();
            for (k, v) in table {
                match (k.as_str(), v) {
                    ("name", _) => {}
                    ("data", _) => {
                        return Err(segment_error(
                            "data",
                            "segments share the top-level [data]; give the segment its own \
                             [target] (a column of the shared target table) instead"
                                .into(),
                        ))
                    }
                    (_, toml::Value::Table(overrides)) => match merged.get_mut(k) {
                        Some(toml::Value::Table(base)) => {
                            for (kk, vv) in overrides {
                                base.insert(kk.clone(), vv.clone());
                            }
                        }
                        _ => {
                            merged.insert(k.clone(), v.clone());
                        }
                    },
                    _ => {
                        return Err(segment_error(
                            k,
                            "must be a table (e.g. [segment.search] after the segment's \
                             [[segment]] line)"
                                .into(),
                        ))
                    }
                }
            }
            if let Some(toml::Value::Table(run)) = table.get("run") {
                conflicting_knobs(run).map_err(|(k, m)| segment_error(k, m))?;
            }
            let file =
                ConfigFile::deserialize_table(merged).map_err(|e| ConfigError::SegmentParse {
                    path: path.to_path_buf(),
                    segment: name.clone(),
                    message: e,
                })?;
            let config = Config::from_file(
                path,
                text.clone(),
                file,
                Some(SegmentId {
                    name: name.clone(),
                    index,
                }),
            );
            config.validate().map_err(|e| match e {
                ConfigError::Invalid { key, message, .. } => segment_error(&key, message),
                other => other,
            })?;
            configs.push(config);
        }
        Ok(configs)
    }

    /// The one search of `path`, or its segment `segment`: a file with several segments needs
    /// the name (the error lists them).
    pub fn load_segment(path: &Path, segment: Option<&str>) -> Result<Config, ConfigError> {
        let all = Config::load_all(path)?;
        let mut picked = select(path, all, segment.map(|s| vec![s.to_string()]))?;
        match picked.len() {
            1 => Ok(picked.remove(0)),
            _ => Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                key: "segment".into(),
                message: format!(
                    "the file has {} segments ({}): choose one with --segment NAME",
                    picked.len(),
                    names(&picked)
                ),
            }),
        }
    }

    /// The segment's name, if this search is a `[[segment]]` of its file.
    pub fn segment_name(&self) -> Option<&str> {
        self.segment.as_ref().map(|s| s.name.as_str())
    }
}

/// The searches of `configs` named in `wanted` (all of them when `None`), in file order; an
/// unknown name is an error listing the known ones.
pub fn select(
    path: &Path,
    configs: Vec<Config>,
    wanted: Option<Vec<String>>,
) -> Result<Vec<Config>, ConfigError> {
    let Some(wanted) = wanted.filter(|w| !w.is_empty()) else {
        return Ok(configs);
    };
    for w in &wanted {
        if !configs.iter().any(|c| c.segment_name() == Some(w.as_str())) {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                key: "segment".into(),
                message: if configs.iter().all(|c| c.segment.is_none()) {
                    format!("--segment {w}: the file has no [[segment]] tables")
                } else {
                    format!(
                        "--segment {w}: no such segment; the file has {}",
                        names(&configs)
                    )
                },
            });
        }
    }
    Ok(configs
        .into_iter()
        .filter(|c| {
            c.segment_name()
                .is_some_and(|n| wanted.iter().any(|w| w == n))
        })
        .collect())
}

fn names(configs: &[Config]) -> String {
    configs
        .iter()
        .filter_map(|c| c.segment_name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A segment name is a run name stem and a directory name: letters, digits, `_`, `-`, `.`.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?}: a segment name is 1–64 letters, digits, '_', '-' or '.' (not leading), \
             e.g. \"deposits_retail\""
        ))
    }
}

/// Knobs of one segment's `[run]` that contradict each other.
fn conflicting_knobs(run: &toml::Table) -> Result<(), (&'static str, String)> {
    let executor = run.get("executor").and_then(|v| v.as_str());
    let workers = run.get("workers").and_then(|v| v.as_integer());
    if executor == Some("serial") && workers.is_some_and(|w| w != 1) {
        return Err((
            "run.workers",
            format!(
                "is {} but run.executor is \"serial\" (one evaluator in the coordinator): drop \
                 one of the two",
                workers.unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

impl ConfigFile {
    fn deserialize_table(table: toml::Table) -> Result<ConfigFile, String> {
        use serde::Deserialize;
        ConfigFile::deserialize(toml::Value::Table(table))
            .map_err(|e| e.to_string().trim_end().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHARED: &str = r#"
[data]
target_table = { path = "t.csv" }
metadata = "m.csv"

[sample]
in_start = "2005-01-31"
in_end = "2019-12-31"

[search]
forced = ["dummies(M)"]
pool = ["a", "b"]
max_lag = 2

[run]
workers = 3
"#;

    fn parse(text: &str) -> Result<Vec<Config>, ConfigError> {
        Config::parse_all(Path::new("/x/search.toml"), text)
    }

    #[test]
    fn a_segment_replaces_the_shared_tables_key_by_key() {
        let text = format!(
            "{SHARED}\n[[segment]]\nname = \"deposits\"\n[segment.target]\ncolumn = \"dep\"\n\
             [segment.search]\npool = [\"c\"]\n[segment.run]\nbatch_size = 7\n\n\
             [[segment]]\nname = \"fees\"\n[segment.target]\ncolumn = \"fee\"\n"
        );
        let all = parse(&text).unwrap();
        assert_eq!(all.len(), 2);
        let (dep, fee) = (&all[0].file, &all[1].file);
        assert_eq!(dep.target.column, "dep");
        assert_eq!(dep.search.pool, vec!["c"]);
        // Shared keys the segment does not set stay.
        assert_eq!(dep.search.max_lag, 2);
        assert_eq!(dep.search.forced, vec!["dummies(M)"]);
        assert_eq!((dep.run.workers, dep.run.batch_size), (3, 7));
        assert_eq!(fee.search.pool, vec!["a", "b"]);
        assert_eq!(
            fee.run.batch_size,
            super::super::RunConfig::default().batch_size
        );
        assert_eq!(all[1].segment_name(), Some("fees"));
        assert_eq!(all[1].segment.as_ref().unwrap().index, 1);
        // Segments are distinct searches even when everything else is equal.
        assert_ne!(all[0].search_hash(), all[1].search_hash());
    }

    #[test]
    fn a_file_without_segments_hashes_as_before() {
        let text = format!("{SHARED}\n[target]\ncolumn = \"y\"\n");
        let all = parse(&text).unwrap();
        assert_eq!(all.len(), 1);
        assert!(all[0].segment.is_none());
        // The canonical form without a segment key: the hash of every existing run.
        #[derive(serde::Serialize)]
        struct Before<'a> {
            version: &'a str,
            target: &'a super::super::TargetConfig,
            sample: &'a super::super::SampleConfig,
            search: &'a super::super::SearchConfig,
            filters: &'a crate::assess::FilterThresholds,
        }
        let f = &all[0].file;
        let json = serde_json::to_string(&Before {
            version: super::super::SEARCH_HASH_VERSION,
            target: &f.target,
            sample: &f.sample,
            search: &f.search,
            filters: &f.filters,
        })
        .unwrap();
        use sha2::Digest;
        assert_eq!(
            all[0].search_hash(),
            hex::encode(sha2::Sha256::digest(json.as_bytes()))
        );
    }

    #[test]
    fn bad_segments_name_the_segment_and_the_key() {
        let seg = |name: &str, body: &str| {
            format!("\n[[segment]]\nname = \"{name}\"\n[segment.target]\ncolumn = \"y\"\n{body}")
        };
        let cases = [
            (
                format!("{SHARED}{}{}", seg("a", ""), seg("a", "")),
                vec!["segment[1].name", "segment[0]", "unique"],
            ),
            (
                format!("{SHARED}{}", seg("a", "[segment.search]\nmax_vars = 0\n")),
                vec!["segment `a`", "search.max_vars"],
            ),
            (
                format!(
                    "{SHARED}{}",
                    seg("a", "[segment.data]\nmetadata = \"n.csv\"\n")
                ),
                vec!["segment `a`", "`data`", "share"],
            ),
            (
                format!("{SHARED}{}", seg("a b", "")),
                vec!["segment[0].name", "letters"],
            ),
            (
                format!(
                    "{SHARED}{}",
                    seg("a", "[segment.run]\nexecutor = \"serial\"\nworkers = 2\n")
                ),
                vec!["segment `a`", "run.workers", "serial"],
            ),
            (
                format!("{SHARED}{}", seg("a", "[segment.filters]\nmin_rsq = 0.1\n")),
                vec!["segment `a`", "min_rsq"],
            ),
            (
                format!("segment = 3\n{SHARED}"),
                vec!["`segment`", "[[segment]]"],
            ),
        ];
        for (text, wanted) in cases {
            let err = parse(&text).unwrap_err().to_string();
            for w in wanted {
                assert!(err.contains(w), "{w:?} not in {err}");
            }
        }
    }

    #[test]
    fn one_search_of_several_is_chosen_by_name() {
        let text = format!(
            "{SHARED}\n[[segment]]\nname = \"a\"\n[segment.target]\ncolumn = \"y\"\n\
             [[segment]]\nname = \"b\"\n[segment.target]\ncolumn = \"z\"\n"
        );
        let path = Path::new("/x/search.toml");
        let err = Config::parse(path, &text).unwrap_err().to_string();
        assert!(
            err.contains("2 segments (a, b)") && err.contains("--segment"),
            "{err}"
        );
        let all = Config::parse_all(path, &text).unwrap();
        let b = select(path, all.clone(), Some(vec!["b".into()])).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].file.target.column, "z");
        let err = select(path, all, Some(vec!["c".into()]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no such segment") && err.contains("a, b"),
            "{err}"
        );
    }
}
