//! What every plot of the report shares: sizes, fonts and colours, the [`Plot`] a page embeds,
//! the SVG canvas, the [`Frame`] (axes, tick labels, grid) every chart is set up with, and the
//! marks several plots draw (a line in runs, a shaded window, the legend).

use anyhow::{anyhow, Result};
use chrono::{Datelike, NaiveDate};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Width and height of a time-series plot, in CSS pixels (fits an A4 page's text width).
pub(super) const WIDE: (u32, u32) = (720, 300);
/// Width and height of the two small residual plots drawn side by side.
pub(super) const HALF: (u32, u32) = (356, 260);

pub(super) const FONT: &str = "sans-serif";

/// Series colours (colour-blind safe, print well in grey).
pub const ACTUAL: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const FITTED: RGBColor = RGBColor(0x1f, 0x6f, 0xb4);
pub const PREDICTED: RGBColor = RGBColor(0xd9, 0x5f, 0x02);
pub const BAND: RGBColor = RGBColor(0x99, 0x99, 0x99);
pub const BAR: RGBColor = RGBColor(0x4c, 0x78, 0xa8);
pub const DENSITY: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
pub(super) const SHADE: RGBColor = RGBColor(0xee, 0xee, 0xee);
/// Shading of the outlier dates left out of the fit (§9).
pub const OUTLIER: RGBColor = RGBColor(0xf4, 0xcc, 0xcc);

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

/// `(y0, y1)` raised at the top so that a legend of `entries` lines in the upper corner of a
/// plot of [`WIDE`] size sits above the data, never on it (the plot area is ~250 px high, a
/// legend line ~17 px plus ~30 px of box and margin).
pub(super) fn with_legend_room((y0, y1): (f64, f64), entries: usize) -> (f64, f64) {
    let share = ((17 * entries + 30) as f64 / 250.0).min(0.5);
    (y0, y0 + (y1 - y0) / (1.0 - share))
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

/// Shades each outlier date (x coordinates `at`) over a period's width `width`, labelled once.
pub(super) fn shade_outliers(
    chart: &mut Chart<'_, '_>,
    at: &[f64],
    width: f64,
    (y0, y1): (f64, f64),
) -> Result<()> {
    chart
        .draw_series(at.iter().map(|&x| {
            Rectangle::new(
                [(x - width / 2.0, y0), (x + width / 2.0, y1)],
                OUTLIER.filled(),
            )
        }))
        .map_err(err)?;
    if let Some(&first) = at.first() {
        chart
            .draw_series(std::iter::once(Text::new(
                "outlier".to_string(),
                (first, y0),
                (FONT, 12).into_font().color(&RGBColor(0x99, 0x33, 0x33)),
            )))
            .map_err(err)?;
    }
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

/// A tick label for people: the shortest decimal of the tick (`0.3`, not
/// `0.30000000000000004`), thousands grouped (`10,000`), no `-0`.
pub(super) fn number_label(x: &f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    // Ticks are round numbers: ten significant digits hold them exactly.
    let v: f64 = format!("{x:.9e}").parse().unwrap_or(*x);
    if v == 0.0 {
        return "0".into();
    }
    let text = v.to_string();
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |d| ("-", d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.len() <= 3 || int.contains('e') {
        return text;
    }
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// How a tick's coordinate is written.
pub(super) type TickLabel<'f> = &'f dyn Fn(&f64) -> String;

/// The axes of a chart, set up the same way for every plot of the report: a light grid of
/// major lines only, descriptions on both axes, tick labels for people.
pub(super) struct Frame<'f> {
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    x_desc: &'f str,
    y_desc: &'f str,
    x_label: TickLabel<'f>,
    x_labels: usize,
    /// Named rows on the y axis (`count` tick positions, a label for each): bar charts.
    y_categories: Option<(usize, TickLabel<'f>)>,
    y_area: u32,
    margin_right: u32,
    /// A small plot (half the page's width): smaller text, a lighter grid.
    small: bool,
}

impl<'f> Frame<'f> {
    /// Numbers on both axes over `x` × `y`.
    pub fn new(
        x: std::ops::Range<f64>,
        y: std::ops::Range<f64>,
        x_desc: &'f str,
        y_desc: &'f str,
    ) -> Frame<'f> {
        Frame {
            x,
            y,
            x_desc,
            y_desc,
            x_label: &number_label,
            x_labels: 10,
            y_categories: None,
            y_area: 64,
            margin_right: 8,
            small: false,
        }
    }

    /// The x axis is time (fractional years, [`decimal_year`]): labelled by year.
    pub fn dates(mut self) -> Self {
        self.x_label = &year_label;
        self
    }

    /// A half-width plot.
    pub fn small(mut self) -> Self {
        self.small = true;
        self.y_area = 48;
        self
    }

    /// At most `n` labels on the x axis.
    pub fn x_labels(mut self, n: usize) -> Self {
        self.x_labels = n;
        self
    }

    /// Rows named by `label` on the y axis (`ticks` positions), `area` pixels wide.
    pub fn y_categories(mut self, ticks: usize, label: TickLabel<'f>, area: u32) -> Self {
        self.y_categories = Some((ticks, label));
        self.y_area = area;
        self
    }

    /// Room right of the plot (for labels drawn past the last value).
    pub fn margin_right(mut self, pixels: u32) -> Self {
        self.margin_right = pixels;
        self
    }

    /// Sets the chart up on `root` and draws its axes.
    pub fn draw<'a, 'b>(
        &self,
        root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    ) -> Result<Chart<'a, 'b>> {
        let (font, grid) = if self.small {
            (11, RGBColor(0xe4, 0xe4, 0xe4))
        } else {
            (12, RGBColor(0xdd, 0xdd, 0xdd))
        };
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            .margin_right(self.margin_right)
            .x_label_area_size(34)
            .y_label_area_size(self.y_area)
            .build_cartesian_2d(self.x.clone(), self.y.clone())
            .map_err(err)?;
        // A tick that is zero up to the rounding of the tick arithmetic (-4.5e-19 on an axis
        // of ±0.02) is written 0.
        let span = (self.y.end - self.y.start).abs();
        let y_label = move |v: &f64| {
            if v.abs() < 1e-9 * span {
                "0".to_string()
            } else {
                number_label(v)
            }
        };
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x_desc)
            .x_label_formatter(self.x_label)
            .x_labels(self.x_labels)
            .y_label_formatter(&y_label)
            .label_style((FONT, font))
            .axis_desc_style((FONT, font))
            .max_light_lines(0)
            .bold_line_style(grid);
        if !self.y_desc.is_empty() {
            mesh.y_desc(self.y_desc);
        }
        if let Some((ticks, label)) = self.y_categories {
            mesh.disable_y_mesh()
                .y_labels(ticks)
                .y_label_formatter(label);
        }
        mesh.draw().map_err(err)?;
        Ok(chart)
    }
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
    fn tick_labels_are_short_grouped_and_never_minus_zero() {
        assert_eq!(number_label(&10000.0), "10,000");
        assert_eq!(number_label(&-1234567.5), "-1,234,567.5");
        assert_eq!(number_label(&100.0), "100");
        assert_eq!(number_label(&-0.0), "0");
        assert_eq!(number_label(&(0.1 + 0.2)), "0.3");
        assert_eq!(number_label(&0.05), "0.05");
        assert_eq!(number_label(&-2.5), "-2.5");
        assert_eq!(year_label(&2007.75), "2007");
    }

    #[test]
    fn missing_values_break_lines() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let y = [1.0, f64::NAN, 2.0, 3.0, f64::NAN];
        let s = segments(&x, &y, |_| true);
        assert_eq!(s, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
    }
}
