//! ScheduleKeyDeletion, CancelKeyDeletion, and the scheduler's jobs:
//! destroying keys whose waiting period is over, rotating keys whose
//! automatic rotation is due, and deleting imported material past its
//! ValidTo.
//!
//! Jobs are found by [`Store::due_keys`](crate::Store::due_keys) and applied
//! with revision-checked writes, so a job is idempotent: re-running it after
//! a crash, or on two nodes at once, applies it once (the loser sees
//! `Conflict` or `NotFound` and moves on).

use super::invalid_state;
use crate::audit::{service_event, AuditEntry};
use crate::authz::Access;
use crate::error::{InternalError, KmsError};
use crate::kms::Names;
use crate::model::{KeyRecord, KeyVersionRecord};
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::enums::{KeyState, Origin, RotationType};
use trent_api::ops::*;
use trent_api::time::Timestamp;
use trent_api::Operation;

/// Milliseconds per day.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// What one scheduler pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct JobReport {
    /// Keys destroyed.
    pub destroyed: usize,
    /// Keys rotated automatically.
    pub rotated: usize,
    /// Imported materials deleted because their ValidTo passed.
    pub expired: usize,
    /// Jobs that failed (logged; retried on the next pass).
    pub failed: usize,
}

/// Keys handled per store query in one pass.
const BATCH: usize = 100;

impl Kms {
    /// ScheduleKeyDeletion.
    pub async fn schedule_key_deletion(
        &self,
        caller: &Caller,
        req: ScheduleKeyDeletionRequest,
    ) -> Result<ScheduleKeyDeletionResponse, KmsError> {
        let days = req.pending_window_in_days.unwrap_or(30);
        if !(7..=30).contains(&days) {
            return Err(KmsError::Validation("PendingWindowInDays must be between 7 and 30".into()));
        }
        let now = self.now();
        let access =
            Access::new(Operation::ScheduleKeyDeletion).with("kms:ScheduleKeyDeletionPendingWindowInDays", days);
        // A multi-Region primary with replicas waits for them to be deleted
        // (PendingReplicaDeletion) before its own waiting period begins.
        let mut current =
            self.resolve_key(caller, req.key_id.as_deref().unwrap_or_default(), Names::KeyOnly, &access).await?;
        if current.multi_region && !current.is_replica() && !current.remote_regions.is_empty() {
            self.forget_gone_replicas(&current).await?;
            current = self.store.key(&current.scope, &current.id).await?.unwrap_or(current);
        }
        let has_replicas = current.multi_region
            && !current.is_replica()
            && (!current.remote_regions.is_empty()
                || self.store.related_keys(&current.scope.account, &current.id).await?.len() > 1);
        let answer = |key: &KeyRecord, _: &()| ScheduleKeyDeletionResponse {
            key_id: Some(key.arn()),
            deletion_date: key.deletion_date.map(Timestamp::from_millis),
            key_state: Some(key.state.clone()),
            pending_window_in_days: Some(days),
        };
        let (key, ()) = self
            .modify_key_answering(
                caller,
                req.key_id.as_deref(),
                &access,
                |key| {
                    if matches!(key.state, KeyState::PendingDeletion | KeyState::PendingReplicaDeletion) {
                        return Err(invalid_state(key));
                    }
                    if has_replicas {
                        key.state = KeyState::PendingReplicaDeletion;
                        key.deletion_date = None;
                    } else {
                        key.state = KeyState::PendingDeletion;
                        key.deletion_date = Some(now.saturating_add(days.saturating_mul(DAY_MS)));
                    }
                    key.pending_window_days = i32::try_from(days).ok();
                    Ok(())
                },
                |key, out| Some(answer(key, out)),
            )
            .await?;
        Ok(answer(&key, &()))
    }

    /// CancelKeyDeletion: the key returns to Disabled (PendingImport when it
    /// awaits imported material).
    pub async fn cancel_key_deletion(
        &self,
        caller: &Caller,
        req: CancelKeyDeletionRequest,
    ) -> Result<CancelKeyDeletionResponse, KmsError> {
        // Back to Disabled; a key whose imported material is gone goes back
        // to waiting for it.
        let access = Access::new(Operation::CancelKeyDeletion);
        let current =
            self.resolve_key(caller, req.key_id.as_deref().unwrap_or_default(), Names::KeyOnly, &access).await?;
        let material_gone = current.origin == Origin::External
            && !self.store.key_version(&current.id, current.current_version).await?.is_some_and(|v| v.has_material());
        let (key, ()) = self
            .modify_key_answering(
                caller,
                req.key_id.as_deref(),
                &access,
                |key| {
                    if !matches!(key.state, KeyState::PendingDeletion | KeyState::PendingReplicaDeletion) {
                        return Err(KmsError::InvalidState(format!("{} is not pending deletion.", key.arn())));
                    }
                    key.state = if material_gone { KeyState::PendingImport } else { KeyState::Disabled };
                    key.deletion_date = None;
                    key.pending_window_days = None;
                    Ok(())
                },
                |key, ()| Some(CancelKeyDeletionResponse { key_id: Some(key.arn()) }),
            )
            .await?;
        Ok(CancelKeyDeletionResponse { key_id: Some(key.arn()) })
    }

    /// Runs every job due now: destroys keys whose deletion date has passed
    /// and rotates keys whose automatic rotation is due. Failures are logged
    /// and left for the next pass.
    pub async fn run_due_jobs(&self) -> Result<JobReport, KmsError> {
        let now = self.now();
        let mut report = JobReport::default();
        let due = self.store.due_keys(now, BATCH).await?;
        for key in due {
            // Each job commits with the AwsServiceEvent AWS records for it.
            let event =
                |name| vec![service_event(self.new_event_id(), now, name, &key.arn(), key.scope.region.as_str())];
            let result = if key.state == KeyState::PendingDeletion {
                self.destroy(&key, now, &event("DeleteKey")).await.map(|done| report.destroyed += usize::from(done))
            } else if key.next_expiry_at.is_some_and(|t| t <= now) {
                self.expire_material(key.clone(), now, &event("DeleteExpiredKeyMaterial"))
                    .await
                    .map(|n| report.expired += n)
            } else {
                self.rotate_automatically(key.clone(), now, &event("RotateKey"))
                    .await
                    .map(|done| report.rotated += usize::from(done))
            };
            if let Err(e) = result {
                report.failed += 1;
                tracing::error!(key = %key.arn(), error = %e, "scheduled job failed");
            }
        }
        if let Err(e) = self.audit_checkpoint().await {
            report.failed += 1;
            tracing::error!(error = %e, "audit checkpoint failed");
        }
        if let Err(e) = self.prune_audit_trail().await {
            report.failed += 1;
            tracing::error!(error = %e, "audit retention pass failed");
        }
        Ok(report)
    }

    /// Destroys a key pending deletion. `false` when another pass did it
    /// first or the key changed (cancelled deletion).
    async fn destroy(&self, key: &KeyRecord, now: i64, audit: &[AuditEntry]) -> Result<bool, KmsError> {
        // A key in a custom key store: its material is in the token.
        let token_material = match key.custom_key_store_id {
            Some(_) => self.store.key_version(&key.id, 1).await?.map(|v| v.material_id),
            None => None,
        };
        match self.store.destroy_key(key, now, audit).await {
            Ok(()) => {
                tracing::info!(key = %key.arn(), "key destroyed after its waiting period");
                if let Some(material_id) = token_material {
                    self.destroy_token_key(key, &material_id).await;
                }
                if key.is_replica() {
                    self.after_replica_destroyed(key, now).await?;
                } else {
                    self.keyring.forget(&key.id);
                }
                // The sites of its related keys elsewhere learn it is gone.
                self.after_destroyed_here(key).await;
                Ok(true)
            }
            Err(StoreError::Conflict | StoreError::NotFound) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes imported material whose ValidTo has passed; how many.
    async fn expire_material(&self, key: KeyRecord, now: i64, audit: &[AuditEntry]) -> Result<usize, KmsError> {
        let versions = self.all_versions(&key).await?;
        let expired = |v: &KeyVersionRecord| v.import.as_ref().and_then(|t| t.valid_to).is_some_and(|t| t <= now);
        match self.remove_material(key, versions, expired, audit).await {
            Ok(n) => Ok(n),
            Err(KmsError::Internal(InternalError::Store(StoreError::Conflict | StoreError::NotFound))) => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// One automatic rotation of a key that is due, scheduling the next.
    async fn rotate_automatically(&self, key: KeyRecord, now: i64, audit: &[AuditEntry]) -> Result<bool, KmsError> {
        let period = i64::from(key.rotation_period_days.unwrap_or(365));
        let next = Some(now.saturating_add(period * DAY_MS));
        match self.add_version(key, now, RotationType::Automatic, next, audit).await {
            Ok(k) => {
                tracing::info!(key = %k.arn(), version = k.current_version, "key rotated automatically");
                Ok(true)
            }
            Err(KmsError::Internal(InternalError::Store(StoreError::Conflict | StoreError::NotFound))) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
