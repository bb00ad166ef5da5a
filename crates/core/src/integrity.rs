//! Row MACs: the store's defence against its own administrators.
//!
//! Someone with write access to the database but not the seal could
//! otherwise move an access key to the operator's root, rewrite a key
//! policy or enable a disabled key. The rows that decide who may do what
//! are [`Sealed`]: each stored row carries a MAC ([`trent_crypto::rows`])
//! under a key derived from the root key, over its table and its whole
//! record, identity included. The SQL backends write the MAC with every
//! row and check it on every read; a row that fails is refused
//! ([`StoreError::Integrity`], so the request fails closed with
//! `KMSInternalException`), the log names the row (never a secret), and
//! [`RowGuard::failure`] makes `/ready` report it.
//!
//! What a MAC cannot show: a row put back as it was earlier (its MAC was
//! valid then), and a row deleted. Key state is revisioned, so an old key
//! row replayed is caught by the next update's revision check but not by a
//! read; the audit trail records every change.
//!
//! The canonical content of a row is the JSON of its record (field order
//! is the struct's, maps are ordered), so a field added to a sealed record
//! changes every MAC of its table: such a change needs a migration that
//! checks the old form and seals the new.

use crate::model::{
    AccessKeyRecord, AccountRecord, AliasRecord, CustomKeyStoreRecord, GrantRecord, GroupMemberRecord,
    GroupPolicyRecord, GroupRecord, KeyRecord, KeyVersionRecord, ManagedPolicyRecord, OidcProviderRecord,
    PolicyAttachmentRecord, PolicyVersionRecord, RolePolicyRecord, RoleRecord, UserPolicyRecord, UserRecord,
};
use crate::store::{StoreError, StoreResult};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use trent_crypto::rows::RowMacKey;

/// A record whose stored rows carry a MAC.
pub trait Sealed: serde::Serialize {
    /// The table its rows live in.
    const TABLE: &'static str;
    /// The row's identity as the log names it: ids and names, no secret.
    fn row_id(&self) -> String;
}

impl Sealed for AccountRecord {
    const TABLE: &'static str = "accounts";
    fn row_id(&self) -> String {
        self.id.as_str().to_owned()
    }
}

impl Sealed for AccessKeyRecord {
    const TABLE: &'static str = "access_keys";
    fn row_id(&self) -> String {
        self.id.as_str().to_owned()
    }
}

impl Sealed for UserRecord {
    const TABLE: &'static str = "users";
    fn row_id(&self) -> String {
        format!("{}/{}", self.account.as_str(), self.name)
    }
}

impl Sealed for UserPolicyRecord {
    const TABLE: &'static str = "user_policies";
    fn row_id(&self) -> String {
        format!("{}/{}/{}", self.account.as_str(), self.user_name, self.policy_name)
    }
}

impl Sealed for RoleRecord {
    const TABLE: &'static str = "roles";
    fn row_id(&self) -> String {
        format!("{}/{}", self.account.as_str(), self.name)
    }
}

impl Sealed for RolePolicyRecord {
    const TABLE: &'static str = "role_policies";
    fn row_id(&self) -> String {
        format!("{}/{}/{}", self.account.as_str(), self.role_name, self.policy_name)
    }
}

impl Sealed for GroupRecord {
    const TABLE: &'static str = "groups";
    fn row_id(&self) -> String {
        format!("{}/{}", self.account.as_str(), self.name)
    }
}

impl Sealed for GroupPolicyRecord {
    const TABLE: &'static str = "group_policies";
    fn row_id(&self) -> String {
        format!("{}/{}/{}", self.account.as_str(), self.group_name, self.policy_name)
    }
}

impl Sealed for GroupMemberRecord {
    const TABLE: &'static str = "group_members";
    fn row_id(&self) -> String {
        format!("{}/{}/{}", self.account.as_str(), self.group_name, self.user_name)
    }
}

impl Sealed for ManagedPolicyRecord {
    const TABLE: &'static str = "managed_policies";
    fn row_id(&self) -> String {
        format!("{}/{}", self.account.as_str(), self.name)
    }
}

impl Sealed for PolicyVersionRecord {
    const TABLE: &'static str = "policy_versions";
    fn row_id(&self) -> String {
        format!("{}/{}/{}", self.account.as_str(), self.policy_name, self.version)
    }
}

impl Sealed for PolicyAttachmentRecord {
    const TABLE: &'static str = "policy_attachments";
    fn row_id(&self) -> String {
        format!("{}/{}/{}/{}", self.account.as_str(), self.policy_name, self.target.as_str(), self.entity_name)
    }
}

impl Sealed for OidcProviderRecord {
    const TABLE: &'static str = "oidc_providers";
    fn row_id(&self) -> String {
        format!("{}/{}", self.account.as_str(), self.url)
    }
}

impl Sealed for CustomKeyStoreRecord {
    const TABLE: &'static str = "custom_key_stores";
    fn row_id(&self) -> String {
        self.id.clone()
    }
}

impl Sealed for KeyRecord {
    const TABLE: &'static str = "keys";
    fn row_id(&self) -> String {
        self.id.as_str().to_owned()
    }
}

impl Sealed for KeyVersionRecord {
    const TABLE: &'static str = "key_versions";
    fn row_id(&self) -> String {
        format!("{}/{}", self.key_id.as_str(), self.version)
    }
}

impl Sealed for AliasRecord {
    const TABLE: &'static str = "aliases";
    fn row_id(&self) -> String {
        format!("{}/{}/{}", self.scope.account.as_str(), self.scope.region.as_str(), self.name.as_str())
    }
}

impl Sealed for GrantRecord {
    const TABLE: &'static str = "grants";
    fn row_id(&self) -> String {
        format!("{}/{}", self.key_id.as_str(), self.grant_id)
    }
}

/// A record as read, with the MAC stored beside it (`None` when the
/// column is empty).
pub type Unchecked<T> = (T, Option<Vec<u8>>);

/// Seals rows and checks them; remembers the latest failure for `/ready`.
pub struct RowGuard {
    key: RowMacKey,
    failures: AtomicU64,
    last_failure: Mutex<Option<String>>,
}

impl RowGuard {
    /// A guard with this key.
    pub fn new(key: RowMacKey) -> Self {
        RowGuard { key, failures: AtomicU64::new(0), last_failure: Mutex::new(None) }
    }

    /// The deployment's guard: its key derived from the root key.
    pub fn derive(
        crypto: &dyn trent_crypto::CryptoProvider,
        root: &trent_crypto::hierarchy::RootKey,
    ) -> Result<Self, trent_crypto::CryptoError> {
        Ok(Self::new(RowMacKey::derive(crypto, root)?))
    }

    /// A guard with a fixed key, for tests of a store without a seal.
    pub fn for_tests() -> Self {
        Self::new(RowMacKey::from_bytes(b"trent test row-mac key, not a secret"))
    }

    fn content<T: Sealed>(row: &T) -> StoreResult<Vec<u8>> {
        serde_json::to_vec(row).map_err(StoreError::backend)
    }

    /// The MAC to store with `row`.
    pub fn seal<T: Sealed>(&self, row: &T) -> StoreResult<Vec<u8>> {
        Ok(self.key.mac(T::TABLE, &Self::content(row)?).to_vec())
    }

    /// `row` if `mac` is its MAC; otherwise the failure is logged and
    /// remembered, and the row refused.
    pub fn check<T: Sealed>(&self, (row, mac): Unchecked<T>) -> StoreResult<T> {
        let ok = match &mac {
            Some(mac) => self.key.verify(T::TABLE, &Self::content(&row)?, mac),
            None => false,
        };
        if ok {
            return Ok(row);
        }
        let (table, id) = (T::TABLE, row.row_id());
        tracing::error!(table, row = %id, "stored row fails its integrity check (edited outside Trent?): refused");
        self.failures.fetch_add(1, Relaxed);
        *self.last_failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(format!("{table} {id}"));
        Err(StoreError::Integrity { table, row: id })
    }

    /// Each of `rows` checked; the first failure refuses them all.
    pub fn check_all<T: Sealed>(&self, rows: Vec<Unchecked<T>>) -> StoreResult<Vec<T>> {
        rows.into_iter().map(|r| self.check(r)).collect()
    }

    /// `row` checked, if there is one.
    pub fn check_opt<T: Sealed>(&self, row: Option<Unchecked<T>>) -> StoreResult<Option<T>> {
        row.map(|r| self.check(r)).transpose()
    }

    /// How many reads failed their check, and the latest row that did.
    pub fn failure(&self) -> Option<(u64, String)> {
        let n = self.failures.load(Relaxed);
        let last = self.last_failure.lock().unwrap_or_else(PoisonError::into_inner).clone();
        last.map(|row| (n, row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trent_api::ids::AccountId;

    fn account(id: &str) -> AccountRecord {
        AccountRecord { id: AccountId::new_unchecked(id.to_owned()), created_at: 1, operator: false }
    }

    #[test]
    fn a_sealed_row_checks_and_an_edited_one_is_refused_and_reported() {
        let g = RowGuard::for_tests();
        let mac = g.seal(&account("111122223333")).unwrap();
        assert_eq!(g.check((account("111122223333"), Some(mac.clone()))).unwrap(), account("111122223333"));
        assert!(g.failure().is_none());
        let mut op = account("111122223333");
        op.operator = true;
        assert!(matches!(g.check((op, Some(mac.clone()))), Err(StoreError::Integrity { table: "accounts", .. })));
        assert!(g.check((account("444455556666"), Some(mac))).is_err(), "a MAC does not move to another row");
        assert!(g.check((account("111122223333"), None)).is_err(), "a row without a MAC is refused");
        assert_eq!(g.failure(), Some((3, "accounts 111122223333".to_owned())));
    }
}
