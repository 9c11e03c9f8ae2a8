//! The pictures of a model's stability (§11) and backtests (§12): the walk-forward plot
//! (actual, fitted, each trial's pseudo-out-of-sample predictions with its cut line), the
//! recursive coefficients with their ±2 SE bands, the two CUSUMs with their 5 % boundaries,
//! and the backtest fan (each jump-off's projected level over the actual level). Drawn with
//! the report's [`Frame`] like every other plot.

use anyhow::{bail, Result};
use chrono::NaiveDate;
use plotters::prelude::*;

use super::chart::{
    decimal_year, draw_legend, draw_line, err, hex, segments, svg_of, y_range, Frame, Plot, ACTUAL,
    BAND, FITTED, FONT, HALF, PREDICTED, WIDE,
};
use crate::journal::{BreakTest, CusumRecord, ModelBacktest, ModelStability};
use crate::results::series::ModelData;

/// Colours of the walk-forward trials (WF1, WF2, …), distinct from actual and fitted.
const TRIALS: [RGBColor; 5] = [
    RGBColor(0xd9, 0x5f, 0x02),
    RGBColor(0x75, 0x70, 0xb3),
    RGBColor(0x1b, 0x9e, 0x77),
    RGBColor(0xc0, 0x39, 0x2b),
    RGBColor(0x66, 0x66, 0x66),
];

/// Years of jump-offs the fan shows, back from the last one.
const FAN_YEARS: f64 = 12.0;

/// In-sample jump-offs' paths in the fan, and out-of-sample ones.
const IN_PATH: RGBColor = RGBColor(0x1f, 0x6f, 0xb4);
const OUT_PATH: RGBColor = RGBColor(0xd9, 0x5f, 0x02);

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Lines without a legend entry (the second line of a pair the legend already names).
fn draw_runs(
    chart: &mut super::chart::Chart<'_, '_>,
    runs: Vec<Vec<(f64, f64)>>,
    colour: RGBColor,
) -> Result<()> {
    for run in runs {
        chart
            .draw_series(LineSeries::new(run, colour.stroke_width(1)))
            .map_err(err)?;
    }
    Ok(())
}

/// A dashed vertical line at `x` over `[y0, y1]`.
fn vertical(
    chart: &mut super::chart::Chart<'_, '_>,
    x: f64,
    (y0, y1): (f64, f64),
    colour: RGBColor,
) -> Result<()> {
    let steps = 24;
    let dy = (y1 - y0) / steps as f64;
    chart
        .draw_series((0..steps).step_by(2).map(|k| {
            let a = y0 + k as f64 * dy;
            PathElement::new(vec![(x, a), (x, a + dy)], colour.stroke_width(1))
        }))
        .map_err(err)?;
    Ok(())
}

/// Actual and fitted over the end of the in-sample, and each trial's predictions over its
/// cut rows (its pseudo out-of-sample) with a dashed line where its fit ends.
pub fn walk_forward(data: &ModelData, stability: &ModelStability) -> Result<Plot> {
    let full = stability
        .trials
        .first()
        .filter(|t| t.cut == 0)
        .ok_or_else(|| anyhow::anyhow!("no full in-sample fit among the trials"))?;
    let n_in = data.n_in();
    let params = |t: &crate::journal::TrialRecord| -> Vec<f64> {
        t.coefficients
            .iter()
            .map(|c| c.coef.unwrap_or(f64::NAN))
            .collect()
    };
    let fitted = data.series(&params(full))?;
    let max_cut = stability
        .trials
        .iter()
        .map(|t| t.cut as usize)
        .max()
        .unwrap_or(0);
    // The window shown: three times the deepest cut before the in-sample end, at least 24 rows.
    let first = n_in.saturating_sub((3 * max_cut).max(24));
    let rows = first..n_in;
    let x: Vec<f64> = rows.clone().map(|i| decimal_year(data.dates[i])).collect();
    let actual: Vec<f64> = rows.clone().map(|i| data.actual[i]).collect();
    let fit: Vec<f64> = rows.clone().map(|i| fitted.fitted[i]).collect();
    let mut trials: Vec<(String, f64, Vec<f64>)> = Vec::new();
    for t in stability.trials.iter().filter(|t| t.cut > 0) {
        if t.coefficients.is_empty() {
            continue;
        }
        let s = data.series(&params(t))?;
        let cut_row = n_in - t.cut as usize;
        let pred = rows
            .clone()
            .map(|i| {
                if i + 1 >= cut_row {
                    s.fitted[i]
                } else {
                    f64::NAN
                }
            })
            .collect();
        let at = decimal_year(data.dates[cut_row - 1]);
        trials.push((t.trial.clone(), at, pred));
    }
    let (x0, x1) = (x[0], x[x.len() - 1].max(x[0] + 0.25));
    let (y0, y1) = y_range(
        actual
            .iter()
            .chain(&fit)
            .chain(trials.iter().flat_map(|t| t.2.iter())),
    );
    let y_desc = data.target.clone();
    let svg = svg_of(WIDE, |root| {
        let mut chart = Frame::new(x0..x1, y0..y1, "date (year)", &y_desc)
            .dates()
            .draw(root)?;
        for (k, (_, at, _)) in trials.iter().enumerate() {
            vertical(&mut chart, *at, (y0, y1), TRIALS[k % TRIALS.len()])?;
        }
        draw_line(
            &mut chart,
            segments(&x, &actual, |_| true),
            ACTUAL,
            2,
            "actual",
        )?;
        draw_line(
            &mut chart,
            segments(&x, &fit, |_| true),
            FITTED,
            1,
            "fitted (full in-sample fit)",
        )?;
        // The deepest cut first, so the shorter trials' lines stay visible over it.
        for (k, (label, _, pred)) in trials.iter().enumerate().rev() {
            draw_line(
                &mut chart,
                segments(&x, pred, |_| true),
                TRIALS[k % TRIALS.len()],
                2,
                &format!("{label} pseudo-out-of-sample"),
            )?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 11)?;
        Ok(())
    })?;
    let mut series = vec![
        ("actual".to_string(), hex(&ACTUAL)),
        ("fitted (full in-sample fit)".to_string(), hex(&FITTED)),
    ];
    for (k, (label, _, _)) in trials.iter().enumerate() {
        series.push((
            format!("{label} pseudo-out-of-sample"),
            hex(&TRIALS[k % TRIALS.len()]),
        ));
    }
    Ok(Plot {
        kind: "walk-forward",
        title: "Walk-forward trials".into(),
        caption: format!(
            "{}: the actual values and the full fit over the end of the in-sample; each trial's \
             fit ends at its dashed line and predicts the rows after it (its pseudo \
             out-of-sample, up to the in-sample end; the true out-of-sample is not used).",
            data.target
        ),
        series,
        svg,
    })
}

/// One coefficient's expanding-window path with its ±2 SE band and the full fit's value.
pub fn recursive_coefficient(
    name: &str,
    dates: &[String],
    coefs: &[f64],
    ses: &[f64],
) -> Result<Plot> {
    let x: Vec<f64> = dates
        .iter()
        .map(|d| date(d).map_or(f64::NAN, decimal_year))
        .collect();
    if x.is_empty() || x.iter().any(|v| v.is_nan()) {
        bail!("the recursive windows have no usable dates");
    }
    let lower: Vec<f64> = coefs.iter().zip(ses).map(|(b, s)| b - 2.0 * s).collect();
    let upper: Vec<f64> = coefs.iter().zip(ses).map(|(b, s)| b + 2.0 * s).collect();
    let last = coefs.last().copied().unwrap_or(f64::NAN);
    // The band's early, wide windows would flatten the picture: the y range covers the
    // coefficient path and the band from the fifth window on.
    let skip = (coefs.len() / 20).min(4);
    let (y0, y1) = y_range(
        coefs
            .iter()
            .chain(&lower[skip..])
            .chain(&upper[skip..])
            .chain(std::iter::once(&0.0)),
    );
    let (x0, x1) = (x[0], x[x.len() - 1].max(x[0] + 0.25));
    let svg = svg_of(HALF, |root| {
        let mut chart = Frame::new(x0..x1, y0..y1, "window end (year)", "")
            .dates()
            .x_labels(6)
            .small()
            .draw(root)?;
        chart
            .draw_series(LineSeries::new(vec![(x0, 0.0), (x1, 0.0)], BAND))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                vec![(x0, last), (x1, last)],
                FITTED.mix(0.5).stroke_width(1),
            ))
            .map_err(err)?;
        let clip = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .map(|&y| if (y0..=y1).contains(&y) { y } else { f64::NAN })
                .collect()
        };
        draw_line(
            &mut chart,
            segments(&x, &clip(&lower), |_| true),
            BAND,
            1,
            "±2 SE",
        )?;
        draw_runs(&mut chart, segments(&x, &clip(&upper), |_| true), BAND)?;
        draw_line(&mut chart, segments(&x, coefs, |_| true), FITTED, 2, name)?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 10)?;
        Ok(())
    })?;
    Ok(Plot {
        kind: "recursive",
        title: format!("Recursive coefficient: {name}"),
        caption: format!(
            "{name} estimated on every expanding window from the in-sample start, by the \
             window's last date, with ±2 non-robust standard errors (grey; clipped to the \
             picture) and the full in-sample value (faint line)."
        ),
        series: vec![
            (name.to_string(), hex(&FITTED)),
            ("±2 SE".to_string(), hex(&BAND)),
        ],
        svg,
    })
}

/// A CUSUM path with its 5 % boundaries.
pub fn cusum(c: &CusumRecord, in_sample_dates: &[NaiveDate]) -> Result<Plot> {
    let start = date(&c.first_date)
        .and_then(|d| in_sample_dates.iter().position(|x| *x == d))
        .ok_or_else(|| anyhow::anyhow!("the CUSUM's first date is not an in-sample date"))?;
    let x: Vec<f64> = in_sample_dates[start..]
        .iter()
        .take(c.path.len())
        .map(|d| decimal_year(*d))
        .collect();
    if x.len() != c.path.len() || x.is_empty() {
        bail!("the CUSUM path does not match the in-sample dates");
    }
    let lower: Vec<f64> = c.upper.iter().map(|u| -u).collect();
    let (y0, y1) = y_range(c.path.iter().chain(&c.upper).chain(&lower));
    let lim = y0.abs().max(y1.abs());
    let (x0, x1) = (x[0], x[x.len() - 1].max(x[0] + 0.25));
    let (title, y_desc, what) = match c.test {
        BreakTest::CusumRecursive => (
            "CUSUM of recursive residuals",
            "W_r",
            "the cumulated standardised recursive residuals (Brown–Durbin–Evans) with their 5% \
             boundaries ±0.948(√(T−k) + 2(r−k)/√(T−k))",
        ),
        _ => (
            "CUSUM of OLS residuals",
            "B_t",
            "the cumulated OLS residuals scaled by √n·σ̂ (Ploberger–Krämer) with the 5% \
             boundaries ±1.358 of the supremum of a Brownian bridge",
        ),
    };
    let svg = svg_of(HALF, |root| {
        let mut chart = Frame::new(x0..x1, -lim..lim, "date (year)", y_desc)
            .dates()
            .x_labels(6)
            .small()
            .draw(root)?;
        chart
            .draw_series(LineSeries::new(vec![(x0, 0.0), (x1, 0.0)], BAND))
            .map_err(err)?;
        draw_line(
            &mut chart,
            segments(&x, &c.upper, |_| true),
            PREDICTED,
            1,
            "5% boundary",
        )?;
        draw_runs(&mut chart, segments(&x, &lower, |_| true), PREDICTED)?;
        draw_line(
            &mut chart,
            segments(&x, &c.path, |_| true),
            FITTED,
            2,
            "CUSUM",
        )?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 10)?;
        Ok(())
    })?;
    Ok(Plot {
        kind: match c.test {
            BreakTest::CusumRecursive => "cusum-recursive",
            _ => "cusum-ols",
        },
        title: title.into(),
        caption: format!(
            "{}: the path leaving the band is a break at 5%.",
            what[..1].to_uppercase() + &what[1..]
        ),
        series: vec![
            ("CUSUM".to_string(), hex(&FITTED)),
            ("5% boundary".to_string(), hex(&PREDICTED)),
        ],
        svg,
    })
}

/// Each jump-off's projected quarterly level over the actual level.
pub fn backtest_fan(level_name: &str, b: &ModelBacktest) -> Result<Plot> {
    if b.jump_offs.is_empty() {
        bail!("no jump-off");
    }
    // The actual level: each jump-off's level and the actual quarters after it, once per date.
    let mut actual: Vec<(NaiveDate, f64)> = Vec::new();
    let mut paths: Vec<(bool, Vec<f64>, Vec<f64>)> = Vec::new();
    // A long history of a trending level would flatten every path into the line: the fan
    // shows the jump-offs of the last FAN_YEARS years before the last one (the tables cover
    // all of them).
    let last = b
        .jump_offs
        .iter()
        .filter_map(|j| date(&j.jump_off))
        .map(decimal_year)
        .fold(f64::NEG_INFINITY, f64::max);
    let shown: Vec<_> = b
        .jump_offs
        .iter()
        .filter(|j| date(&j.jump_off).is_some_and(|d| decimal_year(d) >= last - FAN_YEARS))
        .collect();
    let count = shown.len();
    for j in shown {
        let Some(d0) = date(&j.jump_off) else {
            continue;
        };
        actual.push((d0, j.p0_level));
        let mut px = vec![decimal_year(d0)];
        let mut py = vec![j.p0_level];
        for (k, d) in j.dates.iter().enumerate() {
            let Some(d) = date(d) else { continue };
            actual.push((d, j.actual[k]));
            px.push(decimal_year(d));
            py.push(j.predicted[k]);
        }
        paths.push((j.in_sample, px, py));
    }
    actual.sort_by_key(|a| a.0);
    actual.dedup_by_key(|a| a.0);
    let ax: Vec<f64> = actual.iter().map(|a| decimal_year(a.0)).collect();
    let ay: Vec<f64> = actual.iter().map(|a| a.1).collect();
    let (x0, x1) = (ax[0], ax[ax.len() - 1].max(ax[0] + 0.25));
    let (y0, y1) = y_range(ay.iter().chain(paths.iter().flat_map(|p| p.2.iter())));
    let y_desc = format!("{level_name} (level)");
    let has_out = paths.iter().any(|p| !p.0);
    let has_in = paths.iter().any(|p| p.0);
    let svg = svg_of(WIDE, |root| {
        let mut chart = Frame::new(x0..x1, y0..y1, "date (year)", &y_desc)
            .dates()
            .draw(root)?;
        for in_sample in [true, false] {
            let (colour, label) = if in_sample {
                (IN_PATH, "projection from an in-sample jump-off")
            } else {
                (OUT_PATH, "projection from an out-of-sample jump-off")
            };
            let runs: Vec<Vec<(f64, f64)>> = paths
                .iter()
                .filter(|p| p.0 == in_sample)
                .flat_map(|p| segments(&p.1, &p.2, |_| true))
                .collect();
            if !runs.is_empty() {
                let mut first = true;
                for run in runs {
                    let a = chart
                        .draw_series(LineSeries::new(run, colour.mix(0.45).stroke_width(1)))
                        .map_err(err)?;
                    if std::mem::take(&mut first) {
                        a.label(label).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                        });
                    }
                }
            }
        }
        draw_line(
            &mut chart,
            segments(&ax, &ay, |_| true),
            ACTUAL,
            2,
            "actual",
        )?;
        if let Some(first_out) = paths.iter().find(|p| !p.0) {
            chart
                .draw_series(std::iter::once(Text::new(
                    "out-of-sample jump-offs".to_string(),
                    (first_out.1[0], y1),
                    (FONT, 11).into_font().color(&RGBColor(0x66, 0x66, 0x66)),
                )))
                .map_err(err)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
        Ok(())
    })?;
    let mut series = vec![("actual".to_string(), hex(&ACTUAL))];
    if has_in {
        series.push(("in-sample jump-offs".to_string(), hex(&IN_PATH)));
    }
    if has_out {
        series.push(("out-of-sample jump-offs".to_string(), hex(&OUT_PATH)));
    }
    let quarters = b.summaries.first().map_or(0, |s| s.quarters);
    Ok(Plot {
        kind: "backtest-fan",
        title: "Backtest fan".into(),
        caption: format!(
            "{level_name}: the actual level (quarterly) and, from each jump-off, the \
             {quarters}-quarter level projected on the actual drivers ({count} of the {} \
             jump-offs: those of the last {FAN_YEARS:.0} years before the last one).",
            b.jump_offs.len()
        ),
        series,
        svg,
    })
}
