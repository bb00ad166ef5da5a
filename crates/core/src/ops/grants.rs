//! CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.
//!
//! A grant gives one principal some operations on one key, optionally only
//! for requests whose encryption context meets a constraint; authorization
//! consults grants after the key policy ([`crate::authz`]). Grants take
//! effect at once (one consistent store), so a grant token is not needed to
//! use a new grant; tokens are accepted wherever AWS accepts them, and
//! RetireGrant takes one to find its grant.

use super::{check_usable, marker, missing, page_size};
use crate::authz::{context_admits, Access, Route, MAX_GRANTS_PER_KEY};
use crate::error::KmsError;
use crate::kms::Names;
use crate::model::{GrantRecord, KeyRecord, Scope};
use crate::store::StoreError;
use crate::{Caller, Kms};
use std::collections::BTreeSet;
use trent_api::enums::{GrantOperation, WireEnum as _};
use trent_api::ids::{AccountId, KeyId, KeyRef, Region};
use trent_api::ops::*;
use trent_api::time::Timestamp;
use trent_api::Operation;

/// Prefix of Trent's grant tokens: `trent-grant-1.<hex key ARN>.<grant id>`.
const TOKEN_PREFIX: &str = "trent-grant-1.";

fn token_of(grant: &GrantRecord, key_arn: &str) -> String {
    format!("{TOKEN_PREFIX}{}.{}", hex::encode(key_arn), grant.grant_id)
}

/// The key ARN and grant id a token names.
fn parse_token(token: &str) -> Result<(String, String), KmsError> {
    let invalid = || KmsError::InvalidGrantToken("The grant token is not valid.".into());
    let rest = token.strip_prefix(TOKEN_PREFIX).ok_or_else(invalid)?;
    let (arn_hex, grant_id) = rest.split_once('.').ok_or_else(invalid)?;
    let arn = String::from_utf8(hex::decode(arn_hex).map_err(|_| invalid())?).map_err(|_| invalid())?;
    check_grant_id(grant_id).map_err(|_| invalid())?;
    Ok((arn, grant_id.to_owned()))
}

/// Trent's grant ids are 64 lower-case hex digits, as AWS's are.
fn check_grant_id(id: &str) -> Result<(), KmsError> {
    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(KmsError::InvalidGrantId(format!("Invalid grant ID: {id}")))
    }
}

/// A principal a grant may name: an account root, user, role or
/// assumed-role ARN.
fn check_principal(member: &str, p: &str) -> Result<(), KmsError> {
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    let ok = match parts.as_slice() {
        ["arn", partition, "iam" | "sts", "", account, resource] => {
            partition.starts_with("aws")
                && AccountId::parse(account).is_some()
                && (*resource == "root"
                    || ["user/", "role/", "assumed-role/", "federated-user/"].iter().any(|r| resource.starts_with(r)))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(KmsError::Validation(format!("{member} {p} is not a valid principal ARN.")))
    }
}

fn entry(g: &GrantRecord, key_arn: String) -> GrantListEntry {
    let constraints = (g.context_equals.is_some() || g.context_subset.is_some()).then(|| GrantConstraints {
        encryption_context_equals: g.context_equals.clone(),
        encryption_context_subset: g.context_subset.clone(),
        source_arn: None,
    });
    GrantListEntry {
        key_id: key_arn,
        grant_id: g.grant_id.clone(),
        name: g.name.clone(),
        creation_date: Timestamp::from_millis(g.created_at),
        grantee_principal: g.grantee_principal.clone(),
        retiring_principal: g.retiring_principal.clone(),
        issuing_account: g.issuing_account.clone(),
        operations: g.operations.iter().map(|o| GrantOperation::parse(o)).collect(),
        constraints,
    }
}

/// Whether a grant that holds CreateGrant may pass on `ops` with these
/// constraints: only operations it holds, and constraints at least as
/// strict as its own.
fn passes_on(parent: &GrantRecord, ops: &[String], child: &GrantRecord) -> bool {
    if !ops.iter().all(|o| parent.operations.contains(o)) {
        return false;
    }
    match (&parent.context_equals, &parent.context_subset) {
        (None, None) => true,
        (Some(eq), _) => child.context_equals.as_ref() == Some(eq),
        (None, Some(sub)) => {
            // The child's own pairs must satisfy the parent's subset.
            let stricter = |m: &std::collections::BTreeMap<String, String>| context_admits(None, Some(sub), Some(m));
            child.context_equals.as_ref().is_some_and(stricter) || child.context_subset.as_ref().is_some_and(stricter)
        }
    }
}

impl Kms {
    /// CreateGrant.
    pub async fn create_grant(
        &self,
        caller: &Caller,
        req: CreateGrantRequest,
    ) -> Result<CreateGrantResponse, KmsError> {
        if req.grantee_service_principal.is_some() || req.retiring_service_principal.is_some() {
            return Err(KmsError::Unsupported("Service principals in grants are not supported by Trent.".into()));
        }
        let constraints = req.constraints.unwrap_or_default();
        if constraints.source_arn.is_some() {
            return Err(KmsError::Unsupported("The SourceArn grant constraint is not supported by Trent.".into()));
        }
        let grantee = req.grantee_principal.ok_or_else(|| missing("granteePrincipal"))?;
        check_principal("GranteePrincipal", &grantee)?;
        if let Some(r) = &req.retiring_principal {
            check_principal("RetiringPrincipal", r)?;
        }
        let ops: Vec<String> = req
            .operations
            .ok_or_else(|| missing("operations"))?
            .iter()
            .map(|o| o.as_str().to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if ops.is_empty() {
            return Err(KmsError::Validation("A grant must allow at least one operation.".into()));
        }
        // A grant that only lets its grantee make more grants is refused
        // (AWS's words, recorded in ansible/ansible PR 31960).
        if ops == ["CreateGrant"] {
            return Err(KmsError::Validation("Grants must not contain only the CreateGrant operation.".into()));
        }
        let access = Access::new(Operation::CreateGrant)
            .with_all("kms:GrantOperations", ops.clone())
            .with("kms:GranteePrincipal", &grantee)
            .with_opt("kms:RetiringPrincipal", req.retiring_principal.as_ref())
            .with("kms:GrantIsForAWSResource", "false");
        let key_ref = req.key_id.as_deref().ok_or_else(|| missing("keyId"))?;
        let (key, route) = self.resolve_key_routed(caller, key_ref, Names::KeyOnly, &access).await?;
        check_usable(&key)?;
        let mut grant = GrantRecord {
            key_id: key.id.clone(),
            key_arn: key.arn(),
            grant_id: String::new(),
            name: req.name,
            grantee_principal: grantee,
            retiring_principal: req.retiring_principal,
            issuing_account: key.scope.account.root_arn().as_str().to_owned(),
            operations: ops,
            context_equals: constraints.encryption_context_equals,
            context_subset: constraints.encryption_context_subset,
            created_at: self.now(),
        };
        if let Route::Grants(held) = &route {
            if !held.iter().any(|parent| passes_on(parent, &grant.operations, &grant)) {
                return Err(KmsError::AccessDenied(format!(
                    "User: {} is not authorized to perform: kms:CreateGrant on resource: {} because the grant that \
                     allows it does not hold every requested operation and constraint",
                    caller.principal.as_str(),
                    key.arn()
                )));
            }
        }
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        let existing = self.store.grants(&key.scope, &key.id, None, MAX_GRANTS_PER_KEY + 1).await?;
        // A retry with the same name and the same grant returns it.
        if let Some(same) = existing.iter().find(|g| {
            grant.name.is_some()
                && g.name == grant.name
                && g.grantee_principal == grant.grantee_principal
                && g.retiring_principal == grant.retiring_principal
                && g.operations == grant.operations
                && g.context_equals == grant.context_equals
                && g.context_subset == grant.context_subset
        }) {
            return Ok(CreateGrantResponse {
                grant_token: Some(token_of(same, &key.arn())),
                grant_id: Some(same.grant_id.clone()),
            });
        }
        if existing.len() >= MAX_GRANTS_PER_KEY {
            return Err(KmsError::LimitExceeded(format!(
                "The request would exceed the limit of {MAX_GRANTS_PER_KEY} grants on {}.",
                key.arn()
            )));
        }
        let mut id = [0u8; 32];
        self.random(&mut id)?;
        grant.grant_id = hex::encode(id);
        let response = CreateGrantResponse {
            grant_token: Some(token_of(&grant, &key.arn())),
            grant_id: Some(grant.grant_id.clone()),
        };
        self.commit_answering(caller, &response, async |events| self.store.insert_grant(&grant, events).await).await?;
        Ok(response)
    }

    /// ListGrants: the grants of a key, optionally one grant or one grantee.
    pub async fn list_grants(&self, caller: &Caller, req: ListGrantsRequest) -> Result<ListGrantsResponse, KmsError> {
        if req.grantee_service_principal.is_some() {
            return Err(KmsError::Unsupported("Service principals in grants are not supported by Trent.".into()));
        }
        let access = Access::new(Operation::ListGrants);
        let key_ref = req.key_id.as_deref().ok_or_else(|| missing("keyId"))?;
        let key = self.resolve_key(caller, key_ref, Names::KeyOnly, &access).await?;
        if let Some(id) = &req.grant_id {
            check_grant_id(id)?;
        }
        let after = marker(req.marker.as_deref(), |m| check_grant_id(m).ok().map(|()| m.to_owned()))?;
        let limit = page_size(req.limit, 50, 100);
        let mut page: Vec<GrantRecord> = self
            .store
            .grants(&key.scope, &key.id, after.as_deref(), MAX_GRANTS_PER_KEY)
            .await?
            .into_iter()
            .filter(|g| req.grant_id.as_ref().is_none_or(|id| &g.grant_id == id))
            .filter(|g| req.grantee_principal.as_ref().is_none_or(|p| &g.grantee_principal == p))
            .take(limit + 1)
            .collect();
        let truncated = page.len() > limit;
        page.truncate(limit);
        let next_marker = if truncated { page.last().map(|g| g.grant_id.clone()) } else { None };
        let arn = key.arn();
        Ok(ListGrantsResponse { grants: page.iter().map(|g| entry(g, arn.clone())).collect(), next_marker, truncated })
    }

    /// ListRetirableGrants: grants, on any key, that a principal may retire.
    pub async fn list_retirable_grants(
        &self,
        caller: &Caller,
        req: ListRetirableGrantsRequest,
    ) -> Result<ListGrantsResponse, KmsError> {
        self.authorize_identity(caller, Operation::ListRetirableGrants, "*", &[]).await?;
        if req.retiring_service_principal.is_some() {
            return Err(KmsError::Unsupported("Service principals in grants are not supported by Trent.".into()));
        }
        let principal = req.retiring_principal.ok_or_else(|| missing("retiringPrincipal"))?;
        let after = marker(req.marker.as_deref(), |m| {
            let (k, g) = m.split_once('/')?;
            check_grant_id(g).ok()?;
            Some((KeyId::parse(k)?, g.to_owned()))
        })?;
        let limit = page_size(req.limit, 50, 100);
        let mut page =
            self.store.retirable_grants(&principal, after.as_ref().map(|(k, g)| (k, g.as_str())), limit + 1).await?;
        let truncated = page.len() > limit;
        page.truncate(limit);
        let next_marker =
            if truncated { page.last().map(|g| format!("{}/{}", g.key_id.as_str(), g.grant_id)) } else { None };
        let mut grants = Vec::with_capacity(page.len());
        for g in &page {
            grants.push(entry(g, g.key_arn.clone()));
        }
        Ok(ListGrantsResponse { grants, next_marker, truncated })
    }

    /// RetireGrant: by token, or by key ARN and grant id. The retiring
    /// principal, the grantee when the grant holds RetireGrant, and the
    /// account that issued it may retire a grant.
    pub async fn retire_grant(&self, caller: &Caller, req: RetireGrantRequest) -> Result<Empty, KmsError> {
        let (key, grant_id) = match (&req.grant_token, &req.key_id, &req.grant_id) {
            (Some(token), _, _) => {
                let (arn, grant_id) = parse_token(token)?;
                (self.key_by_arn(&arn).await?, grant_id)
            }
            (None, Some(key_id), Some(grant_id)) => {
                check_grant_id(grant_id)?;
                let key = match KeyRef::parse(key_id) {
                    KeyRef::KeyArn { .. } => self.key_by_arn(key_id).await?,
                    KeyRef::Id(id) => self.store.key(&caller.scope(), &id).await?,
                    _ => return Err(KmsError::InvalidArn(format!("Invalid arn {key_id}"))),
                };
                (key, grant_id.clone())
            }
            _ => {
                return Err(KmsError::Validation(
                    "RetireGrant needs either a GrantToken, or a KeyId and a GrantId.".into(),
                ))
            }
        };
        let not_found = || KmsError::NotFound(format!("Grant ID {grant_id} not found"));
        let key = key.ok_or_else(not_found)?;
        let grant = self.find_grant(&key, &grant_id).await?.ok_or_else(not_found)?;
        let me = caller.principal.as_str();
        let may = grant.retiring_principal.as_deref() == Some(me)
            || (grant.grantee_principal == me && grant.operations.iter().any(|o| o == "RetireGrant"))
            || grant.issuing_account == me;
        if !may {
            return Err(KmsError::AccessDenied(format!(
                "User: {me} is not authorized to perform: kms:RetireGrant on resource: {}",
                key.arn()
            )));
        }
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        self.delete_grant(caller, &key, &grant_id).await
    }

    /// RevokeGrant: allowed by the key policy (`kms:RevokeGrant`).
    pub async fn revoke_grant(&self, caller: &Caller, req: RevokeGrantRequest) -> Result<Empty, KmsError> {
        let grant_id = req.grant_id.ok_or_else(|| missing("grantId"))?;
        check_grant_id(&grant_id)?;
        let access = Access::new(Operation::RevokeGrant);
        let key_ref = req.key_id.as_deref().ok_or_else(|| missing("keyId"))?;
        let key = self.resolve_key(caller, key_ref, Names::KeyOnly, &access).await?;
        if self.find_grant(&key, &grant_id).await?.is_none() {
            return Err(KmsError::NotFound(format!("Grant ID {grant_id} not found")));
        }
        if req.dry_run == Some(true) {
            return Err(KmsError::DryRun);
        }
        self.delete_grant(caller, &key, &grant_id).await
    }

    async fn find_grant(&self, key: &KeyRecord, grant_id: &str) -> Result<Option<GrantRecord>, KmsError> {
        let grants = self.store.grants(&key.scope, &key.id, None, MAX_GRANTS_PER_KEY).await?;
        Ok(grants.into_iter().find(|g| g.grant_id == grant_id))
    }

    async fn delete_grant(&self, caller: &Caller, key: &KeyRecord, grant_id: &str) -> Result<Empty, KmsError> {
        caller.audit.touch(key.arn());
        match self
            .commit(caller, async |events| self.store.delete_grant(&key.scope, &key.id, grant_id, events).await)
            .await
        {
            Ok(()) => Ok(Empty {}),
            Err(StoreError::NotFound) => Err(KmsError::NotFound(format!("Grant ID {grant_id} not found"))),
            Err(e) => Err(e.into()),
        }
    }

    /// A key by its ARN, in any account (for grant retirement, which key
    /// policies do not govern).
    async fn key_by_arn(&self, arn: &str) -> Result<Option<KeyRecord>, KmsError> {
        match KeyRef::parse(arn) {
            KeyRef::KeyArn { region, account, key_id } => {
                let (Some(account), Some(region)) = (AccountId::parse(&account), Region::parse(&region)) else {
                    return Ok(None);
                };
                Ok(self.store.key(&Scope { account, region }, &key_id).await?)
            }
            _ => Err(KmsError::InvalidArn(format!("Invalid arn {arn}"))),
        }
    }
}
