//! `specsearch query [CONFIG] "SQL"`: runs one SQL statement on a read-only connection to the
//! journal and prints the result as a table, CSV or JSON. Statements that would write are
//! refused before they run (and the connection could not write anyway). `:run` in the SQL is
//! bound to the selected run's id (`--run`, default the latest run of the config).

use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::journal::queries::prepare_user_statement;
use crate::results::{self, JournalArgs, OutputArgs, Table};

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
    let j = results::open(&journal)?;
    let mut stmt = prepare_user_statement(&j.conn, &sql)?;
    let run_param = stmt.parameter_index(":run")?;
    let others = stmt.parameter_count() - usize::from(run_param.is_some());
    if others > 0 {
        bail!("the SQL has parameters other than :run; write values into the SQL instead");
    }
    let table = match run_param {
        Some(_) => {
            let run = j.select_run(journal.run.as_deref())?;
            Table::from_statement(&mut stmt, rusqlite::named_params! {":run": run.run_id})?
        }
        None => Table::from_statement(&mut stmt, [])?,
    };
    results::print_table(&table, args.output.format())
}
