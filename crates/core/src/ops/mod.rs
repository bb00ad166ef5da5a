//! KMS operations, one file per family. Each public method of [`crate::Kms`]
//! here is one API operation: it takes the caller and the validated request
//! shape, and returns the response shape.

mod aliases;
mod crypto;
mod import;
mod keys;
mod lifecycle;
mod metadata;
mod random;
mod rotation;

pub use lifecycle::JobReport;

use crate::error::KmsError;
use crate::model::{KeyRecord, KeyVersionRecord, SpecCapabilities};
use trent_api::enums::{CustomerMasterKeySpec, KeyManager, KeyState, KeyUsage, WireEnum as _};
use trent_api::ops::KeyMetadata;
use trent_api::time::Timestamp;

/// The complete metadata of a key, as DescribeKey returns it; `current` is
/// the key's current version, if it has one.
pub(crate) fn metadata(key: &KeyRecord, current: Option<&KeyVersionRecord>) -> KeyMetadata {
    let terms = current.and_then(|v| v.import.as_ref());
    let enc = (key.usage == KeyUsage::EncryptDecrypt).then(|| key.spec.encryption_algorithms());
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
        customer_master_key_spec: CustomerMasterKeySpec::parse(key.spec.as_str()),
        key_spec: key.spec.clone(),
        encryption_algorithms: enc,
        signing_algorithms: None,
        key_agreement_algorithms: None,
        mac_algorithms: None,
        multi_region: key.multi_region,
        pending_deletion_window_in_days: key.pending_window_days,
        current_key_material_id: current.map(|v| v.material_id.clone()),
    }
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

/// Requires ENCRYPT_DECRYPT usage.
pub(crate) fn check_encrypt_usage(key: &KeyRecord) -> Result<(), KmsError> {
    if key.usage == KeyUsage::EncryptDecrypt {
        Ok(())
    } else {
        Err(KmsError::InvalidKeyUsage(format!(
            "{} key usage is {} which is not valid for this operation.",
            key.arn(),
            key.usage
        )))
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
