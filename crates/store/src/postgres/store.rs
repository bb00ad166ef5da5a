//! [`Store`] for [`PostgresStore`]: every operation, writes in one transaction each with their audit events.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl Store for PostgresStore {
    async fn protect_rows(&self, guard: Arc<RowGuard>) -> StoreResult<u64> {
        let g = self.guard.get_or_init(|| guard).clone();
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = seal_pending_in(&tx, &g).await?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn domain_keys(&self) -> StoreResult<Vec<DomainKeyRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(&format!("SELECT {DOMAIN_KEY_COLUMNS} FROM domain_keys ORDER BY id"), &[])
            .await
            .map_err(backend)?;
        rows.iter().map(domain_key_from_row).collect()
    }

    async fn insert_domain_key(&self, dk: &DomainKeyRecord) -> StoreResult<()> {
        let c = self.client().await?;
        insert_rows(&c, "domain_keys", DOMAIN_KEY_COLUMNS, &one(domain_key_values(dk))).await
    }

    async fn replace_domain_keys(
        &self,
        expected: &[DomainKeyRecord],
        new: &[DomainKeyRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // Rows locked, so that two rotations (or a rotation and a node's
        // first domain key) cannot both pass the check.
        tx.batch_execute("LOCK TABLE domain_keys IN SHARE ROW EXCLUSIVE MODE").await.map_err(backend)?;
        let rows = tx
            .query(&format!("SELECT {DOMAIN_KEY_COLUMNS} FROM domain_keys ORDER BY id"), &[])
            .await
            .map_err(backend)?;
        let stored = rows.iter().map(domain_key_from_row).collect::<StoreResult<Vec<_>>>()?;
        if stored != expected {
            return Err(StoreError::Conflict);
        }
        tx.execute("DELETE FROM domain_keys", &[]).await.map_err(backend)?;
        let values: Vec<RowValues> = new.iter().map(domain_key_values).collect();
        insert_rows(&tx, "domain_keys", DOMAIN_KEY_COLUMNS, &values).await?;
        self.commit_audited(tx, audit).await
    }

    async fn count_accounts(&self) -> StoreResult<u64> {
        let c = self.client().await?;
        let n: i64 =
            c.query_one("SELECT COUNT(*) FROM accounts", &[]).await.map_err(backend)?.try_get(0).map_err(backend)?;
        Ok(n.max(0) as u64)
    }

    async fn insert_account(
        &self,
        account: &AccountRecord,
        key: &AccessKeyRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        insert_rows(&tx, "accounts", ACCOUNT_COLUMNS, &one(account_values(&g, account)?)).await?;
        insert_rows(&tx, "access_keys", ACCESS_KEY_COLUMNS, &one(access_key_values(&g, key)?)).await?;
        self.commit_audited(tx, audit).await
    }

    async fn account(&self, id: &AccountId) -> StoreResult<Option<AccountRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"), &[&id.as_str()])
            .await
            .map_err(backend)?;
        self.guard()?.check_opt(row.as_ref().map(account_from_row).transpose()?)
    }

    async fn access_key(&self, id: &AccessKeyId) -> StoreResult<Option<AccessKeyRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&format!("SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE id = $1"), &[&id.as_str()])
            .await
            .map_err(backend)?;
        self.guard()?.check_opt(row.as_ref().map(access_key_from_row).transpose()?)
    }

    async fn insert_access_key(
        &self,
        key: &AccessKeyRecord,
        user: Option<&str>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // FOR KEY SHARE, as a policy put: a delete_user of the user (FOR
        // UPDATE) waits for this key and then deletes it too, or this one
        // waits for the delete and then finds no user.
        let g = self.guard()?;
        if let Some(name) = user {
            if user_exact_locked(&tx, &g, &key.account, name, "FOR KEY SHARE").await?.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        insert_rows(&tx, "access_keys", ACCESS_KEY_COLUMNS, &one(access_key_values(&g, key)?)).await?;
        self.commit_audited(tx, audit).await
    }

    async fn access_keys_of(&self, principal: &PrincipalArn) -> StoreResult<Vec<AccessKeyRecord>> {
        let c = self.client().await?;
        let rows = c.query(&access_keys_of_sql(p), &[&principal.as_str()]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(access_key_from_row).collect::<StoreResult<_>>()?)
    }

    async fn delete_access_key(&self, id: &AccessKeyId, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx.execute(&delete_access_key_sql(p), &[&id.as_str()]).await.map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn set_access_key_inactive(&self, id: &AccessKeyId, inactive: bool, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        let row = tx.query_opt(&access_key_for_update_sql(p, true), &[&id.as_str()]).await.map_err(backend)?;
        let mut key = g.check_opt(row.as_ref().map(access_key_from_row).transpose()?)?.ok_or(StoreError::NotFound)?;
        key.inactive = inactive;
        tx.execute(&set_access_key_inactive_sql(p), &[&id.as_str(), &inactive, &g.seal(&key)?])
            .await
            .map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn insert_user(
        &self,
        user: &UserRecord,
        key: Option<&AccessKeyRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        insert_rows(&tx, "users", USER_COLUMNS, &one(user_values(&g, user)?)).await?;
        if let Some(key) = key {
            insert_rows(&tx, "access_keys", ACCESS_KEY_COLUMNS, &one(access_key_values(&g, key)?)).await?;
        }
        self.commit_audited(tx, audit).await
    }

    async fn user(&self, account: &AccountId, name: &str) -> StoreResult<Option<UserRecord>> {
        // Every request of an IAM user reads its user and policies: prepared
        // once per connection, as the key lookup is.
        let c = self.client().await?;
        let st = c.prepare_cached(&user_sql(p)).await.map_err(backend)?;
        let name_key = user_name_key(name);
        let row = c.query_opt(&st, &[&account.as_str(), &name_key]).await.map_err(backend)?;
        let found = self.guard()?.check_opt(row.as_ref().map(user_from_row).transpose()?)?;
        // name_key is not sealed (it is derived from the name): a row found
        // under another name's key is refused, not taken for that user.
        if found.as_ref().is_some_and(|u| user_name_key(&u.name) != name_key) {
            return Err(StoreError::Integrity {
                table: UserRecord::TABLE,
                row: format!("{}/{name_key}", account.as_str()),
            });
        }
        Ok(found)
    }

    async fn users(&self, account: &AccountId) -> StoreResult<Vec<UserRecord>> {
        let c = self.client().await?;
        let rows = c.query(&users_sql(p), &[&account.as_str()]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(user_from_row).collect::<StoreResult<_>>()?)
    }

    async fn delete_user(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let user =
            user_exact_locked(&tx, &*self.guard()?, account, name, "FOR UPDATE").await?.ok_or(StoreError::NotFound)?;
        // Its memberships and managed policy attachments go with it: a
        // member added or a policy attached at once (FOR KEY SHARE of the
        // user, or FOR NO KEY UPDATE for a boundary) committed before, or
        // waits and then finds no user.
        let [policies, memberships, attachments, keys, users] = delete_user_sql(p);
        tx.execute(&policies, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&memberships, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&attachments, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&keys, &[&user.arn()]).await.map_err(backend)?;
        tx.execute(&users, &[&account.as_str(), &name]).await.map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn update_user_tags(
        &self,
        account: &AccountId,
        name: &str,
        tags: &[(String, String)],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // FOR NO KEY UPDATE: a delete_user of it (FOR UPDATE) waits for
        // this one, or this one for it and then finds no row; a policy put
        // (FOR KEY SHARE) goes on alongside. The row is read to seal the
        // whole record with its new tags.
        let g = self.guard()?;
        let mut user =
            user_exact_locked(&tx, &g, account, name, "FOR NO KEY UPDATE").await?.ok_or(StoreError::NotFound)?;
        user.tags = tags.to_vec();
        tx.execute(&update_user_tags_sql(p), &[&account.as_str(), &name, &tags_to_json(tags), &g.seal(&user)?])
            .await
            .map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn put_user_policy(&self, policy: &UserPolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        if user_exact_locked(&tx, &g, &policy.account, &policy.user_name, "FOR KEY SHARE").await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let values = user_policy_values(&g, policy)?;
        tx.execute(&put_user_policy_sql(p), &refs(&values)).await.map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn user_policies(&self, account: &AccountId, user_name: &str) -> StoreResult<Vec<UserPolicyRecord>> {
        let c = self.client().await?;
        let st = c.prepare_cached(&user_policies_sql(p)).await.map_err(backend)?;
        let rows = c.query(&st, &[&account.as_str(), &user_name]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(user_policy_from_row).collect::<StoreResult<_>>()?)
    }

    async fn delete_user_policy(
        &self,
        account: &AccountId,
        user_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute(&delete_user_policy_sql(p), &[&account.as_str(), &user_name, &policy_name])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn insert_role(&self, role: &RoleRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(&tx, "roles", ROLE_COLUMNS, &one(role_values(&*self.guard()?, role)?)).await?;
        self.commit_audited(tx, audit).await
    }

    async fn role(&self, account: &AccountId, name: &str) -> StoreResult<Option<RoleRecord>> {
        // Every request of a role's session reads its role and policies:
        // prepared once per connection, as the user lookup is.
        let c = self.client().await?;
        let st = c.prepare_cached(&role_sql(p)).await.map_err(backend)?;
        let name_key = role_name_key(name);
        let row = c.query_opt(&st, &[&account.as_str(), &name_key]).await.map_err(backend)?;
        let found = self.guard()?.check_opt(row.as_ref().map(role_from_row).transpose()?)?;
        // name_key is not sealed (it is derived from the name): a row found
        // under another name's key is refused, not taken for that role.
        if found.as_ref().is_some_and(|r| role_name_key(&r.name) != name_key) {
            return Err(StoreError::Integrity {
                table: RoleRecord::TABLE,
                row: format!("{}/{name_key}", account.as_str()),
            });
        }
        Ok(found)
    }

    async fn roles(&self, account: &AccountId) -> StoreResult<Vec<RoleRecord>> {
        let c = self.client().await?;
        let rows = c.query(&roles_sql(p), &[&account.as_str()]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(role_from_row).collect::<StoreResult<_>>()?)
    }

    async fn update_role(&self, role: &RoleRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // The UPDATE locks the row (FOR NO KEY UPDATE: no key column
        // changes): a delete_role of it (FOR UPDATE) waits for this one,
        // or this one for it and then finds no row; a policy put (FOR KEY
        // SHARE) goes on alongside.
        let values = role_values(&*self.guard()?, role)?;
        let n = tx.execute(&update_role_sql(p), &refs(&values)).await.map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn delete_role(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // FOR UPDATE first: a policy put or attached racing with the delete
        // (FOR KEY SHARE, or FOR NO KEY UPDATE for a boundary) either
        // commits before it, and its policy is deleted too, or waits for it
        // and then finds no role.
        role_exact_locked(&tx, &*self.guard()?, account, name, "FOR UPDATE").await?.ok_or(StoreError::NotFound)?;
        let [policies, attachments, roles] = delete_role_sql(p);
        tx.execute(&policies, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&attachments, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&roles, &[&account.as_str(), &name]).await.map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn put_role_policy(&self, policy: &RolePolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        if role_exact_locked(&tx, &g, &policy.account, &policy.role_name, "FOR KEY SHARE").await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let values = role_policy_values(&g, policy)?;
        tx.execute(&put_role_policy_sql(p), &refs(&values)).await.map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn role_policies(&self, account: &AccountId, role_name: &str) -> StoreResult<Vec<RolePolicyRecord>> {
        let c = self.client().await?;
        let st = c.prepare_cached(&role_policies_sql(p)).await.map_err(backend)?;
        let rows = c.query(&st, &[&account.as_str(), &role_name]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(role_policy_from_row).collect::<StoreResult<_>>()?)
    }

    async fn delete_role_policy(
        &self,
        account: &AccountId,
        role_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute(&delete_role_policy_sql(p), &[&account.as_str(), &role_name, &policy_name])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn insert_group(&self, group: &GroupRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(&tx, "groups", GROUP_COLUMNS, &one(group_values(&*self.guard()?, group)?)).await?;
        self.commit_audited(tx, audit).await
    }

    async fn group(&self, account: &AccountId, name: &str) -> StoreResult<Option<GroupRecord>> {
        let c = self.client().await?;
        let name_key = group_name_key(name);
        let row = c.query_opt(&group_sql(p), &[&account.as_str(), &name_key]).await.map_err(backend)?;
        let found = self.guard()?.check_opt(row.as_ref().map(group_from_row).transpose()?)?;
        // name_key is not sealed (it is derived from the name): a row found
        // under another name's key is refused, not taken for that group.
        if found.as_ref().is_some_and(|r| group_name_key(&r.name) != name_key) {
            return Err(StoreError::Integrity {
                table: GroupRecord::TABLE,
                row: format!("{}/{name_key}", account.as_str()),
            });
        }
        Ok(found)
    }

    async fn groups(&self, account: &AccountId) -> StoreResult<Vec<GroupRecord>> {
        let c = self.client().await?;
        let rows = c.query(&groups_sql(p), &[&account.as_str()]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(group_from_row).collect::<StoreResult<_>>()?)
    }

    async fn delete_group(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // FOR UPDATE first: a policy put or attached or a member added
        // racing with the delete (FOR KEY SHARE) either commits before it,
        // and is deleted too, or waits for it and then finds no group.
        group_exact_locked(&tx, &*self.guard()?, account, name, "FOR UPDATE").await?.ok_or(StoreError::NotFound)?;
        let [policies, memberships, attachments, groups] = delete_group_sql(p);
        tx.execute(&policies, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&memberships, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&attachments, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&groups, &[&account.as_str(), &name]).await.map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn add_group_member(&self, member: &GroupMemberRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        // Both rows FOR KEY SHARE: a delete of either (FOR UPDATE) waits
        // for this one and then deletes the membership too, or this one
        // waits for it and then finds no row.
        if group_exact_locked(&tx, &g, &member.account, &member.group_name, "FOR KEY SHARE").await?.is_none()
            || user_exact_locked(&tx, &g, &member.account, &member.user_name, "FOR KEY SHARE").await?.is_none()
        {
            return Err(StoreError::NotFound);
        }
        let values = group_member_values(&g, member)?;
        tx.execute(&add_group_member_sql(p), &refs(&values)).await.map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn remove_group_member(&self, member: &GroupMemberRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute(&remove_group_member_sql(p), &[&member.account.as_str(), &member.group_name, &member.user_name])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn group_members(&self, account: &AccountId, group_name: &str) -> StoreResult<Vec<String>> {
        let c = self.client().await?;
        let rows = c.query(&group_members_sql(p), &[&account.as_str(), &group_name]).await.map_err(backend)?;
        let members = self.guard()?.check_all(rows.iter().map(group_member_from_row).collect::<StoreResult<_>>()?)?;
        Ok(members.into_iter().map(|m| m.user_name).collect())
    }

    async fn groups_of_user(&self, account: &AccountId, user_name: &str) -> StoreResult<Vec<GroupRecord>> {
        // Every request of an IAM user reads its groups and their policies:
        // prepared once per connection, as the user lookup is.
        let c = self.client().await?;
        let st = c.prepare_cached(&groups_of_user_sql(p)).await.map_err(backend)?;
        let rows = c.query(&st, &[&account.as_str(), &user_name]).await.map_err(backend)?;
        let (groups, members): (Vec<_>, Vec<_>) =
            rows.iter().map(group_of_user_from_row).collect::<StoreResult<Vec<_>>>()?.into_iter().unzip();
        // The membership is checked as well as the group: a row added
        // behind the store makes no one a member.
        let g = self.guard()?;
        g.check_all(members)?;
        g.check_all(groups)
    }

    async fn put_group_policy(&self, policy: &GroupPolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        if group_exact_locked(&tx, &g, &policy.account, &policy.group_name, "FOR KEY SHARE").await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let values = group_policy_values(&g, policy)?;
        tx.execute(&put_group_policy_sql(p), &refs(&values)).await.map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn group_policies(&self, account: &AccountId, group_name: &str) -> StoreResult<Vec<GroupPolicyRecord>> {
        let c = self.client().await?;
        let st = c.prepare_cached(&group_policies_sql(p)).await.map_err(backend)?;
        let rows = c.query(&st, &[&account.as_str(), &group_name]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(group_policy_from_row).collect::<StoreResult<_>>()?)
    }

    async fn delete_group_policy(
        &self,
        account: &AccountId,
        group_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute(&delete_group_policy_sql(p), &[&account.as_str(), &group_name, &policy_name])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn insert_oidc_provider(&self, provider: &OidcProviderRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(
            &tx,
            "oidc_providers",
            OIDC_PROVIDER_COLUMNS,
            &one(oidc_provider_values(&*self.guard()?, provider)?),
        )
        .await?;
        self.commit_audited(tx, audit).await
    }

    async fn oidc_provider(&self, account: &AccountId, url: &str) -> StoreResult<Option<OidcProviderRecord>> {
        let c = self.client().await?;
        let row = c.query_opt(&oidc_provider_sql(p), &[&account.as_str(), &url]).await.map_err(backend)?;
        self.guard()?.check_opt(row.as_ref().map(oidc_provider_from_row).transpose()?)
    }

    async fn oidc_providers(&self, account: &AccountId) -> StoreResult<Vec<OidcProviderRecord>> {
        let c = self.client().await?;
        let rows = c.query(&oidc_providers_sql(p), &[&account.as_str()]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(oidc_provider_from_row).collect::<StoreResult<_>>()?)
    }

    async fn update_oidc_provider(&self, provider: &OidcProviderRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        // Read, checked and locked first, as set_access_key_inactive reads
        // its key: an edited row is refused, not sealed over, and the row
        // sealed is the stored one with the three fields changed.
        let mut stored = oidc_provider_locked(&tx, &g, &provider.account, &provider.url, "FOR UPDATE")
            .await?
            .ok_or(StoreError::NotFound)?;
        stored.client_ids = provider.client_ids.clone();
        stored.thumbprints = provider.thumbprints.clone();
        stored.tags = provider.tags.clone();
        tx.execute(
            &update_oidc_provider_sql(p),
            &[
                &stored.account.as_str(),
                &stored.url,
                &strings_to_json(&stored.client_ids),
                &strings_to_json(&stored.thumbprints),
                &tags_to_json(&stored.tags),
                &g.seal(&stored)?,
            ],
        )
        .await
        .map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn delete_oidc_provider(&self, account: &AccountId, url: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // Checked, as delete_role checks its role: an edited row is
        // refused, not deleted.
        oidc_provider_locked(&tx, &*self.guard()?, account, url, "FOR UPDATE").await?.ok_or(StoreError::NotFound)?;
        tx.execute(&delete_oidc_provider_sql(p), &[&account.as_str(), &url]).await.map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn insert_custom_key_store(&self, store: &CustomKeyStoreRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(
            &tx,
            "custom_key_stores",
            CUSTOM_KEY_STORE_COLUMNS,
            &one(custom_key_store_values(&*self.guard()?, store)?),
        )
        .await?;
        self.commit_audited(tx, audit).await
    }

    async fn custom_key_store(&self, scope: &Scope, id: &str) -> StoreResult<Option<CustomKeyStoreRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&custom_key_store_sql(p), &[&id, &scope.account.as_str(), &scope.region.as_str()])
            .await
            .map_err(backend)?;
        self.guard()?.check_opt(row.as_ref().map(custom_key_store_from_row).transpose()?)
    }

    async fn custom_key_stores(&self, scope: Option<&Scope>) -> StoreResult<Vec<CustomKeyStoreRecord>> {
        let c = self.client().await?;
        let sql = custom_key_stores_sql(p, scope.is_some());
        let rows = match scope {
            Some(s) => c.query(&sql, &[&s.account.as_str(), &s.region.as_str()]).await,
            None => c.query(&sql, &[]).await,
        }
        .map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(custom_key_store_from_row).collect::<StoreResult<_>>()?)
    }

    async fn update_custom_key_store(&self, store: &CustomKeyStoreRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        // Read, checked and locked first, as update_oidc_provider reads its
        // provider: an edited row is refused, not sealed over, and the row
        // sealed is the stored one (its creation time kept) with the rest
        // replaced. A name its scope has is AlreadyExists.
        let stored = custom_key_store_locked(&tx, &g, &store.scope, &store.id, "FOR UPDATE")
            .await?
            .ok_or(StoreError::NotFound)?;
        let new = CustomKeyStoreRecord { created_at: stored.created_at, ..store.clone() };
        let values = custom_key_store_values(&g, &new)?;
        tx.execute(&update_custom_key_store_sql(p), &refs(&values)).await.map_err(write_err)?;
        self.commit_audited(tx, audit).await
    }

    async fn delete_custom_key_store(&self, scope: &Scope, id: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // Checked, as delete_oidc_provider checks its provider: an edited
        // row is refused, not deleted.
        custom_key_store_locked(&tx, &*self.guard()?, scope, id, "FOR UPDATE").await?.ok_or(StoreError::NotFound)?;
        tx.execute(&delete_custom_key_store_sql(p), &[&id, &scope.account.as_str(), &scope.region.as_str()])
            .await
            .map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn custom_key_store_keys(&self, scope: &Scope, id: &str) -> StoreResult<u64> {
        let c = self.client().await?;
        let n: i64 = c
            .query_one(&custom_key_store_keys_sql(p), &[&scope.account.as_str(), &scope.region.as_str(), &id])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        Ok(n.max(0) as u64)
    }

    async fn insert_managed_policy(
        &self,
        policy: &ManagedPolicyRecord,
        version: &PolicyVersionRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        insert_rows(&tx, "managed_policies", MANAGED_POLICY_COLUMNS, &one(managed_policy_values(&g, policy)?)).await?;
        insert_rows(&tx, "policy_versions", POLICY_VERSION_COLUMNS, &one(policy_version_values(&g, version)?)).await?;
        self.commit_audited(tx, audit).await
    }

    async fn managed_policy(&self, account: &AccountId, name: &str) -> StoreResult<Option<ManagedPolicyRecord>> {
        let c = self.client().await?;
        let name_key = managed_policy_name_key(name);
        let row = c.query_opt(&managed_policy_sql(p), &[&account.as_str(), &name_key]).await.map_err(backend)?;
        let found = self.guard()?.check_opt(row.as_ref().map(managed_policy_from_row).transpose()?)?;
        // name_key is not sealed (it is derived from the name): a row found
        // under another name's key is refused, not taken for that policy.
        if found.as_ref().is_some_and(|r| managed_policy_name_key(&r.name) != name_key) {
            return Err(StoreError::Integrity {
                table: ManagedPolicyRecord::TABLE,
                row: format!("{}/{name_key}", account.as_str()),
            });
        }
        Ok(found)
    }

    async fn managed_policies(&self, account: &AccountId) -> StoreResult<Vec<ManagedPolicyRecord>> {
        let c = self.client().await?;
        let rows = c.query(&managed_policies_sql(p), &[&account.as_str()]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(managed_policy_from_row).collect::<StoreResult<_>>()?)
    }

    async fn update_managed_policy(
        &self,
        policy: &ManagedPolicyRecord,
        version: Option<&PolicyVersionRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // The UPDATE locks the row (FOR NO KEY UPDATE: no key column
        // changes): a delete of the policy (FOR UPDATE) waits for this
        // one, or this one for it and then finds no row; an attachment
        // (FOR KEY SHARE) goes on alongside. The version's foreign key is
        // checked after, under that lock.
        let g = self.guard()?;
        let values = managed_policy_values(&g, policy)?;
        let n = tx.execute(&update_managed_policy_sql(p), &refs(&values)).await.map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        if let Some(v) = version {
            insert_rows(&tx, "policy_versions", POLICY_VERSION_COLUMNS, &one(policy_version_values(&g, v)?)).await?;
        }
        self.commit_audited(tx, audit).await
    }

    async fn delete_managed_policy(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // FOR UPDATE first: an attachment racing with the delete (FOR KEY
        // SHARE of the policy) either commits before it, and is deleted
        // too, or waits for it and then finds no policy.
        managed_policy_exact_locked(&tx, &*self.guard()?, account, name, "FOR UPDATE")
            .await?
            .ok_or(StoreError::NotFound)?;
        let [attachments, versions, policies] = delete_managed_policy_sql(p);
        tx.execute(&attachments, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&versions, &[&account.as_str(), &name]).await.map_err(backend)?;
        tx.execute(&policies, &[&account.as_str(), &name]).await.map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn policy_versions(&self, account: &AccountId, policy_name: &str) -> StoreResult<Vec<PolicyVersionRecord>> {
        let c = self.client().await?;
        let rows = c.query(&policy_versions_sql(p), &[&account.as_str(), &policy_name]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(policy_version_from_row).collect::<StoreResult<_>>()?)
    }

    async fn delete_policy_version(
        &self,
        account: &AccountId,
        policy_name: &str,
        version: u32,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute(&delete_policy_version_sql(p), &[&account.as_str(), &policy_name, &i64::from(version)])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn attach_policy(&self, attachment: &PolicyAttachmentRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let a = attachment;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        // Both rows locked: a delete of either (FOR UPDATE) waits for this
        // one and then deletes the attachment too, or this one waits for it
        // and then finds no row. A boundary locks its entity FOR NO KEY
        // UPDATE, so that two boundaries attached at once take turns and
        // the later replaces the first (policy_boundaries keeps one in any
        // case); other attachments, FOR KEY SHARE, go on alongside.
        let entity_lock = if a.target.is_boundary() { "FOR NO KEY UPDATE" } else { "FOR KEY SHARE" };
        if managed_policy_exact_locked(&tx, &g, &a.account, &a.policy_name, "FOR KEY SHARE").await?.is_none()
            || !entity_exists_locked(&tx, &g, &a.account, a.target, &a.entity_name, entity_lock).await?
        {
            return Err(StoreError::NotFound);
        }
        if a.target.is_boundary() {
            tx.execute(&drop_boundary_sql(p), &[&a.account.as_str(), &a.target.as_str(), &a.entity_name])
                .await
                .map_err(backend)?;
        }
        let values = policy_attachment_values(&g, a)?;
        tx.execute(&attach_policy_sql(p), &refs(&values)).await.map_err(backend)?;
        self.commit_audited(tx, audit).await
    }

    async fn detach_policy(&self, attachment: &PolicyAttachmentRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let a = attachment;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute(&detach_policy_sql(p), &[&a.account.as_str(), &a.policy_name, &a.target.as_str(), &a.entity_name])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn policy_attachments(
        &self,
        account: &AccountId,
        policy_name: &str,
    ) -> StoreResult<Vec<PolicyAttachmentRecord>> {
        let c = self.client().await?;
        let rows = c.query(&policy_attachments_sql(p), &[&account.as_str(), &policy_name]).await.map_err(backend)?;
        let mut attachments =
            self.guard()?.check_all(rows.iter().map(policy_attachment_from_row).collect::<StoreResult<_>>()?)?;
        sort_attachments(&mut attachments);
        Ok(attachments)
    }

    async fn attached_policies(
        &self,
        account: &AccountId,
        target: AttachmentTarget,
        entity_name: &str,
    ) -> StoreResult<Vec<AttachedPolicy>> {
        // Every request of an IAM user or a role's session reads them:
        // prepared once per connection, as the user lookup is.
        let c = self.client().await?;
        let st = c.prepare_cached(&attached_policies_sql(p)).await.map_err(backend)?;
        let rows = c.query(&st, &[&account.as_str(), &target.as_str(), &entity_name]).await.map_err(backend)?;
        check_attached(&*self.guard()?, rows.iter().map(attached_policy_from_row).collect::<StoreResult<_>>()?)
    }

    async fn insert_key(
        &self,
        key: &KeyRecord,
        version: Option<&KeyVersionRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let g = self.guard()?;
        let values = key_values(&g, key)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(&tx, "keys", KEY_COLUMNS, &one(values)).await?;
        if let Some(v) = version {
            insert_version(&tx, &g, v, false).await?;
        }
        self.commit_audited(tx, audit).await
    }

    async fn key(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyRecord>> {
        let slot = (id.clone(), scope.region.clone());
        if let Some(k) = self.keys.get(&slot).filter(|k| &k.scope == scope) {
            return Ok(Some(k));
        }
        let generation = self.keys.generation();
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM keys WHERE id = $1 AND account = $2 AND region = $3"))
            .await
            .map_err(backend)?;
        let row = c
            .query_opt(&st, &[&id.as_str(), &scope.account.as_str(), &scope.region.as_str()])
            .await
            .map_err(backend)?;
        let key = self.guard()?.check_opt(row.as_ref().map(key_from_row).transpose()?)?;
        if let Some(k) = &key {
            self.keys.insert(generation, &slot, k);
        }
        Ok(key)
    }

    async fn key_owner(&self, id: &KeyId, region: &Region) -> StoreResult<Option<Scope>> {
        let c = self.client().await?;
        let st = c.prepare_cached(&key_owner_sql(p)).await.map_err(backend)?;
        let row = c.query_opt(&st, &[&id.as_str(), &region.as_str()]).await.map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let (account, region): (String, String) = (r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?);
        Ok(Some(Scope { account: AccountId::new_unchecked(account), region: Region::new_unchecked(region) }))
    }

    async fn related_keys(&self, account: &AccountId, id: &KeyId) -> StoreResult<Vec<KeyRecord>> {
        let c = self.client().await?;
        let rows = c.query(&related_keys_sql(p), &[&id.as_str()]).await.map_err(backend)?;
        let mut keys = self.guard()?.check_all(rows.iter().map(key_from_row).collect::<StoreResult<_>>()?)?;
        keys.retain(|k| &k.scope.account == account);
        Ok(keys)
    }

    /// Locks the keys' rows first (FOR UPDATE, in (id, region) order, as
    /// every writer of several related keys does, so that two never wait
    /// on each other), then checks them all in the caller's order: under
    /// the locks no other writer can change what was checked.
    async fn update_keys(
        &self,
        keys: &[KeyRecord],
        versions: &[KeyVersionRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let g = self.guard()?;
        let _writing = self.keys.writing(keys.iter().map(key_slot).collect());
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|&a, &b| (&keys[a].id, &keys[a].scope.region).cmp(&(&keys[b].id, &keys[b].scope.region)));
        let mut stored = vec![None; keys.len()];
        for i in order {
            stored[i] = stored_revision(&tx, &keys[i], "FOR UPDATE").await?;
        }
        check_revisions(keys, &stored)?;
        for k in keys {
            update_key_row(&tx, &g, k).await?;
        }
        for v in versions {
            insert_version(&tx, &g, v, true).await?;
        }
        self.commit_audited(tx, audit).await
    }

    async fn list_keys(&self, scope: &Scope, after: Option<&KeyId>, limit: usize) -> StoreResult<Vec<KeyRecord>> {
        let c = self.client().await?;
        let after = after.map_or("", |a| a.as_str());
        let rows = c
            .query(
                &format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE account = $1 AND region = $2 AND id > $3 ORDER BY id LIMIT $4"
                ),
                &[&scope.account.as_str(), &scope.region.as_str(), &after, &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(key_from_row).collect::<StoreResult<_>>()?)
    }

    async fn update_key(&self, key: &KeyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let _writing = self.keys.writing(vec![key_slot(key)]);
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        update_key_row(&tx, &*self.guard()?, key).await?;
        self.commit_audited(tx, audit).await
    }

    async fn key_version(&self, key_id: &KeyId, version: u32) -> StoreResult<Option<KeyVersionRecord>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!("SELECT {VERSION_COLUMNS} FROM key_versions WHERE key_id = $1 AND version = $2"))
            .await
            .map_err(backend)?;
        let row = c.query_opt(&st, &[&key_id.as_str(), &i64::from(version)]).await.map_err(backend)?;
        self.guard()?.check_opt(row.as_ref().map(version_from_row).transpose()?)
    }

    async fn add_key_version(
        &self,
        key: &KeyRecord,
        version: &KeyVersionRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let _writing = self.keys.writing(vec![key_slot(key)]);
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        update_key_row(&tx, &g, key).await?;
        insert_version(&tx, &g, version, false).await?;
        self.commit_audited(tx, audit).await
    }

    async fn key_versions(&self, key_id: &KeyId, after: u32, limit: usize) -> StoreResult<Vec<KeyVersionRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM key_versions WHERE key_id = $1 AND version > $2 ORDER BY version LIMIT $3"
                ),
                &[&key_id.as_str(), &i64::from(after), &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(version_from_row).collect::<StoreResult<_>>()?)
    }

    async fn due_keys(&self, now: i64, limit: usize) -> StoreResult<Vec<KeyRecord>> {
        let c = self.client().await?;
        let rows = c.query(&due_keys_sql(p), &[&now, &limit_param(limit)]).await.map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(key_from_row).collect::<StoreResult<_>>()?)
    }

    async fn destroy_key(&self, key: &KeyRecord, destroyed_at: i64, audit: &[AuditEntry]) -> StoreResult<()> {
        let revision = revision_param(key.revision)?;
        let _writing = self.keys.writing(vec![key_slot(key)]);
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // Lock the rows of every key of this id (the related keys of a
        // multi-Region key), in Region order: a concurrent change of this
        // key waits, then sees it gone; a destruction of a related key
        // waits, then sees this one gone, so of two destroying the last two
        // keys of an id the later one deletes the versions they shared.
        let rows = tx
            .query("SELECT region, revision FROM keys WHERE id = $1 ORDER BY region FOR UPDATE", &[&key.id.as_str()])
            .await
            .map_err(backend)?;
        let mut stored = None;
        for r in &rows {
            if r.try_get::<_, &str>(0).map_err(backend)? == key.scope.region.as_str() {
                stored = Some(r.try_get::<_, i64>(1).map_err(backend)?);
            }
        }
        match stored {
            None => return Err(StoreError::NotFound),
            Some(r) if r != revision => return Err(StoreError::Conflict),
            Some(_) => {}
        }
        let (id, account, region, arn) =
            (key.id.as_str(), key.scope.account.as_str(), key.scope.region.as_str(), key.arn());
        let [aliases, grants, keys, versions] = destroy_key_sql(p);
        tx.execute(&aliases, &[&account, &region, &id]).await.map_err(backend)?;
        tx.execute(&grants, &[&id, &arn]).await.map_err(backend)?;
        tx.execute(&keys, &[&id, &region]).await.map_err(backend)?;
        tx.execute(&versions, &[&id]).await.map_err(backend)?;
        let tombstone = DestroyedKey { scope: key.scope.clone(), id: key.id.clone(), destroyed_at };
        tx.execute(&tombstone_sql(p), &refs(&destroyed_values(&tombstone))).await.map_err(backend)?;
        notify_key_changed(&tx, key).await?;
        self.commit_audited(tx, audit).await
    }

    async fn put_key_versions(
        &self,
        key: &KeyRecord,
        versions: &[KeyVersionRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let _writing = self.keys.writing(vec![key_slot(key)]);
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let g = self.guard()?;
        update_key_row(&tx, &g, key).await?;
        for v in versions {
            insert_version(&tx, &g, v, true).await?;
        }
        self.commit_audited(tx, audit).await
    }

    async fn key_destroyed(&self, scope: &Scope, id: &KeyId) -> StoreResult<bool> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT 1 FROM destroyed_keys WHERE id = $1 AND account = $2 AND region = $3",
                &[&id.as_str(), &scope.account.as_str(), &scope.region.as_str()],
            )
            .await
            .map_err(backend)?;
        Ok(row.is_some())
    }

    async fn insert_alias(&self, a: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(&tx, "aliases", ALIAS_COLUMNS, &one(alias_values(&*self.guard()?, a)?)).await?;
        self.commit_audited(tx, audit).await
    }

    async fn alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<Option<AliasRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {ALIAS_COLUMNS} FROM aliases WHERE account = $1 AND region = $2 AND name = $3"),
                &[&scope.account.as_str(), &scope.region.as_str(), &name.as_str()],
            )
            .await
            .map_err(backend)?;
        self.guard()?.check_opt(row.as_ref().map(alias_from_row).transpose()?)
    }

    async fn update_alias(&self, a: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let mac = self.guard()?.seal(a)?;
        let n = tx
            .execute(
                &update_alias_sql(p),
                &[
                    &a.scope.account.as_str(),
                    &a.scope.region.as_str(),
                    &a.name.as_str(),
                    &a.target.as_str(),
                    &a.updated_at,
                    &a.created_at,
                    &mac,
                ],
            )
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn delete_alias(&self, scope: &Scope, name: &AliasName, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx
            .execute(
                "DELETE FROM aliases WHERE account = $1 AND region = $2 AND name = $3",
                &[&scope.account.as_str(), &scope.region.as_str(), &name.as_str()],
            )
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn list_aliases(
        &self,
        scope: &Scope,
        target: Option<&KeyId>,
        after: Option<&AliasName>,
        limit: usize,
    ) -> StoreResult<Vec<AliasRecord>> {
        let c = self.client().await?;
        let target = target.map(|t| t.as_str().to_owned());
        let after = after.map_or("", |a| a.as_str());
        let rows = c
            .query(
                &format!(
                    "SELECT {ALIAS_COLUMNS} FROM aliases \
                     WHERE account = $1 AND region = $2 AND ($3::TEXT IS NULL OR target = $3) AND name > $4 \
                     ORDER BY name LIMIT $5"
                ),
                &[&scope.account.as_str(), &scope.region.as_str(), &target, &after, &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(alias_from_row).collect::<StoreResult<_>>()?)
    }

    async fn insert_grant(&self, g: &GrantRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        insert_rows(&tx, "grants", GRANT_COLUMNS, &one(grant_values(&*self.guard()?, g)?)).await?;
        self.commit_audited(tx, audit).await
    }

    async fn grants(
        &self,
        scope: &Scope,
        key_id: &KeyId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<GrantRecord>> {
        let c = self.client().await?;
        let arn = trent_api::ids::key_arn(&scope.region, &scope.account, key_id);
        let rows = c
            .query(&grants_sql(p), &[&key_id.as_str(), &arn, &after.unwrap_or_default(), &limit_param(limit)])
            .await
            .map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(grant_from_row).collect::<StoreResult<_>>()?)
    }

    async fn retirable_grants(
        &self,
        principal: &str,
        after: Option<(&KeyId, &str)>,
        limit: usize,
    ) -> StoreResult<Vec<GrantRecord>> {
        let c = self.client().await?;
        let (after_key, after_id) = after.map_or(("", ""), |(k, g)| (k.as_str(), g));
        let rows = c
            .query(
                &format!(
                    "SELECT {GRANT_COLUMNS} FROM grants WHERE retiring = $1 AND (key_id, grant_id) > ($2, $3) \
                     ORDER BY key_id, grant_id LIMIT $4"
                ),
                &[&principal, &after_key, &after_id, &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        self.guard()?.check_all(rows.iter().map(grant_from_row).collect::<StoreResult<_>>()?)
    }

    async fn delete_grant(
        &self,
        scope: &Scope,
        key_id: &KeyId,
        grant_id: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let arn = trent_api::ids::key_arn(&scope.region, &scope.account, key_id);
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let n = tx.execute(&delete_grant_sql(p), &[&key_id.as_str(), &grant_id, &arn]).await.map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit_audited(tx, audit).await
    }

    async fn append_audit(&self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let chain = self.chain().await?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let records = append_audit_in(&tx, chain, entries).await?;
        tx.commit().await.map_err(backend)?;
        Ok(records)
    }

    async fn audit_chain(&self) -> StoreResult<u32> {
        self.chain().await
    }

    /// The chains registered, those with checkpoints, and those with
    /// records (one search of `audit_events_by_chain` per chain), so that a
    /// chain whose registration was deleted is still walked.
    async fn audit_chains(&self) -> StoreResult<Vec<u32>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "WITH RECURSIVE logged(chain) AS ( \
                     SELECT MIN(chain) FROM audit_events \
                     UNION ALL \
                     SELECT (SELECT MIN(chain) FROM audit_events e WHERE e.chain > logged.chain) \
                     FROM logged WHERE logged.chain IS NOT NULL) \
                 SELECT chain FROM logged WHERE chain IS NOT NULL \
                 UNION SELECT chain FROM audit_chains UNION SELECT chain FROM audit_checkpoints ORDER BY 1",
                &[],
            )
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| u32::try_from(r.try_get::<_, i32>(0).map_err(backend)?).map_err(|_| corrupt("audit chain")))
            .collect()
    }

    async fn audit_chain_records(&self, chain: u32, after: u64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        let Ok(after) = i64::try_from(after) else { return Ok(Vec::new()) };
        let c = self.client().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE chain = $1 AND position > $2 \
                     ORDER BY position LIMIT $3"
                ),
                &[&chain_param(chain), &after, &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn audit_last_seq(&self) -> StoreResult<Option<u64>> {
        let c = self.client().await?;
        let last: Option<i64> = c
            .query_one("SELECT MAX(seq) FROM audit_events", &[])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        last.map(seq_of).transpose()
    }

    async fn audit_records(&self, after: u64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        // Past every storable seq there is nothing.
        let Ok(after) = i64::try_from(after) else { return Ok(Vec::new()) };
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"),
                &[&after, &limit_param(limit)],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(audit_from_row).collect()
    }

    /// In one REPEATABLE READ, READ ONLY transaction (one snapshot): the
    /// unindexed tail of the log first (`TailScan`), then the indexed part
    /// for the rest.
    async fn lookup_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        let mut c = self.client().await?;
        let tx = Self::snapshot_tx(&mut c).await?;
        // Each chain's tail: the records past its indexed point, which
        // commit in seq order only within their chain.
        let mut scan = TailScan::new(query, 0);
        while let Some([after, before, limit]) = scan.next() {
            let rows = tx.query(&unindexed_tail_sql(), &[&after, &before, &limit]).await.map_err(backend)?;
            scan.feed(rows.iter().map(audit_from_row).collect::<StoreResult<_>>()?)?;
        }
        let (mut found, room) = scan.finish();
        if room > 0 {
            // Within the snapshot, `audit_lookup` holds exactly the indexed
            // records: no bound to add.
            let (sql, values) = lookup_audit_sql(query, i64::MAX, room, p);
            let values = audit_values(values);
            let rows = tx.query(&sql, &refs(&values)).await.map_err(backend)?;
            for r in &rows {
                found.push(audit_from_row(r)?);
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(found)
    }

    async fn audit_usage(&self, filter: &UsageFilter) -> StoreResult<UsageCounts> {
        let mut c = self.client().await?;
        let tx = Self::snapshot_tx(&mut c).await?;
        let mut tally = UsageTally::default();
        // Each chain's tail past its indexed point, as a lookup reads it.
        let (after, mut before, limit) = (0_i64, i64::MAX, limit_param(TAIL_CHUNK));
        loop {
            let rows = tx.query(&unindexed_tail_sql(), &[&after, &before, &limit]).await.map_err(backend)?;
            let rows = rows.iter().map(audit_from_row).collect::<StoreResult<Vec<_>>>()?;
            for r in &rows {
                tally.add_entry(filter, &r.entry);
            }
            match rows.last() {
                Some(last) if rows.len() == TAIL_CHUNK => before = seq_param(last.seq)?,
                _ => break,
            }
        }
        // Within the snapshot, `audit_lookup` holds exactly the indexed
        // records: no bound to add.
        let (sql, values) = usage_sql(filter, None, |m| format!("(e.record::json ->> '{m}')"), p);
        let values = audit_values(values);
        for r in tx.query(&sql, &refs(&values)).await.map_err(backend)? {
            let get = |i: usize| r.try_get::<_, i64>(i).map_err(backend);
            let text = |i: usize| r.try_get::<_, String>(i).map_err(backend);
            let key_arn = r.try_get::<_, Option<String>>(3).map_err(backend)?;
            tally_usage_row(&mut tally, (get(0)?, get(1)?, text(2)?, key_arn, text(4)?, get(5)?, get(6)?))?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(tally.finish())
    }

    async fn key_lifetimes(
        &self,
        account: Option<&AccountId>,
        since: i64,
        until: i64,
    ) -> StoreResult<Vec<KeyLifetime>> {
        let mut c = self.client().await?;
        let tx = Self::snapshot_tx(&mut c).await?;
        let account = account.map(|a| a.as_str().to_owned());
        let names = |r: &Row| -> StoreResult<((String, String, String), i64)> {
            let text = |i: usize| r.try_get::<_, String>(i).map_err(backend);
            Ok(((text(0)?, text(1)?, text(2)?), r.try_get(3).map_err(backend)?))
        };
        let mut out = Vec::new();
        let live = match &account {
            Some(a) => tx.query(&live_key_lifetimes_sql(true, p), &[&until, a]).await,
            None => tx.query(&live_key_lifetimes_sql(false, p), &[&until]).await,
        };
        for r in &live.map_err(backend)? {
            let (key, created) = names(r)?;
            out.push(key_lifetime(key, Some(created), None));
        }
        let destroyed = match &account {
            Some(a) => tx.query(&destroyed_key_lifetimes_sql(true, p), &[&since, a]).await,
            None => tx.query(&destroyed_key_lifetimes_sql(false, p), &[&since]).await,
        };
        for r in &destroyed.map_err(backend)? {
            let (key, destroyed_at) = names(r)?;
            let lifetime = key_lifetime(key, None, Some(destroyed_at));
            let id = lifetime.key_arn.rsplit_once(":key/").map_or("", |(_, id)| id).to_owned();
            let first = tx.query_one(&key_first_event_sql(p), &[&id, &lifetime.key_arn]).await.map_err(backend)?;
            let created_at: Option<i64> = first.try_get(0).map_err(backend)?;
            out.push(KeyLifetime { created_at, ..lifetime });
        }
        tx.commit().await.map_err(backend)?;
        out.sort();
        Ok(out)
    }

    async fn index_audit(&self, max: usize) -> StoreResult<u64> {
        let mut c = self.client().await?;
        // A read first: an idle indexer locks nothing.
        if !index_behind(&c).await? {
            return Ok(0);
        }
        let tx = c.transaction().await.map_err(backend)?;
        // Not waiting for its WAL flush: a crash that loses this commit
        // loses its index rows and the chain's `indexed` mark together, and
        // the next pass indexes those records again from the log.
        tx.batch_execute("SET LOCAL synchronous_commit = off").await.map_err(backend)?;
        let n = index_in(&tx, max).await?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn audit_head(&self) -> StoreResult<Option<(u64, Hash)>> {
        let chain = self.chain().await?;
        let c = self.client().await?;
        audit_head(&c, chain).await
    }

    async fn insert_audit_checkpoint(&self, cp: &AuditCheckpoint) -> StoreResult<bool> {
        let values = checkpoint_values(cp)?;
        let c = self.client().await?;
        Ok(c.execute(&insert_checkpoint_sql(CHECKPOINT_COLUMNS, p), &refs(&values)).await.map_err(backend)? == 1)
    }

    async fn latest_audit_checkpoint(&self) -> StoreResult<Option<AuditCheckpoint>> {
        let chain = chain_param(self.chain().await?);
        let c = self.client().await?;
        let row = c.query_opt(&latest_checkpoint_sql(p), &[&chain]).await.map_err(backend)?;
        row.as_ref().map(checkpoint_from_row).transpose()
    }

    async fn audit_checkpoints(&self) -> StoreResult<Vec<AuditCheckpoint>> {
        let c = self.client().await?;
        let rows = c
            .query(&format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY chain, seq"), &[])
            .await
            .map_err(backend)?;
        rows.iter().map(checkpoint_from_row).collect()
    }

    async fn prune_audit(&self, through: u64) -> StoreResult<u64> {
        let through = seq_param(through)?;
        let chain = chain_param(self.chain().await?);
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        let pruned = "SELECT seq FROM audit_events WHERE chain = $1 AND position <= $2";
        tx.execute(&format!("DELETE FROM audit_resources WHERE seq IN ({pruned})"), &[&chain, &through])
            .await
            .map_err(backend)?;
        tx.execute(&format!("DELETE FROM audit_lookup WHERE seq IN ({pruned})"), &[&chain, &through])
            .await
            .map_err(backend)?;
        let n = tx
            .execute("DELETE FROM audit_events WHERE chain = $1 AND position <= $2", &[&chain, &through])
            .await
            .map_err(backend)?;
        // Nothing of the chain up to `through` is left to index.
        tx.execute("UPDATE audit_chains SET indexed = GREATEST(indexed, $2) WHERE chain = $1", &[&chain, &through])
            .await
            .map_err(backend)?;
        tx.execute("DELETE FROM audit_checkpoints WHERE chain = $1 AND seq < $2", &[&chain, &through])
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    /// One REPEATABLE READ, READ ONLY transaction: its statements (sent at
    /// once, pipelined on its connection) all see the snapshot taken by the
    /// first, while other transactions go on committing.
    async fn export(&self) -> StoreResult<Snapshot> {
        let mut c = self.client().await?;
        let tx = Self::snapshot_tx(&mut c).await?;
        let sql = ExportSql::new();
        let (
            domain_keys,
            accounts,
            access_keys,
            users,
            user_policies,
            roles,
            role_policies,
            groups,
            group_policies,
            group_members,
            managed_policies,
            policy_versions,
            policy_attachments,
            oidc_providers,
            custom_key_stores,
            keys,
            versions,
            aliases,
            grants,
            destroyed,
            audit,
            checkpoints,
        ) = tokio::try_join!(
            tx.query(&sql.domain_keys, &[]),
            tx.query(&sql.accounts, &[]),
            tx.query(&sql.access_keys, &[]),
            tx.query(&sql.users, &[]),
            tx.query(&sql.user_policies, &[]),
            tx.query(&sql.roles, &[]),
            tx.query(&sql.role_policies, &[]),
            tx.query(&sql.groups, &[]),
            tx.query(&sql.group_policies, &[]),
            tx.query(&sql.group_members, &[]),
            tx.query(&sql.managed_policies, &[]),
            tx.query(&sql.policy_versions, &[]),
            tx.query(&sql.policy_attachments, &[]),
            tx.query(&sql.oidc_providers, &[]),
            tx.query(&sql.custom_key_stores, &[]),
            tx.query(&sql.keys, &[]),
            tx.query(&sql.versions, &[]),
            tx.query(&sql.aliases, &[]),
            tx.query(&sql.grants, &[]),
            tx.query(&sql.destroyed, &[]),
            tx.query(&sql.audit, &[]),
            tx.query(&sql.checkpoints, &[]),
        )
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        let g = self.guard()?;
        Ok(Snapshot {
            domain_keys: domain_keys.iter().map(domain_key_from_row).collect::<StoreResult<_>>()?,
            accounts: g.check_all(accounts.iter().map(account_from_row).collect::<StoreResult<_>>()?)?,
            access_keys: g.check_all(access_keys.iter().map(access_key_from_row).collect::<StoreResult<_>>()?)?,
            users: g.check_all(users.iter().map(user_from_row).collect::<StoreResult<_>>()?)?,
            user_policies: g.check_all(user_policies.iter().map(user_policy_from_row).collect::<StoreResult<_>>()?)?,
            roles: g.check_all(roles.iter().map(role_from_row).collect::<StoreResult<_>>()?)?,
            role_policies: g.check_all(role_policies.iter().map(role_policy_from_row).collect::<StoreResult<_>>()?)?,
            groups: g.check_all(groups.iter().map(group_from_row).collect::<StoreResult<_>>()?)?,
            group_policies: g
                .check_all(group_policies.iter().map(group_policy_from_row).collect::<StoreResult<_>>()?)?,
            group_members: g.check_all(group_members.iter().map(group_member_from_row).collect::<StoreResult<_>>()?)?,
            managed_policies: g
                .check_all(managed_policies.iter().map(managed_policy_from_row).collect::<StoreResult<_>>()?)?,
            policy_versions: g
                .check_all(policy_versions.iter().map(policy_version_from_row).collect::<StoreResult<_>>()?)?,
            policy_attachments: {
                let rows = policy_attachments.iter().map(policy_attachment_from_row).collect::<StoreResult<_>>()?;
                let mut list = g.check_all(rows)?;
                sort_attachments(&mut list);
                list
            },
            oidc_providers: g
                .check_all(oidc_providers.iter().map(oidc_provider_from_row).collect::<StoreResult<_>>()?)?,
            custom_key_stores: g
                .check_all(custom_key_stores.iter().map(custom_key_store_from_row).collect::<StoreResult<_>>()?)?,
            keys: g.check_all(keys.iter().map(key_from_row).collect::<StoreResult<_>>()?)?,
            versions: g.check_all(versions.iter().map(version_from_row).collect::<StoreResult<_>>()?)?,
            aliases: g.check_all(aliases.iter().map(alias_from_row).collect::<StoreResult<_>>()?)?,
            grants: g.check_all(grants.iter().map(grant_from_row).collect::<StoreResult<_>>()?)?,
            destroyed: destroyed.iter().map(destroyed_from_row).collect::<StoreResult<_>>()?,
            audit: audit.iter().map(audit_from_row).collect::<StoreResult<_>>()?,
            checkpoints: checkpoints.iter().map(checkpoint_from_row).collect::<StoreResult<_>>()?,
        })
    }

    /// One transaction. It first locks the tables whose rows make a store
    /// non-empty against writers (SHARE ROW EXCLUSIVE: readers go on;
    /// writers of these tables wait for the import and then see its rows),
    /// checks them, and writes every row in multi-row statements. The audit
    /// lock comes last, as for every other writer of the trail: under it
    /// the trail must be empty, and appends queued behind it chain after
    /// the imported head.
    async fn import(&self, snap: &Snapshot) -> StoreResult<()> {
        async fn holds(tx: &Transaction<'_>, sql: &str) -> StoreResult<bool> {
            tx.query_one(sql, &[]).await.map_err(backend)?.try_get(0).map_err(backend)
        }
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.batch_execute("LOCK TABLE domain_keys, accounts, keys IN SHARE ROW EXCLUSIVE MODE")
            .await
            .map_err(backend)?;
        if holds(&tx, HOLDS_STATE_SQL).await? {
            return Err(StoreError::Conflict);
        }
        let g = self.guard()?;
        let g = g.as_ref();
        fn rows<T>(list: &[T], values: impl Fn(&T) -> StoreResult<RowValues>) -> StoreResult<Vec<RowValues>> {
            list.iter().map(values).collect()
        }
        insert_rows(&tx, "domain_keys", DOMAIN_KEY_COLUMNS, &rows(&snap.domain_keys, |d| Ok(domain_key_values(d)))?)
            .await?;
        insert_rows(&tx, "accounts", ACCOUNT_COLUMNS, &rows(&snap.accounts, |r| account_values(g, r))?).await?;
        insert_rows(&tx, "access_keys", ACCESS_KEY_COLUMNS, &rows(&snap.access_keys, |r| access_key_values(g, r))?)
            .await?;
        insert_rows(&tx, "users", USER_COLUMNS, &rows(&snap.users, |r| user_values(g, r))?).await?;
        insert_rows(
            &tx,
            "user_policies",
            USER_POLICY_COLUMNS,
            &rows(&snap.user_policies, |r| user_policy_values(g, r))?,
        )
        .await?;
        insert_rows(&tx, "roles", ROLE_COLUMNS, &rows(&snap.roles, |r| role_values(g, r))?).await?;
        insert_rows(
            &tx,
            "role_policies",
            ROLE_POLICY_COLUMNS,
            &rows(&snap.role_policies, |r| role_policy_values(g, r))?,
        )
        .await?;
        insert_rows(&tx, "groups", GROUP_COLUMNS, &rows(&snap.groups, |r| group_values(g, r))?).await?;
        insert_rows(
            &tx,
            "group_policies",
            GROUP_POLICY_COLUMNS,
            &rows(&snap.group_policies, |r| group_policy_values(g, r))?,
        )
        .await?;
        insert_rows(
            &tx,
            "group_members",
            GROUP_MEMBER_COLUMNS,
            &rows(&snap.group_members, |r| group_member_values(g, r))?,
        )
        .await?;
        insert_rows(
            &tx,
            "managed_policies",
            MANAGED_POLICY_COLUMNS,
            &rows(&snap.managed_policies, |r| managed_policy_values(g, r))?,
        )
        .await?;
        insert_rows(
            &tx,
            "policy_versions",
            POLICY_VERSION_COLUMNS,
            &rows(&snap.policy_versions, |r| policy_version_values(g, r))?,
        )
        .await?;
        insert_rows(
            &tx,
            "policy_attachments",
            POLICY_ATTACHMENT_COLUMNS,
            &rows(&snap.policy_attachments, |r| policy_attachment_values(g, r))?,
        )
        .await?;
        insert_rows(
            &tx,
            "oidc_providers",
            OIDC_PROVIDER_COLUMNS,
            &rows(&snap.oidc_providers, |r| oidc_provider_values(g, r))?,
        )
        .await?;
        insert_rows(
            &tx,
            "custom_key_stores",
            CUSTOM_KEY_STORE_COLUMNS,
            &rows(&snap.custom_key_stores, |r| custom_key_store_values(g, r))?,
        )
        .await?;
        let keys = snap.keys.iter().map(|k| key_values(g, k)).collect::<StoreResult<Vec<_>>>()?;
        insert_rows(&tx, "keys", KEY_COLUMNS, &keys).await?;
        insert_rows(&tx, "key_versions", VERSION_COLUMNS, &rows(&snap.versions, |r| version_values(g, r))?).await?;
        insert_rows(&tx, "aliases", ALIAS_COLUMNS, &rows(&snap.aliases, |r| alias_values(g, r))?).await?;
        insert_rows(&tx, "grants", GRANT_COLUMNS, &rows(&snap.grants, |r| grant_values(g, r))?).await?;
        insert_rows(&tx, "destroyed_keys", DESTROYED_COLUMNS, &rows(&snap.destroyed, |d| Ok(destroyed_values(d)))?)
            .await?;
        // Appends wait for the import's commit at their insert (and fail
        // on a taken position, should they have read an empty chain).
        tx.batch_execute("LOCK TABLE audit_events, audit_checkpoints IN SHARE ROW EXCLUSIVE MODE")
            .await
            .map_err(backend)?;
        if holds(&tx, HOLDS_AUDIT_SQL).await? {
            return Err(StoreError::Conflict);
        }
        for records in snap.audit.chunks(ROWS_PER_INSERT) {
            insert_audit(&tx, records).await?;
        }
        // Each imported chain is registered, to be indexed; the sequence
        // goes on after the imported seqs.
        let chains: std::collections::BTreeSet<i32> = snap
            .audit
            .iter()
            .map(|r| chain_param(r.chain))
            .chain(snap.checkpoints.iter().map(|c| chain_param(c.chain)))
            .collect();
        for chain in chains {
            tx.execute("INSERT INTO audit_chains (chain, indexed) VALUES ($1, 0) ON CONFLICT DO NOTHING", &[&chain])
                .await
                .map_err(backend)?;
        }
        tx.execute(
            "SELECT setval('audit_seq', GREATEST((SELECT last_value FROM audit_seq), COALESCE((SELECT MAX(seq) FROM audit_events), 0) + 1), false)",
            &[],
        )
        .await
        .map_err(backend)?;
        // An import indexes what it brings at once: a lookup need not read a
        // whole imported trail as its tail.
        while index_in(&tx, ROWS_PER_INSERT).await? > 0 {}
        let checkpoints = snap.checkpoints.iter().map(checkpoint_values).collect::<StoreResult<Vec<_>>>()?;
        insert_rows(&tx, "audit_checkpoints", CHECKPOINT_COLUMNS, &checkpoints).await?;
        tx.commit().await.map_err(backend)
    }
}
