-- IAM roles of an account, each with its inline identity policies. As a
-- user's, a role's name is unique in its account regardless of case: the
-- primary key is on name_key, the name in lower case (the store writes
-- both); the name itself, as given, is what the policies and the ARN name.
-- tags: a JSON array of {"Key", "Value"} in the order given, as users
-- store theirs. mac: the row MAC (trent_core::integrity), written with
-- every row; nullable as the other tables' are, so that a store's rows
-- can be sealed the way 0008_row_macs left them.

CREATE TABLE roles (
    account               TEXT    NOT NULL REFERENCES accounts(id),
    name                  TEXT    NOT NULL,
    name_key              TEXT    NOT NULL,
    role_id               TEXT    NOT NULL,
    path                  TEXT    NOT NULL,
    trust_policy          TEXT    NOT NULL,
    description           TEXT,
    max_session_duration  INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    tags                  TEXT    NOT NULL,
    mac                   BLOB,
    PRIMARY KEY (account, name_key),
    UNIQUE (account, name)
) STRICT;

CREATE TABLE role_policies (
    account      TEXT NOT NULL,
    role_name    TEXT NOT NULL,
    policy_name  TEXT NOT NULL,
    document     TEXT NOT NULL,
    mac          BLOB,
    PRIMARY KEY (account, role_name, policy_name),
    FOREIGN KEY (account, role_name) REFERENCES roles (account, name)
) STRICT;
