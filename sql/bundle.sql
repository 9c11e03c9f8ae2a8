-- Schema of features.duckdb, the frozen feature bundle written once by `specsearch freeze` and
-- then opened read-only by every worker. Values are stored long (one row per column and date)
-- so that any column can be read back with plain SQL; a missing value is NULL (never NaN).
--
-- The frozen part is ids 0 .. manifest.columns - 1; it is what bundle_sha256 and features.f64
-- cover. After a run, the coordinator (workers gone) replays the composite columns that passed
-- models depend on: catalogue rows with role 'composite' and ids >= manifest.columns, plus their
-- values. Replays never change the frozen part, so they never invalidate a resume.

-- Key/value facts about the bundle: format, bundle_sha256, frequency, rows, columns (the number
-- of frozen columns), sources.
CREATE TABLE manifest (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- The calendar: one row per period end of the target's table.
CREATE TABLE dates (
    row_id INTEGER PRIMARY KEY,
    date   DATE NOT NULL UNIQUE,
    -- Where the date sits relative to the sample windows of the config; 'outlier' is an
    -- in-sample date left out of every fit (sample.outliers).
    sample VARCHAR NOT NULL CHECK (sample IN ('before', 'in', 'outlier', 'out', 'after'))
);

-- Every column a spec can use. `id` is the column id specs are made of (0 = the target).
-- Roles: 'target'; 'variant' (a transform of a variable); 'dummy'; 'base' (a panel column a
-- regime(...) reads, never a regressor); 'composite' (replayed after a run; its id is the
-- store's, not the run's: the journal's run_features has the run's ids).
CREATE TABLE catalogue (
    id               INTEGER PRIMARY KEY,
    name             VARCHAR NOT NULL UNIQUE,
    role             VARCHAR NOT NULL
                     CHECK (role IN ('target', 'variant', 'dummy', 'base', 'composite')),
    base             VARCHAR NOT NULL,
    transform        VARCHAR CHECK (transform IN ('LV', 'DF', 'GR', 'ABSGR', 'ROLLAVG', 'DEVROLL')),
    period           INTEGER NOT NULL CHECK (period >= 0),
    lag              INTEGER NOT NULL CHECK (lag >= 0),
    category         VARCHAR,
    -- The metadata type: 'level', 'rate', or a type the config's [transforms] table maps.
    var_type         VARCHAR,
    expected_sign    INTEGER NOT NULL CHECK (expected_sign IN (-1, 0, 1)),
    -- For dummy columns: the `dummies(...)` item and whether the set is complete (joint F-test).
    dummy_set        VARCHAR,
    full_dummy_set   BOOLEAN NOT NULL,
    -- Pretest verdicts (NULL = not tested): validity on in-sample dates, ADF/PP p-values.
    valid            BOOLEAN,
    adf_pvalue       DOUBLE,
    pp_pvalue        DOUBLE,
    stationary       BOOLEAN,
    -- Whether specs may use the column, and if not, why.
    kept             BOOLEAN NOT NULL,
    exclusion_reason VARCHAR,
    -- Composites only: the canonical definition (`interaction(a, b)`, `regime(f, column, on)`),
    -- the sha256 of the values over every date (little-endian IEEE bits, NaN canonical; the
    -- hash the run's mutation record carries), and the run whose replay inserted it.
    definition       VARCHAR,
    sha256           VARCHAR,
    replayed_by      VARCHAR,
    CHECK ((role = 'composite') = (definition IS NOT NULL AND sha256 IS NOT NULL))
);

-- Values of every catalogue column (long format).
CREATE TABLE feature_values (
    id     INTEGER NOT NULL,
    row_id INTEGER NOT NULL,
    value  DOUBLE
);

-- The aligned base series (every column of every input table, plus the M and Q helpers).
CREATE TABLE base_series (
    name   VARCHAR NOT NULL,
    row_id INTEGER NOT NULL,
    value  DOUBLE
);
