//! The sample windows of a search as row positions of the aligned panel. The outlier dates
//! (§9, `sample.outliers`) are rows of the in-sample window left out of every fit; they are
//! kept beside the windows (`Prepared::outliers`, `FrozenBundle::outliers`) and turned into
//! the rows of a fit here.

/// Row positions of the sample windows in the panel (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub in_start: usize,
    pub in_end: usize,
    pub full_end: usize,
}

impl Sample {
    /// The in-sample window `in_start..=in_end` (outlier rows included).
    pub fn in_rows(&self) -> std::ops::Range<usize> {
        self.in_start..self.in_end + 1
    }
    pub fn oos_rows(&self) -> std::ops::Range<usize> {
        self.in_end + 1..self.full_end + 1
    }
    /// Rows of the in-sample window.
    pub fn n_in(&self) -> usize {
        self.in_end + 1 - self.in_start
    }
    pub fn n_oos(&self) -> usize {
        self.full_end - self.in_end
    }
    /// The rows of the in-sample fit: the window without the `outliers` (ascending rows).
    pub fn fit_rows(&self, outliers: &[usize]) -> Vec<usize> {
        self.in_rows()
            .filter(|r| outliers.binary_search(r).is_err())
            .collect()
    }
    /// The rows of a full-sample fit (§9): in-sample and out-of-sample, without the outliers.
    pub fn full_fit_rows(&self, outliers: &[usize]) -> Vec<usize> {
        (self.in_start..=self.full_end)
            .filter(|r| outliers.binary_search(r).is_err())
            .collect()
    }
}
