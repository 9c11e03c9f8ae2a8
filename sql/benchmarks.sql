-- Views over benchmarks and the incumbent (migrations/0013_benchmarks.sql), re-created on every
-- open; after sql/scenarios.sql, which they read.

-- One row per (benchmark or incumbent, scenario, path, period), columns as
-- `scenario_forecasts` with `benchmark` (its name) and `kind` ('benchmark' | 'incumbent') in
-- place of spec_index.
DROP VIEW IF EXISTS benchmark_forecasts;
CREATE VIEW benchmark_forecasts AS
SELECT p.run_id, p.benchmark, b.kind, p.scenario, p.frequency, d.step, d.label, d.date,
       json_extract(p.transform_values, '$[' || l.key || ']') AS transform_value,
       l.value AS level
FROM benchmark_paths p
JOIN benchmarks b ON b.run_id = p.run_id AND b.name = p.benchmark,
     json_each(p.levels) l
JOIN scenario_dates d ON d.run_id = p.run_id AND d.frequency = p.frequency AND d.step = l.key;

-- Every forecast of a run side by side: the passed models' (kind 'model', spec_index and rank
-- set, benchmark NULL), the benchmarks' and the incumbent's (kind 'benchmark' / 'incumbent',
-- benchmark set, spec_index and rank NULL). Select with `WHERE kind = …`.
DROP VIEW IF EXISTS forecasts;
CREATE VIEW forecasts AS
SELECT run_id, kind, spec_index, rank, NULL AS benchmark, scenario, frequency, step, label,
       date, transform_value, level
FROM scenario_forecasts
UNION ALL
SELECT run_id, kind, NULL AS spec_index, NULL AS rank, benchmark, scenario, frequency, step,
       label, date, transform_value, level
FROM benchmark_forecasts;

-- The benchmarks and the incumbent of each run with their error metrics and, for every passed
-- model of the run's ranking, nothing else: the best benchmark by out-of-sample RMSE is the one
-- `top` compares the models with (`oos_rmse_vs_best_benchmark` = model / best; < 1 beats it).
DROP VIEW IF EXISTS benchmark_fits;
CREATE VIEW benchmark_fits AS
SELECT b.run_id, b.position, b.name, b.kind, b.method, b.features, b.coefficients_given,
       b.nobs, b.nobs_oos, b.r2, b.adj_r2, b.is_max_abs, b.is_mae, b.is_rmse, b.oos_max_abs,
       b.oos_mae, b.oos_rmse, b.cov_type, b.passes, t.name AS failed_test, b.spec_key, b.note
FROM benchmarks b
LEFT JOIN filter_tests t ON t.code = b.failed_test;
