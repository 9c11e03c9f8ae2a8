-- Views installed into every journal (re-created each time specsearch opens it for writing; the
-- read-only commands `status`, `top`, `show`, `failures`, `query` and `export` also install them
-- as TEMP views on their own connection, so a journal written by an older specsearch reads the
-- same). They hold no data: each is a documented query over the tables of migrations/.
--
-- They use only SQL that the sqlite3 shells of common distributions (3.38+, JSON built in)
-- understand, so a journal can be queried with plain `sqlite3`: no `group_concat(x ORDER BY …)`
-- (lists are ordered in a subquery instead), no `->>`, no `unixepoch()`.
--
-- Every view has a `run_id` column: filter on it (`WHERE run_id = 3`) or join `runs` for names.
-- Examples of use: sql/examples.sql.

-- Outcomes are stored two ways (migrations/0010_outcome_blocks.sql): every outcome of a run
-- journaled before version 10, and the passed and error outcomes of later runs, as a row of
-- `outcomes`; the outcomes of later runs as one code per spec in `outcome_blocks`, their
-- columns following from the run's plan. The views below read both, so a query over them
-- sees every outcome once, whatever wrote it.

-- One row per (row outcome, feature): the feature ids of an outcome row, spec order,
-- `position` 0 first: the run's common prefix (`run_spec_prefixes`, the forced columns every
-- spec begins with) followed by the row's own `feature_codes`, one character per feature whose
-- code point is the feature id. Looking one spec up (`WHERE run_id = … AND spec_index = …`) is
-- a primary-key lookup: passed models and errors always have a row.
-- Columns: run_id, spec_index, status (code), failed_test (code), position, feature_id.
DROP VIEW IF EXISTS row_columns;
CREATE VIEW row_columns AS
SELECT o.run_id,
       o.spec_index,
       o.status,
       o.failed_test,
       s.slot - 1 AS position,
       unicode(substr(x.feature_codes || o.feature_codes, s.slot, 1)) AS feature_id
FROM outcomes o
-- CROSS JOIN keeps the outcome outermost: its codes bound the slots walked.
CROSS JOIN run_spec_prefixes x ON x.run_id = o.run_id
CROSS JOIN feature_slots s ON s.slot <= length(x.feature_codes) + length(o.feature_codes);

-- One row per spec of the outcome blocks, with its code decoded and the first spec index of
-- its combo (`plan_combos`): a block is walked combo by combo, from the combo holding its first
-- spec.
-- Columns: run_id, spec_index, status (code), failed_test (code), cov_type (the covariance
-- the spec was judged under; NULL when it stopped before the choice), session_id, worker,
-- first_index.
DROP VIEW IF EXISTS block_outcomes;
CREATE VIEW block_outcomes AS
SELECT b.run_id,
       b.start_index + o.k AS spec_index,
       c.status,
       c.failed_test,
       c.cov_type,
       b.session_id,
       b.worker,
       p.first_index
FROM outcome_blocks b
CROSS JOIN plan_combos p ON p.run_id = b.run_id
     AND p.first_index >= (SELECT q.first_index FROM plan_combos q
                            WHERE q.run_id = b.run_id AND q.first_index <= b.start_index
                            ORDER BY q.first_index DESC LIMIT 1)
     AND p.first_index < b.end_index
CROSS JOIN block_offsets o ON o.k >= max(p.first_index - b.start_index, 0)
     AND o.k < min(p.first_index + p.specs, b.end_index) - b.start_index
JOIN outcome_codes c ON c.code = substr(b.codes, o.k + 1, 1);

-- One row per (filtered outcome of a block, feature): a spec's columns from its index and the
-- run's plan: element k of its combo takes variant ((spec_index − first_index) / stride) %
-- radix, the spec is the union of those variants' columns in `sort_rank` order (rule S).
-- Passed and error outcomes of blocks are in `row_columns`, from their rows.
-- Columns: run_id, spec_index, status (code), failed_test (code), position, feature_id.
DROP VIEW IF EXISTS block_columns;
CREATE VIEW block_columns AS
WITH cols AS (
    SELECT DISTINCT o.run_id, o.spec_index, o.status, o.failed_test, v.feature_id, f.sort_rank
    FROM block_outcomes o
    CROSS JOIN plan_combo_elements e ON e.run_id = o.run_id AND e.first_index = +o.first_index
    CROSS JOIN plan_variants v ON v.run_id = e.run_id AND v.element_id = e.element_id
         AND v.variant = ((o.spec_index - o.first_index) / e.stride) % e.radix
    CROSS JOIN run_features f ON f.run_id = v.run_id AND f.feature_id = v.feature_id
    WHERE o.status = 1
)
SELECT run_id,
       spec_index,
       status,
       failed_test,
       row_number() OVER (PARTITION BY run_id, spec_index ORDER BY sort_rank) - 1 AS position,
       feature_id
FROM cols;

-- One row per (outcome, feature): every outcome's feature ids in spec order, `position` 0
-- first. The building block of every view that lists a spec's features; join `run_features`
-- on (run_id, feature_id) for names.
-- Columns: run_id, spec_index, status (code), failed_test (code), position, feature_id.
DROP VIEW IF EXISTS outcome_columns;
CREATE VIEW outcome_columns AS
SELECT * FROM row_columns
UNION ALL
SELECT * FROM block_columns;

-- Every outcome with readable status and failed-test names.
-- Columns: run_id, spec_index, status ('passed' | 'filtered' | 'error'), failed_test (name of
-- the first failed filter, NULL unless filtered), r2 (NULL for the filtered outcomes of runs
-- journaled in blocks), message (errors), feature_ids (JSON array of feature ids, spec order;
-- names: `outcomes_expanded.features` or `outcome_features`),
-- session_id, worker, eval_us (evaluation time in microseconds; NULL for a block's filtered
-- outcomes, whose block records the time of all its specs).
DROP VIEW IF EXISTS outcome_status;
CREATE VIEW outcome_status AS
SELECT o.run_id,
       o.spec_index,
       st.name AS status,
       t.name AS failed_test,
       o.r2,
       o.message,
       (SELECT json_group_array(id)
          FROM (SELECT unicode(substr(x.feature_codes || o.feature_codes, s.slot, 1)) AS id
                  FROM feature_slots s
                 WHERE s.slot <= length(x.feature_codes) + length(o.feature_codes)
                 ORDER BY s.slot)) AS feature_ids,
       o.session_id,
       o.worker,
       o.eval_us
FROM outcomes o
CROSS JOIN run_spec_prefixes x ON x.run_id = o.run_id
JOIN outcome_statuses st ON st.code = o.status
LEFT JOIN filter_tests t ON t.code = o.failed_test
UNION ALL
SELECT o.run_id,
       o.spec_index,
       st.name,
       t.name,
       NULL,
       NULL,
       (SELECT json_group_array(feature_id)
          FROM (SELECT DISTINCT v.feature_id, f.sort_rank
                  FROM plan_combo_elements e
                  -- CROSS JOIN: the combo's few elements drive the lookups.
                  CROSS JOIN plan_variants v ON v.run_id = e.run_id
                       AND v.element_id = e.element_id
                       AND v.variant = ((o.spec_index - o.first_index) / e.stride) % e.radix
                  CROSS JOIN run_features f ON f.run_id = v.run_id
                       AND f.feature_id = v.feature_id
                 WHERE e.run_id = o.run_id AND e.first_index = o.first_index
                 ORDER BY f.sort_rank)),
       o.session_id,
       o.worker,
       NULL
FROM block_outcomes o
JOIN outcome_statuses st ON st.code = o.status
LEFT JOIN filter_tests t ON t.code = o.failed_test
WHERE o.status = 1;

-- One row per (outcome, feature): the spec's columns by name, `position` in spec order.
-- Columns: run_id, spec_index, status, failed_test (filter code), position, feature_id,
-- feature (name, e.g. unemp_QQDF_L1), base (variable, e.g. unemp; dummies: M or Q), role.
DROP VIEW IF EXISTS outcome_features;
CREATE VIEW outcome_features AS
SELECT c.run_id,
       c.spec_index,
       st.name AS status,
       c.failed_test,
       c.position,
       f.feature_id,
       f.name AS feature,
       f.base,
       f.role
FROM outcome_columns c
CROSS JOIN run_features f ON f.run_id = c.run_id AND f.feature_id = c.feature_id
JOIN outcome_statuses st ON st.code = c.status;

-- Every outcome with its features expanded: the columns of `outcome_status` plus
-- features (names, comma-separated, spec order, as in `passed_models.features`), n_columns
-- (design columns besides the intercept) and n_variables (distinct variables; a dummy set
-- counts as one). In every view `features` holds names and `feature_ids` ids.
DROP VIEW IF EXISTS outcomes_expanded;
CREATE VIEW outcomes_expanded AS
SELECT s.*,
       (SELECT group_concat(name, ', ')
          FROM (SELECT f.name FROM json_each(s.feature_ids) j
                JOIN run_features f ON f.run_id = s.run_id AND f.feature_id = j.value
                ORDER BY j.key)) AS features,
       json_array_length(s.feature_ids) AS n_columns,
       (SELECT count(DISTINCT f.base) FROM json_each(s.feature_ids) j
          JOIN run_features f ON f.run_id = s.run_id AND f.feature_id = j.value) AS n_variables
FROM outcome_status s;

-- The features of every passed spec, ranked or not (`passed_models` and `top --weights` read
-- them). Columns: run_id, spec_index, n_variables (distinct variables; a dummy set counts as
-- one), n_columns (design columns besides the intercept), features (names, spec order).
DROP VIEW IF EXISTS passed_feature_lists;
CREATE VIEW passed_feature_lists AS
SELECT p.run_id,
       p.spec_index,
       (SELECT count(DISTINCT f.base) FROM row_columns c
          CROSS JOIN run_features f ON f.run_id = c.run_id AND f.feature_id = c.feature_id
         WHERE c.run_id = p.run_id AND c.spec_index = p.spec_index) AS n_variables,
       (SELECT count(*) FROM row_columns c
         WHERE c.run_id = p.run_id AND c.spec_index = p.spec_index) AS n_columns,
       (SELECT group_concat(name, ', ')
          FROM (SELECT f.name FROM row_columns c
                CROSS JOIN run_features f ON f.run_id = c.run_id AND f.feature_id = c.feature_id
                WHERE c.run_id = p.run_id AND c.spec_index = p.spec_index
                ORDER BY c.position)) AS features
FROM passed p;

-- Passed models, deduplicated (lowest spec index of each spec key) and ranked by the run's
-- weights (the `ranking` table, written when a run completes; `specsearch top --weights`
-- re-ranks with others). Columns: run_id, rank, spec_index, score (composite, higher is better),
-- fit_score, is_score, oos_score (group scores in [0, 1]), r2, adj_r2, is_mae, is_rmse,
-- is_max_abs, oos_mae, oos_rmse, oos_max_abs (NULL without an out-of-sample window), cov_type
-- (nonrobust | HC1 | HAC), n_variables, n_columns, features (names, spec order), spec_key,
-- detail (every statistic as JSON: params, bse, pvalues, tests; see `specsearch show`).
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
       p.is_mae,
       p.is_rmse,
       p.is_max_abs,
       p.oos_mae,
       p.oos_rmse,
       p.oos_max_abs,
       p.cov_type,
       l.n_variables,
       l.n_columns,
       l.features,
       p.spec_key,
       p.detail
FROM ranking r
JOIN passed p ON p.run_id = r.run_id AND p.spec_index = r.spec_index
JOIN passed_feature_lists l ON l.run_id = r.run_id AND l.spec_index = r.spec_index;

-- One row per (ranked passed model, feature): for "top models containing a driver".
-- Columns: run_id, rank, spec_index, score, r2, position, feature, base, role.
DROP VIEW IF EXISTS passed_model_features;
CREATE VIEW passed_model_features AS
SELECT r.run_id, r.rank, r.spec_index, r.score, p.r2, c.position,
       f.name AS feature, f.base, f.role
FROM ranking r
JOIN passed p ON p.run_id = r.run_id AND p.spec_index = r.spec_index
CROSS JOIN row_columns c ON c.run_id = r.run_id AND c.spec_index = r.spec_index
CROSS JOIN run_features f ON f.run_id = c.run_id AND f.feature_id = c.feature_id;

-- How many specs failed at each filter, per run (filters nobody failed are left out). Read
-- from the counters the journal writer keeps (`outcome_counts`), so it costs the same for any
-- number of outcomes and is current to the writer's last commit (at most about a second behind
-- a running run).
-- Columns: run_id, code (1..7, order of the filters), failed_test, specs, percent_of_outcomes,
-- percent_of_filtered.
DROP VIEW IF EXISTS failures_by_test;
CREATE VIEW failures_by_test AS
WITH per_test AS (
    SELECT run_id, failed_test, sum(specs) AS specs
    FROM outcome_counts
    WHERE status = 1
    GROUP BY run_id, failed_test
),
per_run AS (
    SELECT run_id, sum(specs) AS outcomes, sum(specs * (status = 1)) AS filtered
    FROM outcome_counts
    GROUP BY run_id
)
SELECT p.run_id,
       t.code,
       t.name AS failed_test,
       p.specs,
       round(100.0 * p.specs / r.outcomes, 2) AS percent_of_outcomes,
       round(100.0 * p.specs / r.filtered, 2) AS percent_of_filtered
FROM per_test p
JOIN filter_tests t ON t.code = p.failed_test
JOIN per_run r ON r.run_id = p.run_id
WHERE p.specs > 0
ORDER BY p.run_id, t.code;

-- The features most common among the specs that failed each filter, per run. Read from the
-- counters the journal writer keeps (`feature_counts`, `outcome_counts`): as fresh as
-- `failures_by_test`, whatever the number of outcomes.
-- Columns: run_id, code, failed_test, rank (1 = the feature in most of this filter's
-- failures; ties by name), feature, base, role, failures (specs failing this filter that
-- contain the feature), percent_of_test_failures, specs_with_feature (evaluated specs that
-- contain it), failure_percent (percent of those that failed this filter: large counts of a
-- feature that is in many specs are expected, a high rate is informative), in_every_spec (1
-- when every evaluated spec of the run contains the feature, as forced features do: its
-- counts say nothing about the feature).
DROP VIEW IF EXISTS failure_features;
CREATE VIEW failure_features AS
WITH totals AS (
    SELECT run_id, feature_id, sum(specs) AS specs_with_feature
    FROM feature_counts
    GROUP BY run_id, feature_id
),
per_test AS (
    SELECT run_id, failed_test, sum(specs) AS failures
    FROM outcome_counts
    WHERE status = 1
    GROUP BY run_id, failed_test
),
per_run AS (
    SELECT run_id, sum(specs) AS outcomes
    FROM outcome_counts
    GROUP BY run_id
)
SELECT p.run_id,
       t.code,
       t.name AS failed_test,
       row_number() OVER (PARTITION BY p.run_id, p.failed_test ORDER BY p.specs DESC, f.name)
           AS rank,
       f.name AS feature,
       f.base,
       f.role,
       p.specs AS failures,
       round(100.0 * p.specs / pt.failures, 2) AS percent_of_test_failures,
       tot.specs_with_feature,
       round(100.0 * p.specs / tot.specs_with_feature, 2) AS failure_percent,
       tot.specs_with_feature = r.outcomes AS in_every_spec
FROM feature_counts p
JOIN filter_tests t ON t.code = p.failed_test
JOIN run_features f ON f.run_id = p.run_id AND f.feature_id = p.feature_id
JOIN totals tot ON tot.run_id = p.run_id AND tot.feature_id = p.feature_id
JOIN per_test pt ON pt.run_id = p.run_id AND pt.failed_test = p.failed_test
JOIN per_run r ON r.run_id = p.run_id
WHERE p.status = 1 AND p.specs > 0;

-- Errors grouped by message. `error_type` is the message up to its first ':', '(' or quote
-- (e.g. "worker crashed", "non-finite value"), for grouping similar messages.
-- Columns: run_id, error_type, message, specs, first_spec_index.
DROP VIEW IF EXISTS errors_by_message;
CREATE VIEW errors_by_message AS
SELECT run_id,
       rtrim(substr(message, 1, min(
           CASE WHEN instr(message, ':') > 0 THEN instr(message, ':') ELSE length(message) + 1 END,
           CASE WHEN instr(message, '(') > 0 THEN instr(message, '(') ELSE length(message) + 1 END,
           CASE WHEN instr(message, '''') > 0 THEN instr(message, '''') ELSE length(message) + 1 END
       ) - 1)) AS error_type,
       message,
       count(*) AS specs,
       min(spec_index) AS first_spec_index
FROM outcomes
WHERE status = 2
GROUP BY run_id, message
ORDER BY run_id, specs DESC, message;

-- Errors grouped by type (see `errors_by_message`).
-- Columns: run_id, error_type, specs, messages (distinct messages), first_spec_index, example.
DROP VIEW IF EXISTS errors_by_type;
CREATE VIEW errors_by_type AS
SELECT run_id,
       error_type,
       sum(specs) AS specs,
       count(*) AS messages,
       min(first_spec_index) AS first_spec_index,
       min(message) AS example
FROM errors_by_message
GROUP BY run_id, error_type
ORDER BY run_id, specs DESC, error_type;

-- Progress of every run: outcomes so far against the spec count, rates, and for a running run
-- the throughput of its current session and an estimated time to completion. Counts come from
-- the writer's `outcome_counts` (a few rows per session, current to its last commit).
-- Columns: run_id, name, status, spec_count, evaluated, passed, filtered, errors,
-- percent_done, pass_percent (percent of evaluated), sessions, created_at, finished_at,
-- session_started_at (current/last session), session_specs (outcomes of that session),
-- session_seconds, specs_per_second, eta_seconds (running runs only).
-- A run whose coordinator was killed stays 'running' until resumed; `specsearch status` tells
-- the two apart by the workspace lock.
DROP VIEW IF EXISTS run_progress;
CREATE VIEW run_progress AS
WITH counts AS (
    SELECT r.run_id,
           (SELECT coalesce(sum(specs), 0) FROM outcome_counts c WHERE c.run_id = r.run_id)
               AS evaluated,
           (SELECT coalesce(sum(specs), 0) FROM outcome_counts c
             WHERE c.run_id = r.run_id AND c.status = 0) AS passed,
           (SELECT coalesce(sum(specs), 0) FROM outcome_counts c
             WHERE c.run_id = r.run_id AND c.status = 1) AS filtered,
           (SELECT coalesce(sum(specs), 0) FROM outcome_counts c
             WHERE c.run_id = r.run_id AND c.status = 2) AS errors,
           (SELECT count(*) FROM sessions s WHERE s.run_id = r.run_id) AS sessions,
           (SELECT max(session_id) FROM sessions s WHERE s.run_id = r.run_id) AS last_session
    FROM runs r
),
last AS (
    SELECT c.*,
           s.started_at AS session_started_at,
           (SELECT coalesce(sum(specs), 0) FROM outcome_counts o
             WHERE o.run_id = c.run_id AND o.session_id = c.last_session) AS session_specs,
           (julianday(coalesce(s.ended_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))
            - julianday(s.started_at)) * 86400.0 AS session_seconds
    FROM counts c
    LEFT JOIN sessions s ON s.run_id = c.run_id AND s.session_id = c.last_session
)
SELECT r.run_id,
       r.name,
       r.status,
       r.spec_count,
       l.evaluated,
       l.passed,
       l.filtered,
       l.errors,
       round(CASE WHEN r.spec_count > 0 THEN 100.0 * l.evaluated / r.spec_count ELSE 100.0 END, 2)
           AS percent_done,
       round(CASE WHEN l.evaluated > 0 THEN 100.0 * l.passed / l.evaluated END, 3) AS pass_percent,
       l.sessions,
       r.created_at,
       r.finished_at,
       l.session_started_at,
       l.session_specs,
       round(l.session_seconds, 3) AS session_seconds,
       round(CASE WHEN l.session_seconds > 0 THEN l.session_specs / l.session_seconds END, 1)
           AS specs_per_second,
       CASE WHEN r.status = 'running' AND l.session_specs > 0 AND l.session_seconds > 0
            THEN round((r.spec_count - l.evaluated) * l.session_seconds / l.session_specs, 1)
       END AS eta_seconds
FROM runs r
JOIN last l ON l.run_id = r.run_id;

-- Worker telemetry with per-worker throughput and CPU share of its wall time.
-- Columns: those of `workers` plus specs_per_busy_second, wall_seconds, cpu_share (user + sys
-- CPU over wall time).
DROP VIEW IF EXISTS worker_telemetry;
CREATE VIEW worker_telemetry AS
SELECT w.*,
       CASE WHEN w.busy_seconds > 0 THEN w.specs / w.busy_seconds END AS specs_per_busy_second,
       (julianday(coalesce(w.ended_at, w.started_at)) - julianday(w.started_at)) * 86400.0
           AS wall_seconds,
       CASE WHEN julianday(coalesce(w.ended_at, w.started_at)) > julianday(w.started_at)
            THEN (coalesce(w.user_cpu_seconds, 0) + coalesce(w.sys_cpu_seconds, 0))
                 / ((julianday(w.ended_at) - julianday(w.started_at)) * 86400.0)
       END AS cpu_share
FROM workers w;
