//! Access: key policies and grants.

#[allow(unused_imports)]
use super::*;

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
