//! The demo report looked at in a real browser: headless Chromium loads it with no console
//! message, every plot's SVG has a non-empty mark in the colour of each series it lists, and a
//! screenshot of the page is not blank.
//!
//! Each check is first shown to fail on a page built to break it (a script that logs an
//! error, a plot whose series is missing, a blank page), so a check that cannot fail would be
//! caught here. Skips, loudly, only when no Chromium binary exists (`.ci/run` installs
//! Debian's `chromium`; `SPECSEARCH_CHROMIUM` names another binary).

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SPECSEARCH_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Headless Chromium with the flags this machine needs and a fresh profile.
fn browser(bin: &Path, profile: &Path) -> Command {
    let mut c = Command::new(bin);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The DOM after load, and the console messages the page produced.
pub(crate) fn load(bin: &Path, page: &Path) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = browser(bin, profile.path())
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

/// The tables of `page` wider than the page laid out `width` pixels wide (headless Chromium runs
/// a script added to a copy of the page; the report itself has none), as `id:width` of the
/// element holding each, and whether the page as a whole scrolls sideways.
fn wide_tables(bin: &Path, page: &Path, width: u32) -> (Vec<String>, bool) {
    let html = std::fs::read_to_string(page).unwrap();
    let probe = r#"<script>
const w = document.documentElement.clientWidth;
const wide = [...document.querySelectorAll('table')]
  .filter(t => t.getBoundingClientRect().right > w + 0.5 || t.scrollWidth > t.clientWidth + 1)
  .map(t => ((t.closest('[id]') || {}).id || '?') + ':' + Math.round(t.getBoundingClientRect().width));
document.body.setAttribute('data-wide-tables', wide.join(' '));
document.body.setAttribute('data-page-overflow', String(document.documentElement.scrollWidth > w));
</script></body>"#;
    let copy = page.with_extension(format!("probe-{width}.html"));
    std::fs::write(&copy, html.replace("</body>", probe)).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let out = browser(bin, profile.path())
        .arg(format!("--window-size={width},1200"))
        .arg("--dump-dom")
        .arg(format!("file://{}", copy.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let attr = |k: &str| {
        dom.split(&format!("{k}=\""))
            .nth(1)
            .and_then(|v| v.split('"').next())
            .unwrap_or_else(|| panic!("the probe ran: no {k} in the DOM"))
            .to_string()
    };
    let tables = attr("data-wide-tables")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    (tables, attr("data-page-overflow") == "true")
}

/// The legend box of a plot (plotters draws its border in #bbbbbb): (x0, y0, x1, y1).
fn legend_box(svg: &str) -> Option<(f64, f64, f64, f64)> {
    elements(svg)
        .into_iter()
        .filter(|e| {
            e.name == "rect"
                && e.attr("stroke").map(str::to_ascii_lowercase).as_deref() == Some("#bbbbbb")
        })
        .find_map(|e| {
            let v = |k: &str| e.attr(k)?.parse::<f64>().ok();
            let (x, y) = (v("x")?, v("y")?);
            Some((x, y, x + v("width")?, y + v("height")?))
        })
}

/// Points of the plot's data lines (polylines of more than two points: the legend's samples
/// have two) inside `b`.
fn points_inside(svg: &str, b: (f64, f64, f64, f64)) -> usize {
    elements(svg)
        .iter()
        .filter(|e| e.name == "polyline")
        .filter_map(|e| e.attr("points"))
        .map(|p| p.split_whitespace().collect::<Vec<_>>())
        .filter(|p| p.len() > 2)
        .flatten()
        .filter_map(|xy| {
            let (x, y) = xy.split_once(',')?;
            Some((x.parse::<f64>().ok()?, y.parse::<f64>().ok()?))
        })
        .filter(|&(x, y)| x >= b.0 && x <= b.2 && y >= b.1 && y <= b.3)
        .count()
}

/// Non-white pixels of a screenshot of `page` (`width`×`height`), and all its pixels.
fn screenshot(bin: &Path, page: &Path, width: u32, height: u32) -> (usize, usize) {
    let profile = tempfile::tempdir().unwrap();
    let png_path = profile.path().join("shot.png");
    let out = browser(bin, profile.path())
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", png_path.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    crate::common::assert_ok(&out);
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let total = pixels.len() / channels;
    let inked = pixels
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|&v| v < 200))
        .count();
    (inked, total)
}

/// One SVG element: its name and attributes.
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Element {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the element draws something: a line with points, a path with segments, a
    /// rectangle or circle with area.
    fn has_geometry(&self) -> bool {
        let positive = |k: &str| {
            self.attr(k)
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|v| v > 0.0)
        };
        match self.name.as_str() {
            "polyline" | "polygon" => self
                .attr("points")
                .is_some_and(|p| p.split_whitespace().count() >= 2),
            "path" => self.attr("d").is_some_and(|d| d.trim().len() > 2),
            "rect" => positive("width") && positive("height"),
            "circle" => positive("r"),
            "line" => true,
            _ => false,
        }
    }

    fn colours(&self) -> Vec<String> {
        ["stroke", "fill"]
            .iter()
            .filter_map(|k| self.attr(k))
            .map(str::to_ascii_lowercase)
            .collect()
    }
}

/// The start tags of `svg` (a tiny scanner: plotters writes plain, well-formed SVG).
fn elements(svg: &str) -> Vec<Element> {
    svg.split('<')
        .skip(1)
        .filter(|t| !t.starts_with('/') && !t.starts_with('!'))
        .map(|t| {
            let tag = t.split('>').next().unwrap_or("");
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let mut attrs = Vec::new();
            let mut rest = &tag[name.len()..];
            while let Some(eq) = rest.find("=\"") {
                let key = rest[..eq].trim().to_string();
                let after = &rest[eq + 2..];
                let end = after.find('"').unwrap_or(after.len());
                attrs.push((key, after[..end].to_string()));
                rest = &after[(end + 1).min(after.len())..];
            }
            Element { name, attrs }
        })
        .collect()
}

/// A plot's series: (name, colour).
pub(crate) type Series = Vec<(String, String)>;

/// The plots of a DOM: (id, series, svg text).
fn plots(dom: &str) -> Vec<(String, Series, String)> {
    plots_of_class(dom, "plot")
}

/// The figures of class `class` (exactly) of a DOM: (id, series, svg text).
pub(crate) fn plots_of_class(dom: &str, class: &str) -> Vec<(String, Series, String)> {
    let mut out = Vec::new();
    for part in dom.split("<figure").skip(1) {
        let head = part.split('>').next().unwrap_or("");
        if !head.contains(&format!("class=\"{class}\"")) {
            continue;
        }
        let attr = |k: &str| {
            head.split(&format!("{k}=\""))
                .nth(1)
                .and_then(|v| v.split('"').next())
                .unwrap_or("")
                .to_string()
        };
        let series = attr("data-series")
            .split(';')
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.rsplit_once('='))
            .map(|(n, c)| (n.to_string(), c.to_ascii_lowercase()))
            .collect();
        let body = part.split("</figure>").next().unwrap_or("");
        let svg = body
            .split("<svg")
            .nth(1)
            .and_then(|s| s.split("</svg>").next())
            .unwrap_or("")
            .to_string();
        out.push((attr("id"), series, svg));
    }
    out
}

/// The series of a plot that have no mark of their colour with geometry.
pub(crate) fn missing_series(series: &[(String, String)], svg: &str) -> Vec<String> {
    let els = elements(svg);
    series
        .iter()
        .filter(|(_, colour)| {
            !els.iter()
                .any(|e| e.has_geometry() && e.colours().contains(colour))
        })
        .map(|(n, _)| n.clone())
        .collect()
}

#[test]
fn the_demo_report_renders_in_chromium() {
    let Some(bin) = chromium() else {
        crate::common::skip(
            "report_browser",
            "no Chromium binary (install Debian's `chromium`, as .ci/run does, or set \
             SPECSEARCH_CHROMIUM)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    // The checks fail on pages built to break them.
    let bad = dir.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><body><p>x</p><script>console.error('boom'); \
         missing_function();</script></body></html>",
    )
    .unwrap();
    let (_, console) = load(&bin, &bad);
    assert!(
        console.len() >= 2,
        "the console check sees a logged error and an exception: {console:?}"
    );
    let blank = dir.path().join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").unwrap();
    assert_eq!(
        screenshot(&bin, &blank, 400, 300).0,
        0,
        "a blank page has no ink"
    );
    let svg = r##"<svg><polyline stroke="#1f6fb4" points="1,1 2,2"/><rect fill="#222222" width="0" height="3"/></svg>"##;
    let series = vec![
        ("fitted".to_string(), "#1f6fb4".to_string()),
        ("actual".to_string(), "#222222".to_string()),
    ];
    assert_eq!(missing_series(&series, svg), vec!["actual".to_string()]);

    // The demo report.
    let (_demo, config) = crate::common::demo_copy();
    crate::common::assert_ok(
        &crate::common::specsearch()
            .args(["run", "-q", "-j", "2"])
            .arg(&config)
            .output()
            .unwrap(),
    );
    let page = dir.path().join("report.html");
    crate::common::assert_ok(
        &crate::common::specsearch()
            .arg("report")
            .arg(&config)
            .args(["--top", "3", "-o"])
            .arg(&page)
            .output()
            .unwrap(),
    );
    let (dom, console) = load(&bin, &page);
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(
        dom.contains("3. Models") && dom.contains("Rank 3"),
        "the DOM is the report"
    );
    let found = plots(&dom);
    assert_eq!(
        found.len(),
        3 * 5 + 1,
        "four plots and the scenario fan per model, and the failures chart"
    );
    assert!(dom.contains("Scenario fan") && dom.contains("pct change 9q"));
    let fans: Vec<_> = found
        .iter()
        .filter(|(id, _, _)| id.ends_with("-scenarios-fan"))
        .collect();
    assert_eq!(fans.len(), 3, "one fan per model");
    for (id, series, _) in fans {
        let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["actual", "Base", "Adverse", "Severe"], "{id}");
    }
    for (id, series, svg) in &found {
        assert!(!series.is_empty(), "{id} lists its series");
        assert!(svg.contains("<text"), "{id} has axis labels");
        let missing = missing_series(series, svg);
        assert!(missing.is_empty(), "{id}: no mark for series {missing:?}");
    }
    // Issue 30, item 7: the legend of the fit and residual plots sits where no data is.
    let legends: Vec<_> = found
        .iter()
        .filter(|(id, _, _)| id.ends_with("-fit") || id.ends_with("-residuals"))
        .collect();
    assert_eq!(legends.len(), 6, "fit and residual plots of 3 models");
    for (id, _, svg) in legends {
        let b = legend_box(svg).unwrap_or_else(|| panic!("{id} has a legend"));
        assert_eq!(
            points_inside(svg, b),
            0,
            "{id}: the legend {b:?} covers data"
        );
    }
    // No table wider than the page, on an A4 page (794 px at 96 dpi) or a 1280 px screen.
    for width in [794, 1280] {
        let (wide, overflow) = wide_tables(&bin, &page, width);
        assert!(wide.is_empty(), "tables wider than {width} px: {wide:?}");
        assert!(!overflow, "the page scrolls sideways at {width} px");
    }
    // Scenario statistics are percentages (JSON, CSV and SQL keep the fractions).
    let scenarios = dom
        .split("-scenarios\"")
        .nth(1)
        .and_then(|s| s.split("</table>").next())
        .expect("a scenario table");
    assert!(scenarios.contains("%</td>"), "{scenarios}");
    let (inked, total) = screenshot(&bin, &page, 900, 2400);
    assert!(
        inked * 50 > total,
        "the screenshot is (nearly) blank: {inked} of {total} pixels are not white"
    );
}
