-- journal.sqlite, version 11: the sensitivity, attribution and uncertainty bands of a run's
-- validated models (docs/semantics.md §10), derived by `specsearch validate` and at the finish
-- from the journaled coefficients, the frozen data and the scenario inputs of the run's forecast
-- set. Validating a model replaces its rows; rows computed from another forecast set (other
-- scenario inputs) are deleted when the run is validated again. Paths are stored compactly, as
-- scenario_paths are: one row per path with JSON arrays indexed by step (element 0 is p0);
-- the views of sql/sensitivity.sql have one row per period.

-- One row per validated model: what its analysis used.
CREATE TABLE sensitivity_models (
    run_id             INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index         INTEGER NOT NULL,
    -- The forecast set's inputs (scenarios.inputs_sha256) the paths were computed from.
    inputs_sha256      TEXT NOT NULL CHECK (length(inputs_sha256) = 64),
    -- The model's covariance choice: its SEs shock the coefficients, its covariance gives the
    -- prediction intervals and the coefficient draws of the band.
    cov_type           TEXT NOT NULL CHECK (cov_type IN ('nonrobust', 'HC1', 'HAC')),
    hac_lags           INTEGER,
    nobs               INTEGER NOT NULL CHECK (nobs >= 1),
    df_resid           INTEGER NOT NULL,
    -- s² = SSR / df_resid.
    resid_variance     REAL NOT NULL,
    -- JSON lists of the positive shock sizes k (each shocks by -k and +k).
    coefficient_shocks TEXT NOT NULL,
    driver_shocks      TEXT NOT NULL,
    -- The band: simulated paths, the seed of their ChaCha8 draws (stream = spec_index), and
    -- the quantiles (JSON list).
    band_draws         INTEGER NOT NULL CHECK (band_draws >= 2),
    band_seed          INTEGER NOT NULL,
    band_quantiles     TEXT NOT NULL,
    -- Why the model has no band (e.g. a covariance that is not positive definite), or NULL.
    band_note          TEXT,
    -- JSON list of the data series its features are computed from (scenario_driver_paths).
    drivers            TEXT NOT NULL,
    computed_at        TEXT NOT NULL,
    PRIMARY KEY (run_id, spec_index)
) WITHOUT ROWID;

-- Each regressor of a validated model (term >= 1, coefficient order): the coefficient, the SE
-- that shocks it, sigma (sample std, ddof 1, of its in-sample column) that shocks the driver,
-- and whether each shock was applied (the periodic dummies M:k / Q:k never are; sigma = 0
-- leaves the driver unshocked), with the reason when not.
CREATE TABLE sensitivity_features (
    run_id              INTEGER NOT NULL,
    spec_index          INTEGER NOT NULL,
    term                INTEGER NOT NULL CHECK (term >= 1),
    feature             TEXT NOT NULL,
    coef                REAL NOT NULL,
    se                  REAL,
    sigma               REAL,
    coefficient_shocked INTEGER NOT NULL CHECK (coefficient_shocked IN (0, 1)),
    driver_shocked      INTEGER NOT NULL CHECK (driver_shocked IN (0, 1)),
    note                TEXT,
    PRIMARY KEY (run_id, spec_index, term),
    FOREIGN KEY (run_id, spec_index) REFERENCES sensitivity_models (run_id, spec_index)
) WITHOUT ROWID;

-- One row per (model, scenario, shocked term, shock, signed k, path frequency): the unshocked
-- path is term 0, shock 'none', k 0. The search's own path carries the transform; a monthly
-- search's quarterly aggregation ('Q') has levels only (P0..PH).
CREATE TABLE sensitivity_path_data (
    run_id           INTEGER NOT NULL,
    spec_index       INTEGER NOT NULL,
    scenario         TEXT NOT NULL,
    term             INTEGER NOT NULL CHECK (term >= 0),
    shock            TEXT NOT NULL CHECK (shock IN ('none', 'coefficient', 'driver')),
    k                REAL NOT NULL,
    frequency        TEXT NOT NULL CHECK (frequency IN ('M', 'Q')),
    transform_values TEXT,
    levels           TEXT NOT NULL,
    UNIQUE (run_id, spec_index, scenario, term, shock, k, frequency),
    FOREIGN KEY (run_id, spec_index) REFERENCES sensitivity_models (run_id, spec_index)
);

-- The §8 statistics of each path of sensitivity_path_data (one per model, scenario, term,
-- shock, k); pct_diff_base_9q compares with the base scenario under the same shock.
CREATE TABLE sensitivity_stat_data (
    run_id           INTEGER NOT NULL,
    spec_index       INTEGER NOT NULL,
    scenario         TEXT NOT NULL,
    term             INTEGER NOT NULL CHECK (term >= 0),
    shock            TEXT NOT NULL CHECK (shock IN ('none', 'coefficient', 'driver')),
    k                REAL NOT NULL,
    p0_level         REAL,
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
    PRIMARY KEY (run_id, spec_index, scenario, term, shock, k),
    FOREIGN KEY (run_id, spec_index) REFERENCES sensitivity_models (run_id, spec_index)
) WITHOUT ROWID;

-- Attribution per (model, scenario, term): the regressor's values predicting each forecast
-- period and its contribution coef * value (term 0: the intercept, value 1), JSON arrays at
-- the search's frequency (element 0, p0, null); effect_9q: the outcome at P9 (PH when the
-- horizon is shorter) with the feature held at its p0 value after p0, minus the scenario's
-- (NULL for the intercept and the periodic dummies).
CREATE TABLE attribution_data (
    run_id        INTEGER NOT NULL,
    spec_index    INTEGER NOT NULL,
    scenario      TEXT NOT NULL,
    term          INTEGER NOT NULL CHECK (term >= 0),
    feature       TEXT NOT NULL,
    coef          REAL NOT NULL,
    feature_values TEXT NOT NULL,
    contributions TEXT NOT NULL,
    effect_9q     REAL,
    UNIQUE (run_id, spec_index, scenario, term),
    FOREIGN KEY (run_id, spec_index) REFERENCES sensitivity_models (run_id, spec_index)
);

-- The uncertainty band per (model, scenario, path frequency, quantile): the prediction
-- interval's bound of the transform (Student-t, the fit's covariance; search frequency only)
-- and the simulated quantile of the level (element 0: the actual level at p0 / P0).
CREATE TABLE band_data (
    run_id           INTEGER NOT NULL,
    spec_index       INTEGER NOT NULL,
    scenario         TEXT NOT NULL,
    frequency        TEXT NOT NULL CHECK (frequency IN ('M', 'Q')),
    quantile         REAL NOT NULL CHECK (quantile > 0 AND quantile < 1),
    transform_values TEXT,
    levels           TEXT NOT NULL,
    UNIQUE (run_id, spec_index, scenario, frequency, quantile),
    FOREIGN KEY (run_id, spec_index) REFERENCES sensitivity_models (run_id, spec_index)
);

-- The drivers of the validated models (the data series their features are computed from)
-- under each scenario: the actual values up to p0 (`history`, aligned with scenario_history's
-- dates) and the scenario's after it (`path`, aligned with scenario_dates' steps at the
-- search's frequency, element 0 the value at p0) — the inputs a validator checks before the
-- outputs. Replaced per driver by each validation; dropped with another forecast set.
CREATE TABLE scenario_driver_paths (
    run_id        INTEGER NOT NULL REFERENCES runs (run_id),
    scenario      TEXT NOT NULL,
    driver        TEXT NOT NULL,
    inputs_sha256 TEXT NOT NULL CHECK (length(inputs_sha256) = 64),
    history       TEXT NOT NULL,
    path          TEXT NOT NULL,
    UNIQUE (run_id, scenario, driver)
);
