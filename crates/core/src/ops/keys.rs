//! CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey.

use super::{marker, metadata, page_size};
use crate::authz::Access;
use crate::error::KmsError;
use crate::kms::Names;
use crate::model::{KeyRecord, KeyVersionRecord, SpecCapabilities};
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::enums::{KeySpec, KeyState, KeyUsage, Origin, WireEnum as _};
use trent_api::ids::KeyId;
use trent_api::ops::*;
use trent_api::Operation;
use trent_crypto::asymmetric;

/// AWS's limit on tags per key.
pub(crate) const MAX_TAGS: usize = 50;

impl Kms {
    pub(crate) fn default_policy(caller: &Caller) -> String {
        // The policy AWS applies when CreateKey has none: the account's root
        // may do everything, which delegates access to IAM policies.
        let doc = serde_json::json!({
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [{
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": caller.account.root_arn().as_str()},
                "Action": "kms:*",
                "Resource": "*"
            }]
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    fn new_key_id(&self) -> Result<KeyId, KmsError> {
        let mut b = [0u8; 16];
        self.random(&mut b)?;
        let id = uuid::Builder::from_random_bytes(b).into_uuid();
        Ok(KeyId::new_unchecked(id.hyphenated().to_string()))
    }

    pub(crate) fn new_material_id(&self) -> Result<String, KmsError> {
        let mut b = [0u8; 32];
        self.random(&mut b)?;
        Ok(hex::encode(b))
    }

    /// CreateKey.
    pub async fn create_key(&self, caller: &Caller, req: CreateKeyRequest) -> Result<CreateKeyResponse, KmsError> {
        self.create_key_as(caller, req, None).await
    }

    /// CreateKey with a key id chosen by the operator instead of a random
    /// one: `trent serve --seed` gives a test suite the same keys on every
    /// start. Everything else is CreateKey's (checks, authorization, audit);
    /// an id already taken fails as the store refuses it.
    pub async fn create_key_with_id(
        &self,
        caller: &Caller,
        id: KeyId,
        req: CreateKeyRequest,
    ) -> Result<CreateKeyResponse, KmsError> {
        self.create_key_as(caller, req, Some(id)).await
    }

    async fn create_key_as(
        &self,
        caller: &Caller,
        req: CreateKeyRequest,
        fixed_id: Option<KeyId>,
    ) -> Result<CreateKeyResponse, KmsError> {
        let spec = match (req.key_spec, req.customer_master_key_spec) {
            (Some(_), Some(_)) => {
                return Err(KmsError::Validation(
                    "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated."
                        .into(),
                ))
            }
            (Some(s), None) => s,
            (None, Some(c)) => KeySpec::parse(c.as_str()),
            (None, None) => KeySpec::SymmetricDefault,
        };
        let usage = match req.key_usage {
            Some(u) => u,
            None if spec == KeySpec::SymmetricDefault => KeyUsage::EncryptDecrypt,
            None => {
                return Err(KmsError::Validation(
                    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.".into(),
                ))
            }
        };
        if !spec.allowed_usages().contains(&usage) {
            return Err(KmsError::Validation(format!("KeyUsage {usage} is not compatible with KeySpec {spec}")));
        }
        if spec == KeySpec::Sm2 {
            // SM2 is offered in AWS's China Regions only; AWS refuses it
            // everywhere else with this error.
            return Err(KmsError::Unsupported("KeySpec SM2 is not supported in this Region.".into()));
        }
        if !spec.implemented() {
            return Err(KmsError::Unsupported(format!("KeySpec {spec} is not supported by this version of Trent.")));
        }
        let origin = req.origin.unwrap_or(Origin::AwsKms);
        let external = match origin {
            Origin::AwsKms => false,
            // Imported material: the specs AWS imports (SM2 is refused
            // above; Ed25519, ML-DSA and ML-KEM keys AWS does not import).
            Origin::External if importable(&spec) => true,
            // A key in a custom key store: AES-256 made inside its token.
            Origin::AwsCloudhsm if spec == KeySpec::SymmetricDefault => false,
            _ => {
                return Err(KmsError::Unsupported(format!(
                    "Origin {origin} with KeySpec {spec} is not supported by this version of Trent."
                )))
            }
        };
        let key_store = match (&origin, req.custom_key_store_id) {
            (Origin::AwsCloudhsm, Some(id)) => Some(id),
            (Origin::AwsCloudhsm, None) => {
                return Err(KmsError::Validation(
                    "You must specify a CustomKeyStoreId when the Origin is AWS_CLOUDHSM.".into(),
                ))
            }
            (_, Some(_)) => {
                return Err(KmsError::Validation(
                    "CustomKeyStoreId is valid only when the Origin is AWS_CLOUDHSM.".into(),
                ))
            }
            (_, None) => None,
        };
        if req.xks_key_id.is_some() {
            return Err(KmsError::Unsupported(
                "XksKeyId requires an external key store, which Trent does not support.".into(),
            ));
        }
        let multi_region = req.multi_region == Some(true);
        if multi_region && key_store.is_some() {
            return Err(KmsError::Unsupported("You cannot create a multi-Region key in a custom key store.".into()));
        }
        if multi_region && external {
            // AWS creates these; their replicas need the same material
            // imported into each, which Trent does not do yet.
            return Err(KmsError::Unsupported(
                "Multi-Region keys with imported key material (Origin EXTERNAL) are not supported by this version of Trent."
                    .into(),
            ));
        }
        let bypass = req.bypass_policy_lockout_safety_check == Some(true);
        let policy = req.policy.unwrap_or_else(|| Self::default_policy(caller));
        let tags = check_tags(req.tags.unwrap_or_default())?;
        // CreateKey is an identity-policy permission, on no key yet.
        let kind = multi_region.then_some("PRIMARY");
        let context = create_key_context(&spec, &usage, &origin, kind, bypass, &tags);
        self.authorize_identity(caller, Operation::CreateKey, "*", &context).await?;

        let now = self.now();
        let id = match fixed_id {
            Some(id) if multi_region && !id.as_str().starts_with("mrk-") => {
                return Err(KmsError::Validation(format!("The id of a multi-Region key starts with mrk-: {id}")))
            }
            Some(id) => id,
            None if multi_region => {
                let mut b = [0u8; 16];
                self.random(&mut b)?;
                super::multi_region::new_mrk_id(b)
            }
            None => self.new_key_id()?,
        };
        let parsed = super::key_policy::check_key_policy(
            caller,
            &policy,
            &trent_api::ids::key_arn(&caller.region, &caller.account, &id),
            bypass,
        )?;
        let policy_principals = self.check_policy_principals(&caller.account, &parsed).await?;
        let key = KeyRecord {
            id: id.clone(),
            scope: caller.scope(),
            description: req.description.unwrap_or_default(),
            spec,
            usage,
            origin,
            state: if external { KeyState::PendingImport } else { KeyState::Enabled },
            created_at: now,
            policy,
            policy_principals,
            tags,
            multi_region,
            primary_region: multi_region.then(|| caller.region.clone()),
            custom_key_store_id: key_store.clone(),
            remote_regions: Vec::new(),
            current_version: 1,
            deletion_date: None,
            pending_window_days: None,
            revision: 1,
            rotation_period_days: None,
            next_rotation_at: None,
            next_expiry_at: None,
        };
        if external {
            // The material comes later, through ImportKeyMaterial.
            let response = CreateKeyResponse { key_metadata: Some(metadata(&key, None)) };
            // (Never a multi-Region key: refused above.)
            caller.audit.touch(key.arn());
            self.commit_answering(caller, &response, async |events| self.store.insert_key(&key, None, events).await)
                .await?;
            return Ok(response);
        }
        let material_id = self.new_material_id()?;
        let wrapped_material = match key.spec.key_kind() {
            // Made inside the token; the version keeps only the marker.
            None if key_store.is_some() => self.create_token_key(&key, &material_id).await?,
            None => {
                let backing = self.crypto().generate_key().map_err(KmsError::crypto)?;
                self.keyring.wrap_backing_key(&key.material_binding(), &material_id, &backing)?
            }
            Some(kind) => {
                // RSA key generation takes up to a second or so (4096 bits);
                // it runs on the calling task, as AWS's CreateKey is slow too.
                let material = asymmetric::generate(self.crypto(), kind).map_err(KmsError::crypto)?;
                self.keyring.wrap_private_key(&key.material_binding(), &material_id, &material)?
            }
        };
        let version = KeyVersionRecord {
            key_id: id,
            version: 1,
            wrapped_material,
            material_id,
            created_at: now,
            rotation_type: None,
            import: None,
        };
        let mut meta = metadata(&key, Some(&version));
        meta.multi_region_configuration = super::multi_region::configuration(&key, std::slice::from_ref(&key));
        self.key_store_metadata(&key, &mut meta).await?;
        let response = CreateKeyResponse { key_metadata: Some(meta) };
        caller.audit.touch(key.arn());
        let inserted = self
            .commit_answering(caller, &response, async |events| {
                self.store.insert_key(&key, Some(&version), events).await
            })
            .await;
        if inserted.is_err() && key.custom_key_store_id.is_some() {
            // No key names the token object made for it: remove it.
            self.destroy_token_key(&key, &version.material_id).await;
        }
        inserted?;
        Ok(response)
    }

    /// The key's current version record, from memory when it was read
    /// under the key's revision ([`Kms::key_version`]): DescribeKey read it
    /// from the store on every call.
    async fn current_version(&self, key: &KeyRecord) -> Result<Option<std::sync::Arc<KeyVersionRecord>>, KmsError> {
        self.key_version(key, key.current_version).await
    }

    /// DescribeKey.
    pub async fn describe_key(
        &self,
        caller: &Caller,
        req: DescribeKeyRequest,
    ) -> Result<DescribeKeyResponse, KmsError> {
        let key = self
            .resolve_key(
                caller,
                req.key_id.as_deref().unwrap_or_default(),
                Names::KeyOrAlias,
                &Access::new(Operation::DescribeKey),
            )
            .await?;
        let current = self.current_version(&key).await?;
        let mut meta = metadata(&key, current.as_deref());
        meta.multi_region_configuration = self.multi_region_configuration(&key).await?;
        self.key_store_metadata(&key, &mut meta).await?;
        Ok(DescribeKeyResponse { key_metadata: Some(meta) })
    }

    /// ListKeys.
    pub async fn list_keys(&self, caller: &Caller, req: ListKeysRequest) -> Result<ListKeysResponse, KmsError> {
        self.authorize_identity(caller, Operation::ListKeys, "*", &[]).await?;
        let after = marker(req.marker.as_deref(), KeyId::parse)?;
        let limit = page_size(req.limit, 100, 1000);
        let mut keys = self.store.list_keys(&caller.scope(), after.as_ref(), limit + 1).await?;
        let truncated = keys.len() > limit;
        keys.truncate(limit);
        let next_marker = if truncated { keys.last().map(|k| k.id.to_string()) } else { None };
        Ok(ListKeysResponse {
            keys: keys.iter().map(|k| KeyListEntry { key_id: k.id.to_string(), key_arn: k.arn() }).collect(),
            next_marker,
            truncated,
        })
    }

    async fn set_enabled(&self, caller: &Caller, key_id: Option<&str>, enable: bool) -> Result<(), KmsError> {
        loop {
            let access = Access::new(if enable { Operation::EnableKey } else { Operation::DisableKey });
            let mut key = self.resolve_key(caller, key_id.unwrap_or_default(), Names::KeyOnly, &access).await?;
            let target = if enable { KeyState::Enabled } else { KeyState::Disabled };
            match key.state {
                KeyState::Enabled | KeyState::Disabled => {}
                _ => return Err(super::invalid_state(&key)),
            }
            if key.state == target {
                return Ok(());
            }
            key.state = target;
            key.revision += 1;
            match self.commit(caller, async |events| self.store.update_key(&key, events).await).await {
                Ok(()) => {
                    return Ok(());
                }
                // Someone changed the key between our read and write: re-read
                // and decide again.
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// EnableKey.
    pub async fn enable_key(&self, caller: &Caller, req: EnableKeyRequest) -> Result<Empty, KmsError> {
        self.set_enabled(caller, req.key_id.as_deref(), true).await.map(|()| Empty {})
    }

    /// DisableKey.
    pub async fn disable_key(&self, caller: &Caller, req: DisableKeyRequest) -> Result<Empty, KmsError> {
        self.set_enabled(caller, req.key_id.as_deref(), false).await.map(|()| Empty {})
    }
}

/// The condition keys of CreateKey (and of ReplicateKey's CreateKey in
/// the replica's Region), an identity-policy permission on no key yet:
/// `multi_region` is the new key's `kms:MultiRegionKeyType` (PRIMARY,
/// REPLICA), `None` for a single-Region key.
pub(crate) fn create_key_context(
    spec: &KeySpec,
    usage: &KeyUsage,
    origin: &Origin,
    multi_region: Option<&str>,
    bypass: bool,
    tags: &[(String, String)],
) -> Vec<(String, Vec<String>)> {
    let mut context: Vec<(String, Vec<String>)> = vec![
        ("kms:KeySpec".into(), vec![spec.to_string()]),
        ("kms:KeyUsage".into(), vec![usage.to_string()]),
        ("kms:KeyOrigin".into(), vec![origin.to_string()]),
        ("kms:MultiRegion".into(), vec![multi_region.is_some().to_string()]),
        ("kms:BypassPolicyLockoutSafetyCheck".into(), vec![bypass.to_string()]),
    ];
    if !tags.is_empty() {
        context.extend(crate::authz::request_tag_context(tags));
    }
    if let Some(kind) = multi_region {
        context.push(("kms:MultiRegionKeyType".into(), vec![kind.to_owned()]));
    }
    context
}

/// The key specs whose material can be imported (Origin EXTERNAL).
fn importable(spec: &KeySpec) -> bool {
    matches!(
        spec,
        KeySpec::SymmetricDefault
            | KeySpec::Rsa2048
            | KeySpec::Rsa3072
            | KeySpec::Rsa4096
            | KeySpec::EccNistP256
            | KeySpec::EccNistP384
            | KeySpec::EccNistP521
            | KeySpec::EccSecgP256k1
            | KeySpec::Hmac224
            | KeySpec::Hmac256
            | KeySpec::Hmac384
            | KeySpec::Hmac512
    )
}

/// Checks tags as AWS does: at most 50, no `aws:` prefix, no duplicate keys.
pub(crate) fn check_tags(tags: Vec<Tag>) -> Result<Vec<(String, String)>, KmsError> {
    if tags.len() > MAX_TAGS {
        return Err(KmsError::Tag("Too many tags".into()));
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for t in tags {
        let k = t.tag_key.unwrap_or_default();
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(KmsError::Tag("Tags beginning with aws: are reserved".into()));
        }
        if out.iter().any(|(x, _)| x == &k) {
            return Err(KmsError::Tag("Duplicate tag keys".into()));
        }
        out.push((k, t.tag_value.unwrap_or_default()));
    }
    Ok(out)
}
