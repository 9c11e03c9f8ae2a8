//! The scenario fan of a model: the target's actual level (recent history) and each
//! scenario's projected level path from p0, drawn with `plotters` like the other plots.

use anyhow::Result;
use chrono::NaiveDate;
use plotters::prelude::*;

use super::chart::{
    decimal_year, draw_legend, draw_line, hex, segments, shade_window, svg_of, y_range, Frame,
    Plot, ACTUAL, WIDE,
};

/// Colours of the scenario paths, mildest first (colour-blind safe, distinct in grey).
pub(super) const PATHS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x6f, 0xb4),
    RGBColor(0xd9, 0x5f, 0x02),
    RGBColor(0xc0, 0x39, 0x2b),
    RGBColor(0x75, 0x70, 0xb3),
    RGBColor(0x1b, 0x9e, 0x77),
    RGBColor(0x66, 0x66, 0x66),
];

/// The colours of [`PATHS`] in words, for captions.
pub(super) const PATH_NAMES: [&str; 6] = ["blue", "orange", "red", "purple", "green", "grey"];

/// Years of history shown before p0.
const HISTORY_YEARS: f64 = 8.0;

/// History (date, level) up to p0 and each scenario's path (date, level) from p0 on.
pub fn scenario_fan(
    target: &str,
    history: &[(NaiveDate, f64)],
    paths: &[(String, Vec<(NaiveDate, f64)>)],
) -> Result<Plot> {
    let p0 = history.last().map(|h| decimal_year(h.0)).unwrap_or(0.0);
    let shown: Vec<&(NaiveDate, f64)> = history
        .iter()
        .filter(|h| decimal_year(h.0) >= p0 - HISTORY_YEARS)
        .collect();
    let hx: Vec<f64> = shown.iter().map(|h| decimal_year(h.0)).collect();
    let hy: Vec<f64> = shown.iter().map(|h| h.1).collect();
    let px: Vec<Vec<f64>> = paths
        .iter()
        .map(|(_, p)| p.iter().map(|(d, _)| decimal_year(*d)).collect())
        .collect();
    let py: Vec<Vec<f64>> = paths
        .iter()
        .map(|(_, p)| p.iter().map(|(_, l)| *l).collect())
        .collect();
    let x0 = hx.first().copied().unwrap_or(p0);
    let x1 = px
        .iter()
        .filter_map(|x| x.last().copied())
        .fold(p0 + 0.25, f64::max);
    let (y0, y1) = y_range(hy.iter().chain(py.iter().flatten()));
    let y_desc = format!("{target} (level)");
    let svg = svg_of(WIDE, |root| {
        let mut chart = Frame::new(x0..x1, y0..y1, "date (year)", &y_desc)
            .dates()
            .draw(root)?;
        shade_window(&mut chart, p0, (x1, y0, y1), "scenarios from p0")?;
        draw_line(
            &mut chart,
            segments(&hx, &hy, |_| true),
            ACTUAL,
            2,
            "actual",
        )?;
        for (k, (name, _)) in paths.iter().enumerate() {
            let colour = PATHS[k % PATHS.len()];
            draw_line(
                &mut chart,
                segments(&px[k], &py[k], |_| true),
                colour,
                2,
                name,
            )?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
        Ok(())
    })?;
    let mut series = vec![("actual".to_string(), hex(&ACTUAL))];
    for (k, (name, _)) in paths.iter().enumerate() {
        series.push((name.clone(), hex(&PATHS[k % PATHS.len()])));
    }
    Ok(Plot {
        kind: "scenarios",
        title: "Scenario fan".into(),
        caption: format!(
            "{target}: the actual level over the last {HISTORY_YEARS:.0} years up to p0 and the \
             level projected under each scenario (shaded: after p0), by date."
        ),
        series,
        svg,
    })
}
