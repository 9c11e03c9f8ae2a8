//! The summary both `run` and `merge` end with: outcome counts, the filters most specs failed
//! at, mutation records and their replays, the most frequent error, the finish's verdict and
//! the best models — one format for a run however it was computed; `run` then says which
//! commands to try next.

use anyhow::Result;

use crate::finish::FinishReport;
use crate::journal::{Journal, RunRow, RunStatus};
use crate::results::table::fmt_real;

fn pct(n: u64, total: u64) -> String {
    if total == 0 {
        "0%".into()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / total as f64)
    }
}

/// Prints the digest of `run` (read back from the journal) and, when this invocation finished
/// it, what the finish did.
pub fn print_digest(
    journal: &Journal,
    run: &RunRow,
    finish: Option<&FinishReport>,
    top_n: usize,
) -> Result<()> {
    let d = journal.run_digest(run.run_id, top_n)?;
    let c = d.counts;
    println!(
        "outcomes   {} of {}: {} passed ({}), {} filtered ({}), {} errors",
        c.evaluated,
        run.spec_count,
        c.passed,
        pct(c.passed, c.evaluated),
        c.filtered,
        pct(c.filtered, c.evaluated),
        c.errors
    );
    if !d.failed_at.is_empty() {
        let parts: Vec<String> = d
            .failed_at
            .iter()
            .map(|(t, n)| format!("{} {}", t.name(), pct(*n, c.evaluated)))
            .collect();
        println!("failed at  {}", parts.join(" · "));
    }
    let m = d.mutations;
    if m.recorded > 0 {
        let pending = if m.not_replayed > 0 {
            format!(", {} not replayed yet", m.not_replayed)
        } else {
            String::new()
        };
        println!(
            "mutations  {} composite feature(s) recorded, {} replayed into features.duckdb \
             ({} inserted, {} already present, {} conflicts){pending}",
            m.recorded,
            m.inserted + m.already_present + m.conflicts,
            m.inserted,
            m.already_present,
            m.conflicts
        );
    }
    if let Some((message, n)) = &d.top_error {
        println!("errors     most frequent ({n}×): {message}");
    }
    if let Some(f) = finish.and_then(|f| f.forecast.as_ref()) {
        print_forecast_report(f);
    }
    if let Some(v) = finish.and_then(|f| f.validation.as_ref()) {
        print_validation_report(v);
    }
    if let Some(f) = finish {
        match f.status {
            RunStatus::Complete => println!(
                "finish     {} distinct passed model(s) ranked{}",
                f.ranked,
                if f.replay.is_some() {
                    format!(
                        "; composites replayed, {} column(s) validated against the store",
                        f.validated
                    )
                } else {
                    "; composites not replayed (no readable config: pass --config)".into()
                }
            ),
            _ => println!("finish     {}", f.status),
        }
    }
    if run.status == RunStatus::Complete && !d.top.is_empty() {
        println!("top models (rank · score · R² · spec · features)");
        for t in &d.top {
            println!(
                "  {:>3}  {:<6}  {:<6}  #{:<8} {}",
                t.rank,
                fmt_real(t.score),
                fmt_real(t.r2),
                t.spec_index,
                t.features
            );
        }
        let specs: Vec<(u64, u64)> = d.top.iter().map(|t| (t.rank, t.spec_index)).collect();
        print_scenario_statistics(journal, run, &specs)?;
    }
    Ok(())
}

/// What a forecast step did, one line (and its notes).
pub fn print_forecast_report(f: &crate::scenario::ForecastReport) {
    let order = if f.out_of_order > 0 {
        let excluded = if f.excluded > 0 {
            format!(
                ", {} left out of the ranking (scenarios.require_order)",
                f.excluded
            )
        } else {
            String::new()
        };
        format!("; {} out of scenarios.order{excluded}", f.out_of_order)
    } else {
        String::new()
    };
    println!(
        "forecast   {} model(s) × {} scenario(s) ({}): {} periods journaled{order}; inputs {}",
        f.models,
        f.scenarios.len(),
        f.scenarios.join(", "),
        f.rows,
        &f.inputs_sha256[..12]
    );
    for note in &f.notes {
        println!("  note: {note}");
    }
}

/// `text` after a 10-column label, wrapped at 80 columns with continuation lines indented
/// under the text.
fn print_wrapped(label: &str, text: &str) {
    const WIDTH: usize = 80;
    const INDENT: usize = 11;
    let mut line = format!("{label:<10} ");
    let mut empty = true;
    for word in text.split(' ') {
        let len = console::measure_text_width(&line) + console::measure_text_width(word);
        if !empty && len + 1 > WIDTH {
            println!("{}", line.trim_end());
            line = " ".repeat(INDENT);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    println!("{}", line.trim_end());
}

/// What a validation did: the models, then each analysis (and its notes), wrapped at 80
/// columns.
pub fn print_validation_report(v: &crate::validation::ValidationReport) {
    let shown: Vec<String> = v
        .models
        .iter()
        .take(5)
        .map(|m| match m.rank {
            Some(r) => format!("#{r}"),
            None => format!("spec {}", m.spec_index),
        })
        .collect();
    let more = if v.models.len() > 5 { ", …" } else { "" };
    println!(
        "validate   {} model(s) ({}{more})",
        v.models.len(),
        shown.join(", ")
    );
    for a in &v.analyses {
        print_wrapped("", &format!("{}: {}", a.name, a.summary));
        for note in &a.notes {
            print_wrapped("", &format!("note: {note}"));
        }
    }
}

/// The 9-quarter statistics of the given (rank, spec) models under every scenario of the run's
/// forecast set: one line per model with each scenario's 9Q % change of the level (or the last
/// quarter's when the horizon is shorter) and the ordering check.
pub fn print_scenario_statistics(
    journal: &Journal,
    run: &RunRow,
    specs: &[(u64, u64)],
) -> Result<()> {
    let Some(set) = journal.forecast_set(run.run_id)? else {
        return Ok(());
    };
    if specs.is_empty() {
        return Ok(());
    }
    println!(
        "scenarios  {} from p0 {} over {} quarter(s) to {}: % change of the level at P9 (P9/P0 − 1{})",
        set.scenarios.join(", "),
        set.p0,
        set.quarters,
        set.horizon_end,
        if set.quarters < 9 { "; PH when shorter" } else { "" }
    );
    let mut header = format!("  {:>4}", "rank");
    for s in &set.scenarios {
        header.push_str(&format!("  {s:>10}"));
    }
    header.push_str("  in order");
    println!("{header}");
    for &(rank, spec) in specs {
        let t = journal.scenario_stats(run.run_id, spec)?;
        let mut line = format!("  {rank:>4}");
        let mut in_order = String::from("—");
        for row in 0..t.rows.len() {
            let v = t.get(row, "pct_change_9q").as_f64().or_else(|| {
                let p0 = t.get(row, "p0_level").as_f64()?;
                Some(t.get(row, "last_level").as_f64()? / p0 - 1.0)
            });
            line.push_str(&format!(
                "  {:>10}",
                v.map_or("—".to_string(), |v| format!("{:+.2}%", 100.0 * v))
            ));
            if let Some(o) = t.get(row, "in_order").as_str() {
                in_order = o.to_string();
            }
        }
        println!("{line}  {in_order}");
    }
    Ok(())
}

/// The commands to try after a complete run, spelt for the config (and workspace) as the user
/// gave them (with `--segment NAME` for a segment's run), so they can be copied.
pub fn print_next_steps(
    run: &RunRow,
    passed: u64,
    config: &std::path::Path,
    workspace: Option<&std::path::Path>,
    segment: Option<&str>,
) {
    if run.status != RunStatus::Complete {
        return;
    }
    let quote = |text: &str| {
        if text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@".contains(c))
        {
            text.to_string()
        } else {
            format!("'{}'", text.replace('\'', r"'\''"))
        }
    };
    let mut target = quote(&config.display().to_string());
    if let Some(ws) = workspace {
        target.push_str(&format!(
            " --workspace {}",
            quote(&ws.display().to_string())
        ));
    }
    if let Some(segment) = segment {
        target.push_str(&format!(" --segment {}", quote(segment)));
    }
    let steps: Vec<(String, &str)> = if passed > 0 {
        vec![
            (format!("show {target} 1"), "the best model's full report"),
            (format!("top {target} -n 20"), "more of the ranking"),
            (format!("failures {target}"), "where the other specs failed"),
            (
                format!("report {target} -o report.html"),
                "one HTML document with plots",
            ),
        ]
    } else {
        vec![(
            format!("failures {target}"),
            "where the specs failed (none passed)",
        )]
    };
    let width = steps.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    for (i, (command, what)) in steps.iter().enumerate() {
        let label = if i == 0 { "next" } else { "" };
        println!("{label:<10} specsearch {command:<width$}   # {what}");
    }
}
