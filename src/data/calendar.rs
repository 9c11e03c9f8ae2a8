//! Calendar arithmetic: parsing date text, snapping dates to period ends, month/quarter indices,
//! day numbers for interpolation, and inferring a table's frequency from its dates.
//!
//! # Accepted date formats
//! Surrounding whitespace is ignored; `M`/`D` may have one or two digits, `Q`/`M` markers may be
//! upper or lower case.
//!
//! | text | meaning |
//! |---|---|
//! | `YYYY-MM-DD`, `YYYY/MM/DD` | that day |
//! | `YYYY-MM-DD HH:MM[:SS[.fff]]`, also with `T` instead of the space | that day (time ignored) |
//! | `MM/DD/YYYY` | that day (US order, as Excel writes it) |
//! | `YYYY-MM`, `YYYY/MM` | last day of that month |
//! | `YYYYMmm`, `YYYY-Mmm` (e.g. `2005M03`, `2005-M3`) | last day of that month |
//! | `YYYYQn`, `YYYY-Qn`, `YYYY Qn` (e.g. `2005Q1`) | last day of that quarter |
//!
//! Deliberately **not** accepted: `DD/MM/YYYY` (indistinguishable from `MM/DD/YYYY` for days ≤ 12,
//! so accepting it would silently swap months for some rows), bare digit strings such as `200503`
//! or `20050331` (a numeric column chosen as the date column by mistake would parse), Excel serial
//! day numbers, and month names. Partial dates resolve to the *end* of the period they name, so a
//! sample bound written `2005Q1` or `2005-03` includes 2005-03-31.

use chrono::{Datelike, NaiveDate};

use super::Frequency;

/// Human-readable list of the accepted formats, used in error messages.
pub(crate) const ACCEPTED_DATE_FORMATS: &str = "YYYY-MM-DD, YYYY/MM/DD, MM/DD/YYYY, \
     YYYY-MM-DD HH:MM:SS (time ignored), YYYY-MM, YYYY/MM, YYYYMmm (2005M03), YYYYQn, YYYY-Qn, \
     YYYY Qn";

/// Parse date text in one of the accepted formats (see the module documentation).
///
/// Partial dates (a month or a quarter) resolve to the last day of that period. Returns `None` for
/// anything else, including impossible dates such as `2005-02-30`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() || !s.is_ascii() {
        return None;
    }
    parse_quarter(s)
        .or_else(|| parse_month_marker(s))
        .or_else(|| parse_ymd(s))
        .or_else(|| parse_us(s))
        .or_else(|| parse_year_month(s))
}

/// Advice for date text that fails to parse in a recognisable way; empty when there is none.
/// The result starts with " (" so it can be spliced after the offending text.
pub(crate) fn date_hint(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() {
        return " (the date cell is empty; every row needs a date)".to_string();
    }
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() == 3 {
        if let (Some(a), Some(b)) = (small_int(parts[0], 2), small_int(parts[1], 2)) {
            if a > 12 && b <= 12 {
                return " (this looks like DD/MM/YYYY, which is not accepted because it is \
                         ambiguous with MM/DD/YYYY; write YYYY-MM-DD)"
                    .to_string();
            }
        }
    }
    if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        return format!(" (write `{s}` as {}-{})", &s[..4], &s[4..]);
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return format!(" (write `{s}` as {}-{}-{})", &s[..4], &s[4..6], &s[6..]);
    }
    if s.parse::<f64>().is_ok() {
        return " (a number: if this is an Excel serial date, format the column as a date before \
                 saving; otherwise check that the right column is the date column)"
            .to_string();
    }
    String::new()
}

/// Snap a date to the end of its period: the month's last day, or the last day of the quarter's
/// last month.
pub fn snap_to_period_end(d: NaiveDate, f: Frequency) -> NaiveDate {
    match f {
        Frequency::Monthly => month_end(d.year(), d.month()),
        Frequency::Quarterly => month_end(d.year(), (d.month() - 1) / 3 * 3 + 3),
    }
}

/// Continuous month counter: `year * 12 + (month - 1)`. Consecutive months differ by 1.
pub(crate) fn month_index(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month0() as i32
}

/// Continuous quarter counter: `year * 4 + (quarter - 1)`.
pub(crate) fn quarter_index(d: NaiveDate) -> i32 {
    d.year() * 4 + (d.month0() / 3) as i32
}

/// Last day of the month with the given [`month_index`].
pub(crate) fn month_end_of_index(idx: i32) -> NaiveDate {
    month_end(idx.div_euclid(12), idx.rem_euclid(12) as u32 + 1)
}

/// First day of the month with the given [`month_index`].
pub(crate) fn month_start_of_index(idx: i32) -> NaiveDate {
    ymd(idx.div_euclid(12), idx.rem_euclid(12) as u32 + 1, 1)
}

/// Day number used as the x coordinate of interpolation: days since 1970-01-01. Any origin gives
/// the same spline mathematically; this one is shared with the golden-value script.
pub(crate) fn day_number(d: NaiveDate) -> f64 {
    let epoch = ymd(1970, 1, 1);
    (d - epoch).num_days() as f64
}

/// Last day of `month` (1–12) in `year`.
pub(crate) fn month_end(year: i32, month: u32) -> NaiveDate {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    ymd(ny, nm, 1).pred_opt().unwrap_or(NaiveDate::MAX)
}

/// `NaiveDate::from_ymd_opt` for arguments already known to be valid (month 1–12, day 1); falls
/// back to `NaiveDate::MIN` instead of panicking for years outside chrono's range.
fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

/// A problem found while inferring a table's frequency; `csv_table` adds the file name.
/// Row positions are indices into the slice given to [`infer_frequency`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CalendarIssue {
    /// Fewer than two rows.
    TooFewRows,
    /// Rows `a` and `b` fall in the same period (month, or quarter for a quarterly table).
    SamePeriod {
        a: usize,
        b: usize,
        frequency: Frequency,
    },
    /// Row `prev` is followed by row `next` after `months` months, which fits neither frequency.
    Gap {
        prev: usize,
        next: usize,
        months: i32,
        frequency: Frequency,
    },
    /// One-month step `m` (from row m to m+1) and three-month step `q` (from row q to q+1).
    Mixed { m: usize, q: usize },
}

/// Infer the frequency of dates sorted ascending (raw, not yet snapped).
///
/// Each step between consecutive rows is measured in calendar months: all steps of 1 → monthly;
/// all steps of 3 → quarterly (any day inside the quarter is fine, e.g. quarter starts).
/// Problems, in the order they are looked for:
/// - two rows in the same month, or (when three-month steps outnumber one-month steps, i.e. the
///   table looks quarterly) two consecutive rows in the same quarter → duplicate period;
/// - both one-month and three-month steps → mixed table;
/// - any other step → a gap, reported for the frequency the rest of the table suggests (monthly if
///   it has a one-month step, else quarterly when the gap is a whole number of quarters, else
///   monthly).
pub(crate) fn infer_frequency(sorted: &[NaiveDate]) -> Result<Frequency, CalendarIssue> {
    if sorted.len() < 2 {
        return Err(CalendarIssue::TooFewRows);
    }
    let steps: Vec<i32> = sorted
        .windows(2)
        .map(|w| month_index(w[1]) - month_index(w[0]))
        .collect();
    let n1 = steps.iter().filter(|&&s| s == 1).count();
    let n3 = steps.iter().filter(|&&s| s == 3).count();
    if let Some(i) = steps.iter().position(|&s| s == 0) {
        // The same month twice: name the table's frequency as its other steps show it.
        return Err(CalendarIssue::SamePeriod {
            a: i,
            b: i + 1,
            frequency: if n3 > n1 {
                Frequency::Quarterly
            } else {
                Frequency::Monthly
            },
        });
    }
    if n3 > n1 {
        let same_quarter = sorted
            .windows(2)
            .position(|w| quarter_index(w[0]) == quarter_index(w[1]));
        if let Some(i) = same_quarter {
            return Err(CalendarIssue::SamePeriod {
                a: i,
                b: i + 1,
                frequency: Frequency::Quarterly,
            });
        }
    }
    let first_m = steps.iter().position(|&s| s == 1);
    let first_q = steps.iter().position(|&s| s == 3);
    if let (Some(m), Some(q)) = (first_m, first_q) {
        if n3 == 1 && n1 >= 2 {
            // A monthly table with one three-month step: two months are missing there (or the
            // date is mistyped), not a second frequency.
            return Err(CalendarIssue::Gap {
                prev: q,
                next: q + 1,
                months: 3,
                frequency: Frequency::Monthly,
            });
        }
        return Err(CalendarIssue::Mixed { m, q });
    }
    match steps.iter().position(|&s| s != 1 && s != 3) {
        None if first_m.is_some() => Ok(Frequency::Monthly),
        None => Ok(Frequency::Quarterly),
        Some(i) => {
            let months = steps[i];
            let frequency = if first_m.is_some() || (first_q.is_none() && months % 3 != 0) {
                Frequency::Monthly
            } else {
                Frequency::Quarterly
            };
            Err(CalendarIssue::Gap {
                prev: i,
                next: i + 1,
                months,
                frequency,
            })
        }
    }
}

/// Parse an unsigned integer of 1..=`max_len` ASCII digits.
fn small_int(s: &str, max_len: usize) -> Option<u32> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A four-digit year.
fn year4(s: &str) -> Option<i32> {
    if s.len() == 4 {
        small_int(s, 4).map(|y| y as i32)
    } else {
        None
    }
}

/// `YYYYQn`, `YYYY-Qn`, `YYYY Qn` (case-insensitive `Q`).
fn parse_quarter(s: &str) -> Option<NaiveDate> {
    let year = year4(s.get(..4)?)?;
    let rest = s[4..].trim_start_matches(['-', ' ']);
    // At most one separator character between year and marker.
    if s.len() - 4 - rest.len() > 1 {
        return None;
    }
    let q = rest.strip_prefix(['Q', 'q'])?;
    let q = small_int(q, 1)?;
    if !(1..=4).contains(&q) {
        return None;
    }
    Some(month_end(year, q * 3))
}

/// `YYYYMmm`, `YYYY-Mmm` (case-insensitive `M`).
fn parse_month_marker(s: &str) -> Option<NaiveDate> {
    let year = year4(s.get(..4)?)?;
    let rest = s[4..].strip_prefix('-').unwrap_or(&s[4..]);
    let m = rest.strip_prefix(['M', 'm'])?;
    let m = small_int(m, 2)?;
    if !(1..=12).contains(&m) {
        return None;
    }
    Some(month_end(year, m))
}

/// `YYYY-MM-DD` / `YYYY/MM/DD`, optionally followed by a time that is checked and ignored.
fn parse_ymd(s: &str) -> Option<NaiveDate> {
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None => (s, None),
    };
    if let Some(t) = time {
        if !looks_like_time(t) {
            return None;
        }
    }
    let sep = if date.contains('-') { '-' } else { '/' };
    let parts: Vec<&str> = date.split(sep).collect();
    if parts.len() != 3 {
        return None;
    }
    let y = year4(parts[0])?;
    let m = small_int(parts[1], 2)?;
    let d = small_int(parts[2], 2)?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff` with hours 0–23, minutes 0–59, seconds 0–60.
fn looks_like_time(t: &str) -> bool {
    let parts: Vec<&str> = t.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return false;
    }
    parts.iter().enumerate().all(|(i, p)| {
        let whole = match (i, p.split_once('.')) {
            (2, Some((whole, frac))) if frac.bytes().all(|b| b.is_ascii_digit()) => whole,
            (2, Some(_)) => return false,
            _ => p,
        };
        let limit = [23, 59, 60][i];
        small_int(whole, 2).is_some_and(|v| v <= limit)
    })
}

/// `MM/DD/YYYY`.
fn parse_us(s: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() != 3 {
        return None;
    }
    let m = small_int(parts[0], 2)?;
    let d = small_int(parts[1], 2)?;
    let y = year4(parts[2])?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `YYYY-MM` / `YYYY/MM`.
fn parse_year_month(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.split_once(['-', '/'])?;
    let y = year4(y)?;
    let m = small_int(m, 2)?;
    if !(1..=12).contains(&m) {
        return None;
    }
    Some(month_end(y, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn month_end_handles_leap_years_and_december() {
        assert_eq!(month_end(2000, 2), d(2000, 2, 29));
        assert_eq!(month_end(1900, 2), d(1900, 2, 28));
        assert_eq!(month_end(2001, 12), d(2001, 12, 31));
        assert_eq!(
            month_end_of_index(month_index(d(2004, 2, 3))),
            d(2004, 2, 29)
        );
        assert_eq!(
            month_start_of_index(month_index(d(2004, 2, 3))),
            d(2004, 2, 1)
        );
    }

    #[test]
    fn quarter_marker_needs_a_single_separator() {
        assert_eq!(parse_date("2005Q2"), Some(d(2005, 6, 30)));
        assert_eq!(parse_date("2005--Q2"), None);
        assert_eq!(parse_date("2005Q5"), None);
        assert_eq!(parse_date("2005-02-30"), None);
        assert_eq!(parse_date("2005-02-28 junk"), None);
    }

    #[test]
    fn inference_classifies_steps() {
        let m = [d(2001, 1, 31), d(2001, 2, 28), d(2001, 3, 31)];
        assert_eq!(infer_frequency(&m), Ok(Frequency::Monthly));
        let q = [d(2001, 1, 1), d(2001, 4, 1), d(2001, 7, 1)];
        assert_eq!(infer_frequency(&q), Ok(Frequency::Quarterly));
        let dup = [
            d(2001, 1, 1),
            d(2001, 2, 1),
            d(2001, 4, 1),
            d(2001, 7, 1),
            d(2001, 10, 1),
        ];
        assert_eq!(
            infer_frequency(&dup),
            Err(CalendarIssue::SamePeriod {
                a: 0,
                b: 1,
                frequency: Frequency::Quarterly
            })
        );
        // An exact duplicate in a quarterly table is a duplicate quarter, not month.
        let twice = [
            d(2001, 3, 31),
            d(2001, 6, 30),
            d(2001, 6, 30),
            d(2001, 9, 30),
        ];
        assert_eq!(
            infer_frequency(&twice),
            Err(CalendarIssue::SamePeriod {
                a: 1,
                b: 2,
                frequency: Frequency::Quarterly
            })
        );
        let gap = [d(2001, 3, 31), d(2001, 9, 30)];
        assert!(matches!(
            infer_frequency(&gap),
            Err(CalendarIssue::Gap {
                frequency: Frequency::Quarterly,
                months: 6,
                ..
            })
        ));
    }
}
