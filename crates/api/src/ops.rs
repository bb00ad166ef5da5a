//! Request and response shapes, one pair per operation, as in the botocore
//! service model `kms/2014-11-01`. Required request members are `Option`
//! here because a missing member is a `ValidationException` ("Member must not
//! be null"), checked by [`crate::validate::Validate`], not a parse failure.

use crate::blob::{Blob, SensitiveBlob};
use crate::enums::*;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An encryption context: string pairs, ordered by key (the canonical form).
pub type EncryptionContext = BTreeMap<String, String>;

/// A resource tag.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key.
    pub tag_key: Option<String>,
    /// Tag value.
    pub tag_value: Option<String>,
}

/// Recipient information for Nitro Enclaves (not supported by Trent).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecipientInfo {
    /// Algorithm.
    pub key_encryption_algorithm: Option<KeyEncryptionMechanism>,
    /// Attestation document.
    pub attestation_document: Option<Blob>,
}

/// Key metadata as DescribeKey returns it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    /// Owning account.
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    /// Key id.
    pub key_id: String,
    /// Key ARN.
    pub arn: String,
    /// Creation time.
    pub creation_date: Timestamp,
    /// True when the key state is Enabled.
    pub enabled: bool,
    /// Description (empty string when none was given).
    pub description: String,
    /// Key usage.
    pub key_usage: KeyUsage,
    /// Key state.
    pub key_state: KeyState,
    /// When a key pending deletion will be deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<Timestamp>,
    /// When imported key material expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<Timestamp>,
    /// Origin of the key material.
    pub origin: Origin,
    /// Whether imported material expires (EXTERNAL keys only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModel>,
    /// AWS or CUSTOMER.
    pub key_manager: KeyManager,
    /// Deprecated spec member, still returned for the specs it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_master_key_spec: Option<CustomerMasterKeySpec>,
    /// Key spec.
    pub key_spec: KeySpec,
    /// Encryption algorithms, for ENCRYPT_DECRYPT keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<EncryptionAlgorithm>>,
    /// Signing algorithms, for SIGN_VERIFY keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<SigningAlgorithm>>,
    /// Key agreement algorithms, for KEY_AGREEMENT keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_agreement_algorithms: Option<Vec<KeyAgreementAlgorithm>>,
    /// Encapsulation algorithms, for KEY_ENCAPSULATION (ML-KEM) keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encapsulation_algorithms: Option<Vec<EncapsulationAlgorithm>>,
    /// MAC algorithms, for GENERATE_VERIFY_MAC keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_algorithms: Option<Vec<MacAlgorithm>>,
    /// Whether this is a multi-Region key.
    pub multi_region: bool,
    /// Waiting period of a key pending deletion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<i32>,
    /// The current key material id (64 hex characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
}

macro_rules! shape {
    ($(#[$meta:meta])* request $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name { $($(#[$fmeta])* pub $field: Option<$ty>,)* }
    };
    ($(#[$meta:meta])* response $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Serialize, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name {
            $($(#[$fmeta])* #[serde(skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }
    };
}

shape!(
    /// CreateKey input.
    request CreateKeyRequest {
        /// Key policy document.
        policy: String,
        /// Description.
        description: String,
        /// Key usage.
        key_usage: KeyUsage,
        /// Deprecated key spec.
        customer_master_key_spec: CustomerMasterKeySpec,
        /// Key spec.
        key_spec: KeySpec,
        /// Origin.
        origin: Origin,
        /// Custom key store.
        custom_key_store_id: String,
        /// Skip the policy lockout check.
        bypass_policy_lockout_safety_check: bool,
        /// Tags.
        tags: Vec<Tag>,
        /// Multi-Region key.
        multi_region: bool,
        /// External key store key id.
        xks_key_id: String,
    }
);
shape!(
    /// CreateKey output.
    response CreateKeyResponse {
        /// Metadata of the new key.
        key_metadata: KeyMetadata,
    }
);
shape!(
    /// DescribeKey input.
    request DescribeKeyRequest {
        /// Key to describe.
        key_id: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
    }
);
shape!(
    /// DescribeKey output.
    response DescribeKeyResponse {
        /// Metadata.
        key_metadata: KeyMetadata,
    }
);
shape!(
    /// ListKeys input.
    request ListKeysRequest {
        /// Page size (1–1000, default 100).
        limit: i64,
        /// Marker from a previous page.
        marker: String,
    }
);

/// One entry of ListKeys.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntry {
    /// Key id.
    pub key_id: String,
    /// Key ARN.
    pub key_arn: String,
}

/// ListKeys output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysResponse {
    /// Keys on this page.
    pub keys: Vec<KeyListEntry>,
    /// Marker for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// True when more pages follow.
    pub truncated: bool,
}

shape!(
    /// EnableKey input.
    request EnableKeyRequest {
        /// Key to enable.
        key_id: String,
    }
);
shape!(
    /// DisableKey input.
    request DisableKeyRequest {
        /// Key to disable.
        key_id: String,
    }
);

/// An empty output (operations that return nothing).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Empty {}

shape!(
    /// Encrypt input.
    request EncryptRequest {
        /// Key to encrypt under.
        key_id: String,
        /// Data to encrypt (1–4096 bytes).
        plaintext: SensitiveBlob,
        /// Encryption context.
        encryption_context: EncryptionContext,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Algorithm.
        encryption_algorithm: EncryptionAlgorithm,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// Encrypt output.
    response EncryptResponse {
        /// The ciphertext.
        ciphertext_blob: Blob,
        /// ARN of the key used.
        key_id: String,
        /// Algorithm used.
        encryption_algorithm: EncryptionAlgorithm,
    }
);
shape!(
    /// Decrypt input.
    request DecryptRequest {
        /// The ciphertext.
        ciphertext_blob: Blob,
        /// Encryption context used at encryption.
        encryption_context: EncryptionContext,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Expected key.
        key_id: String,
        /// Algorithm.
        encryption_algorithm: EncryptionAlgorithm,
        /// Nitro Enclaves recipient.
        recipient: RecipientInfo,
        /// Dry run.
        dry_run: bool,
        /// Dry-run modifiers.
        dry_run_modifiers: Vec<DryRunModifier>,
    }
);
shape!(
    /// Decrypt output.
    response DecryptResponse {
        /// ARN of the key used.
        key_id: String,
        /// The plaintext.
        plaintext: SensitiveBlob,
        /// Algorithm used.
        encryption_algorithm: EncryptionAlgorithm,
        /// Key material that decrypted.
        key_material_id: String,
    }
);
shape!(
    /// ReEncrypt input.
    request ReEncryptRequest {
        /// The ciphertext.
        ciphertext_blob: Blob,
        /// Source encryption context.
        source_encryption_context: EncryptionContext,
        /// Expected source key.
        source_key_id: String,
        /// Destination key.
        destination_key_id: String,
        /// Destination encryption context.
        destination_encryption_context: EncryptionContext,
        /// Source algorithm.
        source_encryption_algorithm: EncryptionAlgorithm,
        /// Destination algorithm.
        destination_encryption_algorithm: EncryptionAlgorithm,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
        /// Dry-run modifiers.
        dry_run_modifiers: Vec<DryRunModifier>,
    }
);
shape!(
    /// ReEncrypt output.
    response ReEncryptResponse {
        /// New ciphertext.
        ciphertext_blob: Blob,
        /// ARN of the source key.
        source_key_id: String,
        /// ARN of the destination key.
        key_id: String,
        /// Source algorithm.
        source_encryption_algorithm: EncryptionAlgorithm,
        /// Destination algorithm.
        destination_encryption_algorithm: EncryptionAlgorithm,
        /// Source key material.
        source_key_material_id: String,
        /// Destination key material.
        destination_key_material_id: String,
    }
);
shape!(
    /// GenerateDataKey input.
    request GenerateDataKeyRequest {
        /// Key to encrypt the data key under.
        key_id: String,
        /// Encryption context.
        encryption_context: EncryptionContext,
        /// Data key length in bytes.
        number_of_bytes: i64,
        /// Data key spec.
        key_spec: DataKeySpec,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Nitro Enclaves recipient.
        recipient: RecipientInfo,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// GenerateDataKey output.
    response GenerateDataKeyResponse {
        /// Encrypted data key.
        ciphertext_blob: Blob,
        /// Plaintext data key.
        plaintext: SensitiveBlob,
        /// ARN of the key used.
        key_id: String,
        /// Key material used.
        key_material_id: String,
    }
);
shape!(
    /// GenerateDataKeyWithoutPlaintext input.
    request GenerateDataKeyWithoutPlaintextRequest {
        /// Key to encrypt the data key under.
        key_id: String,
        /// Encryption context.
        encryption_context: EncryptionContext,
        /// Data key spec.
        key_spec: DataKeySpec,
        /// Data key length in bytes.
        number_of_bytes: i64,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// GenerateDataKeyWithoutPlaintext output.
    response GenerateDataKeyWithoutPlaintextResponse {
        /// Encrypted data key.
        ciphertext_blob: Blob,
        /// ARN of the key used.
        key_id: String,
        /// Key material used.
        key_material_id: String,
    }
);
shape!(
    /// GenerateRandom input.
    request GenerateRandomRequest {
        /// Number of bytes (1–1024).
        number_of_bytes: i64,
        /// Custom key store.
        custom_key_store_id: String,
        /// Nitro Enclaves recipient.
        recipient: RecipientInfo,
    }
);
shape!(
    /// GenerateRandom output.
    response GenerateRandomResponse {
        /// Random bytes.
        plaintext: SensitiveBlob,
    }
);
shape!(
    /// CreateAlias input.
    request CreateAliasRequest {
        /// Alias name, `alias/…`.
        alias_name: String,
        /// Key the alias points to.
        target_key_id: String,
    }
);
shape!(
    /// DeleteAlias input.
    request DeleteAliasRequest {
        /// Alias name.
        alias_name: String,
    }
);
shape!(
    /// UpdateAlias input.
    request UpdateAliasRequest {
        /// Alias name.
        alias_name: String,
        /// New target key.
        target_key_id: String,
    }
);
shape!(
    /// ListAliases input.
    request ListAliasesRequest {
        /// Only aliases of this key.
        key_id: String,
        /// Page size.
        limit: i64,
        /// Marker from a previous page.
        marker: String,
    }
);

/// One entry of ListAliases.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    /// Alias name.
    pub alias_name: String,
    /// Alias ARN.
    pub alias_arn: String,
    /// Target key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
    /// Creation time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<Timestamp>,
    /// Last update time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<Timestamp>,
}

/// ListAliases output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    /// Aliases on this page.
    pub aliases: Vec<AliasListEntry>,
    /// Marker for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// True when more pages follow.
    pub truncated: bool,
}

shape!(
    /// UpdateKeyDescription input.
    request UpdateKeyDescriptionRequest {
        /// Key.
        key_id: String,
        /// New description (0–8192 characters).
        description: String,
    }
);
shape!(
    /// PutKeyPolicy input.
    request PutKeyPolicyRequest {
        /// Key (id or ARN).
        key_id: String,
        /// Always `default`.
        policy_name: String,
        /// The policy document.
        policy: String,
        /// Skip the lockout safety check.
        bypass_policy_lockout_safety_check: bool,
    }
);
shape!(
    /// GetKeyPolicy input.
    request GetKeyPolicyRequest {
        /// Key (id or ARN).
        key_id: String,
        /// Always `default`.
        policy_name: String,
    }
);
shape!(
    /// GetKeyPolicy output.
    response GetKeyPolicyResponse {
        /// The policy document.
        policy: String,
        /// `default`.
        policy_name: String,
    }
);
shape!(
    /// ListKeyPolicies input.
    request ListKeyPoliciesRequest {
        /// Key (id or ARN).
        key_id: String,
        /// Page size (1–1000).
        limit: i64,
        /// Marker from a previous page.
        marker: String,
    }
);

/// ListKeyPolicies output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyPoliciesResponse {
    /// Policy names (always `default`).
    pub policy_names: Vec<String>,
    /// Marker for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// True when more pages follow.
    pub truncated: bool,
}

/// Grant constraints (`GrantConstraints`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct GrantConstraints {
    /// The request's encryption context must include these pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<EncryptionContext>,
    /// The request's encryption context must be exactly these pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<EncryptionContext>,
    /// The AWS resource the request is made for (not supported by Trent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
}

shape!(
    /// CreateGrant input.
    request CreateGrantRequest {
        /// Key (id or ARN).
        key_id: String,
        /// Who gets the permissions.
        grantee_principal: String,
        /// Who may retire the grant.
        retiring_principal: String,
        /// What the grant allows.
        operations: Vec<GrantOperation>,
        /// Encryption context constraints.
        constraints: GrantConstraints,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Name, for idempotent retries.
        name: String,
        /// Check permissions only.
        dry_run: bool,
        /// An AWS service principal grantee (not supported by Trent).
        grantee_service_principal: String,
        /// An AWS service principal that may retire (not supported by Trent).
        retiring_service_principal: String,
    }
);
shape!(
    /// CreateGrant output.
    response CreateGrantResponse {
        /// The grant token.
        grant_token: String,
        /// The grant id.
        grant_id: String,
    }
);
shape!(
    /// ListGrants input.
    request ListGrantsRequest {
        /// Page size (1–1000).
        limit: i64,
        /// Marker from a previous page.
        marker: String,
        /// Key (id or ARN).
        key_id: String,
        /// Only this grant.
        grant_id: String,
        /// Only grants to this principal.
        grantee_principal: String,
        /// Only grants to this service principal (not supported by Trent).
        grantee_service_principal: String,
    }
);
shape!(
    /// ListRetirableGrants input.
    request ListRetirableGrantsRequest {
        /// Page size (1–1000).
        limit: i64,
        /// Marker from a previous page.
        marker: String,
        /// The retiring principal.
        retiring_principal: String,
        /// A retiring service principal (not supported by Trent).
        retiring_service_principal: String,
    }
);

/// One grant (`GrantListEntry`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantListEntry {
    /// The key's id.
    pub key_id: String,
    /// The grant id.
    pub grant_id: String,
    /// The name given at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the grant was created.
    pub creation_date: Timestamp,
    /// Who gets the permissions.
    pub grantee_principal: String,
    /// Who may retire it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    /// The account that issued the grant.
    pub issuing_account: String,
    /// What it allows.
    pub operations: Vec<GrantOperation>,
    /// Its constraints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<GrantConstraints>,
}

/// ListGrants and ListRetirableGrants output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListGrantsResponse {
    /// Grants on this page.
    pub grants: Vec<GrantListEntry>,
    /// Marker for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// True when more pages follow.
    pub truncated: bool,
}

shape!(
    /// RetireGrant input.
    request RetireGrantRequest {
        /// The grant's token.
        grant_token: String,
        /// Key (key ARN), with GrantId.
        key_id: String,
        /// Grant id, with KeyId.
        grant_id: String,
        /// Check permissions only.
        dry_run: bool,
    }
);
shape!(
    /// RevokeGrant input.
    request RevokeGrantRequest {
        /// Key (id or ARN).
        key_id: String,
        /// Grant id.
        grant_id: String,
        /// Check permissions only.
        dry_run: bool,
    }
);

shape!(
    /// TagResource input.
    request TagResourceRequest {
        /// Key.
        key_id: String,
        /// Tags to add or overwrite.
        tags: Vec<Tag>,
    }
);
shape!(
    /// UntagResource input.
    request UntagResourceRequest {
        /// Key.
        key_id: String,
        /// Tag keys to remove.
        tag_keys: Vec<String>,
    }
);
shape!(
    /// ListResourceTags input.
    request ListResourceTagsRequest {
        /// Key.
        key_id: String,
        /// Page size.
        limit: i64,
        /// Marker from a previous page.
        marker: String,
    }
);

/// ListResourceTags output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListResourceTagsResponse {
    /// Tags on this page.
    pub tags: Vec<Tag>,
    /// Marker for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// True when more pages follow.
    pub truncated: bool,
}

shape!(
    /// ScheduleKeyDeletion input.
    request ScheduleKeyDeletionRequest {
        /// Key.
        key_id: String,
        /// Waiting period, 7–30 days (default 30).
        pending_window_in_days: i64,
    }
);
shape!(
    /// ScheduleKeyDeletion output.
    response ScheduleKeyDeletionResponse {
        /// Key ARN.
        key_id: String,
        /// When the key will be deleted.
        deletion_date: Timestamp,
        /// The key's state (PendingDeletion).
        key_state: KeyState,
        /// Waiting period.
        pending_window_in_days: i64,
    }
);
shape!(
    /// CancelKeyDeletion input.
    request CancelKeyDeletionRequest {
        /// Key.
        key_id: String,
    }
);
shape!(
    /// CancelKeyDeletion output.
    response CancelKeyDeletionResponse {
        /// Key ARN.
        key_id: String,
    }
);
shape!(
    /// EnableKeyRotation input.
    request EnableKeyRotationRequest {
        /// Key.
        key_id: String,
        /// Days between automatic rotations, 90–2560 (default 365).
        rotation_period_in_days: i64,
    }
);
shape!(
    /// DisableKeyRotation input.
    request DisableKeyRotationRequest {
        /// Key.
        key_id: String,
    }
);
shape!(
    /// GetKeyRotationStatus input.
    request GetKeyRotationStatusRequest {
        /// Key.
        key_id: String,
    }
);

/// GetKeyRotationStatus output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyRotationStatusResponse {
    /// True when automatic rotation is on.
    pub key_rotation_enabled: bool,
    /// Key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Days between automatic rotations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_period_in_days: Option<i64>,
    /// When the next automatic rotation is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<Timestamp>,
    /// Start of an on-demand rotation in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_rotation_start_date: Option<Timestamp>,
}

shape!(
    /// RotateKeyOnDemand input.
    request RotateKeyOnDemandRequest {
        /// Key.
        key_id: String,
    }
);
shape!(
    /// RotateKeyOnDemand output.
    response RotateKeyOnDemandResponse {
        /// Key ARN.
        key_id: String,
    }
);
shape!(
    /// ListKeyRotations input.
    request ListKeyRotationsRequest {
        /// Key.
        key_id: String,
        /// ROTATIONS_ONLY (default) or ALL_KEY_MATERIAL.
        include_key_material: IncludeKeyMaterial,
        /// Page size.
        limit: i64,
        /// Marker from a previous page.
        marker: String,
    }
);
shape!(
    /// One entry of ListKeyRotations.
    response RotationsListEntry {
        /// Key ARN.
        key_id: String,
        /// Key material id.
        key_material_id: String,
        /// Description of imported material.
        key_material_description: String,
        /// Import state of imported material.
        import_state: String,
        /// CURRENT or NON_CURRENT.
        key_material_state: KeyMaterialState,
        /// Expiration model of imported material.
        expiration_model: ExpirationModel,
        /// Expiry of imported material.
        valid_to: Timestamp,
        /// When this material was created by a rotation (or the key created).
        rotation_date: Timestamp,
        /// AUTOMATIC or ON_DEMAND; absent for the key's original material.
        rotation_type: RotationType,
    }
);

/// ListKeyRotations output.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyRotationsResponse {
    /// Rotations on this page.
    pub rotations: Vec<RotationsListEntry>,
    /// Marker for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// True when more pages follow.
    pub truncated: bool,
}

shape!(
    /// GetParametersForImport input.
    request GetParametersForImportRequest {
        /// Key (origin EXTERNAL).
        key_id: String,
        /// How the material will be wrapped.
        wrapping_algorithm: WrappingAlgorithm,
        /// The wrapping key's spec.
        wrapping_key_spec: WrappingKeySpec,
    }
);
shape!(
    /// GetParametersForImport output.
    response GetParametersForImportResponse {
        /// Key ARN.
        key_id: String,
        /// The token to pass to ImportKeyMaterial.
        import_token: Blob,
        /// DER SubjectPublicKeyInfo of the wrapping key.
        public_key: Blob,
        /// When the token and public key expire.
        parameters_valid_to: Timestamp,
    }
);
shape!(
    /// ImportKeyMaterial input.
    request ImportKeyMaterialRequest {
        /// Key (origin EXTERNAL).
        key_id: String,
        /// Token from GetParametersForImport.
        import_token: Blob,
        /// The material, wrapped with the public key.
        encrypted_key_material: Blob,
        /// Expiry, with KEY_MATERIAL_EXPIRES.
        valid_to: Timestamp,
        /// Whether the material expires.
        expiration_model: ExpirationModel,
        /// EXISTING_KEY_MATERIAL (default) or NEW_KEY_MATERIAL.
        import_type: ImportType,
        /// Description of the material.
        key_material_description: String,
        /// Id of the material being reimported.
        key_material_id: String,
    }
);
shape!(
    /// ImportKeyMaterial output.
    response ImportKeyMaterialResponse {
        /// Key ARN.
        key_id: String,
        /// Id of the imported material.
        key_material_id: String,
    }
);
shape!(
    /// DeleteImportedKeyMaterial input.
    request DeleteImportedKeyMaterialRequest {
        /// Key (origin EXTERNAL).
        key_id: String,
        /// Material to delete (the current one when absent).
        key_material_id: String,
    }
);
shape!(
    /// DeleteImportedKeyMaterial output.
    response DeleteImportedKeyMaterialResponse {
        /// Key ARN.
        key_id: String,
        /// Id of the deleted material.
        key_material_id: String,
    }
);
shape!(
    /// Sign input.
    request SignRequest {
        /// Signing key.
        key_id: String,
        /// The message, or its digest (MessageType DIGEST), or μ (EXTERNAL_MU).
        message: SensitiveBlob,
        /// RAW (default), DIGEST or EXTERNAL_MU.
        message_type: MessageType,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Signing algorithm.
        signing_algorithm: SigningAlgorithm,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// Sign output.
    response SignResponse {
        /// Key ARN.
        key_id: String,
        /// The signature (DER for ECDSA).
        signature: Blob,
        /// Algorithm used.
        signing_algorithm: SigningAlgorithm,
    }
);
shape!(
    /// Verify input.
    request VerifyRequest {
        /// Verification key.
        key_id: String,
        /// The message, or its digest, or μ.
        message: SensitiveBlob,
        /// RAW (default), DIGEST or EXTERNAL_MU.
        message_type: MessageType,
        /// The signature.
        signature: Blob,
        /// Signing algorithm.
        signing_algorithm: SigningAlgorithm,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// Verify output.
    response VerifyResponse {
        /// Key ARN.
        key_id: String,
        /// Always true: an invalid signature is `KMSInvalidSignatureException`.
        signature_valid: bool,
        /// Algorithm used.
        signing_algorithm: SigningAlgorithm,
    }
);
shape!(
    /// GetPublicKey input.
    request GetPublicKeyRequest {
        /// Asymmetric key.
        key_id: String,
        /// Grant tokens.
        grant_tokens: Vec<String>,
    }
);
shape!(
    /// GetPublicKey output.
    response GetPublicKeyResponse {
        /// Key ARN.
        key_id: String,
        /// DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Deprecated spec member.
        customer_master_key_spec: CustomerMasterKeySpec,
        /// Key spec.
        key_spec: KeySpec,
        /// Key usage.
        key_usage: KeyUsage,
        /// For ENCRYPT_DECRYPT keys.
        encryption_algorithms: Vec<EncryptionAlgorithm>,
        /// For SIGN_VERIFY keys.
        signing_algorithms: Vec<SigningAlgorithm>,
        /// For KEY_AGREEMENT keys.
        key_agreement_algorithms: Vec<KeyAgreementAlgorithm>,
        /// For KEY_ENCAPSULATION keys.
        encapsulation_algorithms: Vec<EncapsulationAlgorithm>,
    }
);
shape!(
    /// GenerateMac input.
    request GenerateMacRequest {
        /// The message.
        message: SensitiveBlob,
        /// HMAC key.
        key_id: String,
        /// MAC algorithm.
        mac_algorithm: MacAlgorithm,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// GenerateMac output.
    response GenerateMacResponse {
        /// The MAC.
        mac: Blob,
        /// Algorithm used.
        mac_algorithm: MacAlgorithm,
        /// Key ARN.
        key_id: String,
    }
);
shape!(
    /// VerifyMac input.
    request VerifyMacRequest {
        /// The message.
        message: SensitiveBlob,
        /// HMAC key.
        key_id: String,
        /// MAC algorithm.
        mac_algorithm: MacAlgorithm,
        /// The MAC to check.
        mac: Blob,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// VerifyMac output.
    response VerifyMacResponse {
        /// Key ARN.
        key_id: String,
        /// Always true: an invalid MAC is `KMSInvalidMacException`.
        mac_valid: bool,
        /// Algorithm used.
        mac_algorithm: MacAlgorithm,
    }
);
shape!(
    /// DeriveSharedSecret input.
    request DeriveSharedSecretRequest {
        /// KEY_AGREEMENT key.
        key_id: String,
        /// ECDH.
        key_agreement_algorithm: KeyAgreementAlgorithm,
        /// The peer's public key, DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
        /// Nitro Enclaves recipient.
        recipient: RecipientInfo,
    }
);
shape!(
    /// DeriveSharedSecret output.
    response DeriveSharedSecretResponse {
        /// Key ARN.
        key_id: String,
        /// The raw shared secret.
        shared_secret: SensitiveBlob,
        /// Shared secret for a Nitro enclave (not used).
        ciphertext_for_recipient: Blob,
        /// Algorithm used.
        key_agreement_algorithm: KeyAgreementAlgorithm,
        /// Origin of the key.
        key_origin: Origin,
    }
);
shape!(
    /// GenerateDataKeyPair input.
    request GenerateDataKeyPairRequest {
        /// Encryption context for the private key's ciphertext.
        encryption_context: EncryptionContext,
        /// Symmetric key that encrypts the private key.
        key_id: String,
        /// Key pair spec.
        key_pair_spec: DataKeyPairSpec,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Nitro Enclaves recipient.
        recipient: RecipientInfo,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// GenerateDataKeyPair output.
    response GenerateDataKeyPairResponse {
        /// The private key, encrypted under the KMS key.
        private_key_ciphertext_blob: Blob,
        /// The private key, PKCS#8 DER.
        private_key_plaintext: SensitiveBlob,
        /// The public key, DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Key ARN.
        key_id: String,
        /// Key pair spec.
        key_pair_spec: DataKeyPairSpec,
        /// For a Nitro enclave (not used).
        ciphertext_for_recipient: Blob,
        /// Key material that encrypted the private key.
        key_material_id: String,
    }
);
shape!(
    /// GenerateDataKeyPairWithoutPlaintext input.
    request GenerateDataKeyPairWithoutPlaintextRequest {
        /// Encryption context for the private key's ciphertext.
        encryption_context: EncryptionContext,
        /// Symmetric key that encrypts the private key.
        key_id: String,
        /// Key pair spec.
        key_pair_spec: DataKeyPairSpec,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// GenerateDataKeyPairWithoutPlaintext output.
    response GenerateDataKeyPairWithoutPlaintextResponse {
        /// The private key, encrypted under the KMS key.
        private_key_ciphertext_blob: Blob,
        /// The public key, DER SubjectPublicKeyInfo.
        public_key: Blob,
        /// Key ARN.
        key_id: String,
        /// Key pair spec.
        key_pair_spec: DataKeyPairSpec,
        /// Key material that encrypted the private key.
        key_material_id: String,
    }
);
shape!(
    /// Encapsulate input.
    request EncapsulateRequest {
        /// ML-KEM key.
        key_id: String,
        /// ML_KEM.
        encapsulation_algorithm: EncapsulationAlgorithm,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// Encapsulate output.
    response EncapsulateResponse {
        /// Key ARN.
        key_id: String,
        /// The shared secret.
        shared_secret: SensitiveBlob,
        /// The ML-KEM ciphertext of the shared secret.
        shared_secret_ciphertext_blob: Blob,
        /// Algorithm used.
        encapsulation_algorithm: EncapsulationAlgorithm,
    }
);
shape!(
    /// Decapsulate input.
    request DecapsulateRequest {
        /// ML-KEM key.
        key_id: String,
        /// The ML-KEM ciphertext.
        shared_secret_ciphertext_blob: Blob,
        /// ML_KEM.
        encapsulation_algorithm: EncapsulationAlgorithm,
        /// Grant tokens.
        grant_tokens: Vec<String>,
        /// Dry run.
        dry_run: bool,
    }
);
shape!(
    /// Decapsulate output.
    response DecapsulateResponse {
        /// Key ARN.
        key_id: String,
        /// The shared secret.
        shared_secret: SensitiveBlob,
        /// Algorithm used.
        encapsulation_algorithm: EncapsulationAlgorithm,
    }
);

shape!(
    /// GetKeyLastUsage input.
    request GetKeyLastUsageRequest {
        /// Key id or key ARN.
        key_id: String,
    }
);
shape!(
    /// GetKeyLastUsage output.
    response GetKeyLastUsageResponse {
        /// Key id.
        key_id: String,
        /// The last successful cryptographic operation (an empty object when
        /// there was none since tracking began).
        key_last_usage: KeyLastUsage,
        /// Since when usage is known.
        tracking_start_date: Timestamp,
        /// When the key was created.
        key_creation_date: Timestamp,
    }
);
shape!(
    /// The last successful cryptographic use of a key.
    response KeyLastUsage {
        /// The operation (Encrypt, Decrypt, Sign, …).
        operation: String,
        /// When.
        timestamp: Timestamp,
        /// The `eventID` of its audit event.
        cloud_trail_event_id: String,
        /// Its request id.
        kms_request_id: String,
    }
);
