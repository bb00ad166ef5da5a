-- Trent schema, version 1. Key material, domain keys and secret access keys
-- are stored only wrapped (see ARCHITECTURE.md, "Key hierarchy").

CREATE TABLE domain_keys (
    id          INTEGER PRIMARY KEY,
    wrapped     BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE accounts (
    id          TEXT    PRIMARY KEY,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE access_keys (
    id              TEXT    PRIMARY KEY,
    account         TEXT    NOT NULL REFERENCES accounts(id),
    principal       TEXT    NOT NULL,
    wrapped_secret  BLOB    NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE keys (
    id                   TEXT    PRIMARY KEY,
    account              TEXT    NOT NULL,
    region               TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    spec                 TEXT    NOT NULL,
    usage                TEXT    NOT NULL,
    origin               TEXT    NOT NULL,
    state                TEXT    NOT NULL,
    created_at           INTEGER NOT NULL,
    policy               TEXT    NOT NULL,
    tags                 TEXT    NOT NULL,
    multi_region         INTEGER NOT NULL,
    current_version      INTEGER NOT NULL,
    deletion_date        INTEGER,
    pending_window_days  INTEGER,
    revision             INTEGER NOT NULL
) STRICT;

CREATE INDEX keys_by_scope ON keys (account, region, id);

CREATE TABLE key_versions (
    key_id            TEXT    NOT NULL REFERENCES keys(id),
    version           INTEGER NOT NULL,
    material_id       TEXT    NOT NULL,
    wrapped_material  BLOB    NOT NULL,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (key_id, version)
) STRICT;

CREATE TABLE aliases (
    account     TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    target      TEXT    NOT NULL REFERENCES keys(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
) STRICT;

CREATE INDEX aliases_by_target ON aliases (target);
