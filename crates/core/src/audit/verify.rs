//! Verification of the hash chain and its signed checkpoints.

#[allow(unused_imports)]
use super::*;

/// What tampering [`verify_chain`] found first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tamper {
    /// A record's bytes (or its stored hashes) do not match its hash.
    #[error("record {seq} was edited: its contents do not match its hash")]
    Edited {
        /// The record.
        seq: u64,
    },
    /// Records are missing from the sequence.
    #[error("records {first} to {last} were removed")]
    Removed {
        /// First missing.
        first: u64,
        /// Last missing.
        last: u64,
    },
    /// A record's lookup fields (account, name, resources, …: what
    /// LookupEvents filters on) differ from its hashed contents.
    #[error("record {seq} was edited: its lookup fields do not match its contents")]
    FieldsEdited {
        /// The record.
        seq: u64,
    },
    /// A record does not follow the one before it: moved, swapped or
    /// inserted.
    #[error("record {seq} does not follow record {prev}: records were reordered or inserted")]
    OutOfOrder {
        /// The record.
        seq: u64,
        /// The record before it.
        prev: u64,
    },
    /// The trail ends before a checkpoint: records at its end were removed.
    #[error("the trail ends at record {last} but checkpoint {checkpoint} was signed after it: records were removed from the end")]
    Truncated {
        /// Last record found.
        last: u64,
        /// The checkpoint past it.
        checkpoint: u64,
    },
    /// A checkpoint's signature does not verify.
    #[error("checkpoint at record {seq} has an invalid signature")]
    BadCheckpoint {
        /// Its record.
        seq: u64,
    },
    /// A checkpoint names a hash the record does not have.
    #[error("record {seq} differs from the checkpoint signed for it")]
    CheckpointMismatch {
        /// The record.
        seq: u64,
    },
    /// Numbered checkpoints are missing between two that remain.
    #[error("checkpoints {first} to {last} are missing from the numbered sequence (deleted from the database and the digest files)")]
    CheckpointsMissing {
        /// First missing number.
        first: u64,
        /// Last missing number.
        last: u64,
    },
    /// A checkpoint does not sign the one numbered before it.
    #[error("checkpoint {number} does not follow checkpoint {}: the sequence of checkpoints was rewritten", number - 1)]
    CheckpointChainBroken {
        /// Its number.
        number: u64,
    },
    /// The database and a digest file hold different checkpoints of one
    /// number.
    #[error("checkpoint {number} in the database differs from its digest file")]
    CheckpointConflict {
        /// Its number.
        number: u64,
    },
    /// The newest checkpoint is older than the trail's newest record by
    /// more than the checkpoint interval and its margin: the checkpoints
    /// after it were deleted (or checkpointing stopped).
    #[error("the newest checkpoint (record {seq}) was signed {lag_secs} s before the trail's newest record {last}, more than the {allowed_secs} s checkpoints may lag: later checkpoints were deleted")]
    StaleCheckpoint {
        /// The record the newest checkpoint covers.
        seq: u64,
        /// The trail's newest record.
        last: u64,
        /// How far behind it is, seconds.
        lag_secs: i64,
        /// The most allowed, seconds.
        allowed_secs: i64,
    },
    /// The trail's records span more than checkpoints may lag, and no
    /// checkpoint covers any of them.
    #[error("no checkpoint covers records {first} to {last}, which span {span_secs} s, more than the {allowed_secs} s checkpoints may lag: the checkpoints were deleted")]
    NoCheckpoint {
        /// First record.
        first: u64,
        /// Last record.
        last: u64,
        /// Time between them, seconds.
        span_secs: i64,
        /// The most allowed, seconds.
        allowed_secs: i64,
    },
    /// A record verified before (the [`VerifyOptions::after`] starting
    /// point) now has another hash.
    #[error("record {seq} no longer has the hash it had when it was verified: it was edited since")]
    VerifiedChanged {
        /// The record.
        seq: u64,
    },
    /// The trail ends before a record verified before: records were
    /// removed from its end.
    #[error("the trail ends before record {seq}, which was verified before: records were removed from the end")]
    VerifiedRemoved {
        /// The record verified before.
        seq: u64,
    },
}

/// A record verified before, to verify from: an operator who checks the
/// trail every day keeps the last record's seq and hash from each report
/// and walks only what came after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Its chain.
    pub chain: u32,
    /// The record's position in its chain (its seq on a trail of one
    /// chain).
    pub seq: u64,
    /// Its chain hash, as the report gave it.
    pub hash: [u8; 32],
}

impl Verified {
    /// The record `seq` of chain `chain` with the hash a report gave as
    /// `LastHash` (64 hex digits).
    pub fn from_hex(chain: u32, seq: u64, hash: &str) -> Result<Self, hex::FromHexError> {
        let mut h = [0u8; 32];
        hex::decode_to_slice(hash, &mut h)?;
        Ok(Verified { chain, seq, hash: h })
    }
}

/// What verification reads besides the stored trail.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Checkpoints read from digest files ([`super::digest`]), outside the
    /// database: checked like the stored ones, and against them.
    pub digests: Vec<AuditCheckpoint>,
    /// The most the trail's newest record may be newer than its newest
    /// checkpoint, in milliseconds: the checkpoint interval plus a margin.
    /// `None` skips the check.
    pub max_checkpoint_lag_ms: Option<i64>,
    /// Start after this record, verified before, instead of at the start
    /// of its chain (the other chains are walked whole): the record must
    /// still have its hash, and the records after it are checked as a full
    /// walk checks them. The checkpoints are all checked
    /// (signatures, numbering, digest files) as without it. When retention
    /// has pruned the record since, the whole trail is walked.
    pub after: Option<Verified>,
}

/// What [`verify_chain`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records read, of every chain.
    pub records: u64,
    /// The chain that `first_seq`, `last_seq`, `last_hash` and `tamper`
    /// are of: the one tampering was found in, else the one of
    /// [`VerifyOptions::after`], else chain 0 (the only one of a trail of
    /// one chain).
    pub chain: u32,
    /// Position of the first record read: the first kept (above 1 when
    /// retention pruned the older ones), or the one after
    /// [`VerifyOptions::after`].
    pub first_seq: u64,
    /// Position of the last record.
    pub last_seq: u64,
    /// Chain hash of the last record (the chain's genesis hash for an
    /// empty chain): with `last_seq`, where the next verification can
    /// start.
    pub last_hash: [u8; 32],
    /// Checkpoints checked (stored and digest files, each number of each
    /// chain once).
    pub checkpoints: u64,
    /// Digest files read.
    pub digest_files: u64,
    /// The first tampering found, if any.
    pub tamper: Option<Tamper>,
    /// Each chain walked, in order (one for a trail of one chain).
    pub chains: Vec<ChainReport>,
}

/// What [`verify_chain`] read of one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainReport {
    /// The chain.
    pub chain: u32,
    /// Records read.
    pub records: u64,
    /// Position of the first record read.
    pub first_seq: u64,
    /// Position of the last record.
    pub last_seq: u64,
    /// Its hash.
    pub last_hash: [u8; 32],
}

impl VerifyReport {
    /// The tampering found, in words, naming its chain when the trail has
    /// several.
    pub fn problem(&self) -> Option<String> {
        let t = self.tamper.as_ref()?;
        Some(if self.chains.len() > 1 || self.chain != 0 {
            format!("chain {}: {t}", self.chain)
        } else {
            t.to_string()
        })
    }
}

/// Whether an entry's lookup fields are those of its record (which the
/// chain hash covers): stores keep them in columns of their own for
/// LookupEvents, where an edit would not touch the hash.
pub fn fields_match(e: &AuditEntry) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(&e.record) else {
        return false;
    };
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let resources: Vec<String> = v
        .get("resources")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|r| r.get("ARN").and_then(Value::as_str).map(str::to_owned)).collect())
        .unwrap_or_default();
    s("/eventID").as_deref() == Some(e.event_id.as_str())
        && s("/eventName").as_deref() == Some(e.event_name.as_str())
        && s("/eventTime").as_deref() == Some(event_time(e.event_time).as_str())
        && s("/recipientAccountId") == e.account
        && v.get("readOnly").and_then(Value::as_bool) == Some(e.read_only)
        && s("/userIdentity/accessKeyId") == e.access_key_id
        // A user's name is its ARN's last part; a web identity's, its
        // token's subject (CloudTrail's WebIdentityUser `userName`).
        && match s("/userIdentity/type").as_deref() {
            Some("WebIdentityUser") => s("/userIdentity/userName"),
            _ => s("/userIdentity/arn").and_then(|arn| username(&arn)),
        } == e.username
        && resources == e.resources
}

/// The checkpoints of the database and the digest files together, each
/// signature checked, each number once, the numbered ones in an unbroken
/// sequence each signing the one before; the first problem otherwise.
fn checkpoints_together(
    stored: Vec<AuditCheckpoint>,
    digests: &[AuditCheckpoint],
    public_key: &[u8],
) -> Result<Vec<AuditCheckpoint>, Tamper> {
    let mut numbered = std::collections::BTreeMap::new();
    let mut all = Vec::new();
    for cp in stored.into_iter().chain(digests.iter().cloned()) {
        if !cp.verifies(public_key) {
            return Err(Tamper::BadCheckpoint { seq: cp.seq });
        }
        match cp.number {
            None => all.push(cp),
            Some(n) => match numbered.get(&n) {
                Some(seen) if *seen != cp => return Err(Tamper::CheckpointConflict { number: n }),
                Some(_) => {}
                None => {
                    numbered.insert(n, cp);
                }
            },
        }
    }
    let mut prev: Option<&AuditCheckpoint> = None;
    for (n, cp) in &numbered {
        if let Some(p) = prev {
            let pn = p.number.unwrap_or(0);
            if *n > pn + 1 {
                return Err(Tamper::CheckpointsMissing { first: pn + 1, last: n - 1 });
            }
            if cp.prev != Some(p.digest()) {
                return Err(Tamper::CheckpointChainBroken { number: *n });
            }
        }
        prev = Some(cp);
    }
    all.extend(numbered.into_values());
    Ok(all)
}

/// Reads the whole trail and checks each chain and its checkpoints (signed
/// by `public_key`), those stored with it and those of `opts`.
pub async fn verify_chain(store: &dyn Store, public_key: &[u8], opts: &VerifyOptions) -> StoreResult<VerifyReport> {
    let stored = store.audit_checkpoints().await?;
    let mut chains: std::collections::BTreeSet<u32> = store.audit_chains().await?.into_iter().collect();
    // A chain whose records were all deleted still has checkpoints or
    // digest files saying it was there.
    chains.extend(stored.iter().chain(&opts.digests).map(|c| c.chain));
    if chains.is_empty() {
        chains.insert(0);
    }
    let focus = opts.after.map_or(0, |v| v.chain);
    let mut whole: Option<VerifyReport> = None;
    for chain in chains {
        let of_chain = |cps: &[AuditCheckpoint]| cps.iter().filter(|c| c.chain == chain).cloned().collect::<Vec<_>>();
        let one = verify_one(store, chain, of_chain(&stored), &of_chain(&opts.digests), public_key, opts).await?;
        let part = ChainReport {
            chain,
            records: one.records,
            first_seq: one.first_seq,
            last_seq: one.last_seq,
            last_hash: one.last_hash,
        };
        let tampered = one.tamper.is_some();
        whole = Some(match whole {
            None => one,
            Some(mut w) => {
                w.records += one.records;
                w.checkpoints += one.checkpoints;
                if tampered || (w.chain != focus && chain == focus) {
                    (w.chain, w.first_seq, w.last_seq, w.last_hash) =
                        (chain, one.first_seq, one.last_seq, one.last_hash);
                    w.tamper = one.tamper;
                }
                w
            }
        });
        if let Some(w) = whole.as_mut() {
            w.chains.push(part);
        }
        if tampered {
            break;
        }
    }
    let mut whole = whole.ok_or_else(|| crate::store::StoreError::backend(std::io::Error::other("no chain")))?;
    whole.digest_files = opts.digests.len() as u64;
    Ok(whole)
}

/// Walks chain `chain` and checks it against its checkpoints, `stored` and
/// `digests`.
async fn verify_one(
    store: &dyn Store,
    chain: u32,
    stored: Vec<AuditCheckpoint>,
    digests: &[AuditCheckpoint],
    public_key: &[u8],
    opts: &VerifyOptions,
) -> StoreResult<VerifyReport> {
    let genesis = chain_genesis(chain);
    let mut report = VerifyReport {
        records: 0,
        chain,
        first_seq: 1,
        last_seq: 0,
        last_hash: genesis,
        checkpoints: 0,
        digest_files: digests.len() as u64,
        tamper: None,
        chains: Vec::new(),
    };
    let checkpoints = match checkpoints_together(stored, digests, public_key) {
        Ok(c) => c,
        Err(t) => {
            report.tamper = Some(t);
            return Ok(report);
        }
    };
    report.checkpoints = checkpoints.len() as u64;
    let mut by_seq: std::collections::HashMap<u64, Vec<&AuditCheckpoint>> = std::collections::HashMap::new();
    for c in &checkpoints {
        by_seq.entry(c.seq).or_default().push(c);
    }
    // Event times of the first and the last record kept.
    let (mut first_time, mut last_time) = (None, 0i64);
    let (mut last_seq, mut last_hash) = (0u64, genesis);
    // Records before the first kept one that a retention event accounts for.
    let mut pruned_through = 0u64;
    // Verifying from a record verified before: it must be there, unchanged.
    let mut from_verified = false;
    if let Some(v) = opts.after.filter(|v| v.seq > 0 && v.chain == chain) {
        match store.audit_chain_records(chain, v.seq - 1, 1).await?.first() {
            None => {
                report.tamper = Some(Tamper::VerifiedRemoved { seq: v.seq });
                return Ok(report);
            }
            // Its stored hash, and the hash of its contents.
            Some(r)
                if r.position == v.seq
                    && (r.hash != v.hash
                        || chain_hash(&r.prev_hash, r.position, r.entry.record.as_bytes()) != v.hash) =>
            {
                report.tamper = Some(Tamper::VerifiedChanged { seq: v.seq });
                return Ok(report);
            }
            // The walk goes on from it; its time counts for the checkpoint
            // lag as a full walk's would.
            Some(r) if r.position == v.seq => {
                (last_seq, last_hash, from_verified) = (v.seq, v.hash, true);
                (first_time, last_time) = (Some(r.entry.event_time), r.entry.event_time);
                report.first_seq = v.seq + 1;
            }
            // Pruned since (the next record kept is later): walk it all.
            Some(_) => {}
        }
    }
    loop {
        let page = store.audit_chain_records(chain, last_seq, 1000).await?;
        if page.is_empty() {
            break;
        }
        for r in page {
            // A trail pruned by retention starts after a checkpoint, which
            // anchors its first record.
            if last_seq == 0 && r.position > 1 {
                if let Some(anchor) = by_seq.get(&(r.position - 1)).and_then(|a| a.first()) {
                    last_seq = anchor.seq;
                    last_hash = anchor.hash;
                    report.first_seq = r.position;
                }
            }
            // The link to the previous record first: a record moved from
            // elsewhere also fails its own hash (which covers its seq), but
            // what happened is a reordering.
            let tamper = if r.position > last_seq + 1 {
                Some(Tamper::Removed { first: last_seq + 1, last: r.position - 1 })
            } else if r.prev_hash != last_hash {
                Some(Tamper::OutOfOrder { seq: r.position, prev: last_seq })
            } else if chain_hash(&r.prev_hash, r.position, r.entry.record.as_bytes()) != r.hash {
                Some(Tamper::Edited { seq: r.position })
            } else if !fields_match(&r.entry) {
                Some(Tamper::FieldsEdited { seq: r.position })
            } else if by_seq.get(&r.position).is_some_and(|cs| cs.iter().any(|c| c.hash != r.hash)) {
                Some(Tamper::CheckpointMismatch { seq: r.position })
            } else {
                None
            };
            if tamper.is_some() {
                report.tamper = tamper;
                return Ok(report);
            }
            if r.entry.event_name == PRUNE_EVENT {
                let through = serde_json::from_str::<Value>(&r.entry.record)
                    .ok()
                    .and_then(|v| v.pointer("/serviceEventDetails/throughSeq").and_then(Value::as_u64));
                pruned_through = pruned_through.max(through.unwrap_or(0));
            }
            report.records += 1;
            last_seq = r.position;
            last_hash = r.hash;
            first_time.get_or_insert(r.entry.event_time);
            last_time = r.entry.event_time;
        }
    }
    report.last_seq = last_seq;
    report.last_hash = last_hash;
    // A trail that starts late must say, in a record of its own, that
    // retention removed the start; else the start was deleted.
    if !from_verified && report.first_seq > 1 && pruned_through < report.first_seq - 1 {
        report.tamper = Some(Tamper::Removed { first: 1, last: report.first_seq - 1 });
        return Ok(report);
    }
    if let Some(cp) = checkpoints.iter().map(|c| c.seq).max().filter(|s| *s > last_seq) {
        report.tamper = Some(Tamper::Truncated { last: last_seq, checkpoint: cp });
        return Ok(report);
    }
    // Checkpoints deleted from the end leave the newest records uncovered
    // for longer than checkpointing allows.
    if let (Some(allowed), Some(first_time)) = (opts.max_checkpoint_lag_ms, first_time) {
        let newest = checkpoints.iter().max_by_key(|c| c.seq);
        let secs = |ms: i64| ms / 1000;
        report.tamper = match newest {
            Some(c) if c.seq < last_seq && last_time - c.created_at > allowed => Some(Tamper::StaleCheckpoint {
                seq: c.seq,
                last: last_seq,
                lag_secs: secs(last_time - c.created_at),
                allowed_secs: secs(allowed),
            }),
            None if last_time - first_time > allowed => Some(Tamper::NoCheckpoint {
                first: report.first_seq,
                last: last_seq,
                span_secs: secs(last_time - first_time),
                allowed_secs: secs(allowed),
            }),
            _ => None,
        };
    }
    Ok(report)
}
