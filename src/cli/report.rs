//! `specsearch report [CONFIG] [--run RUN] [--top N] [--spec N…] -o report.html`: one
//! self-contained HTML document about a run (the run, its ranking, and each selected model's
//! full report with plots), readable offline and printable at A4. Works on a run still running
//! (the page says it is partial), on a run where nothing passed, and on a run without
//! scenarios.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::show::ReportArgs;
use super::JournalArgs;
use crate::results::report::{ReportRequest, RunReport};

#[derive(Debug, clap::Args)]
pub struct ReportCmdArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    /// A section (report and plots) for each of the best N ranked models.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Or: a section for each of these spec indices (repeat or comma-separate).
    #[arg(long, value_name = "INDEX", value_delimiter = ',', num_args = 1..)]
    pub spec: Vec<u64>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Sensitivity plots of a validated model under every scenario (default: the most severe,
    /// the last of scenarios.order).
    #[arg(long)]
    pub all_scenarios: bool,
    /// The HTML file to write (replaced if it exists; a symlink's target is); `-` writes to
    /// standard output. The workspace's stores are refused.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Add a section comparing the run with this one (`PATH[:RUN]` as `specsearch compare`
    /// takes it; `:RUN` alone is a run of the same journal): inputs, models entered, left or
    /// moved, coefficient drift.
    #[arg(long, value_name = "PATH[:RUN]")]
    pub compare: Option<String>,
}

pub fn run(args: &ReportCmdArgs) -> Result<()> {
    let j = args.journal.open()?;
    // Before anything is written: never over one of the workspace's stores.
    let output = crate::results::output::Destination::resolve(&args.output, &j.workspace.dir)?;
    let run = j.select_run(args.journal.run.as_deref())?;
    let request = ReportRequest {
        top: args.top,
        specs: args.spec.clone(),
        options: args.report.options(),
        all_scenarios: args.all_scenarios,
    };
    let mut report = RunReport::load(&j, &run, &request)?;
    if let Some(other) = &args.compare {
        let (path, other_run) = super::compare::split_run_arg(other);
        let opened = if path.is_empty() {
            None
        } else {
            Some(super::compare::open_path(&path)?)
        };
        let oj = opened.as_ref().unwrap_or(&j);
        let a = crate::results::compare::Side {
            journal: oj,
            run: oj.select_run(other_run.as_deref())?,
        };
        let b = crate::results::compare::Side {
            journal: &j,
            run: run.clone(),
        };
        report.comparison = Some(crate::results::compare::compare(&a, &b)?);
    }
    let html = report.html();
    // Written next to its destination and renamed, so a failed write leaves no partial page.
    output.write(|mut file| {
        use std::io::Write;
        file.write_all(html.as_bytes())
            .with_context(|| format!("cannot write {}", args.output.display()))
    })?;
    eprintln!(
        "wrote {} ({} KB): run {}, {} model section(s){}",
        args.output.display(),
        html.len().div_ceil(1024),
        run.name,
        report.models.len(),
        if report.is_partial() {
            " (partial: the run has not finished)"
        } else {
            ""
        }
    );
    Ok(())
}
