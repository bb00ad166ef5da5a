//! Multi-Region keys: ReplicateKey, UpdatePrimaryRegion, and what the other
//! operations need to know of them (AWS KMS Developer Guide, "Multi-Region
//! keys in AWS KMS").
//!
//! The related keys of a multi-Region key are one key record per Region,
//! all of one account and with one id (`mrk-…`). Each has its own policy,
//! description, tags, aliases, grants and state; they share the key
//! material (the version records, stored once by key id and bound to the
//! key's ARN without its Region: [`KeyRecord::material_binding`]), the spec,
//! usage and origin, and the automatic rotation of the primary, which every
//! rotation carries to the replicas in the same transaction. Every record
//! names the primary Region, so any of them answers DescribeKey's
//! `MultiRegionConfiguration` with one read of its related keys.

use super::keys::{check_tags, create_key_context};
use super::sites::regions_of;
use super::{invalid_state, metadata};
use crate::audit::{service_event, AuditEntry};
use crate::authz::Access;
use crate::error::{InternalError, KmsError};
use crate::kms::Names;
use crate::model::{KeyRecord, Scope};
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::enums::{KeyState, MultiRegionKeyType};
use trent_api::ids::{key_arn, KeyId, Region};
use trent_api::ops::*;
use trent_api::Operation;

/// `mrk-` and 32 lowercase hex digits, as AWS makes them.
pub(crate) fn new_mrk_id(random: [u8; 16]) -> KeyId {
    KeyId::new_unchecked(format!("mrk-{}", hex::encode(random)))
}

/// The configuration DescribeKey shows for `key`, given its related keys
/// (every Region's, `key` among them: every caller passes it).
pub(crate) fn configuration(key: &KeyRecord, related: &[KeyRecord]) -> Option<MultiRegionConfiguration> {
    if !key.multi_region {
        return None;
    }
    let primary = key.primary_region.clone().unwrap_or_else(|| key.scope.region.clone());
    let entry = |r: &Region| MultiRegionKey { arn: key_arn(r, &key.scope.account, &key.id), region: r.to_string() };
    // The related keys here, then those of peer sites (`remote_regions`).
    let replicas = regions_of(related, &key.remote_regions, Some(&primary)).iter().map(entry).collect();
    Some(MultiRegionConfiguration {
        multi_region_key_type: if key.is_replica() { MultiRegionKeyType::Replica } else { MultiRegionKeyType::Primary },
        primary_key: entry(&primary),
        replica_keys: replicas,
    })
}

/// `UnsupportedOperationException` for an operation that the replica of a
/// multi-Region key leaves to its primary (automatic and on-demand
/// rotation).
pub(crate) fn refuse_replica(key: &KeyRecord, op: Operation) -> Result<(), KmsError> {
    if key.is_replica() {
        let primary = key.primary_region.as_ref().map(Region::as_str).unwrap_or_default();
        return Err(KmsError::Unsupported(format!(
            "{} is a multi-Region replica key: call {} on its primary key in {primary}.",
            key.arn(),
            op.name()
        )));
    }
    Ok(())
}

/// ReplicateKey's answer for `replica`, given its related keys.
fn replicate_answer(
    replica: &KeyRecord,
    current: Option<&crate::model::KeyVersionRecord>,
    related: &[KeyRecord],
) -> ReplicateKeyResponse {
    let mut meta = metadata(replica, current);
    meta.multi_region_configuration = configuration(replica, related);
    ReplicateKeyResponse {
        replica_tags: Some(
            replica.tags.iter().map(|(k, v)| Tag { tag_key: Some(k.clone()), tag_value: Some(v.clone()) }).collect(),
        ),
        replica_policy: Some(replica.policy.clone()),
        replica_key_metadata: Some(meta),
    }
}

fn not_multi_region(key: &KeyRecord) -> KmsError {
    KmsError::Unsupported(format!("{} is not a multi-Region key.", key.arn()))
}

impl Kms {
    /// The `MultiRegionConfiguration` of `key`: `None` for a single-Region
    /// key; otherwise read from its related keys.
    pub(crate) async fn multi_region_configuration(
        &self,
        key: &KeyRecord,
    ) -> Result<Option<MultiRegionConfiguration>, KmsError> {
        if !key.multi_region {
            return Ok(None);
        }
        let related = self.store.related_keys(&key.scope.account, &key.id).await?;
        Ok(configuration(key, &related))
    }

    /// ReplicateKey: a replica of a multi-Region primary key in another
    /// Region, with its own policy, description and tags, sharing the
    /// primary's material. Authorized by `kms:ReplicateKey` on the primary
    /// and by `kms:CreateKey` (and `kms:TagResource` for tags) in the
    /// caller's identity policy in the replica Region. Recorded as
    /// ReplicateKey in the primary's Region and as CreateKey in the
    /// replica's, in the transaction that creates the replica.
    pub async fn replicate_key(
        &self,
        caller: &Caller,
        req: ReplicateKeyRequest,
    ) -> Result<ReplicateKeyResponse, KmsError> {
        let wanted = req.replica_region.clone().unwrap_or_default();
        let access = Access::new(Operation::ReplicateKey).with("kms:ReplicaRegion", &wanted);
        let primary =
            self.resolve_key(caller, req.key_id.as_deref().unwrap_or_default(), Names::KeyOnly, &access).await?;
        if !primary.multi_region {
            return Err(not_multi_region(&primary));
        }
        if primary.is_replica() {
            return Err(KmsError::Unsupported(format!(
                "{} is a multi-Region replica key. Only a primary key can be replicated.",
                primary.arn()
            )));
        }
        let region = Region::parse(&wanted)
            .ok_or_else(|| KmsError::Validation(format!("ReplicaRegion '{wanted}' is not a Region name.")))?;
        if region == primary.scope.region {
            return Err(KmsError::Validation(format!(
                "ReplicaRegion {region} is the Region of the primary key {}. A replica must be in another Region.",
                primary.arn()
            )));
        }
        let remote = self.peer_serves(&region);
        if !remote && !self.serves_here(&region) {
            return Err(KmsError::Unsupported(format!("Region {region} is not served by this deployment.")));
        }
        match primary.state {
            KeyState::Enabled | KeyState::Disabled => {}
            _ => return Err(invalid_state(&primary)),
        }
        let scope = Scope { account: primary.scope.account.clone(), region: region.clone() };
        let replica_arn = key_arn(&region, &scope.account, &primary.id);
        // Read once: the check for an existing replica, and the replicas
        // the answer's MultiRegionConfiguration lists.
        let mut related = self.store.related_keys(&primary.scope.account, &primary.id).await?;
        if related.iter().any(|k| k.scope.region == region) || primary.remote_regions.contains(&region) {
            return Err(KmsError::AlreadyExists(format!("Key {replica_arn} already exists")));
        }
        // The replica Region's side: CreateKey (and TagResource) in the
        // caller's identity policy there.
        let there = Caller { region: region.clone(), ..caller.clone() };
        let tags = check_tags(req.tags.unwrap_or_default())?;
        let bypass = req.bypass_policy_lockout_safety_check == Some(true);
        let context =
            create_key_context(&primary.spec, &primary.usage, &primary.origin, Some("REPLICA"), bypass, &tags);
        self.authorize_identity(&there, Operation::CreateKey, "*", &context).await?;
        if !tags.is_empty() {
            self.authorize_identity(&there, Operation::TagResource, &replica_arn, &context).await?;
        }
        let policy = req.policy.unwrap_or_else(|| Self::default_policy(caller));
        let parsed = super::key_policy::check_key_policy(caller, &policy, &replica_arn, bypass)?;
        // The principals a replica's policy names are those of its site.
        let policy_principals = match remote {
            false => self.check_policy_principals(&scope.account, &parsed).await?,
            true => Default::default(),
        };

        let now = self.now();
        let replica = KeyRecord {
            id: primary.id.clone(),
            scope,
            description: req.description.unwrap_or_default(),
            spec: primary.spec.clone(),
            usage: primary.usage.clone(),
            origin: primary.origin.clone(),
            state: KeyState::Enabled,
            created_at: now,
            policy,
            policy_principals,
            tags,
            multi_region: true,
            primary_region: Some(primary.scope.region.clone()),
            custom_key_store_id: None,
            // The related keys on peer sites are the replica's too.
            remote_regions: primary.remote_regions.clone(),
            current_version: primary.current_version,
            deletion_date: None,
            pending_window_days: None,
            // Automatic rotation is the primary's: the replica follows it.
            rotation_period_days: None,
            next_rotation_at: None,
            next_expiry_at: None,
            revision: 1,
        };
        if remote {
            return self.replicate_to_peer(caller, &primary, replica, related).await;
        }
        let current = self.key_version(&replica, replica.current_version).await?;
        related.push(replica.clone());
        let response = replicate_answer(&replica, current.as_deref(), &related);
        caller.audit.touch(replica.arn());
        let mut events = self.events_answering(caller, &response);
        events.push(service_event(self.new_event_id(), now, "CreateKey", &replica.arn(), region.as_str()));
        match Self::commit_events(caller, events, async |events| self.store.insert_key(&replica, None, events).await)
            .await
        {
            Ok(()) => {
                tracing::info!(primary = %primary.arn(), replica = %replica.arn(), "multi-Region key replicated");
                // Peer sites learn of the new Region.
                let regions = regions_of(&related, &primary.remote_regions, None);
                self.send_relate(&primary, &regions, None).await;
                Ok(response)
            }
            Err(StoreError::AlreadyExists) => Err(KmsError::AlreadyExists(format!("Key {replica_arn} already exists"))),
            Err(e) => Err(e.into()),
        }
    }

    /// ReplicateKey into a Region a peer site serves: the replica and every
    /// version of the material go to that site (see [`super::sites`]), then
    /// every related key here records the Region, with the ReplicateKey
    /// event; the sites of the other remote Regions learn of it after.
    async fn replicate_to_peer(
        &self,
        caller: &Caller,
        primary: &KeyRecord,
        mut replica: KeyRecord,
        related: Vec<KeyRecord>,
    ) -> Result<ReplicateKeyResponse, KmsError> {
        let region = replica.scope.region.clone();
        replica.remote_regions = regions_of(&related, &primary.remote_regions, None);
        let mut regions = replica.remote_regions.clone();
        let versions = self.all_versions(primary).await?;
        let (sent, token) = self.versions_for(primary, &region, &versions).await?;
        let message =
            crate::peers::PeerMessage::CreateReplica { replica: Box::new(replica.clone()), versions: sent, token };
        self.peer_call(&message).await?;
        regions.push(region.clone());

        // The answer shows every Region, the new one among them.
        let current = versions.iter().find(|v| v.version == replica.current_version);
        let shown = KeyRecord { remote_regions: regions.clone(), ..replica.clone() };
        let response = replicate_answer(&shown, current, &[]);
        caller.audit.touch(replica.arn());
        let add = |k: &mut KeyRecord| {
            if !k.remote_regions.contains(&region) {
                k.remote_regions.push(region.clone());
            }
        };
        let changed =
            self.change_related(primary, add, Some(caller), || self.events_answering(caller, &response)).await?;
        tracing::info!(primary = %primary.arn(), replica = %replica.arn(), "multi-Region key replicated to a peer site");
        if let Some(p) = changed.iter().find(|k| !k.is_replica()) {
            self.send_relate(p, &regions, Some(&region)).await;
        }
        Ok(response)
    }

    /// UpdatePrimaryRegion: the replica in `PrimaryRegion` becomes the
    /// primary and the primary a replica; the automatic rotation schedule
    /// moves with it. Authorized by `kms:UpdatePrimaryRegion` on both keys.
    /// Recorded in both Regions, in the transaction that changes every
    /// related key.
    pub async fn update_primary_region(
        &self,
        caller: &Caller,
        req: UpdatePrimaryRegionRequest,
    ) -> Result<Empty, KmsError> {
        let wanted = req.primary_region.clone().unwrap_or_default();
        let access = Access::new(Operation::UpdatePrimaryRegion).with("kms:PrimaryRegion", &wanted);
        let key_ref = req.key_id.as_deref().unwrap_or_default();
        loop {
            let primary = self.resolve_key(caller, key_ref, Names::KeyOnly, &access).await?;
            if !primary.multi_region {
                return Err(not_multi_region(&primary));
            }
            if primary.is_replica() {
                return Err(KmsError::Unsupported(format!(
                    "{} is a multi-Region replica key. Call UpdatePrimaryRegion on the primary key.",
                    primary.arn()
                )));
            }
            let region = Region::parse(&wanted)
                .ok_or_else(|| KmsError::Validation(format!("PrimaryRegion '{wanted}' is not a Region name.")))?;
            let related = self.store.related_keys(&primary.scope.account, &primary.id).await?;
            if primary.remote_regions.contains(&region) && !related.iter().any(|k| k.scope.region == region) {
                return self.update_primary_to_peer(caller, &primary, related, &region).await;
            }
            let Some(target) = related.iter().find(|k| k.scope.region == region).cloned() else {
                return Err(KmsError::NotFound(format!(
                    "Key '{}' does not exist",
                    key_arn(&region, &primary.scope.account, &primary.id)
                )));
            };
            if target.scope.region == primary.scope.region {
                // Already the primary: nothing to change.
                return Ok(Empty {});
            }
            let there = Caller { region: region.clone(), ..caller.clone() };
            self.authorize(&there, &target, &access, None).await?;
            for k in [&primary, &target] {
                match k.state {
                    KeyState::Enabled | KeyState::Disabled => {}
                    _ => return Err(invalid_state(k)),
                }
            }
            let now = self.now();
            let changed: Vec<KeyRecord> = related
                .into_iter()
                .map(|mut k| {
                    if k.scope.region == primary.scope.region {
                        k.rotation_period_days = None;
                        k.next_rotation_at = None;
                    } else if k.scope.region == region {
                        k.rotation_period_days = primary.rotation_period_days;
                        k.next_rotation_at = primary.next_rotation_at;
                    }
                    k.primary_region = Some(region.clone());
                    k.revision += 1;
                    k
                })
                .collect();
            let mut events = self.events(caller);
            events.push(service_event(self.new_event_id(), now, "UpdatePrimaryRegion", &target.arn(), region.as_str()));
            match Self::commit_events(caller, events, async |events| {
                self.store.update_keys(&changed, &[], events).await
            })
            .await
            {
                Ok(()) => {
                    tracing::info!(key = %primary.arn(), primary_region = %region, "multi-Region primary moved");
                    // Peer sites learn of the new primary Region.
                    if let Some(k) = changed.iter().find(|k| k.scope.region == region) {
                        let regions = regions_of(&changed, &primary.remote_regions, None);
                        self.send_relate(k, &regions, None).await;
                    }
                    return Ok(Empty {});
                }
                // Another request changed one of the keys: decide again.
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// UpdatePrimaryRegion to a replica a peer site holds. The replica's
    /// site is told first and takes the automatic rotation; then every
    /// related key here names the new primary, with the caller's event
    /// (the replica's site records UpdatePrimaryRegion in its Region). The
    /// replica's side is authorized by the caller's identity policy for the
    /// replica's ARN here: its key policy is on its site, which does not
    /// know this site's principals.
    async fn update_primary_to_peer(
        &self,
        caller: &Caller,
        primary: &KeyRecord,
        related: Vec<KeyRecord>,
        region: &Region,
    ) -> Result<Empty, KmsError> {
        let there = Caller { region: region.clone(), ..caller.clone() };
        let replica_arn = key_arn(region, &primary.scope.account, &primary.id);
        let context = vec![("kms:PrimaryRegion".to_owned(), vec![region.to_string()])];
        self.authorize_identity(&there, Operation::UpdatePrimaryRegion, &replica_arn, &context).await?;
        match primary.state {
            KeyState::Enabled | KeyState::Disabled => {}
            _ => return Err(invalid_state(primary)),
        }
        let regions = regions_of(&related, &primary.remote_regions, None);
        self.peer_call(&crate::peers::PeerMessage::Relate {
            account: primary.scope.account.clone(),
            key_id: primary.id.clone(),
            region: region.clone(),
            primary_region: region.clone(),
            regions: regions.clone(),
            rotation_period_days: primary.rotation_period_days,
            next_rotation_at: primary.next_rotation_at,
        })
        .await?;
        let follow = |k: &mut KeyRecord| {
            k.primary_region = Some(region.clone());
            k.rotation_period_days = None;
            k.next_rotation_at = None;
        };
        let changed = self.change_related(primary, follow, Some(caller), || self.events(caller)).await?;
        tracing::info!(key = %primary.arn(), primary_region = %region, "multi-Region primary moved to a peer site");
        if let Some(k) = changed.first() {
            self.send_relate(k, &regions, Some(region)).await;
        }
        Ok(Empty {})
    }

    /// The replicas of a multi-Region primary, for an update that every
    /// related key follows (a rotation): each with `apply` done and its
    /// revision raised.
    pub(crate) async fn replicas_following(
        &self,
        primary: &KeyRecord,
        apply: impl Fn(&mut KeyRecord),
    ) -> Result<Vec<KeyRecord>, KmsError> {
        if !primary.multi_region {
            return Ok(Vec::new());
        }
        let related = self.store.related_keys(&primary.scope.account, &primary.id).await?;
        Ok(related
            .into_iter()
            .filter(|k| k.scope.region != primary.scope.region)
            .map(|mut k| {
                apply(&mut k);
                k.revision += 1;
                k
            })
            .collect())
    }

    /// After a replica was destroyed: its primary, when it waits in
    /// PendingReplicaDeletion for its last replica to go, starts its own
    /// waiting period (AWS's rule for deleting a primary with replicas).
    pub(crate) async fn after_replica_destroyed(&self, replica: &KeyRecord, now: i64) -> Result<(), KmsError> {
        let Some(primary_region) = replica.primary_region.as_ref() else { return Ok(()) };
        let scope = Scope { account: replica.scope.account.clone(), region: primary_region.clone() };
        match self.store.key(&scope, &replica.id).await? {
            Some(primary) => self.start_waiting_if_alone(&primary, now).await,
            // The primary is on a peer site, which is told.
            None => Ok(()),
        }
    }

    /// A primary waiting in PendingReplicaDeletion whose replicas are all
    /// gone (here and on peer sites) starts its own waiting period.
    pub(crate) async fn start_waiting_if_alone(&self, primary: &KeyRecord, now: i64) -> Result<(), KmsError> {
        loop {
            let related = self.store.related_keys(&primary.scope.account, &primary.id).await?;
            if related.iter().any(|k| k.scope.region != primary.scope.region) {
                return Ok(());
            }
            let Some(mut primary) = related.into_iter().find(|k| k.scope.region == primary.scope.region) else {
                return Ok(());
            };
            if primary.state != KeyState::PendingReplicaDeletion
                || primary.remote_regions.iter().any(|r| *r != primary.scope.region)
            {
                return Ok(());
            }
            let days = i64::from(primary.pending_window_days.unwrap_or(30));
            primary.state = KeyState::PendingDeletion;
            primary.deletion_date = Some(now.saturating_add(days.saturating_mul(super::lifecycle::DAY_MS)));
            primary.revision += 1;
            // AWS's service does this on its own; recorded as its event.
            let events: Vec<AuditEntry> = vec![service_event(
                self.new_event_id(),
                now,
                "ScheduleKeyDeletion",
                &primary.arn(),
                primary.scope.region.as_str(),
            )];
            match self.store.update_key(&primary, &events).await {
                Ok(()) => {
                    tracing::info!(key = %primary.arn(), "last replica deleted: the primary's waiting period begins");
                    return Ok(());
                }
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NotFound) => return Ok(()),
                Err(e) => return Err(KmsError::Internal(InternalError::Store(e))),
            }
        }
    }
}
