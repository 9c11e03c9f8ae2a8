//! Half-open, ascending, disjoint ranges of spec indices: what a shard owns, what the journal
//! already holds, and what is left to evaluate.

/// The parts of the half-open, ascending, disjoint `owned` ranges not covered by the
/// half-open, ascending, disjoint `done` ranges (ascending).
pub fn subtract(owned: &[(u64, u64)], done: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut d = 0usize;
    for &(start, end) in owned {
        while d < done.len() && done[d].1 <= start {
            d += 1;
        }
        let mut next = start;
        let mut k = d;
        while k < done.len() && done[k].0 < end {
            if done[k].0 > next {
                out.push((next, done[k].0));
            }
            next = next.max(done[k].1);
            k += 1;
        }
        if next < end {
            out.push((next, end));
        }
    }
    out
}

/// Total number of indices in half-open ranges.
pub fn count(ranges: &[(u64, u64)]) -> u64 {
    ranges.iter().map(|(a, b)| b - a).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_ranges_are_the_complement() {
        assert_eq!(subtract(&[(0, 5)], &[]), vec![(0, 5)]);
        assert_eq!(subtract(&[(0, 5)], &[(0, 5)]), vec![]);
        assert_eq!(
            subtract(&[(0, 8)], &[(1, 3), (6, 7)]),
            vec![(0, 1), (3, 6), (7, 8)]
        );
        assert_eq!(subtract(&[(0, 8)], &[(7, 8)]), vec![(0, 7)]);
        // Owned blocks (a shard) against done islands that straddle them.
        assert_eq!(
            subtract(
                &[(0, 4), (6, 9), (10, 13)],
                &[(1, 3), (6, 7), (11, 12), (20, 21)]
            ),
            vec![(0, 1), (3, 4), (7, 9), (10, 11), (12, 13)]
        );
        assert_eq!(subtract(&[(5, 7)], &[]), vec![(5, 7)]);
        assert_eq!(
            subtract(&[(0, 4), (8, 12)], &[(2, 10)]),
            vec![(0, 2), (10, 12)]
        );
    }

    proptest::proptest! {
        /// `subtract` agrees with set difference on random ranges.
        #[test]
        fn subtract_is_set_difference(
            owned in proptest::collection::vec(0u64..60, 0..12),
            done in proptest::collection::vec(0u64..60, 0..40),
        ) {
            let to_ranges = |mut xs: Vec<u64>| {
                xs.sort_unstable();
                xs.dedup();
                let mut r: Vec<(u64, u64)> = Vec::new();
                for x in xs {
                    match r.last_mut() {
                        Some(last) if last.1 == x => last.1 = x + 1,
                        _ => r.push((x, x + 1)),
                    }
                }
                r
            };
            let owned_set: std::collections::BTreeSet<u64> = owned.iter().copied().collect();
            let done_set: std::collections::BTreeSet<u64> = done.iter().copied().collect();
            let want: Vec<u64> = owned_set.difference(&done_set).copied().collect();
            let got: Vec<u64> = subtract(&to_ranges(owned), &to_ranges(done))
                .into_iter()
                .flat_map(|(a, b)| a..b)
                .collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
