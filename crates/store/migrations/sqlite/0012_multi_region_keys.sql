-- Multi-Region keys: the related keys of a multi-Region key share one key id
-- (and one account), one key per Region. A key is identified by (id, region)
-- from here on; `primary_region` names a multi-Region key's primary Region
-- (NULL for a single-Region key).
--
-- SQLite cannot change a primary key in place, and with foreign keys on
-- (the store's connections set it) a foreign key to a column that is no
-- longer unique fails every write to its table ("foreign key mismatch").
-- So `keys` and the tables that referenced keys(id) are rebuilt: the old
-- tables are renamed out of the way (which points their foreign keys at the
-- renamed parent), the new ones created under their names and filled with
-- every row as it was (MACs included: no sealed content changes), the old
-- ones dropped children first, and the indexes made again.
--
-- - keys: PRIMARY KEY (id, region). Looked up by (id, region) (key,
--   key_owner, every change) and by id over its Regions (related_keys, in
--   Region order): both searches of this index. Listing a scope still reads
--   keys_by_scope, the scheduler the partial due_* indexes.
-- - key_versions: no foreign key. Versions are identified by (key_id,
--   version) alone and shared by the related keys of a multi-Region key,
--   so there is no one parent row; destroy_key deletes them with the last
--   of the keys that share them.
-- - grants: no foreign key either (a grant names its key by id and ARN,
--   whose Region column it does not have); destroy_key deletes a key's own.
-- - aliases: FOREIGN KEY (target, region) REFERENCES keys (id, region), an
--   alias names a key of its own Region. aliases_by_target gains the region
--   so that the check of a deleted key's aliases is one search.
-- - destroyed_keys: PRIMARY KEY (id, region), a tombstone per Region.

ALTER TABLE aliases RENAME TO aliases_old;
ALTER TABLE grants RENAME TO grants_old;
ALTER TABLE key_versions RENAME TO key_versions_old;
ALTER TABLE keys RENAME TO keys_old;
ALTER TABLE destroyed_keys RENAME TO destroyed_keys_old;

CREATE TABLE keys (
    id                    TEXT    NOT NULL,
    account               TEXT    NOT NULL,
    region                TEXT    NOT NULL,
    description           TEXT    NOT NULL,
    spec                  TEXT    NOT NULL,
    usage                 TEXT    NOT NULL,
    origin                TEXT    NOT NULL,
    state                 TEXT    NOT NULL,
    created_at            INTEGER NOT NULL,
    policy                TEXT    NOT NULL,
    tags                  TEXT    NOT NULL,
    multi_region          INTEGER NOT NULL,
    current_version       INTEGER NOT NULL,
    deletion_date         INTEGER,
    pending_window_days   INTEGER,
    revision              INTEGER NOT NULL,
    rotation_period_days  INTEGER,
    next_rotation_at      INTEGER,
    next_expiry_at        INTEGER,
    mac                   BLOB,
    primary_region        TEXT,
    PRIMARY KEY (id, region)
) STRICT;

INSERT INTO keys (id, account, region, description, spec, usage, origin, state, created_at, policy, tags,
                  multi_region, current_version, deletion_date, pending_window_days, revision,
                  rotation_period_days, next_rotation_at, next_expiry_at, mac, primary_region)
    SELECT id, account, region, description, spec, usage, origin, state, created_at, policy, tags,
           multi_region, current_version, deletion_date, pending_window_days, revision,
           rotation_period_days, next_rotation_at, next_expiry_at, mac, NULL
    FROM keys_old;

CREATE TABLE key_versions (
    key_id                TEXT    NOT NULL,
    version               INTEGER NOT NULL,
    material_id           TEXT    NOT NULL,
    wrapped_material      BLOB    NOT NULL,
    created_at            INTEGER NOT NULL,
    rotation_type         TEXT,
    expiration_model      TEXT,
    valid_to              INTEGER,
    material_description  TEXT,
    mac                   BLOB,
    PRIMARY KEY (key_id, version)
) STRICT;

INSERT INTO key_versions (key_id, version, material_id, wrapped_material, created_at, rotation_type,
                          expiration_model, valid_to, material_description, mac)
    SELECT key_id, version, material_id, wrapped_material, created_at, rotation_type,
           expiration_model, valid_to, material_description, mac
    FROM key_versions_old;

CREATE TABLE aliases (
    account     TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    mac         BLOB,
    PRIMARY KEY (account, region, name),
    FOREIGN KEY (target, region) REFERENCES keys (id, region)
) STRICT;

INSERT INTO aliases (account, region, name, target, created_at, updated_at, mac)
    SELECT account, region, name, target, created_at, updated_at, mac FROM aliases_old;

CREATE TABLE grants (
    key_id            TEXT    NOT NULL,
    grant_id          TEXT    NOT NULL,
    key_arn           TEXT    NOT NULL,
    name              TEXT,
    grantee           TEXT    NOT NULL,
    retiring          TEXT,
    issuing_account   TEXT    NOT NULL,
    operations        TEXT    NOT NULL,
    constraints_json  TEXT,
    created_at        INTEGER NOT NULL,
    mac               BLOB,
    PRIMARY KEY (key_id, grant_id)
) STRICT;

INSERT INTO grants (key_id, grant_id, key_arn, name, grantee, retiring, issuing_account, operations,
                    constraints_json, created_at, mac)
    SELECT key_id, grant_id, key_arn, name, grantee, retiring, issuing_account, operations,
           constraints_json, created_at, mac
    FROM grants_old;

CREATE TABLE destroyed_keys (
    id            TEXT    NOT NULL,
    account       TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    destroyed_at  INTEGER NOT NULL,
    PRIMARY KEY (id, region)
) STRICT;

INSERT INTO destroyed_keys (id, account, region, destroyed_at)
    SELECT id, account, region, destroyed_at FROM destroyed_keys_old;

-- Children before their parent, so that no drop deletes a referenced row.
DROP TABLE aliases_old;
DROP TABLE grants_old;
DROP TABLE key_versions_old;
DROP TABLE keys_old;
DROP TABLE destroyed_keys_old;

CREATE INDEX keys_by_scope ON keys (account, region, id);
CREATE INDEX keys_due_deletion ON keys (deletion_date) WHERE deletion_date IS NOT NULL;
CREATE INDEX keys_due_rotation ON keys (next_rotation_at) WHERE next_rotation_at IS NOT NULL;
CREATE INDEX keys_due_expiry ON keys (next_expiry_at) WHERE next_expiry_at IS NOT NULL;
CREATE INDEX aliases_by_target ON aliases (target, region);
CREATE INDEX grants_by_retiring ON grants (retiring, key_id, grant_id) WHERE retiring IS NOT NULL;
