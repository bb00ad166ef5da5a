-- A chain per node (issue 26). Until now every node's appends formed one
-- chain under one advisory lock, so every node's every audited request
-- waited for the others'. Now each node holds a chain of its own (chosen
-- at its first append under a session advisory lock, postgres/mod.rs) and
-- appends to it under a lock of that chain alone.
--
-- A record keeps `seq`, its place in the trail's order (LookupEvents and
-- export read by it; from the sequence `audit_seq`, so unique across
-- chains without a lock), and gains `chain` and `position`, its place in
-- its chain, which the chain hash covers. The records before this
-- migration form chain 0, where the position is the seq.

ALTER TABLE audit_events ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN position BIGINT;
UPDATE audit_events SET position = seq;
ALTER TABLE audit_events ALTER COLUMN position SET NOT NULL;
ALTER TABLE audit_events ALTER COLUMN chain DROP DEFAULT;
-- A chain's appends end at its own end of this index: nodes appending at
-- once write different pages. It is also what keeps a chain from forking.
CREATE UNIQUE INDEX audit_events_by_chain ON audit_events (chain, position);

CREATE SEQUENCE audit_seq;
SELECT setval('audit_seq', COALESCE((SELECT MAX(seq) FROM audit_events), 0) + 1, false);

-- Checkpoints are per chain, numbered per chain.
ALTER TABLE audit_checkpoints ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_checkpoints ALTER COLUMN chain DROP DEFAULT;
ALTER TABLE audit_checkpoints DROP CONSTRAINT audit_checkpoints_pkey;
ALTER TABLE audit_checkpoints ADD PRIMARY KEY (chain, seq);
DROP INDEX audit_checkpoints_by_number;
CREATE UNIQUE INDEX audit_checkpoints_by_number ON audit_checkpoints (chain, number);

-- One row per chain that was ever appended to: `indexed` is the position up
-- to which its records have their audit_lookup and audit_resources rows (the
-- one indexed point of `audit_index` no longer works: seqs of different
-- chains commit out of order).
CREATE TABLE audit_chains (
    chain    INTEGER PRIMARY KEY,
    indexed  BIGINT  NOT NULL
);

INSERT INTO audit_chains (chain, indexed) SELECT 0, through FROM audit_index;
DROP TABLE audit_index;
