-- journal.sqlite, version 2: mutation records and replays (seed design, step 6).
--
-- Workers build composite features (interaction, regime) on private copies of the frozen
-- columns. For every passed model they report each composite it depends on; the journal keeps
-- one record per (run, name). After every worker has exited, the coordinator replays each
-- record into features.duckdb and journals what it did; then it validates that every passed
-- model's columns are in the store with matching hashes (see the `mutation_audit` view in
-- sql/mutations.sql).

-- One composite feature a passed model of the run depends on, recorded once per run and name.
CREATE TABLE mutations (
    run_id           INTEGER NOT NULL REFERENCES runs (run_id),
    -- Column name: `a_b_MUL` (interaction) or `feature@column_on` (regime).
    name             TEXT NOT NULL,
    -- Canonical definition: `interaction(a, b)` or `regime(feature, column, on)`.
    definition       TEXT NOT NULL,
    -- sha256 (hex) of the values over every date of the frozen calendar: little-endian IEEE
    -- bits, every NaN canonical (store::column_sha256).
    sha256           TEXT NOT NULL CHECK (length(sha256) = 64),
    -- The lowest passed spec index that needed it (the minimum over every record seen, so it
    -- does not depend on the order outcomes arrived in), and who built it for that spec.
    first_spec_index INTEGER NOT NULL CHECK (first_spec_index >= 0),
    session_id       INTEGER NOT NULL,
    worker           INTEGER NOT NULL,
    -- When the first record arrived.
    recorded_at      TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

-- One row per replay of a mutation into features.duckdb. A mutation is replayed successfully
-- (inserted or already present) at most once per run: a resumed or repeated finish skips every
-- name that has such a row (the unique index below enforces it); a conflict is retried by the
-- next finish (e.g. after the store was restored), and every attempt has its row.
CREATE TABLE replays (
    replay_id   INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (run_id),
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL CHECK (length(sha256) = 64),
    -- inserted: values and catalogue row written; already_present: the store had the same name
    -- with the same values; conflict: the store (or the frozen data) disagrees, see `detail`.
    action      TEXT NOT NULL CHECK (action IN ('inserted', 'already_present', 'conflict')),
    detail      TEXT CHECK (action <> 'conflict' OR detail IS NOT NULL),
    replayed_at TEXT NOT NULL,
    FOREIGN KEY (run_id, name) REFERENCES mutations (run_id, name)
);
CREATE UNIQUE INDEX replays_once ON replays (run_id, name) WHERE action <> 'conflict';
CREATE INDEX replays_by_name ON replays (run_id, name, replay_id);
