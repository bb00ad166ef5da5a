-- Grants: permissions on one key for one principal, with optional
-- encryption context constraints. Operations and constraints are JSON.

CREATE TABLE grants (
    key_id            TEXT    NOT NULL REFERENCES keys(id),
    grant_id          TEXT    NOT NULL,
    key_arn           TEXT    NOT NULL,
    name              TEXT,
    grantee           TEXT    NOT NULL,
    retiring          TEXT,
    issuing_account   TEXT    NOT NULL,
    operations        TEXT    NOT NULL,
    constraints_json  TEXT,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (key_id, grant_id)
) STRICT;

CREATE INDEX grants_by_retiring ON grants (retiring, key_id, grant_id) WHERE retiring IS NOT NULL;
