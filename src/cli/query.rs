//! `specsearch query [CONFIG] "SQL"`: runs one SQL statement on a read-only connection to the
//! journal and prints the result as a table, CSV or JSON. Statements that would write are
//! refused before they run (and the connection could not write anyway). `:run` in the SQL is
//! bound to the selected run's id (`--run`, default the latest run of the config).

use std::path::PathBuf;

use anyhow::{bail, Result};

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
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The first keyword of a statement, for the refusal message.
fn verb(sql: &str) -> String {
    let mut s = sql.trim_start();
    // Skip leading comments.
    loop {
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    s.split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// Prepares `sql` on `conn`, refusing anything that is not a single read-only statement.
pub fn prepare_readonly<'c>(
    conn: &'c rusqlite::Connection,
    sql: &str,
) -> Result<rusqlite::Statement<'c>> {
    let stmt = match conn.prepare(sql) {
        Ok(s) => s,
        Err(rusqlite::Error::MultipleStatement) => {
            bail!("give one SQL statement at a time (this text has several)")
        }
        Err(e) => bail!("{e}"),
    };
    if !stmt.readonly() {
        bail!(
            "refused: `query` only reads the journal, and this {} statement would modify it; \
             the journal is changed only by `specsearch run` (copy the file if you want to \
             experiment)",
            verb(sql)
        );
    }
    Ok(stmt)
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
    };
    let j = results::open(&journal)?;
    let mut stmt = prepare_readonly(&j.conn, &sql)?;
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
