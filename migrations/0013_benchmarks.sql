-- journal.sqlite, version 13: benchmarks and the incumbent (docs/semantics.md §13), models with
-- the same fit, and the inputs of each run (what `specsearch compare` compares). All derived at
-- finish (and by `specsearch forecast`) from the journal, the frozen data and the config; each
-- write replaces the run's previous rows in one transaction.

-- One row per benchmark (no change, historical mean, AR(1) of the target transform, forced items
-- only) and for the incumbent model of `[incumbent]`: its §5 statistics and §7 error metrics,
-- never filtered nor ranked.
CREATE TABLE benchmarks (
    run_id       INTEGER NOT NULL REFERENCES runs (run_id),
    -- 'no_change', 'mean', 'ar1', 'forced_only' (a suffix #2, #3 … when the forced items have
    -- several variants), 'incumbent'.
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('benchmark', 'incumbent')),
    method       TEXT NOT NULL
                 CHECK (method IN ('no_change', 'mean', 'ar1', 'forced_only', 'incumbent')),
    -- Display order.
    position     INTEGER NOT NULL CHECK (position >= 0),
    -- JSON array of the regressors' names (the intercept left out).
    features     TEXT NOT NULL CHECK (json_valid(features)),
    -- 1 when the coefficients were given (`incumbent.coefficients`), not fitted.
    coefficients_given INTEGER NOT NULL CHECK (coefficients_given IN (0, 1)),
    -- The spec key of a model made of search columns (forced only, incumbent), else NULL.
    spec_key     TEXT,
    nobs         INTEGER NOT NULL CHECK (nobs >= 0),
    nobs_oos     INTEGER NOT NULL CHECK (nobs_oos >= 0),
    r2           REAL,
    adj_r2       REAL,
    is_max_abs   REAL,
    is_mae       REAL,
    is_rmse      REAL,
    oos_max_abs  REAL,
    oos_mae      REAL,
    oos_rmse     REAL,
    cov_type     TEXT,
    -- The incumbent judged by today's filters: 1 passes, 0 fails (failed_test says where);
    -- NULL for benchmarks, which are never filtered.
    passes       INTEGER CHECK (passes IN (0, 1)),
    failed_test  INTEGER REFERENCES filter_tests (code),
    -- The whole outcome (every statistic) and the coefficient names, as `passed.detail`.
    detail       TEXT NOT NULL CHECK (json_valid(detail)),
    -- The dates of the fit (in-sample then out-of-sample) and the fitted / predicted values on
    -- them (JSON arrays; null where there is no value).
    dates        TEXT NOT NULL CHECK (json_valid(dates)),
    fitted       TEXT NOT NULL CHECK (json_valid(fitted)),
    note         TEXT,
    PRIMARY KEY (run_id, name),
    UNIQUE (run_id, position)
) WITHOUT ROWID;

-- Scenario paths of the benchmarks and the incumbent, stored as `scenario_paths` stores the
-- models' (JSON arrays by step, element 0 is p0); the view `benchmark_forecasts` has one row per
-- period. Replaced with the run's forecast set.
CREATE TABLE benchmark_paths (
    run_id           INTEGER NOT NULL,
    benchmark        TEXT NOT NULL,
    scenario         TEXT NOT NULL,
    frequency        TEXT NOT NULL CHECK (frequency IN ('M', 'Q')),
    transform_values TEXT,
    levels           TEXT NOT NULL,
    UNIQUE (run_id, benchmark, scenario, frequency),
    FOREIGN KEY (run_id, benchmark) REFERENCES benchmarks (run_id, name)
);

-- The scenario statistics of the benchmarks and the incumbent (columns as `scenario_stats`).
CREATE TABLE benchmark_stats (
    run_id           INTEGER NOT NULL,
    benchmark        TEXT NOT NULL,
    scenario         TEXT NOT NULL,
    p0_level         REAL NOT NULL,
    p4_level         REAL,
    p9_level         REAL,
    p12_level        REAL,
    last_level       REAL,
    cagr_4q          REAL,
    cagr_9q          REAL,
    cagr_12q         REAL,
    change_9q        REAL,
    pct_change_9q    REAL,
    pct_diff_base_9q REAL,
    in_order         INTEGER CHECK (in_order IN (0, 1)),
    PRIMARY KEY (run_id, benchmark, scenario),
    FOREIGN KEY (run_id, benchmark) REFERENCES benchmarks (run_id, name)
) WITHOUT ROWID;

-- Passed models whose in-sample fitted values equal another's to 1e-12 (relative to the
-- largest fitted value, at least 1): e.g. the same series under two names. `same_as` is the
-- lowest spec index of the group; models alone in their group have no row.
CREATE TABLE same_fits (
    run_id     INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index INTEGER NOT NULL,
    same_as    INTEGER NOT NULL,
    PRIMARY KEY (run_id, spec_index)
) WITHOUT ROWID;

-- What a run searched: the calendar of its frozen data, its samples and its input files with
-- their sha256 (JSON list of {path, sha256}), recorded at finish so a later vintage of the data
-- (which replaces the workspace's bundle) can still be compared with it.
CREATE TABLE run_inputs (
    run_id      INTEGER PRIMARY KEY REFERENCES runs (run_id),
    frequency   TEXT NOT NULL CHECK (frequency IN ('M', 'Q')),
    first_date  TEXT NOT NULL,
    last_date   TEXT NOT NULL,
    rows        INTEGER NOT NULL CHECK (rows >= 1),
    in_start    TEXT NOT NULL,
    in_end      TEXT NOT NULL,
    full_end    TEXT NOT NULL,
    sources     TEXT NOT NULL CHECK (json_valid(sources))
);
