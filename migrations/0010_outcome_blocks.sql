-- journal.sqlite, version 10: outcomes in blocks, and the plan every spec's columns follow from.
--
-- A filtered outcome needs no row of its own: its columns follow from its spec index and the
-- run's plan, and its outcome is a few bits. So:
--
-- 1. The plan of a run (docs/semantics.md §4, rule C) is recorded once, when the run is created
--    (or first resumed by this version): its elements and their variants (`plan_elements`,
--    `plan_variants`), every combo with its first spec index (`plan_combos`), each combo's
--    elements with their variant counts (`plan_combo_elements`: radix, and stride = the product
--    of the radices after it), and the rule-S rank of every column (`run_features.sort_rank`).
--    Spec `i` lies in the combo with the largest `first_index ≤ i`; element k of that combo
--    takes variant `((i − first_index) / stride) % radix`; the spec's columns are the union of
--    those variants' columns in `sort_rank` order. The views below do exactly this in plain SQL
--    (`block_columns`), readable by the sqlite3 shell and pandas without extensions.
-- 2. `outcome_blocks` holds the outcomes of a range of consecutive spec indices as one row: one
--    byte per spec, a code of `outcome_codes` (status, failed filter and covariance choice).
--    Workers send a batch's outcomes as such a block; it costs about one byte per spec.
-- 3. Passed and error outcomes keep their full row in `outcomes` (r², message, features), as
--    every outcome of runs journaled before version 10 does; those rows are not converted.
--    The R² of a filtered outcome is not kept (eight bytes per spec, eight times the rest; the
--    ranking and every filter verdict are unaffected): `outcome_status.r2` is NULL for them.

ALTER TABLE run_features ADD COLUMN sort_rank INTEGER CHECK (sort_rank >= 0);

-- The run's plan as a whole: its size and a digest of it (shards of one search must have the
-- same plan to be merged).
CREATE TABLE run_plans (
    run_id     INTEGER PRIMARY KEY REFERENCES runs (run_id),
    elements   INTEGER NOT NULL CHECK (elements >= 1),
    combos     INTEGER NOT NULL CHECK (combos >= 1),
    spec_count INTEGER NOT NULL CHECK (spec_count >= 1),
    sha256     TEXT NOT NULL CHECK (length(sha256) = 64)
);

-- One item of a spec as counted toward max_vars (a variable, a dummy set, a group, a
-- composite): forced elements first, then pool members in pool order.
CREATE TABLE plan_elements (
    run_id     INTEGER NOT NULL REFERENCES run_plans (run_id),
    element_id INTEGER NOT NULL CHECK (element_id >= 0),
    name       TEXT NOT NULL,
    variants   INTEGER NOT NULL CHECK (variants >= 1),
    PRIMARY KEY (run_id, element_id)
) WITHOUT ROWID;

-- The columns of each variant of each element (one row per column; a variable's variant has
-- one, a dummy set's several).
CREATE TABLE plan_variants (
    run_id     INTEGER NOT NULL,
    element_id INTEGER NOT NULL,
    variant    INTEGER NOT NULL CHECK (variant >= 0),
    feature_id INTEGER NOT NULL CHECK (feature_id >= 0),
    PRIMARY KEY (run_id, element_id, variant, feature_id),
    FOREIGN KEY (run_id, element_id) REFERENCES plan_elements (run_id, element_id)
) WITHOUT ROWID;

-- Every combo (a choice of elements before variant expansion), by its first spec index; its
-- specs are first_index .. first_index + specs.
CREATE TABLE plan_combos (
    run_id      INTEGER NOT NULL REFERENCES run_plans (run_id),
    first_index INTEGER NOT NULL CHECK (first_index >= 0),
    specs       INTEGER NOT NULL CHECK (specs >= 1),
    PRIMARY KEY (run_id, first_index)
) WITHOUT ROWID;

-- The elements of each combo, first slowest in the variant expansion.
CREATE TABLE plan_combo_elements (
    run_id      INTEGER NOT NULL,
    first_index INTEGER NOT NULL,
    position    INTEGER NOT NULL CHECK (position >= 0),
    element_id  INTEGER NOT NULL,
    radix       INTEGER NOT NULL CHECK (radix >= 1),
    stride      INTEGER NOT NULL CHECK (stride >= 1),
    PRIMARY KEY (run_id, first_index, position),
    FOREIGN KEY (run_id, first_index) REFERENCES plan_combos (run_id, first_index),
    FOREIGN KEY (run_id, element_id) REFERENCES plan_elements (run_id, element_id)
) WITHOUT ROWID;

-- The one-byte codes of `outcome_blocks.codes`: value = 1 + kind + 9 × covariance, where kind
-- is 0 passed, 1..7 filtered at that filter, 8 error, and covariance is 0 not chosen (the spec
-- stopped before the covariance choice, or erred), 1 nonrobust, 2 HC1, 3 HAC.
CREATE TABLE outcome_codes (
    code        BLOB PRIMARY KEY CHECK (length(code) = 1),
    value       INTEGER NOT NULL UNIQUE CHECK (value BETWEEN 1 AND 36),
    status      INTEGER NOT NULL REFERENCES outcome_statuses (code),
    failed_test INTEGER REFERENCES filter_tests (code)
                CHECK ((status = 1) = (failed_test IS NOT NULL)),
    cov_type    TEXT CHECK (cov_type IN ('nonrobust', 'HC1', 'HAC'))
);
WITH RECURSIVE v (value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM v WHERE value < 36)
INSERT INTO outcome_codes (code, value, status, failed_test, cov_type)
SELECT CAST(char(value) AS BLOB),
       value,
       CASE (value - 1) % 9 WHEN 0 THEN 0 WHEN 8 THEN 2 ELSE 1 END,
       CASE WHEN (value - 1) % 9 BETWEEN 1 AND 7 THEN (value - 1) % 9 END,
       CASE (value - 1) / 9 WHEN 1 THEN 'nonrobust' WHEN 2 THEN 'HC1' WHEN 3 THEN 'HAC' END
FROM v;

-- The outcomes of consecutive spec indices start_index .. end_index: one `outcome_codes` byte
-- per spec, in index order. A rowid table: rows of a few kilobytes are what rowid tables are
-- for (SQLite advises WITHOUT ROWID for small rows only).
CREATE TABLE outcome_blocks (
    block_id    INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (run_id),
    start_index INTEGER NOT NULL CHECK (start_index >= 0),
    end_index   INTEGER NOT NULL CHECK (end_index > start_index),
    codes       BLOB NOT NULL CHECK (length(codes) = end_index - start_index),
    session_id  INTEGER NOT NULL,
    worker      INTEGER NOT NULL,
    -- Evaluation time of the block's specs together, in microseconds.
    eval_us     INTEGER NOT NULL CHECK (eval_us >= 0),
    FOREIGN KEY (run_id, session_id) REFERENCES sessions (run_id, session_id)
);
CREATE UNIQUE INDEX outcome_blocks_by_start ON outcome_blocks (run_id, start_index);

-- The offsets 0, 1, … of a spec within a block, up to the longest block journaled: the views
-- join it to walk a block's codes.
CREATE TABLE block_offsets (
    k INTEGER PRIMARY KEY CHECK (k >= 0)
);

-- `passed` again, with checks a writer can afford on every row: `cov_type IN (…)` of three
-- values built a temporary B-tree per insert, and json_valid parsed every detail (2 kB of JSON
-- for a PPNR model): together a third of the journal writer's time. The detail is the JSON
-- object specsearch writes (serde_json); the check now says it is an object.
CREATE TABLE passed_v10 (
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
    cov_type    TEXT NOT NULL
                CHECK (cov_type = 'nonrobust' OR cov_type = 'HC1' OR cov_type = 'HAC'),
    -- The model's statistics as a JSON object (coefficients, tests, …).
    detail      TEXT NOT NULL CHECK (substr(detail, 1, 1) = '{'),
    PRIMARY KEY (run_id, spec_index),
    FOREIGN KEY (run_id, spec_index) REFERENCES outcomes (run_id, spec_index)
);
INSERT INTO passed_v10 (run_id, spec_index, spec_key, r2, adj_r2, is_max_abs, is_mae, is_rmse,
                        oos_max_abs, oos_mae, oos_rmse, cov_type, detail)
    SELECT run_id, spec_index, spec_key, r2, adj_r2, is_max_abs, is_mae, is_rmse,
           oos_max_abs, oos_mae, oos_rmse, cov_type, detail FROM passed ORDER BY run_id, spec_index;
DROP TABLE passed;
ALTER TABLE passed_v10 RENAME TO passed;
CREATE INDEX passed_by_key ON passed (run_id, spec_key, spec_index);
