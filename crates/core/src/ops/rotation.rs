//! EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations.
//!
//! A rotation adds a key version with fresh backing key material and makes
//! it current; older versions stay, so every older ciphertext (which names
//! its version) still decrypts.

use super::lifecycle::DAY_MS;
use super::multi_region::refuse_replica;
use super::{invalid_state, marker, page_size};
use crate::audit::{service_event, AuditEntry};
use crate::authz::Access;
use crate::error::{InternalError, KmsError};
use crate::kms::Names;
use crate::model::{KeyRecord, KeyVersionRecord};
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::enums::{IncludeKeyMaterial, KeyMaterialState, KeySpec, KeyState, Origin, RotationType};
use trent_api::ops::*;
use trent_api::time::Timestamp;
use trent_api::Operation;

/// AWS's limit on on-demand rotations per key.
const MAX_ON_DEMAND: usize = 25;
/// Default days between automatic rotations.
const DEFAULT_PERIOD_DAYS: i64 = 365;
/// Versions read per query when counting or listing.
const VERSION_PAGE: usize = 1000;

/// Automatic rotation exists for symmetric keys with Trent-generated
/// material; on-demand rotation and the rotation list also for symmetric
/// keys with imported material.
fn check_rotatable(key: &KeyRecord, imported_ok: bool) -> Result<(), KmsError> {
    let origin_ok = key.origin == Origin::AwsKms || (imported_ok && key.origin == Origin::External);
    if !origin_ok {
        return Err(KmsError::Unsupported(format!(
            "{} origin is {} which is not valid for this operation.",
            key.arn(),
            key.origin
        )));
    }
    if key.spec != KeySpec::SymmetricDefault {
        return Err(KmsError::Unsupported(format!(
            "{} key spec is {} which is not valid for this operation.",
            key.arn(),
            key.spec
        )));
    }
    Ok(())
}

/// Enabled passes, Disabled is `DisabledException`, anything else
/// `KMSInvalidStateException` (the key-states table for the rotation
/// operations).
fn check_enabled(key: &KeyRecord) -> Result<(), KmsError> {
    match key.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(KmsError::Disabled(format!("{} is disabled.", key.arn()))),
        _ => Err(invalid_state(key)),
    }
}

impl Kms {
    /// Adds a version with new material to `key` and makes it current;
    /// `next_rotation_at`, when given, replaces the automatic schedule.
    /// The replicas of a multi-Region primary make it current too, in the
    /// same transaction. Store `Conflict`/`NotFound` come back as internal
    /// store errors for the caller to interpret.
    pub(crate) async fn add_version(
        &self,
        mut key: KeyRecord,
        now: i64,
        rotation_type: RotationType,
        next_rotation_at: Option<i64>,
        audit: &[AuditEntry],
    ) -> Result<KeyRecord, KmsError> {
        let version = key
            .current_version
            .checked_add(1)
            .ok_or_else(|| KmsError::LimitExceeded(format!("{} has too many versions.", key.arn())))?;
        let material_id = self.new_material_id()?;
        let backing = self.crypto().generate_key().map_err(KmsError::crypto)?;
        let record = KeyVersionRecord {
            key_id: key.id.clone(),
            version,
            wrapped_material: self.keyring.wrap_backing_key(&key.material_binding(), &material_id, &backing)?,
            material_id,
            created_at: now,
            rotation_type: Some(rotation_type),
            import: None,
        };
        key.current_version = version;
        if next_rotation_at.is_some() {
            key.next_rotation_at = next_rotation_at;
        }
        key.revision += 1;
        // Replicas on peer sites get the material before it is current
        // here, so that every ciphertext of it decrypts in every Region.
        self.send_new_version(&key, &record).await?;
        let replicas = self.replicas_following(&key, |k| k.current_version = version).await?;
        if replicas.is_empty() {
            self.store.add_key_version(&key, &record, audit).await?;
        } else {
            // AWS records the synchronization in each replica's Region.
            let mut events = audit.to_vec();
            events.extend(replicas.iter().map(|r| {
                service_event(self.new_event_id(), now, "SynchronizeMultiRegionKey", &r.arn(), r.scope.region.as_str())
            }));
            let mut keys = vec![key.clone()];
            keys.extend(replicas);
            self.store.update_keys(&keys, &[record], &events).await?;
        }
        self.send_current_version(&key).await;
        Ok(key)
    }

    pub(crate) async fn all_versions(&self, key: &KeyRecord) -> Result<Vec<KeyVersionRecord>, KmsError> {
        let mut out = Vec::new();
        loop {
            let after = out.last().map_or(0, |v: &KeyVersionRecord| v.version);
            let page = self.store.key_versions(&key.id, after, VERSION_PAGE).await?;
            let done = page.len() < VERSION_PAGE;
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }

    /// EnableKeyRotation.
    pub async fn enable_key_rotation(&self, caller: &Caller, req: EnableKeyRotationRequest) -> Result<Empty, KmsError> {
        let period = req.rotation_period_in_days.unwrap_or(DEFAULT_PERIOD_DAYS);
        let now = self.now();
        let access = Access::new(Operation::EnableKeyRotation).with("kms:RotationPeriodInDays", period);
        self.modify_key(caller, req.key_id.as_deref(), &access, |key| {
            check_rotatable(key, false)?;
            check_enabled(key)?;
            refuse_replica(key, Operation::EnableKeyRotation)?;
            let period = i32::try_from(period).map_err(|_| KmsError::Validation("RotationPeriodInDays".into()))?;
            if key.rotation_period_days != Some(period) {
                key.rotation_period_days = Some(period);
                key.next_rotation_at = Some(now.saturating_add(i64::from(period) * DAY_MS));
            }
            Ok(())
        })
        .await?;
        Ok(Empty {})
    }

    /// DisableKeyRotation.
    pub async fn disable_key_rotation(
        &self,
        caller: &Caller,
        req: DisableKeyRotationRequest,
    ) -> Result<Empty, KmsError> {
        self.modify_key(caller, req.key_id.as_deref(), &Access::new(Operation::DisableKeyRotation), |key| {
            check_rotatable(key, false)?;
            check_enabled(key)?;
            refuse_replica(key, Operation::DisableKeyRotation)?;
            key.rotation_period_days = None;
            key.next_rotation_at = None;
            Ok(())
        })
        .await?;
        Ok(Empty {})
    }

    /// GetKeyRotationStatus.
    pub async fn get_key_rotation_status(
        &self,
        caller: &Caller,
        req: GetKeyRotationStatusRequest,
    ) -> Result<GetKeyRotationStatusResponse, KmsError> {
        let key = self
            .resolve_key(
                caller,
                req.key_id.as_deref().unwrap_or_default(),
                Names::KeyOnly,
                &Access::new(Operation::GetKeyRotationStatus),
            )
            .await?;
        check_rotatable(&key, false)?;
        // Automatic rotation is a shared property of multi-Region keys,
        // kept by the primary, on this site or on a peer site's.
        let (period, next) = match key.primary_region.clone().filter(|_| key.is_replica()) {
            Some(region) if self.peer_serves(&region) => {
                let ask = crate::peers::PeerMessage::RotationStatus {
                    account: key.scope.account.clone(),
                    key_id: key.id.clone(),
                    region,
                };
                match self.peer_call(&ask).await? {
                    crate::peers::PeerReply::RotationStatus { rotation_period_days, next_rotation_at } => {
                        (rotation_period_days, next_rotation_at)
                    }
                    _ => return Err(KmsError::corrupt("a peer site answered RotationStatus with another reply")),
                }
            }
            Some(region) => {
                let scope = crate::model::Scope { account: key.scope.account.clone(), region };
                let primary = self.store.key(&scope, &key.id).await?;
                let schedule = primary.as_ref().unwrap_or(&key);
                (schedule.rotation_period_days, schedule.next_rotation_at)
            }
            None => (key.rotation_period_days, key.next_rotation_at),
        };
        Ok(GetKeyRotationStatusResponse {
            key_rotation_enabled: period.is_some(),
            key_id: Some(key.arn()),
            rotation_period_in_days: period.map(i64::from),
            next_rotation_date: next.map(Timestamp::from_millis),
            // On-demand rotation completes within the request, so none is
            // ever in progress when this is asked.
            on_demand_rotation_start_date: None,
        })
    }

    /// RotateKeyOnDemand: rotates now, whether or not automatic rotation is
    /// on, without changing the automatic schedule.
    pub async fn rotate_key_on_demand(
        &self,
        caller: &Caller,
        req: RotateKeyOnDemandRequest,
    ) -> Result<RotateKeyOnDemandResponse, KmsError> {
        let key = self
            .resolve_key(
                caller,
                req.key_id.as_deref().unwrap_or_default(),
                Names::KeyOnly,
                &Access::new(Operation::RotateKeyOnDemand),
            )
            .await?;
        // AWS checks the key state before the spec: a disabled HMAC key is
        // DisabledException.
        check_enabled(&key)?;
        check_rotatable(&key, true)?;
        refuse_replica(&key, Operation::RotateKeyOnDemand)?;
        let versions = self.all_versions(&key).await?;
        let on_demand = versions.iter().filter(|v| v.rotation_type == Some(RotationType::OnDemand)).count();
        if on_demand >= MAX_ON_DEMAND {
            return Err(KmsError::LimitExceeded(format!(
                "{} has reached the limit of {MAX_ON_DEMAND} on-demand rotations.",
                key.arn()
            )));
        }
        let arn = key.arn();
        let now = self.now();
        let response = RotateKeyOnDemandResponse { key_id: Some(arn.clone()) };
        let rotate = async |events: &[AuditEntry]| {
            if key.origin == Origin::External {
                // Imported material rotates to the material imported with
                // ImportType NEW_KEY_MATERIAL.
                let Some(pending) = versions.into_iter().find(|v| v.version > key.current_version && v.has_material())
                else {
                    return Err(KmsError::InvalidState(format!(
                        "No available key material pending rotation for the key: {arn}."
                    )));
                };
                let mut next = key.clone();
                next.current_version = pending.version;
                next.revision += 1;
                let rotated =
                    KeyVersionRecord { rotation_type: Some(RotationType::OnDemand), created_at: now, ..pending };
                self.store
                    .put_key_versions(&next, &[rotated], events)
                    .await
                    .map(|()| next.current_version)
                    .map_err(KmsError::from)
            } else {
                self.add_version(key, now, RotationType::OnDemand, None, events).await.map(|k| k.current_version)
            }
        };
        match self.commit_answering(caller, &response, rotate).await {
            Ok(version) => {
                tracing::info!(key = %arn, version, "key rotated on demand");
                Ok(response)
            }
            Err(KmsError::Internal(InternalError::Store(StoreError::Conflict))) => {
                Err(KmsError::Conflict(format!("{arn} is being changed by another request. Try again.")))
            }
            Err(e) => Err(e),
        }
    }

    /// ListKeyRotations: the rotations of a key, oldest first; with
    /// ALL_KEY_MATERIAL also the key's original material.
    pub async fn list_key_rotations(
        &self,
        caller: &Caller,
        req: ListKeyRotationsRequest,
    ) -> Result<ListKeyRotationsResponse, KmsError> {
        let key = self
            .resolve_key(
                caller,
                req.key_id.as_deref().unwrap_or_default(),
                Names::KeyOnly,
                &Access::new(Operation::ListKeyRotations),
            )
            .await?;
        check_rotatable(&key, true)?;
        let all = req.include_key_material == Some(IncludeKeyMaterial::AllKeyMaterial);
        let after = marker(req.marker.as_deref(), |m| m.parse::<u32>().ok())?.unwrap_or(0);
        let limit = page_size(req.limit, 100, 1000);
        let mut rotations = Vec::new();
        let mut cursor = after;
        let mut truncated = false;
        'pages: loop {
            let page = self.store.key_versions(&key.id, cursor, VERSION_PAGE).await?;
            let last_page = page.len() < VERSION_PAGE;
            for v in page {
                cursor = v.version;
                if v.rotation_type.is_none() && !all {
                    continue;
                }
                if rotations.len() == limit {
                    truncated = true;
                    break 'pages;
                }
                rotations.push((entry(&key, &v), v.version));
            }
            if last_page {
                break;
            }
        }
        // The marker is the version number of the last entry returned.
        let next_marker = if truncated { rotations.last().map(|(_, v)| v.to_string()) } else { None };
        Ok(ListKeyRotationsResponse {
            rotations: rotations.into_iter().map(|(e, _)| e).collect(),
            next_marker,
            truncated,
        })
    }
}

fn entry(key: &KeyRecord, v: &KeyVersionRecord) -> RotationsListEntry {
    let state = match v.version.cmp(&key.current_version) {
        std::cmp::Ordering::Less => KeyMaterialState::NonCurrent,
        std::cmp::Ordering::Equal => KeyMaterialState::Current,
        std::cmp::Ordering::Greater => KeyMaterialState::PendingRotation,
    };
    let import = v.import.as_ref();
    RotationsListEntry {
        key_id: Some(key.arn()),
        key_material_id: Some(v.material_id.clone()),
        key_material_state: Some(state),
        rotation_date: v.rotation_type.as_ref().map(|_| Timestamp::from_millis(v.created_at)),
        rotation_type: v.rotation_type.clone(),
        import_state: import.map(|_| if v.has_material() { "IMPORTED" } else { "PENDING_IMPORT" }.to_owned()),
        expiration_model: import.map(|i| i.expiration_model.clone()),
        valid_to: import.and_then(|i| i.valid_to).map(Timestamp::from_millis),
        key_material_description: import.and_then(|i| i.description.clone()),
    }
}
