//! Streaming enumeration of a spec-index range in rule-C order.
//!
//! The iterator keeps a [`Cursor`] (combo + mixed-radix variant counters) and advances it in
//! place: the last element's variant is the fastest digit, then earlier elements, then the option
//! tuple, the pool subset and the level. Memory is O(elements of one spec), independent of how
//! many specs are enumerated, and nothing is allocated per spec.
//!
//! Combo advance (when every variant digit wraps): the option tuple moves like an odometer, last
//! subset position fastest; a position's options are sorted by size, so the first option that
//! does not fit the budget (leaving one element for each later position) ends that position and
//! carries. Then the next r-subset of pools (lexicographic), then level r + 1.
//!
//! Sorting: the spec is the union of the elements' variant columns in rule-S order. The iterator
//! keeps `base`, the sorted union (as column ranks) of every element but the last, rebuilt only
//! when a digit other than the last one changes (once per `variants(last)` specs for a typical
//! variable). Each spec is then a linear merge of `base` with the last element's pre-sorted
//! variant, so the output is exactly sorted without a per-spec sort.

use super::space::{Cursor, SpecSpace};

/// Streaming iterator over `start..end` spec indices (see [`SpecSpace::iter_from`]).
///
/// Hot path: [`SpecIter::next_into`]. The [`Iterator`] impl allocates one `Vec` per spec and is
/// meant for tests and small spaces.
#[derive(Debug, Clone)]
pub struct SpecIter<'a> {
    space: &'a SpecSpace,
    cur: Cursor,
    next: u64,
    end: u64,
    /// Sorted, deduplicated ranks of all elements but the last, at their current variants.
    base: Vec<u32>,
    base_ok: bool,
}

impl SpecSpace {
    /// Iterates specs `start..count()` in index order.
    pub fn iter_from(&self, start: u64) -> SpecIter<'_> {
        self.iter_range(start, self.count())
    }

    /// Iterates specs `start..end` (clamped to `count()`), e.g. one shard's slice.
    pub fn iter_range(&self, start: u64, end: u64) -> SpecIter<'_> {
        let end = end.min(self.count());
        let mut cur = Cursor::default();
        if start < end {
            self.unrank(start, &mut cur)
                .expect("start < end ≤ count is a valid index");
        }
        SpecIter {
            space: self,
            cur,
            next: start,
            end,
            base: Vec::new(),
            base_ok: false,
        }
    }
}

/// Advancing a cursor from one combo to the next (rule C).
impl SpecSpace {
    /// Moves the cursor to the next combo in rule-C order (variant counters reset). Returns
    /// `false` past the last combo. Combos that break rule L are skipped: when the members of
    /// subset positions `..=m` already exceed a category's limit, every tuple sharing them is
    /// skipped at once by advancing position `m`.
    pub(crate) fn next_combo(&self, cur: &mut Cursor) -> bool {
        let mut from = None;
        loop {
            if !self.next_raw_combo(cur, from) {
                return false;
            }
            match self.violation(cur) {
                None => break,
                Some(m) => from = Some(m),
            }
        }
        self.fill_elems(cur);
        true
    }

    /// The next combo within the budget (rule L not checked), advancing option positions
    /// `..=from` (default: all).
    fn next_raw_combo(&self, cur: &mut Cursor, from: Option<usize>) -> bool {
        let advanced = cur.level > 0
            && (self.next_options(cur, from.unwrap_or(cur.level - 1)) || self.next_subset(cur));
        if !advanced {
            if cur.level >= self.max_level {
                return false;
            }
            cur.level += 1;
            cur.subset.clear();
            cur.subset.extend(0..cur.level);
            self.reset_options(cur, 0);
        }
        true
    }

    /// Positions `from..` take their first option (size 1, first member).
    fn reset_options(&self, cur: &mut Cursor, from: usize) {
        let keep: usize = cur.sizes[..from].iter().sum();
        cur.picks.truncate(keep);
        cur.sizes.truncate(from);
        for _ in from..cur.level {
            cur.sizes.push(1);
            cur.picks.push(0);
        }
    }

    /// Next option tuple of the current subset, position `last` fastest (positions after it
    /// count as exhausted), skipping tuples over budget. Options are sorted by size, so the
    /// first one that does not fit ends a position.
    fn next_options(&self, cur: &mut Cursor, last: usize) -> bool {
        let r = cur.level;
        let mut used_from: usize = cur.sizes[..=last].iter().sum();
        for m in (0..=last).rev() {
            let s = cur.sizes[m];
            let off = used_from - s;
            used_from = off;
            let n = self.pools[cur.subset[m]].members.len();
            // Largest option size that still leaves one element for each later position.
            let cap = self.budget - off - (r - 1 - m);
            if next_combination(&mut cur.picks[off..off + s], n) {
                self.reset_options(cur, m + 1);
                return true;
            }
            if s < self.pools[cur.subset[m]].max_pick.min(cap) {
                cur.sizes[m] = s + 1;
                cur.picks.truncate(off);
                cur.picks.extend(0..=s);
                self.reset_options(cur, m + 1);
                return true;
            }
        }
        false
    }

    /// Next r-subset of pools in lexicographic order, with first options.
    fn next_subset(&self, cur: &mut Cursor) -> bool {
        if !next_combination(&mut cur.subset, self.pools.len()) {
            return false;
        }
        self.reset_options(cur, 0);
        true
    }
}

/// Advances a strictly increasing combination of `0..n` to its lexicographic successor.
fn next_combination(c: &mut [usize], n: usize) -> bool {
    let k = c.len();
    for t in (0..k).rev() {
        if c[t] < n - k + t {
            c[t] += 1;
            for u in t + 1..k {
                c[u] = c[u - 1] + 1;
            }
            return true;
        }
    }
    false
}

impl SpecIter<'_> {
    /// Writes the next spec's sorted column ids into `out` (cleared first) and returns its index;
    /// `None` once the range is exhausted.
    #[inline]
    pub fn next_into(&mut self, out: &mut Vec<u32>) -> Option<u64> {
        if self.next >= self.end {
            return None;
        }
        let index = self.next;
        self.emit(out);
        self.next += 1;
        if self.next < self.end {
            self.advance();
        }
        Some(index)
    }

    /// Index of the spec the next call yields (or the end of the range).
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Specs left in the range.
    pub fn remaining(&self) -> u64 {
        self.end.saturating_sub(self.next)
    }

    #[inline]
    fn emit(&mut self, out: &mut Vec<u32>) {
        let space = self.space;
        let n = self.cur.elems.len();
        if !self.base_ok {
            self.base.clear();
            for k in 0..n - 1 {
                self.base
                    .extend_from_slice(space.variant_ranks(self.cur.elems[k], self.cur.vars[k]));
            }
            self.base.sort_unstable();
            self.base.dedup();
            self.base_ok = true;
        }
        let last = space.variant_ranks(self.cur.elems[n - 1], self.cur.vars[n - 1]);
        let id_of = &space.order.id_of;
        out.clear();
        out.reserve(self.base.len() + last.len());
        let base = &self.base[..];
        if let [single] = last {
            // Common case: a one-column variant is inserted at its place.
            let at = base.partition_point(|&r| r < *single);
            out.extend(base[..at].iter().map(|&r| id_of[r as usize]));
            if base.get(at) != Some(single) {
                out.push(id_of[*single as usize]);
            }
            out.extend(base[at..].iter().map(|&r| id_of[r as usize]));
            return;
        }
        // General case: merge two sorted rank lists, keeping one copy of shared columns.
        let (mut i, mut j) = (0, 0);
        while i < base.len() && j < last.len() {
            let (a, b) = (base[i], last[j]);
            let r = if a <= b {
                i += 1;
                if a == b {
                    j += 1;
                }
                a
            } else {
                j += 1;
                b
            };
            out.push(id_of[r as usize]);
        }
        out.extend(base[i..].iter().map(|&r| id_of[r as usize]));
        out.extend(last[j..].iter().map(|&r| id_of[r as usize]));
    }

    /// Moves the cursor to the next spec: variant odometer first, then the next combo.
    #[inline]
    fn advance(&mut self) {
        let cur = &mut self.cur;
        let n = cur.elems.len();
        let mut k = n;
        while k > 0 {
            k -= 1;
            cur.vars[k] += 1;
            if cur.vars[k] < cur.radix[k] {
                if k + 1 != n {
                    self.base_ok = false;
                }
                return;
            }
            cur.vars[k] = 0;
        }
        self.base_ok = false;
        let moved = self.space.next_combo(cur);
        debug_assert!(moved, "advance is only called while next < count");
    }
}

impl Iterator for SpecIter<'_> {
    type Item = (u64, Vec<u32>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut out = Vec::new();
        self.next_into(&mut out).map(|i| (i, out))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.remaining()).unwrap_or(usize::MAX);
        (left, usize::try_from(self.remaining()).ok())
    }
}
