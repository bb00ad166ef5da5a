-- keys.remote_regions: the Regions of a multi-Region key's related keys
-- that another Trent deployment (a peer site) holds, comma-separated in
-- order; NULL for a key whose related keys are all in this store (every
-- key before this migration). Existing keys keep NULL; their MACs still
-- verify, since a key with no remote Region leaves the field out of the
-- record the MAC covers (trent_core::model::KeyRecord).
ALTER TABLE keys ADD COLUMN remote_regions TEXT;
