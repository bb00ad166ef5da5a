-- A trail of several chains (issue 26): PostgreSQL deployments give each
-- node a chain of its own, and a record names its chain and its position
-- in it. SQLite has one writer and keeps one chain, 0, where a record's
-- position is its seq: virtual columns, so that records read alike on both
-- backends and nothing more is stored per event.
ALTER TABLE audit_events ADD COLUMN chain INTEGER GENERATED ALWAYS AS (0) VIRTUAL;
ALTER TABLE audit_events ADD COLUMN position INTEGER GENERATED ALWAYS AS (seq) VIRTUAL;
ALTER TABLE audit_checkpoints ADD COLUMN chain INTEGER GENERATED ALWAYS AS (0) VIRTUAL;
