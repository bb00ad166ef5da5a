//! The key lifecycle through `aws-sdk-kms`: tags and descriptions, rotation
//! (on demand and automatic), scheduled deletion, with the server on a clock
//! the test moves (the SDK signs with the same clock).

use crate::common::TestServer;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{IncludeKeyMaterial, KeyMaterialState, KeyState, RotationType, Tag};
use std::sync::Arc;
use trent_core::ManualClock;

const DAY_MS: i64 = 86_400_000;

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_owned()
}

fn message<E: ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or("").to_owned()
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().tag_key(k).tag_value(v).build().unwrap()
}

#[tokio::test]
async fn descriptions_and_tags_through_the_sdk() {
    let s = TestServer::builder().build().await;
    let kms = s.client();
    let key = kms
        .create_key()
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();

    kms.update_key_description().key_id(&key).description("renamed").send().await.unwrap();
    let md = kms.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(md.key_metadata().unwrap().description(), Some("renamed"));

    kms.tag_resource().key_id(&key).tags(tag("env", "prod")).tags(tag("team", "pay")).send().await.unwrap();
    let tags = kms.list_resource_tags().key_id(&key).send().await.unwrap();
    assert_eq!(tags.tags(), &[tag("env", "prod"), tag("team", "pay")]);
    assert!(!tags.truncated());
    let page = kms.list_resource_tags().key_id(&key).limit(1).send().await.unwrap();
    assert!(page.truncated());
    let rest = kms.list_resource_tags().key_id(&key).marker(page.next_marker().unwrap()).send().await.unwrap();
    assert_eq!(rest.tags(), &[tag("team", "pay")]);

    kms.untag_resource().key_id(&key).tag_keys("env").send().await.unwrap();
    assert_eq!(kms.list_resource_tags().key_id(&key).send().await.unwrap().tags(), &[tag("team", "pay")]);

    let e = kms.tag_resource().key_id(&key).tags(tag("aws:reserved", "x")).send().await.unwrap_err();
    assert_eq!(code(&e), "TagException");
    let e = kms.tag_resource().key_id(&key).tags(tag(&"k".repeat(129), "x")).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    assert!(message(&e).contains("at 'tags.1.member.tagKey' failed to satisfy constraint"), "{}", message(&e));
    let e = kms.update_key_description().key_id("alias/nope").description("x").send().await.unwrap_err();
    assert_eq!(code(&e), "NotFoundException");
    s.stop().await;
}

#[tokio::test]
async fn rotation_through_the_sdk() {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let s = TestServer::builder().manual_clock(clock.clone()).build().await;
    let kms = s.client();
    let md = kms.create_key().send().await.unwrap();
    let key = md.key_metadata().unwrap().key_id().to_owned();
    let first_material = md.key_metadata().unwrap().current_key_material_id().unwrap().to_owned();
    let old = kms.encrypt().key_id(&key).plaintext(Blob::new(b"before".to_vec())).send().await.unwrap();

    let st = kms.get_key_rotation_status().key_id(&key).send().await.unwrap();
    assert!(!st.key_rotation_enabled());
    let e = kms.enable_key_rotation().key_id(&key).rotation_period_in_days(89).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    kms.enable_key_rotation().key_id(&key).rotation_period_in_days(90).send().await.unwrap();
    let st = kms.get_key_rotation_status().key_id(&key).send().await.unwrap();
    assert!(st.key_rotation_enabled());
    assert_eq!(st.rotation_period_in_days(), Some(90));
    let next = st.next_rotation_date().unwrap();
    assert_eq!(next.secs(), (1_800_000_000_000 + 90 * DAY_MS) / 1000);

    kms.rotate_key_on_demand().key_id(&key).send().await.unwrap();
    clock.advance(90 * DAY_MS);
    let report = s.state.kms().run_due_jobs().await.unwrap();
    assert_eq!(report.rotated, 1);

    let rotations = kms.list_key_rotations().key_id(&key).send().await.unwrap();
    let types: Vec<_> = rotations.rotations().iter().map(|r| r.rotation_type().cloned()).collect();
    assert_eq!(types, vec![Some(RotationType::OnDemand), Some(RotationType::Automatic)]);
    let all = kms
        .list_key_rotations()
        .key_id(&key)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await
        .unwrap();
    assert_eq!(all.rotations().len(), 3);
    assert_eq!(all.rotations()[0].key_material_id(), Some(first_material.as_str()));
    assert_eq!(all.rotations()[2].key_material_state(), Some(&KeyMaterialState::Current));

    let dec = kms.decrypt().ciphertext_blob(old.ciphertext_blob().unwrap().clone()).send().await.unwrap();
    assert_eq!(dec.plaintext().unwrap().as_ref(), b"before");
    assert_eq!(dec.key_material_id(), Some(first_material.as_str()));
    let new = kms.encrypt().key_id(&key).plaintext(Blob::new(b"after".to_vec())).send().await.unwrap();
    let dec = kms.decrypt().ciphertext_blob(new.ciphertext_blob().unwrap().clone()).send().await.unwrap();
    assert_eq!(dec.key_material_id(), all.rotations()[2].key_material_id());

    kms.disable_key_rotation().key_id(&key).send().await.unwrap();
    assert!(!kms.get_key_rotation_status().key_id(&key).send().await.unwrap().key_rotation_enabled());
    kms.disable_key().key_id(&key).send().await.unwrap();
    let e = kms.rotate_key_on_demand().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "DisabledException");
    s.stop().await;
}

#[tokio::test]
async fn deletion_through_the_sdk_and_the_scheduler_task() {
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    // A one-second scheduler: the background task, not the test, destroys the key.
    let s = TestServer::builder().manual_clock(clock.clone()).scheduler_interval_secs(1).build().await;
    let kms = s.client();
    let key = kms.create_key().send().await.unwrap().key_metadata().unwrap().arn().unwrap().to_owned();
    kms.create_alias().alias_name("alias/short-lived").target_key_id(&key).send().await.unwrap();
    let blob = kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap();
    let blob = blob.ciphertext_blob().unwrap().clone();

    let e = kms.schedule_key_deletion().key_id(&key).pending_window_in_days(6).send().await.unwrap_err();
    assert_eq!(
        (code(&e), message(&e)),
        ("ValidationException".into(), "PendingWindowInDays must be between 7 and 30".into())
    );
    let r = kms.schedule_key_deletion().key_id(&key).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(r.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(r.pending_window_in_days(), Some(7));
    assert_eq!(r.key_id(), Some(key.as_str()));
    let e = kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("KMSInvalidStateException".into(), format!("{key} is pending deletion.")));
    let c = kms.cancel_key_deletion().key_id(&key).send().await.unwrap();
    assert_eq!(c.key_id(), Some(key.as_str()));
    let md = kms.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(md.key_metadata().unwrap().key_state(), Some(&KeyState::Disabled));
    let e = kms.cancel_key_deletion().key_id(&key).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("KMSInvalidStateException".into(), format!("{key} is not pending deletion.")));

    kms.schedule_key_deletion().key_id(&key).pending_window_in_days(7).send().await.unwrap();
    clock.advance(7 * DAY_MS);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match kms.describe_key().key_id(&key).send().await {
            Err(e) if code(&e) == "NotFoundException" => break,
            Ok(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            other => panic!("the scheduler did not destroy the key: {other:?}"),
        }
    }
    let e = kms.decrypt().ciphertext_blob(blob).send().await.unwrap_err();
    assert_eq!(code(&e), "NotFoundException");
    assert!(kms.list_aliases().send().await.unwrap().aliases().is_empty(), "the alias went with the key");
    assert!(kms.list_keys().send().await.unwrap().keys().is_empty());
    s.stop().await;
}
