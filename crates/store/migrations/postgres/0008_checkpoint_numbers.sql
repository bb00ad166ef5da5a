-- Numbered checkpoints (trent_core::audit::AuditCheckpoint): each has a
-- number, unique, and the digest of the one before it, both signed. The
-- checkpoints signed before this migration keep NULL in both (their
-- signatures cover neither).
ALTER TABLE audit_checkpoints ADD COLUMN number BIGINT;
ALTER TABLE audit_checkpoints ADD COLUMN prev BYTEA;
CREATE UNIQUE INDEX audit_checkpoints_by_number ON audit_checkpoints (number);
