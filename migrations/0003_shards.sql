-- journal.sqlite, version 3: shards. A run made with `run --shard I/N` evaluates only the spec
-- indices its shard owns (blocks of 4096 indices dealt round-robin, see src/runtime/shard.rs);
-- `merge` unions shard journals into one run. Both columns are NULL for an unsharded run.
ALTER TABLE runs ADD COLUMN shard_index INTEGER CHECK (shard_index >= 0);
ALTER TABLE runs ADD COLUMN shard_count INTEGER CHECK (shard_count >= 1);
