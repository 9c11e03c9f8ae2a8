-- Views over stability and backtests (migrations/0012_stability.sql), re-created on every open.

-- One row per (model, coefficient, expanding window): the window's end date, the coefficient,
-- its non-robust SE and the ±2 SE band.
DROP VIEW IF EXISTS recursive_coefficients;
CREATE VIEW recursive_coefficients AS
SELECT p.run_id, p.spec_index, p.position, p.name,
       CAST(d.key AS INTEGER) AS step, d.value AS date,
       json_extract(p.coefs, '$[' || d.key || ']') AS coef,
       json_extract(p.ses, '$[' || d.key || ']') AS se,
       json_extract(p.coefs, '$[' || d.key || ']')
           - 2 * json_extract(p.ses, '$[' || d.key || ']') AS lower,
       json_extract(p.coefs, '$[' || d.key || ']')
           + 2 * json_extract(p.ses, '$[' || d.key || ']') AS upper
FROM recursive_paths p
JOIN stability_windows w ON w.run_id = p.run_id AND w.spec_index = p.spec_index,
     json_each(w.dates) d;

-- One row per (model, break test): test ('cusum_ols', 'cusum_recursive', 'hansen', 'chow'),
-- date (Chow: the break date; CUSUMs: where the path is closest to its boundary), statistic,
-- p-value or critical value, verdict ('stable', 'unstable', 'not_computed') and note.
DROP VIEW IF EXISTS break_tests;
CREATE VIEW break_tests AS
SELECT run_id, spec_index, test, date, statistic, p_value, critical_value, verdict, note
FROM break_test_results;

-- One row per (model, jump-off, quarter after it): predicted and actual quarterly level and the
-- % error (predicted / actual - 1, a fraction).
DROP VIEW IF EXISTS backtest_paths;
CREATE VIEW backtest_paths AS
SELECT j.run_id, j.spec_index, j.jump_off,
       CASE j.in_sample WHEN 1 THEN 'in_sample' ELSE 'out_of_sample' END AS sample,
       CAST(d.key AS INTEGER) + 1 AS step, d.value AS date,
       json_extract(j.predicted, '$[' || d.key || ']') AS predicted_level,
       json_extract(j.actual, '$[' || d.key || ']') AS actual_level,
       json_extract(j.pct_error, '$[' || d.key || ']') AS pct_error
FROM backtest_jump_offs j, json_each(j.dates) d;

-- One row per (model, sample of jump-offs, step): the mean |% error| of that step, with the
-- model's count of jump-offs, worst jump-off and sign hit rate over the horizon.
DROP VIEW IF EXISTS backtest_summary;
CREATE VIEW backtest_summary AS
SELECT s.run_id, s.spec_index, s.sample, s.quarters, s.jump_offs,
       CAST(m.key AS INTEGER) + 1 AS step, m.value AS mean_abs_pct_error,
       s.worst_jump_off, s.worst_mape AS worst_mean_abs_pct_error, s.sign_hit_rate
FROM backtest_summaries s, json_each(s.mape_by_step) m;
