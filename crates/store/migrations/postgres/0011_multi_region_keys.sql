-- Multi-Region keys: the related keys of a multi-Region key share one key id
-- (and one account), one key per Region. A key is identified by (id, region)
-- from here on; `primary_region` names a multi-Region key's primary Region
-- (NULL for a single-Region key).
--
-- - keys: PRIMARY KEY (id, region). Looked up by (id, region) (key,
--   key_owner, every change) and by id over its Regions (related_keys, in
--   Region order): both searches of this index. Dropping the old primary
--   key (CASCADE) drops the foreign keys that referenced keys(id):
--   key_versions_key_id_fkey, aliases_target_fkey, grants_key_id_fkey.
-- - key_versions: no foreign key any more. Versions are identified by
--   (key_id, version) alone and shared by the related keys of a
--   multi-Region key, so there is no one parent row; destroy_key deletes
--   them with the last of the keys that share them.
-- - grants: no foreign key either (a grant names its key by id and ARN and
--   has no Region column); destroy_key deletes a key's own.
-- - aliases: FOREIGN KEY (target, region) REFERENCES keys (id, region), an
--   alias names a key of its own Region. aliases_by_target gains the region
--   so that the check of a deleted key's aliases is one search.
-- - destroyed_keys: PRIMARY KEY (id, region), a tombstone per Region.

ALTER TABLE keys DROP CONSTRAINT keys_pkey CASCADE;
ALTER TABLE keys ADD PRIMARY KEY (id, region);
ALTER TABLE keys ADD COLUMN primary_region TEXT COLLATE "C";

DROP INDEX aliases_by_target;
CREATE INDEX aliases_by_target ON aliases (target, region);
ALTER TABLE aliases ADD CONSTRAINT aliases_target_fkey FOREIGN KEY (target, region) REFERENCES keys (id, region);

ALTER TABLE destroyed_keys DROP CONSTRAINT destroyed_keys_pkey;
ALTER TABLE destroyed_keys ADD PRIMARY KEY (id, region);
