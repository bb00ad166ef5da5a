//! Several nodes on one PostgreSQL database: any node serves any request, a
//! change through one node is seen by the next request to another, and
//! background jobs apply once however many nodes run them.

use crate::common::{postgres_schema_url, TestServer};
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use std::sync::Arc;
use trent_core::ManualClock;

const DAY_MS: i64 = 86_400_000;

async fn three_nodes(url: &str, clock: &Arc<ManualClock>, key_file: &std::path::Path) -> Vec<TestServer> {
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(
            TestServer::builder()
                .store_url(url)
                .key_file(key_file)
                .manual_clock(clock.clone())
                .scheduler_interval_secs(3600)
                .build()
                .await,
        );
    }
    nodes
}

#[tokio::test]
async fn three_nodes_share_one_postgresql() {
    let Some(url) = postgres_schema_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("root.key");
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let nodes = three_nodes(&url, &clock, &key_file).await;
    let [a, b, c] = [nodes[0].client(), nodes[1].client(), nodes[2].client()];

    // Created on one node, used through the others.
    let key = a.create_key().send().await.unwrap().key_metadata().unwrap().arn().unwrap().to_owned();
    b.create_alias().alias_name("alias/shared").target_key_id(&key).send().await.unwrap();
    let ct = c.encrypt().key_id("alias/shared").plaintext(Blob::new(b"one store".to_vec())).send().await.unwrap();
    let ct = ct.ciphertext_blob().unwrap().clone();
    let pt = a.decrypt().ciphertext_blob(ct.clone()).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"one store");
    let e = b.create_alias().alias_name("alias/shared").target_key_id(&key).send().await.unwrap_err();
    assert_eq!(e.code(), Some("AlreadyExistsException"));

    // Disabled through one node: the very next request to another refuses.
    b.disable_key().key_id(&key).send().await.unwrap();
    let e = c.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.unwrap_err();
    assert_eq!(e.code(), Some("DisabledException"));
    a.enable_key().key_id(&key).send().await.unwrap();

    // One rotation due, three schedulers: it happens once.
    b.enable_key_rotation().key_id(&key).rotation_period_in_days(90).send().await.unwrap();
    clock.advance(90 * DAY_MS);
    let runs = nodes.iter().map(|n| {
        let state = n.state.clone();
        tokio::spawn(async move { state.kms().run_due_jobs().await.unwrap() })
    });
    let mut rotated = 0;
    for r in runs.collect::<Vec<_>>() {
        rotated += r.await.unwrap().rotated;
    }
    assert_eq!(rotated, 1, "exactly one node rotated the key");
    let rotations = c.list_key_rotations().key_id(&key).send().await.unwrap();
    assert_eq!(rotations.rotations().len(), 1);
    let pt = c.decrypt().ciphertext_blob(ct).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"one store", "old ciphertexts decrypt on every node");

    // One deletion due, three schedulers: destroyed once, gone everywhere.
    a.schedule_key_deletion().key_id(&key).pending_window_in_days(7).send().await.unwrap();
    clock.advance(7 * DAY_MS);
    let runs = nodes.iter().map(|n| {
        let state = n.state.clone();
        tokio::spawn(async move { state.kms().run_due_jobs().await.unwrap() })
    });
    let mut destroyed = 0;
    for r in runs.collect::<Vec<_>>() {
        destroyed += r.await.unwrap().destroyed;
    }
    assert_eq!(destroyed, 1);
    for client in [&a, &b, &c] {
        let e = client.describe_key().key_id(&key).send().await.unwrap_err();
        assert_eq!(e.code(), Some("NotFoundException"));
    }
    for n in nodes {
        n.stop().await;
    }
}

/// Three nodes checkpointing the one chain at once: every checkpoint gets
/// its own number, the numbers run without a gap, each node writes the
/// digest files of the checkpoints it signed, and each node's trail
/// verifies against its own digest files.
#[tokio::test]
async fn nodes_checkpointing_at_once_keep_one_numbered_sequence() {
    let Some(url) = postgres_schema_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("root.key");
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let nodes = three_nodes(&url, &clock, &key_file).await;
    let key = nodes[0].client().create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    for round in 0..8 {
        for n in &nodes {
            n.client().encrypt().key_id(&key).plaintext(Blob::new(format!("{round}"))).send().await.unwrap();
        }
        let runs: Vec<_> = nodes
            .iter()
            .map(|n| {
                let state = n.state.clone();
                tokio::spawn(async move { state.kms().audit_checkpoint().await.unwrap() })
            })
            .collect();
        let mut signed = 0;
        for r in runs {
            signed += usize::from(r.await.unwrap().is_some());
        }
        assert!(signed >= 1, "round {round}: someone checkpointed the new records");
    }
    let kms = nodes[0].state.kms();
    let (mut files, mut checkpoints) = (0, 0);
    for n in &nodes {
        let r = n.state.kms().verify_audit().await.unwrap();
        assert_eq!(r.tamper, None);
        files += r.digest_files;
        checkpoints = r.checkpoints;
    }
    assert_eq!(files, checkpoints, "each checkpoint's digest file was written once, by the node that signed it");
    let latest = kms.verify_audit().await.unwrap();
    assert!(latest.checkpoints >= 8, "{latest:?}");
    for n in nodes {
        n.stop().await;
    }
}
