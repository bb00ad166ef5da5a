//! Scenario tests of the core on the in-memory store: no HTTP, no disk.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use trent_api::enums::{DataKeySpec, KeyState};
use trent_api::ids::AccountId;
use trent_api::ops::*;
use trent_api::{Blob, ErrorCode, SensitiveBlob};
use trent_core::memory::InMemoryStore;
use trent_core::{BootstrapSpec, Caller, Kms, KmsOptions, ManualClock};
use trent_crypto::hierarchy::RootKey;
use trent_crypto::{AwsLcProvider, CryptoProvider, SecretKey};

struct World {
    kms: Kms,
    alice: Caller,
}

fn caller(account: &str, region: &str) -> Caller {
    common::root_caller(account, region)
}

async fn world() -> World {
    world_with(Arc::new(InMemoryStore::new()), [1u8; 32]).await.unwrap()
}

async fn world_with(store: Arc<InMemoryStore>, root: [u8; 32]) -> Result<World, trent_core::keyring::OpenError> {
    let kms = Kms::with_root_key(
        store,
        Arc::new(AwsLcProvider::new()),
        Arc::new(ManualClock::new(1_700_000_000_000)),
        RootKey::new(SecretKey::from_bytes(root)),
        KmsOptions { backing_key_cache_capacity: 4, ..KmsOptions::default() },
    )
    .await?;
    Ok(World { kms, alice: caller("111122223333", "us-east-1") })
}

fn pt(bytes: &[u8]) -> SensitiveBlob {
    SensitiveBlob::new(zeroize::Zeroizing::new(bytes.to_vec()))
}

fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

async fn new_key(w: &World, c: &Caller) -> KeyMetadata {
    w.kms.create_key(c, CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap()
}

async fn encrypt(w: &World, c: &Caller, key: &str, data: &[u8], ec: Option<BTreeMap<String, String>>) -> Vec<u8> {
    let req = EncryptRequest {
        key_id: Some(key.into()),
        plaintext: Some(pt(data)),
        encryption_context: ec,
        ..Default::default()
    };
    w.kms.encrypt(c, req).await.unwrap().ciphertext_blob.unwrap().0
}

async fn decrypt(
    w: &World,
    c: &Caller,
    blob: &[u8],
    ec: Option<BTreeMap<String, String>>,
) -> Result<Vec<u8>, ErrorCode> {
    let req =
        DecryptRequest { ciphertext_blob: Some(Blob(blob.to_vec())), encryption_context: ec, ..Default::default() };
    w.kms.decrypt(c, req).await.map(|r| r.plaintext.unwrap().expose().to_vec()).map_err(|e| e.code())
}

#[tokio::test]
async fn create_describe_and_metadata() {
    let w = world().await;
    let req = CreateKeyRequest { description: Some("payments".into()), ..Default::default() };
    let m = w.kms.create_key(&w.alice, req).await.unwrap().key_metadata.unwrap();
    assert_eq!(m.aws_account_id, "111122223333");
    assert_eq!(m.arn, format!("arn:aws:kms:us-east-1:111122223333:key/{}", m.key_id));
    assert!(m.enabled);
    assert_eq!(m.key_state, KeyState::Enabled);
    assert_eq!(m.description, "payments");
    assert_eq!(m.current_key_material_id.as_ref().unwrap().len(), 64);
    for r in [m.key_id.clone(), m.arn.clone()] {
        let d =
            w.kms.describe_key(&w.alice, DescribeKeyRequest { key_id: Some(r), ..Default::default() }).await.unwrap();
        assert_eq!(d.key_metadata.unwrap(), m);
    }
}

#[tokio::test]
async fn encrypt_decrypt_with_context() {
    let w = world().await;
    let k = new_key(&w, &w.alice).await;
    let ec = ctx(&[("tenant", "a"), ("purpose", "test")]);
    let blob = encrypt(&w, &w.alice, &k.key_id, b"secret", Some(ec.clone())).await;
    assert_eq!(decrypt(&w, &w.alice, &blob, Some(ec)).await.unwrap(), b"secret");
    assert_eq!(decrypt(&w, &w.alice, &blob, None).await, Err(ErrorCode::InvalidCiphertext));
    assert_eq!(decrypt(&w, &w.alice, &blob, Some(ctx(&[("tenant", "a")]))).await, Err(ErrorCode::InvalidCiphertext));
    let plain = encrypt(&w, &w.alice, &k.key_id, b"x", None).await;
    assert_eq!(decrypt(&w, &w.alice, &plain, Some(BTreeMap::new())).await.unwrap(), b"x", "empty context equals none");
}

#[tokio::test]
async fn other_accounts_are_denied_and_other_regions_see_nothing() {
    let w = world().await;
    let k = new_key(&w, &w.alice).await;
    let blob = encrypt(&w, &w.alice, &k.key_id, b"secret", None).await;
    // Another account reaches the key by ARN, or through a ciphertext that
    // names it, and the default key policy does not let it in:
    // AccessDeniedException, as in AWS.
    let other = caller("444455556666", "us-east-1");
    assert_eq!(decrypt(&w, &other, &blob, None).await, Err(ErrorCode::AccessDenied));
    let e = w.kms.describe_key(&other, DescribeKeyRequest { key_id: Some(k.arn.clone()), ..Default::default() }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::AccessDenied);
    // Not a cross-account action: the key is not even found.
    let e = w
        .kms
        .enable_key_rotation(&other, EnableKeyRotationRequest { key_id: Some(k.arn.clone()), ..Default::default() })
        .await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::NotFound);
    let west = caller("111122223333", "eu-west-1");
    for c in [&other, &west] {
        let e =
            w.kms.describe_key(c, DescribeKeyRequest { key_id: Some(k.key_id.clone()), ..Default::default() }).await;
        assert_eq!(e.unwrap_err().code(), ErrorCode::NotFound);
        assert!(w.kms.list_keys(c, ListKeysRequest::default()).await.unwrap().keys.is_empty());
    }
    assert_eq!(decrypt(&w, &west, &blob, None).await, Err(ErrorCode::InvalidCiphertext));
    let e = w.kms.describe_key(&west, DescribeKeyRequest { key_id: Some(k.arn.clone()), ..Default::default() }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn disabled_keys_refuse_crypto_and_enable_restores() {
    let w = world().await;
    let k = new_key(&w, &w.alice).await;
    let blob = encrypt(&w, &w.alice, &k.key_id, b"data", None).await;
    w.kms.disable_key(&w.alice, DisableKeyRequest { key_id: Some(k.key_id.clone()) }).await.unwrap();
    let e = w
        .kms
        .encrypt(
            &w.alice,
            EncryptRequest { key_id: Some(k.key_id.clone()), plaintext: Some(pt(b"x")), ..Default::default() },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Disabled);
    assert_eq!(e.to_string(), format!("{} is disabled.", k.arn));
    assert_eq!(decrypt(&w, &w.alice, &blob, None).await, Err(ErrorCode::Disabled));
    let d =
        w.kms.describe_key(&w.alice, DescribeKeyRequest { key_id: Some(k.key_id.clone()), ..Default::default() }).await;
    let m = d.unwrap().key_metadata.unwrap();
    assert!(!m.enabled);
    assert_eq!(m.key_state, KeyState::Disabled);
    w.kms.enable_key(&w.alice, EnableKeyRequest { key_id: Some(k.key_id.clone()) }).await.unwrap();
    assert_eq!(decrypt(&w, &w.alice, &blob, None).await.unwrap(), b"data");
}

#[tokio::test]
async fn data_keys_decrypt_to_their_plaintext() {
    let w = world().await;
    let k = new_key(&w, &w.alice).await;
    let r = w
        .kms
        .generate_data_key(
            &w.alice,
            GenerateDataKeyRequest {
                key_id: Some(k.key_id.clone()),
                key_spec: Some(DataKeySpec::Aes256),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let dk = r.plaintext.unwrap();
    assert_eq!(dk.len(), 32);
    assert_eq!(decrypt(&w, &w.alice, &r.ciphertext_blob.unwrap().0, None).await.unwrap(), dk.expose());
    let r = w
        .kms
        .generate_data_key_without_plaintext(
            &w.alice,
            GenerateDataKeyWithoutPlaintextRequest {
                key_id: Some(k.key_id.clone()),
                number_of_bytes: Some(7),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(decrypt(&w, &w.alice, &r.ciphertext_blob.unwrap().0, None).await.unwrap().len(), 7);
    for (spec, n) in [(None, None), (Some(DataKeySpec::Aes128), Some(16))] {
        let e = w
            .kms
            .generate_data_key(
                &w.alice,
                GenerateDataKeyRequest {
                    key_id: Some(k.key_id.clone()),
                    key_spec: spec,
                    number_of_bytes: n,
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Validation);
    }
}

#[tokio::test]
async fn re_encrypt_moves_between_keys_and_checks_source() {
    let w = world().await;
    let a = new_key(&w, &w.alice).await;
    let b = new_key(&w, &w.alice).await;
    let blob = encrypt(&w, &w.alice, &a.key_id, b"move me", Some(ctx(&[("k", "v")]))).await;
    let r = w
        .kms
        .re_encrypt(
            &w.alice,
            ReEncryptRequest {
                ciphertext_blob: Some(Blob(blob.clone())),
                source_encryption_context: Some(ctx(&[("k", "v")])),
                destination_key_id: Some(b.arn.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.source_key_id.as_deref(), Some(a.arn.as_str()));
    assert_eq!(r.key_id.as_deref(), Some(b.arn.as_str()));
    assert_eq!(decrypt(&w, &w.alice, &r.ciphertext_blob.unwrap().0, None).await.unwrap(), b"move me");
    let e = w
        .kms
        .re_encrypt(
            &w.alice,
            ReEncryptRequest {
                ciphertext_blob: Some(Blob(blob)),
                source_encryption_context: Some(ctx(&[("k", "v")])),
                source_key_id: Some(b.key_id.clone()),
                destination_key_id: Some(b.key_id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::IncorrectKey);
}

#[tokio::test]
async fn aliases_resolve_update_list_and_delete() {
    let w = world().await;
    let a = new_key(&w, &w.alice).await;
    let b = new_key(&w, &w.alice).await;
    let create = |name: &str, target: &str| CreateAliasRequest {
        alias_name: Some(name.into()),
        target_key_id: Some(target.into()),
    };
    w.kms.create_alias(&w.alice, create("alias/app", &a.key_id)).await.unwrap();
    let e = w.kms.create_alias(&w.alice, create("alias/app", &b.key_id)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AlreadyExists);
    let e = w.kms.create_alias(&w.alice, create("alias/", &a.key_id)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidAliasName);
    let e = w.kms.create_alias(&w.alice, create("app", &a.key_id)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    let e = w.kms.create_alias(&w.alice, create("alias/a:b", &a.key_id)).await.unwrap_err();
    assert_eq!(
        (e.code(), e.public_message().as_str()),
        (ErrorCode::Validation, "alias/a:b contains invalid characters for an alias")
    );
    let e = w.kms.create_alias(&w.alice, create("alias/aws/s3", &a.key_id)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotAuthorized, "alias/aws/ is reserved");
    let e = w.kms.create_alias(&w.alice, create("alias/x", "alias/app")).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "an alias cannot target an alias");

    let blob = encrypt(&w, &w.alice, "alias/app", b"via alias", None).await;
    let alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/app";
    let blob2 = encrypt(&w, &w.alice, alias_arn, b"via alias arn", None).await;
    let r = w
        .kms
        .decrypt(
            &w.alice,
            DecryptRequest {
                ciphertext_blob: Some(Blob(blob)),
                key_id: Some("alias/app".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.key_id.as_deref(), Some(a.arn.as_str()));
    assert_eq!(decrypt(&w, &w.alice, &blob2, None).await.unwrap(), b"via alias arn");

    w.kms
        .update_alias(
            &w.alice,
            UpdateAliasRequest { alias_name: Some("alias/app".into()), target_key_id: Some(b.key_id.clone()) },
        )
        .await
        .unwrap();
    w.kms.create_alias(&w.alice, create("alias/other", &a.key_id)).await.unwrap();
    let all = w.kms.list_aliases(&w.alice, ListAliasesRequest::default()).await.unwrap();
    assert_eq!(all.aliases.len(), 2);
    let of_b = w
        .kms
        .list_aliases(&w.alice, ListAliasesRequest { key_id: Some(b.key_id.clone()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(of_b.aliases.len(), 1);
    assert_eq!(of_b.aliases[0].alias_name, "alias/app");
    assert_eq!(of_b.aliases[0].alias_arn, alias_arn);
    w.kms.delete_alias(&w.alice, DeleteAliasRequest { alias_name: Some("alias/app".into()) }).await.unwrap();
    let e =
        w.kms.delete_alias(&w.alice, DeleteAliasRequest { alias_name: Some("alias/app".into()) }).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(e.to_string(), format!("Alias {alias_arn} is not found."));
    let e = w
        .kms
        .describe_key(&w.alice, DescribeKeyRequest { key_id: Some("alias/app".into()), ..Default::default() })
        .await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn list_keys_paginates() {
    let w = world().await;
    let mut made = Vec::new();
    for _ in 0..7 {
        made.push(new_key(&w, &w.alice).await.key_id);
    }
    made.sort();
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = w.kms.list_keys(&w.alice, ListKeysRequest { limit: Some(3), marker: marker.take() }).await.unwrap();
        assert!(page.keys.len() <= 3);
        seen.extend(page.keys.into_iter().map(|k| k.key_id));
        if !page.truncated {
            assert!(page.next_marker.is_none());
            break;
        }
        marker = page.next_marker;
    }
    assert_eq!(seen, made);
    let e = w.kms.list_keys(&w.alice, ListKeysRequest { marker: Some("garbage".into()), ..Default::default() }).await;
    assert_eq!(e.unwrap_err().code(), ErrorCode::InvalidMarker);
}

#[tokio::test]
async fn wrong_root_key_is_refused_and_cache_eviction_is_harmless() {
    let store = Arc::new(InMemoryStore::new());
    let w = world_with(store.clone(), [1u8; 32]).await.unwrap();
    // More keys than the cache holds (4): every ciphertext still decrypts.
    let mut blobs = Vec::new();
    for i in 0..10u8 {
        let k = new_key(&w, &w.alice).await;
        blobs.push((encrypt(&w, &w.alice, &k.key_id, &[i], None).await, i));
    }
    for (b, i) in &blobs {
        assert_eq!(decrypt(&w, &w.alice, b, None).await.unwrap(), vec![*i]);
    }
    // A second node with the same root key reads the same domain key.
    let w2 = world_with(store.clone(), [1u8; 32]).await.unwrap();
    assert_eq!(decrypt(&w2, &w2.alice, &blobs[0].0, None).await.unwrap(), vec![0]);
    assert!(matches!(world_with(store, [2u8; 32]).await, Err(trent_core::keyring::OpenError::WrongSeal(1))));
}

#[tokio::test]
async fn bootstrap_once_and_authenticate() {
    let w = world().await;
    let creds = w
        .kms
        .bootstrap(BootstrapSpec {
            account_id: Some("123456789012".into()),
            access_key_id: Some("AKIAIOSFODNN7EXAMPLE".into()),
            secret_access_key: Some(zeroize::Zeroizing::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into())),
        })
        .await
        .unwrap()
        .unwrap();
    assert!(!creds.generated_secret);
    assert!(w.kms.bootstrap(BootstrapSpec::default()).await.unwrap().is_none(), "only on first start");
    let a = w.kms.authenticate("AKIAIOSFODNN7EXAMPLE").await.unwrap().unwrap();
    assert_eq!(a.account.as_str(), "123456789012");
    assert_eq!(a.principal.as_str(), "arn:aws:iam::123456789012:root");
    assert_eq!(a.secret.expose(), b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assert!(w.kms.authenticate("AKIANOTKNOWN00000000").await.unwrap().is_none());
    // The second authentication is served from memory: the same entry.
    let again = w.kms.authenticate("AKIAIOSFODNN7EXAMPLE").await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&a, &again));

    let w2 = world().await;
    let g = w2.kms.bootstrap(BootstrapSpec::default()).await.unwrap().unwrap();
    assert!(g.generated_secret);
    assert!(g.access_key_id.as_str().starts_with("AKIA") && g.access_key_id.as_str().len() == 20);
    assert_eq!(g.secret_access_key.len(), 40);
    assert!(AccountId::parse(g.account_id.as_str()).is_some());
}

#[tokio::test]
async fn generate_random_and_unsupported_inputs() {
    let w = world().await;
    let r = w
        .kms
        .generate_random(&w.alice, GenerateRandomRequest { number_of_bytes: Some(1024), ..Default::default() })
        .await;
    assert_eq!(r.unwrap().plaintext.unwrap().len(), 1024);
    let e = w.kms.generate_random(&w.alice, GenerateRandomRequest::default()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    let sm2 = CreateKeyRequest {
        key_spec: Some(trent_api::enums::KeySpec::Sm2),
        key_usage: Some(trent_api::enums::KeyUsage::SignVerify),
        ..Default::default()
    };
    assert_eq!(w.kms.create_key(&w.alice, sm2).await.unwrap_err().code(), ErrorCode::UnsupportedOperation);
    let bad_pair = CreateKeyRequest { key_usage: Some(trent_api::enums::KeyUsage::SignVerify), ..Default::default() };
    assert_eq!(w.kms.create_key(&w.alice, bad_pair).await.unwrap_err().code(), ErrorCode::Validation);
    let bad_policy = CreateKeyRequest { policy: Some("not json".into()), ..Default::default() };
    assert_eq!(w.kms.create_key(&w.alice, bad_policy).await.unwrap_err().code(), ErrorCode::MalformedPolicyDocument);
    let k = new_key(&w, &w.alice).await;
    let dry =
        EncryptRequest { key_id: Some(k.key_id), plaintext: Some(pt(b"x")), dry_run: Some(true), ..Default::default() };
    assert_eq!(w.kms.encrypt(&w.alice, dry).await.unwrap_err().code(), ErrorCode::DryRunOperation);
    let mut rnd = [0u8; 4];
    AwsLcProvider::new().fill_random(&mut rnd).unwrap();
}

/// Two nodes on one store: a rotation through one is what the other's next
/// Encrypt uses, although it keeps version records in memory (they are
/// cached under the key's revision, which every change of them raises).
#[tokio::test]
async fn cached_versions_follow_changes_made_by_another_node() {
    let store = Arc::new(InMemoryStore::new());
    let a = world_with(store.clone(), [1u8; 32]).await.unwrap();
    let b = world_with(store, [1u8; 32]).await.unwrap();
    let key = new_key(&a, &a.alice).await;
    let first = material(&b, Blob(encrypt(&a, &a.alice, &key.key_id, b"x", None).await)).await;
    let req = RotateKeyOnDemandRequest { key_id: Some(key.key_id.clone()) };
    b.kms.rotate_key_on_demand(&b.alice, req).await.unwrap();
    let second = material(&b, Blob(encrypt(&a, &a.alice, &key.key_id, b"x", None).await)).await;
    assert_ne!(first, second, "node a encrypts under the material node b rotated to");
    let d = b.kms.describe_key(&b.alice, DescribeKeyRequest { key_id: Some(key.key_id.clone()), ..Default::default() });
    assert_eq!(d.await.unwrap().key_metadata.unwrap().current_key_material_id.as_deref(), Some(second.as_str()));
}

async fn material(w: &World, blob: Blob) -> String {
    let req = DecryptRequest { ciphertext_blob: Some(blob), ..Default::default() };
    w.kms.decrypt(&w.alice, req).await.unwrap().key_material_id.unwrap()
}
