//! Lifecycle scenarios on the in-memory store with a moved clock: rotation
//! (on demand and automatic), scheduled deletion and the scheduler, tags and
//! descriptions, and the key-state rules of each operation.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use trent_api::enums::{IncludeKeyMaterial, KeyMaterialState, KeyState, RotationType};

use trent_api::ops::*;
use trent_api::{Blob, ErrorCode, SensitiveBlob};
use trent_core::memory::InMemoryStore;
use trent_core::{Caller, JobReport, Kms, KmsOptions, ManualClock, Store};

const DAY: i64 = 86_400_000;

struct World {
    kms: Kms,
    clock: Arc<ManualClock>,
    store: Arc<InMemoryStore>,
    alice: Caller,
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let store = Arc::new(InMemoryStore::new());
    let kms = common::kms_with(
        store.clone(),
        clock.clone(),
        KmsOptions { backing_key_cache_capacity: 8, ..KmsOptions::default() },
    )
    .await;
    let alice = common::root_caller("111122223333", "us-east-1");
    World { kms, clock, store, alice }
}

impl World {
    async fn key(&self) -> KeyMetadata {
        self.kms.create_key(&self.alice, CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap()
    }

    async fn encrypt(&self, key: &str, data: &[u8]) -> Vec<u8> {
        let req = EncryptRequest {
            key_id: Some(key.into()),
            plaintext: Some(SensitiveBlob::new(zeroize::Zeroizing::new(data.to_vec()))),
            ..Default::default()
        };
        self.kms.encrypt(&self.alice, req).await.map(|r| r.ciphertext_blob.unwrap().0).unwrap()
    }

    async fn decrypt(&self, blob: &[u8]) -> Result<(Vec<u8>, String), ErrorCode> {
        let req = DecryptRequest { ciphertext_blob: Some(Blob(blob.to_vec())), ..Default::default() };
        self.kms
            .decrypt(&self.alice, req)
            .await
            .map(|r| (r.plaintext.unwrap().expose().to_vec(), r.key_material_id.unwrap()))
            .map_err(|e| e.code())
    }

    async fn describe(&self, key: &str) -> Result<KeyMetadata, ErrorCode> {
        let req = DescribeKeyRequest { key_id: Some(key.into()), ..Default::default() };
        self.kms.describe_key(&self.alice, req).await.map(|r| r.key_metadata.unwrap()).map_err(|e| e.code())
    }

    async fn rotate(&self, key: &str) -> Result<(), ErrorCode> {
        let req = RotateKeyOnDemandRequest { key_id: Some(key.into()) };
        self.kms.rotate_key_on_demand(&self.alice, req).await.map(|_| ()).map_err(|e| e.code())
    }

    async fn rotations(&self, key: &str, all: bool) -> Vec<RotationsListEntry> {
        let mut out = Vec::new();
        let mut marker = None;
        loop {
            let req = ListKeyRotationsRequest {
                key_id: Some(key.into()),
                include_key_material: all.then_some(IncludeKeyMaterial::AllKeyMaterial),
                limit: Some(7),
                marker: marker.take(),
            };
            let page = self.kms.list_key_rotations(&self.alice, req).await.unwrap();
            out.extend(page.rotations);
            match page.next_marker {
                Some(m) if page.truncated => marker = Some(m),
                _ => return out,
            }
        }
    }

    async fn schedule(&self, key: &str, days: Option<i64>) -> Result<ScheduleKeyDeletionResponse, ErrorCode> {
        let req = ScheduleKeyDeletionRequest { key_id: Some(key.into()), pending_window_in_days: days };
        self.kms.schedule_key_deletion(&self.alice, req).await.map_err(|e| e.code())
    }

    async fn cancel(&self, key: &str) -> Result<(), ErrorCode> {
        let req = CancelKeyDeletionRequest { key_id: Some(key.into()) };
        self.kms.cancel_key_deletion(&self.alice, req).await.map(|_| ()).map_err(|e| e.code())
    }

    async fn status(&self, key: &str) -> GetKeyRotationStatusResponse {
        let req = GetKeyRotationStatusRequest { key_id: Some(key.into()) };
        self.kms.get_key_rotation_status(&self.alice, req).await.unwrap()
    }

    async fn jobs(&self) -> JobReport {
        self.kms.run_due_jobs().await.unwrap()
    }
}

#[tokio::test]
async fn rotate_on_demand_and_every_old_ciphertext_still_decrypts() {
    let w = world().await;
    let k = w.key().await;
    let mut blobs = vec![(w.encrypt(&k.key_id, b"v1").await, k.current_key_material_id.clone().unwrap())];
    let mut materials = vec![k.current_key_material_id.clone().unwrap()];
    for i in 0..100 {
        // AWS allows 25 on-demand rotations; the rest are automatic.
        if i < 25 {
            w.rotate(&k.key_id).await.unwrap();
        } else {
            let req = EnableKeyRotationRequest { key_id: Some(k.key_id.clone()), rotation_period_in_days: Some(90) };
            w.kms.enable_key_rotation(&w.alice, req).await.unwrap();
            w.clock.advance(90 * DAY);
            assert_eq!(w.jobs().await, JobReport { rotated: 1, ..JobReport::default() });
        }
        let m = w.describe(&k.key_id).await.unwrap().current_key_material_id.unwrap();
        assert!(!materials.contains(&m), "rotation {i} made new material");
        materials.push(m.clone());
        blobs.push((w.encrypt(&k.key_id, format!("v{}", i + 2).as_bytes()).await, m));
    }
    for (i, (blob, material)) in blobs.iter().enumerate() {
        let (pt, used) = w.decrypt(blob).await.unwrap();
        assert_eq!(pt, format!("v{}", i + 1).as_bytes());
        assert_eq!(&used, material, "decrypt reports the material that made the ciphertext");
    }
    assert_eq!(w.rotate(&k.key_id).await, Err(ErrorCode::LimitExceeded), "26th on-demand rotation");

    let rotations = w.rotations(&k.key_id, false).await;
    assert_eq!(rotations.len(), 100);
    assert_eq!(rotations.iter().filter(|r| r.rotation_type == Some(RotationType::OnDemand)).count(), 25);
    assert!(rotations.iter().all(|r| r.rotation_date.is_some()));
    let all = w.rotations(&k.key_id, true).await;
    assert_eq!(all.len(), 101);
    assert_eq!(all[0].key_material_id.as_deref(), Some(materials[0].as_str()));
    assert_eq!(all[0].rotation_type, None);
    assert_eq!(all.iter().filter(|r| r.key_material_state == Some(KeyMaterialState::Current)).count(), 1);
    assert_eq!(all[100].key_material_state, Some(KeyMaterialState::Current));
}

#[tokio::test]
async fn automatic_rotation_follows_its_schedule() {
    let w = world().await;
    let k = w.key().await;
    assert!(!w.status(&k.key_id).await.key_rotation_enabled);
    let req = EnableKeyRotationRequest { key_id: Some(k.key_id.clone()), rotation_period_in_days: None };
    w.kms.enable_key_rotation(&w.alice, req).await.unwrap();
    let s = w.status(&k.key_id).await;
    assert!(s.key_rotation_enabled);
    assert_eq!(s.rotation_period_in_days, Some(365));
    let next = s.next_rotation_date.unwrap().millis();
    assert_eq!(next, 1_700_000_000_000 + 365 * DAY);

    w.clock.advance(364 * DAY);
    assert_eq!(w.jobs().await.rotated, 0, "not due yet");
    w.clock.advance(DAY);
    assert_eq!(w.jobs().await.rotated, 1);
    assert_eq!(w.jobs().await.rotated, 0, "a second pass does nothing");
    assert_eq!(w.status(&k.key_id).await.next_rotation_date.unwrap().millis(), next + 365 * DAY);
    assert_eq!(w.rotations(&k.key_id, false).await[0].rotation_type, Some(RotationType::Automatic));

    // A disabled key is not rotated; re-enabled past its date, it is.
    w.kms.disable_key(&w.alice, DisableKeyRequest { key_id: Some(k.key_id.clone()) }).await.unwrap();
    w.clock.advance(400 * DAY);
    assert_eq!(w.jobs().await.rotated, 0);
    w.kms.enable_key(&w.alice, EnableKeyRequest { key_id: Some(k.key_id.clone()) }).await.unwrap();
    assert_eq!(w.jobs().await.rotated, 1);

    let req = DisableKeyRotationRequest { key_id: Some(k.key_id.clone()) };
    w.kms.disable_key_rotation(&w.alice, req).await.unwrap();
    let s = w.status(&k.key_id).await;
    assert!(!s.key_rotation_enabled && s.next_rotation_date.is_none() && s.rotation_period_in_days.is_none());
    w.clock.advance(4000 * DAY);
    assert_eq!(w.jobs().await.rotated, 0);
}

#[tokio::test]
async fn schedule_cancel_reschedule_and_let_deletion_happen() {
    let w = world().await;
    let k = w.key().await;
    let other = w.key().await;
    let blob = w.encrypt(&k.key_id, b"doomed").await;
    w.rotate(&k.key_id).await.unwrap();
    let blob2 = w.encrypt(&k.key_id, b"doomed too").await;
    w.kms
        .create_alias(
            &w.alice,
            CreateAliasRequest { alias_name: Some("alias/doomed".into()), target_key_id: Some(k.key_id.clone()) },
        )
        .await
        .unwrap();
    w.kms
        .create_alias(
            &w.alice,
            CreateAliasRequest { alias_name: Some("alias/kept".into()), target_key_id: Some(other.key_id.clone()) },
        )
        .await
        .unwrap();

    for bad in [6, 31] {
        assert_eq!(w.schedule(&k.key_id, Some(bad)).await.unwrap_err(), ErrorCode::Validation);
    }
    let r = w.schedule(&k.key_id, None).await.unwrap();
    assert_eq!(r.key_state, Some(KeyState::PendingDeletion));
    assert_eq!(r.pending_window_in_days, Some(30));
    assert_eq!(r.deletion_date.unwrap().millis(), 1_700_000_000_000 + 30 * DAY);
    assert_eq!(r.key_id.as_deref(), Some(k.arn.as_str()));
    let d = w.describe(&k.key_id).await.unwrap();
    assert_eq!(
        (d.key_state, d.enabled, d.pending_deletion_window_in_days),
        (KeyState::PendingDeletion, false, Some(30))
    );
    assert_eq!(w.schedule(&k.key_id, None).await.unwrap_err(), ErrorCode::KmsInvalidState, "already pending");
    assert_eq!(w.decrypt(&blob).await.unwrap_err(), ErrorCode::KmsInvalidState);
    assert_eq!(w.rotate(&k.key_id).await.unwrap_err(), ErrorCode::KmsInvalidState);
    let e = w.kms.enable_key(&w.alice, EnableKeyRequest { key_id: Some(k.key_id.clone()) }).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsInvalidState);
    assert_eq!(e.public_message(), format!("{} is pending deletion.", k.arn));

    w.cancel(&k.key_id).await.unwrap();
    let d = w.describe(&k.key_id).await.unwrap();
    assert_eq!((d.key_state, d.deletion_date), (KeyState::Disabled, None), "cancel leaves the key disabled");
    assert_eq!(w.cancel(&k.key_id).await.unwrap_err(), ErrorCode::KmsInvalidState, "not pending deletion");
    w.clock.advance(60 * DAY);
    assert_eq!(w.jobs().await.destroyed, 0, "a cancelled deletion never happens");

    let r = w.schedule(&k.arn, Some(7)).await.unwrap();
    assert_eq!(r.deletion_date.unwrap().millis(), w_now(&w) + 7 * DAY);
    w.clock.advance(7 * DAY - 1);
    assert_eq!(w.jobs().await.destroyed, 0);
    w.clock.advance(1);
    assert_eq!(w.jobs().await, JobReport { destroyed: 1, ..JobReport::default() });
    assert_eq!(w.jobs().await.destroyed, 0, "idempotent");

    assert_eq!(w.describe(&k.key_id).await.unwrap_err(), ErrorCode::NotFound);
    assert_eq!(w.decrypt(&blob).await.unwrap_err(), ErrorCode::NotFound);
    assert_eq!(w.decrypt(&blob2).await.unwrap_err(), ErrorCode::NotFound);
    assert_eq!(w.describe("alias/doomed").await.unwrap_err(), ErrorCode::NotFound, "its alias is gone");
    assert_eq!(w.describe("alias/kept").await.unwrap().key_id, other.key_id);
    let key_id = trent_api::ids::KeyId::parse(&k.key_id).unwrap();
    assert!(w.store.key_versions(&key_id, 0, 100).await.unwrap().is_empty(), "no material left");
    // The other key is untouched.
    let b = w.encrypt(&other.key_id, b"fine").await;
    assert_eq!(w.decrypt(&b).await.unwrap().0, b"fine");
}

fn w_now(w: &World) -> i64 {
    use trent_core::Clock as _;
    w.clock.now_millis()
}

#[tokio::test]
async fn rotation_state_rules() {
    let w = world().await;
    let k = w.key().await;
    w.kms.disable_key(&w.alice, DisableKeyRequest { key_id: Some(k.key_id.clone()) }).await.unwrap();
    let enable = EnableKeyRotationRequest { key_id: Some(k.key_id.clone()), rotation_period_in_days: None };
    let e = w.kms.enable_key_rotation(&w.alice, enable).await.unwrap_err();
    assert_eq!((e.code(), e.public_message()), (ErrorCode::Disabled, format!("{} is disabled.", k.arn)));
    assert_eq!(w.rotate(&k.key_id).await.unwrap_err(), ErrorCode::Disabled);
    let status = w
        .kms
        .get_key_rotation_status(&w.alice, GetKeyRotationStatusRequest { key_id: Some(k.key_id.clone()) })
        .await
        .unwrap();
    assert!(!status.key_rotation_enabled, "status is readable while disabled");
    // Aliases are not accepted by the rotation operations.
    assert_eq!(w.rotate("alias/anything").await.unwrap_err(), ErrorCode::NotFound);
}

#[tokio::test]
async fn descriptions_and_tags() {
    let w = world().await;
    let k = w.key().await;
    let id = || Some(k.key_id.clone());
    let tag = |k: &str, v: &str| Tag { tag_key: Some(k.into()), tag_value: Some(v.into()) };
    w.kms
        .update_key_description(&w.alice, UpdateKeyDescriptionRequest { key_id: id(), description: Some("new".into()) })
        .await
        .unwrap();
    assert_eq!(w.describe(&k.key_id).await.unwrap().description, "new");

    w.kms
        .tag_resource(&w.alice, TagResourceRequest { key_id: id(), tags: Some(vec![tag("a", "1"), tag("b", "2")]) })
        .await
        .unwrap();
    w.kms
        .tag_resource(&w.alice, TagResourceRequest { key_id: id(), tags: Some(vec![tag("a", "3"), tag("c", "")]) })
        .await
        .unwrap();
    let list = |limit, marker| ListResourceTagsRequest { key_id: id(), limit: Some(limit), marker };
    let all = w.kms.list_resource_tags(&w.alice, list(10, None)).await.unwrap();
    assert_eq!(all.tags, vec![tag("a", "3"), tag("b", "2"), tag("c", "")]);
    assert!(!all.truncated);
    let p1 = w.kms.list_resource_tags(&w.alice, list(2, None)).await.unwrap();
    assert!(p1.truncated);
    let p2 = w.kms.list_resource_tags(&w.alice, list(2, p1.next_marker)).await.unwrap();
    assert_eq!(p2.tags, vec![tag("c", "")]);
    assert!(!p2.truncated);

    w.kms
        .untag_resource(&w.alice, UntagResourceRequest { key_id: id(), tag_keys: Some(vec!["b".into(), "zz".into()]) })
        .await
        .unwrap();
    assert_eq!(
        w.kms.list_resource_tags(&w.alice, list(10, None)).await.unwrap().tags,
        vec![tag("a", "3"), tag("c", "")]
    );

    let e =
        w.kms.tag_resource(&w.alice, TagResourceRequest { key_id: id(), tags: Some(vec![tag("aws:x", "1")]) }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::Tag);
    let many: Vec<Tag> = (0..49).map(|i| tag(&format!("k{i}"), "v")).collect();
    let e = w.kms.tag_resource(&w.alice, TagResourceRequest { key_id: id(), tags: Some(many) }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::LimitExceeded, "2 + 49 > 50");

    w.schedule(&k.key_id, Some(7)).await.unwrap();
    let e = w.kms.tag_resource(&w.alice, TagResourceRequest { key_id: id(), tags: Some(vec![tag("d", "4")]) }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::KmsInvalidState);
    let e = w
        .kms
        .update_key_description(&w.alice, UpdateKeyDescriptionRequest { key_id: id(), description: Some("x".into()) })
        .await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::KmsInvalidState);
    assert_eq!(w.kms.list_resource_tags(&w.alice, list(10, None)).await.unwrap().tags.len(), 2, "still listable");
}

fn msg(bytes: &[u8]) -> SensitiveBlob {
    SensitiveBlob::new(zeroize::Zeroizing::new(bytes.to_vec()))
}

#[tokio::test]
async fn signing_keys_live_wrapped_and_die_with_their_key() {
    use trent_api::enums::{KeySpec, KeyUsage, SigningAlgorithm};
    let w = world().await;
    let mut keys = Vec::new();
    // More keys than the cache holds (8): parsed keys are evicted and
    // reloaded from the store without a change in behaviour.
    for _ in 0..10 {
        let req = CreateKeyRequest {
            key_spec: Some(KeySpec::EccNistP256),
            key_usage: Some(KeyUsage::SignVerify),
            ..Default::default()
        };
        keys.push(w.kms.create_key(&w.alice, req).await.unwrap().key_metadata.unwrap());
    }
    let sign = |key: String| {
        let req = SignRequest {
            key_id: Some(key),
            message: Some(msg(b"scenario")),
            signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
            ..Default::default()
        };
        w.kms.sign(&w.alice, req)
    };
    let verify = |key: String, sig: Vec<u8>| {
        let req = VerifyRequest {
            key_id: Some(key),
            message: Some(msg(b"scenario")),
            signature: Some(Blob(sig)),
            signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
            ..Default::default()
        };
        w.kms.verify(&w.alice, req)
    };
    for round in 0..2 {
        for k in &keys {
            let sig = sign(k.key_id.clone()).await.unwrap().signature.unwrap().0;
            assert_eq!(verify(k.key_id.clone(), sig.clone()).await.unwrap().signature_valid, Some(true), "{round}");
            // Another key's public half does not verify it.
            let other = keys.iter().find(|o| o.key_id != k.key_id).unwrap();
            assert_eq!(verify(other.key_id.clone(), sig).await.unwrap_err().code(), ErrorCode::KmsInvalidSignature);
        }
    }

    // At rest: the stored material is wrapped, so not even the public point
    // (which PKCS#8 carries) appears in it.
    let k = &keys[0];
    let public = w
        .kms
        .get_public_key(&w.alice, GetPublicKeyRequest { key_id: Some(k.key_id.clone()), ..Default::default() })
        .await
        .unwrap()
        .public_key
        .unwrap()
        .0;
    let point = &public[public.len() - 65..];
    let key_id = trent_api::ids::KeyId::parse(&k.key_id).unwrap();
    let stored = w.store.key_versions(&key_id, 0, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].wrapped_material.windows(point.len()).any(|win| win == point), "material is wrapped");

    // Rotation is for symmetric keys; deletion destroys the material.
    let req = RotateKeyOnDemandRequest { key_id: Some(k.key_id.clone()) };
    assert_eq!(w.kms.rotate_key_on_demand(&w.alice, req).await.unwrap_err().code(), ErrorCode::UnsupportedOperation);
    w.schedule(&k.key_id, Some(7)).await.unwrap();
    assert_eq!(sign(k.key_id.clone()).await.unwrap_err().code(), ErrorCode::KmsInvalidState);
    w.clock.advance(7 * DAY);
    assert_eq!(w.jobs().await.destroyed, 1);
    assert_eq!(sign(k.key_id.clone()).await.unwrap_err().code(), ErrorCode::NotFound);
    assert!(w.store.key_versions(&key_id, 0, 10).await.unwrap().is_empty(), "no material left");
}
