//! Multi-Region keys through `aws-sdk-kms`, one deployment serving
//! us-east-1, eu-west-1 and ap-south-1 on its SQLite store: replicate,
//! encrypt in one Region and decrypt in another, rotate the primary, move
//! the primary, delete a primary with replicas; every step in the audit
//! trail of both Regions; everything still there after a restart.

use crate::common::{TestServer, ACCESS_KEY, SECRET_KEY};
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyState, MultiRegionKeyType, Tag};
use serde_json::Value;
use std::sync::Arc;
use trent_core::ManualClock;

const DAY_MS: i64 = 86_400_000;
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-south-1"];

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_owned()
}

async fn events(s: &TestServer) -> Vec<Value> {
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    records.iter().map(|r| serde_json::from_str(&r.entry.record).unwrap()).collect()
}

async fn decrypt(kms: &aws_sdk_kms::Client, blob: &Blob) -> (Vec<u8>, String) {
    let out = kms.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap();
    (out.plaintext().unwrap().as_ref().to_vec(), out.key_id().unwrap().to_owned())
}

#[tokio::test]
async fn replicate_use_rotate_promote_and_delete() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::builder().manual_clock(clock.clone()).data_dir(dir.path()).regions(&REGIONS).build().await;
    let east = s.client_with("us-east-1", ACCESS_KEY, SECRET_KEY);
    let west = s.client_with("eu-west-1", ACCESS_KEY, SECRET_KEY);

    let created = east.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap();
    let id = created.key_id().to_owned();
    assert!(id.starts_with("mrk-"), "{id}");
    assert_eq!(created.multi_region(), Some(true));
    let conf = created.multi_region_configuration().unwrap();
    assert_eq!(conf.multi_region_key_type(), Some(&MultiRegionKeyType::Primary));

    let replica = east
        .replicate_key()
        .key_id(created.arn().unwrap())
        .replica_region("eu-west-1")
        .description("the eu-west-1 copy")
        .tags(Tag::builder().tag_key("site").tag_value("dublin").build().unwrap())
        .send()
        .await
        .unwrap();
    let meta = replica.replica_key_metadata().unwrap();
    let west_arn = meta.arn().unwrap().to_owned();
    assert_eq!(west_arn, created.arn().unwrap().replace("us-east-1", "eu-west-1"));
    assert_eq!(meta.description(), Some("the eu-west-1 copy"));
    assert_eq!(replica.replica_tags()[0].tag_value(), "dublin");
    assert!(replica.replica_policy().unwrap().contains("kms:*"));
    let rc = meta.multi_region_configuration().unwrap();
    assert_eq!(rc.multi_region_key_type(), Some(&MultiRegionKeyType::Replica));
    assert_eq!(rc.primary_key().unwrap().arn(), created.arn());

    // The errors AWS documents.
    let again = east.replicate_key().key_id(&id).replica_region("eu-west-1").send().await.unwrap_err();
    assert_eq!(code(&again), "AlreadyExistsException");
    let from_replica = west.replicate_key().key_id(&id).replica_region("ap-south-1").send().await.unwrap_err();
    assert_eq!(code(&from_replica), "UnsupportedOperationException");
    let single = east.create_key().send().await.unwrap().key_metadata.unwrap();
    let e = east.replicate_key().key_id(single.key_id()).replica_region("eu-west-1").send().await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");
    let e = east.replicate_key().key_id(&id).replica_region("not a region").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = west.describe_key().key_id(single.arn().unwrap()).send().await.unwrap_err();
    assert_eq!(code(&e), "NotFoundException", "a single-Region key is not visible from another Region");

    // Encrypt in us-east-1, decrypt in eu-west-1 with the replica.
    let old = east.encrypt().key_id(&id).plaintext(Blob::new("v1 data")).send().await.unwrap();
    let old = old.ciphertext_blob().unwrap().clone();
    assert_eq!(decrypt(&west, &old).await, (b"v1 data".to_vec(), west_arn.clone()));

    // Rotate the primary: old and new ciphertexts decrypt in both Regions.
    east.rotate_key_on_demand().key_id(&id).send().await.unwrap();
    let new = west.encrypt().key_id(&id).plaintext(Blob::new("v2 data")).send().await.unwrap();
    let new = new.ciphertext_blob().unwrap().clone();
    for kms in [&east, &west] {
        assert_eq!(decrypt(kms, &old).await.0, b"v1 data");
        assert_eq!(decrypt(kms, &new).await.0, b"v2 data");
    }
    let rotations = west.list_key_rotations().key_id(&id).send().await.unwrap();
    assert_eq!(rotations.rotations().len(), 1, "the replica lists the primary's rotation");

    // Promote the replica.
    let e = west.update_primary_region().key_id(&id).primary_region("us-east-1").send().await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException", "called on the replica");
    east.update_primary_region().key_id(&id).primary_region("eu-west-1").send().await.unwrap();
    let d = west.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(d.multi_region_configuration().unwrap().multi_region_key_type(), Some(&MultiRegionKeyType::Primary));
    let d = east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    let c = d.multi_region_configuration().unwrap();
    assert_eq!(c.multi_region_key_type(), Some(&MultiRegionKeyType::Replica));
    assert_eq!(c.primary_key().unwrap().region(), Some("eu-west-1"));

    // The trail of both Regions.
    let all = events(&s).await;
    let ok = |name: &str, region: &str| {
        all.iter()
            .filter(|e| e["eventName"] == name && e["awsRegion"] == region && e.get("errorCode").is_none())
            .count()
    };
    assert_eq!(ok("ReplicateKey", "us-east-1"), 1);
    assert_eq!(ok("CreateKey", "eu-west-1"), 1, "the replica's creation, recorded in its Region");
    assert_eq!(ok("UpdatePrimaryRegion", "us-east-1"), 1);
    assert_eq!(ok("UpdatePrimaryRegion", "eu-west-1"), 1, "the change, recorded in the new primary's Region");
    assert_eq!(ok("RotateKeyOnDemand", "us-east-1"), 1);
    assert_eq!(ok("SynchronizeMultiRegionKey", "eu-west-1"), 1, "the rotation reaching the replica");
    let refused = all.iter().filter(|e| e["eventName"] == "ReplicateKey" && e.get("errorCode").is_some()).count();
    assert!(refused >= 3, "refused calls are recorded too");

    // Everything survives a restart.
    s.stop().await;
    let s = TestServer::builder().manual_clock(clock.clone()).data_dir(dir.path()).regions(&REGIONS).build().await;
    let east = s.client_with("us-east-1", ACCESS_KEY, SECRET_KEY);
    let west = s.client_with("eu-west-1", ACCESS_KEY, SECRET_KEY);
    assert_eq!(decrypt(&east, &new).await.0, b"v2 data");
    assert_eq!(decrypt(&west, &old).await.0, b"v1 data");

    // Deleting the primary (now eu-west-1) waits for the replica.
    let r = west.schedule_key_deletion().key_id(&id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(r.key_state(), Some(&KeyState::PendingReplicaDeletion));
    assert!(r.deletion_date().is_none());
    east.schedule_key_deletion().key_id(&id).pending_window_in_days(7).send().await.unwrap();
    clock.advance(8 * DAY_MS);
    assert_eq!(s.state.kms().run_due_jobs().await.unwrap().destroyed, 1);
    let d = west.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(d.key_state(), Some(&KeyState::PendingDeletion));
    assert!(d.multi_region_configuration().unwrap().replica_keys().is_empty());
    clock.advance(8 * DAY_MS);
    assert_eq!(s.state.kms().run_due_jobs().await.unwrap().destroyed, 1);
    let e = west.decrypt().ciphertext_blob(old).send().await.unwrap_err();
    assert!(["InvalidCiphertextException", "NotFoundException"].contains(&code(&e).as_str()), "{e:?}");
}
