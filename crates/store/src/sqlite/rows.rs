//! Rows: decoding and encoding of every record, the write-transaction helpers and the audit append.

#[allow(unused_imports)]
use super::*;

pub(super) fn decode_err(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(SchemaError(what.to_owned())))
}

pub(super) fn u32_col(row: &Row<'_>, idx: &str) -> rusqlite::Result<u32> {
    let v: i64 = row.get(idx)?;
    u32::try_from(v).map_err(|_| decode_err(idx))
}

/// The values of [`KEY_COLUMNS`] for a key, in order: INSERT and UPDATE
/// bind the same list.
pub(super) fn key_values(g: &RowGuard, key: &KeyRecord) -> StoreResult<Vec<Value>> {
    let text = |s: &str| Value::Text(s.to_owned());
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
    Ok(vec![
        text(key.id.as_str()),
        text(key.scope.account.as_str()),
        text(key.scope.region.as_str()),
        text(key.spec.as_str()),
        text(key.usage.as_str()),
        text(key.origin.as_str()),
        Value::Integer(key.created_at),
        Value::Integer(i64::from(key.multi_region)),
        text(&key.description),
        text(key.state.as_str()),
        text(&key.policy),
        Value::Text(tags_to_json(&key.tags)),
        Value::Integer(i64::from(key.current_version)),
        int(key.deletion_date),
        int(key.pending_window_days.map(i64::from)),
        Value::Integer(revision_param(key.revision)?),
        int(key.rotation_period_days.map(i64::from)),
        int(key.next_rotation_at),
        int(key.next_expiry_at),
        key.primary_region.as_ref().map_or(Value::Null, |r| text(r.as_str())),
        Value::Text(principals_to_json(&key.policy_principals)),
        key.custom_key_store_id.as_deref().map_or(Value::Null, text),
        regions_to_column(&key.remote_regions).map_or(Value::Null, Value::Text),
        Value::Blob(g.seal(key)?),
    ])
}

pub(super) fn key_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<KeyRecord>> {
    Ok((key_from_row_bare(row)?, row.get("mac")?))
}

fn key_from_row_bare(row: &Row<'_>) -> rusqlite::Result<KeyRecord> {
    let revision: i64 = row.get("revision")?;
    Ok(KeyRecord {
        id: KeyId::new_unchecked(row.get::<_, String>("id")?),
        scope: Scope {
            account: AccountId::new_unchecked(row.get::<_, String>("account")?),
            region: Region::new_unchecked(row.get::<_, String>("region")?),
        },
        description: row.get("description")?,
        spec: KeySpec::parse(&row.get::<_, String>("spec")?),
        usage: KeyUsage::parse(&row.get::<_, String>("usage")?),
        origin: Origin::parse(&row.get::<_, String>("origin")?),
        state: KeyState::parse(&row.get::<_, String>("state")?),
        created_at: row.get("created_at")?,
        policy: row.get("policy")?,
        policy_principals: principals_from_json(&row.get::<_, String>("policy_principals")?)
            .ok_or_else(|| decode_err("policy_principals"))?,
        tags: tags_from_json(&row.get::<_, String>("tags")?).ok_or_else(|| decode_err("tags"))?,
        multi_region: row.get("multi_region")?,
        current_version: u32_col(row, "current_version")?,
        deletion_date: row.get("deletion_date")?,
        pending_window_days: row.get("pending_window_days")?,
        revision: u64::try_from(revision).map_err(|_| decode_err("revision"))?,
        rotation_period_days: row.get("rotation_period_days")?,
        next_rotation_at: row.get("next_rotation_at")?,
        next_expiry_at: row.get("next_expiry_at")?,
        primary_region: row.get::<_, Option<String>>("primary_region")?.map(Region::new_unchecked),
        custom_key_store_id: row.get("custom_key_store_id")?,
        remote_regions: regions_from_column(row.get::<_, Option<String>>("remote_regions")?.as_deref()),
    })
}

pub(super) fn version_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<KeyVersionRecord>> {
    Ok((version_from_row_bare(row)?, row.get("mac")?))
}

fn version_from_row_bare(row: &Row<'_>) -> rusqlite::Result<KeyVersionRecord> {
    Ok(KeyVersionRecord {
        key_id: KeyId::new_unchecked(row.get::<_, String>("key_id")?),
        version: u32_col(row, "version")?,
        material_id: row.get("material_id")?,
        wrapped_material: row.get("wrapped_material")?,
        created_at: row.get("created_at")?,
        rotation_type: row.get::<_, Option<String>>("rotation_type")?.map(|s| RotationType::parse(&s)),
        import: row
            .get::<_, Option<String>>("expiration_model")?
            .map(|m| -> rusqlite::Result<ImportTerms> {
                Ok(ImportTerms {
                    expiration_model: ExpirationModel::parse(&m),
                    valid_to: row.get("valid_to")?,
                    description: row.get("material_description")?,
                })
            })
            .transpose()?,
    })
}

/// The raw columns of a grant row; decoded outside rusqlite's row closure
/// so that a corrupt value is a store error, not a rusqlite one.
pub(super) struct GrantParts(
    Option<Vec<u8>>,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    i64,
);

impl GrantParts {
    pub(super) fn decode(self) -> StoreResult<Unchecked<GrantRecord>> {
        let GrantParts(
            mac,
            key_id,
            grant_id,
            key_arn,
            name,
            grantee,
            retiring,
            issuing,
            operations,
            constraints,
            created_at,
        ) = self;
        let grant = grant_from_parts(
            key_id,
            grant_id,
            key_arn,
            name,
            grantee,
            retiring,
            issuing,
            &operations,
            constraints.as_deref(),
            created_at,
        )?;
        Ok((grant, mac))
    }
}

pub(super) fn grant_row(r: &Row<'_>) -> rusqlite::Result<GrantParts> {
    Ok(GrantParts(
        r.get(10)?,
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

pub(super) fn alias_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<AliasRecord>> {
    Ok((alias_from_row_bare(row)?, row.get("mac")?))
}

fn alias_from_row_bare(row: &Row<'_>) -> rusqlite::Result<AliasRecord> {
    Ok(AliasRecord {
        scope: Scope {
            account: AccountId::new_unchecked(row.get::<_, String>("account")?),
            region: Region::new_unchecked(row.get::<_, String>("region")?),
        },
        name: AliasName::new_unchecked(row.get::<_, String>("name")?),
        target: KeyId::new_unchecked(row.get::<_, String>("target")?),
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

pub(super) fn domain_key_from_row(row: &Row<'_>) -> rusqlite::Result<DomainKeyRecord> {
    Ok(DomainKeyRecord { id: u32_col(row, "id")?, wrapped: row.get("wrapped")?, created_at: row.get("created_at")? })
}

pub(super) fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<AccountRecord>> {
    Ok((account_from_row_bare(row)?, row.get("mac")?))
}

fn account_from_row_bare(row: &Row<'_>) -> rusqlite::Result<AccountRecord> {
    Ok(AccountRecord {
        id: AccountId::new_unchecked(row.get::<_, String>("id")?),
        created_at: row.get("created_at")?,
        operator: row.get("operator")?,
    })
}

pub(super) fn access_key_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<AccessKeyRecord>> {
    Ok((access_key_from_row_bare(row)?, row.get("mac")?))
}

fn access_key_from_row_bare(row: &Row<'_>) -> rusqlite::Result<AccessKeyRecord> {
    Ok(AccessKeyRecord {
        id: AccessKeyId::new_unchecked(row.get::<_, String>("id")?),
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        principal: PrincipalArn::new_unchecked(row.get::<_, String>("principal")?),
        wrapped_secret: row.get("wrapped_secret")?,
        created_at: row.get("created_at")?,
        inactive: row.get("inactive")?,
    })
}

pub(super) fn user_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<UserRecord>> {
    Ok((user_from_row_bare(row)?, row.get("mac")?))
}

fn user_from_row_bare(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        name: row.get("name")?,
        user_id: row.get("user_id")?,
        created_at: row.get("created_at")?,
        tags: tags_from_json(&row.get::<_, String>("tags")?).ok_or_else(|| decode_err("user tags"))?,
    })
}

pub(super) fn user_policy_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<UserPolicyRecord>> {
    Ok((user_policy_from_row_bare(row)?, row.get("mac")?))
}

fn user_policy_from_row_bare(row: &Row<'_>) -> rusqlite::Result<UserPolicyRecord> {
    Ok(UserPolicyRecord {
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        user_name: row.get("user_name")?,
        policy_name: row.get("policy_name")?,
        document: row.get("document")?,
    })
}

/// The user of `account` named exactly `name`, checked.
pub(super) fn user_exact(c: &Connection, g: &RowGuard, account: &str, name: &str) -> StoreResult<Option<UserRecord>> {
    let row = c
        .prepare_cached(&user_exact_sql(q))
        .map_err(backend)?
        .query_row(params![account, name], user_from_row)
        .optional()
        .map_err(backend)?;
    g.check_opt(row)
}

pub(super) fn role_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<RoleRecord>> {
    Ok((role_from_row_bare(row)?, row.get("mac")?))
}

fn role_from_row_bare(row: &Row<'_>) -> rusqlite::Result<RoleRecord> {
    Ok(RoleRecord {
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        name: row.get("name")?,
        role_id: row.get("role_id")?,
        path: row.get("path")?,
        trust_policy: row.get("trust_policy")?,
        description: row.get("description")?,
        max_session_duration: u32_col(row, "max_session_duration")?,
        created_at: row.get("created_at")?,
        tags: tags_from_json(&row.get::<_, String>("tags")?).ok_or_else(|| decode_err("role tags"))?,
    })
}

pub(super) fn role_policy_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<RolePolicyRecord>> {
    Ok((role_policy_from_row_bare(row)?, row.get("mac")?))
}

fn role_policy_from_row_bare(row: &Row<'_>) -> rusqlite::Result<RolePolicyRecord> {
    Ok(RolePolicyRecord {
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        role_name: row.get("role_name")?,
        policy_name: row.get("policy_name")?,
        document: row.get("document")?,
    })
}

/// The role of `account` named exactly `name`, checked.
pub(super) fn role_exact(c: &Connection, g: &RowGuard, account: &str, name: &str) -> StoreResult<Option<RoleRecord>> {
    let row = c
        .prepare_cached(&role_exact_sql(q))
        .map_err(backend)?
        .query_row(params![account, name], role_from_row)
        .optional()
        .map_err(backend)?;
    g.check_opt(row)
}

pub(super) fn group_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<GroupRecord>> {
    Ok((group_from_row_bare(row)?, row.get("mac")?))
}

fn group_from_row_bare(row: &Row<'_>) -> rusqlite::Result<GroupRecord> {
    Ok(GroupRecord {
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        name: row.get("name")?,
        group_id: row.get("group_id")?,
        path: row.get("path")?,
        created_at: row.get("created_at")?,
    })
}

pub(super) fn group_policy_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<GroupPolicyRecord>> {
    Ok((group_policy_from_row_bare(row)?, row.get("mac")?))
}

fn group_policy_from_row_bare(row: &Row<'_>) -> rusqlite::Result<GroupPolicyRecord> {
    Ok(GroupPolicyRecord {
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        group_name: row.get("group_name")?,
        policy_name: row.get("policy_name")?,
        document: row.get("document")?,
    })
}

pub(super) fn group_member_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<GroupMemberRecord>> {
    Ok((
        GroupMemberRecord {
            account: AccountId::new_unchecked(row.get::<_, String>("account")?),
            group_name: row.get("group_name")?,
            user_name: row.get("user_name")?,
        },
        row.get("mac")?,
    ))
}

/// A row of [`groups_of_user_sql`]: the group, and the membership that
/// joined it (its group name the group's, by the join).
pub(super) fn group_of_user_from_row(
    row: &Row<'_>,
) -> rusqlite::Result<(Unchecked<GroupRecord>, Unchecked<GroupMemberRecord>)> {
    let group = group_from_row(row)?;
    let member = GroupMemberRecord {
        account: group.0.account.clone(),
        group_name: group.0.name.clone(),
        user_name: row.get("user_name")?,
    };
    Ok((group, (member, row.get("member_mac")?)))
}

/// The group of `account` named exactly `name`, checked.
pub(super) fn group_exact(c: &Connection, g: &RowGuard, account: &str, name: &str) -> StoreResult<Option<GroupRecord>> {
    let row = c
        .prepare_cached(&group_exact_sql(q))
        .map_err(backend)?
        .query_row(params![account, name], group_from_row)
        .optional()
        .map_err(backend)?;
    g.check_opt(row)
}

pub(super) fn managed_policy_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<ManagedPolicyRecord>> {
    Ok((managed_policy_from_row_bare(row)?, row.get("mac")?))
}

fn managed_policy_from_row_bare(row: &Row<'_>) -> rusqlite::Result<ManagedPolicyRecord> {
    Ok(ManagedPolicyRecord {
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        name: row.get("name")?,
        policy_id: row.get("policy_id")?,
        path: row.get("path")?,
        description: row.get("description")?,
        default_version: u32_col(row, "default_version")?,
        next_version: u32_col(row, "next_version")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
        tags: tags_from_json(&row.get::<_, String>("tags")?).ok_or_else(|| decode_err("managed policy tags"))?,
    })
}

pub(super) fn policy_version_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<PolicyVersionRecord>> {
    Ok((
        PolicyVersionRecord {
            account: AccountId::new_unchecked(row.get::<_, String>("account")?),
            policy_name: row.get("policy_name")?,
            version: u32_col(row, "version")?,
            document: row.get("document")?,
            created_at: row.get("created_at")?,
        },
        row.get("mac")?,
    ))
}

/// The `target` column: text [`AttachmentTarget::parse`] does not know is
/// a corrupt row.
fn target_col(row: &Row<'_>) -> rusqlite::Result<AttachmentTarget> {
    AttachmentTarget::parse(&row.get::<_, String>("target")?).ok_or_else(|| decode_err("policy attachment target"))
}

pub(super) fn policy_attachment_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<PolicyAttachmentRecord>> {
    Ok((
        PolicyAttachmentRecord {
            account: AccountId::new_unchecked(row.get::<_, String>("account")?),
            policy_name: row.get("policy_name")?,
            target: target_col(row)?,
            entity_name: row.get("entity_name")?,
        },
        row.get("mac")?,
    ))
}

/// A row of [`attached_policies_sql`]: the policy, the attachment that
/// joined it and its default version (their account and policy name the
/// policy's, and the version's number its default, by the joins).
pub(super) fn attached_policy_from_row(row: &Row<'_>) -> rusqlite::Result<AttachedRow> {
    let policy = managed_policy_from_row(row)?;
    let attachment = PolicyAttachmentRecord {
        account: policy.0.account.clone(),
        policy_name: policy.0.name.clone(),
        target: target_col(row)?,
        entity_name: row.get("entity_name")?,
    };
    let version = PolicyVersionRecord {
        account: policy.0.account.clone(),
        policy_name: policy.0.name.clone(),
        version: policy.0.default_version,
        document: row.get("document")?,
        created_at: row.get("version_created_at")?,
    };
    Ok((policy, (attachment, row.get("attachment_mac")?), (version, row.get("version_mac")?)))
}

/// The managed policy of `account` named exactly `name`, checked.
pub(super) fn managed_policy_exact(
    c: &Connection,
    g: &RowGuard,
    account: &str,
    name: &str,
) -> StoreResult<Option<ManagedPolicyRecord>> {
    let row = c
        .prepare_cached(&managed_policy_exact_sql(q))
        .map_err(backend)?
        .query_row(params![account, name], managed_policy_from_row)
        .optional()
        .map_err(backend)?;
    g.check_opt(row)
}

pub(super) fn oidc_provider_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<OidcProviderRecord>> {
    Ok((oidc_provider_from_row_bare(row)?, row.get("mac")?))
}

fn oidc_provider_from_row_bare(row: &Row<'_>) -> rusqlite::Result<OidcProviderRecord> {
    let list = |col: &str| -> rusqlite::Result<Vec<String>> {
        strings_from_json(&row.get::<_, String>(col)?).ok_or_else(|| decode_err(col))
    };
    Ok(OidcProviderRecord {
        account: AccountId::new_unchecked(row.get::<_, String>("account")?),
        url: row.get("url")?,
        client_ids: list("client_ids")?,
        thumbprints: list("thumbprints")?,
        tags: tags_from_json(&row.get::<_, String>("tags")?).ok_or_else(|| decode_err("oidc provider tags"))?,
        created_at: row.get("created_at")?,
    })
}

/// The OpenID Connect provider of `account` whose URL is `url`, checked.
pub(super) fn oidc_provider_row(
    c: &Connection,
    g: &RowGuard,
    account: &str,
    url: &str,
) -> StoreResult<Option<OidcProviderRecord>> {
    let row = c
        .prepare_cached(&oidc_provider_sql(q))
        .map_err(backend)?
        .query_row(params![account, url], oidc_provider_from_row)
        .optional()
        .map_err(backend)?;
    g.check_opt(row)
}

pub(super) fn custom_key_store_from_row(row: &Row<'_>) -> rusqlite::Result<Unchecked<CustomKeyStoreRecord>> {
    Ok((custom_key_store_from_row_bare(row)?, row.get("mac")?))
}

fn custom_key_store_from_row_bare(row: &Row<'_>) -> rusqlite::Result<CustomKeyStoreRecord> {
    Ok(CustomKeyStoreRecord {
        scope: Scope {
            account: AccountId::new_unchecked(row.get::<_, String>("account")?),
            region: Region::new_unchecked(row.get::<_, String>("region")?),
        },
        id: row.get("id")?,
        name: row.get("name")?,
        cluster_id: row.get("cluster_id")?,
        trust_anchor: row.get("trust_anchor")?,
        wrapped_password: row.get("wrapped_password")?,
        connection_state: row.get("connection_state")?,
        connection_error: row.get("connection_error")?,
        created_at: row.get("created_at")?,
    })
}

/// The custom key store `id` of `scope`, checked.
pub(super) fn custom_key_store_row(
    c: &Connection,
    g: &RowGuard,
    scope: &Scope,
    id: &str,
) -> StoreResult<Option<CustomKeyStoreRecord>> {
    let row = c
        .prepare_cached(&custom_key_store_sql(q))
        .map_err(backend)?
        .query_row(params![id, scope.account.as_str(), scope.region.as_str()], custom_key_store_from_row)
        .optional()
        .map_err(backend)?;
    g.check_opt(row)
}

/// Whether the user, role or group (as `target` names its kind) of
/// `account` named exactly `name` exists, its row checked.
pub(super) fn entity_exists(
    c: &Connection,
    g: &RowGuard,
    account: &str,
    target: AttachmentTarget,
    name: &str,
) -> StoreResult<bool> {
    Ok(match target {
        AttachmentTarget::User | AttachmentTarget::UserBoundary => user_exact(c, g, account, name)?.is_some(),
        AttachmentTarget::Role | AttachmentTarget::RoleBoundary => role_exact(c, g, account, name)?.is_some(),
        AttachmentTarget::Group => group_exact(c, g, account, name)?.is_some(),
    })
}

/// The entries of the attached-policies cache that managed policy `name`
/// of `account` is in: (account, target, entity) of each of its
/// attachments. For a write to end them, read in its transaction; a
/// target no entry can have (a corrupt row) is left out rather than fail
/// the write.
pub(super) fn attached_slots(
    c: &Connection,
    account: &AccountId,
    name: &str,
) -> StoreResult<Vec<(AccountId, AttachmentTarget, String)>> {
    let mut st = c.prepare_cached(&policy_attachments_sql(q)).map_err(backend)?;
    let rows = st
        .query_map(params![account.as_str(), name], |r| Ok((r.get::<_, String>("target")?, r.get("entity_name")?)))
        .map_err(backend)?;
    let rows = rows.collect::<Result<Vec<(String, String)>, _>>().map_err(backend)?;
    Ok(rows
        .into_iter()
        .filter_map(|(target, entity)| Some((account.clone(), AttachmentTarget::parse(&target)?, entity)))
        .collect())
}

pub(super) fn destroyed_from_row(row: &Row<'_>) -> rusqlite::Result<DestroyedKey> {
    Ok(DestroyedKey {
        scope: Scope {
            account: AccountId::new_unchecked(row.get::<_, String>("account")?),
            region: Region::new_unchecked(row.get::<_, String>("region")?),
        },
        id: KeyId::new_unchecked(row.get::<_, String>("id")?),
        destroyed_at: row.get("destroyed_at")?,
    })
}

/// The raw columns of a checkpoint row ([`CHECKPOINT_COLUMNS`]), decoded by
/// [`checkpoint_from_parts`].
pub(super) fn checkpoint_row(r: &Row<'_>) -> rusqlite::Result<CheckpointParts> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

pub(super) fn decode_checkpoint(parts: CheckpointParts) -> StoreResult<AuditCheckpoint> {
    checkpoint_from_parts(parts)
}

/// SQLite values of lookup parameters.
pub(super) fn audit_values(values: Vec<AuditParam>) -> Vec<Value> {
    values
        .into_iter()
        .map(|v| match v {
            AuditParam::Text(s) => Value::Text(s),
            AuditParam::Int(i) => Value::Integer(i),
            AuditParam::Bool(b) => Value::Integer(i64::from(b)),
        })
        .collect()
}

/// Runs the cached `INSERT INTO table (columns)` with `values`: the one
/// statement that writes rows of that table, for a single call and for
/// [`Store::import`] alike.
pub(super) fn insert_row(c: &Connection, table: &str, columns: &str, values: impl rusqlite::Params) -> StoreResult<()> {
    c.prepare_cached(&insert_sql(table, columns, q)).map_err(backend)?.execute(values).map_err(write_err)?;
    Ok(())
}

pub(super) fn insert_domain_key_row(c: &Connection, dk: &DomainKeyRecord) -> StoreResult<()> {
    insert_row(c, "domain_keys", DOMAIN_KEY_COLUMNS, params![dk.id, dk.wrapped, dk.created_at])
}

pub(super) fn insert_account_row(c: &Connection, g: &RowGuard, a: &AccountRecord) -> StoreResult<()> {
    insert_row(c, "accounts", ACCOUNT_COLUMNS, params![a.id.as_str(), a.created_at, a.operator, g.seal(a)?])
}

pub(super) fn insert_access_key_row(c: &Connection, g: &RowGuard, k: &AccessKeyRecord) -> StoreResult<()> {
    insert_row(
        c,
        "access_keys",
        ACCESS_KEY_COLUMNS,
        params![
            k.id.as_str(),
            k.account.as_str(),
            k.principal.as_str(),
            k.wrapped_secret,
            k.created_at,
            k.inactive,
            g.seal(k)?
        ],
    )
}

pub(super) fn insert_user_row(c: &Connection, g: &RowGuard, u: &UserRecord) -> StoreResult<()> {
    insert_row(
        c,
        "users",
        USER_COLUMNS,
        params![
            u.account.as_str(),
            u.name,
            user_name_key(&u.name),
            u.user_id,
            u.created_at,
            tags_to_json(&u.tags),
            g.seal(u)?
        ],
    )
}

pub(super) fn insert_user_policy_row(c: &Connection, g: &RowGuard, p: &UserPolicyRecord) -> StoreResult<()> {
    insert_row(
        c,
        "user_policies",
        USER_POLICY_COLUMNS,
        params![p.account.as_str(), p.user_name, p.policy_name, p.document, g.seal(p)?],
    )
}

/// The values of [`ROLE_COLUMNS`] for a role, in order: INSERT and UPDATE
/// bind the same list.
pub(super) fn role_values(g: &RowGuard, r: &RoleRecord) -> StoreResult<Vec<Value>> {
    let text = |s: &str| Value::Text(s.to_owned());
    Ok(vec![
        text(r.account.as_str()),
        text(&r.name),
        Value::Text(role_name_key(&r.name)),
        text(&r.role_id),
        text(&r.path),
        text(&r.trust_policy),
        r.description.as_deref().map_or(Value::Null, text),
        Value::Integer(i64::from(r.max_session_duration)),
        Value::Integer(r.created_at),
        Value::Text(tags_to_json(&r.tags)),
        Value::Blob(g.seal(r)?),
    ])
}

pub(super) fn insert_role_row(c: &Connection, g: &RowGuard, r: &RoleRecord) -> StoreResult<()> {
    insert_row(c, "roles", ROLE_COLUMNS, params_from_iter(role_values(g, r)?))
}

pub(super) fn insert_role_policy_row(c: &Connection, g: &RowGuard, p: &RolePolicyRecord) -> StoreResult<()> {
    insert_row(
        c,
        "role_policies",
        ROLE_POLICY_COLUMNS,
        params![p.account.as_str(), p.role_name, p.policy_name, p.document, g.seal(p)?],
    )
}

pub(super) fn insert_group_row(c: &Connection, g: &RowGuard, r: &GroupRecord) -> StoreResult<()> {
    insert_row(
        c,
        "groups",
        GROUP_COLUMNS,
        params![r.account.as_str(), r.name, group_name_key(&r.name), r.group_id, r.path, r.created_at, g.seal(r)?],
    )
}

pub(super) fn insert_group_policy_row(c: &Connection, g: &RowGuard, p: &GroupPolicyRecord) -> StoreResult<()> {
    insert_row(
        c,
        "group_policies",
        GROUP_POLICY_COLUMNS,
        params![p.account.as_str(), p.group_name, p.policy_name, p.document, g.seal(p)?],
    )
}

pub(super) fn insert_group_member_row(c: &Connection, g: &RowGuard, m: &GroupMemberRecord) -> StoreResult<()> {
    insert_row(
        c,
        "group_members",
        GROUP_MEMBER_COLUMNS,
        params![m.account.as_str(), m.group_name, m.user_name, g.seal(m)?],
    )
}

/// The values of [`MANAGED_POLICY_COLUMNS`] for a managed policy, in
/// order: INSERT and UPDATE bind the same list.
pub(super) fn managed_policy_values(g: &RowGuard, r: &ManagedPolicyRecord) -> StoreResult<Vec<Value>> {
    let text = |s: &str| Value::Text(s.to_owned());
    Ok(vec![
        text(r.account.as_str()),
        text(&r.name),
        Value::Text(managed_policy_name_key(&r.name)),
        text(&r.policy_id),
        text(&r.path),
        r.description.as_deref().map_or(Value::Null, text),
        Value::Integer(i64::from(r.default_version)),
        Value::Integer(i64::from(r.next_version)),
        Value::Integer(r.created_at),
        Value::Integer(r.updated_at),
        Value::Text(tags_to_json(&r.tags)),
        Value::Blob(g.seal(r)?),
    ])
}

pub(super) fn insert_managed_policy_row(c: &Connection, g: &RowGuard, r: &ManagedPolicyRecord) -> StoreResult<()> {
    insert_row(c, "managed_policies", MANAGED_POLICY_COLUMNS, params_from_iter(managed_policy_values(g, r)?))
}

/// Adds an OpenID Connect provider; a taken (account, URL) is
/// `AlreadyExists`.
pub(super) fn insert_oidc_provider_row(c: &Connection, g: &RowGuard, r: &OidcProviderRecord) -> StoreResult<()> {
    insert_row(
        c,
        "oidc_providers",
        OIDC_PROVIDER_COLUMNS,
        params![
            r.account.as_str(),
            r.url,
            strings_to_json(&r.client_ids),
            strings_to_json(&r.thumbprints),
            tags_to_json(&r.tags),
            r.created_at,
            g.seal(r)?
        ],
    )
}

/// The values of [`CUSTOM_KEY_STORE_COLUMNS`] for a custom key store, in
/// order: INSERT and UPDATE bind the same list.
pub(super) fn custom_key_store_values(g: &RowGuard, r: &CustomKeyStoreRecord) -> StoreResult<Vec<Value>> {
    Ok(vec![
        Value::Text(r.id.clone()),
        Value::Text(r.scope.account.as_str().to_owned()),
        Value::Text(r.scope.region.as_str().to_owned()),
        Value::Integer(r.created_at),
        Value::Text(r.name.clone()),
        Value::Text(r.cluster_id.clone()),
        Value::Text(r.trust_anchor.clone()),
        Value::Blob(r.wrapped_password.clone()),
        Value::Text(r.connection_state.clone()),
        r.connection_error.clone().map_or(Value::Null, Value::Text),
        Value::Blob(g.seal(r)?),
    ])
}

/// Adds a custom key store; a taken id, or a name its account and Region
/// have, is `AlreadyExists`.
pub(super) fn insert_custom_key_store_row(c: &Connection, g: &RowGuard, r: &CustomKeyStoreRecord) -> StoreResult<()> {
    insert_row(c, "custom_key_stores", CUSTOM_KEY_STORE_COLUMNS, params_from_iter(custom_key_store_values(g, r)?))
}

/// Adds a version; a taken number is `AlreadyExists`.
pub(super) fn insert_policy_version_row(c: &Connection, g: &RowGuard, v: &PolicyVersionRecord) -> StoreResult<()> {
    insert_row(
        c,
        "policy_versions",
        POLICY_VERSION_COLUMNS,
        params![v.account.as_str(), v.policy_name, v.version, v.document, v.created_at, g.seal(v)?],
    )
}

pub(super) fn insert_policy_attachment_row(
    c: &Connection,
    g: &RowGuard,
    a: &PolicyAttachmentRecord,
) -> StoreResult<()> {
    insert_row(
        c,
        "policy_attachments",
        POLICY_ATTACHMENT_COLUMNS,
        params![a.account.as_str(), a.policy_name, a.target.as_str(), a.entity_name, g.seal(a)?],
    )
}

pub(super) fn insert_key_row(c: &Connection, g: &RowGuard, key: &KeyRecord) -> StoreResult<()> {
    insert_row(c, "keys", KEY_COLUMNS, params_from_iter(key_values(g, key)?))
}

pub(super) fn insert_alias_row(c: &Connection, g: &RowGuard, a: &AliasRecord) -> StoreResult<()> {
    insert_row(
        c,
        "aliases",
        ALIAS_COLUMNS,
        params![
            a.scope.account.as_str(),
            a.scope.region.as_str(),
            a.name.as_str(),
            a.target.as_str(),
            a.created_at,
            a.updated_at,
            g.seal(a)?
        ],
    )
}

pub(super) fn insert_grant_row(c: &Connection, guard: &RowGuard, g: &GrantRecord) -> StoreResult<()> {
    insert_row(
        c,
        "grants",
        GRANT_COLUMNS,
        params![
            g.key_id.as_str(),
            g.grant_id,
            g.key_arn,
            g.name,
            g.grantee_principal,
            g.retiring_principal,
            g.issuing_account,
            g.operations_text(),
            g.constraints_text(),
            g.created_at,
            guard.seal(g)?
        ],
    )
}

pub(super) fn insert_destroyed_row(c: &Connection, d: &DestroyedKey) -> StoreResult<()> {
    insert_row(c, "destroyed_keys", DESTROYED_COLUMNS, destroyed_params(d))
}

/// The values of [`DESTROYED_COLUMNS`] for a tombstone.
fn destroyed_params(d: &DestroyedKey) -> (&str, &str, &str, i64) {
    (d.id.as_str(), d.scope.account.as_str(), d.scope.region.as_str(), d.destroyed_at)
}

/// The stored revision of `key` (by its id and Region), `None` when it is
/// not there.
pub(super) fn stored_revision(c: &Connection, key: &KeyRecord) -> StoreResult<Option<i64>> {
    c.prepare_cached(&key_revision_sql(q))
        .map_err(backend)?
        .query_row(params![key.id.as_str(), key.scope.region.as_str()], |r| r.get(0))
        .optional()
        .map_err(backend)
}

/// Destroys `key` in `tx` if its stored revision is `key.revision`
/// ([`destroy_key_sql`]), leaving its tombstone ([`tombstone_sql`]).
pub(super) fn destroy_key_in(tx: &Transaction<'_>, key: &KeyRecord, destroyed_at: i64) -> StoreResult<()> {
    match stored_revision(tx, key)? {
        None => return Err(StoreError::NotFound),
        Some(r) if r != revision_param(key.revision)? => return Err(StoreError::Conflict),
        Some(_) => {}
    }
    let (id, account, region) = (key.id.as_str(), key.scope.account.as_str(), key.scope.region.as_str());
    let [aliases, grants, keys, versions] = destroy_key_sql(q);
    tx.execute(&aliases, params![account, region, id]).map_err(backend)?;
    tx.execute(&grants, params![id, key.arn()]).map_err(backend)?;
    tx.execute(&keys, params![id, region]).map_err(backend)?;
    tx.execute(&versions, params![id]).map_err(backend)?;
    let tombstone = DestroyedKey { scope: key.scope.clone(), id: key.id.clone(), destroyed_at };
    tx.execute(&tombstone_sql(q), destroyed_params(&tombstone)).map_err(backend)?;
    Ok(())
}

/// Stores a checkpoint unless one of its seq is there ([`insert_checkpoint_sql`]).
/// `false` when one of its seq or number was there.
pub(super) fn insert_checkpoint_row(c: &Connection, cp: &AuditCheckpoint) -> StoreResult<bool> {
    if cp.chain != 0 {
        return Err(StoreError::backend(SchemaError("SQLite keeps one audit chain, 0".into())));
    }
    let (number, prev) = checkpoint_link(cp)?;
    let n = c
        .prepare_cached(&insert_checkpoint_sql(CHECKPOINT_STORED_COLUMNS, q))
        .map_err(backend)?
        .execute(params![seq_param(cp.seq)?, cp.hash, cp.created_at, cp.signature, number, prev])
        .map_err(backend)?;
    Ok(n == 1)
}

/// Every row, read by [`ExportSql`]'s statements on `c`, which the caller
/// has in a read transaction so that they all see one snapshot.
pub(super) fn export_in(c: &Connection, g: &RowGuard) -> StoreResult<Snapshot> {
    fn all<T>(c: &Connection, sql: &str, f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>) -> StoreResult<Vec<T>> {
        let mut st = c.prepare(sql).map_err(backend)?;
        let rows = st.query_map([], f).map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }
    let sql = ExportSql::new();
    Ok(Snapshot {
        domain_keys: all(c, &sql.domain_keys, domain_key_from_row)?,
        accounts: g.check_all(all(c, &sql.accounts, account_from_row)?)?,
        access_keys: g.check_all(all(c, &sql.access_keys, access_key_from_row)?)?,
        users: g.check_all(all(c, &sql.users, user_from_row)?)?,
        user_policies: g.check_all(all(c, &sql.user_policies, user_policy_from_row)?)?,
        roles: g.check_all(all(c, &sql.roles, role_from_row)?)?,
        role_policies: g.check_all(all(c, &sql.role_policies, role_policy_from_row)?)?,
        groups: g.check_all(all(c, &sql.groups, group_from_row)?)?,
        group_policies: g.check_all(all(c, &sql.group_policies, group_policy_from_row)?)?,
        group_members: g.check_all(all(c, &sql.group_members, group_member_from_row)?)?,
        managed_policies: g.check_all(all(c, &sql.managed_policies, managed_policy_from_row)?)?,
        policy_versions: g.check_all(all(c, &sql.policy_versions, policy_version_from_row)?)?,
        policy_attachments: {
            let mut list = g.check_all(all(c, &sql.policy_attachments, policy_attachment_from_row)?)?;
            sort_attachments(&mut list);
            list
        },
        oidc_providers: g.check_all(all(c, &sql.oidc_providers, oidc_provider_from_row)?)?,
        custom_key_stores: g.check_all(all(c, &sql.custom_key_stores, custom_key_store_from_row)?)?,
        keys: g.check_all(all(c, &sql.keys, key_from_row)?)?,
        versions: g.check_all(all(c, &sql.versions, version_from_row)?)?,
        aliases: g.check_all(all(c, &sql.aliases, alias_from_row)?)?,
        grants: g.check_all(
            all(c, &sql.grants, grant_row)?.into_iter().map(GrantParts::decode).collect::<StoreResult<_>>()?,
        )?,
        destroyed: all(c, &sql.destroyed, destroyed_from_row)?,
        audit: all(c, &sql.audit, audit_row)?.into_iter().map(AuditRow::decode).collect::<StoreResult<_>>()?,
        checkpoints: all(c, &sql.checkpoints, checkpoint_row)?
            .into_iter()
            .map(decode_checkpoint)
            .collect::<StoreResult<_>>()?,
    })
}

/// Writes `snap` in `tx` (a [`write_tx`]) if the store holds nothing
/// ([`HOLDS_STATE_SQL`], [`HOLDS_AUDIT_SQL`]), parents before children
/// for the foreign keys.
pub(super) fn import_in(tx: &Transaction<'_>, g: &RowGuard, snap: &Snapshot) -> StoreResult<()> {
    for holds in [HOLDS_STATE_SQL, HOLDS_AUDIT_SQL] {
        if tx.query_row(holds, [], |r| r.get::<_, bool>(0)).map_err(backend)? {
            return Err(StoreError::Conflict);
        }
    }
    for dk in &snap.domain_keys {
        insert_domain_key_row(tx, dk)?;
    }
    for a in &snap.accounts {
        insert_account_row(tx, g, a)?;
    }
    for k in &snap.access_keys {
        insert_access_key_row(tx, g, k)?;
    }
    for u in &snap.users {
        insert_user_row(tx, g, u)?;
    }
    for p in &snap.user_policies {
        insert_user_policy_row(tx, g, p)?;
    }
    for r in &snap.roles {
        insert_role_row(tx, g, r)?;
    }
    for p in &snap.role_policies {
        insert_role_policy_row(tx, g, p)?;
    }
    for r in &snap.groups {
        insert_group_row(tx, g, r)?;
    }
    for p in &snap.group_policies {
        insert_group_policy_row(tx, g, p)?;
    }
    for m in &snap.group_members {
        insert_group_member_row(tx, g, m)?;
    }
    for p in &snap.managed_policies {
        insert_managed_policy_row(tx, g, p)?;
    }
    for v in &snap.policy_versions {
        insert_policy_version_row(tx, g, v)?;
    }
    for a in &snap.policy_attachments {
        insert_policy_attachment_row(tx, g, a)?;
    }
    for p in &snap.oidc_providers {
        insert_oidc_provider_row(tx, g, p)?;
    }
    for r in &snap.custom_key_stores {
        insert_custom_key_store_row(tx, g, r)?;
    }
    for k in &snap.keys {
        insert_key_row(tx, g, k)?;
    }
    for v in &snap.versions {
        insert_version(tx, g, v)?;
    }
    for a in &snap.aliases {
        insert_alias_row(tx, g, a)?;
    }
    for grant in &snap.grants {
        insert_grant_row(tx, g, grant)?;
    }
    for d in &snap.destroyed {
        insert_destroyed_row(tx, d)?;
    }
    insert_audit(tx, &snap.audit)?;
    // An import indexes what it brings at once: a lookup need not read a
    // whole imported trail as its tail.
    index_in(tx, usize::MAX)?;
    for cp in &snap.checkpoints {
        insert_checkpoint_row(tx, cp)?;
    }
    Ok(())
}

/// Opens a write transaction. IMMEDIATE: the write lock is taken at BEGIN,
/// before anything is read, so another process on the same file can
/// neither change what this transaction read (the audit head above all)
/// nor make it fail with `SQLITE_BUSY` when it starts writing.
pub(super) fn write_tx(c: &mut Connection) -> StoreResult<Transaction<'_>> {
    c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)
}

/// Appends `audit` to the chain in `tx` (see [`append_audit_in`]) and
/// commits: the change made in `tx` and its events are stored together or
/// not at all. A change that failed returned before this, and dropping its
/// transaction rolled it back, so no event of it is stored.
pub(super) fn commit_audited(tx: Transaction<'_>, audit: &[AuditEntry]) -> StoreResult<()> {
    append_audit_in(&tx, audit)?;
    tx.commit().map_err(backend)
}

/// After deleting key material: the WAL still holds the pages as they were
/// before the delete, so copy the (zeroed, thanks to secure_delete) pages
/// into the database and empty the WAL. Best effort: a busy reader only
/// delays it to the next checkpoint.
pub(super) fn checkpoint(c: &Connection) {
    if let Err(e) = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "WAL checkpoint after deleting key material failed");
    }
}

pub(super) fn insert_version(tx: &Transaction<'_>, g: &RowGuard, v: &KeyVersionRecord) -> StoreResult<()> {
    write_version(tx, g, "INSERT", v)
}

/// `verb` is `INSERT` (a taken version number is `AlreadyExists`) or
/// `INSERT OR REPLACE`.
pub(super) fn write_version(tx: &Transaction<'_>, g: &RowGuard, verb: &str, v: &KeyVersionRecord) -> StoreResult<()> {
    let import = v.import.as_ref();
    let mut st = tx
        .prepare_cached(&insert_sql("key_versions", VERSION_COLUMNS, q).replacen("INSERT", verb, 1))
        .map_err(backend)?;
    st.execute(params![
        v.key_id.as_str(),
        v.version,
        v.material_id,
        v.wrapped_material,
        v.created_at,
        v.rotation_type.as_ref().map(|r| r.as_str().to_owned()),
        import.map(|i| i.expiration_model.as_str().to_owned()),
        import.and_then(|i| i.valid_to),
        import.and_then(|i| i.description.clone()),
        g.seal(v)?,
    ])
    .map_err(write_err)?;
    Ok(())
}

/// Replaces a key's mutable columns (the key of its id and Region) if the
/// stored revision is `key.revision - 1`.
pub(super) fn update_key_row(tx: &Transaction<'_>, g: &RowGuard, key: &KeyRecord) -> StoreResult<()> {
    let n = tx.prepare_cached(&update_key_sql(q)).map_err(backend)?.execute(params_from_iter(key_values(g, key)?));
    if n.map_err(backend)? == 0 {
        let exists = stored_revision(tx, key)?.is_some();
        return Err(if exists { StoreError::Conflict } else { StoreError::NotFound });
    }
    Ok(())
}

pub(super) fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: r.get(0)?,
        prev_hash: r.get(1)?,
        hash: r.get(2)?,
        event_id: r.get(3)?,
        event_time: r.get(4)?,
        event_name: r.get(5)?,
        account: r.get(6)?,
        username: r.get(7)?,
        access_key_id: r.get(8)?,
        read_only: r.get(9)?,
        resources: r.get(10)?,
        record: r.get(11)?,
        chain: r.get(12)?,
        position: r.get(13)?,
    })
}

pub(super) fn audit_head(c: &Connection) -> StoreResult<Option<(u64, Hash)>> {
    // Cached: every group commit reads the head.
    let head = c
        .prepare_cached(AUDIT_HEAD_SQL)
        .and_then(|mut st| st.query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))).optional())
        .map_err(backend)?;
    head.map(|(seq, hash)| Ok((seq_of(seq)?, hash_of(&hash)?))).transpose()
}

/// Chains `entries` after the stored head and writes them, in `tx`, which
/// must be a [`write_tx`] so that no other writer moves the head before it
/// commits. Nothing is read or written for no entries. Used by
/// [`Store::append_audit`] and, through [`commit_audited`], by every change.
pub(super) fn append_audit_in(tx: &Transaction<'_>, entries: &[AuditEntry]) -> StoreResult<Vec<AuditRecord>> {
    append_owned_audit_in(tx, entries.to_vec())
}

/// [`append_audit_in`] of entries the caller owns (they move into the
/// records: [`Store::append_audit`]'s group commit copies none).
pub(super) fn append_owned_audit_in(tx: &Transaction<'_>, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let records = chain_owned(audit_head(tx)?, entries);
    insert_audit(tx, &records)?;
    Ok(records)
}

/// Writes chained records to the log, `audit_events`: one row each, no
/// secondary index ([`index_in`] builds the lookup rows later).
pub(super) fn insert_audit(tx: &Transaction<'_>, records: &[AuditRecord]) -> StoreResult<()> {
    let mut events = tx.prepare_cached(&insert_sql("audit_events", AUDIT_STORED_COLUMNS, q)).map_err(backend)?;
    for r in records {
        let e = &r.entry;
        // A taken seq means the chain moved under us: a failure of the
        // append, not a duplicate the caller made.
        events
            .execute(params![
                seq_param(r.seq)?,
                r.prev_hash,
                r.hash,
                e.event_id,
                e.event_time,
                e.event_name,
                e.account,
                e.username,
                e.access_key_id,
                e.read_only,
                resources_json(e),
                e.record,
            ])
            .map_err(backend)?;
    }
    Ok(())
}

/// The indexed point and the log's last seq ([`INDEX_STATE_SQL`]).
pub(super) fn index_state(c: &Connection) -> StoreResult<(i64, Option<i64>)> {
    c.query_row(INDEX_STATE_SQL, [], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)
}

/// Indexes up to `max` records of the log past the indexed point, in `tx`
/// (a [`write_tx`]): their `audit_lookup` and `audit_resources` rows, and
/// the new indexed point. Returns how many.
///
/// Inside SQLite, by `INSERT … SELECT` from the log: the lookup rows are
/// copied from the log's columns, and each event's resources unnested from
/// its JSON array (`json_each`, its key id by [`KEY_ID_FN`]). An ARN named
/// twice in one event is stored once by the table's primary key and `OR
/// IGNORE` (a `DISTINCT` sorted each batch's rows in a temporary B-tree
/// first: 1.1 µs an event of the 4.7 the statement took, timed on a copy of
/// a benchmarked trail). Indexing holds the one writer connection, which
/// the audit appends wait for; reading every record out (its whole event)
/// and inserting row by row held it longer.
pub(super) fn index_in(tx: &Transaction<'_>, max: usize) -> StoreResult<u64> {
    let (through, _) = index_state(tx)?;
    let [end_sql, lookup_sql, resources_sql] = index_sql();
    let end: Option<i64> = tx
        .prepare_cached(&end_sql)
        .and_then(|mut st| st.query_row(params![through, limit_param(max)], |r| r.get(0)))
        .map_err(backend)?;
    let Some(end) = end else { return Ok(0) };
    let n = tx.prepare_cached(&lookup_sql).and_then(|mut st| st.execute(params![through, end])).map_err(backend)?;
    tx.prepare_cached(&resources_sql).and_then(|mut st| st.execute(params![through, end])).map_err(backend)?;
    tx.execute(&advance_index_sql(q), params![end]).map_err(backend)?;
    Ok(n as u64)
}

/// The statements of [`index_in`], each over the log's records after `?1`:
/// the seq of the `?2`-th (or the last), then the lookup rows and the
/// resource rows of those up to it (`?2`).
pub(super) fn index_sql() -> [String; 3] {
    [
        "SELECT MAX(seq) FROM (SELECT seq FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2)".to_owned(),
        format!(
            "INSERT INTO audit_lookup ({LOOKUP_COLUMNS}) SELECT {LOOKUP_COLUMNS} FROM audit_events \
             WHERE seq > ?1 AND seq <= ?2"
        ),
        format!(
            "INSERT OR IGNORE INTO audit_resources (seq, arn, key_id) SELECT e.seq, r.value, {KEY_ID_FN}(r.value) \
             FROM audit_events e, json_each(e.resources) r WHERE e.seq > ?1 AND e.seq <= ?2"
        ),
    ]
}

/// Seals the rows stored before row MACs existed, if the migration that
/// added them left its marker, and removes the marker; in `tx`, a
/// [`write_tx`]. Returns how many rows it sealed.
pub(super) fn seal_pending_in(tx: &Transaction<'_>, g: &RowGuard) -> StoreResult<u64> {
    if !tx.query_row(SEAL_PENDING_SQL, [], |r| r.get::<_, bool>(0)).map_err(backend)? {
        return Ok(0);
    }
    let grant = |r: &Row<'_>| -> rusqlite::Result<Unchecked<GrantRecord>> {
        grant_row(r)?.decode().map_err(|e| decode_err(&e.to_string()))
    };
    let n = seal_table(tx, g, "accounts", ACCOUNT_COLUMNS, account_from_row)?
        + seal_table(tx, g, "access_keys", ACCESS_KEY_COLUMNS, access_key_from_row)?
        + seal_table(tx, g, "users", USER_COLUMNS, user_from_row)?
        + seal_table(tx, g, "user_policies", USER_POLICY_COLUMNS, user_policy_from_row)?
        + seal_table(tx, g, "roles", ROLE_COLUMNS, role_from_row)?
        + seal_table(tx, g, "role_policies", ROLE_POLICY_COLUMNS, role_policy_from_row)?
        + seal_table(tx, g, "groups", GROUP_COLUMNS, group_from_row)?
        + seal_table(tx, g, "group_policies", GROUP_POLICY_COLUMNS, group_policy_from_row)?
        + seal_table(tx, g, "group_members", GROUP_MEMBER_COLUMNS, group_member_from_row)?
        + seal_table(tx, g, "managed_policies", MANAGED_POLICY_COLUMNS, managed_policy_from_row)?
        + seal_table(tx, g, "policy_versions", POLICY_VERSION_COLUMNS, policy_version_from_row)?
        + seal_table(tx, g, "policy_attachments", POLICY_ATTACHMENT_COLUMNS, policy_attachment_from_row)?
        + seal_table(tx, g, "oidc_providers", OIDC_PROVIDER_COLUMNS, oidc_provider_from_row)?
        + seal_table(tx, g, "custom_key_stores", CUSTOM_KEY_STORE_COLUMNS, custom_key_store_from_row)?
        + seal_table(tx, g, "keys", KEY_COLUMNS, key_from_row)?
        + seal_table(tx, g, "key_versions", VERSION_COLUMNS, version_from_row)?
        + seal_table(tx, g, "aliases", ALIAS_COLUMNS, alias_from_row)?
        + seal_table(tx, g, "grants", GRANT_COLUMNS, grant)?;
    tx.execute(SEAL_DONE_SQL, []).map_err(backend)?;
    Ok(n)
}

fn seal_table<T: Sealed>(
    tx: &Transaction<'_>,
    g: &RowGuard,
    table: &str,
    columns: &str,
    decode: impl Fn(&Row<'_>) -> rusqlite::Result<Unchecked<T>>,
) -> StoreResult<u64> {
    let rows: Vec<(T, i64)> = {
        let mut st = tx.prepare(&unsealed_rows_sql(table, columns, "rowid")).map_err(backend)?;
        let rows = st.query_map([], |r| Ok((decode(r)?.0, r.get("row_ref")?))).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)?
    };
    let mut up = tx.prepare(&format!("UPDATE {table} SET mac = ?1 WHERE rowid = ?2")).map_err(backend)?;
    for (row, rowid) in &rows {
        up.execute(params![g.seal(row)?, rowid]).map_err(backend)?;
    }
    Ok(rows.len() as u64)
}
