-- journal.sqlite, version 9: compact outcomes.
--
-- A filtered outcome was ~85 bytes, a third of it the JSON text of its feature ids, most of
-- those the same in every spec (forced month dummies: `[101,102,…,107,` in every row). Now:
--
-- 1. `run_spec_prefixes` holds, once per run, the features every spec of the run begins with
--    (the forced columns nothing sorts before; see SpecSpace::common_prefix). Runs created
--    before version 9 have the empty prefix: their outcomes keep every feature.
-- 2. `outcomes.feature_codes` holds the rest of the spec's features, in spec order, one
--    character per feature whose Unicode code point is the feature id (ids < 128 take one
--    byte, < 2048 two). `unicode(substr(codes, k, 1))` is the k-th id; the views
--    (`outcome_columns`, `outcome_features`, `outcome_status.features`, …) expand prefix and
--    codes into ids, names and JSON arrays, so queries over them read the same as before.
-- 3. `feature_slots` numbers the positions of a spec (1, 2, … up to the largest catalogue of
--    any run): the views join it to walk a spec's characters.
-- 4. `features` JSON is no longer checked with json_valid per inserted row (the writer makes
--    the codes itself).
--
-- Existing outcomes are converted in place (their JSON lists become codes with an empty
-- prefix); `outcomes` is rebuilt the way 0004 rebuilt tables.

CREATE TABLE run_spec_prefixes (
    run_id        INTEGER PRIMARY KEY REFERENCES runs (run_id),
    -- The features every spec of the run begins with, encoded as outcomes.feature_codes.
    feature_codes TEXT NOT NULL
);
INSERT INTO run_spec_prefixes (run_id, feature_codes) SELECT run_id, '' FROM runs;

CREATE TABLE feature_slots (
    slot INTEGER PRIMARY KEY CHECK (slot >= 1)
);
WITH RECURSIVE n (slot) AS (
    SELECT 1
    UNION ALL
    SELECT slot + 1 FROM n
    WHERE slot < (SELECT max(c) FROM (SELECT count(*) AS c FROM run_features GROUP BY run_id))
)
INSERT INTO feature_slots (slot) SELECT slot FROM n;

CREATE TABLE outcomes_v9 (
    run_id       INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index   INTEGER NOT NULL CHECK (spec_index >= 0),
    -- 0 = passed, 1 = filtered, 2 = error (names in `outcome_statuses`).
    status       INTEGER NOT NULL CHECK (status IN (0, 1, 2)),
    failed_test  INTEGER REFERENCES filter_tests (code)
                 CHECK ((status = 1) = (failed_test IS NOT NULL)),
    -- The spec's features after the run's prefix (run_spec_prefixes), one character each,
    -- code point = feature id. Read them through the views (`outcome_columns`).
    feature_codes TEXT NOT NULL,
    r2           REAL,
    -- Error message (status = 2 only).
    message      TEXT CHECK ((status = 2) = (message IS NOT NULL)),
    -- Which worker of which session evaluated it, and how long it took (microseconds).
    session_id   INTEGER NOT NULL,
    worker       INTEGER NOT NULL,
    eval_us      INTEGER NOT NULL CHECK (eval_us >= 0),
    PRIMARY KEY (run_id, spec_index)
) WITHOUT ROWID;
INSERT INTO outcomes_v9 (run_id, spec_index, status, failed_test, feature_codes, r2, message,
                         session_id, worker, eval_us)
SELECT o.run_id, o.spec_index, o.status, o.failed_test,
       coalesce((SELECT group_concat(char(j.value), '' ORDER BY j.key)
                 FROM json_each(o.features) j), ''),
       o.r2, o.message, o.session_id, o.worker, o.eval_us
FROM outcomes o
ORDER BY o.run_id, o.spec_index;
DROP TABLE outcomes;
ALTER TABLE outcomes_v9 RENAME TO outcomes;
CREATE INDEX outcomes_errors ON outcomes (run_id, message) WHERE status = 2;
