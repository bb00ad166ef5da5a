-- Custom key stores (AWS KMS's AWS_CLOUDHSM key stores): a PKCS#11 token
-- declared in the configuration ([hsm.NAME], NAME being cluster_id) whose
-- keys are made and used inside it. Regional, like keys: one per id in the
-- deployment (`cks-` and 17 hex digits), its name unique in its account and
-- Region (compared exactly). trust_anchor: the PEM certificate as given.
-- wrapped_password: the token's PIN, wrapped under a domain key and bound
-- to the key store id, never in clear. connection_state: CONNECTED,
-- DISCONNECTED or FAILED; connection_error: AWS's ConnectionErrorCode after
-- a failed connection. mac: the row MAC (trent_core::integrity), written
-- with every row; nullable as the other tables' are, so that a store's
-- rows can be sealed the way 0008_row_macs left them.
--
-- keys.custom_key_store_id: the key store whose token holds a key's
-- material (origin AWS_CLOUDHSM), NULL for every other key. Existing keys
-- keep NULL; their MACs still verify, since a key without a key store
-- leaves the field out of the record the MAC covers
-- (trent_core::model::KeyRecord). keys_by_custom_key_store counts a key
-- store's keys (Store::custom_key_store_keys) without reading the others:
-- partial, as only the keys of key stores have an entry.

CREATE TABLE custom_key_stores (
    id                TEXT    NOT NULL PRIMARY KEY,
    account           TEXT    NOT NULL REFERENCES accounts(id),
    region            TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    cluster_id        TEXT    NOT NULL,
    trust_anchor      TEXT    NOT NULL,
    wrapped_password  BLOB    NOT NULL,
    connection_state  TEXT    NOT NULL,
    connection_error  TEXT,
    created_at        INTEGER NOT NULL,
    mac               BLOB,
    UNIQUE (account, region, name)
) STRICT;

ALTER TABLE keys ADD COLUMN custom_key_store_id TEXT;

CREATE INDEX keys_by_custom_key_store ON keys (account, region, custom_key_store_id)
    WHERE custom_key_store_id IS NOT NULL;
