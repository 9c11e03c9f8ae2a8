-- journal.sqlite, version 12: stability over time (docs/semantics.md §11) and dynamic
-- backtests (§12) of a run's validated models. Derived from the journaled coefficients and the
-- frozen data by the validation step; writing a model's results replaces that model's previous
-- ones in one transaction, so validating again with other settings leaves no stale rows.
-- Paths are stored compactly (JSON arrays indexed by step), one row per model and series; the
-- views of sql/stability.sql have one row per point.

-- Walk-forward trials: the full in-sample fit ('final', cut 0) and one trial per entry of
-- `stability.cuts` ('WF1', 'WF2', … by position in the list, so a skipped trial never shifts
-- the labels). in_start..in_end is the trial's fit window; the pseudo out-of-sample is the
-- `cut` rows after in_end up to the original in-sample end (never the true out-of-sample).
-- rmse_in divides by nobs, rmse_oos by the cut rows. A skipped trial (too few rows left) has
-- only its label, cut, window, nobs and a note.
CREATE TABLE stability_trials (
    run_id      INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index  INTEGER NOT NULL,
    trial       TEXT NOT NULL CHECK (trial = 'final' OR trial GLOB 'WF[1-9]*'),
    -- 0 for 'final', k for 'WFk' (display order).
    position    INTEGER NOT NULL CHECK (position >= 0),
    cut         INTEGER NOT NULL CHECK (cut >= 0),
    in_start    TEXT NOT NULL,
    in_end      TEXT NOT NULL,
    nobs        INTEGER NOT NULL CHECK (nobs >= 0),
    cov_type    TEXT CHECK (cov_type IN ('nonrobust', 'HC1', 'HAC')),
    r2          REAL,
    adj_r2      REAL,
    rmse_in     REAL,
    rmse_oos    REAL,
    mae_oos     REAL,
    max_abs_oos REAL,
    -- The trial's verdict under every filter of §5: 1 passed, 0 filtered (failed_test says
    -- where) or not fitted (note says why); NULL for a skipped trial.
    passes      INTEGER CHECK (passes IN (0, 1)),
    failed_test TEXT REFERENCES filter_tests (slug),
    note        TEXT,
    PRIMARY KEY (run_id, spec_index, trial),
    UNIQUE (run_id, spec_index, position)
) WITHOUT ROWID;

-- Every coefficient of every (not skipped) trial, with its SE and p-value under the trial's
-- covariance choice and its change from the full in-sample fit, (b_trial - b) / b (NULL when
-- b = 0).
CREATE TABLE stability_coefficients (
    run_id     INTEGER NOT NULL,
    spec_index INTEGER NOT NULL,
    trial      TEXT NOT NULL,
    -- Coefficient order: 0 = the intercept.
    position   INTEGER NOT NULL CHECK (position >= 0),
    name       TEXT NOT NULL,
    coef       REAL,
    se         REAL,
    pvalue     REAL,
    pct_change REAL,
    PRIMARY KEY (run_id, spec_index, trial, name),
    FOREIGN KEY (run_id, spec_index, trial)
        REFERENCES stability_trials (run_id, spec_index, trial)
) WITHOUT ROWID;

-- Recursive (expanding-window) coefficients: the window ending on each in-sample date from the
-- first n0 = max(2·columns, 24 monthly / 12 quarterly) rows on; per coefficient a JSON array of
-- coefficients and one of non-robust SEs, indexed like `dates` of stability_windows.
CREATE TABLE stability_windows (
    run_id     INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index INTEGER NOT NULL,
    -- The first window's start (the in-sample start) and its rows.
    start_date TEXT NOT NULL,
    first_rows INTEGER NOT NULL CHECK (first_rows >= 1),
    -- JSON array of the windows' end dates.
    dates      TEXT NOT NULL CHECK (json_valid(dates)),
    PRIMARY KEY (run_id, spec_index)
) WITHOUT ROWID;

CREATE TABLE recursive_paths (
    run_id     INTEGER NOT NULL,
    spec_index INTEGER NOT NULL,
    position   INTEGER NOT NULL CHECK (position >= 0),
    name       TEXT NOT NULL,
    coefs      TEXT NOT NULL CHECK (json_valid(coefs)),
    ses        TEXT NOT NULL CHECK (json_valid(ses)),
    PRIMARY KEY (run_id, spec_index, position),
    FOREIGN KEY (run_id, spec_index) REFERENCES stability_windows (run_id, spec_index)
);

-- Break tests of the in-sample fit: the CUSUM of OLS residuals (Ploberger–Krämer), the CUSUM
-- of recursive residuals with its 5 % boundaries (Brown–Durbin–Evans), Hansen's (1992) joint
-- test (5 % critical value from his table, no p-value) and a Chow F test at each
-- `stability.break_dates` (date = the first date of the second regime). For the CUSUMs, date
-- is where the path comes closest to (or furthest past) its boundary. verdict: 'stable',
-- 'unstable', or 'not_computed' (note says why).
CREATE TABLE break_test_results (
    run_id         INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index     INTEGER NOT NULL,
    position       INTEGER NOT NULL CHECK (position >= 0),
    test           TEXT NOT NULL CHECK (test IN ('cusum_ols', 'cusum_recursive', 'hansen', 'chow')),
    date           TEXT,
    statistic      REAL,
    p_value        REAL,
    critical_value REAL,
    verdict        TEXT NOT NULL CHECK (verdict IN ('stable', 'unstable', 'not_computed')),
    note           TEXT,
    PRIMARY KEY (run_id, spec_index, position)
) WITHOUT ROWID;

-- The two CUSUM paths of a model for the report's plot: from first_date on, one point per
-- in-sample date; `upper` is the 5 % boundary at each point (the lower one is its negative);
-- the OLS-residual CUSUM's boundary is the constant critical value.
CREATE TABLE cusum_paths (
    run_id     INTEGER NOT NULL,
    spec_index INTEGER NOT NULL,
    test       TEXT NOT NULL CHECK (test IN ('cusum_ols', 'cusum_recursive')),
    first_date TEXT NOT NULL,
    path       TEXT NOT NULL CHECK (json_valid(path)),
    upper      TEXT NOT NULL CHECK (json_valid(upper)),
    PRIMARY KEY (run_id, spec_index, test)
);

-- Dynamic backtests: from each jump-off, the model projected `quarters` quarters on actual
-- drivers, converted to the target's level as a scenario is (§8), against the actual level.
-- JSON arrays indexed by step - 1 (step 1 = the first quarter after the jump-off); a jump-off
-- on or before the in-sample end is an in-sample backtest.
CREATE TABLE backtest_jump_offs (
    run_id           INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index       INTEGER NOT NULL,
    jump_off         TEXT NOT NULL,
    in_sample        INTEGER NOT NULL CHECK (in_sample IN (0, 1)),
    p0_level         REAL NOT NULL,
    dates            TEXT NOT NULL CHECK (json_valid(dates)),
    predicted        TEXT NOT NULL CHECK (json_valid(predicted)),
    actual           TEXT NOT NULL CHECK (json_valid(actual)),
    pct_error        TEXT NOT NULL CHECK (json_valid(pct_error)),
    -- P_H / P0 - 1 over the whole horizon, predicted and actual.
    predicted_change REAL,
    actual_change    REAL,
    PRIMARY KEY (run_id, spec_index, jump_off)
);

-- Per model and sample ('all', 'in_sample', 'out_of_sample' jump-offs): how many jump-offs,
-- the mean |% error| of each step (JSON array), the jump-off with the largest mean |% error|
-- over its steps, and the share of jump-offs whose change over the horizon has the right
-- sign.
CREATE TABLE backtest_summaries (
    run_id           INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index       INTEGER NOT NULL,
    sample           TEXT NOT NULL CHECK (sample IN ('all', 'in_sample', 'out_of_sample')),
    quarters         INTEGER NOT NULL CHECK (quarters >= 1),
    jump_offs        INTEGER NOT NULL CHECK (jump_offs >= 1),
    mape_by_step     TEXT NOT NULL CHECK (json_valid(mape_by_step)),
    worst_jump_off   TEXT NOT NULL,
    worst_mape       REAL,
    sign_hit_rate    REAL NOT NULL CHECK (sign_hit_rate BETWEEN 0 AND 1),
    PRIMARY KEY (run_id, spec_index, sample)
) WITHOUT ROWID;

-- What a model's stability or backtest analysis left out, and why (a trial skipped, no
-- recursive window, a break date too close to an end, a jump-off without drivers).
CREATE TABLE stability_notes (
    run_id     INTEGER NOT NULL REFERENCES runs (run_id),
    spec_index INTEGER NOT NULL,
    analysis   TEXT NOT NULL CHECK (analysis IN ('stability', 'backtest')),
    position   INTEGER NOT NULL CHECK (position >= 0),
    note       TEXT NOT NULL,
    PRIMARY KEY (run_id, spec_index, analysis, position)
) WITHOUT ROWID;
