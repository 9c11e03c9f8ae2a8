//! Two runs compared (`specsearch compare`, the report's comparison section): last quarter's
//! run and this quarter's, or a run before and after a change of the pool or a threshold.
//!
//! Models are matched by spec key, never by index (indices move when a pool changes). A spec
//! key covers the sample, so when the two runs' samples differ (a data vintage that moves the
//! windows) models are matched by what the key is made of besides it: the target and the
//! sorted column names. Reported: what changed in the inputs (the config's lines, the data
//! files by sha256, the calendar and samples), the models that entered or left the ranked
//! set, rank moves, and for models in both their coefficient drift and the drift of their
//! 9-quarter % change under each scenario.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;

use crate::journal::{Cell, RankedModel, RunInputs, RunRow, Table};
use crate::results::benchmarks::short_key;
use crate::results::OpenJournal;

/// One side of a comparison: a journal and one of its runs.
pub struct Side<'a> {
    pub journal: &'a OpenJournal,
    pub run: RunRow,
}

/// Everything a comparison found, as tables (shown by `compare`, written as JSON / CSV, laid
/// out in the report).
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The two runs: (field, A, B).
    pub runs: Table,
    /// What changed in the inputs: (what, a, b, change).
    pub inputs: Table,
    /// The config's line diff (`-` A only, `+` B only), empty when the texts are equal.
    pub config_diff: Vec<String>,
    /// How models were matched: "spec key" or "target and columns (the samples differ)".
    pub matched_by: String,
    /// Every model of either ranked set: key, features, status (entered | left | both), rank
    /// in A and B, rank move (positive: up).
    pub models: Table,
    /// Coefficients of the models in both: key, term, coef_a, coef_b, change, pct_change.
    pub coefficients: Table,
    /// 9-quarter % change of the models in both under each scenario of both runs.
    pub scenarios: Table,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn opt_real(v: Option<f64>) -> Cell {
    v.filter(|x| x.is_finite()).map_or(Cell::Null, Cell::Real)
}

/// Compares run B with run A.
pub fn compare(a: &Side<'_>, b: &Side<'_>) -> Result<Comparison> {
    let (ja, jb) = (&a.journal.journal, &b.journal.journal);
    let (ra, rb) = (&a.run, &b.run);
    let mut runs = Table::new(&["field", "a", "b"]);
    for (field, va, vb) in [
        ("run", ra.name.clone(), rb.name.clone()),
        (
            "journal",
            a.journal.path.display().to_string(),
            b.journal.path.display().to_string(),
        ),
        ("config", ra.config_path.clone(), rb.config_path.clone()),
        ("status", ra.status.to_string(), rb.status.to_string()),
        ("created", ra.created_at.clone(), rb.created_at.clone()),
        ("target", ra.target.clone(), rb.target.clone()),
        (
            "specs",
            ra.spec_count.to_string(),
            rb.spec_count.to_string(),
        ),
        (
            "search hash",
            ra.search_hash.clone(),
            rb.search_hash.clone(),
        ),
        (
            "bundle hash",
            ra.bundle_hash.clone(),
            rb.bundle_hash.clone(),
        ),
    ] {
        runs.push(vec![text(field), text(va), text(vb)]);
    }

    let (text_a, text_b) = (ja.config_text(ra.run_id)?, jb.config_text(rb.run_id)?);
    let config_diff = line_diff(&text_a, &text_b);
    let (ia, ib) = (ja.run_inputs(ra.run_id)?, jb.run_inputs(rb.run_id)?);
    let mut inputs = Table::new(&["what", "a", "b", "change"]);
    inputs.push(vec![
        text("config"),
        text(format!("{} lines", text_a.lines().count())),
        text(format!("{} lines", text_b.lines().count())),
        text(if config_diff.is_empty() {
            "same".to_string()
        } else {
            format!(
                "{} line(s) removed, {} added",
                config_diff.iter().filter(|l| l.starts_with('-')).count(),
                config_diff.iter().filter(|l| l.starts_with('+')).count()
            )
        }),
    ]);
    match (&ia, &ib) {
        (Some(ia), Some(ib)) => input_rows(ia, ib, &mut inputs),
        _ => {
            inputs.push(vec![
            text("data files"),
            text(if ia.is_some() { "recorded" } else { "not recorded" }),
            text(if ib.is_some() { "recorded" } else { "not recorded" }),
            text(
                "a run finished by an older specsearch has no record of its inputs (`specsearch \
                 forecast` on it records them)",
            ),
        ])
        }
    }

    let (ma, mb) = (ja.ranked_models(ra.run_id)?, jb.ranked_models(rb.run_id)?);
    inputs.push(vec![
        text("ranked models"),
        Cell::Int(ma.len() as i64),
        Cell::Int(mb.len() as i64),
        text(format!("{:+}", mb.len() as i64 - ma.len() as i64)),
    ]);
    let same_sample = match (&ia, &ib) {
        (Some(x), Some(y)) => {
            (&x.in_start, &x.in_end, &x.full_end) == (&y.in_start, &y.in_end, &y.full_end)
        }
        _ => true,
    } && ra.target == rb.target;
    let identity = |m: &RankedModel| -> String {
        if same_sample {
            m.spec_key.clone()
        } else {
            let mut f = m.features.clone();
            f.sort();
            format!("{}|{}", rb.target, f.join(","))
        }
    };
    let matched_by = if same_sample {
        "spec key".to_string()
    } else {
        "target and columns (the samples differ, so the spec keys do)".to_string()
    };
    let by_a: HashMap<String, &RankedModel> = ma.iter().map(|m| (identity(m), m)).collect();
    let by_b: HashMap<String, &RankedModel> = mb.iter().map(|m| (identity(m), m)).collect();

    let mut models = Table::new(&[
        "key",
        "status",
        "rank_a",
        "rank_b",
        "rank_move",
        "r2_a",
        "r2_b",
        "features",
    ]);
    let mut coefficients = Table::new(&["key", "term", "coef_a", "coef_b", "change", "pct_change"]);
    let mut scenarios = Table::new(&[
        "key",
        "scenario",
        "pct_change_9q_a",
        "pct_change_9q_b",
        "change",
    ]);
    // B's ranked models first (in B's order), then those that left (in A's order).
    for m in &mb {
        let key = short_key(&m.spec_key).to_string();
        match by_a.get(&identity(m)) {
            None => models.push(vec![
                text(&key),
                text("entered"),
                Cell::Null,
                Cell::Int(m.rank),
                Cell::Null,
                Cell::Null,
                opt_real(m.r2),
                text(m.features.join(", ")),
            ]),
            Some(old) => {
                models.push(vec![
                    text(&key),
                    text("both"),
                    Cell::Int(old.rank),
                    Cell::Int(m.rank),
                    Cell::Int(old.rank - m.rank),
                    opt_real(old.r2),
                    opt_real(m.r2),
                    text(m.features.join(", ")),
                ]);
                drift(&key, old, m, &mut coefficients, &mut scenarios);
            }
        }
    }
    for m in &ma {
        if !by_b.contains_key(&identity(m)) {
            models.push(vec![
                text(short_key(&m.spec_key)),
                text("left"),
                Cell::Int(m.rank),
                Cell::Null,
                Cell::Null,
                opt_real(m.r2),
                Cell::Null,
                text(m.features.join(", ")),
            ]);
        }
    }
    Ok(Comparison {
        runs,
        inputs,
        config_diff,
        matched_by,
        models,
        coefficients,
        scenarios,
    })
}

/// The coefficient and 9Q-change drift of a model in both runs.
fn drift(
    key: &str,
    a: &RankedModel,
    b: &RankedModel,
    coefficients: &mut Table,
    scenarios: &mut Table,
) {
    let coef_a: BTreeMap<&str, f64> = a
        .param_names
        .iter()
        .map(String::as_str)
        .zip(a.params.iter().copied())
        .collect();
    for (name, &vb) in b.param_names.iter().zip(&b.params) {
        let va = coef_a.get(name.as_str()).copied();
        let change = va.map(|va| vb - va);
        let pct = va.filter(|&v| v != 0.0).map(|va| (vb - va) / va.abs());
        coefficients.push(vec![
            text(key),
            text(name.as_str()),
            opt_real(va),
            Cell::Real(vb),
            opt_real(change),
            opt_real(pct),
        ]);
    }
    for (scenario, vb) in &b.pct_change_9q {
        let Some(va) = a.pct_change_9q.get(scenario) else {
            continue;
        };
        scenarios.push(vec![
            text(key),
            text(scenario.as_str()),
            opt_real(*va),
            opt_real(*vb),
            opt_real(va.zip(*vb).map(|(x, y)| y - x)),
        ]);
    }
}

/// Data files by sha256 (matched by file name), the calendar, the samples.
fn input_rows(a: &RunInputs, b: &RunInputs, t: &mut Table) {
    let file = |p: &str| {
        std::path::Path::new(p)
            .file_name()
            .map_or(p.to_string(), |f| f.to_string_lossy().into_owned())
    };
    let fa: BTreeMap<String, &str> = a
        .sources
        .iter()
        .map(|(p, h)| (file(p), h.as_str()))
        .collect();
    let fb: BTreeMap<String, &str> = b
        .sources
        .iter()
        .map(|(p, h)| (file(p), h.as_str()))
        .collect();
    let short = |h: &str| h[..h.len().min(12)].to_string();
    let mut names: Vec<&String> = fa.keys().chain(fb.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let (ha, hb) = (fa.get(name), fb.get(name));
        let change = match (ha, hb) {
            (Some(x), Some(y)) if x == y => "same",
            (Some(_), Some(_)) => "changed",
            (None, _) => "added",
            (_, None) => "removed",
        };
        t.push(vec![
            text(format!("data file {name}")),
            ha.map_or(Cell::Null, |h| text(short(h))),
            hb.map_or(Cell::Null, |h| text(short(h))),
            text(change),
        ]);
    }
    let range = |i: &RunInputs| format!("{} – {} ({} rows)", i.first_date, i.last_date, i.rows);
    t.push(vec![
        text("dates"),
        text(range(a)),
        text(range(b)),
        text(new_dates(a, b)),
    ]);
    for (what, x, y) in [
        ("in_start", &a.in_start, &b.in_start),
        ("in_end", &a.in_end, &b.in_end),
        ("full_end", &a.full_end, &b.full_end),
    ] {
        t.push(vec![
            text(format!("sample {what}")),
            text(x.as_str()),
            text(y.as_str()),
            text(if x == y { "same" } else { "changed" }),
        ]);
    }
}

/// The period ends B's calendar has beyond A's, at either end (A's frequency).
pub fn new_dates(a: &RunInputs, b: &RunInputs) -> String {
    let parse = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let freq = if a.frequency == "M" {
        crate::data::Frequency::Monthly
    } else {
        crate::data::Frequency::Quarterly
    };
    let (Some(a0), Some(a1), Some(b0), Some(b1)) = (
        parse(&a.first_date),
        parse(&a.last_date),
        parse(&b.first_date),
        parse(&b.last_date),
    ) else {
        return "-".into();
    };
    if a.frequency != b.frequency {
        return format!("frequency {} → {}", a.frequency, b.frequency);
    }
    let mut new = Vec::new();
    let mut d = b0;
    while d < a0 && d <= b1 {
        new.push(d);
        d = crate::scenario::inputs::period_end_after(d, 1, freq);
    }
    let mut d = crate::scenario::inputs::period_end_after(a1, 1, freq);
    while d <= b1 {
        if d > a1 {
            new.push(d);
        }
        d = crate::scenario::inputs::period_end_after(d, 1, freq);
    }
    let dropped = (b0 > a0) as usize + (b1 < a1) as usize;
    match (new.len(), dropped) {
        (0, 0) => "same".into(),
        (0, _) => "fewer dates in b".into(),
        (n, _) => format!(
            "{n} new: {}",
            new.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The lines of `b` not in `a` (`+`) and of `a` not in `b` (`-`), in order.
pub fn line_diff(a: &str, b: &str) -> Vec<String> {
    use similar::{ChangeTag, TextDiff};
    TextDiff::from_lines(a, b)
        .iter_all_changes()
        .filter_map(|c| {
            let line = c.value().trim_end_matches('\n');
            match c.tag() {
                ChangeTag::Delete => Some(format!("- {line}")),
                ChangeTag::Insert => Some(format!("+ {line}")),
                ChangeTag::Equal => None,
            }
        })
        .collect()
}

impl Comparison {
    /// The entered / left / moved models, as counts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let status = |s: &str| {
            (0..self.models.rows.len())
                .filter(|&r| self.models.get(r, "status").as_str() == Some(s))
                .count()
        };
        let moved = (0..self.models.rows.len())
            .filter(|&r| {
                self.models
                    .get(r, "rank_move")
                    .as_i64()
                    .is_some_and(|m| m != 0)
            })
            .count();
        (status("entered"), status("left"), moved)
    }

    /// Every part as one CSV table with a `section` column.
    pub fn csv_table(&self) -> Table {
        let mut diff = Table::new(&["line"]);
        for l in &self.config_diff {
            diff.push(vec![text(l.as_str())]);
        }
        Table::sections(&[
            ("run", &self.runs),
            ("input", &self.inputs),
            ("config_diff", &diff),
            ("model", &self.models),
            ("coefficient", &self.coefficients),
            ("scenario", &self.scenarios),
        ])
    }

    /// One JSON document.
    pub fn to_json(&self) -> serde_json::Value {
        use crate::results::table::TableText;
        serde_json::json!({
            "runs": self.runs.to_json(),
            "inputs": self.inputs.to_json(),
            "config_diff": self.config_diff,
            "matched_by": self.matched_by,
            "models": self.models.to_json(),
            "coefficients": self.coefficients.to_json(),
            "scenarios": self.scenarios.to_json(),
        })
    }
}
