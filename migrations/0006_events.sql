-- journal.sqlite, version 6: what happened to a session besides its outcomes — workers the
-- watchdog stopped, workers lost, stops requested and drains that ran out of time — so that
-- `specsearch status` (another process) can show a stalled worker while the run goes on, and
-- the journal keeps the story of every session afterwards.
CREATE TABLE events (
    event_id    INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (run_id),
    session_id  INTEGER NOT NULL,
    at          TEXT NOT NULL,
    -- The worker concerned (NULL for the coordinator's own events).
    worker      INTEGER,
    -- worker_stalled: past its batch's deadline, being stopped (SIGTERM, then SIGKILL);
    -- worker_lost: died or was stopped, its batches re-queued; stop_requested: SIGINT/SIGTERM;
    -- drain_timeout: in-flight batches abandoned after run.drain_timeout.
    kind        TEXT NOT NULL CHECK (kind IN ('worker_stalled', 'worker_lost', 'stop_requested',
                                              'drain_timeout')),
    detail      TEXT NOT NULL,
    FOREIGN KEY (run_id, session_id) REFERENCES sessions (run_id, session_id)
);
CREATE INDEX events_by_session ON events (run_id, session_id, event_id);
