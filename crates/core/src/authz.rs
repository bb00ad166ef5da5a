//! Authorization: who may do what to a key (AWS KMS Developer Guide, "Key
//! policies" and "Determining access to a KMS key").
//!
//! Every operation on a key resolves the key and authorizes the caller in
//! one step ([`crate::Kms::resolve_key`] takes an [`Access`]), so no path
//! reaches a key without a decision. The decision:
//! 1. an explicit Deny in the key policy or in the caller's identity (IAM)
//!    policies refuses;
//! 2. a key policy Allow that names the caller (its ARN, or `*`) permits a
//!    caller of the key's own account;
//! 3. a key policy Allow that names the caller's account permits when the
//!    caller's identity side allows too: an account root always (IAM never
//!    restricts it), an IAM user when one of its policies allows. Callers of
//!    another account always need both sides, whichever way the key policy
//!    names them;
//! 4. otherwise a grant on the key to the caller for this operation, whose
//!    encryption context constraints the request meets, permits;
//! 5. otherwise the request is refused (implicit deny).
//!
//! Operations on no key (CreateKey, ListKeys, GenerateRandom, aliases,
//! LookupEvents) are identity-policy permissions only
//! ([`crate::Kms::authorize_identity`]): account roots hold them, IAM users
//! when a policy of theirs allows.
//!
//! The identity side: an IAM user's inline and attached managed policies
//! and those of its groups; a role session's role policies (inline and
//! attached), narrowed by its session policy (which narrows what a key
//! policy naming the role allows too). A user's or role's permissions
//! boundary caps the identity side the same way, and what a key policy
//! naming a role allows, but not what one naming a user directly allows;
//! its explicit Deny always refuses. A key
//! policy or grant naming a role's ARN names its sessions. An account root
//! has no identity side; any other principal without one is refused.

use crate::error::KmsError;
use crate::model::{AttachmentTarget, GrantRecord, KeyRecord, RoleRecord, UserRecord};
use crate::policy::{combine, Context, Decision, KeyDecision, Policy, Request};
use crate::sts::SessionIssuer;
use crate::{Caller, Kms};
use std::collections::HashMap;
use std::sync::Arc;
use trent_api::ops::EncryptionContext;
use trent_api::Operation;

/// What a request wants to do to a key, with the condition keys only the
/// operation knows (encryption context, algorithms, …).
#[derive(Debug, Clone)]
pub(crate) struct Access {
    /// The operation, whose descriptor says whether another account may
    /// call it and whether grant constraints apply.
    op: Operation,
    /// `kms:Encrypt`: the operation's action (ReEncrypt has two).
    pub action: &'static str,
    context: Vec<(String, Vec<String>)>,
    /// The request's encryption context, for grant constraints.
    encryption_context: Option<EncryptionContext>,
    /// ReEncrypt: the other key of the request, when known, for
    /// `kms:ReEncryptOnSameKey`.
    other_key: Option<trent_api::ids::KeyId>,
}

/// How a request was authorized.
#[derive(Debug)]
pub(crate) enum Route {
    /// The key policy allows it.
    KeyPolicy,
    /// Only grants allow it: these ones.
    Grants(Vec<GrantRecord>),
}

/// Most grants one key may have (AWS's quota).
pub(crate) const MAX_GRANTS_PER_KEY: usize = 50_000;

/// Whether a grant's encryption context constraints admit a request's
/// context. Keys compare case-insensitively, values exactly (AWS's rule for
/// grant constraints).
pub(crate) fn constraints_admit(grant: &GrantRecord, ctx: Option<&EncryptionContext>) -> bool {
    context_admits(grant.context_equals.as_ref(), grant.context_subset.as_ref(), ctx)
}

/// [`constraints_admit`] on the constraints themselves.
pub(crate) fn context_admits(
    equals: Option<&EncryptionContext>,
    subset: Option<&EncryptionContext>,
    ctx: Option<&EncryptionContext>,
) -> bool {
    let lower = |m: &EncryptionContext| -> HashMap<String, String> {
        m.iter().map(|(k, v)| (k.to_lowercase(), v.clone())).collect()
    };
    let request = ctx.map(lower).unwrap_or_default();
    if let Some(eq) = equals {
        if lower(eq) != request {
            return false;
        }
    }
    if let Some(sub) = subset {
        if !lower(sub).iter().all(|(k, v)| request.get(k) == Some(v)) {
            return false;
        }
    }
    true
}

impl Access {
    /// An operation's action, with no operation-specific condition keys.
    pub(crate) fn new(op: Operation) -> Self {
        Access { op, action: op.action(), context: Vec::new(), encryption_context: None, other_key: None }
    }

    /// One of ReEncrypt's two actions ([`trent_api::operation::REENCRYPT_FROM`],
    /// [`trent_api::operation::REENCRYPT_TO`]).
    pub(crate) fn re_encrypt(action: &'static str) -> Self {
        Access { action, ..Access::new(Operation::ReEncrypt) }
    }

    /// ReEncrypt: the request's other key, for `kms:ReEncryptOnSameKey`.
    pub(crate) fn other_key(mut self, key: Option<trent_api::ids::KeyId>) -> Self {
        self.other_key = key;
        self
    }

    /// Adds a multivalued condition key.
    pub(crate) fn with_all(mut self, key: &str, values: Vec<String>) -> Self {
        self.context.push((key.to_ascii_lowercase(), values));
        self
    }

    /// `aws:RequestTag/*` and `aws:TagKeys` of a request's tags.
    pub(crate) fn request_tags(mut self, tags: &[(String, String)]) -> Self {
        for (k, v) in request_tag_context(tags) {
            self.context.push((k.to_ascii_lowercase(), v));
        }
        self
    }

    /// Adds a single-valued condition key.
    pub(crate) fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.context.push((key.to_ascii_lowercase(), vec![value.to_string()]));
        self
    }

    /// Adds a condition key when the request has a value for it.
    pub(crate) fn with_opt(self, key: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }

    /// `kms:EncryptionContext:<key>` for each pair and
    /// `kms:EncryptionContextKeys` (absent when the context is empty).
    pub(crate) fn encryption_context(mut self, ctx: Option<&EncryptionContext>) -> Self {
        if let Some(ctx) = ctx.filter(|c| !c.is_empty()) {
            for (k, v) in ctx {
                self.context.push((format!("kms:encryptioncontext:{}", k.to_ascii_lowercase()), vec![v.clone()]));
            }
            self.context.push(("kms:encryptioncontextkeys".into(), ctx.keys().cloned().collect()));
        }
        self.encryption_context = ctx.cloned();
        self
    }

    /// The grant operation this action is (`kms:Encrypt` → `Encrypt`).
    fn operation(&self) -> &'static str {
        self.action.strip_prefix("kms:").unwrap_or(self.action)
    }

    /// The operation this access is for.
    pub(crate) fn op(&self) -> Operation {
        self.op
    }

    /// Whether another account may be granted this action by a key policy.
    pub(crate) fn cross_account(&self) -> bool {
        self.op.descriptor().cross_account
    }
}

/// Who the identity side is: an IAM user, or a session of a role.
pub(crate) enum Identity {
    /// An IAM user (with long-term keys, or a GetSessionToken session).
    User(UserRecord),
    /// A session of this role.
    Role(RoleRecord),
}

/// The caller's identity side: an IAM user or a role session with its
/// identity policies, and the session policies that narrow a session.
/// Account roots have none (IAM never restricts the root).
pub(crate) struct IdentitySide {
    who: Identity,
    policies: Vec<Arc<Policy>>,
    /// A role session's inline session policy and managed session
    /// policies (`PolicyArns`); empty: the session is not narrowed.
    session_policies: Vec<Arc<Policy>>,
    /// The user's or role's permissions boundary.
    boundary: Option<Arc<Policy>>,
}

/// Narrows `own` by the decision of what caps it (the session policies, a
/// permissions boundary): an Allow needs the cap's Allow too, and a Deny in
/// either refuses.
fn narrow(own: Decision, cap: Option<Decision>) -> Decision {
    match (cap, own) {
        (_, Decision::Deny) | (None, _) => own,
        (Some(Decision::Deny), _) => Decision::Deny,
        (Some(Decision::Allow), Decision::Allow) => Decision::Allow,
        (Some(_), _) => Decision::NotApplicable,
    }
}

impl IdentitySide {
    /// What the identity policies say about `request`, narrowed by the
    /// permissions boundary and the session policy (IAM User Guide,
    /// "Policy evaluation logic").
    pub(crate) fn decide(&self, request: &Request<'_>) -> Decision {
        let own = combine(self.policies.iter().map(|p| p.evaluate(request)));
        let bounded = narrow(own, self.boundary.as_ref().map(|b| b.evaluate(request)));
        narrow(bounded, self.session_decision(request))
    }

    /// What a role session's session policies say together (an Allow in
    /// any, no Deny in any: they are one set of policies, IAM User Guide,
    /// "Session policies"); `None` when the session has none.
    fn session_decision(&self, request: &Request<'_>) -> Option<Decision> {
        (!self.session_policies.is_empty()).then(|| combine(self.session_policies.iter().map(|p| p.evaluate(request))))
    }

    /// Whether the permissions boundary refuses `request`, and why in
    /// AWS's words: `Some((true, why))` for its explicit Deny, `Some((false,
    /// why))` when it allows nothing of it, `None` when it allows it or
    /// there is none.
    fn boundary_refusal(&self, request: &Request<'_>) -> Option<(bool, String)> {
        match self.boundary.as_ref()?.evaluate(request) {
            Decision::Allow => None,
            Decision::Deny => Some((true, "with an explicit deny in a permissions boundary".into())),
            Decision::NotApplicable => {
                Some((false, format!("because no permissions boundary allows the {} action", request.action)))
            }
        }
    }

    /// The user's or role's ARN (with its path).
    fn arn(&self) -> String {
        match &self.who {
            Identity::User(u) => u.arn(),
            Identity::Role(r) => r.arn(),
        }
    }

    /// The user's or role's unique id (`AIDA…`, `AROA…`).
    fn unique_id(&self) -> &str {
        match &self.who {
            Identity::User(u) => &u.user_id,
            Identity::Role(r) => &r.role_id,
        }
    }

    /// Every policy on this side: identity, session and boundary.
    fn all_policies(&self) -> impl Iterator<Item = &Policy> {
        self.policies.iter().chain(&self.session_policies).chain(&self.boundary).map(|p| p.as_ref())
    }

    fn uses_condition_key(&self, key: &str) -> bool {
        self.all_policies().any(|p| p.uses_condition_key(key))
    }
}

/// AWS's answer to credentials that no longer stand for anyone (a deleted
/// user, a role deleted or re-created since its session began).
pub(crate) fn invalid_token() -> KmsError {
    KmsError::UnrecognizedClient("The security token included in the request is invalid.".into())
}

/// Whether a resource policy's (key or trust policy) and the identity
/// side's answers together permit: the module docs' steps 1–3.
pub(crate) fn sides_allow(resource: KeyDecision, iam: Decision, same_account: bool) -> bool {
    combine_sides(resource, iam, same_account) == Sides::Allow
}

/// The resource-based (key) policy or the identity-based (IAM) policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Resource,
    Identity,
}

impl Side {
    /// `resource` or `identity`, as AWS's messages name it.
    fn name(self) -> &'static str {
        match self {
            Side::Resource => "resource",
            Side::Identity => "identity",
        }
    }

    /// The end of AWS's message for an explicit deny on this side.
    fn explicit_deny(self) -> &'static str {
        match self {
            Side::Resource => "with an explicit deny in a resource-based policy",
            Side::Identity => "with an explicit deny in an identity-based policy",
        }
    }
}

/// What the policies of a request on a key say together, before grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sides {
    /// Permitted.
    Allow,
    /// An explicit Deny on this side.
    Deny(Side),
    /// No Allow; this side is the one missing. A grant may still permit.
    NoAllow(Side),
}

/// Combines the key policy's and the identity policies' answers (the module
/// docs, steps 1–3). `iam` is `Allow` for an account root.
fn combine_sides(key_policy: KeyDecision, iam: Decision, same_account: bool) -> Sides {
    match (key_policy, iam) {
        (KeyDecision::Deny, _) => Sides::Deny(Side::Resource),
        (_, Decision::Deny) => Sides::Deny(Side::Identity),
        (KeyDecision::AllowPrincipal, _) if same_account => Sides::Allow,
        (KeyDecision::AllowPrincipal | KeyDecision::AllowAccount, Decision::Allow) => Sides::Allow,
        (KeyDecision::NotApplicable, _) => Sides::NoAllow(Side::Resource),
        (KeyDecision::AllowPrincipal | KeyDecision::AllowAccount, Decision::NotApplicable) => {
            Sides::NoAllow(Side::Identity)
        }
    }
}

/// `aws:RequestTag/<key>` for each tag of a request, and `aws:TagKeys`.
pub(crate) fn request_tag_context(tags: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    let mut c: Vec<(String, Vec<String>)> =
        tags.iter().map(|(k, v)| (format!("aws:RequestTag/{k}"), vec![v.clone()])).collect();
    c.push(("aws:TagKeys".into(), tags.iter().map(|(k, _)| k.clone()).collect()));
    c
}

/// The user name in a user ARN (`arn:aws:iam::ACCOUNT:user/NAME`).
pub(crate) fn user_name(principal_arn: &str) -> Option<&str> {
    principal_arn.split_once(":user/").map(|(_, name)| name)
}

/// `User: ARN is not authorized to perform: ACTION on resource: RESOURCE WHY`.
fn denied(caller: &Caller, action: &str, resource: &str, why: &str) -> KmsError {
    KmsError::AccessDenied(format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
        caller.principal.as_str()
    ))
}

impl Kms {
    /// Loads the caller's identity side: `None` for an account root. A user
    /// deleted since its access key was cached is refused here, on every
    /// node, at its next request.
    pub(crate) async fn identity_side(&self, caller: &Caller) -> Result<Option<IdentitySide>, KmsError> {
        let parse = |documents: Vec<String>| -> Vec<Arc<Policy>> {
            // A stored policy that no longer parses (it was checked when
            // put) allows nothing: fail closed.
            documents.iter().filter_map(|d| self.identity_policies.get(d)).collect()
        };
        if let Some(session) = &caller.session {
            if let SessionIssuer::Role { name, id, .. } = &session.issuer {
                let role = match self.store.role(&caller.account, name).await? {
                    Some(r) if &r.name == name && &r.role_id == id => r,
                    _ => return Err(invalid_token()),
                };
                let mut documents: Vec<String> =
                    self.store.role_policies(&caller.account, name).await?.into_iter().map(|p| p.document).collect();
                let attached = self.store.attached_policies(&caller.account, AttachmentTarget::Role, name).await?;
                documents.extend(attached.into_iter().map(|a| a.document));
                let boundary = self.boundary(&caller.account, AttachmentTarget::RoleBoundary, name).await?;
                // The session policy was checked when the role was assumed;
                // one that no longer parses narrows to nothing. A managed
                // session policy applies as its default version is now; one
                // deleted since allows nothing.
                let mut session_policies: Vec<Arc<Policy>> =
                    session.policy.iter().map(|p| self.identity_policies.or_nothing(p)).collect();
                for arn in &session.policy_arns {
                    session_policies.push(self.session_managed_policy(&caller.account, arn).await?);
                }
                return Ok(Some(IdentitySide {
                    who: Identity::Role(role),
                    policies: parse(documents),
                    session_policies,
                    boundary,
                }));
            }
        }
        let Some(name) = user_name(caller.principal.as_str()) else {
            // Only the account's root goes without an identity side: any
            // other principal here (a role session without its session,
            // say) is refused rather than let through as the root.
            return if caller.principal == caller.account.root_arn() { Ok(None) } else { Err(invalid_token()) };
        };
        let user = match self.store.user(&caller.account, name).await? {
            Some(u) if u.name == name => u,
            _ => return Err(invalid_token()),
        };
        if let Some(SessionIssuer::User { id, .. }) = caller.session.as_ref().map(|s| &s.issuer) {
            // A user deleted and re-created since the session began.
            if id != &user.user_id {
                return Err(invalid_token());
            }
        }
        let mut documents: Vec<String> =
            self.store.user_policies(&caller.account, name).await?.into_iter().map(|p| p.document).collect();
        let attached = self.store.attached_policies(&caller.account, AttachmentTarget::User, name).await?;
        documents.extend(attached.into_iter().map(|a| a.document));
        // A user acts with its groups' policies too, inline and attached.
        for group in self.store.groups_of_user(&caller.account, name).await? {
            let policies = self.store.group_policies(&caller.account, &group.name).await?;
            documents.extend(policies.into_iter().map(|p| p.document));
            let attached = self.store.attached_policies(&caller.account, AttachmentTarget::Group, &group.name).await?;
            documents.extend(attached.into_iter().map(|a| a.document));
        }
        let boundary = self.boundary(&caller.account, AttachmentTarget::UserBoundary, name).await?;
        Ok(Some(IdentitySide {
            who: Identity::User(user),
            policies: parse(documents),
            session_policies: Vec::new(),
            boundary,
        }))
    }

    /// A user's or role's permissions boundary, parsed: one that no longer
    /// parses (it was checked when its version was made) allows nothing.
    async fn boundary(
        &self,
        account: &trent_api::ids::AccountId,
        target: AttachmentTarget,
        name: &str,
    ) -> Result<Option<Arc<Policy>>, KmsError> {
        Ok(self
            .store
            .attached_policies(account, target, name)
            .await?
            .into_iter()
            .next()
            .map(|a| self.identity_policies.or_nothing(&a.document)))
    }

    /// Authorizes an action on no key (CreateKey, ListKeys, an alias, …):
    /// identity policies alone decide, on `resource` (`*`, or the alias
    /// ARN), with the request's condition keys `context`.
    pub(crate) async fn authorize_identity(
        &self,
        caller: &Caller,
        op: Operation,
        resource: &str,
        context: &[(String, Vec<String>)],
    ) -> Result<(), KmsError> {
        let action = op.action();
        // IAM refuses credentials from GetSessionToken without MFA as it
        // refuses an unknown token.
        if caller.session.as_ref().is_some_and(|s| s.is_token()) && !crate::sts::token_session_may_call(op) {
            return Err(invalid_token());
        }
        let Some(identity) = self.identity_side(caller).await? else { return Ok(()) };
        let c = Context::lazy(|| {
            let mut c = self.global_context(caller, Some(&identity));
            for (k, v) in context {
                c.insert(k.to_ascii_lowercase(), v.clone());
            }
            c
        });
        let request = Request {
            principal_arn: caller.principal.as_str(),
            principal_account: caller.account.as_str(),
            action,
            resource,
            context: &c,
        };
        let decision = identity.decide(&request);
        if let Some((explicit, why)) = identity.boundary_refusal(&request) {
            // The boundary's explicit deny, or its implicit one unless an
            // identity policy denies explicitly.
            if explicit || decision != Decision::Deny {
                return Err(denied(caller, action, resource, &why));
            }
        }
        match decision {
            Decision::Allow => Ok(()),
            Decision::Deny => {
                Err(denied(caller, action, resource, "with an explicit deny in an identity-based policy"))
            }
            Decision::NotApplicable => Err(denied(
                caller,
                action,
                resource,
                &format!("because no identity-based policy allows the {action} action"),
            )),
        }
    }

    /// Authorizes `caller` to do `access` to `key` (reached through
    /// `request_alias` when the request named an alias).
    pub(crate) async fn authorize(
        &self,
        caller: &Caller,
        key: &KeyRecord,
        access: &Access,
        request_alias: Option<&str>,
    ) -> Result<Route, KmsError> {
        let key_arn = key.arn();
        // The audit event names every key a request was authorized against,
        // allowed or denied.
        caller.audit.touch(key_arn.clone());
        let identity = self.identity_side(caller).await?;
        // A stored policy that no longer parses (it was checked when set)
        // allows nothing: fail closed.
        let policy = self.key_policies.get(&key.policy);
        // kms:ResourceAliases costs a read: only when a statement reads it.
        let some_policy_reads = |k: &str| {
            policy.as_ref().is_some_and(|p| p.uses_condition_key(k))
                || identity.as_ref().is_some_and(|i| i.uses_condition_key(k))
        };
        let aliases = match some_policy_reads("kms:resourcealiases") {
            true => Some(self.store.list_aliases(&key.scope, Some(&key.id), None, 1000).await?),
            false => None,
        };
        // Built only if a policy reads a condition key (most keys'
        // policies, the default among them, read none).
        let context = Context::lazy(|| {
            let mut c = self.condition_context(caller, identity.as_ref(), key, access, request_alias);
            if let Some(aliases) = &aliases {
                c.insert("kms:resourcealiases".into(), aliases.iter().map(|a| a.name.as_str().to_owned()).collect());
            }
            c
        });
        let request = Request {
            principal_arn: caller.principal.as_str(),
            principal_account: caller.account.as_str(),
            action: access.action,
            resource: &key_arn,
            context: &context,
        };
        let denied = |why: &str| denied(caller, access.action, &key_arn, why);
        // A user or role the key policy names by ARN is the one that bore
        // the ARN when the policy was set: one deleted and re-created under
        // the same name has another unique id, and the policy's principal
        // element does not name it (its account still may; conditions on
        // aws:PrincipalArn still see the ARN).
        let key_policy_request = match identity.as_ref() {
            // (Most keys name no principal: no ARN is built for them.)
            Some(i)
                if !key.policy_principals.is_empty()
                    && key.policy_principals.get(&i.arn()).is_some_and(|named| named != i.unique_id()) =>
            {
                Request { principal_arn: i.unique_id(), ..request }
            }
            _ => Request { ..request },
        };
        let key_policy = policy.map_or(KeyDecision::NotApplicable, |p| p.evaluate_key(&key_policy_request));
        let iam = identity.as_ref().map_or(Decision::Allow, |i| i.decide(&request));
        // A session policy narrows what a key policy naming the role allows
        // too (IAM User Guide, "Session policies").
        if let Some(session) = identity.as_ref().and_then(|i| i.session_decision(&request)) {
            match session {
                Decision::Deny => return Err(denied("with an explicit deny in a session policy")),
                Decision::NotApplicable => {
                    return Err(denied(&format!("because no session policy allows the {} action", access.action)))
                }
                Decision::Allow => {}
            }
        }
        // A permissions boundary caps the identity side (folded into `iam`
        // by `decide`) and, for a role session, what a key policy naming
        // the role allows; a key policy naming an IAM user directly is not
        // capped by the user's boundary (IAM User Guide, "Permissions
        // boundaries for IAM entities").
        if let Some(identity) = &identity {
            if let Some((explicit, why)) = identity.boundary_refusal(&request) {
                let names_user_directly = matches!(identity.who, Identity::User(_))
                    && key_policy == KeyDecision::AllowPrincipal
                    && key.scope.account == caller.account;
                if explicit || !names_user_directly {
                    // Explicit denies elsewhere speak first (the key
                    // policy's, then this one); grants are not identity
                    // policies and still apply under a boundary's implicit
                    // deny.
                    if key_policy == KeyDecision::Deny {
                        return Err(denied(Side::Resource.explicit_deny()));
                    }
                    if !explicit {
                        if iam == Decision::Deny {
                            return Err(denied(Side::Identity.explicit_deny()));
                        }
                        let grants = self.matching_grants(caller, key, access).await?;
                        if !grants.is_empty() {
                            return Ok(Route::Grants(grants));
                        }
                    }
                    return Err(denied(&why));
                }
            }
        }
        let missing = match combine_sides(key_policy, iam, key.scope.account == caller.account) {
            Sides::Allow => return Ok(Route::KeyPolicy),
            Sides::Deny(side) => return Err(denied(side.explicit_deny())),
            Sides::NoAllow(side) => side,
        };
        let grants = self.matching_grants(caller, key, access).await?;
        if !grants.is_empty() {
            return Ok(Route::Grants(grants));
        }
        Err(denied(&format!("because no {}-based policy allows the {} action", missing.name(), access.action)))
    }

    /// The grants on `key` to the caller for this operation whose
    /// constraints the request meets.
    async fn matching_grants(
        &self,
        caller: &Caller,
        key: &KeyRecord,
        access: &Access,
    ) -> Result<Vec<GrantRecord>, KmsError> {
        let op = access.operation();
        let constrained =
            key.spec == trent_api::enums::KeySpec::SymmetricDefault && access.op.descriptor().encryption_context;
        let grants = self.store.grants(&key.scope, &key.id, None, MAX_GRANTS_PER_KEY).await?;
        Ok(grants
            .into_iter()
            .filter(|g| {
                g.grantee_principal == caller.principal.as_str()
                    || caller.session.as_ref().and_then(|s| s.role_arn()) == Some(g.grantee_principal.as_str())
            })
            .filter(|g| g.operations.iter().any(|o| o == op))
            .filter(|g| !constrained || constraints_admit(g, access.encryption_context.as_ref()))
            .collect())
    }

    /// The global `aws:` condition keys of a caller (IAM User Guide, "AWS
    /// global condition context keys") and `kms:CallerAccount`.
    pub(crate) fn global_context(
        &self,
        caller: &Caller,
        identity: Option<&IdentitySide>,
    ) -> HashMap<String, Vec<String>> {
        let now = self.clock.now_millis();
        let mut c: HashMap<String, Vec<String>> = HashMap::new();
        let mut put = |k: &str, v: String| {
            c.insert(k.to_owned(), vec![v]);
        };
        let role_arn = caller.session.as_ref().and_then(|s| s.role_arn());
        // For a role session, aws:PrincipalArn is the role's ARN.
        put("aws:principalarn", role_arn.unwrap_or(caller.principal.as_str()).to_owned());
        put("aws:principalaccount", caller.account.as_str().to_owned());
        match identity.map(|i| &i.who) {
            Some(Identity::User(user)) => {
                put("aws:principaltype", "User".to_owned());
                put("aws:userid", user.user_id.clone());
                put("aws:username", user.name.clone());
                for (k, v) in &user.tags {
                    put(&format!("aws:principaltag/{}", k.to_ascii_lowercase()), v.clone());
                }
            }
            Some(Identity::Role(role)) => {
                put("aws:principaltype", "AssumedRole".to_owned());
                for (k, v) in &role.tags {
                    put(&format!("aws:principaltag/{}", k.to_ascii_lowercase()), v.clone());
                }
            }
            None => {
                put("aws:principaltype", "Account".to_owned());
                put("aws:userid", caller.account.as_str().to_owned());
            }
        }
        if let Some(session) = &caller.session {
            put("aws:userid", session.user_id());
            // Session tags override the role's tags of the same key.
            for (k, v) in &session.tags {
                put(&format!("aws:principaltag/{}", k.to_ascii_lowercase()), v.clone());
            }
            put("aws:tokenissuetime", crate::audit::event_time(session.issued_at));
            if let Some(s) = &session.source_identity {
                put("aws:sourceidentity", s.clone());
            }
        }
        put("kms:calleraccount", caller.account.as_str().to_owned());
        put("aws:securetransport", caller.secure_transport.to_string());
        if let Some(ip) = caller.source_ip {
            put("aws:sourceip", ip.to_string());
        }
        if let Some(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        {
            put("aws:currenttime", t);
        }
        put("aws:epochtime", (now / 1000).to_string());
        c
    }

    /// The condition keys of a request on a key: the global keys, the key's
    /// own `kms:` keys and tags, and the operation's.
    fn condition_context(
        &self,
        caller: &Caller,
        identity: Option<&IdentitySide>,
        key: &KeyRecord,
        access: &Access,
        request_alias: Option<&str>,
    ) -> HashMap<String, Vec<String>> {
        let mut c = self.global_context(caller, identity);
        let mut put = |k: &str, v: String| {
            c.insert(k.to_owned(), vec![v]);
        };
        put("kms:keyspec", key.spec.to_string());
        put("kms:keyusage", key.usage.to_string());
        put("kms:keyorigin", key.origin.to_string());
        put("kms:multiregion", key.multi_region.to_string());
        if key.multi_region {
            put("kms:multiregionkeytype", if key.is_replica() { "REPLICA" } else { "PRIMARY" }.to_owned());
        }
        if let Some(alias) = request_alias {
            put("kms:requestalias", alias.to_owned());
        }
        if let Some(other) = &access.other_key {
            put("kms:reencryptonsamekey", (other == &key.id).to_string());
        }
        for (k, v) in &key.tags {
            c.insert(format!("aws:resourcetag/{}", k.to_ascii_lowercase()), vec![v.clone()]);
        }
        for (k, v) in &access.context {
            c.insert(k.clone(), v.clone());
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use trent_api::ids::KeyId;

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn grant(equals: Option<&[(&str, &str)]>, subset: Option<&[(&str, &str)]>) -> GrantRecord {
        GrantRecord {
            key_id: KeyId::new_unchecked("k"),
            key_arn: "arn".into(),
            grant_id: "g".into(),
            name: None,
            grantee_principal: "p".into(),
            retiring_principal: None,
            issuing_account: "a".into(),
            operations: vec!["Encrypt".into()],
            context_equals: equals.map(ctx),
            context_subset: subset.map(ctx),
            created_at: 0,
        }
    }

    /// Every combination of the two sides, each row naming the rule it
    /// checks (KMS Developer Guide, "Determining access to a KMS key"; IAM
    /// User Guide, "Cross-account policy evaluation logic").
    #[test]
    fn the_sides_combine_as_in_aws() {
        use Decision::{Allow as IamAllow, Deny as IamDeny, NotApplicable as IamNone};
        use KeyDecision::{AllowAccount, AllowPrincipal, Deny as KeyDeny, NotApplicable as KeyNone};
        let cases: &[(&str, KeyDecision, Decision, bool, Sides)] = &[
            ("a key policy Deny wins over every allow", KeyDeny, IamAllow, true, Sides::Deny(Side::Resource)),
            ("a key policy Deny wins across accounts", KeyDeny, IamAllow, false, Sides::Deny(Side::Resource)),
            ("a key policy Deny is reported before an IAM Deny", KeyDeny, IamDeny, true, Sides::Deny(Side::Resource)),
            ("a key policy Deny with no IAM statement", KeyDeny, IamNone, false, Sides::Deny(Side::Resource)),
            (
                "a key policy Deny with no IAM statement, same account",
                KeyDeny,
                IamNone,
                true,
                Sides::Deny(Side::Resource),
            ),
            ("a key policy Deny and an IAM Deny across accounts", KeyDeny, IamDeny, false, Sides::Deny(Side::Resource)),
            (
                "an IAM Deny wins over a key policy naming a user of another account",
                AllowPrincipal,
                IamDeny,
                false,
                Sides::Deny(Side::Identity),
            ),
            (
                "an IAM Deny refuses across accounts with no key policy allow",
                KeyNone,
                IamDeny,
                false,
                Sides::Deny(Side::Identity),
            ),
            (
                "an IAM Deny wins over a key policy naming the user",
                AllowPrincipal,
                IamDeny,
                true,
                Sides::Deny(Side::Identity),
            ),
            (
                "an IAM Deny wins over the account's delegation",
                AllowAccount,
                IamDeny,
                true,
                Sides::Deny(Side::Identity),
            ),
            ("an IAM Deny wins across accounts", AllowAccount, IamDeny, false, Sides::Deny(Side::Identity)),
            ("an IAM Deny refuses even with no key policy allow", KeyNone, IamDeny, true, Sides::Deny(Side::Identity)),
            ("a key policy naming the caller is enough in its account", AllowPrincipal, IamNone, true, Sides::Allow),
            ("a key policy naming the caller, and IAM allows too", AllowPrincipal, IamAllow, true, Sides::Allow),
            (
                "across accounts, naming the caller still needs IAM",
                AllowPrincipal,
                IamNone,
                false,
                Sides::NoAllow(Side::Identity),
            ),
            ("across accounts, naming the caller and IAM allows", AllowPrincipal, IamAllow, false, Sides::Allow),
            ("the account's delegation needs IAM", AllowAccount, IamNone, true, Sides::NoAllow(Side::Identity)),
            ("the account's delegation and IAM allows", AllowAccount, IamAllow, true, Sides::Allow),
            ("across accounts, the delegation needs IAM", AllowAccount, IamNone, false, Sides::NoAllow(Side::Identity)),
            ("across accounts, the delegation and IAM allows", AllowAccount, IamAllow, false, Sides::Allow),
            ("IAM alone cannot allow without the key policy", KeyNone, IamAllow, true, Sides::NoAllow(Side::Resource)),
            ("IAM alone cannot allow across accounts", KeyNone, IamAllow, false, Sides::NoAllow(Side::Resource)),
            ("nothing allows", KeyNone, IamNone, true, Sides::NoAllow(Side::Resource)),
            ("nothing allows across accounts", KeyNone, IamNone, false, Sides::NoAllow(Side::Resource)),
        ];
        for (rule, key, iam, same, expected) in cases {
            assert_eq!(combine_sides(*key, *iam, *same), *expected, "{rule}");
        }
        // The table holds every combination, once.
        let combos: std::collections::HashSet<String> =
            cases.iter().map(|(_, k, i, s, _)| format!("{k:?} {i:?} {s}")).collect();
        assert_eq!((combos.len(), cases.len()), (24, 24));
        let keys = [KeyDeny, AllowPrincipal, AllowAccount, KeyNone];
        let iams = [IamAllow, IamDeny, IamNone];
        for key in keys {
            for iam in iams {
                for same in [true, false] {
                    let allowed = combine_sides(key, iam, same) == Sides::Allow;
                    // Monotone: more Allow never narrows, a Deny never widens.
                    if allowed {
                        assert_eq!(combine_sides(key, IamAllow, same), Sides::Allow, "{key:?} {iam:?} {same}");
                        assert_eq!(combine_sides(key, iam, true), Sides::Allow, "{key:?} {iam:?}");
                    }
                    assert!(matches!(combine_sides(KeyDeny, iam, same), Sides::Deny(_)));
                    assert!(matches!(combine_sides(key, IamDeny, same), Sides::Deny(_)));
                }
            }
        }
    }

    /// KMS Developer Guide, "Using grant constraints": EncryptionContextEquals
    /// needs exactly the pairs, EncryptionContextSubset at least them; keys
    /// compare case-insensitively, values case-sensitively.
    #[test]
    fn grant_constraints_table() {
        let a: &[(&str, &str)] = &[("Dept", "IT")];
        type Pairs<'a> = Option<&'a [(&'a str, &'a str)]>;
        let cases: &[(&str, GrantRecord, Pairs<'_>, bool)] = &[
            ("no constraint admits no context", grant(None, None), None, true),
            ("no constraint admits any context", grant(None, None), Some(&[("x", "y")]), true),
            ("equals: the same pairs", grant(Some(a), None), Some(&[("Dept", "IT")]), true),
            ("equals: key case differs", grant(Some(a), None), Some(&[("dept", "IT")]), true),
            ("equals: value case differs", grant(Some(a), None), Some(&[("Dept", "it")]), false),
            ("equals: an extra pair", grant(Some(a), None), Some(&[("Dept", "IT"), ("x", "y")]), false),
            ("equals: no context", grant(Some(a), None), None, false),
            ("equals: empty constraint, empty context", grant(Some(&[]), None), None, true),
            ("subset: the same pairs", grant(None, Some(a)), Some(&[("Dept", "IT")]), true),
            ("subset: extra pairs", grant(None, Some(a)), Some(&[("Dept", "IT"), ("x", "y")]), true),
            ("subset: key case differs", grant(None, Some(a)), Some(&[("DEPT", "IT")]), true),
            ("subset: value differs", grant(None, Some(a)), Some(&[("Dept", "HR")]), false),
            ("subset: missing pair", grant(None, Some(a)), Some(&[("x", "y")]), false),
            ("subset: no context", grant(None, Some(a)), None, false),
            ("both: equals wins when subset also holds", grant(Some(a), Some(a)), Some(&[("Dept", "IT")]), true),
            (
                "both: equals fails on an extra pair",
                grant(Some(a), Some(a)),
                Some(&[("Dept", "IT"), ("x", "y")]),
                false,
            ),
        ];
        for (rule, g, request, expected) in cases {
            let request: Option<BTreeMap<String, String>> = request.map(ctx);
            assert_eq!(constraints_admit(g, request.as_ref()), *expected, "{rule}");
        }
    }
}
