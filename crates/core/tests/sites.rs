//! Multi-Region keys across sites on in-memory stores: two `Kms`, one per
//! site, joined by a link that carries each message through JSON (as the
//! server's HTTPS link does) and can be cut. A rotation whose replica's
//! site does not answer fails and changes nothing; a version number a
//! failed rotation left on the replica's site with other material is
//! replaced by the next rotation; material already current is never
//! replaced; a peer's message for a Region this site does not serve, or
//! for a key that is not multi-Region, changes nothing.

// Test code: a failed unwrap is a failed test (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use trent_api::ids::{AccountId, KeyId, Region};
use trent_api::ops::*;
use trent_api::{Blob, ErrorCode, SensitiveBlob};
use trent_core::memory::InMemoryStore;
use trent_core::peers::{PeerError, PeerLink, PeerMessage, PeerReply, PeerVersion};
use trent_core::{BootstrapSpec, Caller, Kms, KmsOptions, ManualClock};

const ACCOUNT: &str = "111122223333";

/// The sites by Region; `down` cuts every message.
#[derive(Default)]
struct Net {
    sites: Mutex<HashMap<Region, Arc<Kms>>>,
    down: AtomicBool,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Net")
    }
}

#[async_trait::async_trait]
impl PeerLink for Net {
    fn serves(&self, region: &Region) -> bool {
        self.sites.lock().unwrap().contains_key(region)
    }

    async fn call(&self, message: &PeerMessage) -> Result<PeerReply, PeerError> {
        let region = message.region().clone();
        if self.down.load(Ordering::SeqCst) {
            return Err(PeerError::Unreachable { region, detail: "cut".into() });
        }
        let site = self.sites.lock().unwrap().get(&region).cloned().ok_or(PeerError::NoPeer(region))?;
        // Over the wire and back.
        let message: PeerMessage = serde_json::from_slice(&serde_json::to_vec(message).unwrap()).unwrap();
        match site.peer_receive(message).await {
            Ok(reply) => Ok(serde_json::from_slice(&serde_json::to_vec(&reply).unwrap()).unwrap()),
            Err(e) => Err(PeerError::Refused(e.code(), e.public_message())),
        }
    }
}

struct Sites {
    net: Arc<Net>,
    a: Arc<Kms>,
    b: Arc<Kms>,
    east: Caller,
    west: Caller,
}

async fn site(net: &Arc<Net>, region: &str) -> Arc<Kms> {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let regions = vec![Region::parse(region).unwrap()];
    let options = KmsOptions { regions, peers: Some(net.clone()), ..KmsOptions::default() };
    let kms = Arc::new(common::kms_with(Arc::new(InMemoryStore::new()), clock, options).await);
    let spec = BootstrapSpec { account_id: Some(ACCOUNT.into()), ..Default::default() };
    kms.create_account(spec).await.unwrap();
    net.sites.lock().unwrap().insert(Region::parse(region).unwrap(), kms.clone());
    kms
}

async fn sites() -> Sites {
    let net = Arc::new(Net::default());
    let a = site(&net, "us-east-1").await;
    let b = site(&net, "eu-west-1").await;
    Sites {
        net,
        a,
        b,
        east: common::root_caller(ACCOUNT, "us-east-1"),
        west: common::root_caller(ACCOUNT, "eu-west-1"),
    }
}

fn plaintext(data: &[u8]) -> Option<SensitiveBlob> {
    Some(SensitiveBlob::new(zeroize::Zeroizing::new(data.to_vec())))
}

impl Sites {
    /// A primary on site A replicated to site B: its id.
    async fn replicated(&self) -> String {
        let req = CreateKeyRequest { multi_region: Some(true), ..Default::default() };
        let id = self.a.create_key(&self.east, req).await.unwrap().key_metadata.unwrap().key_id;
        let req = ReplicateKeyRequest {
            key_id: Some(id.clone()),
            replica_region: Some("eu-west-1".into()),
            ..Default::default()
        };
        self.a.replicate_key(&self.east, req).await.unwrap();
        id
    }

    async fn encrypt(&self, kms: &Kms, caller: &Caller, id: &str, text: &[u8]) -> Blob {
        let req = EncryptRequest { key_id: Some(id.into()), plaintext: plaintext(text), ..Default::default() };
        kms.encrypt(caller, req).await.unwrap().ciphertext_blob.unwrap()
    }

    async fn decrypt(&self, kms: &Kms, caller: &Caller, blob: &Blob) -> Result<Vec<u8>, ErrorCode> {
        let req = DecryptRequest { ciphertext_blob: Some(blob.clone()), ..Default::default() };
        kms.decrypt(caller, req).await.map(|r| r.plaintext.unwrap().expose().to_vec()).map_err(|e| e.code())
    }

    async fn material_id(&self, kms: &Kms, caller: &Caller, id: &str) -> String {
        let req = DescribeKeyRequest { key_id: Some(id.into()), ..Default::default() };
        kms.describe_key(caller, req).await.unwrap().key_metadata.unwrap().current_key_material_id.unwrap()
    }

    async fn rotate(&self, id: &str) -> Result<(), ErrorCode> {
        let req = RotateKeyOnDemandRequest { key_id: Some(id.into()) };
        self.a.rotate_key_on_demand(&self.east, req).await.map(|_| ()).map_err(|e| e.code())
    }

    /// Sends site B `version` of key `id` with `material` (32 bytes),
    /// wrapped to a transport key B made, as site A's rotation would.
    async fn send_b(&self, id: &str, version: u32, material: &[u8]) -> Result<PeerReply, ErrorCode> {
        let (account, key_id, region) = (
            AccountId::parse(ACCOUNT).unwrap(),
            KeyId::new_unchecked(id.to_owned()),
            Region::parse("eu-west-1").unwrap(),
        );
        let ask =
            PeerMessage::TransportKey { account: account.clone(), key_id: key_id.clone(), region: region.clone() };
        let PeerReply::TransportKey { public_key, token, .. } = self.net.call(&ask).await.unwrap() else { panic!() };
        let wrapped = trent_crypto::import::wrap_material_for(&public_key.0, material).unwrap();
        let versions = vec![PeerVersion {
            version,
            material_id: hex::encode([version as u8; 32]),
            created_at: 1,
            rotation_type: None,
            wrapped: Blob(wrapped),
        }];
        let message =
            PeerMessage::Versions { account, key_id, region, versions, token: Some(token), current_version: None };
        self.net.call(&message).await.map_err(|e| match e {
            PeerError::Refused(code, _) => code,
            other => panic!("{other}"),
        })
    }
}

#[tokio::test]
async fn a_rotation_whose_replica_site_is_down_fails_and_changes_nothing() {
    let s = sites().await;
    let id = s.replicated().await;
    let before = s.material_id(&s.a, &s.east, &id).await;
    s.net.down.store(true, Ordering::SeqCst);
    assert_eq!(s.rotate(&id).await, Err(ErrorCode::DependencyTimeout));
    assert_eq!(s.material_id(&s.a, &s.east, &id).await, before, "no new material here");
    // Back up: the rotation goes through, and what site A encrypts
    // decrypts on site B.
    s.net.down.store(false, Ordering::SeqCst);
    s.rotate(&id).await.unwrap();
    let blob = s.encrypt(&s.a, &s.east, &id, b"after").await;
    assert_eq!(s.decrypt(&s.b, &s.west, &blob).await.unwrap(), b"after");
    assert_eq!(s.material_id(&s.b, &s.west, &id).await, s.material_id(&s.a, &s.east, &id).await);
}

#[tokio::test]
async fn a_version_left_by_a_failed_rotation_is_replaced_and_a_current_one_never_is() {
    let s = sites().await;
    let id = s.replicated().await;
    // What a rotation whose commit failed on site A left on site B:
    // version 2 with material site A never made current.
    s.send_b(&id, 2, &[9u8; 32]).await.unwrap();
    // Site A's next rotation makes version 2 with other material; site B
    // takes it in place of the orphan.
    s.rotate(&id).await.unwrap();
    let blob = s.encrypt(&s.a, &s.east, &id, b"version 2").await;
    assert_eq!(s.decrypt(&s.b, &s.west, &blob).await.unwrap(), b"version 2");
    // Version 2 is current now: other material for it is refused.
    assert_eq!(s.send_b(&id, 2, &[8u8; 32]).await.unwrap_err(), ErrorCode::IncorrectKeyMaterial);
    assert_eq!(s.decrypt(&s.b, &s.west, &blob).await.unwrap(), b"version 2");
}

#[tokio::test]
async fn messages_for_another_region_or_a_single_region_key_change_nothing() {
    let s = sites().await;
    let req = CreateKeyRequest::default();
    let single = s.b.create_key(&s.west, req).await.unwrap().key_metadata.unwrap().key_id;
    let relate = |region: &str, key: &str| PeerMessage::Relate {
        account: AccountId::parse(ACCOUNT).unwrap(),
        key_id: KeyId::new_unchecked(key.to_owned()),
        region: Region::parse(region).unwrap(),
        primary_region: Region::parse("us-east-1").unwrap(),
        regions: vec![Region::parse("us-east-1").unwrap(), Region::parse(region).unwrap()],
        rotation_period_days: None,
        next_rotation_at: None,
    };
    let e = s.b.peer_receive(relate("us-east-1", &single)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::UnsupportedOperation);
    let e = s.b.peer_receive(relate("eu-west-1", &single)).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let req = DescribeKeyRequest { key_id: Some(single.clone()), ..Default::default() };
    let meta = s.b.describe_key(&s.west, req).await.unwrap().key_metadata.unwrap();
    assert!(!meta.multi_region && meta.multi_region_configuration.is_none());
    assert_eq!(s.send_b(&single, 2, &[1u8; 32]).await.unwrap_err(), ErrorCode::NotFound);
}

#[tokio::test]
async fn asymmetric_and_hmac_keys_replicate_across_sites() {
    use trent_api::enums::{KeySpec, KeyUsage, MacAlgorithm, SigningAlgorithm};
    let s = sites().await;
    let create = |spec, usage| CreateKeyRequest {
        multi_region: Some(true),
        key_spec: Some(spec),
        key_usage: Some(usage),
        ..Default::default()
    };
    let replicate = |id: &str| ReplicateKeyRequest {
        key_id: Some(id.to_owned()),
        replica_region: Some("eu-west-1".into()),
        ..Default::default()
    };
    let ec = s.a.create_key(&s.east, create(KeySpec::EccNistP256, KeyUsage::SignVerify)).await.unwrap();
    let id = ec.key_metadata.unwrap().key_id;
    s.a.replicate_key(&s.east, replicate(&id)).await.unwrap();
    // Signed on site B with the material site A made; verified on site A.
    let sign = SignRequest {
        key_id: Some(id.clone()),
        message: plaintext(b"msg"),
        signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
        ..Default::default()
    };
    let signature = s.b.sign(&s.west, sign).await.unwrap().signature;
    let verify = VerifyRequest {
        key_id: Some(id.clone()),
        message: plaintext(b"msg"),
        signature,
        signing_algorithm: Some(SigningAlgorithm::EcdsaSha256),
        ..Default::default()
    };
    assert_eq!(s.a.verify(&s.east, verify).await.unwrap().signature_valid, Some(true));

    let hmac = s.a.create_key(&s.east, create(KeySpec::Hmac384, KeyUsage::GenerateVerifyMac)).await.unwrap();
    let id = hmac.key_metadata.unwrap().key_id;
    s.a.replicate_key(&s.east, replicate(&id)).await.unwrap();
    let gen = GenerateMacRequest {
        key_id: Some(id.clone()),
        message: plaintext(b"m"),
        mac_algorithm: Some(MacAlgorithm::HmacSha384),
        ..Default::default()
    };
    let mac = s.a.generate_mac(&s.east, gen).await.unwrap().mac;
    let verify = VerifyMacRequest {
        key_id: Some(id),
        message: plaintext(b"m"),
        mac,
        mac_algorithm: Some(MacAlgorithm::HmacSha384),
        ..Default::default()
    };
    assert_eq!(s.b.verify_mac(&s.west, verify).await.unwrap().mac_valid, Some(true));
}
