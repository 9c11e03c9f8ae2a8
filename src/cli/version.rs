//! `specsearch --version`: what this binary is — its version, the commit it was built from and
//! the DuckDB and SQLite libraries linked into it, each asked at run time (what a bug report
//! needs).

/// The version report, one fact per line.
pub fn report() -> String {
    let duckdb = crate::store::bundle::duckdb_version()
        .unwrap_or_else(|e| format!("unknown (DuckDB did not answer: {e})"));
    format!(
        "specsearch {}\ncommit     {}\nduckdb     {duckdb}\nsqlite     {}\n",
        env!("CARGO_PKG_VERSION"),
        env!("SPECSEARCH_GIT_COMMIT"),
        crate::journal::sqlite_version()
    )
}
