-- Counters kept as outcomes are written, so that looking at a run costs the same whatever its
-- size: `status`, `run_progress`, `failures_by_test`, `failure_features`, the resume of a run
-- (which spec indices are journaled) and "is this run complete" read these small tables, never
-- a scan of `outcomes`.
--
-- The journal writer updates them in the same transaction as the outcomes they count, so they
-- are exactly consistent with `outcomes` after any crash (a kill -9 loses both or neither);
-- `merge` recomputes them for the merged run. This migration fills them for the runs already in
-- the journal.

-- Outcomes per run, session, status and failed filter.
CREATE TABLE outcome_counts (
    run_id      INTEGER NOT NULL REFERENCES runs (run_id),
    session_id  INTEGER NOT NULL,
    status      INTEGER NOT NULL REFERENCES outcome_statuses (code),
    -- The code of the failed filter (filter_tests.code) of filtered outcomes, 0 for the others
    -- (a primary key column cannot be NULL).
    failed_test INTEGER NOT NULL CHECK ((status = 1) = (failed_test > 0)),
    specs       INTEGER NOT NULL CHECK (specs >= 0),
    PRIMARY KEY (run_id, session_id, status, failed_test)
) WITHOUT ROWID;

-- Outcomes per run, status, failed filter (0 = none, as above) and feature: how many specs
-- with this outcome contain the feature (forced features count in every spec).
CREATE TABLE feature_counts (
    run_id      INTEGER NOT NULL REFERENCES runs (run_id),
    status      INTEGER NOT NULL REFERENCES outcome_statuses (code),
    failed_test INTEGER NOT NULL CHECK ((status = 1) = (failed_test > 0)),
    feature_id  INTEGER NOT NULL CHECK (feature_id >= 0),
    specs       INTEGER NOT NULL CHECK (specs >= 0),
    PRIMARY KEY (run_id, status, failed_test, feature_id)
) WITHOUT ROWID;

-- The spec indices that have an outcome, as disjoint half-open ranges [start_index,
-- end_index), adjacent ranges joined: a complete run of N specs is the single row [0, N).
CREATE TABLE journaled_ranges (
    run_id      INTEGER NOT NULL REFERENCES runs (run_id),
    start_index INTEGER NOT NULL CHECK (start_index >= 0),
    end_index   INTEGER NOT NULL CHECK (end_index > start_index),
    PRIMARY KEY (run_id, start_index),
    UNIQUE (run_id, end_index)
) WITHOUT ROWID;

INSERT INTO outcome_counts (run_id, session_id, status, failed_test, specs)
SELECT run_id, session_id, status, coalesce(failed_test, 0), count(*)
FROM outcomes
GROUP BY run_id, session_id, status, coalesce(failed_test, 0);

INSERT INTO feature_counts (run_id, status, failed_test, feature_id, specs)
SELECT o.run_id, o.status, coalesce(o.failed_test, 0), j.value, count(*)
FROM outcomes o, json_each(o.features) j
GROUP BY o.run_id, o.status, coalesce(o.failed_test, 0), j.value;

-- Gaps and islands: within a run of consecutive indices, index - row number is constant.
INSERT INTO journaled_ranges (run_id, start_index, end_index)
SELECT run_id, min(spec_index), max(spec_index) + 1
FROM (SELECT run_id, spec_index,
             spec_index - row_number() OVER (PARTITION BY run_id ORDER BY spec_index) AS island
      FROM outcomes)
GROUP BY run_id, island;

-- Errors are few and looked at by message (`errors_by_message`, `failures --only errors`): a
-- partial index holds only them, so the writer pays for it on error rows alone.
CREATE INDEX outcomes_errors ON outcomes (run_id, message) WHERE status = 2;

-- Passed models become an ordinary rowid table. As WITHOUT ROWID, rows of ~2 kB (the JSON
-- detail) were split across overflow pages badly (SQLite's advice is WITHOUT ROWID for small
-- rows only): a real journal had 4.7 kB per passed row and 16 MB of unused space in that
-- table. Same columns, constraints and key (now a unique index).
CREATE TABLE passed_v7 (
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
);
INSERT INTO passed_v7 (run_id, spec_index, spec_key, r2, adj_r2, is_max_abs, is_mae, is_rmse,
                       oos_max_abs, oos_mae, oos_rmse, cov_type, detail)
    SELECT run_id, spec_index, spec_key, r2, adj_r2, is_max_abs, is_mae, is_rmse,
           oos_max_abs, oos_mae, oos_rmse, cov_type, detail FROM passed ORDER BY run_id, spec_index;
DROP TABLE passed;
ALTER TABLE passed_v7 RENAME TO passed;
CREATE INDEX passed_by_key ON passed (run_id, spec_key, spec_index);
