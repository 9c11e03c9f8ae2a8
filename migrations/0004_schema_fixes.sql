-- journal.sqlite, version 4: what the first schema got wrong, fixed in place.
--
-- 1. `run_features.role` allows `base`: the panel columns a `regime(...)` reads. Runs created
--    before version 4 left those rows out (the CHECK refused them); newer runs record every
--    catalogue column.
-- 2. `sessions.transport` allows only what is ever written (`duckdb`, `mmap`).
-- 3. `ranking` references the passed model it ranks.
-- 4. `outcome_statuses` names the codes of `outcomes.status`, as `filter_tests` names the codes
--    of `outcomes.failed_test`; the views read names from it.
--
-- Tables are rebuilt the way SQLite documents for changing constraints (create, copy, drop,
-- rename), with foreign keys off and `foreign_key_check` run before the commit (see
-- src/journal/schema.rs).

CREATE TABLE outcome_statuses (
    code  INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
);
INSERT INTO outcome_statuses (code, name) VALUES
    (0, 'passed'),
    (1, 'filtered'),
    (2, 'error');

CREATE TABLE run_features_v4 (
    run_id      INTEGER NOT NULL REFERENCES runs (run_id),
    feature_id  INTEGER NOT NULL CHECK (feature_id >= 0),
    name        TEXT NOT NULL,
    -- target: column 0; variant: a transform of a variable; dummy: a month/quarter indicator;
    -- base: a panel column a regime reads (never a regressor); composite: built by workers.
    role        TEXT NOT NULL CHECK (role IN ('target', 'variant', 'dummy', 'base', 'composite')),
    base        TEXT NOT NULL,
    category    TEXT,
    PRIMARY KEY (run_id, feature_id)
) WITHOUT ROWID;
INSERT INTO run_features_v4 (run_id, feature_id, name, role, base, category)
    SELECT run_id, feature_id, name, role, base, category FROM run_features;
DROP TABLE run_features;
ALTER TABLE run_features_v4 RENAME TO run_features;

CREATE TABLE sessions_v4 (
    run_id       INTEGER NOT NULL REFERENCES runs (run_id),
    session_id   INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    ended_at     TEXT,
    executor     TEXT NOT NULL CHECK (executor IN ('process', 'thread', 'serial')),
    transport    TEXT NOT NULL CHECK (transport IN ('duckdb', 'mmap')),
    workers      INTEGER NOT NULL CHECK (workers >= 1),
    specs_done   INTEGER NOT NULL DEFAULT 0,
    wall_seconds REAL,
    -- CPU seconds of the coordinator and of all workers together.
    cpu_seconds  REAL,
    status       TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'complete', 'failed')),
    PRIMARY KEY (run_id, session_id)
) WITHOUT ROWID;
INSERT INTO sessions_v4 (run_id, session_id, started_at, ended_at, executor, transport, workers,
                         specs_done, wall_seconds, cpu_seconds, status)
    SELECT run_id, session_id, started_at, ended_at, executor, transport, workers, specs_done,
           wall_seconds, cpu_seconds, status FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_v4 RENAME TO sessions;

-- Derived at finish from `passed`: one row per distinct model (lowest spec index of each key),
-- ranked by the composite score of SEARCH-SEMANTICS §7 with the config's weights.
CREATE TABLE ranking_v4 (
    run_id      INTEGER NOT NULL,
    rank        INTEGER NOT NULL CHECK (rank >= 1),
    spec_index  INTEGER NOT NULL,
    score       REAL NOT NULL,
    fit_score   REAL NOT NULL,
    is_score    REAL NOT NULL,
    oos_score   REAL,
    PRIMARY KEY (run_id, rank),
    UNIQUE (run_id, spec_index),
    FOREIGN KEY (run_id, spec_index) REFERENCES passed (run_id, spec_index)
) WITHOUT ROWID;
INSERT INTO ranking_v4 (run_id, rank, spec_index, score, fit_score, is_score, oos_score)
    SELECT run_id, rank, spec_index, score, fit_score, is_score, oos_score FROM ranking;
DROP TABLE ranking;
ALTER TABLE ranking_v4 RENAME TO ranking;
