-- Views over the sensitivity, attribution and bands of validated models
-- (migrations/0011_sensitivity.sql), re-created on every open. Dates come from the run's
-- forecast set (scenario_dates), which the analysed paths were computed from.

-- One row per (model, scenario, shocked feature, shock, signed k, path frequency, period):
-- run_id, spec_index, scenario, feature (NULL for the unshocked path), shock ('none',
-- 'coefficient': beta + k*SE, 'driver': the feature + k*sigma), k, frequency, step (0 = p0),
-- label, date, transform_value (NULL at p0 and for a monthly search's quarters), level.
DROP VIEW IF EXISTS sensitivity_paths;
CREATE VIEW sensitivity_paths AS
SELECT p.run_id, p.spec_index, p.scenario, f.feature, p.shock, p.k, p.frequency, d.step,
       d.label, d.date,
       json_extract(p.transform_values, '$[' || l.key || ']') AS transform_value,
       l.value AS level
FROM sensitivity_path_data p
LEFT JOIN sensitivity_features f
  ON f.run_id = p.run_id AND f.spec_index = p.spec_index AND f.term = p.term,
json_each(p.levels) l
JOIN scenario_dates d ON d.run_id = p.run_id AND d.frequency = p.frequency AND d.step = l.key;

-- The §8 statistics of every path of sensitivity_paths, with the feature's name, its SE and
-- sigma (the shock's unit).
DROP VIEW IF EXISTS sensitivity_stats;
CREATE VIEW sensitivity_stats AS
SELECT s.run_id, s.spec_index, s.scenario, f.feature, s.shock, s.k,
       CASE s.shock WHEN 'coefficient' THEN f.se WHEN 'driver' THEN f.sigma END AS unit,
       s.p0_level, s.p4_level, s.p9_level, s.p12_level, s.last_level, s.cagr_4q, s.cagr_9q,
       s.cagr_12q, s.change_9q, s.pct_change_9q, s.pct_diff_base_9q
FROM sensitivity_stat_data s
LEFT JOIN sensitivity_features f
  ON f.run_id = s.run_id AND f.spec_index = s.spec_index AND f.term = s.term;

-- One row per (model, scenario, term, forecast period) at the search's frequency: the
-- regressor's value, its contribution coef * value to the predicted transform (the terms of
-- a period sum to it; the intercept is the term 'const'), and effect_9q (see the table).
DROP VIEW IF EXISTS scenario_attribution;
CREATE VIEW scenario_attribution AS
SELECT a.run_id, a.spec_index, a.scenario, a.term, a.feature, a.coef, d.step, d.label, d.date,
       json_extract(a.feature_values, '$[' || c.key || ']') AS value,
       c.value AS contribution, a.effect_9q
FROM attribution_data a
JOIN runs r ON r.run_id = a.run_id,
json_each(a.contributions) c
JOIN scenario_dates d ON d.run_id = a.run_id AND d.frequency = r.frequency AND d.step = c.key
WHERE c.key > 0;

-- One row per (model, scenario, path frequency, quantile, period): the prediction interval's
-- bound of the transform at that quantile and the simulated quantile of the level.
DROP VIEW IF EXISTS scenario_bands;
CREATE VIEW scenario_bands AS
SELECT b.run_id, b.spec_index, b.scenario, b.frequency, b.quantile, d.step, d.label, d.date,
       json_extract(b.transform_values, '$[' || l.key || ']') AS transform_value,
       l.value AS level
FROM band_data b, json_each(b.levels) l
JOIN scenario_dates d ON d.run_id = b.run_id AND d.frequency = b.frequency AND d.step = l.key;
