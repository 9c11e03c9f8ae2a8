-- Views over segments (migration 8), re-created on every open like sql/views.sql.

-- One row per worker per segment's session: which segment, its run, the worker's process,
-- what it did for that segment (specs, busy time, CPU, peak RSS so far) and its setup cost.
-- The coordinator's own screen (hybrid scheduling) is worker 4294967295.
DROP VIEW IF EXISTS segment_telemetry;
CREATE VIEW segment_telemetry AS
SELECT s.segment,
       r.name AS run,
       w.run_id,
       w.session_id,
       w.worker,
       w.pid,
       w.specs,
       w.busy_seconds,
       coalesce(w.user_cpu_seconds, 0) + coalesce(w.sys_cpu_seconds, 0) AS cpu_seconds,
       w.max_rss_kb,
       ws.setup_seconds,
       ws.warm,
       w.started_at,
       w.ended_at,
       w.exit_status
FROM workers w
JOIN runs r USING (run_id)
LEFT JOIN run_segments s USING (run_id)
LEFT JOIN worker_setups ws USING (run_id, session_id, worker);
