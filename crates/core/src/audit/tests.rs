use super::*;
use crate::memory::InMemoryStore;
use trent_crypto::audit::CheckpointSigner;
use trent_crypto::hierarchy::RootKey;
use trent_crypto::{AwsLcProvider, SecretKey};

fn principal() -> Identity {
    Identity::Principal {
        account: "111122223333".into(),
        arn: "arn:aws:iam::111122223333:root".into(),
        access_key_id: "AKIAEXAMPLEEXAMPLE".into(),
        session: None,
    }
}

fn draft(op: &str, request: Option<&Value>) -> EventDraft {
    EventDraft {
        request_id: "req-1".into(),
        event_source: EVENT_SOURCE,
        operation: op.into(),
        time: 1_764_590_400_123,
        region: Some("us-east-1".into()),
        identity: principal(),
        source_ip: Some(std::net::IpAddr::from([127, 0, 0, 1])),
        user_agent: Some("aws-cli/2".into()),
        request_parameters: request.map_or(Value::Null, |r| request_parameters(r.to_string().as_bytes())).into(),
        tls_details: None,
    }
}

/// The event of a successful call.
struct Call<'a> {
    draft: EventDraft,
    response: Option<&'a Value>,
    resources: &'a [String],
}

impl Call<'_> {
    fn entry(&self, id: String) -> AuditEntry {
        self.draft.entry(id, Outcome { response: self.response, error: None }, self.resources)
    }
}

fn call<'a>(op: &str, request: Option<&Value>, response: Option<&'a Value>, resources: &'a [String]) -> Call<'a> {
    Call { draft: draft(op, request), response, resources }
}

fn record(e: &AuditEntry) -> Value {
    serde_json::from_str(&e.record).unwrap()
}

#[test]
fn records_have_cloudtrail_fields() {
    let arn = ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".to_owned()];
    let req = json!({"KeyId": "alias/x", "Plaintext": "c2VjcmV0"});
    let e = call("Encrypt", Some(&req), None, &arn).entry("ev-1".into());
    let r = record(&e);
    assert_eq!(r["eventVersion"], "1.11");
    assert_eq!(r["eventSource"], "kms.amazonaws.com");
    assert_eq!(r["eventName"], "Encrypt");
    assert_eq!(r["eventTime"], "2025-12-01T12:00:00Z");
    assert_eq!(r["awsRegion"], "us-east-1");
    assert_eq!(r["sourceIPAddress"], "127.0.0.1");
    assert_eq!(r["userAgent"], "aws-cli/2");
    assert_eq!(r["requestID"], "req-1");
    assert_eq!(r["eventID"], "ev-1");
    assert_eq!(r["readOnly"], true);
    assert_eq!(r["eventType"], "AwsApiCall");
    assert_eq!(r["recipientAccountId"], "111122223333");
    assert_eq!(r["userIdentity"]["type"], "Root");
    assert_eq!(r["userIdentity"]["principalId"], "111122223333");
    assert_eq!(r["userIdentity"]["arn"], "arn:aws:iam::111122223333:root");
    assert_eq!(r["userIdentity"]["accessKeyId"], "AKIAEXAMPLEEXAMPLE");
    assert_eq!(r["resources"][0]["type"], "AWS::KMS::Key");
    assert_eq!(r["resources"][0]["ARN"], arn[0].as_str());
    assert_eq!(r["resources"][0]["accountId"], "111122223333");
    assert!(r.get("errorCode").is_none());
    assert_eq!(e.username.as_deref(), Some("root"));
    assert_eq!(e.account.as_deref(), Some("111122223333"));
    assert!(e.read_only);
}

#[test]
fn secrets_and_blobs_never_reach_the_record() {
    // Every member that carries plaintext, ciphertext, signatures, MACs,
    // tokens or secrets, with a value that would be found if copied.
    let members = [
        "Plaintext",
        "CiphertextBlob",
        "SourceCiphertextBlob",
        "Message",
        "Signature",
        "Mac",
        "GrantTokens",
        "GrantToken",
        "ImportToken",
        "EncryptedKeyMaterial",
        "PublicKey",
        "Recipient",
        "CiphertextForRecipient",
        "PrivateKeyPlaintext",
        "PrivateKeyCiphertextBlob",
        "SharedSecret",
        "SecretAccessKey",
        "KeyMaterial",
    ];
    let mut req = Map::new();
    for m in members {
        req.insert(m.into(), json!(format!("SECRET-{m}")));
    }
    req.insert("KeyId".into(), json!("k"));
    // A context key that happens to be named like a secret member is the
    // caller's own data, and CloudTrail logs encryption contexts.
    req.insert("EncryptionContext".into(), json!({"Plaintext": "ctx-value"}));
    let req = Value::Object(req);
    let resp = req.clone();
    for op in ["Encrypt", "CreateKey", "CreateGrant", "ImportKeyMaterial", "CreateAccount"] {
        let e = call(op, Some(&req), Some(&resp), &[]).entry("e".into());
        assert!(!e.record.contains("SECRET-"), "{op}: {}", e.record);
        let r = record(&e);
        assert_eq!(r["requestParameters"]["keyId"], "k");
        assert_eq!(r["requestParameters"]["encryptionContext"]["Plaintext"], "ctx-value");
    }
}

#[test]
fn response_elements_only_for_management_calls() {
    let resp = json!({"KeyMetadata": {"KeyId": "k", "Arn": "arn:aws:kms:us-east-1:111122223333:key/k", "KeyState": "Enabled"}});
    let e = call("CreateKey", None, Some(&resp), &[]).entry("e".into());
    let r = record(&e);
    assert_eq!(r["responseElements"]["keyMetadata"]["keyId"], "k");
    assert_eq!(r["responseElements"]["keyMetadata"]["keyState"], "Enabled");
    assert_eq!(r["readOnly"], false);
    let resp = json!({"KeyId": "arn:aws:kms:us-east-1:111122223333:key/k", "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"});
    let e = call("Decrypt", None, Some(&resp), &[]).entry("e".into());
    assert_eq!(record(&e)["responseElements"], Value::Null);
}

#[test]
fn failures_and_unknown_callers_are_recorded() {
    let mut d = draft("Decrypt", None);
    d.identity = Identity::Unauthenticated { access_key_id: Some("AKIAFORGED".into()) };
    let error = Some(("UnrecognizedClientException", "The security token included in the request is invalid."));
    let e = d.entry("e".into(), Outcome { response: None, error }, &[]);
    let r = record(&e);
    assert_eq!(r["userIdentity"]["type"], "Unknown");
    assert_eq!(r["userIdentity"]["accessKeyId"], "AKIAFORGED");
    assert_eq!(r["errorCode"], "UnrecognizedClientException");
    assert_eq!(r["recipientAccountId"], Value::Null);
    assert_eq!(e.account, None);
}

#[test]
fn usernames_of_principals() {
    assert_eq!(username("arn:aws:iam::111122223333:root").as_deref(), Some("root"));
    assert_eq!(username("arn:aws:iam::111122223333:user/dev/alice").as_deref(), Some("alice"));
    assert_eq!(username("arn:aws:sts::111122223333:assumed-role/admin/session-1").as_deref(), Some("session-1"));
    assert_eq!(username("arn:aws:iam::111122223333:role/admin"), None);
}

fn entry(n: usize) -> AuditEntry {
    let req = json!({"KeyId": format!("key-{n}")});
    call("Encrypt", Some(&req), None, &[]).entry(format!("ev-{n}"))
}

fn signer() -> CheckpointSigner {
    CheckpointSigner::derive(&AwsLcProvider::new(), &RootKey::new(SecretKey::from_bytes([3; 32]))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_share_commits_and_form_one_chain() {
    let store = Arc::new(InMemoryStore::new());
    let auditor = Arc::new(Auditor::new(store.clone()));
    let tasks: Vec<_> = (0..400)
        .map(|n| {
            let a = auditor.clone();
            tokio::spawn(async move { a.record(entry(n)).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let report = verify_chain(store.as_ref(), &signer().public_key(), &VerifyOptions::default()).await.unwrap();
    assert_eq!(report.tamper, None);
    assert_eq!(report.records, 400);
    let ids: std::collections::HashSet<_> =
        store.audit_records(0, 1000).await.unwrap().into_iter().map(|r| r.entry.event_id).collect();
    assert_eq!(ids.len(), 400, "every event once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelled_callers_never_stall_the_queue() {
    let store = Arc::new(InMemoryStore::new());
    let auditor = Arc::new(Auditor::new(store.clone()));
    for round in 0..20 {
        let tasks: Vec<_> = (0..50)
            .map(|n| {
                let a = auditor.clone();
                tokio::spawn(async move { a.record(entry(round * 100 + n)).await })
            })
            .collect();
        // Cancel every third caller, wherever it is (leader, waiter, or
        // handed leadership).
        for (i, t) in tasks.iter().enumerate() {
            if i % 3 == 0 {
                t.abort();
            }
        }
        for t in tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), t).await.expect("a caller stalled");
        }
        // The queue still works.
        tokio::time::timeout(std::time::Duration::from_secs(10), auditor.record(entry(1_000_000 + round)))
            .await
            .expect("the auditor stalled")
            .unwrap();
    }
    let report = verify_chain(store.as_ref(), &signer().public_key(), &VerifyOptions::default()).await.unwrap();
    assert_eq!(report.tamper, None);
}

#[tokio::test]
async fn an_unwritable_store_fails_the_call() {
    let store = Arc::new(InMemoryStore::new());
    let auditor = Auditor::new(store.clone());
    auditor.record(entry(1)).await.unwrap();
    store.set_audit_failing(true);
    assert!(auditor.record(entry(2)).await.is_err());
    store.set_audit_failing(false);
    auditor.record(entry(3)).await.unwrap();
    assert_eq!(store.audit_head().await.unwrap().map(|h| h.0), Some(2));
}

/// A checkpoint of `seq` with no number (as stored before numbering), made
/// at time 5.
fn unnumbered(s: &CheckpointSigner, seq: u64, hash: Hash) -> AuditCheckpoint {
    AuditCheckpoint { chain: 0, seq, hash, created_at: 5, signature: s.sign(seq, &hash, 5), number: None, prev: None }
}

async fn trail(n: usize) -> (Arc<InMemoryStore>, CheckpointSigner) {
    let store = Arc::new(InMemoryStore::new());
    store.append_audit((1..=n).map(entry).collect::<Vec<_>>()).await.unwrap();
    let s = signer();
    let (seq, hash) = store.audit_head().await.unwrap().unwrap();
    let cp = unnumbered(&s, seq, hash);
    store.insert_audit_checkpoint(&cp).await.unwrap();
    (store, s)
}

async fn tamper_found(store: &InMemoryStore, s: &CheckpointSigner) -> Option<Tamper> {
    verify_chain(store, &s.public_key(), &VerifyOptions::default()).await.unwrap().tamper
}

#[tokio::test]
async fn an_intact_trail_verifies() {
    let (store, s) = trail(10).await;
    let r = verify_chain(store.as_ref(), &s.public_key(), &VerifyOptions::default()).await.unwrap();
    assert_eq!((r.records, r.last_seq, r.checkpoints, r.tamper), (10, 10, 1, None));
}

/// A trail of chain 0 (10 records) and chain 3 (4 records, interleaved in
/// seq order), as a store with a chain per node holds it.
async fn two_chains() -> (Arc<InMemoryStore>, CheckpointSigner) {
    let (store, s) = trail(10).await;
    store.tamper_audit(|t| {
        let other = chain_on(3, None, (20..24).map(entry).collect::<Vec<_>>(), [11, 13, 15, 17]);
        t.extend(other);
    });
    (store, s)
}

#[tokio::test]
async fn chains_verify_each_on_its_own() {
    let (store, s) = two_chains().await;
    let r = verify_chain(store.as_ref(), &s.public_key(), &VerifyOptions::default()).await.unwrap();
    assert_eq!((r.records, r.chain, r.last_seq, r.tamper.clone()), (14, 0, 10, None));
    let walked: Vec<(u32, u64, u64)> = r.chains.iter().map(|c| (c.chain, c.records, c.last_seq)).collect();
    assert_eq!(walked, vec![(0, 10, 10), (3, 4, 4)]);
    assert_eq!(r.problem(), None);
    // Verifying from a record of chain 3 verified before: its last hash.
    let last3 = r.chains[1].last_hash;
    let after = Verified { chain: 3, seq: 3, hash: store.audit_chain_records(3, 2, 1).await.unwrap()[0].hash };
    let opts = VerifyOptions { after: Some(after), ..Default::default() };
    let r = verify_chain(store.as_ref(), &s.public_key(), &opts).await.unwrap();
    assert_eq!((r.chain, r.first_seq, r.last_seq, r.last_hash, r.tamper), (3, 4, 4, last3, None));

    // An edit in chain 3 is reported with its chain.
    store.tamper_audit(|t| t[12].entry.record = t[12].entry.record.replacen("key-22", "key-23", 1));
    let r = verify_chain(store.as_ref(), &s.public_key(), &VerifyOptions::default()).await.unwrap();
    assert_eq!((r.chain, r.tamper.clone()), (3, Some(Tamper::Edited { seq: 3 })));
    assert_eq!(r.problem().unwrap(), "chain 3: record 3 was edited: its contents do not match its hash");
}

#[tokio::test]
async fn a_record_moved_to_another_chain_is_found() {
    // Relabelled as chain 4, chain 3's records follow no genesis of chain 4.
    let (store, s) = two_chains().await;
    store.tamper_audit(|t| t.iter_mut().filter(|r| r.chain == 3).for_each(|r| r.chain = 4));
    let r = verify_chain(store.as_ref(), &s.public_key(), &VerifyOptions::default()).await.unwrap();
    assert_eq!((r.chain, r.tamper), (4, Some(Tamper::OutOfOrder { seq: 1, prev: 0 })));
    // A record of chain 3 moved into chain 0, at the position after its end.
    let (store, s) = two_chains().await;
    store.tamper_audit(|t| {
        let r = t.iter_mut().find(|r| r.chain == 3 && r.position == 4).unwrap();
        (r.chain, r.position) = (0, 11);
    });
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::OutOfOrder { seq: 11, prev: 10 }));
}

#[tokio::test]
async fn an_edited_byte_is_found() {
    let (store, s) = trail(10).await;
    store.tamper_audit(|t| t[4].entry.record = t[4].entry.record.replacen("key-5", "key-6", 1));
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::Edited { seq: 5 }));
}

#[tokio::test]
async fn a_removed_record_is_found() {
    let (store, s) = trail(10).await;
    store.tamper_audit(|t| {
        t.remove(3);
    });
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::Removed { first: 4, last: 4 }));
}

#[tokio::test]
async fn swapped_records_are_found() {
    let (store, s) = trail(10).await;
    store.tamper_audit(|t| {
        let (a, b) = (t[2].clone(), t[6].clone());
        t[2] = AuditRecord { seq: 3, position: 3, ..b };
        t[6] = AuditRecord { seq: 7, position: 7, ..a };
    });
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::OutOfOrder { seq: 3, prev: 2 }));
}

#[tokio::test]
async fn an_inserted_record_is_found() {
    let (store, s) = trail(10).await;
    // A forger who recomputes the chain from record 4 on still breaks the
    // link of the record after the inserted one, or the checkpoint.
    store.tamper_audit(|t| {
        let forged = chain(Some((t[2].seq, t[2].hash)), &[entry(99)]).remove(0);
        t.insert(3, forged);
        for r in t.iter_mut().skip(4) {
            r.seq += 1;
            r.position += 1;
        }
    });
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::OutOfOrder { seq: 5, prev: 4 }));
}

#[tokio::test]
async fn a_rewritten_tail_fails_the_checkpoint() {
    let (store, s) = trail(10).await;
    // Rewrite the chain consistently from record 8: only the signed
    // checkpoint at 10 can tell.
    store.tamper_audit(|t| {
        let head = (t[6].seq, t[6].hash);
        t.truncate(7);
        t.extend(chain(Some(head), &[entry(80), entry(90), entry(100)]));
    });
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::CheckpointMismatch { seq: 10 }));
}

#[tokio::test]
async fn a_cut_tail_is_found() {
    let (store, s) = trail(10).await;
    store.tamper_audit(|t| t.truncate(8));
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::Truncated { last: 8, checkpoint: 10 }));
}

#[tokio::test]
async fn a_forged_checkpoint_is_found() {
    let (store, s) = trail(10).await;
    let (seq, hash) = store.audit_head().await.unwrap().unwrap();
    let forger =
        CheckpointSigner::derive(&AwsLcProvider::new(), &RootKey::new(SecretKey::from_bytes([4; 32]))).unwrap();
    let _ = seq;
    store
        .insert_audit_checkpoint(&AuditCheckpoint {
            chain: 0,
            seq: 3,
            hash,
            created_at: 6,
            signature: forger.sign(3, &hash, 6),
            number: None,
            prev: None,
        })
        .await
        .unwrap();
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::BadCheckpoint { seq: 3 }));
}

#[test]
fn queries_match_as_documented() {
    let arn = ["arn:aws:kms:us-east-1:111122223333:key/abcd".to_owned()];
    let e = call("Encrypt", None, None, &arn).entry("ev".into());
    let r = chain(None, &[e]).remove(0);
    let q = |attribute| AuditQuery { attribute: Some(attribute), limit: 10, ..Default::default() };
    assert!(q(LookupAttribute::ResourceName("abcd".into())).matches(&r));
    assert!(q(LookupAttribute::ResourceName(arn[0].clone())).matches(&r));
    assert!(!q(LookupAttribute::ResourceName("abc".into())).matches(&r));
    assert!(q(LookupAttribute::EventName("Encrypt".into())).matches(&r));
    assert!(q(LookupAttribute::ReadOnly(true)).matches(&r));
    assert!(!q(LookupAttribute::ReadOnly(false)).matches(&r));
    assert!(q(LookupAttribute::Username("root".into())).matches(&r));
    assert!(q(LookupAttribute::AccessKeyId("AKIAEXAMPLEEXAMPLE".into())).matches(&r));
    assert!(q(LookupAttribute::EventSource("kms.amazonaws.com".into())).matches(&r));
    assert!(q(LookupAttribute::ResourceType("AWS::KMS::Key".into())).matches(&r));
    assert!(q(LookupAttribute::EventId("ev".into())).matches(&r));
    let other = AuditQuery { account: Some("444455556666".into()), limit: 10, ..Default::default() };
    assert!(!other.matches(&r));
    let later = AuditQuery { start: Some(r.entry.event_time + 1), limit: 10, ..Default::default() };
    assert!(!later.matches(&r));
}

#[tokio::test]
async fn a_pruned_trail_verifies_from_its_anchor() {
    let (store, s) = trail(10).await;
    for seq in [4u64, 7] {
        let hash = store.audit_records(seq - 1, 1).await.unwrap()[0].hash;
        let cp = unnumbered(&s, seq, hash);
        store.insert_audit_checkpoint(&cp).await.unwrap();
    }
    // Deleting the start without saying so is found, anchor or not.
    let (bare, _) = trail(10).await;
    for seq in [4u64] {
        let hash = bare.audit_records(seq - 1, 1).await.unwrap()[0].hash;
        let cp = unnumbered(&s, seq, hash);
        bare.insert_audit_checkpoint(&cp).await.unwrap();
    }
    bare.prune_audit(4).await.unwrap();
    assert_eq!(tamper_found(&bare, &s).await, Some(Tamper::Removed { first: 1, last: 4 }));
    // Retention records what it removes, then removes it.
    store.append_audit(vec![prune_event("p".into(), 6, 4, 30)]).await.unwrap();
    assert_eq!(store.prune_audit(4).await.unwrap(), 4);
    let r = verify_chain(store.as_ref(), &s.public_key(), &VerifyOptions::default()).await.unwrap();
    assert_eq!((r.records, r.first_seq, r.last_seq, r.tamper), (7, 5, 11, None));
    // Without its anchor, the missing start is reported.
    store.tamper_audit(|t| {
        t.remove(0);
    });
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::Removed { first: 1, last: 5 }));
}

/// Verifies from the record `after` (seq, and the hash a report gave).
async fn from(store: &InMemoryStore, s: &CheckpointSigner, seq: u64, hash: [u8; 32]) -> VerifyReport {
    let opts = VerifyOptions { after: Some(Verified { chain: 0, seq, hash }), ..Default::default() };
    verify_chain(store, &s.public_key(), &opts).await.unwrap()
}

#[test]
fn a_verified_record_is_read_from_a_reports_hex_hash() {
    let hex = "00ff".repeat(16);
    assert_eq!(
        Verified::from_hex(0, 7, &hex).unwrap(),
        Verified { chain: 0, seq: 7, hash: std::array::from_fn(|i| [0, 255][i % 2]) }
    );
    for bad in ["", &hex[2..], &format!("{hex}00"), &hex.replace('f', "g")] {
        assert!(Verified::from_hex(0, 7, bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn verification_goes_on_from_a_record_verified_before() {
    let (store, s) = trail(10).await;
    let first = verify_chain(store.as_ref(), &s.public_key(), &VerifyOptions::default()).await.unwrap();
    assert_eq!((first.last_seq, first.tamper), (10, None));
    store.append_audit((11..=15).map(entry).collect::<Vec<_>>()).await.unwrap();
    let next = from(&store, &s, first.last_seq, first.last_hash).await;
    assert_eq!((next.records, next.first_seq, next.last_seq, next.tamper), (5, 11, 15, None));
    assert_eq!(Some((15, next.last_hash)), store.audit_head().await.unwrap());
    // Nothing new: nothing read, the same head.
    let again = from(&store, &s, next.last_seq, next.last_hash).await;
    assert_eq!((again.records, again.last_seq, again.last_hash, again.tamper), (0, 15, next.last_hash, None));

    // What follows the record is checked as a full walk checks it.
    store.tamper_audit(|t| t[12].entry.record = t[12].entry.record.replacen("key-13", "key-14", 1));
    assert_eq!(from(&store, &s, 10, first.last_hash).await.tamper, Some(Tamper::Edited { seq: 13 }));
    // The record itself must be unchanged, and not be a forger's guess.
    assert_eq!(from(&store, &s, 10, [7; 32]).await.tamper, Some(Tamper::VerifiedChanged { seq: 10 }));
    // Its contents are hashed again: an edit that keeps the stored hash
    // is found.
    let (edited, _) = trail(10).await;
    let (_, ten) = edited.audit_head().await.unwrap().unwrap();
    edited.tamper_audit(|t| t[9].entry.record = t[9].entry.record.replacen("key-10", "key-11", 1));
    assert_eq!(from(&edited, &s, 10, ten).await.tamper, Some(Tamper::VerifiedChanged { seq: 10 }));
    // A trail cut before it is found.
    store.tamper_audit(|t| t.truncate(8));
    assert_eq!(from(&store, &s, 10, first.last_hash).await.tamper, Some(Tamper::VerifiedRemoved { seq: 10 }));
}

#[tokio::test]
async fn a_verified_record_pruned_since_means_a_full_walk() {
    let (store, s) = trail(10).await;
    let hash = store.audit_records(6, 1).await.unwrap()[0].hash;
    let cp = AuditCheckpoint {
        chain: 0,
        seq: 7,
        hash,
        created_at: 5,
        signature: s.sign(7, &hash, 5),
        number: None,
        prev: None,
    };
    store.insert_audit_checkpoint(&cp).await.unwrap();
    // Record 3, verified before, goes with retention: the walk starts at the
    // first record kept and checks how the start went.
    let three = store.audit_records(2, 1).await.unwrap()[0].hash;
    store.append_audit(vec![prune_event("p".into(), 6, 7, 30)]).await.unwrap();
    store.prune_audit(7).await.unwrap();
    let r = from(&store, &s, 3, three).await;
    assert_eq!((r.records, r.first_seq, r.last_seq, r.tamper), (4, 8, 11, None));
    // Without the retention record, the removal is reported.
    store.tamper_audit(|t| {
        t.pop();
    });
    assert_eq!(from(&store, &s, 3, three).await.tamper, Some(Tamper::Removed { first: 1, last: 7 }));
}

#[test]
fn request_parameters_skip_what_they_leave_out() {
    let body = br#"{"KeyId":"k","Plaintext":"c2VjcmV0","EncryptionContext":{"Plaintext":"x"},"Tags":[{"TagKey":"a","TagValue":"b"}]}"#;
    assert_eq!(
        request_parameters(body),
        json!({"keyId": "k", "encryptionContext": {"Plaintext": "x"}, "tags": [{"tagKey": "a", "tagValue": "b"}]})
    );
    assert_eq!(request_parameters(br#"{"Plaintext":"c2VjcmV0"}"#), Value::Null);
    assert_eq!(request_parameters(b"not json"), Value::Null);
    assert_eq!(request_parameters(b"[1,2]"), Value::Null);
}

#[test]
fn one_parse_reads_the_request_and_keeps_its_members() {
    use trent_api::ops::{CreateKeyRequest, EncryptRequest};
    let body = br#"{"KeyId":"k","Plaintext":"c2VjcmV0","EncryptionContext":{"Plaintext":"x"},"Description":"d"}"#;
    let (req, kept) = parse_with_parameters::<EncryptRequest>(body).unwrap();
    assert_eq!(req.key_id.as_deref(), Some("k"));
    assert_eq!(req.plaintext.as_ref().map(|p| p.expose().to_vec()), Some(b"secret".to_vec()));
    assert_eq!(req.encryption_context.unwrap().get("Plaintext").map(String::as_str), Some("x"));
    // The same members as the body alone gives, the plaintext never among
    // them; an allowed member that the shape does not have is kept too.
    assert_eq!(kept, request_parameters(body));
    assert_eq!(kept, json!({"keyId": "k", "encryptionContext": {"Plaintext": "x"}, "description": "d"}));
    // Nested shapes are read from the kept value; an escaped name is the
    // member it spells.
    let body = br#"{"Key\u0055sage":"SIGN_VERIFY","Tags":[{"TagKey":"a","TagValue":"b"}],"Policy":"{}"}"#;
    let (req, kept) = parse_with_parameters::<CreateKeyRequest>(body).unwrap();
    assert_eq!(req.key_usage.as_ref().map(trent_api::enums::WireEnum::as_str), Some("SIGN_VERIFY"));
    assert_eq!(req.tags.unwrap()[0].tag_value.as_deref(), Some("b"));
    assert_eq!(kept, json!({"keyUsage": "SIGN_VERIFY", "tags": [{"tagKey": "a", "tagValue": "b"}], "policy": "{}"}));
    let (_, kept) = parse_with_parameters::<EncryptRequest>(br#"{"Plaintext":"c2VjcmV0"}"#).unwrap();
    assert_eq!(kept, Value::Null);
}

#[test]
fn one_parse_fails_where_the_parser_alone_fails() {
    use trent_api::ops::{EncryptRequest, ListKeysRequest};
    // Each body fails or not as serde_json alone reads it, with the same
    // category and position (the server's message names only those); a
    // value of the wrong type in a kept member is placed just past the
    // value instead of at its start.
    let past_the_value: &[&[u8]] =
        &[br#"{"KeyId":5}"#, br#"{"EncryptionAlgorithm":"NOPE"}"#, br#"{"EncryptionContext":{"a":1}}"#];
    let bodies: &[&[u8]] = &[
        br#"{"KeyId":5}"#,
        br#"{"KeyId":"k","Plaintext":7}"#,
        br#"{"KeyId":"k","KeyId":"j"}"#,
        br#"{"KeyId":"k"} x"#,
        br#"{"KeyId":"k""#,
        br#"{"EncryptionAlgorithm":"NOPE"}"#,
        br#"{"EncryptionContext":{"a":1}}"#,
        br#"["k"]"#,
        b"[1",
        b"null",
        b"7",
        br#"{"DryRun":true,"GrantTokens":["t"]}"#,
    ];
    for body in bodies {
        let alone =
            serde_json::from_slice::<EncryptRequest>(body).map(drop).map_err(|e| (e.classify(), e.line(), e.column()));
        let once =
            parse_with_parameters::<EncryptRequest>(body).map(drop).map_err(|e| (e.classify(), e.line(), e.column()));
        assert_eq!(alone.is_ok(), once.is_ok(), "{}", String::from_utf8_lossy(body));
        if let (Err(a), Err(o)) = (alone, once) {
            assert_eq!((a.0, a.1), (o.0, o.1), "{}", String::from_utf8_lossy(body));
            if past_the_value.contains(body) {
                assert!(o.2 > a.2 && o.2 <= body.len(), "{}: {a:?} {o:?}", String::from_utf8_lossy(body));
            } else {
                assert_eq!(a.2, o.2, "{}", String::from_utf8_lossy(body));
            }
        }
    }
    for body in [&b"{}"[..], br#"{"Limit":1,"Marker":"m"}"#, br#"{"Limit":"1"}"#] {
        let alone = serde_json::from_slice::<ListKeysRequest>(body).map(|r| r.limit).map_err(|e| e.classify());
        let once = parse_with_parameters::<ListKeysRequest>(body).map(|(r, _)| r.limit).map_err(|e| e.classify());
        assert_eq!(alone, once);
    }
}

#[tokio::test]
async fn edited_lookup_fields_are_found() {
    let (store, s) = trail(10).await;
    assert_eq!(tamper_found(&store, &s).await, None, "every field of a real record matches");
    store.tamper_audit(|t| t[2].entry.account = Some("444455556666".into()));
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::FieldsEdited { seq: 3 }));
    let (store, s) = trail(10).await;
    store.tamper_audit(|t| t[5].entry.resources.clear());
    store.tamper_audit(|t| t[5].entry.event_name = "Decrypt".into());
    assert_eq!(tamper_found(&store, &s).await, Some(Tamper::FieldsEdited { seq: 6 }));
}

/// An Encrypt event at `time` (ms).
fn entry_at(n: usize, time: i64) -> AuditEntry {
    let req = json!({"KeyId": format!("key-{n}")});
    let mut c = call("Encrypt", Some(&req), None, &[]);
    c.draft.time = time;
    c.entry(format!("ev-{n}"))
}

const T0: i64 = 1_764_590_400_000;
/// Checkpoints may lag the newest record by 3 minutes in these tests.
const LAG: i64 = 180_000;

/// A trail of 25 records in three bursts (at T0, T0 + 60 s and `third`),
/// each followed by a numbered checkpoint one second later, written to the
/// store and as digest files in a directory of its own.
async fn anchored_trail(third: i64) -> (Arc<InMemoryStore>, CheckpointSigner, tempfile::TempDir) {
    let store = Arc::new(InMemoryStore::new());
    let s = signer();
    let dir = tempfile::tempdir().unwrap();
    let mut prev: Option<AuditCheckpoint> = None;
    for (range, t) in [(1..=10, T0), (11..=20, T0 + 60_000), (21..=25, third)] {
        store.append_audit(range.map(|n| entry_at(n, t)).collect::<Vec<_>>()).await.unwrap();
        let (seq, hash) = store.audit_head().await.unwrap().unwrap();
        let cp = AuditCheckpoint::signed(&s, 0, prev.as_ref(), seq, hash, t + 1000);
        assert!(store.insert_audit_checkpoint(&cp).await.unwrap());
        digest::write(dir.path(), &cp, &s.public_key()).unwrap();
        prev = Some(cp);
    }
    (store, s, dir)
}

async fn found(store: &InMemoryStore, s: &CheckpointSigner, digests: Option<&std::path::Path>) -> Option<Tamper> {
    let opts = VerifyOptions {
        digests: digests.map(|d| digest::read_dir(d).unwrap()).unwrap_or_default(),
        max_checkpoint_lag_ms: Some(LAG),
        after: None,
    };
    verify_chain(store, &s.public_key(), &opts).await.unwrap().tamper
}

#[tokio::test]
async fn an_anchored_trail_verifies_with_its_digest_files() {
    let (store, s, dir) = anchored_trail(T0 + 90_000).await;
    let opts =
        VerifyOptions { digests: digest::read_dir(dir.path()).unwrap(), max_checkpoint_lag_ms: Some(LAG), after: None };
    let r = verify_chain(store.as_ref(), &s.public_key(), &opts).await.unwrap();
    assert_eq!((r.records, r.checkpoints, r.digest_files, r.tamper), (25, 3, 3, None));
}

/// The outside test's first case: edit a record, recompute every later
/// hash, delete the checkpoints in the database. The database alone looks
/// intact; the digest files do not agree.
#[tokio::test]
async fn an_edit_with_recomputed_hashes_and_no_checkpoints_is_found_by_the_digest_files() {
    let (store, s, dir) = anchored_trail(T0 + 90_000).await;
    store.tamper_audit(|t| {
        t[4].entry.record = t[4].entry.record.replacen("key-5", "key-6", 1);
        let mut prev = t[3].hash;
        for r in t.iter_mut().skip(4) {
            r.prev_hash = prev;
            r.hash = trent_crypto::audit::chain_hash(&prev, r.seq, r.entry.record.as_bytes());
            prev = r.hash;
        }
    });
    store.tamper_checkpoints(|c| c.clear());
    assert_eq!(found(&store, &s, None).await, None, "the database alone cannot tell");
    assert_eq!(found(&store, &s, Some(dir.path())).await, Some(Tamper::CheckpointMismatch { seq: 10 }));
}

/// The second case: cut the trail after a checkpoint and delete the
/// checkpoint above the cut.
#[tokio::test]
async fn a_cut_after_a_checkpoint_whose_successor_is_deleted_is_found() {
    let (store, s, dir) = anchored_trail(T0 + 90_000).await;
    store.tamper_audit(|t| t.truncate(20));
    store.tamper_checkpoints(|c| {
        c.remove(&25);
    });
    assert_eq!(found(&store, &s, None).await, None, "the database alone cannot tell");
    assert_eq!(found(&store, &s, Some(dir.path())).await, Some(Tamper::Truncated { last: 20, checkpoint: 25 }));
}

/// Zero checkpoints under a trail older than checkpoints may lag.
#[tokio::test]
async fn a_trail_without_checkpoints_is_found() {
    let (store, s, _dir) = anchored_trail(T0 + 3_600_000).await;
    store.tamper_checkpoints(|c| c.clear());
    assert_eq!(
        found(&store, &s, None).await,
        Some(Tamper::NoCheckpoint { first: 1, last: 25, span_secs: 3600, allowed_secs: 180 })
    );
}

/// A checkpoint missing from the middle of the numbered sequence, from the
/// database and the digest files alike.
#[tokio::test]
async fn a_gap_in_the_checkpoint_numbers_is_found() {
    let (store, s, dir) = anchored_trail(T0 + 90_000).await;
    store.tamper_checkpoints(|c| {
        c.remove(&20);
    });
    std::fs::remove_file(dir.path().join(digest::file_name(2))).unwrap();
    assert_eq!(found(&store, &s, Some(dir.path())).await, Some(Tamper::CheckpointsMissing { first: 2, last: 2 }));
}

/// A digest file (properly signed) for records the trail no longer has.
#[tokio::test]
async fn a_digest_file_newer_than_the_trail_is_found() {
    let (store, s, dir) = anchored_trail(T0 + 90_000).await;
    let latest = store.latest_audit_checkpoint().await.unwrap().unwrap();
    let fourth = AuditCheckpoint::signed(&s, 0, Some(&latest), 40, [9; 32], T0 + 120_000);
    digest::write(dir.path(), &fourth, &s.public_key()).unwrap();
    assert_eq!(found(&store, &s, Some(dir.path())).await, Some(Tamper::Truncated { last: 25, checkpoint: 40 }));
}

/// Checkpoints deleted from the end while records after them stay:
/// the newest checkpoint lags the newest record by more than allowed.
#[tokio::test]
async fn checkpoints_deleted_from_the_end_are_found() {
    let (store, s, dir) = anchored_trail(T0 + 600_000).await;
    store.tamper_checkpoints(|c| {
        c.remove(&25);
    });
    std::fs::remove_file(dir.path().join(digest::file_name(3))).unwrap();
    assert_eq!(
        found(&store, &s, Some(dir.path())).await,
        Some(Tamper::StaleCheckpoint { seq: 20, last: 25, lag_secs: 539, allowed_secs: 180 })
    );
    // Also when verifying from record 25, verified before: nothing follows
    // it, and its own time shows the lag.
    let (_, hash) = store.audit_head().await.unwrap().unwrap();
    let opts = VerifyOptions {
        digests: digest::read_dir(dir.path()).unwrap(),
        max_checkpoint_lag_ms: Some(LAG),
        after: Some(Verified { chain: 0, seq: 25, hash }),
    };
    let r = verify_chain(store.as_ref(), &s.public_key(), &opts).await.unwrap();
    assert_eq!(r.records, 0);
    assert_eq!(r.tamper, Some(Tamper::StaleCheckpoint { seq: 20, last: 25, lag_secs: 539, allowed_secs: 180 }));
}

/// A checkpoint that does not sign its predecessor, and a database
/// checkpoint that differs from its digest file.
#[tokio::test]
async fn a_rewritten_checkpoint_sequence_is_found() {
    let (store, s, dir) = anchored_trail(T0 + 90_000).await;
    let second = store.audit_checkpoints().await.unwrap().remove(1);
    let resigned = AuditCheckpoint::signed(&s, 0, None, second.seq, second.hash, second.created_at);
    let relinked = AuditCheckpoint { number: Some(2), ..resigned };
    assert!(!relinked.verifies(&s.public_key()), "a number it did not sign");
    let unlinked = AuditCheckpoint {
        chain: 0,
        signature: s.sign_numbered(2, &GENESIS, second.seq, &second.hash, second.created_at),
        prev: Some(GENESIS),
        ..second.clone()
    };
    store.tamper_checkpoints(|c| {
        c.insert(20, unlinked.clone());
    });
    assert_eq!(found(&store, &s, None).await, Some(Tamper::CheckpointChainBroken { number: 2 }));
    assert_eq!(found(&store, &s, Some(dir.path())).await, Some(Tamper::CheckpointConflict { number: 2 }));
}

/// A call's record is serialized from a struct; its members come in the
/// order a JSON map writes them (byte order of the names), every one of
/// them, so records read as the map-built records written before did.
#[test]
fn call_records_are_written_as_a_json_map_writes_them() {
    let arn = ["arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab".to_owned()];
    let req = json!({"KeyId": "alias/x", "EncryptionContext": {"b": "1", "a": "2"}});
    let resp = json!({"KeyId": arn[0], "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"});
    let mut d = draft("Encrypt", Some(&req));
    d.tls_details = Some(TlsDetails {
        tls_version: "TLSv1.3".into(),
        cipher_suite: "TLS_AES_128_GCM_SHA256".into(),
        client_provided_host_header: Some("kms.local".into()),
        client_certificate_subject: Some("CN=client".into()),
    });
    for outcome in [
        Outcome { response: Some(&resp), error: None },
        Outcome { response: None, error: Some(("AccessDeniedException", "denied")) },
    ] {
        for e in d.entries(|| "ev-1".into(), outcome, &arn) {
            let v: Value = serde_json::from_str(&e.record).unwrap();
            assert_eq!(v.to_string(), e.record);
        }
    }
    let v: Value = serde_json::from_str(&d.entry("ev-2".into(), Outcome::default(), &arn).record).unwrap();
    let names: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "awsRegion",
            "eventCategory",
            "eventID",
            "eventName",
            "eventSource",
            "eventTime",
            "eventType",
            "eventVersion",
            "managementEvent",
            "readOnly",
            "recipientAccountId",
            "requestID",
            "requestParameters",
            "resources",
            "responseElements",
            "sourceIPAddress",
            "tlsDetails",
            "userAgent",
            "userIdentity",
        ]
    );
    assert_eq!(v["tlsDetails"]["clientCertificateSubject"], "CN=client");
    assert_eq!(v["resources"][0], json!({"ARN": arn[0], "accountId": "444455556666", "type": KEY_RESOURCE_TYPE}));
}

/// `userIdentity` as the map it replaced wrote it: the same bytes, member
/// for member and in the same order.
#[test]
fn user_identity_serializes_as_the_map_it_replaced() {
    let principal = |arn: &str| Identity::Principal {
        account: "111122223333".into(),
        arn: arn.into(),
        access_key_id: "AKIAEXAMPLEEXAMPLE".into(),
        session: None,
    };
    let cases = [
        (
            principal("arn:aws:iam::111122223333:root"),
            json!({"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root",
                   "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEEXAMPLE"}),
        ),
        (
            principal("arn:aws:iam::111122223333:user/ops/alice"),
            json!({"type": "IAMUser", "principalId": "arn:aws:iam::111122223333:user/ops/alice",
                   "arn": "arn:aws:iam::111122223333:user/ops/alice", "accountId": "111122223333",
                   "accessKeyId": "AKIAEXAMPLEEXAMPLE", "userName": "alice"}),
        ),
        (
            principal("arn:aws:sts::111122223333:assumed-role/app/session-1"),
            json!({"type": "AssumedRole", "principalId": "arn:aws:sts::111122223333:assumed-role/app/session-1",
                   "arn": "arn:aws:sts::111122223333:assumed-role/app/session-1", "accountId": "111122223333",
                   "accessKeyId": "AKIAEXAMPLEEXAMPLE"}),
        ),
        (
            Identity::Unauthenticated { access_key_id: Some("AKIAFORGED".into()) },
            json!({"type": "Unknown", "accessKeyId": "AKIAFORGED"}),
        ),
        (Identity::Unauthenticated { access_key_id: None }, json!({"type": "Unknown"})),
        // CloudTrail's WebIdentityUser of an IAM OIDC provider.
        (
            Identity::WebIdentity {
                account: "111122223333".into(),
                provider: "arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/1".into(),
                audience: "sts.amazonaws.com".into(),
                subject: "system:serviceaccount:ns:app".into(),
            },
            json!({"type": "WebIdentityUser",
                   "principalId": "arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/1:sts.amazonaws.com:system:serviceaccount:ns:app",
                   "identityProvider": "arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/1",
                   "userName": "system:serviceaccount:ns:app"}),
        ),
    ];
    for (identity, map) in cases {
        assert_eq!(
            serde_json::to_string(&event::UserIdentity::of(&identity)).unwrap(),
            map.to_string(),
            "{identity:?}"
        );
    }
}

/// A web identity's event keeps the token's subject as its lookup user
/// name, and verification derives the same from the record.
#[test]
fn web_identity_events_keep_their_lookup_fields() {
    let mut d = draft("AssumeRoleWithWebIdentity", None);
    d.identity = Identity::WebIdentity {
        account: "111122223333".into(),
        provider: "arn:aws:iam::111122223333:oidc-provider/oidc.example.com".into(),
        audience: "sts.amazonaws.com".into(),
        subject: "system:serviceaccount:ns:app".into(),
    };
    let e = d.entry("evt-1".into(), Outcome { response: None, error: None }, &[]);
    assert_eq!(e.username.as_deref(), Some("system:serviceaccount:ns:app"));
    assert_eq!(e.account.as_deref(), Some("111122223333"));
    assert_eq!(e.access_key_id, None);
    assert!(verify::fields_match(&e));
    let edited = AuditEntry { username: Some("someone-else".into()), ..e };
    assert!(!verify::fields_match(&edited));
}
