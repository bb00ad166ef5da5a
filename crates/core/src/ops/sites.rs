//! Multi-Region keys across sites: the related keys of one multi-Region
//! key held by different Trent deployments ([`crate::peers`]).
//!
//! Each site stores the related keys of the Regions it serves; a key's
//! `remote_regions` names the Regions of those a peer site holds, so that
//! DescribeKey's `MultiRegionConfiguration` and the deletion of a primary
//! with replicas see every Region. What changes together on one site
//! (a rotation, a new primary Region) reaches the other sites by message:
//!
//! - ReplicateKey into a peer's Region sends the replica and every version
//!   of the material, wrapped to a transport key the peer made for it; the
//!   peer stores the replica, re-wrapped under its own domain key, with its
//!   CreateKey event; then this site records the Region with the
//!   ReplicateKey event.
//! - A rotation of the primary sends the new material to every remote
//!   replica **before** it commits here (so that every ciphertext of the new
//!   material decrypts in every Region; a rotation whose peer does not
//!   answer fails, and the scheduler tries an automatic one again), then
//!   tells them it is current.
//! - UpdatePrimaryRegion to a remote replica tells its site first (it takes
//!   the automatic rotation), then commits here.
//! - A related key destroyed here is reported to the other sites; a primary
//!   waiting in PendingReplicaDeletion starts its own waiting period when
//!   the last replica is gone.
//!
//! The messages after a commit here (the current version, the new set of
//! Regions to third sites, a destroyed key) are best effort: a site that
//! does not answer then is told at the next change, and a replica whose
//! site missed a current version still decrypts everything (it has the
//! material) and encrypts under the version before.

use super::import::{decode_terms, encode_terms};
use crate::audit::{service_event, AuditEntry};
use crate::error::KmsError;
use crate::model::{KeyRecord, KeyVersionRecord, Scope, SpecCapabilities as _};
use crate::peers::{PeerError, PeerMessage, PeerReply, PeerVersion};
use crate::policy::{Policy, PolicyKind};
use crate::store::StoreError;
use crate::{Caller, Kms};
use trent_api::enums::KeyState;
use trent_api::ids::{AccountId, KeyId, Region};
use trent_api::{Blob, ErrorCode};
use trent_crypto::import::{self as wrap, WrappingKeyPair, WrappingKeySpec};
use trent_crypto::SecretKey;

/// How long a transport key's token is good for.
const TRANSPORT_TOKEN_MS: i64 = 10 * 60_000;
/// How long one transport key pair answers TransportKey messages before a
/// new one is made: an RSA-3072 key takes tenths of a second to make, which
/// every replication and rotation across sites would otherwise wait for.
/// The reuse is AWS's own for import (one wrapping key for a token's 24
/// hours); the material also travels inside TLS.
const TRANSPORT_PAIR_MS: i64 = 10 * 60_000;

/// The transport key pair in use and when it stops being handed out.
#[derive(Default)]
pub(crate) struct TransportPair(std::sync::Mutex<Option<(i64, std::sync::Arc<WrappingKeyPair>)>>);
/// The algorithm code of the transport token (`RSA_AES_KEY_WRAP_SHA_256`).
const TRANSPORT_ALGORITHM: u8 = 4;
/// Most versions a TransportKey answer lists as held (far more than a key
/// has: 25 on-demand rotations, one automatic a year at most).
const MAX_HELD: usize = 10_000;
/// How often a change retries after a concurrent change of the same keys.
const CONFLICT_RETRIES: usize = 8;

/// What a transport token is bound to: not a key ARN, so that an import
/// token can never stand for one, nor one for an import token.
fn transport_binding(account: &AccountId, key_id: &KeyId, region: &Region) -> String {
    format!("trent:peer-transport:{region}:{account}:{key_id}")
}

impl From<PeerError> for KmsError {
    fn from(e: PeerError) -> Self {
        match e {
            PeerError::NoPeer(region) => {
                KmsError::Unsupported(format!("Region {region} is not served by this deployment or its peer sites."))
            }
            PeerError::Unreachable { region, detail } => {
                tracing::warn!(%region, %detail, "peer site did not answer");
                KmsError::Peer(
                    ErrorCode::DependencyTimeout,
                    format!("The site serving Region {region} could not be reached. Try again later."),
                )
            }
            PeerError::Refused(code, message) => KmsError::Peer(code, message),
        }
    }
}

/// The Regions of `keys` and `remote`, in order, without `but`.
pub(super) fn regions_of(keys: &[KeyRecord], remote: &[Region], but: Option<&Region>) -> Vec<Region> {
    let mut out: Vec<Region> = Vec::new();
    for r in keys.iter().map(|k| &k.scope.region).chain(remote) {
        if Some(r) != but && !out.contains(r) {
            out.push(r.clone());
        }
    }
    out
}

impl Kms {
    /// True when a peer site serves `region`.
    pub(crate) fn peer_serves(&self, region: &Region) -> bool {
        !self.serves_here(region) && self.peers.as_ref().is_some_and(|p| p.serves(region))
    }

    /// True when this deployment itself serves `region` (any Region when
    /// none was configured: in-process use and tests).
    pub(crate) fn serves_here(&self, region: &Region) -> bool {
        self.regions.is_empty() || self.regions.contains(region)
    }

    pub(crate) async fn peer_call(&self, message: &PeerMessage) -> Result<PeerReply, KmsError> {
        let link = self.peers.as_ref().ok_or_else(|| PeerError::NoPeer(message.region().clone()))?;
        Ok(link.call(message).await?)
    }

    /// The versions of `key`'s material the site of `region` does not
    /// hold yet, wrapped to a transport key it made for them: (the
    /// versions, the token).
    pub(crate) async fn versions_for(
        &self,
        key: &KeyRecord,
        region: &Region,
        versions: &[KeyVersionRecord],
    ) -> Result<(Vec<PeerVersion>, Blob), KmsError> {
        let ask = PeerMessage::TransportKey {
            account: key.scope.account.clone(),
            key_id: key.id.clone(),
            region: region.clone(),
        };
        let PeerReply::TransportKey { public_key, token, held } = self.peer_call(&ask).await? else {
            return Err(KmsError::Peer(
                ErrorCode::KmsInternal,
                format!("The site serving Region {region} gave no transport key."),
            ));
        };
        let mut out = Vec::with_capacity(versions.len());
        let needed = |v: &&KeyVersionRecord| !held.iter().any(|(n, id)| *n == v.version && *id == v.material_id);
        for v in versions.iter().filter(|v| v.has_material()).filter(needed) {
            let material = self.keyring.material(self.store.as_ref(), key, v).await?;
            out.push(PeerVersion {
                version: v.version,
                material_id: v.material_id.clone(),
                created_at: v.created_at,
                rotation_type: v.rotation_type.clone(),
                wrapped: Blob(wrap::wrap_material_for(&public_key.0, material.expose()).map_err(KmsError::crypto)?),
            });
        }
        Ok((out, token))
    }

    /// Before a rotation of `key` (a primary) commits: its every version,
    /// `new` among them, to every remote replica. Fails when one does not
    /// take them, and the rotation with it.
    pub(crate) async fn send_new_version(&self, key: &KeyRecord, new: &KeyVersionRecord) -> Result<(), KmsError> {
        if key.remote_regions.is_empty() {
            return Ok(());
        }
        let mut versions = self.all_versions(key).await?;
        versions.retain(|v| v.version != new.version);
        versions.push(new.clone());
        for region in key.remote_regions.iter().filter(|r| Some(*r) != key.primary_region.as_ref()) {
            let (sent, token) = self.versions_for(key, region, &versions).await?;
            self.peer_call(&PeerMessage::Versions {
                account: key.scope.account.clone(),
                key_id: key.id.clone(),
                region: region.clone(),
                versions: sent,
                token: Some(token),
                current_version: None,
            })
            .await?;
        }
        Ok(())
    }

    /// After a rotation of `key` committed: its current version to every
    /// remote replica (best effort).
    pub(crate) async fn send_current_version(&self, key: &KeyRecord) {
        for region in key.remote_regions.iter().filter(|r| Some(*r) != key.primary_region.as_ref()) {
            let message = PeerMessage::Versions {
                account: key.scope.account.clone(),
                key_id: key.id.clone(),
                region: region.clone(),
                versions: Vec::new(),
                token: None,
                current_version: Some(key.current_version),
            };
            if let Err(e) = self.peer_call(&message).await {
                tracing::warn!(key = %key.arn(), %region, error = %e, "the replica's site did not take the current version");
            }
        }
    }

    /// Tells the sites of `key`'s remote Regions (but `skip`) the related
    /// keys' Regions as this site now sees them (best effort).
    pub(crate) async fn send_relate(&self, key: &KeyRecord, regions: &[Region], skip: Option<&Region>) {
        let Some(primary) = key.primary_region.clone() else { return };
        for region in key.remote_regions.iter().filter(|r| Some(*r) != skip) {
            let message = PeerMessage::Relate {
                account: key.scope.account.clone(),
                key_id: key.id.clone(),
                region: region.clone(),
                primary_region: primary.clone(),
                regions: regions.to_vec(),
                rotation_period_days: key.rotation_period_days,
                next_rotation_at: key.next_rotation_at,
            };
            if let Err(e) = self.peer_call(&message).await {
                tracing::warn!(key = %key.arn(), %region, error = %e, "a related key's site was not told of a change");
            }
        }
    }

    /// After `key` was destroyed: the sites of its remote Regions learn that
    /// its Region is gone.
    pub(crate) async fn after_destroyed_here(&self, key: &KeyRecord) {
        if key.remote_regions.is_empty() {
            return;
        }
        let remaining = match self.store.related_keys(&key.scope.account, &key.id).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(key = %key.arn(), error = %e, "related keys unreadable: peer sites not told");
                return;
            }
        };
        let regions = regions_of(&remaining, &key.remote_regions, Some(&key.scope.region));
        self.send_relate(key, &regions, None).await;
    }

    /// Before a primary is scheduled for deletion: asks each remote
    /// replica's site whether it still holds it (a Relate that re-states
    /// the Regions), and forgets the Regions whose site answers that it
    /// does not (its destruction was missed: that site was down). Sites
    /// that do not answer keep their Region.
    pub(crate) async fn forget_gone_replicas(&self, primary: &KeyRecord) -> Result<(), KmsError> {
        let remote: Vec<Region> =
            primary.remote_regions.iter().filter(|r| **r != primary.scope.region).cloned().collect();
        if remote.is_empty() {
            return Ok(());
        }
        let here = self.store.related_keys(&primary.scope.account, &primary.id).await?;
        let regions = regions_of(&here, &primary.remote_regions, None);
        let mut gone = Vec::new();
        for region in remote {
            let probe = PeerMessage::Relate {
                account: primary.scope.account.clone(),
                key_id: primary.id.clone(),
                region: region.clone(),
                primary_region: primary.scope.region.clone(),
                regions: regions.clone(),
                rotation_period_days: None,
                next_rotation_at: None,
            };
            // Any other answer, or none, keeps the Region.
            if let Err(KmsError::Peer(ErrorCode::NotFound, _)) = self.peer_call(&probe).await {
                gone.push(region);
            }
        }
        if gone.is_empty() {
            return Ok(());
        }
        self.change_related(primary, |k| k.remote_regions.retain(|r| !gone.contains(r)), None, Vec::new).await?;
        tracing::info!(key = %primary.arn(), gone = ?gone, "replicas gone from their sites forgotten");
        Ok(())
    }

    /// Applies `change` to every related key of `key` here and stores them
    /// in one transaction with the events `events` makes (again for each
    /// attempt; the caller's, committed as its call's), trying again when
    /// another request changed one of them. Returns the keys as stored.
    pub(crate) async fn change_related(
        &self,
        key: &KeyRecord,
        change: impl Fn(&mut KeyRecord),
        caller: Option<&Caller>,
        events: impl Fn() -> Vec<AuditEntry>,
    ) -> Result<Vec<KeyRecord>, KmsError> {
        for _ in 0..CONFLICT_RETRIES {
            let changed: Vec<KeyRecord> = self
                .store
                .related_keys(&key.scope.account, &key.id)
                .await?
                .into_iter()
                .map(|mut k| {
                    change(&mut k);
                    k.revision += 1;
                    k
                })
                .collect();
            let write = async |events: &[AuditEntry]| self.store.update_keys(&changed, &[], events).await;
            let result = match caller {
                Some(c) => Self::commit_events(c, events(), write).await,
                None => write(&events()).await,
            };
            match result {
                Ok(()) => return Ok(changed),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(KmsError::Conflict(format!("{} is being changed by another request. Try again.", key.arn())))
    }

    /// What a peer site's message does here.
    pub async fn peer_receive(&self, message: PeerMessage) -> Result<PeerReply, KmsError> {
        let region = message.region().clone();
        if self.regions.is_empty() || !self.regions.contains(&region) {
            return Err(KmsError::Unsupported(format!("Region {region} is not served by this deployment.")));
        }
        tracing::info!(message = message.name(), %region, "peer message");
        match message {
            PeerMessage::TransportKey { account, key_id, region } => {
                self.known_account(&account).await?;
                let now = self.now();
                let cached = {
                    let held = self.transport_pair.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    held.as_ref().filter(|(until, _)| *until > now).map(|(_, p)| p.clone())
                };
                let pair = match cached {
                    Some(p) => p,
                    None => {
                        let p = std::sync::Arc::new(
                            WrappingKeyPair::generate(WrappingKeySpec::Rsa3072).map_err(KmsError::crypto)?,
                        );
                        *self.transport_pair.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                            Some((now.saturating_add(TRANSPORT_PAIR_MS), p.clone()));
                        p
                    }
                };
                let expires_at = now.saturating_add(TRANSPORT_TOKEN_MS);
                let terms = encode_terms(expires_at, TRANSPORT_ALGORITHM, pair.to_pkcs8_der().expose());
                let token = self.keyring.seal_import_token(&transport_binding(&account, &key_id, &region), &terms)?;
                // Versions are stored by key id (related keys share them).
                let held = self
                    .store
                    .key_versions(&key_id, 0, MAX_HELD)
                    .await?
                    .into_iter()
                    .filter(|v| v.has_material())
                    .map(|v| (v.version, v.material_id))
                    .collect();
                Ok(PeerReply::TransportKey { public_key: Blob(pair.public_key_der()), token: Blob(token), held })
            }
            PeerMessage::CreateReplica { replica, versions, token } => {
                self.receive_replica(*replica, versions, token).await?;
                Ok(PeerReply::Done {})
            }
            PeerMessage::Versions { account, key_id, region, versions, token, current_version } => {
                let scope = Scope { account, region };
                self.receive_versions(&scope, &key_id, versions, token, current_version).await?;
                Ok(PeerReply::Done {})
            }
            PeerMessage::RotationStatus { account, key_id, region } => {
                let scope = Scope { account, region };
                let key = self.store.key(&scope, &key_id).await?.filter(|k| k.multi_region && !k.is_replica());
                let key =
                    key.ok_or_else(|| KmsError::NotFound(format!("Key '{key_id}' is not a primary key here.")))?;
                Ok(PeerReply::RotationStatus {
                    rotation_period_days: key.rotation_period_days,
                    next_rotation_at: key.next_rotation_at,
                })
            }
            PeerMessage::Relate {
                account,
                key_id,
                region: _,
                primary_region,
                regions,
                rotation_period_days,
                next_rotation_at,
            } => {
                self.receive_relate(
                    &account,
                    &key_id,
                    &primary_region,
                    &regions,
                    rotation_period_days,
                    next_rotation_at,
                )
                .await?;
                Ok(PeerReply::Done {})
            }
        }
    }

    async fn known_account(&self, account: &AccountId) -> Result<(), KmsError> {
        if self.store.account(account).await?.is_none() {
            return Err(KmsError::NotFound(format!(
                "Account {account} does not exist on the site serving this Region."
            )));
        }
        Ok(())
    }

    /// The versions of a message, unwrapped with its token's key and
    /// wrapped under this site's domain key for `key`.
    fn open_versions(
        &self,
        key: &KeyRecord,
        versions: Vec<PeerVersion>,
        pair: &WrappingKeyPair,
    ) -> Result<Vec<KeyVersionRecord>, KmsError> {
        let mut out = Vec::with_capacity(versions.len());
        for v in versions {
            let material = pair
                .unwrap_material(wrap::WrappingAlgorithm::RsaAesKeyWrapSha256, &v.wrapped.0)
                .map_err(|_| KmsError::InvalidCiphertext)?;
            if v.material_id.len() != 64 || !v.material_id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(KmsError::Validation("A material id is not 64 hex digits.".into()));
            }
            let wrapped = match key.spec.key_kind() {
                None => {
                    let bk = SecretKey::from_slice(material.expose())
                        .ok_or_else(|| KmsError::Validation("Symmetric key material must be 32 bytes.".into()))?;
                    self.keyring.wrap_backing_key(&key.material_binding(), &v.material_id, &bk)?
                }
                Some(kind) => {
                    // Stored only if it loads as a key of the spec.
                    trent_crypto::asymmetric::PrivateKey::load(kind, material.expose()).map_err(|_| {
                        KmsError::IncorrectKeyMaterial(format!("The material is not a {} key.", key.spec))
                    })?;
                    self.keyring.wrap_private_key(&key.material_binding(), &v.material_id, &material)?
                }
            };
            out.push(KeyVersionRecord {
                key_id: key.id.clone(),
                version: v.version,
                material_id: v.material_id,
                wrapped_material: wrapped,
                created_at: v.created_at,
                rotation_type: v.rotation_type,
                import: None,
            });
        }
        Ok(out)
    }

    async fn open_transport(&self, key: &KeyRecord, token: &Blob) -> Result<WrappingKeyPair, KmsError> {
        let binding = transport_binding(&key.scope.account, &key.id, &key.scope.region);
        let terms = self
            .keyring
            .open_import_token(self.store.as_ref(), &binding, &token.0)
            .await
            .and_then(|t| decode_terms(t.expose()))
            .ok_or_else(|| KmsError::InvalidImportToken("The transport token is invalid for this key.".into()))?;
        if terms.expires_at <= self.now() {
            return Err(KmsError::ExpiredImportToken("The transport token has expired.".into()));
        }
        WrappingKeyPair::from_pkcs8_der(terms.pkcs8.expose()).map_err(KmsError::crypto)
    }

    /// CreateReplica: stores the replica with its material and its
    /// CreateKey event. A replica left in `Creating` by an earlier attempt
    /// that failed half-way is completed.
    async fn receive_replica(
        &self,
        mut replica: KeyRecord,
        versions: Vec<PeerVersion>,
        token: Blob,
    ) -> Result<(), KmsError> {
        self.known_account(&replica.scope.account).await?;
        let primary = replica.primary_region.clone().unwrap_or_else(|| replica.scope.region.clone());
        if !replica.multi_region
            || !replica.id.as_str().starts_with("mrk-")
            || !replica.is_replica()
            || replica.custom_key_store_id.is_some()
            || !replica.remote_regions.contains(&primary)
        {
            return Err(KmsError::Validation(format!("{} is not a replica this site can take.", replica.arn())));
        }
        let policy =
            Policy::parse(&replica.policy, PolicyKind::Key).map_err(|e| KmsError::MalformedPolicyDocument(e.0))?;
        replica.policy_principals = self.check_policy_principals(&replica.scope.account, &policy).await?;
        let own = replica.scope.region.clone();
        replica.remote_regions = regions_of(&[], &replica.remote_regions, Some(&own));
        replica.state = KeyState::Creating;
        replica.rotation_period_days = None;
        replica.next_rotation_at = None;
        replica.deletion_date = None;
        replica.pending_window_days = None;
        replica.next_expiry_at = None;
        replica.revision = 1;
        let pair = self.open_transport(&replica, &token).await?;
        let records = self.open_versions(&replica, versions, &pair)?;
        // Versions held here already (an earlier attempt's) were not sent.
        let current = replica.current_version;
        let held = self.store.key_version(&replica.id, current).await?.is_some_and(|v| v.has_material());
        if !held && !records.iter().any(|v| v.version == current) {
            return Err(KmsError::Validation(format!("{} lacks its current version.", replica.arn())));
        }
        match self.store.insert_key(&replica, None, &[]).await {
            Ok(()) => {}
            Err(StoreError::AlreadyExists) => {
                let existing = self.store.key(&replica.scope, &replica.id).await?;
                match existing {
                    Some(k) if k.state == KeyState::Creating && k.primary_region == replica.primary_region => {
                        replica.revision = k.revision;
                    }
                    _ => return Err(KmsError::AlreadyExists(format!("Key {} already exists", replica.arn()))),
                }
            }
            Err(e) => return Err(e.into()),
        }
        let mut done = replica.clone();
        done.state = KeyState::Enabled;
        done.revision += 1;
        let now = self.now();
        let events =
            vec![service_event(self.new_event_id(), now, "CreateKey", &done.arn(), done.scope.region.as_str())];
        self.store.put_key_versions(&done, &records, &events).await?;
        tracing::info!(replica = %done.arn(), primary = %primary, "multi-Region replica created for a peer site");
        Ok(())
    }

    /// Versions: stores the versions this site lacks (a rotation's new one
    /// comes before it commits on the primary's site, and may come again
    /// with other material when that commit failed: a version past the
    /// current one is replaced), then makes `current` current in every
    /// related key here.
    async fn receive_versions(
        &self,
        scope: &Scope,
        key_id: &KeyId,
        versions: Vec<PeerVersion>,
        token: Option<Blob>,
        current: Option<u32>,
    ) -> Result<(), KmsError> {
        let key = self.store.key(scope, key_id).await?.filter(|k| k.multi_region).ok_or_else(|| {
            KmsError::NotFound(format!(
                "Key '{}' does not exist",
                trent_api::ids::key_arn(&scope.region, &scope.account, key_id)
            ))
        })?;
        let mut records = Vec::new();
        let mut replaced = false;
        if !versions.is_empty() {
            let token = token.ok_or_else(|| KmsError::Validation("Versions come with a transport token.".into()))?;
            let pair = self.open_transport(&key, &token).await?;
            let stored = self.all_versions(&key).await?;
            for v in self.open_versions(&key, versions, &pair)? {
                match stored.iter().find(|s| s.version == v.version) {
                    Some(s) if s.material_id == v.material_id => {}
                    Some(_) if v.version <= key.current_version => {
                        return Err(KmsError::IncorrectKeyMaterial(format!(
                            "Version {} of {} has other material here.",
                            v.version,
                            key.arn()
                        )))
                    }
                    Some(_) => {
                        replaced = true;
                        records.push(v);
                    }
                    None => records.push(v),
                }
            }
        }
        if let Some(c) = current {
            let known = records.iter().any(|v| v.version == c) || self.store.key_version(key_id, c).await?.is_some();
            if !known {
                return Err(KmsError::Validation(format!("Version {c} of {} is not here to be current.", key.arn())));
            }
        }
        for _ in 0..CONFLICT_RETRIES {
            let related = self.store.related_keys(&scope.account, key_id).await?;
            let now = self.now();
            let mut events: Vec<AuditEntry> = Vec::new();
            let changed: Vec<KeyRecord> = related
                .into_iter()
                .filter(|k| k.multi_region && self.serves_here(&k.scope.region))
                .filter_map(|mut k| {
                    let newer = current.filter(|c| *c > k.current_version)?;
                    k.current_version = newer;
                    k.revision += 1;
                    events.push(service_event(
                        self.new_event_id(),
                        now,
                        "SynchronizeMultiRegionKey",
                        &k.arn(),
                        k.scope.region.as_str(),
                    ));
                    Some(k)
                })
                .collect();
            let result = match changed.is_empty() {
                true if records.is_empty() => return Ok(()),
                // Stored, not yet current: the key only changes revision.
                true => {
                    let mut k =
                        self.store.key(scope, key_id).await?.ok_or_else(|| KmsError::corrupt("key vanished"))?;
                    k.revision += 1;
                    self.store.put_key_versions(&k, &records, &[]).await
                }
                false => self.store.update_keys(&changed, &records, &events).await,
            };
            match result {
                Ok(()) => {
                    if replaced {
                        // A number that named other material may be cached.
                        self.keyring.forget(key_id);
                    }
                    return Ok(());
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(KmsError::Conflict(format!("{} is being changed by another request. Try again.", key.arn())))
    }

    /// Relate: the related keys here take the primary Region, the remote
    /// Regions and, for the one that becomes the primary, the automatic
    /// rotation; a primary waiting for its last replica to go starts its
    /// own waiting period when none is left.
    async fn receive_relate(
        &self,
        account: &AccountId,
        key_id: &KeyId,
        primary: &Region,
        regions: &[Region],
        rotation_period_days: Option<i32>,
        next_rotation_at: Option<i64>,
    ) -> Result<(), KmsError> {
        for _ in 0..CONFLICT_RETRIES {
            let related = self.store.related_keys(account, key_id).await?;
            let here: Vec<KeyRecord> =
                related.into_iter().filter(|k| k.multi_region && self.serves_here(&k.scope.region)).collect();
            if here.is_empty() {
                return Err(KmsError::NotFound(format!("Key '{key_id}' does not exist on this site.")));
            }
            let now = self.now();
            let mut events = Vec::new();
            let remote: Vec<Region> =
                regions.iter().filter(|r| !here.iter().any(|k| &k.scope.region == *r)).cloned().collect();
            let changed: Vec<KeyRecord> = here
                .iter()
                .cloned()
                .map(|mut k| {
                    let was_primary = !k.is_replica();
                    if k.primary_region.as_ref() != Some(primary) {
                        events.push(service_event(
                            self.new_event_id(),
                            now,
                            "UpdatePrimaryRegion",
                            &k.arn(),
                            k.scope.region.as_str(),
                        ));
                    }
                    k.primary_region = Some(primary.clone());
                    if &k.scope.region == primary && !was_primary {
                        k.rotation_period_days = rotation_period_days;
                        k.next_rotation_at = next_rotation_at;
                    } else if &k.scope.region != primary {
                        k.rotation_period_days = None;
                        k.next_rotation_at = None;
                    }
                    k.remote_regions = remote.clone();
                    k.revision += 1;
                    k
                })
                .collect();
            match self.store.update_keys(&changed, &[], &events).await {
                Ok(()) => {}
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
            if let Some(p) = changed.iter().find(|k| !k.is_replica()) {
                self.start_waiting_if_alone(p, now).await?;
            }
            return Ok(());
        }
        Err(KmsError::Conflict(format!("Key '{key_id}' is being changed by another request. Try again.")))
    }
}
