-- The operator account may create accounts (`trent admin create-account`).
-- The first account of an existing deployment (its bootstrap account) is it.

ALTER TABLE accounts ADD COLUMN operator BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE accounts SET operator = TRUE WHERE id = (SELECT id FROM accounts ORDER BY created_at, id LIMIT 1);
