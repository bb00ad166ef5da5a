-- The audit trail in two parts (issue 26). `audit_events` becomes the log
-- that the request path appends to: its primary key only, no secondary
-- index, so an append writes the end of one B-tree. The lookup indexes move
-- to `audit_lookup` (one row of an event's lookup fields each) and
-- `audit_resources`, which Trent fills from the log in batches off the
-- request path (Store::index_audit). `audit_index.through` is the seq up to
-- which the log is indexed; a lookup reads the records past it from the log
-- itself, so it sees every appended event at once.

CREATE TABLE audit_lookup (
    seq            BIGINT  PRIMARY KEY,
    event_id       TEXT    NOT NULL,
    event_time     BIGINT  NOT NULL,
    event_name     TEXT    NOT NULL,
    account        TEXT,
    username       TEXT,
    access_key_id  TEXT,
    read_only      BOOLEAN NOT NULL
);

INSERT INTO audit_lookup
    SELECT seq, event_id, event_time, event_name, account, username, access_key_id, read_only FROM audit_events;

DROP INDEX audit_by_account;
DROP INDEX audit_by_event_id;
DROP INDEX audit_by_event_name;
DROP INDEX audit_by_username;
DROP INDEX audit_by_access_key;
DROP INDEX audit_by_time;

-- Lookups read newest first, so each attribute index ends in seq.
CREATE INDEX audit_lookup_by_account ON audit_lookup (account, seq);
CREATE INDEX audit_lookup_by_event_id ON audit_lookup (event_id);
CREATE INDEX audit_lookup_by_event_name ON audit_lookup (event_name, seq);
CREATE INDEX audit_lookup_by_username ON audit_lookup (username, seq);
CREATE INDEX audit_lookup_by_access_key ON audit_lookup (access_key_id, seq);
CREATE INDEX audit_lookup_by_time ON audit_lookup (event_time);

-- One row: every record up to `through` has its audit_lookup and
-- audit_resources rows (the records before this migration had them).
CREATE TABLE audit_index (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    through  BIGINT  NOT NULL
);

INSERT INTO audit_index (id, through) VALUES (1, COALESCE((SELECT MAX(seq) FROM audit_events), 0));
