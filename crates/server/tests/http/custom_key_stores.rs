//! Custom key stores on a PKCS#11 token (SoftHSM2) through `aws-sdk-kms`:
//! the six key store operations and their errors, a key made inside the
//! token (its value unreadable there), Encrypt, Decrypt, ReEncrypt,
//! GenerateDataKey and GenerateRandom run by the token, the disconnected
//! key store's answers, and a data directory that decrypts nothing without
//! the token.
//!
//! The module comes from `TRENT_TEST_PKCS11_MODULE` (set by `.ci/run` and
//! `scripts/test`, which also point `SOFTHSM2_CONF` at a token directory of
//! their own); each test initializes a token of its own in it.

use crate::common::TestServer;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{ConnectionErrorCodeType, ConnectionStateType, CustomKeyStoreType, KeyState, OriginType};
use std::path::PathBuf;
use trent_server::config::{Config, HsmConfig};

pub const PKCS11_MODULE_VAR: &str = "TRENT_TEST_PKCS11_MODULE";
const CLUSTER: &str = "cluster-trenttest2345";
const PIN: &str = "kmsuser-pin-1";
const SO_PIN: &str = "security-officer-1";

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_owned()
}

/// The module, or `None` (the test then says it skipped, in the log that
/// `scripts/test` counts) when the variable is not set.
fn module() -> Option<PathBuf> {
    match std::env::var(PKCS11_MODULE_VAR) {
        Ok(m) => Some(PathBuf::from(m)),
        Err(_) => {
            crate::common::note_skip(PKCS11_MODULE_VAR, "PKCS#11");
            None
        }
    }
}

/// A fresh token of this test's own (labels are at most 32 characters).
fn new_token(module: &std::path::Path) -> String {
    let label = format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
    trent_crypto::pkcs11::init_token(module, &label, SO_PIN, PIN).unwrap();
    label
}

fn hsm_config(clusters: &[(&str, &std::path::Path, &str)]) -> Config {
    Config {
        hsm: Some(
            clusters
                .iter()
                .map(|(c, m, l)| ((*c).to_owned(), HsmConfig { module: m.to_path_buf(), token_label: (*l).to_owned() }))
                .collect(),
        ),
        ..Config::default()
    }
}

/// A self-signed certificate, PEM: the trust anchor (checked for form).
fn trust_anchor() -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    rcgen::CertificateParams::new(vec!["hsm.example".into()]).unwrap().self_signed(&key).unwrap().pem()
}

/// A key store named `name` on [`CLUSTER`] with the right PIN; its id.
async fn new_key_store(kms: &aws_sdk_kms::Client, name: &str) -> String {
    let out = kms
        .create_custom_key_store()
        .custom_key_store_name(name)
        .cloud_hsm_cluster_id(CLUSTER)
        .trust_anchor_certificate(trust_anchor())
        .key_store_password(PIN)
        .send()
        .await
        .unwrap();
    out.custom_key_store_id.unwrap()
}

async fn state_of(kms: &aws_sdk_kms::Client, id: &str) -> (ConnectionStateType, Option<ConnectionErrorCodeType>) {
    let out = kms.describe_custom_key_stores().custom_key_store_id(id).send().await.unwrap();
    let s = &out.custom_key_stores()[0];
    (s.connection_state().unwrap().clone(), s.connection_error_code().cloned())
}

#[tokio::test]
async fn a_key_in_a_custom_key_store_is_made_and_used_inside_the_token() {
    let Some(module) = module() else { return };
    let label = new_token(&module);
    let s = TestServer::builder().config(hsm_config(&[(CLUSTER, &module, &label)])).build().await;
    let kms = s.client();

    let id = new_key_store(&kms, "vault-a").await;
    assert!(id.starts_with("cks-") && id.len() == 21, "{id}");
    let listed = kms.describe_custom_key_stores().send().await.unwrap();
    let entry = &listed.custom_key_stores()[0];
    assert_eq!(entry.custom_key_store_name(), Some("vault-a"));
    assert_eq!(entry.cloud_hsm_cluster_id(), Some(CLUSTER));
    assert_eq!(entry.custom_key_store_type(), Some(&CustomKeyStoreType::AwsCloudhsm));
    assert_eq!(entry.connection_state(), Some(&ConnectionStateType::Disconnected));

    // A key cannot be made while the key store is disconnected.
    let e = kms.create_key().origin(OriginType::AwsCloudhsm).custom_key_store_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e), "CustomKeyStoreInvalidStateException");
    kms.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(state_of(&kms, &id).await.0, ConnectionStateType::Connected);
    // Connecting a connected key store changes nothing.
    kms.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();

    let meta = kms
        .create_key()
        .origin(OriginType::AwsCloudhsm)
        .custom_key_store_id(&id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.origin(), Some(&OriginType::AwsCloudhsm));
    assert_eq!(meta.custom_key_store_id(), Some(id.as_str()));
    assert_eq!(meta.cloud_hsm_cluster_id(), Some(CLUSTER));
    let key = meta.key_id().to_owned();
    let material_id = meta.current_key_material_id().unwrap().to_owned();

    // The token holds the key, and will not say its value.
    let token = trent_crypto::pkcs11::Token::find(&module, &label).unwrap();
    let session = token.login(PIN.as_bytes()).unwrap();
    assert!(session.value_is_sensitive(&hex::decode(&material_id).unwrap()).unwrap());
    drop(session);

    let ct = kms
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"in the token".to_vec()))
        .encryption_context("purpose", "test")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    assert_eq!(ct.as_ref()[0], 3, "the blob of a key in a custom key store");
    let out = kms.decrypt().ciphertext_blob(ct.clone()).encryption_context("purpose", "test").send().await.unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), b"in the token");
    assert_eq!(out.key_id(), meta.arn());
    // Another context, or a changed bit: InvalidCiphertextException.
    let e = kms.decrypt().ciphertext_blob(ct.clone()).encryption_context("purpose", "other").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidCiphertextException");
    let mut bent = ct.as_ref().to_vec();
    let last = bent.len() - 1;
    bent[last] ^= 1;
    let e =
        kms.decrypt().ciphertext_blob(Blob::new(bent)).encryption_context("purpose", "test").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidCiphertextException");

    // Data keys, ReEncrypt to a software key and back.
    let dk = kms.generate_data_key().key_id(&key).number_of_bytes(32).send().await.unwrap();
    let opened = kms.decrypt().ciphertext_blob(dk.ciphertext_blob.clone().unwrap()).send().await.unwrap();
    assert_eq!(opened.plaintext(), dk.plaintext());
    let soft = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let moved = kms
        .re_encrypt()
        .ciphertext_blob(ct.clone())
        .source_encryption_context("purpose", "test")
        .destination_key_id(&soft)
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let back = kms.re_encrypt().ciphertext_blob(moved).destination_key_id(&key).send().await.unwrap();
    let plain = kms.decrypt().ciphertext_blob(back.ciphertext_blob.unwrap()).send().await.unwrap();
    assert_eq!(plain.plaintext().unwrap().as_ref(), b"in the token");
    let random = kms.generate_random().number_of_bytes(48).custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(random.plaintext().unwrap().as_ref().len(), 48);

    // Rotation is not offered for these keys.
    let e = kms.enable_key_rotation().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");
    let e = kms.rotate_key_on_demand().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");

    // Disconnected: the key is Unavailable and nothing runs, no fallback.
    let e = kms.delete_custom_key_store().custom_key_store_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e), "CustomKeyStoreInvalidStateException");
    kms.disconnect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(state_of(&kms, &id).await.0, ConnectionStateType::Disconnected);
    let e = kms.disconnect_custom_key_store().custom_key_store_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e), "CustomKeyStoreInvalidStateException");
    let described = kms.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(described.key_state(), Some(&KeyState::Unavailable));
    let e = kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
    assert_eq!(code(&e), "KMSInvalidStateException");
    let e = kms.decrypt().ciphertext_blob(ct.clone()).encryption_context("purpose", "test").send().await.unwrap_err();
    assert_eq!(code(&e), "KMSInvalidStateException");
    let e = kms.generate_random().number_of_bytes(8).custom_key_store_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e), "CustomKeyStoreInvalidStateException");
    let e = kms.delete_custom_key_store().custom_key_store_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e), "CustomKeyStoreHasCMKsException");
    kms.update_custom_key_store().custom_key_store_id(&id).new_custom_key_store_name("vault-b").send().await.unwrap();

    // Connected again: the old ciphertext decrypts.
    kms.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    let out = kms.decrypt().ciphertext_blob(ct).encryption_context("purpose", "test").send().await.unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), b"in the token");
    let named = kms.describe_custom_key_stores().custom_key_store_name("vault-b").send().await.unwrap();
    assert_eq!(named.custom_key_stores()[0].custom_key_store_id(), Some(id.as_str()));

    // The calls are in the trail, the PIN is not.
    let trail = kms_trail_text(&s).await;
    assert!(trail.contains("CreateCustomKeyStore") && trail.contains("ConnectCustomKeyStore"), "{trail}");
    assert!(!trail.contains(PIN), "the PIN is in the audit trail");
    s.stop().await;
}

/// Every stored event, as text.
async fn kms_trail_text(s: &TestServer) -> String {
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    records.iter().map(|r| r.entry.record.clone()).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn custom_key_store_errors_are_aws_errors() {
    let Some(module) = module() else { return };
    let label = new_token(&module);
    let other = "cluster-trenttestother";
    let s = TestServer::builder()
        .config(hsm_config(&[(CLUSTER, &module, &label), (other, &module, "no-such-token")]))
        .build()
        .await;
    let kms = s.client();
    let create = |name: &str, cluster: &str, anchor: String, pin: &str| {
        kms.create_custom_key_store()
            .custom_key_store_name(name)
            .cloud_hsm_cluster_id(cluster)
            .trust_anchor_certificate(anchor)
            .key_store_password(pin)
            .send()
    };
    let e = create("a", "cluster-notdeclared2", trust_anchor(), PIN).await.unwrap_err();
    assert_eq!(code(&e), "CloudHsmClusterNotFoundException");
    let e = create("a", CLUSTER, "not a certificate".into(), PIN).await.unwrap_err();
    assert_eq!(code(&e), "IncorrectTrustAnchorException");
    let e = create("a", other, trust_anchor(), PIN).await.unwrap_err();
    assert_eq!(code(&e), "CloudHsmClusterNotActiveException");
    let e = create("a", "cluster-bad", trust_anchor(), PIN).await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = create("a", CLUSTER, trust_anchor(), "short").await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    assert!(!e.message().unwrap_or_default().contains("short"), "the PIN is quoted: {e:?}");

    // A wrong PIN: FAILED with INVALID_CREDENTIALS; connect again is
    // refused until it is disconnected; a new PIN then connects.
    let id = create("a", CLUSTER, trust_anchor(), "wrong-pin-9").await.unwrap().custom_key_store_id.unwrap();
    let e = create("b", CLUSTER, trust_anchor(), PIN).await.unwrap_err();
    assert_eq!(code(&e), "CloudHsmClusterInUseException");
    kms.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(
        state_of(&kms, &id).await,
        (ConnectionStateType::Failed, Some(ConnectionErrorCodeType::InvalidCredentials))
    );
    let e = kms.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e), "CustomKeyStoreInvalidStateException");
    let e = kms.update_custom_key_store().custom_key_store_id(&id).key_store_password(PIN).send().await.unwrap_err();
    assert_eq!(code(&e), "CustomKeyStoreInvalidStateException");
    kms.disconnect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    let e =
        kms.update_custom_key_store().custom_key_store_id(&id).cloud_hsm_cluster_id(other).send().await.unwrap_err();
    assert_eq!(code(&e), "CloudHsmClusterNotRelatedException");
    kms.update_custom_key_store().custom_key_store_id(&id).key_store_password(PIN).send().await.unwrap();
    kms.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(state_of(&kms, &id).await, (ConnectionStateType::Connected, None));

    // Names are unique per account and Region.
    let e = create("a", other, trust_anchor(), PIN).await.unwrap_err();
    assert_eq!(code(&e), "CustomKeyStoreNameInUseException");
    // Keys: only symmetric, only AWS_CLOUDHSM with a key store.
    let e = kms.create_key().origin(OriginType::AwsCloudhsm).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = kms.create_key().custom_key_store_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = kms
        .create_key()
        .origin(OriginType::AwsCloudhsm)
        .custom_key_store_id(&id)
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");
    let e = kms
        .create_key()
        .origin(OriginType::AwsCloudhsm)
        .custom_key_store_id("cks-0000000000000000a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "CustomKeyStoreNotFoundException");
    let e = kms
        .create_custom_key_store()
        .custom_key_store_name("x")
        .custom_key_store_type(CustomKeyStoreType::ExternalKeyStore)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UnsupportedOperationException");

    // After a disconnection, the token is logged out: a wrong PIN fails.
    kms.disconnect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    kms.update_custom_key_store().custom_key_store_id(&id).key_store_password("wrong-pin-9").send().await.unwrap();
    kms.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    assert_eq!(
        state_of(&kms, &id).await,
        (ConnectionStateType::Failed, Some(ConnectionErrorCodeType::InvalidCredentials))
    );

    // An empty key store is deleted once disconnected.
    kms.disconnect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    kms.delete_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    let e = kms.describe_custom_key_stores().custom_key_store_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e), "CustomKeyStoreNotFoundException");
    s.stop().await;
}

#[tokio::test]
async fn a_data_directory_without_its_token_decrypts_nothing() {
    let Some(module) = module() else { return };
    let label = new_token(&module);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = TestServer::builder().data_dir(&data).config(hsm_config(&[(CLUSTER, &module, &label)])).build().await;
    let kms = s.client();
    let id = new_key_store(&kms, "v").await;
    kms.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    let key = kms.create_key().origin(OriginType::AwsCloudhsm).custom_key_store_id(&id).send().await.unwrap();
    let key = key.key_metadata.unwrap().key_id;
    let ct = kms.encrypt().key_id(&key).plaintext(Blob::new(b"secret".to_vec())).send().await.unwrap();
    let ct = ct.ciphertext_blob.unwrap();
    s.stop().await;

    // The same data directory and key file (the seal) on a machine whose
    // configuration has the token under another label (it is not there).
    let copy = dir.path().join("copy");
    copy_dir(&data, &copy);
    let s = TestServer::builder()
        .data_dir(&copy)
        .config(hsm_config(&[(CLUSTER, &module, "not-this-machine")]))
        .build()
        .await;
    let kms = s.client();
    let e = kms.decrypt().ciphertext_blob(ct.clone()).send().await.unwrap_err();
    assert_eq!(code(&e), "KMSInvalidStateException");
    let e = kms.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
    assert_eq!(code(&e), "KMSInvalidStateException");
    s.stop().await;
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != trent_server::startup::LOCK_FILE {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[tokio::test]
async fn two_nodes_share_a_key_store_and_a_disconnection_reaches_the_other_within_a_second() {
    let Some(module) = module() else { return };
    let Some(url) = crate::common::postgres_schema_url().await else { return };
    let label = new_token(&module);
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("root.key");
    let node = || {
        TestServer::builder()
            .store_url(&url)
            .key_file(&key_file)
            .config(hsm_config(&[(CLUSTER, &module, &label)]))
            .build()
    };
    let (a, b) = (node().await, node().await);
    let (ka, kb) = (a.client(), b.client());
    let id = new_key_store(&ka, "shared").await;
    ka.connect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    let key = ka.create_key().origin(OriginType::AwsCloudhsm).custom_key_store_id(&id).send().await.unwrap();
    let key = key.key_metadata.unwrap().key_id;
    // Node b logs in on first use and decrypts what node a encrypted.
    let ct = ka.encrypt().key_id(&key).plaintext(Blob::new(b"two nodes".to_vec())).send().await.unwrap();
    let out = kb.decrypt().ciphertext_blob(ct.ciphertext_blob.unwrap()).send().await.unwrap();
    assert_eq!(out.plaintext().unwrap().as_ref(), b"two nodes");

    ka.disconnect_custom_key_store().custom_key_store_id(&id).send().await.unwrap();
    let start = std::time::Instant::now();
    let bound = std::time::Duration::from_millis(trent_core::hsm::RECORD_TTL_MS as u64 + 500);
    loop {
        match kb.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await {
            Err(e) => {
                assert_eq!(code(&e), "KMSInvalidStateException");
                break;
            }
            Ok(_) => {
                assert!(start.elapsed() < bound, "node b still encrypts {:?} after the disconnection", start.elapsed())
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    eprintln!("a key store disconnected through node a was refused by node b after {:?}", start.elapsed());
    a.stop().await;
    b.stop().await;
}
