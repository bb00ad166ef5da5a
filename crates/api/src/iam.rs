//! AWS IAM's user operations over the Query protocol (API version
//! 2010-05-08): each action's request members and their parsing into the
//! request shapes the administrative API already validates ([`IamRequest`]),
//! and paging ([`Page`]); the answer's shapes as XML ([`User`],
//! [`AccessKey`]) and the one mapping of Trent's error codes to IAM's
//! ([`wire_error`]) are `iam_answers.rs`'s, re-exported here.
//!
//! Member constraints are the service model's
//! (botocore `iam/2010-05-08/service-2.json`): `userNameType` 1–64 of
//! `[\w+=,.@-]`, `policyNameType` 1–128, `policyDocumentType` 1–131072,
//! tag keys 1–128 and values 0–256, at most 50 tags, `markerType` 1–320 of
//! `[\u0020-\u00FF]`, `maxItemsType` 1–1000 (default 100).

use crate::admin::{
    AccessKeysRequest, CreateUserRequest, DeleteAccessKeyRequest, PutUserPolicyRequest, TagUserRequest,
    UntagUserRequest, UserPolicyRequest, UserRequest,
};
pub use crate::iam_answers::{wire_error, write_permissions_boundary, write_tags, write_truncation, AccessKey, User};
use crate::iam_groups::{
    CreateGroupRequest, GroupMemberRequest, GroupPolicyRequest, GroupRequest, GroupsForUserRequest,
    PutGroupPolicyRequest,
};
use crate::iam_oidc::{
    CreateOidcProviderRequest, OidcClientIdRequest, OidcProviderRequest, TagOidcProviderRequest,
    UntagOidcProviderRequest, UpdateOidcThumbprintRequest,
};
use crate::iam_policies::{
    AccessKeyLastUsedRequest, AttachPolicyRequest, CreatePolicyRequest, CreatePolicyVersionRequest,
    DeleteBoundaryRequest, ListAttachedRequest, ListEntitiesForPolicyRequest, ListPoliciesRequest, PolicyRequest,
    PolicyVersionRequest, PutBoundaryRequest, TagPolicyRequest, UntagPolicyRequest, UpdateAccessKeyRequest,
};
use crate::iam_roles::{
    CreateRoleRequest, PutRolePolicyRequest, RolePolicyRequest, RoleRequest, TagRoleRequest, UntagRoleRequest,
    UpdateAssumeRolePolicyRequest, UpdateRoleRequest,
};
use crate::query::{Kind, Params};
use crate::validate::Validate;
use crate::{ErrorCode, Operation};
use base64::Engine as _;

const TAGS: Kind = Kind::Structs(&["Key", "Value"]);
const PAGING: [(&str, Kind); 2] = [("Marker", Kind::Str), ("MaxItems", Kind::Str)];

/// A parsed request of one of IAM's user operations. `Page` is the
/// `Marker`/`MaxItems` of a list.
#[derive(Debug)]
pub enum IamRequest {
    /// CreateUser.
    CreateUser(CreateUserRequest),
    /// GetUser: without `UserName`, the caller.
    GetUser(AccessKeysRequest),
    /// DeleteUser.
    DeleteUser(UserRequest),
    /// ListUsers (every user has the path `/`, so a `PathPrefix` other
    /// than `/` lists none).
    ListUsers(Option<String>, Page),
    /// PutUserPolicy.
    PutUserPolicy(PutUserPolicyRequest),
    /// GetUserPolicy.
    GetUserPolicy(UserPolicyRequest),
    /// DeleteUserPolicy.
    DeleteUserPolicy(UserPolicyRequest),
    /// ListUserPolicies.
    ListUserPolicies(UserRequest, Page),
    /// TagUser.
    TagUser(TagUserRequest),
    /// UntagUser.
    UntagUser(UntagUserRequest),
    /// ListUserTags.
    ListUserTags(UserRequest, Page),
    /// CreateAccessKey: without `UserName`, the caller's.
    CreateAccessKey(AccessKeysRequest),
    /// ListAccessKeys: without `UserName`, the caller's.
    ListAccessKeys(AccessKeysRequest, Page),
    /// DeleteAccessKey: without `UserName`, the caller's.
    DeleteAccessKey(DeleteAccessKeyRequest),
    /// CreateRole.
    CreateRole(CreateRoleRequest),
    /// GetRole.
    GetRole(RoleRequest),
    /// ListRoles (with a `PathPrefix`).
    ListRoles(Option<String>, Page),
    /// UpdateRole.
    UpdateRole(UpdateRoleRequest),
    /// UpdateAssumeRolePolicy.
    UpdateAssumeRolePolicy(UpdateAssumeRolePolicyRequest),
    /// DeleteRole.
    DeleteRole(RoleRequest),
    /// TagRole.
    TagRole(TagRoleRequest),
    /// UntagRole.
    UntagRole(UntagRoleRequest),
    /// ListRoleTags.
    ListRoleTags(RoleRequest, Page),
    /// PutRolePolicy.
    PutRolePolicy(PutRolePolicyRequest),
    /// GetRolePolicy.
    GetRolePolicy(RolePolicyRequest),
    /// DeleteRolePolicy.
    DeleteRolePolicy(RolePolicyRequest),
    /// ListRolePolicies.
    ListRolePolicies(RoleRequest, Page),
    /// CreateGroup.
    CreateGroup(CreateGroupRequest),
    /// GetGroup (its members paged).
    GetGroup(GroupRequest, Page),
    /// ListGroups (with a `PathPrefix`).
    ListGroups(Option<String>, Page),
    /// DeleteGroup.
    DeleteGroup(GroupRequest),
    /// AddUserToGroup.
    AddUserToGroup(GroupMemberRequest),
    /// RemoveUserFromGroup.
    RemoveUserFromGroup(GroupMemberRequest),
    /// ListGroupsForUser.
    ListGroupsForUser(GroupsForUserRequest, Page),
    /// PutGroupPolicy.
    PutGroupPolicy(PutGroupPolicyRequest),
    /// GetGroupPolicy.
    GetGroupPolicy(GroupPolicyRequest),
    /// DeleteGroupPolicy.
    DeleteGroupPolicy(GroupPolicyRequest),
    /// ListGroupPolicies.
    ListGroupPolicies(GroupRequest, Page),
    /// CreatePolicy.
    CreatePolicy(CreatePolicyRequest),
    /// GetPolicy.
    GetPolicy(PolicyRequest),
    /// DeletePolicy.
    DeletePolicy(PolicyRequest),
    /// ListPolicies.
    ListPolicies(ListPoliciesRequest, Page),
    /// CreatePolicyVersion.
    CreatePolicyVersion(CreatePolicyVersionRequest),
    /// GetPolicyVersion.
    GetPolicyVersion(PolicyVersionRequest),
    /// ListPolicyVersions.
    ListPolicyVersions(PolicyRequest, Page),
    /// DeletePolicyVersion.
    DeletePolicyVersion(PolicyVersionRequest),
    /// SetDefaultPolicyVersion.
    SetDefaultPolicyVersion(PolicyVersionRequest),
    /// Attach{User,Role,Group}Policy (the operation says which).
    AttachPolicy(AttachPolicyRequest),
    /// Detach{User,Role,Group}Policy.
    DetachPolicy(AttachPolicyRequest),
    /// ListAttached{User,Role,Group}Policies.
    ListAttachedPolicies(ListAttachedRequest, Page),
    /// ListEntitiesForPolicy.
    ListEntitiesForPolicy(ListEntitiesForPolicyRequest, Page),
    /// Put{User,Role}PermissionsBoundary.
    PutPermissionsBoundary(PutBoundaryRequest),
    /// Delete{User,Role}PermissionsBoundary.
    DeletePermissionsBoundary(DeleteBoundaryRequest),
    /// GetAccessKeyLastUsed.
    GetAccessKeyLastUsed(AccessKeyLastUsedRequest),
    /// UpdateAccessKey: without `UserName`, the caller's.
    UpdateAccessKey(UpdateAccessKeyRequest),
    /// TagPolicy.
    TagPolicy(TagPolicyRequest),
    /// UntagPolicy.
    UntagPolicy(UntagPolicyRequest),
    /// ListPolicyTags.
    ListPolicyTags(PolicyRequest, Page),
    /// CreateOpenIDConnectProvider.
    CreateOpenIDConnectProvider(CreateOidcProviderRequest),
    /// GetOpenIDConnectProvider.
    GetOpenIDConnectProvider(OidcProviderRequest),
    /// ListOpenIDConnectProviders (unpaged, as IAM's).
    ListOpenIDConnectProviders,
    /// DeleteOpenIDConnectProvider.
    DeleteOpenIDConnectProvider(OidcProviderRequest),
    /// AddClientIDToOpenIDConnectProvider.
    AddClientIDToOpenIDConnectProvider(OidcClientIdRequest),
    /// RemoveClientIDFromOpenIDConnectProvider.
    RemoveClientIDFromOpenIDConnectProvider(OidcClientIdRequest),
    /// UpdateOpenIDConnectProviderThumbprint.
    UpdateOpenIDConnectProviderThumbprint(UpdateOidcThumbprintRequest),
    /// TagOpenIDConnectProvider.
    TagOpenIDConnectProvider(TagOidcProviderRequest),
    /// UntagOpenIDConnectProvider.
    UntagOpenIDConnectProvider(UntagOidcProviderRequest),
    /// ListOpenIDConnectProviderTags.
    ListOpenIDConnectProviderTags(OidcProviderRequest, Page),
}

/// A refusal of a request's parameters: the error code and AWS's message.
pub type Refusal = (ErrorCode, String);

impl IamRequest {
    /// The request members of IAM operation `op` that Trent reads (the
    /// model's, less the permissions boundary and paths, which Trent does
    /// not keep); `None` when `op` is not one of IAM's.
    pub fn members(op: Operation) -> Option<&'static [(&'static str, Kind)]> {
        use Operation as O;
        const USER: &[(&str, Kind)] = &[("UserName", Kind::Str)];
        const USER_PAGED: &[(&str, Kind)] = &[("UserName", Kind::Str), PAGING[0], PAGING[1]];
        const ROLE: &[(&str, Kind)] = &[("RoleName", Kind::Str)];
        const ROLE_PAGED: &[(&str, Kind)] = &[("RoleName", Kind::Str), PAGING[0], PAGING[1]];
        const GROUP: &[(&str, Kind)] = &[("GroupName", Kind::Str)];
        const GROUP_PAGED: &[(&str, Kind)] = &[("GroupName", Kind::Str), PAGING[0], PAGING[1]];
        const POLICY: &[(&str, Kind)] = &[("PolicyArn", Kind::Str)];
        const OIDC: &[(&str, Kind)] = &[("OpenIDConnectProviderArn", Kind::Str)];
        Some(match op {
            O::CreateUser => &[("UserName", Kind::Str), ("Tags", TAGS), ("Path", Kind::Str)],
            O::GetUser | O::DeleteUser | O::CreateAccessKey => USER,
            O::ListUsers => &[("PathPrefix", Kind::Str), PAGING[0], PAGING[1]],
            O::PutUserPolicy => &[("UserName", Kind::Str), ("PolicyName", Kind::Str), ("PolicyDocument", Kind::Str)],
            O::GetUserPolicy | O::DeleteUserPolicy => &[("UserName", Kind::Str), ("PolicyName", Kind::Str)],
            O::ListUserPolicies | O::ListUserTags | O::ListAccessKeys => USER_PAGED,
            O::TagUser => &[("UserName", Kind::Str), ("Tags", TAGS)],
            O::UntagUser => &[("UserName", Kind::Str), ("TagKeys", Kind::List)],
            O::DeleteAccessKey => &[("UserName", Kind::Str), ("AccessKeyId", Kind::Str)],
            O::CreateRole => &[
                ("RoleName", Kind::Str),
                ("Path", Kind::Str),
                ("AssumeRolePolicyDocument", Kind::Str),
                ("Description", Kind::Str),
                ("MaxSessionDuration", Kind::Str),
                ("Tags", TAGS),
            ],
            O::GetRole | O::DeleteRole => ROLE,
            O::ListRoles => &[("PathPrefix", Kind::Str), PAGING[0], PAGING[1]],
            O::ListRoleTags | O::ListRolePolicies => ROLE_PAGED,
            O::UpdateRole => &[("RoleName", Kind::Str), ("Description", Kind::Str), ("MaxSessionDuration", Kind::Str)],
            O::UpdateAssumeRolePolicy => &[("RoleName", Kind::Str), ("PolicyDocument", Kind::Str)],
            O::TagRole => &[("RoleName", Kind::Str), ("Tags", TAGS)],
            O::UntagRole => &[("RoleName", Kind::Str), ("TagKeys", Kind::List)],
            O::PutRolePolicy => &[("RoleName", Kind::Str), ("PolicyName", Kind::Str), ("PolicyDocument", Kind::Str)],
            O::GetRolePolicy | O::DeleteRolePolicy => &[("RoleName", Kind::Str), ("PolicyName", Kind::Str)],
            O::CreateGroup => &[("GroupName", Kind::Str), ("Path", Kind::Str)],
            O::DeleteGroup => GROUP,
            O::GetGroup | O::ListGroupPolicies => GROUP_PAGED,
            O::ListGroups => &[("PathPrefix", Kind::Str), PAGING[0], PAGING[1]],
            O::AddUserToGroup | O::RemoveUserFromGroup => &[("GroupName", Kind::Str), ("UserName", Kind::Str)],
            O::ListGroupsForUser => USER_PAGED,
            O::PutGroupPolicy => &[("GroupName", Kind::Str), ("PolicyName", Kind::Str), ("PolicyDocument", Kind::Str)],
            O::GetGroupPolicy | O::DeleteGroupPolicy => &[("GroupName", Kind::Str), ("PolicyName", Kind::Str)],
            O::CreatePolicy => &[
                ("PolicyName", Kind::Str),
                ("Path", Kind::Str),
                ("PolicyDocument", Kind::Str),
                ("Description", Kind::Str),
                ("Tags", TAGS),
            ],
            O::GetPolicy | O::DeletePolicy => POLICY,
            O::ListPolicyVersions => &[("PolicyArn", Kind::Str), PAGING[0], PAGING[1]],
            O::ListPolicies => &[
                ("Scope", Kind::Str),
                ("OnlyAttached", Kind::Str),
                ("PathPrefix", Kind::Str),
                ("PolicyUsageFilter", Kind::Str),
                PAGING[0],
                PAGING[1],
            ],
            O::CreatePolicyVersion => {
                &[("PolicyArn", Kind::Str), ("PolicyDocument", Kind::Str), ("SetAsDefault", Kind::Str)]
            }
            O::GetPolicyVersion | O::DeletePolicyVersion | O::SetDefaultPolicyVersion => {
                &[("PolicyArn", Kind::Str), ("VersionId", Kind::Str)]
            }
            O::AttachUserPolicy | O::DetachUserPolicy => &[("UserName", Kind::Str), ("PolicyArn", Kind::Str)],
            O::AttachRolePolicy | O::DetachRolePolicy => &[("RoleName", Kind::Str), ("PolicyArn", Kind::Str)],
            O::AttachGroupPolicy | O::DetachGroupPolicy => &[("GroupName", Kind::Str), ("PolicyArn", Kind::Str)],
            O::ListAttachedUserPolicies => &[("UserName", Kind::Str), ("PathPrefix", Kind::Str), PAGING[0], PAGING[1]],
            O::ListAttachedRolePolicies => &[("RoleName", Kind::Str), ("PathPrefix", Kind::Str), PAGING[0], PAGING[1]],
            O::ListAttachedGroupPolicies => {
                &[("GroupName", Kind::Str), ("PathPrefix", Kind::Str), PAGING[0], PAGING[1]]
            }
            O::ListEntitiesForPolicy => &[
                ("PolicyArn", Kind::Str),
                ("EntityFilter", Kind::Str),
                ("PathPrefix", Kind::Str),
                ("PolicyUsageFilter", Kind::Str),
                PAGING[0],
                PAGING[1],
            ],
            O::PutUserPermissionsBoundary => &[("UserName", Kind::Str), ("PermissionsBoundary", Kind::Str)],
            O::PutRolePermissionsBoundary => &[("RoleName", Kind::Str), ("PermissionsBoundary", Kind::Str)],
            O::DeleteUserPermissionsBoundary => USER,
            O::DeleteRolePermissionsBoundary => ROLE,
            O::GetAccessKeyLastUsed => &[("AccessKeyId", Kind::Str)],
            O::UpdateAccessKey => &[("UserName", Kind::Str), ("AccessKeyId", Kind::Str), ("Status", Kind::Str)],
            O::TagPolicy => &[("PolicyArn", Kind::Str), ("Tags", TAGS)],
            O::UntagPolicy => &[("PolicyArn", Kind::Str), ("TagKeys", Kind::List)],
            O::ListPolicyTags => &[("PolicyArn", Kind::Str), PAGING[0], PAGING[1]],
            O::CreateOpenIDConnectProvider => {
                &[("Url", Kind::Str), ("ClientIDList", Kind::List), ("ThumbprintList", Kind::List), ("Tags", TAGS)]
            }
            O::GetOpenIDConnectProvider | O::DeleteOpenIDConnectProvider => OIDC,
            O::ListOpenIDConnectProviders => &[],
            O::AddClientIDToOpenIDConnectProvider | O::RemoveClientIDFromOpenIDConnectProvider => {
                &[("OpenIDConnectProviderArn", Kind::Str), ("ClientID", Kind::Str)]
            }
            O::UpdateOpenIDConnectProviderThumbprint => {
                &[("OpenIDConnectProviderArn", Kind::Str), ("ThumbprintList", Kind::List)]
            }
            O::TagOpenIDConnectProvider => &[("OpenIDConnectProviderArn", Kind::Str), ("Tags", TAGS)],
            O::UntagOpenIDConnectProvider => &[("OpenIDConnectProviderArn", Kind::Str), ("TagKeys", Kind::List)],
            O::ListOpenIDConnectProviderTags => &[("OpenIDConnectProviderArn", Kind::Str), PAGING[0], PAGING[1]],
            _ => return None,
        })
    }

    /// Parses and validates the parameters of `op`; `None` when `op` is not
    /// one of IAM's. Constraint violations are `ValidationError` with the
    /// model's wording.
    pub fn parse(op: Operation, params: &Params) -> Option<Result<IamRequest, Refusal>> {
        use Operation as O;
        let members = Self::members(op)?;
        let json = params.to_json(members);
        let page = || Page::parse(params);
        Some((|| {
            Ok(match op {
                O::CreateUser => {
                    if params.get("PermissionsBoundary").is_some() {
                        return Err((
                            ErrorCode::Validation,
                            "Trent does not take a permissions boundary at CreateUser: set it with \
                             PutUserPermissionsBoundary."
                                .into(),
                        ));
                    }
                    check_path(params.get("Path"), "path", true)?;
                    IamRequest::CreateUser(shape(strip(json, &["Path"]))?)
                }
                O::GetUser => IamRequest::GetUser(shape(json)?),
                O::DeleteUser => IamRequest::DeleteUser(shape(json)?),
                O::ListUsers => {
                    let prefix = params.get("PathPrefix");
                    check_path(prefix, "pathPrefix", false)?;
                    IamRequest::ListUsers(prefix.map(str::to_owned), page()?)
                }
                O::PutUserPolicy => IamRequest::PutUserPolicy(shape(json)?),
                O::GetUserPolicy => IamRequest::GetUserPolicy(shape(json)?),
                O::DeleteUserPolicy => IamRequest::DeleteUserPolicy(shape(json)?),
                O::ListUserPolicies => IamRequest::ListUserPolicies(shape(strip(json, &PAGE_NAMES))?, page()?),
                O::TagUser => IamRequest::TagUser(shape(json)?),
                O::UntagUser => IamRequest::UntagUser(shape(json)?),
                O::ListUserTags => IamRequest::ListUserTags(shape(strip(json, &PAGE_NAMES))?, page()?),
                O::CreateAccessKey => IamRequest::CreateAccessKey(shape(json)?),
                O::ListAccessKeys => IamRequest::ListAccessKeys(shape(strip(json, &PAGE_NAMES))?, page()?),
                O::DeleteAccessKey => IamRequest::DeleteAccessKey(shape(json)?),
                O::CreateRole => {
                    if params.get("PermissionsBoundary").is_some() {
                        return Err((
                            ErrorCode::Validation,
                            "Trent does not take a permissions boundary at CreateRole: set it with \
                             PutRolePermissionsBoundary."
                                .into(),
                        ));
                    }
                    check_path(params.get("Path"), "path", false)?;
                    IamRequest::CreateRole(shape(json)?)
                }
                O::GetRole => IamRequest::GetRole(shape(json)?),
                O::ListRoles => {
                    let prefix = params.get("PathPrefix");
                    check_path(prefix, "pathPrefix", false)?;
                    IamRequest::ListRoles(prefix.map(str::to_owned), page()?)
                }
                O::UpdateRole => IamRequest::UpdateRole(shape(json)?),
                O::UpdateAssumeRolePolicy => IamRequest::UpdateAssumeRolePolicy(shape(json)?),
                O::DeleteRole => IamRequest::DeleteRole(shape(json)?),
                O::TagRole => IamRequest::TagRole(shape(json)?),
                O::UntagRole => IamRequest::UntagRole(shape(json)?),
                O::ListRoleTags => IamRequest::ListRoleTags(shape(strip(json, &PAGE_NAMES))?, page()?),
                O::PutRolePolicy => IamRequest::PutRolePolicy(shape(json)?),
                O::GetRolePolicy => IamRequest::GetRolePolicy(shape(json)?),
                O::DeleteRolePolicy => IamRequest::DeleteRolePolicy(shape(json)?),
                O::ListRolePolicies => IamRequest::ListRolePolicies(shape(strip(json, &PAGE_NAMES))?, page()?),
                O::CreateGroup => {
                    check_path(params.get("Path"), "path", false)?;
                    IamRequest::CreateGroup(shape(json)?)
                }
                O::GetGroup => IamRequest::GetGroup(shape(strip(json, &PAGE_NAMES))?, page()?),
                O::ListGroups => {
                    let prefix = params.get("PathPrefix");
                    check_path(prefix, "pathPrefix", false)?;
                    IamRequest::ListGroups(prefix.map(str::to_owned), page()?)
                }
                O::DeleteGroup => IamRequest::DeleteGroup(shape(json)?),
                O::AddUserToGroup => IamRequest::AddUserToGroup(shape(json)?),
                O::RemoveUserFromGroup => IamRequest::RemoveUserFromGroup(shape(json)?),
                O::ListGroupsForUser => IamRequest::ListGroupsForUser(shape(strip(json, &PAGE_NAMES))?, page()?),
                O::PutGroupPolicy => IamRequest::PutGroupPolicy(shape(json)?),
                O::GetGroupPolicy => IamRequest::GetGroupPolicy(shape(json)?),
                O::DeleteGroupPolicy => IamRequest::DeleteGroupPolicy(shape(json)?),
                O::ListGroupPolicies => IamRequest::ListGroupPolicies(shape(strip(json, &PAGE_NAMES))?, page()?),
                O::CreatePolicy => {
                    check_path(params.get("Path"), "path", false)?;
                    IamRequest::CreatePolicy(shape(json)?)
                }
                O::GetPolicy => IamRequest::GetPolicy(shape(json)?),
                O::DeletePolicy => IamRequest::DeletePolicy(shape(json)?),
                O::ListPolicies => {
                    check_path(params.get("PathPrefix"), "pathPrefix", false)?;
                    IamRequest::ListPolicies(shape(strip(json, &PAGE_NAMES))?, page()?)
                }
                O::CreatePolicyVersion => IamRequest::CreatePolicyVersion(shape(json)?),
                O::GetPolicyVersion => IamRequest::GetPolicyVersion(shape(json)?),
                O::ListPolicyVersions => IamRequest::ListPolicyVersions(shape(strip(json, &PAGE_NAMES))?, page()?),
                O::DeletePolicyVersion => IamRequest::DeletePolicyVersion(shape(json)?),
                O::SetDefaultPolicyVersion => IamRequest::SetDefaultPolicyVersion(shape(json)?),
                O::AttachUserPolicy | O::AttachRolePolicy | O::AttachGroupPolicy => {
                    IamRequest::AttachPolicy(shape_at(json, entity_member(op), |r: &mut AttachPolicyRequest, at| {
                        r.at = at
                    })?)
                }
                O::DetachUserPolicy | O::DetachRolePolicy | O::DetachGroupPolicy => {
                    IamRequest::DetachPolicy(shape_at(json, entity_member(op), |r: &mut AttachPolicyRequest, at| {
                        r.at = at
                    })?)
                }
                O::ListAttachedUserPolicies | O::ListAttachedRolePolicies | O::ListAttachedGroupPolicies => {
                    check_path(params.get("PathPrefix"), "pathPrefix", false)?;
                    let json = strip(json, &PAGE_NAMES);
                    let r = shape_at(json, entity_member(op), |r: &mut ListAttachedRequest, at| r.at = at)?;
                    IamRequest::ListAttachedPolicies(r, page()?)
                }
                O::ListEntitiesForPolicy => {
                    check_path(params.get("PathPrefix"), "pathPrefix", false)?;
                    IamRequest::ListEntitiesForPolicy(shape(strip(json, &PAGE_NAMES))?, page()?)
                }
                O::PutUserPermissionsBoundary | O::PutRolePermissionsBoundary => IamRequest::PutPermissionsBoundary(
                    shape_at(json, entity_member(op), |r: &mut PutBoundaryRequest, at| r.at = at)?,
                ),
                O::DeleteUserPermissionsBoundary | O::DeleteRolePermissionsBoundary => {
                    IamRequest::DeletePermissionsBoundary(shape_at(
                        json,
                        entity_member(op),
                        |r: &mut DeleteBoundaryRequest, at| r.at = at,
                    )?)
                }
                O::GetAccessKeyLastUsed => IamRequest::GetAccessKeyLastUsed(shape(json)?),
                O::UpdateAccessKey => IamRequest::UpdateAccessKey(shape(json)?),
                O::TagPolicy => IamRequest::TagPolicy(shape(json)?),
                O::UntagPolicy => IamRequest::UntagPolicy(shape(json)?),
                O::ListPolicyTags => IamRequest::ListPolicyTags(shape(strip(json, &PAGE_NAMES))?, page()?),
                O::CreateOpenIDConnectProvider => {
                    if params.get("IdentityCenterInstanceArn").is_some()
                        || params.get("ContextProvider.SubjectSourceKey").is_some()
                    {
                        return Err((
                            ErrorCode::Validation,
                            "Trent does not take a ContextProvider or an IdentityCenterInstanceArn: it has no \
                             trusted identity propagation."
                                .into(),
                        ));
                    }
                    IamRequest::CreateOpenIDConnectProvider(shape(json)?)
                }
                O::GetOpenIDConnectProvider => IamRequest::GetOpenIDConnectProvider(shape(json)?),
                O::ListOpenIDConnectProviders => IamRequest::ListOpenIDConnectProviders,
                O::DeleteOpenIDConnectProvider => IamRequest::DeleteOpenIDConnectProvider(shape(json)?),
                O::AddClientIDToOpenIDConnectProvider => IamRequest::AddClientIDToOpenIDConnectProvider(shape(json)?),
                O::RemoveClientIDFromOpenIDConnectProvider => {
                    IamRequest::RemoveClientIDFromOpenIDConnectProvider(shape(json)?)
                }
                O::UpdateOpenIDConnectProviderThumbprint => {
                    IamRequest::UpdateOpenIDConnectProviderThumbprint(shape(json)?)
                }
                O::TagOpenIDConnectProvider => IamRequest::TagOpenIDConnectProvider(shape(json)?),
                O::UntagOpenIDConnectProvider => IamRequest::UntagOpenIDConnectProvider(shape(json)?),
                O::ListOpenIDConnectProviderTags => {
                    IamRequest::ListOpenIDConnectProviderTags(shape(strip(json, &PAGE_NAMES))?, page()?)
                }
                _ => return Err((ErrorCode::InvalidAction, String::new())),
            })
        })())
    }
}

const PAGE_NAMES: [&str; 2] = ["Marker", "MaxItems"];

fn strip(mut json: serde_json::Value, names: &[&str]) -> serde_json::Value {
    if let Some(m) = json.as_object_mut() {
        for n in names {
            m.remove(*n);
        }
    }
    json
}

/// The request shape of `json` (built from the form, so only its strings,
/// lists and structures), validated.
fn shape<T: serde::de::DeserializeOwned + Validate>(json: serde_json::Value) -> Result<T, Refusal> {
    let req: T = serde_json::from_value(json)
        .map_err(|e| (ErrorCode::ValidationError, format!("The request's parameters do not parse: {e}")))?;
    req.validate().map_err(|m| (ErrorCode::ValidationError, m))?;
    Ok(req)
}

/// [`shape`] for a request whose entity member (`UserName`, `RoleName` or
/// `GroupName`) is read into one field: `set` tells it the member's name
/// in messages (`at`) before it is validated.
fn shape_at<T: serde::de::DeserializeOwned + Validate>(
    json: serde_json::Value,
    at: &'static str,
    set: impl FnOnce(&mut T, &'static str),
) -> Result<T, Refusal> {
    let mut req: T = serde_json::from_value(json)
        .map_err(|e| (ErrorCode::ValidationError, format!("The request's parameters do not parse: {e}")))?;
    set(&mut req, at);
    req.validate().map_err(|m| (ErrorCode::ValidationError, m))?;
    Ok(req)
}

/// The entity member an attachment or boundary operation names, as its
/// messages spell it (`userName`, `roleName` or `groupName`): the one
/// place that tells which kind of entity such an operation is about.
pub fn entity_member(op: Operation) -> &'static str {
    let name = op.name();
    if name.contains("Group") {
        "groupName"
    } else if name.contains("Role") {
        "roleName"
    } else {
        "userName"
    }
}

/// `pathType`/`pathPrefixType`: Trent keeps every user (`users`) at `/`,
/// so only that path is accepted on a user's creation (a role may have
/// any, and a prefix may be any valid one).
fn check_path(path: Option<&str>, at: &str, users: bool) -> Result<(), Refusal> {
    let Some(p) = path else { return Ok(()) };
    let well_formed = (1..=512).contains(&p.chars().count())
        && p.starts_with('/')
        && p.chars().all(|c| ('\u{21}'..='\u{7F}').contains(&c));
    if !well_formed {
        return Err((
            ErrorCode::ValidationError,
            format!(
                "1 validation error detected: Value '{p}' at '{at}' failed to satisfy constraint: \
                 Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*"
            ),
        ));
    }
    if users && at == "path" && p != "/" {
        return Err((ErrorCode::Validation, format!("Trent keeps every user at the path /, not {p}.")));
    }
    Ok(())
}

/// `Marker` and `MaxItems` of a list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Where the previous page ended: the last item's key, as the
    /// previous answer's opaque `Marker` encoded it.
    pub after: Option<String>,
    /// At most this many items (1–1000, default 100).
    pub max_items: usize,
}

impl Page {
    fn parse(params: &Params) -> Result<Page, Refusal> {
        let invalid = |m: String| (ErrorCode::ValidationError, format!("1 validation error detected: {m}"));
        let max_items = match params.get("MaxItems") {
            None => 100,
            Some(v) => match v.parse::<i64>() {
                Ok(n @ 1..=1000) => usize::try_from(n).unwrap_or(100),
                Ok(n) => {
                    let bound = if n < 1 { "greater than or equal to 1" } else { "less than or equal to 1000" };
                    return Err(invalid(format!(
                        "Value '{n}' at 'maxItems' failed to satisfy constraint: Member must have value {bound}"
                    )));
                }
                Err(_) => {
                    return Err(invalid(format!(
                        "Value '{v}' at 'maxItems' failed to satisfy constraint: Member must be an integer"
                    )))
                }
            },
        };
        let after = match params.get("Marker") {
            None => None,
            Some(m) => {
                let ok =
                    (1..=320).contains(&m.chars().count()) && m.chars().all(|c| ('\u{20}'..='\u{FF}').contains(&c));
                let key = ok
                    .then(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(m).ok())
                    .flatten()
                    .and_then(|b| String::from_utf8(b).ok());
                match key {
                    Some(k) => Some(k),
                    None => {
                        return Err((
                            ErrorCode::ValidationError,
                            "Invalid Marker: not one this service returned.".into(),
                        ))
                    }
                }
            }
        };
        Ok(Page { after, max_items })
    }

    /// The page of `items` (in the list's order) after the marker: the
    /// items after the one whose `key` the marker names (or, if it has gone
    /// since, after the last key below it), at most `max_items`, and the
    /// marker of the next page when there are more.
    pub fn of<T>(&self, items: Vec<T>, key: impl Fn(&T) -> &str) -> (Vec<T>, Option<String>) {
        let start = match &self.after {
            None => 0,
            Some(after) => match items.iter().position(|i| key(i) == after) {
                Some(p) => p + 1,
                None => items.iter().position(|i| key(i) > after.as_str()).unwrap_or(items.len()),
            },
        };
        let mut page: Vec<T> = items.into_iter().skip(start).collect();
        if page.len() <= self.max_items {
            return (page, None);
        }
        page.truncate(self.max_items);
        let next = page.last().map(|i| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key(i)));
        (page, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::WireError;

    fn parse(op: Operation, body: &str) -> Result<IamRequest, Refusal> {
        IamRequest::parse(op, &Params::parse(body.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn every_iam_row_has_members_and_no_other_does() {
        for op in Operation::ALL {
            let iam = op.api() == crate::Api::Iam;
            assert_eq!(IamRequest::members(*op).is_some(), iam, "{}", op.name());
            if iam {
                // Every parser runs; nothing answers InvalidAction.
                let r = parse(*op, "");
                assert!(!matches!(r, Err((ErrorCode::InvalidAction, _))), "{}", op.name());
            }
        }
    }

    #[test]
    fn parameters_are_validated_as_the_model_says() {
        let IamRequest::CreateUser(r) =
            parse(Operation::CreateUser, "UserName=bob&Tags.member.1.Key=team&Tags.member.1.Value=blue").unwrap()
        else {
            panic!()
        };
        assert_eq!(r.user_name.as_deref(), Some("bob"));
        assert_eq!(r.tags.unwrap()[0].value.as_deref(), Some("blue"));
        let (code, m) = parse(Operation::CreateUser, "UserName=b%21d").unwrap_err();
        assert_eq!(code, ErrorCode::ValidationError);
        assert!(m.contains("at 'userName' failed to satisfy constraint"), "{m}");
        let (code, m) = parse(Operation::CreateUser, "").unwrap_err();
        assert_eq!(code, ErrorCode::ValidationError);
        assert!(m.contains("Value null at 'userName'"), "{m}");
        assert_eq!(
            parse(Operation::CreateUser, &format!("UserName={}", "a".repeat(65))).unwrap_err().0,
            ErrorCode::ValidationError
        );
        assert!(parse(Operation::CreateUser, "UserName=a&Path=/").is_ok());
        assert_eq!(parse(Operation::CreateUser, "UserName=a&Path=/x/").unwrap_err().0, ErrorCode::Validation);
        let (_, m) = parse(Operation::TagUser, "UserName=a&Tags.member.1.Key=").unwrap_err();
        assert!(m.contains("tags.1.member.key"), "{m}");
        let (_, m) = parse(Operation::ListUsers, "MaxItems=0").unwrap_err();
        assert!(m.contains("'maxItems'") && m.contains("greater than or equal to 1"), "{m}");
        assert!(parse(Operation::ListUsers, "MaxItems=1001").is_err());
        assert!(parse(Operation::ListUsers, "MaxItems=x").is_err());
        assert!(parse(Operation::ListUsers, "Marker=%21%21").is_err());
        let doc = "p".repeat(131_073);
        assert!(parse(Operation::PutUserPolicy, &format!("UserName=a&PolicyName=p&PolicyDocument={doc}")).is_err());
        let IamRequest::UntagUser(r) = parse(Operation::UntagUser, "UserName=a&TagKeys.member.1=k").unwrap() else {
            panic!()
        };
        assert_eq!(r.tag_keys, Some(vec!["k".to_owned()]));
    }

    #[test]
    fn pages_follow_their_markers() {
        let all: Vec<String> = ["a", "b", "c"].map(str::to_owned).to_vec();
        let page = |after: Option<&str>, max| Page { after: after.map(str::to_owned), max_items: max };
        let (first, next) = page(None, 2).of(all.clone(), |s| s);
        assert_eq!(first, ["a", "b"]);
        let marker = next.unwrap();
        let p = Page::parse(&Params::parse(format!("Marker={marker}&MaxItems=2").as_bytes()).unwrap()).unwrap();
        assert_eq!(p.of(all.clone(), |s| s), (vec!["c".to_owned()], None));
        // The marker's item is gone: the page starts after where it was.
        assert_eq!(page(Some("bb"), 5).of(all.clone(), |s| s).0, ["c"]);
        assert_eq!(page(None, 3).of(all, |s| s).1, None);
    }

    #[test]
    fn errors_map_to_iam_codes() {
        assert_eq!(wire_error(ErrorCode::NotFound), WireError::sender("NoSuchEntity", 404));
        assert_eq!(wire_error(ErrorCode::AlreadyExists).status, 409);
        assert_eq!(wire_error(ErrorCode::InvalidSignature).code, "SignatureDoesNotMatch");
        assert_eq!(wire_error(ErrorCode::UnrecognizedClient).code, "InvalidClientTokenId");
        assert_eq!(wire_error(ErrorCode::AccessDenied), WireError::sender("AccessDenied", 403));
        assert!(!wire_error(ErrorCode::KmsInternal).sender);
    }
}
