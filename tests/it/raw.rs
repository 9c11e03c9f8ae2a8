//! Every outcome of a run decoded from the journal's tables here, independently of its views
//! and of the journal crate, so tests can check both against it: the rows of `outcomes` (the
//! run's common prefix, then one character per feature whose code point is the feature id) and
//! the specs of `outcome_blocks` (one code byte per spec: `1 + kind + 9 × covariance`), whose
//! columns follow from the run's recorded plan (docs/semantics.md §4, rule C: the combo with
//! the largest first index not above the spec, each element's variant from the spec's offset
//! by stride and radix, the union of their columns in rule-S rank order).

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;

/// One outcome as the journal's tables hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawOutcome {
    pub spec_index: i64,
    /// 0 passed, 1 filtered, 2 error.
    pub status: i64,
    /// The failed filter's code (1..=7) of a filtered outcome.
    pub failed_test: Option<i64>,
    /// Feature ids in spec order.
    pub features: Vec<i64>,
    /// Kept for rows only (passed and error outcomes, and every outcome of older runs).
    pub r2: Option<f64>,
    pub message: Option<String>,
}

struct Plan {
    /// first_index → [(element_id, radix, stride)], position order.
    combos: BTreeMap<i64, Vec<(i64, i64, i64)>>,
    variants: HashMap<(i64, i64), Vec<i64>>,
    sort_rank: HashMap<i64, i64>,
}

impl Plan {
    fn read(conn: &Connection, run: i64) -> Plan {
        let mut combos: BTreeMap<i64, Vec<(i64, i64, i64)>> = BTreeMap::new();
        let mut stmt = conn
            .prepare(
                "SELECT first_index, element_id, radix, stride FROM plan_combo_elements \
                 WHERE run_id = ?1 ORDER BY first_index, position",
            )
            .unwrap();
        let rows = stmt
            .query_map([run], |r| {
                Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
            })
            .unwrap();
        for row in rows {
            let (first, element): (i64, (i64, i64, i64)) = row.unwrap();
            combos.entry(first).or_default().push(element);
        }
        let mut variants: HashMap<(i64, i64), Vec<i64>> = HashMap::new();
        let mut stmt = conn
            .prepare("SELECT element_id, variant, feature_id FROM plan_variants WHERE run_id = ?1")
            .unwrap();
        let rows = stmt
            .query_map([run], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
            .unwrap();
        for row in rows {
            let (key, feature) = row.unwrap();
            variants.entry(key).or_default().push(feature);
        }
        let sort_rank = conn
            .prepare(
                "SELECT feature_id, sort_rank FROM run_features \
                 WHERE run_id = ?1 AND sort_rank IS NOT NULL",
            )
            .unwrap()
            .query_map([run], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        Plan {
            combos,
            variants,
            sort_rank,
        }
    }

    fn features(&self, index: i64) -> Vec<i64> {
        let (first, elements) = self
            .combos
            .range(..=index)
            .next_back()
            .unwrap_or_else(|| panic!("spec {index} lies in no combo of the plan"));
        let offset = index - first;
        let mut out: Vec<i64> = elements
            .iter()
            .flat_map(|&(element, radix, stride)| {
                self.variants[&(element, (offset / stride) % radix)]
                    .iter()
                    .copied()
            })
            .collect();
        out.sort_by_key(|f| self.sort_rank[f]);
        out.dedup();
        out
    }
}

/// Every outcome of `run`, spec order. Panics if the tables disagree with themselves: a spec
/// twice, or a block's passed or error spec without its row.
pub fn outcomes(conn: &Connection, run: i64) -> Vec<RawOutcome> {
    let prefix: Vec<i64> = conn
        .query_row(
            "SELECT feature_codes FROM run_spec_prefixes WHERE run_id = ?1",
            [run],
            |r| r.get::<_, String>(0),
        )
        .unwrap_or_default()
        .chars()
        .map(|c| c as i64)
        .collect();
    let mut rows: BTreeMap<i64, RawOutcome> = BTreeMap::new();
    let mut stmt = conn
        .prepare(
            "SELECT spec_index, status, failed_test, feature_codes, r2, message FROM outcomes \
             WHERE run_id = ?1",
        )
        .unwrap();
    let found = stmt
        .query_map([run], |r| {
            let codes: String = r.get(3)?;
            Ok(RawOutcome {
                spec_index: r.get(0)?,
                status: r.get(1)?,
                failed_test: r.get(2)?,
                features: prefix
                    .iter()
                    .copied()
                    .chain(codes.chars().map(|c| c as i64))
                    .collect(),
                r2: r.get(4)?,
                message: r.get(5)?,
            })
        })
        .unwrap();
    for o in found {
        let o = o.unwrap();
        rows.insert(o.spec_index, o);
    }
    let mut blocks = conn
        .prepare(
            "SELECT start_index, codes FROM outcome_blocks WHERE run_id = ?1 ORDER BY start_index",
        )
        .unwrap();
    let blocks: Vec<(i64, Vec<u8>)> = blocks
        .query_map([run], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out: BTreeMap<i64, RawOutcome> = BTreeMap::new();
    if !blocks.is_empty() {
        let plan = Plan::read(conn, run);
        for (start, codes) in blocks {
            for (k, &code) in codes.iter().enumerate() {
                let index = start + k as i64;
                assert!((1..=36).contains(&code), "spec {index}: code {code}");
                let kind = i64::from((code - 1) % 9);
                let status = match kind {
                    0 => 0,
                    8 => 2,
                    _ => 1,
                };
                if status != 1 {
                    let row = rows
                        .get(&index)
                        .unwrap_or_else(|| panic!("spec {index}: no row for its block's code"));
                    assert_eq!(row.status, status, "spec {index}: block and row disagree");
                    continue;
                }
                let before = out.insert(
                    index,
                    RawOutcome {
                        spec_index: index,
                        status,
                        failed_test: Some(kind),
                        features: plan.features(index),
                        r2: None,
                        message: None,
                    },
                );
                assert!(before.is_none(), "spec {index} is in two blocks");
            }
        }
    }
    for (index, row) in rows {
        assert!(
            out.insert(index, row).is_none(),
            "spec {index} is both a row and a block's filtered spec"
        );
    }
    out.into_values().collect()
}

/// The outcomes as comparable text lines (`spec status failed features r2 message`).
pub fn lines(conn: &Connection, run: i64) -> Vec<String> {
    outcomes(conn, run)
        .into_iter()
        .map(|o| {
            format!(
                "o {} {} {:?} {:?} {:?} {:?}",
                o.spec_index,
                o.status,
                o.failed_test,
                o.features,
                o.r2.map(f64::to_bits),
                o.message
            )
        })
        .collect()
}

/// Asserts that `outcome_status` lists exactly the outcomes decoded here: the view's SQL
/// derivation of a block's features agrees with this one.
pub fn assert_view_agrees(conn: &Connection, run: i64) {
    let raw: Vec<(i64, i64, Option<i64>, Vec<i64>)> = outcomes(conn, run)
        .into_iter()
        .map(|o| (o.spec_index, o.status, o.failed_test, o.features))
        .collect();
    let mut stmt = conn
        .prepare(
            "SELECT o.spec_index, s.code, t.code, o.feature_ids FROM outcome_status o \
             JOIN outcome_statuses s ON s.name = o.status \
             LEFT JOIN filter_tests t ON t.name = o.failed_test \
             WHERE o.run_id = ?1 ORDER BY o.spec_index",
        )
        .unwrap();
    let view: Vec<(i64, i64, Option<i64>, Vec<i64>)> = stmt
        .query_map([run], |r| {
            let features: String = r.get(3)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                serde_json::from_str(&features).unwrap(),
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        view.len(),
        raw.len(),
        "outcome_status of run {run}: outcome count"
    );
    for (v, r) in view.iter().zip(&raw) {
        assert_eq!(v, r, "outcome_status of run {run}");
    }
}
