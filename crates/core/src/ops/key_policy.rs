//! PutKeyPolicy, GetKeyPolicy, ListKeyPolicies, and the checks every key
//! policy passes before it is stored (CreateKey's too).

use crate::authz::Access;
use crate::error::KmsError;
use crate::kms::Names;
use crate::model::KeyRecord;
use crate::policy::{Policy, PolicyKind};
use crate::{Caller, Kms};
use std::collections::BTreeMap;
use trent_api::ids::AccountId;
use trent_api::ops::*;
use trent_api::Operation;

/// The one policy name AWS supports.
const DEFAULT_POLICY_NAME: &str = "default";

/// Parses a key policy and runs AWS's lockout safety check: unless
/// `bypass`, the policy must keep allowing the caller to call PutKeyPolicy
/// on the key, or nobody could ever change it again.
pub(crate) fn check_key_policy(caller: &Caller, text: &str, key_arn: &str, bypass: bool) -> Result<Policy, KmsError> {
    let policy = Policy::parse(text, PolicyKind::Key).map_err(|e| KmsError::MalformedPolicyDocument(e.0))?;
    if !bypass
        && !policy.allows_unconditionally(
            caller.principal.as_str(),
            caller.account.as_str(),
            Operation::PutKeyPolicy.action(),
            key_arn,
        )
    {
        return Err(KmsError::MalformedPolicyDocument(
            "The new key policy will not allow you to update the key policy in the future.".into(),
        ));
    }
    Ok(policy)
}

impl Kms {
    /// AWS refuses a key policy naming an IAM user or role that does not
    /// exist. Trent knows the users and roles of the key's account (`owner`)
    /// and of the other accounts it holds: a user or role ARN of one of
    /// them must name an existing one, exactly (a role's ARN with its path).
    /// (Principals of accounts Trent does not hold cannot be checked.) Call
    /// once the caller is authorized: the answer tells whether they exist.
    /// Returns the unique id of each, by ARN, for
    /// [`KeyRecord::policy_principals`](crate::model::KeyRecord).
    pub(crate) async fn check_policy_principals(
        &self,
        owner: &AccountId,
        policy: &Policy,
    ) -> Result<BTreeMap<String, String>, KmsError> {
        let mut ids = BTreeMap::new();
        for arn in policy.principal_arns() {
            // arn:aws:iam::ACCOUNT:user/NAME or …:role/PATH/NAME (the parser
            // checked the form).
            let Some(account) = arn.strip_prefix("arn:aws:iam::").and_then(|r| r.split(':').next()) else {
                continue;
            };
            let Some(account) = AccountId::parse(account) else { continue };
            if &account != owner && self.store.account(&account).await?.is_none() {
                continue;
            }
            let Some(id) = self.principal_id(&account, arn).await? else { continue };
            let Some(id) = id else {
                return Err(KmsError::MalformedPolicyDocument(
                    "Policy contains a statement with one or more invalid principals.".into(),
                ));
            };
            ids.insert(arn.to_owned(), id);
        }
        Ok(ids)
    }

    /// The unique id of the user or role `arn` names in `account`:
    /// `Some(None)` when there is none, `None` when `arn` names no user or
    /// role.
    async fn principal_id(&self, account: &AccountId, arn: &str) -> Result<Option<Option<String>>, KmsError> {
        Ok(if let Some(name) = crate::authz::user_name(arn) {
            Some(self.store.user(account, name).await?.filter(|u| u.name == name).map(|u| u.user_id))
        } else if let Some(name) = arn.split_once(":role/").and_then(|(_, r)| r.rsplit('/').next()) {
            Some(self.store.role(account, name).await?.filter(|r| r.arn() == arn).map(|r| r.role_id))
        } else {
            None
        })
    }

    /// The key policy as GetKeyPolicy shows it: a user or role it names by
    /// ARN that has since been deleted (or re-created, under another unique
    /// id) shows as the unique id it had, as AWS shows it; the document is
    /// returned as stored when none has.
    async fn shown_key_policy(&self, key: &KeyRecord) -> Result<String, KmsError> {
        let mut gone: BTreeMap<&str, &str> = BTreeMap::new();
        for (arn, id) in &key.policy_principals {
            let account =
                arn.strip_prefix("arn:aws:iam::").and_then(|r| r.split(':').next()).and_then(AccountId::parse);
            let current = match account {
                Some(account) => self.principal_id(&account, arn).await?.flatten(),
                None => None,
            };
            if current.as_deref() != Some(id.as_str()) {
                gone.insert(arn, id);
            }
        }
        if gone.is_empty() {
            return Ok(key.policy.clone());
        }
        let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(&key.policy) else {
            return Ok(key.policy.clone());
        };
        let swap = |v: &mut serde_json::Value| {
            if let Some(id) = v.as_str().and_then(|s| gone.get(s)) {
                *v = serde_json::Value::String((*id).to_owned());
            }
        };
        let statements = match doc.get_mut("Statement") {
            Some(serde_json::Value::Array(list)) => list.iter_mut().collect(),
            Some(one @ serde_json::Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        for statement in statements {
            for element in ["Principal", "NotPrincipal"] {
                match statement.get_mut(element).and_then(|p| p.get_mut("AWS")) {
                    Some(serde_json::Value::Array(list)) => list.iter_mut().for_each(swap),
                    Some(one) => swap(one),
                    None => {}
                }
            }
        }
        Ok(doc.to_string())
    }
}

fn check_policy_name(name: Option<&str>) -> Result<(), KmsError> {
    match name {
        None | Some(DEFAULT_POLICY_NAME) => Ok(()),
        Some(_) => Err(KmsError::NotFound("No such policy exists".into())),
    }
}

impl Kms {
    /// PutKeyPolicy: replaces the key policy (the caller must be allowed
    /// `kms:PutKeyPolicy` by the current one).
    pub async fn put_key_policy(&self, caller: &Caller, req: PutKeyPolicyRequest) -> Result<Empty, KmsError> {
        check_policy_name(req.policy_name.as_deref())?;
        let text = req.policy.ok_or_else(|| super::missing("policy"))?;
        let bypass = req.bypass_policy_lockout_safety_check == Some(true);
        let access = Access::new(Operation::PutKeyPolicy);
        // Authorized first: the principal check reveals which users exist.
        // (modify_key resolves the key again, for its revision; a key's ARN
        // never changes, so the checks hold for what it reads.)
        let key_ref = req.key_id.as_deref().unwrap_or_default();
        let key = self.resolve_key(caller, key_ref, Names::KeyOnly, &access).await?;
        let policy = check_key_policy(caller, &text, &key.arn(), bypass)?;
        let principals = self.check_policy_principals(&key.scope.account, &policy).await?;
        self.modify_key(caller, req.key_id.as_deref(), &access, |key| {
            key.policy.clone_from(&text);
            key.policy_principals.clone_from(&principals);
            Ok(())
        })
        .await?;
        Ok(Empty {})
    }

    /// GetKeyPolicy.
    pub async fn get_key_policy(
        &self,
        caller: &Caller,
        req: GetKeyPolicyRequest,
    ) -> Result<GetKeyPolicyResponse, KmsError> {
        let access = Access::new(Operation::GetKeyPolicy);
        let key = self.resolve_key(caller, req.key_id.as_deref().unwrap_or_default(), Names::KeyOnly, &access).await?;
        check_policy_name(req.policy_name.as_deref())?;
        let policy = self.shown_key_policy(&key).await?;
        Ok(GetKeyPolicyResponse { policy: Some(policy), policy_name: Some(DEFAULT_POLICY_NAME.to_owned()) })
    }

    /// ListKeyPolicies: always the one policy, `default`.
    pub async fn list_key_policies(
        &self,
        caller: &Caller,
        req: ListKeyPoliciesRequest,
    ) -> Result<ListKeyPoliciesResponse, KmsError> {
        let access = Access::new(Operation::ListKeyPolicies);
        self.resolve_key(caller, req.key_id.as_deref().unwrap_or_default(), Names::KeyOnly, &access).await?;
        // One name: any marker (which we never hand out) ends the list.
        let policy_names = if req.marker.is_some() { Vec::new() } else { vec![DEFAULT_POLICY_NAME.to_owned()] };
        Ok(ListKeyPoliciesResponse { policy_names, next_marker: None, truncated: false })
    }
}
