//! `specsearch failures [CONFIG]`: why specs did not pass — how many failed at each filter, the
//! features most common among each filter's failures (with how often specs containing the
//! feature failed that filter; features in every spec, the forced items, are listed apart:
//! they are in every failure and tell nothing), and errors by type and by message.

use anyhow::Result;

use super::{JournalArgs, OutputArgs};
use crate::results::table::TableText;
use crate::results::{self, Format, Table};

/// One part of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    Tests,
    Features,
    Errors,
}

#[derive(Debug, clap::Args)]
pub struct FailuresArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    /// Features listed per failed test.
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub top: usize,
    /// Only one part of the report (--csv without it writes every part with a `section` column).
    #[arg(long, value_enum)]
    pub only: Option<Part>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &FailuresArgs) -> Result<()> {
    let j = args.journal.open()?;
    let run = j.select_run(args.journal.run.as_deref())?;
    let want = |p: Part| args.only.is_none_or(|o| o == p);
    let mut parts: Vec<(&str, Table)> = Vec::new();
    if want(Part::Tests) {
        parts.push(("tests", j.journal.failures_by_test(run.run_id)?));
    }
    let mut in_every_spec = None;
    if want(Part::Features) {
        let f = j.journal.failure_features(run.run_id, args.top)?;
        parts.push(("features", f.table));
        in_every_spec = Some(f.in_every_spec);
    }
    if want(Part::Errors) {
        parts.push(("errors", j.journal.errors_by_type(run.run_id)?));
        parts.push(("error_messages", j.journal.errors_by_message(run.run_id)?));
    }
    let format = args.output.format();
    match format {
        Format::Json if args.only.is_some() && parts.len() == 1 => {
            results::print_table(&parts[0].1, format)
        }
        Format::Json => {
            let mut doc: serde_json::Map<String, serde_json::Value> = parts
                .iter()
                .map(|(k, t)| (k.to_string(), t.to_json()))
                .collect();
            if let Some(names) = &in_every_spec {
                doc.insert("features_in_every_spec".into(), names.clone().into());
            }
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
        Format::Csv if parts.len() == 1 => results::print_table(&parts[0].1, format),
        Format::Csv => {
            let refs: Vec<(&str, &Table)> = parts.iter().map(|(k, t)| (*k, t)).collect();
            results::print_table(&Table::sections(&refs), format)
        }
        Format::Human => {
            let crate::journal::Counts {
                evaluated,
                passed,
                filtered,
                errors,
            } = j.journal.counts(run.run_id)?;
            let fit = |text: &str| results::table::fit_lines(text, results::table::output_width());
            println!(
                "{}",
                fit(&format!(
                    "run {}: {evaluated} of {} specs evaluated, {passed} passed, {filtered} \
                     filtered, {errors} errors",
                    run.name, run.spec_count
                ))
            );
            for (name, t) in &parts {
                let title = match *name {
                    "tests" => "Failures by test".to_string(),
                    "features" => format!(
                        "Most common features among each test's failures (top {}; \
                         failure_percent: of the specs with the feature, the share that failed \
                         the test)",
                        args.top
                    ),
                    "errors" => "Errors by type".to_string(),
                    _ => "Errors by message".to_string(),
                };
                println!("\n{}", fit(&title));
                if let Some(names) = in_every_spec
                    .as_ref()
                    .filter(|n| *name == "features" && !n.is_empty())
                {
                    println!(
                        "{}",
                        fit(&format!(
                            "(left out: {}, in every spec — the forced items — so in every \
                             failure)",
                            names.join(", ")
                        ))
                    );
                }
                if t.rows.is_empty() {
                    println!("(none)");
                } else {
                    print!("{}", t.render());
                }
            }
            Ok(())
        }
    }
}
