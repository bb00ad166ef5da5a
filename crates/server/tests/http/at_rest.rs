//! Keys at rest: the SQLite database and its WAL contain none of the key
//! material or plaintext that Trent handed out or holds.

use crate::common::{TestServer, ACCOUNT, SECRET_KEY};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use trent_api::ids::{AccountId, KeyId, Region};
use trent_core::model::Scope;
use trent_core::Store as _;
use trent_crypto::hierarchy::RootKey;
use trent_crypto::seal::{KeyFileSeal, Seal as _};
use trent_crypto::AwsLcProvider;

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn db_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("trent.db"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

/// Unwraps every backing key in the store with the root key from the key
/// file, the way an attacker holding both would.
async fn backing_keys(dir: &std::path::Path) -> Vec<[u8; 32]> {
    let p = AwsLcProvider::new();
    let root: RootKey = KeyFileSeal::new(dir.join("root.key")).open(&p).unwrap();
    let store = trent_store::SqliteStore::open(&dir.join("trent.db")).unwrap();
    let guard = trent_core::integrity::RowGuard::derive(&p, &root).unwrap();
    store.protect_rows(std::sync::Arc::new(guard)).await.unwrap();
    let dks = store.domain_keys().await.unwrap();
    let scope = Scope { account: AccountId::parse(ACCOUNT).unwrap(), region: Region::parse("us-east-1").unwrap() };
    let mut out = Vec::new();
    for key in store.list_keys(&scope, None, 1000).await.unwrap() {
        let id = KeyId::new_unchecked(key.id.as_str());
        let v = store.key_version(&id, key.current_version).await.unwrap().unwrap();
        let dk_id = trent_crypto::hierarchy::wrapping_key_id(&v.wrapped_material).unwrap();
        let dk_rec = dks.iter().find(|d| d.id == dk_id).unwrap();
        let dk = root.unwrap_domain_key(&p, dk_id, &dk_rec.wrapped).unwrap();
        let bk = dk.unwrap_backing_key(&p, &key.arn(), v.material_id.as_bytes(), &v.wrapped_material).unwrap();
        out.push(*bk.expose());
    }
    out
}

#[tokio::test]
async fn database_and_wal_hold_no_plaintext_key_material() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let s = TestServer::builder().data_dir(&dir).build().await;
    let kms = s.client();
    let mut secrets: Vec<(String, Vec<u8>)> = vec![("secret access key".into(), SECRET_KEY.as_bytes().to_vec())];
    for i in 0..3 {
        let key = kms.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_owned();
        let dk = kms.generate_data_key().key_id(&key).key_spec(DataKeySpec::Aes256).send().await.unwrap();
        secrets.push((format!("data key {i}"), dk.plaintext().unwrap().as_ref().to_vec()));
        let marker = format!("plaintext-marker-{i}-7f3a9c1e5b2d4f60").into_bytes();
        kms.encrypt().key_id(&key).plaintext(Blob::new(marker.clone())).send().await.unwrap();
        secrets.push((format!("plaintext {i}"), marker));
    }
    let root_hex = std::fs::read_to_string(dir.join("root.key")).unwrap();
    secrets.push(("root key".into(), hex::decode(root_hex.trim()).unwrap()));
    let bks = backing_keys(&dir).await;
    assert_eq!(bks.len(), 3);
    for (i, bk) in bks.iter().enumerate() {
        secrets.push((format!("backing key {i}"), bk.to_vec()));
    }

    let check = |when: &str| {
        let files = db_files(&dir);
        assert!(files.iter().any(|(n, _)| n.ends_with("trent.db")), "database file exists");
        for (name, bytes) in &files {
            for (what, secret) in &secrets {
                assert!(!contains(bytes, secret), "{when}: {what} found in {name}");
                assert!(!contains(bytes, hex::encode(secret).as_bytes()), "{when}: {what} (hex) found in {name}");
            }
        }
        files.len()
    };
    let n = check("while running");
    assert!(n >= 2, "the WAL is checked too (found {n} files)");
    s.stop().await;
    check("after shutdown");
}
