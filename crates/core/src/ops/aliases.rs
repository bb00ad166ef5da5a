//! CreateAlias, DeleteAlias, UpdateAlias, ListAliases.

use super::{marker, page_size};
use crate::authz::Access;
use crate::error::KmsError;
use crate::kms::Names;
use crate::model::{AliasRecord, KeyRecord};
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::enums::KeyState;
use trent_api::ids::{alias_arn, AliasName};
use trent_api::ops::*;
use trent_api::time::Timestamp;
use trent_api::validate::alias_chars_ok;
use trent_api::Operation;

/// Checks the rules on alias names that the model's pattern does not say.
fn alias_name(name: Option<&str>) -> Result<AliasName, KmsError> {
    let name = name.unwrap_or_default();
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(KmsError::Validation(
            "Alias must start with the prefix \"alias/\". Please see \
             https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
                .into(),
        ));
    };
    // The model's pattern allows `:`, AWS does not (terraform-provider-aws
    // issue 12891 records the answer).
    if rest.contains(':') {
        return Err(KmsError::Validation(format!("{name} contains invalid characters for an alias")));
    }
    if rest.is_empty() || !alias_chars_ok(rest) {
        return Err(KmsError::InvalidAliasName(format!("Alias {name} is not a valid alias name.")));
    }
    if rest.starts_with("aws/") {
        return Err(KmsError::NotAuthorized(
            "Alias names cannot begin with alias/aws/, which is reserved for AWS managed keys.".into(),
        ));
    }
    Ok(AliasName::new_unchecked(name))
}

fn check_target(key: &KeyRecord) -> Result<(), KmsError> {
    match key.state {
        KeyState::PendingDeletion => Err(KmsError::InvalidState(format!("{} is pending deletion.", key.arn()))),
        _ => Ok(()),
    }
}

impl Kms {
    /// The alias side of CreateAlias, UpdateAlias and DeleteAlias: an
    /// identity-policy permission on the alias ARN (the key side is the key
    /// policy's).
    async fn authorize_alias(&self, caller: &Caller, op: Operation, name: &AliasName) -> Result<(), KmsError> {
        let arn = alias_arn(&caller.region, &caller.account, name);
        self.authorize_identity(caller, op, &arn, &[]).await
    }

    /// CreateAlias.
    pub async fn create_alias(&self, caller: &Caller, req: CreateAliasRequest) -> Result<Empty, KmsError> {
        let name = alias_name(req.alias_name.as_deref())?;
        self.authorize_alias(caller, Operation::CreateAlias, &name).await?;
        let access = Access::new(Operation::CreateAlias);
        let key =
            self.resolve_key(caller, req.target_key_id.as_deref().unwrap_or_default(), Names::KeyOnly, &access).await?;
        check_target(&key)?;
        let now = self.now();
        let rec = AliasRecord { scope: caller.scope(), name, target: key.id, created_at: now, updated_at: now };
        match self.commit(caller, async |events| self.store.insert_alias(&rec, events).await).await {
            Ok(()) => Ok(Empty {}),
            Err(StoreError::AlreadyExists) => Err(KmsError::AlreadyExists(format!(
                "An alias with the name {} already exists",
                alias_arn(&caller.region, &caller.account, &rec.name)
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// DeleteAlias.
    pub async fn delete_alias(&self, caller: &Caller, req: DeleteAliasRequest) -> Result<Empty, KmsError> {
        let name = alias_name(req.alias_name.as_deref())?;
        self.authorize_alias(caller, Operation::DeleteAlias, &name).await?;
        // The caller needs DeleteAlias on the key the alias points to.
        if let Some(alias) = self.store.alias(&caller.scope(), &name).await? {
            if let Some(key) = self.store.key(&caller.scope(), &alias.target).await? {
                self.authorize(caller, &key, &Access::new(Operation::DeleteAlias), None).await?;
            }
        }
        match self.commit(caller, async |events| self.store.delete_alias(&caller.scope(), &name, events).await).await {
            Ok(()) => Ok(Empty {}),
            Err(StoreError::NotFound) => Err(KmsError::NotFound(format!(
                "Alias {} is not found.",
                alias_arn(&caller.region, &caller.account, &name)
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// UpdateAlias: points an existing alias at another key of the same
    /// spec and usage.
    pub async fn update_alias(&self, caller: &Caller, req: UpdateAliasRequest) -> Result<Empty, KmsError> {
        let name = alias_name(req.alias_name.as_deref())?;
        self.authorize_alias(caller, Operation::UpdateAlias, &name).await?;
        let scope = caller.scope();
        let not_found =
            || KmsError::NotFound(format!("Alias {} is not found.", alias_arn(&caller.region, &caller.account, &name)));
        let current = self.store.alias(&scope, &name).await?.ok_or_else(not_found)?;
        let access = Access::new(Operation::UpdateAlias);
        let key =
            self.resolve_key(caller, req.target_key_id.as_deref().unwrap_or_default(), Names::KeyOnly, &access).await?;
        check_target(&key)?;
        if let Some(old) = self.store.key(&scope, &current.target).await? {
            // The alias leaves this key: the caller needs UpdateAlias on it too.
            self.authorize(caller, &old, &access, None).await?;
            if old.spec != key.spec || old.usage != key.usage {
                return Err(KmsError::Validation(format!(
                    "Alias {} cannot be changed from a key with spec {} and usage {} to a key with spec {} and usage {}.",
                    name, old.spec, old.usage, key.spec, key.usage
                )));
            }
        }
        let rec = AliasRecord { target: key.id, updated_at: self.now(), ..current };
        match self.commit(caller, async |events| self.store.update_alias(&rec, events).await).await {
            Ok(()) => Ok(Empty {}),
            Err(StoreError::NotFound) => Err(not_found()),
            Err(e) => Err(e.into()),
        }
    }

    /// ListAliases.
    pub async fn list_aliases(
        &self,
        caller: &Caller,
        req: ListAliasesRequest,
    ) -> Result<ListAliasesResponse, KmsError> {
        let target = match req.key_id.as_deref() {
            Some(k) => {
                Some(self.resolve_key(caller, k, Names::KeyOnly, &Access::new(Operation::ListAliases)).await?.id)
            }
            None => {
                self.authorize_identity(caller, Operation::ListAliases, "*", &[]).await?;
                None
            }
        };
        let after = marker(req.marker.as_deref(), |s| {
            (s.starts_with("alias/") && alias_chars_ok(s)).then(|| AliasName::new_unchecked(s))
        })?;
        let limit = page_size(req.limit, 50, 100);
        let mut rows = self.store.list_aliases(&caller.scope(), target.as_ref(), after.as_ref(), limit + 1).await?;
        let truncated = rows.len() > limit;
        rows.truncate(limit);
        let next_marker = if truncated { rows.last().map(|a| a.name.to_string()) } else { None };
        Ok(ListAliasesResponse {
            aliases: rows
                .into_iter()
                .map(|a| AliasListEntry {
                    alias_arn: alias_arn(&caller.region, &caller.account, &a.name),
                    alias_name: a.name.to_string(),
                    target_key_id: Some(a.target.to_string()),
                    creation_date: Some(Timestamp::from_millis(a.created_at)),
                    last_updated_date: Some(Timestamp::from_millis(a.updated_at)),
                })
                .collect(),
            next_marker,
            truncated,
        })
    }
}
