-- Grants: permissions on one key for one principal, with optional
-- encryption context constraints. Operations and constraints are JSON text.

CREATE TABLE grants (
    key_id            TEXT COLLATE "C" NOT NULL REFERENCES keys(id),
    grant_id          TEXT COLLATE "C" NOT NULL,
    key_arn           TEXT    NOT NULL,
    name              TEXT,
    grantee           TEXT NOT NULL,
    retiring          TEXT COLLATE "C",
    issuing_account   TEXT NOT NULL,
    operations        TEXT NOT NULL,
    constraints_json  TEXT,
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (key_id, grant_id)
);

CREATE INDEX grants_by_retiring ON grants (retiring, key_id, grant_id) WHERE retiring IS NOT NULL;
