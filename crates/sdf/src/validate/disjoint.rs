//! Overlap checks in O(n log n): a sorted set of ranges that do not overlap.
//!
//! Each overlap rule places ranges in file order and refuses one that overlaps
//! a range placed before; refused ranges are not placed, so the placed ranges
//! stay disjoint. Disjoint ranges sorted by start are also sorted by end, so
//! the only candidate for an overlap with `[start, end)` is the placed range
//! with the greatest start below `end`.

use std::collections::BTreeMap;

/// Disjoint, non-empty half-open ranges `[start, end)`, each with what placed it.
pub(crate) struct Disjoint<T> {
    by_start: BTreeMap<u64, (u64, T)>,
}

impl<T> Disjoint<T> {
    pub(crate) fn new() -> Self {
        Disjoint {
            by_start: BTreeMap::new(),
        }
    }

    /// A placed range overlapping `[start, end)`: `(start, end, what)`.
    pub(crate) fn overlapping(&self, start: u64, end: u64) -> Option<(u64, u64, &T)> {
        let (&s, (e, what)) = self.by_start.range(..end).next_back()?;
        (*e > start).then_some((s, *e, what))
    }

    /// Places `[start, end)`; the caller has checked that it overlaps nothing
    /// and is not empty.
    pub(crate) fn insert(&mut self, start: u64, end: u64, what: T) {
        debug_assert!(start < end && self.overlapping(start, end).is_none());
        self.by_start.insert(start, (end, what));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_overlaps() {
        let mut set = Disjoint::new();
        set.insert(10, 20, 'a');
        set.insert(30, 40, 'b');
        assert_eq!(set.overlapping(0, 10), None);
        assert_eq!(set.overlapping(20, 30), None);
        assert_eq!(set.overlapping(40, 50), None);
        assert_eq!(set.overlapping(19, 21), Some((10, 20, &'a')));
        assert_eq!(set.overlapping(0, 100), Some((30, 40, &'b')));
        assert_eq!(set.overlapping(35, 36), Some((30, 40, &'b')));
        assert_eq!(set.overlapping(0, 11), Some((10, 20, &'a')));
        // Brute force agrees on every small range.
        for start in 0..50 {
            for end in start + 1..51 {
                let brute = [(10, 20), (30, 40)]
                    .iter()
                    .any(|&(s, e)| start < e && s < end);
                assert_eq!(set.overlapping(start, end).is_some(), brute);
            }
        }
    }
}
