//! Frequency conversion of single series: quarterly → monthly interpolation (not-a-knot cubic
//! spline, or linear for short series, with aggregation-preserving rescaling) and monthly →
//! quarterly NaN-skipping means.
//!
//! The spline is hand-written to match scipy's `CubicSpline(x, y, bc_type="not-a-knot")`: the
//! same slope formulation and the same tridiagonal system, so golden values agree to rounding.

use chrono::NaiveDate;

use super::calendar::{day_number, month_end_of_index, month_start_of_index, quarter_index};
use super::Aggregation;

/// Number of valid quarters from which the cubic spline is used; below it, linear interpolation.
const MIN_SPLINE_QUARTERS: usize = 4;

/// Extra knots past the last valid quarter, each repeating its value. They flatten the spline's
/// right end so the last observed quarters are not bent by the free not-a-knot end condition.
const FUTURE_KNOTS: i32 = 4;

/// A month whose interpolated quarter mean is within this fraction of the series' largest
/// absolute value counts as "~0": rescaling by `observed / mean` would blow up, so its factor is 1.
/// Relative rather than absolute so that series in small units (rates as 0.0001) behave like
/// the same series in large units.
const ZERO_MEAN_REL: f64 = 1e-12;

/// Interpolate a quarterly series to month ends.
///
/// `q_dates` are the quarters' dates (any day inside the quarter; normally the quarter end) in
/// increasing order, `values` the observations (`NaN` = missing); pairs beyond the shorter of the
/// two slices are ignored, and a quarter absent from `q_dates` counts as missing. Returns the
/// month-end grid from the first month of the first quarter to the last month of the last quarter,
/// and the monthly values on it.
///
/// Method (docs/semantics.md §1), applied to the *valid span* (first to last non-missing quarter;
/// every month outside it is `NaN`):
/// 1. Missing quarters inside the span are dropped from the fit; their months are `NaN` at the end.
/// 2. Each valid quarter becomes a point `(x, value)` where x is a day number (days since
///    1970-01-01) of its knot date: the quarter-end date for [`Aggregation::End`], the first day
///    of the quarter's middle month (Feb 1, May 1, Aug 1, Nov 1) for `Average` and `Sum`.
/// 3. With at least 4 valid quarters: four further knots, one per following quarter with the same
///    knot rule, repeat the last value; a not-a-knot cubic spline through all the knots is
///    evaluated at every month end of the span (months before the first knot, e.g. January of the
///    first quarter for `Average`, use the first polynomial piece). For `Average` and `Sum` each
///    quarter's three months are then multiplied by `value / mean(three months)` (factor 1 when
///    that mean is ~0, see [`ZERO_MEAN_REL`]), so their mean equals the quarterly value; for `Sum`
///    they are then divided by 3, so they add up to it. For `End` the quarter-end month equals the
///    quarterly value because it is a knot.
/// 4. With 1–3 valid quarters: piecewise-linear interpolation between the same knot points
///    (no future knots), constant beyond the first and last knot (numpy `interp` semantics; a
///    single quarter gives a constant), evaluated at the span's month ends, divided by 3 for `Sum`.
///    No rescaling is applied (the contract specifies none for this case), so the aggregation
///    identities hold exactly only at the knots.
pub fn quarterly_to_monthly(
    q_dates: &[NaiveDate],
    values: &[f64],
    agg: Aggregation,
) -> (Vec<NaiveDate>, Vec<f64>) {
    let pairs: Vec<(i32, f64)> = q_dates
        .iter()
        .zip(values)
        .map(|(&d, &v)| (quarter_index(d), v))
        .collect();
    let (Some(q0), Some(q1)) = (
        pairs.iter().map(|p| p.0).min(),
        pairs.iter().map(|p| p.0).max(),
    ) else {
        return (Vec::new(), Vec::new());
    };
    // Dense quarterly series over the whole range, so gaps in `q_dates` read as missing.
    let n_q = (q1 - q0 + 1) as usize;
    let mut quarterly = vec![f64::NAN; n_q];
    for &(q, v) in &pairs {
        quarterly[(q - q0) as usize] = v;
    }
    let month_dates: Vec<NaiveDate> = (0..3 * n_q as i32)
        .map(|k| month_end_of_index(3 * q0 + k))
        .collect();
    let mut monthly = vec![f64::NAN; 3 * n_q];

    let valid: Vec<usize> = (0..n_q).filter(|&k| !quarterly[k].is_nan()).collect();
    let (Some(&first), Some(&last)) = (valid.first(), valid.last()) else {
        return (month_dates, monthly);
    };
    let knot_x = |k: i32| day_number(knot_date(q0 + k, agg));
    let mut xs: Vec<f64> = valid.iter().map(|&k| knot_x(k as i32)).collect();
    let mut ys: Vec<f64> = valid.iter().map(|&k| quarterly[k]).collect();
    let span = 3 * first..3 * (last + 1);

    if valid.len() >= MIN_SPLINE_QUARTERS {
        let last_value = quarterly[last];
        for j in 1..=FUTURE_KNOTS {
            xs.push(knot_x(last as i32 + j));
            ys.push(last_value);
        }
        // Knots are strictly increasing by construction, so the spline always exists.
        if let Some(spline) = NotAKnotSpline::new(&xs, &ys) {
            for m in span.clone() {
                monthly[m] = spline.eval(day_number(month_dates[m]));
            }
        }
        if agg != Aggregation::End {
            let scale = ys.iter().fold(0.0_f64, |a, &y| a.max(y.abs()));
            for &k in &valid {
                rescale_quarter(&mut monthly[3 * k..3 * k + 3], quarterly[k], scale);
            }
        }
    } else {
        for m in span.clone() {
            monthly[m] = interp_linear(&xs, &ys, day_number(month_dates[m]));
        }
    }
    if agg == Aggregation::Sum {
        for v in &mut monthly[span] {
            *v /= 3.0;
        }
    }
    // Quarters missing inside the span were interpolated through; the data say nothing there.
    for k in first..=last {
        if quarterly[k].is_nan() {
            monthly[3 * k..3 * k + 3].fill(f64::NAN);
        }
    }
    (month_dates, monthly)
}

/// Average each calendar quarter's months, skipping `NaN`s (pandas `resample("QE").mean()`).
///
/// `m_dates` are the months' dates (any day inside the month) in increasing order; pairs beyond
/// the shorter slice are ignored. Returns every quarter end from the first month's quarter to the
/// last month's quarter; a quarter with no valid month (or no month at all) is `NaN`, a quarter
/// only partly covered by the data is the mean of the months present.
pub fn monthly_to_quarterly_mean(
    m_dates: &[NaiveDate],
    values: &[f64],
) -> (Vec<NaiveDate>, Vec<f64>) {
    let pairs: Vec<(i32, f64)> = m_dates
        .iter()
        .zip(values)
        .map(|(&d, &v)| (quarter_index(d), v))
        .collect();
    let (Some(q0), Some(q1)) = (
        pairs.iter().map(|p| p.0).min(),
        pairs.iter().map(|p| p.0).max(),
    ) else {
        return (Vec::new(), Vec::new());
    };
    let n_q = (q1 - q0 + 1) as usize;
    let mut sum = vec![0.0; n_q];
    let mut count = vec![0_u32; n_q];
    for &(q, v) in &pairs {
        if !v.is_nan() {
            sum[(q - q0) as usize] += v;
            count[(q - q0) as usize] += 1;
        }
    }
    let dates = (0..n_q as i32)
        .map(|k| month_end_of_index(3 * (q0 + k) + 2))
        .collect();
    let means = sum
        .iter()
        .zip(&count)
        .map(|(&s, &c)| if c == 0 { f64::NAN } else { s / f64::from(c) })
        .collect();
    (dates, means)
}

/// Knot date of the quarter with [`quarter_index`] `q` under the aggregation's knot rule.
fn knot_date(q: i32, agg: Aggregation) -> NaiveDate {
    match agg {
        Aggregation::End => month_end_of_index(3 * q + 2),
        Aggregation::Average | Aggregation::Sum => month_start_of_index(3 * q + 1),
    }
}

/// Multiply a quarter's months so that their mean equals `observed` (see [`ZERO_MEAN_REL`]).
fn rescale_quarter(months: &mut [f64], observed: f64, scale: f64) {
    let mean = months.iter().sum::<f64>() / months.len() as f64;
    if mean.abs() <= ZERO_MEAN_REL * scale {
        return;
    }
    let factor = observed / mean;
    for v in months {
        *v *= factor;
    }
}

/// numpy `interp`: piecewise linear through `(xs, ys)` (xs strictly increasing, non-empty),
/// constant beyond either end.
fn interp_linear(xs: &[f64], ys: &[f64], t: f64) -> f64 {
    let n = xs.len();
    if t <= xs[0] {
        return ys[0];
    }
    if t >= xs[n - 1] {
        return ys[n - 1];
    }
    // First knot strictly greater than t; 1 ≤ i ≤ n − 1 by the checks above.
    let i = xs.partition_point(|&x| x <= t);
    let w = (t - xs[i - 1]) / (xs[i] - xs[i - 1]);
    ys[i - 1] + w * (ys[i] - ys[i - 1])
}

/// Cubic spline with not-a-knot end conditions, in scipy's piecewise-polynomial form:
/// on `[x_i, x_{i+1}]`, `p(t) = c3·h³ + c2·h² + c1·h + c0` with `h = t − x_i`.
struct NotAKnotSpline {
    x: Vec<f64>,
    /// `[c3, c2, c1, c0]` per interval.
    coef: Vec<[f64; 4]>,
}

impl NotAKnotSpline {
    /// Fit through `n ≥ 4` points with strictly increasing finite `x`; `None` otherwise.
    ///
    /// Unknowns are the slopes `s_i` at the knots (scipy's formulation). Interior rows:
    /// `dx_i·s_{i−1} + 2(dx_{i−1}+dx_i)·s_i + dx_{i−1}·s_{i+1} = 3(dx_i·m_{i−1} + dx_{i−1}·m_i)`
    /// with `m_i` the secant slopes. The not-a-knot rows (third derivative continuous across
    /// `x_1` and `x_{n−2}`) keep the system tridiagonal:
    /// `dx_1·s_0 + (x_2−x_0)·s_1 = ((dx_0 + 2(x_2−x_0))·dx_1·m_0 + dx_0²·m_1) / (x_2−x_0)` and its
    /// mirror image at the right end (diagonal `dx_{n−3}`, the second-to-last interval).
    fn new(x: &[f64], y: &[f64]) -> Option<Self> {
        let n = x.len();
        // `w[0] < w[1]` is false for NaN too, which must also be rejected.
        let increasing = x.windows(2).all(|w| w[0] < w[1]);
        if n < 4 || y.len() != n || !increasing {
            return None;
        }
        let dx: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
        let slope: Vec<f64> = (0..n - 1).map(|i| (y[i + 1] - y[i]) / dx[i]).collect();

        let mut lower = vec![0.0; n]; // lower[i]: coefficient of s_{i-1} in row i
        let mut diag = vec![0.0; n];
        let mut upper = vec![0.0; n]; // upper[i]: coefficient of s_{i+1} in row i
        let mut rhs = vec![0.0; n];
        for i in 1..n - 1 {
            lower[i] = dx[i];
            diag[i] = 2.0 * (dx[i - 1] + dx[i]);
            upper[i] = dx[i - 1];
            rhs[i] = 3.0 * (dx[i] * slope[i - 1] + dx[i - 1] * slope[i]);
        }
        let d = x[2] - x[0];
        diag[0] = dx[1];
        upper[0] = d;
        rhs[0] = ((dx[0] + 2.0 * d) * dx[1] * slope[0] + dx[0] * dx[0] * slope[1]) / d;
        let d = x[n - 1] - x[n - 3];
        diag[n - 1] = dx[n - 3];
        lower[n - 1] = d;
        rhs[n - 1] = (dx[n - 2] * dx[n - 2] * slope[n - 3]
            + (2.0 * d + dx[n - 2]) * dx[n - 3] * slope[n - 2])
            / d;

        let s = solve_tridiagonal(&lower, &diag, &upper, &rhs)?;
        let coef = (0..n - 1)
            .map(|i| {
                let t = (s[i] + s[i + 1] - 2.0 * slope[i]) / dx[i];
                [t / dx[i], (slope[i] - s[i]) / dx[i] - t, s[i], y[i]]
            })
            .collect();
        Some(Self {
            x: x.to_vec(),
            coef,
        })
    }

    /// Value at `t`; outside the knots the first or last piece is extended (scipy's default
    /// `extrapolate=True`).
    fn eval(&self, t: f64) -> f64 {
        let last_piece = self.coef.len() - 1;
        let i = self
            .x
            .partition_point(|&x| x <= t)
            .saturating_sub(1)
            .min(last_piece);
        let h = t - self.x[i];
        let [c3, c2, c1, c0] = self.coef[i];
        ((c3 * h + c2) * h + c1) * h + c0
    }
}

/// Thomas algorithm for a tridiagonal system (`lower[0]` and `upper[n−1]` unused).
///
/// No pivoting is needed for the spline systems built here: the interior rows are strictly
/// diagonally dominant; eliminating the first not-a-knot row leaves `dx_0 + dx_1 > 0` on the second
/// diagonal; and for knots as evenly spaced as quarters (89–92 days apart) the last pivot stays
/// near `0.46·dx`, far from zero. A zero pivot (only possible for wildly uneven knots) gives `None`
/// rather than a division by zero.
fn solve_tridiagonal(lower: &[f64], diag: &[f64], upper: &[f64], rhs: &[f64]) -> Option<Vec<f64>> {
    let n = diag.len();
    let mut c = vec![0.0; n];
    let mut d = vec![0.0; n];
    let mut pivot = diag[0];
    if pivot == 0.0 {
        return None;
    }
    c[0] = upper[0] / pivot;
    d[0] = rhs[0] / pivot;
    for i in 1..n {
        pivot = diag[i] - lower[i] * c[i - 1];
        if pivot == 0.0 {
            return None;
        }
        c[i] = upper[i] / pivot;
        d[i] = (rhs[i] - lower[i] * d[i - 1]) / pivot;
    }
    for i in (0..n - 1).rev() {
        d[i] -= c[i] * d[i + 1];
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spline_reproduces_a_cubic_exactly() {
        // Not-a-knot splines are exact for cubic polynomials.
        let f = |t: f64| 0.5 * t * t * t - 2.0 * t * t + t - 3.0;
        let x = [0.0, 1.0, 2.5, 3.0, 4.5, 6.2, 6.9];
        let y: Vec<f64> = x.iter().map(|&t| f(t)).collect();
        let s = NotAKnotSpline::new(&x, &y).unwrap();
        for t in [-1.0, 0.3, 1.7, 2.9, 5.2, 7.0] {
            assert!((s.eval(t) - f(t)).abs() < 1e-9, "{t}");
        }
    }

    #[test]
    fn spline_rejects_bad_knots() {
        assert!(NotAKnotSpline::new(&[0.0, 1.0, 2.0], &[1.0, 2.0, 3.0]).is_none());
        assert!(NotAKnotSpline::new(&[0.0, 1.0, 1.0, 2.0], &[1.0; 4]).is_none());
    }

    #[test]
    fn linear_is_flat_outside_the_knots() {
        assert_eq!(interp_linear(&[1.0, 3.0], &[10.0, 30.0], 0.0), 10.0);
        assert_eq!(interp_linear(&[1.0, 3.0], &[10.0, 30.0], 2.0), 20.0);
        assert_eq!(interp_linear(&[1.0, 3.0], &[10.0, 30.0], 9.0), 30.0);
        assert_eq!(interp_linear(&[1.0], &[10.0], 9.0), 10.0);
    }
}
