//! The sample windows of a search as row positions of the aligned panel, and the outlier dates
//! left out of the in-sample rows (§9).

/// Row positions of the sample windows in the panel (inclusive), and the in-sample rows left
/// out as outliers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub in_start: usize,
    pub in_end: usize,
    pub full_end: usize,
    /// In-sample rows left out of every fit, test and in-sample statistic (`sample.outliers`),
    /// ascending; each in `in_start..=in_end`.
    pub outliers: Vec<usize>,
}

impl Sample {
    /// The in-sample window `in_start..=in_end`, outlier rows included.
    pub fn in_rows(&self) -> std::ops::Range<usize> {
        self.in_start..self.in_end + 1
    }
    pub fn oos_rows(&self) -> std::ops::Range<usize> {
        self.in_end + 1..self.full_end + 1
    }
    /// The rows the in-sample fit uses: the window without the outliers.
    pub fn fit_rows(&self) -> Vec<usize> {
        self.in_rows().filter(|r| !self.is_outlier(*r)).collect()
    }
    /// The rows of a full-sample fit (§9): in-sample and out-of-sample, without the outliers.
    pub fn full_fit_rows(&self) -> Vec<usize> {
        (self.in_start..=self.full_end)
            .filter(|r| !self.is_outlier(*r))
            .collect()
    }
    pub fn is_outlier(&self, row: usize) -> bool {
        self.outliers.binary_search(&row).is_ok()
    }
    /// Rows of the in-sample fit (the window without the outliers).
    pub fn n_in(&self) -> usize {
        self.in_end + 1 - self.in_start - self.outliers.len()
    }
    pub fn n_oos(&self) -> usize {
        self.full_end - self.in_end
    }
    /// `values` on the rows of the in-sample fit.
    pub fn fit_values(&self, values: &[f64]) -> Vec<f64> {
        self.in_rows()
            .filter(|r| !self.is_outlier(*r))
            .map(|r| values[r])
            .collect()
    }
}
