//! Several nodes on one PostgreSQL database: any node serves any request, a
//! change through one node is seen by another within the bound of its key
//! cache (`KEY_CACHE_TTL`, one second; a notification in practice), and
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

    // Disabled through one node: another refuses within the key cache's
    // bound (a notification, in practice a millisecond or so).
    b.disable_key().key_id(&key).send().await.unwrap();
    let start = std::time::Instant::now();
    loop {
        match c.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await {
            Err(e) => {
                assert_eq!(e.code(), Some("DisabledException"));
                break;
            }
            Ok(_) => assert!(
                start.elapsed() < trent_store::postgres::KEY_CACHE_TTL,
                "node c still encrypts under a key disabled through node b after {:?}",
                start.elapsed()
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    eprintln!("a key disabled through node b was refused by node c after {:?}", start.elapsed());
    a.enable_key().key_id(&key).send().await.unwrap();
    // Enabled through a: c encrypts again within the bound.
    let start = std::time::Instant::now();
    while c.encrypt().key_id(&key).plaintext(Blob::new(b"x".to_vec())).send().await.is_err() {
        assert!(start.elapsed() < trent_store::postgres::KEY_CACHE_TTL);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

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

/// Three nodes appending and checkpointing at once: each appends to a
/// chain of its own and checkpoints it (numbers without a gap in each
/// chain), writes the digest files of its chain, and the whole trail (three
/// chains) verifies from every node; LookupEvents on any node finds every
/// node's events.
#[tokio::test]
async fn nodes_keep_a_chain_each_and_see_each_others_events() {
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
        assert_eq!(signed, 3, "round {round}: each node checkpointed its own chain");
    }
    let mut chains = Vec::new();
    for n in &nodes {
        chains.push(n.state.kms().store().audit_chain().await.unwrap());
    }
    chains.sort_unstable();
    chains.dedup();
    assert_eq!(chains.len(), 3, "a chain per node");
    let (mut files, mut checkpoints) = (0, 0);
    for n in &nodes {
        let r = n.state.kms().verify_audit().await.unwrap();
        assert_eq!(r.tamper, None);
        assert_eq!(r.chains.iter().map(|c| c.chain).collect::<Vec<_>>(), chains, "{r:?}");
        files += r.digest_files;
        checkpoints = r.checkpoints;
    }
    assert_eq!(files, checkpoints, "each checkpoint's digest file was written once, by the node of its chain");
    assert!(checkpoints >= 24, "8 checkpoints a chain: {checkpoints}");
    // Each node's lookups (what LookupEvents reads) find the 24 Encrypt
    // calls of all three.
    let query = trent_core::audit::AuditQuery {
        attribute: Some(trent_core::audit::LookupAttribute::EventName("Encrypt".into())),
        limit: 50,
        ..Default::default()
    };
    for n in &nodes {
        assert_eq!(n.state.kms().store().lookup_audit(&query).await.unwrap().len(), 24);
        n.state.kms().index_audit().await.unwrap();
    }
    for n in &nodes {
        assert_eq!(n.state.kms().store().lookup_audit(&query).await.unwrap().len(), 24, "once indexed too");
    }
    for n in nodes {
        n.stop().await;
    }
}

/// A root rotation through one node of a PostgreSQL deployment: the other
/// node keeps serving (its domain keys in memory do not change), a node
/// started under the old key file is refused, and one started under the
/// new key file serves everything made before.
#[tokio::test]
async fn a_root_rotation_through_one_node_leaves_the_others_serving() {
    use crate::protocol::{send, Req};
    let Some(url) = postgres_schema_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("root.key");
    let node = || TestServer::builder().store_url(&url).key_file(&key_file).scheduler_interval_secs(3600);
    let (a, b) = (node().build().await, node().build().await);
    let key = a.client().create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    let ct = b.client().encrypt().key_id(&key).plaintext(Blob::new(b"before".to_vec())).send().await.unwrap();
    let ct = ct.ciphertext_blob().unwrap().clone();
    let old_key = std::fs::read(&key_file).unwrap();

    let (status, ty, v) = send(&a, Req::new("TrentAdmin.RotateRoot", r#"{"Seal":"key-file"}"#).signed()).await;
    assert_eq!(status, 200, "{ty} {v}");
    assert_eq!(v["DomainKeys"], 1, "{v}");
    assert_ne!(std::fs::read(&key_file).unwrap(), old_key, "the key file is the new root's");

    // The other node serves on: old ciphertexts, and new keys.
    let pt = b.client().decrypt().ciphertext_blob(ct.clone()).send().await.unwrap();
    assert_eq!(pt.plaintext().unwrap().as_ref(), b"before");
    let new_key = b.client().create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
    let ct2 = b.client().encrypt().key_id(&new_key).plaintext(Blob::new(b"after".to_vec())).send().await.unwrap();
    let ct2 = ct2.ciphertext_blob().unwrap().clone();

    // A node under the old key file is refused.
    let old = dir.path().join("old.key");
    std::fs::write(&old, &old_key).unwrap();
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let config = trent_server::config::Config {
        data_dir: Some(dir.path().join("stale")),
        store: Some(url.clone()),
        key_file: Some(old),
        ..Default::default()
    };
    let params = config.into_params(|p| std::fs::read_to_string(p)).unwrap();
    match trent_server::startup::open(&params).await {
        Ok(_) => panic!("the old key file opened the deployment after the rotation"),
        Err(e) => assert!(e.to_string().contains("does not open"), "{e}"),
    }
    // Nor is a node whose key file is missing given a new one.
    let absent = dir.path().join("absent.key");
    let config = trent_server::config::Config {
        data_dir: Some(dir.path().join("absent")),
        store: Some(url.clone()),
        key_file: Some(absent.clone()),
        ..Default::default()
    };
    let params = config.into_params(|p| std::fs::read_to_string(p)).unwrap();
    match trent_server::startup::open(&params).await {
        Ok(_) => panic!("a new key file opened the deployment"),
        Err(e) => assert!(e.to_string().contains("absent.key is missing"), "{e}"),
    }
    assert!(!absent.exists(), "a key file was made for an existing deployment");
    // A node under the new one serves everything made before.
    let c = node().build().await;
    for (blob, text) in [(ct, &b"before"[..]), (ct2, &b"after"[..])] {
        let pt = c.client().decrypt().ciphertext_blob(blob).send().await.unwrap();
        assert_eq!(pt.plaintext().unwrap().as_ref(), text);
    }
    for n in [a, b, c] {
        n.stop().await;
    }
}
