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
