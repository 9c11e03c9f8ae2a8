-- Views installed into every journal (re-created each time specsearch opens it for writing).
-- They hold no data: each is a documented query over the tables of migrations/. They use only
-- SQL that the sqlite3 shells of common distributions (3.38+, JSON built in) understand, so a
-- journal can be queried with plain `sqlite3`.

-- Every outcome with readable status and failed-test names.
DROP VIEW IF EXISTS outcome_status;
CREATE VIEW outcome_status AS
SELECT o.run_id,
       o.spec_index,
       CASE o.status WHEN 0 THEN 'passed' WHEN 1 THEN 'filtered' ELSE 'error' END AS status,
       t.name AS failed_test,
       o.r2,
       o.message,
       o.features,
       o.session_id,
       o.worker,
       o.eval_us
FROM outcomes o
LEFT JOIN filter_tests t ON t.code = o.failed_test;

-- One row per (outcome, feature): the spec's columns by name, `position` in spec order.
DROP VIEW IF EXISTS outcome_features;
CREATE VIEW outcome_features AS
SELECT o.run_id,
       o.spec_index,
       CASE o.status WHEN 0 THEN 'passed' WHEN 1 THEN 'filtered' ELSE 'error' END AS status,
       o.failed_test,
       j.key AS position,
       f.feature_id,
       f.name AS feature,
       f.base,
       f.role
FROM outcomes o
JOIN json_each(o.features) j
JOIN run_features f ON f.run_id = o.run_id AND f.feature_id = j.value;

-- Every outcome with its features as one comma-separated list of names.
DROP VIEW IF EXISTS outcomes_expanded;
CREATE VIEW outcomes_expanded AS
SELECT s.*,
       (SELECT group_concat(name, ', ')
          FROM (SELECT f.name FROM json_each(s.features) j
                JOIN run_features f ON f.run_id = s.run_id AND f.feature_id = j.value
                ORDER BY j.key)) AS feature_names
FROM outcome_status s;

-- Passed models, deduplicated (lowest spec index of each spec key) and ranked (see `ranking`).
DROP VIEW IF EXISTS passed_models;
CREATE VIEW passed_models AS
SELECT r.run_id,
       r.rank,
       r.spec_index,
       r.score,
       r.fit_score,
       r.is_score,
       r.oos_score,
       p.r2,
       p.adj_r2,
       p.is_rmse,
       p.oos_rmse,
       p.cov_type,
       (SELECT group_concat(name, ', ')
          FROM (SELECT f.name FROM outcomes o, json_each(o.features) j
                JOIN run_features f ON f.run_id = o.run_id AND f.feature_id = j.value
                WHERE o.run_id = r.run_id AND o.spec_index = r.spec_index
                ORDER BY j.key)) AS features,
       p.spec_key,
       p.detail
FROM ranking r
JOIN passed p ON p.run_id = r.run_id AND p.spec_index = r.spec_index;

-- How many specs failed at each filter, per run.
DROP VIEW IF EXISTS failures_by_test;
CREATE VIEW failures_by_test AS
SELECT o.run_id,
       t.code,
       t.name AS failed_test,
       count(*) AS specs,
       round(100.0 * count(*) / (SELECT count(*) FROM outcomes a WHERE a.run_id = o.run_id), 2)
           AS percent_of_outcomes
FROM outcomes o
JOIN filter_tests t ON t.code = o.failed_test
WHERE o.status = 1
GROUP BY o.run_id, t.code
ORDER BY o.run_id, t.code;

-- Errors grouped by message.
DROP VIEW IF EXISTS errors_by_message;
CREATE VIEW errors_by_message AS
SELECT run_id, message, count(*) AS specs, min(spec_index) AS first_spec_index
FROM outcomes
WHERE status = 2
GROUP BY run_id, message
ORDER BY run_id, specs DESC;

-- Progress of every run: outcomes so far against the spec count.
DROP VIEW IF EXISTS run_progress;
CREATE VIEW run_progress AS
SELECT r.run_id,
       r.name,
       r.status,
       r.spec_count,
       (SELECT count(*) FROM outcomes o WHERE o.run_id = r.run_id) AS evaluated,
       (SELECT count(*) FROM outcomes o WHERE o.run_id = r.run_id AND o.status = 0) AS passed,
       (SELECT count(*) FROM outcomes o WHERE o.run_id = r.run_id AND o.status = 1) AS filtered,
       (SELECT count(*) FROM outcomes o WHERE o.run_id = r.run_id AND o.status = 2) AS errors,
       r.created_at,
       r.finished_at
FROM runs r;

-- Worker telemetry with per-worker throughput and CPU share of its wall time.
DROP VIEW IF EXISTS worker_telemetry;
CREATE VIEW worker_telemetry AS
SELECT w.*,
       CASE WHEN w.busy_seconds > 0 THEN w.specs / w.busy_seconds END AS specs_per_busy_second,
       (julianday(coalesce(w.ended_at, w.started_at)) - julianday(w.started_at)) * 86400.0
           AS wall_seconds
FROM workers w;
