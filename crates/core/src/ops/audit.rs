//! Reading and checking the audit trail: CloudTrail's LookupEvents, the
//! operator's trail reads and verification, and the scheduler's signed
//! checkpoints, and GetKeyLastUsage (answered from the trail). Appending is
//! [`crate::Kms::record_event`].

use crate::audit::{
    prune_event, verify_chain, AuditCheckpoint, AuditQuery, AuditRecord, LookupAttribute, Verified, VerifyOptions,
    VerifyReport,
};
use crate::authz::Access;
use crate::error::KmsError;
use crate::kms::Names;
use crate::{Caller, Kms};
use trent_api::cloudtrail::{Event, LookupEventsRequest, LookupEventsResponse, Resource};
use trent_api::ops::{GetKeyLastUsageRequest, GetKeyLastUsageResponse, KeyLastUsage};
use trent_api::time::Timestamp;
use trent_api::ErrorCode;
use trent_api::Operation;

/// The operations GetKeyLastUsage tracks (AWS's
/// `KeyLastUsageTrackingOperation`).
const TRACKED: &[&str] = &[
    "Decrypt",
    "DeriveSharedSecret",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "ReEncrypt",
    "Sign",
    "Verify",
    "VerifyMac",
    "Encapsulate",
    "Decapsulate",
];

/// Most of a key's newest events GetKeyLastUsage reads back through: a key
/// whose last this-many events are all failures or management calls is
/// reported as unused since tracking began.
const LAST_USAGE_SCAN: usize = 10_000;

/// Records indexed per transaction by [`Kms::index_audit`]: the SQLite
/// store's audit appends wait for the writer while a batch holds it, so a
/// backlog (after a restart, say) is indexed in pieces of about ten
/// milliseconds' work rather than in one.
const INDEX_BATCH: usize = 1024;

/// Prefix of LookupEvents page tokens (the rest is the seq to continue
/// below).
const TOKEN_PREFIX: &str = "trent-v1-";

fn lookup_error(code: ErrorCode, message: &str) -> KmsError {
    KmsError::Lookup(code, message.to_owned())
}

/// Most of an access key's newest events GetAccessKeyLastUsed reads back
/// through for one signed with it (the others are unauthenticated tries).
const ACCESS_KEY_SCAN: usize = 1000;

/// What GetAccessKeyLastUsed answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyLastUsed {
    /// The user the key belongs to; `None` for an account root's key.
    pub user_name: Option<String>,
    /// When it last signed a request that Trent authenticated, epoch
    /// milliseconds, the service (`kms`, `iam`, `sts`, `cloudtrail`) and
    /// Region; `None` when it never has since the trail began.
    pub last_used: Option<(i64, String, String)>,
}

impl Kms {
    /// GetAccessKeyLastUsed: read back from the audit trail (the events are
    /// indexed by access key id), as the key's newest event of a request
    /// it signed and Trent authenticated, allowed or denied.
    pub async fn get_access_key_last_used(&self, caller: &Caller, id: &str) -> Result<AccessKeyLastUsed, KmsError> {
        let record = self.store.access_key(&trent_api::ids::AccessKeyId::new_unchecked(id)).await?;
        // Another account's key is as unknown as one that does not exist.
        let Some(record) = record.filter(|r| r.account == caller.account) else {
            return Err(KmsError::AccessDenied(format!(
                "User: {} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key {id}",
                caller.principal.as_str()
            )));
        };
        self.authorize_identity(caller, Operation::GetAccessKeyLastUsed, record.principal.as_str(), &[]).await?;
        let user_name = crate::authz::user_name(record.principal.as_str()).map(str::to_owned);
        let mut before_seq = None;
        let mut scanned = 0;
        while scanned < ACCESS_KEY_SCAN {
            let query = AuditQuery {
                account: Some(caller.account.as_str().to_owned()),
                attribute: Some(LookupAttribute::AccessKeyId(id.to_owned())),
                before_seq,
                limit: 100,
                ..AuditQuery::default()
            };
            let page = self.store.lookup_audit(&query).await?;
            if page.is_empty() {
                break;
            }
            for r in page {
                scanned += 1;
                before_seq = Some(r.seq);
                let event: serde_json::Value = serde_json::from_str(&r.entry.record).unwrap_or_default();
                if event["userIdentity"]["type"] == "Unknown" {
                    continue;
                }
                let service = event["eventSource"].as_str().unwrap_or_default();
                let service = service.split('.').next().unwrap_or_default().to_owned();
                let region = event["awsRegion"].as_str().unwrap_or_default().to_owned();
                return Ok(AccessKeyLastUsed { user_name, last_used: Some((r.entry.event_time, service, region)) });
            }
        }
        Ok(AccessKeyLastUsed { user_name, last_used: None })
    }

    /// GetKeyLastUsage: the key's newest successful cryptographic operation,
    /// read back from the audit trail (newest first, by the trail's index of
    /// key ARNs).
    pub async fn get_key_last_usage(
        &self,
        caller: &Caller,
        req: GetKeyLastUsageRequest,
    ) -> Result<GetKeyLastUsageResponse, KmsError> {
        let access = Access::new(Operation::GetKeyLastUsage);
        let key = self.resolve_key(caller, req.key_id.as_deref().unwrap_or_default(), Names::KeyOnly, &access).await?;
        let arn = key.arn();
        let mut before_seq = None;
        let mut scanned = 0;
        let mut last = None;
        'scan: while scanned < LAST_USAGE_SCAN {
            let query = AuditQuery {
                attribute: Some(LookupAttribute::ResourceName(arn.clone())),
                before_seq,
                limit: 200,
                ..AuditQuery::default()
            };
            let page = self.store.lookup_audit(&query).await?;
            if page.is_empty() {
                break;
            }
            for r in page {
                scanned += 1;
                before_seq = Some(r.seq);
                if TRACKED.contains(&r.entry.event_name.as_str()) {
                    let record: serde_json::Value = serde_json::from_str(&r.entry.record).unwrap_or_default();
                    if record.get("errorCode").is_none() {
                        last = Some((r.entry, record));
                        break 'scan;
                    }
                }
            }
        }
        let usage = match last {
            Some((e, record)) => KeyLastUsage {
                operation: Some(e.event_name),
                timestamp: Some(Timestamp::from_millis(e.event_time)),
                cloud_trail_event_id: Some(e.event_id),
                kms_request_id: record.get("requestID").and_then(|v| v.as_str()).map(str::to_owned),
            },
            None => KeyLastUsage::default(),
        };
        // Trent records every call; retention may have pruned the oldest.
        let oldest_kept = self.store.audit_records(0, 1).await?.first().map_or(key.created_at, |r| r.entry.event_time);
        Ok(GetKeyLastUsageResponse {
            key_id: Some(key.id.to_string()),
            key_last_usage: Some(usage),
            tracking_start_date: Some(Timestamp::from_millis(key.created_at.max(oldest_kept))),
            key_creation_date: Some(Timestamp::from_millis(key.created_at)),
        })
    }

    /// CloudTrail LookupEvents over the caller's account's events, newest
    /// first.
    pub async fn lookup_events(
        &self,
        caller: &Caller,
        req: LookupEventsRequest,
    ) -> Result<LookupEventsResponse, KmsError> {
        self.authorize_identity(caller, Operation::LookupEvents, "*", &[]).await?;
        let attrs = req.lookup_attributes.unwrap_or_default();
        if attrs.len() > 1 {
            return Err(lookup_error(
                ErrorCode::InvalidLookupAttributes,
                "You cannot specify more than one lookup attribute.",
            ));
        }
        let attribute = match attrs.into_iter().next() {
            None => None,
            Some(a) => {
                let (key, value) = (a.attribute_key.unwrap_or_default(), a.attribute_value.unwrap_or_default());
                Some(match key.as_str() {
                    "EventId" => LookupAttribute::EventId(value),
                    "EventName" => LookupAttribute::EventName(value),
                    "Username" => LookupAttribute::Username(value),
                    "ResourceType" => LookupAttribute::ResourceType(value),
                    "ResourceName" => LookupAttribute::ResourceName(value),
                    "EventSource" => LookupAttribute::EventSource(value),
                    "AccessKeyId" => LookupAttribute::AccessKeyId(value),
                    "ReadOnly" => match value.as_str() {
                        "true" => LookupAttribute::ReadOnly(true),
                        "false" => LookupAttribute::ReadOnly(false),
                        _ => {
                            return Err(lookup_error(
                                ErrorCode::InvalidLookupAttributes,
                                "ReadOnly must be either 'true' or 'false'.",
                            ))
                        }
                    },
                    _ => {
                        return Err(lookup_error(
                            ErrorCode::InvalidLookupAttributes,
                            &format!("Invalid attribute key: {key}"),
                        ))
                    }
                })
            }
        };
        let limit = req.max_results.unwrap_or(50);
        if !(1..=50).contains(&limit) {
            return Err(lookup_error(ErrorCode::InvalidMaxResults, "MaxResults must be between 1 and 50."));
        }
        let (start, end) = (req.start_time.map(Timestamp::millis), req.end_time.map(Timestamp::millis));
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(lookup_error(ErrorCode::InvalidTimeRange, "Start time must be before end time."));
            }
        }
        match req.event_category.as_deref() {
            None => {}
            // Trent records no Insights events.
            Some("insight") => return Ok(LookupEventsResponse { events: Vec::new(), next_token: None }),
            Some(other) => {
                return Err(lookup_error(ErrorCode::InvalidEventCategory, &format!("Invalid event category: {other}")))
            }
        }
        let before_seq = match req.next_token.as_deref() {
            None => None,
            Some(t) => Some(
                t.strip_prefix(TOKEN_PREFIX)
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or_else(|| lookup_error(ErrorCode::InvalidNextToken, "Invalid NextToken."))?,
            ),
        };
        #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // 1..=50
        let limit = limit as usize;
        let query = AuditQuery {
            account: Some(caller.account.as_str().to_owned()),
            attribute,
            start,
            end,
            before_seq,
            limit: limit + 1,
        };
        let mut records = self.store.lookup_audit(&query).await?;
        let next_token = if records.len() > limit {
            records.truncate(limit);
            records.last().map(|r| format!("{TOKEN_PREFIX}{}", r.seq))
        } else {
            None
        };
        Ok(LookupEventsResponse { events: records.into_iter().map(event).collect(), next_token })
    }

    /// Records of the whole trail after `after`, in order, and the seq of
    /// the last record (the operator's `trent admin audit tail` and
    /// `export`).
    pub async fn read_audit_trail(
        &self,
        caller: &Caller,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<AuditRecord>, u64), KmsError> {
        self.require_operator(caller, Operation::ReadAuditTrail, "read the whole audit trail").await?;
        let last = self.store.audit_last_seq().await?.unwrap_or(0);
        Ok((self.store.audit_records(after, limit.clamp(1, 1000)).await?, last))
    }

    /// Verifies the trail (the operator's `trent admin audit verify`): the
    /// whole of it, or what follows a record `after` verified before.
    pub async fn verify_audit_trail(&self, caller: &Caller, after: Option<Verified>) -> Result<VerifyReport, KmsError> {
        self.require_operator(caller, Operation::VerifyAuditTrail, "read the whole audit trail").await?;
        self.verify_audit_after(after).await
    }

    /// Verifies the whole trail against this deployment's checkpoint key
    /// and its digest files, if their directory exists (trusted path:
    /// offline verification, tests).
    pub async fn verify_audit(&self) -> Result<VerifyReport, KmsError> {
        self.verify_audit_after(None).await
    }

    /// [`Self::verify_audit`], or only what followed `after` (trusted path).
    pub async fn verify_audit_after(&self, after: Option<Verified>) -> Result<VerifyReport, KmsError> {
        let dir = self.audit_digest_dir.clone().filter(|d| d.exists());
        self.verify_audit_with(dir.as_deref(), after).await
    }

    /// Verifies the trail with the digest files of `digests` (which must be
    /// readable), or none: the whole of it, or what follows `after`.
    pub async fn verify_audit_with(
        &self,
        digests: Option<&std::path::Path>,
        after: Option<Verified>,
    ) -> Result<VerifyReport, KmsError> {
        let digests = match digests {
            Some(dir) => {
                let dir = dir.to_owned();
                tokio::task::spawn_blocking(move || crate::audit::digest::read_dir(&dir))
                    .await
                    .map_err(|e| KmsError::corrupt(e.to_string()))?
                    .map_err(KmsError::corrupt)?
            }
            None => Vec::new(),
        };
        let opts = VerifyOptions { digests, max_checkpoint_lag_ms: Some(self.max_checkpoint_lag_ms()), after };
        Ok(verify_chain(self.store.as_ref(), &self.audit_public_key(), &opts).await?)
    }

    /// How far the newest records may run ahead of the newest checkpoint:
    /// two checkpoint intervals and a minute (a pass may be late, a node
    /// may have stopped just before its next one).
    pub fn max_checkpoint_lag_ms(&self) -> i64 {
        self.checkpoint_interval_ms.saturating_mul(2).saturating_add(60_000)
    }

    /// Retention: deletes the records of this node's chain older than the
    /// retention period, up to the newest checkpoint signed before its
    /// start, which stays as the anchor of what remains; the retention
    /// event that says so goes on the same chain. Returns how many records
    /// went.
    pub async fn prune_audit_trail(&self) -> Result<u64, KmsError> {
        let Some(days) = self.audit_retention_days else {
            return Ok(0);
        };
        let cutoff = self.now().saturating_sub(i64::from(days).saturating_mul(86_400_000));
        let Some((head, _)) = self.store.audit_head().await? else {
            return Ok(0);
        };
        let chain = self.store.audit_chain().await?;
        let mut checkpoints = self.store.audit_checkpoints().await?;
        checkpoints.retain(|c| c.chain == chain);
        // Never the head itself: the last record stays, so the chain goes
        // on from it (an idle deployment keeps its newest record).
        let Some(through) = checkpoints.iter().filter(|c| c.created_at < cutoff && c.seq < head).map(|c| c.seq).max()
        else {
            return Ok(0);
        };
        // The trail says what retention removes before it goes.
        self.record_event(prune_event(self.new_event_id(), self.now(), through, days)).await?;
        let pruned = self.store.prune_audit(through).await?;
        if pruned > 0 {
            tracing::info!(through, pruned, days, "audit records past the retention period deleted");
        }
        // The digest files of the checkpoints that went go too; the
        // anchor's stays.
        let anchor = checkpoints.iter().filter(|c| c.seq == through).filter_map(|c| c.number).max();
        if let (Some(dir), Some(anchor)) = (self.audit_digest_dir.clone(), anchor) {
            let removed = tokio::task::spawn_blocking(move || crate::audit::digest::prune(&dir, chain, anchor)).await;
            match removed.map_err(std::io::Error::other).and_then(|r| r) {
                Ok(n) if n > 0 => tracing::info!(chain, below = anchor, files = n, "audit digest files pruned"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "audit digest files past the retention period not deleted"),
            }
        }
        Ok(pruned)
    }

    /// Builds the lookup indexes of the records appended since the last
    /// call ([`crate::store::Store::index_audit`]), a batch per transaction
    /// until none is left; returns how many. The server's indexer runs it
    /// every [`crate::audit::INDEX_INTERVAL`], off the request path; lookups in
    /// between read the unindexed records from the log themselves.
    pub async fn index_audit(&self) -> Result<u64, KmsError> {
        let mut total = 0;
        loop {
            let n = self.store.index_audit(INDEX_BATCH).await?;
            total += n;
            if n < INDEX_BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// Signs a checkpoint at the head of this node's chain when records
    /// were appended to it since the last one this node signed; returns
    /// the position it covers.
    pub async fn audit_checkpoint(&self) -> Result<Option<u64>, KmsError> {
        let chain = self.store.audit_chain().await?;
        let Some((seq, hash)) = self.store.audit_head().await? else {
            return Ok(None);
        };
        if seq <= self.last_checkpoint.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(None);
        }
        let prev = self.store.latest_audit_checkpoint().await?;
        if prev.as_ref().is_some_and(|p| p.seq >= seq) {
            // Another node covered it.
            self.last_checkpoint.store(seq, std::sync::atomic::Ordering::Relaxed);
            return Ok(None);
        }
        let cp = AuditCheckpoint::signed(self.checkpoint_signer(), chain, prev.as_ref(), seq, hash, self.now());
        if !self.store.insert_audit_checkpoint(&cp).await? {
            // Another node took this number (or seq) first: the next pass
            // follows its checkpoint.
            return Ok(None);
        }
        self.last_checkpoint.store(seq, std::sync::atomic::Ordering::Relaxed);
        if let Some(dir) = self.audit_digest_dir.clone() {
            let key = self.audit_public_key();
            let written = tokio::task::spawn_blocking(move || crate::audit::digest::write(&dir, &cp, &key)).await;
            if let Err(e) = written.map_err(std::io::Error::other).and_then(|r| r) {
                tracing::error!(seq, error = %e, "audit digest file not written (the checkpoint is in the store)");
            }
        }
        Ok(Some(seq))
    }
}

/// A stored record as a LookupEvents event.
fn event(r: AuditRecord) -> Event {
    let e = r.entry;
    let source = serde_json::from_str::<serde_json::Value>(&e.record)
        .ok()
        .and_then(|v| v.get("eventSource").and_then(|s| s.as_str()).map(str::to_owned))
        .unwrap_or_else(|| crate::audit::EVENT_SOURCE.to_owned());
    Event {
        event_id: e.event_id,
        event_name: e.event_name,
        read_only: e.read_only.to_string(),
        access_key_id: e.access_key_id,
        event_time: Timestamp::from_millis(e.event_time - e.event_time.rem_euclid(1000)),
        event_source: source,
        username: e.username,
        resources: e
            .resources
            .into_iter()
            .map(|arn| Resource { resource_type: crate::audit::KEY_RESOURCE_TYPE.to_owned(), resource_name: arn })
            .collect(),
        cloud_trail_event: e.record,
    }
}
