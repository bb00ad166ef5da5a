-- Key lifecycle: automatic rotation, rotation history, imported material,
-- destroyed keys.

ALTER TABLE keys ADD COLUMN rotation_period_days INTEGER;
ALTER TABLE keys ADD COLUMN next_rotation_at INTEGER;
ALTER TABLE keys ADD COLUMN next_expiry_at INTEGER;
ALTER TABLE key_versions ADD COLUMN rotation_type TEXT;
-- Imported material: NULL expiration_model means generated material.
ALTER TABLE key_versions ADD COLUMN expiration_model TEXT;
ALTER TABLE key_versions ADD COLUMN valid_to INTEGER;
ALTER TABLE key_versions ADD COLUMN material_description TEXT;

CREATE INDEX keys_due_deletion ON keys (deletion_date) WHERE deletion_date IS NOT NULL;
CREATE INDEX keys_due_rotation ON keys (next_rotation_at) WHERE next_rotation_at IS NOT NULL;
CREATE INDEX keys_due_expiry ON keys (next_expiry_at) WHERE next_expiry_at IS NOT NULL;

-- What is left of a destroyed key: no material, only the fact, so that its
-- ciphertexts answer NotFoundException rather than looking forged.
CREATE TABLE destroyed_keys (
    id            TEXT    PRIMARY KEY,
    account       TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    destroyed_at  INTEGER NOT NULL
) STRICT;
