//! The report's pictures, drawn with `plotters` into inline SVG: fitted vs actual over the full
//! sample with the out-of-sample window shaded, residuals over time, the residual ACF with its
//! ±1.96/√n band, the residual histogram with the normal density, and failures by test.
//!
//! Every [`Plot`] lists its series with their colours, so a reader (and the browser test) can
//! tell which marks belong to which series; the page writes them as the figure's
//! `data-series`.

use anyhow::{anyhow, Result};
use chrono::{Datelike, NaiveDate};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::results::series::ModelSeries;
use crate::stats::diagnostics::acf;

/// Width and height of a time-series plot, in CSS pixels (fits an A4 page's text width).
pub(super) const WIDE: (u32, u32) = (720, 300);
/// Width and height of the two small residual plots drawn side by side.
const HALF: (u32, u32) = (356, 260);

pub(super) const FONT: &str = "sans-serif";

/// Series colours (colour-blind safe, print well in grey).
pub const ACTUAL: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const FITTED: RGBColor = RGBColor(0x1f, 0x6f, 0xb4);
pub const PREDICTED: RGBColor = RGBColor(0xd9, 0x5f, 0x02);
pub const BAND: RGBColor = RGBColor(0x99, 0x99, 0x99);
pub const BAR: RGBColor = RGBColor(0x4c, 0x78, 0xa8);
pub const DENSITY: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
pub(super) const SHADE: RGBColor = RGBColor(0xee, 0xee, 0xee);

/// One drawn plot.
#[derive(Debug, Clone)]
pub struct Plot {
    /// Short identifier, unique within a model section (`fit`, `residuals`, …).
    pub kind: &'static str,
    pub title: String,
    /// What the picture shows, for screen readers and as a caption.
    pub caption: String,
    /// The series drawn: name and colour (`#rrggbb`).
    pub series: Vec<(String, String)>,
    pub svg: String,
}

pub(super) fn hex(c: &RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

pub(super) fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing a plot: {e}")
}

/// A date as a fractional year (the x coordinate of time plots).
pub fn decimal_year(d: NaiveDate) -> f64 {
    let year_len = if NaiveDate::from_ymd_opt(d.year(), 2, 29).is_some() {
        366.0
    } else {
        365.0
    };
    d.year() as f64 + (d.ordinal0() as f64 + 1.0) / year_len
}

/// Finite runs of `(x, y)` points: a missing value breaks the line instead of being drawn.
pub(super) fn segments(x: &[f64], y: &[f64], keep: impl Fn(usize) -> bool) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for i in 0..x.len() {
        if keep(i) && y[i].is_finite() {
            current.push((x[i], y[i]));
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `[lo, hi]` of the finite values with 5% headroom (a flat series gets ±1).
pub(super) fn y_range<'a>(values: impl IntoIterator<Item = &'a f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    (lo - pad, hi + pad)
}

pub(super) fn svg_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A chart of the report: numbers on both axes, drawn into an SVG string.
pub(super) type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws each run of `runs` as a line in `colour`, `width` pixels wide; the first run names
/// the line in the legend (drawn 2 pixels wide, whatever the line's width).
/// Shades the window from `start` to the right edge `x1` over `[y0, y1]` and labels it at the
/// top left (the out-of-sample window, the scenario horizon).
pub(super) fn shade_window(
    chart: &mut Chart<'_, '_>,
    start: f64,
    (x1, y0, y1): (f64, f64, f64),
    label: &str,
) -> Result<()> {
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(start, y0), (x1, y1)],
            SHADE.filled(),
        )))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(Text::new(
            label.to_string(),
            (start, y1),
            (FONT, 12).into_font().color(&RGBColor(0x66, 0x66, 0x66)),
        )))
        .map_err(err)?;
    Ok(())
}

pub(super) fn draw_line(
    chart: &mut Chart<'_, '_>,
    runs: Vec<Vec<(f64, f64)>>,
    colour: RGBColor,
    width: u32,
    label: &str,
) -> Result<()> {
    let mut first = true;
    for run in runs {
        let a = chart
            .draw_series(LineSeries::new(run, colour.stroke_width(width)))
            .map_err(err)?;
        if std::mem::take(&mut first) {
            a.label(label).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
        }
    }
    Ok(())
}

/// The legend box of every plot: at `position`, over a light background.
pub(super) fn draw_legend<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    position: SeriesLabelPosition,
    font_size: u32,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, font_size))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(0xbb, 0xbb, 0xbb))
        .draw()
        .map_err(err)
}

pub(super) fn year_label(x: &f64) -> String {
    format!("{:.0}", x.floor())
}

/// Actual and fitted (in-sample) / predicted (out-of-sample) over the full sample, the
/// out-of-sample window shaded and labelled.
pub fn fitted_vs_actual(s: &ModelSeries) -> Result<Plot> {
    let x: Vec<f64> = s.dates.iter().map(|d| decimal_year(*d)).collect();
    let (x0, x1) = (x[0], x[x.len() - 1].max(x[0] + 0.25));
    let (y0, y1) = y_range(s.actual.iter().chain(&s.fitted));
    let oos_start = s.in_sample.iter().position(|&i| !i).map(|i| x[i]);
    let has_oos = oos_start.is_some();
    let target = s.target.clone();
    let svg = svg_of(WIDE, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("date (year)")
            .y_desc(target.as_str())
            .x_label_formatter(&year_label)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 12))
            .max_light_lines(0)
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()
            .map_err(err)?;
        if let Some(start) = oos_start {
            shade_window(&mut chart, start, (x1, y0, y1), "out-of-sample")?;
        }
        draw_line(
            &mut chart,
            segments(&x, &s.actual, |_| true),
            ACTUAL,
            2,
            "actual",
        )?;
        let fitted = segments(&x, &s.fitted, |i| s.in_sample[i]);
        draw_line(&mut chart, fitted, FITTED, 2, "fitted (in-sample)")?;
        // The prediction line starts at the last in-sample fit, so the two lines join.
        let last_in = s.in_sample.iter().rposition(|&i| i);
        let predicted = segments(&x, &s.fitted, |i| {
            !s.in_sample[i] || Some(i) == last_in && has_oos
        });
        draw_line(
            &mut chart,
            predicted,
            PREDICTED,
            2,
            "predicted (out-of-sample)",
        )?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
        Ok(())
    })?;
    let mut series = vec![
        ("actual".to_string(), hex(&ACTUAL)),
        ("fitted (in-sample)".to_string(), hex(&FITTED)),
    ];
    if has_oos {
        series.push(("predicted (out-of-sample)".to_string(), hex(&PREDICTED)));
    }
    Ok(Plot {
        kind: "fit",
        title: "Fitted vs actual".into(),
        caption: format!(
            "{} and the model's fitted values over the in-sample window{}, by date.",
            s.target,
            if has_oos {
                " and predictions over the shaded out-of-sample window"
            } else {
                ""
            }
        ),
        series,
        svg,
    })
}

/// Residuals over time, in-sample and out-of-sample, with the zero line.
pub fn residuals_over_time(s: &ModelSeries) -> Result<Plot> {
    let x: Vec<f64> = s.dates.iter().map(|d| decimal_year(*d)).collect();
    let (x0, x1) = (x[0], x[x.len() - 1].max(x[0] + 0.25));
    let (y0, y1) = y_range(&s.residual);
    let lim = y0.abs().max(y1.abs());
    let has_oos = s.in_sample.iter().any(|&i| !i);
    let target = s.target.clone();
    let svg = svg_of(WIDE, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, -lim..lim)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("date (year)")
            .y_desc(format!("residual ({target})"))
            .x_label_formatter(&year_label)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 12))
            .max_light_lines(0)
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(vec![(x0, 0.0), (x1, 0.0)], BAND))
            .map_err(err)?;
        for (in_sample, color, label) in [
            (true, FITTED, "in-sample"),
            (false, PREDICTED, "out-of-sample"),
        ] {
            let runs = segments(&x, &s.residual, |i| s.in_sample[i] == in_sample);
            draw_line(&mut chart, runs, color, 1, label)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
        Ok(())
    })?;
    let mut series = vec![("in-sample".to_string(), hex(&FITTED))];
    if has_oos {
        series.push(("out-of-sample".to_string(), hex(&PREDICTED)));
    }
    Ok(Plot {
        kind: "residuals",
        title: "Residuals over time".into(),
        caption: "Residuals (actual − fitted) by date, in-sample and out-of-sample.".into(),
        series,
        svg,
    })
}

/// The ACF of the in-sample residuals with the ±1.96/√n band.
pub fn residual_acf(resid: &[f64]) -> Result<Plot> {
    let n = resid.len();
    let max_lag = 20.min(n.saturating_sub(2)).max(1);
    let r = acf(resid, max_lag);
    let band = 1.96 / (n as f64).sqrt();
    let lim = r.iter().fold(band, |m, v| m.max(v.abs())).clamp(0.1, 1.0) * 1.1;
    let svg = svg_of(HALF, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(48)
            .build_cartesian_2d(0.0..(max_lag as f64 + 1.0), -lim..lim)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("lag (periods)")
            .y_desc("autocorrelation")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style((FONT, 11))
            .axis_desc_style((FONT, 11))
            .max_light_lines(0)
            .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(r.iter().enumerate().map(|(k, &v)| {
                let x = k as f64 + 1.0;
                Rectangle::new([(x - 0.3, 0.0), (x + 0.3, v)], BAR.filled())
            }))
            .map_err(err)?
            .label("ACF")
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 12, y + 4)], BAR.filled()));
        let end = max_lag as f64 + 1.0;
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, band), (end, band)],
                BAND.stroke_width(1),
            ))
            .map_err(err)?
            .label("±1.96/√n")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BAND.stroke_width(1)));
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, -band), (end, -band)],
                BAND.stroke_width(1),
            ))
            .map_err(err)?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 11)?;
        Ok(())
    })?;
    Ok(Plot {
        kind: "acf",
        title: "Residual autocorrelation".into(),
        caption: format!(
            "Autocorrelation of the {n} in-sample residuals at lags 1–{max_lag}; bars outside \
             the grey band (±1.96/√n = ±{:.3}) are individually significant at 5%.",
            band
        ),
        series: vec![
            ("ACF".to_string(), hex(&BAR)),
            ("±1.96/√n".to_string(), hex(&BAND)),
        ],
        svg,
    })
}

/// Histogram of the in-sample residuals (as a density) with the normal density of their mean
/// and standard deviation.
pub fn residual_histogram(resid: &[f64]) -> Result<Plot> {
    let n = resid.len() as f64;
    let mean = resid.iter().sum::<f64>() / n;
    let sd = (resid.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let (lo, hi) = resid
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = (lo.min(mean - 3.0 * sd), hi.max(mean + 3.0 * sd));
    // Sturges' rule, at least 8 bins.
    let bins = ((n.log2().ceil() as usize) + 1).max(8);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for &v in resid {
        let b = (((v - lo) / width) as usize).min(bins - 1);
        counts[b] += 1;
    }
    let density: Vec<f64> = counts.iter().map(|&c| c as f64 / (n * width)).collect();
    let normal = |x: f64| {
        (-(x - mean).powi(2) / (2.0 * sd * sd)).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt())
    };
    let top = density.iter().copied().fold(normal(mean), f64::max) * 1.15;
    let curve: Vec<(f64, f64)> = (0..=120)
        .map(|i| {
            let x = lo + (hi - lo) * i as f64 / 120.0;
            (x, normal(x))
        })
        .collect();
    let svg = svg_of(HALF, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(48)
            .build_cartesian_2d(lo..hi, 0.0..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("residual")
            .y_desc("density")
            .x_labels(5)
            .label_style((FONT, 11))
            .axis_desc_style((FONT, 11))
            .max_light_lines(0)
            .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(density.iter().enumerate().map(|(b, &d)| {
                let x = lo + b as f64 * width;
                Rectangle::new([(x, 0.0), (x + width, d)], BAR.mix(0.75).filled())
            }))
            .map_err(err)?
            .label("residuals")
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 12, y + 4)], BAR.filled()));
        chart
            .draw_series(LineSeries::new(curve, DENSITY.stroke_width(2)))
            .map_err(err)?
            .label("normal density")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], DENSITY.stroke_width(2)));
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 11)?;
        Ok(())
    })?;
    Ok(Plot {
        kind: "histogram",
        title: "Residual distribution".into(),
        caption: format!(
            "Histogram of the {} in-sample residuals ({bins} bins, as a density) and the normal \
             density with their mean and standard deviation.",
            resid.len()
        ),
        series: vec![
            ("residuals".to_string(), hex(&BAR)),
            ("normal density".to_string(), hex(&DENSITY)),
        ],
        svg,
    })
}

/// Horizontal bars: specs that failed at each filter (in filter order), labelled with counts.
pub fn failures_by_test(failures: &[(String, u64)]) -> Result<Plot> {
    let rows = failures.len().max(1);
    let height = 40 + 30 * rows as u32;
    let max = failures.iter().map(|f| f.1).max().unwrap_or(1).max(1) as f64;
    let names: Vec<String> = failures.iter().map(|f| f.0.clone()).collect();
    let svg = svg_of((WIDE.0, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .margin_right(60)
            .x_label_area_size(30)
            .y_label_area_size(190)
            .build_cartesian_2d(0.0..max * 1.12, 0.0..rows as f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows * 2 + 1)
            .y_label_formatter(&|y| {
                let k = y.floor() as usize;
                if (y - k as f64 - 0.5).abs() < 1e-9 && k < names.len() {
                    names[names.len() - 1 - k].clone()
                } else {
                    String::new()
                }
            })
            .x_desc("specs failed")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 12))
            .max_light_lines(0)
            .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
            .draw()
            .map_err(err)?;
        let n = failures.len();
        chart
            .draw_series(failures.iter().enumerate().map(|(i, (_, c))| {
                let y = (n - 1 - i) as f64;
                Rectangle::new([(0.0, y + 0.2), (*c as f64, y + 0.8)], BAR.filled())
            }))
            .map_err(err)?;
        chart
            .draw_series(failures.iter().enumerate().map(|(i, (_, c))| {
                let y = (n - 1 - i) as f64;
                Text::new(
                    format!(" {c}"),
                    (*c as f64, y + 0.62),
                    (FONT, 12).into_font(),
                )
            }))
            .map_err(err)?;
        Ok(())
    })?;
    Ok(Plot {
        kind: "failures",
        title: "Failures by test".into(),
        caption: "Number of specs that failed at each filter (the first filter a spec failed \
                  stops it)."
            .into(),
        series: vec![("specs failed".to_string(), hex(&BAR))],
        svg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_years_order_quarter_ends() {
        let q = |y, m, d| decimal_year(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert!(q(2000, 3, 31) < q(2000, 6, 30) && q(2000, 12, 31) <= 2001.0);
        assert!((q(2001, 12, 31) - 2002.0).abs() < 1e-12);
    }

    #[test]
    fn missing_values_break_lines() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let y = [1.0, f64::NAN, 2.0, 3.0, f64::NAN];
        let s = segments(&x, &y, |_| true);
        assert_eq!(s, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
    }
}
