//! Outcomes as workers send them and the journal keeps them (migration 0010): a batch's outcomes
//! as one [`OutcomeBlock`] — one [`OutcomeCode`] byte per spec, the passed and error outcomes in
//! full, and how many specs of each kind hold each feature (so the coordinator never walks a
//! spec's features). Built on the workers' side by a [`BlockBuilder`], which allocates nothing
//! per spec once warm.

use serde::{Deserialize, Serialize};
use specsearch_core::assess::FilterTest;
use specsearch_core::stats::CovType;

use crate::records::OutcomeRecord;
use crate::status::OutcomeStatus;

/// Outcome kinds, as the counters count them: passed, filtered at filter 1..=7, error.
pub const KINDS: usize = 9;

/// The kind slot of an outcome: 0 passed, 1..=7 filtered at that filter, 8 error.
pub fn kind_of(status: OutcomeStatus, failed_test: Option<FilterTest>) -> usize {
    match status {
        OutcomeStatus::Passed => 0,
        OutcomeStatus::Filtered => failed_test.map_or(KINDS - 1, |t| t.code() as usize),
        OutcomeStatus::Error => KINDS - 1,
    }
}

/// (status code, failed filter code or 0) of a kind slot, as the counter tables store them.
pub(crate) fn kind_columns(kind: usize) -> (u8, u8) {
    match kind {
        0 => (0, 0),
        k if k < KINDS - 1 => (1, k as u8),
        _ => (2, 0),
    }
}

/// One spec's outcome as one byte of a block (`outcome_codes` in the journal):
/// `1 + kind + 9 × covariance`, covariance 0 when none was chosen, 1 nonrobust, 2 HC1, 3 HAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutcomeCode(u8);

impl OutcomeCode {
    pub fn new(
        status: OutcomeStatus,
        failed_test: Option<FilterTest>,
        cov: Option<CovType>,
    ) -> Self {
        let cov = match cov {
            None => 0,
            Some(CovType::NonRobust) => 1,
            Some(CovType::HC1) => 2,
            Some(CovType::HAC) => 3,
        };
        OutcomeCode(1 + kind_of(status, failed_test) as u8 + 9 * cov)
    }

    /// The stored byte.
    pub fn byte(self) -> u8 {
        self.0
    }

    /// A stored byte, if it is a code.
    pub fn from_byte(b: u8) -> Option<OutcomeCode> {
        (1..=36).contains(&b).then_some(OutcomeCode(b))
    }

    /// The kind slot (see [`kind_of`]).
    pub fn kind(self) -> usize {
        ((self.0 - 1) % 9) as usize
    }

    pub fn status(self) -> OutcomeStatus {
        match self.kind() {
            0 => OutcomeStatus::Passed,
            k if k < KINDS - 1 => OutcomeStatus::Filtered,
            _ => OutcomeStatus::Error,
        }
    }

    pub fn failed_test(self) -> Option<FilterTest> {
        match self.kind() {
            k @ 1..=7 => FilterTest::from_code(k as u8),
            _ => None,
        }
    }

    /// The covariance the spec was judged under, when it got that far.
    pub fn cov(self) -> Option<CovType> {
        match (self.0 - 1) / 9 {
            1 => Some(CovType::NonRobust),
            2 => Some(CovType::HC1),
            3 => Some(CovType::HAC),
            _ => None,
        }
    }

    /// The same outcome turned into an error (a passed spec whose mutation record conflicts).
    pub(crate) fn as_error(self) -> OutcomeCode {
        OutcomeCode(1 + (KINDS as u8 - 1) + 9 * ((self.0 - 1) / 9))
    }
}

/// A run of consecutive spec indices of a block, with the evaluation time of its specs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRange {
    pub start: u64,
    pub end: u64,
    pub eval_us: u64,
}

/// How many specs of one kind in a block hold one feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureCount {
    pub kind: u8,
    pub feature: u32,
    pub specs: u32,
}

/// The outcomes of one batch: every spec's code in index order (`ranges` in order, ascending
/// and disjoint), the passed and error outcomes in full, and the feature counts per kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutcomeBlock {
    pub ranges: Vec<BlockRange>,
    /// One [`OutcomeCode`] byte per spec of `ranges`.
    #[serde(with = "serde_bytes")]
    pub codes: Vec<u8>,
    /// Passed and error outcomes, ascending spec index.
    pub details: Vec<OutcomeRecord>,
    /// Specs of each kind holding each feature, kinds then features ascending.
    pub tally: Vec<FeatureCount>,
}

impl OutcomeBlock {
    /// Specs in the block.
    pub fn len(&self) -> u64 {
        self.codes.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Specs of the block with `status`.
    pub fn count(&self, status: OutcomeStatus) -> u64 {
        self.codes
            .iter()
            .filter(|&&b| OutcomeCode(b).status() == status)
            .count() as u64
    }
}

/// Builds [`OutcomeBlock`]s spec by spec (workers, the coordinator's screen): the dense counts
/// per kind and feature are kept between blocks, so a warm builder allocates nothing per spec.
#[derive(Debug, Default)]
pub struct BlockBuilder {
    block: OutcomeBlock,
    /// Specs per feature, one array per kind, indexed by feature id.
    counts: Vec<Vec<u32>>,
    /// (kind, feature) pairs with a non-zero count, in order of first increment.
    touched: Vec<(u8, u32)>,
}

impl BlockBuilder {
    /// Adds spec `index` (after the previous one) with its outcome, its columns, the time its
    /// evaluation took, and — for passed and error outcomes — its full record.
    pub fn push(
        &mut self,
        index: u64,
        code: OutcomeCode,
        features: &[u32],
        eval_us: u32,
        detail: Option<OutcomeRecord>,
    ) {
        match self.block.ranges.last_mut() {
            Some(r) if r.end == index => {
                r.end += 1;
                r.eval_us += u64::from(eval_us);
            }
            _ => self.block.ranges.push(BlockRange {
                start: index,
                end: index + 1,
                eval_us: u64::from(eval_us),
            }),
        }
        self.block.codes.push(code.byte());
        if self.counts.is_empty() {
            self.counts = vec![Vec::new(); KINDS];
        }
        let kind = code.kind();
        let counts = &mut self.counts[kind];
        for &f in features {
            let i = f as usize;
            if counts.len() <= i {
                counts.resize(i + 1, 0);
            }
            if counts[i] == 0 {
                self.touched.push((kind as u8, f));
            }
            counts[i] += 1;
        }
        if let Some(d) = detail {
            self.block.details.push(d);
        }
    }

    /// Whether no spec was added since the last block.
    pub fn is_empty(&self) -> bool {
        self.block.codes.is_empty()
    }

    /// The block of everything added since the last one (the builder is then empty again).
    pub fn finish(&mut self) -> OutcomeBlock {
        self.touched.sort_unstable();
        let mut block = std::mem::take(&mut self.block);
        block.tally.reserve(self.touched.len());
        for &(kind, feature) in &self.touched {
            let n = &mut self.counts[kind as usize][feature as usize];
            block.tally.push(FeatureCount {
                kind,
                feature,
                specs: *n,
            });
            *n = 0;
        }
        self.touched.clear();
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_status_filter_and_covariance_and_stay_in_one_to_thirty_six() {
        let mut seen = std::collections::HashSet::new();
        for status in OutcomeStatus::ALL {
            let tests: Vec<Option<FilterTest>> = match status {
                OutcomeStatus::Filtered => FilterTest::ALL.iter().map(|&t| Some(t)).collect(),
                _ => vec![None],
            };
            for t in tests {
                for cov in [
                    None,
                    Some(CovType::NonRobust),
                    Some(CovType::HC1),
                    Some(CovType::HAC),
                ] {
                    let c = OutcomeCode::new(status, t, cov);
                    assert!(seen.insert(c.byte()));
                    assert_eq!(OutcomeCode::from_byte(c.byte()), Some(c));
                    assert_eq!((c.status(), c.failed_test(), c.cov()), (status, t, cov));
                    assert_eq!(c.as_error().status(), OutcomeStatus::Error);
                    assert_eq!(c.as_error().cov(), cov);
                }
            }
        }
        assert_eq!(seen.len(), 36);
        assert_eq!(OutcomeCode::from_byte(0), None);
        assert_eq!(OutcomeCode::from_byte(37), None);
    }

    #[test]
    fn a_builder_joins_consecutive_indices_and_counts_features_per_kind() {
        let mut b = BlockBuilder::default();
        let filtered = OutcomeCode::new(
            OutcomeStatus::Filtered,
            Some(FilterTest::CoefficientSignificance),
            Some(CovType::HAC),
        );
        b.push(10, filtered, &[3, 5], 2, None);
        b.push(11, filtered, &[3, 7], 3, None);
        b.push(20, filtered, &[3], 4, None);
        let block = b.finish();
        assert_eq!(
            block.ranges,
            vec![
                BlockRange {
                    start: 10,
                    end: 12,
                    eval_us: 5
                },
                BlockRange {
                    start: 20,
                    end: 21,
                    eval_us: 4
                }
            ]
        );
        assert_eq!(block.codes, vec![filtered.byte(); 3]);
        let tally: Vec<(u8, u32, u32)> = block
            .tally
            .iter()
            .map(|c| (c.kind, c.feature, c.specs))
            .collect();
        assert_eq!(tally, vec![(2, 3, 3), (2, 5, 1), (2, 7, 1)]);
        assert!(b.is_empty());
        // The counts start from zero again.
        b.push(30, filtered, &[5], 1, None);
        let again = b.finish();
        assert_eq!(
            again.tally,
            vec![FeatureCount {
                kind: 2,
                feature: 5,
                specs: 1
            }]
        );
    }
}
