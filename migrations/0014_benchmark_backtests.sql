-- journal.sqlite, version 14: §12's backtest summary of the benchmarks and the incumbent
-- (docs/semantics.md §12, §13), beside the validated models' `backtest_summaries`: from the
-- same jump-offs, each benchmark projected on actual drivers (the AR(1) recursively from the
-- jump-off's transform, no change from its level) and converted to levels as a model is.
-- Written with the benchmarks at finish (and by `specsearch forecast`), replacing the run's rows.
CREATE TABLE benchmark_backtests (
    run_id           INTEGER NOT NULL,
    benchmark        TEXT NOT NULL,
    sample           TEXT NOT NULL CHECK (sample IN ('all', 'in_sample', 'out_of_sample')),
    quarters         INTEGER NOT NULL CHECK (quarters >= 1),
    jump_offs        INTEGER NOT NULL CHECK (jump_offs >= 1),
    -- JSON array: mean |% error| (a fraction) of step 1, 2, … over the jump-offs.
    mape_by_step     TEXT NOT NULL CHECK (json_valid(mape_by_step)),
    worst_jump_off   TEXT NOT NULL,
    worst_mape       REAL,
    sign_hit_rate    REAL NOT NULL CHECK (sign_hit_rate BETWEEN 0 AND 1),
    PRIMARY KEY (run_id, benchmark, sample),
    FOREIGN KEY (run_id, benchmark) REFERENCES benchmarks (run_id, name)
) WITHOUT ROWID;
