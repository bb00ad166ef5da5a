-- IAM groups of an account, each with its inline identity policies and its
-- members (users of the same account). As a user's, a group's name is
-- unique in its account regardless of case: the primary key is on
-- name_key, the name in lower case (the store writes both); the name
-- itself, as given, is what the policies, the memberships and the ARN
-- name. mac: the row MAC (trent_core::integrity), written with every row;
-- nullable as the other tables' are, so that a store's rows can be sealed
-- the way 0007_row_macs left them.

CREATE TABLE groups (
    account     TEXT COLLATE "C" NOT NULL REFERENCES accounts(id),
    name        TEXT COLLATE "C" NOT NULL,
    name_key    TEXT COLLATE "C" NOT NULL,
    group_id    TEXT   NOT NULL,
    path        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    mac         BYTEA,
    PRIMARY KEY (account, name_key),
    UNIQUE (account, name)
);

CREATE TABLE group_policies (
    account      TEXT COLLATE "C" NOT NULL,
    group_name   TEXT COLLATE "C" NOT NULL,
    policy_name  TEXT COLLATE "C" NOT NULL,
    document     TEXT NOT NULL,
    mac          BYTEA,
    PRIMARY KEY (account, group_name, policy_name),
    FOREIGN KEY (account, group_name) REFERENCES groups (account, name)
);

CREATE TABLE group_members (
    account     TEXT COLLATE "C" NOT NULL,
    group_name  TEXT COLLATE "C" NOT NULL,
    user_name   TEXT COLLATE "C" NOT NULL,
    mac         BYTEA,
    PRIMARY KEY (account, group_name, user_name),
    FOREIGN KEY (account, group_name) REFERENCES groups (account, name),
    FOREIGN KEY (account, user_name) REFERENCES users (account, name)
);

-- Every request of a user reads the groups it is a member of; deleting a
-- user deletes its memberships.
CREATE INDEX group_members_by_user ON group_members (account, user_name);
