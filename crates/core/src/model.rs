//! The key model: what Trent stores.
//!
//! A key has versions (one per key material); ciphertexts name the version
//! that made them. Specs expose their capabilities so that operations ask
//! the spec, not a list of names.

use trent_api::enums::{
    DataKeyPairSpec, EncapsulationAlgorithm, EncryptionAlgorithm, ExpirationModel, KeyAgreementAlgorithm, KeySpec,
    KeyState, KeyUsage, MacAlgorithm, Origin, RotationType, SigningAlgorithm,
};
use trent_api::ids::{AccessKeyId, AccountId, AliasName, KeyId, PrincipalArn, Region};
use trent_crypto::asymmetric::KeyKind;

/// The namespace of keys and aliases: one account in one region.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    /// Account.
    pub account: AccountId,
    /// Region.
    pub region: Region,
}

/// A KMS key.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyRecord {
    /// Key id.
    pub id: KeyId,
    /// Owner and region.
    pub scope: Scope,
    /// Description ("" when none).
    pub description: String,
    /// Key spec.
    pub spec: KeySpec,
    /// Key usage.
    pub usage: KeyUsage,
    /// Origin of the material.
    pub origin: Origin,
    /// State.
    pub state: KeyState,
    /// Creation time, epoch milliseconds.
    pub created_at: i64,
    /// Key policy document, as given or the default.
    pub policy: String,
    /// The unique ids (`AIDA…`, `AROA…`) of the IAM users and roles the key
    /// policy names by ARN, as they were when it was set, by ARN: a
    /// principal deleted and re-created under the same name is another
    /// principal, which the policy does not name (AWS's behaviour), and
    /// GetKeyPolicy shows a deleted one's id. Left out of the serialized
    /// record when empty, so that the row MACs of keys stored before it
    /// existed still verify.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub policy_principals: std::collections::BTreeMap<String, String>,
    /// Tags in the order given.
    pub tags: Vec<(String, String)>,
    /// Multi-Region key.
    pub multi_region: bool,
    /// A multi-Region key's primary Region, the same in every related key
    /// (the keys of one account with this id, one per Region); `None` for
    /// a single-Region key. Left out of the serialized record when `None`,
    /// so that the row MACs of keys stored before it existed still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<Region>,
    /// The Regions of the related keys of a multi-Region key that another
    /// Trent deployment (a peer site) holds, in order; empty for a key all
    /// of whose related keys are in this deployment's store. Left out of
    /// the serialized record when empty, so that the row MACs of keys
    /// stored before it existed still verify.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote_regions: Vec<Region>,
    /// The custom key store (`cks-…`) whose HSM token holds the key's
    /// material (origin `AWS_CLOUDHSM`); `None` for a key whose material
    /// Trent holds. Left out of the serialized record when `None`, so that
    /// the row MACs of keys stored before it existed still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    /// The version new ciphertexts use.
    pub current_version: u32,
    /// When a key pending deletion is deleted, epoch milliseconds.
    pub deletion_date: Option<i64>,
    /// Waiting period of a pending deletion.
    pub pending_window_days: Option<i32>,
    /// Days between automatic rotations; `Some` while automatic rotation is on.
    pub rotation_period_days: Option<i32>,
    /// When the next automatic rotation is due, epoch milliseconds (while
    /// automatic rotation is on).
    pub next_rotation_at: Option<i64>,
    /// Imported material (origin EXTERNAL): the earliest ValidTo among its
    /// versions whose material is present, epoch milliseconds; the
    /// scheduler's expiry job is due then.
    pub next_expiry_at: Option<i64>,
    /// Optimistic-concurrency revision, bumped by every update.
    pub revision: u64,
}

impl KeyRecord {
    /// The key's ARN.
    pub fn arn(&self) -> String {
        trent_api::ids::key_arn(&self.scope.region, &self.scope.account, &self.id)
    }

    /// What the key's wrapped material is bound to (the AAD of its
    /// wrapping): the key's ARN, or for a multi-Region key, which shares
    /// its material with the related keys of other Regions, the ARN with
    /// no Region (`arn:aws:kms::ACCOUNT:key/mrk-…`).
    pub fn material_binding(&self) -> String {
        if self.multi_region {
            format!("arn:aws:kms::{}:key/{}", self.scope.account, self.id)
        } else {
            self.arn()
        }
    }

    /// True for the replica of a multi-Region key (its primary is in
    /// another Region).
    pub fn is_replica(&self) -> bool {
        self.primary_region.as_ref().is_some_and(|r| r != &self.scope.region)
    }
}

/// One version of a key's material, wrapped under a domain key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyVersionRecord {
    /// The key.
    pub key_id: KeyId,
    /// Version number, from 1.
    pub version: u32,
    /// Key material id: 64 lowercase hex digits.
    pub material_id: String,
    /// The backing key, wrapped (see `trent_crypto::hierarchy`).
    pub wrapped_material: Vec<u8>,
    /// Creation time, epoch milliseconds.
    pub created_at: i64,
    /// The rotation that made this version; `None` for the key's original
    /// material.
    pub rotation_type: Option<RotationType>,
    /// Imported material only: its terms and whether it is present.
    pub import: Option<ImportTerms>,
}

impl KeyVersionRecord {
    /// True when the version's material is here (imported material may have
    /// been deleted or have expired; its id stays for a reimport).
    pub fn has_material(&self) -> bool {
        !self.wrapped_material.is_empty()
    }
}

/// The terms of one imported key material.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportTerms {
    /// Whether it expires.
    pub expiration_model: ExpirationModel,
    /// When it expires, epoch milliseconds.
    pub valid_to: Option<i64>,
    /// The importer's description (`KeyMaterialDescription`).
    pub description: Option<String>,
}

/// An alias.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AliasRecord {
    /// Owner and region.
    pub scope: Scope,
    /// Name with `alias/` prefix.
    pub name: AliasName,
    /// Target key.
    pub target: KeyId,
    /// Creation time.
    pub created_at: i64,
    /// Last update time.
    pub updated_at: i64,
}

/// A grant on a key (KMS Developer Guide, "Grants in AWS KMS").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GrantRecord {
    /// The key.
    pub key_id: KeyId,
    /// The key's ARN (it never changes; lists of grants across keys show it).
    pub key_arn: String,
    /// 64 hex characters, unique per key.
    pub grant_id: String,
    /// Name given at creation (idempotent retries).
    pub name: Option<String>,
    /// Who gets the permissions (a principal ARN).
    pub grantee_principal: String,
    /// Who may retire the grant.
    pub retiring_principal: Option<String>,
    /// The root ARN of the key's account, which issues the grant.
    pub issuing_account: String,
    /// What it allows, as `GrantOperation` wire names.
    pub operations: Vec<String>,
    /// `EncryptionContextEquals` constraint.
    pub context_equals: Option<std::collections::BTreeMap<String, String>>,
    /// `EncryptionContextSubset` constraint.
    pub context_subset: Option<std::collections::BTreeMap<String, String>>,
    /// Creation time, epoch milliseconds.
    pub created_at: i64,
}

impl GrantRecord {
    /// The operations as stored by SQL backends (a JSON array).
    pub fn operations_text(&self) -> String {
        serde_json::Value::from(self.operations.clone()).to_string()
    }

    /// The constraints as stored by SQL backends (a JSON object, or `None`).
    pub fn constraints_text(&self) -> Option<String> {
        if self.context_equals.is_none() && self.context_subset.is_none() {
            return None;
        }
        let mut o = serde_json::Map::new();
        if let Some(e) = &self.context_equals {
            o.insert("equals".into(), serde_json::json!(e));
        }
        if let Some(e) = &self.context_subset {
            o.insert("subset".into(), serde_json::json!(e));
        }
        Some(serde_json::Value::Object(o).to_string())
    }

    /// Parses what [`Self::operations_text`] wrote.
    pub fn parse_operations(text: &str) -> Option<Vec<String>> {
        serde_json::from_str(text).ok()
    }

    /// Parses what [`Self::constraints_text`] wrote: (equals, subset).
    #[allow(clippy::type_complexity)]
    pub fn parse_constraints(
        text: Option<&str>,
    ) -> Option<(Option<std::collections::BTreeMap<String, String>>, Option<std::collections::BTreeMap<String, String>>)>
    {
        let Some(text) = text else { return Some((None, None)) };
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let get = |k: &str| match v.get(k) {
            None => Some(None),
            Some(m) => serde_json::from_value(m.clone()).ok().map(Some),
        };
        Some((get("equals")?, get("subset")?))
    }
}

/// An account.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountRecord {
    /// Account id.
    pub id: AccountId,
    /// Creation time.
    pub created_at: i64,
    /// The operator account (the bootstrap account) may create accounts.
    pub operator: bool,
}

/// An access key of a principal. The secret is stored wrapped under a domain
/// key, so a copy of the database alone does not reveal it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessKeyRecord {
    /// Access key id.
    pub id: AccessKeyId,
    /// Account of the principal.
    pub account: AccountId,
    /// The principal.
    pub principal: PrincipalArn,
    /// Wrapped secret access key.
    pub wrapped_secret: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
    /// Made `Inactive` by UpdateAccessKey: refused at authentication as an
    /// unknown key is, until made `Active` again. Left out of the record's
    /// JSON while false, so the rows sealed before the field existed keep
    /// their MACs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inactive: bool,
}

/// An IAM user of an account: a principal with its own access keys whose
/// permissions come from its identity policies (and from key policies and
/// grants that name it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserRecord {
    /// The user's account.
    pub account: AccountId,
    /// User name (1–64 of `[A-Za-z0-9+=,.@_-]`), unique in its account
    /// regardless of case, as in IAM.
    pub name: String,
    /// Unique id (`AIDA…`), the user's `aws:userid`.
    pub user_id: String,
    /// Creation time, epoch milliseconds.
    pub created_at: i64,
    /// Tags (key, value) in the order given: the user's `aws:PrincipalTag/*`.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

impl UserRecord {
    /// `arn:aws:iam::ACCOUNT:user/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:user/{}", self.account.as_str(), self.name)
    }
}

/// An inline identity (IAM) policy of a user.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserPolicyRecord {
    /// The user's account.
    pub account: AccountId,
    /// The user's name, as stored in its [`UserRecord`].
    pub user_name: String,
    /// Policy name (1–128 of `[A-Za-z0-9+=,.@_-]`), unique per user.
    pub policy_name: String,
    /// The policy document, as given (checked when put).
    pub document: String,
}

/// An IAM role of an account: a principal with no long-term credentials,
/// whose sessions ([`crate::sts`]) act with its identity policies. Who may
/// assume it is its trust policy's to say.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoleRecord {
    /// The role's account.
    pub account: AccountId,
    /// Role name (1–64 of `[A-Za-z0-9+=,.@_-]`), unique in its account
    /// regardless of case, as in IAM.
    pub name: String,
    /// Unique id (`AROA…`): its sessions' `aws:userid` is `ID:SESSION`.
    pub role_id: String,
    /// Path (`/` or `/a/b/`), part of the ARN.
    pub path: String,
    /// The trust policy (`AssumeRolePolicyDocument`), as given (checked
    /// when set).
    pub trust_policy: String,
    /// Description (0–1000 characters).
    #[serde(default)]
    pub description: Option<String>,
    /// Longest session, in seconds (3,600–43,200).
    pub max_session_duration: u32,
    /// Creation time, epoch milliseconds.
    pub created_at: i64,
    /// Tags (key, value) in the order given: its sessions'
    /// `aws:PrincipalTag/*`, under their session tags.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

impl RoleRecord {
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:role{}{}", self.account.as_str(), self.path, self.name)
    }
}

/// An inline identity (IAM) policy of a role.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RolePolicyRecord {
    /// The role's account.
    pub account: AccountId,
    /// The role's name, as stored in its [`RoleRecord`].
    pub role_name: String,
    /// Policy name (1–128 of `[A-Za-z0-9+=,.@_-]`), unique per role.
    pub policy_name: String,
    /// The policy document, as given (checked when put).
    pub document: String,
}

/// An IAM group of an account: users who are its members act with its
/// identity policies too.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupRecord {
    /// The group's account.
    pub account: AccountId,
    /// Group name (1–128 of `[A-Za-z0-9+=,.@_-]`), unique in its account
    /// regardless of case, as in IAM.
    pub name: String,
    /// Unique id (`AGPA…`).
    pub group_id: String,
    /// Path (`/` or `/a/b/`), part of the ARN.
    pub path: String,
    /// Creation time, epoch milliseconds.
    pub created_at: i64,
}

impl GroupRecord {
    /// `arn:aws:iam::ACCOUNT:group/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:group{}{}", self.account.as_str(), self.path, self.name)
    }
}

/// An inline identity (IAM) policy of a group.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupPolicyRecord {
    /// The group's account.
    pub account: AccountId,
    /// The group's name, as stored in its [`GroupRecord`].
    pub group_name: String,
    /// Policy name (1–128 of `[A-Za-z0-9+=,.@_-]`), unique per group.
    pub policy_name: String,
    /// The policy document, as given (checked when put).
    pub document: String,
}

/// A user's membership of a group.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupMemberRecord {
    /// The account of both.
    pub account: AccountId,
    /// The group's name, as stored.
    pub group_name: String,
    /// The user's name, as stored.
    pub user_name: String,
}

/// An OpenID Connect identity provider of an account, registered with IAM's
/// CreateOpenIDConnectProvider: a role whose trust policy names it
/// (`"Federated": "arn:aws:iam::ACCOUNT:oidc-provider/URL"`) may be assumed
/// with AssumeRoleWithWebIdentity by a token its issuer signed. The keys
/// that check those signatures (the issuer's JWKS) are not stored: they
/// are configuration (`oidc_jwks`), since Trent does not fetch them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OidcProviderRecord {
    /// The provider's account.
    pub account: AccountId,
    /// The issuer URL without its `https://`, as IAM names the provider
    /// (`host[:port][/path]`, the host in lower case, no trailing `/`):
    /// unique in its account, the ARN's `oidc-provider/URL`.
    pub url: String,
    /// The audiences (`aud`) accepted, in the order given (1–255
    /// characters each, at most 100).
    pub client_ids: Vec<String>,
    /// The thumbprints given (40 hex digits each, at most 5): kept and
    /// shown, as IAM does; the JWKS decides what verifies.
    pub thumbprints: Vec<String>,
    /// Tags (key, value) in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// Creation time, epoch milliseconds.
    pub created_at: i64,
}

impl OidcProviderRecord {
    /// `arn:aws:iam::ACCOUNT:oidc-provider/URL`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:oidc-provider/{}", self.account.as_str(), self.url)
    }
}

/// A custom key store: a PKCS#11 token (an HSM) declared in the
/// configuration (`[hsm.NAME]`, NAME being the `CloudHsmClusterId`) whose
/// keys are made and used inside the token and never leave it (the
/// analogue of AWS KMS's `AWS_CLOUDHSM` key stores). Regional, like keys.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustomKeyStoreRecord {
    /// Owner and Region.
    pub scope: Scope,
    /// `cks-` and 17 hex digits, unique in the deployment.
    pub id: String,
    /// Name (1–256 characters), unique in its account and Region.
    pub name: String,
    /// The declared token (`[hsm.NAME]` in the configuration). At most one
    /// key store of a deployment uses a token.
    pub cluster_id: String,
    /// The trust anchor certificate as given (PEM), kept and shown.
    pub trust_anchor: String,
    /// The token's crypto-user PIN (`KeyStorePassword`), wrapped under a
    /// domain key and bound to the key store id; never stored in clear.
    pub wrapped_password: Vec<u8>,
    /// `CONNECTED`, `DISCONNECTED` or `FAILED`: what the operator last asked
    /// for and, after a failed connection, that it failed. Every node opens
    /// its own session to the token while this says `CONNECTED`.
    pub connection_state: String,
    /// After a failed connection, AWS's `ConnectionErrorCode`.
    #[serde(default)]
    pub connection_error: Option<String>,
    /// Creation time, epoch milliseconds.
    pub created_at: i64,
}

/// A customer managed policy of an account: a named, versioned identity
/// policy that users, roles and groups attach, or that caps a user or role
/// as its permissions boundary.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ManagedPolicyRecord {
    /// The policy's account.
    pub account: AccountId,
    /// Policy name (1–128 of `[A-Za-z0-9+=,.@_-]`), unique in its account
    /// regardless of case, as in IAM.
    pub name: String,
    /// Unique id (`ANPA…`).
    pub policy_id: String,
    /// Path (`/` or `/a/b/`), part of the ARN.
    pub path: String,
    /// Description (0–1000 characters), fixed at creation as in IAM.
    #[serde(default)]
    pub description: Option<String>,
    /// The default version's number (`v3` is 3): the one that applies.
    pub default_version: u32,
    /// The number the next version gets: IAM never reuses one.
    pub next_version: u32,
    /// Creation time, epoch milliseconds.
    pub created_at: i64,
    /// When the default version last changed, epoch milliseconds.
    pub updated_at: i64,
    /// Tags (key, value) in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

impl ManagedPolicyRecord {
    /// `arn:aws:iam::ACCOUNT:policy/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:policy{}{}", self.account.as_str(), self.path, self.name)
    }
}

/// One version of a managed policy's document.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyVersionRecord {
    /// The policy's account.
    pub account: AccountId,
    /// The policy's name, as stored in its [`ManagedPolicyRecord`].
    pub policy_name: String,
    /// The version's number (`v1` is 1).
    pub version: u32,
    /// The policy document, as given (checked when created).
    pub document: String,
    /// Creation time, epoch milliseconds.
    pub created_at: i64,
}

/// What a managed policy is attached to, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum AttachmentTarget {
    /// A user's permissions policy.
    User,
    /// A role's permissions policy.
    Role,
    /// A group's permissions policy (its members act with it).
    Group,
    /// A user's permissions boundary (at most one per user).
    UserBoundary,
    /// A role's permissions boundary (at most one per role).
    RoleBoundary,
}

impl AttachmentTarget {
    /// The stored form: `user`, `role`, `group`, `user-boundary`,
    /// `role-boundary`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentTarget::User => "user",
            AttachmentTarget::Role => "role",
            AttachmentTarget::Group => "group",
            AttachmentTarget::UserBoundary => "user-boundary",
            AttachmentTarget::RoleBoundary => "role-boundary",
        }
    }

    /// The target of a stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "user" => AttachmentTarget::User,
            "role" => AttachmentTarget::Role,
            "group" => AttachmentTarget::Group,
            "user-boundary" => AttachmentTarget::UserBoundary,
            "role-boundary" => AttachmentTarget::RoleBoundary,
            _ => return None,
        })
    }

    /// Whether this is a permissions boundary (one per entity).
    pub fn is_boundary(self) -> bool {
        matches!(self, AttachmentTarget::UserBoundary | AttachmentTarget::RoleBoundary)
    }
}

/// A managed policy attached to a user, role or group.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyAttachmentRecord {
    /// The account of both.
    pub account: AccountId,
    /// The policy's name, as stored.
    pub policy_name: String,
    /// What kind of entity, and whether as a boundary.
    pub target: AttachmentTarget,
    /// The user's, role's or group's name, as stored.
    pub entity_name: String,
}

/// A managed policy attached to an entity, with its default version's
/// document: what authorization reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// The policy.
    pub policy: ManagedPolicyRecord,
    /// Its default version's document.
    pub document: String,
}

/// A domain key, wrapped under the root key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DomainKeyRecord {
    /// Id (from 1).
    pub id: u32,
    /// Wrapped key.
    pub wrapped: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
}

/// What a key spec can do.
pub trait SpecCapabilities {
    /// Usages allowed with this spec.
    fn allowed_usages(&self) -> &'static [KeyUsage];
    /// Encryption algorithms for ENCRYPT_DECRYPT keys of this spec.
    fn encryption_algorithms(&self) -> Vec<EncryptionAlgorithm>;
    /// Signing algorithms for SIGN_VERIFY keys of this spec.
    fn signing_algorithms(&self) -> Vec<SigningAlgorithm>;
    /// MAC algorithms for GENERATE_VERIFY_MAC keys of this spec.
    fn mac_algorithms(&self) -> Vec<MacAlgorithm>;
    /// Key agreement algorithms for KEY_AGREEMENT keys of this spec.
    fn key_agreement_algorithms(&self) -> Vec<KeyAgreementAlgorithm>;
    /// Encapsulation algorithms for ENCAPSULATE_DECAPSULATE keys.
    fn encapsulation_algorithms(&self) -> Vec<EncapsulationAlgorithm>;
    /// The kind of non-symmetric material behind keys of this spec; `None`
    /// for SYMMETRIC_DEFAULT and for specs Trent does not offer.
    fn key_kind(&self) -> Option<KeyKind>;
    /// True when Trent can create keys of this spec.
    fn implemented(&self) -> bool;
}

impl SpecCapabilities for KeySpec {
    fn allowed_usages(&self) -> &'static [KeyUsage] {
        use KeyUsage as U;
        match self {
            KeySpec::SymmetricDefault => &[U::EncryptDecrypt],
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &[U::EncryptDecrypt, U::SignVerify],
            KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521 => &[U::SignVerify, U::KeyAgreement],
            KeySpec::EccSecgP256k1 | KeySpec::EccNistEdwards25519 => &[U::SignVerify],
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => &[U::GenerateVerifyMac],
            KeySpec::Sm2 => &[U::EncryptDecrypt, U::SignVerify, U::KeyAgreement],
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => &[U::SignVerify],
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => &[U::EncapsulateDecapsulate],
            _ => &[],
        }
    }

    fn encryption_algorithms(&self) -> Vec<EncryptionAlgorithm> {
        match self {
            KeySpec::SymmetricDefault => vec![EncryptionAlgorithm::SymmetricDefault],
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
                vec![EncryptionAlgorithm::RsaesOaepSha1, EncryptionAlgorithm::RsaesOaepSha256]
            }
            KeySpec::Sm2 => vec![EncryptionAlgorithm::Sm2pke],
            _ => vec![],
        }
    }

    fn signing_algorithms(&self) -> Vec<SigningAlgorithm> {
        use SigningAlgorithm as A;
        match self {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => vec![
                A::RsassaPkcs1V15Sha256,
                A::RsassaPkcs1V15Sha384,
                A::RsassaPkcs1V15Sha512,
                A::RsassaPssSha256,
                A::RsassaPssSha384,
                A::RsassaPssSha512,
            ],
            KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => vec![A::EcdsaSha256],
            KeySpec::EccNistP384 => vec![A::EcdsaSha384],
            KeySpec::EccNistP521 => vec![A::EcdsaSha512],
            KeySpec::EccNistEdwards25519 => vec![A::Ed25519Sha512, A::Ed25519PhSha512],
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => vec![A::MlDsaShake256],
            KeySpec::Sm2 => vec![A::Sm2dsa],
            _ => vec![],
        }
    }

    fn mac_algorithms(&self) -> Vec<MacAlgorithm> {
        match self {
            KeySpec::Hmac224 => vec![MacAlgorithm::HmacSha224],
            KeySpec::Hmac256 => vec![MacAlgorithm::HmacSha256],
            KeySpec::Hmac384 => vec![MacAlgorithm::HmacSha384],
            KeySpec::Hmac512 => vec![MacAlgorithm::HmacSha512],
            _ => vec![],
        }
    }

    fn key_agreement_algorithms(&self) -> Vec<KeyAgreementAlgorithm> {
        match self {
            KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521 | KeySpec::Sm2 => {
                vec![KeyAgreementAlgorithm::Ecdh]
            }
            _ => vec![],
        }
    }

    fn encapsulation_algorithms(&self) -> Vec<EncapsulationAlgorithm> {
        match self {
            KeySpec::MlKem512 | KeySpec::MlKem768 | KeySpec::MlKem1024 => vec![EncapsulationAlgorithm::MlKem],
            _ => vec![],
        }
    }

    fn key_kind(&self) -> Option<KeyKind> {
        Some(match self {
            KeySpec::Rsa2048 => KeyKind::Rsa2048,
            KeySpec::Rsa3072 => KeyKind::Rsa3072,
            KeySpec::Rsa4096 => KeyKind::Rsa4096,
            KeySpec::EccNistP256 => KeyKind::EccP256,
            KeySpec::EccNistP384 => KeyKind::EccP384,
            KeySpec::EccNistP521 => KeyKind::EccP521,
            KeySpec::EccSecgP256k1 => KeyKind::EccSecp256k1,
            KeySpec::EccNistEdwards25519 => KeyKind::Ed25519,
            KeySpec::MlDsa44 => KeyKind::MlDsa44,
            KeySpec::MlDsa65 => KeyKind::MlDsa65,
            KeySpec::MlDsa87 => KeyKind::MlDsa87,
            KeySpec::MlKem512 => KeyKind::MlKem512,
            KeySpec::MlKem768 => KeyKind::MlKem768,
            KeySpec::MlKem1024 => KeyKind::MlKem1024,
            KeySpec::Hmac224 => KeyKind::Hmac224,
            KeySpec::Hmac256 => KeyKind::Hmac256,
            KeySpec::Hmac384 => KeyKind::Hmac384,
            KeySpec::Hmac512 => KeyKind::Hmac512,
            _ => return None,
        })
    }

    fn implemented(&self) -> bool {
        *self == KeySpec::SymmetricDefault || self.key_kind().is_some()
    }
}

/// The kind of material of a data key pair spec; `None` for SM2.
pub(crate) fn data_key_pair_kind(spec: &DataKeyPairSpec) -> Option<KeyKind> {
    Some(match spec {
        DataKeyPairSpec::Rsa2048 => KeyKind::Rsa2048,
        DataKeyPairSpec::Rsa3072 => KeyKind::Rsa3072,
        DataKeyPairSpec::Rsa4096 => KeyKind::Rsa4096,
        DataKeyPairSpec::EccNistP256 => KeyKind::EccP256,
        DataKeyPairSpec::EccNistP384 => KeyKind::EccP384,
        DataKeyPairSpec::EccNistP521 => KeyKind::EccP521,
        DataKeyPairSpec::EccSecgP256k1 => KeyKind::EccSecp256k1,
        DataKeyPairSpec::EccNistEdwards25519 => KeyKind::Ed25519,
        DataKeyPairSpec::MlKem512 => KeyKind::MlKem512,
        DataKeyPairSpec::MlKem768 => KeyKind::MlKem768,
        DataKeyPairSpec::MlKem1024 => KeyKind::MlKem1024,
        _ => return None,
    })
}

/// Every row of a deployment, read in one consistent snapshot: what a
/// backup holds ([`crate::backup`]). Key material and secrets stay wrapped
/// as stored.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// Domain keys (wrapped under the root key).
    pub domain_keys: Vec<DomainKeyRecord>,
    /// Accounts.
    pub accounts: Vec<AccountRecord>,
    /// Access keys (secrets wrapped).
    pub access_keys: Vec<AccessKeyRecord>,
    /// IAM users (absent from backups made before users existed).
    #[serde(default)]
    pub users: Vec<UserRecord>,
    /// Their inline policies.
    #[serde(default)]
    pub user_policies: Vec<UserPolicyRecord>,
    /// IAM roles (absent from backups made before roles existed).
    #[serde(default)]
    pub roles: Vec<RoleRecord>,
    /// Their inline policies.
    #[serde(default)]
    pub role_policies: Vec<RolePolicyRecord>,
    /// IAM groups (absent from backups made before groups existed).
    #[serde(default)]
    pub groups: Vec<GroupRecord>,
    /// Their inline policies.
    #[serde(default)]
    pub group_policies: Vec<GroupPolicyRecord>,
    /// Their members.
    #[serde(default)]
    pub group_members: Vec<GroupMemberRecord>,
    /// Customer managed policies (absent from backups made before they
    /// existed).
    #[serde(default)]
    pub managed_policies: Vec<ManagedPolicyRecord>,
    /// Their versions.
    #[serde(default)]
    pub policy_versions: Vec<PolicyVersionRecord>,
    /// Their attachments and permissions boundaries.
    #[serde(default)]
    pub policy_attachments: Vec<PolicyAttachmentRecord>,
    /// OpenID Connect identity providers.
    #[serde(default)]
    pub oidc_providers: Vec<OidcProviderRecord>,
    /// Custom key stores (their tokens' PINs wrapped).
    #[serde(default)]
    pub custom_key_stores: Vec<CustomKeyStoreRecord>,
    /// Keys.
    pub keys: Vec<KeyRecord>,
    /// Key versions (material wrapped).
    pub versions: Vec<KeyVersionRecord>,
    /// Aliases.
    pub aliases: Vec<AliasRecord>,
    /// Grants.
    pub grants: Vec<GrantRecord>,
    /// Tombstones of destroyed keys.
    pub destroyed: Vec<DestroyedKey>,
    /// The audit trail, records as stored (seq and hashes kept).
    pub audit: Vec<crate::audit::AuditRecord>,
    /// Audit checkpoints.
    pub checkpoints: Vec<crate::audit::AuditCheckpoint>,
}

/// The tombstone of a destroyed key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DestroyedKey {
    /// Its scope.
    pub scope: Scope,
    /// Its id.
    pub id: KeyId,
    /// When it was destroyed (ms).
    pub destroyed_at: i64,
}
