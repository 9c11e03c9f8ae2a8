//! The pictures of a validated model (docs/semantics.md §10): the scenario fan with its
//! simulated bands, the shocked level paths of each feature, the attribution of the 9Q outcome
//! to each feature, and each driver's history and scenario paths — drawn with the report's
//! [`Frame`] like every other plot.

use anyhow::Result;
use chrono::NaiveDate;
use plotters::prelude::*;

use super::chart::{
    decimal_year, draw_legend, draw_line, err, hex, segments, shade_window, svg_of, y_range, Frame,
    Plot, ACTUAL, HALF, WIDE,
};
use super::fan::{PATHS, PATH_NAMES};

/// A dated series.
pub type Dated = Vec<(NaiveDate, f64)>;

/// Years of history shown before p0 in the small plots.
const SHORT_HISTORY_YEARS: f64 = 4.0;
/// Years of history shown before p0 in the fan.
const HISTORY_YEARS: f64 = 8.0;

fn xy(points: &[(NaiveDate, f64)]) -> (Vec<f64>, Vec<f64>) {
    points.iter().map(|(d, v)| (decimal_year(*d), *v)).unzip()
}

fn tail(history: &[(NaiveDate, f64)], years: f64) -> Dated {
    let p0 = history.last().map_or(0.0, |h| decimal_year(h.0));
    history
        .iter()
        .filter(|h| decimal_year(h.0) >= p0 - years)
        .copied()
        .collect()
}

/// One scenario's band: its name, its path, and its lowest and highest quantile paths.
pub struct BandPaths {
    pub scenario: String,
    pub path: Dated,
    pub lower: Dated,
    pub upper: Dated,
}

/// The fan with bands: the actual level before p0, each scenario's projected level and the
/// band between its lowest and highest simulated quantile (`quantiles` names them).
pub fn fan_with_bands(
    target: &str,
    history: &[(NaiveDate, f64)],
    bands: &[BandPaths],
    quantiles: (f64, f64),
) -> Result<Plot> {
    let shown = tail(history, HISTORY_YEARS);
    let (hx, hy) = xy(&shown);
    let p0 = hx.last().copied().unwrap_or(0.0);
    let x0 = hx.first().copied().unwrap_or(p0);
    let x1 = bands
        .iter()
        .filter_map(|b| b.path.last().map(|l| decimal_year(l.0)))
        .fold(p0 + 0.25, f64::max);
    let all = hy.iter().chain(
        bands
            .iter()
            .flat_map(|b| b.lower.iter().chain(&b.upper).chain(&b.path).map(|p| &p.1)),
    );
    let (y0, y1) = y_range(all);
    let y_desc = format!("{target} (level)");
    let band_label = format!(
        "{}–{}% band",
        super::super::table::fmt_real(100.0 * quantiles.0),
        super::super::table::fmt_real(100.0 * quantiles.1)
    );
    let svg = svg_of(WIDE, |root| {
        let mut chart = Frame::new(x0..x1, y0..y1, "date (year)", &y_desc)
            .dates()
            .draw(root)?;
        shade_window(&mut chart, p0, (x1, y0, y1), "scenarios from p0")?;
        for (k, b) in bands.iter().enumerate() {
            let colour = PATHS[k % PATHS.len()];
            let (lx, ly) = xy(&b.lower);
            let (ux, uy) = xy(&b.upper);
            let mut outline: Vec<(f64, f64)> = lx.iter().copied().zip(ly).collect();
            outline.extend(ux.iter().copied().zip(uy).rev());
            if outline.iter().all(|p| p.1.is_finite()) {
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline,
                        colour.mix(0.14).filled(),
                    )))
                    .map_err(err)?;
            }
        }
        draw_line(
            &mut chart,
            segments(&hx, &hy, |_| true),
            ACTUAL,
            2,
            "actual",
        )?;
        for (k, b) in bands.iter().enumerate() {
            let colour = PATHS[k % PATHS.len()];
            let (px, py) = xy(&b.path);
            draw_line(
                &mut chart,
                segments(&px, &py, |_| true),
                colour,
                2,
                &b.scenario,
            )?;
            for edge in [&b.lower, &b.upper] {
                let (ex, ey) = xy(edge);
                chart
                    .draw_series(LineSeries::new(
                        segments(&ex, &ey, |_| true).concat(),
                        colour.mix(0.5).stroke_width(1),
                    ))
                    .map_err(err)?;
            }
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
        Ok(())
    })?;
    let mut series = vec![("actual".to_string(), hex(&ACTUAL))];
    for (k, b) in bands.iter().enumerate() {
        series.push((b.scenario.clone(), hex(&PATHS[k % PATHS.len()])));
    }
    Ok(Plot {
        kind: "bands",
        title: format!("Scenario fan with its {band_label}"),
        caption: format!(
            "{target}: the actual level up to p0, each scenario's projected level and, shaded, \
             the {band_label} of its level simulated from the coefficients' covariance and the \
             residual variance (the same draws for every scenario)."
        ),
        series,
        svg,
    })
}

/// A shocked path of one feature: the shock's kind (`coefficient` / `driver`), its signed
/// size and the level path from p0.
pub struct Shocked {
    pub shock: String,
    pub k: f64,
    pub path: Dated,
}

/// Blue for falls, red for rises, darker for larger |k|.
fn shock_colour(k: f64, largest: f64) -> RGBColor {
    let t = (k.abs() / largest.max(1e-12)).clamp(0.0, 1.0);
    let fade = |full: u8| (255.0 - (255.0 - full as f64) * (0.35 + 0.65 * t)) as u8;
    if k < 0.0 {
        RGBColor(fade(0x1f), fade(0x4e), fade(0x9a))
    } else {
        RGBColor(fade(0xb2), fade(0x18), fade(0x2b))
    }
}

const COEFFICIENT: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// One feature's shocked level paths under one scenario (a half-width plot, no legend: its
/// caption names the marks): the actual level then the unshocked path (black), the driver
/// shocks ±k·σ (blue falls, red rises, darker for larger k) and the coefficient shocks ±k·SE
/// (grey, dashed).
pub fn sensitivity(
    target: &str,
    feature: &str,
    scenario: &str,
    history: &[(NaiveDate, f64)],
    unshocked: &[(NaiveDate, f64)],
    shocked: &[Shocked],
) -> Result<Plot> {
    let shown = tail(history, SHORT_HISTORY_YEARS);
    let (hx, hy) = xy(&shown);
    let p0 = hx.last().copied().unwrap_or(0.0);
    let x0 = hx.first().copied().unwrap_or(p0);
    let (ux, uy) = xy(unshocked);
    let x1 = ux.last().copied().unwrap_or(p0 + 0.25).max(p0 + 0.25);
    let (y0, y1) = y_range(
        hy.iter()
            .chain(&uy)
            .chain(shocked.iter().flat_map(|s| s.path.iter().map(|p| &p.1))),
    );
    let largest = shocked
        .iter()
        .filter(|s| s.shock == "driver")
        .fold(0.0f64, |m, s| m.max(s.k.abs()));
    let svg = svg_of(HALF, |root| {
        let mut chart = Frame::new(x0..x1, y0..y1, "date (year)", "")
            .dates()
            .small()
            .x_labels(6)
            .draw(root)?;
        shade_window(&mut chart, p0, (x1, y0, y1), "")?;
        for s in shocked {
            let (sx, sy) = xy(&s.path);
            let points = segments(&sx, &sy, |_| true).concat();
            if s.shock == "driver" {
                chart
                    .draw_series(LineSeries::new(
                        points,
                        shock_colour(s.k, largest).stroke_width(1),
                    ))
                    .map_err(err)?;
            } else {
                chart
                    .draw_series(DashedLineSeries::new(
                        points,
                        4,
                        3,
                        COEFFICIENT.stroke_width(1),
                    ))
                    .map_err(err)?;
            }
        }
        // The actual level, then the scenario's own path, on top.
        draw_line(
            &mut chart,
            segments(&hx, &hy, |_| true),
            ACTUAL,
            2,
            "actual",
        )?;
        draw_line(
            &mut chart,
            segments(&ux, &uy, |_| true),
            ACTUAL,
            3,
            scenario,
        )?;
        Ok(())
    })?;
    Ok(Plot {
        kind: "sensitivity",
        title: format!("{feature} under {scenario}"),
        caption: format!(
            "{target} (level): actual, then {scenario} (black, thick); {feature} shocked alone \
             by − k·σ (blue) and + k·σ (red), darker for larger k; its coefficient ± k·SE \
             (grey, dashed)."
        ),
        series: [
            Some(("actual".to_string(), hex(&ACTUAL))),
            Some((scenario.to_string(), hex(&ACTUAL))),
            shocked
                .iter()
                .any(|s| s.shock == "driver" && s.k < 0.0)
                .then(|| ("feature − k·σ".to_string(), hex(&shock_colour(-1.0, 1.0)))),
            shocked
                .iter()
                .any(|s| s.shock == "driver" && s.k > 0.0)
                .then(|| ("feature + k·σ".to_string(), hex(&shock_colour(1.0, 1.0)))),
            shocked
                .iter()
                .any(|s| s.shock != "driver")
                .then(|| ("β ± k·SE".to_string(), hex(&COEFFICIENT))),
        ]
        .into_iter()
        .flatten()
        .collect(),
        svg,
    })
}

/// Attribution: per feature (rows) and scenario (bars), the level at P9 with the feature held
/// at its p0 value minus the scenario's.
pub fn attribution(
    features: &[String],
    scenarios: &[String],
    effects: &[Vec<f64>],
) -> Result<Plot> {
    let rows = features.len().max(1);
    let per = scenarios.len().max(1) as f64;
    let height = 60 + (18 * scenarios.len().max(1) + 14) as u32 * rows as u32;
    let values = effects.iter().flatten().filter(|v| v.is_finite());
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let pad = if hi > lo { 0.08 * (hi - lo) } else { 1.0 };
    let (x0, x1) = (lo - pad, hi + pad);
    let name_of = |y: &f64| {
        let k = y.floor() as usize;
        if (y - k as f64 - 0.5).abs() < 1e-9 && k < features.len() {
            features[features.len() - 1 - k].clone()
        } else {
            String::new()
        }
    };
    let svg = svg_of((WIDE.0, height), |root| {
        let mut chart = Frame::new(
            x0..x1,
            0.0..rows as f64,
            "level at P9: feature held at p0 minus scenario",
            "",
        )
        .y_categories(rows * 2 + 1, &name_of, 170)
        .margin_right(16)
        .draw(root)?;
        for (s, name) in scenarios.iter().enumerate() {
            let colour = PATHS[s % PATHS.len()];
            let bars = features.iter().enumerate().filter_map(|(f, _)| {
                let v = *effects.get(f)?.get(s)?;
                v.is_finite().then(|| {
                    let y =
                        (features.len() - 1 - f) as f64 + 0.1 + 0.8 * (per - 1.0 - s as f64) / per;
                    Rectangle::new([(0.0, y), (v, y + 0.8 / per * 0.9)], colour.filled())
                })
            });
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, rows as f64)],
                RGBColor(0x44, 0x44, 0x44).stroke_width(1),
            )))
            .map_err(err)?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 11)?;
        Ok(())
    })?;
    Ok(Plot {
        kind: "attribution",
        title: "Attribution of the 9-quarter outcome".into(),
        caption: "For each feature and scenario: the level at P9 (PH when the horizon is \
                  shorter) with the feature held at its p0 value, minus the scenario's level. \
                  Positive: the feature's path over the horizon lowers the outcome by that much."
            .into(),
        series: scenarios
            .iter()
            .enumerate()
            .map(|(s, n)| (n.clone(), hex(&PATHS[s % PATHS.len()])))
            .collect(),
        svg,
    })
}

/// One driver (a data series) before p0 and under each scenario (a half-width plot).
pub fn driver(name: &str, history: &[(NaiveDate, f64)], paths: &[(String, Dated)]) -> Result<Plot> {
    let shown = tail(history, HISTORY_YEARS);
    let (hx, hy) = xy(&shown);
    let p0 = hx.last().copied().unwrap_or(0.0);
    let x0 = hx.first().copied().unwrap_or(p0);
    let x1 = paths
        .iter()
        .filter_map(|(_, p)| p.last().map(|l| decimal_year(l.0)))
        .fold(p0 + 0.25, f64::max);
    let (y0, y1) = y_range(
        hy.iter()
            .chain(paths.iter().flat_map(|(_, p)| p.iter().map(|v| &v.1))),
    );
    let svg = svg_of(HALF, |root| {
        let mut chart = Frame::new(x0..x1, y0..y1, "date (year)", name)
            .dates()
            .small()
            .x_labels(6)
            .draw(root)?;
        shade_window(&mut chart, p0, (x1, y0, y1), "")?;
        draw_line(
            &mut chart,
            segments(&hx, &hy, |_| true),
            ACTUAL,
            2,
            "actual",
        )?;
        for (k, (scenario, p)) in paths.iter().enumerate() {
            let (px, py) = xy(p);
            let colour = PATHS[k % PATHS.len()];
            draw_line(
                &mut chart,
                segments(&px, &py, |_| true),
                colour,
                2,
                scenario,
            )?;
        }
        Ok(())
    })?;
    let mut series = vec![("actual".to_string(), hex(&ACTUAL))];
    let mut key = Vec::new();
    for (k, (scenario, _)) in paths.iter().enumerate() {
        series.push((scenario.clone(), hex(&PATHS[k % PATHS.len()])));
        key.push(format!("{scenario} ({})", PATH_NAMES[k % PATHS.len()]));
    }
    Ok(Plot {
        kind: "driver",
        title: format!("Driver {name}"),
        caption: format!(
            "{name} as the data give it up to p0 (black) and as each scenario sets it after \
             p0: {}.",
            key.join(", ")
        ),
        series,
        svg,
    })
}
