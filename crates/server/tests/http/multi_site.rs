//! Multi-Region keys across two deployments ("sites"), each with its own
//! SQLite store, TLS certificate and port: site A serves us-east-1, site B
//! eu-west-1, each naming the other in `[[peers]]` with its certificate
//! pinned and a shared peer secret. Through `aws-sdk-kms` against each
//! site: replicate from A into B, encrypt in one Region and decrypt in the
//! other, rotate the primary (old and new ciphertexts decrypt in both),
//! move the primary to B, delete the replica and see the primary leave
//! PendingReplicaDeletion; a single-Region key is never visible from the
//! other site; a wrong pin or a wrong secret gets nothing.

use crate::common::{TestPki, TestServer};
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyState, MultiRegionKeyType};
use serde_json::Value;
use std::sync::Arc;
use trent_core::ManualClock;
use trent_server::config::{Config, PeerConfig};

const DAY_MS: i64 = 86_400_000;
const SECRET: &str = "a peer secret both sites share, 32+ characters";

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn pin(pki: &TestPki) -> String {
    trent_server::tls::certificate_sha256(&pki.cert_path()).unwrap()
}

/// A site serving `region` on `port` (on the data directory `dir`, to
/// restart it), with one peer serving `peer_region` on `peer_port` whose
/// certificate has SHA-256 `peer_pin`.
async fn site(
    clock: &Arc<ManualClock>,
    pki: &TestPki,
    region: &str,
    port: u16,
    peer: (&str, u16, String),
    secret: &str,
    dir: Option<&std::path::Path>,
) -> TestServer {
    let (peer_region, peer_port, peer_pin) = peer;
    let extra = Config {
        listen: Some(format!("127.0.0.1:{port}")),
        peers: Some(vec![PeerConfig {
            regions: vec![peer_region.to_owned()],
            url: format!("https://127.0.0.1:{peer_port}"),
            certificate_sha256: peer_pin,
        }]),
        peer_secret: Some(secret.to_owned()),
        ..Config::default()
    };
    let builder = TestServer::builder().manual_clock(clock.clone()).regions(&[region]).tls(pki).config(extra);
    match dir {
        Some(d) => builder.data_dir(d).build().await,
        None => builder.build().await,
    }
}

async fn events(s: &TestServer) -> Vec<Value> {
    let records = s.state.kms().store().audit_records(0, 10_000).await.unwrap();
    records.iter().map(|r| serde_json::from_str(&r.entry.record).unwrap()).collect()
}

async fn decrypt(kms: &aws_sdk_kms::Client, blob: &Blob) -> Vec<u8> {
    kms.decrypt().ciphertext_blob(blob.clone()).send().await.unwrap().plaintext().unwrap().as_ref().to_vec()
}

async fn encrypt(kms: &aws_sdk_kms::Client, key: &str, text: &[u8]) -> Blob {
    kms.encrypt().key_id(key).plaintext(Blob::new(text)).send().await.unwrap().ciphertext_blob().unwrap().clone()
}

#[tokio::test]
async fn two_sites_replicate_rotate_promote_and_delete() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let (pki_a, pki_b) = (TestPki::new(), TestPki::new());
    let (port_a, port_b) = (free_port(), free_port());
    let a = site(&clock, &pki_a, "us-east-1", port_a, ("eu-west-1", port_b, pin(&pki_b)), SECRET, None).await;
    let b = site(&clock, &pki_b, "eu-west-1", port_b, ("us-east-1", port_a, pin(&pki_a)), SECRET, None).await;
    let east = a.client_with("us-east-1", crate::common::ACCESS_KEY, crate::common::SECRET_KEY);
    let west = b.client_with("eu-west-1", crate::common::ACCESS_KEY, crate::common::SECRET_KEY);

    // A single-Region key of site A is not visible from site B.
    let single = east.create_key().send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    let e = west.describe_key().key_id(&single).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NotFoundException");
    let e = east.replicate_key().key_id(&single).replica_region("eu-west-1").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "UnsupportedOperationException");

    // Replicate into the peer's Region.
    let created = east.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap();
    let id = created.key_id().to_owned();
    let before = encrypt(&east, &id, b"made in us-east-1").await;
    let replica = east.replicate_key().key_id(&id).replica_region("eu-west-1").description("dublin").send().await;
    let replica = replica.unwrap();
    let meta = replica.replica_key_metadata().unwrap();
    assert_eq!(meta.arn().unwrap(), created.arn().unwrap().replace("us-east-1", "eu-west-1"));
    assert_eq!(meta.description(), Some("dublin"));
    let conf = meta.multi_region_configuration().unwrap();
    assert_eq!(conf.multi_region_key_type(), Some(&MultiRegionKeyType::Replica));
    assert_eq!(conf.primary_key().unwrap().region(), Some("us-east-1"));
    assert_eq!(conf.replica_keys().iter().filter_map(|k| k.region()).collect::<Vec<_>>(), ["eu-west-1"]);
    let e = east.replicate_key().key_id(&id).replica_region("eu-west-1").send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "AlreadyExistsException");

    // Each site describes the key with both Regions.
    let on_b = west.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(on_b.key_state(), Some(&KeyState::Enabled));
    assert_eq!(on_b.description(), Some("dublin"));
    let conf = on_b.multi_region_configuration().unwrap();
    assert_eq!(conf.multi_region_key_type(), Some(&MultiRegionKeyType::Replica));
    assert_eq!(conf.primary_key().unwrap().region(), Some("us-east-1"));
    let on_a = east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    let conf = on_a.multi_region_configuration().unwrap();
    assert_eq!(conf.replica_keys().iter().filter_map(|k| k.region()).collect::<Vec<_>>(), ["eu-west-1"]);
    assert_eq!(on_a.current_key_material_id(), on_b.current_key_material_id());

    // Encrypt in one Region, decrypt in the other, both ways.
    assert_eq!(decrypt(&west, &before).await, b"made in us-east-1");
    let from_west = encrypt(&west, &id, b"made in eu-west-1").await;
    assert_eq!(decrypt(&east, &from_west).await, b"made in eu-west-1");

    // Rotating the primary reaches the replica's site: old and new
    // ciphertexts decrypt on both sites, and B encrypts with the new
    // material.
    east.rotate_key_on_demand().key_id(&id).send().await.unwrap();
    let after = encrypt(&east, &id, b"after the rotation").await;
    for kms in [&east, &west] {
        assert_eq!(decrypt(kms, &after).await, b"after the rotation");
        assert_eq!(decrypt(kms, &before).await, b"made in us-east-1");
    }
    let on_a = east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    let on_b = west.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_ne!(on_a.current_key_material_id(), created.current_key_material_id());
    assert_eq!(on_a.current_key_material_id(), on_b.current_key_material_id());
    let e = west.rotate_key_on_demand().key_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "UnsupportedOperationException");

    // Automatic rotation moves with the primary.
    east.enable_key_rotation().key_id(&id).send().await.unwrap();
    // A replica answers its primary's automatic rotation, which its site
    // asks the primary's site for.
    let status = west.get_key_rotation_status().key_id(&id).send().await.unwrap();
    assert!(status.key_rotation_enabled());
    assert_eq!(status.rotation_period_in_days(), Some(365));
    east.update_primary_region().key_id(&id).primary_region("eu-west-1").send().await.unwrap();
    let on_b = west.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(on_b.multi_region_configuration().unwrap().multi_region_key_type(), Some(&MultiRegionKeyType::Primary));
    let on_a = east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    let conf = on_a.multi_region_configuration().unwrap();
    assert_eq!(conf.multi_region_key_type(), Some(&MultiRegionKeyType::Replica));
    assert_eq!(conf.primary_key().unwrap().region(), Some("eu-west-1"));
    let status = west.get_key_rotation_status().key_id(&id).send().await.unwrap();
    assert!(status.key_rotation_enabled());
    let status = east.get_key_rotation_status().key_id(&id).send().await.unwrap();
    assert!(status.key_rotation_enabled(), "site A's replica answers site B's primary");
    let e = east.rotate_key_on_demand().key_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "UnsupportedOperationException");
    // The new primary rotates; site A gets the material.
    west.rotate_key_on_demand().key_id(&id).send().await.unwrap();
    let third = encrypt(&west, &id, b"rotated in eu-west-1").await;
    assert_eq!(decrypt(&east, &third).await, b"rotated in eu-west-1");
    assert_eq!(decrypt(&east, &after).await, b"after the rotation");

    // Deleting the primary waits for its replica; deleting the replica
    // (on site A) starts the primary's own waiting period (on site B).
    let out = west.schedule_key_deletion().key_id(&id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(out.key_state(), Some(&KeyState::PendingReplicaDeletion));
    east.schedule_key_deletion().key_id(&id).pending_window_in_days(7).send().await.unwrap();
    clock.advance(8 * DAY_MS);
    assert_eq!(a.state.kms().run_due_jobs().await.unwrap().destroyed, 1);
    let on_b = west.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(on_b.key_state(), Some(&KeyState::PendingDeletion));
    assert!(on_b.multi_region_configuration().unwrap().replica_keys().is_empty());
    let e = east.describe_key().key_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e.into_service_error()), "NotFoundException");

    // Every step is in the trail of the site that did it.
    let names = |evs: &[Value]| -> Vec<String> {
        evs.iter()
            .filter(|e| e["resources"].to_string().contains(&id) || e["requestParameters"].to_string().contains(&id))
            .map(|e| e["eventName"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let on_a = names(&events(&a).await);
    let on_b = names(&events(&b).await);
    for name in ["CreateKey", "ReplicateKey", "RotateKeyOnDemand", "UpdatePrimaryRegion", "DeleteKey"] {
        assert!(on_a.iter().any(|n| n == name), "{name} on site A: {on_a:?}");
    }
    for name in ["CreateKey", "SynchronizeMultiRegionKey", "UpdatePrimaryRegion", "RotateKeyOnDemand"] {
        assert!(on_b.iter().any(|n| n == name), "{name} on site B: {on_b:?}");
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_wrong_pin_or_secret_gets_nothing_across() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let (pki_a, pki_b, other) = (TestPki::new(), TestPki::new(), TestPki::new());
    let (port_a, port_b, port_c) = (free_port(), free_port(), free_port());
    // A pins a certificate that is not B's.
    let a = site(&clock, &pki_a, "us-east-1", port_a, ("eu-west-1", port_b, pin(&other)), SECRET, None).await;
    let b = site(&clock, &pki_b, "eu-west-1", port_b, ("us-east-1", port_a, pin(&pki_a)), SECRET, None).await;
    // C pins B's certificate but does not share the secret.
    let c = site(
        &clock,
        &other,
        "ap-south-1",
        port_c,
        ("eu-west-1", port_b, pin(&pki_b)),
        "another secret, of 32 characters or more",
        None,
    )
    .await;
    for (s, region) in [(&a, "us-east-1"), (&c, "ap-south-1")] {
        let kms = s.client_with(region, crate::common::ACCESS_KEY, crate::common::SECRET_KEY);
        let id = kms.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
        let e = kms.replicate_key().key_id(&id).replica_region("eu-west-1").send().await.unwrap_err();
        assert_eq!(code(&e.into_service_error()), "DependencyTimeoutException", "from {region}");
        // Nothing changed on either side.
        let meta = kms.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
        assert!(meta.multi_region_configuration().unwrap().replica_keys().is_empty());
        let west = b.client_with("eu-west-1", crate::common::ACCESS_KEY, crate::common::SECRET_KEY);
        let e = west.describe_key().key_id(&id).send().await.unwrap_err();
        assert_eq!(code(&e.into_service_error()), "NotFoundException");
    }
    for s in [a, b, c] {
        s.stop().await;
    }
}

/// A replica destroyed while its primary's site was down: the primary's
/// site missed the news, and learns it when its primary is scheduled for
/// deletion (it asks the replica's site), instead of waiting for a replica
/// that is gone.
#[tokio::test]
async fn a_replica_destroyed_while_the_primary_site_was_down_is_forgotten() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let (pki_a, pki_b) = (TestPki::new(), TestPki::new());
    let (port_a, port_b) = (free_port(), free_port());
    let dir_a = tempfile::tempdir().unwrap();
    let peer_of_a = || ("eu-west-1", port_b, pin(&pki_b));
    let a = site(&clock, &pki_a, "us-east-1", port_a, peer_of_a(), SECRET, Some(dir_a.path())).await;
    let b = site(&clock, &pki_b, "eu-west-1", port_b, ("us-east-1", port_a, pin(&pki_a)), SECRET, None).await;
    let west = b.client_with("eu-west-1", crate::common::ACCESS_KEY, crate::common::SECRET_KEY);
    let east = a.client_with("us-east-1", crate::common::ACCESS_KEY, crate::common::SECRET_KEY);
    let id = east.create_key().multi_region(true).send().await.unwrap().key_metadata.unwrap().key_id().to_owned();
    east.replicate_key().key_id(&id).replica_region("eu-west-1").send().await.unwrap();
    west.schedule_key_deletion().key_id(&id).pending_window_in_days(7).send().await.unwrap();

    a.stop().await;
    clock.advance(8 * DAY_MS);
    assert_eq!(b.state.kms().run_due_jobs().await.unwrap().destroyed, 1);
    let a = site(&clock, &pki_a, "us-east-1", port_a, peer_of_a(), SECRET, Some(dir_a.path())).await;
    let east = a.client_with("us-east-1", crate::common::ACCESS_KEY, crate::common::SECRET_KEY);
    // Site A still lists the replica it was not told about...
    let meta = east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(meta.multi_region_configuration().unwrap().replica_keys().len(), 1);
    // ...until deleting the primary asks site B, which has none.
    let out = east.schedule_key_deletion().key_id(&id).pending_window_in_days(7).send().await.unwrap();
    assert_eq!(out.key_state(), Some(&KeyState::PendingDeletion));
    let meta = east.describe_key().key_id(&id).send().await.unwrap().key_metadata.unwrap();
    assert!(meta.multi_region_configuration().unwrap().replica_keys().is_empty());
    a.stop().await;
    b.stop().await;
}
