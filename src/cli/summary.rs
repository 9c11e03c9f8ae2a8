//! The summary both `run` and `merge` end with: outcome counts, the filters most specs failed
//! at, mutation records and their replays, the most frequent error, the finish's verdict and
//! the best models — one format for a run however it was computed; `run` then says which
//! commands to try next.

use anyhow::Result;

use crate::finish::FinishReport;
use crate::journal::{Journal, RunRow, RunStatus};
use crate::results::table::{fmt_percent, fmt_real, fmt_share as pct};

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
    print_wrapped(
        "outcomes",
        &format!(
            "{} of {}: {} passed ({}), {} filtered ({}), {} errors",
            c.evaluated,
            run.spec_count,
            c.passed,
            pct(c.passed, c.evaluated),
            c.filtered,
            pct(c.filtered, c.evaluated),
            c.errors
        ),
    );
    if !d.failed_at.is_empty() {
        let parts: Vec<String> = d
            .failed_at
            .iter()
            .map(|(t, n)| format!("{} {}", t.name(), pct(*n, c.evaluated)))
            .collect();
        print_wrapped("failed at", &parts.join(" · "));
    }
    let m = d.mutations;
    if m.recorded > 0 {
        let pending = if m.not_replayed > 0 {
            format!(", {} not stored yet", m.not_replayed)
        } else {
            String::new()
        };
        let conflicts = if m.conflicts > 0 {
            format!(", {} in conflict (see `specsearch audit`)", m.conflicts)
        } else {
            String::new()
        };
        print_wrapped(
            "composites",
            &format!(
                "{} composite feature(s) built by the workers; in features.duckdb: {} added, \
                 {} already there{conflicts}{pending}",
                m.recorded, m.inserted, m.already_present,
            ),
        );
    }
    if let Some((message, n)) = &d.top_error {
        print_wrapped("errors", &format!("most frequent ({n}×): {message}"));
    }
    if let Some(f) = finish.and_then(|f| f.forecast.as_ref()) {
        print_forecast_report(f);
    }
    if let Some(v) = finish.and_then(|f| f.validation.as_ref()) {
        print_validation_report(v);
    }
    if let Some(f) = finish {
        match f.status {
            RunStatus::Complete => print_wrapped(
                "finish",
                &format!(
                    "{} distinct passed model(s) ranked{}",
                    f.ranked,
                    match &f.replay {
                        // Said only when the search has composites to speak of.
                        _ if m.recorded == 0 => String::new(),
                        Some(_) => format!(
                            "; {} composite column(s) of the passed models checked in \
                             features.duckdb",
                            f.validated
                        ),
                        None => "; composite features not stored in features.duckdb (no \
                                 readable config: pass --config)"
                            .into(),
                    }
                ),
            ),
            _ => println!("finish     {}", f.status),
        }
    }
    if run.status == RunStatus::Complete && !d.top.is_empty() {
        // The features every spec begins with (the forced items) are the same on every line.
        let forced = journal.common_prefix(run.run_id)?.len();
        println!("top models (rank · score · R² · spec · features)");
        for t in &d.top {
            let head = format!(
                "  {:>3}  {:<6}  {:<6}  #{:<8} ",
                t.rank,
                fmt_real(t.score),
                fmt_real(t.r2),
                t.spec_index
            );
            print_hanging(&head, &abbreviate_forced(&t.features, forced));
        }
        let specs: Vec<(u64, u64)> = d.top.iter().map(|t| (t.rank, t.spec_index)).collect();
        print_scenario_statistics(journal, run, &specs)?;
    }
    Ok(())
}

/// A model's feature names (`a, b, c`, spec order) with the first `forced` of them — the
/// items in every spec — abbreviated: `x, y + 7 forced`.
pub fn abbreviate_forced(features: &str, forced: usize) -> String {
    let names: Vec<&str> = features.split(", ").collect();
    if forced == 0 || forced >= names.len() {
        return features.to_string();
    }
    format!("{} + {forced} forced", names[forced..].join(", "))
}

/// `head` then `text`, wrapped at `, ` to the terminal's width with continuation lines under
/// the text (one line into a file or a pipe).
fn print_hanging(head: &str, text: &str) {
    let indent = head.chars().count();
    let width = crate::results::table::output_width().unwrap_or(usize::MAX);
    let mut line = head.to_string();
    let mut used = indent;
    let parts: Vec<&str> = text.split(", ").collect();
    for (i, part) in parts.iter().enumerate() {
        let piece = if i + 1 < parts.len() {
            format!("{part},")
        } else {
            part.to_string()
        };
        let n = piece.chars().count() + usize::from(used > indent);
        if used > indent && used + n > width {
            println!("{}", line.trim_end());
            line = " ".repeat(indent);
            used = indent;
        }
        if used > indent {
            line.push(' ');
            used += 1;
        }
        line.push_str(&piece);
        used += piece.chars().count();
    }
    println!("{}", line.trim_end());
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
    print_wrapped(
        "forecast",
        &format!(
            "{} model(s) × {} scenario(s) ({}): {} periods journaled{order}; inputs {}",
            f.models,
            f.scenarios.len(),
            f.scenarios.join(", "),
            f.rows,
            &f.inputs_sha256[..12]
        ),
    );
    for note in &f.notes {
        println!("  note: {note}");
    }
}

/// `text` after a 10-column label, wrapped at 80 columns (a terminal's width up to 100) with
/// continuation lines indented under the text.
pub fn print_wrapped(label: &str, text: &str) {
    let width = crate::results::table::output_width().map_or(80, |w| w.min(100));
    const INDENT: usize = 11;
    let mut line = format!("{label:<10} ");
    let mut empty = true;
    for word in text.split(' ') {
        let len = console::measure_text_width(&line) + console::measure_text_width(word);
        if !empty && len + 1 > width {
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
    print_wrapped(
        "scenarios",
        &format!(
            "{} from p0 {} over {} quarter(s) to {}: % change of the level at P9 (P9/P0 − 1{})",
            set.scenarios.join(", "),
            set.p0,
            set.quarters,
            set.horizon_end,
            if set.quarters < 9 {
                "; PH when shorter"
            } else {
                ""
            }
        ),
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
                v.map_or("—".to_string(), |v| fmt_percent(v, true))
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
    let quote = crate::search::shell_quote;
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
    let screen = crate::results::table::output_width().unwrap_or(usize::MAX);
    // Each command on one line, to copy; its comment beside it when that fits the terminal,
    // else on the line below.
    let beside = 11
        + "specsearch ".len()
        + width
        + 5
        + steps.iter().map(|(_, w)| w.len()).max().unwrap_or(0);
    for (i, (command, what)) in steps.iter().enumerate() {
        let label = if i == 0 { "next" } else { "" };
        if beside <= screen {
            println!("{label:<10} specsearch {command:<width$}   # {what}");
        } else {
            println!("{label:<10} specsearch {command}");
            println!("{:<10}   # {what}", "");
        }
    }
}
