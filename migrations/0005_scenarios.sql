-- journal.sqlite, version 5: scenario forecasts of a run's passed models. Derived at finish
-- (and by `specsearch forecast`) from the journaled coefficients, the frozen data and the
-- scenario tables; a forecast set replaces the run's previous one in one transaction. Scenarios
-- are not part of a run's identity: each set records the inputs it came from.

-- One row per scenario of the run's forecast set: its files (JSON list of {path, sheet,
-- sha256}), the jumping-off date and the horizon.
CREATE TABLE scenarios (
    run_id        INTEGER NOT NULL REFERENCES runs (run_id),
    name          TEXT NOT NULL,
    -- Display order: `scenarios.order` first, then the others as listed.
    position      INTEGER NOT NULL CHECK (position >= 0),
    is_base       INTEGER NOT NULL CHECK (is_base IN (0, 1)),
    -- Position in `scenarios.order` (NULL: not in the ordering check).
    order_position INTEGER,
    sources       TEXT NOT NULL,
    p0            TEXT NOT NULL,
    horizon_end   TEXT NOT NULL,
    -- Forecast periods at the search's frequency, and complete quarters.
    periods       INTEGER NOT NULL CHECK (periods >= 1),
    quarters      INTEGER NOT NULL CHECK (quarters >= 0),
    -- How monthly paths become quarterly: mean, sum, end.
    aggregation   TEXT NOT NULL CHECK (aggregation IN ('mean', 'sum', 'end')),
    direction     TEXT NOT NULL CHECK (direction IN ('down', 'up')),
    -- sha256 over every scenario's sources and the settings: one value per forecast set.
    inputs_sha256 TEXT NOT NULL CHECK (length(inputs_sha256) = 64),
    -- Values on or before p0 that disagree with history (JSON list of text), or NULL.
    notes         TEXT,
    forecast_at   TEXT NOT NULL,
    PRIMARY KEY (run_id, name),
    UNIQUE (run_id, position)
) WITHOUT ROWID;

-- The target's actual level up to p0 (the fan chart's history), at the search's frequency.
CREATE TABLE scenario_history (
    run_id INTEGER NOT NULL REFERENCES runs (run_id),
    date   TEXT NOT NULL,
    level  REAL,
    PRIMARY KEY (run_id, date)
) WITHOUT ROWID;

-- The periods of the run's forecast paths: per path frequency ('M' or 'Q') and step (0 = p0,
-- the actual), its label (P0..PH for quarters, M0..Mn for months) and date.
CREATE TABLE scenario_dates (
    run_id    INTEGER NOT NULL REFERENCES runs (run_id),
    frequency TEXT NOT NULL CHECK (frequency IN ('M', 'Q')),
    step      INTEGER NOT NULL CHECK (step >= 0),
    label     TEXT NOT NULL,
    date      TEXT NOT NULL,
    PRIMARY KEY (run_id, frequency, step)
) WITHOUT ROWID;

-- One row per (model, scenario, path): the search's own path (frequency 'M' or 'Q') and, for
-- monthly searches, its quarterly aggregation ('Q', no transform values). The values are JSON
-- arrays indexed by step (element 0 is p0: the actual level, no transform value; missing
-- values are null), so a forecast set of thousands of models is a few tens of thousands of
-- rows; the view `scenario_forecasts` (sql/scenarios.sql) has one row per period.
CREATE TABLE scenario_paths (
    run_id           INTEGER NOT NULL,
    spec_index       INTEGER NOT NULL,
    scenario         TEXT NOT NULL,
    frequency        TEXT NOT NULL CHECK (frequency IN ('M', 'Q')),
    -- JSON array of the predicted target transform (NULL for an aggregated path).
    transform_values TEXT,
    -- JSON array of the target's level.
    levels           TEXT NOT NULL,
    -- A rowid table: rows of a few kilobytes do not suit a WITHOUT ROWID B-tree.
    UNIQUE (run_id, spec_index, scenario, frequency)
);

-- The statistics of one model under one scenario from its quarterly levels P0..PH: levels at
-- P0, P4, P9, P12 and PH, (P_q / P0)^(4/q) - 1 for q = 4, 9, 12, the 9Q change and % change,
-- and P9 / P9(base) - 1. NULL where the horizon does not reach the quarter.
CREATE TABLE scenario_stats (
    run_id           INTEGER NOT NULL,
    spec_index       INTEGER NOT NULL,
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
    PRIMARY KEY (run_id, spec_index, scenario),
    FOREIGN KEY (run_id, scenario) REFERENCES scenarios (run_id, name)
) WITHOUT ROWID;

-- The ordering check of a model (`scenarios.order`): 1 when its 9Q outcome is monotone along
-- the order in `scenarios.direction`. Never changes which models pass the filters; with
-- `scenarios.require_order` the models out of order are left out of the ranking.
CREATE TABLE scenario_order (
    run_id     INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index INTEGER NOT NULL,
    in_order   INTEGER NOT NULL CHECK (in_order IN (0, 1)),
    PRIMARY KEY (run_id, spec_index)
) WITHOUT ROWID;
