//! The audit trail end to end: the event of every call (allowed, denied,
//! refused, unauthenticated), LookupEvents, tampering found offline,
//! fail-closed audit, and the Prometheus scrape.

use crate::common::{get, TestServer, ACCESS_KEY, ACCOUNT};
use crate::protocol::{send, Req};
use aws_sdk_kms::operation::RequestId as _;
use aws_sdk_kms::primitives::Blob;
use serde_json::{json, Value};
use trent_core::audit::Tamper;

const LOOKUP: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";

/// Every stored event, oldest first, parsed.
async fn events(s: &TestServer) -> Vec<Value> {
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    records.iter().map(|r| serde_json::from_str(&r.entry.record).unwrap()).collect()
}

fn find<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["eventName"] == name).collect()
}

#[tokio::test]
async fn every_call_leaves_an_event() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let key = kms.create_key().description("audited").send().await.unwrap().key_metadata.unwrap();
    let key_arn = key.arn.unwrap();
    let plaintext = "the-plaintext-must-not-be-logged";
    let enc = kms
        .encrypt()
        .key_id(&key.key_id)
        .plaintext(Blob::new(plaintext))
        .encryption_context("purpose", "audit-test")
        .send()
        .await
        .unwrap();
    let encrypt_request_id = enc.request_id().unwrap().to_owned();
    let blob = enc.ciphertext_blob.unwrap();
    kms.decrypt().ciphertext_blob(blob.clone()).encryption_context("purpose", "audit-test").send().await.unwrap();
    // Refused by validation.
    let e = kms.generate_random().number_of_bytes(2000).send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("ValidationException"));
    // Denied: another account, by ARN, without a key policy that allows it.
    let other = s.client_of_new_account("444455556666", "AKIAOTHERACCOUNT0001", "other-secret-access-key").await;
    let e = other.describe_key().key_id(&key_arn).send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("AccessDeniedException"));
    // Unauthenticated: a wrong secret.
    let mut bad = Req::new("TrentService.ListKeys", "{}");
    bad.secret = "not-the-secret".into();
    let (status, ty, _) = send(&s, bad.signed()).await;
    assert_eq!((status, ty.as_str()), (400, "InvalidSignatureException"));
    // A body its shape cannot read keeps no members.
    let (status, ty, _) = send(&s, Req::new("TrentService.DescribeKey", r#"{"KeyId":7}"#).signed()).await;
    assert_eq!((status, ty.as_str()), (400, "SerializationException"));

    let all = events(&s).await;
    for e in &all {
        let text = e.to_string();
        assert!(!text.contains(plaintext), "plaintext in {text}");
        assert!(!text.contains(&base64_of(plaintext.as_bytes())), "plaintext in {text}");
        assert!(!text.contains(&base64_of(blob.as_ref())), "ciphertext in {text}");
        assert_eq!(e["eventVersion"], "1.11");
        assert!(e["eventID"].as_str().is_some_and(|id| id.len() == 36));
    }

    let create = find(&all, "CreateKey")[0];
    assert_eq!(create["readOnly"], false);
    assert_eq!(create["requestParameters"]["description"], "audited");
    assert_eq!(create["responseElements"]["keyMetadata"]["arn"], key_arn.as_str());
    assert_eq!(create["resources"][0]["ARN"], key_arn.as_str());

    let encrypt = find(&all, "Encrypt")[0];
    assert_eq!(encrypt["eventSource"], "kms.amazonaws.com");
    assert_eq!(encrypt["eventType"], "AwsApiCall");
    assert_eq!(encrypt["awsRegion"], "us-east-1");
    assert_eq!(encrypt["sourceIPAddress"], "127.0.0.1");
    assert!(encrypt["userAgent"].as_str().unwrap().contains("aws-sdk-rust"), "{}", encrypt["userAgent"]);
    assert_eq!(encrypt["requestID"], encrypt_request_id.as_str());
    assert_eq!(encrypt["readOnly"], true);
    assert_eq!(encrypt["recipientAccountId"], ACCOUNT);
    assert_eq!(encrypt["userIdentity"]["type"], "Root");
    assert_eq!(encrypt["userIdentity"]["accountId"], ACCOUNT);
    assert_eq!(encrypt["userIdentity"]["accessKeyId"], ACCESS_KEY);
    assert_eq!(encrypt["requestParameters"]["keyId"], key.key_id.as_str());
    assert_eq!(encrypt["requestParameters"]["encryptionContext"]["purpose"], "audit-test");
    assert!(encrypt["requestParameters"].get("plaintext").is_none());
    assert_eq!(encrypt["responseElements"], Value::Null);
    assert_eq!(encrypt["resources"], json!([{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key_arn}]));
    assert!(encrypt.get("errorCode").is_none());

    // Decrypt names the key it found in the ciphertext.
    assert_eq!(find(&all, "Decrypt")[0]["resources"][0]["ARN"], key_arn.as_str());

    let refused = find(&all, "GenerateRandom")[0];
    assert_eq!(refused["errorCode"], "ValidationException");
    assert!(refused["errorMessage"].as_str().unwrap().contains("numberOfBytes"));
    // Read by the one parse of its shape before validation refused it.
    assert_eq!(refused["requestParameters"], json!({"numberOfBytes": 2000}));

    let unreadable =
        find(&all, "DescribeKey").into_iter().find(|e| e["errorCode"] == "SerializationException").unwrap();
    assert_eq!(unreadable["requestParameters"], Value::Null);

    let denied = find(&all, "DescribeKey")[0];
    assert_eq!(denied["errorCode"], "AccessDeniedException");
    assert_eq!(denied["recipientAccountId"], "444455556666");
    assert_eq!(denied["userIdentity"]["arn"], "arn:aws:iam::444455556666:root");
    assert_eq!(denied["resources"][0]["ARN"], key_arn.as_str());

    let unauthenticated = find(&all, "ListKeys")[0];
    assert_eq!(unauthenticated["errorCode"], "InvalidSignatureException");
    assert_eq!(unauthenticated["userIdentity"], json!({"type": "Unknown", "accessKeyId": ACCESS_KEY}));
    assert_eq!(unauthenticated["recipientAccountId"], Value::Null);

    let report = s.state.kms().verify_audit().await.unwrap();
    assert_eq!(report.tamper, None);
    assert_eq!(report.records, all.len() as u64);
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

async fn lookup(s: &TestServer, body: Value) -> (u16, String, Value) {
    let mut r = Req::new(LOOKUP, &body.to_string());
    r.service = "cloudtrail";
    send(s, r.signed()).await
}

/// LookupEvents of events that name `key`, signed by `access_key`.
async fn lookup_key_as(s: &TestServer, key: &str, access_key: &str, secret: &str) -> Vec<Value> {
    let body = json!({"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": key}]});
    let mut r = Req::new(LOOKUP, &body.to_string()).by(access_key, secret);
    r.service = "cloudtrail";
    let (status, _, v) = send(s, r.signed()).await;
    assert_eq!(status, 200, "{v}");
    v["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str(e["CloudTrailEvent"].as_str().unwrap()).unwrap())
        .collect()
}

/// As CloudTrail delivers it, another account's call on a key is in both
/// accounts' trails: the caller's, and the key owner's.
#[tokio::test]
async fn a_key_owner_sees_other_accounts_calls_on_its_key() {
    const BOB: &str = "444455556666";
    const BOB_KEY: &str = "AKIABOBBOBBOBBOB0000";
    const BOB_SECRET: &str = "bob-secret-bob-secret-bob-secret";
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
  {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},
  {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{BOB}:root"}},"Action":"kms:Encrypt","Resource":"*"}}]}}"#
    );
    let key = kms.create_key().policy(policy).send().await.unwrap().key_metadata.unwrap();
    let arn = key.arn.unwrap();
    let bob = s.client_of_new_account(BOB, BOB_KEY, BOB_SECRET).await;
    bob.encrypt().key_id(&arn).plaintext(Blob::new("shared")).send().await.unwrap();
    // Denied calls too (Bob may not decrypt).
    let e = bob.describe_key().key_id(&arn).send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("AccessDeniedException"));

    let owners = lookup_key_as(&s, &arn, ACCESS_KEY, crate::common::SECRET_KEY).await;
    let bobs = lookup_key_as(&s, &arn, BOB_KEY, BOB_SECRET).await;
    for name in ["Encrypt", "DescribeKey"] {
        let owner = owners.iter().find(|e| e["eventName"] == name).unwrap_or_else(|| panic!("{name}: {owners:?}"));
        let own = bobs.iter().find(|e| e["eventName"] == name).unwrap_or_else(|| panic!("{name}: {bobs:?}"));
        assert_eq!(owner["recipientAccountId"], ACCOUNT, "{owner}");
        assert_eq!(owner["userIdentity"]["accountId"], BOB, "{owner}");
        assert_eq!(own["recipientAccountId"], BOB, "{own}");
        assert_ne!(owner["eventID"], own["eventID"]);
        assert!(owner["sharedEventID"].is_string() && owner["sharedEventID"] == own["sharedEventID"], "{owner} {own}");
        assert_eq!(owner["requestID"], own["requestID"]);
    }
    assert_eq!(owners.iter().filter(|e| e["eventName"] == "Encrypt").count(), 1);
    // The owner's own calls are delivered once, without a sharedEventID.
    let create = owners.iter().find(|e| e["eventName"] == "CreateKey").unwrap();
    assert!(create.get("sharedEventID").is_none(), "{create}");
    assert!(bobs.iter().all(|e| e["eventName"] != "CreateKey"), "Bob does not see the owner's own calls");
    let report = s.state.kms().verify_audit().await.unwrap();
    assert_eq!(report.tamper, None);
    s.stop().await;
}

#[tokio::test]
async fn lookup_events_reads_the_trail_like_cloudtrail() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    for _ in 0..3 {
        kms.encrypt().key_id(&key.key_id).plaintext(Blob::new("x")).send().await.unwrap();
    }
    kms.list_keys().send().await.unwrap();

    let by_name =
        json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}], "MaxResults": 2});
    let (status, _, page1) = lookup(&s, by_name.clone()).await;
    assert_eq!(status, 200, "{page1}");
    let events = page1["Events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    let e = &events[0];
    assert_eq!(e["EventName"], "Encrypt");
    assert_eq!(e["ReadOnly"], "true");
    assert_eq!(e["EventSource"], "kms.amazonaws.com");
    assert_eq!(e["Username"], "root");
    assert_eq!(e["AccessKeyId"], ACCESS_KEY);
    assert!(e["EventTime"].is_number());
    assert_eq!(e["Resources"][0]["ResourceType"], "AWS::KMS::Key");
    assert_eq!(e["Resources"][0]["ResourceName"], key.arn.as_deref().unwrap());
    let inner: Value = serde_json::from_str(e["CloudTrailEvent"].as_str().unwrap()).unwrap();
    assert_eq!(inner["eventID"], e["EventId"]);
    let token = page1["NextToken"].as_str().unwrap();
    let mut next = by_name.clone();
    next["NextToken"] = json!(token);
    let (_, _, page2) = lookup(&s, next).await;
    assert_eq!(page2["Events"].as_array().unwrap().len(), 1, "{page2}");
    assert!(page2.get("NextToken").is_none());

    let by_key = json!({"LookupAttributes": [{"AttributeKey": "ResourceName", "AttributeValue": key.key_id}]});
    let (_, _, v) = lookup(&s, by_key).await;
    let names: Vec<&str> = v["Events"].as_array().unwrap().iter().map(|e| e["EventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Encrypt", "Encrypt", "Encrypt", "CreateKey"], "newest first");

    // The lookups themselves are recorded, by CloudTrail's event source.
    let by_source = json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "LookupEvents"}], "MaxResults": 50});
    let (_, _, v) = lookup(&s, by_source).await;
    assert!(v["Events"].as_array().unwrap().iter().all(|e| e["EventSource"] == "cloudtrail.amazonaws.com"));
    let by_source = |source: &str| json!({"LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": source}], "MaxResults": 50});
    let (_, _, v) = lookup(&s, by_source("cloudtrail.amazonaws.com")).await;
    let names: Vec<&str> = v["Events"].as_array().unwrap().iter().map(|e| e["EventName"].as_str().unwrap()).collect();
    assert!(!names.is_empty() && names.iter().all(|n| *n == "LookupEvents"), "{names:?}");
    let (_, _, v) = lookup(&s, by_source("kms.amazonaws.com")).await;
    assert!(v["Events"].as_array().unwrap().iter().all(|e| e["EventSource"] == "kms.amazonaws.com"), "{v}");

    for (body, code) in [
        (
            json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "Username", "AttributeValue": "b"}]}),
            "InvalidLookupAttributesException",
        ),
        (json!({"MaxResults": 51}), "InvalidMaxResultsException"),
        (json!({"MaxResults": 0}), "InvalidMaxResultsException"),
        (json!({"NextToken": "forged"}), "InvalidNextTokenException"),
        (json!({"StartTime": 2000, "EndTime": 1000}), "InvalidTimeRangeException"),
        (json!({"EventCategory": "other"}), "InvalidEventCategoryException"),
        (json!({"LookupAttributes": [{"AttributeKey": "Color", "AttributeValue": "a"}]}), "ValidationException"),
    ] {
        let (status, ty, v) = lookup(&s, body.clone()).await;
        assert_eq!((status, ty.as_str()), (400, code), "{body} -> {v}");
    }
    // Signed for KMS rather than CloudTrail: refused as AWS refuses it.
    let (_, ty, v) = send(&s, Req::new(LOOKUP, "{}").signed()).await;
    assert_eq!(ty, "InvalidSignatureException", "{v}");
    assert!(v["message"].as_str().unwrap().contains("'cloudtrail'"), "{v}");
}

/// Opens the stopped deployment in `dir` and verifies its trail.
async fn verify_offline(dir: &std::path::Path) -> Option<Tamper> {
    let cfg = trent_server::config::Config { data_dir: Some(dir.to_owned()), ..Default::default() };
    let params = cfg.into_params(|p| std::fs::read_to_string(p)).unwrap();
    let (kms, _) =
        trent_server::startup::open_kms(&params, std::sync::Arc::new(trent_core::SystemClock)).await.unwrap();
    kms.verify_audit().await.unwrap().tamper
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[tokio::test]
async fn tampering_with_the_stored_trail_is_found() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let s = TestServer::builder().data_dir(&dir).build().await;
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    for i in 0..6 {
        kms.encrypt().key_id(&key.key_id).plaintext(Blob::new(format!("m{i}"))).send().await.unwrap();
    }
    s.state.kms().audit_checkpoint().await.unwrap().unwrap();
    s.stop().await;
    assert_eq!(verify_offline(&dir).await, None);

    let tamper = |name: &str, sql: &str| {
        let copy = temp.path().join(name);
        copy_dir(&dir, &copy);
        // The audit log file beside the database still holds the last
        // events appended (see `cut_with_the_log_kept` below): an attacker
        // editing the database deletes it too.
        std::fs::remove_file(copy.join(trent_store::AUDIT_LOG_FILE)).unwrap();
        let db = rusqlite::Connection::open(copy.join("trent.db")).unwrap();
        // As an attacker would, without the schema's guard rails.
        db.execute_batch(&format!("PRAGMA foreign_keys = OFF; {sql}")).unwrap();
        copy
    };
    // One byte of one record.
    let edited = tamper("edited", "UPDATE audit_events SET record = replace(record, '\"m', '\"n') WHERE seq = 3;");
    let edited_byte = tamper(
        "edited-byte",
        "UPDATE audit_events SET record = substr(record, 1, 10) || 'X' || substr(record, 12) WHERE seq = 4;",
    );
    // One record removed.
    let removed =
        tamper("removed", "DELETE FROM audit_resources WHERE seq = 4; DELETE FROM audit_events WHERE seq = 4;");
    // Two records swapped (each keeps its place in the sequence).
    let swapped = tamper(
        "swapped",
        "UPDATE audit_events SET seq = -2 WHERE seq = 2; UPDATE audit_events SET seq = 2 WHERE seq = 5; \
         UPDATE audit_events SET seq = 5 WHERE seq = -2;",
    );
    // A lookup column changed: the event would move to another account's
    // LookupEvents without touching its hashed contents.
    let moved = tamper("moved", "UPDATE audit_events SET account = '444455556666' WHERE seq = 5;");
    // The end cut off.
    let cut = tamper("cut", "DELETE FROM audit_resources WHERE seq >= 7; DELETE FROM audit_events WHERE seq >= 7;");
    assert_eq!(verify_offline(&edited).await, Some(Tamper::Edited { seq: 3 }));
    assert_eq!(verify_offline(&edited_byte).await, Some(Tamper::Edited { seq: 4 }));
    assert_eq!(verify_offline(&removed).await, Some(Tamper::Removed { first: 4, last: 4 }));
    assert_eq!(verify_offline(&swapped).await, Some(Tamper::OutOfOrder { seq: 2, prev: 1 }));
    assert!(matches!(verify_offline(&cut).await, Some(Tamper::Truncated { last: 6, .. })));
    assert_eq!(verify_offline(&moved).await, Some(Tamper::FieldsEdited { seq: 5 }));
    // The end cut off the database alone: the audit log file brings the
    // records back (at the next open under the data directory's lock, here
    // the offline verification's), the same records with the same hashes.
    let cut_with_the_log_kept = temp.path().join("cut-log-kept");
    copy_dir(&dir, &cut_with_the_log_kept);
    {
        let db = rusqlite::Connection::open(cut_with_the_log_kept.join("trent.db")).unwrap();
        db.execute_batch("DELETE FROM audit_resources WHERE seq >= 7; DELETE FROM audit_events WHERE seq >= 7;")
            .unwrap();
    }
    assert_eq!(verify_offline(&cut_with_the_log_kept).await, None);
    let whole = |d: &std::path::Path| -> Vec<(i64, Vec<u8>)> {
        let db = rusqlite::Connection::open(d.join("trent.db")).unwrap();
        let mut st = db.prepare("SELECT seq, hash FROM audit_events ORDER BY seq").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(whole(&cut_with_the_log_kept), whole(&dir));

    // The outside test's cases, which the database alone could not show:
    // an edit with every later hash recomputed and the checkpoints deleted,
    // and the end cut off with the checkpoint above it deleted. The digest
    // files (data/audit-digests) still say what the trail was.
    let digests = dir.join("audit-digests");
    assert!(digests.join("0000000001.json").exists(), "the checkpoint's digest file");
    let (head, first_after_edit): (i64, i64) = {
        let db = rusqlite::Connection::open(dir.join("trent.db")).unwrap();
        let q = |sql: &str| db.query_row(sql, [], |r| r.get(0)).unwrap();
        (q("SELECT MAX(seq) FROM audit_checkpoints"), q("SELECT MIN(seq) FROM audit_checkpoints WHERE seq >= 3"))
    };
    let rehashed = tamper(
        "rehashed",
        "UPDATE audit_events SET record = replace(record, '\"m', '\"n') WHERE seq = 3; DELETE FROM audit_checkpoints;",
    );
    {
        let db = rusqlite::Connection::open(rehashed.join("trent.db")).unwrap();
        let rows: Vec<(i64, String)> = db
            .prepare("SELECT seq, record FROM audit_events WHERE seq >= 3 ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut prev: [u8; 32] = db
            .query_row("SELECT hash FROM audit_events WHERE seq = 2", [], |r| r.get::<_, Vec<u8>>(0))
            .unwrap()
            .try_into()
            .unwrap();
        for (seq, record) in rows {
            let hash = trent_crypto::audit::chain_hash(&prev, seq as u64, record.as_bytes());
            db.execute(
                "UPDATE audit_events SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                rusqlite::params![prev.to_vec(), hash.to_vec(), seq],
            )
            .unwrap();
            prev = hash;
        }
    }
    let cut_unseen = tamper(
        "cut-unseen",
        "DELETE FROM audit_resources WHERE seq > 3; DELETE FROM audit_events WHERE seq > 3; \
         DELETE FROM audit_checkpoints WHERE seq > 3;",
    );
    for copy in [&rehashed, &cut_unseen] {
        let bare = temp.path().join(format!("{}-without-digests", copy.file_name().unwrap().to_string_lossy()));
        copy_dir(copy, &bare);
        std::fs::remove_dir_all(bare.join("audit-digests")).unwrap();
        assert_eq!(verify_offline(&bare).await, None, "{}: the database alone cannot tell", bare.display());
    }
    assert_eq!(verify_offline(&rehashed).await, Some(Tamper::CheckpointMismatch { seq: first_after_edit as u64 }));
    assert_eq!(verify_offline(&cut_unseen).await, Some(Tamper::Truncated { last: 3, checkpoint: head as u64 }));
}

#[tokio::test]
async fn metrics_health_and_readiness() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    for _ in 0..3 {
        kms.encrypt().key_id(&key.key_id).plaintext(Blob::new("x")).send().await.unwrap();
    }
    kms.describe_key().key_id("alias/missing").send().await.unwrap_err();
    assert_eq!(get(&s, "/health").await.0, 200);
    assert_eq!(get(&s, "/ready").await, (200, "ready\n".to_owned()));
    let (status, text) = get(&s, "/metrics").await;
    assert_eq!(status, 200);
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
                prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    assert_eq!(value("trent_requests_total", &[("operation", "Encrypt"), ("outcome", "ok")]), 3.0);
    assert_eq!(value("trent_requests_total", &[("operation", "DescribeKey"), ("outcome", "NotFoundException")]), 1.0);
    // CreateKey's event committed with the key; the others by group commit.
    assert!(value("trent_audit_events_total", &[]) >= 4.0);
    assert!(value("trent_audit_last_seq", &[]) >= 5.0);
    assert!(value("trent_audit_commits_total", &[]) >= 1.0);
    assert_eq!(value("trent_audit_failures_total", &[]), 0.0);
    assert!(value("trent_key_cache_hits_total", &[]) >= 2.0);
    let histogram = scrape
        .samples
        .iter()
        .find(|s| s.metric == "trent_request_duration_seconds" && s.labels.get("operation") == Some("Encrypt"));
    match histogram.map(|h| &h.value) {
        Some(prometheus_parse::Value::Histogram(buckets)) => assert!(buckets.iter().any(|b| b.count >= 3.0)),
        other => panic!("no Encrypt latency histogram: {other:?}"),
    }
}

#[tokio::test]
async fn a_database_refusing_the_trail_fails_changes_and_keeps_the_other_events() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let s = TestServer::builder().data_dir(&dir).build().await;
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    // Another connection makes the database refuse the trail's rows, as a
    // full or read-only disk would.
    let db = rusqlite::Connection::open(dir.join("trent.db")).unwrap();
    db.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END;",
    )
    .unwrap();
    // Reads and cryptographic calls append their events to the audit log
    // file, which takes them: answered, their events durable there, waiting
    // to move into the database (a log that refuses them fails them: the
    // log's own tests).
    kms.encrypt().key_id(&key.key_id).plaintext(Blob::new("while refused")).send().await.unwrap();
    kms.generate_random().number_of_bytes(16).send().await.unwrap();
    // A change whose event cannot be written does not happen (it moves the
    // waiting events in first, and fails there).
    let e = kms.create_key().send().await.unwrap_err();
    let e = e.into_service_error();
    assert_eq!(e.meta().code(), Some("KMSInternalException"));
    assert_eq!(e.meta().message(), Some("The request failed because of an internal error."));
    let e = kms.disable_key().key_id(&key.key_id).send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("KMSInternalException"));
    let e = kms.create_alias().alias_name("alias/never").target_key_id(&key.key_id).send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("KMSInternalException"));
    // Nor does a read of the trail answer without those events.
    assert!(s.state.kms().store().audit_head().await.is_err());
    assert_eq!(get(&s, "/ready").await.0, 503);
    db.execute_batch("DROP TRIGGER refuse;").unwrap();
    kms.encrypt().key_id(&key.key_id).plaintext(Blob::new("x")).send().await.unwrap();
    assert_eq!(kms.list_keys().send().await.unwrap().keys().len(), 1, "no key was created");
    let state = kms.describe_key().key_id(&key.key_id).send().await.unwrap().key_metadata.unwrap().key_state;
    assert_eq!(state, Some(aws_sdk_kms::types::KeyState::Enabled));
    assert!(kms.list_aliases().send().await.unwrap().aliases().is_empty());
    assert_eq!(get(&s, "/ready").await.0, 200);
    assert_eq!(s.state.kms().verify_audit().await.unwrap().tamper, None);
    let names: Vec<String> =
        s.state.kms().store().audit_records(0, 100).await.unwrap().into_iter().map(|r| r.entry.event_name).collect();
    for name in ["Encrypt", "GenerateRandom"] {
        assert!(names.iter().any(|n| n == name), "{name}'s event, answered while refused, is in the trail: {names:?}");
    }
    assert_eq!(names.iter().filter(|n| *n == "Encrypt").count(), 2);
}

#[tokio::test]
async fn get_key_last_usage_reads_the_trail() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let a = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let b = kms.create_key().send().await.unwrap().key_metadata.unwrap();
    let fresh = kms.get_key_last_usage().key_id(&a.key_id).send().await.unwrap();
    assert_eq!(fresh.key_id(), Some(a.key_id.as_str()));
    assert!(fresh.key_last_usage().unwrap().operation().is_none(), "an empty object: never used");
    assert_eq!(fresh.key_creation_date(), a.creation_date.as_ref());
    assert_eq!(fresh.tracking_start_date(), a.creation_date.as_ref());

    let blob = kms.encrypt().key_id(&a.key_id).plaintext(Blob::new("x")).send().await.unwrap().ciphertext_blob.unwrap();
    let dec = kms.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap();
    let decrypt_request = dec.request_id().unwrap().to_owned();
    // Failures and management calls do not count.
    kms.decrypt().ciphertext_blob(blob.clone()).encryption_context("k", "v").send().await.unwrap_err();
    kms.describe_key().key_id(&a.key_id).send().await.unwrap();
    let usage = kms.get_key_last_usage().key_id(key_arn(&a)).send().await.unwrap();
    let last = usage.key_last_usage().unwrap();
    assert_eq!(last.operation().map(|o| o.as_str()), Some("Decrypt"));
    assert_eq!(last.kms_request_id(), Some(decrypt_request.as_str()));
    let trail = events(&s).await;
    let decrypt_event = trail.iter().find(|e| e["requestID"] == decrypt_request.as_str()).unwrap();
    assert_eq!(last.cloud_trail_event_id(), decrypt_event["eventID"].as_str());
    assert!(last.timestamp().is_some());

    // ReEncrypt counts for both keys.
    kms.re_encrypt().ciphertext_blob(blob).destination_key_id(&b.key_id).send().await.unwrap();
    for k in [&a, &b] {
        let u = kms.get_key_last_usage().key_id(&k.key_id).send().await.unwrap();
        assert_eq!(u.key_last_usage().unwrap().operation().map(|o| o.as_str()), Some("ReEncrypt"));
    }
    // Aliases are not accepted, as in AWS.
    kms.create_alias().alias_name("alias/last").target_key_id(&a.key_id).send().await.unwrap();
    let e = kms.get_key_last_usage().key_id("alias/last").send().await.unwrap_err();
    assert_eq!(e.into_service_error().meta().code(), Some("NotFoundException"));
}

fn key_arn(k: &aws_sdk_kms::types::KeyMetadata) -> String {
    k.arn.clone().unwrap()
}

/// GetUsage over the admin API: the calls just answered are counted (by
/// key, with the failed ones), key-months listed, and every account's usage
/// is the operator's alone.
#[tokio::test]
async fn get_usage_counts_the_calls_just_answered() {
    const BOB: &str = "444455556666";
    const BOB_KEY: &str = "AKIABOBBOBBOBBOB0002";
    const BOB_SECRET: &str = "bob-secret-bob-secret-bob-secret";
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let key_arn = kms.create_key().send().await.unwrap().key_metadata.unwrap().arn.unwrap();
    for _ in 0..2 {
        kms.encrypt().key_id(&key_arn).plaintext(Blob::new("x")).send().await.unwrap();
    }
    kms.decrypt().key_id(&key_arn).ciphertext_blob(Blob::new(vec![1u8; 64])).send().await.unwrap_err();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let body = json!({"Since": now - 3600, "Until": now + 3600, "Granularity": "HOUR"});
    let (status, ty, v) = send(&s, Req::new("TrentAdmin.GetUsage", &body.to_string()).signed()).await;
    assert_eq!(status, 200, "{ty} {v}");
    assert_eq!(v["BucketSeconds"], 3600);
    let row = |op: &str| {
        let rows = v["Requests"].as_array().unwrap();
        rows.iter().find(|r| r["Operation"] == op && r["KeyArn"] == key_arn.as_str()).cloned().unwrap_or_default()
    };
    assert_eq!((row("Encrypt")["Requests"].as_u64(), row("Encrypt")["Errors"].as_u64()), (Some(2), Some(0)), "{v}");
    assert_eq!(row("Encrypt")["Account"], ACCOUNT);
    assert_eq!(row("Encrypt")["EventSource"], "kms.amazonaws.com");
    assert!(row("Encrypt")["BucketStart"].as_f64().unwrap() % 3600.0 == 0.0, "{v}");
    let totals = v["Totals"].as_array().unwrap();
    assert!(totals.iter().any(|t| t["Operation"] == "CreateKey" && t["Requests"] == 1), "{v}");
    // The refused Decrypt: a request, and an error.
    assert!(totals.iter().any(|t| t["Operation"] == "Decrypt" && t["Requests"] == 1 && t["Errors"] == 1), "{v}");
    let keys = v["Keys"].as_array().unwrap();
    assert!(keys.iter().any(|k| k["KeyArn"] == key_arn.as_str() && k["KeyMonths"].as_f64().unwrap() >= 0.0), "{v}");

    // Another account: its own usage, and every account's refused.
    s.client_of_new_account(BOB, BOB_KEY, BOB_SECRET).await;
    let (status, _, bob) =
        send(&s, Req::new("TrentAdmin.GetUsage", &body.to_string()).by(BOB_KEY, BOB_SECRET).signed()).await;
    assert_eq!(status, 200, "{bob}");
    assert!(bob["Requests"].as_array().unwrap().iter().all(|r| r["Account"] == BOB), "{bob}");
    let all = json!({"Since": now - 3600, "Until": now + 3600, "AllAccounts": true});
    let (status, ty, _) =
        send(&s, Req::new("TrentAdmin.GetUsage", &all.to_string()).by(BOB_KEY, BOB_SECRET).signed()).await;
    assert_eq!((status, ty.as_str()), (400, "AccessDeniedException"));
    let (status, _, every) = send(&s, Req::new("TrentAdmin.GetUsage", &all.to_string()).signed()).await;
    assert_eq!(status, 200, "{every}");
    assert_eq!(every["BucketSeconds"], 86_400, "DAY by default");
    // Validation: the window's order, and the granularity.
    let bad = json!({"Since": now, "Until": now - 1});
    let (status, ty, _) = send(&s, Req::new("TrentAdmin.GetUsage", &bad.to_string()).signed()).await;
    assert_eq!((status, ty.as_str()), (400, "ValidationException"));
    let bad = json!({"Since": now - 1, "Until": now, "Granularity": "WEEK"});
    let (status, ty, _) = send(&s, Req::new("TrentAdmin.GetUsage", &bad.to_string()).signed()).await;
    assert_eq!((status, ty.as_str()), (400, "ValidationException"));
    s.stop().await;
}
