-- One lookup index for audit_resources instead of two. LookupEvents by
-- ResourceName matches an ARN or a key id; every row is named by its key id
-- when its ARN is a key's and by its ARN otherwise (COALESCE(key_id, arn)),
-- so one search finds both, and each event's resource rows land at one
-- random place of an index instead of two (measured at a million keys).
DROP INDEX audit_resources_by_arn;
DROP INDEX audit_resources_by_key_id;
CREATE INDEX audit_resources_by_name ON audit_resources ((COALESCE(key_id, arn)), seq);
