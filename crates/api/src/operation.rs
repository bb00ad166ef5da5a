//! The table of operations: one [`Operation`] per operation Trent knows
//! (the KMS API, Trent's administrative API, IAM's user operations and
//! CloudTrail's LookupEvents),
//! each with one [`Descriptor`] holding every fact the layers need about
//! it. Dispatch, metrics, audit and authorization all read this table;
//! adding an operation is adding a row here, and the compiler then points at
//! each `match` that must handle it.
//!
//! Every operation of the KMS service model is in the table, served or
//! answered `UnsupportedOperationException` on purpose ([`Status`]); a test
//! checks the table against the operation list of botocore's model.

/// An API served on Trent's endpoint: the JSON 1.1 ones told apart by the
/// `X-Amz-Target` prefix, the Query ones ([`QueryProtocol`]) by the service
/// their signature's credential scope names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// AWS KMS (`TrentService.`).
    Kms,
    /// Trent's own administrative operations (`TrentAdmin.`). Its targets
    /// also reach IAM's user operations (the `trent admin user` CLI).
    Admin,
    /// CloudTrail's LookupEvents over Trent's trail
    /// (`com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.`).
    CloudTrail,
    /// AWS IAM's user and role operations, over the Query protocol
    /// (service `iam`).
    Iam,
    /// AWS STS (temporary credentials), over the Query protocol (service
    /// `sts`).
    Sts,
}

/// The facts of an API spoken over AWS's Query protocol: a form-encoded
/// `POST /` naming `Action` and `Version`, answered in XML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryProtocol {
    /// The `Version` a request must name (`2010-05-08`).
    pub version: &'static str,
    /// The `xmlns` of its responses and error responses.
    pub namespace: &'static str,
    /// The region a global service's requests are signed for (IAM:
    /// `us-east-1`), accepted even where the deployment does not serve it;
    /// `None`: the deployment's regions apply.
    pub global_region: Option<&'static str>,
}

impl Api {
    /// Every API, in the order their targets are matched.
    pub const ALL: [Api; 5] = [Api::Admin, Api::CloudTrail, Api::Kms, Api::Iam, Api::Sts];

    /// The `X-Amz-Target` prefix of its operations; `None` for a Query API.
    pub const fn target_prefix(self) -> Option<&'static str> {
        match self {
            Api::Kms => Some("TrentService."),
            Api::Admin => Some("TrentAdmin."),
            Api::CloudTrail => Some(crate::cloudtrail::TARGET_PREFIX),
            Api::Iam | Api::Sts => None,
        }
    }

    /// The Query protocol facts of a Query API; `None` for a JSON one.
    pub const fn query(self) -> Option<QueryProtocol> {
        match self {
            Api::Iam => Some(QueryProtocol {
                version: "2010-05-08",
                namespace: "https://iam.amazonaws.com/doc/2010-05-08/",
                global_region: Some("us-east-1"),
            }),
            // STS's global endpoint signs for us-east-1 too; its regional
            // endpoints sign for their region, which the deployment serves.
            Api::Sts => Some(QueryProtocol {
                version: "2011-06-15",
                namespace: "https://sts.amazonaws.com/doc/2011-06-15/",
                global_region: Some("us-east-1"),
            }),
            Api::Kms | Api::Admin | Api::CloudTrail => None,
        }
    }

    /// The Query API whose requests are signed for `service`.
    pub fn of_query_service(service: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|api| api.query().is_some() && api.signing_service() == service)
    }

    /// The SigV4 service name its requests are signed for.
    pub const fn signing_service(self) -> &'static str {
        match self {
            Api::CloudTrail => "cloudtrail",
            Api::Iam => "iam",
            Api::Sts => "sts",
            Api::Kms | Api::Admin => "kms",
        }
    }

    /// The `eventSource` of its audit events.
    pub const fn event_source(self) -> &'static str {
        match self {
            Api::CloudTrail => "cloudtrail.amazonaws.com",
            Api::Iam => "iam.amazonaws.com",
            Api::Sts => "sts.amazonaws.com",
            Api::Kms | Api::Admin => "kms.amazonaws.com",
        }
    }

    /// Whether a request addressed to this API reaches an operation of
    /// `row`'s: its own, and for `TrentAdmin.` IAM's too.
    fn reaches(self, row: Api) -> bool {
        self == row || (self, row) == (Api::Admin, Api::Iam)
    }

    /// The API and the operation name a target addresses; a target with
    /// no known prefix addresses the KMS API and names no operation (`""`).
    pub fn of_target(target: &str) -> (Api, &str) {
        for api in Api::ALL {
            if let Some(op) = api.target_prefix().and_then(|p| target.strip_prefix(p)) {
                return (api, op);
            }
        }
        (Api::Kms, "")
    }
}

/// Whether Trent serves an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Built: dispatched to the core.
    Served,
    /// In the service model but not built yet: answered
    /// `UnsupportedOperationException`, so a client learns the operation
    /// exists but is not available here.
    Unsupported,
}

/// The facts of one operation.
#[derive(Clone, Copy, Debug)]
pub struct Descriptor {
    /// The wire name (the `X-Amz-Target` suffix and CloudTrail's
    /// `eventName`).
    pub name: &'static str,
    /// The API it belongs to.
    pub api: Api,
    /// The IAM action a policy must allow (`kms:Encrypt`). ReEncrypt
    /// authorizes two ([`REENCRYPT_FROM`], [`REENCRYPT_TO`]); this is the
    /// first.
    pub action: &'static str,
    /// Served, or answered `UnsupportedOperationException`.
    pub status: Status,
    /// CloudTrail's `readOnly`: AWS marks the cryptographic operations
    /// read-only too.
    pub read_only: bool,
    /// The response members its audit event keeps as `responseElements`;
    /// `None`: the event's `responseElements` is `null`, as AWS leaves it
    /// for reads and cryptographic operations. Secrets (plaintext, data
    /// keys, secret access keys, grant tokens) are never listed.
    pub audit_response: Option<&'static [&'static str]>,
    /// Whether a key policy may let another account call it on a key (KMS
    /// Developer Guide, "Allowing users in other accounts to use a KMS
    /// key"); on any other operation another account's key is NotFound.
    pub cross_account: bool,
    /// Whether it takes an encryption context, so that grant constraints
    /// apply to it (on symmetric keys).
    pub encryption_context: bool,
}

/// ReEncrypt's action on the source key.
pub const REENCRYPT_FROM: &str = "kms:ReEncryptFrom";
/// ReEncrypt's action on the destination key.
pub const REENCRYPT_TO: &str = "kms:ReEncryptTo";

impl Descriptor {
    const fn new(api: Api, action: &'static str) -> Self {
        Descriptor {
            name: "",
            api,
            action,
            status: Status::Served,
            read_only: true,
            audit_response: None,
            cross_account: false,
            encryption_context: false,
        }
    }
    const fn named(self, name: &'static str) -> Self {
        Descriptor { name, ..self }
    }
    const fn write(self) -> Self {
        Descriptor { read_only: false, ..self }
    }
    const fn responds(self, members: &'static [&'static str]) -> Self {
        Descriptor { audit_response: Some(members), ..self }
    }
    const fn cross_account(self) -> Self {
        Descriptor { cross_account: true, ..self }
    }
    const fn context(self) -> Self {
        Descriptor { encryption_context: true, ..self }
    }
}

const fn kms(action: &'static str) -> Descriptor {
    Descriptor::new(Api::Kms, action)
}
const fn admin(action: &'static str) -> Descriptor {
    Descriptor::new(Api::Admin, action)
}
const fn iam(action: &'static str) -> Descriptor {
    Descriptor::new(Api::Iam, action)
}
const fn sts(action: &'static str) -> Descriptor {
    Descriptor::new(Api::Sts, action)
}

macro_rules! operations {
    ($($variant:ident => $descriptor:expr,)+) => {
        /// An operation Trent knows; [`Operation::descriptor`] holds its facts.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Operation {
            $(#[doc = concat!("`", stringify!($variant), "`.")] $variant,)+
        }

        impl Operation {
            /// Every operation, in table order.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant),+];

            /// Its facts.
            pub const fn descriptor(self) -> &'static Descriptor {
                match self {
                    $(Operation::$variant => {
                        const D: Descriptor = $descriptor.named(stringify!($variant));
                        &D
                    })+
                }
            }
        }
    };
}

operations! {
    // Keys
    CreateKey => kms("kms:CreateKey").write().responds(&["KeyMetadata"]),
    DescribeKey => kms("kms:DescribeKey").cross_account(),
    ListKeys => kms("kms:ListKeys"),
    EnableKey => kms("kms:EnableKey").write(),
    DisableKey => kms("kms:DisableKey").write(),
    UpdateKeyDescription => kms("kms:UpdateKeyDescription").write(),
    TagResource => kms("kms:TagResource").write(),
    UntagResource => kms("kms:UntagResource").write(),
    ListResourceTags => kms("kms:ListResourceTags"),
    ScheduleKeyDeletion => kms("kms:ScheduleKeyDeletion")
        .write()
        .responds(&["KeyId", "DeletionDate", "KeyState", "PendingWindowInDays"]),
    CancelKeyDeletion => kms("kms:CancelKeyDeletion").write().responds(&["KeyId"]),
    // Symmetric cryptography
    Encrypt => kms("kms:Encrypt").cross_account().context(),
    Decrypt => kms("kms:Decrypt").cross_account().context(),
    ReEncrypt => kms(REENCRYPT_FROM).cross_account().context(),
    GenerateDataKey => kms("kms:GenerateDataKey").cross_account().context(),
    GenerateDataKeyWithoutPlaintext => kms("kms:GenerateDataKeyWithoutPlaintext").cross_account().context(),
    GenerateRandom => kms("kms:GenerateRandom"),
    // Aliases
    CreateAlias => kms("kms:CreateAlias").write(),
    DeleteAlias => kms("kms:DeleteAlias").write(),
    UpdateAlias => kms("kms:UpdateAlias").write(),
    ListAliases => kms("kms:ListAliases"),
    // Rotation
    EnableKeyRotation => kms("kms:EnableKeyRotation").write(),
    DisableKeyRotation => kms("kms:DisableKeyRotation").write(),
    GetKeyRotationStatus => kms("kms:GetKeyRotationStatus").cross_account(),
    RotateKeyOnDemand => kms("kms:RotateKeyOnDemand").write().responds(&["KeyId"]),
    ListKeyRotations => kms("kms:ListKeyRotations"),
    // Imported key material
    GetParametersForImport => kms("kms:GetParametersForImport"),
    ImportKeyMaterial => kms("kms:ImportKeyMaterial").write().responds(&["KeyId", "KeyMaterialId"]),
    DeleteImportedKeyMaterial => kms("kms:DeleteImportedKeyMaterial").write(),
    // Asymmetric, HMAC and post-quantum keys
    Sign => kms("kms:Sign").cross_account(),
    Verify => kms("kms:Verify").cross_account(),
    GetPublicKey => kms("kms:GetPublicKey").cross_account(),
    GenerateMac => kms("kms:GenerateMac").cross_account(),
    VerifyMac => kms("kms:VerifyMac").cross_account(),
    DeriveSharedSecret => kms("kms:DeriveSharedSecret").cross_account(),
    Encapsulate => kms("kms:Encapsulate").cross_account(),
    Decapsulate => kms("kms:Decapsulate").cross_account(),
    GenerateDataKeyPair => kms("kms:GenerateDataKeyPair").cross_account().context(),
    GenerateDataKeyPairWithoutPlaintext => kms("kms:GenerateDataKeyPairWithoutPlaintext").cross_account().context(),
    // Key policies
    PutKeyPolicy => kms("kms:PutKeyPolicy").write(),
    GetKeyPolicy => kms("kms:GetKeyPolicy"),
    ListKeyPolicies => kms("kms:ListKeyPolicies"),
    // Grants
    CreateGrant => kms("kms:CreateGrant").write().cross_account().responds(&["GrantId"]),
    ListGrants => kms("kms:ListGrants").cross_account(),
    ListRetirableGrants => kms("kms:ListRetirableGrants"),
    RetireGrant => kms("kms:RetireGrant").write().cross_account(),
    RevokeGrant => kms("kms:RevokeGrant").write().cross_account(),
    // Multi-Region keys
    ReplicateKey => kms("kms:ReplicateKey").write().responds(&["ReplicaKeyMetadata"]),
    UpdatePrimaryRegion => kms("kms:UpdatePrimaryRegion").write(),
    // The audit trail
    GetKeyLastUsage => kms("kms:GetKeyLastUsage"),
    // Custom key stores
    ConnectCustomKeyStore => kms("kms:ConnectCustomKeyStore").write(),
    CreateCustomKeyStore => kms("kms:CreateCustomKeyStore").write().responds(&["CustomKeyStoreId"]),
    DeleteCustomKeyStore => kms("kms:DeleteCustomKeyStore").write(),
    DescribeCustomKeyStores => kms("kms:DescribeCustomKeyStores"),
    DisconnectCustomKeyStore => kms("kms:DisconnectCustomKeyStore").write(),
    UpdateCustomKeyStore => kms("kms:UpdateCustomKeyStore").write(),
    // Trent's administrative API
    CreateAccount => admin("trent:CreateAccount").write().responds(&["Principal", "AccountId", "AccessKeyId"]),
    Seal => admin("trent:Seal").write(),
    RotateRoot => admin("trent:RotateRoot").write().responds(&["Seal", "SealFile", "DomainKeys"]),
    // IAM's user operations (the Query protocol; `TrentAdmin.` reaches them too)
    CreateUser => iam("iam:CreateUser").write().responds(&["User", "AccessKeyId"]),
    GetUser => iam("iam:GetUser"),
    DeleteUser => iam("iam:DeleteUser").write(),
    ListUsers => iam("iam:ListUsers"),
    PutUserPolicy => iam("iam:PutUserPolicy").write(),
    GetUserPolicy => iam("iam:GetUserPolicy"),
    DeleteUserPolicy => iam("iam:DeleteUserPolicy").write(),
    ListUserPolicies => iam("iam:ListUserPolicies"),
    TagUser => iam("iam:TagUser").write(),
    UntagUser => iam("iam:UntagUser").write(),
    ListUserTags => iam("iam:ListUserTags"),
    // The response's AccessKey holds the secret: the core's event names the
    // new key by its id alone, and "AccessKey" is never a kept member.
    CreateAccessKey => iam("iam:CreateAccessKey").write().responds(&["AccessKeyId"]),
    ListAccessKeys => iam("iam:ListAccessKeys"),
    DeleteAccessKey => iam("iam:DeleteAccessKey").write(),
    // IAM's role operations (the Query protocol only)
    CreateRole => iam("iam:CreateRole").write().responds(&["role"]),
    GetRole => iam("iam:GetRole"),
    ListRoles => iam("iam:ListRoles"),
    UpdateRole => iam("iam:UpdateRole").write(),
    UpdateAssumeRolePolicy => iam("iam:UpdateAssumeRolePolicy").write(),
    DeleteRole => iam("iam:DeleteRole").write(),
    TagRole => iam("iam:TagRole").write(),
    UntagRole => iam("iam:UntagRole").write(),
    ListRoleTags => iam("iam:ListRoleTags"),
    PutRolePolicy => iam("iam:PutRolePolicy").write(),
    GetRolePolicy => iam("iam:GetRolePolicy"),
    DeleteRolePolicy => iam("iam:DeleteRolePolicy").write(),
    ListRolePolicies => iam("iam:ListRolePolicies"),
    // IAM's group operations (the Query protocol only)
    CreateGroup => iam("iam:CreateGroup").write().responds(&["group"]),
    GetGroup => iam("iam:GetGroup"),
    ListGroups => iam("iam:ListGroups"),
    DeleteGroup => iam("iam:DeleteGroup").write(),
    AddUserToGroup => iam("iam:AddUserToGroup").write(),
    RemoveUserFromGroup => iam("iam:RemoveUserFromGroup").write(),
    ListGroupsForUser => iam("iam:ListGroupsForUser"),
    PutGroupPolicy => iam("iam:PutGroupPolicy").write(),
    GetGroupPolicy => iam("iam:GetGroupPolicy"),
    DeleteGroupPolicy => iam("iam:DeleteGroupPolicy").write(),
    ListGroupPolicies => iam("iam:ListGroupPolicies"),
    // IAM's customer managed policies, their attachments and permissions
    // boundaries (the Query protocol only)
    CreatePolicy => iam("iam:CreatePolicy").write().responds(&["policy"]),
    GetPolicy => iam("iam:GetPolicy"),
    DeletePolicy => iam("iam:DeletePolicy").write(),
    ListPolicies => iam("iam:ListPolicies"),
    CreatePolicyVersion => iam("iam:CreatePolicyVersion").write().responds(&["policyVersion"]),
    GetPolicyVersion => iam("iam:GetPolicyVersion"),
    ListPolicyVersions => iam("iam:ListPolicyVersions"),
    DeletePolicyVersion => iam("iam:DeletePolicyVersion").write(),
    SetDefaultPolicyVersion => iam("iam:SetDefaultPolicyVersion").write(),
    AttachUserPolicy => iam("iam:AttachUserPolicy").write(),
    DetachUserPolicy => iam("iam:DetachUserPolicy").write(),
    ListAttachedUserPolicies => iam("iam:ListAttachedUserPolicies"),
    AttachRolePolicy => iam("iam:AttachRolePolicy").write(),
    DetachRolePolicy => iam("iam:DetachRolePolicy").write(),
    ListAttachedRolePolicies => iam("iam:ListAttachedRolePolicies"),
    AttachGroupPolicy => iam("iam:AttachGroupPolicy").write(),
    DetachGroupPolicy => iam("iam:DetachGroupPolicy").write(),
    ListAttachedGroupPolicies => iam("iam:ListAttachedGroupPolicies"),
    ListEntitiesForPolicy => iam("iam:ListEntitiesForPolicy"),
    PutUserPermissionsBoundary => iam("iam:PutUserPermissionsBoundary").write(),
    DeleteUserPermissionsBoundary => iam("iam:DeleteUserPermissionsBoundary").write(),
    PutRolePermissionsBoundary => iam("iam:PutRolePermissionsBoundary").write(),
    DeleteRolePermissionsBoundary => iam("iam:DeleteRolePermissionsBoundary").write(),
    GetAccessKeyLastUsed => iam("iam:GetAccessKeyLastUsed"),
    UpdateAccessKey => iam("iam:UpdateAccessKey").write(),
    // IAM's OpenID Connect providers (the Query protocol only)
    CreateOpenIDConnectProvider => iam("iam:CreateOpenIDConnectProvider").write().responds(&["openIDConnectProviderArn"]),
    GetOpenIDConnectProvider => iam("iam:GetOpenIDConnectProvider"),
    ListOpenIDConnectProviders => iam("iam:ListOpenIDConnectProviders"),
    DeleteOpenIDConnectProvider => iam("iam:DeleteOpenIDConnectProvider").write(),
    AddClientIDToOpenIDConnectProvider => iam("iam:AddClientIDToOpenIDConnectProvider").write(),
    RemoveClientIDFromOpenIDConnectProvider => iam("iam:RemoveClientIDFromOpenIDConnectProvider").write(),
    UpdateOpenIDConnectProviderThumbprint => iam("iam:UpdateOpenIDConnectProviderThumbprint").write(),
    TagOpenIDConnectProvider => iam("iam:TagOpenIDConnectProvider").write(),
    UntagOpenIDConnectProvider => iam("iam:UntagOpenIDConnectProvider").write(),
    ListOpenIDConnectProviderTags => iam("iam:ListOpenIDConnectProviderTags"),
    TagPolicy => iam("iam:TagPolicy").write(),
    UntagPolicy => iam("iam:UntagPolicy").write(),
    ListPolicyTags => iam("iam:ListPolicyTags"),
    // STS. The response's credentials hold the secret and the session
    // token: the core gives the event their access key id and expiry
    // alone.
    GetCallerIdentity => sts("sts:GetCallerIdentity"),
    AssumeRole => sts("sts:AssumeRole").responds(&["assumedRoleUser", "credentials"]),
    GetSessionToken => sts("sts:GetSessionToken").responds(&["credentials"]),
    // Unsigned: the web identity token is the credential.
    AssumeRoleWithWebIdentity => sts("sts:AssumeRoleWithWebIdentity")
        .responds(&["assumedRoleUser", "credentials", "subjectFromWebIdentityToken", "provider", "audience"]),
    // Trent's administrative API (continued)
    ReadAuditTrail => admin("trent:ReadAuditTrail"),
    VerifyAuditTrail => admin("trent:VerifyAuditTrail"),
    GetUsage => admin("trent:GetUsage"),
    // CloudTrail
    LookupEvents => Descriptor::new(Api::CloudTrail, "cloudtrail:LookupEvents"),
}

impl Operation {
    /// The operation `name` a request addressed to `api` reaches: one of
    /// `api`'s, or for [`Api::Admin`] also one of IAM's.
    pub fn of(api: Api, name: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|op| api.reaches(op.api()) && op.name() == name)
    }

    /// The operation of an audit event's `eventName` (names are unique
    /// across Trent's APIs).
    pub fn named(name: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|op| op.name() == name)
    }

    /// The wire name.
    pub const fn name(self) -> &'static str {
        self.descriptor().name
    }

    /// The API it belongs to.
    pub const fn api(self) -> Api {
        self.descriptor().api
    }

    /// The IAM action a policy must allow.
    pub const fn action(self) -> &'static str {
        self.descriptor().action
    }

    /// Whether Trent serves it.
    pub const fn served(self) -> bool {
        matches!(self.descriptor().status, Status::Served)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The operations of botocore's KMS model (`kms/2014-11-01/service-2.json`).
    const SERVICE_MODEL: &str = include_str!("../tests/data/kms-operations.txt");

    fn model() -> Vec<&'static str> {
        SERVICE_MODEL.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
    }

    #[test]
    fn every_operation_of_the_service_model_is_classified() {
        let model = model();
        assert!(model.len() >= 56, "the model lists {} operations", model.len());
        for name in &model {
            assert!(Operation::of(Api::Kms, name).is_some(), "{name} of the service model is not in the table");
        }
        for op in Operation::ALL.iter().filter(|op| op.api() == Api::Kms) {
            assert!(model.contains(&op.name()), "{} is not an operation of the service model", op.name());
        }
    }

    #[test]
    fn names_are_unique_across_apis() {
        let mut seen = HashSet::new();
        for op in Operation::ALL {
            assert!(seen.insert(op.name()), "{} twice", op.name());
            assert_eq!(Operation::named(op.name()), Some(*op));
            assert_eq!(format!("{op:?}"), op.name());
        }
    }

    #[test]
    fn actions_follow_the_names() {
        for op in Operation::ALL {
            let d = op.descriptor();
            let (service, action) = d.action.split_once(':').unwrap_or(("", ""));
            match d.api {
                Api::Kms if *op == Operation::ReEncrypt => assert_eq!(d.action, REENCRYPT_FROM),
                Api::Kms => assert_eq!((service, action), ("kms", op.name())),
                Api::Admin => assert_eq!((service, action), ("trent", op.name())),
                Api::Iam => assert_eq!((service, action), ("iam", op.name())),
                Api::Sts => assert_eq!((service, action), ("sts", op.name())),
                Api::CloudTrail => assert_eq!((service, action), ("cloudtrail", op.name())),
            }
        }
    }

    #[test]
    fn iam_rows_are_the_user_operations_and_iam_is_a_query_api() {
        let iam: Vec<&str> = Operation::ALL.iter().filter(|op| op.api() == Api::Iam).map(|op| op.name()).collect();
        assert_eq!(iam.len(), 76, "{iam:?}");
        assert!(iam.contains(&"GetUser") && iam.contains(&"CreateAccessKey"));
        assert_eq!(Api::of_query_service("iam"), Some(Api::Iam));
        assert_eq!(Api::of_query_service("kms"), None);
        assert_eq!(Api::Iam.query().map(|q| q.version), Some("2010-05-08"));
        assert_eq!(Api::Iam.event_source(), "iam.amazonaws.com");
        assert!(Api::ALL.iter().all(|a| a.query().is_some() != a.target_prefix().is_some()));
    }

    #[test]
    fn read_only_means_no_write_verb() {
        const WRITES: &[&str] = &[
            "Create",
            "Delete",
            "Update",
            "Put",
            "Enable",
            "Disable",
            "Schedule",
            "Cancel",
            "Tag",
            "Untag",
            "Import",
            "Rotate",
            "Retire",
            "Revoke",
            "Replicate",
            "Connect",
            "Disconnect",
            "Add",
            "Remove",
            "Attach",
            "Detach",
            "SetDefault",
            "Seal",
            "RotateRoot",
        ];
        for op in Operation::ALL {
            let writes = WRITES.iter().any(|p| op.name().starts_with(p));
            assert_eq!(op.descriptor().read_only, !writes, "{}", op.name());
        }
    }

    #[test]
    fn only_writes_keep_response_elements_and_no_secret_member() {
        for op in Operation::ALL {
            let d = op.descriptor();
            if let Some(members) = d.audit_response {
                // CloudTrail marks AssumeRole read-only and keeps its
                // assumed role user all the same.
                assert!(!d.read_only || d.api == Api::Sts, "{}", d.name);
                for m in members {
                    assert!(
                        !matches!(
                            *m,
                            "Plaintext" | "CiphertextBlob" | "SecretAccessKey" | "GrantToken" | "AccessKey" | "Shares"
                        ),
                        "{}: {m}",
                        d.name
                    );
                }
            }
        }
    }

    #[test]
    fn targets_name_their_api() {
        assert_eq!(Api::of_target("TrentService.Encrypt"), (Api::Kms, "Encrypt"));
        assert_eq!(Api::of_target("TrentAdmin.CreateUser"), (Api::Admin, "CreateUser"));
        assert_eq!(
            Api::of_target("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"),
            (Api::CloudTrail, "LookupEvents")
        );
        assert_eq!(Api::of_target("Encrypt"), (Api::Kms, ""));
        assert_eq!(Operation::of(Api::Admin, "Encrypt"), None);
        // TrentAdmin reaches IAM's user operations; IAM's Query door reaches
        // nothing of Trent's own.
        assert_eq!(Operation::of(Api::Admin, "CreateUser"), Some(Operation::CreateUser));
        assert_eq!(Operation::of(Api::Iam, "CreateUser"), Some(Operation::CreateUser));
        assert_eq!(Operation::of(Api::Iam, "CreateAccount"), None);
        assert_eq!(Operation::of(Api::Iam, "Encrypt"), None);
        assert_eq!(Operation::of(Api::Kms, "CreateUser"), None);
        assert_eq!(Operation::of(Api::Kms, "CreateCustomKeyStore").map(Operation::served), Some(true));
    }
}
