-- Trent schema on PostgreSQL, version 1. Key material, domain keys and
-- secret access keys are stored only wrapped (ARCHITECTURE.md, "Key
-- hierarchy"). Identifier columns use the "C" collation so that ordering
-- and pagination agree byte for byte with the other backends.

CREATE TABLE domain_keys (
    id          BIGINT  PRIMARY KEY,
    wrapped     BYTEA   NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE accounts (
    id          TEXT COLLATE "C" PRIMARY KEY,
    created_at  BIGINT NOT NULL
);

CREATE TABLE access_keys (
    id              TEXT COLLATE "C" PRIMARY KEY,
    account         TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
    principal       TEXT    NOT NULL,
    wrapped_secret  BYTEA   NOT NULL,
    created_at      BIGINT  NOT NULL
);

CREATE TABLE keys (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    account              TEXT COLLATE "C" NOT NULL,
    region               TEXT COLLATE "C" NOT NULL,
    spec                 TEXT    NOT NULL,
    usage                TEXT    NOT NULL,
    origin               TEXT    NOT NULL,
    created_at           BIGINT  NOT NULL,
    multi_region         BOOLEAN NOT NULL,
    description          TEXT    NOT NULL,
    state                TEXT    NOT NULL,
    policy               TEXT    NOT NULL,
    tags                 TEXT    NOT NULL,
    current_version      BIGINT  NOT NULL,
    deletion_date        BIGINT,
    pending_window_days  BIGINT,
    revision             BIGINT  NOT NULL,
    rotation_period_days BIGINT,
    next_rotation_at     BIGINT,
    next_expiry_at       BIGINT
);

CREATE INDEX keys_by_scope ON keys (account, region, id);
CREATE INDEX keys_due_deletion ON keys (deletion_date) WHERE deletion_date IS NOT NULL;
CREATE INDEX keys_due_rotation ON keys (next_rotation_at) WHERE next_rotation_at IS NOT NULL;
CREATE INDEX keys_due_expiry ON keys (next_expiry_at) WHERE next_expiry_at IS NOT NULL;

CREATE TABLE key_versions (
    key_id                TEXT COLLATE "C" NOT NULL REFERENCES keys(id),
    version               BIGINT  NOT NULL,
    material_id           TEXT    NOT NULL,
    wrapped_material      BYTEA   NOT NULL,
    created_at            BIGINT  NOT NULL,
    rotation_type         TEXT,
    expiration_model      TEXT,
    valid_to              BIGINT,
    material_description  TEXT,
    PRIMARY KEY (key_id, version)
);

CREATE TABLE aliases (
    account     TEXT COLLATE "C" NOT NULL,
    region      TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    target      TEXT COLLATE "C" NOT NULL REFERENCES keys(id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (account, region, name)
);

CREATE INDEX aliases_by_target ON aliases (target);

CREATE TABLE destroyed_keys (
    id            TEXT COLLATE "C" PRIMARY KEY,
    account       TEXT COLLATE "C" NOT NULL,
    region        TEXT COLLATE "C" NOT NULL,
    destroyed_at  BIGINT NOT NULL
);
