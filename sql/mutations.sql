-- Views over mutation records and replays (migrations/0002_mutations.sql), installed into every
-- journal next to sql/views.sql. `specsearch audit` prints `mutation_audit`; both can be queried
-- with plain sqlite3, e.g.
--   SELECT name, definition, passed_specs, replay_action FROM mutation_audit WHERE run_id = 1;

-- One row per (passed spec, composite column it uses), with the spec's rank when it is the
-- ranked representative of its model (NULL for a duplicate spec key).
DROP VIEW IF EXISTS mutation_uses;
CREATE VIEW mutation_uses AS
SELECT o.run_id,
       f.name,
       f.feature_id,
       o.spec_index,
       r.rank
FROM passed p
-- CROSS JOIN keeps SQLite from scanning every outcome: passed models drive the join.
CROSS JOIN row_columns o ON o.run_id = p.run_id AND o.spec_index = p.spec_index
CROSS JOIN run_features f ON f.run_id = o.run_id AND f.feature_id = o.feature_id
LEFT JOIN ranking r ON r.run_id = o.run_id AND r.spec_index = o.spec_index
WHERE f.role = 'composite';

-- Every mutation of every run: its definition and hash, the first spec that needed it (and the
-- worker that built it there), the passed specs using it (count, ranked models, best rank, and
-- the list of spec indices as a JSON array), and what the latest replay into features.duckdb
-- did (NULL while not replayed yet; a conflict is retried by the next finish).
DROP VIEW IF EXISTS mutation_audit;
CREATE VIEW mutation_audit AS
WITH uses AS (
    SELECT run_id,
           name,
           count(*) AS passed_specs,
           count(rank) AS ranked_models,
           min(rank) AS best_rank,
           json_group_array(spec_index) AS passed_spec_indices
    FROM (SELECT * FROM mutation_uses ORDER BY run_id, name, spec_index)
    GROUP BY run_id, name
)
SELECT m.run_id,
       ru.name AS run_name,
       m.name,
       m.definition,
       m.sha256,
       m.first_spec_index,
       m.session_id,
       m.worker,
       m.recorded_at,
       coalesce(u.passed_specs, 0) AS passed_specs,
       coalesce(u.ranked_models, 0) AS ranked_models,
       u.best_rank,
       coalesce(u.passed_spec_indices, '[]') AS passed_spec_indices,
       rp.action AS replay_action,
       rp.detail AS replay_detail,
       rp.replayed_at,
       (SELECT count(*) FROM replays r WHERE r.run_id = m.run_id AND r.name = m.name)
           AS replay_attempts
FROM mutations m
JOIN runs ru ON ru.run_id = m.run_id
LEFT JOIN uses u ON u.run_id = m.run_id AND u.name = m.name
LEFT JOIN replays rp ON rp.replay_id = (SELECT max(r.replay_id) FROM replays r
                                         WHERE r.run_id = m.run_id AND r.name = m.name);
