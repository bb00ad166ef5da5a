//! Multi-Region keys on the in-memory store: a primary and its replicas
//! share id and material, each Region's key has its own policy, state,
//! aliases and grants, rotation of the primary reaches every replica, and
//! deleting a primary waits for its replicas.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use trent_api::enums::{KeySpec, KeyState, KeyUsage, MultiRegionKeyType, SigningAlgorithm};
use trent_api::ops::*;
use trent_api::{Blob, ErrorCode, SensitiveBlob};
use trent_core::memory::InMemoryStore;
use trent_core::{Caller, Kms, KmsOptions, ManualClock};

const DAY: i64 = 86_400_000;
const ACCOUNT: &str = "111122223333";

struct World {
    kms: Kms,
    clock: Arc<ManualClock>,
    east: Caller,
    west: Caller,
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let store = Arc::new(InMemoryStore::new());
    let regions = ["us-east-1", "eu-west-1", "ap-south-1"].map(|r| trent_api::ids::Region::parse(r).unwrap()).to_vec();
    let kms = common::kms_with(store, clock.clone(), KmsOptions { regions, ..KmsOptions::default() }).await;
    World {
        kms,
        clock,
        east: common::root_caller(ACCOUNT, "us-east-1"),
        west: common::root_caller(ACCOUNT, "eu-west-1"),
    }
}

fn plaintext(data: &[u8]) -> Option<SensitiveBlob> {
    Some(SensitiveBlob::new(zeroize::Zeroizing::new(data.to_vec())))
}

impl World {
    async fn primary(&self) -> KeyMetadata {
        let req = CreateKeyRequest { multi_region: Some(true), ..Default::default() };
        self.kms.create_key(&self.east, req).await.unwrap().key_metadata.unwrap()
    }

    async fn replicate(&self, key: &str, region: &str) -> Result<ReplicateKeyResponse, ErrorCode> {
        let req = ReplicateKeyRequest {
            key_id: Some(key.into()),
            replica_region: Some(region.into()),
            description: Some(format!("replica in {region}")),
            ..Default::default()
        };
        self.kms.replicate_key(&self.east, req).await.map_err(|e| e.code())
    }

    async fn describe(&self, caller: &Caller, key: &str) -> Result<KeyMetadata, ErrorCode> {
        let req = DescribeKeyRequest { key_id: Some(key.into()), ..Default::default() };
        self.kms.describe_key(caller, req).await.map(|r| r.key_metadata.unwrap()).map_err(|e| e.code())
    }

    async fn encrypt(&self, caller: &Caller, key: &str, data: &[u8]) -> Result<Vec<u8>, ErrorCode> {
        let req = EncryptRequest { key_id: Some(key.into()), plaintext: plaintext(data), ..Default::default() };
        self.kms.encrypt(caller, req).await.map(|r| r.ciphertext_blob.unwrap().0).map_err(|e| e.code())
    }

    async fn decrypt(&self, caller: &Caller, blob: &[u8]) -> Result<(Vec<u8>, String), ErrorCode> {
        let req = DecryptRequest { ciphertext_blob: Some(Blob(blob.to_vec())), ..Default::default() };
        self.kms
            .decrypt(caller, req)
            .await
            .map(|r| (r.plaintext.unwrap().expose().to_vec(), r.key_id.unwrap()))
            .map_err(|e| e.code())
    }
}

#[tokio::test]
async fn a_multi_region_key_and_its_replica_decrypt_each_others_ciphertexts() {
    let w = world().await;
    let p = w.primary().await;
    assert!(p.key_id.starts_with("mrk-") && p.key_id.len() == 36, "{}", p.key_id);
    assert!(p.multi_region);
    let conf = p.multi_region_configuration.clone().unwrap();
    assert_eq!(conf.multi_region_key_type, MultiRegionKeyType::Primary);
    assert_eq!(conf.primary_key.region, "us-east-1");
    assert!(conf.replica_keys.is_empty());

    let r = w.replicate(&p.key_id, "eu-west-1").await.unwrap();
    let rm = r.replica_key_metadata.unwrap();
    assert_eq!(rm.key_id, p.key_id);
    assert_eq!(rm.arn, format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{}", p.key_id));
    assert_eq!(rm.description, "replica in eu-west-1");
    assert_eq!(rm.key_state, KeyState::Enabled);
    assert!(r.replica_policy.unwrap().contains("kms:*"));
    let rc = rm.multi_region_configuration.unwrap();
    assert_eq!(rc.multi_region_key_type, MultiRegionKeyType::Replica);
    assert_eq!(rc.primary_key.arn, p.arn);
    assert_eq!(rc.replica_keys.iter().map(|k| k.region.as_str()).collect::<Vec<_>>(), ["eu-west-1"]);

    // DescribeKey on the primary now lists the replica.
    let d = w.describe(&w.east, &p.key_id).await.unwrap();
    assert_eq!(d.multi_region_configuration.unwrap().replica_keys[0].arn, rm.arn);

    // Encrypt in one Region, decrypt in the other, both ways.
    let from_east = w.encrypt(&w.east, &p.key_id, b"made in us-east-1").await.unwrap();
    let (pt, key) = w.decrypt(&w.west, &from_east).await.unwrap();
    assert_eq!(pt, b"made in us-east-1");
    assert_eq!(key, rm.arn, "decrypted by the replica in the caller's Region");
    let from_west = w.encrypt(&w.west, &p.key_id, b"made in eu-west-1").await.unwrap();
    assert_eq!(w.decrypt(&w.east, &from_west).await.unwrap(), (b"made in eu-west-1".to_vec(), p.arn.clone()));
    // A Region with no related key cannot decrypt.
    let south = common::root_caller(ACCOUNT, "ap-south-1");
    assert!(w.decrypt(&south, &from_east).await.is_err());
}

#[tokio::test]
async fn replicas_have_their_own_state_aliases_and_policy() {
    let w = world().await;
    let p = w.primary().await;
    w.replicate(&p.key_id, "eu-west-1").await.unwrap();
    let disable = DisableKeyRequest { key_id: Some(p.key_id.clone()) };
    w.kms.disable_key(&w.west, disable).await.unwrap();
    assert_eq!(w.describe(&w.west, &p.key_id).await.unwrap().key_state, KeyState::Disabled);
    assert_eq!(w.describe(&w.east, &p.key_id).await.unwrap().key_state, KeyState::Enabled);
    assert_eq!(w.encrypt(&w.west, &p.key_id, b"x").await, Err(ErrorCode::Disabled));
    assert!(w.encrypt(&w.east, &p.key_id, b"x").await.is_ok());

    // The same alias name in each Region, each to its own key.
    for c in [&w.east, &w.west] {
        let req = CreateAliasRequest { alias_name: Some("alias/app".into()), target_key_id: Some(p.key_id.clone()) };
        w.kms.create_alias(c, req).await.unwrap();
    }
    assert_eq!(w.describe(&w.west, "alias/app").await.unwrap().arn.split(':').nth(3), Some("eu-west-1"));
}

#[tokio::test]
async fn replication_errors() {
    let w = world().await;
    let single = w.kms.create_key(&w.east, CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap();
    assert_eq!(w.replicate(&single.key_id, "eu-west-1").await.unwrap_err(), ErrorCode::UnsupportedOperation);
    let p = w.primary().await;
    assert_eq!(w.replicate(&p.key_id, "us-east-1").await.unwrap_err(), ErrorCode::Validation);
    assert_eq!(w.replicate(&p.key_id, "sa-east-1").await.unwrap_err(), ErrorCode::UnsupportedOperation);
    w.replicate(&p.key_id, "eu-west-1").await.unwrap();
    assert_eq!(w.replicate(&p.key_id, "eu-west-1").await.unwrap_err(), ErrorCode::AlreadyExists);
    // A replica cannot be replicated.
    let req = ReplicateKeyRequest {
        key_id: Some(p.key_id.clone()),
        replica_region: Some("ap-south-1".into()),
        ..Default::default()
    };
    assert_eq!(w.kms.replicate_key(&w.west, req).await.unwrap_err().code(), ErrorCode::UnsupportedOperation);
    // A single-Region key is never visible from another Region.
    assert_eq!(w.describe(&w.west, &single.key_id).await.unwrap_err(), ErrorCode::NotFound);
    assert_eq!(w.describe(&w.west, &single.arn).await.unwrap_err(), ErrorCode::NotFound);
    let blob = w.encrypt(&w.east, &single.key_id, b"x").await.unwrap();
    assert!(w.decrypt(&w.west, &blob).await.is_err());
    // Imported material is not offered for multi-Region keys yet.
    let req = CreateKeyRequest {
        multi_region: Some(true),
        origin: Some(trent_api::enums::Origin::External),
        ..Default::default()
    };
    assert_eq!(w.kms.create_key(&w.east, req).await.unwrap_err().code(), ErrorCode::UnsupportedOperation);
}

#[tokio::test]
async fn rotating_the_primary_reaches_every_replica() {
    let w = world().await;
    let p = w.primary().await;
    w.replicate(&p.key_id, "eu-west-1").await.unwrap();
    let old = w.encrypt(&w.east, &p.key_id, b"old").await.unwrap();
    let req = RotateKeyOnDemandRequest { key_id: Some(p.key_id.clone()) };
    // Only the primary rotates.
    assert_eq!(
        w.kms
            .rotate_key_on_demand(&w.west, RotateKeyOnDemandRequest { key_id: Some(p.key_id.clone()) })
            .await
            .unwrap_err()
            .code(),
        ErrorCode::UnsupportedOperation
    );
    w.kms.rotate_key_on_demand(&w.east, req).await.unwrap();
    let east = w.describe(&w.east, &p.key_id).await.unwrap();
    let west = w.describe(&w.west, &p.key_id).await.unwrap();
    assert_eq!(east.current_key_material_id, west.current_key_material_id);
    assert_ne!(east.current_key_material_id, p.current_key_material_id);
    let new = w.encrypt(&w.west, &p.key_id, b"new").await.unwrap();
    for c in [&w.east, &w.west] {
        assert_eq!(w.decrypt(c, &old).await.unwrap().0, b"old");
        assert_eq!(w.decrypt(c, &new).await.unwrap().0, b"new");
    }

    // Automatic rotation is the primary's; the replica reports it.
    let enable = |k: &str| EnableKeyRotationRequest { key_id: Some(k.into()), rotation_period_in_days: Some(90) };
    assert_eq!(
        w.kms.enable_key_rotation(&w.west, enable(&p.key_id)).await.unwrap_err().code(),
        ErrorCode::UnsupportedOperation
    );
    w.kms.enable_key_rotation(&w.east, enable(&p.key_id)).await.unwrap();
    let status = w
        .kms
        .get_key_rotation_status(&w.west, GetKeyRotationStatusRequest { key_id: Some(p.key_id.clone()) })
        .await
        .unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(90));
    w.clock.advance(91 * DAY);
    assert_eq!(w.kms.run_due_jobs().await.unwrap().rotated, 1);
    let east2 = w.describe(&w.east, &p.key_id).await.unwrap();
    let west2 = w.describe(&w.west, &p.key_id).await.unwrap();
    assert_eq!(east2.current_key_material_id, west2.current_key_material_id);
    assert_ne!(east2.current_key_material_id, east.current_key_material_id);
}

#[tokio::test]
async fn update_primary_region_swaps_the_roles() {
    let w = world().await;
    let p = w.primary().await;
    w.replicate(&p.key_id, "eu-west-1").await.unwrap();
    let req = |k: &str, r: &str| UpdatePrimaryRegionRequest { key_id: Some(k.into()), primary_region: Some(r.into()) };
    assert_eq!(
        w.kms.update_primary_region(&w.east, req(&p.key_id, "ap-south-1")).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    w.kms.update_primary_region(&w.east, req(&p.key_id, "eu-west-1")).await.unwrap();
    let west = w.describe(&w.west, &p.key_id).await.unwrap().multi_region_configuration.unwrap();
    assert_eq!(west.multi_region_key_type, MultiRegionKeyType::Primary);
    let east = w.describe(&w.east, &p.key_id).await.unwrap().multi_region_configuration.unwrap();
    assert_eq!(east.multi_region_key_type, MultiRegionKeyType::Replica);
    assert_eq!(east.primary_key.region, "eu-west-1");
    assert_eq!(east.replica_keys.iter().map(|k| k.region.as_str()).collect::<Vec<_>>(), ["us-east-1"]);
    // The old primary is a replica now: it cannot be replicated or rotated.
    assert_eq!(w.replicate(&p.key_id, "ap-south-1").await.unwrap_err(), ErrorCode::UnsupportedOperation);
    let rot = RotateKeyOnDemandRequest { key_id: Some(p.key_id.clone()) };
    assert!(w.kms.rotate_key_on_demand(&w.west, rot).await.is_ok());
}

#[tokio::test]
async fn deleting_a_primary_waits_for_its_replicas() {
    let w = world().await;
    let p = w.primary().await;
    w.replicate(&p.key_id, "eu-west-1").await.unwrap();
    let blob = w.encrypt(&w.east, &p.key_id, b"keep").await.unwrap();
    let schedule =
        |k: &str, days| ScheduleKeyDeletionRequest { key_id: Some(k.into()), pending_window_in_days: Some(days) };
    let r = w.kms.schedule_key_deletion(&w.east, schedule(&p.key_id, 7)).await.unwrap();
    assert_eq!(r.key_state, Some(KeyState::PendingReplicaDeletion));
    assert_eq!(r.deletion_date, None);
    assert_eq!(w.encrypt(&w.east, &p.key_id, b"x").await, Err(ErrorCode::KmsInvalidState));
    // The replica still works, until its own deletion.
    assert_eq!(w.decrypt(&w.west, &blob).await.unwrap().0, b"keep");
    w.kms.schedule_key_deletion(&w.west, schedule(&p.key_id, 10)).await.unwrap();
    w.clock.advance(30 * DAY);
    let report = w.kms.run_due_jobs().await.unwrap();
    assert_eq!(report.destroyed, 1, "the replica");
    assert_eq!(w.describe(&w.west, &p.key_id).await.unwrap_err(), ErrorCode::NotFound);
    // The primary's own 7-day window has begun.
    let d = w.describe(&w.east, &p.key_id).await.unwrap();
    assert_eq!(d.key_state, KeyState::PendingDeletion);
    assert!(d.deletion_date.is_some());
    let cancel = CancelKeyDeletionRequest { key_id: Some(p.key_id.clone()) };
    w.kms.cancel_key_deletion(&w.east, cancel).await.unwrap();
    assert_eq!(w.describe(&w.east, &p.key_id).await.unwrap().key_state, KeyState::Disabled);
    // Its material survived the replica's destruction.
    w.kms.enable_key(&w.east, EnableKeyRequest { key_id: Some(p.key_id.clone()) }).await.unwrap();
    assert_eq!(w.decrypt(&w.east, &blob).await.unwrap().0, b"keep");
    w.kms.schedule_key_deletion(&w.east, schedule(&p.key_id, 7)).await.unwrap();
    w.clock.advance(8 * DAY);
    assert_eq!(w.kms.run_due_jobs().await.unwrap().destroyed, 1);
    assert!(w.decrypt(&w.east, &blob).await.is_err());
}

#[tokio::test]
async fn asymmetric_and_hmac_multi_region_keys() {
    let w = world().await;
    let create = |spec, usage| CreateKeyRequest {
        multi_region: Some(true),
        key_spec: Some(spec),
        key_usage: Some(usage),
        ..Default::default()
    };
    let ec = w.kms.create_key(&w.east, create(KeySpec::EccNistP256, KeyUsage::SignVerify)).await.unwrap();
    let id = ec.key_metadata.unwrap().key_id;
    w.replicate(&id, "eu-west-1").await.unwrap();
    let sign = SignRequest {
        key_id: Some(id.clone()),
        message: plaintext(b"msg"),
        signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
        ..Default::default()
    };
    let sig = w.kms.sign(&w.east, sign).await.unwrap().signature.unwrap();
    let verify = VerifyRequest {
        key_id: Some(id.clone()),
        message: plaintext(b"msg"),
        signature: Some(sig),
        signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
        ..Default::default()
    };
    assert_eq!(w.kms.verify(&w.west, verify).await.unwrap().signature_valid, Some(true));

    let hmac = w.kms.create_key(&w.east, create(KeySpec::Hmac256, KeyUsage::GenerateVerifyMac)).await.unwrap();
    let id = hmac.key_metadata.unwrap().key_id;
    w.replicate(&id, "eu-west-1").await.unwrap();
    let alg = trent_api::enums::MacAlgorithm::HmacSha256;
    let gen = GenerateMacRequest {
        key_id: Some(id.clone()),
        message: plaintext(b"m"),
        mac_algorithm: Some(alg.clone()),
        ..Default::default()
    };
    let mac = w.kms.generate_mac(&w.west, gen).await.unwrap().mac.unwrap();
    let verify = VerifyMacRequest {
        key_id: Some(id),
        message: plaintext(b"m"),
        mac: Some(mac),
        mac_algorithm: Some(alg),
        ..Default::default()
    };
    assert_eq!(w.kms.verify_mac(&w.east, verify).await.unwrap().mac_valid, Some(true));
}

#[tokio::test]
async fn condition_keys_of_multi_region_keys() {
    let w = world().await;
    let p = w.primary().await;
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": root}, "Action": "kms:ReplicateKey", "Resource": "*",
             "Condition": {"StringEquals": {"kms:ReplicaRegion": "ap-south-1"}}},
            {"Effect": "Deny", "Principal": {"AWS": root}, "Action": "kms:Encrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:MultiRegionKeyType": "REPLICA"}}},
            {"Effect": "Deny", "Principal": {"AWS": root}, "Action": "kms:UpdatePrimaryRegion", "Resource": "*",
             "Condition": {"StringEquals": {"kms:PrimaryRegion": "ap-south-1"}}}
        ]
    });
    let put = PutKeyPolicyRequest {
        key_id: Some(p.key_id.clone()),
        policy: Some(policy.to_string()),
        policy_name: Some("default".into()),
        ..Default::default()
    };
    w.kms.put_key_policy(&w.east, put).await.unwrap();
    assert_eq!(w.replicate(&p.key_id, "ap-south-1").await.unwrap_err(), ErrorCode::AccessDenied);
    w.replicate(&p.key_id, "eu-west-1").await.unwrap();
    // The replica got its own policy (the default): kms:MultiRegionKeyType
    // is REPLICA there, but the primary's policy does not apply to it.
    assert!(w.encrypt(&w.west, &p.key_id, b"x").await.is_ok());
    assert!(w.encrypt(&w.east, &p.key_id, b"x").await.is_ok(), "PRIMARY here");
    let to = |r: &str| UpdatePrimaryRegionRequest { key_id: Some(p.key_id.clone()), primary_region: Some(r.into()) };
    assert_eq!(
        w.kms.update_primary_region(&w.east, to("ap-south-1")).await.unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    // After the move the old primary is a REPLICA: its policy denies Encrypt.
    w.kms.update_primary_region(&w.east, to("eu-west-1")).await.unwrap();
    assert_eq!(w.encrypt(&w.east, &p.key_id, b"x").await.unwrap_err(), ErrorCode::AccessDenied);
}

#[tokio::test]
async fn replica_policies_grants_and_listings_are_per_region() {
    let w = world().await;
    let p = w.primary().await;
    // The replica's policy is checked as CreateKey checks one.
    let bad = ReplicateKeyRequest {
        key_id: Some(p.key_id.clone()),
        replica_region: Some("eu-west-1".into()),
        policy: Some("{not json".into()),
        ..Default::default()
    };
    assert_eq!(w.kms.replicate_key(&w.east, bad).await.unwrap_err().code(), ErrorCode::MalformedPolicyDocument);
    let locked_out = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:Encrypt", "Resource": "*"}]})
    .to_string();
    let req = |bypass| ReplicateKeyRequest {
        key_id: Some(p.key_id.clone()),
        replica_region: Some("eu-west-1".into()),
        policy: Some(locked_out.clone()),
        bypass_policy_lockout_safety_check: bypass,
        ..Default::default()
    };
    assert_eq!(w.kms.replicate_key(&w.east, req(None)).await.unwrap_err().code(), ErrorCode::MalformedPolicyDocument);
    let r = w.kms.replicate_key(&w.east, req(Some(true))).await.unwrap();
    assert_eq!(r.replica_policy.as_deref(), Some(locked_out.as_str()));
    // Each Region lists its own key.
    for c in [&w.east, &w.west] {
        let keys = w.kms.list_keys(c, ListKeysRequest::default()).await.unwrap().keys;
        assert_eq!(keys.len(), 1);
        assert!(keys[0].key_arn.contains(c.region.as_str()));
    }
    // A grant on the primary is the primary's alone.
    let grant = CreateGrantRequest {
        key_id: Some(p.key_id.clone()),
        grantee_principal: Some(format!("arn:aws:iam::{ACCOUNT}:root")),
        operations: Some(vec![trent_api::enums::GrantOperation::Decrypt]),
        ..Default::default()
    };
    w.kms.create_grant(&w.east, grant).await.unwrap();
    let list = |c: &Caller| {
        let req = ListGrantsRequest { key_id: Some(p.key_id.clone()), ..Default::default() };
        let kms = &w.kms;
        let c = c.clone();
        async move { kms.list_grants(&c, req).await }
    };
    assert_eq!(list(&w.east).await.unwrap().grants.len(), 1);
    // The replica's policy allows only Encrypt: ListGrants is denied there.
    assert_eq!(list(&w.west).await.unwrap_err().code(), ErrorCode::AccessDenied);
    // A replica with the default policy lists no grant: it has none.
    w.replicate(&p.key_id, "ap-south-1").await.unwrap();
    let south = common::root_caller(ACCOUNT, "ap-south-1");
    assert!(list(&south).await.unwrap().grants.is_empty());
}
