//! Custom key stores on PKCS#11 tokens (AWS's `AWS_CLOUDHSM` kind):
//! CreateCustomKeyStore, DescribeCustomKeyStores, ConnectCustomKeyStore,
//! DisconnectCustomKeyStore, UpdateCustomKeyStore, DeleteCustomKeyStore,
//! and what the key operations need of them (the token's session for a
//! key, the key's material made and used inside the token).
//!
//! AWS connects a key store asynchronously (`CONNECTING`, then `CONNECTED`
//! or `FAILED`); Trent logs in to the token during the call, so a
//! DescribeCustomKeyStores after ConnectCustomKeyStore already shows
//! `CONNECTED` or `FAILED` with its `ConnectionErrorCode`.

use super::{marker, page_size};
use crate::error::KmsError;
use crate::hsm::{self, Hsms};
use crate::model::{CustomKeyStoreRecord, KeyRecord, Scope};
use crate::store::StoreError;
use crate::{Caller, Kms};
use std::sync::Arc;
use trent_api::enums::CustomKeyStoreType;
use trent_api::ops::*;
use trent_api::time::Timestamp;
use trent_api::{ErrorCode, Operation};
use trent_crypto::envelope::HsmBlob;
use trent_crypto::pkcs11::{HsmError, HsmPool, GCM_IV_LEN};
use zeroize::Zeroizing;

const CONNECTED: &str = "CONNECTED";
const DISCONNECTED: &str = "DISCONNECTED";
const FAILED: &str = "FAILED";

fn key_store_error(code: ErrorCode, message: String) -> KmsError {
    KmsError::KeyStore(code, message)
}

fn not_found(id: &str) -> KmsError {
    KmsError::CustomKeyStoreNotFound(format!("Custom key store '{id}' does not exist."))
}

fn invalid_state(rec: &CustomKeyStoreRecord, wanted: &str) -> KmsError {
    key_store_error(
        ErrorCode::CustomKeyStoreInvalidState,
        format!(
            "Custom key store {} is in the {} state; this operation is valid only when it is {wanted}.",
            rec.id, rec.connection_state
        ),
    )
}

fn name_in_use(name: &str) -> KmsError {
    key_store_error(
        ErrorCode::CustomKeyStoreNameInUse,
        format!("A custom key store with the name {name} already exists in this account and Region."),
    )
}

fn xks_unsupported() -> KmsError {
    KmsError::Unsupported("External key stores (EXTERNAL_KEY_STORE) are not supported by this version of Trent.".into())
}

/// AWS's `ConnectionErrorCode` for a failed login.
fn connection_error_code(e: &HsmError) -> &'static str {
    match e {
        HsmError::Module(..) | HsmError::TokenNotFound(_) => "CLUSTER_NOT_FOUND",
        HsmError::PinIncorrect => "INVALID_CREDENTIALS",
        HsmError::PinLocked => "USER_LOCKED_OUT",
        HsmError::UserNotFound => "USER_NOT_FOUND",
        HsmError::Unreachable(_) => "NETWORK_ERRORS",
        _ => "INTERNAL_ERROR",
    }
}

/// Checks a trust anchor certificate's form: one PEM `CERTIFICATE` block
/// whose body is base64 of a DER SEQUENCE. Trent has no cluster
/// certificate to check it against; it keeps and shows it.
fn check_trust_anchor(pem: &str) -> Result<(), KmsError> {
    use base64::Engine as _;
    let bad = || {
        key_store_error(
            ErrorCode::IncorrectTrustAnchor,
            "The trust anchor certificate is not a PEM-encoded X.509 certificate.".into(),
        )
    };
    let body = pem
        .trim()
        .strip_prefix("-----BEGIN CERTIFICATE-----")
        .and_then(|r| r.strip_suffix("-----END CERTIFICATE-----"))
        .ok_or_else(bad)?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| bad())?;
    // A certificate is a SEQUENCE of at least the three top-level members.
    if der.len() < 64 || der[0] != 0x30 {
        return Err(bad());
    }
    Ok(())
}

/// Maps a token failure during a key operation to AWS's answer.
pub(crate) fn token_error(key_store_id: &str, e: HsmError) -> KmsError {
    match e {
        HsmError::Authentication => KmsError::InvalidCiphertext,
        HsmError::Closed => KmsError::InvalidState(format!("Custom key store {key_store_id} is not connected.")),
        // The token or its login is gone since this node connected.
        e @ (HsmError::Module(..)
        | HsmError::TokenNotFound(_)
        | HsmError::PinIncorrect
        | HsmError::PinLocked
        | HsmError::UserNotFound) => {
            tracing::warn!(key_store = key_store_id, error = %e, "custom key store cannot reach its HSM token");
            KmsError::InvalidState(format!("Custom key store {key_store_id} cannot reach its HSM."))
        }
        HsmError::Unreachable(why) => {
            tracing::warn!(key_store = key_store_id, %why, "HSM token did not answer");
            key_store_error(
                ErrorCode::DependencyTimeout,
                format!("The HSM of custom key store {key_store_id} did not respond."),
            )
        }
        other => {
            KmsError::Internal(crate::error::InternalError::Hsm(format!("custom key store {key_store_id}: {other}")))
        }
    }
}

impl Kms {
    async fn key_store(&self, scope: &Scope, id: Option<&str>) -> Result<CustomKeyStoreRecord, KmsError> {
        let id = id.unwrap_or_default();
        self.store.custom_key_store(scope, id).await?.ok_or_else(|| not_found(id))
    }

    /// Writes a changed key store record with the call's event, and keeps
    /// it for this node's key operations.
    async fn save_key_store(&self, caller: &Caller, rec: &CustomKeyStoreRecord) -> Result<(), StoreError> {
        self.commit(caller, async |e| self.store.update_custom_key_store(rec, e).await).await?;
        self.hsms.remember(&rec.id, Some(Arc::new(rec.clone())), self.now());
        Ok(())
    }

    fn listed(rec: CustomKeyStoreRecord) -> CustomKeyStoresListEntry {
        CustomKeyStoresListEntry {
            custom_key_store_id: rec.id,
            custom_key_store_name: rec.name,
            cloud_hsm_cluster_id: rec.cluster_id,
            trust_anchor_certificate: rec.trust_anchor,
            connection_state: rec.connection_state,
            connection_error_code: rec.connection_error,
            creation_date: Timestamp::from_millis(rec.created_at),
            custom_key_store_type: CustomKeyStoreType::AwsCloudhsm,
        }
    }

    /// A declared token, or `CloudHsmClusterNotFoundException`.
    fn declared_token(&self, cluster_id: &str) -> Result<&hsm::HsmDecl, KmsError> {
        self.hsms.declared(cluster_id).ok_or_else(|| {
            key_store_error(
                ErrorCode::CloudHsmClusterNotFound,
                format!("AWS CloudHSM cluster {cluster_id} not found: Trent's configuration declares no [hsm.{cluster_id}]."),
            )
        })
    }

    /// `CloudHsmClusterInUseException` when a key store of `all` (the
    /// deployment's) but `except` uses the token.
    fn check_token_free(all: &[CustomKeyStoreRecord], cluster_id: &str, except: Option<&str>) -> Result<(), KmsError> {
        if all.iter().any(|s| s.cluster_id == cluster_id && Some(s.id.as_str()) != except) {
            return Err(key_store_error(
                ErrorCode::CloudHsmClusterInUse,
                format!("AWS CloudHSM cluster {cluster_id} is already associated with another custom key store."),
            ));
        }
        Ok(())
    }

    /// CreateCustomKeyStore.
    pub async fn create_custom_key_store(
        &self,
        caller: &Caller,
        req: CreateCustomKeyStoreRequest,
    ) -> Result<CreateCustomKeyStoreResponse, KmsError> {
        if req.names_xks() || req.custom_key_store_type == Some(CustomKeyStoreType::ExternalKeyStore) {
            return Err(xks_unsupported());
        }
        self.authorize_identity(caller, Operation::CreateCustomKeyStore, "*", &[]).await?;
        let required = |v: Option<String>, member: &str| {
            v.ok_or_else(|| {
                KmsError::Validation(format!("{member} is required for a custom key store of type AWS_CLOUDHSM."))
            })
        };
        let cluster_id = required(req.cloud_hsm_cluster_id, "CloudHsmClusterId")?;
        let trust_anchor = required(req.trust_anchor_certificate, "TrustAnchorCertificate")?;
        let password = req.key_store_password.ok_or_else(|| {
            KmsError::Validation("KeyStorePassword is required for a custom key store of type AWS_CLOUDHSM.".into())
        })?;
        let name = req.custom_key_store_name.unwrap_or_default();
        let scope = caller.scope();
        // One read of the deployment's key stores for the name and the token.
        let all = self.store.custom_key_stores(None).await?;
        if all.iter().any(|s| s.scope == scope && s.name == name) {
            return Err(name_in_use(&name));
        }
        let decl = self.declared_token(&cluster_id)?.clone();
        check_trust_anchor(&trust_anchor)?;
        Self::check_token_free(&all, &cluster_id, None)?;
        Hsms::present(&decl).await.map_err(|e| {
            // The module path and token label stay in the log.
            tracing::warn!(cluster = %cluster_id, error = %e, "declared HSM token not found");
            key_store_error(
                ErrorCode::CloudHsmClusterNotActive,
                format!("AWS CloudHSM cluster {cluster_id} is not active: its token is not present."),
            )
        })?;
        let mut raw = [0u8; 9];
        self.random(&mut raw)?;
        let id = format!("cks-{}", &hex::encode(raw)[..17]);
        let rec = CustomKeyStoreRecord {
            scope,
            wrapped_password: self.keyring.wrap_key_store_password(&id, password.expose().as_bytes())?,
            id,
            name,
            cluster_id,
            trust_anchor,
            connection_state: DISCONNECTED.into(),
            connection_error: None,
            created_at: self.now(),
        };
        let response = CreateCustomKeyStoreResponse { custom_key_store_id: Some(rec.id.clone()) };
        match self
            .commit_answering(caller, &response, async |e| self.store.insert_custom_key_store(&rec, e).await)
            .await
        {
            Ok(()) => Ok(response),
            Err(StoreError::AlreadyExists) => Err(name_in_use(&rec.name)),
            Err(e) => Err(e.into()),
        }
    }

    /// DescribeCustomKeyStores.
    pub async fn describe_custom_key_stores(
        &self,
        caller: &Caller,
        req: DescribeCustomKeyStoresRequest,
    ) -> Result<DescribeCustomKeyStoresResponse, KmsError> {
        self.authorize_identity(caller, Operation::DescribeCustomKeyStores, "*", &[]).await?;
        if req.custom_key_store_id.is_some() && req.custom_key_store_name.is_some() {
            return Err(KmsError::Validation(
                "Specify either the CustomKeyStoreId or the CustomKeyStoreName, not both.".into(),
            ));
        }
        let scope = caller.scope();
        if let Some(id) = req.custom_key_store_id.as_deref() {
            let rec = self.key_store(&scope, Some(id)).await?;
            return Ok(DescribeCustomKeyStoresResponse {
                custom_key_stores: vec![Self::listed(rec)],
                ..Default::default()
            });
        }
        let all = self.store.custom_key_stores(Some(&scope)).await?;
        if let Some(name) = req.custom_key_store_name.as_deref() {
            let rec = all.into_iter().find(|s| s.name == name).ok_or_else(|| {
                KmsError::CustomKeyStoreNotFound(format!("Custom key store with name '{name}' does not exist."))
            })?;
            return Ok(DescribeCustomKeyStoresResponse {
                custom_key_stores: vec![Self::listed(rec)],
                ..Default::default()
            });
        }
        let after = marker(req.marker.as_deref(), |m| m.starts_with("cks-").then(|| m.to_owned()))?;
        let limit = page_size(req.limit, 1000, 1000);
        let mut page: Vec<_> = all.into_iter().filter(|s| after.as_ref().is_none_or(|a| s.id > *a)).collect();
        let truncated = page.len() > limit;
        page.truncate(limit);
        let next_marker = if truncated { page.last().map(|s| s.id.clone()) } else { None };
        Ok(DescribeCustomKeyStoresResponse {
            custom_key_stores: page.into_iter().map(Self::listed).collect(),
            next_marker,
            truncated,
        })
    }

    /// Logs this node in to a key store's token.
    async fn open_token(&self, rec: &CustomKeyStoreRecord) -> Result<Arc<HsmPool>, HsmError> {
        let decl =
            self.hsms.declared(&rec.cluster_id).ok_or_else(|| HsmError::TokenNotFound(rec.cluster_id.clone()))?;
        let pin = self
            .keyring
            .unwrap_key_store_password(self.store.as_ref(), &rec.id, &rec.wrapped_password)
            .await
            .map_err(|e| HsmError::Other(e.to_string()))?;
        self.hsms.connect(&rec.id, decl, Zeroizing::new(pin.expose().to_vec())).await
    }

    /// ConnectCustomKeyStore.
    pub async fn connect_custom_key_store(
        &self,
        caller: &Caller,
        req: CustomKeyStoreIdRequest,
    ) -> Result<Empty, KmsError> {
        self.authorize_identity(caller, Operation::ConnectCustomKeyStore, "*", &[]).await?;
        let mut rec = self.key_store(&caller.scope(), req.custom_key_store_id.as_deref()).await?;
        if rec.connection_state == FAILED {
            return Err(key_store_error(
                ErrorCode::CustomKeyStoreInvalidState,
                format!(
                    "Custom key store {} is in the FAILED state. Disconnect it (DisconnectCustomKeyStore), then connect it.",
                    rec.id
                ),
            ));
        }
        if rec.connection_state == CONNECTED && self.hsms.pool(&rec.id).is_some() {
            return Ok(Empty {});
        }
        match self.open_token(&rec).await {
            Ok(_) => {
                rec.connection_state = CONNECTED.into();
                rec.connection_error = None;
            }
            Err(e) => {
                tracing::warn!(key_store = %rec.id, error = %e, "custom key store failed to connect");
                rec.connection_state = FAILED.into();
                rec.connection_error = Some(connection_error_code(&e).into());
            }
        }
        self.save_key_store(caller, &rec).await?;
        Ok(Empty {})
    }

    /// DisconnectCustomKeyStore.
    pub async fn disconnect_custom_key_store(
        &self,
        caller: &Caller,
        req: CustomKeyStoreIdRequest,
    ) -> Result<Empty, KmsError> {
        self.authorize_identity(caller, Operation::DisconnectCustomKeyStore, "*", &[]).await?;
        let mut rec = self.key_store(&caller.scope(), req.custom_key_store_id.as_deref()).await?;
        if rec.connection_state == DISCONNECTED {
            return Err(invalid_state(&rec, "CONNECTED or FAILED"));
        }
        rec.connection_state = DISCONNECTED.into();
        rec.connection_error = None;
        self.save_key_store(caller, &rec).await?;
        self.hsms.disconnect(&rec.id).await;
        Ok(Empty {})
    }

    /// UpdateCustomKeyStore.
    pub async fn update_custom_key_store(
        &self,
        caller: &Caller,
        req: UpdateCustomKeyStoreRequest,
    ) -> Result<Empty, KmsError> {
        if req.names_xks() {
            return Err(xks_unsupported());
        }
        self.authorize_identity(caller, Operation::UpdateCustomKeyStore, "*", &[]).await?;
        let mut rec = self.key_store(&caller.scope(), req.custom_key_store_id.as_deref()).await?;
        if rec.connection_state != DISCONNECTED {
            return Err(invalid_state(&rec, "DISCONNECTED"));
        }
        if let Some(cluster_id) = req.cloud_hsm_cluster_id.filter(|c| *c != rec.cluster_id) {
            let new = self.declared_token(&cluster_id)?;
            // The keys must be found in the new token: AWS accepts only a
            // cluster that shares the original's backups; Trent, a
            // declaration of the same token.
            if self.hsms.declared(&rec.cluster_id) != Some(new) {
                return Err(key_store_error(
                    ErrorCode::CloudHsmClusterNotRelated,
                    format!(
                        "AWS CloudHSM cluster {cluster_id} is not related to the cluster of custom key store {}: it declares another token.",
                        rec.id
                    ),
                ));
            }
            Self::check_token_free(&self.store.custom_key_stores(None).await?, &cluster_id, Some(&rec.id))?;
            rec.cluster_id = cluster_id;
        }
        if let Some(name) = req.new_custom_key_store_name {
            rec.name = name;
        }
        if let Some(password) = req.key_store_password {
            rec.wrapped_password = self.keyring.wrap_key_store_password(&rec.id, password.expose().as_bytes())?;
        }
        match self.save_key_store(caller, &rec).await {
            Ok(()) => Ok(Empty {}),
            Err(StoreError::AlreadyExists) => Err(name_in_use(&rec.name)),
            Err(e) => Err(e.into()),
        }
    }

    /// DeleteCustomKeyStore.
    pub async fn delete_custom_key_store(
        &self,
        caller: &Caller,
        req: CustomKeyStoreIdRequest,
    ) -> Result<Empty, KmsError> {
        self.authorize_identity(caller, Operation::DeleteCustomKeyStore, "*", &[]).await?;
        let scope = caller.scope();
        let rec = self.key_store(&scope, req.custom_key_store_id.as_deref()).await?;
        if rec.connection_state != DISCONNECTED {
            return Err(invalid_state(&rec, "DISCONNECTED"));
        }
        if self.store.custom_key_store_keys(&scope, &rec.id).await? > 0 {
            return Err(key_store_error(
                ErrorCode::CustomKeyStoreHasCmks,
                format!(
                    "Custom key store {} contains KMS keys. Delete them (ScheduleKeyDeletion) and wait for their deletion first.",
                    rec.id
                ),
            ));
        }
        self.commit(caller, async |e| self.store.delete_custom_key_store(&scope, &rec.id, e).await).await?;
        self.hsms.remember(&rec.id, None, self.now());
        Ok(Empty {})
    }

    /// The token session pool of a connected key store, for a key
    /// operation: `CustomKeyStoreInvalidStateException` (or, for a key's
    /// use, `KMSInvalidStateException`) when the key store is not
    /// connected. This node logs in on first use; it drops its connection
    /// once the record says the key store was disconnected.
    pub(crate) async fn key_store_pool(
        &self,
        scope: &Scope,
        id: &str,
        for_key: Option<&KeyRecord>,
    ) -> Result<Arc<HsmPool>, KmsError> {
        let now = self.now();
        let rec = match self.hsms.cached_record(id, now).filter(|r| &r.scope == scope) {
            Some(r) => r,
            None => {
                let r = Arc::new(self.key_store(scope, Some(id)).await?);
                self.hsms.remember(id, Some(r.clone()), now);
                r
            }
        };
        if rec.connection_state != CONNECTED {
            self.hsms.disconnect(id).await;
            return Err(match for_key {
                Some(key) => KmsError::InvalidState(format!(
                    "{} is unavailable because its custom key store {id} is not connected.",
                    key.arn()
                )),
                None => invalid_state(&rec, CONNECTED),
            });
        }
        if let Some(pool) = self.hsms.pool(id) {
            return Ok(pool);
        }
        self.open_token(&rec).await.map_err(|e| token_error(id, e))
    }

    /// The `Unavailable` state of a key whose custom key store is not
    /// connected, and its key store's token, for DescribeKey and CreateKey.
    pub(crate) async fn key_store_metadata(&self, key: &KeyRecord, meta: &mut KeyMetadata) -> Result<(), KmsError> {
        let Some(id) = key.custom_key_store_id.as_deref() else {
            return Ok(());
        };
        if let Some(rec) = self.store.custom_key_store(&key.scope, id).await? {
            meta.cloud_hsm_cluster_id = Some(rec.cluster_id);
            if rec.connection_state != CONNECTED && key.state == trent_api::enums::KeyState::Enabled {
                meta.key_state = trent_api::enums::KeyState::Unavailable;
                meta.enabled = false;
            }
        }
        Ok(())
    }

    /// Makes a key's AES-256 material inside its key store's token, found
    /// later by its material id; returns what the version record keeps in
    /// place of wrapped material ([`TOKEN_MATERIAL`]).
    pub(crate) async fn create_token_key(&self, key: &KeyRecord, material_id: &str) -> Result<Vec<u8>, KmsError> {
        let id = key.custom_key_store_id.as_deref().unwrap_or_default();
        let pool = self.key_store_pool(&key.scope, id, None).await?;
        let object_id = token_object_id(material_id)?;
        let label = key.arn();
        hsm::run(&pool, move |s| s.generate_aes_key(&object_id, &label)).await.map_err(|e| token_error(id, e))?;
        Ok(TOKEN_MATERIAL.to_vec())
    }

    /// Encrypts under a key in a custom key store: AES-GCM inside the
    /// token, the blob of format 3.
    pub(crate) async fn token_seal(
        &self,
        key: &KeyRecord,
        key_id: [u8; 16],
        material_id: &str,
        context: Vec<u8>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, KmsError> {
        let id = key.custom_key_store_id.as_deref().unwrap_or_default();
        let pool = self.key_store_pool(&key.scope, id, Some(key)).await?;
        let object_id = token_object_id(material_id)?;
        let mut iv = [0u8; GCM_IV_LEN];
        self.random(&mut iv)?;
        let header = HsmBlob::header(key_id, id, &iv).map_err(KmsError::crypto)?;
        let aad = [header.as_slice(), &context].concat();
        let plaintext = Zeroizing::new(plaintext.to_vec());
        let sealed = hsm::run(&pool, move |s| s.encrypt_gcm(&object_id, &iv, &aad, &plaintext))
            .await
            .map_err(|e| token_error(id, e))?;
        Ok([header, sealed].concat())
    }

    /// Decrypts a format-3 blob inside the key's token (the material of
    /// version `material_id`).
    pub(crate) async fn token_open(
        &self,
        key: &KeyRecord,
        material_id: &str,
        blob: &HsmBlob<'_>,
        context: &[u8],
    ) -> Result<trent_crypto::SecretBytes, KmsError> {
        let id = key.custom_key_store_id.as_deref().unwrap_or_default();
        let pool = self.key_store_pool(&key.scope, id, Some(key)).await?;
        let object_id = token_object_id(material_id)?;
        let (iv, aad, body) = (blob.iv, blob.aad(context), blob.body.to_vec());
        let plaintext = hsm::run(&pool, move |s| s.decrypt_gcm(&object_id, &iv, &aad, &body))
            .await
            .map_err(|e| token_error(id, e))?;
        Ok(trent_crypto::SecretBytes::new(plaintext))
    }

    /// Destroys a deleted key's object in its token. AWS leaves the key
    /// material in the cluster when the key store is disconnected at the
    /// end of the waiting period; so does Trent, and says so in the log.
    pub(crate) async fn destroy_token_key(&self, key: &KeyRecord, material_id: &str) {
        let id = key.custom_key_store_id.as_deref().unwrap_or_default();
        let done = async {
            let pool = self.key_store_pool(&key.scope, id, None).await?;
            let object_id = token_object_id(material_id)?;
            hsm::run(&pool, move |s| s.destroy_key(&object_id)).await.map_err(|e| token_error(id, e))
        };
        if let Err(e) = done.await {
            tracing::warn!(key = %key.arn(), key_store = id, error = %e, "the deleted key's material stays in the token (orphaned)");
        }
    }

    /// GenerateRandom's `CustomKeyStoreId`: bytes from that key store's
    /// token, which must be connected.
    pub(crate) async fn token_random(&self, scope: &Scope, id: &str, len: u32) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        let pool = self.key_store_pool(scope, id, None).await?;
        hsm::run(&pool, move |s| s.random(len)).await.map_err(|e| token_error(id, e))
    }
}

/// What a key version in a custom key store keeps where other versions
/// keep their wrapped material: a marker, not material (that is in the
/// token, found by the version's material id).
pub(crate) const TOKEN_MATERIAL: &[u8] = b"pkcs11-token";

/// The token object's `CKA_ID`: the material id's 32 bytes.
fn token_object_id(material_id: &str) -> Result<Vec<u8>, KmsError> {
    hex::decode(material_id).map_err(|_| KmsError::corrupt(format!("material id {material_id} is not hex")))
}
