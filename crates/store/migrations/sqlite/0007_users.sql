-- IAM users of an account, each with its access keys (in access_keys,
-- under the user's ARN) and its inline identity policies. A user's name is
-- unique in its account regardless of case, as in IAM: the primary key is
-- on name_key, the name in lower case (the store writes both); the name
-- itself, as given, is what the policies and the ARN name. tags: a JSON
-- array of {"Key", "Value"} in the order given, as keys store theirs.

CREATE TABLE users (
    account     TEXT    NOT NULL REFERENCES accounts(id),
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    tags        TEXT    NOT NULL,
    PRIMARY KEY (account, name_key),
    UNIQUE (account, name)
) STRICT;

CREATE TABLE user_policies (
    account      TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    policy_name  TEXT NOT NULL,
    document     TEXT NOT NULL,
    PRIMARY KEY (account, user_name, policy_name),
    FOREIGN KEY (account, user_name) REFERENCES users (account, name)
) STRICT;

-- Deleting a user deletes the access keys of its ARN.
CREATE INDEX access_keys_by_principal ON access_keys (principal);
