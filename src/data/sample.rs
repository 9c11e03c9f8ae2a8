//! The sample windows of a search as row positions of the aligned panel.

/// Row positions of the sample windows in the panel (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub in_start: usize,
    pub in_end: usize,
    pub full_end: usize,
}

impl Sample {
    pub fn in_rows(&self) -> std::ops::Range<usize> {
        self.in_start..self.in_end + 1
    }
    pub fn oos_rows(&self) -> std::ops::Range<usize> {
        self.in_end + 1..self.full_end + 1
    }
    pub fn n_in(&self) -> usize {
        self.in_end + 1 - self.in_start
    }
    pub fn n_oos(&self) -> usize {
        self.full_end - self.in_end
    }
}
