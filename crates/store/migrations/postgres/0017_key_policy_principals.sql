-- The unique ids of the IAM users and roles a key policy names by ARN,
-- as they were when the policy was set (a JSON object, ARN -> AIDA.../
-- AROA...): a principal deleted and re-created under the same name is
-- another principal, which the policy no longer names, as in AWS. Keys
-- stored before keep '{}' (their policies name principals by ARN alone, as
-- before); their MACs still verify, since an empty map is left out of the
-- record the MAC covers (trent_core::model::KeyRecord).

ALTER TABLE keys ADD COLUMN policy_principals TEXT NOT NULL DEFAULT '{}';
