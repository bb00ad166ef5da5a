-- The audit trail: one CloudTrail record per call, hash-chained in seq
-- order (each hash covers the one before it), only ever appended to.
-- `record` holds the exact bytes that were hashed; the other columns are
-- copies of its fields for LookupEvents, and `resources` the event's ARNs
-- as a JSON array (order kept). Appenders serialize on an advisory lock
-- (postgres.rs, AUDIT_LOCK); the primary key on seq turns any appender
-- that did not into a failed append rather than a fork in the chain.

CREATE TABLE audit_events (
    seq            BIGINT  PRIMARY KEY,
    prev_hash      BYTEA   NOT NULL,
    hash           BYTEA   NOT NULL,
    event_id       TEXT    NOT NULL,
    event_time     BIGINT  NOT NULL,
    event_name     TEXT    NOT NULL,
    account        TEXT,
    username       TEXT,
    access_key_id  TEXT,
    read_only      BOOLEAN NOT NULL,
    resources      TEXT    NOT NULL,
    record         TEXT    NOT NULL
);

-- Lookups read newest first, so each attribute index ends in seq.
CREATE INDEX audit_by_account ON audit_events (account, seq);
CREATE INDEX audit_by_event_id ON audit_events (event_id);
CREATE INDEX audit_by_event_name ON audit_events (event_name, seq);
CREATE INDEX audit_by_username ON audit_events (username, seq);
CREATE INDEX audit_by_access_key ON audit_events (access_key_id, seq);
CREATE INDEX audit_by_time ON audit_events (event_time);

-- Each event's resources once, for lookups by ResourceName: an ARN, or the
-- key id after ":key/" (NULL for other ARNs).
CREATE TABLE audit_resources (
    seq     BIGINT NOT NULL REFERENCES audit_events(seq),
    arn     TEXT   NOT NULL,
    key_id  TEXT,
    PRIMARY KEY (seq, arn)
);

CREATE INDEX audit_resources_by_arn ON audit_resources (arn, seq);
CREATE INDEX audit_resources_by_key_id ON audit_resources (key_id, seq);

-- Signed statements that record `seq` had hash `hash`.
CREATE TABLE audit_checkpoints (
    seq         BIGINT PRIMARY KEY,
    hash        BYTEA  NOT NULL,
    created_at  BIGINT NOT NULL,
    signature   BYTEA  NOT NULL
);
