-- Ranking of one run's passed models (docs/semantics.md §7), used by `run` at finish (stored in
-- the `ranking` table) and by `top --weights` (re-ranking without re-running).
-- Parameters: ?1 run_id, ?2 weight of fit, ?3 weight of in-sample errors, ?4 weight of
-- out-of-sample errors.
--
-- Models are deduplicated by spec key (the lowest spec index is kept); every metric is min–max
-- normalised over the deduplicated passed set (errors inverted; a constant metric scores 0.5);
-- a group's score is the mean of its metrics; the composite is the weighted mean of the group
-- scores, out-of-sample dropped when the run has none; ties go to the lower spec index.
WITH models AS (
    SELECT *
    FROM (SELECT p.*, row_number() OVER (PARTITION BY p.spec_key ORDER BY p.spec_index) AS copy
          FROM passed p
          WHERE p.run_id = ?1)
    WHERE copy = 1
),
b AS (
    SELECT min(r2) AS r2_lo, max(r2) AS r2_hi,
           min(adj_r2) AS ar2_lo, max(adj_r2) AS ar2_hi,
           min(is_max_abs) AS ismax_lo, max(is_max_abs) AS ismax_hi,
           min(is_mae) AS ismae_lo, max(is_mae) AS ismae_hi,
           min(is_rmse) AS isrmse_lo, max(is_rmse) AS isrmse_hi,
           min(oos_max_abs) AS oosmax_lo, max(oos_max_abs) AS oosmax_hi,
           min(oos_mae) AS oosmae_lo, max(oos_mae) AS oosmae_hi,
           min(oos_rmse) AS oosrmse_lo, max(oos_rmse) AS oosrmse_hi,
           count(*) > 0 AND count(oos_rmse) = count(*) AS has_oos
    FROM models
),
scored AS (
    SELECT m.spec_index,
           b.has_oos,
           ((CASE WHEN b.r2_hi > b.r2_lo THEN (m.r2 - b.r2_lo) / (b.r2_hi - b.r2_lo) ELSE 0.5 END)
            + (CASE WHEN b.ar2_hi > b.ar2_lo THEN (m.adj_r2 - b.ar2_lo) / (b.ar2_hi - b.ar2_lo) ELSE 0.5 END)
           ) / 2.0 AS fit_score,
           ((CASE WHEN b.ismax_hi > b.ismax_lo THEN 1.0 - (m.is_max_abs - b.ismax_lo) / (b.ismax_hi - b.ismax_lo) ELSE 0.5 END)
            + (CASE WHEN b.ismae_hi > b.ismae_lo THEN 1.0 - (m.is_mae - b.ismae_lo) / (b.ismae_hi - b.ismae_lo) ELSE 0.5 END)
            + (CASE WHEN b.isrmse_hi > b.isrmse_lo THEN 1.0 - (m.is_rmse - b.isrmse_lo) / (b.isrmse_hi - b.isrmse_lo) ELSE 0.5 END)
           ) / 3.0 AS is_score,
           CASE WHEN b.has_oos THEN
           ((CASE WHEN b.oosmax_hi > b.oosmax_lo THEN 1.0 - (m.oos_max_abs - b.oosmax_lo) / (b.oosmax_hi - b.oosmax_lo) ELSE 0.5 END)
            + (CASE WHEN b.oosmae_hi > b.oosmae_lo THEN 1.0 - (m.oos_mae - b.oosmae_lo) / (b.oosmae_hi - b.oosmae_lo) ELSE 0.5 END)
            + (CASE WHEN b.oosrmse_hi > b.oosrmse_lo THEN 1.0 - (m.oos_rmse - b.oosrmse_lo) / (b.oosrmse_hi - b.oosrmse_lo) ELSE 0.5 END)
           ) / 3.0 END AS oos_score
    FROM models m, b
),
composite AS (
    SELECT spec_index, fit_score, is_score, oos_score,
           (?2 * fit_score + ?3 * is_score + CASE WHEN has_oos THEN ?4 * oos_score ELSE 0.0 END)
           / (?2 + ?3 + CASE WHEN has_oos THEN ?4 ELSE 0.0 END) AS score
    FROM scored
)
SELECT row_number() OVER (ORDER BY score DESC, spec_index ASC) AS rank,
       spec_index, score, fit_score, is_score, oos_score
FROM composite
ORDER BY rank
