-- Schema of features.duckdb, the frozen feature bundle written once by `specsearch freeze` and
-- then opened read-only by every worker. Values are stored long (one row per column and date)
-- so that any column can be read back with plain SQL; a missing value is NULL (never NaN).

-- Key/value facts about the bundle: format, bundle_sha256, frequency, rows, columns, sources.
CREATE TABLE manifest (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- The calendar: one row per period end of the target's table.
CREATE TABLE dates (
    row_id INTEGER PRIMARY KEY,
    date   DATE NOT NULL UNIQUE,
    -- Where the date sits relative to the sample windows of the config.
    sample VARCHAR NOT NULL CHECK (sample IN ('before', 'in', 'out', 'after'))
);

-- Every column a spec can use. `id` is the column id specs are made of (0 = the target).
CREATE TABLE catalogue (
    id               INTEGER PRIMARY KEY,
    name             VARCHAR NOT NULL UNIQUE,
    role             VARCHAR NOT NULL CHECK (role IN ('target', 'variant', 'dummy')),
    base             VARCHAR NOT NULL,
    transform        VARCHAR CHECK (transform IN ('LV', 'DF', 'GR')),
    period           INTEGER NOT NULL CHECK (period >= 0),
    lag              INTEGER NOT NULL CHECK (lag >= 0),
    category         VARCHAR,
    var_type         VARCHAR CHECK (var_type IN ('level', 'rate')),
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
    exclusion_reason VARCHAR
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
