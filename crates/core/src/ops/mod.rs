//! KMS operations, one file per family. Each public method of [`crate::Kms`]
//! here is one API operation: it takes the caller and the validated request
//! shape, and returns the response shape.

mod agreement;
mod aliases;
mod audit;
mod crypto;
mod custom_key_stores;
mod data_key_pair;
mod grants;
mod groups;
mod import;
mod key_policy;
mod keys;
mod lifecycle;
mod mac;
mod metadata;
mod multi_region;
mod oidc;
pub(crate) mod policies;
mod random;
pub(crate) mod roles;
mod rotate_root;
mod rotation;
mod signing;
mod sites;
mod usage;
mod users;

pub use audit::AccessKeyLastUsed;
pub use lifecycle::JobReport;
pub use oidc::NewOidcProvider;
pub use policies::{EntityKind, NewPolicy, PolicyEntities, PolicyFilter, PolicyView};
pub use roles::NewRole;
pub use rotate_root::{Finish, PreparedRoot, RootRotation};
pub(crate) use sites::TransportPair;
pub use usage::{UsageQuery, UsageReport};
pub use users::{CreatedAccessKey, CreatedUser, GotUser};

use crate::error::KmsError;
use crate::model::{KeyRecord, KeyVersionRecord, SpecCapabilities};
use trent_api::enums::{CustomerMasterKeySpec, KeyManager, KeyState, KeyUsage, WireEnum as _};
use trent_api::ops::KeyMetadata;
use trent_api::time::Timestamp;

/// The complete metadata of a key, as DescribeKey returns it; `current` is
/// the key's current version, if it has one.
pub(crate) fn metadata(key: &KeyRecord, current: Option<&KeyVersionRecord>) -> KeyMetadata {
    let terms = current.and_then(|v| v.import.as_ref());
    let usage = |u: KeyUsage| key.usage == u;
    KeyMetadata {
        aws_account_id: key.scope.account.to_string(),
        key_id: key.id.to_string(),
        arn: key.arn(),
        creation_date: Timestamp::from_millis(key.created_at),
        enabled: key.state == KeyState::Enabled,
        description: key.description.clone(),
        key_usage: key.usage.clone(),
        key_state: key.state.clone(),
        deletion_date: key.deletion_date.map(Timestamp::from_millis),
        valid_to: terms.and_then(|t| t.valid_to).map(Timestamp::from_millis),
        origin: key.origin.clone(),
        expiration_model: terms.map(|t| t.expiration_model.clone()),
        key_manager: KeyManager::Customer,
        customer_master_key_spec: customer_master_key_spec(key),
        key_spec: key.spec.clone(),
        encryption_algorithms: usage(KeyUsage::EncryptDecrypt).then(|| key.spec.encryption_algorithms()),
        signing_algorithms: usage(KeyUsage::SignVerify).then(|| key.spec.signing_algorithms()),
        key_agreement_algorithms: usage(KeyUsage::KeyAgreement).then(|| key.spec.key_agreement_algorithms()),
        encapsulation_algorithms: usage(KeyUsage::EncapsulateDecapsulate).then(|| key.spec.encapsulation_algorithms()),
        mac_algorithms: usage(KeyUsage::GenerateVerifyMac).then(|| key.spec.mac_algorithms()),
        multi_region: key.multi_region,
        // Filled in from the related keys by the operations that show it.
        multi_region_configuration: None,
        pending_deletion_window_in_days: key.pending_window_days,
        // AWS shows it for symmetric encryption keys only.
        current_key_material_id: current
            .filter(|_| key.spec == trent_api::enums::KeySpec::SymmetricDefault)
            .map(|v| v.material_id.clone()),
        custom_key_store_id: key.custom_key_store_id.clone(),
        // Filled in from the key store by the operations that show it.
        cloud_hsm_cluster_id: None,
    }
}

/// The deprecated `CustomerMasterKeySpec`: the key spec, for the specs that
/// existed when it was deprecated; absent for newer ones, as in AWS.
pub(crate) fn customer_master_key_spec(key: &KeyRecord) -> Option<CustomerMasterKeySpec> {
    Some(CustomerMasterKeySpec::parse(key.spec.as_str())).filter(|s| !s.is_unknown())
}

/// Refuses a key whose state does not allow cryptographic operations, with
/// the error AWS returns for each state (the "key states" table).
pub(crate) fn check_usable(key: &KeyRecord) -> Result<(), KmsError> {
    match key.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(KmsError::Disabled(format!("{} is disabled.", key.arn()))),
        _ => Err(invalid_state(key)),
    }
}

/// `KMSInvalidStateException` for a key whose state forbids the operation,
/// worded as AWS words it for that state.
pub(crate) fn invalid_state(key: &KeyRecord) -> KmsError {
    let arn = key.arn();
    KmsError::InvalidState(match key.state {
        KeyState::Disabled => format!("{arn} is disabled."),
        KeyState::PendingDeletion => format!("{arn} is pending deletion."),
        KeyState::PendingImport => format!("{arn} is pending import."),
        KeyState::Unavailable => format!("{arn} is unavailable."),
        KeyState::Creating => format!("{arn} is being created."),
        KeyState::PendingReplicaDeletion => format!("{arn} is pending replica deletion."),
        _ => format!("{arn} is not in a valid state for this operation."),
    })
}

/// Refuses a key pending deletion (management operations that AWS allows in
/// every other state).
pub(crate) fn check_not_pending_deletion(key: &KeyRecord) -> Result<(), KmsError> {
    match key.state {
        KeyState::PendingDeletion => Err(invalid_state(key)),
        _ => Ok(()),
    }
}

/// Requires ENCRYPT_DECRYPT usage for operation `op`.
pub(crate) fn check_encrypt_usage(key: &KeyRecord, op: trent_api::Operation) -> Result<(), KmsError> {
    check_usage(key, &KeyUsage::EncryptDecrypt, op)
}

/// Requires the key usage operation `op` needs; AWS's message names the
/// operation.
pub(crate) fn check_usage(key: &KeyRecord, usage: &KeyUsage, op: trent_api::Operation) -> Result<(), KmsError> {
    if &key.usage == usage {
        Ok(())
    } else {
        Err(KmsError::InvalidKeyUsage(format!(
            "{} key usage is {} which is not valid for {}.",
            key.arn(),
            key.usage,
            op.name()
        )))
    }
}

/// `InvalidKeyUsageException` for an algorithm the key's spec does not take
/// (AWS names no key).
pub(crate) fn incompatible_algorithm(key: &KeyRecord, alg: &dyn std::fmt::Display) -> KmsError {
    KmsError::InvalidKeyUsage(format!("Algorithm {alg} is incompatible with key spec {}.", key.spec))
}

/// A required member that is absent (the model check runs first, so this
/// is a second line of defence).
pub(crate) fn missing(member: &str) -> KmsError {
    KmsError::Validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

impl crate::Kms {
    /// A key usable for an operation: resolved (key id, ARN, alias or alias
    /// ARN), in a state that allows cryptographic operations, with the
    /// usage the operation needs.
    pub(crate) async fn usable_key(
        &self,
        caller: &crate::Caller,
        key_ref: Option<&str>,
        usage: &KeyUsage,
        access: &crate::authz::Access,
    ) -> Result<KeyRecord, KmsError> {
        let key = self
            .resolve_key(caller, key_ref.ok_or_else(|| missing("keyId"))?, crate::kms::Names::KeyOrAlias, access)
            .await?;
        check_usable(&key)?;
        check_usage(&key, usage, access.op())?;
        Ok(key)
    }

    /// The parsed private material of a non-symmetric key's current
    /// version (these keys have one version: AWS does not rotate them).
    pub(crate) async fn private_material(
        &self,
        key: &KeyRecord,
    ) -> Result<(std::sync::Arc<trent_crypto::asymmetric::PrivateKey>, KeyVersionRecord), KmsError> {
        let kind = key.spec.key_kind().ok_or_else(|| KmsError::corrupt(format!("{} is symmetric", key.arn())))?;
        let version = self
            .key_version(key, key.current_version)
            .await?
            .ok_or_else(|| KmsError::corrupt(format!("{} has no version {}", key.arn(), key.current_version)))?;
        let pk = self.keyring.private_key(self.store.as_ref(), key, kind, &version).await?;
        Ok((pk, KeyVersionRecord::clone(&version)))
    }
}

/// A crypto-layer refusal of the caller's input becomes a
/// `ValidationException`; any other crypto failure is internal.
pub(crate) fn crypto_input(e: trent_crypto::CryptoError) -> KmsError {
    match e {
        trent_crypto::CryptoError::InvalidInput(m) => KmsError::Validation(m.to_owned()),
        other => KmsError::crypto(other),
    }
}

/// Parses a pagination marker made by a previous page.
pub(crate) fn marker<T>(m: Option<&str>, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, KmsError> {
    match m {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| KmsError::InvalidMarker("Invalid marker".into())),
    }
}

/// The page size: `Limit`, or the operation's default, capped at the
/// operation's maximum (AWS "might return fewer" than a larger Limit).
pub(crate) fn page_size(limit: Option<i64>, default: usize, max: usize) -> usize {
    limit.and_then(|l| usize::try_from(l).ok()).unwrap_or(default).clamp(1, max)
}
