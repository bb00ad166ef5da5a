//! Authorization: who may do what to a key (AWS KMS Developer Guide, "Key
//! policies" and "Determining access to a KMS key").
//!
//! Every operation on a key resolves the key and authorizes the caller in
//! one step ([`crate::Kms::resolve_key`] takes an [`Access`]), so no path
//! reaches a key without a decision. The decision:
//! 1. the key policy is evaluated ([`crate::policy`]);
//! 2. an explicit Deny refuses; an Allow naming the caller permits when the
//!    caller's own account also lets it act (its identity side);
//! 3. otherwise the request is refused (implicit deny).
//!
//! Identity side, for now: every principal is an account root, which IAM
//! never restricts, so an account principal in the key policy ("enable IAM
//! policies") is enough. IAM users, roles and grants plug in at
//! [`identity_decision`] and beside the key policy.

use crate::error::KmsError;
use crate::model::KeyRecord;
use crate::policy::{Decision, Policy, PolicyKind, Request};
use crate::{Caller, Kms};
use std::collections::HashMap;
use trent_api::ops::EncryptionContext;

/// What a request wants to do to a key, with the condition keys only the
/// operation knows (encryption context, algorithms, …).
#[derive(Debug, Clone)]
pub(crate) struct Access {
    /// `kms:Encrypt`.
    pub action: &'static str,
    context: Vec<(String, Vec<String>)>,
}

/// Actions AWS lets another account perform on a key, when the key policy
/// allows it (KMS Developer Guide, "Allowing users in other accounts to use
/// a KMS key"). Any other action on another account's key is NotFound.
const CROSS_ACCOUNT_ACTIONS: &[&str] = &[
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeriveSharedSecret",
    "kms:Decapsulate",
    "kms:DescribeKey",
    "kms:Encapsulate",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateMac",
    "kms:GetKeyRotationStatus",
    "kms:GetPublicKey",
    "kms:ListGrants",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:Sign",
    "kms:Verify",
    "kms:VerifyMac",
];

impl Access {
    /// An action with no operation-specific condition keys.
    pub(crate) fn new(action: &'static str) -> Self {
        Access { action, context: Vec::new() }
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
        self
    }

    /// Whether another account may be granted this action by a key policy.
    pub(crate) fn cross_account(&self) -> bool {
        CROSS_ACCOUNT_ACTIONS.contains(&self.action)
    }
}

/// The identity side of a decision. Account roots are unrestricted by IAM.
fn identity_decision(_caller: &Caller) -> Decision {
    Decision::Allow
}

impl Kms {
    /// Authorizes `caller` to do `access` to `key` (reached through
    /// `request_alias` when the request named an alias).
    pub(crate) fn authorize(
        &self,
        caller: &Caller,
        key: &KeyRecord,
        access: &Access,
        request_alias: Option<&str>,
    ) -> Result<(), KmsError> {
        let key_arn = key.arn();
        let context = self.condition_context(caller, key, access, request_alias);
        let request = Request {
            principal_arn: caller.principal.as_str(),
            principal_account: caller.account.as_str(),
            action: access.action,
            resource: &key_arn,
            context: &context,
        };
        let denied = |why: &str| {
            KmsError::AccessDenied(format!(
                "User: {} is not authorized to perform: {} on resource: {key_arn} {why}",
                caller.principal.as_str(),
                access.action
            ))
        };
        // A stored policy that no longer parses (it was checked when set)
        // allows nothing: fail closed.
        let key_policy = Policy::parse(&key.policy, PolicyKind::Key)
            .map(|p| p.evaluate(&request))
            .unwrap_or(Decision::NotApplicable);
        match key_policy {
            Decision::Deny => Err(denied("with an explicit deny in a resource-based policy")),
            Decision::Allow if identity_decision(caller) == Decision::Allow => Ok(()),
            Decision::Allow => Err(denied("because no identity-based policy allows the action")),
            Decision::NotApplicable => {
                Err(denied(&format!("because no resource-based policy allows the {} action", access.action)))
            }
        }
    }

    /// The condition keys of a request: the global `aws:` keys Trent knows,
    /// the key's own `kms:` keys and tags, and the operation's.
    fn condition_context(
        &self,
        caller: &Caller,
        key: &KeyRecord,
        access: &Access,
        request_alias: Option<&str>,
    ) -> HashMap<String, Vec<String>> {
        let now = self.clock.now_millis();
        let mut c: HashMap<String, Vec<String>> = HashMap::new();
        let mut put = |k: &str, v: String| {
            c.insert(k.to_owned(), vec![v]);
        };
        put("aws:principalarn", caller.principal.as_str().to_owned());
        put("aws:principalaccount", caller.account.as_str().to_owned());
        put("aws:principaltype", "Account".to_owned());
        put("aws:userid", caller.account.as_str().to_owned());
        put("kms:calleraccount", caller.account.as_str().to_owned());
        if let Some(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        {
            put("aws:currenttime", t);
        }
        put("aws:epochtime", (now / 1000).to_string());
        put("kms:keyspec", key.spec.to_string());
        put("kms:keyusage", key.usage.to_string());
        put("kms:keyorigin", key.origin.to_string());
        if let Some(alias) = request_alias {
            put("kms:requestalias", alias.to_owned());
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
