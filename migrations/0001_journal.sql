-- journal.sqlite, version 1: runs, the frozen catalogue each run saw, one outcome per spec,
-- full detail for passed models, sessions (one per invocation of `run`) and worker telemetry.
--
-- The journal is the single source of truth: every derived result (passed models in spec order,
-- dedup by spec key, ranking) is a query over these tables, so it is the same however often a
-- run was interrupted and whatever the worker count.

-- One search: a config (by its canonical hash) over one frozen bundle.
CREATE TABLE runs (
    run_id       INTEGER PRIMARY KEY,
    -- Human-readable name, e.g. "demo#1".
    name         TEXT NOT NULL,
    config_path  TEXT NOT NULL,
    -- The config file's text as it was when the run was created.
    config_text  TEXT NOT NULL,
    search_hash  TEXT NOT NULL CHECK (length(search_hash) = 64),
    bundle_hash  TEXT NOT NULL CHECK (length(bundle_hash) = 64),
    target       TEXT NOT NULL,
    frequency    TEXT NOT NULL CHECK (frequency IN ('M', 'Q')),
    spec_count   INTEGER NOT NULL CHECK (spec_count >= 0),
    -- Whether the target passed the stationarity pretest (decides the cointegration filter).
    target_stationary INTEGER NOT NULL CHECK (target_stationary IN (0, 1)),
    has_out_of_sample INTEGER NOT NULL CHECK (has_out_of_sample IN (0, 1)),
    created_at   TEXT NOT NULL,
    finished_at  TEXT,
    status       TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'complete', 'failed')),
    -- Why a run failed (validation report), NULL otherwise.
    status_detail TEXT
);
CREATE INDEX runs_by_hash ON runs (search_hash, bundle_hash);

-- The columns of the frozen bundle as the run saw them (feature_id = catalogue id), so outcome
-- feature lists can be expanded to names without opening features.duckdb.
CREATE TABLE run_features (
    run_id      INTEGER NOT NULL REFERENCES runs (run_id),
    feature_id  INTEGER NOT NULL CHECK (feature_id >= 0),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('target', 'variant', 'dummy', 'composite')),
    base        TEXT NOT NULL,
    category    TEXT,
    PRIMARY KEY (run_id, feature_id)
) WITHOUT ROWID;

-- The filters of SEARCH-SEMANTICS §5, in order; failed_test codes in outcomes refer here.
CREATE TABLE filter_tests (
    code  INTEGER PRIMARY KEY,
    slug  TEXT NOT NULL UNIQUE,
    name  TEXT NOT NULL UNIQUE
);
INSERT INTO filter_tests (code, slug, name) VALUES
    (1, 'in_sample_r2', 'In-Sample R-sq'),
    (2, 'coefficient_significance', 'Coefficient Significance'),
    (3, 'group_f_test', 'Group Driver F-Test'),
    (4, 'multicollinearity', 'Multicollinearity'),
    (5, 'residual_stationarity', 'Residual Stationarity'),
    (6, 'cointegration', 'Y–X Cointegration'),
    (7, 'sign_check', 'Sign Check');

-- One row per evaluated spec. Kept compact: a filtered outcome is a handful of small integers,
-- its feature ids and its R².
CREATE TABLE outcomes (
    run_id       INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index   INTEGER NOT NULL CHECK (spec_index >= 0),
    -- 0 = passed, 1 = filtered, 2 = error (see the `outcome_status` view for names).
    status       INTEGER NOT NULL CHECK (status IN (0, 1, 2)),
    failed_test  INTEGER REFERENCES filter_tests (code)
                 CHECK ((status = 1) = (failed_test IS NOT NULL)),
    -- The spec's columns: a JSON array of feature ids (expand with json_each + run_features).
    features     TEXT NOT NULL CHECK (json_valid(features)),
    r2           REAL,
    -- Error message (status = 2 only).
    message      TEXT CHECK ((status = 2) = (message IS NOT NULL)),
    -- Which worker of which session evaluated it, and how long it took (microseconds).
    session_id   INTEGER NOT NULL,
    worker       INTEGER NOT NULL,
    eval_us      INTEGER NOT NULL CHECK (eval_us >= 0),
    PRIMARY KEY (run_id, spec_index)
) WITHOUT ROWID;

-- Everything about a passed model: the spec key (for dedup), the ranking metrics, and the full
-- statistical detail as JSON (coefficients, standard errors, p-values, every test).
CREATE TABLE passed (
    run_id      INTEGER NOT NULL,
    spec_index  INTEGER NOT NULL,
    spec_key    TEXT NOT NULL CHECK (length(spec_key) = 64),
    r2          REAL NOT NULL,
    adj_r2      REAL NOT NULL,
    is_max_abs  REAL NOT NULL,
    is_mae      REAL NOT NULL,
    is_rmse     REAL NOT NULL,
    oos_max_abs REAL,
    oos_mae     REAL,
    oos_rmse    REAL,
    cov_type    TEXT NOT NULL CHECK (cov_type IN ('nonrobust', 'HC1', 'HAC')),
    detail      TEXT NOT NULL CHECK (json_valid(detail)),
    PRIMARY KEY (run_id, spec_index),
    FOREIGN KEY (run_id, spec_index) REFERENCES outcomes (run_id, spec_index)
) WITHOUT ROWID;
CREATE INDEX passed_by_key ON passed (run_id, spec_key, spec_index);

-- One invocation of `specsearch run` on a run (a resume is a new session).
CREATE TABLE sessions (
    run_id       INTEGER NOT NULL REFERENCES runs (run_id),
    session_id   INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    ended_at     TEXT,
    executor     TEXT NOT NULL CHECK (executor IN ('process', 'thread', 'serial')),
    transport    TEXT NOT NULL CHECK (transport IN ('duckdb', 'mmap', 'memory')),
    workers      INTEGER NOT NULL CHECK (workers >= 1),
    specs_done   INTEGER NOT NULL DEFAULT 0,
    wall_seconds REAL,
    -- CPU seconds of the coordinator and of all workers together.
    cpu_seconds  REAL,
    status       TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'complete', 'failed')),
    PRIMARY KEY (run_id, session_id)
) WITHOUT ROWID;

-- One row per worker process (or thread) of a session.
CREATE TABLE workers (
    run_id       INTEGER NOT NULL,
    session_id   INTEGER NOT NULL,
    worker       INTEGER NOT NULL,
    pid          INTEGER,
    started_at   TEXT NOT NULL,
    ended_at     TEXT,
    specs        INTEGER NOT NULL DEFAULT 0,
    busy_seconds REAL NOT NULL DEFAULT 0,
    user_cpu_seconds REAL,
    sys_cpu_seconds  REAL,
    max_rss_kb   INTEGER,
    -- 'ok', 'signal N', 'exit N', 'replaced' …
    exit_status  TEXT,
    PRIMARY KEY (run_id, session_id, worker),
    FOREIGN KEY (run_id, session_id) REFERENCES sessions (run_id, session_id)
) WITHOUT ROWID;

-- Derived at finish from `passed`: one row per distinct model (lowest spec index of each key),
-- ranked by the composite score of SEARCH-SEMANTICS §7 with the config's weights.
CREATE TABLE ranking (
    run_id      INTEGER NOT NULL,
    rank        INTEGER NOT NULL CHECK (rank >= 1),
    spec_index  INTEGER NOT NULL,
    score       REAL NOT NULL,
    fit_score   REAL NOT NULL,
    is_score    REAL NOT NULL,
    oos_score   REAL,
    PRIMARY KEY (run_id, rank),
    UNIQUE (run_id, spec_index)
) WITHOUT ROWID;
