//! IAM's managed policy operations on the Query door ([`crate::query`]):
//! the policies and their versions, their attachments to users, roles and
//! groups, and permissions boundaries. Each arm calls one `Kms` method and
//! writes IAM's answer shape.

use crate::dispatch::tag_pairs;
use crate::http::ApiError;
use crate::query::name;
use trent_api::iam::{self, IamRequest};
use trent_api::iam_policies::flag;
use trent_api::query::{self, Xml};
use trent_api::Operation;
use trent_core::model::{ManagedPolicyRecord, PolicyVersionRecord};
use trent_core::{Caller, EntityKind, Kms, KmsError, NewPolicy, PolicyFilter, PolicyView};

/// A query answer with these result members (`None`: an empty result).
pub(crate) type Answer<'a> = &'a (dyn Fn(Option<&dyn Fn(&mut Xml)>) -> String + Sync);

/// The kind of entity an attachment or boundary operation names, as the
/// request parser read it ([`iam::entity_member`]).
fn entity_kind(op: Operation) -> EntityKind {
    match iam::entity_member(op) {
        "groupName" => EntityKind::Group,
        "roleName" => EntityKind::Role,
        _ => EntityKind::User,
    }
}

/// Runs a managed policy request (the caller in `query.rs` routes them
/// here by variant).
pub(crate) async fn serve(
    kms: &Kms,
    caller: &Caller,
    op: Operation,
    req: IamRequest,
    answer: Answer<'_>,
) -> Result<String, ApiError> {
    let done = |r: Result<(), KmsError>| r.map(|()| answer(None)).map_err(ApiError::from_kms);
    let kms_err = ApiError::from_kms;
    match req {
        IamRequest::CreatePolicy(r) => {
            let new = NewPolicy {
                name: name(r.policy_name),
                path: r.path,
                document: name(r.policy_document),
                description: r.description,
                tags: tag_pairs(r.tags),
            };
            let policy = kms.create_policy(caller, new).await.map_err(kms_err)?;
            let view = PolicyView { policy, attachment_count: 0, boundary_count: 0 };
            Ok(answer(Some(&|w| {
                w.element("Policy", |w| write_policy(w, &view, true));
            })))
        }
        IamRequest::GetPolicy(r) => {
            let view = kms.get_policy(caller, &name(r.policy_arn)).await.map_err(kms_err)?;
            Ok(answer(Some(&|w| {
                w.element("Policy", |w| write_policy(w, &view, true));
            })))
        }
        IamRequest::DeletePolicy(r) => done(kms.delete_policy(caller, &name(r.policy_arn)).await),
        IamRequest::ListPolicies(r, page) => {
            let filter = PolicyFilter {
                scope: r.scope,
                only_attached: flag(r.only_attached.as_deref()),
                path_prefix: r.path_prefix,
                usage: r.policy_usage_filter,
            };
            let views = kms.list_policies(caller, &filter).await.map_err(kms_err)?;
            let (views, next) = page.of(views, |v| v.policy.name.as_str());
            Ok(answer(Some(&|w| {
                // ListPolicies leaves out descriptions and tags, as IAM's.
                w.members("Policies", &views, |w, v| write_policy(w, v, false));
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::CreatePolicyVersion(r) => {
            let arn = name(r.policy_arn);
            let set_default = flag(r.set_as_default.as_deref());
            let (version, is_default) = kms
                .create_policy_version(caller, &arn, &name(r.policy_document), set_default)
                .await
                .map_err(kms_err)?;
            Ok(answer(Some(&|w| {
                w.element("PolicyVersion", |w| write_version(w, &version, is_default, false));
            })))
        }
        IamRequest::GetPolicyVersion(r) => {
            let (version, is_default) =
                kms.get_policy_version(caller, &name(r.policy_arn), &name(r.version_id)).await.map_err(kms_err)?;
            Ok(answer(Some(&|w| {
                w.element("PolicyVersion", |w| write_version(w, &version, is_default, true));
            })))
        }
        IamRequest::ListPolicyVersions(r, page) => {
            let versions = kms.list_policy_versions(caller, &name(r.policy_arn)).await.map_err(kms_err)?;
            let keyed: Vec<(String, PolicyVersionRecord, bool)> =
                versions.into_iter().map(|(v, d)| (format!("v{:010}", u32::MAX - v.version), v, d)).collect();
            let (versions, next) = page.of(keyed, |(k, _, _)| k.as_str());
            Ok(answer(Some(&|w| {
                w.members("Versions", &versions, |w, (_, v, d)| write_version(w, v, *d, false));
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::DeletePolicyVersion(r) => {
            done(kms.delete_policy_version(caller, &name(r.policy_arn), &name(r.version_id)).await)
        }
        IamRequest::SetDefaultPolicyVersion(r) => {
            done(kms.set_default_policy_version(caller, &name(r.policy_arn), &name(r.version_id)).await)
        }
        IamRequest::AttachPolicy(r) => {
            done(kms.attach_policy(caller, entity_kind(op), &name(r.entity), &name(r.policy_arn)).await)
        }
        IamRequest::DetachPolicy(r) => {
            done(kms.detach_policy(caller, entity_kind(op), &name(r.entity), &name(r.policy_arn)).await)
        }
        IamRequest::ListAttachedPolicies(r, page) => {
            let policies = kms
                .list_attached_policies(caller, entity_kind(op), &name(r.entity), r.path_prefix.as_deref())
                .await
                .map_err(kms_err)?;
            let (policies, next) = page.of(policies, |p| p.name.as_str());
            Ok(answer(Some(&|w| {
                w.members("AttachedPolicies", &policies, write_attached);
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::ListEntitiesForPolicy(r, page) => {
            let kind = match r.entity_filter.as_deref() {
                Some("User") => Some(EntityKind::User),
                Some("Role") => Some(EntityKind::Role),
                Some("Group") => Some(EntityKind::Group),
                _ => None,
            };
            let entities = kms
                .list_entities_for_policy(caller, &name(r.policy_arn), kind, r.policy_usage_filter.as_deref())
                .await
                .map_err(kms_err)?;
            let prefix = r.path_prefix.as_deref().unwrap_or("/");
            // One list to page over: groups, users, roles, each by name.
            let mut rows: Vec<(String, &'static str, String, String)> = Vec::new();
            rows.extend(
                (entities.groups.iter().filter(|g| g.path.starts_with(prefix)))
                    .map(|g| (format!("g/{}", g.name), "Group", g.name.clone(), g.group_id.clone())),
            );
            rows.extend(
                (entities.users.iter().filter(|_| "/".starts_with(prefix)))
                    .map(|u| (format!("u/{}", u.name), "User", u.name.clone(), u.user_id.clone())),
            );
            rows.extend(
                (entities.roles.iter().filter(|r| r.path.starts_with(prefix)))
                    .map(|r| (format!("r/{}", r.name), "Role", r.name.clone(), r.role_id.clone())),
            );
            let (rows, next) = page.of(rows, |(k, _, _, _)| k.as_str());
            let of = |kind: &str| -> Vec<(String, String)> {
                rows.iter().filter(|(_, k, _, _)| *k == kind).map(|(_, _, n, i)| (n.clone(), i.clone())).collect()
            };
            let (groups, users, roles) = (of("Group"), of("User"), of("Role"));
            Ok(answer(Some(&|w| {
                w.members("PolicyGroups", &groups, |w, (n, i)| {
                    w.text("GroupName", n);
                    w.text("GroupId", i);
                });
                w.members("PolicyUsers", &users, |w, (n, i)| {
                    w.text("UserName", n);
                    w.text("UserId", i);
                });
                w.members("PolicyRoles", &roles, |w, (n, i)| {
                    w.text("RoleName", n);
                    w.text("RoleId", i);
                });
                iam::write_truncation(w, next.as_deref());
            })))
        }
        IamRequest::PutPermissionsBoundary(r) => done(
            kms.put_permissions_boundary(caller, entity_kind(op), &name(r.entity), &name(r.permissions_boundary)).await,
        ),
        IamRequest::DeletePermissionsBoundary(r) => {
            done(kms.delete_permissions_boundary(caller, entity_kind(op), &name(r.entity)).await)
        }
        IamRequest::TagPolicy(r) => done(kms.tag_policy(caller, &name(r.policy_arn), tag_pairs(r.tags)).await),
        IamRequest::UntagPolicy(r) => {
            done(kms.untag_policy(caller, &name(r.policy_arn), r.tag_keys.unwrap_or_default()).await)
        }
        IamRequest::ListPolicyTags(r, page) => {
            let tags = kms.list_policy_tags(caller, &name(r.policy_arn)).await.map_err(kms_err)?;
            let (tags, next) = page.of(tags, |(k, _)| k.as_str());
            Ok(answer(Some(&|w| {
                iam::write_tags(w, &tags);
                iam::write_truncation(w, next.as_deref());
            })))
        }
        _ => Err(ApiError::internal(format!("{} is not a managed policy operation", op.name()))),
    }
}

/// IAM's `Policy` shape; `full`: with its description and tags (GetPolicy
/// and CreatePolicy show them, ListPolicies does not).
fn write_policy(w: &mut Xml, v: &PolicyView, full: bool) {
    let p = &v.policy;
    w.text("PolicyName", &p.name);
    w.text("PolicyId", &p.policy_id);
    w.text("Arn", &p.arn());
    w.text("Path", &p.path);
    w.text("DefaultVersionId", &format!("v{}", p.default_version));
    w.text("AttachmentCount", &v.attachment_count.to_string());
    w.text("PermissionsBoundaryUsageCount", &v.boundary_count.to_string());
    w.text("IsAttachable", "true");
    if full {
        if let Some(d) = &p.description {
            w.text("Description", d);
        }
    }
    w.text("CreateDate", &query::iso8601(p.created_at));
    w.text("UpdateDate", &query::iso8601(p.updated_at));
    if full && !p.tags.is_empty() {
        iam::write_tags(w, &p.tags);
    }
}

/// IAM's `PolicyVersion` shape; `document`: with the document
/// (GetPolicyVersion), URL-encoded as IAM answers it.
fn write_version(w: &mut Xml, v: &PolicyVersionRecord, is_default: bool, document: bool) {
    if document {
        w.text("Document", &crate::query::url_encode(&v.document));
    }
    w.text("VersionId", &format!("v{}", v.version));
    w.text("IsDefaultVersion", if is_default { "true" } else { "false" });
    w.text("CreateDate", &query::iso8601(v.created_at));
}

/// IAM's `AttachedPolicy` shape.
fn write_attached(w: &mut Xml, p: &ManagedPolicyRecord) {
    w.text("PolicyName", &p.name);
    w.text("PolicyArn", &p.arn());
}
