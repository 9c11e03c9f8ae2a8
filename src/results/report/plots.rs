//! The report's pictures, drawn with `plotters` into inline SVG: fitted vs actual over the full
//! sample with the out-of-sample window shaded, residuals over time, the residual ACF with its
//! ±1.96/√n band, the residual histogram with the normal density, and failures by test.
//!
//! Every [`Plot`] lists its series with their colours, so a reader (and the browser test) can
//! tell which marks belong to which series; the page writes them as the figure's
//! `data-series`.

use anyhow::Result;
use plotters::prelude::*;

use super::chart::{
    decimal_year, draw_legend, draw_line, hex, segments, shade_outliers, shade_window, svg_of,
    with_legend_room, y_range, Frame, Plot, ACTUAL, BAND, BAR, DENSITY, FITTED, FONT, HALF,
    OUTLIER, PREDICTED, WIDE,
};

/// The x coordinates of the outlier dates and the width of one period.
fn outliers(s: &ModelSeries, x: &[f64]) -> (Vec<f64>, f64) {
    let at: Vec<f64> = (0..x.len())
        .filter(|&i| s.outlier[i])
        .map(|i| x[i])
        .collect();
    let width = if x.len() > 1 {
        (x[x.len() - 1] - x[0]) / (x.len() - 1) as f64
    } else {
        0.25
    };
    (at, width)
}
use crate::results::series::ModelSeries;
use crate::stats::diagnostics::acf;

/// Actual and fitted (in-sample) / predicted (out-of-sample) over the full sample, the
/// out-of-sample window shaded and labelled.
pub fn fitted_vs_actual(s: &ModelSeries) -> Result<Plot> {
    let x: Vec<f64> = s.dates.iter().map(|d| decimal_year(*d)).collect();
    let (x0, x1) = (x[0], x[x.len() - 1].max(x[0] + 0.25));
    let oos_start = (0..x.len()).position(|i| s.window_oos[i]).map(|i| x[i]);
    let has_oos = oos_start.is_some();
    // Room above the data for the legend: it never covers a line.
    let (y0, y1) = with_legend_room(
        y_range(s.actual.iter().chain(&s.fitted)),
        2 + usize::from(has_oos),
    );
    let (outlier_x, period) = outliers(s, &x);
    let target = s.target.clone();
    let svg = svg_of(WIDE, |root| {
        let mut chart = Frame::new(x0..x1, y0..y1, "date (year)", &target)
            .dates()
            .draw(root)?;
        if let Some(start) = oos_start {
            shade_window(&mut chart, start, (x1, y0, y1), "out-of-sample")?;
        }
        shade_outliers(&mut chart, &outlier_x, period, (y0, y1))?;
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
            s.window_oos[i] || Some(i) == last_in && has_oos
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
    if !outlier_x.is_empty() {
        series.push(("outlier (left out of the fit)".to_string(), hex(&OUTLIER)));
    }
    Ok(Plot {
        kind: "fit",
        title: "Fitted vs actual".into(),
        caption: format!(
            "{} and the model's fitted values over the in-sample window{}{}, by date.",
            s.target,
            if has_oos {
                " and predictions over the shaded out-of-sample window"
            } else {
                ""
            },
            if outlier_x.is_empty() {
                String::new()
            } else {
                format!(
                    "; the {} outlier date(s) shaded in red are left out of the fit",
                    outlier_x.len()
                )
            }
        ),
        series,
        svg,
    })
}

/// A ratio target's levels (§9): the actual level and the fitted level (the fitted ratio
/// times the exposure) by date, the out-of-sample window shaded.
pub fn fitted_levels(s: &ModelSeries) -> Result<Option<Plot>> {
    let Some(l) = &s.levels else { return Ok(None) };
    let x: Vec<f64> = s.dates.iter().map(|d| decimal_year(*d)).collect();
    let (x0, x1) = (x[0], x[x.len() - 1].max(x[0] + 0.25));
    let (y0, y1) = with_legend_room(y_range(l.actual.iter().chain(&l.fitted)), 2);
    let oos_start = (0..x.len()).position(|i| s.window_oos[i]).map(|i| x[i]);
    let (outlier_x, period) = outliers(s, &x);
    let y_desc = format!("level (ratio × {})", l.exposure_name);
    let svg = svg_of(WIDE, |root| {
        let mut chart = Frame::new(x0..x1, y0..y1, "date (year)", &y_desc)
            .dates()
            .draw(root)?;
        if let Some(start) = oos_start {
            shade_window(&mut chart, start, (x1, y0, y1), "out-of-sample")?;
        }
        shade_outliers(&mut chart, &outlier_x, period, (y0, y1))?;
        draw_line(
            &mut chart,
            segments(&x, &l.actual, |_| true),
            ACTUAL,
            2,
            "actual level",
        )?;
        draw_line(
            &mut chart,
            segments(&x, &l.fitted, |_| true),
            FITTED,
            2,
            "fitted level",
        )?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
        Ok(())
    })?;
    Ok(Some(Plot {
        kind: "levels",
        title: "Fitted vs actual levels".into(),
        caption: format!(
            "The target's level and the model's fitted level by date: the fitted ratio \
             (from the actual ratio one transform period earlier) times {}.",
            l.exposure_name
        ),
        series: vec![
            ("actual level".to_string(), hex(&ACTUAL)),
            ("fitted level".to_string(), hex(&FITTED)),
        ],
        svg,
    }))
}

/// Residuals over time, in-sample and out-of-sample, with the zero line.
pub fn residuals_over_time(s: &ModelSeries) -> Result<Plot> {
    let x: Vec<f64> = s.dates.iter().map(|d| decimal_year(*d)).collect();
    let (x0, x1) = (x[0], x[x.len() - 1].max(x[0] + 0.25));
    let (y0, y1) = y_range(&s.residual);
    let lim = y0.abs().max(y1.abs());
    let has_oos = s.window_oos.iter().any(|&o| o);
    let (outlier_x, period) = outliers(s, &x);
    let y_desc = format!("residual ({})", s.target);
    let svg = svg_of(WIDE, |root| {
        // Room above the residuals for the legend.
        let top = with_legend_room((-lim, lim), 2).1;
        let mut chart = Frame::new(x0..x1, -lim..top, "date (year)", &y_desc)
            .dates()
            .draw(root)?;
        shade_outliers(&mut chart, &outlier_x, period, (-lim, lim))?;
        chart
            .draw_series(LineSeries::new(vec![(x0, 0.0), (x1, 0.0)], BAND))
            .map_err(super::chart::err)?;
        for (in_sample, color, label) in [
            (true, FITTED, "in-sample"),
            (false, PREDICTED, "out-of-sample"),
        ] {
            let runs = segments(&x, &s.residual, |i| {
                !s.outlier[i] && s.window_oos[i] != in_sample
            });
            draw_line(&mut chart, runs, color, 1, label)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
        Ok(())
    })?;
    let mut series = vec![("in-sample".to_string(), hex(&FITTED))];
    if has_oos {
        series.push(("out-of-sample".to_string(), hex(&PREDICTED)));
    }
    if !outlier_x.is_empty() {
        series.push(("outlier (left out of the fit)".to_string(), hex(&OUTLIER)));
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
        let x = 0.0..(max_lag as f64 + 1.0);
        let mut chart = Frame::new(x, -lim..lim, "lag (periods)", "autocorrelation")
            .small()
            .draw(root)?;
        chart
            .draw_series(r.iter().enumerate().map(|(k, &v)| {
                let x = k as f64 + 1.0;
                Rectangle::new([(x - 0.3, 0.0), (x + 0.3, v)], BAR.filled())
            }))
            .map_err(super::chart::err)?
            .label("ACF")
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 12, y + 4)], BAR.filled()));
        let end = max_lag as f64 + 1.0;
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, band), (end, band)],
                BAND.stroke_width(1),
            ))
            .map_err(super::chart::err)?
            .label("±1.96/√n")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BAND.stroke_width(1)));
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, -band), (end, -band)],
                BAND.stroke_width(1),
            ))
            .map_err(super::chart::err)?;
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
        let mut chart = Frame::new(lo..hi, 0.0..top, "residual", "density")
            .small()
            .x_labels(5)
            .draw(root)?;
        chart
            .draw_series(density.iter().enumerate().map(|(b, &d)| {
                let x = lo + b as f64 * width;
                Rectangle::new([(x, 0.0), (x + width, d)], BAR.mix(0.75).filled())
            }))
            .map_err(super::chart::err)?
            .label("residuals")
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 12, y + 4)], BAR.filled()));
        chart
            .draw_series(LineSeries::new(curve, DENSITY.stroke_width(2)))
            .map_err(super::chart::err)?
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
    let name_of = |y: &f64| {
        let k = y.floor() as usize;
        if (y - k as f64 - 0.5).abs() < 1e-9 && k < names.len() {
            names[names.len() - 1 - k].clone()
        } else {
            String::new()
        }
    };
    let svg = svg_of((WIDE.0, height), |root| {
        let mut chart = Frame::new(0.0..max * 1.12, 0.0..rows as f64, "specs failed", "")
            .y_categories(rows * 2 + 1, &name_of, 190)
            .margin_right(60)
            .draw(root)?;
        let n = failures.len();
        chart
            .draw_series(failures.iter().enumerate().map(|(i, (_, c))| {
                let y = (n - 1 - i) as f64;
                Rectangle::new([(0.0, y + 0.2), (*c as f64, y + 0.8)], BAR.filled())
            }))
            .map_err(super::chart::err)?;
        chart
            .draw_series(failures.iter().enumerate().map(|(i, (_, c))| {
                let y = (n - 1 - i) as f64;
                Text::new(
                    format!(" {c}"),
                    (*c as f64, y + 0.62),
                    (FONT, 12).into_font(),
                )
            }))
            .map_err(super::chart::err)?;
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
