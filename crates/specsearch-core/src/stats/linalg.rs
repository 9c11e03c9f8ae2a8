//! Small dense linear-algebra kernels: dot products, centering, and a column-scaled Cholesky
//! factorisation with numerical-rank detection, plus the solves and inverse built on it.
//!
//! Matrices are row-major `k×k` in flat slices. The Gram passed in is always the *centered*
//! cross-product matrix (intercept partialled out); it is scaled to unit diagonal before
//! factoring, so the pivots are `1 − R²` of each column on the previous ones. That makes the
//! rank decision scale-free and the factorisation well conditioned for realistic designs.

/// A column whose conditional pivot `1 − R²_j` (on the columns factored before it, intercept
/// included) is at or below this is treated as a linear combination of them: its VIF would
/// exceed 1e11, i.e. its residual norm is ~3e-6 of its own, far beyond any VIF filter.
pub const DEPENDENCE_TOL: f64 = 1e-11;

/// A column whose centered sum of squares is at or below `CONSTANT_TOL × Σx²` is constant:
/// rounding in the mean leaves at most ~(n·ε)² ≈ 1e-27 relative for a true constant, while
/// a genuinely varying column (even a level series ±1e-6 around 100) is far above 1e-20.
pub const CONSTANT_TOL: f64 = 1e-20;

/// Dot product with four independent accumulators (vectorises under SSE2, fixed order, so
/// results are bit-reproducible for the same inputs).
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut s = [0.0f64; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        s[0] += x[0] * y[0];
        s[1] += x[1] * y[1];
        s[2] += x[2] * y[2];
        s[3] += x[3] * y[3];
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// Four dot products `[a·b0, a·b1, a·b2, a·b3]` at once, each bit-identical to [`dot`] (same
/// lane assignment and summation order). Interleaving four independent accumulator chains
/// hides the floating-point add latency that bounds a single [`dot`], and `a` is loaded once.
#[inline]
pub fn dot4(a: &[f64], b0: &[f64], b1: &[f64], b2: &[f64], b3: &[f64]) -> [f64; 4] {
    let n = a
        .len()
        .min(b0.len())
        .min(b1.len())
        .min(b2.len())
        .min(b3.len());
    let (a, b0, b1, b2, b3) = (&a[..n], &b0[..n], &b1[..n], &b2[..n], &b3[..n]);
    let mut s = [[0.0f64; 4]; 4];
    let body = n - n % 4;
    let mut i = 0;
    while i < body {
        let x = lanes(a, i);
        mac4(&mut s[0], x, lanes(b0, i));
        mac4(&mut s[1], x, lanes(b1, i));
        mac4(&mut s[2], x, lanes(b2, i));
        mac4(&mut s[3], x, lanes(b3, i));
        i += 4;
    }
    let mut t = [0.0f64; 4];
    for i in body..n {
        let x = a[i];
        t[0] += x * b0[i];
        t[1] += x * b1[i];
        t[2] += x * b2[i];
        t[3] += x * b3[i];
    }
    [0, 1, 2, 3].map(|j| finish4(s[j], t[j]))
}

/// `v[i..i+4]` as an array (the caller guarantees `i + 4 ≤ v.len()`).
#[inline(always)]
fn lanes(v: &[f64], i: usize) -> &[f64; 4] {
    v[i..i + 4].try_into().expect("4 lanes")
}

/// `s[l] += a[l]·b[l]` for the four lanes of a [`dot`] accumulator (written lane-wise so the
/// compiler keeps each accumulator in vector registers).
#[inline(always)]
fn mac4(s: &mut [f64; 4], a: &[f64; 4], b: &[f64; 4]) {
    for l in 0..4 {
        s[l] += a[l] * b[l];
    }
}

/// The final reduction of [`dot`].
#[inline(always)]
fn finish4(s: [f64; 4], tail: f64) -> f64 {
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// Four unrelated dot products `[a0·b0, a1·b1, a2·b2, a3·b3]`, each bit-identical to [`dot`].
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn dot4_pairs(
    a0: &[f64],
    b0: &[f64],
    a1: &[f64],
    b1: &[f64],
    a2: &[f64],
    b2: &[f64],
    a3: &[f64],
    b3: &[f64],
) -> [f64; 4] {
    let lens = [
        a0.len().min(b0.len()),
        a1.len().min(b1.len()),
        a2.len().min(b2.len()),
        a3.len().min(b3.len()),
    ];
    let n = lens[0];
    if lens.iter().any(|&l| l != n) {
        // Unequal lengths (never in this crate): the reference kernel, pair by pair.
        return [dot(a0, b0), dot(a1, b1), dot(a2, b2), dot(a3, b3)];
    }
    let (a0, b0, a1, b1) = (&a0[..n], &b0[..n], &a1[..n], &b1[..n]);
    let (a2, b2, a3, b3) = (&a2[..n], &b2[..n], &a3[..n], &b3[..n]);
    let mut s = [[0.0f64; 4]; 4];
    let body = n - n % 4;
    let mut i = 0;
    while i < body {
        mac4(&mut s[0], lanes(a0, i), lanes(b0, i));
        mac4(&mut s[1], lanes(a1, i), lanes(b1, i));
        mac4(&mut s[2], lanes(a2, i), lanes(b2, i));
        mac4(&mut s[3], lanes(a3, i), lanes(b3, i));
        i += 4;
    }
    let mut t = [0.0f64; 4];
    for i in body..n {
        t[0] += a0[i] * b0[i];
        t[1] += a1[i] * b1[i];
        t[2] += a2[i] * b2[i];
        t[3] += a3[i] * b3[i];
    }
    [0, 1, 2, 3].map(|j| finish4(s[j], t[j]))
}

/// Lower triangle of the Gram `CᵀC` of the columns `col(0..k)`: calls `put(i, j, cᵢ·cⱼ)` for
/// every `j ≤ i`, each entry bit-identical to [`dot`]`(cᵢ, cⱼ)`. Entries are computed four
/// at a time ([`dot4`] along a row, [`dot4_pairs`] for the row remainders), so the additions
/// pipeline instead of waiting on one accumulator chain.
#[inline]
pub fn gram_lower<'a>(
    k: usize,
    col: impl Fn(usize) -> &'a [f64],
    mut put: impl FnMut(usize, usize, f64),
) {
    let mut pend = [(0usize, 0usize); 4];
    let mut np = 0;
    for i in 0..k {
        let ci = col(i);
        let mut j = 0;
        while j + 4 <= i + 1 {
            let v = dot4(ci, col(j), col(j + 1), col(j + 2), col(j + 3));
            for (d, v) in v.into_iter().enumerate() {
                put(i, j + d, v);
            }
            j += 4;
        }
        while j <= i {
            pend[np] = (i, j);
            np += 1;
            if np == 4 {
                let [(i0, j0), (i1, j1), (i2, j2), (i3, j3)] = pend;
                let v = dot4_pairs(
                    col(i0),
                    col(j0),
                    col(i1),
                    col(j1),
                    col(i2),
                    col(j2),
                    col(i3),
                    col(j3),
                );
                for (&(a, b), v) in pend.iter().zip(v) {
                    put(a, b, v);
                }
                np = 0;
            }
            j += 1;
        }
    }
    for &(a, b) in &pend[..np] {
        put(a, b, dot(col(a), col(b)));
    }
}

/// Sum with four accumulators.
#[inline]
pub fn sum(a: &[f64]) -> f64 {
    let mut s = [0.0f64; 4];
    let c = a.chunks_exact(4);
    let r = c.remainder();
    for x in c {
        s[0] += x[0];
        s[1] += x[1];
        s[2] += x[2];
        s[3] += x[3];
    }
    (s[0] + s[1]) + (s[2] + s[3]) + r.iter().sum::<f64>()
}

/// Mean with one refinement pass (exact to rounding even for large offsets).
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    let n = x.len() as f64;
    let m = sum(x) / n;
    let corr: f64 = x.iter().map(|v| v - m).sum::<f64>() / n;
    m + corr
}

/// Writes `x − mean(x)` into `out` and returns the mean.
pub fn center_into(x: &[f64], out: &mut [f64]) -> f64 {
    let m = mean(x);
    for (o, v) in out.iter_mut().zip(x) {
        *o = v - m;
    }
    m
}

/// Column-scaled Cholesky of a centered Gram `g` (`k×k`, lower triangle read).
///
/// On return `d[j] = sqrt(g[j][j])`, `l` holds the lower factor of `D⁻¹ g D⁻¹`, and `kept[j]`
/// says whether column `j` is independent of the intercept and the columns before it. A dropped
/// column has a zero row and column in `l` (so every solve below treats it as absent, which gives
/// the same projection as a pseudo-inverse). `raw_ss[j]` is the uncentered `Σx²` of column `j`,
/// the reference scale for detecting constant columns. Returns the number of kept columns.
pub fn chol_scaled(
    g: &[f64],
    raw_ss: &[f64],
    k: usize,
    l: &mut [f64],
    d: &mut [f64],
    kept: &mut [bool],
) -> usize {
    chol_scaled_from(g, raw_ss, k, l, d, kept, 0)
}

/// [`chol_scaled`] for a Gram whose first `start` rows and columns are those of the previous
/// factorisation in `l`, `d`, `kept` (same `k`): only rows `start..k` are computed. Every entry
/// is the same expression of the same inputs as in a factorisation from scratch (row by row,
/// each entry `l_ij = (g_ij/(d_i d_j) − l_i[..j]·l_j[..j]) / l_jj`, then the pivot
/// `1 − ‖l_i[..i]‖²`), so the result is bit-identical to [`chol_scaled`]'s.
pub fn chol_scaled_from(
    g: &[f64],
    raw_ss: &[f64],
    k: usize,
    l: &mut [f64],
    d: &mut [f64],
    kept: &mut [bool],
    start: usize,
) -> usize {
    let start = start.min(k);
    for j in start..k {
        let gjj = g[j * k + j];
        // Written positively so a NaN pivot counts as constant.
        let varying = gjj.is_finite() && gjj > CONSTANT_TOL * raw_ss[j];
        let constant = !varying;
        d[j] = if constant { 0.0 } else { gjj.sqrt() };
        kept[j] = !constant;
    }
    l[start * k..k * k].fill(0.0);
    for i in start..k {
        if !kept[i] {
            continue;
        }
        let li = i * k;
        for j in 0..i {
            if !kept[j] {
                continue;
            }
            let lj = j * k;
            let rij = g[li + j] / (d[i] * d[j]);
            let s = rij - dot(&l[li..li + j], &l[lj..lj + j]);
            l[li + j] = s / l[lj + j];
        }
        let s = 1.0 - dot(&l[li..li + i], &l[li..li + i]);
        let independent = s > DEPENDENCE_TOL; // false for NaN
        if independent {
            l[li + i] = s.sqrt();
        } else {
            kept[i] = false;
            l[li..li + i].fill(0.0);
        }
    }
    kept[..k].iter().filter(|&&kept| kept).count()
}

/// Solves `L w = b` in place (dropped columns get `w = 0`).
pub fn forward(l: &[f64], k: usize, kept: &[bool], w: &mut [f64]) {
    for i in 0..k {
        if !kept[i] {
            w[i] = 0.0;
            continue;
        }
        let li = i * k;
        let s = w[i] - dot(&l[li..li + i], &w[..i]);
        w[i] = s / l[li + i];
    }
}

/// Solves `Lᵀ x = w` in place (dropped columns get `x = 0`).
pub fn backward(l: &[f64], k: usize, kept: &[bool], x: &mut [f64]) {
    for i in (0..k).rev() {
        if !kept[i] {
            x[i] = 0.0;
            continue;
        }
        let mut s = x[i];
        for m in i + 1..k {
            s -= l[m * k + i] * x[m];
        }
        x[i] = s / l[i * k + i];
    }
}

/// Least-squares solve from a factored centered Gram: with `rhs = Xcᵀ y`, writes
/// `w = L⁻¹ D⁻¹ rhs` (so the explained sum of squares is `‖w‖²`) and `beta = D⁻¹ L⁻ᵀ w`.
pub fn solve_scaled(
    l: &[f64],
    d: &[f64],
    kept: &[bool],
    k: usize,
    rhs: &[f64],
    w: &mut [f64],
    beta: &mut [f64],
) {
    solve_scaled_from(l, d, kept, k, rhs, w, beta, 0);
}

/// [`solve_scaled`] when `w[..start]` already holds the forward solution of the same first
/// `start` rows (see [`chol_scaled_from`]): the forward substitution resumes at `start`.
#[allow(clippy::too_many_arguments)]
pub fn solve_scaled_from(
    l: &[f64],
    d: &[f64],
    kept: &[bool],
    k: usize,
    rhs: &[f64],
    w: &mut [f64],
    beta: &mut [f64],
    start: usize,
) {
    let start = start.min(k);
    for j in start..k {
        w[j] = if kept[j] { rhs[j] / d[j] } else { 0.0 };
    }
    for i in start..k {
        if !kept[i] {
            w[i] = 0.0;
            continue;
        }
        let li = i * k;
        let s = w[i] - dot(&l[li..li + i], &w[..i]);
        w[i] = s / l[li + i];
    }
    beta[..k].copy_from_slice(&w[..k]);
    backward(l, k, kept, &mut beta[..k]);
    for j in 0..k {
        if kept[j] {
            beta[j] /= d[j];
        }
    }
}

/// Inverse of the centered Gram, `A = g⁻¹ = D⁻¹ (L Lᵀ)⁻¹ D⁻¹`, into `out` (`k×k`, full).
/// Rows and columns of dropped columns are zero (generalised inverse). `tmp` needs `k×k`.
pub fn inverse_scaled(
    l: &[f64],
    d: &[f64],
    kept: &[bool],
    k: usize,
    out: &mut [f64],
    tmp: &mut [f64],
) {
    let linv = &mut tmp[..k * k];
    lower_inverse(l, kept, k, linv);
    for i in 0..k {
        for j in 0..=i {
            let s = inverse_entry(linv, d, kept, k, i, j);
            out[i * k + j] = s;
            out[j * k + i] = s;
        }
    }
}

/// `L⁻¹` (lower triangular, `k×k`) of a factor from [`chol_scaled`]; rows and columns of
/// dropped columns are zero. The first step of [`inverse_scaled`].
pub fn lower_inverse(l: &[f64], kept: &[bool], k: usize, linv: &mut [f64]) {
    lower_inverse_from(l, kept, k, linv, 0);
}

/// [`lower_inverse`] when `linv[..start]` (rows) already holds the inverse of the same first
/// `start` rows of `l` (rows of `L⁻¹` depend only on the rows of `L` up to theirs): rows
/// `start..k` are computed, row by row, each entry
/// `linv_ic = −(Σ_{m=c}^{i−1} l_im · linv_mc) / l_ii` (`1/l_ii` on the diagonal), the same
/// expression as from scratch, so the result is bit-identical.
pub fn lower_inverse_from(l: &[f64], kept: &[bool], k: usize, linv: &mut [f64], start: usize) {
    let start = start.min(k);
    let linv = &mut linv[..k * k];
    linv[start * k..].fill(0.0);
    for i in start..k {
        if !kept[i] {
            continue;
        }
        let li = i * k;
        for c in 0..i {
            if !kept[c] {
                continue;
            }
            let mut s = 0.0;
            for m in c..i {
                s += l[li + m] * linv[m * k + c];
            }
            linv[li + c] = -s / l[li + i];
        }
        linv[li + i] = 1.0 / l[li + i];
    }
}

/// Entry `(i, j)`, `i ≥ j`, of `A = D⁻¹ L⁻ᵀ L⁻¹ D⁻¹` from `linv` = [`lower_inverse`]:
/// `Σ_{m ≥ i} linv[m][i] · linv[m][j] / (d_i d_j)`, 0 for a dropped column. Exactly the value
/// [`inverse_scaled`] stores at `(i, j)` and `(j, i)`, so a caller that needs one row of `A`
/// gets it bit for bit without the whole inverse.
#[inline]
pub fn inverse_entry(linv: &[f64], d: &[f64], kept: &[bool], k: usize, i: usize, j: usize) -> f64 {
    let mut s = 0.0;
    if kept[i] && kept[j] {
        for m in i..k {
            s += linv[m * k + i] * linv[m * k + j];
        }
        s /= d[i] * d[j];
    }
    s
}

/// In-place unscaled Cholesky of a small symmetric positive-definite matrix (`q×q`, lower
/// triangle used). Returns `false` when it is not numerically positive definite.
pub fn chol_in_place(m: &mut [f64], q: usize) -> bool {
    for j in 0..q {
        let mut s = m[j * q + j];
        for p in 0..j {
            s -= m[j * q + p] * m[j * q + p];
        }
        let positive = s > 0.0 && s.is_finite();
        if !positive {
            return false;
        }
        let ljj = s.sqrt();
        m[j * q + j] = ljj;
        for i in j + 1..q {
            let mut s = m[i * q + j];
            for p in 0..j {
                s -= m[i * q + p] * m[j * q + p];
            }
            m[i * q + j] = s / ljj;
        }
        for i in 0..j {
            m[i * q + j] = 0.0;
        }
    }
    true
}
