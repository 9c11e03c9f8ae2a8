//! Data preparation (docs/semantics.md §1): golden values from scipy/pandas
//! (tests/golden/gen_data.py → tests/golden/data/*.json), aggregation identities as properties,
//! and one test per bad-input error checking that the message names file, line, column and text.
//!
//! Tolerance: 1e-10 relative to the largest absolute expected value of the series. Relative to the
//! series rather than to each value because a spline value near zero (growth series crossing zero)
//! carries the rounding error of the series' scale, not of its own tiny magnitude.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use proptest::prelude::*;
use serde::Deserialize;
use specsearch::data::{
    align, load_table, monthly_to_quarterly_mean, parse_date, quarterly_to_monthly,
    snap_to_period_end, Aggregation, DataError, Frequency, Table, TableSource,
};

const TOL: f64 = 1e-10;

fn golden<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn dates(v: &[String]) -> Vec<NaiveDate> {
    v.iter().map(|s| date(s)).collect()
}

fn nan_vec(v: &[Option<f64>]) -> Vec<f64> {
    v.iter().map(|x| x.unwrap_or(f64::NAN)).collect()
}

/// Same NaN pattern, and values within `TOL` relative to the series' largest |expected|.
fn assert_close(what: &str, got: &[f64], expected: &[Option<f64>]) {
    assert_eq!(got.len(), expected.len(), "{what}: length");
    let scale = expected
        .iter()
        .flatten()
        .fold(0.0_f64, |a, &b| a.max(b.abs()))
        .max(f64::MIN_POSITIVE);
    for (i, (&g, e)) in got.iter().zip(expected).enumerate() {
        match e {
            None => assert!(g.is_nan(), "{what}[{i}]: expected NaN, got {g}"),
            Some(e) => assert!(
                (g - e).abs() <= TOL * scale,
                "{what}[{i}]: got {g}, expected {e} (diff {:e}, scale {scale})",
                (g - e).abs()
            ),
        }
    }
}

fn agg_of(s: &str) -> Aggregation {
    serde_json::from_value(serde_json::Value::String(s.to_string())).unwrap()
}

/// Write `content` to `<dir>/<name>` and return the path.
fn write(dir: &tempfile::TempDir, name: &str, content: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn load(path: &Path) -> Result<Table, DataError> {
    load_table(&TableSource {
        path,
        date_column: None,
        ffill: false,
        sheet: None,
    })
}

// ---------------------------------------------------------------------------------------------
// Golden: interpolation

#[derive(Deserialize)]
struct InterpCase {
    name: String,
    aggregation: String,
    q_dates: Vec<String>,
    values: Vec<Option<f64>>,
    m_dates: Vec<String>,
    expected: Vec<Option<f64>>,
}

#[test]
fn golden_quarterly_to_monthly() {
    let cases: Vec<InterpCase> = golden("interpolation.json");
    assert!(cases.len() >= 40);
    for c in &cases {
        let (md, mv) = quarterly_to_monthly(
            &dates(&c.q_dates),
            &nan_vec(&c.values),
            agg_of(&c.aggregation),
        );
        assert_eq!(md, dates(&c.m_dates), "{}: month grid", c.name);
        assert_close(&c.name, &mv, &c.expected);
    }
}

/// Check the aggregation identity of every valid quarter; `tol` is relative to the series scale.
fn check_identities(q: &[f64], monthly: &[f64], agg: Aggregation, tol: f64) {
    let scale = q
        .iter()
        .filter(|v| !v.is_nan())
        .fold(1e-300_f64, |a, &b| a.max(b.abs()));
    for (k, &v) in q.iter().enumerate() {
        let m = &monthly[3 * k..3 * k + 3];
        if v.is_nan() {
            continue;
        }
        let got = match agg {
            Aggregation::Average => m.iter().sum::<f64>() / 3.0,
            Aggregation::Sum => m.iter().sum::<f64>(),
            Aggregation::End => m[2],
        };
        assert!(
            (got - v).abs() <= tol * scale,
            "{agg:?} quarter {k}: {got} vs {v}"
        );
    }
}

#[test]
fn golden_spline_cases_satisfy_aggregation_identities() {
    let cases: Vec<InterpCase> = golden("interpolation.json");
    let mut checked = 0;
    for c in &cases {
        let q = nan_vec(&c.values);
        let valid = q.iter().filter(|v| !v.is_nan()).count();
        let all_zero = q.iter().all(|&v| v == 0.0);
        if valid < 4 || all_zero {
            continue; // linear case: no rescaling by contract
        }
        // Quarters are consecutive in every golden case, so quarter k ↔ months 3k..3k+3.
        let (_, mv) = quarterly_to_monthly(&dates(&c.q_dates), &q, agg_of(&c.aggregation));
        check_identities(&q, &mv, agg_of(&c.aggregation), 1e-12);
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn nan_quarters_and_months_outside_the_span_are_nan() {
    let qd: Vec<NaiveDate> = ["2001-03-31", "2001-06-30", "2001-09-30", "2001-12-31"]
        .iter()
        .chain(&["2002-03-31", "2002-06-30", "2002-09-30", "2002-12-31"])
        .map(|s| date(s))
        .collect();
    let v = [f64::NAN, 1.0, 2.0, f64::NAN, 3.0, 4.0, 5.0, f64::NAN];
    for agg in [Aggregation::Average, Aggregation::Sum, Aggregation::End] {
        let (md, mv) = quarterly_to_monthly(&qd, &v, agg);
        assert_eq!(md.len(), 24);
        assert_eq!(md[0], date("2001-01-31"));
        assert_eq!(md[23], date("2002-12-31"));
        for (k, &q) in v.iter().enumerate() {
            for m in &mv[3 * k..3 * k + 3] {
                assert_eq!(m.is_nan(), q.is_nan(), "{agg:?} quarter {k}");
            }
        }
    }
}

#[test]
fn a_quarter_missing_from_the_dates_counts_as_missing() {
    let qd = dates(&[
        "2001-03-31".into(),
        "2001-06-30".into(),
        "2001-12-31".into(),
        "2002-03-31".into(),
        "2002-06-30".into(),
    ]);
    let (md, mv) = quarterly_to_monthly(&qd, &[1.0, 2.0, 3.0, 4.0, 5.0], Aggregation::Average);
    assert_eq!(md.len(), 18);
    assert!(mv[6..9].iter().all(|v| v.is_nan()));
    assert!(mv[..6].iter().chain(&mv[9..]).all(|v| v.is_finite()));
    assert_eq!(
        quarterly_to_monthly(&[], &[], Aggregation::Sum),
        (vec![], vec![])
    );
}

fn quarterly_series() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![4 => -1000.0..1000.0_f64, 1 => Just(f64::NAN)],
        1..48,
    )
}

proptest! {
    #[test]
    fn prop_identities_and_nan_pattern(
        v in quarterly_series(),
        start_year in 1950..2040_i32,
        start_q in 0..4_u32,
        agg in prop_oneof![
            Just(Aggregation::Average),
            Just(Aggregation::Sum),
            Just(Aggregation::End),
        ],
    ) {
        let first = NaiveDate::from_ymd_opt(start_year, start_q * 3 + 1, 1).unwrap();
        let qd: Vec<NaiveDate> = (0..v.len() as u32)
            .map(|k| snap_to_period_end(first + chrono::Months::new(3 * k), Frequency::Quarterly))
            .collect();
        let (md, mv) = quarterly_to_monthly(&qd, &v, agg);
        prop_assert_eq!(md.len(), 3 * v.len());
        prop_assert_eq!(md[0], snap_to_period_end(first, Frequency::Monthly));
        for (k, &q) in v.iter().enumerate() {
            for m in &mv[3 * k..3 * k + 3] {
                prop_assert_eq!(m.is_nan(), q.is_nan());
            }
        }
        let valid = v.iter().filter(|x| !x.is_nan()).count();
        if valid >= 4 {
            // Random quarters can give a quarter whose spline mean is ~0, where the contract keeps
            // factor 1; those are vanishingly rare for continuous draws, and the identity tolerance
            // covers the rounding of `observed / mean` on ordinary means.
            check_identities(&v, &mv, agg, 1e-9);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Golden: monthly → quarterly, ffill, dates, align

#[derive(Deserialize)]
struct M2qCase {
    name: String,
    m_dates: Vec<String>,
    values: Vec<Option<f64>>,
    q_dates: Vec<String>,
    expected: Vec<Option<f64>>,
}

#[test]
fn golden_monthly_to_quarterly_mean() {
    let cases: Vec<M2qCase> = golden("monthly_to_quarterly.json");
    assert_eq!(cases.len(), 4);
    for c in &cases {
        let (qd, qv) = monthly_to_quarterly_mean(&dates(&c.m_dates), &nan_vec(&c.values));
        assert_eq!(qd, dates(&c.q_dates), "{}", c.name);
        assert_close(&c.name, &qv, &c.expected);
    }
}

#[derive(Deserialize)]
struct FfillCase {
    name: String,
    csv: String,
    dates: Vec<String>,
    raw: std::collections::BTreeMap<String, Vec<Option<f64>>>,
    ffill: std::collections::BTreeMap<String, Vec<Option<f64>>>,
}

#[test]
fn golden_load_and_ffill_match_pandas() {
    let cases: Vec<FfillCase> = golden("ffill.json");
    let dir = tempfile::tempdir().unwrap();
    for c in &cases {
        let path = write(&dir, &format!("{}.csv", c.name), &c.csv);
        for (ffill, expected) in [(false, &c.raw), (true, &c.ffill)] {
            let t = load_table(&TableSource {
                path: &path,
                date_column: Some("date"),
                ffill,
                sheet: None,
            })
            .unwrap();
            assert_eq!(t.dates, dates(&c.dates), "{}", c.name);
            assert_eq!(t.columns.len(), expected.len());
            for col in &t.columns {
                assert_close(
                    &format!("{} ffill={ffill} {}", c.name, col.name),
                    &col.values,
                    &expected[&col.name],
                );
            }
        }
    }
}

#[derive(Deserialize)]
struct DateCases {
    parse: Vec<ParseCase>,
    snap: Vec<SnapCase>,
}

#[derive(Deserialize)]
struct ParseCase {
    text: String,
    expected: Option<String>,
}

#[derive(Deserialize)]
struct SnapCase {
    date: String,
    month_end: String,
    quarter_end: String,
}

#[test]
fn golden_date_formats_and_snapping() {
    let cases: DateCases = golden("dates.json");
    assert!(cases.parse.len() > 700);
    for c in &cases.parse {
        assert_eq!(
            parse_date(&c.text),
            c.expected.as_deref().map(date),
            "`{}`",
            c.text
        );
    }
    for c in &cases.snap {
        let d = date(&c.date);
        assert_eq!(
            snap_to_period_end(d, Frequency::Monthly),
            date(&c.month_end)
        );
        assert_eq!(
            snap_to_period_end(d, Frequency::Quarterly),
            date(&c.quarter_end)
        );
    }
}

#[derive(Deserialize)]
struct AlignCase {
    name: String,
    target: String,
    mevs: Vec<String>,
    aggregation: std::collections::BTreeMap<String, String>,
    dates: Vec<String>,
    columns: Vec<String>,
    expected: std::collections::BTreeMap<String, Vec<Option<f64>>>,
}

#[test]
fn golden_align_end_to_end() {
    let cases: Vec<AlignCase> = golden("align.json");
    let dir = tempfile::tempdir().unwrap();
    for c in &cases {
        let target = load(&write(&dir, &format!("{}_target.csv", c.name), &c.target)).unwrap();
        let mevs: Vec<Table> = c
            .mevs
            .iter()
            .enumerate()
            .map(|(i, text)| load(&write(&dir, &format!("{}_mev{i}.csv", c.name), text)).unwrap())
            .collect();
        let aggs = |code: &str| {
            c.aggregation
                .get(code)
                .map_or(Aggregation::default(), |a| agg_of(a))
        };
        let panel = align(&target, &mevs, &aggs).unwrap();
        assert_eq!(panel.dates, dates(&c.dates), "{}", c.name);
        let names: Vec<&str> = panel.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, c.columns, "{}", c.name);
        for name in &c.columns {
            assert_close(
                &format!("{} {name}", c.name),
                panel.column(name).unwrap(),
                &c.expected[name],
            );
        }
        assert_eq!(panel.index_of_date(panel.dates[3]), Some(3));
        assert_eq!(panel.index_of_date(date("1900-01-31")), None);
        assert!(panel.column("nope").is_none());
    }
}

// ---------------------------------------------------------------------------------------------
// Loading and frequency inference

#[test]
fn frequency_inference_and_snapping_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "m_ends.csv",
            "date,x\n2001-01-31,1\n2001-02-28,2\n2001-03-31,3\n",
            Frequency::Monthly,
            "2001-01-31",
        ),
        (
            "m_starts.csv",
            "date,x\n2001-01-01,1\n2001-02-01,2\n2001-03-01,3\n",
            Frequency::Monthly,
            "2001-01-31",
        ),
        (
            "m_mid.csv",
            "date,x\n01/15/2001,1\n02/15/2001,2\n",
            Frequency::Monthly,
            "2001-01-31",
        ),
        (
            "m_ym.csv",
            "date,x\n2001-01,1\n2001-02,2\n",
            Frequency::Monthly,
            "2001-01-31",
        ),
        (
            "q_ends.csv",
            "date,x\n2001-03-31,1\n2001-06-30,2\n2001-09-30,3\n",
            Frequency::Quarterly,
            "2001-03-31",
        ),
        (
            "q_starts.csv",
            "date,x\n2001-01-01,1\n2001-04-01,2\n",
            Frequency::Quarterly,
            "2001-03-31",
        ),
        (
            "q_marks.csv",
            "date,x\n2001Q1,1\n2001Q2,2\n2001Q3,3\n",
            Frequency::Quarterly,
            "2001-03-31",
        ),
        (
            "q_mid.csv",
            "date,x\n2001-02-15,1\n2001-05-15,2\n",
            Frequency::Quarterly,
            "2001-03-31",
        ),
    ];
    for (name, text, freq, first) in cases {
        let t = load(&write(&dir, name, text)).unwrap();
        assert_eq!(t.frequency, freq, "{name}");
        assert_eq!(t.dates[0], date(first), "{name}");
        assert!(t.dates.windows(2).all(|w| w[0] < w[1]));
    }
}

#[test]
fn date_column_choice_bom_blank_rows_and_sorting() {
    let dir = tempfile::tempdir().unwrap();
    // Date column not first, found by name; BOM; trailing blank spreadsheet row; unsorted rows.
    let p = write(
        &dir,
        "t.csv",
        "\u{feff}x,Date,y\n2,2001-02-28,20\n1,2001-01-31,10\n,,\n",
    );
    let t = load(&p).unwrap();
    assert_eq!(t.dates, vec![date("2001-01-31"), date("2001-02-28")]);
    assert_eq!(t.columns[0].name, "x");
    assert_eq!(t.columns[0].values, vec![1.0, 2.0]);
    assert_eq!(t.columns[1].values, vec![10.0, 20.0]);
    // Explicit date column; an unnamed first column (pandas index) is allowed as the date column.
    let p = write(&dir, "u.csv", ",v\n2001Q1,1\n2001Q2,2\n");
    assert_eq!(load(&p).unwrap().columns[0].name, "v");
    let p = write(&dir, "w.csv", "obs,when\n5,2001-01\n6,2001-02\n");
    let t = load_table(&TableSource {
        path: &p,
        date_column: Some("when"),
        ffill: false,
        sheet: None,
    })
    .unwrap();
    assert_eq!(t.columns[0].values, vec![5.0, 6.0]);
}

#[test]
fn serde_and_display_names() {
    assert_eq!(Frequency::Monthly.to_string(), "M");
    assert_eq!(
        serde_json::to_string(&Frequency::Quarterly).unwrap(),
        "\"Q\""
    );
    assert_eq!(serde_json::to_string(&Aggregation::Sum).unwrap(), "\"sum\"");
    assert_eq!(agg_of("end"), Aggregation::End);
    assert_eq!(Aggregation::default(), Aggregation::Average);
}

// ---------------------------------------------------------------------------------------------
// Bad input: every message must name the file and say where and what

/// Load `content` as `<name>` and return the error message; asserts that it names the file.
fn load_err(name: &str, content: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let err = load(&write(&dir, name, content))
        .expect_err(name)
        .to_string();
    assert!(err.contains(name), "message does not name the file: {err}");
    err
}

fn assert_has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "`{p}` missing from: {msg}");
    }
}

#[test]
fn missing_file() {
    let err = load(Path::new("/nonexistent/dir/mevs.csv"))
        .unwrap_err()
        .to_string();
    assert_has(&err, &["/nonexistent/dir/mevs.csv", "cannot read", "path"]);
}

#[test]
fn empty_file_and_header_only() {
    assert_has(&load_err("empty.csv", ""), &["is empty", "header"]);
    assert_has(&load_err("blank.csv", "\n  \n"), &["is empty"]);
    assert_has(
        &load_err("header_only.csv", "date,gdp\n"),
        &["no data rows"],
    );
    assert_has(
        &load_err("only_blank_rows.csv", "date,gdp\n,\n"),
        &["no data rows"],
    );
}

#[test]
fn wrong_field_count() {
    let msg = load_err(
        "fields.csv",
        "date,gdp,ur\n2001-01-31,1,2\n2001-02-28,1,234.5,2\n",
    );
    assert_has(&msg, &["line 3", "4 fields", "header has 3", "1,234.5"]);
}

#[test]
fn unparseable_date() {
    let msg = load_err("dates.csv", "date,gdp\n2001-01-31,1\n31/02/2001,2\n");
    assert_has(
        &msg,
        &[
            "line 3",
            "column `date`",
            "`31/02/2001`",
            "DD/MM/YYYY",
            "YYYY-MM-DD",
        ],
    );
    let msg = load_err("empty_date.csv", "when,gdp\n2001-01-31,1\n,2\n");
    assert_has(&msg, &["line 3", "column `when`", "empty"]);
    let msg = load_err("yyyymm.csv", "date,gdp\n200101,1\n");
    assert_has(&msg, &["line 2", "`200101`", "2001-01"]);
}

#[test]
fn unparseable_number() {
    let msg = load_err(
        "numbers.csv",
        "date,gdp,ur\n2001-01-31,1,2\n2001-02-28,1,abc\n",
    );
    assert_has(
        &msg,
        &["line 3", "column `ur`", "`abc`", "not a number", "NA"],
    );
    let msg = load_err("pct.csv", "date,ur\n2001-01-31,5%\n");
    assert_has(&msg, &["line 2", "column `ur`", "`5%`", "%"]);
    let msg = load_err("inf.csv", "date,ur\n2001-01-31,inf\n");
    assert_has(&msg, &["`inf`", "infinite"]);
    let msg = load_err("quoted.csv", "date,gdp\n2001-01-31,\"1,234\"\n");
    assert_has(&msg, &["`1,234`", "thousands"]);
}

#[test]
fn duplicate_dates_after_snapping() {
    let msg = load_err(
        "dup_m.csv",
        "date,x\n2001-01-31,1\n2001-02-28,2\n2001-01-01,3\n",
    );
    assert_has(
        &msg,
        &[
            "lines 2 (`2001-01-31`) and 4 (`2001-01-01`)",
            "monthly",
            "2001-01-31",
            "one row per period",
        ],
    );
    let msg = load_err(
        "dup_q.csv",
        "date,x\n2001Q1,1\n2001-02-01,9\n2001Q2,2\n2001Q3,3\n2001Q4,4\n",
    );
    assert_has(
        &msg,
        &[
            "lines 2 (`2001Q1`) and 3 (`2001-02-01`)",
            "quarterly",
            "2001-03-31",
        ],
    );
}

#[test]
fn irregular_frequency_names_the_gap() {
    let msg = load_err(
        "gap_q.csv",
        "date,x\n2001-03-31,1\n2001-09-30,2\n2001-12-31,3\n",
    );
    assert_has(
        &msg,
        &[
            "line 3: the date `2001-09-30` (the quarter ending 2001-09-30) comes 6 months after \
             line 2 (`2001-03-31`",
            "quarterly",
            "missing quarters",
        ],
    );
    let msg = load_err(
        "gap_m.csv",
        "date,x\n2001-01-31,1\n2001-02-28,2\n2001-04-30,3\n",
    );
    assert_has(
        &msg,
        &[
            "line 4: the date `2001-04-30` (the month ending 2001-04-30) comes 2 months after \
             line 3 (`2001-02-28`",
            "monthly",
            "missing months",
        ],
    );
}

#[test]
fn an_irregular_date_is_named_as_written_on_its_line() {
    // Line 4 says the 15th of December: the message quotes it, not only its month end.
    let msg = load_err(
        "irregular.csv",
        "date,x\n1968-08-31,1\n1968-09-30,2\n1968-12-15,3\n1969-01-31,4\n",
    );
    assert_has(
        &msg,
        &[
            "line 4: the date `1968-12-15` (the month ending 1968-12-31)",
            "3 months after line 3 (`1968-09-30`",
            "correct the date on line 4",
        ],
    );
}

#[test]
fn a_repeated_date_in_a_quarterly_table_is_a_repeated_quarter() {
    let msg = load_err(
        "dup_q.csv",
        "date,x\n2001-03-31,1\n2001-06-30,2\n2001-06-30,3\n2001-09-30,4\n2001-12-31,5\n",
    );
    assert_has(&msg, &["quarterly period ending 2001-06-30", "lines 3"]);
    assert!(!msg.contains("monthly"), "{msg}");
}

#[test]
fn mixed_frequencies() {
    let msg = load_err(
        "mixed.csv",
        "date,x\n2001-01-31,1\n2001-02-28,2\n2001-03-31,3\n2001-06-30,4\n2001-09-30,5\n",
    );
    assert_has(
        &msg,
        &[
            "mixes frequencies",
            "2001-01-31 (line 2) to 2001-02-28 (line 3)",
            "2001-03-31 (line 4) to 2001-06-30 (line 5)",
            "separate table",
        ],
    );
}

#[test]
fn too_few_rows() {
    assert_has(
        &load_err("one_row.csv", "date,x\n2001-01-31,1\n"),
        &["only one data row"],
    );
}

#[test]
fn no_date_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "nodate.csv", "when,x\n2001-01-31,1\n");
    let err = load_table(&TableSource {
        path: &p,
        date_column: Some("period"),
        ffill: false,
        sheet: None,
    })
    .unwrap_err()
    .to_string();
    assert_has(
        &err,
        &["nodate.csv", "no date column `period`", "`when`, `x`"],
    );
    assert_has(
        &load_err("semicolon.csv", "date;x\n2001-01-31;1\n"),
        &["no series columns", "comma-separated"],
    );
}

#[test]
fn header_problems() {
    let msg = load_err("dupcol.csv", "date,gdp,ur,gdp\n2001-01-31,1,2,3\n");
    assert_has(&msg, &["line 1", "`gdp` appears twice", "columns 2 and 4"]);
    let msg = load_err("emptycol.csv", "date,gdp,\n2001-01-31,1,2\n");
    assert_has(&msg, &["line 1", "column 3 has an empty name"]);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("latin1.csv");
    std::fs::write(&p, b"date,taux_ch\xf4mage\n2001-01-31,1\n").unwrap();
    assert_has(&load(&p).unwrap_err().to_string(), &["latin1.csv", "UTF-8"]);
}

#[test]
fn align_errors_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let t = load(&write(
        &dir,
        "target.csv",
        "date,y\n2001-01-31,1\n2001-02-28,2\n",
    ))
    .unwrap();
    let a = load(&write(
        &dir,
        "mev_a.csv",
        "date,gdp\n2001-01-31,1\n2001-02-28,2\n",
    ))
    .unwrap();
    let b = load(&write(
        &dir,
        "mev_b.csv",
        "date,gdp\n2001-01-31,1\n2001-02-28,2\n",
    ))
    .unwrap();
    let avg = |_: &str| Aggregation::Average;
    let err = align(&t, &[a.clone(), b], &avg).unwrap_err().to_string();
    assert_has(&err, &["`gdp`", "mev_a.csv", "mev_b.csv", "both monthly"]);

    // gdp monthly + gdp quarterly → gdp_Q, which clashes with an existing monthly gdp_Q.
    let q = load(&write(&dir, "mev_q.csv", "date,gdp\n2001Q1,1\n2001Q2,2\n")).unwrap();
    let c = load(&write(
        &dir,
        "mev_c.csv",
        "date,gdp_Q\n2001-01-31,1\n2001-02-28,2\n",
    ))
    .unwrap();
    let err = align(&t, &[a.clone(), c, q.clone()], &avg)
        .unwrap_err()
        .to_string();
    assert_has(
        &err,
        &["`gdp_Q`", "mev_c.csv", "mev_q.csv", "both frequencies"],
    );

    // A quarterly table holding both `gdp` and `gdp_Q`: the renamed copy clashes within it.
    let q2 = load(&write(
        &dir,
        "mev_q2.csv",
        "date,gdp,gdp_Q\n2001Q1,1,2\n2001Q2,2,3\n",
    ))
    .unwrap();
    let err = align(&t, &[a.clone(), q2], &avg).unwrap_err().to_string();
    assert_has(
        &err,
        &["`gdp_Q`", "mev_q2.csv", "quarterly copy is renamed"],
    );

    let r = load(&write(
        &dir,
        "reserved.csv",
        "date,M\n2001-01-31,1\n2001-02-28,2\n",
    ))
    .unwrap();
    let err = align(&t, &[r], &avg).unwrap_err().to_string();
    assert_has(
        &err,
        &["reserved.csv", "`M`", "month of the year", "rename"],
    );

    // Without the clash: the quarterly copy is renamed, the target keeps its MEV-like columns.
    let p = align(&t, &[a, q], &avg).unwrap();
    let names: Vec<&str> = p.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["y", "gdp", "gdp_Q", "M", "Q"]);
}
