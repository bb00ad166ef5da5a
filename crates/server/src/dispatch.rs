//! The operation table: `X-Amz-Target` operation name → core method.
//!
//! Each entry parses the JSON body into the operation's request shape
//! (`SerializationException` on malformed JSON or wrong types), checks the
//! service model's constraints (`ValidationException`), calls the core, and
//! serializes the response shape.

use crate::http::ApiError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use trent_api::validate::Validate;
use trent_api::ErrorCode;
use trent_core::{Caller, Kms, KmsError};

/// The service prefix of `X-Amz-Target`.
pub(crate) const TARGET_PREFIX: &str = "TrentService.";
/// The prefix of Trent's own administrative operations.
pub(crate) const ADMIN_PREFIX: &str = "TrentAdmin.";

/// Trent's administrative operations ([`trent_api::admin`]).
pub(crate) async fn admin_dispatch(
    op: &str,
    kms: &Kms,
    caller: &Caller,
    body: &[u8],
) -> Option<Result<Vec<u8>, ApiError>> {
    use trent_api::admin::{
        AccessKeysRequest, AuditTrailRecord, CreateAccessKeyResponse, CreateAccountRequest, CreateAccountResponse,
        CreateUserRequest, CreateUserResponse, DeleteAccessKeyRequest, GetUserPolicyResponse, ListAccessKeysResponse,
        ListUserPoliciesResponse, ListUserTagsResponse, ListUsersRequest, ListUsersResponse, PutUserPolicyRequest,
        ReadAuditTrailRequest, ReadAuditTrailResponse, TagUserRequest, UntagUserRequest, UserPolicyRequest,
        UserRequest, VerifyAuditTrailRequest,
    };
    // Validation has checked that the required members are present.
    let name = |s: Option<String>| s.unwrap_or_default();
    match op {
        "CreateAccount" => Some(
            call(body, |req: CreateAccountRequest| async move {
                let spec = trent_core::BootstrapSpec {
                    account_id: req.account_id,
                    access_key_id: req.access_key_id,
                    secret_access_key: None,
                };
                let created = kms.admin_create_account(caller, spec).await?;
                Ok(CreateAccountResponse {
                    principal: created.account_id.root_arn().as_str().to_owned(),
                    account_id: created.account_id.as_str().to_owned(),
                    access_key_id: created.access_key_id.as_str().to_owned(),
                    secret_access_key: created.secret_access_key,
                })
            })
            .await,
        ),
        "CreateUser" => Some(
            call(body, |req: CreateUserRequest| async move {
                let created = kms.create_user(caller, &name(req.user_name), tag_pairs(req.tags)).await?;
                Ok(CreateUserResponse {
                    user: user_shape(&created.user),
                    access_key_id: created.access_key_id.as_str().to_owned(),
                    secret_access_key: created.secret_access_key,
                })
            })
            .await,
        ),
        "DeleteUser" => Some(
            call(body, |req: UserRequest| async move {
                kms.delete_user(caller, &name(req.user_name)).await.map(|()| serde_json::json!({}))
            })
            .await,
        ),
        "ListUsers" => Some(
            call(body, |_: ListUsersRequest| async move {
                let users = kms.list_users(caller).await?;
                Ok(ListUsersResponse { users: users.iter().map(user_shape).collect() })
            })
            .await,
        ),
        "PutUserPolicy" => Some(
            call(body, |req: PutUserPolicyRequest| async move {
                kms.put_user_policy(caller, &name(req.user_name), &name(req.policy_name), &name(req.policy_document))
                    .await
                    .map(|()| serde_json::json!({}))
            })
            .await,
        ),
        "GetUserPolicy" => Some(
            call(body, |req: UserPolicyRequest| async move {
                let p = kms.get_user_policy(caller, &name(req.user_name), &name(req.policy_name)).await?;
                Ok(GetUserPolicyResponse {
                    user_name: p.user_name,
                    policy_name: p.policy_name,
                    policy_document: p.document,
                })
            })
            .await,
        ),
        "DeleteUserPolicy" => Some(
            call(body, |req: UserPolicyRequest| async move {
                kms.delete_user_policy(caller, &name(req.user_name), &name(req.policy_name))
                    .await
                    .map(|()| serde_json::json!({}))
            })
            .await,
        ),
        "ListUserPolicies" => Some(
            call(body, |req: UserRequest| async move {
                let policy_names = kms.list_user_policies(caller, &name(req.user_name)).await?;
                Ok(ListUserPoliciesResponse { policy_names })
            })
            .await,
        ),
        "TagUser" => Some(
            call(body, |req: TagUserRequest| async move {
                kms.tag_user(caller, &name(req.user_name), tag_pairs(req.tags)).await.map(|()| serde_json::json!({}))
            })
            .await,
        ),
        "UntagUser" => Some(
            call(body, |req: UntagUserRequest| async move {
                kms.untag_user(caller, &name(req.user_name), req.tag_keys.unwrap_or_default())
                    .await
                    .map(|()| serde_json::json!({}))
            })
            .await,
        ),
        "ListUserTags" => Some(
            call(body, |req: UserRequest| async move {
                let tags = kms.list_user_tags(caller, &name(req.user_name)).await?;
                Ok(ListUserTagsResponse { tags: iam_tags(&tags), is_truncated: false })
            })
            .await,
        ),
        "CreateAccessKey" => Some(
            call(body, |req: AccessKeysRequest| async move {
                let created = kms.create_access_key(caller, req.user_name.as_deref()).await?;
                let mut access_key = access_key_shape(&created.record, created.user_name);
                access_key.secret_access_key = Some(created.secret_access_key);
                Ok(CreateAccessKeyResponse { access_key })
            })
            .await,
        ),
        "ListAccessKeys" => Some(
            call(body, |req: AccessKeysRequest| async move {
                let (keys, user_name) = kms.list_access_keys(caller, req.user_name.as_deref()).await?;
                let access_key_metadata = keys.iter().map(|k| access_key_shape(k, user_name.clone())).collect();
                Ok(ListAccessKeysResponse { access_key_metadata, is_truncated: false })
            })
            .await,
        ),
        "DeleteAccessKey" => Some(
            call(body, |req: DeleteAccessKeyRequest| async move {
                kms.delete_access_key(caller, req.user_name.as_deref(), &name(req.access_key_id))
                    .await
                    .map(|()| serde_json::json!({}))
            })
            .await,
        ),
        "ReadAuditTrail" => Some(
            call(body, |req: ReadAuditTrailRequest| async move {
                #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // validated 1..=1000
                let limit = req.limit.unwrap_or(1000) as usize;
                let (records, last_seq) = kms.read_audit_trail(caller, req.after_seq.unwrap_or(0), limit).await?;
                Ok(ReadAuditTrailResponse {
                    last_seq,
                    records: records
                        .into_iter()
                        .map(|r| AuditTrailRecord {
                            seq: r.seq,
                            prev_hash: hex::encode(r.prev_hash),
                            hash: hex::encode(r.hash),
                            event: r.entry.record,
                        })
                        .collect(),
                })
            })
            .await,
        ),
        "VerifyAuditTrail" => Some(
            call(body, |_: VerifyAuditTrailRequest| async move {
                let report = kms.verify_audit_trail(caller).await?;
                Ok(verify_response(&report, &kms.audit_public_key()))
            })
            .await,
        ),
        _ => None,
    }
}

/// IAM tags as (key, value) pairs (validation has checked both are there).
fn tag_pairs(tags: Option<Vec<trent_api::admin::IamTag>>) -> Vec<(String, String)> {
    tags.unwrap_or_default().into_iter().map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default())).collect()
}

/// (key, value) pairs as IAM tags.
fn iam_tags(tags: &[(String, String)]) -> Vec<trent_api::admin::IamTag> {
    tags.iter().map(|(k, v)| trent_api::admin::IamTag { key: Some(k.clone()), value: Some(v.clone()) }).collect()
}

/// An access key as IAM shows it, without its secret.
fn access_key_shape(k: &trent_core::model::AccessKeyRecord, user_name: Option<String>) -> trent_api::admin::AccessKey {
    trent_api::admin::AccessKey {
        user_name,
        access_key_id: k.id.as_str().to_owned(),
        status: "Active",
        secret_access_key: None,
        create_date: trent_api::time::Timestamp::from_millis(k.created_at),
    }
}

/// A user as the admin API shows it.
fn user_shape(u: &trent_core::model::UserRecord) -> trent_api::admin::User {
    trent_api::admin::User {
        user_name: u.name.clone(),
        user_id: u.user_id.clone(),
        arn: u.arn(),
        create_date: trent_api::time::Timestamp::from_millis(u.created_at),
        tags: iam_tags(&u.tags),
    }
}

/// The answer of VerifyAuditTrail (and of `trent admin audit verify`
/// offline) for a verification report.
pub fn verify_response(
    report: &trent_core::audit::VerifyReport,
    public_key: &[u8],
) -> trent_api::admin::VerifyAuditTrailResponse {
    trent_api::admin::VerifyAuditTrailResponse {
        records: report.records,
        first_seq: report.first_seq,
        last_seq: report.last_seq,
        checkpoints: report.checkpoints,
        public_key: hex::encode(public_key),
        problem: report.tamper.as_ref().map(ToString::to_string),
    }
}

/// CloudTrail operations served over Trent's own trail.
pub(crate) async fn cloudtrail_dispatch(
    op: &str,
    kms: &Kms,
    caller: &Caller,
    body: &[u8],
) -> Option<Result<Vec<u8>, ApiError>> {
    match op {
        "LookupEvents" => Some(call(body, |r| kms.lookup_events(caller, r)).await),
        _ => None,
    }
}

fn parse<Req: DeserializeOwned + Validate>(body: &[u8]) -> Result<Req, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { body };
    let req: Req = serde_json::from_slice(body).map_err(|e| {
        // The message names the position, never the offending value, which
        // could be part of a secret.
        let what = match e.classify() {
            serde_json::error::Category::Data => "a value of the wrong type or format",
            _ => "malformed JSON",
        };
        ApiError::new(
            ErrorCode::Serialization,
            format!("Could not parse the request body: {what} at line {} column {}", e.line(), e.column()),
        )
    })?;
    req.validate().map_err(|m| ApiError::new(ErrorCode::Validation, m))?;
    Ok(req)
}

async fn call<Req, Resp, F, Fut>(body: &[u8], op: F) -> Result<Vec<u8>, ApiError>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
    F: FnOnce(Req) -> Fut,
    Fut: Future<Output = Result<Resp, KmsError>>,
{
    let req = parse::<Req>(body)?;
    let resp = op(req).await.map_err(ApiError::from_kms)?;
    serde_json::to_vec(&resp).map_err(|e| ApiError::internal(format!("serializing response: {e}")))
}

/// Trent's administrative operations, by name.
const ADMIN_OPERATIONS: &[&str] = &[
    "CreateAccessKey",
    "CreateAccount",
    "CreateUser",
    "DeleteAccessKey",
    "DeleteUser",
    "DeleteUserPolicy",
    "GetUserPolicy",
    "ListAccessKeys",
    "ListUserPolicies",
    "ListUserTags",
    "ListUsers",
    "PutUserPolicy",
    "ReadAuditTrail",
    "TagUser",
    "UntagUser",
    "VerifyAuditTrail",
];

/// Whether `op` names an operation of `api` (metrics label only known
/// names, so a client cannot grow the label set).
pub(crate) fn known_operation(api: crate::http::Api, op: &str) -> bool {
    match api {
        crate::http::Api::Kms => OPERATIONS.contains(&op) || NOT_YET.contains(&op),
        crate::http::Api::Admin => ADMIN_OPERATIONS.contains(&op),
        crate::http::Api::CloudTrail => op == "LookupEvents",
    }
}

macro_rules! operations {
    ($($name:literal => $method:ident),+ $(,)?) => {
        /// Every operation Trent serves.
        pub(crate) const OPERATIONS: &[&str] = &[$($name),+];

        /// Runs operation `op`; `None` when Trent does not know it.
        pub(crate) async fn dispatch(op: &str, kms: &Kms, caller: &Caller, body: &[u8]) -> Option<Result<Vec<u8>, ApiError>> {
            Some(match op {
                $($name => call(body, |r| kms.$method(caller, r)).await,)+
                _ => return None,
            })
        }

        /// Parses and validates `body` as the request of KMS operation `op`
        /// without running it; `None` when Trent does not know `op`.
        fn parse_kms(op: &str, body: &[u8]) -> Option<Result<(), ApiError>> {
            Some(match op {
                $($name => parse_for(Kms::$method, body),)+
                _ => return None,
            })
        }
    };
}

/// Parses and validates `body` as a `Req`, and drops it.
fn check<Req: DeserializeOwned + Validate>(body: &[u8]) -> Result<(), ApiError> {
    parse::<Req>(body).map(drop)
}

/// Parses `body` as the request type that `method` (a `Kms` method) takes.
fn parse_for<'a, Req, Fut>(_method: impl FnOnce(&'a Kms, &'a Caller, Req) -> Fut, body: &[u8]) -> Result<(), ApiError>
where
    Req: DeserializeOwned + Validate,
{
    check::<Req>(body)
}

/// Every operation name [`parse_request`] knows: the KMS API, Trent's
/// administrative API and CloudTrail's `LookupEvents` (the names do not
/// overlap).
pub fn request_operations() -> impl Iterator<Item = &'static str> {
    OPERATIONS.iter().chain(ADMIN_OPERATIONS).chain(["LookupEvents"].iter()).copied()
}

/// Parses and validates `body` as the request of operation `op` exactly as
/// the server does before running it, and drops it; `None` when `op` is none
/// of [`request_operations`]. A refusal is the error code and message the
/// caller would get. The request-body fuzz target's entry point.
pub fn parse_request(op: &str, body: &[u8]) -> Option<Result<(), (ErrorCode, String)>> {
    parse_any(op, body).map(|r| r.map_err(|e| (e.code, e.message)))
}

fn parse_any(op: &str, body: &[u8]) -> Option<Result<(), ApiError>> {
    use trent_api::admin::{
        AccessKeysRequest, CreateAccountRequest, CreateUserRequest, DeleteAccessKeyRequest, ListUsersRequest,
        PutUserPolicyRequest, ReadAuditTrailRequest, TagUserRequest, UntagUserRequest, UserPolicyRequest, UserRequest,
        VerifyAuditTrailRequest,
    };
    if let Some(parsed) = parse_kms(op, body) {
        return Some(parsed);
    }
    // The request type of each arm of `admin_dispatch` and `cloudtrail_dispatch`.
    match op {
        "CreateAccount" => Some(check::<CreateAccountRequest>(body)),
        "CreateUser" => Some(check::<CreateUserRequest>(body)),
        "DeleteUser" | "ListUserPolicies" | "ListUserTags" => Some(check::<UserRequest>(body)),
        "ListUsers" => Some(check::<ListUsersRequest>(body)),
        "PutUserPolicy" => Some(check::<PutUserPolicyRequest>(body)),
        "GetUserPolicy" | "DeleteUserPolicy" => Some(check::<UserPolicyRequest>(body)),
        "TagUser" => Some(check::<TagUserRequest>(body)),
        "UntagUser" => Some(check::<UntagUserRequest>(body)),
        "CreateAccessKey" | "ListAccessKeys" => Some(check::<AccessKeysRequest>(body)),
        "DeleteAccessKey" => Some(check::<DeleteAccessKeyRequest>(body)),
        "ReadAuditTrail" => Some(check::<ReadAuditTrailRequest>(body)),
        "VerifyAuditTrail" => Some(check::<VerifyAuditTrailRequest>(body)),
        "LookupEvents" => Some(check::<trent_api::cloudtrail::LookupEventsRequest>(body)),
        _ => None,
    }
}

operations! {
    "CreateKey" => create_key,
    "DescribeKey" => describe_key,
    "ListKeys" => list_keys,
    "EnableKey" => enable_key,
    "DisableKey" => disable_key,
    "Encrypt" => encrypt,
    "Decrypt" => decrypt,
    "ReEncrypt" => re_encrypt,
    "GenerateDataKey" => generate_data_key,
    "GenerateDataKeyWithoutPlaintext" => generate_data_key_without_plaintext,
    "GenerateRandom" => generate_random,
    "CreateAlias" => create_alias,
    "DeleteAlias" => delete_alias,
    "UpdateAlias" => update_alias,
    "ListAliases" => list_aliases,
    "UpdateKeyDescription" => update_key_description,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "ListResourceTags" => list_resource_tags,
    "ScheduleKeyDeletion" => schedule_key_deletion,
    "CancelKeyDeletion" => cancel_key_deletion,
    "EnableKeyRotation" => enable_key_rotation,
    "DisableKeyRotation" => disable_key_rotation,
    "GetKeyRotationStatus" => get_key_rotation_status,
    "RotateKeyOnDemand" => rotate_key_on_demand,
    "ListKeyRotations" => list_key_rotations,
    "GetParametersForImport" => get_parameters_for_import,
    "ImportKeyMaterial" => import_key_material,
    "DeleteImportedKeyMaterial" => delete_imported_key_material,
    "Sign" => sign,
    "Verify" => verify,
    "GetPublicKey" => get_public_key,
    "GenerateMac" => generate_mac,
    "VerifyMac" => verify_mac,
    "DeriveSharedSecret" => derive_shared_secret,
    "Encapsulate" => encapsulate,
    "Decapsulate" => decapsulate,
    "GenerateDataKeyPair" => generate_data_key_pair,
    "GenerateDataKeyPairWithoutPlaintext" => generate_data_key_pair_without_plaintext,
    "PutKeyPolicy" => put_key_policy,
    "GetKeyPolicy" => get_key_policy,
    "ListKeyPolicies" => list_key_policies,
    "CreateGrant" => create_grant,
    "ListGrants" => list_grants,
    "ListRetirableGrants" => list_retirable_grants,
    "RetireGrant" => retire_grant,
    "RevokeGrant" => revoke_grant,
    "GetKeyLastUsage" => get_key_last_usage,
}

/// Operations of the KMS API that Trent does not implement yet: they answer
/// `UnsupportedOperationException` rather than `UnknownOperationException`,
/// so a client learns the operation exists but is not available here.
pub(crate) const NOT_YET: &[&str] = &[
    "ConnectCustomKeyStore",
    "CreateCustomKeyStore",
    "DeleteCustomKeyStore",
    "DescribeCustomKeyStores",
    "DisconnectCustomKeyStore",
    "ReplicateKey",
    "UpdateCustomKeyStore",
    "UpdatePrimaryRegion",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_do_not_overlap() {
        for op in OPERATIONS {
            assert!(!NOT_YET.contains(op), "{op} is in both tables");
        }
    }

    #[test]
    fn every_served_operation_has_a_request_parser() {
        let mut n = 0;
        for op in request_operations() {
            n += 1;
            assert!(parse_request(op, b"{").is_some(), "{op} has no parser");
            let (code, _) = parse_request(op, b"[1").unwrap().unwrap_err();
            assert_eq!(code, ErrorCode::Serialization, "{op}");
        }
        assert_eq!(n, OPERATIONS.len() + ADMIN_OPERATIONS.len() + 1);
        assert!(parse_request("ConnectCustomKeyStore", b"{}").is_none());
        assert!(parse_request("Nope", b"{}").is_none());
        assert!(parse_request("ListKeys", b"").unwrap().is_ok());
        let (code, message) = parse_request("CreateAccount", br#"{"AccountId":12345}"#).unwrap().unwrap_err();
        assert_eq!(code, ErrorCode::Serialization);
        assert!(!message.contains("12345"), "{message}");
    }

    #[test]
    fn serialization_errors_do_not_echo_values() {
        let e = parse::<trent_api::ops::EncryptRequest>(br#"{"KeyId":"k","Plaintext":12345678}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::Serialization);
        assert!(!e.message.contains("12345678"), "{}", e.message);
        let e = parse::<trent_api::ops::EncryptRequest>(br#"{"KeyId":"k","Plaintext":"c2VjcmV0*"}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::Serialization);
        assert!(!e.message.contains("c2VjcmV0"), "{}", e.message);
        let e = parse::<trent_api::ops::ListKeysRequest>(b"[1,2").unwrap_err();
        assert_eq!(e.code, ErrorCode::Serialization);
        let e = parse::<trent_api::ops::ListKeysRequest>(br#"{"Limit":0}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::Validation);
        assert!(parse::<trent_api::ops::ListKeysRequest>(b"").is_ok());
    }
}
