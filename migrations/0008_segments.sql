-- journal.sqlite, version 8: segments. A config with [[segment]] tables holds several searches
-- (one per portfolio or PPNR line) on shared data; each segment is its own run, named after it
-- (`deposits#1`). Side tables rather than new columns of `runs` and `workers`, so that every
-- existing row reads exactly as before the upgrade.
--
-- The segment of a run (no row: a config without segments).
CREATE TABLE run_segments (
    run_id   INTEGER PRIMARY KEY REFERENCES runs (run_id),
    segment  TEXT NOT NULL CHECK (length(segment) BETWEEN 1 AND 64)
);
CREATE INDEX run_segments_by_name ON run_segments (segment, run_id);

-- What setting a worker up for a session cost it: one warm pool of worker processes serves
-- every segment of an invocation, so a worker's rows in `workers` (one per segment's session)
-- carry the same pid; `warm` = 0 for the setup that started the process (spawn, exec, bundle
-- load), 1 for a later segment's setup on the same process (bundle load only).
CREATE TABLE worker_setups (
    run_id        INTEGER NOT NULL,
    session_id    INTEGER NOT NULL,
    worker        INTEGER NOT NULL,
    pid           INTEGER,
    setup_seconds REAL NOT NULL CHECK (setup_seconds >= 0),
    warm          INTEGER NOT NULL CHECK (warm IN (0, 1)),
    PRIMARY KEY (run_id, session_id, worker),
    FOREIGN KEY (run_id, session_id) REFERENCES sessions (run_id, session_id)
) WITHOUT ROWID;
