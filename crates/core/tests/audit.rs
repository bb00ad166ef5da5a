//! The audit trail from the core's side, on the in-memory store: a state
//! change commits with its event, a change whose event cannot be recorded
//! does not happen, and scheduled jobs commit with their service events.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::{json, Value};
use std::sync::Arc;
use trent_api::ids::AccountId;
use trent_api::ops::*;
use trent_core::audit::{EventDraft, Identity, EVENT_SOURCE};
use trent_core::caller::CallAudit;
use trent_core::memory::InMemoryStore;
use trent_core::{Caller, Kms, KmsOptions, ManualClock, Store as _};

const ACCOUNT: &str = "111122223333";
const DAY: i64 = 86_400_000;

struct World {
    kms: Kms,
    store: Arc<InMemoryStore>,
    clock: Arc<ManualClock>,
}

async fn world() -> World {
    world_with(KmsOptions::default()).await
}

async fn world_with(options: KmsOptions) -> World {
    let store = Arc::new(InMemoryStore::new());
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let kms = common::kms_with(store.clone(), clock.clone(), options).await;
    World { kms, store, clock }
}

/// A caller whose call the server drafted an event for, as it does for
/// every request.
fn caller(operation: &str, request: Value) -> Caller {
    let account = AccountId::parse(ACCOUNT).unwrap();
    let draft = EventDraft {
        request_id: "req".into(),
        event_source: EVENT_SOURCE,
        operation: operation.into(),
        time: 1_700_000_000_000,
        region: Some("us-east-1".into()),
        identity: Identity::Principal {
            account: ACCOUNT.into(),
            arn: account.root_arn().as_str().to_owned(),
            access_key_id: "AKIAEXAMPLEEXAMPLE00".into(),
            session: None,
        },
        source_ip: None,
        user_agent: None,
        request_parameters: trent_core::audit::request_parameters(request.to_string().as_bytes()).into(),
        tls_details: None,
    };
    Caller { audit: CallAudit::new(draft), ..common::root_caller(ACCOUNT, "us-east-1") }
}

fn req<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

async fn trail(store: &InMemoryStore) -> Vec<Value> {
    let records = store.audit_records(0, 1000).await.unwrap();
    records.iter().map(|r| serde_json::from_str(&r.entry.record).unwrap()).collect()
}

#[tokio::test]
async fn a_state_change_commits_with_its_event() {
    let w = world().await;
    let c = caller("CreateKey", json!({"Description": "d"}));
    let key = w.kms.create_key(&c, req(json!({"Description": "d"}))).await.unwrap().key_metadata.unwrap();
    assert!(c.audit.recorded(), "the change committed the event");
    let t = trail(&w.store).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["eventName"], "CreateKey");
    assert_eq!(t[0]["responseElements"]["keyMetadata"]["keyId"], key.key_id.as_str());
    assert_eq!(t[0]["resources"][0]["ARN"], key.arn.as_str());
    assert_eq!(t[0]["requestParameters"]["description"], "d");

    let c = caller("ScheduleKeyDeletion", json!({"KeyId": key.key_id, "PendingWindowInDays": 7}));
    w.kms.schedule_key_deletion(&c, req(json!({"KeyId": key.key_id, "PendingWindowInDays": 7}))).await.unwrap();
    let t = trail(&w.store).await;
    assert_eq!(t[1]["responseElements"]["keyState"], "PendingDeletion");
    assert_eq!(t[1]["responseElements"]["pendingWindowInDays"], 7);
    assert!(t[1]["responseElements"]["deletionDate"].is_number());

    // A read commits nothing: the server appends its event.
    let c = caller("DescribeKey", json!({"KeyId": key.key_id}));
    w.kms.describe_key(&c, req(json!({"KeyId": key.key_id}))).await.unwrap();
    assert!(!c.audit.recorded());
    assert_eq!(c.audit.arns(), vec![key.arn.clone()]);
}

#[tokio::test]
async fn a_change_whose_event_cannot_be_recorded_does_not_happen() {
    let w = world().await;
    let key = w
        .kms
        .create_key(&caller("CreateKey", json!({})), CreateKeyRequest::default())
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let id = key.key_id.clone();
    w.store.set_audit_failing(true);
    let calls: Vec<(&str, Value)> = vec![
        ("CreateKey", json!({})),
        ("CreateAlias", json!({"AliasName": "alias/a", "TargetKeyId": id})),
        ("DisableKey", json!({"KeyId": id})),
        ("UpdateKeyDescription", json!({"KeyId": id, "Description": "changed"})),
        ("TagResource", json!({"KeyId": id, "Tags": [{"TagKey": "k", "TagValue": "v"}]})),
        ("ScheduleKeyDeletion", json!({"KeyId": id, "PendingWindowInDays": 7})),
        ("EnableKeyRotation", json!({"KeyId": id})),
        ("RotateKeyOnDemand", json!({"KeyId": id})),
        (
            "CreateGrant",
            json!({"KeyId": id, "GranteePrincipal": "arn:aws:iam::111122223333:root", "Operations": ["Encrypt"]}),
        ),
    ];
    for (op, body) in calls {
        let c = caller(op, body.clone());
        let result = match op {
            "CreateKey" => w.kms.create_key(&c, req(body)).await.map(|_| ()),
            "CreateAlias" => w.kms.create_alias(&c, req(body)).await.map(|_| ()),
            "DisableKey" => w.kms.disable_key(&c, req(body)).await.map(|_| ()),
            "UpdateKeyDescription" => w.kms.update_key_description(&c, req(body)).await.map(|_| ()),
            "TagResource" => w.kms.tag_resource(&c, req(body)).await.map(|_| ()),
            "ScheduleKeyDeletion" => w.kms.schedule_key_deletion(&c, req(body)).await.map(|_| ()),
            "EnableKeyRotation" => w.kms.enable_key_rotation(&c, req(body)).await.map(|_| ()),
            "RotateKeyOnDemand" => w.kms.rotate_key_on_demand(&c, req(body)).await.map(|_| ()),
            "CreateGrant" => w.kms.create_grant(&c, req(body)).await.map(|_| ()),
            _ => unreachable!(),
        };
        let e = result.expect_err(op);
        assert_eq!(e.code(), trent_api::ErrorCode::KmsInternal, "{op}");
        assert!(!c.audit.recorded(), "{op}");
    }
    w.store.set_audit_failing(false);
    let c = caller("Read", json!({}));
    let keys = w.kms.list_keys(&c, ListKeysRequest::default()).await.unwrap().keys;
    assert_eq!(keys.len(), 1, "no key was created");
    let d = w.kms.describe_key(&c, req(json!({"KeyId": id}))).await.unwrap().key_metadata.unwrap();
    assert_eq!(d.key_state, trent_api::enums::KeyState::Enabled);
    assert_eq!(d.description, "");
    let aliases = w.kms.list_aliases(&c, ListAliasesRequest::default()).await.unwrap().aliases;
    assert!(aliases.is_empty());
    let tags = w.kms.list_resource_tags(&c, req(json!({"KeyId": id}))).await.unwrap().tags;
    assert!(tags.is_empty());
    let rotation = w.kms.get_key_rotation_status(&c, req(json!({"KeyId": id}))).await.unwrap();
    assert!(!rotation.key_rotation_enabled);
    let rotations = w.kms.list_key_rotations(&c, req(json!({"KeyId": id}))).await.unwrap().rotations;
    assert!(rotations.is_empty());
    let grants = w.kms.list_grants(&c, req(json!({"KeyId": id}))).await.unwrap().grants;
    assert!(grants.is_empty());
    assert_eq!(trail(&w.store).await.len(), 1, "only the first CreateKey's event");
}

#[tokio::test]
async fn scheduled_jobs_commit_with_their_service_events() {
    let w = world().await;
    let c = caller("CreateKey", json!({}));
    let doomed = w.kms.create_key(&c, CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap();
    let kept = w.kms.create_key(&c, CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap();
    for k in [&doomed, &kept] {
        let body = json!({"KeyId": k.key_id, "PendingWindowInDays": 7});
        w.kms.schedule_key_deletion(&caller("ScheduleKeyDeletion", body.clone()), req(body)).await.unwrap();
    }
    w.clock.advance(8 * DAY);
    // The trail refuses: no key is destroyed.
    w.store.set_audit_failing(true);
    let r = w.kms.run_due_jobs().await.unwrap();
    assert_eq!((r.destroyed, r.failed), (0, 3), "two deletions and the checkpoint failed");
    w.store.set_audit_failing(false);
    let r = w.kms.run_due_jobs().await.unwrap();
    assert_eq!(r.destroyed, 2);
    let t = trail(&w.store).await;
    let deletions: Vec<&Value> = t.iter().filter(|e| e["eventName"] == "DeleteKey").collect();
    assert_eq!(deletions.len(), 2);
    assert_eq!(deletions[0]["eventType"], "AwsServiceEvent");
    assert_eq!(deletions[0]["userIdentity"]["invokedBy"], "kms.amazonaws.com");
    assert_eq!(deletions[0]["recipientAccountId"], ACCOUNT);
    assert_eq!(w.kms.verify_audit().await.unwrap().tamper, None);
}

/// Retention deletes the digest files of the checkpoints it deleted and
/// keeps the anchor's; the trail verifies against what is left.
#[tokio::test]
async fn retention_prunes_digest_files_below_the_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let digests = dir.path().join("digests");
    let w = world_with(KmsOptions {
        audit_retention_days: Some(2),
        audit_digest_dir: Some(digests.clone()),
        ..KmsOptions::default()
    })
    .await;
    let create = || async {
        let c = caller("CreateKey", json!({}));
        w.kms.create_key(&c, CreateKeyRequest::default()).await.unwrap();
    };
    let numbers = || {
        let mut n: Vec<u64> =
            trent_core::audit::digest::read_dir(&digests).unwrap().iter().filter_map(|c| c.number).collect();
        n.sort_unstable();
        n
    };
    create().await;
    w.kms.run_due_jobs().await.unwrap(); // checkpoint 1 (record 1)
    create().await;
    w.kms.run_due_jobs().await.unwrap(); // checkpoint 2 (record 2)
    w.clock.advance(DAY);
    create().await;
    w.kms.run_due_jobs().await.unwrap(); // checkpoint 3 (record 3)
    assert_eq!(numbers(), [1, 2, 3]);
    w.clock.advance(DAY + 1);
    create().await;
    w.kms.run_due_jobs().await.unwrap(); // checkpoint 2 anchors: records 1..2 and checkpoint 1 go
    assert_eq!(numbers()[..3], [2, 3, 4], "checkpoint 1's file went with it, the anchor's stayed");
    let r = w.kms.verify_audit().await.unwrap();
    assert!(r.digest_files >= 3, "{r:?}");
    assert_eq!((r.first_seq, r.tamper), (3, None));
}

#[tokio::test]
async fn retention_prunes_old_records_and_the_trail_still_verifies() {
    let w = world_with(KmsOptions { audit_retention_days: Some(2), ..KmsOptions::default() }).await;
    let create = || async {
        let c = caller("CreateKey", json!({}));
        w.kms.create_key(&c, CreateKeyRequest::default()).await.unwrap();
    };
    create().await;
    create().await;
    w.kms.run_due_jobs().await.unwrap(); // checkpoint at 2
    w.clock.advance(DAY);
    create().await;
    w.kms.run_due_jobs().await.unwrap(); // checkpoint at 3; nothing old enough yet
    assert_eq!(w.store.audit_records(0, 100).await.unwrap().len(), 3);
    w.clock.advance(DAY + 1);
    create().await;
    w.kms.run_due_jobs().await.unwrap(); // checkpoint 2 is past the period: records 1..2 go
    let kept: Vec<u64> = w.store.audit_records(0, 100).await.unwrap().iter().map(|r| r.seq).collect();
    assert_eq!(kept, [3, 4, 5], "the retention event (5) says what went");
    let r = w.kms.verify_audit().await.unwrap();
    assert_eq!((r.first_seq, r.last_seq, r.tamper), (3, 5, None));
    // An idle deployment keeps its newest record: the chain goes on from it.
    w.clock.advance(10 * DAY);
    w.kms.run_due_jobs().await.unwrap();
    w.clock.advance(10 * DAY);
    w.kms.run_due_jobs().await.unwrap();
    let head = w.store.audit_head().await.unwrap().unwrap().0;
    assert!(w.store.audit_records(0, 100).await.unwrap().iter().any(|r| r.seq == head));
    create().await;
    assert_eq!(w.store.audit_head().await.unwrap().unwrap().0, head + 1);
    assert_eq!(w.kms.verify_audit().await.unwrap().tamper, None);
}
