//! Every SQL example a person copies — the README's `sqlite3 … "SQL"` and `specsearch query …
//! "SQL"` commands and each `-- example:` of sql/examples.sql — runs on a real journal (the
//! demo's, run now) and returns rows: a renamed view column, or an example filtering ids by
//! name, fails here rather than in a user's terminal.

use std::path::Path;

use rusqlite::Connection;

use crate::common::{assert_ok, demo_copy, journal_of, specsearch};

/// Examples that rightly return no rows on one complete demo run, with why.
const MAY_BE_EMPTY: &[(&str, &str)] = &[
    ("errors_by_type", "the demo has no errors"),
    (
        "only in latest",
        "comparing with a previous run: the demo journal has one run",
    ),
    (
        "segment_telemetry",
        "the demo config has no [[segment]] tables",
    ),
];

/// The SQL of every `sqlite3 PATH "SQL"` and `specsearch query CONFIG "SQL"` command in the
/// shell blocks of `markdown` (lines continued with `\` or inside quotes joined), in order.
fn markdown_examples(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_shell = false;
    let mut command = String::new();
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_shell = !in_shell && matches!(trimmed, "```sh" | "```bash");
            continue;
        }
        if !in_shell {
            continue;
        }
        match line.trim_end().strip_suffix('\\') {
            Some(head) => {
                command.push_str(head);
                command.push(' ');
                continue;
            }
            None => command.push_str(line),
        }
        if command.matches('"').count() % 2 == 1 {
            command.push('\n'); // a quoted statement goes on over the next line
            continue;
        }
        let whole = std::mem::take(&mut command);
        let words = whole.trim_start();
        let is_sql = words.starts_with("sqlite3 ") || words.starts_with("specsearch query ");
        if let (true, Some(start)) = (is_sql, whole.find('"')) {
            let end = whole.rfind('"').expect("a closing quote");
            let sql = whole[start + 1..end].trim().to_string();
            if sql.starts_with('.') {
                continue; // a dot command (`.backup`), not SQL
            }
            out.push(sql);
        }
    }
    out
}

/// The statements of sql/examples.sql: each `-- example:` comment starts one.
fn file_examples(text: &str) -> Vec<String> {
    text.split("-- example:")
        .skip(1)
        // The rest of the comment's line is the example's title.
        .map(|part| {
            part.split_once('\n')
                .map_or("", |(_, sql)| sql)
                .trim()
                .to_string()
        })
        .collect()
}

/// Runs `sql` (`:run` bound to `run_id`) and returns its row count.
fn rows(conn: &Connection, sql: &str, run_id: i64) -> Result<usize, String> {
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    if let Ok(Some(i)) = stmt.parameter_index(":run") {
        stmt.raw_bind_parameter(i, run_id)
            .map_err(|e| e.to_string())?;
    }
    let mut rows = stmt.raw_query();
    let mut n = 0;
    while rows.next().map_err(|e| e.to_string())?.is_some() {
        n += 1;
    }
    Ok(n)
}

#[test]
fn every_sql_example_of_the_readme_and_examples_sql_runs_and_returns_rows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let examples = std::fs::read_to_string(root.join("sql/examples.sql")).unwrap();
    let from_readme = markdown_examples(&readme);
    let from_file = file_examples(&examples);
    assert!(
        from_readme.len() >= 8,
        "README examples found: {from_readme:#?}"
    );
    assert!(
        from_file.len() >= 10,
        "examples.sql examples found: {}",
        from_file.len()
    );

    let (_dir, config) = demo_copy();
    assert_ok(
        &specsearch()
            .args(["run", "-q", "-j", "2"])
            .arg(&config)
            .output()
            .unwrap(),
    );
    let conn = Connection::open(journal_of(&config)).unwrap();
    let mut problems = Vec::new();
    for sql in from_readme.iter().chain(&from_file) {
        match rows(&conn, sql, 1) {
            Err(e) => problems.push(format!("{e}\n  in: {sql}")),
            Ok(0) if !MAY_BE_EMPTY.iter().any(|(key, _)| sql.contains(key)) => {
                problems.push(format!("no rows\n  in: {sql}"))
            }
            Ok(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
