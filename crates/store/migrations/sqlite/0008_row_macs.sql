-- Row MACs (trent_core::integrity): the rows that decide who may do what
-- carry an HMAC under a key derived from the root key, checked on every
-- read. The store cannot compute them (it has no root key), so rows written
-- before this migration get theirs at the next start, once: the marker row
-- says they are pending, and the start that seals them deletes it.

ALTER TABLE accounts ADD COLUMN mac BLOB;
ALTER TABLE access_keys ADD COLUMN mac BLOB;
ALTER TABLE users ADD COLUMN mac BLOB;
ALTER TABLE user_policies ADD COLUMN mac BLOB;
ALTER TABLE keys ADD COLUMN mac BLOB;
ALTER TABLE key_versions ADD COLUMN mac BLOB;
ALTER TABLE aliases ADD COLUMN mac BLOB;
ALTER TABLE grants ADD COLUMN mac BLOB;

CREATE TABLE row_mac_pending (id INTEGER PRIMARY KEY CHECK (id = 1)) STRICT;
INSERT INTO row_mac_pending (id) VALUES (1);
