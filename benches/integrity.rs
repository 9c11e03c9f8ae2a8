//! Cost of verifying the frozen matrix before a session (`cargo bench --bench integrity`):
//! the content checksum (`FeatureMatrix::checksum`, xxh3-128) over a 1 GiB matrix in memory,
//! and over the same matrix mapped from features.f64 (page cache warm, as in a session that
//! just wrote or read it). Prints GB/s. Not a criterion benchmark: a few passes of a big input.

use std::time::Instant;

use specsearch::store::{values_checksum, FeatureMatrix};

fn main() {
    let rows = 360;
    let cols = (1usize << 30) / 8 / rows;
    let mut data = Vec::with_capacity(rows * cols);
    let mut x = 1.0f64;
    for i in 0..rows * cols {
        x = (x * 1.000_001 + (i % 7) as f64).fract() + 1.0;
        data.push(if i % 97 == 0 { f64::NAN } else { x });
    }
    let bytes = (rows * cols * 8) as f64;
    let matrix = FeatureMatrix::from_owned(rows, cols, data);
    let mut best = f64::INFINITY;
    let mut sum = String::new();
    for _ in 0..5 {
        let t = Instant::now();
        sum = matrix.checksum();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "checksum of a {:.2} GB matrix ({rows} × {cols}): {:.3} s, {:.1} GB/s ({sum})",
        bytes / 1e9,
        best,
        bytes / best / 1e9
    );
    // Column by column, as the bundle computes it from its catalogue.
    let t = Instant::now();
    let by_column = values_checksum(matrix.as_slice().chunks(rows));
    println!(
        "column by column: {:.1} GB/s (same checksum: {})",
        bytes / t.elapsed().as_secs_f64() / 1e9,
        by_column == sum
    );
}
