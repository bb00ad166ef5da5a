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

/// What a client does with GetParametersForImport's public key for
/// RSA_AES_KEY_WRAP_SHA_256: RSA-OAEP-SHA-256 of a fresh AES-256 key, then
/// the material wrapped with AES-KWP (RFC 5649) under that key.
fn wrap_rsa_aes_kwp(public_der: &[u8], material: &[u8]) -> Vec<u8> {
    use aws_lc_rs::key_wrap::{AesKek, KeyWrapPadded as _, AES_256};
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey, OAEP_SHA256_MGF1SHA256};
    let public = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_der).unwrap()).unwrap();
    let aes = [0x5au8; 32];
    let mut out = vec![0u8; public.ciphertext_size()];
    let mut wrapped = public.encrypt(&OAEP_SHA256_MGF1SHA256, &aes, &mut out, None).unwrap().to_vec();
    let mut kwp = vec![0u8; material.len() + 16];
    let kek = AesKek::new(&AES_256, &aes).unwrap();
    wrapped.extend_from_slice(kek.wrap_with_padding(material, &mut kwp).unwrap());
    wrapped
}

#[tokio::test]
async fn imported_key_material_through_the_sdk() {
    use aws_sdk_kms::types::{AlgorithmSpec, ExpirationModelType, OriginType, WrappingKeySpec};
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let s = TestServer::builder().manual_clock(clock.clone()).build().await;
    let kms = s.client();
    let md = kms.create_key().origin(OriginType::External).send().await.unwrap();
    let md = md.key_metadata().unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::PendingImport));
    let key = md.arn().unwrap().to_owned();

    let params = kms
        .get_parameters_for_import()
        .key_id(&key)
        .wrapping_algorithm(AlgorithmSpec::RsaAesKeyWrapSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa3072)
        .send()
        .await
        .unwrap();
    assert_eq!(params.parameters_valid_to().unwrap().secs(), (1_800_000_000_000 + DAY_MS) / 1000);
    let material = [0x11u8; 32];
    let encrypted = wrap_rsa_aes_kwp(params.public_key().unwrap().as_ref(), &material);
    let imported = kms
        .import_key_material()
        .key_id(&key)
        .import_token(params.import_token().unwrap().clone())
        .encrypted_key_material(Blob::new(encrypted.clone()))
        .expiration_model(ExpirationModelType::KeyMaterialExpires)
        .valid_to(aws_sdk_kms::primitives::DateTime::from_secs((1_800_000_000_000 + 2 * DAY_MS) / 1000))
        .send()
        .await
        .unwrap();
    assert_eq!(imported.key_id(), Some(key.as_str()));
    let md = kms.describe_key().key_id(&key).send().await.unwrap();
    let md = md.key_metadata().unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert_eq!(md.expiration_model(), Some(&ExpirationModelType::KeyMaterialExpires));
    assert_eq!(md.current_key_material_id(), imported.key_material_id());
    let ct = kms.encrypt().key_id(&key).plaintext(Blob::new(b"byok".to_vec())).send().await.unwrap();
    let ct = ct.ciphertext_blob().unwrap().clone();

    // The material expires: the scheduler deletes it.
    clock.advance(2 * DAY_MS);
    assert_eq!(s.state.kms().run_due_jobs().await.unwrap().expired, 1);
    let md = kms.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(md.key_metadata().unwrap().key_state(), Some(&KeyState::PendingImport));
    let e = kms.decrypt().ciphertext_blob(ct.clone()).send().await.unwrap_err();
    assert_eq!((code(&e), message(&e)), ("KMSInvalidStateException".into(), format!("{key} is pending import.")));

    // The old token has expired too.
    let e = kms
        .import_key_material()
        .key_id(&key)
        .import_token(params.import_token().unwrap().clone())
        .encrypted_key_material(Blob::new(encrypted))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ExpiredImportTokenException");

    let params = kms
        .get_parameters_for_import()
        .key_id(&key)
        .wrapping_algorithm(AlgorithmSpec::RsaAesKeyWrapSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap();
    let again = kms
        .import_key_material()
        .key_id(&key)
        .import_token(params.import_token().unwrap().clone())
        .encrypted_key_material(Blob::new(wrap_rsa_aes_kwp(params.public_key().unwrap().as_ref(), &material)))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap();
    assert_eq!(again.key_material_id(), imported.key_material_id());
    let pt = kms.decrypt().ciphertext_blob(ct).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"byok");

    let del = kms.delete_imported_key_material().key_id(&key).send().await.unwrap();
    assert_eq!(del.key_material_id(), imported.key_material_id());
    let e = kms.enable_key_rotation().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException", "no automatic rotation of imported material");
    s.stop().await;
}
