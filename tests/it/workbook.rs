//! The model workbook (`export --format xlsx`) read back with calamine: the sheets, the
//! coefficients of the best model exactly as journaled, dates as Excel dates, the ranking with
//! the incumbent and benchmarks marked; and compared with what openpyxl, an independent reader,
//! found in the same workbook (tests/golden/gen_workbook.py → tests/golden/workbook.json: the
//! same values, the number formats, the frozen panes and the native charts). Any other export
//! to xlsx is one sheet.

use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto, Data, Range, Reader};
use serde_json::Value;

fn golden() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/workbook.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/data/workbook/search.toml")
}

/// (row, col) of the first cell holding `text` in column A.
fn find(range: &Range<Data>, text: &str) -> usize {
    (0..range.height())
        .find(|&r| matches!(range.get((r, 0)), Some(Data::String(s)) if s == text))
        .unwrap_or_else(|| panic!("no {text:?}"))
}

#[test]
fn the_model_workbook_reads_back_with_its_values_formats_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let book = dir.path().join("book.xlsx");
    let run = |args: &[&str]| {
        crate::common::assert_ok(
            &crate::common::specsearch()
                .arg(args[0])
                .arg(config())
                .arg("--workspace")
                .arg(&ws)
                .args(&args[1..])
                .output()
                .unwrap(),
        )
    };
    run(&["run", "-q"]);
    run(&[
        "export",
        "--format",
        "xlsx",
        "--top",
        "2",
        "-o",
        book.to_str().unwrap(),
    ]);
    let g = golden();

    let mut wb = open_workbook_auto(&book).unwrap();
    let sheets: Vec<String> = wb.sheet_names().to_vec();
    let want: Vec<String> = serde_json::from_value(g["sheets"].clone()).unwrap();
    assert_eq!(sheets, want);
    assert_eq!(
        sheets,
        ["Summary", "Ranking", "Rank1", "Rank2", "Incumbent"]
    );

    // The best model's coefficients: the journal's values exactly (numbers, not text), the
    // values openpyxl read.
    let conn = rusqlite::Connection::open(ws.join("journal.sqlite")).unwrap();
    let detail: String = conn
        .query_row("SELECT detail FROM passed_models WHERE rank = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    let params = crate::common::floats(&detail["params"]);
    let m = wb.worksheet_range("Rank1").unwrap();
    let header = find(&m, "Coefficients") + 1;
    assert_eq!(m.get((header, 1)), Some(&Data::String("coef".into())));
    let coefs = g["coefficients"].as_array().unwrap();
    assert_eq!(coefs.len(), params.len());
    for (k, (p, c)) in params.iter().zip(coefs).enumerate() {
        assert_eq!(
            m.get((header + 1 + k, 1)),
            Some(&Data::Float(*p)),
            "coef {k}"
        );
        assert_eq!(c["coef"].as_f64(), Some(*p), "openpyxl coef {k}");
        assert_eq!(c["format"], "0.000000");
        let term = detail["param_names"][k].as_str().unwrap();
        assert_eq!(m.get((header + 1 + k, 0)), Some(&Data::String(term.into())));
    }
    // The validation's tables of a validated model (the run validates its best models), and
    // the incumbent's backtest summary.
    for title in [
        "Sensitivity (9Q change of the level)",
        "Attribution (9Q change with the feature held at p0)",
        "Walk-forward trials",
        "Coefficients across trials",
        "Break tests",
        "Backtests: mean |% error| by step",
        "Backtest summary",
    ] {
        find(&m, title);
    }
    let inc = wb.worksheet_range("Incumbent").unwrap();
    let summary = find(&inc, "Backtest summary") + 1;
    assert_eq!(inc.get((summary, 0)), Some(&Data::String("sample".into())));
    // Dates are Excel dates (yyyy-mm-dd), percentages are %.
    let series = find(&m, "Fitted vs actual") + 1;
    match m.get((series + 1, 0)) {
        Some(Data::DateTime(d)) => {
            let serial = d.as_f64();
            // 1961-03-31 is day 22371 of Excel's 1900 calendar.
            assert_eq!(serial, 22371.0);
        }
        other => panic!("the first series date is {other:?}"),
    }
    assert_eq!(g["series"]["first_date"], "1961-03-31");
    assert_eq!(g["series"]["date_format"], "yyyy-mm-dd");
    assert_eq!(g["scenario_formats"]["cagr_9q"], "0.00%");
    assert_eq!(g["scenario_formats"]["pct_change_9q"], "0.00%");
    assert_eq!(g["pct_passed"]["format"], "0.00%");
    // Frozen header rows and a native line chart of fitted vs actual and of the scenario paths
    // on each model sheet (openpyxl's reading).
    for (sheet, pane) in [
        ("Summary", "A2"),
        ("Ranking", "A2"),
        ("Rank1", "A3"),
        ("Incumbent", "A3"),
    ] {
        assert_eq!(g["freeze_panes"][sheet], pane, "{sheet}");
    }
    for sheet in ["Rank1", "Rank2", "Incumbent"] {
        let charts = g["charts"][sheet].as_array().unwrap();
        let titles: Vec<&str> = charts
            .iter()
            .map(|c| c["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["Fitted vs actual", "Scenario paths"], "{sheet}");
        assert!(charts.iter().all(|c| c["type"] == "lineChart"));
        assert_eq!(charts[0]["series"], 2);
        assert_eq!(charts[1]["series"], 3);
    }

    // The ranking: every ranked model, then the incumbent and the benchmarks, marked.
    let r = wb.worksheet_range("Ranking").unwrap();
    let ranked: i64 = conn
        .query_row("SELECT count(*) FROM ranking", [], |r| r.get(0))
        .unwrap();
    let marks: Vec<&Data> = (1..r.height()).filter_map(|i| r.get((i, 1))).collect();
    assert_eq!(r.get((0, 1)), Some(&Data::String("rank".into())));
    assert_eq!(marks.len() as i64, ranked + 5);
    assert_eq!(marks[ranked as usize], &Data::String("incumbent".into()));
    assert!(marks[ranked as usize + 1..]
        .iter()
        .all(|m| **m == Data::String("benchmark".into())));

    // Any other export to xlsx: one sheet, its rows.
    let forecasts = dir.path().join("forecasts.xlsx");
    run(&[
        "export",
        "--what",
        "forecasts",
        "-o",
        forecasts.to_str().unwrap(),
    ]);
    let mut fb = open_workbook_auto(&forecasts).unwrap();
    assert_eq!(fb.sheet_names(), ["export"]);
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM scenario_forecasts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        fb.worksheet_range("export").unwrap().height() as i64,
        rows + 1
    );
}
