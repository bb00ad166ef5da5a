//! [`Store`] for [`SqliteStore`]: every operation, each one IMMEDIATE transaction (writes) or a pooled read.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl Store for SqliteStore {
    async fn protect_rows(&self, guard: Arc<RowGuard>) -> StoreResult<u64> {
        let g = self.guard.get_or_init(|| guard).clone();
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = seal_pending_in(&tx, &g)?;
            tx.commit().map_err(backend)?;
            Ok(n)
        })
        .await
    }

    async fn domain_keys(&self) -> StoreResult<Vec<DomainKeyRecord>> {
        self.with_read(|c| {
            let mut st = c
                .prepare_cached(&format!("SELECT {DOMAIN_KEY_COLUMNS} FROM domain_keys ORDER BY id"))
                .map_err(backend)?;
            let rows = st.query_map([], domain_key_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn insert_domain_key(&self, dk: &DomainKeyRecord) -> StoreResult<()> {
        let dk = dk.clone();
        self.with(move |c| insert_domain_key_row(c, &dk)).await
    }

    async fn replace_domain_keys(
        &self,
        expected: &[DomainKeyRecord],
        new: &[DomainKeyRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (expected, new, audit) = (expected.to_vec(), new.to_vec(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let stored = {
                let mut st = tx
                    .prepare_cached(&format!("SELECT {DOMAIN_KEY_COLUMNS} FROM domain_keys ORDER BY id"))
                    .map_err(backend)?;
                let rows = st.query_map([], domain_key_from_row).map_err(backend)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(backend)?
            };
            if stored != expected {
                return Err(StoreError::Conflict);
            }
            tx.execute("DELETE FROM domain_keys", []).map_err(backend)?;
            for dk in &new {
                insert_domain_key_row(&tx, dk)?;
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn count_accounts(&self) -> StoreResult<u64> {
        self.with_read(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0)).map_err(backend)?;
            Ok(n.max(0) as u64)
        })
        .await
    }

    async fn insert_account(
        &self,
        account: &AccountRecord,
        key: &AccessKeyRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (account, key, audit, g) = (account.clone(), key.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_account_row(&tx, &g, &account)?;
            insert_access_key_row(&tx, &g, &key)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn account(&self, id: &AccountId) -> StoreResult<Option<AccountRecord>> {
        let (id, g) = (id.clone(), self.guard()?);
        let row = self.with_read(move |c| {
            c.query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
                params![id.as_str()],
                account_from_row,
            )
            .optional()
            .map_err(backend)
        });
        g.check_opt(row.await?)
    }

    async fn access_key(&self, id: &AccessKeyId) -> StoreResult<Option<AccessKeyRecord>> {
        let (id, g) = (id.clone(), self.guard()?);
        let row = self.with_read(move |c| {
            c.query_row(
                &format!("SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE id = ?1"),
                params![id.as_str()],
                access_key_from_row,
            )
            .optional()
            .map_err(backend)
        });
        g.check_opt(row.await?)
    }

    async fn insert_access_key(
        &self,
        key: &AccessKeyRecord,
        user: Option<&str>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (key, user, audit, g) = (key.clone(), user.map(str::to_owned), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // The write lock (IMMEDIATE) keeps the user there until commit.
            if let Some(name) = &user {
                if user_exact(&tx, &g, key.account.as_str(), name)?.is_none() {
                    return Err(StoreError::NotFound);
                }
            }
            insert_access_key_row(&tx, &g, &key)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn access_keys_of(&self, principal: &PrincipalArn) -> StoreResult<Vec<AccessKeyRecord>> {
        let (principal, g) = (principal.clone(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&access_keys_of_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![principal.as_str()], access_key_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn delete_access_key(&self, id: &AccessKeyId, audit: &[AuditEntry]) -> StoreResult<()> {
        let (id, audit) = (id.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .prepare_cached(&delete_access_key_sql(q))
                .map_err(backend)?
                .execute(params![id.as_str()])
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn set_access_key_inactive(&self, id: &AccessKeyId, inactive: bool, audit: &[AuditEntry]) -> StoreResult<()> {
        let (id, audit, g) = (id.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            let row = tx
                .query_row(&access_key_for_update_sql(q, false), params![id.as_str()], access_key_from_row)
                .optional()
                .map_err(backend)?;
            let mut key = g.check_opt(row)?.ok_or(StoreError::NotFound)?;
            key.inactive = inactive;
            tx.prepare_cached(&set_access_key_inactive_sql(q))
                .map_err(backend)?
                .execute(params![id.as_str(), inactive, g.seal(&key)?])
                .map_err(write_err)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn insert_user(
        &self,
        user: &UserRecord,
        key: Option<&AccessKeyRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (user, key, audit, g) = (user.clone(), key.cloned(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_user_row(&tx, &g, &user)?;
            if let Some(key) = &key {
                insert_access_key_row(&tx, &g, key)?;
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn user(&self, account: &AccountId, name: &str) -> StoreResult<Option<UserRecord>> {
        let slot = (account.clone(), user_name_key(name));
        if let Some(u) = self.users.get(&slot) {
            return Ok(Some(u));
        }
        let (generation, g) = (self.users.generation(), self.guard()?);
        let (account, name_key) = slot.clone();
        let found = self
            .with_read(move |c| {
                c.prepare_cached(&user_sql(q))
                    .map_err(backend)?
                    .query_row(params![account.as_str(), name_key], user_from_row)
                    .optional()
                    .map_err(backend)
            })
            .await?;
        let found = g.check_opt(found)?;
        // name_key is not sealed (it is derived from the name): a row found
        // under another name's key is refused, not taken for that user.
        if found.as_ref().is_some_and(|u| user_name_key(&u.name) != slot.1) {
            return Err(StoreError::Integrity {
                table: UserRecord::TABLE,
                row: format!("{}/{}", slot.0.as_str(), slot.1),
            });
        }
        if let Some(u) = &found {
            self.users.insert(generation, &slot, u);
        }
        Ok(found)
    }

    async fn users(&self, account: &AccountId) -> StoreResult<Vec<UserRecord>> {
        let (account, g) = (account.clone(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&users_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![account.as_str()], user_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn delete_user(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let (user_slot, policy_slot) = ((account.clone(), user_name_key(name)), (account.clone(), name.to_owned()));
        self.users.begin_write(&user_slot);
        self.user_policies.begin_write(&policy_slot);
        // Its group memberships go with it, and its managed policies and
        // permissions boundary.
        self.groups_of_user.begin_write(&policy_slot);
        let _attached = self.attached_policies.writing(
            [AttachmentTarget::User, AttachmentTarget::UserBoundary]
                .map(|t| (account.clone(), t, name.to_owned()))
                .to_vec(),
        );
        let (account, name, audit, g) = (account.clone(), name.to_owned(), audit.to_vec(), self.guard()?);
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                let user = user_exact(&tx, &g, account.as_str(), &name)?.ok_or(StoreError::NotFound)?;
                let [policies, memberships, attachments, keys, users] = delete_user_sql(q);
                tx.execute(&policies, params![account.as_str(), name]).map_err(backend)?;
                tx.execute(&memberships, params![account.as_str(), name]).map_err(backend)?;
                tx.execute(&attachments, params![account.as_str(), name]).map_err(backend)?;
                tx.execute(&keys, params![user.arn()]).map_err(backend)?;
                tx.execute(&users, params![account.as_str(), name]).map_err(backend)?;
                commit_audited(tx, &audit)
            })
            .await;
        self.users.end_write(&user_slot);
        self.user_policies.end_write(&policy_slot);
        self.groups_of_user.end_write(&policy_slot);
        result
    }

    async fn update_user_tags(
        &self,
        account: &AccountId,
        name: &str,
        tags: &[(String, String)],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let slot = (account.clone(), user_name_key(name));
        self.users.begin_write(&slot);
        let (account, name, tags, audit, g) =
            (account.clone(), name.to_owned(), tags.to_vec(), audit.to_vec(), self.guard()?);
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                let mut user = user_exact(&tx, &g, account.as_str(), &name)?.ok_or(StoreError::NotFound)?;
                user.tags = tags;
                tx.prepare_cached(&update_user_tags_sql(q))
                    .map_err(backend)?
                    .execute(params![account.as_str(), name, tags_to_json(&user.tags), g.seal(&user)?])
                    .map_err(backend)?;
                commit_audited(tx, &audit)
            })
            .await;
        self.users.end_write(&slot);
        result
    }

    async fn put_user_policy(&self, policy: &UserPolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let slot = (policy.account.clone(), policy.user_name.clone());
        self.user_policies.begin_write(&slot);
        let (p, audit, g) = (policy.clone(), audit.to_vec(), self.guard()?);
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                if user_exact(&tx, &g, p.account.as_str(), &p.user_name)?.is_none() {
                    return Err(StoreError::NotFound);
                }
                tx.prepare_cached(&put_user_policy_sql(q))
                    .map_err(backend)?
                    .execute(params![p.account.as_str(), p.user_name, p.policy_name, p.document, g.seal(&p)?])
                    .map_err(backend)?;
                commit_audited(tx, &audit)
            })
            .await;
        self.user_policies.end_write(&slot);
        result
    }

    async fn user_policies(&self, account: &AccountId, user_name: &str) -> StoreResult<Vec<UserPolicyRecord>> {
        let slot = (account.clone(), user_name.to_owned());
        if let Some(p) = self.user_policies.get(&slot) {
            return Ok(p);
        }
        let (generation, g) = (self.user_policies.generation(), self.guard()?);
        let (account, user_name) = slot.clone();
        let found = self
            .with_read(move |c| {
                let mut st = c.prepare_cached(&user_policies_sql(q)).map_err(backend)?;
                let rows = st.query_map(params![account.as_str(), user_name], user_policy_from_row).map_err(backend)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(backend)
            })
            .await?;
        let found = g.check_all(found)?;
        self.user_policies.insert(generation, &slot, &found);
        Ok(found)
    }

    async fn delete_user_policy(
        &self,
        account: &AccountId,
        user_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let slot = (account.clone(), user_name.to_owned());
        self.user_policies.begin_write(&slot);
        let (account, user_name, policy_name, audit) =
            (account.clone(), user_name.to_owned(), policy_name.to_owned(), audit.to_vec());
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                let n = tx
                    .execute(&delete_user_policy_sql(q), params![account.as_str(), user_name, policy_name])
                    .map_err(backend)?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                commit_audited(tx, &audit)
            })
            .await;
        self.user_policies.end_write(&slot);
        result
    }

    async fn insert_role(&self, role: &RoleRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (role, audit, g) = (role.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_role_row(&tx, &g, &role)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn role(&self, account: &AccountId, name: &str) -> StoreResult<Option<RoleRecord>> {
        let slot = (account.clone(), role_name_key(name));
        if let Some(r) = self.roles.get(&slot) {
            return Ok(Some(r));
        }
        let (generation, g) = (self.roles.generation(), self.guard()?);
        let (account, name_key) = slot.clone();
        let found = self
            .with_read(move |c| {
                c.prepare_cached(&role_sql(q))
                    .map_err(backend)?
                    .query_row(params![account.as_str(), name_key], role_from_row)
                    .optional()
                    .map_err(backend)
            })
            .await?;
        let found = g.check_opt(found)?;
        // name_key is not sealed (it is derived from the name): a row found
        // under another name's key is refused, not taken for that role.
        if found.as_ref().is_some_and(|r| role_name_key(&r.name) != slot.1) {
            return Err(StoreError::Integrity {
                table: RoleRecord::TABLE,
                row: format!("{}/{}", slot.0.as_str(), slot.1),
            });
        }
        if let Some(r) = &found {
            self.roles.insert(generation, &slot, r);
        }
        Ok(found)
    }

    async fn roles(&self, account: &AccountId) -> StoreResult<Vec<RoleRecord>> {
        let (account, g) = (account.clone(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&roles_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![account.as_str()], role_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn update_role(&self, role: &RoleRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        // Its cache entry ends the write after the commit (or the failure).
        let _writing = self.roles.writing(vec![(role.account.clone(), role_name_key(&role.name))]);
        let (role, audit, g) = (role.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .prepare_cached(&update_role_sql(q))
                .map_err(backend)?
                .execute(params_from_iter(role_values(&g, &role)?))
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn delete_role(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let _role = self.roles.writing(vec![(account.clone(), role_name_key(name))]);
        let _policies = self.role_policies.writing(vec![(account.clone(), name.to_owned())]);
        let _attached = self.attached_policies.writing(
            [AttachmentTarget::Role, AttachmentTarget::RoleBoundary]
                .map(|t| (account.clone(), t, name.to_owned()))
                .to_vec(),
        );
        let (account, name, audit, g) = (account.clone(), name.to_owned(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // Checked, as delete_user checks its user: an edited row is
            // refused, not deleted.
            role_exact(&tx, &g, account.as_str(), &name)?.ok_or(StoreError::NotFound)?;
            let [policies, attachments, roles] = delete_role_sql(q);
            tx.execute(&policies, params![account.as_str(), name]).map_err(backend)?;
            tx.execute(&attachments, params![account.as_str(), name]).map_err(backend)?;
            tx.execute(&roles, params![account.as_str(), name]).map_err(backend)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn put_role_policy(&self, policy: &RolePolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let _writing = self.role_policies.writing(vec![(policy.account.clone(), policy.role_name.clone())]);
        let (p, audit, g) = (policy.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            if role_exact(&tx, &g, p.account.as_str(), &p.role_name)?.is_none() {
                return Err(StoreError::NotFound);
            }
            tx.prepare_cached(&put_role_policy_sql(q))
                .map_err(backend)?
                .execute(params![p.account.as_str(), p.role_name, p.policy_name, p.document, g.seal(&p)?])
                .map_err(backend)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn role_policies(&self, account: &AccountId, role_name: &str) -> StoreResult<Vec<RolePolicyRecord>> {
        let slot = (account.clone(), role_name.to_owned());
        if let Some(p) = self.role_policies.get(&slot) {
            return Ok(p);
        }
        let (generation, g) = (self.role_policies.generation(), self.guard()?);
        let (account, role_name) = slot.clone();
        let found = self
            .with_read(move |c| {
                let mut st = c.prepare_cached(&role_policies_sql(q)).map_err(backend)?;
                let rows = st.query_map(params![account.as_str(), role_name], role_policy_from_row).map_err(backend)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(backend)
            })
            .await?;
        let found = g.check_all(found)?;
        self.role_policies.insert(generation, &slot, &found);
        Ok(found)
    }

    async fn delete_role_policy(
        &self,
        account: &AccountId,
        role_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let _writing = self.role_policies.writing(vec![(account.clone(), role_name.to_owned())]);
        let (account, role_name, policy_name, audit) =
            (account.clone(), role_name.to_owned(), policy_name.to_owned(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .execute(&delete_role_policy_sql(q), params![account.as_str(), role_name, policy_name])
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn insert_group(&self, group: &GroupRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (group, audit, g) = (group.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_group_row(&tx, &g, &group)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn group(&self, account: &AccountId, name: &str) -> StoreResult<Option<GroupRecord>> {
        let (name_key, g) = (group_name_key(name), self.guard()?);
        let (account, key) = (account.clone(), name_key.clone());
        let found = self
            .with_read(move |c| {
                c.prepare_cached(&group_sql(q))
                    .map_err(backend)?
                    .query_row(params![account.as_str(), key], group_from_row)
                    .optional()
                    .map_err(backend)
            })
            .await?;
        let found = g.check_opt(found)?;
        // name_key is not sealed (it is derived from the name): a row found
        // under another name's key is refused, not taken for that group.
        if let Some(r) = found.as_ref().filter(|r| group_name_key(&r.name) != name_key) {
            return Err(StoreError::Integrity {
                table: GroupRecord::TABLE,
                row: format!("{}/{name_key}", r.account.as_str()),
            });
        }
        Ok(found)
    }

    async fn groups(&self, account: &AccountId) -> StoreResult<Vec<GroupRecord>> {
        let (account, g) = (account.clone(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&groups_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![account.as_str()], group_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn delete_group(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let _policies = self.group_policies.writing(vec![(account.clone(), name.to_owned())]);
        let _attached =
            self.attached_policies.writing(vec![(account.clone(), AttachmentTarget::Group, name.to_owned())]);
        let members_cache = Arc::clone(&self.groups_of_user);
        let (account, name, audit, g) = (account.clone(), name.to_owned(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // Checked, as delete_user checks its user: an edited row is
            // refused, not deleted.
            group_exact(&tx, &g, account.as_str(), &name)?.ok_or(StoreError::NotFound)?;
            // The members' cached groups end with the write: the write
            // lock (IMMEDIATE) keeps the memberships read here the ones
            // deleted, and the guard drops after the commit.
            let members: Vec<(AccountId, String)> = {
                let mut st = tx.prepare_cached(&group_members_sql(q)).map_err(backend)?;
                let rows = st.query_map(params![account.as_str(), name], |r| r.get("user_name")).map_err(backend)?;
                let names = rows.collect::<Result<Vec<String>, _>>().map_err(backend)?;
                names.into_iter().map(|u| (account.clone(), u)).collect()
            };
            let _members = members_cache.writing(members);
            let [policies, memberships, attachments, groups] = delete_group_sql(q);
            tx.execute(&policies, params![account.as_str(), name]).map_err(backend)?;
            tx.execute(&memberships, params![account.as_str(), name]).map_err(backend)?;
            tx.execute(&attachments, params![account.as_str(), name]).map_err(backend)?;
            tx.execute(&groups, params![account.as_str(), name]).map_err(backend)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn add_group_member(&self, member: &GroupMemberRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let _writing = self.groups_of_user.writing(vec![(member.account.clone(), member.user_name.clone())]);
        let (m, audit, g) = (member.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // The write lock (IMMEDIATE) keeps both there until commit.
            if group_exact(&tx, &g, m.account.as_str(), &m.group_name)?.is_none()
                || user_exact(&tx, &g, m.account.as_str(), &m.user_name)?.is_none()
            {
                return Err(StoreError::NotFound);
            }
            tx.prepare_cached(&add_group_member_sql(q))
                .map_err(backend)?
                .execute(params![m.account.as_str(), m.group_name, m.user_name, g.seal(&m)?])
                .map_err(backend)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn remove_group_member(&self, member: &GroupMemberRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let _writing = self.groups_of_user.writing(vec![(member.account.clone(), member.user_name.clone())]);
        let (m, audit) = (member.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .execute(&remove_group_member_sql(q), params![m.account.as_str(), m.group_name, m.user_name])
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn group_members(&self, account: &AccountId, group_name: &str) -> StoreResult<Vec<String>> {
        let (account, group_name, g) = (account.clone(), group_name.to_owned(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&group_members_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![account.as_str(), group_name], group_member_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        Ok(g.check_all(rows.await?)?.into_iter().map(|m| m.user_name).collect())
    }

    async fn groups_of_user(&self, account: &AccountId, user_name: &str) -> StoreResult<Vec<GroupRecord>> {
        let slot = (account.clone(), user_name.to_owned());
        if let Some(groups) = self.groups_of_user.get(&slot) {
            return Ok(groups);
        }
        let (generation, g) = (self.groups_of_user.generation(), self.guard()?);
        let (account, user_name) = slot.clone();
        let rows = self
            .with_read(move |c| {
                let mut st = c.prepare_cached(&groups_of_user_sql(q)).map_err(backend)?;
                let rows =
                    st.query_map(params![account.as_str(), user_name], group_of_user_from_row).map_err(backend)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(backend)
            })
            .await?;
        // The membership is checked as well as the group: a row added
        // behind the store makes no one a member.
        let (groups, members): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
        g.check_all(members)?;
        let groups = g.check_all(groups)?;
        self.groups_of_user.insert(generation, &slot, &groups);
        Ok(groups)
    }

    async fn put_group_policy(&self, policy: &GroupPolicyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let _writing = self.group_policies.writing(vec![(policy.account.clone(), policy.group_name.clone())]);
        let (p, audit, g) = (policy.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            if group_exact(&tx, &g, p.account.as_str(), &p.group_name)?.is_none() {
                return Err(StoreError::NotFound);
            }
            tx.prepare_cached(&put_group_policy_sql(q))
                .map_err(backend)?
                .execute(params![p.account.as_str(), p.group_name, p.policy_name, p.document, g.seal(&p)?])
                .map_err(backend)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn group_policies(&self, account: &AccountId, group_name: &str) -> StoreResult<Vec<GroupPolicyRecord>> {
        let slot = (account.clone(), group_name.to_owned());
        if let Some(p) = self.group_policies.get(&slot) {
            return Ok(p);
        }
        let (generation, g) = (self.group_policies.generation(), self.guard()?);
        let (account, group_name) = slot.clone();
        let found = self
            .with_read(move |c| {
                let mut st = c.prepare_cached(&group_policies_sql(q)).map_err(backend)?;
                let rows =
                    st.query_map(params![account.as_str(), group_name], group_policy_from_row).map_err(backend)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(backend)
            })
            .await?;
        let found = g.check_all(found)?;
        self.group_policies.insert(generation, &slot, &found);
        Ok(found)
    }

    async fn delete_group_policy(
        &self,
        account: &AccountId,
        group_name: &str,
        policy_name: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let _writing = self.group_policies.writing(vec![(account.clone(), group_name.to_owned())]);
        let (account, group_name, policy_name, audit) =
            (account.clone(), group_name.to_owned(), policy_name.to_owned(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .execute(&delete_group_policy_sql(q), params![account.as_str(), group_name, policy_name])
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn insert_oidc_provider(&self, provider: &OidcProviderRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (provider, audit, g) = (provider.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_oidc_provider_row(&tx, &g, &provider)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn oidc_provider(&self, account: &AccountId, url: &str) -> StoreResult<Option<OidcProviderRecord>> {
        let (account, url, g) = (account.clone(), url.to_owned(), self.guard()?);
        self.with_read(move |c| oidc_provider_row(c, &g, account.as_str(), &url)).await
    }

    async fn oidc_providers(&self, account: &AccountId) -> StoreResult<Vec<OidcProviderRecord>> {
        let (account, g) = (account.clone(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&oidc_providers_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![account.as_str()], oidc_provider_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn update_oidc_provider(&self, provider: &OidcProviderRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (provider, audit, g) = (provider.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // Read and checked first, as set_access_key_inactive reads its
            // key: an edited row is refused, not sealed over, and the row
            // sealed is the stored one with the three fields changed.
            let mut stored =
                oidc_provider_row(&tx, &g, provider.account.as_str(), &provider.url)?.ok_or(StoreError::NotFound)?;
            stored.client_ids = provider.client_ids;
            stored.thumbprints = provider.thumbprints;
            stored.tags = provider.tags;
            tx.prepare_cached(&update_oidc_provider_sql(q))
                .map_err(backend)?
                .execute(params![
                    stored.account.as_str(),
                    stored.url,
                    strings_to_json(&stored.client_ids),
                    strings_to_json(&stored.thumbprints),
                    tags_to_json(&stored.tags),
                    g.seal(&stored)?
                ])
                .map_err(backend)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn delete_oidc_provider(&self, account: &AccountId, url: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let (account, url, audit, g) = (account.clone(), url.to_owned(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // Checked, as delete_role checks its role: an edited row is
            // refused, not deleted.
            oidc_provider_row(&tx, &g, account.as_str(), &url)?.ok_or(StoreError::NotFound)?;
            tx.execute(&delete_oidc_provider_sql(q), params![account.as_str(), url]).map_err(backend)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn insert_custom_key_store(&self, store: &CustomKeyStoreRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (store, audit, g) = (store.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_custom_key_store_row(&tx, &g, &store)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn custom_key_store(&self, scope: &Scope, id: &str) -> StoreResult<Option<CustomKeyStoreRecord>> {
        let (scope, id, g) = (scope.clone(), id.to_owned(), self.guard()?);
        self.with_read(move |c| custom_key_store_row(c, &g, &scope, &id)).await
    }

    async fn custom_key_stores(&self, scope: Option<&Scope>) -> StoreResult<Vec<CustomKeyStoreRecord>> {
        let (scope, g) = (scope.cloned(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&custom_key_stores_sql(q, scope.is_some())).map_err(backend)?;
            let rows = match &scope {
                Some(s) => st.query_map(params![s.account.as_str(), s.region.as_str()], custom_key_store_from_row),
                None => st.query_map([], custom_key_store_from_row),
            }
            .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn update_custom_key_store(&self, store: &CustomKeyStoreRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (store, audit, g) = (store.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // Read and checked first, as update_oidc_provider reads its
            // provider: an edited row is refused, not sealed over, and the
            // row sealed is the stored one (its creation time kept) with
            // the rest replaced. A name its scope has is AlreadyExists.
            let stored = custom_key_store_row(&tx, &g, &store.scope, &store.id)?.ok_or(StoreError::NotFound)?;
            let new = CustomKeyStoreRecord { created_at: stored.created_at, ..store };
            tx.prepare_cached(&update_custom_key_store_sql(q))
                .map_err(backend)?
                .execute(params_from_iter(custom_key_store_values(&g, &new)?))
                .map_err(write_err)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn delete_custom_key_store(&self, scope: &Scope, id: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let (scope, id, audit, g) = (scope.clone(), id.to_owned(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // Checked, as delete_oidc_provider checks its provider: an
            // edited row is refused, not deleted.
            custom_key_store_row(&tx, &g, &scope, &id)?.ok_or(StoreError::NotFound)?;
            tx.execute(&delete_custom_key_store_sql(q), params![id, scope.account.as_str(), scope.region.as_str()])
                .map_err(backend)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn custom_key_store_keys(&self, scope: &Scope, id: &str) -> StoreResult<u64> {
        let (scope, id) = (scope.clone(), id.to_owned());
        self.with_read(move |c| {
            let n: i64 = c
                .prepare_cached(&custom_key_store_keys_sql(q))
                .map_err(backend)?
                .query_row(params![scope.account.as_str(), scope.region.as_str(), id], |r| r.get(0))
                .map_err(backend)?;
            Ok(n.max(0) as u64)
        })
        .await
    }

    async fn insert_managed_policy(
        &self,
        policy: &ManagedPolicyRecord,
        version: &PolicyVersionRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        // A new policy is attached to nothing: no cached entry has it (its
        // name's previous policy, if any, took its attachments with it).
        let (policy, version, audit, g) = (policy.clone(), version.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_managed_policy_row(&tx, &g, &policy)?;
            insert_policy_version_row(&tx, &g, &version)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn managed_policy(&self, account: &AccountId, name: &str) -> StoreResult<Option<ManagedPolicyRecord>> {
        let (name_key, g) = (managed_policy_name_key(name), self.guard()?);
        let (account, key) = (account.clone(), name_key.clone());
        let found = self
            .with_read(move |c| {
                c.prepare_cached(&managed_policy_sql(q))
                    .map_err(backend)?
                    .query_row(params![account.as_str(), key], managed_policy_from_row)
                    .optional()
                    .map_err(backend)
            })
            .await?;
        let found = g.check_opt(found)?;
        // name_key is not sealed (it is derived from the name): a row found
        // under another name's key is refused, not taken for that policy.
        if let Some(r) = found.as_ref().filter(|r| managed_policy_name_key(&r.name) != name_key) {
            return Err(StoreError::Integrity {
                table: ManagedPolicyRecord::TABLE,
                row: format!("{}/{name_key}", r.account.as_str()),
            });
        }
        Ok(found)
    }

    async fn managed_policies(&self, account: &AccountId) -> StoreResult<Vec<ManagedPolicyRecord>> {
        let (account, g) = (account.clone(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&managed_policies_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![account.as_str()], managed_policy_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn update_managed_policy(
        &self,
        policy: &ManagedPolicyRecord,
        version: Option<&PolicyVersionRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let attached_cache = Arc::clone(&self.attached_policies);
        let (policy, version, audit, g) = (policy.clone(), version.cloned(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // Its default version may change: the cached attached policies
            // of the entities it is attached to end with the write, as
            // delete_group ends its members' groups (the write lock keeps
            // the attachments read here the ones there at the commit).
            let _attached = attached_cache.writing(attached_slots(&tx, &policy.account, &policy.name)?);
            let n = tx
                .prepare_cached(&update_managed_policy_sql(q))
                .map_err(backend)?
                .execute(params_from_iter(managed_policy_values(&g, &policy)?))
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            if let Some(v) = &version {
                insert_policy_version_row(&tx, &g, v)?;
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn delete_managed_policy(&self, account: &AccountId, name: &str, audit: &[AuditEntry]) -> StoreResult<()> {
        let attached_cache = Arc::clone(&self.attached_policies);
        let (account, name, audit, g) = (account.clone(), name.to_owned(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // Checked, as delete_group checks its group: an edited row is
            // refused, not deleted.
            managed_policy_exact(&tx, &g, account.as_str(), &name)?.ok_or(StoreError::NotFound)?;
            let _attached = attached_cache.writing(attached_slots(&tx, &account, &name)?);
            let [attachments, versions, policies] = delete_managed_policy_sql(q);
            tx.execute(&attachments, params![account.as_str(), name]).map_err(backend)?;
            tx.execute(&versions, params![account.as_str(), name]).map_err(backend)?;
            tx.execute(&policies, params![account.as_str(), name]).map_err(backend)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn policy_versions(&self, account: &AccountId, policy_name: &str) -> StoreResult<Vec<PolicyVersionRecord>> {
        let (account, policy_name, g) = (account.clone(), policy_name.to_owned(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&policy_versions_sql(q)).map_err(backend)?;
            let rows =
                st.query_map(params![account.as_str(), policy_name], policy_version_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn delete_policy_version(
        &self,
        account: &AccountId,
        policy_name: &str,
        version: u32,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let attached_cache = Arc::clone(&self.attached_policies);
        let (account, policy_name, audit) = (account.clone(), policy_name.to_owned(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            // Were it the default version, the policy would no longer be
            // read as attached: the entries that hold it end too.
            let _attached = attached_cache.writing(attached_slots(&tx, &account, &policy_name)?);
            let n = tx
                .execute(&delete_policy_version_sql(q), params![account.as_str(), policy_name, version])
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn attach_policy(&self, attachment: &PolicyAttachmentRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let a = attachment;
        let _writing = self.attached_policies.writing(vec![(a.account.clone(), a.target, a.entity_name.clone())]);
        let (a, audit, g) = (a.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            // The write lock (IMMEDIATE) keeps both there until commit.
            let account = a.account.as_str();
            if managed_policy_exact(&tx, &g, account, &a.policy_name)?.is_none()
                || !entity_exists(&tx, &g, account, a.target, &a.entity_name)?
            {
                return Err(StoreError::NotFound);
            }
            // A boundary replaces the one the entity had.
            if a.target.is_boundary() {
                tx.execute(&drop_boundary_sql(q), params![account, a.target.as_str(), a.entity_name])
                    .map_err(backend)?;
            }
            tx.prepare_cached(&attach_policy_sql(q))
                .map_err(backend)?
                .execute(params![account, a.policy_name, a.target.as_str(), a.entity_name, g.seal(&a)?])
                .map_err(backend)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn detach_policy(&self, attachment: &PolicyAttachmentRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let a = attachment;
        let _writing = self.attached_policies.writing(vec![(a.account.clone(), a.target, a.entity_name.clone())]);
        let (a, audit) = (a.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .execute(
                    &detach_policy_sql(q),
                    params![a.account.as_str(), a.policy_name, a.target.as_str(), a.entity_name],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn policy_attachments(
        &self,
        account: &AccountId,
        policy_name: &str,
    ) -> StoreResult<Vec<PolicyAttachmentRecord>> {
        let (account, policy_name, g) = (account.clone(), policy_name.to_owned(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&policy_attachments_sql(q)).map_err(backend)?;
            let rows =
                st.query_map(params![account.as_str(), policy_name], policy_attachment_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        let mut attachments = g.check_all(rows.await?)?;
        sort_attachments(&mut attachments);
        Ok(attachments)
    }

    async fn attached_policies(
        &self,
        account: &AccountId,
        target: AttachmentTarget,
        entity_name: &str,
    ) -> StoreResult<Vec<AttachedPolicy>> {
        let slot = (account.clone(), target, entity_name.to_owned());
        if let Some(attached) = self.attached_policies.get(&slot) {
            return Ok(attached);
        }
        let (generation, g) = (self.attached_policies.generation(), self.guard()?);
        let (account, _, entity_name) = slot.clone();
        let rows = self
            .with_read(move |c| {
                let mut st = c.prepare_cached(&attached_policies_sql(q)).map_err(backend)?;
                let rows = st
                    .query_map(params![account.as_str(), target.as_str(), entity_name], attached_policy_from_row)
                    .map_err(backend)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(backend)
            })
            .await?;
        let attached = check_attached(&g, rows)?;
        self.attached_policies.insert(generation, &slot, &attached);
        Ok(attached)
    }

    async fn insert_key(
        &self,
        key: &KeyRecord,
        version: Option<&KeyVersionRecord>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (key, version, audit, g) = (key.clone(), version.cloned(), audit.to_vec(), self.guard()?);
        // Its cache entry ends the write after the commit (or the failure).
        let _writing = self.keys.writing(vec![key_slot(&key)]);
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_key_row(&tx, &g, &key)?;
            if let Some(v) = &version {
                insert_version(&tx, &g, v)?;
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn key(&self, scope: &Scope, id: &KeyId) -> StoreResult<Option<KeyRecord>> {
        if let Some(k) = self.keys.get(&(id.clone(), scope.region.clone())).filter(|k| &k.scope == scope) {
            return Ok(Some(k));
        }
        let (generation, g) = (self.keys.generation(), self.guard()?);
        let (scope, id) = (scope.clone(), id.clone());
        let found = self
            .with_read(move |c| {
                let mut st = c
                    .prepare_cached(&format!(
                        "SELECT {KEY_COLUMNS} FROM keys WHERE id = ?1 AND account = ?2 AND region = ?3"
                    ))
                    .map_err(backend)?;
                st.query_row(params![id.as_str(), scope.account.as_str(), scope.region.as_str()], key_from_row)
                    .optional()
                    .map_err(backend)
            })
            .await?;
        let found = g.check_opt(found)?;
        if let Some(k) = &found {
            self.keys.insert(generation, &key_slot(k), k);
        }
        Ok(found)
    }

    async fn key_owner(&self, id: &KeyId, region: &Region) -> StoreResult<Option<Scope>> {
        let (id, region) = (id.clone(), region.clone());
        let found: Option<(String, String)> = self
            .with_read(move |c| {
                c.prepare_cached(&key_owner_sql(q))
                    .map_err(backend)?
                    .query_row(params![id.as_str(), region.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(backend)
            })
            .await?;
        Ok(found.map(|(account, region)| Scope {
            account: AccountId::new_unchecked(account),
            region: Region::new_unchecked(region),
        }))
    }

    async fn related_keys(&self, account: &AccountId, id: &KeyId) -> StoreResult<Vec<KeyRecord>> {
        let (id, g) = (id.clone(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&related_keys_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![id.as_str()], key_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        let mut keys = g.check_all(rows.await?)?;
        keys.retain(|k| &k.scope.account == account);
        Ok(keys)
    }

    async fn update_keys(
        &self,
        keys: &[KeyRecord],
        versions: &[KeyVersionRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (keys, versions, audit, g) = (keys.to_vec(), versions.to_vec(), audit.to_vec(), self.guard()?);
        // Their cache entries end the write after the commit (or the failure).
        let _writing = self.keys.writing(keys.iter().map(key_slot).collect());
        self.with(move |c| {
            let tx = write_tx(c)?;
            // Every key checked before any is written, in the caller's
            // order: the first that fails names the error.
            let stored = keys.iter().map(|k| stored_revision(&tx, k)).collect::<StoreResult<Vec<_>>>()?;
            check_revisions(&keys, &stored)?;
            for k in &keys {
                update_key_row(&tx, &g, k)?;
            }
            for v in &versions {
                write_version(&tx, &g, "INSERT OR REPLACE", v)?;
            }
            commit_audited(tx, &audit)?;
            if versions.iter().any(|v| !v.has_material()) {
                checkpoint(c);
            }
            Ok(())
        })
        .await
    }

    async fn list_keys(&self, scope: &Scope, after: Option<&KeyId>, limit: usize) -> StoreResult<Vec<KeyRecord>> {
        let (scope, after) = (scope.clone(), after.map(|a| a.as_str().to_owned()).unwrap_or_default());
        let g = self.guard()?;
        let rows = self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE account = ?1 AND region = ?2 AND id > ?3 ORDER BY id LIMIT ?4"
                ))
                .map_err(backend)?;
            let rows = st
                .query_map(
                    params![scope.account.as_str(), scope.region.as_str(), after, limit_param(limit)],
                    key_from_row,
                )
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn update_key(&self, key: &KeyRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (key, audit, g) = (key.clone(), audit.to_vec(), self.guard()?);
        // Its cache entry ends the write after the commit (or the failure).
        let _writing = self.keys.writing(vec![key_slot(&key)]);
        self.with(move |c| {
            let tx = write_tx(c)?;
            update_key_row(&tx, &g, &key)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn add_key_version(
        &self,
        key: &KeyRecord,
        version: &KeyVersionRecord,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (key, version, audit, g) = (key.clone(), version.clone(), audit.to_vec(), self.guard()?);
        // Its cache entry ends the write after the commit (or the failure).
        let _writing = self.keys.writing(vec![key_slot(&key)]);
        self.with(move |c| {
            let tx = write_tx(c)?;
            update_key_row(&tx, &g, &key)?;
            insert_version(&tx, &g, &version)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn key_versions(&self, key_id: &KeyId, after: u32, limit: usize) -> StoreResult<Vec<KeyVersionRecord>> {
        let (key_id, g) = (key_id.clone(), self.guard()?);
        let rows = self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {VERSION_COLUMNS} FROM key_versions \
                     WHERE key_id = ?1 AND version > ?2 ORDER BY version LIMIT ?3"
                ))
                .map_err(backend)?;
            let rows =
                st.query_map(params![key_id.as_str(), after, limit_param(limit)], version_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn due_keys(&self, now: i64, limit: usize) -> StoreResult<Vec<KeyRecord>> {
        let g = self.guard()?;
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&due_keys_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![now, limit_param(limit)], key_from_row).map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn destroy_key(&self, key: &KeyRecord, destroyed_at: i64, audit: &[AuditEntry]) -> StoreResult<()> {
        let (key, audit) = (key.clone(), audit.to_vec());
        // Its cache entry ends the write after the commit (or the failure).
        let _writing = self.keys.writing(vec![key_slot(&key)]);
        self.with(move |c| {
            let tx = write_tx(c)?;
            destroy_key_in(&tx, &key, destroyed_at)?;
            commit_audited(tx, &audit)?;
            checkpoint(c);
            Ok(())
        })
        .await
    }

    async fn put_key_versions(
        &self,
        key: &KeyRecord,
        versions: &[KeyVersionRecord],
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let (key, versions, audit, g) = (key.clone(), versions.to_vec(), audit.to_vec(), self.guard()?);
        // Its cache entry ends the write after the commit (or the failure).
        let _writing = self.keys.writing(vec![key_slot(&key)]);
        self.with(move |c| {
            let tx = write_tx(c)?;
            update_key_row(&tx, &g, &key)?;
            for v in &versions {
                write_version(&tx, &g, "INSERT OR REPLACE", v)?;
            }
            commit_audited(tx, &audit)?;
            if versions.iter().any(|v| !v.has_material()) {
                checkpoint(c);
            }
            Ok(())
        })
        .await
    }

    async fn key_destroyed(&self, scope: &Scope, id: &KeyId) -> StoreResult<bool> {
        let (scope, id) = (scope.clone(), id.clone());
        self.with_read(move |c| {
            c.query_row(
                "SELECT 1 FROM destroyed_keys WHERE id = ?1 AND account = ?2 AND region = ?3",
                params![id.as_str(), scope.account.as_str(), scope.region.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(backend)
        })
        .await
    }

    async fn key_version(&self, key_id: &KeyId, version: u32) -> StoreResult<Option<KeyVersionRecord>> {
        let (key_id, g) = (key_id.clone(), self.guard()?);
        let row = self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {VERSION_COLUMNS} FROM key_versions \
                     WHERE key_id = ?1 AND version = ?2"
                ))
                .map_err(backend)?;
            st.query_row(params![key_id.as_str(), version], version_from_row).optional().map_err(backend)
        });
        g.check_opt(row.await?)
    }

    async fn insert_alias(&self, alias: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (a, audit, g) = (alias.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_alias_row(&tx, &g, &a)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn alias(&self, scope: &Scope, name: &AliasName) -> StoreResult<Option<AliasRecord>> {
        let (scope, name, g) = (scope.clone(), name.clone(), self.guard()?);
        let row = self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {ALIAS_COLUMNS} FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3"
                ))
                .map_err(backend)?;
            st.query_row(params![scope.account.as_str(), scope.region.as_str(), name.as_str()], alias_from_row)
                .optional()
                .map_err(backend)
        });
        g.check_opt(row.await?)
    }

    async fn update_alias(&self, alias: &AliasRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (a, audit, g) = (alias.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .execute(
                    &update_alias_sql(q),
                    params![
                        a.scope.account.as_str(),
                        a.scope.region.as_str(),
                        a.name.as_str(),
                        a.target.as_str(),
                        a.updated_at,
                        a.created_at,
                        g.seal(&a)?
                    ],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn delete_alias(&self, scope: &Scope, name: &AliasName, audit: &[AuditEntry]) -> StoreResult<()> {
        let (scope, name, audit) = (scope.clone(), name.clone(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx
                .execute(
                    "DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3",
                    params![scope.account.as_str(), scope.region.as_str(), name.as_str()],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn list_aliases(
        &self,
        scope: &Scope,
        target: Option<&KeyId>,
        after: Option<&AliasName>,
        limit: usize,
    ) -> StoreResult<Vec<AliasRecord>> {
        let scope = scope.clone();
        let target = target.map(|t| t.as_str().to_owned());
        let after = after.map(|a| a.as_str().to_owned()).unwrap_or_default();
        let g = self.guard()?;
        let rows = self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {ALIAS_COLUMNS} FROM aliases \
                     WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR target = ?3) AND name > ?4 \
                     ORDER BY name LIMIT ?5"
                ))
                .map_err(backend)?;
            let rows = st
                .query_map(
                    params![scope.account.as_str(), scope.region.as_str(), target, after, limit_param(limit)],
                    alias_from_row,
                )
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        });
        g.check_all(rows.await?)
    }

    async fn insert_grant(&self, grant: &GrantRecord, audit: &[AuditEntry]) -> StoreResult<()> {
        let (grant, audit, g) = (grant.clone(), audit.to_vec(), self.guard()?);
        self.with(move |c| {
            let tx = write_tx(c)?;
            insert_grant_row(&tx, &g, &grant)?;
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn grants(
        &self,
        scope: &Scope,
        key_id: &KeyId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<GrantRecord>> {
        let arn = trent_api::ids::key_arn(&scope.region, &scope.account, key_id);
        let key_id = key_id.as_str().to_owned();
        let after = after.unwrap_or_default().to_owned();
        let g = self.guard()?;
        let rows = self.with_read(move |c| {
            let mut st = c.prepare_cached(&grants_sql(q)).map_err(backend)?;
            let rows = st.query_map(params![key_id, arn, after, limit_param(limit)], grant_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(|parts| parts.decode())).collect::<StoreResult<Vec<_>>>()
        });
        g.check_all(rows.await?)
    }

    async fn retirable_grants(
        &self,
        principal: &str,
        after: Option<(&KeyId, &str)>,
        limit: usize,
    ) -> StoreResult<Vec<GrantRecord>> {
        let principal = principal.to_owned();
        let (after_key, after_id) =
            after.map_or((String::new(), String::new()), |(k, g)| (k.as_str().to_owned(), g.to_owned()));
        let g = self.guard()?;
        let rows = self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {GRANT_COLUMNS} FROM grants WHERE retiring = ?1 AND (key_id, grant_id) > (?2, ?3) \
                     ORDER BY key_id, grant_id LIMIT ?4"
                ))
                .map_err(backend)?;
            let rows = st
                .query_map(params![principal, after_key, after_id, limit_param(limit)], grant_row)
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(|parts| parts.decode())).collect::<StoreResult<Vec<_>>>()
        });
        g.check_all(rows.await?)
    }

    async fn delete_grant(
        &self,
        scope: &Scope,
        key_id: &KeyId,
        grant_id: &str,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let arn = trent_api::ids::key_arn(&scope.region, &scope.account, key_id);
        let (key_id, grant_id, audit) = (key_id.as_str().to_owned(), grant_id.to_owned(), audit.to_vec());
        self.with(move |c| {
            let tx = write_tx(c)?;
            let n = tx.execute(&delete_grant_sql(q), params![key_id, grant_id, arn]).map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            commit_audited(tx, &audit)
        })
        .await
    }

    async fn append_audit(&self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(appender) = &self.appender {
            // The served store: one write and one fdatasync of the log file,
            // on the log's own thread, with no SQLite lock (`log.rs`).
            return appender.append(entries).await;
        }
        self.with(move |c| {
            let tx = write_tx(c)?;
            let records = append_owned_audit_in(&tx, entries)?;
            tx.commit().map_err(backend)?;
            Ok(records)
        })
        .await
    }

    async fn audit_records(&self, after: u64, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        self.settle().await?;
        // Past every storable seq there is nothing.
        let Ok(after) = i64::try_from(after) else { return Ok(Vec::new()) };
        self.with_read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                ))
                .map_err(backend)?;
            let rows = st.query_map(params![after, limit_param(limit)], audit_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(AuditRow::decode)).collect()
        })
        .await
    }

    /// In one read transaction (one snapshot): the unindexed tail of the
    /// log first (`TailScan`), then the indexed part for the rest.
    async fn lookup_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
        self.settle().await?;
        let query = query.clone();
        self.with_read(move |c| {
            let tx = c.transaction().map_err(backend)?;
            let (through, _) = index_state(&tx)?;
            let mut scan = TailScan::new(&query, through);
            while let Some(p) = scan.next() {
                let mut st = tx.prepare_cached(&tail_sql(q)).map_err(backend)?;
                let rows = st.query_map(params_from_iter(p), audit_row).map_err(backend)?;
                scan.feed(rows.map(|r| r.map_err(backend).and_then(AuditRow::decode)).collect::<StoreResult<_>>()?)?;
            }
            let (mut found, room) = scan.finish();
            if room > 0 {
                let (sql, values) = lookup_audit_sql(&query, through, room, q);
                let mut st = tx.prepare_cached(&sql).map_err(backend)?;
                let rows = st.query_map(params_from_iter(audit_values(values)), audit_row).map_err(backend)?;
                for r in rows {
                    found.push(r.map_err(backend).and_then(AuditRow::decode)?);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn audit_usage(&self, filter: &UsageFilter) -> StoreResult<UsageCounts> {
        self.settle().await?;
        let filter = filter.clone();
        self.with_read(move |c| {
            let tx = c.transaction().map_err(backend)?;
            let (through, _) = index_state(&tx)?;
            let mut tally = UsageTally::default();
            // The tail past the indexed point, as a lookup reads it.
            let mut before = i64::MAX;
            loop {
                let mut st = tx.prepare_cached(&tail_sql(q)).map_err(backend)?;
                let rows =
                    st.query_map(params![through, before, limit_param(TAIL_CHUNK)], audit_row).map_err(backend)?;
                let rows: Vec<AuditRecord> =
                    rows.map(|r| r.map_err(backend).and_then(AuditRow::decode)).collect::<StoreResult<_>>()?;
                for r in &rows {
                    tally.add_entry(&filter, &r.entry);
                }
                match rows.last() {
                    Some(last) if rows.len() == TAIL_CHUNK => before = seq_param(last.seq)?,
                    _ => break,
                }
            }
            let (sql, values) = usage_sql(&filter, Some(through), |m| format!("json_extract(e.record, '$.{m}')"), q);
            let mut st = tx.prepare_cached(&sql).map_err(backend)?;
            let rows = st
                .query_map(params_from_iter(audit_values(values)), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })
                .map_err(backend)?;
            for row in rows {
                tally_usage_row(&mut tally, row.map_err(backend)?)?;
            }
            Ok(tally.finish())
        })
        .await
    }

    async fn key_lifetimes(
        &self,
        account: Option<&AccountId>,
        since: i64,
        until: i64,
    ) -> StoreResult<Vec<KeyLifetime>> {
        let account = account.map(|a| a.as_str().to_owned());
        self.with_read(move |c| {
            let tx = c.transaction().map_err(backend)?;
            let names = |r: &Row<'_>| -> rusqlite::Result<((String, String, String), i64)> {
                Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?))
            };
            let bind = |t: i64| {
                let mut v = vec![Value::Integer(t)];
                v.extend(account.clone().map(Value::Text));
                v
            };
            let mut out = Vec::new();
            let mut st = tx.prepare_cached(&live_key_lifetimes_sql(account.is_some(), q)).map_err(backend)?;
            for row in st.query_map(params_from_iter(bind(until)), names).map_err(backend)? {
                let (key, created) = row.map_err(backend)?;
                out.push(key_lifetime(key, Some(created), None));
            }
            let mut st = tx.prepare_cached(&destroyed_key_lifetimes_sql(account.is_some(), q)).map_err(backend)?;
            let destroyed =
                st.query_map(params_from_iter(bind(since)), names).map_err(backend)?.collect::<Result<Vec<_>, _>>();
            for (key, destroyed_at) in destroyed.map_err(backend)? {
                let lifetime = key_lifetime(key, None, Some(destroyed_at));
                let id = lifetime.key_arn.rsplit_once(":key/").map_or("", |(_, id)| id).to_owned();
                let created: Option<i64> = tx
                    .prepare_cached(&key_first_event_sql(q))
                    .and_then(|mut st| st.query_row(params![id, lifetime.key_arn], |r| r.get(0)))
                    .map_err(backend)?;
                out.push(KeyLifetime { created_at: created, ..lifetime });
            }
            out.sort();
            Ok(out)
        })
        .await
    }

    async fn index_audit(&self, max: usize) -> StoreResult<u64> {
        // A read first: an idle indexer takes no write lock. Records in the
        // audit log file move into the database first (`with_moved`).
        if !self.log_pending() {
            let (through, last) = self.with_read(|c| index_state(c)).await?;
            if last.is_none_or(|last| last <= through) {
                return Ok(0);
            }
        }
        self.with_moved(move |c| {
            // No fsync of its own: a crash that loses this commit loses its
            // index rows and `audit_index.through` together, and the next
            // pass indexes those records again from the log. In WAL mode a
            // NORMAL commit writes its frames without syncing them, and the
            // next FULL commit's fsync covers them. Syncing here would hold
            // the writer, and every audit append behind it, for the fsync.
            c.execute_batch("PRAGMA synchronous = NORMAL").map_err(backend)?;
            let indexed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let tx = write_tx(c)?;
                let n = index_in(&tx, max)?;
                tx.commit().map_err(backend)?;
                Ok(n)
            }));
            // Every other commit on this connection is durable before it
            // returns, also after a panic above (the connection outlives it,
            // its transaction rolled back); the setting is a flag of the
            // connection, with no I/O.
            c.execute_batch("PRAGMA synchronous = FULL").map_err(backend)?;
            indexed.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
        .await
    }

    async fn audit_head(&self) -> StoreResult<Option<(u64, Hash)>> {
        self.settle().await?;
        self.with_read(|c| audit_head(c)).await
    }

    async fn insert_audit_checkpoint(&self, checkpoint: &AuditCheckpoint) -> StoreResult<bool> {
        let cp = checkpoint.clone();
        self.with(move |c| insert_checkpoint_row(c, &cp)).await
    }

    async fn latest_audit_checkpoint(&self) -> StoreResult<Option<AuditCheckpoint>> {
        self.with_read(|c| {
            let row = c.query_row(&latest_checkpoint_sql(q), [0], checkpoint_row).optional().map_err(backend)?;
            row.map(decode_checkpoint).transpose()
        })
        .await
    }

    async fn audit_checkpoints(&self) -> StoreResult<Vec<AuditCheckpoint>> {
        self.with_read(|c| {
            let mut st = c
                .prepare_cached(&format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY chain, seq"))
                .map_err(backend)?;
            let rows = st.query_map([], checkpoint_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(decode_checkpoint)).collect()
        })
        .await
    }

    async fn prune_audit(&self, through: u64) -> StoreResult<u64> {
        let through = seq_param(through)?;
        self.with(move |c| {
            let tx = write_tx(c)?;
            tx.execute("DELETE FROM audit_resources WHERE seq <= ?1", params![through]).map_err(backend)?;
            tx.execute("DELETE FROM audit_lookup WHERE seq <= ?1", params![through]).map_err(backend)?;
            let n = tx.execute("DELETE FROM audit_events WHERE seq <= ?1", params![through]).map_err(backend)?;
            // Nothing up to `through` is left to index.
            tx.execute(&advance_index_sql(q), params![through]).map_err(backend)?;
            tx.execute("DELETE FROM audit_checkpoints WHERE seq < ?1", params![through]).map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(n as u64)
        })
        .await
    }

    /// One read connection in one read transaction: in WAL mode a
    /// transaction's reads all see the database as of its first one, while
    /// the writer goes on committing (for an in-memory database, the
    /// writer's connection, which nobody else uses meanwhile).
    async fn export(&self) -> StoreResult<Snapshot> {
        self.settle().await?;
        let g = self.guard()?;
        self.with_read(move |c| {
            let tx = c.transaction().map_err(backend)?;
            let snap = export_in(&tx, &g)?;
            tx.commit().map_err(backend)?;
            Ok(snap)
        })
        .await
    }

    async fn import(&self, snapshot: &Snapshot) -> StoreResult<()> {
        let mut snap = snapshot.clone();
        snap.audit = trent_core::store::single_chain(snapshot)?;
        let g = self.guard()?;
        let result = self
            .with(move |c| {
                let tx = write_tx(c)?;
                import_in(&tx, &g, &snap)?;
                tx.commit().map_err(backend)
            })
            .await;
        self.keys.clear();
        self.users.clear();
        self.user_policies.clear();
        self.roles.clear();
        self.role_policies.clear();
        self.groups_of_user.clear();
        self.group_policies.clear();
        self.attached_policies.clear();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_database_and_its_wal_and_shm_are_private() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        let store = SqliteStore::open(&path)?;
        for suffix in ["", "-wal", "-shm"] {
            let f = dir.path().join(format!("t.db{suffix}"));
            let mode = std::fs::metadata(&f)?.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
        drop(store);
        // A looser existing database is tightened.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
        drop(SqliteStore::open(&path)?);
        assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        Ok(())
    }

    #[test]
    fn a_corrupt_database_is_refused_at_open() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        // Overwrite the middle of the file (past the header) with garbage.
        let mut bytes = std::fs::read(&path)?;
        assert!(bytes.len() > 8192, "{} bytes", bytes.len());
        let (start, end) = (4096, bytes.len() - 1024);
        for (i, b) in bytes[start..end].iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        std::fs::write(&path, &bytes)?;
        let err = SqliteStore::open(&path).err().map(|e| format!("{e} {:?}", std::error::Error::source(&e)));
        let err = err.unwrap_or_default();
        assert!(err.contains("corrupt") || err.contains("malformed"), "{err}");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_database_is_refused_at_open() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        // What SQLite does with a file it may not write (root may write a
        // 0400 file, so the check is also driven directly).
        let ro = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let err = refuse_read_only(&ro, &path).err().map(|e| format!("{:?}", std::error::Error::source(&e)));
        assert!(err.unwrap_or_default().contains("read-only"));
        drop(ro);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400))?;
        if std::fs::OpenOptions::new().write(true).open(&path).is_err() {
            let err = SqliteStore::open(&path).err().map(|e| format!("{e} {:?}", std::error::Error::source(&e)));
            assert!(err.unwrap_or_default().contains("read-only"));
        }
        Ok(())
    }

    /// The indexer commits without an fsync of its own; every other commit
    /// on the writer stays durable, so the writer is back to FULL after it.
    #[tokio::test]
    async fn indexing_leaves_the_writer_syncing_every_commit() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = SqliteStore::open(&dir.path().join("t.db"))?;
        let synchronous = |s: &SqliteStore| -> rusqlite::Result<i64> {
            let c = s.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            c.query_row("PRAGMA synchronous", [], |r| r.get(0))
        };
        const FULL: i64 = 2;
        assert_eq!(synchronous(&store)?, FULL);
        let entry = crate::sql::tests::encrypt_event(&["arn:aws:kms:us-east-1:111122223333:key/k"]);
        store.append_audit(vec![entry.clone(), entry]).await?;
        assert_eq!(store.index_audit(10).await?, 2);
        assert_eq!(synchronous(&store)?, FULL);
        assert_eq!(store.index_audit(10).await?, 0);
        Ok(())
    }

    /// The scheduler's query runs every pass: it must search the partial
    /// indexes of due keys, never walk the whole key table.
    #[test]
    fn due_keys_searches_its_indexes_instead_of_scanning_every_key() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        let conn = Connection::open(&path)?;
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", due_keys_sql(q)))?;
        let plan: Vec<String> = st.query_map(params![0i64, 10i64], |r| r.get(3))?.collect::<Result<_, _>>()?;
        for index in ["keys_due_deletion", "keys_due_rotation", "keys_due_expiry"] {
            assert!(plan.iter().any(|l| l.starts_with("SEARCH keys USING INDEX") && l.contains(index)), "{plan:?}");
        }
        assert!(!plan.iter().any(|l| l.starts_with("SCAN keys")), "{plan:?}");
        Ok(())
    }

    /// An append writes the log's one B-tree: `audit_events` has no
    /// secondary index, and the lookup's tail and the indexer read it by
    /// its primary key.
    #[test]
    fn the_audit_log_has_no_secondary_index() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        let conn = Connection::open(&path)?;
        let n: i64 = conn.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events'",
            [],
            |r| r.get(0),
        )?;
        assert_eq!(n, 0);
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", tail_sql(q)))?;
        let plan: Vec<String> = st.query_map(params![1, 9, 5], |r| r.get(3))?.collect::<Result<_, _>>()?;
        assert!(plan.iter().all(|l| l.starts_with("SEARCH audit_events USING INTEGER PRIMARY KEY")), "{plan:?}");
        // The indexer's statements read a range of the log by its key too.
        register_functions(&conn)?;
        for sql in index_sql() {
            let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let plan: Vec<String> = st.query_map(params![1, 5], |r| r.get(3))?.collect::<Result<_, _>>()?;
            assert!(plan.iter().any(|l| l.contains("SEARCH") && l.contains("USING INTEGER PRIMARY KEY")), "{plan:?}");
            assert!(!plan.iter().any(|l| l.starts_with("SCAN audit_events") || l.starts_with("SCAN e")), "{plan:?}");
        }
        Ok(())
    }

    /// LookupEvents by ResourceName searches the one resource index.
    #[test]
    fn resource_lookups_search_the_resource_index() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        let conn = Connection::open(&path)?;
        let query = trent_core::audit::AuditQuery {
            account: None,
            attribute: Some(trent_core::audit::LookupAttribute::ResourceName("arn:aws:kms:r:1:key/k".into())),
            start: None,
            end: None,
            before_seq: None,
            limit: 5,
        };
        let (sql, params) = lookup_audit_sql(&query, 100, 5, q);
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let plan: Vec<String> =
            st.query_map(params_from_iter(audit_values(params)), |r| r.get(3))?.collect::<Result<_, _>>()?;
        assert!(plan.iter().any(|l| l.contains("USING INDEX audit_resources_by_name")), "{plan:?}");
        assert!(!plan.iter().any(|l| l.starts_with("SCAN audit_resources")), "{plan:?}");
        Ok(())
    }

    #[test]
    fn reopening_applies_no_migration_twice_and_refuses_newer_schema() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path)?);
        drop(SqliteStore::open(&path)?);
        let conn = Connection::open(&path)?;
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))?;
        assert_eq!(n, MIGRATIONS.len() as i64);
        conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)", [])?;
        drop(conn);
        let err = SqliteStore::open(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("newer than this Trent"), "{err}");
        Ok(())
    }
}
