//! The Query protocol's front door: AWS IAM's user operations as `aws iam`,
//! boto3's `iam` client and `aws-sdk-iam` send them — a form-encoded
//! `POST /` (`Action=CreateUser&Version=2010-05-08&UserName=bob`), signed
//! for service `iam` in `us-east-1`, answered in XML.
//!
//! `http.rs` sends a request here when it is a form-encoded `POST` whose
//! credential scope names the service of a Query API ([`query_api`]); it
//! authenticates and audits it as it does any request. This module reads
//! the action and version ([`QueryCall`]), runs the action on the core
//! ([`serve`]) and writes errors in the protocol's shape ([`error_body`]).
//!
//! A second Query API is a variant of [`Api`] with its
//! [`trent_api::QueryProtocol`], its rows in the operation table, an arm
//! in [`serve`] and one in [`wire_error`].

use crate::dispatch::tag_pairs;
use crate::http::ApiError;
use axum::http::{header, HeaderMap, Method};
use trent_api::iam::{self, AccessKey, IamRequest, User};
use trent_api::iam_roles;
use trent_api::query::{self, Params, WireError, Xml};
use trent_api::{Api, ErrorCode, Operation, QueryProtocol};
use trent_core::{Caller, EntityKind, GotUser, Kms, KmsError, NewRole};

/// The media type of a Query request's body.
const FORM: &str = "application/x-www-form-urlencoded";

/// The Query API a request addresses: a `POST` with one form-encoded
/// `Content-Type` whose `Authorization` credential scope names the signing
/// service of a Query API. The scope is read, not checked: authentication
/// checks it afterwards against the API chosen here.
pub(crate) fn query_api(method: &Method, headers: &HeaderMap) -> Option<Api> {
    if !is_form_post(method, headers) {
        return None;
    }
    Api::of_query_service(scope_service(headers)?)
}

/// A form `POST` with no `Authorization` whose body asks for STS's one
/// unsigned action, AssumeRoleWithWebIdentity (the token is its credential,
/// and stock clients send it unsigned): STS's Query API. Any other unsigned
/// request stays what it was (refused as unauthenticated).
pub(crate) fn unsigned_query_api(method: &Method, headers: &HeaderMap, body: &[u8]) -> Option<Api> {
    if headers.contains_key(header::AUTHORIZATION) || !is_form_post(method, headers) {
        return None;
    }
    let call = QueryCall::new(Api::Sts, body)?;
    (call.operation() == Some(Operation::AssumeRoleWithWebIdentity)).then_some(Api::Sts)
}

/// A `POST` with one form-encoded `Content-Type`.
fn is_form_post(method: &Method, headers: &HeaderMap) -> bool {
    if method != Method::POST {
        return false;
    }
    let mut types = headers.get_all(header::CONTENT_TYPE).iter();
    let form = match (types.next(), types.next()) {
        (Some(v), None) => v
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| media.trim().eq_ignore_ascii_case(FORM)),
        _ => false,
    };
    form
}

/// The service of the `Credential=KEY/DATE/REGION/SERVICE/aws4_request`
/// of an `Authorization` header.
fn scope_service(headers: &HeaderMap) -> Option<&str> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let credential = auth
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .find_map(|token| token.strip_prefix("Credential="))?;
    credential.split('/').nth(3)
}

/// A Query request's body as read: its parameters, action and version.
pub(crate) struct QueryCall {
    api: Api,
    protocol: QueryProtocol,
    params: Option<Params>,
    /// `Action`, as sent (`""` when absent).
    pub(crate) action: String,
    version: Option<String>,
}

impl QueryCall {
    /// Reads `body` as a request to `api` (a Query API).
    pub(crate) fn new(api: Api, body: &[u8]) -> Option<QueryCall> {
        let protocol = api.query()?;
        let params = Params::parse(body).ok();
        let get = |name| params.as_ref().and_then(|p| p.get(name)).map(str::to_owned);
        Some(QueryCall { api, protocol, action: get("Action").unwrap_or_default(), version: get("Version"), params })
    }

    /// The operation it runs: its action, in the version the API speaks.
    pub(crate) fn operation(&self) -> Option<Operation> {
        if self.version.as_deref() != Some(self.protocol.version) {
            return None;
        }
        Operation::of(self.api, &self.action)
    }

    /// The audit event's `requestParameters`: the action's members, in the
    /// JSON form the JSON protocol would carry them, through the same
    /// filter as a JSON body (only the members CloudTrail keeps, camelCased).
    pub(crate) fn request_parameters(&self) -> serde_json::Value {
        let (Some(params), Some(op)) = (&self.params, self.operation()) else { return serde_json::Value::Null };
        let members = match self.api {
            Api::Iam => IamRequest::members(op),
            Api::Sts => crate::sts::members(op),
            Api::Kms | Api::Admin | Api::CloudTrail => None,
        };
        let json = params.to_json(members.unwrap_or_default());
        trent_core::audit::request_parameters(json.to_string().as_bytes())
    }
}

/// Runs AssumeRoleWithWebIdentity, which no signature authenticates: its
/// audit side is `audit`, whose event names the identity the token claims
/// ([`crate::sts::claimed_web_identity`]).
pub(crate) async fn serve_unsigned(
    kms: &Kms,
    audit: &trent_core::caller::CallAudit,
    call: &QueryCall,
    request_id: &str,
) -> Result<Vec<u8>, ApiError> {
    match (call.operation(), &call.params) {
        (Some(Operation::AssumeRoleWithWebIdentity), Some(params)) => {
            Ok(crate::sts::serve_web_identity(kms, audit, params, &call.protocol, request_id).await?.into_bytes())
        }
        _ => Err(ApiError::new(ErrorCode::MissingAuthenticationToken, "Request is missing Authentication Token")),
    }
}

/// The identity an unsigned request claims, for its audit event.
pub(crate) fn claimed_identity(call: &QueryCall) -> trent_core::audit::Identity {
    match &call.params {
        Some(params) => crate::sts::claimed_web_identity(params),
        None => trent_core::audit::Identity::Unauthenticated { access_key_id: None },
    }
}

/// Runs a Query request on the core and writes its XML answer.
pub(crate) async fn serve(kms: &Kms, caller: &Caller, call: &QueryCall, request_id: &str) -> Result<Vec<u8>, ApiError> {
    let (Some(op), Some(params)) = (call.operation(), &call.params) else {
        // AWS's answer to an unknown action and to a wrong or missing version.
        return Err(ApiError::new(
            ErrorCode::InvalidAction,
            format!(
                "Could not find operation {} for version {}",
                call.action,
                call.version.as_deref().unwrap_or("NO_VERSION_SPECIFIED")
            ),
        ));
    };
    let xml = match call.api {
        Api::Iam => serve_iam(kms, caller, op, params, &call.protocol, request_id).await?,
        Api::Sts => crate::sts::serve(kms, caller, op, params, &call.protocol, request_id).await?,
        Api::Kms | Api::Admin | Api::CloudTrail => {
            return Err(ApiError::internal(format!("{:?} is not a Query API", call.api)))
        }
    };
    Ok(xml.into_bytes())
}

/// An error as the Query API `api` sends it: its code, status and fault;
/// the one mapping per API (IAM's in [`iam::wire_error`]).
pub(crate) fn wire_error(api: Api, code: ErrorCode) -> WireError {
    match api {
        Api::Sts => crate::sts::wire_error(code),
        Api::Iam | Api::Kms | Api::Admin | Api::CloudTrail => iam::wire_error(code),
    }
}

/// The XML body of an error answer, and its code and status.
pub(crate) fn error_body(api: Api, e: &ApiError, request_id: &str) -> (WireError, String) {
    let wire = wire_error(api, e.code);
    let protocol = api.query().unwrap_or(QueryProtocol { version: "", namespace: "", global_region: None });
    (wire, query::error_response(&protocol, wire.code, wire.sender, &e.message, request_id))
}

/// IAM's `User` of a stored user; `tags`: whether the answer shows them
/// (ListUsers does not).
fn user(u: &trent_core::model::UserRecord, tags: bool) -> User {
    User {
        path: Some("/"),
        user_name: Some(u.name.clone()),
        user_id: u.user_id.clone(),
        arn: u.arn(),
        create_date: u.created_at,
        tags: if tags { u.tags.clone() } else { Vec::new() },
        permissions_boundary: None,
    }
}

/// A required member's value (validation has checked it is present).
pub(crate) fn name(s: Option<String>) -> String {
    // Validation has checked that the required members are present.
    s.unwrap_or_default()
}

async fn serve_iam(
    kms: &Kms,
    caller: &Caller,
    op: Operation,
    params: &Params,
    protocol: &QueryProtocol,
    request_id: &str,
) -> Result<String, ApiError> {
    let req = match IamRequest::parse(op, params) {
        Some(Ok(req)) => req,
        Some(Err((code, message))) => return Err(ApiError::new(code, message)),
        None => return Err(ApiError::internal(format!("{} has no IAM parser", op.name()))),
    };
    let answer = |result: Option<&dyn Fn(&mut Xml)>| query::response(protocol, op.name(), request_id, result);
    let done = |r: Result<(), KmsError>| r.map(|()| answer(None)).map_err(ApiError::from_kms);
    let kms_err = ApiError::from_kms;
    match req {
        req @ (IamRequest::CreatePolicy(_)
        | IamRequest::GetPolicy(_)
        | IamRequest::DeletePolicy(_)
        | IamRequest::ListPolicies(..)
        | IamRequest::CreatePolicyVersion(_)
        | IamRequest::GetPolicyVersion(_)
        | IamRequest::ListPolicyVersions(..)
        | IamRequest::DeletePolicyVersion(_)
        | IamRequest::SetDefaultPolicyVersion(_)
        | IamRequest::AttachPolicy(_)
        | IamRequest::DetachPolicy(_)
        | IamRequest::ListAttachedPolicies(..)
        | IamRequest::ListEntitiesForPolicy(..)
        | IamRequest::PutPermissionsBoundary(_)
        | IamRequest::DeletePermissionsBoundary(_)
        | IamRequest::TagPolicy(_)
        | IamRequest::UntagPolicy(_)
        | IamRequest::ListPolicyTags(..)) => crate::query_policies::serve(kms, caller, op, req, &answer).await,
        req @ (IamRequest::CreateOpenIDConnectProvider(_)
        | IamRequest::GetOpenIDConnectProvider(_)
        | IamRequest::ListOpenIDConnectProviders
        | IamRequest::DeleteOpenIDConnectProvider(_)
        | IamRequest::AddClientIDToOpenIDConnectProvider(_)
        | IamRequest::RemoveClientIDFromOpenIDConnectProvider(_)
        | IamRequest::UpdateOpenIDConnectProviderThumbprint(_)
        | IamRequest::TagOpenIDConnectProvider(_)
        | IamRequest::UntagOpenIDConnectProvider(_)
        | IamRequest::ListOpenIDConnectProviderTags(..)) => {
            crate::query_oidc::serve(kms, caller, op, req, &answer).await
        }
        IamRequest::CreateUser(r) => {
            // As IAM's, the user has no access key until CreateAccessKey.
            let created = kms.create_iam_user(caller, &name(r.user_name), tag_pairs(r.tags)).await.map_err(kms_err)?;
            let u = user(&created, true);
            Ok(answer(Some(&|w| {
                w.element("User", |w| u.write(w));
            })))
        }
        IamRequest::GetUser(r) => {
            let u = match kms.get_user(caller, r.user_name.as_deref()).await.map_err(kms_err)? {
                GotUser::User(u) => User {
                    permissions_boundary: kms
                        .permissions_boundary_arn(&u.account, EntityKind::User, &u.name)
                        .await
                        .map_err(kms_err)?,
                    ..user(&u, true)
                },
                GotUser::Root { account, created_at } => User {
                    path: None,
                    user_name: None,
                    user_id: account.as_str().to_owned(),
                    arn: account.root_arn().as_str().to_owned(),
                    create_date: created_at,
                    tags: Vec::new(),
                    permissions_boundary: None,
                },
            };
            Ok(answer(Some(&|w| {
                w.element("User", |w| u.write(w));
            })))
        }
        IamRequest::DeleteUser(r) => done(kms.delete_iam_user(caller, &name(r.user_name)).await),
        IamRequest::ListUsers(prefix, page) => {
            let mut users = kms.list_users(caller).await.map_err(kms_err)?;
            // Every user's path is `/`: only the prefix `/` selects it.
            users.retain(|_| prefix.as_deref().is_none_or(|p| p == "/"));
            let (users, next) = page.of(users, |u| u.name.as_str());
            let users: Vec<User> = users.iter().map(|u| user(u, false)).collect();
            Ok(answer(Some(&|w| {
                w.members("Users", &users, |w, u| u.write(w));
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::PutUserPolicy(r) => {
            done(kms.put_user_policy(caller, &name(r.user_name), &name(r.policy_name), &name(r.policy_document)).await)
        }
        IamRequest::GetUserPolicy(r) => {
            let p = kms.get_user_policy(caller, &name(r.user_name), &name(r.policy_name)).await.map_err(kms_err)?;
            // IAM answers the document URL-encoded (RFC 3986), as SDKs expect.
            let document = url_encode(&p.document);
            Ok(answer(Some(&|w| {
                w.text("UserName", &p.user_name);
                w.text("PolicyName", &p.policy_name);
                w.text("PolicyDocument", &document);
            })))
        }
        IamRequest::DeleteUserPolicy(r) => {
            done(kms.delete_user_policy(caller, &name(r.user_name), &name(r.policy_name)).await)
        }
        IamRequest::ListUserPolicies(r, page) => {
            let names = kms.list_user_policies(caller, &name(r.user_name)).await.map_err(kms_err)?;
            let (names, next) = page.of(names, String::as_str);
            Ok(answer(Some(&|w| {
                w.members("PolicyNames", &names, |w, n| {
                    // A list of strings: the text is the member itself.
                    w.text_only(n);
                });
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::TagUser(r) => done(kms.tag_user(caller, &name(r.user_name), tag_pairs(r.tags)).await),
        IamRequest::UntagUser(r) => {
            done(kms.untag_user(caller, &name(r.user_name), r.tag_keys.unwrap_or_default()).await)
        }
        IamRequest::ListUserTags(r, page) => {
            let tags = kms.list_user_tags(caller, &name(r.user_name)).await.map_err(kms_err)?;
            let (tags, next) = page.of(tags, |(k, _)| k.as_str());
            Ok(answer(Some(&|w| {
                iam::write_tags(w, &tags);
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::CreateAccessKey(r) => {
            let created = kms.create_access_key(caller, r.user_name.as_deref()).await.map_err(kms_err)?;
            let key = AccessKey {
                user_name: created.user_name.as_deref(),
                access_key_id: created.record.id.as_str(),
                // Shown once, in this answer; the audit event never holds it
                // (the core records the key by id only).
                secret_access_key: Some(created.secret_access_key.as_str()),
                create_date: created.record.created_at,
                inactive: false,
            };
            Ok(answer(Some(&|w| {
                w.element("AccessKey", |w| key.write(w));
            })))
        }
        IamRequest::GetAccessKeyLastUsed(r) => {
            let used = kms.get_access_key_last_used(caller, &name(r.access_key_id)).await.map_err(kms_err)?;
            Ok(answer(Some(&|w| {
                if let Some(u) = &used.user_name {
                    w.text("UserName", u);
                }
                w.element("AccessKeyLastUsed", |w| match &used.last_used {
                    Some((at, service, region)) => {
                        w.text("LastUsedDate", &query::iso8601(*at));
                        w.text("ServiceName", service);
                        w.text("Region", region);
                    }
                    // IAM's answer for a key never used.
                    None => {
                        w.text("ServiceName", "N/A");
                        w.text("Region", "N/A");
                    }
                });
            })))
        }
        IamRequest::ListAccessKeys(r, page) => {
            let (keys, user_name) = kms.list_access_keys(caller, r.user_name.as_deref()).await.map_err(kms_err)?;
            let (keys, next) = page.of(keys, |k| k.id.as_str());
            Ok(answer(Some(&|w| {
                w.members("AccessKeyMetadata", &keys, |w, k| {
                    AccessKey {
                        user_name: user_name.as_deref(),
                        access_key_id: k.id.as_str(),
                        secret_access_key: None,
                        create_date: k.created_at,
                        inactive: k.inactive,
                    }
                    .write(w)
                });
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::DeleteAccessKey(r) => {
            done(kms.delete_access_key(caller, r.user_name.as_deref(), &name(r.access_key_id)).await)
        }
        IamRequest::UpdateAccessKey(r) => {
            // Validation has required Status.
            let status = r.status.ok_or_else(|| ApiError::new(ErrorCode::ValidationError, "Status is required"))?;
            done(kms.update_access_key(caller, r.user_name.as_deref(), &name(r.access_key_id), &status).await)
        }
        IamRequest::CreateRole(r) => {
            let new = NewRole {
                name: name(r.role_name),
                path: r.path,
                trust_policy: name(r.assume_role_policy_document),
                description: r.description,
                max_session_duration: iam_roles::seconds(r.max_session_duration.as_deref()),
                tags: tag_pairs(r.tags),
            };
            let created = kms.create_role(caller, new).await.map_err(kms_err)?;
            Ok(answer(Some(&|w| {
                w.element("Role", |w| write_role(w, &created));
            })))
        }
        IamRequest::GetRole(r) => {
            let role = kms.get_role(caller, &name(r.role_name)).await.map_err(kms_err)?;
            let boundary =
                kms.permissions_boundary_arn(&role.account, EntityKind::Role, &role.name).await.map_err(kms_err)?;
            Ok(answer(Some(&|w| {
                w.element("Role", |w| write_role_with(w, &role, boundary.as_deref()));
            })))
        }
        IamRequest::ListRoles(prefix, page) => {
            let roles = kms.list_roles(caller, prefix.as_deref()).await.map_err(kms_err)?;
            let (roles, next) = page.of(roles, |r| r.name.as_str());
            Ok(answer(Some(&|w| {
                w.members("Roles", &roles, write_role);
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::UpdateRole(r) => done(
            kms.update_role(
                caller,
                &name(r.role_name),
                r.description,
                iam_roles::seconds(r.max_session_duration.as_deref()),
            )
            .await,
        ),
        IamRequest::UpdateAssumeRolePolicy(r) => {
            done(kms.update_assume_role_policy(caller, &name(r.role_name), &name(r.policy_document)).await)
        }
        IamRequest::DeleteRole(r) => done(kms.delete_role(caller, &name(r.role_name)).await),
        IamRequest::TagRole(r) => done(kms.tag_role(caller, &name(r.role_name), tag_pairs(r.tags)).await),
        IamRequest::UntagRole(r) => {
            done(kms.untag_role(caller, &name(r.role_name), r.tag_keys.unwrap_or_default()).await)
        }
        IamRequest::ListRoleTags(r, page) => {
            let tags = kms.list_role_tags(caller, &name(r.role_name)).await.map_err(kms_err)?;
            let (tags, next) = page.of(tags, |(k, _)| k.as_str());
            Ok(answer(Some(&|w| {
                iam::write_tags(w, &tags);
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::PutRolePolicy(r) => {
            done(kms.put_role_policy(caller, &name(r.role_name), &name(r.policy_name), &name(r.policy_document)).await)
        }
        IamRequest::GetRolePolicy(r) => {
            let p = kms.get_role_policy(caller, &name(r.role_name), &name(r.policy_name)).await.map_err(kms_err)?;
            let document = url_encode(&p.document);
            Ok(answer(Some(&|w| {
                w.text("RoleName", &p.role_name);
                w.text("PolicyName", &p.policy_name);
                w.text("PolicyDocument", &document);
            })))
        }
        IamRequest::DeleteRolePolicy(r) => {
            done(kms.delete_role_policy(caller, &name(r.role_name), &name(r.policy_name)).await)
        }
        IamRequest::ListRolePolicies(r, page) => {
            let names = kms.list_role_policies(caller, &name(r.role_name)).await.map_err(kms_err)?;
            let (names, next) = page.of(names, String::as_str);
            Ok(answer(Some(&|w| {
                w.members("PolicyNames", &names, |w, n| {
                    w.text_only(n);
                });
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::CreateGroup(r) => {
            let group = kms.create_group(caller, &name(r.group_name), r.path.as_deref()).await.map_err(kms_err)?;
            Ok(answer(Some(&|w| {
                w.element("Group", |w| write_group(w, &group));
            })))
        }
        IamRequest::GetGroup(r, page) => {
            let (group, users) = kms.get_group(caller, &name(r.group_name)).await.map_err(kms_err)?;
            let (users, next) = page.of(users, |u| u.name.as_str());
            let users: Vec<User> = users.iter().map(|u| user(u, false)).collect();
            Ok(answer(Some(&|w| {
                w.element("Group", |w| write_group(w, &group));
                w.members("Users", &users, |w, u| u.write(w));
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::ListGroups(prefix, page) => {
            let groups = kms.list_groups(caller, prefix.as_deref()).await.map_err(kms_err)?;
            let (groups, next) = page.of(groups, |g| g.name.as_str());
            Ok(answer(Some(&|w| {
                w.members("Groups", &groups, write_group);
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::DeleteGroup(r) => done(kms.delete_group(caller, &name(r.group_name)).await),
        IamRequest::AddUserToGroup(r) => {
            done(kms.add_user_to_group(caller, &name(r.group_name), &name(r.user_name)).await)
        }
        IamRequest::RemoveUserFromGroup(r) => {
            done(kms.remove_user_from_group(caller, &name(r.group_name), &name(r.user_name)).await)
        }
        IamRequest::ListGroupsForUser(r, page) => {
            let groups = kms.list_groups_for_user(caller, &name(r.user_name)).await.map_err(kms_err)?;
            let (groups, next) = page.of(groups, |g| g.name.as_str());
            Ok(answer(Some(&|w| {
                w.members("Groups", &groups, write_group);
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::PutGroupPolicy(r) => done(
            kms.put_group_policy(caller, &name(r.group_name), &name(r.policy_name), &name(r.policy_document)).await,
        ),
        IamRequest::GetGroupPolicy(r) => {
            let p = kms.get_group_policy(caller, &name(r.group_name), &name(r.policy_name)).await.map_err(kms_err)?;
            let document = url_encode(&p.document);
            Ok(answer(Some(&|w| {
                w.text("GroupName", &p.group_name);
                w.text("PolicyName", &p.policy_name);
                w.text("PolicyDocument", &document);
            })))
        }
        IamRequest::DeleteGroupPolicy(r) => {
            done(kms.delete_group_policy(caller, &name(r.group_name), &name(r.policy_name)).await)
        }
        IamRequest::ListGroupPolicies(r, page) => {
            let names = kms.list_group_policies(caller, &name(r.group_name)).await.map_err(kms_err)?;
            let (names, next) = page.of(names, String::as_str);
            Ok(answer(Some(&|w| {
                w.members("PolicyNames", &names, |w, n| {
                    w.text_only(n);
                });
                iam::write_truncation(w, next.as_deref());
            })))
        }
    }
}

/// IAM's `Group` shape.
fn write_group(w: &mut Xml, g: &trent_core::model::GroupRecord) {
    w.text("Path", &g.path);
    w.text("GroupName", &g.name);
    w.text("GroupId", &g.group_id);
    w.text("Arn", &g.arn());
    w.text("CreateDate", &query::iso8601(g.created_at));
}

/// IAM's `Role` shape (the trust policy URL-encoded, as IAM answers it).
fn write_role(w: &mut Xml, r: &trent_core::model::RoleRecord) {
    write_role_with(w, r, None);
}

/// [`write_role`] with the role's permissions boundary (GetRole shows it).
fn write_role_with(w: &mut Xml, r: &trent_core::model::RoleRecord, boundary: Option<&str>) {
    w.text("Path", &r.path);
    w.text("RoleName", &r.name);
    w.text("RoleId", &r.role_id);
    w.text("Arn", &r.arn());
    w.text("CreateDate", &query::iso8601(r.created_at));
    w.text("AssumeRolePolicyDocument", &url_encode(&r.trust_policy));
    if let Some(d) = &r.description {
        w.text("Description", d);
    }
    w.text("MaxSessionDuration", &r.max_session_duration.to_string());
    if let Some(arn) = boundary {
        iam::write_permissions_boundary(w, arn);
    }
    if !r.tags.is_empty() {
        iam::write_tags(w, &r.tags);
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters:
/// how IAM returns policy documents (SDKs and the CLI decode them).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str, credential: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        let auth = format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=00");
        h.insert(header::AUTHORIZATION, auth.parse().unwrap());
        h
    }

    #[test]
    fn form_posts_signed_for_iam_go_to_the_query_door() {
        let iam = "AKIA/20260101/us-east-1/iam/aws4_request";
        let form = "application/x-www-form-urlencoded; charset=utf-8";
        assert_eq!(query_api(&Method::POST, &headers(form, iam)), Some(Api::Iam));
        assert_eq!(query_api(&Method::GET, &headers(form, iam)), None);
        assert_eq!(query_api(&Method::POST, &headers("application/x-amz-json-1.1", iam)), None);
        assert_eq!(query_api(&Method::POST, &headers(form, "AKIA/20260101/us-east-1/kms/aws4_request")), None);
    }

    #[test]
    fn actions_need_the_api_version() {
        let call = |body: &str| QueryCall::new(Api::Iam, body.as_bytes()).unwrap();
        assert_eq!(call("Action=ListUsers&Version=2010-05-08").operation(), Some(Operation::ListUsers));
        assert_eq!(call("Action=ListUsers&Version=2011-06-15").operation(), None);
        assert_eq!(call("Action=ListUsers").operation(), None);
        assert_eq!(call("Action=CreateAccount&Version=2010-05-08").operation(), None);
        let c = call("Action=TagUser&Version=2010-05-08&UserName=bob&Tags.member.1.Key=k&Tags.member.1.Value=v");
        assert_eq!(
            c.request_parameters(),
            serde_json::json!({"userName": "bob", "tags": [{"key": "k", "value": "v"}]})
        );
    }

    #[test]
    fn policy_documents_are_url_encoded() {
        assert_eq!(url_encode(r#"{"a": "b~"}"#), "%7B%22a%22%3A%20%22b~%22%7D");
    }
}
