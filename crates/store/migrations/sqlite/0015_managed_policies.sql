-- Customer managed policies of an account: each with its versions (one of
-- them the default, the one that applies) and where it is attached (to a
-- user, a role or a group, or as a user's or a role's permissions
-- boundary). As a user's, a policy's name is unique in its account
-- regardless of case: the primary key is on name_key, the name in lower
-- case (the store writes both); the name itself, as given, is what the
-- versions, the attachments and the ARN name. tags: a JSON array of
-- {"Key", "Value"} in the order given, as users store theirs. target: the
-- kind of attachment as trent_core's AttachmentTarget writes it (user,
-- role, group, user-boundary, role-boundary); entity_name: the user's,
-- role's or group's exact stored name, whose deletion deletes the row (no
-- foreign key: which table it names depends on target). mac: the row MAC
-- (trent_core::integrity), written with every row; nullable as the other
-- tables' are, so that a store's rows can be sealed the way 0008_row_macs
-- left them.

CREATE TABLE managed_policies (
    account          TEXT    NOT NULL REFERENCES accounts(id),
    name             TEXT    NOT NULL,
    name_key         TEXT    NOT NULL,
    policy_id        TEXT    NOT NULL,
    path             TEXT    NOT NULL,
    description      TEXT,
    default_version  INTEGER NOT NULL,
    next_version     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    tags             TEXT    NOT NULL,
    mac              BLOB,
    PRIMARY KEY (account, name_key),
    UNIQUE (account, name)
) STRICT;

CREATE TABLE policy_versions (
    account      TEXT    NOT NULL,
    policy_name  TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    document     TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    mac          BLOB,
    PRIMARY KEY (account, policy_name, version),
    FOREIGN KEY (account, policy_name) REFERENCES managed_policies (account, name)
) STRICT;

CREATE TABLE policy_attachments (
    account      TEXT NOT NULL,
    policy_name  TEXT NOT NULL,
    target       TEXT NOT NULL,
    entity_name  TEXT NOT NULL,
    mac          BLOB,
    PRIMARY KEY (account, policy_name, target, entity_name),
    FOREIGN KEY (account, policy_name) REFERENCES managed_policies (account, name)
) STRICT;

-- Every request of an IAM user or role reads the policies attached to it
-- (and its boundary); deleting a user, role or group deletes its rows.
CREATE INDEX policy_attachments_by_entity ON policy_attachments (account, target, entity_name);

-- A user or a role has one permissions boundary at most: attaching another
-- replaces it, and two attached at once cannot both stay.
CREATE UNIQUE INDEX policy_boundaries ON policy_attachments (account, target, entity_name)
    WHERE target IN ('user-boundary', 'role-boundary');
