//! Root rotation (TrentAdmin.RotateRoot) on the in-memory store: the domain
//! keys move to the new root, the old root opens nothing more, every key
//! derived from the root seed stays as it was, and a second node that
//! missed the rotation is refused rather than writing under a stale root.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use trent_api::admin::RotateRootRequest;
use trent_api::ops::{CreateKeyRequest, DecryptRequest, EncryptRequest};
use trent_api::{Blob, ErrorCode, SensitiveBlob};
use trent_core::keyring::OpenError;
use trent_core::memory::InMemoryStore;
use trent_core::{BootstrapSpec, Kms, KmsError, KmsOptions, ManualClock, PreparedRoot, RootRotation};
use trent_crypto::hierarchy::RootKey;
use trent_crypto::{AwsLcProvider, CryptoProvider, SecretKey};

const OPERATOR: &str = "123456789012";

/// A rotation to root key `next` (taken in turn), counting how its seal
/// files would be finished.
#[derive(Default)]
struct ToKeys {
    next: Mutex<Vec<[u8; 32]>>,
    committed: AtomicUsize,
    abandoned: AtomicUsize,
}

struct Rotation(Arc<ToKeys>);

impl RootRotation for Rotation {
    fn prepare(&self, _: &dyn CryptoProvider, request: &RotateRootRequest) -> Result<PreparedRoot, KmsError> {
        if request.seal.as_deref() == Some("passphrase") {
            return Err(KmsError::Validation("Seal passphrase needs a Passphrase.".into()));
        }
        let key = self.0.next.lock().unwrap().remove(0);
        let state = self.0.clone();
        Ok(PreparedRoot {
            root: RootKey::new(SecretKey::from_bytes(key)),
            kind: "key-file",
            seal_file: "/test/root.key".into(),
            shares: Vec::new(),
            finish: Box::new(move |committed| {
                let n = if committed { &state.committed } else { &state.abandoned };
                n.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }),
        })
    }
}

async fn open(store: &Arc<InMemoryStore>, root: [u8; 32], rotation: &Arc<ToKeys>) -> Result<Kms, OpenError> {
    Kms::with_root_key(
        store.clone(),
        Arc::new(AwsLcProvider::new()),
        Arc::new(ManualClock::new(1_700_000_000_000)),
        RootKey::new(SecretKey::from_bytes(root)),
        KmsOptions { root_rotation: Some(Arc::new(Rotation(rotation.clone()))), ..KmsOptions::default() },
    )
    .await
}

fn to(seal: &str) -> RotateRootRequest {
    RotateRootRequest { seal: Some(seal.into()), ..Default::default() }
}

async fn decrypts(kms: &Kms, blob: &[u8]) -> Vec<u8> {
    let req = DecryptRequest { ciphertext_blob: Some(Blob(blob.to_vec())), ..Default::default() };
    kms.decrypt(&common::root_caller(OPERATOR, "us-east-1"), req).await.unwrap().plaintext.unwrap().expose().to_vec()
}

#[tokio::test]
async fn the_domain_keys_move_to_the_new_root_and_the_derived_keys_stay() {
    let store = Arc::new(InMemoryStore::new());
    let rotation = Arc::new(ToKeys { next: Mutex::new(vec![[9; 32], [8; 32], [10; 32]]), ..ToKeys::default() });
    let kms = open(&store, [7; 32], &rotation).await.unwrap();
    kms.bootstrap(BootstrapSpec { account_id: Some(OPERATOR.into()), ..Default::default() }).await.unwrap();
    let operator = common::root_caller(OPERATOR, "us-east-1");
    let key = kms.create_key(&operator, CreateKeyRequest::default()).await.unwrap().key_metadata.unwrap().key_id;
    let req = EncryptRequest {
        key_id: Some(key.clone()),
        plaintext: Some(SensitiveBlob::new(zeroize::Zeroizing::new(b"kept".to_vec()))),
        ..Default::default()
    };
    let blob = kms.encrypt(&operator, req).await.unwrap().ciphertext_blob.unwrap().0;
    let checkpoint_key = kms.audit_public_key();
    // A second node, opened before the rotation.
    let other_node = open(&store, [7; 32], &rotation).await.unwrap();

    // Another account may not; a seal the server cannot make changes nothing.
    let stranger = kms.create_account(BootstrapSpec { account_id: Some("444455556666".into()), ..Default::default() });
    stranger.await.unwrap();
    let e = kms.admin_rotate_root(&common::root_caller("444455556666", "us-east-1"), to("key-file")).await;
    assert_eq!(e.err().map(|e| e.code()), Some(ErrorCode::AccessDenied));
    let e = kms.admin_rotate_root(&operator, to("passphrase")).await;
    assert_eq!(e.err().map(|e| e.code()), Some(ErrorCode::Validation));
    let shares_for_a_key_file = RotateRootRequest { share_count: Some(3), ..to("key-file") };
    let e = kms.admin_rotate_root(&operator, shares_for_a_key_file).await.err().unwrap();
    assert!(matches!(&e, KmsError::Validation(m) if m.contains("ShareCount")), "{e:?}");
    // Shares in the answer, a passphrase in the request: not in clear over
    // a network (from the loopback address, or over TLS, they may).
    let remote =
        trent_core::Caller { source_ip: Some([10, 0, 0, 9].into()), ..common::root_caller(OPERATOR, "us-east-1") };
    let e = kms.admin_rotate_root(&remote, to("shamir")).await.err().unwrap();
    assert!(matches!(&e, KmsError::Validation(m) if m.contains("TLS")), "{e:?}");
    assert!(open(&store, [7; 32], &rotation).await.is_ok(), "still under the first root");

    let answer = kms.admin_rotate_root(&operator, to("key-file")).await.unwrap();
    assert_eq!((answer.seal.as_str(), answer.domain_keys), ("key-file", 1));
    assert_eq!(rotation.committed.load(Ordering::Relaxed), 1);
    // Served on: the old ciphertext, new ones, under the same derived keys.
    assert_eq!(decrypts(&kms, &blob).await, b"kept");
    assert_eq!(kms.audit_public_key(), checkpoint_key);

    // The old root opens nothing; the new one opens everything.
    assert!(matches!(open(&store, [7; 32], &rotation).await, Err(OpenError::WrongSeal(0))));
    let reopened = open(&store, [9; 32], &rotation).await.unwrap();
    assert_eq!(decrypts(&reopened, &blob).await, b"kept");
    assert_eq!(reopened.audit_public_key(), checkpoint_key, "the checkpoint key comes from the seed");

    // The node that missed it refuses to rotate under its stale root (its
    // new seal, root 8, is abandoned).
    let e = other_node.admin_rotate_root(&operator, to("key-file")).await;
    assert_eq!(e.err().map(|e| e.code()), Some(ErrorCode::Conflict));
    assert_eq!(rotation.abandoned.load(Ordering::Relaxed), 1);
    assert!(open(&store, [9; 32], &rotation).await.is_ok(), "its failed rotation changed nothing");
    assert!(open(&store, [8; 32], &rotation).await.is_err());

    // A second rotation from the reopened node carries the seed on.
    reopened.admin_rotate_root(&operator, to("key-file")).await.unwrap();
    let third = open(&store, [10; 32], &rotation).await.unwrap();
    assert_eq!(decrypts(&third, &blob).await, b"kept");
    assert_eq!(third.audit_public_key(), checkpoint_key);
    assert!(open(&store, [9; 32], &rotation).await.is_err());
}

#[tokio::test]
async fn an_ephemeral_deployment_has_no_root_to_rotate() {
    let kms = common::kms().await;
    kms.bootstrap(BootstrapSpec { account_id: Some(OPERATOR.into()), ..Default::default() }).await.unwrap();
    let e = kms.admin_rotate_root(&common::root_caller(OPERATOR, "us-east-1"), to("shamir")).await;
    assert_eq!(e.err().map(|e| e.code()), Some(ErrorCode::UnsupportedOperation));
}
