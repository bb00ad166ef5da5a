//! Rows: the values written for every record, decoding of every row, and the audit append.

#[allow(unused_imports)]
use super::*;

/// The values of [`KEY_COLUMNS`] for a key, in order.
pub(super) fn key_values(g: &RowGuard, key: &KeyRecord) -> StoreResult<Vec<Box<dyn ToSql + Sync + Send>>> {
    Ok(vec![
        Box::new(key.id.as_str().to_owned()),
        Box::new(key.scope.account.as_str().to_owned()),
        Box::new(key.scope.region.as_str().to_owned()),
        Box::new(key.spec.as_str().to_owned()),
        Box::new(key.usage.as_str().to_owned()),
        Box::new(key.origin.as_str().to_owned()),
        Box::new(key.created_at),
        Box::new(key.multi_region),
        Box::new(key.description.clone()),
        Box::new(key.state.as_str().to_owned()),
        Box::new(key.policy.clone()),
        Box::new(tags_to_json(&key.tags)),
        Box::new(i64::from(key.current_version)),
        Box::new(key.deletion_date),
        Box::new(key.pending_window_days.map(i64::from)),
        Box::new(revision_param(key.revision)?),
        Box::new(key.rotation_period_days.map(i64::from)),
        Box::new(key.next_rotation_at),
        Box::new(key.next_expiry_at),
        Box::new(key.primary_region.as_ref().map(|r| r.as_str().to_owned())),
        Box::new(principals_to_json(&key.policy_principals)),
        Box::new(key.custom_key_store_id.clone()),
        Box::new(regions_to_column(&key.remote_regions)),
        Box::new(g.seal(key)?),
    ])
}

/// The values of [`VERSION_COLUMNS`] for a version, in order.
pub(super) fn version_values(g: &RowGuard, v: &KeyVersionRecord) -> StoreResult<Vec<Box<dyn ToSql + Sync + Send>>> {
    let import = v.import.as_ref();
    Ok(vec![
        Box::new(v.key_id.as_str().to_owned()),
        Box::new(i64::from(v.version)),
        Box::new(v.material_id.clone()),
        Box::new(v.wrapped_material.clone()),
        Box::new(v.created_at),
        Box::new(v.rotation_type.as_ref().map(|r| r.as_str().to_owned())),
        Box::new(import.map(|i| i.expiration_model.as_str().to_owned())),
        Box::new(import.and_then(|i| i.valid_to)),
        Box::new(import.and_then(|i| i.description.clone())),
        Box::new(g.seal(v)?),
    ])
}

/// Values bound to one row.
pub(super) type RowValues = Vec<Box<dyn ToSql + Sync + Send>>;

pub(super) fn domain_key_values(dk: &DomainKeyRecord) -> RowValues {
    vec![Box::new(i64::from(dk.id)), Box::new(dk.wrapped.clone()), Box::new(dk.created_at)]
}

pub(super) fn account_values(g: &RowGuard, a: &AccountRecord) -> StoreResult<RowValues> {
    Ok(vec![Box::new(a.id.as_str().to_owned()), Box::new(a.created_at), Box::new(a.operator), Box::new(g.seal(a)?)])
}

pub(super) fn access_key_values(g: &RowGuard, k: &AccessKeyRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(k.id.as_str().to_owned()),
        Box::new(k.account.as_str().to_owned()),
        Box::new(k.principal.as_str().to_owned()),
        Box::new(k.wrapped_secret.clone()),
        Box::new(k.created_at),
        Box::new(k.inactive),
        Box::new(g.seal(k)?),
    ])
}

pub(super) fn user_values(g: &RowGuard, u: &UserRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(u.account.as_str().to_owned()),
        Box::new(u.name.clone()),
        Box::new(user_name_key(&u.name)),
        Box::new(u.user_id.clone()),
        Box::new(u.created_at),
        Box::new(tags_to_json(&u.tags)),
        Box::new(g.seal(u)?),
    ])
}

pub(super) fn user_policy_values(g: &RowGuard, policy: &UserPolicyRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(policy.account.as_str().to_owned()),
        Box::new(policy.user_name.clone()),
        Box::new(policy.policy_name.clone()),
        Box::new(policy.document.clone()),
        Box::new(g.seal(policy)?),
    ])
}

/// The values of [`ROLE_COLUMNS`] for a role, in order: INSERT and UPDATE
/// bind the same list.
pub(super) fn role_values(g: &RowGuard, r: &RoleRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(r.account.as_str().to_owned()),
        Box::new(r.name.clone()),
        Box::new(role_name_key(&r.name)),
        Box::new(r.role_id.clone()),
        Box::new(r.path.clone()),
        Box::new(r.trust_policy.clone()),
        Box::new(r.description.clone()),
        Box::new(i64::from(r.max_session_duration)),
        Box::new(r.created_at),
        Box::new(tags_to_json(&r.tags)),
        Box::new(g.seal(r)?),
    ])
}

pub(super) fn role_policy_values(g: &RowGuard, policy: &RolePolicyRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(policy.account.as_str().to_owned()),
        Box::new(policy.role_name.clone()),
        Box::new(policy.policy_name.clone()),
        Box::new(policy.document.clone()),
        Box::new(g.seal(policy)?),
    ])
}

pub(super) fn group_values(g: &RowGuard, r: &GroupRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(r.account.as_str().to_owned()),
        Box::new(r.name.clone()),
        Box::new(group_name_key(&r.name)),
        Box::new(r.group_id.clone()),
        Box::new(r.path.clone()),
        Box::new(r.created_at),
        Box::new(g.seal(r)?),
    ])
}

pub(super) fn group_policy_values(g: &RowGuard, policy: &GroupPolicyRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(policy.account.as_str().to_owned()),
        Box::new(policy.group_name.clone()),
        Box::new(policy.policy_name.clone()),
        Box::new(policy.document.clone()),
        Box::new(g.seal(policy)?),
    ])
}

pub(super) fn group_member_values(g: &RowGuard, m: &GroupMemberRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(m.account.as_str().to_owned()),
        Box::new(m.group_name.clone()),
        Box::new(m.user_name.clone()),
        Box::new(g.seal(m)?),
    ])
}

/// The values of [`MANAGED_POLICY_COLUMNS`] for a managed policy, in
/// order: INSERT and UPDATE bind the same list.
pub(super) fn managed_policy_values(g: &RowGuard, r: &ManagedPolicyRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(r.account.as_str().to_owned()),
        Box::new(r.name.clone()),
        Box::new(managed_policy_name_key(&r.name)),
        Box::new(r.policy_id.clone()),
        Box::new(r.path.clone()),
        Box::new(r.description.clone()),
        Box::new(i64::from(r.default_version)),
        Box::new(i64::from(r.next_version)),
        Box::new(r.created_at),
        Box::new(r.updated_at),
        Box::new(tags_to_json(&r.tags)),
        Box::new(g.seal(r)?),
    ])
}

pub(super) fn policy_version_values(g: &RowGuard, v: &PolicyVersionRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(v.account.as_str().to_owned()),
        Box::new(v.policy_name.clone()),
        Box::new(i64::from(v.version)),
        Box::new(v.document.clone()),
        Box::new(v.created_at),
        Box::new(g.seal(v)?),
    ])
}

pub(super) fn policy_attachment_values(g: &RowGuard, a: &PolicyAttachmentRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(a.account.as_str().to_owned()),
        Box::new(a.policy_name.clone()),
        Box::new(a.target.as_str().to_owned()),
        Box::new(a.entity_name.clone()),
        Box::new(g.seal(a)?),
    ])
}

/// The values of [`OIDC_PROVIDER_COLUMNS`] for an OpenID Connect provider,
/// in order.
pub(super) fn oidc_provider_values(g: &RowGuard, r: &OidcProviderRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(r.account.as_str().to_owned()),
        Box::new(r.url.clone()),
        Box::new(strings_to_json(&r.client_ids)),
        Box::new(strings_to_json(&r.thumbprints)),
        Box::new(tags_to_json(&r.tags)),
        Box::new(r.created_at),
        Box::new(g.seal(r)?),
    ])
}

pub(super) fn alias_values(g: &RowGuard, a: &AliasRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(a.scope.account.as_str().to_owned()),
        Box::new(a.scope.region.as_str().to_owned()),
        Box::new(a.name.as_str().to_owned()),
        Box::new(a.target.as_str().to_owned()),
        Box::new(a.created_at),
        Box::new(a.updated_at),
        Box::new(g.seal(a)?),
    ])
}

pub(super) fn grant_values(guard: &RowGuard, g: &GrantRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(g.key_id.as_str().to_owned()),
        Box::new(g.grant_id.clone()),
        Box::new(g.key_arn.clone()),
        Box::new(g.name.clone()),
        Box::new(g.grantee_principal.clone()),
        Box::new(g.retiring_principal.clone()),
        Box::new(g.issuing_account.clone()),
        Box::new(g.operations_text()),
        Box::new(g.constraints_text()),
        Box::new(g.created_at),
        Box::new(guard.seal(g)?),
    ])
}

pub(super) fn destroyed_values(d: &DestroyedKey) -> RowValues {
    vec![
        Box::new(d.id.as_str().to_owned()),
        Box::new(d.scope.account.as_str().to_owned()),
        Box::new(d.scope.region.as_str().to_owned()),
        Box::new(d.destroyed_at),
    ]
}

pub(super) fn checkpoint_values(cp: &AuditCheckpoint) -> StoreResult<RowValues> {
    let (number, prev) = checkpoint_link(cp)?;
    Ok(vec![
        Box::new(seq_param(cp.seq)?),
        Box::new(cp.hash.to_vec()),
        Box::new(cp.created_at),
        Box::new(cp.signature.clone()),
        Box::new(number),
        Box::new(prev),
        Box::new(chain_param(cp.chain)),
    ])
}

/// A chain as PostgreSQL stores it (INTEGER).
pub(super) fn chain_param(chain: u32) -> i32 {
    i32::try_from(chain).unwrap_or(i32::MAX)
}

pub(super) fn refs(values: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect()
}

/// The values of a query built by `sql::lookup_audit_sql`, for [`refs`].
pub(super) fn audit_values(values: Vec<AuditParam>) -> RowValues {
    values
        .into_iter()
        .map(|v| -> Box<dyn ToSql + Sync + Send> {
            match v {
                AuditParam::Text(s) => Box::new(s),
                AuditParam::Int(i) => Box::new(i),
                AuditParam::Bool(b) => Box::new(b),
            }
        })
        .collect()
}

/// Inserts `rows` (values of `columns`) into `table`: one statement for a
/// single row, [`ROWS_PER_INSERT`] rows a statement for an import.
pub(super) async fn insert_rows(
    c: &impl GenericClient,
    table: &str,
    columns: &str,
    rows: &[RowValues],
) -> StoreResult<()> {
    let width = columns.split(',').count();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", (1..=width).map(|i| p(r * width + i)).collect::<Vec<_>>().join(", ")))
            .collect();
        let sql = format!("INSERT INTO {table} ({columns}) VALUES {}", tuples.join(", "));
        let values: Vec<&(dyn ToSql + Sync)> = chunk.iter().flat_map(|r| refs(r)).collect();
        c.execute(&sql, &values).await.map_err(write_err)?;
    }
    Ok(())
}

/// One row's values as the only row of [`insert_rows`].
pub(super) fn one(values: RowValues) -> [RowValues; 1] {
    [values]
}

pub(super) fn opt_i32(v: Option<i64>, what: &str) -> StoreResult<Option<i32>> {
    v.map(|n| i32::try_from(n).map_err(|_| corrupt(what))).transpose()
}

pub(super) fn key_from_row(r: &Row) -> StoreResult<Unchecked<KeyRecord>> {
    Ok((key_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn key_from_row_bare(r: &Row) -> StoreResult<KeyRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    let revision: i64 = r.try_get("revision").map_err(backend)?;
    Ok(KeyRecord {
        id: KeyId::new_unchecked(get_s("id")?),
        scope: Scope {
            account: AccountId::new_unchecked(get_s("account")?),
            region: Region::new_unchecked(get_s("region")?),
        },
        description: get_s("description")?,
        spec: KeySpec::parse(&get_s("spec")?),
        usage: KeyUsage::parse(&get_s("usage")?),
        origin: Origin::parse(&get_s("origin")?),
        state: KeyState::parse(&get_s("state")?),
        created_at: r.try_get("created_at").map_err(backend)?,
        policy: get_s("policy")?,
        policy_principals: principals_from_json(&get_s("policy_principals")?)
            .ok_or_else(|| corrupt("policy_principals"))?,
        tags: tags_from_json(&get_s("tags")?).ok_or_else(|| corrupt("tags"))?,
        multi_region: r.try_get("multi_region").map_err(backend)?,
        current_version: u32_of(r.try_get("current_version").map_err(backend)?, "current_version")?,
        deletion_date: r.try_get("deletion_date").map_err(backend)?,
        pending_window_days: opt_i32(r.try_get("pending_window_days").map_err(backend)?, "pending_window_days")?,
        revision: u64::try_from(revision).map_err(|_| corrupt("revision"))?,
        rotation_period_days: opt_i32(r.try_get("rotation_period_days").map_err(backend)?, "rotation_period_days")?,
        next_rotation_at: r.try_get("next_rotation_at").map_err(backend)?,
        next_expiry_at: r.try_get("next_expiry_at").map_err(backend)?,
        primary_region: r.try_get::<_, Option<String>>("primary_region").map_err(backend)?.map(Region::new_unchecked),
        custom_key_store_id: r.try_get("custom_key_store_id").map_err(backend)?,
        remote_regions: regions_from_column(
            r.try_get::<_, Option<String>>("remote_regions").map_err(backend)?.as_deref(),
        ),
    })
}

pub(super) fn grant_from_row(r: &Row) -> StoreResult<Unchecked<GrantRecord>> {
    Ok((grant_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn grant_from_row_bare(r: &Row) -> StoreResult<GrantRecord> {
    let text = |i: usize| r.try_get::<_, String>(i).map_err(backend);
    let opt = |i: usize| r.try_get::<_, Option<String>>(i).map_err(backend);
    let operations = text(7)?;
    let constraints = opt(8)?;
    grant_from_parts(
        text(0)?,
        text(1)?,
        text(2)?,
        opt(3)?,
        text(4)?,
        opt(5)?,
        text(6)?,
        &operations,
        constraints.as_deref(),
        r.try_get(9).map_err(backend)?,
    )
}

pub(super) fn version_from_row(r: &Row) -> StoreResult<Unchecked<KeyVersionRecord>> {
    Ok((version_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn version_from_row_bare(r: &Row) -> StoreResult<KeyVersionRecord> {
    let model: Option<String> = r.try_get("expiration_model").map_err(backend)?;
    let import = match model {
        Some(m) => Some(ImportTerms {
            expiration_model: ExpirationModel::parse(&m),
            valid_to: r.try_get("valid_to").map_err(backend)?,
            description: r.try_get("material_description").map_err(backend)?,
        }),
        None => None,
    };
    Ok(KeyVersionRecord {
        key_id: KeyId::new_unchecked(r.try_get::<_, String>("key_id").map_err(backend)?),
        version: u32_of(r.try_get("version").map_err(backend)?, "version")?,
        material_id: r.try_get("material_id").map_err(backend)?,
        wrapped_material: r.try_get("wrapped_material").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        rotation_type: r
            .try_get::<_, Option<String>>("rotation_type")
            .map_err(backend)?
            .map(|s| RotationType::parse(&s)),
        import,
    })
}

pub(super) fn domain_key_from_row(r: &Row) -> StoreResult<DomainKeyRecord> {
    Ok(DomainKeyRecord {
        id: u32_of(r.try_get("id").map_err(backend)?, "domain key id")?,
        wrapped: r.try_get("wrapped").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
    })
}

pub(super) fn account_from_row(r: &Row) -> StoreResult<Unchecked<AccountRecord>> {
    Ok((account_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn account_from_row_bare(r: &Row) -> StoreResult<AccountRecord> {
    Ok(AccountRecord {
        id: AccountId::new_unchecked(r.try_get::<_, String>("id").map_err(backend)?),
        created_at: r.try_get("created_at").map_err(backend)?,
        operator: r.try_get("operator").map_err(backend)?,
    })
}

pub(super) fn access_key_from_row(r: &Row) -> StoreResult<Unchecked<AccessKeyRecord>> {
    Ok((access_key_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn access_key_from_row_bare(r: &Row) -> StoreResult<AccessKeyRecord> {
    Ok(AccessKeyRecord {
        id: AccessKeyId::new_unchecked(r.try_get::<_, String>("id").map_err(backend)?),
        account: AccountId::new_unchecked(r.try_get::<_, String>("account").map_err(backend)?),
        principal: PrincipalArn::new_unchecked(r.try_get::<_, String>("principal").map_err(backend)?),
        wrapped_secret: r.try_get("wrapped_secret").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        inactive: r.try_get("inactive").map_err(backend)?,
    })
}

pub(super) fn user_from_row(r: &Row) -> StoreResult<Unchecked<UserRecord>> {
    Ok((user_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn user_from_row_bare(r: &Row) -> StoreResult<UserRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(UserRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        name: get_s("name")?,
        user_id: get_s("user_id")?,
        created_at: r.try_get("created_at").map_err(backend)?,
        tags: tags_from_json(&get_s("tags")?).ok_or_else(|| corrupt("user tags"))?,
    })
}

pub(super) fn user_policy_from_row(r: &Row) -> StoreResult<Unchecked<UserPolicyRecord>> {
    Ok((user_policy_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn user_policy_from_row_bare(r: &Row) -> StoreResult<UserPolicyRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(UserPolicyRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        user_name: get_s("user_name")?,
        policy_name: get_s("policy_name")?,
        document: get_s("document")?,
    })
}

/// The user of `account` named exactly `name`, its row locked in `tx` with
/// `lock` (`FOR UPDATE` to delete it, `FOR KEY SHARE` to add a policy or
/// an access key to it): a delete and a policy put (or key insert) racing
/// on one user take turns, and the later one sees what the first did.
pub(super) async fn user_exact_locked(
    tx: &Transaction<'_>,
    g: &RowGuard,
    account: &AccountId,
    name: &str,
    lock: &str,
) -> StoreResult<Option<UserRecord>> {
    let row =
        tx.query_opt(&format!("{} {lock}", user_exact_sql(p)), &[&account.as_str(), &name]).await.map_err(backend)?;
    g.check_opt(row.as_ref().map(user_from_row).transpose()?)
}

pub(super) fn role_from_row(r: &Row) -> StoreResult<Unchecked<RoleRecord>> {
    Ok((role_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn role_from_row_bare(r: &Row) -> StoreResult<RoleRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(RoleRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        name: get_s("name")?,
        role_id: get_s("role_id")?,
        path: get_s("path")?,
        trust_policy: get_s("trust_policy")?,
        description: r.try_get("description").map_err(backend)?,
        max_session_duration: u32_of(r.try_get("max_session_duration").map_err(backend)?, "role session duration")?,
        created_at: r.try_get("created_at").map_err(backend)?,
        tags: tags_from_json(&get_s("tags")?).ok_or_else(|| corrupt("role tags"))?,
    })
}

pub(super) fn role_policy_from_row(r: &Row) -> StoreResult<Unchecked<RolePolicyRecord>> {
    Ok((role_policy_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn role_policy_from_row_bare(r: &Row) -> StoreResult<RolePolicyRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(RolePolicyRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        role_name: get_s("role_name")?,
        policy_name: get_s("policy_name")?,
        document: get_s("document")?,
    })
}

/// The role of `account` named exactly `name`, its row locked in `tx` with
/// `lock` (`FOR UPDATE` to delete it, `FOR KEY SHARE` to add a policy to
/// it), as [`user_exact_locked`] locks a user's.
pub(super) async fn role_exact_locked(
    tx: &Transaction<'_>,
    g: &RowGuard,
    account: &AccountId,
    name: &str,
    lock: &str,
) -> StoreResult<Option<RoleRecord>> {
    let row =
        tx.query_opt(&format!("{} {lock}", role_exact_sql(p)), &[&account.as_str(), &name]).await.map_err(backend)?;
    g.check_opt(row.as_ref().map(role_from_row).transpose()?)
}

pub(super) fn group_from_row(r: &Row) -> StoreResult<Unchecked<GroupRecord>> {
    Ok((group_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn group_from_row_bare(r: &Row) -> StoreResult<GroupRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(GroupRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        name: get_s("name")?,
        group_id: get_s("group_id")?,
        path: get_s("path")?,
        created_at: r.try_get("created_at").map_err(backend)?,
    })
}

pub(super) fn group_policy_from_row(r: &Row) -> StoreResult<Unchecked<GroupPolicyRecord>> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    let policy = GroupPolicyRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        group_name: get_s("group_name")?,
        policy_name: get_s("policy_name")?,
        document: get_s("document")?,
    };
    Ok((policy, r.try_get("mac").map_err(backend)?))
}

pub(super) fn group_member_from_row(r: &Row) -> StoreResult<Unchecked<GroupMemberRecord>> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    let member = GroupMemberRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        group_name: get_s("group_name")?,
        user_name: get_s("user_name")?,
    };
    Ok((member, r.try_get("mac").map_err(backend)?))
}

/// A row of [`groups_of_user_sql`]: the group, and the membership that
/// joined it (its group name the group's, by the join).
pub(super) fn group_of_user_from_row(r: &Row) -> StoreResult<(Unchecked<GroupRecord>, Unchecked<GroupMemberRecord>)> {
    let group = group_from_row(r)?;
    let member = GroupMemberRecord {
        account: group.0.account.clone(),
        group_name: group.0.name.clone(),
        user_name: r.try_get("user_name").map_err(backend)?,
    };
    Ok((group, (member, r.try_get("member_mac").map_err(backend)?)))
}

/// The group of `account` named exactly `name`, its row locked in `tx` with
/// `lock` (`FOR UPDATE` to delete it, `FOR KEY SHARE` to add a policy or a
/// member to it), as [`user_exact_locked`] locks a user's.
pub(super) async fn group_exact_locked(
    tx: &Transaction<'_>,
    g: &RowGuard,
    account: &AccountId,
    name: &str,
    lock: &str,
) -> StoreResult<Option<GroupRecord>> {
    let row =
        tx.query_opt(&format!("{} {lock}", group_exact_sql(p)), &[&account.as_str(), &name]).await.map_err(backend)?;
    g.check_opt(row.as_ref().map(group_from_row).transpose()?)
}

pub(super) fn managed_policy_from_row(r: &Row) -> StoreResult<Unchecked<ManagedPolicyRecord>> {
    Ok((managed_policy_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn managed_policy_from_row_bare(r: &Row) -> StoreResult<ManagedPolicyRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(ManagedPolicyRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        name: get_s("name")?,
        policy_id: get_s("policy_id")?,
        path: get_s("path")?,
        description: r.try_get("description").map_err(backend)?,
        default_version: u32_of(r.try_get("default_version").map_err(backend)?, "managed policy default version")?,
        next_version: u32_of(r.try_get("next_version").map_err(backend)?, "managed policy next version")?,
        created_at: r.try_get("created_at").map_err(backend)?,
        updated_at: r.try_get("updated_at").map_err(backend)?,
        tags: tags_from_json(&get_s("tags")?).ok_or_else(|| corrupt("managed policy tags"))?,
    })
}

pub(super) fn policy_version_from_row(r: &Row) -> StoreResult<Unchecked<PolicyVersionRecord>> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    let version = PolicyVersionRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        policy_name: get_s("policy_name")?,
        version: u32_of(r.try_get("version").map_err(backend)?, "policy version")?,
        document: get_s("document")?,
        created_at: r.try_get("created_at").map_err(backend)?,
    };
    Ok((version, r.try_get("mac").map_err(backend)?))
}

/// The `target` column: text [`AttachmentTarget::parse`] does not know is
/// a corrupt row.
fn target_of(r: &Row) -> StoreResult<AttachmentTarget> {
    let target: String = r.try_get("target").map_err(backend)?;
    AttachmentTarget::parse(&target).ok_or_else(|| corrupt("policy attachment target"))
}

pub(super) fn policy_attachment_from_row(r: &Row) -> StoreResult<Unchecked<PolicyAttachmentRecord>> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    let attachment = PolicyAttachmentRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        policy_name: get_s("policy_name")?,
        target: target_of(r)?,
        entity_name: get_s("entity_name")?,
    };
    Ok((attachment, r.try_get("mac").map_err(backend)?))
}

/// A row of [`attached_policies_sql`]: the policy, the attachment that
/// joined it and its default version (their account and policy name the
/// policy's, and the version's number its default, by the joins).
pub(super) fn attached_policy_from_row(r: &Row) -> StoreResult<AttachedRow> {
    let policy = managed_policy_from_row(r)?;
    let attachment = PolicyAttachmentRecord {
        account: policy.0.account.clone(),
        policy_name: policy.0.name.clone(),
        target: target_of(r)?,
        entity_name: r.try_get("entity_name").map_err(backend)?,
    };
    let version = PolicyVersionRecord {
        account: policy.0.account.clone(),
        policy_name: policy.0.name.clone(),
        version: policy.0.default_version,
        document: r.try_get("document").map_err(backend)?,
        created_at: r.try_get("version_created_at").map_err(backend)?,
    };
    Ok((
        policy,
        (attachment, r.try_get("attachment_mac").map_err(backend)?),
        (version, r.try_get("version_mac").map_err(backend)?),
    ))
}

/// The managed policy of `account` named exactly `name`, its row locked in
/// `tx` with `lock` (`FOR UPDATE` to delete it, `FOR KEY SHARE` to attach
/// it), as [`user_exact_locked`] locks a user's.
pub(super) async fn managed_policy_exact_locked(
    tx: &Transaction<'_>,
    g: &RowGuard,
    account: &AccountId,
    name: &str,
    lock: &str,
) -> StoreResult<Option<ManagedPolicyRecord>> {
    let row = tx
        .query_opt(&format!("{} {lock}", managed_policy_exact_sql(p)), &[&account.as_str(), &name])
        .await
        .map_err(backend)?;
    g.check_opt(row.as_ref().map(managed_policy_from_row).transpose()?)
}

/// The values of [`CUSTOM_KEY_STORE_COLUMNS`] for a custom key store, in
/// order: INSERT and UPDATE bind the same list.
pub(super) fn custom_key_store_values(g: &RowGuard, r: &CustomKeyStoreRecord) -> StoreResult<RowValues> {
    Ok(vec![
        Box::new(r.id.clone()),
        Box::new(r.scope.account.as_str().to_owned()),
        Box::new(r.scope.region.as_str().to_owned()),
        Box::new(r.created_at),
        Box::new(r.name.clone()),
        Box::new(r.cluster_id.clone()),
        Box::new(r.trust_anchor.clone()),
        Box::new(r.wrapped_password.clone()),
        Box::new(r.connection_state.clone()),
        Box::new(r.connection_error.clone()),
        Box::new(g.seal(r)?),
    ])
}

pub(super) fn custom_key_store_from_row(r: &Row) -> StoreResult<Unchecked<CustomKeyStoreRecord>> {
    Ok((custom_key_store_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn custom_key_store_from_row_bare(r: &Row) -> StoreResult<CustomKeyStoreRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(CustomKeyStoreRecord {
        scope: Scope {
            account: AccountId::new_unchecked(get_s("account")?),
            region: Region::new_unchecked(get_s("region")?),
        },
        id: get_s("id")?,
        name: get_s("name")?,
        cluster_id: get_s("cluster_id")?,
        trust_anchor: get_s("trust_anchor")?,
        wrapped_password: r.try_get("wrapped_password").map_err(backend)?,
        connection_state: get_s("connection_state")?,
        connection_error: r.try_get("connection_error").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
    })
}

/// The custom key store `id` of `scope`, its row checked and locked in
/// `tx` with `lock` (`FOR UPDATE` to update or delete it), as
/// [`oidc_provider_locked`] locks a provider's.
pub(super) async fn custom_key_store_locked(
    tx: &Transaction<'_>,
    g: &RowGuard,
    scope: &Scope,
    id: &str,
    lock: &str,
) -> StoreResult<Option<CustomKeyStoreRecord>> {
    let row = tx
        .query_opt(
            &format!("{} {lock}", custom_key_store_sql(p)),
            &[&id, &scope.account.as_str(), &scope.region.as_str()],
        )
        .await
        .map_err(backend)?;
    g.check_opt(row.as_ref().map(custom_key_store_from_row).transpose()?)
}

pub(super) fn oidc_provider_from_row(r: &Row) -> StoreResult<Unchecked<OidcProviderRecord>> {
    Ok((oidc_provider_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn oidc_provider_from_row_bare(r: &Row) -> StoreResult<OidcProviderRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(OidcProviderRecord {
        account: AccountId::new_unchecked(get_s("account")?),
        url: get_s("url")?,
        client_ids: strings_from_json(&get_s("client_ids")?).ok_or_else(|| corrupt("oidc provider client ids"))?,
        thumbprints: strings_from_json(&get_s("thumbprints")?).ok_or_else(|| corrupt("oidc provider thumbprints"))?,
        tags: tags_from_json(&get_s("tags")?).ok_or_else(|| corrupt("oidc provider tags"))?,
        created_at: r.try_get("created_at").map_err(backend)?,
    })
}

/// The OpenID Connect provider of `account` whose URL is `url`, its row
/// checked and locked in `tx` with `lock` (`FOR UPDATE` to update or
/// delete it): an update and a delete racing on one provider take turns,
/// and the later one sees what the first did.
pub(super) async fn oidc_provider_locked(
    tx: &Transaction<'_>,
    g: &RowGuard,
    account: &AccountId,
    url: &str,
    lock: &str,
) -> StoreResult<Option<OidcProviderRecord>> {
    let row =
        tx.query_opt(&format!("{} {lock}", oidc_provider_sql(p)), &[&account.as_str(), &url]).await.map_err(backend)?;
    g.check_opt(row.as_ref().map(oidc_provider_from_row).transpose()?)
}

/// Whether the user, role or group (as `target` names its kind) of
/// `account` named exactly `name` exists, its row checked and locked in
/// `tx` with `lock`, as [`user_exact_locked`] locks a user's.
pub(super) async fn entity_exists_locked(
    tx: &Transaction<'_>,
    g: &RowGuard,
    account: &AccountId,
    target: AttachmentTarget,
    name: &str,
    lock: &str,
) -> StoreResult<bool> {
    Ok(match target {
        AttachmentTarget::User | AttachmentTarget::UserBoundary => {
            user_exact_locked(tx, g, account, name, lock).await?.is_some()
        }
        AttachmentTarget::Role | AttachmentTarget::RoleBoundary => {
            role_exact_locked(tx, g, account, name, lock).await?.is_some()
        }
        AttachmentTarget::Group => group_exact_locked(tx, g, account, name, lock).await?.is_some(),
    })
}

pub(super) fn destroyed_from_row(r: &Row) -> StoreResult<DestroyedKey> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(DestroyedKey {
        scope: Scope {
            account: AccountId::new_unchecked(get_s("account")?),
            region: Region::new_unchecked(get_s("region")?),
        },
        id: KeyId::new_unchecked(get_s("id")?),
        destroyed_at: r.try_get("destroyed_at").map_err(backend)?,
    })
}

pub(super) fn checkpoint_from_row(r: &Row) -> StoreResult<AuditCheckpoint> {
    let get = |i: usize| r.try_get::<_, Option<Vec<u8>>>(i).map_err(backend);
    checkpoint_from_parts((
        r.try_get("seq").map_err(backend)?,
        r.try_get("hash").map_err(backend)?,
        r.try_get("created_at").map_err(backend)?,
        r.try_get("signature").map_err(backend)?,
        r.try_get("number").map_err(backend)?,
        get(5)?,
        i64::from(r.try_get::<_, i32>("chain").map_err(backend)?),
    ))
}

pub(super) fn alias_from_row(r: &Row) -> StoreResult<Unchecked<AliasRecord>> {
    Ok((alias_from_row_bare(r)?, r.try_get("mac").map_err(backend)?))
}

fn alias_from_row_bare(r: &Row) -> StoreResult<AliasRecord> {
    let get_s = |c: &str| r.try_get::<_, String>(c).map_err(backend);
    Ok(AliasRecord {
        scope: Scope {
            account: AccountId::new_unchecked(get_s("account")?),
            region: Region::new_unchecked(get_s("region")?),
        },
        name: AliasName::new_unchecked(get_s("name")?),
        target: KeyId::new_unchecked(get_s("target")?),
        created_at: r.try_get("created_at").map_err(backend)?,
        updated_at: r.try_get("updated_at").map_err(backend)?,
    })
}

/// Stores a key's changeable columns (the key of its id and Region) if its
/// stored revision is one less.
pub(super) async fn update_key_row(c: &impl GenericClient, g: &RowGuard, key: &KeyRecord) -> StoreResult<()> {
    let values = key_values(g, key)?;
    let n = c.execute(&update_key_sql(p), &refs(&values)).await.map_err(backend)?;
    if n == 0 {
        let exists = stored_revision(c, key, "").await?.is_some();
        return Err(if exists { StoreError::Conflict } else { StoreError::NotFound });
    }
    notify_key_changed(c, key).await
}

/// Tells the other nodes, at commit, that `key` changed: they drop it from
/// their key caches ([`super::KEYS_CHANNEL`]).
pub(super) async fn notify_key_changed(c: &impl GenericClient, key: &KeyRecord) -> StoreResult<()> {
    let payload = super::key_change_payload(&key.id, &key.scope.region);
    c.execute("SELECT pg_notify($1, $2)", &[&super::KEYS_CHANNEL, &payload]).await.map_err(backend)?;
    Ok(())
}

/// The stored revision of `key` (by its id and Region), its row locked
/// with `lock` (`FOR UPDATE`, or `""` for none); `None` when it is not
/// there.
pub(super) async fn stored_revision(c: &impl GenericClient, key: &KeyRecord, lock: &str) -> StoreResult<Option<i64>> {
    let row = c
        .query_opt(&format!("{} {lock}", key_revision_sql(p)), &[&key.id.as_str(), &key.scope.region.as_str()])
        .await
        .map_err(backend)?;
    row.map(|r| r.try_get(0)).transpose().map_err(backend)
}

pub(super) async fn insert_version(
    c: &impl GenericClient,
    g: &RowGuard,
    v: &KeyVersionRecord,
    replace: bool,
) -> StoreResult<()> {
    let mut sql = insert_sql("key_versions", VERSION_COLUMNS, p);
    if replace {
        sql.push_str(
            " ON CONFLICT (key_id, version) DO UPDATE SET material_id = EXCLUDED.material_id, \
             wrapped_material = EXCLUDED.wrapped_material, created_at = EXCLUDED.created_at, \
             rotation_type = EXCLUDED.rotation_type, expiration_model = EXCLUDED.expiration_model, \
             valid_to = EXCLUDED.valid_to, material_description = EXCLUDED.material_description, mac = EXCLUDED.mac",
        );
    }
    let values = version_values(g, v)?;
    c.execute(&sql, &refs(&values)).await.map_err(write_err)?;
    Ok(())
}

/// The records of each chain's tail past its indexed point with seq
/// strictly between the first two parameters, newest first, at most the
/// third: a chunk of what a lookup (or a usage count) reads from the log
/// itself, since seqs commit in order only within their chain.
pub(super) fn unindexed_tail_sql() -> String {
    format!(
        "SELECT {} FROM audit_events e JOIN audit_chains c ON e.chain = c.chain \
         WHERE e.position > c.indexed AND e.seq > $1 AND e.seq < $2 ORDER BY e.seq DESC LIMIT $3",
        AUDIT_COLUMNS.split(", ").map(|col| format!("e.{col}")).collect::<Vec<_>>().join(", ")
    )
}

pub(super) fn audit_from_row(r: &Row) -> StoreResult<AuditRecord> {
    let get = |i: usize| r.try_get::<_, Option<String>>(i).map_err(backend);
    let text = |i: usize| r.try_get::<_, String>(i).map_err(backend);
    AuditRow {
        seq: r.try_get(0).map_err(backend)?,
        prev_hash: r.try_get(1).map_err(backend)?,
        hash: r.try_get(2).map_err(backend)?,
        event_id: text(3)?,
        event_time: r.try_get(4).map_err(backend)?,
        event_name: text(5)?,
        account: get(6)?,
        username: get(7)?,
        access_key_id: get(8)?,
        read_only: r.try_get(9).map_err(backend)?,
        resources: text(10)?,
        record: text(11)?,
        chain: i64::from(r.try_get::<_, i32>(12).map_err(backend)?),
        position: r.try_get(13).map_err(backend)?,
    }
    .decode()
}

/// The last position of chain `chain` and its hash.
pub(super) async fn audit_head(c: &impl GenericClient, chain: u32) -> StoreResult<Option<(u64, Hash)>> {
    let row = c
        .query_opt(
            "SELECT position, hash FROM audit_events WHERE chain = $1 ORDER BY position DESC LIMIT 1",
            &[&chain_param(chain)],
        )
        .await
        .map_err(backend)?;
    row.map(|r| {
        let position: i64 = r.try_get(0).map_err(backend)?;
        let hash: Vec<u8> = r.try_get(1).map_err(backend)?;
        Ok((seq_of(position)?, hash_of(&hash)?))
    })
    .transpose()
}

/// Chains `entries` after the head of chain `chain` and writes them, in
/// `tx`. Takes the chain's append lock ([`APPEND_LOCK`]) first, held until
/// `tx` ends: this node's appenders queue there (other nodes append to
/// chains of their own), and the head is read after the lock, by a
/// statement whose snapshot shows the previous holder's commit (READ
/// COMMITTED takes one per statement). The seqs come from the sequence
/// `audit_seq`, which no lock guards. Used by [`Store::append_audit`] and,
/// through [`PostgresStore::commit_audited`], by every change, after the
/// change's own statements: the append lock is always the last lock a
/// transaction takes, so holding it never waits on a row lock.
pub(super) async fn append_audit_in(
    tx: &Transaction<'_>,
    chain: u32,
    entries: Vec<AuditEntry>,
) -> StoreResult<Vec<AuditRecord>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let key = chain_param(chain);
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1 || current_schema()), $2)", &[&APPEND_LOCK, &key])
        .await
        .map_err(backend)?;
    let n = i32::try_from(entries.len()).unwrap_or(i32::MAX);
    let row = tx
        .query_one(
            "SELECT (SELECT position FROM audit_events WHERE chain = $1 ORDER BY position DESC LIMIT 1), \
                    (SELECT hash FROM audit_events WHERE chain = $1 ORDER BY position DESC LIMIT 1), \
                    ARRAY(SELECT nextval('audit_seq') FROM generate_series(1, $2))",
            &[&key, &n],
        )
        .await
        .map_err(backend)?;
    let position: Option<i64> = row.try_get(0).map_err(backend)?;
    let hash: Option<Vec<u8>> = row.try_get(1).map_err(backend)?;
    let mut seqs: Vec<i64> = row.try_get(2).map_err(backend)?;
    seqs.sort_unstable();
    let head = match (position, hash) {
        (Some(p), Some(h)) => Some((seq_of(p)?, hash_of(&h)?)),
        _ => None,
    };
    let seqs = seqs.into_iter().map(seq_of).collect::<StoreResult<Vec<u64>>>()?;
    let records = chain_on(chain, head, entries, seqs);
    insert_audit(tx, &records).await?;
    Ok(records)
}

/// Writes chained records to the log, `audit_events`, in one statement
/// whatever the batch size (each column bound as an array and unnested). No
/// secondary index but the chain's: [`index_in`] builds the lookup rows
/// later.
pub(super) async fn insert_audit(c: &impl GenericClient, records: &[AuditRecord]) -> StoreResult<()> {
    let prev: Vec<&[u8]> = records.iter().map(|r| &r.prev_hash[..]).collect();
    let hash: Vec<&[u8]> = records.iter().map(|r| &r.hash[..]).collect();
    let entries = || records.iter().map(|r| &r.entry);
    let resources: Vec<String> = entries().map(resources_json).collect();
    let record: Vec<&str> = entries().map(|e| e.record.as_str()).collect();
    let chain: Vec<i32> = records.iter().map(|r| chain_param(r.chain)).collect();
    let position: Vec<i64> = records.iter().map(|r| seq_param(r.position)).collect::<StoreResult<_>>()?;
    let f = LookupFields::of(records)?;
    // A taken position means the chain moved under us: a failure of the
    // append, not a duplicate the caller made.
    c.execute(
        &format!(
            "INSERT INTO audit_events ({AUDIT_COLUMNS}) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[], \
             $4::TEXT[], $5::BIGINT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::BOOLEAN[], $11::TEXT[], \
             $12::TEXT[], $13::INTEGER[], $14::BIGINT[])"
        ),
        &[
            &f.seq,
            &prev,
            &hash,
            &f.id,
            &f.time,
            &f.name,
            &f.account,
            &f.user,
            &f.access_key,
            &f.read_only,
            &resources,
            &record,
            &chain,
            &position,
        ],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

/// The lookup fields of records, a column each, to bind as arrays.
struct LookupFields<'a> {
    seq: Vec<i64>,
    id: Vec<&'a str>,
    time: Vec<i64>,
    name: Vec<&'a str>,
    account: Vec<Option<&'a str>>,
    user: Vec<Option<&'a str>>,
    access_key: Vec<Option<&'a str>>,
    read_only: Vec<bool>,
}

impl<'a> LookupFields<'a> {
    fn of(records: &'a [AuditRecord]) -> StoreResult<Self> {
        let entries = || records.iter().map(|r| &r.entry);
        Ok(LookupFields {
            seq: records.iter().map(|r| seq_param(r.seq)).collect::<StoreResult<_>>()?,
            id: entries().map(|e| e.event_id.as_str()).collect(),
            time: entries().map(|e| e.event_time).collect(),
            name: entries().map(|e| e.event_name.as_str()).collect(),
            account: entries().map(|e| e.account.as_deref()).collect(),
            user: entries().map(|e| e.username.as_deref()).collect(),
            access_key: entries().map(|e| e.access_key_id.as_deref()).collect(),
            read_only: entries().map(|e| e.read_only).collect(),
        })
    }
}

/// Whether some chain has records past its indexed point: a read that
/// locks nothing, for an idle indexer.
pub(super) async fn index_behind(c: &impl GenericClient) -> StoreResult<bool> {
    c.query_one(
        "SELECT EXISTS (SELECT 1 FROM audit_chains c WHERE EXISTS \
         (SELECT 1 FROM audit_events e WHERE e.chain = c.chain AND e.position > c.indexed))",
        &[],
    )
    .await
    .map_err(backend)?
    .try_get(0)
    .map_err(backend)
}

/// Indexes up to `max` records of the log past the chains' indexed points,
/// in `tx`: their `audit_lookup` and `audit_resources` rows, and each
/// chain's new indexed point. Returns how many. The chains' rows are locked
/// first (FOR UPDATE), so that indexers of several nodes take turns. A
/// chain's positions become visible in order (each append holds the chain's
/// lock until it commits), so nothing below a chain's indexed point can
/// appear later.
pub(super) async fn index_in(tx: &Transaction<'_>, max: usize) -> StoreResult<u64> {
    let chains =
        tx.query("SELECT chain, indexed FROM audit_chains ORDER BY chain FOR UPDATE", &[]).await.map_err(backend)?;
    let mut total = 0u64;
    for c in &chains {
        let room = max.saturating_sub(usize::try_from(total).unwrap_or(usize::MAX));
        if room == 0 {
            break;
        }
        let (chain, indexed): (i32, i64) = (c.try_get(0).map_err(backend)?, c.try_get(1).map_err(backend)?);
        let rows = tx
            .query(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE chain = $1 AND position > $2 \
                     ORDER BY position LIMIT $3"
                ),
                &[&chain, &indexed, &limit_param(room)],
            )
            .await
            .map_err(backend)?;
        let records = rows.iter().map(audit_from_row).collect::<StoreResult<Vec<_>>>()?;
        let Some(last) = records.last() else { continue };
        let last = seq_param(last.position)?;
        index_records(tx, &records).await?;
        tx.execute("UPDATE audit_chains SET indexed = $2 WHERE chain = $1", &[&chain, &last]).await.map_err(backend)?;
        total += records.len() as u64;
    }
    Ok(total)
}

/// Writes the `audit_lookup` and `audit_resources` rows of `records`.
async fn index_records(tx: &Transaction<'_>, records: &[AuditRecord]) -> StoreResult<()> {
    let f = LookupFields::of(records)?;
    tx.execute(
        &format!(
            "INSERT INTO audit_lookup ({LOOKUP_COLUMNS}) SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], \
             $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::BOOLEAN[])"
        ),
        &[&f.seq, &f.id, &f.time, &f.name, &f.account, &f.user, &f.access_key, &f.read_only],
    )
    .await
    .map_err(backend)?;
    let (mut res_seq, mut res_arn, mut res_key) = (Vec::new(), Vec::new(), Vec::new());
    for (s, r) in f.seq.iter().zip(records) {
        for (arn, key_id) in resource_rows(&r.entry) {
            res_seq.push(*s);
            res_arn.push(arn);
            res_key.push(key_id);
        }
    }
    if !res_seq.is_empty() {
        tx.execute(
            "INSERT INTO audit_resources (seq, arn, key_id) SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[])",
            &[&res_seq, &res_arn, &res_key],
        )
        .await
        .map_err(backend)?;
    }
    Ok(())
}

/// Seals the rows stored before row MACs existed, if the migration that
/// added them left its marker, and removes the marker; in `tx`. The marker
/// row is locked first, so nodes starting together seal once. Returns how
/// many rows it sealed.
pub(super) async fn seal_pending_in(tx: &Transaction<'_>, g: &RowGuard) -> StoreResult<u64> {
    if tx.query_opt("SELECT id FROM row_mac_pending FOR UPDATE", &[]).await.map_err(backend)?.is_none() {
        return Ok(0);
    }
    let n = seal_table(tx, g, "accounts", ACCOUNT_COLUMNS, account_from_row).await?
        + seal_table(tx, g, "access_keys", ACCESS_KEY_COLUMNS, access_key_from_row).await?
        + seal_table(tx, g, "users", USER_COLUMNS, user_from_row).await?
        + seal_table(tx, g, "user_policies", USER_POLICY_COLUMNS, user_policy_from_row).await?
        + seal_table(tx, g, "roles", ROLE_COLUMNS, role_from_row).await?
        + seal_table(tx, g, "role_policies", ROLE_POLICY_COLUMNS, role_policy_from_row).await?
        + seal_table(tx, g, "groups", GROUP_COLUMNS, group_from_row).await?
        + seal_table(tx, g, "group_policies", GROUP_POLICY_COLUMNS, group_policy_from_row).await?
        + seal_table(tx, g, "group_members", GROUP_MEMBER_COLUMNS, group_member_from_row).await?
        + seal_table(tx, g, "managed_policies", MANAGED_POLICY_COLUMNS, managed_policy_from_row).await?
        + seal_table(tx, g, "policy_versions", POLICY_VERSION_COLUMNS, policy_version_from_row).await?
        + seal_table(tx, g, "policy_attachments", POLICY_ATTACHMENT_COLUMNS, policy_attachment_from_row).await?
        + seal_table(tx, g, "oidc_providers", OIDC_PROVIDER_COLUMNS, oidc_provider_from_row).await?
        + seal_table(tx, g, "custom_key_stores", CUSTOM_KEY_STORE_COLUMNS, custom_key_store_from_row).await?
        + seal_table(tx, g, "keys", KEY_COLUMNS, key_from_row).await?
        + seal_table(tx, g, "key_versions", VERSION_COLUMNS, version_from_row).await?
        + seal_table(tx, g, "aliases", ALIAS_COLUMNS, alias_from_row).await?
        + seal_table(tx, g, "grants", GRANT_COLUMNS, grant_from_row).await?;
    tx.execute(SEAL_DONE_SQL, &[]).await.map_err(backend)?;
    Ok(n)
}

async fn seal_table<T: Sealed>(
    tx: &Transaction<'_>,
    g: &RowGuard,
    table: &str,
    columns: &str,
    decode: fn(&Row) -> StoreResult<Unchecked<T>>,
) -> StoreResult<u64> {
    let sql = format!("{} FOR UPDATE", unsealed_rows_sql(table, columns, "ctid::text"));
    let rows = tx.query(&sql, &[]).await.map_err(backend)?;
    let update = format!("UPDATE {table} SET mac = $1 WHERE ctid = ($2::text)::tid");
    for r in &rows {
        let (row, _) = decode(r)?;
        let at: String = r.try_get("row_ref").map_err(backend)?;
        tx.execute(&update, &[&g.seal(&row)?, &at]).await.map_err(backend)?;
    }
    Ok(rows.len() as u64)
}
