//! `specsearch query [CONFIG] "SQL"`: runs one SQL statement on a read-only connection to the
//! journal and prints the result as a table, CSV or JSON. Statements that would write are
//! refused before they run (and the connection could not write anyway). `:run` in the SQL is
//! bound to the selected run's id (`--run`, default the latest run of the config). A statement
//! that runs long says so on stderr, and Ctrl-C stops it cleanly.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use super::{JournalArgs, OutputArgs};
use crate::journal::{BoxError, Cell, Interrupter, Sink, TableSink};
use crate::results::table::{CsvSink, JsonSink};
use crate::results::{self, Format};

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// `[CONFIG] SQL`: the config (optional with --workspace) and one SQL statement, e.g.
    /// "SELECT rank, r2, features FROM passed_models WHERE run_id = :run ORDER BY rank LIMIT 5".
    #[arg(value_names = ["CONFIG", "SQL"], num_args = 1..=2, required = true)]
    pub args: Vec<String>,
    /// Directory of the stores; default `<config dir>/<config stem>.specsearch/`.
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// The run bound to `:run`, by id or name; default: the latest run of the config.
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,
    /// The segment (of a config with `[[segment]]` tables) whose latest run `:run` is.
    #[arg(long, value_name = "NAME")]
    pub segment: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &QueryArgs) -> Result<()> {
    let (config, sql) = match args.args.as_slice() {
        [sql] => (None, sql.clone()),
        [config, sql] => (Some(PathBuf::from(config)), sql.clone()),
        _ => bail!("give [CONFIG] SQL"),
    };
    if config.is_none() && args.workspace.is_none() {
        bail!("give a CONFIG or --workspace DIR before the SQL");
    }
    let journal = JournalArgs {
        config,
        workspace: args.workspace.clone(),
        run: args.run.clone(),
        segment: args.segment.clone(),
    };
    let j = journal.open()?;
    let mut query = j.journal.user_query(&sql)?;
    let run_id = match query.binds_run() {
        true => Some(j.select_run(journal.run.as_deref())?.run_id),
        false => None,
    };
    let watch = Watch::start(j.journal.interrupter());
    // CSV and JSON stream every row to stdout as it comes (bounded memory, and a reader that
    // goes away ends the query); the human table needs its column widths, so it holds at most
    // HUMAN_ROWS rows and says where the rest are.
    let format = args.output.format();
    let mut capped = Capped {
        table: TableSink::default(),
        more: false,
    };
    let streamed = match format {
        Format::Csv => {
            let out = std::io::BufWriter::new(std::io::stdout().lock());
            query.stream(run_id, &mut CsvSink::new(out))
        }
        Format::Json => query.stream(run_id, &mut JsonSink::new(std::io::stdout().lock())),
        Format::Human => query.stream(run_id, &mut capped),
    };
    let interrupted = watch.stop();
    match streamed {
        Err(_) if interrupted => bail!("interrupted (Ctrl-C): the query was stopped"),
        Err(_) if capped.more => {}
        t => {
            t?;
        }
    };
    if format == Format::Human {
        results::print_table(&capped.table.0, format)?;
        if capped.more {
            eprintln!(
                "note: only the first {HUMAN_ROWS} rows are shown: --csv or --json print every \
                 row, and `specsearch export --sql \"…\" -o result.parquet` writes them to a file"
            );
        }
    }
    Ok(())
}

/// Rows a human table shows at most.
const HUMAN_ROWS: usize = 10_000;

/// A table of at most [`HUMAN_ROWS`] rows; the statement stops at the next one.
struct Capped {
    table: TableSink,
    more: bool,
}

impl Sink for Capped {
    fn begin(&mut self, columns: &[String]) -> Result<(), BoxError> {
        self.table.begin(columns)
    }
    fn row(&mut self, row: &[Cell]) -> Result<(), BoxError> {
        if self.table.0.rows.len() == HUMAN_ROWS {
            self.more = true;
            return Err("more rows than a table shows".into());
        }
        self.table.row(row)
    }
    fn finish(&mut self) -> Result<(), BoxError> {
        self.table.finish()
    }
}

static INTERRUPT: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: nix::libc::c_int) {
    INTERRUPT.store(true, Ordering::SeqCst);
}

/// Watches a running statement: Ctrl-C (SIGINT) interrupts it (`sqlite3_interrupt`, the
/// statement returns, the connection stays sound) instead of killing the process; after
/// [`Watch::QUIET`] a line on stderr says it is still running (and a spinner counts the time on
/// a terminal), so a long scan never looks hung.
struct Watch {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<bool>>,
}

impl Watch {
    const QUIET: Duration = Duration::from_secs(2);

    fn start(handle: Interrupter) -> Watch {
        use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
        let action = SigAction::new(
            SigHandler::Handler(on_interrupt),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler only stores to an atomic.
        unsafe { sigaction(Signal::SIGINT, &action) }.ok();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut spinner: Option<indicatif::ProgressBar> = None;
            while !flag.load(Ordering::SeqCst) {
                if INTERRUPT.load(Ordering::SeqCst) {
                    handle.interrupt();
                    if let Some(s) = spinner.take() {
                        s.finish_and_clear();
                    }
                    return true;
                }
                if spinner.is_none() && started.elapsed() >= Self::QUIET {
                    eprintln!(
                        "the query is still running after {} s (Ctrl-C stops it)",
                        Self::QUIET.as_secs()
                    );
                    if std::io::stderr().is_terminal() && !crate::runtime::progress::dumb_terminal()
                    {
                        let s = indicatif::ProgressBar::new_spinner();
                        s.set_style(
                            indicatif::ProgressStyle::with_template("{spinner} running {elapsed}")
                                .expect("valid template"),
                        );
                        s.enable_steady_tick(Duration::from_millis(200));
                        spinner = Some(s);
                    } else {
                        spinner = Some(indicatif::ProgressBar::hidden());
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if let Some(s) = spinner {
                s.finish_and_clear();
            }
            false
        });
        Watch {
            done,
            thread: Some(thread),
        }
    }

    /// Stops watching; whether the statement was interrupted.
    fn stop(mut self) -> bool {
        self.done.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or(false)
    }
}
