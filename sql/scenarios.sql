-- Views over scenario forecasts (migrations/0005_scenarios.sql), re-created on every open.

-- One row per (model, scenario, path, period): run_id, spec_index, rank (the model's rank in
-- the run's ranking; NULL for a passed model left out of it), scenario, frequency (the path:
-- 'M' monthly or 'Q' quarterly), step (0 = p0), label (P0.. / M0..), date, transform_value
-- (NULL at p0 and for the quarterly aggregation of a monthly path), level, kind ('model': the
-- benchmarks' and the incumbent's forecasts are in `benchmark_forecasts`, and all of them in
-- `forecasts`, whose `kind` tells them apart; sql/benchmarks.sql).
DROP VIEW IF EXISTS scenario_forecasts;
CREATE VIEW scenario_forecasts AS
SELECT p.run_id, p.spec_index, r.rank, p.scenario, p.frequency, d.step, d.label, d.date,
       json_extract(p.transform_values, '$[' || l.key || ']') AS transform_value,
       l.value AS level, 'model' AS kind
FROM scenario_paths p
LEFT JOIN ranking r ON r.run_id = p.run_id AND r.spec_index = p.spec_index,
     json_each(p.levels) l
JOIN scenario_dates d ON d.run_id = p.run_id AND d.frequency = p.frequency AND d.step = l.key;

-- One row per (ranked passed model, scenario): rank, score, R², features, the scenario
-- statistics and the ordering check. Models left out of the ranking by
-- `scenarios.require_order` are not ranked, so they are not here (see scenario_stats).
DROP VIEW IF EXISTS scenario_summary;
CREATE VIEW scenario_summary AS
SELECT m.run_id, m.rank, m.spec_index, m.score, m.r2, m.features,
       s.scenario, c.position AS scenario_position, c.is_base,
       s.p0_level, s.p4_level, s.p9_level, s.p12_level, s.last_level,
       s.cagr_4q, s.cagr_9q, s.cagr_12q, s.change_9q, s.pct_change_9q, s.pct_diff_base_9q,
       o.in_order
FROM scenario_stats s
JOIN scenarios c ON c.run_id = s.run_id AND c.name = s.scenario
JOIN passed_models m ON m.run_id = s.run_id AND m.spec_index = s.spec_index
LEFT JOIN scenario_order o ON o.run_id = s.run_id AND o.spec_index = s.spec_index;
