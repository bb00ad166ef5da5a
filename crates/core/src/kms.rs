//! The [`Kms`] facade.

use crate::audit::{AuditEntry, Auditor};
use crate::authz::{Access, Route};
use crate::clock::Clock;
use crate::error::KmsError;
use crate::integrity::RowGuard;
use crate::keyring::{Keyring, OpenError};
use crate::model::{AccessKeyRecord, AccountRecord, KeyRecord, KeyVersionRecord, Scope};
use crate::policy::PolicyKind;
use crate::store::{Store, StoreError};
use crate::Caller;
use std::sync::Arc;
use trent_api::ids::{alias_arn, key_arn, AccessKeyId, AccountId, AliasName, KeyId, KeyRef, PrincipalArn};
use trent_api::Operation;
use trent_crypto::audit::CheckpointSigner;
use trent_crypto::hierarchy::RootKey;
use trent_crypto::seal::Seal;
use trent_crypto::{CryptoProvider, SecretBytes};
use zeroize::Zeroizing;

/// Tunables of the core.
#[derive(Debug, Clone)]
pub struct KmsOptions {
    /// Maximum number of unwrapped backing keys kept in memory.
    pub backing_key_cache_capacity: usize,
    /// Days audit records are kept; `None` keeps them forever.
    pub audit_retention_days: Option<u32>,
    /// Where audit checkpoints are also written as digest files
    /// ([`crate::audit::digest`]); `None`: nowhere but the store.
    pub audit_digest_dir: Option<std::path::PathBuf>,
    /// Time between checkpoints (the scheduler's interval), milliseconds:
    /// verification allows the newest records to be uncovered by a
    /// checkpoint for twice this plus a minute.
    pub checkpoint_interval_ms: i64,
    /// The Regions the deployment serves, where ReplicateKey may put a
    /// replica; empty: any Region (in-process use and tests).
    pub regions: Vec<trent_api::ids::Region>,
    /// The OpenID Connect issuers' signing keys (`oidc_jwks`), which
    /// AssumeRoleWithWebIdentity checks tokens with; empty: none verifies.
    pub oidc_keys: Arc<crate::oidc::OidcKeys>,
    /// The HSM tokens custom key stores may use (`[hsm.NAME]`).
    pub hsms: Arc<crate::hsm::Hsms>,
    /// Where [`Kms::admin_seal`] asks the server to seal itself again; `None`
    /// for a seal with no sealed state (key file, passphrase).
    pub seal_requests: Option<Arc<tokio::sync::Notify>>,
    /// How [`Kms::admin_rotate_root`] makes a new seal; `None`: the root
    /// cannot be rotated (an ephemeral deployment).
    pub root_rotation: Option<Arc<dyn crate::ops::RootRotation>>,
    /// The channel to peer sites serving other Regions, where ReplicateKey
    /// may put a replica ([`crate::peers`]); `None`: no peer site.
    pub peers: Option<Arc<dyn crate::peers::PeerLink>>,
}

impl Default for KmsOptions {
    fn default() -> Self {
        KmsOptions {
            backing_key_cache_capacity: 100_000,
            audit_retention_days: None,
            audit_digest_dir: None,
            checkpoint_interval_ms: 60_000,
            regions: Vec::new(),
            oidc_keys: Arc::default(),
            hsms: Arc::default(),
            seal_requests: None,
            root_rotation: None,
            peers: None,
        }
    }
}

/// Most bytes of policy text each parsed-policy cache holds (with its
/// parsed form, a few times this in memory).
const PARSED_POLICY_BYTES: usize = 8 << 20;

/// The key management service.
pub struct Kms {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) keyring: Keyring,
    /// Authenticated access keys, so that a request does not read and unwrap
    /// its access key from the store each time. Entries live
    /// [`ACCESS_KEY_TTL_MS`]. Deleting a user drops its keys here; another
    /// node may still authenticate one until its entry expires, but every
    /// authorization re-reads the user ([`Kms::identity_side`]) and refuses
    /// a deleted one.
    access_keys: std::sync::Mutex<std::collections::HashMap<String, (i64, Arc<Authenticated>)>>,
    /// Opened session tokens, by access key id: (the token, the session),
    /// so that a session's requests open its token once. A request's token
    /// must equal the cached one (compared in constant time); the session's
    /// expiry is checked on every request, and what it stands on (its role
    /// or user) is re-read by every authorization, as for long-term keys.
    pub(crate) sessions: crate::sts::SessionCache,
    /// Appends audit events (group commit).
    pub(crate) auditor: Auditor,
    /// Signs audit checkpoints.
    checkpoint_signer: CheckpointSigner,
    /// The seq of the last checkpoint this node signed.
    pub(crate) last_checkpoint: std::sync::atomic::AtomicU64,
    /// Key version records, keyed by (key id, version) and tagged with the
    /// revision of the key they were read under; see [`Kms::key_version`].
    versions: VersionCache,
    /// Most cached version records; the cache is emptied when full.
    version_cache_capacity: usize,
    /// Days audit records are kept (`None`: forever).
    pub(crate) audit_retention_days: Option<u32>,
    /// Key policies parsed, by their text: every request on a key
    /// evaluates its policy.
    pub(crate) key_policies: crate::policy::ParsedPolicies,
    /// Identity policies parsed, by their text (users' and roles' inline,
    /// managed and boundary policies, read on every request they make).
    pub(crate) identity_policies: crate::policy::ParsedPolicies,
    /// Seals and checks the rows that decide access; its failures make
    /// this node unready.
    row_guard: Arc<RowGuard>,
    /// Where checkpoints are also written as digest files.
    pub(crate) audit_digest_dir: Option<std::path::PathBuf>,
    /// Time between checkpoints, milliseconds.
    pub(crate) checkpoint_interval_ms: i64,
    /// The Regions served ([`KmsOptions::regions`]).
    pub(crate) regions: Vec<trent_api::ids::Region>,
    /// The issuers' JWKS ([`KmsOptions::oidc_keys`]).
    pub(crate) oidc_keys: Arc<crate::oidc::OidcKeys>,
    /// The declared HSM tokens and this node's connections to them.
    pub(crate) hsms: Arc<crate::hsm::Hsms>,
    /// [`KmsOptions::seal_requests`].
    seal_requests: Option<Arc<tokio::sync::Notify>>,
    /// [`KmsOptions::root_rotation`].
    pub(crate) root_rotation: Option<Arc<dyn crate::ops::RootRotation>>,
    /// [`KmsOptions::peers`].
    pub(crate) peers: Option<Arc<dyn crate::peers::PeerLink>>,
    /// Held for the whole of a root rotation.
    pub(crate) rotating: tokio::sync::Mutex<()>,
    /// Set once a root rotation committed: the seal this server started
    /// under is no longer the deployment's.
    pub(crate) root_rotated: std::sync::atomic::AtomicBool,
    /// Managed session policies read recently (a session's `PolicyArns`).
    pub(crate) managed_policy_cache: crate::ops::policies::ManagedPolicyCache,
    /// The transport key pair peer sites wrap material to, while it is
    /// reused ([`crate::ops::TransportPair`]).
    pub(crate) transport_pair: crate::ops::TransportPair,
}

/// Version records by (key id, version), with the key revision they were
/// read under.
type VersionCache = std::sync::Mutex<std::collections::HashMap<(KeyId, u32), (u64, Arc<KeyVersionRecord>)>>;

/// How long a node stays unready after a failed audit append.
pub const AUDIT_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(15);

/// How long an authenticated access key is reused without a store read.
const ACCESS_KEY_TTL_MS: i64 = 60_000;
/// Most cached access keys; the cache is emptied when full.
const ACCESS_KEY_CACHE_CAPACITY: usize = 10_000;

/// A principal authenticated by access key id, with the secret the server
/// needs to check the request's signature.
pub struct Authenticated {
    /// The account.
    pub account: AccountId,
    /// The principal.
    pub principal: PrincipalArn,
    /// The secret access key (zeroized on drop).
    pub secret: SecretBytes,
    /// The STS session, for temporary credentials.
    pub session: Option<Arc<crate::sts::Session>>,
}

/// Fixed bootstrap identity, from configuration (`TRENT_BOOTSTRAP_*`).
#[derive(Default)]
pub struct BootstrapSpec {
    /// Account id to create (12 digits); random when absent.
    pub account_id: Option<String>,
    /// Access key id; generated when absent.
    pub access_key_id: Option<String>,
    /// Secret access key; generated when absent.
    pub secret_access_key: Option<Zeroizing<String>>,
}

/// The identity created by [`Kms::bootstrap`].
pub struct BootstrapCredentials {
    /// Account id.
    pub account_id: AccountId,
    /// Access key id.
    pub access_key_id: AccessKeyId,
    /// Secret access key.
    pub secret_access_key: Zeroizing<String>,
    /// True when the secret was generated here (and must be shown once).
    pub generated_secret: bool,
}

/// Where a request's key reference may point.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Names {
    /// Key id or key ARN only.
    KeyOnly,
    /// Also alias name and alias ARN.
    KeyOrAlias,
}

pub(crate) const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub(crate) const SECRET_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Kms {
    /// Opens the service over a store: the seal yields the root key, which
    /// must unwrap the stored domain keys.
    pub async fn open(
        store: Arc<dyn Store>,
        crypto: Arc<dyn CryptoProvider>,
        clock: Arc<dyn Clock>,
        seal: &dyn Seal,
        options: KmsOptions,
    ) -> Result<Self, OpenError> {
        let root = seal.open(crypto.as_ref())?;
        Self::with_root_key(store, crypto, clock, root, options).await
    }

    /// Opens the service with a root key already in hand.
    pub async fn with_root_key(
        store: Arc<dyn Store>,
        crypto: Arc<dyn CryptoProvider>,
        clock: Arc<dyn Clock>,
        root: RootKey,
        options: KmsOptions,
    ) -> Result<Self, OpenError> {
        let root = crate::keyring::load_root(store.as_ref(), crypto.as_ref(), root, clock.now_millis()).await?;
        let checkpoint_signer = CheckpointSigner::derive(crypto.as_ref(), &root)?;
        let row_guard = Arc::new(RowGuard::derive(crypto.as_ref(), &root)?);
        // The keyring first: it proves the seal opens this deployment (its
        // domain keys unwrap) before rows are sealed under its key.
        let keyring =
            Keyring::open(store.as_ref(), crypto, root, clock.now_millis(), options.backing_key_cache_capacity).await?;
        let sealed = store.protect_rows(row_guard.clone()).await?;
        let auditor = Auditor::new(store.clone());
        let kms = Kms {
            store,
            clock,
            keyring,
            access_keys: Default::default(),
            sessions: Default::default(),
            auditor,
            checkpoint_signer,
            last_checkpoint: Default::default(),
            audit_retention_days: options.audit_retention_days,
            key_policies: crate::policy::ParsedPolicies::new(PolicyKind::Key, PARSED_POLICY_BYTES),
            identity_policies: crate::policy::ParsedPolicies::new(PolicyKind::Identity, PARSED_POLICY_BYTES),
            versions: Default::default(),
            version_cache_capacity: options.backing_key_cache_capacity.max(1),
            row_guard,
            audit_digest_dir: options.audit_digest_dir,
            checkpoint_interval_ms: options.checkpoint_interval_ms.max(1),
            regions: options.regions,
            oidc_keys: options.oidc_keys,
            hsms: options.hsms,
            seal_requests: options.seal_requests,
            root_rotation: options.root_rotation,
            peers: options.peers,
            rotating: Default::default(),
            root_rotated: Default::default(),
            managed_policy_cache: Default::default(),
            transport_pair: Default::default(),
        };
        if sealed > 0 {
            tracing::warn!(
                rows = sealed,
                "sealed stored rows that had no MAC (expected once, on the first start after the upgrade that \
                 added row MACs; at any other time someone stripped them to have edited rows re-sealed)"
            );
            let event = crate::audit::seal_rows_event(kms.new_event_id(), kms.now(), sealed);
            kms.record_event(event).await.map_err(|e| OpenError::Audit(e.to_string()))?;
        }
        Ok(kms)
    }

    /// Appends an audit event; returns once it is durable. An error means
    /// the event is not recorded, and the request it describes must fail.
    pub async fn record_event(&self, entry: AuditEntry) -> Result<(), KmsError> {
        Ok(self.auditor.record(entry).await?)
    }

    /// The audit trail's counters (for metrics and readiness).
    pub fn audit_stats(&self) -> crate::audit::AuditStats {
        self.auditor.stats()
    }

    /// Readiness: the store answers, and audit appends succeed (the seal
    /// is open: this KMS exists). The reason when not.
    ///
    /// A node whose latest audit append failed is unready for
    /// `AUDIT_RETRY_AFTER`; then it is offered traffic again, which is how
    /// it finds out whether appends work (a probe must not write events).
    pub async fn check_ready(&self) -> Result<(), String> {
        if let Err(e) = self.store.audit_head().await {
            return Err(format!("store unreachable: {e}"));
        }
        if let Some((n, row)) = self.row_guard.failure() {
            return Err(format!("{n} stored row(s) failed their integrity check, latest {row}: see the log"));
        }
        let a = self.auditor.stats();
        if a.last_failed && a.since_failure.is_some_and(|t| t < AUDIT_RETRY_AFTER) {
            return Err("the latest audit append failed".into());
        }
        Ok(())
    }

    /// Hits and misses of the caches of unwrapped key material.
    pub fn key_cache_stats(&self) -> (u64, u64) {
        self.keyring.cache_stats()
    }

    /// The Ed25519 public key that checks this deployment's audit
    /// checkpoints (raw 32 bytes).
    pub fn audit_public_key(&self) -> Vec<u8> {
        self.checkpoint_signer.public_key()
    }

    pub(crate) fn checkpoint_signer(&self) -> &CheckpointSigner {
        &self.checkpoint_signer
    }

    /// The audit event of `caller`'s call, to commit with its state change
    /// (see [`crate::store`]), answering `response` (the response shape,
    /// for `responseElements`). Empty for in-process callers; after a
    /// successful change, pass the events to `caller.audit.committed`.
    pub(crate) fn events_answering(&self, caller: &Caller, response: &impl serde::Serialize) -> Vec<AuditEntry> {
        let response = serde_json::to_value(response).ok();
        caller.audit.events_for_change(self.new_event_id(), response.as_ref())
    }

    /// [`Kms::events_answering`] for a call whose event has no
    /// `responseElements`.
    pub(crate) fn events(&self, caller: &Caller) -> Vec<AuditEntry> {
        caller.audit.events_for_change(self.new_event_id(), None)
    }

    /// Runs `write`, a change of the store, with the caller's audit event
    /// for it, so that the change and its event commit in one transaction
    /// or not at all; once committed, the event is noted so that the server
    /// does not append it again. Every state change of a call goes through
    /// here, [`Kms::commit_answering`] or [`Kms::commit_events`].
    pub(crate) async fn commit<T, E>(
        &self,
        caller: &Caller,
        write: impl AsyncFnOnce(&[AuditEntry]) -> Result<T, E>,
    ) -> Result<T, E> {
        Self::commit_events(caller, self.events(caller), write).await
    }

    /// [`Kms::commit`] for a call whose event keeps `responseElements` from
    /// `response` (the response shape).
    pub(crate) async fn commit_answering<T, E>(
        &self,
        caller: &Caller,
        response: &impl serde::Serialize,
        write: impl AsyncFnOnce(&[AuditEntry]) -> Result<T, E>,
    ) -> Result<T, E> {
        Self::commit_events(caller, self.events_answering(caller, response), write).await
    }

    /// [`Kms::commit`] with `events` made beforehand ([`Kms::events`],
    /// [`Kms::events_answering`]).
    pub(crate) async fn commit_events<T, E>(
        caller: &Caller,
        events: Vec<AuditEntry>,
        write: impl AsyncFnOnce(&[AuditEntry]) -> Result<T, E>,
    ) -> Result<T, E> {
        let out = write(&events).await?;
        caller.audit.committed(&events);
        Ok(out)
    }

    /// Records the caller's event, keeping `responseElements` from
    /// `response`, for a call that changes nothing in the store but whose
    /// answer the trail must show (STS's credentials, by access key id
    /// only): durable before the answer leaves, as every event.
    pub(crate) async fn record_answering(
        &self,
        caller: &Caller,
        response: &impl serde::Serialize,
    ) -> Result<(), KmsError> {
        self.record_answering_in(&caller.audit, response).await
    }

    /// [`Kms::record_answering`] for a call with no authenticated caller
    /// (AssumeRoleWithWebIdentity), by its audit side.
    pub(crate) async fn record_answering_in(
        &self,
        audit: &crate::caller::CallAudit,
        response: &impl serde::Serialize,
    ) -> Result<(), KmsError> {
        let response = serde_json::to_value(response).ok();
        let events = audit.events_for_change(self.new_event_id(), response.as_ref());
        for e in &events {
            self.record_event(e.clone()).await?;
        }
        audit.committed(&events);
        Ok(())
    }

    /// A fresh event id: a UUID, time-ordered (version 7) so that the
    /// trail's index of event ids grows at its end instead of touching a
    /// random page for every event.
    pub fn new_event_id(&self) -> String {
        uuid::Uuid::now_v7().to_string()
    }

    /// Version `version` of `key`'s material (`None` if there is none),
    /// from memory when it was read under the same key revision.
    ///
    /// Exact, not eventually right: every change of a version record
    /// (rotation, import, deletion of imported material, destruction) is
    /// written together with its key and raises the key's revision, and the
    /// key itself is read from the store on every request, so a record read
    /// under revision r is the stored one for as long as the key is at r, on
    /// every node.
    pub(crate) async fn key_version(
        &self,
        key: &KeyRecord,
        version: u32,
    ) -> Result<Option<Arc<KeyVersionRecord>>, KmsError> {
        let lock = || self.versions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let k = (key.id.clone(), version);
        if let Some((rev, v)) = lock().get(&k) {
            if *rev == key.revision {
                return Ok(Some(v.clone()));
            }
        }
        let Some(v) = self.store.key_version(&key.id, version).await? else {
            return Ok(None);
        };
        let v = Arc::new(v);
        crate::keyring::cache_insert(&self.versions, self.version_cache_capacity, k, (key.revision, v.clone()));
        Ok(Some(v))
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn crypto(&self) -> &dyn CryptoProvider {
        self.keyring.crypto()
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    pub(crate) fn random(&self, buf: &mut [u8]) -> Result<(), KmsError> {
        self.crypto().fill_random(buf).map_err(KmsError::crypto)
    }

    pub(crate) fn random_string(&self, alphabet: &[u8], len: usize) -> Result<Zeroizing<String>, KmsError> {
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        self.random(&mut bytes)?;
        // Alphabets of 32 or 64 symbols divide 256: no modulo bias.
        Ok(Zeroizing::new(bytes.iter().map(|b| alphabet[usize::from(*b) % alphabet.len()] as char).collect()))
    }

    /// Creates the first account, its root principal and one access key, if
    /// the deployment has no account yet. Returns `None` when there was one.
    pub async fn bootstrap(&self, spec: BootstrapSpec) -> Result<Option<BootstrapCredentials>, KmsError> {
        if self.store.count_accounts().await? > 0 {
            return Ok(None);
        }
        match self.new_account(spec, true, None).await {
            Ok(created) => Ok(Some(created)),
            // Another node bootstrapped at the same moment.
            Err(KmsError::AlreadyExists(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates an account, its root principal and one access key (ids and
    /// secret generated unless given), on the operator's trusted path (in
    /// process; the API path is [`Kms::admin_create_account`]).
    /// `AlreadyExistsException` when the account or the access key id exists.
    pub async fn create_account(&self, spec: BootstrapSpec) -> Result<BootstrapCredentials, KmsError> {
        self.new_account(spec, false, None).await
    }

    /// Refuses callers outside the operator account (`only the operator
    /// account may {what}`), and its IAM users whose identity policies do
    /// not allow the operation's `trent:` action: Trent's own
    /// administrative operations.
    pub(crate) async fn require_operator(&self, caller: &Caller, op: Operation, what: &str) -> Result<(), KmsError> {
        if self.store.account(&caller.account).await?.is_some_and(|a| a.operator) {
            return self.authorize_identity(caller, op, "*", &[]).await;
        }
        Err(KmsError::AccessDenied(format!(
            "User: {} is not authorized to perform: {}: only the operator account may {what}",
            caller.principal.as_str(),
            op.action()
        )))
    }

    /// Seal (`trent admin seal`): a principal of the operator account asks a
    /// deployment on the Shamir seal to go back to its sealed state. The
    /// server stops taking requests, answers those in flight (this one
    /// among them, its event recorded), drops the KMS (the keyring's keys
    /// zeroize) and waits for shares again. Another seal has no sealed
    /// state: `UnsupportedOperationException`.
    pub async fn admin_seal(&self, caller: &Caller) -> Result<trent_api::ops::Empty, KmsError> {
        self.require_operator(caller, Operation::Seal, "seal the deployment").await?;
        if self.root_rotated.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(KmsError::Unsupported(
                "The root key was rotated since this server started: restart it under its new seal before sealing it."
                    .into(),
            ));
        }
        let requests = self.seal_requests.as_ref().ok_or_else(|| {
            KmsError::Unsupported(
                "Only a deployment on the Shamir seal has a sealed state; stop the server to take its keys out of memory."
                    .into(),
            )
        })?;
        tracing::warn!(
            caller = caller.principal.as_str(),
            "sealing: the deployment stops serving and waits for shares"
        );
        // Wakes the serving phase's stop future (polled from its first
        // accept on), and leaves no permit behind for the next phase.
        requests.notify_waiters();
        Ok(trent_api::ops::Empty {})
    }

    /// CreateAccount through the API (`trent admin create-account`): only a
    /// principal of the operator account (the bootstrap account) may call it.
    pub async fn admin_create_account(
        &self,
        caller: &Caller,
        spec: BootstrapSpec,
    ) -> Result<BootstrapCredentials, KmsError> {
        self.require_operator(caller, Operation::CreateAccount, "create accounts").await?;
        let created = self.new_account(spec, false, Some(caller)).await?;
        tracing::info!(
            operator = caller.principal.as_str(),
            account = created.account_id.as_str(),
            access_key_id = created.access_key_id.as_str(),
            "account created"
        );
        Ok(created)
    }

    /// Creates an account; `caller`, when given, is the API caller whose
    /// event commits with the account.
    async fn new_account(
        &self,
        spec: BootstrapSpec,
        operator: bool,
        caller: Option<&Caller>,
    ) -> Result<BootstrapCredentials, KmsError> {
        let account_id = match spec.account_id {
            Some(a) => AccountId::parse(&a)
                .ok_or_else(|| KmsError::Validation(format!("account id '{a}' is not 12 digits")))?,
            None => {
                let mut digits = [0u8; 12];
                self.random(&mut digits)?;
                // First digit 1–9 so the id never looks truncated.
                let s: String = digits
                    .iter()
                    .enumerate()
                    .map(|(i, b)| char::from(b'0' + if i == 0 { 1 + b % 9 } else { b % 10 }))
                    .collect();
                AccountId::new_unchecked(s)
            }
        };
        let access_key_id = match spec.access_key_id {
            Some(id) => {
                if id.len() < 16 || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(KmsError::Validation("access key id must be 16 to 128 letters and digits".into()));
                }
                AccessKeyId::new_unchecked(id)
            }
            None => AccessKeyId::new_unchecked(format!("AKIA{}", self.random_string(BASE32, 16)?.as_str())),
        };
        let (secret, generated_secret) = match spec.secret_access_key {
            Some(s) if s.len() >= 16 => (s, false),
            Some(_) => return Err(KmsError::Validation("secret access key must have at least 16 characters".into())),
            None => (self.random_string(SECRET_CHARS, 40)?, true),
        };
        let now = self.now();
        let account = AccountRecord { id: account_id.clone(), created_at: now, operator };
        let key = AccessKeyRecord {
            id: access_key_id.clone(),
            account: account_id.clone(),
            principal: account_id.root_arn(),
            wrapped_secret: self.keyring.wrap_access_secret(access_key_id.as_str(), secret.as_bytes())?,
            created_at: now,
            inactive: false,
        };
        let write = async |events: &[AuditEntry]| self.store.insert_account(&account, &key, events).await;
        let written = match caller {
            // The response minus the secret, which the event leaves out anyway.
            Some(c) => {
                let response = serde_json::json!({
                    "AccountId": account_id.as_str(),
                    "AccessKeyId": access_key_id.as_str(),
                    "Principal": account_id.root_arn().as_str(),
                });
                self.commit_answering(c, &response, write).await
            }
            None => write(&[]).await,
        };
        match written {
            Ok(()) => {}
            Err(StoreError::AlreadyExists) => {
                return Err(KmsError::AlreadyExists(format!("Account {account_id} already exists")))
            }
            Err(e) => return Err(e.into()),
        }
        Ok(BootstrapCredentials { account_id, access_key_id, secret_access_key: secret, generated_secret })
    }

    /// Drops a cached access key (it was deleted).
    pub(crate) fn forget_access_key(&self, id: &str) {
        self.access_keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(id);
    }

    /// Drops the cached access keys of `principal` (its user was deleted).
    pub(crate) fn forget_principal(&self, principal: &str) {
        let mut cache = self.access_keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.retain(|_, (_, a)| a.principal.as_str() != principal);
    }

    /// Looks up an access key and unwraps its secret, for signature checks.
    pub async fn authenticate(&self, access_key_id: &str) -> Result<Option<Arc<Authenticated>>, KmsError> {
        let now = self.now();
        let lock = || self.access_keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, a)) = lock().get(access_key_id) {
            if now.saturating_sub(*at) < ACCESS_KEY_TTL_MS && *at <= now {
                return Ok(Some(a.clone()));
            }
        }
        let id = AccessKeyId::new_unchecked(access_key_id);
        // An inactive key is refused as an unknown one is (AWS's answer).
        let Some(rec) = self.store.access_key(&id).await?.filter(|r| !r.inactive) else {
            return Ok(None);
        };
        let secret = self.keyring.unwrap_access_secret(self.store.as_ref(), access_key_id, &rec.wrapped_secret).await?;
        let a = Arc::new(Authenticated { account: rec.account, principal: rec.principal, secret, session: None });
        let mut cache = lock();
        if cache.len() >= ACCESS_KEY_CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(access_key_id.to_owned(), (now, a.clone()));
        Ok(Some(a))
    }

    /// Resolves a `KeyId` member to a key and authorizes `access` to it
    /// (see [`crate::authz`]): the one way operations reach a key.
    ///
    /// A key of another region, or of another account for an action AWS
    /// does not allow across accounts, is reported as not found, as AWS does
    /// for keys one cannot see.
    pub(crate) async fn resolve_key(
        &self,
        caller: &Caller,
        key_ref: &str,
        names: Names,
        access: &Access,
    ) -> Result<KeyRecord, KmsError> {
        Ok(self.resolve_key_routed(caller, key_ref, names, access).await?.0)
    }

    /// [`Kms::resolve_key`], also saying how the request was authorized.
    pub(crate) async fn resolve_key_routed(
        &self,
        caller: &Caller,
        key_ref: &str,
        names: Names,
        access: &Access,
    ) -> Result<(KeyRecord, Route), KmsError> {
        let own = caller.scope();
        let not_found = |id: &KeyId| {
            KmsError::NotFound(format!("Key '{}' does not exist", key_arn(&caller.region, &caller.account, id)))
        };
        // Another account's key is reachable by ARN, for the actions AWS
        // allows across accounts; its key policy then decides.
        let scope_of = |region: &str, account: &str| -> Option<Scope> {
            if region != caller.region.as_str() {
                return None;
            }
            if account == caller.account.as_str() {
                return Some(own.clone());
            }
            let account = AccountId::parse(account).filter(|_| access.cross_account())?;
            Some(Scope { account, region: caller.region.clone() })
        };
        let (scope, key_id, request_alias) = match KeyRef::parse(key_ref) {
            KeyRef::Id(id) => (own.clone(), id, None),
            KeyRef::KeyArn { region, account, key_id } => match scope_of(&region, &account) {
                Some(scope) => (scope, key_id, None),
                // AWS names the other region, nothing else.
                None if region != caller.region.as_str() => {
                    return Err(KmsError::NotFound(format!("Invalid arn {region}")))
                }
                None => return Err(KmsError::NotFound(format!("Key '{key_ref}' does not exist"))),
            },
            KeyRef::Alias(name) if names == Names::KeyOrAlias => {
                (own.clone(), self.alias_target(&own, &name).await?, Some(name))
            }
            KeyRef::AliasArn { region, account, name } if names == Names::KeyOrAlias => {
                match scope_of(&region, &account) {
                    Some(scope) => {
                        let target = self.alias_target(&scope, &name).await?;
                        (scope, target, Some(name))
                    }
                    None => return Err(KmsError::NotFound(format!("Alias {key_ref} is not found."))),
                }
            }
            KeyRef::Invalid { arn: true } => return Err(KmsError::InvalidArn(format!("Invalid arn {key_ref}"))),
            KeyRef::Alias(_) | KeyRef::AliasArn { .. } | KeyRef::Invalid { arn: false } => {
                return Err(KmsError::NotFound(format!("Invalid keyId '{key_ref}'")))
            }
        };
        let key = self.store.key(&scope, &key_id).await?.ok_or_else(|| not_found(&key_id))?;
        let route = self.authorize(caller, &key, access, request_alias.as_ref().map(|a| a.as_str())).await?;
        Ok((key, route))
    }

    async fn alias_target(&self, scope: &Scope, name: &AliasName) -> Result<KeyId, KmsError> {
        match self.store.alias(scope, name).await? {
            Some(a) => Ok(a.target),
            None => Err(KmsError::NotFound(format!(
                "Alias {} is not found.",
                alias_arn(&scope.region, &scope.account, name)
            ))),
        }
    }
}
