-- An access key's status (IAM's UpdateAccessKey): true while Inactive,
-- refused at authentication. Existing keys stay Active; their MACs stay
-- valid, since an active key's record leaves the field out of the JSON the
-- MAC covers (trent_core::model::AccessKeyRecord).

ALTER TABLE access_keys ADD COLUMN inactive BOOLEAN NOT NULL DEFAULT false;
