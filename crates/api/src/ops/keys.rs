//! Keys: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, UpdateKeyDescription, tags, scheduled deletion, GetKeyLastUsage.

#[allow(unused_imports)]
use super::*;

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
    /// A multi-Region key's primary and replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region_configuration: Option<MultiRegionConfiguration>,
    /// Waiting period of a key pending deletion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<i32>,
    /// The current key material id (64 hex characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
    /// The custom key store that holds the key's material.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    /// The token (`CloudHsmClusterId`) of that key store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_hsm_cluster_id: Option<String>,
}

/// The configuration of a multi-Region key (`MultiRegionConfiguration`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionConfiguration {
    /// PRIMARY or REPLICA: this key's role.
    pub multi_region_key_type: MultiRegionKeyType,
    /// The primary key (this key when it is the primary).
    pub primary_key: MultiRegionKey,
    /// Every replica key (this key among them when it is one).
    pub replica_keys: Vec<MultiRegionKey>,
}

/// One related key of a multi-Region key (`MultiRegionKey`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct MultiRegionKey {
    /// Its key ARN.
    pub arn: String,
    /// Its Region.
    pub region: String,
}

shape!(
    /// ReplicateKey input.
    request ReplicateKeyRequest {
        /// The multi-Region primary key.
        key_id: String,
        /// The Region of the new replica.
        replica_region: String,
        /// The replica's key policy (default: the default key policy).
        policy: String,
        /// Skip the policy lockout check.
        bypass_policy_lockout_safety_check: bool,
        /// The replica's description.
        description: String,
        /// The replica's tags.
        tags: Vec<Tag>,
    }
);

shape!(
    /// ReplicateKey output.
    response ReplicateKeyResponse {
        /// The new replica.
        replica_key_metadata: KeyMetadata,
        /// Its key policy.
        replica_policy: String,
        /// Its tags.
        replica_tags: Vec<Tag>,
    }
);

shape!(
    /// UpdatePrimaryRegion input.
    request UpdatePrimaryRegionRequest {
        /// The current primary key.
        key_id: String,
        /// The Region of the replica that becomes the primary.
        primary_region: String,
    }
);

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
