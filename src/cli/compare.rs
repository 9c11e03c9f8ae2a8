//! `specsearch compare A B`: what changed from run A to run B — the inputs (config lines, data
//! files by sha256, new dates, samples), the models that entered or left the ranked set, rank
//! moves, and the coefficient and 9-quarter-change drift of the models in both (matched by spec
//! key). `--json` / `--csv` give every row.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::OutputArgs;
use crate::journal::{Cell, Table};
use crate::results::compare::{self, Comparison, Side};
use crate::results::table::TableText;
use crate::results::{self, Format, JournalChoice, OpenJournal};

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The earlier run, as `PATH[:RUN]`: PATH is a config (`search.toml`), a workspace
    /// directory or a `journal.sqlite`; RUN a run id or name (`2`, `demo#2`), by default the
    /// latest run (of the config as it is now, for a config). E.g. `q3/search.toml`,
    /// `old.specsearch:demo#1`, `search.toml:1`.
    #[arg(value_name = "RUN_A")]
    pub a: String,
    /// The later run, as RUN_A; a PATH left out (`:3`) is RUN_A's, so `compare search.toml:1
    /// :2` compares two runs of one journal.
    #[arg(value_name = "RUN_B")]
    pub b: String,
    /// Rows of each list shown (the --json and --csv outputs have every row).
    #[arg(short = 'n', long = "limit", value_name = "N", default_value_t = 20)]
    pub n: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A `PATH[:RUN]` argument: the path (empty: the other argument's) and the run.
pub fn split_run_arg(arg: &str) -> (String, Option<String>) {
    if Path::new(arg).exists() {
        return (arg.to_string(), None);
    }
    match arg.rsplit_once(':') {
        Some((path, run)) if !run.is_empty() && !run.contains('/') => {
            (path.to_string(), Some(run.to_string()))
        }
        _ => (arg.to_string(), None),
    }
}

/// Opens the journal a PATH names: a config, a workspace directory or a journal file.
pub fn open_path(path: &str) -> Result<OpenJournal> {
    let p = PathBuf::from(path);
    if !p.exists() {
        bail!("{path}: no such config, workspace directory or journal");
    }
    let choice = if p.is_dir() {
        JournalChoice {
            workspace: Some(p),
            ..JournalChoice::default()
        }
    } else if p.extension().is_some_and(|e| e == "sqlite") {
        JournalChoice {
            workspace: Some(
                p.parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_path_buf(),
            ),
            ..JournalChoice::default()
        }
    } else {
        JournalChoice {
            config: Some(p),
            ..JournalChoice::default()
        }
    };
    results::open(&choice)
}

pub fn run(args: &CompareArgs) -> Result<()> {
    let (path_a, run_a) = split_run_arg(&args.a);
    let (path_b, run_b) = split_run_arg(&args.b);
    let path_b = if path_b.is_empty() {
        path_a.clone()
    } else {
        path_b
    };
    let path_a = if path_a.is_empty() {
        path_b.clone()
    } else {
        path_a
    };
    if path_a.is_empty() {
        bail!("give a config, workspace or journal in RUN_A or RUN_B (e.g. search.toml:1 :2)");
    }
    let ja = open_path(&path_a)?;
    let jb = if path_b == path_a {
        None
    } else {
        Some(open_path(&path_b)?)
    };
    let jb_ref = jb.as_ref().unwrap_or(&ja);
    let a = Side {
        journal: &ja,
        run: ja.select_run(run_a.as_deref())?,
    };
    let b = Side {
        journal: jb_ref,
        run: jb_ref.select_run(run_b.as_deref())?,
    };
    if a.journal.path == b.journal.path && a.run.run_id == b.run.run_id {
        eprintln!("note: A and B are the same run ({})", a.run.name);
    }
    let c = compare::compare(&a, &b)?;
    match args.output.format() {
        Format::Json => println!("{}", serde_json::to_string_pretty(&c.to_json())?),
        Format::Csv => c.csv_table().write_csv(std::io::stdout().lock())?,
        Format::Human => print!("{}", render(&c, args.n)),
    }
    Ok(())
}

/// The comparison for people: the inputs, the config diff, and the first `n` rows of each list.
pub fn render(c: &Comparison, n: usize) -> String {
    let mut s = String::new();
    let run = |col: &str| c.runs.get(0, col).as_str().unwrap_or_default().to_string();
    s.push_str(&format!(
        "compare run {} (a) with run {} (b)\n",
        run("a"),
        run("b")
    ));
    s.push_str("\nInputs\n");
    s.push_str(&c.inputs.render());
    if !c.config_diff.is_empty() {
        s.push_str("\nConfig (- a only, + b only)\n");
        for l in &c.config_diff {
            s.push_str(&format!("  {l}\n"));
        }
    }
    let (entered, left, moved) = c.counts();
    let both = c.models.rows.len() - entered - left;
    s.push_str(&format!(
        "\nModels (matched by {}): {entered} entered, {left} left, {both} in both ({moved} moved)\n",
        c.matched_by
    ));
    let mut changed = filtered(&c.models, |t, r| {
        t.get(r, "status").as_str() != Some("both")
            || t.get(r, "rank_move").as_i64().is_some_and(|m| m != 0)
    });
    // Entered first, then left, then moved (each in its run's rank order).
    let order = |row: &Vec<Cell>| match row[1].as_str() {
        Some("entered") => 0,
        Some("left") => 1,
        _ => 2,
    };
    changed.rows.sort_by_key(order);
    push_limited(&mut s, &changed, n, "models entered, left or moved");
    let mut coefs = filtered(&c.coefficients, |t, r| {
        t.get(r, "change").as_f64().is_none_or(|v| v != 0.0)
    });
    sort_by_abs(&mut coefs, "pct_change");
    s.push_str("\nCoefficient drift of models in both (largest relative change first)\n");
    push_limited(&mut s, &coefs, n, "coefficients that changed");
    if !c.scenarios.rows.is_empty() {
        let mut sc = filtered(&c.scenarios, |t, r| {
            t.get(r, "change").as_f64().is_none_or(|v| v != 0.0)
        });
        sort_by_abs(&mut sc, "change");
        s.push_str("\n9Q % change drift of models in both (largest first)\n");
        push_limited(&mut s, &sc, n, "9Q changes that moved");
    }
    s
}

fn filtered(t: &Table, keep: impl Fn(&Table, usize) -> bool) -> Table {
    let mut out = Table::new(&t.columns.iter().map(String::as_str).collect::<Vec<_>>());
    for r in 0..t.rows.len() {
        if keep(t, r) {
            out.push(t.rows[r].clone());
        }
    }
    out
}

fn sort_by_abs(t: &mut Table, col: &str) {
    let Some(k) = t.col(col) else { return };
    let key = |row: &Vec<Cell>| row[k].as_f64().map_or(f64::INFINITY, f64::abs);
    t.rows.sort_by(|x, y| key(y).total_cmp(&key(x)));
}

fn push_limited(s: &mut String, t: &Table, n: usize, what: &str) {
    if t.rows.is_empty() {
        s.push_str(&format!("(no {what})\n"));
        return;
    }
    let mut shown = t.clone();
    shown.rows.truncate(n);
    s.push_str(&shown.render());
    if t.rows.len() > n {
        s.push_str(&format!(
            "… and {} more {what} (-n to show more, --json or --csv for all)\n",
            t.rows.len() - n
        ));
    }
}
