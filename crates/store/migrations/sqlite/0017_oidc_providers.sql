-- OpenID Connect identity providers of an account (IAM's
-- CreateOpenIDConnectProvider), each named by its issuer URL without
-- https:// (the ARN's oidc-provider/URL), unique in its account and
-- compared exactly: Trent writes it in its one canonical form (the host in
-- lower case, no trailing /), so no name_key column as users' is needed.
-- client_ids, thumbprints: JSON arrays of strings in the order given. tags:
-- a JSON array of {"Key", "Value"} in the order given, as users store
-- theirs. The issuer's signing keys (its JWKS) are configuration, not rows.
-- mac: the row MAC (trent_core::integrity), written with every row;
-- nullable as the other tables' are, so that a store's rows can be sealed
-- the way 0008_row_macs left them.

CREATE TABLE oidc_providers (
    account      TEXT    NOT NULL REFERENCES accounts(id),
    url          TEXT    NOT NULL,
    client_ids   TEXT    NOT NULL,
    thumbprints  TEXT    NOT NULL,
    tags         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    mac          BLOB,
    PRIMARY KEY (account, url)
) STRICT;
