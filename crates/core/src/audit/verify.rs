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
}

/// What [`verify_chain`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records read.
    pub records: u64,
    /// Seq of the first record kept (above 1 when retention pruned the
    /// older ones).
    pub first_seq: u64,
    /// Seq of the last record.
    pub last_seq: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// The first tampering found, if any.
    pub tamper: Option<Tamper>,
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
        && s("/userIdentity/arn").and_then(|arn| username(&arn)) == e.username
        && resources == e.resources
}

/// Reads the whole trail and checks the chain and the checkpoints (signed
/// by `public_key`).
pub async fn verify_chain(store: &dyn Store, public_key: &[u8]) -> StoreResult<VerifyReport> {
    let checkpoints = store.audit_checkpoints().await?;
    let mut report =
        VerifyReport { records: 0, first_seq: 1, last_seq: 0, checkpoints: checkpoints.len() as u64, tamper: None };
    for cp in &checkpoints {
        if !verify_checkpoint(public_key, cp.seq, &cp.hash, cp.created_at, &cp.signature) {
            report.tamper = Some(Tamper::BadCheckpoint { seq: cp.seq });
            return Ok(report);
        }
    }
    let by_seq: std::collections::HashMap<u64, &AuditCheckpoint> = checkpoints.iter().map(|c| (c.seq, c)).collect();
    let (mut last_seq, mut last_hash) = (0u64, GENESIS);
    // Records before the first kept one that a retention event accounts for.
    let mut pruned_through = 0u64;
    loop {
        let page = store.audit_records(last_seq, 1000).await?;
        if page.is_empty() {
            break;
        }
        for r in page {
            // A trail pruned by retention starts after a checkpoint, which
            // anchors its first record.
            if last_seq == 0 && r.seq > 1 {
                if let Some(anchor) = by_seq.get(&(r.seq - 1)) {
                    last_seq = anchor.seq;
                    last_hash = anchor.hash;
                    report.first_seq = r.seq;
                }
            }
            // The link to the previous record first: a record moved from
            // elsewhere also fails its own hash (which covers its seq), but
            // what happened is a reordering.
            let tamper = if r.seq > last_seq + 1 {
                Some(Tamper::Removed { first: last_seq + 1, last: r.seq - 1 })
            } else if r.prev_hash != last_hash {
                Some(Tamper::OutOfOrder { seq: r.seq, prev: last_seq })
            } else if chain_hash(&r.prev_hash, r.seq, r.entry.record.as_bytes()) != r.hash {
                Some(Tamper::Edited { seq: r.seq })
            } else if !fields_match(&r.entry) {
                Some(Tamper::FieldsEdited { seq: r.seq })
            } else if by_seq.get(&r.seq).is_some_and(|c| c.hash != r.hash) {
                Some(Tamper::CheckpointMismatch { seq: r.seq })
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
            last_seq = r.seq;
            last_hash = r.hash;
        }
    }
    report.last_seq = last_seq;
    // A trail that starts late must say, in a record of its own, that
    // retention removed the start; else the start was deleted.
    if report.first_seq > 1 && pruned_through < report.first_seq - 1 {
        report.tamper = Some(Tamper::Removed { first: 1, last: report.first_seq - 1 });
        return Ok(report);
    }
    if let Some(cp) = checkpoints.iter().map(|c| c.seq).max().filter(|s| *s > last_seq) {
        report.tamper = Some(Tamper::Truncated { last: last_seq, checkpoint: cp });
    }
    Ok(report)
}
