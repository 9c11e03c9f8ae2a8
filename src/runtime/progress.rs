//! What a person sees while a run works. On a terminal: one progress line that fits the
//! terminal's width (percentage, bar, done/total over every session of the run, specs/s, elapsed
//! time, an ETA from the recent rate, passed and errors), and a spinner line for the stages
//! that take a while without specs to count (planning, freezing, finishing). Elsewhere (a file,
//! a pipe): plain heartbeat and stage log lines, never an escape code.
//!
//! Log lines written while a bar is on screen go through [`LogWriter`], which takes the bar
//! down, writes the line and puts the bar back, so no fragment of a bar is ever left in the
//! scrollback (a Ctrl-C's "draining…" line included).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::info;

use super::signals;

/// Plain log lines when not on a terminal: one every this often.
const HEARTBEAT: Duration = Duration::from_secs(10);
/// The ETA follows the rate over about this much recent time.
const RATE_WINDOW: Duration = Duration::from_secs(20);

/// The bar or spinner currently drawn on stderr (at most one at a time).
static ON_SCREEN: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn show(bar: &ProgressBar) {
    *ON_SCREEN.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
    signals::set_bar_on_screen(true);
}

fn take_down(bar: &ProgressBar) {
    if bar.is_finished() {
        return;
    }
    bar.finish_and_clear();
    signals::set_bar_on_screen(false);
    *ON_SCREEN.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Whether progress may be drawn: stderr is a terminal (then cursor movement is fine; colour
/// is never used, so `NO_COLOR` needs nothing more here).
fn on_terminal() -> bool {
    std::io::stderr().is_terminal() && !dumb_terminal()
}

/// `TERM=dumb` (Emacs shells, some CI logs): a terminal that shows escape codes as text, so
/// no colours and no redrawn progress lines.
pub fn dumb_terminal() -> bool {
    std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

/// stderr for the log subscriber: a line written while a bar is drawn appears above it.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = ON_SCREEN.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// A stage without a count (planning, freezing, finishing): a spinner with its elapsed time on
/// a terminal, one log line otherwise. Taken down when dropped.
pub struct Stage {
    bar: Option<ProgressBar>,
}

impl Stage {
    pub fn start(wanted: bool, label: &str) -> Stage {
        if !wanted {
            return Stage { bar: None };
        }
        if !on_terminal() {
            info!("{label}…");
            return Stage { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {wide_msg} {elapsed}")
                .expect("valid template")
                .tick_chars("|/-\\ "),
        );
        bar.set_message(format!("{label}…"));
        bar.enable_steady_tick(Duration::from_millis(120));
        show(&bar);
        Stage { bar: Some(bar) }
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            take_down(bar);
        }
    }
}

/// Counts a run had before this session started (what earlier sessions journaled).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Before {
    pub done: u64,
    pub passed: u64,
    pub errors: u64,
}

/// The progress of a search: a line on a terminal, heartbeat log lines otherwise.
pub struct Progress {
    bar: Option<ProgressBar>,
    wanted: bool,
    started: Instant,
    last_beat: Cell<Instant>,
    /// Specs this run owns (the whole space, or a shard's part).
    total: u64,
    before: Before,
    /// (when, evaluated this session) over the last [`RATE_WINDOW`].
    recent: RefCell<VecDeque<(Instant, u64)>>,
}

impl Progress {
    pub fn new(wanted: bool, total: u64, before: Before) -> Progress {
        let bar = (wanted && on_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(ProgressStyle::with_template("{msg}").expect("valid template"));
            // Redrawn now and then even when no batch comes back (a draw skipped by the rate
            // limit is not lost; a paused or slow stretch still shows its latest figures).
            bar.enable_steady_tick(Duration::from_millis(500));
            show(&bar);
            bar
        });
        let now = Instant::now();
        let progress = Progress {
            bar,
            wanted,
            started: now,
            last_beat: Cell::new(now),
            total,
            before,
            recent: RefCell::new(VecDeque::from([(now, 0)])),
        };
        progress.tick(0, 0, 0, 0);
        progress
    }

    /// The line for `evaluated` specs, `passed` and `errors` of them, evaluated in this session.
    pub fn line(&self, evaluated: u64, passed: u64, errors: u64, stalled: usize) -> Line {
        let now = Instant::now();
        let mut recent = self.recent.borrow_mut();
        if recent
            .back()
            .is_none_or(|&(t, _)| now.duration_since(t) >= Duration::from_millis(250))
        {
            recent.push_back((now, evaluated));
        }
        while recent.len() > 2 && now.duration_since(recent[1].0) >= RATE_WINDOW {
            recent.pop_front();
        }
        let (t0, e0) = recent[0];
        let span = now.duration_since(t0).as_secs_f64();
        let rate = (span >= 0.5 && evaluated > e0).then(|| (evaluated - e0) as f64 / span);
        let done = (self.before.done + evaluated).min(self.total);
        Line {
            done,
            total: self.total,
            passed: self.before.passed + passed,
            errors: self.before.errors + errors,
            rate,
            elapsed: self.started.elapsed(),
            eta: rate.map(|r| Duration::from_secs_f64((self.total - done) as f64 / r)),
            stalled,
        }
    }

    /// Redraws the line (or, off a terminal, logs it every [`HEARTBEAT`]).
    pub fn tick(&self, evaluated: u64, passed: u64, errors: u64, stalled: usize) {
        if !self.wanted {
            return;
        }
        let line = self.line(evaluated, passed, errors, stalled);
        match &self.bar {
            Some(bar) => {
                let width = console::Term::stderr()
                    .size_checked()
                    .map_or(80, |(_, cols)| cols as usize);
                // One column spare: a line that ends in the last column makes some terminals
                // wrap the cursor, which leaves a blank line under the bar.
                bar.set_message(line.render(width.saturating_sub(1)));
            }
            None if evaluated > 0 && self.last_beat.get().elapsed() >= HEARTBEAT => {
                self.last_beat.set(Instant::now());
                info!("{}", line.plain());
            }
            None => {}
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            take_down(bar);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// One progress line's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Specs with an outcome, over every session of the run.
    pub done: u64,
    pub total: u64,
    pub passed: u64,
    pub errors: u64,
    /// Specs per second over the recent past (None until it can be told).
    pub rate: Option<f64>,
    /// Time this session has been evaluating.
    pub elapsed: Duration,
    pub eta: Option<Duration>,
    /// Workers past their deadline, being stopped.
    pub stalled: usize,
}

impl Line {
    fn percent(&self) -> u64 {
        if self.total == 0 {
            100
        } else {
            // Floor, so 100% means done.
            (self.done as u128 * 100 / self.total as u128) as u64
        }
    }

    fn fields(&self) -> Vec<String> {
        let mut fields = vec![
            format!("{}/{}", count(self.done), count(self.total)),
            match self.rate {
                Some(r) => format!("{}/s", rate(r)),
                None => "--/s".into(),
            },
            duration(self.elapsed),
            format!("ETA {}", self.eta.map_or("--".into(), duration)),
            format!("{} passed", count(self.passed)),
            format!(
                "{} error{}",
                count(self.errors),
                if self.errors == 1 { "" } else { "s" }
            ),
        ];
        if self.stalled > 0 {
            fields.push(format!("{} stalled", self.stalled));
        }
        fields
    }

    /// The line for a terminal `width` columns wide: never wider. The bar takes what the
    /// figures leave (none when that is too little to read); on a very narrow terminal the
    /// figures are cut.
    pub fn render(&self, width: usize) -> String {
        let pct = format!("{:>3}%", self.percent());
        let text = self.fields().join(" · ");
        let room = width.saturating_sub(pct.len() + text.chars().count() + 2);
        let line = if room >= 6 {
            let bar = room.min(30);
            let filled = (bar as u128 * self.done as u128 / self.total.max(1) as u128) as usize;
            let filled = if self.total == 0 { bar } else { filled };
            format!(
                "{pct} {}{} {text}",
                "█".repeat(filled),
                "░".repeat(bar - filled)
            )
        } else {
            format!("{pct} {text}")
        };
        line.chars().take(width).collect()
    }

    /// The same figures as a log line (no bar).
    pub fn plain(&self) -> String {
        format!("{}% · {}", self.percent(), self.fields().join(" · "))
    }
}

/// A count as a person reads it: exact below 100,000 (with separators), else three significant
/// digits with k / M / G.
pub fn count(n: u64) -> String {
    if n < 100_000 {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        si(n as f64)
    }
}

/// Three significant digits with k / M / G (e.g. 162k, 2.16M, 12.3M).
fn si(x: f64) -> String {
    let (value, unit) = [(1e9, "G"), (1e6, "M"), (1e3, "k")]
        .into_iter()
        .find(|(scale, _)| x >= *scale * 0.9995)
        .map_or((x, ""), |(scale, unit)| (x / scale, unit));
    let text = if value >= 99.95 {
        format!("{value:.0}")
    } else if value >= 9.995 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    format!("{text}{unit}")
}

/// A rate with three significant digits (843, 12.5, 98.2k, 1.23M).
pub fn rate(per_second: f64) -> String {
    if per_second >= 1000.0 {
        si(per_second)
    } else if per_second >= 99.95 {
        format!("{per_second:.0}")
    } else if per_second >= 9.995 {
        format!("{per_second:.1}")
    } else {
        format!("{per_second:.2}")
    }
}

/// A duration to the second: 7s, 4m05s, 3h04m, 2d03h.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86400, s % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(done: u64, total: u64, passed: u64, errors: u64, secs: u64) -> Line {
        Line {
            done,
            total,
            passed,
            errors,
            rate: Some(123_456.0),
            elapsed: Duration::from_secs(secs),
            eta: Some(Duration::from_secs(secs * 3)),
            stalled: 0,
        }
    }

    #[test]
    fn counts_rates_and_durations_read_as_a_person_writes_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_203), "1,203");
        assert_eq!(count(99_999), "99,999");
        assert_eq!(count(162_345), "162k");
        assert_eq!(count(2_163_980), "2.16M");
        assert_eq!(count(12_345_678), "12.3M");
        assert_eq!(count(999_999), "1.00M");
        assert_eq!(rate(70_665.4), "70.7k");
        assert_eq!(rate(843.21), "843");
        assert_eq!(rate(12.3456), "12.3");
        assert_eq!(rate(1.23456), "1.23");
        assert_eq!(duration(Duration::from_millis(7_900)), "7s");
        assert_eq!(duration(Duration::from_secs(245)), "4m05s");
        assert_eq!(
            duration(Duration::from_secs(3 * 3600 + 4 * 60 + 59)),
            "3h04m"
        );
        assert_eq!(duration(Duration::from_secs(2 * 86400 + 3 * 3600)), "2d03h");
    }

    #[test]
    fn the_line_never_exceeds_the_width_and_keeps_its_figures_at_80_columns() {
        let cases = [
            line(0, 0, 0, 0, 0),
            line(912_384, 2_163_980, 6_593, 0, 13),
            line(99_999, 99_999, 99_999, 99_999, 359_999),
            line(12_345_678, 98_765_432, 1_234_567, 123_456, 400_000),
        ];
        for l in &cases {
            for width in [0, 1, 10, 40, 79, 80, 120, 200] {
                let text = l.render(width);
                assert!(
                    text.chars().count() <= width,
                    "{width}: {text:?} is {} wide",
                    text.chars().count()
                );
            }
            let text = l.render(79);
            assert!(text.contains('%'), "{text}");
            assert!(text.contains("ETA"), "{text}");
            assert!(text.contains("passed") && text.contains("error"), "{text}");
        }
        let ppnr = cases[1].render(79);
        assert!(ppnr.starts_with(" 42% █"), "{ppnr}");
        assert!(
            ppnr.ends_with("912k/2.16M · 123k/s · 13s · ETA 39s · 6,593 passed · 0 errors"),
            "{ppnr}"
        );
    }

    #[test]
    fn the_bar_is_filled_in_proportion_and_percent_is_floored() {
        let l = line(1, 3, 0, 0, 1);
        let text = l.render(200);
        assert!(text.starts_with(" 33% "), "{text}");
        let filled = text.chars().filter(|&c| c == '█').count();
        let empty = text.chars().filter(|&c| c == '░').count();
        assert_eq!(filled + empty, 30);
        assert_eq!(filled, 10);
        assert!(line(99, 100, 0, 0, 1).render(200).starts_with(" 99% "));
        assert!(line(100, 100, 0, 0, 1).render(200).starts_with("100% "));
    }

    #[test]
    fn the_position_counts_what_earlier_sessions_journaled() {
        let p = Progress::new(
            false,
            1000,
            Before {
                done: 600,
                passed: 7,
                errors: 1,
            },
        );
        let l = p.line(100, 2, 0, 0);
        assert_eq!((l.done, l.total, l.passed, l.errors), (700, 1000, 9, 1));
        assert_eq!(l.percent(), 70);
        assert!(l.plain().starts_with("70% · 700/1,000 · "), "{}", l.plain());
    }
}
