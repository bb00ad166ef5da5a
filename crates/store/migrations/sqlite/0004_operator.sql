-- The operator account may create accounts (`trent admin create-account`).
-- The first account of an existing deployment (its bootstrap account) is it.

ALTER TABLE accounts ADD COLUMN operator INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET operator = 1 WHERE id = (SELECT id FROM accounts ORDER BY created_at, id LIMIT 1);
