-- Example queries over a journal, to copy into `sqlite3 <workspace>/journal.sqlite` or
-- `specsearch query CONFIG "…"`. Each example is one statement; the views are documented in
-- sql/views.sql. Run ids: `SELECT run_id, name, status FROM runs`. Examples pick the latest run
-- with `(SELECT max(run_id) FROM runs)`; write a run id instead to pick another (or `:run` in
-- `specsearch query`, bound to `--run`). Driver names are the demo's (examples/demo).

-- example: progress and pass rate of every run
SELECT run_id, name, status, evaluated, spec_count, percent_done, passed, pass_percent
FROM run_progress
ORDER BY run_id;

-- example: the 10 best models of the latest run
SELECT rank, round(score, 4) AS score, round(r2, 3) AS r2, cov_type, features
FROM passed_models
WHERE run_id = (SELECT max(run_id) FROM runs)
ORDER BY rank
LIMIT 10;

-- example: top models containing a given driver (any transform or lag of `unemp`)
SELECT m.rank, round(m.score, 4) AS score, round(m.r2, 3) AS r2, m.features
FROM passed_models m
WHERE m.run_id = (SELECT max(run_id) FROM runs)
  AND EXISTS (SELECT 1 FROM passed_model_features f
              WHERE f.run_id = m.run_id AND f.spec_index = m.spec_index AND f.base = 'unemp')
ORDER BY m.rank
LIMIT 10;

-- example: pass rate by number of variables (a dummy set counts as one variable)
SELECT n_variables,
       count(*) AS specs,
       sum(status = 'passed') AS passed,
       round(100.0 * sum(status = 'passed') / count(*), 2) AS pass_percent
FROM outcomes_expanded
WHERE run_id = (SELECT max(run_id) FROM runs)
GROUP BY n_variables
ORDER BY n_variables;

-- example: which lag of each variable passes most often (pass rate of specs containing it)
WITH lagged AS (
    SELECT f.base,
           -- the lag is the number after a final `_L` (`unemp_QQDF2_L1` → 1), else 0
           CASE WHEN substr(f.feature, length(rtrim(f.feature, '0123456789')) - 1, 2) = '_L'
                     AND rtrim(f.feature, '0123456789') <> f.feature
                THEN CAST(substr(f.feature, length(rtrim(f.feature, '0123456789')) + 1) AS INTEGER)
                ELSE 0 END AS lag,
           f.status
    FROM outcome_features f
    WHERE f.run_id = (SELECT max(run_id) FROM runs) AND f.role = 'variant'
)
SELECT base, lag, count(*) AS specs, sum(status = 'passed') AS passed,
       round(100.0 * sum(status = 'passed') / count(*), 2) AS pass_percent
FROM lagged
GROUP BY base, lag
ORDER BY base, pass_percent DESC, lag;

-- example: why specs failed, filter by filter
SELECT failed_test, specs, percent_of_outcomes
FROM failures_by_test
WHERE run_id = (SELECT max(run_id) FROM runs)
ORDER BY code;

-- example: the three features most often involved in each filter's failures
SELECT failed_test, rank, feature, failures, failure_percent
FROM failure_features
WHERE run_id = (SELECT max(run_id) FROM runs) AND rank <= 3
ORDER BY code, rank;

-- example: errors by type, and one message of each
SELECT error_type, specs, messages, example
FROM errors_by_type
WHERE run_id = (SELECT max(run_id) FROM runs);

-- example: compare the latest run with the one before it: models passing in only one of them
-- (matched by feature names, so runs over re-frozen data compare too)
WITH a AS (SELECT features, rank, r2 FROM passed_models
           WHERE run_id = (SELECT max(run_id) FROM runs WHERE run_id < (SELECT max(run_id) FROM runs))),
     b AS (SELECT features, rank, r2 FROM passed_models
           WHERE run_id = (SELECT max(run_id) FROM runs))
SELECT 'only in latest' AS side, b.features, b.rank, round(b.r2, 4) AS r2
FROM b WHERE b.features NOT IN (SELECT features FROM a)
UNION ALL
SELECT 'only in previous', a.features, a.rank, round(a.r2, 4)
FROM a WHERE a.features NOT IN (SELECT features FROM b)
ORDER BY side, rank;

-- example: compare two runs side by side: counts per outcome and per failed filter (from the
-- counters the writer keeps, so this costs the same for any number of outcomes)
SELECT coalesce(t.name, st.name) AS outcome,
       sum(c.specs * (c.run_id = (SELECT max(run_id) FROM runs
                                  WHERE run_id < (SELECT max(run_id) FROM runs))))
           AS previous_run,
       sum(c.specs * (c.run_id = (SELECT max(run_id) FROM runs))) AS latest_run
FROM outcome_counts c
JOIN outcome_statuses st ON st.code = c.status
LEFT JOIN filter_tests t ON t.code = c.failed_test
GROUP BY outcome
ORDER BY outcome;

-- example: a model's coefficients and p-values from its JSON detail (rank 1 of the latest run)
SELECT m.rank, c.key AS term, c.value AS coef,
       json_extract(m.detail, '$.bse[' || c.key || ']') AS std_err,
       json_extract(m.detail, '$.pvalues[' || c.key || ']') AS p_value
FROM passed_models m, json_each(m.detail, '$.params') c
WHERE m.run_id = (SELECT max(run_id) FROM runs) AND m.rank = 1
ORDER BY c.key;

-- example: worker throughput and CPU use of the latest run's sessions
SELECT session_id, worker, specs, round(busy_seconds, 2) AS busy_s,
       round(specs_per_busy_second) AS specs_per_s, round(cpu_share, 2) AS cpu_share,
       max_rss_kb, exit_status
FROM worker_telemetry
WHERE run_id = (SELECT max(run_id) FROM runs)
ORDER BY session_id, worker;
