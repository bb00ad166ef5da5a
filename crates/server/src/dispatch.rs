//! Dispatch: an [`Operation`] of the table in [`trent_api::operation`] →
//! its core method.
//!
//! Each arm parses the JSON body into the operation's request shape
//! (`SerializationException` on malformed JSON or wrong types), checks the
//! service model's constraints (`ValidationException`), calls the core, and
//! serializes the response shape.

use crate::http::ApiError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use trent_api::validate::Validate;
use trent_api::{ErrorCode, Operation};
use trent_core::{Caller, Kms, KmsError};

/// Runs `op` on the core: parses and validates the body into the
/// operation's request shape, calls the core, serializes the response. The
/// `match` is exhaustive over [`Operation`], so a row added to the table
/// does not compile until it is dispatched or refused here on purpose.
pub(crate) async fn dispatch(op: Operation, kms: &Kms, caller: &Caller, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    use trent_api::admin::{
        AccessKeysRequest, AuditTrailRecord, CreateAccessKeyResponse, CreateAccountRequest, CreateAccountResponse,
        CreateUserRequest, CreateUserResponse, DeleteAccessKeyRequest, GetUserPolicyResponse, ListAccessKeysResponse,
        ListUserPoliciesResponse, ListUserTagsResponse, ListUsersRequest, ListUsersResponse, PutUserPolicyRequest,
        ReadAuditTrailRequest, ReadAuditTrailResponse, RotateRootRequest, SealRequest, TagUserRequest,
        UntagUserRequest, UserPolicyRequest, UserRequest, VerifyAuditTrailRequest,
    };
    use Operation as O;
    // Validation has checked that the required members are present.
    let name = |s: Option<String>| s.unwrap_or_default();
    match op {
        O::CreateKey => call(caller, body, |r| kms.create_key(caller, r)).await,
        O::DescribeKey => call(caller, body, |r| kms.describe_key(caller, r)).await,
        O::ListKeys => call(caller, body, |r| kms.list_keys(caller, r)).await,
        O::EnableKey => call(caller, body, |r| kms.enable_key(caller, r)).await,
        O::DisableKey => call(caller, body, |r| kms.disable_key(caller, r)).await,
        O::Encrypt => call(caller, body, |r| kms.encrypt(caller, r)).await,
        O::Decrypt => call(caller, body, |r| kms.decrypt(caller, r)).await,
        O::ReEncrypt => call(caller, body, |r| kms.re_encrypt(caller, r)).await,
        O::GenerateDataKey => call(caller, body, |r| kms.generate_data_key(caller, r)).await,
        O::GenerateDataKeyWithoutPlaintext => {
            call(caller, body, |r| kms.generate_data_key_without_plaintext(caller, r)).await
        }
        O::GenerateRandom => call(caller, body, |r| kms.generate_random(caller, r)).await,
        O::CreateAlias => call(caller, body, |r| kms.create_alias(caller, r)).await,
        O::DeleteAlias => call(caller, body, |r| kms.delete_alias(caller, r)).await,
        O::UpdateAlias => call(caller, body, |r| kms.update_alias(caller, r)).await,
        O::ListAliases => call(caller, body, |r| kms.list_aliases(caller, r)).await,
        O::UpdateKeyDescription => call(caller, body, |r| kms.update_key_description(caller, r)).await,
        O::TagResource => call(caller, body, |r| kms.tag_resource(caller, r)).await,
        O::UntagResource => call(caller, body, |r| kms.untag_resource(caller, r)).await,
        O::ListResourceTags => call(caller, body, |r| kms.list_resource_tags(caller, r)).await,
        O::ScheduleKeyDeletion => call(caller, body, |r| kms.schedule_key_deletion(caller, r)).await,
        O::CancelKeyDeletion => call(caller, body, |r| kms.cancel_key_deletion(caller, r)).await,
        O::EnableKeyRotation => call(caller, body, |r| kms.enable_key_rotation(caller, r)).await,
        O::DisableKeyRotation => call(caller, body, |r| kms.disable_key_rotation(caller, r)).await,
        O::GetKeyRotationStatus => call(caller, body, |r| kms.get_key_rotation_status(caller, r)).await,
        O::RotateKeyOnDemand => call(caller, body, |r| kms.rotate_key_on_demand(caller, r)).await,
        O::ListKeyRotations => call(caller, body, |r| kms.list_key_rotations(caller, r)).await,
        O::GetParametersForImport => call(caller, body, |r| kms.get_parameters_for_import(caller, r)).await,
        O::ImportKeyMaterial => call(caller, body, |r| kms.import_key_material(caller, r)).await,
        O::DeleteImportedKeyMaterial => call(caller, body, |r| kms.delete_imported_key_material(caller, r)).await,
        O::Sign => call(caller, body, |r| kms.sign(caller, r)).await,
        O::Verify => call(caller, body, |r| kms.verify(caller, r)).await,
        O::GetPublicKey => call(caller, body, |r| kms.get_public_key(caller, r)).await,
        O::GenerateMac => call(caller, body, |r| kms.generate_mac(caller, r)).await,
        O::VerifyMac => call(caller, body, |r| kms.verify_mac(caller, r)).await,
        O::DeriveSharedSecret => call(caller, body, |r| kms.derive_shared_secret(caller, r)).await,
        O::Encapsulate => call(caller, body, |r| kms.encapsulate(caller, r)).await,
        O::Decapsulate => call(caller, body, |r| kms.decapsulate(caller, r)).await,
        O::GenerateDataKeyPair => call(caller, body, |r| kms.generate_data_key_pair(caller, r)).await,
        O::GenerateDataKeyPairWithoutPlaintext => {
            call(caller, body, |r| kms.generate_data_key_pair_without_plaintext(caller, r)).await
        }
        O::PutKeyPolicy => call(caller, body, |r| kms.put_key_policy(caller, r)).await,
        O::GetKeyPolicy => call(caller, body, |r| kms.get_key_policy(caller, r)).await,
        O::ListKeyPolicies => call(caller, body, |r| kms.list_key_policies(caller, r)).await,
        O::CreateGrant => call(caller, body, |r| kms.create_grant(caller, r)).await,
        O::ListGrants => call(caller, body, |r| kms.list_grants(caller, r)).await,
        O::ListRetirableGrants => call(caller, body, |r| kms.list_retirable_grants(caller, r)).await,
        O::RetireGrant => call(caller, body, |r| kms.retire_grant(caller, r)).await,
        O::RevokeGrant => call(caller, body, |r| kms.revoke_grant(caller, r)).await,
        O::GetKeyLastUsage => call(caller, body, |r| kms.get_key_last_usage(caller, r)).await,
        O::ReplicateKey => call(caller, body, |r| kms.replicate_key(caller, r)).await,
        O::UpdatePrimaryRegion => call(caller, body, |r| kms.update_primary_region(caller, r)).await,
        O::LookupEvents => call(caller, body, |r| kms.lookup_events(caller, r)).await,
        O::CreateCustomKeyStore => call(caller, body, |r| kms.create_custom_key_store(caller, r)).await,
        O::DescribeCustomKeyStores => call(caller, body, |r| kms.describe_custom_key_stores(caller, r)).await,
        O::ConnectCustomKeyStore => call(caller, body, |r| kms.connect_custom_key_store(caller, r)).await,
        O::DisconnectCustomKeyStore => call(caller, body, |r| kms.disconnect_custom_key_store(caller, r)).await,
        O::UpdateCustomKeyStore => call(caller, body, |r| kms.update_custom_key_store(caller, r)).await,
        O::DeleteCustomKeyStore => call(caller, body, |r| kms.delete_custom_key_store(caller, r)).await,
        // The Query protocol's alone (IAM's roles, STS): no JSON shape.
        O::CreateRole
        | O::GetRole
        | O::ListRoles
        | O::UpdateRole
        | O::UpdateAssumeRolePolicy
        | O::DeleteRole
        | O::TagRole
        | O::UntagRole
        | O::ListRoleTags
        | O::PutRolePolicy
        | O::GetRolePolicy
        | O::DeleteRolePolicy
        | O::ListRolePolicies
        | O::CreateGroup
        | O::GetGroup
        | O::ListGroups
        | O::DeleteGroup
        | O::AddUserToGroup
        | O::RemoveUserFromGroup
        | O::ListGroupsForUser
        | O::PutGroupPolicy
        | O::GetGroupPolicy
        | O::DeleteGroupPolicy
        | O::ListGroupPolicies
        | O::CreatePolicy
        | O::GetPolicy
        | O::DeletePolicy
        | O::ListPolicies
        | O::CreatePolicyVersion
        | O::GetPolicyVersion
        | O::ListPolicyVersions
        | O::DeletePolicyVersion
        | O::SetDefaultPolicyVersion
        | O::AttachUserPolicy
        | O::DetachUserPolicy
        | O::ListAttachedUserPolicies
        | O::AttachRolePolicy
        | O::DetachRolePolicy
        | O::ListAttachedRolePolicies
        | O::AttachGroupPolicy
        | O::DetachGroupPolicy
        | O::ListAttachedGroupPolicies
        | O::ListEntitiesForPolicy
        | O::PutUserPermissionsBoundary
        | O::DeleteUserPermissionsBoundary
        | O::PutRolePermissionsBoundary
        | O::DeleteRolePermissionsBoundary
        | O::GetAccessKeyLastUsed
        | O::UpdateAccessKey
        | O::CreateOpenIDConnectProvider
        | O::GetOpenIDConnectProvider
        | O::ListOpenIDConnectProviders
        | O::DeleteOpenIDConnectProvider
        | O::AddClientIDToOpenIDConnectProvider
        | O::RemoveClientIDFromOpenIDConnectProvider
        | O::UpdateOpenIDConnectProviderThumbprint
        | O::TagOpenIDConnectProvider
        | O::UntagOpenIDConnectProvider
        | O::ListOpenIDConnectProviderTags
        | O::TagPolicy
        | O::UntagPolicy
        | O::ListPolicyTags
        | O::GetCallerIdentity
        | O::AssumeRole
        | O::GetSessionToken
        | O::AssumeRoleWithWebIdentity => Err(ApiError::new(ErrorCode::UnknownOperation, "")),
        O::Seal => call(caller, body, |_: SealRequest| kms.admin_seal(caller)).await,
        O::RotateRoot => call(caller, body, |req: RotateRootRequest| kms.admin_rotate_root(caller, req)).await,
        O::CreateAccount => {
            call(caller, body, |req: CreateAccountRequest| async move {
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
            .await
        }
        O::CreateUser => {
            call(caller, body, |req: CreateUserRequest| async move {
                let created = kms.create_user(caller, &name(req.user_name), tag_pairs(req.tags)).await?;
                Ok(CreateUserResponse {
                    user: user_shape(&created.user),
                    access_key_id: created.access_key_id.as_str().to_owned(),
                    secret_access_key: created.secret_access_key,
                })
            })
            .await
        }
        O::GetUser => {
            // GetUser's one member is the optional `UserName` of these shapes.
            call(caller, body, |req: AccessKeysRequest| async move {
                Ok(match kms.get_user(caller, req.user_name.as_deref()).await? {
                    trent_core::GotUser::User(u) => serde_json::json!({"User": user_shape(&u)}),
                    trent_core::GotUser::Root { account, created_at } => serde_json::json!({"User": {
                        "UserId": account.as_str(),
                        "Arn": account.root_arn().as_str(),
                        "CreateDate": trent_api::time::Timestamp::from_millis(created_at),
                    }}),
                })
            })
            .await
        }
        O::DeleteUser => {
            call(caller, body, |req: UserRequest| async move {
                kms.delete_user(caller, &name(req.user_name)).await.map(|()| serde_json::json!({}))
            })
            .await
        }
        O::ListUsers => {
            call(caller, body, |_: ListUsersRequest| async move {
                let users = kms.list_users(caller).await?;
                Ok(ListUsersResponse { users: users.iter().map(user_shape).collect() })
            })
            .await
        }
        O::PutUserPolicy => {
            call(caller, body, |req: PutUserPolicyRequest| async move {
                kms.put_user_policy(caller, &name(req.user_name), &name(req.policy_name), &name(req.policy_document))
                    .await
                    .map(|()| serde_json::json!({}))
            })
            .await
        }
        O::GetUserPolicy => {
            call(caller, body, |req: UserPolicyRequest| async move {
                let p = kms.get_user_policy(caller, &name(req.user_name), &name(req.policy_name)).await?;
                Ok(GetUserPolicyResponse {
                    user_name: p.user_name,
                    policy_name: p.policy_name,
                    policy_document: p.document,
                })
            })
            .await
        }
        O::DeleteUserPolicy => {
            call(caller, body, |req: UserPolicyRequest| async move {
                kms.delete_user_policy(caller, &name(req.user_name), &name(req.policy_name))
                    .await
                    .map(|()| serde_json::json!({}))
            })
            .await
        }
        O::ListUserPolicies => {
            call(caller, body, |req: UserRequest| async move {
                let policy_names = kms.list_user_policies(caller, &name(req.user_name)).await?;
                Ok(ListUserPoliciesResponse { policy_names })
            })
            .await
        }
        O::TagUser => {
            call(caller, body, |req: TagUserRequest| async move {
                kms.tag_user(caller, &name(req.user_name), tag_pairs(req.tags)).await.map(|()| serde_json::json!({}))
            })
            .await
        }
        O::UntagUser => {
            call(caller, body, |req: UntagUserRequest| async move {
                kms.untag_user(caller, &name(req.user_name), req.tag_keys.unwrap_or_default())
                    .await
                    .map(|()| serde_json::json!({}))
            })
            .await
        }
        O::ListUserTags => {
            call(caller, body, |req: UserRequest| async move {
                let tags = kms.list_user_tags(caller, &name(req.user_name)).await?;
                Ok(ListUserTagsResponse { tags: iam_tags(&tags), is_truncated: false })
            })
            .await
        }
        O::CreateAccessKey => {
            call(caller, body, |req: AccessKeysRequest| async move {
                let created = kms.create_access_key(caller, req.user_name.as_deref()).await?;
                let mut access_key = access_key_shape(&created.record, created.user_name);
                access_key.secret_access_key = Some(created.secret_access_key);
                Ok(CreateAccessKeyResponse { access_key })
            })
            .await
        }
        O::ListAccessKeys => {
            call(caller, body, |req: AccessKeysRequest| async move {
                let (keys, user_name) = kms.list_access_keys(caller, req.user_name.as_deref()).await?;
                let access_key_metadata = keys.iter().map(|k| access_key_shape(k, user_name.clone())).collect();
                Ok(ListAccessKeysResponse { access_key_metadata, is_truncated: false })
            })
            .await
        }
        O::DeleteAccessKey => {
            call(caller, body, |req: DeleteAccessKeyRequest| async move {
                kms.delete_access_key(caller, req.user_name.as_deref(), &name(req.access_key_id))
                    .await
                    .map(|()| serde_json::json!({}))
            })
            .await
        }
        O::ReadAuditTrail => {
            call(caller, body, |req: ReadAuditTrailRequest| async move {
                #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // validated 1..=1000
                let limit = req.limit.unwrap_or(1000) as usize;
                let (records, last_seq) = kms.read_audit_trail(caller, req.after_seq.unwrap_or(0), limit).await?;
                Ok(ReadAuditTrailResponse {
                    last_seq,
                    records: records
                        .into_iter()
                        .map(|r| AuditTrailRecord {
                            seq: r.seq,
                            chain: r.chain,
                            position: r.position,
                            prev_hash: hex::encode(r.prev_hash),
                            hash: hex::encode(r.hash),
                            event: r.entry.record,
                        })
                        .collect(),
                })
            })
            .await
        }
        O::VerifyAuditTrail => {
            call(caller, body, |r: VerifyAuditTrailRequest| async move {
                let after = match (r.after_seq, r.after_hash) {
                    // Validated: 64 lowercase hex digits.
                    (Some(seq), Some(hash)) => Some(
                        trent_core::audit::Verified::from_hex(r.after_chain.unwrap_or(0), seq, &hash)
                            .map_err(|e| KmsError::Validation(e.to_string()))?,
                    ),
                    _ => None,
                };
                let report = kms.verify_audit_trail(caller, after).await?;
                let latest = kms.store().latest_audit_checkpoint().await?;
                Ok(verify_response(&report, &kms.audit_public_key(), latest.as_ref()))
            })
            .await
        }
        O::GetUsage => {
            call(caller, body, |r: trent_api::admin::GetUsageRequest| async move {
                // Validated: both present.
                let (since, until) = (r.since.map(|t| t.millis()), r.until.map(|t| t.millis()));
                let query = trent_core::UsageQuery {
                    since: since.unwrap_or_default(),
                    until: until.unwrap_or_default(),
                    bucket: r.bucket_ms(),
                    all_accounts: r.all_accounts.unwrap_or(false),
                };
                kms.usage(caller, query).await
            })
            .await
        }
    }
}

/// IAM tags as (key, value) pairs (validation has checked both are there).
pub(crate) fn tag_pairs(tags: Option<Vec<trent_api::admin::IamTag>>) -> Vec<(String, String)> {
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
        status: if k.inactive { "Inactive" } else { "Active" },
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
    latest: Option<&trent_core::audit::AuditCheckpoint>,
) -> trent_api::admin::VerifyAuditTrailResponse {
    let several = report.chains.len() > 1 || report.chain != 0;
    trent_api::admin::VerifyAuditTrailResponse {
        records: report.records,
        chain: report.chain,
        first_seq: report.first_seq,
        last_seq: report.last_seq,
        last_hash: hex::encode(report.last_hash),
        checkpoints: report.checkpoints,
        digest_files: report.digest_files,
        public_key: hex::encode(public_key),
        problem: report.problem(),
        chains: if several {
            report
                .chains
                .iter()
                .map(|c| trent_api::admin::VerifiedChain {
                    chain: c.chain,
                    records: c.records,
                    first_seq: c.first_seq,
                    last_seq: c.last_seq,
                    last_hash: hex::encode(c.last_hash),
                })
                .collect()
        } else {
            Vec::new()
        },
        last_checkpoint: latest.map(|c| trent_api::admin::CheckpointSummary {
            chain: c.chain,
            number: c.number,
            seq: c.seq,
            created: trent_api::time::Timestamp::from_millis(c.created_at),
        }),
    }
}

/// Every operation [`parse_request`] parses: the served ones of the table
/// (the KMS API, Trent's administrative API and IAM's user operations as
/// JSON, CloudTrail's `LookupEvents`).
pub fn request_operations() -> impl Iterator<Item = &'static str> {
    Operation::ALL.iter().filter(|op| op.served() && !query_only(**op)).map(|op| op.name())
}

/// The operations the Query protocol alone reaches (IAM's roles, STS):
/// they have no JSON request shape.
fn query_only(op: Operation) -> bool {
    op.api() == trent_api::Api::Sts
        || matches!(
            op,
            Operation::CreateRole
                | Operation::GetRole
                | Operation::ListRoles
                | Operation::UpdateRole
                | Operation::UpdateAssumeRolePolicy
                | Operation::DeleteRole
                | Operation::TagRole
                | Operation::UntagRole
                | Operation::ListRoleTags
                | Operation::PutRolePolicy
                | Operation::GetRolePolicy
                | Operation::DeleteRolePolicy
                | Operation::ListRolePolicies
                | Operation::CreateGroup
                | Operation::GetGroup
                | Operation::ListGroups
                | Operation::DeleteGroup
                | Operation::AddUserToGroup
                | Operation::RemoveUserFromGroup
                | Operation::ListGroupsForUser
                | Operation::PutGroupPolicy
                | Operation::GetGroupPolicy
                | Operation::DeleteGroupPolicy
                | Operation::ListGroupPolicies
                | Operation::CreatePolicy
                | Operation::GetPolicy
                | Operation::DeletePolicy
                | Operation::ListPolicies
                | Operation::CreatePolicyVersion
                | Operation::GetPolicyVersion
                | Operation::ListPolicyVersions
                | Operation::DeletePolicyVersion
                | Operation::SetDefaultPolicyVersion
                | Operation::AttachUserPolicy
                | Operation::DetachUserPolicy
                | Operation::ListAttachedUserPolicies
                | Operation::AttachRolePolicy
                | Operation::DetachRolePolicy
                | Operation::ListAttachedRolePolicies
                | Operation::AttachGroupPolicy
                | Operation::DetachGroupPolicy
                | Operation::ListAttachedGroupPolicies
                | Operation::ListEntitiesForPolicy
                | Operation::PutUserPermissionsBoundary
                | Operation::DeleteUserPermissionsBoundary
                | Operation::PutRolePermissionsBoundary
                | Operation::DeleteRolePermissionsBoundary
                | Operation::GetAccessKeyLastUsed
                | Operation::UpdateAccessKey
                | Operation::CreateOpenIDConnectProvider
                | Operation::GetOpenIDConnectProvider
                | Operation::ListOpenIDConnectProviders
                | Operation::DeleteOpenIDConnectProvider
                | Operation::AddClientIDToOpenIDConnectProvider
                | Operation::RemoveClientIDFromOpenIDConnectProvider
                | Operation::UpdateOpenIDConnectProviderThumbprint
                | Operation::TagOpenIDConnectProvider
                | Operation::UntagOpenIDConnectProvider
                | Operation::ListOpenIDConnectProviderTags
                | Operation::TagPolicy
                | Operation::UntagPolicy
                | Operation::ListPolicyTags
        )
}

/// Parses and validates `body` as the request of operation `name` exactly
/// as `dispatch` does before running it, and drops it; `None` when `name`
/// is none of [`request_operations`]. A refusal is the error code and
/// message the caller would get. The request-body fuzz target's entry point.
pub fn parse_request(name: &str, body: &[u8]) -> Option<Result<(), (ErrorCode, String)>> {
    let op = Operation::named(name).filter(|op| op.served() && !query_only(*op))?;
    Some(parse_only(op, body).map_err(|e| (e.code, e.message)))
}

/// The parse and validation step of [`dispatch`] alone. Exhaustive like
/// it: the request type of a KMS operation is the one its `Kms` method
/// takes, so the two cannot drift apart.
fn parse_only(op: Operation, body: &[u8]) -> Result<(), ApiError> {
    use trent_api::admin::{
        AccessKeysRequest, CreateAccountRequest, CreateUserRequest, DeleteAccessKeyRequest, ListUsersRequest,
        PutUserPolicyRequest, ReadAuditTrailRequest, RotateRootRequest, SealRequest, TagUserRequest, UntagUserRequest,
        UserPolicyRequest, UserRequest, VerifyAuditTrailRequest,
    };
    use Operation as O;
    match op {
        O::CreateKey => parse_for(Kms::create_key, body),
        O::DescribeKey => parse_for(Kms::describe_key, body),
        O::ListKeys => parse_for(Kms::list_keys, body),
        O::EnableKey => parse_for(Kms::enable_key, body),
        O::DisableKey => parse_for(Kms::disable_key, body),
        O::Encrypt => parse_for(Kms::encrypt, body),
        O::Decrypt => parse_for(Kms::decrypt, body),
        O::ReEncrypt => parse_for(Kms::re_encrypt, body),
        O::GenerateDataKey => parse_for(Kms::generate_data_key, body),
        O::GenerateDataKeyWithoutPlaintext => parse_for(Kms::generate_data_key_without_plaintext, body),
        O::GenerateRandom => parse_for(Kms::generate_random, body),
        O::CreateAlias => parse_for(Kms::create_alias, body),
        O::DeleteAlias => parse_for(Kms::delete_alias, body),
        O::UpdateAlias => parse_for(Kms::update_alias, body),
        O::ListAliases => parse_for(Kms::list_aliases, body),
        O::UpdateKeyDescription => parse_for(Kms::update_key_description, body),
        O::TagResource => parse_for(Kms::tag_resource, body),
        O::UntagResource => parse_for(Kms::untag_resource, body),
        O::ListResourceTags => parse_for(Kms::list_resource_tags, body),
        O::ScheduleKeyDeletion => parse_for(Kms::schedule_key_deletion, body),
        O::CancelKeyDeletion => parse_for(Kms::cancel_key_deletion, body),
        O::EnableKeyRotation => parse_for(Kms::enable_key_rotation, body),
        O::DisableKeyRotation => parse_for(Kms::disable_key_rotation, body),
        O::GetKeyRotationStatus => parse_for(Kms::get_key_rotation_status, body),
        O::RotateKeyOnDemand => parse_for(Kms::rotate_key_on_demand, body),
        O::ListKeyRotations => parse_for(Kms::list_key_rotations, body),
        O::GetParametersForImport => parse_for(Kms::get_parameters_for_import, body),
        O::ImportKeyMaterial => parse_for(Kms::import_key_material, body),
        O::DeleteImportedKeyMaterial => parse_for(Kms::delete_imported_key_material, body),
        O::Sign => parse_for(Kms::sign, body),
        O::Verify => parse_for(Kms::verify, body),
        O::GetPublicKey => parse_for(Kms::get_public_key, body),
        O::GenerateMac => parse_for(Kms::generate_mac, body),
        O::VerifyMac => parse_for(Kms::verify_mac, body),
        O::DeriveSharedSecret => parse_for(Kms::derive_shared_secret, body),
        O::Encapsulate => parse_for(Kms::encapsulate, body),
        O::Decapsulate => parse_for(Kms::decapsulate, body),
        O::GenerateDataKeyPair => parse_for(Kms::generate_data_key_pair, body),
        O::PutKeyPolicy => parse_for(Kms::put_key_policy, body),
        O::GetKeyPolicy => parse_for(Kms::get_key_policy, body),
        O::ListKeyPolicies => parse_for(Kms::list_key_policies, body),
        O::CreateGrant => parse_for(Kms::create_grant, body),
        O::ListGrants => parse_for(Kms::list_grants, body),
        O::ListRetirableGrants => parse_for(Kms::list_retirable_grants, body),
        O::RetireGrant => parse_for(Kms::retire_grant, body),
        O::RevokeGrant => parse_for(Kms::revoke_grant, body),
        O::GetKeyLastUsage => parse_for(Kms::get_key_last_usage, body),
        O::ReplicateKey => parse_for(Kms::replicate_key, body),
        O::UpdatePrimaryRegion => parse_for(Kms::update_primary_region, body),
        O::GenerateDataKeyPairWithoutPlaintext => parse_for(Kms::generate_data_key_pair_without_plaintext, body),
        O::LookupEvents => parse_for(Kms::lookup_events, body),
        O::CreateCustomKeyStore => parse_for(Kms::create_custom_key_store, body),
        O::DescribeCustomKeyStores => parse_for(Kms::describe_custom_key_stores, body),
        O::ConnectCustomKeyStore => parse_for(Kms::connect_custom_key_store, body),
        O::DisconnectCustomKeyStore => parse_for(Kms::disconnect_custom_key_store, body),
        O::UpdateCustomKeyStore => parse_for(Kms::update_custom_key_store, body),
        O::DeleteCustomKeyStore => parse_for(Kms::delete_custom_key_store, body),
        O::CreateAccount => check::<CreateAccountRequest>(body),
        O::Seal => check::<SealRequest>(body),
        O::RotateRoot => check::<RotateRootRequest>(body),
        O::CreateUser => check::<CreateUserRequest>(body),
        O::DeleteUser | O::ListUserPolicies | O::ListUserTags => check::<UserRequest>(body),
        O::ListUsers => check::<ListUsersRequest>(body),
        O::PutUserPolicy => check::<PutUserPolicyRequest>(body),
        O::GetUserPolicy | O::DeleteUserPolicy => check::<UserPolicyRequest>(body),
        O::TagUser => check::<TagUserRequest>(body),
        O::UntagUser => check::<UntagUserRequest>(body),
        O::CreateAccessKey | O::ListAccessKeys | O::GetUser => check::<AccessKeysRequest>(body),
        O::DeleteAccessKey => check::<DeleteAccessKeyRequest>(body),
        O::ReadAuditTrail => check::<ReadAuditTrailRequest>(body),
        O::VerifyAuditTrail => check::<VerifyAuditTrailRequest>(body),
        O::GetUsage => check::<trent_api::admin::GetUsageRequest>(body),
        // The Query protocol's alone (IAM's roles, STS): no JSON shape.
        O::CreateRole
        | O::GetRole
        | O::ListRoles
        | O::UpdateRole
        | O::UpdateAssumeRolePolicy
        | O::DeleteRole
        | O::TagRole
        | O::UntagRole
        | O::ListRoleTags
        | O::PutRolePolicy
        | O::GetRolePolicy
        | O::DeleteRolePolicy
        | O::ListRolePolicies
        | O::CreateGroup
        | O::GetGroup
        | O::ListGroups
        | O::DeleteGroup
        | O::AddUserToGroup
        | O::RemoveUserFromGroup
        | O::ListGroupsForUser
        | O::PutGroupPolicy
        | O::GetGroupPolicy
        | O::DeleteGroupPolicy
        | O::ListGroupPolicies
        | O::CreatePolicy
        | O::GetPolicy
        | O::DeletePolicy
        | O::ListPolicies
        | O::CreatePolicyVersion
        | O::GetPolicyVersion
        | O::ListPolicyVersions
        | O::DeletePolicyVersion
        | O::SetDefaultPolicyVersion
        | O::AttachUserPolicy
        | O::DetachUserPolicy
        | O::ListAttachedUserPolicies
        | O::AttachRolePolicy
        | O::DetachRolePolicy
        | O::ListAttachedRolePolicies
        | O::AttachGroupPolicy
        | O::DetachGroupPolicy
        | O::ListAttachedGroupPolicies
        | O::ListEntitiesForPolicy
        | O::PutUserPermissionsBoundary
        | O::DeleteUserPermissionsBoundary
        | O::PutRolePermissionsBoundary
        | O::DeleteRolePermissionsBoundary
        | O::GetAccessKeyLastUsed
        | O::UpdateAccessKey
        | O::CreateOpenIDConnectProvider
        | O::GetOpenIDConnectProvider
        | O::ListOpenIDConnectProviders
        | O::DeleteOpenIDConnectProvider
        | O::AddClientIDToOpenIDConnectProvider
        | O::RemoveClientIDFromOpenIDConnectProvider
        | O::UpdateOpenIDConnectProviderThumbprint
        | O::TagOpenIDConnectProvider
        | O::UntagOpenIDConnectProvider
        | O::ListOpenIDConnectProviderTags
        | O::TagPolicy
        | O::UntagPolicy
        | O::ListPolicyTags
        | O::GetCallerIdentity
        | O::AssumeRole
        | O::GetSessionToken
        | O::AssumeRoleWithWebIdentity => Ok(()),
    }
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

fn parse<Req: DeserializeOwned + Validate>(body: &[u8]) -> Result<Req, ApiError> {
    parse_keeping(body, |_| {})
}

/// Parses `body` as a `Req`, hands its audit members (`requestParameters`)
/// to `keep` once it is read (before it is validated: an invalid request's
/// event names what it asked for), and validates it. The body is read once
/// for both ([`trent_core::audit::parse_with_parameters`]).
fn parse_keeping<Req: DeserializeOwned + Validate>(
    body: &[u8],
    keep: impl FnOnce(serde_json::Value),
) -> Result<Req, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { body };
    let (req, parameters) = trent_core::audit::parse_with_parameters::<Req>(body).map_err(|e| {
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
    keep(parameters);
    req.validate().map_err(|m| ApiError::new(ErrorCode::Validation, m))?;
    Ok(req)
}

/// Parses `body` as `caller`'s request (its event keeping the request's
/// members), runs `op` on it, serializes the answer.
async fn call<Req, Resp, F, Fut>(caller: &Caller, body: &[u8], op: F) -> Result<Vec<u8>, ApiError>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
    F: FnOnce(Req) -> Fut,
    Fut: Future<Output = Result<Resp, KmsError>>,
{
    let req = parse_keeping::<Req>(body, |parameters| caller.audit.set_request_parameters(parameters))?;
    let resp = op(req).await.map_err(ApiError::from_kms)?;
    serde_json::to_vec(&resp).map_err(|e| ApiError::internal(format!("serializing response: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_operation_has_a_request_parser() {
        let mut n = 0;
        for op in request_operations() {
            n += 1;
            assert!(parse_request(op, b"{").is_some(), "{op} has no parser");
            let (code, _) = parse_request(op, b"[1").unwrap().unwrap_err();
            assert_eq!(code, ErrorCode::Serialization, "{op}");
        }
        assert_eq!(n, 77, "56 KMS operations, 6 administrative ones, 14 of IAM's and LookupEvents");
        assert!(parse_request("ConnectCustomKeyStore", b"{}").unwrap().is_err());
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
