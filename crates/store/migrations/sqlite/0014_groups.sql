-- IAM groups of an account, each with its inline identity policies and its
-- members (users of the same account). As a user's, a group's name is
-- unique in its account regardless of case: the primary key is on
-- name_key, the name in lower case (the store writes both); the name
-- itself, as given, is what the policies, the memberships and the ARN
-- name. mac: the row MAC (trent_core::integrity), written with every row;
-- nullable as the other tables' are, so that a store's rows can be sealed
-- the way 0008_row_macs left them.

CREATE TABLE groups (
    account     TEXT    NOT NULL REFERENCES accounts(id),
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    group_id    TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    mac         BLOB,
    PRIMARY KEY (account, name_key),
    UNIQUE (account, name)
) STRICT;

CREATE TABLE group_policies (
    account      TEXT NOT NULL,
    group_name   TEXT NOT NULL,
    policy_name  TEXT NOT NULL,
    document     TEXT NOT NULL,
    mac          BLOB,
    PRIMARY KEY (account, group_name, policy_name),
    FOREIGN KEY (account, group_name) REFERENCES groups (account, name)
) STRICT;

CREATE TABLE group_members (
    account     TEXT NOT NULL,
    group_name  TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    mac         BLOB,
    PRIMARY KEY (account, group_name, user_name),
    FOREIGN KEY (account, group_name) REFERENCES groups (account, name),
    FOREIGN KEY (account, user_name) REFERENCES users (account, name)
) STRICT;

-- Every request of a user reads the groups it is a member of; deleting a
-- user deletes its memberships.
CREATE INDEX group_members_by_user ON group_members (account, user_name);
